//! JSON and JSON Lines reports. The shape is versioned (`version`) and
//! documented in docs/report-format.md; later commands (verify, revoke,
//! baselines) read it back, so it carries the full secret unless `--redact`.

use serde::{Deserialize, Serialize};

use super::{RepoInfo, Report};
use crate::findings::Finding;
use crate::scan::ScanStats;
use crate::suppress::Suppression;

pub const JSON_SCHEMA_NAME: &str = "leakhound-report";
pub const JSON_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

/// Counts for a summary line.
#[derive(Debug, Serialize, Deserialize)]
pub struct Summary {
    pub findings: usize,
    pub locations: usize,
    /// Suppressed findings by kind (`inline`, `ignore-file`, `baseline`, ...).
    #[serde(default)]
    pub suppressed: std::collections::BTreeMap<String, usize>,
    #[serde(flatten)]
    pub stats: ScanStats,
}

/// The whole JSON report.
#[derive(Debug, Serialize, Deserialize)]
pub struct JsonReport {
    pub schema: String,
    pub version: u32,
    pub tool: ToolInfo,
    pub target: String,
    pub mode: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub repository: Option<RepoInfo>,
    pub summary: Summary,
    pub findings: Vec<Finding>,
    /// Each suppressed finding (or its suppressed locations) and by what.
    #[serde(default)]
    pub suppressed: Vec<Suppression>,
}

fn tool() -> ToolInfo {
    ToolInfo { name: "leakhound".into(), version: env!("CARGO_PKG_VERSION").into() }
}

fn summary(report: &Report<'_>) -> Summary {
    Summary {
        findings: report.findings.len(),
        locations: report.findings.iter().map(|f| f.locations.len()).sum(),
        suppressed: crate::suppress::counts(report.suppressed),
        stats: report.stats.clone(),
    }
}

pub fn render(report: &Report<'_>) -> String {
    let doc = JsonReport {
        schema: JSON_SCHEMA_NAME.into(),
        version: JSON_VERSION,
        tool: tool(),
        target: report.target.clone(),
        mode: report.mode.into(),
        repository: report.repository.clone(),
        summary: summary(report),
        findings: report.findings.to_vec(),
        suppressed: report.suppressed.to_vec(),
    };
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

/// One `{"type":"finding",...}` object per line, then one `{"type":"summary",...}`.
pub fn render_lines(report: &Report<'_>) -> String {
    #[derive(Serialize)]
    struct Line<'a, T: Serialize> {
        #[serde(rename = "type")]
        kind: &'a str,
        version: u32,
        #[serde(flatten)]
        body: T,
    }
    let mut out = String::new();
    for f in report.findings {
        out.push_str(
            &serde_json::to_string(&Line { kind: "finding", version: JSON_VERSION, body: f }).unwrap_or_default(),
        );
        out.push('\n');
    }
    for r in report.suppressed {
        out.push_str(
            &serde_json::to_string(&Line { kind: "suppressed", version: JSON_VERSION, body: r }).unwrap_or_default(),
        );
        out.push('\n');
    }
    let s = summary(report);
    out.push_str(&serde_json::to_string(&Line { kind: "summary", version: JSON_VERSION, body: s }).unwrap_or_default());
    out.push('\n');
    out
}
