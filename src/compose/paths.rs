//! Making relative paths in a model absolute.
//!
//! Resolved: `build` (string) and `build.context` unless remote, `build.additional_contexts`
//! values that are local paths, `env_file` and `label_file` (string, list of strings or list of
//! `{path, required}`), bind sources of service `volumes` (short syntax when the source starts
//! with `.`; long syntax with `type: bind`), `develop.watch[].path`, and the `file` of top-level
//! `secrets` and `configs`. Absolute paths and `~` paths are kept byte for byte; everything
//! else is joined to the base directory and normalised lexically (`./a/../b` is `b`), as
//! compose-go does. A path starting with `${VAR:-default}` (or `-`, `+`, `:+`) is left for
//! interpolation but for its default, made absolute when it is a relative path: v2
//! interpolates a file before it resolves the file's paths, so the default of an included or
//! extended file is relative to that file, not to the main project compose later reads it in.

use std::path::{Component, Path, PathBuf};

use super::node::{Map, Node};
use super::template::map_leading_arg;

/// Splits on `sep`, except inside `${...}` and `[...]` (so `${A:-x}:/dst` and `[::1]:80:80`
/// split where a reader would).
pub(crate) fn split_outside(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(i) = find_outside(&s[start..], sep) {
        parts.push(&s[start..start + i]);
        start += i + sep.len_utf8();
    }
    parts.push(&s[start..]);
    parts
}

/// Byte index of the first `sep` outside `${...}` and `[...]`.
pub(crate) fn find_outside(s: &str, sep: char) -> Option<usize> {
    let mut depth = 0usize;
    let mut prev = '\0';
    for (i, c) in s.char_indices() {
        match c {
            '{' if prev == '$' => depth += 1,
            '[' => depth += 1,
            '}' | ']' if depth > 0 => depth -= 1,
            c if c == sep && depth == 0 => return Some(i),
            _ => {}
        }
        prev = c;
    }
    None
}

/// Lexical normalisation: drops `.`, folds `..` into its parent (never above the root).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let at_root = matches!(
                    out.components().next_back(),
                    None | Some(Component::RootDir | Component::Prefix(_))
                );
                if at_root {
                    if !out.has_root() {
                        out.push("..");
                    }
                } else if out.components().next_back() == Some(Component::ParentDir) {
                    out.push("..");
                } else {
                    out.pop();
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Makes `base` absolute (against the working directory) and normalised.
pub(crate) fn absolute_dir(base: &Path) -> PathBuf {
    normalize(&std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf()))
}

/// Where a file's relative paths resolve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Base<'a> {
    pub(crate) dir: &'a Path,
    /// Whether the defaults of `${VAR:-./x}` need it too: only when `dir` is not the folder
    /// compose reads the model in (the main project's), where compose resolves them itself.
    pub(crate) defaults: bool,
}

impl Base<'_> {
    pub(crate) fn new<'a>(dir: &'a Path, project_dir: &Path) -> Base<'a> {
        Base {
            dir,
            defaults: dir != project_dir,
        }
    }
}

/// The absolute form of `path`, or `None` when it must stay as written.
pub(crate) fn absolutize(path: &str, base: Base<'_>) -> Option<String> {
    if path.starts_with('$') {
        if !base.defaults {
            return None;
        }
        return map_leading_arg(path, &|default, rest| {
            is_relative(&format!("{default}{rest}")).then(|| join(base.dir, default))
        });
    }
    is_relative(path).then(|| join(base.dir, path))
}

fn is_relative(path: &str) -> bool {
    !(path.is_empty()
        || path.starts_with('~')
        || path.starts_with('$')
        || Path::new(path).is_absolute())
}

fn join(base: &Path, path: &str) -> String {
    normalize(&base.join(path)).to_string_lossy().into_owned()
}

fn is_remote(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}

/// Resolves the paths of a whole model: its services and top-level secrets and configs.
pub(crate) fn resolve_model(root: &mut Map, base: Base<'_>) {
    if let Some(Node::Map(services)) = root.get_mut("services").map(through_override) {
        for (_, service) in services.iter_mut() {
            resolve_service(service, base);
        }
    }
    for kind in ["secrets", "configs"] {
        if let Some(Node::Map(defs)) = root.get_mut(kind).map(through_override) {
            for (_, def) in defs.iter_mut() {
                if let Node::Map(def) = through_override(def) {
                    fix_string(def.get_mut("file"), base, |_| true);
                }
            }
        }
    }
}

