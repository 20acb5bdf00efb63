//! Ranges for CI: only what the commits of `BASE..HEAD` add. The commits are
//! those reachable from HEAD and not from BASE (merged-in branches
//! included); each is compared with all its parents, so a merge contributes
//! only what none of its parents had (a conflict resolution). Each distinct
//! introduced blob is scanned once, and a secret is blamed on a commit only
//! if that commit added the line holding it. Commit messages are scanned too.

use std::collections::HashMap;

use anyhow::{Result, bail};
use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::odb::HeaderExt;
use gix::prelude::FindExt;
use rayon::prelude::*;

use super::provenance::{self, Want};
use super::{GitOptions, commit_info, repo_notes};
use crate::engine::{Engine, Scratch};
use crate::findings::{Hit, LocationKind};
use crate::scan::{Progress, ScanStats, SkipReason, admit, locate};

/// Runs a range scan.
pub(super) fn scan(
    engine: &Engine,
    repo: &gix::Repository,
    range: &str,
    opts: &GitOptions,
    progress: &Progress,
) -> Result<(Vec<Hit>, ScanStats)> {
    let mut stats = ScanStats::default();
    repo_notes(repo, &mut stats);
    let (base_spec, head_spec) = split_range(range)?;
    let head = resolve(repo, head_spec, range)?;
    let base = if is_null_id(base_spec) {
        stats.notes.push(format!(
            "{range}: the base is the null commit (a new branch): every commit reachable from {head_spec} is scanned"
        ));
        None
    } else {
        Some(resolve(repo, base_spec, range)?)
    };
    let mut walk = repo.rev_walk([head]);
    if let Some(base) = base {
        walk = walk.with_hidden([base]);
    }
    let mut commits = Vec::new();
    for info in walk.all().map_err(|e| anyhow::anyhow!("{range}: cannot walk commits: {e}"))? {
        match info {
            Ok(info) => commits.push(info.id),
            Err(e) => bail!("{range}: cannot walk commits: {e}"),
        }
    }
    progress.message("commits".into());
    let found = provenance::introductions(repo, &commits, Want::All, opts, &mut stats);
    for _ in 0..found.gitlinks {
        stats.skip(SkipReason::Submodule);
    }
    let intros = found.introductions;

    // Each distinct blob once, scanned under the first path it was seen at.
    let mut first_path: HashMap<ObjectId, &gix::bstr::BStr> = HashMap::new();
    for i in &intros {
        first_path.entry(i.blob).or_insert(i.path.as_ref());
    }
    let blobs: Vec<(ObjectId, String)> =
        first_path.into_iter().map(|(id, p)| (id, p.to_str_lossy().into_owned())).collect();
    progress.set_length((blobs.len() + commits.len()) as u64);
    progress.message("blobs".into());
    let (blob_hits, mut message_hits, scanned) = scan_objects(engine, repo, &blobs, &commits, opts, progress);
    stats.merge(scanned);

    let intros = intros.into_iter().filter(|i| blob_hits.contains_key(&i.blob)).collect();
    let mut hits = provenance::attach_introductions(engine, repo, blob_hits, intros, Some(head), &mut stats);
    hits.append(&mut message_hits);
    stats.errors.sort();
    stats.errors.dedup();
    Ok((hits, stats))
}

/// `BASE..HEAD`, `BASE..` (HEAD) or a lone `BASE` (meaning `BASE..HEAD`).
fn split_range(range: &str) -> Result<(&str, &str)> {
    if range.contains("...") {
        bail!("{range}: symmetric ranges (A...B) are not supported; use BASE..HEAD");
    }
    let (base, head) = match range.split_once("..") {
        Some((b, h)) => (b.trim(), h.trim()),
        None => (range.trim(), "HEAD"),
    };
    if base.is_empty() {
        bail!("{range}: the range has no base; use BASE..HEAD");
    }
    Ok((base, if head.is_empty() { "HEAD" } else { head }))
}

/// The all-zero id that CI systems send as the "before" of a new branch.
fn is_null_id(spec: &str) -> bool {
    spec.len() >= 40 && spec.bytes().all(|b| b == b'0')
}

/// Resolves a revision to a commit, naming it clearly when it is unknown.
fn resolve(repo: &gix::Repository, spec: &str, range: &str) -> Result<ObjectId> {
    match repo.rev_parse_single(format!("{spec}^{{commit}}").as_str()) {
        Ok(id) => Ok(id.detach()),
        Err(e) => bail!(
            "unknown revision '{spec}' in range '{range}': it is not a commit of this repository (was it \
             force-pushed away, or is the clone too shallow to reach it? fetch it, or scan a smaller range): {e}"
        ),
    }
}

