//! Provenance: where the blobs that matched came from. Every commit is
//! compared with its parents, tree by tree, skipping subtrees that a parent
//! has unchanged; a blob is *introduced* by a commit at a path when none of
//! the commit's parents has that blob at that path (so a merge introduces
//! only what no parent had, e.g. a conflict resolution). A hit becomes one
//! location per introduction whose diff added the line holding the secret,
//! so a commit that only touched other lines of a file is not blamed.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice, ByteVec};
use gix::prelude::FindExt;
use rayon::prelude::*;

use super::diff::AddedLines;
use super::{GitOptions, commit_info};
use crate::engine::{Engine, Scratch};
use crate::findings::{Commit, Hit, LocationKind};
use crate::scan::{ScanStats, locate};

/// A blob appearing at a path in a commit where no parent had it there.
#[derive(Debug, Clone)]
pub(super) struct Introduction {
    pub blob: ObjectId,
    pub path: BString,
    pub commit: ObjectId,
    /// The blobs the parents had at that path (empty for a new file).
    pub olds: Vec<ObjectId>,
}

/// Which blobs a tree comparison reports.
#[derive(Clone, Copy)]
pub(super) enum Want<'a> {
    All,
    Only(&'a HashSet<ObjectId>),
}

impl Want<'_> {
    fn wants(&self, id: &gix::oid) -> bool {
        match self {
            Want::All => true,
            Want::Only(set) => set.contains(id),
        }
    }
}

/// What comparing commits with their parents found.
pub(super) struct Introductions {
    pub introductions: Vec<Introduction>,
    /// Submodule commits (gitlinks) that the commits introduced.
    pub gitlinks: u64,
}

/// The blobs each of `commits` introduces (only `want`ed ones), in parallel.
/// Missing parents (a shallow boundary) count as no parent.
pub(super) fn introductions(
    repo: &gix::Repository,
    commits: &[ObjectId],
    want: Want<'_>,
    opts: &GitOptions,
    stats: &mut ScanStats,
) -> Introductions {
    let shallow = repo.is_shallow().unwrap_or(false);
    let sync = repo.clone().into_sync();
    let run = || {
        commits
            .par_iter()
            .map_init(
                || TreeDiff::new(sync.to_thread_local()),
                |differ, id| {
                    let mut out = Vec::new();
                    let error = differ.commit(id, want, shallow, &mut out).err();
                    (out, error, std::mem::take(&mut differ.gitlinks))
                },
            )
            .collect::<Vec<_>>()
    };
    let results = match rayon::ThreadPoolBuilder::new().num_threads(opts.threads.max(1)).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    };
    let mut all = Introductions { introductions: Vec::new(), gitlinks: 0 };
    for (intros, error, gitlinks) in results {
        all.introductions.extend(intros);
        stats.errors.extend(error);
        all.gitlinks += gitlinks;
    }
    all
}

/// Compares trees of one thread, reusing its buffers.
pub(super) struct TreeDiff {
    repo: gix::Repository,
    pool: Vec<Vec<u8>>,
    path: BString,
    /// Submodule commits (gitlinks) met among introduced entries.
    pub gitlinks: u64,
}

impl TreeDiff {
    pub(super) fn new(repo: gix::Repository) -> TreeDiff {
        TreeDiff { repo, pool: Vec::new(), path: BString::default(), gitlinks: 0 }
    }

    /// The wanted blobs `commit` introduces.
    fn commit(
        &mut self,
        commit: &ObjectId,
        want: Want<'_>,
        shallow: bool,
        out: &mut Vec<Introduction>,
    ) -> Result<(), String> {
        let mut buf = self.take_buf();
        let result = (|| {
            let c = self.repo.objects.find_commit(commit, &mut buf).map_err(|e| format!("commit {commit}: {e}"))?;
            let tree = c.tree();
            let parent_ids: Vec<ObjectId> = c.parents().collect();
            drop(c);
            let mut parents = Vec::with_capacity(parent_ids.len());
            let mut missing = None;
            for p in parent_ids {
                match self.repo.objects.find_commit(&p, &mut buf) {
                    Ok(pc) => parents.push(Some(pc.tree())),
                    Err(e) => {
                        if !shallow {
                            missing = Some(format!("commit {commit}: parent {p}: {e}"));
                        }
                        parents.push(None);
                    }
                }
            }
            self.path.clear();
            self.tree(&tree, &parents, want, *commit, out)?;
            missing.map_or(Ok(()), Err)
        })();
        self.pool.push(buf);
        result
    }

