//! Verify and revoke: asks each credential's own provider, with a read-only
//! request, whether the credential is live, and, only when asked, revokes it
//! through the provider's API. This module turns findings into verification
//! records; it never scans and never renders.
//!
//! Each distinct secret is checked once per run, whatever number of findings
//! hold it. A secret that rules of two different providers matched is sent
//! to neither unless the operator picks one (`--verify-as FINGERPRINT`).
//! Every request is written to the audit log before and after it is made.

mod audit;
mod endpoints;
mod http;
mod providers;
mod record;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::findings::{Finding, secret_hash};

pub use audit::default_path as default_audit_path;
pub use endpoints::{ENDPOINTS, EndpointSpec, env_var as endpoint_env_var};
pub use providers::Provider;
pub use record::{Revocation, RevokeOutcome, Status, Verification};

use audit::{Action, AuditEntry, AuditLog};
use endpoints::Endpoints;
use http::{Http, HttpSettings};
use providers::{Credential, Plan, Verdict};

/// Whether and how to revoke live credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevokeMode {
    /// Verify only.
    Off,
    /// Verify, then record the request each revocation would make.
    DryRun,
    /// Verify, revoke, verify again.
    Perform,
}

/// Everything a verify run needs, built by the CLI from flags.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `NAME=URL` endpoint overrides from the operator.
    pub endpoints: Vec<String>,
    pub allow_internal: bool,
    /// Audit log path; `None` uses the default under the user's state directory.
    pub audit_log: Option<PathBuf>,
    pub timeout: Duration,
    pub retries: u32,
    pub max_retry_wait: Duration,
    pub concurrency: usize,
    /// Fingerprints of findings whose provider the operator vouches for, for
    /// secrets that rules of several providers matched.
    pub verify_as: Vec<String>,
    pub revoke: RevokeMode,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            endpoints: Vec::new(),
            allow_internal: false,
            audit_log: None,
            timeout: Duration::from_secs(10),
            retries: 2,
            max_retry_wait: Duration::from_secs(30),
            concurrency: 8,
            verify_as: Vec::new(),
            revoke: RevokeMode::Off,
        }
    }
}

/// Counts of one run, for the summary on stderr.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub secrets: usize,
    pub by_status: BTreeMap<Status, usize>,
    pub revocations: BTreeMap<RevokeOutcome, usize>,
    pub audit_log: PathBuf,
}

impl Summary {
    /// `verified 3 secrets: 1 live, 2 invalid · audit log: PATH`
    pub fn line(&self) -> String {
        let parts: Vec<String> = self.by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
        let mut s = format!(
            "verified {} secret{}: {}",
            self.secrets,
            if self.secrets == 1 { "" } else { "s" },
            if parts.is_empty() { "none".to_string() } else { parts.join(", ") }
        );
        if !self.revocations.is_empty() {
            let r: Vec<String> = self.revocations.iter().map(|(o, n)| format!("{n} {}", o.as_str())).collect();
            s.push_str(&format!(" · revocation: {}", r.join(", ")));
        }
        s.push_str(&format!(" · audit log: {}", self.audit_log.display()));
        s
    }

    pub fn planned(&self) -> usize {
        self.revocations.get(&RevokeOutcome::Planned).copied().unwrap_or(0)
    }
}

/// One distinct secret and what will be done with it.
struct Job {
    /// Findings holding this secret.
    findings: Vec<usize>,
    /// `Ok`: checkable; `Err`: why not (the verification says so).
    target: Result<Credential, (String, String)>,
    /// A revocation recorded by an earlier run (from the input report).
    prior: Option<Revocation>,
    /// Findings of the group whose provider was not the chosen one.
    others: Vec<usize>,
}

