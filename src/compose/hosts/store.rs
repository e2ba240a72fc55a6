//! The hosts files in `$RENET_STATE_DIR/hosts/<network-id>/`: written by root, read through
//! bind mounts. A repository controls its service names and compose files, never this folder:
//! names that are no plain file name get no file ([`super::is_file_name`]), the folders and the
//! files must not be symlinks, and a file that is not a regular file is refused, never written
//! through. One folder per network ID, so a repository's names never reach another's services.
//!
//! A file is rewritten in place (same inode; a bind mount follows the inode, so a rename over it
//! would leave running containers on the old file): the new text over the old from offset 0,
//! then truncated to its length. A reader in between may see a line of the old text once.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Entry, content, is_file_name, own_entries_in};
use crate::error::{Error, Result};
use crate::network::{NetworkId, Slot};
use crate::slotmap;

/// The machine's hosts file, whose entries every file repeats.
const MACHINE_HOSTS: &str = "/etc/hosts";

/// The folder of one network's files.
pub(crate) fn dir(state_dir: &Path, network: NetworkId) -> PathBuf {
    state_dir.join("hosts").join(network.to_string())
}

/// The file of one service (`service` must be [`is_file_name`]).
pub(crate) fn file(state_dir: &Path, network: NetworkId, service: &str) -> PathBuf {
    dir(state_dir, network).join(service)
}

/// What [`refresh`] changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    pub(crate) written: Vec<PathBuf>,
    pub(crate) removed: Vec<PathBuf>,
}

/// The file naming the repository a network's folder holds files for.
fn holder_file(state_dir: &Path, network: NetworkId) -> PathBuf {
    state_dir
        .join("hosts")
        .join(format!("{network}.repository"))
}

/// Who brings the files in line: a compose run takes the network's folder over for its
/// repository (removing whatever files another repository left there, so none of its names or
/// `extra_hosts` reach this one); the `slots` commands touch only a folder their repository
/// already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum By {
    Compose,
    Slots,
}

/// Bring the network's files in line with the repository's slot map, read under the slot lock
/// (so two runs never write from different slot sets): the services in `own` (those of the
/// compose files just loaded that get a file) are written with these own entries; any other
/// service of the map keeps the own entries its existing file holds (it gets no file here: the
/// run for its own compose file makes it); files of services the map no longer has are removed.
/// Only files whose text changes are written.
pub(crate) fn refresh(
    repo: &Path,
    state_dir: &Path,
    network: NetworkId,
    own: &BTreeMap<String, Vec<Entry>>,
    by: By,
) -> Result<Changes> {
    let _lock = slotmap::lock(repo).map_err(Error::io(slotmap::path_in(repo)))?;
    let slots = slotmap::read(repo)?.slots();
    let machine = match fs::read_to_string(MACHINE_HOSTS) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(MACHINE_HOSTS)(e)),
    };
    let folder = dir(state_dir, network);
    let holder = holder_file(state_dir, network);
    let repo_line = format!("{}\n", repo.display());
    let ours = read_existing(&holder)?.as_deref() == Some(repo_line.as_str());
    if !ours && by == By::Slots {
        return Ok(Changes::default());
    }
    make_dirs(state_dir, &folder)?;
    let mut changes = Changes::default();
    if !ours {
        changes.removed = remove_stale(&folder, &BTreeMap::new())?;
        write_in_place(&holder, repo_line.as_bytes())?;
    }
    for name in slots.keys().filter(|n| is_file_name(n)) {
        let path = folder.join(name);
        let kept;
        let own = match own.get(name) {
            Some(own) => own.as_slice(),
            None => match read_existing(&path)? {
                Some(text) => {
                    kept = own_entries_in(&text);
                    &kept
                }
                None => continue,
            },
        };
        let text = content(name, network, &slots, own, &machine);
        if write_in_place(&path, text.as_bytes())? {
            changes.written.push(path);
        }
    }
    changes.removed.extend(remove_stale(&folder, &slots)?);
    Ok(changes)
}

/// `state_dir` (as it is: the administrator's choice), then `hosts` and the network's folder,
/// each a real folder, not a symlink.
fn make_dirs(state_dir: &Path, folder: &Path) -> Result<()> {
    fs::create_dir_all(state_dir).map_err(Error::io(state_dir))?;
    let hosts = state_dir.join("hosts");
    for d in [hosts.as_path(), folder] {
        match fs::DirBuilder::new().mode(0o755).create(d) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(d)(e)),
        }
        let meta = fs::symlink_metadata(d).map_err(Error::io(d))?;
        if !meta.is_dir() {
            return Err(Error::io(d)(refused(
                "not a folder (renet does not follow symlinks here)",
            )));
        }
    }
    Ok(())
}

