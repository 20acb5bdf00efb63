//! Nightly scans of a whole GitHub organisation (or a user's repositories,
//! or one repository): list repositories through the REST API, keep a bare
//! mirror of each in the cache directory, scan only what is new since the
//! last night, and remember findings in a state store so that the summary can
//! say "new tonight", "still live since …" or "revoked".
//!
//! What "new" means, exactly: the store keeps, per repository, the commit ids
//! that its refs pointed to when it was last scanned and a hash of each rule
//! it was scanned with. A repository whose tips and rules are unchanged is
//! not scanned at all (the fetch is the whole cost). Otherwise the commits
//! reachable from the new tips and not from the old ones are compared with
//! their parents, and the blobs they introduce are scanned
//! (`sources::git::scan_new_commits`): every blob that is reachable now and
//! was not before is among them. Rules that changed (or were added) are run
//! alone over the whole history of every repository.
//!
//! This module orchestrates; it does not know how a blob is scanned (the git
//! source and the engine do), how a report is laid out (`report`, `html`),
//! or how a credential is checked (`crate::verify`).

pub mod api;
pub mod html;
pub mod mirror;
pub mod report;
pub mod state;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::engine::Engine;
use crate::findings::Finding;
use crate::rules::{Rule, RuleSet};
use crate::scan::Progress;
use crate::sources::git::{self, GitOptions};
use crate::suppress::Suppressor;

use api::{ApiRepo, GitHub, RateLimitPolicy};
use report::{OrgFinding, OrgReport, RepoEntry, RunInfo};
use state::{RepoOutcome, RepoState, Store};

/// Whose repositories to scan.
#[derive(Debug, Clone)]
pub enum Target {
    Org(String),
    User(String),
    Repo(String),
}

impl Target {
    pub fn scope(&self) -> String {
        match self {
            Target::Org(o) => format!("org:{o}"),
            Target::User(u) => format!("user:{u}"),
            Target::Repo(r) => format!("repo:{r}"),
        }
    }
}

/// Which listed repositories to keep.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub include_forks: bool,
    pub include_archived: bool,
    /// `public`, `private` or `internal`; `None` keeps all.
    pub visibility: Option<String>,
    /// A repository must carry every one of these topics.
    pub topics: Vec<String>,
    /// Keep only repositories whose name (without owner) matches.
    pub name: Option<regex::Regex>,
    /// Drop repositories whose name (without owner) matches.
    pub exclude: Option<regex::Regex>,
}

impl Filters {
    pub fn keep(&self, r: &ApiRepo) -> bool {
        (self.include_forks || !r.fork)
            && (self.include_archived || !r.archived)
            && !r.disabled
            && self.visibility.as_deref().is_none_or(|v| r.visibility() == v)
            && self.topics.iter().all(|t| r.topics.iter().any(|rt| rt.eq_ignore_ascii_case(t)))
            && self.name.as_ref().is_none_or(|re| re.is_match(&r.name))
            && !self.exclude.as_ref().is_some_and(|re| re.is_match(&r.name))
    }
}

/// This worker's share of the repositories: `K/N`, K from 1 to N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let (k, n) = s.split_once('/').ok_or_else(|| format!("{s:?}: expected K/N, e.g. 1/4"))?;
        let index: u64 = k.trim().parse().map_err(|_| format!("{s:?}: K is not a number"))?;
        let count: u64 = n.trim().parse().map_err(|_| format!("{s:?}: N is not a number"))?;
        if count == 0 || index == 0 || index > count {
            return Err(format!("{s:?}: expected 1 <= K <= N"));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether `full_name` is this shard's: a stable hash of the lowercased
    /// full name (SHA-256, first 8 bytes), modulo N, equals K-1.
    pub fn owns(&self, full_name: &str) -> bool {
        shard_of(full_name, self.count) == self.index
    }
}

/// The shard (1-based) that `full_name` belongs to among `count`.
pub fn shard_of(full_name: &str, count: u64) -> u64 {
    let digest = Sha256::digest(full_name.to_ascii_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % count.max(1) + 1
}

/// Everything a nightly run needs, from the CLI.
pub struct Options {
    pub target: Target,
    pub api_url: String,
    pub token: Option<String>,
    pub filters: Filters,
    pub shard: Option<Shard>,
    pub cache_dir: PathBuf,
    /// Per-repository SARIF files go here.
    pub sarif_dir: PathBuf,
    pub upload_sarif: bool,
    /// Scan every repository's whole history again, whatever the store says.
    pub rescan: bool,
    pub git: GitOptions,
    pub quiet: bool,
    pub rate: RateLimitPolicy,
    /// Verification (and revocation) settings, when `--verify`/`--revoke`.
    pub verify: Option<crate::verify::Settings>,
}

/// What a rule contributes to detection, hashed: a change here means the
/// rule may find something else in blobs already scanned.
pub fn rule_hashes(set: &RuleSet) -> BTreeMap<String, String> {
    set.rules
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r.rule).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                for k in ["name", "remediation", "references", "tags", "examples", "negative_examples"] {
                    o.remove(k);
                }
            }
            let digest = Sha256::digest(v.to_string().as_bytes());
            (r.rule.id.clone(), hex::encode(&digest[..12]))
        })
        .collect()
}

