//! Where and as whom the Worker calls the vendor, read from its settings; and the admin
//! UserSig, signed once and reused.

use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::Region;
use crate::api::account::account_problem;
use crate::api::calls::{Call, TagApi};
use crate::api::named::Named;
use crate::api::region::{signed_query, url_with};
use crate::api::usersig::{SecretKey, Signer, UserSig};
use crate::edge::pace::Pace;
use crate::edge::setting::{MAX_UPSTREAM_TIMEOUT_MS, SettingProblem, SettingProblems};

/// The admin account when `TIM_ADMIN` is not set.
pub const DEFAULT_ADMIN: &str = "administrator";
/// How long the Worker waits for the vendor when `UPSTREAM_TIMEOUT_MS` is not set.
pub const DEFAULT_UPSTREAM_TIMEOUT_MS: u32 = 10_000;
/// The longest upstream timeout one may configure.
/// How long a signed admin UserSig is valid.
const USERSIG_LIFETIME_SECS: u64 = 24 * 60 * 60;
/// A cached UserSig is signed again once it is this old, long before it expires.
const USERSIG_RENEW_AFTER_SECS: u64 = USERSIG_LIFETIME_SECS / 2;

/// Where and as whom the edge calls the vendor.
pub struct UpstreamSettings {
    api: TagApi,
    signer: Signer,
    admin: String,
    origin: String,
    backup_origin: Option<String>,
    timeout_ms: u32,
    pace: Pace,
    fingerprint: [u8; 32],
}

impl UpstreamSettings {
    /// Reads `TIM_SDKAPPID`, `TIM_SECRET_KEY`, `TIM_ADMIN`, `TIM_REGION`, `TIM_API_ORIGIN`,
    /// `TIM_API_BACKUP_ORIGIN`, `UPSTREAM_TIMEOUT_MS`, `TIM_TAG_API` and the pace
    /// (`TIM_CALLS_PER_SECOND`, `PACE_MAX_WAIT_MS`), naming every setting that is missing or
    /// wrong. The region gives the main and backup origins; `TIM_API_ORIGIN` replaces both,
    /// with `TIM_API_BACKUP_ORIGIN` as its optional backup.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingProblems> {
        let mut problems = Vec::new();
        let sdkappid = read_sdkappid(&lookup, &mut problems);
        let key = lookup("TIM_SECRET_KEY");
        if key.is_none() {
            problems.push(SettingProblem::NoSecretKey);
        }
        let admin = lookup("TIM_ADMIN").unwrap_or_else(|| DEFAULT_ADMIN.into());
        if let Some(problem) = account_problem(TagApi::AllMemberPush, &admin) {
            problems.push(SettingProblem::Admin(problem));
        }
        let api = match lookup("TIM_TAG_API").map(|name| TagApi::named(&name)) {
            None => TagApi::AllMemberPush,
            Some(Ok(api)) => api,
            Some(Err(unknown)) => {
                problems.push(SettingProblem::TagApi(unknown));
                TagApi::AllMemberPush
            }
        };
        let (origin, backup_origin) = read_origins(&lookup, &mut problems);
        let timeout_ms = read_timeout(&lookup, &mut problems);
        let pace = Pace::from_env(&lookup).unwrap_or_else(|SettingProblems(wrong)| {
            problems.extend(wrong);
            Pace::default()
        });
        match (sdkappid, key, origin) {
            (Some(sdkappid), Some(key), Some(origin)) if problems.is_empty() => Ok(Self {
                fingerprint: hash(&format!("{sdkappid}\n{admin}\n{key}")),
                signer: Signer::new(sdkappid, SecretKey::new(key)),
                api,
                admin,
                origin,
                backup_origin,
                timeout_ms,
                pace,
            }),
            _ => Err(SettingProblems(problems)),
        }
    }

    /// The signed URL of one try of `call`, on the backup origin once the main one failed.
    pub fn url(&self, call: Call, signed: &SignedQuery, random: u32, backup: bool) -> String {
        let origin = match (&self.backup_origin, backup) {
            (Some(backup_origin), true) => backup_origin,
            _ => &self.origin,
        };
        url_with(origin, call.path(), &signed.query, random)
    }

    /// How fast the app may call the vendor, and how long a call may wait for its slot.
    pub fn pace(&self) -> Pace {
        self.pace
    }

    /// The app's SDKAppID.
    pub fn sdkappid(&self) -> u64 {
        self.signer.sdkappid()
    }

    /// The generation of the tag API the app has switched on (`TIM_TAG_API`).
    pub fn api(&self) -> TagApi {
        self.api
    }

    /// How long to wait for the vendor, all tries included.
    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }
}

