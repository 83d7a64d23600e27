//! Metadef rows: namespaces, their resource type associations, property
//! definitions, objects and tags, in Glance's tables.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use glint_domain::metadef::{
    MetadefObject, MetadefProperty, MetadefTag, Namespace, NamespaceContents, ResourceType,
    ResourceTypeAssociation,
};
use glint_domain::{time, Error, Result, Visibility};
use serde_json::{Map, Value};
use sqlx::{Pool, Row, Transaction};

use super::dialect::{self, get_i64, sql};
use super::rows::times;
use super::{db_error, Db, DbRow};
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

fn namespace_from_row(row: &DbRow) -> Result<Namespace> {
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

async fn namespace_id(tx: &mut Transaction<'_, Db>, name: &str) -> Result<i64> {
    let row = sqlx::query(&sql(
        "SELECT id FROM metadef_namespaces WHERE namespace = ?",
    ))
    .bind(name)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db_error)?
    .ok_or_else(|| namespace_not_found(name))?;
    get_i64(&row, "id")
}

/// The id of a resource type, created when it is not known yet.
async fn resource_type_id(tx: &mut Transaction<'_, Db>, name: &str) -> Result<i64> {
    let now = time::now().naive_utc();
    sqlx::query(&sql(dialect::INSERT_RESOURCE_TYPE))
        .bind(name)
        .bind(now)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    let row = sqlx::query(&sql("SELECT id FROM metadef_resource_types WHERE name = ?"))
        .bind(name)
        .fetch_one(&mut **tx)
        .await
        .map_err(db_error)?;
    get_i64(&row, "id")
}

pub(super) async fn create(pool: &Pool<Db>, contents: &NamespaceContents) -> Result<()> {
    let ns = &contents.namespace;
    let mut tx = pool.begin().await.map_err(db_error)?;
    let inserted = sqlx::query(&sql(
        "INSERT INTO metadef_namespaces \
         (namespace, display_name, description, visibility, protected, owner, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ))
    .bind(&ns.namespace)
    .bind(&ns.display_name)
    .bind(&ns.description)
    .bind(ns.visibility.as_str())
    .bind(ns.protected)
    .bind(&ns.owner)
    .bind(ns.created_at.naive_utc())
    .bind(ns.updated_at.naive_utc())
    .execute(&mut *tx)
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) => {
            return Err(match db_error(e) {
                Error::Conflict(_) => Error::conflict(format!(
                    "Metadata definition namespace={} already exists.",
                    ns.namespace
                )),
                other => other,
            })
        }
    }
    let id = namespace_id(&mut tx, &ns.namespace).await?;
    insert_children(&mut tx, id, contents).await?;
    tx.commit().await.map_err(db_error)
}

