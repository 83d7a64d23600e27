//! Metadef rows: namespaces, their resource type associations, property
//! definitions, objects and tags, in Glance's tables.

use chrono::NaiveDateTime;
use glint_domain::metadef::{
    MetadefObject, MetadefProperty, MetadefTag, Namespace, NamespaceContents, ResourceType,
    ResourceTypeAssociation,
};
use glint_domain::{time, Error, Result, Visibility};
use serde_json::{Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, SqliteConnection, SqlitePool};

use super::db_error;
use super::rows::utc;
use glint_domain::metadef::NamespaceQuery;

fn namespace_not_found(name: &str) -> Error {
    Error::not_found(format!(
        "Metadata definition namespace={name} was not found."
    ))
}

fn json_object(text: &str, what: &str) -> Result<Map<String, Value>> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Error::internal(format!(
            "{what} holds invalid JSON in the database"
        ))),
    }
}

fn times(
    row: &SqliteRow,
) -> Result<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    let created: NaiveDateTime = row.try_get("created_at").map_err(db_error)?;
    let updated: Option<NaiveDateTime> = row.try_get("updated_at").map_err(db_error)?;
    Ok((utc(created), utc(updated.unwrap_or(created))))
}

fn namespace_from_row(row: &SqliteRow) -> Result<Namespace> {
    let (created_at, updated_at) = times(row)?;
    let visibility: Option<String> = row.try_get("visibility").map_err(db_error)?;
    let protected: Option<bool> = row.try_get("protected").map_err(db_error)?;
    Ok(Namespace {
        namespace: row.try_get("namespace").map_err(db_error)?,
        display_name: row.try_get("display_name").map_err(db_error)?,
        description: row.try_get("description").map_err(db_error)?,
        visibility: visibility
            .as_deref()
            .and_then(Visibility::parse)
            .unwrap_or(Visibility::Private),
        protected: protected.unwrap_or(false),
        owner: row.try_get("owner").map_err(db_error)?,
        created_at,
        updated_at,
    })
}

const NAMESPACE_COLUMNS: &str =
    "id, namespace, display_name, description, visibility, protected, owner, created_at, updated_at";

async fn namespace_id(conn: &mut SqliteConnection, name: &str) -> Result<i64> {
    sqlx::query_scalar("SELECT id FROM metadef_namespaces WHERE namespace = ?")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db_error)?
        .ok_or_else(|| namespace_not_found(name))
}

/// The id of a resource type, created when it is not known yet.
async fn resource_type_id(conn: &mut SqliteConnection, name: &str) -> Result<i64> {
    let now = time::now().naive_utc();
    sqlx::query(
        "INSERT INTO metadef_resource_types (name, protected, created_at, updated_at) \
         VALUES (?, 0, ?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(now)
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(db_error)?;
    sqlx::query_scalar("SELECT id FROM metadef_resource_types WHERE name = ?")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error)
}

