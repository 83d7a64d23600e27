//! The query parameters of `GET /images` and `GET /images/detail`: filters
//! (`name`, `status`, `container_format`, `disk_format`, `size_min`,
//! `size_max`, `is_public`, `property-NAME`), `marker`, `limit`,
//! `sort_key`, `sort_dir`. Bad values are 400.

use glint_domain::image_query::{
    ImageListQuery, MemberStatusFilter, SortDir, SortKey, ValueFilter, Viewer, VisibilityFilter,
};
use glint_domain::{Error, RequestContext, Result};

use super::body::parse_bool;

/// What `is_public` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publicity {
    Public,
    NotPublic,
    Any,
}

pub struct ListRequest {
    pub query: ImageListQuery,
    pub publicity: Publicity,
    /// How many images the answer holds at most.
    pub limit: u32,
}

/// Reads the query string. `default_publicity` applies when `is_public` is
/// not given.
pub fn parse(
    raw: Option<&str>,
    ctx: &RequestContext,
    default_publicity: Publicity,
    limit_default: u32,
    limit_max: u32,
) -> Result<ListRequest> {
    let mut query = ImageListQuery::for_viewer(Viewer {
        project_id: ctx.project_id.clone(),
        is_admin: ctx.is_admin,
    });
    // v1 lists every shared image, whatever the member status.
    query.filters.member_status = MemberStatusFilter::All;
    query.filters.os_hidden = None;
    let mut publicity = default_publicity;
    let mut limit = limit_default;
    let (mut sort_key, mut sort_dir) = (SortKey::CreatedAt, SortDir::Desc);
    for (key, value) in form_pairs(raw.unwrap_or("")) {
        let exact = || Some(ValueFilter::Eq(value.clone()));
        match key.as_str() {
            "name" => query.filters.name = exact(),
            "status" => query.filters.status = exact(),
            "container_format" => query.filters.container_format = exact(),
            "disk_format" => query.filters.disk_format = exact(),
            "size_min" => query.filters.size_min = Some(number(&key, &value)?),
            "size_max" => query.filters.size_max = Some(number(&key, &value)?),
            "is_public" => {
                publicity = if value.eq_ignore_ascii_case("none") {
                    Publicity::Any
                } else {
                    match parse_bool(&value) {
                        Some(true) => Publicity::Public,
                        Some(false) => Publicity::NotPublic,
                        None => return Err(invalid(&key, &value)),
                    }
                }
            }
            "marker" => query.marker = Some(value.clone()),
            "limit" => {
                let n = number(&key, &value)?;
                limit = u32::try_from(n).unwrap_or(u32::MAX);
            }
            "sort_key" => sort_key = SortKey::parse(&value).ok_or_else(|| invalid(&key, &value))?,
            "sort_dir" => sort_dir = SortDir::parse(&value).ok_or_else(|| invalid(&key, &value))?,
            other => {
                if let Some(name) = other.strip_prefix("property-") {
                    query
                        .filters
                        .properties
                        .push((name.to_string(), ValueFilter::Eq(value.clone())));
                }
            }
        }
    }
    if publicity == Publicity::Public {
        query.filters.visibility = Some(VisibilityFilter::Only(glint_domain::Visibility::Public));
    } else {
        query.filters.visibility = Some(VisibilityFilter::All);
    }
    query.sort = vec![(sort_key, sort_dir)];
    let limit = limit.min(limit_max);
    query.limit = Some(limit);
    Ok(ListRequest {
        query,
        publicity,
        limit,
    })
}

fn form_pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn number(key: &str, value: &str) -> Result<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| invalid(key, value))
}

fn invalid(key: &str, value: &str) -> Error {
    Error::invalid(format!("Invalid value '{value}' for parameter '{key}'."))
}
