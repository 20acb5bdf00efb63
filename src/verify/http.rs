//! The one HTTP client that carries secrets. It enforces what the rest of
//! the verify module relies on: a request goes only to an endpoint of the
//! credential's own provider; no redirect is followed; names resolving to
//! private, loopback or link-local addresses are refused unless
//! `--allow-internal-endpoints`; connect and total timeouts; bounded retries
//! with backoff on 429 and 5xx honouring `Retry-After`; a per-provider rate
//! limit; and an audit line before and after every attempt.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use tokio::sync::{Mutex, Semaphore};

use super::audit::{Action, AuditEntry, AuditLog};
use super::endpoints::{self, Endpoints};
use super::providers::{Credential, Provider};

/// Largest response body read; the rest is dropped.
const MAX_BODY: usize = 256 * 1024;
/// Headers in which providers return a request id worth keeping.
const REQUEST_ID_HEADERS: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-github-request-id",
    "x-slack-req-id",
    "twilio-request-id",
    "x-amzn-requestid",
    "cf-ray",
];

/// Timeouts and retry policy of a run.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Total time for one attempt (connect, request, response body).
    pub timeout: Duration,
    /// Retries after a 429 or 5xx answer.
    pub retries: u32,
    /// A `Retry-After` longer than this is not waited for: the answer stands.
    pub max_retry_wait: Duration,
    /// First backoff delay; doubled on each retry.
    pub backoff: Duration,
    /// Requests in flight at once, over all providers.
    pub concurrency: usize,
}

/// How a request authenticates. Values are secrets: never logged.
pub enum Auth {
    None,
    Bearer(String),
    Basic(String, String),
    Header(&'static str, String),
}

/// One request to a provider endpoint.
pub struct Request {
    pub action: Action,
    /// Endpoint name (`sendgrid`, `mailgun-eu`, ...).
    pub endpoint: &'static str,
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    /// The path as written to the audit log when `path` holds a credential.
    pub audit_path: Option<String>,
    pub auth: Auth,
    pub headers: Vec<(&'static str, String)>,
    pub json: Option<serde_json::Value>,
    /// A 429/5xx whose body contains this is a final answer, not a reason to retry.
    pub final_if_body_contains: Option<&'static str>,
}

impl Request {
    pub fn new(action: Action, endpoint: &'static str, method: Method, path: impl Into<String>, auth: Auth) -> Request {
        Request {
            action,
            endpoint,
            method,
            path: path.into(),
            audit_path: None,
            auth,
            headers: Vec::new(),
            json: None,
            final_if_body_contains: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Request {
        self.headers.push((name, value.into()));
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Request {
        self.json = Some(body);
        self
    }

    pub fn audit_path(mut self, path: impl Into<String>) -> Request {
        self.audit_path = Some(path.into());
        self
    }

    pub fn final_if_body_contains(mut self, needle: &'static str) -> Request {
        self.final_if_body_contains = Some(needle);
        self
    }
}

/// An HTTP answer (any status).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    /// `host` or `host:port` that answered.
    pub host: String,
    pub request_id: Option<String>,
}

impl Reply {
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Why no answer came back.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    #[error("refused: {0}")]
    Refused(String),
    #[error("timeout after {0:?}")]
    Timeout(Duration),
    #[error("network error: {0}")]
    Network(String),
}

/// Spacing between requests to one provider.
struct Limiter {
    interval: Duration,
    next: Mutex<Instant>,
    slots: Semaphore,
}

impl Limiter {
    async fn wait(&self) {
        let wait = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let start = (*next).max(now);
            *next = start + self.interval;
            start - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// The client of one run.
pub struct Http {
    client: reqwest::Client,
    endpoints: Endpoints,
    audit: Arc<AuditLog>,
    settings: HttpSettings,
    limits: HashMap<Provider, Limiter>,
    slots: Semaphore,
}

/// A resolver that refuses names resolving to internal addresses, so a
/// public-looking host cannot be pointed (or rebound) at the local network.
struct PublicOnly {
    allow_internal: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_internal = self.allow_internal;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let total = addrs.len();
            let kept: Vec<SocketAddr> =
                addrs.into_iter().filter(|a| allow_internal || !endpoints::is_internal(a.ip())).collect();
            if kept.is_empty() && total > 0 {
                let msg = format!(
                    "{host} resolves to a private, loopback or link-local address (pass --allow-internal-endpoints)"
                );
                return Err(msg.into());
            }
            let iter: Addrs = Box::new(kept.into_iter());
            Ok(iter)
        })
    }
}

impl Http {
    pub fn new(endpoints: Endpoints, audit: Arc<AuditLog>, settings: HttpSettings) -> anyhow::Result<Http> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .timeout(settings.timeout)
            .user_agent(concat!("leakhound/", env!("CARGO_PKG_VERSION"), " (credential verification)"))
            .dns_resolver(Arc::new(PublicOnly { allow_internal: endpoints.allow_internal() }))
            .build()?;
        let limits = Provider::ALL
            .iter()
            .map(|&p| {
                let limiter = Limiter {
                    interval: p.min_interval(),
                    next: Mutex::new(Instant::now()),
                    slots: Semaphore::new(p.max_in_flight()),
                };
                (p, limiter)
            })
            .collect();
        let slots = Semaphore::new(settings.concurrency.max(1));
        Ok(Http { client, endpoints, audit, settings, limits, slots })
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    /// `METHOD https://host/path` as it would be requested, with credentials
    /// in the path replaced; for dry runs and reports.
    pub fn describe(&self, endpoint: &str, method: &Method, path: &str, dc: Option<&str>) -> String {
        match self.endpoints.url(endpoint, path, dc) {
            Ok(url) => format!("{method} {url}"),
            Err(_) => format!("{method} <{endpoint}>{path}"),
        }
    }

