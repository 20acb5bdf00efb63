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
