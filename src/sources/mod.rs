//! Sources turn something to scan (a directory, stdin, git history) into
//! buffers for the engine and hits for the findings. Sources never know
//! about individual rules.

pub mod fs;
pub mod git;
