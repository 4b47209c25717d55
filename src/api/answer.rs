//! The vendor's answers. One reader for the Worker, the browser package and the tests: the
//! status every answer carries, the tags a get lists, and the accounts that failed
//! (`ErrorList`, the current generation's partial success); and one writer of answers, for
//! the emulator and for the Worker's own refusals, which take the vendor's shape.

use serde::{Deserialize, Serialize};

use crate::api::codes::Coded;
use crate::api::json::Json;
use crate::api::request::UserTags;

/// What every answer says: 0 and no text on success, else the vendor's code and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `ErrorCode`: 0 on success.
    pub code: i64,
    /// `ErrorInfo`: empty on success.
    pub info: String,
}

impl Status {
    /// Reads the status of an answer; `None` when it is not of the vendor's shape: an object
    /// with an `ActionStatus` string, and an integer `ErrorCode`, which only `OK` may leave
    /// out (it means 0), and which `FAIL` may not give as 0.
    pub fn read(answer: &impl Json) -> Option<Status> {
        let ok = answer.field("ActionStatus")?.string()? == "OK";
        let code = match answer.field("ErrorCode") {
            None if ok => 0,
            None => return None,
            Some(code) => code.integer()?,
        };
        if !ok && code == 0 {
            return None;
        }
        let info = answer
            .field("ErrorInfo")
            .and_then(|info| info.string())
            .unwrap_or_default();
        Some(Status { code, info })
    }

    /// Whether the call succeeded, as a whole (some accounts may still have failed).
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

/// One account the vendor could not serve, from an answer's `ErrorList`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountError {
    /// The account.
    #[serde(rename = "To_Account")]
    pub to_account: String,
    /// Why, as a code: 70107 when the account does not exist.
    #[serde(rename = "ErrorCode")]
    pub code: i64,
    /// Why, in words; the vendor may leave it out.
    #[serde(rename = "ErrorInfo", default)]
    pub info: String,
}

/// The accounts an answer lists as failed (none when it has no `ErrorList`); `None` when the
/// list is there but not a list of `{To_Account, ErrorCode[, ErrorInfo]}`.
pub fn failed_accounts(answer: &impl Json) -> Option<Vec<AccountError>> {
    match answer.field("ErrorList") {
        None => Some(Vec::new()),
        Some(list) => account_errors(&list),
    }
}

/// A list of `{To_Account, ErrorCode[, ErrorInfo]}`, as `ErrorList` and an undo's `failed`
/// hold it; `None` when it is not one.
pub fn account_errors(list: &impl Json) -> Option<Vec<AccountError>> {
    let entries = list.items()?;
    let mut failed = Vec::with_capacity(entries.len());
    for entry in &entries {
        failed.push(AccountError {
            to_account: entry.field("To_Account")?.string()?,
            code: entry.field("ErrorCode")?.integer()?,
            info: match entry.field("ErrorInfo") {
                None => String::new(),
                Some(info) => info.string()?,
            },
        });
    }
    Some(failed)
}

/// The `UserTags` of a get answer, each entry as it is with its account (none when the
/// answer has none); `None` when an entry is not `{To_Account: string, Tags: [string]}`.
pub fn answered_tags<J: Json>(answer: &J) -> Option<Vec<(String, J)>> {
    let Some(list) = answer.field("UserTags") else {
        return Some(Vec::new());
    };
    let entries = list.items()?;
    let mut answered = Vec::with_capacity(entries.len());
    for entry in entries {
        let account = entry.field("To_Account")?.string()?;
        let tags = entry.field("Tags")?.items()?;
        tags.iter()
            .all(|tag| tag.string().is_some())
            .then_some(())?;
        answered.push((account, entry));
    }
    Some(answered)
}

/// An answer that failed as a whole, as the vendor gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("vendor error {code}: {info}")]
pub struct VendorError {
    /// `ErrorCode`.
    pub code: i64,
    /// `ErrorInfo`.
    pub info: String,
}

impl Coded for VendorError {
    fn code(&self) -> i64 {
        self.code
    }
}

impl VendorError {
    /// The same failure for anything with a code and a message.
    pub fn from_error<E: Coded + std::fmt::Display>(error: &E) -> Self {
        Self {
            code: error.code(),
            info: error.to_string(),
        }
    }
}

/// An answer in the vendor's shape, to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer<'a> {
    /// `OK` or `FAIL`.
    #[serde(rename = "ActionStatus")]
    pub action_status: &'static str,
    /// 0 on success.
    #[serde(rename = "ErrorCode")]
    pub code: i64,
    /// Empty on success.
    #[serde(rename = "ErrorInfo")]
    pub info: &'a str,
    /// A get's tags.
    #[serde(rename = "UserTags", skip_serializing_if = "Option::is_none")]
    pub user_tags: Option<&'a [UserTags]>,
    /// The accounts that failed, when some did.
    #[serde(rename = "ErrorList", skip_serializing_if = "<[_]>::is_empty")]
    pub error_list: &'a [AccountError],
}

