//! The Worker's parser of untrusted Cloudflare Access tokens, and its claim checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tim_tags::edge::access::{AccessConfig, AccessToken};

fuzz_target!(|token: &str| {
    let config = AccessConfig {
        issuer: "https://team.cloudflareaccess.com".into(),
        audience: "aud".into(),
        certs_url: "https://team.cloudflareaccess.com/cdn-cgi/access/certs".into(),
    };
    if let Ok(parsed) = AccessToken::parse::<serde_json::Value>(token) {
        // The signed part is the token's first two parts, exactly.
        assert!(token.trim().starts_with(&parsed.signed));
        let _ = parsed.check_claims(&config, 1_700_000_000.0);
        let _ = parsed.identity();
    }
});
