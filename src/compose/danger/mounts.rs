//! The host paths one service of the (interpolated) model hands to its container or to the
//! build, as compose reads them: bind mounts in short and long syntax, named volumes whose
//! `driver_opts` bind a host folder or device, file-based secrets and configs, build contexts,
//! and the env and label files compose reads as root. Pure.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::super::scalar;
use super::truthy;

/// One host path a service uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HostSource {
    /// The service key it comes from, for the finding (`volumes`, `secrets`, `build`, ...).
    pub(super) key: &'static str,
    /// The entry as written (before interpolation), for the finding.
    pub(super) shown: String,
    /// What the entry is, beyond a plain path (`bind`, `volume data binds /x`), for the finding.
    pub(super) notes: Vec<String>,
    /// The host path, absolute, as compose passes it on (not yet through symlinks).
    pub(super) path: PathBuf,
    pub(super) read_only: bool,
}

/// What host paths are taken against: compose's project folder and the home folder for `~`.
pub(super) struct Base<'a> {
    pub(super) project_dir: &'a Path,
    pub(super) home: &'a Path,
}

impl Base<'_> {
    /// `text` as an absolute host path, when compose reads it as one: `/...`, `~...` (compose
    /// puts the home folder in place of `~`), `.`-relative against the project folder.
    fn path(&self, text: &str) -> Option<PathBuf> {
        if text.starts_with('/') {
            Some(PathBuf::from(text))
        } else if let Some(rest) = text.strip_prefix('~') {
            Some(self.home.join(rest.trim_start_matches('/')))
        } else if text.starts_with('.') {
            Some(self.project_dir.join(text))
        } else {
            None
        }
    }
}

