//! Streams of a kind the core does not define: a backend keeps, finds and counts them like
//! the core's own, since it only ever sees codes, keys and JSON.

use crate::store::CountQuery;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{assert_nothing, ungrouped_counts};
use crate::ids::TenantId;
use crate::store::{
    Commit, DomainEvent, ExtensionKind, ExtensionStream, Find, IndexKey, IndexName, Loaded,
    StatusChange, StatusCount, Store, StoreError, StreamId, StreamKind, StreamStatus,
    UniqueKeyChange, columns,
};

/// A note filed under a topic: the kind [`run_declared`](super::run_declared) checks every
/// backend with, at the lowest extension code (its [`Shadow`] takes the highest).
struct Note;

#[derive(Serialize, Deserialize)]
struct NoteState {
    topic: String,
    read: bool,
}

impl ExtensionStream for Note {
    const KIND: ExtensionKind = ExtensionKind::new(ExtensionKind::FIRST);
    type State = NoteState;

    fn status(state: &NoteState) -> u8 {
        u8::from(state.read)
    }

    fn index_keys(state: &NoteState) -> Vec<IndexKey> {
        vec![IndexKey::new(IndexName::new("topic"), state.topic.clone())]
    }
}

/// A note per number: three topics, every other note read.
fn note(n: u32) -> NoteState {
    NoteState {
        topic: format!("topic {}", n % 3),
        read: n % 2 == 1,
    }
}

/// [`any_stream_kind`] with a kind of the suite's own.
pub async fn streams_of_unknown_kinds(store: &dyn Store) {
    any_stream_kind::<Note>(store, note).await;
}

/// Another kind with the states of `K`: its streams take the ids of `K`'s, so that a backend
/// that told kinds apart by id alone, or lumped extension kinds together, shows it. Its code
/// is the highest there is (the one below for a `K` that has it).
struct Shadow<K>(std::marker::PhantomData<K>);

impl<K: ExtensionStream> ExtensionStream for Shadow<K> {
    const KIND: ExtensionKind = if K::KIND.code() == u8::MAX {
        ExtensionKind::new(u8::MAX - 1)
    } else {
        ExtensionKind::new(u8::MAX)
    };
    type State = K::State;

    fn status(state: &K::State) -> u8 {
        K::status(state)
    }

    fn index_keys(state: &K::State) -> Vec<IndexKey> {
        K::index_keys(state)
    }
}

/// A stream as the check committed it: its id, version, state as JSON and keys.
struct Written {
    stream: StreamId,
    version: u64,
    state: serde_json::Value,
    status: i16,
    keys: Vec<IndexKey>,
    steps: Vec<u32>,
}

