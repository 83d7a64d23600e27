//! Concurrent writers: what several API nodes sharing one database rely
//! on. Each check starts its writers together (one future each, joined),
//! so that on a server engine they hold separate connections and meet in
//! the database; an engine error (a deadlock, say) fails the check as
//! surely as a lost write does.

use futures_util::future::join_all;
use glint_domain::{time, Error, ImageStatus, ImageUpdate, Result, Visibility};

use super::{namespace, new_image};
use crate::Repository;

const WRITERS: usize = 8;

/// The index of the one `Ok` among `results`; every other is `Conflict`.
fn one_winner<T: std::fmt::Debug>(results: &[Result<T>]) -> usize {
    let winners: Vec<usize> = (0..results.len()).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(winners.len(), 1, "exactly one writer wins: {results:?}");
    for r in results {
        if let Err(e) = r {
            assert!(matches!(e, Error::Conflict(_)), "losers conflict: {e:?}");
        }
    }
    winners[0]
}

pub async fn concurrent_status_updates_have_one_winner(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    let updates: Vec<ImageUpdate> = (0..WRITERS)
        .map(|i| {
            let mut saving = image.clone();
            saving.status = ImageStatus::Saving;
            saving.name = Some(format!("writer {i}"));
            let mut update = ImageUpdate::base(saving);
            update.from_state = Some(ImageStatus::Queued);
            update
        })
        .collect();
    let results = join_all(updates.iter().map(|u| repo.image_update(u))).await;
    let winner = one_winner(&results);
    let stored = repo.image_get(&image.id, false).await.unwrap();
    assert_eq!(stored.status, ImageStatus::Saving);
    assert_eq!(stored.name, Some(format!("writer {winner}")));
}

pub async fn concurrent_property_writes_lose_none(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    let updates: Vec<ImageUpdate> = (0..WRITERS)
        .map(|i| {
            let mut update = ImageUpdate::base(image.clone());
            update
                .set_properties
                .insert(format!("p{i}"), format!("v{i}"));
            update.set_properties.insert("shared".into(), "x".into());
            update
        })
        .collect();
    for r in join_all(updates.iter().map(|u| repo.image_update(u))).await {
        r.expect("every property writer succeeds");
    }
    let stored = repo.image_get(&image.id, false).await.unwrap();
    for i in 0..WRITERS {
        assert_eq!(
            stored.properties.get(&format!("p{i}")),
            Some(&format!("v{i}"))
        );
    }
    assert_eq!(stored.properties.len(), WRITERS + 1);
}

pub async fn concurrent_tag_adds_lose_none(repo: &dyn Repository) {
    let mut images = Vec::new();
    for _ in 0..WRITERS {
        let image = new_image("p1", None, Visibility::Private);
        images.push(repo.image_create(&image).await.unwrap());
    }
    let tags: Vec<String> = (0..WRITERS)
        .map(|i| format!("t{i}"))
        .chain((0..WRITERS).map(|_| "same".to_string()))
        .collect();
    let results = join_all(
        images
            .iter()
            .flat_map(|image| tags.iter().map(move |t| repo.image_tag_add(&image.id, t))),
    )
    .await;
    for r in results {
        r.expect("every tag writer succeeds");
    }
    for image in &images {
        let stored = repo.image_get(&image.id, false).await.unwrap();
        assert_eq!(stored.tags.len(), WRITERS + 1, "{:?}", stored.tags);
        // The tag everyone added is gone after one delete. (Duplicate live
        // rows would not show through the trait, but Glance lists them;
        // the server engines take the image's row lock to prevent them.)
        repo.image_tag_delete(&image.id, "same").await.unwrap();
        let stored = repo.image_get(&image.id, false).await.unwrap();
        assert!(!stored.tags.contains("same"), "{:?}", stored.tags);
    }
}

pub async fn concurrent_member_creates_have_one_winner(repo: &dyn Repository) {
    // Several images at once, so that the writers' check-then-insert steps
    // overlap often enough for a race to show.
    let mut images = Vec::new();
    for _ in 0..WRITERS {
        let image = new_image("p1", None, Visibility::Shared);
        images.push(repo.image_create(&image).await.unwrap());
    }
    let results =
        join_all(images.iter().flat_map(|image| {
            (0..WRITERS).map(move |_| repo.image_member_create(&image.id, "p2"))
        }))
        .await;
    for (image, results) in images.iter().zip(results.chunks(WRITERS)) {
        one_winner(results);
        let members = repo.image_member_find(&image.id, None, None).await.unwrap();
        assert_eq!(members.len(), 1, "{members:?}");
    }
}

pub async fn concurrent_namespace_replaces_have_one_winner(repo: &dyn Repository) {
    repo.metadef_namespace_create(&namespace("OS::R", "p1", Visibility::Public, &[]))
        .await
        .unwrap();
    let seen = repo.metadef_namespace_get("OS::R").await.unwrap();
    let expected = seen.namespace.updated_at;
    let writes: Vec<_> = (0..WRITERS)
        .map(|i| {
            let mut changed = seen.clone();
            changed.namespace.display_name = Some(format!("writer {i}"));
            changed.namespace.updated_at = time::now();
            changed
        })
        .collect();
    let results = join_all(
        writes
            .iter()
            .map(|c| repo.metadef_namespace_replace("OS::R", expected, c)),
    )
    .await;
    let winner = one_winner(&results);
    let stored = repo.metadef_namespace_get("OS::R").await.unwrap();
    assert_eq!(
        stored.namespace.display_name,
        Some(format!("writer {winner}"))
    );
    assert!(stored.namespace.updated_at > expected);
}
