use super::*;

fn key(url: &str) -> String {
    Listing::parse(url).unwrap().key.to_string()
}

#[test]
fn alibaba_product_id_and_store_are_taken_from_the_url() {
    let l = Listing::parse(
        "https://acme.en.alibaba.com/product/1600999.html?spm=a2700.shop_plgr.41413.1",
    )
    .unwrap();
    assert_eq!(l.seller_id.as_deref(), Some("acme"));
    assert_eq!(l.key.as_str(), "alibaba.com/product/1600999");
    assert_eq!(l.url.query(), None, "tracking stripped");
    let l = Listing::parse("https://www.alibaba.com/product-detail/_1601234567.html").unwrap();
    assert_eq!(l.product_id.as_deref(), Some("1601234567"));
    assert_eq!(l.seller_id, None);
}

#[test]
fn each_marketplace_yields_a_product_key() {
    let cases = [
        (
            "https://www.aliexpress.com/item/1005001234567890.html?algo_pvid=x",
            "aliexpress.com/product/1005001234567890",
        ),
        (
            "https://detail.1688.com/offer/612345678901.html",
            "1688.com/product/612345678901",
        ),
        (
            "https://item.taobao.com/item.htm?spm=a1z10&id=5566778899&ns=1",
            "taobao.com/product/5566778899",
        ),
        (
            "https://detail.tmall.com/item.htm?id=123456&skuId=9",
            "tmall.com/product/123456",
        ),
        (
            "https://www.lazada.com.my/products/earbuds-pro-i123456-s789.html",
            "lazada.com.my/product/i123456",
        ),
        (
            "https://www.amazon.de/Some-Title/dp/b0abcdefgh/ref=sr_1_1",
            "amazon.de/product/B0ABCDEFGH",
        ),
        (
            "https://www.ebay.com/itm/earbuds/1234567890?hash=x",
            "ebay.com/product/1234567890",
        ),
    ];
    for (url, expected) in cases {
        assert_eq!(key(url), expected, "{url}");
    }
}

#[test]
fn the_urls_people_paste_for_one_listing_share_its_key() {
    let desktop = "https://www.alibaba.com/product-detail/Title_60339405074.html";
    let same = [
        "https://m.alibaba.com/product/60339405074/Title.html",
        "https://m.alibaba.com/product/60339405074/Other-Title.html?spm=x#top",
        "https://m.alibaba.com/product/60339405074.html",
        "https://www.alibaba.com/product-detail/Title_60339405074.html/",
        "http://alibaba.com/product-detail/New-Title_60339405074.html?s_from=search",
        "https://french.alibaba.com/product-detail/Titre_60339405074.html",
        "https://spanish.alibaba.com/product-detail/Titulo_60339405074.html",
    ];
    for url in same {
        assert_eq!(key(url), key(desktop), "{url}");
    }
    assert_eq!(key(desktop), "alibaba.com/product/60339405074");
    assert_eq!(
        key("https://aliexpress.ru/item/1005001234567890.html"),
        key("https://es.aliexpress.com/item/1005001234567890.html?gatewayAdapt=glo2esp"),
    );
}

#[test]
fn pages_that_are_not_listings_are_refused_saying_what_they_are() {
    let page = |url: &str| match Listing::parse(url) {
        Err(ListingUrlError::NotAListing { page, .. }) => Some(page),
        other => panic!("{url}: {other:?}"),
    };
    let cases = [
        ("https://www.alibaba.com/", PageKind::HomePage),
        ("https://www.alibaba.com", PageKind::HomePage),
        (
            "https://www.alibaba.com/trade/search?SearchText=earbuds",
            PageKind::SearchResults,
        ),
        (
            "https://www.alibaba.com/showroom/earbuds.html",
            PageKind::SearchResults,
        ),
        ("https://acme.en.alibaba.com/", PageKind::StoreFront),
        (
            "https://acme.en.alibaba.com/productlist.html",
            PageKind::StoreFront,
        ),
        (
            "https://www.alibaba.com/product-detail/Wireless-Earbuds.html",
            PageKind::ProductWithoutId,
        ),
        (
            "https://www.aliexpress.com/w/wholesale-earbuds.html",
            PageKind::SearchResults,
        ),
        (
            "https://www.aliexpress.com/store/912345",
            PageKind::StoreFront,
        ),
        (
            "https://s.taobao.com/search?q=earbuds",
            PageKind::SearchResults,
        ),
        (
            "https://www.amazon.com/s?k=earbuds",
            PageKind::SearchResults,
        ),
        (
            "https://www.ebay.com/sch/i.html?_nkw=x",
            PageKind::SearchResults,
        ),
        ("https://www.alibaba.com/help/contact.html", PageKind::Other),
    ];
    for (url, expected) in cases {
        assert_eq!(page(url), Some(expected), "{url}");
    }
    let message = Listing::parse("https://www.alibaba.com/trade/search?SearchText=x")
        .unwrap_err()
        .to_string();
    assert!(message.contains("search results"), "{message}");
}

