//! Cross-checks our UserSig against the vendor's official signers (PyPI and npm
//! `tls-sig-api-v2`): we verify what they sign, and we sign the same HMAC and document.
//!
//! The PyPI signer is installed into `target/pypi` on first use; the npm one is a
//! devDependency (`npm ci`). Both need `python3` and `node` on the PATH.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use tim_tags::{SecretKey, Signer};

const PYPI_SIGNER: &str = "tls-sig-api-v2==1.1";

struct Case {
    sdkappid: u64,
    key: &'static str,
    identifier: &'static str,
    time: u64,
    expire: u64,
    userbuf: Option<&'static [u8]>,
}

fn cases() -> Vec<Case> {
    let keys = [
        "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e",
        "a shorter key with spaces",
    ];
    let identifiers = [
        "administrator",
        "xiaojun",
        "用户_測試",
        "émoji😀",
        "a b+c/d=e",
    ];
    let expiries = [1, 86_400, 15_552_000];
    let userbufs: [Option<&[u8]>; 3] = [None, Some(b"abc"), Some(&[0, 0xff, 0x80, b'\n'])];
    let mut cases = Vec::new();
    for (i, identifier) in identifiers.into_iter().enumerate() {
        for (j, expire) in expiries.into_iter().enumerate() {
            for (k, userbuf) in userbufs.into_iter().enumerate() {
                cases.push(Case {
                    sdkappid: [1_400_000_000, 1_600_012_345][(i + k) % 2],
                    key: keys[(j + k) % 2],
                    identifier,
                    time: 1_700_000_000 + (i * 1_000 + j * 10 + k) as u64,
                    expire,
                    userbuf,
                });
            }
        }
    }
    cases
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a signer script with the cases as JSON on stdin; returns one UserSig per case.
fn run_signer(mut command: Command, cases: &[Case]) -> Vec<String> {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({
                "sdkappid": c.sdkappid, "key": c.key, "identifier": c.identifier,
                "time": c.time, "expire": c.expire, "userbuf": c.userbuf.map(|b| STANDARD.encode(b)),
            })
        })
        .collect();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(Value::from(input).to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{command:?} failed");
    let sigs: Vec<String> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sigs.len(), cases.len());
    sigs
}

/// Undoes a UserSig's base64 without our own decoder.
fn zlib(sig: &str) -> Vec<u8> {
    let standard = sig.replace('*', "+").replace('-', "/").replace('_', "=");
    STANDARD.decode(standard).unwrap()
}

/// Decodes a UserSig's document without our own decoder, to compare two of them as JSON.
fn document(sig: &str) -> Value {
    let json = miniz_oxide::inflate::decompress_to_vec_zlib(&zlib(sig)).unwrap();
    serde_json::from_slice(&json).unwrap()
}

fn check_against(signer_name: &str, official: &[String], cases: &[Case]) {
    for (case, theirs) in cases.iter().zip(official) {
        let what = format!("{signer_name}, {:?} at {}", case.identifier, case.time);
        // Their output is compressed (not stored blocks), so our inflate path is exercised.
        assert_ne!(zlib(theirs)[2] & 0b110, 0, "{what}: not compressed");

        let signer = Signer::new(case.sdkappid, SecretKey::new(case.key));
        let claims = signer
            .verify(case.identifier, theirs, case.time)
            .unwrap_or_else(|e| panic!("{what}: our verify refused theirs: {e}"));
        assert_eq!(claims.userbuf.as_deref(), case.userbuf, "{what}");
        assert_eq!(claims.expires_at(), case.time + case.expire, "{what}");

        let ours = signer.sign(case.identifier, case.time, case.expire, case.userbuf);
        let (ours, theirs) = (document(ours.expose()), document(theirs));
        assert_eq!(ours["TLS.sig"], theirs["TLS.sig"], "{what}: HMAC differs");
        assert_eq!(ours, theirs, "{what}: documents differ");
    }
}

#[test]
fn agrees_with_the_npm_signer() {
    let script = root().join("tests/official/sign.mjs");
    assert!(
        root().join("node_modules/tls-sig-api-v2").is_dir(),
        "the npm signer is missing: run `npm ci` (make test does)"
    );
    let mut command = Command::new("node");
    command.arg(script);
    let cases = cases();
    check_against("npm tls-sig-api-v2", &run_signer(command, &cases), &cases);
}

#[test]
fn agrees_with_the_pypi_signer() {
    let target = pypi_signer();
    let mut command = Command::new("python3");
    command
        .arg(root().join("tests/official/sign.py"))
        .env("PYTHONPATH", &target);
    let cases = cases();
    check_against("PyPI tls-sig-api-v2", &run_signer(command, &cases), &cases);
}

/// Installs the PyPI signer into a git-ignored folder once.
fn pypi_signer() -> PathBuf {
    let target = root().join("target/pypi");
    if !target.join("TLSSigAPIv2.py").is_file() {
        let status = Command::new("python3")
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--root-user-action=ignore",
                "--target",
            ])
            .arg(&target)
            .arg(PYPI_SIGNER)
            .status()
            .expect("python3 is needed to install the PyPI signer");
        assert!(status.success(), "pip could not install {PYPI_SIGNER}");
    }
    target
}
