//! The edge Worker's decisions, free of any runtime so that they test natively: its
//! configuration, routes, who may call, and the cached admin UserSig.

use std::rc::Rc;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::access_jwt::AccessConfig;
use crate::tags::validate_account;
use crate::upstream::{GET_TAG_PATH, get_tag_url_with, signed_query};
use crate::{Action, Error, Region, SecretKey, Signer, UserSig};

/// The largest request body the edge reads; 100 accounts of 32 bytes, fully escaped, fit.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The admin account when `TIM_ADMIN` is not set.
pub const DEFAULT_ADMIN: &str = "administrator";
/// How long the edge waits for the vendor when `UPSTREAM_TIMEOUT_MS` is not set.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;
/// The path of the health check.
pub const HEALTH_PATH: &str = "/healthz";
/// The shortest panel token accepted, so that a token cannot be guessed.
pub const MIN_TOKEN_CHARS: usize = 16;
/// How long a signed admin UserSig is valid.
const USERSIG_LIFETIME_SECS: u64 = 24 * 60 * 60;
/// A cached UserSig is signed again once it is this old, long before it expires.
const USERSIG_RENEW_AFTER_SECS: u64 = USERSIG_LIFETIME_SECS / 2;
/// The longest upstream timeout one may configure.
const MAX_TIMEOUT_MS: u32 = 60_000;
/// How long a caller over its rate limit is told to wait (`Retry-After`): the period of the
/// `[[ratelimits]]` binding in `wrangler.toml`, which the Worker cannot read, so the longest
/// period the platform offers, after which the caller's count has surely started again.
pub const RATE_LIMIT_RETRY_AFTER_SECS: &str = "60";
/// The longest `cf-ray` taken as a request id.
const MAX_REQUEST_ID_CHARS: usize = 64;
/// Tries of one forwarded call, all within the upstream timeout.
pub const MAX_TRIES: u32 = 3;
/// The backoff before the first retry, at most; it doubles with each try (full jitter).
const BACKOFF_MS: u32 = 100;
/// The same after a rate-limit code, which asks for a longer pause.
const RATE_LIMITED_BACKOFF_MS: u32 = 500;

/// What a request is for, once its method and path are known to be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST` get-tags: check, sign and forward.
    GetTags,
    /// `OPTIONS` on get-tags: the CORS preflight.
    Preflight,
    /// `GET /healthz`.
    Health,
}

/// Decides what a method and path are for, or refuses them (404, 405).
pub fn route(method: &str, path: &str) -> Result<Route, Error> {
    let not_allowed = |allow| Error::MethodNotAllowed {
        method: method.into(),
        allow,
    };
    match path {
        GET_TAG_PATH => match method {
            "POST" => Ok(Route::GetTags),
            "OPTIONS" => Ok(Route::Preflight),
            _ => Err(not_allowed("POST, OPTIONS")),
        },
        HEALTH_PATH => match method {
            "GET" | "HEAD" => Ok(Route::Health),
            _ => Err(not_allowed("GET, HEAD")),
        },
        _ => Err(Error::NotFound(path.into())),
    }
}

/// The header a refusal carries besides the common ones, if any: what the caller needs to
/// know to do better (the methods allowed, the scheme to authenticate with, when to come back).
pub fn refusal_header(error: &Error) -> Option<(&'static str, &'static str)> {
    match error {
        Error::MethodNotAllowed { allow, .. } => Some(("Allow", allow)),
        Error::Unauthorized => Some(("WWW-Authenticate", "Bearer")),
        Error::RateLimited => Some(("Retry-After", RATE_LIMIT_RETRY_AFTER_SECS)),
        _ => None,
    }
}

/// The id a request is logged and answered under (`X-Request-Id`): the runtime's `cf-ray`
/// when it is one (letters, digits and dashes), so that the platform's records and ours
/// meet; otherwise `random`, in hex.
pub fn request_id(cf_ray: Option<&str>, random: u64) -> String {
    match cf_ray.map(str::trim) {
        Some(ray)
            if (1..=MAX_REQUEST_ID_CHARS).contains(&ray.len())
                && ray.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            ray.to_owned()
        }
        _ => format!("{random:016x}"),
    }
}

