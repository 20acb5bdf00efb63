//! End-to-end tests of `leakhound protect --staged` (index against HEAD) and
//! `leakhound protect` (working tree against index): only secrets on added
//! lines are reported.

mod common;
mod git_support;

use common::{scan_json, sendgrid_key};
use git_support::{Repo, finding_count, locations, skipped};

fn protect(repo: &Repo, staged: bool) -> (serde_json::Value, i32) {
    let path = repo.path_str();
    let mut args = vec!["protect", "--repo", path.as_str()];
    if staged {
        args.push("--staged");
    }
    scan_json(&args)
}

#[test]
fn repository_without_commits_blames_everything_staged() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("config/mail.env", format!("FROM=a@b.invalid\nSENDGRID={key}\n"));
    repo.git(&["add", "-A"]);
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 1, "{report}");
    let l = locations(&report, &key);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].kind.as_str(), l[0].path.as_str(), l[0].line), ("staged", "config/mail.env", 2));
    assert_eq!(report["mode"], "staged");
}

#[test]
fn secret_already_at_head_is_not_blamed_but_a_new_copy_is() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("deep/dir/.env", format!("SENDGRID={key}\n"));
    repo.write("other/file.txt", "unrelated\n");
    repo.commit("committed secret");

    repo.write("deep/dir/.env", format!("SENDGRID={key}\nREGION=eu\n"));
    repo.git(&["add", "-A"]);
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 0, "{report}");

    repo.write("deep/dir/.env", format!("SENDGRID={key}\nREGION=eu\nBACKUP={key}\n"));
    repo.git(&["add", "-A"]);
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 1);
    let l = locations(&report, &key);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].path.as_str(), l[0].line), ("deep/dir/.env", 3));
}

#[test]
fn renamed_and_deleted_files() {
    let repo = Repo::new();
    let (kept, removed, added) = (sendgrid_key(), sendgrid_key(), sendgrid_key());
    let body: String = (0..20).map(|i| format!("line {i}\n")).collect();
    repo.write("a/keep.env", format!("K={kept}\n{body}"));
    repo.write("b/remove.env", format!("K={removed}\n"));
    repo.commit("two secrets");

    std::fs::create_dir_all(repo.path().join("c")).unwrap();
    repo.git(&["mv", "a/keep.env", "c/renamed.env"]);
    repo.git(&["rm", "-q", "b/remove.env"]);
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 0, "a pure rename or a deletion adds nothing: {report}");

    // A rename with an edit: only the added secret is new.
    repo.write("c/renamed.env", format!("K={kept}\n{body}NEW={added}\n"));
    repo.git(&["add", "-A"]);
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 1);
    assert!(locations(&report, &kept).is_empty(), "{report}");
    let l = locations(&report, &added);
    assert_eq!((l[0].path.as_str(), l[0].line), ("c/renamed.env", 22));
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("a");
    let mut bin = b"\x00\x01\x02binary ".to_vec();
    bin.extend_from_slice(sendgrid_key().as_bytes());
    repo.write("blob.bin", bin);
    repo.git(&["add", "-A"]);
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 0, "{report}");
    assert_eq!(skipped(&report, "binary"), 1, "{report}");
}

#[test]
fn unstaged_changes_are_what_protect_scans_without_staged() {
    let repo = Repo::new();
    let (committed, unstaged) = (sendgrid_key(), sendgrid_key());
    repo.write("app.env", format!("A={committed}\n"));
    repo.commit("a");
    repo.write("app.env", format!("A={committed}\nB={unstaged}\n"));

    let (report, code) = protect(&repo, false);
    assert_eq!(code, 1, "{report}");
    assert_eq!(finding_count(&report), 1, "{report}");
    let l = locations(&report, &unstaged);
    assert_eq!((l[0].path.as_str(), l[0].line), ("app.env", 2));

    // Nothing is staged yet.
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 0, "{report}");
    repo.git(&["add", "-A"]);
    let (report, code) = protect(&repo, true);
    assert_eq!(code, 1);
    assert_eq!(locations(&report, &unstaged).len(), 1);
    // And once staged, the working tree no longer differs.
    let (report, code) = protect(&repo, false);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn hooks_see_the_index_named_by_git_index_file() {
    // `git commit -a` and `git commit PATH` run the pre-commit hook against a
    // temporary index named by GIT_INDEX_FILE.
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("a.txt", "a\n");
    repo.commit("a");
    let alt = repo.git_dir().join("alt-index");
    repo.write("b.env", format!("K={key}\n"));
    let status = std::process::Command::new("git")
        .current_dir(repo.path())
        .env("GIT_INDEX_FILE", &alt)
        .args(["read-tree", "HEAD"])
        .status()
        .unwrap();
    assert!(status.success());
    let status = std::process::Command::new("git")
        .current_dir(repo.path())
        .env("GIT_INDEX_FILE", &alt)
        .args(["add", "b.env"])
        .status()
        .unwrap();
    assert!(status.success());

    let (report, code) = protect(&repo, true);
    assert_eq!(code, 0, "the default index has nothing staged: {report}");
    let out = common::leakhound()
        .env("GIT_INDEX_FILE", &alt)
        .args(["protect", "--staged", "--quiet", "--format", "json", "--repo"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(locations(&report, &key).len(), 1, "{report}");
}
