//! Reading JSON through whichever parser the platform has: `serde_json` natively, the
//! runtime's own `JSON.parse` in wasm, so that the Worker carries no JSON parser of its own.
//!
//! The request body, the vendor's answer and Cloudflare Access tokens are all read through
//! [`Json`], so the rules for what they must hold are written once and hold on both.

/// A string as a JSON string literal, in its quotes, for messages: quotes, backslashes and
/// control characters escaped, nothing else changed.
pub fn quoted(value: &str) -> String {
    quoted_within(value, usize::MAX, usize::MAX)
}

/// As [`quoted`], cut with `…` after `chars` characters, or before what is written between the
/// quotes, escapes included, would pass `bytes` bytes: for messages that stay short whatever
/// they quote.
pub fn quoted_within(value: &str, chars: usize, bytes: usize) -> String {
    let mut out = String::with_capacity(value.len().min(bytes) + 5);
    out.push('"');
    for (count, c) in value.chars().enumerate() {
        let before = out.len();
        if count == chars {
            out.push('…');
            break;
        }
        push_escaped(&mut out, c);
        if out.len() - 1 > bytes {
            out.truncate(before);
            out.push('…');
            break;
        }
    }
    out.push('"');
    out
}

/// One character as a JSON string writes it here.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let code = c as usize;
            out.push_str("\\u00");
            out.push(char::from(HEX[code >> 4]));
            out.push(char::from(HEX[code & 15]));
        }
        c => out.push(c),
    }
}

/// How far a JSON text's structure may reach before it is parsed: a parser builds every value
/// it reads, so a text nested or spread far past anything valid costs far more to parse than
/// the largest valid text; this scan costs one pass over the bytes and stops at the first excess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// The most arrays and objects nested one inside another.
    pub depth: usize,
    /// The most parts: each array and object counts one, and each comma between two members
    /// or items one more.
    pub parts: usize,
}

/// Which bound of an [`Extent`] a text went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeded {
    /// It nests deeper.
    Depth,
    /// It has more parts.
    Parts,
}

impl Extent {
    /// Scans `text` (JSON or not: what is not JSON is left to the parser) up to the first bound
    /// it goes past, outside strings only.
    pub fn check(self, text: &[u8]) -> Result<(), Exceeded> {
        let (mut depth, mut parts) = (0usize, 0usize);
        let (mut in_string, mut escaped) = (false, false);
        for &byte in text {
            if in_string {
                match (escaped, byte) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    (false, _) => {}
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    parts += 1;
                    if depth > self.depth {
                        return Err(Exceeded::Depth);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                b',' => parts += 1,
                _ => continue,
            }
            if parts > self.parts {
                return Err(Exceeded::Parts);
            }
        }
        Ok(())
    }
}

/// A text a JSON parser refused, with the parser's own account of why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotJson(pub String);

/// A parsed JSON value, as far as this crate reads one.
pub trait Json: Sized {
    /// Parses a JSON text; the error says what is wrong with it.
    fn parse(text: &str) -> Result<Self, NotJson>;
    /// The field `name` of an object, `null` included; `None` when absent, or when this is not
    /// an object.
    fn field_or_null(&self, name: &'static str) -> Option<Self>;
    /// Whether this is `null`.
    fn is_null(&self) -> bool;
    /// The string, when this is one that is well-formed Unicode.
    fn text(&self) -> Result<String, NotText>;
    /// The number, if this is one.
    fn number(&self) -> Option<f64>;
    /// The boolean, if this is one.
    fn boolean(&self) -> Option<bool>;
    /// The items, if this is an array.
    fn items(&self) -> Option<Vec<Self>>;
    /// Whether this is an object: not an array, not `null`.
    fn is_object(&self) -> bool;
    /// The names of an object's fields (none for anything else).
    fn keys(&self) -> Vec<String>;

    /// The field `name` of an object; `None` when absent, `null`, or when this is not an object.
    fn field(&self, name: &'static str) -> Option<Self> {
        self.field_or_null(name).filter(|value| !value.is_null())
    }

    /// The string, if this is a well-formed one.
    fn string(&self) -> Option<String> {
        self.text().ok()
    }

    /// The number, if this is a whole one that an `i64` holds exactly.
    fn integer(&self) -> Option<i64> {
        // 2^53: past it, a JavaScript number no longer holds every integer.
        const EXACT: f64 = 9_007_199_254_740_992.0;
        self.number()
            .filter(|n| n.fract() == 0.0 && n.abs() <= EXACT)
            .map(|n| n as i64)
    }
}

/// Why a JSON value is not usable as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotText {
    /// It is not a string at all.
    NotAString,
    /// It is a string holding a lone surrogate (as a `\u` escape can write one), which no
    /// UTF-8 text can carry: reading it would replace the surrogate and change the string.
    IllFormed,
}

/// `serde_json` refuses lone surrogate escapes while parsing, so its strings are always text.
impl Json for serde_json::Value {
    fn parse(text: &str) -> Result<Self, NotJson> {
        serde_json::from_str(text).map_err(|error| NotJson(error.to_string()))
    }

    fn field_or_null(&self, name: &'static str) -> Option<Self> {
        self.get(name).cloned()
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }

    fn text(&self) -> Result<String, NotText> {
        self.as_str().map(str::to_owned).ok_or(NotText::NotAString)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }

    fn is_object(&self) -> bool {
        self.is_object()
    }

