//! Code hosting and package registries: GitHub, GitLab and npm. All three
//! let a leaked token be revoked: GitHub through its public credential
//! revocation API (batched), GitLab and npm with the token itself.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Credential, Plan, Provider, Verdict, done, failed, failure_reason, prefix, text_at, unexpected};
use crate::verify::audit::Action;
use crate::verify::http::{Auth, Http, Request};
use crate::verify::record::{Revocation, RevokeOutcome, Status};

const GITHUB_API_VERSION: &str = "2022-11-28";
/// GitHub's credential revocation API takes at most this many per request.
const GITHUB_BATCH: usize = 1000;

pub(super) fn parse(provider: Provider, secret: &str) -> Result<BTreeMap<&'static str, String>, String> {
    let mut params = BTreeMap::new();
    let tail_ok = |t: &str| t.len() >= 20 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    match provider {
        Provider::GitHub => {
            let kind = [
                ("github_pat_", "fine-grained personal access token"),
                ("ghp_", "personal access token"),
                ("gho_", "OAuth access token"),
                ("ghu_", "GitHub App user token"),
                ("ghs_", "GitHub App installation token"),
            ]
            .iter()
            .find(|(p, _)| secret.strip_prefix(p).is_some_and(tail_ok))
            .map(|(_, k)| *k);
            match kind {
                Some(k) => {
                    params.insert("type", k.to_string());
                }
                None if secret.starts_with("ghr_") => {
                    return Err("a GitHub App refresh token only works with the app's client secret".into());
                }
                None => return Err("not a GitHub token".into()),
            }
        }
        Provider::GitLab => {
            let ok = secret
                .strip_prefix("glpat-")
                .is_some_and(|t| t.len() >= 20 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)));
            if !ok {
                return Err("not a GitLab personal access token".into());
            }
        }
        Provider::Npm => {
            let ok = secret
                .strip_prefix("npm_")
                .is_some_and(|t| t.len() == 36 && t.bytes().all(|b| b.is_ascii_alphanumeric()));
            if !ok {
                return Err("not an npm access token".into());
            }
        }
        _ => return Err("not a code-hosting provider".into()),
    }
    Ok(params)
}

fn github_request(action: Action, method: Method, path: &str, auth: Auth) -> Request {
    Request::new(action, "github", method, path, auth)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", GITHUB_API_VERSION)
}

/// GitHub: `GET /user` names the user; `X-OAuth-Scopes` lists a classic token's scopes.
pub(super) async fn github(http: &Http, cred: &Credential) -> Verdict {
    let req = github_request(Action::Verify, Method::GET, "/user", Auth::Bearer(cred.secret.clone()));
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    let message = text_at(&body, "/message").unwrap_or_default().to_string();
    let kind = cred.param("type").unwrap_or_default().to_string();
    match reply.status {
        200 if body.get("login").is_some() => {
            let mut v = Verdict::new(Status::Live, &reply)
                .detail("user", body.get("login").cloned().unwrap_or(Value::Null))
                .detail("token_type", kind);
            if let Some(scopes) = reply.header("x-oauth-scopes") {
                let list: Vec<Value> =
                    scopes.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| json!(s)).collect();
                v = v.detail("scopes", list);
            }
            v
        }
        401 => {
            Verdict::new(Status::Invalid, &reply).because(if message.is_empty() { "HTTP 401".into() } else { message })
        }
        403 if message.contains("Resource not accessible by integration") => Verdict::new(Status::Live, &reply)
            .detail("token_type", kind)
            .because("installation token: authenticated, not a user"),
        403 if reply.header("x-ratelimit-remaining") == Some("0") => {
            Verdict::new(Status::Unknown, &reply).because("GitHub rate limit exhausted")
        }
        _ => unexpected(&reply),
    }
}

pub(super) fn github_plan(http: &Http, cred: &Credential) -> Option<Plan> {
    let kind = cred.param("type")?;
    if kind.contains("installation") {
        return None;
    }
    let request = format!("{} (batched)", http.describe("github", &Method::POST, "/credentials/revoke", None));
    Some(Plan::Batch { identity: format!("GitHub {kind} {}", prefix(&cred.secret)), request })
}

/// `POST /credentials/revoke` with up to 1000 tokens per request,
/// unauthenticated as GitHub requires. GitHub revokes asynchronously.
pub(super) async fn github_revoke_batch(http: &Http, creds: &[&Credential]) -> Vec<Revocation> {
    let request = http.describe("github", &Method::POST, "/credentials/revoke", None);
    let mut out = Vec::with_capacity(creds.len());
    for chunk in creds.chunks(GITHUB_BATCH) {
        let tokens: Vec<&str> = chunk.iter().map(|c| c.secret.as_str()).collect();
        let req = github_request(Action::Revoke, Method::POST, "/credentials/revoke", Auth::None)
            .json(json!({ "credentials": tokens }));
        let result = http.send(chunk, req).await;
        for cred in chunk {
            let identity = format!("GitHub {} {}", cred.param("type").unwrap_or("token"), prefix(&cred.secret));
            out.push(match &result {
                Ok(r) if r.is_success() => done(
                    RevokeOutcome::Submitted,
                    identity,
                    request.clone(),
                    Some(format!("HTTP {}: GitHub revokes asynchronously", r.status)),
                ),
                _ => failed(cred, identity, request.clone(), failure_reason(&result)),
            });
        }
    }
    out
}