/// Verifies (and, per `settings.revoke`, revokes) the findings' secrets and
/// records the outcome on each finding.
pub fn run(findings: &mut [Finding], settings: &Settings) -> Result<Summary> {
    let endpoints = Endpoints::resolve(&settings.endpoints, |n| std::env::var(n).ok(), settings.allow_internal)?;
    let audit_path = match &settings.audit_log {
        Some(p) => p.clone(),
        None => default_audit_path()
            .ok_or_else(|| anyhow!("no state directory for the audit log: pass --audit-log FILE"))?,
    };
    let audit = Arc::new(AuditLog::open(&audit_path)?);
    let http_settings = HttpSettings {
        timeout: settings.timeout,
        retries: settings.retries,
        max_retry_wait: settings.max_retry_wait,
        backoff: Duration::from_millis(250),
        concurrency: settings.concurrency,
    };
    let http = Arc::new(Http::new(endpoints, audit.clone(), http_settings).context("cannot build the HTTP client")?);
    let jobs = plan_jobs(findings, &settings.verify_as);
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")?;
    let results = runtime.block_on(execute(http.clone(), &jobs, settings.revoke));

    let mut summary = Summary { secrets: jobs.len(), audit_log: audit_path, ..Summary::default() };
    let checked_at = audit::now_rfc3339();
    for (job, (verdict, revocation)) in jobs.iter().zip(results) {
        let (provider, verdict) = match &job.target {
            Ok(cred) => (cred.provider.name().to_string(), verdict),
            Err((provider, reason)) => (provider.clone(), Verdict::unknown(reason.clone())),
        };
        let revocation = revocation.or_else(|| match &job.target {
            Err((provider, _)) if settings.revoke != RevokeMode::Off => {
                providers::console_steps_for_rule_provider(provider).map(|steps| Revocation {
                    outcome: RevokeOutcome::Manual,
                    identity: None,
                    request: None,
                    reason: Some("leakhound cannot check or revoke this credential".into()),
                    steps: Some(steps.to_string()),
                    at: None,
                })
            }
            _ => None,
        });
        *summary.by_status.entry(verdict.status).or_default() += 1;
        if let Some(r) = &revocation {
            *summary.revocations.entry(r.outcome).or_default() += 1;
        }
        let record = Verification {
            status: verdict.status,
            reason: verdict.reason.clone(),
            provider: provider.clone(),
            host: verdict.host.clone(),
            checked_at: checked_at.clone(),
            details: verdict.details.clone(),
            revocation,
        };
        for &i in &job.findings {
            if let Some(f) = findings.get_mut(i) {
                f.verification = Some(record.clone());
            }
        }
        for &i in &job.others {
            if let Some(f) = findings.get_mut(i) {
                f.verification = Some(Verification {
                    status: Status::Unknown,
                    reason: Some(format!("this secret was checked as a {provider} credential (--verify-as)")),
                    provider: f.provider.clone(),
                    host: None,
                    checked_at: checked_at.clone(),
                    details: BTreeMap::new(),
                    revocation: None,
                });
            }
        }
    }
    Ok(summary)
}

