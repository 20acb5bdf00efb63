//! End-to-end tests of `leakhound scan` on working trees: the real binary on
//! temporary directories with planted, freshly generated fake credentials.

mod common;

use std::fs;

use common::{leakhound, scan_json, secrets_of, sendgrid_key};
use predicates::prelude::*;

fn tree() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn finds_a_planted_key_and_redacts_it_in_text() {
    let dir = tree();
    let key = sendgrid_key();
    fs::create_dir_all(dir.path().join("app")).unwrap();
    fs::write(dir.path().join("app/.env"), format!("MAIL_FROM=a@b.c\nSENDGRID_API_KEY={key}\n")).unwrap();
    fs::write(dir.path().join("clean.py"), "print('hello')\n").unwrap();
    let out = leakhound().args(["scan", "--quiet"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SendGrid API key"), "{text}");
    assert!(text.contains("app/.env:2:18"), "{text}");
    assert!(text.contains(&format!("{}…(69 chars)", &key[..6])), "{text}");
    assert!(!text.contains(&key), "text report must not print the full secret");
    assert!(text.contains("1 finding (1 location)"), "{text}");
}

#[test]
fn clean_tree_exits_zero() {
    let dir = tree();
    fs::write(dir.path().join("main.rs"), "fn main() { println!(\"hi\"); }\n").unwrap();
    leakhound()
        .args(["scan", "--quiet"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("no credentials found"));
}

#[test]
fn empty_directory_is_clean() {
    let dir = tree();
    leakhound().args(["scan", "--quiet"]).arg(dir.path()).assert().code(0);
}

#[test]
fn exit_code_is_configurable() {
    let dir = tree();
    fs::write(dir.path().join("k.txt"), sendgrid_key()).unwrap();
    leakhound().args(["scan", "--quiet", "--exit-code", "7"]).arg(dir.path()).assert().code(7);
}

#[test]
fn json_carries_secret_and_redact_removes_it() {
    let dir = tree();
    let key = sendgrid_key();
    fs::write(dir.path().join("a.env"), format!("KEY={key}\n")).unwrap();
    let path = dir.path().to_str().unwrap();
    let (report, code) = scan_json(&["scan", path]);
    assert_eq!(code, 1);
    assert_eq!(report["schema"], "leakhound-report");
    assert_eq!(report["version"], 1);
    assert_eq!(secrets_of(&report, "sendgrid.api-key"), vec![key.clone()]);
    let loc = &report["findings"][0]["locations"][0];
    assert_eq!(loc["path"], "a.env");
    assert_eq!(loc["line"], 1);
    assert_eq!(loc["column"], 5);
    assert_eq!(loc["byte_start"], 4);
    let (redacted, _) = scan_json(&["scan", path, "--redact"]);
    assert!(!redacted.to_string().contains(&key));
}

#[test]
fn same_secret_in_two_files_is_one_finding_with_two_locations() {
    let dir = tree();
    let key = sendgrid_key();
    fs::write(dir.path().join("one.txt"), format!("{key}\n")).unwrap();
    fs::write(dir.path().join("two.txt"), format!("\n\nx={key}\n")).unwrap();
    let (report, _) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    let locs = findings[0]["locations"].as_array().unwrap();
    assert_eq!(locs.len(), 2);
    assert_eq!(locs[1]["path"], "two.txt");
    assert_eq!(locs[1]["line"], 3);
    // Location fingerprints differ, the finding fingerprint is shared.
    assert_ne!(locs[0]["fingerprint"], locs[1]["fingerprint"]);
}

#[test]
fn fingerprint_does_not_depend_on_line() {
    let key = sendgrid_key();
    let a = tree();
    fs::write(a.path().join("f"), format!("{key}\n")).unwrap();
    let b = tree();
    fs::write(b.path().join("g"), format!("\n\n\n  {key}\n")).unwrap();
    let (ra, _) = scan_json(&["scan", a.path().to_str().unwrap()]);
    let (rb, _) = scan_json(&["scan", b.path().to_str().unwrap()]);
    assert_eq!(ra["findings"][0]["fingerprint"], rb["findings"][0]["fingerprint"]);
}

#[test]
fn jsonl_has_one_finding_per_line_then_summary() {
    let dir = tree();
    fs::write(dir.path().join("a"), format!("{}\n{}\n", sendgrid_key(), sendgrid_key())).unwrap();
    let out = leakhound().args(["scan", "-q", "-f", "jsonl"]).arg(dir.path()).output().unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["type"], "finding");
    assert_eq!(lines[2]["type"], "summary");
    assert_eq!(lines[2]["findings"], 2);
}

#[test]
fn sarif_has_rule_descriptor_and_redacted_result() {
    let dir = tree();
    let key = sendgrid_key();
    fs::write(dir.path().join("settings.py"), format!("KEY = '{key}'\n")).unwrap();
    let out_file = dir.path().join("report.sarif");
    leakhound().args(["scan", "-q", "-f", "sarif", "-o"]).arg(&out_file).arg(dir.path()).assert().code(1);
    let text = fs::read_to_string(&out_file).unwrap();
    assert!(!text.contains(&key));
    let sarif: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "sendgrid.api-key");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "sendgrid.api-key");
    assert_eq!(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "settings.py");
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 1);
    assert!(result["partialFingerprints"]["leakhound/v1"].is_string());
}

