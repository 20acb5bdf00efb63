//! End-to-end tests of `leakhound scan --git`: real repositories built with
//! the git CLI, freshly generated fake SendGrid keys added, deleted, merged,
//! orphaned and packed, and the JSON report's findings, introducing commits
//! and paths checked.

mod common;
mod git_support;

use common::{leakhound, scan_json, sendgrid_key};
use git_support::{Repo, errors, finding, finding_count, locations, notes, skipped};

fn scan_git(repo: &str, extra: &[&str]) -> (serde_json::Value, i32) {
    let mut args = vec!["scan", "--git", repo];
    args.extend_from_slice(extra);
    scan_json(&args)
}

#[test]
fn deleted_secret_is_found_with_its_introducing_commit() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("README.md", "hello\n");
    repo.commit("initial");
    repo.write("app/.env", format!("MAIL_FROM=noreply@shop.invalid\nSENDGRID_API_KEY={key}\n"));
    let added = repo.commit("app: mail settings");
    repo.remove("app/.env");
    repo.commit("app: drop the key");
    repo.write("README.md", "hello again\n");
    repo.commit("docs");

    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 1, "{report}");
    let locs = locations(&report, &key);
    assert_eq!(locs.len(), 1, "{locs:?}");
    let l = &locs[0];
    assert_eq!(l.kind, "git-blob");
    assert_eq!(l.path, "app/.env");
    assert_eq!(l.line, 2);
    assert_eq!(l.commit.as_deref(), Some(added.as_str()));
    assert_eq!(l.author.as_deref(), Some("Ada Lovelace"));
    assert_eq!(l.email.as_deref(), Some("ada@analytical.invalid"));
    assert_eq!(l.summary.as_deref(), Some("app: mail settings"));
    assert!(l.date.as_deref().is_some_and(|d| d.starts_with("2020-09-") && d.contains('T')), "{l:?}");
    assert_eq!(l.in_head, Some(false));
    assert!(l.blob.is_some());
    assert_eq!(finding(&report, &key).unwrap()["history_only"], true);
    assert_eq!(report["mode"], "git");
}

#[test]
fn secret_still_at_head_is_not_history_only() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("config.yml", format!("sendgrid: {key}\n"));
    let added = repo.commit("config");
    // Later edits to other lines of the file do not re-introduce the secret.
    repo.write("config.yml", format!("sendgrid: {key}\nregion: eu\n"));
    repo.commit("region");
    repo.write("config.yml", format!("# settings\nsendgrid: {key}\nregion: eu\n"));
    repo.commit("comment");

    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 1);
    let locs = locations(&report, &key);
    assert_eq!(locs.len(), 1, "{locs:?}");
    assert_eq!(locs[0].commit.as_deref(), Some(added.as_str()));
    assert_eq!(locs[0].line, 1);
    assert_eq!(locs[0].in_head, Some(true));
    assert_eq!(finding(&report, &key).unwrap()["history_only"], false);
}

#[test]
fn copies_at_other_paths_are_separate_locations() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("a/.env", format!("KEY={key}\n"));
    let first = repo.commit("a");
    repo.write("b/.env", format!("KEY={key}\n"));
    let second = repo.commit("copy to b");
    repo.remove("a/.env");
    repo.commit("drop a");

    let (report, _) = scan_git(&repo.path_str(), &[]);
    let mut locs = locations(&report, &key);
    locs.sort_by(|x, y| x.path.cmp(&y.path));
    assert_eq!(locs.len(), 2, "{locs:?}");
    assert_eq!((locs[0].path.as_str(), locs[0].commit.as_deref()), ("a/.env", Some(first.as_str())));
    assert_eq!(locs[0].in_head, Some(false));
    assert_eq!((locs[1].path.as_str(), locs[1].commit.as_deref()), ("b/.env", Some(second.as_str())));
    assert_eq!(locs[1].in_head, Some(true));
    // The same blob is scanned once, whatever the number of paths.
    assert_eq!(finding_count(&report), 1);
}

