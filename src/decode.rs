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

/// Per byte: 0 when not a base64 character, else a bit for its class
/// (other, upper, lower, digit), so one pass both finds runs and tells
/// whether a run mixes classes as base64 does.
const fn base64_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_uppercase() {
            2
        } else if b.is_ascii_lowercase() {
            4
        } else if b.is_ascii_digit() {
            8
        } else if b == b'+' || b == b'/' || b == b'-' || b == b'_' {
            1
        } else {
            0
        };
        c += 1;
    }
    t
}
static BASE64_CLASS: [u8; 256] = base64_table();
const MIXED: u8 = 2 | 4 | 8;

/// Every run of base64 characters (standard or URL-safe alphabet, optional
/// `=` padding) of a plausible length that decodes to mostly printable text.
///
/// Most of source code is identifiers and words, which are base64
/// characters too, so a byte-by-byte search spends its time on short runs.
/// Instead each 64-byte block becomes two bit masks, one bit per byte, built
/// 16 bytes at a time with SIMD compares: base64 characters, and digits. A
/// block's masks and the next one's make 128-bit masks. In the first, five
/// shift-and steps leave a bit set only where `MIN_BASE64` base64
/// characters in a row begin; a run's end is read off it too. The second
/// settles most runs at once: real base64 mixes cases and digits, and most
/// long runs are identifiers without a digit. Every byte is classified
/// once; a run's bytes are looked at again only if it holds a digit.
pub fn base64_segments(buf: &[u8], out: &mut Vec<Segment>) {
    // The shifts below add up to MIN_BASE64 - 1, which must fit in the next block.
    const _: () = assert!(MIN_BASE64 == 1 + 2 + 4 + 8 + 4 + 1 && MIN_BASE64 <= 64);
    let n = buf.len();
    // `cur` and `next` are the masks of the block at `base` and of the one
    // after it; `before` is whether the byte before `base` is a base64 character.
    let (mut cur, mut next) = (masks_at(buf, 0), masks_at(buf, 64));
    let mut before = 0u64;
    let mut base = 0;
    while base < n {
        let any = u128::from(cur.0) | u128::from(next.0) << 64;
        // Bit k stays set iff bits k..k + MIN_BASE64 all were.
        let mut runs = any;
        runs &= runs >> 1;
        runs &= runs >> 2;
        runs &= runs >> 4;
        runs &= runs >> 8;
        runs &= runs >> 4;
        // Runs long enough that start in this block: a run's first byte
        // follows a byte that is not a base64 character.
        let mut starts = runs as u64 & !(cur.0 << 1 | before);
        // The end of a run that went on past the next block, if any.
        let mut walked = None;
        while starts != 0 {
            let off = starts.trailing_zeros() as usize;
            starts &= starts - 1;
            let start = base + off;
            // Zero bits are the end of the buffer or of the run.
            let rest = !any >> off;
            let (body_end, digits) = if rest != 0 {
                let len = rest.trailing_zeros() as usize;
                let digit = u128::from(cur.1) | u128::from(next.1) << 64;
                (start + len, digit >> off & (u128::MAX >> (128 - len)) != 0)
            } else {
                // Longer than the two blocks: walk on a block at a time.
                let mut end = base + 128;
                let end = loop {
                    let any = masks_at(buf, end).0;
                    if any != u64::MAX {
                        break end + (!any).trailing_zeros() as usize;
                    }
                    end += 64;
                };
                walked = Some(end);
                (end, true)
            };
            segment(buf, start, body_end, digits, out);
        }
        match walked {
            // Nothing starts inside a run: go on at the block of its end,
            // whose previous byte is the run's.
            Some(end) => {
                base = end - end % 64;
                before = 1;
                (cur, next) = (masks_at(buf, base), masks_at(buf, base + 64));
            }
            None => {
                before = cur.0 >> 63;
                base += 64;
                (cur, next) = (next, masks_at(buf, base + 64));
            }
        }
    }
}

