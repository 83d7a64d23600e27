//! The store conformance suite: what every backend must do, written once.
//! A backend's test file runs it with
//! [`store_conformance!`](crate::store_conformance), giving it an
//! expression that yields a fresh, empty [`StoreUnderTest`].

use std::io;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use glint_domain::Error;
use sha2::{Digest, Sha256};

use crate::{ByteRange, ByteStream, Store};

/// A store with a way to look at everything it keeps.
#[async_trait]
pub trait StoreUnderTest: Send + Sync {
    fn store(&self) -> &dyn Store;

    /// Everything the store holds: objects and partial uploads, by name.
    async fn contents(&self) -> Vec<String>;

    /// An upload this big spans several parts (S3 multipart uploads).
    fn large_size(&self) -> usize {
        23 * 1024 * 1024 + 17
    }
}

/// Generates one `#[tokio::test]` per conformance check for a backend.
#[macro_export]
macro_rules! store_conformance {
    ($make:expr) => {
        $crate::store_conformance!(@each $make;
            add_then_get_round_trips,
            empty_image_round_trips,
            ranges_read_parts,
            delete_removes_and_is_idempotent,
            missing_object_is_not_found,
            failing_stream_leaves_nothing,
            dropped_add_leaves_nothing,
            large_object_round_trips,
            concurrent_adds_keep_their_own_bytes
        );
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let fixture = $make;
                $crate::conformance::$name(&fixture).await;
            }
        )*
    };
}

fn image_id() -> String {
    format!("{:032x}", rand_u128())
}

fn rand_u128() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    let a = h.finish();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(a);
    (u128::from(a) << 64) | u128::from(h.finish())
}

/// Deterministic bytes: `len` of them, varied enough that misplaced parts
/// show.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_left(u32::from(seed) % 31) as u8
                ^ seed
        })
        .collect()
}

/// `data` as a stream of uneven chunks.
pub fn stream_of(data: Vec<u8>, chunk: usize) -> ByteStream {
    let data = Bytes::from(data);
    let chunks: Vec<io::Result<Bytes>> = (0..data.len())
        .step_by(chunk.max(1))
        .map(|at| Ok(data.slice(at..(at + chunk).min(data.len()))))
        .collect();
    // `unfold` panics when polled after its end, as the API's body stream
    // does: stores must not read past the end.
    Box::pin(futures_util::stream::unfold(
        chunks.into_iter(),
        |mut chunks| async move { chunks.next().map(|c| (c, chunks)) },
    ))
}

async fn read_all(mut s: ByteStream) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(chunk) = s.next().await {
        out.extend_from_slice(&chunk.expect("the stream yields bytes"));
    }
    out
}

async fn get_all(store: &dyn Store, location: &str, range: Option<ByteRange>) -> Vec<u8> {
    read_all(store.get(location, range).await.expect("get succeeds")).await
}

