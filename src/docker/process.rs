//! Which process is which, read from `/proc` and from the kernel: a pidfile outlives its daemon
//! (a crash, a reboot) and its PID may since belong to another program, or be written wrong, so
//! renet asks who really serves a socket and what that process is.

use std::os::fd::AsRawFd;
use std::path::Path;

/// The process exists and has not exited (a zombie has: it only waits for its parent).
pub fn alive(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // Field 3 (after the parenthesised command name, which may hold spaces and parentheses) is
    // the state; Z is a zombie, X is dead.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.trim_start().chars().next())
        .is_some_and(|s| s != 'Z' && s != 'X')
}

/// The process is alive and is a dockerd (not a reused PID).
pub fn alive_dockerd(pid: i32) -> bool {
    alive(pid)
        && std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|comm| comm.trim() == "dockerd")
}

/// The arguments of a live process (argv[0] first); None when it is gone or a kernel thread.
pub fn cmdline(pid: i32) -> Option<Vec<String>> {
    if !alive(pid) {
        return None;
    }
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if raw.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&raw);
    Some(
        text.trim_end_matches('\0')
            .split('\0')
            .map(str::to_owned)
            .collect(),
    )
}

/// Who listens on a unix socket path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listener {
    /// No socket file, or a file no process accepts on (what a dead daemon leaves).
    Nobody,
    /// The process that called `listen()` on it (the kernel's `SO_PEERCRED` of a connection).
    Pid(i32),
    /// Something accepts connections, but renet cannot tell which process: it lives in another
    /// PID namespace (the kernel says pid 0), or its backlog is full (it does not accept).
    Unknown(String),
}

/// Connect to `socket` without blocking and ask the kernel for the listener's PID. A connect
/// needs no `accept()`, so a hung server answers this at once; nothing is sent.
pub fn listener(socket: &Path) -> Listener {
    use nix::errno::Errno;
    use nix::sys::socket::{
        AddressFamily, SockFlag, SockType, UnixAddr, connect, getsockopt, socket as open,
        sockopt::PeerCredentials,
    };
    // A path too long for a socket address (108 bytes) cannot be connected to, nor bound by a
    // daemon: nobody listens there (starting dockerd on it fails, with its own error).
    let Ok(addr) = UnixAddr::new(socket) else {
        return Listener::Nobody;
    };
    let fd = match open(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    ) {
        Ok(fd) => fd,
        Err(e) => return Listener::Unknown(format!("cannot open a unix socket: {e}")),
    };
    match connect(fd.as_raw_fd(), &addr) {
        Ok(()) => {}
        // No file, or a file nobody listens on: a dead daemon's socket.
        Err(Errno::ENOENT | Errno::ECONNREFUSED | Errno::ENOTSOCK) => return Listener::Nobody,
        Err(Errno::EAGAIN) => {
            return Listener::Unknown(format!(
                "{}: its listener's backlog is full (it does not accept connections)",
                socket.display()
            ));
        }
        Err(e) => return Listener::Unknown(format!("{}: connect: {e}", socket.display())),
    }
    match getsockopt(&fd, PeerCredentials) {
        Ok(cred) if cred.pid() > 0 => Listener::Pid(cred.pid()),
        Ok(_) => Listener::Unknown(format!(
            "{}: its listener is in another PID namespace",
            socket.display()
        )),
        Err(e) => Listener::Unknown(format!("{}: SO_PEERCRED: {e}", socket.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_no_dockerd() {
        let me = i32::try_from(std::process::id()).unwrap();
        assert!(alive(me));
        assert!(!alive_dockerd(me));
        assert!(!alive(i32::MAX));
        assert!(!alive_dockerd(i32::MAX));
        let args = cmdline(me).unwrap();
        assert!(!args.is_empty() && !args[0].is_empty(), "{args:?}");
        assert_eq!(cmdline(i32::MAX), None);
    }

    /// A listener that never accepts is still named at once; a socket file nobody listens on
    /// and a missing file are nobody's.
    #[test]
    fn the_listener_of_a_socket_is_named_by_the_kernel() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.sock");
        assert_eq!(listener(&path), Listener::Nobody);
        let server = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        assert_eq!(listener(&path), Listener::Pid(me));
        assert_eq!(listener(&path), Listener::Pid(me), "twice, never accepted");
        drop(server);
        assert!(path.exists(), "the file stays behind");
        assert_eq!(listener(&path), Listener::Nobody);
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "").unwrap();
        assert_eq!(listener(&path), Listener::Nobody, "a regular file");
        let long = dir.path().join("x".repeat(120)).join("d.sock");
        assert_eq!(listener(&long), Listener::Nobody, "too long for a socket");
    }
}
