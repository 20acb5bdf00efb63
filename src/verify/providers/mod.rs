//! One verifier per service. Each knows which secrets it can check (by rule
//! and by the secret's shape), the provider's documented read-only request
//! and how to read its answers, including errors reported inside a 200, and,
//! where the service lets a credential revoke itself, the exact request that
//! revokes that credential and no other. Dispatch is a plain `match`.

mod chat;
mod code;
mod mail;
mod saas;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;

use super::http::{CallError, Http, Reply};
use super::record::{Revocation, RevokeOutcome, Status};

/// A service leakhound can verify against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    SendGrid,
    Mailgun,
    Mailchimp,
    Mandrill,
    Postmark,
    SparkPost,
    Brevo,
    Mailjet,
    Resend,
    Twilio,
    GitHub,
    GitLab,
    Slack,
    Npm,
    Stripe,
    OpenAi,
    Discord,
}

impl Provider {
    pub const ALL: &'static [Provider] = &[
        Provider::SendGrid,
        Provider::Mailgun,
        Provider::Mailchimp,
        Provider::Mandrill,
        Provider::Postmark,
        Provider::SparkPost,
        Provider::Brevo,
        Provider::Mailjet,
        Provider::Resend,
        Provider::Twilio,
        Provider::GitHub,
        Provider::GitLab,
        Provider::Slack,
        Provider::Npm,
        Provider::Stripe,
        Provider::OpenAi,
        Provider::Discord,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Provider::SendGrid => "sendgrid",
            Provider::Mailgun => "mailgun",
            Provider::Mailchimp => "mailchimp",
            Provider::Mandrill => "mandrill",
            Provider::Postmark => "postmark",
            Provider::SparkPost => "sparkpost",
            Provider::Brevo => "brevo",
            Provider::Mailjet => "mailjet",
            Provider::Resend => "resend",
            Provider::Twilio => "twilio",
            Provider::GitHub => "github",
            Provider::GitLab => "gitlab",
            Provider::Slack => "slack",
            Provider::Npm => "npm",
            Provider::Stripe => "stripe",
            Provider::OpenAi => "openai",
            Provider::Discord => "discord",
        }
    }

    /// The verifier for a rule's `provider` field, if there is one.
    pub fn from_rule_provider(name: &str) -> Option<Provider> {
        let n = name.trim().to_ascii_lowercase();
        let alias = match n.as_str() {
            "sendinblue" => "brevo",
            "mailchimp-transactional" | "mailchimp_transactional" => "mandrill",
            other => other,
        };
        Provider::ALL.iter().copied().find(|p| p.name() == alias)
    }

    /// Minimum spacing between requests (the provider's rate limit, with room).
    pub fn min_interval(self) -> Duration {
        match self {
            // The unauthenticated credential-revocation API allows 60 requests an hour.
            Provider::GitHub => Duration::from_millis(200),
            Provider::Slack => Duration::from_millis(100),
            _ => Duration::from_millis(50),
        }
    }

    /// Requests in flight at once to this provider.
    pub fn max_in_flight(self) -> usize {
        match self {
            Provider::Slack | Provider::GitHub => 2,
            _ => 4,
        }
    }

    /// How to revoke by hand, where the provider offers no self-revocation
    /// (or it failed).
    pub fn console_steps(self) -> &'static str {
        match self {
            Provider::SendGrid => {
                "SendGrid console → Settings → API Keys: find the key by its id (the middle part of SG.<id>.<secret>), delete it, then create a replacement."
            }
            Provider::Mailgun => {
                "Mailgun control panel → API Security (account keys) or Sending → Domain settings → Sending keys: delete the key, create a new one and update the application."
            }
            Provider::Mailchimp => {
                "Mailchimp → Profile → Extras → API keys: disable, then delete the leaked key, and create a new one."
            }
            Provider::Mandrill => {
                "Mailchimp Transactional (Mandrill) → Settings → SMTP & API Info: delete the leaked key and create a new one."
            }
            Provider::Postmark => {
                "Postmark → Servers → the server → API Tokens (server tokens) or Account → API Tokens (account tokens): regenerate the token and update the application."
            }
            Provider::SparkPost => {
                "SparkPost → Account → API Keys: delete the leaked key (match it by the first characters) and create a new one."
            }
            Provider::Brevo => "Brevo → SMTP & API → API Keys: delete the leaked key and generate a new one.",
            Provider::Mailjet => {
                "Mailjet → Account settings → API Key Management: regenerate the secret key of this API key (or delete the sub-account key)."
            }
            Provider::Resend => "Resend dashboard → API Keys: delete the leaked key and create a new one.",
            Provider::Twilio => {
                "Twilio Console → Account → API keys & tokens: delete the API key, or for an auth token request a secondary token, promote it, and update every application."
            }
            Provider::GitHub => {
                "GitHub → Settings → Developer settings → Personal access tokens (or the app's settings): delete the token; for an installation token, it expires within an hour."
            }
            Provider::GitLab => "GitLab → Preferences → Access tokens: revoke the token.",
            Provider::Slack => {
                "Slack → api.slack.com/apps → the app → OAuth & Permissions: revoke tokens and reinstall the app."
            }
            Provider::Npm => "npmjs.com → Access Tokens: delete the token (or `npm token revoke <id>`).",
            Provider::Stripe => {
                "Stripe Dashboard → Developers → API keys: roll the key (expire it now) and update the application."
            }
            Provider::OpenAi => "OpenAI platform → API keys: delete the key and create a new one.",
            Provider::Discord => {
                "Discord → Server settings → Integrations → Webhooks: delete the webhook; for a bot token, Developer Portal → Bot → Reset Token."
            }
        }
    }
}

