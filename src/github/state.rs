//! The state store of nightly scans: one SQLite file in the cache directory
//! that remembers, per repository, which ref tips were scanned and with which
//! rules, every finding with the run that first and last saw it and its
//! verification status, and one row per repository per run. Each repository
//! is recorded in one transaction, so a process killed at any point loses at
//! most the repository in flight.
//!
//! It stores secrets (so that later nights can verify them again): the cache
//! directory is as sensitive as the mirrors beside it, which hold them too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::findings::Finding;
use crate::verify::Status;

/// Bumped when the schema changes incompatibly.
const SCHEMA_VERSION: i64 = 1;
/// An interrupted run is resumed only if it started less than this long ago.
const RESUME_WINDOW: Duration = Duration::from_secs(20 * 3600);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    findings INTEGER,
    new_findings INTEGER,
    live INTEGER,
    revoked INTEGER
);
CREATE TABLE IF NOT EXISTS repos (
    full_name TEXT PRIMARY KEY,
    tips TEXT NOT NULL,
    rules TEXT NOT NULL,
    scanned_run INTEGER NOT NULL,
    scanned_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS repo_runs (
    run INTEGER NOT NULL,
    repo TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (run, repo)
);
CREATE TABLE IF NOT EXISTS findings (
    repo TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    provider TEXT NOT NULL,
    finding TEXT NOT NULL,
    first_seen_run INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen_run INTEGER NOT NULL,
    last_seen TEXT NOT NULL,
    status TEXT,
    live_since TEXT,
    PRIMARY KEY (repo, fingerprint)
);
";

/// What the store remembers of a repository's last scan.
#[derive(Debug, Clone, Default)]
pub struct RepoState {
    /// Commit ids that the refs pointed to, sorted.
    pub tips: Vec<String>,
    /// Rule id to hash of its detection-relevant definition.
    pub rules: BTreeMap<String, String>,
}

/// A finding as the store holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFinding {
    pub repo: String,
    #[serde(flatten)]
    pub finding: Finding,
    pub first_seen_run: i64,
    pub first_seen: String,
    pub last_seen_run: i64,
    pub last_seen: String,
    /// Set while the credential has been live on every check since then.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub live_since: Option<String>,
}

/// What one run did to one repository (also what a resumed run reports for
/// repositories that an interrupted attempt already finished).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RepoOutcome {
    /// `full`, `incremental`, `rules-changed`, `unchanged` or `failed`.
    pub mode: String,
    pub blobs_scanned: u64,
    pub bytes_scanned: u64,
    pub commits_scanned: u64,
    pub new_findings: usize,
    /// Rules that were re-run over the whole history because they changed.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub changed_rules: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sarif: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub uploaded: Option<String>,
    pub duration_ms: u64,
}

/// One point of the findings-over-time chart.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HistoryPoint {
    pub run: i64,
    pub date: String,
    pub findings: i64,
    pub new_findings: i64,
    pub live: i64,
    pub revoked: i64,
}

/// An open state store.
pub struct Store {
    conn: Connection,
}

/// Now, RFC 3339 in UTC to the second.
pub fn now() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second()).unwrap_or(now).to_string()
}

impl Store {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Store> {
        let conn = Connection::open(path).with_context(|| format!("cannot open state store {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA).with_context(|| format!("{}: cannot create tables", path.display()))?;
        let version: Option<String> =
            conn.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0)).optional()?;
        match version {
            None => {
                conn.execute("INSERT INTO meta (key, value) VALUES ('schema', ?1)", [SCHEMA_VERSION.to_string()])?;
            }
            Some(v) if v == SCHEMA_VERSION.to_string() => {}
            Some(v) => anyhow::bail!(
                "{}: state store schema {v} is not {SCHEMA_VERSION}; use another --cache-dir",
                path.display()
            ),
        }
        Ok(Store { conn })
    }

