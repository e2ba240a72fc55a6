//! Reading files a repository controls: bounded, never blocking, with an explicit symlink
//! policy. A repository's owner can put a FIFO, a device, a huge file or a symlink where renet
//! expects a small regular file; a plain `fs::read` would block for ever on the first (freezing
//! the machine-wide route server with it) and fill memory with the others.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Limit for small state and settings files (`.rediacc.json`, machine settings).
pub(crate) const STATE_LIMIT: u64 = 1 << 20;
/// Limit for compose files, `.env` files and Rediaccfiles.
pub(crate) const SOURCE_LIMIT: u64 = 16 << 20;

/// Whether a symlink as the file's last component is followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Links {
    /// Follow it (compose files may be links; what they point at is still checked).
    Follow,
    /// Refuse it: files renet writes itself are never links, one there is a trick.
    Refuse,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    #[error("{}: not a regular file (a {kind}); replace it with a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error(
        "{}: is a symbolic link; renet does not follow links for this file: replace the link \
         with a regular file",
        path.display()
    )]
    Symlink { path: PathBuf },
    #[error(
        "{}: larger than the {limit}-byte limit for this kind of file; shrink it",
        path.display()
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error(
        "{}: leads to {}, outside the repository {}; renet reads no file out of a repository \
         through a link: copy the file into the repository, or name it directly",
        path.display(),
        target.display(),
        repo.display()
    )]
    Outside {
        path: PathBuf,
        target: PathBuf,
        repo: PathBuf,
    },
    #[error("{}: not valid UTF-8 text", path.display())]
    NotText { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ReadError {
    /// The file (or a folder on its way) does not exist.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// As an `io::Error` whose message is this one (it names the file), for callers whose
    /// errors are I/O errors.
    pub(crate) fn into_io(self) -> std::io::Error {
        let kind = match &self {
            ReadError::Io { source, .. } => source.kind(),
            _ => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, self.to_string())
    }
}

/// Read at most `limit` bytes of the regular file at `path`.
pub(crate) fn read(path: &Path, limit: u64, links: Links) -> Result<Vec<u8>, ReadError> {
    read_open(open(path, links)?, path, limit)
}

/// A repository's source file (compose file, `include`/`extends` target, `.env`, `env_file`)
/// as text, links followed as compose follows them, within [`SOURCE_LIMIT`]. With `repo`, a
/// file whose path is inside the repository must also be inside it once every link is
/// followed (SPEC section 2): a link to `/etc/shadow` as `.env` would have renet, and compose
/// after it, read a root-only file for the repository's owner. A path outside the repository
/// was named by whoever ran renet, and is read as it is.
pub(crate) fn read_source(path: &Path, repo: Option<&Path>) -> Result<String, ReadError> {
    let file = open(path, Links::Follow)?;
    // What it is first (a FIFO, a device), then where it is.
    check_regular(&file, path, SOURCE_LIMIT)?;
    if let Some(repo) = repo
        && path.starts_with(repo)
    {
        check_inside(&file, path, repo)?;
    }
    String::from_utf8(read_open(file, path, SOURCE_LIMIT)?).map_err(|_| ReadError::NotText {
        path: path.to_path_buf(),
    })
}

/// The file actually opened (the kernel's name for the descriptor, so a link swapped after
/// the open changes nothing) must lie inside `repo`, links in `repo`'s own path resolved.
fn check_inside(file: &File, path: &Path, repo: &Path) -> Result<(), ReadError> {
    use std::os::fd::AsRawFd;
    let fd_link = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    let target = std::fs::read_link(&fd_link).map_err(|e| io(path, e))?;
    let root = repo.canonicalize().map_err(|e| io(repo, e))?;
    if target.starts_with(&root) {
        Ok(())
    } else {
        Err(ReadError::Outside {
            path: path.to_path_buf(),
            target,
            repo: repo.to_path_buf(),
        })
    }
}

fn read_open(file: File, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let len = check_regular(&file, path, limit)?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // The file may grow between the stat and the read: never read past the limit.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(bytes)
}

/// The open file is a regular file within `limit`; returns its length.
fn check_regular(file: &File, path: &Path, limit: u64) -> Result<u64, ReadError> {
    let meta = file.metadata().map_err(|e| io(path, e))?;
    if !meta.file_type().is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            kind: kind(&meta.file_type()),
        });
    }
    if meta.len() > limit {
        return Err(too_large(path, limit));
    }
    Ok(meta.len())
}

