//! The IETF `RateLimit-Policy` and `RateLimit` fields, as the Worker writes them on the vendor
//! paths and the package reads them: policy `"vendor"`, a quota of calls in a window of one
//! second, what is left of it, and when the window resets.

/// The fields' values: `"vendor";q=<quota>;w=1` and `"vendor";r=<remaining>;t=<reset_s>`.
pub fn fields(quota: u32, remaining: u32, reset_s: u32) -> (String, String) {
    (
        format!(r#""vendor";q={quota};w=1"#),
        format!(r#""vendor";r={remaining};t={reset_s}"#),
    )
}

/// The quota of a `RateLimit-Policy` value: calls a second.
pub fn quota(policy: &str) -> Option<u32> {
    parameter(policy, b'q')
}

/// What is left of the window, from a `RateLimit` value.
pub fn remaining(rate: &str) -> Option<u32> {
    parameter(rate, b'r')
}

/// The seconds of a `Retry-After` value that is a number of seconds.
pub fn seconds(retry_after: &str) -> Option<u32> {
    whole(retry_after.trim_ascii().as_bytes())
}

/// The whole number a parameter `;<name>=<n>` of the `"vendor"` item holds. Read byte by
/// byte: the browser package carries no general parser for it.
fn parameter(value: &str, name: u8) -> Option<u32> {
    let rest = value.trim_ascii().strip_prefix(r#""vendor""#)?.as_bytes();
    rest.split(|byte| *byte == b';')
        .find_map(|part| match part.trim_ascii() {
            [key, b'=', digits @ ..] if *key == name => whole(digits),
            _ => None,
        })
}

/// A whole number written in decimal digits, and nothing else.
fn whole(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |number, digit| {
        let digit = char::from(*digit).to_digit(10)?;
        number.checked_mul(10)?.checked_add(digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_worker_writes_the_package_reads() {
        let (policy, rate) = fields(100, 37, 1);
        assert_eq!(policy, r#""vendor";q=100;w=1"#);
        assert_eq!(rate, r#""vendor";r=37;t=1"#);
        assert_eq!(quota(&policy), Some(100));
        assert_eq!(remaining(&rate), Some(37));
    }

    #[test]
    fn other_policies_and_broken_values_read_as_nothing() {
        for value in [
            "",
            r#""other";q=5;w=1"#,
            r#""vendor";q=x"#,
            r#""vendor""#,
            "q=5",
        ] {
            assert_eq!(quota(value), None, "{value}");
        }
        assert_eq!(quota(r#" "vendor"; w=1; q=7 "#), Some(7));
    }

    #[test]
    fn retry_after_is_whole_seconds() {
        assert_eq!(seconds(" 2 "), Some(2));
        for wrong in [
            "",
            "-1",
            "1.5",
            "Wed, 21 Oct 2026 07:28:00 GMT",
            "99999999999",
        ] {
            assert_eq!(seconds(wrong), None, "{wrong}");
        }
    }
}
