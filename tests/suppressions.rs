//! Suppressions, baselines and the trusted-configuration model, through the
//! real binary.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command as StdCommand;

use common::{leakhound, scan_json, secrets_of, sendgrid_key};
use predicates::prelude::*;

fn git(dir: &Path, args: &[&str]) {
    let out = StdCommand::new("git")
        .args(["-c", "user.name=T", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn inline_markers_suppress_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (sendgrid_key(), sendgrid_key(), sendgrid_key());
    fs::write(
        dir.path().join("conf.py"),
        format!("A = '{a}'  # leakhound:allow\nB = '{b}'  // gitleaks:allow\n# pragma: allowlist nextline secret\nC = '{c}'\n"),
    )
    .unwrap();
    let (report, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["suppressed"]["inline"], 3);
    let by: Vec<&str> = report["suppressed"].as_array().unwrap().iter().filter_map(|s| s["by"].as_str()).collect();
    assert!(by.contains(&"inline:leakhound:allow") && by.contains(&"inline:gitleaks:allow"), "{by:?}");
    leakhound()
        .args(["scan", "-q"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("3 suppressed (3 inline)"));
}

#[test]
fn ignore_command_and_ignore_file() {
    let dir = tempfile::tempdir().unwrap();
    let key = sendgrid_key();
    fs::write(dir.path().join("a.txt"), format!("{key}\n")).unwrap();
    let (report, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    let fp = report["findings"][0]["fingerprint"].as_str().unwrap().to_string();
    leakhound()
        .current_dir(dir.path())
        .args(["ignore", &fp, "--reason", "revoked in 2025, test account"])
        .assert()
        .code(0);
    let text = fs::read_to_string(dir.path().join(".leakhoundignore")).unwrap();
    assert!(text.contains(&fp) && text.contains("# revoked in 2025"), "{text}");
    let (report, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["suppressed"][0]["by"], "ignore-file");
    assert_eq!(report["suppressed"][0]["reason"], "revoked in 2025, test account");
}

#[test]
fn malformed_ignore_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".leakhoundignore"), "not-a-fingerprint\n").unwrap();
    leakhound()
        .args(["scan", "-q"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(".leakhoundignore:1"));
    fs::remove_file(dir.path().join(".leakhoundignore")).unwrap();
    fs::create_dir(dir.path().join(".leakhoundignore")).unwrap();
    leakhound()
        .args(["scan", "-q", "--ignore-file"])
        .arg(dir.path().join(".leakhoundignore"))
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read ignore file"));
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    let old = sendgrid_key();
    fs::write(src.join("old.env"), format!("K={old}\n")).unwrap();
    let report = dir.path().join("report.json");
    leakhound().args(["scan", "-q", "-f", "json", "-o"]).arg(&report).arg(&src).assert().code(1);
    // The JSON report itself works as a baseline ...
    let new = sendgrid_key();
    fs::write(src.join("new.env"), format!("K={new}\n")).unwrap();
    let (r, code) = scan_json(&["scan", src.to_str().unwrap(), "--baseline", report.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(secrets_of(&r, "sendgrid.api-key"), vec![new.clone()]);
    assert_eq!(r["summary"]["suppressed"]["baseline"], 1);
    // ... and so does a baseline file made from it.
    let baseline = dir.path().join("base.jsonl");
    leakhound().args(["baseline", "create"]).arg(&report).arg("-o").arg(&baseline).assert().code(0);
    let text = fs::read_to_string(&baseline).unwrap();
    assert!(!text.contains(&old), "baselines hold fingerprints, never secrets");
    assert!(!text.contains("\"line\""), "no line numbers in baselines: {text}");
    let (r, _) = scan_json(&["scan", src.to_str().unwrap(), "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(secrets_of(&r, "sendgrid.api-key"), vec![new]);
}

#[test]
fn baseline_from_another_tool_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let gitleaks = dir.path().join("gitleaks.json");
    fs::write(&gitleaks, r#"[{"RuleID":"generic-api-key","Secret":"abc","File":"x"}]"#).unwrap();
    leakhound()
        .args(["scan", "-q", "--baseline"])
        .arg(&gitleaks)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a leakhound baseline or JSON report"));
    let future = dir.path().join("future.jsonl");
    fs::write(&future, "{\"schema\":\"leakhound-baseline\",\"version\":9}\n").unwrap();
    leakhound()
        .args(["scan", "-q", "--baseline"])
        .arg(&future)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("version 9"));
}

#[test]
fn baselines_from_two_branches_merge_without_conflict() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    let scan_to_baseline = |name: &str| {
        let report = repo.join(format!("../{name}.json"));
        leakhound().args(["scan", "-q", "-f", "json", "-o"]).arg(&report).arg(repo.join("src")).assert().code(1);
        leakhound().current_dir(repo).args(["baseline", "create"]).arg(&report).assert().code(0);
    };
    fs::create_dir(repo.join("src")).unwrap();
    for i in 0..4 {
        fs::write(repo.join(format!("src/f{i}.env")), format!("K={}\n", sendgrid_key())).unwrap();
    }
    scan_to_baseline("base");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "base"]);
    git(repo, &["checkout", "-q", "-b", "feature"]);
    fs::write(repo.join("src/feature.env"), format!("K={}\n", sendgrid_key())).unwrap();
    scan_to_baseline("feature");
    git(repo, &["commit", "-q", "-am", "feature"]);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "feature files"]);
    git(repo, &["checkout", "-q", "main"]);
    fs::write(repo.join("src/main.env"), format!("K={}\n", sendgrid_key())).unwrap();
    scan_to_baseline("main");
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "main"]);
    git(repo, &["merge", "-q", "--no-edit", "feature"]);
    let merged = fs::read_to_string(repo.join(".leakhound-baseline.jsonl")).unwrap();
    assert_eq!(merged.lines().count(), 1 + 6, "{merged}");
    assert!(!merged.contains("<<<<<<<"));
    // Every finding of the merged tree is in the merged baseline.
    let (r, code) = scan_json(&[
        "scan",
        repo.join("src").to_str().unwrap(),
        "--baseline",
        repo.join(".leakhound-baseline.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{r}");
}

#[test]
fn repository_config_applies_on_your_own_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let key = sendgrid_key();
    fs::write(dir.path().join("app.env"), format!("K={key}\n")).unwrap();
    fs::write(dir.path().join("fixture.env"), format!("K={}\n", sendgrid_key())).unwrap();
    fs::write(
        dir.path().join("leakhound.toml"),
        format!("[allowlist]\nvalues = [\"{key}\"]\npaths = [\"fixture.env\"]\n"),
    )
    .unwrap();
    let (r, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["summary"]["suppressed"]["allowlist-value"], 1);
    assert_eq!(r["summary"]["suppressed"]["allowlist-path"], 1);
}

