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

/// The reason as people read it: `trademark counterfeit`.
impl fmt::Display for ComplaintReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ComplaintReason::TrademarkUnauthorisedUse => "trademark unauthorised use",
            ComplaintReason::TrademarkCounterfeit => "trademark counterfeit",
            ComplaintReason::CopyrightCopiedImages => "copyright copied images",
            ComplaintReason::CopyrightCopiedText => "copyright copied text",
            ComplaintReason::CopyrightCopiedDesign => "copyright copied design",
            ComplaintReason::PatentInfringingProduct => "patent infringing product",
            ComplaintReason::PatentCopiedDesign => "patent copied design",
        })
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
