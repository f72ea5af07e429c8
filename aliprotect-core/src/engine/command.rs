//! What callers hand the engine.

use serde::{Deserialize, Serialize};

use crate::authority::Issuer;
use crate::campaign::CampaignCommand;
use crate::complaint::ComplaintCommand;
use crate::filer::FilerCommand;
use crate::ids::{CampaignId, ComplaintId, PowerOfAttorneyId, RightId, TenantId};
use crate::party::Actor;
use crate::power::PowerCommand;
use crate::right::RightCommand;
use crate::store::{IdempotencyKey, RequestFingerprint, StreamId};

/// A command addressed to one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Command {
    /// A command for an IP right.
    Right {
        /// The right.
        id: RightId,
        /// The command.
        command: RightCommand,
    },
    /// A command for a complaint.
    Complaint {
        /// The complaint.
        id: ComplaintId,
        /// The command.
        command: ComplaintCommand,
    },
    /// A command for a power of attorney.
    Power {
        /// The power.
        id: PowerOfAttorneyId,
        /// The command.
        command: PowerCommand,
    },
    /// A command for a campaign.
    Campaign {
        /// The campaign.
        id: CampaignId,
        /// The command.
        command: CampaignCommand,
    },
    /// A command for a tenant's record as a filer (the engine's own).
    Filer {
        /// The command.
        command: FilerCommand,
    },
}

impl Command {
    /// A command for right `id`.
    pub fn right(id: RightId, command: RightCommand) -> Self {
        Command::Right { id, command }
    }

    /// A command for complaint `id`.
    pub fn complaint(id: ComplaintId, command: ComplaintCommand) -> Self {
        Command::Complaint { id, command }
    }

    /// A command for power of attorney `id`.
    pub fn power(id: PowerOfAttorneyId, command: PowerCommand) -> Self {
        Command::Power { id, command }
    }

    /// A command for campaign `id`.
    pub fn campaign(id: CampaignId, command: CampaignCommand) -> Self {
        Command::Campaign { id, command }
    }

    /// The stream it addresses.
    pub fn stream(&self) -> StreamId {
        match self {
            Command::Right { id, .. } => StreamId::Right(*id),
            Command::Complaint { id, .. } => StreamId::Complaint(*id),
            Command::Power { id, .. } => StreamId::Power(*id),
            Command::Campaign { id, .. } => StreamId::Campaign(*id),
            Command::Filer {
                command: FilerCommand::Warn { tenant, .. },
            } => StreamId::Filer(*tenant),
        }
    }

    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Right { command, .. } => command.name(),
            Command::Complaint { command, .. } => command.name(),
            Command::Power { command, .. } => command.name(),
            Command::Campaign { command, .. } => command.name(),
            Command::Filer { command } => command.name(),
        }
    }

    /// The sides that may issue it.
    pub fn issuers(&self) -> &'static [Issuer] {
        match self {
            Command::Right { command, .. } => command.issuers(),
            Command::Complaint { command, .. } => command.issuers(),
            Command::Power { command, .. } => command.issuers(),
            Command::Campaign { command, .. } => command.issuers(),
            Command::Filer { command } => command.issuers(),
        }
    }

    /// For a creation command: the id and tenant it carries, which must match the request.
    pub(crate) fn created_as(&self) -> Option<(StreamId, TenantId)> {
        match self {
            Command::Right {
                command: RightCommand::Register { id, tenant, .. },
                ..
            } => Some((StreamId::Right(*id), *tenant)),
            Command::Complaint {
                command: ComplaintCommand::File(filing),
                ..
            } => Some((StreamId::Complaint(filing.id), filing.tenant)),
            Command::Power {
                command: PowerCommand::Grant { tenant, power },
                ..
            } => Some((StreamId::Power(power.id), *tenant)),
            Command::Campaign {
                command: CampaignCommand::Create(campaign),
                ..
            } => Some((StreamId::Campaign(campaign.id), campaign.tenant)),
            _ => None,
        }
    }
}

/// A command with who issues it, in which tenant, and an optional idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The tenant acted in.
    pub tenant: TenantId,
    /// Who issues it.
    pub actor: Actor,
    /// What to do.
    pub command: Command,
    /// Repeating a request with the same key returns the first receipt and writes nothing.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl Request {
    /// A request without an idempotency key.
    pub fn new(tenant: TenantId, actor: Actor, command: Command) -> Self {
        Self {
            tenant,
            actor,
            command,
            idempotency_key: None,
        }
    }

    /// The same request with an idempotency key.
    pub fn idempotent(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }

    /// What the request asks, as kept with its idempotency key's receipt: SHA-256 of the
    /// JSON of its actor and command (the tenant is part of the key's scope already). Two
    /// requests asking the same of the same stream have the same fingerprint on every build
    /// that writes commands the same way.
    pub fn fingerprint(&self) -> Result<RequestFingerprint, super::EngineError> {
        serde_json::to_vec(&(&self.actor, &self.command))
            .map(|bytes| RequestFingerprint::of_bytes(&bytes))
            .map_err(|_| super::EngineError::InvalidCommand("the command cannot be serialised"))
    }
}
