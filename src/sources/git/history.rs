//! Full history, blob-first: every object of every pack and every loose
//! object (of the repository and its alternates) is decoded once; each
//! distinct blob is scanned once and each commit message once. Provenance is
//! attached afterwards, only to the blobs that matched.
//!
//! Packs are decoded with gix's delta-tree traversal: each delta is applied
//! exactly once on top of its already decoded base, on all threads, with no
//! delta cache to miss. If a pack is damaged the traversal stops, and the
//! pack is decoded again object by object so that every readable object is
//! still scanned and every unreadable one is named. Memory stays bounded:
//! only the objects being resolved are held (a chain of bases per thread),
//! plus about 50 bytes of index per object of the largest pack.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use anyhow::{Context as _, Result};
use gix::ObjectId;
use gix::objs::Kind;
use gix::odb::pack;
use gix::prelude::FindExt;
use gix::progress::Discard;
use rayon::prelude::*;

use super::delta::{self, Fallback, Memos};
use super::{GitOptions, commit_info, provenance, repo_notes};
use crate::engine::{Engine, Pieces, Scratch};
use crate::findings::{Hit, LocationKind, redact};
use crate::scan::{Progress, ScanStats, SkipReason, admit, locate};

/// Progress is counted in batches so that threads do not contend on it.
const PROGRESS_BATCH: u64 = 512;
/// Delta-base cache per thread when a damaged pack is decoded object by object.
const FALLBACK_CACHE_BYTES: usize = 32 * 1024 * 1024;

/// Runs a full-history scan: enumerate and scan, then attach provenance.
pub(super) fn scan(
    engine: &Engine,
    repo: &gix::Repository,
    opts: &GitOptions,
    progress: &Progress,
) -> Result<(Vec<Hit>, ScanStats)> {
    let mut stats = ScanStats::default();
    repo_notes(repo, &mut stats);
    let reachable = if opts.reachable_only {
        let (set, errors) = reachable_objects(repo)?;
        stats.errors.extend(errors);
        Some(set)
    } else {
        None
    };
    let found = if opts.verify_delta_scan {
        verify_delta_scan(engine, repo, opts, reachable.as_ref(), progress)?
    } else {
        enumerate(engine, repo, opts, reachable.as_ref(), progress)?
    };
    stats.merge(found.stats);
    note_submodules(repo, &mut stats);
    let mut hits = found.message_hits;
    if !found.blob_hits.is_empty() {
        progress.message("provenance".into());
        let commits = match &reachable {
            // Every commit of the object database, unreachable ones too, so
            // that a secret on a deleted branch still gets its commit.
            None => found.commits,
            Some(_) => reachable_commits(repo)?,
        };
        hits.extend(provenance::attach(engine, repo, found.blob_hits, &commits, opts, &mut stats));
    }
    stats.errors.sort();
    stats.errors.dedup();
    Ok((hits, stats))
}

/// The delta-aware scan's oracle: enumerates twice, delta-aware and in
/// full, and fails naming every finding that only one of them has. Returns
/// the full scan's results.
fn verify_delta_scan(
    engine: &Engine,
    repo: &gix::Repository,
    opts: &GitOptions,
    reachable: Option<&HashSet<ObjectId>>,
    progress: &Progress,
) -> Result<Found> {
    let full_opts = GitOptions { delta_scan: false, verify_delta_scan: false, ..opts.clone() };
    let delta_opts = GitOptions { delta_scan: true, ..full_opts.clone() };
    let mut full = enumerate(engine, repo, &full_opts, reachable, progress)?;
    let delta = enumerate(engine, repo, &delta_opts, reachable, &Progress::hidden())?;
    let keys = |found: &Found| -> HashSet<(String, String)> {
        found
            .blob_hits
            .iter()
            .flat_map(|(id, hits)| {
                hits.iter().map(move |h| {
                    let l = &h.location;
                    let rule = &engine.rule(h.rule).id;
                    let decoded = l.decoded.as_deref().unwrap_or("-");
                    // Secrets are compared in full but shown redacted.
                    let place =
                        format!("blob {id} bytes {}..{} rule {rule} decoded {decoded}", l.byte_start, l.byte_end);
                    (place, h.secret.clone())
                })
            })
            .collect()
    };
    let (full_keys, delta_keys) = (keys(&full), keys(&delta));
    let mut differences: Vec<String> = full_keys
        .difference(&delta_keys)
        .map(|(place, secret)| format!("only in the full scan: {place} secret {}", redact(secret)))
        .chain(
            delta_keys
                .difference(&full_keys)
                .map(|(place, secret)| format!("only in the delta-aware scan: {place} secret {}", redact(secret))),
        )
        .collect();
    if !differences.is_empty() {
        differences.sort();
        anyhow::bail!(
            "delta-aware scan differs from the full scan in {} finding(s) (please report this):\n  {}",
            differences.len(),
            differences.join("\n  ")
        );
    }
    full.stats.notes.push(format!(
        "delta-scan oracle: {} blobs scanned both ways, {} locations found by each, no differences; \
         delta-aware scanning fed {} to the matcher instead of {} ({} blobs from their delta)",
        full.stats.scanned,
        full_keys.len(),
        crate::report::human_bytes(delta.stats.matcher_bytes),
        crate::report::human_bytes(full.stats.matcher_bytes),
        delta.stats.delta_blobs,
    ));
    Ok(full)
}

