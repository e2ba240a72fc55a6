//! `$RENET_STATE_DIR/repositories.json`: the repositories `repository up` brought up on this
//! machine (name, path, network ID, up or down), so an operator need not remember them.
//! `repository down` keeps the entry, marked down (boot brings up only the repositories that
//! are up, `repository list` still shows it); `repository down --forget` removes it.
//!
//! Written atomically under an exclusive lock on a sibling lock file, like every state file:
//! the data file is replaced by rename, so a lock on it would protect nothing.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::network::NetworkId;

const FILE_NAME: &str = "repositories.json";
const LOCK_NAME: &str = "repositories.json.lock";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Entry {
    pub(crate) name: String,
    pub(crate) path: PathBuf,
    pub(crate) network_id: u32,
    /// An entry written before repositories could be marked down was written by `up`.
    #[serde(default)]
    pub(crate) state: State,
}

/// Whether the repository's last `repository up|down` brought it up or down.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum State {
    #[default]
    Up,
    Down,
}

impl State {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Down => "down",
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Doc {
    repositories: Vec<Entry>,
}

pub(crate) fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

/// The registered repositories, sorted by network ID; none when the file does not exist.
pub(crate) fn read(state_dir: &Path) -> std::io::Result<Vec<Entry>> {
    let path = path_in(state_dir);
    // renet writes this file itself: a link, FIFO or device there is refused, not followed.
    let read = crate::fsread::read_to_string(
        &path,
        crate::fsread::STATE_LIMIT,
        crate::fsread::Links::Refuse,
    );
    let text = match read {
        Ok(t) => t,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e.into_io()),
    };
    let doc: Doc = serde_json::from_str(&text).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {e}; fix or remove the file", path.display()),
        )
    })?;
    Ok(doc.repositories)
}

/// Record `name` at `path` on `id`, up: an earlier entry for the same path or the same network
/// ID is replaced (a repository has one identity, a network serves one repository).
pub(crate) fn register(
    state_dir: &Path,
    name: &str,
    path: &Path,
    id: NetworkId,
) -> std::io::Result<()> {
    fs_err::create_dir_all(state_dir)?;
    let entry = Entry {
        name: name.to_owned(),
        path: path.to_owned(),
        network_id: id.get(),
        state: State::Up,
    };
    change(state_dir, |entries| {
        if entries.contains(&entry) {
            return false;
        }
        entries.retain(|e| e.path != entry.path && e.network_id != entry.network_id);
        entries.push(entry);
        true
    })
}

/// After `repository down`: the entry of `path` on `id` marked down, or removed (`forget`).
/// A repository that was never registered stays unregistered. Whether anything changed.
pub(crate) fn down(
    state_dir: &Path,
    path: &Path,
    id: NetworkId,
    forget: bool,
) -> std::io::Result<bool> {
    if !path_in(state_dir).exists() {
        return Ok(false);
    }
    let mut changed = false;
    change(state_dir, |entries| {
        let mine = |e: &Entry| e.path == path && e.network_id == id.get();
        if forget {
            let before = entries.len();
            entries.retain(|e| !mine(e));
            changed = entries.len() != before;
        } else if let Some(e) = entries.iter_mut().find(|e| mine(e))
            && e.state != State::Down
        {
            e.state = State::Down;
            changed = true;
        }
        changed
    })?;
    Ok(changed)
}

/// Read, change and (when `edit` says it changed something) write the registry, under its
/// lock; the file is written sorted by network ID.
fn change(state_dir: &Path, edit: impl FnOnce(&mut Vec<Entry>) -> bool) -> std::io::Result<()> {
    let _lock = crate::lock::FileLock::acquire(&state_dir.join(LOCK_NAME))?;
    let mut entries = read(state_dir)?;
    if !edit(&mut entries) {
        return Ok(());
    }
    write(state_dir, entries)
}

fn write(state_dir: &Path, mut entries: Vec<Entry>) -> std::io::Result<()> {
    entries.sort_by(|a, b| (a.network_id, &a.path).cmp(&(b.network_id, &b.path)));
    let mut text = serde_json::to_string_pretty(&Doc {
        repositories: entries,
    })
    .map_err(std::io::Error::other)?;
    text.push('\n');
    crate::atomic::remove_strays(&path_in(state_dir));
    crate::atomic::write(&path_in(state_dir), text.as_bytes(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_replaced_and_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (NetworkId::new(2880).unwrap(), NetworkId::new(2816).unwrap());
        register(dir.path(), "one", Path::new("/r/one"), a).unwrap();
        register(dir.path(), "two", Path::new("/r/two"), b).unwrap();
        let names: Vec<String> = read(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["two", "one"], "sorted by network ID");
        // The same path on another network ID, then another path on a taken ID: replaced.
        register(
            dir.path(),
            "one",
            Path::new("/r/one"),
            NetworkId::new(2944).unwrap(),
        )
        .unwrap();
        register(dir.path(), "three", Path::new("/r/three"), b).unwrap();
        let got: Vec<(String, u32)> = read(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.network_id))
            .collect();
        assert_eq!(got, [("three".to_owned(), 2816), ("one".to_owned(), 2944)]);
    }

    #[test]
    fn down_marks_or_forgets_and_leaves_others_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (NetworkId::new(2816).unwrap(), NetworkId::new(2880).unwrap());
        // Nothing registered: nothing written.
        assert!(!down(dir.path(), Path::new("/r/one"), a, false).unwrap());
        assert!(!path_in(dir.path()).exists());
        register(dir.path(), "one", Path::new("/r/one"), a).unwrap();
        register(dir.path(), "two", Path::new("/r/two"), b).unwrap();
        // Another network ID or path is not this repository.
        assert!(!down(dir.path(), Path::new("/r/one"), b, false).unwrap());
        let before = fs_err::read(path_in(dir.path())).unwrap();
        assert!(down(dir.path(), Path::new("/r/one"), a, false).unwrap());
        let states: Vec<State> = read(dir.path()).unwrap().iter().map(|e| e.state).collect();
        assert_eq!(states, [State::Down, State::Up]);
        // Down twice: nothing changes, the file is not rewritten.
        let once = fs_err::read(path_in(dir.path())).unwrap();
        assert_ne!(once, before);
        assert!(!down(dir.path(), Path::new("/r/one"), a, false).unwrap());
        assert_eq!(fs_err::read(path_in(dir.path())).unwrap(), once);
        // Up again, then forgotten.
        register(dir.path(), "one", Path::new("/r/one"), a).unwrap();
        assert_eq!(read(dir.path()).unwrap()[0].state, State::Up);
        assert!(down(dir.path(), Path::new("/r/one"), a, true).unwrap());
        let names: Vec<String> = read(dir.path())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["two"]);
    }

    #[test]
    fn entries_without_a_state_are_up() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(
            path_in(dir.path()),
            r#"{"repositories": [{"name": "a", "path": "/r/a", "network_id": 2816}]}"#,
        )
        .unwrap();
        assert_eq!(read(dir.path()).unwrap()[0].state, State::Up);
    }
}
