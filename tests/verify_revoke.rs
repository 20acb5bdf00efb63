//! Revocation end to end: the real binary against local stand-ins of each
//! provider that can revoke a credential with itself. A dry run makes no
//! revoking request and says exactly what it would do; `--yes` makes exactly
//! the request bound to the leaked credential, verifies again and records
//! the outcome; running again on the result is safe.

mod common;
mod verify_support;

use serde_json::{Value, json};
use verify_support::{Fleet, Workspace, assert_audit_sound, carries, finding, header};
use wiremock::matchers::{header as header_is, method, path};
use wiremock::{Mock, ResponseTemplate};

fn answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// SendGrid: live for the first `live_checks` verifications, refused after.
async fn sendgrid_key_server(fleet: &Fleet, key: &str, live_checks: u64) {
    let server = fleet.server("sendgrid");
    Mock::given(method("GET"))
        .and(path("/v3/scopes"))
        .and(header_is("authorization", format!("Bearer {key}").as_str()))
        .respond_with(answer(200, json!({"scopes": ["mail.send", "api_keys.read", "api_keys.delete"]})))
        .up_to_n_times(live_checks)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v3/scopes"))
        .respond_with(answer(401, json!({"errors": [{"field": null, "message": "authorization required"}]})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn sendgrid_dry_run_then_revoke_then_run_again() {
    let fleet = Fleet::start(&["sendgrid"]).await;
    let server = fleet.server("sendgrid");
    let key = common::sendgrid_key();
    let id = key.split('.').nth(1).unwrap().to_string();
    let other = common::sendgrid_key();
    let other_id = other.split('.').nth(1).unwrap().to_string();
    sendgrid_key_server(&fleet, &key, 2).await;
    let auth = format!("Bearer {key}");
    Mock::given(method("GET"))
        .and(path(format!("/v3/api_keys/{id}")))
        .and(header_is("authorization", auth.as_str()))
        .respond_with(answer(200, json!({"api_key_id": id, "name": "production mailer", "scopes": ["mail.send"]})))
        .mount(server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v3/api_keys/{id}")))
        .and(header_is("authorization", auth.as_str()))
        .respond_with(ResponseTemplate::new(204))
        .mount(server)
        .await;

    let ws = Workspace::new();
    let report = ws.report(vec![finding("sendgrid.api-key", "sendgrid", &key, &[("key_id", &id)])]);
    let report_arg = report.to_str().unwrap();

    // Dry run, as a person reads it.
    let mut cmd = common::leakhound();
    cmd.args(["revoke", report_arg, "--allow-internal-endpoints", "--verify-timeout", "1", "--audit-log"])
        .arg(ws.audit_path())
        .args(fleet.endpoint_args());
    let dry = ws.finish(cmd);
    assert_eq!(dry.code, 1, "still live after a dry run: {}", dry.stderr);
    let expected =
        format!("would revoke SendGrid API key id {id} with GET then DELETE {}/v3/api_keys/{id}", server.uri());
    assert!(dry.stdout.contains(&expected), "dry run names the key and the request:\n{}", dry.stdout);
    assert!(dry.stdout.contains("pass --yes"), "{}", dry.stdout);
    assert!(dry.stderr.contains("dry run: 1 credential would be revoked"), "{}", dry.stderr);
    assert!(!dry.stdout.contains(&key), "the text report never prints the secret");
    let got = fleet.requests("sendgrid").await;
    assert!(
        got.iter().all(|r| r.url.path() == "/v3/scopes"),
        "a dry run only verifies: {:?}",
        verify_support::summary(&got)
    );

    // For real.
    let done = ws.run(&fleet, &["revoke", report_arg, "--yes"]);
    assert_eq!(done.code, 0, "nothing live remains: {}\n{}", done.stderr, done.stdout);
    let v = done.verification(&key);
    assert_eq!(v["status"], "revoked", "{v}");
    assert_eq!(v["revocation"]["outcome"], "revoked", "{v}");
    assert_eq!(v["revocation"]["identity"], format!("SendGrid API key id {id}"));
    let got = fleet.requests("sendgrid").await;
    let deletes: Vec<_> = got.iter().filter(|r| r.method.as_str() == "DELETE").collect();
    assert_eq!(deletes.len(), 1, "exactly one DELETE");
    assert_eq!(deletes[0].url.path(), format!("/v3/api_keys/{id}"), "the DELETE names the leaked key's own id");
    assert_ne!(id, other_id);
    assert_eq!(header(deletes[0], "authorization").as_deref(), Some(auth.as_str()), "made with the key itself");
    let order: Vec<String> = got.iter().map(|r| format!("{} {}", r.method, r.url.path())).collect();
    let get_at = order.iter().position(|r| r == &format!("GET /v3/api_keys/{id}")).expect("confirmed first");
    let del_at = order.iter().position(|r| r == &format!("DELETE /v3/api_keys/{id}")).unwrap();
    assert!(get_at < del_at, "GET confirms before DELETE: {order:?}");
    assert_eq!(order.last().map(String::as_str), Some("GET /v3/scopes"), "verified again after revoking: {order:?}");
    assert_audit_sound(&done, &[&key]);
    let revoke_lines: Vec<&Value> =
        done.audit.iter().filter(|l| l["action"] == "revoke" && l["method"] == "DELETE").collect();
    assert_eq!(revoke_lines.len(), 2, "a line before and after the DELETE:\n{}", done.audit_text);
    assert_eq!(revoke_lines[0]["event"], "request");
    assert_eq!(revoke_lines[1]["event"], "response");
    assert_eq!(revoke_lines[1]["status"], 204);
    assert_eq!(revoke_lines[0]["path"], format!("/v3/api_keys/{id}"));
    assert!(revoke_lines[0]["secret_hashes"][0].as_str().is_some_and(|h| h.len() == 32));
    assert!(done.audit.iter().any(|l| l["event"] == "result" && l["action"] == "revoke" && l["outcome"] == "revoked"));

    // Running again on the result is safe: recognised, nothing deleted twice.
    let after = ws.dir.path().join("after.json");
    std::fs::write(&after, &done.stdout).unwrap();
    let again = ws.run(&fleet, &["revoke", after.to_str().unwrap(), "--yes"]);
    let v = again.verification(&key);
    assert_eq!(v["status"], "revoked", "{v}");
    assert_eq!(v["revocation"]["outcome"], "already-revoked", "{v}");
    let deletes = fleet.requests("sendgrid").await.iter().filter(|r| r.method.as_str() == "DELETE").count();
    assert_eq!(deletes, 1, "no second DELETE");
    fleet.assert_decoy_untouched().await;
}

#[tokio::test]
async fn sendgrid_key_that_cannot_read_itself_is_not_deleted() {
    let fleet = Fleet::start(&["sendgrid"]).await;
    let server = fleet.server("sendgrid");
    let narrow = common::sendgrid_key();
    let liar = common::sendgrid_key();
    sendgrid_key_server(&fleet, &narrow, 5).await;
    sendgrid_key_server(&fleet, &liar, 5).await;
    let narrow_id = narrow.split('.').nth(1).unwrap();
    let liar_id = liar.split('.').nth(1).unwrap();
    Mock::given(method("GET"))
        .and(path(format!("/v3/api_keys/{narrow_id}")))
        .respond_with(answer(403, json!({"errors": [{"field": null, "message": "access forbidden"}]})))
        .mount(server)
        .await;
    // A server that answers for some other key must not lead to a deletion.
    Mock::given(method("GET"))
        .and(path(format!("/v3/api_keys/{liar_id}")))
        .respond_with(answer(200, json!({"api_key_id": "SomeOtherKeyId12345678", "name": "other"})))
        .mount(server)
        .await;
    let ws = Workspace::new();
    let report = ws.report(vec![
        finding("sendgrid.api-key", "sendgrid", &narrow, &[]),
        finding("sendgrid.api-key", "sendgrid", &liar, &[]),
    ]);
    let run = ws.run(&fleet, &["revoke", report.to_str().unwrap(), "--yes"]);
    for key in [&narrow, &liar] {
        let v = run.verification(key);
        assert_eq!(v["status"], "live", "{v}");
        assert_eq!(v["revocation"]["outcome"], "failed", "{v}");
        assert!(v["revocation"]["steps"].as_str().is_some_and(|s| s.contains("SendGrid")), "{v}");
    }
    let got = fleet.requests("sendgrid").await;
    assert!(got.iter().all(|r| r.method.as_str() != "DELETE"), "{:?}", verify_support::summary(&got));
    assert_eq!(run.code, 1);
}

#[tokio::test]
async fn github_tokens_are_revoked_in_one_unauthenticated_batch() {
    let fleet = Fleet::start(&["github"]).await;
    let server = fleet.server("github");
    let tokens = [common::github_token(), common::github_token()];
    for t in &tokens {
        Mock::given(method("GET"))
            .and(path("/user"))
            .and(header_is("authorization", format!("Bearer {t}").as_str()))
            .respond_with(answer(200, json!({"login": "octocat"})).insert_header("X-OAuth-Scopes", "repo"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/user"))
        .respond_with(answer(401, json!({"message": "Bad credentials"})))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/credentials/revoke"))
        .respond_with(ResponseTemplate::new(202).set_body_json(json!({})))
        .expect(1)
        .mount(server)
        .await;
    let ws = Workspace::new();
    let report = ws.report(tokens.iter().map(|t| finding("github.pat", "github", t, &[])).collect());
    let run = ws.run(&fleet, &["revoke", report.to_str().unwrap(), "--yes"]);
    let got = fleet.requests("github").await;
    let posts: Vec<_> = got.iter().filter(|r| r.method.as_str() == "POST").collect();
    assert_eq!(posts.len(), 1, "one batch");
    let body: Value = serde_json::from_slice(&posts[0].body).unwrap();
    let sent: Vec<&str> = body["credentials"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(sent.len(), 2);
    for t in &tokens {
        assert!(sent.contains(&t.as_str()));
        let v = run.verification(t);
        assert_eq!(v["status"], "revoked", "{v}");
        assert_eq!(v["revocation"]["outcome"], "submitted", "{v}");
    }
    assert!(header(posts[0], "authorization").is_none(), "GitHub's revocation API takes no authentication");
    assert_audit_sound(&run, &[&tokens[0], &tokens[1]]);
    let batch_line = run.audit.iter().find(|l| l["action"] == "revoke" && l["event"] == "request").unwrap();
    assert_eq!(batch_line["secret_hashes"].as_array().unwrap().len(), 2, "{batch_line}");
}

/// GitLab, Slack, Discord, npm and Twilio in one run: each revocation goes
/// to its own provider, with the credential itself, naming that credential.
#[tokio::test]
async fn self_revocation_of_gitlab_slack_discord_npm_and_twilio() {
    let fleet = Fleet::start(&["gitlab", "slack", "discord", "npm", "twilio"]).await;
    let gitlab = common::gitlab_token();
    let slack = common::slack_token();
    let (hook, hook_id, hook_token) = common::discord_webhook();
    let npm = common::npm_token();
    let (sk, sk_secret) = common::twilio_api_key();
    let ac = common::twilio_account_sid();

    // Each verifies live once, then is refused.
    let live_once = |status: u16, body: Value| answer(status, body);
    let s = fleet.server("gitlab");
    Mock::given(method("GET"))
        .and(path("/api/v4/personal_access_tokens/self"))
        .respond_with(live_once(
            200,
            json!({"id": 42, "name": "ci", "revoked": false, "active": true, "scopes": ["api"]}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(s)
        .await;
    Mock::given(method("GET")).and(path("/api/v4/personal_access_tokens/self"))
        .respond_with(answer(401, json!({"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."})))
        .mount(s).await;
    Mock::given(method("DELETE"))
        .and(path("/api/v4/personal_access_tokens/self"))
        .and(header_is("private-token", gitlab.as_str()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(s)
        .await;

    let s = fleet.server("slack");
    Mock::given(method("POST"))
        .and(path("/api/auth.test"))
        .respond_with(live_once(
            200,
            json!({"ok": true, "team": "Acme", "user": "bot", "team_id": "T1", "user_id": "U1"}),
        ))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/auth.test"))
        .respond_with(answer(200, json!({"ok": false, "error": "token_revoked"})))
        .mount(s)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/auth.revoke"))
        .and(header_is("authorization", format!("Bearer {slack}").as_str()))
        .respond_with(answer(200, json!({"ok": true, "revoked": true})))
        .expect(1)
        .mount(s)
        .await;

    let s = fleet.server("discord");
    let hook_path = format!("/api/webhooks/{hook_id}/{hook_token}");
    Mock::given(method("GET"))
        .and(path(hook_path.as_str()))
        .respond_with(live_once(200, json!({"id": hook_id, "name": "alerts", "channel_id": "1", "guild_id": "2"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path(hook_path.as_str()))
        .respond_with(answer(404, json!({"message": "Unknown Webhook", "code": 10015})))
        .mount(s)
        .await;
    Mock::given(method("DELETE"))
        .and(path(hook_path.as_str()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(s)
        .await;

    let s = fleet.server("npm");
    Mock::given(method("GET"))
        .and(path("/-/whoami"))
        .respond_with(live_once(200, json!({"username": "acme"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path("/-/whoami"))
        .respond_with(answer(401, json!({"error": "Unauthorized"})))
        .mount(s)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/-/npm/v1/tokens/token/{npm}")))
        .and(header_is("authorization", format!("Bearer {npm}").as_str()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(s)
        .await;

    let s = fleet.server("twilio");
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts.json"))
        .respond_with(live_once(200, json!({"accounts": [{"sid": ac, "friendly_name": "Acme", "status": "active"}]})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(s)
        .await;
    Mock::given(method("GET"))
        .and(path("/2010-04-01/Accounts.json"))
        .respond_with(answer(401, json!({"code": 20003, "message": "Authenticate"})))
        .mount(s)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/2010-04-01/Accounts/{ac}/Keys/{sk}.json")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(s)
        .await;

    let ws = Workspace::new();
    let report = ws.report(vec![
        finding("gitlab.pat", "gitlab", &gitlab, &[]),
        finding("slack.bot-token", "slack", &slack, &[]),
        finding("discord.webhook-url", "discord", &hook, &[]),
        finding("npm.access-token", "npm", &npm, &[]),
        finding("twilio.api-key", "twilio", &sk_secret, &[("key_sid", &sk)]),
    ]);
    let run = ws.run(&fleet, &["revoke", report.to_str().unwrap(), "--yes"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stderr, run.stdout);
    for (secret, identity) in [
        (&gitlab, "GitLab personal access token id 42".to_string()),
        (&slack, "Slack token".to_string()),
        (&hook, format!("Discord webhook id {hook_id}")),
        (&npm, "npm access token".to_string()),
        (&sk_secret, format!("Twilio API key {sk}")),
    ] {
        let v = run.verification(secret);
        assert_eq!(v["status"], "revoked", "{v}");
        assert_eq!(v["revocation"]["outcome"], "revoked", "{v}");
        assert!(v["revocation"]["identity"].as_str().is_some_and(|i| i.starts_with(&identity)), "{v}");
    }
    let v = run.verification(&slack);
    assert!(v["revocation"]["identity"].as_str().unwrap().contains("of user U1 in team T1"), "{v}");
    // Secrets in paths are kept out of the audit log and of the recorded request.
    assert_audit_sound(&run, &[&gitlab, &slack, &hook, &hook_token, &npm, &sk_secret]);
    assert!(run.audit.iter().any(|l| l["path"] == "/-/npm/v1/tokens/token/[token]"));
    assert!(run.audit.iter().any(|l| l["path"] == format!("/api/webhooks/{hook_id}/[token]")));
    assert!(!run.verification(&npm)["revocation"]["request"].as_str().unwrap().contains(&npm));
    // Twilio's DELETE is made with the API key itself.
    let twilio = fleet.requests("twilio").await;
    let del = twilio.iter().find(|r| r.method.as_str() == "DELETE").unwrap();
    assert_eq!(verify_support::basic_credentials(del), Some(format!("{sk}:{sk_secret}")));
    // Nothing crossed over: each server saw only its own secret.
    for (name, own) in
        [("gitlab", &gitlab), ("slack", &slack), ("discord", &hook_token), ("npm", &npm), ("twilio", &sk_secret)]
    {
        for r in fleet.requests(name).await {
            assert!(carries(&r, own), "{name} got a request without its own secret");
            for foreign in [&gitlab, &slack, &hook_token, &npm, &sk_secret] {
                if foreign != own {
                    assert!(!carries(&r, foreign), "{name} received another provider's secret");
                }
            }
        }
    }
    fleet.assert_decoy_untouched().await;
}

/// Providers without self-revocation get console steps, and no request
/// beyond the read-only check.
#[tokio::test]
async fn providers_without_self_revocation_get_console_steps() {
    let fleet = Fleet::start(&["postmark"]).await;
    let token = common::postmark_token();
    Mock::given(method("GET"))
        .and(path("/server"))
        .respond_with(answer(200, json!({"ID": 1, "Name": "Production"})))
        .mount(fleet.server("postmark"))
        .await;
    let ws = Workspace::new();
    let report = ws.report(vec![
        finding("postmark.server-token", "postmark", &token, &[]),
        finding("ses.smtp-credentials", "aws", "BExampleSesSmtpPasswordDerivedFromASecretKey12", &[]),
    ]);
    let run = ws.run(&fleet, &["revoke", report.to_str().unwrap(), "--yes"]);
    let v = run.verification(&token);
    assert_eq!(v["status"], "live");
    assert_eq!(v["revocation"]["outcome"], "manual");
    assert!(v["revocation"]["steps"].as_str().unwrap().contains("Postmark"), "{v}");
    let ses = run.verification("BExampleSesSmtpPasswordDerivedFromASecretKey12");
    assert_eq!(ses["status"], "unknown");
    assert!(ses["revocation"]["steps"].as_str().unwrap().contains("IAM"), "{ses}");
    assert_eq!(fleet.requests("postmark").await.len(), 1);
    assert_eq!(run.code, 1, "a live credential remains");
}

/// `scan --revoke --yes` on a working tree: the scan finds the key, the
/// key is verified, revoked and verified again.
#[tokio::test]
async fn scan_revoke_yes_on_a_tree() {
    let fleet = Fleet::start(&["sendgrid"]).await;
    let key = common::sendgrid_key();
    let id = key.split('.').nth(1).unwrap().to_string();
    sendgrid_key_server(&fleet, &key, 1).await;
    Mock::given(method("GET"))
        .and(path(format!("/v3/api_keys/{id}")))
        .respond_with(answer(200, json!({"api_key_id": id, "name": "k"})))
        .mount(fleet.server("sendgrid"))
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v3/api_keys/{id}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(fleet.server("sendgrid"))
        .await;
    let ws = Workspace::new();
    let tree = ws.dir.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join(".env"), format!("SENDGRID_API_KEY={key}\n")).unwrap();
    let run = ws.run(&fleet, &["scan", "--quiet", tree.to_str().unwrap(), "--revoke", "--yes"]);
    let v = run.verification(&key);
    assert_eq!(v["status"], "revoked", "{v}\n{}", run.stderr);
    assert_eq!(v["revocation"]["request"], format!("{} {}/v3/api_keys/{id}", "DELETE", fleet.server("sendgrid").uri()));
}
