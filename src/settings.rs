//! Settings resolved once (uv's `settings.rs` pattern).
//!
//! `lib::run` builds one [`Settings`] from the global flags and the environment (the machine's
//! folders, the output mode, the working folder, the printer) and hands it to the command. What
//! a command targets (network ID, repository folder, repository name) is resolved by the
//! functions below, each the only place its rule is written. The environment is read through an
//! [`Env`] so tests can pass their own.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::network::{NetworkId, NetworkIdError, SlotError};
use crate::output::Printer;

/// `RENET_RUN_DIR` when unset: daemon sockets and runtime files.
pub(crate) const DEFAULT_RUN_DIR: &str = "/var/run/rediacc";
/// `RENET_STATE_DIR` when unset: machine state (the port-lease database).
pub(crate) const DEFAULT_STATE_DIR: &str = "/var/lib/rediacc";
/// Where the route server listens, and where `proxy config`/`proxy unit` expect it.
pub(crate) const DEFAULT_ROUTE_SERVER: &str = "127.0.0.1:7111";

/// The route server's configuration URL that Traefik polls by default.
pub(crate) fn default_route_server_url() -> String {
    format!("http://{DEFAULT_ROUTE_SERVER}/config")
}

/// Environment lookups, as a seam for tests.
pub(crate) trait Env {
    /// The variable's value; set but empty counts as unset.
    fn var(&self, name: &str) -> Option<String>;

    /// The variable's value, `Some("")` when set but empty: compose's interpolation tells the
    /// two apart (`${X-default}`).
    fn raw_var(&self, name: &str) -> Option<String> {
        self.var(name)
    }
}

pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }

    fn raw_var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// What every command shares, resolved once before it runs.
pub(crate) struct Settings<'a> {
    pub(crate) env: &'a dyn Env,
    pub(crate) cwd: PathBuf,
    /// `RENET_RUN_DIR`: daemon sockets and runtime files.
    pub(crate) run_dir: PathBuf,
    /// `RENET_STATE_DIR`: machine state.
    pub(crate) state_dir: PathBuf,
    /// `--json`: a command's report (and an error) is one JSON document on stdout.
    pub(crate) json: bool,
    /// The one sink commands print through.
    pub(crate) out: &'a Printer,
}

impl<'a> Settings<'a> {
    pub(crate) fn resolve(env: &'a dyn Env, cwd: PathBuf, json: bool, out: &'a Printer) -> Self {
        let dir =
            |name: &str, default: &str| PathBuf::from(env.var(name).as_deref().unwrap_or(default));
        Self {
            run_dir: dir("RENET_RUN_DIR", DEFAULT_RUN_DIR),
            state_dir: dir("RENET_STATE_DIR", DEFAULT_STATE_DIR),
            env,
            cwd,
            json,
            out,
        }
    }
}

/// `--network-id` (already parsed by clap), else `REDIACC_NETWORK_ID`, else legacy
/// `REPOSITORY_NETWORK_ID`; a bad value from the environment gets the flag's message.
pub(crate) fn network_id(flag: Option<NetworkId>, env: &dyn Env) -> Result<NetworkId> {
    if let Some(id) = flag {
        return Ok(id);
    }
    let text = env
        .var("REDIACC_NETWORK_ID")
        .or_else(|| env.var("REPOSITORY_NETWORK_ID"))
        .ok_or(Error::NoNetworkId)?;
    Ok(NetworkId::parse(&text)?)
}

