//! The Worker's and the emulator's parser and checks of untrusted request bodies, for each of
//! the eight calls.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tim_tags::api::calls::Scope;
use tim_tags::api::account::{MAX_ACCOUNTS, MAX_TAG_BYTES, account_problem};
use tim_tags::{Call, TagRequest};

fuzz_target!(|body: &[u8]| {
    for call in Call::all() {
        let Ok(request) = call.parse(body) else {
            continue;
        };
        // Whatever is accepted is within the vendor's limits for this call, and forwards as
        // it parsed.
        let accounts = request.accounts();
        assert!((1..=MAX_ACCOUNTS).contains(&accounts.len()));
        assert!(accounts.iter().all(|a| account_problem(call.api, a).is_none()));
        if call.row().scope == Scope::Write {
            for (i, account) in accounts.iter().enumerate() {
                assert!(!accounts[..i].contains(account), "{call}: {account} twice");
            }
        }
        if let TagRequest::Entries { entries, .. } = &request {
            for entry in entries {
                assert!((1..=100).contains(&entry.tags.len()));
                assert!(entry.tags.iter().all(|t| (1..=MAX_TAG_BYTES).contains(&t.len())));
            }
        }
        let again = call.parse(request.to_json().as_bytes()).unwrap();
        assert_eq!(again, request);
    }
});
