//! The matching engine: bytes in, matches out. It never opens files or talks
//! to the network.
//!
//! One Aho-Corasick automaton over every rule's keywords (ASCII
//! case-insensitive) finds the rules that can match a buffer and where; each
//! candidate rule's regex then runs only on windows around its keyword hits
//! (the hit's line, bounded; larger windows for multi-line rules). Regexes are
//! compiled on first use so that start-up, which a pre-commit hook pays on
//! every commit, stays cheap.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::bytes::{Regex, RegexBuilder};

use crate::rules::{Rule, RuleSet};
use crate::{decode, filters};

mod keywords;
use keywords::{Hit, Keywords};

/// How far a single-line rule's window reaches either side of a keyword,
/// bounded so that minified one-line files do not make every window huge.
const LINE_WINDOW: usize = 1024;
/// A match that reaches the edge of a window cut short inside a line is
/// searched again in the line, up to this far either side of the window
/// (a long token is then reported whole, not cut at the window's edge).
const WIDE_WINDOW: usize = 32 * 1024;
/// Multi-line rules (private keys) look this far after their keyword.
const MULTILINE_AFTER: usize = 16 * 1024;
const MULTILINE_BEFORE: usize = 2 * 1024;
/// Context patterns search at most this many bytes either side of a match.
const CONTEXT_BYTES: usize = 4096;
/// A decoding function: `None` when there was nothing to decode.
type Decoder = fn(&[u8]) -> Option<Vec<u8>>;

/// Literals that mark a line as worth unescaping (`smtp:\/\/…`, `\u005f`).
const ESCAPE_MARKERS: &[&str] = &[":\\/\\/", "\\u00"];

/// Decoded text is scanned again for encodings at most this deep.
const DECODE_DEPTH: usize = 2;
/// At most this many decoded bytes are scanned per buffer.
const DECODE_BUDGET: usize = 4 * 1024 * 1024;
/// Escapes on a keyword's line are decoded as far either side of the keyword
/// as its rules can look from it: their window, plus `CONTEXT_BYTES` for
/// rules with context patterns, or this far for multi-line rules (a private
/// key escaped onto one line). Decoding 32 KiB either side for every rule
/// rescanned most of every minified bundle, dense with keywords and escapes:
/// 10.0 MB of decoded text in a history scan of the medium corpus, now 4.5 MB.
const DECODE_WIDE: usize = 32 * 1024;
/// Regex size limit per rule: large enough for any sane rule, small enough
/// that a pathological user rule fails to compile instead of eating memory.
const REGEX_SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// A rule ready for matching; its regexes compile on first use.
struct CompiledRule {
    rule: Rule,
    regex: OnceLock<Result<Regex, String>>,
    /// For a rule whose pattern starts at a line start (`(?m)^`): the
    /// pattern anchored at the start of the haystack, for windows that hold
    /// part of one line only, where `^` can only match at their start.
    line_start_regex: OnceLock<Result<Regex, String>>,
    contexts: OnceLock<Result<Vec<CompiledContext>, String>>,
    selectors: OnceLock<Result<Selectors, String>>,
    overrides: Vec<usize>,
    reach: Reach,
    /// An earlier rule with the same pattern, keywords and window (the SMTP
    /// login rules of many providers differ only in their contexts): its
    /// regex, and its matches in a buffer, serve this rule too.
    twin: Option<usize>,
}

/// How far from a match's line a rule looks to decide on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// The line alone: windows stay on the keyword's line and contexts, if
    /// any, look at the match's own line (`lines = 0`).
    Line,
    /// The line finds the match; context patterns then look at neighbouring lines.
    Context,
    /// Windows span lines (multi-line rules) or the whole buffer (rules
    /// without keywords).
    Wide,
}

impl Reach {
    fn of(rule: &Rule) -> Reach {
        if rule.multiline || rule.keywords.is_empty() {
            Reach::Wide
        } else if rule.context.iter().any(|c| c.lines > 0) {
            Reach::Context
        } else {
            Reach::Line
        }
    }
}

/// What the line-bound half of a scan collected ([`Engine::collect`]); the
/// other half ([`Engine::finish`]) turns it into matches. Offsets are into
/// the scanned buffer.
#[derive(Debug, Clone, Default)]
pub struct Pieces {
    /// Matches of rules that look at one line only.
    line_matches: Vec<Match>,
    /// Matches of rules with context lines, not yet checked against those
    /// lines, each with the span the contexts look around.
    candidates: Vec<(Match, (usize, usize))>,
    /// Keyword hits (pattern, start, end) of multi-line rules.
    wide_hits: Vec<Hit>,
    /// Decoded segments and what scanning their decoded bytes found.
    segments: Vec<DecodedSegment>,
    /// Bytes fed to the matcher (the ranges, plus decoded bytes).
    pub bytes: usize,
    /// Whether `segments` lists every decoded segment, including those that
    /// found nothing (what the decoding budget needs on a large buffer).
    pub all_segments: bool,
}

#[derive(Debug, Clone)]
struct DecodedSegment {
    start: usize,
    end: usize,
    kind: &'static str,
    decoded_len: usize,
    found: Vec<Match>,
}

/// A stretch of lines that a delta child copied whole from its base: base
/// bytes `base..base + len` are the child's `child..child + len`, and the
/// lines strictly between the child's newlines at `first_nl` and `last_nl`
/// lie inside the copy with both their line ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopiedLines {
    pub base: usize,
    pub child: usize,
    pub len: usize,
    pub first_nl: usize,
    pub last_nl: usize,
}

impl CopiedLines {
    /// The child range of base range `start..end` if it lies on lines this
    /// copy holds whole.
    fn line_range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let (s, e) = self.bytes(start, end)?;
        (s > self.first_nl && e <= self.last_nl).then_some((s, e))
    }

    /// The child range of base range `start..end` if the copy holds its bytes.
    fn bytes(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        (start >= self.base && end <= self.base + self.len && start <= end)
            .then(|| (start - self.base + self.child, end - self.base + self.child))
    }
}

impl Pieces {
    /// Whether there is nothing a delta child could inherit.
    pub fn is_empty(&self) -> bool {
        self.line_matches.is_empty()
            && self.candidates.is_empty()
            && self.wide_hits.is_empty()
            && self.segments.iter().all(|s| s.found.is_empty())
    }

    /// Keeps only what a delta child can inherit, each kind sorted by start
    /// (what [`Pieces::carry`] needs). Decoded segments that found nothing
    /// matter only to the decoding budget: they are kept with
    /// `keep_all_segments` (for children large enough to exhaust it).
    pub fn shrink_for_children(&mut self, keep_all_segments: bool) {
        if !keep_all_segments {
            self.segments.retain(|s| !s.found.is_empty());
            self.all_segments = false;
        }
        self.line_matches.sort_by_key(|m| m.start);
        self.candidates.sort_by_key(|(m, _)| m.start);
        self.wide_hits.sort_unstable_by_key(|&(_, s, _)| s);
        self.segments.sort_by_key(|seg| seg.start);
        self.line_matches.shrink_to_fit();
        self.candidates.shrink_to_fit();
        self.wide_hits.shrink_to_fit();
        self.segments.shrink_to_fit();
    }

