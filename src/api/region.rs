//! Where and how to call the vendor: regions, their domains, and the signed request URL.

use std::fmt;

use crate::api::named::Named;
use crate::api::usersig::UserSig;

/// The region where an SDKAppID lives, which decides the API's domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// Chinese mainland.
    China,
    /// Singapore.
    Singapore,
    /// Seoul.
    Seoul,
    /// Frankfurt.
    Frankfurt,
    /// Silicon Valley.
    SiliconValley,
    /// Mumbai.
    Mumbai,
    /// Tokyo.
    Tokyo,
    /// Jakarta.
    Jakarta,
}

impl Region {
    /// Every region.
    pub const ALL: [Region; 8] = [
        Region::China,
        Region::Singapore,
        Region::Seoul,
        Region::Frankfurt,
        Region::SiliconValley,
        Region::Mumbai,
        Region::Tokyo,
        Region::Jakarta,
    ];

    /// The name the configuration uses (`TIM_REGION`).
    pub fn name(self) -> &'static str {
        self.entry().0
    }

    /// The region's main API domain.
    pub fn domain(self) -> &'static str {
        self.entry().1
    }

    /// The domain to use when the main one cannot be reached.
    pub fn backup_domain(self) -> &'static str {
        self.entry().2
    }

    /// `https://` and the main domain.
    pub fn origin(self) -> String {
        format!("https://{}", self.domain())
    }

    /// `https://` and the backup domain.
    pub fn backup_origin(self) -> String {
        format!("https://{}", self.backup_domain())
    }

    fn entry(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Region::China => ("china", "console.tim.qq.com", "adminapi.my-imcloud.com"),
            Region::Singapore => (
                "singapore",
                "adminapisgp.im.qcloud.com",
                "adminapisgp.my-imcloud.com",
            ),
            Region::Seoul => (
                "seoul",
                "adminapikr.im.qcloud.com",
                "adminapikr.my-imcloud.com",
            ),
            Region::Frankfurt => (
                "frankfurt",
                "adminapiger.im.qcloud.com",
                "adminapiger.my-imcloud.com",
            ),
            Region::SiliconValley => (
                "silicon-valley",
                "adminapiusa.im.qcloud.com",
                "adminapiusa.my-imcloud.com",
            ),
            Region::Mumbai => (
                "mumbai",
                "adminapiind.im.qcloud.com",
                "adminapiind.my-imcloud.com",
            ),
            Region::Tokyo => (
                "tokyo",
                "adminapijpn.im.qcloud.com",
                "adminapijpn.my-imcloud.com",
            ),
            Region::Jakarta => (
                "jakarta",
                "adminapiidn.im.qcloud.com",
                "adminapiidn.my-imcloud.com",
            ),
        }
    }
}

impl Named for Region {
    const KIND: &'static str = "region";
    const ALL: &'static [Region] = &Region::ALL;

    fn name_of(self) -> &'static str {
        self.name()
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The signed URL of the call at `path` on `origin` (scheme and host, no trailing slash needed).
///
/// Every query value is URL-encoded; `random` must be fresh for each request ([`random`]).
pub fn url(
    origin: &str,
    path: &str,
    sdkappid: u64,
    identifier: &str,
    usersig: &UserSig,
    random: u32,
) -> String {
    url_with(
        origin,
        path,
        &signed_query(sdkappid, identifier, usersig),
        random,
    )
}

/// The part of the query that stays the same for as long as the UserSig does:
/// `usersig`, `identifier` and `sdkappid`, URL-encoded.
pub fn signed_query(sdkappid: u64, identifier: &str, usersig: &UserSig) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("usersig", usersig.expose())
        .append_pair("identifier", identifier)
        .append_pair("sdkappid", &sdkappid.to_string())
        .finish()
}

/// The URL of the call at `path` on `origin`, for a query from [`signed_query`] and a fresh `random`.
pub fn url_with(origin: &str, path: &str, signed_query: &str, random: u32) -> String {
    let origin = origin.trim_end_matches('/');
    format!("{origin}{path}?{signed_query}&random={random}&contenttype=json")
}

/// The platform has no cryptographic random source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no secure random source is available: {0}")]
pub struct NoRandomness(pub String);

