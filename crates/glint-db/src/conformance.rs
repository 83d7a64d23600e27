//! The repository conformance suite: what every backend must do, written
//! once. A backend's test file runs it with
//! [`repository_conformance!`](crate::repository_conformance), giving it an
//! expression that yields a fresh, empty repository behind a pointer
//! (`Box`, `Arc`, or a guard that owns the repository's folder).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use glint_domain::image_query::{
    Comparison, ImageListQuery, MemberStatusFilter, SortDir, SortKey, TimeFilter, ValueFilter,
    Viewer, VisibilityFilter,
};
use glint_domain::{
    time, Error, Image, ImageLocation, ImageStatus, ImageUpdate, LocationStatus, MemberStatus,
    NewImage, OwnerUsage, Visibility,
};

mod concurrency;
mod tasks;
pub use concurrency::*;
pub use tasks::*;

use crate::{NamespaceQuery, Repository};
use glint_domain::metadef::{
    MetadefObject, MetadefProperty, MetadefTag, Namespace, NamespaceContents,
    ResourceTypeAssociation,
};

/// Generates one `#[tokio::test]` per conformance check for a backend.
#[macro_export]
macro_rules! repository_conformance {
    ($make:expr) => {
        $crate::repository_conformance!(@each $make;
            create_then_get_round_trips,
            duplicate_id_conflicts,
            missing_image_is_not_found,
            update_writes_base_properties_and_tags,
            update_purges_properties,
            update_is_compare_and_swap_on_status,
            touch_only_in_the_given_status,
            destroy_soft_deletes,
            tags_add_idempotently_and_delete,
            members_create_find_update,
            members_delete_and_re_add,
            list_visibility_for_projects,
            list_for_admin_sees_everything,
            list_filters,
            list_pages_through_every_sort_order,
            list_marker_must_be_visible,
            locations_are_recorded_and_scrubbed,
            owner_usage_counts_live_images,
            metadef_namespaces_round_trip_and_list,
            concurrent_status_updates_have_one_winner,
            concurrent_property_writes_lose_none,
            concurrent_tag_adds_lose_none,
            concurrent_member_creates_have_one_winner,
            concurrent_namespace_replaces_have_one_winner,
            tasks_round_trip_and_update,
            tasks_list_filters_sorts_pages_and_expire
        );
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let repo = $make;
                $crate::conformance::$name(&*repo).await;
            }
        )*
    };
}

pub(crate) fn new_image(owner: &str, name: Option<&str>, visibility: Visibility) -> Image {
    Image::from_new(
        uuid::Uuid::new_v4().to_string(),
        NewImage {
            name: name.map(str::to_string),
            owner: Some(owner.to_string()),
            visibility: Some(visibility),
            disk_format: Some("qcow2".into()),
            container_format: Some("bare".into()),
            ..NewImage::default()
        },
        time::now(),
    )
}

fn viewer(project: &str) -> Viewer {
    Viewer {
        project_id: Some(project.to_string()),
        is_admin: false,
    }
}

fn admin() -> Viewer {
    Viewer {
        project_id: Some("admin-project".into()),
        is_admin: true,
    }
}

async fn ids(repo: &dyn Repository, query: &ImageListQuery) -> Vec<String> {
    repo.image_get_all(query)
        .await
        .expect("list")
        .into_iter()
        .map(|i| i.id)
        .collect()
}

fn set(ids: &[&Image]) -> BTreeSet<String> {
    ids.iter().map(|i| i.id.clone()).collect()
}

pub async fn create_then_get_round_trips(repo: &dyn Repository) {
    let mut image = new_image("p1", Some("cirros"), Visibility::Private);
    image.min_disk = 3;
    image.min_ram = 512;
    image.protected = true;
    image.properties = BTreeMap::from([
        ("os_distro".to_string(), "cirros".to_string()),
        ("hw_disk_bus".to_string(), "virtio".to_string()),
    ]);
    image.tags = BTreeSet::from(["a".to_string(), "b".to_string()]);
    let created = repo.image_create(&image).await.expect("create");
    assert_eq!(created, image);
    let got = repo.image_get(&image.id, false).await.expect("get");
    assert_eq!(got, image);
}

