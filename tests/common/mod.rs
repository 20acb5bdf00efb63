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

// Fake but correctly formatted credentials for the verify tests.

const HEX: &[u8] = b"0123456789abcdef";

/// A Mailgun private API key: 32 hex, dash, 8 hex, dash, 8 hex.
pub fn mailgun_private_key() -> String {
    format!("{}-{}-{}", random_from(HEX, 32), random_from(HEX, 8), random_from(HEX, 8))
}

/// A Mailchimp API key for datacenter `dc` (e.g. `us21`).
pub fn mailchimp_key(dc: &str) -> String {
    format!("{}-{dc}", random_from(HEX, 32))
}

/// A Mailchimp Transactional (Mandrill) key: `md-` + 22 characters.
pub fn mandrill_key() -> String {
    format!("md-{}", random_from(ALNUM, 22))
}

/// A Postmark server or account token (a UUID).
pub fn postmark_token() -> String {
    format!(
        "{}-{}-{}-{}-{}",
        random_from(HEX, 8),
        random_from(HEX, 4),
        random_from(HEX, 4),
        random_from(HEX, 4),
        random_from(HEX, 12)
    )
}

/// A SparkPost API key: 40 hex characters.
pub fn sparkpost_key() -> String {
    random_from(HEX, 40)
}

/// A Brevo API key: `xkeysib-` + 64 hex + `-` + 16 characters.
pub fn brevo_key() -> String {
    format!("xkeysib-{}-{}", random_from(HEX, 64), random_from(ALNUM, 16))
}

/// A Mailjet API key and secret key: 32 hex each.
pub fn mailjet_pair() -> (String, String) {
    (random_from(HEX, 32), random_from(HEX, 32))
}

/// A Resend API key: `re_` + 8 + `_` + 24 characters.
pub fn resend_key() -> String {
    format!("re_{}_{}", random_from(ALNUM, 8), random_from(ALNUM, 24))
}

/// A Twilio API key SID (`SK` + 32 hex) with its 32-character secret.
pub fn twilio_api_key() -> (String, String) {
    (format!("SK{}", random_from(HEX, 32)), random_from(ALNUM, 32))
}

/// A Twilio account SID: `AC` + 32 hex.
pub fn twilio_account_sid() -> String {
    format!("AC{}", random_from(HEX, 32))
}

/// A classic GitHub personal access token: `ghp_` + 36 characters.
pub fn github_token() -> String {
    format!("ghp_{}", random_from(ALNUM, 36))
}

/// A GitLab personal access token: `glpat-` + 20 characters.
pub fn gitlab_token() -> String {
    format!("glpat-{}", random_from(ALNUM, 20))
}

/// A Slack bot token: `xoxb-` + numbers + 24 characters.
pub fn slack_token() -> String {
    format!("xoxb-{}-{}-{}", random_from(b"0123456789", 12), random_from(b"0123456789", 13), random_from(ALNUM, 24))
}

/// An npm access token: `npm_` + 36 characters.
pub fn npm_token() -> String {
    format!("npm_{}", random_from(ALNUM, 36))
}

/// A Stripe live secret key: `sk_live_` + 24 characters.
pub fn stripe_key() -> String {
    format!("sk_live_{}", random_from(ALNUM, 24))
}

/// An OpenAI project key: `sk-proj-` + 48 characters.
pub fn openai_key() -> String {
    format!("sk-proj-{}", random_from(ALNUM, 48))
}

/// A Discord webhook URL: id and token.
pub fn discord_webhook() -> (String, String, String) {
    let id = random_from(b"0123456789", 18);
    let token = random_from(ALNUM, 68);
    (format!("https://discord.com/api/webhooks/{id}/{token}"), id, token)
}
