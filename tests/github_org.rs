//! End-to-end tests of `leakhound github org|user` and `leakhound merge`: a
//! fake GitHub REST API on 127.0.0.1 (wiremock) lists repositories with
//! pagination, rate-limit headers and one secondary-rate-limit answer, and
//! accepts SARIF uploads; its `clone_url`s are `file://` URLs of real git
//! repositories in the test's temp dir. The real binary runs several times
//! against the same cache directory. Nothing touches the internet.

mod common;
mod git_support;

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use common::{leakhound, sendgrid_key};
use git_support::Repo;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "ghp_TestTokenThatMustNeverLeak0123456789ab";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

/// A repository listing entry as GitHub returns it.
fn api_repo(owner: &str, name: &str, clone_url: &str, fork: bool, archived: bool) -> Value {
    json!({
        "id": fastrand::u32(..), "name": name, "full_name": format!("{owner}/{name}"),
        "private": false, "visibility": "public", "fork": fork, "archived": archived, "disabled": false,
        "clone_url": clone_url, "default_branch": "main", "topics": ["service"],
    })
}

fn file_url(repo: &Repo) -> String {
    format!("file://{}", repo.git_dir().display())
}

fn rate_headers(remaining: u32) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-ratelimit-limit", "5000")
        .insert_header("x-ratelimit-remaining", remaining.to_string().as_str())
        .insert_header("x-ratelimit-reset", "4102444800")
}

/// Serves `repos` for `GET /orgs/{org}/repos`, `per_page` to a page.
async fn serve_org(server: &MockServer, org: &str, repos: &[Value], per_page: usize) {
    let pages: Vec<&[Value]> = repos.chunks(per_page.max(1)).collect();
    for (i, page) in pages.iter().enumerate() {
        let mut resp = rate_headers(4990 - i as u32).set_body_json(page.to_vec());
        if i + 1 < pages.len() {
            let next = format!("{}/orgs/{org}/repos?per_page=100&type=all&page={}", server.uri(), i + 2);
            resp = resp.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
        }
        let mock = Mock::given(method("GET")).and(path(format!("/orgs/{org}/repos")));
        let mock = if i == 0 {
            mock.and(wiremock::matchers::query_param_is_missing("page"))
        } else {
            mock.and(query_param("page", (i + 1).to_string()))
        };
        mock.respond_with(resp).mount(server).await;
    }
}

fn run_org(api: &str, org: &str, cache: &Path, extra: &[&str]) -> (Value, String, i32) {
    let out = leakhound()
        .args(["github", "org", org, "--api-url", api, "--cache-dir"])
        .arg(cache)
        .args(["--format", "json"])
        .args(extra)
        .env("GITHUB_TOKEN", TOKEN)
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let doc: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN), "the token leaked into the output");
    (doc, stderr, out.status.code().unwrap_or(-1))
}

fn repo_entry<'a>(doc: &'a Value, full_name: &str) -> &'a Value {
    doc["repositories"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["full_name"] == full_name))
        .unwrap_or_else(|| panic!("{full_name} not in report: {doc}"))
}

fn secrets(entry: &Value) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = entry["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| (f["secret"].as_str().unwrap_or_default().to_string(), f["new"].as_bool().unwrap_or(false)))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every file under `dir`, read as bytes (to look for the token).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out
}

