//! The core inside WebAssembly: signing, verifying and randomness.

use tim_tags::api::region::{random, url};
use tim_tags::{SecretKey, SigError, Signer};
use wasm_bindgen_test::wasm_bindgen_test;

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const VECTOR: &str = "eAEBqwBU-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLnRpbWUiOjE3MDAwMDAwMDAsIlRMUy5leHBpcmUiOjE1NTUyMDAwLCJUTFMuc2lnIjoiTHZBN2QvSXc3Z1NzbnNrdlZ6QkRQT0NDRGJ1TkN3NEdId1RDMGJpcCtCND0ifaIXMfI_";

#[wasm_bindgen_test]
fn usersig_signs_the_spec_vector() {
    let signer = Signer::new(1_400_000_000, SecretKey::new(KEY));
    assert_eq!(
        signer
            .sign("xiaojun", 1_700_000_000, 15_552_000, None)
            .expose(),
        VECTOR
    );
}

#[wasm_bindgen_test]
fn usersig_verifies_and_refuses() {
    let signer = Signer::new(1_400_000_000, SecretKey::new(KEY));
    assert!(signer.verify("xiaojun", VECTOR, 1_700_000_000).is_ok());
    assert_eq!(
        signer.verify("xiaojun", VECTOR, 1_715_552_001),
        Err(SigError::Expired {
            expired_at: 1_715_552_000
        })
    );
}

#[wasm_bindgen_test]
fn random_comes_from_the_platform() {
    let values: Vec<u32> = (0..8).map(|_| random().unwrap()).collect();
    assert!(
        values.windows(2).any(|pair| pair[0] != pair[1]),
        "{values:?}"
    );
    let sig = Signer::new(1, SecretKey::new("k")).sign("admin", 0, 1, None);
    let url = url(
        "http://127.0.0.1:9000",
        "/v4/timpush/get_tag",
        1,
        "admin",
        &sig,
        values[0],
    );
    assert!(
        url.ends_with(&format!("&random={}&contenttype=json", values[0])),
        "{url}"
    );
}
