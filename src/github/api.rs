//! The GitHub REST API, through octocrab: listing an organisation's or a
//! user's repositories page by page (`Link: rel="next"`), one repository by
//! name, and uploading SARIF to code scanning. Rate limits are honoured here:
//! a 403/429 with `Retry-After` (secondary limits) or with the quota spent
//! waits and retries; the remaining quota is kept for progress lines.
//!
//! The token goes only to the configured API host: a `next` link or any
//! other URL pointing elsewhere is refused, never followed with the token.

use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use http::{HeaderMap, StatusCode, Uri};
use serde::{Deserialize, Serialize};

/// A repository as listed by the API (the fields leakhound uses).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiRepo {
    pub full_name: String,
    pub name: String,
    #[serde(default)]
    pub clone_url: Option<String>,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub default_branch: Option<String>,
}

impl ApiRepo {
    /// `public`, `private` or `internal`.
    pub fn visibility(&self) -> &str {
        match &self.visibility {
            Some(v) => v,
            None if self.private => "private",
            None => "public",
        }
    }
}

/// How rate limits are waited for.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitPolicy {
    /// Longest single wait (for `Retry-After` or the quota's reset).
    pub max_wait: Duration,
    /// Retries of one request after rate-limit answers.
    pub retries: u32,
}

/// The remaining API quota, as the last response told it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quota {
    pub remaining: Option<u64>,
    pub limit: Option<u64>,
}

impl std::fmt::Display for Quota {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.remaining, self.limit) {
            (Some(r), Some(l)) => write!(f, "API quota {r}/{l}"),
            (Some(r), None) => write!(f, "API quota {r}"),
            _ => f.write_str("API quota unknown"),
        }
    }
}

/// A GitHub REST client bound to one API base URL.
pub struct GitHub {
    client: octocrab::Octocrab,
    base: reqwest::Url,
    policy: RateLimitPolicy,
    quota: Mutex<Quota>,
    runtime: tokio::runtime::Runtime,
    quiet: bool,
    has_token: bool,
}

/// Whether plain http may be used for `url`: only on a loopback host.
pub fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(h) => h.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