pub async fn duplicate_id_conflicts(repo: &dyn Repository) {
    let image = new_image("p1", Some("x"), Visibility::Private);
    repo.image_create(&image).await.expect("create");
    let err = repo.image_create(&image).await.expect_err("duplicate");
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
}

pub async fn missing_image_is_not_found(repo: &dyn Repository) {
    let id = uuid::Uuid::new_v4().to_string();
    assert!(matches!(
        repo.image_get(&id, false).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        repo.image_destroy(&id).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        repo.image_tag_add(&id, "t").await,
        Err(Error::NotFound(_))
    ));
    let update = ImageUpdate::base(new_image("p1", None, Visibility::Private));
    assert!(matches!(
        repo.image_update(&update).await,
        Err(Error::NotFound(_))
    ));
}

pub async fn update_writes_base_properties_and_tags(repo: &dyn Repository) {
    let mut image = new_image("p1", Some("before"), Visibility::Private);
    image.properties.insert("keep".into(), "1".into());
    image.properties.insert("drop".into(), "2".into());
    image.tags.insert("old".into());
    let image = repo.image_create(&image).await.unwrap();

    let mut changed = image.clone();
    changed.name = Some("after".into());
    changed.min_disk = 10;
    changed.visibility = Visibility::Shared;
    let mut update = ImageUpdate::base(changed);
    update.set_properties.insert("new".into(), "3".into());
    update.remove_properties.insert("drop".into());
    update.tags = Some(BTreeSet::from(["fresh".to_string()]));
    let after = repo.image_update(&update).await.unwrap();

    assert_eq!(after.name.as_deref(), Some("after"));
    assert_eq!(after.min_disk, 10);
    assert_eq!(after.visibility, Visibility::Shared);
    assert_eq!(
        after.properties,
        BTreeMap::from([("keep".into(), "1".into()), ("new".into(), "3".into())])
    );
    assert_eq!(after.tags, BTreeSet::from(["fresh".to_string()]));
    assert!(after.updated_at >= image.updated_at);
    assert_eq!(after.created_at, image.created_at);

    // A removed property can come back.
    let mut update = ImageUpdate::base(after.clone());
    update.set_properties.insert("drop".into(), "again".into());
    let after = repo.image_update(&update).await.unwrap();
    assert_eq!(
        after.properties.get("drop").map(String::as_str),
        Some("again")
    );
}

pub async fn update_purges_properties(repo: &dyn Repository) {
    let mut image = new_image("p1", None, Visibility::Private);
    image.properties.insert("a".into(), "1".into());
    image.properties.insert("b".into(), "2".into());
    let image = repo.image_create(&image).await.unwrap();
    let mut update = ImageUpdate::base(image);
    update.set_properties.insert("b".into(), "20".into());
    update.purge_properties = true;
    let after = repo.image_update(&update).await.unwrap();
    assert_eq!(
        after.properties,
        BTreeMap::from([("b".into(), "20".into())])
    );
}

pub async fn update_is_compare_and_swap_on_status(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    let mut saving = image.clone();
    saving.status = ImageStatus::Saving;
    let mut first = ImageUpdate::base(saving.clone());
    first.from_state = Some(ImageStatus::Queued);
    repo.image_update(&first).await.expect("first writer wins");
    let err = repo
        .image_update(&first)
        .await
        .expect_err("second writer loses");
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert_eq!(
        repo.image_get(&image.id, false).await.unwrap().status,
        ImageStatus::Saving
    );
}

pub async fn touch_only_in_the_given_status(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", Some("before"), Visibility::Private))
        .await
        .unwrap();
    let mut saving = image.clone();
    saving.status = ImageStatus::Saving;
    let mut claim = ImageUpdate::base(saving);
    claim.from_state = Some(ImageStatus::Queued);
    let claimed = repo.image_update(&claim).await.unwrap();
    // A rename while the upload runs: the heartbeat must not undo it.
    let mut renamed = claimed.clone();
    renamed.name = Some("during".into());
    repo.image_update(&ImageUpdate::base(renamed))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    repo.image_touch(&image.id, ImageStatus::Saving)
        .await
        .expect("a saving image is touched");
    let touched = repo.image_get(&image.id, false).await.unwrap();
    assert!(
        touched.updated_at > claimed.updated_at,
        "updated_at moves on"
    );
    assert_eq!(touched.name.as_deref(), Some("during"));
    assert_eq!(touched.status, ImageStatus::Saving);

    let err = repo
        .image_touch(&image.id, ImageStatus::Queued)
        .await
        .expect_err("not queued");
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    repo.image_destroy(&image.id).await.unwrap();
    let err = repo
        .image_touch(&image.id, ImageStatus::Saving)
        .await
        .expect_err("gone");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
}

