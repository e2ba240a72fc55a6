//! The compose model loader: reads compose files and builds the one merged model the Compose
//! Specification describes (anchors and merge keys, `!reset`/`!override`, override files,
//! `extends`, `include`, relative paths made absolute), as JSON. Interpolation is left to
//! compose itself: `${VAR}` and `$$` come out exactly as written; profiles are kept.
//!
//! Known gaps: multi-document YAML files are rejected (yaml_serde reads one document);
//! `include` of remote (git/OCI) resources is not supported.

mod discover;
mod error;
mod extends;
mod include;
mod loader;
mod merge;
mod node;
mod parse;
mod paths;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use discover::{DEFAULT_FILES, default_files};
pub use error::{LoadError, Loc};

/// A loaded compose project.
#[derive(Debug, Clone, PartialEq)]
pub struct Project {
    /// The merged model: a JSON object (top-level keys such as services, volumes, networks,
    /// secrets, configs, name, x-*).
    pub model: serde_json::Map<String, serde_json::Value>,
    /// Every file read, in reading order (the -f files, then extends/include targets), for
    /// messages. Paths are absolute.
    pub files: Vec<PathBuf>,
}

/// Load and merge `files` in order (the first is the base; the project directory is
/// `project_dir`). Relative paths in all of `files` resolve against `project_dir`, as with
/// compose's `-f`; relative `files` themselves are taken from the current directory.
/// No files give an empty model.
pub fn load(files: &[PathBuf], project_dir: &Path) -> Result<Project, LoadError> {
    let project_dir = paths::absolute_dir(project_dir);
    let files: Vec<PathBuf> = files.iter().map(|f| paths::absolute_dir(f)).collect();
    let mut loader = loader::Loader::default();
    let model = loader.load_project(&files, &project_dir)?;
    Ok(Project {
        model: model.into_json(),
        files: loader.files,
    })
}
