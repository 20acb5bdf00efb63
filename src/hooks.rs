//! Native git hooks, without a hook framework: the scripts `leakhound
//! install-hook` writes, where git looks for them, and which commits a
//! `git push` sends (from the lines git writes to a pre-push hook's stdin).
//!
//! This module decides *what* to scan; it never scans. The hooks call back
//! into the binary (`protect --staged`, `protect --pre-push`), so a hook
//! installed once keeps working when leakhound is upgraded.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use gix::ObjectId;

/// The hooks `install-hook` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookKind {
    PreCommit,
    PrePush,
}

impl HookKind {
    /// The file name git runs.
    pub fn file_name(self) -> &'static str {
        match self {
            HookKind::PreCommit => "pre-commit",
            HookKind::PrePush => "pre-push",
        }
    }

    fn command(self) -> &'static str {
        match self {
            HookKind::PreCommit => "protect --staged",
            HookKind::PrePush => "protect --pre-push \"$@\"",
        }
    }

    fn what(self) -> &'static str {
        match self {
            HookKind::PreCommit => "Blocks a commit whose staged changes add a credential.",
            HookKind::PrePush => "Blocks a push whose commits add a credential.",
        }
    }

    fn bypass(self) -> &'static str {
        match self {
            HookKind::PreCommit => "git commit --no-verify",
            HookKind::PrePush => "git push --no-verify",
        }
    }
}

/// The line every script leakhound writes carries, so it can recognise its own.
const MARKER: &str = "installed by `leakhound install-hook`";

/// The hook script. `exe` is the leakhound that installed it; when that
/// binary is gone (upgraded elsewhere), the script falls back to PATH, and
/// when there is none it blocks with a message instead of a shell error.
pub fn script(kind: HookKind, exe: &Path) -> String {
    let exe = shell_quote(&exe.display().to_string());
    format!(
        "#!/bin/sh\n\
         # leakhound {name} hook, {MARKER}.\n\
         # {what}\n\
         # Skip it once (not recommended): {bypass}\n\
         leakhound={exe}\n\
         if [ ! -x \"$leakhound\" ]; then\n\
         \x20 on_path=$(command -v leakhound) || {{\n\
         \x20   echo \"leakhound {name} hook: leakhound is not installed (not at $leakhound, not on PATH);\" >&2\n\
         \x20   echo \"install it (https://github.com/leakhound/leakhound), or remove $0\" >&2\n\
         \x20   exit 1\n\
         \x20 }}\n\
         \x20 leakhound=$on_path\n\
         fi\n\
         exec \"$leakhound\" {command}\n",
        name = kind.file_name(),
        what = kind.what(),
        bypass = kind.bypass(),
        command = kind.command(),
    )
}