/// Submodules live in other repositories: say so when HEAD has any.
fn note_submodules(repo: &gix::Repository, stats: &mut ScanStats) {
    let has_modules = repo.head_tree().ok().and_then(|t| t.find_entry(".gitmodules").map(|_| ())).is_some();
    if has_modules {
        stats.notes.push(
            "submodules (.gitmodules at HEAD) are not followed: scan each submodule's repository separately".into(),
        );
    }
}

/// What enumerating the object database produced.
#[derive(Default)]
pub(super) struct Found {
    /// Hits per matching blob, located in the blob but not yet at a path.
    pub blob_hits: HashMap<ObjectId, Vec<Hit>>,
    /// Hits in commit messages, complete with their commit.
    pub message_hits: Vec<Hit>,
    pub stats: ScanStats,
    /// Every commit seen (for provenance).
    pub commits: Vec<ObjectId>,
}

impl Found {
    fn absorb(&mut self, other: Found) {
        for (id, hits) in other.blob_hits {
            self.blob_hits.entry(id).or_default().extend(hits);
        }
        self.message_hits.extend(other.message_hits);
        self.stats.merge(other.stats);
        self.commits.extend(other.commits);
    }
}

/// What every worker thread shares.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    engine: &'a Engine,
    opts: &'a GitOptions,
    hash: gix::hash::Kind,
    reachable: Option<&'a HashSet<ObjectId>>,
    progress: &'a Progress,
    shared: &'a Mutex<Found>,
    /// The current pack, its memos for delta children (delta-aware scans only).
    pack: Option<(&'a pack::data::File, &'a pack::index::File, &'a Memos)>,
}

/// Per-thread state: results, scratch space, a progress counter. Cloning
/// makes a fresh worker for another thread; dropping merges its results.
struct Worker<'a> {
    ctx: &'a Ctx<'a>,
    found: Found,
    scratch: Scratch,
    unreported: u64,
    /// Re-inflates delta entries (delta-aware scans).
    inflate: gix::zlib::Inflate,
    delta: Vec<u8>,
}

/// Where a decoded object sits in its pack, for delta-aware scanning.
#[derive(Clone, Copy)]
struct InPack {
    /// Pack offset of the object's entry.
    offset: u64,
    /// Whether it is stored as a delta.
    is_delta: bool,
}

