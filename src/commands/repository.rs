//! `renet repository up|down|status`: what the workstation tool runs over SSH.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::Ctx;
use crate::allocator::var_name;
use crate::cli::{RepositoryArgs, RepositoryCommand, RepositoryTarget};
use crate::compose::files as compose_files;
use crate::daemon::{self, ContainerState, DaemonPaths};
use crate::docker::Bollard;
use crate::error::{Error, Result};
use crate::network::NetworkId;
use crate::output::Printer;
use crate::rediaccfile::{self, FileReport, Lifecycle, RunOptions};
use crate::{leases, registry, settings, slotmap};

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
            services: services(r, running)?,
            rediaccfiles: run.files,
            failures: run.failures,
            ok,
        })
    }
}

fn services(r: &Repo, running: bool) -> Result<Vec<ServiceRow>> {
    let containers = if running {
        daemon::containers(&Bollard, &r.paths.socket).unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut rows: Vec<ServiceRow> = slotmap::read(&r.path)?
        .services()
        .into_iter()
        .map(|(name, e)| ServiceRow {
            slot: e.slot.get(),
            address: r.id.slot_addr(e.slot).to_string(),
            variable: var_name(&name),
            restart_policy: e.restart_policy,
            containers: containers
                .iter()
                .filter(|c| c.service == name)
                .cloned()
                .collect(),
            name,
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
        } => up(ctx, &target, rename, timeout.map(Duration::from_secs)),
        RepositoryCommand::Down {
            target,
            stop_daemon,
            timeout,
        } => down(ctx, &target, stop_daemon, timeout.map(Duration::from_secs)),
        RepositoryCommand::Status { target, timeout } => {
            status(ctx, &target, Duration::from_secs(timeout))
        }
        RepositoryCommand::List => list(ctx),
    }
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

fn up(ctx: &Ctx<'_>, t: &RepositoryTarget, rename: bool, timeout: Option<Duration>) -> Result<u8> {
    let r = resolve(ctx, t, rename)?;
    refuse_other_network(&r)?;
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
    let report = Report::new(&r, "up", true, run, ok)?;
    Ok(finish(ctx.out, &report, ctx.json))
}

fn down(
    ctx: &Ctx<'_>,
    t: &RepositoryTarget,
    stop_daemon: bool,
    timeout: Option<Duration>,
) -> Result<u8> {
    let r = resolve(ctx, t, false)?;
    refuse_other_network(&r)?;
    let env = function_env(ctx, &r)?;
    let opts = RunOptions {
        env: &env,
        timeout,
        capture: false,
        watch: crate::signals::Watch::global(),
    };
    let mut run = rediaccfile::down(load_files(ctx.out, &r)?, &opts, ctx.out);
    let mut running = daemon::probe(&Bollard, &r.paths.socket).is_some();
    if stop_daemon {
        match daemon::stop(r.id, &r.paths, Duration::from_secs(60)) {
            Ok(_) => running = false,
            Err(e) => run.failures.push(format!("daemon: {e}")),
        }
    }
    let ok = run.failures.is_empty();
    let report = Report::new(&r, "down", running, run, ok)?;
    Ok(finish(ctx.out, &report, ctx.json))
}

fn status(ctx: &Ctx<'_>, t: &RepositoryTarget, timeout: Duration) -> Result<u8> {
    let r = resolve(ctx, t, false)?;
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
    let mut report = Report::new(&r, "status", running, run, true)?;
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

/// One registered repository as `repository list` shows it.
#[derive(Serialize)]
struct ListRow {
    name: String,
    path: PathBuf,
    network_id: u32,
    daemon_running: bool,
    services_running: usize,
    services_total: usize,
    leases: Vec<leases::Lease>,
    /// Why the slot map could not be read (the folder moved, the file is corrupt).
    error: Option<String>,
}

#[derive(Serialize)]
struct ListReport {
    schema: u32,
    repositories: Vec<ListRow>,
}

/// Every registered repository with its daemon, services and leases. A daemon that is down
/// costs one `stat` of its socket, so a machine of many stopped repositories lists at once.
fn list(ctx: &Ctx<'_>) -> Result<u8> {
    let entries =
        registry::read(&ctx.state_dir).map_err(Error::io(registry::path_in(&ctx.state_dir)))?;
    let all_leases = leases::list(&ctx.state_dir)?;
    let rows: Vec<ListRow> = entries
        .into_iter()
        .map(|e| list_row(ctx, e, &all_leases))
        .collect();
    if ctx.json {
        ctx.out.json(&ListReport {
            schema: 1,
            repositories: rows,
        });
        return Ok(0);
    }
    if rows.is_empty() {
        ctx.out
            .note("no repository registered yet (`renet repository up` registers one)");
    }
    for r in &rows {
        let leases: Vec<String> = r
            .leases
            .iter()
            .map(|l| {
                format!(
                    "{}:{}/{}->{}",
                    l.key.service, l.key.container_port, l.key.proto, l.external_port
                )
            })
            .collect();
        ctx.out.data(&format!(
            "{:<20} {:<6} {:<11} {}/{} running  {}  {}",
            r.name,
            r.network_id,
            if r.daemon_running {
                "daemon up"
            } else {
                "daemon down"
            },
            r.services_running,
            r.services_total,
            r.path.display(),
            leases.join(" ")
        ));
    }
    Ok(0)
}

fn list_row(ctx: &Ctx<'_>, e: registry::Entry, all_leases: &[leases::Lease]) -> ListRow {
    let id = NetworkId::new(u64::from(e.network_id));
    let running = id.as_ref().is_ok_and(|id| {
        let paths = DaemonPaths::new(&ctx.run_dir, &ctx.state_dir, *id, Some(&e.path));
        daemon::status(&Bollard, *id, &paths).running
    });
    let (services, error) = match slotmap::read(&e.path) {
        Ok(map) => (map.services().into_keys().collect::<Vec<_>>(), None),
        Err(err) => (Vec::new(), Some(err.to_string())),
    };
    let containers = match (&id, running) {
        (Ok(id), true) => daemon::containers(&Bollard, &daemon::socket_path(&ctx.run_dir, *id))
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let services_running = services
        .iter()
        .filter(|s| {
            containers
                .iter()
                .any(|c| &c.service == *s && c.state == "running")
        })
        .count();
    ListRow {
        services_total: services.len(),
        services_running,
        leases: all_leases
            .iter()
            .filter(|l| l.key.network_id == e.network_id)
            .cloned()
            .collect(),
        daemon_running: running,
        error,
        name: e.name,
        path: e.path,
        network_id: e.network_id,
    }
}
