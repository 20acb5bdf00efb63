//! Reports render findings; they never re-scan. Text is for people (grouped,
//! redacted, coloured on a terminal), JSON/JSONL for programs (documented in
//! docs/report-format.md), SARIF for GitHub code scanning.

mod json;
mod sarif;
mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::findings::Finding;
use crate::rules::Rule;
use crate::scan::ScanStats;
use crate::suppress::Suppression;

pub use json::{JSON_SCHEMA_NAME, JSON_VERSION, JsonReport};
pub use text::human_bytes;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Jsonl,
    Sarif,
}

/// The repository a git scan ran over, for provenance in reports.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RepoInfo {
    /// Remote URL (without credentials) or local path.
    pub uri: String,
    /// Commit id of HEAD.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub branch: Option<String>,
}

/// Everything a report renders.
pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub stats: &'a ScanStats,
    /// Rules by id, for names, remediation and references.
    pub rules: BTreeMap<&'a str, &'a Rule>,
    /// What suppressions hid, so nothing is hidden silently.
    pub suppressed: &'a [Suppression],
    /// What was scanned (a path, `-`, a range).
    pub target: String,
    /// `tree`, `git`, `range`, `staged`, `stdin`.
    pub mode: &'a str,
    pub repository: Option<RepoInfo>,
}

/// Rendering options.
#[derive(Debug, Clone, Copy, Default)]
pub struct RenderOptions {
    pub color: bool,
}

/// Renders a report in `format`.
pub fn render(report: &Report<'_>, format: Format, opts: RenderOptions) -> String {
    match format {
        Format::Text => text::render(report, opts),
        Format::Json => json::render(report),
        Format::Jsonl => json::render_lines(report),
        Format::Sarif => sarif::render(report),
    }
}
