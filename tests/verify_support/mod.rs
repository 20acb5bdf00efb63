//! Shared by the `verify_*` tests: fake provider servers on 127.0.0.1
//! (wiremock), JSON reports built around freshly generated secrets, and runs
//! of the real binary with every endpoint pointed at a local server. Every
//! endpoint not under test points at a decoy that must never be contacted.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{Value, json};
use wiremock::{MockServer, Request};

use crate::common::leakhound;

/// Every endpoint name the binary knows (see `leakhound providers`).
pub const ENDPOINTS: &[&str] = &[
    "sendgrid",
    "mailgun",
    "mailgun-eu",
    "mailchimp",
    "mandrill",
    "postmark",
    "sparkpost",
    "sparkpost-eu",
    "brevo",
    "mailjet",
    "resend",
    "twilio",
    "github",
    "gitlab",
    "slack",
    "npm",
    "stripe",
    "openai",
    "discord",
];

/// Local stand-ins for the providers under test, plus one decoy for every other endpoint.
pub struct Fleet {
    pub servers: BTreeMap<&'static str, MockServer>,
    pub decoy: MockServer,
}

impl Fleet {
    pub async fn start(names: &[&'static str]) -> Fleet {
        let mut servers = BTreeMap::new();
        for name in names {
            servers.insert(*name, MockServer::start().await);
        }
        Fleet { servers, decoy: MockServer::start().await }
    }

    pub fn server(&self, name: &str) -> &MockServer {
        self.servers.get(name).unwrap_or_else(|| panic!("no server for {name}"))
    }

    /// `--endpoint NAME=URL` for every endpoint.
    pub fn endpoint_args(&self) -> Vec<String> {
        ENDPOINTS
            .iter()
            .flat_map(|name| {
                let uri = self.servers.get(name).map_or_else(|| self.decoy.uri(), MockServer::uri);
                ["--endpoint".to_string(), format!("{name}={uri}")]
            })
            .collect()
    }

    pub async fn requests(&self, name: &str) -> Vec<Request> {
        self.server(name).received_requests().await.unwrap_or_default()
    }

    /// The decoy saw nothing: no secret went to a server it does not belong to.
    pub async fn assert_decoy_untouched(&self) {
        let got = self.decoy.received_requests().await.unwrap_or_default();
        assert!(got.is_empty(), "requests reached endpoints of other providers: {:?}", summary(&got));
    }
}

pub fn summary(reqs: &[Request]) -> Vec<String> {
    reqs.iter().map(|r| format!("{} {}", r.method, r.url.path())).collect()
}

/// Whether a request carries `marker` anywhere: path, query, a header
/// (Basic credentials decoded) or the body.
pub fn carries(req: &Request, marker: &str) -> bool {
    if req.url.as_str().contains(marker) || String::from_utf8_lossy(&req.body).contains(marker) {
        return true;
    }
    req.headers.iter().any(|(_, v)| {
        let v = v.to_str().unwrap_or_default();
        if v.contains(marker) {
            return true;
        }
        v.strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
            .is_some_and(|d| String::from_utf8_lossy(&d).contains(marker))
    })
}

/// The `user:password` of a Basic `Authorization` header.
pub fn basic_credentials(req: &Request) -> Option<String> {
    let v = req.headers.get("authorization")?.to_str().ok()?;
    let b = v.strip_prefix("Basic ")?;
    let d = base64::engine::general_purpose::STANDARD.decode(b.trim()).ok()?;
    String::from_utf8(d).ok()
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A finding as a JSON report carries it.
pub fn finding(rule_id: &str, provider: &str, secret: &str, groups: &[(&str, &str)]) -> Value {
    let fingerprint = crate::common::random_from(b"0123456789abcdef", 32);
    let groups: BTreeMap<&str, &str> = groups.iter().copied().collect();
    json!({
        "fingerprint": fingerprint,
        "rule_id": rule_id,
        "rule_name": rule_id,
        "provider": provider,
        "confidence": "high",
        "secret": secret,
        "secret_redacted": format!("{}…({} chars)", &secret[..4.min(secret.len())], secret.chars().count()),
        "groups": groups,
        "locations": [{
            "kind": "file", "path": "config/.env", "line": 1, "column": 1, "end_line": 1,
            "end_column": secret.len() + 1, "byte_start": 0, "byte_end": secret.len(),
            "fingerprint": crate::common::random_from(b"0123456789abcdef", 24),
        }],
    })
}

/// A temporary workspace: the report, the audit log, the state directory.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

/// What one run of the binary left behind.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The JSON report on stdout (`Null` when the run did not print one).
    pub report: Value,
    pub audit: Vec<Value>,
    pub audit_text: String,
}

impl Run {
    /// The verification of the finding holding `secret`.
    pub fn verification(&self, secret: &str) -> Value {
        self.report["findings"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["secret"] == secret))
            .map(|f| f["verification"].clone())
            .unwrap_or_else(|| panic!("no finding with that secret in {}\nstderr: {}", self.report, self.stderr))
    }

