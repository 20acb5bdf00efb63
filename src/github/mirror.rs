//! Mirrors in the cache directory, kept with the `git` command line: a bare
//! `git clone --mirror` the first time, `git fetch --prune` into it later.
//!
//! The token never touches the disk, a URL or a log line: it is handed to
//! that one git process as an `http.<url>.extraHeader` through the
//! `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_0` / `GIT_CONFIG_VALUE_0`
//! environment, scoped to the GitHub host's URL prefix, and only for https
//! clone URLs on the configured host (or plain http on loopback when the API
//! itself is on loopback). Local clone URLs (a path or `file://`) get no token.
//! A clone goes to a temporary directory that is renamed into place, so a
//! killed clone leaves nothing that looks like a mirror.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;

use super::api::is_loopback;

/// Where the token may go when git fetches.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub token: Option<String>,
    /// Hosts (with port, if any) of the API and of its web front
    /// (`api.github.com` → `github.com`; GHES serves both on one host).
    pub hosts: Vec<String>,
    /// Whether plain http on loopback is acceptable (the API is on loopback).
    pub allow_loopback_http: bool,
}

impl Credentials {
    pub fn for_api(api: &reqwest::Url, token: Option<String>) -> Credentials {
        let mut hosts = Vec::new();
        if let Some(h) = api.host_str() {
            let with_port = |h: &str| match api.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            };
            hosts.push(with_port(h));
            if let Some(web) = h.strip_prefix("api.") {
                hosts.push(with_port(web));
            }
        }
        Credentials { token, hosts, allow_loopback_http: api.scheme() == "http" && is_loopback(api) }
    }

    /// The URL prefix the token is scoped to for `clone_url`, or `None` when
    /// the token must not be sent there.
    pub fn scope_for(&self, clone_url: &str) -> Option<String> {
        self.token.as_ref()?;
        let url = reqwest::Url::parse(clone_url).ok()?;
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str()?),
            None => url.host_str()?.to_string(),
        };
        if !self.hosts.contains(&host) {
            return None;
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_loopback_http && is_loopback(&url) => {}
            _ => return None,
        }
        Some(format!("{}://{host}/", url.scheme()))
    }
}

/// Whether a clone URL is local (a path or `file://`).
pub fn is_local(clone_url: &str) -> bool {
    clone_url.starts_with("file://") || clone_url.starts_with('/') || clone_url.starts_with('.')
}

/// The mirror directory of `full_name` under the cache directory.
pub fn mirror_path(cache: &Path, full_name: &str) -> Result<PathBuf> {
    let (owner, name) = full_name.split_once('/').ok_or_else(|| anyhow!("{full_name:?}: expected OWNER/NAME"))?;
    super::api::check_name(owner)?;
    super::api::check_name(name)?;
    Ok(cache.join("mirrors").join(owner).join(format!("{name}.git")))
}

/// What bringing a mirror up to date did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    Cloned,
    Fetched,
}

/// Clones `clone_url` as a mirror at `dir`, or fetches into the mirror there.
pub fn sync(dir: &Path, clone_url: &str, creds: &Credentials) -> Result<Sync> {
    let scheme_ok = is_local(clone_url)
        || clone_url.starts_with("https://")
        || (clone_url.starts_with("http://") && creds.allow_loopback_http);
    if !scheme_ok {
        bail!("clone URL scheme not allowed (https, or a local path)");
    }
    let scope = creds.scope_for(clone_url);
    if dir.join("HEAD").is_file() {
        run_git(Command::new("git").arg("-C").arg(dir).args(["remote", "set-url", "origin", clone_url]), None, creds)?;
        run_git(
            Command::new("git").arg("-C").arg(dir).args(["-c", "gc.auto=0", "fetch", "--prune", "--quiet", "origin"]),
            scope.as_deref(),
            creds,
        )?;
        return Ok(Sync::Fetched);
    }
    let parent = dir.parent().ok_or_else(|| anyhow!("{}: no parent directory", dir.display()))?;
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
    let tmp = dir.with_extension("git.partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove {}", tmp.display()))?;
    }
    run_git(
        Command::new("git").args(["clone", "--mirror", "--quiet", "--", clone_url]).arg(&tmp),
        scope.as_deref(),
        creds,
    )?;
    // A mirror must keep old objects until leakhound has seen them.
    run_git(Command::new("git").arg("-C").arg(&tmp).args(["config", "gc.auto", "0"]), None, creds)?;
    std::fs::rename(&tmp, dir).with_context(|| format!("cannot move the clone to {}", dir.display()))?;
    Ok(Sync::Cloned)
}

