//! Image member rows.

use glint_domain::{time, Error, ImageMember, MemberStatus, Result};
use sqlx::{Pool, QueryBuilder, Row};

use super::dialect::sql;
use super::rows::times;
use super::{db_error, images, Db, DbRow};

const MEMBER_COLUMNS: &str = "image_id, member, status, can_share, created_at, updated_at";

fn member_from_row(row: &DbRow) -> Result<ImageMember> {
    let status: String = row.try_get("status").map_err(db_error)?;
    let (created_at, updated_at) = times(row)?;
    Ok(ImageMember {
        image_id: row.try_get("image_id").map_err(db_error)?,
        member: row.try_get("member").map_err(db_error)?,
        status: MemberStatus::parse(&status).ok_or_else(|| {
            Error::internal(format!("unknown member status '{status}' in database"))
        })?,
        can_share: row.try_get("can_share").map_err(db_error)?,
        created_at,
        updated_at,
    })
}

/// Glance's unique key (image_id, member, deleted_at) cannot catch two live
/// rows (their deleted_at is NULL), so the check runs under the image's
/// row lock.
pub(super) async fn create(pool: &Pool<Db>, image_id: &str, member: &str) -> Result<ImageMember> {
    let now = time::now().naive_utc();
    let mut tx = pool.begin().await.map_err(db_error)?;
    images::lock(&mut tx, image_id).await?;
    let present = sqlx::query(&sql(
        "SELECT id FROM image_members WHERE image_id = ? AND member = ? AND deleted = FALSE",
    ))
    .bind(image_id)
    .bind(member)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_error)?;
    if present.is_some() {
        return Err(Error::conflict(format!(
            "Member {member} already exists for image {image_id}"
        )));
    }
    sqlx::query(&sql("INSERT INTO image_members \
         (image_id, member, can_share, created_at, updated_at, deleted, status) \
         VALUES (?, ?, FALSE, ?, ?, FALSE, 'pending')"))
    .bind(image_id)
    .bind(member)
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db_error)?;
    tx.commit().await.map_err(db_error)?;
    find(pool, image_id, Some(member), None)
        .await?
        .pop()
        .ok_or_else(|| Error::internal("member vanished after insert"))
}

pub(super) async fn update(
    pool: &Pool<Db>,
    image_id: &str,
    member: &str,
    status: MemberStatus,
) -> Result<ImageMember> {
    let now = time::now().naive_utc();
    let n = sqlx::query(&sql("UPDATE image_members SET status = ?, updated_at = ? \
         WHERE image_id = ? AND member = ? AND deleted = FALSE"))
    .bind(status.as_str())
    .bind(now)
    .bind(image_id)
    .bind(member)
    .execute(pool)
    .await
    .map_err(db_error)?
    .rows_affected();
    if n == 0 {
        return Err(Error::not_found(format!(
            "{member} is not a member of image {image_id}"
        )));
    }
    find(pool, image_id, Some(member), None)
        .await?
        .pop()
        .ok_or_else(|| Error::internal("member vanished after update"))
}

pub(super) async fn delete(pool: &Pool<Db>, image_id: &str, member: &str) -> Result<()> {
    let now = time::now().naive_utc();
    let n = sqlx::query(&sql(
        "UPDATE image_members SET deleted = TRUE, deleted_at = ?, updated_at = ? \
         WHERE image_id = ? AND member = ? AND deleted = FALSE",
    ))
    .bind(now)
    .bind(now)
    .bind(image_id)
    .bind(member)
    .execute(pool)
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

pub(super) async fn find(
    pool: &Pool<Db>,
    image_id: &str,
    member: Option<&str>,
    status: Option<MemberStatus>,
) -> Result<Vec<ImageMember>> {
    let mut q = QueryBuilder::<Db>::new(format!(
        "SELECT {MEMBER_COLUMNS} FROM image_members WHERE deleted = FALSE AND image_id = "
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
    let rows = q.build().fetch_all(pool).await.map_err(db_error)?;
    rows.iter().map(member_from_row).collect()
}
