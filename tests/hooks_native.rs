//! `leakhound install-hook` and the hooks it writes, with real `git commit`
//! and `git push` to a local bare repository.

mod common;
mod hooks_support;

use std::path::{Path, PathBuf};

use hooks_support::{Sandbox, leakhound_bin, text, write};

fn install(sb: &Sandbox, repo: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = sb.cmd(leakhound_bin().to_str().expect("utf-8 path"), repo);
    cmd.arg("install-hook").args(args).output().expect("leakhound runs")
}

fn commit(sb: &Sandbox, repo: &Path, msg: &str) -> std::process::Output {
    sb.git(repo, &["add", "-A"]);
    sb.run("git", repo, &["commit", "-q", "-m", msg])
}

fn count(sb: &Sandbox, repo: &Path) -> String {
    sb.git(repo, &["rev-list", "--count", "HEAD"])
}

#[test]
fn install_hook_writes_an_executable_pre_commit_hook_and_never_overwrites_silently() {
    let sb = Sandbox::new();
    let repo = sb.repo("work");
    let out = install(&sb, &repo, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let hook = repo.join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).expect("hook written");
    assert!(script.starts_with("#!/bin/sh\n"), "{script}");
    assert!(script.contains("protect --staged"), "{script}");
    assert!(script.contains(leakhound_bin().to_str().expect("utf-8 path")), "{script}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).expect("stat").permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "not executable: {mode:o}");
    }

    // The same hook again: nothing to do.
    let out = install(&sb, &repo, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("already installed"), "{}", text(&out));

    // Someone else's hook is refused without --force, kept with it.
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").expect("write");
    let out = install(&sb, &repo, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains("already exists") && msg.contains("--force"), "{msg}");
    assert_eq!(std::fs::read_to_string(&hook).expect("read"), "#!/bin/sh\necho mine\n");

    let out = install(&sb, &repo, &["--force"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(std::fs::read_to_string(&hook).expect("read").contains("protect --staged"));
    let backup = repo.join(".git/hooks/pre-commit.leakhound-backup");
    assert_eq!(std::fs::read_to_string(backup).expect("backup kept"), "#!/bin/sh\necho mine\n");

    // Not a repository: a clear error.
    let plain = sb.root().join("plain");
    std::fs::create_dir_all(&plain).expect("mkdir");
    let out = install(&sb, &plain, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a git repository"), "{}", text(&out));
}

#[test]
fn hook_falls_back_to_path_and_blocks_clearly_without_leakhound() {
    let sb = Sandbox::new();
    let repo = sb.repo("work");
    write(&repo, "README.md", "# work\n");
    assert!(commit(&sb, &repo, "initial").status.success());
    assert!(install(&sb, &repo, &[]).status.success());
    // The installing binary moved away: the hook uses the leakhound on PATH.
    let hook = repo.join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).expect("hook");
    let moved: String = script
        .lines()
        .map(|l| if l.starts_with("leakhound=") { "leakhound='/nonexistent/leakhound'" } else { l })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&hook, moved + "\n").expect("write");
    write(&repo, "a.env", format!("SENDGRID_API_KEY={}\n", common::sendgrid_key()));
    let out = commit(&sb, &repo, "a");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("a.env:1"), "{}", text(&out));
    assert_eq!(sb.leakhound_runs(), 1);

    // No leakhound anywhere: blocked, with a message rather than a shell error.
    let git_dir = std::process::Command::new("sh")
        .args(["-c", "dirname \"$(command -v git)\""])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .expect("sh");
    let out =
        sb.cmd("git", &repo).args(["commit", "-q", "-m", "a"]).env("PATH", format!("{git_dir}:/usr/bin:/bin")).output();
    let out = out.expect("git runs");
    let msg = text(&out);
    assert!(!out.status.success(), "{msg}");
    assert!(msg.contains("leakhound is not installed (not at /nonexistent/leakhound, not on PATH)"), "{msg}");
}

#[test]
fn install_hook_follows_core_hooks_path() {
    let sb = Sandbox::new();
    let repo = sb.repo("work");
    sb.git(&repo, &["config", "core.hooksPath", ".githooks"]);
    let out = install(&sb, &repo, &["--pre-push"]);
    assert!(out.status.success(), "{}", text(&out));
    let hook = repo.join(".githooks/pre-push");
    assert!(std::fs::read_to_string(&hook).expect("hook in core.hooksPath").contains("protect --pre-push"));
    assert!(!repo.join(".git/hooks/pre-push").exists());
}

