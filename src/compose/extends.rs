//! Service `extends`: the extending service is merged onto the service it names, with the
//! same rules as override files (so `!reset` and `!override` work here too).
//!
//! As in Compose v2, `extends` is resolved in each document of each file on its own, before
//! the files are merged: a service extends what its own file says the base is, and a later
//! `-f` file changing the base changes only the base. A service without `file` extends one of
//! its own document.
//!
//! The current spec copies every attribute of the extended service, `depends_on`, `links` and
//! `volumes_from` included; what those refer to is not imported, the extending file must
//! define it. A `file` is relative to the directory of the file holding the `extends` (for the
//! `-f` files: the project directory), and that file's own relative paths resolve against its
//! own directory. Only the services actually extended are resolved in a target file, so an
//! unrelated broken `extends` there does not fail the load; the services taken from it have
//! their keys checked, as v2 checks the merged result.

use std::path::{Path, PathBuf};

use super::error::{LoadError, Loc, find_line};
use super::loader::{Loader, overlay_node, unknown_key_error};
use super::merge::merge;
use super::node::{Map, Node};
use super::parse::{Doc, find_key_line};
use super::paths::{Base, normalize, resolve_service};
use super::schema::unknown_service_key;
use super::template::Overlay;

/// Where services are looked up, and what relative paths and messages refer to.
struct Scope<'a> {
    services: &'a Map,
    dir: &'a Path,
    file: &'a Path,
    source: &'a str,
    /// The variables of the project being loaded (see [`Overlay`]).
    overlay: &'a Overlay,
}

impl Scope<'_> {
    fn loc(&self, service: &str) -> Loc {
        let line = find_key_line(self.source, service).and_then(|from| {
            find_line(self.source, |l| l.trim_start().starts_with("extends:")).filter(|l| *l > from)
        });
        Loc::line(self.file, line)
    }
}

/// Resolves the `extends` of every service of `doc`; `dir` is what its relative `file`s are
/// relative to.
pub(crate) fn apply(
    loader: &mut Loader,
    doc: &mut Doc,
    dir: &Path,
    overlay: &Overlay,
) -> Result<(), LoadError> {
    let mut resolved = Vec::new();
    if let Some(services) = doc.root.get("services").and_then(service_map) {
        let scope = Scope {
            services,
            dir,
            file: &doc.path,
            source: &doc.source,
            overlay,
        };
        for (name, service) in services.iter() {
            if extends_of(service).is_some() {
                let mut stack = Vec::new();
                resolved.push((name.clone(), resolve(loader, &scope, name, &mut stack)?));
            }
        }
    }
    if resolved.is_empty() {
        return Ok(());
    }
    let services = match doc.root.get_mut("services") {
        Some(Node::Override(inner)) => &mut **inner,
        Some(other) => other,
        None => return Ok(()),
    };
    if let Node::Map(services) = services {
        for (name, service) in resolved {
            services.insert(name, service);
        }
    }
    Ok(())
}

fn service_map(node: &Node) -> Option<&Map> {
    match node {
        Node::Map(m) => Some(m),
        Node::Override(inner) => service_map(inner),
        _ => None,
    }
}

fn extends_of(service: &Node) -> Option<&Node> {
    service_map(service)?
        .get("extends")
        .filter(|e| !matches!(e, Node::Reset | Node::Null))
}

/// `name` with its `extends` chain applied.
fn resolve(
    loader: &mut Loader,
    scope: &Scope,
    name: &str,
    stack: &mut Vec<(PathBuf, String)>,
) -> Result<Node, LoadError> {
    let Some(service) = scope.services.get(name) else {
        return Ok(Node::Map(Map::new()));
    };
    let Some(ext) = extends_of(service) else {
        return Ok(service.clone());
    };
    let key = (scope.file.to_path_buf(), name.to_string());
    if let Some(pos) = stack.iter().position(|k| *k == key) {
        let chain = stack[pos..]
            .iter()
            .chain(std::iter::once(&key))
            .map(|(file, service)| format!("{service} ({})", file.display()))
            .collect();
        return Err(LoadError::ExtendsCycle { chain });
    }
    let invalid = |reason: &str| LoadError::InvalidExtends {
        loc: scope.loc(name),
        service: name.to_string(),
        reason: reason.to_string(),
    };
    let (target, file) = match ext.clone().strip() {
        Node::String(target) => (target, None),
        Node::Map(m) => {
            let target = match m.get("service") {
                Some(Node::String(s)) => s.clone(),
                Some(_) => return Err(invalid("`service` must be a string")),
                None => return Err(invalid("`service` is missing")),
            };
            let file = match m.get("file") {
                Some(Node::String(f)) => Some(f.clone()),
                None | Some(Node::Null) => None,
                Some(_) => return Err(invalid("`file` must be a string")),
            };
            (target, file)
        }
        _ => return Err(invalid("it must be a mapping")),
    };
    let missing = |target_file: &Path| LoadError::ExtendsServiceMissing {
        loc: scope.loc(name),
        service: name.to_string(),
        target: target.clone(),
        target_file: target_file.to_path_buf(),
    };

    stack.push(key);
    let base = match file {
        Some(file) => {
            let path = normalize(&scope.dir.join(&file));
            from_file(loader, scope, &path, &target, stack)?.ok_or_else(|| missing(&path))?
        }
        None => {
            if !is_defined(scope.services, &target) {
                return Err(missing(scope.file));
            }
            resolve(loader, scope, &target, stack)?
        }
    };
    stack.pop();

    let mut own = service_map(service).cloned().unwrap_or_default();
    own.remove("extends");
    let mut path = vec!["services".to_string(), name.to_string()];
    Ok(merge(base, Node::Map(own), &mut path))
}

/// `target` of the file at `path`, with its own `extends` applied, its values read with the
/// including project's variables, its keys checked and its paths resolved against its folder;
/// None when that file does not define it.
fn from_file(
    loader: &mut Loader,
    scope: &Scope,
    path: &Path,
    target: &str,
    stack: &mut Vec<(PathBuf, String)>,
) -> Result<Option<Node>, LoadError> {
    let doc = loader.read_cached(path)?;
    let empty = Map::new();
    let services = doc
        .root
        .get("services")
        .and_then(service_map)
        .unwrap_or(&empty);
    if !is_defined(services, target) {
        return Ok(None);
    }
    let dir = path
        .parent()
        .map_or_else(|| scope.dir.to_path_buf(), Path::to_path_buf);
    let other = Scope {
        services,
        dir: &dir,
        file: path,
        source: &doc.source,
        overlay: scope.overlay,
    };
    let mut base = resolve(loader, &other, target, stack)?;
    overlay_node(&mut base, scope.overlay);
    if let Some(unknown) = unknown_service_key(target, &base) {
        return Err(unknown_key_error(&doc, &unknown));
    }
    resolve_service(&mut base, Base::new(&dir, &loader.project_dir));
    Ok(Some(base))
}

fn is_defined(services: &Map, name: &str) -> bool {
    services
        .get(name)
        .is_some_and(|s| !matches!(s, Node::Reset))
}
