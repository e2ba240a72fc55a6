//! Which Rediaccfiles a repository has: the root's and those of first-level folders, each
//! checked (a regular file inside the repository, within the size limit, valid bash) before
//! anything runs. Which functions each defines is bash's answer once it has sourced the file
//! ([`super::shell`]), filled in by the lifecycle.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::Function;

/// One Rediaccfile of a repository.
#[derive(Debug, Serialize)]
pub(crate) struct Rediaccfile {
    /// Folder relative to the repository root: "." for the root.
    pub(crate) folder: String,
    pub(crate) path: PathBuf,
    /// Functions it defines (of prep, up, down, info): what bash knows after sourcing it
    /// (empty until it was sourced, and when sourcing failed).
    pub(crate) functions: Vec<Function>,
    /// Why it cannot be run, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) problem: Option<Problem>,
}

/// Why a Rediaccfile cannot be run. Shown (and reported in JSON) as its message; cloned into
/// the failed run it causes.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum Problem {
    #[error("{} is a folder, not a file; a Rediaccfile is a bash file", path.display())]
    Folder { path: PathBuf },
    #[error("{}: cannot read it: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
    #[error("bash syntax error in {}: {message}", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("cannot run bash to check {}: {source}", path.display())]
    NoBash {
        path: PathBuf,
        source: Arc<std::io::Error>,
    },
    /// A FIFO, a device, a socket, or larger than the limit for source files.
    #[error("{source}")]
    NotAFile {
        source: Arc<crate::fsread::ReadError>,
    },
    #[error(
        "{} resolves (through a symbolic link) to {}, outside the repository {}; a Rediaccfile \
         must be a file inside the repository: replace the link with a copy of the file",
        path.display(),
        target.display(),
        repo.display()
    )]
    LinkOutside {
        path: PathBuf,
        target: PathBuf,
        repo: PathBuf,
    },
    #[error(
        "{} exited with status {code} while being sourced, before any function could run: its \
         top level must not call `exit` (use `return` to stop sourcing early), nor fail under \
         `set -e`",
        path.display()
    )]
    TopLevelExit { path: PathBuf, code: i32 },
    #[error("{} was killed by a signal while being sourced", path.display())]
    TopLevelKilled { path: PathBuf },
    #[error(
        "sourcing {} failed with status {code} (the status of its last top-level command); \
         no function of it ran: make the top level end with status 0 (an optional step as \
         `if ...; then ...; fi`, not `[ ... ] && ...`)",
        path.display()
    )]
    TopLevelFailed { path: PathBuf, code: i32 },
    #[error(
        "sourcing {} did not finish within {secs}s; it and everything it started were killed",
        path.display()
    )]
    TopLevelTimedOut { path: PathBuf, secs: u64 },
}

impl Problem {
    /// The status bash exited with, for a top level that exited or failed.
    pub(crate) fn exit_status(&self) -> Option<i32> {
        match self {
            Problem::TopLevelExit { code, .. } | Problem::TopLevelFailed { code, .. } => {
                Some(*code)
            }
            _ => None,
        }
    }
}

impl Serialize for Problem {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Rediaccfile {
    pub(crate) fn is_root(&self) -> bool {
        self.folder == "."
    }

    pub(crate) fn defines(&self, function: Function) -> bool {
        self.functions.contains(&function)
    }

    /// The prefix shown before each line of its output.
    pub(crate) fn label(&self) -> &str {
        if self.is_root() { "root" } else { &self.folder }
    }
}

/// A file named `Rediaccfile` in any letter case, directly in `dir`.
pub(crate) fn find_in(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("rediaccfile"))
        })
        .map(|e| e.path())
        .collect();
    // Several spellings in one folder: take the byte-smallest so the choice is stable.
    found.sort();
    found.into_iter().next()
}

