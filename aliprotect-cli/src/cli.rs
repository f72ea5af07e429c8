//! The command line's grammar: every command, option and its help, declared with clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
PostgreSQL database given by URL (postgresql://...). Firms acting for several clients keep
each apart with --client NAME.

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
    /// The database: a SQLite file path, or a postgresql:// URL.
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
    Right(RightCommand),
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
    Complaint(ComplaintCommand),
    /// Group complaints of some rights into a campaign, measured together.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect campaign create 'Spring sweep' --right 0193a1f4-...\n  aliprotect campaign list"
    )]
    Campaign(CampaignCommand),
    /// Sellers met in complaints: repeat infringers first.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect seller list --repeat-only\n  aliprotect seller list --contacts seller-contacts.csv"
    )]
    Seller(SellerCommand),
    /// The platform's rules the data follows: show them, or change them on purpose.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect policy show\n  \
aliprotect policy change --to dmca-style --reason 'The client moved to a DMCA-style marketplace'"
    )]
    Policy(PolicyCommand),
    /// Deadlines and check-backs coming up, soonest first.
    #[command(
        after_help = "Examples:\n  aliprotect due\n  aliprotect due --within 3\n  aliprotect due --format json"
    )]
    Due(DueArgs),
    /// Fire due deadlines and check-backs (run it on a schedule, e.g. hourly from cron).
    #[command(
        after_help = "Examples:\n  aliprotect tick\n  aliprotect tick --probe --removed-marker 'no longer available'"
    )]
    Tick(TickArgs),
    /// Complaints by status as the platform shows them, and the enforcement metrics.
    #[command(
        after_help = "Examples:\n  aliprotect dashboard\n  aliprotect dashboard --campaign 0193a1f4-...\n  aliprotect dashboard --format csv > dashboard.csv"
    )]
    Dashboard(DashboardArgs),
    /// Deliver notifications (webhook, email) until Ctrl-C.
    #[command(after_help = "Examples:\n  aliprotect notify --config notify.toml\n\n\
A config file (TOML): any number of [[webhook]] and [[email]] tables; `client` limits one\n\
to a client's notifications.\n\
  [[webhook]]\n\
  url = \"https://hooks.example.com/aliprotect\"\n\
  secret_env = \"WEBHOOK_SECRET\"      # or: secret = \"a long random string\"\n\
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
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  aliprotect completions bash > ~/.local/share/bash-completion/completions/aliprotect"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `policy ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// The policy the data follows, who set it, when and why.
    #[command(
        after_help = "Examples:\n  aliprotect policy show\n  aliprotect policy show --format json"
    )]
    Show,
    /// Change the policy of recorded data (deadlines already decided stay; check-backs,
    /// reminders and watches are rescheduled). Recorded with who and why.
    #[command(
        after_help = "Examples:\n  aliprotect policy change --to dmca-style --reason 'Moved to a DMCA-style marketplace'"
    )]
    Change {
        /// The new policy.
        #[arg(long, value_enum)]
        to: PolicyName,
        /// Why (kept in the record).
        #[arg(long)]
        reason: String,
    },
}

/// Paging of a list: at most `--limit` rows, starting after `--after`.
#[derive(Debug, Args)]
pub(crate) struct PageArgs {
    /// At most this many rows.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) limit: usize,
    /// Start after this id (the last of the previous page).
    #[arg(long, value_name = "ID")]
    pub(crate) after: Option<String>,
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

/// `right ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum RightCommand {
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
        id: String,
        /// The corrected right file.
        file: PathBuf,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Submit a right to the platform (refused with the list of problems if incomplete).
    #[command(after_help = "Examples:\n  aliprotect right submit 0193a1f4-...")]
    Submit {
        /// The right's id.
        id: String,
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
        id: String,
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
        id: String,
        /// The new expiry date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        expires_on: String,
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
        id: String,
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
        id: String,
    },
}

