//! Moves WAL checkpoints off the writer.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses the
//! WAL's size threshold: that commit copies the WAL into the database file
//! and syncs it, while every write queued behind it waits. Measured with
//! the bench's create case, commits took half of the writer's time that
//! way. Here the writer connection has automatic checkpoints off; after
//! commits, a checkpointer with a connection of its own runs a PASSIVE
//! checkpoint, which never blocks the writer, and the sync happens on its
//! connection's thread.
//!
//! A PASSIVE checkpoint copies only frames no reader still needs, and the
//! WAL starts over only once everything was copied, so under unbroken load
//! the WAL could keep growing. When it passes [`WAL_LIMIT_FRAMES`] the
//! writer checkpoints itself, between two batches, as SQLite would.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::mpsc;

/// How long the checkpointer lets commits gather before it checkpoints.
const GATHER: Duration = Duration::from_millis(100);

/// WAL size (in pages) above which the writer checkpoints itself.
const WAL_LIMIT_FRAMES: i64 = 64 * 1024;

/// The writer's side: tells the checkpointer about commits.
pub(super) struct Checkpointer {
    commits: mpsc::Sender<()>,
    wal_frames: Arc<AtomicI64>,
}

impl Checkpointer {
    /// Starts checkpointing through `pool` (a connection of its own) on the
    /// current runtime; it stops when the returned handle is dropped.
    pub(super) fn start(pool: SqlitePool) -> Checkpointer {
        let (commits, pending) = mpsc::channel(1);
        let wal_frames = Arc::new(AtomicI64::new(0));
        tokio::spawn(checkpoint_after_commits(pool, pending, wal_frames.clone()));
        Checkpointer {
            commits,
            wal_frames,
        }
    }

    /// Called after each commit on the writer connection `conn`.
    pub(super) async fn committed(&self, conn: &mut SqliteConnection) {
        if self.wal_frames.load(Ordering::Relaxed) > WAL_LIMIT_FRAMES {
            match checkpoint(conn).await {
                Ok(frames) => self.wal_frames.store(frames, Ordering::Relaxed),
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint by the writer failed"),
            }
        }
        // A checkpoint is already due when the channel is full.
        let _ = self.commits.try_send(());
    }
}

async fn checkpoint_after_commits(
    pool: SqlitePool,
    mut commits: mpsc::Receiver<()>,
    wal_frames: Arc<AtomicI64>,
) {
    while commits.recv().await.is_some() {
        tokio::time::sleep(GATHER).await;
        let mut conn = match pool.acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpointer has no connection");
                continue;
            }
        };
        match checkpoint(&mut conn).await {
            Ok(frames) => wal_frames.store(frames, Ordering::Relaxed),
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

/// Runs a PASSIVE checkpoint; answers the WAL's size in frames.
async fn checkpoint(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    let (_busy, frames, _copied): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(conn)
            .await?;
    Ok(frames)
}
