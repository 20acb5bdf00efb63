//! The rule file schema and its structural checks. Shared with `build.rs`,
//! which parses and checks the built-in rule files at build time, so this
//! file depends on nothing but `serde`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How sure a rule is that a match is a real credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            other => Err(format!("unknown confidence {other:?} (expected low, medium or high)")),
        }
    }
}

/// Checksums that some token formats carry, so random lookalikes can be dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Checksum {
    /// GitHub tokens: base62 CRC32 of the body in the last six characters.
    GithubCrc32,
}

/// A pattern that must (or may) match near the main match for the rule to
/// fire. Its named groups are attached to the match; this is how composite
/// rules pair a password with its SMTP host and user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextRule {
    pub pattern: String,
    /// How many lines before and after the matched line are searched.
    #[serde(default = "default_context_lines")]
    pub lines: usize,
    /// When false the rule fires without this context, and its groups are
    /// attached only when present.
    #[serde(default = "default_true")]
    pub required: bool,
    /// The pattern may also be satisfied by the file's path.
    #[serde(default)]
    pub or_path: bool,
    /// A context match whose text matches this regex does not count.
    #[serde(default)]
    pub reject: Option<String>,
}

fn default_context_lines() -> usize {
    5
}

fn default_true() -> bool {
    true
}

/// An example that must match and yield `secret`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub input: String,
    pub secret: String,
    /// Optional named groups the match must yield (e.g. `user`, `host`).
    #[serde(default)]
    pub groups: std::collections::BTreeMap<String, String>,
    /// Optional path the example is scanned under (for path-aware rules).
    #[serde(default)]
    pub path: Option<String>,
}

/// A negative example: text (optionally under a path) that must not match.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NegativeExample {
    Text(String),
    WithPath { input: String, path: String },
}

impl NegativeExample {
    pub fn input(&self) -> &str {
        match self {
            NegativeExample::Text(t) => t,
            NegativeExample::WithPath { input, .. } => input,
        }
    }
    pub fn path(&self) -> Option<&str> {
        match self {
            NegativeExample::Text(_) => None,
            NegativeExample::WithPath { path, .. } => Some(path),
        }
    }
}

/// One detection rule, as written in a rule file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub name: String,
    /// Provider family (`sendgrid`, `aws`, ...): used for grouping, reports
    /// and the verify/revoke provider.
    pub provider: String,
    /// Lowercase literals for the prefilter; at least one must occur near a match.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Why a rule has no keywords (it then runs on every buffer).
    #[serde(default)]
    pub no_keywords_because: Option<String>,
    /// Regex with a named group `secret`.
    pub pattern: String,
    #[serde(default)]
    pub min_entropy: Option<f64>,
    #[serde(default)]
    pub checksum: Option<Checksum>,
    pub confidence: Confidence,
    /// A match may span lines (private keys, multi-line values): the engine
    /// searches a larger window after the keyword.
    #[serde(default)]
    pub multiline: bool,
    /// For single-line rules: how far (bytes) the regex window reaches either
    /// side of a keyword hit, within its line (default 1024). Token rules
    /// whose keyword is the token's own prefix set it small, which keeps
    /// common prefixes (`pat`, `re_`) cheap.
    #[serde(default)]
    pub window: Option<usize>,
    /// Generic rules give way to specific ones that match the same secret.
    #[serde(default)]
    pub generic: bool,
    /// Rule ids this rule replaces when both match the same secret.
    #[serde(default)]
    pub overrides: Vec<String>,
    /// Skip the shared placeholder filter (for values like private keys
    /// whose body is checked by other means).
    #[serde(default)]
    pub skip_placeholder_filter: bool,
    #[serde(default)]
    pub context: Vec<ContextRule>,
    /// Only scan files whose path matches this regex.
    #[serde(default)]
    pub path: Option<String>,
    /// Never scan files whose path matches this regex (lockfiles, fixtures).
    #[serde(default)]
    pub path_exclude: Option<String>,
    /// Drop a match whose secret matches this regex.
    #[serde(default)]
    pub secret_reject: Option<String>,
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub examples: Vec<Example>,
    pub negative_examples: Vec<NegativeExample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(rename = "rule")]
    pub rules: Vec<Rule>,
}

/// Structural checks that need no regex compilation: cheap, run on every
/// rule file loaded at run time, and on the built-in ones at build time.
pub fn check_shape(rule: &Rule) -> Result<(), String> {
    let id_ok = !rule.id.is_empty()
        && rule.id.contains('.')
        && rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if !id_ok {
        return Err("id must be lowercase, dotted (provider.kind) and use only [a-z0-9._-]".into());
    }
    if rule.keywords.is_empty() && rule.no_keywords_because.is_none() {
        return Err("has no keywords; add some or say why in no_keywords_because".into());
    }
    if let Some(k) = rule.keywords.iter().find(|k| k.is_empty() || k.to_ascii_lowercase() != **k) {
        return Err(format!("keyword {k:?} must be a non-empty lowercase literal"));
    }
    if !rule.pattern.contains("(?P<secret>") && !rule.pattern.contains("(?<secret>") {
        return Err("pattern has no named group `secret`".into());
    }
    if rule.examples.len() < 2 {
        return Err("needs at least two examples".into());
    }
    if rule.negative_examples.is_empty() {
        return Err("needs at least one negative example".into());
    }
    if rule.remediation.trim().is_empty() {
        return Err("remediation text is empty".into());
    }
    Ok(())
}
