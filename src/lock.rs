//! The exclusive lock every state file is changed under: an `flock` on a sibling lock file
//! (never the data file itself: that is replaced by rename, and a lock on its old inode would
//! protect nothing). Released on drop, and by the kernel if renet dies.

use std::path::Path;

/// Held while it lives.
pub(crate) struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    /// Lock `path` (created when missing), waiting for another renet that holds it, and
    /// saying so on stderr. Errors name `path`.
    pub(crate) fn acquire(path: &Path) -> std::io::Result<Self> {
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?
            .into_parts()
            .0;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                crate::output::note(&format!(
                    "waiting for another renet holding {}",
                    path.display()
                ));
                file.lock().map_err(|e| named(path, e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(named(path, e)),
        }
        Ok(Self { _file: file })
    }
}

fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_for_the_first() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("x.lock");
        let first = FileLock::acquire(&path).expect("lock");
        let (tx, rx) = std::sync::mpsc::channel();
        let p = path.clone();
        let waiter = std::thread::spawn(move || {
            let _second = FileLock::acquire(&p).expect("lock");
            tx.send(()).expect("send");
        });
        // Ordering, not timing: the second cannot have the lock while the first is held.
        assert!(rx.try_recv().is_err());
        drop(first);
        rx.recv().expect("the second got the lock");
        waiter.join().expect("join");
        let err = FileLock::acquire(&tmp.path().join("no/such/x.lock"))
            .err()
            .expect("a missing folder");
        assert!(err.to_string().contains("no/such/x.lock"), "{err}");
    }
}
