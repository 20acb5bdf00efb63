//! Delta-aware history scanning: a blob stored in a pack as a delta against
//! a base blob is mostly a copy of that base, so only the lines the delta
//! could have changed are fed to the matcher; the rest of what the base's
//! scan collected is carried over.
//!
//! A line of the child is *copied whole* when both its line ends (the
//! newline before it and the one after it) and everything between lie inside
//! one copy instruction, after merging copy instructions that are contiguous
//! in the base (git splits long copies at 64 KiB). Such a line is
//! byte-for-byte a line of the base, with the same neighbours at its ends,
//! so everything the engine's line-bound half ([`Engine::collect`]) found on
//! it in the base holds in the child. Every other line (one holding inserted
//! bytes, a deletion seam where two non-contiguous copies meet, the first
//! line, a last line without a newline) is collected afresh. The second half
//! ([`Engine::finish`]: context lines, multi-line rules, overlaps, decoding
//! merge) then runs on the whole child as in a full scan. The result is
//! exactly a full scan's; `--verify-delta-scan` checks that on a repository.
//!
//! [`Engine::collect`]: crate::engine::Engine::collect
//! [`Engine::finish`]: crate::engine::Engine::finish

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::engine::{CopiedLines, Pieces};

/// Below this size the engine's decoding budget provably never runs out
/// (decoded bytes stay under 2.75 times the input), so a child needs only
/// the decoded segments that found something. Larger children need every
/// segment of their base (to spend the budget exactly as a full scan
/// would): bases from half this size on keep them all.
pub const SMALL_BLOB: usize = 1024 * 1024;
/// When more than this share of a child's bytes must be collected afresh
/// (a rewrite, or a minified file whose one line changed), a full scan is
/// as cheap and simpler.
pub const MAX_CHANGED_SHARE: f64 = 0.9;
/// A delta of more than this share of its child's size is scanned in full
/// without reading the delta: its instructions are many and short (edits all
/// over, typically a minified or generated file), so re-inflating and
/// planning them costs more than the few bytes they would spare, and most
/// such children end up [`Fallback::MostlyChanged`] anyway.
pub const MAX_DELTA_SHARE: f64 = 0.25;

/// Which lines of a delta child to collect afresh and which it copied whole.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Copies holding at least one whole line, in child order.
    pub copies: Vec<CopiedLines>,
    /// Byte ranges of the child (runs of whole lines) to collect afresh.
    pub changed: Vec<(usize, usize)>,
}

impl Plan {
    /// How many bytes of the child are collected afresh.
    pub fn changed_bytes(&self) -> usize {
        self.changed.iter().map(|&(s, e)| e - s).sum()
    }
}

/// Why a delta child got a full scan instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Its base was not scanned in this traversal (skipped as too large or
    /// binary, unreachable, or in another pack).
    BaseNotScanned,
    /// Larger than [`SMALL_BLOB`] with a base that kept only some segments.
    Large,
    /// More than [`MAX_CHANGED_SHARE`] of it changed.
    MostlyChanged,
    /// Its delta is more than [`MAX_DELTA_SHARE`] of its size.
    LargeDelta,
    /// The delta could not be read or parsed.
    BadDelta,
}

impl Fallback {
    pub fn as_str(self) -> &'static str {
        match self {
            Fallback::BaseNotScanned => "base not scanned",
            Fallback::Large => "large blob",
            Fallback::MostlyChanged => "mostly changed",
            Fallback::LargeDelta => "large delta",
            Fallback::BadDelta => "unreadable delta",
        }
    }
}

/// One instruction of a git delta, in child order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Copy { base: usize, len: usize },
    Insert { len: usize },
}

/// Reads a delta's size header (a little-endian base-128 varint).
fn varint(d: &[u8], pos: &mut usize) -> Option<usize> {
    let mut size: u64 = 0;
    let mut shift = 0;
    loop {
        let b = *d.get(*pos)?;
        *pos += 1;
        if shift >= 64 {
            return None;
        }
        size |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return usize::try_from(size).ok();
        }
    }
}

