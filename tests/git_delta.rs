//! Delta-aware history scanning against the full scan, on real repositories
//! packed by `git gc --aggressive` so that later versions of a file are
//! stored as deltas: secrets created by insertion, by a deletion that joins
//! two pieces, by an edit far from the keyword, across a 64 KiB copy split,
//! at a blob's start and end, in multi-line private keys, and by a change of
//! a context line. Each repository is scanned three ways (delta-aware,
//! `--no-delta-scan`, `--verify-delta-scan`) and the findings must agree.

mod common;
mod git_support;

use std::collections::BTreeSet;
use std::process::Command;

use common::{random_from, scan_json, sendgrid_key};
use git_support::{Repo, errors, notes};
use serde_json::Value;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Code-like lines without secrets, distinct per `tag`.
fn filler(tag: &str, from: usize, to: usize) -> String {
    (from..to).map(|i| format!("    let {tag}_{i} = compute_{tag}({i}, \"row {i} of {tag}\");\n")).collect()
}

/// Every (rule, secret, blob, byte range) of a report.
fn located(report: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in report["findings"].as_array().into_iter().flatten() {
        for l in f["locations"].as_array().into_iter().flatten() {
            out.insert(format!(
                "{} {} {} {}..{} {}",
                f["rule_id"], f["secret"], l["blob"], l["byte_start"], l["byte_end"], l["decoded"]
            ));
        }
    }
    out
}

/// Ids of the blobs the pack stores as deltas.
fn delta_blobs_in_pack(repo: &Repo) -> BTreeSet<String> {
    let pack_dir = repo.git_dir().join("objects/pack");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&pack_dir).expect("pack dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "idx") {
            let listing = Command::new("git").args(["verify-pack", "-v"]).arg(&path).output().expect("git runs");
            for line in String::from_utf8_lossy(&listing.stdout).lines() {
                let cols: Vec<&str> = line.split_whitespace().collect();
                // id type size packed offset depth base
                if cols.len() == 7 && cols[1] == "blob" {
                    out.insert(cols[0].to_string());
                }
            }
        }
    }
    out
}