fn refused(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_owned())
}

/// Open `path` for writing without following a symlink and without blocking on a FIFO,
/// creating it (mode 0644) when missing; refused unless it is a regular file.
fn open_regular(path: &Path, create: bool) -> io::Result<fs::File> {
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => refused("a symlink (renet does not write through symlinks here)"),
            _ => e,
        })?;
    if !file.metadata()?.is_file() {
        return Err(refused("not a regular file (refused)"));
    }
    Ok(file)
}

/// The text of an existing file of ours, None when there is none.
fn read_existing(path: &Path) -> Result<Option<String>> {
    match open_regular(path, false) {
        Ok(mut f) => {
            let mut text = String::new();
            f.read_to_string(&mut text).map_err(Error::io(path))?;
            Ok(Some(text))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path)(e)),
    }
}

/// Give `path` the text `bytes` in place (same inode), readable by every container user.
/// Returns whether anything changed.
pub(crate) fn write_in_place(path: &Path, bytes: &[u8]) -> Result<bool> {
    let named = Error::io(path);
    let inner = || -> io::Result<bool> {
        let mut file = open_regular(path, true)?;
        let mut old = Vec::new();
        file.read_to_end(&mut old)?;
        let meta = file.metadata()?;
        // A container's user may be anyone: the file must be world-readable.
        if meta.permissions().mode() & 0o777 != 0o644 {
            file.set_permissions(fs::Permissions::from_mode(0o644))?;
        }
        if old == bytes {
            return Ok(false);
        }
        file.write_all_at(bytes, 0)?;
        file.set_len(u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
        file.sync_all()?;
        Ok(true)
    };
    inner().map_err(named)
}

/// Remove the files of services the slot map no longer has (regular files only; anything
/// else in the folder is left alone).
fn remove_stale(folder: &Path, slots: &BTreeMap<String, Slot>) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(folder).map_err(Error::io(folder))? {
        let entry = entry.map_err(Error::io(folder))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && is_file_name(name) && !slots.contains_key(name) {
            let path = entry.path();
            fs::remove_file(&path).map_err(Error::io(&path))?;
            removed.push(path);
        }
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn net() -> NetworkId {
        NetworkId::new(2816).expect("network")
    }

    fn repo_with(dir: &Path, services: &str) {
        fs::write(dir.join(".rediacc.json"), services).expect("slot map");
    }

    #[test]
    fn writes_in_place_keeping_the_inode() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = tmp.path().join("web");
        assert!(write_in_place(&path, b"first, a long text\n").expect("create"));
        let inode = fs::metadata(&path).expect("stat").ino();
        assert_eq!(
            fs::metadata(&path).expect("stat").permissions().mode() & 0o777,
            0o644
        );
        assert!(write_in_place(&path, b"short\n").expect("rewrite"));
        assert_eq!(fs::read_to_string(&path).expect("read"), "short\n");
        assert_eq!(fs::metadata(&path).expect("stat").ino(), inode);
        assert!(!write_in_place(&path, b"short\n").expect("same text"));
    }

    #[test]
    fn refuses_symlinks_and_special_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let victim = tmp.path().join("victim");
        fs::write(&victim, "keep").expect("write");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let err = write_in_place(&link, b"x").expect_err("a symlink");
        assert!(err.to_string().contains("symlink"), "{err}");
        assert_eq!(fs::read_to_string(&victim).expect("read"), "keep");
        let folder = tmp.path().join("folder");
        fs::create_dir(&folder).expect("mkdir");
        let err = write_in_place(&folder, b"x").expect_err("a folder");
        assert!(
            err.to_string().contains(folder.to_str().expect("utf-8")),
            "names the path: {err}"
        );
        let fifo = tmp.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let err = write_in_place(&fifo, b"x").expect_err("a FIFO");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn refresh_writes_keeps_own_entries_and_removes_pruned_services() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (repo, state) = (tmp.path().join("repo"), tmp.path().join("state"));
        fs::create_dir(&repo).expect("mkdir");
        repo_with(
            &repo,
            r#"{"services": {"web": {"slot": 0}, "db": {"slot": 1}, "..": {"slot": 2}}}"#,
        );
        let own = BTreeMap::from([(
            "web".to_owned(),
            vec![Entry {
                address: "10.0.0.1".into(),
                name: "a.local".into(),
            }],
        )]);
        // Before any compose run, the slots commands touch nothing.
        let none = refresh(&repo, &state, net(), &own, By::Slots).expect("refresh");
        assert_eq!(none, Changes::default());
        assert!(!state.exists());
        let changes = refresh(&repo, &state, net(), &own, By::Compose).expect("refresh");
        let web = file(&state, net(), "web");
        assert_eq!(
            changes.written,
            std::slice::from_ref(&web),
            "db has no file yet"
        );
        let text = fs::read_to_string(&web).expect("read");
        assert!(
            text.contains("127.0.11.2\tweb\n127.0.11.3\tdb\n")
                || text.contains("127.0.11.3\tdb\n127.0.11.2\tweb\n"),
            "{text}"
        );
        assert!(text.contains("10.0.0.1\ta.local"), "{text}");
        let inode = fs::metadata(&web).expect("stat").ino();

        // A run of another folder (no web in it) adds a service: web keeps its own entries.
        repo_with(
            &repo,
            r#"{"services": {"web": {"slot": 0}, "db": {"slot": 1}, "cache": {"slot": 3}}}"#,
        );
        let changes =
            refresh(&repo, &state, net(), &BTreeMap::new(), By::Compose).expect("refresh");
        assert_eq!(changes.written, std::slice::from_ref(&web));
        let text = fs::read_to_string(&web).expect("read");
        assert!(text.contains("127.0.11.5\tcache\n"), "{text}");
        assert!(text.contains("10.0.0.1\ta.local"), "{text}");
        assert_eq!(fs::metadata(&web).expect("stat").ino(), inode);
        // Nothing changed: nothing written.
        let again = refresh(&repo, &state, net(), &BTreeMap::new(), By::Slots).expect("refresh");
        assert_eq!(again, Changes::default());

        // web pruned: its file goes; a file renet did not write is left alone.
        fs::create_dir(dir(&state, net()).join("not-a-file")).expect("mkdir");
        repo_with(&repo, r#"{"services": {"db": {"slot": 1}}}"#);
        let changes = refresh(&repo, &state, net(), &BTreeMap::new(), By::Slots).expect("refresh");
        assert_eq!(changes.removed, std::slice::from_ref(&web));
        assert!(!web.exists());
        assert!(dir(&state, net()).join("not-a-file").is_dir());
    }

    #[test]
    fn another_repository_on_the_network_id_finds_none_of_the_first_ones_files() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let state = tmp.path().join("state");
        let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
        for (repo, map) in [
            (
                &first,
                r#"{"services": {"web": {"slot": 0}, "db": {"slot": 1}}}"#,
            ),
            (&second, r#"{"services": {"web": {"slot": 0}}}"#),
        ] {
            fs::create_dir(repo).expect("mkdir");
            repo_with(repo, map);
        }
        let own = |name: &str| {
            BTreeMap::from([(
                "web".to_owned(),
                vec![Entry {
                    address: "10.0.0.1".into(),
                    name: name.into(),
                }],
            )])
        };
        refresh(&first, &state, net(), &own("first.local"), By::Compose).expect("refresh");
        // The second repository's slots commands leave the first one's files alone.
        let untouched =
            refresh(&second, &state, net(), &BTreeMap::new(), By::Slots).expect("refresh");
        assert_eq!(untouched, Changes::default());
        // Its compose run takes the folder over: the first one's files go first.
        let changes =
            refresh(&second, &state, net(), &BTreeMap::new(), By::Compose).expect("refresh");
        assert_eq!(changes.removed, [file(&state, net(), "web")]);
        assert!(
            changes.written.is_empty(),
            "web's own entries were the first repository's"
        );
        refresh(&second, &state, net(), &own("second.local"), By::Compose).expect("refresh");
        let text = fs::read_to_string(file(&state, net(), "web")).expect("read");
        assert!(
            text.contains("second.local") && !text.contains("first.local"),
            "{text}"
        );
        assert!(!text.contains("\tdb\n"), "{text}");
    }

    #[test]
    fn refresh_refuses_a_symlinked_folder() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (repo, state) = (tmp.path().join("repo"), tmp.path().join("state"));
        fs::create_dir(&repo).expect("mkdir");
        fs::create_dir_all(state.join("elsewhere")).expect("mkdir");
        std::os::unix::fs::symlink(state.join("elsewhere"), state.join("hosts")).expect("symlink");
        repo_with(&repo, r#"{"services": {"web": {"slot": 0}}}"#);
        let own = BTreeMap::from([("web".to_owned(), Vec::new())]);
        let err = refresh(&repo, &state, net(), &own, By::Compose).expect_err("a symlinked folder");
        assert!(err.to_string().contains("symlink"), "{err}");
        assert!(is_empty(&state.join("elsewhere")));
    }

    fn is_empty(dir: &Path) -> bool {
        fs::read_dir(dir).expect("ls").next().is_none()
    }
}
