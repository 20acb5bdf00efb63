//! The append-only audit trail of every verification and revocation request:
//! one JSON line before each request and one after, each flushed (and, for
//! revocations, synced) before the run goes on, so a crash mid-run still shows
//! what was in flight. Lines carry a hash of the secret, never the secret, and
//! request paths with any credential replaced.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, Result};
use serde::Serialize;

/// Whether a request verifies (read-only) or revokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Verify,
    Revoke,
}

/// One audit line. Fields that do not apply to an event are left out.
#[derive(Debug, Clone, Serialize, Default)]
pub struct AuditEntry {
    /// `request`, `response`, `refused` or `result`.
    pub event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    pub provider: String,
    pub fingerprints: Vec<String>,
    pub secret_hashes: Vec<String>,
    /// Pairs a `request` line with its `response`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The open audit log of one run.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    file: Mutex<File>,
    run: String,
    next_request: AtomicU64,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    run: &'a str,
    #[serde(flatten)]
    entry: &'a AuditEntry,
}

impl AuditLog {
    /// Opens (creating parent directories) `path` for appending.
    pub fn open(path: &Path) -> Result<AuditLog> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create audit log directory {}", parent.display()))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open audit log {}", path.display()))?;
        let run = format!(
            "{:x}-{:x}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis()),
            std::process::id()
        );
        Ok(AuditLog { path: path.to_path_buf(), file: Mutex::new(file), run, next_request: AtomicU64::new(1) })
    }

    /// A fresh id pairing a request line with its response line.
    pub fn next_request_id(&self) -> u64 {
        self.next_request.fetch_add(1, Ordering::Relaxed)
    }

    /// Appends one line and flushes it; revocation lines are also synced to disk.
    pub fn write(&self, entry: &AuditEntry) -> Result<()> {
        let line = Line { time: now_rfc3339(), run: &self.run, entry };
        let mut text = serde_json::to_string(&line).context("cannot encode audit line")?;
        text.push('\n');
        let mut file = self.file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(text.as_bytes())
            .and_then(|_| file.flush())
            .with_context(|| format!("cannot write audit log {}", self.path.display()))?;
        if entry.action == Some(Action::Revoke) {
            file.sync_data().with_context(|| format!("cannot sync audit log {}", self.path.display()))?;
        }
        Ok(())
    }
}

/// Where the audit log goes when `--audit-log` is not given:
/// `$XDG_STATE_HOME/leakhound/audit.jsonl`, else `~/.local/state/leakhound/audit.jsonl`
/// (`%LOCALAPPDATA%\leakhound\audit.jsonl` on Windows).
pub fn default_path() -> Option<PathBuf> {
    let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if cfg!(windows) {
        from_env("LOCALAPPDATA")
    } else {
        from_env("XDG_STATE_HOME").or_else(|| from_env("HOME").map(|h| h.join(".local").join("state")))
    }?;
    Some(base.join("leakhound").join("audit.jsonl"))
}

/// The current time, RFC 3339 in UTC with millisecond precision.
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now).to_string()
}
