//! The conformance suite of evidence stores: every promise of
//! [`EvidenceStore`], as an async check. An implementation's
//! tests call [`run_all`] with a store (fresh or shared: checks use their own bytes).
// Assertions are what a conformance suite is made of.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use crate::evidence::{ContentHash, EvidenceStore};
use crate::ids::TenantId;

/// Runs every check on `store`.
pub async fn run_all(store: &dyn EvidenceStore) {
    kept_bytes_come_back(store).await;
    keeping_twice_is_one_copy(store).await;
    unknown_hashes_are_absent(store).await;
    large_and_empty_documents(store).await;
    racing_puts_of_the_same_bytes(store).await;
}

/// Bytes unique to one run of one check.
fn unique(what: &str) -> Vec<u8> {
    format!("{what} {}", TenantId::new()).into_bytes()
}

/// What is kept comes back byte for byte under its SHA-256.
pub async fn kept_bytes_come_back(store: &dyn EvidenceStore) {
    let bytes = unique("a saved listing page \u{0}\u{ff} with odd bytes");
    let hash = store.put(bytes.clone()).await.expect("kept");
    assert_eq!(
        hash,
        ContentHash::of_bytes(&bytes),
        "put returns the SHA-256"
    );
    assert_eq!(
        store.get(&hash).await.expect("read"),
        Some(bytes),
        "the same bytes come back"
    );
}

/// Keeping the same bytes again returns the same hash and changes nothing.
pub async fn keeping_twice_is_one_copy(store: &dyn EvidenceStore) {
    let bytes = unique("a certificate scan");
    let first = store.put(bytes.clone()).await.expect("kept");
    let second = store.put(bytes.clone()).await.expect("kept again");
    assert_eq!(first, second);
    assert_eq!(store.get(&first).await.expect("read"), Some(bytes));
}

/// A hash nothing was kept under is absent, not an error.
pub async fn unknown_hashes_are_absent(store: &dyn EvidenceStore) {
    let never = ContentHash::of_bytes(&unique("never kept"));
    assert_eq!(store.get(&never).await.expect("read"), None);
}

/// A few megabytes, and an empty document, are kept like anything else.
pub async fn large_and_empty_documents(store: &dyn EvidenceStore) {
    let mut large = unique("a large scan");
    large.extend(std::iter::repeat_n(0xA5u8, 3 * 1024 * 1024));
    let hash = store.put(large.clone()).await.expect("kept");
    assert_eq!(store.get(&hash).await.expect("read"), Some(large));
    let empty = store
        .put(Vec::new())
        .await
        .expect("an empty document is kept");
    assert_eq!(store.get(&empty).await.expect("read"), Some(Vec::new()));
}

/// Several writers keeping the same bytes at once all succeed with one copy.
pub async fn racing_puts_of_the_same_bytes(store: &dyn EvidenceStore) {
    let bytes = unique("a page two probes saw at once");
    let puts = (0..6).map(|_| store.put(bytes.clone()));
    let hashes = futures_join_all(puts).await;
    let expected = ContentHash::of_bytes(&bytes);
    for hash in hashes {
        assert_eq!(hash.expect("kept"), expected);
    }
    assert_eq!(store.get(&expected).await.expect("read"), Some(bytes));
}

/// Polls all futures to completion concurrently without depending on a runtime.
async fn futures_join_all<F: std::future::Future>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (future, output) in pinned.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none()
                && let std::task::Poll::Ready(value) = future.as_mut().poll(cx)
            {
                *output = Some(value);
            }
        }
        match outputs.iter().all(Option::is_some) {
            true => std::task::Poll::Ready(()),
            false => std::task::Poll::Pending,
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("polled to completion"))
        .collect()
}
