//! End-to-end tests of `leakhound scan --git --range BASE..HEAD` and
//! `--since-commit`: only what the range's commits add is reported.

mod common;
mod git_support;

use common::{leakhound, scan_json, sendgrid_key};
use git_support::{Repo, finding_count, locations, notes};

fn scan_range(repo: &Repo, range: &str) -> (serde_json::Value, i32) {
    scan_json(&["scan", "--git", &repo.path_str(), "--range", range])
}

#[test]
fn only_secrets_added_in_the_range_are_reported() {
    let repo = Repo::new();
    let (old, new, copy) = (sendgrid_key(), sendgrid_key(), sendgrid_key());
    repo.write("app/.env", format!("OLD={old}\n"));
    let base = repo.commit("base with an old secret");

    repo.write("app/other.env", format!("NEW={new}\n"));
    let c1 = repo.commit("new secret");
    // Editing another line of a file that holds an old secret does not blame it...
    repo.write("app/.env", format!("OLD={old}\nREGION=eu\n"));
    repo.commit("region");
    // ...but a new copy of it is a new leak.
    repo.write("app/.env", format!("OLD={old}\nREGION=eu\nBACKUP={old}\n"));
    let c3 = repo.commit("backup key");
    repo.write("copy.txt", format!("{copy}\n"));
    repo.commit("copy");

    let (report, code) = scan_range(&repo, &format!("{base}..HEAD"));
    assert_eq!(code, 1);
    assert_eq!(report["mode"], "range");
    let l = locations(&report, &new);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].path.as_str(), l[0].commit.as_deref()), ("app/other.env", Some(c1.as_str())));
    let l = locations(&report, &old);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].path.as_str(), l[0].line, l[0].commit.as_deref()), ("app/.env", 3, Some(c3.as_str())));
    assert_eq!(locations(&report, &copy).len(), 1);
    assert_eq!(finding_count(&report), 3);

    // The base itself is outside the range.
    let (report, code) = scan_range(&repo, &format!("{c3}..HEAD"));
    assert_eq!(code, 1);
    assert_eq!(finding_count(&report), 1, "{report}");
    assert_eq!(locations(&report, &copy).len(), 1);
}

#[test]
fn since_commit_is_a_shorthand() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("a.txt", "a\n");
    let base = repo.commit("a");
    repo.write("b.env", format!("K={key}\n"));
    let c = repo.commit("b");
    let (report, code) = scan_json(&["scan", "--git", &repo.path_str(), "--since-commit", &base]);
    assert_eq!(code, 1);
    assert_eq!(locations(&report, &key)[0].commit.as_deref(), Some(c.as_str()));
    let (report, code) = scan_json(&["scan", "--git", &repo.path_str(), "--since-commit", &c]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn merged_branches_and_messages_in_the_range() {
    let repo = Repo::new();
    let (on_branch, in_message, before) = (sendgrid_key(), sendgrid_key(), sendgrid_key());
    repo.write("x.txt", "x\n");
    repo.commit("x");
    repo.git(&["checkout", "-q", "-b", "old"]);
    repo.write("old.env", format!("K={before}\n"));
    repo.commit("old branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["merge", "-q", "--no-ff", "--no-edit", "old"]);
    let base = repo.head();

    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", format!("K={on_branch}\n"));
    let feature = repo.commit("feature");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("y.txt", "y\n");
    let msg = repo.commit(&format!("y\n\ntemporary key {in_message}\n"));
    repo.git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);

    let (report, code) = scan_range(&repo, &format!("{base}..main"));
    assert_eq!(code, 1);
    // Introduced by the feature commit, not by the merge that brought it in.
    let l = locations(&report, &on_branch);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].commit.as_deref(), Some(feature.as_str()));
    let l = locations(&report, &in_message);
    assert_eq!((l[0].kind.as_str(), l[0].path.as_str()), ("commit-message", msg.as_str()));
    // Merged before the base: not part of the range.
    assert!(locations(&report, &before).is_empty());
}

#[test]
fn unknown_base_is_a_clear_error() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("a");
    let gone = "0123456789abcdef0123456789abcdef01234567";
    let out = leakhound()
        .args(["scan", "--git", "--quiet", "--range", &format!("{gone}..HEAD")])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("unknown revision '{gone}'")) && err.contains("force-push"), "{err}");
}

#[test]
fn null_base_scans_everything_reachable() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("k.env", format!("K={key}\n"));
    repo.commit("k");
    repo.remove("k.env");
    repo.commit("rm");
    let (report, code) = scan_range(&repo, "0000000000000000000000000000000000000000..HEAD");
    assert_eq!(code, 1);
    assert_eq!(locations(&report, &key).len(), 1);
    assert!(notes(&report).contains("null commit"), "{report}");
}
