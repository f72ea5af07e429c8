//! Powers of attorney as streams: granted by the rights holder, then revoked by it or expired
//! at the end of their window, each change kept in the history with its actor, time and
//! reason, so that who could act for whom, and when, holds up later.
//!
//! ```text
//! (none) --Grant--> InForce --Revoke--> Revoked
//!                          \--Expire--> Expired   (the engine, at `valid_until`)
//! ```

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::authority::Issuer;
use crate::decider::{Decider, Recorded, Refusal};
use crate::ids::{RepresentativeId, RightId, RightsHolderId, TenantId};
use crate::party::{Actor, PowerOfAttorney};
use crate::text::Text;

/// Where a power of attorney stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PowerStatus {
    /// Granted and not withdrawn (it authorises only inside its window).
    InForce,
    /// Withdrawn by the holder.
    Revoked,
    /// Its window ended.
    Expired,
}

impl fmt::Display for PowerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PowerStatus::InForce => "in force",
            PowerStatus::Revoked => "revoked",
            PowerStatus::Expired => "expired",
        })
    }
}

/// A power of attorney's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Power {
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// What was granted.
    pub grant: PowerOfAttorney,
    /// Where it stands.
    pub status: PowerStatus,
    /// When it was granted.
    pub granted_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Power {
    /// Whether it lets `representative` act for `holder` on `right` at `at`: in force, and
    /// inside its window and scope.
    pub fn authorises(
        &self,
        representative: RepresentativeId,
        holder: RightsHolderId,
        right: RightId,
        at: DateTime<Utc>,
    ) -> bool {
        self.status == PowerStatus::InForce
            && self.grant.authorises(representative, holder, right, at)
    }
}

/// What a caller asks of a power of attorney.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PowerCommand {
    /// The holder grants the power (creates the stream).
    Grant {
        /// The tenant.
        tenant: TenantId,
        /// What is granted; its `id` is the stream's.
        power: PowerOfAttorney,
    },
    /// The holder withdraws it.
    Revoke {
        /// Why, if the holder says.
        reason: Option<Text>,
    },
    /// Its window ended (the engine's timer).
    Expire,
}

impl PowerCommand {
    /// The command's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            PowerCommand::Grant { .. } => "GrantPower",
            PowerCommand::Revoke { .. } => "RevokePower",
            PowerCommand::Expire => "ExpirePower",
        }
    }

    /// Who may issue it. Representatives are on the holder's side but the engine refuses
    /// them: a power cannot be granted or withdrawn by the one it empowers.
    pub fn issuers(&self) -> &'static [Issuer] {
        match self {
            PowerCommand::Grant { .. } | PowerCommand::Revoke { .. } => &[Issuer::Holder],
            PowerCommand::Expire => &[Issuer::System],
        }
    }
}

/// What happened to a power of attorney.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PowerChange {
    /// It was granted.
    Granted {
        /// The tenant.
        tenant: TenantId,
        /// What was granted.
        power: PowerOfAttorney,
    },
    /// The holder withdrew it.
    Revoked {
        /// Why, if given.
        reason: Option<Text>,
    },
    /// Its window ended.
    Expired,
}

/// A power of attorney's event.
pub type PowerEvent = Recorded<PowerChange>;

/// The rule a refused power command broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum PowerRule {
    /// The power exists already.
    #[error("the power of attorney is already granted")]
    AlreadyGranted,
    /// Only a power in force can be revoked or expire.
    #[error("the power of attorney is no longer in force")]
    NotInForce,
    /// Its window has not ended.
    #[error("the power of attorney runs until {until:?}")]
    NotYetExpired {
        /// When it ends (`None`: never).
        until: Option<DateTime<Utc>>,
    },
    /// Its window ends before it starts.
    #[error("the power of attorney ends before it starts")]
    EmptyWindow,
}

/// Why a power command was refused.
pub type PowerRefusal = Refusal<PowerStatus, PowerRule>;

/// What deciding a power command may read.
#[derive(Debug, Clone, Copy)]
pub struct PowerContext {
    /// Now.
    pub at: DateTime<Utc>,
    /// Who issues the command.
    pub actor: Actor,
}

/// The power-of-attorney state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct PowerDecider;

impl Decider for PowerDecider {
    type State = Option<Power>;
    type Command = PowerCommand;
    type Event = PowerEvent;
    type Context<'a> = PowerContext;
    type Refusal = PowerRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &PowerCommand,
        context: &PowerContext,
    ) -> Result<Vec<PowerEvent>, PowerRefusal> {
        let refuse = |rule| Refusal::new(state.as_ref().map(|p| p.status), command.name(), rule);
        let change = match (state, command) {
            (None, PowerCommand::Grant { tenant, power }) => {
                if power
                    .valid_until
                    .is_some_and(|until| until <= power.valid_from)
                {
                    return Err(refuse(PowerRule::EmptyWindow));
                }
                PowerChange::Granted {
                    tenant: *tenant,
                    power: power.clone(),
                }
            }
            (Some(_), PowerCommand::Grant { .. }) => {
                return Err(refuse(PowerRule::AlreadyGranted));
            }
            (Some(power), _) if power.status != PowerStatus::InForce => {
                return Err(refuse(PowerRule::NotInForce));
            }
            (Some(_), PowerCommand::Revoke { reason }) => PowerChange::Revoked {
                reason: reason.clone(),
            },
            (Some(power), PowerCommand::Expire) => match power.grant.valid_until {
                Some(until) if until <= context.at => PowerChange::Expired,
                until => return Err(refuse(PowerRule::NotYetExpired { until })),
            },
            // The engine answers "not found" before deciding on an absent stream.
            (None, _) => return Err(refuse(PowerRule::NotInForce)),
        };
        Ok(vec![Recorded {
            at: context.at,
            actor: context.actor,
            change,
        }])
    }

    fn evolve(state: Self::State, event: &PowerEvent) -> Self::State {
        match (state, &event.change) {
            (None, PowerChange::Granted { tenant, power }) => Some(Power {
                tenant: *tenant,
                grant: power.clone(),
                status: PowerStatus::InForce,
                granted_at: event.at,
                updated_at: event.at,
            }),
            (Some(mut power), change) => {
                match change {
                    PowerChange::Revoked { .. } => power.status = PowerStatus::Revoked,
                    PowerChange::Expired => power.status = PowerStatus::Expired,
                    PowerChange::Granted { .. } => {
                        tracing::warn!(power = %power.grant.id, "second grant event ignored");
                        return Some(power);
                    }
                }
                power.updated_at = event.at;
                Some(power)
            }
            (None, _) => {
                tracing::warn!("power event before its grant ignored");
                None
            }
        }
    }
}
