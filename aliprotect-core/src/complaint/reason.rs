//! Complaint reasons and which kind of right each may rest on.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::right::IpKind;

/// Why a listing infringes. Each reason fits only some kinds of right: a trademark complaint is
/// about the mark, a copyright complaint about copied material, a patent complaint about the
/// product or its design.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ComplaintReason {
    /// The listing uses the mark without authorisation.
    TrademarkUnauthorisedUse,
    /// The goods are counterfeits bearing the mark.
    TrademarkCounterfeit,
    /// The listing uses copied photographs or images.
    CopyrightCopiedImages,
    /// The listing uses copied text.
    CopyrightCopiedText,
    /// The goods copy a protected artwork or design.
    CopyrightCopiedDesign,
    /// The product falls within the patent's claims (utility or design patent).
    PatentInfringingProduct,
    /// The product copies a patented design.
    PatentCopiedDesign,
}

impl ComplaintReason {
    /// Every reason.
    pub const ALL: [ComplaintReason; 7] = [
        ComplaintReason::TrademarkUnauthorisedUse,
        ComplaintReason::TrademarkCounterfeit,
        ComplaintReason::CopyrightCopiedImages,
        ComplaintReason::CopyrightCopiedText,
        ComplaintReason::CopyrightCopiedDesign,
        ComplaintReason::PatentInfringingProduct,
        ComplaintReason::PatentCopiedDesign,
    ];

    /// The kinds of right this reason may rest on.
    pub fn kinds(self) -> &'static [IpKind] {
        match self {
            ComplaintReason::TrademarkUnauthorisedUse | ComplaintReason::TrademarkCounterfeit => {
                &[IpKind::Trademark]
            }
            ComplaintReason::CopyrightCopiedImages
            | ComplaintReason::CopyrightCopiedText
            | ComplaintReason::CopyrightCopiedDesign => &[IpKind::Copyright],
            ComplaintReason::PatentInfringingProduct => {
                &[IpKind::UtilityPatent, IpKind::DesignPatent]
            }
            ComplaintReason::PatentCopiedDesign => &[IpKind::DesignPatent],
        }
    }

    /// Whether this reason may rest on a right of `kind`.
    ///
    /// ```
    /// use aliprotect_core::complaint::ComplaintReason;
    /// use aliprotect_core::right::IpKind;
    /// assert!(ComplaintReason::TrademarkCounterfeit.fits(IpKind::Trademark));
    /// assert!(!ComplaintReason::TrademarkCounterfeit.fits(IpKind::Copyright));
    /// ```
    pub fn fits(self, kind: IpKind) -> bool {
        self.kinds().contains(&kind)
    }

    /// The reasons that may rest on a right of `kind`.
    pub fn for_kind(kind: IpKind) -> impl Iterator<Item = ComplaintReason> {
        Self::ALL
            .into_iter()
            .filter(move |reason| reason.fits(kind))
    }
}

impl ComplaintReason {
    /// The reason's code, as a command line, a form or a file names it:
    /// `trademark-counterfeit`.
    pub fn code(self) -> &'static str {
        match self {
            ComplaintReason::TrademarkUnauthorisedUse => "trademark-unauthorised-use",
            ComplaintReason::TrademarkCounterfeit => "trademark-counterfeit",
            ComplaintReason::CopyrightCopiedImages => "copyright-copied-images",
            ComplaintReason::CopyrightCopiedText => "copyright-copied-text",
            ComplaintReason::CopyrightCopiedDesign => "copyright-copied-design",
            ComplaintReason::PatentInfringingProduct => "patent-infringing-product",
            ComplaintReason::PatentCopiedDesign => "patent-copied-design",
        }
    }

    /// One line for a person choosing a reason: `Trademark: counterfeit goods`.
    pub fn summary(self) -> &'static str {
        match self {
            ComplaintReason::TrademarkUnauthorisedUse => {
                "Trademark: the mark used without authorisation"
            }
            ComplaintReason::TrademarkCounterfeit => "Trademark: counterfeit goods",
            ComplaintReason::CopyrightCopiedImages => "Copyright: copied images",
            ComplaintReason::CopyrightCopiedText => "Copyright: copied text",
            ComplaintReason::CopyrightCopiedDesign => "Copyright: copied design",
            ComplaintReason::PatentInfringingProduct => "Patent: an infringing product",
            ComplaintReason::PatentCopiedDesign => "Design patent: a copied design",
        }
    }
}

/// The reason as people read it: `trademark counterfeit`.
impl fmt::Display for ComplaintReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code().replace('-', " "))
    }
}

/// A reason not among [`ComplaintReason::ALL`]: what `FromStr` answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a complaint reason (one of {known})", known = ComplaintReason::ALL.map(ComplaintReason::code).join(", "))]
pub struct UnknownComplaintReason(pub String);

/// A reason as people type it: its code (`trademark-counterfeit`), its words or its name
/// (`TrademarkCounterfeit`), in any case.
///
/// ```
/// use aliprotect_core::complaint::ComplaintReason;
///
/// for reason in ComplaintReason::ALL {
///     assert_eq!(reason.code().parse(), Ok(reason));
///     assert_eq!(reason.to_string().parse(), Ok(reason));
/// }
/// assert_eq!("TrademarkCounterfeit".parse(), Ok(ComplaintReason::TrademarkCounterfeit));
/// assert!("counterfeit".parse::<ComplaintReason>().is_err());
/// ```
impl std::str::FromStr for ComplaintReason {
    type Err = UnknownComplaintReason;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        super::by_words(&ComplaintReason::ALL, value)
            .ok_or_else(|| UnknownComplaintReason(value.chars().take(64).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_reason_and_reasons_fit_only_their_kinds() {
        for kind in IpKind::ALL {
            assert!(ComplaintReason::for_kind(kind).next().is_some(), "{kind}");
        }
        assert_eq!(
            ComplaintReason::for_kind(IpKind::UtilityPatent).collect::<Vec<_>>(),
            vec![ComplaintReason::PatentInfringingProduct]
        );
        assert!(!ComplaintReason::PatentCopiedDesign.fits(IpKind::UtilityPatent));
        assert!(!ComplaintReason::CopyrightCopiedImages.fits(IpKind::Trademark));
    }
}
