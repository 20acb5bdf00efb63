//! Git source: full history by blob, ranges and staged changes (gix).
//! Placeholder API; the implementation lands with the git-history issue.

use std::path::Path;

use anyhow::{Result, bail};

use crate::engine::Engine;
use crate::findings::Hit;
use crate::report::RepoInfo;
use crate::scan::{Progress, ScanStats};

/// Settings of a git scan.
#[derive(Debug, Clone)]
pub struct GitOptions {
    pub max_blob_size: u64,
    pub threads: usize,
    pub reachable_only: bool,
}

/// What a git scan produced.
pub struct GitScan {
    pub hits: Vec<Hit>,
    pub stats: ScanStats,
    pub repo: RepoInfo,
}

pub fn scan_history(_engine: &Engine, path: &Path, _opts: &GitOptions, _progress: &Progress) -> Result<GitScan> {
    bail!("{}: git history scanning is not implemented yet", path.display())
}

pub fn scan_range(
    _engine: &Engine,
    path: &Path,
    _range: &str,
    _opts: &GitOptions,
    _progress: &Progress,
) -> Result<GitScan> {
    bail!("{}: git range scanning is not implemented yet", path.display())
}

pub fn scan_staged(_engine: &Engine, path: &Path, _opts: &GitOptions) -> Result<GitScan> {
    bail!("{}: staged scanning is not implemented yet", path.display())
}

pub fn scan_unstaged(_engine: &Engine, path: &Path, _opts: &GitOptions) -> Result<GitScan> {
    bail!("{}: unstaged scanning is not implemented yet", path.display())
}