#[test]
fn second_run_scans_only_new_objects_and_reports_new_findings() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let app = Repo::new();
    let app_key = sendgrid_key();
    app.write("config/mail.yml", format!("sendgrid_api_key: {app_key}\n"));
    app.write("README.md", "app\n");
    app.commit("app");
    let web = Repo::new();
    web.write("index.html", "<p>hello</p>\n");
    web.commit("web");
    let fork = Repo::new();
    fork.write("leak.txt", format!("sendgrid_api_key: {}\n", sendgrid_key()));
    fork.commit("fork");
    let old = Repo::new();
    old.write("leak.txt", format!("sendgrid_api_key: {}\n", sendgrid_key()));
    old.commit("archived");
    let listing = vec![
        api_repo("acme", "app", &file_url(&app), false, false),
        api_repo("acme", "fork", &file_url(&fork), true, false),
        api_repo("acme", "old", &file_url(&old), false, true),
        api_repo("acme", "web", &file_url(&web), false, false),
    ];
    rt.block_on(async {
        // The second page answers once with a secondary rate limit first.
        Mock::given(method("GET"))
            .and(path("/orgs/acme/repos"))
            .and(query_param("page", "2"))
            .respond_with(
                ResponseTemplate::new(403)
                    .insert_header("retry-after", "1")
                    .insert_header("x-ratelimit-remaining", "4000")
                    .set_body_json(json!({"message": "You have exceeded a secondary rate limit."})),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        serve_org(&server, "acme", &listing, 2).await;
        Mock::given(method("POST"))
            .and(path("/repos/acme/app/code-scanning/sarifs"))
            .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "upload-1", "url": "x"})))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path("/repos/acme/web/code-scanning/sarifs"))
            .respond_with(ResponseTemplate::new(202).set_body_json(json!({"id": "upload-2", "url": "x"})))
            .mount(&server)
            .await;
    });
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let html = out.path().join("summary.html");
    let sarif_dir = out.path().join("sarif");
    let common_flags = |html: &Path| {
        vec![
            "--upload-sarif".to_string(),
            "--html".into(),
            html.display().to_string(),
            "--sarif-dir".into(),
            sarif_dir.display().to_string(),
        ]
    };
    let flags = common_flags(&html);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();

    // Night 1: everything is new.
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &flags);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(doc["schema"], "leakhound-org-report");
    assert_eq!(doc["totals"]["repositories"], 2, "forks and archived repositories are skipped: {doc}");
    assert_eq!(repo_entry(&doc, "acme/app")["mode"], "full");
    assert_eq!(secrets(repo_entry(&doc, "acme/app")), vec![(app_key.clone(), true)]);
    assert!(secrets(repo_entry(&doc, "acme/web")).is_empty());
    assert_eq!(doc["totals"]["new_findings"], 1);
    assert!(stderr.contains("rate limited"), "the secondary rate limit is waited for: {stderr}");
    assert!(stderr.contains("API quota"), "{stderr}");
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(sarif_dir.join("acme__app.sarif")).expect("sarif"))
            .expect("json");
    assert_eq!(sarif["runs"][0]["results"].as_array().map(Vec::len), Some(1));
    assert!(!sarif.to_string().contains(&app_key), "SARIF is redacted");

    // The upload: gzip + base64 SARIF for the mirror's main commit, token as Bearer.
    let requests = rt.block_on(server.received_requests()).unwrap_or_default();
    let uploads: Vec<&Request> = requests.iter().filter(|r| r.url.path().ends_with("/code-scanning/sarifs")).collect();
    assert_eq!(uploads.len(), 2, "one upload per repository");
    let app_upload = uploads.iter().find(|r| r.url.path().contains("/acme/app/")).expect("app upload");
    let body: Value = serde_json::from_slice(&app_upload.body).expect("json body");
    assert_eq!(body["commit_sha"], app.head());
    assert_eq!(body["ref"], "refs/heads/main");
    let gz = base64::engine::general_purpose::STANDARD.decode(body["sarif"].as_str().unwrap_or_default()).expect("b64");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut text).expect("gzip");
    assert!(text.contains("\"runs\""));
    let auth = app_upload.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(auth, format!("Bearer {TOKEN}"));
    let page2 = requests.iter().filter(|r| r.url.query().is_some_and(|q| q.contains("page=2"))).count();
    assert_eq!(page2, 2, "page 2 was retried once after the 403");

    // Between the nights: a new secret in web, an unrelated file in app.
    let web_key = sendgrid_key();
    web.write("deploy/env", format!("SENDGRID_API_KEY={web_key}\n"));
    web.commit("deploy");
    app.write("docs/usage.md", "no secrets here\n");
    app.commit("docs");

    // Night 2: only the new blobs are scanned, only web's key is new.
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &flags);
    assert_eq!(code, 1, "{stderr}");
    let web_entry = repo_entry(&doc, "acme/web");
    assert_eq!(web_entry["mode"], "incremental");
    assert_eq!(web_entry["blobs_scanned"], 1, "only the new blob: {web_entry}");
    assert_eq!(web_entry["commits_scanned"], 1);
    assert_eq!(secrets(web_entry), vec![(web_key.clone(), true)]);
    let app_entry = repo_entry(&doc, "acme/app");
    assert_eq!(app_entry["mode"], "incremental");
    assert_eq!(app_entry["blobs_scanned"], 1);
    assert_eq!(secrets(app_entry), vec![(app_key.clone(), false)], "app's key is known, not new");
    assert_eq!(doc["totals"]["new_findings"], 1);
    assert_eq!(doc["totals"]["findings"], 2);
    assert_eq!(doc["history"].as_array().map(Vec::len), Some(2));
    let loc = &web_entry["findings"][0]["locations"][0];
    assert_eq!(loc["path"], "deploy/env");
    assert_eq!(loc["commit"]["id"], web.head());

    // Night 3: nothing changed: nothing is scanned, nothing uploaded again, exit 0.
    let uploads_before = rt.block_on(server.received_requests()).unwrap_or_default().len();
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &flags);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(repo_entry(&doc, "acme/app")["mode"], "unchanged");
    assert_eq!(repo_entry(&doc, "acme/web")["mode"], "unchanged");
    assert_eq!(doc["totals"]["blobs_scanned"], 0);
    assert_eq!(doc["totals"]["new_findings"], 0);
    let requests = rt.block_on(server.received_requests()).unwrap_or_default();
    let new_uploads =
        requests[uploads_before..].iter().filter(|r| r.url.path().ends_with("/code-scanning/sarifs")).count();
    assert_eq!(new_uploads, 0, "unchanged SARIF is not uploaded again");

    // The token is nowhere on disk: not in the mirrors' config, the store, the reports.
    for file in files_under(cache.path()).into_iter().chain(files_under(out.path())) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(!bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "token found in {}", file.display());
    }
}

