//! Every keyword occurrence in a buffer, overlapping ones included, in one
//! pass of aho-corasick's DFA.
//!
//! A DFA step is a table load that depends on the previous step's result, so
//! one walk over a buffer is bound by load latency, not by the core's
//! throughput. The buffer is therefore cut into four lanes walked in
//! lockstep: their steps are independent and overlap in the pipeline (here
//! about 3x the bytes per second of the crate's own `find_iter`). A
//! standard-semantics DFA reports every pattern ending at a position, so
//! walking on past each match yields the overlapping set without a second
//! search (which, around each hit, used to cost as much again).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

/// Each lane walks at least this many bytes (fewer lanes for less input):
/// a lane's tail, up to the longest keyword past its share, is walked alone.
const MIN_LANE: usize = 256;
/// Capacity of the joined-ranges buffer kept between calls.
const JOINED_KEEP: usize = 1 << 20;

/// A keyword hit: (pattern index, start, end) in the searched buffer.
pub type Hit = (usize, usize, usize);

/// Each lane's hits while a buffer is searched, kept by the caller between
/// searches so that its hot path does not allocate.
pub type LaneHits = [Vec<Hit>; 4];
/// Capacity of a lane's hit list kept between searches (a buffer with
/// millions of hits must not pin them).
const LANE_KEEP: usize = 1 << 16;

/// The compiled keyword set.
pub struct Keywords {
    dfa: DFA,
    start: StateID,
    longest: usize,
}

/// Separates joined ranges: a byte that occurs in no UTF-8 text, so in no
/// keyword (nor in base64), and leads every state of the DFA back to its start.
const SEPARATOR: u8 = 0xFF;

/// Copies the `ranges` of `buf` into `joined` one after another, each
/// followed by [`SEPARATOR`]: no keyword and no base64 run crosses from one
/// range into the next, so one search of the copy finds what a search of
/// each range would, and [`JoinedOffsets`] maps it back.
fn join(buf: &[u8], ranges: &[(usize, usize)], joined: &mut Vec<u8>) {
    joined.clear();
    for &(lo, hi) in ranges {
        joined.extend_from_slice(&buf[lo..hi]);
        joined.push(SEPARATOR);
    }
}

/// Lets go of a joined copy too large to keep between buffers: one huge
/// blob must not pin its copy for the rest of the scan.
pub fn release(joined: &mut Vec<u8>) {
    if joined.capacity() > JOINED_KEEP {
        *joined = Vec::new();
    }
}

/// Maps spans of a [`join`]ed copy back to the buffer, for spans given in
/// ascending order, each inside one range.
pub struct JoinedOffsets<'a> {
    ranges: &'a [(usize, usize)],
    /// The range of the last span, and where it starts in the copy.
    range: usize,
    at: usize,
}

impl<'a> JoinedOffsets<'a> {
    pub fn new(ranges: &'a [(usize, usize)]) -> JoinedOffsets<'a> {
        JoinedOffsets { ranges, range: 0, at: 0 }
    }

    /// The buffer span of the copy's `start..end`.
    pub fn in_buf(&mut self, start: usize, end: usize) -> (usize, usize) {
        let len = |r: (usize, usize)| r.1 - r.0;
        while start >= self.at + len(self.ranges[self.range]) {
            self.at += len(self.ranges[self.range]) + 1;
            self.range += 1;
        }
        // A range can start before its offset in the copy (adjacent
        // ranges): subtract before adding.
        let lo = self.ranges[self.range].0;
        (start - self.at + lo, end - self.at + lo)
    }
}

impl Keywords {
    /// Builds the DFA over `keywords`, matched ASCII case-insensitively.
    pub fn new(keywords: &[String]) -> Keywords {
        let dfa = aho_corasick::dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            // The lanes never leave the automaton to skip ahead, so a
            // prefilter would only make start states special.
            .prefilter(false)
            .build(keywords)
            .expect("keywords are literals and always build"); // literals cannot fail to build
        let start = dfa.start_state(Anchored::No).expect("the DFA was built for unanchored searches"); // StartKind::Unanchored above
        let longest = dfa.max_pattern_len();
        Keywords { dfa, start, longest }
    }