/// `complaint ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ComplaintCommand {
    /// File complaints against one or more listing URLs (one filing).
    #[command(
        after_help = "Examples:\n  aliprotect complaint file --right 0193a1f4-... --reason trademark-counterfeit \\\n      \
--explanation 'Counterfeit earbuds bearing our mark' \\\n      \
https://www.alibaba.com/product-detail/Earbuds_1600123456789.html"
    )]
    File {
        #[command(flatten)]
        filing: FilingArgs,
        /// Evidence for every complaint: `KIND=PATH` (e.g. `screenshot=shot.png`).
        #[arg(long, value_name = "KIND=PATH")]
        evidence: Vec<String>,
        /// The listing URLs.
        #[arg(required = true, value_name = "URL")]
        urls: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Import listings from a CSV or JSON Lines file and file a complaint for each.
    #[command(
        after_help = "Examples:\n  aliprotect complaint import found.csv --right 0193a1f4-... --reason trademark-counterfeit \\\n      \
--explanation 'Counterfeit earbuds bearing our mark' --rejected rejected.csv\n\n\
CSV: a header with a URL column (`url`, `Product URL`, `link`... or --url-column), and\n\
`title`, `seller`, `price`, `image_hash` when present; or a plain list of URLs, one per\n\
line. The delimiter (, ; tab |) is found from the first line. JSON Lines: one object per\n\
line with the same fields. Rerunning an import files nothing twice: rows already filed\n\
are reported as duplicates. Exits 2 when no row could be read."
    )]
    Import {
        /// The file: .csv, .tsv, .txt (a list of URLs), or .jsonl / .ndjson.
        file: PathBuf,
        #[command(flatten)]
        filing: FilingArgs,
        /// The header of the column holding the URLs, when it has another name.
        #[arg(long, value_name = "NAME")]
        url_column: Option<String>,
        /// Where to write the rows not filed, with their line numbers and reasons (CSV).
        #[arg(long, value_name = "PATH")]
        rejected: Option<PathBuf>,
        /// The marketplace every row must belong to.
        #[arg(long, default_value = "alibaba.com")]
        marketplace: String,
    },
    /// Apply the platform's own complaint list (its dashboard exported as CSV): each row's
    /// status, exactly as the platform prints it, recorded for its complaint.
    #[command(
        name = "import-statuses",
        after_help = "Examples:\n  aliprotect complaint import-statuses platform-list.csv\n\n\
The CSV needs a status column (`Status`) and a complaint id column (`Complaint`) or a\n\
listing URL column (`Product URL`); a `Reason` column is kept verbatim for \"Unable to\n\
Process\". Applying a list twice changes nothing the second time. Rows that name no\n\
complaint, or whose status the record cannot take, are listed for a person."
    )]
    ImportStatuses {
        /// The platform's list (.csv).
        file: PathBuf,
    },
    /// Submit a draft complaint to the platform.
    #[command(after_help = "Examples:\n  aliprotect complaint submit 0193b2c5-...")]
    Submit {
        /// The complaint's id.
        id: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record what the platform or the seller did, for one complaint or many.
    #[command(
        subcommand,
        after_help = "Examples:\n  aliprotect complaint record accepted 0193b2c5-... 0193b2c6-...\n  \
aliprotect complaint record removed --ids-from removed-today.txt\n  \
aliprotect complaint record unable 0193b2c5-... --reason 'The product link provided is invalid.'\n\n\
An outcome is recorded for every id given (or read with --ids-from); each gets its own\n\
result, and the command exits 1 if any was refused."
    )]
    Record(RecordCommand),
    /// Answer a seller's counter-notice.
    #[command(
        after_help = "Examples:\n  aliprotect complaint respond 0193b2c5-... --statement 'The distributor holds no licence' \\\n      --evidence test-buy=receipt.pdf"
    )]
    Respond {
        /// The complaint's id.
        id: String,
        /// The answer.
        #[arg(long)]
        statement: String,
        /// Proof attached: `KIND=PATH`.
        #[arg(long, value_name = "KIND=PATH")]
        evidence: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Accept a seller's counter-notice (the listing stays up).
    #[command(after_help = "Examples:\n  aliprotect complaint accept-counter-notice 0193b2c5-...")]
    AcceptCounterNotice {
        /// The complaint's id.
        id: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Retract a complaint.
    #[command(
        after_help = "Examples:\n  aliprotect complaint retract 0193b2c5-... --reason 'Licensed after all'"
    )]
    Retract {
        /// The complaint's id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// File a linked complaint against a relisting of a removed listing.
    #[command(
        after_help = "Examples:\n  aliprotect complaint relisted 0193b2c5-... https://www.alibaba.com/product-detail/Buds-NEW_1600200001.html"
    )]
    Relisted {
        /// The complaint whose listing was removed.
        id: String,
        /// The new listing's URL.
        url: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// File a complaint again after "Unable to Process" (linked to the old one).
    #[command(
        after_help = "Examples:\n  aliprotect complaint refile 0193b2c5-... --explanation 'Photos 2 and 3 show our registered mark'"
    )]
    Refile {
        /// The complaint the platform could not process.
        id: String,
        /// A better explanation (else the old one).
        #[arg(long)]
        explanation: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The client's complaints, filtered.
    #[command(
        after_help = "Examples:\n  aliprotect complaint list --status in-progress\n  aliprotect complaint list --right 0193a1f4-... --format csv\n  aliprotect complaint list --limit 100 --after 0193b2c5-..."
    )]
    List {
        #[command(flatten)]
        page: PageArgs,
        /// Only those resting on this right.
        #[arg(long)]
        right: Option<String>,
        /// Only those of this campaign.
        #[arg(long)]
        campaign: Option<String>,
        /// Only those in this status (e.g. in-progress, listing-removed).
        #[arg(long)]
        status: Option<String>,
    },
    /// One complaint: listing, status, counter-notices and responses.
    #[command(after_help = "Examples:\n  aliprotect complaint show 0193b2c5-...")]
    Show {
        /// The complaint's id.
        id: String,
    },
    /// Everything that happened to a complaint, for litigation: times, actors, reasons,
    /// statements and evidence hashes; with --bundle, also every file the history names.
    #[command(
        after_help = "Examples:\n  aliprotect complaint history 0193b2c5-...\n  aliprotect complaint history 0193b2c5-... --format csv > history.csv\n  \
aliprotect complaint history 0193b2c5-... --bundle case/      # then: cd case && sha256sum -c SHA256SUMS\n  \
aliprotect complaint history 0193b2c5-... --bundle case.zip"
    )]
    History {
        /// The complaint's id.
        id: String,
        /// Export a bundle: the history (CSV and JSON), every evidence file it names, and a
        /// SHA256SUMS manifest; a directory, or a .zip file.
        #[arg(long, value_name = "DIR|FILE.zip")]
        bundle: Option<PathBuf>,
    },
}

