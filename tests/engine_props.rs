//! Property tests: the engine never panics and always terminates on
//! arbitrary bytes, including bytes salted with every rule's keywords.

use leakhound::engine::{Engine, Scratch};
use leakhound::rules::RuleSet;
use proptest::prelude::*;
use std::sync::OnceLock;

/// Built once: regexes compile lazily, so sharing the engine also checks
/// that lazily compiled state is reused correctly across inputs.
fn engine() -> &'static (Engine, Vec<String>) {
    static ENGINE: OnceLock<(Engine, Vec<String>)> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let set = RuleSet::builtin().expect("built-in rules load");
        let keywords = set.rules.iter().flat_map(|r| r.rule.keywords.clone()).collect();
        (Engine::new(&set), keywords)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (engine, _) = engine();
        let matches = engine.scan(&bytes, Some("any/path.txt"));
        for m in matches {
            prop_assert!(m.start <= m.end && m.end <= bytes.len());
        }
    }

    #[test]
    fn keyword_salted_bytes_never_panic(
        pieces in proptest::collection::vec((any::<u16>(), proptest::collection::vec(any::<u8>(), 0..64)), 0..64)
    ) {
        let (engine, keywords) = engine();
        let mut buf = Vec::new();
        for (k, noise) in pieces {
            if !keywords.is_empty() {
                buf.extend_from_slice(keywords[k as usize % keywords.len()].as_bytes());
            }
            buf.extend_from_slice(&noise);
        }
        let mut scratch = Scratch::default();
        let first = engine.scan_with(&buf, None, &mut scratch);
        // Scratch reuse must not change results.
        let second = engine.scan_with(&buf, None, &mut scratch);
        prop_assert_eq!(first, second);
    }
}
