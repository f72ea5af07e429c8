//! Registration details of a right, typed per kind.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::kind::IpKind;

/// The office or territory that granted a right: an ISO 3166 country code, `EU`, `WIPO`, ...
/// Two to eight ASCII capital letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Jurisdiction(String);

/// A string that is not a jurisdiction code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a jurisdiction code (2 to 8 capital letters, e.g. CN, US, EU, WIPO)")]
pub struct InvalidJurisdiction(String);

impl Jurisdiction {
    /// Checks and wraps a code.
    pub fn new(code: impl Into<String>) -> Result<Self, InvalidJurisdiction> {
        let code = code.into();
        if (2..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(InvalidJurisdiction(code.chars().take(16).collect()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Jurisdiction {
    type Error = InvalidJurisdiction;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<Jurisdiction> for String {
    fn from(value: Jurisdiction) -> Self {
        value.0
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a trademark looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MarkType {
    /// Words only.
    Word,
    /// A logo or image.
    Figurative,
    /// Words and image.
    Combined,
}

/// A trademark registration as on its certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrademarkRegistration {
    /// The mark's name.
    pub mark_name: String,
    /// Word, figurative or combined.
    pub mark_type: MarkType,
    /// The office's registration number.
    pub registration_number: String,
    /// The granting office.
    pub jurisdiction: Jurisdiction,
    /// The registrant exactly as on the certificate.
    pub registrant: String,
    /// Nice classes (1 to 45).
    pub classes: Vec<u8>,
    /// Date of registration.
    pub registered_on: NaiveDate,
    /// Date the registration lapses unless renewed.
    pub expires_on: NaiveDate,
}

/// A copyright, with its registration where the country has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyrightRegistration {
    /// Title of the work.
    pub title: String,
    /// Certificate number.
    pub registration_number: String,
    /// Country of registration.
    pub jurisdiction: Jurisdiction,
    /// The owner as on the certificate.
    pub registrant: String,
    /// Date of registration.
    pub registered_on: NaiveDate,
    /// End of protection, where the certificate states one.
    pub expires_on: Option<NaiveDate>,
}

/// A granted patent (utility or design).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatentRegistration {
    /// Title of the invention or design.
    pub title: String,
    /// Patent number.
    pub patent_number: String,
    /// Granting office.
    pub jurisdiction: Jurisdiction,
    /// The patentee as on the patent.
    pub registrant: String,
    /// Filing date.
    pub filed_on: NaiveDate,
    /// Grant date; protection starts here.
    pub granted_on: NaiveDate,
    /// End of protection.
    pub expires_on: NaiveDate,
}

/// The registration of a right; its variant is the right's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Registration {
    /// A trademark.
    Trademark(TrademarkRegistration),
    /// A copyright.
    Copyright(CopyrightRegistration),
    /// A utility patent.
    UtilityPatent(PatentRegistration),
    /// A design patent.
    DesignPatent(PatentRegistration),
}

impl Registration {
    /// The kind of right.
    pub fn kind(&self) -> IpKind {
        match self {
            Registration::Trademark(_) => IpKind::Trademark,
            Registration::Copyright(_) => IpKind::Copyright,
            Registration::UtilityPatent(_) => IpKind::UtilityPatent,
            Registration::DesignPatent(_) => IpKind::DesignPatent,
        }
    }

    /// The registration or patent number.
    pub fn number(&self) -> &str {
        match self {
            Registration::Trademark(t) => &t.registration_number,
            Registration::Copyright(c) => &c.registration_number,
            Registration::UtilityPatent(p) | Registration::DesignPatent(p) => &p.patent_number,
        }
    }

    /// The registrant as on the certificate.
    pub fn registrant(&self) -> &str {
        match self {
            Registration::Trademark(t) => &t.registrant,
            Registration::Copyright(c) => &c.registrant,
            Registration::UtilityPatent(p) | Registration::DesignPatent(p) => &p.registrant,
        }
    }

    /// The first day of protection.
    pub fn in_force_from(&self) -> NaiveDate {
        match self {
            Registration::Trademark(t) => t.registered_on,
            Registration::Copyright(c) => c.registered_on,
            Registration::UtilityPatent(p) | Registration::DesignPatent(p) => p.granted_on,
        }
    }

    /// Sets the day protection ends (a renewal).
    pub fn set_expires_on(&mut self, day: NaiveDate) {
        match self {
            Registration::Trademark(t) => t.expires_on = day,
            Registration::Copyright(c) => c.expires_on = Some(day),
            Registration::UtilityPatent(p) | Registration::DesignPatent(p) => p.expires_on = day,
        }
    }

    /// The day protection ends, where known.
    pub fn expires_on(&self) -> Option<NaiveDate> {
        match self {
            Registration::Trademark(t) => Some(t.expires_on),
            Registration::Copyright(c) => c.expires_on,
            Registration::UtilityPatent(p) | Registration::DesignPatent(p) => Some(p.expires_on),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdiction_codes_are_checked() {
        assert!(Jurisdiction::new("CN").is_ok());
        assert!(Jurisdiction::new("WIPO").is_ok());
        assert!(Jurisdiction::new("cn").is_err());
        assert!(Jurisdiction::new("C").is_err());
        assert!(serde_json::from_str::<Jurisdiction>("\"US;DROP\"").is_err());
    }
}
