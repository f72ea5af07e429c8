//! The events of every stream, as stored and read back.

use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::campaign::{CampaignChange, CampaignEvent};
use crate::complaint::ComplaintEvent;
use crate::filer::{FilerChange, FilerEvent};
use crate::ids::StreamId;
use crate::policy::{PolicyChange, PolicyEvent};
use crate::power::{PowerChange, PowerEvent};
use crate::right::RightEvent;

/// An event of any stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum DomainEvent {
    /// An IP right's event.
    Right(RightEvent),
    /// A complaint's event.
    Complaint(ComplaintEvent),
    /// A power of attorney's event.
    Power(PowerEvent),
    /// A campaign's event.
    Campaign(CampaignEvent),
    /// The store's policy's event.
    Policy(PolicyEvent),
    /// A filer record's event.
    Filer(FilerEvent),
    /// An event of a stream of a kind defined outside the core.
    Extension(super::ExtensionEvent),
}

impl DomainEvent {
    /// The schema version of events written by this build; stored with each event so that
    /// later builds can upcast old payloads.
    pub const SCHEMA_VERSION: u32 = 1;

    /// A stable name of the event's type, stored beside its payload (e.g. `complaint.Filed`).
    pub fn type_name(&self) -> &'static str {
        use crate::complaint::ComplaintChange as C;
        use crate::right::RightChange as R;
        match self {
            DomainEvent::Right(event) => match event.change {
                R::Registered { .. } => "right.Registered",
                R::Amended { .. } => "right.Amended",
                R::Submitted { .. } => "right.Submitted",
                R::ReviewStarted => "right.ReviewStarted",
                R::Approved => "right.Approved",
                R::Rejected { .. } => "right.Rejected",
                R::ExpiryReminded { .. } => "right.ExpiryReminded",
                R::Expired => "right.Expired",
                R::Renewed { .. } => "right.Renewed",
                R::Withdrawn { .. } => "right.Withdrawn",
                R::Abandoned { .. } => "right.Abandoned",
            },
            DomainEvent::Complaint(event) => match event.change {
                C::Filed { .. } => "complaint.Filed",
                C::Submitted => "complaint.Submitted",
                C::Accepted { .. } => "complaint.Accepted",
                C::UnableToProcess { .. } => "complaint.UnableToProcess",
                C::ListingRemoved { .. } => "complaint.ListingRemoved",
                C::RemovalExpected => "complaint.RemovalExpected",
                C::ReturnWatched { .. } => "complaint.ReturnWatched",
                C::Reappeared => "complaint.Reappeared",
                C::RightLapsed { .. } => "complaint.RightLapsed",
                C::CounterNoticeReceived { .. } => "complaint.CounterNoticeReceived",
                C::Responded { .. } => "complaint.Responded",
                C::ListingRestored { .. } => "complaint.ListingRestored",
                C::CheckBackDue { .. } => "complaint.CheckBackDue",
                C::ResponseDeadlineReminded { .. } => "complaint.ResponseDeadlineReminded",
                C::StillListed { .. } => "complaint.StillListed",
                C::Retracted { .. } => "complaint.Retracted",
                C::Relisted { .. } => "complaint.Relisted",
                C::Refiled { .. } => "complaint.Refiled",
            },
            DomainEvent::Power(event) => match event.change {
                PowerChange::Granted { .. } => "power.Granted",
                PowerChange::Revoked { .. } => "power.Revoked",
                PowerChange::Expired => "power.Expired",
            },
            DomainEvent::Campaign(event) => match event.change {
                CampaignChange::Created(_) => "campaign.Created",
                CampaignChange::Changed(_) => "campaign.Changed",
                CampaignChange::Archived { .. } => "campaign.Archived",
            },
            DomainEvent::Policy(event) => match event.change {
                PolicyChange::Adopted { .. } => "policy.Adopted",
                PolicyChange::Changed { .. } => "policy.Changed",
            },
            DomainEvent::Filer(event) => match event.change {
                FilerChange::Warned { .. } => "filer.Warned",
            },
            // The owner's event names live in its JSON; one stored name for them all.
            DomainEvent::Extension(_) => "extension.Event",
        }
    }
}

/// Reads an event stored as JSON by a backend, given the type name and schema version stored
/// beside it. Today there is one schema; when an event changes shape, this is where payloads
/// of older versions are translated, so every backend reads old files the same way.
pub fn upcast_event(type_name: &str, schema: u32, json: &str) -> Result<DomainEvent, StoreError> {
    if schema > DomainEvent::SCHEMA_VERSION {
        return Err(StoreError::Corrupt {
            location: format!("event {type_name}"),
            detail: format!(
                "written with event schema {schema}, this build reads up to {}",
                DomainEvent::SCHEMA_VERSION
            ),
        });
    }
    let event: DomainEvent = serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
        location: format!("event {type_name}"),
        detail: e.to_string(),
    })?;
    if event.type_name() != type_name {
        return Err(StoreError::Corrupt {
            location: format!("event {type_name}"),
            detail: format!("payload is a {}", event.type_name()),
        });
    }
    Ok(event)
}

/// An event with its place in its stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The stream.
    pub stream: StreamId,
    /// 1 for the stream's first event; consecutive, no gaps.
    pub version: u64,
    /// The event.
    pub event: DomainEvent,
}