#[test]
fn changed_rules_rescan_history_with_only_those_rules() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let app = Repo::new();
    app.write("notes.txt", "internal code ZZTOP-KQVZMWRTXPLBHJDN\n");
    app.commit("notes");
    rt.block_on(serve_org(&server, "acme", &[api_repo("acme", "app", &file_url(&app), false, false)], 10));
    let cache = tempfile::tempdir().expect("tmp");
    let (doc, stderr, _) = run_org(&server.uri(), "acme", cache.path(), &["--quiet"]);
    assert_eq!(doc["totals"]["findings"], 0, "{stderr}");
    let rules = cache.path().join("extra.toml");
    std::fs::write(
        &rules,
        r#"[[rule]]
id = "acme.zztop"
name = "ACME internal code"
provider = "acme"
keywords = ["zztop-"]
pattern = '(?P<secret>ZZTOP-[A-Z]{16})'
confidence = "high"
remediation = "rotate it"
examples = [
  { input = "code ZZTOP-KQVZMWRTXPLBHJDN", secret = "ZZTOP-KQVZMWRTXPLBHJDN" },
  { input = "x=ZZTOP-QWERTYUIOPASDFGH", secret = "ZZTOP-QWERTYUIOPASDFGH" },
]
negative_examples = ["ZZTOP-abc"]
"#,
    )
    .expect("write rules");
    let rules_flag = rules.display().to_string();
    let (doc, stderr, _) = run_org(&server.uri(), "acme", cache.path(), &["--rules", &rules_flag]);
    let entry = repo_entry(&doc, "acme/app");
    assert_eq!(entry["mode"], "rules-changed", "{stderr}");
    assert_eq!(entry["changed_rules"], json!(["acme.zztop"]));
    assert_eq!(secrets(entry), vec![("ZZTOP-KQVZMWRTXPLBHJDN".to_string(), true)]);
    let (doc, _, _) = run_org(&server.uri(), "acme", cache.path(), &["--rules", &rules_flag]);
    assert_eq!(repo_entry(&doc, "acme/app")["mode"], "unchanged");
}