/// One line of the request log: one JSON object per request the Worker answers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RequestLog<'a> {
    /// Always `"request"`.
    pub event: &'static str,
    /// The request id, as in `X-Request-Id`.
    pub id: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The path, without the query: callers may put anything there.
    pub path: &'a str,
    /// The HTTP status answered.
    pub status: u16,
    /// The `ErrorCode` answered: the vendor's for a forwarded call, the Worker's for a refusal.
    pub code: i64,
    /// Who called, once known; never a token.
    pub caller: Option<&'a str>,
    /// Calls made to the vendor (0 when none was).
    pub tries: u32,
    /// Milliseconds from the first call to the vendor to the last answer, when one was made.
    pub upstream_ms: Option<u64>,
    /// Milliseconds from the request to its answer.
    pub ms: u64,
    /// What the Worker said when it refused or failed; never a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info: Option<&'a str>,
}

impl RequestLog<'_> {
    /// The line, as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings and numbers always serialize")
    }
}

/// Who may call: the panel tokens, Cloudflare Access, and the origins allowed to call cross-origin.
pub struct Access {
    token_hashes: Vec<[u8; 32]>,
    allowed_origins: Vec<String>,
    jwt: Option<AccessConfig>,
}

impl Access {
    /// Reads `PANEL_TOKENS`, `ACCESS_TEAM_DOMAIN`, `ACCESS_AUD` and `ALLOWED_ORIGINS`; fails
    /// closed when no caller could ever be admitted.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let tokens = lookup("PANEL_TOKENS").unwrap_or_default();
        let tokens: Vec<&str> = list(&tokens).collect();
        let jwt = AccessConfig::from_env(&lookup)?;
        if tokens.is_empty() && jwt.is_none() {
            return Err(Error::Misconfigured(
                "no way to authenticate callers: set PANEL_TOKENS (wrangler secret put \
                 PANEL_TOKENS), or ACCESS_TEAM_DOMAIN and ACCESS_AUD"
                    .into(),
            ));
        }
        if let Some(index) = tokens
            .iter()
            .position(|t| t.chars().count() < MIN_TOKEN_CHARS)
        {
            return Err(Error::Misconfigured(format!(
                "PANEL_TOKENS entry #{index} is shorter than {MIN_TOKEN_CHARS} characters"
            )));
        }
        let allowed_origins = lookup("ALLOWED_ORIGINS").unwrap_or_default();
        Ok(Self {
            jwt,
            token_hashes: tokens.into_iter().map(hash).collect(),
            allowed_origins: list(&allowed_origins)
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
        })
    }

    /// Checks the `Origin` header against the allow-list. Returns the origin to echo in CORS
    /// headers, or `None` when the call is not cross-origin (no `Origin`, or our own).
    pub fn check_origin(
        &self,
        origin: Option<&str>,
        own_origin: &str,
    ) -> Result<Option<String>, Error> {
        match origin {
            None => Ok(None),
            Some(origin) if origin == own_origin => Ok(None),
            Some(origin) if self.allowed_origins.iter().any(|o| o == origin) => {
                Ok(Some(origin.into()))
            }
            Some(origin) => Err(Error::OriginNotAllowed(origin.into())),
        }
    }

    /// Cloudflare Access, when it is configured.
    pub fn jwt(&self) -> Option<&AccessConfig> {
        self.jwt.as_ref()
    }

    /// Checks an `Authorization` header; every token is compared, in constant time. Returns
    /// the caller's identity for rate limiting: a short hash of the token, never the token.
    pub fn check_credentials(&self, authorization: Option<&str>) -> Result<String, Error> {
        let token = authorization
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(Error::Unauthorized)?;
        let candidate = hash(token);
        let admitted = self
            .token_hashes
            .iter()
            .fold(subtle::Choice::from(0), |found, known| {
                found | known.ct_eq(&candidate)
            });
        if bool::from(admitted) {
            let short: String = candidate[..8].iter().map(|b| format!("{b:02x}")).collect();
            Ok(format!("token:{short}"))
        } else {
            Err(Error::Unauthorized)
        }
    }
}

/// Where and as whom the edge calls the vendor.
pub struct Upstream {
    signer: Signer,
    admin: String,
    origin: String,
    backup_origin: Option<String>,
    timeout_ms: u32,
    fingerprint: [u8; 32],
}

