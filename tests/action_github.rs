//! The GitHub Action: `action.yml` and the example workflows validate
//! against the GitHub schemas vendored by check-jsonschema, and
//! `leakhound ci github` (the action's engine) is run for real with crafted
//! event payloads against real repositories: which commits each event
//! scans, the annotations, the job summary, the step outputs and the SARIF.

mod common;
mod hooks_support;

use std::path::PathBuf;
use std::process::Output;

use hooks_support::{Sandbox, leakhound_bin, text, this_repo, tool_available, write};
use serde_json::json;

const NULL: &str = "0000000000000000000000000000000000000000";

fn have_check_jsonschema() -> bool {
    tool_available("check-jsonschema", "pip install check-jsonschema")
}

fn check_schema(schema: &str, files: &[PathBuf]) {
    let out = std::process::Command::new("check-jsonschema")
        .args(["--builtin-schema", schema])
        .args(files)
        .output()
        .expect("check-jsonschema runs");
    assert!(out.status.success(), "{schema}: {files:?}\n{}", text(&out));
}

#[test]
fn action_metadata_validates_against_the_github_actions_schema() {
    if !have_check_jsonschema() {
        return;
    }
    check_schema("vendor.github-actions", &[this_repo().join("action.yml")]);
}

#[test]
fn example_workflows_and_readme_workflow_validate_against_the_github_workflows_schema() {
    if !have_check_jsonschema() {
        return;
    }
    let examples = this_repo().join("examples");
    let ours: Vec<PathBuf> =
        ["pull-request.yml", "push.yml", "nightly-full-scan.yml"].iter().map(|f| examples.join(f)).collect();
    for f in &ours {
        assert!(f.is_file(), "{} is missing", f.display());
        let text_ = std::fs::read_to_string(f).expect("read");
        assert!(text_.contains("uses: leakhound/leakhound@"), "{} does not use the action", f.display());
    }
    check_schema("vendor.github-workflows", &ours);

    let readme = std::fs::read_to_string(this_repo().join("README.md")).expect("README");
    let dir = tempfile::tempdir().expect("temp dir");
    let workflow = dir.path().join("leakhound.yml");
    std::fs::write(&workflow, snippet(&readme, "action-workflow")).expect("write");
    check_schema("vendor.github-workflows", &[workflow]);
}

/// The action's inputs are the ones its documentation promises, and every
/// input the scan step reads comes from an environment variable.
#[test]
fn action_inputs_outputs_and_steps_are_wired() {
    let action = action_yaml();
    for input in ["mode", "range", "path", "config", "fail-on-findings", "upload-sarif", "sarif-file", "verify", "args"]
    {
        assert!(action["inputs"][input]["description"].as_str().is_some(), "input {input}");
    }
    assert_eq!(action["outputs"]["findings"]["value"].as_str(), Some("${{ steps.scan.outputs.findings }}"));
    assert_eq!(action["outputs"]["sarif-file"]["value"].as_str(), Some("${{ steps.scan.outputs.sarif-file }}"));
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let steps = action["runs"]["steps"].as_sequence().expect("steps");
    let uses: Vec<&str> = steps.iter().filter_map(|s| s["uses"].as_str()).collect();
    assert!(uses.iter().any(|u| u.starts_with("github/codeql-action/upload-sarif@")), "{uses:?}");
    assert!(uses.iter().any(|u| u.starts_with("actions/cache@")), "{uses:?}");
    let scan = scan_step(&action);
    let run = scan["run"].as_str().expect("run");
    assert!(!run.contains("${{"), "inputs must reach the script through env, not be pasted into it:\n{run}");
    let build = steps.iter().find(|s| s["name"].as_str() == Some("Build leakhound")).expect("build step");
    assert!(build["run"].as_str().is_some_and(|r| r.contains("cargo install --locked")), "{build:?}");
}

