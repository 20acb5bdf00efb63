//! Imports other tools' suppressions: `.gitleaksignore`, detect-secrets'
//! `.secrets.baseline` and ggshield's `.gitguardian.yaml`.
//!
//! None of them stores a leakhound fingerprint (a keyed hash of rule and
//! secret), so import re-scans what they point at: the file and line of a
//! gitleaks entry (at its commit, when it names one), the file of a
//! detect-secrets entry (matched by the SHA-1 of the secret), and every
//! finding for ggshield's matches (SHA-256 of the secret, or the secret).
//! What cannot be carried over is listed, never dropped silently.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::engine::Engine;
use crate::findings::{Hit, LocationKind, finding_fingerprint};
use crate::scan::{Progress, locate};
use crate::sources::fs::{WalkOptions, scan_tree};

/// What an import produced.
#[derive(Debug, Default)]
pub struct Imported {
    /// (fingerprint, reason) pairs for `.leakhoundignore`.
    pub fingerprints: Vec<(String, String)>,
    /// Path globs for `[allowlist] paths`.
    pub paths: Vec<String>,
    /// Entries that could not be carried over, each with why.
    pub not_carried: Vec<String>,
}

/// The sources to import from, all relative to `root` when relative.
pub struct ImportSources<'a> {
    pub gitleaks: Option<&'a Path>,
    pub detect_secrets: Option<&'a Path>,
    pub ggshield: Option<&'a Path>,
}

/// Scans `root` once and maps every source's entries to leakhound suppressions.
pub fn import(engine: &Engine, root: &Path, sources: &ImportSources<'_>) -> Result<Imported> {
    let opts = WalkOptions { max_file_size: 25 * 1024 * 1024, no_ignore: true, threads: 2, exclude: None };
    let (hits, _) = scan_tree(engine, root, &opts, &Progress::hidden());
    let mut out = Imported::default();
    if let Some(p) = sources.gitleaks {
        import_gitleaks(engine, root, p, &hits, &mut out)?;
    }
    if let Some(p) = sources.detect_secrets {
        import_detect_secrets(engine, p, &hits, &mut out)?;
    }
    if let Some(p) = sources.ggshield {
        import_ggshield(engine, p, &hits, &mut out)?;
    }
    let mut seen = BTreeSet::new();
    out.fingerprints.retain(|(fp, _)| seen.insert(fp.clone()));
    Ok(out)
}

fn fingerprint(engine: &Engine, hit: &Hit) -> String {
    finding_fingerprint(&engine.rule(hit.rule).id, &hit.secret)
}

/// `.gitleaksignore`: `[COMMIT:]FILE:RULE:LINE` per line, `#` comments.
fn import_gitleaks(engine: &Engine, root: &Path, path: &Path, hits: &[Hit], out: &mut Imported) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    for (n, raw) in text.lines().enumerate() {
        let entry = raw.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        let mut parts = entry.rsplitn(3, ':');
        let (Some(line), Some(rule), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            out.not_carried.push(format!("{}:{}: {entry:?} is not COMMIT:FILE:RULE:LINE", path.display(), n + 1));
            continue;
        };
        let Ok(line) = line.parse::<usize>() else {
            out.not_carried.push(format!("{}:{}: {entry:?} has no line number", path.display(), n + 1));
            continue;
        };
        let (commit, file) = match rest.split_once(':') {
            Some((c, f)) if c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()) => (Some(c), f),
            _ => (None, rest),
        };
        let at_line: Vec<Hit> = match commit {
            None => hits.iter().filter(|h| h.location.path == file && h.location.line == line).cloned().collect(),
            Some(c) => match blob_at(root, c, file) {
                Ok(bytes) => {
                    let matches = engine.scan(&bytes, Some(file));
                    locate(&bytes, matches, file, LocationKind::GitBlob, None)
                        .filter(|h| h.location.line == line)
                        .collect()
                }
                Err(e) => {
                    out.not_carried.push(format!("{}:{}: {entry}: {e:#}", path.display(), n + 1));
                    continue;
                }
            },
        };
        if at_line.is_empty() {
            out.not_carried.push(format!(
                "{}:{}: {entry}: leakhound finds no credential at {file}:{line} (nothing to suppress)",
                path.display(),
                n + 1
            ));
        }
        for h in at_line {
            out.fingerprints.push((fingerprint(engine, &h), format!("imported from .gitleaksignore ({rule})")));
        }
    }
    Ok(())
}