/// Single-quotes a string for sh.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Where git runs hooks for the repository at `repo`: `core.hooksPath` if
/// set, else the hooks directory of the (common) git directory. Asks git
/// itself, since it is git that will run the hook.
pub fn hooks_dir(repo: &Path) -> Result<PathBuf> {
    let out = std::process::Command::new("git")
        .current_dir(repo)
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .output()
        .with_context(|| format!("{}: cannot run git", repo.display()))?;
    if !out.status.success() {
        bail!("{}: not a git repository ({})", repo.display(), String::from_utf8_lossy(&out.stderr).trim());
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if dir.is_empty() {
        bail!("{}: git did not name a hooks directory", repo.display());
    }
    Ok(PathBuf::from(dir))
}

/// What `install` did.
#[derive(Debug)]
pub struct Installed {
    pub path: PathBuf,
    /// Where the hook it replaced was saved (with `--force`).
    pub backup: Option<PathBuf>,
    /// The same script was already there.
    pub unchanged: bool,
}

/// Writes the hook, refusing to replace a different existing hook unless
/// `force` (which keeps the old one as `<hook>.leakhound-backup`).
pub fn install(repo: &Path, kind: HookKind, force: bool, exe: &Path) -> Result<Installed> {
    let dir = hooks_dir(repo)?;
    let path = dir.join(kind.file_name());
    let text = script(kind, exe);
    let mut backup = None;
    if let Ok(existing) = std::fs::read(&path) {
        if existing == text.as_bytes() {
            return Ok(Installed { path, backup: None, unchanged: true });
        }
        if !force {
            let whose = if String::from_utf8_lossy(&existing).contains(MARKER) {
                "an older leakhound hook"
            } else {
                "a hook that leakhound did not write"
            };
            bail!(
                "{} already exists ({whose}); run `leakhound install-hook{} --force` to replace it (the old one is \
                 kept as {}.leakhound-backup), or call `leakhound {}` from it yourself",
                path.display(),
                if kind == HookKind::PrePush { " --pre-push" } else { "" },
                kind.file_name(),
                kind.command().replace(" \"$@\"", ""),
            );
        }
        let saved = dir.join(format!("{}.leakhound-backup", kind.file_name()));
        std::fs::rename(&path, &saved)
            .with_context(|| format!("cannot move {} to {}", path.display(), saved.display()))?;
        backup = Some(saved);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::write(&path, &text).with_context(|| format!("cannot write {}", path.display()))?;
    make_executable(&path)?;
    Ok(Installed { path, backup, unchanged: false })
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

/// One line of a pre-push hook's stdin:
/// `<local ref> <local sha> <remote ref> <remote sha>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub local_ref: String,
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

/// Parses the pre-push lines; blank lines are skipped, malformed ones are errors.
pub fn parse_push_lines(text: &str) -> Result<Vec<RefUpdate>> {
    let mut updates = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => {}
            [local_ref, local_sha, remote_ref, remote_sha] => updates.push(RefUpdate {
                local_ref: local_ref.to_string(),
                local_sha: local_sha.to_string(),
                remote_ref: remote_ref.to_string(),
                remote_sha: remote_sha.to_string(),
            }),
            _ => bail!(
                "pre-push input line {}: expected `<local ref> <local sha> <remote ref> <remote sha>`, got {line:?}",
                n + 1
            ),
        }
    }
    Ok(updates)
}

/// The all-zero id git uses for "no such ref" (a new branch, a deletion).
pub fn is_null_sha(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b == b'0')
}

/// One range scan to run for a push. When `only` is set, only hits blamed
/// on those commits count (the range is wider than the commits pushed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushScan {
    /// `BASE..HEAD` as `scan --range` takes it (BASE may be the null id).
    pub range: String,
    pub only: Option<HashSet<String>>,
}

/// What a push sends and how to scan it.
#[derive(Debug, Default)]
pub struct PushPlan {
    pub scans: Vec<PushScan>,
    /// Why updates were skipped or widened, for the report's notes.
    pub notes: Vec<String>,
    /// The refs being pushed, for the report's target.
    pub refs: Vec<String>,
}

/// Works out the commits each ref update sends:
///
/// - a deletion (local sha all zeros) sends nothing;
/// - an update of a ref the remote has, whose old tip is here, sends
///   `remote..local`;
/// - a new ref (remote sha all zeros), or an old tip this clone has never
///   seen (someone else pushed; this is a force push), sends the commits
///   that no remote-tracking ref reaches.
pub fn push_plan(repo_path: &Path, updates: &[RefUpdate]) -> Result<PushPlan> {
    let repo = gix::discover(repo_path).map_err(|e| anyhow!("{}: not a git repository ({e})", repo_path.display()))?;
    let mut plan = PushPlan::default();
    for u in updates {
        if is_null_sha(&u.local_sha) {
            plan.notes.push(format!("{}: deleted on the remote, nothing to scan", u.remote_ref));
            continue;
        }
        plan.refs.push(u.remote_ref.clone());
        let Some(local) = peel_to_commit(&repo, &u.local_sha) else {
            plan.notes.push(format!("{}: {} is not a commit, nothing to scan", u.local_ref, u.local_sha));
            continue;
        };
        if !is_null_sha(&u.remote_sha) {
            if let Some(remote) = peel_to_commit(&repo, &u.remote_sha) {
                plan.scans.push(PushScan { range: format!("{remote}..{local}"), only: None });
                continue;
            }
            plan.notes.push(format!(
                "{}: the remote's tip {} is not in this clone (a force push over commits not fetched); scanning \
                 every commit that no remote-tracking ref reaches",
                u.remote_ref, u.remote_sha
            ));
        }
        plan.scans.extend(unpushed_scans(&repo, local)?);
    }
    Ok(plan)
}

