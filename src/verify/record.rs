//! What verification and revocation leave on a finding: plain data that the
//! reports render and that `leakhound verify`/`revoke` read back from a JSON
//! report. No network code lives here.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What the provider said about a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The provider accepted the credential.
    Live,
    /// The provider says the credential is not valid (never was, deleted, or expired).
    Invalid,
    /// The provider says the credential was revoked, or leakhound revoked it.
    Revoked,
    /// No verdict: network error, timeout, unexpected response, or no check exists.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Live => "live",
            Status::Invalid => "invalid",
            Status::Revoked => "revoked",
            Status::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The verification result attached to a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    pub status: Status,
    /// Why the status is what it is (always set for `unknown`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// The verifier used (`sendgrid`, `github`, ...).
    pub provider: String,
    /// The API host that gave the verdict.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<String>,
    /// When the verdict was reached, RFC 3339.
    pub checked_at: String,
    /// What read-only calls revealed: scopes, user, team, account.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub details: BTreeMap<String, serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub revocation: Option<Revocation>,
}

/// What happened, or would happen, to revoke a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevokeOutcome {
    /// Dry run: the request that `--yes` would make.
    Planned,
    /// The provider confirmed the revocation.
    Revoked,
    /// The credential was already dead when leakhound came back to it.
    AlreadyRevoked,
    /// The provider accepted the request but revokes asynchronously.
    Submitted,
    /// The request was made and did not succeed.
    Failed,
    /// The provider offers no self-revocation: follow `steps`.
    Manual,
}

impl RevokeOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RevokeOutcome::Planned => "planned",
            RevokeOutcome::Revoked => "revoked",
            RevokeOutcome::AlreadyRevoked => "already-revoked",
            RevokeOutcome::Submitted => "submitted",
            RevokeOutcome::Failed => "failed",
            RevokeOutcome::Manual => "manual",
        }
    }
}

/// A revocation record: the exact credential identity, the request, the outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revocation {
    pub outcome: RevokeOutcome,
    /// The exact credential that is (to be) revoked, e.g. `SendGrid API key id AbC…`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identity: Option<String>,
    /// The request, without credentials: `DELETE https://api.sendgrid.com/v3/api_keys/ID`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Console steps, where the provider has no self-revocation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub steps: Option<String>,
    /// When the request was made (not set for plans and manual steps).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub at: Option<String>,
}

impl Verification {
    /// `live`, `invalid`, `unknown (timeout after 2 s)`.
    pub fn status_text(&self) -> String {
        match &self.reason {
            Some(r) => format!("{} ({r})", self.status),
            None => self.status.to_string(),
        }
    }

    /// One line of what the provider revealed: `scopes: a, b; user: octocat`.
    pub fn details_text(&self) -> Option<String> {
        if self.details.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .details
            .iter()
            .map(|(k, v)| {
                let shown = match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Array(items) => {
                        let mut names: Vec<String> = items
                            .iter()
                            .take(12)
                            .map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string()))
                            .collect();
                        if items.len() > 12 {
                            names.push(format!("… {} more", items.len() - 12));
                        }
                        names.join(", ")
                    }
                    other => other.to_string(),
                };
                format!("{k}: {shown}")
            })
            .collect();
        Some(parts.join("; "))
    }
}

impl Revocation {
    /// One line for the text report.
    pub fn summary(&self) -> String {
        let mut s = match self.outcome {
            RevokeOutcome::Planned => "dry run, would revoke".to_string(),
            RevokeOutcome::Manual => "no self-revocation".to_string(),
            other => other.as_str().to_string(),
        };
        if let Some(id) = &self.identity {
            s.push_str(&format!(" {id}"));
        }
        if let Some(req) = &self.request {
            s.push_str(&format!(" with {req}"));
        }
        if let Some(r) = &self.reason {
            s.push_str(&format!(" ({r})"));
        }
        if self.outcome == RevokeOutcome::Planned {
            s.push_str("; pass --yes to revoke");
        }
        s
    }
}