/// The instructions of a git delta (see git's `patch-delta.c`), read one at
/// a time, with copies that are contiguous in the base merged (and runs of
/// inserts). Reading stops at the first malformed instruction;
/// [`Ops::complete`] tells whether the whole delta was read and produced the
/// child's length.
struct Ops<'a> {
    delta: &'a [u8],
    pos: usize,
    base_len: usize,
    child_len: usize,
    /// Bytes of the child the instructions read so far produce.
    produced: usize,
    /// An instruction read ahead that did not merge with the one returned.
    pending: Option<Op>,
    malformed: bool,
}

impl<'a> Ops<'a> {
    /// Reads the delta's header; `None` if it does not produce `child_len` bytes.
    fn new(delta: &'a [u8], child_len: usize) -> Option<Ops<'a>> {
        let mut pos = 0;
        let base_len = varint(delta, &mut pos)?;
        if varint(delta, &mut pos)? != child_len {
            return None;
        }
        Some(Ops { delta, pos, base_len, child_len, produced: 0, pending: None, malformed: false })
    }

    /// Whether every instruction was read, well formed, and together they
    /// produce exactly the child.
    fn complete(&self) -> bool {
        !self.malformed && self.pending.is_none() && self.pos == self.delta.len() && self.produced == self.child_len
    }

    /// The next instruction as written; `None` at the end or when it is
    /// malformed (which is then recorded). Never produces past the child.
    fn read(&mut self) -> Option<Op> {
        let op = self.decode();
        if op.is_none() && self.pos < self.delta.len() {
            self.malformed = true;
        }
        op
    }

    fn decode(&mut self) -> Option<Op> {
        let delta = self.delta;
        let cmd = *delta.get(self.pos)?;
        let mut pos = self.pos + 1;
        let op = if cmd & 0x80 != 0 {
            let mut field = |bits: u8, shifts: &[u32]| -> Option<usize> {
                let mut v = 0usize;
                for (i, &shift) in shifts.iter().enumerate() {
                    if cmd & (bits << i) != 0 {
                        v |= usize::from(*delta.get(pos)?) << shift;
                        pos += 1;
                    }
                }
                Some(v)
            };
            let base = field(0x01, &[0, 8, 16, 24])?;
            let len = match field(0x10, &[0, 8, 16])? {
                0 => 0x10000,
                n => n,
            };
            if base.checked_add(len)? > self.base_len {
                return None;
            }
            Op::Copy { base, len }
        } else if cmd == 0 {
            return None;
        } else {
            let len = usize::from(cmd);
            pos = pos.checked_add(len).filter(|&p| p <= delta.len())?;
            Op::Insert { len }
        };
        let len = match op {
            Op::Copy { len, .. } | Op::Insert { len } => len,
        };
        self.produced = self.produced.checked_add(len).filter(|&p| p <= self.child_len)?;
        self.pos = pos;
        Some(op)
    }
}

impl Iterator for Ops<'_> {
    type Item = Op;

    fn next(&mut self) -> Option<Op> {
        let mut op = self.pending.take().or_else(|| self.read())?;
        while let Some(next) = self.read() {
            match (&mut op, next) {
                (Op::Copy { base: b0, len: l0 }, Op::Copy { base, len }) if *b0 + *l0 == base => *l0 += len,
                (Op::Insert { len: l0 }, Op::Insert { len }) => *l0 += len,
                _ => {
                    self.pending = Some(next);
                    break;
                }
            }
        }
        Some(op)
    }
}

/// All the (merged) instructions of a delta; `None` if it is malformed or
/// does not produce `child_len` bytes.
#[cfg(test)]
fn parse(delta: &[u8], child_len: usize) -> Option<Vec<Op>> {
    let mut ops = Ops::new(delta, child_len)?;
    let all: Vec<Op> = ops.by_ref().collect();
    ops.complete().then_some(all)
}

