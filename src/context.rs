//! Resolve what the command line leaves implicit: network ID, repository folder, machine paths.
//! Everything reads the environment through an `Env` so tests can pass their own.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::network::NetworkId;

pub const DEFAULT_RUN_DIR: &str = "/var/run/rediacc";
pub const DEFAULT_STATE_DIR: &str = "/var/lib/rediacc";

/// Environment lookups, as a seam for tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

/// `--network-id`, else `REDIACC_NETWORK_ID`, else legacy `REPOSITORY_NETWORK_ID`.
pub fn network_id(flag: Option<&str>, env: &dyn Env) -> Result<NetworkId> {
    let text = flag
        .map(str::to_owned)
        .or_else(|| env.var("REDIACC_NETWORK_ID"))
        .or_else(|| env.var("REPOSITORY_NETWORK_ID"))
        .ok_or(Error::NoNetworkId)?;
    Ok(NetworkId::parse(&text)?)
}

pub fn optional_network_id(flag: Option<&str>, env: &dyn Env) -> Result<Option<NetworkId>> {
    match network_id(flag, env) {
        Ok(id) => Ok(Some(id)),
        Err(Error::NoNetworkId) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `--repo`, else `REDIACC_WORKING_DIR`, else `REPOSITORY_PATH`, else the nearest ancestor of
/// `cwd` holding `.rediacc.json` or a Rediaccfile, else `cwd`. The result is absolute and must
/// be an existing folder.
pub fn repo_dir(flag: Option<&Path>, env: &dyn Env, cwd: &Path) -> Result<PathBuf> {
    Ok(find_repo(flag, env, cwd)?.unwrap_or_else(|| cwd.to_path_buf()))
}

/// Like [`repo_dir`] without the final fallback to `cwd`.
pub fn find_repo(flag: Option<&Path>, env: &dyn Env, cwd: &Path) -> Result<Option<PathBuf>> {
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
    Ok(Some(dir))
}

/// The repository holding `cwd`: the nearest folder upwards with `.rediacc.json` (the slot map
/// marks the root); without one, the nearest folder with a Rediaccfile, or its parent when the
/// parent has one too (a subfolder's Rediaccfile belongs to the repository above it).
fn search_upwards(cwd: &Path) -> Option<PathBuf> {
    if let Some(d) = cwd
        .ancestors()
        .find(|d| d.join(crate::slotmap::FILE_NAME).is_file())
    {
        return Some(d.to_path_buf());
    }
    let d = cwd.ancestors().find(|d| rediaccfile_in(d).is_some())?;
    match d.parent() {
        Some(p) if rediaccfile_in(p).is_some() => Some(p.to_path_buf()),
        _ => Some(d.to_path_buf()),
    }
}

pub fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// A file named `Rediaccfile` in any letter case, directly in `dir`.
pub fn rediaccfile_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("rediaccfile"))
        })
        .map(|e| e.path())
        .collect();
    // Several spellings in one folder: take the byte-smallest so the choice is stable.
    found.sort();
    found.into_iter().next()
}

/// The repository root and every first-level, non-hidden folder holding a Rediaccfile, root
/// first, then A to Z (byte order).
pub fn rediaccfile_folders(repo: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut subs: Vec<PathBuf> = Vec::new();
    for entry in fs_err::read_dir(repo)? {
        let entry = entry?;
        let name = entry.file_name();
        let hidden = name.to_str().is_none_or(|n| n.starts_with('.'));
        if !hidden && entry.path().is_dir() && rediaccfile_in(&entry.path()).is_some() {
            subs.push(entry.path());
        }
    }
    subs.sort();
    let mut out = vec![repo.to_path_buf()];
    out.extend(subs);
    Ok(out)
}

/// The repository name: `--name`, else `name` in `.rediacc.json`, else the folder's name.
pub fn repo_name(flag: Option<&str>, from_file: Option<&str>, repo: &Path) -> String {
    flag.or(from_file)
        .map(str::to_owned)
        .or_else(|| repo.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "repository".to_owned())
}

pub fn run_dir(env: &dyn Env) -> PathBuf {
    env.var("RENET_RUN_DIR")
        .map_or_else(|| PathBuf::from(DEFAULT_RUN_DIR), PathBuf::from)
}

pub fn state_dir(env: &dyn Env) -> PathBuf {
    env.var("RENET_STATE_DIR")
        .map_or_else(|| PathBuf::from(DEFAULT_STATE_DIR), PathBuf::from)
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

    #[test]
    fn network_id_precedence() {
        let env = MapEnv(HashMap::from([
            ("REDIACC_NETWORK_ID", "2880"),
            ("REPOSITORY_NETWORK_ID", "2944"),
        ]));
        assert_eq!(network_id(Some("2816"), &env).unwrap().get(), 2816);
        assert_eq!(network_id(None, &env).unwrap().get(), 2880);
        let legacy = MapEnv(HashMap::from([("REPOSITORY_NETWORK_ID", "2944")]));
        assert_eq!(network_id(None, &legacy).unwrap().get(), 2944);
        let none = MapEnv(HashMap::new());
        let msg = network_id(None, &none).unwrap_err().to_string();
        for name in [
            "--network-id",
            "REDIACC_NETWORK_ID",
            "REPOSITORY_NETWORK_ID",
        ] {
            assert!(msg.contains(name), "{msg}");
        }
    }

    #[test]
    fn repo_found_upwards_and_folders_ordered() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(root.join("Rediaccfile"), "").unwrap();
        for d in ["b", "A", ".hidden", "c", "nested"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        std::fs::write(root.join("b/rediaccfile"), "").unwrap();
        std::fs::write(root.join("A/REDIACCFILE"), "").unwrap();
        std::fs::write(root.join(".hidden/Rediaccfile"), "").unwrap();
        std::fs::create_dir(root.join("nested/deep")).unwrap();
        std::fs::write(root.join("nested/deep/Rediaccfile"), "").unwrap();
        let env = MapEnv(HashMap::new());
        assert_eq!(repo_dir(None, &env, &root.join("c")).unwrap(), root);
        let folders = rediaccfile_folders(root).unwrap();
        assert_eq!(
            folders,
            vec![root.to_path_buf(), root.join("A"), root.join("b")]
        );
        let missing = repo_dir(Some(Path::new("/nonexistent/x")), &env, root).unwrap_err();
        assert!(missing.to_string().contains("/nonexistent/x"));
    }
}
