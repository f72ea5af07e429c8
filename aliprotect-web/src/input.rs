//! What a form or an API body says, checked into what the engine takes: the same rules and
//! the same messages for a person and for a program.

use std::time::Instant;

use aliprotect_core::complaint::{ComplaintReason, ComplaintStatus};
use aliprotect_core::engine::{ComplaintQuery, IntakeReport};
use aliprotect_core::ids::{CampaignId, ComplaintId, RightId};
use aliprotect_core::intake::{IntakeFormat, IntakeProgress, IntakeRequest};
use aliprotect_core::text::Text;

use crate::app::{App, WebEngine};
use crate::auth::Scope;
use crate::error::WebError;
use crate::telemetry;

/// `text` as an id (or any value read from text), or a bad request naming `what`.
pub(crate) fn parse_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, WebError> {
    text.trim()
        .parse()
        .map_err(|_| WebError::BadRequest(format!("not a {what}: {text:?}")))
}

/// A complaint list's filters as a query string gives them; a blank one filters nothing.
pub(crate) struct ComplaintFilterAsked<'a> {
    pub(crate) status: &'a str,
    pub(crate) campaign: &'a str,
    pub(crate) right: &'a str,
    /// A seller's store id, as in its shop's URL.
    pub(crate) seller: &'a str,
    /// The last complaint of the page before.
    pub(crate) after: &'a str,
}

impl ComplaintFilterAsked<'_> {
    /// The engine's query for at most `limit` of them, or which filter is not one.
    pub(crate) fn query(&self, limit: usize) -> Result<ComplaintQuery, WebError> {
        let mut query = ComplaintQuery::first(limit);
        if let Some(status) = given(self.status) {
            query = query.in_status(parse_id::<ComplaintStatus>(status, "status")?);
        }
        if let Some(campaign) = given(self.campaign) {
            query = query.of_campaign(parse_id::<CampaignId>(campaign, "campaign id")?);
        }
        if let Some(right) = given(self.right) {
            query = query.of_right(parse_id::<RightId>(right, "right id")?);
        }
        if let Some(seller) = given(self.seller) {
            query = query.of_seller(seller);
        }
        if let Some(after) = given(self.after) {
            query = query.after(parse_id::<ComplaintId>(after, "complaint id")?);
        }
        Ok(query)
    }
}

/// `text` trimmed, unless blank.
fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|text| !text.is_empty())
}

/// A filing as a form or an API body gives it, before it is checked.
pub(crate) struct FilingAsked<'a> {
    pub(crate) right: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) explanation: &'a str,
    /// Blank: none.
    pub(crate) campaign: &'a str,
    pub(crate) submit: bool,
}

/// The intake `asked` means for the scope's client, under the policy's first marketplace.
pub(crate) fn intake_request(
    app: &App,
    scope: &Scope,
    asked: &FilingAsked<'_>,
) -> Result<IntakeRequest, WebError> {
    let right: RightId = parse_id(asked.right, "right id")?;
    let reason: ComplaintReason = parse_id(asked.reason, "reason")?;
    let explanation = Text::new(asked.explanation)
        .map_err(|e| WebError::BadRequest(format!("explanation: {e}")))?;
    let campaign = given(asked.campaign)
        .map(|id| parse_id::<CampaignId>(id, "campaign id"))
        .transpose()?;
    let marketplace = app
        .engine
        .read()
        .policy()
        .marketplaces
        .first()
        .copied()
        .ok_or_else(|| WebError::Refused("the policy covers no marketplace".to_owned()))?;
    Ok(IntakeRequest {
        tenant: scope.tenant,
        actor: scope.actor,
        marketplace,
        right,
        reason,
        explanation,
        campaign,
        submit: asked.submit,
    })
}

/// Files `listings` (URLs one per line, or CSV) as `request` says, counted in the metrics.
pub(crate) async fn intake(
    engine: &WebEngine,
    request: &IntakeRequest,
    listings: &str,
    progress: impl FnMut(IntakeProgress),
) -> Result<IntakeReport, WebError> {
    let started = Instant::now();
    let report = engine
        .intake(request, IntakeFormat::Csv, listings.as_bytes(), progress)
        .await;
    let outcome = if report.is_ok() { "ok" } else { "refused" };
    telemetry::command_ran("intake", outcome, started);
    Ok(report?)
}
