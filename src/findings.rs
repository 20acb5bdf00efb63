//! Findings: matches grouped by (rule, secret), every location kept, with
//! fingerprints that survive code moving. A finding's fingerprint is a keyed
//! hash of the rule id and the secret, so it never changes when a line moves
//! and never reveals the secret or who committed it.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::rules::{Confidence, Rule};

/// Domain-separation key of fingerprint version 1. Changing it changes every
/// fingerprint, so it carries the version in its name.
const FINGERPRINT_KEY: &[u8] = b"leakhound/v1 finding fingerprint";
pub const FINGERPRINT_NAME: &str = "leakhound/v1";

/// The commit that introduced a blob at a path (git sources only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    pub id: String,
    pub author_name: String,
    pub author_email: String,
    /// Committer date, RFC 3339.
    pub date: String,
    pub summary: String,
}

/// Where a location's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LocationKind {
    /// A file in a working tree (or stdin).
    #[default]
    File,
    /// A blob in git history, at a path of some commit.
    GitBlob,
    /// A commit message.
    CommitMessage,
    /// Content staged in the index.
    Staged,
}

/// One place a secret was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub kind: LocationKind,
    /// Path relative to the scanned root (`-` for stdin).
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: usize,
    pub byte_end: usize,
    /// Git blob id, for history locations.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub blob: Option<String>,
    /// The commit that introduced this blob at this path.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub commit: Option<Commit>,
    /// Whether the blob is still present at HEAD (history scans only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub in_head: Option<bool>,
    /// How the secret was decoded to be found (e.g. `base64`), if it was.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub decoded: Option<String>,
    pub fingerprint: String,
}

/// A match before grouping: the rule's index in the engine plus where it was.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: usize,
    pub secret: String,
    pub groups: BTreeMap<String, String>,
    pub location: Location,
    /// The inline marker (`leakhound:allow`, ...) on the matched line, if any.
    pub allow: Option<&'static str>,
}

/// One secret found by one rule, with every place it was seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub fingerprint: String,
    pub rule_id: String,
    pub rule_name: String,
    pub provider: String,
    pub confidence: Confidence,
    pub secret: String,
    pub secret_redacted: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub groups: BTreeMap<String, String>,
    pub locations: Vec<Location>,
    /// True when no location is present at HEAD: the secret lives only in
    /// history, and deleting the line did not un-leak it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub history_only: Option<bool>,
    /// Set by `--verify` / `leakhound verify`: live, invalid, revoked or unknown.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub verification: Option<crate::verify::Verification>,
}

/// Keyed hash of rule id and secret, independent of where it was found.
pub fn finding_fingerprint(rule_id: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(FINGERPRINT_KEY);
    h.update([0]);
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Fingerprint of one location of a finding.
pub fn location_fingerprint(finding: &str, loc: &Location) -> String {
    let mut h = Sha256::new();
    h.update(finding.as_bytes());
    h.update([0]);
    h.update(loc.path.as_bytes());
    h.update([0]);
    h.update(loc.blob.as_deref().unwrap_or("").as_bytes());
    h.update(format!("\0{}:{}", loc.line, loc.column).as_bytes());
    hex::encode(&h.finalize()[..12])
}

/// Hash of the secret alone, for audit logs and caches that must not hold it.
pub fn secret_hash(secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"leakhound/v1 secret\0");
    h.update(secret.as_bytes());
    hex::encode(&h.finalize()[..16])
}

/// Shows a prefix of the secret and its length, never the whole secret:
/// `SG.Hq4…(69 chars)`. Short secrets show less.
pub fn redact(secret: &str) -> String {
    let chars = secret.chars().count();
    let shown = match chars {
        0..=7 => 0,
        8..=15 => 2,
        16..=31 => 4,
        _ => 6,
    };
    let prefix: String = secret.chars().take(shown).collect();
    format!("{prefix}…({chars} chars)")
}

/// Groups hits into findings by (rule, secret), keeping every location;
/// findings are sorted by rule then first location, locations by path and line.
pub fn group<'a>(rule_of: impl Fn(usize) -> &'a Rule, hits: Vec<Hit>) -> Vec<Finding> {
    let mut by_key: HashMap<(usize, String), usize> = HashMap::new();
    let mut findings: Vec<Finding> = Vec::new();
    for hit in hits {
        let key = (hit.rule, hit.secret.clone());
        let idx = match by_key.get(&key) {
            Some(&i) => i,
            None => {
                let rule = rule_of(hit.rule);
                findings.push(Finding {
                    fingerprint: finding_fingerprint(&rule.id, &hit.secret),
                    rule_id: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    provider: rule.provider.clone(),
                    confidence: rule.confidence,
                    secret_redacted: redact(&hit.secret),
                    secret: hit.secret.clone(),
                    groups: BTreeMap::new(),
                    locations: Vec::new(),
                    history_only: None,
                    verification: None,
                });
                by_key.insert(key, findings.len() - 1);
                findings.len() - 1
            }
        };
        let finding = &mut findings[idx];
        for (k, v) in hit.groups {
            finding.groups.entry(k).or_insert(v);
        }
        let mut loc = hit.location;
        loc.fingerprint = location_fingerprint(&finding.fingerprint, &loc);
        if !finding.locations.contains(&loc) {
            finding.locations.push(loc);
        }
    }
    for f in &mut findings {
        f.locations.sort_by(|a, b| (&a.path, a.line, a.column, &a.blob).cmp(&(&b.path, b.line, b.column, &b.blob)));
        let heads: Vec<bool> = f.locations.iter().filter_map(|l| l.in_head).collect();
        if !heads.is_empty() {
            f.history_only = Some(!heads.iter().any(|&h| h));
        }
    }
    findings.sort_by(|a, b| {
        let first = |f: &Finding| f.locations.first().map(|l| (l.path.clone(), l.line)).unwrap_or_default();
        (&a.rule_id, first(a)).cmp(&(&b.rule_id, first(b)))
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_never_shows_whole_secret() {
        let r = redact("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");
        assert_eq!(r, "SG.Hq4…(69 chars)");
        assert_eq!(redact("hunter2"), "…(7 chars)");
    }

    #[test]
    fn fingerprint_depends_on_rule_and_secret_only() {
        assert_eq!(finding_fingerprint("a.b", "s"), finding_fingerprint("a.b", "s"));
        assert_ne!(finding_fingerprint("a.b", "s"), finding_fingerprint("a.c", "s"));
        assert_eq!(finding_fingerprint("a.b", "s").len(), 32);
    }
}