pub async fn destroy_soft_deletes(repo: &dyn Repository) {
    let mut image = new_image("p1", None, Visibility::Public);
    image.tags.insert("t".into());
    let image = repo.image_create(&image).await.unwrap();
    let gone = repo.image_destroy(&image.id).await.unwrap();
    assert!(gone.deleted);
    assert!(gone.deleted_at.is_some());
    assert_eq!(gone.status, ImageStatus::Deleted);
    assert!(matches!(
        repo.image_get(&image.id, false).await,
        Err(Error::NotFound(_))
    ));
    assert!(repo.image_get(&image.id, true).await.unwrap().deleted);
    let listed = ids(repo, &ImageListQuery::for_viewer(admin())).await;
    assert!(!listed.contains(&image.id));
    // Pending-delete keeps its status through the soft delete.
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Public))
        .await
        .unwrap();
    let mut pending = image.clone();
    pending.status = ImageStatus::PendingDelete;
    repo.image_update(&ImageUpdate::base(pending))
        .await
        .unwrap();
    let gone = repo.image_destroy(&image.id).await.unwrap();
    assert_eq!(gone.status, ImageStatus::PendingDelete);
}

pub async fn tags_add_idempotently_and_delete(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    repo.image_tag_add(&image.id, "x").await.unwrap();
    repo.image_tag_add(&image.id, "x").await.unwrap();
    repo.image_tag_add(&image.id, "y").await.unwrap();
    let got = repo.image_get(&image.id, false).await.unwrap();
    assert_eq!(got.tags, BTreeSet::from(["x".to_string(), "y".to_string()]));
    repo.image_tag_delete(&image.id, "x").await.unwrap();
    let err = repo
        .image_tag_delete(&image.id, "x")
        .await
        .expect_err("gone");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    repo.image_tag_add(&image.id, "x").await.unwrap();
    let got = repo.image_get(&image.id, false).await.unwrap();
    assert_eq!(got.tags.len(), 2);
}

pub async fn members_create_find_update(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Shared))
        .await
        .unwrap();
    let m = repo.image_member_create(&image.id, "p2").await.unwrap();
    assert_eq!(m.status, MemberStatus::Pending);
    let err = repo
        .image_member_create(&image.id, "p2")
        .await
        .expect_err("dup");
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    repo.image_member_create(&image.id, "p3").await.unwrap();
    assert_eq!(
        repo.image_member_find(&image.id, None, None)
            .await
            .unwrap()
            .len(),
        2
    );
    let m = repo
        .image_member_update(&image.id, "p2", MemberStatus::Accepted)
        .await
        .unwrap();
    assert_eq!(m.status, MemberStatus::Accepted);
    let accepted = repo
        .image_member_find(&image.id, None, Some(MemberStatus::Accepted))
        .await
        .unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].member, "p2");
    assert!(repo
        .image_member_update(&image.id, "p9", MemberStatus::Accepted)
        .await
        .is_err());
}

