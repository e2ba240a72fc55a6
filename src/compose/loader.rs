//! Loading a project: the `-f` files in order, each one's `include`s, then `extends`, then
//! path resolution.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::error::LoadError;
use super::merge::merge_maps;
use super::node::Map;
use super::parse::{Doc, read_doc};
use super::paths::resolve_model;
use super::{extends, include};

#[derive(Default)]
pub(crate) struct Loader {
    /// Every file read, in reading order, each once.
    pub(crate) files: Vec<PathBuf>,
    /// Files read as `extends` targets, which may be referenced many times.
    cache: HashMap<PathBuf, Doc>,
    /// Files whose `include` list is being processed, outermost first.
    pub(crate) include_chain: Vec<PathBuf>,
}

impl Loader {
    pub(crate) fn read(&mut self, path: &Path) -> Result<Doc, LoadError> {
        let doc = read_doc(path)?;
        if !self.files.iter().any(|f| f == path) {
            self.files.push(path.to_path_buf());
        }
        Ok(doc)
    }

    pub(crate) fn read_cached(&mut self, path: &Path) -> Result<&Doc, LoadError> {
        if !self.cache.contains_key(path) {
            let doc = self.read(path)?;
            self.cache.insert(path.to_path_buf(), doc);
        }
        self.cache.get(path).ok_or_else(|| LoadError::NotFound {
            path: path.to_path_buf(),
        })
    }

    /// Loads `files` (absolute) as one project whose relative paths resolve against
    /// `working_dir` (absolute). The result still carries tag markers.
    pub(crate) fn load_project(
        &mut self,
        files: &[PathBuf],
        working_dir: &Path,
    ) -> Result<Map, LoadError> {
        // All -f files are read before any include or extends target, so a syntax error in
        // a later -f file is reported before problems in files it pulls in.
        let docs = files
            .iter()
            .map(|f| self.read(f))
            .collect::<Result<Vec<_>, _>>()?;
        let mut model = Map::new();
        for mut doc in docs {
            if let Some(entries) = doc.root.remove("include") {
                self.include_chain.push(doc.path.clone());
                let applied = include::apply(self, &mut doc, entries, working_dir);
                self.include_chain.pop();
                applied?;
            }
            model = merge_maps(model, doc.root, &mut Vec::new());
        }
        let label = files.first().map_or(working_dir, PathBuf::as_path);
        extends::apply(self, &mut model, working_dir, label)?;
        resolve_model(&mut model, working_dir);
        Ok(model)
    }
}
