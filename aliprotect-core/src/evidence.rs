//! Evidence: documents, screenshots and test buys, referenced by content hash.
//!
//! The engine never stores the files themselves; it stores what identifies them beyond doubt
//! (SHA-256 of the bytes, media type, capture time), so a record holds up in litigation
//! whatever storage the embedding program keeps the bytes in.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EvidenceKind {
    /// Trademark registration certificate.
    TrademarkCertificate,
    /// Copyright registration certificate (or equivalent proof of authorship).
    CopyrightCertificate,
    /// Issued utility (invention) patent.
    UtilityPatentCertificate,
    /// Issued design patent.
    DesignPatentCertificate,
    /// A company's articles of incorporation.
    ArticlesOfIncorporation,
    /// A company's articles of formation (LLCs and similar).
    ArticlesOfFormation,
    /// A natural person's identity document.
    IdentityDocument,
    /// A signed power of attorney.
    PowerOfAttorney,
    /// Renewal of a registration.
    RenewalDocument,
    /// Assignment (transfer) of a registration.
    AssignmentDocument,
    /// Translation of a document in another language.
    Translation,
    /// Screenshot of a listing.
    Screenshot,
    /// A listing's page saved as it was fetched.
    SavedPage,
    /// Record of a test buy.
    TestBuy,
}

impl EvidenceKind {
    /// Every kind.
    pub const ALL: [EvidenceKind; 14] = [
        EvidenceKind::TrademarkCertificate,
        EvidenceKind::CopyrightCertificate,
        EvidenceKind::UtilityPatentCertificate,
        EvidenceKind::DesignPatentCertificate,
        EvidenceKind::ArticlesOfIncorporation,
        EvidenceKind::ArticlesOfFormation,
        EvidenceKind::IdentityDocument,
        EvidenceKind::PowerOfAttorney,
        EvidenceKind::RenewalDocument,
        EvidenceKind::AssignmentDocument,
        EvidenceKind::Translation,
        EvidenceKind::Screenshot,
        EvidenceKind::SavedPage,
        EvidenceKind::TestBuy,
    ];

    /// The name people write in files and on command lines: `articles-of-incorporation`.
    pub fn name(self) -> &'static str {
        match self {
            EvidenceKind::TrademarkCertificate => "trademark-certificate",
            EvidenceKind::CopyrightCertificate => "copyright-certificate",
            EvidenceKind::UtilityPatentCertificate => "utility-patent-certificate",
            EvidenceKind::DesignPatentCertificate => "design-patent-certificate",
            EvidenceKind::ArticlesOfIncorporation => "articles-of-incorporation",
            EvidenceKind::ArticlesOfFormation => "articles-of-formation",
            EvidenceKind::IdentityDocument => "identity-document",
            EvidenceKind::PowerOfAttorney => "power-of-attorney",
            EvidenceKind::RenewalDocument => "renewal-document",
            EvidenceKind::AssignmentDocument => "assignment-document",
            EvidenceKind::Translation => "translation",
            EvidenceKind::Screenshot => "screenshot",
            EvidenceKind::SavedPage => "saved-page",
            EvidenceKind::TestBuy => "test-buy",
        }
    }

    /// Whether this document proves a company's existence to the platform.
    pub fn proves_company(self) -> bool {
        matches!(
            self,
            EvidenceKind::ArticlesOfIncorporation | EvidenceKind::ArticlesOfFormation
        )
    }

    /// Whether this document is a registration certificate of some IP kind.
    pub fn is_certificate(self) -> bool {
        matches!(
            self,
            EvidenceKind::TrademarkCertificate
                | EvidenceKind::CopyrightCertificate
                | EvidenceKind::UtilityPatentCertificate
                | EvidenceKind::DesignPatentCertificate
        )
    }
}

impl fmt::Display for EvidenceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no evidence kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown evidence kind `{0}`: expected one of {names}", names = EvidenceKind::ALL.map(EvidenceKind::name).join(", "))]
pub struct UnknownEvidenceKind(pub String);

impl FromStr for EvidenceKind {
    type Err = UnknownEvidenceKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == s)
            .ok_or_else(|| UnknownEvidenceKind(s.chars().take(64).collect()))
    }
}

/// SHA-256 of a document's bytes, shown as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash([u8; 32]);

/// A string that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a SHA-256 hex digest (64 hex digits): `{0}`")]
pub struct InvalidContentHash(String);

impl ContentHash {
    /// Hashes `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl FromStr for ContentHash {
    type Err = InvalidContentHash;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut digest = [0u8; 32];
        hex::decode_to_slice(s, &mut digest)
            .map_err(|_| InvalidContentHash(s.chars().take(80).collect()))?;
        Ok(Self(digest))
    }
}

impl TryFrom<String> for ContentHash {
    type Error = InvalidContentHash;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<ContentHash> for String {
    fn from(hash: ContentHash) -> Self {
        hash.to_string()
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// A reference to one piece of evidence.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Evidence {
    /// What it is.
    pub kind: EvidenceKind,
    /// SHA-256 of its bytes.
    pub sha256: ContentHash,
    /// Its media type, e.g. `application/pdf` or `image/png`.
    pub media_type: String,
    /// When it was captured (screenshot taken, document scanned).
    pub captured_at: DateTime<Utc>,
}

impl Evidence {
    /// Evidence of `kind` for these bytes, captured at `captured_at`.
    pub fn of_bytes(
        kind: EvidenceKind,
        bytes: &[u8],
        media_type: impl Into<String>,
        captured_at: DateTime<Utc>,
    ) -> Self {
        Self {
            kind,
            sha256: ContentHash::of_bytes(bytes),
            media_type: media_type.into(),
            captured_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_of_the_bytes_and_parses_back() {
        let h = ContentHash::of_bytes(b"abc");
        assert_eq!(
            h.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(h.to_string().parse::<ContentHash>(), Ok(h));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<ContentHash>(&json).unwrap(), h);
    }

    #[test]
    fn kinds_have_the_names_people_write() {
        for kind in EvidenceKind::ALL {
            assert_eq!(kind.to_string().parse::<EvidenceKind>(), Ok(kind));
        }
        assert_eq!(
            EvidenceKind::ArticlesOfIncorporation.to_string(),
            "articles-of-incorporation"
        );
        let error = "ArticlesOfIncorporation".parse::<EvidenceKind>().unwrap_err();
        assert!(error.to_string().contains("articles-of-incorporation"), "{error}");
    }

    #[test]
    fn malformed_hashes_are_refused() {
        assert!("abc".parse::<ContentHash>().is_err());
        assert!("zz".repeat(32).parse::<ContentHash>().is_err());
        assert!(serde_json::from_str::<ContentHash>("\"00\"").is_err());
    }
}
