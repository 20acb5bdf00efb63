//! GitHub Actions: which commits a run should scan, read from the event
//! payload (`GITHUB_EVENT_PATH`), and how findings are shown there: a
//! Markdown job summary (`GITHUB_STEP_SUMMARY`), `::error` annotations on
//! the log, and step outputs (`GITHUB_OUTPUT`).
//!
//! Range detection, by event:
//!
//! - `push`: `before..after`. A new branch (`before` all zeros) and a force
//!   push whose old tip is not in the clone have no usable `before`: the
//!   commits not on the default branch (`origin/<default>..after`) are
//!   scanned, or, for the default branch itself, everything `after` reaches.
//!   A deleted branch scans nothing.
//! - `pull_request`, `pull_request_target`: `base.sha..head.sha` (falling
//!   back to `origin/<base ref>` when `base.sha` is not in the clone).
//! - `merge_group`: `base_sha..head_sha`.
//! - anything else (`schedule`, `workflow_dispatch`, …): the full history.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, anyhow, bail};
use gix::ObjectId;
use serde_json::Value;

use crate::findings::{Finding, LocationKind};

/// How `ci github` chooses what to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The commits a push, pull request or merge group adds; full history
    /// for other events.
    Auto,
    /// The whole history, whatever the event.
    Full,
}

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `BASE..HEAD` for `scan --range` (BASE may be the null id: all of HEAD's history).
    Range(String),
    /// Every object in the repository.
    History,
    /// Nothing (a deleted branch).
    Nothing,
}

/// The decision, with a sentence for people.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    /// e.g. "push to main: the commits of abc1234..def5678".
    pub description: String,
}

/// Decides what to scan for `event_name` with `payload`, looking commits up
/// in the repository at `repo_path` (a force push leaves `before` unknown).
pub fn plan(repo_path: &Path, event_name: &str, payload: &Value, mode: Mode) -> Result<Plan> {
    if mode == Mode::Full {
        return Ok(Plan { target: Target::History, description: "full history (mode: full)".into() });
    }
    let repo = gix::discover(repo_path).map_err(|e| anyhow!("{}: not a git repository ({e})", repo_path.display()))?;
    match event_name {
        "push" => plan_push(&repo, payload),
        "pull_request" | "pull_request_target" => plan_pull_request(&repo, event_name, payload),
        "merge_group" => {
            let group = &payload["merge_group"];
            let base = sha_field(group, "base_sha", event_name)?;
            let head = sha_field(group, "head_sha", event_name)?;
            require_commit(&repo, &head, "the merge group's head")?;
            require_commit(&repo, &base, "the merge group's base")?;
            Ok(Plan {
                target: Target::Range(format!("{base}..{head}")),
                description: format!("merge group: the commits of {}..{}", short(&base), short(&head)),
            })
        }
        "" => bail!("no GitHub event name: set GITHUB_EVENT_NAME or pass --event-name, or use --mode full"),
        other => Ok(Plan { target: Target::History, description: format!("full history ({other} event)") }),
    }
}

fn plan_push(repo: &gix::Repository, payload: &Value) -> Result<Plan> {
    let git_ref = payload["ref"].as_str().unwrap_or_default();
    let branch = git_ref.strip_prefix("refs/heads/").unwrap_or(git_ref);
    let after = sha_field(payload, "after", "push")?;
    if payload["deleted"].as_bool() == Some(true) || is_null(&after) {
        return Ok(Plan { target: Target::Nothing, description: format!("push deleting {branch}: nothing to scan") });
    }
    require_commit(repo, &after, "the pushed commit (after)")?;
    let before = sha_field(payload, "before", "push")?;
    let forced = payload["forced"].as_bool() == Some(true);
    let why = if !is_null(&before) {
        if commit_exists(repo, &before) {
            let what = if forced { "force push" } else { "push" };
            return Ok(Plan {
                target: Target::Range(format!("{before}..{after}")),
                description: format!("{what} to {branch}: the commits of {}..{}", short(&before), short(&after)),
            });
        }
        format!("force push to {branch} (the old tip {} is not in this clone)", short(&before))
    } else {
        format!("first push of {branch}")
    };
    let default = payload["repository"]["default_branch"].as_str().filter(|d| !d.is_empty() && *d != branch);
    if let Some(default) = default {
        for candidate in [format!("refs/remotes/origin/{default}"), format!("refs/heads/{default}")] {
            if let Some(base) = resolve_commit(repo, &candidate) {
                return Ok(Plan {
                    target: Target::Range(format!("{base}..{after}")),
                    description: format!(
                        "{why}: the commits not on {default} ({}..{})",
                        short(&base.to_string()),
                        short(&after)
                    ),
                });
            }
        }
    }
    let null = ObjectId::null(repo.object_hash());
    Ok(Plan {
        target: Target::Range(format!("{null}..{after}")),
        description: format!("{why}: every commit reachable from {}", short(&after)),
    })
}

