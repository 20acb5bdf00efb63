//! `leakhound completions SHELL` and `leakhound man`: generated from the same
//! clap definitions as the parser, so every command and flag the binary
//! accepts is in them. Bash completion is exercised in a real bash; the man
//! page is rendered with groff when it is installed.

mod common;

use clap::CommandFactory;
use common::leakhound;

/// Every visible subcommand name, from the parser's own definition.
fn subcommands() -> Vec<String> {
    leakhound::cli::Cli::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

fn stdout_of(args: &[&str]) -> String {
    let out = leakhound().args(args).output().expect("runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn completions_for_every_shell_name_every_command() {
    let names = subcommands();
    for must in ["scan", "protect", "install-hook", "ci", "completions", "man"] {
        assert!(names.iter().any(|n| n == must), "{must} missing from {names:?}");
    }
    for (shell, marker) in [
        ("bash", "complete -F _leakhound"),
        ("zsh", "#compdef leakhound"),
        ("fish", "complete -c leakhound"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for name in &names {
            assert!(script.contains(name.as_str()), "{shell}: no subcommand {name}");
        }
        for flag in ["staged", "pre-push", "range", "fail-on-findings"] {
            assert!(script.contains(flag), "{shell}: no --{flag}");
        }
    }
    let out = leakhound().args(["completions", "tcsh"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// Completes `words` (the last one partial) with the generated bash script
/// in a real bash, as the README's snippet installs it.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = stdout_of(&["completions", "bash"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("leakhound.bash");
    std::fs::write(&file, script).expect("write");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         _leakhound leakhound '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        file.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out =
        std::process::Command::new("bash").args(["--norc", "--noprofile", "-c", &program]).output().expect("bash");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn bash_completes_commands_and_flags() {
    assert_eq!(bash_complete(&["leakhound", "pro"]), ["protect", "providers"].map(String::from));
    assert_eq!(bash_complete(&["leakhound", "install-h"]), ["install-hook"]);
    let flags = bash_complete(&["leakhound", "protect", "--"]);
    assert!(flags.iter().any(|f| f == "--staged") && flags.iter().any(|f| f == "--pre-push"), "{flags:?}");
    let shells = bash_complete(&["leakhound", "completions", ""]);
    assert!(["bash", "zsh", "fish", "powershell"].iter().all(|s| shells.iter().any(|x| x == s)), "{shells:?}");
}

#[test]
fn man_page_documents_every_command_and_renders() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH leakhound 1"), "{page}");
    assert!(page.contains(".SH NAME"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    for name in subcommands() {
        assert!(page.contains(&format!("leakhound\\-{}(1)", name.replace('-', "\\-"))), "no {name} in the man page");
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let out = leakhound().args(["man", "--dir"]).arg(dir.path()).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for name in
        ["leakhound.1", "leakhound-scan.1", "leakhound-protect.1", "leakhound-install-hook.1", "leakhound-ci-github.1"]
    {
        assert!(dir.path().join(name).is_file(), "{name} not written");
    }
    let protect = std::fs::read_to_string(dir.path().join("leakhound-protect.1")).expect("read");
    assert!(protect.contains("\\-\\-pre\\-push"), "{protect}");

    // groff renders it without warnings, when installed.
    let rendered = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    if let Ok(mut child) = rendered {
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(page.as_bytes()).expect("write");
        }
        let out = child.wait_with_output().expect("groff");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(warnings.trim().is_empty(), "groff warnings:\n{warnings}");
    }
}
