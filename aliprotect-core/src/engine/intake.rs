//! Running a bulk intake through the engine.

use std::collections::HashMap;
use std::io::Read;

use super::{Command, Engine, EngineError, Request};
use crate::clock::Clock;
use crate::complaint::{
    ComplaintCommand, ComplaintFiling, ComplaintRule, ComplaintStatus, FollowUp, FollowUpKind,
};
use crate::ids::{ComplaintId, FilingId};
use crate::intake::{
    CsvOptions, Duplicate, DuplicateOf, Filed, IntakeFormat, IntakeProgress, IntakeRequest,
    ListingToFile, Rejected, read_rows_with,
};
use crate::listing::ListingKey;
use crate::listing::{Listing, ListingDetails};
use crate::notify::Notifier;
use crate::relisting::RemovedListings;
use crate::store::ReadModelExt;
use crate::store::{CountBy, Store};

/// What an intake read: how many rows, the listings of those that normalised by line, and
/// the complaint id given for a line (a new id for the others).
struct ReadListings {
    rows: usize,
    listings: Vec<(usize, Listing, ListingDetails)>,
    ids: HashMap<usize, ComplaintId>,
}

/// Complaints handed to [`Engine::execute_batch`] at a time, between progress reports:
/// about a tenth of the import, within bounds. Larger batches mean fewer, larger
/// transactions (30% more rows per second at 10,000 than at 1,000 on SQLite); smaller ones
/// keep a progress bar moving on a small import.
fn batch_size(complaints: usize) -> usize {
    (complaints / 10).clamp(1_000, 10_000)
}

