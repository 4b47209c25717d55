//! Cloudflare Access: the checks on a `Cf-Access-Jwt-Assertion` that need no cryptography
//! (shape, algorithm, `aud`, `iss`, `exp`, `nbf`), the team's key set and when to fetch it
//! again. The RS256 signature itself is checked with WebCrypto by the Worker.

use crate::api::json::Json;
use crate::edge::EdgeError;
use crate::edge::setting::{SettingProblem, SettingProblems};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The key set is fetched again for an unknown `kid` at most this often.
pub const KEYS_REFRESH_MS: f64 = 60_000.0;

/// Where an application's Access tokens come from and whom they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessConfig {
    /// The `iss` every token must carry: `https://<team domain>`.
    pub issuer: String,
    /// The application's audience tag, which `aud` must hold.
    pub audience: String,
    /// The team's key set.
    pub certs_url: String,
}

impl AccessConfig {
    /// Reads `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`: both or neither. `ACCESS_CERTS_URL`
    /// replaces the team's key-set URL, for tests only.
    pub fn from_env(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, SettingProblems> {
        match (lookup("ACCESS_TEAM_DOMAIN"), lookup("ACCESS_AUD")) {
            (None, None) => Ok(None),
            (Some(team), Some(audience)) => {
                let host = team.trim_start_matches("https://").trim_end_matches('/');
                let issuer = format!("https://{host}");
                let certs_url = lookup("ACCESS_CERTS_URL")
                    .unwrap_or_else(|| format!("{issuer}/cdn-cgi/access/certs"));
                Ok(Some(Self {
                    issuer,
                    audience,
                    certs_url,
                }))
            }
            (Some(_), None) | (None, Some(_)) => {
                Err(SettingProblems(vec![SettingProblem::AccessHalfSet]))
            }
        }
    }
}

/// A parsed Access token whose claims have not been checked yet.
#[derive(Debug)]
pub struct AccessToken {
    /// The key it says it was signed with.
    pub kid: String,
    /// `header.payload`, the bytes the signature covers.
    pub signed: String,
    /// The RS256 signature.
    pub signature: Vec<u8>,
    claims: TokenClaims,
}

#[derive(Debug)]
struct TokenClaims {
    audiences: Vec<String>,
    iss: String,
    exp: f64,
    nbf: Option<f64>,
    email: Option<String>,
    sub: Option<String>,
}

impl TokenClaims {
    /// Reads the claims this crate checks; a claim of the wrong type refuses the token.
    fn read(claims: &impl Json) -> Option<Self> {
        let aud = claims.field("aud")?;
        let audiences = match aud.string() {
            Some(one) => vec![one],
            None => aud
                .items()?
                .iter()
                .map(Json::string)
                .collect::<Option<_>>()?,
        };
        Some(Self {
            audiences,
            iss: claims.field("iss")?.string()?,
            exp: claims.field("exp")?.number()?,
            nbf: optional(claims.field("nbf"), Json::number)?,
            email: optional(claims.field("email"), Json::string)?,
            sub: optional(claims.field("sub"), Json::string)?,
        })
    }
}

/// An optional claim: `Some(None)` when absent, `None` when present with the wrong type.
fn optional<J: Json, T>(claim: Option<J>, read: impl Fn(&J) -> Option<T>) -> Option<Option<T>> {
    match claim {
        None => Some(None),
        Some(claim) => read(&claim).map(Some),
    }
}

impl AccessToken {
    /// Splits and decodes a token, reading its JSON with `J`; anything but an RS256 JWT with
    /// a `kid` is refused.
    pub fn parse<J: Json>(token: &str) -> Result<Self, EdgeError> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(EdgeError::Unauthorized);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| EdgeError::Unauthorized)
        };
        let read = |part: &str| {
            let bytes = decode(part)?;
            let text = std::str::from_utf8(&bytes).map_err(|_| EdgeError::Unauthorized)?;
            J::parse(text).map_err(|_| EdgeError::Unauthorized)
        };
        let header = read(header)?;
        if header.field("alg").and_then(|alg| alg.string()).as_deref() != Some("RS256") {
            return Err(EdgeError::Unauthorized);
        }
        let kid = header.field("kid").and_then(|kid| kid.string());
        Ok(Self {
            kid: kid.ok_or(EdgeError::Unauthorized)?,
            claims: TokenClaims::read(&read(payload)?).ok_or(EdgeError::Unauthorized)?,
            signature: decode(signature)?,
            signed: token[..token.rfind('.').unwrap_or(0)].to_owned(),
        })
    }

    /// Checks `aud`, `iss`, `exp` and `nbf` at the Unix time `now` (seconds).
    pub fn check_claims(&self, config: &AccessConfig, now: f64) -> Result<(), EdgeError> {
        let claims = &self.claims;
        let audience_ok = claims.audiences.contains(&config.audience);
        let in_time = now < claims.exp && claims.nbf.is_none_or(|nbf| nbf <= now);
        if audience_ok && claims.iss == config.issuer && in_time {
            Ok(())
        } else {
            Err(EdgeError::Unauthorized)
        }
    }

    /// Who the token speaks for: its e-mail, else its subject.
    pub fn identity(&self) -> Identity {
        match (&self.claims.email, &self.claims.sub) {
            (Some(email), _) => Identity::Email(email.clone()),
            (None, Some(subject)) => Identity::Subject(subject.clone()),
            (None, None) => Identity::Unnamed,
        }
    }
}

