//! The exclusive lock every state file is changed under: an `flock` on a sibling lock file
//! (never the data file itself: that is replaced by rename, and a lock on its old inode would
//! protect nothing). Released on drop, and by the kernel if renet dies.
//!
//! A repository's lock lives in a folder its owner controls, so the file is opened as renet
//! running as root must open it there: never through a symbolic link (`O_NOFOLLOW`: a link
//! would make root create or open a file anywhere), never waiting on a FIFO (`O_NONBLOCK`),
//! and only a regular file is locked.

use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Mode of a new lock file: it holds nothing, only renet (root) needs it.
const LOCK_MODE: u32 = 0o600;

/// Held while it lives.
pub(crate) struct FileLock {
    _file: std::fs::File,
}

impl FileLock {
    /// Lock `path` (created when missing), waiting for another renet that holds it, and
    /// saying so on stderr. Errors name `path`; a link, FIFO or other special file there is
    /// refused at once.
    pub(crate) fn acquire(path: &Path) -> std::io::Result<Self> {
        let file = open(path)?;
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

fn open(path: &Path) -> std::io::Result<std::fs::File> {
    let opened = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(LOCK_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        // ELOOP: a link; ENXIO: a FIFO nobody reads (non-blocking open for writing).
        Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENXIO)) => {
            return Err(refused(path));
        }
        Err(e) => return Err(named(path, e)),
    };
    let meta = file.metadata().map_err(|e| named(path, e))?;
    if !meta.file_type().is_file() {
        return Err(refused(path));
    }
    Ok(file)
}

/// The refusal of a link or special file where the lock file should be, saying which.
fn refused(path: &Path) -> std::io::Error {
    let what = match std::fs::symlink_metadata(path).map(|m| m.file_type()) {
        Ok(t) if t.is_symlink() => "is a symbolic link (renet never follows one for a lock file)",
        Ok(t) if t.is_fifo() => "is a FIFO, not a regular file",
        Ok(t) if t.is_dir() => "is a folder, not a regular file",
        _ => "is not a regular file",
    };
    std::io::Error::new(
        ErrorKind::InvalidInput,
        format!(
            "{}: {what}; remove it (renet creates the lock file itself)",
            path.display()
        ),
    )
}

fn named(path: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

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

    #[test]
    fn a_new_lock_file_is_private() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("x.lock");
        drop(FileLock::acquire(&path).expect("lock"));
        let mode = fs_err::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    #[test]
    fn links_fifos_and_folders_are_refused_without_creating_anything() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let target = tmp.path().join("elsewhere");
        let link = tmp.path().join("link.lock");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = FileLock::acquire(&link).err().expect("a link").to_string();
        assert!(
            err.contains("link.lock") && err.contains("symbolic link"),
            "{err}"
        );
        assert!(!target.exists(), "nothing created through the link");

        let fifo = tmp.path().join("fifo.lock");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600))
            .expect("mkfifo");
        let err = FileLock::acquire(&fifo).err().expect("a FIFO").to_string();
        assert!(err.contains("fifo.lock") && err.contains("FIFO"), "{err}");

        let dir = tmp.path().join("dir.lock");
        fs_err::create_dir(&dir).expect("mkdir");
        let err = FileLock::acquire(&dir).err().expect("a folder").to_string();
        assert!(err.contains("dir.lock"), "{err}");
    }
}
