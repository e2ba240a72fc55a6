//! Facts about the machine renet runs on, read from the network namespace and mount
//! namespace it runs in: the filter table (`iptables-save`), the listening sockets and their
//! owners (`/proc`), `/etc/resolv.conf`, and the repository daemons' containers. `renet
//! doctor` and the preflight of `renet compose -- up` are written against the [`Host`] trait;
//! [`RealHost`] reads this machine, unit tests pass recorded facts.
//!
//! - `iptables`, `listeners`, `resolv`, `cgroup`: pure parsers of what the kernel prints;
//! - `daemons`: every repository daemon asked at once, each with its own timeout.

pub(crate) mod cgroup;
pub(crate) mod daemons;
pub(crate) mod iptables;
pub(crate) mod listeners;
pub(crate) mod resolv;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use self::iptables::Family;
use self::listeners::{Owner, Socket};

/// A fact that could not be read, naming what was read and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HostError {
    #[error("{program} failed ({status}): {stderr}")]
    Failed {
        program: String,
        status: String,
        stderr: String,
    },
    #[error("{path}: {reason}")]
    Read { path: PathBuf, reason: String },
}

/// Where each fact comes from. Every method reads the machine as it is now.
pub(crate) trait Host: Sync {
    /// The filter table as `iptables-save -t filter` (or `ip6tables-save`) prints it; None when
    /// the program is not installed.
    fn filter_table(&self, family: Family) -> Result<Option<String>, HostError>;

    /// A text file (`/etc/resolv.conf`, `traefik.yml`).
    fn read(&self, path: &Path) -> Result<String, HostError>;

    /// Every listening socket of this network namespace.
    fn sockets(&self) -> Result<Vec<Socket>, HostError>;

    /// The process holding each of `inodes` (those found).
    fn owners(&self, inodes: &BTreeSet<u64>) -> BTreeMap<u64, Owner>;

    /// `<program> <args>`'s first line of output, None when `program` is not on PATH.
    fn version(&self, program: &str, args: &[&str]) -> Option<Result<String, HostError>>;
}

/// This machine, as the process sees it.
pub(crate) struct RealHost {
    /// `PATH`, to find the programs.
    pub(crate) path: Option<String>,
}

impl RealHost {
    fn program(&self, name: &str) -> Option<PathBuf> {
        crate::compose::bin::which(name, self.path.as_deref()).or_else(|| {
            // iptables-save lives in /usr/sbin, which a user's PATH may lack.
            ["/usr/sbin", "/sbin"]
                .iter()
                .map(|d| Path::new(d).join(name))
                .find(|p| p.is_file())
        })
    }
}

/// Run `program args`, its stdout on success.
fn output(program: &Path, args: &[&str]) -> Result<String, HostError> {
    let failed = |status: String, stderr: String| HostError::Failed {
        program: crate::quote::shell_line(
            std::iter::once(program.to_string_lossy().as_ref()).chain(args.iter().copied()),
        ),
        status,
        stderr,
    };
    let out = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| failed("could not run".to_owned(), e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        return Err(failed(out.status.to_string(), stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Host for RealHost {
    fn filter_table(&self, family: Family) -> Result<Option<String>, HostError> {
        let Some(program) = self.program(family.save_command()) else {
            return Ok(None);
        };
        output(&program, &["-t", "filter"]).map(Some)
    }

    fn read(&self, path: &Path) -> Result<String, HostError> {
        std::fs::read_to_string(path).map_err(|e| HostError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })
    }

    fn sockets(&self) -> Result<Vec<Socket>, HostError> {
        listeners::read_sockets(Path::new("/proc")).map_err(|e| HostError::Read {
            path: PathBuf::from("/proc/net"),
            reason: e.to_string(),
        })
    }

    fn owners(&self, inodes: &BTreeSet<u64>) -> BTreeMap<u64, Owner> {
        listeners::owners(Path::new("/proc"), inodes)
    }

    fn version(&self, program: &str, args: &[&str]) -> Option<Result<String, HostError>> {
        let path = self.program(program)?;
        Some(output(&path, args).map(|o| o.lines().next().unwrap_or_default().trim().to_owned()))
    }
}

#[cfg(test)]
pub(crate) mod recorded {
    //! A [`Host`] that answers what a test recorded.

    use super::*;

    #[derive(Default)]
    pub(crate) struct RecordedHost {
        pub(crate) filter_v4: Option<String>,
        pub(crate) filter_v6: Option<String>,
        pub(crate) files: BTreeMap<PathBuf, String>,
        pub(crate) sockets: Vec<Socket>,
        pub(crate) owners: BTreeMap<u64, Owner>,
        pub(crate) versions: BTreeMap<String, String>,
    }

    impl Host for RecordedHost {
        fn filter_table(&self, family: Family) -> Result<Option<String>, HostError> {
            Ok(match family {
                Family::V4 => self.filter_v4.clone(),
                Family::V6 => self.filter_v6.clone(),
            })
        }

        fn read(&self, path: &Path) -> Result<String, HostError> {
            self.files
                .get(path)
                .cloned()
                .ok_or_else(|| HostError::Read {
                    path: path.to_owned(),
                    reason: "No such file or directory (os error 2)".to_owned(),
                })
        }

        fn sockets(&self) -> Result<Vec<Socket>, HostError> {
            Ok(self.sockets.clone())
        }

        fn owners(&self, inodes: &BTreeSet<u64>) -> BTreeMap<u64, Owner> {
            self.owners
                .iter()
                .filter(|(i, _)| inodes.contains(i))
                .map(|(i, o)| (*i, o.clone()))
                .collect()
        }

        fn version(&self, program: &str, _args: &[&str]) -> Option<Result<String, HostError>> {
            self.versions.get(program).cloned().map(Ok)
        }
    }
}
