//! The server's promises about who sees and changes what, checked over HTTP against a real
//! server on 127.0.0.1: another client's ids are refused on every route for every role,
//! viewers only read, cross-site writes are refused, sessions end on sign-out and on a
//! password change, revoked tokens are refused, sign-in attempts are limited.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use aliprotect_core::complaint::ComplaintStatus;
use aliprotect_core::store::StreamId;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use support::{PASSWORD, PEOPLE, Site, browser, csrf, page, sign_in, token_of};

async fn status_of(
    site: &Site,
    tenant: aliprotect_core::ids::TenantId,
    id: aliprotect_core::ids::ComplaintId,
) -> (ComplaintStatus, usize) {
    let read = site.engine.read();
    let complaint = read
        .complaint(tenant, id)
        .await
        .expect("read")
        .expect("exists");
    let events = read
        .history(tenant, StreamId::Complaint(id))
        .await
        .expect("history")
        .len();
    (complaint.status(), events)
}

#[tokio::test]
async fn every_route_refuses_another_clients_ids_for_every_role() {
    let site = Site::start().await;
    site.kill_notifications().await;
    let globex = site.globex;
    let globex_dead = site
        .engine
        .read()
        .dead_letters(globex.tenant, 10)
        .await
        .expect("dead letters");
    assert!(
        !globex_dead.is_empty(),
        "the test needs a dead letter of globex"
    );
    let globex_message = serde_json::to_string(&globex_dead[0].message.id).expect("json");
    let before = status_of(&site, globex.tenant, globex.counter_noticed).await;
    for (email, client, _) in PEOPLE.iter().filter(|(_, client, _)| *client == "acme") {
        let browser = sign_in(&site, email).await;
        let (_, today) = page(&browser, format!("{}/c/{client}", site.url)).await;
        let token = csrf(&today);
        let base = format!("{}/c/{client}", site.url);
        for path in [
            format!("{base}/complaints/{}", globex.counter_noticed),
            format!("{base}/rights/{}", globex.right),
            format!("{base}/campaigns/{}/report", globex.campaign),
            format!("{}/c/globex", site.url),
            format!("{}/c/globex/complaints", site.url),
            format!(
                "{}/c/globex/complaints/{}",
                site.url, globex.counter_noticed
            ),
            format!("{}/c/globex/rights/{}", site.url, globex.right),
            format!("{}/c/globex/campaigns", site.url),
            format!("{}/c/globex/notifications", site.url),
        ] {
            let (status, body) = page(&browser, path.clone()).await;
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                "{email}: GET {path} answered {status}"
            );
            for data in [
                "Fake-Earbuds_1600000000101",
                "globex spring sweep",
                "We own this design",
            ] {
                assert!(
                    !body.contains(data),
                    "{email}: {path} shows globex's {data}"
                );
            }
        }
        let (_, list) = page(&browser, format!("{base}/complaints")).await;
        assert!(
            !list.contains(&globex.in_progress.to_string()) && !list.contains("globex"),
            "{email}: acme's list shows globex's data"
        );
        for (path, form) in [
            (
                format!("{base}/complaints/{}/respond", globex.counter_noticed),
                vec![("statement", "Ours")],
            ),
            (
                format!(
                    "{}/c/globex/complaints/{}/respond",
                    site.url, globex.counter_noticed
                ),
                vec![("statement", "Ours")],
            ),
            (
                format!("{base}/notifications/revive"),
                vec![("message", globex_message.as_str())],
            ),
            (
                format!("{}/c/globex/notifications/revive", site.url),
                vec![("message", globex_message.as_str())],
            ),
        ] {
            let mut fields = form.clone();
            fields.push(("csrf", token.as_str()));
            let response = browser
                .post(&path)
                .form(&fields)
                .send()
                .await
                .expect("post");
            assert!(
                matches!(
                    response.status(),
                    StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
                ),
                "{email}: POST {path} answered {}",
                response.status()
            );
        }
        // And through the API, with the person's token.
        let api = reqwest::Client::new();
        let bearer = format!("Bearer {}", token_of(&site, email).await);
        for path in [
            format!(
                "/api/clients/{client}/complaints/{}",
                globex.counter_noticed
            ),
            format!(
                "/api/clients/{client}/complaints/{}/history",
                globex.counter_noticed
            ),
            format!("/api/clients/{client}/rights/{}", globex.right),
            format!(
                "/api/clients/{client}/campaigns/{}/metrics",
                globex.campaign
            ),
            "/api/clients/globex/complaints".to_owned(),
            "/api/clients/globex/today".to_owned(),
            "/api/clients/globex/dead-letters".to_owned(),
        ] {
            let response = api
                .get(format!("{}{path}", site.url))
                .header("authorization", &bearer)
                .send()
                .await
                .expect("api");
            assert!(
                matches!(
                    response.status(),
                    StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
                ),
                "{email}: GET {path} answered {}",
                response.status()
            );
        }
        let respond = serde_json::json!({"command": {"Complaint": {"id": globex.counter_noticed, "command": {"Respond": {"statement": "Ours", "evidence": []}}}}});
        for client_in_path in [*client, "globex"] {
            let response = api
                .post(format!(
                    "{}/api/clients/{client_in_path}/commands",
                    site.url
                ))
                .header("authorization", &bearer)
                .json(&respond)
                .send()
                .await
                .expect("api");
            assert!(
                matches!(
                    response.status(),
                    StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
                ),
                "{email}: a command on globex's complaint through {client_in_path} answered {}",
                response.status()
            );
        }
        let revive = serde_json::json!({"message": globex_dead[0].message.id});
        let response = api
            .post(format!(
                "{}/api/clients/{client}/dead-letters/revive",
                site.url
            ))
            .header("authorization", &bearer)
            .json(&revive)
            .send()
            .await
            .expect("api");
        assert!(
            matches!(
                response.status(),
                StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
            ),
            "{email}: revive answered {}",
            response.status()
        );
    }
    assert_eq!(
        status_of(&site, globex.tenant, globex.counter_noticed).await,
        before,
        "globex's complaint is untouched"
    );
    assert_eq!(
        site.engine
            .read()
            .dead_letters(globex.tenant, 10)
            .await
            .expect("dead")
            .len(),
        globex_dead.len(),
        "globex's dead letters are untouched"
    );
}

