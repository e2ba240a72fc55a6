//! The machine's settings, `$RENET_STATE_DIR/machine.json`: what every route server and proxy
//! configuration on this host shares (base domain, machine name, public address, certificate
//! e-mail and resolver, route server URL), so they are said once and not on every command line.
//!
//! Flags always win over these settings. The file is replaced atomically under an exclusive
//! lock on a sibling lock file (the data file is replaced by rename: a lock on its old inode
//! would protect nothing). Keys renet does not know are kept as they are; a duplicate key is
//! refused rather than silently resolved to one of its values.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::fsread::Links;
use crate::routes::validate;

pub(crate) const FILE_NAME: &str = "machine.json";
const LOCK_NAME: &str = ".machine.json.lock";

/// Every key renet reads, in the order `show` prints them. The flag is the key with dashes.
pub(crate) const KEYS: [&str; 7] = [
    "base_domain",
    "machine_name",
    "public_address",
    "cert_email",
    "cert_resolver",
    "route_server",
    "proxy_config_dir",
];

/// Where the proxy's `traefik.yml` lives when neither a flag nor `proxy_config_dir` says.
pub(crate) const DEFAULT_PROXY_CONFIG_DIR: &str = "/etc/rediacc/proxy";

#[derive(Debug, thiserror::Error)]
pub enum MachineError {
    #[error("--{flag} {value:?} {reason}")]
    BadValue {
        flag: String,
        value: String,
        reason: String,
    },
    #[error("{}: {reason}", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The settings as the file holds them (known keys validated, unknown keys untouched).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Machine {
    map: Map<String, Value>,
}

impl Machine {
    pub(crate) fn path(state_dir: &Path) -> PathBuf {
        state_dir.join(FILE_NAME)
    }

    /// The settings of this machine; none when the file does not exist.
    pub(crate) fn load(state_dir: &Path) -> Result<Self, MachineError> {
        let path = Self::path(state_dir);
        // renet writes this file itself: a link, FIFO or device there is refused, not followed.
        match crate::fsread::read_to_string(&path, crate::fsread::STATE_LIMIT, Links::Refuse) {
            Ok(text) => Self::parse(&path, &text),
            Err(e) if e.is_not_found() => Ok(Self::default()),
            Err(e) => Err(e.into_io().into()),
        }
    }

    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self, MachineError> {
        let corrupt = |reason: String| MachineError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let Value::Object(map) =
            crate::strict_json::parse(text).map_err(|e| corrupt(e.to_string()))?
        else {
            return Err(corrupt("the top level must be a JSON object".into()));
        };
        for key in KEYS {
            match map.get(key) {
                None => {}
                Some(Value::String(s)) => {
                    validate_value(key, s).map_err(|e| corrupt(format!("{key}: {e}")))?;
                }
                Some(_) => return Err(corrupt(format!("{key} must be a string"))),
            }
        }
        Ok(Self { map })
    }

    /// A known key's value.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).and_then(Value::as_str)
    }

    /// Every key in the file's order, values as text (non-strings as JSON).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, String)> {
        self.map.iter().map(|(k, v)| {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
            (k.as_str(), text)
        })
    }

    pub(crate) fn as_json(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The public address, parsed (validated when the file was read).
    pub(crate) fn public_address(&self) -> Option<std::net::IpAddr> {
        self.get("public_address").and_then(|a| a.parse().ok())
    }

    fn apply(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => {
                self.map.insert(key.to_owned(), Value::String(v.to_owned()));
            }
            None => {
                self.map.shift_remove(key);
            }
        }
    }
}

/// A change asked for on the command line: `None` clears the key.
pub(crate) type Change = (&'static str, Option<String>);

/// Check `value` for `key` (the flag is named in the error) and return it normalised; an empty
/// value means "clear the key".
pub(crate) fn change(key: &'static str, value: &str) -> Result<Change, MachineError> {
    if value.trim().is_empty() {
        return Ok((key, None));
    }
    validate_value(key, value).map(|v| (key, Some(v)))
}

fn validate_value(key: &str, raw: &str) -> Result<String, MachineError> {
    let bad = |reason: &str| MachineError::BadValue {
        flag: key.replace('_', "-"),
        value: raw.to_owned(),
        reason: reason.to_owned(),
    };
    let v = raw.trim();
    match key {
        "base_domain" => {
            let d = v.trim_end_matches('.').to_ascii_lowercase();
            if validate::is_host_name(&d) {
                Ok(d)
            } else {
                Err(bad("is not a host name"))
            }
        }
        "machine_name" => {
            let m = v.to_ascii_lowercase();
            if validate::is_dns_label(&m) {
                Ok(m)
            } else {
                Err(bad("must be one DNS label (letters, digits, '-')"))
            }
        }
        "public_address" => v
            .parse::<std::net::IpAddr>()
            .map(|a| a.to_string())
            .map_err(|_| bad("is not an IP address")),
        "cert_email" => match v.split_once('@') {
            Some((user, host))
                if !user.is_empty()
                    && validate::is_host_name(host)
                    && !v.chars().any(|c| c.is_control() || c.is_whitespace()) =>
            {
                Ok(v.to_owned())
            }
            _ => Err(bad("is not an e-mail address")),
        },
        "cert_resolver" if validate::is_name(v) => Ok(v.to_owned()),
        "cert_resolver" => Err(bad("is not a resolver name")),
        "route_server" => crate::routes::proxy::route_server_endpoint(v)
            .map(|_| v.to_owned())
            .map_err(|_| bad("is not the route server's http:// URL (e.g. http://127.0.0.1:7111)")),
        "proxy_config_dir" if v.starts_with('/') && !v.chars().any(char::is_control) => {
            Ok(v.trim_end_matches('/').to_owned())
                .map(|d| if d.is_empty() { "/".to_owned() } else { d })
        }
        "proxy_config_dir" => Err(bad("must be an absolute folder path")),
        _ => Ok(v.to_owned()),
    }
}

impl Machine {
    /// The proxy's configuration folder: `flag`, else the setting, else
    /// [`DEFAULT_PROXY_CONFIG_DIR`].
    pub(crate) fn proxy_config_dir(&self, flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| self.get("proxy_config_dir").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PROXY_CONFIG_DIR))
    }
}

