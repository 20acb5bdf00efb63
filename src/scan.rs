//! What every source shares: scan statistics (what was scanned, what was
//! skipped and why, which errors were met), progress reporting, and turning
//! an engine's matches in one buffer into located hits.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::engine::{Match, line_col};
use crate::findings::{Hit, Location, LocationKind};

/// Why a file or blob was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    Binary,
    TooLarge,
    Unreadable,
    GitLfs,
    Submodule,
    MissingObject,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Binary => "binary",
            SkipReason::TooLarge => "too-large",
            SkipReason::Unreadable => "unreadable",
            SkipReason::GitLfs => "git-lfs",
            SkipReason::Submodule => "submodule",
            SkipReason::MissingObject => "missing-object",
        }
    }
}

/// Counters and messages of one scan.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanStats {
    /// Files (working tree) or blobs (history) scanned.
    pub scanned: u64,
    pub bytes: u64,
    /// Commit messages scanned (history only).
    #[serde(default)]
    pub commit_messages: u64,
    pub skipped: BTreeMap<SkipReason, u64>,
    /// Problems met along the way, each naming its culprit.
    pub errors: Vec<String>,
    /// Notes (e.g. "shallow clone"), not errors.
    #[serde(default)]
    pub notes: Vec<String>,
    #[serde(with = "duration_ms")]
    pub duration: Duration,
    /// Bytes fed to the matcher (history: less than `bytes` when delta-aware
    /// scanning carried copied lines over; decoded bytes count too).
    #[serde(default)]
    pub matcher_bytes: u64,
    /// History: blobs scanned from their pack delta (changed lines only).
    #[serde(default)]
    pub delta_blobs: u64,
    /// History: delta blobs scanned in full instead, by reason.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub delta_fallbacks: BTreeMap<String, u64>,
}

mod duration_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

impl ScanStats {
    pub fn skip(&mut self, reason: SkipReason) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    pub fn merge(&mut self, other: ScanStats) {
        self.scanned += other.scanned;
        self.bytes += other.bytes;
        self.commit_messages += other.commit_messages;
        self.matcher_bytes += other.matcher_bytes;
        self.delta_blobs += other.delta_blobs;
        for (k, v) in other.delta_fallbacks {
            *self.delta_fallbacks.entry(k).or_default() += v;
        }
        for (k, v) in other.skipped {
            *self.skipped.entry(k).or_default() += v;
        }
        self.errors.extend(other.errors);
        self.notes.extend(other.notes);
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }
}

/// Per-thread results that merge into a shared total when dropped, so a
/// parallel source needs no lock on its hot path.
pub struct LocalResults<'a> {
    pub hits: Vec<Hit>,
    pub stats: ScanStats,
    shared: &'a Mutex<(Vec<Hit>, ScanStats)>,
}

impl<'a> LocalResults<'a> {
    pub fn new(shared: &'a Mutex<(Vec<Hit>, ScanStats)>) -> Self {
        LocalResults { hits: Vec::new(), stats: ScanStats::default(), shared }
    }
}

impl Drop for LocalResults<'_> {
    fn drop(&mut self) {
        // A poisoned lock means another thread panicked; keep its data anyway.
        let mut guard = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        guard.0.append(&mut self.hits);
        guard.1.merge(std::mem::take(&mut self.stats));
    }
}

/// Progress on stderr: drawn only when stderr is a terminal, not quiet, and
/// the scan has run for more than a moment.
#[derive(Clone)]
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
}

impl Progress {
    pub fn new(enabled: bool, what: &str) -> Progress {
        let enabled = enabled && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template(&format!("{{spinner}} {{pos}} {what} {{msg}} [{{elapsed}}] {{per_sec}}"))
        {
            bar.set_style(style);
        }
        Progress { bar, started: Instant::now(), enabled }
    }

    pub fn hidden() -> Progress {
        Progress { bar: ProgressBar::hidden(), started: Instant::now(), enabled: false }
    }

    /// Counts one unit of work.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
        if self.enabled && self.bar.is_hidden() && self.started.elapsed() > Duration::from_millis(300) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    pub fn set_length(&self, len: u64) {
        self.bar.set_length(len);
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed}/{eta}]") {
            self.bar.set_style(style);
        }
    }

    pub fn message(&self, msg: String) {
        self.bar.set_message(msg);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Turns the engine's matches in `buf` into located hits.
pub fn locate(
    buf: &[u8],
    matches: Vec<Match>,
    path: &str,
    kind: LocationKind,
    blob: Option<&str>,
) -> impl Iterator<Item = Hit> {
    let positions: Vec<(usize, usize, usize, usize, Option<&'static str>)> = matches
        .iter()
        .map(|m| {
            let (line, column) = line_col(buf, m.start);
            let (end_line, end_column) = line_col(buf, m.end);
            (line, column, end_line, end_column, crate::suppress::inline_marker(buf, m.start, m.end))
        })
        .collect();
    matches.into_iter().zip(positions).map(move |(m, (line, column, end_line, end_column, allow))| Hit {
        allow,
        rule: m.rule,
        secret: m.secret,
        groups: m.groups,
        location: Location {
            kind,
            path: path.to_string(),
            line,
            column,
            end_line,
            end_column,
            byte_start: m.start,
            byte_end: m.end,
            blob: blob.map(str::to_string),
            commit: None,
            in_head: None,
            decoded: m.decoded,
            fingerprint: String::new(),
        },
    })
}

/// The content gate every source applies before scanning: binary content
/// and Git LFS pointers are counted as skipped (false); what passes is
/// counted as scanned (true).
pub fn admit(stats: &mut ScanStats, data: &[u8]) -> bool {
    let skip = if looks_binary(data) {
        SkipReason::Binary
    } else if is_lfs_pointer(data) {
        SkipReason::GitLfs
    } else {
        stats.scanned += 1;
        stats.bytes += data.len() as u64;
        return true;
    };
    stats.skip(skip);
    false
}

/// Whether the start of a buffer looks binary (a NUL byte in the first 8 KiB,
/// as git decides).
pub fn looks_binary(buf: &[u8]) -> bool {
    memchr::memchr(0, &buf[..buf.len().min(8000)]).is_some()
}

/// Whether a buffer is a Git LFS pointer file.
pub fn is_lfs_pointer(buf: &[u8]) -> bool {
    buf.len() < 1024 && buf.starts_with(b"version https://git-lfs.github.com/spec/")
}