    /// Appends every keyword occurrence lying wholly inside one of the
    /// `ranges` of `buf` to `out`, sorted by (start, pattern). The ranges
    /// must be sorted and disjoint; an occurrence never spans two of them.
    ///
    /// Several ranges (the changed lines of a delta) are copied into `joined`
    /// one after another, each followed by a byte that occurs in no keyword
    /// (which returns the DFA to its start state), and searched as one
    /// buffer: lanes stay long however short the ranges are. `joined` keeps
    /// that copy on return (see [`join`]); a single range is searched in
    /// place and `joined` left empty.
    pub fn overlapping(
        &self,
        buf: &[u8],
        ranges: &[(usize, usize)],
        joined: &mut Vec<u8>,
        lanes: &mut LaneHits,
        out: &mut Vec<Hit>,
    ) {
        debug_assert!(ranges.windows(2).all(|w| w[0].1 <= w[1].0), "ranges sorted and disjoint");
        let first = out.len();
        joined.clear();
        match ranges {
            [] => {}
            &[(lo, hi)] => {
                self.search(&buf[lo..hi], lanes, out);
                for hit in &mut out[first..] {
                    hit.1 += lo;
                    hit.2 += lo;
                }
            }
            _ => {
                join(buf, ranges, joined);
                self.search(joined, lanes, out);
                // Joined order is buffer order: sorted hits map back in one walk.
                let mut offsets = JoinedOffsets::new(ranges);
                for hit in &mut out[first..] {
                    (hit.1, hit.2) = offsets.in_buf(hit.1, hit.2);
                }
            }
        }
    }

    /// Appends every occurrence in `hay` to `out`, sorted by (start,
    /// pattern): four lanes for long input (six or eight were no faster),
    /// fewer for short.
    fn search(&self, hay: &[u8], lanes: &mut LaneHits, out: &mut Vec<Hit>) {
        match hay.len() / MIN_LANE {
            0 | 1 => self.lanes::<1>(hay, &mut lanes[..1], out),
            2 | 3 => self.lanes::<2>(hay, &mut lanes[..2], out),
            _ => self.four_lanes(hay, lanes, out),
        }
    }

    /// Walks `hay` as four lanes in lockstep, like `lanes::<4>` but with the
    /// four states in four variables: as an array, they went through the
    /// stack, a store and a load in every step's chain of dependent loads
    /// (this runs about 1.6x faster).
    #[inline(never)]
    fn four_lanes(&self, hay: &[u8], found: &mut LaneHits, out: &mut Vec<Hit>) {
        let len = hay.len() / 4;
        let owned: [(usize, usize); 4] =
            std::array::from_fn(|j| (j * len, if j == 3 { hay.len() } else { (j + 1) * len }));
        let (b0, b1, b2, b3) = (&hay[..len], &hay[len..2 * len], &hay[2 * len..3 * len], &hay[3 * len..4 * len]);
        let dfa = &self.dfa;
        let (mut s0, mut s1, mut s2, mut s3) = (self.start, self.start, self.start, self.start);
        for i in 0..len {
            s0 = dfa.next_state(Anchored::No, s0, b0[i]);
            s1 = dfa.next_state(Anchored::No, s1, b1[i]);
            s2 = dfa.next_state(Anchored::No, s2, b2[i]);
            s3 = dfa.next_state(Anchored::No, s3, b3[i]);
            if dfa.is_special(s0) | dfa.is_special(s1) | dfa.is_special(s2) | dfa.is_special(s3) {
                self.report_lanes([s0, s1, s2, s3], i, &owned, found);
            }
        }
        self.tails(hay, [s0, s1, s2, s3], len, &owned, found);
        gather(found, out);
    }

    /// Reports the matches of every lane in a match state at step `i`. Out
    /// of line and given the states by value, so that the walk's states
    /// need no address and stay in registers.
    #[inline(never)]
    fn report_lanes<const K: usize>(
        &self,
        sids: [StateID; K],
        i: usize,
        owned: &[(usize, usize); K],
        found: &mut [Vec<Hit>],
    ) {
        for (j, sid) in sids.into_iter().enumerate() {
            if self.dfa.is_special(sid) {
                self.report(sid, owned[j].0 + i + 1, owned[j], &mut found[j]);
            }
        }
    }

