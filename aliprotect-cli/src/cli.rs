//! The command line's top-level grammar, declared with clap: the commands and the options
//! every command takes. Each command's own arguments live with its run, in `commands`.

use aliprotect::engine::Page;
use clap::{Args, Parser, Subcommand, ValueEnum};

pub(crate) use crate::commands::campaign::CampaignSubcommand;
pub(crate) use crate::commands::complaint::ComplaintSubcommand;
pub(crate) use crate::commands::dashboard::DashboardArgs;
pub(crate) use crate::commands::db::DbSubcommand;
pub(crate) use crate::commands::due::DueArgs;
pub(crate) use crate::commands::inbox::InboxSubcommand;
pub(crate) use crate::commands::notify::NotifyArgs;
pub(crate) use crate::commands::policy::PolicySubcommand;
pub(crate) use crate::commands::right::RightSubcommand;
pub(crate) use crate::commands::seller::SellerSubcommand;
pub(crate) use crate::commands::serve::ServeArgs;
pub(crate) use crate::commands::sweep::{CandidateSubcommand, SweepSubcommand};
pub(crate) use crate::commands::tick::TickArgs;
pub(crate) use crate::commands::user::UserSubcommand;

/// Where the examples of the top-level help come from: one short session.
const EXAMPLES: &str = "\
Examples:
  aliprotect init
  aliprotect right register acme-sound.toml
  aliprotect right submit 0193a1f4-...
  aliprotect complaint import found.csv --right 0193a1f4-... --reason trademark-counterfeit \\
      --explanation 'Counterfeit earbuds bearing our mark' --rejected rejected.csv
  aliprotect due
  aliprotect dashboard --format csv > status.csv

The database is a SQLite file (--db, or ALIPROTECT_DB; default ./aliprotect.db), or a
PostgreSQL database given by a URL with libpq's parameters, such as
  postgresql://firm@db.internal/enforcement?sslmode=verify-full
(add pooler=transaction behind PgBouncer in transaction mode); `db copy` moves a file's
history into one. Firms acting for several clients keep each apart with --client NAME.

Exit codes: 0 done; 1 refused by the rules, or not found; 2 usage or input error (bad
option, malformed or missing file); 3 database or network error.";

/// Marketplace IP enforcement from the command line: register rights with the platform,
/// file complaints against listings, record what the platform and sellers do, and see where
/// everything stands.
#[derive(Debug, Parser)]
#[command(name = "aliprotect", version, after_help = EXAMPLES, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// The database: a SQLite file path, or a postgresql:// URL (libpq's parameters, such as
    /// sslmode=verify-full, and pooler=transaction behind PgBouncer in transaction mode).
    #[arg(
        long,
        env = "ALIPROTECT_DB",
        hide_env_values = true,
        default_value = "aliprotect.db",
        global = true
    )]
    pub(crate) db: String,
    /// Where documents and pages kept as evidence go: a directory, or a URL (s3://bucket/
    /// prefix, file:///path). Default: next to a SQLite file (`<db>.evidence`), else
    /// ./aliprotect-evidence.
    #[arg(
        long,
        env = "ALIPROTECT_EVIDENCE",
        hide_env_values = true,
        value_name = "DIR|URL",
        global = true
    )]
    pub(crate) evidence: Option<String>,
    /// The client (rights holder) acted for; each client's data is kept apart.
    #[arg(
        long,
        env = "ALIPROTECT_CLIENT",
        default_value = crate::session::DEFAULT_CLIENT,
        global = true
    )]
    pub(crate) client: String,
    /// How results are printed: a table for people, JSON or CSV for scripts.
    #[arg(long, value_enum, default_value_t = Format::Table, global = true)]
    pub(crate) format: Format,
    /// When to colour tables (NO_COLOR turns `auto` off).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub(crate) color: ColorChoice,
    /// Print only the ids of what was written or listed, one per line (for scripts).
    #[arg(short, long, global = true)]
    pub(crate) quiet: bool,
    /// Log what happens on stderr (-v warnings, -vv more); RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Aligned columns for people.
    Table,
    /// A JSON array of objects.
    Json,
    /// CSV with a header row.
    Csv,
}

