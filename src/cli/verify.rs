//! Flags and commands of verification and revocation: `scan --verify`,
//! `scan --revoke`, `leakhound verify REPORT`, `leakhound revoke REPORT` and
//! `leakhound providers`. Flags become a `verify::Settings` here; the work is
//! in `crate::verify`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{EXIT_FINDINGS, write_output};
use crate::findings::Finding;
use crate::report::{self, Format, JsonReport, RenderOptions, Report};
use crate::rules::RuleSet;
use crate::verify::{self, RevokeMode, Status};

/// Network flags shared by every command that verifies or revokes.
#[derive(Debug, Args, Clone)]
pub struct VerifyFlags {
    /// Override a provider API base URL: NAME=URL (repeatable; names in `leakhound providers`).
    /// Also LEAKHOUND_ENDPOINT_<NAME>. Never read from a configuration file.
    #[arg(long = "endpoint", value_name = "NAME=URL")]
    pub endpoints: Vec<String>,
    /// Allow endpoints on private, loopback or link-local addresses (and plain
    /// http on loopback), e.g. for test servers.
    #[arg(long)]
    pub allow_internal_endpoints: bool,
    /// Append-only audit log of every request (JSON lines)
    /// [default: $XDG_STATE_HOME/leakhound/audit.jsonl].
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
    /// Timeout of one request, connect to last byte, in seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub verify_timeout: Duration,
    /// Retries after a 429 or 5xx answer.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub verify_retries: u32,
    /// Longest Retry-After worth waiting for, in seconds.
    #[arg(long, value_name = "SECS", default_value = "30", value_parser = parse_secs)]
    pub verify_max_wait: Duration,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub verify_concurrency: usize,
    /// For a secret that rules of several providers matched: check it as the
    /// provider of the finding with this fingerprint (repeatable).
    #[arg(long, value_name = "FINGERPRINT")]
    pub verify_as: Vec<String>,
    /// Report only credentials verified live.
    #[arg(long)]
    pub only_live: bool,
}

/// Verification flags of `leakhound scan`.
#[derive(Debug, Args, Clone)]
pub struct ScanVerifyArgs {
    /// Check each distinct secret with its provider's read-only API.
    #[arg(long)]
    pub verify: bool,
    /// Verify, then show how each live credential would be revoked (dry run; add --yes).
    #[arg(long)]
    pub revoke: bool,
    /// With --revoke: revoke for real.
    #[arg(long, requires = "revoke")]
    pub yes: bool,
    #[command(flatten)]
    pub flags: VerifyFlags,
}

/// Output flags of `verify` and `revoke`.
#[derive(Debug, Args, Clone)]
pub struct ReportOutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the updated report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Redact secrets in every format.
    #[arg(long)]
    pub redact: bool,
    /// Never colour the text report.
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct VerifyReportArgs {
    /// A report written with `leakhound scan --format json` (not redacted).
    pub report: PathBuf,
    #[command(flatten)]
    pub flags: VerifyFlags,
    #[command(flatten)]
    pub out: ReportOutputArgs,
}

#[derive(Debug, Args)]
pub struct RevokeReportArgs {
    /// A report written with `leakhound scan --format json` (not redacted).
    pub report: PathBuf,
    /// Revoke for real (without it: a dry run showing each request).
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub flags: VerifyFlags,
    #[command(flatten)]
    pub out: ReportOutputArgs,
}

#[derive(Debug, Args)]
pub struct ProvidersArgs {
    /// Output format (text or json).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[arg(long = "endpoint", value_name = "NAME=URL")]
    pub endpoints: Vec<String>,
    #[arg(long)]
    pub allow_internal_endpoints: bool,
}

fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 =
        text.trim().trim_end_matches('s').parse().map_err(|_| format!("invalid number of seconds {text:?}"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 3600.0 {
        return Err(format!("{text:?}: expected seconds between 0 and 3600"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn settings(flags: &VerifyFlags, revoke: RevokeMode) -> verify::Settings {
    verify::Settings {
        endpoints: flags.endpoints.clone(),
        allow_internal: flags.allow_internal_endpoints,
        audit_log: flags.audit_log.clone(),
        timeout: flags.verify_timeout,
        retries: flags.verify_retries,
        max_retry_wait: flags.verify_max_wait,
        concurrency: flags.verify_concurrency,
        verify_as: flags.verify_as.clone(),
        revoke,
    }
}

/// Verifies (and revokes, per the flags) findings, reports the counts on
/// stderr and applies `--only-live`.
fn verify_findings(findings: &mut Vec<Finding>, flags: &VerifyFlags, mode: RevokeMode) -> Result<()> {
    let summary = verify::run(findings, &settings(flags, mode))?;
    eprintln!("leakhound: {}", summary.line());
    if summary.planned() > 0 {
        eprintln!(
            "leakhound: dry run: {} credential{} would be revoked; run again with --yes to revoke",
            summary.planned(),
            if summary.planned() == 1 { "" } else { "s" }
        );
    }
    if flags.only_live {
        findings.retain(|f| f.verification.as_ref().is_some_and(|v| v.status == Status::Live));
    }
    Ok(())
}

/// The `scan` hook: runs when `--verify`, `--revoke` or `--only-live` was given.
pub fn apply_to_scan(findings: &mut Vec<Finding>, args: &ScanVerifyArgs) -> Result<()> {
    let mode = match (args.revoke, args.yes) {
        (false, _) => RevokeMode::Off,
        (true, false) => RevokeMode::DryRun,
        (true, true) => RevokeMode::Perform,
    };
    if !(args.verify || args.revoke || args.flags.only_live) {
        return Ok(());
    }
    verify_findings(findings, &args.flags, mode)
}

/// `leakhound verify REPORT` and `leakhound revoke REPORT`.
pub fn run_report(report_path: &PathBuf, flags: &VerifyFlags, out: &ReportOutputArgs, mode: RevokeMode) -> Result<i32> {
    let text = std::fs::read_to_string(report_path)
        .with_context(|| format!("cannot read report {}", report_path.display()))?;
    let doc: JsonReport = serde_json::from_str(&text).with_context(|| {
        format!("{}: not a leakhound JSON report (write one with --format json)", report_path.display())
    })?;
    if doc.schema != report::JSON_SCHEMA_NAME {
        bail!("{}: schema is {:?}, expected {:?}", report_path.display(), doc.schema, report::JSON_SCHEMA_NAME);
    }
    let mut findings = doc.findings.clone();
    verify_findings(&mut findings, flags, mode)?;
    if out.redact {
        for f in &mut findings {
            f.secret = f.secret_redacted.clone();
        }
    }
    let set = RuleSet::builtin().context("built-in rules")?;
    let report = Report {
        findings: &findings,
        stats: &doc.summary.stats,
        rules: set.rules.iter().map(|r| (r.rule.id.as_str(), &r.rule)).collect(),
        suppressed: &doc.suppressed,
        target: doc.target.clone(),
        mode: &doc.mode,
        repository: doc.repository.clone(),
    };
    let to_terminal = out.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && !out.no_color && std::env::var_os("NO_COLOR").is_none();
    write_output(out.output.as_deref(), &report::render(&report, out.format, RenderOptions { color }))?;
    let live = findings.iter().any(|f| f.verification.as_ref().is_some_and(|v| v.status == Status::Live));
    Ok(if live { EXIT_FINDINGS } else { 0 })
}

/// `leakhound providers`: every host verification and revocation may contact.
pub fn run_providers(args: &ProvidersArgs) -> Result<i32> {
    let table = verify::endpoint_table(&args.endpoints, args.allow_internal_endpoints)?;
    if matches!(args.format, Format::Json | Format::Jsonl) {
        let rows: Vec<_> = table
            .iter()
            .map(|(spec, base, overridden)| {
                let host = reqwest::Url::parse(&base.replace("{dc}", "dc"))
                    .ok()
                    .and_then(|u| u.host_str().map(|h| h.replace("dc.", "{dc}.")))
                    .unwrap_or_default();
                serde_json::json!({
                    "endpoint": spec.name, "provider": spec.provider.name(), "base_url": base, "host": host,
                    "overridden": overridden, "env": verify::endpoint_env_var(spec.name), "used_for": spec.used_for,
                })
            })
            .collect();
        let doc = serde_json::json!({ "endpoints": rows });
        print!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n");
        return Ok(0);
    }
    let width = table.iter().map(|(s, _, _)| s.name.len()).max().unwrap_or(8);
    let base_width = table.iter().map(|(_, b, _)| b.len()).max().unwrap_or(20);
    for (spec, base, overridden) in &table {
        println!(
            "{:<width$}  {:<base_width$}  {}{}",
            spec.name,
            base,
            spec.used_for,
            if *overridden { "  (overridden)" } else { "" }
        );
    }
    println!("\nSecrets go only to their own provider's endpoint, over https, without following redirects.");
    Ok(0)
}