/// Packs the repository with deltas, scans it three ways, checks that they
/// agree, that the delta path ran, and that each of `secrets` was found in
/// a blob stored as a delta. Returns the delta-aware report.
fn scan_three_ways(repo: &Repo, secrets: &[&str]) -> Value {
    repo.git(&["gc", "--aggressive", "--prune=now", "-q"]);
    let path = repo.path_str();
    let (full, full_code) = scan_json(&["scan", "--git", &path, "--no-delta-scan"]);
    let (delta, delta_code) = scan_json(&["scan", "--git", &path]);
    let (oracle, oracle_code) = scan_json(&["scan", "--git", &path, "--verify-delta-scan"]);
    assert_eq!(errors(&delta), "[]", "{delta}");
    assert_eq!(delta_code, full_code);
    assert_eq!(oracle_code, full_code, "{oracle}");
    assert_eq!(located(&delta), located(&full), "delta-aware and full scans differ");
    assert!(notes(&oracle).contains("no differences"), "{}", notes(&oracle));
    assert!(delta["summary"]["delta_blobs"].as_u64().unwrap_or(0) > 0, "the delta path ran: {}", delta["summary"]);
    assert!(
        delta["summary"]["matcher_bytes"].as_u64() < full["summary"]["matcher_bytes"].as_u64(),
        "fewer bytes fed to the matcher"
    );
    let deltas = delta_blobs_in_pack(repo);
    for secret in secrets {
        let blobs: Vec<String> = delta["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["secret"] == *secret)
            .flat_map(|f| f["locations"].as_array().into_iter().flatten())
            .filter_map(|l| l["blob"].as_str().map(str::to_string))
            .collect();
        assert!(!blobs.is_empty(), "{secret} found: {delta}");
        assert!(blobs.iter().any(|b| deltas.contains(b)), "{secret} is in a delta-encoded blob: {blobs:?} {deltas:?}");
    }
    delta
}

#[test]
fn secret_inserted_into_a_delta_child_is_found() {
    let repo = Repo::new();
    let key = sendgrid_key();
    let body = filler("ins", 0, 300);
    // The later version is smaller (a tail was cut), so git stores it as a
    // delta against the earlier one.
    repo.write("src/mail.rs", format!("{body}{}", filler("tail", 0, 80)));
    repo.commit("mail: first version");
    let (head, rest) = body.split_at(body.len() / 2);
    repo.write("src/mail.rs", format!("{head}    let sendgrid = \"{key}\";\n{rest}"));
    repo.commit("mail: inline the key");
    scan_three_ways(&repo, &[&key]);
}

#[test]
fn deletion_joining_two_pieces_into_a_secret_is_found() {
    let repo = Repo::new();
    let key = sendgrid_key();
    let (a, b) = key.split_at(31);
    let body = filler("join", 0, 300);
    let (head, rest) = body.split_at(body.len() / 2);
    repo.write("conf/keys.py", format!("{head}SENDGRID = \"{a}-removed-in-the-next-commit-{b}\"\n{rest}"));
    repo.commit("keys: broken value");
    // Only bytes are deleted: the two copies meet inside the key.
    repo.write("conf/keys.py", format!("{head}SENDGRID = \"{a}{b}\"\n{rest}"));
    repo.commit("keys: fix the value");
    scan_three_ways(&repo, &[&key]);
}

#[test]
fn edit_far_from_the_keyword_completes_a_secret() {
    let repo = Repo::new();
    let key = sendgrid_key();
    let body = filler("far", 0, 300);
    let (head, rest) = body.split_at(body.len() / 3);
    // One character short: not a key yet. The keyword `SG.` is 60 bytes
    // before the edit.
    let short = &key[..key.len() - 1];
    repo.write("cfg/app.ini", format!("{head}key = {short}\n{rest}{}", filler("cut", 0, 60)));
    repo.commit("cfg: placeholder-ish value");
    repo.write("cfg/app.ini", format!("{head}key = {key}\n{rest}"));
    repo.commit("cfg: real value");
    scan_three_ways(&repo, &[&key]);
}

#[test]
fn lines_beyond_a_64k_copy_split_are_carried() {
    let repo = Repo::new();
    let key = sendgrid_key();
    let mut big = filler("big", 0, 1600);
    assert!(big.len() > 70_000);
    // The key sits right where git splits a long copy (64 KiB).
    let at = big[..0x10000].rfind('\n').map_or(0, |p| p + 1);
    big.insert_str(at, &format!("SENDGRID_API_KEY={key}\n"));
    // The first version is the smaller one, so git stores it as a delta of
    // the second: a short insert, then one long copy (split by git) that
    // carries the key's line over.
    repo.write("data/big.txt", format!("# header\n{big}"));
    repo.commit("data: big file with a key");
    repo.write("data/big.txt", format!("{big}{}", filler("tail", 0, 100)));
    repo.commit("data: no header, a tail");
    scan_three_ways(&repo, &[&key]);
}

#[test]
fn secrets_on_the_first_and_last_line_are_found() {
    let repo = Repo::new();
    let (first, last) = (sendgrid_key(), sendgrid_key());
    let body = filler("edge", 0, 300);
    repo.write("edge.env", format!("{body}{}", filler("tail", 0, 80)));
    repo.commit("edge: body");
    // A key on the first line and one on a last line with no newline.
    repo.write("edge.env", format!("SENDGRID_API_KEY={first}\n{body}SENDGRID_BACKUP={last}"));
    repo.commit("edge: keys at both ends");
    scan_three_ways(&repo, &[&first, &last]);
}

#[test]
fn multi_line_private_keys_are_rescanned() {
    let repo = Repo::new();
    let out = Command::new("openssl").args(["genrsa", "2048"]).output().expect("openssl runs");
    let pem = String::from_utf8(out.stdout).expect("PEM is text");
    assert!(pem.contains("PRIVATE KEY"), "openssl produced a key");
    let body = filler("pem", 0, 200);
    // First without its END line (no key), then complete: the new line is
    // far below the BEGIN keyword.
    let lines: Vec<&str> = pem.lines().collect();
    let without_end = lines[..lines.len() - 1].join("\n");
    repo.write("deploy/id_rsa.txt", format!("{body}{without_end}\n{}", filler("tail", 0, 100)));
    repo.commit("deploy: half a key");
    repo.write("deploy/id_rsa.txt", format!("{body}{}\n", pem.trim_end()));
    repo.commit("deploy: whole key");
    let report = scan_three_ways(&repo, &[]);
    let key_found = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| f["rule_id"].as_str().is_some_and(|r| r.starts_with("private-key")));
    assert!(key_found, "{report}");
}

