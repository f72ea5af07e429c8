//! Where a sweep looks: a marketplace's search, one keyword and one page of results at a
//! time, behind the [`ListingSearch`] trait. [`FileSearch`] answers from a platform's or a
//! spreadsheet's export; `aliprotect-search-http` reads a marketplace's result pages.

use std::io::Read;

use aliprotect_core::intake::{IntakeFormat, IntakeRow, read_rows};
use aliprotect_core::marketplace::Marketplace;
use async_trait::async_trait;

/// One search: a keyword on a marketplace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// The marketplace searched.
    pub marketplace: Marketplace,
    /// The keyword, as the sweep holds it.
    pub keyword: String,
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchPage {
    /// The listings on the page, as the page shows them (the URL at least).
    pub listings: Vec<IntakeRow>,
    /// Results on the page that could not be read (no link, a broken row of an export).
    pub unreadable: u32,
    /// Whether a next page exists.
    pub more: bool,
}

/// Why a page of results could not be had. The sweep records the message verbatim and
/// stops that keyword's search: what was read before stands, nothing is guessed after.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The page came, but not in the shape expected: the marketplace changed its pages, or
    /// showed a captcha. The search's configuration needs a person.
    #[error("the results page {url} no longer has the expected shape: {detail}")]
    PageShapeChanged {
        /// The page.
        url: String,
        /// What was missing.
        detail: String,
    },
    /// The page did not come (a refused connection, a timeout, a 5xx or 429 answer).
    #[error("the results page {url} could not be fetched: {detail}")]
    Unavailable {
        /// The page.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// This search does not cover the marketplace.
    #[error("{0} is not searched here")]
    UnsupportedMarketplace(Marketplace),
}

/// A marketplace's search, page by page. Implementations are polite on their own account
/// (a delay between requests to one host, a user agent that says who asks); the sweep
/// bounds the pages read per keyword.
#[async_trait]
pub trait ListingSearch: Send + Sync {
    /// Page `page` (1 is the first) of the results for `query`.
    async fn page(&self, query: &SearchQuery, page: u32) -> Result<SearchPage, SearchError>;
}

#[async_trait]
impl<T: ListingSearch + ?Sized> ListingSearch for std::sync::Arc<T> {
    async fn page(&self, query: &SearchQuery, page: u32) -> Result<SearchPage, SearchError> {
        (**self).page(query, page).await
    }
}

#[async_trait]
impl<T: ListingSearch + ?Sized> ListingSearch for Box<T> {
    async fn page(&self, query: &SearchQuery, page: u32) -> Result<SearchPage, SearchError> {
        (**self).page(query, page).await
    }
}

/// A search answered from an export: a marketplace's own search results saved as a file,
/// or a spreadsheet someone filled in, as CSV or JSON Lines with the columns of an intake
/// file (`url`, and optionally `title`, `seller`, `price`, `image_hash`). The export is the
/// result of a search already made, so every keyword of a sweep gets all of its rows,
/// [`FileSearch::PAGE_SIZE`] to a page; a listing found under several keywords is one
/// listing to the sweep.
///
/// ```
/// use aliprotect_core::intake::IntakeFormat;
/// use aliprotect_core::marketplace::Marketplace;
/// use aliprotect_sweep::{FileSearch, ListingSearch, SearchQuery};
///
/// let export = "url,title,seller\n\
///     https://www.alibaba.com/product-detail/x_1600000000001.html,TWS Earbuds,Shenzhen Copy\n";
/// let search = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
/// let query = SearchQuery { marketplace: Marketplace::AlibabaCom, keyword: "earbuds".into() };
/// # tokio_test_block_on(async {
/// let page = search.page(&query, 1).await?;
/// assert_eq!(page.listings.len(), 1);
/// assert!(!page.more);
/// # Ok::<(), aliprotect_sweep::SearchError>(())
/// # })?;
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct FileSearch {
    rows: Vec<IntakeRow>,
    unreadable: u32,
}

impl FileSearch {
    /// Rows to a page.
    pub const PAGE_SIZE: usize = 100;

    /// The export read from `input`; rows that do not read are counted, on the first page,
    /// as unreadable results.
    pub fn read(format: IntakeFormat, input: impl Read) -> Self {
        let mut search = Self::default();
        for (_, row) in read_rows(format, input) {
            match row {
                Ok(row) => search.rows.push(row),
                Err(_) => search.unreadable = search.unreadable.saturating_add(1),
            }
        }
        search
    }

    /// The rows of the export.
    pub fn rows(&self) -> &[IntakeRow] {
        &self.rows
    }
}

#[async_trait]
impl ListingSearch for FileSearch {
    async fn page(&self, _query: &SearchQuery, page: u32) -> Result<SearchPage, SearchError> {
        let index = usize::try_from(page.max(1) - 1).unwrap_or(usize::MAX);
        let start = index.saturating_mul(Self::PAGE_SIZE);
        let end = start.saturating_add(Self::PAGE_SIZE).min(self.rows.len());
        Ok(SearchPage {
            listings: self.rows.get(start..end).unwrap_or_default().to_vec(),
            unreadable: if index == 0 { self.unreadable } else { 0 },
            more: end < self.rows.len(),
        })
    }
}
