//! Admitting a caller: by panel token, or by a Cloudflare Access token whose RS256 signature
//! the runtime's WebCrypto checks against the team's key set, fetched and kept per isolate.

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, CryptoKey, RequestInit, WorkerGlobalScope};

use super::js::{read_json, send_request};
use super::{apart, header};
use crate::edge::access::{AccessConfig, AccessToken, Identity, KeySet, PublicKey};
use crate::edge::{Caller, Callers, EdgeError};

/// How long the Access key set may take to fetch.
const KEY_SET_TIMEOUT_MS: u32 = 5_000;

thread_local! {
    /// The Access team's keys, per isolate.
    static ACCESS_KEYS: RefCell<KeySet> = RefCell::default();
}

/// Admits a caller by panel token or, when configured, by Cloudflare Access.
pub(super) async fn authenticate(
    callers: &Callers,
    headers: &web_sys::Headers,
) -> Result<Caller, EdgeError> {
    let refusal = match callers.by_token(header(headers, "Authorization").as_deref()) {
        Ok(caller) => return Ok(caller),
        Err(refusal) => refusal,
    };
    match (callers.access(), header(headers, "Cf-Access-Jwt-Assertion")) {
        (Some(config), Some(assertion)) => {
            let identity = apart(check_access_token(config, &assertion)).await?;
            Ok(callers.by_access(&identity))
        }
        _ => Err(refusal),
    }
}

/// Checks a Cloudflare Access token: its claims, then its RS256 signature with the team's key.
async fn check_access_token(config: &AccessConfig, assertion: &str) -> Result<Identity, EdgeError> {
    let token = AccessToken::parse::<JsValue>(assertion)?;
    let now_ms = js_sys::Date::now();
    token.check_claims(config, now_ms / 1000.0)?;
    if ACCESS_KEYS.with(|keys| keys.borrow().needs_fetch(&token.kid, now_ms)) {
        let fetched = fetch_key_set(&config.certs_url).await;
        ACCESS_KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            match fetched {
                Ok(document) => keys.update(&document, now_ms),
                Err(error) => {
                    keys.fetch_failed(now_ms);
                    Err(error)
                }
            }
        })?;
    }
    let key = ACCESS_KEYS.with(|keys| keys.borrow().find(&token.kid).cloned());
    let key = key.ok_or(EdgeError::Unauthorized)?;
    match verify_rs256(&key, &token.signed, &token.signature).await {
        Ok(true) => Ok(token.identity()),
        Ok(false) => Err(EdgeError::Unauthorized),
        Err(_) => Err(EdgeError::Internal("cannot check an Access token")),
    }
}

async fn fetch_key_set(url: &str) -> Result<JsValue, EdgeError> {
    let unreadable = || EdgeError::Internal("the Access key set could not be fetched");
    let init = RequestInit::new();
    init.set_signal(Some(&AbortSignal::timeout_with_u32(KEY_SET_TIMEOUT_MS)));
    let answer = send_request(url, &init).await.map_err(|_| unreadable())?;
    // A body comes only with a 200.
    read_json(&answer.body().ok_or_else(unreadable)?).map_err(|_| unreadable())
}

/// RSASSA-PKCS1-v1_5 with SHA-256, by the runtime's WebCrypto.
async fn verify_rs256(key: &PublicKey, signed: &str, signature: &[u8]) -> Result<bool, JsValue> {
    let subtle = js_sys::global()
        .unchecked_into::<WorkerGlobalScope>()
        .crypto()?
        .subtle();
    let object = |pairs: &[(&str, JsValue)]| {
        let object = Object::new();
        for (name, value) in pairs {
            Reflect::set(&object, &(*name).into(), value)?;
        }
        Ok::<_, JsValue>(object)
    };
    let jwk = object(&[
        ("kty", "RSA".into()),
        ("n", key.n.as_str().into()),
        ("e", key.e.as_str().into()),
        ("alg", "RS256".into()),
    ])?;
    let hash = object(&[("name", "SHA-256".into())])?;
    let algorithm = object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", hash.into())])?;
    let usages = Array::of1(&"verify".into());
    let imported = subtle.import_key_with_object("jwk", &jwk, &algorithm, false, &usages)?;
    let key: CryptoKey = JsFuture::from(imported).await?.unchecked_into();
    let verified = subtle.verify_with_object_and_u8_array_and_u8_array(
        &algorithm,
        &key,
        signature,
        signed.as_bytes(),
    )?;
    Ok(JsFuture::from(verified).await?.as_bool() == Some(true))
}
