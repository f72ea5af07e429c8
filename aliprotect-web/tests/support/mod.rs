//! A running server on 127.0.0.1 over a memory store, with two clients' data (`acme` and
//! `globex`) and a person of every role: what the security and browser tests use.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use aliprotect_core::campaign::{Campaign, CampaignCommand};
use aliprotect_core::clock::{Clock, ManualClock};
use aliprotect_core::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason};
use aliprotect_core::engine::{Command, Engine, Request};
use aliprotect_core::ids::{CampaignId, ComplaintId, RightId, TenantId, UserId};
use aliprotect_core::listing::{Listing, ListingDetails};
use aliprotect_core::notify::{MessageId, Notification, Notifier, NotifyError};
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::right::RightCommand;
use aliprotect_core::store::Store;
use aliprotect_core::testkit::fixtures;
use aliprotect_core::text::Text;
use aliprotect_web::{Role, Web, WebConfig, WebEngine};
use chrono::Duration;
use reqwest::StatusCode;

/// Every test account's password.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// What a seller name, a listing title and a platform reason hold in the tests: it must be
/// shown as text and never run.
pub(crate) const SCRIPT: &str =
    "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";

/// One client's data.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientData {
    pub(crate) tenant: TenantId,
    /// Approved.
    pub(crate) right: RightId,
    /// Rejected once, the platform's reason holding [`SCRIPT`].
    pub(crate) rejected_right: RightId,
    /// Counter-noticed: waiting for the holder's answer.
    pub(crate) counter_noticed: ComplaintId,
    /// In progress; its seller and title hold [`SCRIPT`].
    pub(crate) in_progress: ComplaintId,
    pub(crate) campaign: CampaignId,
}

/// A server and its data.
pub(crate) struct Site {
    pub(crate) url: String,
    pub(crate) engine: WebEngine,
    pub(crate) clock: ManualClock,
    pub(crate) acme: ClientData,
    pub(crate) globex: ClientData,
    notifier: Arc<Switch>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A notifier that fails for good while switched off: dead letters on demand.
#[derive(Default)]
struct Switch {
    refuse: AtomicBool,
}

#[aliprotect_core::async_trait]
impl Notifier for Switch {
    async fn send(&self, _: &MessageId, _: &Notification) -> Result<(), NotifyError> {
        if self.refuse.load(Ordering::SeqCst) {
            Err(NotifyError::Permanent {
                reason: "410 Gone: the receiver was removed".to_owned(),
            })
        } else {
            Ok(())
        }
    }
}

pub(crate) fn tenant_of(client: &str) -> TenantId {
    TenantId::from_uuid(uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_OID,
        client.as_bytes(),
    ))
}

/// The people: `(email, client, role)`.
pub(crate) const PEOPLE: [(&str, &str, Role); 4] = [
    ("admin@firm.example", "acme", Role::FirmAdmin),
    ("paralegal@firm.example", "acme", Role::Paralegal),
    ("viewer@acme.example", "acme", Role::ClientViewer),
    ("admin@globex.example", "globex", Role::FirmAdmin),
];

fn text(value: &str) -> Text {
    Text::new(value).expect("test text")
}

async fn run(engine: &WebEngine, tenant: TenantId, actor: Actor, command: Command) {
    engine
        .execute(Request::new(tenant, actor, command))
        .await
        .unwrap_or_else(|e| panic!("setting up: {e}"));
}