/// Console steps for credential families that have no verifier at all.
pub fn console_steps_for_rule_provider(provider: &str) -> Option<&'static str> {
    if let Some(p) = Provider::from_rule_provider(provider) {
        return Some(p.console_steps());
    }
    match provider {
        "aws" | "ses" => Some(
            "AWS IAM console → Users → the SMTP user → Security credentials: deactivate and delete the access key the SES SMTP password was derived from, then create new SMTP credentials.",
        ),
        "smtp" => Some("Change the SMTP account's password at the mail provider and update every client that uses it."),
        "dkim" => Some(
            "Generate a new DKIM key pair, publish the new public key in DNS under a new selector, switch signing, then remove the old selector.",
        ),
        _ => None,
    }
}

/// A secret ready to be checked by one provider, with the values its
/// requests need (a datacenter, a key id, the account SID it pairs with).
#[derive(Debug, Clone)]
pub struct Credential {
    pub provider: Provider,
    pub secret: String,
    pub params: BTreeMap<&'static str, String>,
    /// Fingerprints of every finding holding this secret.
    pub fingerprints: Vec<String>,
    pub secret_hash: String,
}

impl Credential {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

/// What a secret is to a provider, found by its shape and the rules.
#[derive(Debug)]
pub struct Parsed {
    pub params: BTreeMap<&'static str, String>,
}

/// Decides whether `provider` can check `secret` found by `rule_ids` (with
/// the rules' named groups), and extracts what its requests need.
pub fn parse(
    provider: Provider,
    rule_ids: &[String],
    secret: &str,
    groups: &BTreeMap<String, String>,
) -> Result<Parsed, String> {
    let params = match provider {
        Provider::SendGrid
        | Provider::Mailgun
        | Provider::Mailchimp
        | Provider::Mandrill
        | Provider::Postmark
        | Provider::SparkPost
        | Provider::Brevo
        | Provider::Mailjet
        | Provider::Resend => mail::parse(provider, rule_ids, secret, groups)?,
        Provider::GitHub | Provider::GitLab | Provider::Npm => code::parse(provider, secret)?,
        Provider::Slack | Provider::Discord => chat::parse(provider, rule_ids, secret)?,
        Provider::Twilio | Provider::Stripe | Provider::OpenAi => saas::parse(provider, secret, groups)?,
    };
    Ok(Parsed { params })
}

/// The outcome of one verification.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub status: Status,
    pub reason: Option<String>,
    pub host: Option<String>,
    pub details: BTreeMap<String, Value>,
}

