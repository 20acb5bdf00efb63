//! Changes for hooks: what is staged (index against HEAD) and what is not
//! (working tree against index). Only changed files are read, and only
//! secrets on added lines are reported: a secret already committed in a file
//! is not blamed on the next commit, a new copy of it is.
//!
//! Staged changes are found without walking the whole tree: the index's
//! cache-tree extension records the tree id of every directory it has not
//! invalidated, so a directory whose cached id equals HEAD's is skipped
//! whole, and only the trees along changed paths are read. A new file whose
//! blob HEAD had at a deleted path is a rename and adds nothing; a new file
//! similar to a deleted one is compared with it.

use std::collections::HashMap;
use std::ops::Range;

use anyhow::{Context as _, Result, bail};
use gix::ObjectId;
use gix::bstr::{BStr, BString, ByteSlice, ByteVec};
use gix::index::entry::{Flags, Mode, Stage};
use gix::odb::HeaderExt;
use gix::prelude::FindExt;
use rayon::prelude::*;

use super::GitOptions;
use super::diff::AddedLines;
use crate::engine::{Engine, Scratch};
use crate::findings::{Hit, LocationKind};
use crate::scan::{ScanStats, SkipReason, admit, locate, looks_binary};

/// Deleted files at most compared with a new file to find where it was
/// renamed from (beyond that, only exact renames are recognised).
const MAX_RENAME_CANDIDATES: usize = 32;

/// A staged file whose content differs from HEAD's.
struct Change {
    path: BString,
    old: Option<ObjectId>,
    new: ObjectId,
    mode: Mode,
}

/// Runs `protect --staged`.
pub(super) fn scan_staged(engine: &Engine, repo: &gix::Repository, opts: &GitOptions) -> Result<(Vec<Hit>, ScanStats)> {
    let mut stats = ScanStats::default();
    let index = repo.index_or_empty().context("cannot read the index")?;
    let head_tree = head_tree(repo)?;
    let mut cmp =
        Compare { repo, state: &index, changes: Vec::new(), deleted: Vec::new(), errors: Vec::new(), unmerged: 0 };
    let all = 0..index.entries().len();
    cmp.dir(BStr::new(""), head_tree, index.tree(), all);
    let Compare { changes, deleted, errors, unmerged, .. } = cmp;
    stats.errors.extend(errors);
    if unmerged > 0 {
        stats.notes.push(format!("{unmerged} unmerged (conflicted) index entries were not scanned"));
    }
    let renamed_from: HashMap<ObjectId, &BString> = deleted.iter().map(|(p, id)| (*id, p)).collect();
    let candidates: Vec<ObjectId> = deleted.iter().take(MAX_RENAME_CANDIDATES).map(|(_, id)| *id).collect();

    let sync = repo.clone().into_sync();
    let results: Vec<(Vec<Hit>, ScanStats)> = changes
        .par_iter()
        .map_init(
            || (sync.to_thread_local(), Vec::new(), Scratch::default()),
            |(repo, buf, scratch), change| {
                let mut stats = ScanStats::default();
                let mut hits = Vec::new();
                if change.old.is_none() && renamed_from.contains_key(&change.new) {
                    // A pure rename adds no line.
                    return (hits, stats);
                }
                if let Some(data) = load_staged(repo, change, opts, buf, &mut stats) {
                    let path = change.path.to_str_lossy();
                    let matches = engine.scan_with(data, Some(&path), scratch);
                    if !matches.is_empty() {
                        let olds: Vec<ObjectId> = match change.old {
                            Some(old) => vec![old],
                            None => best_rename_source(repo, data, &candidates).into_iter().collect(),
                        };
                        let added = added_against(repo, data, &olds, &mut stats);
                        let hex = change.new.to_string();
                        hits.extend(
                            locate(data, matches, &path, LocationKind::Staged, Some(&hex))
                                .filter(|h| added.any(h.location.line, h.location.end_line)),
                        );
                    }
                }
                (hits, stats)
            },
        )
        .collect();
    Ok(gathered(results, stats))
}

