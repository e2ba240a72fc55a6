//! Top-level `include`: each entry is loaded as a project of its own (its relative paths
//! resolve against its own project directory) and its services, networks, volumes, secrets
//! and configs are copied into the including file. A name defined on both sides is an error
//! unless both definitions are identical (compose-go tolerates that too, so a shared
//! dependency can be included twice). The including file's relative `include` paths resolve
//! against its project's working directory, as compose-go does.
//!
//! The included project's variables: its `env_file` entries (relative to the including
//! project's directory, each required), else the `.env` of its project directory. They
//! interpolate only the included files, after the including project's environment; since
//! compose interpolates renet's merged model with the main project's environment alone, they
//! become defaults of the references to them (see [`super::template`]).
//!
//! `project_directory` is where the included files' relative paths resolve, whether or not it
//! exists. (compose-go resolves them against the including project's folder when the directory
//! does not exist, through `loader.Dir`, which falls back to a missing path's parent: a bug
//! renet does not copy.)

use std::path::{Path, PathBuf};

use super::dotenv;
use super::error::{LoadError, Loc, find_line};
use super::loader::Loader;
use super::node::{Map, Node};
use super::parse::Doc;
use super::paths::normalize;
use super::template::Overlay;

const RESOURCES: [(&str, &str); 5] = [
    ("services", "service"),
    ("networks", "network"),
    ("volumes", "volume"),
    ("secrets", "secret"),
    ("configs", "config"),
];

pub(crate) fn apply(
    loader: &mut Loader,
    doc: &mut Doc,
    entries: Node,
    working_dir: &Path,
    overlay: &Overlay,
) -> Result<(), LoadError> {
    let loc = Loc::line(
        &doc.path,
        find_line(&doc.source, |l| l.starts_with("include:")),
    );
    let invalid = |reason: String| LoadError::InvalidInclude {
        loc: loc.clone(),
        reason,
    };
    let entries = match entries.strip() {
        Node::Seq(entries) => entries,
        Node::Null => return Ok(()),
        other => {
            return Err(invalid(format!(
                "`include` must be a list, not {}",
                other.kind()
            )));
        }
    };
    for entry in entries {
        let parsed = parse_entry(entry).map_err(|e| invalid(e.to_string()))?;
        let (paths, project_dir) = (parsed.paths, parsed.project_dir);
        let paths: Vec<PathBuf> = paths.iter().map(|p| against(working_dir, p)).collect();
        let Some(first) = paths.first() else {
            return Err(invalid("`path` is empty".into()));
        };
        let project_dir = match project_dir {
            Some(dir) => against(working_dir, &dir),
            None => first
                .parent()
                .map_or_else(|| working_dir.to_path_buf(), Path::to_path_buf),
        };
        if let Some(pos) = loader.include_chain.iter().position(|p| paths.contains(p)) {
            let mut chain = loader.include_chain[pos..].to_vec();
            chain.push(first.clone());
            return Err(LoadError::IncludeCycle { chain });
        }
        let env_files = match parsed.env_files {
            Some(files) => required_env_files(&files, working_dir, &loc)?,
            // Anything by that name but a folder (compose skips one) is read: a FIFO is refused.
            None => Some(project_dir.join(".env"))
                .filter(|f| f.exists() && !f.is_dir())
                .into_iter()
                .collect(),
        };
        let overlay = included_overlay(overlay, &env_files, loader.repo.as_deref())?;
        let imported = loader.load_project(&paths, &project_dir, &overlay)?;
        let Node::Map(imported) = Node::Map(imported).strip() else {
            continue;
        };
        import(&mut doc.root, imported, first, &doc.path)?;
    }
    Ok(())
}

fn against(base: &Path, path: &str) -> PathBuf {
    normalize(&base.join(path))
}

