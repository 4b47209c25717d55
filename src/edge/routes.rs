//! What a request is for, read from its method and URL; the headers a refusal adds; and how
//! much of a body the Worker reads.

use crate::api::calls::{Call, SESSION_PATH};
use crate::edge::EdgeError;
use crate::edge::history::HistoryRoute;

/// The health check.
pub const HEALTH_PATH: &str = "/healthz";
/// The headers every answer of the Worker's own routes carries. `Vary: Origin` because the
/// CORS headers an answer carries depend on the caller's `Origin`.
pub const COMMON_HEADERS: [(&str, &str); 3] = [
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Vary", "Origin"),
];
/// The headers of an answer with a JSON body, besides the common ones: a page on an allowed
/// origin may read when to come back, the app's rate, and the request id.
pub const JSON_HEADERS: [(&str, &str); 2] = [
    ("Content-Type", "application/json; charset=utf-8"),
    (
        "Access-Control-Expose-Headers",
        "Retry-After, RateLimit-Policy, RateLimit, X-Request-Id, X-Tim-History",
    ),
];
/// The headers of a CORS preflight's answer, besides the common ones and the origin: every
/// route it answers takes these methods and headers.
pub const PREFLIGHT_HEADERS: [(&str, &str); 3] = [
    ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
    (
        "Access-Control-Allow-Headers",
        "Authorization, Content-Type, X-Tim-Batch",
    ),
    ("Access-Control-Max-Age", "600"),
];
/// How long a caller over its rate limit is told to wait (`Retry-After`): the period of the
/// `[[ratelimits]]` binding in `wrangler.toml`, which the Worker cannot read, so the longest
/// period the platform offers, after which the caller's count has surely started again.
pub const RATE_LIMIT_RETRY_AFTER_SECS: &str = "60";
/// How much of a body streamed past its limit is read, and dropped, before the refusal, so
/// that a client still sending sees the 413 rather than a cut connection.
pub const DRAIN_BYTES: usize = 1024 * 1024;

/// What a request is for, once its method and path are known to be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `POST` one of the eight calls: check, sign and forward.
    Call(Call),
    /// `OPTIONS` on a call or on `/session`: the CORS preflight.
    Preflight,
    /// `GET /session`.
    Session,
    /// `GET /healthz`.
    Health,
    /// The history: its list, one change, or an undo.
    History(HistoryRoute),
}

/// Decides what a method and path are for, or refuses them (404, 405).
pub fn route(method: &str, path: &str) -> Result<Route, EdgeError> {
    let not_allowed = |allow| EdgeError::MethodNotAllowed {
        method: method.into(),
        allow,
    };
    if let Some(call) = Call::at(path) {
        return match method {
            "POST" => Ok(Route::Call(call)),
            "OPTIONS" => Ok(Route::Preflight),
            _ => Err(not_allowed("POST, OPTIONS")),
        };
    }
    if let Some(history) = HistoryRoute::at(path) {
        return match (history, method) {
            (_, "OPTIONS") => Ok(Route::Preflight),
            (HistoryRoute::Undo(_), "POST") => Ok(Route::History(history)),
            (HistoryRoute::Undo(_), _) => Err(not_allowed("POST, OPTIONS")),
            (HistoryRoute::List | HistoryRoute::Change(_), "GET" | "HEAD") => {
                Ok(Route::History(history))
            }
            (HistoryRoute::List | HistoryRoute::Change(_), _) => Err(not_allowed("GET, OPTIONS")),
        };
    }
    match (path, method) {
        (SESSION_PATH, "GET" | "HEAD") => Ok(Route::Session),
        (SESSION_PATH, "OPTIONS") => Ok(Route::Preflight),
        (SESSION_PATH, _) => Err(not_allowed("GET, OPTIONS")),
        (HEALTH_PATH, "GET" | "HEAD") => Ok(Route::Health),
        (HEALTH_PATH, _) => Err(not_allowed("GET, HEAD")),
        _ => Err(EdgeError::NotFound(path.into())),
    }
}

/// The header a refusal carries besides the common ones, if any: what the caller needs to
/// know to do better (the methods allowed, the scheme to authenticate with, when to come back).
pub fn refusal_header(error: &EdgeError) -> Option<(&'static str, String)> {
    match error {
        EdgeError::MethodNotAllowed { allow, .. } => Some(("Allow", (*allow).into())),
        EdgeError::Unauthorized => Some(("WWW-Authenticate", "Bearer".into())),
        EdgeError::RateLimited => Some(("Retry-After", RATE_LIMIT_RETRY_AFTER_SECS.into())),
        EdgeError::NoSlot { retry_after_s } => Some(("Retry-After", retry_after_s.to_string())),
        EdgeError::Body(_)
        | EdgeError::History(_)
        | EdgeError::ReadOnly { .. }
        | EdgeError::OriginNotAllowed(_)
        | EdgeError::NotFound(_)
        | EdgeError::BodyTooLarge { .. }
        | EdgeError::Misconfigured(_)
        | EdgeError::UpstreamUnreachable
        | EdgeError::UpstreamNotAnAnswer(_)
        | EdgeError::UpstreamTimeout { .. }
        | EdgeError::Internal(_) => None,
    }
}

