//! Parses and checks every `rules/*.toml` file with the rule schema the
//! loader uses, and embeds the result as JSON, so the rule set is data that
//! ships with the executable, needs no files at run time, and loads without
//! a TOML parse on every start. A malformed built-in rule fails the build
//! with the loader's message.

use std::collections::HashSet;
use std::{env, fs, path::Path};

#[allow(dead_code)] // the schema's run-time helpers are not needed here
#[path = "src/rules/schema.rs"]
mod schema;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    println!("cargo:rerun-if-changed=src/rules/schema.rs");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("rules/ directory must exist")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut parsed = Vec::new();
    let mut ids = HashSet::new();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file.file_name().and_then(|n| n.to_str()).expect("rule file names are UTF-8").to_string();
        let text = fs::read_to_string(file).unwrap_or_else(|e| fail(&name, &format!("cannot read: {e}")));
        let rules = toml::from_str::<schema::RuleFile>(&text).unwrap_or_else(|e| fail(&name, &e.to_string())).rules;
        for rule in &rules {
            if let Err(message) = schema::check_shape(rule) {
                fail(&name, &format!("rule {}: {message}", rule.id));
            }
            if !ids.insert(rule.id.clone()) {
                fail(&name, &format!("rule {}: duplicate rule id", rule.id));
            }
        }
        parsed.push((name, rules));
    }
    let json = serde_json::to_string(&parsed).expect("rules serialize to JSON");
    let dest = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_rules.json");
    fs::write(dest, json).expect("write embedded_rules.json");
}

fn fail(file: &str, message: &str) -> ! {
    panic!("rules/{file}: {message}");
}