fn action_yaml() -> serde_yaml_ng::Value {
    let text_ = std::fs::read_to_string(this_repo().join("action.yml")).expect("action.yml");
    serde_yaml_ng::from_str(&text_).expect("action.yml is YAML")
}

fn scan_step(action: &serde_yaml_ng::Value) -> serde_yaml_ng::Value {
    action["runs"]["steps"]
        .as_sequence()
        .and_then(|s| s.iter().find(|s| s["id"].as_str() == Some("scan")))
        .cloned()
        .expect("a step with id scan")
}

/// The fenced block after `<!-- snippet: NAME ... -->` in a Markdown file.
fn snippet(markdown: &str, name: &str) -> String {
    let marker = format!("<!-- snippet: {name}");
    let start = markdown.find(&marker).unwrap_or_else(|| panic!("no snippet {name}"));
    let rest = &markdown[start..];
    let open = rest.find("```").expect("fence");
    let body_start = open + rest[open..].find('\n').expect("fence line") + 1;
    let body_len = rest[body_start..].find("```").expect("closing fence");
    rest[body_start..body_start + body_len].to_string()
}

/// A repository with a `main` history (one old credential in it) and a
/// remote-tracking `origin/main`, as actions/checkout with fetch-depth 0 leaves it.
struct Project {
    sb: Sandbox,
    repo: PathBuf,
    old_key: String,
    main: String,
}

impl Project {
    fn new() -> Project {
        let sb = Sandbox::new();
        let repo = sb.repo("checkout");
        let old_key = common::sendgrid_key();
        write(&repo, "README.md", "# app\n");
        write(&repo, "legacy/mail.env", format!("SENDGRID_API_KEY={old_key}\n"));
        let p = Project { sb, repo, old_key, main: String::new() };
        p.commit("initial");
        write(&p.repo, "src/app.py", "print('hi')\n");
        let main = p.commit("app");
        p.git(&["update-ref", "refs/remotes/origin/main", &main]);
        Project { main, ..p }
    }

    fn git(&self, args: &[&str]) -> String {
        self.sb.git(&self.repo, args)
    }

    fn commit(&self, msg: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", msg]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn path(&self, name: &str) -> PathBuf {
        self.sb.root().join(name)
    }

    /// Runs `leakhound ci github` with this event; returns the run and the
    /// summary, outputs and SARIF it wrote.
    fn ci(&self, event: &str, payload: &serde_json::Value, args: &[&str]) -> CiRun {
        let event_file = self.path("event.json");
        std::fs::write(&event_file, payload.to_string()).expect("write event");
        let (summary, outputs, sarif) = (self.path("summary.md"), self.path("outputs.txt"), self.path("out.sarif"));
        for f in [&summary, &outputs, &sarif] {
            let _ = std::fs::remove_file(f);
        }
        let out = self
            .sb
            .cmd(leakhound_bin().to_str().expect("utf-8 path"), &self.repo)
            .args(["ci", "github", ".", "--sarif"])
            .arg(&sarif)
            .args(args)
            .env("GITHUB_EVENT_PATH", &event_file)
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &outputs)
            .output()
            .expect("leakhound runs");
        CiRun {
            stdout: String::from_utf8_lossy(&out.stdout).to_string(),
            all: text(&out),
            code: out.status.code(),
            summary: std::fs::read_to_string(&summary).unwrap_or_default(),
            outputs: std::fs::read_to_string(&outputs).unwrap_or_default(),
            sarif: std::fs::read_to_string(&sarif).ok().and_then(|s| serde_json::from_str(&s).ok()),
        }
    }

    /// The range (or `full`, `none`) `ci github` picks for this event.
    fn plan(&self, event: &str, payload: &serde_json::Value) -> String {
        let run = self.ci(event, payload, &["--print-plan"]);
        assert_eq!(run.code, Some(0), "{}", run.all);
        run.stdout.trim().to_string()
    }
}

