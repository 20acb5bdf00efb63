//! Git source: full history by blob, commit ranges for CI, and staged or
//! unstaged changes for hooks, all read with gix (never `git log -p`).
//!
//! History is scanned blob-first: every object in the object database is
//! decoded once (packs through gix's delta-tree traversal, then loose
//! objects), each distinct blob is scanned once, and only the few blobs that
//! matched get provenance (introducing commit, path, author, date, whether
//! HEAD still holds the secret). Ranges and staged changes use the same
//! engine on the blobs they introduce, and blame only secrets on added lines.
//! See docs/git.md for the behaviour in detail.

mod delta;
mod diff;
mod history;
mod provenance;
mod range;
mod staged;

use std::path::Path;

use anyhow::{Result, anyhow, bail};

use crate::engine::Engine;
use crate::findings::{Commit, Hit};
use crate::report::RepoInfo;
use crate::scan::{Progress, ScanStats};

/// Settings of a git scan.
#[derive(Debug, Clone)]
pub struct GitOptions {
    pub max_blob_size: u64,
    pub threads: usize,
    pub reachable_only: bool,
    /// Benchmark mode: enumerate and decode every object exactly as a scan
    /// would, but run no matching (so a scan's cost can be compared honestly).
    pub decode_only: bool,
    /// Full-history scans: feed the matcher only the lines a pack delta
    /// changed, carrying the rest over from the delta's base (exact; see
    /// docs/git.md). Off: every blob is scanned in full.
    pub delta_scan: bool,
    /// Full-history scans: run delta-aware and full, and fail on any
    /// difference (an oracle for the delta-aware path).
    pub verify_delta_scan: bool,
}

impl Default for GitOptions {
    fn default() -> Self {
        GitOptions {
            max_blob_size: 25 * 1024 * 1024,
            threads: 1,
            reachable_only: false,
            decode_only: false,
            delta_scan: true,
            verify_delta_scan: false,
        }
    }
}

/// What a git scan produced.
pub struct GitScan {
    pub hits: Vec<Hit>,
    pub stats: ScanStats,
    pub repo: RepoInfo,
}

/// Scans every blob and commit message in the repository's object database
/// (or only what refs reach, with `reachable_only`).
pub fn scan_history(engine: &Engine, path: &Path, opts: &GitOptions, progress: &Progress) -> Result<GitScan> {
    let repo = open(path)?;
    history::scan(engine, &repo, opts, progress).map(|(hits, stats)| GitScan { hits, stats, repo: repo_info(&repo) })
}

/// Scans the blobs introduced and the commit messages written by the commits
/// of `range` (`BASE..HEAD`, or a single revision meaning `REV..HEAD`).
pub fn scan_range(
    engine: &Engine,
    path: &Path,
    range: &str,
    opts: &GitOptions,
    progress: &Progress,
) -> Result<GitScan> {
    let repo = open(path)?;
    range::scan(engine, &repo, range, opts, progress).map(|(hits, stats)| GitScan {
        hits,
        stats,
        repo: repo_info(&repo),
    })
}

/// Incremental scans (used by `leakhound github`): what the commits
/// reachable from `tips` and not from `seen` introduce, like a range scan
/// with several heads and several bases. Every blob reachable from `tips` but
/// not from `seen` is introduced by one of those commits, so nothing new is
/// missed; a blob seen before may be scanned again (a revert), never skipped
/// wrongly. Bases that the repository no longer has are dropped, which only
/// widens the scan. Locations are `in_head` relative to the repository's HEAD.
pub fn scan_new_commits(
    engine: &Engine,
    path: &Path,
    tips: &[String],
    seen: &[String],
    opts: &GitOptions,
    progress: &Progress,
) -> Result<GitScan> {
    let repo = open(path)?;
    let mut stats = ScanStats::default();
    repo_notes(&repo, &mut stats);
    let ids = |list: &[String]| -> Vec<gix::ObjectId> {
        list.iter()
            .filter_map(|t| gix::ObjectId::from_hex(t.as_bytes()).ok())
            .filter(|id| repo.has_object(id))
            .collect()
    };
    let (tips, seen) = (ids(tips), ids(seen));
    let mut commits = Vec::new();
    if !tips.is_empty() {
        let walk = repo.rev_walk(tips).with_hidden(seen);
        for info in walk.all().map_err(|e| anyhow!("{}: cannot walk commits: {e}", display_path(&repo)))? {
            match info {
                Ok(info) => commits.push(info.id),
                Err(e) => bail!("{}: cannot walk commits: {e}", display_path(&repo)),
            }
        }
    }
    let found = provenance::introductions(&repo, &commits, provenance::Want::All, opts, &mut stats);
    for _ in 0..found.gitlinks {
        stats.skip(crate::scan::SkipReason::Submodule);
    }
    let mut first_path: std::collections::HashMap<gix::ObjectId, String> = Default::default();
    for i in &found.introductions {
        first_path.entry(i.blob).or_insert_with(|| i.path.to_string());
    }
    let blobs: Vec<(gix::ObjectId, String)> = first_path.into_iter().collect();
    progress.set_length((blobs.len() + commits.len()) as u64);
    let (blob_hits, mut message_hits, scanned) = range::scan_objects(engine, &repo, &blobs, &commits, opts, progress);
    stats.merge(scanned);
    let intros = found.introductions.into_iter().filter(|i| blob_hits.contains_key(&i.blob)).collect();
    let head = repo.head_id().ok().map(|id| id.detach());
    let mut hits = provenance::attach_introductions(engine, &repo, blob_hits, intros, head, &mut stats);
    hits.append(&mut message_hits);
    stats.errors.sort();
    stats.errors.dedup();
    Ok(GitScan { hits, stats, repo: repo_info(&repo) })
}

