//! One module per subcommand. Each takes typed arguments and returns an exit status or an
//! error; printing goes through `output`.

mod compose;
mod daemon;
mod ip;
mod ports;
mod proxy;
mod repository;
mod route_server;
mod slots;

use crate::cli::{Cli, Command};
use crate::context::Env;
use crate::error::Result;

/// Shared inputs of every command: the environment and the working directory.
pub struct Ctx<'a> {
    pub env: &'a dyn Env,
    pub cwd: std::path::PathBuf,
}

pub fn run(cli: Cli, ctx: &Ctx<'_>) -> Result<u8> {
    match cli.command {
        Command::Ip(args) => ip::run(ctx, &args),
        Command::Slots(args) => slots::run(ctx, args),
        Command::Compose(args) => compose::run(ctx, args),
        Command::Daemon(args) => daemon::run(ctx, args),
        Command::Ports(args) => ports::run(ctx, args),
        Command::Repository(args) => repository::run(ctx, args),
        Command::RouteServer(args) => route_server::run(ctx, args),
        Command::Proxy(args) => proxy::run(ctx, args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "renet", &mut std::io::stdout());
            Ok(0)
        }
    }
}

/// Whether the command asked for JSON, so errors can be reported as JSON too.
pub fn wants_json(cli: &Cli) -> bool {
    use crate::cli::DaemonCommand as D;
    match &cli.command {
        Command::Ip(a) => a.json,
        Command::Slots(a) => a.common.json,
        Command::Daemon(a) => match &a.command {
            D::Start { target, .. }
            | D::Stop { target, .. }
            | D::Status { target }
            | D::Unit { target } => target.json,
            D::List { json } => *json,
        },
        Command::Repository(a) => {
            use crate::cli::RepositoryCommand as R;
            match &a.command {
                R::Up { target, .. } | R::Down { target, .. } | R::Status { target, .. } => {
                    target.json
                }
            }
        }
        Command::Ports(a) => {
            use crate::cli::PortsCommand as P;
            match &a.command {
                P::Lease { json, .. }
                | P::Release { json, .. }
                | P::List { json, .. }
                | P::Gc { json, .. } => *json,
            }
        }
        Command::RouteServer(_) | Command::Proxy(_) => false,
        Command::Compose(_) | Command::Completions { .. } => false,
    }
}
