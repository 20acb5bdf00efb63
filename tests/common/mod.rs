//! Shared helpers for integration tests: fake but correctly formatted
//! credentials, generated fresh for every run, and the binary under test.
#![allow(dead_code)]

use assert_cmd::Command;

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Random characters from `alphabet`, avoiding runs and words the
/// placeholder filter would reject.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    loop {
        let s: String = (0..len).map(|_| alphabet[fastrand::usize(..alphabet.len())] as char).collect();
        let lower = s.to_ascii_lowercase();
        let bad = ["example", "test", "fake", "xxxx", "sample", "dummy", "insert", "replace", "lorem"];
        if !bad.iter().any(|w| lower.contains(w)) {
            return s;
        }
    }
}

/// A SendGrid API key: `SG.` + 22 + `.` + 43 characters.
pub fn sendgrid_key() -> String {
    let alphabet: Vec<u8> = ALNUM.iter().copied().chain(*b"-_").collect();
    format!("SG.{}.{}", random_from(&alphabet, 22), random_from(&alphabet, 43))
}

/// A legacy Mailgun key: `key-` + 32 hex characters.
pub fn mailgun_key() -> String {
    format!("key-{}", random_from(b"0123456789abcdef", 32))
}

pub fn leakhound() -> Command {
    let mut cmd = Command::cargo_bin("leakhound").expect("binary builds");
    cmd.env_remove("LEAKHOUND_CONFIG").env("NO_COLOR", "1");
    cmd
}

/// Runs `leakhound ARGS --format json` and parses the report.
pub fn scan_json(args: &[&str]) -> (serde_json::Value, i32) {
    let out = leakhound().args(args).args(["--format", "json", "--quiet"]).output().expect("runs");
    let code = out.status.code().unwrap_or(-1);
    let text = String::from_utf8_lossy(&out.stdout);
    let value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("report is not JSON ({e}); stdout: {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr))
    });
    (value, code)
}

/// The secrets of all findings of `rule` in a JSON report.
pub fn secrets_of(report: &serde_json::Value, rule: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter(|f| f["rule_id"] == rule)
                .filter_map(|f| f["secret"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