/// Reads `COMMIT:FILE` from the repository at `root`.
fn blob_at(root: &Path, commit: &str, file: &str) -> Result<Vec<u8>> {
    let repo = gix::discover(root).with_context(|| format!("{} is not a git repository", root.display()))?;
    let id = repo
        .rev_parse_single(format!("{commit}:{file}").as_str())
        .map_err(|e| anyhow::anyhow!("cannot find {file} at {commit}: {e}"))?;
    let object = id.object().map_err(|e| anyhow::anyhow!("cannot read {file} at {commit}: {e}"))?;
    Ok(object.data.clone())
}

/// detect-secrets' `.secrets.baseline`: `results` maps file -> entries with
/// `hashed_secret` (SHA-1 hex of the secret) and `is_secret` when audited.
fn import_detect_secrets(engine: &Engine, path: &Path, hits: &[Hit], out: &mut Imported) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not a detect-secrets baseline", path.display()))?;
    let Some(results) = doc["results"].as_object() else {
        bail!("{}: no \"results\" object: not a detect-secrets baseline", path.display());
    };
    for (file, entries) in results {
        for e in entries.as_array().into_iter().flatten() {
            let hashed = e["hashed_secret"].as_str().unwrap_or_default();
            let kind = e["type"].as_str().unwrap_or("secret");
            if e["is_secret"] == serde_json::Value::Bool(true) {
                out.not_carried.push(format!(
                    "{file}:{}: audited as a real secret in detect-secrets; not suppressed",
                    e["line_number"]
                ));
                continue;
            }
            let found: Vec<&Hit> = hits
                .iter()
                .filter(|h| h.location.path == *file && hex::encode(sha1::Sha1::digest(h.secret.as_bytes())) == hashed)
                .collect();
            if found.is_empty() {
                out.not_carried.push(format!(
                    "{file}:{} ({kind}): leakhound finds no credential with that hash (nothing to suppress, or a different extent)",
                    e["line_number"]
                ));
            }
            for h in found {
                out.fingerprints.push((fingerprint(engine, h), format!("imported from .secrets.baseline ({kind})")));
            }
        }
    }
    Ok(())
}

/// ggshield's `.gitguardian.yaml`: `secret.ignored-matches` (SHA-256 of the
/// secret, or the secret) and `secret.ignored-paths`; version 1's top-level
/// `matches-ignore` and `paths-ignore` too.
fn import_ggshield(engine: &Engine, path: &Path, hits: &[Hit], out: &mut Imported) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&text).with_context(|| format!("{} is not valid YAML", path.display()))?;
    let secret = &doc["secret"];
    let matches = secret["ignored-matches"].as_sequence().or(doc["matches-ignore"].as_sequence());
    for m in matches.into_iter().flatten() {
        let (value, name) = match m {
            serde_yaml_ng::Value::String(s) => (s.clone(), String::new()),
            other => (
                other["match"].as_str().unwrap_or_default().to_string(),
                other["name"].as_str().unwrap_or_default().to_string(),
            ),
        };
        let found: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.secret == value || hex::encode(Sha256::digest(h.secret.as_bytes())) == value)
            .collect();
        if found.is_empty() {
            out.not_carried
                .push(format!("ignored match {name:?}: leakhound finds no credential with that value or hash"));
        }
        for h in found {
            out.fingerprints.push((fingerprint(engine, h), format!("imported from .gitguardian.yaml ({name})")));
        }
    }
    let paths = secret["ignored-paths"].as_sequence().or(doc["paths-ignore"].as_sequence());
    for p in paths.into_iter().flatten() {
        if let Some(glob) = p.as_str() {
            out.paths.push(glob.to_string());
        }
    }
    if !secret["ignored-detectors"].is_null() || !doc["banlist-detectors"].is_null() {
        out.not_carried.push(
            "ignored-detectors: ggshield detector names do not map to leakhound rules; use [rules] disable in leakhound.toml"
                .into(),
        );
    }
    Ok(())
}
