//! Signal policy while renet waits for a child (uv's `child.rs` model).
//!
//! A Ctrl-C at a terminal reaches the whole foreground process group, compose included: renet
//! must survive it so it can report compose's exit status instead of dying first. A SIGTERM or
//! SIGINT sent to renet alone (systemd, `kill`, an SSH session closing) is forwarded to the child.

use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

pub struct Watch {
    int: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
    /// Set once any signal was taken: the run as a whole was interrupted.
    seen: AtomicBool,
}

impl Watch {
    /// Catch SIGINT and SIGTERM from now on (they only set flags).
    pub fn install() -> Self {
        let int = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        // Registration only fails for forbidden signals (SIGKILL, SIGSTOP), never these two.
        let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&int));
        let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&term));
        Self {
            int,
            term,
            seen: AtomicBool::new(false),
        }
    }

    /// A watch that catches nothing: only [`Watch::raise`] sets it (unit tests).
    #[cfg(test)]
    pub(crate) fn unhooked() -> Self {
        Self {
            int: Arc::default(),
            term: Arc::default(),
            seen: AtomicBool::new(false),
        }
    }

    /// As if `sig` had arrived (unit tests).
    #[cfg(test)]
    pub(crate) fn raise(&self, sig: Signal) {
        let flag = if sig == Signal::SIGTERM {
            &self.term
        } else {
            &self.int
        };
        flag.store(true, Ordering::SeqCst);
    }

    /// The process-wide watch, installed on first use.
    pub fn global() -> &'static Watch {
        static WATCH: std::sync::OnceLock<Watch> = std::sync::OnceLock::new();
        WATCH.get_or_init(Watch::install)
    }

    /// The signal received since the last call, if any.
    pub fn take(&self) -> Option<Signal> {
        let sig = if self.term.swap(false, Ordering::SeqCst) {
            Some(Signal::SIGTERM)
        } else if self.int.swap(false, Ordering::SeqCst) {
            Some(Signal::SIGINT)
        } else {
            None
        };
        if sig.is_some() {
            self.seen.store(true, Ordering::SeqCst);
        }
        sig
    }

    /// Whether SIGINT or SIGTERM arrived at any time so far (taken or not).
    pub fn interrupted(&self) -> bool {
        self.seen.load(Ordering::SeqCst)
            || self.term.load(Ordering::SeqCst)
            || self.int.load(Ordering::SeqCst)
    }
}

/// Wait for `child`, forwarding signals: to its process group when it leads one
/// (`own_group`), else to it alone unless the signal is a terminal's Ctrl-C, which the child
/// got already.
pub fn wait(
    child: &mut Child,
    watch: &Watch,
    own_group: bool,
) -> std::io::Result<std::process::ExitStatus> {
    let pid = Pid::from_raw(child.id() as i32);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if let Some(sig) = watch.take() {
            if own_group {
                let _ = killpg(pid, sig);
            } else if sig == Signal::SIGTERM || !std::io::IsTerminal::is_terminal(&std::io::stdin())
            {
                let _ = kill(pid, sig);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
