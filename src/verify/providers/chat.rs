//! Chat services: Slack tokens (checked with `auth.test`, revoked with
//! `auth.revoke`) and Discord webhooks and bot tokens. Slack reports errors
//! inside HTTP 200 bodies (`"ok": false`), so the body decides, not the status.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::Value;

use super::{Credential, Plan, Provider, Verdict, done, failed, failure_reason, prefix, text_at, unexpected};
use crate::verify::audit::Action;
use crate::verify::http::{Auth, Http, Request};
use crate::verify::record::{Revocation, RevokeOutcome, Status};

pub(super) fn parse(
    provider: Provider,
    rule_ids: &[String],
    secret: &str,
) -> Result<BTreeMap<&'static str, String>, String> {
    let mut params = BTreeMap::new();
    match provider {
        Provider::Slack => {
            if secret.contains("hooks.slack.com") {
                return Err(
                    "a Slack incoming webhook can only be checked by posting to it, which leakhound never does".into(),
                );
            }
            let ok = ["xoxb-", "xoxp-", "xoxa-", "xoxe-", "xoxs-", "xoxo-", "xoxe.xoxp-", "xoxe.xoxb-", "xapp-"]
                .iter()
                .any(|p| secret.strip_prefix(p).is_some_and(|t| t.len() >= 10));
            if !ok {
                return Err("not a Slack token".into());
            }
        }
        Provider::Discord => {
            if let Some((id, token)) = discord_webhook(secret) {
                params.insert("kind", "webhook".to_string());
                params.insert("webhook_id", id);
                params.insert("webhook_token", token);
            } else if rule_ids.iter().any(|r| r.contains("bot")) && is_bot_token(secret) {
                params.insert("kind", "bot".to_string());
            } else {
                return Err("not a Discord webhook URL or bot token".into());
            }
        }
        _ => return Err("not a chat provider".into()),
    }
    Ok(params)
}

/// `(id, token)` of a `https://discord.com/api/webhooks/{id}/{token}` URL.
fn discord_webhook(secret: &str) -> Option<(String, String)> {
    let url = reqwest::Url::parse(secret.trim()).ok()?;
    let host_ok = ["discord.com", "discordapp.com", "ptb.discord.com", "canary.discord.com"]
        .iter()
        .any(|h| url.host_str() == Some(h));
    if !host_ok || !url.path().starts_with("/api/") {
        return None;
    }
    let rest = url.path().split("/webhooks/").nth(1)?;
    let mut parts = rest.split('/');
    let id = parts.next()?;
    let token: String =
        parts.next()?.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let ok = !id.is_empty() && id.len() <= 24 && id.bytes().all(|b| b.is_ascii_digit()) && token.len() >= 20;
    ok.then(|| (id.to_string(), token))
}