#[test]
fn pre_commit_hook_blocks_git_commit_with_a_credential_and_passes_a_clean_one() {
    let sb = Sandbox::new();
    let repo = sb.repo("work");
    write(&repo, "README.md", "# work\n");
    assert!(commit(&sb, &repo, "initial").status.success());
    let out = install(&sb, &repo, &[]);
    assert!(out.status.success(), "{}", text(&out));

    let key = common::sendgrid_key();
    write(&repo, "deploy/mail.env", format!("# mail\nSENDGRID_API_KEY={key}\n"));
    let out = commit(&sb, &repo, "mail settings");
    let msg = text(&out);
    assert!(!out.status.success(), "the commit went through:\n{msg}");
    assert!(msg.contains("commit blocked"), "{msg}");
    assert!(msg.contains("deploy/mail.env:2"), "{msg}");
    assert!(msg.contains("SendGrid API key"), "{msg}");
    assert!(msg.contains("leakhound:allow"), "{msg}");
    assert!(!msg.contains(&key), "the secret is printed in full:\n{msg}");
    assert_eq!(count(&sb, &repo), "1");

    // `git commit -a` stages into a temporary index that the hook must read.
    sb.git(&repo, &["reset", "-q"]);
    std::fs::remove_file(repo.join("deploy/mail.env")).expect("rm");
    write(&repo, "README.md", "# work\n");
    write(&repo, "notes.txt", "nothing here\n");
    assert!(commit(&sb, &repo, "notes").status.success());
    write(&repo, "notes.txt", format!("nothing here\ntoken {key}\n"));
    let out = sb.run("git", &repo, &["commit", "-q", "-a", "-m", "notes"]);
    assert!(!out.status.success(), "git commit -a went through:\n{}", text(&out));
    assert!(text(&out).contains("notes.txt:2"), "{}", text(&out));

    // A clean change passes.
    write(&repo, "notes.txt", "nothing here\nstill nothing\n");
    let out = commit(&sb, &repo, "more notes");
    assert!(out.status.success(), "a clean commit was blocked:\n{}", text(&out));
    assert_eq!(count(&sb, &repo), "3");
}

/// A clone of a bare "origin", both in the sandbox, with a pre-push hook.
struct Remote {
    bare: PathBuf,
    work: PathBuf,
}

fn remote_with_clone(sb: &Sandbox) -> Remote {
    let bare = sb.root().join("origin.git");
    sb.git(sb.root(), &["init", "-q", "--bare", bare.to_str().expect("utf-8 path")]);
    let work = sb.root().join("work");
    sb.git(sb.root(), &["clone", "-q", bare.to_str().expect("utf-8 path"), work.to_str().expect("utf-8 path")]);
    write(&work, "README.md", "# work\n");
    assert!(commit(sb, &work, "initial").status.success());
    sb.git(&work, &["push", "-q", "origin", "main"]);
    let out = install(sb, &work, &["--pre-push"]);
    assert!(out.status.success(), "{}", text(&out));
    Remote { bare, work }
}

fn push(sb: &Sandbox, repo: &Path, args: &[&str]) -> std::process::Output {
    sb.run("git", repo, &[&["push", "-q"], args].concat())
}

