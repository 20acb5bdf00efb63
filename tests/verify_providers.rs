//! Every verifier against a stand-in of its provider on 127.0.0.1 that
//! implements the documented request and answers. One run of the real binary
//! per provider checks eight secrets at once, each meeting a different answer:
//! success, invalid key, revoked key, 429 with Retry-After (then success),
//! 500, a response slower than the timeout, a redirect that must not be
//! followed, and a 200 whose body reports an error. The stand-in only answers
//! requests that carry the secret in the provider's documented way, and every
//! other endpoint points at a decoy that must stay untouched.

mod common;
mod verify_support;

use std::time::Duration;

use serde_json::{Value, json};
use verify_support::{Fleet, Workspace, assert_audit_sound, basic_credentials, carries, finding, header};
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, Request, ResponseTemplate};

#[derive(Clone, Debug)]
struct Cred {
    secret: String,
    groups: Vec<(String, String)>,
    /// What a request must carry (the secret, or its token part).
    marker: String,
    /// The Basic-auth user, where the provider pairs the secret with one.
    user: Option<String>,
}

impl Cred {
    fn plain(secret: String) -> Cred {
        Cred { marker: secret.clone(), secret, groups: Vec::new(), user: None }
    }
}

#[derive(Clone, Copy)]
enum AuthShape {
    Bearer,
    /// Basic auth with this fixed user, or any user when `None`.
    Basic(Option<&'static str>),
    /// Basic auth with the credential's paired user.
    BasicPaired,
    Header(&'static str),
    JsonBodyKey,
    InPath,
}

impl AuthShape {
    fn holds(self, req: &Request, c: &Cred) -> bool {
        match self {
            AuthShape::Bearer => header(req, "authorization").as_deref() == Some(&format!("Bearer {}", c.secret)),
            AuthShape::Basic(Some(user)) => basic_credentials(req) == Some(format!("{user}:{}", c.secret)),
            AuthShape::Basic(None) => basic_credentials(req).is_some_and(|b| b.ends_with(&format!(":{}", c.secret))),
            AuthShape::BasicPaired => {
                basic_credentials(req) == Some(format!("{}:{}", c.user.clone().unwrap_or_default(), c.secret))
            }
            AuthShape::Header(name) => header(req, name).as_deref() == Some(c.secret.as_str()),
            AuthShape::JsonBodyKey => {
                serde_json::from_slice::<Value>(&req.body).is_ok_and(|b| b["key"] == c.secret.as_str())
            }
            AuthShape::InPath => req.url.path().contains(&c.marker),
        }
    }
}

struct Case {
    endpoint: &'static str,
    /// Further endpoints of the same provider (other regions) that refuse every key.
    other_regions: &'static [&'static str],
    method: &'static str,
    path: &'static str,
    rule_id: &'static str,
    provider: &'static str,
    make: fn() -> Cred,
    auth: AuthShape,
    live: ResponseTemplate,
    /// A detail the live verdict must carry: key and a value it contains.
    live_detail: (&'static str, &'static str),
    invalid: ResponseTemplate,
    revoked: (ResponseTemplate, &'static str),
    error_body: (ResponseTemplate, &'static str),
    server_error: ResponseTemplate,
}

fn answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn base(endpoint: &'static str, method: &'static str, path: &'static str, rule_id: &'static str) -> Case {
    let provider = endpoint;
    Case {
        endpoint,
        other_regions: &[],
        method,
        path,
        rule_id,
        provider,
        make: || Cred::plain(String::new()),
        auth: AuthShape::Bearer,
        live: answer(200, json!({})),
        live_detail: ("", ""),
        invalid: answer(401, json!({})),
        revoked: (answer(401, json!({})), "invalid"),
        error_body: (answer(200, json!({"error": "something went wrong"})), "unknown"),
        server_error: answer(500, json!({"message": "internal error"})),
    }
}

const SCENARIOS: &[&str] =
    &["live", "invalid", "revoked", "rate_limited", "server_error", "slow", "redirect", "error_body"];

async fn exercise(case: Case) {
    let mut names = vec![case.endpoint];
    names.extend(case.other_regions.iter().copied());
    let fleet = Fleet::start(&names).await;
    for region in case.other_regions {
        Mock::given(any())
            .respond_with(answer(401, json!({"message": "Unauthorized"})))
            .mount(fleet.server(region))
            .await;
    }
    let server = fleet.server(case.endpoint);
    let mut creds = Vec::new();
    for scenario in SCENARIOS {
        let cred = (case.make)();
        let (c, auth) = (cred.clone(), case.auth);
        let matches = move |r: &Request| carries(r, &c.marker) && auth.holds(r, &c);
        let given = || Mock::given(method(case.method)).and(path_regex(case.path)).and(matches.clone());
        let respond = match *scenario {
            "live" => case.live.clone(),
            "invalid" => case.invalid.clone(),
            "revoked" => case.revoked.0.clone(),
            "rate_limited" => {
                given()
                    .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
                    .up_to_n_times(1)
                    .with_priority(1)
                    .mount(server)
                    .await;
                case.live.clone()
            }
            "server_error" => case.server_error.clone(),
            "slow" => case.live.clone().set_delay(Duration::from_secs(3)),
            "redirect" => ResponseTemplate::new(302).insert_header("Location", format!("{}/moved", fleet.decoy.uri())),
            _ => case.error_body.0.clone(),
        };
        given().respond_with(respond).mount(server).await;
        creds.push((*scenario, cred));
    }
    let ws = Workspace::new();
    let findings = creds
        .iter()
        .map(|(_, c)| {
            let groups: Vec<(&str, &str)> = c.groups.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            finding(case.rule_id, case.provider, &c.secret, &groups)
        })
        .collect();
    let report = ws.report(findings);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    assert_eq!(run.code, 1, "a live credential makes the run fail\nstderr: {}\nstdout: {}", run.stderr, run.stdout);

    let received = fleet.requests(case.endpoint).await;
    for (scenario, cred) in &creds {
        let status = run.status(&cred.secret);
        let reason = run.reason(&cred.secret);
        let expected = match *scenario {
            "live" | "rate_limited" => "live",
            "invalid" => "invalid",
            "revoked" => case.revoked.1,
            "error_body" => case.error_body.1,
            _ => "unknown",
        };
        assert_eq!(status, expected, "{}: scenario {scenario}: reason {reason:?}\n{}", case.endpoint, run.stderr);
        match *scenario {
            "slow" => assert!(reason.contains("timeout"), "{scenario}: {reason}"),
            "redirect" => assert!(reason.contains("redirect") && reason.contains("not followed"), "{reason}"),
            "server_error" => assert!(reason.contains("500"), "{scenario}: {reason}"),
            _ => {}
        }
        let count = received.iter().filter(|r| carries(r, &cred.marker)).count();
        let want = match *scenario {
            "rate_limited" | "server_error" => 2,
            _ => 1,
        };
        assert_eq!(count, want, "{}: scenario {scenario}: requests carrying the secret", case.endpoint);
    }
    let live = run.verification(&creds[0].1.secret);
    let (key, value) = case.live_detail;
    if !key.is_empty() {
        let shown = live["details"][key].to_string();
        assert!(shown.contains(value), "{}: detail {key} = {shown}, expected {value}", case.endpoint);
    }
    assert!(live["host"].as_str().is_some_and(|h| h.starts_with("127.0.0.1:")), "{live}");
    // The redirect's target never saw a request, nor did any other provider's endpoint.
    fleet.assert_decoy_untouched().await;
    let secrets: Vec<&str> = creds.iter().flat_map(|(_, c)| [c.secret.as_str(), c.marker.as_str()]).collect();
    assert_audit_sound(&run, &secrets);
    let retried = run.audit.iter().filter(|l| l["event"] == "request" && l["attempt"] == 2).count();
    assert!(retried >= 2, "429 and 500 were retried once each:\n{}", run.audit_text);
    assert!(run.audit.iter().any(|l| l["event"] == "result" && l["outcome"] == "live"));
}

#[tokio::test]
async fn sendgrid() {
    let mut c = base("sendgrid", "GET", "^/v3/scopes$", "sendgrid.api-key");
    c.make = || Cred::plain(common::sendgrid_key());
    c.live = answer(200, json!({"scopes": ["mail.send", "scopes.read"]}));
    c.live_detail = ("scopes", "mail.send");
    c.invalid = answer(401, json!({"errors": [{"field": null, "message": "authorization required"}]}));
    c.revoked = (
        answer(
            401,
            json!({"errors": [{"field": null, "message": "The provided authorization grant is invalid, expired, or revoked"}]}),
        ),
        "invalid",
    );
    c.error_body = (answer(200, json!({"errors": [{"field": null, "message": "access forbidden"}]})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn mailgun_us_then_eu() {
    let mut c = base("mailgun", "GET", "^/v3/domains$", "mailgun.private-api-key");
    c.other_regions = &["mailgun-eu"];
    c.make = || Cred::plain(common::mailgun_private_key());
    c.auth = AuthShape::Basic(Some("api"));
    c.live = answer(200, json!({"total_count": 1, "items": [{"name": "mg.example.org", "state": "active"}]}));
    c.live_detail = ("domains", "mg.example.org");
    c.invalid = ResponseTemplate::new(401).set_body_string("Forbidden");
    c.revoked = (ResponseTemplate::new(401).set_body_string("Forbidden"), "invalid");
    c.error_body = (answer(200, json!({"message": "Invalid private key"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn mailchimp() {
    let mut c = base("mailchimp", "GET", "^/3\\.0/$", "mailchimp.api-key");
    c.make = || Cred::plain(common::mailchimp_key("us21"));
    c.auth = AuthShape::Basic(None);
    c.live =
        answer(200, json!({"account_id": "8d3a3db4d97663a9074efcc16", "account_name": "Acme Mail", "login_id": "1"}));
    c.live_detail = ("account", "Acme Mail");
    c.invalid = answer(
        401,
        json!({"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "API Key Invalid", "status": 401, "detail": "Your API key may be invalid, or you've attempted to access the wrong datacenter."}),
    );
    c.revoked = (
        answer(401, json!({"title": "API Key Invalid", "status": 401, "detail": "This API key has been disabled."})),
        "revoked",
    );
    c.error_body = (answer(200, json!({"title": "Resource Not Found", "status": 404})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn mandrill_reports_bad_keys_as_500_which_is_not_retried() {
    let mut c = base("mandrill", "POST", "^/api/1\\.0/users/info$", "mailchimp.transactional-key");
    c.provider = "mandrill";
    c.make = || Cred::plain(common::mandrill_key());
    c.auth = AuthShape::JsonBodyKey;
    c.live = answer(
        200,
        json!({"username": "acme", "created_at": "2013-01-01 15:30:27", "reputation": 92, "hourly_quota": 1000}),
    );
    c.live_detail = ("username", "acme");
    c.invalid =
        answer(500, json!({"status": "error", "code": -1, "name": "Invalid_Key", "message": "Invalid API key"}));
    c.revoked = (
        answer(500, json!({"status": "error", "code": -1, "name": "Invalid_Key", "message": "Invalid API key"})),
        "invalid",
    );
    c.error_body =
        (answer(200, json!({"status": "error", "code": -2, "name": "ValidationError", "message": "bad"})), "unknown");
    c.server_error = answer(500, json!({"status": "error", "code": -99, "name": "GeneralError", "message": "oops"}));
    exercise(c).await;
}

#[tokio::test]
async fn postmark_server_token() {
    let mut c = base("postmark", "GET", "^/server$", "postmark.server-token");
    c.make = || Cred::plain(common::postmark_token());
    c.auth = AuthShape::Header("x-postmark-server-token");
    c.live = answer(200, json!({"ID": 1, "Name": "Production", "ApiTokens": []}));
    c.live_detail = ("server", "Production");
    c.invalid = answer(401, json!({"ErrorCode": 10, "Message": "Request does not contain a valid Server token."}));
    c.revoked = (answer(401, json!({"ErrorCode": 10, "Message": "Bad or missing API token"})), "invalid");
    // Postmark's error code 10 means a bad token even inside a 200.
    c.error_body = (answer(200, json!({"ErrorCode": 10, "Message": "Bad or missing API token"})), "invalid");
    exercise(c).await;
}

#[tokio::test]
async fn sparkpost_us_then_eu() {
    let mut c = base("sparkpost", "GET", "^/api/v1/account$", "sparkpost.api-key");
    c.other_regions = &["sparkpost-eu"];
    c.make = || Cred::plain(common::sparkpost_key());
    c.auth = AuthShape::Header("authorization");
    c.live = answer(200, json!({"results": {"customer_id": 123456, "company_name": "Acme"}}));
    c.live_detail = ("customer_id", "123456");
    c.invalid = answer(401, json!({"errors": [{"message": "Unauthorized."}]}));
    c.revoked = (answer(401, json!({"errors": [{"message": "Unauthorized."}]})), "invalid");
    c.error_body = (answer(200, json!({"errors": [{"message": "Unauthorized."}]})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn brevo() {
    let mut c = base("brevo", "GET", "^/v3/account$", "brevo.api-key");
    c.make = || Cred::plain(common::brevo_key());
    c.auth = AuthShape::Header("api-key");
    c.live = answer(200, json!({"email": "ops@example.org", "companyName": "Acme", "plan": [{"type": "free"}]}));
    c.live_detail = ("company", "Acme");
    c.invalid = answer(401, json!({"code": "unauthorized", "message": "Key not found"}));
    c.revoked = (answer(401, json!({"code": "unauthorized", "message": "API Key is not enabled"})), "invalid");
    c.error_body = (answer(200, json!({"code": "unauthorized", "message": "Key not found"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn mailjet_pairs_key_and_secret() {
    let mut c = base("mailjet", "GET", "^/v3/REST/user$", "mailjet.api-credentials");
    c.make = || {
        let (key, secret) = common::mailjet_pair();
        Cred { marker: secret.clone(), secret, groups: vec![("key_id".into(), key.clone())], user: Some(key) }
    };
    c.auth = AuthShape::BasicPaired;
    c.live = answer(200, json!({"Count": 1, "Data": [{"ID": 1, "Username": "acme"}], "Total": 1}));
    c.live_detail = ("username", "acme");
    c.invalid = ResponseTemplate::new(401);
    c.revoked = (ResponseTemplate::new(401), "invalid");
    c.error_body =
        (answer(200, json!({"ErrorInfo": "", "ErrorMessage": "Unauthorized", "StatusCode": 401})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn resend() {
    let mut c = base("resend", "GET", "^/domains$", "resend.api-key");
    c.make = || Cred::plain(common::resend_key());
    c.live = answer(200, json!({"data": [{"id": "d91cd9bd", "name": "example.org", "status": "verified"}]}));
    c.live_detail = ("domains", "example.org");
    c.invalid = answer(400, json!({"statusCode": 400, "message": "API key is invalid", "name": "validation_error"}));
    c.revoked = (
        answer(403, json!({"statusCode": 403, "message": "API key is invalid.", "name": "invalid_api_key"})),
        "invalid",
    );
    c.error_body =
        (answer(200, json!({"statusCode": 401, "message": "Missing API key", "name": "missing_api_key"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn twilio_api_key() {
    let mut c = base("twilio", "GET", "^/2010-04-01/Accounts\\.json$", "twilio.api-key");
    c.make = || {
        let (sid, secret) = common::twilio_api_key();
        Cred { marker: secret.clone(), secret, groups: vec![("key_sid".into(), sid.clone())], user: Some(sid) }
    };
    c.auth = AuthShape::BasicPaired;
    c.live = answer(
        200,
        json!({"accounts": [{"sid": "AC0123456789abcdef0123456789abcdef", "friendly_name": "Acme", "status": "active"}]}),
    );
    c.live_detail = ("account", "Acme");
    c.invalid = answer(401, json!({"code": 20003, "message": "Authenticate", "status": 401}));
    c.revoked = (answer(401, json!({"code": 20003, "message": "Authenticate", "status": 401})), "invalid");
    c.error_body = (answer(200, json!({"code": 20003, "message": "Authenticate"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn github() {
    let mut c = base("github", "GET", "^/user$", "github.pat");
    c.make = || Cred::plain(common::github_token());
    c.live = answer(200, json!({"login": "octocat", "id": 1})).insert_header("X-OAuth-Scopes", "repo, workflow");
    c.live_detail = ("scopes", "workflow");
    c.invalid = answer(401, json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}));
    c.revoked = (answer(401, json!({"message": "Bad credentials"})), "invalid");
    c.error_body = (answer(200, json!({"message": "Bad credentials"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn gitlab_tells_revoked_from_invalid() {
    let mut c = base("gitlab", "GET", "^/api/v4/personal_access_tokens/self$", "gitlab.pat");
    c.make = || Cred::plain(common::gitlab_token());
    c.auth = AuthShape::Header("private-token");
    c.live = answer(
        200,
        json!({"id": 42, "name": "ci", "revoked": false, "active": true, "scopes": ["api", "read_user"], "user_id": 7, "expires_at": null}),
    );
    c.live_detail = ("scopes", "read_user");
    c.invalid = answer(401, json!({"message": "401 Unauthorized"}));
    c.revoked = (
        answer(
            401,
            json!({"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."}),
        ),
        "revoked",
    );
    c.error_body = (answer(200, json!({"message": "401 Unauthorized"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn slack_reads_errors_from_the_body_of_a_200() {
    let mut c = base("slack", "POST", "^/api/auth\\.test$", "slack.bot-token");
    c.make = || Cred::plain(common::slack_token());
    c.live = answer(
        200,
        json!({"ok": true, "url": "https://acme.slack.com/", "team": "Acme", "user": "deploybot", "team_id": "T12345", "user_id": "U12345"}),
    );
    c.live_detail = ("team", "Acme");
    c.invalid = answer(200, json!({"ok": false, "error": "invalid_auth"}));
    c.revoked = (answer(200, json!({"ok": false, "error": "token_revoked"})), "revoked");
    c.error_body = (answer(200, json!({"ok": false, "error": "fatal_error"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn npm() {
    let mut c = base("npm", "GET", "^/-/whoami$", "npm.access-token");
    c.make = || Cred::plain(common::npm_token());
    c.live = answer(200, json!({"username": "acme-publisher"}));
    c.live_detail = ("user", "acme-publisher");
    c.invalid = answer(401, json!({"error": "Unauthorized"}));
    c.revoked = (answer(401, json!({"error": "Unauthorized"})), "invalid");
    c.error_body = (answer(200, json!({"error": "you must be logged in"})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn stripe() {
    let mut c = base("stripe", "GET", "^/v1/account$", "stripe.secret-key");
    c.make = || Cred::plain(common::stripe_key());
    c.live = answer(200, json!({"id": "acct_1Nv0FGQ9RKHgCVdK", "object": "account", "charges_enabled": true}));
    c.live_detail = ("account", "acct_1Nv0FGQ9RKHgCVdK");
    c.invalid = answer(
        401,
        json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_live_****1234"}}),
    );
    c.revoked = (
        answer(
            401,
            json!({"error": {"type": "invalid_request_error", "message": "Expired API Key provided: sk_live_****1234"}}),
        ),
        "revoked",
    );
    c.error_body = (answer(200, json!({"error": {"type": "api_error", "message": "oops"}})), "unknown");
    exercise(c).await;
}

#[tokio::test]
async fn openai() {
    let mut c = base("openai", "GET", "^/v1/models$", "openai.api-key");
    c.make = || Cred::plain(common::openai_key());
    c.live = answer(200, json!({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]}));
    c.live_detail = ("models", "1");
    c.invalid = answer(
        401,
        json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}),
    );
    c.revoked = (
        answer(401, json!({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})),
        "invalid",
    );
    c.error_body = (
        answer(200, json!({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}})),
        "unknown",
    );
    exercise(c).await;
}

#[tokio::test]
async fn discord_webhook() {
    let mut c = base("discord", "GET", "^/api/webhooks/[0-9]+/[A-Za-z0-9]+$", "discord.webhook-url");
    c.make = || {
        let (url, _, token) = common::discord_webhook();
        Cred { secret: url, groups: Vec::new(), marker: token, user: None }
    };
    c.auth = AuthShape::InPath;
    c.live = answer(
        200,
        json!({"id": "223704706495545344", "type": 1, "name": "alerts", "channel_id": "199737254929760256", "guild_id": "199737254929760256"}),
    );
    c.live_detail = ("name", "alerts");
    c.invalid = answer(401, json!({"message": "Invalid Webhook Token", "code": 50027}));
    c.revoked = (answer(404, json!({"message": "Unknown Webhook", "code": 10015})), "invalid");
    c.error_body = (answer(200, json!({"message": "401: Unauthorized", "code": 0})), "unknown");
    exercise(c).await;
}

/// A Resend key restricted to sending is refused on `/domains` with
/// `restricted_api_key`: that refusal proves it live.
#[tokio::test]
async fn resend_sending_only_key_is_live() {
    let fleet = Fleet::start(&["resend"]).await;
    let key = common::resend_key();
    Mock::given(method("GET"))
        .and(path_regex("^/domains$"))
        .respond_with(answer(401, json!({"statusCode": 401, "message": "This API key is restricted to only send emails", "name": "restricted_api_key"})))
        .mount(fleet.server("resend"))
        .await;
    let ws = Workspace::new();
    let report = ws.report(vec![finding("resend.api-key", "resend", &key, &[])]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    assert_eq!(run.status(&key), "live", "{}", run.stderr);
    assert_eq!(run.verification(&key)["details"]["access"], "sending only");
}

/// OpenAI answers 429 `insufficient_quota` for a valid key with no credit:
/// live, and not a rate limit worth retrying.
#[tokio::test]
async fn openai_out_of_quota_is_live_and_not_retried() {
    let fleet = Fleet::start(&["openai"]).await;
    let key = common::openai_key();
    Mock::given(method("GET"))
        .and(path_regex("^/v1/models$"))
        .respond_with(answer(429, json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}})))
        .mount(fleet.server("openai"))
        .await;
    let ws = Workspace::new();
    let report = ws.report(vec![finding("openai.api-key", "openai", &key, &[])]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    assert_eq!(run.status(&key), "live", "{}", run.stderr);
    assert_eq!(fleet.requests("openai").await.len(), 1);
}

/// Postmark account tokens go in their own header to `/servers`; a token
/// whose rule does not say which kind is tried as a server token, then as an
/// account token.
#[tokio::test]
async fn postmark_account_token_uses_its_own_header() {
    let fleet = Fleet::start(&["postmark"]).await;
    let server = fleet.server("postmark");
    let account = common::postmark_token();
    let either = common::postmark_token();
    for token in [&account, &either] {
        Mock::given(method("GET"))
            .and(path_regex("^/servers$"))
            .and(wiremock::matchers::header("X-Postmark-Account-Token", token.as_str()))
            .and(wiremock::matchers::query_param("count", "1"))
            .respond_with(answer(200, json!({"TotalCount": 3, "Servers": [{"ID": 1, "Name": "Production"}]})))
            .mount(server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path_regex("^/server$"))
        .respond_with(answer(
            401,
            json!({"ErrorCode": 10, "Message": "Request does not contain a valid Server token."}),
        ))
        .mount(server)
        .await;
    let ws = Workspace::new();
    let report = ws.report(vec![
        finding("postmark.account-token", "postmark", &account, &[]),
        finding("postmark.smtp-login", "postmark", &either, &[]),
    ]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    assert_eq!(run.status(&account), "live", "{}", run.stderr);
    assert_eq!(run.verification(&account)["details"]["token"], "account");
    assert_eq!(run.status(&either), "live");
    let got = fleet.requests("postmark").await;
    let server_tries: Vec<_> = got.iter().filter(|r| r.url.path() == "/server").collect();
    assert_eq!(server_tries.len(), 1, "only the token of unknown kind is tried as a server token");
    assert!(server_tries.iter().all(|r| header(r, "x-postmark-server-token").as_deref() == Some(either.as_str())));
    assert!(got.iter().all(|r| header(r, "x-postmark-account-token").is_none() || r.url.path() == "/servers"));
}

/// A Mailgun key refused by the US host but accepted by the EU host is live (EU).
#[tokio::test]
async fn mailgun_eu_key_is_found_on_the_eu_host() {
    let fleet = Fleet::start(&["mailgun", "mailgun-eu"]).await;
    let key = common::mailgun_key();
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_string("Forbidden"))
        .mount(fleet.server("mailgun"))
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/v3/domains$"))
        .respond_with(answer(200, json!({"total_count": 1, "items": [{"name": "mg.example.eu"}]})))
        .mount(fleet.server("mailgun-eu"))
        .await;
    let ws = Workspace::new();
    let report = ws.report(vec![finding("mailgun.api-key", "mailgun", &key, &[])]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    assert_eq!(run.status(&key), "live", "{}", run.stderr);
    assert_eq!(run.verification(&key)["details"]["region"], "eu");
    assert_eq!(fleet.requests("mailgun").await.len(), 1);
    assert_eq!(fleet.requests("mailgun-eu").await.len(), 1);
}

/// The datacenter comes from the key and must look like one (`us21`): a
/// key whose suffix could steer the request elsewhere is never sent.
#[tokio::test]
async fn mailchimp_key_with_a_malformed_datacenter_is_not_sent() {
    let fleet = Fleet::start(&[]).await;
    let ws = Workspace::new();
    let bad = format!("{}-us21.evil.example", common::random_from(b"0123456789abcdef", 32));
    let report = ws.report(vec![finding("mailchimp.api-key", "mailchimp", &bad, &[])]);
    let run = ws.run(&fleet, &["verify", report.to_str().unwrap()]);
    assert_eq!(run.status(&bad), "unknown");
    assert!(run.reason(&bad).contains("not a Mailchimp API key"), "{}", run.reason(&bad));
    fleet.assert_decoy_untouched().await;
}
