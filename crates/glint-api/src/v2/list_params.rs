//! `GET /v2/images` query parameters → a typed [`ImageListQuery`], with
//! Glance's 400s for anything malformed, and the `first`/`next` links.

use glint_domain::image_query::{
    Comparison, ImageFilters, ImageListQuery, MemberStatusFilter, SortDir, SortKey, TimeFilter,
    ValueFilter, Viewer, VisibilityFilter,
};
use glint_domain::{time, Error, Result, Visibility};

/// The raw parameters, in request order (repeats kept).
pub type Params = Vec<(String, String)>;

pub fn parse_query_string(query: Option<&str>) -> Params {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Parses list parameters for `viewer`.
pub fn parse(params: &Params, viewer: Viewer) -> Result<ImageListQuery> {
    let mut query = ImageListQuery::for_viewer(viewer);
    let f: &mut ImageFilters = &mut query.filters;
    let mut sort_keys = Vec::new();
    let mut sort_dirs = Vec::new();
    let mut sort_param = None;

    for (key, value) in params {
        match key.as_str() {
            "limit" => query.limit = Some(parse_limit(value)?),
            "marker" => query.marker = Some(value.clone()),
            "sort_key" => sort_keys.push(parse_sort_key(value)?),
            "sort_dir" => sort_dirs.push(parse_sort_dir(value)?),
            "sort" => sort_param = Some(value.clone()),
            "id" => f.id = Some(value_filter(value)),
            "name" => f.name = Some(value_filter(value)),
            "owner" => f.owner = Some(value_filter(value)),
            "checksum" => f.checksum = Some(value_filter(value)),
            "os_hash_value" => f.os_hash_value = Some(value_filter(value)),
            "disk_format" => f.disk_format = Some(value_filter(value)),
            "container_format" => f.container_format = Some(value_filter(value)),
            "status" => f.status = Some(value_filter(value)),
            "visibility" => {
                f.visibility =
                    Some(match value.as_str() {
                        "all" => VisibilityFilter::All,
                        v => VisibilityFilter::Only(Visibility::parse(v).ok_or_else(|| {
                            Error::invalid(format!("Invalid visibility value: {v}"))
                        })?),
                    });
            }
            "member_status" => {
                f.member_status = MemberStatusFilter::parse(value)
                    .ok_or_else(|| Error::invalid(format!("Invalid status: {value}")))?;
            }
            "protected" => f.protected = Some(parse_bool(key, value)?),
            "os_hidden" => f.os_hidden = Some(parse_bool(key, value)?),
            "size_min" => f.size_min = Some(parse_size(value)?),
            "size_max" => f.size_max = Some(parse_size(value)?),
            "created_at" => f.created_at.push(parse_time_filter(key, value)?),
            "updated_at" => f.updated_at.push(parse_time_filter(key, value)?),
            "tag" => f.tags.push(value.clone()),
            // Link-like attributes are not filters.
            "self" | "file" | "schema" => {
                return Err(Error::invalid(format!("Invalid filter: {key}")));
            }
            _ => f.properties.push((key.clone(), value_filter(value))),
        }
    }

    if let (Some(min), Some(max)) = (f.size_min, f.size_max) {
        if min > max {
            return Err(Error::invalid(format!(
                "size_max ({max}) must be greater than or equal to size_min ({min})"
            )));
        }
    }

    query.sort = match sort_param {
        Some(sort) => {
            if !sort_keys.is_empty() || !sort_dirs.is_empty() {
                return Err(Error::invalid(
                    "Old and new sorting syntax cannot be combined",
                ));
            }
            parse_sort(&sort)?
        }
        None => combine_sort(sort_keys, sort_dirs)?,
    };
    Ok(query)
}

fn parse_limit(value: &str) -> Result<u32> {
    let n: i64 = value
        .parse()
        .map_err(|_| Error::invalid("limit param must be an integer"))?;
    if n < 0 {
        return Err(Error::invalid("limit param must be positive"));
    }
    Ok(n.min(i64::from(u32::MAX)) as u32)
}

fn parse_sort_key(value: &str) -> Result<SortKey> {
    SortKey::parse(value).ok_or_else(|| {
        let available: Vec<&str> = SortKey::ALL.iter().map(|k| k.as_str()).collect();
        Error::invalid(format!(
            "Invalid sort key: {value}. It must be one of the following: {}.",
            available.join(", ")
        ))
    })
}

fn parse_sort_dir(value: &str) -> Result<SortDir> {
    SortDir::parse(value).ok_or_else(|| Error::invalid(format!("Invalid sort direction: {value}")))
}

/// `sort=name:asc,status` (a missing direction is `desc`).
fn parse_sort(value: &str) -> Result<Vec<(SortKey, SortDir)>> {
    value
        .split(',')
        .map(|item| {
            let item = item.trim();
            let (key, dir) = match item.split_once(':') {
                Some((k, d)) => (k.trim(), parse_sort_dir(d.trim())?),
                None => (item, SortDir::Desc),
            };
            Ok((parse_sort_key(key)?, dir))
        })
        .collect()
}

/// Repeated `sort_key`/`sort_dir`: one direction applies to every key;
/// otherwise there may not be more directions than keys, and keys without
/// one sort descending.
fn combine_sort(keys: Vec<SortKey>, dirs: Vec<SortDir>) -> Result<Vec<(SortKey, SortDir)>> {
    if keys.is_empty() {
        return Ok(match dirs.first() {
            Some(dir) => vec![(SortKey::CreatedAt, *dir)],
            None => vec![],
        });
    }
    if dirs.len() > 1 && dirs.len() != keys.len() {
        return Err(Error::invalid(
            "Number of sort dirs does not match the number of sort keys",
        ));
    }
    Ok(keys
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let dir = if dirs.len() == 1 {
                dirs[0]
            } else {
                dirs.get(i).copied().unwrap_or(SortDir::Desc)
            };
            (k, dir)
        })
        .collect())
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::invalid(format!(
            "Invalid value '{value}' for '{key}' filter. Valid values are 'true' or 'false'."
        ))),
    }
}

