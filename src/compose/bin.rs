//! Which Docker Compose to run, and its exact command line.
//!
//! Detection looks for files instead of running `docker compose version`: it costs no process
//! start, so `--dry-run` stays fast, and it gives the same answer the docker CLI would.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// `docker compose` (the v2 plugin), run through this `docker` binary.
    Plugin { docker: PathBuf },
    /// `docker-compose` (v1, or the v2 binary installed standalone).
    Standalone { binary: PathBuf },
}

impl Flavour {
    /// docker-compose 1.x is a Python script; v2 (plugin or standalone) is a Go binary. Reading
    /// two bytes tells them apart without starting a Python interpreter.
    pub(crate) fn is_v1(&self) -> bool {
        use std::io::Read;
        match self {
            Flavour::Plugin { .. } => false,
            Flavour::Standalone { binary } => {
                let mut head = [0u8; 2];
                std::fs::File::open(binary)
                    .and_then(|mut f| f.read_exact(&mut head))
                    .is_ok()
                    && &head == b"#!"
            }
        }
    }
}

/// Find an executable on `path` (a PATH value).
pub(crate) fn which(name: &str, path: Option<&str>) -> Option<PathBuf> {
    std::env::split_paths(path?)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The folders the docker CLI searches for plugins, in its order.
fn plugin_dirs(docker_config: Option<&str>, home: Option<&str>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    match (docker_config, home) {
        (Some(c), _) => dirs.push(PathBuf::from(c).join("cli-plugins")),
        (None, Some(h)) => dirs.push(PathBuf::from(h).join(".docker/cli-plugins")),
        _ => {}
    }
    for d in [
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
    ] {
        dirs.push(PathBuf::from(d));
    }
    dirs
}

/// `docker compose` when the plugin is installed, else `docker-compose`, else None.
pub(crate) fn detect(
    path: Option<&str>,
    docker_config: Option<&str>,
    home: Option<&str>,
) -> Option<Flavour> {
    if let Some(docker) = which("docker", path)
        && plugin_dirs(docker_config, home)
            .iter()
            .any(|d| is_executable(&d.join("docker-compose")))
    {
        return Some(Flavour::Plugin { docker });
    }
    which("docker-compose", path).map(|binary| Flavour::Standalone { binary })
}

pub(crate) struct Invocation<'a> {
    pub(crate) model_file: &'a Path,
    pub(crate) project_directory: &'a Path,
    pub(crate) project_name: &'a str,
    pub(crate) globals: &'a [OsString],
    pub(crate) rest: &'a [OsString],
}

/// argv (program first) for running compose on the rewritten model.
pub(crate) fn command_line(flavour: &Flavour, inv: &Invocation<'_>) -> Vec<OsString> {
    let mut argv: Vec<OsString> = match flavour {
        Flavour::Plugin { docker } => vec![docker.into(), "compose".into()],
        Flavour::Standalone { binary } => vec![binary.into()],
    };
    argv.extend([
        "-f".into(),
        inv.model_file.into(),
        "--project-directory".into(),
        inv.project_directory.into(),
        "-p".into(),
        inv.project_name.into(),
    ]);
    argv.extend(inv.globals.iter().cloned());
    argv.extend(inv.rest.iter().cloned());
    argv
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn exe(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn prefers_the_plugin_then_standalone_then_nothing() {
        let t = tempfile::tempdir().unwrap();
        let bin = t.path().join("bin");
        let cfg = t.path().join("cfg");
        let path = bin.to_str().unwrap();
        assert_eq!(detect(Some(path), cfg.to_str(), None), None);
        exe(&bin.join("docker-compose"));
        assert_eq!(
            detect(Some(path), cfg.to_str(), None),
            Some(Flavour::Standalone {
                binary: bin.join("docker-compose")
            })
        );
        exe(&bin.join("docker"));
        exe(&cfg.join("cli-plugins/docker-compose"));
        assert_eq!(
            detect(Some(path), cfg.to_str(), None),
            Some(Flavour::Plugin {
                docker: bin.join("docker")
            })
        );
    }

    #[test]
    fn v2_and_v1_command_lines() {
        let globals = vec![OsString::from("--profile"), OsString::from("dev")];
        let rest = vec![OsString::from("up"), OsString::from("-d")];
        let inv = Invocation {
            model_file: Path::new("/run/r/compose-2816/shop.json"),
            project_directory: Path::new("/srv/shop"),
            project_name: "shop",
            globals: &globals,
            rest: &rest,
        };
        let v2 = command_line(
            &Flavour::Plugin {
                docker: "/usr/bin/docker".into(),
            },
            &inv,
        );
        assert_eq!(
            v2,
            [
                "/usr/bin/docker",
                "compose",
                "-f",
                "/run/r/compose-2816/shop.json",
                "--project-directory",
                "/srv/shop",
                "-p",
                "shop",
                "--profile",
                "dev",
                "up",
                "-d"
            ]
            .map(OsString::from)
        );
        let v1 = command_line(
            &Flavour::Standalone {
                binary: "/usr/bin/docker-compose".into(),
            },
            &inv,
        );
        assert_eq!(v1[0], "/usr/bin/docker-compose");
        assert_eq!(v1[1..], v2[2..]);
    }
}
