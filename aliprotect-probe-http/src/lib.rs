//! # aliprotect-probe-http
//!
//! A [`ListingProbe`] that fetches listing pages over HTTP, politely: a clear user agent,
//! a timeout per request, limits on requests in flight (over all hosts, and to each host), and
//! a minimum interval between requests to the same host. Listings of different hosts never
//! wait for each other's interval, so looks asked at once (as a tick asks them) proceed on
//! every host together. A host, for these limits, is the marketplace domain the listing's
//! host belongs to: `acme.en.alibaba.com` and `www.alibaba.com` are one (`alibaba.com`, whose
//! sellers' shops share its servers), `www.amazon.de` and `www.amazon.com` two.
//!
//! ```
//! use aliprotect_core::marketplace::Marketplace;
//! use aliprotect_probe_http::{HttpProbe, HttpProbeConfig};
//!
//! let mut config = HttpProbeConfig::default();
//! config.removed_markers.insert(Marketplace::AlibabaCom, vec!["no longer available".into()]);
//! let probe = HttpProbe::new(config)?;
//! // engine.tick_with_probe(&probe).await?: each due check-back fetches its listing.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Findings: 404 and 410 mean removed; a 200 page containing one of the marketplace's removal
//! markers means removed; any other 200 means live; everything else (429, 5xx, timeouts,
//! refused connections) cannot tell, and the next check-back tries again. A removal comes
//! with the fetched page as evidence (its SHA-256, media type and capture time); with an
//! [`EvidenceStore`] ([`HttpProbe::keeping_evidence_in`]) the page itself is kept first,
//! and a page that cannot be kept is no finding: a removal is recorded only with what was
//! seen.
#![deny(missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aliprotect_core::evidence::{Evidence, EvidenceKind, EvidenceStore};
use aliprotect_core::listing::Listing;
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::probe::{ListingProbe, ProbeFinding};
use async_trait::async_trait;
use reqwest::StatusCode;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

/// How the probe behaves.
#[derive(Debug, Clone)]
pub struct HttpProbeConfig {
    /// The `User-Agent` sent: say who you are.
    pub user_agent: String,
    /// Longest wait for one page.
    pub timeout: Duration,
    /// Requests in flight at most, over all hosts (at least 1).
    pub max_in_flight: usize,
    /// Requests in flight at most to one host (at least 1).
    pub per_host_in_flight: usize,
    /// Shortest gap between the starts of two requests to the same host.
    pub per_host_interval: Duration,
    /// Text that, found in a page (case-insensitive), means the listing was removed.
    pub removed_markers: HashMap<Marketplace, Vec<String>>,
    /// Fetch through this base URL (a scraping gateway, or a test server) instead of from
    /// the marketplace: the listing `https://www.alibaba.com/product-detail/x_1.html` is
    /// fetched as `<via>/www.alibaba.com/product-detail/x_1.html`, keeping its host, path and
    /// query, so listings of several hosts never meet at one URL.
    pub via: Option<Url>,
    /// The most of a page read, in bytes: the decision needs the status and the page's
    /// beginning, and a hostile or broken server may send without end. A removal found in a
    /// longer page keeps the first `max_page_bytes` as its evidence.
    pub max_page_bytes: usize,
}

impl Default for HttpProbeConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!(
                "aliprotect-probe-http/",
                env!("CARGO_PKG_VERSION"),
                " (IP enforcement check-back)"
            )
            .to_owned(),
            timeout: Duration::from_secs(15),
            max_in_flight: 16,
            per_host_in_flight: 1,
            per_host_interval: Duration::from_secs(2),
            removed_markers: HashMap::new(),
            via: None,
            max_page_bytes: 2 * 1024 * 1024,
        }
    }
}

/// Why a probe could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ProbeBuildError(#[from] reqwest::Error);

/// The HTTP probe. Cheap to clone; clones share limits.
#[derive(Clone)]
pub struct HttpProbe {
    client: reqwest::Client,
    config: Arc<HttpProbeConfig>,
    in_flight: Arc<Semaphore>,
    hosts: Arc<std::sync::Mutex<HashMap<String, Arc<HostGate>>>>,
    evidence: Option<Arc<dyn EvidenceStore>>,
}

impl std::fmt::Debug for HttpProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpProbe")
            .field("config", &self.config)
            .field("keeps_evidence", &self.evidence.is_some())
            .finish_non_exhaustive()
    }
}

