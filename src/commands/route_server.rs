//! `renet route-server`: serve Traefik's dynamic configuration until SIGTERM/SIGINT.

use std::sync::Arc;

use super::Ctx;
use crate::cli::{RouteOptions, RouteServerArgs};
use crate::docker::Bollard;
use crate::error::{Error, Result};
use crate::machine::Machine;
use crate::output;
use crate::routes::build::Options;
use crate::routes::listener::{self, Limits};
use crate::routes::runtime::{Refresher, Settings};
use crate::routes::state::Shared;
use crate::routes::{server, validate};

/// Validated builder options from the command line, the machine's settings filling in what
/// the command line leaves out (an explicit empty `--machine-name` still means none).
pub fn route_options(o: &RouteOptions, machine: &Machine) -> Result<Options> {
    let raw_base = o
        .base_domain
        .as_deref()
        .or(machine.get("base_domain"))
        .unwrap_or("localhost");
    let base = raw_base.trim().trim_end_matches('.').to_ascii_lowercase();
    if !validate::is_host_name(&base) {
        return Err(Error::Usage(format!(
            "--base-domain {raw_base:?} is not a host name"
        )));
    }
    let machine_name = o.machine_name.as_deref().or(machine.get("machine_name"));
    let label = match machine_name.map(str::trim) {
        None | Some("") => None,
        Some(m) => {
            let m = m.to_ascii_lowercase();
            if !validate::is_dns_label(&m) {
                return Err(Error::Usage(format!(
                    "--machine-name {m:?} must be one DNS label (letters, digits, '-')"
                )));
            }
            Some(m)
        }
    };
    let mut entrypoints = Vec::new();
    for e in &o.entrypoints {
        let e = e.trim();
        if !validate::is_name(e) {
            return Err(Error::Usage(format!(
                "--entrypoints: {e:?} is not an entrypoint name"
            )));
        }
        entrypoints.push(e.to_owned());
    }
    if entrypoints.is_empty() {
        return Err(Error::Usage("--entrypoints needs at least one name".into()));
    }
    let cert_resolver = o.cert_resolver.as_deref().or(machine.get("cert_resolver"));
    let cert_resolver = match cert_resolver.map(str::trim) {
        None | Some("") => None,
        Some(r) if validate::is_name(r) => Some(r.to_owned()),
        Some(r) => {
            return Err(Error::Usage(format!(
                "--cert-resolver {r:?} is not a resolver name"
            )));
        }
    };
    Ok(Options {
        base_domain: base,
        machine_name: label,
        entrypoints,
        cert_resolver,
    })
}

/// Allow as many open files as the hard limit does: one event stream per daemon.
fn raise_open_files() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < hard
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
    }
}

pub fn run(ctx: &Ctx<'_>, args: RouteServerArgs) -> Result<u8> {
    let options = route_options(&args.routes, &Machine::load(&ctx.state_dir)?)?;
    if args.poll.is_zero() {
        return Err(Error::Usage("--poll must be above zero".into()));
    }
    if args.daemon_timeout.is_zero() {
        return Err(Error::Usage("--daemon-timeout must be above zero".into()));
    }
    if !args.listen.ip().is_loopback() {
        ctx.out.warn(&format!(
            "route-server: listening on {}, not a loopback address: anyone who can reach it reads every route",
            args.listen
        ));
    }
    let settings = Arc::new(Settings {
        run_dir: ctx.run_dir.clone(),
        state_dir: ctx.state_dir.clone(),
        poll: args.poll,
        daemon_timeout: args.daemon_timeout,
        watchdog_grace: (!args.no_watchdog).then_some(args.watchdog_grace),
        options,
    });
    raise_open_files();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::IoPlain)?;
    runtime.block_on(serve(args.listen, settings))?;
    Ok(0)
}

async fn serve(listen: std::net::SocketAddr, settings: Arc<Settings>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        Error::IoPlain(std::io::Error::new(
            e.kind(),
            format!("route-server: cannot listen on {listen}: {e}"),
        ))
    })?;
    let shared = Arc::new(Shared::default());
    let mut refresher = Refresher::new(
        Arc::new(Bollard),
        Arc::clone(&settings),
        Arc::clone(&shared),
    );
    // The first configuration is built before anything is served: an empty answer would make
    // Traefik drop every route after a restart of the route server.
    refresher.refresh(true).await;
    output::note(&format!(
        "route-server: serving http://{listen}/config (also /routes.json, /health, /ports); daemons in {}, \
         poll {:?}, base domain {}{}, watchdog {}",
        settings.run_dir.display(),
        settings.poll,
        settings.options.base_domain,
        settings
            .options
            .machine_name
            .as_deref()
            .map(|m| format!(", machine {m}"))
            .unwrap_or_default(),
        settings
            .watchdog_grace
            .map_or_else(|| "off".to_owned(), |g| format!("on (grace {g:?})")),
    ));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let refresh_task = tokio::spawn(refresher.run(stop_rx));
    // Connection cap, header and write timeouts, back-off at the descriptor limit.
    listener::serve(
        listener,
        server::router(shared),
        Limits::default(),
        server::shutdown_signal(),
    )
    .await;
    let _ = stop_tx.send(true);
    let _ = refresh_task.await;
    output::note("route-server: stopped");
    Ok(())
}
