//! UserSig (TLS-Sig-API version 2): signing for the Worker, verifying for the emulator.
//!
//! A UserSig is a JSON document holding an HMAC-SHA256 of the signed fields, compressed as
//! a zlib stream and written in URL-safe base64 (`*`, `-`, `_` for `+`, `/`, `=`).

use base64::Engine;
use base64::alphabet::Alphabet;
use base64::engine::general_purpose::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use crate::api::codes::{
    Coded, SIG_APP_MISMATCH, SIG_BAD_SIGNATURE, SIG_EMPTY, SIG_EXPIRED, SIG_IDENTIFIER_MISMATCH,
    SIG_INVALID_DOCUMENT, SIG_MALFORMED,
};

/// The longest UserSig `verify` reads; real ones are a few hundred characters.
const MAX_SIG_CHARS: usize = 8 * 1024;
/// The largest signature document `verify` inflates, so a small UserSig cannot expand into a large one.
const MAX_DOCUMENT_BYTES: usize = 16 * 1024;
/// The largest payload of one stored deflate block.
const MAX_STORED_BLOCK: usize = u16::MAX as usize;

/// Why a UserSig does not verify, with the vendor's code for each.
///
/// Messages never contain the key or the UserSig.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// The UserSig is the empty string.
    #[error("UserSig is empty")]
    Empty,
    /// The UserSig cannot be decoded into a signature document.
    #[error("UserSig is malformed: {0}")]
    Malformed(&'static str),
    /// The UserSig decodes, but its document is not a version 2.0 signature document.
    #[error("UserSig document is invalid: {0}")]
    InvalidDocument(&'static str),
    /// The UserSig was signed for another SDKAppID.
    #[error("UserSig was signed for SDKAppID {signed}, not {expected}")]
    AppMismatch {
        /// The SDKAppID in the UserSig.
        signed: u64,
        /// The SDKAppID it was checked against.
        expected: u64,
    },
    /// The UserSig was signed for another account.
    #[error(
        "UserSig was signed for identifier {}, not {}",
        crate::api::json::quoted(signed),
        crate::api::json::quoted(expected)
    )]
    IdentifierMismatch {
        /// The identifier in the UserSig.
        signed: String,
        /// The identifier it was checked against.
        expected: String,
    },
    /// The HMAC does not match: the UserSig was not signed with this app's key, or was altered.
    #[error("UserSig signature check failed: it was not signed with this app's key")]
    BadSignature,
    /// The UserSig is authentic but its validity has ended.
    #[error("UserSig expired at {expired_at} (Unix seconds); sign a new one")]
    Expired {
        /// The Unix time at which it stopped being valid.
        expired_at: u64,
    },
}

impl Coded for SigError {
    fn code(&self) -> i64 {
        match self {
            SigError::Empty => SIG_EMPTY,
            SigError::Malformed(_) => SIG_MALFORMED,
            SigError::InvalidDocument(_) => SIG_INVALID_DOCUMENT,
            SigError::AppMismatch { .. } => SIG_APP_MISMATCH,
            SigError::IdentifierMismatch { .. } => SIG_IDENTIFIER_MISMATCH,
            SigError::BadSignature => SIG_BAD_SIGNATURE,
            SigError::Expired { .. } => SIG_EXPIRED,
        }
    }
}

/// An app's secret key from the vendor console. Its `Debug` output never shows it.
#[derive(Clone)]
pub struct SecretKey(Box<[u8]>);

impl SecretKey {
    /// Wraps the console key; it is used as its UTF-8 bytes, never hex-decoded.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into().into_bytes().into_boxed_slice())
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::new_from_slice(&self.0).expect("HMAC takes a key of any length")
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(redacted)")
    }
}

/// A signed UserSig. Its `Debug` output never shows it; [`UserSig::expose`] does.
#[derive(Clone, PartialEq, Eq)]
pub struct UserSig(String);

