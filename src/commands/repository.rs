//! `renet repository up|down|status`: what the workstation tool runs over SSH.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::Ctx;
use crate::allocator::var_name;
use crate::cli::{RepositoryArgs, RepositoryCommand, RepositoryTarget};
use crate::compose::files as compose_files;
use crate::daemon::{self, ContainerState, DaemonPaths};
use crate::error::{Error, Result};
use crate::network::NetworkId;
use crate::rediaccfile::{self, Rediaccfile, Run, RunOptions};
use crate::{context, output, slotmap};

struct Repo {
    id: NetworkId,
    path: PathBuf,
    name: String,
    paths: DaemonPaths,
    run_dir: PathBuf,
    state_dir: PathBuf,
}

fn resolve(ctx: &Ctx<'_>, t: &RepositoryTarget) -> Result<Repo> {
    let id = context::network_id(t.network.network_id.as_deref(), ctx.env)?;
    let given = context::absolute(&ctx.cwd, &t.path);
    if !given.is_dir() {
        return Err(Error::Usage(format!(
            "--path {}: no such folder; pass the repository folder (it holds the compose files and Rediaccfiles)",
            given.display()
        )));
    }
    // Canonical, so the daemon's record of its repository compares equal whatever the spelling.
    let path = given.canonicalize().map_err(Error::io(&given))?;
    let map = slotmap::read(&path)?;
    let name = context::repo_name(t.name.as_deref(), map.name(), &path);
    let run_dir = context::run_dir(ctx.env);
    let state_dir = context::state_dir(ctx.env);
    let paths = DaemonPaths::new(&run_dir, &state_dir, id, Some(&path));
    Ok(Repo {
        id,
        path,
        name,
        paths,
        run_dir,
        state_dir,
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
struct FileReport {
    #[serde(flatten)]
    file: Rediaccfile,
    runs: Vec<Run>,
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<String>,
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
        rediaccfiles: Vec<FileReport>,
        failures: Vec<String>,
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
            rediaccfiles,
            failures,
            ok,
        })
    }
}

