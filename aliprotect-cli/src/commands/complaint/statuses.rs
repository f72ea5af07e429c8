//! `aliprotect complaint import-statuses`: the platform's own complaint list applied, row by
//! row: what changed, what already matched, what names nothing, what a person must look at.

use std::path::Path;

use aliprotect::engine::OutcomeReport;

use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::session::Session;

pub(super) async fn run(session: &Session, out: &Output, path: &Path) -> Result<(), CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::file(path, e))?;
    let report = session
        .engine
        .apply_platform_statuses(session.tenant, bytes.as_slice())
        .await?;
    let read = report.changed.len()
        + report.unchanged.len()
        + report.unknown.len()
        + report.conflicted.len();
    out.table(&rows(&report))?;
    out.note(format!(
        "{} changed, {} already so, {} naming no complaint, {} for a person to look at, {} \
         unreadable.",
        report.changed.len(),
        report.unchanged.len(),
        report.unknown.len(),
        report.conflicted.len(),
        report.rejected.len()
    ));
    if read == 0 {
        return Err(CliError::file(
            path,
            match report.rejected.first() {
                Some(first) => format!(
                    "no row could be read (line {}: {})",
                    first.line, first.problem
                ),
                None => "no row in the file".to_owned(),
            },
        ));
    }
    Ok(())
}

/// Every row of the list by line, with what became of it.
fn rows(report: &OutcomeReport) -> Table {
    let mut table = Table::new(&["line", "complaint", "result", "detail"]);
    let mut rows: Vec<(usize, Vec<Cell>)> = Vec::new();
    for changed in &report.changed {
        rows.push((
            changed.line,
            vec![
                Cell::text(changed.complaint),
                Cell::toned("changed", Tone::Good),
                Cell::text(format!("{} -> {}", changed.from, changed.to)),
            ],
        ));
    }
    for (line, complaint) in &report.unchanged {
        rows.push((
            *line,
            vec![Cell::text(complaint), Cell::text("already so"), Cell::Empty],
        ));
    }
    for (line, named) in &report.unknown {
        rows.push((
            *line,
            vec![
                Cell::Empty,
                Cell::toned("unknown", Tone::Waiting),
                Cell::text(format!("no complaint of this client: {named}")),
            ],
        ));
    }
    for conflict in &report.conflicted {
        rows.push((
            conflict.line,
            vec![
                Cell::text(conflict.complaint),
                Cell::toned("conflict", Tone::Bad),
                Cell::text(format!(
                    "the platform shows \"{}\", the record has it {}: look at it",
                    conflict.platform, conflict.ours
                )),
            ],
        ));
    }
    for rejected in &report.rejected {
        rows.push((
            rejected.line,
            vec![
                Cell::Empty,
                Cell::toned("unreadable", Tone::Bad),
                Cell::text(&rejected.problem),
            ],
        ));
    }
    rows.sort_by_key(|(line, _)| *line);
    for (line, cells) in rows {
        let mut row = vec![Cell::Count(line as u64)];
        row.extend(cells);
        table.push(row);
    }
    table
}
