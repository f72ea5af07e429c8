//! The marketplaces whose listings we complain about, and the hosts each one owns.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A marketplace. Alibaba's IPP platform covers the first six; Amazon and eBay are here for
/// policies of other shapes (DMCA-style notice and takedown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Marketplace {
    /// Alibaba.com (B2B).
    #[serde(rename = "alibaba.com")]
    AlibabaCom,
    /// AliExpress.
    #[serde(rename = "aliexpress")]
    AliExpress,
    /// 1688.com (domestic B2B).
    #[serde(rename = "1688")]
    Alibaba1688,
    /// Taobao.
    #[serde(rename = "taobao")]
    Taobao,
    /// Tmall.
    #[serde(rename = "tmall")]
    Tmall,
    /// Lazada (South-East Asia).
    #[serde(rename = "lazada")]
    Lazada,
    /// Amazon.
    #[serde(rename = "amazon")]
    Amazon,
    /// eBay.
    #[serde(rename = "ebay")]
    Ebay,
}

/// A marketplace name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown marketplace `{0}`")]
pub struct UnknownMarketplace(pub String);

impl Marketplace {
    /// Every marketplace.
    pub const ALL: [Marketplace; 8] = [
        Marketplace::AlibabaCom,
        Marketplace::AliExpress,
        Marketplace::Alibaba1688,
        Marketplace::Taobao,
        Marketplace::Tmall,
        Marketplace::Lazada,
        Marketplace::Amazon,
        Marketplace::Ebay,
    ];

    /// The stable short name used in listing keys, serde and `Display`.
    pub fn code(self) -> &'static str {
        match self {
            Marketplace::AlibabaCom => "alibaba.com",
            Marketplace::AliExpress => "aliexpress",
            Marketplace::Alibaba1688 => "1688",
            Marketplace::Taobao => "taobao",
            Marketplace::Tmall => "tmall",
            Marketplace::Lazada => "lazada",
            Marketplace::Amazon => "amazon",
            Marketplace::Ebay => "ebay",
        }
    }

    /// The registrable domains the marketplace serves listings from.
    pub fn domains(self) -> &'static [&'static str] {
        match self {
            Marketplace::AlibabaCom => &["alibaba.com"],
            Marketplace::AliExpress => &["aliexpress.com", "aliexpress.us", "aliexpress.ru"],
            Marketplace::Alibaba1688 => &["1688.com"],
            Marketplace::Taobao => &["taobao.com"],
            Marketplace::Tmall => &["tmall.com"],
            Marketplace::Lazada => &[
                "lazada.com",
                "lazada.sg",
                "lazada.com.my",
                "lazada.co.th",
                "lazada.com.ph",
                "lazada.vn",
                "lazada.co.id",
            ],
            Marketplace::Amazon => &[
                "amazon.com",
                "amazon.co.uk",
                "amazon.de",
                "amazon.fr",
                "amazon.it",
                "amazon.es",
                "amazon.ca",
                "amazon.co.jp",
                "amazon.com.au",
            ],
            Marketplace::Ebay => &["ebay.com", "ebay.co.uk", "ebay.de", "ebay.com.au"],
        }
    }

    /// The domain of `host` that belongs to this marketplace, if any.
    pub fn domain_of(self, host: &str) -> Option<&'static str> {
        self.domains().iter().copied().find(|domain| {
            host == *domain
                || host
                    .strip_suffix(domain)
                    .is_some_and(|prefix| prefix.ends_with('.'))
        })
    }

    /// The marketplace that owns `host`, if any.
    pub fn for_host(host: &str) -> Option<Marketplace> {
        Self::ALL
            .into_iter()
            .find(|marketplace| marketplace.domain_of(host).is_some())
    }
}

impl fmt::Display for Marketplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Marketplace {
    type Err = UnknownMarketplace;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|marketplace| marketplace.code() == s)
            .ok_or_else(|| UnknownMarketplace(s.chars().take(64).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_whole_labels_only() {
        assert_eq!(
            Marketplace::for_host("alibaba.com"),
            Some(Marketplace::AlibabaCom)
        );
        assert_eq!(
            Marketplace::for_host("acme.en.alibaba.com"),
            Some(Marketplace::AlibabaCom)
        );
        assert_eq!(Marketplace::for_host("evilalibaba.com"), None);
        assert_eq!(Marketplace::for_host("alibaba.com.evil.net"), None);
        assert_eq!(
            Marketplace::for_host("www.lazada.com.my"),
            Some(Marketplace::Lazada)
        );
    }

    #[test]
    fn codes_round_trip() {
        for m in Marketplace::ALL {
            assert_eq!(m.code().parse::<Marketplace>(), Ok(m));
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(json, format!("\"{}\"", m.code()));
        }
        assert!("etsy".parse::<Marketplace>().is_err());
    }
}
