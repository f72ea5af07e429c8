//! `aliprotect complaint ...`: file, record outcomes, answer counter-notices, list, export.

use aliprotect::complaint::{
    Complaint, ComplaintChange, ComplaintCommand, ComplaintFiling, ComplaintReason,
    ComplaintStatus, FollowUp, FollowUpKind, RemovalCause, Stage,
};
use aliprotect::engine::Command;
use aliprotect::evidence::Evidence;
use aliprotect::ids::{CampaignId, ComplaintId, FilingId, RightId};
use aliprotect::listing::Listing;
use aliprotect::party::Actor;
use aliprotect::store::{DomainEvent, StreamId};

use super::{id, text, words};
use crate::cli::{ComplaintCommand as Args, FilingArgs, Reason, RecordCommand};
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::right_file::evidence_argument;
use crate::session::Session;

mod import;

pub(crate) async fn run(session: &Session, out: &Output, args: Args) -> Result<(), CliError> {
    match args {
        Args::File {
            filing,
            evidence,
            urls,
            write,
        } => {
            file(
                session,
                out,
                filing,
                &evidence,
                &urls,
                write.idempotency_key,
            )
            .await
        }
        Args::Import {
            file,
            filing,
            rejected,
            marketplace,
        } => {
            import::run(
                session,
                out,
                &file,
                filing,
                rejected.as_deref(),
                &marketplace,
            )
            .await
        }
        Args::Submit { id: c, write } => {
            let c = id(&c, "complaint")?;
            let key = write.idempotency_key;
            act(session, out, session.me, c, ComplaintCommand::Submit, key).await
        }
        Args::Record(record) => self::record(session, out, record).await,
        Args::Respond {
            id: c,
            statement,
            evidence,
            write,
        } => {
            let respond = ComplaintCommand::Respond {
                statement: text(&statement, "--statement")?,
                evidence: evidence_arguments(&evidence)?,
            };
            let key = write.idempotency_key;
            act(session, out, session.me, id(&c, "complaint")?, respond, key).await
        }
        Args::AcceptCounterNotice { id: c, write } => {
            let accept = ComplaintCommand::AcceptCounterNotice;
            let key = write.idempotency_key;
            act(session, out, session.me, id(&c, "complaint")?, accept, key).await
        }
        Args::Retract {
            id: c,
            reason,
            write,
        } => {
            let reason = reason.map(|r| text(&r, "--reason")).transpose()?;
            let retract = ComplaintCommand::Retract { reason };
            let key = write.idempotency_key;
            act(session, out, session.me, id(&c, "complaint")?, retract, key).await
        }
        Args::Relisted { id: c, url, write } => {
            let listing = parse_listing(&url)?;
            let previous = id(&c, "complaint")?;
            let follows = FollowUp {
                previous,
                kind: FollowUpKind::Relisting,
            };
            follow_up(session, out, follows, listing, None, write.idempotency_key).await
        }
        Args::Refile {
            id: c,
            explanation,
            write,
        } => {
            let previous: ComplaintId = id(&c, "complaint")?;
            let old = load(session, previous).await?;
            let explanation = explanation.map(|e| text(&e, "--explanation")).transpose()?;
            let follows = FollowUp {
                previous,
                kind: FollowUpKind::Refiling,
            };
            let listing = old.filed.listing.clone();
            follow_up(
                session,
                out,
                follows,
                listing,
                explanation,
                write.idempotency_key,
            )
            .await
        }
        Args::List {
            right,
            campaign,
            status,
        } => {
            let right: Option<RightId> = right.map(|r| id(&r, "right")).transpose()?;
            let campaign: Option<CampaignId> = campaign.map(|c| id(&c, "campaign")).transpose()?;
            let status = status.map(|s| parse_status(&s)).transpose()?;
            let complaints = session
                .engine
                .store()
                .complaints(session.tenant, campaign)
                .await?;
            let selected = complaints.iter().map(|c| &**c).filter(|c| {
                right.is_none_or(|r| c.filed.right == r) && status.is_none_or(|s| c.status() == s)
            });
            out.table(&complaints_table(session, selected))
        }
        Args::Show { id: c } => {
            let complaint = load(session, id(&c, "complaint")?).await?;
            out.table(&details(session, &complaint))
        }
        Args::History { id: c } => {
            let c: ComplaintId = id(&c, "complaint")?;
            let events = session
                .engine
                .history(session.tenant, StreamId::Complaint(c))
                .await?;
            if events.is_empty() {
                return Err(CliError::NotFound(format!("complaint {c}")));
            }
            out.table(&history_table(&events))
        }
    }
}