/// The repository root and every first-level, non-hidden folder holding a Rediaccfile, root
/// first, then A to Z (byte order).
pub(crate) fn folders(repo: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut subs: Vec<PathBuf> = Vec::new();
    for entry in fs_err::read_dir(repo)? {
        let entry = entry?;
        let name = entry.file_name();
        let hidden = name.to_str().is_none_or(|n| n.starts_with('.'));
        if !hidden && entry.path().is_dir() && find_in(&entry.path()).is_some() {
            subs.push(entry.path());
        }
    }
    subs.sort();
    let mut out = vec![repo.to_path_buf()];
    out.extend(subs);
    Ok(out)
}

/// The root's Rediaccfile (if any) first, then first-level folders A to Z (byte order); hidden
/// folders and deeper levels are never looked at.
pub(crate) fn discover(repo: &Path) -> std::io::Result<Vec<Rediaccfile>> {
    let mut out = Vec::new();
    for folder in folders(repo)? {
        let Some(path) = find_in(&folder) else {
            continue;
        };
        let rel = folder.strip_prefix(repo).map_or_else(
            |_| folder.display().to_string(),
            |p| p.display().to_string(),
        );
        let folder = if rel.is_empty() { ".".to_owned() } else { rel };
        out.push(inspect(repo, folder, path));
    }
    Ok(out)
}

/// Check one file of the repository `repo`.
pub(super) fn inspect(repo: &Path, folder: String, path: PathBuf) -> Rediaccfile {
    let problem = check(repo, &path).err();
    Rediaccfile {
        folder,
        path,
        functions: Vec::new(),
        problem,
    }
}