/// Every finding fingerprint of a report, sorted.
fn fingerprints(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> = doc["repositories"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["findings"].as_array().into_iter().flatten())
        .map(|f| f["fingerprint"].as_str().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

/// Kills the real binary again and again, at moments spread over its work
/// (listing, clone, scan, recording, the final reports), sometimes alone
/// (its git keeps running, as after the OOM killer or `kill -9 PID`) and
/// sometimes with its whole process group (git dies mid-write, as under
/// `timeout` or systemd), until one attempt finishes.
#[test]
fn killed_runs_resume_and_lose_nothing() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let mut repos = Vec::new();
    let mut listing = Vec::new();
    for i in 0..10 {
        let r = Repo::new();
        for j in 0..20 {
            r.write(&format!("src/file{j}.txt"), format!("line {i} {j}\n").repeat(200));
        }
        r.write("secrets.env", format!("SENDGRID_API_KEY={}\n", sendgrid_key()));
        r.commit("init");
        listing.push(api_repo("acme", &format!("svc-{i:02}"), &file_url(&r), false, false));
        repos.push(r);
    }
    rt.block_on(serve_org(&server, "acme", &listing, 4));
    let reference_cache = tempfile::tempdir().expect("tmp");
    let (reference, _, _) = run_org(&server.uri(), "acme", reference_cache.path(), &["--threads", "1"]);
    assert_eq!(reference["totals"]["findings"], 10);
    assert_eq!(fingerprints(&reference).len(), 10);

    let cache = tempfile::tempdir().expect("tmp");
    let logs = tempfile::tempdir().expect("tmp");
    let exe = assert_cmd::cargo::cargo_bin("leakhound");
    let mut kills = 0;
    let mut group_kills = 0;
    let mut final_report = None;
    // A complete report written by an attempt that was killed right after.
    let mut report_of_killed = None;
    for attempt in 0..40 {
        let stdout_path = logs.path().join(format!("out{attempt}"));
        let stderr_path = logs.path().join(format!("err{attempt}"));
        let mut child = Command::new(&exe)
            .args(["github", "org", "acme", "--api-url", &server.uri(), "--format", "json", "--threads", "1"])
            .arg("--cache-dir")
            .arg(cache.path())
            .env("GITHUB_TOKEN", TOKEN)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout_path).expect("file"))
            .stderr(std::fs::File::create(&stderr_path).expect("file"))
            .process_group(0)
            .spawn()
            .expect("spawn");
        // The first attempt dies early (listing, store, first clone); each
        // later one once it has finished a repository, up to 100 ms later:
        // while it fetches, clones, scans or records the next one, or writes
        // the reports after the last (a repository here takes some tens of
        // milliseconds; a longer delay lets most attempts finish them all).
        // Every attempt finishes at least one repository, so the loop ends.
        let mut exited = None;
        let started = std::time::Instant::now();
        let mut kill_at =
            if attempt == 0 { Some(started + Duration::from_millis(fastrand::u64(0..300))) } else { None };
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                exited = Some(status);
                break;
            }
            if kill_at.is_none() {
                let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                if err.lines().any(|l| l.contains(": full, ")) {
                    kill_at = Some(std::time::Instant::now() + Duration::from_millis(fastrand::u64(0..100)));
                }
            }
            if kill_at.is_some_and(|t| std::time::Instant::now() >= t) {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        match exited {
            Some(status) => {
                let out = std::fs::read_to_string(&stdout_path).expect("stdout");
                let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                final_report = match (status.code(), report_of_killed.take()) {
                    (Some(1), _) => Some(out),
                    // The attempt before was killed in the instant between
                    // marking its run finished and exiting, with its report
                    // out: this attempt is already the next night.
                    (Some(0), Some(earlier)) => Some(earlier),
                    (code, _) => panic!("attempt {attempt} exited with {code:?}, not 1 (new findings): {err}"),
                };
                break;
            }
            None => {
                if fastrand::bool() {
                    let group = format!("-{}", child.id());
                    let killed = Command::new("kill").args(["-KILL", "--", &group]).status().expect("kill runs");
                    assert!(killed.success(), "kill -KILL -- {group} failed");
                    group_kills += 1;
                } else {
                    child.kill().expect("kill");
                }
                let _ = child.wait();
                kills += 1;
                let out = std::fs::read_to_string(&stdout_path).unwrap_or_default();
                if serde_json::from_str::<Value>(&out).is_ok() {
                    report_of_killed = Some(out);
                }
            }
        }
    }
    assert!(kills >= 3, "only {kills} attempts were killed mid-run");
    let logs_text: String = files_under(logs.path())
        .into_iter()
        .filter(|p| p.display().to_string().contains("/err"))
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    let repairs = logs_text.lines().filter(|l| l.contains("removed lock files") || l.contains("cloned it again"));
    eprintln!("{kills} kills ({group_kills} of the process group), {} mirror repairs", repairs.count());
    assert!(logs_text.contains("resuming interrupted run"), "{logs_text}");
    assert!(logs_text.contains("done earlier in this run"), "{logs_text}");
    // A kill is not a reason for a repository to fail: what it leaves behind is repaired.
    assert!(!logs_text.contains(": failed: "), "{kills} kills ({group_kills} of the group):\n{logs_text}");
    let doc: Value = serde_json::from_str(&final_report.expect("a run finished")).expect("json");
    assert_eq!(doc["totals"]["repositories"], 10);
    assert_eq!(doc["totals"]["failed"], 0);
    assert_eq!(doc["totals"]["findings"], reference["totals"]["findings"]);
    assert_eq!(fingerprints(&doc), fingerprints(&reference));
    assert_eq!(doc["totals"]["new_findings"], 10, "a resumed run still reports tonight's findings as new");
    for (i, r) in listing.iter().enumerate() {
        let name = r["full_name"].as_str().unwrap_or_default();
        assert_eq!(secrets(repo_entry(&doc, name)), secrets(repo_entry(&reference, name)), "repo {i}");
        assert_eq!(repo_entry(&doc, name)["mode"], "full");
    }
    // Each repository was scanned to completion once: later attempts say it was done.
    let completed = logs_text.lines().filter(|l| l.contains(": full, ")).count();
    assert!(completed <= 10, "{completed} completed scans for 10 repositories");
    // The next night finds nothing new and scans nothing.
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &[]);
    assert_eq!(doc["totals"]["blobs_scanned"], 0, "{stderr}");
    assert_eq!(doc["totals"]["new_findings"], 0);
    assert_eq!(fingerprints(&doc), fingerprints(&reference));
    assert_eq!(code, 0);
}

