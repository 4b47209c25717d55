//! The get-tags request and response as they are on the wire, and the validation of a request.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::json::{Json, NotText};

/// The most accounts one call may ask for.
pub const MAX_ACCOUNTS: usize = 100;
/// The longest account name (UserID), in UTF-8 bytes.
pub const MAX_ACCOUNT_BYTES: usize = 32;
/// How much of an over-long account name an error message quotes.
const QUOTED_ACCOUNT_CHARS: usize = 40;

/// A valid get-tags request body: 1 to 100 accounts, each 1 to 32 bytes.
///
/// The field is private so that every value of this type has passed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetTagsRequest {
    #[serde(rename = "To_Account")]
    to_account: Vec<String>,
}

impl GetTagsRequest {
    /// Validates a list of accounts.
    pub fn new(accounts: Vec<String>) -> Result<Self, Error> {
        validate_accounts(&accounts)?;
        Ok(Self {
            to_account: accounts,
        })
    }

    /// Parses and validates a request body as a caller sends it.
    ///
    /// Fields other than `To_Account` are ignored and are not forwarded.
    pub fn from_json(body: &[u8]) -> Result<Self, Error> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(invalid_json)?;
        Self::from_value(&value)
    }

    /// Validates a request body that a JSON parser has read.
    pub fn from_value(body: &impl Json) -> Result<Self, Error> {
        if !body.is_object() {
            return Err(Error::InvalidBody(
                "expected a JSON object {\"To_Account\": [...]}".into(),
            ));
        }
        let Some(items) = body.field("To_Account").and_then(|list| list.items()) else {
            return Err(Error::InvalidBody(
                "To_Account must be present and be an array of account names".into(),
            ));
        };
        if items.len() > MAX_ACCOUNTS {
            return Err(Error::TooManyAccounts { count: items.len() });
        }
        let accounts = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.text().map_err(|not_text| {
                    Error::InvalidBody(match not_text {
                        NotText::NotAString => format!("To_Account[{index}] is not a string"),
                        NotText::IllFormed => format!(
                            "To_Account[{index}] is not well-formed Unicode: it holds a lone surrogate"
                        ),
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(accounts)
    }

    /// The accounts, in the order given.
    pub fn accounts(&self) -> &[String] {
        &self.to_account
    }

    /// The body to send to the vendor.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a list of strings always serializes")
    }
}

/// The refusal of a body that is not JSON; `detail` is the parser's account of why.
pub fn invalid_json(detail: impl std::fmt::Display) -> Error {
    Error::InvalidBody(format!("not valid JSON ({detail})"))
}

/// The vendor's `ErrorCode` in an answer to get-tags (0 when absent), or `None` when the
/// answer is not of the vendor's shape: an object with an `ActionStatus` string.
pub fn answer_code(answer: &impl Json) -> Option<i64> {
    answer.field("ActionStatus")?.string()?;
    match answer.field("ErrorCode") {
        None => Some(0),
        Some(code) => code.integer(),
    }
}

/// Checks that one call may ask for these accounts: 1 to 100 of them, each 1 to 32 bytes.
pub fn validate_accounts<S: AsRef<str>>(accounts: &[S]) -> Result<(), Error> {
    if accounts.is_empty() {
        return Err(Error::NoAccounts);
    }
    if accounts.len() > MAX_ACCOUNTS {
        return Err(Error::TooManyAccounts {
            count: accounts.len(),
        });
    }
    accounts
        .iter()
        .enumerate()
        .try_for_each(|(index, account)| validate_account(index, account.as_ref()))
}

/// Checks one account name; `index` is its position, for the error message.
pub fn validate_account(index: usize, account: &str) -> Result<(), Error> {
    match account.len() {
        0 => Err(Error::EmptyAccount { index }),
        bytes if bytes > MAX_ACCOUNT_BYTES => Err(Error::AccountTooLong {
            index,
            account: quote(account),
            bytes,
        }),
        _ => Ok(()),
    }
}

/// Shortens a long account name so that an error message stays readable.
fn quote(account: &str) -> String {
    match account.char_indices().nth(QUOTED_ACCOUNT_CHARS) {
        Some((cut, _)) => format!("{}…", &account[..cut]),
        None => account.to_owned(),
    }
}

/// The vendor's answer to get-tags, or the vendor-shaped answer of a refusal.
///
/// Fields the vendor may add later are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetTagsResponse {
    /// `OK` or `FAIL`.
    #[serde(rename = "ActionStatus")]
    pub action_status: String,
    /// 0 on success, otherwise the vendor's error code.
    #[serde(rename = "ErrorCode", default)]
    pub error_code: i64,
    /// The error text; empty on success.
    #[serde(rename = "ErrorInfo", default)]
    pub error_info: String,
    /// One entry per account asked for.
    #[serde(rename = "UserTags", default, skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<Vec<UserTags>>,
}

/// The tags of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserTags {
    /// The account (UserID).
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// Its push tags.
    #[serde(rename = "Tags", default)]
    pub tags: Vec<String>,
}

impl GetTagsResponse {
    /// A successful answer.
    pub fn ok(user_tags: Vec<UserTags>) -> Self {
        Self {
            action_status: "OK".into(),
            error_code: 0,
            error_info: String::new(),
            user_tags: Some(user_tags),
        }
    }

    /// The answer that refuses a request, in the vendor's shape.
    pub fn failure(error: &Error) -> Self {
        Self {
            action_status: "FAIL".into(),
            error_code: error.code(),
            error_info: error.to_string(),
            user_tags: None,
        }
    }

    /// The tags on success, or the vendor's error.
    pub fn into_result(self) -> Result<Vec<UserTags>, Error> {
        if self.action_status == "OK" && self.error_code == 0 {
            Ok(self.user_tags.unwrap_or_default())
        } else {
            Err(Error::Vendor {
                code: self.error_code,
                info: self.error_info,
            })
        }
    }

