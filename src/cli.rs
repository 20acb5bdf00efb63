//! Command-line interface: raw flags are parsed once here (clap) and turned
//! into the settings the rest of the program uses. No other module reaches
//! back into the CLI.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::Settings;
use crate::engine::Engine;
use crate::findings::Hit;
use crate::report::{self, Format, RenderOptions, RepoInfo, Report};
use crate::rules::{Confidence, RuleSet};
use crate::scan::{Progress, ScanStats};
use crate::sources;
use crate::suppress::{self, Suppressor};

mod github;
mod integrations;
mod rules_doc;
mod verify;

/// Exit code when a scan found credentials (overridable with --exit-code).
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code for usage and fatal errors.
pub const EXIT_ERROR: i32 = 2;

#[derive(Debug, Parser)]
#[command(name = "leakhound", version, about = "Find leaked credentials in source code and git history", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a working tree, a file, stdin (`-`) or git history (`--git`).
    Scan(ScanArgs),
    /// Scan staged changes (`--staged`, for pre-commit hooks) or the unstaged diff.
    Protect(ProtectArgs),
    /// List or check detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Verify the secrets of a JSON report with their providers (read-only).
    Verify(verify::VerifyReportArgs),
    /// Revoke the live credentials of a JSON report (dry run unless --yes).
    Revoke(verify::RevokeReportArgs),
    /// List every host that verification and revocation may contact.
    Providers(verify::ProvidersArgs),
    /// Suppress findings by fingerprint (appends to .leakhoundignore).
    Ignore(IgnoreArgs),
    /// Create or import baselines (only new findings fail).
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Nightly incremental scans of a GitHub organisation, user or repository.
    #[command(subcommand)]
    Github(github::GithubCommand),
    /// Combine org reports, scan reports or SARIF files (e.g. of shards) into one.
    Merge(github::MergeArgs),
    /// Install a git pre-commit hook (or, with --pre-push, a pre-push hook) that runs leakhound.
    InstallHook(integrations::InstallHookArgs),
    /// Run in CI: scan what the event adds, write SARIF, a job summary, annotations and outputs.
    #[command(subcommand)]
    Ci(integrations::CiCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(integrations::CompletionsArgs),
    /// Print the man page (or write one per command with --dir).
    Man(integrations::ManArgs),
}

