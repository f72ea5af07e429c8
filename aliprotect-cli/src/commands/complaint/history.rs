//! A complaint's history for litigation: one row per event, every reason and statement
//! verbatim, every piece of evidence by kind and SHA-256; and the bundle that carries it with
//! every file it names and a manifest `sha256sum -c` checks.

use std::io::Write;
use std::path::{Path, PathBuf};

use aliprotect::complaint::TimelineEntry;
use aliprotect::evidence::{ContentHash, Evidence};
use aliprotect::ids::ComplaintId;
use aliprotect::party::Actor;
use aliprotect::store::{DomainEvent, StoredEvent};

use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::session::Session;

/// Writes the bundle of a complaint's history to `path` (a directory, or a `.zip`):
/// `history.csv`, `history.json`, `evidence/<sha256>.<ext>` for every file the history names,
/// and `SHA256SUMS` over all of them. Files the evidence store does not hold (recorded before
/// evidence was kept) are listed in `MISSING.txt` and said.
pub(super) async fn bundle(
    session: &Session,
    out: &Output,
    complaint: ComplaintId,
    events: &[StoredEvent],
    path: &Path,
) -> Result<(), CliError> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push(("history.csv".to_owned(), csv_of(&table(events))?));
    let json = serde_json::to_vec_pretty(events)
        .map_err(|e| CliError::Environment(format!("cannot write JSON: {e}")))?;
    files.push(("history.json".to_owned(), json));
    let mut named: Vec<Evidence> = Vec::new();
    for stored in events {
        if let DomainEvent::Complaint(event) = &stored.event {
            for evidence in TimelineEntry::of(&event.change).evidence {
                if !named.iter().any(|e| e.sha256 == evidence.sha256) {
                    named.push(evidence);
                }
            }
        }
    }
    let store = session.evidence()?;
    let mut missing: Vec<ContentHash> = Vec::new();
    for evidence in &named {
        match store.get(&evidence.sha256).await {
            Ok(Some(bytes)) => files.push((
                format!(
                    "evidence/{}.{}",
                    evidence.sha256,
                    extension_of(&evidence.media_type)
                ),
                bytes,
            )),
            Ok(None) => missing.push(evidence.sha256),
            Err(error) => {
                return Err(CliError::Environment(format!(
                    "reading evidence {}: {error}",
                    evidence.sha256
                )));
            }
        }
    }
    if !missing.is_empty() {
        let list: String = missing.iter().map(|h| format!("{h}\n")).collect();
        files.push(("MISSING.txt".to_owned(), list.into_bytes()));
    }
    let manifest: String = files
        .iter()
        .map(|(name, bytes)| format!("{}  {name}\n", ContentHash::of_bytes(bytes)))
        .collect();
    files.push(("SHA256SUMS".to_owned(), manifest.into_bytes()));
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    match is_zip {
        true => write_zip(path, complaint, &files)?,
        false => write_directory(path, &files)?,
    }
    let mut table = Table::new(&["file", "sha256", "bytes"]);
    for (name, bytes) in &files {
        table.push(vec![
            Cell::text(name),
            Cell::text(ContentHash::of_bytes(bytes)),
            Cell::Count(bytes.len() as u64),
        ]);
    }
    out.table(&table)?;
    out.note(format!(
        "Bundle written to {}: check it with `sha256sum -c SHA256SUMS` inside it.",
        path.display()
    ));
    if !missing.is_empty() {
        out.note(format!(
            "{} file(s) the history names are not in the evidence store (recorded before \
             evidence was kept, or kept elsewhere): listed in MISSING.txt",
            missing.len()
        ));
    }
    Ok(())
}

fn csv_of(table: &Table) -> Result<Vec<u8>, CliError> {
    Ok(crate::output::csv_text(table)?.into_bytes())
}

fn write_directory(path: &Path, files: &[(String, Vec<u8>)]) -> Result<(), CliError> {
    if path.exists() && std::fs::read_dir(path).is_ok_and(|mut d| d.next().is_some()) {
        return Err(CliError::file(
            path,
            "exists and is not empty: name a new directory",
        ));
    }
    for (name, bytes) in files {
        let file: PathBuf = path.join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| CliError::file(parent, e))?;
        }
        std::fs::write(&file, bytes).map_err(|e| CliError::file(&file, e))?;
    }
    Ok(())
}

fn write_zip(
    path: &Path,
    complaint: ComplaintId,
    files: &[(String, Vec<u8>)],
) -> Result<(), CliError> {
    let failed = |e: &dyn std::fmt::Display| CliError::file(path, e);
    let file = std::fs::File::create_new(path).map_err(|e| failed(&e))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    // Everything under one folder named for the complaint, so unzipping makes no mess.
    let folder = format!("complaint-{complaint}");
    for (name, bytes) in files {
        zip.start_file(format!("{folder}/{name}"), options)
            .map_err(|e| failed(&e))?;
        zip.write_all(bytes).map_err(|e| failed(&e))?;
    }
    zip.finish().map_err(|e| failed(&e))?;
    Ok(())
}

/// A file name extension for a media type, for people opening the bundle.
fn extension_of(media_type: &str) -> &'static str {
    let media_type = media_type.split(';').next().unwrap_or_default().trim();
    match media_type.to_ascii_lowercase().as_str() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        "text/html" => "html",
        "text/plain" => "txt",
        _ => "bin",
    }
}

/// The complaint's history for litigation: one row per event, every reason and statement
/// verbatim, every piece of evidence by kind and SHA-256.
pub(super) fn table(events: &[StoredEvent]) -> Table {
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
        let TimelineEntry {
            change,
            reason,
            statement,
            evidence,
            ..
        } = TimelineEntry::of(&event.change);
        let evidence: Vec<String> = evidence
            .iter()
            .map(|e| format!("{} sha256:{}", e.kind, e.sha256))
            .collect();
        table.push(vec![
            Cell::Count(stored.version),
            Cell::Time(event.at),
            Cell::text(actor_name(&event.actor)),
            Cell::text(change),
            Cell::optional(reason),
            Cell::optional(statement),
            Cell::text(evidence.join("; ")),
        ]);
    }
    table
}

pub(crate) fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::HolderUser { user, .. } => format!("holder user {user}"),
        Actor::Representative { representative, .. } => format!("representative {representative}"),
        Actor::Platform => "platform".to_owned(),
        Actor::Seller => "seller".to_owned(),
        Actor::System => "system".to_owned(),
        Actor::Operator { user } => format!("operator {user}"),
    }
}