impl<'a> Worker<'a> {
    fn new(ctx: &'a Ctx<'a>) -> Worker<'a> {
        Worker {
            ctx,
            found: Found::default(),
            scratch: Scratch::default(),
            unreported: 0,
            inflate: gix::zlib::Inflate::default(),
            delta: Vec::new(),
        }
    }

    /// Handles one decoded object.
    fn object(&mut self, id: &gix::oid, kind: Kind, data: &[u8]) {
        self.object_at(id, kind, data, None);
    }

    /// Handles one decoded object of the pack being traversed.
    fn object_at(&mut self, id: &gix::oid, kind: Kind, data: &[u8], at: Option<InPack>) {
        self.unreported += 1;
        if self.unreported >= PROGRESS_BATCH {
            self.ctx.progress.inc(std::mem::take(&mut self.unreported));
        }
        if self.ctx.reachable.is_some_and(|r| !r.contains(id)) {
            return;
        }
        match kind {
            Kind::Blob => self.blob(id, data, at),
            Kind::Commit => self.commit(id, data),
            Kind::Tree | Kind::Tag => {}
        }
    }

    fn blob(&mut self, id: &gix::oid, data: &[u8], at: Option<InPack>) {
        let stats = &mut self.found.stats;
        if data.len() as u64 > self.ctx.opts.max_blob_size {
            stats.skip(SkipReason::TooLarge);
            return;
        }
        if self.ctx.opts.decode_only {
            stats.scanned += 1;
            stats.bytes += data.len() as u64;
            return;
        }
        if !admit(stats, data) {
            return;
        }
        let engine = self.ctx.engine;
        // Paths are not known yet: path-aware rules cannot decide here.
        let in_pack = self.ctx.pack.zip(at);
        let from_delta = match in_pack {
            Some(((file, index, memos), at)) if at.is_delta => {
                match self.delta_pieces(file, index, memos, at.offset, data) {
                    Ok(pieces) => {
                        self.found.stats.delta_blobs += 1;
                        Some(pieces)
                    }
                    Err(why) => {
                        *self.found.stats.delta_fallbacks.entry(why.as_str().to_string()).or_default() += 1;
                        None
                    }
                }
            }
            _ => None,
        };
        let pieces = from_delta.unwrap_or_else(|| engine.collect(data, None, &[(0, data.len())], &mut self.scratch));
        if let Some(((_, _, memos), at)) = in_pack {
            memos.remember(at.offset, &pieces, data.len());
        }
        self.found.stats.matcher_bytes += pieces.bytes as u64;
        let matches = engine.finish(data, None, pieces, &mut self.scratch);
        if !matches.is_empty() {
            let hex = id.to_string();
            let hits = locate(data, matches, "", LocationKind::GitBlob, Some(&hex));
            self.found.blob_hits.entry(id.to_owned()).or_default().extend(hits);
        }
    }

    /// The pieces of a delta child: its base's, carried over the lines the
    /// delta copied whole, plus the changed lines collected afresh.
    fn delta_pieces(
        &mut self,
        file: &pack::data::File,
        index: &pack::index::File,
        memos: &Memos,
        offset: u64,
        data: &[u8],
    ) -> Result<Pieces, Fallback> {
        // The traversal hands over the rebuilt object only; read the delta
        // entry's own header (for its base) and instructions again.
        let entry = file.entry(offset).map_err(|_| Fallback::BadDelta)?;
        let base = match entry.header {
            pack::data::entry::Header::OfsDelta { base_distance } => entry.checked_base_pack_offset(base_distance),
            pack::data::entry::Header::RefDelta { base_id } => {
                index.lookup(base_id).map(|i| index.pack_offset_at_index(i))
            }
            _ => None,
        }
        .ok_or(Fallback::BaseNotScanned)?;
        let base_pieces = memos.recall(base).ok_or(Fallback::BaseNotScanned)?;
        if data.len() >= delta::SMALL_BLOB && !base_pieces.all_segments {
            return Err(Fallback::Large);
        }
        let size = usize::try_from(entry.decompressed_size).map_err(|_| Fallback::BadDelta)?;
        // A delta is at most a few times its result (a damaged header must
        // not make us allocate gigabytes).
        if size > data.len().saturating_mul(16).saturating_add(64) {
            return Err(Fallback::BadDelta);
        }
        if size as f64 > data.len() as f64 * delta::MAX_DELTA_SHARE {
            return Err(Fallback::LargeDelta);
        }
        self.delta.resize(size, 0);
        file.decompress_entry(&entry, &mut self.inflate, &mut self.delta).map_err(|_| Fallback::BadDelta)?;
        let plan = delta::plan(&self.delta, data).ok_or(Fallback::BadDelta)?;
        if plan.changed_bytes() as f64 > data.len() as f64 * delta::MAX_CHANGED_SHARE {
            return Err(Fallback::MostlyChanged);
        }
        let mut pieces = base_pieces.carry(&plan.copies);
        pieces.extend(self.ctx.engine.collect(data, None, &plan.changed, &mut self.scratch));
        Ok(pieces)
    }

    fn commit(&mut self, id: &gix::oid, data: &[u8]) {
        self.found.commits.push(id.to_owned());
        if self.ctx.opts.decode_only {
            return;
        }
        let Ok(commit) = gix::objs::CommitRef::from_bytes(data, self.ctx.hash) else {
            self.found.stats.errors.push(format!("commit {id}: cannot parse"));
            return;
        };
        self.found.stats.commit_messages += 1;
        let message: &[u8] = commit.message;
        let matches = self.ctx.engine.scan_with(message, None, &mut self.scratch);
        if matches.is_empty() {
            return;
        }
        let info = commit_info(id, data, self.ctx.hash);
        let hex = id.to_string();
        for mut hit in locate(message, matches, &hex, LocationKind::CommitMessage, None) {
            hit.location.commit = info.clone();
            self.found.message_hits.push(hit);
        }
    }
}

