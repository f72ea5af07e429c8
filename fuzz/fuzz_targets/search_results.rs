//! A marketplace's results page, any HTML at all: read without panicking, every listing
//! read is an absolute URL (what its link resolved to), and no title is empty.
#![no_main]

use std::sync::OnceLock;

use aliprotect::marketplace::Marketplace;
use aliprotect::search_http::{HttpSearch, HttpSearchConfig, ResultPage};
use libfuzzer_sys::fuzz_target;

fn search() -> &'static HttpSearch {
    static SEARCH: OnceLock<HttpSearch> = OnceLock::new();
    SEARCH.get_or_init(|| {
        let mut config = HttpSearchConfig::default();
        config.marketplaces.insert(
            Marketplace::AlibabaCom,
            ResultPage {
                url_template: "https://www.alibaba.com/trade/search?SearchText={keyword}&page={page}"
                    .into(),
                results: "div.results".into(),
                result: "div.results div.item".into(),
                link: "a".into(),
                title: Some("a.title".into()),
                seller: Some(".seller".into()),
                price: Some(".price".into()),
                next: Some("a.next".into()),
            },
        );
        HttpSearch::new(config).expect("a valid configuration")
    })
}

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let url = url::Url::parse("https://www.alibaba.com/trade/search?SearchText=x&page=1")
        .expect("a URL");
    if let Ok(page) = search().read_page(Marketplace::AlibabaCom, &url, &html) {
        for listing in &page.listings {
            url::Url::parse(&listing.url).expect("a listing's URL is absolute");
            assert!(listing.title.as_deref().is_none_or(|t| !t.is_empty()));
        }
    }
});
