//! Which Rediaccfiles a repository has: the root's and those of first-level folders, each
//! checked (readable, a file, valid bash) before anything runs.

use std::collections::BTreeSet;
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
    /// Functions it defines (of prep, up, down, info), by reading the file.
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
        out.push(inspect(folder, path));
    }
    Ok(out)
}

/// Read and check one file.
pub(super) fn inspect(folder: String, path: PathBuf) -> Rediaccfile {
    let (functions, problem) = match check(&path) {
        Ok(functions) => (functions, None),
        Err((functions, problem)) => (functions, Some(problem)),
    };
    Rediaccfile {
        folder,
        path,
        functions,
        problem,
    }
}

/// The functions `path` defines, or why it cannot run (with the functions found, if it could
/// be read).
fn check(path: &Path) -> Result<Vec<Function>, (Vec<Function>, Problem)> {
    let path_buf = || path.to_path_buf();
    if path.is_dir() {
        return Err((Vec::new(), Problem::Folder { path: path_buf() }));
    }
    // Bounded and non-blocking: a FIFO or `/dev/zero` as a Rediaccfile must not hang renet.
    let read = crate::fsread::read(
        path,
        crate::fsread::SOURCE_LIMIT,
        crate::fsread::Links::Follow,
    );
    let text = match read.map_err(crate::fsread::ReadError::into_io) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(source) => {
            let path = path_buf();
            let source = Arc::new(source);
            return Err((Vec::new(), Problem::Unreadable { path, source }));
        }
    };
    let functions = defined_functions(&text);
    // `bash -n` parses without running anything, so syntax errors are reported up front with
    // bash's own line number.
    let checked = Command::new("bash")
        .arg("-n")
        .arg(path)
        .stdin(Stdio::null())
        .output();
    let problem = match checked {
        Ok(out) if !out.status.success() => Problem::Syntax {
            path: path_buf(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        },
        Ok(_) => return Ok(functions),
        Err(source) => Problem::NoBash {
            path: path_buf(),
            source: Arc::new(source),
        },
    };
    Err((functions, problem))
}

/// The lifecycle functions a file defines, found by reading it (`up() {`, `function up {`,
/// `function up() {`). Running is authoritative: the runner checks `declare -F` again.
pub(crate) fn defined_functions(text: &str) -> Vec<Function> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let keyword = line.trim_start().starts_with("function ");
        let l = line.trim_start();
        let l = l.strip_prefix("function ").map_or(l, str::trim_start);
        for f in Function::ALL {
            if let Some(rest) = l.strip_prefix(f.name()) {
                let rest = rest.trim_start();
                let is_def = rest.starts_with("()")
                    || rest.starts_with("( )")
                    || (keyword && (rest.starts_with('{') || rest.is_empty()));
                if is_def {
                    found.insert(f);
                }
            }
        }
    }
    // BTreeSet order is the declaration order of `Function`: prep, up, down, info.
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Function::{Down, Info, Prep, Up};

    #[test]
    fn finds_function_definitions() {
        let text = "#!/bin/bash\nup() {\n  :\n}\nfunction down {\n :\n}\nfunction info() { :; }\n# prep() is legacy\nupdate() { :; }\n  prep ( ) { :; }\n";
        assert_eq!(defined_functions(text), vec![Prep, Up, Down, Info]);
        assert!(defined_functions("echo up\nup\n").is_empty());
    }

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
        let seen: Vec<(&str, &[Function])> = files
            .iter()
            .map(|f| (f.folder.as_str(), f.functions.as_slice()))
            .collect();
        assert_eq!(seen, [(".", &[Up][..]), ("A", &[]), ("b", &[Down])]);
        assert_eq!(files[0].label(), "root");
        assert_eq!(files[2].label(), "b");
        assert!(files.iter().all(|f| f.problem.is_none()));
    }

    #[test]
    fn syntax_errors_and_folders_are_problems() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("Rediaccfile");
        std::fs::write(&p, "up() {\n  echo (\n}\n").unwrap();
        let rf = inspect(".".into(), p);
        let problem = rf.problem.unwrap().to_string();
        assert!(problem.contains("bash syntax error"), "{problem}");
        assert_eq!(rf.functions, [Up], "functions are still read from the text");
        std::fs::create_dir_all(t.path().join("sub/Rediaccfile")).unwrap();
        let dir = inspect("sub".into(), t.path().join("sub/Rediaccfile"));
        assert!(dir.problem.unwrap().to_string().contains("is a folder"));
        let json = serde_json::to_value(inspect("sub".into(), t.path().join("sub/Rediaccfile")));
        assert!(
            json.unwrap()["problem"]
                .as_str()
                .unwrap()
                .contains("is a folder")
        );
    }
}
