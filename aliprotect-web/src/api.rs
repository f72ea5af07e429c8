//! The JSON API under `/api`, for programs holding an API token (`Authorization: Bearer`):
//! every query of the dashboard, every engine command (`POST .../commands`), filing from a
//! list, and dead letters. Its OpenAPI document is `GET /api/openapi.json`.
//!
//! Each route is scoped to a client the token's account has a role for; another client's
//! ids are "not found". Answers are the engine's own JSON forms of rights, complaints and
//! events; errors are `{"error": code, "message": text}` with a meaningful status.

use std::time::Instant;

use aliprotect_core::engine::{Command, Page, Request, TimerQuery};
use aliprotect_core::ids::{CampaignId, ComplaintId, RightId};
use aliprotect_core::listing::Listing;
use aliprotect_core::notify::MessageId;
use aliprotect_core::party::Actor;
use aliprotect_core::store::{CountBy, IdempotencyKey, StreamId};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::app::{App, AppState};
use crate::auth::{Caller, Scope};
use crate::error::WebError;
use crate::input::{ComplaintFilterAsked, FilingAsked, intake_request, parse_id};
use crate::telemetry;

/// A failure as the API answers it.
#[derive(Debug)]
pub(crate) struct ApiError(pub(crate) WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
struct ErrorBody {
    /// What kind of failure: `unauthenticated`, `forbidden`, `not_found`, `bad_request`,
    /// `refused`, `conflict`, `cross_site`, `internal`.
    error: &'static str,
    /// What went wrong, for a person.
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.0.code(),
            message: self.0.to_string(),
        };
        (self.0.status(), Json(body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// A JSON body, refused as a typed `bad_request` when it is not one.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(WebError::TooLarge.into())
            }
            Err(rejection) => Err(WebError::BadRequest(rejection.body_text()).into()),
        }
    }
}

/// Path segments, refused as a typed `bad_request` when they are not text (`%FF`).
struct Segments<T>(T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S>
    for Segments<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Segments(value)),
            Err(rejection) => Err(WebError::BadRequest(rejection.body_text()).into()),
        }
    }
}

/// A query string, refused as a typed `bad_request` when it does not fit.
struct Params<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S>
    for Params<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(Params(value)),
            Err(rejection) => Err(WebError::BadRequest(rejection.body_text()).into()),
        }
    }
}

/// The API's routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/clients/{client}/today", get(today))
        .route("/clients/{client}/rights", get(rights))
        .route("/clients/{client}/rights/{id}", get(right))
        .route("/clients/{client}/complaints", get(complaints))
        .route("/clients/{client}/complaints/{id}", get(complaint))
        .route("/clients/{client}/complaints/{id}/history", get(history))
        .route("/clients/{client}/listings", get(listing))
        .route("/clients/{client}/campaigns", get(campaigns))
        .route(
            "/clients/{client}/campaigns/{id}/metrics",
            get(campaign_metrics),
        )
        .route("/clients/{client}/commands", post(command))
        .route("/clients/{client}/intake", post(intake))
        .route("/clients/{client}/dead-letters", get(dead_letters))
        .route("/clients/{client}/dead-letters/revive", post(revive))
        .fallback(|| async { ApiError(WebError::NotFound("route".to_owned())) })
}

#[derive(OpenApi)]
#[openapi(
    info(title = "aliprotect", description = "Marketplace IP enforcement: rights, complaints, deadlines and outcomes of a firm's clients."),
    paths(today, rights, right, complaints, complaint, history, listing, campaigns, campaign_metrics, command, intake, dead_letters, revive),
    components(schemas(ErrorBody, CommandBody, ActingAs, IntakeBody, IntakeAnswer, ReviveBody, TodayAnswer, DueTimer)),
    modifiers(&BearerAuth),
    security(("token" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token issued on the account page"))
                    .build(),
            ),
        );
    }
}

/// `GET /api/openapi.json`.
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

fn scope(app: &App, caller: &Caller, client: &str) -> Result<Scope, ApiError> {
    Ok(Scope::of(app, &caller.account, client)?)
}

fn parse<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    Ok(parse_id(text, what)?)
}

fn to_json(value: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError(WebError::internal(e)))
}

/// The most items one page may ask for.
const MAX_LIMIT: usize = 1000;

/// A page of a list.
#[derive(Deserialize, IntoParams)]
struct Paging {
    /// At most this many (1 to 1000; 100 when not given).
    limit: Option<usize>,
    /// Only those after this id (the last id of the previous page).
    after: Option<String>,
}

impl Paging {
    fn limit(&self) -> usize {
        self.limit.unwrap_or(100).clamp(1, MAX_LIMIT)
    }
}

