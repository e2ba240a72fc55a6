//! `renet compose`: Docker Compose on the repository's own daemon (SPEC section 3). The
//! pipeline is `crate::compose`; this module resolves its inputs and carries out its plan: the
//! slot lock, the port leases, the model file, compose itself.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::Ctx;
use crate::cli::ComposeArgs;
use crate::compose::args as compose_args;
use crate::compose::plan::{self, Inputs, Plan, Ports, Slots};
use crate::compose::{bin as compose_bin, danger, files, hosts, name, rewrite};
use crate::daemon::{DaemonError, socket_path};
use crate::error::{Error, Result};
use crate::leases::{RANGE_VAR, for_model};
use crate::network::NetworkId;
use crate::slotmap::{self, SlotMap};
use crate::{atomic, compose, settings};

/// Resolve the inputs in the order their errors are reported (network, repository, arguments,
/// files, model and project name, danger, compose binary, daemon), settle the slots, plan,
/// carry the plan out.
pub fn run(ctx: &Ctx<'_>, args: ComposeArgs) -> Result<u8> {
    let id = settings::network_id(args.network.network_id, ctx.env)?;
    let repo = settings::repo_dir(args.repo.repo.as_deref(), ctx.env, &ctx.cwd)?;
    let user = compose_args::parse(&args.args)?;
    let (project, project_dir, project_name, project_env) = load_project(ctx, &user, &repo)?;
    let run_dir = ctx.run_dir.clone();
    let state_dir = ctx.state_dir.clone();
    if !args.allow_unsafe {
        refuse_dangerous(ctx, &repo, id, (&project.model, &project_dir), &project_env)?;
    }
    let flavour = compose_bin::detect(
        ctx.env.var("PATH").as_deref(),
        ctx.env.var("DOCKER_CONFIG").as_deref(),
        ctx.env.var("HOME").as_deref(),
    )
    .ok_or(Error::ComposeMissing)?;
    let version = compose_bin::version(&flavour, &run_dir)?;
    // Inside a Rediaccfile, `renet repository up --name X` reaches compose through the environment.
    let name_flag = args
        .name
        .clone()
        .or_else(|| ctx.env.var("REDIACC_REPOSITORY"));
    let who = Identity {
        name_flag: name_flag.as_deref(),
        id,
        rename: args.rename,
    };
    // Before the daemon: a wrong network ID names the kept one, whether or not its daemon runs.
    slotmap::read(&repo)?
        .check_identity(&repo, who.name_flag, id, who.rename)
        .map_err(slotmap::SlotMapError::from)?;
    let socket = socket_path(&run_dir, id);
    if !args.dry_run && !socket.exists() {
        // A stopped daemon runs no container: `down` has nothing to do, and a repository
        // brought down twice (`repository down` again) must not fail on it.
        if user.subcommand() == Some("down") {
            ctx.out.note(&format!(
                "docker daemon for network {id} is not running: nothing to bring down"
            ));
            return Ok(0);
        }
        let repo_hint = format!(" --repo {}", repo.display());
        return Err(DaemonError::NotRunning {
            network: id,
            socket,
            repo_hint,
        }
        .into());
    }
    super::repository::refuse_other_repository(ctx, id, &repo)?;
    if !args.dry_run {
        compose_bin::remember(&run_dir, &version);
    }
    // The new slots stay in memory, under the lock, until every refusal has been decided.
    let mut pending = Pending::open(&repo, args.dry_run)?;
    let (slots, repo_name) = settle_slots(&repo, &mut pending, &project.model, &who)?;
    if !args.no_preflight && !args.dry_run && user.subcommand() == Some("up") {
        preflight(ctx, &user, &project.model, &slots, who.id)?;
    }
    // Compose reads the hosts files' mount sources against the project folder: absolute.
    let state_abs = settings::absolute(&ctx.cwd, &state_dir);
    let mut plan = plan::plan(&Inputs {
        network: id,
        repo_name: &repo_name,
        model: &project.model,
        project_dir: &project_dir,
        slots: &slots,
        flavour: &flavour,
        v1: version.is_v1(),
        user: &user,
        project_name: &project_name,
        run_dir: &run_dir,
        state_dir: &state_abs,
        socket: &socket,
        dry_run: args.dry_run,
    });
    for w in &plan.warnings {
        ctx.out.warn(w);
    }
    // Leases are taken before anything is written and before `up`/`start` runs: a bad port
    // label or an exhausted range (all or nothing, one transaction) writes no slot and starts
    // nothing. Then the slots, the hosts files, the model.
    let range = ctx.env.var(RANGE_VAR);
    let release_after = lease_ports(&mut plan, ctx, &state_dir, range.as_deref(), args.dry_run)?;
    pending.commit()?;
    write_hosts(
        ctx,
        &repo,
        &state_abs,
        id,
        &project.model,
        &slots,
        args.dry_run,
    )?;
    let code = carry_out(plan, release_after, ctx, &state_dir, id, args.dry_run)?;
    if code == 0 && !args.dry_run {
        slotmap::keep_identity(&repo, Some(&repo_name), id, args.rename)?;
    }
    Ok(code)
}

