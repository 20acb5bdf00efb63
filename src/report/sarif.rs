//! SARIF 2.1.0 for GitHub code scanning, built with serde-sarif's types.
//!
//! One `reportingDescriptor` per rule that fired; one result per finding
//! (a secret is one alert however many places hold it), its first location
//! primary and the others related. `partialFingerprints` carry only the keyed
//! hash of rule id and secret (`leakhound/v1`): no commit, no author, no line,
//! so an alert survives code moving and the report holds no personal data.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use serde_sarif::sarif::{
    ArtifactLocation, Location, Message, MultiformatMessageString, PhysicalLocation, PropertyBag, Region,
    ReportingDescriptor, Result as SarifResult, ResultLevel, Run, Sarif, Tool, ToolComponent, VersionControlDetails,
};

use super::Report;
use crate::findings::{FINGERPRINT_NAME, Finding, Location as FindingLocation, LocationKind};
use crate::rules::{Confidence, Rule};

pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub code scanning accepts at most 25,000 results per run; past that
/// the upload is rejected. Results are ordered most severe first and cut here.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub keeps at most 1,000 locations per result.
pub const MAX_RELATED_LOCATIONS: usize = 1_000;

pub fn render(report: &Report<'_>) -> String {
    let fired: BTreeSet<&str> = report.findings.iter().map(|f| f.rule_id.as_str()).collect();
    let rule_ids: Vec<&str> = fired.into_iter().collect();
    let descriptors: Vec<ReportingDescriptor> =
        rule_ids.iter().map(|id| descriptor(id, report.rules.get(id).copied())).collect();
    // Most severe first, so that a cut past GitHub's limit drops the least severe.
    let mut ordered: Vec<&Finding> = report.findings.iter().collect();
    ordered.sort_by_key(|f| (std::cmp::Reverse(severity_rank(f)), f.rule_id.as_str()));
    let omitted = ordered.len().saturating_sub(MAX_RESULTS);
    let results: Vec<SarifResult> = ordered
        .into_iter()
        .take(MAX_RESULTS)
        .map(|f| result(f, rule_ids.iter().position(|id| *id == f.rule_id).unwrap_or(0)))
        .collect();

    let driver = ToolComponent::builder()
        .name("leakhound")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://github.com/leakhound/leakhound")
        .rules(descriptors)
        .build();
    let mut run_props = BTreeMap::new();
    let skipped: BTreeMap<&str, u64> = report.stats.skipped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    run_props.insert("skipped".to_string(), json!(skipped));
    run_props.insert("scanned".to_string(), json!(report.stats.scanned));
    run_props.insert("bytesScanned".to_string(), json!(report.stats.bytes));
    run_props.insert("errors".to_string(), json!(report.stats.errors.len()));
    run_props.insert("mode".to_string(), json!(report.mode));
    run_props.insert("suppressed".to_string(), json!(crate::suppress::counts(report.suppressed)));
    if omitted > 0 {
        run_props.insert("resultsOmitted".to_string(), json!(omitted));
    }
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(json!("utf16CodeUnits"))
        .properties(PropertyBag::builder().additional_properties(run_props).build())
        .build();
    if let Some(repo) = &report.repository {
        let mut vcs = VersionControlDetails::builder().repository_uri(absolute_uri(&repo.uri)).build();
        vcs.revision_id = repo.revision.clone();
        vcs.branch = repo.branch.clone();
        run.version_control_provenance = Some(vec![vcs]);
    }
    let sarif = Sarif::builder().schema(SARIF_SCHEMA).version(json!("2.1.0")).runs(vec![run]).build();
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    out.push('\n');
    out
}

fn security_severity(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "9.0",
        Confidence::Medium => "7.0",
        Confidence::Low => "4.0",
    }
}