/// What is due for a client.
#[derive(Serialize, ToSchema)]
struct TodayAnswer {
    /// The soonest 100 pending deadlines, reminders, check-backs and expiries, overdue
    /// ones first.
    due: Vec<DueTimer>,
    /// How many are pending: all of them when `due_counted`, else at least this many.
    due_total: usize,
    /// Whether `due_total` counts every pending timer.
    due_counted: bool,
    /// Complaints by status.
    #[schema(value_type = Object)]
    counts: Value,
    /// The trusted-filer standing, overall and by reason.
    #[schema(value_type = Object)]
    accuracy: Value,
}

/// A timer due.
#[derive(Serialize, ToSchema)]
struct DueTimer {
    /// The stream it is about (`complaint:<id>`, `right:<id>`...).
    subject: String,
    /// What falls due.
    what: String,
    /// When.
    due: DateTime<Utc>,
}

/// Deadlines due, counts by status, and the trusted-filer standing.
#[utoipa::path(get, path = "/api/clients/{client}/today", params(("client" = String, Path, description = "The client's name")),
    responses((status = 200, body = TodayAnswer), (status = 404, body = ErrorBody)))]
async fn today(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
) -> ApiResult<TodayAnswer> {
    let scope = scope(&app, &caller, &client)?;
    let read = app.engine.read();
    let upcoming = read
        .upcoming_timers(scope.tenant, &TimerQuery::soonest(100).uncounted())
        .await?;
    let counts = read.complaint_counts(scope.tenant, CountBy::Status).await?;
    let accuracy = app.figures.accuracy(&app.engine, scope.tenant).await?;
    Ok(Json(TodayAnswer {
        due: upcoming
            .soonest
            .iter()
            .map(|timer| DueTimer {
                subject: timer.stream.to_string(),
                what: crate::pages::timer_label(timer.kind).to_owned(),
                due: timer.due,
            })
            .collect(),
        due_total: upcoming.total,
        due_counted: upcoming.counted,
        counts: to_json(
            &counts
                .iter()
                .map(|c| (c.status.to_string(), c.count))
                .collect::<std::collections::BTreeMap<_, _>>(),
        )?,
        accuracy: to_json(&accuracy.0)?,
    }))
}

/// A page of the client's rights, in id order.
#[utoipa::path(get, path = "/api/clients/{client}/rights", params(("client" = String, Path), Paging),
    responses((status = 200, body = Vec<Object>), (status = 404, body = ErrorBody)))]
async fn rights(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
    Params(paging): Params<Paging>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let mut page = Page::first(paging.limit());
    if let Some(after) = &paging.after {
        page = page.after(parse::<RightId>(after, "right id")?);
    }
    let rights = app.engine.read().rights(scope.tenant, page).await?;
    Ok(Json(to_json(&rights)?))
}

/// One right: its package, status, and every rejection with the platform's reason.
#[utoipa::path(get, path = "/api/clients/{client}/rights/{id}", params(("client" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn right(
    State(app): State<AppState>,
    caller: Caller,
    Segments((client, id)): Segments<(String, String)>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let id: RightId = parse(&id, "right id")?;
    let right = app
        .engine
        .read()
        .right(scope.tenant, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("right {id}")))?;
    Ok(Json(to_json(&right)?))
}

/// Which complaints.
#[derive(Deserialize, IntoParams)]
struct ComplaintFilter {
    /// Only in this status (`in progress`, `listing removed`...).
    status: Option<String>,
    /// Only of this campaign.
    campaign: Option<String>,
    /// Only resting on this right.
    right: Option<String>,
    /// Only against listings of this seller (its store id, as in its shop's URL).
    seller: Option<String>,
    /// At most this many (1 to 1000; 100 when not given).
    limit: Option<usize>,
    /// Only those after this complaint id.
    after: Option<String>,
}

/// A page of the client's complaints, in id order, filtered.
#[utoipa::path(get, path = "/api/clients/{client}/complaints", params(("client" = String, Path), ComplaintFilter),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn complaints(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
    Params(filter): Params<ComplaintFilter>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let query = ComplaintFilterAsked {
        status: filter.status.as_deref().unwrap_or_default(),
        campaign: filter.campaign.as_deref().unwrap_or_default(),
        right: filter.right.as_deref().unwrap_or_default(),
        seller: filter.seller.as_deref().unwrap_or_default(),
        after: filter.after.as_deref().unwrap_or_default(),
    }
    .query(filter.limit.unwrap_or(100).clamp(1, MAX_LIMIT))?;
    let page = app.engine.read().complaints(scope.tenant, &query).await?;
    Ok(Json(to_json(&page)?))
}