    /// The wanted blobs under `tree` (at `self.path`) that no parent tree has
    /// at the same path.
    pub(super) fn tree(
        &mut self,
        tree: &gix::oid,
        parents: &[Option<ObjectId>],
        want: Want<'_>,
        commit: ObjectId,
        out: &mut Vec<Introduction>,
    ) -> Result<(), String> {
        if parents.iter().any(|p| p.as_deref() == Some(tree)) {
            return Ok(());
        }
        let hash = self.repo.object_hash();
        let mut child_buf = self.take_buf();
        let mut parent_bufs: Vec<Vec<u8>> = parents.iter().map(|_| self.take_buf()).collect();
        let result = (|| {
            let data = self.repo.objects.find(tree, &mut child_buf).map_err(|e| format!("tree {tree}: {e}"))?;
            let child = gix::objs::TreeRef::from_bytes(data.data, hash).map_err(|e| format!("tree {tree}: {e}"))?;
            let mut parent_trees = Vec::with_capacity(parents.len());
            for (p, buf) in parents.iter().zip(parent_bufs.iter_mut()) {
                let parsed = match p {
                    Some(id) => match self.repo.objects.find(id, buf) {
                        Ok(d) => gix::objs::TreeRef::from_bytes(d.data, hash).ok(),
                        Err(e) => return Err(format!("tree {id}: {e}")),
                    },
                    None => None,
                };
                parent_trees.push(parsed);
            }
            for entry in &child.entries {
                let matched: Vec<Option<&gix::objs::tree::EntryRef<'_>>> = parent_trees
                    .iter()
                    .map(|t| {
                        t.as_ref()
                            .and_then(|t| t.entries.binary_search_by(|e| e.cmp(entry)).ok().map(|i| &t.entries[i]))
                    })
                    .collect();
                if entry.mode.is_tree() {
                    let subs: Vec<Option<ObjectId>> =
                        matched.iter().map(|m| m.filter(|e| e.mode.is_tree()).map(|e| e.oid.to_owned())).collect();
                    if subs.iter().any(|s| s.as_deref() == Some(entry.oid)) {
                        continue;
                    }
                    let len = self.path.len();
                    self.path.push_str(entry.filename);
                    self.path.push(b'/');
                    let r = self.tree(entry.oid, &subs, want, commit, out);
                    self.path.truncate(len);
                    r?;
                } else if entry.mode.is_blob_or_symlink() {
                    if !want.wants(entry.oid) || matched.iter().any(|m| m.is_some_and(|e| e.oid == entry.oid)) {
                        continue;
                    }
                    let mut path = self.path.clone();
                    path.push_str(entry.filename);
                    out.push(Introduction {
                        blob: entry.oid.to_owned(),
                        path,
                        commit,
                        olds: matched
                            .iter()
                            .filter_map(|m| m.filter(|e| e.mode.is_blob_or_symlink()).map(|e| e.oid.to_owned()))
                            .collect(),
                    });
                } else if entry.mode.is_commit() && !matched.iter().any(|m| m.is_some_and(|e| e.oid == entry.oid)) {
                    self.gitlinks += 1;
                }
            }
            Ok(())
        })();
        self.pool.push(child_buf);
        self.pool.append(&mut parent_bufs);
        result
    }

    fn take_buf(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }
}

/// The wanted blobs at each path of the tree of commit `head`.
pub(super) fn head_blobs(
    repo: &gix::Repository,
    head: Option<ObjectId>,
    want: Want<'_>,
    stats: &mut ScanStats,
) -> HashMap<BString, ObjectId> {
    let Some(head) = head else { return HashMap::new() };
    let mut buf = Vec::new();
    let tree = match repo.objects.find_commit(&head, &mut buf) {
        Ok(c) => c.tree(),
        Err(e) => {
            stats.errors.push(format!("commit {head}: {e}"));
            return HashMap::new();
        }
    };
    let mut differ = TreeDiff::new(repo.clone());
    let mut out = Vec::new();
    if let Err(e) = differ.tree(&tree, &[], want, head, &mut out) {
        stats.errors.push(e);
    }
    out.into_iter().map(|i| (i.path, i.blob)).collect()
}