impl Upstream {
    /// Reads `TIM_SDKAPPID`, `TIM_SECRET_KEY`, `TIM_ADMIN`, `TIM_REGION`, `TIM_API_ORIGIN`,
    /// `TIM_API_BACKUP_ORIGIN` and `UPSTREAM_TIMEOUT_MS`, naming every setting that is missing
    /// or wrong. The region gives the main and backup origins; `TIM_API_ORIGIN` replaces both,
    /// with `TIM_API_BACKUP_ORIGIN` as its optional backup.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let mut problems = Vec::new();
        let sdkappid = match lookup("TIM_SDKAPPID").map(|v| v.trim().parse::<u64>()) {
            None => {
                problems.push("TIM_SDKAPPID is not set".to_owned());
                None
            }
            Some(Err(_)) => {
                problems.push("TIM_SDKAPPID must be a whole number".to_owned());
                None
            }
            Some(Ok(id)) => Some(id),
        };
        let key = lookup("TIM_SECRET_KEY");
        if key.is_none() {
            problems
                .push("TIM_SECRET_KEY is not set (wrangler secret put TIM_SECRET_KEY)".to_owned());
        }
        let admin = lookup("TIM_ADMIN").unwrap_or_else(|| DEFAULT_ADMIN.into());
        if let Err(e) = validate_account(0, &admin) {
            problems.push(format!("TIM_ADMIN is not a valid account ({e})"));
        }
        let mut origin_setting = |name: &str| match lookup(name) {
            Some(origin) if origin.starts_with("https://") || origin.starts_with("http://") => {
                Some(origin.trim_end_matches('/').to_owned())
            }
            Some(_) => {
                problems.push(format!("{name} must start with https:// or http://"));
                None
            }
            None => None,
        };
        let (origin, backup_origin) = match origin_setting("TIM_API_ORIGIN") {
            Some(origin) => (Some(origin), origin_setting("TIM_API_BACKUP_ORIGIN")),
            None if lookup("TIM_API_ORIGIN").is_some() => (None, None),
            None => match lookup("TIM_REGION").map(|r| r.parse::<Region>()) {
                Some(Ok(region)) => (Some(region.origin()), Some(region.backup_origin())),
                Some(Err(e)) => {
                    problems.push(format!("TIM_REGION: {e}"));
                    (None, None)
                }
                None => {
                    problems.push("TIM_REGION is not set".into());
                    (None, None)
                }
            },
        };
        let timeout_ms = match lookup("UPSTREAM_TIMEOUT_MS").map(|v| v.trim().parse::<u32>()) {
            None => DEFAULT_TIMEOUT_MS,
            Some(Ok(ms)) if (1..=MAX_TIMEOUT_MS).contains(&ms) => ms,
            Some(_) => {
                problems.push(format!("UPSTREAM_TIMEOUT_MS must be 1 to {MAX_TIMEOUT_MS}"));
                DEFAULT_TIMEOUT_MS
            }
        };
        match (sdkappid, key, origin) {
            (Some(sdkappid), Some(key), Some(origin)) if problems.is_empty() => Ok(Self {
                fingerprint: hash(&format!("{sdkappid}\n{admin}\n{key}")),
                signer: Signer::new(sdkappid, SecretKey::new(key)),
                admin,
                origin,
                backup_origin,
                timeout_ms,
            }),
            _ => Err(Error::Misconfigured(problems.join("; "))),
        }
    }

    /// The signed get-tags URL for one request, on the backup origin once the main one failed.
    pub fn url(&self, signed: &SignedQuery, random: u32, backup: bool) -> String {
        let origin = match (&self.backup_origin, backup) {
            (Some(backup_origin), true) => backup_origin,
            _ => &self.origin,
        };
        get_tag_url_with(origin, &signed.query, random)
    }

    /// How long to wait for the vendor.
    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
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
    pub fn get(&mut self, upstream: &Upstream, now: u64) -> Rc<SignedQuery> {
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

/// How one try of a forwarded call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryOutcome {
    /// The vendor answered with this `ErrorCode` (0 on success).
    Answered(i64),
    /// The vendor could not be reached.
    Unreachable,
    /// The vendor answered, but not with a readable get-tags answer (a 5xx, a cut answer).
    Unreadable,
    /// The time left ran out.
    TimedOut,
}

/// What to do after a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Pass on what the last try got.
    Stop,
    /// Try again after a pause.
    Retry {
        /// The pause, in milliseconds.
        after_ms: u32,
        /// Sign a new UserSig first (the vendor said the last one expired).
        sign_again: bool,
        /// Go to the backup origin (the main one could not be reached).
        use_backup: bool,
    },
}

