//! `aliprotect complaint import`: thousands of listings from a spreadsheet export, with a
//! progress bar, a summary, and a file of the rows not filed.

use std::path::Path;

use aliprotect::engine::IntakeReport;
use aliprotect::intake::{CsvOptions, DuplicateOf, IntakeFormat, IntakeRequest};
use aliprotect::marketplace::Marketplace;

use super::FilingArgs;
use super::text;
use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::progress::Progress;
use crate::session::Session;

/// How an import reads its file and where it reports.
pub(super) struct Options<'a> {
    /// Where the rows not filed go.
    pub(super) rejected: Option<&'a Path>,
    /// The marketplace every row must belong to (the policy's first when not given).
    pub(super) marketplace: Option<&'a str>,
    /// The URL column's header, when it has an unusual name.
    pub(super) url_column: Option<String>,
}

/// The marketplace named, which the policy must cover, or the policy's first.
pub(crate) fn marketplace_of(
    session: &Session,
    named: Option<&str>,
) -> Result<Marketplace, CliError> {
    let policy = session.engine.read().policy();
    let Some(named) = named else {
        return policy.marketplaces.first().copied().ok_or_else(|| {
            CliError::Usage(format!("the policy {} covers no marketplace", policy.name))
        });
    };
    let marketplace: Marketplace = named
        .parse()
        .map_err(|e| CliError::Usage(format!("--marketplace: {e}")))?;
    if !policy.covers(marketplace) {
        let covered: Vec<&str> = policy.marketplaces.iter().map(|m| m.code()).collect();
        return Err(CliError::Usage(format!(
            "--marketplace {marketplace}: the policy {} covers {}",
            policy.name,
            covered.join(", ")
        )));
    }
    Ok(marketplace)
}

pub(super) async fn run(
    session: &Session,
    out: &Output,
    path: &Path,
    args: FilingArgs,
    options: Options<'_>,
) -> Result<(), CliError> {
    let Options {
        rejected,
        marketplace,
        url_column,
    } = options;
    let format = format_of(path)?;
    let csv = url_column.map_or_else(CsvOptions::default, CsvOptions::url_column);
    let marketplace = marketplace_of(session, marketplace)?;
    let request = IntakeRequest {
        tenant: session.tenant,
        actor: session.me,
        marketplace,
        right: args.right,
        reason: args.reason,
        explanation: text(&args.explanation, "--explanation")?,
        campaign: args.campaign,
        submit: !args.draft,
    };
    let bytes = std::fs::read(path).map_err(|e| CliError::file(path, e))?;
    // Check that the rejected-rows file can be written before filing anything.
    let mut rejected_file = rejected
        .map(|p| std::fs::File::create(p).map_err(|e| CliError::file(p, e)))
        .transpose()?;

    let progress = Progress::start("filing", out);
    let report = session
        .engine
        .intake_with(&request, format, &csv, bytes.as_slice(), |state| {
            progress.update(state.filed + state.failed, state.to_file);
        })
        .await;
    progress.finish();
    let report = report?;

    let rows = not_filed(&report);
    if let (Some(file), Some(path)) = (rejected_file.as_mut(), rejected) {
        write_rejected(file, &rows).map_err(|e| CliError::file(path, e))?;
    }
    // Quiet: only the new complaints' ids, for a script; the verdict below is the same.
    if out.quiet() {
        let mut ids = Table::new(&["complaint"]);
        for filed in &report.filed {
            ids.push(vec![Cell::text(filed.complaint)]);
        }
        out.table(&ids)?;
    } else {
        out.table(&summary(&report))?;
    }
    // Nothing filed and nothing already filed: no row was usable, which is an input error
    // (a file without a URL column, a file of search pages...).
    if report.filed.is_empty() && report.duplicates.is_empty() && report.held_relistings.is_empty()
    {
        let first = rows.first().map_or_else(
            || "the file has no rows".to_owned(),
            |(line, why)| format!("line {line}: {why}"),
        );
        return Err(CliError::file(
            path,
            format!("no row could be filed ({first})"),
        ));
    }
    if !rows.is_empty() {
        match rejected {
            Some(path) => out.note(format!(
                "{} row(s) not filed, with their reasons: {}",
                rows.len(),
                path.display()
            )),
            None => out.note(format!(
                "{} row(s) not filed; pass --rejected FILE to get them with their reasons.",
                rows.len()
            )),
        }
    }
    Ok(())
}

pub(crate) fn format_of(path: &Path) -> Result<IntakeFormat, CliError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        // A plain list of URLs is read as CSV: one column, no header.
        Some("csv" | "tsv" | "txt") => Ok(IntakeFormat::Csv),
        Some("jsonl" | "ndjson" | "json") => Ok(IntakeFormat::JsonLines),
        _ => Err(CliError::file(
            path,
            "unknown format: name it .csv (.tsv, or .txt for a list of URLs), or .jsonl for \
             JSON Lines",
        )),
    }
}

fn summary(report: &IntakeReport) -> Table {
    let mut table = Table::new(&["outcome", "rows"]);
    let mut row = |outcome: &str, count: usize| {
        table.push(vec![Cell::text(outcome), Cell::Count(count as u64)]);
    };
    row("filed", report.filed.len());
    row("in filings", report.filings.len());
    row("relistings filed as follow-ups", report.relistings.len());
    row("relistings held for a person", report.held_relistings.len());
    row("duplicates", report.duplicates.len());
    row(
        "rejected (unreadable or not a listing)",
        report.rejected.len(),
    );
    row("refused by the rules", report.refused.len());
    table
}

/// Every row not filed, by line, with why.
fn not_filed(report: &IntakeReport) -> Vec<(usize, String)> {
    let mut rows: Vec<(usize, String)> = Vec::new();
    rows.extend(
        report
            .rejected
            .iter()
            .map(|r| (r.line, r.problem.to_string())),
    );
    rows.extend(report.duplicates.iter().map(|d| {
        let why = match d.of {
            DuplicateOf::Row(line) => format!("duplicate of line {line}"),
            DuplicateOf::OpenComplaint(complaint) => {
                format!("already complained about: complaint {complaint}")
            }
        };
        (d.line, why)
    }));
    rows.extend(
        report
            .refused
            .iter()
            .map(|(line, error)| (*line, format!("refused: {error}"))),
    );
    rows.extend(report.held_relistings.iter().map(|(line, found, _)| {
        (
            *line,
            format!(
                "relisting of complaint {}: held, the campaign does not file relistings automatically",
                found.previous
            ),
        )
    }));
    rows.sort();
    rows
}

fn write_rejected(file: &mut std::fs::File, rows: &[(usize, String)]) -> std::io::Result<()> {
    let mut writer = csv::Writer::from_writer(file);
    writer.write_record(["line", "reason"])?;
    for (line, why) in rows {
        writer.write_record([line.to_string().as_str(), why.as_str()])?;
    }
    writer.flush()
}
