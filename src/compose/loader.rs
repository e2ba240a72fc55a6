//! Loading a project as Compose v2 does: each document of each `-f` file in turn has its
//! unknown keys refused, its `extends` resolved (against its own services, before any later
//! file can change them), its `include`s imported, and is then merged onto the files before
//! it; relative paths are resolved last, against the project directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::error::{LoadError, Loc, find_path_line};
use super::merge::merge_maps;
use super::node::{Map, Node};
use super::parse::{Doc, read_docs};
use super::paths::{Base, resolve_model};
use super::schema::{Unknown, unknown_key};
use super::template::{Overlay, with_overlay};
use super::{extends, include};

pub(crate) struct Loader {
    /// Every file read, in reading order, each once.
    pub(crate) files: Vec<PathBuf>,
    /// Files read as `extends` targets, which may be referenced many times: their documents
    /// merged into one, as v2 reads them.
    cache: HashMap<PathBuf, Rc<Doc>>,
    /// Files whose `include` list is being processed, outermost first.
    pub(crate) include_chain: Vec<PathBuf>,
    /// The main project's folder, where compose resolves what renet leaves to it.
    pub(crate) project_dir: PathBuf,
    /// The repository the files belong to: links in it must not lead out of it.
    pub(crate) repo: Option<PathBuf>,
}

impl Loader {
    pub(crate) fn new(project_dir: &Path, repo: Option<&Path>) -> Loader {
        Loader {
            files: Vec::new(),
            cache: HashMap::new(),
            include_chain: Vec::new(),
            project_dir: project_dir.to_path_buf(),
            repo: repo.map(Path::to_path_buf),
        }
    }

    pub(crate) fn read(&mut self, path: &Path) -> Result<Vec<Doc>, LoadError> {
        let docs = read_docs(path, self.repo.as_deref())?;
        if !self.files.iter().any(|f| f == path) {
            self.files.push(path.to_path_buf());
        }
        Ok(docs)
    }

    pub(crate) fn read_cached(&mut self, path: &Path) -> Result<Rc<Doc>, LoadError> {
        if let Some(doc) = self.cache.get(path) {
            return Ok(Rc::clone(doc));
        }
        let mut docs = self.read(path)?.into_iter();
        let mut merged = match docs.next() {
            Some(doc) => doc,
            None => Doc {
                path: path.to_path_buf(),
                source: Rc::from(""),
                root: Map::new(),
            },
        };
        for doc in docs {
            merged.root = merge_maps(merged.root, doc.root, &mut Vec::new());
        }
        let merged = Rc::new(merged);
        self.cache.insert(path.to_path_buf(), Rc::clone(&merged));
        Ok(merged)
    }

    /// Loads `files` (absolute) as one project whose relative paths resolve against
    /// `working_dir` (absolute); `overlay` holds the variables an including project's `.env`
    /// defines for it. The result still carries tag markers.
    pub(crate) fn load_project(
        &mut self,
        files: &[PathBuf],
        working_dir: &Path,
        overlay: &Overlay,
    ) -> Result<Map, LoadError> {
        // All -f files are read before any include or extends target, so a syntax error in
        // a later -f file is reported before problems in files it pulls in.
        let docs = files
            .iter()
            .map(|f| self.read(f))
            .collect::<Result<Vec<_>, _>>()?;
        let mut model = Map::new();
        for mut doc in docs.into_iter().flatten() {
            apply_overlay(&mut doc.root, overlay);
            if let Some(unknown) = unknown_key(&doc.root) {
                return Err(unknown_key_error(&doc, &unknown));
            }
            extends::apply(self, &mut doc, working_dir, overlay)?;
            if let Some(entries) = doc.root.remove("include") {
                self.include_chain.push(doc.path.clone());
                let applied = include::apply(self, &mut doc, entries, working_dir, overlay);
                self.include_chain.pop();
                applied?;
            }
            model = merge_maps(model, doc.root, &mut Vec::new());
        }
        resolve_model(&mut model, Base::new(working_dir, &self.project_dir));
        Ok(model)
    }
}

/// The refusal of a key the schema does not allow, at its line in `doc`.
pub(crate) fn unknown_key_error(doc: &Doc, unknown: &Unknown) -> LoadError {
    let mut keys: Vec<&str> = unknown.path.iter().map(String::as_str).collect();
    keys.push(&unknown.key);
    let loc = Loc::line(&doc.path, find_path_line(&doc.source, &keys));
    if unknown.bad_name {
        LoadError::InvalidName {
            loc,
            name: unknown.key.clone(),
            at: unknown.at(),
        }
    } else {
        LoadError::UnknownKey {
            loc,
            key: unknown.key.clone(),
            at: unknown.at(),
        }
    }
}

/// Gives every reference to a variable of `overlay` in the values of `map` that variable's
/// value as its default (keys are not interpolated).
pub(crate) fn apply_overlay(map: &mut Map, overlay: &Overlay) {
    if overlay.is_empty() {
        return;
    }
    for (_, value) in map.iter_mut() {
        overlay_node(value, overlay);
    }
}

pub(crate) fn overlay_node(node: &mut Node, overlay: &Overlay) {
    match node {
        Node::String(s) => {
            if let Some(new) = with_overlay(s, overlay) {
                *s = new;
            }
        }
        Node::Seq(items) => items.iter_mut().for_each(|i| overlay_node(i, overlay)),
        Node::Map(map) => apply_overlay(map, overlay),
        Node::Override(inner) => overlay_node(inner, overlay),
        _ => {}
    }
}
