use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::Ctx;
use crate::allocator::var_name;
use crate::cli::ComposeArgs;
use crate::compose_bin::{self, Invocation};
use crate::daemon::{DaemonError, socket_path};
use crate::error::{Error, Result};
use crate::network::{NetworkId, Slot};
use crate::rewrite::{self, RewriteContext};
type Slots = std::collections::BTreeMap<String, Slot>;

use crate::{compat_v1, compose, compose_args, output, settings, slotmap};

/// The compose files: `-f` options, else `COMPOSE_FILE`, else the default names in the working
/// folder or the nearest ancestor that has them (compose's own search).
fn select_files(ctx: &Ctx<'_>, from_args: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !from_args.is_empty() {
        return Ok(from_args
            .iter()
            .map(|f| settings::absolute(&ctx.cwd, f))
            .collect());
    }
    if let Some(list) = ctx.env.var("COMPOSE_FILE") {
        let sep = ctx
            .env
            .var("COMPOSE_PATH_SEPARATOR")
            .unwrap_or_else(|| ":".to_owned());
        let names: Vec<&str> = list.split(sep.as_str()).filter(|s| !s.is_empty()).collect();
        if names.contains(&"-") {
            return Err(compose_args::ArgsError::Stdin.into());
        }
        let files: Vec<PathBuf> = names
            .into_iter()
            .map(|f| settings::absolute(&ctx.cwd, Path::new(f)))
            .collect();
        return Ok(files);
    }
    for dir in ctx.cwd.ancestors() {
        if let Some(files) = compose::default_files(dir)? {
            return Ok(files);
        }
    }
    Err(Error::ComposeInput(format!(
        "no compose file found in {} or its parent folders (looked for compose.yaml, compose.yml, \
         docker-compose.yaml, docker-compose.yml); run from the stack's folder or pass -f FILE after --",
        ctx.cwd.display()
    )))
}

impl From<compose_args::ArgsError> for Error {
    fn from(e: compose_args::ArgsError) -> Self {
        Error::Usage(e.to_string())
    }
}

fn project_name(
    args: &compose_args::ComposeArgs,
    ctx: &Ctx<'_>,
    model: &Map<String, Value>,
    dir: &Path,
) -> String {
    let raw = args
        .project_name
        .clone()
        .or_else(|| ctx.env.var("COMPOSE_PROJECT_NAME"))
        .or_else(|| {
            model
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.contains('$'))
                .map(str::to_owned)
        })
        .or_else(|| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let name = compose_args::normalize_project_name(&raw);
    if name.is_empty() {
        "default".to_owned()
    } else {
        name
    }
}

/// `NAME=value` for every service of the repository, plus the network ID, sorted.
fn exported(id: NetworkId, slots: &Slots) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = slots
        .iter()
        .map(|(n, s)| (var_name(n), id.slot_addr(*s).to_string()))
        .collect();
    vars.push(("REDIACC_NETWORK_ID".to_owned(), id.to_string()));
    vars.sort();
    vars
}