impl Clone for Worker<'_> {
    fn clone(&self) -> Self {
        Worker::new(self.ctx)
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        self.ctx.progress.inc(std::mem::take(&mut self.unreported));
        // A poisoned lock means another thread panicked; keep its data anyway.
        let mut shared = self.ctx.shared.lock().unwrap_or_else(|e| e.into_inner());
        shared.absorb(std::mem::take(&mut self.found));
    }
}

/// Object directories: the repository's own, then its alternates.
fn object_dirs(repo: &gix::Repository, stats: &mut ScanStats) -> Vec<PathBuf> {
    let own = repo.objects.store_ref().path().to_owned();
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut dirs = vec![own.clone()];
    match gix::odb::alternate::resolve(own.clone(), &cwd) {
        Ok(alternates) => {
            if !alternates.is_empty() {
                stats.notes.push(format!(
                    "{}: also scanning {} alternate object store(s)",
                    own.display(),
                    alternates.len()
                ));
            }
            dirs.extend(alternates);
        }
        Err(e) => stats.errors.push(format!("{}: cannot read alternates: {e}", own.join("info/alternates").display())),
    }
    dirs
}

/// Pack index files of an object directory, by name for a stable order.
fn pack_indices(objects: &Path, stats: &mut ScanStats) -> Vec<PathBuf> {
    let dir = objects.join("pack");
    let mut out: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            stats.errors.push(format!("{}: cannot list packs: {e}", dir.display()));
            Vec::new()
        }
    };
    out.sort();
    out
}

/// Enumerates and scans every object; hits are not yet at a path.
pub(super) fn enumerate(
    engine: &Engine,
    repo: &gix::Repository,
    opts: &GitOptions,
    reachable: Option<&HashSet<ObjectId>>,
    progress: &Progress,
) -> Result<Found> {
    let hash = repo.object_hash();
    let mut total = Found::default();
    let dirs = object_dirs(repo, &mut total.stats);
    if opts.delta_scan && !opts.decode_only && !engine.splittable() {
        total.stats.notes.push(
            "delta-aware scanning is off: a rule without keywords is not bound to a path (or a keyword spans \
             lines), so every blob is scanned in full"
                .into(),
        );
    }
    let mut bundles = Vec::new();
    for dir in &dirs {
        for idx in pack_indices(dir, &mut total.stats) {
            match pack::Bundle::at(&idx, hash) {
                Ok(b) => bundles.push(b),
                Err(e) => total.stats.errors.push(format!("{}: cannot open pack: {e}", idx.display())),
            }
        }
    }
    let loose: Vec<(&PathBuf, Vec<ObjectId>)> =
        dirs.iter().map(|dir| (dir, loose_ids(dir, hash, &bundles, &mut total.stats))).collect();
    let loose_count: usize = loose.iter().map(|(_, ids)| ids.len()).sum();
    progress.set_length(bundles.iter().map(|b| u64::from(b.index.num_objects())).sum::<u64>() + loose_count as u64);
    progress.message("objects".into());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(opts.threads.max(1)).build().context("thread pool")?;

    std::thread::scope(|threads| {
        // The keyword automaton is built while the first pack's delta tree
        // is (both take milliseconds; the tree is built on one thread).
        if !opts.decode_only && !bundles.is_empty() {
            threads.spawn(|| engine.prepare());
        }
        for (i, bundle) in bundles.iter().enumerate() {
            let earlier = &bundles[..i];
            let shared = Mutex::new(Found::default());
            let ctx = Ctx { engine, opts, hash, reachable, progress, shared: &shared, pack: None };
            let traversed = traverse_pack(bundle, earlier, &ctx);
            let mut found = shared.into_inner().unwrap_or_else(|e| e.into_inner());
            if let Err(err) = traversed {
                // Start over object by object, so that one bad object costs only itself.
                let shared = Mutex::new(Found::default());
                let ctx = Ctx { engine, opts, hash, reachable, progress, shared: &shared, pack: None };
                pool.install(|| lookup_pack(bundle, earlier, &ctx));
                found = shared.into_inner().unwrap_or_else(|e| e.into_inner());
                found.stats.errors.push(format!(
                    "{}: damaged pack ({err}); decoded object by object instead",
                    bundle.pack.path().display()
                ));
            }
            total.absorb(found);
        }
    });

    for (dir, ids) in &loose {
        let shared = Mutex::new(Found::default());
        let ctx = Ctx { engine, opts, hash, reachable, progress, shared: &shared, pack: None };
        pool.install(|| scan_loose(dir, ids, &ctx));
        total.absorb(shared.into_inner().unwrap_or_else(|e| e.into_inner()));
    }
    Ok(total)
}

