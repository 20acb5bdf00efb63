//! Suppressions: inline `leakhound:allow` comments (and the forms gitleaks,
//! detect-secrets, ggshield, TruffleHog and Kingfisher use, so migrating
//! teams keep theirs), `.leakhoundignore` fingerprint files, baselines, and
//! the configuration's path and value allowlists. Every suppression is
//! recorded, so reports can say what was hidden and why.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use globset::GlobSet;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::findings::{self, Finding, Hit};
use crate::rules::Rule;

/// Markers that allow a secret on the line that carries them.
const SAME_LINE_MARKERS: &[&str] = &[
    "leakhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
    "ggignore",
    "trufflehog:ignore",
    "kingfisher:ignore",
];
/// detect-secrets' marker for the next line.
const NEXT_LINE_MARKER: &str = "pragma: allowlist nextline secret";

/// The ignore file's name at a repository root.
pub const IGNORE_FILE_NAME: &str = ".leakhoundignore";
pub const BASELINE_SCHEMA: &str = "leakhound-baseline";

/// Which inline marker, if any, allows a match at `start..end` in `buf`.
pub fn inline_marker(buf: &[u8], start: usize, end: usize) -> Option<&'static str> {
    let line_start = memchr::memrchr(b'\n', &buf[..start]).map_or(0, |p| p + 1);
    let first_line_end = memchr::memchr(b'\n', &buf[start..]).map_or(buf.len(), |p| start + p);
    let line = &buf[line_start..first_line_end.max(end.min(buf.len()))];
    if let Some(m) = SAME_LINE_MARKERS.iter().find(|m| contains_ci(line, m.as_bytes())) {
        return Some(m);
    }
    if line_start > 0 {
        let prev_start = memchr::memrchr(b'\n', &buf[..line_start - 1]).map_or(0, |p| p + 1);
        if contains_ci(&buf[prev_start..line_start - 1], NEXT_LINE_MARKER.as_bytes()) {
            return Some(NEXT_LINE_MARKER);
        }
    }
    None
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    // Lines are short; a marker check only runs for lines that matched a rule.
    hay.len() >= needle.len() && hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// One suppressed finding (or the suppressed locations of one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    pub fingerprint: String,
    pub rule_id: String,
    /// `inline:<marker>`, `ignore-file`, `baseline`, `allowlist-path`,
    /// `allowlist-value`, `stop-word`.
    pub by: String,
    /// Locations suppressed (0 when the finding as a whole was).
    pub locations: usize,
    /// The reason written in the ignore file, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

/// Everything that can suppress findings in one scan.
#[derive(Default)]
pub struct Suppressor {
    pub path_allow: Option<GlobSet>,
    /// Fingerprint -> reason, from ignore files.
    pub ignored: HashMap<String, Option<String>>,
    pub baseline: HashSet<String>,
}

impl Suppressor {
    /// Applies location-level suppressions to hits and finding-level ones to
    /// the grouped findings. Returns the findings to report and what was
    /// suppressed.
    pub fn apply<'a>(
        &self,
        hits: Vec<Hit>,
        settings: &Settings,
        rule_of: impl Fn(usize) -> &'a Rule + Copy,
    ) -> (Vec<Finding>, Vec<Suppression>) {
        let mut kept = Vec::with_capacity(hits.len());
        let mut dropped: BTreeMap<(String, String, String), usize> = BTreeMap::new();
        for hit in hits {
            let by = match hit.allow {
                Some(marker) => Some(format!("inline:{marker}")),
                None if self.path_allow.as_ref().is_some_and(|g| g.is_match(&hit.location.path)) => {
                    Some("allowlist-path".to_string())
                }
                None => None,
            };
            match by {
                Some(by) => {
                    let rule = rule_of(hit.rule);
                    let fp = findings::finding_fingerprint(&rule.id, &hit.secret);
                    *dropped.entry((fp, rule.id.clone(), by)).or_default() += 1;
                }
                None => kept.push(hit),
            }
        }
        let mut records: Vec<Suppression> = dropped
            .into_iter()
            .map(|((fingerprint, rule_id, by), locations)| Suppression {
                fingerprint,
                rule_id,
                by,
                locations,
                reason: None,
            })
            .collect();
        let mut findings = findings::group(rule_of, kept);
        findings.retain(|f| {
            let by = if let Some(reason) = self.ignored.get(&f.fingerprint) {
                Some(("ignore-file", reason.clone()))
            } else if self.baseline.contains(&f.fingerprint) {
                Some(("baseline", None))
            } else {
                settings.value_allowed(&f.secret).map(|b| (b, None))
            };
            match by {
                Some((by, reason)) => {
                    records.push(Suppression {
                        fingerprint: f.fingerprint.clone(),
                        rule_id: f.rule_id.clone(),
                        by: by.to_string(),
                        locations: f.locations.len(),
                        reason,
                    });
                    false
                }
                None => true,
            }
        });
        records.sort_by(|a, b| (&a.by, &a.rule_id, &a.fingerprint).cmp(&(&b.by, &b.rule_id, &b.fingerprint)));
        (findings, records)
    }
}

/// Counts of suppressions by kind (`inline` groups every marker).
pub fn counts(records: &[Suppression]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in records {
        let kind = r.by.split(':').next().unwrap_or(&r.by).to_string();
        *out.entry(kind).or_default() += 1;
    }
    out
}

