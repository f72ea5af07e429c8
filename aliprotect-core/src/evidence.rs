//! Evidence: documents, screenshots and test buys, referenced by content hash.
//!
//! The record (events) holds what identifies a document beyond doubt: SHA-256 of its bytes,
//! media type and capture time. The bytes themselves are kept in an [`EvidenceStore`]
//! (a directory, or an object store such as S3: crate `aliprotect-evidence`), addressed by
//! that hash, so whoever captures evidence (a check-back's probe, a person registering a
//! right) keeps what the record names, and a bundle for litigation can be exported with
//! every file it names.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
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
    /// An email as it was received (its RFC 5322 bytes): a platform's notice, a seller's
    /// counter-notice.
    Email,
}

impl EvidenceKind {
    /// Every kind.
    pub const ALL: [EvidenceKind; 15] = [
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
        EvidenceKind::Email,
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
            EvidenceKind::Email => "email",
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

/// Why evidence could not be kept or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EvidenceError {
    /// What is stored under a hash does not hash to it: damaged or tampered with.
    #[error("the evidence stored as {hash} is damaged: its bytes hash to {found}")]
    Corrupt {
        /// The hash it is stored under.
        hash: ContentHash,
        /// What its bytes hash to.
        found: ContentHash,
    },
    /// The storage failed (I/O, network, permissions).
    #[error("evidence storage unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Where the bytes of evidence are kept, by content hash: documents of rights, pages a
/// check-back saw, screenshots. Content-addressed, so keeping the same bytes twice is one
/// copy, and nothing is ever overwritten with other bytes.
///
/// Every implementation runs `testkit::evidence::run_all` (feature `testkit`).
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait EvidenceStore: Send + Sync + 'static {
    /// Keeps `bytes` and returns their SHA-256. Durable once it returns, and visible to
    /// [`EvidenceStore::get`] from any handle; keeping the same bytes again (even at the
    /// same time) is harmless and returns the same hash.
    async fn put(&self, bytes: Vec<u8>) -> Result<ContentHash, EvidenceError>;

    /// The bytes kept under `hash`, checked against it (else [`EvidenceError::Corrupt`]);
    /// `None` when nothing is kept under it.
    async fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, EvidenceError>;
}

#[async_trait]
impl<E: EvidenceStore + ?Sized> EvidenceStore for std::sync::Arc<E> {
    async fn put(&self, bytes: Vec<u8>) -> Result<ContentHash, EvidenceError> {
        (**self).put(bytes).await
    }
    async fn get(&self, hash: &ContentHash) -> Result<Option<Vec<u8>>, EvidenceError> {
        (**self).get(hash).await
    }
}

impl ContentHash {
    /// Checks that `bytes` hash to this hash.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), EvidenceError> {
        let found = Self::of_bytes(bytes);
        match found == *self {
            true => Ok(()),
            false => Err(EvidenceError::Corrupt { hash: *self, found }),
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
        let error = "ArticlesOfIncorporation"
            .parse::<EvidenceKind>()
            .unwrap_err();
        assert!(
            error.to_string().contains("articles-of-incorporation"),
            "{error}"
        );
    }

    #[test]
    fn malformed_hashes_are_refused() {
        assert!("abc".parse::<ContentHash>().is_err());
        assert!("zz".repeat(32).parse::<ContentHash>().is_err());
        assert!(serde_json::from_str::<ContentHash>("\"00\"").is_err());
    }
}
