//! Flags and commands where users meet leakhound outside a terminal:
//! `install-hook` and `protect --pre-push` (native git hooks), `ci github`
//! (the GitHub Action's engine), `completions` and `man`. What to scan is
//! decided in `crate::hooks` and `crate::ci`; scanning and reporting are the
//! same as `scan` and `protect`.

use std::collections::HashSet;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{ArgAction, Args, CommandFactory, Subcommand};

use super::{CommonArgs, Outcome, ProtectArgs, resolve_findings, setup, write_output, write_report};
use crate::ci::github::{self, Mode, Plan, Target};
use crate::hooks::{self, HookKind};
use crate::report::{self, Format, RenderOptions, Report};
use crate::scan::{Progress, ScanStats};
use crate::sources;

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// Install a pre-push hook (scans the commits being pushed) instead of a pre-commit hook.
    #[arg(long)]
    pub pre_push: bool,
    /// Replace an existing hook (the old one is kept as <hook>.leakhound-backup).
    #[arg(long)]
    pub force: bool,
    /// Repository (default: current directory).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// GitHub Actions: scan what the push or pull request adds (detected from
    /// the event payload), write SARIF, a job summary, annotations and step outputs.
    Github(Box<GithubArgs>),
}

#[derive(Debug, Args)]
pub struct GithubArgs {
    /// Repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// What to scan.
    #[arg(long, value_enum, default_value_t = Mode::Auto)]
    pub mode: Mode,
    /// Scan this range instead of detecting one from the event.
    #[arg(long, value_name = "BASE..HEAD")]
    pub range: Option<String>,
    /// Event payload (JSON).
    #[arg(long, value_name = "FILE", env = "GITHUB_EVENT_PATH")]
    pub event: Option<PathBuf>,
    /// Event name (push, pull_request, …).
    #[arg(long, value_name = "NAME", env = "GITHUB_EVENT_NAME")]
    pub event_name: Option<String>,
    /// Write a SARIF report to FILE (for github/codeql-action/upload-sarif).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Append a Markdown job summary to FILE.
    #[arg(long, value_name = "FILE", env = "GITHUB_STEP_SUMMARY")]
    pub summary: Option<PathBuf>,
    /// Append step outputs (`findings`, `sarif-file`) to FILE.
    #[arg(long, value_name = "FILE", env = "GITHUB_OUTPUT")]
    pub github_output: Option<PathBuf>,
    /// At most this many `::error` annotations.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub max_annotations: usize,
    /// Exit with --exit-code when credentials are found; `false` only reports.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = ArgAction::Set)]
    pub fail_on_findings: bool,
    /// Print the range that would be scanned (or `full`, or `none`) and exit.
    #[arg(long)]
    pub print_plan: bool,
    #[command(flatten)]
    pub verify: super::verify::ScanVerifyArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command (leakhound.1, leakhound-scan.1, …) into DIR
    /// instead of printing leakhound.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `leakhound install-hook`.
pub fn run_install_hook(args: &InstallHookArgs) -> Result<i32> {
    let kind = if args.pre_push { HookKind::PrePush } else { HookKind::PreCommit };
    let exe = std::env::current_exe().context("cannot tell where this leakhound binary is")?;
    let done = hooks::install(&args.repo, kind, args.force, &exe)?;
    if done.unchanged {
        println!("{}: already installed", done.path.display());
        return Ok(0);
    }
    if let Some(b) = &done.backup {
        println!("{}: the previous hook was moved here", b.display());
    }
    println!(
        "{}: installed (runs {} {})",
        done.path.display(),
        exe.display(),
        match kind {
            HookKind::PreCommit => "protect --staged",
            HookKind::PrePush => "protect --pre-push",
        }
    );
    Ok(0)
}

/// `leakhound protect --pre-push`: scans the commits of the ref updates git
/// writes on stdin, blocking the push (non-zero exit) on findings.
pub fn run_pre_push(args: ProtectArgs) -> Result<i32> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        bail!("--pre-push reads the ref updates git writes to a pre-push hook on stdin; run it from a pre-push hook");
    }
    let mut input = String::new();
    stdin.read_to_string(&mut input).context("cannot read the pre-push input")?;
    let updates = hooks::parse_push_lines(&input)?;
    let plan = hooks::push_plan(&args.repo, &updates)?;
    let setup = setup(&args.common, Some(&args.repo))?;
    let engine = setup.engine();
    let started = Instant::now();
    let opts = setup.git_options(&args.common);
    let progress = Progress::new(!args.common.quiet, "blobs");
    let mut hits = Vec::new();
    let mut stats = ScanStats::default();
    let mut repository = None;
    for s in &plan.scans {
        let scan = sources::git::scan_range(&engine, &args.repo, &s.range, &opts, &progress)?;
        hits.extend(scan.hits.into_iter().filter(|h| pushed(h, s.only.as_ref())));
        stats.merge(scan.stats);
        repository = Some(scan.repo);
    }
    progress.finish();
    stats.notes.extend(plan.notes);
    stats.notes.dedup();
    let target = if plan.refs.is_empty() { "nothing to push".to_string() } else { plan.refs.join(", ") };
    let outcome = Outcome { hits, stats, target, mode: "pre-push", repository };
    super::finish(&engine, &setup, outcome, started, &args.common, None)
}