async fn assert_empty(t: &dyn StoreUnderTest) {
    // Aborts of dropped uploads run in the background: give them a moment.
    let mut left = Vec::new();
    for _ in 0..50 {
        left = t.contents().await;
        if left.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the store still holds {left:?}");
}

pub async fn add_then_get_round_trips(t: &dyn StoreUnderTest) {
    let store = t.store();
    let data = pattern(300_001, 1);
    let id = image_id();
    let obj = store
        .add(&id, stream_of(data.clone(), 65_537))
        .await
        .unwrap();
    assert_eq!(obj.size, data.len() as u64);
    assert!(
        obj.location.contains(&id),
        "{} names the image",
        obj.location
    );
    assert_eq!(get_all(store, &obj.location, None).await, data);
    store.delete(&obj.location).await.unwrap();
    assert_empty(t).await;
}

pub async fn empty_image_round_trips(t: &dyn StoreUnderTest) {
    let store = t.store();
    let obj = store.add(&image_id(), stream_of(vec![], 1)).await.unwrap();
    assert_eq!(obj.size, 0);
    assert!(get_all(store, &obj.location, None).await.is_empty());
    store.delete(&obj.location).await.unwrap();
}

pub async fn ranges_read_parts(t: &dyn StoreUnderTest) {
    let store = t.store();
    let data = pattern(100_000, 2);
    let obj = store
        .add(&image_id(), stream_of(data.clone(), 4096))
        .await
        .unwrap();
    for (start, end) in [
        (0u64, 0u64),
        (10, 19),
        (99_000, 99_999),
        (0, 99_999),
        (4095, 4097),
    ] {
        let got = get_all(store, &obj.location, Some(ByteRange { start, end })).await;
        assert_eq!(
            got,
            data[start as usize..=end as usize],
            "range {start}-{end}"
        );
    }
    store.delete(&obj.location).await.unwrap();
}

pub async fn delete_removes_and_is_idempotent(t: &dyn StoreUnderTest) {
    let store = t.store();
    let keep = store
        .add(&image_id(), stream_of(pattern(10, 3), 3))
        .await
        .unwrap();
    let gone = store
        .add(&image_id(), stream_of(pattern(10, 4), 3))
        .await
        .unwrap();
    store.delete(&gone.location).await.unwrap();
    store.delete(&gone.location).await.unwrap();
    assert!(matches!(
        store.get(&gone.location, None).await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(get_all(store, &keep.location, None).await, pattern(10, 3));
    assert_eq!(t.contents().await.len(), 1);
    store.delete(&keep.location).await.unwrap();
    assert_empty(t).await;
}

pub async fn missing_object_is_not_found(t: &dyn StoreUnderTest) {
    let store = t.store();
    let obj = store
        .add(&image_id(), stream_of(pattern(5, 5), 5))
        .await
        .unwrap();
    let missing = obj
        .location
        .replace(&obj.location[obj.location.len() - 32..], &image_id());
    match store.get(&missing, None).await {
        Err(Error::NotFound(_)) => {}
        Err(e) => panic!("expected NotFound, got {e:?}"),
        Ok(_) => panic!("expected NotFound, got data"),
    }
    match store
        .get(&missing, Some(ByteRange { start: 0, end: 1 }))
        .await
    {
        Err(Error::NotFound(_)) => {}
        Err(e) => panic!("expected NotFound, got {e:?}"),
        Ok(_) => panic!("expected NotFound, got data"),
    }
    store.delete(&missing).await.unwrap();
    store.delete(&obj.location).await.unwrap();
}

pub async fn failing_stream_leaves_nothing(t: &dyn StoreUnderTest) {
    let store = t.store();
    for size in [1000, t.large_size()] {
        let good = stream_of(pattern(size, 6), 1 << 20);
        let failing: ByteStream = Box::pin(good.chain(futures_util::stream::iter([Err(
            io::Error::new(io::ErrorKind::UnexpectedEof, "client went away"),
        )])));
        match store.add(&image_id(), failing).await {
            Err(Error::InvalidInput(_)) => {}
            other => panic!("expected InvalidInput, got {:?}", other.map(|o| o.location)),
        }
        assert_empty(t).await;
    }
}

pub async fn dropped_add_leaves_nothing(t: &dyn StoreUnderTest) {
    let store = t.store();
    // A stream that gives some bytes, then never ends: the upload is
    // cancelled midway, as when a request's connection drops.
    let start = stream_of(pattern(t.large_size(), 7), 1 << 20);
    let stuck: ByteStream = Box::pin(start.chain(futures_util::stream::pending()));
    let id = image_id();
    let add = store.add(&id, stuck);
    assert!(tokio::time::timeout(Duration::from_secs(3), add)
        .await
        .is_err());
    // What a crash would leave, the service removes once it knows the
    // writer is gone.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listed = store.partial_writes().await.unwrap();
    assert!(
        listed.iter().all(|p| p.image_id == id),
        "only this write is unfinished: {listed:?}"
    );
    for partial in &listed {
        store.remove_partial_write(partial).await.unwrap();
    }
    assert_empty(t).await;
    assert!(store.partial_writes().await.unwrap().is_empty());
}

pub async fn large_object_round_trips(t: &dyn StoreUnderTest) {
    let store = t.store();
    let size = t.large_size();
    let data = pattern(size, 8);
    let digest = Sha256::digest(&data);
    let obj = store
        .add(&image_id(), stream_of(data.clone(), 1_000_003))
        .await
        .unwrap();
    assert_eq!(obj.size, size as u64);
    assert_eq!(
        Sha256::digest(get_all(store, &obj.location, None).await),
        digest
    );
    // A range across the 5 MiB and 10 MiB marks (S3 part boundaries).
    for mark in [5usize << 20, 10 << 20] {
        let range = ByteRange {
            start: (mark - 100) as u64,
            end: (mark + 99) as u64,
        };
        let got = get_all(store, &obj.location, Some(range)).await;
        assert_eq!(got, data[mark - 100..mark + 100]);
    }
    store.delete(&obj.location).await.unwrap();
    assert_empty(t).await;
}

pub async fn concurrent_adds_keep_their_own_bytes(t: &dyn StoreUnderTest) {
    let store = t.store();
    let adds = (0..6u8).map(|seed| async move {
        let data = pattern(200_000 + usize::from(seed) * 1000, seed);
        let obj = store
            .add(&image_id(), stream_of(data.clone(), 8192))
            .await
            .unwrap();
        (obj, data)
    });
    let results = futures_util::future::join_all(adds).await;
    for (obj, data) in &results {
        assert_eq!(&get_all(store, &obj.location, None).await, data);
    }
    for (obj, _) in results {
        store.delete(&obj.location).await.unwrap();
    }
    assert_empty(t).await;
}