impl GitHub {
    /// A client for `api_url`; the token, if any, is sent only there.
    pub fn new(api_url: &str, token: Option<String>, policy: RateLimitPolicy, quiet: bool) -> Result<GitHub> {
        let base = reqwest::Url::parse(api_url.trim_end_matches('/'))
            .with_context(|| format!("--api-url {api_url:?} is not a URL"))?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => bail!("--api-url {api_url}: plain http is allowed only on a loopback address"),
            other => bail!("--api-url {api_url}: unsupported scheme {other}"),
        }
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("tokio runtime")?;
        let has_token = token.is_some();
        let client = runtime.block_on(async {
            let mut builder = octocrab::Octocrab::builder()
                .base_uri(base.as_str())
                .map_err(|e| anyhow!("--api-url {api_url}: {e}"))?
                .set_connect_timeout(Some(Duration::from_secs(30)))
                .set_read_timeout(Some(Duration::from_secs(120)))
                .add_header(http::header::USER_AGENT, format!("leakhound/{}", env!("CARGO_PKG_VERSION")));
            if let Some(t) = token {
                builder = builder.personal_token(t);
            }
            builder.build().map_err(|e| anyhow!("cannot build the GitHub client: {e}"))
        })?;
        Ok(GitHub { client, base, policy, quota: Mutex::new(Quota::default()), runtime, quiet, has_token })
    }

    pub fn has_token(&self) -> bool {
        self.has_token
    }

    pub fn base(&self) -> &reqwest::Url {
        &self.base
    }

    pub fn quota(&self) -> Quota {
        *self.quota.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `{base}/{path}` (path without a leading slash, already escaped).
    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base.as_str().trim_end_matches('/'), path)
    }

    /// Refuses any URL that is not on the API's own scheme, host and port.
    fn check_same_origin(&self, url: &str) -> Result<()> {
        let parsed = reqwest::Url::parse(url).map_err(|_| anyhow!("the API returned an invalid link"))?;
        if parsed.origin() != self.base.origin() {
            bail!(
                "the API linked to another host ({}); not following it with the token",
                parsed.host_str().unwrap_or("?")
            );
        }
        Ok(())
    }

    fn note_quota(&self, headers: &HeaderMap) {
        let num = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|s| s.trim().parse().ok());
        let mut q = self.quota.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = num("x-ratelimit-remaining") {
            q.remaining = Some(r);
        }
        if let Some(l) = num("x-ratelimit-limit") {
            q.limit = Some(l);
        }
    }

    /// How long a rate-limited answer asks to wait, if it is one.
    fn rate_limit_wait(status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
        if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
            return None;
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        if let Some(secs) = header("retry-after").and_then(|s| s.parse::<u64>().ok()) {
            return Some(Duration::from_secs(secs));
        }
        if header("x-ratelimit-remaining") == Some("0") {
            let reset = header("x-ratelimit-reset").and_then(|s| s.parse::<i64>().ok())?;
            let now = jiff::Timestamp::now().as_second();
            return Some(Duration::from_secs((reset - now).max(1) as u64));
        }
        // A secondary limit without Retry-After: GitHub asks for at least a minute.
        if status == StatusCode::TOO_MANY_REQUESTS { Some(Duration::from_secs(60)) } else { None }
    }

    fn say(&self, msg: &str) {
        if !self.quiet {
            let _ = writeln!(std::io::stderr(), "leakhound: {msg}");
        }
    }

    /// Sends a request (GET without body, POST with a JSON body) honouring
    /// rate limits; returns status, headers and body text.
    fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(StatusCode, HeaderMap, String)> {
        self.check_same_origin(url)?;
        let uri: Uri = url.parse().map_err(|_| anyhow!("invalid API URL"))?;
        let mut attempt = 0;
        loop {
            let response = self.runtime.block_on(async {
                let resp = match method {
                    "POST" => self.client._post(uri.clone(), body).await,
                    _ => self.client._get(uri.clone()).await,
                };
                let resp = resp.map_err(|e| anyhow!("{e}"))?;
                let status = resp.status();
                let headers = resp.headers().clone();
                let text = self.client.body_to_string(resp).await.map_err(|e| anyhow!("{e}"))?;
                Ok::<_, anyhow::Error>((status, headers, text))
            });
            // Never quote the URL's query or the error's request: keep the path only.
            let (status, headers, text) =
                response.with_context(|| format!("{method} {}: request failed", path_of(url)))?;
            self.note_quota(&headers);
            if let Some(wait) = Self::rate_limit_wait(status, &headers) {
                if attempt >= self.policy.retries {
                    bail!("{method} {}: still rate limited after {attempt} retries", path_of(url));
                }
                if wait > self.policy.max_wait {
                    bail!(
                        "{method} {}: rate limited for {}s, more than --max-rate-wait ({}s)",
                        path_of(url),
                        wait.as_secs(),
                        self.policy.max_wait.as_secs()
                    );
                }
                attempt += 1;
                self.say(&format!("rate limited ({status}); waiting {}s ({})", wait.as_secs(), self.quota()));
                std::thread::sleep(wait);
                continue;
            }
            return Ok((status, headers, text));
        }
    }

    fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<(T, Option<String>)> {
        let (status, headers, text) = self.send("GET", url, None)?;
        if !status.is_success() {
            bail!("GET {}: {status}: {}", path_of(url), api_message(&text));
        }
        let value = serde_json::from_str(&text).with_context(|| format!("GET {}: unexpected answer", path_of(url)))?;
        Ok((value, next_link(&headers)))
    }

    /// Every page of a repository listing.
    fn list(&self, first: String) -> Result<Vec<ApiRepo>> {
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next {
            let (page, link): (Vec<ApiRepo>, _) = self.get_json(&url)?;
            pages += 1;
            out.extend(page);
            self.say(&format!("listed {} repositories ({} page{}, {})", out.len(), pages, plural(pages), self.quota()));
            next = link;
        }
        Ok(out)
    }

    /// The repositories of an organisation (`type=all`: what the token may see).
    pub fn org_repos(&self, org: &str) -> Result<Vec<ApiRepo>> {
        check_name(org)?;
        self.list(self.url(&format!("orgs/{org}/repos?per_page=100&type=all")))
    }

    /// The repositories a user owns.
    pub fn user_repos(&self, user: &str) -> Result<Vec<ApiRepo>> {
        check_name(user)?;
        self.list(self.url(&format!("users/{user}/repos?per_page=100&type=owner")))
    }

    /// One repository by `OWNER/NAME`.
    pub fn repo(&self, full_name: &str) -> Result<ApiRepo> {
        let (owner, name) = full_name.split_once('/').ok_or_else(|| anyhow!("{full_name:?}: expected OWNER/NAME"))?;
        check_name(owner)?;
        check_name(name)?;
        Ok(self.get_json(&self.url(&format!("repos/{owner}/{name}")))?.0)
    }

    /// Uploads a SARIF document (gzip + base64) to a repository's code
    /// scanning; returns the upload id GitHub answers with.
    pub fn upload_sarif(&self, full_name: &str, commit_sha: &str, git_ref: &str, sarif: &str) -> Result<String> {
        let (owner, name) = full_name.split_once('/').ok_or_else(|| anyhow!("{full_name:?}: expected OWNER/NAME"))?;
        check_name(owner)?;
        check_name(name)?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(sarif.as_bytes()).context("gzip")?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(gz.finish().context("gzip")?);
        let body = serde_json::json!({
            "commit_sha": commit_sha,
            "ref": git_ref,
            "sarif": encoded,
            "tool_name": "leakhound",
        });
        let url = self.url(&format!("repos/{owner}/{name}/code-scanning/sarifs"));
        let (status, _, text) = self.send("POST", &url, Some(&body))?;
        if !status.is_success() {
            bail!("code scanning upload for {full_name}: {status}: {}", api_message(&text));
        }
        let id = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
            .unwrap_or_default();
        Ok(id)
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Owner and repository names are plain: letters, digits, `-`, `_`, `.`.
pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !ok {
        bail!("{name:?} is not a GitHub owner or repository name");
    }
    Ok(())
}