fn shell_words(argv: &[OsString]) -> String {
    argv.iter()
        .map(|a| {
            let s = a.to_string_lossy();
            if !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/._-=:,@+".contains(&b))
            {
                s.into_owned()
            } else {
                format!("'{}'", s.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Write the model where only root can read it (it may hold environment values).
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = path.parent().expect("model file has a folder");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(Error::io(dir))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().expect("name").to_string_lossy(),
        std::process::id()
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(Error::io(&tmp))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))
}

pub fn run(ctx: &Ctx<'_>, args: ComposeArgs) -> Result<u8> {
    let id = settings::network_id(args.network.network_id, ctx.env)?;
    let repo = settings::repo_dir(args.repo.repo.as_deref(), ctx.env, &ctx.cwd)?;
    let user = compose_args::parse(&args.args)?;
    let files = select_files(ctx, &user.files)?;
    let project_dir = match &user.project_directory {
        Some(d) => settings::absolute(&ctx.cwd, d),
        None => files[0]
            .parent()
            .map_or_else(|| ctx.cwd.clone(), Path::to_path_buf),
    };
    let project = compose::load(&files, &project_dir)?;
    let run_dir = ctx.run_dir.clone();
    let state_dir = ctx.state_dir.clone();
    let protected = [
        run_dir.display().to_string(),
        state_dir.display().to_string(),
    ];
    if !args.allow_unsafe {
        let findings = rewrite::dangerous_settings(&project.model, &protected);
        if !findings.is_empty() {
            return Err(Error::Dangerous { findings });
        }
    }
    let path_env = ctx.env.var("PATH");
    let flavour = compose_bin::detect(
        path_env.as_deref(),
        ctx.env.var("DOCKER_CONFIG").as_deref(),
        ctx.env.var("HOME").as_deref(),
    )
    .ok_or(Error::ComposeMissing)?;
    let socket = socket_path(&run_dir, id);
    if !args.dry_run && !socket.exists() {
        let repo_hint = format!(" --repo {}", repo.display());
        return Err(DaemonError::NotRunning {
            network: id,
            socket,
            repo_hint,
        }
        .into());
    }
    // Inside a Rediaccfile, `renet repository up --name X` reaches compose through the environment.
    let name_flag = args
        .name
        .clone()
        .or_else(|| ctx.env.var("REDIACC_REPOSITORY"));
    let names: Vec<String> = rewrite::services(&project.model)
        .map(|(n, _)| n.clone())
        .collect();

    // Slots and restart policies are settled under the repository lock; a dry run works on a
    // copy and writes nothing.
    let settle = |path: &Path, map: &mut slotmap::SlotMap| -> Result<(rewrite::Rewritten, Slots)> {
        map.allocate(path, names.iter().map(String::as_str))?;
        let slots = map.slots();
        let repo_name = settings::repo_name(name_flag.as_deref(), map.name(), &repo);
        let rctx = RewriteContext {
            network: id,
            repo_name: &repo_name,
            slots: &slots,
            protected: &protected,
        };
        let out = rewrite::rewrite(&project.model, &rctx);
        for (svc, policy) in &out.restart_policies {
            map.set_restart_policy(svc, policy.as_deref());
        }
        Ok((out, slots))
    };
    let (rewritten, slots) = if args.dry_run {
        let mut map = slotmap::read(&repo)?;
        settle(&slotmap::path_in(&repo), &mut map)?
    } else {
        slotmap::update(&repo, |path, map| -> Result<_, Error> {
            let before = map.to_json();
            let settled = settle(path, map)?;
            let changed = map.to_json() != before;
            Ok((settled, changed))
        })?
    };
    let mut model = rewritten.model;
    for w in &rewritten.warnings {
        output::warn(w);
    }
    if flavour.is_v1() {
        for key in compat_v1::downgrade(&mut model) {
            output::warn(&format!(
                "{key} dropped: docker-compose 1.x does not support it"
            ));
        }
    }

    let name = project_name(&user, ctx, &project.model, &project_dir);
    let model_file = run_dir
        .join(format!("compose-{id}"))
        .join(format!("{name}.json"));
    let argv = compose_bin::command_line(
        &flavour,
        &Invocation {
            model_file: &model_file,
            project_directory: &project_dir,
            project_name: &name,
            globals: &user.globals,
            rest: &user.rest,
        },
    );
    let vars = exported(id, &slots);
    let docker_host = format!("unix://{}", socket_path(&run_dir, id).display());
    // Port leases (SPEC section 6): taken before `up`/`start` runs (all or nothing: an exhausted
    // range starts nothing), released after a successful `down`.
    let release_after = match user.subcommand() {
        Some("up" | "start") => {
            super::ports::lease_for_model(ctx, id, &model, args.dry_run)?;
            None
        }
        Some("down") if !args.dry_run => Some(super::ports::down_services(&user.rest, &model)),
        _ => None,
    };
    let mut text = serde_json::to_string_pretty(&Value::Object(model)).expect("json");
    text.push('\n');

    if args.dry_run {
        output::data(text.trim_end());
        output::note(&format!("DOCKER_HOST={docker_host}"));
        for (k, v) in &vars {
            output::note(&format!("{k}={v}"));
        }
        output::note(&shell_words(&argv));
        return Ok(0);
    }

    write_private(&model_file, text.as_bytes())?;
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env("DOCKER_HOST", &docker_host)
        .env_remove("DOCKER_CONTEXT")
        .current_dir(&ctx.cwd);
    for (k, v) in &vars {
        cmd.env(k, v);
    }
    let watch = crate::signals::Watch::global();
    let mut child = cmd.spawn().map_err(Error::io(&argv[0]))?;
    let status = crate::signals::wait(&mut child, watch, false).map_err(Error::io(&argv[0]))?;
    // A compose killed by a signal reports no code; use the shell's 128+N convention.
    let code = status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + status.signal().unwrap_or(0)
    });
    if code == 0
        && let Some(services) = release_after
    {
        super::ports::release_services(ctx, id, &services)?;
    }
    Ok(u8::try_from(code).unwrap_or(1))
}
