//! Which lines of a new version of a file are new: a line diff (gix's
//! imara-diff, histogram) against every old version. A secret is blamed on a
//! change only when a line holding it is added; a secret that was already
//! there is not, but a new copy of it elsewhere is.

use gix::diff::blob::{Algorithm, Diff, InternedInput};

/// The added lines of a new file version.
pub(super) struct AddedLines {
    /// Per line (0-based): added relative to every old version. `None` when
    /// there was no old version: every line is added.
    added: Option<Vec<bool>>,
}

impl AddedLines {
    /// Every line is added (a new file).
    pub(super) fn all() -> AddedLines {
        AddedLines { added: None }
    }

    /// Lines of `new` that none of `olds` has (a merge's version of a file
    /// blames only lines that no parent had).
    pub(super) fn compute(new: &[u8], olds: &[&[u8]]) -> AddedLines {
        if olds.is_empty() {
            return AddedLines::all();
        }
        let mut added: Option<Vec<bool>> = None;
        for old in olds {
            let input = InternedInput::new(*old, new);
            let diff = Diff::compute(Algorithm::Histogram, &input);
            let lines = input.after.len();
            let acc = added.get_or_insert_with(|| vec![true; lines]);
            for (i, slot) in acc.iter_mut().enumerate() {
                if !diff.is_added(i as u32) {
                    *slot = false;
                }
            }
        }
        AddedLines { added }
    }

    /// Whether any line of `first..=last` (1-based) was added.
    pub(super) fn any(&self, first: usize, last: usize) -> bool {
        match &self.added {
            None => true,
            Some(lines) => {
                let lo = first.saturating_sub(1);
                let hi = last.max(first).min(lines.len());
                // A position past the last line (an empty final line) counts as added.
                lo >= lines.len() || lines[lo..hi].iter().any(|&a| a)
            }
        }
    }

    /// Whether nothing at all was added.
    #[cfg(test)]
    pub(super) fn is_empty(&self) -> bool {
        self.added.as_ref().is_some_and(|l| !l.iter().any(|&a| a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_lines_count() {
        let old = b"a\nsecret\nb\n".as_slice();
        let new = b"a\nsecret\nb\nsecret\n".as_slice();
        let added = AddedLines::compute(new, &[old]);
        assert!(!added.any(2, 2));
        assert!(added.any(4, 4));
        assert!(!added.is_empty());
    }

    #[test]
    fn a_line_from_any_parent_is_not_new() {
        let p1 = b"a\nx\n".as_slice();
        let p2 = b"a\ny\n".as_slice();
        let merged = b"a\nx\ny\nz\n".as_slice();
        let added = AddedLines::compute(merged, &[p1, p2]);
        assert!(!added.any(1, 3));
        assert!(added.any(4, 4));
    }

    #[test]
    fn unchanged_file_adds_nothing() {
        let f = b"one\ntwo\n".as_slice();
        assert!(AddedLines::compute(f, &[f]).is_empty());
        assert!(AddedLines::all().any(1, 1));
    }
}
