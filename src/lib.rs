//! renet: many application stacks on one Linux host, each with its own Docker daemon and its
//! own block of loopback addresses. See README.md and docs/.

pub(crate) mod allocator;
mod atomic;
pub mod cli;
mod commands;
pub(crate) mod compose;
pub mod context;
pub mod daemon;
pub mod error;
pub(crate) mod leases;
pub mod memory;
pub mod network;
pub mod output;
pub mod rediaccfile;
pub mod routes;
pub mod signals;
pub(crate) mod slotmap;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// Parse `args`, run the command, turn the outcome into an exit status.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            // clap prints help/version on stdout and usage errors on stderr itself.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                error::code::USAGE
            } else {
                0
            });
        }
    };
    let json = commands::wants_json(&cli);
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            output::error(&format!("cannot read the current folder: {e}"));
            return ExitCode::from(error::code::FAILED);
        }
    };
    let ctx = commands::Ctx {
        env: &context::ProcessEnv,
        cwd,
    };
    match commands::run(cli, &ctx) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::error(&e.to_string());
            if json {
                output::json(&error::ErrorReport::new(&e));
            }
            ExitCode::from(e.exit_code())
        }
    }
}