/// What every new complaint is filed with.
#[derive(Debug, Args)]
pub(crate) struct FilingArgs {
    /// The approved (or under review: then staged) right the complaints rest on.
    #[arg(long)]
    pub(crate) right: String,
    /// Why the listing infringes; it must fit the right's kind.
    #[arg(long, value_enum)]
    pub(crate) reason: Reason,
    /// The explanation the platform requires.
    #[arg(long)]
    pub(crate) explanation: String,
    /// The campaign the complaints belong to.
    #[arg(long)]
    pub(crate) campaign: Option<String>,
    /// Keep them as drafts instead of submitting them.
    #[arg(long)]
    pub(crate) draft: bool,
}

/// Complaint reasons, by the kind of right they fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Reason {
    /// Trademark: the mark used without authorisation.
    TrademarkUnauthorisedUse,
    /// Trademark: counterfeit goods.
    TrademarkCounterfeit,
    /// Copyright: copied images.
    CopyrightCopiedImages,
    /// Copyright: copied text.
    CopyrightCopiedText,
    /// Copyright: copied design.
    CopyrightCopiedDesign,
    /// Patent: an infringing product.
    PatentInfringingProduct,
    /// Design patent: a copied design.
    PatentCopiedDesign,
}

/// The complaints one outcome is recorded for: ids, and a file of ids.
#[derive(Debug, Args)]
pub(crate) struct ManyIds {
    /// The complaints' ids.
    #[arg(value_name = "ID")]
    pub(crate) ids: Vec<String>,
    /// A file of complaint ids, one per line (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub(crate) ids_from: Option<PathBuf>,
}

/// `complaint record ...`: what the other sides did.
#[derive(Debug, Subcommand)]
pub(crate) enum RecordCommand {
    /// The platform took the complaints up ("In Progress").
    #[command(
        after_help = "Examples:\n  aliprotect complaint record accepted 0193b2c5-... 0193b2c6-...\n  aliprotect complaint record accepted --ids-from accepted.txt"
    )]
    Accepted {
        #[command(flatten)]
        ids: ManyIds,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The platform answered "Unable to Process", with its reason verbatim.
    #[command(
        after_help = "Examples:\n  aliprotect complaint record unable 0193b2c5-... --reason 'The product link provided is invalid.'"
    )]
    Unable {
        #[command(flatten)]
        ids: ManyIds,
        /// The platform's reason.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The listings are removed: the platform shows "Listing Removed", or a check-back saw
    /// them gone (with what it saw). A removal nobody saw is not recorded.
    #[command(
        after_help = "Examples:\n  aliprotect complaint record removed 0193b2c5-... 0193b2c6-...\n  aliprotect complaint record removed 0193b2c5-... --found-by-check-back screenshot=gone.png"
    )]
    Removed {
        #[command(flatten)]
        ids: ManyIds,
        /// Found gone by checking back (the platform sent no notice), with this evidence:
        /// `KIND=PATH`.
        #[arg(long, value_name = "KIND=PATH")]
        found_by_check_back: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Checked back: the listings are still up.
    #[command(after_help = "Examples:\n  aliprotect complaint record still-listed 0193b2c5-...")]
    StillListed {
        #[command(flatten)]
        ids: ManyIds,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The seller sent a counter-notice.
    #[command(
        after_help = "Examples:\n  aliprotect complaint record counter-notice 0193b2c5-... --statement 'Bought from a distributor' \\\n      --evidence screenshot=invoice.png"
    )]
    CounterNotice {
        /// The complaint's id.
        id: String,
        /// The seller's statement, verbatim.
        #[arg(long)]
        statement: String,
        /// What the seller attached: `KIND=PATH`.
        #[arg(long, value_name = "KIND=PATH")]
        evidence: Vec<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The platform restored the listings after a counter-notice.
    #[command(after_help = "Examples:\n  aliprotect complaint record restored 0193b2c5-...")]
    Restored {
        #[command(flatten)]
        ids: ManyIds,
        #[command(flatten)]
        write: WriteArgs,
    },
}