fn peel_to_commit(repo: &gix::Repository, sha: &str) -> Option<ObjectId> {
    let id = ObjectId::from_hex(sha.as_bytes()).ok()?;
    let object = repo.find_object(id).ok()?;
    object.peel_to_commit().ok().map(|c| c.id)
}

/// Range scans that together cover exactly the commits reachable from
/// `local` and from no remote-tracking ref. Their boundary is the set of
/// parents outside that set: with none, the range starts at the null id
/// (everything reachable); with one, `parent..local` is exact; with more
/// (a branch that merged two remote branches), each `parent..local` is
/// scanned and only hits on the unpushed commits are kept.
fn unpushed_scans(repo: &gix::Repository, local: ObjectId) -> Result<Vec<PushScan>> {
    let mut hidden = Vec::new();
    let refs = repo.references().map_err(|e| anyhow!("cannot read refs: {e}"))?;
    for r in refs.remote_branches().map_err(|e| anyhow!("cannot read remote-tracking refs: {e}"))?.flatten() {
        let mut r = r;
        if let Ok(id) = r.peel_to_id() {
            hidden.push(id.detach());
        }
    }
    let walk = repo
        .rev_walk([local])
        .with_hidden(hidden)
        .all()
        .map_err(|e| anyhow!("cannot walk commits from {local}: {e}"))?;
    let mut commits = HashSet::new();
    let mut parents = Vec::new();
    for info in walk {
        let info = info.map_err(|e| anyhow!("cannot walk commits from {local}: {e}"))?;
        commits.insert(info.id);
        parents.extend(info.parent_ids.iter().copied());
    }
    if commits.is_empty() {
        return Ok(Vec::new());
    }
    let mut boundary: Vec<ObjectId> = parents.into_iter().filter(|p| !commits.contains(p)).collect();
    boundary.sort();
    boundary.dedup();
    let null = ObjectId::null(repo.object_hash());
    Ok(match boundary.as_slice() {
        [] => vec![PushScan { range: format!("{null}..{local}"), only: None }],
        [one] => vec![PushScan { range: format!("{one}..{local}"), only: None }],
        many => {
            let only: HashSet<String> = commits.iter().map(ToString::to_string).collect();
            many.iter().map(|p| PushScan { range: format!("{p}..{local}"), only: Some(only.clone()) }).collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_lines_parse() {
        let text = "refs/heads/main 1111 refs/heads/main 0000\n\nrefs/tags/v1 2222 refs/tags/v1 3333\n";
        let u = parse_push_lines(text).unwrap_or_default();
        assert_eq!(u.len(), 2);
        assert_eq!(u[0].local_sha, "1111");
        assert_eq!(u[1].remote_ref, "refs/tags/v1");
        assert!(parse_push_lines("refs/heads/main 1111 refs/heads/main").is_err());
    }

    #[test]
    fn null_shas() {
        assert!(is_null_sha("0000000000000000000000000000000000000000"));
        assert!(!is_null_sha("0000000000000000000000000000000000000001"));
        assert!(!is_null_sha(""));
    }

    #[test]
    fn scripts_quote_the_binary_and_fall_back_to_path() {
        let s = script(HookKind::PreCommit, Path::new("/opt/it's here/leakhound"));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains(r"leakhound='/opt/it'\''s here/leakhound'"));
        assert!(s.contains("exec \"$leakhound\" protect --staged\n"));
        assert!(s.contains(MARKER));
        let p = script(HookKind::PrePush, Path::new("/usr/bin/leakhound"));
        assert!(p.contains("exec \"$leakhound\" protect --pre-push \"$@\"\n"));
    }
}
