//! Which side of the process may issue each command.
//!
//! The deciders check what may happen; this table checks who may make it happen. A rights
//! holder's user cannot record a platform approval, a seller cannot retract a complaint, and
//! deadline commands come only from the engine's timers.

use serde::{Deserialize, Serialize};

use crate::complaint::ComplaintCommand;
use crate::party::Actor;
use crate::right::RightCommand;

/// A side of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Issuer {
    /// The rights holder: its users, or a representative within a power of attorney.
    Holder,
    /// The marketplace's IP-protection platform.
    Platform,
    /// The seller of the listing.
    Seller,
    /// The engine itself (timers, automatic follow-ups).
    System,
    /// A person operating the deployment (store-wide settings; no tenant's commands).
    Operator,
}

impl Actor {
    /// The side this actor is on.
    pub fn issuer(&self) -> Issuer {
        match self {
            Actor::HolderUser { .. } | Actor::Representative { .. } => Issuer::Holder,
            Actor::Platform => Issuer::Platform,
            Actor::Seller => Issuer::Seller,
            Actor::System => Issuer::System,
            Actor::Operator { .. } => Issuer::Operator,
        }
    }
}

impl RightCommand {
    /// The sides that may issue this command.
    pub fn issuers(&self) -> &'static [Issuer] {
        match self {
            RightCommand::Register { .. }
            | RightCommand::Amend { .. }
            | RightCommand::Submit
            | RightCommand::Withdraw { .. }
            | RightCommand::Renew { .. }
            | RightCommand::Abandon { .. } => &[Issuer::Holder],
            RightCommand::BeginReview | RightCommand::Approve | RightCommand::Reject { .. } => {
                &[Issuer::Platform]
            }
            RightCommand::RemindExpiry => &[Issuer::System],
            RightCommand::Expire => &[Issuer::System, Issuer::Holder],
        }
    }
}

impl ComplaintCommand {
    /// The sides that may issue this command.
    pub fn issuers(&self) -> &'static [Issuer] {
        match self {
            ComplaintCommand::File(_)
            | ComplaintCommand::Submit
            | ComplaintCommand::Respond { .. }
            | ComplaintCommand::AcceptCounterNotice
            | ComplaintCommand::Retract { .. } => &[Issuer::Holder],
            ComplaintCommand::SubmitStaged
            | ComplaintCommand::MarkRelisted { .. }
            | ComplaintCommand::MarkRefiled { .. }
            | ComplaintCommand::ReportStillListed => &[Issuer::Holder, Issuer::System],
            ComplaintCommand::Accept
            | ComplaintCommand::ReportUnableToProcess { .. }
            | ComplaintCommand::PlatformRestores => &[Issuer::Platform],
            // A removal is reported by the platform, or found by a person or a probe.
            ComplaintCommand::RecordRemoval { .. } => {
                &[Issuer::Platform, Issuer::Holder, Issuer::System]
            }
            // Counter-notices reach us through the platform.
            ComplaintCommand::ReceiveCounterNotice { .. } => &[Issuer::Seller, Issuer::Platform],
            ComplaintCommand::SellerAnswerWindowElapsed
            | ComplaintCommand::ResponseWindowElapsed
            | ComplaintCommand::CheckBackDue
            | ComplaintCommand::WatchForReturn
            | ComplaintCommand::FlagRightLapsed
            | ComplaintCommand::RemindResponseDeadline => &[Issuer::System],
        }
    }
}