#[test]
fn bad_urls_are_typed_errors() {
    assert!(matches!(
        Listing::parse("not-a-url"),
        Err(ListingUrlError::Malformed(_))
    ));
    assert_eq!(
        Listing::parse("not a url"),
        Err(ListingUrlError::SpaceOrControl)
    );
    assert_eq!(
        Listing::parse(
            "https://www.alibaba.com/product-detail/A_1.html,unterminated\nhttps://www.alibaba.com/product-detail/B_2.html"
        ),
        Err(ListingUrlError::SpaceOrControl)
    );
    assert_eq!(
        Listing::parse("ftp://www.alibaba.com/x"),
        Err(ListingUrlError::UnsupportedScheme("ftp".into()))
    );
    assert_eq!(
        Listing::parse("https://127.0.0.1/product-detail/x_1.html"),
        Err(ListingUrlError::NoHostName)
    );
    assert_eq!(
        Listing::parse("https://shop.example.com/x"),
        Err(ListingUrlError::UnknownHost("shop.example.com".into()))
    );
    assert_eq!(
        Listing::parse_for(
            Marketplace::AlibabaCom,
            "https://www.aliexpress.com/item/1.html"
        ),
        Err(ListingUrlError::ForeignHost {
            host: "www.aliexpress.com".into(),
            expected: Marketplace::AlibabaCom
        })
    );
    let long = format!(
        "https://www.alibaba.com/{}",
        "a".repeat(Listing::MAX_URL_LEN)
    );
    assert!(matches!(
        Listing::parse(&long),
        Err(ListingUrlError::TooLong { .. })
    ));
}

#[test]
fn listings_round_trip_through_json() {
    let l = Listing::parse("https://acme.en.alibaba.com/product-detail/x_42.html").unwrap();
    let json = serde_json::to_string(&l).unwrap();
    assert_eq!(serde_json::from_str::<Listing>(&json).unwrap(), l);
}

#[test]
fn a_stored_listing_is_keyed_again_by_todays_rules() {
    let mobile =
        Listing::parse("https://m.alibaba.com/product/1600300001/wireless-earbuds.html").unwrap();
    let desktop =
        Listing::parse("https://www.alibaba.com/product-detail/Earbuds_1600300001.html").unwrap();
    // As an earlier version recorded it: keyed by its path, no product id.
    let mut stored = serde_json::to_value(&mobile).unwrap();
    stored["key"] = "alibaba.com/product/1600300001/wireless-earbuds.html".into();
    stored["product_id"] = serde_json::Value::Null;
    let read: Listing = serde_json::from_value(stored).unwrap();
    assert_eq!(read.key, desktop.key);
    assert_eq!(read.product_id.as_deref(), Some("1600300001"));
    assert_eq!(read.url, mobile.url, "the recorded URL is kept");

    // A URL today's rules do not read as a listing keeps the key it was filed under.
    let mut stored = serde_json::to_value(&desktop).unwrap();
    stored["url"] = "https://www.alibaba.com/".into();
    stored["key"] = "alibaba.com/legacy".into();
    let read: Listing = serde_json::from_value(stored).unwrap();
    assert_eq!(read.key.as_str(), "alibaba.com/legacy");
}