pub(crate) fn optional_network_id(
    flag: Option<NetworkId>,
    env: &dyn Env,
) -> Result<Option<NetworkId>> {
    match network_id(flag, env) {
        Ok(id) => Ok(Some(id)),
        Err(Error::NoNetworkId) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `--repo`, else `REDIACC_WORKING_DIR`, else `REPOSITORY_PATH`, else the nearest ancestor of
/// `cwd` holding `.rediacc.json` or a Rediaccfile, else `cwd`. The result is canonical and an
/// existing folder.
pub(crate) fn repo_dir(flag: Option<&Path>, env: &dyn Env, cwd: &Path) -> Result<PathBuf> {
    Ok(find_repo(flag, env, cwd)?.unwrap_or_else(|| cwd.to_path_buf()))
}

/// Like [`repo_dir`] without the final fallback to `cwd`.
pub(crate) fn find_repo(flag: Option<&Path>, env: &dyn Env, cwd: &Path) -> Result<Option<PathBuf>> {
    let chosen = flag
        .map(Path::to_path_buf)
        .or_else(|| env.var("REDIACC_WORKING_DIR").map(PathBuf::from))
        .or_else(|| env.var("REPOSITORY_PATH").map(PathBuf::from));
    let dir = match chosen {
        Some(d) => absolute(cwd, &d),
        None => return Ok(search_upwards(cwd)),
    };
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "repository folder {} does not exist or is not a folder; pass --repo DIR",
            dir.display()
        )));
    }
    canonical(&dir).map(Some)
}

/// `repository up|down|status --path DIR`: required, an existing folder, made canonical.
pub(crate) fn repository_path(given: &Path, cwd: &Path) -> Result<PathBuf> {
    let dir = absolute(cwd, given);
    if !dir.is_dir() {
        return Err(Error::Usage(format!(
            "--path {}: no such folder; pass the repository folder (it holds the compose files and Rediaccfiles)",
            dir.display()
        )));
    }
    canonical(&dir)
}

/// One spelling per repository, so a daemon's record of its repository (and the refusal to
/// serve "another repository") compares equal however the folder was named: `../x`, a symlink.
fn canonical(dir: &Path) -> Result<PathBuf> {
    dir.canonicalize().map_err(Error::io(dir))
}

/// The repository holding `cwd`: the nearest folder upwards with `.rediacc.json` (the slot map
/// marks the root); without one, the nearest folder with a Rediaccfile, or its parent when the
/// parent has one too (a subfolder's Rediaccfile belongs to the repository above it).
fn search_upwards(cwd: &Path) -> Option<PathBuf> {
    use crate::rediaccfile::find_in;
    if let Some(d) = cwd
        .ancestors()
        .find(|d| d.join(crate::slotmap::FILE_NAME).is_file())
    {
        return Some(d.to_path_buf());
    }
    let d = cwd.ancestors().find(|d| find_in(d).is_some())?;
    match d.parent() {
        Some(p) if find_in(p).is_some() => Some(p.to_path_buf()),
        _ => Some(d.to_path_buf()),
    }
}

pub(crate) fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// The repository name: `--name`, else `name` in `.rediacc.json`, else the folder's name.
pub(crate) fn repo_name(flag: Option<&str>, from_file: Option<&str>, repo: &Path) -> String {
    flag.or(from_file)
        .map(str::to_owned)
        .or_else(|| repo.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "repository".to_owned())
}

/// A comma-separated port list's error (`--tcp-ports 5432,x`), with the parser's own text.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct PortListError(String);

/// Value parser of `--tcp-ports`/`--udp-ports`: sorted, without duplicates, "" for none.
pub(crate) fn port_list(raw: &str) -> Result<crate::cli::PortList, PortListError> {
    crate::routes::proxy::parse_ports(raw)
        .map(crate::cli::PortList)
        .map_err(|e| PortListError(e.to_string()))
}

/// A bad value that one of renet's typed parsers refused while clap read the command line, as
/// renet's own error: the same text, kind and exit status as the same value taken from the
/// environment (SPEC section 1), not clap's "invalid value ... for ..." wrapping.
pub(crate) fn argument_error(e: &clap::Error) -> Option<Error> {
    if e.kind() != clap::error::ErrorKind::ValueValidation {
        return None;
    }
    let source = std::error::Error::source(e)?;
    if let Some(e) = source.downcast_ref::<NetworkIdError>() {
        return Some(Error::NetworkId(e.clone()));
    }
    if let Some(e) = source.downcast_ref::<SlotError>() {
        return Some(Error::Slot(e.clone()));
    }
    source
        .downcast_ref::<PortListError>()
        .map(|e| Error::Usage(e.to_string()))
}