/// When to colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create the database (a SQLite file) and choose the platform's rules.
    #[command(
        after_help = "Examples:\n  aliprotect init\n  aliprotect --db enforcement.db init --policy dmca-style"
    )]
    Init(InitArgs),
    /// Register IP rights, check and submit them, record the platform's review.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect right register acme-sound.toml\n  \
aliprotect right submit 0193a1f4-...\n  \
aliprotect right review 0193a1f4-... --reject 'Certificate not legible' --fix 'trademark-certificate: colour scan'\n  \
aliprotect right renew 0193a1f4-... --expires-on 2041-05-31 --document renewal-document=renewal.pdf\n  \
aliprotect right list --format csv"
    )]
    Right(RightSubcommand),
    /// File complaints against listings and record what happened to them.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect complaint file --right 0193a1f4-... --reason trademark-counterfeit \\\n      \
--explanation 'Counterfeit earbuds' https://www.alibaba.com/product-detail/Earbuds_1600123456789.html\n  \
aliprotect complaint import found.csv --right 0193a1f4-... --reason trademark-counterfeit --explanation '...'\n  \
aliprotect complaint record removed 0193b2c5-... 0193b2c6-...\n  \
aliprotect complaint import-statuses platform-list.csv\n  \
aliprotect complaint history 0193b2c5-... --bundle case-0193b2c5.zip"
    )]
    Complaint(ComplaintSubcommand),
    /// Group complaints of some rights into a campaign, measured together.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect campaign create 'Spring sweep' --right 0193a1f4-...\n  aliprotect campaign list"
    )]
    Campaign(CampaignSubcommand),
    /// Sellers met in complaints: repeat infringers first.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect seller list --repeat-only\n  aliprotect seller list --contacts seller-contacts.csv"
    )]
    Seller(SellerSubcommand),
    /// Saved keyword searches, run on a schedule: what they find waits for a person.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect sweep add 'Earbuds' --keyword 'acme earbuds' --right 0193a1f4-... \\\n      \
--reason trademark-counterfeit --explanation 'Counterfeit earbuds bearing our mark'\n  \
aliprotect sweep run --due --search search.toml\n  aliprotect sweep list"
    )]
    Sweep(SweepSubcommand),
    /// Listings sweeps found: confirm them (filed) or dismiss them, many at once.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect candidate list\n  aliprotect candidate confirm --ids-from to-confirm.txt\n  \
aliprotect candidate dismiss 5b1f... --reason 'Our own product, resold'"
    )]
    Candidate(CandidateSubcommand),
    /// Read the platform's emails into the record: rejections, "Unable to Process",
    /// counter-notices.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect inbox read --maildir ~/Maildir/.IPP\n  aliprotect inbox list"
    )]
    Inbox(InboxSubcommand),
    /// The platform's rules the data follows: show them, or change them on purpose.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect policy show\n  \
aliprotect policy change --to dmca-style --reason 'The client moved to a DMCA-style marketplace'"
    )]
    Policy(PolicySubcommand),
    /// Deadlines and check-backs coming up, soonest first.
    #[command(
        after_help = "Examples:\n  aliprotect due\n  aliprotect due --within 3\n  aliprotect due --format json"
    )]
    Due(DueArgs),
    /// Fire due deadlines and check-backs (run it on a schedule, e.g. hourly from cron).
    #[command(
        after_help = "Examples:\n  aliprotect tick\n  aliprotect tick --probe --removed-marker 'no longer available'\n  \
aliprotect tick --probe --probe-interval 5 --probe-in-flight 8"
    )]
    Tick(TickArgs),
    /// Complaints by status as the platform shows them, and the enforcement metrics.
    #[command(
        after_help = "Examples:\n  aliprotect dashboard\n  aliprotect dashboard --campaign 0193a1f4-...\n  aliprotect dashboard --format csv > dashboard.csv"
    )]
    Dashboard(DashboardArgs),
    /// The database as a whole: copy it into another, back it up.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect db copy --to postgresql://aliprotect@db.internal/enforcement\n  \
