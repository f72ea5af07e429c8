//! `aliprotect right ...`: register, check, submit, and the platform's review.

use std::path::{Path, PathBuf};

use aliprotect::clock::Clock;
use aliprotect::engine::Command;
use aliprotect::ids::RightId;
use aliprotect::party::Actor;
use aliprotect::right::{Fix, FixTarget, IpRight, RightCommand, RightStatus, SubmissionPackage};
use chrono::{DateTime, Utc};
use clap::Subcommand;

use super::text;
use crate::cli::{PageArgs, WriteArgs};
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::right_file::{evidence_argument, evidence_kind, keep, read_package};
use crate::session::Session;

/// `right ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum RightSubcommand {
    /// Register a right from a TOML or JSON file (evidence hashed from disk).
    #[command(
        after_help = "Examples:\n  aliprotect right register acme-sound.toml\n\n\
A right file (TOML):\n\
  kind = \"trademark\"            # trademark | copyright | utility-patent | design-patent\n\
  [holder]\n\
  name = \"Acme Audio Ltd\"\n\
  kind = \"company\"              # company | individual\n\
  [registration]\n\
  mark_name = \"ACME SOUND\"\n\
  mark_type = \"combined\"        # word | figurative | combined\n\
  registration_number = \"CN-41234567\"\n\
  jurisdiction = \"CN\"\n\
  registrant = \"Acme Audio Ltd\"\n\
  classes = [9]\n\
  registered_on = 2021-06-01\n\
  expires_on = 2031-05-31\n\
  [[evidence]]\n\
  kind = \"trademark-certificate\"\n\
  file = \"certificate.pdf\"      # relative to the right file\n\
  [[evidence]]\n\
  kind = \"articles-of-incorporation\"\n\
  file = \"articles.pdf\""
    )]
    Register {
        /// The right file (.toml or .json).
        file: PathBuf,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Show every problem the platform would find in a right's package, at once.
    #[command(
        after_help = "Examples:\n  aliprotect right check acme-sound.toml\n  aliprotect right check 0193a1f4-..."
    )]
    Check {
        /// A right file, or the id of a registered right.
        right: String,
    },
    /// Replace a registered right's package with a corrected file.
    #[command(after_help = "Examples:\n  aliprotect right amend 0193a1f4-... acme-sound.toml")]
    Amend {
        /// The right's id.
        id: RightId,
        /// The corrected right file.
        file: PathBuf,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Submit a right to the platform (refused with the list of problems if incomplete).
    #[command(after_help = "Examples:\n  aliprotect right submit 0193a1f4-...")]
    Submit {
        /// The right's id.
        id: RightId,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record the platform's review: approved, or rejected with its reason verbatim.
    #[command(
        after_help = "Examples:\n  aliprotect right review 0193a1f4-... --approve\n  \
aliprotect right review 0193a1f4-... --reject 'The certificate scan is not legible.' \\\n      \
--fix 'trademark-certificate: upload a colour scan'"
    )]
    Review {
        /// The right's id.
        id: RightId,
        /// The platform approved the right.
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        approve: bool,
        /// The platform rejected it, with this reason (copied verbatim).
        #[arg(long, value_name = "REASON")]
        reject: Option<String>,
        /// What the platform asks to fix: `DOCUMENT-KIND: instruction`, or an instruction
        /// alone about the registration. Repeat for several.
        #[arg(long, value_name = "FIX", requires = "reject")]
        fix: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record a renewal: the new expiry date and the renewal certificate.
    #[command(
        after_help = "Examples:\n  aliprotect right renew 0193a1f4-... --expires-on 2041-05-31 --document renewal-document=renewal.pdf"
    )]
    Renew {
        /// The right's id.
        id: RightId,
        /// The new expiry date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", value_parser = crate::cli::date)]
        expires_on: chrono::NaiveDate,
        /// The renewal certificate: `KIND=PATH` (renewal-document, or a new
        /// registration certificate).
        #[arg(long, value_name = "KIND=PATH")]
        document: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Withdraw a right (no more complaints rest on it).
    #[command(
        after_help = "Examples:\n  aliprotect right withdraw 0193a1f4-... --reason 'Sold the mark'"
    )]
    Withdraw {
        /// The right's id.
        id: RightId,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The client's rights with their status and submission attempts.
    #[command(
        after_help = "Examples:\n  aliprotect right list\n  aliprotect right list --format csv"
    )]
    List {
        #[command(flatten)]
        page: PageArgs,
    },
    /// One right: its registration, status, attempts and the last rejection.
    #[command(
        after_help = "Examples:\n  aliprotect right show 0193a1f4-...\n  aliprotect right show 0193a1f4-... --format json"
    )]
    Show {
        /// The right's id.
        id: RightId,
    },
}

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: RightSubcommand,
) -> Result<(), CliError> {
    match args {
        RightSubcommand::Register { file, write } => {
            let key = write.idempotency_key.as_deref();
            let (package, documents) = read_package(&file, session.tenant)?;
            keep(session, &documents).await?;
            let right = RightId::from_uuid(session.new_id(key, "right", 0));
            let register = RightCommand::Register {
                id: right,
                tenant: session.tenant,
                package: Box::new(package),
            };
            session
                .run(session.me, Command::right(right, register), key, 0)
                .await?;
            let state = load(session, right).await?;
            out.table(&rights_table([&state]))?;
            let problems = state
                .package
                .check(right, session.engine.read().clock().now());
            if problems.is_empty() {
                out.note(format!("Registered. Next: aliprotect right submit {right}"));
            } else {
                out.note(format!(
                    "Registered, but the platform would reject it for {} problem(s); see \
                     `aliprotect right check {right}`",
                    problems.len()
                ));
            }
            Ok(())
        }
        RightSubcommand::Check { right } => {
            let (package, right_id) = if Path::new(&right).is_file() {
                (
                    read_package(Path::new(&right), session.tenant)?.0,
                    RightId::new(),
                )
            } else {
                let right_id: RightId = right.trim().parse().map_err(|_| {
                    CliError::Usage(format!(
                        "`{right}` is neither a right file nor a right id (a UUID)"
                    ))
                })?;
                (load(session, right_id).await?.package, right_id)
            };
            check(out, &package, right_id, session.engine.read().clock().now())
        }
        RightSubcommand::Amend {
            id: right,
            file,
            write,
        } => {
            let (package, documents) = read_package(&file, session.tenant)?;
            keep(session, &documents).await?;
            let amend = RightCommand::Amend {
                package: Box::new(package),
            };
            let key = write.idempotency_key.as_deref();
            session
                .run(session.me, Command::right(right, amend), key, 0)
                .await?;
            let amended = load(session, right).await?;
            out.table(&rights_table([&amended]))?;
            if amended.status == RightStatus::Rejected {
                out.note(format!("Amended. Next: aliprotect right submit {right}"));
            }
            Ok(())
        }
        RightSubcommand::Submit { id: right, write } => {
            let key = write.idempotency_key.as_deref();
            session
                .run(
                    session.me,
                    Command::right(right, RightCommand::Submit),
                    key,
                    0,
                )
                .await?;
            out.table(&rights_table([&load(session, right).await?]))?;
            out.note("Submitted. Record the platform's answer with `aliprotect right review`.");
            Ok(())
        }
        RightSubcommand::Review {
            id: right,
            approve,
            reject,
            fix,
            write,
        } => {
            let key = write.idempotency_key.as_deref();
            let decision = match (approve, reject) {
                (true, _) => RightCommand::Approve,
                (false, Some(reason)) => RightCommand::Reject {
                    reason: text(&reason, "--reject")?,
                    fixes: fix.iter().map(|f| parse_fix(f)).collect::<Result<_, _>>()?,
                },
                (false, None) => {
                    return Err(CliError::Usage(
                        "give --approve or --reject REASON".to_owned(),
                    ));
                }
            };
            // The platform takes a submitted right into review before deciding; record both.
            let state = load(session, right).await?;
            if state.status == RightStatus::Submitted {
                let begin = Command::right(right, RightCommand::BeginReview);
                session.run(Actor::Platform, begin, key, 0).await?;
            }
            session
                .run(Actor::Platform, Command::right(right, decision), key, 1)
                .await?;
            out.table(&rights_table([&load(session, right).await?]))
        }
        RightSubcommand::Renew {
            id: right,
            expires_on,
            document,
            write,
        } => {
            let document = evidence_argument(&document)?;
            keep(session, std::slice::from_ref(&document)).await?;
            let renew = RightCommand::Renew {
                expires_on,
                document: document.evidence,
            };
            let key = write.idempotency_key.as_deref();
            session
                .run(session.me, Command::right(right, renew), key, 0)
                .await?;
            out.table(&rights_table([&load(session, right).await?]))?;
            out.note(format!(
                "Renewed until {expires_on}; the expiry reminder and deadline follow it."
            ));
            Ok(())
        }
        RightSubcommand::Withdraw {
            id: right,
            reason,
            write,
        } => {
            let reason = reason.map(|r| text(&r, "--reason")).transpose()?;
            let key = write.idempotency_key.as_deref();
            let withdraw = RightCommand::Withdraw { reason };
            session
                .run(session.me, Command::right(right, withdraw), key, 0)
                .await?;
            out.table(&rights_table([&load(session, right).await?]))
        }
        RightSubcommand::List { page } => {
            session.require_client().await?;
            let rights = session
                .engine
                .read()
                .rights(session.tenant, page.of(RightId::from_uuid))
                .await?;
            out.table(&rights_table(&rights))
        }
        RightSubcommand::Show { id: right } => {
            let state = load(session, right).await?;
            out.table(&details(&state))
        }
    }
}