/// Flags shared by every command that scans and reports.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Redact secrets in every format (text and SARIF always redact).
    #[arg(long)]
    pub redact: bool,
    /// Never colour the text report.
    #[arg(long)]
    pub no_color: bool,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Exit code to use when credentials are found.
    #[arg(long, value_name = "N", default_value_t = EXIT_FINDINGS)]
    pub exit_code: i32,
    /// Files larger than this are skipped (e.g. 25MiB, 500KB, 1G) [default: 25MiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Report only findings at or above this confidence (low, medium, high) [default: low].
    #[arg(long, value_name = "LEVEL")]
    pub min_confidence: Option<Confidence>,
    /// Configuration file (leakhound.toml format); trusted like the command line.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Trusted configuration for CI: the scanned repository's own leakhound.toml
    /// and .leakhoundignore apply only as its `allow_repo_config` permits.
    #[arg(long, value_name = "FILE", env = "LEAKHOUND_CONFIG")]
    pub trusted_config: Option<PathBuf>,
    /// Report only findings whose fingerprint is not in this baseline
    /// (a leakhound baseline file or JSON report).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Ignore file of finding fingerprints [default: .leakhoundignore at the scanned root].
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,
    /// Extra rule files (a rule with a built-in id replaces it).
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,
    /// Do not decode base64, percent-encoding or string escapes to look inside them.
    #[arg(long)]
    pub no_decode: bool,
    /// Worker threads (default: number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Directory, file, `-` for stdin, or repository (with --git).
    #[arg(default_value = ".")]
    pub path: String,
    /// Scan git history (every blob in the object database) instead of the working tree.
    #[arg(long)]
    pub git: bool,
    /// With --git: only blobs introduced by commits in BASE..HEAD.
    #[arg(long, value_name = "BASE..HEAD")]
    pub range: Option<String>,
    /// With --git: shorthand for --range SHA..HEAD.
    #[arg(long, value_name = "SHA", conflicts_with = "range")]
    pub since_commit: Option<String>,
    /// With --git: only objects reachable from refs (default: every object).
    #[arg(long)]
    pub reachable_only: bool,
    /// With --git: decode every object but match nothing (benchmarks only).
    #[arg(long, hide = true)]
    pub decode_only: bool,
    /// With --git: scan every blob in full instead of only the lines its
    /// pack delta changed (delta-aware scanning is exact; this is slower).
    #[arg(long)]
    pub no_delta_scan: bool,
    /// With --git: scan the history both delta-aware and in full and fail
    /// (exit 2) on any difference; reports the full scan's findings.
    #[arg(long, conflicts_with = "no_delta_scan")]
    pub verify_delta_scan: bool,
    /// Scan files that .gitignore and friends would skip.
    #[arg(long)]
    pub no_ignore: bool,
    #[command(flatten)]
    pub verify: verify::ScanVerifyArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// Scan what is staged in the index (added lines only) instead of the unstaged diff.
    #[arg(long)]
    pub staged: bool,
    /// Scan the commits being pushed, from the ref updates git writes to a pre-push hook's stdin.
    #[arg(long, conflicts_with = "staged")]
    pub pre_push: bool,
    /// Repository (default: current directory).
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// File paths (as passed by hook frameworks); ignored: the whole staged diff is scanned once.
    #[arg(hide = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct IgnoreArgs {
    /// Finding fingerprints (from any report).
    #[arg(required = true)]
    pub fingerprints: Vec<String>,
    /// Why these are not credentials (written as a comment).
    #[arg(long)]
    pub reason: Option<String>,
    /// The ignore file to append to.
    #[arg(long, default_value = ".leakhoundignore")]
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Write a baseline from a leakhound JSON report: sorted, one finding per
    /// line, no timestamps or line numbers; marks it merge=union in .gitattributes.
    Create {
        /// A report written with `leakhound scan --format json`.
        report: PathBuf,
        #[arg(long, short = 'o', default_value = ".leakhound-baseline.jsonl")]
        output: PathBuf,
    },
    /// Import .gitleaksignore, detect-secrets' .secrets.baseline and ggshield's
    /// .gitguardian.yaml (found at --root unless named) as leakhound suppressions.
    Import {
        /// The checkout the suppressions apply to.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        #[arg(long, value_name = "FILE")]
        gitleaks: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        detect_secrets: Option<PathBuf>,
        #[arg(long, value_name = "FILE")]
        ggshield: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List rules (id, name, confidence, keywords) and counts by provider.
    List {
        /// Output format (text or json).
        #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Extra rule files.
        #[arg(long = "rules", value_name = "FILE")]
        rule_files: Vec<PathBuf>,
    },
    /// Validate rule files with the loader and their self-tests.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the rule reference as Markdown (docs/rules.md is generated with it).
    Doc,
}

/// Parses sizes like `25MiB`, `500KB`, `1G`, `4096`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| format!("invalid size {text:?}"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("invalid size unit {other:?} in {text:?}")),
    };
    Ok((value * mult) as u64)
}

/// Runs the parsed command; returns the process exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Protect(args) => run_protect(args),
        Command::Rules(cmd) => run_rules(cmd),
        Command::Verify(a) => verify::run_report(&a.report, &a.flags, &a.out, crate::verify::RevokeMode::Off),
        Command::Revoke(a) => {
            let mode = if a.yes { crate::verify::RevokeMode::Perform } else { crate::verify::RevokeMode::DryRun };
            verify::run_report(&a.report, &a.flags, &a.out, mode)
        }
        Command::Providers(a) => verify::run_providers(&a),
        Command::Github(cmd) => github::run_github(cmd),
        Command::Merge(args) => github::run_merge(args),
        Command::InstallHook(args) => integrations::run_install_hook(&args),
        Command::Ci(integrations::CiCommand::Github(args)) => integrations::run_ci_github(*args),
        Command::Completions(args) => integrations::run_completions(&args),
        Command::Man(args) => integrations::run_man(&args),
        Command::Ignore(args) => {
            let added = suppress::append_ignores(&args.file, &args.fingerprints, args.reason.as_deref())?;
            println!("{}: {added} fingerprint{} added", args.file.display(), if added == 1 { "" } else { "s" });
            Ok(0)
        }
        Command::Baseline(BaselineCommand::Import { root, gitleaks, detect_secrets, ggshield }) => {
            run_import(&root, gitleaks, detect_secrets, ggshield)
        }
        Command::Baseline(BaselineCommand::Create { report, output }) => {
            let entries = suppress::entries_from_report(&report)?;
            suppress::write_baseline(&output, &entries)?;
            if suppress::ensure_union_merge(&output)? {
                eprintln!("leakhound: marked {} merge=union in .gitattributes", output.display());
            }
            println!("{}: {} finding{}", output.display(), entries.len(), if entries.len() == 1 { "" } else { "s" });
            Ok(0)
        }
    }
}