impl HttpProbe {
    /// A probe with `config`.
    pub fn new(config: HttpProbeConfig) -> Result<Self, ProbeBuildError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .build()?;
        Ok(Self {
            client,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            config: Arc::new(config),
            hosts: Arc::default(),
            evidence: None,
        })
    }

    /// This probe, keeping the page of every removal it finds in `store` before reporting
    /// it: a page that cannot be kept makes the look inconclusive.
    pub fn keeping_evidence_in(mut self, store: Arc<dyn EvidenceStore>) -> Self {
        self.evidence = Some(store);
        self
    }

    /// The finding of a removal seen in `body`: its evidence, the page kept first when
    /// there is a store.
    async fn removed(&self, body: Vec<u8>, media_type: &str) -> ProbeFinding {
        let evidence = saved_page(&body, media_type);
        if let Some(store) = &self.evidence
            && let Err(error) = store.put(body).await
        {
            return ProbeFinding::Unknown {
                reason: format!("the page showing the removal could not be kept: {error}"),
            };
        }
        ProbeFinding::Removed {
            evidence: Some(evidence),
        }
    }

    /// The URL actually fetched for `listing`.
    fn target(&self, listing: &Listing) -> Url {
        match &self.config.via {
            Some(base) => {
                let mut url = base.clone();
                let prefix = base.path().trim_end_matches('/');
                let host = listing.url.host_str().unwrap_or_default();
                url.set_path(&format!("{prefix}/{host}{}", listing.url.path()));
                url.set_query(listing.url.query());
                url
            }
            None => listing.url.clone(),
        }
    }

    /// The gate of `host`, made on its first request.
    fn gate(&self, host: &str) -> Arc<HostGate> {
        // The map is only read and extended, so a panic elsewhere cannot leave it half
        // written: a poisoned lock is still sound to use.
        let mut hosts = self
            .hosts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| {
                Arc::new(HostGate {
                    in_flight: Arc::new(Semaphore::new(self.config.per_host_in_flight.max(1))),
                    next_start: Mutex::new(Instant::now()),
                })
            })
            .clone()
    }

    /// Waits for `host`'s turn, then for room over all hosts. The host's turn is taken
    /// first, so that a request waiting out its host's interval holds no room another
    /// host's request could use.
    async fn admit(&self, host: &str) -> Option<Admission> {
        let gate = self.gate(host);
        let host_permit = gate.in_flight.clone().acquire_owned().await.ok()?;
        let mut next_start = gate.next_start.lock().await;
        tokio::time::sleep_until(*next_start).await;
        let permit = self.in_flight.clone().acquire_owned().await.ok()?;
        // The interval runs from when the request may start, not from when it was booked.
        *next_start = Instant::now() + self.config.per_host_interval;
        Some(Admission {
            _host: host_permit,
            _all: permit,
        })
    }

    fn removed_by_marker(&self, marketplace: Marketplace, page: &str) -> bool {
        let page = page.to_lowercase();
        self.config
            .removed_markers
            .get(&marketplace)
            .is_some_and(|markers| markers.iter().any(|m| page.contains(&m.to_lowercase())))
    }
}

/// One host's limits: requests in flight to it, and when the next may start.
struct HostGate {
    in_flight: Arc<Semaphore>,
    next_start: Mutex<Instant>,
}

/// Leave to send one request, held until its page is read.
struct Admission {
    _host: OwnedSemaphorePermit,
    _all: OwnedSemaphorePermit,
}

/// The page's first `limit` bytes at most: an endless or huge body is cut, not buffered.
async fn read_page(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

fn saved_page(body: &[u8], media_type: &str) -> Evidence {
    Evidence::of_bytes(
        EvidenceKind::SavedPage,
        body,
        media_type,
        chrono::Utc::now(),
    )
}

#[async_trait]
impl ListingProbe for HttpProbe {
    async fn probe(&self, listing: &Listing) -> ProbeFinding {
        let target = self.target(listing);
        // The marketplace's servers are the ones to spare, also through a gateway: a
        // seller's shop on its own subdomain is spared with the rest of its marketplace.
        let host = listing.url.host_str().unwrap_or_default();
        let site = listing.marketplace.domain_of(host).unwrap_or(host);
        let Some(_admission) = self.admit(site).await else {
            return ProbeFinding::Unknown {
                reason: "probe shut down".to_owned(),
            };
        };
        let response = match self.client.get(target.clone()).send().await {
            Ok(response) => response,
            Err(error) => {
                return ProbeFinding::Unknown {
                    reason: format!("fetching {target}: {error}"),
                };
            }
        };
        let status = response.status();
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("text/html")
            .chars()
            .take(200)
            .collect::<String>();
        let body = match read_page(response, self.config.max_page_bytes).await {
            Ok(body) => body,
            Err(error) => {
                return ProbeFinding::Unknown {
                    reason: format!("reading {target}: {error}"),
                };
            }
        };
        tracing::debug!(%target, %status, bytes = body.len(), "probed");
        match status {
            StatusCode::NOT_FOUND | StatusCode::GONE => self.removed(body, &media_type).await,
            s if s.is_success() => {
                if self.removed_by_marker(listing.marketplace, &String::from_utf8_lossy(&body)) {
                    self.removed(body, &media_type).await
                } else {
                    ProbeFinding::Live
                }
            }
            s => ProbeFinding::Unknown {
                reason: format!("{target} answered {s}"),
            },
        }
    }
}
