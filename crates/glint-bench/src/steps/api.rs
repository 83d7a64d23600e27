//! Step 2, the API mix: list, sorted+filtered list, show, create and patch,
//! each alone at `--concurrency` for `--duration` after `--warmup`, the
//! servers taking turns per case.

use std::sync::Arc;

use bytes::Bytes;
use hyper::Method;
use serde_json::{json, Value};

use super::populate::{create_images, salt};
use super::{image_body, load_case, Settings, Target};
use crate::client::{Api, JSON, JSON_PATCH};
use crate::load::{self, RequestSpec};
use crate::report::StepReport;
use crate::stats::Rng;

pub const LIST: &str = "/v2/images?limit=25";
pub const LIST_SORTED_FILTERED: &str =
    "/v2/images?limit=25&sort_key=name&sort_dir=asc&os_distro=ubuntu";

/// The API cases, as `--cases` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Case {
    List,
    Sorted,
    Show,
    Create,
    Patch,
}

const CASE_ORDER: [Case; 5] = [
    Case::List,
    Case::Sorted,
    Case::Show,
    Case::Create,
    Case::Patch,
];

type MakeRequest = Box<dyn Fn(&mut Rng) -> RequestSpec + Send + Sync>;

/// The cases, in order: name and how to make its requests (`None`: no
/// image ids to address, so the case cannot run).
fn cases(ids: Arc<Vec<String>>) -> Vec<(&'static str, Option<MakeRequest>)> {
    let salt = salt();
    let with_ids = |make: MakeRequest| (!ids.is_empty()).then_some(make);
    let show_ids = Arc::clone(&ids);
    let patch_ids = Arc::clone(&ids);
    vec![
        (
            "list",
            Some(Box::new(|_: &mut Rng| RequestSpec::get(LIST.into()))),
        ),
        (
            "list sorted+filter",
            Some(Box::new(|_: &mut Rng| {
                RequestSpec::get(LIST_SORTED_FILTERED.into())
            })),
        ),
        (
            "show",
            with_ids(Box::new(move |rng: &mut Rng| {
                RequestSpec::get(format!(
                    "/v2/images/{}",
                    show_ids[rng.below(show_ids.len())]
                ))
            })),
        ),
        (
            "create",
            Some(Box::new(move |rng: &mut Rng| RequestSpec {
                method: Method::POST,
                path: "/v2/images".into(),
                content_type: Some(JSON),
                body: image_body(rng.next_u64() % 1_000_000, salt),
            })),
        ),
        (
            "patch",
            with_ids(Box::new(move |rng: &mut Rng| {
                let patch = json!([{
                    "op": "replace",
                    "path": "/os_version",
                    "value": format!("{}.{:02}", 18 + rng.below(7), rng.below(12)),
                }]);
                RequestSpec {
                    method: Method::PATCH,
                    path: format!("/v2/images/{}", patch_ids[rng.below(patch_ids.len())]),
                    content_type: Some(JSON_PATCH),
                    body: Bytes::from(patch.to_string()),
                }
            })),
        ),
    ]
}

pub async fn run(targets: &mut [Target], settings: &Settings) -> Vec<StepReport> {
    let mut reports: Vec<StepReport> = Vec::new();
    let mut all_cases = Vec::new();
    for target in targets.iter_mut() {
        let mut report = StepReport::default();
        if let Some(note) = ensure_ids(target, settings).await {
            report.notes.push(note);
        }
        all_cases.push(cases(Arc::new(target.ids.clone())));
        reports.push(report);
    }
    let case_count = all_cases.first().map_or(0, Vec::len);
    for (i, case) in CASE_ORDER.iter().enumerate().take(case_count) {
        for (t, target) in targets.iter().enumerate() {
            let (name, make) = all_cases[t].remove(0);
            if !settings.cases.contains(case) {
                continue;
            }
            let Some(make) = make else {
                reports[t]
                    .notes
                    .push(format!("{name}: skipped, no image ids to address"));
                continue;
            };
            eprintln!("   {name} on {} …", target.name);
            let result = load::run(&target.api, settings.load, target.pid, make).await;
            reports[t].cases.push(load_case(name, &result));
            reports[t].failures.extend(result.tally.failures);
            if i == 0 && target.pid.is_none() {
                reports[t]
                    .notes
                    .push("server CPU: n/a (PID unknown: pass --server-pid/--vs-pid)".into());
            }
        }
    }
    for report in &mut reports {
        report.notes.push(format!(
            "concurrency {}, {:?} warm-up then {:?} per case; CPU % of one core, both share the machine's cores",
            settings.load.concurrency, settings.load.warmup, settings.load.duration
        ));
    }
    reports
}

/// Show and patch need existing image ids: the populate step's, else the
/// first `--images` the server lists, else a thousand made now.
async fn ensure_ids(target: &mut Target, settings: &Settings) -> Option<String> {
    if !target.ids.is_empty() {
        return None;
    }
    target.ids = list_ids(&target.api, settings.images).await;
    if !target.ids.is_empty() {
        return Some(format!(
            "show/patch over {} listed images (populate not run)",
            target.ids.len()
        ));
    }
    let n = settings.images.min(1000);
    let created = create_images(&target.api, n, settings.load.concurrency, salt()).await;
    target.ids = created.ids;
    Some(format!(
        "the server had no images: {} created first for show/patch",
        target.ids.len()
    ))
}

/// Up to `max` image ids, paging through the list.
async fn list_ids(api: &Api, max: usize) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    while ids.len() < max {
        let mut path = String::from("/v2/images?limit=1000");
        if let Some(last) = ids.last() {
            path.push_str("&marker=");
            path.push_str(last);
        }
        let page: Vec<String> = match api.send(Method::GET, &path, None, Bytes::new()).await {
            Ok(reply) if reply.status.is_success() => serde_json::from_slice::<Value>(&reply.body)
                .ok()
                .and_then(|v| {
                    v["images"].as_array().map(|images| {
                        images
                            .iter()
                            .filter_map(|i| i["id"].as_str().map(str::to_string))
                            .collect()
                    })
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        if page.is_empty() {
            break;
        }
        ids.extend(page);
    }
    ids.truncate(max);
    ids
}