/// Streams of the kind `K`, which the core and the backend have never heard of, go through
/// `store` like the core's own: each of seven streams of one tenant (states `sample(0..7)`,
/// then `sample(7..14)`) and one of another tenant loads as committed, with its events in
/// order; a stale commit is refused; `find` pages them in stream order, by every key and
/// status, and no query of another kind or tenant sees them, not even of another extension
/// kind whose streams have the same ids; `count` agrees per status and per index.
pub async fn any_stream_kind<K: ExtensionStream>(
    store: &dyn Store,
    sample: impl Fn(u32) -> K::State,
) {
    let tenant = TenantId::new();
    let stranger = TenantId::new();
    let mut written = Vec::new();
    for n in 0..7 {
        written.push(write::<K>(store, tenant, Err(Uuid::new_v4()), &sample(n), n).await);
    }
    let mut shadows = Vec::new();
    for (n, stream) in (7..).zip(written.iter_mut()) {
        let next = write::<K>(store, tenant, Ok(&*stream), &sample(n), n).await;
        *stream = next;
        let StreamId::Extension { id, .. } = stream.stream else {
            panic!("{} is not of an extension kind", stream.stream);
        };
        let shadow = write::<Shadow<K>>(store, tenant, Err(id), &sample(n + 7), n + 7).await;
        shadows.push(shadow.stream);
    }
    let theirs = write::<K>(store, stranger, Err(Uuid::new_v4()), &sample(0), 0).await;

    for stream in &written {
        let loaded = store.load(tenant, stream.stream).await.expect("load");
        let Some(Loaded { version, snapshot }) = loaded else {
            panic!("{}: committed, then not found", stream.stream);
        };
        assert_eq!(version, stream.version, "{}: its version", stream.stream);
        let state = K::state(&snapshot).expect("a snapshot of its kind");
        assert_eq!(
            serde_json::to_value(state).expect("json"),
            stream.state,
            "{}: loads as committed",
            stream.stream
        );
        let history = store.history(tenant, stream.stream).await.expect("history");
        let events: Vec<_> = history.into_iter().map(|e| (e.version, e.event)).collect();
        let expected: Vec<_> = (1..)
            .zip(&stream.steps)
            .map(|(version, step)| (version, step_event::<K>(*step)))
            .collect();
        assert_eq!(events, expected, "{}: its events in order", stream.stream);
        assert!(
            store
                .load(stranger, stream.stream)
                .await
                .expect("load")
                .is_none(),
            "{}: not another tenant's",
            stream.stream
        );
    }

    let first = &written[0];
    let mut stale = commit::<K>(tenant, first.stream, 0, &sample(20), 20, false);
    stale.expected_version = 1;
    match store.commit(stale).await {
        Err(StoreError::Conflict { .. }) => {}
        other => panic!("a stale commit to a stream of an unknown kind: {other:?}"),
    }
    // The engine fires only the core's timers: a timer here would be claimed and dropped.
    let mut timed = commit::<K>(tenant, first.stream, first.version, &sample(21), 21, false);
    timed.timers = vec![crate::store::Timer {
        tenant,
        stream: first.stream,
        kind: crate::store::TimerKind::CheckBack,
        due: crate::testkit::fixtures::now(),
    }];
    match store.commit(timed).await {
        Err(StoreError::Corrupt { .. }) => {}
        other => panic!("a timer on a stream of an unknown kind: {other:?}"),
    }

    let kind = StreamKind::Extension(K::KIND);
    let mut expected: Vec<StreamId> = written.iter().map(|w| w.stream).collect();
    expected.sort();
    let (mut seen, mut after) = (Vec::new(), None);
    loop {
        let mut page = Find::all(kind).limit(3);
        if let Some(after) = after {
            page = page.after(after);
        }
        let found = store.find(tenant, &page).await.expect("find");
        let Some((last, _)) = found.last() else {
            break;
        };
        after = Some(*last);
        seen.extend(found.into_iter().map(|(stream, _)| stream));
    }
    assert_eq!(seen, expected, "pages walk every stream once, in order");

    let mut by_key: BTreeMap<&IndexKey, Vec<StreamId>> = BTreeMap::new();
    let mut by_status: BTreeMap<i16, u64> = BTreeMap::new();
    let mut by_index: BTreeMap<(IndexName, String, i16), u64> = BTreeMap::new();
    for stream in &written {
        *by_status.entry(stream.status).or_default() += 1;
        for key in &stream.keys {
            by_key.entry(key).or_default().push(stream.stream);
            *by_index
                .entry((key.name, key.value.clone(), stream.status))
                .or_default() += 1;
        }
    }
    for (key, mut streams) in by_key {
        streams.sort();
        let found = store
            .find(tenant, &Find::all(kind).with_key(key.clone()))
            .await
            .expect("find by key");
        let found: Vec<StreamId> = found.into_iter().map(|(stream, _)| stream).collect();
        assert_eq!(
            found, streams,
            "the streams with {}={}",
            key.name, key.value
        );
    }
    for status in by_status.keys() {
        let mut in_status: Vec<StreamId> = written
            .iter()
            .filter(|w| w.status == *status)
            .map(|w| w.stream)
            .collect();
        in_status.sort();
        let query = Find::all(kind).in_status(status_of::<K>(*status));
        let found = store.find(tenant, &query).await.expect("find by status");
        let found: Vec<StreamId> = found.into_iter().map(|(stream, _)| stream).collect();
        assert_eq!(found, in_status, "the streams in status {status}");
    }
    for other_kind in [StreamKind::Right, StreamKind::Complaint, StreamKind::Power] {
        assert_nothing(
            store.find(tenant, &Find::all(other_kind)).await,
            &format!("a query of {other_kind:?} finds none of them"),
        );
    }
    let shadow_kind = StreamKind::Extension(Shadow::<K>::KIND);
    let found = store.find(tenant, &Find::all(shadow_kind)).await;
    let mut found: Vec<StreamId> = found.expect("find").into_iter().map(|(s, _)| s).collect();
    shadows.sort();
    found.sort();
    assert_eq!(
        found, shadows,
        "another extension kind finds its own streams only"
    );
    let found = store.find(stranger, &Find::all(kind)).await.expect("find");
    assert_eq!(
        found.into_iter().map(|(s, _)| s).collect::<Vec<_>>(),
        vec![theirs.stream],
        "another tenant sees its own stream only"
    );

    let counts = store
        .count(tenant, &CountQuery::of(kind))
        .await
        .expect("count");
    assert_eq!(counts, ungrouped_counts(by_status), "counts per status");
    let names: Vec<IndexName> = {
        let mut names: Vec<IndexName> = by_index.keys().map(|(name, ..)| *name).collect();
        names.dedup();
        names
    };
    for name in names {
        let all = CountQuery::of(kind);
        let grouped = store.count(tenant, &all.by(name)).await.expect("count");
        let expected: Vec<StatusCount> = by_index
            .iter()
            .filter(|((n, ..), _)| *n == name)
            .map(|((_, value, status), count)| StatusCount {
                group: Some(value.clone()),
                status: *status,
                count: *count,
            })
            .collect();
        assert_eq!(grouped, expected, "counts per {name} and status");
    }
}