/// Why `path` cannot be sourced, if so. Symbolic links are followed only to a file inside the
/// repository (a link to `/etc/...` or another repository's file would run it as this one's);
/// the file must be a regular file within [`fsread::SOURCE_LIMIT`] (a FIFO would block bash for
/// ever, `/dev/zero` would never end).
fn check(repo: &Path, path: &Path) -> Result<(), Problem> {
    use crate::fsread::{self, Links, ReadError};
    let path_buf = || path.to_path_buf();
    let unreadable = |source: std::io::Error| Problem::Unreadable {
        path: path_buf(),
        source: Arc::new(source),
    };
    // Resolved whole: a link as the file or as its folder (a first-level folder may be one).
    let target = std::fs::canonicalize(path).map_err(unreadable)?;
    let root = std::fs::canonicalize(repo).map_err(unreadable)?;
    if !target.starts_with(&root) {
        return Err(Problem::LinkOutside {
            path: path_buf(),
            target,
            repo: root,
        });
    }
    if path.is_dir() {
        return Err(Problem::Folder { path: path_buf() });
    }
    match fsread::read(path, fsread::SOURCE_LIMIT, Links::Follow) {
        Ok(_) => {}
        Err(ReadError::Io { source, .. }) => return Err(unreadable(source)),
        Err(e) => {
            return Err(Problem::NotAFile {
                source: Arc::new(e),
            });
        }
    }
    // `bash -n` parses without running anything, so syntax errors are reported up front with
    // bash's own line number.
    let checked = Command::new("bash")
        .arg("-n")
        .arg(path)
        .stdin(Stdio::null())
        .output();
    match checked {
        Ok(out) if !out.status.success() => Err(Problem::Syntax {
            path: path_buf(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        }),
        Ok(_) => Ok(()),
        Err(source) => Err(Problem::NoBash {
            path: path_buf(),
            source: Arc::new(source),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_the_root_then_first_level_ones_in_byte_order() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::write(root.join("Rediaccfile"), "up() { :; }\n").unwrap();
        for d in ["b", "A", ".hidden", "c", "nested"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        std::fs::write(root.join("b/rediaccfile"), "down() { :; }\n").unwrap();
        std::fs::write(root.join("A/REDIACCFILE"), "").unwrap();
        std::fs::write(root.join(".hidden/Rediaccfile"), "").unwrap();
        std::fs::create_dir(root.join("nested/deep")).unwrap();
        std::fs::write(root.join("nested/deep/Rediaccfile"), "").unwrap();
        assert_eq!(
            folders(root).unwrap(),
            vec![root.to_path_buf(), root.join("A"), root.join("b")]
        );
        let files = discover(root).unwrap();
        let seen: Vec<&str> = files.iter().map(|f| f.folder.as_str()).collect();
        assert_eq!(seen, [".", "A", "b"]);
        assert!(
            files.iter().all(|f| f.functions.is_empty()),
            "known only once sourced"
        );
        assert_eq!(files[0].label(), "root");
        assert_eq!(files[2].label(), "b");
        assert!(files.iter().all(|f| f.problem.is_none()));
    }

    #[test]
    fn syntax_errors_and_folders_are_problems() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("Rediaccfile");
        std::fs::write(&p, "up() {\n  echo (\n}\n").unwrap();
        let rf = inspect(t.path(), ".".into(), p);
        let problem = rf.problem.unwrap().to_string();
        assert!(problem.contains("bash syntax error"), "{problem}");
        std::fs::create_dir_all(t.path().join("sub/Rediaccfile")).unwrap();
        let sub = t.path().join("sub/Rediaccfile");
        let dir = inspect(t.path(), "sub".into(), sub.clone());
        assert!(dir.problem.unwrap().to_string().contains("is a folder"));
        let json = serde_json::to_value(inspect(t.path(), "sub".into(), sub));
        assert!(
            json.unwrap()["problem"]
                .as_str()
                .unwrap()
                .contains("is a folder")
        );
    }

    /// FIFOs, devices and links leaving the repository are refused without blocking, naming
    /// the file; a link to a file inside the repository is followed.
    #[test]
    fn special_files_and_links_outside_are_problems() {
        let t = tempfile::tempdir().unwrap();
        let repo = t.path().join("repo");
        std::fs::create_dir_all(repo.join("lib")).unwrap();
        let fifo = repo.join("Rediaccfile");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let p = inspect(&repo, ".".into(), fifo.clone())
            .problem
            .unwrap()
            .to_string();
        assert!(
            p.contains("not a regular file (a FIFO)") && p.contains(&*fifo.to_string_lossy()),
            "{p}"
        );
        std::fs::remove_file(&fifo).unwrap();

        std::os::unix::fs::symlink("/dev/zero", &fifo).unwrap();
        let p = inspect(&repo, ".".into(), fifo.clone()).problem.unwrap();
        assert!(matches!(p, Problem::LinkOutside { .. }), "{p}");
        assert!(p.to_string().contains("outside the repository"), "{p}");
        std::fs::remove_file(&fifo).unwrap();

        std::fs::write(t.path().join("elsewhere"), "up() { :; }\n").unwrap();
        std::os::unix::fs::symlink("../elsewhere", &fifo).unwrap();
        let p = inspect(&repo, ".".into(), fifo.clone()).problem.unwrap();
        assert!(matches!(p, Problem::LinkOutside { .. }), "{p}");
        std::fs::remove_file(&fifo).unwrap();

        std::fs::write(repo.join("lib/real"), "up() { :; }\n").unwrap();
        std::os::unix::fs::symlink("lib/real", &fifo).unwrap();
        assert!(inspect(&repo, ".".into(), fifo.clone()).problem.is_none());
        std::fs::remove_file(&fifo).unwrap();
        std::os::unix::fs::symlink("lib/zero", &fifo).unwrap();
        std::os::unix::fs::symlink("/dev/zero", repo.join("lib/zero")).unwrap();
        let p = inspect(&repo, ".".into(), fifo).problem.unwrap();
        assert!(
            matches!(p, Problem::LinkOutside { .. }),
            "a chain of links is resolved: {p}"
        );

        // A first-level folder that is a link out of the repository.
        std::fs::create_dir_all(t.path().join("other")).unwrap();
        std::fs::write(t.path().join("other/Rediaccfile"), "up() { :; }\n").unwrap();
        std::os::unix::fs::symlink("../other", repo.join("ext")).unwrap();
        let files = discover(&repo).unwrap();
        let ext = files.iter().find(|f| f.folder == "ext").unwrap();
        assert!(
            matches!(&ext.problem, Some(Problem::LinkOutside { target, .. }) if target.ends_with("other/Rediaccfile")),
            "{:?}",
            ext.problem
        );
    }
}