/// Reads a `.leakhoundignore`: one fingerprint per line, `# comment` after it
/// or on its own line.
pub fn read_ignore_file(path: &Path) -> Result<HashMap<String, Option<String>>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read ignore file {}", path.display()))?;
    let mut out = HashMap::new();
    for (n, raw) in text.lines().enumerate() {
        let (body, comment) = match raw.split_once('#') {
            Some((b, c)) => (b.trim(), Some(c.trim().to_string()).filter(|c| !c.is_empty())),
            None => (raw.trim(), None),
        };
        if body.is_empty() {
            continue;
        }
        if body.len() != 32 || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("{}:{}: {body:?} is not a leakhound finding fingerprint (32 hex characters)", path.display(), n + 1);
        }
        out.insert(body.to_ascii_lowercase(), comment);
    }
    Ok(out)
}

/// Appends fingerprints to an ignore file, each with the reason as a comment.
pub fn append_ignores(path: &Path, fingerprints: &[String], reason: Option<&str>) -> Result<usize> {
    let existing = if path.exists() { read_ignore_file(path)? } else { HashMap::new() };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} for appending", path.display()))?;
    let mut added = 0;
    for fp in fingerprints {
        let fp = fp.trim().to_ascii_lowercase();
        if fp.len() != 32 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            bail!("{fp:?} is not a leakhound finding fingerprint (32 hex characters)");
        }
        if existing.contains_key(&fp) {
            continue;
        }
        match reason {
            Some(r) => writeln!(file, "{fp}  # {}", r.replace('\n', " "))?,
            None => writeln!(file, "{fp}")?,
        }
        added += 1;
    }
    Ok(added)
}

/// One line of a baseline file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
}

/// Writes a baseline: a header line, then one finding per line sorted by
/// fingerprint; no timestamps, no line numbers. Git's union merge driver
/// (set in .gitattributes next to it) merges two branches' additions
/// without conflict.
pub fn write_baseline(path: &Path, entries: &[BaselineEntry]) -> Result<()> {
    let mut sorted = entries.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut text = format!("{{\"schema\":\"{BASELINE_SCHEMA}\",\"version\":1}}\n");
    for e in &sorted {
        text.push_str(&serde_json::to_string(e)?);
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("cannot write baseline {}", path.display()))
}

/// Reads a baseline: a leakhound baseline file or a leakhound JSON report.
pub fn read_baseline(path: &Path) -> Result<HashSet<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read baseline {}", path.display()))?;
    let first = text.lines().next().unwrap_or("").trim();
    if let Ok(head) = serde_json::from_str::<serde_json::Value>(first)
        && head["schema"] == BASELINE_SCHEMA
    {
        if head["version"] != 1 {
            bail!(
                "{}: baseline version {} is not supported (this leakhound reads version 1)",
                path.display(),
                head["version"]
            );
        }
        let mut out = HashSet::new();
        for (n, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let e: BaselineEntry = serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a baseline entry", path.display(), n + 1))?;
            out.insert(e.fingerprint);
        }
        return Ok(out);
    }
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "{}: not a leakhound baseline or JSON report (is it another tool's file? see `leakhound baseline import`)",
            path.display()
        )
    })?;
    match (doc["schema"].as_str(), doc["version"].as_u64()) {
        (Some(crate::report::JSON_SCHEMA_NAME), Some(1)) => Ok(doc["findings"]
            .as_array()
            .map(|fs| fs.iter().filter_map(|f| f["fingerprint"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()),
        (Some(crate::report::JSON_SCHEMA_NAME), v) => {
            bail!("{}: report version {v:?} is not supported (this leakhound reads version 1)", path.display())
        }
        _ => bail!(
            "{}: not a leakhound baseline or JSON report (another tool's report? see `leakhound baseline import`)",
            path.display()
        ),
    }
}

/// Baseline entries of a leakhound JSON report.
pub fn entries_from_report(path: &Path) -> Result<Vec<BaselineEntry>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read report {}", path.display()))?;
    let doc: crate::report::JsonReport =
        serde_json::from_str(&text).with_context(|| format!("{}: not a leakhound JSON report", path.display()))?;
    Ok(doc.findings.into_iter().map(|f| BaselineEntry { fingerprint: f.fingerprint, rule_id: f.rule_id }).collect())
}

/// Makes sure `.gitattributes` beside `file` merges it with git's union driver.
pub fn ensure_union_merge(file: &Path) -> Result<bool> {
    let dir = file.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let attrs = dir.join(".gitattributes");
    let line = format!("{name} merge=union");
    let existing = std::fs::read_to_string(&attrs).unwrap_or_default();
    if existing.lines().any(|l| l.trim() == line) {
        return Ok(false);
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&attrs)?;
    if !existing.is_empty() && !existing.ends_with('\n') {
        writeln!(f)?;
    }
    writeln!(f, "{line}")?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_on_the_line_or_the_line_before() {
        let buf = b"a\nkey = 'abc' # leakhound:allow\nb\n";
        let s = 9;
        assert_eq!(inline_marker(buf, s, s + 3), Some("leakhound:allow"));
        let buf = b"# pragma: allowlist nextline secret\nkey = 'abc'\n";
        assert_eq!(inline_marker(buf, 43, 46), Some(NEXT_LINE_MARKER));
        let buf = b"key = 'abc' // gitleaks:allow";
        assert_eq!(inline_marker(buf, 7, 10), Some("gitleaks:allow"));
        assert_eq!(inline_marker(b"key = 'abc'\n# leakhound:allow", 7, 10), None);
    }
}
