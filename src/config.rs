//! `leakhound.toml`: extra rules, rule enable/disable, allowlists, stop
//! words, size cap and confidence floor, and the trust model that decides how
//! much a configuration found inside the scanned repository may change.
//!
//! The threat: gitleaks and others load configuration from the repository
//! being scanned, so a pull request can add an allowlist for its own secret.
//! With a trusted configuration (`--trusted-config FILE` or
//! `LEAKHOUND_CONFIG`), the repository's own `leakhound.toml` is ignored
//! (`allow_repo_config = "none"`, the default) or may only narrow what is
//! reported for paths inside the repository (`"narrow"`); it never adds rules,
//! raises limits or names network endpoints. See docs/config.md.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;

use crate::rules::{Confidence, Rule, RuleSet};

/// The repository configuration's file name.
pub const REPO_CONFIG_NAME: &str = "leakhound.toml";

/// How much a repository's own configuration may change, as set by a trusted one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum RepoConfigPolicy {
    /// The repository's configuration is ignored.
    #[default]
    None,
    /// It may only suppress (path and value allowlists, stop words, disabled
    /// rules, a higher confidence floor) for paths inside the repository.
    Narrow,
}

/// A configuration file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Only read in a trusted configuration.
    #[serde(default)]
    pub allow_repo_config: Option<RepoConfigPolicy>,
    #[serde(default)]
    pub max_file_size: Option<String>,
    #[serde(default)]
    pub min_confidence: Option<Confidence>,
    #[serde(default)]
    pub rules: RulesSection,
    /// Inline extra rules, same format as rule files.
    #[serde(default)]
    pub rule: Vec<Rule>,
    #[serde(default)]
    pub allowlist: AllowlistSection,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesSection {
    /// Rule ids (or `provider.*`) to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// When not empty, only these rule ids (or `provider.*`) run.
    #[serde(default)]
    pub enable_only: Vec<String>,
    /// Extra rule files, relative to the configuration file.
    #[serde(default)]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSection {
    /// Globs over paths relative to the scanned root (`tests/fixtures/**`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Exact secret values that are not credentials.
    #[serde(default)]
    pub values: Vec<String>,
    /// Regexes over the secret value.
    #[serde(default)]
    pub value_patterns: Vec<String>,
    /// Extra placeholder words: a secret containing one (case-insensitive) is dropped.
    #[serde(default)]
    pub stop_words: Vec<String>,
}

/// Where a configuration came from, which decides how far it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--config FILE` or `--trusted-config FILE`: the operator's.
    Operator,
    /// Found inside the repository being scanned.
    Repository,
}

/// The configuration a scan runs with, merged from every source.
#[derive(Debug, Default)]
pub struct Settings {
    pub disable: Vec<String>,
    pub enable_only: Vec<String>,
    pub rule_files: Vec<PathBuf>,
    pub inline_rules: Vec<(String, Rule)>,
    pub path_allow: Vec<(String, Origin)>,
    pub values: HashSet<String>,
    pub value_patterns: Vec<Regex>,
    pub stop_words: Vec<String>,
    pub max_file_size: Option<u64>,
    pub min_confidence: Option<Confidence>,
    /// What was loaded and what was ignored, for the report.
    pub notes: Vec<String>,
    /// Whether suppressions stored in the scanned repository (its
    /// .leakhoundignore) may apply: always without a trusted configuration,
    /// only with `allow_repo_config = "narrow"` under one.
    pub repo_suppressions_allowed: bool,
}

/// Parses a configuration file, with line/column and typo suggestions on error.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile> {
    toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), with_suggestion(&e.to_string())))
}

/// Reads and parses a configuration file.
pub fn read(path: &Path) -> Result<ConfigFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read configuration {}", path.display()))?;
    parse(path, &text)
}

/// serde says "unknown field `pathz`, expected one of `paths`, `values`";
/// add "did you mean `paths`?" when one candidate is close.
fn with_suggestion(message: &str) -> String {
    let Some(rest) = message.split("unknown field `").nth(1) else { return message.to_string() };
    let Some((unknown, tail)) = rest.split_once('`') else { return message.to_string() };
    let candidates: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let best = candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(unknown, c), unknown.len().abs_diff(c.len()), *c))
        .filter(|(d, _, _)| *d <= 2.max(unknown.len() / 3))
        .min();
    match best {
        Some((_, _, c)) => format!("{}\n  did you mean `{c}`?", message.trim_end()),
        None => message.to_string(),
    }
}

impl Settings {
    /// Resolves the configuration of one scan.
    ///
    /// * `operator`: `--config FILE` (trusted).
    /// * `trusted`: `--trusted-config FILE` or `LEAKHOUND_CONFIG` (trusted;
    ///   its `allow_repo_config` governs the repository's configuration).
    /// * `repo_root`: where the repository's own `leakhound.toml` may be.
    pub fn resolve(operator: Option<&Path>, trusted: Option<&Path>, repo_root: Option<&Path>) -> Result<Settings> {
        let mut settings = Settings { repo_suppressions_allowed: true, ..Settings::default() };
        let mut policy = None;
        for path in [trusted, operator].into_iter().flatten() {
            let file = read(path)?;
            if trusted == Some(path) {
                policy = Some(file.allow_repo_config.unwrap_or_default());
            }
            settings.merge(path, file, Origin::Operator)?;
            settings.notes.push(format!("configuration {} loaded", path.display()));
        }
        settings.repo_suppressions_allowed = policy != Some(RepoConfigPolicy::None);
        let Some(root) = repo_root else { return Ok(settings) };
        let repo_file = root.join(REPO_CONFIG_NAME);
        if operator.is_some_and(|p| same_file(p, &repo_file)) || !repo_file.is_file() {
            return Ok(settings);
        }
        match policy {
            // No trusted configuration: the user runs leakhound on their own checkout.
            None => {
                let file = read(&repo_file)?;
                settings.merge(&repo_file, file, Origin::Operator)?;
                settings.notes.push(format!("configuration {} loaded", repo_file.display()));
            }
            Some(RepoConfigPolicy::None) => settings.notes.push(format!(
                "repository configuration {} ignored: the trusted configuration does not allow it",
                repo_file.display()
            )),
            Some(RepoConfigPolicy::Narrow) => {
                let file = read(&repo_file)?;
                settings.merge(&repo_file, file, Origin::Repository)?;
                settings.notes.push(format!(
                    "repository configuration {} applied in narrow mode (suppressions only)",
                    repo_file.display()
                ));
            }
        }
        Ok(settings)
    }