/// The path of a URL, for messages (never its query).
fn path_of(url: &str) -> String {
    reqwest::Url::parse(url).map(|u| u.path().to_string()).unwrap_or_else(|_| "?".into())
}

/// The `message` of a GitHub error body, shortened.
fn api_message(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get(http::header::LINK)?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let target = pieces.next()?.trim();
        let is_next = pieces.any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        let target = target.strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::LINK,
            "<https://api.github.com/orgs/a/repos?page=2>; rel=\"next\", <https://api.github.com/orgs/a/repos?page=5>; rel=\"last\""
                .parse()
                .unwrap_or_else(|_| http::HeaderValue::from_static("")),
        );
        assert_eq!(next_link(&h).as_deref(), Some("https://api.github.com/orgs/a/repos?page=2"));
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("acme-corp").is_ok());
        assert!(check_name("..").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name("a?b").is_err());
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let policy = RateLimitPolicy { max_wait: Duration::from_secs(1), retries: 1 };
        assert!(GitHub::new("http://127.0.0.1:1/", None, policy, true).is_ok());
        assert!(GitHub::new("http://example.com/", None, policy, true).is_err());
        assert!(GitHub::new("https://ghe.example.com/api/v3", None, policy, true).is_ok());
    }

    #[test]
    fn links_elsewhere_are_refused() -> Result<()> {
        let policy = RateLimitPolicy { max_wait: Duration::from_secs(1), retries: 1 };
        let gh = GitHub::new("https://api.github.com", None, policy, true)?;
        assert!(gh.check_same_origin("https://api.github.com/orgs/a/repos?page=2").is_ok());
        assert!(gh.check_same_origin("https://evil.example/orgs/a/repos?page=2").is_err());
        assert!(gh.check_same_origin("http://api.github.com/orgs/a/repos").is_err());
        Ok(())
    }
}