/// The scan machinery shared by every repository of a run.
pub struct Scanner<'a> {
    pub set: &'a RuleSet,
    pub settings: &'a Settings,
    pub suppressor: &'a Suppressor,
}

fn say(quiet: bool, msg: &str) {
    if !quiet {
        let _ = writeln!(std::io::stderr(), "leakhound: {msg}");
    }
}

/// A run whose report is complete but not yet out: the store still has it
/// open, so a kill before [`PendingRun::finish`] makes the next invocation
/// resume it and report tonight's findings as new again, instead of losing
/// the night's report.
pub struct PendingRun {
    pub report: OrgReport,
    store: Store,
    run_id: i64,
}

impl PendingRun {
    /// Marks the run finished: call once its report has been written.
    pub fn finish(self) -> Result<()> {
        self.store.finish_run(self.run_id)
    }
}

/// Runs a nightly scan and returns its org report, to be finished once written.
pub fn run(opts: &Options, scanner: &Scanner<'_>) -> Result<PendingRun> {
    std::fs::create_dir_all(&opts.cache_dir)
        .with_context(|| format!("cannot create cache directory {}", opts.cache_dir.display()))?;
    let github = GitHub::new(&opts.api_url, opts.token.clone(), opts.rate, opts.quiet)?;
    if opts.upload_sarif && !github.has_token() {
        bail!("--upload-sarif needs a token (GITHUB_TOKEN or --token-file)");
    }
    let creds = mirror::Credentials::for_api(github.base(), opts.token.clone());

    let mut repos = match &opts.target {
        Target::Org(org) => github.org_repos(org)?,
        Target::User(user) => github.user_repos(user)?,
        Target::Repo(name) => vec![github.repo(name)?],
    };
    let listed = repos.len();
    if !matches!(opts.target, Target::Repo(_)) {
        repos.retain(|r| opts.filters.keep(r));
    }
    if let Some(shard) = opts.shard {
        repos.retain(|r| shard.owns(&r.full_name));
    }
    repos.sort_by(|a, b| a.full_name.cmp(&b.full_name));
    repos.dedup_by(|a, b| a.full_name == b.full_name);
    say(
        opts.quiet,
        &format!(
            "{} of {listed} repositories to scan{} ({})",
            repos.len(),
            opts.shard.map(|s| format!(" in shard {s}")).unwrap_or_default(),
            github.quota()
        ),
    );

    let mut store = Store::open(&opts.cache_dir.join("state.sqlite"))?;
    let mut scope = opts.target.scope();
    if let Some(s) = opts.shard {
        scope.push_str(&format!(" shard {s}"));
    }
    let (run_id, resumed) = store.begin_run(&scope)?;
    let started_at = store.run_started(run_id)?;
    if resumed {
        say(opts.quiet, &format!("resuming interrupted run {run_id}: repositories it finished are not scanned again"));
    }

    let engine = Engine::new(scanner.set);
    let hashes = rule_hashes(scanner.set);
    let total = repos.len();
    for (i, repo) in repos.iter().enumerate() {
        // A repository that failed is tried again by a resumed attempt too: its
        // failure may have been the interruption's doing.
        if let Some(done) = store.outcome(run_id, &repo.full_name)?.filter(|o| o.mode != "failed") {
            say(
                opts.quiet,
                &format!("[{}/{total}] {}: done earlier in this run ({})", i + 1, repo.full_name, done.mode),
            );
            continue;
        }
        let result = scan_repo(opts, scanner, &engine, &hashes, &creds, &mut store, run_id, repo);
        let outcome = match result {
            Ok(o) => o,
            Err(e) => {
                let msg = format!("{e:#}");
                say(opts.quiet, &format!("[{}/{total}] {}: failed: {msg}", i + 1, repo.full_name));
                let o = RepoOutcome { mode: "failed".into(), error: Some(msg), ..RepoOutcome::default() };
                store.update_outcome(run_id, &repo.full_name, &o)?;
                continue;
            }
        };
        say(
            opts.quiet,
            &format!(
                "[{}/{total}] {}: {}, {} blobs scanned, {} new finding{} ({})",
                i + 1,
                repo.full_name,
                outcome.mode,
                outcome.blobs_scanned,
                outcome.new_findings,
                if outcome.new_findings == 1 { "" } else { "s" },
                github.quota()
            ),
        );
    }

    if let Some(settings) = &opts.verify {
        verify_open(&store, &started_at, &repos, settings, opts.quiet)?;
    }

    // Reports, SARIF and uploads: from the store, for every repository of this run.
    std::fs::create_dir_all(&opts.sarif_dir).with_context(|| format!("cannot create {}", opts.sarif_dir.display()))?;
    let rules: BTreeMap<&str, &Rule> = scanner.set.rules.iter().map(|r| (r.rule.id.as_str(), &r.rule)).collect();
    let mut doc = OrgReport::new(
        opts.target.scope(),
        opts.shard.map(|s| s.to_string()),
        Some(RunInfo { id: run_id, started_at, finished_at: state::now(), resumed }),
    );
    for repo in &repos {
        let mut outcome = store.outcome(run_id, &repo.full_name)?.unwrap_or_default();
        let findings: Vec<OrgFinding> = store
            .findings(&repo.full_name)?
            .into_iter()
            .map(|stored| OrgFinding { new: stored.first_seen_run == run_id, stored })
            .collect();
        let mut entry = RepoEntry {
            full_name: repo.full_name.clone(),
            clone_url: repo.clone_url.clone().unwrap_or_default(),
            outcome: RepoOutcome::default(),
            findings,
        };
        if outcome.mode != "failed" {
            let head = mirror::mirror_path(&opts.cache_dir, &repo.full_name)
                .ok()
                .and_then(|dir| mirror::ref_tips(&dir, repo.default_branch.as_deref()).ok())
                .and_then(|(_, head)| head);
            let sarif = report::repo_sarif(&entry, &rules, head.clone());
            let file = opts.sarif_dir.join(format!("{}.sarif", repo.full_name.replace('/', "__")));
            write_atomic(&file, &sarif)?;
            outcome.sarif = Some(file.display().to_string());
            if opts.upload_sarif {
                match upload(&github, &store, repo, head.as_deref(), &sarif) {
                    Ok(Some(id)) => outcome.uploaded = Some(id),
                    Ok(None) => {}
                    Err(e) => say(opts.quiet, &format!("{}: SARIF upload failed: {e:#}", repo.full_name)),
                }
            }
        }
        entry.outcome = outcome;
        doc.repositories.push(entry);
    }
    doc.history = store.history(run_id)?;
    doc.compute_totals();
    Ok(PendingRun { report: doc, store, run_id })
}