struct CiRun {
    stdout: String,
    all: String,
    code: Option<i32>,
    summary: String,
    outputs: String,
    sarif: Option<serde_json::Value>,
}

impl CiRun {
    fn annotations(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| l.starts_with("::error ")).collect()
    }
}

fn push_event(git_ref: &str, before: &str, after: &str) -> serde_json::Value {
    json!({
        "ref": git_ref, "before": before, "after": after, "forced": false, "deleted": false, "created": before == NULL,
        "repository": { "full_name": "acme/app", "default_branch": "main" },
    })
}

fn pr_event(base: &str, head: &str) -> serde_json::Value {
    json!({
        "action": "synchronize", "number": 7,
        "pull_request": {
            "number": 7,
            "base": { "ref": "main", "sha": base },
            "head": { "ref": "feature", "sha": head },
        },
        "repository": { "full_name": "acme/app", "default_branch": "main" },
    })
}

#[test]
fn push_scans_before_to_after_with_annotations_summary_outputs_and_sarif() {
    let p = Project::new();
    let k1 = common::sendgrid_key();
    let k2 = common::mailgun_key();
    write(&p.repo, "config/mail.env", format!("HOST=smtp.sendgrid.net\nSENDGRID_API_KEY={k1}\n"));
    p.commit("mail");
    write(&p.repo, "src/notify.py", format!("import requests\n\nMAILGUN_API_KEY = \"{k2}\"\n"));
    let after = p.commit("notify");
    let event = push_event("refs/heads/main", &p.main, &after);
    assert_eq!(p.plan("push", &event), format!("{}..{after}", p.main));

    let run = p.ci("push", &event, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all);
    let ann = run.annotations();
    assert_eq!(ann.len(), 2, "{ann:#?}");
    assert!(ann.iter().any(|a| a.starts_with("::error file=config/mail.env,line=2,")), "{ann:#?}");
    assert!(ann.iter().any(|a| a.starts_with("::error file=src/notify.py,line=3,")), "{ann:#?}");
    assert!(ann.iter().all(|a| a.contains("title=leakhound%3A ")), "{ann:#?}");
    assert!(ann.iter().all(|a| a.contains("leakhound:allow")), "{ann:#?}");
    // The credential that was already on main is not blamed on this push.
    assert!(!run.all.contains("legacy/mail.env"), "{}", run.all);
    for secret in [&k1, &k2, &p.old_key] {
        assert!(!run.all.contains(secret.as_str()), "a secret in the log:\n{}", run.all);
        assert!(!run.summary.contains(secret.as_str()), "a secret in the summary:\n{}", run.summary);
    }

    assert!(run.summary.starts_with("### leakhound: 2 credentials found"), "{}", run.summary);
    assert!(run.summary.contains(&format!("push to main: the commits of {}..{}", &p.main[..12], &after[..12])));
    assert!(run.summary.contains("| Credential | Rule | Secret (redacted) | Where | Commit |"), "{}", run.summary);
    assert!(run.summary.contains("`config/mail.env:2`"), "{}", run.summary);
    assert!(run.summary.contains("`src/notify.py:3`"), "{}", run.summary);
    assert!(run.summary.contains(&format!("`{}…(69 chars)`", &k1[..6])), "{}", run.summary);
    assert!(run.summary.contains("leakhound:allow"), "{}", run.summary);

    let sarif_path = p.path("out.sarif").display().to_string();
    assert_eq!(run.outputs, format!("findings=2\nsarif-file={sarif_path}\n"));
    let sarif = run.sarif.expect("SARIF written");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"].as_array().map(Vec::len), Some(2), "{sarif}");

    // fail-on-findings false: the same report, exit 0.
    let run = p.ci("push", &event, &["--fail-on-findings", "false"]);
    assert_eq!(run.code, Some(0), "{}", run.all);
    assert_eq!(run.annotations().len(), 2);
    assert!(run.outputs.starts_with("findings=2\n"));
}