/// The default size cap, when neither the command line nor a configuration sets one.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 25 * 1024 * 1024;

/// Rules, configuration and suppressions of one scan, resolved once.
struct Setup {
    set: RuleSet,
    settings: Settings,
    suppressor: Suppressor,
    max_file_size: u64,
    decode: bool,
}

fn setup(common: &CommonArgs, root: Option<&Path>) -> Result<Setup> {
    let settings = Settings::resolve(common.config.as_deref(), common.trusted_config.as_deref(), root)?;
    let mut set = RuleSet::builtin().context("built-in rules")?;
    settings.apply_to_rules(&mut set)?;
    for file in &common.rule_files {
        set.add_path(file)?;
    }
    let floor = common.min_confidence.or(settings.min_confidence).unwrap_or(Confidence::Low);
    set.retain(|r| r.confidence >= floor);
    let mut suppressor = Suppressor { path_allow: settings.path_globs()?, ..Suppressor::default() };
    let ignore_file = match (&common.ignore_file, root) {
        (Some(f), _) => Some(f.clone()),
        (None, Some(r)) if settings.repo_suppressions_allowed => {
            Some(r.join(suppress::IGNORE_FILE_NAME)).filter(|p| p.is_file())
        }
        _ => None,
    };
    if let Some(f) = ignore_file {
        suppressor.ignored = suppress::read_ignore_file(&f)?;
    }
    if let Some(b) = &common.baseline {
        suppressor.baseline = suppress::read_baseline(b)?;
    }
    let max_file_size = common.max_file_size.or(settings.max_file_size).unwrap_or(DEFAULT_MAX_FILE_SIZE);
    Ok(Setup { set, settings, suppressor, max_file_size, decode: !common.no_decode })
}

impl Setup {
    /// Git source settings from the resolved size cap and the thread flag.
    fn git_options(&self, common: &CommonArgs) -> sources::git::GitOptions {
        sources::git::GitOptions { max_blob_size: self.max_file_size, threads: threads(common), ..Default::default() }
    }

    /// Rules by id, for reports.
    fn rule_map(&self) -> std::collections::BTreeMap<&str, &crate::rules::Rule> {
        self.set.rules.iter().map(|r| (r.rule.id.as_str(), &r.rule)).collect()
    }

    /// The engine over the resolved rules, with decoding as asked.
    fn engine(&self) -> Engine {
        let mut engine = Engine::new(&self.set);
        engine.set_decoding(self.decode);
        engine
    }
}

/// The directory whose leakhound.toml and .leakhoundignore apply to a scan of `path`.
fn config_root(path: &Path) -> Option<PathBuf> {
    if path.as_os_str() == "-" {
        return None;
    }
    if path.is_dir() { Some(path.to_path_buf()) } else { path.parent().map(Path::to_path_buf) }
}

fn threads(common: &CommonArgs) -> usize {
    common.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1)
}

/// What a source produced, ready to report.
struct Outcome {
    hits: Vec<Hit>,
    stats: ScanStats,
    target: String,
    mode: &'static str,
    repository: Option<RepoInfo>,
}

fn run_scan(args: ScanArgs) -> Result<i32> {
    let setup = setup(&args.common, config_root(Path::new(&args.path)).as_deref())?;
    let engine = setup.engine();
    let started = Instant::now();
    let progress_on = !args.common.quiet;
    let outcome = if args.git || args.range.is_some() || args.since_commit.is_some() {
        let opts = sources::git::GitOptions {
            reachable_only: args.reachable_only,
            decode_only: args.decode_only,
            delta_scan: !args.no_delta_scan,
            verify_delta_scan: args.verify_delta_scan,
            ..setup.git_options(&args.common)
        };
        let repo_path = Path::new(&args.path);
        let range = args.range.clone().or_else(|| args.since_commit.as_ref().map(|s| format!("{s}..HEAD")));
        let progress = Progress::new(progress_on, "blobs");
        let (scan, mode) = match &range {
            Some(r) => (sources::git::scan_range(&engine, repo_path, r, &opts, &progress)?, "range"),
            None => (sources::git::scan_history(&engine, repo_path, &opts, &progress)?, "git"),
        };
        progress.finish();
        Outcome {
            hits: scan.hits,
            stats: scan.stats,
            target: range.unwrap_or_else(|| args.path.clone()),
            mode,
            repository: Some(scan.repo),
        }
    } else if args.path == "-" {
        let (hits, stats) = sources::fs::scan_stdin(&engine);
        Outcome { hits, stats, target: "-".into(), mode: "stdin", repository: None }
    } else {
        let root = PathBuf::from(&args.path);
        if !root.exists() {
            bail!("{}: no such file or directory", root.display());
        }
        let opts = sources::fs::WalkOptions {
            max_file_size: setup.max_file_size,
            no_ignore: args.no_ignore,
            threads: threads(&args.common),
            exclude: None,
        };
        let progress = Progress::new(progress_on, "files");
        let (hits, stats) = sources::fs::scan_tree(&engine, &root, &opts, &progress);
        progress.finish();
        Outcome { hits, stats, target: args.path.clone(), mode: "tree", repository: None }
    };
    finish(&engine, &setup, outcome, started, &args.common, Some(&args.verify))
}

