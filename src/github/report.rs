//! The org report: one document for a whole nightly run (or, after
//! `leakhound merge`, for all shards of it). Repositories with what was
//! scanned and their findings with first-seen / last-seen dates and status,
//! totals by provider and status, and the findings-over-time history from
//! the state store. Rendered as JSON (`leakhound-org-report`, read back by
//! `merge`), JSON Lines, text, SARIF (one run per repository) and HTML.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::state::{HistoryPoint, RepoOutcome, StoredFinding};
use crate::findings::Finding;
use crate::report::{self, Format, RenderOptions, RepoInfo, Report};
use crate::rules::Rule;
use crate::scan::ScanStats;
use crate::verify::Status;

pub const ORG_SCHEMA_NAME: &str = "leakhound-org-report";
pub const ORG_VERSION: u32 = 1;

/// A finding of the org report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgFinding {
    /// First seen in this run ("new tonight").
    pub new: bool,
    #[serde(flatten)]
    pub stored: StoredFinding,
}

impl OrgFinding {
    /// `live`, `revoked`, `invalid`, `unknown` or `unverified`.
    pub fn status(&self) -> &'static str {
        self.stored.finding.verification.as_ref().map_or("unverified", |v| v.status.as_str())
    }

    pub fn is_live(&self) -> bool {
        self.stored.finding.verification.as_ref().is_some_and(|v| v.status == Status::Live)
    }

    /// "new tonight", "still live since 2026-11-02", "revoked", ...
    pub fn story(&self) -> String {
        let day = |s: &str| s.get(..10).unwrap_or(s).to_string();
        let revoked_by_us = self
            .stored
            .finding
            .verification
            .as_ref()
            .and_then(|v| v.revocation.as_ref())
            .is_some_and(|r| matches!(r.outcome, crate::verify::RevokeOutcome::Revoked));
        match (self.new, self.status()) {
            (true, "live") => "new tonight, live".into(),
            (true, _) => "new tonight".into(),
            (false, "live") => {
                format!(
                    "still live since {}",
                    day(self.stored.live_since.as_deref().unwrap_or(&self.stored.first_seen))
                )
            }
            (false, "revoked") if revoked_by_us => "revoked by leakhound".into(),
            (false, status) => format!("{status}, first seen {}", day(&self.stored.first_seen)),
        }
    }
}

/// One repository of the org report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoEntry {
    pub full_name: String,
    pub clone_url: String,
    #[serde(flatten)]
    pub outcome: RepoOutcome,
    pub findings: Vec<OrgFinding>,
}

/// The run an org report describes.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct RunInfo {
    pub id: i64,
    pub started_at: String,
    pub finished_at: String,
    /// The run picked up where an interrupted attempt stopped.
    pub resumed: bool,
}

/// Counts over all repositories.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Totals {
    pub repositories: usize,
    /// Repositories scanned (not unchanged since the last run).
    pub scanned: usize,
    pub failed: usize,
    pub blobs_scanned: u64,
    pub findings: usize,
    pub new_findings: usize,
    pub by_provider: BTreeMap<String, usize>,
    pub by_status: BTreeMap<String, usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// The whole org report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrgReport {
    pub schema: String,
    pub version: u32,
    pub tool: ToolInfo,
    /// `org:NAME`, `user:NAME`, `repo:OWNER/NAME`, or `merged` after `merge`.
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run: Option<RunInfo>,
    pub totals: Totals,
    pub repositories: Vec<RepoEntry>,
    /// Findings over time (one point per run, from the state store).
    #[serde(default)]
    pub history: Vec<HistoryPoint>,
}

impl OrgReport {
    pub fn new(scope: String, shard: Option<String>, run: Option<RunInfo>) -> OrgReport {
        OrgReport {
            schema: ORG_SCHEMA_NAME.into(),
            version: ORG_VERSION,
            tool: ToolInfo { name: "leakhound".into(), version: env!("CARGO_PKG_VERSION").into() },
            scope,
            shard,
            run,
            totals: Totals::default(),
            repositories: Vec::new(),
            history: Vec::new(),
        }
    }

    /// Recomputes the totals from the repositories.
    pub fn compute_totals(&mut self) {
        let mut t = Totals { repositories: self.repositories.len(), ..Totals::default() };
        for r in &self.repositories {
            if r.outcome.mode == "failed" {
                t.failed += 1;
            } else if r.outcome.mode != "unchanged" {
                t.scanned += 1;
            }
            t.blobs_scanned += r.outcome.blobs_scanned;
            for f in &r.findings {
                t.findings += 1;
                t.new_findings += usize::from(f.new);
                *t.by_provider.entry(f.stored.finding.provider.clone()).or_default() += 1;
                *t.by_status.entry(f.status().to_string()).or_default() += 1;
            }
        }
        self.totals = t;
    }