impl Verdict {
    pub fn new(status: Status, reply: &Reply) -> Verdict {
        Verdict { status, reason: None, host: Some(reply.host.clone()), details: BTreeMap::new() }
    }

    pub fn unknown(reason: impl Into<String>) -> Verdict {
        Verdict { status: Status::Unknown, reason: Some(reason.into()), host: None, details: BTreeMap::new() }
    }

    pub fn because(mut self, reason: impl Into<String>) -> Verdict {
        self.reason = Some(reason.into());
        self
    }

    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Verdict {
        let value = value.into();
        if !value.is_null() && value != Value::String(String::new()) {
            self.details.insert(key.to_string(), value);
        }
        self
    }
}

impl From<CallError> for Verdict {
    fn from(e: CallError) -> Verdict {
        Verdict::unknown(e.to_string())
    }
}

/// The verdict for answers a verifier did not recognise: rate limits, server
/// errors, redirects (never followed), anything else.
pub fn unexpected(reply: &Reply) -> Verdict {
    let reason = match reply.status {
        300..=399 => {
            let to = reply.header("location").map(|l| format!(" to {}", host_of(l))).unwrap_or_default();
            format!("redirect{to} not followed (HTTP {})", reply.status)
        }
        429 => match reply.header("retry-after") {
            Some(s) => format!("rate limited (HTTP 429, retry after {s} s)"),
            None => "rate limited (HTTP 429)".into(),
        },
        500..=599 => format!("provider error (HTTP {})", reply.status),
        200..=299 => format!("unexpected response body (HTTP {})", reply.status),
        s => format!("unexpected HTTP {s}"),
    };
    Verdict::new(Status::Unknown, reply).because(reason)
}

/// The host of a URL (for messages: never the whole URL, which may hold a token).
fn host_of(url: &str) -> String {
    reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_else(|| "elsewhere".into())
}

/// A short string from a JSON body, for reasons.
fn text_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

/// The first characters of a secret, enough to recognise it in a console.
pub fn prefix(secret: &str) -> String {
    let shown: String = secret.chars().take(secret.chars().count().min(32) / 4).collect();
    format!("{shown}…")
}

/// Checks a credential with its provider's read-only request.
pub async fn verify(http: &Http, cred: &Credential) -> Verdict {
    match cred.provider {
        Provider::SendGrid => mail::sendgrid(http, cred).await,
        Provider::Mailgun => mail::mailgun(http, cred).await,
        Provider::Mailchimp => mail::mailchimp(http, cred).await,
        Provider::Mandrill => mail::mandrill(http, cred).await,
        Provider::Postmark => mail::postmark(http, cred).await,
        Provider::SparkPost => mail::sparkpost(http, cred).await,
        Provider::Brevo => mail::brevo(http, cred).await,
        Provider::Mailjet => mail::mailjet(http, cred).await,
        Provider::Resend => mail::resend(http, cred).await,
        Provider::GitHub => code::github(http, cred).await,
        Provider::GitLab => code::gitlab(http, cred).await,
        Provider::Npm => code::npm(http, cred).await,
        Provider::Slack => chat::slack(http, cred).await,
        Provider::Discord => chat::discord(http, cred).await,
        Provider::Twilio => saas::twilio(http, cred).await,
        Provider::Stripe => saas::stripe(http, cred).await,
        Provider::OpenAi => saas::openai(http, cred).await,
    }
}

/// How a live credential would be revoked.
#[derive(Debug, Clone)]
pub enum Plan {
    /// One request (or a confirm-then-delete pair) made with the credential itself.
    Direct { identity: String, request: String },
    /// Submitted with others in one batch (GitHub's credential revocation API).
    Batch { identity: String, request: String },
    /// No self-revocation: console steps.
    Manual { reason: String },
}