    /// Sends `req` for `creds` (all of one provider; several only for batch
    /// endpoints), retrying 429 and 5xx answers within the run's bounds.
    pub async fn send(&self, creds: &[&Credential], req: Request) -> Result<Reply, CallError> {
        let Some(first) = creds.first() else {
            return Err(CallError::Refused("no credential".into()));
        };
        let provider = first.provider;
        let mut entry = AuditEntry {
            action: Some(req.action),
            provider: provider.name().to_string(),
            fingerprints: creds.iter().flat_map(|c| c.fingerprints.iter().cloned()).collect(),
            secret_hashes: creds.iter().map(|c| c.secret_hash.clone()).collect(),
            method: Some(req.method.to_string()),
            ..AuditEntry::default()
        };
        let mut audit_path = req.audit_path.clone().unwrap_or_else(|| req.path.clone());
        for c in creds {
            // Defence in depth: a credential never reaches the audit log.
            if !c.secret.is_empty() {
                audit_path = audit_path.replace(&c.secret, "[secret]");
            }
        }
        entry.path = Some(audit_path.split('?').next().unwrap_or_default().to_string());

        let spec = endpoints::spec(req.endpoint);
        let refusal = match spec {
            None => Some(format!("unknown endpoint {}", req.endpoint)),
            Some(s) if creds.iter().any(|c| c.provider != s.provider) => {
                Some(format!("endpoint {} does not belong to the credential's provider", req.endpoint))
            }
            Some(_) => None,
        };
        let url = match refusal {
            Some(r) => Err(r),
            None => self.endpoints.url(req.endpoint, &req.path, first.param("dc")),
        };
        let url = match url {
            Ok(u) => u,
            Err(reason) => {
                entry.event = "refused";
                entry.error = Some(reason.clone());
                let _ = self.audit.write(&entry);
                return Err(CallError::Refused(reason));
            }
        };
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_string(),
        };
        entry.host = Some(host.clone());

