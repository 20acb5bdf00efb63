//! A sandbox for tests that drive git, pre-commit and leakhound together the
//! way a user's shell would: git configuration, pre-commit's cache and PATH
//! are the sandbox's own, and `leakhound` on PATH is a wrapper around the
//! binary under test that counts its runs. Nothing touches the network.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let sandbox = Sandbox { dir: tempfile::tempdir().expect("temp dir") };
        let root = sandbox.root();
        std::fs::create_dir_all(root.join("bin")).expect("mkdir bin");
        std::fs::write(
            root.join("gitconfig"),
            "[user]\n\tname = Ada Lovelace\n\temail = ada@analytical.invalid\n\
             [commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n\
             [init]\n\tdefaultBranch = main\n[gc]\n\tauto = 0\n\
             [advice]\n\tdetachedHead = false\n",
        )
        .expect("write gitconfig");
        // `leakhound` on PATH: counts its runs, then runs the binary under test.
        let wrapper = root.join("bin/leakhound");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                root.join("leakhound-runs.log").display(),
                leakhound_bin().display()
            ),
        )
        .expect("write wrapper");
        make_executable(&wrapper);
        sandbox
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A command with the sandbox's environment, run in `cwd`.
    pub fn cmd(&self, program: &str, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut dirs = vec![self.root().join("bin")];
        dirs.extend(std::env::split_paths(&path));
        cmd.current_dir(cwd)
            .env("PATH", std::env::join_paths(dirs).expect("PATH"))
            .env("GIT_CONFIG_GLOBAL", self.root().join("gitconfig"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("PRE_COMMIT_HOME", self.root().join("pre-commit-cache"))
            .env("PRE_COMMIT_COLOR", "never")
            .env("NO_COLOR", "1")
            .env_remove("LEAKHOUND_CONFIG");
        // Whatever hook or CI job runs the test suite must not leak into the sandbox.
        for var in [
            "GIT_DIR",
            "GIT_INDEX_FILE",
            "GIT_WORK_TREE",
            "GIT_OBJECT_DIRECTORY",
            "GIT_ALTERNATE_OBJECT_DIRECTORIES",
            "GITHUB_EVENT_PATH",
            "GITHUB_EVENT_NAME",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_OUTPUT",
            "PRE_COMMIT",
        ] {
            cmd.env_remove(var);
        }
        cmd
    }

    /// Runs a command to completion.
    pub fn run(&self, program: &str, cwd: &Path, args: &[&str]) -> Output {
        self.cmd(program, cwd).args(args).output().unwrap_or_else(|e| panic!("{program} {args:?}: {e}"))
    }

    /// Runs git and returns its trimmed stdout; panics on failure.
    pub fn git(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.run("git", cwd, args);
        assert!(out.status.success(), "git {args:?} failed:\n{}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// `git init` of a new repository at `rel` inside the sandbox.
    pub fn repo(&self, rel: &str) -> PathBuf {
        let path = self.root().join(rel);
        std::fs::create_dir_all(&path).expect("mkdir repo");
        self.git(&path, &["init", "-q"]);
        path
    }

    /// How many times `leakhound` was run through PATH.
    pub fn leakhound_runs(&self) -> usize {
        std::fs::read_to_string(self.root().join("leakhound-runs.log")).map_or(0, |s| s.lines().count())
    }

    pub fn reset_runs(&self) {
        let _ = std::fs::remove_file(self.root().join("leakhound-runs.log"));
    }
}

/// The binary under test.
pub fn leakhound_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_leakhound"))
}

/// The repository this test suite belongs to.
pub fn this_repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, content).expect("write");
}

/// stdout and stderr together, for assertions and failure messages.
pub fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[cfg(unix)]
pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Whether an external tool is installed; in CI (`CI` set) its absence is a failure.
pub fn tool_available(program: &str, install_hint: &str) -> bool {
    let found = Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "CI must provide {program} ({install_hint}, see .ci/run)");
        eprintln!("{program} is not installed ({install_hint}): skipping");
    }
    found
}