/// The hits of each file's scan, and its statistics merged into `stats`.
fn gathered(results: Vec<(Vec<Hit>, ScanStats)>, mut stats: ScanStats) -> (Vec<Hit>, ScanStats) {
    let mut hits = Vec::new();
    for (h, s) in results {
        hits.extend(h);
        stats.merge(s);
    }
    stats.errors.sort();
    (hits, stats)
}

/// HEAD's tree, or `None` in a repository with no commits yet.
fn head_tree(repo: &gix::Repository) -> Result<Option<ObjectId>> {
    let head = repo.head().context("cannot read HEAD")?;
    if head.is_unborn() {
        return Ok(None);
    }
    let id = repo.head_tree_id().context("cannot read HEAD's tree")?;
    Ok(Some(id.detach()))
}

/// Reads a staged blob, or counts why it is skipped.
fn load_staged<'b>(
    repo: &gix::Repository,
    change: &Change,
    opts: &GitOptions,
    buf: &'b mut Vec<u8>,
    stats: &mut ScanStats,
) -> Option<&'b [u8]> {
    if change.mode == Mode::COMMIT {
        stats.skip(SkipReason::Submodule);
        return None;
    }
    if change.mode != Mode::FILE && change.mode != Mode::FILE_EXECUTABLE {
        return None;
    }
    match repo.objects.header(change.new) {
        Ok(h) if h.size() > opts.max_blob_size => {
            stats.skip(SkipReason::TooLarge);
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            stats.errors.push(format!("{}: staged blob {}: {e}", change.path, change.new));
            stats.skip(SkipReason::MissingObject);
            return None;
        }
    }
    let data = match repo.objects.find(&change.new, buf) {
        Ok(d) => d.data,
        Err(e) => {
            stats.errors.push(format!("{}: staged blob {}: {e}", change.path, change.new));
            stats.skip(SkipReason::MissingObject);
            return None;
        }
    };
    if !admit(stats, data) {
        return None;
    }
    Some(data)
}

/// Lines of `new` that the old blobs do not have.
fn added_against(repo: &gix::Repository, new: &[u8], olds: &[ObjectId], stats: &mut ScanStats) -> AddedLines {
    let mut bufs: Vec<Vec<u8>> = Vec::with_capacity(olds.len());
    for id in olds {
        let mut buf = Vec::new();
        match repo.objects.find(id, &mut buf) {
            Ok(d) => {
                let len = d.data.len();
                buf.truncate(len);
                bufs.push(buf);
            }
            Err(e) => stats.errors.push(format!("blob {id}: {e}")),
        }
    }
    let olds: Vec<&[u8]> = bufs.iter().map(Vec::as_slice).collect();
    AddedLines::compute(new, &olds)
}

/// The deleted file a new file was most likely renamed from: the candidate
/// that leaves the fewest added lines, if it keeps at least half of them.
fn best_rename_source(repo: &gix::Repository, new: &[u8], candidates: &[ObjectId]) -> Option<ObjectId> {
    let lines = new.lines_with_terminator().count().max(1);
    let mut best: Option<(usize, ObjectId)> = None;
    let mut buf = Vec::new();
    for id in candidates {
        let Ok(d) = repo.objects.find(id, &mut buf) else { continue };
        if looks_binary(d.data) {
            continue;
        }
        let added = AddedLines::compute(new, &[d.data]);
        let count = (1..=lines).filter(|&l| added.any(l, l)).count();
        if count * 2 <= lines && best.is_none_or(|(c, _)| count < c) {
            best = Some((count, *id));
        }
    }
    best.map(|(_, id)| id)
}

/// Compares index entries with HEAD's tree, directory by directory.
struct Compare<'a> {
    repo: &'a gix::Repository,
    state: &'a gix::index::State,
    changes: Vec<Change>,
    /// Blobs at HEAD whose path the index no longer has.
    deleted: Vec<(BString, ObjectId)>,
    errors: Vec<String>,
    unmerged: usize,
}

