//! Which process a daemon is (SPEC section 5: "known by the process that serves its socket, not
//! by its pidfile alone"). The kernel names the process listening on `docker-<N>.sock`
//! ([`process::listener`]); its command line says whether it is the dockerd of this daemon. The
//! pidfile is only believed for a dockerd whose command line names this daemon, and only while
//! nothing serves the socket yet (a dockerd still starting).

use std::path::Path;

use serde::Serialize;

use super::DaemonPaths;
use crate::docker::process::{self, Listener};

/// A process as `daemon status|stop` name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Process {
    pub pid: i32,
    /// Its command line, shortened.
    pub command: String,
}

impl Process {
    fn of(pid: i32, args: &[String]) -> Self {
        let mut command = args.join(" ");
        if command.len() > 200 {
            let cut = (0..=200).rev().find(|&i| command.is_char_boundary(i));
            command.truncate(cut.unwrap_or(0));
            command.push_str(" ...");
        }
        Self { pid, command }
    }
}

/// Who serves the daemon's socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Server {
    /// Nothing listens on it (no socket file, or one a dead daemon left).
    Nobody,
    /// This daemon's dockerd.
    Dockerd(Process),
    /// Some other process listens on the socket: not a dockerd naming this daemon.
    Other(Process),
    /// Something accepts connections, but renet cannot tell what.
    Unknown(String),
}

/// What renet found about a daemon's processes.
#[derive(Debug, Clone)]
pub struct Identity {
    pub server: Server,
    /// The PID the pidfile holds, as written (None: no pidfile or no number in it).
    pub pidfile_pid: Option<i32>,
    /// The pidfile's process when it is a live dockerd naming this daemon.
    pub pidfile_dockerd: Option<Process>,
}

impl Identity {
    /// Look at the socket's listener and the pidfile (no API call, nothing that can hang).
    pub fn of(paths: &DaemonPaths) -> Self {
        let server = match process::listener(&paths.socket) {
            Listener::Nobody => Server::Nobody,
            Listener::Unknown(why) => Server::Unknown(why),
            Listener::Pid(pid) => match process::cmdline(pid) {
                Some(args) if names_daemon(&args, paths) => {
                    Server::Dockerd(Process::of(pid, &args))
                }
                Some(args) => Server::Other(Process::of(pid, &args)),
                None => Server::Unknown(format!("pid {pid} listens but exited meanwhile")),
            },
        };
        let pidfile_pid = read_pid(&paths.pidfile);
        let pidfile_dockerd = pidfile_pid.and_then(|pid| {
            let args = process::cmdline(pid)?;
            names_daemon(&args, paths).then(|| Process::of(pid, &args))
        });
        Self {
            server,
            pidfile_pid,
            pidfile_dockerd,
        }
    }

    /// This daemon's dockerd: the socket's server; else, while nothing serves the socket, the
    /// pidfile's dockerd (one still starting has no socket yet; one whose socket file another
    /// process took is still this daemon's).
    pub fn dockerd(&self) -> Option<&Process> {
        match &self.server {
            Server::Dockerd(p) => Some(p),
            Server::Nobody | Server::Other(_) | Server::Unknown(_) => self.pidfile_dockerd.as_ref(),
        }
    }

    /// Why the pidfile was not believed, when it names a process that is not this daemon's
    /// dockerd (or a dead one while the daemon runs); None when it agrees or is simply absent.
    pub fn pidfile_note(&self, paths: &DaemonPaths) -> Option<String> {
        let pid = self.pidfile_pid?;
        let file = paths.pidfile.display();
        if self.dockerd().is_some_and(|d| d.pid == pid) {
            return None;
        }
        let what = match process::cmdline(pid) {
            Some(args) => format!(
                "pid {pid} is not this daemon's dockerd (`{}`)",
                Process::of(pid, &args).command
            ),
            None => format!("pid {pid} is not running"),
        };
        match self.dockerd() {
            Some(d) => Some(format!(
                "{file} names {what}; the daemon is pid {}, which serves {}",
                d.pid,
                paths.socket.display()
            )),
            None if matches!(self.server, Server::Nobody) => None,
            None => Some(format!("{file} names {what}")),
        }
    }
}

/// The number in a pidfile.
fn read_pid(pidfile: &Path) -> Option<i32> {
    let text = crate::fsread::read_to_string(pidfile, 64, crate::fsread::Links::Refuse).ok()?;
    text.trim().parse().ok().filter(|&p: &i32| p > 0)
}

