//! `renet machine units`: every systemd unit this machine needs at boot: the route server, the
//! proxy, one daemon per registered repository, and a oneshot bringing the repositories up.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Ctx;
use crate::cli::MachineUnitsArgs;
use crate::commands::proxy::{UnitFiles, unit_settings};
use crate::error::{Error, Result};
use crate::machine::MachineError;
use crate::network::NetworkId;
use crate::quote;
use crate::routes::proxy;
use crate::settings::{self, DEFAULT_ROUTE_SERVER};

/// `$RENET_STATE_DIR/repositories.json`, as `renet repository` registers repositories.
const REGISTRY: &str = "repositories.json";
const UNIT_DIR: &str = "etc/systemd/system";

#[derive(Debug, Deserialize)]
struct Registry {
    #[serde(default)]
    repositories: Vec<Registered>,
}

#[derive(Debug, Deserialize)]
struct Registered {
    name: String,
    path: PathBuf,
    network_id: u64,
    #[serde(default)]
    state: crate::registry::State,
}

/// A registered repository, its network ID checked.
struct Repository {
    name: String,
    path: PathBuf,
    network: NetworkId,
    /// `repository down` marked it down: boot does not bring it up.
    up: bool,
}

/// The registry's repositories; none when it does not exist (yet).
fn registered(state_dir: &Path) -> Result<Vec<Repository>> {
    let path = state_dir.join(REGISTRY);
    let text = match fs_err::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::IoPlain(e)),
    };
    let corrupt = |reason: String| MachineError::Corrupt {
        path: path.clone(),
        reason,
    };
    let registry: Registry = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    let mut out = Vec::new();
    for r in registry.repositories {
        let network = NetworkId::new(r.network_id)
            .map_err(|e| corrupt(format!("repository {:?}: {e}", r.name)))?;
        out.push(Repository {
            name: r.name,
            path: r.path,
            network,
            up: r.state == crate::registry::State::Up,
        });
    }
    Ok(out)
}

/// The route server and Traefik, as `proxy unit` writes them, one (name, text) each. The route
/// server gets no naming flags: it reads machine.json at every start, so `machine set` and a
/// restart change the routes without rewriting the unit.
fn proxy_units(ctx: &Ctx<'_>, a: &MachineUnitsArgs, renet: &Path) -> Vec<(String, String)> {
    // An unreadable machine.json has already failed the command (the repository units read it).
    let config_dir = crate::machine::Machine::load(&ctx.state_dir)
        .unwrap_or_default()
        .proxy_config_dir(a.config_dir.as_deref());
    let files = UnitFiles {
        traefik: &a.traefik,
        config_dir: &config_dir,
        cf_dns_token_file: a.cf_dns_token_file.as_deref(),
    };
    let listen = vec!["--listen".to_owned(), DEFAULT_ROUTE_SERVER.to_owned()];
    let text = proxy::units(&unit_settings(ctx, &files, renet.to_owned(), listen));
    // `proxy unit` prints both units, each after a "# --- /etc/systemd/system/NAME ---" line.
    let mut units: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let header = line
            .strip_prefix("# --- /etc/systemd/system/")
            .and_then(|l| l.strip_suffix(" ---"));
        match (header, units.last_mut()) {
            (Some(name), _) => units.push((name.to_owned(), String::new())),
            (None, Some((_, body))) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    for (_, body) in &mut units {
        let trimmed = body.trim_end().len();
        body.truncate(trimmed);
        body.push('\n');
    }
    units
}

/// The oneshot that brings every repository up once its daemon runs (and down at shutdown, in
/// reverse order). A failing repository is logged and the others still start (`-` prefix).
fn repositories_unit(ctx: &Ctx<'_>, renet: &Path, repos: &[&Repository]) -> String {
    let daemons: Vec<String> = repos
        .iter()
        .map(|r| format!("rediacc-docker-{}.service", r.network))
        .collect();
    let command = |verb: &str, r: &Repository| {
        format!(
            "{} repository {verb} --path {} --network-id {} --name {}",
            quote::systemd_arg(&renet.display().to_string()),
            quote::systemd_arg(&r.path.display().to_string()),
            r.network,
            quote::systemd_arg(&r.name),
        )
    };
    let starts: String = repos
        .iter()
        // `--wait 0`: a repository whose services are slow to listen must not hold the next
        // one's start for the readiness wait; `repository list|status` report readiness.
        .map(|r| format!("ExecStart=-{} --wait 0\n", command("up", r)))
        .collect();
    let stops: String = repos
        .iter()
        .rev()
        .map(|r| format!("ExecStop=-{}\n", command("down", r)))
        .collect();
    format!(
        "[Unit]\n\
         Description=renet: bring every registered repository up\n\
         After=network-online.target rediacc-router.service {daemons}\n\
         Wants=network-online.target rediacc-router.service {daemons}\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         TimeoutStartSec=0\n\
         Environment={run}\n\
         Environment={state}\n\
         {starts}{stops}\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        daemons = daemons.join(" "),
        run = quote::systemd_env("RENET_RUN_DIR", &ctx.run_dir.display().to_string()),
        state = quote::systemd_env("RENET_STATE_DIR", &ctx.state_dir.display().to_string()),
    )
}

pub(super) fn run(ctx: &Ctx<'_>, a: &MachineUnitsArgs) -> Result<u8> {
    let renet = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/usr/local/bin/renet"));
    let repos = registered(&ctx.state_dir)?;
    let mut units = proxy_units(ctx, a, &renet);
    for r in &repos {
        units.push((
            format!("rediacc-docker-{}.service", r.network),
            crate::daemon::unit(
                r.network,
                &renet,
                Some(&r.path),
                &ctx.run_dir,
                &ctx.state_dir,
            ),
        ));
    }
    let up: Vec<&Repository> = repos.iter().filter(|r| r.up).collect();
    if !up.is_empty() {
        // Without a repository there is nothing to run, and systemd refuses a oneshot with no
        // ExecStart.
        units.push((
            "rediacc-repositories.service".to_owned(),
            repositories_unit(ctx, &renet, &up),
        ));
    }
    let dir = settings::absolute(&ctx.cwd, &a.root).join(UNIT_DIR);
    fs_err::create_dir_all(&dir)?;
    let mut written = Vec::new();
    for (name, text) in &units {
        let path = dir.join(name);
        crate::atomic::write(&path, text.as_bytes(), Some(0o644)).map_err(Error::io(&path))?;
        written.push(path);
    }
    warn_stale(ctx, &dir, &units);
    if ctx.json {
        let units: Vec<_> = units
            .iter()
            .zip(&written)
            .map(|((name, _), path)| serde_json::json!({ "name": name, "path": path }))
            .collect();
        ctx.out.json(&serde_json::json!({ "units": units }));
    } else {
        for path in &written {
            ctx.out.data(&path.display().to_string());
        }
        ctx.out.note(
            "run `systemctl daemon-reload` and `systemctl enable --now` the units to start them at boot",
        );
    }
    Ok(0)
}

/// Daemon units of repositories no longer registered are left alone (they may still run), but
/// said.
fn warn_stale(ctx: &Ctx<'_>, dir: &Path, units: &[(String, String)]) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("rediacc-docker-")
            && name.ends_with(".service")
            && !units.iter().any(|(n, _)| *n == name)
        {
            ctx.out.warn(&format!(
                "{}: not a registered repository's daemon any more (left in place)",
                entry.path().display()
            ));
        }
    }
}