/// Plans the scan of a delta child from its delta and its rebuilt bytes.
pub fn plan(delta: &[u8], child: &[u8]) -> Option<Plan> {
    let mut ops = Ops::new(delta, child.len())?;
    let mut plan = Plan::default();
    let mut at = 0usize;
    // Start of the changed run not yet closed by a copied stretch.
    let mut changed_from = 0usize;
    // The first newline at or after `at`, when known (`child.len()` if none):
    // a minified line's many small copies share one search.
    let mut next_nl = None;
    for op in ops.by_ref() {
        match op {
            Op::Insert { len } => at += len,
            Op::Copy { base, len } => {
                let end = at + len;
                let first = match next_nl {
                    Some(nl) if nl >= at => nl,
                    _ => memchr::memchr(b'\n', &child[at..]).map_or(child.len(), |p| at + p),
                };
                next_nl = Some(first);
                if first < end
                    && let Some(last) = memchr::memrchr(b'\n', &child[first + 1..end]).map(|p| first + 1 + p)
                {
                    plan.copies.push(CopiedLines { base, child: at, len, first_nl: first, last_nl: last });
                    // The changed run ends with the line that ends at `first`.
                    plan.changed.push((changed_from, first + 1));
                    changed_from = last;
                    next_nl = None;
                }
                at = end;
            }
        }
    }
    if !ops.complete() {
        return None;
    }
    plan.changed.push((changed_from, child.len()));
    plan.changed.retain(|&(s, e)| e > s);
    Some(plan)
}

/// What a pack traversal remembers of each scanned blob for its delta
/// children: whether it was scanned (so its pieces are complete), and its
/// pieces when they are not empty. Blobs are keyed by pack offset.
pub struct Memos {
    /// Pack offsets of the pack's objects, sorted (a blob's bit index).
    offsets: Vec<u64>,
    scanned: Vec<AtomicU64>,
    shards: Vec<Mutex<HashMap<u64, Arc<Pieces>>>>,
    /// What most blobs collect: nothing (shared, not allocated per child).
    empty: Arc<Pieces>,
}

const SHARDS: usize = 64;