async fn load(session: &Session, right: RightId) -> Result<IpRight, CliError> {
    session
        .engine
        .read()
        .right(session.tenant, right)
        .await?
        .ok_or_else(|| CliError::NotFound(format!("right {right}")))
}

/// The submission check: every problem at once, exit code 1 when there is any.
fn check(
    out: &Output,
    package: &SubmissionPackage,
    right: RightId,
    at: DateTime<Utc>,
) -> Result<(), CliError> {
    let problems = package.check(right, at);
    let mut table = Table::new(&["problem"]);
    for problem in &problems {
        table.push(vec![Cell::toned(problem, Tone::Bad)]);
    }
    if problems.is_empty() {
        out.note("The package is complete: the platform's checks would pass.");
        return Ok(());
    }
    out.table(&table)?;
    Err(CliError::refused(
        format!("{} problem(s) to fix before submitting", problems.len()),
        Vec::new(),
    ))
}

/// `DOCUMENT-KIND: instruction`, `registration: ...`, `translation: ...`, or an instruction.
fn parse_fix(fix: &str) -> Result<Fix, CliError> {
    let (target, instruction) = match fix.split_once(':') {
        Some((target, rest)) => match target.trim() {
            "registration" => (FixTarget::Registration, rest),
            "translation" => (FixTarget::Translation, rest),
            other => match evidence_kind(other) {
                Ok(kind) => (FixTarget::Evidence(kind), rest),
                Err(_) => (FixTarget::Other, fix),
            },
        },
        None => (FixTarget::Other, fix),
    };
    Ok(Fix {
        target,
        instruction: text(instruction.trim(), "--fix")?,
    })
}

