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

/// Remove what a writer of `path` killed mid-write left (`.NAME.XXXXXX`, atomic-write-file's
/// temporary name, only regular files). Only for callers holding `path`'s lock: then no other
/// renet is writing it, and every such file is a stray (`kill -9` between the temporary file's
/// link and its rename). Best effort: a stray that cannot be removed only takes space.
pub(crate) fn remove_strays(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(suffix) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let temporary = suffix.len() == 6 && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
        if temporary && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Mode of a state file renet creates: readable by all, written by its owner.
pub(crate) const STATE_MODE: u32 = 0o644;

/// [`write`] for a state file in a folder someone else controls (`.rediacc.json` in a
/// repository): a symbolic link or special file at `path` is refused before anything is
/// written, naming it (replacing a link would hand its owner a root-written file, and a
/// link's own mode, 0777, would be copied onto it). The new file keeps the old one's mode
/// without group and world write (nobody but its owner may rewrite slots) and without the
/// set-id bits; a new file gets [`STATE_MODE`]. Callers hold the file's lock (strays of a
/// killed writer are removed first: [`remove_strays`]).
pub(crate) fn replace_regular(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => meta.permissions().mode() & 0o755,
        Ok(meta) => {
            let what = if meta.file_type().is_symlink() {
                "a symbolic link"
            } else {
                "not a regular file"
            };
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{}: {what}; renet does not write through it: replace it with a regular file",
                    path.display()
                ),
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => STATE_MODE,
        Err(e) => {
            return Err(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", path.display()),
            ));
        }
    };
    remove_strays(path);
    write(path, bytes, Some(mode))
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
    fn state_files_are_never_links_nor_group_writable() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join(".rediacc.json");
        replace_regular(&path, b"{}").expect("new file");
        assert_eq!(mode(&path) & !0o022, STATE_MODE & !0o022);
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        replace_regular(&path, b"{ }").expect("rewrite");
        assert_eq!(mode(&path), 0o644, "group and world write dropped");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        replace_regular(&path, b"{}").expect("rewrite");
        assert_eq!(mode(&path), 0o600, "a narrower mode is kept");

        let outside = tmp.path().join("outside");
        fs_err::write(&outside, "keep").expect("write");
        let link = tmp.path().join("link.json");
        std::os::unix::fs::symlink(&outside, &link).expect("symlink");
        let err = replace_regular(&link, b"{}").unwrap_err().to_string();
        assert!(
            err.contains("link.json") && err.contains("symbolic link"),
            "{err}"
        );
        assert!(fs_err::symlink_metadata(&link).expect("lstat").is_symlink());
        assert_eq!(fs_err::read_to_string(&outside).expect("read"), "keep");
        let dangling = tmp.path().join("dangling.json");
        std::os::unix::fs::symlink(tmp.path().join("none"), &dangling).expect("symlink");
        assert!(replace_regular(&dangling, b"{}").is_err());
        assert!(!tmp.path().join("none").exists());
    }

    #[test]
    fn strays_of_a_killed_writer_are_removed_and_nothing_else() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("machine.json");
        for name in [
            ".machine.json.AIHOKr",
            ".machine.json.x",
            ".other.json.AIHOKr",
            "keep",
        ] {
            fs_err::write(tmp.path().join(name), "x").expect("write");
        }
        std::os::unix::fs::symlink("/etc/hostname", tmp.path().join(".machine.json.LINK01"))
            .expect("symlink");
        replace_regular(&path, b"{}").expect("replace");
        let mut left: Vec<String> = fs_err::read_dir(tmp.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".machine.json.LINK01",
                ".machine.json.x",
                ".other.json.AIHOKr",
                "keep",
                "machine.json"
            ]
        );
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