    /// Walks each lane on past its slice while an occurrence it owns can
    /// still end: the longest keyword past its slice (the last lane to the
    /// end of `hay`).
    fn tails<const K: usize>(
        &self,
        hay: &[u8],
        sids: [StateID; K],
        len: usize,
        owned: &[(usize, usize); K],
        found: &mut [Vec<Hit>],
    ) {
        for (j, sid) in sids.into_iter().enumerate() {
            let from = owned[j].0 + len;
            let to = if j + 1 == K { hay.len() } else { (owned[j].1 + self.longest - 1).min(hay.len()) };
            let mut sid = sid;
            for (i, &byte) in hay[from..to].iter().enumerate() {
                sid = self.dfa.next_state(Anchored::No, sid, byte);
                if self.dfa.is_special(sid) {
                    self.report(sid, from + i + 1, owned[j], &mut found[j]);
                }
            }
        }
    }

    /// Walks `hay` as `K` lanes in lockstep (one or two, for short input).
    /// Lane j walks the j-th of `K` equal slices (the last also the
    /// remainder), owns the occurrences that start in it, and collects them
    /// in `found[j]`.
    // One index walks K slices at once; an iterator per slice would not.
    #[allow(clippy::needless_range_loop)]
    fn lanes<const K: usize>(&self, hay: &[u8], found: &mut [Vec<Hit>], out: &mut Vec<Hit>) {
        let len = hay.len() / K;
        let owned: [(usize, usize); K] =
            std::array::from_fn(|j| (j * len, if j + 1 == K { hay.len() } else { (j + 1) * len }));
        let slices: [&[u8]; K] = std::array::from_fn(|j| &hay[j * len..(j + 1) * len]);
        let mut sids = [self.start; K];
        for i in 0..len {
            let mut special = false;
            for j in 0..K {
                sids[j] = self.dfa.next_state(Anchored::No, sids[j], slices[j][i]);
                special |= self.dfa.is_special(sids[j]);
            }
            if special {
                self.report_lanes(sids, i, &owned, found);
            }
        }
        self.tails(hay, sids, len, &owned, found);
        gather(found, out);
    }