/// The scheme and host of a serialized URL, as the runtime hands it over already parsed.
pub fn origin_of(url: &str) -> &str {
    let host = url.find("://").map_or(0, |i| i + 3);
    &url[..url[host..].find('/').map_or(url.len(), |i| host + i)]
}

/// The path of a serialized URL, without its query or fragment.
pub fn path_of(url: &str) -> &str {
    let rest = &url[origin_of(url).len()..];
    match &rest[..rest.find(['?', '#']).unwrap_or(rest.len())] {
        "" => "/",
        path => path,
    }
}

/// What to do with the next part of a body that came without a `Content-Length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPart {
    /// Keep it: the body is still within its limit.
    Keep,
    /// Read it and drop it: the body is over its limit, but the client may still be sending.
    Drop,
    /// Stop reading and refuse.
    Refuse,
}

/// Whether to keep a part of a streamed body, given how much has arrived with it (`received`)
/// and the call's limit.
pub fn body_part(received: usize, limit: usize) -> BodyPart {
    if received <= limit {
        BodyPart::Keep
    } else if received <= limit + DRAIN_BYTES {
        BodyPart::Drop
    } else {
        BodyPart::Refuse
    }
}

/// A body's declared length, when its `Content-Length` is a number: the runtime holds the body
/// to it, so such a body can be taken whole once the length is within the limit.
pub fn declared_length(content_length: Option<&str>) -> Option<usize> {
    content_length.and_then(|length| length.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::calls::{Operation, TagApi};

    #[test]
    fn the_eight_calls_session_and_health_are_routes() {
        for call in Call::all() {
            assert_eq!(route("POST", call.path()), Ok(Route::Call(call)));
            assert_eq!(route("OPTIONS", call.path()), Ok(Route::Preflight));
            let error = route("GET", call.path()).unwrap_err();
            assert_eq!(error.http_status(), 405);
            assert_eq!(
                refusal_header(&error),
                Some(("Allow", "POST, OPTIONS".into()))
            );
        }
        assert_eq!(route("GET", "/session"), Ok(Route::Session));
        assert_eq!(route("OPTIONS", "/session"), Ok(Route::Preflight));
        assert_eq!(route("POST", "/session").unwrap_err().http_status(), 405);
        assert_eq!(route("GET", "/healthz"), Ok(Route::Health));
        assert_eq!(route("POST", "/healthz").unwrap_err().http_status(), 405);
        for unknown in [
            "/v4/all_member_push/im_get_tag/",
            "/v4/timpush/get_tags",
            "/favicon.ico",
            "/",
        ] {
            assert_eq!(
                route("POST", unknown),
                Err(EdgeError::NotFound(unknown.into()))
            );
        }
        let add = Call {
            operation: Operation::Add,
            api: TagApi::Timpush,
        };
        assert_eq!(route("POST", "/v4/timpush/add_tag"), Ok(Route::Call(add)));
    }

    #[test]
    fn every_answer_is_not_cached_nor_sniffed_and_preflights_allow_what_the_panel_sends() {
        assert!(COMMON_HEADERS.contains(&("Cache-Control", "no-store")));
        assert!(COMMON_HEADERS.contains(&("X-Content-Type-Options", "nosniff")));
        let allowed = |name: &str| {
            PREFLIGHT_HEADERS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
        };
        assert_eq!(
            allowed("Access-Control-Allow-Methods"),
            Some("GET, POST, OPTIONS")
        );
        assert_eq!(
            allowed("Access-Control-Allow-Headers"),
            Some("Authorization, Content-Type, X-Tim-Batch")
        );
    }

    #[test]
    fn refusals_say_what_the_caller_needs_to_do_better() {
        assert_eq!(
            refusal_header(&EdgeError::Unauthorized),
            Some(("WWW-Authenticate", "Bearer".into()))
        );
        assert_eq!(
            refusal_header(&EdgeError::RateLimited),
            Some(("Retry-After", "60".into()))
        );
        assert_eq!(
            refusal_header(&EdgeError::NoSlot { retry_after_s: 2 }),
            Some(("Retry-After", "2".into()))
        );
        assert_eq!(refusal_header(&EdgeError::NotFound("/x".into())), None);
    }

    #[test]
    fn urls_split_into_origin_and_path() {
        let cases = [
            (
                "https://tags.example.workers.dev/v4/timpush/get_tag?usersig=x#y",
                "https://tags.example.workers.dev",
                "/v4/timpush/get_tag",
            ),
            ("http://127.0.0.1:8787", "http://127.0.0.1:8787", "/"),
            ("http://127.0.0.1:8787/?a=/b", "http://127.0.0.1:8787", "/"),
            ("http://localhost/session#x", "http://localhost", "/session"),
        ];
        for (url, origin, path) in cases {
            assert_eq!((origin_of(url), path_of(url)), (origin, path), "{url}");
        }
    }

    #[test]
    fn a_body_is_kept_to_its_limit_then_drained_then_refused() {
        assert_eq!(body_part(10, 10), BodyPart::Keep);
        assert_eq!(body_part(11, 10), BodyPart::Drop);
        assert_eq!(body_part(10 + DRAIN_BYTES, 10), BodyPart::Drop);
        assert_eq!(body_part(11 + DRAIN_BYTES, 10), BodyPart::Refuse);
        assert_eq!(declared_length(Some(" 65537")), Some(65537));
        assert_eq!(declared_length(None), None);
        assert_eq!(declared_length(Some("lots")), None);
    }
}