fn run_protect(args: ProtectArgs) -> Result<i32> {
    if args.pre_push {
        return integrations::run_pre_push(args);
    }
    let setup = setup(&args.common, Some(&args.repo))?;
    let engine = setup.engine();
    let started = Instant::now();
    let opts = setup.git_options(&args.common);
    let scan = if args.staged {
        sources::git::scan_staged(&engine, &args.repo, &opts)?
    } else {
        sources::git::scan_unstaged(&engine, &args.repo, &opts)?
    };
    let outcome = Outcome {
        hits: scan.hits,
        stats: scan.stats,
        target: args.repo.display().to_string(),
        mode: if args.staged { "staged" } else { "unstaged" },
        repository: Some(scan.repo),
    };
    finish(&engine, &setup, outcome, started, &args.common, None)
}

/// Groups, renders and writes the report; reports errors once on stderr.
fn finish(
    engine: &Engine,
    setup: &Setup,
    outcome: Outcome,
    started: Instant,
    common: &CommonArgs,
    verify_args: Option<&verify::ScanVerifyArgs>,
) -> Result<i32> {
    let mut stats = outcome.stats;
    let (findings, suppressed) =
        resolve_findings(engine, setup, outcome.hits, &mut stats, started, common, verify_args)?;
    let report = Report {
        findings: &findings,
        stats: &stats,
        rules: setup.rule_map(),
        suppressed: &suppressed,
        target: outcome.target,
        mode: outcome.mode,
        repository: outcome.repository,
    };
    write_report(&report, common)?;
    Ok(if findings.is_empty() { 0 } else { common.exit_code })
}

/// Hits to reportable findings: suppressions, verification and redaction as
/// asked; every error met by the source is named once on stderr.
fn resolve_findings(
    engine: &Engine,
    setup: &Setup,
    hits: Vec<Hit>,
    stats: &mut ScanStats,
    started: Instant,
    common: &CommonArgs,
    verify_args: Option<&verify::ScanVerifyArgs>,
) -> Result<(Vec<crate::findings::Finding>, Vec<suppress::Suppression>)> {
    stats.duration = started.elapsed();
    stats.notes.extend(setup.settings.notes.iter().cloned());
    let (mut findings, suppressed) = setup.suppressor.apply(hits, &setup.settings, |i| engine.rule(i));
    if let Some(v) = verify_args {
        verify::apply_to_scan(&mut findings, v)?;
    }
    if common.redact {
        for f in &mut findings {
            f.secret = f.secret_redacted.clone();
        }
    }
    for e in &stats.errors {
        eprintln!("leakhound: {e}");
    }
    Ok((findings, suppressed))
}

/// Renders `report` in the chosen format to `--output` or stdout (coloured
/// only on a terminal).
fn write_report(report: &Report<'_>, common: &CommonArgs) -> Result<()> {
    let to_terminal = common.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && !common.no_color && std::env::var_os("NO_COLOR").is_none();
    write_output(common.output.as_deref(), &report::render(report, common.format, RenderOptions { color }))
}

fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write report to {}", p.display())),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                // A closed pipe (`| head`) is not an error worth reporting.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write report to stdout"),
            }
        }
    }
}

