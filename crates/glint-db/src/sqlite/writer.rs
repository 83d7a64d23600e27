//! The single writer: every write runs on one connection, on a thread of its
//! own, and concurrent writes share a transaction (group commit).
//!
//! SQLite lets one connection write at a time. Before, each request held
//! the writer connection across all its statements, and between them waited
//! for its task to be scheduled again among the HTTP tasks; the writer sat
//! idle most of the time it was held. Here a request hands its write over as
//! a job and awaits the answer. The writer thread takes every job waiting
//! (up to [`MAX_BATCH`]), runs each in a savepoint of one transaction, and
//! commits once: one WAL append and one sync point for the whole batch. A
//! job that fails rolls back to its savepoint and fails alone; a commit that
//! fails fails every job of the batch. Answers are sent only after the
//! commit, so nobody sees a write as done before it is durable.

use futures_util::future::BoxFuture;
use glint_domain::{Error, Result};
use sqlx::{Connection, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::checkpointer::Checkpointer;
use super::db_error;

/// Most jobs committed together.
const MAX_BATCH: usize = 64;

/// Jobs waiting for the writer before callers wait to hand theirs over.
const QUEUE: usize = 1024;

/// Called with the batch's commit outcome; sends the job's answer.
type Finish = Box<dyn FnOnce(Option<Error>) + Send>;

/// A write. Given the writer's connection (inside the batch transaction)
/// and whether it is alone in its batch, it runs and says whether it
/// succeeded; given no connection, it does nothing (its batch failed
/// before it could run). Either way it yields how to send its answer.
type Job = Box<
    dyn for<'c> FnOnce(Option<&'c mut SqliteConnection>, bool) -> BoxFuture<'c, (Finish, bool)>
        + Send,
>;

#[derive(Clone)]
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `pool` (whose connections it borrows
    /// one batch at a time, so an in-memory database's only connection is
    /// free for readers in between). With `checkpoints` (a pool of one
    /// connection of its own), WAL checkpoints run there instead of in the
    /// writer's commits (see [`Checkpointer`]).
    pub(super) fn start(pool: SqlitePool, checkpoints: Option<SqlitePool>) -> Result<Writer> {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::internal(format!("cannot start the database writer: {e}")))?;
        std::thread::Builder::new()
            .name("glint-db-writer".into())
            .spawn(move || runtime.block_on(serve(pool, queue, checkpoints)))
            .map_err(|e| Error::internal(format!("cannot start the database writer: {e}")))?;
        Ok(Writer { jobs })
    }

    /// Runs `write` on the writer connection, atomically, and answers once
    /// it is committed.
    pub(super) async fn run<T, F>(&self, write: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn, alone| {
            Box::pin(async move {
                let result = match conn {
                    None => None,
                    // The batch transaction is a lone job's own.
                    Some(conn) if alone => Some(write(conn).await),
                    Some(conn) => Some(in_savepoint(conn, write).await),
                };
                let ok = matches!(result, Some(Ok(_)));
                let finish: Finish = Box::new(move |commit_error: Option<Error>| {
                    let _ = answer.send(match (result, commit_error) {
                        (Some(Ok(value)), None) => Ok(value),
                        (Some(Err(e)), _) => Err(e),
                        (_, Some(e)) => Err(e),
                        (None, None) => Err(Error::internal("the write was not run")),
                    });
                });
                (finish, ok)
            })
        });
        let stopped = || Error::internal("the database writer has stopped");
        self.jobs.send(job).await.map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

async fn in_savepoint<T, F>(conn: &mut SqliteConnection, write: F) -> Result<T>
where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>>,
{
    // Inside the batch transaction, begin() is a SAVEPOINT.
    let mut savepoint = conn.begin().await.map_err(db_error)?;
    match write(&mut savepoint).await {
        Ok(value) => {
            savepoint.commit().await.map_err(db_error)?;
            Ok(value)
        }
        Err(e) => {
            savepoint.rollback().await.map_err(db_error)?;
            Err(e)
        }
    }
}

async fn serve(pool: SqlitePool, mut queue: mpsc::Receiver<Job>, checkpoints: Option<SqlitePool>) {
    let checkpointer = checkpoints.map(Checkpointer::start);
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        run_batch(&pool, batch, checkpointer.as_ref()).await;
    }
}

async fn run_batch(pool: &SqlitePool, batch: Vec<Job>, checkpointer: Option<&Checkpointer>) {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return fail_all(batch, db_error(e)).await,
    };
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(e) => return fail_all(batch, db_error(e)).await,
    };
    let alone = batch.len() == 1;
    let mut finishers = Vec::with_capacity(batch.len());
    let mut all_ok = true;
    for job in batch {
        let (finish, ok) = job(Some(&mut tx), alone).await;
        all_ok &= ok;
        finishers.push(finish);
    }
    // Jobs in savepoints undid their own failures; a lone job's failure
    // is undone with the whole transaction. Its answer holds its error.
    let outcome = if alone && !all_ok {
        tx.rollback().await.map_err(db_error).err()
    } else {
        tx.commit().await.map_err(db_error).err()
    };
    for finish in finishers {
        finish(outcome.clone());
    }
    if let Some(checkpointer) = checkpointer {
        checkpointer.committed(&mut conn).await;
    }
}

/// Answers every job of a batch that could not start with `error`.
async fn fail_all(batch: Vec<Job>, error: Error) {
    for job in batch {
        let (finish, _) = job(None, false).await;
        finish(Some(error.clone()));
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_undoes_only_itself() {
        let options = SqliteConnectOptions::from_str("sqlite::memory:").unwrap();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (n INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        let writer = Writer::start(pool.clone(), None).unwrap();

        // Odd jobs insert a row, then fail; even ones insert and succeed.
        let jobs = (0..40i64).map(|n| {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run(move |c| {
                        Box::pin(async move {
                            sqlx::query("INSERT INTO t (n) VALUES (?)")
                                .bind(n)
                                .execute(&mut *c)
                                .await
                                .map_err(db_error)?;
                            if n % 2 == 1 {
                                return Err(Error::conflict(format!("job {n} fails")));
                            }
                            Ok(n)
                        })
                    })
                    .await
            })
        });
        let answers = futures_util::future::join_all(jobs).await;
        for (n, answer) in answers.into_iter().enumerate() {
            let answer = answer.unwrap();
            if n % 2 == 1 {
                assert!(matches!(answer, Err(Error::Conflict(_))), "job {n}");
            } else {
                assert_eq!(answer.unwrap(), n as i64);
            }
        }
        let mut kept: Vec<i64> = sqlx::query_scalar("SELECT n FROM t")
            .fetch_all(&pool)
            .await
            .unwrap();
        kept.sort();
        assert_eq!(kept, (0..40).step_by(2).collect::<Vec<i64>>());
    }
}
