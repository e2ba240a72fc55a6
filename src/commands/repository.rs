//! `renet repository up|down|status|list`: what the workstation tool runs over SSH.
//!
//! - `view`: each service's containers, URLs and leases, as every report shows them;
//! - `readiness`: `up`'s wait for the services' ports, `listen_ports` which ports those are;
//! - `list`: the registered repositories.

mod list;
mod listen_ports;
mod readiness;
mod view;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use self::readiness::Readiness;
use super::Ctx;
use crate::allocator::var_name;
use crate::cli::{RepositoryArgs, RepositoryCommand, RepositoryTarget};
use crate::compose::files as compose_files;
use crate::daemon::{self, ContainerState, DaemonPaths};
use crate::docker::{Bollard, Container, block_on};
use crate::error::{Error, Result};
use crate::leases::Lease;
use crate::network::NetworkId;
use crate::output::Printer;
use crate::rediaccfile::{self, FileReport, Lifecycle, RunOptions};
use crate::{leases, registry, settings, slotmap};

/// How long `repository up|down|status` give the daemon to list its containers.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// The repository a command acts on, resolved from its target flags.
struct Repo {
    id: NetworkId,
    /// Canonical (see `settings::repository_path`).
    path: PathBuf,
    name: String,
    paths: DaemonPaths,
    run_dir: PathBuf,
    state_dir: PathBuf,
}

/// The target, refused when it contradicts the identity `.rediacc.json` keeps (`rename`: a
/// differing `--name` is deliberate).
fn resolve(ctx: &Ctx<'_>, t: &RepositoryTarget, rename: bool) -> Result<Repo> {
    let id = settings::network_id(t.network.network_id, ctx.env)?;
    let path = settings::repository_path(&t.path, &ctx.cwd)?;
    let map = slotmap::read(&path)?;
    let name = map
        .check_identity(&path, t.name.as_deref(), id, rename)
        .map_err(slotmap::SlotMapError::from)?;
    let paths = DaemonPaths::new(&ctx.run_dir, &ctx.state_dir, id, Some(&path));
    Ok(Repo {
        id,
        path,
        name,
        paths,
        run_dir: ctx.run_dir.clone(),
        state_dir: ctx.state_dir.clone(),
    })
}

