//! The `protection-portal` command: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    bound_malloc_arenas();
    let cli = protection_portal::cli::Cli::parse();
    protection_portal::cli::run(cli)
}

/// glibc's malloc gives each thread that allocates under contention an arena of its own (up to
/// eight per core) and hands little of it back, so after bursts of large pages (a calendar
/// month, a search for a common word) on the server's and the blocking pool's threads, `serve`
/// stayed resident at 140-235 MiB instead of under 100. Two arenas bound that (BENCHMARKS.md has
/// the figures); mimalloc, tried instead, kept more. `MALLOC_ARENA_MAX`, if an operator sets it,
/// still decides.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists; mallopt only
        // changes a setting of malloc, and leaves the default if it refuses the value.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_malloc_arenas() {}