#[tokio::test]
async fn a_client_viewer_reads_but_cannot_act() {
    let site = Site::start().await;
    let viewer = sign_in(&site, "viewer@acme.example").await;
    let base = format!("{}/c/acme", site.url);
    for path in ["", "/rights", "/complaints", "/campaigns"] {
        let (status, _) = page(&viewer, format!("{base}{path}")).await;
        assert_eq!(status, StatusCode::OK, "a viewer reads {path}");
    }
    let (status, html) = page(
        &viewer,
        format!("{base}/complaints/{}", site.acme.counter_noticed),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("id=\"respond\""),
        "no answer form for a viewer"
    );
    let token = csrf(&html);
    let before = status_of(&site, site.acme.tenant, site.acme.counter_noticed).await;
    let response = viewer
        .post(format!(
            "{base}/complaints/{}/respond",
            site.acme.counter_noticed
        ))
        .form(&[("csrf", token.as_str()), ("statement", "We own it")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        status_of(&site, site.acme.tenant, site.acme.counter_noticed).await,
        before
    );
    for path in ["/file", "/notifications"] {
        let (status, _) = page(&viewer, format!("{base}{path}")).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a viewer may not open {path}"
        );
    }
    let bearer = format!("Bearer {}", token_of(&site, "viewer@acme.example").await);
    let api = reqwest::Client::new();
    let response = api
        .get(format!("{}/api/clients/acme/complaints", site.url))
        .header("authorization", &bearer)
        .send()
        .await
        .expect("api");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a viewer reads through the API"
    );
    let respond = serde_json::json!({"command": {"Complaint": {"id": site.acme.counter_noticed, "command": {"Respond": {"statement": "Ours", "evidence": []}}}}});
    let response = api
        .post(format!("{}/api/clients/acme/commands", site.url))
        .header("authorization", &bearer)
        .json(&respond)
        .send()
        .await
        .expect("api");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        status_of(&site, site.acme.tenant, site.acme.counter_noticed).await,
        before
    );
}

