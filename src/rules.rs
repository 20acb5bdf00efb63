//! Rules are data: each `rules/*.toml` file holds the rules of one provider
//! family. This module parses and validates them; it does not match anything
//! (that is `engine`). Regexes are compiled lazily by the engine, so loading
//! the full rule set stays cheap for a pre-commit run; `RuleSet::validate`
//! compiles everything and runs every rule's self-tests.
//!
//! The built-in files are parsed and checked by `build.rs` with the same
//! schema (`schema.rs`) and embedded as JSON, which loads several times
//! faster than TOML: start-up is paid by every pre-commit run.

use std::collections::HashSet;
use std::path::Path;

mod schema;

pub use schema::{Checksum, Confidence, ContextRule, Example, NegativeExample, Rule};
use schema::{RuleFile, check_shape};

/// `[(file name, rules)]` of the built-in rule files, as JSON.
static EMBEDDED_RULES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/embedded_rules.json"));

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
        // build.rs checked each rule's shape and that ids are unique.
        let files: Vec<(String, Vec<Rule>)> = serde_json::from_str(EMBEDDED_RULES_JSON)
            .map_err(|e| RuleError::Parse { file: "built-in rules".into(), message: e.to_string() })?;
        let rules = files
            .into_iter()
            .flat_map(|(file, rules)| rules.into_iter().map(move |rule| LoadedRule { rule, file: file.clone() }))
            .collect();
        Ok(RuleSet { rules })
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
            check_rule(file, &rule)?;
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
        check_rule(file, rule)?;
    }
    Ok(parsed.rules)
}

fn check_rule(file: &str, rule: &Rule) -> Result<(), RuleError> {
    check_shape(rule).map_err(|message| RuleError::Invalid { file: file.into(), rule: rule.id.clone(), message })
}
