//! renet: many application stacks on one Linux host, each with its own Docker daemon and its
//! own block of loopback addresses. See README.md and docs/.

pub(crate) mod allocator;
mod atomic;
pub(crate) mod cli;
mod commands;
pub(crate) mod compose;
pub(crate) mod daemon;
pub(crate) mod docker;
mod doctor;
pub(crate) mod error;
mod fsread;
mod host;
pub(crate) mod leases;
mod lock;
pub(crate) mod machine;
pub(crate) mod memory;
pub(crate) mod network;
pub(crate) mod output;
mod quote;
pub(crate) mod rediaccfile;
mod registry;
pub(crate) mod routes;
mod settings;
pub(crate) mod signals;
pub(crate) mod slotmap;
mod strict_json;
mod table;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// Parse `args`, run the command, turn the outcome into an exit status.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let out = output::Printer::terminal();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            if let Some(err) = settings::argument_error(&e) {
                return report(&out, &err, settings::json_requested(&args));
            }
            // clap prints help/version on stdout and usage errors on stderr itself.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                error::code::USAGE
            } else {
                0
            });
        }
    };
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            out.error(&format!("cannot read the current folder: {e}"));
            return ExitCode::from(error::code::FAILED);
        }
    };
    let ctx = settings::Settings::resolve(&settings::ProcessEnv, cwd, cli.json, &out);
    match commands::run(cli.command, &ctx) {
        Ok(code) => ExitCode::from(code),
        Err(e) => report(&out, &e, ctx.json),
    }
}

/// An error on stderr, and with `--json` also as a document on stdout.
fn report(out: &output::Printer, e: &error::Error, json: bool) -> ExitCode {
    out.error(&e.to_string());
    if json {
        out.json(&error::ErrorReport::new(e));
    }
    ExitCode::from(e.exit_code())
}