/// One complaint in its current state.
#[utoipa::path(get, path = "/api/clients/{client}/complaints/{id}", params(("client" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn complaint(
    State(app): State<AppState>,
    caller: Caller,
    Segments((client, id)): Segments<(String, String)>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let id: ComplaintId = parse(&id, "complaint id")?;
    let complaint = app
        .engine
        .read()
        .complaint(scope.tenant, id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("complaint {id}")))?;
    Ok(Json(to_json(&complaint)?))
}

/// Every event of a complaint, oldest first, each with its actor and time.
#[utoipa::path(get, path = "/api/clients/{client}/complaints/{id}/history", params(("client" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Vec<Object>), (status = 404, body = ErrorBody)))]
async fn history(
    State(app): State<AppState>,
    caller: Caller,
    Segments((client, id)): Segments<(String, String)>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let id: ComplaintId = parse(&id, "complaint id")?;
    let events = app
        .engine
        .read()
        .history(scope.tenant, StreamId::Complaint(id))
        .await?;
    if events.is_empty() {
        return Err(WebError::NotFound(format!("complaint {id}")).into());
    }
    Ok(Json(to_json(&events)?))
}

/// A listing to look up.
#[derive(Deserialize, IntoParams)]
struct ListingQuery {
    /// The listing's URL, as pasted.
    url: String,
}

/// The complaints against one listing (found by its normalised URL).
#[utoipa::path(get, path = "/api/clients/{client}/listings", params(("client" = String, Path), ListingQuery),
    responses((status = 200, body = Vec<Object>), (status = 400, body = ErrorBody)))]
async fn listing(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
    Params(query): Params<ListingQuery>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let listing = Listing::parse(query.url.trim())
        .map_err(|e| WebError::BadRequest(format!("not a listing URL: {e}")))?;
    let rows = app
        .engine
        .read()
        .complaints_on_listing(scope.tenant, &listing.key)
        .await?;
    Ok(Json(to_json(&rows)?))
}

/// The client's campaigns.
#[utoipa::path(get, path = "/api/clients/{client}/campaigns", params(("client" = String, Path), Paging),
    responses((status = 200, body = Vec<Object>)))]
async fn campaigns(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
    Params(paging): Params<Paging>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let mut page = Page::first(paging.limit());
    if let Some(after) = &paging.after {
        page = page.after(parse::<CampaignId>(after, "campaign id")?);
    }
    let campaigns = app.engine.read().campaigns(scope.tenant, page).await?;
    Ok(Json(to_json(&campaigns)?))
}

/// A campaign's enforcement metrics: overall, by right, seller and week.
#[utoipa::path(get, path = "/api/clients/{client}/campaigns/{id}/metrics", params(("client" = String, Path), ("id" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
async fn campaign_metrics(
    State(app): State<AppState>,
    caller: Caller,
    Segments((client, id)): Segments<(String, String)>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    let id: CampaignId = parse(&id, "campaign id")?;
    let read = app.engine.read();
    if read.campaign(scope.tenant, id).await?.is_none() {
        return Err(WebError::NotFound(format!("campaign {id}")).into());
    }
    let breakdown = app
        .figures
        .metrics(&app.engine, scope.tenant, Some(id))
        .await?;
    Ok(Json(to_json(&breakdown.0)?))
}

/// Who a command is recorded as coming from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ActingAs {
    /// The token's person (the default).
    #[default]
    Me,
    /// The platform: a decision read off its dashboard or emails, transcribed.
    Platform,
    /// The seller: a counter-notice, transcribed.
    Seller,
}

/// Any engine command, as JSON.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CommandBody {
    /// The command, in the engine's JSON form (`{"Complaint": {"id": ..., "command": ...}}`).
    #[schema(value_type = Object)]
    command: Command,
    /// Whose act it records.
    #[serde(default)]
    acting_as: ActingAs,
    /// Runs the command once only: a retry with the same key answers the first run's
    /// receipt. Scoped to the token's account.
    idempotency_key: Option<String>,
}