/// [`read`] as UTF-8 text.
pub(crate) fn read_to_string(path: &Path, limit: u64, links: Links) -> Result<String, ReadError> {
    String::from_utf8(read(path, limit, links)?).map_err(|_| ReadError::NotText {
        path: path.to_path_buf(),
    })
}

/// Open without blocking: `O_NONBLOCK` makes opening a FIFO return at once (a plain open waits
/// for a writer); the type check after it refuses the FIFO.
fn open(path: &Path, links: Links) -> Result<File, ReadError> {
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| {
            if links == Links::Refuse && e.raw_os_error() == Some(libc::ELOOP) {
                ReadError::Symlink {
                    path: path.to_path_buf(),
                }
            } else {
                io(path, e)
            }
        })
}

fn kind(t: &std::fs::FileType) -> &'static str {
    if t.is_dir() {
        "folder"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

fn io(path: &Path, source: std::io::Error) -> ReadError {
    ReadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn too_large(path: &Path, limit: u64) -> ReadError {
    ReadError::TooLarge {
        path: path.to_path_buf(),
        limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file_within_the_limit() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("a.json");
        fs_err::write(&p, "{}").expect("write");
        assert_eq!(read_to_string(&p, 10, Links::Refuse).expect("read"), "{}");
        let err = read(&p, 1, Links::Follow).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("a.json"), "{err}");
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let p = tmp.path().join("fifo");
        nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let err = read(&p, STATE_LIMIT, Links::Follow).unwrap_err();
        assert!(
            err.to_string().contains("not a regular file (a FIFO)"),
            "{err}"
        );
    }

    #[test]
    fn devices_and_folders_are_refused() {
        let err = read(Path::new("/dev/zero"), STATE_LIMIT, Links::Follow).unwrap_err();
        assert!(err.to_string().contains("character device"), "{err}");
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = read(tmp.path(), STATE_LIMIT, Links::Follow).unwrap_err();
        assert!(err.to_string().contains("a folder"), "{err}");
    }

    #[test]
    fn symlinks_follow_the_policy() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let target = tmp.path().join("real");
        fs_err::write(&target, "x").expect("write");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        assert_eq!(read(&link, 10, Links::Follow).expect("followed"), b"x");
        let err = read(&link, 10, Links::Refuse).unwrap_err();
        assert!(matches!(err, ReadError::Symlink { .. }), "{err}");
        let zero = tmp.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
        let err = read(&zero, 10, Links::Follow).unwrap_err();
        assert!(matches!(err, ReadError::NotRegular { .. }), "{err}");
    }

    #[test]
    fn sources_in_a_repository_stay_in_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let repo = tmp.path().join("repo");
        fs_err::create_dir_all(repo.join("sub")).expect("mkdir");
        fs_err::write(tmp.path().join("secret"), "root-only").expect("write");
        fs_err::write(repo.join("sub/real.yaml"), "ok").expect("write");
        let out = repo.join(".env");
        std::os::unix::fs::symlink(tmp.path().join("secret"), &out).expect("symlink");
        let err = read_source(&out, Some(&repo)).unwrap_err();
        assert!(matches!(err, ReadError::Outside { .. }), "{err}");
        assert!(err.to_string().contains("outside the repository"), "{err}");
        // A link folder out of the repository is the same.
        std::os::unix::fs::symlink(tmp.path(), repo.join("up")).expect("symlink");
        let err = read_source(&repo.join("up/secret"), Some(&repo)).unwrap_err();
        assert!(matches!(err, ReadError::Outside { .. }), "{err}");
        // Links inside it, files named outside it, and no repository at all are read.
        let inside = repo.join("compose.yaml");
        std::os::unix::fs::symlink("sub/real.yaml", &inside).expect("symlink");
        assert_eq!(read_source(&inside, Some(&repo)).expect("inside"), "ok");
        let named = tmp.path().join("secret");
        assert_eq!(
            read_source(&named, Some(&repo)).expect("named"),
            "root-only"
        );
        assert_eq!(read_source(&out, None).expect("unconfined"), "root-only");
    }

    #[test]
    fn missing_files_and_bad_text_are_told_apart() {
        let tmp = tempfile::tempdir().expect("tempdir");
        assert!(
            read(&tmp.path().join("none"), 10, Links::Refuse)
                .unwrap_err()
                .is_not_found()
        );
        let p = tmp.path().join("bin");
        fs_err::write(&p, [0xff, 0xfe]).expect("write");
        let err = read_to_string(&p, 10, Links::Follow).unwrap_err();
        assert!(matches!(err, ReadError::NotText { .. }), "{err}");
    }
}