pub async fn members_delete_and_re_add(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Shared))
        .await
        .unwrap();
    repo.image_member_create(&image.id, "p2").await.unwrap();
    repo.image_member_update(&image.id, "p2", MemberStatus::Accepted)
        .await
        .unwrap();
    repo.image_member_delete(&image.id, "p2").await.unwrap();
    assert!(repo
        .image_member_find(&image.id, Some("p2"), None)
        .await
        .unwrap()
        .is_empty());
    let err = repo
        .image_member_delete(&image.id, "p2")
        .await
        .expect_err("already gone");
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    // Offered again, the membership starts over as pending.
    let again = repo.image_member_create(&image.id, "p2").await.unwrap();
    assert_eq!(again.status, MemberStatus::Pending);
    assert_eq!(
        repo.image_member_find(&image.id, None, None)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub async fn list_visibility_for_projects(repo: &dyn Repository) {
    let own_private = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    let own_community = repo
        .image_create(&new_image("p1", None, Visibility::Community))
        .await
        .unwrap();
    let public = repo
        .image_create(&new_image("p2", None, Visibility::Public))
        .await
        .unwrap();
    let other_private = repo
        .image_create(&new_image("p2", None, Visibility::Private))
        .await
        .unwrap();
    let community = repo
        .image_create(&new_image("p2", None, Visibility::Community))
        .await
        .unwrap();
    let shared_accepted = repo
        .image_create(&new_image("p2", None, Visibility::Shared))
        .await
        .unwrap();
    let shared_pending = repo
        .image_create(&new_image("p2", None, Visibility::Shared))
        .await
        .unwrap();
    let shared_other = repo
        .image_create(&new_image("p2", None, Visibility::Shared))
        .await
        .unwrap();
    repo.image_member_create(&shared_accepted.id, "p1")
        .await
        .unwrap();
    repo.image_member_update(&shared_accepted.id, "p1", MemberStatus::Accepted)
        .await
        .unwrap();
    repo.image_member_create(&shared_pending.id, "p1")
        .await
        .unwrap();
    let _ = (&other_private, &shared_other);

    let list = |v: Option<VisibilityFilter>, ms: MemberStatusFilter| {
        let mut q = ImageListQuery::for_viewer(viewer("p1"));
        q.filters.visibility = v;
        q.filters.member_status = ms;
        q
    };
    let got: BTreeSet<_> = ids(repo, &list(None, MemberStatusFilter::Accepted))
        .await
        .into_iter()
        .collect();
    assert_eq!(
        got,
        set(&[&own_private, &own_community, &public, &shared_accepted])
    );

    let got: BTreeSet<_> = ids(
        repo,
        &list(
            Some(VisibilityFilter::Only(Visibility::Community)),
            MemberStatusFilter::Accepted,
        ),
    )
    .await
    .into_iter()
    .collect();
    assert_eq!(got, set(&[&own_community, &community]));

    let got: BTreeSet<_> = ids(
        repo,
        &list(
            Some(VisibilityFilter::Only(Visibility::Private)),
            MemberStatusFilter::Accepted,
        ),
    )
    .await
    .into_iter()
    .collect();
    assert_eq!(got, set(&[&own_private]));

    let got: BTreeSet<_> = ids(
        repo,
        &list(
            Some(VisibilityFilter::Only(Visibility::Shared)),
            MemberStatusFilter::Pending,
        ),
    )
    .await
    .into_iter()
    .collect();
    assert_eq!(got, set(&[&shared_pending]));

    let got: BTreeSet<_> = ids(
        repo,
        &list(
            Some(VisibilityFilter::Only(Visibility::Shared)),
            MemberStatusFilter::All,
        ),
    )
    .await
    .into_iter()
    .collect();
    assert_eq!(got, set(&[&shared_accepted, &shared_pending]));

    let got: BTreeSet<_> = ids(
        repo,
        &list(Some(VisibilityFilter::All), MemberStatusFilter::Accepted),
    )
    .await
    .into_iter()
    .collect();
    assert_eq!(
        got,
        set(&[
            &own_private,
            &own_community,
            &public,
            &community,
            &shared_accepted
        ])
    );
}

pub async fn list_for_admin_sees_everything(repo: &dyn Repository) {
    let a = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    let b = repo
        .image_create(&new_image("p2", None, Visibility::Community))
        .await
        .unwrap();
    // As Glance: another project's community images only when asked for
    // (visibility=community or all), not in the default list.
    let got: BTreeSet<_> = ids(repo, &ImageListQuery::for_viewer(admin()))
        .await
        .into_iter()
        .collect();
    assert!(got.contains(&a.id) && !got.contains(&b.id));
    let mut q = ImageListQuery::for_viewer(admin());
    q.filters.visibility = Some(VisibilityFilter::All);
    let got: BTreeSet<_> = ids(repo, &q).await.into_iter().collect();
    assert!(got.contains(&a.id) && got.contains(&b.id));
    let mut q = ImageListQuery::for_viewer(admin());
    q.filters.visibility = Some(VisibilityFilter::Only(Visibility::Community));
    assert_eq!(ids(repo, &q).await, vec![b.id.clone()]);
}

pub async fn list_filters(repo: &dyn Repository) {
    let mut a = new_image("p1", Some("alpha"), Visibility::Private);
    a.size = Some(100);
    a.properties.insert("os_distro".into(), "ubuntu".into());
    a.tags = BTreeSet::from(["x".to_string(), "y".to_string()]);
    let a = repo.image_create(&a).await.unwrap();
    let mut b = new_image("p1", Some("beta, gamma"), Visibility::Private);
    b.size = Some(5000);
    b.created_at = a.created_at + Duration::seconds(10);
    b.updated_at = b.created_at;
    b.properties.insert("os_distro".into(), "fedora".into());
    b.checksum = Some("c0ffee".into());
    b.tags = BTreeSet::from(["x".to_string()]);
    let b = repo.image_create(&b).await.unwrap();
    let mut hidden = new_image("p1", Some("hidden"), Visibility::Private);
    hidden.os_hidden = true;
    let hidden = repo.image_create(&hidden).await.unwrap();

    let run = |edit: &dyn Fn(&mut ImageListQuery)| {
        let mut q = ImageListQuery::for_viewer(viewer("p1"));
        edit(&mut q);
        q
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let both = sorted(vec![a.id.clone(), b.id.clone()]);

    let q = run(&|q| q.filters.name = Some(ValueFilter::Eq("alpha".into())));
    assert_eq!(ids(repo, &q).await, vec![a.id.clone()]);
    let q = run(&|q| {
        q.filters.name = Some(ValueFilter::In(vec!["alpha".into(), "beta, gamma".into()]))
    });
    assert_eq!(sorted(ids(repo, &q).await), both);
    let q = run(&|q| {
        q.filters.properties = vec![("os_distro".into(), ValueFilter::Eq("fedora".into()))]
    });
    assert_eq!(ids(repo, &q).await, vec![b.id.clone()]);
    let q = run(&|q| q.filters.tags = vec!["x".into(), "y".into()]);
    assert_eq!(ids(repo, &q).await, vec![a.id.clone()]);
    let q = run(&|q| q.filters.tags = vec!["x".into()]);
    assert_eq!(sorted(ids(repo, &q).await), both);
    let q = run(&|q| q.filters.checksum = Some(ValueFilter::Eq("c0ffee".into())));
    assert_eq!(ids(repo, &q).await, vec![b.id.clone()]);
    let q = run(&|q| q.filters.os_hash_value = Some(ValueFilter::Eq("c0ffee".into())));
    assert!(ids(repo, &q).await.is_empty());
    let q = run(&|q| q.filters.size_min = Some(101));
    assert_eq!(ids(repo, &q).await, vec![b.id.clone()]);
    let q = run(&|q| q.filters.size_max = Some(100));
    assert_eq!(ids(repo, &q).await, vec![a.id.clone()]);
    let q = run(&|q| {
        q.filters.created_at = vec![TimeFilter {
            op: Comparison::Gt,
            at: a.created_at + Duration::seconds(5),
        }]
    });
    assert_eq!(ids(repo, &q).await, vec![b.id.clone()]);
    let q = run(&|q| q.filters.status = Some(ValueFilter::Eq("active".into())));
    assert!(ids(repo, &q).await.is_empty());
    let q = run(&|q| q.filters.os_hidden = Some(true));
    assert_eq!(ids(repo, &q).await, vec![hidden.id.clone()]);
    let q = run(&|q| q.filters.os_hidden = None);
    assert_eq!(ids(repo, &q).await.len(), 3);
    let q = run(&|q| q.filters.id = Some(ValueFilter::In(vec![a.id.clone(), hidden.id.clone()])));
    assert_eq!(ids(repo, &q).await, vec![a.id.clone()]);
}

pub async fn list_pages_through_every_sort_order(repo: &dyn Repository) {
    let base = time::now();
    let names = [
        Some("c"),
        None,
        Some("a"),
        Some("b"),
        Some("a"),
        None,
        Some("d"),
    ];
    for (i, name) in names.iter().enumerate() {
        let mut img = new_image("p1", *name, Visibility::Private);
        img.created_at = base + Duration::seconds((i % 3) as i64);
        img.updated_at = img.created_at;
        img.size = if i % 2 == 0 { Some(i as i64) } else { None };
        repo.image_create(&img).await.unwrap();
    }
    let orders = [
        vec![],
        vec![(SortKey::Name, SortDir::Asc)],
        vec![(SortKey::Name, SortDir::Desc)],
        vec![
            (SortKey::Size, SortDir::Asc),
            (SortKey::Name, SortDir::Desc),
        ],
        vec![(SortKey::CreatedAt, SortDir::Asc)],
        vec![(SortKey::Status, SortDir::Asc), (SortKey::Id, SortDir::Asc)],
    ];
    for order in orders {
        let mut all = ImageListQuery::for_viewer(viewer("p1"));
        all.sort = order.clone();
        let everything = ids(repo, &all).await;
        assert_eq!(everything.len(), names.len());
        let mut paged = vec![];
        let mut marker = None;
        loop {
            let mut q = all.clone();
            q.limit = Some(2);
            q.marker = marker.clone();
            let page = ids(repo, &q).await;
            if page.is_empty() {
                break;
            }
            marker = page.last().cloned();
            paged.extend(page);
        }
        assert_eq!(paged, everything, "paging with sort {order:?}");
    }
    // NULL is the smallest value on every engine: first ascending, last
    // descending.
    for (dir, null_first) in [(SortDir::Asc, true), (SortDir::Desc, false)] {
        let mut q = ImageListQuery::for_viewer(viewer("p1"));
        q.sort = vec![(SortKey::Name, dir)];
        let listed = repo.image_get_all(&q).await.unwrap();
        let names: Vec<Option<&str>> = listed.iter().map(|i| i.name.as_deref()).collect();
        let want = if null_first {
            vec![
                None,
                None,
                Some("a"),
                Some("a"),
                Some("b"),
                Some("c"),
                Some("d"),
            ]
        } else {
            vec![
                Some("d"),
                Some("c"),
                Some("b"),
                Some("a"),
                Some("a"),
                None,
                None,
            ]
        };
        assert_eq!(names, want, "name order {dir:?}");
    }
    // The default order is newest first.
    let listed = repo
        .image_get_all(&ImageListQuery::for_viewer(viewer("p1")))
        .await
        .unwrap();
    assert!(listed
        .windows(2)
        .all(|w| w[0].created_at >= w[1].created_at));
}

pub async fn list_marker_must_be_visible(repo: &dyn Repository) {
    let other = repo
        .image_create(&new_image("p2", None, Visibility::Private))
        .await
        .unwrap();
    let mut q = ImageListQuery::for_viewer(viewer("p1"));
    q.marker = Some(other.id.clone());
    assert!(matches!(
        repo.image_get_all(&q).await,
        Err(Error::NotFound(_))
    ));
    q.marker = Some(uuid::Uuid::new_v4().to_string());
    assert!(matches!(
        repo.image_get_all(&q).await,
        Err(Error::NotFound(_))
    ));
}

fn location(url: &str, store: &str) -> ImageLocation {
    let mut metadata = serde_json::Map::new();
    metadata.insert("store".into(), store.into());
    ImageLocation {
        url: url.to_string(),
        metadata,
        status: LocationStatus::Active,
    }
}

pub async fn locations_are_recorded_and_scrubbed(repo: &dyn Repository) {
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    repo.image_location_add(&image.id, &location("file:///a", "fast"))
        .await
        .unwrap();
    repo.image_location_add(&image.id, &location("file:///b", "slow"))
        .await
        .unwrap();
    let got = repo.image_get(&image.id, false).await.unwrap();
    assert_eq!(
        got.locations,
        vec![location("file:///a", "fast"), location("file:///b", "slow")]
    );
    assert_eq!(got.locations[0].store(), Some("fast"));
    let listed = repo
        .image_get_all(&ImageListQuery::for_viewer(viewer("p1")))
        .await
        .unwrap();
    assert_eq!(listed[0].locations.len(), 2);

    // Delayed delete: one location waits for the scrubber.
    repo.image_location_set_status(&image.id, "file:///a", LocationStatus::PendingDelete)
        .await
        .unwrap();
    repo.image_location_set_status(&image.id, "file:///b", LocationStatus::Deleted)
        .await
        .unwrap();
    assert_eq!(
        repo.image_get(&image.id, false)
            .await
            .unwrap()
            .locations
            .len(),
        1
    );
    assert!(
        repo.image_locations_pending_delete(time::now() + Duration::seconds(1))
            .await
            .unwrap()
            .is_empty(),
        "live images are not scrubbed"
    );
    repo.image_destroy(&image.id).await.unwrap();
    let before = time::now() - Duration::hours(1);
    assert!(repo
        .image_locations_pending_delete(before)
        .await
        .unwrap()
        .is_empty());
    let pending = repo
        .image_locations_pending_delete(time::now() + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].0, image.id);
    assert_eq!(pending[0].1.url, "file:///a");
    repo.image_location_set_status(&image.id, "file:///a", LocationStatus::Deleted)
        .await
        .unwrap();
    assert!(repo
        .image_locations_pending_delete(time::now() + Duration::seconds(1))
        .await
        .unwrap()
        .is_empty());
    // An update can record a location atomically with its status change.
    let image = repo
        .image_create(&new_image("p1", None, Visibility::Private))
        .await
        .unwrap();
    let mut active = image.clone();
    active.status = ImageStatus::Active;
    let mut update = ImageUpdate::base(active);
    update.from_state = Some(ImageStatus::Queued);
    update.add_locations.push(location("file:///c", "fast"));
    let after = repo.image_update(&update).await.unwrap();
    assert_eq!(after.locations, vec![location("file:///c", "fast")]);
    assert!(repo.image_update(&update).await.is_err());
    assert_eq!(
        repo.image_get(&image.id, false)
            .await
            .unwrap()
            .locations
            .len(),
        1
    );

    let missing = uuid::Uuid::new_v4().to_string();
    assert!(matches!(
        repo.image_location_add(&missing, &location("file:///c", "fast"))
            .await,
        Err(Error::NotFound(_))
    ));
}

pub async fn owner_usage_counts_live_images(repo: &dyn Repository) {
    for (size, status) in [
        (Some(100), ImageStatus::Active),
        (Some(50), ImageStatus::Active),
        (None, ImageStatus::Queued),
        (None, ImageStatus::Saving),
        (Some(7), ImageStatus::Uploading),
        (Some(5), ImageStatus::Importing),
    ] {
        let mut img = new_image("quota-owner", None, Visibility::Private);
        img.size = size;
        img.status = status;
        repo.image_create(&img).await.unwrap();
    }
    let mut gone = new_image("quota-owner", None, Visibility::Private);
    gone.size = Some(1000);
    let gone = repo.image_create(&gone).await.unwrap();
    repo.image_destroy(&gone.id).await.unwrap();
    let usage = repo.owner_usage("quota-owner").await.unwrap();
    assert_eq!(usage.stored_bytes, 162);
    assert_eq!(usage.staged_bytes, 12);
    assert_eq!(usage.image_count, 6);
    assert_eq!(usage.uploading_count, 3);
    assert_eq!(
        repo.owner_usage("nobody").await.unwrap(),
        OwnerUsage::default()
    );
}

pub(crate) fn namespace(
    name: &str,
    owner: &str,
    visibility: Visibility,
    types: &[&str],
) -> NamespaceContents {
    let now = time::now();
    NamespaceContents {
        namespace: Namespace {
            namespace: name.into(),
            display_name: Some(format!("{name} display")),
            description: None,
            visibility,
            protected: false,
            owner: owner.into(),
            created_at: now,
            updated_at: now,
        },
        associations: types
            .iter()
            .map(|t| ResourceTypeAssociation {
                name: t.to_string(),
                prefix: Some("hw_".into()),
                properties_target: None,
                created_at: now,
                updated_at: now,
            })
            .collect(),
        properties: vec![MetadefProperty {
            name: "cpu_policy".into(),
            schema: serde_json::json!({"type": "string", "enum": ["shared", "dedicated"]})
                .as_object()
                .cloned()
                .unwrap(),
        }],
        objects: vec![MetadefObject {
            name: "CPU".into(),
            description: Some("cpu things".into()),
            required: vec!["cores".into()],
            properties: serde_json::json!({"cores": {"type": "integer"}})
                .as_object()
                .cloned()
                .unwrap(),
            created_at: now,
            updated_at: now,
        }],
        tags: vec![MetadefTag {
            name: "fast".into(),
            created_at: now,
            updated_at: now,
        }],
    }
}

pub async fn metadef_namespaces_round_trip_and_list(repo: &dyn Repository) {
    let a = namespace("OS::A", "p1", Visibility::Public, &["OS::Glance::Image"]);
    repo.metadef_namespace_create(&a).await.unwrap();
    let err = repo.metadef_namespace_create(&a).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    let got = repo.metadef_namespace_get("OS::A").await.unwrap();
    assert_eq!(got.namespace.display_name, a.namespace.display_name);
    assert_eq!(got.associations[0].name, "OS::Glance::Image");
    assert_eq!(got.associations[0].prefix.as_deref(), Some("hw_"));
    assert_eq!(got.properties, a.properties);
    assert_eq!(got.objects[0].required, vec!["cores".to_string()]);
    assert_eq!(got.objects[0].properties, a.objects[0].properties);
    assert_eq!(got.tags[0].name, "fast");

    repo.metadef_namespace_create(&namespace(
        "OS::B",
        "p2",
        Visibility::Private,
        &["OS::Nova::Flavor"],
    ))
    .await
    .unwrap();
    repo.metadef_namespace_create(&namespace("OS::C", "p1", Visibility::Private, &[]))
        .await
        .unwrap();
    let query = |project: &str| NamespaceQuery {
        viewer: Viewer {
            project_id: Some(project.into()),
            is_admin: false,
        },
        visibility: None,
        resource_types: vec![],
        sort_key: "namespace".into(),
        sort_asc: true,
        marker: None,
        limit: None,
    };
    let names = |list: Vec<(Namespace, Vec<ResourceTypeAssociation>)>| -> Vec<String> {
        list.into_iter().map(|(n, _)| n.namespace).collect()
    };
    assert_eq!(
        names(repo.metadef_namespace_list(&query("p1")).await.unwrap()),
        vec!["OS::A", "OS::C"]
    );
    let mut by_type = query("p2");
    by_type.resource_types = vec!["OS::Nova::Flavor".into()];
    assert_eq!(
        names(repo.metadef_namespace_list(&by_type).await.unwrap()),
        vec!["OS::B"]
    );
    let mut page = query("p1");
    page.limit = Some(1);
    page.marker = Some("OS::A".into());
    assert_eq!(
        names(repo.metadef_namespace_list(&page).await.unwrap()),
        vec!["OS::C"]
    );

    let types: Vec<String> = repo
        .metadef_resource_types()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(types.contains(&"OS::Glance::Image".to_string()));

    // Replace: a compare-and-swap on updated_at; renames keep the row.
    let mut changed = repo.metadef_namespace_get("OS::C").await.unwrap();
    let seen = changed.namespace.updated_at;
    changed.namespace.namespace = "OS::C2".into();
    changed.namespace.updated_at = seen + Duration::seconds(1);
    changed.tags.clear();
    changed.properties[0].name = "cpu_thread_policy".into();
    repo.metadef_namespace_replace("OS::C", seen, &changed)
        .await
        .unwrap();
    let got = repo.metadef_namespace_get("OS::C2").await.unwrap();
    assert!(got.tags.is_empty());
    assert_eq!(got.properties[0].name, "cpu_thread_policy");
    assert!(matches!(
        repo.metadef_namespace_get("OS::C").await,
        Err(Error::NotFound(_))
    ));
    let stale = repo
        .metadef_namespace_replace("OS::C2", seen, &changed)
        .await
        .unwrap_err();
    assert!(matches!(stale, Error::Conflict(_)), "{stale:?}");
    let mut clash = got.clone();
    clash.namespace.namespace = "OS::B".into();
    let taken = repo
        .metadef_namespace_replace("OS::C2", got.namespace.updated_at, &clash)
        .await
        .unwrap_err();
    assert!(matches!(taken, Error::Conflict(_)), "{taken:?}");

    repo.metadef_namespace_delete("OS::A").await.unwrap();
    assert!(matches!(
        repo.metadef_namespace_get("OS::A").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        repo.metadef_namespace_delete("OS::A").await,
        Err(Error::NotFound(_))
    ));
}