    /// The pieces of a delta base that its child inherits through `copies`:
    /// line-bound pieces on lines copied whole, and multi-line rules'
    /// keyword hits whose bytes were copied. Together with what collecting
    /// the child's other lines finds, they are what collecting the whole
    /// child would find. The pieces must have been shrunk for children
    /// (sorted by start): each copy looks only at those starting inside it.
    pub fn carry(&self, copies: &[CopiedLines]) -> Pieces {
        /// The items that start inside `copy`'s base bytes or at their end
        /// (an empty one); no other can lie inside the copy.
        fn inside<'a, T>(items: &'a [T], copy: &CopiedLines, start: impl Fn(&T) -> usize) -> &'a [T] {
            debug_assert!(items.windows(2).all(|w| start(&w[0]) <= start(&w[1])), "sorted by start");
            let from = items.partition_point(|x| start(x) < copy.base);
            let to = from + items[from..].partition_point(|x| start(x) <= copy.base + copy.len);
            &items[from..to]
        }
        let mut out = Pieces { all_segments: self.all_segments, ..Pieces::default() };
        for copy in copies {
            for m in inside(&self.line_matches, copy, |m| m.start) {
                if let Some((s, e)) = copy.line_range(m.start, m.end) {
                    out.line_matches.push(Match { start: s, end: e, ..m.clone() });
                }
            }
            for (m, whole) in inside(&self.candidates, copy, |(m, _)| m.start) {
                if let (Some((s, e)), Some(w)) = (copy.line_range(m.start, m.end), copy.line_range(whole.0, whole.1)) {
                    out.candidates.push((Match { start: s, end: e, ..m.clone() }, w));
                }
            }
            for &(p, s, e) in inside(&self.wide_hits, copy, |&(_, s, _)| s) {
                if let Some((s, e)) = copy.bytes(s, e) {
                    out.wide_hits.push((p, s, e));
                }
            }
            for seg in inside(&self.segments, copy, |seg| seg.start) {
                if let Some((s, e)) = copy.line_range(seg.start, seg.end) {
                    out.segments.push(DecodedSegment { start: s, end: e, ..seg.clone() });
                }
            }
        }
        out
    }

    /// Adds pieces collected elsewhere in the same buffer.
    pub fn extend(&mut self, other: Pieces) {
        self.line_matches.extend(other.line_matches);
        self.candidates.extend(other.candidates);
        self.wide_hits.extend(other.wide_hits);
        self.segments.extend(other.segments);
        self.bytes += other.bytes;
        self.all_segments &= other.all_segments;
    }
}

/// Adds a window for rule `r`, merging it into the last one it overlaps.
fn add_window(scratch: &mut Scratch, r: usize, window: (usize, usize)) {
    let list = &mut scratch.windows[r];
    if list.is_empty() {
        scratch.touched.push(r);
    }
    match list.last_mut() {
        Some(last) if window.0 <= last.1 && window.0 >= last.0 => last.1 = last.1.max(window.1),
        _ => list.push(window),
    }
}

/// Merges what a decoded segment's bytes held into the buffer's matches:
/// the matches point at the encoded text and say how it was decoded; a
/// secret already found undecoded at the same place is not reported twice.
fn merge_decoded(out: &mut Vec<Match>, seg: DecodedSegment) {
    for mut m in seg.found {
        // A secret found raw in its encoded form (`p%40ss`, `\\n` in a
        // key) is reported once, decoded.
        let undo: Option<Decoder> = match seg.kind {
            "escape" => Some(decode::unescape),
            _ => None,
        };
        if let Some(undo) = undo {
            out.retain(|o| {
                !(o.rule == m.rule
                    && o.start >= seg.start
                    && o.end <= seg.end
                    && undo(o.secret.as_bytes()).is_some_and(|d| d == m.secret.as_bytes()))
            });
        }
        let duplicate = out.iter().any(|o| {
            o.rule == m.rule && o.secret == m.secret && o.start < seg.end && seg.start < o.end.max(o.start + 1)
        });
        if duplicate {
            continue;
        }
        m.decoded = Some(match m.decoded {
            Some(inner_kind) => format!("{}>{inner_kind}", seg.kind),
            None => seg.kind.to_string(),
        });
        m.start = seg.start;
        m.end = seg.end;
        out.push(m);
    }
}

/// A rule's path and value selectors, compiled together on first use.
#[derive(Default)]
struct Selectors {
    path: Option<Regex>,
    path_exclude: Option<Regex>,
    secret_reject: Option<Regex>,
}

impl Selectors {
    /// Whether the rule applies to a buffer at `path` (no path: stdin and
    /// decoded text without a name; path-bound rules then do not apply).
    fn path_allows(&self, path: Option<&str>) -> bool {
        match (&self.path, path) {
            (Some(_), None) => return false,
            (Some(re), Some(p)) if !re.is_match(p.as_bytes()) => return false,
            _ => {}
        }
        !matches!((&self.path_exclude, path), (Some(re), Some(p)) if re.is_match(p.as_bytes()))
    }
}

struct CompiledContext {
    regex: Regex,
    reject: Option<Regex>,
    lines: usize,
    required: bool,
    or_path: bool,
}

/// One match of one rule in one buffer. Offsets are byte offsets into the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index of the rule in the engine (see `Engine::rule`).
    pub rule: usize,
    /// Byte range of the secret.
    pub start: usize,
    pub end: usize,
    /// The secret as text (lossy for non-UTF-8 bytes).
    pub secret: String,
    /// Other named groups of the pattern and its context patterns.
    pub groups: BTreeMap<String, String>,
    /// How the secret was decoded to be found (`base64`, `percent`,
    /// `escape`, nested as `base64>percent`); the range is then the encoded text's.
    pub decoded: Option<String>,
}

/// Per-thread scratch space, reused across buffers to avoid allocation storms.
#[derive(Default)]
pub struct Scratch {
    windows: Vec<Vec<(usize, usize)>>,
    touched: Vec<usize>,
    /// Spans around keyword hits, each inside one line: where escapes are
    /// decoded.
    escape_spans: Vec<(usize, usize)>,
    /// Keyword hits of the current buffer: (pattern, start, end).
    hits: Vec<Hit>,
    /// The keyword search's hits per lane (see [`keywords::LaneHits`]).
    lane_hits: keywords::LaneHits,
    /// The ranges of a buffer copied together for the keyword search.
    joined: Vec<u8>,
}

/// Compiled rule set.
pub struct Engine {
    rules: Vec<CompiledRule>,
    /// Every rule keyword, then the escape markers: the prefilter's patterns.
    keywords: Vec<String>,
    /// Built on the first scan: a start-up that scans nothing (an empty
    /// directory, a commit of binaries only) does not pay for it.
    prefilter: OnceLock<Keywords>,
    /// For each prefilter pattern, the rules that list it as a keyword.
    keyword_rules: Vec<Vec<usize>>,
    /// For each prefilter pattern, how far either side of it to decode
    /// escapes (see [`DECODE_WIDE`]).
    decode_reach: Vec<usize>,
    /// Rules with no keywords: they run on every buffer.
    unconditional: Vec<usize>,
    /// Whether encoded text (base64, percent, escapes) is decoded and scanned.
    decode: bool,
    /// Whether no keyword contains a newline (see [`Engine::splittable`]).
    keywords_single_line: bool,
}

/// An error compiling a rule's regexes.
#[derive(Debug, thiserror::Error)]
#[error("rule {rule}: {message}")]
pub struct CompileError {
    pub rule: String,
    pub message: String,
}