/// Inserts a namespace's associations, properties, objects and tags.
async fn insert_children(
    tx: &mut Transaction<'_, Db>,
    id: i64,
    contents: &NamespaceContents,
) -> Result<()> {
    let ns = &contents.namespace;
    for assoc in &contents.associations {
        let type_id = resource_type_id(tx, &assoc.name).await?;
        sqlx::query(&sql("INSERT INTO metadef_namespace_resource_types \
             (resource_type_id, namespace_id, properties_target, prefix, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?)"))
        .bind(type_id)
        .bind(id)
        .bind(&assoc.properties_target)
        .bind(&assoc.prefix)
        .bind(assoc.created_at.naive_utc())
        .bind(assoc.updated_at.naive_utc())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    for property in &contents.properties {
        sqlx::query(&sql(
            "INSERT INTO metadef_properties (namespace_id, name, json_schema, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?)",
        ))
        .bind(id)
        .bind(&property.name)
        .bind(Value::Object(property.schema.clone()).to_string())
        .bind(ns.created_at.naive_utc())
        .bind(ns.updated_at.naive_utc())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    for object in &contents.objects {
        sqlx::query(&sql("INSERT INTO metadef_objects \
             (namespace_id, name, description, required, json_schema, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)"))
        .bind(id)
        .bind(&object.name)
        .bind(&object.description)
        .bind(crate::glance_schema::required_to_column(&object.required))
        .bind(Value::Object(object.properties.clone()).to_string())
        .bind(object.created_at.naive_utc())
        .bind(object.updated_at.naive_utc())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    for tag in &contents.tags {
        sqlx::query(&sql(
            "INSERT INTO metadef_tags (namespace_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
        ))
        .bind(id)
        .bind(&tag.name)
        .bind(tag.created_at.naive_utc())
        .bind(tag.updated_at.naive_utc())
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    }
    Ok(())
}

/// Rewrites a namespace and everything in it, if it was last updated at
/// `expected` (a compare-and-swap: a concurrent change wins, this one is
/// `Conflict`). The namespace keeps its row (and id); it may be renamed.
///
/// The comparison runs under the namespace's row lock. The new
/// `updated_at` must differ from the old one as the column keeps it: a
/// MySQL database made by Glance stores whole seconds (DATETIME), where two
/// rewrites within one second would leave the same stamp and a later
/// compare-and-swap could not tell them apart; so a stamp that did not
/// move is pushed one second past the old one.
pub(super) async fn replace(
    pool: &Pool<Db>,
    name: &str,
    expected: DateTime<Utc>,
    contents: &NamespaceContents,
) -> Result<()> {
    let ns = &contents.namespace;
    let mut tx = pool.begin().await.map_err(db_error)?;
    let row = sqlx::query(&sql(
        "SELECT id, created_at, updated_at FROM metadef_namespaces \
         WHERE namespace = ? FOR UPDATE",
    ))
    .bind(name)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db_error)?
    .ok_or_else(|| namespace_not_found(name))?;
    let id = get_i64(&row, "id")?;
    let (_, stored) = times(&row)?;
    if stored != expected {
        return Err(Error::conflict(format!(
            "Metadata definition namespace={name} was changed by another request; try again."
        )));
    }
    let updated = sqlx::query(&sql(
        "UPDATE metadef_namespaces SET namespace = ?, display_name = ?, description = ?, \
         visibility = ?, protected = ?, owner = ?, updated_at = ? WHERE id = ?",
    ))
    .bind(&ns.namespace)
    .bind(&ns.display_name)
    .bind(&ns.description)
    .bind(ns.visibility.as_str())
    .bind(ns.protected)
    .bind(&ns.owner)
    .bind(ns.updated_at.naive_utc())
    .bind(id)
    .execute(&mut *tx)
    .await;
    if let Err(e) = updated {
        return Err(match db_error(e) {
            Error::Conflict(_) => Error::conflict(format!(
                "Metadata definition namespace={} already exists.",
                ns.namespace
            )),
            other => other,
        });
    }
    let kept: NaiveDateTime = sqlx::query_scalar(&sql(
        "SELECT updated_at FROM metadef_namespaces WHERE id = ?",
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db_error)?;
    if kept <= stored.naive_utc() {
        sqlx::query(&sql(
            "UPDATE metadef_namespaces SET updated_at = ? WHERE id = ?",
        ))
        .bind(stored.naive_utc() + Duration::seconds(1))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    }
    for table in [
        "metadef_namespace_resource_types",
        "metadef_properties",
        "metadef_objects",
        "metadef_tags",
    ] {
        sqlx::query(&sql(&format!("DELETE FROM {table} WHERE namespace_id = ?")))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }
    insert_children(&mut tx, id, contents).await?;
    tx.commit().await.map_err(db_error)
}

async fn associations(pool: &Pool<Db>, namespace_id: i64) -> Result<Vec<ResourceTypeAssociation>> {
    let rows = sqlx::query(&sql(
        "SELECT t.name, a.prefix, a.properties_target, a.created_at, a.updated_at \
         FROM metadef_namespace_resource_types a \
         JOIN metadef_resource_types t ON t.id = a.resource_type_id \
         WHERE a.namespace_id = ? ORDER BY a.created_at, a.resource_type_id",
    ))
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

pub(super) async fn get(pool: &Pool<Db>, name: &str) -> Result<NamespaceContents> {
    let row = sqlx::query(&sql(&format!(
        "SELECT {NAMESPACE_COLUMNS} FROM metadef_namespaces WHERE namespace = ?"
    )))
    .bind(name)
    .fetch_optional(pool)
    .await
    .map_err(db_error)?
    .ok_or_else(|| namespace_not_found(name))?;
    let id = get_i64(&row, "id")?;
    let namespace = namespace_from_row(&row)?;

    let properties = sqlx::query(&sql(
        "SELECT name, json_schema FROM metadef_properties WHERE namespace_id = ? ORDER BY id",
    ))
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

    let objects = sqlx::query(&sql(
        "SELECT name, description, required, json_schema, created_at, updated_at \
         FROM metadef_objects WHERE namespace_id = ? ORDER BY id",
    ))
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

    let tags = sqlx::query(&sql(
        "SELECT name, created_at, updated_at FROM metadef_tags WHERE namespace_id = ? ORDER BY id",
    ))
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
    pool: &Pool<Db>,
    query: &NamespaceQuery,
) -> Result<Vec<(Namespace, Vec<ResourceTypeAssociation>)>> {
    let mut q = sqlx::QueryBuilder::<Db>::new(format!(
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
        let m = sqlx::query(&sql(&format!(
            "SELECT {NAMESPACE_COLUMNS} FROM metadef_namespaces WHERE namespace = ?"
        )))
        .bind(marker)
        .fetch_optional(pool)
        .await
        .map_err(db_error)?
        .ok_or_else(|| namespace_not_found(marker))?;
        let marker_id = get_i64(&m, "id")?;
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
        let id = get_i64(row, "id")?;
        out.push((namespace_from_row(row)?, associations(pool, id).await?));
    }
    Ok(out)
}

pub(super) async fn delete(pool: &Pool<Db>, name: &str) -> Result<()> {
    let mut tx = pool.begin().await.map_err(db_error)?;
    let id = namespace_id(&mut tx, name).await?;
    for table in [
        "metadef_namespace_resource_types",
        "metadef_properties",
        "metadef_objects",
        "metadef_tags",
    ] {
        sqlx::query(&sql(&format!("DELETE FROM {table} WHERE namespace_id = ?")))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db_error)?;
    }
    sqlx::query(&sql("DELETE FROM metadef_namespaces WHERE id = ?"))
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db_error)?;
    tx.commit().await.map_err(db_error)
}

pub(super) async fn resource_types(pool: &Pool<Db>) -> Result<Vec<ResourceType>> {
    let rows = sqlx::query(&sql(
        "SELECT name, created_at, updated_at FROM metadef_resource_types ORDER BY name",
    ))
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