fn tone(status: RightStatus) -> Tone {
    match status {
        RightStatus::Approved => Tone::Good,
        RightStatus::Rejected | RightStatus::Expired | RightStatus::Abandoned => Tone::Bad,
        RightStatus::Submitted | RightStatus::UnderReview => Tone::Waiting,
        _ => Tone::Plain,
    }
}

fn rights_table<'a>(rights: impl IntoIterator<Item = &'a IpRight>) -> Table {
    let mut table = Table::new(&[
        "id",
        "kind",
        "name",
        "number",
        "jurisdiction",
        "status",
        "attempts",
        "last_rejection",
    ]);
    for right in rights {
        let registration = &right.package.registration;
        table.push(vec![
            Cell::text(right.id),
            Cell::text(right.package.kind().to_string()),
            Cell::text(name_of(right)),
            Cell::text(registration.number()),
            Cell::text(jurisdiction_of(registration)),
            Cell::toned(right.status.to_string(), tone(right.status)),
            Cell::Count(u64::from(right.attempts)),
            Cell::optional(right.last_rejection().map(|r| r.reason.as_str().to_owned())),
        ]);
    }
    table
}

fn name_of(right: &IpRight) -> String {
    use aliprotect::right::Registration;
    match &right.package.registration {
        Registration::Trademark(mark) => mark.mark_name.clone(),
        Registration::Copyright(work) => work.title.clone(),
        Registration::UtilityPatent(patent) | Registration::DesignPatent(patent) => {
            patent.title.clone()
        }
    }
}

fn jurisdiction_of(registration: &aliprotect::right::Registration) -> &str {
    use aliprotect::right::Registration;
    match registration {
        Registration::Trademark(mark) => mark.jurisdiction.as_str(),
        Registration::Copyright(work) => work.jurisdiction.as_str(),
        Registration::UtilityPatent(patent) | Registration::DesignPatent(patent) => {
            patent.jurisdiction.as_str()
        }
    }
}

/// One right as field/value rows, with every rejection and its fixes.
fn details(right: &IpRight) -> Table {
    let mut table = Table::new(&["field", "value"]);
    let mut row = |field: &str, value: Cell| table.push(vec![Cell::text(field), value]);
    row("id", Cell::text(right.id));
    row("kind", Cell::text(right.package.kind().to_string()));
    row("name", Cell::text(name_of(right)));
    row("number", Cell::text(right.package.registration.number()));
    row(
        "jurisdiction",
        Cell::text(jurisdiction_of(&right.package.registration)),
    );
    row("holder", Cell::text(&right.package.holder.name));
    row(
        "status",
        Cell::toned(right.status.to_string(), tone(right.status)),
    );
    row("attempts", Cell::Count(u64::from(right.attempts)));
    row(
        "expires_on",
        Cell::optional(right.package.registration.expires_on()),
    );
    row("approved_at", Cell::optional_time(right.approved_at));
    for document in &right.package.evidence {
        row(
            "evidence",
            Cell::text(format!("{} sha256:{}", document.kind, document.sha256)),
        );
    }
    for rejection in &right.rejections {
        row(
            &format!("rejection {}", rejection.attempt),
            Cell::toned(
                format!(
                    "{} ({})",
                    rejection.reason.as_str(),
                    rejection.at.format("%Y-%m-%d %H:%M UTC")
                ),
                Tone::Bad,
            ),
        );
        for fix in &rejection.fixes {
            row("  fix", Cell::text(fix.instruction.as_str()));
        }
    }
    table
}
