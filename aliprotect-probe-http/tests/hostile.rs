//! The probe against marketplaces that misbehave on purpose or by accident, each a raw TCP
//! server on 127.0.0.1: an endless page, a redirect loop, a server that drips one byte at a
//! time, and a page that is not UTF-8. Each answer comes within the probe's timeout, and no
//! page is read past the limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use aliprotect_core::listing::Listing;
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::probe::{ListingProbe, ProbeFinding};
use aliprotect_probe_http::{HttpProbe, HttpProbeConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server answering every connection with `answer`.
async fn server<F, Fut>(answer: F) -> String
where
    F: Fn(TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            tokio::spawn(answer(stream));
        }
    });
    address
}

fn probe(via: &str, timeout: Duration) -> HttpProbe {
    let mut config = HttpProbeConfig {
        timeout,
        per_host_interval: Duration::ZERO,
        via: Some(via.parse().unwrap()),
        max_page_bytes: 64 * 1024,
        ..HttpProbeConfig::default()
    };
    config
        .removed_markers
        .insert(Marketplace::AlibabaCom, vec!["no longer available".into()]);
    HttpProbe::new(config).unwrap()
}

fn listing() -> Listing {
    Listing::parse("https://www.alibaba.com/product-detail/Earbuds_1600123456789.html").unwrap()
}

/// What a probe through `via` with `timeout` finds of the listing, and how long it took.
async fn probe_listing(via: &str, timeout: Duration) -> (ProbeFinding, Duration) {
    let started = Instant::now();
    let finding = probe(via, timeout).probe(&listing()).await;
    (finding, started.elapsed())
}

#[tokio::test]
async fn an_endless_page_is_read_up_to_the_limit_only() {
    let via = server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>")
            .await;
        let chunk = vec![b'a'; 16 * 1024];
        // Without end, until the client hangs up.
        while stream.write_all(&chunk).await.is_ok() {}
    })
    .await;
    let (finding, took) = probe_listing(&via, Duration::from_secs(20)).await;
    assert_eq!(finding, ProbeFinding::Live, "the page's beginning decides");
    assert!(
        took < Duration::from_secs(5),
        "stopped at the limit, not at the timeout: {took:?}"
    );
}

#[tokio::test]
async fn an_endless_missing_page_is_removed_with_the_beginning_as_evidence() {
    let via = server(|mut stream| async move {
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\n\r\n").await;
        let chunk = vec![b'x'; 16 * 1024];
        while stream.write_all(&chunk).await.is_ok() {}
    })
    .await;
    let (finding, _) = probe_listing(&via, Duration::from_secs(20)).await;
    let ProbeFinding::Removed {
        evidence: Some(evidence),
    } = finding
    else {
        panic!("a 404 is a removal: {finding:?}");
    };
    let expected = aliprotect_core::evidence::ContentHash::of_bytes(&vec![b'x'; 64 * 1024]);
    assert_eq!(evidence.sha256, expected, "the first 64 KiB, exactly");
}

#[tokio::test]
async fn a_redirect_loop_cannot_tell() {
    let via = server(|mut stream| async move {
        let _ = stream
            .write_all(
                b"HTTP/1.1 302 Found\r\nLocation: /product-detail/Earbuds_1600123456789.html\r\nContent-Length: 0\r\n\r\n",
            )
            .await;
    })
    .await;
    let (finding, took) = probe_listing(&via, Duration::from_secs(10)).await;
    assert!(
        matches!(finding, ProbeFinding::Unknown { .. }),
        "{finding:?}"
    );
    assert!(took < Duration::from_secs(5));
}

#[tokio::test]
async fn a_server_dripping_bytes_is_cut_off_at_the_timeout() {
    let via = server(|mut stream| async move {
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            .await;
        for _ in 0..100_000 {
            if stream.write_all(b"a").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let (finding, took) = probe_listing(&via, Duration::from_millis(800)).await;
    assert!(
        matches!(finding, ProbeFinding::Unknown { .. }),
        "{finding:?}"
    );
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[tokio::test]
async fn a_page_that_is_not_utf8_is_still_read_for_the_marker() {
    let via = server(|mut stream| async move {
        let mut page = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=gbk\r\nContent-Length: 31\r\n\r\n\xff\xfe\xc0".to_vec();
        page.extend_from_slice(b" No longer available \xe4\xb8");
        page.extend_from_slice(&[b' '; 5]);
        let _ = stream.write_all(&page).await;
    })
    .await;
    let (finding, _) = probe_listing(&via, Duration::from_secs(5)).await;
    assert!(
        matches!(finding, ProbeFinding::Removed { .. }),
        "{finding:?}"
    );
}
