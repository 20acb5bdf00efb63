//! SARIF reports from working-tree, full-history and range scans pass the
//! SARIF Multitool's schema and GitHub ingestion rules (`--rule-kind
//! "Sarif;Gh"`). `.ci/run` installs the multitool and sets SARIF_MULTITOOL;
//! elsewhere the test is skipped with a message unless CI is set.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use common::{leakhound, sendgrid_key};

fn multitool() -> Option<PathBuf> {
    let found = std::env::var_os("SARIF_MULTITOOL").map(PathBuf::from).filter(|p| p.is_file());
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must provide SARIF_MULTITOOL (see .ci/run)");
        eprintln!("SARIF_MULTITOOL not set: skipping SARIF Multitool validation");
    }
    found
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = StdCommand::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs the multitool and returns the error-level results it reported.
fn validate(tool: &Path, sarif: &Path) -> Vec<String> {
    let out_file = sarif.with_extension("validation.sarif");
    let _ = fs::remove_file(&out_file);
    let out = StdCommand::new(tool)
        .args(["validate", "--rule-kind", "Sarif;Gh", "-o"])
        .arg(&out_file)
        .arg(sarif)
        .output()
        .expect("multitool runs");
    assert!(
        out.status.success(),
        "multitool failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let log: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out_file).unwrap()).unwrap();
    log["runs"][0]["results"]
        .as_array()
        .map(|rs| {
            rs.iter().filter(|r| r["level"] == "error").map(|r| format!("{}: {}", r["ruleId"], r["message"])).collect()
        })
        .unwrap_or_default()
}

#[test]
fn sarif_from_tree_history_and_range_scans_is_accepted() {
    let Some(tool) = multitool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    fs::create_dir_all(repo.join("config")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    fs::write(repo.join("config/.env"), format!("SENDGRID_API_KEY={}\n", sendgrid_key())).unwrap();
    fs::write(repo.join("README.md"), "hello\n").unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    // Deleted again: a history-only finding whose file is gone at HEAD.
    fs::remove_file(repo.join("config/.env")).unwrap();
    fs::write(repo.join("app.py"), format!("KEY = '{}'\n", sendgrid_key())).unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "second"]);

    let runs: [(&str, Vec<String>); 3] = [
        ("tree", vec!["scan".into(), repo.display().to_string()]),
        ("history", vec!["scan".into(), "--git".into(), repo.display().to_string()]),
        (
            "range",
            vec!["scan".into(), "--git".into(), "--range".into(), format!("{base}..HEAD"), repo.display().to_string()],
        ),
    ];
    for (name, args) in runs {
        let sarif = dir.path().join(format!("{name}.sarif"));
        leakhound().args(&args).args(["-q", "-f", "sarif", "-o"]).arg(&sarif).assert().code(1);
        let errors = validate(&tool, &sarif);
        assert!(errors.is_empty(), "{name} scan SARIF has errors:\n{}", errors.join("\n"));
    }
}

#[test]
fn the_validator_does_catch_broken_sarif() {
    let Some(tool) = multitool() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.sarif");
    // A result with no message and an absolute, base-less URI breaks both rule kinds.
    fs::write(
        &bad,
        r#"{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{"tool":{"driver":{"name":"x","rules":[{"id":"r"}]}},"results":[{"ruleId":"r","locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.txt"},"region":{"startLine":0}}}]}]}]}"#,
    )
    .unwrap();
    assert!(!validate(&tool, &bad).is_empty(), "the validator must report errors for invalid SARIF");
}