#[test]
fn pull_request_cannot_allowlist_its_own_secret_under_a_trusted_config() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("checkout");
    fs::create_dir(&repo).unwrap();
    let key = sendgrid_key();
    // The pull request adds a secret and an allowlist and ignore entry for it.
    fs::write(repo.join("app.env"), format!("K={key}\n")).unwrap();
    fs::write(repo.join("leakhound.toml"), format!("[allowlist]\nvalues = [\"{key}\"]\npaths = [\"**\"]\n")).unwrap();
    let (r, _) = scan_json(&["scan", repo.to_str().unwrap()]);
    let fp = r["suppressed"][0]["fingerprint"].as_str().unwrap().to_string();
    fs::write(repo.join(".leakhoundignore"), format!("{fp}\n")).unwrap();

    let trusted = dir.path().join("trusted.toml");
    fs::write(&trusted, "allow_repo_config = \"none\"\n").unwrap();
    let (r, code) = scan_json(&["scan", repo.to_str().unwrap(), "--trusted-config", trusted.to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets_of(&r, "sendgrid.api-key"), vec![key.clone()]);
    let notes = r["summary"]["notes"].to_string();
    assert!(notes.contains("ignored"), "{notes}");

    // LEAKHOUND_CONFIG works the same way.
    let out =
        leakhound().env("LEAKHOUND_CONFIG", &trusted).args(["scan", "-q", "-f", "json"]).arg(&repo).output().unwrap();
    assert_eq!(out.status.code(), Some(1));

    // Narrow mode lets the repository suppress, and says so.
    fs::write(&trusted, "allow_repo_config = \"narrow\"\n").unwrap();
    let (r, code) = scan_json(&["scan", repo.to_str().unwrap(), "--trusted-config", trusted.to_str().unwrap()]);
    assert_eq!(code, 0, "{r}");
    assert!(r["summary"]["notes"].to_string().contains("narrow"));
}

