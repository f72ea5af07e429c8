//! `complaint ...`: its subcommands and what they take.

use std::path::PathBuf;

use aliprotect::complaint::ComplaintReason;
use aliprotect::ids::{CampaignId, ComplaintId, RightId};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};

use crate::cli::{PageArgs, WriteArgs};

/// `complaint ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ComplaintSubcommand {
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
        /// The marketplace every row must belong to, one the policy covers [default: the
        /// policy's first: alibaba.com under alibaba-ipp, amazon under dmca-style].
        #[arg(long, value_name = "NAME")]
        marketplace: Option<String>,
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
        id: ComplaintId,
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
    Record(RecordSubcommand),
    /// Answer a seller's counter-notice.
    #[command(
        after_help = "Examples:\n  aliprotect complaint respond 0193b2c5-... --statement 'The distributor holds no licence' \\\n      --evidence test-buy=receipt.pdf"
    )]
    Respond {
        /// The complaint's id.
        id: ComplaintId,
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
        id: ComplaintId,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Retract a complaint.
    #[command(
        after_help = "Examples:\n  aliprotect complaint retract 0193b2c5-... --reason 'Licensed after all'"
    )]
    Retract {
        /// The complaint's id.
        id: ComplaintId,
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
        id: ComplaintId,
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
        id: ComplaintId,
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
        right: Option<RightId>,
        /// Only those of this campaign.
        #[arg(long)]
        campaign: Option<CampaignId>,
        /// Only those in this status (e.g. in-progress, listing-removed).
        #[arg(long)]
        status: Option<String>,
        /// Only those against listings of this seller (its store id, as in its shop's URL:
        /// acme-trading for acme-trading.en.alibaba.com).
        #[arg(long, value_name = "STORE_ID")]
        seller: Option<String>,
    },
    /// One complaint: listing, status, counter-notices and responses.
    #[command(after_help = "Examples:\n  aliprotect complaint show 0193b2c5-...")]
    Show {
        /// The complaint's id.
        id: ComplaintId,
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
        id: ComplaintId,
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
    pub(crate) right: RightId,
    /// Why the listing infringes; it must fit the right's kind.
    #[arg(long, value_parser = reason())]
    pub(crate) reason: ComplaintReason,
    /// The explanation the platform requires.
    #[arg(long)]
    pub(crate) explanation: String,
    /// The campaign the complaints belong to.
    #[arg(long)]
    pub(crate) campaign: Option<CampaignId>,
    /// Keep them as drafts instead of submitting them.
    #[arg(long)]
    pub(crate) draft: bool,
}

/// Complaint reasons as clap offers them: each reason's code, with its summary.
pub(crate) fn reason() -> impl TypedValueParser<Value = ComplaintReason> {
    let codes =
        ComplaintReason::ALL.map(|reason| PossibleValue::new(reason.code()).help(reason.summary()));
    PossibleValuesParser::new(codes).try_map(|code| code.parse::<ComplaintReason>())
}

/// The complaints one outcome is recorded for: ids, and a file of ids.
#[derive(Debug, Args)]
pub(crate) struct ManyIds {
    /// The complaints' ids.
    #[arg(value_name = "ID")]
    pub(crate) ids: Vec<ComplaintId>,
    /// A file of complaint ids, one per line (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub(crate) ids_from: Option<PathBuf>,
}

/// `complaint record ...`: what the other sides did.
#[derive(Debug, Subcommand)]
pub(crate) enum RecordSubcommand {
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
        id: ComplaintId,
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