fn parse_size(value: &str) -> Result<i64> {
    value
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| Error::invalid("Unable to filter on a range with a non-numeric value."))
}

/// `gt:2016-04-18T21:38:54Z`; no operator means `eq`.
fn parse_time_filter(key: &str, value: &str) -> Result<TimeFilter> {
    let (op, at) = match value.split_once(':') {
        Some((op, rest)) if Comparison::parse(op).is_some() => {
            (Comparison::parse(op).expect("checked"), rest)
        }
        Some((op, _)) if op.chars().all(|c| c.is_ascii_alphabetic()) && op.len() < 5 => {
            return Err(Error::invalid("Unable to filter on a unknown operator."))
        }
        _ => (Comparison::Eq, value),
    };
    let at = time::parse_iso8601(at).ok_or_else(|| {
        Error::invalid(format!(
            "Bad \"{key}\" query filter format. Use ISO 8601 DateTime notation."
        ))
    })?;
    Ok(TimeFilter { op, at })
}

/// `value`, `eq:value` or `in:a,"b,c",d`.
fn value_filter(value: &str) -> ValueFilter {
    if let Some(list) = value.strip_prefix("in:") {
        return ValueFilter::In(split_in_list(list));
    }
    ValueFilter::Eq(value.strip_prefix("eq:").unwrap_or(value).to_string())
}

/// Splits on commas outside double quotes; quotes are removed.
fn split_in_list(list: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in list.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => items.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    items.push(current);
    items
}

fn encode(params: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The `first` link: the request's parameters without the marker.
pub fn first_link(params: &Params) -> String {
    first_link_at("/v2/images", params)
}

/// The `next` link: the request's parameters with the marker set to the
/// last image of this page.
pub fn next_link(params: &Params, marker: &str) -> String {
    next_link_at("/v2/images", params, marker)
}

/// [`first_link`] of any listing at `path`.
pub fn first_link_at(path: &str, params: &Params) -> String {
    let kept: Params = params
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", encode(&kept))
    }
}

/// [`next_link`] of any listing at `path`.
pub fn next_link_at(path: &str, params: &Params, marker: &str) -> String {
    let mut kept: Params = params
        .iter()
        .filter(|(k, _)| k != "marker")
        .cloned()
        .collect();
    kept.push(("marker".into(), marker.into()));
    format!("{path}?{}", encode(&kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer() -> Viewer {
        Viewer {
            project_id: Some("p".into()),
            is_admin: false,
        }
    }

    fn p(q: &str) -> Result<ImageListQuery> {
        parse(&parse_query_string(Some(q)), viewer())
    }

    #[test]
    fn filters_and_sorts() {
        let q = p("name=in:\"glass,%20darkly\",share%20me&tag=a&tag=b&os_distro=ubuntu&limit=5&sort=name:asc,status").unwrap();
        assert_eq!(
            q.filters.name,
            Some(ValueFilter::In(vec![
                "glass, darkly".into(),
                "share me".into()
            ]))
        );
        assert_eq!(q.filters.tags, vec!["a", "b"]);
        assert_eq!(
            q.filters.properties,
            vec![("os_distro".into(), ValueFilter::Eq("ubuntu".into()))]
        );
        assert_eq!(q.limit, Some(5));
        assert_eq!(
            q.sort,
            vec![
                (SortKey::Name, SortDir::Asc),
                (SortKey::Status, SortDir::Desc)
            ]
        );
        let q = p("sort_key=name&sort_dir=asc&sort_key=size&sort_dir=desc&created_at=gt:2016-04-18T21:38:54Z").unwrap();
        assert_eq!(
            q.sort,
            vec![
                (SortKey::Name, SortDir::Asc),
                (SortKey::Size, SortDir::Desc)
            ]
        );
        assert_eq!(q.filters.created_at[0].op, Comparison::Gt);
        assert_eq!(q.filters.os_hidden, Some(false));
    }

    #[test]
    fn rejects_bad_parameters() {
        for bad in [
            "limit=-1",
            "limit=abc",
            "sort_key=nosuch",
            "sort_dir=up",
            "sort=name:up",
            "sort=name&sort_key=name",
            "visibility=bogus",
            "member_status=maybe",
            "protected=maybe",
            "size_min=abc",
            "created_at=zz:2016-01-01T00:00:00Z",
            "created_at=gt:yesterday",
            "sort_key=name&sort_key=size&sort_dir=asc&sort_dir=desc&sort_dir=asc",
        ] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_keep_parameters() {
        let params = parse_query_string(Some("limit=2&marker=x&name=a%20b"));
        assert_eq!(first_link(&params), "/v2/images?limit=2&name=a+b");
        assert_eq!(
            next_link(&params, "y"),
            "/v2/images?limit=2&name=a+b&marker=y"
        );
        assert_eq!(first_link(&vec![]), "/v2/images");
    }
}
