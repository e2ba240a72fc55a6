//! Top-level `include`: each entry is loaded as a project of its own (its relative paths
//! resolve against its own project directory) and its services, networks, volumes, secrets
//! and configs are copied into the including file. A name defined on both sides is an error
//! unless both definitions are identical (compose-go tolerates that too, so a shared
//! dependency can be included twice). The including file's relative `include` paths resolve
//! against its project's working directory, as compose-go does. `env_file` only matters for
//! interpolation, which compose does later, so it is ignored here.

use std::path::{Path, PathBuf};

use super::error::{LoadError, Loc, find_line};
use super::loader::Loader;
use super::node::{Map, Node};
use super::parse::Doc;
use super::paths::normalize;

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
        let (paths, project_dir) = parse_entry(entry).map_err(|e| invalid(e.to_string()))?;
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
        let imported = loader.load_project(&paths, &project_dir)?;
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
    #[error("an entry must be a path or a mapping, not {0}")]
    EntryKind(&'static str),
}

/// `path` or `{path: <path or list>, project_directory, env_file}`.
fn parse_entry(entry: Node) -> Result<(Vec<String>, Option<String>), EntryError> {
    match entry {
        Node::String(path) => Ok((vec![path], None)),
        Node::Map(map) => {
            let paths = match map.get("path") {
                Some(Node::String(p)) => vec![p.clone()],
                Some(Node::Seq(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(EntryError::PathItemNotString)?,
                Some(other) => return Err(EntryError::PathKind(other.kind())),
                None => return Err(EntryError::PathMissing),
            };
            let project_dir = match map.get("project_directory") {
                Some(Node::String(d)) => Some(d.clone()),
                None | Some(Node::Null) => None,
                Some(other) => return Err(EntryError::ProjectDirKind(other.kind())),
            };
            Ok((paths, project_dir))
        }
        other => Err(EntryError::EntryKind(other.kind())),
    }
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
                None => target.0.push((name.clone(), def.clone())),
            }
        }
    }
    Ok(())
}