/// GitLab: `GET /api/v4/personal_access_tokens/self` describes the token.
pub(super) async fn gitlab(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(
        Action::Verify,
        "gitlab",
        Method::GET,
        "/api/v4/personal_access_tokens/self",
        Auth::Header("PRIVATE-TOKEN", cred.secret.clone()),
    );
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    match reply.status {
        200 if body.get("id").is_some() => {
            if body.get("revoked").and_then(Value::as_bool) == Some(true) {
                return Verdict::new(Status::Revoked, &reply).because("GitLab reports the token revoked");
            }
            if body.get("active").and_then(Value::as_bool) == Some(false) {
                return Verdict::new(Status::Invalid, &reply).because("GitLab reports the token inactive (expired)");
            }
            Verdict::new(Status::Live, &reply)
                .detail("token_id", body.get("id").cloned().unwrap_or(Value::Null))
                .detail("name", body.get("name").cloned().unwrap_or(Value::Null))
                .detail("scopes", body.get("scopes").cloned().unwrap_or(Value::Null))
                .detail("user_id", body.get("user_id").cloned().unwrap_or(Value::Null))
                .detail("expires_at", body.get("expires_at").cloned().unwrap_or(Value::Null))
        }
        401 => {
            let why =
                text_at(&body, "/error_description").or(text_at(&body, "/message")).unwrap_or("HTTP 401").to_string();
            let lower = why.to_ascii_lowercase();
            let status = if lower.contains("revoked") { Status::Revoked } else { Status::Invalid };
            Verdict::new(status, &reply).because(why)
        }
        _ => unexpected(&reply),
    }
}

pub(super) fn gitlab_plan(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Option<Plan> {
    Some(Plan::Direct { identity: gitlab_identity(cred, details), request: gitlab_request(http) })
}

fn gitlab_identity(cred: &Credential, details: &BTreeMap<String, Value>) -> String {
    match details.get("token_id") {
        Some(id) => format!("GitLab personal access token id {id}"),
        None => format!("GitLab personal access token {}", prefix(&cred.secret)),
    }
}

fn gitlab_request(http: &Http) -> String {
    http.describe("gitlab", &Method::DELETE, "/api/v4/personal_access_tokens/self", None)
}

/// `DELETE /api/v4/personal_access_tokens/self`: the token revokes itself.
pub(super) async fn gitlab_revoke(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Revocation {
    let identity = gitlab_identity(cred, details);
    let request = gitlab_request(http);
    let req = Request::new(
        Action::Revoke,
        "gitlab",
        Method::DELETE,
        "/api/v4/personal_access_tokens/self",
        Auth::Header("PRIVATE-TOKEN", cred.secret.clone()),
    );
    let result = http.send(&[cred], req).await;
    match &result {
        Ok(r) if r.is_success() => done(RevokeOutcome::Revoked, identity, request, None),
        Ok(r) if r.status == 401 => done(RevokeOutcome::AlreadyRevoked, identity, request, Some("HTTP 401".into())),
        _ => failed(cred, identity, request, failure_reason(&result)),
    }
}

/// npm: `GET /-/whoami` names the user.
pub(super) async fn npm(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(Action::Verify, "npm", Method::GET, "/-/whoami", Auth::Bearer(cred.secret.clone()));
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    match reply.status {
        200 if body.get("username").is_some() => {
            Verdict::new(Status::Live, &reply).detail("user", body.get("username").cloned().unwrap_or(Value::Null))
        }
        401 | 403 => Verdict::new(Status::Invalid, &reply)
            .because(text_at(&body, "/error").unwrap_or(&format!("HTTP {}", reply.status)).to_string()),
        _ => unexpected(&reply),
    }
}

const NPM_REVOKE_AUDIT_PATH: &str = "/-/npm/v1/tokens/token/[token]";

fn npm_identity(cred: &Credential) -> String {
    format!("npm access token {}", prefix(&cred.secret))
}

pub(super) fn npm_plan(http: &Http, cred: &Credential) -> Option<Plan> {
    Some(Plan::Direct {
        identity: npm_identity(cred),
        request: http.describe("npm", &Method::DELETE, NPM_REVOKE_AUDIT_PATH, None),
    })
}

/// `DELETE /-/npm/v1/tokens/token/{token}` with the token itself, as
/// `npm token revoke <token>` does.
pub(super) async fn npm_revoke(http: &Http, cred: &Credential) -> Revocation {
    let identity = npm_identity(cred);
    let request = http.describe("npm", &Method::DELETE, NPM_REVOKE_AUDIT_PATH, None);
    let req = Request::new(
        Action::Revoke,
        "npm",
        Method::DELETE,
        format!("/-/npm/v1/tokens/token/{}", cred.secret),
        Auth::Bearer(cred.secret.clone()),
    )
    .audit_path(NPM_REVOKE_AUDIT_PATH);
    let result = http.send(&[cred], req).await;
    super::deletion(cred, identity, request, &result)
}