/// Files one complaint per URL (every URL checked before anything is written), then
/// submits each unless `--draft` or the right is still under review (then it is staged).
async fn file(
    session: &Session,
    out: &Output,
    args: FilingArgs,
    evidence: &[String],
    urls: &[String],
    key: Option<String>,
) -> Result<(), CliError> {
    let key = key.as_deref();
    let right: RightId = id(&args.right, "right")?;
    let campaign: Option<CampaignId> = args.campaign.map(|c| id(&c, "campaign")).transpose()?;
    let explanation = text(&args.explanation, "--explanation")?;
    let evidence = evidence_arguments(evidence)?;
    let mut listings = Vec::with_capacity(urls.len());
    let mut bad = Vec::new();
    for url in urls {
        match Listing::parse(url) {
            Ok(listing) => listings.push(listing),
            Err(error) => bad.push(format!("{url}: {error}")),
        }
    }
    if !bad.is_empty() {
        return Err(CliError::Usage(format!(
            "{} URL(s) are not listings; nothing was filed:\n  {}",
            bad.len(),
            bad.join("\n  ")
        )));
    }
    let per_filing = usize::try_from(session.engine.policy().listings_per_filing)
        .unwrap_or(usize::MAX)
        .max(1);
    let mut filed = Vec::with_capacity(listings.len());
    for (n, listing) in listings.into_iter().enumerate() {
        if n % per_filing == 0 {
            let filing_id = FilingId::from_uuid(session.new_id(key, "filing", n));
            filed.push((filing_id, Vec::new()));
        }
        if let Some((_, group)) = filed.last_mut() {
            group.push(listing);
        }
    }
    let mut ids = Vec::new();
    for (filing_id, group) in filed {
        for listing in group {
            let n = ids.len();
            let complaint = ComplaintId::from_uuid(session.new_id(key, "complaint", n));
            let mut filing = ComplaintFiling::new(
                complaint,
                session.tenant,
                right,
                listing,
                reason_of(args.reason),
                explanation.clone(),
            );
            filing.filing = filing_id;
            filing.evidence = evidence.clone();
            filing.campaign = campaign;
            let file = ComplaintCommand::File(Box::new(filing));
            session
                .run(session.me, Command::complaint(complaint, file), key, 2 * n)
                .await?;
            submit_unless_staged(session, complaint, args.draft, key, 2 * n + 1).await?;
            ids.push(complaint);
        }
    }
    let mut complaints = Vec::with_capacity(ids.len());
    for complaint in ids {
        complaints.push(load(session, complaint).await?);
    }
    out.table(&complaints_table(session, complaints.iter()))?;
    if complaints
        .iter()
        .any(|c| c.status() == ComplaintStatus::Staged)
    {
        out.note("Staged: they are submitted when the right is approved.");
    }
    Ok(())
}

/// A linked complaint against a relisting, or the same listing again after "Unable to
/// Process": same right, reason, campaign and (unless replaced) explanation as the previous.
async fn follow_up(
    session: &Session,
    out: &Output,
    follows: FollowUp,
    listing: Listing,
    explanation: Option<aliprotect::text::Text>,
    key: Option<String>,
) -> Result<(), CliError> {
    let key = key.as_deref();
    let old = load(session, follows.previous).await?;
    let complaint = ComplaintId::from_uuid(session.new_id(key, "complaint", 0));
    let mut filing = ComplaintFiling::new(
        complaint,
        session.tenant,
        old.filed.right,
        listing,
        old.filed.reason,
        explanation.unwrap_or_else(|| old.filed.explanation.clone()),
    );
    filing.evidence = old.filed.evidence.clone();
    filing.campaign = old.filed.campaign;
    filing.follows = Some(follows);
    let file = ComplaintCommand::File(Box::new(filing));
    session
        .run(session.me, Command::complaint(complaint, file), key, 0)
        .await?;
    submit_unless_staged(session, complaint, false, key, 1).await?;
    let new = load(session, complaint).await?;
    let old = load(session, follows.previous).await?;
    out.table(&complaints_table(session, [&new, &old]))
}