impl<'a> Answer<'a> {
    /// Success, with a get's tags and the accounts that failed.
    pub fn ok(user_tags: Option<&'a [UserTags]>, error_list: &'a [AccountError]) -> Self {
        Self {
            action_status: "OK",
            code: 0,
            info: "",
            user_tags,
            error_list,
        }
    }

    /// A failure of the whole call.
    pub fn failure(error: &'a VendorError) -> Self {
        Self {
            action_status: "FAIL",
            code: error.code,
            info: &error.info,
            user_tags: None,
            error_list: &[],
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
    use serde_json::Value;

    fn read(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_status_is_read_only_from_an_answer_of_the_vendor_shape() {
        let status = |text: &str| Status::read(&read(text)).map(|s| (s.code, s.info));
        assert_eq!(
            status(r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#),
            Some((0, "".into()))
        );
        assert_eq!(
            status(r#"{"ActionStatus":"FAIL","ErrorCode":70001,"ErrorInfo":"expired"}"#),
            Some((70001, "expired".into()))
        );
        assert_eq!(status(r#"{"ActionStatus":"OK"}"#), Some((0, "".into())));
        assert_eq!(
            status(r#"{"ActionStatus":"OK","ErrorCode":91000}"#),
            Some((91000, "".into()))
        );
        for not_an_answer in [
            r#"{"ErrorCode":0}"#,
            r#"{"ActionStatus":1,"ErrorCode":0}"#,
            r#"{"ActionStatus":"OK","ErrorCode":"0"}"#,
            r#"{"ActionStatus":"OK","ErrorCode":0.5}"#,
            r#"{"ActionStatus":"FAIL"}"#,
            r#"{"ActionStatus":"FAIL","ErrorCode":0}"#,
            r#"["ActionStatus"]"#,
            "null",
        ] {
            assert_eq!(status(not_an_answer), None, "{not_an_answer}");
        }
    }

    #[test]
    fn failed_accounts_come_from_the_error_list_with_or_without_info() {
        let answer = read(
            r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorList":[
                {"To_Account":"mary","ErrorCode":70107,"ErrorInfo":"account does not exist"},
                {"To_Account":"joe","ErrorCode":70107}]}"#,
        );
        assert_eq!(
            failed_accounts(&answer).unwrap(),
            [
                AccountError {
                    to_account: "mary".into(),
                    code: 70107,
                    info: "account does not exist".into()
                },
                AccountError {
                    to_account: "joe".into(),
                    code: 70107,
                    info: String::new()
                },
            ]
        );
        assert_eq!(
            failed_accounts(&read(r#"{"ActionStatus":"OK"}"#)),
            Some(vec![])
        );
        for bad in [
            r#"{"ErrorList":{}}"#,
            r#"{"ErrorList":[{"To_Account":"a"}]}"#,
            r#"{"ErrorList":[{"To_Account":1,"ErrorCode":1}]}"#,
        ] {
            assert_eq!(failed_accounts(&read(bad)), None, "{bad}");
        }
    }

    #[test]
    fn user_tags_are_checked_for_shape_and_kept_as_they_are() {
        let answer = read(
            r#"{"UserTags":[{"To_Account":"a","Tags":["x"],"New":1},{"To_Account":"b","Tags":[]}]}"#,
        );
        let entries = answered_tags(&answer).unwrap();
        assert_eq!(entries[0].0, "a");
        assert_eq!(entries[0].1["New"], 1);
        assert_eq!(entries[1].0, "b");
        assert_eq!(answered_tags(&read("{}")).map(|e| e.len()), Some(0));
        for bad in [
            r#"{"UserTags":[{"To_Account":"a"}]}"#,
            r#"{"UserTags":[{"To_Account":"a","Tags":[1]}]}"#,
        ] {
            assert!(answered_tags(&read(bad)).is_none(), "{bad}");
        }
    }

    #[test]
    fn answers_are_written_in_the_vendor_shape() {
        let failure = VendorError {
            code: 90018,
            info: "too many".into(),
        };
        assert_eq!(
            Answer::failure(&failure).to_json(),
            r#"{"ActionStatus":"FAIL","ErrorCode":90018,"ErrorInfo":"too many"}"#
        );
        let tags = [UserTags {
            to_account: "a".into(),
            tags: vec!["x".into()],
        }];
        let failed = [AccountError {
            to_account: "b".into(),
            code: 70107,
            info: "no".into(),
        }];
        assert_eq!(
            Answer::ok(Some(&tags), &failed).to_json(),
            r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","UserTags":[{"To_Account":"a","Tags":["x"]}],"ErrorList":[{"To_Account":"b","ErrorCode":70107,"ErrorInfo":"no"}]}"#
        );
        assert_eq!(
            Answer::ok(None, &[]).to_json(),
            r#"{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}"#
        );
    }
}
