//! Image member rows.

use glint_domain::{time, Error, ImageMember, MemberStatus, Result};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqliteExecutor};

use super::db_error;
use super::rows::utc;

const MEMBER_COLUMNS: &str = "image_id, member, status, can_share, created_at, updated_at";

fn member_from_row(row: &SqliteRow) -> Result<ImageMember> {
    let status: String = row.try_get("status").map_err(db_error)?;
    let created_at: chrono::NaiveDateTime = row.try_get("created_at").map_err(db_error)?;
    let updated_at: Option<chrono::NaiveDateTime> = row.try_get("updated_at").map_err(db_error)?;
    Ok(ImageMember {
        image_id: row.try_get("image_id").map_err(db_error)?,
        member: row.try_get("member").map_err(db_error)?,
        status: MemberStatus::parse(&status).ok_or_else(|| {
            Error::internal(format!("unknown member status '{status}' in database"))
        })?,
        can_share: row.try_get("can_share").map_err(db_error)?,
        created_at: utc(created_at),
        updated_at: utc(updated_at.unwrap_or(created_at)),
    })
}

pub(super) async fn create(
    conn: &mut SqliteConnection,
    image_id: &str,
    member: &str,
) -> Result<ImageMember> {
    let now = time::now().naive_utc();
    let inserted = sqlx::query(
        "INSERT INTO image_members (image_id, member, can_share, created_at, updated_at, deleted, status) \
         SELECT ?, ?, 0, ?, ?, 0, 'pending' WHERE NOT EXISTS \
         (SELECT 1 FROM image_members WHERE image_id = ? AND member = ? AND deleted = 0)",
    )
    .bind(image_id)
    .bind(member)
    .bind(now)
    .bind(now)
    .bind(image_id)
    .bind(member)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?
    .rows_affected();
    if inserted == 0 {
        return Err(Error::conflict(format!(
            "Member {member} already exists for image {image_id}"
        )));
    }

    find(&mut *conn, image_id, Some(member), None)
        .await?
        .pop()
        .ok_or_else(|| Error::internal("member vanished after insert"))
}

pub(super) async fn update(
    conn: &mut SqliteConnection,
    image_id: &str,
    member: &str,
    status: MemberStatus,
) -> Result<ImageMember> {
    let now = time::now().naive_utc();
    let n = sqlx::query(
        "UPDATE image_members SET status = ?, updated_at = ? \
         WHERE image_id = ? AND member = ? AND deleted = 0",
    )
    .bind(status.as_str())
    .bind(now)
    .bind(image_id)
    .bind(member)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?
    .rows_affected();
    if n == 0 {
        return Err(Error::not_found(format!(
            "{member} is not a member of image {image_id}"
        )));
    }
    find(&mut *conn, image_id, Some(member), None)
        .await?
        .pop()
        .ok_or_else(|| Error::internal("member vanished after update"))
}

pub(super) async fn delete(
    conn: &mut SqliteConnection,
    image_id: &str,
    member: &str,
) -> Result<()> {
    let now = time::now().naive_utc();
    let n = sqlx::query(
        "UPDATE image_members SET deleted = 1, deleted_at = ?, updated_at = ? \
         WHERE image_id = ? AND member = ? AND deleted = 0",
    )
    .bind(now)
    .bind(now)
    .bind(image_id)
    .bind(member)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?
    .rows_affected();
    if n == 0 {
        return Err(Error::not_found(format!(
            "{member} is not a member of image {image_id}"
        )));
    }
    Ok(())
}

pub(super) async fn find<'e>(
    exec: impl SqliteExecutor<'e>,
    image_id: &str,
    member: Option<&str>,
    status: Option<MemberStatus>,
) -> Result<Vec<ImageMember>> {
    let mut q = QueryBuilder::<Sqlite>::new(format!(
        "SELECT {MEMBER_COLUMNS} FROM image_members WHERE deleted = 0 AND image_id = "
    ));
    q.push_bind(image_id.to_string());
    if let Some(member) = member {
        q.push(" AND member = ");
        q.push_bind(member.to_string());
    }
    if let Some(status) = status {
        q.push(" AND status = ");
        q.push_bind(status.as_str());
    }
    q.push(" ORDER BY created_at, id");
    let rows = q.build().fetch_all(exec).await.map_err(db_error)?;
    rows.iter().map(member_from_row).collect()
}