    /// Reports the patterns of match state `sid` that end at `end` and start
    /// inside `owned`. Without a prefilter, the only special states of an
    /// unanchored standard DFA are match states (its dead state is never reached).
    fn report(&self, sid: StateID, end: usize, (owned_lo, owned_hi): (usize, usize), out: &mut Vec<Hit>) {
        if !self.dfa.is_match(sid) {
            return;
        }
        for k in 0..self.dfa.match_len(sid) {
            let pattern = self.dfa.match_pattern(sid, k);
            let start = end - self.dfa.pattern_len(pattern);
            if (owned_lo..owned_hi).contains(&start) {
                out.push((pattern.as_usize(), start, end));
            }
        }
    }
}

/// Appends the lanes' occurrences to `out` sorted by (start, pattern). Lane
/// j's all start before lane j + 1's, and a lane finds its own in the order
/// they end, which is their order by start but where a longer keyword ends
/// after a shorter one inside it: an insertion sort moves each past those
/// few (a general sort of all lanes' occurrences at once took about 1 % of
/// a history scan's instructions). Keywords nested many deep (user rules)
/// would make it quadratic; past a few moves per occurrence, a general sort
/// takes over. Leaves the lanes empty.
fn gather(found: &mut [Vec<Hit>], out: &mut Vec<Hit>) {
    let key = |&(p, s, _): &Hit| (s, p);
    for hits in found {
        let mut budget = 8 * hits.len();
        'insertion: for i in 1..hits.len() {
            let mut j = i;
            while j > 0 && key(&hits[j - 1]) > key(&hits[j]) {
                if budget == 0 {
                    hits.sort_unstable_by_key(key);
                    break 'insertion;
                }
                budget -= 1;
                hits.swap(j - 1, j);
                j -= 1;
            }
        }
        out.append(hits);
        if hits.capacity() > LANE_KEEP {
            *hits = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;

    fn reference(keywords: &[String], buf: &[u8], ranges: &[(usize, usize)]) -> Vec<Hit> {
        let ac = AhoCorasick::builder().ascii_case_insensitive(true).build(keywords).expect("literals");
        let mut hits: Vec<Hit> = ranges
            .iter()
            .flat_map(|&(lo, hi)| ac.find_overlapping_iter(aho_corasick::Input::new(buf).range(lo..hi)))
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        hits.sort_unstable_by_key(|&(p, s, _)| (s, p));
        hits
    }

    fn keywords() -> Vec<String> {
        ["token", "tok", "ken", "pat", "github_pat_", "sg.", "-----begin", "begin rsa", "a", "key", "key-", "ey-k"]
            .iter()
            .map(|k| k.to_string())
            .collect()
    }

    proptest::proptest! {
        /// The lanes find exactly what the crate's own overlapping search
        /// finds in each range, on inputs long enough for every lane count,
        /// with keywords straddling lane and range boundaries.
        #[test]
        fn lanes_equal_the_crates_overlapping_search(
            pieces in proptest::collection::vec((0usize..16, 0usize..40, proptest::prelude::any::<u8>()), 0..600),
            cuts in proptest::collection::vec(0usize..30_000, 0..12),
            adjacent in proptest::prelude::any::<bool>(),
        ) {
            let keywords = keywords();
            let set = Keywords::new(&keywords);
            let mut buf = Vec::new();
            for (k, filler, byte) in pieces {
                if let Some(kw) = keywords.get(k) {
                    // Upper-case some, to exercise case-insensitivity.
                    buf.extend(kw.bytes().map(|b| if byte % 2 == 0 { b.to_ascii_uppercase() } else { b }));
                }
                buf.extend(std::iter::repeat_n(byte, filler));
            }
            // Ranges between alternate cut points (gaps, some empty), or
            // between every pair of cut points (all adjacent).
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(buf.len())).collect();
            points.push(0);
            points.push(buf.len());
            points.sort_unstable();
            let ranges: Vec<(usize, usize)> =
                points.windows(2).step_by(if adjacent { 1 } else { 2 }).map(|w| (w[0], w[1])).collect();
            let mut fast = Vec::new();
            set.overlapping(&buf, &ranges, &mut Vec::new(), &mut LaneHits::default(), &mut fast);
            proptest::prop_assert_eq!(fast, reference(&keywords, &buf, &ranges));
        }
    }

    #[test]
    fn adjacent_ranges_map_back_exactly() {
        let keywords = keywords();
        let set = Keywords::new(&keywords);
        let buf = b"token pat\nkey-k sg.\ntoken";
        // Adjacent ranges: in the joined copy each sits one separator later
        // than in `buf`, so a range can start before its joined offset.
        let ranges = [(0, 10), (10, 20), (20, buf.len())];
        let mut fast = Vec::new();
        set.overlapping(buf, &ranges, &mut Vec::new(), &mut LaneHits::default(), &mut fast);
        assert_eq!(fast, reference(&keywords, buf, &ranges));
        assert!(fast.iter().any(|&(_, s, _)| s == 20), "the last range's `token` is found at 20");
    }

    #[test]
    fn deeply_nested_keywords_are_sorted_too() {
        // Forty keywords end at every byte of a run of `a`: too many moves
        // for the insertion sort, so the general sort takes over.
        let keywords: Vec<String> = (1..=40).map(|n| "a".repeat(n)).collect();
        let set = Keywords::new(&keywords);
        let buf = format!("x{}y", "A".repeat(3000));
        let ranges = [(0, buf.len())];
        let mut fast = Vec::new();
        set.overlapping(buf.as_bytes(), &ranges, &mut Vec::new(), &mut LaneHits::default(), &mut fast);
        assert_eq!(fast, reference(&keywords, buf.as_bytes(), &ranges));
    }

    #[test]
    fn lanes_cover_a_long_buffer_exactly() {
        let keywords: Vec<String> = vec!["password".into(), "pass".into(), "word".into()];
        let set = Keywords::new(&keywords);
        let mut buf = Vec::new();
        for i in 0..5000 {
            buf.extend_from_slice(if i % 7 == 0 { b"xPassWORDy " } else { b"filler " });
        }
        assert!(buf.len() >= 4 * MIN_LANE);
        let ranges = [(3, buf.len())];
        let mut fast = Vec::new();
        set.overlapping(&buf, &ranges, &mut Vec::new(), &mut LaneHits::default(), &mut fast);
        assert_eq!(fast, reference(&keywords, &buf, &ranges));
        assert_eq!(fast.len(), 3 * 5000_usize.div_ceil(7) - 2); // `pass` and `password` of the first start before 3
    }
}
