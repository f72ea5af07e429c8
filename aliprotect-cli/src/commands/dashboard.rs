//! `aliprotect dashboard`: where everything stands, for the client, a right or a campaign.

use aliprotect::ids::{CampaignId, RightId};
use aliprotect::metrics::Metrics;
use aliprotect::store::{CountBy, GroupKey};

use super::complaint::{platform_shows, tone};
use super::{id, words};
use crate::cli::DashboardArgs;
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::session::Session;

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: DashboardArgs,
) -> Result<(), CliError> {
    let engine = &session.engine;
    let right: Option<RightId> = args.right.map(|r| id(&r, "right")).transpose()?;
    let campaign: Option<CampaignId> = args.campaign.map(|c| id(&c, "campaign")).transpose()?;
    let (by, group) = match (right, campaign) {
        (Some(right), _) => (CountBy::Right, GroupKey::Right(right)),
        (None, Some(campaign)) => (CountBy::Campaign, GroupKey::Campaign(Some(campaign))),
        (None, None) => (CountBy::Status, GroupKey::All),
    };
    if let Some(campaign) = campaign
        && !engine
            .campaigns(session.tenant)
            .await?
            .iter()
            .any(|c| c.id == campaign)
    {
        return Err(CliError::NotFound(format!("campaign {campaign}")));
    }
    let counts = engine.complaint_counts(session.tenant, by).await?;
    let metrics = match (right, campaign) {
        (Some(right), _) => engine
            .metrics(session.tenant, None)
            .await?
            .by_right
            .remove(&right)
            .unwrap_or_default(),
        (None, campaign) => engine.metrics(session.tenant, campaign).await?.overall,
    };

    let mut table = Table::new(&["section", "measure", "value", "platform_shows"]);
    let mut total = 0;
    for count in counts.iter().filter(|c| c.group == group) {
        total += count.count;
        table.push(vec![
            Cell::text("complaints"),
            Cell::toned(words(count.status), tone(count.status)),
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
    push_metrics(&mut table, &metrics);
    if right.is_none() && campaign.is_none() {
        let accuracy = engine.filer_accuracy(session.tenant).await?;
        let standing = &accuracy.standing;
        let tone = match words(standing).as_str() {
            "good" => Tone::Good,
            "at risk" => Tone::Waiting,
            "below" => Tone::Bad,
            _ => Tone::Plain,
        };
        let mut row = |measure: &str, value: Cell| {
            table.push(vec![
                Cell::text("standing"),
                Cell::text(measure),
                value,
                Cell::Empty,
            ]);
        };
        row("as a trusted filer", Cell::toned(words(standing), tone));
        row("takedown rate", percent(accuracy.overall.takedown_rate));
        row(
            "counter-notice rate",
            percent(accuracy.overall.counter_notice_rate),
        );
        if let Some(rules) = &engine.policy().trusted_filer {
            row(
                "takedown rate needed",
                percent(Some(rules.min_takedown_rate)),
            );
            row(
                "counter-notice rate allowed",
                percent(Some(rules.max_successful_counter_notice_rate)),
            );
        }
    }
    out.table(&table)
}

fn push_metrics(table: &mut Table, metrics: &Metrics) {
    let mut row = |measure: &str, value: Cell| {
        table.push(vec![
            Cell::text("metrics"),
            Cell::text(measure),
            value,
            Cell::Empty,
        ]);
    };
    row("removal rate", percent(metrics.removal_rate));
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

/// A rate as a percentage with one decimal (the same text in every format).
fn percent(rate: Option<f64>) -> Cell {
    rate.map_or(Cell::Empty, |r| Cell::text(format!("{:.1}%", 100.0 * r)))
}

fn hours(value: Option<u32>) -> Cell {
    value.map_or(Cell::Empty, |h| Cell::Count(u64::from(h)))
}
