//! Figures as a table per step (one row per case, and per server with
//! `--vs`, plus their ratio) and as JSON.

use serde_json::{json, Map, Value};

/// A measured figure (two servers' may be divided) or a count (not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Figure,
    Count,
}

/// One figure: its JSON key, its column heading, its value (`None`: n/a).
#[derive(Debug, Clone)]
pub struct Metric {
    pub key: &'static str,
    pub heading: &'static str,
    pub value: Option<f64>,
    pub decimals: usize,
    pub kind: Kind,
}

impl Metric {
    pub fn new(
        key: &'static str,
        heading: &'static str,
        value: Option<f64>,
        decimals: usize,
    ) -> Self {
        Metric {
            key,
            heading,
            value,
            decimals,
            kind: Kind::Figure,
        }
    }

    /// A count (errors, images): shown, but not divided between servers.
    pub fn count(key: &'static str, heading: &'static str, value: u64) -> Self {
        Metric {
            key,
            heading,
            value: Some(value as f64),
            decimals: 0,
            kind: Kind::Count,
        }
    }

    fn text(&self) -> String {
        match self.value {
            Some(v) => format!("{v:.*}", self.decimals),
            None => "n/a".to_string(),
        }
    }
}

/// One row of a step's table: what was measured and its figures.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub metrics: Vec<Metric>,
}

/// A step's figures for one server.
#[derive(Debug, Clone, Default)]
pub struct StepReport {
    pub cases: Vec<Case>,
    /// Lines printed under the table (and kept in the JSON).
    pub notes: Vec<String>,
    /// Every non-2xx answer and transport error, "METHOD path → status body".
    pub failures: Vec<String>,
}

impl StepReport {
    pub fn skipped(reason: &str) -> Self {
        StepReport {
            notes: vec![format!("skipped: {reason}")],
            ..StepReport::default()
        }
    }

    pub fn to_json(&self) -> Value {
        let mut cases = Map::new();
        for case in &self.cases {
            let figures: Map<String, Value> = case
                .metrics
                .iter()
                .map(|m| {
                    let value = match (m.value, m.kind) {
                        (None, _) => Value::Null,
                        (Some(v), Kind::Count) => json!(v as u64),
                        (Some(v), Kind::Figure) => json!(v),
                    };
                    (m.key.to_string(), value)
                })
                .collect();
            cases.insert(case.name.clone(), Value::Object(figures));
        }
        json!({ "cases": cases, "notes": self.notes, "failures": self.failures })
    }
}

/// Ratios (first server ÷ second) of every case and figure both have.
pub fn ratios(a: &StepReport, b: &StepReport) -> Vec<Case> {
    a.cases
        .iter()
        .filter_map(|ca| {
            let cb = b.cases.iter().find(|c| c.name == ca.name)?;
            let metrics = ca
                .metrics
                .iter()
                .map(|ma| {
                    let mb = cb.metrics.iter().find(|m| m.key == ma.key);
                    let value = match (ma.kind, ma.value, mb.and_then(|m| m.value)) {
                        (Kind::Figure, Some(x), Some(y)) if y != 0.0 => Some(x / y),
                        _ => None,
                    };
                    Metric::new(ma.key, ma.heading, value, 2)
                })
                .collect();
            Some(Case {
                name: ca.name.clone(),
                metrics,
            })
        })
        .collect()
}

pub fn ratios_json(cases: &[Case]) -> Value {
    StepReport {
        cases: cases.to_vec(),
        ..StepReport::default()
    }
    .to_json()["cases"]
        .clone()
}

