//! Working-tree source: walks a directory in parallel with the `ignore`
//! crate (honouring .gitignore unless told not to), never enters `.git`,
//! skips binary and oversized files, and scans each file with the engine on
//! the walker's own threads with per-thread buffers.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::engine::{Engine, Scratch};
use crate::findings::{Hit, LocationKind};
use crate::scan::{LocalResults, Progress, ScanStats, SkipReason, admit, locate};

/// Settings of a working-tree walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub max_file_size: u64,
    pub no_ignore: bool,
    pub threads: usize,
    /// Paths (relative, `/`-separated) to leave out, decided by the caller.
    pub exclude: Option<globset::GlobSet>,
}

/// Scans every file under `root` (or `root` itself when it is a file).
pub fn scan_tree(engine: &Engine, root: &Path, opts: &WalkOptions, progress: &Progress) -> (Vec<Hit>, ScanStats) {
    let shared = Mutex::new((Vec::new(), ScanStats::default()));
    let mut stats_errors = Vec::new();
    match std::fs::metadata(root) {
        Err(e) => stats_errors.push(format!("{}: {e}", root.display())),
        Ok(meta) if meta.is_file() => {
            let mut local = LocalResults::new(&shared);
            let name =
                root.file_name().map_or_else(|| root.display().to_string(), |n| n.to_string_lossy().into_owned());
            scan_file(engine, root, &name, opts, &mut Vec::new(), &mut Scratch::default(), &mut local, progress);
        }
        Ok(_) => walk(engine, root, opts, &shared, progress),
    }
    let (hits, mut stats) = shared.into_inner().unwrap_or_else(|e| e.into_inner());
    stats.errors.extend(stats_errors);
    stats.errors.sort();
    (hits, stats)
}

fn walk(engine: &Engine, root: &Path, opts: &WalkOptions, shared: &Mutex<(Vec<Hit>, ScanStats)>, progress: &Progress) {
    let mut builder = WalkBuilder::new(root);
    builder
        .threads(opts.threads)
        .hidden(false)
        .follow_links(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git");
    if opts.no_ignore {
        builder.standard_filters(false).hidden(false);
    }
    builder.build_parallel().run(|| {
        let mut local = LocalResults::new(shared);
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut scratch = Scratch::default();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    local.stats.errors.push(walk_error_message(&err));
                    local.stats.skip(SkipReason::Unreadable);
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let rel = relative(root, path);
            if opts.exclude.as_ref().is_some_and(|g| g.is_match(&rel)) {
                return WalkState::Continue;
            }
            scan_file(engine, path, &rel, opts, &mut buf, &mut scratch, &mut local, progress);
            WalkState::Continue
        })
    });
}

/// Reads and scans one file; every problem is counted and named, none is fatal.
#[allow(clippy::too_many_arguments)]
fn scan_file(
    engine: &Engine,
    path: &Path,
    rel: &str,
    opts: &WalkOptions,
    buf: &mut Vec<u8>,
    scratch: &mut Scratch,
    local: &mut LocalResults<'_>,
    progress: &Progress,
) {
    progress.inc(1);
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            local.stats.errors.push(format!("{}: cannot open: {e}", path.display()));
            local.stats.skip(SkipReason::Unreadable);
            return;
        }
    };
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > opts.max_file_size {
        local.stats.skip(SkipReason::TooLarge);
        return;
    }
    buf.clear();
    // Read at most one byte past the cap, in case the file grew since stat.
    if let Err(e) = (&mut file).take(opts.max_file_size + 1).read_to_end(buf) {
        local.stats.errors.push(format!("{}: cannot read: {e}", path.display()));
        local.stats.skip(SkipReason::Unreadable);
        return;
    }
    if buf.len() as u64 > opts.max_file_size {
        local.stats.skip(SkipReason::TooLarge);
        return;
    }
    if !admit(&mut local.stats, buf) {
        return;
    }
    let matches = engine.scan_with(buf, Some(rel), scratch);
    if !matches.is_empty() {
        local.hits.extend(locate(buf, matches, rel, LocationKind::File, None));
    }
}

/// `path` relative to `root`, with `/` separators.
fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' { text.into_owned() } else { text.replace(std::path::MAIN_SEPARATOR, "/") }
}

fn walk_error_message(err: &ignore::Error) -> String {
    // ignore's errors already carry the path ("... : Permission denied").
    match err {
        ignore::Error::WithPath { path, err } => {
            format!("{}: {err}", PathBuf::from(path).display())
        }
        other => other.to_string(),
    }
}

/// Scans standard input as one buffer named `-`.
pub fn scan_stdin(engine: &Engine) -> (Vec<Hit>, ScanStats) {
    let mut stats = ScanStats::default();
    let mut buf = Vec::new();
    if let Err(e) = std::io::stdin().lock().read_to_end(&mut buf) {
        stats.errors.push(format!("<stdin>: cannot read: {e}"));
        return (Vec::new(), stats);
    }
    stats.scanned = 1;
    stats.bytes = buf.len() as u64;
    let matches = engine.scan(&buf, None);
    (locate(&buf, matches, "-", LocationKind::File, None).collect(), stats)
}
