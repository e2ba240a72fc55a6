//! `.rediacc.json`: the repository's slot map (SPEC section 2).
//!
//! The file is kept as a JSON document so keys renet does not know survive every rewrite; the
//! typed view (`services`) is validated on every read. Writes go through [`update`], which
//! holds an exclusive lock on a sibling lock file (never the data file: the data file is
//! replaced by rename, and a lock on the old inode would protect nothing).

use crate::fsread;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::allocator::{self, CapacityError, VarCollision};
use crate::network::{NetworkId, SLOT_COUNT, Slot};

pub(crate) const FILE_NAME: &str = ".rediacc.json";
pub(crate) const LOCK_NAME: &str = ".rediacc.json.lock";

#[derive(Debug, thiserror::Error)]
// `pub`: a variant of the public `crate::error::Error` holds it.
pub enum SlotMapError {
    /// Not JSON, or a key twice in one object (which JSON readers settle silently).
    #[error("{path}: {source} (renet never overwrites it)")]
    Json {
        path: PathBuf,
        source: crate::strict_json::StrictJsonError,
    },
    #[error("{path}: {what}; fix the file by hand (renet never overwrites it)")]
    Invalid { path: PathBuf, what: String },
    #[error("{path}: {source}")]
    Capacity {
        path: PathBuf,
        source: CapacityError,
    },
    #[error("{path}: {source}")]
    Collision { path: PathBuf, source: VarCollision },
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Read(#[from] crate::fsread::ReadError),
}

/// A run whose network ID or name contradicts the identity `.rediacc.json` keeps (SPEC section
/// 3 "Identity"): acting on it would move the repository's containers, routes and leases.
#[derive(Debug, thiserror::Error)]
// `pub`: a variant of the public `SlotMapError` holds it.
pub enum IdentityError {
    #[error(
        "{path}: repository \"{name}\" has network ID {kept}, not {given}; use --network-id {kept}"
    )]
    Network {
        path: PathBuf,
        name: String,
        kept: u64,
        given: NetworkId,
    },
    #[error(
        "{path}: the repository is named \"{kept}\", not \"{given}\"; pass --rename to rename it, \
         or leave out --name"
    )]
    Name {
        path: PathBuf,
        kept: String,
        given: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceEntry {
    pub(crate) slot: Slot,
    pub(crate) restart_policy: Option<String>,
}

/// A parsed, validated `.rediacc.json`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SlotMap {
    doc: Map<String, Value>,
}