fn plan_pull_request(repo: &gix::Repository, event_name: &str, payload: &Value) -> Result<Plan> {
    let pr = &payload["pull_request"];
    let base = sha_field(&pr["base"], "sha", event_name)?;
    let head = sha_field(&pr["head"], "sha", event_name)?;
    let number = pr["number"].as_u64().or_else(|| payload["number"].as_u64());
    let name = number.map_or_else(|| "pull request".to_string(), |n| format!("pull request #{n}"));
    require_commit(repo, &head, "the pull request's head")?;
    if commit_exists(repo, &base) {
        return Ok(Plan {
            target: Target::Range(format!("{base}..{head}")),
            description: format!("{name}: the commits of {}..{}", short(&base), short(&head)),
        });
    }
    let base_ref = pr["base"]["ref"].as_str().unwrap_or_default();
    if !base_ref.is_empty()
        && let Some(base_now) = resolve_commit(repo, &format!("refs/remotes/origin/{base_ref}"))
    {
        return Ok(Plan {
            target: Target::Range(format!("{base_now}..{head}")),
            description: format!(
                "{name}: the commits not on {base_ref} ({}..{}; the event's base {} is not in this clone)",
                short(&base_now.to_string()),
                short(&head),
                short(&base)
            ),
        });
    }
    bail!(
        "{name}: its base commit {base} is not in this clone; check out with `fetch-depth: 0` (actions/checkout) \
         so the pull request's commits and its base are both present"
    )
}

/// A commit id from the payload: hex only, so nothing in an event can be
/// read as revision syntax.
fn sha_field(obj: &Value, key: &str, event: &str) -> Result<String> {
    let v = obj[key].as_str().ok_or_else(|| anyhow!("the {event} event payload has no {key}"))?;
    if !(v.len() == 40 || v.len() == 64) || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("the {event} event payload's {key} is not a commit id: {v:?}");
    }
    Ok(v.to_ascii_lowercase())
}

fn is_null(sha: &str) -> bool {
    crate::hooks::is_null_sha(sha)
}

fn resolve_commit(repo: &gix::Repository, spec: &str) -> Option<ObjectId> {
    repo.rev_parse_single(format!("{spec}^{{commit}}").as_str()).ok().map(|id| id.detach())
}

fn commit_exists(repo: &gix::Repository, sha: &str) -> bool {
    resolve_commit(repo, sha).is_some()
}

fn require_commit(repo: &gix::Repository, sha: &str, what: &str) -> Result<()> {
    if commit_exists(repo, sha) {
        return Ok(());
    }
    bail!(
        "{what} {sha} is not in this clone; check out the commit being tested with `fetch-depth: 0` \
         (actions/checkout) before running leakhound"
    )
}

fn short(sha: &str) -> &str {
    &sha[..sha.len().min(12)]
}

/// What the summary says about the scan besides the findings.
pub struct SummaryContext<'a> {
    pub description: &'a str,
    pub scanned: u64,
    pub bytes: u64,
    pub commit_messages: u64,
    pub seconds: f64,
    pub suppressed: usize,
    pub errors: usize,
    pub notes: &'a [String],
    pub sarif_file: Option<&'a str>,
}

/// Rows shown in the job summary before "and N more".
const SUMMARY_ROWS: usize = 100;
/// Locations shown per row.
const ROW_LOCATIONS: usize = 3;

/// The Markdown job summary: what was scanned, a table of findings with
/// redacted secrets, and what to do. Never holds a secret in full.
pub fn summary_markdown(findings: &[Finding], ctx: &SummaryContext<'_>) -> String {
    let mut out = String::new();
    let n = findings.len();
    if n == 0 {
        let _ = writeln!(out, "### leakhound: no credentials found\n");
    } else {
        let _ = writeln!(out, "### leakhound: {n} credential{} found\n", plural(n));
    }
    let _ = write!(
        out,
        "Scanned {}: {} item{} ({}) in {:.2} s",
        escape(ctx.description),
        ctx.scanned,
        plural(ctx.scanned as usize),
        crate::report::human_bytes(ctx.bytes),
        ctx.seconds
    );
    if ctx.commit_messages > 0 {
        let _ = write!(out, ", {} commit message{}", ctx.commit_messages, plural(ctx.commit_messages as usize));
    }
    out.push_str(".\n");
    if ctx.suppressed > 0 {
        let _ =
            writeln!(out, "{} suppressed finding{} (listed in the report).", ctx.suppressed, plural(ctx.suppressed));
    }
    if ctx.errors > 0 {
        let _ = writeln!(out, "{} error{} while scanning (see the log).", ctx.errors, plural(ctx.errors));
    }
    for note in ctx.notes {
        let _ = writeln!(out, "> {}", escape(note));
    }
    if n > 0 {
        let verified = findings.iter().any(|f| f.verification.is_some());
        out.push_str("\n| Credential | Rule | Secret (redacted) | Where | Commit |");
        out.push_str(if verified { " Status |\n|---|---|---|---|---|---|\n" } else { "\n|---|---|---|---|---|\n" });
        for f in findings.iter().take(SUMMARY_ROWS) {
            let mut wheres: Vec<String> = f.locations.iter().take(ROW_LOCATIONS).map(location_cell).collect();
            if f.locations.len() > ROW_LOCATIONS {
                wheres.push(format!("and {} more", f.locations.len() - ROW_LOCATIONS));
            }
            let mut commits: Vec<String> =
                f.locations.iter().filter_map(|l| l.commit.as_ref()).map(|c| code(short(&c.id))).collect();
            commits.dedup();
            commits.truncate(ROW_LOCATIONS);
            let _ = write!(
                out,
                "| {} | {} | {} | {} | {} |",
                escape(&f.rule_name),
                code(&f.rule_id),
                code(&f.secret_redacted),
                wheres.join("<br>"),
                commits.join("<br>"),
            );
            if verified {
                let status = f.verification.as_ref().map(|v| v.status_text()).unwrap_or_default();
                let _ = write!(out, " {} |", escape(&status));
            }
            out.push('\n');
        }
        if n > SUMMARY_ROWS {
            let _ =
                writeln!(out, "\nand {} more finding{} (see the report).", n - SUMMARY_ROWS, plural(n - SUMMARY_ROWS));
        }
        out.push_str(
            "\n**What to do:** rotate each credential with its provider (once pushed, it is leaked, even if a \
             later commit deletes it), then remove it from the code. If a finding is not a credential, mark its \
             line with a `leakhound:allow` comment, or add its fingerprint to `.leakhoundignore` \
             (`leakhound ignore FINGERPRINT --reason ...`).\n",
        );
    }
    if let Some(sarif) = ctx.sarif_file {
        let _ = writeln!(out, "\nSARIF report: {}", code(sarif));
    }
    out.push('\n');
    out
}