/// Turns hits in blobs into located hits: each introduction of a matching
/// blob is scanned again under its real path (so path-aware rules decide),
/// and a hit is kept where the introducing commit added the secret's line,
/// with its commit, and whether the file at that path in `head` still holds
/// the same secret. Blobs that no commit introduces (unreachable, or written
/// without a commit) get their path-less hits at the path
/// `<unreachable blob ID>`.
pub(super) fn attach_introductions(
    engine: &Engine,
    repo: &gix::Repository,
    blob_hits: HashMap<ObjectId, Vec<Hit>>,
    intros: Vec<Introduction>,
    head: Option<ObjectId>,
    stats: &mut ScanStats,
) -> Vec<Hit> {
    let matched: HashSet<ObjectId> = blob_hits.keys().copied().collect();
    let at_head = head_blobs(repo, head, Want::Only(&matched), stats);
    let hash = repo.object_hash();
    let mut commits: HashMap<ObjectId, Option<Commit>> = HashMap::new();
    let mut introduced: HashSet<ObjectId> = HashSet::new();
    let mut scratch = Scratch::default();
    let mut new_buf = Vec::new();
    let mut old_bufs: Vec<Vec<u8>> = Vec::new();
    let mut located: Vec<(Hit, Option<BString>)> = Vec::new();
    for intro in &intros {
        if !blob_hits.contains_key(&intro.blob) {
            continue;
        }
        introduced.insert(intro.blob);
        let (data, added) = match load_with_added_lines(repo, intro, &mut new_buf, &mut old_bufs) {
            Ok(x) => x,
            Err(e) => {
                stats.errors.push(e);
                continue;
            }
        };
        let path = intro.path.to_str_lossy();
        let matches = engine.scan_with(data, Some(&path), &mut scratch);
        if matches.is_empty() {
            continue;
        }
        let commit = commits
            .entry(intro.commit)
            .or_insert_with(|| {
                let mut buf = Vec::new();
                repo.objects.find(&intro.commit, &mut buf).ok().and_then(|d| commit_info(&intro.commit, d.data, hash))
            })
            .clone();
        let hex = intro.blob.to_string();
        for mut h in locate(data, matches, &path, LocationKind::GitBlob, Some(&hex)) {
            if added.any(h.location.line, h.location.end_line) {
                h.location.commit = commit.clone();
                located.push((h, Some(intro.path.clone())));
            }
        }
    }
    for (blob, hits) in blob_hits.iter() {
        if introduced.contains(blob) {
            continue;
        }
        for hit in hits {
            let mut h = hit.clone();
            h.location.path = format!("<unreachable blob {blob}>");
            located.push((h, None));
        }
    }
    // The secrets each path of HEAD still holds (its blob's hits, any rule).
    let mut head_secrets: HashMap<&BString, HashSet<&str>> = HashMap::new();
    for (path, blob) in &at_head {
        if let Some(hits) = blob_hits.get(blob) {
            head_secrets.entry(path).or_default().extend(hits.iter().map(|h| h.secret.as_str()));
        }
    }
    located
        .into_iter()
        .map(|(mut h, path)| {
            let still = path.as_ref().and_then(|p| head_secrets.get(p)).is_some_and(|s| s.contains(h.secret.as_str()));
            h.location.in_head = Some(still);
            h
        })
        .collect()
}

/// Full-history provenance: introductions among `commits` of the blobs that
/// matched, attached relative to HEAD.
pub(super) fn attach(
    engine: &Engine,
    repo: &gix::Repository,
    blob_hits: HashMap<ObjectId, Vec<Hit>>,
    commits: &[ObjectId],
    opts: &GitOptions,
    stats: &mut ScanStats,
) -> Vec<Hit> {
    let matched: HashSet<ObjectId> = blob_hits.keys().copied().collect();
    let intros = introductions(repo, commits, Want::Only(&matched), opts, stats);
    let head = repo.head_id().ok().map(|id| id.detach());
    attach_introductions(engine, repo, blob_hits, intros.introductions, head, stats)
}

/// An introduced blob's content and the lines of it that none of the
/// parents' versions had.
fn load_with_added_lines<'b>(
    repo: &gix::Repository,
    intro: &Introduction,
    new_buf: &'b mut Vec<u8>,
    old_bufs: &mut Vec<Vec<u8>>,
) -> Result<(&'b [u8], AddedLines), String> {
    let len = repo.objects.find(&intro.blob, new_buf).map_err(|e| format!("blob {}: {e}", intro.blob))?.data.len();
    new_buf.truncate(len);
    if intro.olds.is_empty() {
        return Ok((new_buf, AddedLines::all()));
    }
    old_bufs.resize_with(intro.olds.len(), Vec::new);
    for (id, buf) in intro.olds.iter().zip(old_bufs.iter_mut()) {
        let len = repo.objects.find(id, buf).map_err(|e| format!("blob {id}: {e}"))?.data.len();
        buf.truncate(len);
    }
    let olds: Vec<&[u8]> = old_bufs[..intro.olds.len()].iter().map(Vec::as_slice).collect();
    let added = AddedLines::compute(new_buf, &olds);
    Ok((new_buf, added))
}
