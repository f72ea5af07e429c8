//! Reading the platform's own complaint list: a CSV export of its dashboard, one row per
//! complaint, naming it by our complaint id or by its listing's URL, with the outcome exactly
//! as the platform prints it ("In Progress", "Unable to Process", "Listing Removed", or the
//! names the policy gives them).

use std::io::{BufReader, Read};

use crate::complaint::PlatformStatus;
use crate::ids::ComplaintId;
use crate::listing::Listing;
use crate::policy::StatusNames;
use crate::text::Text;

use super::rows::{Header, RowProblem, read_records};

/// What a row of the platform's list is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusTarget {
    /// Our complaint, by its id.
    Complaint(ComplaintId),
    /// The complaint against this listing (the open one, else the latest).
    Listing(Box<Listing>),
}

/// One row of the platform's complaint list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRow {
    /// The complaint it is about.
    pub target: StatusTarget,
    /// The outcome the platform shows.
    pub status: PlatformStatus,
    /// The platform's reason (for "Unable to Process"), verbatim, when the list has one.
    pub reason: Option<Text>,
}

const COMPLAINT_NAMES: &[&str] = &[
    "complaint",
    "complaintid",
    "complaintnumber",
    "complaintno",
    "id",
];
const STATUS_NAMES: &[&str] = &["status", "complaintstatus", "result", "outcome", "state"];
const REASON_NAMES: &[&str] = &[
    "reason",
    "failurereason",
    "rejectionreason",
    "remarks",
    "remark",
    "note",
    "comment",
];

/// The platform status a cell names, under the policy's names (matched ignoring case and
/// spacing, as exports vary); the names expected otherwise.
pub fn platform_status(cell: &str, names: &StatusNames) -> Result<PlatformStatus, RowProblem> {
    let simple = |s: &str| -> String {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let wanted = simple(cell);
    PlatformStatus::ALL
        .iter()
        .copied()
        .find(|status| simple(names.name(*status)) == wanted)
        .ok_or_else(|| RowProblem::UnknownStatus {
            found: cell.chars().take(64).collect(),
            expected: PlatformStatus::ALL
                .iter()
                .map(|status| names.name(*status).to_owned())
                .collect(),
        })
}

/// Reads the platform's list (CSV with a header: a complaint id or a listing URL column, a
/// status column, optionally a reason column; the delimiter found from the first line).
/// Every row is read on its own: a bad row is reported with its line and never stops the
/// rest.
pub fn read_status_rows(
    input: impl Read,
    names: &StatusNames,
) -> Vec<(usize, Result<StatusRow, RowProblem>)> {
    let records = match read_records(BufReader::new(input)) {
        Ok(records) => records,
        Err(problem) => return vec![(1, Err(problem))],
    };
    let mut records = records.into_iter();
    let Some((header_line, header)) = records.next() else {
        return Vec::new();
    };
    let header = match header {
        Ok(header) => header,
        Err(problem) => return vec![(header_line, Err(problem))],
    };
    let columns = Header::of(&header);
    let complaint = columns.find(COMPLAINT_NAMES);
    let url = columns.url();
    let (Some(status), true) = (
        columns.find(STATUS_NAMES),
        complaint.is_some() || url.is_some(),
    ) else {
        return vec![(
            header_line,
            Err(RowProblem::Malformed(format!(
                "the platform's list needs a status column and a complaint id or listing URL \
                 column; the header has: {}",
                header.join(", ")
            ))),
        )];
    };
    let reason = columns.find(REASON_NAMES);
    records
        .map(|(line, record)| {
            let row = record.and_then(|record| {
                let cell = |index: Option<usize>| {
                    index
                        .and_then(|i| record.get(i))
                        .map(|cell| cell.trim())
                        .filter(|cell| !cell.is_empty())
                };
                let target = match (cell(complaint), cell(url)) {
                    (Some(id), _) => StatusTarget::Complaint(id.parse().map_err(
                        |e: crate::ids::InvalidId| RowProblem::Malformed(e.to_string()),
                    )?),
                    (None, Some(url)) => StatusTarget::Listing(Box::new(Listing::parse(url)?)),
                    (None, None) => return Err(RowProblem::MissingUrl),
                };
                let status = platform_status(cell(Some(status)).unwrap_or_default(), names)?;
                let reason = cell(reason)
                    .map(|reason| {
                        Text::new(reason).map_err(|e| RowProblem::Malformed(e.to_string()))
                    })
                    .transpose()?;
                Ok(StatusRow {
                    target,
                    status,
                    reason,
                })
            });
            (line, row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_name_complaints_by_id_or_url_with_the_platforms_words() {
        let names = StatusNames::default();
        let id = ComplaintId::new();
        let input = format!(
            "Complaint No.;Product URL;Status;Reason\n\
             {id};;Listing Removed;\n\
             ;https://m.alibaba.com/product/77/x.html;Unable to Process;The link is invalid\n\
             ;https://www.alibaba.com/product-detail/A_1.html;in   progress;\n\
             ;https://www.alibaba.com/product-detail/A_2.html;Removed;\n\
             ;;Listing Removed;\n"
        );
        let rows = read_status_rows(input.as_bytes(), &names);
        assert_eq!(rows.len(), 5);
        let ok = |i: usize| rows[i].1.as_ref().unwrap();
        assert_eq!(ok(0).target, StatusTarget::Complaint(id));
        assert_eq!(ok(0).status, PlatformStatus::ListingRemoved);
        assert_eq!(ok(1).status, PlatformStatus::UnableToProcess);
        assert_eq!(
            ok(1).reason.as_ref().map(Text::as_str),
            Some("The link is invalid")
        );
        assert!(
            matches!(&ok(1).target, StatusTarget::Listing(l) if l.product_id.as_deref() == Some("77"))
        );
        assert_eq!(
            ok(2).status,
            PlatformStatus::InProgress,
            "spacing and case vary"
        );
        let unknown = rows[3].1.as_ref().unwrap_err().to_string();
        assert!(
            unknown.contains("Removed") && unknown.contains("Listing Removed"),
            "{unknown}"
        );
        assert_eq!(rows[4].1, Err(RowProblem::MissingUrl));
        assert_eq!((rows[0].0, rows[4].0), (2, 6), "lines");
    }

    #[test]
    fn a_policys_own_status_names_are_read() {
        let names = StatusNames {
            in_progress: "Pending".into(),
            unable_to_process: "Rejected".into(),
            listing_removed: "Removed".into(),
        };
        assert_eq!(
            platform_status("Removed", &names),
            Ok(PlatformStatus::ListingRemoved)
        );
        assert!(platform_status("Listing Removed", &names).is_err());
    }

    #[test]
    fn a_list_without_a_status_column_is_one_problem() {
        let rows = read_status_rows(
            "url\nhttps://www.alibaba.com/product-detail/A_1.html\n".as_bytes(),
            &StatusNames::default(),
        );
        assert_eq!(rows.len(), 1);
        assert!(
            rows[0]
                .1
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains("status column")
        );
    }
}
