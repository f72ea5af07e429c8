//! Listings: a marketplace page offering goods, identified by a stable key.
//!
//! The same listing reaches us under many URLs (tracking parameters, mobile hosts, a title
//! slug the seller edits). [`Listing::parse`] reduces each URL to a [`ListingKey`] that stays
//! the same for the same listing, so duplicates are caught and relistings can be matched.
//!
//! ```
//! use aliprotect_core::listing::Listing;
//!
//! let a = Listing::parse(
//!     "https://www.alibaba.com/product-detail/Wireless-Earbuds_1600123456789.html?spm=a2700.7724857",
//! )
//! .unwrap();
//! let b = Listing::parse("http://m.alibaba.com/product-detail/New-Title_1600123456789.html#reviews")
//!     .unwrap();
//! assert_eq!(a.key, b.key);
//! assert_eq!(a.key.as_str(), "alibaba.com/product/1600123456789");
//! assert_eq!(a.product_id.as_deref(), Some("1600123456789"));
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::marketplace::Marketplace;

/// A listing's stable identity: the same string for every URL of the same listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ListingKey(String);

impl ListingKey {
    /// A key as a store kept it (made by [`Listing::parse`] when the listing was filed).
    pub fn from_stored(key: String) -> Self {
        Self(key)
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ListingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a listing showed when it was found (a search result, an imported row): kept with the
/// complaint to recognise the same goods when they are listed again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ListingDetails {
    /// The listing's title.
    pub title: Option<String>,
    /// The seller's name as shown.
    pub seller_name: Option<String>,
    /// The price as shown (currency and amount, unparsed).
    pub price: Option<String>,
    /// SHA-256 of the main product image.
    pub image_hash: Option<crate::evidence::ContentHash>,
}

/// What kind of page a URL that is not a listing shows, so that a refusal can say what the
/// user pasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PageKind {
    /// The marketplace's home page.
    HomePage,
    /// Search results or a category of products.
    SearchResults,
    /// A seller's store front, profile or product list.
    StoreFront,
    /// A product page whose URL carries no product id (a short link, a truncated URL).
    ProductWithoutId,
    /// A page of the marketplace that is none of these.
    Other,
}

impl fmt::Display for PageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PageKind::HomePage => "the marketplace's home page",
            PageKind::SearchResults => "a search results or category page",
            PageKind::StoreFront => "a seller's store front",
            PageKind::ProductWithoutId => "a product URL without a product id",
            PageKind::Other => "a page that is not a product listing",
        })
    }
}

/// A URL that cannot be a listing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingUrlError {
    /// Longer than [`Listing::MAX_URL_LEN`].
    #[error("URL is {len} bytes long, more than the limit of {max}")]
    TooLong {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a URL at all.
    #[error("malformed URL: {0}")]
    Malformed(#[from] url::ParseError),
    /// Spaces, line breaks or control characters inside: two URLs run together, or a cell
    /// of a broken CSV line, never one listing.
    #[error(
        "URL contains spaces, line breaks or control characters: is it several URLs run together?"
    )]
    SpaceOrControl,
    /// Not http or https.
    #[error("scheme `{0}` is not http or https")]
    UnsupportedScheme(String),
    /// No host name (or an IP address, which no marketplace uses).
    #[error("URL has no marketplace host name")]
    NoHostName,
    /// A host no known marketplace owns.
    #[error("host `{0}` belongs to no known marketplace")]
    UnknownHost(String),
    /// A host of another marketplace than the one expected.
    #[error("host `{host}` is not part of {expected}")]
    ForeignHost {
        /// The URL's host.
        host: String,
        /// The marketplace the URL was expected on.
        expected: Marketplace,
    },
    /// A page of the marketplace that is not one product's listing: complaints name
    /// listings, and a search page or a store front names none (or many).
    #[error("not a listing: this is {page} of {marketplace}; paste the URL of the product page")]
    NotAListing {
        /// The marketplace.
        marketplace: Marketplace,
        /// What the page is.
        page: PageKind,
    },
}