/// Why an `include` entry cannot be read; shown as the reason of [`LoadError::InvalidInclude`].
#[derive(Debug, thiserror::Error)]
enum EntryError {
    #[error("every `path` in the list must be a string")]
    PathItemNotString,
    #[error("`path` must be a string or a list, not {0}")]
    PathKind(&'static str),
    #[error("`path` is missing")]
    PathMissing,
    #[error("`project_directory` must be a string, not {0}")]
    ProjectDirKind(&'static str),
    #[error("`env_file` must be a string or a list of strings, not {0}")]
    EnvFileKind(&'static str),
    #[error("an entry must be a path or a mapping, not {0}")]
    EntryKind(&'static str),
}

/// What an `include` entry names.
struct Entry {
    paths: Vec<String>,
    project_dir: Option<String>,
    /// None: the project directory's `.env`, if there is one.
    env_files: Option<Vec<String>>,
}

/// A string or a list of strings.
fn strings(node: &Node) -> Option<Vec<String>> {
    match node {
        Node::String(s) => Some(vec![s.clone()]),
        Node::Seq(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// `path` or `{path: <path or list>, project_directory, env_file: <path or list>}`.
fn parse_entry(entry: Node) -> Result<Entry, EntryError> {
    match entry {
        Node::String(path) => Ok(Entry {
            paths: vec![path],
            project_dir: None,
            env_files: None,
        }),
        Node::Map(map) => {
            let paths = match map.get("path") {
                Some(p @ (Node::String(_) | Node::Seq(_))) => {
                    strings(p).ok_or(EntryError::PathItemNotString)?
                }
                Some(other) => return Err(EntryError::PathKind(other.kind())),
                None => return Err(EntryError::PathMissing),
            };
            let project_dir = match map.get("project_directory") {
                Some(Node::String(d)) => Some(d.clone()),
                None | Some(Node::Null) => None,
                Some(other) => return Err(EntryError::ProjectDirKind(other.kind())),
            };
            let env_files = match map.get("env_file") {
                None | Some(Node::Null) => None,
                Some(files) => Some(strings(files).ok_or(EntryError::EnvFileKind(files.kind()))?),
            };
            Ok(Entry {
                paths,
                project_dir,
                env_files,
            })
        }
        other => Err(EntryError::EntryKind(other.kind())),
    }
}

/// An entry's `env_file`s, relative to the including project's directory; each must exist.
fn required_env_files(
    files: &[String],
    working_dir: &Path,
    loc: &Loc,
) -> Result<Vec<PathBuf>, LoadError> {
    files
        .iter()
        .map(|f| {
            let path = against(working_dir, f);
            if path.exists() {
                Ok(path)
            } else {
                Err(LoadError::EnvFile {
                    loc: loc.clone(),
                    reason: format!(
                        "the `env_file` {} of this `include` is not a file; create it or fix the path",
                        path.display()
                    ),
                })
            }
        })
        .collect()
}

/// `outer` with the variables of `env_files` added (the outer ones win).
fn included_overlay(
    outer: &Overlay,
    env_files: &[PathBuf],
    repo: Option<&Path>,
) -> Result<Overlay, LoadError> {
    let mut overlay = outer.child();
    for file in env_files {
        let unreadable = |reason: String| LoadError::EnvFile {
            loc: Loc::file(file),
            reason,
        };
        let text = dotenv::read_text(file, repo).map_err(|e| unreadable(e.to_string()))?;
        let entries = dotenv::parse_templates(&text).map_err(|e| LoadError::EnvFile {
            loc: Loc::line(file, u32::try_from(e.line).ok()),
            reason: format!("cannot read this env file: {e}"),
        })?;
        for (key, value) in entries {
            overlay.define(key, &value);
        }
    }
    Ok(overlay)
}

fn import(
    root: &mut Map,
    imported: Map,
    included: &Path,
    existing: &Path,
) -> Result<(), LoadError> {
    for (section, kind) in RESOURCES {
        let Some(Node::Map(defs)) = imported.get(section) else {
            continue;
        };
        let target = match root.get_mut(section) {
            Some(Node::Map(target)) => target,
            _ => {
                root.insert(section.to_string(), Node::Map(Map::new()));
                match root.get_mut(section) {
                    Some(Node::Map(target)) => target,
                    _ => continue,
                }
            }
        };
        for (name, def) in defs.iter() {
            match target.get(name) {
                Some(mine) if mine.clone().strip() == *def => {}
                Some(_) => {
                    return Err(LoadError::IncludeConflict {
                        kind,
                        name: name.clone(),
                        included: included.to_path_buf(),
                        existing: existing.to_path_buf(),
                    });
                }
                None => target.insert(name.clone(), def.clone()),
            }
        }
    }
    Ok(())
}