/// Whether `--json` is among the arguments renet reads itself (those before `--`), for an
/// error found while clap was still reading them. `--json` takes no value, and clap refuses a
/// value that starts with `--`, so every such argument is the flag.
pub(crate) fn json_requested(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct MapEnv(HashMap<&'static str, &'static str>);
    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    fn id(n: u64) -> NetworkId {
        NetworkId::new(n).unwrap()
    }

    #[test]
    fn network_id_precedence() {
        let env = MapEnv(HashMap::from([
            ("REDIACC_NETWORK_ID", "2880"),
            ("REPOSITORY_NETWORK_ID", "2944"),
        ]));
        assert_eq!(network_id(Some(id(2816)), &env).unwrap().get(), 2816);
        assert_eq!(network_id(None, &env).unwrap().get(), 2880);
        let legacy = MapEnv(HashMap::from([("REPOSITORY_NETWORK_ID", "2944")]));
        assert_eq!(network_id(None, &legacy).unwrap().get(), 2944);
        let bad = MapEnv(HashMap::from([("REDIACC_NETWORK_ID", "100")]));
        assert_eq!(
            network_id(None, &bad).unwrap_err().to_string(),
            "invalid network ID: must be >= 2816"
        );
        let none = MapEnv(HashMap::new());
        let msg = network_id(None, &none).unwrap_err().to_string();
        for name in [
            "--network-id",
            "REDIACC_NETWORK_ID",
            "REPOSITORY_NETWORK_ID",
        ] {
            assert!(msg.contains(name), "{msg}");
        }
        assert!(optional_network_id(None, &none).unwrap().is_none());
        assert!(optional_network_id(None, &bad).is_err());
    }

    #[test]
    fn repo_found_upwards_and_given_folders_are_canonical() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        std::fs::write(root.join("Rediaccfile"), "").unwrap();
        std::fs::create_dir_all(root.join("c/d")).unwrap();
        let env = MapEnv(HashMap::new());
        assert_eq!(repo_dir(None, &env, &root.join("c")).unwrap(), root);
        // `../x` and a symlink name the same repository as its plain path.
        let dotted = repo_dir(Some(Path::new("../..")), &env, &root.join("c/d")).unwrap();
        assert_eq!(dotted, root);
        std::os::unix::fs::symlink(&root, tmp.path().join("link")).unwrap();
        let linked = find_repo(Some(&tmp.path().join("link")), &env, &root).unwrap();
        assert_eq!(linked, Some(root.clone()));
        assert_eq!(
            repository_path(Path::new(".."), &root.join("c")).unwrap(),
            root
        );
        let missing = repo_dir(Some(Path::new("/nonexistent/x")), &env, &root).unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/x"));
        let missing = repository_path(Path::new("nope"), &root).unwrap_err();
        assert!(missing.to_string().starts_with("--path "), "{missing}");
    }

    #[test]
    fn machine_folders_from_the_environment_or_the_defaults() {
        let out = Printer::recording();
        let none = MapEnv(HashMap::new());
        let s = Settings::resolve(&none, PathBuf::from("/"), false, &out);
        assert_eq!(s.run_dir, Path::new(DEFAULT_RUN_DIR));
        assert_eq!(s.state_dir, Path::new(DEFAULT_STATE_DIR));
        let env = MapEnv(HashMap::from([
            ("RENET_RUN_DIR", "/r"),
            ("RENET_STATE_DIR", "/s"),
        ]));
        let s = Settings::resolve(&env, PathBuf::from("/"), true, &out);
        assert_eq!(
            (s.run_dir.as_path(), s.state_dir.as_path()),
            (Path::new("/r"), Path::new("/s"))
        );
    }

    #[test]
    fn json_is_read_before_the_compose_arguments_only() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(json_requested(&args(&["renet", "--json", "ip"])));
        assert!(json_requested(&args(&[
            "renet",
            "ip",
            "--network-id",
            "1",
            "--json"
        ])));
        assert!(!json_requested(&args(&[
            "renet", "compose", "--", "ps", "--json"
        ])));
        assert!(!json_requested(&args(&["--json", "ip"])));
    }
}