/// `TIM_SDKAPPID`: the app's number.
fn read_sdkappid(
    lookup: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<SettingProblem>,
) -> Option<u64> {
    match lookup("TIM_SDKAPPID").map(|v| v.trim().parse::<u64>()) {
        None => problems.push(SettingProblem::NotSet("TIM_SDKAPPID")),
        Some(Err(_)) => problems.push(SettingProblem::NotAWholeNumber("TIM_SDKAPPID")),
        Some(Ok(id)) => return Some(id),
    }
    None
}

/// The main and backup origins: `TIM_API_ORIGIN` (and `TIM_API_BACKUP_ORIGIN`) when set,
/// else those of `TIM_REGION`.
fn read_origins(
    lookup: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<SettingProblem>,
) -> (Option<String>, Option<String>) {
    let mut origin_setting = |name: &'static str| match lookup(name) {
        Some(origin) if origin.starts_with("https://") || origin.starts_with("http://") => {
            Some(origin.trim_end_matches('/').to_owned())
        }
        Some(_) => {
            problems.push(SettingProblem::NotAnOrigin(name));
            None
        }
        None => None,
    };
    if let Some(origin) = origin_setting("TIM_API_ORIGIN") {
        return (Some(origin), origin_setting("TIM_API_BACKUP_ORIGIN"));
    }
    if lookup("TIM_API_ORIGIN").is_some() {
        return (None, None);
    }
    match lookup("TIM_REGION").map(|name| Region::named(&name)) {
        Some(Ok(region)) => (Some(region.origin()), Some(region.backup_origin())),
        Some(Err(unknown)) => {
            problems.push(SettingProblem::Region(unknown));
            (None, None)
        }
        None => {
            problems.push(SettingProblem::NotSet("TIM_REGION"));
            (None, None)
        }
    }
}

/// `UPSTREAM_TIMEOUT_MS`: 1 to 60,000, by default 10,000.
fn read_timeout(
    lookup: &impl Fn(&str) -> Option<String>,
    problems: &mut Vec<SettingProblem>,
) -> u32 {
    match lookup("UPSTREAM_TIMEOUT_MS").map(|v| v.trim().parse::<u32>()) {
        None => DEFAULT_UPSTREAM_TIMEOUT_MS,
        Some(Ok(ms)) if (1..=MAX_UPSTREAM_TIMEOUT_MS).contains(&ms) => ms,
        Some(_) => {
            problems.push(SettingProblem::Timeout);
            DEFAULT_UPSTREAM_TIMEOUT_MS
        }
    }
}

/// An admin UserSig and the query that carries it, URL-encoded once for all its requests.
#[derive(Debug, PartialEq, Eq)]
pub struct SignedQuery {
    usersig: UserSig,
    query: String,
}

impl SignedQuery {
    /// The UserSig itself, to keep it out of log lines.
    pub fn usersig(&self) -> &UserSig {
        &self.usersig
    }
}

/// The admin UserSig, signed once and reused until it is half-way to expiring.
#[derive(Default)]
pub struct UserSigCache {
    entry: Option<CachedSig>,
}

struct CachedSig {
    fingerprint: [u8; 32],
    signed_at: u64,
    signed: Rc<SignedQuery>,
}

impl UserSigCache {
    /// Drops the cached UserSig, so that the next `get` signs anew (after 70001, expired).
    pub fn clear(&mut self) {
        self.entry = None;
    }

