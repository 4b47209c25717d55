//! The Worker's and the emulator's parser and validator of untrusted request bodies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tim_tags::GetTagsRequest;
use tim_tags::tags::{MAX_ACCOUNT_BYTES, MAX_ACCOUNTS};

fuzz_target!(|body: &[u8]| {
    if let Ok(request) = GetTagsRequest::from_json(body) {
        // Whatever is accepted is within the vendor's limits and forwards as it parsed.
        let accounts = request.accounts();
        assert!((1..=MAX_ACCOUNTS).contains(&accounts.len()));
        assert!(accounts.iter().all(|a| !a.is_empty() && a.len() <= MAX_ACCOUNT_BYTES));
        let again = GetTagsRequest::from_json(request.to_json().as_bytes()).unwrap();
        assert_eq!(again, request);
    }
});
