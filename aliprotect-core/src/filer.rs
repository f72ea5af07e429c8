//! The tenant as a filer, kept as a stream of its own ([`StreamId::Filer`]): each warning
//! that its accuracy is near or past the platform's trusted-filer standards is an event with
//! the figures it gave, so the record shows when the firm was told and what. A filer is
//! warned at most once a UTC day: a second warning that day is refused by the stream's
//! state, and two engines reviewing at once are kept apart by the commit's version check.
//!
//! ```text
//! (none) --Warn--> Warned --Warn (a later day)--> Warned
//! ```
//!
//! [`StreamId::Filer`]: crate::ids::StreamId::Filer

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accuracy::{Accuracy, Standing};
use crate::authority::Issuer;
use crate::complaint::ComplaintReason;
use crate::decider::{Decider, Recorded, Refusal};
use crate::ids::TenantId;
use crate::party::Actor;

/// The tenant's record as a filer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilerRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// Warnings given so far.
    pub warnings: u32,
    /// When the last one was given.
    pub last_warned_at: DateTime<Utc>,
    /// The last one.
    pub last_warning: AccuracyWarning,
}

impl FilerRecord {
    /// Where the record stands (it has one status).
    pub fn status(&self) -> FilerStatus {
        FilerStatus::Warned
    }
}

/// Where a filer's record stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FilerStatus {
    /// Warned at least once.
    Warned,
}

impl fmt::Display for FilerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FilerStatus::Warned => "warned",
        })
    }
}

/// What a warning told the filer: its standing and overall figures, and the complaint
/// reasons at risk or below on their own. Rates are in whole tenths of a percent, so the
/// record compares exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccuracyWarning {
    /// `AtRisk` or `Below`.
    pub standing: Standing,
    /// Takedown rate over the window, in tenths of a percent.
    pub takedown_per_mille: Option<u32>,
    /// Successful counter-notice rate (decided complaints lost to a counter-notice) over
    /// the window, in tenths of a percent.
    pub successful_counter_notice_per_mille: Option<u32>,
    /// The complaint reasons at risk or below on their own.
    pub reasons: Vec<ComplaintReason>,
}

impl AccuracyWarning {
    /// The warning `accuracy` calls for: `None` while the standing is good.
    pub fn of(accuracy: &Accuracy) -> Option<Self> {
        if accuracy.standing < Standing::AtRisk {
            return None;
        }
        let per_mille =
            |rate: Option<f64>| rate.map(|r| (r * 1000.0).round().clamp(0.0, 1000.0) as u32);
        Some(Self {
            standing: accuracy.standing,
            takedown_per_mille: per_mille(accuracy.overall.takedown_rate),
            successful_counter_notice_per_mille: per_mille(
                accuracy.overall.counter_notice_loss_rate,
            ),
            reasons: accuracy
                .standing_by_reason
                .iter()
                .filter(|(_, standing)| **standing >= Standing::AtRisk)
                .map(|(reason, _)| *reason)
                .collect(),
        })
    }
}

/// What the engine asks of a filer's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FilerCommand {
    /// Warn the filer (the engine's daily review does, see
    /// [`Jobs::review_filer_accuracy`](crate::engine::Jobs::review_filer_accuracy)).
    Warn {
        /// The filer: the tenant whose record it is.
        tenant: TenantId,
        /// What to tell it.
        warning: AccuracyWarning,
    },
}

impl FilerCommand {
    /// The command's name, for errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            FilerCommand::Warn { .. } => "WarnFiler",
        }
    }

    /// Who may issue it: the engine.
    pub fn issuers(&self) -> &'static [Issuer] {
        &[Issuer::System]
    }
}

/// What happened to a filer's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum FilerChange {
    /// The filer was warned.
    Warned {
        /// The filer.
        tenant: TenantId,
        /// What it was told.
        warning: AccuracyWarning,
    },
}

/// A filer record's event.
pub type FilerEvent = Recorded<FilerChange>;

/// The rule a refused filer command broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum FilerRule {
    /// The filer was warned earlier the same UTC day.
    #[error("the filer was warned today already")]
    WarnedToday,
}

/// Why a filer command was refused.
pub type FilerRefusal = Refusal<FilerStatus, FilerRule>;

/// What deciding a filer command may read.
#[derive(Debug, Clone, Copy)]
pub struct FilerContext {
    /// Now.
    pub at: DateTime<Utc>,
    /// Who issues the command.
    pub actor: Actor,
}

/// The filer record's state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilerDecider;

impl Decider for FilerDecider {
    type State = Option<FilerRecord>;
    type Command = FilerCommand;
    type Event = FilerEvent;
    type Context<'a> = FilerContext;
    type Refusal = FilerRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &FilerCommand,
        context: &FilerContext,
    ) -> Result<Vec<FilerEvent>, FilerRefusal> {
        let FilerCommand::Warn { tenant, warning } = command;
        if let Some(record) = state
            && record.last_warned_at.date_naive() == context.at.date_naive()
        {
            let status = Some(record.status());
            return Err(Refusal::new(status, command.name(), FilerRule::WarnedToday));
        }
        Ok(vec![Recorded {
            at: context.at,
            actor: context.actor,
            change: FilerChange::Warned {
                tenant: *tenant,
                warning: warning.clone(),
            },
        }])
    }

    fn evolve(state: Self::State, event: &FilerEvent) -> Self::State {
        let FilerChange::Warned { tenant, warning } = &event.change;
        Some(FilerRecord {
            tenant: *tenant,
            warnings: state.map_or(1, |record| record.warnings.saturating_add(1)),
            last_warned_at: event.at,
            last_warning: warning.clone(),
        })
    }
}