        let limiter = self.limits.get(&provider);
        let _provider_slot = match limiter {
            Some(l) => l.slots.acquire().await.ok(),
            None => None,
        };
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            if let Some(l) = limiter {
                l.wait().await;
            }
            let _slot = self.slots.acquire().await.ok();
            let id = self.audit.next_request_id();
            entry.event = "request";
            entry.request = Some(id);
            entry.attempt = Some(attempt);
            entry.status = None;
            entry.outcome = None;
            entry.provider_request_id = None;
            entry.duration_ms = None;
            entry.error = None;
            if let Err(e) = self.audit.write(&entry) {
                // No audit line, no request.
                return Err(CallError::Refused(format!("{e:#}")));
            }
            let started = Instant::now();
            let result = self.attempt(&url, &req, &host).await.map_err(|e| scrub(e, creds));
            entry.event = "response";
            entry.duration_ms = Some(started.elapsed().as_millis() as u64);
            match result {
                Err(err) => {
                    entry.outcome = Some(match err {
                        CallError::Timeout(_) => "timeout".into(),
                        CallError::Refused(_) => "refused".into(),
                        CallError::Network(_) => "network-error".into(),
                    });
                    entry.error = Some(err.to_string());
                    let _ = self.audit.write(&entry);
                    return Err(err);
                }
                Ok(reply) => {
                    entry.status = Some(reply.status);
                    entry.outcome = Some(outcome_of(reply.status).into());
                    entry.provider_request_id = reply.request_id.clone();
                    let _ = self.audit.write(&entry);
                    let retryable = reply.status == 429 || reply.status >= 500;
                    let is_final = req.final_if_body_contains.is_some_and(|needle| reply.body.contains(needle));
                    if !retryable || is_final || attempt > self.settings.retries {
                        return Ok(reply);
                    }
                    let backoff = self.settings.backoff * 2u32.saturating_pow(attempt - 1);
                    let wait = retry_after(&reply).unwrap_or(backoff);
                    if wait > self.settings.max_retry_wait {
                        return Ok(reply);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn attempt(&self, url: &reqwest::Url, req: &Request, host: &str) -> Result<Reply, CallError> {
        let mut builder = self.client.request(req.method.clone(), url.clone());
        builder = match &req.auth {
            Auth::None => builder,
            Auth::Bearer(token) => builder.bearer_auth(token),
            Auth::Basic(user, pass) => builder.basic_auth(user, Some(pass)),
            Auth::Header(name, value) => builder.header(*name, value),
        };
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &req.json {
            builder = builder.json(body);
        }
        let mut resp = builder.send().await.map_err(|e| self.classify(e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e))? {
            let room = MAX_BODY.saturating_sub(body.len());
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if room <= chunk.len() {
                break;
            }
        }
        let request_id = REQUEST_ID_HEADERS
            .iter()
            .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()).map(|s| s.chars().take(200).collect()));
        Ok(Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            host: host.to_string(),
            request_id,
        })
    }

    fn classify(&self, err: reqwest::Error) -> CallError {
        if err.is_timeout() {
            return CallError::Timeout(self.settings.timeout);
        }
        // The causes name what failed (refused address, DNS failure, TLS);
        // the URL is left out, as a path may hold a credential.
        let err = err.without_url();
        let mut causes: Vec<String> = Vec::new();
        let mut source = std::error::Error::source(&err);
        while let Some(s) = source {
            let text = s.to_string();
            if !causes.iter().any(|c| c.contains(&text)) {
                causes.push(text);
            }
            source = s.source();
        }
        let text = if causes.is_empty() { err.to_string() } else { causes.join(": ") };
        if text.contains("--allow-internal-endpoints") {
            return CallError::Refused(text);
        }
        CallError::Network(text)
    }
}

/// Replaces any credential in an error's text: messages from lower layers
/// may quote what was sent.
fn scrub(err: CallError, creds: &[&Credential]) -> CallError {
    let clean = |mut text: String| {
        for c in creds {
            let tokens = std::iter::once(c.secret.as_str())
                .chain(c.params.iter().filter(|(k, _)| k.contains("token")).map(|(_, v)| v.as_str()));
            for t in tokens.filter(|t| !t.is_empty()) {
                text = text.replace(t, "[secret]");
            }
        }
        text
    };
    match err {
        CallError::Refused(t) => CallError::Refused(clean(t)),
        CallError::Network(t) => CallError::Network(clean(t)),
        other => other,
    }
}

fn outcome_of(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        300..=399 => "redirect-not-followed",
        429 => "rate-limited",
        400..=499 => "client-error",
        _ => "server-error",
    }
}

/// `Retry-After` in seconds (the HTTP-date form falls back to backoff).
fn retry_after(reply: &Reply) -> Option<Duration> {
    let value = reply.header("retry-after")?.trim();
    value.parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(allow_internal: bool, host: &str) -> Result<Vec<SocketAddr>, String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let name: Name = host.parse().map_err(|_| "bad name".to_string())?;
        runtime.block_on(async {
            PublicOnly { allow_internal }.resolve(name).await.map(|a| a.collect()).map_err(|e| e.to_string())
        })
    }

    #[test]
    fn names_resolving_to_internal_addresses_are_refused() {
        let refused = resolve(false, "localhost").expect_err("localhost is loopback");
        assert!(refused.contains("--allow-internal-endpoints"), "{refused}");
        let allowed = resolve(true, "localhost").expect("allowed with the flag");
        assert!(allowed.iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "2".parse().expect("valid header"));
        let reply = Reply { status: 429, headers, body: String::new(), host: "h".into(), request_id: None };
        assert_eq!(retry_after(&reply), Some(Duration::from_secs(2)));
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT".parse().expect("valid header"));
        let reply = Reply { status: 429, headers, body: String::new(), host: "h".into(), request_id: None };
        assert_eq!(retry_after(&reply), None);
    }
}
