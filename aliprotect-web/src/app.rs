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
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
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
    /// How long a session lasts without a request, in minutes.
    pub idle_minutes: i64,
    /// Sign-in attempts allowed per address per minute (a burst of as many, then one per
    /// `60 / n` seconds).
    pub sign_ins_per_minute: NonZeroU32,
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
            idle_minutes: 8 * 60,
            sign_ins_per_minute: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
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
    pub(crate) sign_ins: DefaultKeyedRateLimiter<String>,
    pub(crate) metrics: telemetry::Metrics,
    pub(crate) figures: crate::figures::Figures,
}

impl App {
    /// The tenant of the client named `client`.
    pub(crate) fn tenant_of(&self, client: &str) -> TenantId {
        (self.tenant_of)(client)
    }
}

/// The state handlers take.
pub(crate) type AppState = Arc<App>;

/// The web server: pages, API, metrics.
pub struct Web {
    app: AppState,
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
            sign_ins: RateLimiter::keyed(Quota::per_minute(config.sign_ins_per_minute)),
            metrics: telemetry::Metrics::install(),
            figures: crate::figures::Figures::new(config.figures_ttl),
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
                .with_expiry(Expiry::OnInactivity(time::Duration::minutes(
                    self.config.idle_minutes,
                )));
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
            ));
        Router::new()
            .merge(pages)
            .nest("/api", api::routes())
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