fn descriptor(id: &str, rule: Option<&Rule>) -> ReportingDescriptor {
    let Some(rule) = rule else {
        return ReportingDescriptor::builder().id(id).build();
    };
    let what = format!("{} found in source code.", rule.name);
    let refs: Vec<String> = rule.references.iter().map(|r| format!("- <{r}>")).collect();
    let markdown = format!(
        "**{}** (`{}`) is a credential that grants access to {}. Anyone who can read this repository, or its history, can use it.\n\n**How to fix:** {}\n\n{}",
        rule.name,
        rule.id,
        rule.provider,
        rule.remediation.trim(),
        if refs.is_empty() { String::new() } else { format!("**References:**\n{}\n", refs.join("\n")) }
    );
    let text = format!("{what} How to fix: {}", rule.remediation.trim());
    let mut tags = vec!["security".to_string(), "secret".to_string(), rule.provider.clone()];
    tags.extend(rule.tags.iter().cloned());
    tags.dedup();
    let mut props = BTreeMap::new();
    props.insert("security-severity".to_string(), json!(security_severity(rule.confidence)));
    props.insert("confidence".to_string(), json!(rule.confidence.to_string()));
    props.insert(
        "precision".to_string(),
        json!(match rule.confidence {
            Confidence::High => "very-high",
            Confidence::Medium => "high",
            Confidence::Low => "medium",
        }),
    );
    let mut d = ReportingDescriptor::builder()
        .id(id)
        .name(pascal_name(id))
        .short_description(MultiformatMessageString::builder().text(rule.name.clone()).build())
        .full_description(MultiformatMessageString::builder().text(what).build())
        .help(MultiformatMessageString::builder().text(text).markdown(markdown).build())
        .properties(PropertyBag::builder().tags(tags).additional_properties(props).build())
        .build();
    d.help_uri = rule.references.first().cloned();
    d
}

/// SARIF wants absolute URIs for repositories: a local path becomes a
/// `file://` URL and an scp-like remote (`git@host:org/repo`) an `ssh://` one.
fn absolute_uri(uri: &str) -> String {
    if uri.contains("://") {
        return uri.to_string();
    }
    if let Some((user_host, path)) = uri.split_once(':')
        && user_host.contains('@')
        && !user_host.contains('/')
    {
        return format!("ssh://{user_host}/{}", path.trim_start_matches('/'));
    }
    let path = std::path::absolute(uri).unwrap_or_else(|_| std::path::PathBuf::from(uri));
    let text = path.to_string_lossy().replace('\\', "/");
    let encoded: String = text
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect();
    if encoded.starts_with('/') { format!("file://{encoded}") } else { format!("file:///{encoded}") }
}