/// Groups findings by secret and decides, per secret, which provider (if
/// any) may receive it.
fn plan_jobs(findings: &[Finding], verify_as: &[String]) -> Vec<Job> {
    let mut by_secret: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_secret.entry(f.secret.as_str()).or_default().push(i);
    }
    let chosen = |fp: &str| {
        verify_as.iter().any(|v| {
            let v = v.trim().to_ascii_lowercase();
            v == fp || (v.len() >= 8 && fp.starts_with(&v))
        })
    };
    let mut jobs = Vec::new();
    for (secret, idxs) in by_secret {
        let group: Vec<&Finding> = idxs.iter().filter_map(|&i| findings.get(i)).collect();
        let prior = group.iter().filter_map(|f| f.verification.as_ref().and_then(|v| v.revocation.clone())).find(|r| {
            matches!(r.outcome, RevokeOutcome::Revoked | RevokeOutcome::Submitted | RevokeOutcome::AlreadyRevoked)
        });
        let providers: BTreeSet<&str> = group.iter().map(|f| f.provider.as_str()).collect();
        let first_provider = group.first().map(|f| f.provider.clone()).unwrap_or_default();
        let mut job = Job {
            findings: idxs.clone(),
            target: Err((first_provider.clone(), String::new())),
            prior,
            others: Vec::new(),
        };
        if group.iter().any(|f| f.secret == f.secret_redacted || f.secret.contains("…(")) {
            job.target =
                Err((first_provider, "the report holds only the redacted secret; scan again without --redact".into()));
            jobs.push(job);
            continue;
        }
        let provider_name = if providers.len() > 1 {
            let picked: BTreeSet<&str> =
                group.iter().filter(|f| chosen(&f.fingerprint)).map(|f| f.provider.as_str()).collect();
            if picked.len() != 1 {
                let list: Vec<&str> = providers.iter().copied().collect();
                let fps: Vec<String> = group.iter().map(|f| format!("{} ({})", &f.fingerprint, f.provider)).collect();
                job.target = Err((
                    list.join("+"),
                    format!(
                        "ambiguous: rules of providers {} matched this secret, so it was sent to none; pick one with --verify-as FINGERPRINT from {}",
                        list.join(" and "),
                        fps.join(", ")
                    ),
                ));
                jobs.push(job);
                continue;
            }
            picked.into_iter().next().unwrap_or_default().to_string()
        } else {
            first_provider.clone()
        };
        let (mine, others): (Vec<usize>, Vec<usize>) =
            idxs.iter().partition(|&&i| findings.get(i).is_some_and(|f| f.provider == provider_name));
        job.findings = mine;
        job.others = others;
        let Some(provider) = Provider::from_rule_provider(&provider_name) else {
            job.target =
                Err((provider_name.clone(), format!("leakhound has no live check for {provider_name} credentials")));
            jobs.push(job);
            continue;
        };
        let in_group: Vec<&Finding> = job.findings.iter().filter_map(|&i| findings.get(i)).collect();
        let rule_ids: Vec<String> = in_group.iter().map(|f| f.rule_id.clone()).collect();
        let mut groups: BTreeMap<String, String> = BTreeMap::new();
        for f in &in_group {
            for (k, v) in &f.groups {
                groups.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        job.target = match providers::parse(provider, &rule_ids, secret, &groups) {
            Ok(parsed) => Ok(Credential {
                provider,
                secret: secret.to_string(),
                params: parsed.params,
                fingerprints: in_group.iter().map(|f| f.fingerprint.clone()).collect(),
                secret_hash: secret_hash(secret),
            }),
            Err(reason) => Err((provider.name().to_string(), reason)),
        };
        jobs.push(job);
    }
    jobs
}

/// Verifies every job concurrently, then plans or performs revocations and
/// verifies the revoked ones again.
async fn execute(http: Arc<Http>, jobs: &[Job], mode: RevokeMode) -> Vec<(Verdict, Option<Revocation>)> {
    let creds: Vec<Option<Arc<Credential>>> =
        jobs.iter().map(|j| j.target.as_ref().ok().map(|c| Arc::new(c.clone()))).collect();
    let mut verdicts = verify_all(&http, &creds).await;
    let mut revocations: Vec<Option<Revocation>> = vec![None; jobs.len()];
    if mode != RevokeMode::Off {
        let mut batch: Vec<usize> = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            let Some(cred) = creds[i].as_deref() else { continue };
            let verdict = &verdicts[i];
            match verdict.status {
                Status::Live => {
                    let plan = providers::plan(&http, cred, &verdict.details);
                    revocations[i] = Some(match (plan, mode) {
                        (Plan::Manual { reason }, _) => providers::manual(cred, reason),
                        (
                            Plan::Direct { identity, request } | Plan::Batch { identity, request },
                            RevokeMode::DryRun,
                        ) => Revocation {
                            outcome: RevokeOutcome::Planned,
                            identity: Some(identity),
                            request: Some(request),
                            reason: None,
                            steps: None,
                            at: None,
                        },
                        (Plan::Batch { .. }, _) => {
                            batch.push(i);
                            continue;
                        }
                        (Plan::Direct { .. }, _) => providers::revoke(&http, cred, &verdict.details).await,
                    });
                }
                Status::Invalid | Status::Revoked => {
                    if let Some(prior) = &job.prior {
                        let mut again = prior.clone();
                        again.outcome = RevokeOutcome::AlreadyRevoked;
                        again.reason =
                            Some(format!("revoked earlier ({}); the provider now refuses it", prior.outcome.as_str()));
                        revocations[i] = Some(again);
                    }
                }
                Status::Unknown => {}
            }
        }
        if !batch.is_empty() {
            let batch_creds: Vec<&Credential> = batch.iter().filter_map(|&i| creds[i].as_deref()).collect();
            let done = providers::revoke_batch(&http, &batch_creds).await;
            for (&i, r) in batch.iter().zip(done) {
                revocations[i] = Some(r);
            }
        }
        // Verify again whatever was revoked in this run, and record what the provider now says.
        let recheck: Vec<Option<Arc<Credential>>> = (0..jobs.len())
            .map(|i| {
                let acted = revocations[i].as_ref().is_some_and(|r| {
                    r.at.is_some()
                        && matches!(
                            r.outcome,
                            RevokeOutcome::Revoked | RevokeOutcome::Submitted | RevokeOutcome::AlreadyRevoked
                        )
                });
                if acted { creds[i].clone() } else { None }
            })
            .collect();
        if recheck.iter().any(Option::is_some) {
            let after = verify_all(&http, &recheck).await;
            for (i, again) in after.into_iter().enumerate() {
                if recheck[i].is_none() {
                    continue;
                }
                let before = &verdicts[i];
                let mut updated = Verdict { details: before.details.clone(), ..again.clone() };
                match again.status {
                    Status::Invalid | Status::Revoked => {
                        updated.status = Status::Revoked;
                        updated.reason = Some(format!(
                            "revoked by leakhound; verified again: {}",
                            again.reason.unwrap_or_else(|| again.status.to_string())
                        ));
                    }
                    Status::Live => {
                        updated.reason = Some("still live when verified again after the revocation request".into());
                    }
                    Status::Unknown => {
                        updated.reason = Some(format!(
                            "verified again after revocation: {}",
                            again.reason.unwrap_or_else(|| "no verdict".into())
                        ));
                    }
                }
                verdicts[i] = updated;
            }
        }
        for (i, job) in jobs.iter().enumerate() {
            if job.prior.is_some() && verdicts[i].status == Status::Invalid && recheck[i].is_none() {
                verdicts[i].status = Status::Revoked;
            }
        }
    }
    for (i, cred) in creds.iter().enumerate() {
        let Some(cred) = cred else { continue };
        let mut entry = result_entry(cred, Action::Verify);
        entry.outcome = Some(verdicts[i].status.to_string());
        entry.error = verdicts[i].reason.clone();
        let _ = http.audit().write(&entry);
        if let Some(r) = revocations[i].as_ref().filter(|r| r.at.is_some()) {
            let mut entry = result_entry(cred, Action::Revoke);
            entry.outcome = Some(r.outcome.as_str().to_string());
            entry.error = r.reason.clone();
            let _ = http.audit().write(&entry);
        }
    }
    verdicts.into_iter().zip(revocations).collect()
}

