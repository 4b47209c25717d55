//! UserSig signing exported to JavaScript, built only for `make bench` (feature `bench`) to
//! time our signer as WebAssembly in Node beside the official npm signer. No shipped build
//! exports it: the browser package never signs.

use wasm_bindgen::prelude::*;

use crate::{SecretKey, Signer};

/// Signs a UserSig as the Worker does: a fresh signer for `key`, then sign and encode.
#[wasm_bindgen(js_name = signUserSig)]
pub fn sign_user_sig(sdkappid: f64, key: &str, identifier: &str, time: f64, expire: f64) -> String {
    let signer = Signer::new(sdkappid as u64, SecretKey::new(key));
    signer
        .sign(identifier, time as u64, expire as u64, None)
        .expose()
        .to_owned()
}