/// Whether `args` (a command line, argv[0] first) run a dockerd for this daemon: dockerd,
/// reading this daemon's `daemon.json` (how renet and its units start it), or naming its socket
/// (`-H`/`--host`), pidfile or exec-root itself.
pub(super) fn names_daemon(args: &[String], paths: &DaemonPaths) -> bool {
    let Some(argv0) = args.first() else {
        return false;
    };
    if Path::new(argv0).file_name().is_none_or(|n| n != "dockerd") {
        return false;
    }
    let socket = paths.socket.to_string_lossy();
    let matches = |flag: &str, value: &str| match flag {
        "--config-file" => Path::new(value) == paths.config,
        "-H" | "--host" => value.strip_prefix("unix://").unwrap_or(value) == socket,
        "-p" | "--pidfile" => Path::new(value) == paths.pidfile,
        "--exec-root" => Path::new(value) == paths.exec_root,
        _ => false,
    };
    args.iter().enumerate().skip(1).any(|(i, arg)| {
        let (flag, value) = split_flag(arg);
        let value = value.or_else(|| args.get(i + 1).map(String::as_str));
        value.is_some_and(|v| matches(flag, v))
    })
}

/// `--flag=value`, `-Hvalue` or a bare `--flag` (its value is the next argument).
fn split_flag(arg: &str) -> (&str, Option<&str>) {
    if let Some((flag, value)) = arg.split_once('=')
        && flag.starts_with('-')
    {
        return (flag, Some(value));
    }
    match arg.strip_prefix("-H") {
        Some(value) if !value.is_empty() => ("-H", Some(value)),
        _ => (arg, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NetworkId;

    fn paths() -> DaemonPaths {
        let id = NetworkId::new(2816).unwrap();
        DaemonPaths::new(Path::new("/run/r"), Path::new("/s"), id, None)
    }

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_owned).collect()
    }

    #[test]
    fn a_dockerd_naming_this_daemon_in_any_spelling() {
        let p = paths();
        for line in [
            "/usr/bin/dockerd --config-file /run/r/docker-2816/daemon.json",
            "dockerd --config-file=/run/r/docker-2816/daemon.json",
            "dockerd -H unix:///run/r/docker-2816.sock",
            "dockerd -Hunix:///run/r/docker-2816.sock",
            "dockerd -H=/run/r/docker-2816.sock",
            "dockerd --debug --host=unix:///run/r/docker-2816.sock",
            "dockerd --pidfile /run/r/docker-2816/docker.pid",
            "dockerd --exec-root=/run/r/docker-2816/exec",
        ] {
            assert!(names_daemon(&args(line), &p), "{line}");
        }
        for line in [
            "dockerd --config-file /run/r/docker-2880/daemon.json",
            "dockerd -H unix:///run/r/docker-2880.sock",
            "dockerd",
            "sleep /run/r/docker-2816.sock",
            "python3 -c x --config-file /run/r/docker-2816/daemon.json",
            "dockerd --config-file",
            "dockerd --data-root /run/r/docker-2816.sock",
        ] {
            assert!(!names_daemon(&args(line), &p), "{line}");
        }
        assert!(!names_daemon(&[], &p));
    }

    /// This test process listening on the socket is "another process"; a pidfile naming it is
    /// not believed, and says so.
    #[test]
    fn a_listener_that_is_no_dockerd_and_a_wrong_pidfile() {
        let dir = tempfile::tempdir().unwrap();
        let id = NetworkId::new(2816).unwrap();
        let p = DaemonPaths::new(dir.path(), dir.path(), id, None);
        std::fs::create_dir_all(&p.dir).unwrap();
        let none = Identity::of(&p);
        assert_eq!(none.server, Server::Nobody);
        assert!(none.dockerd().is_none() && none.pidfile_pid.is_none());

        let _listener = std::os::unix::net::UnixListener::bind(&p.socket).unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        std::fs::write(&p.pidfile, format!("{me}\n")).unwrap();
        let found = Identity::of(&p);
        assert!(
            matches!(&found.server, Server::Other(o) if o.pid == me),
            "{found:?}"
        );
        assert_eq!(found.pidfile_pid, Some(me));
        assert!(found.dockerd().is_none());
        let note = found.pidfile_note(&p).unwrap();
        assert!(
            note.contains(&format!("names pid {me} is not this daemon's dockerd")),
            "{note}"
        );

        std::fs::write(&p.pidfile, format!("{}\n", i32::MAX)).unwrap();
        let note = Identity::of(&p).pidfile_note(&p).unwrap();
        assert!(note.contains("is not running"), "{note}");
    }
}