async fn client_data(
    engine: &WebEngine,
    clock: &ManualClock,
    client: &str,
    product: u64,
) -> ClientData {
    let tenant = tenant_of(client);
    let me = Actor::HolderUser {
        tenant,
        user: UserId::new(),
    };
    let right = RightId::new();
    let rejected_right = RightId::new();
    for id in [right, rejected_right] {
        let register = RightCommand::Register {
            id,
            tenant,
            package: Box::new(fixtures::trademark_package()),
        };
        run(engine, tenant, me, Command::right(id, register)).await;
        run(engine, tenant, me, Command::right(id, RightCommand::Submit)).await;
        run(
            engine,
            tenant,
            Actor::Platform,
            Command::right(id, RightCommand::BeginReview),
        )
        .await;
    }
    run(
        engine,
        tenant,
        Actor::Platform,
        Command::right(right, RightCommand::Approve),
    )
    .await;
    let reject = RightCommand::Reject {
        reason: text(&format!("Certificate not legible {SCRIPT}")),
        fixes: Vec::new(),
    };
    run(
        engine,
        tenant,
        Actor::Platform,
        Command::right(rejected_right, reject),
    )
    .await;
    let campaign = CampaignId::new();
    let create = Campaign::new(
        campaign,
        tenant,
        text(&format!("{client} spring sweep")),
        vec![right],
        clock.now(),
    );
    run(
        engine,
        tenant,
        me,
        Command::campaign(campaign, CampaignCommand::Create(Box::new(create))),
    )
    .await;
    let mut complaints = Vec::new();
    for (n, details) in [
        ListingDetails::default(),
        ListingDetails {
            title: Some(format!("Earbuds {SCRIPT}")),
            seller_name: Some(format!("Shady {SCRIPT}")),
            ..ListingDetails::default()
        },
    ]
    .into_iter()
    .enumerate()
    {
        let id = ComplaintId::new();
        let url = format!(
            "https://www.alibaba.com/product-detail/Fake-Earbuds_{}.html",
            product + n as u64
        );
        let mut filing = ComplaintFiling::new(
            id,
            tenant,
            right,
            Listing::parse(&url).expect("listing"),
            ComplaintReason::TrademarkCounterfeit,
            text("Counterfeit earbuds bearing our mark"),
        );
        filing.campaign = Some(campaign);
        filing.details = details;
        run(
            engine,
            tenant,
            me,
            Command::complaint(id, ComplaintCommand::File(Box::new(filing))),
        )
        .await;
        run(
            engine,
            tenant,
            me,
            Command::complaint(id, ComplaintCommand::Submit),
        )
        .await;
        run(
            engine,
            tenant,
            Actor::Platform,
            Command::complaint(id, ComplaintCommand::Accept),
        )
        .await;
        complaints.push(id);
    }
    let notice = ComplaintCommand::ReceiveCounterNotice {
        statement: text(&format!("We own this design {SCRIPT}")),
        evidence: Vec::new(),
    };
    run(
        engine,
        tenant,
        Actor::Seller,
        Command::complaint(complaints[0], notice),
    )
    .await;
    ClientData {
        tenant,
        right,
        rejected_right,
        counter_noticed: complaints[0],
        in_progress: complaints[1],
        campaign,
    }
}

impl Site {
    /// A server with both clients' data and every person of [`PEOPLE`].
    pub(crate) async fn start() -> Site {
        let store: Arc<dyn Store> = Arc::new(aliprotect_store_memory::MemoryStore::new());
        let clock = ManualClock::at(fixtures::now());
        let notifier = Arc::new(Switch::default());
        let engine: WebEngine = Engine::new(
            store,
            notifier.clone() as Arc<dyn Notifier>,
            Arc::new(clock.clone()) as Arc<dyn Clock>,
            MarketplacePolicy::alibaba_ipp(),
        );
        let acme = client_data(&engine, &clock, "acme", 1_600_000_000_001).await;
        let globex = client_data(&engine, &clock, "globex", 1_600_000_000_101).await;
        let config = WebConfig::for_public_url("http://127.0.0.1");
        let web = Web::new(engine.clone(), tenant_of, config);
        let operator = Actor::Operator {
            user: UserId::new(),
        };
        for (email, client, role) in PEOPLE {
            web.accounts()
                .open(email, email, PASSWORD, operator)
                .await
                .expect("account");
            web.accounts()
                .grant(email, client, role, operator)
                .await
                .expect("grant");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let router = web.router();
        let server = tokio::spawn(async move {
            let app = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            axum::serve(listener, app).await.expect("server");
        });
        Site {
            url,
            engine,
            clock,
            acme,
            globex,
            notifier,
            server,
        }
    }

    /// Makes every pending notification of both clients a dead letter.
    pub(crate) async fn kill_notifications(&self) {
        self.notifier.refuse.store(true, Ordering::SeqCst);
        for _ in 0..10 {
            self.engine.jobs().dispatch().await.expect("dispatch");
            self.clock.advance(Duration::hours(6));
        }
        self.notifier.refuse.store(false, Ordering::SeqCst);
    }
}

/// A client that keeps cookies and shows redirects, as a browser's form posts see them.
pub(crate) fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub(crate) async fn sign_in(site: &Site, email: &str) -> reqwest::Client {
    let client = browser();
    let response = client
        .post(format!("{}/login", site.url))
        .form(&[("email", email), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email} signs in");
    client
}

/// The form token on a page.
pub(crate) fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form token on the page");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("end of the token")].to_owned()
}

pub(crate) async fn page(client: &reqwest::Client, url: String) -> (StatusCode, String) {
    let response = client.get(url).send().await.expect("request");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

pub(crate) async fn token_of(site: &Site, email: &str) -> String {
    let client = sign_in(site, email).await;
    let (_, account) = page(&client, format!("{}/account", site.url)).await;
    let response = client
        .post(format!("{}/account/tokens", site.url))
        .form(&[("csrf", csrf(&account).as_str()), ("name", "tests")])
        .send()
        .await
        .expect("issue a token");
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.expect("body");
    let at = html
        .find("id=\"new-token\">")
        .expect("the new token shown once");
    let rest = &html[at + "id=\"new-token\">".len()..];
    rest[..rest.find('<').expect("end")].to_owned()
}