impl UserSig {
    /// The UserSig itself, for the request URL and nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for UserSig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UserSig(redacted)")
    }
}

/// What a verified UserSig says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The account it was signed for.
    pub identifier: String,
    /// The app it was signed for.
    pub sdkappid: u64,
    /// When it was signed, in Unix seconds.
    pub time: u64,
    /// How many seconds it is valid from `time`.
    pub expire: u64,
    /// The optional extra bytes it carries.
    pub userbuf: Option<Vec<u8>>,
}

impl Claims {
    /// The last Unix second at which the UserSig is still valid.
    pub fn expires_at(&self) -> u64 {
        self.time.saturating_add(self.expire)
    }
}

/// Signs and verifies the UserSigs of one app.
#[derive(Debug, Clone)]
pub struct Signer {
    sdkappid: u64,
    key: SecretKey,
}

/// The signature document, as `verify` reads it.
#[derive(Deserialize)]
struct Document {
    #[serde(rename = "TLS.ver")]
    ver: String,
    #[serde(rename = "TLS.identifier")]
    identifier: String,
    #[serde(rename = "TLS.sdkappid")]
    sdkappid: u64,
    #[serde(rename = "TLS.time")]
    time: u64,
    #[serde(rename = "TLS.expire")]
    expire: u64,
    #[serde(rename = "TLS.sig")]
    sig: String,
    #[serde(
        rename = "TLS.userbuf",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    userbuf: Option<String>,
}

impl Signer {
    /// A signer for the app `sdkappid` whose console key is `key`.
    pub fn new(sdkappid: u64, key: SecretKey) -> Self {
        Self { sdkappid, key }
    }

    /// The app this signer signs for.
    pub fn sdkappid(&self) -> u64 {
        self.sdkappid
    }