/// Apply `changes` under the lock and write the file when anything changed. Returns the new
/// settings and whether the file was written.
pub(crate) fn update(
    state_dir: &Path,
    changes: &[Change],
) -> Result<(Machine, bool), MachineError> {
    fs_err::create_dir_all(state_dir)?;
    let _lock = crate::lock::FileLock::acquire(&state_dir.join(LOCK_NAME))?;
    let old = Machine::load(state_dir)?;
    let mut new = old.clone();
    for (key, value) in changes {
        new.apply(key, value.as_deref());
    }
    if new == old {
        return Ok((new, false));
    }
    let mut text =
        serde_json::to_string_pretty(&new.map).map_err(|e| std::io::Error::other(e.to_string()))?;
    text.push('\n');
    crate::atomic::replace_regular(&Machine::path(state_dir), text.as_bytes())?;
    Ok((new, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Machine, MachineError> {
        Machine::parse(Path::new("/s/machine.json"), text)
    }

    #[test]
    fn a_linked_or_special_settings_file_is_refused_naming_it() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let path = Machine::path(tmp.path());
        std::os::unix::fs::symlink("/dev/zero", &path).expect("symlink");
        let err = Machine::load(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("machine.json") && err.contains("symbolic link"),
            "{err}"
        );
        fs_err::remove_file(&path).expect("rm");
        nix::unistd::mkfifo(&path, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("fifo");
        let err = Machine::load(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("FIFO"), "{err}");
        let err = parse(r#"{"x-a": {"k": 1, "k": 2}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("duplicate key \"k\" in \"x-a\""), "{err}");
    }

    #[test]
    fn duplicate_keys_are_refused_unknown_kept() {
        let err = parse(r#"{"base_domain": "a.com", "base_domain": "b.com"}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key"), "{err}");
        let m = parse(r#"{"x-owner": {"team": 1}, "base_domain": "a.com"}"#).unwrap();
        assert_eq!(m.get("base_domain"), Some("a.com"));
        assert_eq!(m.as_json()["x-owner"]["team"], 1);
    }

    #[test]
    fn bad_values_name_the_flag() {
        for (key, value, flag) in [
            ("base_domain", "not a host", "--base-domain"),
            ("machine_name", "a.b", "--machine-name"),
            ("public_address", "1.2.3", "--public-address"),
            ("cert_email", "nobody", "--cert-email"),
            ("cert_resolver", "le t", "--cert-resolver"),
            ("route_server", "ftp://x", "--route-server"),
        ] {
            let err = change(key, value).unwrap_err();
            assert!(err.to_string().starts_with(flag), "{err}");
        }
        assert_eq!(
            change("base_domain", "Example.COM.").unwrap(),
            ("base_domain", Some("example.com".to_owned()))
        );
        assert_eq!(change("cert_email", "").unwrap(), ("cert_email", None));
    }

    #[test]
    fn update_merges_and_clears() {
        let tmp = tempfile::tempdir().unwrap();
        let (m, wrote) = update(
            tmp.path(),
            &[
                change("base_domain", "example.com").unwrap(),
                change("machine_name", "m1").unwrap(),
            ],
        )
        .unwrap();
        assert!(wrote);
        assert_eq!(m.get("machine_name"), Some("m1"));
        let (m, wrote) = update(tmp.path(), &[change("machine_name", "").unwrap()]).unwrap();
        assert!(wrote);
        assert_eq!(m.get("machine_name"), None);
        assert_eq!(m.get("base_domain"), Some("example.com"));
        let (_, wrote) =
            update(tmp.path(), &[change("base_domain", "example.com").unwrap()]).unwrap();
        assert!(!wrote);
        assert_eq!(Machine::load(tmp.path()).unwrap(), m);
    }
}
