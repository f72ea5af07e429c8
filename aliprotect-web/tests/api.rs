//! The JSON API as a program uses it: typed errors for bad input, any engine command with an
//! idempotency key, filing a list, and paging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use aliprotect_core::complaint::ComplaintStatus;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::Site;

struct Api {
    http: reqwest::Client,
    base: String,
    bearer: String,
}

impl Api {
    async fn of(site: &Site, email: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("{}/api/clients/acme", site.url),
            bearer: format!("Bearer {}", support::token_of(site, email).await),
        }
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("authorization", &self.bearer)
            .send()
            .await
            .unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }

    async fn post(&self, path: &str, body: reqwest::Body) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("authorization", &self.bearer)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        (
            response.status(),
            response.json().await.unwrap_or(Value::Null),
        )
    }
}

#[tokio::test]
async fn bad_input_gets_a_typed_error_and_changes_nothing() {
    let site = Site::start().await;
    let api = Api::of(&site, "paralegal@firm.example").await;
    for (path, why) in [
        ("/complaints?limit=many", "a limit that is not a number"),
        ("/complaints?status=vanished", "an unknown status"),
        ("/complaints?after=not-an-id", "a malformed id"),
        ("/complaints/not-an-id", "a malformed id in the path"),
        (
            "/listings?url=ftp://example.com/x",
            "a URL that is not a listing",
        ),
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {body}");
        assert_eq!(body["error"], "bad_request", "{why}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{why}"
        );
    }
    let before = site
        .engine
        .read()
        .complaint(site.acme.tenant, site.acme.counter_noticed)
        .await
        .unwrap()
        .unwrap();
    for (body, why) in [
        ("{not json", "malformed JSON"),
        (
            "{\"command\": {\"Complaint\": {\"id\": \"x\"}}}",
            "a command of no known shape",
        ),
        ("[]", "not an object"),
    ] {
        let (status, answer) = api.post("/commands", body.into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{why}: {answer}");
        assert_eq!(answer["error"], "bad_request", "{why}");
    }
    // A well-formed command the rules refuse: 422 with the rule.
    let accept =
        json!({"command": {"Complaint": {"id": site.acme.counter_noticed, "command": "Submit"}}});
    let (status, answer) = api.post("/commands", accept.to_string().into()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"], "refused");
    let after = site
        .engine
        .read()
        .complaint(site.acme.tenant, site.acme.counter_noticed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "nothing changed");
}

#[tokio::test]
async fn a_command_with_an_idempotency_key_runs_once() {
    let site = Site::start().await;
    let api = Api::of(&site, "paralegal@firm.example").await;
    let respond = json!({
        "command": {"Complaint": {"id": site.acme.counter_noticed, "command": {"Respond": {"statement": "Our registration predates the listing.", "evidence": []}}}},
        "idempotency_key": "respond-1",
    });
    let (first_status, first) = api.post("/commands", respond.to_string().into()).await;
    assert_eq!(first_status, StatusCode::OK, "{first}");
    let (again_status, again) = api.post("/commands", respond.to_string().into()).await;
    assert_eq!(again_status, StatusCode::OK, "{again}");
    assert_eq!(first, again, "the retry answers the first run's receipt");
    let (_, history) = api
        .get(&format!(
            "/complaints/{}/history",
            site.acme.counter_noticed
        ))
        .await;
    let responded = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("Responded"))
        .count();
    assert_eq!(responded, 1, "answered once");
    let complaint = site
        .engine
        .read()
        .complaint(site.acme.tenant, site.acme.counter_noticed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(complaint.status(), ComplaintStatus::Responded);
    // The platform's decision, transcribed by a person.
    let removed = json!({
        "command": {"Complaint": {"id": site.acme.in_progress, "command": {"RecordRemoval": {"cause": "PlatformReported"}}}},
        "acting_as": "platform",
    });
    let (status, answer) = api.post("/commands", removed.to_string().into()).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, complaint) = api
        .get(&format!("/complaints/{}", site.acme.in_progress))
        .await;
    assert!(complaint.to_string().contains("Removed"), "{complaint}");
}

#[tokio::test]
async fn a_list_is_filed_through_the_api_and_paged_back() {
    let site = Site::start().await;
    let api = Api::of(&site, "paralegal@firm.example").await;
    let listings: Vec<String> = (0..5)
        .map(|n| format!("https://www.alibaba.com/product-detail/Earbuds_17000000000{n}.html"))
        .collect();
    let intake = json!({
        "right": site.acme.right,
        "reason": "trademark counterfeit",
        "explanation": "Counterfeit earbuds bearing our mark",
        "submit": true,
        "listings": format!("{}\nhttps://www.alibaba.com/product-detail/Fake-Earbuds_1600000000001.html\nnonsense", listings.join("\n")),
    });
    let (status, report) = api.post("/intake", intake.to_string().into()).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["filed"].as_array().unwrap().len(), 5);
    assert_eq!(report["duplicates"], json!([6]));
    assert_eq!(report["rejected"].as_array().unwrap().len(), 1);
    // Seven complaints in all, walked three at a time.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let (status, page) = api.get(&format!("/complaints?limit=3{after}")).await;
        assert_eq!(status, StatusCode::OK);
        let page = page.as_array().unwrap().clone();
        seen.extend(
            page.iter()
                .map(|c| c["filed"]["id"].as_str().unwrap().to_owned()),
        );
        match page.last() {
            Some(last) if page.len() == 3 => {
                after = format!("&after={}", last["filed"]["id"].as_str().unwrap())
            }
            _ => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7, "each once");
    let (_, found) = api.get(&format!("/listings?url={}", listings[0])).await;
    assert_eq!(
        found.as_array().unwrap().len(),
        1,
        "the listing's complaint, found by its URL"
    );
}
