//! One module per subcommand. Each takes typed arguments and returns an exit status or an
//! error; they print through the printer their settings carry (`ctx.out`).

mod compose;
mod daemon;
mod docker;
mod doctor;
mod ip;
mod machine;
mod ports;
mod proxy;
mod proxy_status;
mod repository;
mod route_server;
mod slots;

use crate::cli::{Cli, Command};
use crate::error::Result;

/// What every command receives: the settings resolved once by `lib::run`.
pub(crate) type Ctx<'a> = crate::settings::Settings<'a>;

pub(crate) fn run(command: Command, ctx: &Ctx<'_>) -> Result<u8> {
    match command {
        Command::Ip(args) => ip::run(ctx, &args),
        Command::Slots(args) => slots::run(ctx, args),
        Command::Compose(args) => compose::run(ctx, args),
        Command::Daemon(args) => daemon::run(ctx, args),
        Command::Docker(args) => docker::run(ctx, args),
        Command::Ports(args) => ports::run(ctx, args),
        Command::Repository(args) => repository::run(ctx, args),
        Command::RouteServer(args) => route_server::run(ctx, args),
        Command::Proxy(args) => proxy::run(ctx, args),
        Command::Machine(args) => machine::run(ctx, args),
        Command::Doctor(args) => doctor::run(ctx, &args),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "renet", &mut std::io::stdout());
            Ok(0)
        }
    }
}
