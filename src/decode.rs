//! Finding encoded text inside a buffer and decoding it, so that credentials
//! hidden in base64 (Kubernetes Secret `data:` values, base64 `.env` blobs,
//! basic-auth headers), percent-encoding or JSON/YAML string escapes are
//! scanned too. Pure functions over bytes; the engine decides what to scan.

/// A decoded segment: where the encoded text was, and what it decodes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub start: usize,
    pub end: usize,
    pub kind: &'static str,
    pub bytes: Vec<u8>,
}

/// Base64 runs shorter than this are not worth decoding (a credential
/// encoded in base64 is at least this long).
const MIN_BASE64: usize = 20;
/// Longer runs are data (images, fonts), not credentials.
const MAX_BASE64: usize = 64 * 1024;

const fn base64_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'-' || b == b'_';
        c += 1;
    }
    t
}
static BASE64_CHAR: [bool; 256] = base64_table();

/// Every run of base64 characters (standard or URL-safe alphabet, optional
/// `=` padding) of a plausible length that decodes to mostly printable text.
pub fn base64_segments(buf: &[u8], out: &mut Vec<Segment>) {
    let mut i = 0;
    while i < buf.len() {
        if !BASE64_CHAR[buf[i] as usize] {
            i += 1;
            continue;
        }
        let start = i;
        while i < buf.len() && BASE64_CHAR[buf[i] as usize] {
            i += 1;
        }
        let body_end = i;
        while i < buf.len() && buf[i] == b'=' && i - body_end < 2 {
            i += 1;
        }
        let len = body_end - start;
        if !(MIN_BASE64..=MAX_BASE64).contains(&len) {
            continue;
        }
        let run = &buf[start..body_end];
        // Identifiers and words are runs too; real base64 mixes cases and digits.
        if !mixes_classes(run) {
            continue;
        }
        if let Some(decoded) = decode_base64(run)
            && mostly_printable(&decoded)
        {
            out.push(Segment { start, end: i, kind: "base64", bytes: decoded });
        }
    }
}

fn mixes_classes(run: &[u8]) -> bool {
    let upper = run.iter().any(u8::is_ascii_uppercase);
    let lower = run.iter().any(u8::is_ascii_lowercase);
    let digit = run.iter().any(u8::is_ascii_digit);
    upper && lower && digit
}

/// Decodes standard or URL-safe base64 without padding checks.
pub fn decode_base64(run: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(run.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in run {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

fn mostly_printable(bytes: &[u8]) -> bool {
    if bytes.len() < 8 {
        return false;
    }
    let printable =
        bytes.iter().filter(|&&b| b.is_ascii_graphic() || b == b' ' || b == b'\n' || b == b'\r' || b == b'\t').count();
    printable * 100 >= bytes.len() * 95
}

/// Percent-decodes a line if it holds at least one `%XX` escape.
pub fn percent_decode(line: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(line.len());
    let mut changed = false;
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'%'
            && let (Some(h), Some(l)) =
                (line.get(i + 1).and_then(|&c| hex_val(c)), line.get(i + 2).and_then(|&c| hex_val(c)))
        {
            out.push(h * 16 + l);
            changed = true;
            i += 3;
            continue;
        }
        out.push(line[i]);
        i += 1;
    }
    changed.then_some(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Undoes JSON/YAML double-quoted string escapes (`\n`, `\"`, `\/`, `\\`,
/// `\uXXXX`, ...) in a line, if it has any.
pub fn unescape(line: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(line.len());
    let mut changed = false;
    let mut i = 0;
    while i < line.len() {
        if line[i] != b'\\' || i + 1 >= line.len() {
            out.push(line[i]);
            i += 1;
            continue;
        }
        let next = line[i + 1];
        let simple = match next {
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'"' | b'\'' | b'/' | b'\\' => Some(next),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            changed = true;
            continue;
        }
        if next == b'u'
            && let Some(hex) = line.get(i + 2..i + 6)
            && let Ok(text) = std::str::from_utf8(hex)
            && let Ok(code) = u32::from_str_radix(text, 16)
            && let Some(ch) = char::from_u32(code)
        {
            let mut tmp = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
            i += 6;
            changed = true;
            continue;
        }
        out.push(line[i]);
        i += 1;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_base64_of_text_but_not_of_binary_or_words() {
        let secret = b"smtp_password=Hq4vR9zLwT2mXy7pKd3sN8";
        let encoded = "c210cF9wYXNzd29yZD1IcTR2Ujl6THdUMm1YeTdwS2Qzc044";
        let buf = format!("data:\n  creds: {encoded}\n  other: thisIsJustAnIdentifierName\n");
        let mut segs = Vec::new();
        base64_segments(buf.as_bytes(), &mut segs);
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].bytes, secret);
        assert_eq!(&buf[segs[0].start..segs[0].end], encoded);
    }

    #[test]
    fn percent_and_escapes() {
        assert_eq!(percent_decode(b"pass=p%40ss%21").as_deref(), Some(&b"pass=p@ss!"[..]));
        assert_eq!(percent_decode(b"100% sure"), None);
        assert_eq!(unescape(br#"{"k":"a\nb\"c\u0041"}"#).as_deref(), Some(&b"{\"k\":\"a\nb\"cA\"}"[..]));
        assert_eq!(unescape(b"plain"), None);
    }
}