impl SlotMap {
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, SlotMapError> {
        let value = crate::strict_json::parse(text).map_err(|source| SlotMapError::Json {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |what: String| SlotMapError::Invalid {
            path: path.to_owned(),
            what,
        };
        let Value::Object(doc) = value else {
            return Err(invalid("the top level must be a JSON object".into()));
        };
        let map = Self { doc };
        match map.doc.get("services") {
            None | Some(Value::Object(_)) => {}
            Some(_) => return Err(invalid("\"services\" must be an object".into())),
        }
        if let Some(name) = map.doc.get("name")
            && !name.is_string()
        {
            return Err(invalid("\"name\" must be a string".into()));
        }
        if let Some(id) = map.doc.get("network_id")
            && id.as_u64().is_none_or(|n| NetworkId::new(n).is_err())
        {
            return Err(invalid(format!("\"network_id\" {id} is not a network ID")));
        }
        let mut seen: BTreeMap<Slot, &str> = BTreeMap::new();
        for (name, entry) in map.services_raw() {
            let Value::Object(entry) = entry else {
                return Err(invalid(format!("service \"{name}\" must be an object")));
            };
            let slot = entry
                .get("slot")
                .ok_or_else(|| invalid(format!("service \"{name}\" has no \"slot\"")))?;
            let slot = slot
                .as_u64()
                .and_then(|n| Slot::new(n).ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "service \"{name}\" has slot {slot}, outside 0..={}",
                        SLOT_COUNT - 1
                    ))
                })?;
            if let Some(other) = seen.insert(slot, name) {
                return Err(invalid(format!(
                    "services \"{other}\" and \"{name}\" both have slot {slot}"
                )));
            }
            match entry.get("restart_policy") {
                None | Some(Value::String(_) | Value::Null) => {}
                Some(v) => {
                    return Err(invalid(format!(
                        "service \"{name}\" has restart_policy {v}, which is not a string"
                    )));
                }
            }
        }
        Ok(map)
    }

    fn services_raw(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.doc
            .get("services")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
    }

    fn services_mut(&mut self) -> &mut Map<String, Value> {
        let entry = self
            .doc
            .entry("services")
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        match entry {
            Value::Object(m) => m,
            _ => unreachable!("just made it an object"),
        }
    }

    /// Services sorted by name. Parsing validated every entry, so nothing is skipped here.
    pub(crate) fn services(&self) -> BTreeMap<String, ServiceEntry> {
        self.services_raw()
            .filter_map(|(name, v)| {
                let slot = v.get("slot")?.as_u64().and_then(|n| Slot::new(n).ok())?;
                let restart_policy = v
                    .get("restart_policy")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                Some((
                    name.clone(),
                    ServiceEntry {
                        slot,
                        restart_policy,
                    },
                ))
            })
            .collect()
    }

    pub(crate) fn slots(&self) -> BTreeMap<String, Slot> {
        self.services()
            .into_iter()
            .map(|(n, e)| (n, e.slot))
            .collect()
    }

    pub(crate) fn name(&self) -> Option<&str> {
        self.doc.get("name").and_then(Value::as_str)
    }

    pub(crate) fn network_id(&self) -> Option<u64> {
        self.doc.get("network_id").and_then(Value::as_u64)
    }

    /// The name a run on network `id` uses, checked against the kept identity: another network
    /// ID is refused, and so is another `--name` unless `rename` says it is deliberate.
    pub(crate) fn check_identity(
        &self,
        repo: &Path,
        name_flag: Option<&str>,
        id: NetworkId,
        rename: bool,
    ) -> Result<String, IdentityError> {
        let name = crate::settings::repo_name(name_flag, self.name(), repo);
        if let Some(kept) = self.network_id()
            && kept != u64::from(id.get())
        {
            return Err(IdentityError::Network {
                path: path_in(repo),
                name: self.name().unwrap_or(&name).to_owned(),
                kept,
                given: id,
            });
        }
        if let (Some(kept), Some(given)) = (self.name(), name_flag)
            && kept != given
            && !rename
        {
            return Err(IdentityError::Name {
                path: path_in(repo),
                kept: kept.to_owned(),
                given: given.to_owned(),
            });
        }
        Ok(name)
    }

    /// Keep `name` and `id` as the repository's identity. Returns whether anything changed.
    pub(crate) fn keep_identity(&mut self, name: &str, id: NetworkId) -> bool {
        let before = (self.name().map(str::to_owned), self.network_id());
        self.doc
            .insert("name".into(), Value::String(name.to_owned()));
        self.doc.insert("network_id".into(), Value::from(id.get()));
        before != (Some(name.to_owned()), Some(u64::from(id.get())))
    }

    /// Give new services slots. Returns the new assignments.
    pub(crate) fn allocate<'a>(
        &mut self,
        path: &Path,
        wanted: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<(String, Slot)>, SlotMapError> {
        let wanted: Vec<&str> = wanted.into_iter().collect();
        let existing = self.slots();
        allocator::check_var_names(
            existing
                .keys()
                .map(String::as_str)
                .chain(wanted.iter().copied()),
        )
        .map_err(|source| SlotMapError::Collision {
            path: path.to_owned(),
            source,
        })?;
        let new =
            allocator::allocate(&existing, wanted).map_err(|source| SlotMapError::Capacity {
                path: path.to_owned(),
                source,
            })?;
        let services = self.services_mut();
        for (name, slot) in &new {
            let mut entry = Map::new();
            entry.insert("slot".into(), Value::from(slot.get()));
            services.insert(name.clone(), Value::Object(entry));
        }
        Ok(new)
    }

    /// Record a service's restart policy (`None` or `"no"` removes it).
    pub(crate) fn set_restart_policy(&mut self, service: &str, policy: Option<&str>) {
        if let Some(Value::Object(entry)) = self.services_mut().get_mut(service) {
            match policy {
                Some(p) if p != "no" => {
                    entry.insert("restart_policy".into(), Value::String(p.to_owned()));
                }
                _ => {
                    entry.remove("restart_policy");
                }
            }
        }
    }

    /// Free the slots of services not in `keep`. Returns the freed names.
    pub(crate) fn prune(&mut self, keep: &dyn Fn(&str) -> bool) -> Vec<String> {
        let services = self.services_mut();
        let gone: Vec<String> = services.keys().filter(|n| !keep(n)).cloned().collect();
        for name in &gone {
            services.shift_remove(name);
        }
        gone
    }

    pub(crate) fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(&Value::Object(self.doc.clone()))
            .expect("a JSON value always serializes");
        s.push('\n');
        s
    }
}