aliprotect db backup --to backups/enforcement.db"
    )]
    Db(DbSubcommand),
    /// Deliver notifications (webhook, email) until Ctrl-C.
    #[command(after_help = "Examples:\n  aliprotect notify --config notify.toml\n\n\
A config file (TOML): any number of [[webhook]] and [[email]] tables; `client` limits one\n\
to a client's notifications.\n\
  [[webhook]]\n\
  url = \"https://hooks.example.com/aliprotect\"\n\
  secret_env = \"WEBHOOK_SECRET\"      # or: secret = \"whsec_...\"\n\
  # Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature); a receiver\n\
  # verifies with the whsec_ secret (a plain secret's whsec_ form: whsec_ + its base64).\n\
  client = \"acme\"                    # optional\n\
\n\
  [[email]]\n\
  host = \"smtp.example.com\"\n\
  port = 587\n\
  security = \"starttls\"              # starttls | tls | none\n\
  username = \"alerts@example.com\"\n\
  password_env = \"SMTP_PASSWORD\"\n\
  from = \"alerts@example.com\"\n\
  to = [\"paralegal@example.com\"]\n\
  language = \"en\"                    # en | zh")]
    Notify(NotifyArgs),
    /// The web dashboard and the HTTP API, until Ctrl-C.
    #[command(after_help = "Examples:\n  aliprotect serve\n  \
aliprotect --db postgresql://aliprotect@db.internal/enforcement serve --listen 0.0.0.0:8080 --public-url https://enforcement.firm.example\n  \
aliprotect serve --work --work-every 300 --probe --removed-marker 'no longer available'\n\n\
People sign in with accounts from `aliprotect user add`; programs use API tokens issued\n\
on the account page (Authorization: Bearer ...). The API's OpenAPI document is /api/openapi.json.")]
    Serve(ServeArgs),
    /// The people who sign in to `serve`, and their role for each client.
    #[command(
        subcommand,
        after_help = "Examples:\n  ALIPROTECT_PASSWORD='correct horse battery' aliprotect --client acme user add ana@firm.example --name 'Ana Lima' --role firm-admin\n  \
aliprotect --client acme user grant ben@firm.example --role paralegal\n  aliprotect user list"
    )]
    User(UserSubcommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  aliprotect completions bash > ~/.local/share/bash-completion/completions/aliprotect"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Paging of a list: at most `--limit` rows, starting after `--after`.
#[derive(Debug, Args)]
pub(crate) struct PageArgs {
    /// At most this many rows.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) limit: usize,
    /// Start after this id (the last of the previous page).
    #[arg(long, value_name = "ID", value_parser = page_after)]
    pub(crate) after: Option<uuid::Uuid>,
}

impl PageArgs {
    /// The library's page of ids made by `id` from a UUID.
    pub(crate) fn of<Id>(&self, id: fn(uuid::Uuid) -> Id) -> Page<Id> {
        let page = Page::first(self.limit);
        match self.after {
            Some(after) => page.after(id(after)),
            None => page,
        }
    }
}

/// A calendar date as people type it: `2041-05-31`.
pub(crate) fn date(value: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|error| format!("`{value}` is not a date (YYYY-MM-DD): {error}"))
}

/// The id a page starts after: any kind of id, so a UUID.
fn page_after(value: &str) -> Result<uuid::Uuid, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not an id (expected a UUID)"))
}

/// `init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The platform's rules: deadlines, status names, limits.
    #[arg(long, value_enum, default_value_t = PolicyName::AlibabaIpp)]
    pub(crate) policy: PolicyName,
}

/// The marketplace policies the tool knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PolicyName {
    /// Alibaba.com's IP Protection platform (formerly AliProtect).
    AlibabaIpp,
    /// A DMCA-style notice-and-takedown process.
    DmcaStyle,
}

/// Options of every command that writes.
#[derive(Debug, Args)]
pub(crate) struct WriteArgs {
    /// Makes the command safe to rerun: a second run with the same key writes nothing and
    /// reports what the first wrote.
    #[arg(long, value_name = "KEY")]
    pub(crate) idempotency_key: Option<String>,
}

#[cfg(test)]
mod tests;
