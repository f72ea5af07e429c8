//! A saved keyword sweep: what to search for on which marketplace, for which right and
//! campaign, how often, and what each run found. A stream with a history, so that a firm
//! can show when it looked, for what, and what it saw.

use std::fmt;

use aliprotect_core::complaint::ComplaintReason;
use aliprotect_core::decider::{Decider, Recorded, Refusal};
use aliprotect_core::ids::{CampaignId, RightId, TenantId};
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::store::{ExtensionKind, ExtensionStream, IndexKey, IndexName};
use aliprotect_core::text::Text;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use aliprotect_core::store::decided::{DecidedStream, Stamp};

/// A sweep's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SweepId(Uuid);

impl SweepId {
    /// A new id (UUID v7: sweeps list in the order they were added).
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// The id `uuid`.
    pub fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The id as a UUID.
    pub fn as_uuid(self) -> Uuid {
        self.0
    }
}

impl Default for SweepId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for SweepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for SweepId {
    type Err = uuid::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

/// What a sweep searches for and what its findings are filed as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepSpec {
    /// A name for people.
    pub name: String,
    /// The keywords searched, each on its own.
    pub keywords: Vec<String>,
    /// The marketplace searched; every listing found must belong to it.
    pub marketplace: Marketplace,
    /// The right the complaints rest on.
    pub right: RightId,
    /// The campaign the complaints belong to, if any: it says whether a relisting found is
    /// filed at once.
    pub campaign: Option<CampaignId>,
    /// The reason of every complaint filed from the sweep.
    pub reason: ComplaintReason,
    /// The explanation of every complaint filed from the sweep.
    pub explanation: Text,
    /// Hours between runs (at least 1).
    pub every_hours: u32,
    /// Result pages read per keyword and run, at most (at least 1).
    pub page_budget: u32,
}

impl SweepSpec {
    /// The most keywords in a sweep.
    pub const MAX_KEYWORDS: usize = 50;
    /// The longest keyword or name, in characters.
    pub const MAX_CHARS: usize = 200;
    /// The most pages per keyword and run.
    pub const MAX_PAGE_BUDGET: u32 = 1_000;
    /// The most hours between runs: a leap year.
    pub const MAX_EVERY_HOURS: u32 = 366 * 24;
}

/// A sweep's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SweepStatus {
    /// Runs on its schedule.
    Active = 0,
    /// Kept, not run.
    Paused = 1,
}

impl SweepStatus {
    /// How it is shown.
    pub fn as_str(self) -> &'static str {
        match self {
            SweepStatus::Active => "active",
            SweepStatus::Paused => "paused",
        }
    }
}

impl fmt::Display for SweepStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one run of a sweep saw and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRun {
    /// When the run started.
    pub started: DateTime<Utc>,
    /// Result pages read.
    pub pages: u32,
    /// Listings found (distinct within the run).
    pub found: u32,
    /// New candidates for a person to review.
    pub to_review: u32,
    /// New candidates proposed as relistings of a removed listing.
    pub relistings: u32,
    /// Relistings filed at once, as the sweep's campaign says.
    pub filed: u32,
    /// New candidates allowed: their seller is authorised for the right.
    pub allowed: u32,
    /// Listings already complained about, or already candidates: nothing new.
    pub known: u32,
    /// Results that were no listing of the marketplace (a bad URL, a field too long).
    pub unusable: u32,
    /// Why a keyword's search stopped before its last page, if one did: the search's error,
    /// verbatim (a page whose shape changed, a host that did not answer).
    pub stopped: Vec<String>,
}

/// A saved keyword sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// Its id.
    pub id: SweepId,
    /// Its tenant.
    pub tenant: TenantId,
    /// What it searches for.
    pub spec: SweepSpec,
    /// Active or paused.
    pub status: SweepStatus,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// Runs recorded.
    pub runs: u32,
    /// The run that started last, if any.
    pub last_run: Option<SweepRun>,
    /// When it is next due.
    pub next_run: DateTime<Utc>,
}