fn remote_tip(sb: &Sandbox, r: &Remote, branch: &str) -> Option<String> {
    let out = sb.run("git", &r.bare, &["rev-parse", "--verify", "-q", &format!("refs/heads/{branch}")]);
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[test]
fn pre_push_hook_scans_the_commits_being_pushed() {
    let sb = Sandbox::new();
    let r = remote_with_clone(&sb);
    let w = &r.work;

    // A clean push goes through.
    write(w, "src/app.py", "print('hello')\n");
    assert!(commit(&sb, w, "app").status.success());
    let out = push(&sb, w, &["origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(remote_tip(&sb, &r, "main"), Some(sb.git(w, &["rev-parse", "HEAD"])));

    // A credential two commits back is blocked, naming file, line and commit.
    let key = common::sendgrid_key();
    write(w, "src/mail.py", format!("import smtplib\nKEY = \"{key}\"\n"));
    assert!(commit(&sb, w, "mail").status.success());
    let bad = sb.git(w, &["rev-parse", "HEAD"]);
    write(w, "src/app.py", "print('hello, world')\n");
    assert!(commit(&sb, w, "greeting").status.success());
    let before = remote_tip(&sb, &r, "main");
    let out = push(&sb, w, &["origin", "main"]);
    let msg = text(&out);
    assert!(!out.status.success(), "the push went through:\n{msg}");
    assert!(msg.contains("push blocked"), "{msg}");
    assert!(msg.contains("src/mail.py:2"), "{msg}");
    assert!(msg.contains("SendGrid API key"), "{msg}");
    assert!(msg.contains(&bad[..10]), "the commit is not named:\n{msg}");
    assert!(!msg.contains(&key), "{msg}");
    assert_eq!(remote_tip(&sb, &r, "main"), before, "the remote moved");

    // Rewritten without the credential: the push goes through.
    sb.git(w, &["reset", "-q", "--hard", "HEAD~2"]);
    write(w, "src/mail.py", "import os\nKEY = os.environ['SENDGRID_API_KEY']\n");
    assert!(commit(&sb, w, "mail").status.success());
    let out = push(&sb, w, &["origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));

    // Deleting a branch scans nothing and is never blocked.
    sb.git(w, &["branch", "old", "HEAD~1"]);
    sb.git(w, &["push", "-q", "--no-verify", "origin", "old"]);
    let out = push(&sb, w, &["origin", "--delete", "old"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(remote_tip(&sb, &r, "old"), None);
}

#[test]
fn pre_push_on_a_new_branch_scans_only_commits_no_remote_ref_has() {
    let sb = Sandbox::new();
    let r = remote_with_clone(&sb);
    let w = &r.work;

    // main already carries a credential on the remote (pushed without the hook).
    let old_key = common::sendgrid_key();
    write(w, "legacy.env", format!("SENDGRID_API_KEY={old_key}\n"));
    assert!(commit(&sb, w, "legacy").status.success());
    sb.git(w, &["push", "-q", "--no-verify", "origin", "main"]);

    // A new branch with clean commits is not blamed for main's history.
    sb.git(w, &["checkout", "-q", "-b", "feature"]);
    write(w, "feature.txt", "a feature\n");
    assert!(commit(&sb, w, "feature").status.success());
    let out = push(&sb, w, &["-u", "origin", "feature"]);
    let msg = text(&out);
    assert!(out.status.success(), "a clean new branch was blocked for main's history:\n{msg}");

    // A new branch adding a credential is blocked.
    sb.git(w, &["checkout", "-q", "-b", "feature-2"]);
    let new_key = common::sendgrid_key();
    write(w, "feature2.env", format!("A=1\nSENDGRID_API_KEY={new_key}\n"));
    assert!(commit(&sb, w, "feature 2").status.success());
    let out = push(&sb, w, &["origin", "feature-2"]);
    let msg = text(&out);
    assert!(!out.status.success(), "{msg}");
    assert!(msg.contains("feature2.env:2"), "{msg}");
    assert!(!msg.contains("legacy.env"), "main's credential was blamed:\n{msg}");
    assert_eq!(remote_tip(&sb, &r, "feature-2"), None);

    // A new branch that merges two remote branches: only its own commits count.
    sb.git(w, &["checkout", "-q", "main"]);
    sb.git(w, &["checkout", "-q", "-b", "side"]);
    let side_key = common::sendgrid_key();
    write(w, "side.env", format!("SENDGRID_API_KEY={side_key}\n"));
    assert!(commit(&sb, w, "side").status.success());
    sb.git(w, &["push", "-q", "--no-verify", "origin", "side"]);
    sb.git(w, &["checkout", "-q", "feature"]);
    sb.git(w, &["checkout", "-q", "-b", "combined"]);
    sb.git(w, &["merge", "-q", "--no-edit", "side"]);
    let own_key = common::sendgrid_key();
    write(w, "combined.env", format!("SENDGRID_API_KEY={own_key}\n"));
    assert!(commit(&sb, w, "combined").status.success());
    let out = push(&sb, w, &["origin", "combined"]);
    let msg = text(&out);
    assert!(!out.status.success(), "{msg}");
    assert!(msg.contains("combined.env:1"), "{msg}");
    assert!(!msg.contains("side.env") && !msg.contains("legacy.env"), "pushed history was blamed:\n{msg}");
    assert!(msg.contains("1 finding"), "{msg}");
}

#[test]
fn pre_push_force_push_over_commits_this_clone_never_saw() {
    let sb = Sandbox::new();
    let r = remote_with_clone(&sb);
    let w = &r.work;

    // Someone else pushes to main; this clone does not fetch.
    let other = sb.root().join("other");
    sb.git(sb.root(), &["clone", "-q", r.bare.to_str().expect("utf-8 path"), other.to_str().expect("utf-8 path")]);
    write(&other, "theirs.txt", "their change\n");
    assert!(commit(&sb, &other, "theirs").status.success());
    sb.git(&other, &["push", "-q", "origin", "main"]);

    // A force push whose "remote sha" is unknown here still scans what it sends.
    let key = common::sendgrid_key();
    write(w, "mine.env", format!("SENDGRID_API_KEY={key}\n"));
    assert!(commit(&sb, w, "mine").status.success());
    let out = push(&sb, w, &["--force", "origin", "main"]);
    let msg = text(&out);
    assert!(!out.status.success(), "{msg}");
    assert!(msg.contains("mine.env:1"), "{msg}");
    assert!(msg.contains("not in this clone"), "the fallback is not explained:\n{msg}");
}

#[test]
fn pre_push_input_is_parsed_strictly() {
    let sb = Sandbox::new();
    let repo = sb.repo("work");
    let mut cmd = sb.cmd(leakhound_bin().to_str().expect("utf-8 path"), &repo);
    cmd.args(["protect", "--pre-push", "origin", "/nowhere"]);
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawns");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(b"refs/heads/main abc refs/heads/main\n").expect("write");
    }
    let out = child.wait_with_output().expect("waits");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("pre-push input line 1"), "{}", text(&out));
}