    /// The answer as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings and numbers always serialize")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<GetTagsRequest, Error> {
        GetTagsRequest::from_json(body.as_bytes())
    }

    #[test]
    fn a_valid_body_round_trips_without_extra_fields() {
        let request = parse(r#"{"To_Account":["user_a","用户"],"Extra":1}"#).unwrap();
        assert_eq!(request.accounts(), ["user_a", "用户"]);
        assert_eq!(request.to_json(), r#"{"To_Account":["user_a","用户"]}"#);
    }

    #[test]
    fn malformed_bodies_say_what_is_wrong() {
        let cases = [
            ("", "not valid JSON"),
            ("{\"To_Account\": [", "not valid JSON"),
            ("[\"a\"]", "expected a JSON object"),
            ("{}", "To_Account must be present"),
            (
                "{\"To_Account\": \"a\"}",
                "To_Account must be present and be an array",
            ),
            (
                "{\"To_Account\": [\"a\", 7]}",
                "To_Account[1] is not a string",
            ),
            ("{\"To_Account\": [\"a\\udfffb\"]}", "not valid JSON"),
        ];
        for (body, expected) in cases {
            let error = parse(body).unwrap_err();
            assert_eq!(error.code(), 90001, "{body}");
            assert!(error.to_string().contains(expected), "{body}: {error}");
        }
    }

    #[test]
    fn account_limits_name_the_offending_account() {
        assert_eq!(parse(r#"{"To_Account":[]}"#), Err(Error::NoAccounts));
        assert_eq!(
            parse(r#"{"To_Account":["a",""]}"#),
            Err(Error::EmptyAccount { index: 1 })
        );
        let long = "x".repeat(33);
        let error = parse(&format!(r#"{{"To_Account":["ok","{long}"]}}"#)).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("account #1 ({long:?}) is 33 bytes long; at most 32 bytes are allowed")
        );
        // 32 bytes is allowed, counted in bytes, not characters: 11 × 3 bytes is 33.
        assert!(GetTagsRequest::new(vec!["y".repeat(32)]).is_ok());
        assert_eq!(
            GetTagsRequest::new(vec!["用".repeat(11)])
                .unwrap_err()
                .code(),
            90001
        );
    }

    #[test]
    fn very_long_accounts_are_quoted_short() {
        let error = validate_accounts(&["é".repeat(1000)]).unwrap_err();
        let Error::AccountTooLong { account, bytes, .. } = error else {
            panic!("unexpected {error:?}")
        };
        assert_eq!(bytes, 2000);
        assert_eq!(account, format!("{}…", "é".repeat(40)));
    }

    #[test]
    fn more_than_100_accounts_is_90018() {
        let accounts: Vec<String> = (0..101).map(|i| format!("u{i}")).collect();
        let body = serde_json::json!({ "To_Account": accounts }).to_string();
        assert_eq!(parse(&body), Err(Error::TooManyAccounts { count: 101 }));
        assert_eq!(parse(&body).unwrap_err().code(), 90018);
        assert!(GetTagsRequest::new(accounts[..100].to_vec()).is_ok());
    }

    #[test]
    fn responses_tolerate_new_fields_and_turn_failures_into_errors() {
        let ok: GetTagsResponse = serde_json::from_str(
            r#"{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"NewField":{"x":1},
                "UserTags":[{"To_Account":"a","Tags":["t1","t2"],"Since":3}]}"#,
        )
        .unwrap();
        assert_eq!(
            ok.into_result().unwrap(),
            vec![UserTags {
                to_account: "a".into(),
                tags: vec!["t1".into(), "t2".into()]
            }]
        );
        let fail: GetTagsResponse = serde_json::from_str(
            r#"{"ActionStatus":"FAIL","ErrorInfo":"Fail to Parse json data of body","ErrorCode":90001}"#,
        )
        .unwrap();
        assert_eq!(
            fail.into_result(),
            Err(Error::Vendor {
                code: 90001,
                info: "Fail to Parse json data of body".into()
            })
        );
    }

    #[test]
    fn an_answer_code_is_read_only_from_an_answer_of_the_vendor_shape() {
        let code =
            |text: &str| answer_code(&serde_json::from_str::<serde_json::Value>(text).unwrap());
        assert_eq!(
            code(r#"{"ActionStatus":"OK","ErrorCode":0,"UserTags":[]}"#),
            Some(0)
        );
        assert_eq!(
            code(r#"{"ActionStatus":"FAIL","ErrorCode":70001}"#),
            Some(70001)
        );
        assert_eq!(code(r#"{"ActionStatus":"OK"}"#), Some(0));
        for not_an_answer in [
            r#"{"ErrorCode":0}"#,
            r#"{"ActionStatus":1,"ErrorCode":0}"#,
            r#"{"ActionStatus":"OK","ErrorCode":"0"}"#,
            r#"{"ActionStatus":"OK","ErrorCode":0.5}"#,
            r#"["ActionStatus"]"#,
            "null",
        ] {
            assert_eq!(code(not_an_answer), None, "{not_an_answer}");
        }
    }

    #[test]
    fn a_refusal_has_the_vendor_shape() {
        let body = GetTagsResponse::failure(&Error::TooManyAccounts { count: 150 }).to_json();
        assert_eq!(
            body,
            r#"{"ActionStatus":"FAIL","ErrorCode":90018,"ErrorInfo":"To_Account has 150 accounts; at most 100 are allowed per call"}"#
        );
        let ok = GetTagsResponse::ok(vec![]).to_json();
        assert_eq!(
            ok,
            r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","UserTags":[]}"#
        );
    }
}
