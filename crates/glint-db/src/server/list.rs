//! `image_get_all`: visibility, filters, keyset paging and sorting in SQL.
//! (SQLite's list.rs in the engines' SQL: boolean literals, a cast visibility.)

use chrono::NaiveDateTime;
use glint_domain::image_query::{
    Comparison, ImageListQuery, SortDir, SortKey, TimeFilter, ValueFilter, VisibilityFilter,
};
use glint_domain::{image_rules, Error, Image, RequestContext, Result, Visibility};
use sqlx::{Pool, QueryBuilder};

use super::rows::{attach_details, image_from_row, IMAGE_COLUMNS};
use super::{db_error, dialect, images, members, Db};

pub(super) async fn image_get_all(pool: &Pool<Db>, query: &ImageListQuery) -> Result<Vec<Image>> {
    let marker = match &query.marker {
        Some(id) => Some(load_marker(pool, query, id).await?),
        None => None,
    };
    let sort = query.full_sort();

    let mut q = QueryBuilder::<Db>::new(format!("SELECT {IMAGE_COLUMNS} FROM images WHERE 1 = 1"));
    if !query.include_deleted {
        q.push(" AND images.deleted = FALSE");
    }
    push_visibility(&mut q, query);
    push_filters(&mut q, query);
    if let Some(marker) = &marker {
        push_after_marker(&mut q, &sort, marker);
    }
    q.push(" ORDER BY ");
    for (i, (key, dir)) in sort.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        let col = column(*key);
        let dir_sql = match dir {
            SortDir::Asc => "ASC",
            SortDir::Desc => "DESC",
        };
        // NULL sorts as the smallest value on every engine.
        if is_nullable(*key) {
            q.push(format!(
                "({col} IS NULL) {}, ",
                if *dir == SortDir::Asc { "DESC" } else { "ASC" }
            ));
        }
        q.push(format!("{col} {dir_sql}"));
    }
    if let Some(limit) = query.limit {
        q.push(" LIMIT ");
        q.push_bind(i64::from(limit));
    }

    let rows = q.build().fetch_all(pool).await.map_err(db_error)?;
    let mut out = rows
        .iter()
        .map(image_from_row)
        .collect::<Result<Vec<_>>>()?;
    attach_details(pool, &mut out).await?;
    Ok(out)
}

/// The marker must be an image the viewer can see; Glance answers a bad
/// marker with 400, which the service does for this `NotFound`.
async fn load_marker(pool: &Pool<Db>, query: &ImageListQuery, id: &str) -> Result<Image> {
    let image = images::get(pool, id, query.include_deleted).await?;
    let ctx = RequestContext {
        project_id: query.viewer.project_id.clone(),
        is_admin: query.viewer.is_admin,
        ..RequestContext::default()
    };
    let is_member = match (&ctx.project_id, image.visibility) {
        (Some(project), Visibility::Shared) => !members::find(pool, &image.id, Some(project), None)
            .await?
            .is_empty(),
        _ => false,
    };
    if image_rules::is_visible(&ctx, &image, || is_member) {
        Ok(image)
    } else {
        Err(Error::image_not_found(id))
    }
}

fn column(key: SortKey) -> &'static str {
    match key {
        SortKey::Name => "images.name",
        SortKey::Status => "images.status",
        SortKey::ContainerFormat => "images.container_format",
        SortKey::DiskFormat => "images.disk_format",
        SortKey::Size => "images.size",
        SortKey::Id => "images.id",
        SortKey::CreatedAt => "images.created_at",
        SortKey::UpdatedAt => "images.updated_at",
    }
}

fn is_nullable(key: SortKey) -> bool {
    !matches!(key, SortKey::Id | SortKey::Status | SortKey::CreatedAt)
}

/// A sortable value of the marker image.
enum SortValue {
    Text(Option<String>),
    Int(Option<i64>),
    Time(Option<NaiveDateTime>),
}