/// Uploads a repository's SARIF unless the same document was uploaded last.
fn upload(github: &GitHub, store: &Store, repo: &ApiRepo, head: Option<&str>, sarif: &str) -> Result<Option<String>> {
    let head = head.ok_or_else(|| anyhow!("no commit to attach the analysis to"))?;
    let digest = hex::encode(Sha256::digest(format!("{head}\0{sarif}").as_bytes()));
    let key = format!("sarif-upload:{}", repo.full_name);
    if store.meta(&key)?.as_deref() == Some(digest.as_str()) {
        return Ok(None);
    }
    let git_ref = format!("refs/heads/{}", repo.default_branch.as_deref().unwrap_or("main"));
    let id = github.upload_sarif(&repo.full_name, head, &git_ref, sarif)?;
    store.set_meta(&key, &digest)?;
    Ok(Some(if id.is_empty() { "uploaded".into() } else { id }))
}

/// Fetches (or clones) one repository, scans what is new, records it: the
/// mirror stays locked until the findings, the tips they were found up to
/// and this run's outcome are committed together.
#[allow(clippy::too_many_arguments)]
fn scan_repo(
    opts: &Options,
    scanner: &Scanner<'_>,
    engine: &Engine,
    hashes: &BTreeMap<String, String>,
    creds: &mirror::Credentials,
    store: &mut Store,
    run_id: i64,
    repo: &ApiRepo,
) -> Result<RepoOutcome> {
    let started = Instant::now();
    let url = repo.clone_url.as_deref().ok_or_else(|| anyhow!("the API gave no clone_url"))?;
    let lock = mirror::MirrorLock::acquire(&mirror::mirror_path(&opts.cache_dir, &repo.full_name)?)?;
    let dir = lock.dir();
    match mirror::sync(&lock, url, creds)? {
        mirror::Sync::Cloned | mirror::Sync::Fetched => {}
        mirror::Sync::FetchedAfterUnlocking(files) => say(
            opts.quiet,
            &format!(
                "{}: removed lock files that an interrupted git left in the mirror: {}",
                repo.full_name,
                files.join(", ")
            ),
        ),
        mirror::Sync::Recloned(why) => say(
            opts.quiet,
            &format!("{}: the mirror {} was unusable ({why}); cloned it again", repo.full_name, dir.display()),
        ),
    }
    let (tips, _) = mirror::ref_tips(dir, repo.default_branch.as_deref())?;
    let prev = if opts.rescan { None } else { store.repo(&repo.full_name)? };
    let mut outcome = RepoOutcome::default();
    let mut hits_findings: Vec<Finding> = Vec::new();
    let progress = Progress::hidden();
    let mut record = |outcome: &mut RepoOutcome, scan: git::GitScan, engine: &Engine| {
        outcome.blobs_scanned += scan.stats.scanned;
        outcome.bytes_scanned += scan.stats.bytes;
        outcome.commits_scanned += scan.stats.commit_messages;
        let (findings, _suppressed) = scanner.suppressor.apply(scan.hits, scanner.settings, |i| engine.rule(i));
        hits_findings.extend(findings);
    };
    match &prev {
        None => {
            outcome.mode = "full".into();
            if !tips.is_empty() {
                let scan = git::scan_history(engine, dir, &opts.git, &progress)?;
                record(&mut outcome, scan, engine);
            }
        }
        Some(prev) => {
            let changed: BTreeSet<&String> =
                hashes.iter().filter(|(id, h)| prev.rules.get(*id) != Some(*h)).map(|(id, _)| id).collect();
            let tips_changed = prev.tips != tips;
            outcome.mode = match (changed.is_empty(), tips_changed) {
                (true, false) => "unchanged",
                (true, true) => "incremental",
                (false, _) => "rules-changed",
            }
            .into();
            if !changed.is_empty() && !tips.is_empty() {
                let mut subset = scanner.set.clone();
                subset.retain(|r| changed.contains(&r.id));
                let sub_engine = Engine::new(&subset);
                let scan = git::scan_history(&sub_engine, dir, &opts.git, &progress)?;
                record(&mut outcome, scan, &sub_engine);
                outcome.changed_rules = changed.iter().map(|s| s.to_string()).collect();
            }
            if tips_changed {
                let scan = git::scan_new_commits(engine, dir, &tips, &prev.tips, &opts.git, &progress)?;
                record(&mut outcome, scan, engine);
            }
        }
    }
    let state = RepoState { tips, rules: hashes.clone() };
    outcome.duration_ms = started.elapsed().as_millis() as u64;
    store.record_repo(run_id, &repo.full_name, &state, hits_findings, &mut outcome)?;
    Ok(outcome)
}