#[test]
fn a_changed_context_line_changes_the_verdict() {
    let repo = Repo::new();
    let password = random_from(ALNUM, 20);
    let body = filler("ctx", 0, 300);
    let settings = |host: &str| {
        format!("mail:\n  host: {host}\n  port: 587\n  username: shopmailer\n  password: \"{password}\"\n")
    };
    // The first version is the smaller one (git stores it as a delta of the
    // second); only its host line differs, the password line is copied whole.
    repo.write("config/mail.yml", format!("{}{body}", settings("smtp.sendgrid.net")));
    repo.commit("mail: SendGrid");
    repo.write("config/mail.yml", format!("{}{body}{}", settings("smtp.example.org"), filler("tail", 0, 80)));
    repo.commit("mail: own relay");
    let report = scan_three_ways(&repo, &[&password]);
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["secret"] == password.as_str())
        .filter_map(|f| f["rule_id"].as_str())
        .collect();
    assert!(rules.contains("sendgrid.smtp-legacy-login"), "{rules:?}");
}

#[test]
fn no_delta_scan_reads_every_blob_in_full() {
    let repo = Repo::new();
    let body = filler("plain", 0, 300);
    repo.write("a.txt", format!("{body}{}", filler("tail", 0, 50)));
    repo.commit("one");
    repo.write("a.txt", &body);
    repo.commit("two");
    repo.git(&["gc", "--aggressive", "-q"]);
    let (report, code) = scan_json(&["scan", "--git", &repo.path_str(), "--no-delta-scan"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["summary"]["delta_blobs"], 0);
    assert_eq!(report["summary"]["matcher_bytes"], report["summary"]["bytes"]);
}

#[test]
fn a_user_rule_without_keywords_or_path_turns_delta_scanning_off() {
    let repo = Repo::new();
    let rules = tempfile::tempdir().expect("temp dir");
    let rules_file = rules.path().join("acme.toml");
    std::fs::write(
        &rules_file,
        r#"
[[rule]]
id = "acme.bare-token"
name = "Acme token without a prefix keyword"
provider = "acme"
no_keywords_because = "the token has no fixed prefix"
pattern = '\bacme(?P<secret>[0-9]{4}-[A-Za-z]{12})\b'
confidence = "low"
remediation = "Rotate it."
examples = [{ input = "acme1234-AbCdEfGhIjKl", secret = "1234-AbCdEfGhIjKl" }, { input = "x acme9876-ZyXwVuTsRqPo", secret = "9876-ZyXwVuTsRqPo" }]
negative_examples = ["acme12-short"]
"#,
    )
    .expect("rule file written");
    let body = filler("bare", 0, 300);
    repo.write("t.txt", format!("{body}{}", filler("tail", 0, 50)));
    repo.commit("one");
    repo.write("t.txt", format!("{body}acme4321-QwErTyUiOpAs\n"));
    repo.commit("two");
    repo.git(&["gc", "--aggressive", "-q"]);
    let rules_arg = rules_file.to_string_lossy().to_string();
    let (report, code) = scan_json(&["scan", "--git", &repo.path_str(), "--rules", &rules_arg]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(report["summary"]["delta_blobs"], 0);
    assert!(notes(&report).contains("delta-aware scanning is off"), "{}", notes(&report));
    assert!(
        report["findings"].as_array().into_iter().flatten().any(|f| f["secret"] == "4321-QwErTyUiOpAs"),
        "{report}"
    );
}