/// The event numbered `step`, as stored.
fn step_event<K: ExtensionStream>(step: u32) -> DomainEvent {
    K::event(&json!({ "step": step })).expect("an event")
}

/// A status of `K` with stored code `code`.
fn status_of<K: ExtensionStream>(code: i16) -> StreamStatus {
    StreamStatus::Extension {
        kind: K::KIND,
        code: u8::try_from(code).expect("a status code"),
    }
}

/// The commit of event `step` taking a stream of `K` to `state`, from `version`.
fn commit<K: ExtensionStream>(
    tenant: TenantId,
    stream: StreamId,
    version: u64,
    state: &K::State,
    step: u32,
    first: bool,
) -> Commit {
    let StreamId::Extension { id, .. } = stream else {
        panic!("{stream} is not of an extension kind");
    };
    let snapshot = K::snapshot(tenant, id, state).expect("a snapshot");
    Commit {
        tenant,
        stream,
        expected_version: version,
        events: vec![step_event::<K>(step)],
        snapshot,
        outbox: Vec::new(),
        timers: Vec::new(),
        receipt: None,
        metrics: None,
        work: None,
        status: StatusChange {
            before: None,
            after: K::stream_status(state),
        },
        unique: UniqueKeyChange::default(),
        index: if first {
            K::index_keys(state)
        } else {
            Vec::new()
        },
    }
}

/// Commits `state` after `previous` (`Ok`), or to a new stream of `K` with id `Err(id)`.
async fn write<K: ExtensionStream>(
    store: &dyn Store,
    tenant: TenantId,
    previous: Result<&Written, Uuid>,
    state: &K::State,
    step: u32,
) -> Written {
    let (stream, version) = match previous {
        Ok(previous) => (previous.stream, previous.version),
        Err(id) => (K::stream(id), 0),
    };
    let mut commit = commit::<K>(tenant, stream, version, state, step, previous.is_err());
    if let Ok(previous) = previous {
        commit.status.before = Some(status_of::<K>(previous.status));
    }
    let (keys, mut steps) = match previous {
        Ok(previous) => (previous.keys.clone(), previous.steps.clone()),
        Err(_) => (commit.index.clone(), Vec::new()),
    };
    steps.push(step);
    store.commit(commit).await.expect("commit");
    Written {
        stream,
        version: version + 1,
        state: serde_json::to_value(state).expect("json"),
        status: columns::status_code(K::stream_status(state)),
        keys,
        steps,
    }
}
