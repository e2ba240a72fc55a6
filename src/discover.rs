//! Which compose files belong to a repository, and which services they name.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::compose;
use crate::error::Result;

/// The default compose files (with override) of the root and of every first-level folder
/// holding a Rediaccfile; each folder is its own compose project.
pub fn repo_projects(repo: &Path) -> Result<Vec<Vec<PathBuf>>> {
    let mut out = Vec::new();
    for folder in crate::rediaccfile::folders(repo).map_err(crate::error::Error::io(repo))? {
        if let Some(files) = compose::default_files(&folder)? {
            out.push(files);
        }
    }
    Ok(out)
}

/// Service names of one compose project (profiles ignored: a profile-gated service still
/// needs its address).
pub fn project_services(files: &[PathBuf]) -> Result<BTreeSet<String>> {
    let dir = files
        .first()
        .and_then(|f| f.parent())
        .unwrap_or(Path::new("."));
    let project = compose::load(files, dir)?;
    Ok(crate::rewrite::services(&project.model)
        .map(|(n, _)| n.clone())
        .collect())
}

pub fn repo_services(repo: &Path) -> Result<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    for files in repo_projects(repo)? {
        names.extend(project_services(&files)?);
    }
    Ok(names)
}