/// The run's claim on the repository's identity (SPEC section 3 "Identity").
struct Identity<'a> {
    name_flag: Option<&'a str>,
    id: NetworkId,
    rename: bool,
}

/// The files, the merged model, the project folder and the project name, as Compose v2 settles
/// them.
fn load_project<'e>(
    ctx: &Ctx<'e>,
    user: &compose_args::ComposeArgs,
    repo: &Path,
) -> Result<(compose::Project, PathBuf, String, files::ProjectEnv<'e>)> {
    let chosen_dir = project_directory(user, repo, &ctx.cwd);
    let selection = files::select(
        ctx.env,
        &files::Request {
            cwd: &ctx.cwd,
            files: &user.files,
            env_files: &user.env_files,
            project_dir: chosen_dir.as_deref(),
            repo: Some(repo),
        },
    )?;
    let project = compose::load_in(&selection.files, &selection.project_dir, Some(repo))?;
    let name = name::project_name(
        user.project_name.as_deref(),
        &selection.env,
        project.model.get("name"),
        &selection.project_dir,
    )?;
    Ok((project, selection.project_dir, name, selection.env))
}

/// `--project-directory`, else the repository when the working folder is outside it (as if
/// `--project-directory` named it), else None: compose's own search from the working folder.
fn project_directory(user: &compose_args::ComposeArgs, repo: &Path, cwd: &Path) -> Option<PathBuf> {
    if let Some(dir) = &user.project_directory {
        return Some(dir.clone());
    }
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let inside = canonical(cwd).starts_with(canonical(repo));
    (!inside).then(|| repo.to_path_buf())
}

/// Without `--unsafe`, settings that hand a container the machine, or renet's own run and state
/// folders, stop the run. The gate sees the variables compose will see: the project's, and
/// those renet exports (every service of the model and of the slot map).
fn refuse_dangerous(
    ctx: &Ctx<'_>,
    repo: &Path,
    id: NetworkId,
    (model, project_dir): (&Map<String, Value>, &Path),
    env: &files::ProjectEnv<'_>,
) -> Result<()> {
    let mut services: std::collections::BTreeSet<String> =
        compose::services(model).map(|(n, _)| n.clone()).collect();
    // An unreadable slot map is reported (exit 3) right after this check.
    if let Ok(map) = slotmap::read(repo) {
        services.extend(map.slots().into_keys());
    }
    let socket = settings::absolute(&ctx.cwd, &socket_path(&ctx.run_dir, id));
    let exports = danger::Exports {
        docker_host: format!("unix://{}", socket.display()),
        network_id: id.to_string(),
        services,
    };
    let home = ctx.env.var("HOME").map(PathBuf::from);
    let renet_dirs = [
        settings::absolute(&ctx.cwd, &ctx.run_dir),
        settings::absolute(&ctx.cwd, &ctx.state_dir),
    ];
    let findings = danger::dangerous_settings(
        model,
        &danger::Gate {
            env: &|k| env.get(k),
            exports: &exports,
            project_dir,
            home: home.as_deref(),
            renet_dirs: &renet_dirs,
        },
    );
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Error::Dangerous { findings })
    }
}

/// The slot map of a run: locked and written once every refusal is decided, or (dry run) a
/// copy that is never written.
enum Pending {
    Locked(slotmap::Locked),
    Copy(SlotMap),
}

impl Pending {
    fn open(repo: &Path, dry_run: bool) -> Result<Self> {
        Ok(if dry_run {
            Pending::Copy(slotmap::read(repo)?)
        } else {
            Pending::Locked(slotmap::Locked::open(repo)?)
        })
    }

    fn map(&mut self) -> &mut SlotMap {
        match self {
            Pending::Locked(l) => &mut l.map,
            Pending::Copy(m) => m,
        }
    }

    /// Write what changed (nothing for a dry run) and release the lock.
    fn commit(self) -> Result<()> {
        match self {
            Pending::Locked(l) => Ok(l.commit()?),
            Pending::Copy(_) => Ok(()),
        }
    }
}

/// Before `up` starts anything: the ports every starting service will listen on must be free
/// on its address (SPEC section 8). It runs before the new slots are written, so a refusal
/// leaves `.rediacc.json` as it was. Listening sockets that cannot be read are a warning, not a
/// refusal.
fn preflight(
    ctx: &Ctx<'_>,
    user: &compose_args::ComposeArgs,
    model: &Map<String, Value>,
    slots: &Slots,
    network: NetworkId,
) -> Result<()> {
    use crate::doctor::preflight;
    let up_args: Vec<String> = user
        .rest
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let request = preflight::Request {
        model,
        slots,
        network,
        run_dir: &ctx.run_dir,
        up_args: &up_args,
        profiles: preflight::profiles(&user.globals, ctx.env.var("COMPOSE_PROFILES").as_deref()),
    };
    let host = crate::host::RealHost {
        path: ctx.env.var("PATH"),
    };
    match preflight::check(&host, &crate::docker::Bollard, &request) {
        Ok(outcome) => outcome.map_err(Error::from),
        Err(e) => {
            ctx.out.warn(&format!("preflight skipped: {e}"));
            Ok(())
        }
    }
}