/// One listing on a marketplace.
///
/// The key is derived from the URL, never taken on trust: a listing read back from a store
/// has its key derived again by this version's rules, so a listing recorded under an
/// earlier version's key (a mobile URL keyed by its path, say) meets the same listing filed
/// today on one key, and the one-open-complaint rule holds across the upgrade. The URL, the
/// fact that was recorded, is kept as it was.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "StoredListing")]
pub struct Listing {
    /// Where it is offered.
    pub marketplace: Marketplace,
    /// Its stable identity.
    pub key: ListingKey,
    /// The URL cleaned of tracking noise and fragment, as https.
    pub url: Url,
    /// The marketplace's product id: every listing parsed by this version has one (a URL
    /// without it is refused); `None` only in listings recorded by earlier versions.
    pub product_id: Option<String>,
    /// The seller's store id, where the URL carries one.
    pub seller_id: Option<String>,
}

/// A listing as a store kept it, before its key is derived again.
#[derive(Deserialize)]
struct StoredListing {
    marketplace: Marketplace,
    key: ListingKey,
    url: Url,
    product_id: Option<String>,
    seller_id: Option<String>,
}

impl From<StoredListing> for Listing {
    fn from(stored: StoredListing) -> Self {
        // A URL the rules no longer read as a listing keeps the key it was filed under.
        let derived = host_of(&stored.url)
            .ok()
            .and_then(|host| Listing::from_url(stored.marketplace, stored.url.clone(), &host).ok());
        let Some(derived) = derived else {
            return Listing {
                marketplace: stored.marketplace,
                key: stored.key,
                url: stored.url,
                product_id: stored.product_id,
                seller_id: stored.seller_id,
            };
        };
        Listing {
            marketplace: stored.marketplace,
            key: derived.key,
            url: stored.url,
            product_id: stored.product_id.or(derived.product_id),
            seller_id: stored.seller_id.or(derived.seller_id),
        }
    }
}

/// Query parameters that only track the visit and never identify a listing.
const TRACKING_PARAMS: &[&str] = &[
    "spm",
    "scm",
    "pvid",
    "tracelog",
    "gclid",
    "fbclid",
    "ref",
    "ref_",
    "src",
    "from",
    "ali_trackid",
    "crm_mtn_tracelog",
    "gatewayadapt",
    "sk",
    "dp",
    "terminal_id",
    "trafficfrom",
    "_t",
];
const TRACKING_PREFIXES: &[&str] = &["utm_", "algo_", "aff_", "mm_", "pdp_", "s_"];

impl Listing {
    /// The longest URL accepted, in bytes.
    pub const MAX_URL_LEN: usize = 4096;

    /// Who sells it: the store id from the URL, else the seller name the listing showed.
    pub fn seller<'a>(&'a self, details: &'a ListingDetails) -> Option<&'a str> {
        self.seller_id.as_deref().or(details.seller_name.as_deref())
    }

    /// Parses a listing URL of any known marketplace.
    pub fn parse(input: &str) -> Result<Listing, ListingUrlError> {
        let url = parse_url(input)?;
        let host = host_of(&url)?;
        let marketplace = Marketplace::for_host(&host)
            .ok_or_else(|| ListingUrlError::UnknownHost(host.clone()))?;
        Self::from_url(marketplace, url, &host)
    }

    /// Parses a listing URL that must belong to `marketplace`.
    pub fn parse_for(marketplace: Marketplace, input: &str) -> Result<Listing, ListingUrlError> {
        let url = parse_url(input)?;
        let host = host_of(&url)?;
        if marketplace.domain_of(&host).is_none() {
            return Err(ListingUrlError::ForeignHost {
                host,
                expected: marketplace,
            });
        }
        Self::from_url(marketplace, url, &host)
    }

    fn from_url(
        marketplace: Marketplace,
        mut url: Url,
        host: &str,
    ) -> Result<Listing, ListingUrlError> {
        strip_noise(&mut url);
        let ids = identify(marketplace, host, &url);
        let Some(product_id) = ids.product_id else {
            return Err(ListingUrlError::NotAListing {
                marketplace,
                page: page_kind(marketplace, host, &url),
            });
        };
        // One catalogue under several domains (AliExpress's .us and .ru sites) is keyed by
        // its main domain; country sites with catalogues of their own keep theirs.
        let domain = match marketplace {
            Marketplace::AliExpress => "aliexpress.com",
            _ => marketplace.domain_of(host).unwrap_or(marketplace.code()),
        };
        Ok(Listing {
            marketplace,
            key: ListingKey(format!("{domain}/product/{product_id}")),
            url,
            product_id: Some(product_id),
            seller_id: ids.seller_id,
        })
    }
}

