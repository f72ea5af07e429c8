//! `aliprotect inbox ...`: the platform's emails read into the record, and the ones left for
//! a person.

use std::path::PathBuf;

use aliprotect::inbox::{
    Email, EmailId, EmailRules, EmailStatus, ImapInbox, Inbox, InboxError, Inboxes, MailFiles,
    ReadError,
};
use clap::{ArgGroup, Args, Subcommand};

use super::text;
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::progress::Progress;
use crate::session::Session;

/// `inbox ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum InboxSubcommand {
    /// Read the platform's emails: each is kept as evidence, recorded once (by its
    /// Message-ID) and applied to the one right or complaint it names, or left for a person.
    #[command(
        after_help = "Examples:\n  aliprotect inbox read --maildir ~/Maildir/.IPP\n  \
aliprotect inbox read --mbox exported.mbox\n  aliprotect inbox read --eml saved-emails/\n  \
ALIPROTECT_IMAP_PASSWORD=... aliprotect inbox read --imap imaps://ip@mail.firm.example/IPP\n\n\
What an email reads as: a right rejected (the reason verbatim, the fixes found in it), a\n\
complaint \"Unable to Process\" (its reason), a counter-notice (its statement, the email as\n\
evidence). Only emails from the policy's marketplaces' domains (and --trust-sender) are\n\
applied. It is matched by the complaint ids, listing URLs, registration numbers and mark\n\
names it holds; one that matches nothing, or more than one thing, is never guessed: see\n\
`aliprotect inbox list`. Reading again applies nothing twice.\n\n\
Exit codes: 0 read; 2 the mailbox cannot be read (a missing directory, a bad URL); 3 the\n\
mail server or the database failed."
    )]
    Read(ReadArgs),
    /// Emails left for a person by default, or in another status.
    #[command(
        after_help = "Examples:\n  aliprotect inbox list\n  aliprotect inbox list --status all --format csv"
    )]
    List {
        /// Which: for-a-person, all, or one status (received, applied, already-recorded,
        /// dismissed).
        #[arg(long, default_value = "for-a-person")]
        status: String,
    },
    /// Set an email left for a person aside.
    #[command(after_help = "Examples:\n  aliprotect inbox dismiss 2d0c... --reason 'A newsletter'")]
    Dismiss {
        /// The email's id (from `inbox list`).
        id: EmailId,
        /// Why, kept verbatim.
        #[arg(long)]
        reason: String,
    },
}

/// `inbox read`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("mailbox").required(true).args(["maildir", "mbox", "eml", "imap"])))]
pub(crate) struct ReadArgs {
    /// A maildir (a directory with cur/ and new/).
    #[arg(long, value_name = "DIR")]
    maildir: Option<PathBuf>,
    /// An mbox file.
    #[arg(long, value_name = "FILE")]
    mbox: Option<PathBuf>,
    /// A directory of .eml files (searched through).
    #[arg(long, value_name = "DIR")]
    eml: Option<PathBuf>,
    /// An IMAP mailbox: imaps://USER@HOST/MAILBOX, a port after the host if not 993
    /// (imap:// for a server on this machine); the password comes from
    /// ALIPROTECT_IMAP_PASSWORD.
    #[arg(long, value_name = "URL")]
    imap: Option<String>,
    /// Also trust emails from this domain (repeat for several): the firm's own, for
    /// colleagues' forwards. The policy's marketplaces' domains are always trusted; any
    /// other sender's email waits for a person.
    #[arg(long = "trust-sender", value_name = "DOMAIN")]
    trust_senders: Vec<String>,
    /// Apply only emails your mail server authenticated: its authserv-id, as in its
    /// Authentication-Results headers (dkim=pass or dmarc=pass for a trusted domain).
    #[arg(long, value_name = "SERVER")]
    authenticated_by: Option<String>,
}

