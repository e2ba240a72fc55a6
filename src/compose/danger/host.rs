//! Where a host path given to a container lands, and whether handing it over gives away the
//! machine. Reads the file system (symlinks), writes nothing.
//!
//! Three kinds of protected places:
//! - the whole machine, `/`: refused as itself (a folder such as `/srv/app` is not "above" it in
//!   any sense that matters);
//! - guarded trees: renet's run and state folders (configured and default), the Docker and
//!   containerd data folders and sockets. The folder, anything inside it and every folder above
//!   it are refused: mounting `/tmp/x` hands over a `RENET_RUN_DIR` of `/tmp/x/run`, with every
//!   repository's daemon socket;
//! - system trees (`/proc`, `/sys`, `/dev`, `/boot`, `/root`, `/run`, and the secrets in `/etc`):
//!   the folder and anything inside it are refused; nothing routine lives there;
//! - system folders (`/etc`, `/usr`, `/var` and the top-level program folders): the folder
//!   itself is refused; what is inside may be mounted read-only (`/etc/localtime:ro`, CA
//!   certificates, zone files), never writable (`/etc/cron.d`, `/usr/bin`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Refused with everything inside them and every folder above them (besides renet's own).
const GUARDED: &[&str] = &[
    "/var/run/rediacc",
    "/run/rediacc",
    "/var/lib/rediacc",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/run/docker",
    "/run/docker.sock",
    "/var/run/docker.sock",
    "/run/containerd",
];
/// Refused with everything inside them.
const SYSTEM_TREES: &[&str] = &[
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/root",
    "/run",
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/docker",
];
/// Refused as themselves; read-only inside them is fine, writable is not.
const SYSTEM_FOLDERS: &[&str] = &[
    "/etc", "/usr", "/var", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// Why a host path is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The path is protected as a whole (the machine, a guarded or system tree, a system folder).
    Protected(PathBuf),
    /// A writable mount inside a system folder.
    Writable { inside: PathBuf },
}

/// The protected places, resolved once per run (a guarded folder may itself be a symlink:
/// `/var/run` is one to `/run` on most systems).
pub(super) struct Places {
    guarded: Vec<PathBuf>,
    trees: Vec<PathBuf>,
    folders: Vec<PathBuf>,
    /// [`landings`] of the paths seen so far: services of a project share their sources.
    seen: RefCell<HashMap<PathBuf, Vec<PathBuf>>>,
}

impl Places {
    /// `renet_dirs`: the configured `RENET_RUN_DIR` and `RENET_STATE_DIR`, absolute.
    pub(super) fn new(renet_dirs: &[PathBuf]) -> Self {
        let all = |paths: &mut dyn Iterator<Item = PathBuf>| -> Vec<PathBuf> {
            let mut out: Vec<PathBuf> = paths.flat_map(|p| landings(&p)).collect();
            out.sort();
            out.dedup();
            out
        };
        let fixed = |list: &[&str]| list.iter().map(PathBuf::from).collect::<Vec<_>>();
        Self {
            guarded: all(&mut fixed(GUARDED).into_iter().chain(renet_dirs.iter().cloned())),
            trees: all(&mut fixed(SYSTEM_TREES).into_iter()),
            folders: all(&mut fixed(SYSTEM_FOLDERS).into_iter()),
            seen: RefCell::default(),
        }
    }

    /// [`landings`] of `path`, remembered for the run.
    pub(super) fn landings(&self, path: &Path) -> Vec<PathBuf> {
        if let Some(known) = self.seen.borrow().get(path) {
            return known.clone();
        }
        let found = landings(path);
        self.seen
            .borrow_mut()
            .insert(path.to_path_buf(), found.clone());
        found
    }

    /// Whether handing `landing` (a resolved host path) to a container gives away the machine.
    pub(super) fn judge(&self, landing: &Path, read_only: bool) -> Option<Refusal> {
        let protected = || Some(Refusal::Protected(landing.to_path_buf()));
        if landing == Path::new("/") {
            return protected();
        }
        if self
            .guarded
            .iter()
            .any(|g| g.starts_with(landing) || landing.starts_with(g))
            || self.trees.iter().any(|t| landing.starts_with(t))
            || self.folders.iter().any(|f| f == landing)
        {
            return protected();
        }
        match self.folders.iter().find(|f| landing.starts_with(f)) {
            Some(f) if !read_only => Some(Refusal::Writable { inside: f.clone() }),
            _ => None,
        }
    }
}

/// Every place `path` (absolute) can land on the host: `..` taken lexically first (as compose
/// and Docker clean paths) and as the kernel takes it (after the symlink before it), each with
/// the longest existing prefix resolved through its symlinks and the rest kept as written.
pub(super) fn landings(path: &Path) -> Vec<PathBuf> {
    let mut out = vec![resolve(&lexical(path)), resolve(path)];
    out.dedup();
    out
}

