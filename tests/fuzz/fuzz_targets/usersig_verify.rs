//! UserSig verification of untrusted strings, as the emulator does it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tim_tags::{SecretKey, Signer};

fuzz_target!(|sig: &str| {
    let signer = Signer::new(1_400_000_000, SecretKey::new("fuzz key"));
    if let Ok(claims) = signer.verify("administrator", sig, 1_700_000_000) {
        // Only a document signed with this key for this app and account can verify.
        assert_eq!(claims.identifier, "administrator");
        assert_eq!(claims.sdkappid, 1_400_000_000);
    }
});