    /// Starts a run for `scope`, or resumes the interrupted run of the same
    /// scope (so its "new tonight" stays what it was). Returns (id, resumed).
    pub fn begin_run(&self, scope: &str) -> Result<(i64, bool)> {
        let open: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, started_at FROM runs WHERE scope = ?1 AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
                [scope],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, started)) = open {
            let recent = started
                .parse::<jiff::Timestamp>()
                .is_ok_and(|t| jiff::Timestamp::now().duration_since(t).as_secs() < RESUME_WINDOW.as_secs() as i64);
            if recent {
                return Ok((id, true));
            }
            // Too old to be "tonight": close it as it is.
            self.conn.execute("UPDATE runs SET finished_at = ?2 WHERE id = ?1", params![id, now()])?;
        }
        self.conn.execute("INSERT INTO runs (scope, started_at) VALUES (?1, ?2)", params![scope, now()])?;
        Ok((self.conn.last_insert_rowid(), false))
    }

    /// When `run` started.
    pub fn run_started(&self, run: i64) -> Result<String> {
        Ok(self
            .conn
            .query_row("SELECT started_at FROM runs WHERE id = ?1", [run], |r| r.get(0))
            .optional()?
            .unwrap_or_else(now))
    }

    /// A free-form value (e.g. the digest of the last SARIF uploaded for a repository).
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", params![key, value])?;
        Ok(())
    }

    /// Marks a run finished and stores its totals for the chart.
    pub fn finish_run(&self, run: i64) -> Result<()> {
        let p = self.point(run)?;
        self.conn.execute(
            "UPDATE runs SET finished_at = ?2, findings = ?3, new_findings = ?4, live = ?5, revoked = ?6 WHERE id = ?1",
            params![run, now(), p.findings, p.new_findings, p.live, p.revoked],
        )?;
        Ok(())
    }

    /// Totals as of `run`, computed from the findings.
    fn point(&self, run: i64) -> Result<HistoryPoint> {
        let count = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [run], |r| r.get(0))?) };
        let date: String = self
            .conn
            .query_row("SELECT started_at FROM runs WHERE id = ?1", [run], |r| r.get(0))
            .optional()?
            .unwrap_or_else(now);
        Ok(HistoryPoint {
            run,
            date,
            findings: count("SELECT COUNT(*) FROM findings WHERE first_seen_run <= ?1")?,
            new_findings: count("SELECT COUNT(*) FROM findings WHERE first_seen_run = ?1")?,
            live: count("SELECT COUNT(*) FROM findings WHERE first_seen_run <= ?1 AND status = 'live'")?,
            revoked: count("SELECT COUNT(*) FROM findings WHERE first_seen_run <= ?1 AND status = 'revoked'")?,
        })
    }

    /// Totals of every finished run, then the current one.
    pub fn history(&self, current: i64) -> Result<Vec<HistoryPoint>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, started_at, findings, new_findings, live, revoked FROM runs
             WHERE finished_at IS NOT NULL AND findings IS NOT NULL AND id <> ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([current], |r| {
            Ok(HistoryPoint {
                run: r.get(0)?,
                date: r.get(1)?,
                findings: r.get(2)?,
                new_findings: r.get(3)?,
                live: r.get(4)?,
                revoked: r.get(5)?,
            })
        })?;
        let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(self.point(current)?);
        Ok(out)
    }

    /// What the last scan of `repo` covered.
    pub fn repo(&self, repo: &str) -> Result<Option<RepoState>> {
        let row: Option<(String, String)> = self
            .conn
            .query_row("SELECT tips, rules FROM repos WHERE full_name = ?1", [repo], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map(|(tips, rules)| RepoState {
            tips: tips.split_whitespace().map(str::to_string).collect(),
            rules: serde_json::from_str(&rules).unwrap_or_default(),
        }))
    }

    /// The outcome recorded for `repo` in `run`, if this run already did it.
    pub fn outcome(&self, run: i64, repo: &str) -> Result<Option<RepoOutcome>> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT outcome FROM repo_runs WHERE run = ?1 AND repo = ?2", params![run, repo], |r| r.get(0))
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Records a scanned repository in one transaction: its new findings
    /// (merged into known ones), its tips and rules, and this run's outcome.
    /// Returns the fingerprints that were new.
    pub fn record_repo(
        &mut self,
        run: i64,
        repo: &str,
        state: &RepoState,
        findings: Vec<Finding>,
        outcome: &mut RepoOutcome,
    ) -> Result<BTreeSet<String>> {
        let now = now();
        let tx = self.conn.transaction()?;
        let mut new = BTreeSet::new();
        for f in findings {
            let known: Option<String> = tx
                .query_row(
                    "SELECT finding FROM findings WHERE repo = ?1 AND fingerprint = ?2",
                    params![repo, f.fingerprint],
                    |r| r.get(0),
                )
                .optional()?;
            match known.and_then(|t| serde_json::from_str::<Finding>(&t).ok()) {
                Some(mut old) => {
                    for loc in f.locations {
                        if !old.locations.iter().any(|l| l.fingerprint == loc.fingerprint) {
                            old.locations.push(loc);
                        }
                    }
                    if old.history_only == Some(true) && f.history_only == Some(false) {
                        old.history_only = Some(false);
                    }
                    tx.execute(
                        "UPDATE findings SET finding = ?3 WHERE repo = ?1 AND fingerprint = ?2",
                        params![repo, old.fingerprint, serde_json::to_string(&old)?],
                    )?;
                }
                None => {
                    new.insert(f.fingerprint.clone());
                    tx.execute(
                        "INSERT INTO findings (repo, fingerprint, provider, finding, first_seen_run, first_seen,
                             last_seen_run, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?6)",
                        params![repo, f.fingerprint, f.provider, serde_json::to_string(&f)?, run, now],
                    )?;
                }
            }
        }
        // History is append-only: every known finding of the repository is still in it.
        tx.execute("UPDATE findings SET last_seen_run = ?2, last_seen = ?3 WHERE repo = ?1", params![repo, run, now])?;
        let rules = serde_json::to_string(&state.rules)?;
        tx.execute(
            "INSERT INTO repos (full_name, tips, rules, scanned_run, scanned_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (full_name) DO UPDATE SET tips = ?2, rules = ?3, scanned_run = ?4, scanned_at = ?5",
            params![repo, state.tips.join(" "), rules, run, now],
        )?;
        outcome.new_findings = new.len();
        tx.execute(
            "INSERT OR REPLACE INTO repo_runs (run, repo, outcome) VALUES (?1, ?2, ?3)",
            params![run, repo, serde_json::to_string(outcome)?],
        )?;
        tx.commit()?;
        Ok(new)
    }

    /// Records the outcome of a repository that failed in `run`: nothing else
    /// of it changes, and a resumed attempt of the run tries it again.
    pub fn update_outcome(&self, run: i64, repo: &str, outcome: &RepoOutcome) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO repo_runs (run, repo, outcome) VALUES (?1, ?2, ?3)",
            params![run, repo, serde_json::to_string(outcome)?],
        )?;
        Ok(())
    }

    /// Every finding of `repo`.
    pub fn findings(&self, repo: &str) -> Result<Vec<StoredFinding>> {
        let mut stmt = self.conn.prepare(
            "SELECT finding, first_seen_run, first_seen, last_seen_run, last_seen, live_since
             FROM findings WHERE repo = ?1 ORDER BY first_seen_run, fingerprint",
        )?;
        let rows = stmt.query_map([repo], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (text, first_seen_run, first_seen, last_seen_run, last_seen, live_since) = row?;
            let finding: Finding =
                serde_json::from_str(&text).with_context(|| format!("state store: unreadable finding of {repo}"))?;
            out.push(StoredFinding {
                repo: repo.to_string(),
                finding,
                first_seen_run,
                first_seen,
                last_seen_run,
                last_seen,
                live_since,
            });
        }
        Ok(out)
    }

    /// Stores a finding's new verification (and revocation) record.
    pub fn set_verification(&self, repo: &str, finding: &Finding) -> Result<()> {
        let status = finding.verification.as_ref().map(|v| v.status);
        let live_since: Option<String> = self
            .conn
            .query_row(
                "SELECT live_since FROM findings WHERE repo = ?1 AND fingerprint = ?2",
                params![repo, finding.fingerprint],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let live_since = match status {
            Some(Status::Live) => live_since
                .or_else(|| finding.verification.as_ref().map(|v| v.checked_at.clone()).or_else(|| Some(now()))),
            _ => None,
        };
        self.conn.execute(
            "UPDATE findings SET finding = ?3, status = ?4, live_since = ?5 WHERE repo = ?1 AND fingerprint = ?2",
            params![
                repo,
                finding.fingerprint,
                serde_json::to_string(finding)?,
                status.map(|s| s.as_str().to_string()),
                live_since
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(fp: &str) -> Finding {
        Finding {
            fingerprint: fp.into(),
            rule_id: "r".into(),
            rule_name: "R".into(),
            provider: "p".into(),
            confidence: crate::rules::Confidence::High,
            secret: "s".into(),
            secret_redacted: "…".into(),
            groups: Default::default(),
            locations: Vec::new(),
            history_only: None,
            verification: None,
        }
    }

    #[test]
    fn runs_resume_and_findings_are_new_once() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let mut store = Store::open(&dir.path().join("state.sqlite"))?;
        let (run, resumed) = store.begin_run("org:a")?;
        assert!(!resumed);
        let state = RepoState { tips: vec!["abc".into()], rules: BTreeMap::new() };
        let mut outcome = RepoOutcome::default();
        let new = store.record_repo(run, "a/b", &state, vec![finding("f1")], &mut outcome)?;
        assert_eq!(new.len(), 1);
        // Killed here: the next start resumes the same run and knows a/b is done.
        let (again, resumed) = store.begin_run("org:a")?;
        assert_eq!((again, resumed), (run, true));
        assert!(store.outcome(run, "a/b")?.is_some());
        store.finish_run(run)?;
        let (next, resumed) = store.begin_run("org:a")?;
        assert!(next > run && !resumed);
        let new = store.record_repo(next, "a/b", &state, vec![finding("f1"), finding("f2")], &mut outcome)?;
        assert_eq!(new.into_iter().collect::<Vec<_>>(), vec!["f2".to_string()]);
        assert_eq!(store.repo("a/b")?.map(|s| s.tips), Some(vec!["abc".to_string()]));
        let history = store.history(next)?;
        assert_eq!(history.len(), 2);
        assert_eq!((history[1].findings, history[1].new_findings), (2, 1));
        Ok(())
    }
}
