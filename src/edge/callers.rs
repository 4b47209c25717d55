//! Who may call the Worker, and what they may do: panel tokens that may read
//! (`PANEL_TOKENS`) or read and write (`PANEL_WRITE_TOKENS`), each with a name for the logs;
//! Cloudflare Access identities, who may read, and write when `ACCESS_WRITERS` lists them;
//! and the origins allowed to call cross-origin.

use sha2::{Digest, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::api::calls::Scope;
use crate::edge::access::{AccessConfig, Identity};
use crate::edge::setting::{
    MAX_NAME_CHARS, MIN_TOKEN_CHARS, SettingProblem, SettingProblems, TokenProblem,
};
use crate::edge::{EdgeError, list};

/// An admitted caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Its name, for logs and `/session`: the token entry's name, or the Access e-mail.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// Whether Access admitted it, rather than a token.
    pub by_access: bool,
}

impl Caller {
    /// What its calls are counted under for the rate limit: one count per name and way in.
    pub fn rate_limit_key(&self) -> String {
        let way = if self.by_access { "access" } else { "token" };
        format!("{way}:{}", self.name)
    }

    /// Whether it may make calls that need `scope`.
    pub fn may(&self, scope: Scope) -> bool {
        self.scope >= scope
    }
}

/// One panel token, kept as a hash.
struct TokenEntry {
    hash: [u8; 32],
    name: String,
    scope: Scope,
}

/// Who may call: the panel tokens, Cloudflare Access, and the origins allowed to call cross-origin.
pub struct Callers {
    tokens: Vec<TokenEntry>,
    allowed_origins: Vec<String>,
    access: Option<AccessConfig>,
    access_writers: Vec<String>,
}

impl Callers {
    /// Reads `PANEL_TOKENS`, `PANEL_WRITE_TOKENS`, `ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`,
    /// `ACCESS_WRITERS` and `ALLOWED_ORIGINS`, naming every entry that is wrong (by its place,
    /// never by its token); fails closed when no caller could ever be admitted.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingProblems> {
        let mut problems = Vec::new();
        let mut tokens = Vec::new();
        for (setting, scope, default_name) in [
            ("PANEL_TOKENS", Scope::Read, "token"),
            ("PANEL_WRITE_TOKENS", Scope::Write, "write-token"),
        ] {
            let value = lookup(setting).unwrap_or_default();
            for (index, entry) in list(&value).enumerate() {
                match token_entry(entry, scope, || format!("{default_name}-{}", index + 1)) {
                    Ok(entry) => tokens.push(entry),
                    Err(problem) => problems.push(SettingProblem::TokenEntry {
                        setting,
                        entry: index + 1,
                        problem,
                    }),
                }
            }
        }
        let repeated = tokens
            .iter()
            .enumerate()
            .any(|(i, entry)| tokens[..i].iter().any(|other| other.hash == entry.hash));
        if repeated {
            problems.push(SettingProblem::TokenTwice);
        }
        let access = AccessConfig::from_env(&lookup)?;
        if tokens.is_empty() && access.is_none() && problems.is_empty() {
            problems.push(SettingProblem::NoCallers);
        }
        if !problems.is_empty() {
            return Err(SettingProblems(problems));
        }
        let origins = lookup("ALLOWED_ORIGINS").unwrap_or_default();
        let writers = lookup("ACCESS_WRITERS").unwrap_or_default();
        Ok(Self {
            tokens,
            allowed_origins: list(&origins)
                .map(|o| o.trim_end_matches('/').to_owned())
                .collect(),
            access,
            access_writers: list(&writers).map(str::to_ascii_lowercase).collect(),
        })
    }

    /// Checks the `Origin` header against the allow-list. Returns the origin to echo in CORS
    /// headers, or `None` when the call is not cross-origin (no `Origin`, or our own).
    pub fn check_origin(
        &self,
        origin: Option<&str>,
        own_origin: &str,
    ) -> Result<Option<String>, EdgeError> {
        match origin {
            None => Ok(None),
            Some(origin) if origin == own_origin => Ok(None),
            Some(origin) if self.allowed_origins.iter().any(|o| o == origin) => {
                Ok(Some(origin.into()))
            }
            Some(origin) => Err(EdgeError::OriginNotAllowed(origin.into())),
        }
    }

    /// Cloudflare Access, when it is configured.
    pub fn access(&self) -> Option<&AccessConfig> {
        self.access.as_ref()
    }

    /// The caller an `Authorization: Bearer` header admits. Every token is compared, in
    /// constant time, so that the time taken says nothing about which one matched, or how
    /// nearly.
    pub fn by_token(&self, authorization: Option<&str>) -> Result<Caller, EdgeError> {
        let token = authorization
            .and_then(|value| value.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(EdgeError::Unauthorized)?;
        let candidate = hash(token);
        let mut found = subtle::Choice::from(0);
        let mut index = 0u32;
        for (i, entry) in self.tokens.iter().enumerate() {
            let matches = entry.hash.ct_eq(&candidate);
            index.conditional_assign(&(i as u32), matches);
            found |= matches;
        }
        if !bool::from(found) {
            return Err(EdgeError::Unauthorized);
        }
        let entry = &self.tokens[index as usize];
        Ok(Caller {
            name: entry.name.clone(),
            scope: entry.scope,
            by_access: false,
        })
    }

    /// The caller a verified Access identity is: a writer when it is an e-mail that
    /// `ACCESS_WRITERS` lists, by address or by `*@domain`; a reader otherwise.
    pub fn by_access(&self, identity: &Identity) -> Caller {
        let writes = match identity {
            Identity::Email(email) => self.lists_writer(email),
            Identity::Subject(_) | Identity::Unnamed => false,
        };
        Caller {
            name: identity.name(),
            scope: if writes { Scope::Write } else { Scope::Read },
            by_access: true,
        }
    }

    /// Whether `ACCESS_WRITERS` lists the address or its `*@domain`.
    fn lists_writer(&self, email: &str) -> bool {
        let address = email.to_ascii_lowercase();
        let Some((_, domain)) = address.rsplit_once('@') else {
            return false;
        };
        self.access_writers
            .iter()
            .any(|writer| match writer.strip_prefix("*@") {
                Some(writers_domain) => domain == writers_domain,
                None => *writer == address,
            })
    }
}