/// What a git killed mid-write leaves in a mirror (lock files), a mirror
/// that lost objects or its HEAD, and a clone that never finished: each is
/// repaired on the next run, which says so and loses nothing.
#[test]
fn broken_mirrors_are_repaired() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let app = Repo::new();
    app.write("README.md", "app\n");
    app.commit("init");
    rt.block_on(serve_org(&server, "acme", &[api_repo("acme", "app", &file_url(&app), false, false)], 10));
    let cache = tempfile::tempdir().expect("tmp");
    let (_, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let mirror = cache.path().join("mirrors/acme/app.git");
    let mut keys = Vec::new();
    let mut push_secret = |n: usize| {
        let key = sendgrid_key();
        app.write(&format!("leak{n}.env"), format!("SENDGRID_API_KEY={key}\n"));
        app.commit(&format!("leak {n}"));
        keys.push(key);
        let mut want: Vec<(String, bool)> = keys.iter().map(|k| (k.clone(), k == keys.last().unwrap_or(k))).collect();
        want.sort();
        want
    };

    for lock in ["HEAD.lock", "config.lock", "packed-refs.lock", "refs/heads/main.lock"] {
        std::fs::write(mirror.join(lock), "").expect("lock file");
    }
    let want = push_secret(1);
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(
            "acme/app: removed lock files that an interrupted git left in the mirror: \
             HEAD.lock, config.lock, packed-refs.lock, refs/heads/main.lock"
        ),
        "{stderr}"
    );
    assert_eq!(repo_entry(&doc, "acme/app")["mode"], "incremental");
    assert_eq!(secrets(repo_entry(&doc, "acme/app")), want);

    // Objects gone: the refs lead nowhere.
    std::fs::remove_dir_all(mirror.join("objects")).expect("rm");
    std::fs::create_dir_all(mirror.join("objects/pack")).expect("mkdir");
    let want = push_secret(2);
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("acme/app: the mirror ") && stderr.contains("was unusable ("), "{stderr}");
    assert!(stderr.contains("cloned it again"), "{stderr}");
    assert_eq!(repo_entry(&doc, "acme/app")["mode"], "incremental");
    assert_eq!(secrets(repo_entry(&doc, "acme/app")), want);

    // No HEAD (not a repository any more), and a clone killed before its rename.
    std::fs::remove_file(mirror.join("HEAD")).expect("rm");
    std::fs::create_dir_all(cache.path().join("mirrors/acme/app.git.partial/objects")).expect("mkdir");
    let want = push_secret(3);
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("was unusable (it has no HEAD); cloned it again"), "{stderr}");
    assert_eq!(secrets(repo_entry(&doc, "acme/app")), want);
    assert!(!cache.path().join("mirrors/acme/app.git.partial").exists());

    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &[]);
    assert_eq!((code, repo_entry(&doc, "acme/app")["mode"].as_str()), (0, Some("unchanged")), "{stderr}");
    assert!(!stderr.contains("mirror"), "{stderr}");
}