/// Prints a step's table: per case one row per server (labelled when there
/// are several) and, with two, a ratio row.
pub fn print_step(title: &str, reports: &[(&str, &StepReport)], ratio: Option<&[Case]>) {
    println!("\n== {title}");
    let several = reports.len() > 1;
    let mut headings: Vec<&str> = vec!["case"];
    if several {
        headings.push("server");
    }
    let mut metric_headings: Vec<&'static str> = Vec::new();
    for (_, report) in reports {
        for case in &report.cases {
            for m in &case.metrics {
                if !metric_headings.contains(&m.heading) {
                    metric_headings.push(m.heading);
                }
            }
        }
    }
    headings.extend(metric_headings.iter().copied());

    let row = |case: &Case, server: &str| -> Vec<String> {
        let mut cells = vec![case.name.clone()];
        if several {
            cells.push(server.to_string());
        }
        for heading in &metric_headings {
            cells.push(
                case.metrics
                    .iter()
                    .find(|m| m.heading == *heading)
                    .map_or_else(|| "-".to_string(), Metric::text),
            );
        }
        cells
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut case_names: Vec<&str> = Vec::new();
    for (_, report) in reports {
        for case in &report.cases {
            if !case_names.contains(&case.name.as_str()) {
                case_names.push(&case.name);
            }
        }
    }
    for name in &case_names {
        for (server, report) in reports {
            if let Some(case) = report.cases.iter().find(|c| c.name == *name) {
                rows.push(row(case, server));
            }
        }
        if let Some(case) = ratio.and_then(|r| r.iter().find(|c| c.name == *name)) {
            rows.push(row(case, "ratio"));
        }
    }
    if !rows.is_empty() {
        print_table(&headings, &rows);
    }
    if ratio.is_some() {
        if let [(a, _), (b, _)] = reports {
            println!("  ratio rows: {a} ÷ {b}");
        }
    }
    let mut printed: Vec<&str> = Vec::new();
    for (server, report) in reports {
        for note in &report.notes {
            let everyone = reports.iter().all(|(_, r)| r.notes.contains(note));
            if !several || everyone {
                if !printed.contains(&note.as_str()) {
                    println!("  {note}");
                    printed.push(note);
                }
            } else {
                println!("  [{server}] {note}");
            }
        }
        for line in group_failures(&report.failures) {
            if several {
                println!("  [{server}] {line}");
            } else {
                println!("  {line}");
            }
        }
    }
}

fn print_table(headings: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..headings.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([headings[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 || (i == 1 && headings[1] == "server") {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        println!("  {}", text.join("  ").trim_end());
    };
    line(headings.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// Failures grouped by what they say once the path is left out (ids
/// differ), most frequent first: "N × METHOD → status body (e.g. path)".
pub fn group_failures(failures: &[String]) -> Vec<String> {
    let mut groups: Vec<(String, usize, &str)> = Vec::new();
    for f in failures {
        let (request, outcome) = f.split_once(" → ").unwrap_or((f.as_str(), ""));
        let method = request.split(' ').next().unwrap_or("");
        let key = format!("{method} → {outcome}");
        match groups.iter_mut().find(|(k, _, _)| *k == key) {
            Some(g) => g.1 += 1,
            None => groups.push((key, 1, request)),
        }
    }
    groups.sort_by_key(|g| std::cmp::Reverse(g.1));
    groups
        .into_iter()
        .map(|(key, n, example)| format!("non-2xx/error: {n} × {key}   (e.g. {example})"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_group_by_outcome_not_path() {
        let failures = vec![
            "GET /v2/images/a → 404 not found".to_string(),
            "GET /v2/images/b → 404 not found".to_string(),
            "POST /v2/images → 500 boom".to_string(),
        ];
        let grouped = group_failures(&failures);
        assert_eq!(grouped.len(), 2);
        assert!(grouped[0].starts_with("non-2xx/error: 2 × GET → 404 not found"));
    }

    #[test]
    fn ratios_skip_counts_and_missing_figures() {
        let report = |rate: f64, errors: u64| StepReport {
            cases: vec![Case {
                name: "list".into(),
                metrics: vec![
                    Metric::new("rate", "req/s", Some(rate), 0),
                    Metric::count("non_2xx", "non-2xx", errors),
                    Metric::new("cpu", "cpu", None, 3),
                ],
            }],
            ..StepReport::default()
        };
        let r = ratios(&report(3000.0, 1), &report(1500.0, 1));
        assert_eq!(r[0].metrics[0].value, Some(2.0));
        assert_eq!(r[0].metrics[1].value, None);
        assert_eq!(r[0].metrics[2].value, None);
    }
}
