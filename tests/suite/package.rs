//! The package's functions as the suite awaits them: each returns the `Promise` JavaScript
//! gets, turned into a Rust future.

use tim_tags::browser::{self, Options};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

pub async fn get_tags(accounts: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::get_tags(accounts, options)).await
}

pub async fn add_tags(user_tags: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::add_tags(user_tags, options)).await
}

pub async fn remove_tags(user_tags: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::remove_tags(user_tags, options)).await
}

pub async fn clear_tags(accounts: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::clear_tags(accounts, options)).await
}

pub async fn session(options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::session(options)).await
}

pub async fn history(query: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::history(query, options)).await
}

pub async fn change(id: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::change(id, options)).await
}

pub async fn undo(target: JsValue, options: Option<Options>) -> Result<JsValue, JsValue> {
    JsFuture::from(browser::undo(target, options)).await
}
