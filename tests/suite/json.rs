//! The runtime's `JSON.parse` and `serde_json` read every document alike: the bodies of the
//! eight calls, vendor answers and Access tokens give the same result, or the same refusal,
//! through both.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tim_tags::api::answer::{answered_tags, failed_accounts};
use tim_tags::edge::access::{AccessConfig, AccessToken, KeySet};
use tim_tags::{Call, Coded, Json, Status};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

/// A document as each parser reads it.
fn parse_both(text: &str) -> (serde_json::Value, JsValue) {
    let native = <serde_json::Value as Json>::parse(text).unwrap();
    (native, <JsValue as Json>::parse(text).unwrap())
}

#[wasm_bindgen_test]
fn request_bodies_read_alike_for_every_call() {
    let long = "x".repeat(33);
    let many = format!(r#"{{"To_Account":[{}]}}"#, vec![r#""a""#; 101].join(","));
    let device = "379C2F0D-290D-47AE-94D1-919058C39C77";
    let bodies = [
        r#"{"To_Account":["user_a","用户","😀"]}"#.to_owned(),
        r#"{"To_Account":["user_a"],"Extra":1}"#.to_owned(),
        r#"{"To_Account":["a\u0000b","\"q\""]}"#.to_owned(),
        r#"{"To_Account":["a"],"To_Account":["b"]}"#.to_owned(),
        r#"{"To_Account":["a","a"]}"#.to_owned(),
        format!(r#"{{"To_Account":["{device}"]}}"#),
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
        r#"{"UserTags":[{"To_Account":"a","Tags":["vip","cn"]}]}"#.to_owned(),
        r#"{"UserTags":[{"To_Account":"a","Tags":["vip"]}],"Replace":1}"#.to_owned(),
        r#"{"UserTags":[{"To_Account":"a","Tags":["vip"]}],"Replace":true}"#.to_owned(),
        r#"{"UserTags":[{"To_Account":"a","Tags":[]}]}"#.to_owned(),
        r#"{"UserTags":[{"To_Account":"a","Tags":["x"],"Note":1}]}"#.to_owned(),
        r#"{"UserTags":[{"To_Account":"a","Tags":["x"]},{"To_Account":"a","Tags":["y"]}]}"#
            .to_owned(),
        format!(
            r#"{{"UserTags":[{{"To_Account":"a","Tags":["{}"]}}]}}"#,
            "t".repeat(51)
        ),
        r#"{"UserTags":["a"]}"#.to_owned(),
    ];
    for body in &bodies {
        let (native, runtime) = parse_both(body);
        for call in Call::all() {
            let checked = call.check(&native);
            assert_eq!(checked, call.check(&runtime), "{call}: {body}");
            assert_eq!(call.parse(body.as_bytes()), checked, "{call}: {body}");
        }
    }
}

#[wasm_bindgen_test]
fn a_lone_surrogate_is_refused_by_both_never_replaced() {
    let body = r#"{"To_Account":["a\udfffb"]}"#;
    let runtime = <JsValue as Json>::parse(body).unwrap();
    for call in Call::all().filter(|c| c.row().operation == tim_tags::Operation::Get) {
        let native = call.parse(body.as_bytes()).unwrap_err();
        let refused = call.check(&runtime).unwrap_err();
        assert_eq!((native.code(), refused.code()), (90001, 90001));
        assert!(native.to_string().contains("not valid JSON"), "{native}");
        assert_eq!(
            refused.to_string(),
            "To_Account[0] is not well-formed Unicode: it holds a lone surrogate"
        );
    }
}

#[wasm_bindgen_test]
fn answers_read_alike() {
    for answer in [
        r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","UserTags":[]}"#,
        r#"{"ActionStatus":"OK","ErrorCode":0,"UserTags":[{"To_Account":"a","Tags":["x"]}],"ErrorList":[{"To_Account":"b","ErrorCode":70107}]}"#,
        r#"{"ActionStatus":"OK","ErrorList":[{"To_Account":"b","ErrorCode":70107,"ErrorInfo":"gone"}]}"#,
        r#"{"ActionStatus":"OK","UserTags":[{"To_Account":"a","Tags":[1]}],"ErrorList":[{"To_Account":"b"}]}"#,
        r#"{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"expired"}"#,
        r#"{"ActionStatus":"FAIL","ErrorCode":0}"#,
        r#"{"ActionStatus":"OK"}"#,
        r#"{"ActionStatus":"OK","ErrorCode":0.5}"#,
        r#"{"ActionStatus":"OK","ErrorCode":"0"}"#,
        r#"{"ErrorCode":0}"#,
        r#"[]"#,
        r#""OK""#,
    ] {
        let (native, runtime) = parse_both(answer);
        assert_eq!(Status::read(&native), Status::read(&runtime), "{answer}");
        assert_eq!(
            failed_accounts(&native),
            failed_accounts(&runtime),
            "{answer}"
        );
        let native_accounts =
            answered_tags(&native).map(|list| list.into_iter().map(|e| e.0).collect::<Vec<_>>());
        let runtime_accounts =
            answered_tags(&runtime).map(|list| list.into_iter().map(|e| e.0).collect::<Vec<_>>());
        assert_eq!(native_accounts, runtime_accounts, "{answer}");
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
            parsed.map(|token| {
                (
                    token.check_claims(&config, 1500.0),
                    token.identity().to_owned(),
                )
            })
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
