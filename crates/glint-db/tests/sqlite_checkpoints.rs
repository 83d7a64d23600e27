//! WAL checkpoints on a file database: the writer connection never
//! checkpoints by itself, so these prove that the checkpointer does.

use std::time::{Duration, Instant};

use glint_db::sqlite::SqliteRepository;
use glint_db::Repository;
use glint_domain::image::NewImage;
use glint_domain::{time, Image, Visibility};

fn image(n: usize) -> Image {
    Image::from_new(
        uuid::Uuid::new_v4().to_string(),
        NewImage {
            name: Some(format!("image-{n}-{}", "x".repeat(200))),
            owner: Some("project".into()),
            visibility: Some(Visibility::Private),
            ..NewImage::default()
        },
        time::now(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_reach_the_database_file_without_a_checkpoint_by_anyone_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("glint.sqlite");
    let repo = SqliteRepository::open(Some(&path)).await.expect("open");
    let before = std::fs::metadata(&path).expect("database file").len();

    let first = repo.image_create(&image(0)).await.expect("create");
    for n in 1..2000 {
        repo.image_create(&image(n)).await.expect("create");
    }

    // Until a checkpoint copies them, new pages live in the WAL only.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = std::fs::metadata(&path).expect("database file").len();
        if now > before + 200 * 1024 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the database file stayed at {now} bytes (was {before}): no checkpoint ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And they are still there, read through the readers.
    let last = repo.image_get(&first.id, false).await.expect("first image");
    assert_eq!(last.id, first.id);
}