/// Decodes the run `start..body_end` (and its padding) into `out` if it is
/// plausible base64: it mixes cases and digits (`digits`: whether it has
/// one; identifiers and words are runs too) and its head, then all of it,
/// decodes to printable text.
fn segment(buf: &[u8], start: usize, body_end: usize, digits: bool, out: &mut Vec<Segment>) {
    // The walk stops as soon as the run has all three classes.
    let mixed = digits && body_end - start <= MAX_BASE64 && {
        let mut classes = 0;
        buf[start..body_end].iter().any(|&b| {
            classes |= BASE64_CLASS[b as usize];
            classes & MIXED == MIXED
        })
    };
    if !mixed {
        return;
    }
    let run = &buf[start..body_end];
    if !head_printable(run) {
        return;
    }
    if let Some(decoded) = decode_base64(run)
        && mostly_printable(&decoded)
    {
        let pad = buf[body_end..].iter().take(2).take_while(|&&b| b == b'=').count();
        out.push(Segment { start, end: body_end + pad, kind: "base64", bytes: decoded });
    }
}

/// The masks of the 64 bytes at `at` (zero past the end of `buf`): base64
/// characters, and digits.
#[inline]
fn masks_at(buf: &[u8], at: usize) -> (u64, u64) {
    match buf.get(at..at + 64) {
        Some(window) => masks(window),
        None => {
            let mut padded = [0u8; 64];
            if let Some(tail) = buf.get(at..) {
                padded[..tail.len()].copy_from_slice(tail);
            }
            masks(&padded)
        }
    }
}

/// One bit per byte of a 64-byte `window`, 16 bytes at a time: whether it
/// is a base64 character (the classes of `BASE64_CLASS`), and whether a digit.
fn masks(window: &[u8]) -> (u64, u64) {
    use wide::u8x16;
    window.chunks_exact(16).enumerate().fold((0u64, 0u64), |(any, digits), (k, chunk)| {
        let v = u8x16::new(chunk.try_into().expect("chunks of 16")); // chunks_exact(16)
        // `x - lo` saturating-minus `hi - lo` is zero iff lo <= x <= hi.
        let within =
            |x: u8x16, lo: u8, hi: u8| (x - u8x16::splat(lo)).saturating_sub(u8x16::splat(hi - lo)).cmp_eq(u8x16::ZERO);
        let letter = within(v | u8x16::splat(0x20), b'a', b'z');
        let digit = within(v, b'0', b'9');
        let symbol = v.cmp_eq(u8x16::splat(b'+'))
            | v.cmp_eq(u8x16::splat(b'/'))
            | v.cmp_eq(u8x16::splat(b'-'))
            | v.cmp_eq(u8x16::splat(b'_'));
        let bits = |x: u8x16| u64::from(x.move_mask() as u16) << (16 * k);
        (any | bits(letter | digit | symbol), digits | bits(digit))
    })
}

/// Decodes standard or URL-safe base64 without padding checks.
pub fn decode_base64(run: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(run.len() * 3 / 4);
    decode_base64_with(run, |b| out.push(b))?;
    Some(out)
}

/// Whether the first 16 characters of a base64 run (12 bytes) decode to
/// mostly printable text: most long runs (paths, minified names) do not,
/// and are dismissed without decoding them whole (nor allocating).
fn head_printable(run: &[u8]) -> bool {
    let (mut head, mut n) = ([0u8; 12], 0);
    decode_base64_with(&run[..16], |b| {
        head[n] = b;
        n += 1;
    })
    .is_some_and(|()| mostly_printable(&head[..n]))
}

/// Decodes base64 as [`decode_base64`] does, handing each byte to `push`;
/// `None` at a character outside the alphabet.
fn decode_base64_with(run: &[u8], mut push: impl FnMut(u8)) -> Option<()> {
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
            push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(())
}