pub(crate) fn path_in(repo: &Path) -> PathBuf {
    repo.join(FILE_NAME)
}

/// Read the slot map without locking: writers replace the file by rename, so a reader sees
/// either the old or the new file, never half of one.
pub(crate) fn read(repo: &Path) -> Result<SlotMap, SlotMapError> {
    let path = path_in(repo);
    // The repository's owner controls this path: a FIFO, device, link or huge file there is
    // refused, never waited on or followed.
    match fsread::read_to_string(&path, fsread::STATE_LIMIT, fsread::Links::Refuse) {
        Ok(text) => SlotMap::parse(&path, &text),
        Err(e) if e.is_not_found() => Ok(SlotMap::default()),
        Err(e) => Err(e.into()),
    }
}

/// The slot map read under the repository's lock, changed in memory and written by
/// [`Locked::commit`] only: a run that is refused between the two (an exhausted lease range, a
/// bad port label) drops it, and the file stays byte-identical.
pub(crate) struct Locked {
    _lock: crate::lock::FileLock,
    path: PathBuf,
    /// The text the file would have unchanged, to know whether anything changed.
    before: String,
    pub(crate) map: SlotMap,
}

impl Locked {
    pub(crate) fn open(repo: &Path) -> Result<Self, SlotMapError> {
        let lock = lock(repo)?;
        let map = read(repo)?;
        Ok(Self {
            _lock: lock,
            path: path_in(repo),
            before: map.to_json(),
            map,
        })
    }

    /// Write the map (atomically, fsynced, never through a link) when it changed, and release
    /// the lock.
    pub(crate) fn commit(self) -> Result<(), SlotMapError> {
        if self.map.to_json() != self.before {
            crate::atomic::replace_regular(&self.path, self.map.to_json().as_bytes())?;
        }
        Ok(())
    }
}

/// Read-modify-write under the repository's lock. `f` returns whether it changed anything; the
/// file is written (atomically, fsynced) only then, so a refused or empty change leaves it
/// byte-identical.
pub(crate) fn update<T, E>(
    repo: &Path,
    f: impl FnOnce(&Path, &mut SlotMap) -> Result<(T, bool), E>,
) -> Result<T, E>
where
    E: From<SlotMapError>,
{
    let path = path_in(repo);
    let _lock = lock(repo).map_err(|e| E::from(SlotMapError::Io(e)))?;
    let mut map = read(repo).map_err(E::from)?;
    let (out, changed) = f(&path, &mut map)?;
    if changed {
        crate::atomic::replace_regular(&path, map.to_json().as_bytes())
            .map_err(|e| E::from(SlotMapError::Io(e)))?;
    }
    Ok(out)
}

/// Give every service in `names` that has none a slot (`slots sync`, `repository up`). Returns
/// the new assignments; the file is untouched when there are none.
pub(crate) fn sync<'a>(
    repo: &Path,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<(String, Slot)>, SlotMapError> {
    update(repo, |path, map| {
        let new = map.allocate(path, names)?;
        let changed = !new.is_empty();
        Ok((new, changed))
    })
}

/// Keep the identity of a successful run (`repository up`, `renet compose`), checked again
/// under the lock; the file is untouched when it already says so.
pub(crate) fn keep_identity(
    repo: &Path,
    name_flag: Option<&str>,
    id: NetworkId,
    rename: bool,
) -> Result<String, SlotMapError> {
    update(repo, |_, map| {
        let name = map.check_identity(repo, name_flag, id, rename)?;
        let changed = map.keep_identity(&name, id);
        Ok((name, changed))
    })
}