/// Who a verified Access token speaks for. Only an e-mail may be listed as a writer: a subject
/// (a service token's, say) is an opaque id that could equal a listed address by chance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The token's `email`.
    Email(String),
    /// A token without an e-mail: its `sub`.
    Subject(String),
    /// A token with neither.
    Unnamed,
}

impl Identity {
    /// The name the logs, `/session` and the rate limit give the caller: a subject is marked
    /// `sub:`, so that it never passes for, or shares a limit with, an e-mail it spells.
    pub fn name(&self) -> String {
        match self {
            Identity::Email(email) => email.clone(),
            Identity::Subject(subject) => format!("sub:{subject}"),
            Identity::Unnamed => "unknown".into(),
        }
    }
}

/// One RSA public key of the team's key set, as WebCrypto imports it (JWK `n` and `e`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Its key id.
    pub kid: String,
    /// The modulus, base64url.
    pub n: String,
    /// The exponent, base64url.
    pub e: String,
}

impl PublicKey {
    /// Reads one JWK; `None` for a key of another kind or without its fields.
    fn read(key: &impl Json) -> Option<Self> {
        let field = |name: &'static str| key.field(name).and_then(|value| value.string());
        (field("kty")? == "RSA").then_some(())?;
        Some(Self {
            kid: field("kid")?,
            n: field("n")?,
            e: field("e")?,
        })
    }
}

/// The team's key set, kept per isolate and fetched again for an unknown `kid` at most once
/// per [`KEYS_REFRESH_MS`].
#[derive(Debug, Default)]
pub struct KeySet {
    keys: Vec<PublicKey>,
    fetched_at_ms: Option<f64>,
}

impl KeySet {
    /// Whether to fetch the key set before looking for `kid` at `now_ms`.
    pub fn needs_fetch(&self, kid: &str, now_ms: f64) -> bool {
        match self.fetched_at_ms {
            None => true,
            Some(_) if self.find(kid).is_some() => false,
            Some(at) => now_ms - at >= KEYS_REFRESH_MS,
        }
    }

    /// Replaces the keys with those of a fetched key-set document; other kinds of key are skipped.
    pub fn update(&mut self, document: &impl Json, now_ms: f64) -> Result<(), EdgeError> {
        let keys = document.field("keys").and_then(|keys| keys.items());
        let keys = keys.ok_or(EdgeError::Internal("the Access key set is not a JWK set"))?;
        self.keys = keys.iter().filter_map(PublicKey::read).collect();
        self.fetched_at_ms = Some(now_ms);
        Ok(())
    }

    /// Notes a failed fetch, so that the next one waits as a fetch would.
    pub fn fetch_failed(&mut self, now_ms: f64) {
        self.fetched_at_ms = Some(now_ms);
    }

