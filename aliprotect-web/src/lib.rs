//! # aliprotect-web
//!
//! aliprotect in a browser and over HTTP, for a firm and its clients: server-rendered pages
//! (no JavaScript at all), a JSON API with its OpenAPI document at `/api/openapi.json`,
//! Prometheus metrics at `/metrics` and a health check at `/healthz`. `aliprotect serve`
//! runs it; an embedder mounts [`Web::router`] in its own server.
//!
//! ```no_run
//! use std::sync::Arc;
//! use aliprotect_core::clock::{Clock, SystemClock};
//! use aliprotect_core::engine::Engine;
//! use aliprotect_core::ids::TenantId;
//! use aliprotect_core::notify::{DiscardNotifier, Notifier};
//! use aliprotect_core::policy::MarketplacePolicy;
//! use aliprotect_core::store::Store;
//! use aliprotect_web::{Web, WebConfig};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store: Arc<dyn Store> = Arc::new(aliprotect_store_memory::MemoryStore::new());
//! let notifier: Arc<dyn Notifier> = Arc::new(DiscardNotifier);
//! let clock: Arc<dyn Clock> = Arc::new(SystemClock);
//! let engine = Engine::new(store, notifier, clock, MarketplacePolicy::alibaba_ipp());
//! // Each client (a brand) is a tenant; the firm names them.
//! fn tenant_of(client: &str) -> TenantId {
//!     TenantId::from_uuid(uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, client.as_bytes()))
//! }
//! let web = Web::new(engine, tenant_of, WebConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! // With the client's address, sign-in failures are limited per address and IP.
//! let app = web.router().into_make_service_with_connect_info::<std::net::SocketAddr>();
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! People sign in with an email address and password ([`accounts`]); each has a [`Role`]
//! per client: a client viewer reads their own client's data only, a paralegal also acts, a
//! firm admin also runs the client's notifications. Programs use API tokens ([`tokens`]),
//! which act as the person who issued them. Accounts, tokens and sessions are streams in the
//! engine's own store, so several `serve` processes on one database share them.
//!
//! Every form carries a per-session token, every state-changing request from another site
//! is refused (Fetch Metadata and `Origin`), cookies are `HttpOnly`, `SameSite=Lax` and
//! `Secure` when the public URL is `https`, and the pages' Content-Security-Policy allows no
//! script: a seller name or platform reason holding `<script>` is shown, escaped, as text.
#![deny(missing_docs)]

pub mod accounts;
mod api;
mod app;
mod attempts;
mod auth;
mod error;
mod figures;
mod guard;
mod input;
mod pages;
pub mod sessions;
mod telemetry;
pub mod tokens;
mod views;
mod work;

pub use accounts::{Account, Accounts, Role};
pub use app::{Web, WebConfig, WebEngine};
pub use error::WebError;
pub use tokens::Tokens;
