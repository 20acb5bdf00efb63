//! Flags and commands of nightly org scans: `leakhound github org|user|repo`
//! and `leakhound merge`. Flags become a `github::Options` here; the work is
//! in `crate::github` and `crate::merge`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use super::{CommonArgs, EXIT_ERROR, setup, threads, write_output};
use crate::github::{self, Filters, Options, Scanner, Shard, Target, api::RateLimitPolicy};
use crate::report::Format;
use crate::rules::{Rule, RuleSet};
use crate::sources::git::GitOptions;

#[derive(Debug, Subcommand)]
pub enum GithubCommand {
    /// Every repository of an organisation.
    Org {
        org: String,
        #[command(flatten)]
        args: Box<GithubArgs>,
    },
    /// Every repository a user owns.
    User {
        user: String,
        #[command(flatten)]
        args: Box<GithubArgs>,
    },
    /// One repository.
    Repo {
        /// OWNER/NAME
        full_name: String,
        #[command(flatten)]
        args: Box<GithubArgs>,
    },
}

/// Flags of `leakhound github ...`.
#[derive(Debug, Args)]
pub struct GithubArgs {
    /// REST API base URL (GitHub Enterprise Server: https://HOST/api/v3).
    #[arg(long, value_name = "URL", env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    pub api_url: String,
    /// Read the token from FILE instead of the GITHUB_TOKEN environment variable.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Mirrors and the state store live here [default: $XDG_CACHE_HOME/leakhound/github].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Per-repository SARIF files go here [default: CACHE_DIR/sarif].
    #[arg(long, value_name = "DIR")]
    pub sarif_dir: Option<PathBuf>,
    /// Upload each repository's SARIF to its code scanning (needs a token with security_events).
    #[arg(long)]
    pub upload_sarif: bool,
    /// Also write the org report as JSON to FILE (whatever --format is).
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,
    /// Write the self-contained HTML summary page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Include forks.
    #[arg(long)]
    pub include_forks: bool,
    /// Include archived repositories.
    #[arg(long)]
    pub include_archived: bool,
    /// Only repositories of this visibility.
    #[arg(long, value_parser = ["public", "private", "internal"])]
    pub visibility: Option<String>,
    /// Only repositories with this topic (repeatable: all must be present).
    #[arg(long = "topic", value_name = "TOPIC")]
    pub topics: Vec<String>,
    /// Only repositories whose name (without owner) matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub name: Option<String>,
    /// Skip repositories whose name (without owner) matches this regex.
    #[arg(long, value_name = "REGEX")]
    pub exclude: Option<String>,
    /// Scan only this worker's share: K/N (1 <= K <= N), by a stable hash of the full name.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Scan every repository's whole history again, whatever the state store says.
    #[arg(long)]
    pub rescan: bool,
    /// Longest wait for a rate limit to pass, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    pub max_rate_wait: u64,
    /// Retries of one API request after rate-limit answers.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub rate_retries: u32,
    #[command(flatten)]
    pub verify: super::verify::ScanVerifyArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Org reports (JSON), scan reports (JSON) or SARIF files.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the merged report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write the merged HTML summary page to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Redact secrets in every format.
    #[arg(long)]
    pub redact: bool,
}

fn read_token(args: &GithubArgs) -> Result<Option<String>> {
    let token = match &args.token_file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .with_context(|| format!("cannot read token file {}", f.display()))?
                .trim()
                .to_string(),
        ),
        None => std::env::var("GITHUB_TOKEN").ok().map(|t| t.trim().to_string()),
    };
    let token = token.filter(|t| !t.is_empty());
    // A token goes into an HTTP header: anything but visible ASCII is a mistake
    // (a pasted newline, a quoted value), and is never echoed back.
    if token.as_deref().is_some_and(|t| !t.bytes().all(|b| b.is_ascii_graphic())) {
        bail!("the GitHub token holds characters that cannot go into an HTTP header (spaces, quotes, newlines?)");
    }
    Ok(token)
}

fn regex(flag: &str, value: &Option<String>) -> Result<Option<regex::Regex>> {
    value.as_deref().map(|v| regex::Regex::new(v).with_context(|| format!("{flag} {v:?}: invalid regex"))).transpose()
}

