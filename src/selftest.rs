//! Rule self-tests: every rule's `examples` must match and yield the expected
//! secret (and groups); its `negative_examples` must not match. Run by
//! `cargo test` for the built-in rules and by `leakhound rules check FILE` for
//! a user's rule file.

use crate::engine::Engine;
use crate::rules::RuleSet;

/// One failed self-test, naming the rule file and rule.
#[derive(Debug, Clone)]
pub struct SelfTestFailure {
    pub file: String,
    pub rule: String,
    pub message: String,
}

impl std::fmt::Display for SelfTestFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: rule {}: {}", self.file, self.rule, self.message)
    }
}

/// Compiles every rule and runs the self-tests of the rules for which
/// `only` returns true (all of them with `|_| true`). The engine holds the
/// whole set, so interplay between rules (overrides, generic rules giving
/// way) is exercised as in a real scan.
pub fn run(set: &RuleSet, only: impl Fn(&str) -> bool) -> Vec<SelfTestFailure> {
    let engine = Engine::new(set);
    let mut failures = Vec::new();
    for (index, loaded) in set.rules.iter().enumerate() {
        let rule = &loaded.rule;
        if !only(&loaded.file) {
            continue;
        }
        let fail = |message: String| SelfTestFailure { file: loaded.file.clone(), rule: rule.id.clone(), message };
        if let Err(e) = engine.compile_all_for(index) {
            failures.push(fail(e));
            continue;
        }
        for ex in &rule.examples {
            let found = engine.scan(ex.input.as_bytes(), ex.path.as_deref());
            let ours: Vec<_> = found.iter().filter(|m| m.rule == index).collect();
            match ours.iter().find(|m| m.secret == ex.secret) {
                None => {
                    let got: Vec<String> =
                        found.iter().map(|m| format!("{} -> {:?}", engine.rule(m.rule).id, m.secret)).collect();
                    failures.push(fail(format!(
                        "example {:?} should yield secret {:?}; got [{}]",
                        ex.input,
                        ex.secret,
                        got.join(", ")
                    )));
                }
                Some(m) => {
                    for (name, want) in &ex.groups {
                        if m.groups.get(name) != Some(want) {
                            failures.push(fail(format!(
                                "example {:?}: group {name} should be {want:?}, got {:?}",
                                ex.input,
                                m.groups.get(name)
                            )));
                        }
                    }
                }
            }
        }
        for neg in &rule.negative_examples {
            let found = engine.scan(neg.input().as_bytes(), neg.path());
            if let Some(m) = found.iter().find(|m| m.rule == index) {
                failures.push(fail(format!("negative example {:?} matched {:?}", neg.input(), m.secret)));
            }
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_pass_their_self_tests() {
        let set = RuleSet::builtin().expect("built-in rules load");
        let failures = run(&set, |_| true);
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(failures.is_empty(), "{} rule self-test failures:\n{}", failures.len(), text.join("\n"));
    }
}
