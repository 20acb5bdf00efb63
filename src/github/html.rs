//! The HTML summary page of an org report: one self-contained file (inline
//! CSS and SVG, no script, no external asset, a Content-Security-Policy that
//! forbids loading anything) with totals by provider and status, the new
//! findings of tonight, every finding with live credentials first, and a
//! chart of findings over time. Secrets are always redacted here.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::report::{OrgFinding, OrgReport};
use super::state::HistoryPoint;

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:2rem 0 .5rem}
.sub{color:#57606a;margin:0 0 1.5rem}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #d0d7de;border-radius:8px;padding:.75rem 1rem;min-width:8rem}
.card .n{font-size:1.6rem;font-weight:600}.card .l{color:#57606a}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa}code{font:12px ui-monospace,monospace}
.status{font-weight:600;border-radius:4px;padding:0 .35rem}
.live{background:#ffebe9;color:#a40e26}.revoked{background:#dafbe1;color:#116329}
.invalid{background:#eaeef2;color:#424a53}.unknown,.unverified{background:#fff8c5;color:#7d4e00}
.new{background:#ddf4ff;color:#0550ae;border-radius:4px;padding:0 .35rem;font-weight:600}
.empty{color:#57606a}
";

/// Renders the page.
pub fn render(doc: &OrgReport) -> String {
    let t = &doc.totals;
    let mut out = String::new();
    let title = format!("leakhound: {}", doc.scope);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>\n",
        esc(&title)
    );
    let when = doc.run.as_ref().map(|r| r.finished_at.clone()).unwrap_or_default();
    let _ = writeln!(
        out,
        "<h1>{}</h1><p class=\"sub\">{}{}{}</p>",
        esc(&title),
        esc(&when),
        doc.shard.as_ref().map(|s| format!(" · shard {}", esc(s))).unwrap_or_default(),
        format_args!(" · leakhound {}", esc(&doc.tool.version)),
    );

    out.push_str("<section id=\"totals\" class=\"cards\">");
    let live = t.by_status.get("live").copied().unwrap_or(0);
    let revoked = t.by_status.get("revoked").copied().unwrap_or(0);
    for (id, n, label) in [
        ("total-repositories", t.repositories, "repositories"),
        ("total-findings", t.findings, "findings"),
        ("total-new", t.new_findings, "new tonight"),
        ("total-live", live, "live"),
        ("total-revoked", revoked, "revoked"),
        ("total-failed", t.failed, "failed repositories"),
    ] {
        let _ = write!(
            out,
            "<div class=\"card\" id=\"{id}\"><div class=\"n\">{n}</div><div class=\"l\">{label}</div></div>"
        );
    }
    out.push_str("</section>\n");

    out.push_str("<h2>Findings over time</h2>\n");
    out.push_str(&chart(&doc.history));

    out.push_str("<h2>By provider and status</h2>\n");
    out.push_str(&provider_table(doc));

    out.push_str("<h2>New tonight</h2>\n<section id=\"new-tonight\">");
    let order = doc.findings_in_order();
    let new: Vec<&OrgFinding> = order.iter().copied().filter(|f| f.new).collect();
    if new.is_empty() {
        out.push_str("<p class=\"empty\">No new findings tonight.</p>");
    } else {
        out.push_str(&finding_table(&new));
    }
    out.push_str("</section>\n");

    out.push_str("<h2>All findings (live first)</h2>\n<section id=\"findings\">");
    if order.is_empty() {
        out.push_str("<p class=\"empty\">No findings.</p>");
    } else {
        out.push_str(&finding_table(&order));
    }
    out.push_str("</section>\n");

    out.push_str("<h2>Repositories</h2>\n<table id=\"repositories\"><thead><tr><th>repository</th><th>scan</th><th>blobs scanned</th><th>new findings</th><th>note</th></tr></thead><tbody>");
    for r in &doc.repositories {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.full_name),
            esc(&r.outcome.mode),
            r.outcome.blobs_scanned,
            r.outcome.new_findings,
            esc(r.outcome.error.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}

fn provider_table(doc: &OrgReport) -> String {
    let statuses = ["live", "revoked", "invalid", "unknown", "unverified"];
    let mut rows: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for f in doc.repositories.iter().flat_map(|r| r.findings.iter()) {
        *rows.entry(f.stored.finding.provider.as_str()).or_default().entry(f.status()).or_default() += 1;
    }
    let mut out = String::from("<table id=\"by-provider\"><thead><tr><th>provider</th>");
    for s in statuses {
        let _ = write!(out, "<th>{s}</th>");
    }
    out.push_str("<th>total</th></tr></thead><tbody>");
    for (provider, counts) in &rows {
        let _ = write!(out, "<tr data-provider=\"{}\"><td>{}</td>", esc(provider), esc(provider));
        for s in statuses {
            let _ = write!(out, "<td>{}</td>", counts.get(s).copied().unwrap_or(0));
        }
        let _ = write!(out, "<td>{}</td></tr>", counts.values().sum::<usize>());
    }
    out.push_str("</tbody></table>\n");
    out
}

fn finding_table(findings: &[&OrgFinding]) -> String {
    let mut out = String::from(
        "<table><thead><tr><th>status</th><th>repository</th><th>rule</th><th>secret</th><th>where</th><th>since</th></tr></thead><tbody>",
    );
    for f in findings {
        let finding = &f.stored.finding;
        let loc = finding
            .locations
            .first()
            .map(|l| {
                let commit =
                    l.commit.as_ref().map(|c| format!(" @ {}", c.id.get(..10).unwrap_or(&c.id))).unwrap_or_default();
                format!("{}:{}{commit}", l.path, l.line)
            })
            .unwrap_or_default();
        let status = f.status();
        let _ = write!(
            out,
            "<tr class=\"finding\" data-status=\"{status}\" data-new=\"{}\" data-fingerprint=\"{}\"><td><span class=\"status {status}\">{status}</span>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            f.new,
            esc(&finding.fingerprint),
            if f.new { " <span class=\"new\">new</span>" } else { "" },
            esc(&f.stored.repo),
            esc(&finding.rule_id),
            esc(&finding.secret_redacted),
            esc(&loc),
            esc(&f.story()),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// An inline SVG line chart: total findings and live ones per run, with the
/// new findings of each run as bars.
fn chart(history: &[HistoryPoint]) -> String {
    if history.is_empty() {
        return "<p class=\"empty\" id=\"chart\">No history yet.</p>\n".into();
    }
    let (w, h, pad) = (720.0_f64, 220.0_f64, 36.0_f64);
    let max = history.iter().map(|p| p.findings.max(p.live)).max().unwrap_or(0).max(1) as f64;
    let n = history.len();
    let x =
        |i: usize| if n == 1 { pad + (w - 2.0 * pad) / 2.0 } else { pad + (w - 2.0 * pad) * i as f64 / (n - 1) as f64 };
    let y = |v: i64| h - pad - (h - 2.0 * pad) * v as f64 / max;
    let mut out = format!(
        "<svg id=\"chart\" role=\"img\" aria-label=\"findings over time\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">"
    );
    let _ = write!(
        out,
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#d0d7de\"/><text x=\"4\" y=\"{}\" font-size=\"11\" fill=\"#57606a\">{}</text><text x=\"4\" y=\"{}\" font-size=\"11\" fill=\"#57606a\">0</text>",
        h - pad,
        w - pad,
        h - pad,
        pad,
        max as i64,
        h - pad
    );
    let bar = ((w - 2.0 * pad) / n as f64 * 0.4).clamp(2.0, 24.0);
    for (i, p) in history.iter().enumerate() {
        if p.new_findings > 0 {
            let _ = write!(
                out,
                "<rect class=\"new-bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"#54aeff\" opacity=\"0.5\"><title>{}: {} new</title></rect>",
                x(i) - bar / 2.0,
                y(p.new_findings),
                h - pad - y(p.new_findings),
                esc(p.date.get(..10).unwrap_or(&p.date)),
                p.new_findings
            );
        }
    }
    for (class, color, value) in [
        ("series-findings", "#0969da", (|p: &HistoryPoint| p.findings) as fn(&HistoryPoint) -> i64),
        ("series-live", "#cf222e", |p: &HistoryPoint| p.live),
    ] {
        let points: Vec<String> =
            history.iter().enumerate().map(|(i, p)| format!("{:.1},{:.1}", x(i), y(value(p)))).collect();
        let _ = write!(
            out,
            "<polyline class=\"{class}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
            points.join(" ")
        );
        for (i, p) in history.iter().enumerate() {
            let _ = write!(
                out,
                "<circle class=\"point {class}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"><title>{}: {}</title></circle>",
                x(i),
                y(value(p)),
                esc(p.date.get(..10).unwrap_or(&p.date)),
                value(p)
            );
        }
    }
    for (i, p) in history.iter().enumerate() {
        if n <= 12 || i % n.div_ceil(12) == 0 {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#57606a\">{}</text>",
                x(i),
                h - pad + 16.0,
                esc(p.date.get(5..10).unwrap_or(&p.date))
            );
        }
    }
    out.push_str(
        "<text x=\"480\" y=\"16\" font-size=\"11\" fill=\"#0969da\">● findings</text><text x=\"560\" y=\"16\" font-size=\"11\" fill=\"#cf222e\">● live</text><text x=\"620\" y=\"16\" font-size=\"11\" fill=\"#54aeff\">■ new</text></svg>\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn page_has_no_external_assets() {
        let mut doc = OrgReport::new("org:<acme>".into(), None, None);
        doc.history = vec![HistoryPoint {
            run: 1,
            date: "2026-11-02T01:00:00Z".into(),
            findings: 3,
            new_findings: 3,
            live: 1,
            revoked: 0,
        }];
        let page = render(&doc);
        assert!(page.contains("org:&lt;acme&gt;"));
        assert!(!page.contains("src=\"http"));
        assert!(!page.contains("<script"));
        assert!(page.contains("<svg id=\"chart\""));
    }
}