fn sort_value(image: &Image, key: SortKey) -> SortValue {
    match key {
        SortKey::Name => SortValue::Text(image.name.clone()),
        SortKey::Status => SortValue::Text(Some(image.status.as_str().to_string())),
        SortKey::ContainerFormat => SortValue::Text(image.container_format.clone()),
        SortKey::DiskFormat => SortValue::Text(image.disk_format.clone()),
        SortKey::Size => SortValue::Int(image.size),
        SortKey::Id => SortValue::Text(Some(image.id.clone())),
        SortKey::CreatedAt => SortValue::Time(Some(image.created_at.naive_utc())),
        SortKey::UpdatedAt => SortValue::Time(Some(image.updated_at.naive_utc())),
    }
}

impl SortValue {
    fn is_null(&self) -> bool {
        matches!(
            self,
            SortValue::Text(None) | SortValue::Int(None) | SortValue::Time(None)
        )
    }

    fn push_bind(&self, q: &mut QueryBuilder<'_, Db>) {
        match self {
            SortValue::Text(v) => q.push_bind(v.clone()),
            SortValue::Int(v) => q.push_bind(*v),
            SortValue::Time(v) => q.push_bind(*v),
        };
    }
}

/// Rows strictly after the marker in `sort` order (keyset paging):
/// OR over i of (keys before i equal AND key i beyond the marker's).
fn push_after_marker(q: &mut QueryBuilder<'_, Db>, sort: &[(SortKey, SortDir)], marker: &Image) {
    q.push(" AND (");
    for i in 0..sort.len() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push("(");
        for (key, _) in &sort[..i] {
            push_equal(q, *key, &sort_value(marker, *key));
            q.push(" AND ");
        }
        let (key, dir) = sort[i];
        push_beyond(q, key, dir, &sort_value(marker, key));
        q.push(")");
    }
    q.push(")");
}

fn push_equal(q: &mut QueryBuilder<'_, Db>, key: SortKey, value: &SortValue) {
    let col = column(key);
    if value.is_null() {
        q.push(format!("{col} IS NULL"));
    } else {
        q.push(format!("{col} = "));
        value.push_bind(q);
    }
}

/// NULL is the smallest value: after NULL ascending is any non-NULL;
/// after v descending is anything smaller, NULL included.
fn push_beyond(q: &mut QueryBuilder<'_, Db>, key: SortKey, dir: SortDir, value: &SortValue) {
    let col = column(key);
    match (dir, value.is_null()) {
        (SortDir::Asc, true) => {
            q.push(format!("{col} IS NOT NULL"));
        }
        (SortDir::Asc, false) => {
            q.push(format!("{col} > "));
            value.push_bind(q);
        }
        (SortDir::Desc, true) => {
            q.push("1 = 0");
        }
        (SortDir::Desc, false) => {
            q.push(format!("({col} IS NULL OR {col} < "));
            value.push_bind(q);
            q.push(")");
        }
    }
}

/// Which images are candidates at all for this viewer (Glance's listing
/// rules, which differ from single-image visibility: community images and
/// pending shares stay out of the default list).
fn push_visibility(q: &mut QueryBuilder<'_, Db>, query: &ImageListQuery) {
    let viewer = &query.viewer;
    let visibility = query.filters.visibility;
    if viewer.is_admin {
        match visibility {
            Some(VisibilityFilter::Only(v)) => {
                q.push(" AND images.visibility = ");
                push_visibility_bind(q, v);
            }
            Some(VisibilityFilter::All) => {}
            // As Glance: without a visibility, an admin's list holds only
            // the community images of the admin's own project.
            None => {
                q.push(" AND (images.visibility <> 'community' OR images.owner = ");
                q.push_bind(viewer.project_id.clone());
                q.push(")");
            }
        }
        return;
    }
    let project = viewer.project_id.clone();
    let member_status = query.filters.member_status.as_status();
    let push_member = |q: &mut QueryBuilder<'_, Db>| {
        q.push(
            "EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = images.id \
             AND m.deleted = FALSE AND m.member = ",
        );
        q.push_bind(project.clone());
        if let Some(status) = member_status {
            q.push(" AND m.status = ");
            q.push_bind(status);
        }
        q.push(")");
    };
    match visibility {
        None | Some(VisibilityFilter::All) => {
            q.push(" AND (images.owner = ");
            q.push_bind(project.clone());
            if visibility.is_some() {
                q.push(" OR images.visibility IN ('public', 'community')");
            } else {
                q.push(" OR images.visibility = 'public'");
            }
            q.push(" OR (images.visibility = 'shared' AND ");
            push_member(q);
            q.push("))");
        }
        Some(VisibilityFilter::Only(Visibility::Public)) => {
            q.push(" AND images.visibility = 'public'");
        }
        Some(VisibilityFilter::Only(Visibility::Community)) => {
            q.push(" AND images.visibility = 'community'");
        }
        Some(VisibilityFilter::Only(Visibility::Private)) => {
            q.push(" AND images.visibility = 'private' AND images.owner = ");
            q.push_bind(project.clone());
        }
        Some(VisibilityFilter::Only(Visibility::Shared)) => {
            q.push(" AND images.visibility = 'shared' AND (images.owner = ");
            q.push_bind(project.clone());
            q.push(" OR ");
            push_member(q);
            q.push(")");
        }
    }
}

