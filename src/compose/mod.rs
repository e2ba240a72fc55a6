//! The compose pipeline (SPEC section 3), in the order a run goes through it:
//! [`args`] (split the user's arguments), [`files`] (which compose files), [`load`] (the merged
//! model), [`danger`] (settings refused without `--unsafe`), [`rewrite`] (host networking on
//! the service's own address), [`hosts`] (the hosts file each service resolves its siblings
//! through), [`v1`] (the downgrade for docker-compose 1.x), [`bin`] (which compose, and its
//! command line) and [`plan`], which puts them together. Everything here is pure but [`files`],
//! [`load`], [`bin::detect`] and [`hosts::store`] (the hosts files in `RENET_STATE_DIR`); the
//! other effects (slot lock, leases, writing the model, starting compose) live in
//! `commands/compose.rs`.
//!
//! The loader builds the one merged model Compose v2 builds (anchors and merge keys, YAML 1.1
//! numbers, multi-document files, `!reset`/`!override`, override files, `extends` per file,
//! `include` with its own variables, relative paths made absolute), as JSON, and refuses what
//! v2 refuses while reading (unknown keys, empty files, `services:` that is no mapping).
//! Interpolation is left to compose itself: `${VAR}` and `$$` come out as written, but for
//! the defaults the loader adds or makes absolute ([`template`]); profiles are kept. The few
//! values renet needs before compose runs (`.env` settings, the project `name:`) are substituted
//! by [`interpolate`], with `.env` files read by [`dotenv`] (one parser for both uses).
//!
//! Known gaps: `include` of remote (git/OCI) resources, and `include`/`extends` paths that
//! need interpolation, are not supported.

pub(crate) mod args;
pub(crate) mod bin;
pub(crate) mod danger;
mod dotenv;
mod error;
mod extends;
pub(crate) mod files;
#[cfg(test)]
mod fuzz;
pub(crate) mod hosts;
mod include;
mod interpolate;
mod loader;
mod merge;
pub(crate) mod name;
mod node;
mod parse;
mod paths;
pub(crate) mod plan;
pub(crate) mod rewrite;
mod schema;
mod template;
#[cfg(test)]
mod tests;
pub(crate) mod v1;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub(crate) use error::LoadError;

/// A loaded compose project.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Project {
    /// The merged model: a JSON object (top-level keys such as services, volumes, networks,
    /// secrets, configs, name, x-*).
    pub(crate) model: serde_json::Map<String, serde_json::Value>,
    /// Every file read, in reading order (the -f files, then extends/include targets), for
    /// messages. Paths are absolute.
    pub(crate) files: Vec<PathBuf>,
}

/// [`load_in`] outside any repository.
#[cfg(test)]
pub(crate) fn load(files: &[PathBuf], project_dir: &Path) -> Result<Project, LoadError> {
    load_in(files, project_dir, None)
}

/// Load and merge `files` in order (the first is the base; the project directory is
/// `project_dir`). Relative paths in all of `files` resolve against `project_dir`, as with
/// compose's `-f`; relative `files` themselves are taken from the current directory.
/// Files that together define nothing are refused, as v2 does; no files give an empty model.
/// With `repo`, a file inside the repository must stay inside it once links are followed
/// (`fsread::read_source`).
pub(crate) fn load_in(
    files: &[PathBuf],
    project_dir: &Path,
    repo: Option<&Path>,
) -> Result<Project, LoadError> {
    let project_dir = paths::absolute_dir(project_dir);
    let files: Vec<PathBuf> = files.iter().map(|f| paths::absolute_dir(f)).collect();
    let mut loader = loader::Loader::new(&project_dir, repo);
    let model = loader
        .load_project(&files, &project_dir, &template::Overlay::default())?
        .into_json();
    if let Some(first) = files.first()
        && model.is_empty()
    {
        return Err(LoadError::Empty {
            path: first.clone(),
        });
    }
    Ok(Project {
        model,
        files: loader.files,
    })
}

/// The services of a model, in model order (none when `services` is missing or not a map).
pub(crate) fn services(model: &Map<String, Value>) -> impl Iterator<Item = (&String, &Value)> {
    model
        .get("services")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// A scalar's text as compose reads it: strings as they are, numbers and booleans printed.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