/// Verifies the open findings of this run's repositories that were not
/// checked yet in this run (so a resumed run does not ask twice), then
/// stores each verdict.
fn verify_open(
    store: &Store,
    run_started: &str,
    repos: &[ApiRepo],
    settings: &crate::verify::Settings,
    quiet: bool,
) -> Result<()> {
    use crate::verify::Status;
    let mut findings: Vec<Finding> = Vec::new();
    let mut owners: Vec<String> = Vec::new();
    for repo in repos {
        for stored in store.findings(&repo.full_name)? {
            let v = stored.finding.verification.as_ref();
            let settled = v.is_some_and(|v| matches!(v.status, Status::Invalid | Status::Revoked));
            let checked_tonight = v.is_some_and(|v| {
                match (v.checked_at.parse::<jiff::Timestamp>(), run_started.parse::<jiff::Timestamp>()) {
                    (Ok(checked), Ok(started)) => checked >= started,
                    _ => false,
                }
            });
            if settled || checked_tonight {
                continue;
            }
            owners.push(repo.full_name.clone());
            findings.push(stored.finding);
        }
    }
    if findings.is_empty() {
        return Ok(());
    }
    let summary = crate::verify::run(&mut findings, settings)?;
    say(quiet, &summary.line());
    if summary.planned() > 0 {
        say(
            quiet,
            &format!(
                "dry run: {} credential{} would be revoked; run again with --revoke --yes",
                summary.planned(),
                if summary.planned() == 1 { "" } else { "s" }
            ),
        );
    }
    for (repo, f) in owners.iter().zip(&findings) {
        store.set_verification(repo, f)?;
    }
    Ok(())
}

/// Writes a file through a temporary sibling and a rename, so that a kill
/// leaves the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    // `NAME.tmp` beside `NAME`, not `STEM.tmp`: `x.json` and `x.html` must not share it.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_and_are_stable() {
        let names: Vec<String> = (0..200).map(|i| format!("acme/repo-{i}")).collect();
        let mut counts = [0usize; 4];
        for n in &names {
            let owners: Vec<u64> = (1..=4).filter(|k| Shard { index: *k, count: 4 }.owns(n)).collect();
            assert_eq!(owners.len(), 1, "{n} must be in exactly one shard");
            counts[(owners[0] - 1) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c > 20), "{counts:?}");
        assert_eq!(shard_of("Acme/Repo-1", 4), shard_of("acme/repo-1", 4));
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
    }
}
