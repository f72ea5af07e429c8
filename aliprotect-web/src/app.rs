//! The server's shared state and its routes.

use std::num::NonZeroU32;
use std::sync::Arc;

use aliprotect_core::clock::Clock;
use aliprotect_core::engine::Engine;
use aliprotect_core::ids::TenantId;
use aliprotect_core::notify::Notifier;
use aliprotect_core::store::Store;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite};

use crate::accounts::Accounts;
use crate::sessions::StoredSessions;
use crate::tokens::Tokens;
use crate::{api, guard, pages, telemetry};

/// The engine as the server runs it: any store, any notifier, any clock.
pub type WebEngine = Engine<Arc<dyn Store>, Arc<dyn Notifier>, Arc<dyn Clock>>;

/// How the server behaves; [`WebConfig::default`] suits a server behind TLS.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebConfig {
    /// Whether session cookies are marked `Secure` (sent over HTTPS only). On by default;
    /// off only for a server reached over plain HTTP on the loopback interface.
    pub secure_cookies: bool,
    /// How long a session lasts from signing in, in minutes (a working day by default).
    pub session_minutes: u32,
    /// Failed sign-ins allowed per address and client IP per minute; beyond them, attempts
    /// are refused before any password is checked. Successes do not count.
    pub sign_in_failures_per_minute: NonZeroU32,
    /// The largest request body, in bytes (a pasted list of URLs, a counter-notice answer).
    pub max_body_bytes: usize,
    /// How long the aggregates that read many rows (the trusted-filer standing, a
    /// campaign's metrics) are kept before being read again; pages say when they were read.
    /// Zero (the default) keeps none: only requests arriving while they are being read
    /// share that reading.
    pub figures_ttl: std::time::Duration,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            session_minutes: 8 * 60,
            sign_in_failures_per_minute: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            max_body_bytes: 2 * 1024 * 1024,
            figures_ttl: std::time::Duration::ZERO,
        }
    }
}

impl WebConfig {
    /// The configuration for a server whose public address is `url`: secure cookies unless
    /// it is plain `http`.
    pub fn for_public_url(url: &str) -> Self {
        Self {
            secure_cookies: !url.starts_with("http://"),
            ..Self::default()
        }
    }
}

/// What every request handler shares.
pub(crate) struct App {
    pub(crate) engine: WebEngine,
    pub(crate) accounts: Accounts,
    pub(crate) tokens: Tokens,
    tenant_of: fn(&str) -> TenantId,
    pub(crate) sign_ins: crate::attempts::Attempts,
    pub(crate) metrics: telemetry::Metrics,
    pub(crate) figures: crate::figures::Figures,
    /// When `/metrics` last read the state of the work (at most every few seconds,
    /// however often it is scraped).
    pub(crate) gauged: tokio::sync::Mutex<Option<std::time::Instant>>,
}

impl App {
    /// The tenant of the client named `client`.
    pub(crate) fn tenant_of(&self, client: &str) -> TenantId {
        (self.tenant_of)(client)
    }
}

/// The state handlers take.
pub(crate) type AppState = Arc<App>;

/// The web server: pages, API, metrics. Cheap to clone: clones share one state.
#[derive(Clone)]
pub struct Web {
    pub(crate) app: AppState,
    config: WebConfig,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Web")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Web {
    /// The server of `engine`'s data; `tenant_of` names each client's tenant (the same
    /// function the embedder's other tools use, so that a client is one tenant everywhere).
    pub fn new(engine: WebEngine, tenant_of: fn(&str) -> TenantId, config: WebConfig) -> Self {
        let store = Arc::clone(engine.store());
        let app = App {
            accounts: Accounts::new(Arc::clone(&store)),
            tokens: Tokens::new(store),
            engine,
            tenant_of,
            sign_ins: crate::attempts::Attempts::new(
                config.sign_in_failures_per_minute.get() as usize,
                std::time::Duration::from_secs(60),
            ),
            metrics: telemetry::Metrics::install(),
            figures: crate::figures::Figures::new(config.figures_ttl),
            gauged: tokio::sync::Mutex::new(None),
        };
        Self {
            app: Arc::new(app),
            config,
        }
    }

    /// The accounts the server signs people in to (to open the first one).
    pub fn accounts(&self) -> &Accounts {
        &self.app.accounts
    }

    /// Every route, with sessions, the cross-site guard, security headers and telemetry.
    pub fn router(&self) -> Router {
        let sessions =
            SessionManagerLayer::new(StoredSessions::new(Arc::clone(self.app.engine.store())))
                .with_name("aliprotect_session")
                .with_secure(self.config.secure_cookies)
                .with_http_only(true)
                .with_same_site(SameSite::Lax)
                // Saved only when it changes (signing in): it lasts this long from then.
                .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(
                    self.config.session_minutes,
                ))));
        let pages = pages::routes()
            .layer(sessions)
            .layer(SetResponseHeaderLayer::overriding(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                     frame-ancestors 'none'; base-uri 'none'",
                ),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            // A client's data (and a token shown once) stays out of every cache.
            .layer(SetResponseHeaderLayer::overriding(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ));
        Router::new()
            .merge(pages)
            .nest(
                "/api",
                api::routes().layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-store"),
                )),
            )
            .route("/healthz", get(telemetry::healthz))
            .route("/metrics", get(telemetry::metrics))
            .route("/static/app.css", get(pages::stylesheet))
            .fallback(pages::not_found)
            .layer(axum::middleware::from_fn(guard::refuse_cross_site))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&self.app),
                telemetry::observe,
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                HeaderName::from_static("referrer-policy"),
                HeaderValue::from_static("same-origin"),
            ))
            .layer(DefaultBodyLimit::max(self.config.max_body_bytes))
            .with_state(Arc::clone(&self.app))
    }
}
