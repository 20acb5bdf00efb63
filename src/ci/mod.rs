//! Continuous integration: turning what a CI system says about a run (which
//! event, which commits) into what to scan, and findings into what the CI
//! system shows (job summaries, annotations, step outputs). Scanning itself
//! stays with the sources and the engine.

pub mod github;