async fn submit_unless_staged(
    session: &Session,
    complaint: ComplaintId,
    draft: bool,
    key: Option<&str>,
    step: usize,
) -> Result<(), CliError> {
    if draft {
        return Ok(());
    }
    let state = load(session, complaint).await?;
    if state.status() == ComplaintStatus::Draft {
        let submit = Command::complaint(complaint, ComplaintCommand::Submit);
        session.run(session.me, submit, key, step).await?;
    }
    Ok(())
}

async fn record(session: &Session, out: &Output, record: RecordCommand) -> Result<(), CliError> {
    let (complaint, actor, command, key) = match record {
        RecordCommand::Accepted { id: c, write } => (
            c,
            Actor::Platform,
            ComplaintCommand::Accept,
            write.idempotency_key,
        ),
        RecordCommand::Unable {
            id: c,
            reason,
            write,
        } => (
            c,
            Actor::Platform,
            ComplaintCommand::ReportUnableToProcess {
                reason: text(&reason, "--reason")?,
            },
            write.idempotency_key,
        ),
        RecordCommand::Removed {
            id: c,
            found_by_check_back,
            write,
        } => match found_by_check_back {
            None => (
                c,
                Actor::Platform,
                ComplaintCommand::RecordRemoval {
                    cause: RemovalCause::PlatformReported,
                },
                write.idempotency_key,
            ),
            Some(evidence) => (
                c,
                session.me,
                ComplaintCommand::RecordRemoval {
                    cause: RemovalCause::FoundByCheckBack {
                        evidence: Some(evidence_argument(&evidence)?),
                    },
                },
                write.idempotency_key,
            ),
        },
        RecordCommand::StillListed { id: c, write } => (
            c,
            session.me,
            ComplaintCommand::ReportStillListed,
            write.idempotency_key,
        ),
        RecordCommand::CounterNotice {
            id: c,
            statement,
            evidence,
            write,
        } => (
            c,
            Actor::Seller,
            ComplaintCommand::ReceiveCounterNotice {
                statement: text(&statement, "--statement")?,
                evidence: evidence_arguments(&evidence)?,
            },
            write.idempotency_key,
        ),
        RecordCommand::Restored { id: c, write } => (
            c,
            Actor::Platform,
            ComplaintCommand::PlatformRestores,
            write.idempotency_key,
        ),
    };
    let complaint = id(&complaint, "complaint")?;
    act(session, out, actor, complaint, command, key).await
}