/// Scans what is staged in the index against HEAD, blaming only added lines.
pub fn scan_staged(engine: &Engine, path: &Path, opts: &GitOptions) -> Result<GitScan> {
    let repo = open_for_hook(path)?;
    staged::scan_staged(engine, &repo, opts).map(|(hits, stats)| GitScan { hits, stats, repo: repo_info(&repo) })
}

/// Scans the working tree's changes against the index (what `git diff`
/// shows), blaming only added lines.
pub fn scan_unstaged(engine: &Engine, path: &Path, opts: &GitOptions) -> Result<GitScan> {
    let repo = open_for_hook(path)?;
    staged::scan_unstaged(engine, &repo, opts).map(|(hits, stats)| GitScan { hits, stats, repo: repo_info(&repo) })
}

/// Opens the repository at or above `path` (bare repositories included).
fn open(path: &Path) -> Result<gix::Repository> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    let mut repo = gix::discover(path).map_err(|e| anyhow!("{}: not a git repository ({e})", path.display()))?;
    // Trees and commits are looked up repeatedly during provenance.
    repo.object_cache_size_if_unset(8 * 1024 * 1024);
    Ok(repo)
}

/// Opens the repository as git hooks see it: `GIT_DIR`, `GIT_WORK_TREE`
/// and `GIT_INDEX_FILE` apply (`git commit -a` or `git commit PATH` run the
/// pre-commit hook against a temporary index named by `GIT_INDEX_FILE`).
fn open_for_hook(path: &Path) -> Result<gix::Repository> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    gix::discover_with_environment_overrides(path)
        .map_err(|e| anyhow!("{}: not a git repository ({e})", path.display()))
}

/// Notes every scan of a repository carries (shallow clones).
fn repo_notes(repo: &gix::Repository, stats: &mut ScanStats) {
    if repo.is_shallow().unwrap_or(false) {
        stats.notes.push(format!(
            "{}: shallow clone: history before the shallow boundary is not available, and commits at the \
             boundary are treated as root commits",
            display_path(repo)
        ));
    }
}

fn display_path(repo: &gix::Repository) -> String {
    repo.workdir().unwrap_or_else(|| repo.git_dir()).display().to_string()
}

/// Where the repository lives, what HEAD is, for reports.
fn repo_info(repo: &gix::Repository) -> RepoInfo {
    let uri = repo
        .config_snapshot()
        .string("remote.origin.url")
        .map(|u| strip_credentials(&u.to_string()))
        .unwrap_or_else(|| display_path(repo));
    let revision = repo.head_id().ok().map(|id| id.to_string());
    let branch = repo.head_name().ok().flatten().map(|n| n.shorten().to_string());
    RepoInfo { uri, revision, branch }
}

/// Drops `user:password@` from a URL, so a report never repeats a token
/// that sits in a remote's URL.
fn strip_credentials(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let host_end = rest.find('/').unwrap_or(rest.len());
        if let Some(at) = rest[..host_end].rfind('@') {
            return format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]);
        }
    }
    url.to_string()
}

/// Author, committer date and summary of a commit, from its raw bytes.
fn commit_info(id: &gix::oid, data: &[u8], hash: gix::hash::Kind) -> Option<Commit> {
    let commit = gix::objs::CommitRef::from_bytes(data, hash).ok()?;
    let author = commit.author().ok();
    let date =
        commit.time().ok().map(|t| t.format_or_unix(gix::date::time::format::ISO8601_STRICT)).unwrap_or_default();
    Some(Commit {
        id: id.to_string(),
        author_name: author.map(|a| a.name.to_string()).unwrap_or_default(),
        author_email: author.map(|a| a.email.to_string()).unwrap_or_default(),
        date,
        summary: commit.message().summary().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_stripped_from_remote_urls() {
        assert_eq!(strip_credentials("https://user:tok@github.com/a/b.git"), "https://github.com/a/b.git");
        assert_eq!(strip_credentials("https://github.com/a/b@c.git"), "https://github.com/a/b@c.git");
        assert_eq!(strip_credentials("git@github.com:a/b.git"), "git@github.com:a/b.git");
    }
}