fn run_import(
    root: &Path,
    gitleaks: Option<PathBuf>,
    detect_secrets: Option<PathBuf>,
    ggshield: Option<PathBuf>,
) -> Result<i32> {
    let found = |given: Option<PathBuf>, name: &str| given.or_else(|| Some(root.join(name)).filter(|p| p.is_file()));
    let gitleaks = found(gitleaks, ".gitleaksignore");
    let detect_secrets = found(detect_secrets, ".secrets.baseline");
    let ggshield = found(ggshield, ".gitguardian.yaml");
    if gitleaks.is_none() && detect_secrets.is_none() && ggshield.is_none() {
        bail!("{}: no .gitleaksignore, .secrets.baseline or .gitguardian.yaml to import", root.display());
    }
    let set = RuleSet::builtin()?;
    let engine = Engine::new(&set);
    let sources = crate::import::ImportSources {
        gitleaks: gitleaks.as_deref(),
        detect_secrets: detect_secrets.as_deref(),
        ggshield: ggshield.as_deref(),
    };
    let imported = crate::import::import(&engine, root, &sources)?;
    let ignore_file = root.join(suppress::IGNORE_FILE_NAME);
    let mut added = 0;
    for (fp, reason) in &imported.fingerprints {
        added += suppress::append_ignores(&ignore_file, std::slice::from_ref(fp), Some(reason))?;
    }
    println!("{}: {added} fingerprint{} added", ignore_file.display(), if added == 1 { "" } else { "s" });
    if !imported.paths.is_empty() {
        let config = root.join(crate::config::REPO_CONFIG_NAME);
        let list: Vec<String> = imported.paths.iter().map(|p| format!("{p:?}")).collect();
        let snippet = format!("[allowlist]\npaths = [{}]\n", list.join(", "));
        if config.exists() {
            println!("{} exists; add these ignored paths to it yourself:\n{snippet}", config.display());
        } else {
            std::fs::write(&config, &snippet).with_context(|| format!("cannot write {}", config.display()))?;
            println!(
                "{}: {} ignored path{} written",
                config.display(),
                list.len(),
                if list.len() == 1 { "" } else { "s" }
            );
        }
    }
    for note in &imported.not_carried {
        eprintln!("leakhound: not carried over: {note}");
    }
    Ok(0)
}

fn run_rules(cmd: RulesCommand) -> Result<i32> {
    match cmd {
        RulesCommand::Doc => {
            print!("{}", rules_doc::render(&RuleSet::builtin()?));
            Ok(0)
        }
        RulesCommand::List { format, rule_files } => {
            let mut set = RuleSet::builtin()?;
            for f in &rule_files {
                set.add_path(f)?;
            }
            print!("{}", render_rule_list(&set, format));
            Ok(0)
        }
        RulesCommand::Check { files } => {
            let mut failed = false;
            for file in &files {
                let mut set = RuleSet::builtin()?;
                let name = file.display().to_string();
                if let Err(e) = set.add_path(file) {
                    eprintln!("leakhound: {e}");
                    failed = true;
                    continue;
                }
                let failures = crate::selftest::run(&set, |f| f == name);
                let count = set.rules.iter().filter(|r| r.file == name).count();
                if failures.is_empty() {
                    println!("{name}: {count} rule{} ok", if count == 1 { "" } else { "s" });
                } else {
                    failed = true;
                    for f in failures {
                        eprintln!("leakhound: {f}");
                    }
                }
            }
            Ok(if failed { EXIT_ERROR } else { 0 })
        }
    }
}

fn render_rule_list(set: &RuleSet, format: Format) -> String {
    let mut by_provider: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &set.rules {
        *by_provider.entry(r.rule.provider.as_str()).or_default() += 1;
    }
    if matches!(format, Format::Json | Format::Jsonl) {
        let rules: Vec<_> = set
            .rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.rule.id, "name": r.rule.name, "provider": r.rule.provider,
                    "confidence": r.rule.confidence, "keywords": r.rule.keywords,
                })
            })
            .collect();
        let doc = serde_json::json!({ "count": set.len(), "by_provider": by_provider, "rules": rules });
        return serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    let width = set.rules.iter().map(|r| r.rule.id.len()).max().unwrap_or(10);
    for r in &set.rules {
        out.push_str(&format!(
            "{:<width$}  {:<6}  {}  [{}]\n",
            r.rule.id,
            r.rule.confidence.to_string(),
            r.rule.name,
            r.rule.keywords.join(", ")
        ));
    }
    out.push_str(&format!("\n{} rules from {} provider families:\n", set.len(), by_provider.len()));
    for (p, n) in by_provider {
        out.push_str(&format!("  {p:<20} {n}\n"));
    }
    out
}