    pub fn status(&self, secret: &str) -> String {
        self.verification(secret)["status"].as_str().unwrap_or("none").to_string()
    }

    pub fn reason(&self, secret: &str) -> String {
        self.verification(secret)["reason"].as_str().unwrap_or_default().to_string()
    }
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace { dir: tempfile::tempdir().expect("temp dir") }
    }

    pub fn audit_path(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    /// Writes a JSON report holding `findings`, shaped by a real scan of an empty tree.
    pub fn report(&self, findings: Vec<Value>) -> PathBuf {
        let empty = self.dir.path().join("empty");
        std::fs::create_dir_all(&empty).expect("mkdir");
        let out = leakhound().args(["scan", "--quiet", "--format", "json"]).arg(&empty).output().expect("runs");
        let mut doc: Value = serde_json::from_slice(&out.stdout).expect("scan prints a JSON report");
        doc["summary"]["findings"] = json!(findings.len());
        doc["findings"] = Value::Array(findings);
        let path = self.dir.path().join(format!("report-{}.json", crate::common::random_from(b"abcdef", 8)));
        std::fs::write(&path, serde_json::to_string_pretty(&doc).expect("json")).expect("write report");
        path
    }

    /// Runs `leakhound ARGS` with the fleet's endpoints, a short timeout,
    /// one retry, this workspace's audit log and a JSON report on stdout.
    pub fn run(&self, fleet: &Fleet, args: &[&str]) -> Run {
        let mut cmd = leakhound();
        cmd.args(args)
            .args(fleet.endpoint_args())
            .args(["--allow-internal-endpoints", "--verify-timeout", "1", "--verify-retries", "1"])
            .args(["--verify-max-wait", "3", "--format", "json", "--audit-log"])
            .arg(self.audit_path())
            .env("XDG_STATE_HOME", self.dir.path().join("state"))
            .env("HOME", self.dir.path());
        self.finish(cmd)
    }

    /// Runs a prepared command and collects its output and the audit log.
    pub fn finish(&self, mut cmd: assert_cmd::Command) -> Run {
        let out = cmd.output().expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let report = serde_json::from_str(&stdout).unwrap_or(Value::Null);
        let audit_text = std::fs::read_to_string(self.audit_path()).unwrap_or_default();
        let audit = audit_text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            report,
            audit,
            audit_text,
        }
    }
}

/// Checks the audit log of a run: every request line is paired with a
/// response line, lines carry hashes and fingerprints, never `secrets`.
pub fn assert_audit_sound(run: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(!run.audit_text.contains(s), "the audit log holds a secret:\n{}", run.audit_text);
    }
    let requests: Vec<&Value> = run.audit.iter().filter(|l| l["event"] == "request").collect();
    for req in &requests {
        for field in ["time", "run", "provider", "method", "host", "path", "fingerprints", "secret_hashes"] {
            assert!(!req[field].is_null(), "request line without {field}: {req}");
        }
        let id = &req["request"];
        let answered =
            run.audit.iter().any(|l| l["event"] == "response" && &l["request"] == id && l["run"] == req["run"]);
        assert!(answered, "request {id} has no response line:\n{}", run.audit_text);
    }
    let lines = run.audit_text.lines().count();
    assert_eq!(lines, run.audit.len(), "every audit line is JSON");
}