#[test]
fn narrow_mode_ignores_rules_and_limits_from_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("checkout");
    fs::create_dir(&repo).unwrap();
    fs::write(repo.join("big.env"), format!("{}\nK={}\n", "a".repeat(3000), sendgrid_key())).unwrap();
    fs::write(repo.join("leakhound.toml"), "max_file_size = \"1KB\"\n").unwrap();
    let trusted = dir.path().join("trusted.toml");
    fs::write(&trusted, "allow_repo_config = \"narrow\"\n").unwrap();
    let (r, code) = scan_json(&["scan", repo.to_str().unwrap(), "--trusted-config", trusted.to_str().unwrap()]);
    assert_eq!(code, 1, "a repository cannot shrink the size cap to hide a file: {r}");
    assert!(r["summary"]["notes"].to_string().contains("max_file_size"));
}

#[test]
fn config_disables_rules_and_rejects_typos() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("k.env"), format!("K={}\n", sendgrid_key())).unwrap();
    let cfg = dir.path().join("ops.toml");
    fs::write(&cfg, "[rules]\ndisable = [\"sendgrid.*\"]\n").unwrap();
    leakhound().args(["scan", "-q", "--config"]).arg(&cfg).arg(dir.path()).assert().code(0);
    fs::write(&cfg, "[rulez]\ndisable = []\n").unwrap();
    leakhound()
        .args(["scan", "-q", "--config"])
        .arg(&cfg)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ops.toml").and(predicate::str::contains("did you mean `rules`?")));
}

#[test]
fn import_other_tools_suppressions() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    let (old, a, b, c, real, vendored) =
        (sendgrid_key(), sendgrid_key(), sendgrid_key(), sendgrid_key(), sendgrid_key(), sendgrid_key());
    fs::write(repo.join("old.env"), format!("K={old}\n")).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "old"]);
    let old_commit = {
        let out = StdCommand::new("git").args(["rev-parse", "HEAD"]).current_dir(repo).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    fs::remove_file(repo.join("old.env")).unwrap();
    fs::write(repo.join("a.env"), format!("X=1\nK={a}\n")).unwrap();
    fs::write(repo.join("b.py"), format!("K = '{b}'\nR = '{real}'\n")).unwrap();
    fs::write(repo.join("c.yml"), format!("k: {c}\n")).unwrap();
    fs::create_dir(repo.join("vendor")).unwrap();
    fs::write(repo.join("vendor/lib.js"), format!("k='{vendored}'\n")).unwrap();
    fs::write(
        repo.join(".gitleaksignore"),
        format!(
            "# reviewed\na.env:sendgrid-api-token:2\n{old_commit}:old.env:sendgrid-api-token:1\nnowhere.txt:generic:9\n"
        ),
    )
    .unwrap();
    let sha1 = |s: &str| hex::encode(sha1::Sha1::digest(s.as_bytes()));
    fs::write(
        repo.join(".secrets.baseline"),
        format!(
            r#"{{"version":"1.5.0","results":{{"b.py":[{{"type":"SendGrid API Key","filename":"b.py","hashed_secret":"{}","is_verified":false,"line_number":1}},{{"type":"SendGrid API Key","filename":"b.py","hashed_secret":"{}","is_secret":true,"line_number":2}}]}}}}"#,
            sha1(&b),
            sha1(&real)
        ),
    )
    .unwrap();
    fs::write(
        repo.join(".gitguardian.yaml"),
        format!(
            "version: 2\nsecret:\n  ignored-matches:\n    - name: c key\n      match: {}\n  ignored-paths:\n    - 'vendor/**'\n",
            hex::encode(sha2::Sha256::digest(c.as_bytes()))
        ),
    )
    .unwrap();
    let out = leakhound().args(["baseline", "import", "--root"]).arg(repo).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nowhere.txt"), "unmatched entries are named: {stderr}");
    assert!(stderr.contains("audited as a real secret"), "{stderr}");
    let ignore = fs::read_to_string(repo.join(".leakhoundignore")).unwrap();
    assert_eq!(ignore.lines().count(), 4, "{ignore}");
    // The working tree now reports only the secret detect-secrets said is real.
    let (r, code) = scan_json(&["scan", repo.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(secrets_of(&r, "sendgrid.api-key"), vec![real]);
    assert_eq!(r["summary"]["suppressed"]["allowlist-path"], 1);
    // And history: the commit-qualified gitleaks entry covers the deleted file.
    let (h, _) = scan_json(&["scan", "--git", repo.to_str().unwrap()]);
    assert!(!secrets_of(&h, "sendgrid.api-key").contains(&old), "{h}");
}