/// `path` with `.` dropped and `..` taken lexically (never above `/`).
pub(super) fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// The longest prefix of `path` that exists, through its symlinks, then the rest lexically.
fn resolve(path: &Path) -> PathBuf {
    for prefix in path.ancestors() {
        // A symlink loop or a dangling link does not resolve: its parent is tried, as Docker
        // would fail on it anyway.
        if let Ok(real) = prefix.canonicalize() {
            let rest = path.strip_prefix(prefix).unwrap_or(Path::new(""));
            return lexical(&real.join(rest));
        }
    }
    lexical(path)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn places(dirs: &[&str]) -> Places {
        Places::new(&dirs.iter().map(PathBuf::from).collect::<Vec<_>>())
    }

    fn refused(p: &Places, path: &str, read_only: bool) -> bool {
        landings(Path::new(path))
            .iter()
            .any(|l| p.judge(l, read_only).is_some())
    }

    #[test]
    fn system_folders_are_refused_as_themselves_and_writable_inside() {
        let p = places(&[]);
        for path in ["/", "/etc", "/usr/", "/var", "/etc/../usr", "/bin"] {
            assert!(refused(&p, path, true), "{path}");
        }
        for path in [
            "/etc/localtime",
            "/usr/share/zoneinfo",
            "/var/log",
            "/etc/ssl/certs",
        ] {
            assert!(!refused(&p, path, true), "{path} read-only");
            assert!(refused(&p, path, false), "{path} writable");
        }
        assert_eq!(
            p.judge(Path::new("/etc/cron.d"), false),
            Some(Refusal::Writable {
                inside: PathBuf::from("/etc")
            })
        );
        for path in ["/srv/app", "/home/u/data", "/opt/x", "/tmp/y", "/mnt"] {
            assert!(!refused(&p, path, false), "{path}");
        }
    }

    #[test]
    fn system_trees_are_refused_at_any_depth() {
        let p = places(&[]);
        for path in [
            "/proc",
            "/proc/1/root",
            "/sys/kernel",
            "/dev/sda",
            "/dev/shm",
            "/boot/grub",
            "/root/.ssh",
            "/run/dbus/system_bus_socket",
            "/var/run/docker.sock",
            "/run/containerd/containerd.sock",
            "/etc/shadow",
            "/etc/ssh/ssh_host_rsa_key",
        ] {
            assert!(refused(&p, path, true), "{path}");
        }
    }

    #[test]
    fn guarded_trees_are_refused_inside_and_above() {
        let p = places(&["/tmp/gate-x/run", "/srv/state"]);
        for path in [
            "/tmp/gate-x",
            "/tmp",
            "/tmp/gate-x/run",
            "/tmp/gate-x/run/docker-3328.sock",
            "/srv",
            "/srv/state/leases",
            "/var/lib",
            "/var/lib/docker/volumes/x/_data",
            "/var/lib/rediacc",
        ] {
            assert!(refused(&p, path, true), "{path}");
        }
        for path in ["/tmp/gate-x/repo", "/tmp/gate-xy", "/srv/stateful"] {
            assert!(!refused(&p, path, false), "{path}");
        }
    }

    #[test]
    fn symlinks_are_followed_up_to_the_longest_existing_prefix() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).expect("repo");
        symlink("/", repo.join("root")).expect("symlink");
        symlink("/etc", repo.join("etc")).expect("symlink");
        symlink("loop", repo.join("loop")).expect("symlink");
        let p = places(&[]);
        let at = |rel: &str| repo.join(rel).display().to_string();
        assert_eq!(
            landings(&repo.join("root/not/yet")),
            [PathBuf::from("/not/yet")]
        );
        assert!(refused(&p, &at("root"), true));
        assert!(refused(&p, &at("etc"), true));
        assert!(refused(&p, &at("root/proc/1"), true));
        // The kernel takes `..` after the symlink: `etc/..` is `/`, lexically it is the repo.
        assert!(refused(&p, &at("etc/.."), true));
        assert!(!refused(&p, &at("loop/x"), false));
        assert!(!refused(&p, &at("data/new"), false));
        // A guarded folder reached through a symlink is still guarded.
        let run = tmp.path().join("real-run");
        std::fs::create_dir(&run).expect("run");
        symlink(&run, tmp.path().join("run-link")).expect("symlink");
        let guarded = Places::new(&[tmp.path().join("run-link")]);
        assert!(refused(
            &guarded,
            &run.join("docker-1.sock").display().to_string(),
            true
        ));
    }
}