#[tokio::test]
async fn a_cross_site_post_is_refused() {
    let site = Site::start().await;
    let paralegal = sign_in(&site, "paralegal@firm.example").await;
    let path = format!(
        "{}/c/acme/complaints/{}",
        site.url, site.acme.counter_noticed
    );
    let (_, html) = page(&paralegal, path.clone()).await;
    let token = csrf(&html);
    let before = status_of(&site, site.acme.tenant, site.acme.counter_noticed).await;
    let respond = format!("{path}/respond");
    let attempts = [
        paralegal
            .post(&respond)
            .header("sec-fetch-site", "cross-site")
            .form(&[("csrf", token.as_str()), ("statement", "x")]),
        paralegal
            .post(&respond)
            .header("sec-fetch-site", "same-site")
            .form(&[("csrf", token.as_str()), ("statement", "x")]),
        paralegal
            .post(&respond)
            .header("origin", "https://evil.example")
            .form(&[("csrf", token.as_str()), ("statement", "x")]),
        paralegal
            .post(&respond)
            .header("origin", "null")
            .form(&[("csrf", token.as_str()), ("statement", "x")]),
        // Same origin, but without the session's form token (a form on a page of ours that
        // someone else wrote, or a token of another session).
        paralegal
            .post(&respond)
            .form(&[("csrf", "0000"), ("statement", "x")]),
    ];
    for attempt in attempts {
        let response = attempt.send().await.expect("post");
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(
        status_of(&site, site.acme.tenant, site.acme.counter_noticed).await,
        before,
        "nothing was recorded"
    );
    let response = browser()
        .post(format!("{}/login", site.url))
        .header("origin", "https://evil.example")
        .form(&[("email", "paralegal@firm.example"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "no sign-in from another site (login CSRF)"
    );
    // The same answer from our own page is taken.
    let response = paralegal
        .post(&respond)
        .header("sec-fetch-site", "same-origin")
        .header("origin", site.url.as_str())
        .form(&[
            ("csrf", token.as_str()),
            ("statement", "We registered the mark in 2019"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        status_of(&site, site.acme.tenant, site.acme.counter_noticed)
            .await
            .0,
        ComplaintStatus::Responded
    );
}

/// The session cookie a client holds, as a `Cookie` header.
async fn session_cookie(site: &Site, email: &str) -> String {
    let response = browser()
        .post(format!("{}/login", site.url))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("sign in");
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .expect("ascii");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    cookie.split(';').next().expect("name=value").to_owned()
}

async fn signed_in_with(site: &Site, cookie: &str) -> bool {
    let response = browser()
        .get(format!("{}/account", site.url))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("get");
    response.status() == StatusCode::OK
}

#[tokio::test]
async fn sessions_end_on_sign_out_and_on_a_password_change() {
    let site = Site::start().await;
    let email = "paralegal@firm.example";
    let first = session_cookie(&site, email).await;
    let second = session_cookie(&site, email).await;
    assert!(signed_in_with(&site, &first).await && signed_in_with(&site, &second).await);

    // Signing out ends that session, even for a copy of its cookie kept elsewhere.
    let (_, html) = page(&browser(), format!("{}/login", site.url)).await;
    assert!(html.contains("Sign in"));
    let account = browser()
        .get(format!("{}/account", site.url))
        .header(COOKIE, &first)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let response = browser()
        .post(format!("{}/logout", site.url))
        .header(COOKIE, &first)
        .form(&[("csrf", csrf(&account).as_str())])
        .send()
        .await
        .expect("sign out");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        !signed_in_with(&site, &first).await,
        "the session ended with sign-out"
    );
    assert!(
        signed_in_with(&site, &second).await,
        "another session goes on"
    );

    // A password change ends every session of the account.
    let third = session_cookie(&site, email).await;
    let account = browser()
        .get(format!("{}/account", site.url))
        .header(COOKIE, &third)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    let new_password = "an entirely new passphrase";
    let response = browser()
        .post(format!("{}/account/password", site.url))
        .header(COOKIE, &third)
        .form(&[
            ("csrf", csrf(&account).as_str()),
            ("current", PASSWORD),
            ("new", new_password),
            ("repeat", new_password),
        ])
        .send()
        .await
        .expect("change");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        !signed_in_with(&site, &second).await,
        "the other session ended"
    );
    assert!(
        !signed_in_with(&site, &third).await,
        "this session ended too"
    );
    let response = browser()
        .post(format!("{}/login", site.url))
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
    let response = browser()
        .post(format!("{}/login", site.url))
        .form(&[("email", email), ("password", new_password)])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the new one does");
}

/// Signs the paralegal in, asking to go to `next` then: where the answer leads.
async fn signed_in_to(client: &reqwest::Client, site: &Site, next: &str) -> String {
    let response = client
        .post(format!("{}/login", site.url))
        .form(&[
            ("email", "paralegal@firm.example"),
            ("password", PASSWORD),
            ("next", next),
        ])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed in");
    response.headers()[LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned()
}

#[tokio::test]
async fn a_link_followed_after_the_session_ended_leads_back_after_signing_in() {
    let site = Site::start().await;
    let wanted = "/c/acme/complaints?status=filed";
    let client = browser();
    let response = client
        .get(format!("{}{wanted}", site.url))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(
        location,
        "/login?next=%2Fc%2Facme%2Fcomplaints%3Fstatus%3Dfiled"
    );
    let (_, form) = page(&client, format!("{}{location}", site.url)).await;
    assert!(
        form.contains(r#"value="/c/acme/complaints?status=filed""#),
        "the form carries the page asked for: {form}"
    );
    assert_eq!(signed_in_to(&client, &site, wanted).await, wanted);

    // Only this site's pages: a path naming another host leads to the start page.
    assert_eq!(
        signed_in_to(&client, &site, "//evil.example/phish").await,
        "/"
    );
    // The start page itself leads to sign in as it did.
    let response = browser().get(&site.url).send().await.expect("get");
    assert_eq!(response.headers()[LOCATION], "/login");
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let site = Site::start().await;
    let email = "admin@firm.example";
    let token = token_of(&site, email).await;
    let api = reqwest::Client::new();
    let get = || {
        api.get(format!("{}/api/clients/acme/rights", site.url))
            .header("authorization", format!("Bearer {token}"))
    };
    assert_eq!(get().send().await.expect("api").status(), StatusCode::OK);
    // The secret's last digit changed (to another digit, whatever it was).
    let last = if token.ends_with('0') { '1' } else { '0' };
    let tampered = format!("{}{last}", &token[..token.len() - 1]);
    let response = api
        .get(format!("{}/api/clients/acme/rights", site.url))
        .header("authorization", format!("Bearer {tampered}"))
        .send()
        .await
        .expect("api");
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "a tampered token is refused"
    );
    let browser = sign_in(&site, email).await;
    let (_, account) = page(&browser, format!("{}/account", site.url)).await;
    let id = token
        .strip_prefix("alp_")
        .and_then(|rest| rest.split('_').next())
        .expect("token id");
    let id = uuid::Uuid::try_parse(id).expect("uuid").to_string();
    let response = browser
        .post(format!("{}/account/tokens/revoke", site.url))
        .form(&[("csrf", csrf(&account).as_str()), ("id", id.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = get().send().await.expect("api");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = response.json().await.expect("json error");
    assert_eq!(body["error"], "unauthenticated");
}

#[tokio::test]
async fn sign_in_attempts_are_limited_and_say_nothing_of_who_has_an_account() {
    let site = Site::start().await;
    let attempt = |email: &'static str, password: &'static str| {
        browser()
            .post(format!("{}/login", site.url))
            .form(&[("email", email), ("password", password)])
            .send()
    };
    let wrong = attempt("admin@firm.example", "not the password")
        .await
        .expect("login");
    let unknown = attempt("nobody@firm.example", "not the password")
        .await
        .expect("login");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let (wrong, unknown) = (
        wrong.text().await.expect("body"),
        unknown.text().await.expect("body"),
    );
    assert!(wrong.contains("wrong email address or password"));
    assert!(unknown.contains("wrong email address or password"));
    for _ in 0..4 {
        attempt("admin@firm.example", "still not it")
            .await
            .expect("login");
    }
    let response = attempt("admin@firm.example", PASSWORD)
        .await
        .expect("login");
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let other = attempt("paralegal@firm.example", PASSWORD)
        .await
        .expect("login");
    assert_eq!(
        other.status(),
        StatusCode::SEE_OTHER,
        "other people are not locked out"
    );
}

#[tokio::test]
async fn health_metrics_and_the_openapi_document() {
    let site = Site::start().await;
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/healthz", site.url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    sign_in(&site, "admin@firm.example").await;
    let metrics = client
        .get(format!("{}/metrics", site.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    assert!(
        metrics.contains("aliprotect_http_requests_total"),
        "{metrics}"
    );
    assert!(metrics.contains("aliprotect_timers_due"), "{metrics}");
    // The gauges are the process's: no other test of this binary reads /metrics.
    let mut waiting = 0;
    for tenant in [site.acme.tenant, site.globex.tenant] {
        waiting += site
            .engine
            .read()
            .pending_notifications(tenant, 10_000)
            .await
            .expect("read")
            .expect("the memory store lists them")
            .len();
    }
    assert!(
        waiting > 0,
        "the site's commands left notifications to send"
    );
    assert!(
        metrics.contains(&format!("aliprotect_outbox_pending {waiting}\n")),
        "{waiting} waiting: {metrics}"
    );
    assert!(
        !metrics.contains("acme"),
        "no client names on an unauthenticated page"
    );
    let document: serde_json::Value = client
        .get(format!("{}/api/openapi.json", site.url))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    for path in [
        "/api/clients/{client}/commands",
        "/api/clients/{client}/complaints",
        "/api/clients/{client}/dead-letters/revive",
    ] {
        assert!(document["paths"][path].is_object(), "{path} is documented");
    }
    let response = client
        .get(format!("{}/api/clients/acme/rights", site.url))
        .send()
        .await
        .expect("api");
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "the API wants a token"
    );
}

#[tokio::test]
async fn a_password_change_ends_the_accounts_tokens_too() {
    let site = Site::start().await;
    let email = "paralegal@firm.example";
    let token = token_of(&site, email).await;
    let api = reqwest::Client::new();
    let get = || {
        api.get(format!("{}/api/clients/acme/rights", site.url))
            .header("authorization", format!("bearer {token}"))
    };
    assert_eq!(
        get().send().await.unwrap().status(),
        StatusCode::OK,
        "the scheme in any case"
    );
    let browser = sign_in(&site, email).await;
    let (_, account) = page(&browser, format!("{}/account", site.url)).await;
    let new_password = "an entirely new passphrase";
    let response = browser
        .post(format!("{}/account/password", site.url))
        .form(&[
            ("csrf", csrf(&account).as_str()),
            ("current", PASSWORD),
            ("new", new_password),
            ("repeat", new_password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = get().send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "issued before the change"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["message"], "missing or invalid API token");
}
