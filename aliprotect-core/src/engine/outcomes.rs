//! Outcomes in bulk from the platform's own complaint list: each row brought to the status the
//! platform shows, when our record allows it, as an ordinary command by the platform.
//! Applying the same list twice changes nothing the second time.

use std::io::Read;

use super::{Command, Engine, EngineError, Request};
use crate::clock::Clock;
use crate::complaint::{
    Complaint, ComplaintCommand, ComplaintStatus, PlatformStatus, RemovalCause,
};
use crate::ids::{ComplaintId, TenantId};
use crate::intake::{Rejected, StatusRow, StatusTarget, read_status_rows};
use crate::notify::Notifier;
use crate::party::Actor;
use crate::store::ReadModelExt;
use crate::store::Store;
use crate::text::Text;

/// Commands handed to [`Engine::execute_batch`] at a time.
const BATCH: usize = 1_000;

/// A row that moved its complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeChanged {
    /// The row's line.
    pub line: usize,
    /// The complaint.
    pub complaint: ComplaintId,
    /// Its status before.
    pub from: ComplaintStatus,
    /// Its status now.
    pub to: ComplaintStatus,
}

/// A row whose outcome our record cannot take: a person should look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeConflict {
    /// The row's line.
    pub line: usize,
    /// The complaint.
    pub complaint: ComplaintId,
    /// Where our record has it.
    pub ours: ComplaintStatus,
    /// What the platform shows.
    pub platform: PlatformStatus,
}

/// What applying the platform's list did, row by row.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct OutcomeReport {
    /// Rows that moved their complaint.
    pub changed: Vec<OutcomeChanged>,
    /// Rows whose complaint already had that outcome: (line, complaint).
    pub unchanged: Vec<(usize, ComplaintId)>,
    /// Rows naming no complaint of the tenant: (line, what they named).
    pub unknown: Vec<(usize, String)>,
    /// Rows whose outcome our record cannot take.
    pub conflicted: Vec<OutcomeConflict>,
    /// Rows that could not be read.
    pub rejected: Vec<Rejected>,
}

/// What a row asks of the complaint it names.
enum Plan {
    Unchanged,
    Conflict,
    Run(ComplaintCommand, ComplaintStatus),
}