    /// Every finding, live first, then new ones, then by repository.
    pub fn findings_in_order(&self) -> Vec<&OrgFinding> {
        let mut all: Vec<&OrgFinding> = self.repositories.iter().flat_map(|r| r.findings.iter()).collect();
        all.sort_by(|a, b| {
            (!a.is_live(), !a.new, &a.stored.repo, &a.stored.finding.rule_id).cmp(&(
                !b.is_live(),
                !b.new,
                &b.stored.repo,
                &b.stored.finding.rule_id,
            ))
        });
        all
    }

    /// Blanks every secret (text, SARIF and HTML never show them anyway).
    pub fn redact(&mut self) {
        for r in &mut self.repositories {
            for f in &mut r.findings {
                f.stored.finding.secret = f.stored.finding.secret_redacted.clone();
            }
        }
    }
}

/// Renders the org report in `format`; `rules` supplies SARIF descriptors.
pub fn render(doc: &OrgReport, format: Format, rules: &BTreeMap<&str, &Rule>) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(doc).unwrap_or_default() + "\n",
        Format::Jsonl => render_lines(doc),
        Format::Sarif => render_sarif(doc, rules),
        Format::Text => render_text(doc),
    }
}

fn render_lines(doc: &OrgReport) -> String {
    let mut out = String::new();
    for r in &doc.repositories {
        for f in &r.findings {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert("type".into(), "finding".into());
                o.insert("version".into(), ORG_VERSION.into());
            }
            out.push_str(&v.to_string());
            out.push('\n');
        }
    }
    let summary = serde_json::json!({
        "type": "summary", "version": ORG_VERSION, "scope": doc.scope, "shard": doc.shard, "totals": doc.totals,
    });
    out.push_str(&summary.to_string());
    out.push('\n');
    out
}

/// One repository's SARIF, from its stored findings.
pub fn repo_sarif(entry: &RepoEntry, rules: &BTreeMap<&str, &Rule>, head: Option<String>) -> String {
    let findings: Vec<Finding> = entry.findings.iter().map(|f| f.stored.finding.clone()).collect();
    let stats = ScanStats::default();
    let report = Report {
        findings: &findings,
        stats: &stats,
        rules: rules.clone(),
        suppressed: &[],
        target: entry.full_name.clone(),
        mode: "git",
        repository: Some(RepoInfo { uri: entry.clone_url.clone(), revision: head, branch: None }),
    };
    report::render(&report, Format::Sarif, RenderOptions::default())
}

/// One SARIF document with a run per repository.
fn render_sarif(doc: &OrgReport, rules: &BTreeMap<&str, &Rule>) -> String {
    let docs: Vec<serde_json::Value> =
        doc.repositories.iter().filter_map(|r| serde_json::from_str(&repo_sarif(r, rules, None)).ok()).collect();
    combine_sarif(docs)
}

/// Concatenates the runs of SARIF documents into one document.
pub fn combine_sarif(docs: Vec<serde_json::Value>) -> String {
    let mut runs = Vec::new();
    let mut schema = serde_json::Value::String("https://json.schemastore.org/sarif-2.1.0.json".into());
    for d in docs {
        if let Some(s) = d.get("$schema") {
            schema = s.clone();
        }
        if let Some(serde_json::Value::Array(r)) = d.get("runs") {
            runs.extend(r.iter().cloned());
        }
    }
    let doc = serde_json::json!({ "$schema": schema, "version": "2.1.0", "runs": runs });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn render_text(doc: &OrgReport) -> String {
    let t = &doc.totals;
    let mut out = String::new();
    out.push_str(&format!(
        "{}{}: {} repositor{}, {} scanned, {} unchanged, {} failed; {} blobs scanned\n",
        doc.scope,
        doc.shard.as_ref().map(|s| format!(" (shard {s})")).unwrap_or_default(),
        t.repositories,
        if t.repositories == 1 { "y" } else { "ies" },
        t.scanned,
        t.repositories.saturating_sub(t.scanned + t.failed),
        t.failed,
        t.blobs_scanned,
    ));
    let statuses: Vec<String> = t.by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
    out.push_str(&format!(
        "findings: {} ({} new tonight){}\n",
        t.findings,
        t.new_findings,
        if statuses.is_empty() { String::new() } else { format!(" · {}", statuses.join(", ")) }
    ));
    for f in doc.findings_in_order() {
        let loc = f
            .stored
            .finding
            .locations
            .first()
            .map(|l| if l.line > 0 { format!("{}:{}", l.path, l.line) } else { l.path.clone() })
            .unwrap_or_default();
        out.push_str(&format!(
            "  {:<10} {}  {}  {}  {}  ({})\n",
            f.status().to_uppercase(),
            f.stored.repo,
            f.stored.finding.rule_id,
            f.stored.finding.secret_redacted,
            loc,
            f.story()
        ));
    }
    for r in doc.repositories.iter().filter(|r| r.outcome.error.is_some()) {
        out.push_str(&format!("  FAILED     {}: {}\n", r.full_name, r.outcome.error.as_deref().unwrap_or("")));
    }
    if !t.by_provider.is_empty() {
        let p: Vec<String> = t.by_provider.iter().map(|(p, n)| format!("{p} {n}")).collect();
        out.push_str(&format!("by provider: {}\n", p.join(", ")));
    }
    out
}
