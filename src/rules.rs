//! Rules are data: each `rules/*.toml` file holds the rules of one provider
//! family. This module parses and validates them; it does not match anything
//! (that is `engine`). Regexes are compiled lazily by the engine, so loading
//! the full rule set stays cheap for a pre-commit run; `RuleSet::validate`
//! compiles everything and runs every rule's self-tests.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

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
struct RuleFile {
    #[serde(rename = "rule")]
    rules: Vec<Rule>,
}

/// An error in a rule file, naming the file and, where known, the rule.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule {rule}: {message}")]
    Invalid { file: String, rule: String, message: String },
}

/// A rule together with the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedRule {
    pub rule: Rule,
    pub file: String,
}

/// The set of rules a scan runs with.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    pub rules: Vec<LoadedRule>,
}

impl RuleSet {
    /// The rules built into the binary.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (file, text) in EMBEDDED_RULE_FILES {
            set.add_file(file, text)?;
        }
        Ok(set)
    }

    /// Parses one rule file and adds its rules; a rule whose id is already
    /// present replaces the earlier one only when `replace` is set by
    /// `add_file_overriding`; here a duplicate is an error.
    pub fn add_file(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let parsed = parse_rule_file(file, text)?;
        let mut seen: HashSet<&str> = self.rules.iter().map(|r| r.rule.id.as_str()).collect();
        for rule in &parsed {
            if !seen.insert(rule.id.as_str()) {
                return Err(RuleError::Invalid {
                    file: file.to_string(),
                    rule: rule.id.clone(),
                    message: "duplicate rule id".into(),
                });
            }
        }
        self.rules.extend(parsed.into_iter().map(|rule| LoadedRule { rule, file: file.to_string() }));
        Ok(())
    }

    /// Adds a user's rule file: a rule with an existing id replaces it.
    pub fn add_file_overriding(&mut self, file: &str, text: &str) -> Result<(), RuleError> {
        let parsed = parse_rule_file(file, text)?;
        self.add_rules_overriding(file, parsed)
    }

    /// Adds rules written elsewhere (e.g. inline in a configuration file);
    /// a rule with an existing id replaces it.
    pub fn add_rules_overriding(&mut self, file: &str, rules: Vec<Rule>) -> Result<(), RuleError> {
        let mut ids = HashSet::new();
        for rule in rules {
            check_shape(file, &rule)?;
            if !ids.insert(rule.id.clone()) {
                return Err(RuleError::Invalid {
                    file: file.into(),
                    rule: rule.id,
                    message: "duplicate rule id".into(),
                });
            }
            let loaded = LoadedRule { rule, file: file.to_string() };
            match self.rules.iter_mut().find(|r| r.rule.id == loaded.rule.id) {
                Some(existing) => *existing = loaded,
                None => self.rules.push(loaded),
            }
        }
        Ok(())
    }

    /// Reads and adds a rule file from disk (user rules).
    pub fn add_path(&mut self, path: &Path) -> Result<(), RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| RuleError::Parse { file: name.clone(), message: format!("cannot read: {e}") })?;
        self.add_file_overriding(&name, &text)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.rule.id == id).map(|r| &r.rule)
    }

    /// Keeps only the rules for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Rule) -> bool) {
        self.rules.retain(|r| keep(&r.rule));
    }
}

fn parse_rule_file(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let parsed: RuleFile =
        toml::from_str(text).map_err(|e| RuleError::Parse { file: file.to_string(), message: e.to_string() })?;
    for rule in &parsed.rules {
        check_shape(file, rule)?;
    }
    Ok(parsed.rules)
}

/// Structural checks that need no regex compilation (cheap, run at every load).
fn check_shape(file: &str, rule: &Rule) -> Result<(), RuleError> {
    let invalid = |message: String| RuleError::Invalid { file: file.to_string(), rule: rule.id.clone(), message };
    let id_ok = !rule.id.is_empty()
        && rule.id.contains('.')
        && rule.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'));
    if !id_ok {
        return Err(invalid("id must be lowercase, dotted (provider.kind) and use only [a-z0-9._-]".into()));
    }
    if rule.keywords.is_empty() && rule.no_keywords_because.is_none() {
        return Err(invalid("has no keywords; add some or say why in no_keywords_because".into()));
    }
    if let Some(k) = rule.keywords.iter().find(|k| k.is_empty() || k.to_ascii_lowercase() != **k) {
        return Err(invalid(format!("keyword {k:?} must be a non-empty lowercase literal")));
    }
    if !rule.pattern.contains("(?P<secret>") && !rule.pattern.contains("(?<secret>") {
        return Err(invalid("pattern has no named group `secret`".into()));
    }
    if rule.examples.len() < 2 {
        return Err(invalid("needs at least two examples".into()));
    }
    if rule.negative_examples.is_empty() {
        return Err(invalid("needs at least one negative example".into()));
    }
    if rule.remediation.trim().is_empty() {
        return Err(invalid("remediation text is empty".into()));
    }
    Ok(())
}