impl Memos {
    pub fn new(mut offsets: Vec<u64>) -> Memos {
        offsets.sort_unstable();
        let words = offsets.len().div_ceil(64);
        Memos {
            offsets,
            scanned: (0..words).map(|_| AtomicU64::new(0)).collect(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            empty: Arc::default(),
        }
    }

    fn shard(&self, offset: u64) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Pieces>>> {
        let i = (offset as usize).wrapping_mul(0x9E37_79B9) % SHARDS;
        self.shards[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that the blob at `offset` was scanned, with its pieces.
    pub fn remember(&self, offset: u64, pieces: &Pieces, size: usize) {
        let Ok(bit) = self.offsets.binary_search(&offset) else { return };
        let keep_all = size >= SMALL_BLOB / 2 && pieces.all_segments;
        if !pieces.is_empty() || keep_all {
            let mut kept = pieces.clone();
            kept.shrink_for_children(keep_all);
            self.shard(offset).insert(offset, Arc::new(kept));
        }
        self.scanned[bit / 64].fetch_or(1 << (bit % 64), Ordering::Release);
    }

    /// The pieces of the scanned blob at `offset` (empty ones too); `None`
    /// when it was not scanned.
    pub fn recall(&self, offset: u64) -> Option<Arc<Pieces>> {
        let bit = self.offsets.binary_search(&offset).ok()?;
        if self.scanned[bit / 64].load(Ordering::Acquire) & (1 << (bit % 64)) == 0 {
            return None;
        }
        Some(self.shard(offset).get(&offset).cloned().unwrap_or_else(|| Arc::clone(&self.empty)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Engine, Match, Scratch};
    use crate::rules::RuleSet;

    fn put_varint(out: &mut Vec<u8>, mut v: usize) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
    }

    /// Encodes a git delta from ops; inserts take their bytes from `child`.
    fn encode(base_len: usize, ops: &[Op], child: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_varint(&mut out, base_len);
        put_varint(&mut out, child.len());
        let mut at = 0;
        for op in ops {
            match *op {
                Op::Copy { base, mut len } => {
                    let mut base = base;
                    at += len;
                    // git writes copies of at most 64 KiB.
                    while len > 0 {
                        let n = len.min(0x10000);
                        let mut cmd = 0x80u8;
                        let mut args = Vec::new();
                        for i in 0..4 {
                            let b = (base >> (8 * i)) as u8;
                            if b != 0 {
                                cmd |= 1 << i;
                                args.push(b);
                            }
                        }
                        let l = if n == 0x10000 { 0 } else { n };
                        for i in 0..3 {
                            let b = (l >> (8 * i)) as u8;
                            if b != 0 {
                                cmd |= 0x10 << i;
                                args.push(b);
                            }
                        }
                        out.push(cmd);
                        out.extend(args);
                        base += n;
                        len -= n;
                    }
                }
                Op::Insert { len } => {
                    for chunk in child[at..at + len].chunks(127) {
                        out.push(chunk.len() as u8);
                        out.extend_from_slice(chunk);
                    }
                    at += len;
                }
            }
        }
        out
    }

    /// Builds the child that `ops` make of `base`, inserting `inserted` text.
    fn apply(base: &[u8], edits: &[(bool, usize, usize)], inserted: &[u8]) -> (Vec<u8>, Vec<Op>) {
        let mut child = Vec::new();
        let mut ops = Vec::new();
        for &(copy, a, b) in edits {
            if copy {
                let (s, e) = (a.min(base.len()), (a + b).min(base.len()));
                if e > s {
                    child.extend_from_slice(&base[s..e]);
                    ops.push(Op::Copy { base: s, len: e - s });
                }
            } else {
                let (s, e) = (a.min(inserted.len()), (a + b).min(inserted.len()));
                if e > s {
                    child.extend_from_slice(&inserted[s..e]);
                    ops.push(Op::Insert { len: e - s });
                }
            }
        }
        (child, ops)
    }

    fn engine() -> &'static Engine {
        static ENGINE: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        ENGINE.get_or_init(|| Engine::new(&RuleSet::builtin().expect("built-in rules")))
    }

    /// A delta-aware scan of `child`, as the history scanner does it.
    fn delta_scan(engine: &Engine, base: &[u8], ops: &[Op], child: &[u8]) -> Vec<Match> {
        let delta = encode(base.len(), ops, child);
        let plan = plan(&delta, child).expect("valid delta");
        let mut scratch = Scratch::default();
        let mut base_pieces = engine.collect(base, None, &[(0, base.len())], &mut scratch);
        base_pieces.shrink_for_children(base.len() >= SMALL_BLOB / 2);
        let mut pieces = base_pieces.carry(&plan.copies);
        pieces.extend(engine.collect(child, None, &plan.changed, &mut scratch));
        engine.finish(child, None, pieces, &mut scratch)
    }

    /// Text with credentials that the built-in rules find: every rule's own
    /// examples, one a line, with filler lines between.
    fn corpus() -> &'static [u8] {
        static TEXT: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        TEXT.get_or_init(|| {
            let set = RuleSet::builtin().expect("built-in rules");
            let mut text = Vec::new();
            for (i, r) in set.rules.iter().enumerate() {
                for ex in &r.rule.examples {
                    text.extend_from_slice(ex.input.as_bytes());
                    text.push(b'\n');
                }
                if i % 3 == 0 {
                    text.extend_from_slice(b"const filler = compute(a, b); // nothing here\n");
                }
            }
            text
        })
    }

    #[test]
    fn contiguous_copies_merge() {
        let child = vec![b'a'; 0x10067];
        let ops = [Op::Copy { base: 0, len: 0x10000 }, Op::Copy { base: 0x10000, len: 100 }, Op::Insert { len: 3 }];
        let d = encode(200_000, &ops, &child);
        assert_eq!(parse(&d, child.len()), Some(vec![Op::Copy { base: 0, len: 0x10064 }, Op::Insert { len: 3 }]));
    }

    #[test]
    fn malformed_deltas_are_refused() {
        let d = encode(10, &[Op::Copy { base: 5, len: 4 }], b"abcd");
        assert!(parse(&d, 4).is_some());
        assert!(parse(&d, 5).is_none(), "wrong result size");
        let d = encode(10, &[Op::Copy { base: 8, len: 4 }], b"abcd");
        assert!(parse(&d, 4).is_none(), "copy beyond the base");
        let mut d = encode(10, &[Op::Insert { len: 4 }], b"abcd");
        d.truncate(d.len() - 1);
        assert!(parse(&d, 4).is_none(), "truncated insert");
        assert!(parse(&[10, 0, 0], 0).is_none(), "reserved command 0");
    }

    #[test]
    fn plan_refuses_deltas_that_overrun_the_child() {
        let child = b"abcd\nefgh\n";
        let good = encode(20, &[Op::Copy { base: 0, len: 10 }], child);
        assert!(plan(&good, child).is_some());
        // The header promises the child's length, the instructions produce more.
        let mut long = encode(20, &[Op::Copy { base: 0, len: 10 }, Op::Copy { base: 10, len: 10 }], &[b'x'; 20]);
        long[1] = child.len() as u8;
        assert_eq!(plan(&long, child), None);
        // ... or fewer, or stop at a malformed instruction.
        let short = [20u8, child.len() as u8, 0x90, 4];
        assert_eq!(plan(&short, child), None);
        let mut bad = good.clone();
        bad.push(0);
        assert_eq!(plan(&bad, child), None);
    }

    #[test]
    fn plan_rescans_edges_inserts_and_seams() {
        // base: "aa\nbb\ncc\ndd\nee\n"; the child drops "cc\n" (a seam) and
        // inserts a line before "ee".
        let base = b"aa\nbb\ncc\ndd\nee\n";
        let child = b"aa\nbb\ndd\nxx\nee\n";
        let ops = [
            Op::Copy { base: 0, len: 6 },
            Op::Copy { base: 9, len: 3 },
            Op::Insert { len: 3 },
            Op::Copy { base: 12, len: 3 },
        ];
        let plan = plan(&encode(base.len(), &ops, child), child).expect("valid delta");
        // Copy 0..6 holds "bb" whole (between newlines at 2 and 5); the first
        // line "aa" and everything from "bb"'s end on are collected again.
        assert_eq!(plan.copies, vec![CopiedLines { base: 0, child: 0, len: 6, first_nl: 2, last_nl: 5 }]);
        assert_eq!(plan.changed, vec![(0, 3), (5, child.len())]);
    }

    #[test]
    fn deletion_that_joins_a_secret_is_found() {
        let e = engine();
        let key = "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";
        let (head, tail) = key.split_at(30);
        let base = format!("one\nlet k = \"{head}REMOVED-BY-EDIT{tail}\";\nthree\n").into_bytes();
        let cut = base.iter().position(|&b| b == b'R').expect("marker");
        let resume = cut + "REMOVED-BY-EDIT".len();
        let ops = [Op::Copy { base: 0, len: cut }, Op::Copy { base: resume, len: base.len() - resume }];
        let (child, ops2) = apply(&base, &[(true, 0, cut), (true, resume, base.len() - resume)], b"");
        assert_eq!(ops.to_vec(), ops2);
        let found = delta_scan(e, &base, &ops, &child);
        assert!(found.iter().any(|m| m.secret == key), "{found:?}");
        assert_eq!(found, e.scan(&child, None));
    }

    #[test]
    fn lines_across_a_64k_copy_split_are_carried() {
        let e = engine();
        let mut base = Vec::new();
        while base.len() < 0x10000 - 40 {
            base.extend_from_slice(b"// filler line of a long file, no secrets\n");
        }
        base.extend_from_slice(b"key = \"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\"\n");
        base.extend_from_slice(b"end\n");
        let child = [b"// new first line\n".as_slice(), &base].concat();
        let ops = [Op::Insert { len: 18 }, Op::Copy { base: 0, len: base.len() }];
        let found = delta_scan(e, &base, &ops, &child);
        assert_eq!(found.len(), 1);
        assert_eq!(found, e.scan(&child, None));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]
        /// Whatever the edit, the delta-aware scan of a child equals its full scan.
        #[test]
        fn delta_scan_equals_full_scan(
            start in 0usize..100_000,
            len in 200usize..6_000,
            edits in proptest::collection::vec((proptest::bool::ANY, 0usize..8_000, 0usize..1_500), 1..12),
            inserted_at in 0usize..100_000,
        ) {
            let text = corpus();
            let s = start % text.len();
            let base = &text[s..(s + len).min(text.len())];
            let i = inserted_at % text.len();
            let inserted = &text[i..(i + 3_000).min(text.len())];
            let (child, ops) = apply(base, &edits, inserted);
            let e = engine();
            proptest::prop_assert_eq!(delta_scan(e, base, &ops, &child), e.scan(&child, None));
        }
    }
}