#[test]
fn branches_merges_and_conflict_resolutions() {
    let repo = Repo::new();
    let (on_feature, on_main, in_merge) = (sendgrid_key(), sendgrid_key(), sendgrid_key());
    repo.write("shared.txt", "base\n");
    repo.commit("base");

    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature/mail.js", format!("const key = '{on_feature}';\n"));
    let feature_commit = repo.commit("feature: mail");
    repo.write("shared.txt", "feature side\n");
    repo.commit("feature: shared");

    repo.git(&["checkout", "-q", "main"]);
    repo.write("main.env", format!("SENDGRID={on_main}\n"));
    let main_commit = repo.commit("main: env");
    repo.write("shared.txt", "main side\n");
    repo.commit("main: shared");

    // The merge conflicts on shared.txt; its resolution adds a new secret.
    assert!(!repo.git_ok(&["merge", "-q", "--no-edit", "feature"]));
    repo.write("shared.txt", format!("resolved\nkey={in_merge}\n"));
    let merge = repo.commit("merge feature");

    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 1);
    let l = locations(&report, &on_feature);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].path.as_str(), l[0].commit.as_deref()), ("feature/mail.js", Some(feature_commit.as_str())));
    assert_eq!(l[0].in_head, Some(true));
    let l = locations(&report, &on_main);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].commit.as_deref(), Some(main_commit.as_str()));
    let l = locations(&report, &in_merge);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!((l[0].path.as_str(), l[0].line), ("shared.txt", 2));
    assert_eq!(l[0].commit.as_deref(), Some(merge.as_str()));
}

