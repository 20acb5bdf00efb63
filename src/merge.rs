//! `leakhound merge REPORTS...`: combines the outputs of shards (org reports
//! in JSON, plain `scan` JSON reports, SARIF files) into one summary. A
//! repository that appears in several inputs keeps its last appearance;
//! histories are summed per day (each shard runs once a night). SARIF inputs
//! can only be merged into SARIF (their runs are concatenated).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::github::report::{ORG_SCHEMA_NAME, OrgFinding, OrgReport, RepoEntry, combine_sarif};
use crate::github::state::{HistoryPoint, RepoOutcome, StoredFinding};
use crate::report::{Format, JSON_SCHEMA_NAME, JsonReport};
use crate::rules::Rule;

/// One input file, recognised by its content.
pub enum Input {
    Org(OrgReport),
    Scan(JsonReport),
    Sarif(serde_json::Value),
}

/// Reads and recognises one input.
pub fn read(path: &Path) -> Result<Input> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))?;
    if value.get("runs").is_some() && value.get("version").and_then(|v| v.as_str()).is_some() {
        return Ok(Input::Sarif(value));
    }
    match value.get("schema").and_then(|s| s.as_str()) {
        Some(ORG_SCHEMA_NAME) => Ok(Input::Org(
            serde_json::from_value(value).with_context(|| format!("{}: malformed org report", path.display()))?,
        )),
        Some(JSON_SCHEMA_NAME) => Ok(Input::Scan(
            serde_json::from_value(value).with_context(|| format!("{}: malformed leakhound report", path.display()))?,
        )),
        _ => bail!("{}: neither a leakhound JSON report, an org report nor SARIF", path.display()),
    }
}

/// A plain scan report as one repository of an org report.
fn scan_as_repo(doc: JsonReport) -> RepoEntry {
    let name = doc.repository.as_ref().map(|r| r.uri.clone()).unwrap_or_else(|| doc.target.clone());
    let findings = doc
        .findings
        .into_iter()
        .map(|finding| OrgFinding {
            new: false,
            stored: StoredFinding {
                repo: name.clone(),
                finding,
                first_seen_run: 0,
                first_seen: String::new(),
                last_seen_run: 0,
                last_seen: String::new(),
                live_since: None,
            },
        })
        .collect();
    RepoEntry {
        full_name: name.clone(),
        clone_url: name,
        outcome: RepoOutcome {
            mode: doc.mode,
            blobs_scanned: doc.summary.stats.scanned,
            bytes_scanned: doc.summary.stats.bytes,
            duration_ms: doc.summary.stats.duration.as_millis() as u64,
            ..RepoOutcome::default()
        },
        findings,
    }
}

/// Merges org and scan reports into one org report.
pub fn merge_reports(inputs: Vec<Input>) -> Result<OrgReport> {
    let mut repos: BTreeMap<String, RepoEntry> = BTreeMap::new();
    let mut history: BTreeMap<String, HistoryPoint> = BTreeMap::new();
    let mut scopes: Vec<String> = Vec::new();
    for input in inputs {
        match input {
            Input::Org(doc) => {
                if !scopes.contains(&doc.scope) {
                    scopes.push(doc.scope.clone());
                }
                for r in doc.repositories {
                    repos.insert(r.full_name.clone(), r);
                }
                for p in doc.history {
                    let day = p.date.get(..10).unwrap_or(&p.date).to_string();
                    let e = history.entry(day.clone()).or_insert(HistoryPoint {
                        run: 0,
                        date: day,
                        findings: 0,
                        new_findings: 0,
                        live: 0,
                        revoked: 0,
                    });
                    e.run = e.run.max(p.run);
                    e.findings += p.findings;
                    e.new_findings += p.new_findings;
                    e.live += p.live;
                    e.revoked += p.revoked;
                }
            }
            Input::Scan(doc) => {
                let entry = scan_as_repo(doc);
                repos.insert(entry.full_name.clone(), entry);
            }
            Input::Sarif(_) => bail!("SARIF inputs can only be merged with --format sarif"),
        }
    }
    let scope = if scopes.len() == 1 { scopes.remove(0) } else { "merged".to_string() };
    let mut doc = OrgReport::new(scope, None, None);
    doc.repositories = repos.into_values().collect();
    doc.history = history.into_values().collect();
    doc.compute_totals();
    Ok(doc)
}

/// `leakhound merge`: the merged document rendered in `format`, and the
/// merged org report (for the HTML page) when the inputs allow one.
pub fn run(paths: &[PathBuf], format: Format, rules: &BTreeMap<&str, &Rule>) -> Result<(String, Option<OrgReport>)> {
    let inputs = paths.iter().map(|p| read(p)).collect::<Result<Vec<_>>>()?;
    if format == Format::Sarif {
        let mut docs = Vec::new();
        let mut others = Vec::new();
        for i in inputs {
            match i {
                Input::Sarif(v) => docs.push(v),
                other => others.push(other),
            }
        }
        let merged = if others.is_empty() { None } else { Some(merge_reports(others)?) };
        if let Some(m) = &merged {
            let text = crate::github::report::render(m, Format::Sarif, rules);
            docs.push(serde_json::from_str(&text).context("SARIF of the merged reports")?);
        }
        return Ok((combine_sarif(docs), merged));
    }
    let merged = merge_reports(inputs)?;
    Ok((crate::github::report::render(&merged, format, rules), Some(merged)))
}
