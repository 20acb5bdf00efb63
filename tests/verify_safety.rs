//! The safety rules of verification, end to end: secrets go only to their
//! own provider, over https (http only on loopback with
//! --allow-internal-endpoints), never to internal addresses by default,
//! never twice in a run, never when two providers claim them; a dead network
//! gives `unknown`, not a failure; statuses show in text, JSON and SARIF;
//! `leakhound providers` lists every host.

mod common;
mod verify_support;

use serde_json::{Value, json};
use verify_support::{Fleet, Workspace, assert_audit_sound, finding};
use wiremock::matchers::{any, header as header_is, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

async fn sendgrid_live(server: &MockServer, key: &str) {
    Mock::given(method("GET"))
        .and(path("/v3/scopes"))
        .and(header_is("authorization", format!("Bearer {key}").as_str()))
        .respond_with(answer(200, json!({"scopes": ["mail.send"]})))
        .mount(server)
        .await;
    Mock::given(any())
        .respond_with(answer(401, json!({"errors": [{"message": "authorization required"}]})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn loopback_endpoint_needs_allow_internal_endpoints() {
    let server = MockServer::start().await;
    let ws = Workspace::new();
    let key = common::sendgrid_key();
    let report = ws.report(vec![finding("sendgrid.api-key", "sendgrid", &key, &[])]);
    let mut cmd = common::leakhound();
    cmd.args(["verify", report.to_str().unwrap(), "--endpoint", &format!("sendgrid={}", server.uri())])
        .arg("--audit-log")
        .arg(ws.audit_path());
    let run = ws.finish(cmd);
    assert_eq!(run.code, 2, "refused up front: {}", run.stderr);
    assert!(run.stderr.contains("--allow-internal-endpoints"), "{}", run.stderr);
    assert!(server.received_requests().await.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn plain_http_private_addresses_and_urls_with_credentials_are_refused() {
    let ws = Workspace::new();
    let report = ws.report(vec![finding("sendgrid.api-key", "sendgrid", &common::sendgrid_key(), &[])]);
    for (url, allow) in [
        ("http://api.sendgrid.example", true),
        ("https://10.1.2.3", false),
        ("https://169.254.169.254", false),
        ("https://[::1]:8443", false),
        ("https://user:pass@api.sendgrid.example", false),
        ("ftp://api.sendgrid.example", true),
    ] {
        let mut cmd = common::leakhound();
        cmd.args(["verify", report.to_str().unwrap(), "--endpoint", &format!("sendgrid={url}"), "--audit-log"])
            .arg(ws.audit_path());
        if allow {
            cmd.arg("--allow-internal-endpoints");
        }
        let run = ws.finish(cmd);
        assert_eq!(run.code, 2, "{url} must be refused: {}", run.stderr);
    }
    let mut cmd = common::leakhound();
    cmd.args(["verify", report.to_str().unwrap(), "--endpoint", "nosuch=https://x.example", "--audit-log"])
        .arg(ws.audit_path());
    let run = ws.finish(cmd);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown endpoint"), "{}", run.stderr);
}

/// `localhost` is a loopback name: refused without --allow-internal-endpoints.
/// (Names that merely resolve to internal addresses are refused by the
/// client's resolver: see the unit tests in src/verify/http.rs.)
#[tokio::test]
async fn localhost_is_refused_without_allow_internal_endpoints() {
    let server = MockServer::start().await;
    let ws = Workspace::new();
    let key = common::sendgrid_key();
    let report = ws.report(vec![finding("sendgrid.api-key", "sendgrid", &key, &[])]);
    let port = server.address().port();
    let mut direct = common::leakhound();
    direct
        .args(["verify", report.to_str().unwrap(), "--endpoint", &format!("sendgrid=https://localhost:{port}")])
        .arg("--audit-log")
        .arg(ws.audit_path());
    let run = ws.finish(direct);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(server.received_requests().await.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn endpoint_from_the_environment() {
    let fleet = Fleet::start(&[]).await;
    let server = MockServer::start().await;
    let key = common::sendgrid_key();
    sendgrid_live(&server, &key).await;
    let ws = Workspace::new();
    let report = ws.report(vec![finding("sendgrid.api-key", "sendgrid", &key, &[])]);
    let mut cmd = common::leakhound();
    let endpoint_args: Vec<String> = fleet.endpoint_args();
    // Every endpoint but SendGrid's on the command line; SendGrid's from the environment.
    let without_sendgrid: Vec<String> = endpoint_args
        .chunks(2)
        .filter(|pair| !pair[1].starts_with("sendgrid="))
        .flat_map(|pair| pair.to_vec())
        .collect();
    cmd.args(["verify", report.to_str().unwrap(), "--format", "json", "--allow-internal-endpoints", "--audit-log"])
        .arg(ws.audit_path())
        .args(without_sendgrid)
        .env("LEAKHOUND_ENDPOINT_SENDGRID", server.uri());
    let run = ws.finish(cmd);
    assert_eq!(run.status(&key), "live", "{}", run.stderr);
    fleet.assert_decoy_untouched().await;
}

#[tokio::test]
async fn a_secret_claimed_by_two_providers_goes_to_neither_unless_chosen() {
    let fleet = Fleet::start(&["sparkpost", "sparkpost-eu", "mailjet"]).await;
    let key = common::sparkpost_key();
    Mock::given(method("GET"))
        .and(path("/api/v1/account"))
        .respond_with(answer(200, json!({"results": {"customer_id": 1}})))
        .mount(fleet.server("sparkpost"))
        .await;
    let ws = Workspace::new();
    let sp = finding("sparkpost.api-key", "sparkpost", &key, &[]);
    let mj = finding("mailjet.api-credentials", "mailjet", &key, &[("key_id", "0123456789abcdef0123456789abcdef")]);
    let sp_fp = sp["fingerprint"].as_str().unwrap().to_string();
    let report = ws.report(vec![sp, mj]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    for f in run.report["findings"].as_array().unwrap() {
        assert_eq!(f["verification"]["status"], "unknown", "{f}");
        assert!(f["verification"]["reason"].as_str().unwrap().contains("ambiguous"), "{f}");
        assert!(f["verification"]["reason"].as_str().unwrap().contains("--verify-as"), "{f}");
    }
    for name in ["sparkpost", "sparkpost-eu", "mailjet"] {
        assert!(fleet.requests(name).await.is_empty(), "{name} must not receive an ambiguous secret");
    }
    assert!(run.audit.iter().all(|l| l["event"] != "request"));

    let run = ws.run(&fleet, &["verify", report.to_str().unwrap(), "--verify-as", &sp_fp]);
    let findings = run.report["findings"].as_array().unwrap();
    let by_rule = |rule: &str| findings.iter().find(|f| f["rule_id"] == rule).unwrap()["verification"].clone();
    assert_eq!(by_rule("sparkpost.api-key")["status"], "live", "{}", run.stderr);
    assert_eq!(by_rule("mailjet.api-credentials")["status"], "unknown");
    assert!(fleet.requests("mailjet").await.is_empty(), "the provider not chosen still receives nothing");
    assert_eq!(fleet.requests("sparkpost").await.len(), 1);
    fleet.assert_decoy_untouched().await;
}

#[tokio::test]
async fn each_distinct_secret_is_checked_once_per_run() {
    let fleet = Fleet::start(&["sendgrid"]).await;
    let key = common::sendgrid_key();
    let other = common::sendgrid_key();
    sendgrid_live(fleet.server("sendgrid"), &key).await;
    let ws = Workspace::new();
    let report = ws.report(vec![
        finding("sendgrid.api-key", "sendgrid", &key, &[]),
        finding("sendgrid.smtp-login", "sendgrid", &key, &[]),
        finding("sendgrid.api-key", "sendgrid", &other, &[]),
    ]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    let got = fleet.requests("sendgrid").await;
    assert_eq!(got.len(), 2, "one request per distinct secret: {:?}", verify_support::summary(&got));
    let findings = run.report["findings"].as_array().unwrap();
    let live: Vec<_> = findings.iter().filter(|f| f["verification"]["status"] == "live").collect();
    assert_eq!(live.len(), 2, "both findings of the key carry the verdict");
    assert_eq!(run.status(&other), "invalid");
    let results: Vec<_> = run.audit.iter().filter(|l| l["event"] == "result").collect();
    assert_eq!(results.len(), 2);
    assert_eq!(results.iter().find(|l| l["outcome"] == "live").unwrap()["fingerprints"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_dead_network_gives_unknown_and_the_report_still_completes() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let ws = Workspace::new();
    let key = common::sendgrid_key();
    let (hook, _, hook_token) = common::discord_webhook();
    let report = ws.report(vec![
        finding("sendgrid.api-key", "sendgrid", &key, &[]),
        finding("discord.webhook-url", "discord", &hook, &[]),
    ]);
    let mut cmd = common::leakhound();
    cmd.args(["verify", report.to_str().unwrap(), "--format", "json", "--allow-internal-endpoints", "--audit-log"])
        .arg(ws.audit_path())
        .args(["--endpoint", &format!("sendgrid=http://127.0.0.1:{port}")])
        .args(["--endpoint", &format!("discord=http://127.0.0.1:{port}")]);
    let run = ws.finish(cmd);
    assert_eq!(run.code, 0, "nothing live: {}", run.stderr);
    for secret in [&key, &hook] {
        assert_eq!(run.status(secret), "unknown");
        assert!(run.reason(secret).contains("network error"), "{}", run.reason(secret));
    }
    // Error messages from the network layer never quote the webhook's token.
    assert!(!run.reason(&hook).contains(&hook_token), "{}", run.reason(&hook));
    assert!(run.audit.iter().any(|l| l["event"] == "response" && l["outcome"] == "network-error"));
    assert_audit_sound(&run, &[&key, &hook, &hook_token]);
}

#[tokio::test]
async fn a_redacted_report_sends_nothing() {
    let fleet = Fleet::start(&["sendgrid"]).await;
    let ws = Workspace::new();
    let mut f = finding("sendgrid.api-key", "sendgrid", "x", &[]);
    f["secret"] = json!("SG.abc…(69 chars)");
    f["secret_redacted"] = json!("SG.abc…(69 chars)");
    let report = ws.report(vec![f]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    assert_eq!(run.status("SG.abc…(69 chars)"), "unknown");
    assert!(run.reason("SG.abc…(69 chars)").contains("redacted"));
    assert!(fleet.requests("sendgrid").await.is_empty());
}

/// Status in the text report, JSON, SARIF (`error` when live), and `--only-live`.
#[tokio::test]
async fn scan_verify_shows_status_in_every_format() {
    let fleet = Fleet::start(&["sendgrid"]).await;
    let live = common::sendgrid_key();
    let dead = common::sendgrid_key();
    sendgrid_live(fleet.server("sendgrid"), &live).await;
    let ws = Workspace::new();
    let tree = ws.dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("a.env"), format!("SENDGRID_API_KEY={live}\n")).unwrap();
    std::fs::write(tree.join("b.env"), format!("SENDGRID_API_KEY={dead}\n")).unwrap();
    let tree = tree.to_str().unwrap();
    let base = |format: &str| {
        let mut cmd = common::leakhound();
        cmd.args(["scan", "--quiet", tree, "--verify", "--allow-internal-endpoints", "--format", format])
            .args(["--verify-timeout", "1", "--audit-log"])
            .arg(ws.audit_path())
            .args(fleet.endpoint_args());
        cmd
    };
    let text = ws.finish(base("text"));
    assert!(text.stdout.contains("verified:    live"), "{}", text.stdout);
    assert!(text.stdout.contains("verified:    invalid (authorization required)"), "{}", text.stdout);
    assert!(text.stdout.contains("reach:       scopes: mail.send"), "{}", text.stdout);
    assert!(!text.stdout.contains(&live));
    assert!(text.stderr.contains("verified 2 secrets: 1 live, 1 invalid"), "{}", text.stderr);

    let sarif = ws.finish(base("sarif"));
    let doc: Value = serde_json::from_str(&sarif.stdout).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let live_result = results.iter().find(|r| r["properties"]["verification"] == "live").unwrap();
    assert_eq!(live_result["level"], "error");
    assert!(live_result["message"]["text"].as_str().unwrap().contains("Verified: live"));
    assert!(results.iter().any(|r| r["properties"]["verification"] == "invalid"));
    assert!(!sarif.stdout.contains(&live) && !sarif.stdout.contains(&dead), "SARIF is redacted");

    let mut only = base("json");
    only.arg("--only-live");
    let only = ws.finish(only);
    let findings = only.report["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(findings.iter().all(|f| f["secret"] == live.as_str()), "{}", only.stdout);
    fleet.assert_decoy_untouched().await;
}

#[tokio::test]
async fn audit_log_defaults_to_the_state_directory() {
    let fleet = Fleet::start(&["sendgrid"]).await;
    let key = common::sendgrid_key();
    sendgrid_live(fleet.server("sendgrid"), &key).await;
    let ws = Workspace::new();
    let report = ws.report(vec![finding("sendgrid.api-key", "sendgrid", &key, &[])]);
    let state = ws.dir.path().join("state");
    let mut cmd = common::leakhound();
    cmd.args(["verify", report.to_str().unwrap(), "--allow-internal-endpoints", "--format", "json"])
        .args(fleet.endpoint_args())
        .env("XDG_STATE_HOME", &state);
    let run = ws.finish(cmd);
    assert_eq!(run.status(&key), "live", "{}", run.stderr);
    let log = std::fs::read_to_string(state.join("leakhound/audit.jsonl")).expect("default audit log");
    assert_eq!(log.lines().filter(|l| l.contains("\"event\":\"request\"")).count(), 1);
    assert!(!log.contains(&key));
    assert!(run.stderr.contains("audit log:"), "{}", run.stderr);
}

#[test]
fn providers_lists_every_host_as_text_and_json() {
    let out = common::leakhound().args(["providers"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for name in verify_support::ENDPOINTS {
        assert!(text.lines().any(|l| l.starts_with(&format!("{name} "))), "{name} missing:\n{text}");
    }
    for host in [
        "https://api.sendgrid.com",
        "https://api.eu.mailgun.net",
        "https://{dc}.api.mailchimp.com",
        "https://api.github.com",
        "https://slack.com",
    ] {
        assert!(text.contains(host), "{host} missing:\n{text}");
    }
    let out = common::leakhound()
        .args(["providers", "--format", "json", "--endpoint", "gitlab=https://gitlab.internal.example"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = doc["endpoints"].as_array().unwrap();
    assert_eq!(rows.len(), verify_support::ENDPOINTS.len());
    let gitlab = rows.iter().find(|r| r["endpoint"] == "gitlab").unwrap();
    assert_eq!(gitlab["host"], "gitlab.internal.example");
    assert_eq!(gitlab["overridden"], true);
    assert_eq!(gitlab["env"], "LEAKHOUND_ENDPOINT_GITLAB");
    let mailchimp = rows.iter().find(|r| r["endpoint"] == "mailchimp").unwrap();
    assert_eq!(mailchimp["host"], "{dc}.api.mailchimp.com");
}

/// The built-in rules feed the verifiers: a tree holding credentials of six
/// providers is scanned and verified in one run, each secret going to its
/// own provider's stand-in and nowhere else.
#[tokio::test]
async fn scan_verify_routes_each_rule_to_its_own_provider() {
    let names = ["sendgrid", "gitlab", "npm", "postmark", "resend", "stripe"];
    let fleet = Fleet::start(&names).await;
    let secrets = [
        common::sendgrid_key(),
        common::gitlab_token(),
        common::npm_token(),
        common::postmark_token(),
        common::resend_key(),
        common::stripe_key(),
    ];
    let routes: [(&str, &str, Value); 6] = [
        ("GET", "/v3/scopes", json!({"scopes": ["mail.send"]})),
        (
            "GET",
            "/api/v4/personal_access_tokens/self",
            json!({"id": 1, "name": "ci", "revoked": false, "active": true, "scopes": ["api"]}),
        ),
        ("GET", "/-/whoami", json!({"username": "acme"})),
        ("GET", "/server", json!({"ID": 1, "Name": "Production"})),
        ("GET", "/domains", json!({"data": []})),
        ("GET", "/v1/account", json!({"id": "acct_1", "object": "account"})),
    ];
    for (name, (verb, route, body)) in names.iter().zip(routes) {
        Mock::given(method(verb)).and(path(route)).respond_with(answer(200, body)).mount(fleet.server(name)).await;
    }
    let ws = Workspace::new();
    let tree = ws.dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    let vars = [
        "SENDGRID_API_KEY",
        "GITLAB_TOKEN",
        "NPM_TOKEN",
        "POSTMARK_SERVER_TOKEN",
        "RESEND_API_KEY",
        "STRIPE_SECRET_KEY",
    ];
    let env: String = vars.iter().zip(&secrets).map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(tree.join("app.env"), env).unwrap();
    let run = ws.run(&fleet, &["scan", "--quiet", tree.to_str().unwrap(), "--verify"]);
    for (name, secret) in names.iter().zip(&secrets) {
        let v = run.verification(secret);
        assert_eq!(v["status"], "live", "{name}: {v}\n{}", run.stderr);
        assert_eq!(v["provider"], *name);
        let got = fleet.requests(name).await;
        assert_eq!(got.len(), 1, "{name}");
        for other in secrets.iter().filter(|s| *s != secret) {
            assert!(!verify_support::carries(&got[0], other), "{name} received another provider's secret");
        }
    }
    fleet.assert_decoy_untouched().await;
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_audit_sound(&run, &refs);
}