#[test]
fn shards_partition_repositories_and_merge_into_one_summary() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let mut repos = Vec::new();
    let mut listing = Vec::new();
    for i in 0..6 {
        let r = Repo::new();
        r.write("app.env", format!("SENDGRID_API_KEY={}\n", sendgrid_key()));
        r.commit("init");
        listing.push(api_repo("acme", &format!("repo-{i}"), &file_url(&r), false, false));
        repos.push(r);
    }
    rt.block_on(serve_org(&server, "acme", &listing, 100));
    let out = tempfile::tempdir().expect("tmp");
    let mut seen: Vec<String> = Vec::new();
    let mut json_reports = Vec::new();
    let mut sarif_reports = Vec::new();
    for k in 1..=3 {
        let cache = tempfile::tempdir().expect("tmp");
        let shard = format!("{k}/3");
        let summary = out.path().join(format!("shard{k}.json"));
        let sarif = out.path().join(format!("shard{k}.sarif"));
        let (doc, stderr, _) = run_org(
            &server.uri(),
            "acme",
            cache.path(),
            &["--shard", &shard, "--summary-json", &summary.display().to_string(), "--quiet"],
        );
        assert_eq!(doc["shard"], shard, "{stderr}");
        for r in doc["repositories"].as_array().cloned().unwrap_or_default() {
            seen.push(r["full_name"].as_str().unwrap_or_default().to_string());
        }
        // The same shard, asked again for SARIF, covers the same repositories.
        let out_sarif = leakhound()
            .args([
                "github",
                "org",
                "acme",
                "--api-url",
                &server.uri(),
                "--quiet",
                "--format",
                "sarif",
                "--shard",
                &shard,
            ])
            .arg("--cache-dir")
            .arg(cache.path())
            .arg("--output")
            .arg(&sarif)
            .output()
            .expect("runs");
        assert!(out_sarif.status.code().is_some_and(|c| c <= 1));
        json_reports.push(summary);
        sarif_reports.push(sarif);
    }
    seen.sort();
    let mut all: Vec<String> = (0..6).map(|i| format!("acme/repo-{i}")).collect();
    all.sort();
    assert_eq!(seen, all, "every repository in exactly one shard");

    let merged = leakhound().arg("merge").args(&json_reports).args(["--format", "json"]).output().expect("runs");
    let doc: Value = serde_json::from_slice(&merged.stdout).expect("merged json");
    assert_eq!(doc["totals"]["repositories"], 6);
    assert_eq!(doc["totals"]["findings"], 6);
    assert_eq!(doc["totals"]["new_findings"], 6);
    assert_eq!(doc["totals"]["by_provider"]["sendgrid"], 6);

    let merged = leakhound().arg("merge").args(&sarif_reports).args(["--format", "sarif"]).output().expect("runs");
    let sarif: Value = serde_json::from_slice(&merged.stdout).expect("merged sarif");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"].as_array().map(Vec::len), Some(6));
    let results: usize = sarif["runs"]
        .as_array()
        .map(|rs| rs.iter().map(|r| r["results"].as_array().map_or(0, Vec::len)).sum())
        .unwrap_or(0);
    assert_eq!(results, 6);

    let text = leakhound().arg("merge").args(&json_reports).output().expect("runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("findings: 6 (6 new tonight)"), "{text}");
}

/// The first chromium-like browser on PATH.
fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(name)).find(|p| p.is_file())
    })
}