/// Runs one engine command for the client: its receipt (the versions of its events).
#[utoipa::path(post, path = "/api/clients/{client}/commands", params(("client" = String, Path)), request_body = CommandBody,
    responses((status = 200, body = Object, description = "The receipt"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn command(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
    Body(body): Body<CommandBody>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    scope.must_act()?;
    let actor = match body.acting_as {
        ActingAs::Me => scope.actor,
        ActingAs::Platform => Actor::Platform,
        ActingAs::Seller => Actor::Seller,
    };
    if !matches!(body.acting_as, ActingAs::Me) {
        // The event names the platform or the seller; who transcribed it is logged here.
        tracing::info!(
            account = %caller.account.id,
            email = %caller.account.email,
            client = %scope.client,
            acting_as = ?body.acting_as,
            "a command recorded on another's behalf"
        );
    }
    let mut request = Request::new(scope.tenant, actor, body.command);
    if let Some(key) = &body.idempotency_key {
        let key = IdempotencyKey::new(format!("api/{}/{key}", caller.account.id))
            .map_err(|e| WebError::BadRequest(format!("idempotency_key: {e}")))?;
        request = request.idempotent(key);
    }
    let started = Instant::now();
    let result = app.engine.execute(request).await;
    telemetry::command_ran(
        "api.command",
        if result.is_ok() { "ok" } else { "refused" },
        started,
    );
    Ok(Json(to_json(&result?)?))
}

/// Listings to file.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct IntakeBody {
    /// The right every complaint rests on.
    right: String,
    /// The reason of every complaint (`trademark counterfeit`...).
    reason: String,
    /// The explanation of every complaint.
    explanation: String,
    /// The campaign they belong to.
    campaign: Option<String>,
    /// Submit to the platform now (else drafts).
    #[serde(default)]
    submit: bool,
    /// Listing URLs, one per line, or CSV with a `url` column.
    listings: String,
}

/// What filing a list did.
#[derive(Serialize, ToSchema)]
struct IntakeAnswer {
    /// Complaints filed, by id.
    filed: Vec<String>,
    /// Lines not filed because the listing has a complaint already.
    duplicates: Vec<usize>,
    /// Lines that are not listings, and why.
    rejected: Vec<(usize, String)>,
    /// Lines the engine refused, and why.
    refused: Vec<(usize, String)>,
}

/// Files a complaint for each listing of a list.
#[utoipa::path(post, path = "/api/clients/{client}/intake", params(("client" = String, Path)), request_body = IntakeBody,
    responses((status = 200, body = IntakeAnswer), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn intake(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
    Body(body): Body<IntakeBody>,
) -> ApiResult<IntakeAnswer> {
    let scope = scope(&app, &caller, &client)?;
    scope.must_act()?;
    let asked = FilingAsked {
        right: &body.right,
        reason: &body.reason,
        explanation: &body.explanation,
        campaign: body.campaign.as_deref().unwrap_or_default(),
        submit: body.submit,
    };
    let request = intake_request(&app, &scope, &asked)?;
    let report = crate::input::intake(&app.engine, &request, &body.listings, |_| {}).await?;
    Ok(Json(IntakeAnswer {
        filed: report
            .filed
            .iter()
            .map(|f| f.complaint.to_string())
            .collect(),
        duplicates: report.duplicates.iter().map(|d| d.line).collect(),
        rejected: report
            .rejected
            .iter()
            .map(|r| (r.line, r.problem.to_string()))
            .collect(),
        refused: report
            .refused
            .iter()
            .map(|(line, error)| (*line, error.to_string()))
            .collect(),
    }))
}

/// The client's dead letters, oldest first (firm admins).
#[utoipa::path(get, path = "/api/clients/{client}/dead-letters", params(("client" = String, Path)),
    responses((status = 200, body = Vec<Object>), (status = 403, body = ErrorBody)))]
async fn dead_letters(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    scope.must_administer()?;
    let letters = app
        .engine
        .read()
        .dead_letters(scope.tenant, MAX_LIMIT)
        .await?;
    let letters: Vec<Value> = letters
        .iter()
        .map(|letter| {
            serde_json::json!({
                "message": letter.message.id,
                "notification": letter.message.notification,
                "attempts": letter.message.attempts,
                "error": letter.error,
            })
        })
        .collect();
    Ok(Json(Value::Array(letters)))
}

/// A dead letter to send again.
#[derive(Deserialize, ToSchema)]
struct ReviveBody {
    /// The message's id, as the dead-letter list gives it.
    #[schema(value_type = Object)]
    message: MessageId,
}

/// Sends a dead letter again from now, its attempts reset (firm admins).
#[utoipa::path(post, path = "/api/clients/{client}/dead-letters/revive", params(("client" = String, Path)), request_body = ReviveBody,
    responses((status = 200, body = Object), (status = 404, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn revive(
    State(app): State<AppState>,
    caller: Caller,
    Segments(client): Segments<String>,
    Body(body): Body<ReviveBody>,
) -> ApiResult<Value> {
    let scope = scope(&app, &caller, &client)?;
    scope.must_administer()?;
    if !app
        .engine
        .jobs()
        .retry_dead_letter(scope.tenant, &body.message)
        .await?
    {
        return Err(WebError::NotFound("dead letter".to_owned()).into());
    }
    Ok(Json(serde_json::json!({ "revived": true })))
}
