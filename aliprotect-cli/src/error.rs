//! Errors as a person reads them: what went wrong in plain words, what to do about it, and
//! an exit code a script can branch on.

use std::path::{Path, PathBuf};

use aliprotect::complaint::{ComplaintRefusal, ComplaintRule};
use aliprotect::engine::{EngineError, PolicyError};
use aliprotect::right::{RightRefusal, RightRule};
use aliprotect::store::StoreError;

/// Why a command did not do what was asked. Nothing was written in any case.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The rules refused the command.
    #[error("{message}")]
    Refused {
        /// The rule, in plain words.
        message: String,
        /// What to do about it, one line each.
        hints: Vec<String>,
    },
    /// An id that names nothing of this client.
    #[error("{0} not found")]
    NotFound(String),
    /// A value on the command line that cannot be used.
    #[error("{0}")]
    Usage(String),
    /// A file that cannot be read or understood.
    #[error("{path}: {problem}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The database could not be opened or used.
    #[error("{0}")]
    Database(String),
    /// Something outside (network, terminal, signal handling) failed.
    #[error("{0}")]
    Environment(String),
    /// Some items of a batch failed, each for its own reason (one line each); the exit code
    /// is the gravest of theirs.
    #[error("{message}")]
    Batch {
        /// What failed, in all.
        message: String,
        /// One line per failed item.
        lines: Vec<String>,
        /// The gravest exit code among the items'.
        exit: u8,
    },
}

impl CliError {
    /// The process's exit code: 1 the rules said no or nothing has that id, 2 the input
    /// was wrong, 3 the database or network failed.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            CliError::Refused { .. } | CliError::NotFound(_) => 1,
            CliError::Usage(_) | CliError::File { .. } => 2,
            CliError::Database(_) | CliError::Environment(_) => 3,
            CliError::Batch { exit, .. } => *exit,
        }
    }

    /// The lines that follow the message: what to do.
    pub(crate) fn hints(&self) -> &[String] {
        match self {
            CliError::Refused { hints, .. } => hints,
            CliError::Batch { lines, .. } => lines,
            _ => &[],
        }
    }

    pub(crate) fn file(path: &Path, problem: impl ToString) -> Self {
        CliError::File {
            path: path.to_owned(),
            problem: problem.to_string(),
        }
    }

    pub(crate) fn refused(message: impl Into<String>, hints: Vec<String>) -> Self {
        CliError::Refused {
            message: message.into(),
            hints,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        CliError::Database(format!("database error: {error}"))
    }
}

impl From<EngineError> for CliError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::RightRefused(refusal) => right_refused(refusal),
            EngineError::NotFound(stream) => CliError::NotFound(stream.to_string()),
            EngineError::UnknownCampaign(id) => CliError::NotFound(format!("campaign {id}")),
            EngineError::Store(error) => error.into(),
            EngineError::Conflict { stream, .. } => CliError::Database(format!(
                "{stream} kept changing under this command; run it again"
            )),
            EngineError::IdempotencyKeyReused { key } => CliError::Usage(format!(
                "--idempotency-key `{}` was already used for a different command; a key \
                 belongs to one request: pick a new key for this one",
                key.as_str()
                    .strip_prefix("cli/")
                    .and_then(|k| k.rsplit_once('/').map(|(k, _)| k))
                    .unwrap_or(key.as_str())
            )),
            EngineError::Policy(PolicyError::Mismatch {
                stored, configured, ..
            }) => CliError::refused(
                format!("the database follows the `{stored}` rules, not `{configured}`"),
                vec![
                    "To change the rules of recorded data: aliprotect policy change --to ... \
                     --reason '...'"
                        .to_owned(),
                ],
            ),
            EngineError::Policy(PolicyError::Unreadable { detail }) => {
                CliError::Database(format!("the database's policy cannot be read: {detail}"))
            }
            EngineError::Policy(PolicyError::Unchanged) => CliError::refused(
                "the database already follows these rules",
                vec!["`aliprotect policy show` prints them.".to_owned()],
            ),
            EngineError::ComplaintRefused(ComplaintRefusal {
                rule: ComplaintRule::ListingHasOpenComplaint { open },
                ..
            }) => CliError::refused(
                format!("refused: the listing already has an open complaint, {open}"),
                vec![format!(
                    "One complaint per listing: `aliprotect complaint show {open}` prints it."
                )],
            ),
            refused @ (EngineError::ComplaintRefused(_)
            | EngineError::CampaignRefused(_)
            | EngineError::PowerRefused(_)) => CliError::refused(
                format!("refused: {refused}"),
                vec!["`aliprotect complaint show ID` prints where it stands.".to_owned()],
            ),
            other => CliError::refused(format!("refused: {other}"), Vec::new()),
        }
    }
}

/// A right's refusal, with every missing document on a line of its own.
fn right_refused(refusal: RightRefusal) -> CliError {
    match refusal.rule {
        RightRule::PackageIncomplete(problems) => {
            let mut hints: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
            hints.push(
                "Fix the right file, then `aliprotect right amend ID FILE` and submit again."
                    .to_owned(),
            );
            CliError::refused(
                format!(
                    "`{}` refused: the package has {} problem(s) the platform would reject it for:",
                    refusal.command,
                    problems.len()
                ),
                hints,
            )
        }
        RightRule::UnchangedSinceRejection { reason, fixes } => {
            let mut hints = vec![format!("The platform said: {}", reason.as_str())];
            hints.extend(
                fixes
                    .iter()
                    .map(|fix| format!("- fix: {}", fix.instruction.as_str())),
            );
            hints.push(
                "Fix the right file, `aliprotect right amend ID FILE`, then submit: a \
                 resubmission of the same package would only use up an attempt."
                    .to_owned(),
            );
            CliError::refused(
                format!(
                    "`{}` refused: nothing changed since the platform's rejection",
                    refusal.command
                ),
                hints,
            )
        }
        RightRule::AttemptLimitReached { limit } => CliError::refused(
            format!(
                "`{}` refused: all {limit} submissions allowed are used",
                refusal.command
            ),
            vec!["Register the right again as a new right once the problem is solved.".to_owned()],
        ),
        rule => CliError::refused(
            format!(
                "`{}` refused while the right is {}: {rule}",
                refusal.command, refusal.state
            ),
            vec!["`aliprotect right show ID` prints its status and last rejection.".to_owned()],
        ),
    }
}
