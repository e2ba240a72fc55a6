use std::path::PathBuf;
use std::time::Duration;

use super::Ctx;
use crate::cli::{DaemonArgs, DaemonCommand, DaemonTarget};
use crate::daemon::{self, DaemonPaths};
use crate::docker::Bollard;
use crate::error::{Result, code};
use crate::network::NetworkId;
use crate::settings;

fn resolve(ctx: &Ctx<'_>, t: &DaemonTarget) -> Result<(NetworkId, Option<PathBuf>, DaemonPaths)> {
    let id = settings::network_id(t.network.network_id, ctx.env)?;
    let repo = settings::find_repo(t.repo.as_deref(), ctx.env, &ctx.cwd)?;
    let paths = DaemonPaths::new(&ctx.run_dir, &ctx.state_dir, id, repo.as_deref());
    Ok((id, repo, paths))
}

pub fn run(ctx: &Ctx<'_>, args: DaemonArgs) -> Result<u8> {
    match args.command {
        DaemonCommand::Start {
            target,
            timeout,
            foreground,
        } => start(ctx, &target, Duration::from_secs(timeout), foreground),
        DaemonCommand::Stop { target, timeout } => stop(ctx, &target, Duration::from_secs(timeout)),
        DaemonCommand::Status { target } => status(ctx, &target),
        DaemonCommand::List => list(ctx),
        DaemonCommand::Unit { target } => unit(ctx, &target),
    }
}

fn start(ctx: &Ctx<'_>, target: &DaemonTarget, timeout: Duration, foreground: bool) -> Result<u8> {
    let path_env = ctx.env.var("PATH");
    let (id, repo, paths) = resolve(ctx, target)?;
    if foreground {
        return Err(
            daemon::exec_foreground(id, &paths, repo.as_deref(), path_env.as_deref()).into(),
        );
    }
    if !ctx.json {
        ctx.out.note(&format!(
            "starting dockerd for network {id} on {} ...",
            paths.socket.display()
        ));
    }
    let r = daemon::start(id, &paths, repo.as_deref(), timeout, path_env.as_deref())?;
    if ctx.json {
        ctx.out.json(&r);
    } else if r.already_running {
        ctx.out.note(&format!(
            "daemon for network {id} already running on {}",
            r.socket.display()
        ));
    } else {
        ctx.out.note(&format!(
            "daemon for network {id} running (pid {}) on {} after {:.1}s; data in {}",
            r.pid.unwrap_or(0),
            r.socket.display(),
            r.seconds,
            r.data_root.display()
        ));
        ctx.out.note(&format!(
            "use it: DOCKER_HOST=unix://{} docker ps",
            r.socket.display()
        ));
    }
    Ok(0)
}

fn stop(ctx: &Ctx<'_>, target: &DaemonTarget, timeout: Duration) -> Result<u8> {
    let (id, _, paths) = resolve(ctx, target)?;
    let r = daemon::stop(id, &paths, timeout)?;
    if ctx.json {
        ctx.out.json(&r);
        return Ok(0);
    }
    for n in &r.notes {
        ctx.out.note(&format!("note: {n}"));
    }
    if r.was_running {
        ctx.out.note(&format!(
            "daemon for network {id} (pid {}) stopped after {:.1}s",
            r.pid.unwrap_or(0),
            r.seconds
        ));
    } else {
        ctx.out
            .note(&format!("daemon for network {id} was not running"));
    }
    Ok(0)
}

fn status(ctx: &Ctx<'_>, target: &DaemonTarget) -> Result<u8> {
    let (id, _, paths) = resolve(ctx, target)?;
    let s = daemon::status(&Bollard, id, &paths);
    if ctx.json {
        ctx.out.json(&s);
    } else {
        ctx.out.data(&status_line(&s));
        notes(ctx, &s);
    }
    Ok(if s.running { 0 } else { code::DAEMON_DOWN })
}

fn list(ctx: &Ctx<'_>) -> Result<u8> {
    let run_dir = &ctx.run_dir;
    let all = daemon::list(&Bollard, run_dir, &ctx.state_dir)?;
    if ctx.json {
        ctx.out.json(&all);
    } else if all.is_empty() {
        ctx.out
            .note(&format!("no daemon sockets in {}", run_dir.display()));
    } else {
        for s in &all {
            ctx.out.data(&status_line(s));
            notes(ctx, s);
        }
    }
    Ok(0)
}

fn unit(ctx: &Ctx<'_>, target: &DaemonTarget) -> Result<u8> {
    let (id, repo, _) = resolve(ctx, target)?;
    let me = std::env::current_exe().map_err(crate::error::Error::IoPlain)?;
    let text = daemon::unit(id, &me, repo.as_deref(), &ctx.run_dir, &ctx.state_dir);
    if ctx.json {
        ctx.out.json(
            &serde_json::json!({ "network_id": id.get(), "name": format!("rediacc-docker-{id}.service"), "unit": text }),
        );
    } else {
        ctx.out.data(text.trim_end());
    }
    Ok(0)
}

fn status_line(s: &daemon::Status) -> String {
    match &s.engine {
        Some(e) => format!(
            "{}  running  pid {}  docker {} (API {})  containers {}/{} running  {}",
            s.network_id,
            s.pid.map_or_else(|| "?".to_owned(), |p| p.to_string()),
            e.version,
            e.api_version,
            e.containers_running,
            e.containers,
            s.socket.display()
        ),
        None => match s.pid {
            Some(pid) => format!(
                "{}  {}  pid {pid}  {}",
                s.network_id,
                s.state,
                s.socket.display()
            ),
            None => format!("{}  {}  {}", s.network_id, s.state, s.socket.display()),
        },
    }
}

fn notes(ctx: &Ctx<'_>, s: &daemon::Status) {
    for n in &s.notes {
        ctx.out.note(&format!("  note ({}): {n}", s.network_id));
    }
}