    /// The key with this id.
    pub fn find(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.iter().find(|key| key.kid == kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn config() -> AccessConfig {
        AccessConfig::from_env(|name| match name {
            "ACCESS_TEAM_DOMAIN" => Some("team.cloudflareaccess.com".into()),
            "ACCESS_AUD" => Some("aud-tag".into()),
            _ => None,
        })
        .unwrap()
        .unwrap()
    }

    fn token(header: serde_json::Value, claims: serde_json::Value) -> String {
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.{}",
            part(header),
            part(claims),
            URL_SAFE_NO_PAD.encode(b"sig")
        )
    }

    fn claims(aud: serde_json::Value) -> serde_json::Value {
        json!({ "aud": aud, "iss": "https://team.cloudflareaccess.com", "exp": 2000, "nbf": 1000, "email": "ops@example.com" })
    }

    #[test]
    fn configuration_takes_both_settings_or_neither() {
        assert_eq!(AccessConfig::from_env(|_| None), Ok(None));
        let config = config();
        assert_eq!(config.issuer, "https://team.cloudflareaccess.com");
        assert_eq!(
            config.certs_url,
            "https://team.cloudflareaccess.com/cdn-cgi/access/certs"
        );
        let half = AccessConfig::from_env(|n| (n == "ACCESS_AUD").then(|| "x".into()));
        assert_eq!(
            EdgeError::Misconfigured(half.unwrap_err()).http_status(),
            503
        );
    }

    #[test]
    fn a_good_token_parses_and_its_claims_hold_in_their_window() {
        let text = token(
            json!({ "alg": "RS256", "kid": "k1" }),
            claims(json!("aud-tag")),
        );
        let parsed = AccessToken::parse::<Value>(&text).unwrap();
        assert_eq!(parsed.kid, "k1");
        assert_eq!(parsed.signature, b"sig");
        assert_eq!(parsed.signed, text[..text.rfind('.').unwrap()]);
        assert_eq!(parsed.identity(), Identity::Email("ops@example.com".into()));
        assert_eq!(parsed.check_claims(&config(), 1500.0), Ok(()));
        assert_eq!(
            parsed.check_claims(&config(), 999.0),
            Err(EdgeError::Unauthorized)
        );
        assert_eq!(
            parsed.check_claims(&config(), 2000.0),
            Err(EdgeError::Unauthorized)
        );
        let listed = token(
            json!({ "alg": "RS256", "kid": "k1" }),
            claims(json!(["other", "aud-tag"])),
        );
        assert_eq!(
            AccessToken::parse::<Value>(&listed)
                .unwrap()
                .check_claims(&config(), 1500.0),
            Ok(())
        );
    }

    #[test]
    fn wrong_claims_and_shapes_are_refused() {
        let header = json!({ "alg": "RS256", "kid": "k1" });
        let mut wrong_iss = claims(json!("aud-tag"));
        wrong_iss["iss"] = json!("https://evil.cloudflareaccess.com");
        for claims in [claims(json!("other")), claims(json!([])), wrong_iss] {
            let parsed = AccessToken::parse::<Value>(&token(header.clone(), claims)).unwrap();
            assert_eq!(
                parsed.check_claims(&config(), 1500.0),
                Err(EdgeError::Unauthorized)
            );
        }
        for header in [
            json!({ "alg": "none", "kid": "k1" }),
            json!({ "alg": "HS256", "kid": "k1" }),
            json!({ "alg": "RS256" }),
        ] {
            let text = token(header, claims(json!("aud-tag")));
            assert_eq!(
                AccessToken::parse::<Value>(&text).unwrap_err(),
                EdgeError::Unauthorized
            );
        }
        let mut claims_of_wrong_type = Vec::new();
        for (name, value) in [
            ("exp", json!("2000")),
            ("email", json!(7)),
            ("aud", json!([1])),
        ] {
            let mut wrong = claims(json!("aud-tag"));
            wrong[name] = value;
            claims_of_wrong_type.push(token(header.clone(), wrong));
        }
        let mut no_exp = claims(json!("aud-tag"));
        no_exp.as_object_mut().unwrap().remove("exp");
        claims_of_wrong_type.push(token(header.clone(), no_exp));
        for text in claims_of_wrong_type {
            assert_eq!(
                AccessToken::parse::<Value>(&text).unwrap_err(),
                EdgeError::Unauthorized
            );
        }
        for text in ["", "a.b", "a.b.c.d", "!!.??.##", "e30.e30.e30"] {
            assert_eq!(
                AccessToken::parse::<Value>(text).unwrap_err(),
                EdgeError::Unauthorized,
                "{text}"
            );
        }
    }

    #[test]
    fn the_key_set_is_fetched_again_for_an_unknown_kid_at_most_once_a_minute() {
        let mut keys = KeySet::default();
        assert!(keys.needs_fetch("k1", 0.0));
        let document = json!({ "keys": [
            { "kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB", "alg": "RS256" },
            { "kty": "EC", "kid": "k2", "x": "..", "y": ".." }
        ] });
        keys.update(&document, 1_000.0).unwrap();
        assert_eq!(keys.find("k1").map(|k| k.n.as_str()), Some("AQAB"));
        assert_eq!(keys.find("k2"), None);
        assert!(!keys.needs_fetch("k1", 1_000_000.0));
        assert!(!keys.needs_fetch("k3", 1_000.0 + KEYS_REFRESH_MS - 1.0));
        assert!(keys.needs_fetch("k3", 1_000.0 + KEYS_REFRESH_MS));
        keys.fetch_failed(100_000.0);
        assert!(!keys.needs_fetch("k3", 100_000.0 + 1.0));
        assert!(keys.update(&json!("<html>"), 0.0).is_err());
        assert!(keys.update(&json!({ "keys": {} }), 0.0).is_err());
    }
}