/// Whether a hit is on one of the commits being pushed.
fn pushed(hit: &crate::findings::Hit, only: Option<&HashSet<String>>) -> bool {
    match (only, &hit.location.commit) {
        (Some(only), Some(c)) => only.contains(&c.id),
        _ => true,
    }
}

/// `leakhound ci github`.
pub fn run_ci_github(args: GithubArgs) -> Result<i32> {
    let plan = match &args.range {
        Some(r) => Plan { target: Target::Range(r.clone()), description: format!("the commits of {r}") },
        None => {
            let name = args.event_name.clone().unwrap_or_default();
            let payload = match (&args.event, args.mode) {
                (Some(p), _) if !p.as_os_str().is_empty() => read_event(p)?,
                (_, Mode::Full) => serde_json::Value::Null,
                _ => bail!(
                    "no GitHub event payload: set GITHUB_EVENT_PATH or pass --event FILE (or --range, or --mode full)"
                ),
            };
            github::plan(&args.path, &name, &payload, args.mode)?
        }
    };
    if args.print_plan {
        println!(
            "{}",
            match &plan.target {
                Target::Range(r) => r.as_str(),
                Target::History => "full",
                Target::Nothing => "none",
            }
        );
        eprintln!("leakhound: {}", plan.description);
        return Ok(0);
    }
    eprintln!("leakhound: scanning {}", plan.description);

    let setup = setup(&args.common, Some(&args.path))?;
    let engine = setup.engine();
    let started = Instant::now();
    let opts = setup.git_options(&args.common);
    let progress = Progress::new(!args.common.quiet, "blobs");
    let (scan, mode) = match &plan.target {
        Target::Range(r) => (Some(sources::git::scan_range(&engine, &args.path, r, &opts, &progress)?), "range"),
        Target::History => (Some(sources::git::scan_history(&engine, &args.path, &opts, &progress)?), "git"),
        Target::Nothing => (None, "range"),
    };
    progress.finish();
    let (hits, mut stats, repository) = match scan {
        Some(s) => (s.hits, s.stats, Some(s.repo)),
        None => (Vec::new(), ScanStats::default(), None),
    };
    // As `finish` does, then several renderings of the one result.
    let (findings, suppressed) =
        resolve_findings(&engine, &setup, hits, &mut stats, started, &args.common, Some(&args.verify))?;
    let report = Report {
        findings: &findings,
        stats: &stats,
        rules: setup.rule_map(),
        suppressed: &suppressed,
        target: match &plan.target {
            Target::Range(r) => r.clone(),
            _ => args.path.display().to_string(),
        },
        mode,
        repository,
    };
    write_report(&report, &args.common)?;

    let sarif_name = args.sarif.as_ref().map(|p| p.display().to_string());
    if let Some(path) = &args.sarif {
        let sarif = report::render(&report, Format::Sarif, RenderOptions::default());
        std::fs::write(path, sarif).with_context(|| format!("cannot write SARIF to {}", path.display()))?;
    }
    let annotations = github::annotations(&findings, args.max_annotations);
    write_output(None, &annotations)?;
    if let Some(path) = args.summary.as_ref().filter(|p| !p.as_os_str().is_empty()) {
        let ctx = github::SummaryContext {
            description: &plan.description,
            scanned: stats.scanned,
            bytes: stats.bytes,
            commit_messages: stats.commit_messages,
            seconds: stats.duration.as_secs_f64(),
            suppressed: suppressed.len(),
            errors: stats.errors.len(),
            notes: &stats.notes,
            sarif_file: sarif_name.as_deref(),
        };
        append(path, &github::summary_markdown(&findings, &ctx), "job summary")?;
    }
    if let Some(path) = args.github_output.as_ref().filter(|p| !p.as_os_str().is_empty()) {
        append(path, &github::outputs(findings.len(), sarif_name.as_deref()), "step outputs")?;
    }
    Ok(if findings.is_empty() || !args.fail_on_findings { 0 } else { args.common.exit_code })
}

fn read_event(path: &Path) -> Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the event payload {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: the event payload is not JSON", path.display()))
}

fn append(path: &Path, text: &str, what: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} for the {what}", path.display()))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write the {what} to {}", path.display()))
}

/// `leakhound completions SHELL`.
pub fn run_completions(args: &CompletionsArgs) -> Result<i32> {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "leakhound", &mut out);
    write_output(None, &String::from_utf8_lossy(&out))?;
    Ok(0)
}

/// `leakhound man`.
pub fn run_man(args: &ManArgs) -> Result<i32> {
    let cmd = super::Cli::command();
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write man pages to {}", dir.display()))?;
            println!("{}: man pages written", dir.display());
        }
        None => {
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out).context("cannot render the man page")?;
            write_output(None, &String::from_utf8_lossy(&out))?;
        }
    }
    Ok(0)
}