impl Engine {
    /// Builds the prefilter over all keywords. Regexes compile lazily.
    pub fn new(set: &RuleSet) -> Engine {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut unconditional = Vec::new();
        for (i, loaded) in set.rules.iter().enumerate() {
            if loaded.rule.keywords.is_empty() {
                unconditional.push(i);
            }
            for kw in &loaded.rule.keywords {
                let slot = *index.entry(kw.clone()).or_insert_with(|| {
                    keywords.push(kw.clone());
                    keyword_rules.push(Vec::new());
                    keywords.len() - 1
                });
                if !keyword_rules[slot].contains(&i) {
                    keyword_rules[slot].push(i);
                }
            }
        }
        // Escaped URLs and unicode escapes mark lines worth unescaping even
        // though no rule keyword is visible before decoding.
        for marker in ESCAPE_MARKERS {
            if !index.contains_key(*marker) {
                keywords.push(marker.to_string());
                keyword_rules.push(Vec::new());
            }
        }
        let ids: Vec<&str> = set.rules.iter().map(|r| r.rule.id.as_str()).collect();
        let same_search = |a: &Rule, b: &Rule| {
            a.pattern == b.pattern && a.keywords == b.keywords && a.window == b.window && a.multiline == b.multiline
        };
        let rules: Vec<CompiledRule> = set
            .rules
            .iter()
            .enumerate()
            .map(|(i, loaded)| CompiledRule {
                twin: set.rules[..i].iter().position(|earlier| same_search(&earlier.rule, &loaded.rule)),
                overrides: loaded.rule.overrides.iter().filter_map(|o| ids.iter().position(|id| id == o)).collect(),
                rule: loaded.rule.clone(),
                regex: OnceLock::new(),
                line_start_regex: OnceLock::new(),
                contexts: OnceLock::new(),
                selectors: OnceLock::new(),
                reach: Reach::of(&loaded.rule),
            })
            .collect();
        let keywords_single_line = keywords.iter().all(|k| !k.contains('\n'));
        let decode_reach = keyword_rules
            .iter()
            .map(|rules_of| {
                rules_of
                    .iter()
                    .map(|&r| {
                        let compiled = &rules[r];
                        let window = compiled.rule.window.unwrap_or(LINE_WINDOW);
                        match compiled.reach {
                            Reach::Line => window,
                            Reach::Context => window + CONTEXT_BYTES,
                            Reach::Wide => DECODE_WIDE,
                        }
                    })
                    .fold(LINE_WINDOW, usize::max)
            })
            .collect();
        Engine {
            rules,
            keywords,
            prefilter: OnceLock::new(),
            keyword_rules,
            decode_reach,
            unconditional,
            decode: true,
            keywords_single_line,
        }
    }

    fn prefilter(&self) -> &Keywords {
        self.prefilter.get_or_init(|| Keywords::new(&self.keywords))
    }

