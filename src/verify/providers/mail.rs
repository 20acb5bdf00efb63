//! Mail-sending services: SendGrid, Mailgun, Mailchimp, Mandrill, Postmark,
//! SparkPost, Brevo, Mailjet and Resend. Each check is a documented read-only
//! request; nothing here sends mail. Only SendGrid lets a key delete itself.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use super::{Credential, Plan, Provider, Verdict, done, failed, failure_reason, text_at, unexpected};
use crate::verify::audit::Action;
use crate::verify::http::{Auth, Http, Reply, Request};
use crate::verify::record::{Revocation, RevokeOutcome, Status};

fn is_charset(s: &str, len: usize, ok: impl Fn(u8) -> bool) -> bool {
    s.len() == len && s.bytes().all(ok)
}

fn is_hex(s: &str, len: usize) -> bool {
    is_charset(s, len, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12].iter().zip(&parts).all(|(n, p)| p.len() == *n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(super) fn parse(
    provider: Provider,
    rule_ids: &[String],
    secret: &str,
    groups: &BTreeMap<String, String>,
) -> Result<BTreeMap<&'static str, String>, String> {
    let mut params = BTreeMap::new();
    let only = |needle: &str| !rule_ids.is_empty() && rule_ids.iter().all(|r| r.contains(needle));
    match provider {
        Provider::SendGrid => {
            let parts: Vec<&str> = secret.split('.').collect();
            let ok = parts.len() == 3
                && parts[0] == "SG"
                && is_charset(parts[1], 22, is_token_char)
                && is_charset(parts[2], 43, is_token_char);
            if !ok {
                return Err("not a SendGrid API key (an SMTP password can only be checked by logging in)".into());
            }
            params.insert("key_id", parts[1].to_string());
        }
        Provider::Mailgun => {
            if only("webhook") {
                return Err("a Mailgun webhook signing key signs webhooks; no API accepts it".into());
            }
            let hexes: Vec<&str> = secret.split('-').collect();
            let ok = secret.strip_prefix("key-").is_some_and(|h| is_hex(h, 32))
                || (hexes.len() == 3 && is_hex(hexes[0], 32) && is_hex(hexes[1], 8) && is_hex(hexes[2], 8));
            if !ok {
                return Err("not a Mailgun API key (an SMTP password can only be checked by logging in)".into());
            }
        }
        Provider::Mailchimp => {
            let Some((key, dc)) = secret.split_once('-') else {
                return Err("not a Mailchimp API key".into());
            };
            if !is_hex(key, 32) || !crate::verify::endpoints::is_datacenter(dc) {
                return Err("not a Mailchimp API key".into());
            }
            params.insert("dc", dc.to_string());
        }
        Provider::Mandrill => {
            let body = secret.strip_prefix("md-").unwrap_or(secret);
            if !is_charset(body, 22, is_token_char) {
                return Err("not a Mandrill API key".into());
            }
        }
        Provider::Postmark => {
            if !is_uuid(secret) {
                return Err("not a Postmark token".into());
            }
            let server = rule_ids.iter().any(|r| r.contains("server"));
            let account = rule_ids.iter().any(|r| r.contains("account"));
            let kind = match (server, account) {
                (true, false) => "server",
                (false, true) => "account",
                _ => "either",
            };
            params.insert("kind", kind.to_string());
        }
        Provider::SparkPost => {
            if !is_hex(secret, 40) {
                return Err("not a SparkPost API key".into());
            }
        }
        Provider::Brevo => {
            if secret.starts_with("xsmtpsib-") {
                return Err("a Brevo SMTP key only logs in to SMTP; no API accepts it".into());
            }
            if !secret.starts_with("xkeysib-") {
                return Err("not a Brevo API key".into());
            }
        }
        Provider::Mailjet => {
            if !is_hex(secret, 32) {
                return Err("not a Mailjet secret key".into());
            }
            let partner = ["api_key", "key_id", "public_key", "user", "username", "key"]
                .iter()
                .filter_map(|g| groups.get(*g))
                .find(|v| is_hex(v, 32) && v.as_str() != secret)
                .ok_or(
                    "Mailjet checks need the API key together with its secret key; no API key was found next to it",
                )?;
            params.insert("user", partner.clone());
        }
        Provider::Resend => {
            let ok = secret.strip_prefix("re_").is_some_and(|b| b.len() >= 8 && b.bytes().all(is_token_char));
            if !ok {
                return Err("not a Resend API key".into());
            }
        }
        _ => return Err("not a mail provider".into()),
    }
    Ok(params)
}

/// SendGrid: `GET /v3/scopes` lists what the key may do.
pub(super) async fn sendgrid(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(Action::Verify, "sendgrid", Method::GET, "/v3/scopes", Auth::Bearer(cred.secret.clone()));
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json();
    let scopes = body.as_ref().and_then(|b| b.get("scopes")).and_then(Value::as_array).cloned();
    let error = body.as_ref().and_then(|b| text_at(b, "/errors/0/message")).map(str::to_string);
    match (reply.status, scopes) {
        (200, Some(scopes)) => Verdict::new(Status::Live, &reply).detail("scopes", scopes),
        (401, _) => Verdict::new(Status::Invalid, &reply).because(error.unwrap_or_else(|| "HTTP 401".into())),
        (403, _) => Verdict::new(Status::Live, &reply)
            .because(format!("authenticated but refused: {}", error.unwrap_or_else(|| "HTTP 403".into()))),
        (200, None) => match error {
            Some(e) => Verdict::new(Status::Unknown, &reply).because(format!("error in a 200 answer: {e}")),
            None => unexpected(&reply),
        },
        _ => unexpected(&reply),
    }
}

pub(super) fn sendgrid_plan(http: &Http, cred: &Credential) -> Option<Plan> {
    let id = cred.param("key_id")?;
    let path = format!("/v3/api_keys/{id}");
    let request = format!("GET then {}", http.describe("sendgrid", &Method::DELETE, &path, None));
    Some(Plan::Direct { identity: format!("SendGrid API key id {id}"), request })
}

/// Confirms with `GET /v3/api_keys/{id}` (using the key itself) that the id
/// is this key's own, then `DELETE /v3/api_keys/{id}`.
pub(super) async fn sendgrid_revoke(http: &Http, cred: &Credential) -> Revocation {
    let Some(id) = cred.param("key_id") else {
        return super::manual(cred, "no key id in the secret");
    };
    let path = format!("/v3/api_keys/{id}");
    let identity = format!("SendGrid API key id {id}");
    let request = http.describe("sendgrid", &Method::DELETE, &path, None);
    let auth = || Auth::Bearer(cred.secret.clone());
    let get = http.send(&[cred], Request::new(Action::Revoke, "sendgrid", Method::GET, path.clone(), auth())).await;
    match &get {
        Ok(r) if r.status == 200 => {
            let own = r.json().and_then(|b| b.get("api_key_id").and_then(Value::as_str).map(str::to_string));
            if own.as_deref() != Some(id) {
                let reason =
                    "SendGrid did not confirm that this id is the leaked key's own; nothing deleted".to_string();
                return failed(cred, identity, request, reason);
            }
        }
        Ok(r) if r.status == 401 => {
            return done(
                RevokeOutcome::AlreadyRevoked,
                identity,
                request,
                Some("the key no longer authenticates".into()),
            );
        }
        Ok(r) if r.status == 403 || r.status == 404 => {
            let reason =
                "the key may not read its own record (it lacks the api_keys scope); delete it in the console".into();
            return failed(cred, identity, request, reason);
        }
        _ => return failed(cred, identity, request, failure_reason(&get)),
    }
    let del = http.send(&[cred], Request::new(Action::Revoke, "sendgrid", Method::DELETE, path.clone(), auth())).await;
    super::deletion(cred, identity, request, &del)
}

/// Mailgun: `GET /v3/domains` on the US host, then the EU host; a key is
/// invalid only when both refuse it.
pub(super) async fn mailgun(http: &Http, cred: &Credential) -> Verdict {
    let request = |endpoint| {
        let auth = Auth::Basic("api".into(), cred.secret.clone());
        Request::new(Action::Verify, endpoint, Method::GET, "/v3/domains?limit=10", auth)
    };
    let regions = [(request("mailgun"), "us"), (request("mailgun-eu"), "eu")];
    by_region(http, cred, regions, |reply, region| {
        let items = reply.json().and_then(|b| b.get("items").and_then(Value::as_array).cloned());
        match (reply.status, items) {
            (200, Some(items)) => {
                let names: Vec<Value> = items.iter().filter_map(|d| d.get("name").cloned()).collect();
                Regional::Settled(Verdict::new(Status::Live, reply).detail("region", region).detail("domains", names))
            }
            (401 | 403, _) => Regional::Refused,
            _ => Regional::Unknown(unexpected(reply)),
        }
    })
    .await
}

/// What one region's answer says of a key that lives in one region only.
enum Regional {
    /// This region knows the key: the verdict.
    Settled(Verdict),
    /// This region does not know it.
    Refused,
    /// This region's answer says neither.
    Unknown(Verdict),
}

/// Asks each region in turn until one knows the key (`judge` reads each
/// reply). The key is invalid only when every region refuses it; otherwise
/// the first region's unclear answer (or failure) is the verdict.
async fn by_region<const N: usize>(
    http: &Http,
    cred: &Credential,
    regions: [(Request, &'static str); N],
    judge: impl Fn(&Reply, &'static str) -> Regional,
) -> Verdict {
    let mut first_unknown: Option<Verdict> = None;
    let mut refused_by = Vec::new();
    for (request, region) in regions {
        match http.send(&[cred], request).await {
            Err(e) => {
                first_unknown.get_or_insert(Verdict::from(e));
            }
            Ok(reply) => match judge(&reply, region) {
                Regional::Settled(verdict) => return verdict,
                Regional::Refused => refused_by.push(reply.host.clone()),
                Regional::Unknown(verdict) => {
                    first_unknown.get_or_insert(verdict);
                }
            },
        }
    }
    first_unknown.unwrap_or_else(|| Verdict {
        status: Status::Invalid,
        reason: Some(format!("refused by {}", refused_by.join(" and "))),
        host: refused_by.last().cloned(),
        details: BTreeMap::new(),
    })
}

/// Mailchimp: `GET /3.0/` on the key's datacenter names the account.
pub(super) async fn mailchimp(http: &Http, cred: &Credential) -> Verdict {
    let auth = Auth::Basic("leakhound".into(), cred.secret.clone());
    let reply = match http.send(&[cred], Request::new(Action::Verify, "mailchimp", Method::GET, "/3.0/", auth)).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    let detail =
        [text_at(&body, "/title"), text_at(&body, "/detail")].into_iter().flatten().collect::<Vec<_>>().join(": ");
    match reply.status {
        200 if body.get("account_id").is_some() => Verdict::new(Status::Live, &reply)
            .detail("account", body.get("account_name").cloned().unwrap_or(Value::Null))
            .detail("datacenter", cred.param("dc").unwrap_or_default()),
        401 | 403 if detail.to_ascii_lowercase().contains("disabled") => {
            Verdict::new(Status::Revoked, &reply).because(detail)
        }
        401 => {
            Verdict::new(Status::Invalid, &reply).because(if detail.is_empty() { "HTTP 401".into() } else { detail })
        }
        _ => unexpected(&reply),
    }
}

/// Mandrill: `POST /api/1.0/users/info` (read-only; the key goes in the body).
/// Mandrill reports a bad key as HTTP 500 with `Invalid_Key`.
pub(super) async fn mandrill(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(Action::Verify, "mandrill", Method::POST, "/api/1.0/users/info", Auth::None)
        .json(json!({ "key": cred.secret }))
        .final_if_body_contains("Invalid_Key");
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    let error_name = text_at(&body, "/name").unwrap_or_default();
    if body.get("status").and_then(Value::as_str) == Some("error") || error_name == "Invalid_Key" {
        if error_name == "Invalid_Key" {
            return Verdict::new(Status::Invalid, &reply).because(text_at(&body, "/message").unwrap_or("Invalid_Key"));
        }
        return unexpected(&reply);
    }
    match reply.status {
        200 if body.get("username").is_some() => Verdict::new(Status::Live, &reply)
            .detail("username", body.get("username").cloned().unwrap_or(Value::Null))
            .detail("reputation", body.get("reputation").cloned().unwrap_or(Value::Null)),
        _ => unexpected(&reply),
    }
}

/// Postmark: a server token reads `GET /server` with `X-Postmark-Server-Token`;
/// an account token reads `GET /servers` with `X-Postmark-Account-Token`.
pub(super) async fn postmark(http: &Http, cred: &Credential) -> Verdict {
    let kinds: &[&str] = match cred.param("kind") {
        Some("server") => &["server"],
        Some("account") => &["account"],
        _ => &["server", "account"],
    };
    let mut last = Verdict::unknown("no request made");
    for kind in kinds {
        let (path, header) = match *kind {
            "server" => ("/server", "X-Postmark-Server-Token"),
            _ => ("/servers?count=1&offset=0", "X-Postmark-Account-Token"),
        };
        let req =
            Request::new(Action::Verify, "postmark", Method::GET, path, Auth::Header(header, cred.secret.clone()))
                .header("Accept", "application/json");
        let reply = match http.send(&[cred], req).await {
            Ok(r) => r,
            Err(e) => return e.into(),
        };
        let body = reply.json().unwrap_or(Value::Null);
        let error_code = body.get("ErrorCode").and_then(Value::as_i64);
        match (reply.status, error_code) {
            (200, None | Some(0)) if *kind == "server" && body.get("Name").is_some() => {
                return Verdict::new(Status::Live, &reply)
                    .detail("token", "server")
                    .detail("server", body.get("Name").cloned().unwrap_or(Value::Null));
            }
            (200, None | Some(0)) if *kind == "account" && body.get("TotalCount").is_some() => {
                return Verdict::new(Status::Live, &reply)
                    .detail("token", "account")
                    .detail("servers", body.get("TotalCount").cloned().unwrap_or(Value::Null));
            }
            (401, _) | (_, Some(10)) => {
                let msg = text_at(&body, "/Message").unwrap_or("HTTP 401").to_string();
                last = Verdict::new(Status::Invalid, &reply).because(format!("{kind} token: {msg}"));
            }
            _ => return unexpected(&reply),
        }
    }
    last
}

/// SparkPost: `GET /api/v1/account` on the US host, then the EU host.
pub(super) async fn sparkpost(http: &Http, cred: &Credential) -> Verdict {
    let request = |endpoint| {
        let auth = Auth::Header("Authorization", cred.secret.clone());
        Request::new(Action::Verify, endpoint, Method::GET, "/api/v1/account", auth)
            .header("Accept", "application/json")
    };
    let regions = [(request("sparkpost"), "us"), (request("sparkpost-eu"), "eu")];
    by_region(http, cred, regions, |reply, region| {
        let body = reply.json().unwrap_or(Value::Null);
        match reply.status {
            200 if body.get("results").is_some() => Regional::Settled(
                Verdict::new(Status::Live, reply)
                    .detail("region", region)
                    .detail("customer_id", body.pointer("/results/customer_id").cloned().unwrap_or(Value::Null)),
            ),
            // SparkPost answers 403 to a valid key without the account-read permission.
            403 => Regional::Settled(
                Verdict::new(Status::Live, reply)
                    .detail("region", region)
                    .because("valid key without permission to read the account"),
            ),
            401 => Regional::Refused,
            _ => Regional::Unknown(unexpected(reply)),
        }
    })
    .await
}

/// Brevo: `GET /v3/account` with the `api-key` header.
pub(super) async fn brevo(http: &Http, cred: &Credential) -> Verdict {
    let req =
        Request::new(Action::Verify, "brevo", Method::GET, "/v3/account", Auth::Header("api-key", cred.secret.clone()))
            .header("Accept", "application/json");
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    match reply.status {
        200 if body.get("email").is_some() => Verdict::new(Status::Live, &reply)
            .detail("company", body.get("companyName").cloned().unwrap_or(Value::Null)),
        401 => Verdict::new(Status::Invalid, &reply).because(text_at(&body, "/message").unwrap_or("HTTP 401")),
        _ => unexpected(&reply),
    }
}

/// Mailjet: `GET /v3/REST/user` with the API key and secret key (Basic auth).
pub(super) async fn mailjet(http: &Http, cred: &Credential) -> Verdict {
    let user = cred.param("user").unwrap_or_default().to_string();
    let req =
        Request::new(Action::Verify, "mailjet", Method::GET, "/v3/REST/user", Auth::Basic(user, cred.secret.clone()));
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    match reply.status {
        200 if body.get("Data").is_some() => Verdict::new(Status::Live, &reply)
            .detail("username", body.pointer("/Data/0/Username").cloned().unwrap_or(Value::Null)),
        401 => Verdict::new(Status::Invalid, &reply).because("HTTP 401"),
        _ => unexpected(&reply),
    }
}

/// Resend: `GET /domains`. A sending-only key is refused with
/// `restricted_api_key`, which still proves it live.
pub(super) async fn resend(http: &Http, cred: &Credential) -> Verdict {
    let req = Request::new(Action::Verify, "resend", Method::GET, "/domains", Auth::Bearer(cred.secret.clone()));
    let reply = match http.send(&[cred], req).await {
        Ok(r) => r,
        Err(e) => return e.into(),
    };
    let body = reply.json().unwrap_or(Value::Null);
    let name = text_at(&body, "/name").unwrap_or_default();
    let message = text_at(&body, "/message").unwrap_or_default().to_string();
    match reply.status {
        200 if body.get("data").is_some() => {
            let domains: Vec<Value> = body
                .get("data")
                .and_then(Value::as_array)
                .map(|d| d.iter().filter_map(|x| x.get("name").cloned()).collect())
                .unwrap_or_default();
            Verdict::new(Status::Live, &reply).detail("access", "full").detail("domains", domains)
        }
        401 if name == "restricted_api_key" => {
            Verdict::new(Status::Live, &reply).detail("access", "sending only").because(message)
        }
        400 | 401 | 403 if name == "invalid_api_key" || message.to_ascii_lowercase().contains("api key is invalid") => {
            Verdict::new(Status::Invalid, &reply).because(message)
        }
        _ => unexpected(&reply),
    }
}