fn location_cell(l: &crate::findings::Location) -> String {
    match l.kind {
        LocationKind::CommitMessage => format!("commit message of {}", code(short(&l.path))),
        _ => code(&format!("{}:{}", l.path, l.line)),
    }
}

/// Workflow-command annotations (`::error file=…,line=…::…`), one per
/// location, at most `max`; a final notice counts the ones left out.
pub fn annotations(findings: &[Finding], max: usize) -> String {
    let mut out = String::new();
    let mut written = 0;
    let total: usize = findings.iter().map(|f| f.locations.len()).sum();
    for f in findings {
        for l in &f.locations {
            if written == max {
                break;
            }
            written += 1;
            let title = format!("leakhound: {}", f.rule_name);
            let mut message = format!("{} ({}): {}", f.rule_name, f.rule_id, f.secret_redacted);
            if let Some(c) = &l.commit {
                let _ = write!(message, ", added in commit {}", short(&c.id));
            }
            if l.in_head == Some(false) {
                message.push_str(" (no longer at HEAD: still in history)");
            }
            message.push_str(
                ". Rotate it with the provider and remove it; if it is not a credential, mark the line \
                 `leakhound:allow`.",
            );
            match l.kind {
                LocationKind::CommitMessage => {
                    let _ = writeln!(
                        out,
                        "::error title={}::{} in the message of commit {}",
                        property(&title),
                        data(&message),
                        data(&l.path)
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "::error file={},line={},endLine={},col={},endColumn={},title={}::{}",
                        property(&l.path),
                        l.line,
                        l.end_line,
                        l.column,
                        l.end_column,
                        property(&title),
                        data(&message)
                    );
                }
            }
        }
    }
    if total > written {
        let _ = writeln!(
            out,
            "::notice title=leakhound::{} more location{} not annotated (see the job summary and the report)",
            total - written,
            plural(total - written)
        );
    }
    out
}

/// The step outputs, in `GITHUB_OUTPUT`'s `name=value` form.
pub fn outputs(findings: usize, sarif_file: Option<&str>) -> String {
    let mut out = format!("findings={findings}\n");
    // A path with a newline would inject another output; drop such a value.
    let sarif = sarif_file.filter(|s| !s.contains(['\n', '\r'])).unwrap_or_default();
    let _ = writeln!(out, "sarif-file={sarif}");
    out
}

/// Escapes a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Escapes text for a Markdown table cell.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            // `#` matters only at the start of a line, which a cell never is.
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A Markdown code span, whatever backticks or pipes the text holds.
fn code(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_values_are_escaped() {
        assert_eq!(property("a:b,c%\nd"), "a%3Ab%2Cc%25%0Ad");
        assert_eq!(data("a:b,c%\r\n"), "a:b,c%25%0D%0A");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(escape("a|b*c"), "a\\|b\\*c");
        assert_eq!(code("x`y|z"), "``x`y\\|z``");
        assert_eq!(code("plain"), "`plain`");
    }

    #[test]
    fn outputs_refuse_newlines() {
        assert_eq!(outputs(2, Some("a.sarif")), "findings=2\nsarif-file=a.sarif\n");
        assert_eq!(outputs(0, Some("a\nb=c")), "findings=0\nsarif-file=\n");
    }

    #[test]
    fn payload_shas_must_be_hex() {
        let v = serde_json::json!({ "after": "HEAD~3", "before": "0123456789abcdef0123456789abcdef01234567" });
        assert!(sha_field(&v, "after", "push").is_err());
        assert!(sha_field(&v, "before", "push").is_ok());
        assert!(sha_field(&v, "missing", "push").is_err());
    }
}