fn result_entry(cred: &Credential, action: Action) -> AuditEntry {
    AuditEntry {
        event: "result",
        action: Some(action),
        provider: cred.provider.name().to_string(),
        fingerprints: cred.fingerprints.clone(),
        secret_hashes: vec![cred.secret_hash.clone()],
        ..AuditEntry::default()
    }
}

/// Verifies the given credentials concurrently (the client bounds the
/// number in flight); `None` entries get an empty unknown verdict.
async fn verify_all(http: &Arc<Http>, creds: &[Option<Arc<Credential>>]) -> Vec<Verdict> {
    let mut set = tokio::task::JoinSet::new();
    for (i, cred) in creds.iter().enumerate() {
        if let Some(cred) = cred.clone() {
            let http = http.clone();
            set.spawn(async move { (i, providers::verify(&http, &cred).await) });
        }
    }
    let mut out: Vec<Verdict> = (0..creds.len()).map(|_| Verdict::unknown("not checked")).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, v)) => {
                if let Some(slot) = out.get_mut(i) {
                    *slot = v;
                }
            }
            Err(e) => eprintln!("leakhound: verification task failed: {e}"),
        }
    }
    out
}

/// The hosts `leakhound providers` lists: every endpoint, after overrides.
pub fn endpoint_table(flags: &[String], allow_internal: bool) -> Result<Vec<(&'static EndpointSpec, String, bool)>> {
    let endpoints = Endpoints::resolve(flags, |n| std::env::var(n).ok(), allow_internal)?;
    Ok(ENDPOINTS
        .iter()
        .map(|e| {
            let (base, overridden) = endpoints.base(e.name).unwrap_or((e.base, false));
            (e, base.to_string(), overridden)
        })
        .collect())
}
