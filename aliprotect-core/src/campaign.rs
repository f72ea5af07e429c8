//! Campaigns: named enforcement efforts grouping complaints under one or more rights, kept
//! as streams so that every change (created, renamed, re-scoped, archived) is in the history
//! with its actor and time.
//!
//! ```text
//! (none) --Create--> Active --Change--> Active
//!                           \--Archive--> Archived
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::authority::Issuer;
use crate::decider::{Decider, Recorded, Refusal};
use crate::ids::{CampaignId, RightId, TenantId};
use crate::party::Actor;
use crate::text::Text;

/// A named enforcement effort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Its id.
    pub id: CampaignId,
    /// Its tenant.
    pub tenant: TenantId,
    /// A name for people ("Earbuds, Q4 sweep").
    pub name: Text,
    /// The approved rights its complaints may rest on.
    pub rights: Vec<RightId>,
    /// Whether a relisting found by an intake is filed at once (else it is reported and
    /// left for a person to decide).
    pub auto_file_relistings: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Whether it was archived (closed); an archived campaign takes no changes.
    #[serde(default)]
    pub archived: bool,
}

impl Campaign {
    /// A new, active campaign.
    pub fn new(
        id: CampaignId,
        tenant: TenantId,
        name: Text,
        rights: Vec<RightId>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            tenant,
            name,
            rights,
            auto_file_relistings: false,
            created_at,
            archived: false,
        }
    }

    /// The same campaign, filing relistings at once (`true`) or holding them for a person.
    pub fn auto_file_relistings(mut self, auto: bool) -> Self {
        self.auto_file_relistings = auto;
        self
    }

    /// Where it stands.
    pub fn status(&self) -> CampaignStatus {
        if self.archived {
            CampaignStatus::Archived
        } else {
            CampaignStatus::Active
        }
    }
}

/// Where a campaign stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CampaignStatus {
    /// Open to changes and complaints.
    Active,
    /// Closed.
    Archived,
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CampaignStatus::Active => "active",
            CampaignStatus::Archived => "archived",
        })
    }
}

/// What a change to a campaign sets (fields left `None` stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignChanges {
    /// A new name.
    pub name: Option<Text>,
    /// A new set of rights.
    pub rights: Option<Vec<RightId>>,
    /// Whether relistings are filed at once.
    pub auto_file_relistings: Option<bool>,
}

/// What a caller asks of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CampaignCommand {
    /// Create it (the stream's first command); its `archived` must be false.
    Create(Box<Campaign>),
    /// Rename or re-scope it.
    Change(CampaignChanges),
    /// Close it.
    Archive {
        /// Why, if given.
        reason: Option<Text>,
    },
}

impl CampaignCommand {
    /// The command's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            CampaignCommand::Create(_) => "CreateCampaign",
            CampaignCommand::Change(_) => "ChangeCampaign",
            CampaignCommand::Archive { .. } => "ArchiveCampaign",
        }
    }

    /// Who may issue it: the holder's side.
    pub fn issuers(&self) -> &'static [Issuer] {
        &[Issuer::Holder]
    }

    /// The rights the command puts into the campaign: each must be approved.
    pub fn rights(&self) -> &[RightId] {
        match self {
            CampaignCommand::Create(campaign) => &campaign.rights,
            CampaignCommand::Change(CampaignChanges {
                rights: Some(rights),
                ..
            }) => rights,
            _ => &[],
        }
    }
}

/// What happened to a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CampaignChange {
    /// It was created.
    Created(Box<Campaign>),
    /// It was renamed or re-scoped.
    Changed(CampaignChanges),
    /// It was closed.
    Archived {
        /// Why, if given.
        reason: Option<Text>,
    },
}

/// A campaign's event.
pub type CampaignEvent = Recorded<CampaignChange>;

/// The rule a refused campaign command broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum CampaignRule {
    /// The campaign exists already.
    #[error("the campaign already exists")]
    AlreadyExists,
    /// A new campaign must start active.
    #[error("a new campaign cannot start archived")]
    CreatedArchived,
    /// The campaign is archived.
    #[error("the campaign is archived")]
    Archived,
    /// A right is not approved in the tenant (or does not exist there).
    #[error("right {0} is not approved")]
    RightNotApproved(RightId),
}

/// Why a campaign command was refused.
pub type CampaignRefusal = Refusal<CampaignStatus, CampaignRule>;

/// What deciding a campaign command may read.
#[derive(Debug, Clone, Copy)]
pub struct CampaignContext<'a> {
    /// Now.
    pub at: DateTime<Utc>,
    /// Who issues the command.
    pub actor: Actor,
    /// Which of the command's rights are approved in the tenant.
    pub approved_rights: &'a [RightId],
}

/// The campaign state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct CampaignDecider;

impl Decider for CampaignDecider {
    type State = Option<Campaign>;
    type Command = CampaignCommand;
    type Event = CampaignEvent;
    type Context<'a> = CampaignContext<'a>;
    type Refusal = CampaignRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &CampaignCommand,
        context: &CampaignContext<'_>,
    ) -> Result<Vec<CampaignEvent>, CampaignRefusal> {
        let refuse =
            |rule| Refusal::new(state.as_ref().map(Campaign::status), command.name(), rule);
        if let Some(right) = command
            .rights()
            .iter()
            .find(|right| !context.approved_rights.contains(right))
        {
            return Err(refuse(CampaignRule::RightNotApproved(*right)));
        }
        let change = match (state, command) {
            (None, CampaignCommand::Create(campaign)) if campaign.archived => {
                return Err(refuse(CampaignRule::CreatedArchived));
            }
            (None, CampaignCommand::Create(campaign)) => CampaignChange::Created(campaign.clone()),
            (Some(_), CampaignCommand::Create(_)) => {
                return Err(refuse(CampaignRule::AlreadyExists));
            }
            (Some(campaign), _) if campaign.archived => {
                return Err(refuse(CampaignRule::Archived));
            }
            (Some(_), CampaignCommand::Change(changes)) => CampaignChange::Changed(changes.clone()),
            (Some(_), CampaignCommand::Archive { reason }) => CampaignChange::Archived {
                reason: reason.clone(),
            },
            // The engine answers "not found" before deciding on an absent stream.
            (None, _) => return Err(refuse(CampaignRule::Archived)),
        };
        Ok(vec![Recorded {
            at: context.at,
            actor: context.actor,
            change,
        }])
    }

    fn evolve(state: Self::State, event: &CampaignEvent) -> Self::State {
        match (state, &event.change) {
            (None, CampaignChange::Created(campaign)) => Some((**campaign).clone()),
            (Some(mut campaign), CampaignChange::Changed(changes)) => {
                if let Some(name) = &changes.name {
                    campaign.name = name.clone();
                }
                if let Some(rights) = &changes.rights {
                    campaign.rights = rights.clone();
                }
                if let Some(auto) = changes.auto_file_relistings {
                    campaign.auto_file_relistings = auto;
                }
                Some(campaign)
            }
            (Some(mut campaign), CampaignChange::Archived { .. }) => {
                campaign.archived = true;
                Some(campaign)
            }
            (state, _) => {
                tracing::warn!("campaign event that does not fit its state ignored");
                state
            }
        }
    }
}
