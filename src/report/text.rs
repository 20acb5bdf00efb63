//! The human report: one block per finding with its redacted secret, every
//! location under it, and what to do; a one-line summary at the end.

use std::fmt::Write;

use super::{RenderOptions, Report};
use crate::findings::{Finding, LocationKind};
use crate::rules::Confidence;

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.on { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
}

pub fn render(report: &Report<'_>, opts: RenderOptions) -> String {
    let p = Paint { on: opts.color };
    let mut out = String::new();
    for f in report.findings {
        finding_block(&mut out, &p, report, f);
    }
    blocked_hint(&mut out, &p, report);
    out.push_str(&summary_line(&p, report));
    out
}

/// For hooks: what was blocked, where each credential is, and the three
/// ways out, in one place a person reads after a failed commit or push.
fn blocked_hint(out: &mut String, p: &Paint, report: &Report<'_>) {
    let (what, fix) = match report.mode {
        "staged" => (
            "commit blocked: the staged changes add",
            "remove it from the file and stage the file again (git add); rotate it with its provider if it was \
             ever shared, pushed or committed elsewhere",
        ),
        "pre-push" => (
            "push blocked: the commits being pushed add",
            "remove it and rewrite the commits that added it (git commit --amend, git rebase -i); rotate it with \
             its provider if it was ever shared or pushed anywhere else",
        ),
        _ => return,
    };
    let n = report.findings.len();
    if n == 0 {
        return;
    }
    let _ = writeln!(out, "{} {n} credential{}:", p.red(what), plural(n));
    for f in report.findings {
        for loc in &f.locations {
            let place = match loc.kind {
                LocationKind::CommitMessage => format!("commit message of {}", loc.path),
                _ => format!("{}:{}", loc.path, loc.line),
            };
            let commit = loc.commit.as_ref().map(|c| format!(" (commit {})", &c.id[..c.id.len().min(10)]));
            let _ = writeln!(out, "  {}  {}{}", p.bold(&place), f.rule_name, commit.unwrap_or_default());
        }
    }
    let _ = writeln!(
        out,
        "To fix, for each one: {fix}. If it is a false positive, mark the line with a `leakhound:allow` comment \
         (e.g. `# leakhound:allow`).\n"
    );
}

fn finding_block(out: &mut String, p: &Paint, report: &Report<'_>, f: &Finding) {
    let conf = match f.confidence {
        Confidence::High => p.red("high"),
        Confidence::Medium => p.yellow("medium"),
        Confidence::Low => p.dim("low"),
    };
    let _ = writeln!(out, "{}  {}  confidence: {conf}", p.bold(&f.rule_name), p.dim(&f.rule_id));
    let _ = writeln!(out, "  secret:      {}", f.secret_redacted);
    for (k, v) in &f.groups {
        let _ = writeln!(out, "  {:<12} {}", format!("{k}:"), v);
    }
    let _ = writeln!(out, "  fingerprint: {}", f.fingerprint);
    if let Some(v) = &f.verification {
        let status = match v.status {
            crate::verify::Status::Live => p.red(&v.status_text()),
            crate::verify::Status::Unknown => p.yellow(&v.status_text()),
            _ => p.green(&v.status_text()),
        };
        let via = v.host.as_deref().map(|h| p.dim(&format!("  via {h}"))).unwrap_or_default();
        let _ = writeln!(out, "  verified:    {status}{via}");
        if let Some(d) = v.details_text() {
            let _ = writeln!(out, "  reach:       {d}");
        }
        if let Some(r) = &v.revocation {
            let _ = writeln!(out, "  revocation:  {}", r.summary());
            if let Some(steps) = &r.steps {
                let _ = writeln!(out, "  by hand:     {steps}");
            }
        }
    }
    for loc in &f.locations {
        let mut line = format!("  {}:{}:{}", loc.path, loc.line, loc.column);
        match loc.kind {
            LocationKind::CommitMessage => line = format!("  commit message of {}", loc.path),
            LocationKind::Staged => line.push_str(" (staged)"),
            _ => {}
        }
        if let Some(c) = &loc.commit {
            let short = &c.id[..c.id.len().min(10)];
            let _ = write!(line, "  {} {} <{}> {}", p.dim("commit"), short, c.author_name, c.author_email);
            let _ = write!(line, " {}", c.date);
        }
        if loc.in_head == Some(false) {
            let _ = write!(line, "  {}", p.yellow("(not at HEAD)"));
        }
        if let Some(d) = &loc.decoded {
            let _ = write!(line, "  {}", p.dim(&format!("(decoded: {d})")));
        }
        let _ = writeln!(out, "{line}");
    }
    if f.history_only == Some(true) {
        let _ = writeln!(
            out,
            "  {}",
            p.yellow("lives only in history: deleting the line did not un-leak it; rotate the credential")
        );
    }
    if let Some(rule) = report.rules.get(f.rule_id.as_str()) {
        let _ = writeln!(out, "  {} {}", p.green("fix:"), rule.remediation.trim());
    }
    out.push('\n');
}

fn summary_line(p: &Paint, report: &Report<'_>) -> String {
    let (findings, stats) = (report.findings, report.stats);
    let locations: usize = findings.iter().map(|f| f.locations.len()).sum();
    let mut s = if findings.is_empty() {
        p.green("no credentials found")
    } else {
        p.bold(&format!(
            "{} finding{} ({} location{})",
            findings.len(),
            plural(findings.len()),
            locations,
            plural(locations)
        ))
    };
    let _ = write!(
        s,
        " · {} item{} ({}) scanned in {:.2} s",
        stats.scanned,
        plural(stats.scanned as usize),
        human_bytes(stats.bytes),
        stats.duration.as_secs_f64()
    );
    if stats.commit_messages > 0 {
        let n = stats.commit_messages as usize;
        let _ = write!(s, " · {n} commit message{}", plural(n));
    }
    if stats.delta_blobs > 0 {
        let _ = write!(
            s,
            " · delta-aware: {} blob{} from their delta, {} fed to the matcher",
            stats.delta_blobs,
            plural(stats.delta_blobs as usize),
            human_bytes(stats.matcher_bytes)
        );
    }
    if !stats.skipped.is_empty() {
        let parts: Vec<String> = stats.skipped.iter().map(|(r, n)| format!("{n} {}", r.as_str())).collect();
        let _ = write!(s, " · skipped: {}", parts.join(", "));
    }
    let suppressed = crate::suppress::counts(report.suppressed);
    if !suppressed.is_empty() {
        let total: usize = suppressed.values().sum();
        let parts: Vec<String> = suppressed.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(s, " · {total} suppressed ({})", parts.join(", "));
    }
    if !stats.errors.is_empty() {
        let _ = write!(s, " · {} error{} (see stderr)", stats.errors.len(), plural(stats.errors.len()));
    }
    s.push('\n');
    for note in &stats.notes {
        let _ = writeln!(s, "note: {note}");
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 { format!("{n} B") } else { format!("{v:.1} {}", UNITS[u]) }
}