#[test]
fn pull_request_scans_base_to_head_only() {
    let p = Project::new();
    p.git(&["checkout", "-q", "-b", "feature"]);
    let key = common::sendgrid_key();
    write(&p.repo, "app/settings.py", format!("DEBUG = False\nEMAIL_HOST_PASSWORD = \"{key}\"\n"));
    let head = p.commit("settings");
    let event = pr_event(&p.main, &head);
    assert_eq!(p.plan("pull_request", &event), format!("{}..{head}", p.main));
    assert_eq!(p.plan("pull_request_target", &event), format!("{}..{head}", p.main));

    let run = p.ci("pull_request", &event, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all);
    let ann = run.annotations();
    assert_eq!(ann.len(), 1, "{ann:#?}");
    assert!(ann[0].starts_with("::error file=app/settings.py,line=2,"), "{ann:#?}");
    assert!(run.summary.contains("pull request #7"), "{}", run.summary);
    assert!(run.summary.starts_with("### leakhound: 1 credential found"), "{}", run.summary);

    // A clean pull request: exit 0, a summary that says so, findings=0.
    p.git(&["checkout", "-q", "-b", "clean", &p.main]);
    write(&p.repo, "docs/usage.md", "Set SENDGRID_API_KEY in the environment.\n");
    let clean = p.commit("docs");
    let run = p.ci("pull_request", &pr_event(&p.main, &clean), &[]);
    assert_eq!(run.code, Some(0), "{}", run.all);
    assert!(run.annotations().is_empty());
    assert!(run.summary.starts_with("### leakhound: no credentials found"), "{}", run.summary);
    assert!(run.outputs.starts_with("findings=0\n"), "{}", run.outputs);
}

#[test]
fn pull_request_whose_base_sha_is_gone_falls_back_to_the_base_branch() {
    let p = Project::new();
    p.git(&["checkout", "-q", "-b", "feature"]);
    write(&p.repo, "x.txt", "x\n");
    let head = p.commit("x");
    let gone = "1234567890abcdef1234567890abcdef12345678";
    assert_eq!(p.plan("pull_request", &pr_event(gone, &head)), format!("{}..{head}", p.main));

    // No base branch either: a clear error (exit 2) that says how to check out.
    p.git(&["update-ref", "-d", "refs/remotes/origin/main"]);
    let run = p.ci("pull_request", &pr_event(gone, &head), &[]);
    assert_eq!(run.code, Some(2), "{}", run.all);
    assert!(run.all.contains("fetch-depth: 0"), "{}", run.all);
}

#[test]
fn first_push_of_a_branch_scans_the_commits_not_on_the_default_branch() {
    let p = Project::new();
    p.git(&["checkout", "-q", "-b", "feature"]);
    write(&p.repo, "a.txt", "a\n");
    p.commit("a");
    let key = common::sendgrid_key();
    write(&p.repo, "b.env", format!("SENDGRID_API_KEY={key}\n"));
    let after = p.commit("b");
    let event = push_event("refs/heads/feature", NULL, &after);
    assert_eq!(p.plan("push", &event), format!("{}..{after}", p.main));
    let run = p.ci("push", &event, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all);
    assert_eq!(run.annotations().len(), 1, "{}", run.all);
    assert!(run.annotations()[0].starts_with("::error file=b.env,line=1,"), "{}", run.all);
    assert!(run.summary.contains("first push of feature"), "{}", run.summary);
}

#[test]
fn first_push_of_the_default_branch_scans_everything_it_reaches() {
    let p = Project::new();
    p.git(&["update-ref", "-d", "refs/remotes/origin/main"]);
    let event = push_event("refs/heads/main", NULL, &p.main);
    assert_eq!(p.plan("push", &event), format!("{NULL}..{}", p.main));
    let run = p.ci("push", &event, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all);
    assert!(run.annotations().iter().any(|a| a.starts_with("::error file=legacy/mail.env,line=1,")), "{}", run.all);
}

