//! # aliprotect-search-http
//!
//! A [`ListingSearch`] that reads a marketplace's search result pages over HTTP, for the
//! sweeps of `aliprotect-sweep`: a URL template per marketplace, CSS selectors for the
//! results and their fields (parsed with `scraper`), pages followed while the page shows a
//! next one, and a delay between requests to one host. A page without the element every
//! results page has (the results list, even when empty) is a
//! [`SearchError::PageShapeChanged`]: the marketplace changed its pages, or answered with a
//! captcha, and nothing is read from it.
//!
//! ```
//! use aliprotect_core::marketplace::Marketplace;
//! use aliprotect_search_http::{HttpSearch, HttpSearchConfig, ResultPage};
//!
//! let mut config = HttpSearchConfig::default();
//! config.marketplaces.insert(
//!     Marketplace::AlibabaCom,
//!     ResultPage {
//!         url_template: "https://www.alibaba.com/trade/search?SearchText={keyword}&page={page}".into(),
//!         results: "div.results".into(),
//!         result: "div.results > div.item".into(),
//!         link: "a.title".into(),
//!         title: Some("a.title".into()),
//!         seller: Some(".seller".into()),
//!         price: Some(".price".into()),
//!         next: Some("a.next".into()),
//!     },
//! );
//! let search = HttpSearch::new(config)?;
//! // sweeps.run(tenant, actor, sweep, &search).await?: each keyword's pages, politely.
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aliprotect_core::intake::IntakeRow;
use aliprotect_core::marketplace::Marketplace;
use aliprotect_sweep::{ListingSearch, SearchError, SearchPage, SearchQuery};
use async_trait::async_trait;
use scraper::{ElementRef, Html, Selector};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

/// How one marketplace's results pages are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultPage {
    /// The page's URL, with `{keyword}` (percent-encoded in place) and `{page}` (1 for the
    /// first).
    pub url_template: String,
    /// A CSS selector of the element every results page has, with results or without: its
    /// absence means the page's shape changed.
    pub results: String,
    /// A CSS selector of one result.
    pub result: String,
    /// Within a result, the element whose `href` is the listing's URL.
    pub link: String,
    /// Within a result, the element whose text is the listing's title.
    pub title: Option<String>,
    /// Within a result, the element whose text is the seller's name.
    pub seller: Option<String>,
    /// Within a result, the element whose text is the price.
    pub price: Option<String>,
    /// An element whose presence means a next page exists (without one, the first page is
    /// the last).
    pub next: Option<String>,
}

/// How the search behaves.
#[derive(Debug, Clone)]
pub struct HttpSearchConfig {
    /// The `User-Agent` sent: say who you are.
    pub user_agent: String,
    /// Longest wait for one page.
    pub timeout: Duration,
    /// Shortest gap between the starts of two requests to the same host.
    pub per_host_interval: Duration,
    /// The longest page read, in bytes: a longer one is an error (a page cut short would
    /// lose its end, and with it the link to the next page).
    pub max_page_bytes: usize,
    /// The marketplaces searched, each with its pages' shape.
    pub marketplaces: HashMap<Marketplace, ResultPage>,
}

impl Default for HttpSearchConfig {
    fn default() -> Self {
        Self {
            user_agent: concat!(
                "aliprotect-search-http/",
                env!("CARGO_PKG_VERSION"),
                " (IP enforcement keyword sweep)"
            )
            .to_owned(),
            timeout: Duration::from_secs(20),
            per_host_interval: Duration::from_secs(2),
            max_page_bytes: 4 * 1024 * 1024,
            marketplaces: HashMap::new(),
        }
    }
}

/// Why a search could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchBuildError {
    /// A selector does not parse.
    #[error("the {field} selector of {marketplace} does not parse: {detail}")]
    BadSelector {
        /// The marketplace.
        marketplace: Marketplace,
        /// Which selector.
        field: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// The URL template has no `{keyword}`, or is no URL once filled in.
    #[error("the URL template of {marketplace} is not usable: {detail}")]
    BadTemplate {
        /// The marketplace.
        marketplace: Marketplace,
        /// Why.
        detail: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// One marketplace's page shape, its selectors parsed.
#[derive(Debug)]
struct Shape {
    url_template: String,
    results: Selector,
    result: Selector,
    link: Selector,
    title: Option<Selector>,
    seller: Option<Selector>,
    price: Option<Selector>,
    next: Option<Selector>,
}

impl Shape {
    fn parse(marketplace: Marketplace, page: &ResultPage) -> Result<Self, SearchBuildError> {
        let selector = |field: &'static str, css: &str| {
            Selector::parse(css).map_err(|error| SearchBuildError::BadSelector {
                marketplace,
                field,
                detail: error.to_string(),
            })
        };
        let optional = |field: &'static str, css: &Option<String>| {
            css.as_deref().map(|css| selector(field, css)).transpose()
        };
        if !page.url_template.contains("{keyword}") {
            return Err(SearchBuildError::BadTemplate {
                marketplace,
                detail: "it has no {keyword}".to_owned(),
            });
        }
        if let Err(error) = Url::parse(&fill(&page.url_template, "x", 1)) {
            return Err(SearchBuildError::BadTemplate {
                marketplace,
                detail: error.to_string(),
            });
        }
        Ok(Self {
            url_template: page.url_template.clone(),
            results: selector("results", &page.results)?,
            result: selector("result", &page.result)?,
            link: selector("link", &page.link)?,
            title: optional("title", &page.title)?,
            seller: optional("seller", &page.seller)?,
            price: optional("price", &page.price)?,
            next: optional("next", &page.next)?,
        })
    }

    /// The results on `html`, fetched from `url`; an error if the page lacks its results
    /// element.
    fn read(&self, url: &Url, html: &str) -> Result<SearchPage, SearchError> {
        let document = Html::parse_document(html);
        if document.select(&self.results).next().is_none() {
            return Err(SearchError::PageShapeChanged {
                url: url.to_string(),
                detail: "no element is a results list".to_owned(),
            });
        }
        let mut page = SearchPage {
            more: self
                .next
                .as_ref()
                .is_some_and(|next| document.select(next).next().is_some()),
            ..SearchPage::default()
        };
        for result in document.select(&self.result) {
            let href = result
                .select(&self.link)
                .next()
                .and_then(|link| link.value().attr("href"))
                .and_then(|href| url.join(href.trim()).ok());
            let Some(href) = href else {
                page.unreadable = page.unreadable.saturating_add(1);
                continue;
            };
            page.listings.push(IntakeRow {
                url: href.to_string(),
                title: text_of(result, self.title.as_ref()),
                seller: text_of(result, self.seller.as_ref()),
                price: text_of(result, self.price.as_ref()),
                image_hash: None,
            });
        }
        Ok(page)
    }
}