/// Whether an earlier pack holds `id` (it was scanned there).
fn seen_earlier(earlier: &[pack::Bundle], id: &gix::oid) -> bool {
    earlier.iter().any(|b| b.index.lookup(id).is_some())
}

/// Decodes a pack with gix's delta-tree traversal, every object once.
fn traverse_pack(bundle: &pack::Bundle, earlier: &[pack::Bundle], ctx: &Ctx<'_>) -> gix::Result<()> {
    let index = &bundle.index;
    let data = &bundle.pack;
    let mut order: Vec<(u64, u32)> = (0..index.num_objects()).map(|i| (index.pack_offset_at_index(i), i)).collect();
    order.sort_unstable();
    let memos;
    let delta_aware = ctx.opts.delta_scan && !ctx.opts.decode_only && ctx.engine.splittable();
    let local = if delta_aware {
        memos = Memos::new(order.iter().map(|&(offset, _)| offset).collect());
        Ctx { pack: Some((data, index, &memos)), ..*ctx }
    } else {
        *ctx
    };
    let ctx = &local;
    let interrupt = AtomicBool::new(false);
    let tree = pack::cache::delta::Tree::<u32>::from_offsets_in_pack(
        data.path(),
        order.into_iter().map(|(_, i)| i),
        &|i| index.pack_offset_at_index(*i),
        &|id| Ok(index.lookup(id).map(|i| index.pack_offset_at_index(i))),
        &mut Discard,
        &interrupt,
        ctx.hash,
    )?;
    let mut worker = Worker::new(ctx);
    tree.traverse(
        |range, pack: &pack::data::File| pack.entry_slice(range),
        data,
        data.pack_end() as u64,
        move |i: &mut u32, _progress, item| {
            let id = index.oid_at_index(*i);
            if let Some(kind) = item.entry.header.as_kind()
                && !seen_earlier(earlier, id)
            {
                let at = InPack { offset: item.entry.pack_offset(), is_delta: item.level > 0 };
                worker.object_at(id, kind, item.decompressed, Some(at));
            }
            Ok(())
        },
        pack::cache::delta::traverse::Options {
            object_progress: Box::new(Discard),
            size_progress: &mut Discard,
            thread_limit: Some(ctx.opts.threads.max(1)),
            should_interrupt: &interrupt,
            object_hash: ctx.hash,
            alloc_limit_bytes: None,
        },
    )?;
    Ok(())
}

/// Decodes a (damaged) pack object by object in pack order, with a
/// delta-base cache per thread; each failure is named and skipped.
fn lookup_pack(bundle: &pack::Bundle, earlier: &[pack::Bundle], ctx: &Ctx<'_>) {
    let index = &bundle.index;
    let data = &bundle.pack;
    let mut order: Vec<(u64, u32)> = (0..index.num_objects()).map(|i| (index.pack_offset_at_index(i), i)).collect();
    order.sort_unstable();
    let chunk = (order.len() / (ctx.opts.threads.max(1) * 8)).max(256);
    order.par_chunks(chunk).for_each_init(
        || {
            let cache_bytes = FALLBACK_CACHE_BYTES / ctx.opts.threads.max(1);
            (
                Worker::new(ctx),
                Vec::new(),
                gix::zlib::Inflate::default(),
                pack::cache::lru::MemoryCappedHashmap::new(cache_bytes),
            )
        },
        |(worker, buf, inflate, cache), chunk| {
            for &(offset, i) in chunk {
                let id = index.oid_at_index(i);
                if seen_earlier(earlier, id) {
                    continue;
                }
                let decoded = data.entry(offset).and_then(|entry| {
                    data.decode_entry(
                        entry,
                        buf,
                        inflate,
                        &|base, _| {
                            index
                                .lookup(base)
                                .map(|j| {
                                    data.entry(index.pack_offset_at_index(j))
                                        .map(pack::data::decode::entry::ResolvedBase::InPack)
                                })
                                .transpose()
                        },
                        cache,
                    )
                });
                match decoded {
                    Ok(outcome) => worker.object(id, outcome.kind, buf),
                    Err(err) => {
                        worker.unreported += 1;
                        worker
                            .found
                            .stats
                            .errors
                            .push(format!("object {id} in {}: cannot decode: {err}", data.path().display()));
                        worker.found.stats.skip(SkipReason::MissingObject);
                    }
                }
            }
        },
    );
}