/// What an intake did, row by row.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct IntakeReport {
    /// Rows filed as complaints.
    pub filed: Vec<Filed>,
    /// Rows whose listing was already covered.
    pub duplicates: Vec<Duplicate>,
    /// Rows that could not be read or normalised.
    pub rejected: Vec<Rejected>,
    /// Rows the engine refused to file (right not approved, reason not fitting...), by line.
    pub refused: Vec<(usize, EngineError)>,
    /// The filings made, each holding at most the policy's listings per filing.
    pub filings: Vec<FilingId>,
    /// Rows recognised as relistings of a removed listing: filed as follow-ups of its
    /// complaint, which is marked relisted.
    pub relistings: Vec<(usize, crate::relisting::RelistingMatch)>,
    /// Relistings not filed because the campaign does not file relistings automatically:
    /// left for a person to decide.
    pub held_relistings: Vec<(
        usize,
        crate::relisting::RelistingMatch,
        crate::listing::Listing,
    )>,
}

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Files a complaint for every usable row of `input` (see [`crate::intake`]), in filings
    /// of at most the policy's listings per filing, reporting each row's fate and calling
    /// `progress` as it goes. Reads `input` synchronously: pass bytes already in memory, or
    /// call this from `spawn_blocking` for a slow reader.
    ///
    /// Fails as a whole only when the store does; every row-level problem is in the report.
    pub async fn intake(
        &self,
        request: &IntakeRequest,
        format: IntakeFormat,
        input: impl Read,
        progress: impl FnMut(IntakeProgress),
    ) -> Result<IntakeReport, EngineError> {
        self.intake_with(request, format, &CsvOptions::default(), input, progress)
            .await
    }

    /// [`Engine::intake`], with a CSV's URL column named by `options`.
    pub async fn intake_with(
        &self,
        request: &IntakeRequest,
        format: IntakeFormat,
        options: &CsvOptions,
        input: impl Read,
        progress: impl FnMut(IntakeProgress),
    ) -> Result<IntakeReport, EngineError> {
        let auto_file_relistings = self.auto_file_relistings(request).await?;
        let mut report = IntakeReport::default();
        let mut rows = 0;
        let mut listings = Vec::new();
        for (line, row) in read_rows_with(format, options, input) {
            rows += 1;
            match row.and_then(|row| row.normalise(request.marketplace)) {
                Ok((listing, details)) => listings.push((line, listing, details)),
                Err(problem) => report.rejected.push(Rejected { line, problem }),
            }
        }
        let read = ReadListings {
            rows,
            listings,
            ids: HashMap::new(),
        };
        self.file_listings(request, auto_file_relistings, read, report, progress)
            .await
    }

    /// Files a complaint for every listing of `listings` as [`Engine::intake`] files rows:
    /// duplicates within the list or of an open complaint reported, in filings of at most
    /// the policy's listings, each as the complaint id it comes with (so that confirming
    /// again after a crash meets the complaint filed the first time, refused as filed
    /// already, instead of filing a second). The listings are ones a person (or a rule)
    /// confirmed, as a review queue hands them over: a relisting among them is filed as a follow-up of the
    /// removed listing's complaint even when the campaign holds relistings of an import for
    /// a person. The report numbers the listings from 1, in the order given, as its lines.
    pub async fn intake_listings(
        &self,
        request: &IntakeRequest,
        listings: Vec<ListingToFile>,
        progress: impl FnMut(IntakeProgress),
    ) -> Result<IntakeReport, EngineError> {
        // The campaign is checked (it exists, is active, holds the right); its choice for
        // relistings is the review's, already made.
        self.auto_file_relistings(request).await?;
        let rows = listings.len();
        let mut ids = HashMap::with_capacity(rows);
        let numbered = listings
            .into_iter()
            .enumerate()
            .map(|(i, to_file)| {
                ids.insert(i + 1, to_file.complaint);
                (i + 1, to_file.listing, to_file.details)
            })
            .collect();
        let read = ReadListings {
            rows,
            listings: numbered,
            ids,
        };
        self.file_listings(request, true, read, IntakeReport::default(), progress)
            .await
    }

    /// Whether an intake of `request` may file at all (its campaign exists, is active and
    /// holds the right): what a caller checks before it commits to filing, as a review
    /// queue does before it marks candidates as being filed.
    pub async fn check_intake(&self, request: &IntakeRequest) -> Result<(), EngineError> {
        self.auto_file_relistings(request).await.map(|_| ())
    }

    /// Whether the request's campaign files relistings at once (yes without a campaign),
    /// after checking that the campaign exists, is not archived and includes the right.
    async fn auto_file_relistings(&self, request: &IntakeRequest) -> Result<bool, EngineError> {
        let Some(id) = request.campaign else {
            return Ok(true);
        };
        let stream = crate::store::StreamId::Campaign(id);
        let campaign = self
            .load_item::<crate::campaign::CampaignDecider>(request.tenant, stream)
            .await?
            .ok_or(EngineError::UnknownCampaign(id))?;
        if campaign.archived {
            return Err(EngineError::ArchivedCampaign(id));
        }
        if !campaign.rights.contains(&request.right) {
            return Err(EngineError::UnusableRight {
                right: request.right,
                why: "not one of the campaign's rights",
            });
        }
        Ok(campaign.auto_file_relistings)
    }

    /// The filing half of an intake: what was `read`, with `report` holding what reading
    /// rejected.
    async fn file_listings(
        &self,
        request: &IntakeRequest,
        auto_file_relistings: bool,
        read: ReadListings,
        mut report: IntakeReport,
        mut progress: impl FnMut(IntakeProgress),
    ) -> Result<IntakeReport, EngineError> {
        let ReadListings {
            rows,
            listings,
            ids,
        } = read;
        let mut state = IntakeProgress {
            rows,
            ..IntakeProgress::default()
        };
        let mut first_seen = HashMap::new();
        let mut candidates: Vec<(usize, Listing, ListingDetails)> = Vec::new();
        for (line, listing, details) in listings {
            if let Some(first) = first_seen.get(&listing.key) {
                report.duplicates.push(Duplicate {
                    line,
                    listing: listing.key.clone(),
                    of: DuplicateOf::Row(*first),
                });
                continue;
            }
            first_seen.insert(listing.key.clone(), line);
            candidates.push((line, listing, details));
        }
        let open = self
            .open_complaints_on(request, candidates.iter().map(|(_, listing, _)| listing))
            .await?;
        let mut accepted: Vec<(usize, Listing, ListingDetails)> = Vec::new();
        for (line, listing, details) in candidates {
            match open.get(&listing.key) {
                Some(existing) => report.duplicates.push(Duplicate {
                    line,
                    listing: listing.key.clone(),
                    of: DuplicateOf::OpenComplaint(*existing),
                }),
                None => accepted.push((line, listing, details)),
            }
        }
        report.duplicates.sort_by_key(|duplicate| duplicate.line);
        state.duplicates = report.duplicates.len();
        state.failed = report.rejected.len();
        state.to_file = accepted.len();
        progress(state);

        // Removed listings under this right that new rows may repeat (each matched once).
        let mut removed = if accepted.is_empty() {
            RemovedListings::default()
        } else {
            let listings = self
                .inner
                .store
                .removed_listings(request.tenant, request.right)
                .await?;
            RemovedListings::from_removed(listings)
        };
        let mut follows = HashMap::new();
        let mut held = std::collections::HashSet::new();
        for (line, listing, details) in &accepted {
            if let Some(found) = removed.find(listing, details) {
                removed.remove(found.previous);
                if auto_file_relistings {
                    follows.insert(*line, found);
                    report.relistings.push((*line, found));
                } else {
                    held.insert(*line);
                    report.held_relistings.push((*line, found, listing.clone()));
                }
            }
        }
        accepted.retain(|(line, _, _)| !held.contains(line));
        state.to_file = accepted.len();

        let per_filing = usize::try_from(self.inner.policy.listings_per_filing)
            .unwrap_or(usize::MAX)
            .max(1);
        let mut planned = Vec::with_capacity(accepted.len());
        for chunk in accepted.chunks(per_filing) {
            let filing = FilingId::new();
            report.filings.push(filing);
            for (line, listing, details) in chunk {
                planned.push((
                    *line,
                    filing,
                    ids.get(line).copied().unwrap_or_else(ComplaintId::new),
                    listing.clone(),
                    details.clone(),
                ));
            }
        }
        for batch in planned.chunks(batch_size(planned.len())) {
            let requests = batch
                .iter()
                .map(|(line, filing, id, listing, details)| {
                    let complaint = ComplaintFiling {
                        id: *id,
                        tenant: request.tenant,
                        filing: *filing,
                        right: request.right,
                        listing: listing.clone(),
                        reason: request.reason,
                        explanation: request.explanation.clone(),
                        evidence: Vec::new(),
                        follows: follows.get(line).map(|found| FollowUp {
                            previous: found.previous,
                            kind: FollowUpKind::Relisting,
                        }),
                        campaign: request.campaign,
                        details: details.clone(),
                    };
                    let file = ComplaintCommand::File(Box::new(complaint));
                    Request::new(request.tenant, request.actor, Command::complaint(*id, file))
                })
                .collect();
            let mut results = self.execute_batch(requests).await;
            if request.submit {
                let filed: Vec<ComplaintId> = batch
                    .iter()
                    .zip(&results)
                    .filter(|(_, result)| result.is_ok())
                    .map(|((_, _, id, _, _), _)| *id)
                    .collect();
                let submits = filed
                    .iter()
                    .map(|id| {
                        Request::new(
                            request.tenant,
                            request.actor,
                            Command::complaint(*id, ComplaintCommand::Submit),
                        )
                    })
                    .collect();
                let mut submitted = self.execute_batch(submits).await.into_iter();
                // A submit refused (a staged complaint waits for its right) is not a failure
                // of the row: the complaint exists and will be submitted later.
                for result in results.iter_mut().filter(|r| r.is_ok()) {
                    if let Some(Err(EngineError::Store(error))) = submitted.next() {
                        *result = Err(EngineError::Store(error));
                    }
                }
            }
            for ((line, filing, id, listing, _), result) in batch.iter().zip(results) {
                match result {
                    Ok(_) => report.filed.push(Filed {
                        line: *line,
                        complaint: *id,
                        filing: *filing,
                        listing: listing.key.clone(),
                    }),
                    // Filed meanwhile by another import or engine: the store's unique key
                    // refused the second filing, which is a duplicate, not a failure.
                    Err(EngineError::ComplaintRefused(refusal))
                        if matches!(
                            refusal.rule,
                            ComplaintRule::ListingHasOpenComplaint { .. }
                        ) =>
                    {
                        if let ComplaintRule::ListingHasOpenComplaint { open } = refusal.rule {
                            report.duplicates.push(Duplicate {
                                line: *line,
                                listing: listing.key.clone(),
                                of: DuplicateOf::OpenComplaint(open),
                            });
                        }
                    }
                    Err(error) => report.refused.push((*line, error)),
                }
            }
            report.duplicates.sort_by_key(|duplicate| duplicate.line);
            state.duplicates = report.duplicates.len();
            state.filed = report.filed.len();
            state.failed = report.rejected.len() + report.refused.len();
            progress(state);
        }
        Ok(report)
    }

    /// Open complaints on any of `listings`, by listing: what the import reports as
    /// duplicates before filing. A hint that saves work, not the rule: the store refuses a
    /// second open complaint on a listing whatever this found (another import filing the
    /// same rows at the same time), and such refusals are reported as duplicates too. Asks
    /// listing by listing (any right) when the tenant's open complaints far outnumber the
    /// import, else for the right's open complaints at once (a rerun of an import).
    async fn open_complaints_on<'a>(
        &self,
        request: &IntakeRequest,
        listings: impl ExactSizeIterator<Item = &'a Listing>,
    ) -> Result<HashMap<ListingKey, ComplaintId>, EngineError> {
        let store = &self.inner.store;
        let open_in_tenant: u64 = store
            .complaint_counts(request.tenant, CountBy::Status)
            .await?
            .iter()
            .filter(|count| count.status.is_open())
            .map(|count| count.count)
            .sum();
        let mut open = HashMap::new();
        if open_in_tenant > 4 * listings.len() as u64 {
            for listing in listings {
                let rows = store
                    .complaints_on_listing(request.tenant, &listing.key)
                    .await?;
                if let Some(row) = rows.into_iter().find(|row| row.status.is_open()) {
                    open.insert(row.listing, row.id);
                }
            }
        } else {
            for status in ComplaintStatus::ALL.into_iter().filter(|s| s.is_open()) {
                for row in store
                    .complaints_of_right(request.tenant, request.right, status)
                    .await?
                {
                    open.insert(row.listing, row.id);
                }
            }
        }
        Ok(open)
    }
}