    /// Builds the keyword automaton now (some milliseconds) instead of on
    /// the first scan: for a caller with a spare thread while it prepares
    /// its input.
    pub fn prepare(&self) {
        self.prefilter();
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.rules[index].rule
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Compiles every regex now, returning the first error. Used by rule
    /// validation; scans compile lazily.
    pub fn compile_all(&self) -> Result<(), CompileError> {
        for r in &self.rules {
            let err = |message: String| CompileError { rule: r.rule.id.clone(), message };
            r.regex().map_err(err)?;
            r.contexts().map_err(err)?;
            r.selectors().map_err(err)?;
        }
        Ok(())
    }

    /// Compiles one rule's regexes, returning a message on failure.
    pub fn compile_all_for(&self, index: usize) -> Result<(), String> {
        let r = &self.rules[index];
        r.regex()?;
        r.contexts()?;
        r.selectors()?;
        Ok(())
    }

    /// Scans `buf` (whose path, if known, lets path-aware rules decide).
    pub fn scan(&self, buf: &[u8], path: Option<&str>) -> Vec<Match> {
        let mut scratch = Scratch::default();
        self.scan_with(buf, path, &mut scratch)
    }

    /// Scans with caller-provided scratch space.
    pub fn scan_with(&self, buf: &[u8], path: Option<&str>, scratch: &mut Scratch) -> Vec<Match> {
        let pieces = self.collect_at(buf, path, &[(0, buf.len())], 1, scratch);
        self.finish(buf, path, pieces, scratch)
    }

    /// Turns decoding of base64, percent-encoding and string escapes on or off.
    pub fn set_decoding(&mut self, on: bool) {
        self.decode = on;
    }

    /// Whether a scan can be split into [`Engine::collect`] over parts of a
    /// buffer plus [`Engine::finish`] (what delta-aware history scanning
    /// relies on): every keyword-less rule is bound to a path (so it never
    /// runs on a history blob) and no keyword spans lines.
    pub fn splittable(&self) -> bool {
        self.unconditional.iter().all(|&r| self.rules[r].rule.path.is_some()) && self.keywords_single_line
    }

    /// The first, line-bound half of a scan over the byte `ranges` of `buf`
    /// (each range a run of whole lines; `[(0, buf.len())]` for the whole
    /// buffer): keyword hits in the ranges, the matches of rules that look at
    /// one line only, the not yet confirmed matches of rules whose contexts
    /// look at neighbouring lines, the keyword hits of multi-line rules, and
    /// what decoding the ranges' encoded text finds. Everything collected
    /// depends on the lines of the ranges alone.
    pub fn collect(&self, buf: &[u8], path: Option<&str>, ranges: &[(usize, usize)], scratch: &mut Scratch) -> Pieces {
        self.collect_at(buf, path, ranges, 1, scratch)
    }

    fn collect_at(
        &self,
        buf: &[u8],
        path: Option<&str>,
        ranges: &[(usize, usize)],
        depth: usize,
        scratch: &mut Scratch,
    ) -> Pieces {
        let mut pieces = Pieces { all_segments: true, ..Pieces::default() };
        let decode = self.decode && depth <= DECODE_DEPTH;
        scratch.escape_spans.clear();
        self.reset_windows(scratch);
        pieces.bytes += ranges.iter().map(|&(lo, hi)| hi - lo).sum::<usize>();
        let mut hits = std::mem::take(&mut scratch.hits);
        self.keyword_hits(buf, ranges, scratch, &mut hits);
        let mut lines = LineCursor::default();
        for &(pattern, start, end) in &hits {
            // Hits come in ascending order: their lines are found in one
            // pass, not searched for again around every hit.
            let line = if self.keywords_single_line { Some(lines.line(buf, start)) } else { None };
            let bounds = |reach: usize| match line {
                Some((ls, le)) => (ls.max(start.saturating_sub(reach)), le.min(end + reach)),
                None => line_bounds(buf, start, end, reach),
            };
            if decode {
                // One span per run of overlapping reaches: every hit's reach
                // is decoded whole, and no byte twice.
                let (lo, hi) = bounds(self.decode_reach[pattern]);
                match scratch.escape_spans.last_mut() {
                    Some(last) if lo <= last.1 => *last = (last.0.min(lo), last.1.max(hi)),
                    _ => scratch.escape_spans.push((lo, hi)),
                }
            }
            let mut wide = false;
            for &r in &self.keyword_rules[pattern] {
                let rule = &self.rules[r];
                if rule.reach == Reach::Wide {
                    wide = true;
                } else {
                    // Not wide, so not multi-line: the window is the hit's line.
                    add_window(scratch, r, bounds(rule.rule.window.unwrap_or(LINE_WINDOW)));
                }
            }
            if wide {
                pieces.wide_hits.push((pattern, start, end));
            }
        }
        scratch.hits = hits;
        scratch.touched.sort_unstable();
        let mut found = Vec::new();
        // Keyword windows of single-line rules hold one line or part of it.
        let mut searched = Searched::new(self.keywords_single_line);
        for &r in &scratch.touched {
            self.run_rule(r, buf, path, &scratch.windows[r], &mut searched, &mut found);
            for (m, whole) in found.drain(..) {
                if self.rules[r].reach == Reach::Context {
                    pieces.candidates.push((m, whole));
                } else if let Some(m) = self.confirm(buf, path, m, whole) {
                    pieces.line_matches.push(m);
                }
            }
        }
        if decode {
            self.collect_decoded(buf, path, ranges, &scratch.joined, depth, &scratch.escape_spans, &mut pieces);
        }
        keywords::release(&mut scratch.joined);
        pieces
    }

    /// Decodes the encoded text of the ranges (base64 runs anywhere, escapes
    /// in the spans around keyword hits) and scans each decoded segment whole.
    /// `joined` is the joined copy the keyword search made of several
    /// ranges: base64 is looked for there, in one pass instead of one per
    /// (short) range; a single range is searched in place.
    #[allow(clippy::too_many_arguments)]
    fn collect_decoded(
        &self,
        buf: &[u8],
        path: Option<&str>,
        ranges: &[(usize, usize)],
        joined: &[u8],
        depth: usize,
        escape_spans: &[(usize, usize)],
        pieces: &mut Pieces,
    ) {
        let mut segments = Vec::new();
        // One range was searched in place, several as their joined copy.
        let searched = match ranges {
            &[(lo, hi)] => &buf[lo..hi],
            _ => joined,
        };
        decode::base64_segments(searched, &mut segments);
        let mut offsets = keywords::JoinedOffsets::new(ranges);
        for seg in &mut segments {
            (seg.start, seg.end) = offsets.in_buf(seg.start, seg.end);
        }
        for &(start, end) in escape_spans {
            let span = &buf[start..end];
            if memchr::memchr(b'\\', span).is_some()
                && let Some(bytes) = decode::unescape(span)
            {
                segments.push(decode::Segment { start, end, kind: "escape", bytes });
            }
        }
        let mut inner = Scratch::default();
        for seg in segments {
            let inner_pieces = self.collect_at(&seg.bytes, path, &[(0, seg.bytes.len())], depth + 1, &mut inner);
            pieces.bytes += inner_pieces.bytes;
            let mut found = self.finish(&seg.bytes, path, inner_pieces, &mut inner);
            // An escape span cut inside a line may cut a token too: what
            // reaches a cut end is not reported from the span (the raw
            // scan, which sees the whole line, reports the token).
            if seg.kind == "escape" {
                let cut_start = seg.start > 0 && buf[seg.start - 1] != b'\n';
                let cut_end = seg.end < buf.len() && buf[seg.end] != b'\n';
                found.retain(|m| !(cut_start && m.start == 0 || cut_end && m.end == seg.bytes.len()));
            }
            pieces.segments.push(DecodedSegment {
                start: seg.start,
                end: seg.end,
                kind: seg.kind,
                decoded_len: seg.bytes.len(),
                found,
            });
        }
    }

    /// The second half of a scan: confirms the pending matches against their
    /// context lines, runs the multi-line and keyword-less rules, settles
    /// overlaps and merges in what decoding found. `pieces` must cover the
    /// whole of `buf` (collected at once, or carried over from a delta base
    /// and collected on the changed lines).
    pub fn finish(&self, buf: &[u8], path: Option<&str>, pieces: Pieces, scratch: &mut Scratch) -> Vec<Match> {
        let Pieces { mut line_matches, candidates, mut wide_hits, mut segments, .. } = pieces;
        let mut raw = std::mem::take(&mut line_matches);
        for (m, whole) in candidates {
            raw.extend(self.confirm(buf, path, m, whole));
        }
        self.reset_windows(scratch);
        wide_hits.sort_unstable_by_key(|&(p, s, e)| (s, p, e));
        wide_hits.dedup();
        for &(pattern, start, end) in &wide_hits {
            for &r in &self.keyword_rules[pattern] {
                if self.rules[r].reach == Reach::Wide {
                    let window = self.window(r, buf, start, end);
                    add_window(scratch, r, window);
                }
            }
        }
        for &r in &self.unconditional {
            if scratch.windows[r].is_empty() {
                scratch.touched.push(r);
            }
            scratch.windows[r].clear();
            scratch.windows[r].push((0, buf.len()));
        }
        scratch.touched.sort_unstable();
        let mut found = Vec::new();
        for &r in &scratch.touched {
            self.run_rule(r, buf, path, &scratch.windows[r], &mut Searched::new(false), &mut found);
            for (m, whole) in found.drain(..) {
                raw.extend(self.confirm(buf, path, m, whole));
            }
        }
        resolve_overlaps(&self.rules, &mut raw);
        if self.decode {
            percent_decode_url_secrets(&mut raw);
        }
        // Base64 segments before escapes, each in buffer order, as decoding
        // found them; the budget bounds the decoded bytes scanned.
        segments.sort_by_key(|s| (s.kind != "base64", s.start));
        let mut budget = DECODE_BUDGET;
        for seg in segments {
            if seg.decoded_len > budget {
                break;
            }
            budget -= seg.decoded_len;
            merge_decoded(&mut raw, seg);
        }
        raw
    }

    fn reset_windows(&self, scratch: &mut Scratch) {
        if scratch.windows.len() < self.rules.len() {
            scratch.windows.resize_with(self.rules.len(), Vec::new);
        }
        for &r in &scratch.touched {
            scratch.windows[r].clear();
        }
        scratch.touched.clear();
    }

    /// Every keyword occurrence (pattern, start, end) inside one of the
    /// sorted, disjoint `ranges`, overlapping ones included, sorted by start.
    fn keyword_hits(&self, buf: &[u8], ranges: &[(usize, usize)], scratch: &mut Scratch, hits: &mut Vec<Hit>) {
        hits.clear();
        self.prefilter().overlapping(buf, ranges, &mut scratch.joined, &mut scratch.lane_hits, hits);
    }

    fn window(&self, rule: usize, buf: &[u8], start: usize, end: usize) -> (usize, usize) {
        if self.rules[rule].rule.multiline {
            let lo = start.saturating_sub(MULTILINE_BEFORE);
            let ws = memchr::memrchr(b'\n', &buf[lo..start]).map_or(lo, |p| lo + p + 1);
            (ws, (end + MULTILINE_AFTER).min(buf.len()))
        } else {
            line_bounds(buf, start, end, self.rules[rule].rule.window.unwrap_or(LINE_WINDOW))
        }
    }

    /// Runs rule `r`'s regex on its windows: each match whose value passes
    /// the value filters, with the span its contexts are to look around.
    fn run_rule(
        &self,
        r: usize,
        buf: &[u8],
        path: Option<&str>,
        windows: &[(usize, usize)],
        searched: &mut Searched,
        out: &mut Vec<(Match, (usize, usize))>,
    ) {
        let compiled = &self.rules[r];
        let source = compiled.twin.unwrap_or(r);
        // A rule that fails to compile was reported by validation; a scan skips it.
        let Ok(regex) = self.rules[source].window_regex(searched.single_line) else { return };
        let Ok(selectors) = compiled.selectors() else { return };
        if !selectors.path_allows(path) {
            return;
        }
        let rule = &compiled.rule;
        if rule.generic && path.is_some_and(filters::is_lockfile) {
            return;
        }
        // A twin's windows are this rule's: its matches are reused.
        let at = match searched.by_rule.iter().position(|(s, _)| *s == source) {
            Some(at) => at,
            None => {
                searched.by_rule.push((source, search_windows(regex, buf, windows)));
                searched.by_rule.len() - 1
            }
        };
        let secret_group = regex.capture_names().position(|name| name == Some("secret"));
        let mut seen_end = 0;
        for raw in &searched.by_rule[at].1 {
            let Some((start, end)) = secret_group.and_then(|g| raw.groups[g]) else {
                continue;
            };
            // Overlapping windows may find the same match twice.
            if start < seen_end && out.iter().any(|(m, _)| m.rule == r && m.start == start && m.end == end) {
                continue;
            }
            let secret = &buf[start..end];
            let secret_text = String::from_utf8_lossy(secret).into_owned();
            if !self.accept_value(rule, &secret_text)
                || (rule.generic && filters::generic_reject(&secret_text))
                || selectors.secret_reject.as_ref().is_some_and(|re| re.is_match(secret))
            {
                continue;
            }
            let mut groups = BTreeMap::new();
            for (g, name) in regex.capture_names().enumerate() {
                if let Some(name) = name
                    && name != "secret"
                    && let Some((gs, ge)) = raw.groups[g]
                {
                    groups.insert(name.to_string(), String::from_utf8_lossy(&buf[gs..ge]).into_owned());
                }
            }
            seen_end = seen_end.max(end);
            out.push((Match { rule: r, start, end, secret: secret_text, groups, decoded: None }, raw.whole));
        }
    }

    /// Applies a match's context patterns around `whole` and the default
    /// login check; `None` when the match does not stand.
    fn confirm(&self, buf: &[u8], path: Option<&str>, mut m: Match, whole: (usize, usize)) -> Option<Match> {
        let Ok(contexts) = self.rules[m.rule].contexts() else {
            return None;
        };
        if !apply_contexts(contexts, buf, whole, path, &mut m.groups) {
            return None;
        }
        // A default login (user equals a short password: admin/admin,
        // postgres/postgres) is not a leak; a token used as both user
        // and password (Postmark SMTP) is.
        if m.secret.len() < 20 && m.groups.get("user").is_some_and(|u| *u == m.secret) {
            return None;
        }
        Some(m)
    }

    fn accept_value(&self, rule: &Rule, secret: &str) -> bool {
        if !rule.skip_placeholder_filter && filters::placeholder_reason(secret).is_some() {
            return false;
        }
        if let Some(floor) = rule.min_entropy
            && filters::shannon_entropy(secret.as_bytes()) < floor
        {
            return false;
        }
        if let Some(kind) = rule.checksum
            && !filters::checksum_ok(kind, secret)
        {
            return false;
        }
        true
    }
}

impl CompiledRule {
    fn regex(&self) -> Result<&Regex, String> {
        self.regex.get_or_init(|| build_regex(&self.rule.pattern)).as_ref().map_err(Clone::clone)
    }