/// An entry of a HEAD tree.
struct TreeEntry {
    name: BString,
    mode: gix::objs::tree::EntryMode,
    id: ObjectId,
}

impl Compare<'_> {
    /// Compares the index entries `range` (all under `prefix`, which is empty
    /// or ends in `/`) with `tree`, HEAD's tree at that directory.
    fn dir(
        &mut self,
        prefix: &BStr,
        tree: Option<ObjectId>,
        cache: Option<&gix::index::extension::Tree>,
        range: Range<usize>,
    ) {
        if let (Some(t), Some(c)) = (tree, cache)
            && c.num_entries.is_some()
            && c.id == t
        {
            return;
        }
        let tree_entries = match tree {
            Some(t) => self.read_tree(&t),
            None => Vec::new(),
        };
        let by_name: HashMap<&BStr, usize> =
            tree_entries.iter().enumerate().map(|(i, e)| (e.name.as_bstr(), i)).collect();
        let mut seen = vec![false; tree_entries.len()];
        let entries = self.state.entries();
        let mut i = range.start;
        while i < range.end {
            let entry = &entries[i];
            let path = entry.path(self.state);
            let rest = &path[prefix.len()..];
            if let Some(slash) = rest.find_byte(b'/') {
                let name = rest[..slash].as_bstr();
                let dir_prefix = path[..prefix.len() + slash + 1].as_bstr();
                let mut j = i + 1;
                while j < range.end && entries[j].path(self.state).starts_with(dir_prefix) {
                    j += 1;
                }
                let sub_tree = by_name.get(name).map(|&k| {
                    seen[k] = true;
                    &tree_entries[k]
                });
                let sub_id = match sub_tree {
                    Some(e) if e.mode.is_tree() => Some(e.id),
                    Some(e) => {
                        // A file became a directory.
                        self.deleted.push((path[..prefix.len() + slash].into(), e.id));
                        None
                    }
                    None => None,
                };
                let sub_cache = cache.and_then(|c| c.children.iter().find(|ch| ch.name.as_slice() == name.as_bytes()));
                let dir_prefix: BString = dir_prefix.to_owned();
                self.dir(dir_prefix.as_bstr(), sub_id, sub_cache, i..j);
                i = j;
                continue;
            }
            i += 1;
            if entry.stage() != Stage::Unconflicted {
                self.unmerged += 1;
                continue;
            }
            if entry.mode == Mode::DIR || entry.flags.contains(Flags::INTENT_TO_ADD) {
                // Sparse directories are unchanged by definition of the sparse
                // checkout; intent-to-add entries have no staged content yet.
                continue;
            }
            let old = by_name.get(rest).and_then(|&k| {
                seen[k] = true;
                let e = &tree_entries[k];
                if e.mode.is_tree() {
                    self.collect_deleted(path.into(), e.id);
                    None
                } else {
                    Some(e.id)
                }
            });
            if old == Some(entry.id) {
                continue;
            }
            self.changes.push(Change { path: path.to_owned(), old, new: entry.id, mode: entry.mode });
        }
        for (k, e) in tree_entries.iter().enumerate() {
            if seen[k] {
                continue;
            }
            let mut path: BString = prefix.to_owned();
            path.push_str(&e.name);
            if e.mode.is_tree() {
                self.collect_deleted(path, e.id);
            } else if e.mode.is_blob() {
                self.deleted.push((path, e.id));
            }
        }
    }

    fn read_tree(&mut self, id: &ObjectId) -> Vec<TreeEntry> {
        let mut buf = Vec::new();
        match self.repo.objects.find_tree_iter(id, &mut buf) {
            Ok(iter) => iter
                .filter_map(Result::ok)
                .map(|e| TreeEntry { name: e.filename.to_owned(), mode: e.mode, id: e.oid.to_owned() })
                .collect(),
            Err(e) => {
                self.errors.push(format!("HEAD tree {id}: {e}"));
                Vec::new()
            }
        }
    }

    /// Records every blob under a deleted directory (for rename detection).
    fn collect_deleted(&mut self, dir: BString, id: ObjectId) {
        for e in self.read_tree(&id) {
            let mut path = dir.clone();
            path.push(b'/');
            path.push_str(&e.name);
            if e.mode.is_tree() {
                self.collect_deleted(path, e.id);
            } else if e.mode.is_blob() {
                self.deleted.push((path, e.id));
            }
        }
    }
}

