//! `aliprotect complaint record ...`: what the platform, a seller or a check-back found, for
//! one complaint or for many at once.

use aliprotect::complaint::{ComplaintCommand, RemovalCause};
use aliprotect::engine::Command;
use aliprotect::ids::ComplaintId;
use aliprotect::party::Actor;

use super::{ManyIds, RecordSubcommand as RecordCommand};
use super::{act, complaints_table, kept_evidence, load};
use crate::commands::{many_complaints, text};
use crate::error::CliError;
use crate::output::Output;
use crate::session::Session;

pub(super) async fn run(
    session: &Session,
    out: &Output,
    record: RecordCommand,
) -> Result<(), CliError> {
    let (ids, actor, command, key) = match record {
        RecordCommand::Accepted { ids, write } => (
            ids,
            Actor::Platform,
            ComplaintCommand::Accept,
            write.idempotency_key,
        ),
        RecordCommand::Unable { ids, reason, write } => (
            ids,
            Actor::Platform,
            ComplaintCommand::ReportUnableToProcess {
                reason: text(&reason, "--reason")?,
            },
            write.idempotency_key,
        ),
        RecordCommand::Removed {
            ids,
            found_by_check_back,
            write,
        } => match found_by_check_back {
            None => (
                ids,
                Actor::Platform,
                ComplaintCommand::RecordRemoval {
                    cause: RemovalCause::PlatformReported,
                },
                write.idempotency_key,
            ),
            Some(evidence) => {
                let evidence = kept_evidence(session, &[evidence]).await?;
                (
                    ids,
                    session.me,
                    ComplaintCommand::RecordRemoval {
                        cause: RemovalCause::FoundByCheckBack {
                            evidence: evidence.into_iter().next(),
                        },
                    },
                    write.idempotency_key,
                )
            }
        },
        RecordCommand::StillListed { ids, write } => (
            ids,
            session.me,
            ComplaintCommand::ReportStillListed,
            write.idempotency_key,
        ),
        RecordCommand::CounterNotice {
            id,
            statement,
            evidence,
            write,
        } => {
            let command = ComplaintCommand::ReceiveCounterNotice {
                statement: text(&statement, "--statement")?,
                evidence: kept_evidence(session, &evidence).await?,
            };
            let ids = ManyIds {
                ids: vec![id],
                ids_from: None,
            };
            (ids, Actor::Seller, command, write.idempotency_key)
        }
        RecordCommand::Restored { ids, write } => (
            ids,
            Actor::Platform,
            ComplaintCommand::PlatformRestores,
            write.idempotency_key,
        ),
    };
    let ids = many_complaints(&ids)?;
    if let [one] = ids.as_slice() {
        return act(session, out, actor, *one, command, key).await;
    }
    many(session, out, &ids, actor, command, key.as_deref()).await
}

/// One outcome for many complaints in one batch: each gets its own result; the recorded
/// ones are listed, the others said, and the exit code is the gravest of theirs (1 if only
/// refused).
async fn many(
    session: &Session,
    out: &Output,
    ids: &[ComplaintId],
    actor: Actor,
    command: ComplaintCommand,
    key: Option<&str>,
) -> Result<(), CliError> {
    let requests = ids
        .iter()
        .enumerate()
        .map(|(step, id)| {
            session.request(actor, Command::complaint(*id, command.clone()), key, step)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results = session.engine.execute_batch(requests).await;
    let mut recorded = Vec::new();
    let mut refused = Vec::new();
    for (id, result) in ids.iter().zip(results) {
        match result {
            Ok(_) => recorded.push(load(session, *id).await?),
            Err(error) => refused.push((*id, CliError::from(error))),
        }
    }
    out.table(&complaints_table(session, recorded.iter()))?;
    if refused.is_empty() {
        out.note(format!("Recorded for all {} complaints.", ids.len()));
        return Ok(());
    }
    let lines: Vec<String> = refused
        .iter()
        .map(|(id, error)| format!("{id}: {error}"))
        .collect();
    // A database failure or a misused key says more than a refusal: the gravest code wins.
    let exit = refused
        .iter()
        .map(|(_, error)| error.exit_code())
        .max()
        .unwrap_or(1);
    Err(CliError::Batch {
        message: format!(
            "{} of {} complaints not recorded (the others are):",
            refused.len(),
            ids.len()
        ),
        lines,
        exit,
    })
}