    fn keys(&self) -> Vec<String> {
        self.as_object()
            .map(|object| object.keys().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// The field names read, as JavaScript strings, made once: a handful of names, read
    /// thousands of times in a batch.
    static FIELD_NAMES: std::cell::RefCell<Vec<(&'static str, wasm_bindgen::JsValue)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(target_arch = "wasm32")]
impl Json for wasm_bindgen::JsValue {
    fn parse(text: &str) -> Result<Self, NotJson> {
        use wasm_bindgen::JsCast;
        js_sys::JSON::parse(text).map_err(|error| {
            NotJson(
                error
                    .dyn_into::<js_sys::Error>()
                    .map(|error| String::from(error.message()))
                    .unwrap_or_default(),
            )
        })
    }

    fn field_or_null(&self, name: &'static str) -> Option<Self> {
        // `Reflect.get` throws on a primitive and finds no such name on an array, so no
        // separate check that this is an object is needed (the names read are never indices).
        FIELD_NAMES
            .with(|names| {
                let mut names = names.borrow_mut();
                let at = match names.iter().position(|(known, _)| *known == name) {
                    Some(at) => at,
                    None => {
                        names.push((name, wasm_bindgen::JsValue::from_str(name)));
                        names.len() - 1
                    }
                };
                js_sys::Reflect::get(self, &names[at].1)
            })
            .ok()
            .filter(|value| !value.is_undefined())
    }

    fn is_null(&self) -> bool {
        self.is_null()
    }

    fn text(&self) -> Result<String, NotText> {
        use wasm_bindgen::JsCast;
        let text = self.as_string().ok_or(NotText::NotAString)?;
        // Crossing into wasm, a lone surrogate becomes U+FFFD (EF BF BD in UTF-8); only for a
        // string with such a byte is it worth asking the runtime whether it was well-formed.
        let string = self.unchecked_ref::<js_sys::JsString>();
        if text.bytes().any(|byte| byte == 0xEF) && !string.is_well_formed() {
            return Err(NotText::IllFormed);
        }
        Ok(text)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        use wasm_bindgen::JsCast;
        self.dyn_ref::<js_sys::Array>().map(js_sys::Array::to_vec)
    }

    fn is_object(&self) -> bool {
        self.is_object() && !js_sys::Array::is_array(self)
    }

    fn keys(&self) -> Vec<String> {
        if !Json::is_object(self) {
            return Vec::new();
        }
        let keys =
            js_sys::Object::keys(wasm_bindgen::JsCast::unchecked_ref::<js_sys::Object>(self));
        keys.iter().filter_map(|key| key.as_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn null_and_absent_fields_read_the_same() {
        let value = json!({ "a": null, "b": 1 });
        assert_eq!(value.field("a"), None);
        assert_eq!(value.field_or_null("a"), Some(Value::Null));
        assert_eq!(value.field_or_null("missing"), None);
        assert_eq!(value.field("missing"), None);
        assert_eq!(value.field("b"), Some(json!(1)));
        assert_eq!(json!([1]).field("0"), None);
        assert!(!Json::is_object(&json!([])));
        assert!(!Json::is_object(&Value::Null));
    }

    #[test]
    fn integers_are_whole_numbers_a_double_holds_exactly() {
        assert_eq!(json!(90001).integer(), Some(90001));
        assert_eq!(json!(-3).integer(), Some(-3));
        assert_eq!(json!(1.5).integer(), None);
        assert_eq!(json!(1e300).integer(), None);
        assert_eq!(json!("7").integer(), None);
    }

    #[test]
    fn lone_surrogates_never_parse_natively() {
        for text in [r#""a\udfffb""#, r#""\ud800""#, r#""\ud800x""#] {
            assert!(<Value as Json>::parse(text).is_err(), "{text}");
        }
        let pair = <Value as Json>::parse(r#""\ud83d\ude00""#).unwrap();
        assert_eq!(pair.text(), Ok("😀".to_owned()));
        assert_eq!(json!(1).text(), Err(NotText::NotAString));
    }

    #[test]
    fn quoted_strings_read_back_as_json() {
        for text in [
            "plain",
            "say \"hi\"",
            "back\\slash",
            "line\nbreak\u{7f}",
            "用户 😀",
            "",
        ] {
            let written = quoted(text);
            assert_eq!(
                serde_json::from_str::<String>(&written).unwrap(),
                text,
                "{written}"
            );
        }
        assert_eq!(quoted("a\"b\n"), "\"a\\\"b\\u000a\"");
    }

    #[test]
    fn quoted_within_cuts_by_characters_and_by_escaped_bytes() {
        assert_eq!(quoted_within("abcdef", 3, 100), "\"abc…\"");
        assert_eq!(quoted_within("abc", 3, 100), "\"abc\"");
        // Six bytes an escaped control character: two fit in 12, not a third.
        assert_eq!(
            quoted_within("\u{1}\u{1}\u{1}", 40, 12),
            "\"\\u0001\\u0001…\""
        );
        assert_eq!(quoted_within("éé", 40, 3), "\"é…\"");
    }

    #[test]
    fn an_extent_counts_structure_outside_strings_only() {
        let bound = Extent { depth: 2, parts: 4 };
        assert_eq!(bound.check(br#"{"a":["x","y"],"b":1}"#), Ok(()));
        assert_eq!(bound.check(br#"{"a":[[1]]}"#), Err(Exceeded::Depth));
        assert_eq!(bound.check(br#"{"a":[1,2,3,4]}"#), Err(Exceeded::Parts));
        // Brackets, commas and escaped quotes inside strings are text.
        assert_eq!(bound.check(br#"{"a":["[[[,,,\"{{{"]}"#), Ok(()));
        assert_eq!(bound.check(br#"{"\\":[[1]]}"#), Err(Exceeded::Depth));
        // Closing more than was opened never wraps the depth around.
        assert_eq!(bound.check(b"]]]]{[1]}"), Ok(()));
    }

    #[test]
    fn a_parse_error_says_where() {
        let error = <Value as Json>::parse("{\"a\":").unwrap_err();
        assert!(error.0.contains("line 1"), "{error}");
    }
}