    /// The regex to search windows with; `single_line` when no window holds
    /// a newline. A line-anchored pattern (`(?m)^`, without the CRLF flag)
    /// can then match only where its window starts, and its search anchored
    /// there fails at once on most windows instead of scanning them.
    fn window_regex(&self, single_line: bool) -> Result<&Regex, String> {
        if !(single_line && !self.rule.multiline && self.rule.pattern.starts_with("(?m)^")) {
            return self.regex();
        }
        self.line_start_regex
            .get_or_init(|| build_regex(&format!(r"\A(?:{})", self.rule.pattern)))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn contexts(&self) -> Result<&Vec<CompiledContext>, String> {
        self.contexts
            .get_or_init(|| {
                self.rule
                    .context
                    .iter()
                    .map(|c| {
                        Ok(CompiledContext {
                            regex: build_regex(&c.pattern).map_err(|e| format!("context pattern: {e}"))?,
                            reject: c
                                .reject
                                .as_deref()
                                .map(build_regex)
                                .transpose()
                                .map_err(|e| format!("context reject pattern: {e}"))?,
                            lines: c.lines,
                            required: c.required,
                            or_path: c.or_path,
                        })
                    })
                    .collect()
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn selectors(&self) -> Result<&Selectors, String> {
        self.selectors
            .get_or_init(|| {
                let compile = |what: &str, p: &Option<String>| {
                    p.as_deref().map(build_regex).transpose().map_err(|e| format!("{what}: {e}"))
                };
                Ok(Selectors {
                    path: compile("path", &self.rule.path)?,
                    path_exclude: compile("path_exclude", &self.rule.path_exclude)?,
                    secret_reject: compile("secret_reject", &self.rule.secret_reject)?,
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn build_regex(pattern: &str) -> Result<Regex, String> {
    // Rules describe ASCII token formats; without Unicode classes the
    // regexes compile several times faster (a pre-commit run pays that on
    // every commit) and their automata are smaller.
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// A password in a URL (a match with a `host` group) is percent-encoded;
/// report what it decodes to. Only the secret is decoded: decoding the
/// whole URL first would let an encoded `@` or `/` split it.
fn percent_decode_url_secrets(matches: &mut [Match]) {
    for m in matches {
        if m.decoded.is_none()
            && m.groups.contains_key("host")
            && m.secret.contains('%')
            && let Some(d) = decode::percent_decode(m.secret.as_bytes())
        {
            m.secret = String::from_utf8_lossy(&d).into_owned();
            m.decoded = Some("percent".to_string());
        }
    }
}

/// How a buffer's windows are searched, and the regex matches found in them
/// so far, by the rule whose regex searched them (see `CompiledRule::twin`).
struct Searched {
    /// No window holds a newline (keyword windows of single-line rules).
    single_line: bool,
    by_rule: Vec<(usize, Vec<RawMatch>)>,
}

impl Searched {
    fn new(single_line: bool) -> Searched {
        Searched { single_line, by_rule: Vec::new() }
    }
}

/// A regex match in a window: the whole match and every group, as offsets
/// into the buffer.
struct RawMatch {
    whole: (usize, usize),
    groups: Vec<Option<(usize, usize)>>,
}

/// Every match of `regex` in each window in turn. One set of capture slots
/// serves all windows: most windows are a short line without a match, where
/// allocating them would cost more than the search.
fn search_windows(regex: &Regex, buf: &[u8], windows: &[(usize, usize)]) -> Vec<RawMatch> {
    let mut locs = regex.capture_locations();
    let mut out = Vec::new();
    for &(ws, we) in windows {
        let first = out.len();
        search_window(regex, buf, (ws, we), &mut locs, &mut out);
        // A window cut short inside a line ends (or starts) a match where
        // the line does not: a long token would be reported cut at the
        // window's edge, and `^`, `$` or `\A` would hold there. Such a match
        // is searched again in the line, up to `WIDE_WINDOW` either side,
        // keeping what overlaps the window.
        let clipped_start = ws > 0 && buf[ws - 1] != b'\n';
        let clipped_end = we < buf.len() && buf[we] != b'\n';
        if out[first..].iter().any(|m| (clipped_start && m.whole.0 == ws) || (clipped_end && m.whole.1 == we)) {
            out.truncate(first);
            search_window(regex, buf, line_bounds(buf, ws, we, WIDE_WINDOW), &mut locs, &mut out);
            let overlapping: Vec<RawMatch> = out
                .drain(first..)
                .filter(|m| match m.whole {
                    (s, e) if s == e => (ws..=we).contains(&s),
                    (s, e) => s < we && e > ws,
                })
                .collect();
            out.extend(overlapping);
        }
    }
    out
}

/// Appends the matches of `regex` in `buf[ws..we]`, offsets into `buf`.
fn search_window(
    regex: &Regex,
    buf: &[u8],
    (ws, we): (usize, usize),
    locs: &mut regex::bytes::CaptureLocations,
    out: &mut Vec<RawMatch>,
) {
    let hay = &buf[ws..we];
    let mut walk = CaptureWalk::default();
    while let Some((s, e)) = walk.next(regex, hay, locs) {
        let groups = (0..locs.len()).map(|g| locs.get(g).map(|(gs, ge)| (ws + gs, ws + ge))).collect();
        out.push(RawMatch { whole: (ws + s, ws + e), groups });
    }
}

/// Walks the successive non-overlapping matches of a regex in a haystack as
/// `captures_iter` finds them, each leaving its groups in the caller's
/// `CaptureLocations` until the next is taken: the same matches without a
/// capture allocation per search.
#[derive(Default)]
struct CaptureWalk {
    at: usize,
    last_end: Option<usize>,
}

impl CaptureWalk {
    /// The next match's bounds; its groups are in `locs`.
    fn next(&mut self, regex: &Regex, hay: &[u8], locs: &mut regex::bytes::CaptureLocations) -> Option<(usize, usize)> {
        while self.at <= hay.len() {
            let m = regex.captures_read_at(locs, hay, self.at)?;
            if m.start() == m.end() {
                // An empty match moves the search on by one byte, and one
                // right where the previous match ended is not reported.
                self.at = m.end() + 1;
                if self.last_end == Some(m.end()) {
                    continue;
                }
            } else {
                self.at = m.end();
            }
            self.last_end = Some(m.end());
            return Some((m.start(), m.end()));
        }
        None
    }
}

/// The line holding each of a series of ascending positions in a buffer,
/// found with one pass over the bytes from the first position to the last
/// one's line end (however long the lines, and however many positions share one).
#[derive(Default)]
struct LineCursor {
    /// The line last found: its first byte and its newline (or the buffer's end).
    start: usize,
    end: usize,
    found: bool,
}

impl LineCursor {
    /// `(start, end)` of the line holding `at`: the byte after the newline
    /// before `at` (or 0), and the first newline at or after `at` (or the
    /// buffer's length). `at` must not precede the previous call's `at`.
    fn line(&mut self, buf: &[u8], at: usize) -> (usize, usize) {
        if !(self.found && self.start <= at && at <= self.end) {
            // Past the line last found: the newline ending it is the
            // latest one a search back from `at` can need.
            let floor = if self.found && at > self.end { self.end + 1 } else { 0 };
            self.start = memchr::memrchr(b'\n', &buf[floor..at]).map_or(floor, |p| floor + p + 1);
            self.end = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |p| at + p);
            self.found = true;
        }
        (self.start, self.end)
    }
}

/// The line(s) holding `start..end`, clipped to `reach` bytes either side.
pub fn line_bounds(buf: &[u8], start: usize, end: usize, reach: usize) -> (usize, usize) {
    let lo = start.saturating_sub(reach);
    let ws = memchr::memrchr(b'\n', &buf[lo..start]).map_or(lo, |p| lo + p + 1);
    let hi = (end + reach).min(buf.len());
    let we = memchr::memchr(b'\n', &buf[end.min(hi)..hi]).map_or(hi, |p| end + p);
    (ws, we)
}

/// Applies a rule's context patterns around the match `whole`; returns false
/// when a required context is missing. Groups found are added to `groups`.
fn apply_contexts(
    contexts: &[CompiledContext],
    buf: &[u8],
    whole: (usize, usize),
    path: Option<&str>,
    groups: &mut BTreeMap<String, String>,
) -> bool {
    for ctx in contexts {
        let (lo, hi) = surrounding_lines(buf, whole, ctx.lines);
        let region = &buf[lo..hi];
        let found = ctx.regex.captures_iter(region).find(|c| {
            let text = c.get(0).map_or(&b""[..], |m| m.as_bytes());
            !ctx.reject.as_ref().is_some_and(|rej| rej.is_match(text))
        });
        match found {
            Some(caps) => {
                for name in ctx.regex.capture_names().flatten() {
                    if let Some(m) = caps.name(name) {
                        groups
                            .entry(name.to_string())
                            .or_insert_with(|| String::from_utf8_lossy(m.as_bytes()).into_owned());
                    }
                }
            }
            None => {
                let path_ok = ctx.or_path && path.is_some_and(|p| ctx.regex.is_match(p.as_bytes()));
                if ctx.required && !path_ok {
                    return false;
                }
            }
        }
    }
    true
}

/// `lines` lines before and after the span, bounded by `CONTEXT_BYTES`.
fn surrounding_lines(buf: &[u8], (start, end): (usize, usize), lines: usize) -> (usize, usize) {
    let floor = start.saturating_sub(CONTEXT_BYTES);
    let mut lo = start;
    for _ in 0..=lines {
        match memchr::memrchr(b'\n', &buf[floor..lo]) {
            Some(p) => lo = floor + p,
            None => {
                lo = floor;
                break;
            }
        }
    }
    if lo > floor || buf.get(lo) == Some(&b'\n') {
        lo = (lo + 1).min(start);
    }
    let ceil = (end + CONTEXT_BYTES).min(buf.len());
    let mut hi = end;
    for _ in 0..=lines {
        match memchr::memchr(b'\n', &buf[hi..ceil]) {
            Some(p) => hi = hi + p + 1,
            None => {
                hi = ceil;
                break;
            }
        }
    }
    (lo, hi.min(ceil))
}

/// Where two matches claim the same secret bytes, the specific rule wins over
/// a generic one, and a rule wins over those it `overrides`.
fn resolve_overlaps(rules: &[CompiledRule], matches: &mut Vec<Match>) {
    if matches.len() < 2 {
        return;
    }
    matches.sort_by_key(|m| (m.start, m.end, m.rule));
    let mut drop = vec![false; matches.len()];
    for i in 0..matches.len() {
        for j in i + 1..matches.len() {
            if matches[j].start >= matches[i].end {
                break;
            }
            let (a, b) = (&matches[i], &matches[j]);
            if a.rule == b.rule {
                continue;
            }
            let (ra, rb) = (&rules[a.rule], &rules[b.rule]);
            if ra.overrides.contains(&b.rule) || (rb.rule.generic && !ra.rule.generic) {
                drop[j] = true;
            } else if rb.overrides.contains(&a.rule) || (ra.rule.generic && !rb.rule.generic) {
                drop[i] = true;
            }
        }
    }
    let mut k = 0;
    matches.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
}

/// 1-based line and column (in bytes) of `offset` in `buf`.
pub fn line_col(buf: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(buf.len());
    let line = memchr::memchr_iter(b'\n', &buf[..offset]).count() + 1;
    let line_start = memchr::memrchr(b'\n', &buf[..offset]).map_or(0, |p| p + 1);
    (line, offset - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(toml_text: &str) -> Engine {
        let mut set = RuleSet::default();
        set.add_file("test.toml", toml_text).expect("test rules parse");
        Engine::new(&set)
    }

    const RULE: &str = r#"
[[rule]]
id = "demo.token"
name = "Demo token"
provider = "demo"
keywords = ["dmo_"]
pattern = '\b(?P<secret>dmo_[A-Za-z0-9]{20})\b'
min_entropy = 3.0
confidence = "high"
remediation = "rotate"
examples = [{ input = "t = dmo_Ab3De5Gh7Jk9Mn1Pq3St", secret = "dmo_Ab3De5Gh7Jk9Mn1Pq3St" }, { input = "dmo_Zy9Xw7Vu5Ts3Rq1Po9Nm", secret = "dmo_Zy9Xw7Vu5Ts3Rq1Po9Nm" }]
negative_examples = ["dmo_xxxxxxxxxxxxxxxxxxxx"]
"#;

    /// A token longer than a keyword window's reach, the window cut inside
    /// its line.
    fn long_token(len: usize) -> String {
        (0..len).map(|i| char::from(b"A1b2C3d4E5f6G7h8J9k0"[(i * 7 + i / 13) % 20])).collect()
    }

    #[test]
    fn a_token_longer_than_the_window_is_reported_whole() {
        let e = Engine::new(&RuleSet::builtin().expect("built-in rules"));
        for len in [900, LINE_WINDOW + 500, 3 * LINE_WINDOW, 5000] {
            let token = long_token(len);
            let text = format!("users:\n- name: admin\n  user:\n    token: {token}\n");
            let found = e.scan(text.as_bytes(), Some("kubeconfig"));
            assert!(found.iter().any(|m| m.secret == token), "len {len}: {found:?}");
            assert!(found.iter().all(|m| m.secret.len() >= len), "len {len}: no cut token: {found:?}");
            let text = format!("curl -H \"Authorization: Bearer {token}\" https://api.example.com\n");
            let found = e.scan(text.as_bytes(), None);
            assert!(found.iter().any(|m| m.secret == token), "bearer, len {len}: {found:?}");
        }
    }

    /// [`RULE`], with its token alone on an indented line.
    fn line_rule() -> String {
        let edits = [
            (r"'\b(?P<secret>dmo_[A-Za-z0-9]{20})\b'", r"'(?m)^[ \t]+(?P<secret>dmo_[A-Za-z0-9]{20})\r?$'"),
            (r#"input = "t = dmo_"#, r#"input = "  dmo_"#),
            (r#"input = "dmo_"#, r#"input = "\tdmo_"#),
        ];
        edits.iter().fold(RULE.to_string(), |rule, (from, to)| {
            assert!(rule.contains(from), "{from} in RULE");
            rule.replace(from, to)
        })
    }

    #[test]
    fn a_window_cut_inside_a_line_is_not_its_start() {
        // A token alone on an indented line is a secret; the same text far
        // into a line that starts otherwise is not, though the keyword's
        // window starts in the blanks before it.
        let e = engine(&line_rule());
        let line = "    dmo_Ab3De5Gh7Jk9Mn1Pq3St\n";
        assert_eq!(e.scan(line.as_bytes(), None).len(), 1);
        let far = format!("x{}{line}", " ".repeat(3 * LINE_WINDOW));
        assert_eq!(e.scan(far.as_bytes(), None), vec![]);
    }

    #[test]
    fn finds_keyworded_match_case_insensitively() {
        let e = engine(RULE);
        let m = e.scan(b"a\nkey: DMO_ no\nx dmo_Ab3De5Gh7Jk9Mn1Pq3St y\n", None);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].secret, "dmo_Ab3De5Gh7Jk9Mn1Pq3St");
        assert_eq!(line_col(b"a\nkey: DMO_ no\nx dmo_Ab3De5Gh7Jk9Mn1Pq3St y\n", m[0].start), (3, 3));
    }

    #[test]
    fn placeholder_and_low_entropy_dropped() {
        let e = engine(RULE);
        assert!(e.scan(b"dmo_xxxxxxxxxxxxxxxxxxxx", None).is_empty());
        assert!(e.scan(b"dmo_ababababababababab12", None).is_empty());
    }

    #[test]
    fn non_utf8_input_works() {
        let e = engine(RULE);
        let mut buf = vec![0xff, 0xfe, b'\n'];
        buf.extend_from_slice(b"dmo_Ab3De5Gh7Jk9Mn1Pq3St\xff");
        assert_eq!(e.scan(&buf, None).len(), 1);
    }

    proptest::proptest! {
        /// The lane-walking keyword search finds exactly what the crate's
        /// own overlapping search finds, over the real keyword set.
        #[test]
        fn keyword_hits_equal_full_overlapping_search(
            pieces in proptest::collection::vec((0usize..64, proptest::collection::vec(proptest::prelude::any::<u8>(), 0..8)), 0..800)
        ) {
            static BUILT: std::sync::OnceLock<(Engine, Vec<String>)> = std::sync::OnceLock::new();
            let (e, keywords) = BUILT.get_or_init(|| {
                let set = RuleSet::builtin().expect("built-in rules");
                let keywords = set.rules.iter().flat_map(|r| r.rule.keywords.iter().cloned()).collect();
                (Engine::new(&set), keywords)
            });
            let mut buf = Vec::new();
            for (k, noise) in pieces {
                let kw = &keywords[k % keywords.len()];
                // Cut keywords in half sometimes, so partial overlaps occur.
                let take = if noise.len() % 3 == 0 { kw.len() / 2 } else { kw.len() };
                buf.extend_from_slice(&kw.as_bytes()[..take]);
                buf.extend_from_slice(&noise);
            }
            let mut fast = Vec::new();
            e.keyword_hits(&buf, &[(0, buf.len())], &mut Scratch::default(), &mut fast);
            static REFERENCE: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
            let reference = REFERENCE.get_or_init(|| {
                aho_corasick::AhoCorasick::builder().ascii_case_insensitive(true).build(&e.keywords).expect("literals")
            });
            let mut full: Vec<Hit> = reference
                .find_overlapping_iter(&buf)
                .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
                .collect();
            full.sort_unstable_by_key(|&(p, s, _)| (s, p));
            full.dedup();
            proptest::prop_assert_eq!(fast, full);
        }
    }

    proptest::proptest! {
        /// Windows cut from the cursor's lines equal `line_bounds`, for
        /// ascending positions over lines short and long.
        #[test]
        fn line_cursor_equals_line_bounds(
            lines in proptest::collection::vec(0usize..300, 1..30),
            picks in proptest::collection::vec((0usize..10_000, 0usize..4, 0usize..4), 0..40),
        ) {
            let mut buf = Vec::new();
            for len in lines {
                buf.extend(std::iter::repeat_n(b'x', len));
                buf.push(b'\n');
            }
            let mut starts: Vec<(usize, usize, usize)> = picks.into_iter().map(|(at, len, reach)| (at % buf.len(), len, reach)).collect();
            starts.sort_unstable();
            let mut cursor = LineCursor::default();
            for (start, len, reach) in starts {
                // A hit holds no newline.
                let end = (start..(start + len).min(buf.len())).find(|&i| buf[i] == b'\n').unwrap_or((start + len).min(buf.len()));
                let reach = [0, 5, 100, 1024][reach];
                let (ls, le) = cursor.line(&buf, start);
                let got = (ls.max(start.saturating_sub(reach)), le.min(end + reach));
                proptest::prop_assert_eq!(got, line_bounds(&buf, start, end, reach), "start {} end {}", start, end);
            }
        }
    }

    /// Lines of every built-in rule's examples, plain and base64-encoded.
    fn encoded_examples() -> &'static [String] {
        static LINES: OnceLock<Vec<String>> = OnceLock::new();
        LINES.get_or_init(|| {
            use base64::Engine as _;
            let set = RuleSet::builtin().expect("built-in rules");
            let mut lines = Vec::new();
            for r in &set.rules {
                for ex in &r.rule.examples {
                    let b64 = base64::engine::general_purpose::STANDARD.encode(ex.input.as_bytes());
                    lines.push(format!("blob: {b64} "));
                    lines.extend(ex.input.lines().map(String::from));
                }
            }
            lines
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]
        /// Collecting a buffer as several runs of whole lines (which the
        /// keyword and base64 searches look at joined, in one pass each)
        /// and finishing it finds what scanning it whole finds.
        #[test]
        fn ranges_collected_joined_equal_a_whole_scan(
            picks in proptest::collection::vec(0usize..100_000, 1..60),
            cuts in proptest::collection::vec(0usize..60, 1..12),
        ) {
            let lines = encoded_examples();
            let text: String = picks.iter().map(|&i| format!("{}\n", lines[i % lines.len()])).collect();
            let buf = text.as_bytes();
            let starts: Vec<usize> = std::iter::once(0).chain(memchr::memchr_iter(b'\n', buf).map(|p| p + 1)).collect();
            let mut points: Vec<usize> = cuts.iter().map(|&c| starts[c % starts.len()]).collect();
            points.extend([0, buf.len()]);
            points.sort_unstable();
            points.dedup();
            let ranges: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            let e = Engine::new(&RuleSet::builtin().expect("built-in rules"));
            let mut scratch = Scratch::default();
            let pieces = e.collect(buf, None, &ranges, &mut scratch);
            proptest::prop_assert_eq!(e.finish(buf, None, pieces, &mut scratch), e.scan(buf, None));
        }
    }

    proptest::proptest! {
        /// The allocation-free walk finds what `captures_iter` finds, groups
        /// included, for patterns that can match empty too.
        #[test]
        fn capture_walk_equals_captures_iter(hay in "[ab= \n]{0,40}", p in 0usize..5) {
            let pattern = [r"(?P<secret>a+)=?", r"(?P<secret>a*)", r"b?(?P<secret>)", r"(?m)^(?P<k>b*)=(?P<secret>[ab]*)$", r"\b"][p];
            let regex = Regex::new(pattern).expect("valid");
            let expected: Vec<Vec<Option<(usize, usize)>>> = regex
                .captures_iter(hay.as_bytes())
                .map(|c| c.iter().map(|g| g.map(|m| (m.start(), m.end()))).collect())
                .collect();
            let mut locs = regex.capture_locations();
            let mut walk = CaptureWalk::default();
            let mut got = Vec::new();
            while let Some(whole) = walk.next(&regex, hay.as_bytes(), &mut locs) {
                let groups: Vec<Option<(usize, usize)>> = (0..locs.len()).map(|g| locs.get(g)).collect();
                proptest::prop_assert_eq!(groups[0], Some(whole));
                got.push(groups);
            }
            proptest::prop_assert_eq!(got, expected);
        }
    }

    /// A line-anchored rule's start-anchored regex finds what its own regex
    /// finds in every piece of one line: each part of every line of the
    /// built-in rules' examples (matching and not), with and without
    /// leading blanks and a trailing carriage return.
    #[test]
    fn line_start_regex_equals_the_rule_regex_on_one_line() {
        let set = RuleSet::builtin().expect("built-in rules");
        let e = Engine::new(&set);
        let mut checked = 0;
        for compiled in e.rules.iter().filter(|c| c.rule.pattern.starts_with("(?m)^") && !c.rule.multiline) {
            let (plain, anchored) =
                (compiled.regex().expect("compiles"), compiled.window_regex(true).expect("compiles"));
            assert!(!std::ptr::eq(plain, anchored), "{}: no line-start regex", compiled.rule.id);
            let inputs = compiled.rule.examples.iter().map(|x| x.input.as_str());
            let negatives = compiled.rule.negative_examples.iter().map(|x| x.input());
            for line in inputs.chain(negatives).flat_map(|t| t.split('\n')) {
                for text in [line.to_string(), format!("  {line}"), format!("\t{line}\r"), format!("x {line}")] {
                    let text = text.as_bytes();
                    for start in 0..text.len() {
                        for end in [text.len(), (start + 12).min(text.len())] {
                            let hay = &text[start..end];
                            let all = |re: &Regex| -> Vec<Vec<Option<(usize, usize)>>> {
                                re.captures_iter(hay)
                                    .map(|c| c.iter().map(|g| g.map(|m| (m.start(), m.end()))).collect())
                                    .collect()
                            };
                            assert_eq!(
                                all(anchored),
                                all(plain),
                                "{}: {:?}",
                                compiled.rule.id,
                                String::from_utf8_lossy(hay)
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 1000, "only {checked} pieces checked");
    }

    /// Sharing a twin's search changes no finding: every built-in example,
    /// alone and all together, scans the same as with each rule searching
    /// on its own.
    #[test]
    fn twins_change_no_finding() {
        let set = RuleSet::builtin().expect("built-in rules");
        let shared = Engine::new(&set);
        assert!(shared.rules.iter().filter(|r| r.twin.is_some()).count() >= 2, "built-in rules have twins");
        let mut alone = Engine::new(&set);
        for rule in &mut alone.rules {
            rule.twin = None;
        }
        let mut all = String::new();
        for rule in &set.rules {
            let inputs = rule.rule.examples.iter().map(|x| x.input.as_str());
            for input in inputs.chain(rule.rule.negative_examples.iter().map(|x| x.input())) {
                assert_eq!(shared.scan(input.as_bytes(), None), alone.scan(input.as_bytes(), None), "{input:?}");
                all.push_str(input);
                all.push('\n');
            }
        }
        let found = shared.scan(all.as_bytes(), None);
        assert!(found.len() > 100, "only {} matches in all examples", found.len());
        assert_eq!(found, alone.scan(all.as_bytes(), None));
    }

    #[test]
    fn line_bounds_clip_long_lines() {
        let buf = vec![b'a'; 10_000];
        assert_eq!(line_bounds(&buf, 5000, 5004, 100), (4900, 5104));
        assert_eq!(line_bounds(b"ab\ncd\nef", 3, 4, 100), (3, 5));
    }
}
