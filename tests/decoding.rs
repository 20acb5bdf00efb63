//! Credentials hidden in base64, percent-encoding and JSON string escapes
//! are found, say how they were decoded, and `--no-decode` turns it off.

mod common;

use std::fs;
use std::process::Command as StdCommand;

use common::{scan_json, secrets_of, sendgrid_key};

fn b64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn kubernetes_secret_data_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let key = sendgrid_key();
    let encoded = b64(format!("SENDGRID_API_KEY={key}\n").as_bytes());
    fs::write(
        dir.path().join("secret.yaml"),
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: mail\ndata:\n  env: {encoded}\n"),
    )
    .unwrap();
    let (r, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets_of(&r, "sendgrid.api-key"), vec![key]);
    let loc = &r["findings"][0]["locations"][0];
    assert_eq!(loc["decoded"], "base64");
    assert_eq!(loc["line"], 6);
    assert_eq!(loc["column"], 8);
    let (off, code) = scan_json(&["scan", dir.path().to_str().unwrap(), "--no-decode"]);
    assert_eq!(code, 0, "{off}");
}

#[test]
fn json_escaped_private_key_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let out = StdCommand::new("openssl").args(["genrsa", "2048"]).output().expect("openssl runs");
    let pem = String::from_utf8(out.stdout).unwrap();
    assert!(pem.contains("PRIVATE KEY"), "openssl produced a key");
    let escaped = pem.trim_end().replace('\n', "\\n");
    fs::write(dir.path().join("creds.json"), format!("{{\n  \"type\": \"deploy\",\n  \"key\": \"{escaped}\\n\"\n}}\n"))
        .unwrap();
    let (r, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    let f = &r["findings"][0];
    assert!(f["rule_id"].as_str().unwrap().starts_with("private-key"), "{r}");
    assert_eq!(f["locations"][0]["decoded"], "escape");
    assert_eq!(f["locations"][0]["line"], 3);
    assert!(f["secret"].as_str().unwrap().contains('\n'), "the decoded key is reported");
}

#[test]
fn percent_encoded_password_is_reported_decoded() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mail.js"),
        "module.exports = { transport: 'smtp://postmaster%40mg.acme.io:Kq7%23vR9zLwT2mXy7p@smtp.mailgun.org:587' };\n",
    )
    .unwrap();
    let (r, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    let all: Vec<String> =
        r["findings"].as_array().unwrap().iter().map(|f| format!("{} {}", f["rule_id"], f["secret"])).collect();
    assert!(all.iter().any(|s| s.contains("Kq7#vR9zLwT2mXy7p")), "{all:?}");
    assert!(!all.iter().any(|s| s.contains("Kq7%23")), "the encoded form is not reported twice: {all:?}");
}

/// Minified code: one long line, dense with keywords and escapes.
fn minified(len: usize) -> String {
    let mut code = String::new();
    let mut i = 0;
    while code.len() < len {
        code.push_str(&format!("function f{i}(t){{var token=t.key,n=\"a\\nb\";return n+token}};"));
        i += 1;
    }
    code
}

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[test]
fn escaped_credentials_deep_in_a_minified_line_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    // A key escaped onto one line, longer than any single-line rule looks
    // (its window and context bytes either side of a keyword), with no
    // keyword in its body (digits only) to widen what is decoded around it:
    // decoding must reach as far as the multi-line rule looks.
    let body: Vec<String> = (0..180).map(|_| common::random_from(b"0123456789+", 64)).collect();
    let escaped = format!("-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----", body.join("\\n"));
    assert!(escaped.len() > 11_000);
    let password = common::random_from(b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", 18);
    let url = format!("smtp:\\/\\/postmaster%40mg.acme.io:{password}@smtp.mailgun.org:587");
    let bundle = format!(
        "{}var cfg=\"{{\\\"transport\\\":\\\"{url}\\\"}}\";{}var k=\"{escaped}\\n\";{}\n",
        minified(100_000),
        "x=1;".repeat(5000),
        "y=2;".repeat(5000)
    );
    fs::write(dir.path().join("bundle.min.js"), bundle).unwrap();
    let (r, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    let findings = r["findings"].as_array().unwrap();
    let key = findings.iter().find(|f| f["rule_id"] == "private-key.pkcs8");
    let key = key.unwrap_or_else(|| panic!("the escaped key is found: {r}"));
    assert_eq!(key["locations"][0]["decoded"], "escape", "{r}");
    assert!(key["secret"].as_str().unwrap().contains('\n'), "the decoded key is reported");
    let smtp = findings.iter().find(|f| f["secret"].as_str().is_some_and(|s| s.contains(&password)));
    let smtp = smtp.unwrap_or_else(|| panic!("the escaped SMTP URL's password is found: {r}"));
    assert_eq!(smtp["locations"][0]["decoded"], "escape");
}

#[test]
fn a_token_cut_at_the_end_of_a_decoded_span_is_reported_whole_once() {
    let dir = tempfile::tempdir().unwrap();
    // A JWT with a long signature right after an escape: the escapes are
    // decoded about a window's length around its keyword, which ends inside
    // the signature; the raw scan reports the whole token.
    let jwt = format!(
        "eyJ{}.eyJ{}.{}",
        common::random_from(BASE64URL, 30),
        common::random_from(BASE64URL, 40),
        common::random_from(BASE64URL, 3000)
    );
    let line = format!("{}var s=\"a\\nb\",t=\"{jwt}\";{}\n", "x=1;".repeat(2000), "y=2;".repeat(2000));
    fs::write(dir.path().join("app.min.js"), line).unwrap();
    let (r, code) = scan_json(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{r}");
    assert_eq!(secrets_of(&r, "jwt.token"), vec![jwt]);
}