/// The environment every Rediaccfile function sees (SPEC section 4), legacy names included,
/// with renet's own folder first on PATH so `renet` is callable as plain `renet`.
fn function_env(ctx: &Ctx<'_>, r: &Repo) -> Result<Vec<(String, String)>> {
    let map = slotmap::read(&r.path)?;
    let mut env = vec![
        (
            "REDIACC_WORKING_DIR".to_owned(),
            r.path.display().to_string(),
        ),
        ("REDIACC_REPOSITORY".to_owned(), r.name.clone()),
        ("REDIACC_NETWORK_ID".to_owned(), r.id.to_string()),
        (
            "DOCKER_HOST".to_owned(),
            format!("unix://{}", r.paths.socket.display()),
        ),
        ("REPOSITORY_PATH".to_owned(), r.path.display().to_string()),
        ("REPOSITORY_NAME".to_owned(), r.name.clone()),
        ("REPOSITORY_NETWORK_ID".to_owned(), r.id.to_string()),
        ("RENET_RUN_DIR".to_owned(), r.run_dir.display().to_string()),
        (
            "RENET_STATE_DIR".to_owned(),
            r.state_dir.display().to_string(),
        ),
    ];
    for (svc, slot) in map.slots() {
        env.push((var_name(&svc), r.id.slot_addr(slot).to_string()));
    }
    let me = std::env::current_exe().map_err(Error::IoPlain)?;
    let bin = me
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let path = match ctx.env.var("PATH") {
        Some(p) => format!("{bin}:{p}"),
        None => format!("{bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    };
    env.push(("PATH".to_owned(), path));
    Ok(env)
}

#[derive(Serialize)]
struct ServiceRow {
    name: String,
    slot: u8,
    address: String,
    variable: String,
    restart_policy: Option<String>,
    containers: Vec<ContainerState>,
    /// `https://` URLs the route server gives it (from the machine settings).
    urls: Vec<String>,
    /// Why the route server gives it none, when its labels are refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    route_problem: Option<String>,
    leases: Vec<Lease>,
    /// `repository up` only: what the wait for its ports found.
    #[serde(skip_serializing_if = "Option::is_none")]
    readiness: Option<Readiness>,
}

#[derive(Serialize)]
struct Report {
    schema: u32,
    action: &'static str,
    repository: String,
    network_id: u32,
    path: PathBuf,
    daemon_socket: PathBuf,
    daemon_running: bool,
    services: Vec<ServiceRow>,
    rediaccfiles: Vec<FileReport>,
    failures: Vec<String>,
    ok: bool,
}

impl Report {
    fn new(
        ctx: &Ctx<'_>,
        r: &Repo,
        action: &'static str,
        running: bool,
        run: Lifecycle,
        ok: bool,
    ) -> Result<Self> {
        Ok(Self {
            schema: 1,
            action,
            repository: r.name.clone(),
            network_id: r.id.get(),
            path: r.path.clone(),
            daemon_socket: r.paths.socket.clone(),
            daemon_running: running,
            services: services(ctx, r, running)?,
            rediaccfiles: run.files,
            failures: run.failures,
            ok,
        })
    }
}

/// Every service of the slot map, by slot, with its containers, URLs and leases.
fn services(ctx: &Ctx<'_>, r: &Repo, running: bool) -> Result<Vec<ServiceRow>> {
    let containers: Vec<Container> = if running {
        block_on(view::containers(&Bollard, &r.paths.socket, LIST_TIMEOUT)).unwrap_or_default()
    } else {
        Vec::new()
    };
    let opts = view::route_options(ctx.env, &ctx.state_dir, ctx.out);
    let all_leases = leases::list(&ctx.state_dir).unwrap_or_else(|e| {
        ctx.out.warn(&format!("leases not shown: {e}"));
        Vec::new()
    });
    let mut rows: Vec<ServiceRow> = slotmap::read(&r.path)?
        .services()
        .into_iter()
        .map(|(name, e)| {
            let mine: Vec<&Container> = containers
                .iter()
                .filter(|c| view::service_of(c) == name)
                .collect();
            let (urls, route_problem) = view::service_urls(r.id, &mine, opts.as_ref());
            ServiceRow {
                slot: e.slot.get(),
                address: r.id.slot_addr(e.slot).to_string(),
                variable: var_name(&name),
                restart_policy: e.restart_policy,
                containers: mine
                    .iter()
                    .map(|c| ContainerState {
                        name: c.name.clone(),
                        service: name.clone(),
                        state: c.state.clone(),
                        status: c.status.clone(),
                    })
                    .collect(),
                urls,
                route_problem,
                leases: view::service_leases(&all_leases, r.id, &name),
                readiness: None,
                name,
            }
        })
        .collect();
    rows.sort_by_key(|s| s.slot);
    Ok(rows)
}

pub fn run(ctx: &Ctx<'_>, args: RepositoryArgs) -> Result<u8> {
    match args.command {
        RepositoryCommand::Up {
            target,
            rename,
            timeout,
            wait,
        } => up(
            ctx,
            &target,
            rename,
            timeout.map(Duration::from_secs),
            Duration::from_secs(wait),
        ),
        RepositoryCommand::Down {
            target,
            stop_daemon,
            forget,
            timeout,
        } => down(
            ctx,
            &target,
            DownOptions {
                stop_daemon,
                forget,
                timeout: timeout.map(Duration::from_secs),
            },
        ),
        RepositoryCommand::Status { target, timeout } => {
            status(ctx, &target, Duration::from_secs(timeout))
        }
        RepositoryCommand::List => list::run(ctx),
    }
}

/// Refuse to act for `repo` on the daemon of network `id` when that daemon was started for
/// another repository: `daemon start`'s own check ([`daemon::check_repo`] on the daemon's
/// marker), made by `compose`, `docker` and `repository` before they change anything. A
/// daemon without a socket runs nothing for anyone: nothing to refuse.
pub(crate) fn refuse_other_repository(ctx: &Ctx<'_>, id: NetworkId, repo: &Path) -> Result<()> {
    let paths = DaemonPaths::new(&ctx.run_dir, &ctx.state_dir, id, Some(repo));
    if !paths.socket.exists() {
        return Ok(());
    }
    daemon::check_repo(id, &paths, Some(repo)).map_err(Error::from)
}

fn load_files(out: &Printer, r: &Repo) -> Result<Vec<rediaccfile::Rediaccfile>> {
    let files = rediaccfile::discover(&r.path).map_err(Error::io(&r.path))?;
    if files.is_empty() {
        out.note(&format!(
            "no Rediaccfile found in {} (nor in its first-level folders)",
            r.path.display()
        ));
    }
    Ok(files)
}

/// The report as JSON, or as a summary on stderr; the exit status.
fn finish(out: &Printer, report: &Report, json: bool) -> u8 {
    if json {
        out.json(report);
    } else {
        out.note(&format!(
            "\nrepository {} (network {}, {})",
            report.repository,
            report.network_id,
            report.path.display()
        ));
        print_runs(out, &report.rediaccfiles);
        print_services(out, &report.services);
        if !report.failures.is_empty() {
            out.note("failures:");
            for f in &report.failures {
                out.note(&format!("  {f}"));
            }
        }
    }
    u8::from(!report.ok)
}

fn print_runs(out: &Printer, files: &[FileReport]) {
    for f in files {
        for r in &f.runs {
            let state = if r.skipped() {
                "skipped".to_owned()
            } else if r.ok() {
                "ok".to_owned()
            } else {
                r.exit_status()
                    .map_or_else(|| "failed".to_owned(), |c| format!("failed ({c})"))
            };
            out.note(&format!(
                "  {:<6} {:<20} {:<10} {:.1}s",
                r.function,
                f.file.label(),
                state,
                r.seconds
            ));
        }
    }
}

fn print_services(out: &Printer, services: &[ServiceRow]) {
    for s in services {
        let states: Vec<String> = s
            .containers
            .iter()
            .map(|c| format!("{} {}", c.name, c.state))
            .collect();
        let states = if states.is_empty() {
            "no container".to_owned()
        } else {
            states.join(", ")
        };
        out.note(&format!("  {:<20} {:<15} {}", s.name, s.address, states));
        let more = |text: &str| out.note(&format!("  {:<20} {text}", ""));
        for u in &s.urls {
            more(u);
        }
        if let Some(p) = &s.route_problem {
            more(&format!("no route: {p}"));
        }
        for l in &s.leases {
            more(&format!("lease {}", view::lease_text(l)));
        }
        if let Some(r) = s.readiness.as_ref().filter(|r| !r.logs.is_empty()) {
            more("last lines of its log:");
            for line in &r.logs {
                more(&format!("| {line}"));
            }
        }
    }
}

/// A daemon already serving this repository on another network ID means the given ID is a
/// mistake: acting on it would start a second daemon on the same data (up) or stop nothing
/// (down).
fn refuse_other_network(r: &Repo) -> Result<()> {
    match daemon::networks_serving(&r.run_dir, &r.state_dir, &r.path)
        .into_iter()
        .find(|n| *n != r.id)
    {
        Some(other) => Err(Error::Usage(format!(
            "repository {} runs on network {other}, not {}; use --network-id {other}, or stop that \
             daemon first (renet daemon stop --network-id {other})",
            r.path.display(),
            r.id
        ))),
        None => Ok(()),
    }
}

fn up(
    ctx: &Ctx<'_>,
    t: &RepositoryTarget,
    rename: bool,
    timeout: Option<Duration>,
    wait: Duration,
) -> Result<u8> {
    let r = resolve(ctx, t, rename)?;
    refuse_other_network(&r)?;
    // Before the rename is kept: a refused run changes nothing.
    refuse_other_repository(ctx, r.id, &r.path)?;
    if rename {
        // Kept before the Rediaccfiles run: the `renet compose` they call must see the new name
        // as the repository's own, not as a second rename.
        slotmap::keep_identity(&r.path, Some(&r.name), r.id, true)?;
    }
    let started = daemon::start(
        r.id,
        &r.paths,
        Some(&r.path),
        Duration::from_secs(60),
        ctx.env.var("PATH").as_deref(),
    )?;
    if !started.already_running {
        ctx.out.note(&format!(
            "daemon for network {} started on {}",
            r.id,
            r.paths.socket.display()
        ));
    }
    let names = compose_files::repo_services(&r.path)?;
    slotmap::sync(&r.path, names.iter().map(String::as_str))?;
    let env = function_env(ctx, &r)?;
    let opts = RunOptions {
        env: &env,
        timeout,
        capture: false,
        watch: crate::signals::Watch::global(),
    };
    let run = rediaccfile::up(load_files(ctx.out, &r)?, &opts, ctx.out);
    // A subfolder's failed `up` is listed, but only a stopped run fails (SPEC section 4).
    let ok = !run.stopped;
    if ok {
        slotmap::keep_identity(&r.path, Some(&r.name), r.id, rename)?;
        registry::register(&r.state_dir, &r.name, &r.path, r.id)
            .map_err(Error::io(registry::path_in(&r.state_dir)))?;
    }
    let ready = if ok && !wait.is_zero() {
        Some(wait_ready(ctx, &r, wait)?)
    } else {
        None
    };
    let mut report = Report::new(ctx, &r, "up", true, run, ok)?;
    attach_readiness(&mut report, ready.as_ref(), wait);
    Ok(finish(ctx.out, &report, ctx.json))
}

/// Every service's readiness into the report (`not_checked` when there was no wait). A service
/// that exited or never listened is a repository that does not work, as for `status`: exit 1,
/// the services named in `failures`.
fn attach_readiness(
    report: &mut Report,
    ready: Option<&BTreeMap<String, Readiness>>,
    wait: Duration,
) {
    for s in &mut report.services {
        let found = ready.and_then(|m| m.get(&s.name)).cloned();
        s.readiness = Some(found.unwrap_or_else(Readiness::not_checked));
    }
    let failed: Vec<String> = report
        .services
        .iter()
        .filter_map(|s| s.readiness.as_ref()?.failure(&s.name, wait))
        .collect();
    report.ok &= failed.is_empty();
    report.failures.extend(failed);
}

/// Wait for every service of the slot map that has a container (see [`readiness::wait`]).
fn wait_ready(ctx: &Ctx<'_>, r: &Repo, wait: Duration) -> Result<BTreeMap<String, Readiness>> {
    let mut model_ports = listen_ports::model_ports(&r.path);
    let wanted: Vec<readiness::Wanted> = slotmap::read(&r.path)?
        .slots()
        .into_iter()
        .map(|(name, slot)| readiness::Wanted {
            model_ports: model_ports.remove(&name).unwrap_or_default(),
            address: r.id.slot_addr(slot),
            name,
        })
        .collect();
    Ok(readiness::wait(
        &Bollard,
        &r.paths.socket,
        &wanted,
        wait,
        &readiness::Sockets,
        ctx.out,
    ))
}

struct DownOptions {
    stop_daemon: bool,
    forget: bool,
    timeout: Option<Duration>,
}

fn down(ctx: &Ctx<'_>, t: &RepositoryTarget, o: DownOptions) -> Result<u8> {
    let r = resolve(ctx, t, false)?;
    refuse_other_network(&r)?;
    refuse_other_repository(ctx, r.id, &r.path)?;
    let env = function_env(ctx, &r)?;
    let opts = RunOptions {
        env: &env,
        timeout: o.timeout,
        capture: false,
        watch: crate::signals::Watch::global(),
    };
    let mut run = rediaccfile::down(load_files(ctx.out, &r)?, &opts, ctx.out);
    let mut running = daemon::probe(&Bollard, &r.paths.socket).is_some();
    if o.stop_daemon {
        match daemon::stop(r.id, &r.paths, Duration::from_secs(60)) {
            Ok(_) => running = false,
            Err(e) => run.failures.push(format!("daemon: {e}")),
        }
    }
    // Marked down even when a `down` failed: the operator asked for it down, and boot must not
    // bring it back up.
    match registry::down(&r.state_dir, &r.path, r.id, o.forget) {
        Ok(true) if o.forget => ctx.out.note(&format!(
            "removed from {}",
            registry::path_in(&r.state_dir).display()
        )),
        Ok(_) => {}
        Err(e) => run.failures.push(format!(
            "registry {}: {e}",
            registry::path_in(&r.state_dir).display()
        )),
    }
    let ok = run.failures.is_empty();
    let report = Report::new(ctx, &r, "down", running, run, ok)?;
    Ok(finish(ctx.out, &report, ctx.json))
}

fn status(ctx: &Ctx<'_>, t: &RepositoryTarget, timeout: Duration) -> Result<u8> {
    let r = resolve(ctx, t, false)?;
    refuse_other_repository(ctx, r.id, &r.path)?;
    let running = daemon::probe(&Bollard, &r.paths.socket).is_some();
    let env = function_env(ctx, &r)?;
    let opts = RunOptions {
        env: &env,
        timeout: Some(timeout),
        capture: true,
        watch: crate::signals::Watch::global(),
    };
    let run = rediaccfile::info(load_files(ctx.out, &r)?, &opts, ctx.out);
    if !ctx.json {
        ctx.out.note(&format!(
            "daemon for network {}: {}",
            r.id,
            if running { "running" } else { "not running" }
        ));
        for f in &run.files {
            if let Some(info) = &f.info {
                for line in info.lines() {
                    ctx.out.note(&format!("[{}] {line}", f.file.label()));
                }
            }
        }
    }
    let mut report = Report::new(ctx, &r, "status", running, run, true)?;
    // A service with no running container is a repository that does not work: exit 1 so a
    // script (or a monitor) need not parse the report to learn it.
    let stopped = not_running(&report.services);
    report.failures.extend(stopped);
    report.ok = report.failures.is_empty();
    Ok(finish(ctx.out, &report, ctx.json))
}

/// `"<service>: not running (<states>)"` for every service without a running container.
fn not_running(services: &[ServiceRow]) -> Vec<String> {
    services
        .iter()
        .filter(|s| !s.containers.iter().any(|c| c.state == "running"))
        .map(|s| {
            let states: Vec<&str> = s.containers.iter().map(|c| c.state.as_str()).collect();
            if states.is_empty() {
                format!("{}: not running (no container)", s.name)
            } else {
                format!("{}: not running ({})", s.name, states.join(", "))
            }
        })
        .collect()
}