/// A bound visibility, cast where the engine's column needs it.
fn push_visibility_bind(q: &mut QueryBuilder<'_, Db>, v: Visibility) {
    let (before, after) = dialect::VISIBILITY_PARAM
        .split_once('?')
        .unwrap_or(("", ""));
    q.push(before);
    q.push_bind(v.as_str());
    q.push(after);
}

fn push_filters(q: &mut QueryBuilder<'_, Db>, query: &ImageListQuery) {
    let f = &query.filters;
    for (col, filter) in [
        ("images.id", &f.id),
        ("images.name", &f.name),
        ("images.status", &f.status),
        ("images.disk_format", &f.disk_format),
        ("images.container_format", &f.container_format),
        ("images.owner", &f.owner),
        ("images.checksum", &f.checksum),
        ("images.os_hash_value", &f.os_hash_value),
    ] {
        if let Some(filter) = filter {
            q.push(" AND ");
            push_value_filter(q, col, filter);
        }
    }
    if let Some(protected) = f.protected {
        q.push(" AND images.protected = ");
        q.push_bind(protected);
    }
    if let Some(hidden) = f.os_hidden {
        q.push(" AND images.os_hidden = ");
        q.push_bind(hidden);
    }
    if let Some(min) = f.size_min {
        q.push(" AND images.size >= ");
        q.push_bind(min);
    }
    if let Some(max) = f.size_max {
        q.push(" AND images.size <= ");
        q.push_bind(max);
    }
    for t in &f.created_at {
        push_time_filter(q, "images.created_at", t);
    }
    for t in &f.updated_at {
        push_time_filter(q, "images.updated_at", t);
    }
    for tag in &f.tags {
        q.push(
            " AND EXISTS (SELECT 1 FROM image_tags t WHERE t.image_id = images.id \
             AND t.deleted = FALSE AND t.value = ",
        );
        q.push_bind(tag.clone());
        q.push(")");
    }
    for (name, filter) in &f.properties {
        q.push(
            " AND EXISTS (SELECT 1 FROM image_properties p WHERE p.image_id = images.id \
             AND p.deleted = FALSE AND p.name = ",
        );
        q.push_bind(name.clone());
        q.push(" AND ");
        push_value_filter(q, "p.value", filter);
        q.push(")");
    }
}

fn push_value_filter(q: &mut QueryBuilder<'_, Db>, col: &str, filter: &ValueFilter) {
    match filter {
        ValueFilter::Eq(v) => {
            q.push(format!("{col} = "));
            q.push_bind(v.clone());
        }
        ValueFilter::In(values) if values.is_empty() => {
            q.push("1 = 0");
        }
        ValueFilter::In(values) => {
            q.push(format!("{col} IN ("));
            let mut sep = q.separated(", ");
            for v in values {
                sep.push_bind(v.clone());
            }
            q.push(")");
        }
    }
}

fn push_time_filter(q: &mut QueryBuilder<'_, Db>, col: &str, filter: &TimeFilter) {
    let op = match filter.op {
        Comparison::Eq => "=",
        Comparison::Neq => "!=",
        Comparison::Gt => ">",
        Comparison::Gte => ">=",
        Comparison::Lt => "<",
        Comparison::Lte => "<=",
    };
    q.push(format!(" AND {col} {op} "));
    q.push_bind(filter.at.naive_utc());
}
