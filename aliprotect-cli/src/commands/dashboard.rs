//! `aliprotect dashboard`: where everything stands, for the client, a right or a campaign.

use aliprotect::complaint::ComplaintStatus;
use aliprotect::ids::{CampaignId, RightId};
use aliprotect::metrics::Metrics;
use aliprotect::store::{CountBy, GroupKey};
use clap::Args;

use super::complaint::{platform_shows, tone};
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::session::Session;
use aliprotect::accuracy::Standing;

/// `dashboard`.
#[derive(Debug, Args)]
pub(crate) struct DashboardArgs {
    /// Only this campaign's complaints.
    #[arg(long, conflicts_with = "right")]
    pub(crate) campaign: Option<CampaignId>,
    /// Only complaints resting on this right.
    #[arg(long)]
    pub(crate) right: Option<RightId>,
}

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: DashboardArgs,
) -> Result<(), CliError> {
    let engine = &session.engine;
    let (right, campaign) = (args.right, args.campaign);
    session.require_client().await?;
    let (by, group) = match (right, campaign) {
        (Some(right), _) => (CountBy::Right, GroupKey::Right(right)),
        (None, Some(campaign)) => (CountBy::Campaign, GroupKey::Campaign(Some(campaign))),
        (None, None) => (CountBy::Status, GroupKey::All),
    };
    if let Some(campaign) = campaign
        && engine
            .read()
            .campaign(session.tenant, campaign)
            .await?
            .is_none()
    {
        return Err(CliError::NotFound(format!("campaign {campaign}")));
    }
    let counts = engine.read().complaint_counts(session.tenant, by).await?;
    let metrics = match (right, campaign) {
        (Some(right), _) => engine
            .read()
            .metrics(session.tenant, None)
            .await?
            .by_right
            .remove(&right)
            .unwrap_or_default(),
        (None, campaign) => {
            engine
                .read()
                .metrics(session.tenant, campaign)
                .await?
                .overall
        }
    };

    let mut table = Table::new(&["section", "measure", "value", "platform_shows"]);
    let mut total = 0;
    for count in counts.iter().filter(|c| c.group == group) {
        total += count.count;
        table.push(vec![
            Cell::text("complaints"),
            Cell::toned(count.status.to_string(), tone(count.status)),
            Cell::Count(count.count),
            platform_shows(session, count.status),
        ]);
    }
    table.push(vec![
        Cell::text("complaints"),
        Cell::text("total"),
        Cell::Count(total),
        Cell::Empty,
    ]);
    // Removals the platform's rule makes expected are not removals until a check-back sees
    // them: shown apart, never in the removal rate.
    let expected = counts
        .iter()
        .filter(|c| c.group == group && c.status == ComplaintStatus::RemovalExpected)
        .map(|c| c.count)
        .sum();
    push_metrics(&mut table, &metrics, expected);
    if right.is_none() && campaign.is_none() {
        let accuracy = engine.read().filer_accuracy(session.tenant).await?;
        let standing = &accuracy.standing;
        let mut row = |measure: &str, value: Cell| {
            table.push(vec![
                Cell::text("standing"),
                Cell::text(measure),
                value,
                Cell::Empty,
            ]);
        };
        row(
            "as a trusted filer",
            Cell::toned(standing.to_string(), tone_of(standing)),
        );
        row("takedown rate", percent(accuracy.overall.takedown_rate));
        row(
            "successful counter-notice rate",
            percent(accuracy.overall.counter_notice_loss_rate),
        );
        row(
            "counter-noticed (any outcome)",
            percent(accuracy.overall.counter_notice_rate),
        );
        if let Some(rules) = &engine.read().policy().trusted_filer {
            row(
                "takedown rate needed",
                percent(Some(rules.min_takedown_rate)),
            );
            row(
                "successful counter-notice rate allowed",
                percent(Some(rules.max_successful_counter_notice_rate)),
            );
        }
        // The standards hold per reason code too: one weak reason puts the filer at risk.
        for (reason, standing) in &accuracy.standing_by_reason {
            let rates = accuracy.by_reason.get(reason);
            let reason = reason.to_string();
            row(
                &format!("as a trusted filer for {reason}"),
                Cell::toned(standing.to_string(), tone_of(standing)),
            );
            row(
                &format!("takedown rate for {reason}"),
                percent(rates.and_then(|r| r.takedown_rate)),
            );
        }
    }
    out.table(&table)
}

fn push_metrics(table: &mut Table, metrics: &Metrics, expected: u64) {
    let mut row = |measure: &str, value: Cell| {
        table.push(vec![
            Cell::text("metrics"),
            Cell::text(measure),
            value,
            Cell::Empty,
        ]);
    };
    row("removals seen (verified)", Cell::Count(metrics.removed));
    row("removals expected, not yet seen", Cell::Count(expected));
    row("removal rate (verified)", percent(metrics.removal_rate));
    row(
        "median hours to removal",
        hours(metrics.median_hours_to_removal),
    );
    row(
        "90th percentile hours to removal",
        hours(metrics.p90_hours_to_removal),
    );
    row("relisting rate", percent(metrics.relisting_rate));
    row("counter-noticed", Cell::Count(metrics.counter_noticed));
    row(
        "restored after counter-notice",
        Cell::Count(metrics.restored),
    );
}

/// Good standing reads green, at risk amber, below red.
fn tone_of(standing: &Standing) -> Tone {
    match standing {
        Standing::Good => Tone::Good,
        Standing::AtRisk => Tone::Waiting,
        Standing::Below => Tone::Bad,
        Standing::NotApplicable => Tone::Plain,
    }
}

/// A rate: a percentage for people, the number for scripts.
fn percent(rate: Option<f64>) -> Cell {
    rate.map_or(Cell::Empty, Cell::Share)
}

fn hours(value: Option<u32>) -> Cell {
    value.map_or(Cell::Empty, |h| Cell::Count(u64::from(h)))
}
