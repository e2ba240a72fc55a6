//! Which Docker Compose to run, and its exact command line.
//!
//! Which binary is found by looking at files, as the docker CLI does: the `docker compose`
//! plugin, else `docker-compose` on PATH. Which version it is, is asked ([`version`]): a
//! `docker-compose` may be 1.x (Python), the v2 binary, or a wrapper script that runs either.

mod version;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

pub(crate) use version::{VersionError, remember, version};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Flavour {
    /// `docker compose`: the `plugin` file the `docker` binary would run. renet runs the plugin
    /// itself (standalone mode, the same program and flags): through the docker CLI every run
    /// costs the CLI's start-up and a `docker-cli-plugin-metadata` run of the plugin, 35 ms of
    /// a 120 ms `config` (docs/decisions.md).
    Plugin { docker: PathBuf, plugin: PathBuf },
    /// `docker-compose` (1.x, or the v2 binary installed standalone, or a wrapper of either).
    Standalone { binary: PathBuf },
}

impl Flavour {
    /// The file whose version the flavour's version is.
    fn binary(&self) -> &Path {
        match self {
            Flavour::Plugin { plugin, .. } => plugin,
            Flavour::Standalone { binary } => binary,
        }
    }

    /// The program and its first arguments, before compose's own.
    fn program(&self) -> Vec<OsString> {
        match self {
            Flavour::Plugin { plugin, .. } => vec![plugin.into()],
            Flavour::Standalone { binary } => vec![binary.into()],
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
        && let Some(plugin) = plugin_dirs(docker_config, home)
            .iter()
            .map(|d| d.join("docker-compose"))
            .find(|p| is_executable(p))
    {
        return Some(Flavour::Plugin { docker, plugin });
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
    let mut argv = flavour.program();
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
                docker: bin.join("docker"),
                plugin: cfg.join("cli-plugins/docker-compose"),
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
                plugin: "/usr/libexec/docker/cli-plugins/docker-compose".into(),
            },
            &inv,
        );
        assert_eq!(
            v2,
            [
                "/usr/libexec/docker/cli-plugins/docker-compose",
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
        assert_eq!(v1[1..], v2[1..]);
    }
}