#[test]
fn commit_messages_are_scanned() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("a.txt", "a\n");
    let commit = repo.commit(&format!("rotate mail key\n\nold key was {key}\n"));

    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 1);
    let l = locations(&report, &key);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].kind, "commit-message");
    assert_eq!(l[0].path, commit);
    assert_eq!(l[0].commit.as_deref(), Some(commit.as_str()));
    assert_eq!(l[0].summary.as_deref(), Some("rotate mail key"));
    assert!(report["summary"]["commit_messages"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn unreachable_objects_are_scanned_unless_reachable_only() {
    let repo = Repo::new();
    let (on_deleted_branch, orphan_blob) = (sendgrid_key(), sendgrid_key());
    repo.write("a.txt", "a\n");
    repo.commit("initial");
    repo.git(&["checkout", "-q", "-b", "tmp"]);
    repo.write("secret.env", format!("KEY={on_deleted_branch}\n"));
    let lost = repo.commit("tmp: oops");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "tmp"]);
    repo.git(&["reflog", "expire", "--expire=now", "--all"]);
    // A blob written without any commit.
    repo.write("loose.txt", format!("token {orphan_blob}\n"));
    let blob = repo.git(&["hash-object", "-w", "loose.txt"]);
    repo.remove("loose.txt");

    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 1);
    let l = locations(&report, &on_deleted_branch);
    assert_eq!(l.len(), 1, "{l:?}");
    // The commit of a deleted branch is still in the object database: it is named.
    assert_eq!((l[0].path.as_str(), l[0].commit.as_deref()), ("secret.env", Some(lost.as_str())));
    assert_eq!(l[0].in_head, Some(false));
    let l = locations(&report, &orphan_blob);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].path, format!("<unreachable blob {blob}>"));
    assert_eq!(l[0].commit, None);

    let (report, code) = scan_git(&repo.path_str(), &["--reachable-only"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(finding_count(&report), 0);
}

#[test]
fn packed_and_loose_objects_are_all_scanned_once() {
    let repo = Repo::new();
    let (packed, loose) = (sendgrid_key(), sendgrid_key());
    repo.write("p.env", format!("K={packed}\n"));
    let c1 = repo.commit("packed");
    repo.git(&["gc", "-q"]);
    repo.write("l.env", format!("K={loose}\n"));
    let c2 = repo.commit("loose");
    // Make one object exist both packed and loose.
    repo.git(&["repack", "-q"]);
    repo.git(&["cat-file", "-p", "HEAD:l.env"]);

    let (report, _) = scan_git(&repo.path_str(), &[]);
    assert_eq!(locations(&report, &packed)[0].commit.as_deref(), Some(c1.as_str()));
    let l = locations(&report, &loose);
    assert_eq!(l.len(), 1, "{l:?}");
    assert_eq!(l[0].commit.as_deref(), Some(c2.as_str()));
    // 2 blobs with secrets, no duplicates across packs and loose objects.
    let scanned = report["summary"]["scanned"].as_u64().unwrap_or(0);
    assert_eq!(scanned, 2, "{report}");
}

#[test]
fn bare_shallow_and_alternates_repositories() {
    let repo = Repo::new();
    let (old, new) = (sendgrid_key(), sendgrid_key());
    repo.write("old.env", format!("K={old}\n"));
    repo.commit("old");
    repo.remove("old.env");
    repo.commit("drop old");
    repo.write("new.env", format!("K={new}\n"));
    let c3 = repo.commit("new");

    let parent = tempfile::tempdir().unwrap();
    let src = format!("file://{}", repo.path_str());

    let bare = parent.path().join("bare.git");
    repo.git(&["clone", "-q", "--bare", &repo.path_str(), &bare.display().to_string()]);
    let (report, _) = scan_git(&bare.display().to_string(), &[]);
    assert_eq!(locations(&report, &old).len(), 1, "{report}");
    assert_eq!(locations(&report, &new)[0].commit.as_deref(), Some(c3.as_str()));

    let shallow = parent.path().join("shallow");
    repo.git(&["clone", "-q", "--depth", "1", &src, &shallow.display().to_string()]);
    let (report, _) = scan_git(&shallow.display().to_string(), &[]);
    assert!(notes(&report).contains("shallow"), "{report}");
    assert_eq!(locations(&report, &old).len(), 0);
    assert_eq!(locations(&report, &new)[0].commit.as_deref(), Some(c3.as_str()));

    let shared = parent.path().join("shared");
    repo.git(&["clone", "-q", "--shared", &repo.path_str(), &shared.display().to_string()]);
    assert!(shared.join(".git/objects/info/alternates").exists());
    let (report, _) = scan_git(&shared.display().to_string(), &[]);
    assert_eq!(locations(&report, &old).len(), 1, "{report}");
    assert_eq!(locations(&report, &new).len(), 1, "{report}");
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain");
    std::fs::create_dir(&path).unwrap();
    let out = leakhound().args(["scan", "--git", "--quiet"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a git repository") && err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn lfs_pointers_binaries_and_large_blobs_are_counted() {
    let repo = Repo::new();
    repo.write(
        "model.bin",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    repo.write("image.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice());
    repo.write("big.txt", "x".repeat(200_000));
    repo.commit("assets");
    let (report, code) = scan_git(&repo.path_str(), &["--max-file-size", "100KB"]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(skipped(&report, "git-lfs"), 1, "{report}");
    assert_eq!(skipped(&report, "binary"), 1, "{report}");
    assert_eq!(skipped(&report, "too-large"), 1, "{report}");
}

#[test]
fn corrupt_loose_object_is_named_and_the_scan_goes_on() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("good.env", format!("K={key}\n"));
    repo.write("victim.txt", "some content\n");
    repo.commit("two files");
    let victim = repo.git(&["rev-parse", "HEAD:victim.txt"]);
    let file = repo.git_dir().join("objects").join(&victim[..2]).join(&victim[2..]);
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    std::fs::write(&file, b"this is not zlib data").unwrap();

    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 1);
    assert_eq!(locations(&report, &key).len(), 1);
    assert!(errors(&report).contains(&victim), "{report}");
    assert_eq!(skipped(&report, "missing-object"), 1, "{report}");
}

#[test]
fn corrupt_pack_is_decoded_object_by_object() {
    let repo = Repo::new();
    let key = sendgrid_key();
    repo.write("good.env", format!("K={key}\n"));
    // Incompressible content, so the damage lands inside this blob's data.
    let noise: String = (0..20_000).map(|i| char::from(b'a' + ((i * 7919 + i / 13) % 26) as u8)).collect();
    repo.write("victim.txt", &noise);
    repo.commit("two files");
    repo.git(&["gc", "-q"]);
    let victim = repo.git(&["rev-parse", "HEAD:victim.txt"]);
    let pack_dir = repo.git_dir().join("objects/pack");
    let idx = std::fs::read_dir(&pack_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .unwrap();
    let verify = repo.git(&["verify-pack", "-v", &idx.display().to_string()]);
    let offset: usize = verify
        .lines()
        .find(|l| l.starts_with(&victim))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|o| o.parse().ok())
        .expect("victim is in the pack");
    let pack = idx.with_extension("pack");
    let mut bytes = std::fs::read(&pack).unwrap();
    for b in &mut bytes[offset + 100..offset + 200] {
        *b ^= 0x5a;
    }
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();

    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(locations(&report, &key).len(), 1, "{report}");
    assert!(errors(&report).contains(&victim), "{report}");
    assert!(skipped(&report, "missing-object") >= 1, "{report}");
}

#[test]
fn submodules_are_not_followed_but_noted() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    let c = repo.commit("initial");
    repo.git(&["update-index", "--add", "--cacheinfo", &format!("160000,{c},vendor/lib")]);
    repo.write(".gitmodules", "[submodule \"vendor/lib\"]\n\tpath = vendor/lib\n\turl = https://git.invalid/lib\n");
    repo.git(&["add", ".gitmodules"]);
    repo.git(&["commit", "-q", "-m", "submodule"]);
    let (report, code) = scan_git(&repo.path_str(), &[]);
    assert_eq!(code, 0, "{report}");
    assert!(notes(&report).contains("submodule"), "{report}");
}

#[test]
fn decode_only_matches_nothing_but_decodes_everything() {
    let repo = Repo::new();
    repo.write("k.env", format!("K={}\n", sendgrid_key()));
    repo.commit("k");
    let (report, code) = scan_git(&repo.path_str(), &["--decode-only"]);
    assert_eq!(code, 0);
    assert_eq!(finding_count(&report), 0);
    assert_eq!(report["summary"]["scanned"], 1);
}