fn services(r: &Repo, running: bool) -> Result<Vec<ServiceRow>> {
    let containers = if running {
        daemon::containers(&r.paths.socket).unwrap_or_default()
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

fn run_step(
    files: &mut [FileReport],
    i: usize,
    function: &str,
    opts: &RunOptions<'_>,
    step: (usize, usize),
    failures: &mut Vec<String>,
) -> bool {
    let f = &mut files[i];
    output::note(&format!(
        "[{}/{}] {function} {}",
        step.0,
        step.1,
        f.file.label()
    ));
    let (run, _) = rediaccfile::run(&f.file, function, opts);
    let ok = run.ok;
    if let Some(e) = &run.error {
        output::error(&format!("[{}] {e}", f.file.label()));
        failures.push(format!("{}: {e}", f.file.folder));
    } else if run.skipped {
        output::note(&format!(
            "[{}] {function} is not defined after sourcing; skipped",
            f.file.label()
        ));
    }
    f.runs.push(run);
    ok
}

/// SIGINT/SIGTERM stop a lifecycle run where it is: the function running got the signal, the
/// remaining ones do not start.
fn interrupted(failures: &mut Vec<String>) -> bool {
    let hit = crate::signals::Watch::global().interrupted();
    if hit && !failures.iter().any(|f| f.starts_with("interrupted")) {
        output::error("interrupted: the remaining Rediaccfile functions were not run");
        failures.push("interrupted by a signal: the remaining functions were not run".to_owned());
    }
    hit
}

pub fn run(ctx: &Ctx<'_>, args: RepositoryArgs) -> Result<u8> {
    match args.command {
        RepositoryCommand::Up { target, timeout } => {
            up(ctx, &target, timeout.map(Duration::from_secs))
        }
        RepositoryCommand::Down {
            target,
            stop_daemon,
            timeout,
        } => down(ctx, &target, stop_daemon, timeout.map(Duration::from_secs)),
        RepositoryCommand::Status { target, timeout } => {
            status(ctx, &target, Duration::from_secs(timeout))
        }
    }
}

fn load_files(r: &Repo) -> Result<Vec<FileReport>> {
    let files = rediaccfile::discover(&r.path).map_err(Error::io(&r.path))?;
    if files.is_empty() {
        output::note(&format!(
            "no Rediaccfile found in {} (nor in its first-level folders)",
            r.path.display()
        ));
    }
    Ok(files
        .into_iter()
        .map(|file| FileReport {
            file,
            runs: Vec::new(),
            info: None,
        })
        .collect())
}

fn finish(report: &Report, json: bool) -> u8 {
    if json {
        output::json(report);
    } else {
        output::note(&format!(
            "\nrepository {} (network {}, {})",
            report.repository,
            report.network_id,
            report.path.display()
        ));
        for f in &report.rediaccfiles {
            for r in &f.runs {
                let state = if r.skipped {
                    "skipped".to_owned()
                } else if r.ok {
                    "ok".to_owned()
                } else {
                    r.exit_status
                        .map_or_else(|| "failed".to_owned(), |c| format!("failed ({c})"))
                };
                output::note(&format!(
                    "  {:<6} {:<20} {:<10} {:.1}s",
                    r.function,
                    f.file.label(),
                    state,
                    r.seconds
                ));
            }
        }
        for s in &report.services {
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
            output::note(&format!("  {:<20} {:<15} {}", s.name, s.address, states));
        }
        if !report.failures.is_empty() {
            output::note("failures:");
            for f in &report.failures {
                output::note(&format!("  {f}"));
            }
        }
    }
    u8::from(!report.ok)
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

fn up(ctx: &Ctx<'_>, t: &RepositoryTarget, timeout: Option<Duration>) -> Result<u8> {
    let r = resolve(ctx, t)?;
    refuse_other_network(&r)?;
    let started = daemon::start(
        r.id,
        &r.paths,
        Some(&r.path),
        Duration::from_secs(60),
        ctx.env.var("PATH").as_deref(),
    )?;
    if !started.already_running {
        output::note(&format!(
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
    };
    let mut files = load_files(&r)?;
    let mut failures = Vec::new();
    let mut ok = true;
    let n = files.len();

    // A broken root Rediaccfile fails the run before anything runs.
    if let Some(root) = files.iter().find(|f| f.file.is_root())
        && let Some(p) = &root.file.problem
    {
        output::error(&format!("[root] {p}"));
        failures.push(format!(".: {p}"));
        ok = false;
    }
    if ok {
        let preps: Vec<usize> = (0..n)
            .filter(|i| files[*i].file.problem.is_none() && files[*i].file.defines("prep"))
            .collect();
        for (step, &i) in preps.iter().enumerate() {
            if !run_step(
                &mut files,
                i,
                "prep",
                &opts,
                (step + 1, preps.len()),
                &mut failures,
            ) || interrupted(&mut failures)
            {
                ok = false;
                break;
            }
        }
    }
    if ok {
        // A broken subfolder file is reported as a failed `up`, like a failing function.
        let ups: Vec<usize> = (0..n)
            .filter(|i| files[*i].file.problem.is_some() || files[*i].file.defines("up"))
            .collect();
        for (step, &i) in ups.iter().enumerate() {
            let good = run_step(
                &mut files,
                i,
                "up",
                &opts,
                (step + 1, ups.len()),
                &mut failures,
            );
            if (!good && files[i].file.is_root()) || interrupted(&mut failures) {
                ok = false;
                break;
            }
        }
    }
    let report = Report::new(&r, "up", true, files, failures, ok)?;
    Ok(finish(&report, t.json))
}

fn down(
    ctx: &Ctx<'_>,
    t: &RepositoryTarget,
    stop_daemon: bool,
    timeout: Option<Duration>,
) -> Result<u8> {
    let r = resolve(ctx, t)?;
    refuse_other_network(&r)?;
    let env = function_env(ctx, &r)?;
    let opts = RunOptions {
        env: &env,
        timeout,
        capture: false,
    };
    let mut files = load_files(&r)?;
    let mut failures = Vec::new();
    let n = files.len();
    // Subfolders Z to A, then the root: the reverse of `up`.
    let mut order: Vec<usize> = (0..n).filter(|i| !files[*i].file.is_root()).rev().collect();
    order.extend((0..n).filter(|i| files[*i].file.is_root()));
    order.retain(|i| files[*i].file.problem.is_some() || files[*i].file.defines("down"));
    for (step, &i) in order.iter().enumerate() {
        run_step(
            &mut files,
            i,
            "down",
            &opts,
            (step + 1, order.len()),
            &mut failures,
        );
        if interrupted(&mut failures) {
            break;
        }
    }
    let mut running = daemon::probe(&r.paths.socket).is_some();
    if stop_daemon {
        match daemon::stop(r.id, &r.paths, Duration::from_secs(60)) {
            Ok(_) => running = false,
            Err(e) => failures.push(format!("daemon: {e}")),
        }
    }
    let ok = failures.is_empty();
    let report = Report::new(&r, "down", running, files, failures, ok)?;
    Ok(finish(&report, t.json))
}

fn status(ctx: &Ctx<'_>, t: &RepositoryTarget, timeout: Duration) -> Result<u8> {
    let r = resolve(ctx, t)?;
    let running = daemon::probe(&r.paths.socket).is_some();
    let env = function_env(ctx, &r)?;
    let opts = RunOptions {
        env: &env,
        timeout: Some(timeout),
        capture: true,
    };
    let mut files = load_files(&r)?;
    let mut failures = Vec::new();
    for f in &mut files {
        if f.file.defines("info") {
            let (run, out) = rediaccfile::run(&f.file, "info", &opts);
            if let Some(e) = &run.error {
                failures.push(format!("{}: {e}", f.file.folder));
            }
            f.info = Some(out);
            f.runs.push(run);
        }
    }
    if !t.json {
        output::note(&format!(
            "daemon for network {}: {}",
            r.id,
            if running { "running" } else { "not running" }
        ));
        for f in &files {
            if let Some(info) = &f.info {
                for line in info.lines() {
                    output::note(&format!("[{}] {line}", f.file.label()));
                }
            }
        }
    }
    let ok = failures.is_empty();
    let report = Report::new(&r, "status", running, files, failures, ok)?;
    Ok(finish(&report, t.json))
}