/// The text of the first element `selector` finds in `result`, whitespace collapsed.
fn text_of(result: ElementRef<'_>, selector: Option<&Selector>) -> Option<String> {
    let element = result.select(selector?).next()?;
    let text = element
        .text()
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

/// The template filled in with `keyword` (percent-encoded) and `page`.
fn fill(template: &str, keyword: &str, page: u32) -> String {
    let keyword: String = url::form_urlencoded::byte_serialize(keyword.as_bytes()).collect();
    template
        .replace("{keyword}", &keyword)
        .replace("{page}", &page.to_string())
}

/// The HTTP search. Cheap to clone; clones share the hosts' delays.
#[derive(Debug, Clone)]
pub struct HttpSearch {
    client: reqwest::Client,
    config: Arc<HttpSearchConfig>,
    shapes: Arc<HashMap<Marketplace, Shape>>,
    next_start: Arc<Mutex<HashMap<String, Instant>>>,
}

impl HttpSearch {
    /// A search with `config`; its selectors and templates checked now.
    pub fn new(config: HttpSearchConfig) -> Result<Self, SearchBuildError> {
        let shapes = config
            .marketplaces
            .iter()
            .map(|(marketplace, page)| Ok((*marketplace, Shape::parse(*marketplace, page)?)))
            .collect::<Result<HashMap<_, _>, SearchBuildError>>()?;
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .build()?;
        Ok(Self {
            client,
            config: Arc::new(config),
            shapes: Arc::new(shapes),
            next_start: Arc::default(),
        })
    }

    /// The results `html` shows, read as `marketplace`'s page fetched from `url` (links
    /// resolved against it): what a search does with each page it fetches, without the
    /// fetch. For tests and for pages saved by hand.
    pub fn read_page(
        &self,
        marketplace: Marketplace,
        url: &Url,
        html: &str,
    ) -> Result<SearchPage, SearchError> {
        self.shapes
            .get(&marketplace)
            .ok_or(SearchError::UnsupportedMarketplace(marketplace))?
            .read(url, html)
    }

    /// Waits for `host`'s turn: its previous request started at least the interval ago.
    async fn wait_for(&self, host: &str) {
        let start = {
            let mut next_start = self.next_start.lock().await;
            let now = Instant::now();
            let start = next_start.get(host).copied().unwrap_or(now).max(now);
            // A configured interval too long for the clock waits for ever, not a panic.
            let next = start
                .checked_add(self.config.per_host_interval)
                .unwrap_or(start + Duration::from_secs(u64::from(u32::MAX)));
            next_start.insert(host.to_owned(), next);
            start
        };
        tokio::time::sleep_until(start).await;
    }

    /// The page's body, at most `max_page_bytes` of it.
    async fn fetch(&self, url: &Url) -> Result<String, SearchError> {
        let unavailable = |detail: String| SearchError::Unavailable {
            url: url.to_string(),
            detail,
        };
        self.wait_for(url.host_str().unwrap_or_default()).await;
        let mut response = self
            .client
            .get(url.clone())
            .send()
            .await
            .map_err(|error| unavailable(error.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(unavailable(format!("the server answered {status}")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| unavailable(error.to_string()))?
        {
            let room = self.config.max_page_bytes.saturating_sub(body.len());
            if chunk.len() > room {
                // A page cut short reads as a page without its end, and its next-page link
                // is usually at the end: an error, not fewer results.
                return Err(unavailable(format!(
                    "the page is longer than {} bytes",
                    self.config.max_page_bytes
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}

#[async_trait]
impl ListingSearch for HttpSearch {
    async fn page(&self, query: &SearchQuery, page: u32) -> Result<SearchPage, SearchError> {
        let shape = self
            .shapes
            .get(&query.marketplace)
            .ok_or(SearchError::UnsupportedMarketplace(query.marketplace))?;
        let address = fill(&shape.url_template, &query.keyword, page);
        let url = Url::parse(&address).map_err(|error| SearchError::Unavailable {
            url: address.clone(),
            detail: error.to_string(),
        })?;
        let body = self.fetch(&url).await?;
        let page = shape.read(&url, &body)?;
        tracing::debug!(%url, results = page.listings.len(), more = page.more, "results page read");
        Ok(page)
    }
}