fn is_bot_token(secret: &str) -> bool {
    let parts: Vec<&str> = secret.split('.').collect();
    parts.len() == 3
        && parts[0].len() >= 20
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// Slack: `POST /api/auth.test` names the team and user.
pub(super) async fn slack(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(Action::Verify, "slack", Method::POST, "/api/auth.test", Auth::Bearer(cred.secret.clone()));
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let Some(body) = reply.json().filter(|_| reply.status == 200) else {
        return unexpected(&reply);
    };
    match body.get("ok").and_then(Value::as_bool) {
        Some(true) => Verdict::new(Status::Live, &reply)
            .detail("team", body.get("team").cloned().unwrap_or(Value::Null))
            .detail("team_id", body.get("team_id").cloned().unwrap_or(Value::Null))
            .detail("user", body.get("user").cloned().unwrap_or(Value::Null))
            .detail("user_id", body.get("user_id").cloned().unwrap_or(Value::Null)),
        Some(false) => {
            let error = text_at(&body, "/error").unwrap_or("unknown_error").to_string();
            let status = match error.as_str() {
                "token_revoked" => Status::Revoked,
                "invalid_auth" | "not_authed" | "account_inactive" | "token_expired" => Status::Invalid,
                _ => Status::Unknown,
            };
            Verdict::new(status, &reply).because(format!("Slack says {error}"))
        }
        None => unexpected(&reply),
    }
}

fn slack_identity(cred: &Credential, details: &BTreeMap<String, Value>) -> String {
    let mut s = format!("Slack token {}", prefix(&cred.secret));
    if let Some(user) = details.get("user_id").and_then(Value::as_str) {
        s.push_str(&format!(" of user {user}"));
    }
    if let Some(team) = details.get("team_id").and_then(Value::as_str) {
        s.push_str(&format!(" in team {team}"));
    }
    s
}

pub(super) fn slack_plan(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Option<Plan> {
    Some(Plan::Direct {
        identity: slack_identity(cred, details),
        request: http.describe("slack", &Method::POST, "/api/auth.revoke", None),
    })
}

/// `POST /api/auth.revoke` with the token itself.
pub(super) async fn slack_revoke(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Revocation {
    let identity = slack_identity(cred, details);
    let request = http.describe("slack", &Method::POST, "/api/auth.revoke", None);
    let req =
        Request::new(Action::Revoke, "slack", Method::POST, "/api/auth.revoke", Auth::Bearer(cred.secret.clone()));
    let result = http.send(&[cred], req).await;
    let body = result.as_ref().ok().and_then(|r| r.json()).unwrap_or(Value::Null);
    match (&result, body.get("ok").and_then(Value::as_bool)) {
        (Ok(r), Some(true)) if r.status == 200 && body.get("revoked").and_then(Value::as_bool) == Some(true) => {
            done(RevokeOutcome::Revoked, identity, request, None)
        }
        (Ok(r), Some(false)) if r.status == 200 => {
            let error = text_at(&body, "/error").unwrap_or("unknown_error").to_string();
            if matches!(error.as_str(), "invalid_auth" | "token_revoked" | "account_inactive" | "token_expired") {
                done(RevokeOutcome::AlreadyRevoked, identity, request, Some(format!("Slack says {error}")))
            } else {
                failed(cred, identity, request, format!("Slack says {error}"))
            }
        }
        _ => failed(cred, identity, request, failure_reason(&result)),
    }
}

fn webhook_paths(cred: &Credential) -> Option<(String, String)> {
    let id = cred.param("webhook_id")?;
    let token = cred.param("webhook_token")?;
    Some((format!("/api/webhooks/{id}/{token}"), format!("/api/webhooks/{id}/[token]")))
}

/// Discord: `GET` on the webhook URL, or `GET /api/v10/users/@me` for a bot token.
pub(super) async fn discord(http: &Http, cred: &Credential) -> Verdict {
    let req = match (cred.param("kind"), webhook_paths(cred)) {
        (Some("webhook"), Some((path, audit))) => {
            Request::new(Action::Verify, "discord", Method::GET, path, Auth::None).audit_path(audit)
        }
        _ => Request::new(
            Action::Verify,
            "discord",
            Method::GET,
            "/api/v10/users/@me",
            Auth::Header("Authorization", format!("Bot {}", cred.secret)),
        ),
    };
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    let message = text_at(&body, "/message").unwrap_or_default().to_string();
    match reply.status {
        200 if body.get("id").is_some() => {
            let v = Verdict::new(Status::Live, &reply);
            if cred.param("kind") == Some("webhook") {
                v.detail("name", body.get("name").cloned().unwrap_or(Value::Null))
                    .detail("channel_id", body.get("channel_id").cloned().unwrap_or(Value::Null))
                    .detail("guild_id", body.get("guild_id").cloned().unwrap_or(Value::Null))
            } else {
                v.detail("bot", body.get("username").cloned().unwrap_or(Value::Null))
            }
        }
        401 | 404 => Verdict::new(Status::Invalid, &reply).because(if message.is_empty() {
            format!("HTTP {}", reply.status)
        } else {
            message
        }),
        _ => unexpected(&reply),
    }
}

pub(super) fn discord_plan(http: &Http, cred: &Credential) -> Option<Plan> {
    let (_, audit) = webhook_paths(cred)?;
    Some(Plan::Direct {
        identity: format!("Discord webhook id {}", cred.param("webhook_id")?),
        request: http.describe("discord", &Method::DELETE, &audit, None),
    })
}

/// `DELETE` on the webhook URL deletes exactly that webhook.
pub(super) async fn discord_revoke(http: &Http, cred: &Credential) -> Revocation {
    let Some((path, audit)) = webhook_paths(cred) else {
        return super::manual(cred, "a bot token cannot revoke itself");
    };
    let identity = format!("Discord webhook id {}", cred.param("webhook_id").unwrap_or_default());
    let request = http.describe("discord", &Method::DELETE, &audit, None);
    let req = Request::new(Action::Revoke, "discord", Method::DELETE, path, Auth::None).audit_path(audit);
    let result = http.send(&[cred], req).await;
    super::deletion(cred, identity, request, &result)
}
