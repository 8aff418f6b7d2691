//! The `protection-portal` command: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = protection_portal::cli::Cli::parse();
    protection_portal::cli::run(cli)
}