fn parse_url(input: &str) -> Result<Url, ListingUrlError> {
    let input = input.trim();
    if input.len() > Listing::MAX_URL_LEN {
        return Err(ListingUrlError::TooLong {
            len: input.len(),
            max: Listing::MAX_URL_LEN,
        });
    }
    // Bytes for the usual ASCII URL; characters only for the rare one with others.
    let refused = match input.is_ascii() {
        true => input
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control()),
        false => input.chars().any(|c| c.is_whitespace() || c.is_control()),
    };
    if refused {
        return Err(ListingUrlError::SpaceOrControl);
    }
    let url = Url::parse(input)?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(ListingUrlError::UnsupportedScheme(other.to_owned())),
    }
}

fn host_of(url: &Url) -> Result<String, ListingUrlError> {
    match url.host() {
        Some(url::Host::Domain(domain)) => Ok(domain.trim_end_matches('.').to_ascii_lowercase()),
        _ => Err(ListingUrlError::NoHostName),
    }
}

fn is_tracking(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PARAMS.contains(&name.as_str())
        || TRACKING_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// Makes the URL https, drops the fragment and the tracking parameters, sorts what is left.
/// Each step runs only when needed: most pasted URLs are already clean.
fn strip_noise(url: &mut Url) {
    if url.scheme() != "https" {
        // Only http and https reach here, and both may become https.
        let _ = url.set_scheme("https");
    }
    if url.fragment().is_some() {
        url.set_fragment(None);
    }
    if url.query().is_none() {
        return;
    }
    let mut kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| !is_tracking(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    kept.sort();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
}

#[derive(Default)]
struct Ids {
    product_id: Option<String>,
    seller_id: Option<String>,
}

fn identify(marketplace: Marketplace, host: &str, url: &Url) -> Ids {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|segments| segments.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let query_id = || {
        url.query_pairs()
            .find(|(name, _)| name == "id")
            .map(|(_, value)| value.into_owned())
            .filter(|value| is_digits(value))
    };
    match marketplace {
        Marketplace::AlibabaCom => Ids {
            product_id: after_prefix(&segments, "product-detail")
                .and_then(alibaba_product_page)
                // The mobile site puts the id before the title: `/product/<id>/<title>.html`.
                .or_else(|| after_prefix(&segments, "product").and_then(alibaba_product_page)),
            // Supplier mini-sites live on `<store>.en.alibaba.com`.
            seller_id: subdomain(host, "en.alibaba.com"),
        },
        Marketplace::AliExpress => Ids {
            product_id: after_prefix(&segments, "item")
                .or_else(|| after_prefix(&segments, "i"))
                .and_then(|page| page.strip_suffix(".html"))
                .filter(|id| is_digits(id))
                .map(str::to_owned),
            seller_id: after_prefix(&segments, "store")
                .filter(|id| is_digits(id))
                .map(str::to_owned),
        },
        Marketplace::Alibaba1688 => Ids {
            product_id: after_prefix(&segments, "offer")
                .and_then(|page| page.strip_suffix(".html"))
                .filter(|id| is_digits(id))
                .map(str::to_owned),
            seller_id: subdomain(host, "1688.com"),
        },
        Marketplace::Taobao | Marketplace::Tmall => Ids {
            product_id: query_id(),
            seller_id: subdomain(host, marketplace.domain_of(host).unwrap_or_default()),
        },
        Marketplace::Lazada => Ids {
            // `/products/<slug>-i<item>-s<sku>.html`: the item, not the variant, is the listing.
            product_id: after_prefix(&segments, "products")
                .and_then(|page| page.strip_suffix(".html"))
                .and_then(|page| {
                    page.split('-').find(|part| {
                        part.len() > 1 && part.starts_with('i') && is_digits(&part[1..])
                    })
                })
                .map(str::to_owned),
            seller_id: None,
        },
        Marketplace::Amazon => Ids {
            product_id: after_prefix(&segments, "dp")
                .or_else(|| after_prefix(&segments, "product"))
                .filter(|asin| asin.len() == 10 && asin.chars().all(|c| c.is_ascii_alphanumeric()))
                .map(str::to_ascii_uppercase),
            seller_id: None,
        },
        Marketplace::Ebay => Ids {
            product_id: after_prefix(&segments, "itm").and_then(|_| {
                segments
                    .iter()
                    .skip_while(|s| **s != "itm")
                    .skip(1)
                    .find(|s| is_digits(s))
                    .map(|s| (*s).to_owned())
            }),
            seller_id: None,
        },
    }
}

/// The product id in an Alibaba.com product path segment: `Title_60339405074.html`,
/// `60339405074.html`, or the bare id the mobile site puts before the title.
fn alibaba_product_page(segment: &str) -> Option<String> {
    match segment.strip_suffix(".html") {
        Some(page) => trailing_number(page, '_'),
        None => is_digits(segment).then(|| segment.to_owned()),
    }
}

/// What a URL without a product id shows, by the marketplace's URL scheme.
fn page_kind(marketplace: Marketplace, host: &str, url: &Url) -> PageKind {
    let segments: Vec<String> = url
        .path_segments()
        .map(|segments| {
            segments
                .filter(|s| !s.is_empty())
                .map(str::to_ascii_lowercase)
                .collect()
        })
        .unwrap_or_default();
    let first = segments.first().map(String::as_str).unwrap_or_default();
    let label = host.split('.').next().unwrap_or_default();
    let has = |name: &str| segments.iter().any(|s| s == name);
    let search = match marketplace {
        Marketplace::AlibabaCom => {
            matches!(
                first,
                "trade" | "search" | "showroom" | "products" | "catalog" | "category"
            )
        }
        Marketplace::AliExpress => {
            matches!(first, "w" | "wholesale" | "category" | "af" | "premium")
                || first.starts_with("wholesale")
        }
        Marketplace::Alibaba1688 | Marketplace::Taobao => label == "s" || has("search"),
        Marketplace::Tmall => label == "list" || has("search"),
        Marketplace::Lazada => matches!(first, "catalog" | "tag") || label == "search",
        Marketplace::Amazon => matches!(first, "s" | "b") || has("bestsellers"),
        Marketplace::Ebay => matches!(first, "sch" | "b" | "e"),
    };
    let store = match marketplace {
        Marketplace::AlibabaCom => {
            subdomain(host, "en.alibaba.com").is_some()
                || matches!(first, "company_profile.html" | "productlist.html" | "store")
        }
        Marketplace::AliExpress => first == "store",
        Marketplace::Alibaba1688 | Marketplace::Taobao | Marketplace::Tmall => {
            let domain = marketplace.domain_of(host).unwrap_or_default();
            subdomain(host, domain).is_some() || first == "shop"
        }
        Marketplace::Lazada => first == "shop",
        Marketplace::Amazon => matches!(first, "stores" | "sp"),
        Marketplace::Ebay => matches!(first, "str" | "usr"),
    };
    let product = match marketplace {
        Marketplace::AlibabaCom => matches!(first, "product-detail" | "product"),
        Marketplace::AliExpress => matches!(first, "item" | "i") || label == "a",
        Marketplace::Alibaba1688 => first == "offer",
        Marketplace::Taobao | Marketplace::Tmall => {
            matches!(label, "item" | "detail") || first.starts_with("item")
        }
        Marketplace::Lazada => first == "products",
        Marketplace::Amazon => has("dp") || has("product"),
        Marketplace::Ebay => first == "itm",
    };
    if product {
        PageKind::ProductWithoutId
    } else if search {
        PageKind::SearchResults
    } else if store {
        PageKind::StoreFront
    } else if segments.is_empty() || matches!(first, "index.html" | "index.htm" | "index.php") {
        PageKind::HomePage
    } else {
        PageKind::Other
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The path segment after the segment equal to `prefix`.
fn after_prefix<'a>(segments: &[&'a str], prefix: &str) -> Option<&'a str> {
    segments
        .iter()
        .position(|s| *s == prefix)
        .and_then(|i| segments.get(i + 1))
        .copied()
}

/// The digits after the last `separator` of `page` (or all of it when it is a number).
fn trailing_number(page: &str, separator: char) -> Option<String> {
    let tail = page.rsplit(separator).next()?;
    is_digits(tail).then(|| tail.to_owned())
}

/// The single label in front of `domain` in `host`, unless it is a generic host name.
fn subdomain(host: &str, domain: &str) -> Option<String> {
    let label = host.strip_suffix(domain)?.strip_suffix('.')?;
    let generic = [
        "www", "m", "detail", "item", "s", "login", "message", "offer", "work",
    ];
    (!label.is_empty() && !label.contains('.') && !generic.contains(&label))
        .then(|| label.to_owned())
}

#[cfg(test)]
mod tests;
