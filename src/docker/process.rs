//! Is a process alive? Read from `/proc`, because a pidfile outlives its daemon (a crash, a
//! reboot) and its PID may since belong to another program.

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
    }
}