/// The repository's lock (`.rediacc.json.lock` beside the slot map).
pub(crate) fn lock(repo: &Path) -> std::io::Result<crate::lock::FileLock> {
    crate::lock::FileLock::acquire(&repo.join(LOCK_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<SlotMap, SlotMapError> {
        SlotMap::parse(Path::new("/r/.rediacc.json"), text)
    }

    #[test]
    fn unknown_keys_survive() {
        let mut m = parse(
            r#"{"is_fork": true, "services": {"api": {"slot": 0, "x": 1}}, "grand_guid": "g"}"#,
        )
        .unwrap();
        m.allocate(Path::new("/r"), ["db"]).unwrap();
        m.set_restart_policy("db", Some("always"));
        let out: Value = serde_json::from_str(&m.to_json()).unwrap();
        assert_eq!(out["is_fork"], true);
        assert_eq!(out["grand_guid"], "g");
        assert_eq!(out["services"]["api"]["x"], 1);
        assert_eq!(out["services"]["db"]["slot"], 1);
        assert_eq!(out["services"]["db"]["restart_policy"], "always");
    }

    #[test]
    fn corrupt_files_are_refused_with_the_path() {
        for (text, needle) in [
            ("{", "not valid JSON"),
            (
                r#"{"services": {"a": {"slot": 0}, "b": {"slot": 1}, "a": {"slot": 2}}}"#,
                "duplicate key \"a\" in \"services\"",
            ),
            (r#"{"name": "x", "name": "y"}"#, "duplicate key \"name\""),
            (
                r#"{"services": {"a": {"slot": 0, "slot": 1}}}"#,
                "in \"services.a\"",
            ),
            ("[]", "top level"),
            (r#"{"services": []}"#, "must be an object"),
            (r#"{"services": {"a": {"slot": 61}}}"#, "outside 0..=60"),
            (r#"{"services": {"a": {"slot": -1}}}"#, "outside 0..=60"),
            (
                r#"{"services": {"a": {"slot": 1}, "b": {"slot": 1}}}"#,
                "both have slot 1",
            ),
            (r#"{"services": {"a": {}}}"#, "no \"slot\""),
            (
                r#"{"services": {"a": {"slot": 1, "restart_policy": 3}}}"#,
                "not a string",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains("/r/.rediacc.json"), "{err}");
            assert!(err.contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn prune_frees_only_missing() {
        let mut m = parse(r#"{"services": {"a": {"slot": 0}, "b": {"slot": 1}}}"#).unwrap();
        assert_eq!(m.prune(&|n| n == "b"), vec!["a".to_owned()]);
        assert_eq!(m.slots().len(), 1);
        assert_eq!(m.allocate(Path::new("/r"), ["c"]).unwrap()[0].1.get(), 0);
    }

    #[test]
    fn identity_is_kept_and_enforced() {
        let repo = Path::new("/r/shop");
        let (a, b) = (NetworkId::new(2816).unwrap(), NetworkId::new(2880).unwrap());
        let mut m = parse(r#"{"services": {}}"#).unwrap();
        assert_eq!(m.check_identity(repo, None, a, false).unwrap(), "shop");
        assert!(m.keep_identity("shop", a));
        assert!(!m.keep_identity("shop", a), "already kept");
        let m = parse(&m.to_json()).unwrap();
        let err = m
            .check_identity(repo, None, b, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("2816") && err.contains("2880"), "{err}");
        let err = m
            .check_identity(repo, Some("x"), a, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"shop\"") && err.contains("--rename"),
            "{err}"
        );
        assert_eq!(m.check_identity(repo, Some("x"), a, true).unwrap(), "x");
        assert_eq!(
            m.check_identity(repo, Some("shop"), a, false).unwrap(),
            "shop"
        );
        assert!(parse(r#"{"network_id": "2816"}"#).is_err());
        assert!(parse(r#"{"network_id": 5}"#).is_err());
    }

    #[test]
    fn serialization_is_stable() {
        let m =
            parse(r#"{"services": {"b": {"slot": 1}, "a": {"slot": 0}}, "name": "x"}"#).unwrap();
        assert_eq!(m.to_json(), parse(&m.to_json()).unwrap().to_json());
    }
}
