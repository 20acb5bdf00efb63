//! Mirrors in the cache directory, kept with the `git` command line: a bare
//! `git clone --mirror` the first time, `git fetch --prune` into it later.
//!
//! The token never touches the disk, a URL or a log line: it is handed to
//! that one git process as an `http.<url>.extraHeader` through the
//! `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_0` / `GIT_CONFIG_VALUE_0`
//! environment, scoped to the GitHub host's URL prefix, and only for https
//! clone URLs on the configured host (or plain http on loopback when the API
//! itself is on loopback). Local clone URLs (a path or `file://`) get no token.
//!
//! A process killed at any moment must not leave a mirror that the next run
//! cannot use. A clone goes to a temporary directory that is renamed into
//! place, so a killed clone leaves nothing that looks like a mirror. A mirror
//! is only touched while its [`MirrorLock`] is held, by leakhound and by every
//! git it starts there (a git outlives a leakhound killed with SIGKILL), so
//! git lock files found under the lock were left by a git that died, and are
//! removed. A mirror that cannot be read is cloned again.

use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

/// How long to wait for a mirror that another process is using (another run
/// on the same cache directory, or a git left running by a killed one).
const LOCK_WAIT: Duration = Duration::from_secs(600);

/// Exclusive use of one mirror, for as long as this value lives and as long
/// as any git started through it runs: the lock (`flock` on a file beside the
/// mirror) is also held by each git, whose stdin is that file, so a git that
/// a kill left running keeps the mirror locked until it exits.
#[derive(Debug)]
pub struct MirrorLock {
    dir: PathBuf,
    file: File,
}

impl MirrorLock {
    /// Locks the mirror at `dir` (which need not exist yet), waiting up to
    /// ten minutes for another holder to finish.
    pub fn acquire(dir: &Path) -> Result<MirrorLock> {
        let parent = dir.parent().ok_or_else(|| anyhow!("{}: no parent directory", dir.display()))?;
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let path = dir.with_extension("git.in-use");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(MirrorLock { dir: dir.to_path_buf(), file }),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(TryLockError::WouldBlock) => bail!(
                    "mirror {} is still in use after {} s (another run on this cache directory, \
                     or a git left running by a killed one)",
                    dir.display(),
                    LOCK_WAIT.as_secs()
                ),
                Err(TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()));
                }
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A stdin for git that keeps the lock held while git runs.
    fn stdin(&self) -> Result<Stdio> {
        Ok(Stdio::from(self.file.try_clone().context("cannot share the mirror lock with git")?))
    }
}

/// What bringing a mirror up to date did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sync {
    Cloned,
    Fetched,
    /// Fetched after removing these lock files (relative to the mirror) that
    /// a git killed mid-write had left behind.
    FetchedAfterUnlocking(Vec<String>),
    /// The mirror could not be read (why) and was cloned again.
    Recloned(String),
}

/// Clones `clone_url` as a mirror at the locked directory, or fetches into
/// the mirror there; repairs what a killed git left behind.
pub fn sync(lock: &MirrorLock, clone_url: &str, creds: &Credentials) -> Result<Sync> {
    let scheme_ok = is_local(clone_url)
        || clone_url.starts_with("https://")
        || (clone_url.starts_with("http://") && creds.allow_loopback_http);
    if !scheme_ok {
        bail!("clone URL scheme not allowed (https, or a local path)");
    }
    let scope = creds.scope_for(clone_url);
    let dir = lock.dir();
    if !dir.exists() {
        clone(lock, clone_url, scope.as_deref(), creds)?;
        return Ok(Sync::Cloned);
    }
    if let Err(why) = check_readable(lock, creds) {
        clone(lock, clone_url, scope.as_deref(), creds)?;
        return Ok(Sync::Recloned(why));
    }
    let unlocked = remove_stale_locks(dir)?;
    run_git(
        Command::new("git").arg("--git-dir").arg(dir).args(["remote", "set-url", "origin", clone_url]),
        lock,
        None,
        creds,
    )?;
    run_git(
        // No gc, and no maintenance that would go on in the background, outside the lock.
        Command::new("git").arg("--git-dir").arg(dir).args([
            "-c",
            "gc.auto=0",
            "-c",
            "maintenance.auto=false",
            "fetch",
            "--prune",
            "--quiet",
            "origin",
        ]),
        lock,
        scope.as_deref(),
        creds,
    )?;
    Ok(if unlocked.is_empty() { Sync::Fetched } else { Sync::FetchedAfterUnlocking(unlocked) })
}

