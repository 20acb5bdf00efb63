//! SaaS APIs: Twilio (account SID or API key SID with its secret), Stripe
//! and OpenAI. Only a Twilio API key can be revoked through the API, and only
//! when the key itself is allowed to manage keys.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use super::{Credential, Plan, Provider, Verdict, done, failed, failure_reason, text_at, unexpected};
use crate::verify::audit::Action;
use crate::verify::http::{Auth, Http, Request};
use crate::verify::record::{Revocation, RevokeOutcome, Status};

fn is_sid(value: &str, kind: &str) -> bool {
    value.len() == 34 && value.starts_with(kind) && value[2..].bytes().all(|b| b.is_ascii_hexdigit())
}

pub(super) fn parse(
    provider: Provider,
    secret: &str,
    groups: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, String>, String> {
    let mut params = BTreeMap::new();
    match provider {
        Provider::Twilio => {
            if secret.len() != 32 || !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err("not a Twilio auth token or API key secret".into());
            }
            let key = groups.values().find(|v| is_sid(v, "SK"));
            let account = groups.values().find(|v| is_sid(v, "AC"));
            let user = key
                .or(account)
                .ok_or("Twilio checks need the account SID (AC…) or API key SID (SK…) found with this secret")?;
            params.insert("user", user.clone());
            if let Some(ac) = account {
                params.insert("account_sid", ac.clone());
            }
        }
        Provider::Stripe => {
            let ok = ["sk_live_", "sk_test_", "rk_live_", "rk_test_"].iter().any(|p| {
                secret.strip_prefix(p).is_some_and(|t| t.len() >= 10 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
            });
            if !ok {
                return Err("not a Stripe secret or restricted key".into());
            }
        }
        Provider::OpenAi => {
            let ok = secret.strip_prefix("sk-").is_some_and(|t| {
                t.len() >= 20 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
            if !ok {
                return Err("not an OpenAI API key".into());
            }
        }
        _ => return Err("not a SaaS provider".into()),
    }
    Ok(params)
}

/// Twilio: `GET /2010-04-01/Accounts.json` with the SID and secret (Basic auth).
pub(super) async fn twilio(http: &Http, cred: &Credential) -> Verdict {
    let user = cred.param("user").unwrap_or_default().to_string();
    let req = Request::new(
        Action::Verify,
        "twilio",
        Method::GET,
        "/2010-04-01/Accounts.json?PageSize=1",
        Auth::Basic(user, cred.secret.clone()),
    );
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    match reply.status {
        200 if body.get("accounts").and_then(Value::as_array).is_some() => Verdict::new(Status::Live, &reply)
            .detail("account_sid", body.pointer("/accounts/0/sid").cloned().unwrap_or(Value::Null))
            .detail("account", body.pointer("/accounts/0/friendly_name").cloned().unwrap_or(Value::Null))
            .detail("account_status", body.pointer("/accounts/0/status").cloned().unwrap_or(Value::Null)),
        401 => Verdict::new(Status::Invalid, &reply).because(text_at(&body, "/message").unwrap_or("HTTP 401")),
        _ => unexpected(&reply),
    }
}

fn twilio_key_path(cred: &Credential, details: &BTreeMap<String, Value>) -> Option<(String, String)> {
    let key = cred.param("user").filter(|u| is_sid(u, "SK"))?;
    let account =
        details.get("account_sid").and_then(Value::as_str).or(cred.param("account_sid")).filter(|a| is_sid(a, "AC"))?;
    Some((key.to_string(), format!("/2010-04-01/Accounts/{account}/Keys/{key}.json")))
}

pub(super) fn twilio_plan(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Option<Plan> {
    let (key, path) = twilio_key_path(cred, details)?;
    Some(Plan::Direct {
        identity: format!("Twilio API key {key}"),
        request: http.describe("twilio", &Method::DELETE, &path, None),
    })
}

/// `DELETE /2010-04-01/Accounts/{AC}/Keys/{SK}.json` with the key itself.
pub(super) async fn twilio_revoke(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Revocation {
    let Some((key, path)) = twilio_key_path(cred, details) else {
        return super::manual(cred, "an auth token cannot be revoked through the API");
    };
    let identity = format!("Twilio API key {key}");
    let request = http.describe("twilio", &Method::DELETE, &path, None);
    let req = Request::new(Action::Revoke, "twilio", Method::DELETE, path, Auth::Basic(key, cred.secret.clone()));
    let result = http.send(&[cred], req).await;
    match &result {
        Ok(r) if r.is_success() => done(RevokeOutcome::Revoked, identity, request, None),
        Ok(r) if r.status == 404 => done(RevokeOutcome::AlreadyRevoked, identity, request, Some("HTTP 404".into())),
        _ => failed(cred, identity, request, failure_reason(&result)),
    }
}

/// Stripe: `GET /v1/account` names the account; a restricted key without
/// that permission is refused with 403, which still proves it live.
pub(super) async fn stripe(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(Action::Verify, "stripe", Method::GET, "/v1/account", Auth::Bearer(cred.secret.clone()));
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    let message = text_at(&body, "/error/message").unwrap_or_default().to_string();
    let mode = if cred.secret.contains("_live_") { "live" } else { "test" };
    match reply.status {
        200 if body.get("id").is_some() && body.get("error").is_none() => Verdict::new(Status::Live, &reply)
            .detail("account", body.get("id").cloned().unwrap_or(Value::Null))
            .detail("mode", mode),
        401 if message.contains("Expired API Key") => Verdict::new(Status::Revoked, &reply).because(message),
        401 => {
            Verdict::new(Status::Invalid, &reply).because(if message.is_empty() { "HTTP 401".into() } else { message })
        }
        403 => Verdict::new(Status::Live, &reply)
            .detail("mode", mode)
            .because("restricted key without permission to read the account"),
        _ => unexpected(&reply),
    }
}

/// OpenAI: `GET /v1/models`. A key out of quota answers 429
/// `insufficient_quota`: live, and not worth retrying.
pub(super) async fn openai(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(Action::Verify, "openai", Method::GET, "/v1/models", Auth::Bearer(cred.secret.clone()))
        .final_if_body_contains("insufficient_quota");
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    let code = text_at(&body, "/error/code").unwrap_or_default().to_string();
    match reply.status {
        200 if body.get("data").and_then(Value::as_array).is_some() => {
            let n = body.get("data").and_then(Value::as_array).map_or(0, Vec::len);
            Verdict::new(Status::Live, &reply).detail("models", n)
        }
        401 => Verdict::new(Status::Invalid, &reply).because(if code.is_empty() { "HTTP 401".into() } else { code }),
        429 if code == "insufficient_quota" => Verdict::new(Status::Live, &reply).because("no quota left"),
        _ => unexpected(&reply),
    }
}
