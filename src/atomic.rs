//! Replacing a file so a reader sees the old or the new content, never half of either, and a
//! crash leaves one of the two: temporary file in the same folder, fsync, rename, fsync of the
//! folder (the `atomic-write-file` crate does each step).

use std::io::Write;
use std::path::Path;

use atomic_write_file::unix::OpenOptionsExt as _;

/// Write `bytes` to `path` atomically. `mode`: the new file's permissions (masked by the
/// umask), whatever the old file had; `None` keeps the old file's (0666 & umask for a new
/// file). Errors name `path`.
pub(crate) fn write(path: &Path, bytes: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let named =
        |e: std::io::Error| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()));
    let mut options = atomic_write_file::AtomicWriteFile::options();
    if let Some(mode) = mode {
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        options.preserve_mode(false);
    }
    let mut file = options.open(path).map_err(named)?;
    file.write_all(bytes)?;
    file.commit().map_err(named)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        fs_err::metadata(p).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn replaces_the_content_and_sets_the_mode() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("model.json");
        fs_err::write(&path, "old").expect("write");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write(&path, b"new", Some(0o600)).expect("atomic write");
        assert_eq!(fs_err::read_to_string(&path).expect("read"), "new");
        assert_eq!(mode(&path), 0o600);
        // Without a mode the old file's is kept.
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write(&path, b"newer", None).expect("atomic write");
        assert_eq!(fs_err::read_to_string(&path).expect("read"), "newer");
        assert_eq!(mode(&path), 0o640);
        // Nothing is left beside it.
        assert_eq!(fs_err::read_dir(tmp.path()).expect("ls").count(), 1);
    }

    #[test]
    fn errors_name_the_path() {
        let err = write(Path::new("/nonexistent-folder/x.json"), b"x", None).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent-folder/x.json"),
            "{err}"
        );
    }
}