impl Sweep {
    /// Whether it is due at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.status == SweepStatus::Active && self.next_run <= now
    }
}

/// What can be asked of a sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SweepCommand {
    /// Adds the sweep.
    Create {
        /// Its id: the stream's.
        id: SweepId,
        /// Its tenant.
        tenant: TenantId,
        /// What it searches for.
        spec: SweepSpec,
    },
    /// Records a run (a paused sweep's too: one started before the pause).
    RecordRun(SweepRun),
    /// Stops running it on schedule.
    Pause,
    /// Runs it on schedule again.
    Resume,
}

impl SweepCommand {
    fn name(&self) -> &'static str {
        match self {
            SweepCommand::Create { .. } => "create",
            SweepCommand::RecordRun(_) => "record-run",
            SweepCommand::Pause => "pause",
            SweepCommand::Resume => "resume",
        }
    }
}

/// What changed in a sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SweepChange {
    /// Added.
    Created {
        /// Its id.
        id: SweepId,
        /// Its tenant.
        tenant: TenantId,
        /// What it searches for.
        spec: SweepSpec,
    },
    /// Ran.
    Ran(SweepRun),
    /// Paused.
    Paused,
    /// Resumed.
    Resumed,
}

/// A sweep's event.
pub type SweepEvent = Recorded<SweepChange>;

/// The rules a sweep command can break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum SweepRule {
    /// The sweep exists already.
    #[error("the sweep exists already")]
    AlreadyExists,
    /// No such sweep.
    #[error("no such sweep")]
    Unknown,
    /// No keyword, or a blank one.
    #[error("a sweep needs at least one keyword, and none blank")]
    NoKeyword,
    /// More keywords than [`SweepSpec::MAX_KEYWORDS`].
    #[error("a sweep has at most {} keywords", SweepSpec::MAX_KEYWORDS)]
    TooManyKeywords,
    /// A keyword or the name longer than [`SweepSpec::MAX_CHARS`], or a blank name.
    #[error("names and keywords are 1 to {} characters", SweepSpec::MAX_CHARS)]
    BadText,
    /// Runs less than an hour apart.
    #[error("a sweep runs at most once an hour")]
    TooOften,
    /// Runs more than [`SweepSpec::MAX_EVERY_HOURS`] apart.
    #[error("a sweep runs at least once a year")]
    TooRarely,
    /// A page budget of 0 or above [`SweepSpec::MAX_PAGE_BUDGET`].
    #[error("the page budget is 1 to {}", SweepSpec::MAX_PAGE_BUDGET)]
    BadPageBudget,
    /// The sweep is paused: it does not start a run, nor pause again.
    #[error("the sweep is paused")]
    Paused,
    /// The sweep is not paused.
    #[error("the sweep is not paused")]
    NotPaused,
}

/// Why a sweep command was refused.
pub type SweepRefusal = Refusal<SweepStatus, SweepRule>;

/// The sweep state machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SweepDecider;

fn check(spec: &SweepSpec) -> Result<(), SweepRule> {
    let fits = |text: &str| !text.trim().is_empty() && text.chars().count() <= SweepSpec::MAX_CHARS;
    if spec.keywords.is_empty() || spec.keywords.iter().any(|k| k.trim().is_empty()) {
        return Err(SweepRule::NoKeyword);
    }
    if spec.keywords.len() > SweepSpec::MAX_KEYWORDS {
        return Err(SweepRule::TooManyKeywords);
    }
    if !fits(&spec.name) || !spec.keywords.iter().all(|k| fits(k)) {
        return Err(SweepRule::BadText);
    }
    if spec.every_hours == 0 {
        return Err(SweepRule::TooOften);
    }
    if spec.every_hours > SweepSpec::MAX_EVERY_HOURS {
        return Err(SweepRule::TooRarely);
    }
    if spec.page_budget == 0 || spec.page_budget > SweepSpec::MAX_PAGE_BUDGET {
        return Err(SweepRule::BadPageBudget);
    }
    Ok(())
}