/// The edge's retry policy for one forwarded call: up to [`MAX_TRIES`] tries with
/// exponential backoff and full jitter, inside the time left; one new signature after 70001;
/// never again after a configuration error or a refusal.
#[derive(Debug, Default)]
pub struct Retries {
    tries: u32,
    signed_again: bool,
}

impl Retries {
    /// Decides after a try; `remaining_ms` is the time left, `random` any random value.
    pub fn after(&mut self, outcome: TryOutcome, remaining_ms: f64, random: u32) -> Next {
        self.tries += 1;
        let (base, sign_again, use_backup) = match outcome {
            TryOutcome::Answered(0) | TryOutcome::TimedOut => return Next::Stop,
            TryOutcome::Answered(code) => match Action::for_code(code) {
                Action::SignAgain if !self.signed_again => (0, true, false),
                Action::Retry => (BACKOFF_MS, false, false),
                Action::RateLimited => (RATE_LIMITED_BACKOFF_MS, false, false),
                _ => return Next::Stop,
            },
            TryOutcome::Unreachable => (BACKOFF_MS, false, true),
            TryOutcome::Unreadable => (BACKOFF_MS, false, false),
        };
        let ceiling = base.saturating_mul(1 << (self.tries - 1).min(16));
        let after_ms = random % (ceiling + 1);
        if self.tries >= MAX_TRIES || f64::from(after_ms) >= remaining_ms {
            return Next::Stop;
        }
        self.signed_again |= sign_again;
        Next::Retry {
            after_ms,
            sign_again,
            use_backup,
        }
    }
}

