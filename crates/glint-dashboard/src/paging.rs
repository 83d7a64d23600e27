//! Horizon's paging over marker-based lists: ask for one item more than a
//! page, and tell the page whether pages follow (`has_more_data`) and
//! precede it (`has_prev_data`).

use axum::http::{header, HeaderMap};
use serde_json::Value;

/// Page size when the browser sets none (Horizon's `API_RESULT_PAGE_SIZE`).
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Most items an unpaginated list returns (Horizon's `API_RESULT_LIMIT`).
pub const RESULT_LIMIT: usize = 1000;
/// The cookie in which the browser keeps its page size, as Horizon's.
const PAGE_SIZE_COOKIE: &str = "API_RESULT_PAGE_SIZE";

/// The query parameters a list handles itself; every other one filters.
pub const CLIENT_KEYWORDS: [&str; 5] = [
    "resource_type",
    "marker",
    "sort_dir",
    "sort_key",
    "paginate",
];

/// A list request's own parameters and its filters.
#[derive(Debug, Default)]
pub struct ListParams {
    pub paginate: bool,
    pub marker: Option<String>,
    pub sort_dir: Option<String>,
    pub sort_key: Option<String>,
    pub resource_type: Option<String>,
    /// Every other parameter, in request order; `None` values dropped.
    pub filters: Vec<(String, String)>,
}

impl ListParams {
    pub fn parse(params: &[(String, String)]) -> Self {
        let mut out = ListParams::default();
        for (key, value) in params {
            match key.as_str() {
                "paginate" => {
                    out.paginate = !matches!(value.as_str(), "" | "False" | "false" | "0" | "None")
                }
                "marker" => out.marker = Some(value.clone()).filter(|m| !m.is_empty()),
                "sort_dir" => out.sort_dir = Some(value.clone()),
                "sort_key" => out.sort_key = Some(value.clone()),
                "resource_type" => out.resource_type = Some(value.clone()),
                _ if value == "None" => {}
                _ => out.filters.push((key.clone(), value.clone())),
            }
        }
        out
    }
}

/// The page size the browser asked for in its cookie, else the default.
pub fn page_size(headers: &HeaderMap) -> usize {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == PAGE_SIZE_COOKIE)
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .map(|n| n.clamp(1, RESULT_LIMIT))
        .unwrap_or(DEFAULT_PAGE_SIZE)
}

/// How many items to fetch: a page and one more, or the whole limit.
pub fn wanted(paginate: bool, page_size: usize) -> usize {
    if paginate {
        page_size + 1
    } else {
        RESULT_LIMIT
    }
}

/// One page of a list and what lies around it.
pub struct Page {
    pub items: Vec<Value>,
    pub has_more_data: bool,
    pub has_prev_data: bool,
}

impl Page {
    /// Cuts `fetched` (at most a page and one more) to a page.
    /// `descending_back` is Horizon's namespace rule: a descending list
    /// reached with a marker and no more items is a first page reached by
    /// going back, so more follow.
    pub fn cut(
        mut fetched: Vec<Value>,
        paginate: bool,
        page_size: usize,
        has_marker: bool,
        descending_back: bool,
    ) -> Page {
        let mut page = Page {
            items: Vec::new(),
            has_more_data: false,
            has_prev_data: false,
        };
        if paginate {
            if fetched.len() > page_size {
                fetched.truncate(page_size);
                page.has_more_data = true;
                page.has_prev_data = has_marker;
            } else if descending_back && has_marker {
                page.has_more_data = true;
            } else if has_marker {
                page.has_prev_data = true;
            }
        }
        page.items = fetched;
        page
    }

    pub fn into_json(self) -> Value {
        serde_json::json!({
            "items": self.items,
            "has_more_data": self.has_more_data,
            "has_prev_data": self.has_prev_data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(Value::from).collect()
    }

    #[test]
    fn first_middle_and_last_pages() {
        let first = Page::cut(items(3), true, 2, false, false);
        assert_eq!(
            (first.items.len(), first.has_more_data, first.has_prev_data),
            (2, true, false)
        );
        let middle = Page::cut(items(3), true, 2, true, false);
        assert_eq!((middle.has_more_data, middle.has_prev_data), (true, true));
        let last = Page::cut(items(1), true, 2, true, false);
        assert_eq!(
            (last.items.len(), last.has_more_data, last.has_prev_data),
            (1, false, true)
        );
        let all = Page::cut(items(5), false, 2, false, false);
        assert_eq!(
            (all.items.len(), all.has_more_data, all.has_prev_data),
            (5, false, false)
        );
    }

    #[test]
    fn parameters_split_from_filters() {
        let p = ListParams::parse(&[
            ("paginate".into(), "True".into()),
            ("name".into(), "x".into()),
            ("owner".into(), "None".into()),
            ("sort_key".into(), "name".into()),
        ]);
        assert!(p.paginate);
        assert_eq!(p.sort_key.as_deref(), Some("name"));
        assert_eq!(p.filters, vec![("name".to_string(), "x".to_string())]);
    }
}