#[test]
fn force_push_whose_old_tip_is_not_in_the_clone_scans_the_commits_not_on_main() {
    let p = Project::new();
    p.git(&["checkout", "-q", "-b", "feature"]);
    let key = common::sendgrid_key();
    write(&p.repo, "rewritten.env", format!("SENDGRID_API_KEY={key}\n"));
    let after = p.commit("rewritten");
    let mut event = push_event("refs/heads/feature", "89abcdef0123456789abcdef0123456789abcdef", &after);
    event["forced"] = json!(true);
    assert_eq!(p.plan("push", &event), format!("{}..{after}", p.main));
    let run = p.ci("push", &event, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all);
    assert!(run.summary.contains("force push to feature"), "{}", run.summary);
    assert!(run.summary.contains("is not in this clone"), "{}", run.summary);
    assert_eq!(run.annotations().len(), 1, "{}", run.all);

    // Force-pushed main itself, old tip unknown: everything main reaches.
    let mut event = push_event("refs/heads/main", "89abcdef0123456789abcdef0123456789abcdef", &p.main);
    event["forced"] = json!(true);
    assert_eq!(p.plan("push", &event), format!("{NULL}..{}", p.main));
}

#[test]
fn force_push_whose_old_tip_is_still_here_scans_what_the_new_tip_adds() {
    let p = Project::new();
    p.git(&["checkout", "-q", "-b", "feature"]);
    write(&p.repo, "old.txt", "old\n");
    let old_tip = p.commit("old");
    // Rewritten: the old commit is replaced by one with a credential.
    p.git(&["reset", "-q", "--hard", &p.main]);
    let key = common::sendgrid_key();
    write(&p.repo, "new.env", format!("SENDGRID_API_KEY={key}\n"));
    let after = p.commit("new");
    let mut event = push_event("refs/heads/feature", &old_tip, &after);
    event["forced"] = json!(true);
    assert_eq!(p.plan("push", &event), format!("{old_tip}..{after}"));
    let run = p.ci("push", &event, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all);
    assert!(run.annotations()[0].starts_with("::error file=new.env,line=1,"), "{}", run.all);
}

#[test]
fn deleted_branch_scheduled_runs_and_explicit_modes() {
    let p = Project::new();
    let mut deleted = push_event("refs/heads/gone", &p.main, NULL);
    deleted["deleted"] = json!(true);
    assert_eq!(p.plan("push", &deleted), "none");
    let run = p.ci("push", &deleted, &[]);
    assert_eq!(run.code, Some(0), "{}", run.all);
    assert!(run.summary.contains("nothing to scan"), "{}", run.summary);
    assert!(run.outputs.starts_with("findings=0\n"), "{}", run.outputs);

    let schedule = json!({ "schedule": "0 3 * * *" });
    assert_eq!(p.plan("schedule", &schedule), "full");
    assert_eq!(p.plan("workflow_dispatch", &json!({})), "full");
    let run = p.ci("schedule", &schedule, &[]);
    assert_eq!(run.code, Some(1), "{}", run.all);
    assert!(run.annotations().iter().any(|a| a.contains("file=legacy/mail.env")), "{}", run.all);

    let event = push_event("refs/heads/main", &p.main, &p.main);
    assert_eq!(p.ci("push", &event, &["--print-plan", "--mode", "full"]).stdout.trim(), "full");
    let run = p.ci("push", &event, &["--print-plan", "--range", "HEAD~1..HEAD"]);
    assert_eq!(run.stdout.trim(), "HEAD~1..HEAD");
}

#[test]
fn event_payloads_are_never_read_as_revision_syntax() {
    let p = Project::new();
    let event = push_event("refs/heads/main", "HEAD~1", &p.main);
    let run = p.ci("push", &event, &[]);
    assert_eq!(run.code, Some(2), "{}", run.all);
    assert!(run.all.contains("is not a commit id"), "{}", run.all);

    let run = p.ci("push", &json!({ "ref": "refs/heads/main" }), &[]);
    assert_eq!(run.code, Some(2), "{}", run.all);
    assert!(run.all.contains("has no after"), "{}", run.all);
}