/// Every host path of service `svc` (`raw`: the same service before interpolation, for what the
/// findings show). `model`: the whole interpolated model, for the top-level volumes, secrets
/// and configs it names.
pub(super) fn host_sources(
    svc: &Map<String, Value>,
    raw: &Map<String, Value>,
    model: &Map<String, Value>,
    base: &Base<'_>,
) -> Vec<HostSource> {
    let mut out = Vec::new();
    let raw_volumes: Vec<&Value> = items(raw, "volumes").collect();
    for (i, vol) in items(svc, "volumes").enumerate() {
        let shown = raw_volumes.get(i).map_or_else(|| show(vol), |r| show(r));
        out.extend(volume(vol, shown, model, base));
    }
    for key in ["secrets", "configs"] {
        for entry in items(svc, key) {
            out.extend(file_object(key, entry, model, base));
        }
    }
    out.extend(build_contexts(svc, base));
    // `develop.watch` copies what changes under its host path into the container.
    let watched = svc
        .get("develop")
        .and_then(|d| d.get("watch"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|w| Some(scalar(w.get("path")?)));
    for path in watched {
        out.extend(base.path(&path).map(|p| HostSource {
            key: "develop.watch",
            shown: path.clone(),
            notes: Vec::new(),
            path: p,
            read_only: true,
        }));
    }
    for key in ["env_file", "label_file"] {
        let files = match svc.get(key) {
            Some(Value::String(s)) => vec![s.as_str()],
            _ => items(svc, key)
                .filter_map(|e| e.as_str().or_else(|| e.get("path")?.as_str()))
                .collect(),
        };
        for f in files {
            out.extend(base.path(f).map(|path| HostSource {
                key,
                shown: f.to_owned(),
                notes: Vec::new(),
                path,
                read_only: true,
            }));
        }
    }
    out
}

/// The items of a list setting (none when it is missing or not a list).
fn items<'a>(svc: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a Value> {
    svc.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// A `volumes:` entry as the finding shows it: the short form as written, the long form's
/// source (its type goes to the notes).
fn show(v: &Value) -> String {
    match v {
        Value::Object(m) => m.get("source").map(scalar).unwrap_or_default(),
        other => scalar(other),
    }
}

/// One `volumes:` entry: a bind mount, or a named volume that binds a host path.
fn volume(
    vol: &Value,
    shown: String,
    model: &Map<String, Value>,
    base: &Base<'_>,
) -> Option<HostSource> {
    let (kind, source, read_only, long) = match vol {
        Value::String(s) => {
            let mut parts = s.split(':');
            let source = parts.next()?;
            let _target = parts.next()?;
            let ro = parts
                .next()
                .is_some_and(|o| o.split(',').any(|o| o == "ro"));
            let kind = if base.path(source).is_some() {
                "bind"
            } else {
                "volume"
            };
            (kind.to_owned(), source.to_owned(), ro, false)
        }
        Value::Object(m) => {
            let kind = m.get("type").map_or_else(|| "bind".to_owned(), scalar);
            let source = m.get("source").map(scalar)?;
            (kind, source, m.get("read_only").is_some_and(truthy), true)
        }
        _ => return None,
    };
    // The long form shows its source alone: say it is a bind (a volume says so in its note).
    let mut notes: Vec<String> = (long && kind == "bind")
        .then(|| kind.clone())
        .into_iter()
        .collect();
    match kind.as_str() {
        "bind" => Some(HostSource {
            key: "volumes",
            shown,
            notes,
            path: base.path(&source)?,
            read_only,
        }),
        "volume" => {
            let (device, opt_ro) = named_volume_device(model, &source, base)?;
            notes.push(format!("volume {source} binds {}", device.display()));
            Some(HostSource {
                key: "volumes",
                shown,
                notes,
                path: device,
                read_only: read_only || opt_ro,
            })
        }
        _ => None,
    }
}

/// The host path a top-level named volume mounts (its `driver_opts.device`, for a bind, a
/// block device or any other local mount), and whether its options make it read-only.
fn named_volume_device(
    model: &Map<String, Value>,
    name: &str,
    base: &Base<'_>,
) -> Option<(PathBuf, bool)> {
    let opts = model
        .get("volumes")?
        .get(name)?
        .get("driver_opts")?
        .as_object()?;
    let device = base.path(&scalar(opts.get("device")?))?;
    let ro = opts
        .get("o")
        .is_some_and(|o| scalar(o).split(',').any(|o| o.trim() == "ro"));
    Some((device, ro))
}

/// A `secrets:`/`configs:` entry of a service, when the top-level object it names is a host file
/// (compose mounts it read-only).
fn file_object(
    key: &'static str,
    entry: &Value,
    model: &Map<String, Value>,
    base: &Base<'_>,
) -> Option<HostSource> {
    let name = match entry {
        Value::String(s) => s.clone(),
        other => scalar(other.get("source")?),
    };
    let file = scalar(model.get(key)?.get(&name)?.get("file")?);
    Some(HostSource {
        key,
        shown: name,
        notes: vec![format!("file {file}")],
        path: base.path(&file)?,
        read_only: true,
    })
}

/// The build context and additional contexts that are host folders (compose sends them to the
/// daemon, which reads them as root).
fn build_contexts(svc: &Map<String, Value>, base: &Base<'_>) -> Vec<HostSource> {
    let mut contexts: Vec<String> = Vec::new();
    match svc.get("build") {
        Some(Value::String(s)) => contexts.push(s.clone()),
        Some(Value::Object(b)) => {
            contexts.extend(b.get("context").map(scalar));
            if let Some(extra) = b.get("additional_contexts") {
                match extra {
                    Value::Object(m) => contexts.extend(m.values().map(scalar)),
                    Value::Array(a) => contexts.extend(
                        a.iter()
                            .filter_map(|e| Some(scalar(e).split_once('=')?.1.to_owned())),
                    ),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    contexts
        .into_iter()
        .filter(|c| !c.contains("://"))
        .filter_map(|c| {
            Some(HostSource {
                key: "build",
                path: base.path(&c)?,
                shown: c,
                notes: Vec::new(),
                read_only: true,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sources(svc: Value, model: Value) -> Vec<(String, PathBuf, bool, Vec<String>)> {
        let svc = svc.as_object().expect("object").clone();
        let model = model.as_object().expect("object").clone();
        let base = Base {
            project_dir: Path::new("/srv/app"),
            home: Path::new("/home/op"),
        };
        host_sources(&svc, &svc, &model, &base)
            .into_iter()
            .map(|s| {
                (
                    format!("{}: {}", s.key, s.shown),
                    s.path,
                    s.read_only,
                    s.notes,
                )
            })
            .collect()
    }

    #[test]
    fn short_and_long_binds_with_their_modes() {
        let got = sources(
            json!({"volumes": ["/:/h", "./d:/d:ro", "~/x:/x:rw,z", "named:/n", "/anon",
                               {"type": "bind", "source": "/etc", "target": "/e", "read_only": true},
                               {"source": "/var", "target": "/v"},
                               {"type": "tmpfs", "target": "/t"}]}),
            json!({}),
        );
        let paths: Vec<(&str, &str, bool)> = got
            .iter()
            .map(|(s, p, ro, _)| (s.as_str(), p.to_str().expect("utf-8"), *ro))
            .collect();
        assert_eq!(
            paths,
            [
                ("volumes: /:/h", "/", false),
                ("volumes: ./d:/d:ro", "/srv/app/./d", true),
                ("volumes: ~/x:/x:rw,z", "/home/op/x", false),
                ("volumes: /etc", "/etc", true),
                ("volumes: /var", "/var", false),
            ]
        );
    }

    #[test]
    fn named_volumes_that_bind_a_host_folder_count_as_binds() {
        let model = json!({"volumes": {
            "root": {"driver_opts": {"type": "none", "o": "bind", "device": "/"}},
            "disk": {"driver_opts": {"type": "ext4", "device": "/dev/sda1"}},
            "ro": {"driver_opts": {"type": "none", "o": "bind,ro", "device": "/etc"}},
            "nfs": {"driver_opts": {"type": "nfs", "o": "addr=10.0.0.1", "device": ":/export"}},
            "plain": {}}});
        let got = sources(
            json!({"volumes": ["root:/r", {"type": "volume", "source": "disk", "target": "/d"},
                               "ro:/e", "nfs:/n", "plain:/p", "missing:/m"]}),
            model,
        );
        assert_eq!(
            got,
            [
                (
                    "volumes: root:/r".to_owned(),
                    PathBuf::from("/"),
                    false,
                    vec!["volume root binds /".to_owned()]
                ),
                (
                    "volumes: disk".to_owned(),
                    PathBuf::from("/dev/sda1"),
                    false,
                    vec!["volume disk binds /dev/sda1".to_owned()]
                ),
                (
                    "volumes: ro:/e".to_owned(),
                    PathBuf::from("/etc"),
                    true,
                    vec!["volume ro binds /etc".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn secrets_configs_builds_and_env_files_are_host_paths_read_only() {
        let model = json!({
            "secrets": {"s": {"file": "/etc/shadow"}, "e": {"environment": "X"}},
            "configs": {"c": {"file": "./c.conf"}}});
        let got = sources(
            json!({"secrets": ["s", {"source": "e"}], "configs": [{"source": "c"}],
                   "build": {"context": "/", "additional_contexts": {"x": "/root", "img": "docker-image://a"}},
                   "env_file": ["/root/.env", {"path": "./x.env"}], "label_file": "~/l"}),
            model,
        );
        let keys: Vec<(&str, &str)> = got
            .iter()
            .map(|(s, p, ro, _)| {
                assert!(ro, "{s}");
                (s.as_str(), p.to_str().expect("utf-8"))
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("secrets: s", "/etc/shadow"),
                ("configs: c", "/srv/app/./c.conf"),
                ("build: /", "/"),
                ("build: /root", "/root"),
                ("env_file: /root/.env", "/root/.env"),
                ("env_file: ./x.env", "/srv/app/./x.env"),
                ("label_file: ~/l", "/home/op/l"),
            ]
        );
        assert_eq!(
            sources(json!({"build": "https://github.com/a/b.git"}), json!({})),
            []
        );
    }
}