#[test]
fn html_summary_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must install chromium (.ci/run)");
        eprintln!("chromium not installed: skipping the browser check");
        return;
    };
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let live_key = sendgrid_key();
    let app = Repo::new();
    app.write("config/mail.yml", format!("sendgrid_api_key: {live_key}\n"));
    app.commit("app");
    let web = Repo::new();
    web.write("x.env", format!("SENDGRID_API_KEY={}\n", sendgrid_key()));
    web.commit("web");
    rt.block_on(async {
        serve_org(
            &server,
            "acme",
            &[
                api_repo("acme", "app", &file_url(&app), false, false),
                api_repo("acme", "web", &file_url(&web), false, false),
            ],
            100,
        )
        .await;
        // SendGrid stand-in: the app key is live, any other key is not.
        Mock::given(method("GET"))
            .and(path("/v3/scopes"))
            .and(wiremock::matchers::header("authorization", format!("Bearer {live_key}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"scopes": ["mail.send"]})))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v3/scopes"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errors": [{"message": "bad key"}]})))
            .mount(&server)
            .await;
    });
    let cache = tempfile::tempdir().expect("tmp");
    let out = tempfile::tempdir().expect("tmp");
    let html = out.path().join("summary.html");
    let endpoint = format!("sendgrid={}", server.uri());
    let audit = out.path().join("audit.jsonl");
    let verify_flags = [
        "--verify",
        "--endpoint",
        &endpoint,
        "--allow-internal-endpoints",
        "--audit-log",
        &audit.display().to_string(),
        "--html",
        &html.display().to_string(),
    ]
    .map(str::to_string);
    let flags: Vec<&str> = verify_flags.iter().map(String::as_str).collect();
    let (doc, stderr, _) = run_org(&server.uri(), "acme", cache.path(), &flags);
    assert_eq!(doc["totals"]["by_status"]["live"], 1, "{stderr}");
    // A second night: the live key is still live, with its date.
    web.write("y.env", format!("SENDGRID_API_KEY={}\n", sendgrid_key()));
    web.commit("more");
    let (doc, stderr, _) = run_org(&server.uri(), "acme", cache.path(), &flags);
    assert_eq!(doc["totals"]["new_findings"], 1, "{stderr}");
    assert!(audit.is_file(), "verification is audited");

    let profile = tempfile::tempdir().expect("tmp");
    let rendered = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&rendered.stdout);
    assert!(dom.contains("<svg id=\"chart\""), "chart rendered: {}", String::from_utf8_lossy(&rendered.stderr));
    assert!(dom.matches("class=\"point series-findings\"").count() >= 2, "one point per night");
    assert!(dom.contains("id=\"total-live\""));
    assert!(dom.contains("id=\"new-tonight\""));
    assert!(dom.contains("id=\"by-provider\""));
    assert!(dom.contains("data-provider=\"sendgrid\""));
    // Live credentials come first in the list of all findings.
    let all = dom.split("id=\"findings\"").nth(1).unwrap_or_default();
    let first_row = all.split("class=\"finding\"").nth(1).unwrap_or_default();
    assert!(first_row.contains("data-status=\"live\""), "live first: {first_row}");
    assert!(first_row.contains("still live since"), "{first_row}");
    assert!(!dom.contains(&live_key), "the page never shows a secret");
    // Screenshot as well: the page paints without errors.
    let shot = out.path().join("page.png");
    let status = Command::new(chromium().unwrap_or_default())
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1200,1600")
        .arg(format!("file://{}", html.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(status.status.success() && shot.is_file(), "screenshot: {}", String::from_utf8_lossy(&status.stderr));

    // A third night with --revoke (a dry run): the live key gets a planned
    // revocation, recorded in the store and the audit log's neighbourhood.
    let mut revoke_flags = flags.clone();
    revoke_flags.push("--revoke");
    let (doc, stderr, code) = run_org(&server.uri(), "acme", cache.path(), &revoke_flags);
    assert_eq!(code, 1, "a live credential fails the night: {stderr}");
    let app_finding = &repo_entry(&doc, "acme/app")["findings"][0];
    assert_eq!(app_finding["verification"]["status"], "live", "{stderr}");
    assert_eq!(app_finding["verification"]["revocation"]["outcome"], "planned", "{app_finding}");
    assert!(stderr.contains("would be revoked"), "{stderr}");
}

#[test]
fn user_and_single_repository_listings() {
    let rt = runtime();
    let server = rt.block_on(MockServer::start());
    let tool = Repo::new();
    let key = sendgrid_key();
    tool.write(".env", format!("SENDGRID_API_KEY={key}\n"));
    tool.commit("tool");
    let entry = api_repo("octo", "tool", &file_url(&tool), false, false);
    rt.block_on(async {
        Mock::given(method("GET"))
            .and(path("/users/octo/repos"))
            .and(query_param("type", "owner"))
            .respond_with(rate_headers(4000).set_body_json(json!([entry.clone()])))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/repos/octo/tool"))
            .respond_with(rate_headers(3999).set_body_json(entry.clone()))
            .mount(&server)
            .await;
    });
    for (kind, name) in [("user", "octo"), ("repo", "octo/tool")] {
        let cache = tempfile::tempdir().expect("tmp");
        let out = leakhound()
            .args(["github", kind, name, "--api-url", &server.uri(), "--format", "json", "--quiet", "--cache-dir"])
            .arg(cache.path())
            .env_remove("GITHUB_TOKEN")
            .output()
            .expect("runs");
        let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(secrets(repo_entry(&doc, "octo/tool")), vec![(key.clone(), true)], "{kind}");
    }
    // A token with a newline is refused before anything is sent.
    let out = leakhound()
        .args(["github", "repo", "octo/tool", "--api-url", &server.uri(), "--quiet", "--cache-dir"])
        .arg(tempfile::tempdir().expect("tmp").path())
        .env("GITHUB_TOKEN", "ghp_abc\nxyz")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    // Plain http to a non-loopback API is refused.
    let out = leakhound()
        .args(["github", "org", "acme", "--api-url", "http://example.invalid", "--quiet", "--cache-dir"])
        .arg(tempfile::tempdir().expect("tmp").path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}

/// Flags (`--name`) used on the `leakhound github`/`merge` lines of a file.
fn flags_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_command = false;
    for line in text.lines() {
        let l = line.trim();
        if l.contains("leakhound github") || l.contains("leakhound merge") {
            in_command = true;
        }
        if in_command {
            for word in l.split_whitespace() {
                let w = word.trim_end_matches(['\\', ';']);
                if w.starts_with("--") && w.len() > 2 && w[2..].bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                    out.push(w.to_string());
                }
            }
            if !l.ends_with('\\') {
                in_command = false;
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn examples_use_real_flags_and_valid_manifests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let help = |args: &[&str]| {
        let out = leakhound().args(args).arg("--help").output().expect("runs");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let org_help = help(&["github", "org"]);
    let merge_help = help(&["merge"]);
    let workflow = std::fs::read_to_string(root.join("examples/nightly-org-scan.yml")).expect("workflow");
    let job = std::fs::read_to_string(root.join("examples/k8s-indexed-job.yaml")).expect("k8s job");
    let docs = std::fs::read_to_string(root.join("docs/github-org.md")).expect("docs");
    for (name, text) in [("workflow", &workflow), ("k8s job", &job), ("docs", &docs)] {
        let flags = flags_in(text);
        assert!(!flags.is_empty(), "{name}: no flags found");
        for flag in flags {
            assert!(
                org_help.contains(&format!("{flag} "))
                    || org_help.contains(&format!("{flag}\n"))
                    || merge_help.contains(&format!("{flag} ")),
                "{name} uses {flag}, which `leakhound github org` / `merge` does not have"
            );
        }
    }
    // The manifests parse, and the fan-out is wired: a matrix / an indexed job passing --shard.
    let wf: Value = serde_yaml_ng::from_str(&workflow).expect("workflow is YAML");
    assert!(wf["jobs"]["scan"]["strategy"]["matrix"]["shard"].is_array());
    assert!(workflow.contains("--shard ${{ matrix.shard }}/") && workflow.contains("leakhound merge"));
    let k8s: Value = serde_yaml_ng::from_str(&job).expect("k8s manifest is YAML");
    assert_eq!(k8s["kind"], "CronJob");
    assert_eq!(k8s["spec"]["jobTemplate"]["spec"]["completionMode"], "Indexed");
    assert!(job.contains("JOB_COMPLETION_INDEX + 1") && job.contains("--shard \"$K/$SHARDS\""));
    // GitHub's workflow schema, where check-jsonschema is installed (CI installs it).
    if let Ok(out) = Command::new("check-jsonschema")
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(root.join("examples/nightly-org-scan.yml"))
        .output()
    {
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