#[test]
fn annotation_properties_are_escaped() {
    let p = Project::new();
    let key = common::sendgrid_key();
    write(&p.repo, "odd,dir/a:b%.env", format!("SENDGRID_API_KEY={key}\n"));
    let after = p.commit("odd");
    let run = p.ci("push", &push_event("refs/heads/main", &p.main, &after), &[]);
    let ann = run.annotations();
    assert_eq!(ann.len(), 1, "{}", run.all);
    assert!(ann[0].starts_with("::error file=odd%2Cdir/a%3Ab%25.env,line=1,"), "{ann:#?}");
}

/// The action's own scan step, run with bash as the runner would: inputs
/// through `INPUT_*`, the binary through PATH.
#[test]
fn action_scan_step_runs_the_binary_with_its_inputs() {
    let p = Project::new();
    let key = common::sendgrid_key();
    write(&p.repo, "deploy/.env", format!("SENDGRID_API_KEY={key}\n"));
    let after = p.commit("deploy");
    let action = action_yaml();
    let scan = scan_step(&action);
    let script = scan["run"].as_str().expect("run");
    let event_file = p.path("event.json");
    std::fs::write(&event_file, push_event("refs/heads/main", &p.main, &after).to_string()).expect("write");
    let (summary, outputs) = (p.path("summary.md"), p.path("outputs.txt"));

    let run_step = |inputs: &[(&str, &str)]| -> Output {
        let mut cmd = p.sb.cmd("bash", &p.repo);
        cmd.args(["-e", "-c", script]);
        // `${{ inputs.NAME }}` is the input's value or its default; the
        // cached build's directory (`${{ steps.key.outputs.dir }}`) is
        // empty, as with `install: path`, so the wrapper on PATH runs.
        for (var, value) in scan["env"].as_mapping().expect("env") {
            let (Some(var), Some(value)) = (var.as_str(), value.as_str()) else { continue };
            let Some(name) = value.strip_prefix("${{ inputs.").and_then(|v| v.strip_suffix(" }}")) else {
                assert_eq!(value, "${{ steps.key.outputs.dir }}", "{var}");
                cmd.env(var, "");
                continue;
            };
            let default = action["inputs"][name]["default"].as_str().unwrap_or_default().to_string();
            let given = inputs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
            cmd.env(var, given.unwrap_or(default));
        }
        let _ = std::fs::remove_file(&summary);
        let _ = std::fs::remove_file(&outputs);
        cmd.env("GITHUB_EVENT_PATH", &event_file)
            .env("GITHUB_EVENT_NAME", "push")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_OUTPUT", &outputs)
            .env("RUNNER_TEMP", p.sb.root())
            .output()
            .expect("bash runs")
    };

    let out = run_step(&[]);
    assert!(out.status.success(), "the scan step fails on findings; the last step does that:\n{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("::error file=deploy/.env,line=1,"), "{stdout}");
    let sarif = p.sb.root().join("leakhound.sarif");
    assert_eq!(
        std::fs::read_to_string(&outputs).expect("outputs"),
        format!("findings=1\nsarif-file={}\n", sarif.display())
    );
    assert!(sarif.is_file());
    assert!(std::fs::read_to_string(&summary).expect("summary").contains("`deploy/.env:1`"));

    // Inputs: an explicit range with nothing in it, extra arguments.
    let range = format!("{after}..{after}");
    let out = run_step(&[("range", range.as_str()), ("args", "--min-confidence high")]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::read_to_string(&outputs).expect("outputs").starts_with("findings=0\n"));

    // A configuration input that does not exist fails the step (exit 2).
    let out = run_step(&[("config", "/nonexistent/leakhound.toml")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
