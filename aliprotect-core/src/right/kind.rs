//! The four kinds of IP right.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::evidence::EvidenceKind;

/// A kind of intellectual-property right the platform accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum IpKind {
    /// A registered trademark.
    Trademark,
    /// A copyright.
    Copyright,
    /// A utility (invention) patent.
    UtilityPatent,
    /// A design patent.
    DesignPatent,
}

impl IpKind {
    /// Every kind.
    pub const ALL: [IpKind; 4] = [
        IpKind::Trademark,
        IpKind::Copyright,
        IpKind::UtilityPatent,
        IpKind::DesignPatent,
    ];

    /// The certificate that proves a right of this kind.
    pub fn certificate(self) -> EvidenceKind {
        match self {
            IpKind::Trademark => EvidenceKind::TrademarkCertificate,
            IpKind::Copyright => EvidenceKind::CopyrightCertificate,
            IpKind::UtilityPatent => EvidenceKind::UtilityPatentCertificate,
            IpKind::DesignPatent => EvidenceKind::DesignPatentCertificate,
        }
    }
}

impl fmt::Display for IpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpKind::Trademark => "trademark",
            IpKind::Copyright => "copyright",
            IpKind::UtilityPatent => "utility patent",
            IpKind::DesignPatent => "design patent",
        })
    }
}