/// `campaign ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CampaignCommand {
    /// Start a campaign over some approved rights.
    #[command(
        after_help = "Examples:\n  aliprotect campaign create 'Spring sweep' --right 0193a1f4-... --auto-file-relistings"
    )]
    Create {
        /// Its name.
        name: String,
        /// A right its complaints may rest on (repeat for several).
        #[arg(long = "right", required = true)]
        rights: Vec<String>,
        /// File relistings of removed listings automatically on import.
        #[arg(long)]
        auto_file_relistings: bool,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The client's campaigns.
    #[command(
        after_help = "Examples:\n  aliprotect campaign list\n  aliprotect campaign list --format csv"
    )]
    List {
        #[command(flatten)]
        page: PageArgs,
    },
}

/// `seller ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SellerCommand {
    /// Sellers by removals, repeat infringers flagged, with their network.
    #[command(
        after_help = "Examples:\n  aliprotect seller list\n  aliprotect seller list --repeat-only --format csv\n  \
aliprotect seller list --contacts seller-contacts.csv\n\n\
A contacts file is CSV with a header: `seller` (required), `marketplace` (default\n\
alibaba.com), `email`, `phone`, `store_name`; one row per contact, as many per seller as\n\
found. Sellers sharing an email, a phone or a store name form a network."
    )]
    List {
        /// Only repeat infringers.
        #[arg(long)]
        repeat_only: bool,
        /// Sellers' contact data (CSV): sellers sharing any of it are shown as one network.
        #[arg(long, value_name = "FILE")]
        contacts: Option<PathBuf>,
        /// At most this many sellers.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        limit: usize,
    },
}

/// `due`.
#[derive(Debug, Args)]
pub(crate) struct DueArgs {
    /// Only what falls due within this many days (default: everything pending).
    #[arg(long, value_name = "DAYS")]
    pub(crate) within: Option<u32>,
    /// At most this many rows, soonest first.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    pub(crate) limit: usize,
}

/// `tick`.
#[derive(Debug, Args)]
pub(crate) struct TickArgs {
    /// Check each due listing over HTTP and record what is found.
    #[arg(long)]
    pub(crate) probe: bool,
    /// Text that, found in a listing page, means it was removed (repeat for several).
    #[arg(long, value_name = "TEXT", requires = "probe")]
    pub(crate) removed_marker: Vec<String>,
    /// Fetch listings through this base URL (a scraping gateway) instead of the
    /// marketplace: a listing is fetched as URL/HOST/PATH, with its own host and path.
    #[arg(long, value_name = "URL", requires = "probe")]
    pub(crate) probe_via: Option<String>,
    /// Seconds between two requests to one host.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 2.0,
        requires = "probe"
    )]
    pub(crate) probe_interval: f64,
}

/// `dashboard`.
#[derive(Debug, Args)]
pub(crate) struct DashboardArgs {
    /// Only this campaign's complaints.
    #[arg(long, conflicts_with = "right")]
    pub(crate) campaign: Option<String>,
    /// Only complaints resting on this right.
    #[arg(long)]
    pub(crate) right: Option<String>,
}

/// `notify`.
#[derive(Debug, Args)]
pub(crate) struct NotifyArgs {
    /// The notification backends (TOML, as in the example below): any number of
    /// `[[webhook]]` and `[[email]]` tables.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
    /// Seconds to wait between polls when nothing is pending.
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub(crate) idle: u64,
}

#[cfg(test)]
mod tests;