/// Reads one `token` or `name:token` entry; the problem never quotes the token.
fn token_entry(
    entry: &str,
    scope: Scope,
    default_name: impl FnOnce() -> String,
) -> Result<TokenEntry, TokenProblem> {
    let (name, token) = match entry.split_once(':') {
        Some((name, token)) => {
            let name = name.trim();
            let valid = (1..=MAX_NAME_CHARS).contains(&name.chars().count())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'));
            if !valid {
                return Err(TokenProblem::BadName);
            }
            (name.to_owned(), token.trim())
        }
        None => (default_name(), entry),
    };
    if token.chars().count() < MIN_TOKEN_CHARS {
        return Err(TokenProblem::TooShort);
    }
    Ok(TokenEntry {
        hash: hash(token),
        name,
        scope,
    })
}

fn hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::tests::env;

    const TOKEN: &str = "a-panel-token-of-32-characters!!";
    const WRITE_TOKEN: &str = "a-write-token-0123456789";

    fn callers() -> Callers {
        Callers::from_env(env(&[
            (
                "PANEL_TOKENS",
                &format!(" {TOKEN} , night-shift:another-token-0123456789 ,"),
            ),
            (
                "PANEL_WRITE_TOKENS",
                &format!("{WRITE_TOKEN},ops@example.com:third-token-0123456789"),
            ),
            (
                "ALLOWED_ORIGINS",
                "https://panel.example.com/, http://localhost:5173",
            ),
        ]))
        .unwrap()
    }

    fn misconfigured(pairs: &[(&str, &str)]) -> String {
        let error = Callers::from_env(env(pairs)).err().unwrap();
        assert_eq!(EdgeError::Misconfigured(error.clone()).http_status(), 503);
        error.to_string()
    }

    #[test]
    fn no_tokens_fails_closed_and_bad_entries_are_named_by_their_place() {
        for pairs in [&[][..], &[("PANEL_TOKENS", " , ")][..]] {
            assert!(misconfigured(pairs).contains("no way to authenticate callers"));
        }
        let short = misconfigured(&[("PANEL_TOKENS", &format!("{TOKEN},short-secret"))]);
        assert!(
            short.contains("PANEL_TOKENS entry 2: the token is shorter than 16"),
            "{short}"
        );
        assert!(!short.contains("short-secret"), "{short}");
        for bad_name in [
            "bad name:0123456789abcdefgh",
            ":0123456789abcdefgh",
            &format!("{}:0123456789abcdefgh", "n".repeat(65)),
        ] {
            let error = misconfigured(&[("PANEL_WRITE_TOKENS", bad_name)]);
            assert!(
                error.contains("PANEL_WRITE_TOKENS entry 1: the name before ':'"),
                "{error}"
            );
            assert!(!error.contains("0123456789abcdefgh"), "{error}");
        }
        let twice = misconfigured(&[
            ("PANEL_TOKENS", TOKEN),
            ("PANEL_WRITE_TOKENS", &format!("w:{TOKEN}")),
        ]);
        assert!(twice.contains("a token is listed twice"), "{twice}");
    }

    #[test]
    fn tokens_admit_their_named_caller_with_their_scope() {
        let callers = callers();
        let admit = |token: &str| callers.by_token(Some(&format!("Bearer {token}"))).unwrap();
        let expect = [
            (TOKEN, "token-1", Scope::Read),
            ("another-token-0123456789", "night-shift", Scope::Read),
            (WRITE_TOKEN, "write-token-1", Scope::Write),
            ("third-token-0123456789", "ops@example.com", Scope::Write),
        ];
        for (token, name, scope) in expect {
            let caller = admit(token);
            assert_eq!(
                (caller.name.as_str(), caller.scope),
                (name, scope),
                "{name}"
            );
            assert_eq!(caller.rate_limit_key(), format!("token:{name}"));
        }
        assert!(admit(WRITE_TOKEN).may(Scope::Read) && admit(WRITE_TOKEN).may(Scope::Write));
        assert!(!admit(TOKEN).may(Scope::Write));
        assert_eq!(
            callers
                .by_token(Some(&format!("bearer  {TOKEN} ")))
                .map(|c| c.name),
            Ok("token-1".into())
        );
        for wrong in [
            None,
            Some(""),
            Some(TOKEN),
            Some("Basic a-panel-token-of-32-characters!!"),
            Some("Bearer a-panel-token-of-32-characters!"),
            Some("Bearer night-shift:another-token-0123456789"),
            Some("Bearer "),
        ] {
            assert_eq!(
                callers.by_token(wrong),
                Err(EdgeError::Unauthorized),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn access_alone_is_a_way_to_authenticate_and_writers_are_listed() {
        let callers = Callers::from_env(env(&[
            ("ACCESS_TEAM_DOMAIN", "team.cloudflareaccess.com"),
            ("ACCESS_AUD", "aud"),
            ("ACCESS_WRITERS", "lead@example.com, *@ops.example.com"),
        ]))
        .unwrap();
        assert_eq!(callers.access().unwrap().audience, "aud");
        assert_eq!(
            callers.by_token(Some("Bearer anything-at-all-here")),
            Err(EdgeError::Unauthorized)
        );
        let email = |address: &str| Identity::Email(address.into());
        let scope = |identity: Identity| callers.by_access(&identity).scope;
        assert_eq!(scope(email("Lead@Example.com")), Scope::Write);
        assert_eq!(scope(email("anyone@ops.example.com")), Scope::Write);
        assert_eq!(scope(email("anyone@example.com")), Scope::Read);
        assert_eq!(scope(email("x@evil.ops.example.com")), Scope::Read);
        assert_eq!(scope(email("user-subject-id")), Scope::Read);
        // Only an e-mail makes a writer: a subject that reads like a listed address does not.
        let subject = callers.by_access(&Identity::Subject("lead@example.com".into()));
        // Nor does it share that address's name or rate limit.
        assert_eq!(
            (subject.scope, subject.rate_limit_key().as_str()),
            (Scope::Read, "access:sub:lead@example.com")
        );
        assert_eq!(scope(Identity::Unnamed), Scope::Read);
        let caller = callers.by_access(&email("lead@example.com"));
        assert_eq!(caller.name, "lead@example.com");
        assert_eq!(caller.rate_limit_key(), "access:lead@example.com");
    }

    #[test]
    fn origins_are_matched_exactly() {
        let callers = callers();
        let own = "https://tags.example.workers.dev";
        assert_eq!(callers.check_origin(None, own), Ok(None));
        assert_eq!(callers.check_origin(Some(own), own), Ok(None));
        assert_eq!(
            callers.check_origin(Some("https://panel.example.com"), own),
            Ok(Some("https://panel.example.com".into()))
        );
        for refused in [
            "https://panel.example.com.evil.net",
            "http://panel.example.com",
            "null",
        ] {
            assert_eq!(
                callers.check_origin(Some(refused), own),
                Err(EdgeError::OriginNotAllowed(refused.into()))
            );
        }
    }
}