#[test]
fn placeholders_are_not_reported() {
    let dir = tree();
    fs::write(
        dir.path().join(".env.example"),
        "SENDGRID_API_KEY=${SENDGRID_API_KEY}\nKEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
    )
    .unwrap();
    leakhound().args(["scan", "-q"]).arg(dir.path()).assert().code(0);
}

#[test]
fn gitignore_is_honoured_unless_no_ignore() {
    let dir = tree();
    fs::write(dir.path().join(".gitignore"), "secret.txt\n").unwrap();
    fs::write(dir.path().join("secret.txt"), sendgrid_key()).unwrap();
    leakhound().args(["scan", "-q"]).arg(dir.path()).assert().code(0);
    leakhound().args(["scan", "-q", "--no-ignore"]).arg(dir.path()).assert().code(1);
}

#[test]
fn never_descends_into_dot_git() {
    let dir = tree();
    fs::create_dir_all(dir.path().join(".git/objects")).unwrap();
    fs::write(dir.path().join(".git/config"), sendgrid_key()).unwrap();
    leakhound().args(["scan", "-q", "--no-ignore"]).arg(dir.path()).assert().code(0);
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let dir = tree();
    let mut binary = vec![0u8; 100];
    binary.extend_from_slice(sendgrid_key().as_bytes());
    fs::write(dir.path().join("blob.bin"), binary).unwrap();
    // A sparse 1 GB file: over the default cap, never read.
    let big = fs::File::create(dir.path().join("huge.log")).unwrap();
    big.set_len(1 << 30).unwrap();
    fs::write(dir.path().join("medium.txt"), format!("{}\n{}", "a".repeat(2000), sendgrid_key())).unwrap();
    let (report, code) = scan_json(&["scan", dir.path().to_str().unwrap(), "--max-file-size", "1KB"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["skipped"]["binary"], 1);
    assert_eq!(report["summary"]["skipped"]["too-large"], 2);
    let (report, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["skipped"]["too-large"], 1);
}

#[test]
fn one_long_line_and_invalid_utf8() {
    let dir = tree();
    let key = sendgrid_key();
    let mut content = Vec::new();
    for _ in 0..200_000 {
        content.extend_from_slice(b"var a=1;\xff\xfe");
    }
    content.extend_from_slice(format!("k=\"{key}\";").as_bytes());
    content.extend(std::iter::repeat_n(b'z', 1_000_000));
    fs::write(dir.path().join("bundle.min.js"), content).unwrap();
    let (report, _) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(secrets_of(&report, "sendgrid.api-key"), vec![key]);
    assert_eq!(report["findings"][0]["locations"][0]["line"], 1);
}

#[test]
fn reads_stdin() {
    let key = sendgrid_key();
    let out = leakhound().args(["scan", "-", "-q", "-f", "json"]).write_stdin(format!("x {key}\n")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["findings"][0]["locations"][0]["path"], "-");
}

#[test]
fn scanning_a_single_file() {
    let dir = tree();
    let file = dir.path().join("config.yml");
    fs::write(&file, format!("key: {}\n", sendgrid_key())).unwrap();
    let (report, code) = scan_json(&["scan", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(report["findings"][0]["locations"][0]["path"], "config.yml");
}

#[test]
fn missing_path_is_a_clear_error() {
    leakhound()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/definitely/not/here"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links_do_not_stop_the_scan() {
    let dir = tree();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    std::os::unix::fs::symlink("/nowhere/at/all", dir.path().join("dangling")).unwrap();
    fs::write(dir.path().join("k"), sendgrid_key()).unwrap();
    leakhound().args(["scan", "-q"]).arg(dir.path()).assert().code(1);
}

#[test]
fn min_confidence_filters_rules() {
    let dir = tree();
    let rules = dir.path().join("low.toml");
    fs::write(
        &rules,
        r#"
[[rule]]
id = "acme.weak"
name = "Acme weak token"
provider = "acme"
keywords = ["acmew_"]
pattern = '\b(?P<secret>acmew_[A-Za-z0-9]{16})\b'
confidence = "low"
remediation = "Rotate it."
examples = [{ input = "acmew_q8w7e6r5t4y3u2i1", secret = "acmew_q8w7e6r5t4y3u2i1" }, { input = "acmew_Q8W7E6R5T4Y3U2I1", secret = "acmew_Q8W7E6R5T4Y3U2I1" }]
negative_examples = ["acmew_short"]
"#,
    )
    .unwrap();
    let src = dir.path().join("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("k"), format!("t=acmew_Zr8Xq2Lm5Vn7Bc3K\n{}\n", sendgrid_key())).unwrap();
    let (all, _) = scan_json(&["scan", src.to_str().unwrap(), "--rules", rules.to_str().unwrap()]);
    assert_eq!(all["findings"].as_array().map_or(0, Vec::len), 2, "{all}");
    let (high, _) =
        scan_json(&["scan", src.to_str().unwrap(), "--rules", rules.to_str().unwrap(), "--min-confidence", "high"]);
    let ids: Vec<&str> = high["findings"].as_array().unwrap().iter().filter_map(|f| f["rule_id"].as_str()).collect();
    assert_eq!(ids, vec!["sendgrid.api-key"]);
}

#[test]
fn malformed_user_rule_file_names_the_file() {
    let dir = tree();
    let rules = dir.path().join("my-rules.toml");
    fs::write(&rules, "[[rule]]\nid = \"x\"\n").unwrap();
    leakhound()
        .args(["scan", "-q", "--rules"])
        .arg(&rules)
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("my-rules.toml"));
}

#[test]
fn rules_check_reports_failing_example_with_rule_id() {
    let dir = tree();
    let rules = dir.path().join("mine.toml");
    fs::write(
        &rules,
        r#"
[[rule]]
id = "acme.token"
name = "Acme token"
provider = "acme"
keywords = ["acme_"]
pattern = '\b(?P<secret>acme_[a-z0-9]{16})\b'
confidence = "high"
remediation = "Rotate it in the Acme console."
examples = [{ input = "acme_q8w7e6r5t4y3u2i1", secret = "acme_q8w7e6r5t4y3u2i1" }, { input = "acme_Q8W7E6R5T4Y3U2I1", secret = "acme_Q8W7E6R5T4Y3U2I1" }]
negative_examples = ["acme_short"]
"#,
    )
    .unwrap();
    leakhound()
        .args(["rules", "check"])
        .arg(&rules)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("acme.token").and(predicate::str::contains("acme_Q8W7E6R5T4Y3U2I1")));
    let fixed = fs::read_to_string(&rules).unwrap().replace("[a-z0-9]{16}", "[A-Za-z0-9]{16}");
    fs::write(&rules, fixed).unwrap();
    leakhound().args(["rules", "check"]).arg(&rules).assert().code(0).stdout(predicate::str::contains("1 rule ok"));
    // The user's rule then finds its credential in a scan.
    fs::write(dir.path().join("src.txt"), "token=acme_Zr8Xq2Lm5Vn7Bc3K\n").unwrap();
    leakhound().args(["scan", "-q", "--rules"]).arg(&rules).arg(dir.path().join("src.txt")).assert().code(1);
}

#[test]
fn rules_list_shows_ids_and_counts() {
    leakhound()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("sendgrid.api-key").and(predicate::str::contains("provider families")));
}