/// The command that brings a complaint in `ours` to what the platform shows; `no_reason` is
/// recorded for a refusal the list gives no reason for (it says so, and invents nothing).
fn plan(ours: ComplaintStatus, row: &StatusRow, no_reason: &Text) -> Plan {
    use ComplaintStatus as S;
    match (row.status, ours) {
        (PlatformStatus::InProgress, S::Submitted) => {
            Plan::Run(ComplaintCommand::Accept, S::InProgress)
        }
        (
            PlatformStatus::InProgress,
            S::InProgress | S::CounterNoticed | S::Responded | S::RemovalExpected,
        ) => Plan::Unchanged,
        (PlatformStatus::UnableToProcess, S::UnableToProcess | S::Refiled) => Plan::Unchanged,
        (PlatformStatus::UnableToProcess, S::Submitted | S::InProgress | S::RemovalExpected) => {
            let reason = row.reason.clone().unwrap_or_else(|| no_reason.clone());
            Plan::Run(
                ComplaintCommand::ReportUnableToProcess { reason },
                S::UnableToProcess,
            )
        }
        (PlatformStatus::ListingRemoved, S::ListingRemoved | S::Relisted) => Plan::Unchanged,
        (
            PlatformStatus::ListingRemoved,
            S::Submitted | S::InProgress | S::Responded | S::RemovalExpected,
        ) => Plan::Run(
            ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            },
            S::ListingRemoved,
        ),
        _ => Plan::Conflict,
    }
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Reads the platform's own complaint list (see
    /// [`read_status_rows`]) and brings each complaint it
    /// names to the outcome it shows, under the policy's status names: "In Progress" accepts
    /// a submitted complaint, "Unable to Process" records the refusal with the list's reason,
    /// "Listing Removed" records the removal as the platform reported it. A complaint named
    /// by its listing's URL is the listing's open complaint, else its latest. Rows already
    /// matching our record change nothing (so a list can be applied again), rows our record
    /// cannot take are reported as conflicts, and nothing is guessed.
    ///
    /// Fails as a whole only when the store does.
    pub async fn apply_platform_statuses(
        &self,
        tenant: TenantId,
        input: impl Read,
    ) -> Result<OutcomeReport, EngineError> {
        let no_reason = Text::new("(the platform's complaint list gives no reason)")
            .map_err(|_| EngineError::InvalidCommand("the recorded reason text is refused"))?;
        let mut report = OutcomeReport::default();
        let mut planned: Vec<(
            usize,
            ComplaintId,
            ComplaintStatus,
            ComplaintStatus,
            Request,
        )> = Vec::new();
        for (line, row) in read_status_rows(input, &self.inner.policy.status_names) {
            let row = match row {
                Ok(row) => row,
                Err(problem) => {
                    report.rejected.push(Rejected { line, problem });
                    continue;
                }
            };
            let Some(complaint) = self.named_complaint(tenant, &row.target).await? else {
                let named = match &row.target {
                    StatusTarget::Complaint(id) => format!("complaint {id}"),
                    StatusTarget::Listing(listing) => listing.url.to_string(),
                };
                report.unknown.push((line, named));
                continue;
            };
            let (id, ours) = (complaint.id(), complaint.status());
            match plan(ours, &row, &no_reason) {
                Plan::Unchanged => report.unchanged.push((line, id)),
                Plan::Conflict => report.conflicted.push(OutcomeConflict {
                    line,
                    complaint: id,
                    ours,
                    platform: row.status,
                }),
                Plan::Run(command, to) => {
                    let request =
                        Request::new(tenant, Actor::Platform, Command::complaint(id, command));
                    planned.push((line, id, ours, to, request));
                }
            }
        }
        for chunk in planned.chunks(BATCH) {
            let requests = chunk.iter().map(|(.., request)| request.clone()).collect();
            let results = self.execute_batch(requests).await;
            for ((line, id, from, to, _), result) in chunk.iter().zip(results) {
                match result {
                    Ok(_) => report.changed.push(OutcomeChanged {
                        line: *line,
                        complaint: *id,
                        from: *from,
                        to: *to,
                    }),
                    // The list named it twice, or another command moved it meanwhile.
                    Err(error) if error.is_refusal() => {
                        let ours = self
                            .load_complaint(tenant, *id)
                            .await?
                            .map_or(*from, |c| c.status());
                        let platform = match to {
                            ComplaintStatus::InProgress => PlatformStatus::InProgress,
                            ComplaintStatus::UnableToProcess => PlatformStatus::UnableToProcess,
                            _ => PlatformStatus::ListingRemoved,
                        };
                        match ours == *to {
                            true => report.unchanged.push((*line, *id)),
                            false => report.conflicted.push(OutcomeConflict {
                                line: *line,
                                complaint: *id,
                                ours,
                                platform,
                            }),
                        }
                    }
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(report)
    }

    /// The complaint a row names: by id, or the listing's open complaint, else its latest.
    async fn named_complaint(
        &self,
        tenant: TenantId,
        target: &StatusTarget,
    ) -> Result<Option<std::sync::Arc<Complaint>>, EngineError> {
        let id = match target {
            StatusTarget::Complaint(id) => *id,
            StatusTarget::Listing(listing) => {
                let rows = self
                    .inner
                    .store
                    .complaints_on_listing(tenant, &listing.key)
                    .await?;
                let open = rows.iter().rev().find(|row| row.status.is_open());
                match open.or(rows.last()) {
                    Some(row) => row.id,
                    None => return Ok(None),
                }
            }
        };
        self.load_complaint(tenant, id).await
    }
}
