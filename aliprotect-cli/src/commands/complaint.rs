//! `aliprotect complaint ...`: file, record outcomes, answer counter-notices, list, export.

use aliprotect::complaint::{
    Complaint, ComplaintCommand, ComplaintFiling, ComplaintStatus, FollowUp, FollowUpKind, Stage,
};
use aliprotect::engine::{Command, ComplaintQuery};
use aliprotect::evidence::Evidence;
use aliprotect::ids::{ComplaintId, FilingId};
use aliprotect::listing::Listing;
use aliprotect::party::Actor;
use aliprotect::store::StreamId;

use self::args::ComplaintSubcommand as Args;
use super::text;
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::right_file::{evidence_argument, keep};
use crate::session::Session;

mod args;
pub(crate) mod history;
mod import;
mod record;
mod statuses;

pub(crate) use args::{ComplaintSubcommand, FilingArgs, ManyIds, RecordSubcommand, reason};
pub(crate) use import::{format_of, marketplace_of};

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
            url_column,
            rejected,
            marketplace,
        } => {
            let options = import::Options {
                rejected: rejected.as_deref(),
                marketplace: marketplace.as_deref(),
                url_column,
            };
            import::run(session, out, &file, filing, options).await
        }
        Args::ImportStatuses { file } => statuses::run(session, out, &file).await,
        Args::Submit { id: c, write } => {
            let key = write.idempotency_key;
            act(session, out, session.me, c, ComplaintCommand::Submit, key).await
        }
        Args::Record(args) => record::run(session, out, args).await,
        Args::Respond {
            id: c,
            statement,
            evidence,
            write,
        } => {
            let respond = ComplaintCommand::Respond {
                statement: text(&statement, "--statement")?,
                evidence: kept_evidence(session, &evidence).await?,
            };
            let key = write.idempotency_key;
            act(session, out, session.me, c, respond, key).await
        }
        Args::AcceptCounterNotice { id: c, write } => {
            let accept = ComplaintCommand::AcceptCounterNotice;
            let key = write.idempotency_key;
            act(session, out, session.me, c, accept, key).await
        }
        Args::Retract {
            id: c,
            reason,
            write,
        } => {
            let reason = reason.map(|r| text(&r, "--reason")).transpose()?;
            let retract = ComplaintCommand::Retract { reason };
            let key = write.idempotency_key;
            act(session, out, session.me, c, retract, key).await
        }
        Args::Relisted {
            id: previous,
            url,
            write,
        } => {
            let listing = parse_listing(&url)?;
            let follows = FollowUp {
                previous,
                kind: FollowUpKind::Relisting,
            };
            follow_up(session, out, follows, listing, None, write.idempotency_key).await
        }
        Args::Refile {
            id: previous,
            explanation,
            write,
        } => {
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
            page,
            right,
            campaign,
            status,
            seller,
        } => {
            let mut query = ComplaintQuery::first(page.limit.saturating_add(1));
            query.seller = seller;
            query.after = page.after.map(ComplaintId::from_uuid);
            query.right = right;
            query.campaign = campaign;
            query.status = status.map(|s| parse_status(&s)).transpose()?;
            session.require_client().await?;
            let complaints = session
                .engine
                .read()
                .complaints(session.tenant, &query)
                .await?;
            let selected: Vec<&Complaint> = complaints.iter().map(|c| &**c).collect();
            let more = selected.len() > page.limit;
            out.table(&complaints_table(
                session,
                selected.iter().copied().take(page.limit),
            ))?;
            if let (true, Some(last)) = (more, selected.get(page.limit.saturating_sub(1))) {
                out.note(format!(
                    "More: aliprotect complaint list --limit {} --after {}",
                    page.limit,
                    last.id()
                ));
            }
            Ok(())
        }
        Args::Show { id: c } => {
            let complaint = load(session, c).await?;
            out.table(&details(session, &complaint))
        }
        Args::History { id: c, bundle } => {
            let events = session
                .engine
                .read()
                .history(session.tenant, StreamId::Complaint(c))
                .await?;
            if events.is_empty() {
                return Err(CliError::NotFound(format!("complaint {c}")));
            }
            match bundle {
                None => out.table(&history::table(&events)),
                Some(path) => history::bundle(session, out, c, &events, &path).await,
            }
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
    let (right, campaign) = (args.right, args.campaign);
    let explanation = text(&args.explanation, "--explanation")?;
    let evidence = kept_evidence(session, evidence).await?;
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
    let per_filing = usize::try_from(session.engine.read().policy().listings_per_filing)
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
                args.reason,
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
    // Derived from the key like the complaint's id: a rerun is the same request.
    filing.filing = FilingId::from_uuid(session.new_id(key, "filing", 0));
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

/// Runs one command on one complaint and prints where it stands afterwards.
pub(super) async fn act(
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
        .read()
        .complaint(session.tenant, id)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("complaint {id}")))
}