/// Runs one command on one complaint and prints where it stands afterwards.
async fn act(
    session: &Session,
    out: &Output,
    actor: Actor,
    complaint: ComplaintId,
    command: ComplaintCommand,
    key: Option<String>,
) -> Result<(), CliError> {
    let command = Command::complaint(complaint, command);
    session.run(actor, command, key.as_deref(), 0).await?;
    let state = load(session, complaint).await?;
    out.table(&complaints_table(session, [&state]))?;
    if let Stage::CounterNoticed {
        response_due: Some(due),
    } = state.stage
    {
        out.note(format!(
            "Answer by {} with `aliprotect complaint respond {complaint} --statement ...`, \
             or the listing is restored.",
            due.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    Ok(())
}

pub(crate) async fn load(session: &Session, id: ComplaintId) -> Result<Complaint, CliError> {
    session
        .engine
        .complaint(session.tenant, id)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("complaint {id}")))
}

fn evidence_arguments(arguments: &[String]) -> Result<Vec<Evidence>, CliError> {
    arguments.iter().map(|a| evidence_argument(a)).collect()
}

fn parse_listing(url: &str) -> Result<Listing, CliError> {
    Listing::parse(url).map_err(|e| CliError::Usage(format!("{url}: {e}")))
}

pub(crate) fn reason_of(reason: Reason) -> ComplaintReason {
    match reason {
        Reason::TrademarkUnauthorisedUse => ComplaintReason::TrademarkUnauthorisedUse,
        Reason::TrademarkCounterfeit => ComplaintReason::TrademarkCounterfeit,
        Reason::CopyrightCopiedImages => ComplaintReason::CopyrightCopiedImages,
        Reason::CopyrightCopiedText => ComplaintReason::CopyrightCopiedText,
        Reason::CopyrightCopiedDesign => ComplaintReason::CopyrightCopiedDesign,
        Reason::PatentInfringingProduct => ComplaintReason::PatentInfringingProduct,
        Reason::PatentCopiedDesign => ComplaintReason::PatentCopiedDesign,
    }
}

/// A status as typed: `in-progress`, `listing removed`, `ListingRemoved`.
fn parse_status(value: &str) -> Result<ComplaintStatus, CliError> {
    let wanted: String = value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    ComplaintStatus::ALL
        .iter()
        .copied()
        .find(|status| format!("{status:?}").to_lowercase() == wanted)
        .ok_or_else(|| {
            let known: Vec<String> = ComplaintStatus::ALL
                .iter()
                .map(|s| words(s).replace(' ', "-"))
                .collect();
            CliError::Usage(format!(
                "--status `{value}`: expected one of {}",
                known.join(", ")
            ))
        })
}

pub(crate) fn tone(status: ComplaintStatus) -> Tone {
    match status {
        ComplaintStatus::ListingRemoved => Tone::Good,
        ComplaintStatus::UnableToProcess
        | ComplaintStatus::ListingRestored
        | ComplaintStatus::Relisted => Tone::Bad,
        ComplaintStatus::CounterNoticed => Tone::Waiting,
        _ => Tone::Plain,
    }
}

/// What the platform shows for `status`, in the policy's exact words.
pub(crate) fn platform_shows(session: &Session, status: ComplaintStatus) -> Cell {
    let policy = session.engine.policy();
    Cell::optional(
        status
            .platform_status()
            .map(|s| policy.status_names.name(s).to_owned()),
    )
}

fn complaints_table<'a>(
    session: &Session,
    complaints: impl IntoIterator<Item = &'a Complaint>,
) -> Table {
    let mut table = Table::new(&[
        "id",
        "listing",
        "status",
        "platform_shows",
        "right",
        "filed_at",
        "updated_at",
    ]);
    for complaint in complaints {
        let status = complaint.status();
        table.push(vec![
            Cell::text(complaint.id()),
            Cell::text(&complaint.filed.listing.url),
            Cell::toned(words(status), tone(status)),
            platform_shows(session, status),
            Cell::text(complaint.filed.right),
            Cell::text(complaint.filed_at.format("%Y-%m-%d %H:%M")),
            Cell::text(complaint.updated_at.format("%Y-%m-%d %H:%M")),
        ]);
    }
    table
}

fn details(session: &Session, complaint: &Complaint) -> Table {
    let mut table = Table::new(&["field", "value"]);
    let mut row = |field: &str, value: Cell| table.push(vec![Cell::text(field), value]);
    let status = complaint.status();
    row("id", Cell::text(complaint.id()));
    row("listing", Cell::text(&complaint.filed.listing.url));
    row(
        "listing_key",
        Cell::text(complaint.filed.listing.key.as_str()),
    );
    row("right", Cell::text(complaint.filed.right));
    row("reason", Cell::text(words(complaint.filed.reason)));
    row(
        "explanation",
        Cell::text(complaint.filed.explanation.as_str()),
    );
    row("status", Cell::toned(words(status), tone(status)));
    row("platform_shows", platform_shows(session, status));
    row("filed_at", Cell::text(complaint.filed_at.to_rfc3339()));
    row("updated_at", Cell::text(complaint.updated_at.to_rfc3339()));
    row("check_backs", Cell::Count(u64::from(complaint.check_backs)));
    if let Some(follows) = complaint.filed.follows {
        row(
            "follows",
            Cell::text(format!("{} ({})", follows.previous, words(follows.kind))),
        );
    }
    for notice in &complaint.counter_notices {
        row(
            &format!("counter_notice {}", notice.number),
            Cell::text(format!("{} ({})", notice.statement.as_str(), notice.at)),
        );
    }
    for response in &complaint.responses {
        row(
            &format!("response to {}", response.to_number),
            Cell::text(format!("{} ({})", response.statement.as_str(), response.at)),
        );
    }
    table
}

