//! Real git repositories in temp dirs, built with the git CLI (isolated from
//! the user's and the system's configuration, never touching the network),
//! and helpers to read leakhound's JSON report about them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A repository in a temporary directory.
pub struct Repo {
    pub dir: tempfile::TempDir,
    clock: std::cell::Cell<u64>,
}

impl Repo {
    /// `git init` with a `main` branch and a fixed identity.
    pub fn new() -> Repo {
        let repo = Repo { dir: tempfile::tempdir().expect("temp dir"), clock: std::cell::Cell::new(0) };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn path_str(&self) -> String {
        self.path().display().to_string()
    }

    /// Runs git in the repository and returns its trimmed stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.git_cmd(args).output().expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs git, returning whether it succeeded (for merges that conflict).
    pub fn git_ok(&self, args: &[&str]) -> bool {
        self.git_cmd(args).output().expect("git runs").status.success()
    }

    fn git_cmd(&self, args: &[&str]) -> Command {
        let t = self.clock.get() + 1;
        self.clock.set(t);
        // Distinct, increasing dates keep commit order deterministic.
        let date = format!("{} +0000", 1_600_000_000 + t * 60);
        let mut cmd = Command::new("git");
        cmd.current_dir(self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_TERMINAL_PROMPT", "0")
            .args([
                "-c",
                "user.name=Ada Lovelace",
                "-c",
                "user.email=ada@analytical.invalid",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "gc.auto=0",
                "-c",
                "init.defaultBranch=main",
                "-c",
                "protocol.file.allow=always",
            ])
            .args(args);
        cmd
    }

    /// Writes a file (creating directories).
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, content).expect("write");
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).expect("remove");
    }

    /// `git add -A && git commit -m MSG`; returns the new commit id.
    pub fn commit(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", msg]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn git_dir(&self) -> PathBuf {
        self.path().join(".git")
    }
}

/// One location of a finding, flattened for assertions.
#[derive(Debug, Clone)]
pub struct Loc {
    pub kind: String,
    pub path: String,
    pub line: u64,
    pub commit: Option<String>,
    pub author: Option<String>,
    pub email: Option<String>,
    pub date: Option<String>,
    pub summary: Option<String>,
    pub in_head: Option<bool>,
    pub blob: Option<String>,
}

/// The locations of the finding whose secret is `secret` (empty if none).
pub fn locations(report: &Value, secret: &str) -> Vec<Loc> {
    let Some(finding) = finding(report, secret) else { return Vec::new() };
    finding["locations"]
        .as_array()
        .map(|ls| {
            ls.iter()
                .map(|l| Loc {
                    kind: l["kind"].as_str().unwrap_or_default().to_string(),
                    path: l["path"].as_str().unwrap_or_default().to_string(),
                    line: l["line"].as_u64().unwrap_or_default(),
                    commit: l["commit"]["id"].as_str().map(str::to_string),
                    author: l["commit"]["author_name"].as_str().map(str::to_string),
                    email: l["commit"]["author_email"].as_str().map(str::to_string),
                    date: l["commit"]["date"].as_str().map(str::to_string),
                    summary: l["commit"]["summary"].as_str().map(str::to_string),
                    in_head: l["in_head"].as_bool(),
                    blob: l["blob"].as_str().map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The finding whose secret is `secret`.
pub fn finding<'a>(report: &'a Value, secret: &str) -> Option<&'a Value> {
    report["findings"].as_array()?.iter().find(|f| f["secret"] == secret)
}

/// The number of findings in a report.
pub fn finding_count(report: &Value) -> usize {
    report["findings"].as_array().map_or(0, Vec::len)
}

/// A summary counter of skipped content (`binary`, `git-lfs`, …).
pub fn skipped(report: &Value, reason: &str) -> u64 {
    report["summary"]["skipped"][reason].as_u64().unwrap_or(0)
}

/// The summary's errors and notes, joined (for `contains` checks).
pub fn errors(report: &Value) -> String {
    report["summary"]["errors"].to_string()
}

pub fn notes(report: &Value) -> String {
    report["summary"]["notes"].to_string()
}