/// Clones into `NAME.git.partial`, then puts the clone in place of whatever
/// is at the mirror's path.
fn clone(lock: &MirrorLock, clone_url: &str, scope: Option<&str>, creds: &Credentials) -> Result<()> {
    let dir = lock.dir();
    let tmp = dir.with_extension("git.partial");
    let old = dir.with_extension("git.unusable");
    // Under the lock, leftovers of earlier attempts belong to no live process.
    for leftover in [&tmp, &old] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).with_context(|| format!("cannot remove {}", leftover.display()))?;
        }
    }
    run_git(Command::new("git").args(["clone", "--mirror", "--quiet", "--", clone_url]).arg(&tmp), lock, scope, creds)?;
    // A mirror must keep old objects until leakhound has seen them.
    run_git(Command::new("git").arg("--git-dir").arg(&tmp).args(["config", "gc.auto", "0"]), lock, None, creds)?;
    if dir.exists() {
        std::fs::rename(dir, &old).with_context(|| format!("cannot move {} aside", dir.display()))?;
    }
    std::fs::rename(&tmp, dir).with_context(|| format!("cannot move the clone to {}", dir.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(())
}

/// Whether the mirror can be fetched into and scanned: git and gix both
/// take it for a repository, and every ref leads to an object it has. The
/// reason when not.
fn check_readable(lock: &MirrorLock, creds: &Credentials) -> std::result::Result<(), String> {
    let dir = lock.dir();
    if !dir.join("HEAD").is_file() {
        return Err("it has no HEAD".into());
    }
    run_git(Command::new("git").arg("--git-dir").arg(dir).args(["rev-parse", "--git-dir"]), lock, None, creds)
        .map_err(|e| format!("{e:#}"))?;
    let repo = gix::open(dir).map_err(|e| format!("cannot open it: {e}"))?;
    let refs = repo.references().map_err(|e| format!("cannot read its refs: {e}"))?;
    for r in refs.all().map_err(|e| format!("cannot read its refs: {e}"))? {
        let mut r = r.map_err(|e| format!("cannot read its refs: {e}"))?;
        let name = r.name().as_bstr().to_string();
        let id = r.peel_to_id().map_err(|e| format!("{name}: {e}"))?.detach();
        if !repo.has_object(id) {
            return Err(format!("{name} points to {id}, which it does not have"));
        }
    }
    Ok(())
}

/// Removes the lock files that git takes while it writes refs, `HEAD`,
/// `config`, `shallow` or the commit-graph, and that stay behind when git is
/// killed (every later git refuses to touch what they lock). Called only
/// under the mirror's lock, when no git runs there. Returns their paths
/// relative to `dir`.
fn remove_stale_locks(dir: &Path) -> Result<Vec<String>> {
    // Loose object directories hold no locks: not worth a walk through them.
    let walked = [Path::new("refs"), Path::new("logs"), Path::new("objects/info")];
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))?;
        for entry in entries {
            let path = entry.with_context(|| format!("cannot read {}", d.display()))?.path();
            let rel = path.strip_prefix(dir).unwrap_or(&path);
            if path.is_dir() {
                if walked.iter().any(|w| rel.starts_with(w)) || rel == Path::new("objects") {
                    stack.push(path.clone());
                }
            } else if path.extension().is_some_and(|e| e == "lock") {
                std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
                found.push(rel.display().to_string());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Runs git with no prompt, holding the mirror's lock, the token (if scoped)
/// only in its environment; errors carry git's stderr with the token scrubbed.
fn run_git(cmd: &mut Command, lock: &MirrorLock, scope: Option<&str>, creds: &Credentials) -> Result<()> {
    cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_ASKPASS", "true").env_remove("GIT_CONFIG_PARAMETERS");
    cmd.stdin(lock.stdin()?);
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