/// The complaint's history for litigation: one row per event, every reason and statement
/// verbatim, every piece of evidence by kind and SHA-256.
fn history_table(events: &[aliprotect::store::StoredEvent]) -> Table {
    let mut table = Table::new(&[
        "version",
        "at",
        "actor",
        "change",
        "reason",
        "statement",
        "evidence",
    ]);
    for stored in events {
        let DomainEvent::Complaint(event) = &stored.event else {
            continue;
        };
        let (change, reason, statement, evidence) = describe(&event.change);
        let evidence: Vec<String> = evidence
            .iter()
            .map(|e| format!("{} sha256:{}", words(e.kind), e.sha256))
            .collect();
        table.push(vec![
            Cell::Count(stored.version),
            Cell::text(event.at.to_rfc3339()),
            Cell::text(actor_name(&event.actor)),
            Cell::text(change),
            Cell::optional(reason),
            Cell::optional(statement),
            Cell::text(evidence.join("; ")),
        ]);
    }
    table
}

/// An event's name, reason, statement and evidence.
fn describe(change: &ComplaintChange) -> (String, Option<String>, Option<String>, Vec<Evidence>) {
    let none = |name: &str| (name.to_owned(), None, None, Vec::new());
    match change {
        ComplaintChange::Filed { filing, staged, .. } => (
            if *staged { "filed (staged)" } else { "filed" }.to_owned(),
            Some(words(filing.reason)),
            Some(format!(
                "{} | {}",
                filing.listing.url,
                filing.explanation.as_str()
            )),
            filing.evidence.clone(),
        ),
        ComplaintChange::Submitted => none("submitted"),
        ComplaintChange::Accepted { seller_answer_due } => (
            "accepted".to_owned(),
            None,
            seller_answer_due.map(|due| format!("seller answer due {due}")),
            Vec::new(),
        ),
        ComplaintChange::UnableToProcess { reason } => (
            "unable to process".to_owned(),
            Some(reason.as_str().to_owned()),
            None,
            Vec::new(),
        ),
        ComplaintChange::ListingRemoved { cause } => match cause {
            RemovalCause::FoundByCheckBack { evidence } => (
                "listing removed".to_owned(),
                Some("found by check-back".to_owned()),
                None,
                evidence.iter().cloned().collect(),
            ),
            other => (
                "listing removed".to_owned(),
                Some(words(other)),
                None,
                Vec::new(),
            ),
        },
        ComplaintChange::CounterNoticeReceived { notice, .. } => (
            "counter-notice received".to_owned(),
            None,
            Some(notice.statement.as_str().to_owned()),
            notice.evidence.clone(),
        ),
        ComplaintChange::Responded { response } => (
            "responded".to_owned(),
            None,
            Some(response.statement.as_str().to_owned()),
            response.evidence.clone(),
        ),
        ComplaintChange::ListingRestored { cause } => (
            "listing restored".to_owned(),
            Some(words(cause)),
            None,
            Vec::new(),
        ),
        ComplaintChange::CheckBackDue { number } => none(&format!("check-back {number} due")),
        ComplaintChange::StillListed { checks, escalate } => none(&format!(
            "still listed after {checks} check(s){}",
            if *escalate { ", escalated" } else { "" }
        )),
        ComplaintChange::ResponseDeadlineReminded { due } => {
            none(&format!("reminded of the response deadline {due}"))
        }
        ComplaintChange::Retracted { reason } => (
            "retracted".to_owned(),
            reason.as_ref().map(|r| r.as_str().to_owned()),
            None,
            Vec::new(),
        ),
        ComplaintChange::Relisted { successor } => none(&format!("relisted (see {successor})")),
        ComplaintChange::RemovalExpected => (
            "removal expected".to_owned(),
            Some("the seller's answer window passed in silence; not yet seen".to_owned()),
            None,
            Vec::new(),
        ),
        ComplaintChange::ReturnWatched { number } => {
            none(&format!("watch {number} for the listing's return due"))
        }
        ComplaintChange::Reappeared => none("removed listing seen up again"),
        ComplaintChange::RightLapsed { right } => (
            "right lapsed".to_owned(),
            Some(format!("right {right} expired while the complaint was open")),
            None,
            Vec::new(),
        ),
        ComplaintChange::Refiled { successor } => none(&format!("refiled as {successor}")),
    }
}

fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::HolderUser { user, .. } => format!("holder user {user}"),
        Actor::Representative { representative, .. } => format!("representative {representative}"),
        Actor::Platform => "platform".to_owned(),
        Actor::Seller => "seller".to_owned(),
        Actor::System => "system".to_owned(),
        Actor::Operator { user } => format!("operator {user}"),
    }
}