impl From<ReadError> for CliError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::Inbox(InboxError::File { path, detail }) => CliError::File {
                path,
                problem: detail,
            },
            ReadError::Inbox(error) => CliError::Environment(error.to_string()),
            ReadError::Engine(error) => error.into(),
            ReadError::Store(error) => error.into(),
            ReadError::UnknownEmail(id) => CliError::NotFound(format!("email {id}")),
            ReadError::Evidence(error) => CliError::Environment(format!("evidence store: {error}")),
            other => CliError::refused(format!("refused: {other}"), Vec::new()),
        }
    }
}

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: InboxSubcommand,
) -> Result<(), CliError> {
    let inboxes = Inboxes::new(&session.engine);
    match args {
        InboxSubcommand::Read(args) => {
            let inbox = mailbox(&args)?;
            let mut rules = EmailRules::for_policy(session.engine.read().policy());
            rules
                .trusted_senders
                .extend(args.trust_senders.iter().cloned());
            rules.authenticated_by = args.authenticated_by.clone();
            let inboxes = inboxes.with_rules(rules);
            let evidence = session.evidence()?;
            let progress = Progress::start("reading", out);
            let report = inboxes
                .read(
                    session.tenant,
                    session.me,
                    inbox.as_ref(),
                    evidence.as_ref(),
                    |so_far| {
                        let done = so_far.seen_before
                            + so_far.applied
                            + so_far.already_recorded
                            + so_far.for_a_person.len();
                        progress.update(done, so_far.read);
                    },
                )
                .await;
            progress.finish();
            let report = report?;
            let mut table = Table::new(&["outcome", "emails"]);
            for (outcome, count) in [
                ("read", report.read),
                ("applied", report.applied),
                ("already on the record", report.already_recorded),
                ("left for a person", report.for_a_person.len()),
                ("read before", report.seen_before),
                ("too large to read", report.too_large.len()),
            ] {
                table.push(vec![Cell::text(outcome), Cell::Count(count as u64)]);
            }
            out.table(&table)?;
            for (source, bytes) in &report.too_large {
                out.note(format!(
                    "{source}: {bytes} bytes, too large to read (at most {}): see to it by hand.",
                    aliprotect::inbox::MAX_EMAIL_BYTES
                ));
            }
            if !report.for_a_person.is_empty() {
                out.note(format!(
                    "{} email(s) need a person: `aliprotect inbox list`.",
                    report.for_a_person.len()
                ));
            }
            Ok(())
        }
        InboxSubcommand::List { status } => {
            session.require_client().await?;
            let code = match status.as_str() {
                "all" => None,
                name => Some(EmailStatus::code_of(name).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--status {name}: one of all, {}",
                        EmailStatus::NAMES.join(", ")
                    ))
                })?),
            };
            let emails = inboxes.emails(session.tenant, code).await?;
            out.table(&email_table(&emails))
        }
        InboxSubcommand::Dismiss { id, reason } => {
            let reason = text(&reason, "--reason")?;
            session.require_client().await?;
            let email = inboxes
                .dismiss(session.tenant, session.me, id, reason)
                .await?;
            out.table(&email_table(std::slice::from_ref(&email)))
        }
    }
}

fn mailbox(args: &ReadArgs) -> Result<Box<dyn Inbox>, CliError> {
    let files = |path: &PathBuf, want: fn(&MailFiles) -> bool, what: &str| {
        let files = MailFiles::open(path).map_err(|error| match error {
            InboxError::File { path, detail } => CliError::File {
                path,
                problem: detail,
            },
            other => CliError::file(path, other),
        })?;
        if !want(&files) {
            return Err(CliError::file(path, format!("not {what}")));
        }
        Ok(Box::new(files) as Box<dyn Inbox>)
    };
    if let Some(path) = &args.maildir {
        return files(
            path,
            |f| matches!(f, MailFiles::Maildir(_)),
            "a maildir (no cur/ and new/)",
        );
    }
    if let Some(path) = &args.mbox {
        return files(path, |f| matches!(f, MailFiles::Mbox(_)), "an mbox file");
    }
    if let Some(path) = &args.eml {
        return files(path, |f| !matches!(f, MailFiles::Mbox(_)), "a directory");
    }
    let url = args
        .imap
        .as_deref()
        .ok_or_else(|| CliError::Usage("give --maildir, --mbox, --eml or --imap".into()))?;
    let password = std::env::var("ALIPROTECT_IMAP_PASSWORD").map_err(|_| {
        CliError::Usage("--imap: set ALIPROTECT_IMAP_PASSWORD to the mailbox's password".into())
    })?;
    let inbox =
        ImapInbox::from_url(url, password).map_err(|e| CliError::Usage(format!("--imap: {e}")))?;
    Ok(Box::new(inbox))
}

fn email_table(emails: &[Email]) -> Table {
    let mut table = Table::new(&[
        "id", "status", "subject", "from", "sent_at", "notice", "detail", "source",
    ]);
    for email in emails {
        let (tone, detail) = match &email.status {
            EmailStatus::Received => (Tone::Waiting, String::new()),
            EmailStatus::Applied { to } => (Tone::Good, format!("applied to {to}")),
            EmailStatus::AlreadyRecorded { to } => (Tone::Plain, format!("{to} says so already")),
            EmailStatus::ForAPerson { why } => (Tone::Bad, why.clone()),
            EmailStatus::Dismissed { reason } => (Tone::Plain, reason.as_str().to_owned()),
        };
        let received = &email.received;
        table.push(vec![
            Cell::text(email.id),
            Cell::toned(email.status.name(), tone),
            Cell::optional(received.subject.as_ref()),
            Cell::optional(received.from.as_ref()),
            Cell::optional_time(received.sent_at),
            Cell::optional(received.notice.map(|n| n.as_str())),
            if detail.is_empty() {
                Cell::Empty
            } else {
                Cell::text(detail)
            },
            Cell::text(&received.source),
        ]);
    }
    table
}