pub(super) async fn create(
    conn: &mut SqliteConnection,
    contents: &NamespaceContents,
) -> Result<()> {
    let ns = &contents.namespace;
    let inserted = sqlx::query(
        "INSERT INTO metadef_namespaces \
         (namespace, display_name, description, visibility, protected, owner, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&ns.namespace)
    .bind(&ns.display_name)
    .bind(&ns.description)
    .bind(ns.visibility.as_str())
    .bind(ns.protected)
    .bind(&ns.owner)
    .bind(ns.created_at.naive_utc())
    .bind(ns.updated_at.naive_utc())
    .execute(&mut *conn)
    .await;
    let id = match inserted {
        Ok(done) => done.last_insert_rowid(),
        Err(e) => {
            return Err(match db_error(e) {
                Error::Conflict(_) => Error::conflict(format!(
                    "Metadata definition namespace={} already exists.",
                    ns.namespace
                )),
                other => other,
            })
        }
    };
    insert_children(&mut *conn, id, contents).await?;
    Ok(())
}

/// Inserts a namespace's associations, properties, objects and tags.
async fn insert_children(
    conn: &mut SqliteConnection,
    id: i64,
    contents: &NamespaceContents,
) -> Result<()> {
    let ns = &contents.namespace;
    for assoc in &contents.associations {
        let type_id = resource_type_id(&mut *conn, &assoc.name).await?;
        sqlx::query(
            "INSERT INTO metadef_namespace_resource_types \
             (resource_type_id, namespace_id, properties_target, prefix, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(type_id)
        .bind(id)
        .bind(&assoc.properties_target)
        .bind(&assoc.prefix)
        .bind(assoc.created_at.naive_utc())
        .bind(assoc.updated_at.naive_utc())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    for property in &contents.properties {
        sqlx::query(
            "INSERT INTO metadef_properties (namespace_id, name, json_schema, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&property.name)
        .bind(Value::Object(property.schema.clone()).to_string())
        .bind(ns.created_at.naive_utc())
        .bind(ns.updated_at.naive_utc())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    for object in &contents.objects {
        sqlx::query(
            "INSERT INTO metadef_objects \
             (namespace_id, name, description, required, json_schema, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&object.name)
        .bind(&object.description)
        .bind(crate::glance_schema::required_to_column(&object.required))
        .bind(Value::Object(object.properties.clone()).to_string())
        .bind(object.created_at.naive_utc())
        .bind(object.updated_at.naive_utc())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    for tag in &contents.tags {
        sqlx::query(
            "INSERT INTO metadef_tags (namespace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(&tag.name)
        .bind(tag.created_at.naive_utc())
        .bind(tag.updated_at.naive_utc())
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// Rewrites a namespace and everything in it, if it was last updated at
/// `expected` (a compare-and-swap: a concurrent change wins, this one is
/// `Conflict`). The namespace keeps its row (and id); it may be renamed.
pub(super) async fn replace(
    conn: &mut SqliteConnection,
    name: &str,
    expected: chrono::DateTime<chrono::Utc>,
    contents: &NamespaceContents,
) -> Result<()> {
    let ns = &contents.namespace;
    let id = namespace_id(&mut *conn, name).await?;
    let updated = sqlx::query(
        "UPDATE metadef_namespaces SET namespace = ?, display_name = ?, description = ?, \
         visibility = ?, protected = ?, owner = ?, updated_at = ? \
         WHERE id = ? AND COALESCE(updated_at, created_at) = ?",
    )
    .bind(&ns.namespace)
    .bind(&ns.display_name)
    .bind(&ns.description)
    .bind(ns.visibility.as_str())
    .bind(ns.protected)
    .bind(&ns.owner)
    .bind(ns.updated_at.naive_utc())
    .bind(id)
    .bind(expected.naive_utc())
    .execute(&mut *conn)
    .await;
    let rows = match updated {
        Ok(done) => done.rows_affected(),
        Err(e) => {
            return Err(match db_error(e) {
                Error::Conflict(_) => Error::conflict(format!(
                    "Metadata definition namespace={} already exists.",
                    ns.namespace
                )),
                other => other,
            })
        }
    };
    if rows == 0 {
        return Err(Error::conflict(format!(
            "Metadata definition namespace={name} was changed by another request; try again."
        )));
    }
    for table in [
        "metadef_namespace_resource_types",
        "metadef_properties",
        "metadef_objects",
        "metadef_tags",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE namespace_id = ?"))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    insert_children(&mut *conn, id, contents).await?;
    Ok(())
}

async fn associations(
    pool: &SqlitePool,
    namespace_id: i64,
) -> Result<Vec<ResourceTypeAssociation>> {
    let rows = sqlx::query(
        "SELECT t.name, a.prefix, a.properties_target, a.created_at, a.updated_at \
         FROM metadef_namespace_resource_types a \
         JOIN metadef_resource_types t ON t.id = a.resource_type_id \
         WHERE a.namespace_id = ? ORDER BY a.created_at, a.rowid",
    )
    .bind(namespace_id)
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let (created_at, updated_at) = times(row)?;
            Ok(ResourceTypeAssociation {
                name: row.try_get("name").map_err(db_error)?,
                prefix: row.try_get("prefix").map_err(db_error)?,
                properties_target: row.try_get("properties_target").map_err(db_error)?,
                created_at,
                updated_at,
            })
        })
        .collect()
}

pub(super) async fn get(pool: &SqlitePool, name: &str) -> Result<NamespaceContents> {
    let row = sqlx::query(&format!(
        "SELECT {NAMESPACE_COLUMNS} FROM metadef_namespaces WHERE namespace = ?"
    ))
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(db_error)?
    .ok_or_else(|| namespace_not_found(name))?;
    let id: i64 = row.try_get("id").map_err(db_error)?;
    let namespace = namespace_from_row(&row)?;

    let properties = sqlx::query(
        "SELECT name, json_schema FROM metadef_properties WHERE namespace_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_error)?
    .iter()
    .map(|row| {
        let name: String = row.try_get("name").map_err(db_error)?;
        let schema: String = row.try_get("json_schema").map_err(db_error)?;
        Ok(MetadefProperty {
            schema: json_object(&schema, &format!("property {name}"))?,
            name,
        })
    })
    .collect::<Result<Vec<_>>>()?;

    let objects = sqlx::query(
        "SELECT name, description, required, json_schema, created_at, updated_at \
         FROM metadef_objects WHERE namespace_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_error)?
    .iter()
    .map(|row| {
        let (created_at, updated_at) = times(row)?;
        let name: String = row.try_get("name").map_err(db_error)?;
        let required: Option<String> = row.try_get("required").map_err(db_error)?;
        let schema: String = row.try_get("json_schema").map_err(db_error)?;
        Ok(MetadefObject {
            description: row.try_get("description").map_err(db_error)?,
            required: crate::glance_schema::required_from_column(required.as_deref()),
            properties: json_object(&schema, &format!("object {name}"))?,
            name,
            created_at,
            updated_at,
        })
    })
    .collect::<Result<Vec<_>>>()?;

    let tags = sqlx::query(
        "SELECT name, created_at, updated_at FROM metadef_tags WHERE namespace_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_error)?
    .iter()
    .map(|row| {
        let (created_at, updated_at) = times(row)?;
        Ok(MetadefTag {
            name: row.try_get("name").map_err(db_error)?,
            created_at,
            updated_at,
        })
    })
    .collect::<Result<Vec<_>>>()?;

    Ok(NamespaceContents {
        namespace,
        associations: associations(pool, id).await?,
        properties,
        objects,
        tags,
    })
}

pub(super) async fn list(
    pool: &SqlitePool,
    query: &NamespaceQuery,
) -> Result<Vec<(Namespace, Vec<ResourceTypeAssociation>)>> {
    let mut q = sqlx::QueryBuilder::<Sqlite>::new(format!(
        "SELECT {NAMESPACE_COLUMNS} FROM metadef_namespaces n WHERE 1 = 1"
    ));
    if !query.viewer.is_admin {
        q.push(" AND (n.visibility = 'public'");
        if let Some(project) = &query.viewer.project_id {
            q.push(" OR n.owner = ");
            q.push_bind(project.clone());
        }
        q.push(")");
    }
    if let Some(visibility) = query.visibility {
        q.push(" AND n.visibility = ");
        q.push_bind(visibility.as_str());
    }
    if !query.resource_types.is_empty() {
        q.push(
            " AND n.id IN (SELECT a.namespace_id FROM metadef_namespace_resource_types a \
             JOIN metadef_resource_types t ON t.id = a.resource_type_id WHERE t.name IN (",
        );
        let mut names = q.separated(", ");
        for name in &query.resource_types {
            names.push_bind(name.clone());
        }
        q.push("))");
    }
    let column = match query.sort_key.as_str() {
        "namespace" => "namespace",
        "updated_at" => "COALESCE(updated_at, created_at)",
        _ => "created_at",
    };
    let dir = if query.sort_asc { "ASC" } else { "DESC" };
    if let Some(marker) = &query.marker {
        let m = sqlx::query(&format!(
            "SELECT {NAMESPACE_COLUMNS} FROM metadef_namespaces WHERE namespace = ?"
        ))
        .bind(marker)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| namespace_not_found(marker))?;
        let marker_id: i64 = m.try_get("id").map_err(db_error)?;
        let cmp = if query.sort_asc { ">" } else { "<" };
        q.push(format!(
            " AND ({column}, id) {cmp} (SELECT {column}, id FROM metadef_namespaces WHERE id = "
        ));
        q.push_bind(marker_id);
        q.push(")");
    }
    q.push(format!(" ORDER BY {column} {dir}, id {dir}"));
    if let Some(limit) = query.limit {
        q.push(" LIMIT ");
        q.push_bind(i64::from(limit));
    }
    let rows = q.build().fetch_all(pool).await.map_err(db_error)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: i64 = row.try_get("id").map_err(db_error)?;
        out.push((namespace_from_row(row)?, associations(pool, id).await?));
    }
    Ok(out)
}

pub(super) async fn delete(conn: &mut SqliteConnection, name: &str) -> Result<()> {
    let id = namespace_id(&mut *conn, name).await?;
    for table in [
        "metadef_namespace_resource_types",
        "metadef_properties",
        "metadef_objects",
        "metadef_tags",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE namespace_id = ?"))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db_error)?;
    }
    sqlx::query("DELETE FROM metadef_namespaces WHERE id = ?")
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

pub(super) async fn resource_types(pool: &SqlitePool) -> Result<Vec<ResourceType>> {
    let rows = sqlx::query(
        "SELECT name, created_at, updated_at FROM metadef_resource_types ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .map_err(db_error)?;
    rows.iter()
        .map(|row| {
            let (created_at, updated_at) = times(row)?;
            Ok(ResourceType {
                name: row.try_get("name").map_err(db_error)?,
                created_at,
                updated_at,
            })
        })
        .collect()
}