/// Give every service of the model a slot and record the user's restart policies, in
/// `pending` (written later, by [`Pending::commit`]). Returns every slot of the repository,
/// and its name.
fn settle_slots(
    repo: &Path,
    pending: &mut Pending,
    model: &Map<String, Value>,
    who: &Identity<'_>,
) -> Result<(Slots, String)> {
    let names: Vec<&str> = compose::services(model).map(|(n, _)| n.as_str()).collect();
    let policies = rewrite::restart_policies(model);
    let path = slotmap::path_in(repo);
    let map = pending.map();
    let repo_name = map
        .check_identity(repo, who.name_flag, who.id, who.rename)
        .map_err(slotmap::SlotMapError::from)?;
    map.allocate(&path, names.iter().copied())?;
    for (svc, policy) in &policies {
        map.set_restart_policy(svc, policy.as_deref());
    }
    Ok((map.slots(), repo_name))
}

/// Every service's hosts file (SPEC section 3, step 4), before compose starts anything: the
/// services of this model with their own entries, every other file of the repository with the
/// new slot set. A dry run writes nothing and says what every file lists.
fn write_hosts(
    ctx: &Ctx<'_>,
    repo: &Path,
    state_dir: &Path,
    id: NetworkId,
    model: &Map<String, Value>,
    slots: &Slots,
    dry_run: bool,
) -> Result<()> {
    let own: BTreeMap<String, Vec<hosts::Entry>> = compose::services(model)
        .filter_map(
            |(name, svc)| match hosts::resolution(name, svc.as_object()?, slots, id) {
                hosts::Resolution::File(own) => Some((name.clone(), own)),
                _ => None,
            },
        )
        .collect();
    if dry_run {
        let names: Vec<String> = slots
            .iter()
            .map(|(n, s)| format!("{}={}", n, id.slot_addr(*s)))
            .collect();
        ctx.out.note(&format!(
            "hosts files (not written) in {} list {}",
            hosts::store::dir(state_dir, id).display(),
            names.join(" ")
        ));
        return Ok(());
    }
    hosts::store::refresh(repo, state_dir, id, &own, hosts::store::By::Compose)?;
    Ok(())
}

/// Lease the ports `up`/`start` needs (a dry run shows them). Returns the services whose
/// leases a successful `down` releases.
fn lease_ports(
    plan: &mut Plan,
    ctx: &Ctx<'_>,
    state_dir: &Path,
    range: Option<&str>,
    dry_run: bool,
) -> Result<Option<Vec<String>>> {
    match std::mem::replace(&mut plan.ports, Ports::Untouched) {
        Ports::Lease(keys) => {
            for_model::lease(ctx.out, state_dir, range, &keys?, dry_run)?;
            Ok(None)
        }
        Ports::ReleaseAfter(services) => Ok(Some(services)),
        Ports::Untouched => Ok(None),
    }
}

/// Show the plan (dry run) or write the model, run compose and release what a successful
/// `down` freed. Returns compose's exit status.
fn carry_out(
    plan: Plan,
    release_after: Option<Vec<String>>,
    ctx: &Ctx<'_>,
    state_dir: &Path,
    id: NetworkId,
    dry_run: bool,
) -> Result<u8> {
    let text = plan::model_text(&plan.model);
    if dry_run {
        ctx.out.data(text.trim_end());
        for (k, v) in &plan.env {
            ctx.out.note(&format!("{k}={v}"));
        }
        ctx.out.note(&shell_words(&plan.argv));
        return Ok(0);
    }
    write_model(&plan.model_file, &text)?;
    let code = exec(&plan.argv, &plan.env, &ctx.cwd)?;
    if code == 0
        && let Some(services) = release_after
    {
        for_model::release(ctx.out, state_dir, id, &services)?;
    }
    Ok(u8::try_from(code).unwrap_or(1))
}

/// Write the model where only root can read it (it may hold environment values).
fn write_model(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(Error::io(dir))?;
    }
    // The error already names the file.
    atomic::write(path, text.as_bytes(), Some(0o600)).map_err(Error::from)
}

/// Run compose with `env` added to renet's environment and wait for it, forwarding signals.
/// `DOCKER_CONTEXT` is removed: it would point compose at another daemon.
fn exec(argv: &[OsString], env: &[(String, String)], cwd: &Path) -> Result<i32> {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env_remove("DOCKER_CONTEXT")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd);
    let watch = crate::signals::Watch::global();
    let mut child = cmd.spawn().map_err(Error::io(&argv[0]))?;
    let status = crate::signals::wait(&mut child, watch, false).map_err(Error::io(&argv[0]))?;
    // A compose killed by a signal reports no code; use the shell's 128+N convention.
    Ok(status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    }))
}

fn shell_words(argv: &[OsString]) -> String {
    let words: Vec<std::borrow::Cow<'_, str>> = argv.iter().map(|a| a.to_string_lossy()).collect();
    crate::quote::shell_line(words.iter().map(AsRef::as_ref))
}
