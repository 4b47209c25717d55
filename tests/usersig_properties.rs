//! Properties of UserSig signing and verifying that must hold for every input.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use tim_tags::{SecretKey, SigError, Signer};

/// Characters a UserSig may hold, and a few it may not.
const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-_+/= é";

fn signer(sdkappid: u64, key: &str) -> Signer {
    Signer::new(sdkappid, SecretKey::new(key))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn what_is_signed_verifies(
        sdkappid in any::<u64>(),
        key in ".{1,64}",
        identifier in ".{0,40}",
        time in 0u64..4_000_000_000,
        expire in 0u64..1_000_000_000,
        userbuf in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
        elapsed in 0.0f64..=1.0,
    ) {
        let signer = signer(sdkappid, &key);
        let sig = signer.sign(&identifier, time, expire, userbuf.as_deref());
        let now = time + (expire as f64 * elapsed) as u64;
        let claims = signer.verify(&identifier, sig.expose(), now).unwrap();
        prop_assert_eq!(claims.identifier, identifier);
        prop_assert_eq!(claims.sdkappid, sdkappid);
        prop_assert_eq!((claims.time, claims.expire), (time, expire));
        prop_assert_eq!(claims.userbuf, userbuf);
    }

    #[test]
    fn any_single_character_change_is_refused(
        identifier in "[a-z0-9_]{1,32}",
        userbuf in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
        position in any::<prop::sample::Index>(),
        replacement in any::<prop::sample::Index>(),
    ) {
        let signer = signer(1_400_000_000, "a key");
        let sig = signer.sign(&identifier, 1_700_000_000, 86_400, userbuf.as_deref());
        let mut chars: Vec<char> = sig.expose().chars().collect();
        let at = position.index(chars.len());
        let alphabet: Vec<char> = ALPHABET.chars().filter(|&c| c != chars[at]).collect();
        chars[at] = alphabet[replacement.index(alphabet.len())];
        let tampered: String = chars.into_iter().collect();
        prop_assert!(signer.verify(&identifier, &tampered, 1_700_000_000).is_err());
    }

    #[test]
    fn verify_never_panics_on_arbitrary_strings(text in ".{0,600}") {
        let _ = signer(1, "k").verify("admin", &text, 0);
    }

    #[test]
    fn verify_never_panics_on_strings_of_the_usersig_alphabet(text in "[A-Za-z0-9*_-]{0,600}") {
        prop_assert!(signer(1, "k").verify("admin", &text, 0).is_err());
    }

    #[test]
    fn truncated_sigs_are_refused(cut in any::<prop::sample::Index>()) {
        let signer = signer(7, "k");
        let sig = signer.sign("admin", 10, 10, None);
        let truncated = &sig.expose()[..cut.index(sig.expose().len())];
        prop_assert!(signer.verify("admin", truncated, 10).is_err());
    }
}

#[test]
fn a_refusal_never_quotes_the_sig_or_the_key() {
    let signer = signer(1_400_000_000, "the secret key");
    let sig = signer.sign("admin", 1_000, 10, None);
    let wrong_key = Signer::new(1_400_000_000, SecretKey::new("another"));
    let failures = [
        wrong_key.verify("admin", sig.expose(), 1_000),
        signer.verify("admin", sig.expose(), 2_000),
        signer.verify("other", sig.expose(), 1_000),
        signer.verify("admin", &sig.expose()[..40], 1_000),
    ];
    for failure in failures {
        let message = failure.unwrap_err().to_string();
        assert!(!message.contains(sig.expose()) && !message.contains(&sig.expose()[..20]));
        assert!(!message.contains("the secret key"), "{message}");
    }
    assert!(matches!(
        signer.verify("admin", sig.expose(), 2_000),
        Err(SigError::Expired { expired_at: 1_010 })
    ));
}
