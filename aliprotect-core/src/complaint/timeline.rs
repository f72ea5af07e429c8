//! A complaint's events as people read them: what happened, the reason and statement
//! verbatim, and the evidence by kind and SHA-256. The command line's history and the web
//! dashboard's timeline show the same words.

use super::{ComplaintChange, RemovalCause};
use crate::evidence::Evidence;

/// One event of a complaint, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimelineEntry {
    /// What happened, in a few words ("filed", "counter-notice received").
    pub change: String,
    /// The reason given, verbatim (the platform's, or the holder's), if any.
    pub reason: Option<String>,
    /// The statement made, verbatim (a counter-notice, a response), if any.
    pub statement: Option<String>,
    /// The evidence the event carries.
    pub evidence: Vec<Evidence>,
}

impl TimelineEntry {
    /// How `change` reads.
    ///
    /// ```
    /// use aliprotect_core::complaint::{ComplaintChange, TimelineEntry};
    ///
    /// assert_eq!(TimelineEntry::of(&ComplaintChange::Submitted).change, "submitted");
    /// ```
    pub fn of(change: &ComplaintChange) -> Self {
        let (change, reason, statement, evidence) = describe(change);
        Self {
            change,
            reason,
            statement,
            evidence,
        }
    }
}

/// An event's name, reason, statement and evidence.
fn describe(change: &ComplaintChange) -> (String, Option<String>, Option<String>, Vec<Evidence>) {
    let none = |name: &str| (name.to_owned(), None, None, Vec::new());
    match change {
        ComplaintChange::Filed { filing, staged, .. } => (
            if *staged { "filed (staged)" } else { "filed" }.to_owned(),
            Some(filing.reason.to_string()),
            Some(format!(
                "{} | {}",
                filing.listing.url,
                filing.explanation.as_str()
            )),
            filing.evidence.clone(),
        ),
        ComplaintChange::Submitted => none("submitted"),
        ComplaintChange::Accepted { seller_answer_due } => (
            "accepted".to_owned(),
            None,
            seller_answer_due.map(|due| format!("seller answer due {due}")),
            Vec::new(),
        ),
        ComplaintChange::UnableToProcess { reason } => (
            "unable to process".to_owned(),
            Some(reason.as_str().to_owned()),
            None,
            Vec::new(),
        ),
        ComplaintChange::ListingRemoved { cause } => (
            "listing removed".to_owned(),
            Some(cause.to_string()),
            None,
            match cause {
                RemovalCause::FoundByCheckBack { evidence } => evidence.iter().cloned().collect(),
                _ => Vec::new(),
            },
        ),
        ComplaintChange::CounterNoticeReceived { notice, .. } => (
            "counter-notice received".to_owned(),
            None,
            Some(notice.statement.as_str().to_owned()),
            notice.evidence.clone(),
        ),
        ComplaintChange::Responded { response } => (
            "responded".to_owned(),
            None,
            Some(response.statement.as_str().to_owned()),
            response.evidence.clone(),
        ),
        ComplaintChange::ListingRestored { cause } => (
            "listing restored".to_owned(),
            Some(cause.to_string()),
            None,
            Vec::new(),
        ),
        ComplaintChange::CheckBackDue { number } => none(&format!("check-back {number} due")),
        ComplaintChange::StillListed { checks, escalate } => none(&format!(
            "still listed after {checks} check(s){}",
            if *escalate { ", escalated" } else { "" }
        )),
        ComplaintChange::ResponseDeadlineReminded { due } => {
            none(&format!("reminded of the response deadline {due}"))
        }
        ComplaintChange::Retracted { reason } => (
            "retracted".to_owned(),
            reason.as_ref().map(|r| r.as_str().to_owned()),
            None,
            Vec::new(),
        ),
        ComplaintChange::Relisted { successor } => none(&format!("relisted (see {successor})")),
        ComplaintChange::RemovalExpected => (
            "removal expected".to_owned(),
            Some("the seller's answer window passed in silence; not yet seen".to_owned()),
            None,
            Vec::new(),
        ),
        ComplaintChange::ReturnWatched { number } => {
            none(&format!("watch {number} for the listing's return due"))
        }
        ComplaintChange::Reappeared => none("removed listing seen up again"),
        ComplaintChange::RightLapsed { right } => (
            "right lapsed".to_owned(),
            Some(format!(
                "right {right} expired while the complaint was open"
            )),
            None,
            Vec::new(),
        ),
        ComplaintChange::Refiled { successor } => none(&format!("refiled as {successor}")),
    }
}