/// `leakhound github org|user|repo`.
pub fn run_github(cmd: GithubCommand) -> Result<i32> {
    let (target, args) = match cmd {
        GithubCommand::Org { org, args } => (Target::Org(org), *args),
        GithubCommand::User { user, args } => (Target::User(user), *args),
        GithubCommand::Repo { full_name, args } => (Target::Repo(full_name), *args),
    };
    let setup = setup(&args.common, None)?;
    let cache_dir = match &args.cache_dir {
        Some(d) => d.clone(),
        None => dirs::cache_dir()
            .map(|d| d.join("leakhound").join("github"))
            .context("no cache directory: pass --cache-dir DIR")?,
    };
    let verify = (args.verify.verify || args.verify.revoke).then(|| {
        let f = &args.verify.flags;
        crate::verify::Settings {
            endpoints: f.endpoints.clone(),
            allow_internal: f.allow_internal_endpoints,
            audit_log: Some(f.audit_log.clone().unwrap_or_else(|| cache_dir.join("audit.jsonl"))),
            timeout: f.verify_timeout,
            retries: f.verify_retries,
            max_retry_wait: f.verify_max_wait,
            concurrency: f.verify_concurrency,
            verify_as: f.verify_as.clone(),
            revoke: match (args.verify.revoke, args.verify.yes) {
                (false, _) => crate::verify::RevokeMode::Off,
                (true, false) => crate::verify::RevokeMode::DryRun,
                (true, true) => crate::verify::RevokeMode::Perform,
            },
        }
    });
    let opts = Options {
        target,
        api_url: args.api_url.clone(),
        token: read_token(&args)?,
        filters: Filters {
            include_forks: args.include_forks,
            include_archived: args.include_archived,
            visibility: args.visibility.clone(),
            topics: args.topics.clone(),
            name: regex("--name", &args.name)?,
            exclude: regex("--exclude", &args.exclude)?,
        },
        shard: args.shard,
        sarif_dir: args.sarif_dir.clone().unwrap_or_else(|| cache_dir.join("sarif")),
        cache_dir,
        upload_sarif: args.upload_sarif,
        rescan: args.rescan,
        git: GitOptions { max_blob_size: setup.max_file_size, threads: threads(&args.common), ..GitOptions::default() },
        quiet: args.common.quiet,
        rate: RateLimitPolicy { max_wait: Duration::from_secs(args.max_rate_wait), retries: args.rate_retries },
        verify,
    };
    let scanner = Scanner { set: &setup.set, settings: &setup.settings, suppressor: &setup.suppressor };
    let mut pending = github::run(&opts, &scanner)?;
    let doc = &mut pending.report;
    if args.common.redact {
        doc.redact();
    }
    let rules = rule_map(&setup.set);
    if let Some(path) = &args.summary_json {
        github::write_atomic(path, &github::report::render(doc, Format::Json, &rules))?;
    }
    if let Some(path) = &args.html {
        github::write_atomic(path, &github::html::render(doc))?;
    }
    write_output(args.common.output.as_deref(), &github::report::render(doc, args.common.format, &rules))?;
    let live = doc.totals.by_status.get("live").copied().unwrap_or(0);
    let code = if doc.totals.new_findings > 0 || live > 0 {
        args.common.exit_code
    } else if doc.totals.failed > 0 {
        EXIT_ERROR
    } else {
        0
    };
    // Only now: killed before this, the next invocation resumes the run and reports it again.
    pending.finish()?;
    Ok(code)
}

fn rule_map(set: &RuleSet) -> std::collections::BTreeMap<&str, &Rule> {
    set.rules.iter().map(|r| (r.rule.id.as_str(), &r.rule)).collect()
}

/// `leakhound merge REPORTS...`.
pub fn run_merge(args: MergeArgs) -> Result<i32> {
    let set = RuleSet::builtin().context("built-in rules")?;
    let rules = rule_map(&set);
    let (text, merged) = crate::merge::run(&args.reports, args.format, &rules)?;
    let text = if args.redact && args.format != Format::Sarif {
        match merged.clone() {
            Some(mut m) => {
                m.redact();
                github::report::render(&m, args.format, &rules)
            }
            None => text,
        }
    } else {
        text
    };
    if let Some(path) = &args.html {
        match &merged {
            Some(m) => github::write_atomic(path, &github::html::render(m))?,
            None => bail!("--html needs at least one JSON report among the inputs"),
        }
    }
    write_output(args.output.as_deref(), &text)?;
    Ok(0)
}