fn mostly_printable(bytes: &[u8]) -> bool {
    if bytes.len() < 12 {
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
/// `\uXXXX`, ...) in a line, if it has any. The text between backslashes
/// is copied a stretch at a time.
pub fn unescape(line: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(line.len());
    let mut changed = false;
    let mut i = 0;
    while let Some(at) = memchr::memchr(b'\\', &line[i..]) {
        out.extend_from_slice(&line[i..i + at]);
        i += at;
        let used = escape_at(line, i, &mut out);
        changed |= used > 1;
        i += used;
    }
    out.extend_from_slice(&line[i..]);
    changed.then_some(out)
}

/// Decodes the escape starting with the backslash at `line[i]` onto `out`;
/// returns the bytes used (1 for a backslash that starts no known escape,
/// which is kept as it is).
fn escape_at(line: &[u8], i: usize, out: &mut Vec<u8>) -> usize {
    let next = line.get(i + 1).copied();
    let simple = match next {
        Some(b'n') => Some(b'\n'),
        Some(b'r') => Some(b'\r'),
        Some(b't') => Some(b'\t'),
        Some(c @ (b'"' | b'\'' | b'/' | b'\\')) => Some(c),
        _ => None,
    };
    if let Some(c) = simple {
        out.push(c);
        return 2;
    }
    if next == Some(b'u')
        && let Some(hex) = line.get(i + 2..i + 6)
        && let Ok(text) = std::str::from_utf8(hex)
        && let Ok(code) = u32::from_str_radix(text, 16)
        && let Some(ch) = char::from_u32(code)
    {
        let mut tmp = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut tmp).as_bytes());
        return 6;
    }
    out.push(b'\\');
    1
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

    /// The obvious byte-by-byte search, to check the skipping one against.
    fn naive_runs(buf: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < buf.len() {
            if BASE64_CLASS[buf[i] as usize] == 0 {
                i += 1;
                continue;
            }
            let start = i;
            while i < buf.len() && BASE64_CLASS[buf[i] as usize] != 0 {
                i += 1;
            }
            if i - start >= MIN_BASE64 {
                out.push((start, i));
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn skipping_search_finds_every_run(pieces in proptest::collection::vec((0usize..40, proptest::prelude::any::<bool>()), 0..60)) {
            // Text made of base64 runs of many lengths split by separators,
            // each run the base64 of printable text so that all qualify.
            let mut buf = Vec::new();
            let mut expect = Vec::new();
            for (len, sep_newline) in pieces {
                let text: Vec<u8> = (0..len).map(|k| b"Ab3 cD5:eF7-"[k % 12]).collect();
                let enc = super::tests_support::encode(&text);
                let start = buf.len();
                buf.extend_from_slice(enc.trim_end_matches('=').as_bytes());
                let end = buf.len();
                if end - start >= MIN_BASE64 {
                    expect.push((start, end));
                }
                buf.push(if sep_newline { b'\n' } else { b' ' });
            }
            proptest::prop_assert_eq!(naive_runs(&buf), expect.clone());
            let mut segs = Vec::new();
            base64_segments(&buf, &mut segs);
            let found: Vec<(usize, usize)> = segs.iter().map(|s| (s.start, s.end)).collect();
            let qualifying: Vec<(usize, usize)> = expect
                .into_iter()
                .filter(|&(s, e)| {
                    let mut c = 0;
                    for &b in &buf[s..e] { c |= BASE64_CLASS[b as usize]; }
                    c & MIXED == MIXED && decode_base64(&buf[s..e]).is_some_and(|d| mostly_printable(&d))
                })
                .collect();
            proptest::prop_assert_eq!(found, qualifying);
        }
    }

    /// `base64_segments` by the book, over the runs of `naive_runs`.
    fn naive_segments(buf: &[u8]) -> Vec<Segment> {
        let mut out = Vec::new();
        for (start, body_end) in naive_runs(buf) {
            let mut end = body_end;
            while end < buf.len() && buf[end] == b'=' && end - body_end < 2 {
                end += 1;
            }
            let run = &buf[start..body_end];
            let classes = run.iter().fold(0, |c, &b| c | BASE64_CLASS[b as usize]);
            if run.len() <= MAX_BASE64
                && classes & MIXED == MIXED
                && decode_base64(&run[..16]).is_some_and(|h| mostly_printable(&h))
                && let Some(bytes) = decode_base64(run).filter(|d| mostly_printable(d))
            {
                out.push(Segment { start, end, kind: "base64", bytes });
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn segments_equal_the_naive_search(
            pieces in proptest::collection::vec((0usize..200, 0usize..6, 0u8..4), 0..40),
        ) {
            // Runs of every length around the block sizes, of real base64,
            // of one class only, or of words, joined by separators and padding.
            let mut buf = Vec::new();
            for (k, (len, kind, sep)) in pieces.into_iter().enumerate() {
                let text: Vec<u8> = (0..len).map(|j| b"Ab3 cD5:eF7-gh"[(j + k) % 14]).collect();
                let run: Vec<u8> = match kind {
                    0 | 1 => super::tests_support::encode(&text).into_bytes(),
                    2 => text.iter().map(|&b| if b.is_ascii_alphabetic() { b.to_ascii_lowercase() } else { b'q' }).collect(),
                    3 => text.iter().map(|&b| if b.is_ascii_alphanumeric() { b } else { b'_' }).collect(),
                    4 => (0..len).map(|j| b"QUJDREVGR0hJSktMTU5P+/"[(j * 7 + k) % 22]).collect(),
                    _ => (0..len).map(|j| b"zZ9"[(j + k) % 3]).collect(),
                };
                buf.extend_from_slice(&run);
                buf.extend_from_slice(match sep { 0 => b" ", 1 => b"\n", 2 => b"=", _ => b"==x." });
            }
            proptest::prop_assert_eq!(segs(&buf), naive_segments(&buf));
        }
    }

    fn segs(buf: &[u8]) -> Vec<Segment> {
        let mut out = Vec::new();
        base64_segments(buf, &mut out);
        out
    }

    #[test]
    fn long_runs_and_buffer_ends() {
        // A real base64 run across several blocks, one at the very end of
        // the buffer, and one longer than MAX_BASE64.
        let secret = super::tests_support::encode(&b"user: admin, password: Zq8vT3kL9mN2pR5s ".repeat(9));
        for lead in [0, 1, 63, 64, 65, 127, 128] {
            let mut buf = vec![b' '; lead];
            buf.extend_from_slice(secret.as_bytes());
            assert_eq!(segs(&buf), naive_segments(&buf), "lead {lead}");
            assert_eq!(segs(&buf).len(), 1, "lead {lead}");
            buf.extend_from_slice(b"\n");
            assert_eq!(segs(&buf), naive_segments(&buf));
        }
        let huge = super::tests_support::encode(&b"Zq8vT3kL9mN2pR5s ".repeat(MAX_BASE64 / 10));
        assert!(segs(huge.as_bytes()).is_empty());
    }

    #[test]
    fn masks_agree_with_the_table() {
        for first in (0..=u8::MAX).step_by(64) {
            let window: Vec<u8> = (first..=first.saturating_add(63)).collect();
            let (any, digits) = masks(&window);
            for (k, &b) in window.iter().enumerate() {
                assert_eq!(any >> k & 1 == 1, BASE64_CLASS[b as usize] != 0, "byte {b:#04x}");
                assert_eq!(digits >> k & 1 == 1, b.is_ascii_digit(), "byte {b:#04x}");
            }
        }
    }

    /// `unescape` a byte at a time: the reference for its stretch copying.
    fn unescape_bytewise(line: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let (mut i, mut changed) = (0, false);
        while i < line.len() {
            if line[i] == b'\\' {
                let used = escape_at(line, i, &mut out);
                changed |= used > 1;
                i += used;
            } else {
                out.push(line[i]);
                i += 1;
            }
        }
        changed.then_some(out)
    }

    proptest::proptest! {
        #[test]
        fn unescape_equals_the_bytewise_reference(line in proptest::collection::vec(proptest::sample::select(b"\\nrtu\"'/0aF9Z x\xff".to_vec()), 0..60)) {
            proptest::prop_assert_eq!(unescape(&line), unescape_bytewise(&line));
        }
    }

    #[test]
    fn percent_and_escapes() {
        assert_eq!(percent_decode(b"pass=p%40ss%21").as_deref(), Some(&b"pass=p@ss!"[..]));
        assert_eq!(percent_decode(b"100% sure"), None);
        assert_eq!(unescape(br#"{"k":"a\nb\"c\u0041"}"#).as_deref(), Some(&b"{\"k\":\"a\nb\"cA\"}"[..]));
        assert_eq!(unescape(b"plain"), None);
    }
}

#[cfg(test)]
mod tests_support {
    /// Standard base64 with padding, for tests.
    pub fn encode(data: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in data.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
            for i in 0..4 {
                out.push(if i <= chunk.len() { T[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
            }
        }
        out
    }
}