/// Ids of the loose objects of `dir` that no pack holds.
fn loose_ids(dir: &Path, hash: gix::hash::Kind, bundles: &[pack::Bundle], stats: &mut ScanStats) -> Vec<ObjectId> {
    let store = gix::odb::loose::Store::at(dir, hash);
    let mut ids = Vec::new();
    for id in store.iter() {
        match id {
            Ok(id) if !seen_earlier(bundles, &id) => ids.push(id),
            Ok(_) => {}
            Err(e) => stats.errors.push(format!("{}: cannot list loose objects: {e}", dir.display())),
        }
    }
    ids
}

/// Scans the given loose objects of `dir`.
fn scan_loose(dir: &Path, ids: &[ObjectId], ctx: &Ctx<'_>) {
    let store = gix::odb::loose::Store::at(dir, ctx.hash);
    ids.par_iter().for_each_init(
        || (Worker::new(ctx), Vec::new()),
        |(worker, buf), id| {
            // Check the size first: a huge loose blob is never read into memory.
            match store.try_header(id) {
                Ok(Some((size, Kind::Blob))) if size > ctx.opts.max_blob_size => {
                    worker.unreported += 1;
                    worker.found.stats.skip(SkipReason::TooLarge);
                    return;
                }
                Ok(Some(_)) => {}
                Ok(None) => return,
                Err(e) => {
                    worker.unreported += 1;
                    worker.found.stats.errors.push(format!("object {id}: cannot read loose object: {e}"));
                    worker.found.stats.skip(SkipReason::MissingObject);
                    return;
                }
            }
            match store.try_find(id, buf) {
                Ok(Some(obj)) => worker.object(id, obj.kind, obj.data),
                Ok(None) => {}
                Err(e) => {
                    worker.unreported += 1;
                    worker.found.stats.errors.push(format!("object {id}: cannot read loose object: {e}"));
                    worker.found.stats.skip(SkipReason::MissingObject);
                }
            }
        },
    );
}

/// Commits reachable from refs and HEAD.
pub(super) fn reachable_commits(repo: &gix::Repository) -> Result<Vec<ObjectId>> {
    let tips = ref_tips(repo)?;
    let walk = repo.rev_walk(tips).all().context("cannot walk commits")?;
    let mut out = Vec::new();
    for info in walk {
        match info {
            Ok(info) => out.push(info.id),
            Err(e) => anyhow::bail!("cannot walk commits: {e}"),
        }
    }
    Ok(out)
}

/// Commits that refs (branches, tags, remotes, stash, notes) and HEAD point to.
pub(super) fn ref_tips(repo: &gix::Repository) -> Result<Vec<ObjectId>> {
    let mut tips = Vec::new();
    let refs = repo.references().context("cannot read refs")?;
    for r in refs.all().context("cannot read refs")? {
        let Ok(mut r) = r else { continue };
        if let Ok(commit) = r.peel_to_commit() {
            tips.push(commit.id);
        }
    }
    if let Ok(id) = repo.head_id() {
        tips.push(id.detach());
    }
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// Every object reachable from refs: commits, trees and blobs.
fn reachable_objects(repo: &gix::Repository) -> Result<(HashSet<ObjectId>, Vec<String>)> {
    let mut set = HashSet::new();
    let mut errors = Vec::new();
    let mut stack: Vec<ObjectId> = Vec::new();
    let mut buf = Vec::new();
    for commit in reachable_commits(repo)? {
        set.insert(commit);
        match repo.objects.find_commit(&commit, &mut buf) {
            Ok(c) => stack.push(c.tree()),
            Err(e) => errors.push(format!("commit {commit}: {e}")),
        }
        while let Some(tree) = stack.pop() {
            if !set.insert(tree) {
                continue;
            }
            match repo.objects.find_tree_iter(&tree, &mut buf) {
                Ok(iter) => {
                    for entry in iter {
                        let Ok(entry) = entry else { break };
                        if entry.mode.is_tree() {
                            if !set.contains(entry.oid) {
                                stack.push(entry.oid.to_owned());
                            }
                        } else if entry.mode.is_blob_or_symlink() {
                            set.insert(entry.oid.to_owned());
                        }
                    }
                }
                Err(e) => errors.push(format!("tree {tree}: {e}")),
            }
        }
    }
    Ok((set, errors))
}