/// Scans distinct blobs (each under one path) and the commits' messages, in
/// parallel with a repository handle per thread.
pub(super) fn scan_objects(
    engine: &Engine,
    repo: &gix::Repository,
    blobs: &[(ObjectId, String)],
    commits: &[ObjectId],
    opts: &GitOptions,
    progress: &Progress,
) -> (HashMap<ObjectId, Vec<Hit>>, Vec<Hit>, ScanStats) {
    let sync = repo.clone().into_sync();
    let hash = repo.object_hash();
    let work: Vec<Job<'_>> =
        blobs.iter().map(|(id, path)| Job::Blob(id, path)).chain(commits.iter().map(Job::Commit)).collect();
    let run = || {
        work.par_iter()
            .map_init(
                || (sync.to_thread_local(), Vec::new(), Scratch::default()),
                |(repo, buf, scratch), job| {
                    progress.inc(1);
                    let mut stats = ScanStats::default();
                    let hits = match *job {
                        Job::Blob(id, path) => {
                            scan_blob(engine, repo, id, path, opts, buf, scratch, &mut stats).map(|h| (Some(*id), h))
                        }
                        Job::Commit(id) => {
                            scan_message(engine, repo, id, hash, buf, scratch, &mut stats).map(|h| (None, h))
                        }
                    };
                    (hits, stats)
                },
            )
            .collect::<Vec<_>>()
    };
    let results = match rayon::ThreadPoolBuilder::new().num_threads(opts.threads.max(1)).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    let mut blob_hits: HashMap<ObjectId, Vec<Hit>> = HashMap::new();
    let mut message_hits = Vec::new();
    let mut stats = ScanStats::default();
    for (hits, s) in results {
        stats.merge(s);
        match hits {
            Some((Some(id), h)) => blob_hits.entry(id).or_default().extend(h),
            Some((None, h)) => message_hits.extend(h),
            None => {}
        }
    }
    (blob_hits, message_hits, stats)
}

enum Job<'a> {
    Blob(&'a ObjectId, &'a str),
    Commit(&'a ObjectId),
}

/// Scans one blob; `None` when it has no matches or was skipped.
#[allow(clippy::too_many_arguments)]
pub(super) fn scan_blob(
    engine: &Engine,
    repo: &gix::Repository,
    id: &ObjectId,
    path: &str,
    opts: &GitOptions,
    buf: &mut Vec<u8>,
    scratch: &mut Scratch,
    stats: &mut ScanStats,
) -> Option<Vec<Hit>> {
    match repo.objects.header(id) {
        Ok(h) if h.size() > opts.max_blob_size => {
            stats.skip(SkipReason::TooLarge);
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            stats.errors.push(format!("blob {id} ({path}): {e}"));
            stats.skip(SkipReason::MissingObject);
            return None;
        }
    }
    let data = match repo.objects.find(id, buf) {
        Ok(d) => d.data,
        Err(e) => {
            stats.errors.push(format!("blob {id} ({path}): {e}"));
            stats.skip(SkipReason::MissingObject);
            return None;
        }
    };
    if !admit(stats, data) {
        return None;
    }
    let matches = engine.scan_with(data, Some(path), scratch);
    if matches.is_empty() {
        return None;
    }
    let hex = id.to_string();
    Some(locate(data, matches, path, LocationKind::GitBlob, Some(&hex)).collect())
}

/// Scans one commit's message.
fn scan_message(
    engine: &Engine,
    repo: &gix::Repository,
    id: &ObjectId,
    hash: gix::hash::Kind,
    buf: &mut Vec<u8>,
    scratch: &mut Scratch,
    stats: &mut ScanStats,
) -> Option<Vec<Hit>> {
    let data = match repo.objects.find(id, buf) {
        Ok(d) => d.data,
        Err(e) => {
            stats.errors.push(format!("commit {id}: {e}"));
            return None;
        }
    };
    let commit = gix::objs::CommitRef::from_bytes(data, hash).ok()?;
    stats.commit_messages += 1;
    let message: &[u8] = commit.message;
    let matches = engine.scan_with(message, None, scratch);
    if matches.is_empty() {
        return None;
    }
    let info = commit_info(id, data, hash);
    let hex = id.to_string();
    Some(
        locate(message, matches, &hex, LocationKind::CommitMessage, None)
            .map(|mut h| {
                h.location.commit = info.clone();
                h
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_split() {
        assert_eq!(split_range("a..b").ok(), Some(("a", "b")));
        assert_eq!(split_range("a..").ok(), Some(("a", "HEAD")));
        assert_eq!(split_range("abc").ok(), Some(("abc", "HEAD")));
        assert!(split_range("..b").is_err());
        assert!(split_range("a...b").is_err());
        assert!(is_null_id("0000000000000000000000000000000000000000"));
        assert!(!is_null_id("0"));
    }
}