/// The non-empty, trimmed entries of a comma-separated setting.
fn list(setting: &str) -> impl Iterator<Item = &str> {
    setting.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TOKEN: &str = "a-panel-token-of-32-characters!!";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn access() -> Access {
        Access::from_env(env(&[
            (
                "PANEL_TOKENS",
                &format!(" {TOKEN} , another-token-0123456789 ,"),
            ),
            (
                "ALLOWED_ORIGINS",
                "https://panel.example.com/, http://localhost:5173",
            ),
        ]))
        .unwrap()
    }

    fn upstream(extra: &[(&str, &str)]) -> Result<Upstream, Error> {
        let mut pairs = vec![
            ("TIM_SDKAPPID", "1400000000"),
            ("TIM_SECRET_KEY", "k"),
            ("TIM_REGION", "singapore"),
        ];
        pairs.extend_from_slice(extra);
        Upstream::from_env(env(&pairs))
    }

    #[test]
    fn routes() {
        assert_eq!(route("POST", GET_TAG_PATH), Ok(Route::GetTags));
        assert_eq!(route("OPTIONS", GET_TAG_PATH), Ok(Route::Preflight));
        assert_eq!(route("GET", "/healthz"), Ok(Route::Health));
        assert_eq!(route("GET", GET_TAG_PATH).unwrap_err().http_status(), 405);
        assert_eq!(route("POST", "/healthz").unwrap_err().http_status(), 405);
        assert_eq!(
            route("POST", "/v4/all_member_push/im_get_tag/")
                .unwrap_err()
                .http_status(),
            404
        );
        assert_eq!(
            route("GET", "/favicon.ico"),
            Err(Error::NotFound("/favicon.ico".into()))
        );
    }

    #[test]
    fn refusals_say_what_the_caller_needs_to_do_better() {
        let not_allowed = Error::MethodNotAllowed {
            method: "GET".into(),
            allow: "POST, OPTIONS",
        };
        assert_eq!(
            refusal_header(&not_allowed),
            Some(("Allow", "POST, OPTIONS"))
        );
        assert_eq!(
            refusal_header(&Error::Unauthorized),
            Some(("WWW-Authenticate", "Bearer"))
        );
        assert_eq!(
            refusal_header(&Error::RateLimited),
            Some(("Retry-After", "60"))
        );
        assert_eq!(refusal_header(&Error::NotFound("/x".into())), None);
    }

    #[test]
    fn a_request_id_is_the_ray_when_there_is_one_else_random() {
        assert_eq!(
            request_id(Some("8f1c2a3b4c5d6e7f-SIN"), 1),
            "8f1c2a3b4c5d6e7f-SIN"
        );
        assert_eq!(request_id(None, 0xabc), "0000000000000abc");
        for odd in ["", "a b", "x\"y", "ray\n{", &"r".repeat(65)] {
            assert_eq!(
                request_id(Some(odd), u64::MAX),
                "ffffffffffffffff",
                "{odd:?}"
            );
        }
    }

    #[test]
    fn a_request_line_is_one_json_object_with_the_names_of_the_contract() {
        let line = RequestLog {
            event: "request",
            id: "r1",
            method: "POST",
            path: "/v4/all_member_push/im_get_tag",
            status: 200,
            code: 0,
            caller: Some("ops \"night\"\n"),
            tries: 2,
            upstream_ms: Some(31),
            ms: 40,
            info: None,
        }
        .to_json();
        assert!(!line.contains('\n'), "{line}");
        let read: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            read,
            serde_json::json!({
                "event": "request", "id": "r1", "method": "POST",
                "path": "/v4/all_member_push/im_get_tag", "status": 200, "code": 0,
                "caller": "ops \"night\"\n", "tries": 2, "upstream_ms": 31, "ms": 40
            })
        );
    }

    #[test]
    fn no_tokens_fails_closed_and_weak_tokens_are_refused() {
        for pairs in [&[][..], &[("PANEL_TOKENS", " , ")][..]] {
            let error = Access::from_env(env(pairs)).err().unwrap();
            assert!(error.to_string().contains("set PANEL_TOKENS"), "{error}");
            assert_eq!(error.http_status(), 503);
        }
        let error = Access::from_env(env(&[("PANEL_TOKENS", &format!("{TOKEN},short"))]))
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("entry #1 is shorter than 16"),
            "{error}"
        );
    }

    #[test]
    fn access_alone_is_a_way_to_authenticate() {
        let access = Access::from_env(env(&[
            ("ACCESS_TEAM_DOMAIN", "team.cloudflareaccess.com"),
            ("ACCESS_AUD", "aud"),
        ]))
        .unwrap();
        assert_eq!(access.jwt().unwrap().audience, "aud");
        assert_eq!(
            access.check_credentials(Some("Bearer anything-at-all-here")),
            Err(Error::Unauthorized)
        );
    }

    #[test]
    fn only_a_listed_bearer_token_is_admitted() {
        let access = access();
        let first = access
            .check_credentials(Some(&format!("Bearer {TOKEN}")))
            .unwrap();
        let second = access
            .check_credentials(Some("bearer another-token-0123456789"))
            .unwrap();
        assert!(first.starts_with("token:") && first.len() == 22, "{first}");
        assert_ne!(first, second);
        assert!(!first.contains(TOKEN));
        for wrong in [
            None,
            Some(""),
            Some(TOKEN),
            Some("Basic a-panel-token-of-32-characters!!"),
            Some("Bearer a-panel-token-of-32-characters!"),
            Some("Bearer "),
        ] {
            assert_eq!(
                access.check_credentials(wrong),
                Err(Error::Unauthorized),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn origins_are_matched_exactly() {
        let access = access();
        let own = "https://tags.example.workers.dev";
        assert_eq!(access.check_origin(None, own), Ok(None));
        assert_eq!(access.check_origin(Some(own), own), Ok(None));
        assert_eq!(
            access.check_origin(Some("https://panel.example.com"), own),
            Ok(Some("https://panel.example.com".into()))
        );
        for refused in [
            "https://panel.example.com.evil.net",
            "http://panel.example.com",
            "null",
        ] {
            assert_eq!(
                access.check_origin(Some(refused), own),
                Err(Error::OriginNotAllowed(refused.into()))
            );
        }
    }

    #[test]
    fn upstream_config_names_what_is_missing() {
        let message = |pairs: &[(&str, &str)]| {
            Upstream::from_env(env(pairs))
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
                "TIM_ADMIN is not a valid account",
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
    fn the_url_follows_the_configuration_only() {
        let upstream = upstream(&[]).unwrap();
        let sig = UserSigCache::default().get(&upstream, 1_000);
        let url = upstream.url(&sig, 7, false);
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
        let url = emulated.url(&sig, 8, false);
        assert!(
            url.starts_with("http://127.0.0.1:9000/v4/all_member_push/im_get_tag?"),
            "{url}"
        );
        assert!(url.contains("&identifier=ops&"), "{url}");
        assert_eq!(emulated.timeout_ms(), DEFAULT_TIMEOUT_MS);
        // Without a backup origin, the backup is the main origin again.
        assert_eq!(emulated.url(&sig, 8, true), url);
    }

    #[test]
    fn the_backup_origin_is_the_region_s_or_the_configured_one() {
        let region = upstream(&[]).unwrap();
        let sig = UserSigCache::default().get(&region, 1);
        assert!(
            region
                .url(&sig, 1, true)
                .starts_with("https://adminapisgp.my-imcloud.com/v4/")
        );
        let local = upstream(&[
            ("TIM_API_ORIGIN", "http://127.0.0.1:9000"),
            ("TIM_API_BACKUP_ORIGIN", "http://127.0.0.1:9001"),
        ])
        .unwrap();
        assert!(
            local
                .url(&sig, 1, true)
                .starts_with("http://127.0.0.1:9001/v4/")
        );
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

    /// The decisions after each outcome in turn, with plenty of time left.
    fn decide(outcomes: &[TryOutcome], random: u32) -> Vec<Next> {
        let mut retries = Retries::default();
        outcomes
            .iter()
            .map(|&o| retries.after(o, 10_000.0, random))
            .collect()
    }

    fn again(after_ms: u32, sign_again: bool, use_backup: bool) -> Next {
        Next::Retry {
            after_ms,
            sign_again,
            use_backup,
        }
    }

    #[test]
    fn retries_follow_the_codes() {
        // Passing vendor errors: three tries in all.
        for code in [91000, 60008, 70169, 70202, 70500] {
            let answered = TryOutcome::Answered(code);
            assert_eq!(
                decide(&[answered; 3], 0),
                [again(0, false, false), again(0, false, false), Next::Stop]
            );
        }
        for code in [60007, 60011, 60018, 60019, 70050] {
            assert_eq!(
                decide(&[TryOutcome::Answered(code)], 0),
                [again(0, false, false)]
            );
        }
        // Configuration errors and refusals are never retried; success ends it.
        for code in [
            0, 70009, 70013, 70014, 70016, 70020, 60010, 70403, 90001, 90009, 90018,
        ] {
            assert_eq!(
                decide(&[TryOutcome::Answered(code)], 0),
                [Next::Stop],
                "{code}"
            );
        }
        // 70001: sign again once, at once.
        let expired = TryOutcome::Answered(70001);
        assert_eq!(
            decide(&[expired, expired], 7),
            [again(0, true, false), Next::Stop]
        );
        // The main origin unreachable: the backup; a timeout used up the time.
        assert_eq!(
            decide(&[TryOutcome::Unreachable], 0),
            [again(0, false, true)]
        );
        assert_eq!(
            decide(&[TryOutcome::Unreadable], 0),
            [again(0, false, false)]
        );
        assert_eq!(decide(&[TryOutcome::TimedOut], 0), [Next::Stop]);
    }

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_ceiling() {
        let pauses = |outcomes: &[TryOutcome], index: usize| -> Vec<u32> {
            (0..5_000u32)
                .map(|random| match decide(outcomes, random)[index] {
                    Next::Retry { after_ms, .. } => after_ms,
                    Next::Stop => panic!("stopped"),
                })
                .collect()
        };
        let busy = [TryOutcome::Answered(91000); 2];
        let limited = [TryOutcome::Answered(60007); 2];
        for (outcomes, index, ceiling) in [
            (&busy, 0, 100),
            (&busy, 1, 200),
            (&limited, 0, 500),
            (&limited, 1, 1000),
        ] {
            let pauses = pauses(outcomes, index);
            assert_eq!(pauses.iter().min(), Some(&0));
            assert_eq!(pauses.iter().max(), Some(&ceiling));
        }
    }

    #[test]
    fn retries_use_full_jitter_and_stay_inside_the_time_left() {
        let mut retries = Retries::default();
        assert_eq!(
            retries.after(TryOutcome::Answered(91000), 10_000.0, 150),
            Next::Retry {
                after_ms: 150 % 101,
                sign_again: false,
                use_backup: false
            }
        );
        let mut retries = Retries::default();
        assert_eq!(
            retries.after(TryOutcome::Answered(91000), 50.0, 80),
            Next::Stop
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
