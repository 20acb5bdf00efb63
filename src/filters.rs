//! Filters that decide whether a value a rule matched is a real credential or
//! a placeholder, a documentation value, a reference to the environment or a
//! low-entropy string. Shared by all rules; per-rule knobs (entropy floor,
//! checksum) come from the rule file.

use crate::rules::Checksum;

/// Substrings that mark a value as a reference or template, not a literal.
const REFERENCE_MARKERS: &[&str] = &[
    "${",
    "{{",
    "}}",
    "%(",
    "$(",
    "<%",
    "%>",
    "#{",
    "process.env",
    "os.environ",
    "getenv",
    "env[",
    "env(",
    "env.",
    "environ[",
    "environment.",
    "config[",
    "secrets.",
    "vault:",
    "keyvault",
    "valuefrom",
    "secretkeyref",
    "parameter store",
];

/// Lowercase substrings that only documentation and placeholder values contain.
/// Public so `docs/rules.md` can list them.
pub const PLACEHOLDER_WORDS: &[&str] = &[
    "xxxx",
    "****",
    "....",
    "changeme",
    "change_me",
    "change-me",
    "changethis",
    "example",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourpass",
    "yoursecret",
    "yourtoken",
    "redacted",
    "dummy",
    "sample",
    "insert",
    "replace",
    "fake",
    "foobar",
    "lorem",
    "mysecret",
    "mypassword",
    "secret_here",
    "key_here",
    "token_here",
    "notasecret",
    "not_a_secret",
    "not-a-real",
    "notreal",
    "password_here",
];

/// Whole values that are stop words rather than secrets.
pub const STOP_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "changeit",
    "admin",
    "root",
    "test",
    "testing",
    "null",
    "none",
    "nil",
    "true",
    "false",
    "undefined",
    "string",
    "value",
    "todo",
    "tbd",
    "default",
    "empty",
    "qwerty",
    "letmein",
    "123456",
    "12345678",
    "123456789",
    "password1",
    "password123",
    "secret123",
    "hunter2",
    "postgres",
    "guest",
    "anonymous",
];

/// AWS's published documentation keys, which appear in countless READMEs.
const PUBLISHED_EXAMPLES: &[&str] = &[
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
    "AKIAI44QH8DHBEXAMPLE",
    // Azurite (Azure Storage emulator) well-known account key.
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    // jwt.io's sample token signature.
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    // PagerDuty's documentation key.
    "y_NbAkKc66ryYTWUXYEu",
    // RFC 7617's basic-auth sample (Aladdin:open sesame).
    "QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
];

/// Lock files hold integrity hashes and resolved URLs, never credentials
/// written by people; generic rules skip them.
const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "composer.lock",
    "Gemfile.lock",
    "go.sum",
    "packages.lock.json",
    "flake.lock",
    "mix.lock",
    "pubspec.lock",
    "Podfile.lock",
];

/// Whether `path` names a lock file.
pub fn is_lockfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    LOCKFILES.contains(&name)
}

/// Values that generic rules must not take for secrets: UUIDs (where a rule
/// does not expect one) and integrity hashes (`sha512-…`).
pub fn generic_reject(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if ["sha1-", "sha256-", "sha384-", "sha512-", "md5-"].iter().any(|p| lower.starts_with(p)) {
        return true;
    }
    is_uuid(value)
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Why a candidate value was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Reference,
    Placeholder,
    StopWord,
    Published,
    Repetitive,
    LowEntropy,
    Checksum,
}

/// True when `value` reads as a placeholder, reference or documentation value.
pub fn placeholder_reason(value: &str) -> Option<Rejection> {
    let lower = value.to_ascii_lowercase();
    if REFERENCE_MARKERS.iter().any(|m| lower.contains(m)) {
        return Some(Rejection::Reference);
    }
    if (lower.starts_with('<') && lower.ends_with('>')) || (lower.starts_with('[') && lower.ends_with(']')) {
        return Some(Rejection::Placeholder);
    }
    if lower.starts_with('$') && lower[1..].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(Rejection::Reference);
    }
    if PUBLISHED_EXAMPLES.iter().any(|p| value.contains(p)) {
        return Some(Rejection::Published);
    }
    if PLACEHOLDER_WORDS.iter().any(|w| lower.contains(w)) {
        return Some(Rejection::Placeholder);
    }
    let trimmed = lower.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if STOP_WORDS.contains(&trimmed) {
        return Some(Rejection::StopWord);
    }
    if is_repetitive(value.as_bytes()) {
        return Some(Rejection::Repetitive);
    }
    None
}

