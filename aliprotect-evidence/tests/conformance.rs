//! Both evidence stores pass the evidence conformance suite, and detect damaged files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use aliprotect_core::evidence::{ContentHash, EvidenceError, EvidenceStore};
use aliprotect_core::testkit::evidence;
use aliprotect_evidence::{DirectoryEvidence, ObjectStoreEvidence};

#[tokio::test]
async fn a_directory_passes_the_evidence_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirectoryEvidence::open(dir.path().join("evidence")).unwrap();
    evidence::run_all(&store).await;
    // A second handle on the same directory (another process) sees what the first kept.
    let other = DirectoryEvidence::open(dir.path().join("evidence")).unwrap();
    let hash = store.put(b"seen by both".to_vec()).await.unwrap();
    assert_eq!(
        other.get(&hash).await.unwrap(),
        Some(b"seen by both".to_vec())
    );
}

#[tokio::test]
async fn object_stores_in_memory_and_on_local_files_pass_the_evidence_suite() {
    let memory = ObjectStoreEvidence::from_url("memory:///").unwrap();
    evidence::run_all(&memory).await;
    let dir = tempfile::tempdir().unwrap();
    let local = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
    let local = ObjectStoreEvidence::new(Arc::new(local), "firm/evidence");
    evidence::run_all(&local).await;
}

#[tokio::test]
async fn a_damaged_file_is_reported_not_returned() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirectoryEvidence::open(dir.path()).unwrap();
    let hash = store.put(b"the original page".to_vec()).await.unwrap();
    std::fs::write(store.path_of(&hash), b"a tampered page").unwrap();
    match store.get(&hash).await {
        Err(EvidenceError::Corrupt {
            hash: stored,
            found,
        }) => {
            assert_eq!(stored, hash);
            assert_eq!(found, ContentHash::of_bytes(b"a tampered page"));
        }
        other => panic!("a damaged file must be reported, got {other:?}"),
    }
    // Kept again, the damaged copy is replaced by the right bytes.
    store.put(b"the original page".to_vec()).await.unwrap();
    assert_eq!(
        store.get(&hash).await.unwrap(),
        Some(b"the original page".to_vec())
    );
}

#[tokio::test]
async fn an_unknown_url_scheme_is_a_typed_error() {
    assert!(matches!(
        ObjectStoreEvidence::from_url("ftp://evidence.example/x"),
        Err(EvidenceError::Unavailable(_))
    ));
    assert!(ObjectStoreEvidence::from_url("not a url").is_err());
}
