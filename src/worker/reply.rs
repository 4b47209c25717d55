//! Answers: a reply is built in Rust and becomes the runtime's `Response` once, from header
//! templates made once per isolate.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;
use web_sys::Response;

use super::js::build_response;
use crate::api::answer::{Answer, VendorError};
use crate::api::codes::Coded;
use crate::edge::EdgeError;
use crate::edge::routes::{COMMON_HEADERS, JSON_HEADERS, PREFLIGHT_HEADERS, refusal_header};

/// An answer before it becomes the runtime's `Response`, which is built once, in [`respond`].
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: ReplyBody,
    kind: Kind,
    /// A header that only this answer carries.
    pub(super) extra: Option<(&'static str, String)>,
    /// The `RateLimit-Policy` and `RateLimit` fields, on the vendor paths.
    pub(super) rate: Option<(String, String)>,
    /// The `ErrorCode` it carries: the vendor's for a forwarded call, for the log.
    pub(super) code: i64,
}

/// An answer's body: text written here, or bytes that stay in JavaScript.
pub(super) enum ReplyBody {
    Empty,
    Text(String),
    /// An `ArrayBuffer`, or a view of one.
    Bytes(Object),
}

/// Which set of headers an answer starts from.
#[derive(Clone, Copy)]
enum Kind {
    Json,
    Preflight,
}

impl Reply {
    /// The answer to a CORS preflight: no body, the preflight's headers.
    pub(super) fn preflight() -> Self {
        Self {
            status: 204,
            body: ReplyBody::Empty,
            kind: Kind::Preflight,
            extra: None,
            rate: None,
            code: 0,
        }
    }

    /// The vendor's answer as it came, carrying its `ErrorCode` for the log.
    pub(super) fn forwarded(code: i64, body: Object) -> Self {
        Self {
            code,
            ..Reply::json(200, ReplyBody::Bytes(body))
        }
    }

    pub(super) fn json(status: u16, body: ReplyBody) -> Self {
        Self {
            status,
            body,
            kind: Kind::Json,
            extra: None,
            rate: None,
            code: 0,
        }
    }
}

/// A vendor-shaped answer for a refusal, with the status that says why.
pub(super) fn refusal(error: &EdgeError) -> Reply {
    let body = Answer::failure(&VendorError::from_error(error)).to_json();
    Reply {
        extra: refusal_header(error),
        code: error.code(),
        ..Reply::json(error.http_status(), ReplyBody::Text(body))
    }
}

thread_local! {
    /// The headers of each kind of answer, built once per isolate as plain objects that the
    /// runtime reads when it builds a `Response`.
    static JSON_TEMPLATE: Object = headers(&JSON_HEADERS);
    static PREFLIGHT_TEMPLATE: Object = headers(&PREFLIGHT_HEADERS);
}

/// The headers every answer carries, and those of its kind.
fn headers(of_kind: &[(&str, &str)]) -> Object {
    let headers = Object::new();
    for (name, value) in COMMON_HEADERS.iter().chain(of_kind) {
        let _ = Reflect::set(&headers, &(*name).into(), &(*value).into());
    }
    headers
}

/// Builds the runtime's `Response`: the headers of its kind, and those of this answer alone.
pub(super) fn respond(answer: Reply, cors: Option<&str>, id: &str) -> Result<Response, JsValue> {
    let template = match answer.kind {
        Kind::Json => &JSON_TEMPLATE,
        Kind::Preflight => &PREFLIGHT_TEMPLATE,
    };
    let body = match answer.body {
        ReplyBody::Empty => JsValue::NULL,
        ReplyBody::Text(text) => JsValue::from_str(&text),
        ReplyBody::Bytes(bytes) => bytes.into(),
    };
    let (extra_name, extra_value) = answer.extra.unzip();
    let (policy, rate) = answer.rate.unzip();
    template.with(|headers| {
        build_response(
            answer.status,
            &body,
            headers,
            id,
            extra_name,
            extra_value.as_deref(),
            cors,
            policy.as_deref(),
            rate.as_deref(),
        )
    })
}
