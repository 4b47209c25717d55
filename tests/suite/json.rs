//! The runtime's `JSON.parse` and `serde_json` read every document alike: request bodies,
//! vendor answers and Access tokens give the same result, or the same refusal, through both.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tim_tags::access_jwt::{AccessConfig, AccessToken, KeySet};
use tim_tags::tags::answer_code;
use tim_tags::{GetTagsRequest, Json};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

/// A document as each parser reads it.
fn parse_both(text: &str) -> (serde_json::Value, JsValue) {
    let native = <serde_json::Value as Json>::parse(text).unwrap();
    (native, <JsValue as Json>::parse(text).unwrap())
}

#[wasm_bindgen_test]
fn request_bodies_read_alike() {
    let long = "x".repeat(33);
    let many = format!(r#"{{"To_Account":[{}]}}"#, vec![r#""a""#; 101].join(","));
    let bodies = [
        r#"{"To_Account":["user_a","用户","😀"],"Extra":1}"#.to_owned(),
        r#"{"To_Account":["a\u0000b","\"q\""]}"#.to_owned(),
        r#"{"To_Account":["a"],"To_Account":["b"]}"#.to_owned(),
        r#"["a"]"#.to_owned(),
        "null".to_owned(),
        "{}".to_owned(),
        r#"{"To_Account":null}"#.to_owned(),
        r#"{"To_Account":"a"}"#.to_owned(),
        r#"{"To_Account":[]}"#.to_owned(),
        r#"{"To_Account":["a",7]}"#.to_owned(),
        r#"{"To_Account":["a",""]}"#.to_owned(),
        format!(r#"{{"To_Account":["{long}"]}}"#),
        many,
    ];
    for body in bodies {
        let (native, runtime) = parse_both(&body);
        let native = GetTagsRequest::from_value(&native);
        assert_eq!(native, GetTagsRequest::from_value(&runtime), "{body}");
        assert_eq!(GetTagsRequest::from_json(body.as_bytes()), native, "{body}");
    }
}

#[wasm_bindgen_test]
fn answers_read_alike() {
    for answer in [
        r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","UserTags":[]}"#,
        r#"{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"expired"}"#,
        r#"{"ActionStatus":"OK"}"#,
        r#"{"ActionStatus":"OK","ErrorCode":0.5}"#,
        r#"{"ActionStatus":"OK","ErrorCode":"0"}"#,
        r#"{"ErrorCode":0}"#,
        r#"[]"#,
        r#""OK""#,
    ] {
        let (native, runtime) = parse_both(answer);
        assert_eq!(answer_code(&native), answer_code(&runtime), "{answer}");
    }
}

#[wasm_bindgen_test]
fn access_tokens_and_key_sets_read_alike() {
    let config = AccessConfig {
        issuer: "https://team.cloudflareaccess.com".into(),
        audience: "aud".into(),
        certs_url: String::new(),
    };
    let part = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let header = part(r#"{"alg":"RS256","kid":"k1"}"#);
    for claims in [
        r#"{"aud":"aud","iss":"https://team.cloudflareaccess.com","exp":2000,"email":"a@b"}"#,
        r#"{"aud":["x","aud"],"iss":"https://team.cloudflareaccess.com","exp":2000,"nbf":1000}"#,
        r#"{"aud":"aud","iss":"https://team.cloudflareaccess.com","exp":"2000"}"#,
        r#"{"aud":[1],"iss":"https://team.cloudflareaccess.com","exp":2000}"#,
        r#"{"aud":"aud","iss":"https://team.cloudflareaccess.com","exp":2000,"sub":null}"#,
        r#"not json"#,
    ] {
        let token = format!("{header}.{}.{}", part(claims), part("sig"));
        let read = |parsed: Result<AccessToken, _>| {
            parsed.map(|token| (token.check_claims(&config, 1500.0), token.identity()))
        };
        assert_eq!(
            read(AccessToken::parse::<serde_json::Value>(&token)),
            read(AccessToken::parse::<JsValue>(&token)),
            "{claims}"
        );
    }
    let document =
        r#"{"keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"},{"kty":"EC","kid":"k2"}]}"#;
    let (native, runtime) = parse_both(document);
    let (mut native_keys, mut runtime_keys) = (KeySet::default(), KeySet::default());
    native_keys.update(&native, 0.0).unwrap();
    runtime_keys.update(&runtime, 0.0).unwrap();
    assert_eq!(native_keys.find("k1"), runtime_keys.find("k1"));
    assert!(native_keys.find("k1").is_some());
    assert_eq!(runtime_keys.find("k2"), None);
}
