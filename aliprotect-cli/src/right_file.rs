//! Right files (TOML or JSON) and evidence files: what a person writes and keeps on disk,
//! turned into the engine's submission package. Evidence is referenced by path, hashed
//! (SHA-256) from disk so the record proves which document was filed, and its bytes are
//! kept in the evidence store under that hash.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use aliprotect::evidence::{ContentHash, Evidence, EvidenceKind};
use aliprotect::ids::{PowerOfAttorneyId, RepresentativeId, RightsHolderId, TenantId};
use aliprotect::party::{HolderKind, PowerOfAttorney, PowerScope, RightsHolder};
use aliprotect::right::{
    CopyrightRegistration, Filer, Jurisdiction, MarkType, PatentRegistration, Registration,
    SubmissionPackage, TrademarkRegistration,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::error::CliError;

/// Largest right file read (a right file is a page of text; anything larger is a mistake).
const MAX_RIGHT_FILE: u64 = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RightFile {
    kind: String,
    holder: HolderFile,
    #[serde(default)]
    filer: Option<FilerFile>,
    registration: RegistrationFile,
    #[serde(default)]
    evidence: Vec<EvidenceFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolderFile {
    name: String,
    kind: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilerFile {
    /// The representative's name (an agent or law firm).
    representative: String,
    /// The power of attorney's validity; without it, no power is on record.
    power_valid_from: Option<String>,
    power_valid_until: Option<String>,
}

/// Every field any kind of registration has; each kind takes its own.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrationFile {
    mark_name: Option<String>,
    mark_type: Option<String>,
    registration_number: Option<String>,
    patent_number: Option<String>,
    title: Option<String>,
    jurisdiction: Option<String>,
    registrant: Option<String>,
    #[serde(default)]
    classes: Vec<u8>,
    registered_on: Option<String>,
    filed_on: Option<String>,
    granted_on: Option<String>,
    expires_on: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceFile {
    kind: String,
    file: PathBuf,
    media_type: Option<String>,
    captured_at: Option<String>,
}

/// A document read from disk: its evidence reference and its bytes, to keep.
pub(crate) struct Document {
    pub(crate) evidence: Evidence,
    pub(crate) bytes: Vec<u8>,
}

/// Keeps the documents' bytes in the session's evidence store (before the record names
/// them, so that everything the record names is kept).
pub(crate) async fn keep(
    session: &crate::session::Session,
    documents: &[Document],
) -> Result<(), CliError> {
    if documents.is_empty() {
        return Ok(());
    }
    let store = session.evidence()?;
    for document in documents {
        store
            .put(document.bytes.clone())
            .await
            .map_err(|e| CliError::Environment(format!("keeping evidence: {e}")))?;
    }
    Ok(())
}

/// Reads the right file at `path` into a package of `tenant`, hashing every evidence file;
/// the documents' bytes come along, to keep.
pub(crate) fn read_package(
    path: &Path,
    tenant: TenantId,
) -> Result<(SubmissionPackage, Vec<Document>), CliError> {
    let text = read_text(path)?;
    let value = parse_document(path, &text)?;
    let file: RightFile = serde_json::from_value(value).map_err(|e| CliError::file(path, e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let problem = |what: String| CliError::file(path, what);

    let holder = RightsHolder {
        id: RightsHolderId::from_uuid(derived(tenant, "holder", &file.holder.name)),
        tenant,
        name: file.holder.name.clone(),
        kind: named::<HolderKind>(&file.holder.kind, "holder.kind", "company, individual")
            .map_err(problem)?,
    };
    let registration =
        registration(&file.kind, file.registration, &holder.name).map_err(problem)?;
    let filer = match file.filer {
        None => Filer::Holder,
        Some(filer) => {
            let representative = RepresentativeId::from_uuid(derived(
                tenant,
                "representative",
                &filer.representative,
            ));
            let power = match filer.power_valid_from {
                None => None,
                Some(from) => Some(PowerOfAttorney {
                    id: PowerOfAttorneyId::from_uuid(derived(
                        tenant,
                        "power",
                        &format!("{}/{}", filer.representative, holder.name),
                    )),
                    holder: holder.id,
                    representative,
                    scope: PowerScope::AllRights,
                    valid_from: instant(&from, "filer.power_valid_from").map_err(problem)?,
                    valid_until: filer
                        .power_valid_until
                        .map(|until| instant(&until, "filer.power_valid_until"))
                        .transpose()
                        .map_err(problem)?,
                }),
            };
            Filer::Representative {
                representative,
                power,
            }
        }
    };
    let mut documents = Vec::with_capacity(file.evidence.len());
    for (n, item) in file.evidence.into_iter().enumerate() {
        let field = format!("evidence[{n}]");
        let kind = evidence_kind(&item.kind).map_err(|e| problem(format!("{field}.kind: {e}")))?;
        let document = base.join(&item.file);
        let captured_at = match item.captured_at {
            Some(at) => Some(instant(&at, &format!("{field}.captured_at")).map_err(problem)?),
            None => None,
        };
        documents.push(read_document(
            kind,
            &document,
            item.media_type,
            captured_at,
        )?);
    }
    let package = SubmissionPackage {
        holder,
        filer,
        registration,
        evidence: documents.iter().map(|d| d.evidence.clone()).collect(),
    };
    Ok((package, documents))
}

/// Evidence given on the command line as `KIND=PATH`.
pub(crate) fn evidence_argument(argument: &str) -> Result<Document, CliError> {
    let Some((kind, path)) = argument.split_once('=') else {
        return Err(CliError::Usage(format!(
            "--evidence `{argument}`: expected KIND=PATH, e.g. screenshot=listing.png"
        )));
    };
    let kind = evidence_kind(kind).map_err(|e| CliError::Usage(format!("--evidence: {e}")))?;
    read_document(kind, Path::new(path), None, None)
}

/// The evidence kinds by the names people write (`articles-of-incorporation`).
pub(crate) fn evidence_kind(name: &str) -> Result<EvidenceKind, String> {
    name.trim()
        .parse()
        .map_err(|e: aliprotect::evidence::UnknownEvidenceKind| e.to_string())
}

/// Reads the file at `path`: its bytes and their hash, its capture time the given one or the
/// file's modification time.
fn read_document(
    kind: EvidenceKind,
    path: &Path,
    media_type: Option<String>,
    captured_at: Option<DateTime<Utc>>,
) -> Result<Document, CliError> {
    let mut file = File::open(path).map_err(|e| CliError::file(path, e))?;
    let metadata = file.metadata().map_err(|e| CliError::file(path, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|e| CliError::file(path, e))?;
    let captured_at = captured_at
        .or_else(|| metadata.modified().ok().map(DateTime::<Utc>::from))
        .unwrap_or_else(Utc::now);
    let evidence = Evidence {
        kind,
        sha256: ContentHash::of_bytes(&bytes),
        media_type: media_type.unwrap_or_else(|| media_type_of(path).to_owned()),
        captured_at,
    };
    Ok(Document { evidence, bytes })
}

fn media_type_of(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("html" | "htm") => "text/html",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    }
}

fn registration(
    kind: &str,
    fields: RegistrationFile,
    holder_name: &str,
) -> Result<Registration, String> {
    let required = |value: Option<String>, field: &str| {
        value.ok_or_else(|| format!("registration.{field} is missing (required for a {kind})"))
    };
    let date = |value: Option<String>, field: &str| -> Result<NaiveDate, String> {
        let value = required(value, field)?;
        NaiveDate::parse_from_str(&value, "%Y-%m-%d")
            .map_err(|e| format!("registration.{field} `{value}`: {e} (expected YYYY-MM-DD)"))
    };
    let jurisdiction = Jurisdiction::new(required(fields.jurisdiction.clone(), "jurisdiction")?)
        .map_err(|e| format!("registration.jurisdiction: {e}"))?;
    let registrant = fields
        .registrant
        .clone()
        .unwrap_or_else(|| holder_name.to_owned());
    let patent = |fields: RegistrationFile| -> Result<PatentRegistration, String> {
        Ok(PatentRegistration {
            title: required(fields.title, "title")?,
            patent_number: required(fields.patent_number, "patent_number")?,
            jurisdiction: jurisdiction.clone(),
            registrant: registrant.clone(),
            filed_on: date(fields.filed_on, "filed_on")?,
            granted_on: date(fields.granted_on, "granted_on")?,
            expires_on: date(fields.expires_on, "expires_on")?,
        })
    };
    match kind {
        "trademark" => Ok(Registration::Trademark(TrademarkRegistration {
            mark_name: required(fields.mark_name, "mark_name")?,
            mark_type: named::<MarkType>(
                &required(fields.mark_type, "mark_type")?,
                "registration.mark_type",
                "word, figurative, combined",
            )?,
            registration_number: required(fields.registration_number, "registration_number")?,
            jurisdiction,
            registrant,
            classes: fields.classes,
            registered_on: date(fields.registered_on, "registered_on")?,
            expires_on: date(fields.expires_on, "expires_on")?,
        })),
        "copyright" => Ok(Registration::Copyright(CopyrightRegistration {
            title: required(fields.title, "title")?,
            registration_number: required(fields.registration_number, "registration_number")?,
            jurisdiction,
            registrant,
            registered_on: date(fields.registered_on, "registered_on")?,
            expires_on: match fields.expires_on {
                None => None,
                some => Some(date(some, "expires_on")?),
            },
        })),
        "utility-patent" => Ok(Registration::UtilityPatent(patent(fields)?)),
        "design-patent" => Ok(Registration::DesignPatent(patent(fields)?)),
        other => Err(format!(
            "kind `{other}`: expected trademark, copyright, utility-patent or design-patent"
        )),
    }
}

/// A value of one of the engine's enums by its command-line name: `articles-of-incorporation`
/// for `ArticlesOfIncorporation`.
fn named<T: DeserializeOwned>(name: &str, what: &str, expected: &str) -> Result<T, String> {
    let pascal: String = name
        .split(['-', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect()
            })
        })
        .collect();
    serde_json::from_value(Value::String(pascal))
        .map_err(|_| format!("{what} `{name}`: expected one of {expected}"))
}

/// A time as RFC 3339, or a date (midnight UTC).
fn instant(value: &str, field: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|day| day.and_time(chrono::NaiveTime::MIN).and_utc())
        .map_err(|_| format!("{field} `{value}`: expected YYYY-MM-DD or an RFC 3339 time"))
}

fn derived(tenant: TenantId, what: &str, name: &str) -> Uuid {
    Uuid::new_v5(&tenant.as_uuid(), format!("{what}/{name}").as_bytes())
}

fn read_text(path: &Path) -> Result<String, CliError> {
    let file = File::open(path).map_err(|e| CliError::file(path, e))?;
    let mut text = String::new();
    file.take(MAX_RIGHT_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| CliError::file(path, e))?;
    if text.len() as u64 > MAX_RIGHT_FILE {
        return Err(CliError::file(path, "larger than 1 MiB: not a right file"));
    }
    Ok(text)
}

/// The document as JSON values, whether it was written in TOML (dates become strings) or
/// JSON, chosen by extension.
fn parse_document(path: &Path, text: &str) -> Result<Value, CliError> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(text).map_err(|e| CliError::file(path, e))
    } else {
        let table: toml::Table = toml::from_str(text).map_err(|e| CliError::file(path, e))?;
        Ok(toml_to_json(toml::Value::Table(table)))
    }
}

fn toml_to_json(value: toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s),
        toml::Value::Integer(i) => Value::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        toml::Value::Boolean(b) => Value::Bool(b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => Value::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}