/// The revocation plan for a live credential; `details` are what verification revealed.
pub fn plan(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Plan {
    let planned = match cred.provider {
        Provider::SendGrid => mail::sendgrid_plan(http, cred),
        Provider::GitHub => code::github_plan(http, cred),
        Provider::GitLab => code::gitlab_plan(http, cred, details),
        Provider::Npm => code::npm_plan(http, cred),
        Provider::Slack => chat::slack_plan(http, cred, details),
        Provider::Discord => chat::discord_plan(http, cred),
        Provider::Twilio => saas::twilio_plan(http, cred, details),
        _ => None,
    };
    planned.unwrap_or_else(|| Plan::Manual {
        reason: format!("{} offers no way for a credential to revoke itself", cred.provider.name()),
    })
}

/// Performs a `Plan::Direct` revocation.
pub async fn revoke(http: &Http, cred: &Credential, details: &BTreeMap<String, Value>) -> Revocation {
    match cred.provider {
        Provider::SendGrid => mail::sendgrid_revoke(http, cred).await,
        Provider::GitLab => code::gitlab_revoke(http, cred, details).await,
        Provider::Npm => code::npm_revoke(http, cred).await,
        Provider::Slack => chat::slack_revoke(http, cred, details).await,
        Provider::Discord => chat::discord_revoke(http, cred).await,
        Provider::Twilio => saas::twilio_revoke(http, cred, details).await,
        _ => manual(cred, format!("{} offers no way for a credential to revoke itself", cred.provider.name())),
    }
}

/// Performs the GitHub batch revocation of `creds` (at most 1000 per request).
pub async fn revoke_batch(http: &Http, creds: &[&Credential]) -> Vec<Revocation> {
    code::github_revoke_batch(http, creds).await
}

/// A manual-steps record.
pub fn manual(cred: &Credential, reason: impl Into<String>) -> Revocation {
    Revocation {
        outcome: RevokeOutcome::Manual,
        identity: None,
        request: None,
        reason: Some(reason.into()),
        steps: Some(cred.provider.console_steps().to_string()),
        at: None,
    }
}

/// The record of a revocation request that was made.
fn done(outcome: RevokeOutcome, identity: String, request: String, reason: Option<String>) -> Revocation {
    Revocation {
        outcome,
        identity: Some(identity),
        request: Some(request),
        reason,
        steps: None,
        at: Some(super::audit::now_rfc3339()),
    }
}

/// A revocation request that failed: keep the console steps at hand.
fn failed(cred: &Credential, identity: String, request: String, reason: String) -> Revocation {
    let mut r = done(RevokeOutcome::Failed, identity, request, Some(reason));
    r.steps = Some(cred.provider.console_steps().to_string());
    r
}

/// What a `DELETE` of the credential itself answered: revoked on success;
/// already revoked when the credential no longer authenticates (401) or
/// its resource is gone (404); otherwise failed.
fn deletion(cred: &Credential, identity: String, request: String, result: &Result<Reply, CallError>) -> Revocation {
    match result {
        Ok(r) if r.is_success() => done(RevokeOutcome::Revoked, identity, request, None),
        Ok(r) if r.status == 401 || r.status == 404 => {
            done(RevokeOutcome::AlreadyRevoked, identity, request, Some(format!("HTTP {}", r.status)))
        }
        _ => failed(cred, identity, request, failure_reason(result)),
    }
}

/// Reason text for a failed revocation request.
fn failure_reason(result: &Result<Reply, CallError>) -> String {
    match result {
        Ok(reply) => {
            let v = unexpected(reply);
            match reply.status {
                401 | 403 => format!("HTTP {}: the credential may not revoke itself", reply.status),
                _ => v.reason.unwrap_or_else(|| format!("HTTP {}", reply.status)),
            }
        }
        Err(e) => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(
        p: Provider,
        rule: &str,
        secret: &str,
        groups: &[(&str, &str)],
    ) -> Result<BTreeMap<&'static str, String>, String> {
        let groups = groups.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse(p, &[rule.to_string()], secret, &groups).map(|p| p.params)
    }

    #[test]
    fn sendgrid_key_id_is_the_middle_segment() {
        let key = "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";
        let p = parsed(Provider::SendGrid, "sendgrid.api-key", key, &[]).unwrap();
        assert_eq!(p["key_id"], "Hq4vR9zLwT2mXy7pKd3sN8");
        assert!(parsed(Provider::SendGrid, "sendgrid.smtp-legacy-login", "hunter22", &[]).is_err());
    }

    #[test]
    fn keys_no_api_accepts_are_not_sent() {
        let hex = "0123456789abcdef0123456789abcdef";
        assert!(parsed(Provider::Mailgun, "mailgun.webhook-signing-key", &format!("key-{hex}"), &[]).is_err());
        assert!(parsed(Provider::Mailgun, "mailgun.api-key", &format!("key-{hex}"), &[]).is_ok());
        assert!(
            parsed(Provider::Brevo, "brevo.smtp-key", &format!("xsmtpsib-{hex}{hex}-AbCdEfGhIjKlMnOp"), &[]).is_err()
        );
        assert!(
            parsed(
                Provider::GitHub,
                "github.refresh-token",
                "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
                &[]
            )
            .is_err()
        );
        assert!(
            parsed(Provider::Slack, "slack.webhook", "https://hooks.slack.com/services/T000/B000/XXXX", &[]).is_err()
        );
    }

    #[test]
    fn paired_secrets_need_their_partner() {
        let hex = "0123456789abcdef0123456789abcdef";
        let other = "fedcba9876543210fedcba9876543210";
        assert!(parsed(Provider::Mailjet, "mailjet.api-credentials", hex, &[]).is_err());
        let p = parsed(Provider::Mailjet, "mailjet.api-credentials", hex, &[("key_id", other)]).unwrap();
        assert_eq!(p["user"], other);
        let secret = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        assert!(parsed(Provider::Twilio, "twilio.api-key", secret, &[]).is_err());
        let sk = format!("SK{hex}");
        let p = parsed(Provider::Twilio, "twilio.api-key", secret, &[("key_sid", sk.as_str())]).unwrap();
        assert_eq!(p["user"], sk);
    }

    #[test]
    fn discord_webhook_url_is_split_into_id_and_token() {
        let token = "x".repeat(30) + "AbC_-9";
        let url = format!("https://discord.com/api/webhooks/123456789012345678/{token}");
        let p = parsed(Provider::Discord, "discord.webhook-url", &url, &[]).unwrap();
        assert_eq!(p["webhook_id"], "123456789012345678");
        assert_eq!(p["webhook_token"], token);
        assert!(
            parsed(
                Provider::Discord,
                "discord.webhook-url",
                &format!("https://evil.example/discord.com/api/webhooks/123456789012345678/{token}"),
                &[]
            )
            .is_err()
        );
    }

    #[test]
    fn postmark_token_kind_follows_the_rule() {
        let uuid = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
        assert_eq!(parsed(Provider::Postmark, "postmark.server-token", uuid, &[]).unwrap()["kind"], "server");
        assert_eq!(parsed(Provider::Postmark, "postmark.account-token", uuid, &[]).unwrap()["kind"], "account");
        assert_eq!(parsed(Provider::Postmark, "postmark.smtp-login", uuid, &[]).unwrap()["kind"], "either");
    }

    #[test]
    fn rule_provider_names_map_to_verifiers() {
        assert_eq!(Provider::from_rule_provider("sendinblue"), Some(Provider::Brevo));
        assert_eq!(Provider::from_rule_provider("GitHub"), Some(Provider::GitHub));
        assert_eq!(Provider::from_rule_provider("smtp"), None);
        assert!(console_steps_for_rule_provider("aws").is_some());
        assert_eq!(prefix("SG.abcdefghijklmnop"), "SG.a…");
    }
}