/// Runs `protect` without `--staged`: the working tree against the index,
/// as `git diff` shows it (untracked files are not part of it).
pub(super) fn scan_unstaged(
    engine: &Engine,
    repo: &gix::Repository,
    opts: &GitOptions,
) -> Result<(Vec<Hit>, ScanStats)> {
    let Some(workdir) = repo.workdir() else {
        bail!(
            "{}: a bare repository has no working tree; use `protect --staged` or `scan --git`",
            repo.git_dir().display()
        );
    };
    let index = repo.index_or_empty().context("cannot read the index")?;
    let state: &gix::index::State = &index;
    let timestamp = state.timestamp();
    let hash = repo.object_hash();
    let stat_options = gix::index::entry::stat::Options::default();
    let sync = repo.clone().into_sync();
    let results: Vec<(Vec<Hit>, ScanStats)> = state
        .entries()
        .par_iter()
        .map_init(
            || (sync.to_thread_local(), Vec::new(), Scratch::default()),
            |(repo, buf, scratch), entry| {
                let mut stats = ScanStats::default();
                let mut hits = Vec::new();
                if entry.stage() != Stage::Unconflicted
                    || entry.flags.intersects(Flags::SKIP_WORKTREE | Flags::ASSUME_VALID)
                {
                    return (hits, stats);
                }
                if entry.mode == Mode::COMMIT {
                    stats.skip(SkipReason::Submodule);
                    return (hits, stats);
                }
                if entry.mode != Mode::FILE && entry.mode != Mode::FILE_EXECUTABLE {
                    return (hits, stats);
                }
                let rel = entry.path(state);
                let Ok(rel_path) = gix::path::from_bstr(rel) else {
                    stats.errors.push(format!("{rel}: path cannot be represented on this system"));
                    return (hits, stats);
                };
                let file = workdir.join(rel_path);
                // A deleted file adds nothing; a directory in its place is untracked content.
                let Ok(meta) = gix::index::fs::Metadata::from_path_no_follow(&file) else {
                    return (hits, stats);
                };
                if !meta.is_file() {
                    return (hits, stats);
                }
                let unchanged_stat = gix::index::entry::Stat::from_fs(&meta).is_ok_and(|s| {
                    entry.stat.matches(&s, stat_options) && !entry.stat.is_racy(timestamp, stat_options)
                });
                if unchanged_stat {
                    return (hits, stats);
                }
                if meta.len() > opts.max_blob_size {
                    stats.skip(SkipReason::TooLarge);
                    return (hits, stats);
                }
                buf.clear();
                if let Err(e) = std::fs::File::open(&file).and_then(|mut f| std::io::Read::read_to_end(&mut f, buf)) {
                    stats.errors.push(format!("{}: cannot read: {e}", file.display()));
                    stats.skip(SkipReason::Unreadable);
                    return (hits, stats);
                }
                if gix::objs::compute_hash(hash, gix::objs::Kind::Blob, buf).is_ok_and(|id| id == entry.id) {
                    return (hits, stats);
                }
                if !admit(&mut stats, buf) {
                    return (hits, stats);
                }
                let path = rel.to_str_lossy();
                let matches = engine.scan_with(buf, Some(&path), scratch);
                if matches.is_empty() {
                    return (hits, stats);
                }
                let added = added_against(repo, buf, &[entry.id], &mut stats);
                hits.extend(
                    locate(buf, matches, &path, LocationKind::File, None)
                        .filter(|h| added.any(h.location.line, h.location.end_line)),
                );
                (hits, stats)
            },
        )
        .collect();
    Ok(gathered(results, ScanStats::default()))
}