impl Decider for SweepDecider {
    type State = Option<Sweep>;
    type Command = SweepCommand;
    type Event = SweepEvent;
    type Context<'a> = Stamp;
    type Refusal = SweepRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &SweepCommand,
        stamp: &Stamp,
    ) -> Result<Vec<SweepEvent>, SweepRefusal> {
        let refuse = |rule| Refusal::new(state.as_ref().map(|s| s.status), command.name(), rule);
        let change = match (state, command) {
            (None, SweepCommand::Create { id, tenant, spec }) => {
                check(spec).map_err(refuse)?;
                SweepChange::Created {
                    id: *id,
                    tenant: *tenant,
                    spec: spec.clone(),
                }
            }
            (Some(_), SweepCommand::Create { .. }) => return Err(refuse(SweepRule::AlreadyExists)),
            (None, _) => return Err(refuse(SweepRule::Unknown)),
            // A run that started before a pause still happened: it is recorded, as what
            // it found is.
            (Some(_), SweepCommand::RecordRun(run)) => SweepChange::Ran(run.clone()),
            (Some(sweep), SweepCommand::Pause) => {
                if sweep.status == SweepStatus::Paused {
                    return Err(refuse(SweepRule::Paused));
                }
                SweepChange::Paused
            }
            (Some(sweep), SweepCommand::Resume) => {
                if sweep.status != SweepStatus::Paused {
                    return Err(refuse(SweepRule::NotPaused));
                }
                SweepChange::Resumed
            }
        };
        Ok(vec![Recorded {
            at: stamp.at,
            actor: stamp.actor,
            change,
        }])
    }

    fn evolve(state: Self::State, event: &SweepEvent) -> Self::State {
        match (state, &event.change) {
            (None, SweepChange::Created { id, tenant, spec }) => Some(Sweep {
                id: *id,
                tenant: *tenant,
                spec: spec.clone(),
                status: SweepStatus::Active,
                created_at: event.at,
                runs: 0,
                last_run: None,
                next_run: event.at,
            }),
            (Some(mut sweep), SweepChange::Ran(run)) => {
                sweep.runs = sweep.runs.saturating_add(1);
                // Saturates: a stored sweep's period is not checked again, and a date
                // overflows. A run recorded late (another engine's, started earlier) never
                // brings the next one forward.
                let after = run
                    .started
                    .checked_add_signed(Duration::hours(i64::from(sweep.spec.every_hours)))
                    .unwrap_or(DateTime::<Utc>::MAX_UTC);
                sweep.next_run = sweep.next_run.max(after);
                if sweep
                    .last_run
                    .as_ref()
                    .is_none_or(|last| last.started <= run.started)
                {
                    sweep.last_run = Some(run.clone());
                }
                Some(sweep)
            }
            (Some(mut sweep), SweepChange::Paused) => {
                sweep.status = SweepStatus::Paused;
                Some(sweep)
            }
            (Some(mut sweep), SweepChange::Resumed) => {
                sweep.status = SweepStatus::Active;
                Some(sweep)
            }
            (state, _) => {
                tracing::warn!("a sweep event that does not fit its state ignored");
                state
            }
        }
    }
}

/// The sweep as a stream of a kind the core does not know: kind code 140.
#[derive(Debug, Clone, Copy)]
pub struct SweepStream;

/// The index sweeps and candidates are found by their right under.
pub const BY_RIGHT: IndexName = IndexName::new("right");

impl ExtensionStream for SweepStream {
    const KIND: ExtensionKind = ExtensionKind::new(140);
    type State = Sweep;

    fn status(state: &Sweep) -> u8 {
        state.status as u8
    }

    fn index_keys(state: &Sweep) -> Vec<IndexKey> {
        vec![IndexKey::new(BY_RIGHT, state.spec.right.to_string())]
    }
}

impl DecidedStream for SweepStream {
    type Change = SweepChange;
    type Decider = SweepDecider;
}