    fn merge(&mut self, path: &Path, file: ConfigFile, origin: Origin) -> Result<()> {
        let base = path.parent().unwrap_or(Path::new("."));
        let narrow = origin == Origin::Repository;
        let mut ignored = Vec::new();
        if narrow {
            if !file.rule.is_empty() || !file.rules.files.is_empty() {
                ignored.push("extra rules");
            }
            if !file.rules.enable_only.is_empty() {
                ignored.push("rules.enable_only");
            }
            if file.max_file_size.is_some() {
                ignored.push("max_file_size");
            }
            if file.allow_repo_config.is_some() {
                ignored.push("allow_repo_config");
            }
        } else {
            self.rule_files.extend(file.rules.files.iter().map(|f| base.join(f)));
            self.inline_rules.extend(file.rule.into_iter().map(|r| (path.display().to_string(), r)));
            self.enable_only.extend(file.rules.enable_only);
            if let Some(size) = &file.max_file_size {
                self.max_file_size = Some(
                    crate::cli::parse_size(size)
                        .map_err(|e| anyhow::anyhow!("{}: max_file_size: {e}", path.display()))?,
                );
            }
        }
        if !ignored.is_empty() {
            self.notes.push(format!(
                "{}: ignored in narrow mode (it can only suppress): {}",
                path.display(),
                ignored.join(", ")
            ));
        }
        self.disable.extend(file.rules.disable);
        if let Some(c) = file.min_confidence {
            // Narrow mode may only raise the floor; raising is what narrowing means.
            self.min_confidence = Some(self.min_confidence.map_or(c, |old| if narrow { old.max(c) } else { c }));
        }
        for glob in file.allowlist.paths {
            if narrow && (glob.starts_with('/') || glob.split('/').any(|p| p == "..")) {
                bail!("{}: allowlist path {glob:?} reaches outside the repository", path.display());
            }
            Glob::new(&glob).map_err(|e| anyhow::anyhow!("{}: allowlist path {glob:?}: {e}", path.display()))?;
            self.path_allow.push((glob, origin));
        }
        self.values.extend(file.allowlist.values);
        for p in file.allowlist.value_patterns {
            let re = Regex::new(&p).map_err(|e| anyhow::anyhow!("{}: value pattern {p:?}: {e}", path.display()))?;
            self.value_patterns.push(re);
        }
        self.stop_words.extend(file.allowlist.stop_words.into_iter().map(|w| w.to_ascii_lowercase()));
        Ok(())
    }

    /// Applies rule selection and extra rules to a rule set.
    pub fn apply_to_rules(&self, set: &mut RuleSet) -> Result<()> {
        for file in &self.rule_files {
            set.add_path(file)?;
        }
        for (origin, rule) in &self.inline_rules {
            set.add_rules_overriding(origin, vec![rule.clone()])?;
        }
        let selected = |list: &[String], id: &str| {
            list.iter()
                .any(|p| p == id || p.strip_suffix(".*").is_some_and(|prefix| id.starts_with(&format!("{prefix}."))))
        };
        if !self.enable_only.is_empty() {
            set.retain(|r| selected(&self.enable_only, &r.id));
        }
        set.retain(|r| !selected(&self.disable, &r.id));
        Ok(())
    }

    /// The path allowlist as a matcher.
    pub fn path_globs(&self) -> Result<Option<GlobSet>> {
        if self.path_allow.is_empty() {
            return Ok(None);
        }
        let mut b = GlobSetBuilder::new();
        for (g, _) in &self.path_allow {
            b.add(Glob::new(g)?);
        }
        Ok(Some(b.build()?))
    }

    /// Why a secret value is allowlisted, if it is.
    pub fn value_allowed(&self, secret: &str) -> Option<&'static str> {
        if self.values.contains(secret) || self.value_patterns.iter().any(|r| r.is_match(secret)) {
            return Some("allowlist-value");
        }
        let lower = secret.to_ascii_lowercase();
        if self.stop_words.iter().any(|w| lower.contains(w.as_str())) {
            return Some("stop-word");
        }
        None
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_line_and_suggests() {
        let err = parse(Path::new("leakhound.toml"), "[allowlist]\npathz = [\"a\"]\n").unwrap_err().to_string();
        assert!(err.contains("leakhound.toml"), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("did you mean `paths`?"), "{err}");
    }

    #[test]
    fn malformed_toml_is_an_error_with_position() {
        let err = parse(Path::new("c.toml"), "min_confidence = \n").unwrap_err().to_string();
        assert!(err.contains("c.toml") && err.contains("line 1"), "{err}");
    }
}