/// Runs git with no prompt, the token (if scoped) only in its environment;
/// errors carry git's stderr with the token scrubbed.
fn run_git(cmd: &mut Command, scope: Option<&str>, creds: &Credentials) -> Result<()> {
    cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_ASKPASS", "true").env_remove("GIT_CONFIG_PARAMETERS");
    cmd.stdin(std::process::Stdio::null());
    match (scope, &creds.token) {
        (Some(scope), Some(token)) => {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
            cmd.env("GIT_CONFIG_COUNT", "1")
                .env("GIT_CONFIG_KEY_0", format!("http.{scope}.extraHeader"))
                .env("GIT_CONFIG_VALUE_0", format!("Authorization: Basic {basic}"));
        }
        _ => {
            cmd.env("GIT_CONFIG_COUNT", "0");
        }
    }
    let out = cmd.output().context("cannot run git (is it installed?)")?;
    if out.status.success() {
        return Ok(());
    }
    let mut err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    if let Some(token) = &creds.token
        && !token.is_empty()
    {
        err = err.replace(token.as_str(), "[token]");
    }
    bail!("git failed ({}): {}", out.status, err.lines().take(5).collect::<Vec<_>>().join(" / "))
}

/// Commit ids that the mirror's refs point to (peeled), sorted; and the
/// commit of `default_branch` if it exists.
pub fn ref_tips(dir: &Path, default_branch: Option<&str>) -> Result<(Vec<String>, Option<String>)> {
    let repo = gix::open(dir).map_err(|e| anyhow!("{}: cannot open mirror: {e}", dir.display()))?;
    let mut tips = Vec::new();
    let refs = repo.references().map_err(|e| anyhow!("{}: cannot read refs: {e}", dir.display()))?;
    let all = refs.all().map_err(|e| anyhow!("{}: cannot read refs: {e}", dir.display()))?;
    for r in all {
        let Ok(mut r) = r else { continue };
        if let Ok(commit) = r.peel_to_commit() {
            tips.push(commit.id.to_string());
        }
    }
    tips.sort();
    tips.dedup();
    let head = match default_branch {
        Some(b) => repo
            .find_reference(format!("refs/heads/{b}").as_str())
            .ok()
            .and_then(|mut r| r.peel_to_commit().ok())
            .map(|c| c.id.to_string()),
        None => None,
    }
    .or_else(|| repo.head_id().ok().map(|id| id.to_string()));
    Ok((tips, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(api: &str) -> Credentials {
        let url = reqwest::Url::parse(api)
            .unwrap_or_else(|_| reqwest::Url::parse("https://x.invalid").unwrap_or_else(|_| unreachable!()));
        Credentials::for_api(&url, Some("ghp_token".into()))
    }

    #[test]
    fn token_goes_only_to_the_github_host_over_https() {
        let c = creds("https://api.github.com");
        assert_eq!(c.scope_for("https://github.com/a/b.git").as_deref(), Some("https://github.com/"));
        assert_eq!(c.scope_for("http://github.com/a/b.git"), None);
        assert_eq!(c.scope_for("https://evil.example/a/b.git"), None);
        assert_eq!(c.scope_for("https://github.com.evil.example/a/b.git"), None);
        assert_eq!(c.scope_for("file:///tmp/a.git"), None);
        let ghes = creds("https://ghe.example.com/api/v3");
        assert_eq!(ghes.scope_for("https://ghe.example.com/a/b.git").as_deref(), Some("https://ghe.example.com/"));
        let local = creds("http://127.0.0.1:8080");
        assert_eq!(local.scope_for("http://127.0.0.1:8080/a/b.git").as_deref(), Some("http://127.0.0.1:8080/"));
        assert_eq!(local.scope_for("http://127.0.0.1:9999/a/b.git"), None);
    }

    #[test]
    fn mirror_paths_stay_in_the_cache() {
        let cache = Path::new("/c");
        assert_eq!(mirror_path(cache, "acme/app").ok(), Some(PathBuf::from("/c/mirrors/acme/app.git")));
        assert!(mirror_path(cache, "acme/..").is_err());
        assert!(mirror_path(cache, "acme").is_err());
    }
}