/// SARIF rule names are conventionally PascalCase identifiers.
fn pascal_name(id: &str) -> String {
    id.split(['.', '-', '_'])
        .map(|part| {
            let mut c = part.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Live first, then by confidence.
fn severity_rank(f: &Finding) -> u8 {
    let live = f.verification.as_ref().is_some_and(|v| v.status == crate::verify::Status::Live);
    (live as u8) * 4
        + match f.confidence {
            Confidence::High => 2,
            Confidence::Medium => 1,
            Confidence::Low => 0,
        }
}

fn result(f: &Finding, rule_index: usize) -> SarifResult {
    // Prefer a location present at HEAD as primary: code scanning shows it.
    let mut locs: Vec<&FindingLocation> = f.locations.iter().collect();
    locs.sort_by_key(|l| (l.in_head == Some(false), l.kind == LocationKind::CommitMessage));
    let live = f.verification.as_ref().is_some_and(|v| v.status == crate::verify::Status::Live);
    let level = match f.confidence {
        _ if live => ResultLevel::Error,
        Confidence::High => ResultLevel::Error,
        _ => ResultLevel::Warning,
    };
    let mut text = format!("{} {} found", f.rule_name, f.secret_redacted);
    if f.history_only == Some(true) {
        text.push_str(" in git history only (deleting the line did not un-leak it; rotate it)");
    }
    if locs.len() > 1 {
        text.push_str(&format!(" at {} locations", locs.len()));
    }
    text.push('.');
    if let Some(v) = &f.verification {
        text.push_str(&format!(" Verified: {}.", v.status_text()));
    }
    let primary = locs.first().map(|l| sarif_location(l, None));
    let mut related: Vec<Location> = locs
        .iter()
        .enumerate()
        .skip(1)
        .take(MAX_RELATED_LOCATIONS)
        .map(|(i, l)| sarif_location(l, Some(i as i64)))
        .collect();
    // The introducing commit of the primary location, as a related location
    // of its own (the commit id, never the author).
    if let Some(first) = locs.first()
        && let Some(c) = &first.commit
        && related.len() < MAX_RELATED_LOCATIONS
    {
        let mut loc = sarif_location(first, Some(locs.len() as i64));
        loc.message = Some(Message::builder().text(format!("introduced by commit {} ({})", c.id, c.date)).build());
        related.push(loc);
    }
    let mut fps = BTreeMap::new();
    fps.insert(FINGERPRINT_NAME.to_string(), f.fingerprint.clone());
    let mut props = BTreeMap::new();
    props.insert("confidence".to_string(), json!(f.confidence.to_string()));
    props.insert("secretRedacted".to_string(), json!(f.secret_redacted));
    if let Some(v) = &f.verification {
        props.insert("verification".to_string(), json!(v.status));
        if let Some(r) = &v.reason {
            props.insert("verificationReason".to_string(), json!(r));
        }
        if !v.details.is_empty() {
            props.insert("verificationDetails".to_string(), json!(v.details));
        }
        if let Some(r) = &v.revocation {
            props.insert("revocation".to_string(), json!(r.outcome));
        }
    }
    if let Some(h) = f.history_only {
        props.insert("historyOnly".to_string(), json!(h));
    }
    let commits: Vec<_> = locs
        .iter()
        .filter_map(|l| l.commit.as_ref().map(|c| json!({"path": l.path, "commit": c.id, "date": c.date})))
        .collect();
    if !commits.is_empty() {
        props.insert("introducedBy".to_string(), json!(commits));
    }
    let mut r = SarifResult::builder()
        .message(Message::builder().text(text).build())
        .rule_id(f.rule_id.clone())
        .rule_index(rule_index as i64)
        .level(level)
        .partial_fingerprints(fps)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build();
    r.locations = primary.map(|p| vec![p]);
    if !related.is_empty() {
        r.related_locations = Some(related);
    }
    r
}

fn sarif_location(l: &FindingLocation, id: Option<i64>) -> Location {
    let region = Region::builder()
        .start_line(l.line as i64)
        .start_column(l.column as i64)
        .end_line(l.end_line as i64)
        .end_column(l.end_column.max(1) as i64)
        .build();
    let uri = l.path.clone();
    let physical = PhysicalLocation::builder()
        .artifact_location(ArtifactLocation::builder().uri(uri).uri_base_id("%SRCROOT%").build())
        .region(region)
        .build();
    let mut loc = Location::builder().physical_location(physical).build();
    loc.id = id;
    let mut note = Vec::new();
    if let Some(c) = &l.commit {
        note.push(format!("introduced by commit {}", c.id));
    }
    if l.in_head == Some(false) {
        note.push("not present at HEAD".to_string());
    }
    if l.kind == LocationKind::CommitMessage {
        note.push("in a commit message".to_string());
    }
    if !note.is_empty() {
        loc.message = Some(Message::builder().text(note.join("; ")).build());
    }
    let mut props = BTreeMap::new();
    if let Some(c) = &l.commit {
        props.insert("commit".to_string(), json!(c.id));
        props.insert("commitDate".to_string(), json!(c.date));
    }
    if let Some(b) = &l.blob {
        props.insert("blob".to_string(), json!(b));
    }
    if let Some(h) = l.in_head {
        props.insert("inHead".to_string(), json!(h));
    }
    if !props.is_empty() {
        loc.properties = Some(PropertyBag::builder().additional_properties(props).build());
    }
    loc
}