/// Runs of one character, ascending or descending sequences, or values made
/// of very few distinct characters.
fn is_repetitive(bytes: &[u8]) -> bool {
    if bytes.len() < 6 {
        return false;
    }
    let mut distinct = [false; 256];
    let mut count = 0;
    for &b in bytes {
        if !distinct[b as usize] {
            distinct[b as usize] = true;
            count += 1;
        }
    }
    if count <= 3 && bytes.len() >= 8 {
        return true;
    }
    let (mut same, mut up, mut down) = (1, 1, 1);
    for w in bytes.windows(2) {
        same = if w[1] == w[0] { same + 1 } else { 1 };
        up = if w[1] == w[0].wrapping_add(1) && w[0].is_ascii_alphanumeric() { up + 1 } else { 1 };
        down = if w[1].wrapping_add(1) == w[0] && w[0].is_ascii_alphanumeric() { down + 1 } else { 1 };
        if same >= 7 || up >= 8 || down >= 8 {
            return true;
        }
    }
    false
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// Checks a format checksum.
pub fn checksum_ok(kind: Checksum, value: &str) -> bool {
    match kind {
        Checksum::GithubCrc32 => github_crc32_ok(value),
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// GitHub's token format: `prefix_` + 30 base62 characters + the CRC32 of
/// those 30 characters in base62, left-padded with `0` to six characters.
/// Fine-grained tokens (`github_pat_`) have no such checksum and pass.
fn github_crc32_ok(token: &str) -> bool {
    if token.starts_with("github_pat_") {
        return true;
    }
    let Some((_, rest)) = token.split_once('_') else {
        return false;
    };
    if rest.len() != 36 {
        return false;
    }
    let (body, check) = rest.split_at(30);
    let mut crc = crc32(body.as_bytes());
    let mut encoded = [b'0'; 6];
    for slot in encoded.iter_mut().rev() {
        *slot = BASE62[(crc % 62) as usize];
        crc /= 62;
    }
    crc == 0 && encoded == check.as_bytes()
}

/// CRC-32 (IEEE), bitwise: called only for the few matches of checksummed rules.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for v in [
            "${SENDGRID_API_KEY}",
            "<your-key>",
            "xxxxxxxxxxxxxxxx",
            "changeme",
            "process.env.SMTP_PASS",
            "os.environ['X']",
            "AKIAIOSFODNN7EXAMPLE",
            "aaaaaaaaaaaaaaaa",
            "abcdefghijklmnop",
            "1234567890",
            "{{ smtp_password }}",
            "%(password)s",
            "password",
        ] {
            assert!(placeholder_reason(v).is_some(), "{v} should be a placeholder");
        }
    }

    #[test]
    fn real_looking_values_pass() {
        for v in ["Hq4vR9zLwT2mXy7pKd3sN8", "kP9!rT#2vB%qW7zL4mN1", "key-3f9a1c7e5b2d4068a1c3e5f7b9d2e4a6"] {
            assert_eq!(placeholder_reason(v), None, "{v}");
        }
    }

    #[test]
    fn generic_rejects_hashes_uuids_and_lockfiles() {
        assert!(generic_reject("sha512-3f9a1c7e5b2d4068a1c3e5f7b9d2e4a6"));
        assert!(generic_reject("52d78801-e748-4204-936e-bbdf40dd0982"));
        assert!(!generic_reject("Kq7vR9zLwT2mXy7p"));
        assert!(is_lockfile("web/package-lock.json") && is_lockfile("Cargo.lock") && !is_lockfile("src/lock.rs"));
    }

    #[test]
    fn entropy_orders_values() {
        assert!(shannon_entropy(b"aaaaaaaa") < 0.1);
        assert!(shannon_entropy(b"Hq4vR9zLwT2mXy7pKd3sN8") > 4.0);
    }

    #[test]
    fn github_checksum() {
        // Build a valid token from a body the way GitHub does.
        let body = "abcdefghijklmnopqrstuvwxyz0123";
        let mut crc = crc32(body.as_bytes());
        let mut enc = [b'0'; 6];
        for slot in enc.iter_mut().rev() {
            *slot = BASE62[(crc % 62) as usize];
            crc /= 62;
        }
        let token = format!("ghp_{body}{}", std::str::from_utf8(&enc).unwrap());
        assert!(checksum_ok(Checksum::GithubCrc32, &token));
        let broken = format!("ghp_{body}AAAAAA");
        assert!(!checksum_ok(Checksum::GithubCrc32, &broken));
    }
}