/// `!override X` holds paths in X.
fn through_override(node: &mut Node) -> &mut Node {
    match node {
        Node::Override(inner) => through_override(inner),
        other => other,
    }
}

fn fix_string(node: Option<&mut Node>, base: Base<'_>, applies: impl Fn(&str) -> bool) {
    if let Some(Node::String(s)) = node.map(through_override)
        && applies(s)
        && let Some(abs) = absolutize(s, base)
    {
        *s = abs;
    }
}

pub(crate) fn resolve_service(service: &mut Node, base: Base<'_>) {
    let Node::Map(service) = through_override(service) else {
        return;
    };
    let local = |s: &str| !is_remote(s);
    match service.get_mut("build").map(through_override) {
        Some(build @ Node::String(_)) => fix_string(Some(build), base, local),
        Some(Node::Map(build)) => {
            fix_string(build.get_mut("context"), base, local);
            resolve_additional_contexts(build.get_mut("additional_contexts"), base);
        }
        _ => {}
    }
    for key in ["env_file", "label_file"] {
        match service.get_mut(key).map(through_override) {
            Some(file @ Node::String(_)) => fix_string(Some(file), base, |_| true),
            Some(Node::Seq(items)) => {
                for item in items {
                    match through_override(item) {
                        file @ Node::String(_) => fix_string(Some(file), base, |_| true),
                        Node::Map(entry) => fix_string(entry.get_mut("path"), base, |_| true),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(Node::Seq(volumes)) = service.get_mut("volumes").map(through_override) {
        for volume in volumes {
            resolve_volume(through_override(volume), base);
        }
    }
    if let Some(Node::Map(develop)) = service.get_mut("develop").map(through_override)
        && let Some(Node::Seq(watch)) = develop.get_mut("watch").map(through_override)
    {
        for rule in watch {
            if let Node::Map(rule) = through_override(rule) {
                fix_string(rule.get_mut("path"), base, |_| true);
            }
        }
    }
}

/// Contexts named `service:x`, `docker-image://...` and the like are not paths.
fn resolve_additional_contexts(node: Option<&mut Node>, base: Base<'_>) {
    let is_path =
        |s: &str| !is_remote(s) && !s.starts_with("service:") && !s.starts_with("target:");
    match node.map(through_override) {
        Some(Node::Map(contexts)) => {
            for (_, value) in contexts.iter_mut() {
                fix_string(Some(value), base, is_path);
            }
        }
        Some(Node::Seq(items)) => {
            for item in items {
                if let Node::String(s) = item
                    && let Some((name, value)) = s.split_once('=')
                    && is_path(value)
                    && let Some(abs) = absolutize(value, base)
                {
                    *s = format!("{name}={abs}");
                }
            }
        }
        _ => {}
    }
}

/// Short syntax `SRC:DST[:MODE]` is a bind mount when SRC starts with `.`, `/` or `~`; only
/// the `.` ones are relative (also as the default of a leading `${VAR:-./x}`). Long syntax
/// names its type.
fn resolve_volume(volume: &mut Node, base: Base<'_>) {
    match volume {
        Node::String(spec) if spec.starts_with(['.', '$']) => {
            let Some(i) = find_outside(spec, ':') else {
                return;
            };
            let source = &spec[..i];
            let abs = if source.starts_with('$') {
                if !base.defaults {
                    return;
                }
                map_leading_arg(source, &|default, rest| {
                    format!("{default}{rest}")
                        .starts_with('.')
                        .then(|| join(base.dir, default))
                })
            } else {
                absolutize(source, base)
            };
            if let Some(abs) = abs {
                *spec = format!("{abs}{}", &spec[i..]);
            }
        }
        Node::Map(long) if long.get("type").and_then(Node::as_str) == Some("bind") => {
            fix_string(long.get_mut("source"), base, |_| true);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::parse::parse_doc;
    use serde_json::json;

    #[test]
    fn split_respects_interpolation_and_brackets() {
        assert_eq!(split_outside("a:b:c", ':'), ["a", "b", "c"]);
        assert_eq!(
            split_outside("./${D:-data}:/x:ro", ':'),
            ["./${D:-data}", "/x", "ro"]
        );
        assert_eq!(split_outside("[::1]:80:80", ':'), ["[::1]", "80", "80"]);
        assert_eq!(split_outside("plain", ':'), ["plain"]);
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/p/./a/../b")), PathBuf::from("/p/b"));
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
        assert_eq!(normalize(Path::new("./")), PathBuf::from("."));
    }

    #[test]
    fn absolutize_leaves_special_paths() {
        let base = Base {
            dir: Path::new("/proj"),
            defaults: true,
        };
        assert_eq!(absolutize("./a/../b", base).as_deref(), Some("/proj/b"));
        assert_eq!(
            absolutize("sub/x.env", base).as_deref(),
            Some("/proj/sub/x.env")
        );
        assert_eq!(absolutize(".", base).as_deref(), Some("/proj"));
        assert_eq!(absolutize("/abs", base), None);
        assert_eq!(absolutize("~/x", base), None);
        assert_eq!(absolutize("${HOME}/x", base), None);
        assert_eq!(absolutize("", base), None);
        assert_eq!(
            absolutize("${E:-./a.env}", base).as_deref(),
            Some("${E:-/proj/a.env}")
        );
        assert_eq!(
            absolutize("${C:-.}/sub", base).as_deref(),
            Some("${C:-/proj}/sub")
        );
        assert_eq!(absolutize("${C:-/abs}", base), None);
        assert_eq!(absolutize("${C:?./x}", base), None);
        // In the main project's own folder compose resolves the defaults itself.
        let main = Base::new(Path::new("/proj"), Path::new("/proj"));
        assert_eq!(absolutize("${E:-./a.env}", main), None);
        assert_eq!(absolutize("./a", main).as_deref(), Some("/proj/a"));
    }

    fn resolved(src: &str) -> serde_json::Value {
        let mut doc = parse_doc(Path::new("t.yml"), src).expect("valid yaml");
        resolve_model(
            &mut doc.root,
            Base::new(Path::new("/proj"), Path::new("/main")),
        );
        serde_json::Value::Object(doc.root.into_json())
    }

    #[test]
    fn service_paths() {
        let v = resolved(
            r#"
services:
  a:
    build: ./app
    env_file: .env
    label_file: [./l, {path: ../m, required: false}]
    volumes:
      - .:/code
      - ./${DATA:-data}:/data:ro
      - ~/cache:/cache
      - /etc/x:/x
      - named:/n
      - ${PWD}/y:/y
      - ${D:-./d}:/d
      - ${N:-named}:/n2
      - {type: bind, source: ./b, target: /b}
      - {type: volume, source: vol, target: /v}
    develop: {watch: [{path: ./src, action: sync, target: /src}]}
  b:
    build:
      context: https://github.com/x/y.git
      additional_contexts: {lib: ../lib, img: docker-image://alpine, s: service:a}
  c:
    build: {context: sub, dockerfile: Dockerfile.dev}
  d:
    build: git@github.com:x/y.git
secrets: {s: {file: ./secret.txt}, e: {environment: X}}
configs: {c: {file: /abs/c}}
"#,
        );
        assert_eq!(
            v["services"]["a"],
            json!({
                "build": "/proj/app",
                "env_file": "/proj/.env",
                "label_file": ["/proj/l", {"path": "/m", "required": false}],
                "volumes": [
                    "/proj:/code",
                    "/proj/${DATA:-data}:/data:ro",
                    "~/cache:/cache",
                    "/etc/x:/x",
                    "named:/n",
                    "${PWD}/y:/y",
                    "${D:-/proj/d}:/d",
                    "${N:-named}:/n2",
                    {"type": "bind", "source": "/proj/b", "target": "/b"},
                    {"type": "volume", "source": "vol", "target": "/v"}
                ],
                "develop": {"watch": [{"path": "/proj/src", "action": "sync", "target": "/src"}]}
            })
        );
        assert_eq!(
            v["services"]["b"]["build"],
            json!({"context": "https://github.com/x/y.git",
                   "additional_contexts": {"lib": "/lib", "img": "docker-image://alpine", "s": "service:a"}})
        );
        assert_eq!(
            v["services"]["c"]["build"],
            json!({"context": "/proj/sub", "dockerfile": "Dockerfile.dev"})
        );
        assert_eq!(v["services"]["d"]["build"], "git@github.com:x/y.git");
        assert_eq!(v["secrets"]["s"]["file"], "/proj/secret.txt");
        assert_eq!(v["configs"]["c"]["file"], "/abs/c");
    }
}
