//! The RPC carries the caller: what the registry refuses to a project
//! member whatever the API node asks, typed errors raised on the client
//! side as the domain's, and a registry that is down answered as
//! `Unavailable` with nothing written.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use glint_db::sqlite::SqliteRepository;
use glint_db::Repository;
use glint_domain::image_query::{ImageListQuery, Viewer};
use glint_domain::{time, Error, Image, ImageUpdate, MemberStatus, NewImage, Visibility};
use glint_http_client::Trust;
use glint_registry::caller::{acting_as, Headers};
use glint_registry::testing::RunningRegistry;
use glint_registry::RemoteRepository;

fn member_of(project: &str) -> Headers {
    vec![
        (
            HeaderName::from_static("x-project-id"),
            HeaderValue::from_str(project).unwrap(),
        ),
        (
            HeaderName::from_static("x-roles"),
            HeaderValue::from_static("member"),
        ),
    ]
}

fn image(owner: &str, visibility: Visibility) -> Image {
    Image::from_new(
        uuid::Uuid::new_v4().to_string(),
        NewImage {
            name: Some("img".into()),
            owner: Some(owner.into()),
            visibility: Some(visibility),
            ..NewImage::default()
        },
        time::now(),
    )
}

async fn registry() -> (RunningRegistry, Arc<SqliteRepository>) {
    let db = Arc::new(SqliteRepository::open(None).await.unwrap());
    (RunningRegistry::start(db.clone()).await, db)
}

#[tokio::test]
async fn a_member_acts_only_as_itself() {
    let (registry, db) = registry().await;
    let remote = registry.remote();
    let private = db
        .image_create(&image("p1", Visibility::Private))
        .await
        .unwrap();
    let public = db
        .image_create(&image("p1", Visibility::Public))
        .await
        .unwrap();
    let shared = db
        .image_create(&image("p1", Visibility::Shared))
        .await
        .unwrap();
    db.image_member_create(&shared.id, "p2").await.unwrap();

    acting_as(member_of("p2"), async {
        // Lists for another viewer, or as admin, are refused.
        let mut query = ImageListQuery::for_viewer(Viewer {
            project_id: Some("p2".into()),
            is_admin: true,
        });
        let err = remote.image_get_all(&query).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        query.viewer = Viewer {
            project_id: Some("p1".into()),
            is_admin: false,
        };
        let err = remote.image_get_all(&query).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        query.viewer.project_id = Some("p2".into());
        assert!(remote.image_get_all(&query).await.is_ok());

        // Others' private images do not exist; public and shared ones can
        // be read but not changed.
        let err = remote.image_get(&private.id, false).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        assert_eq!(remote.image_get(&public.id, false).await.unwrap(), public);
        assert_eq!(
            remote.image_get(&shared.id, false).await.unwrap().id,
            shared.id
        );
        let mut renamed = public.clone();
        renamed.name = Some("mine now".into());
        let err = remote
            .image_update(&ImageUpdate::base(renamed))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let err = remote.image_destroy(&public.id).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let err = remote.image_tag_add(&public.id, "t").await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        // Nor create for another project.
        let err = remote
            .image_create(&image("p1", Visibility::Private))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        // A member sets its own membership status, nobody else's.
        remote
            .image_member_update(&shared.id, "p2", MemberStatus::Accepted)
            .await
            .unwrap();
        let err = remote
            .image_member_update(&shared.id, "p3", MemberStatus::Accepted)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        // Its own images are its to change.
        let own = remote
            .image_create(&image("p2", Visibility::Private))
            .await
            .unwrap();
        remote.image_tag_add(&own.id, "t").await.unwrap();
        remote.image_destroy(&own.id).await.unwrap();
    })
    .await;
    // Nothing the member was refused happened.
    let stored = db.image_get(&public.id, false).await.unwrap();
    assert_eq!(stored, public);
}

#[tokio::test]
async fn a_refused_identity_is_unauthorized() {
    let (registry, _db) = registry().await;
    let headers = vec![(
        HeaderName::from_static("x-identity-status"),
        HeaderValue::from_static("Invalid"),
    )];
    let err = acting_as(headers, registry.remote().metadef_resource_types())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unauthorized(_)), "{err:?}");
}

#[tokio::test]
async fn a_registry_that_is_down_is_unavailable_and_nothing_is_written() {
    let (registry, db) = registry().await;
    let base = registry.base_url().to_string();
    drop(registry);
    // Give the aborted server a moment to close its listener.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let remote = RemoteRepository::new(&base, Duration::from_secs(5), &Trust::System).unwrap();
    let new = image("p1", Visibility::Private);
    let err = remote.image_create(&new).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
    assert!(matches!(
        db.image_get(&new.id, true).await,
        Err(Error::NotFound(_))
    ));
    // Nobody listening at all, too.
    let remote =
        RemoteRepository::new("http://127.0.0.1:9", Duration::from_secs(5), &Trust::System)
            .unwrap();
    let err = remote.image_get(&new.id, false).await.unwrap_err();
    assert!(matches!(err, Error::Unavailable(_)), "{err:?}");
}

fn task(owner: &str, image_id: Option<&str>) -> glint_domain::Task {
    let now = time::now();
    glint_domain::Task {
        id: uuid::Uuid::new_v4().to_string(),
        task_type: "api_image_import".into(),
        status: glint_domain::TaskStatus::Pending,
        owner: owner.into(),
        input: serde_json::Map::new(),
        result: None,
        message: String::new(),
        expires_at: None,
        created_at: now,
        updated_at: now,
        image_id: image_id.map(str::to_string),
        request_id: None,
        user_id: None,
        deleted: false,
        deleted_at: None,
    }
}

#[tokio::test]
async fn tasks_are_seen_by_their_owner_and_by_who_sees_their_image() {
    let (registry, db) = registry().await;
    let remote = registry.remote();
    let private = task("p1", None);
    db.task_create(&private).await.unwrap();
    let public_image = db
        .image_create(&image("p1", Visibility::Public))
        .await
        .unwrap();
    let on_public = task("p1", Some(&public_image.id));
    db.task_create(&on_public).await.unwrap();

    acting_as(member_of("p2"), async {
        let err = remote.task_get(&private.id).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        // Seen through the image, but not changed.
        assert_eq!(
            remote.task_get(&on_public.id).await.unwrap().id,
            on_public.id
        );
        let update = glint_domain::TaskUpdate::of(&on_public, time::now());
        let err = remote.task_update(&update).await.unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err:?}");
        // Every project's tasks only for admins; an image's for who sees it.
        let err = remote
            .task_get_all(&glint_domain::TaskQuery::default())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let of_image = glint_domain::TaskQuery {
            image_id: Some(public_image.id.clone()),
            ..Default::default()
        };
        assert_eq!(remote.task_get_all(&of_image).await.unwrap().len(), 1);
        let own = glint_domain::TaskQuery {
            owner: Some("p2".into()),
            ..Default::default()
        };
        assert!(remote.task_get_all(&own).await.unwrap().is_empty());
        let err = remote.task_create(&task("p1", None)).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
        let err = remote.task_delete_expired(time::now()).await.unwrap_err();
        assert!(matches!(err, Error::Forbidden(_)), "{err:?}");
    })
    .await;
    // The owner changes its own.
    acting_as(member_of("p1"), async {
        let mut update = glint_domain::TaskUpdate::of(&private, time::now());
        update.status = glint_domain::TaskStatus::Processing;
        remote.task_update(&update).await.unwrap();
    })
    .await;
}
