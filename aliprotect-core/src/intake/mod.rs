//! Bulk intake: complaints filed from a list of listings (pasted URLs, an export of keyword
//! search results) in CSV or JSON Lines.
//!
//! Each row is read, validated and normalised on its own: a bad row is reported with its line
//! number and why, and never stops the import; a listing that appears twice, or that already
//! has an open complaint under the same right, is reported as a duplicate and not filed again.
//! What is left is split into filings of at most the policy's listings per filing and filed
//! through [`crate::engine::Engine::intake`].

mod rows;
mod statuses;

pub use rows::{CsvOptions, IntakeFormat, IntakeRow, RowProblem, read_rows, read_rows_with};
pub use statuses::{StatusRow, StatusTarget, platform_status, read_status_rows};

use serde::{Deserialize, Serialize};

use crate::complaint::ComplaintReason;
use crate::ids::{CampaignId, ComplaintId, FilingId, RightId, TenantId};
use crate::listing::{Listing, ListingDetails, ListingKey};
use crate::marketplace::Marketplace;
use crate::party::Actor;
use crate::text::Text;

/// What to file the imported listings as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeRequest {
    /// The tenant.
    pub tenant: TenantId,
    /// Who files.
    pub actor: Actor,
    /// The marketplace every row must belong to.
    pub marketplace: Marketplace,
    /// The right the complaints rest on.
    pub right: RightId,
    /// The reason of every complaint.
    pub reason: ComplaintReason,
    /// The explanation of every complaint.
    pub explanation: Text,
    /// The campaign they belong to, if any: it must exist and include `right`; its
    /// `auto_file_relistings` decides whether relistings are filed or held.
    pub campaign: Option<CampaignId>,
    /// Whether to submit the complaints to the platform right away (else they stay drafts,
    /// or staged while the right is under review).
    pub submit: bool,
}

/// A listing confirmed for filing, with the id its complaint is to have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingToFile {
    /// The complaint's id: derived from what was confirmed, so that confirming twice files
    /// one complaint.
    pub complaint: ComplaintId,
    /// The listing.
    pub listing: Listing,
    /// What the listing showed.
    pub details: ListingDetails,
}

/// A row filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filed {
    /// The row's line in the input (1 = first line, the header of a CSV).
    pub line: usize,
    /// The complaint created.
    pub complaint: ComplaintId,
    /// The filing it is part of.
    pub filing: FilingId,
    /// The listing's key.
    pub listing: ListingKey,
}

/// What a duplicate row repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuplicateOf {
    /// An earlier row of the same input, at this line.
    Row(usize),
    /// A complaint already open against the listing under the same right.
    OpenComplaint(ComplaintId),
}

/// A row not filed because its listing is already covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The row's line.
    pub line: usize,
    /// The listing's key.
    pub listing: ListingKey,
    /// What it repeats.
    pub of: DuplicateOf,
}

/// A row that could not be read or normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The row's line.
    pub line: usize,
    /// Why.
    pub problem: RowProblem,
}

/// How far an intake has come; given to the progress callback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct IntakeProgress {
    /// Rows read so far.
    pub rows: usize,
    /// Rows filed so far.
    pub filed: usize,
    /// Duplicates so far.
    pub duplicates: usize,
    /// Rejected or refused rows so far.
    pub failed: usize,
    /// Rows to file in all (known once reading is done).
    pub to_file: usize,
}
