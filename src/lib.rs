//! leakhound: a credential leak scanner for source repositories.
//!
//! Data flows one way: sources yield blobs, the engine turns bytes into
//! matches, findings group matches by rule and secret, reports render them.
//! Each module knows nothing of the stages after it.

pub mod ci;
pub mod cli;
pub mod config;
pub mod decode;
pub mod engine;
pub mod filters;
pub mod findings;
pub mod github;
pub mod hooks;
pub mod import;
pub mod merge;
pub mod report;
pub mod rules;
pub mod scan;
pub mod selftest;
pub mod sources;
pub mod suppress;
pub mod verify;