/// Evidence given as `KIND=PATH` arguments: read, kept in the evidence store, referenced.
pub(super) async fn kept_evidence(
    session: &Session,
    arguments: &[String],
) -> Result<Vec<Evidence>, CliError> {
    let documents = arguments
        .iter()
        .map(|a| evidence_argument(a))
        .collect::<Result<Vec<_>, _>>()?;
    keep(session, &documents).await?;
    Ok(documents.into_iter().map(|d| d.evidence).collect())
}

fn parse_listing(url: &str) -> Result<Listing, CliError> {
    Listing::parse(url).map_err(|e| CliError::Usage(format!("{url}: {e}")))
}

/// A status as typed: `in-progress`, `listing removed`, `ListingRemoved`.
fn parse_status(value: &str) -> Result<ComplaintStatus, CliError> {
    value.parse().map_err(|_| {
        // As one would type them: no quotes needed.
        let known: Vec<String> = ComplaintStatus::ALL
            .iter()
            .map(|status| status.to_string().replace(' ', "-"))
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
        ComplaintStatus::CounterNoticed | ComplaintStatus::RemovalExpected => Tone::Waiting,
        _ => Tone::Plain,
    }
}

/// What the platform shows for `status`, in the policy's exact words.
pub(crate) fn platform_shows(session: &Session, status: ComplaintStatus) -> Cell {
    let policy = session.engine.read().policy();
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
            Cell::toned(status.to_string(), tone(status)),
            platform_shows(session, status),
            Cell::text(complaint.filed.right),
            Cell::Time(complaint.filed_at),
            Cell::Time(complaint.updated_at),
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
    row("reason", Cell::text(complaint.filed.reason.to_string()));
    row(
        "explanation",
        Cell::text(complaint.filed.explanation.as_str()),
    );
    row("status", Cell::toned(status.to_string(), tone(status)));
    row("platform_shows", platform_shows(session, status));
    row("filed_at", Cell::Time(complaint.filed_at));
    row("updated_at", Cell::Time(complaint.updated_at));
    if let Stage::RemovalExpected { since } = complaint.stage {
        row(
            "removal_expected_since",
            Cell::toned(
                format!(
                    "{} (not seen yet: a check-back must see it gone)",
                    since.format("%Y-%m-%d %H:%M UTC")
                ),
                Tone::Waiting,
            ),
        );
    }
    row("removed_at", Cell::optional_time(complaint.removed_at));
    row("last_checked_at", Cell::optional_time(complaint.checked_at));
    if let Some(at) = complaint.reappeared_at {
        row(
            "seen_back_up_at",
            Cell::toned(at.format("%Y-%m-%d %H:%M UTC"), Tone::Bad),
        );
    }
    if complaint.right_lapsed {
        row(
            "right_lapsed",
            Cell::toned("yes: the right expired while this was open", Tone::Bad),
        );
    }
    row("check_backs", Cell::Count(u64::from(complaint.check_backs)));
    if let Some(follows) = complaint.filed.follows {
        row(
            "follows",
            Cell::text(format!("{} ({})", follows.previous, follows.kind)),
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