    /// The UserSig for `upstream` at the Unix time `now`, signing a new one when needed.
    pub fn get(&mut self, upstream: &UpstreamSettings, now: u64) -> Rc<SignedQuery> {
        let fresh = |c: &CachedSig| {
            c.fingerprint == upstream.fingerprint
                && now >= c.signed_at
                && now - c.signed_at < USERSIG_RENEW_AFTER_SECS
        };
        match &self.entry {
            Some(cached) if fresh(cached) => Rc::clone(&cached.signed),
            _ => {
                let signer = &upstream.signer;
                let usersig = signer.sign(&upstream.admin, now, USERSIG_LIFETIME_SECS, None);
                let query = signed_query(signer.sdkappid(), &upstream.admin, &usersig);
                let signed = Rc::new(SignedQuery { usersig, query });
                self.entry = Some(CachedSig {
                    fingerprint: upstream.fingerprint,
                    signed_at: now,
                    signed: Rc::clone(&signed),
                });
                signed
            }
        }
    }
}

fn hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::EdgeError;
    use crate::edge::tests::env;

    const GET: Call = Call {
        operation: crate::api::calls::Operation::Get,
        api: TagApi::AllMemberPush,
    };

    fn upstream(extra: &[(&str, &str)]) -> Result<UpstreamSettings, EdgeError> {
        let mut pairs = vec![
            ("TIM_SDKAPPID", "1400000000"),
            ("TIM_SECRET_KEY", "k"),
            ("TIM_REGION", "singapore"),
        ];
        pairs.extend_from_slice(extra);
        UpstreamSettings::from_env(env(&pairs)).map_err(EdgeError::Misconfigured)
    }

    #[test]
    fn upstream_config_names_what_is_missing() {
        let message = |pairs: &[(&str, &str)]| {
            UpstreamSettings::from_env(env(pairs))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let all_missing = message(&[]);
        assert!(
            all_missing.contains("TIM_SDKAPPID is not set"),
            "{all_missing}"
        );
        assert!(
            all_missing.contains("TIM_SECRET_KEY is not set"),
            "{all_missing}"
        );
        let no_key = message(&[("TIM_SDKAPPID", "1"), ("TIM_REGION", "china")]);
        assert!(
            no_key.contains("TIM_SECRET_KEY is not set") && !no_key.contains("SDKAPPID"),
            "{no_key}"
        );
        let bad = message(&[("TIM_SDKAPPID", "14e8"), ("TIM_SECRET_KEY", "secret-value")]);
        assert!(bad.contains("TIM_SDKAPPID must be a whole number"), "{bad}");
        let mut texts = vec![all_missing, no_key, bad];
        let too_long = "a".repeat(33);
        for (setting, value, expected) in [
            ("TIM_REGION", "mars", "TIM_REGION: unknown region \"mars\""),
            (
                "TIM_API_ORIGIN",
                "ftp://x",
                "TIM_API_ORIGIN must start with",
            ),
            (
                "UPSTREAM_TIMEOUT_MS",
                "0",
                "UPSTREAM_TIMEOUT_MS must be 1 to 60000",
            ),
            (
                "TIM_ADMIN",
                too_long.as_str(),
                "TIM_ADMIN is not a valid UserID: it is 33 bytes long",
            ),
        ] {
            let text = upstream(&[(setting, value)]).err().unwrap().to_string();
            assert!(text.contains(expected), "{text}");
            texts.push(text);
        }
        for text in texts {
            assert!(!text.contains("secret-value"), "{text}");
        }
    }

    #[test]
    fn the_tag_api_is_the_legacy_one_unless_set() {
        assert_eq!(upstream(&[]).unwrap().api(), TagApi::AllMemberPush);
        assert_eq!(
            upstream(&[("TIM_TAG_API", "timpush")]).unwrap().api(),
            TagApi::Timpush
        );
        let wrong = upstream(&[("TIM_TAG_API", "push")])
            .err()
            .unwrap()
            .to_string();
        assert!(
            wrong.contains("TIM_TAG_API: unknown tag API \"push\""),
            "{wrong}"
        );
        let add = Call {
            operation: crate::api::calls::Operation::Add,
            api: TagApi::Timpush,
        };
        let settings = upstream(&[]).unwrap();
        let sig = UserSigCache::default().get(&settings, 1);
        assert!(
            settings
                .url(add, &sig, 1, false)
                .starts_with("https://adminapisgp.im.qcloud.com/v4/timpush/add_tag?")
        );
    }

    #[test]
    fn the_url_follows_the_configuration_only() {
        let upstream = upstream(&[]).unwrap();
        let sig = UserSigCache::default().get(&upstream, 1_000);
        let url = upstream.url(GET, &sig, 7, false);
        assert!(
            url.starts_with("https://adminapisgp.im.qcloud.com/v4/all_member_push/im_get_tag?")
        );
        assert!(url.contains("&identifier=administrator&sdkappid=1400000000&random=7&"));
        let emulated = self::upstream(&[
            ("TIM_API_ORIGIN", "http://127.0.0.1:9000/"),
            ("TIM_ADMIN", "ops"),
        ])
        .unwrap();
        let sig = UserSigCache::default().get(&emulated, 1_000);
        let url = emulated.url(GET, &sig, 8, false);
        assert!(
            url.starts_with("http://127.0.0.1:9000/v4/all_member_push/im_get_tag?"),
            "{url}"
        );
        assert!(url.contains("&identifier=ops&"), "{url}");
        assert_eq!(emulated.timeout_ms(), DEFAULT_UPSTREAM_TIMEOUT_MS);
        // Without a backup origin, the backup is the main origin again.
        assert_eq!(emulated.url(GET, &sig, 8, true), url);
    }

    #[test]
    fn the_backup_origin_is_the_region_s_or_the_configured_one() {
        let backup_url = |settings: &UpstreamSettings| {
            let sig = UserSigCache::default().get(settings, 1);
            settings.url(GET, &sig, 1, true)
        };
        let region = upstream(&[]).unwrap();
        assert!(backup_url(&region).starts_with("https://adminapisgp.my-imcloud.com/v4/"));
        let local = upstream(&[
            ("TIM_API_ORIGIN", "http://127.0.0.1:9000"),
            ("TIM_API_BACKUP_ORIGIN", "http://127.0.0.1:9001"),
        ])
        .unwrap();
        assert!(backup_url(&local).starts_with("http://127.0.0.1:9001/v4/"));
        let bad = upstream(&[
            ("TIM_API_ORIGIN", "http://a"),
            ("TIM_API_BACKUP_ORIGIN", "b"),
        ]);
        let message = bad.err().unwrap().to_string();
        assert!(
            message.contains("TIM_API_BACKUP_ORIGIN must start with"),
            "{message}"
        );
    }

    #[test]
    fn the_usersig_is_reused_then_renewed_long_before_it_expires() {
        let upstream = upstream(&[]).unwrap();
        let mut cache = UserSigCache::default();
        let first = cache.get(&upstream, 1_000);
        assert_eq!(
            cache.get(&upstream, 1_000 + USERSIG_RENEW_AFTER_SECS - 1),
            first
        );
        let renewed = cache.get(&upstream, 1_000 + USERSIG_RENEW_AFTER_SECS);
        assert_ne!(renewed, first);
        let claims = upstream
            .signer
            .verify(
                "administrator",
                renewed.usersig().expose(),
                1_000 + USERSIG_RENEW_AFTER_SECS,
            )
            .unwrap();
        assert_eq!(claims.expire, USERSIG_LIFETIME_SECS);
        // A clock that goes back, or another key, also signs anew.
        assert_ne!(cache.get(&upstream, 999), renewed);
        let other_key = self::upstream(&[("TIM_SECRET_KEY", "k2")]).unwrap();
        let other = cache.get(&other_key, 999);
        assert!(
            other_key
                .signer
                .verify("administrator", other.usersig().expose(), 999)
                .is_ok()
        );
    }
}