/// A fresh 32-bit value from the platform's cryptographic random source.
pub fn random() -> Result<u32, NoRandomness> {
    getrandom::u32().map_err(|e| NoRandomness(e.to_string()))
}

/// A fresh 64-bit value from the same source, in one draw.
pub fn random_u64() -> Result<u64, NoRandomness> {
    getrandom::u64().map_err(|e| NoRandomness(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::usersig::{SecretKey, Signer};

    #[test]
    fn every_region_has_its_domains() {
        let expected = [
            ("china", "console.tim.qq.com", "adminapi.my-imcloud.com"),
            (
                "singapore",
                "adminapisgp.im.qcloud.com",
                "adminapisgp.my-imcloud.com",
            ),
            (
                "seoul",
                "adminapikr.im.qcloud.com",
                "adminapikr.my-imcloud.com",
            ),
            (
                "frankfurt",
                "adminapiger.im.qcloud.com",
                "adminapiger.my-imcloud.com",
            ),
            (
                "silicon-valley",
                "adminapiusa.im.qcloud.com",
                "adminapiusa.my-imcloud.com",
            ),
            (
                "mumbai",
                "adminapiind.im.qcloud.com",
                "adminapiind.my-imcloud.com",
            ),
            (
                "tokyo",
                "adminapijpn.im.qcloud.com",
                "adminapijpn.my-imcloud.com",
            ),
            (
                "jakarta",
                "adminapiidn.im.qcloud.com",
                "adminapiidn.my-imcloud.com",
            ),
        ];
        for (name, domain, backup) in expected {
            let region = Region::named(name).unwrap();
            assert_eq!(
                (region.name(), region.domain(), region.backup_domain()),
                (name, domain, backup)
            );
            assert_eq!(region.origin(), format!("https://{domain}"));
            assert_eq!(region.backup_origin(), format!("https://{backup}"));
            assert_eq!(region.to_string(), name);
        }
        let names: Vec<_> = Region::ALL.iter().map(|r| r.name()).collect();
        assert_eq!(
            names.join(", "),
            "china, singapore, seoul, frankfurt, silicon-valley, mumbai, tokyo, jakarta"
        );
    }

    #[test]
    fn region_names_are_forgiving_about_case_only() {
        assert_eq!(Region::named(" Silicon-Valley "), Ok(Region::SiliconValley));
        assert_eq!(
            Region::named("siliconvalley").unwrap_err().to_string(),
            "unknown region \"siliconvalley\"; expected one of china, singapore, seoul, \
             frankfurt, silicon-valley, mumbai, tokyo, jakarta"
        );
        assert!(Region::named("").is_err());
    }

    #[test]
    fn the_url_carries_every_parameter_encoded() {
        let sig = Signer::new(1_400_000_000, SecretKey::new("k")).sign("ad min&x=1", 1, 2, None);
        let url = url(
            "https://console.tim.qq.com/",
            "/v4/all_member_push/im_get_tag",
            1_400_000_000,
            "ad min&x=1",
            &sig,
            4_294_967_295,
        );
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(
            base,
            "https://console.tim.qq.com/v4/all_member_push/im_get_tag"
        );
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let expected = [
            ("usersig", sig.expose()),
            ("identifier", "ad min&x=1"),
            ("sdkappid", "1400000000"),
            ("random", "4294967295"),
            ("contenttype", "json"),
        ];
        assert_eq!(pairs.len(), expected.len());
        for ((name, value), (want_name, want_value)) in pairs.iter().zip(expected) {
            assert_eq!((name.as_str(), value.as_str()), (want_name, want_value));
        }
        assert!(query.contains("identifier=ad+min%26x%3D1"), "{query}");
        // The UserSig alphabet (letters, digits, `*`, `-`, `_`) needs no escaping.
        assert!(
            query.starts_with(&format!("usersig={}&", sig.expose())),
            "{query}"
        );
    }

    #[test]
    fn unknown_region_lists_the_known_ones() {
        let message = Region::named("mars").unwrap_err().to_string();
        assert!(message.contains("\"mars\""), "{message}");
        assert!(message.contains("silicon-valley"), "{message}");
    }

    #[test]
    fn random_values_are_fresh() {
        let values: std::collections::HashSet<u32> = (0..64).map(|_| random().unwrap()).collect();
        assert!(values.len() > 60, "only {} distinct of 64", values.len());
    }
}
