//! The `leakhound` binary: parse, run, map the result to an exit code.

use clap::Parser;

fn main() {
    let cli = leakhound::cli::Cli::parse();
    let code = match leakhound::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("leakhound: error: {err:#}");
            leakhound::cli::EXIT_ERROR
        }
    };
    std::process::exit(code);
}