    /// Signs a UserSig for `identifier`, issued at `time` (Unix seconds), valid for `expire` seconds.
    pub fn sign(
        &self,
        identifier: &str,
        time: u64,
        expire: u64,
        userbuf: Option<&[u8]>,
    ) -> UserSig {
        let userbuf = userbuf.map(|bytes| STANDARD.encode(bytes));
        let hmac = self
            .hmac(identifier, time, expire, userbuf.as_deref())
            .finalize();
        // The document, written directly in the official libraries' key order.
        let identifier = serde_json::to_string(identifier).expect("a string always serializes");
        let mut json = format!(
            r#"{{"TLS.ver":"2.0","TLS.identifier":{identifier},"TLS.sdkappid":{},"TLS.time":{time},"TLS.expire":{expire},"TLS.sig":"{}""#,
            self.sdkappid,
            STANDARD.encode(hmac.into_bytes()),
        );
        if let Some(userbuf) = userbuf {
            json.push_str(&format!(r#","TLS.userbuf":"{userbuf}""#));
        }
        json.push('}');
        UserSig(encode(&zlib_stored(json.as_bytes())))
    }

    /// Verifies a UserSig for `identifier` at the Unix time `now`, as the vendor does.
    ///
    /// The checks run in this order, and the error names the first that fails: encoding,
    /// document, SDKAppID, identifier, HMAC, expiry.
    pub fn verify(&self, identifier: &str, sig: &str, now: u64) -> Result<Claims, SigError> {
        let document = decode(sig)?;
        if document.ver != "2.0" {
            return Err(SigError::InvalidDocument("TLS.ver is not \"2.0\""));
        }
        if document.sdkappid != self.sdkappid {
            return Err(SigError::AppMismatch {
                signed: document.sdkappid,
                expected: self.sdkappid,
            });
        }
        if document.identifier != identifier {
            return Err(SigError::IdentifierMismatch {
                signed: document.identifier,
                expected: identifier.into(),
            });
        }
        let signature = STANDARD
            .decode(&document.sig)
            .map_err(|_| SigError::InvalidDocument("TLS.sig is not base64"))?;
        self.hmac(
            identifier,
            document.time,
            document.expire,
            document.userbuf.as_deref(),
        )
        .verify_slice(&signature)
        .map_err(|_| SigError::BadSignature)?;
        let userbuf = document
            .userbuf
            .map(|text| STANDARD.decode(text))
            .transpose()
            .map_err(|_| SigError::InvalidDocument("TLS.userbuf is not base64"))?;
        let claims = Claims {
            identifier: document.identifier,
            sdkappid: document.sdkappid,
            time: document.time,
            expire: document.expire,
            userbuf,
        };
        if now > claims.expires_at() {
            return Err(SigError::Expired {
                expired_at: claims.expires_at(),
            });
        }
        Ok(claims)
    }

    /// The HMAC over the signed fields, `userbuf` already in base64.
    fn hmac(
        &self,
        identifier: &str,
        time: u64,
        expire: u64,
        userbuf: Option<&str>,
    ) -> Hmac<Sha256> {
        let mut content = format!(
            "TLS.identifier:{identifier}\nTLS.sdkappid:{}\nTLS.time:{time}\nTLS.expire:{expire}\n",
            self.sdkappid
        );
        if let Some(userbuf) = userbuf {
            content.push_str(&format!("TLS.userbuf:{userbuf}\n"));
        }
        let mut mac = self.key.mac();
        mac.update(content.as_bytes());
        mac
    }
}

/// Base64 with the UserSig alphabet (`*` and `-` for `+` and `/`); padding is written `_`.
const USERSIG_BASE64: GeneralPurpose = GeneralPurpose::new(
    &match Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-") {
        Ok(alphabet) => alphabet,
        Err(_) => panic!("64 distinct printable characters"),
    },
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Writes bytes in the UserSig encoding.
fn encode(bytes: &[u8]) -> String {
    let mut text = USERSIG_BASE64.encode(bytes);
    let padding = text.len() - text.trim_end_matches('=').len();
    text.truncate(text.len() - padding);
    text.extend(std::iter::repeat_n('_', padding));
    text
}

/// Undoes the UserSig encoding and parses the document, refusing anything not canonical.
fn decode(sig: &str) -> Result<Document, SigError> {
    if sig.is_empty() {
        return Err(SigError::Empty);
    }
    if sig.len() > MAX_SIG_CHARS {
        return Err(SigError::Malformed("longer than any UserSig"));
    }
    // Padding is `_`, and only at the end: `=`, `+` and `/` are refused, so that one UserSig
    // has one spelling.
    let body = sig.trim_end_matches('_');
    if body.contains('=') {
        return Err(SigError::Malformed(
            "a character outside the UserSig alphabet",
        ));
    }
    let padded = format!("{body}{}", "=".repeat(sig.len() - body.len()));
    let zlib = USERSIG_BASE64
        .decode(padded)
        .map_err(|_| SigError::Malformed("not valid base64"))?;
    if has_stored_block_padding(&zlib) {
        return Err(SigError::Malformed("not a canonical zlib stream"));
    }
    let json = inflate_exactly(&zlib)?;
    serde_json::from_slice(json.as_slice()).map_err(|_| {
        SigError::InvalidDocument("not a JSON object with the TLS.* fields of version 2.0")
    })
}

/// Inflates a zlib stream that must end, checksum included, exactly where the bytes end.
fn inflate_exactly(zlib: &[u8]) -> Result<Vec<u8>, SigError> {
    use miniz_oxide::inflate::TINFLStatus;
    use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
    let mut out = vec![0; MAX_DOCUMENT_BYTES];
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, read, written) =
        decompress(&mut DecompressorOxide::new(), zlib, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if read == zlib.len() => {
            out.truncate(written);
            Ok(out)
        }
        TINFLStatus::Done => Err(SigError::Malformed(
            "bytes after the end of the zlib stream",
        )),
        TINFLStatus::HasMoreOutput => Err(SigError::Malformed("the document is too large")),
        _ => Err(SigError::Malformed("not a valid zlib stream")),
    }
}

/// Whether the first deflate block is stored and sets the five header bits that inflaters ignore.
fn has_stored_block_padding(zlib: &[u8]) -> bool {
    match zlib.get(2) {
        Some(&header) => header & 0b110 == 0 && header >> 3 != 0,
        None => false,
    }
}

/// A zlib stream (RFC 1950) of stored deflate blocks: level 0, which needs no compressor.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let blocks = data.len().div_ceil(MAX_STORED_BLOCK).max(1);
    let mut out = Vec::with_capacity(2 + 5 * blocks + data.len() + 4);
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(MAX_STORED_BLOCK).peekable();
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        let len = chunk.len() as u16;
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    let mut adler = adler2::Adler32::new();
    adler.write_slice(data);
    out.extend_from_slice(&adler.checksum().to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    const TIME: u64 = 1_700_000_000;
    const EXPIRE: u64 = 15_552_000;
    const VECTOR: &str = "eAEBqwBU-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLnRpbWUiOjE3MDAwMDAwMDAsIlRMUy5leHBpcmUiOjE1NTUyMDAwLCJUTFMuc2lnIjoiTHZBN2QvSXc3Z1NzbnNrdlZ6QkRQT0NDRGJ1TkN3NEdId1RDMGJpcCtCND0ifaIXMfI_";

    fn signer() -> Signer {
        Signer::new(1_400_000_000, SecretKey::new(KEY))
    }

    /// The zlib bytes of a UserSig, decoded with the standard alphabet, independently of ours.
    fn zlib_of(sig: &str) -> Vec<u8> {
        let standard = sig.replace('*', "+").replace('-', "/").replace('_', "=");
        STANDARD.decode(standard).unwrap()
    }

    fn hmac_of(sig: &UserSig) -> String {
        decode(sig.expose()).unwrap().sig
    }

    #[test]
    fn the_spec_vectors_pass() {
        let sig = signer().sign("xiaojun", TIME, EXPIRE, None);
        assert_eq!(sig.expose(), VECTOR);
        assert_eq!(
            hmac_of(&sig),
            "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="
        );
        let with_userbuf = signer().sign("xiaojun", TIME, EXPIRE, Some(b"abc"));
        assert_eq!(
            hmac_of(&with_userbuf),
            "QjT201xPkXk/aM1e+y0vakZb0K2iPrFue++0s5y6bFM="
        );
        let claims = signer()
            .verify("xiaojun", with_userbuf.expose(), TIME)
            .unwrap();
        assert_eq!(claims.userbuf.as_deref(), Some(&b"abc"[..]));
        assert_eq!(claims.expires_at(), TIME + EXPIRE);
    }

    #[test]
    fn verify_accepts_the_vector_until_it_expires() {
        let claims = signer().verify("xiaojun", VECTOR, TIME + EXPIRE).unwrap();
        assert_eq!(
            claims,
            Claims {
                identifier: "xiaojun".into(),
                sdkappid: 1_400_000_000,
                time: TIME,
                expire: EXPIRE,
                userbuf: None
            }
        );
        assert_eq!(
            signer().verify("xiaojun", VECTOR, TIME + EXPIRE + 1),
            Err(SigError::Expired {
                expired_at: TIME + EXPIRE
            })
        );
    }

    #[test]
    fn each_check_names_itself() {
        let other_app = Signer::new(1_400_000_001, SecretKey::new(KEY));
        assert_eq!(
            other_app.verify("xiaojun", VECTOR, TIME),
            Err(SigError::AppMismatch {
                signed: 1_400_000_000,
                expected: 1_400_000_001
            })
        );
        assert_eq!(
            signer().verify("admin", VECTOR, TIME),
            Err(SigError::IdentifierMismatch {
                signed: "xiaojun".into(),
                expected: "admin".into()
            })
        );
        let other_key = Signer::new(1_400_000_000, SecretKey::new("another key"));
        assert_eq!(
            other_key.verify("xiaojun", VECTOR, TIME),
            Err(SigError::BadSignature)
        );
        assert_eq!(signer().verify("xiaojun", "", TIME), Err(SigError::Empty));
        assert_eq!(
            signer().verify("xiaojun", "abc+", TIME).unwrap_err().code(),
            70003
        );
        assert_eq!(
            signer()
                .verify("xiaojun", &"A".repeat(MAX_SIG_CHARS + 4), TIME)
                .unwrap_err()
                .code(),
            70003
        );
    }

    #[test]
    fn a_forged_document_fails_the_hmac() {
        let forged = br#"{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.expire":99999999,"TLS.sig":"LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="}"#;
        let sig = encode(&zlib_stored(forged));
        assert_eq!(
            signer().verify("xiaojun", &sig, TIME),
            Err(SigError::BadSignature)
        );
    }

    #[test]
    fn documents_that_are_not_version_2_are_refused() {
        let encode = |json: &[u8]| encode(&zlib_stored(json));
        let v1 = encode(br#"{"TLS.ver":"1.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1,"TLS.expire":1,"TLS.sig":""}"#);
        assert_eq!(
            signer().verify("xiaojun", &v1, TIME),
            Err(SigError::InvalidDocument("TLS.ver is not \"2.0\""))
        );
        let missing = encode(br#"{"TLS.ver":"2.0"}"#);
        assert_eq!(
            signer()
                .verify("xiaojun", &missing, TIME)
                .unwrap_err()
                .code(),
            70005
        );
    }

    #[test]
    fn only_the_canonical_spelling_verifies() {
        let zlib = zlib_of(VECTOR);
        let respell = |bytes: &[u8]| encode(bytes);
        assert!(signer().verify("xiaojun", &respell(&zlib), TIME).is_ok());
        let trailing = [&zlib[..], &[0]].concat();
        assert_eq!(
            signer().verify("xiaojun", &respell(&trailing), TIME),
            Err(SigError::Malformed(
                "bytes after the end of the zlib stream"
            ))
        );
        let mut padded = zlib.clone();
        padded[2] |= 0b1000_0000;
        assert_eq!(
            signer().verify("xiaojun", &respell(&padded), TIME),
            Err(SigError::Malformed("not a canonical zlib stream"))
        );
        let standard_alphabet = VECTOR.replace('-', "/");
        assert_eq!(
            signer()
                .verify("xiaojun", &standard_alphabet, TIME)
                .unwrap_err()
                .code(),
            70003
        );
    }

    #[test]
    fn compressed_streams_verify_too() {
        let json = inflate_exactly(&zlib_of(VECTOR)).unwrap();
        let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&json, 9);
        assert!(compressed.len() < json.len());
        let sig = encode(&compressed);
        assert!(signer().verify("xiaojun", &sig, TIME).is_ok());
    }

    #[test]
    fn a_document_larger_than_a_block_is_split_into_stored_blocks() {
        let identifier = "x".repeat(70_000);
        let stream = zlib_stored(identifier.as_bytes());
        let inflated = miniz_oxide::inflate::decompress_to_vec_zlib(&stream).unwrap();
        assert_eq!(inflated, identifier.as_bytes());
        assert_eq!(stream.len(), 2 + 5 * 2 + 70_000 + 4);
        // Compressed, it fits in a UserSig's length, but verify does not inflate that much.
        let bomb = encode(&miniz_oxide::deflate::compress_to_vec_zlib(
            identifier.as_bytes(),
            9,
        ));
        assert!(bomb.len() < MAX_SIG_CHARS);
        assert_eq!(
            signer().verify("xiaojun", &bomb, TIME),
            Err(SigError::Malformed("the document is too large"))
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let signer = signer();
        let sig = signer.sign("xiaojun", TIME, EXPIRE, None);
        let printed = format!("{signer:?} {sig:?}");
        assert!(
            !printed.contains(KEY) && !printed.contains(sig.expose()),
            "{printed}"
        );
    }
}
