//! Which Docker Compose a binary is, asked by running it (`version --short`) and never guessed
//! from its file: a `docker-compose` wrapper script may run v2. The answer costs a process (40
//! ms for v2, 100 ms through `docker compose`, 700 ms for the Python 1.x), so it is kept in
//! `$RENET_RUN_DIR/compose-version.json`, keyed by the command and by the binary's resolved
//! path, size, mtime and inode: any change to the file asks again. The cache is only trusted
//! when it is a regular file owned by root and writable by no one else; anything unreadable in
//! it is ignored. A dry run reads it but writes nothing (SPEC section 3).

use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::Flavour;

/// The cache file in `RENET_RUN_DIR`.
pub(crate) const CACHE_FILE: &str = "compose-version.json";
/// Entries kept (one per compose command seen on the machine).
const CACHE_ENTRIES: usize = 8;

/// What renet found out about a compose binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Probe {
    /// As the binary printed it, e.g. `2.40.3`.
    pub(crate) version: String,
    major: u64,
    /// None when the binary's file could not be identified (nothing to cache).
    entry: Option<Entry>,
    /// Whether the answer came from the cache.
    cached: bool,
}

impl Probe {
    /// docker-compose 1.x (renet then drops what 1.x cannot read).
    pub(crate) fn is_v1(&self) -> bool {
        self.major < 2
    }
}

#[derive(Debug, thiserror::Error)]
// `pub`: a variant of the public `crate::error::Error` holds it.
pub enum VersionError {
    #[error(
        "cannot run {} to ask its version: {source}; reinstall Docker Compose v2 (the docker \
         compose plugin) or remove the broken file",
        program.display()
    )]
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "`{command}` failed ({status}): {stderr}; {} does not run: reinstall Docker Compose v2 \
         (the docker compose plugin) or remove the broken file",
        binary.display()
    )]
    Failed {
        command: String,
        binary: PathBuf,
        status: String,
        stderr: String,
    },
    #[error(
        "`{command}` printed {output:?}, not a Docker Compose version renet knows (1.x, or 2 \
         and later); install Docker Compose v2 as the docker compose plugin, or put a working \
         docker-compose first on PATH"
    )]
    Unknown { command: String, output: String },
}

/// One remembered answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    command: Vec<String>,
    path: PathBuf,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
    inode: u64,
    device: u64,
    version: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Cache {
    entries: Vec<Entry>,
}

/// `flavour`'s version: from the cache when its binary is unchanged, else asked.
pub(crate) fn version(flavour: &Flavour, run_dir: &Path) -> Result<Probe, VersionError> {
    let argv = command(flavour);
    let words: Vec<String> = argv
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let key = identify(flavour.binary(), &words);
    if let Some(key) = &key
        && let Some(hit) = read_cache(run_dir)
            .entries
            .into_iter()
            .find(|e| same_binary(e, key))
        && let Some(major) = major(&hit.version)
    {
        return Ok(Probe {
            version: hit.version.clone(),
            major,
            entry: Some(hit),
            cached: true,
        });
    }
    let version = ask(flavour, &argv, &words.join(" "))?;
    let major = major(&version).ok_or_else(|| VersionError::Unknown {
        command: words.join(" "),
        output: version.clone(),
    })?;
    Ok(Probe {
        entry: key.map(|k| Entry {
            version: version.clone(),
            ..k
        }),
        version,
        major,
        cached: false,
    })
}

/// Keep a fresh answer for the next run. Best effort: a run dir that cannot take the file
/// only costs the next run a process.
pub(crate) fn remember(run_dir: &Path, probe: &Probe) {
    let Some(entry) = probe.entry.as_ref().filter(|_| !probe.cached) else {
        return;
    };
    let mut cache = read_cache(run_dir);
    cache.entries.retain(|e| e.command != entry.command);
    cache.entries.push(entry.clone());
    let excess = cache.entries.len().saturating_sub(CACHE_ENTRIES);
    cache.entries.drain(..excess);
    if let Ok(text) = serde_json::to_vec_pretty(&cache) {
        let _ = crate::atomic::write(&run_dir.join(CACHE_FILE), &text, Some(0o644));
    }
}

/// `<compose> version --short`.
fn command(flavour: &Flavour) -> Vec<OsString> {
    let mut argv = flavour.program();
    argv.extend(["version".into(), "--short".into()]);
    argv
}

/// The cache key of `binary` (resolved) for `command`; the version is filled in later.
fn identify(binary: &Path, command: &[String]) -> Option<Entry> {
    let path = binary.canonicalize().ok()?;
    let meta = path.metadata().ok()?;
    Some(Entry {
        command: command.to_vec(),
        path,
        size: meta.size(),
        mtime: meta.mtime(),
        mtime_nsec: meta.mtime_nsec(),
        inode: meta.ino(),
        device: meta.dev(),
        version: String::new(),
    })
}

fn same_binary(cached: &Entry, now: &Entry) -> bool {
    Entry {
        version: String::new(),
        ..cached.clone()
    } == *now
}

/// The cache, or an empty one when it is missing, not root's, writable by others or unreadable.
fn read_cache(run_dir: &Path) -> Cache {
    let path = run_dir.join(CACHE_FILE);
    let trusted = std::fs::symlink_metadata(&path).is_ok_and(|m| {
        m.file_type().is_file() && m.uid() == 0 && m.permissions().mode() & 0o022 == 0
    });
    if !trusted {
        return Cache::default();
    }
    std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Run `argv` and return the version it printed.
fn ask(flavour: &Flavour, argv: &[OsString], command: &str) -> Result<String, VersionError> {
    let output = Command::new(&argv[0])
        .args(&argv[1..])
        // A context would make the docker CLI look for another daemon's configuration.
        .env_remove("DOCKER_CONTEXT")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| VersionError::Spawn {
            program: PathBuf::from(&argv[0]),
            source,
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rfind(|l| !l.trim().is_empty()).unwrap_or("");
        return Err(VersionError::Failed {
            command: command.to_owned(),
            binary: flavour.binary().to_path_buf(),
            status: output.status.to_string(),
            stderr: last.trim().to_owned(),
        });
    }
    let found = stdout
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| w.strip_prefix('v').unwrap_or(w))
        .find(|w| major(w).is_some());
    match found {
        Some(v) => Ok(v.to_owned()),
        None => Err(VersionError::Unknown {
            command: command.to_owned(),
            output: stdout.trim().to_owned(),
        }),
    }
}

/// The major version of `1.29.2`, `2.40.3`, `5.0.0`: 1 and up (there is no Compose 0.x).
fn major(version: &str) -> Option<u64> {
    let (major, rest) = version.split_once('.')?;
    let minor_starts_with_digit = rest.starts_with(|c: char| c.is_ascii_digit());
    major
        .parse::<u64>()
        .ok()
        .filter(|m| *m >= 1 && minor_starts_with_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        fs_err::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }

    fn standalone(binary: PathBuf) -> Flavour {
        Flavour::Standalone { binary }
    }

    #[test]
    fn the_version_is_asked_not_guessed_from_the_file() {
        let tmp = tempfile::tempdir().expect("tempdir");
        // A wrapper script (`#!`) that runs v2 is v2; a 1.x one is 1.x.
        let v2 = script(tmp.path(), "v2", "echo 2.40.3");
        let probe = version(&standalone(v2), tmp.path()).expect("v2");
        assert_eq!((probe.version.as_str(), probe.is_v1()), ("2.40.3", false));
        let v1 = script(
            tmp.path(),
            "v1",
            "echo 'docker-compose version 1.29.2, build unknown'",
        );
        let probe = version(&standalone(v1), tmp.path()).expect("v1");
        assert_eq!((probe.version.as_str(), probe.is_v1()), ("1.29.2", true));
        let later = script(tmp.path(), "v5", "echo v5.0.0");
        assert!(!version(&standalone(later), tmp.path()).expect("v5").is_v1());
    }

    #[test]
    fn unknown_and_broken_binaries_are_named() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let odd = script(tmp.path(), "odd", "echo hello");
        let err = version(&standalone(odd.clone()), tmp.path()).unwrap_err();
        assert!(matches!(err, VersionError::Unknown { .. }), "{err}");
        assert!(
            err.to_string().contains(&odd.display().to_string()),
            "{err}"
        );
        let broken = script(
            tmp.path(),
            "broken",
            "echo 'exec format error' >&2; exit 126",
        );
        let err = version(&standalone(broken.clone()), tmp.path()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("exec format error"), "{msg}");
        assert!(msg.contains(&broken.display().to_string()), "{msg}");
        let missing = tmp.path().join("missing");
        let err = version(&standalone(missing), tmp.path()).unwrap_err();
        assert!(matches!(err, VersionError::Spawn { .. }), "{err}");
    }

    #[test]
    fn the_answer_is_cached_until_the_binary_changes() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let run = tmp.path().join("run");
        fs_err::create_dir(&run).expect("mkdir");
        let counter = tmp.path().join("runs");
        let body = format!("echo x >> {}; echo 2.40.3", counter.display());
        let bin = script(tmp.path(), "docker-compose", &body);
        let runs = || fs_err::read_to_string(&counter).map_or(0, |s| s.lines().count());
        let flavour = standalone(bin.clone());
        let first = version(&flavour, &run).expect("asked");
        remember(&run, &first);
        let again = version(&flavour, &run).expect("cached");
        assert_eq!((again.version.as_str(), runs()), ("2.40.3", 1));
        // A changed file (new inode, size) is asked again.
        fs_err::remove_file(&bin).expect("rm");
        script(tmp.path(), "docker-compose", &format!("{body} # v2 again"));
        version(&flavour, &run).expect("asked again");
        assert_eq!(runs(), 2);
    }

    #[test]
    fn a_corrupt_or_untrusted_cache_is_ignored() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let bin = script(tmp.path(), "c", "echo 2.1.0");
        let path = tmp.path().join(CACHE_FILE);
        fs_err::write(&path, "{not json").expect("write");
        assert_eq!(
            version(&standalone(bin.clone()), tmp.path())
                .expect("ok")
                .version,
            "2.1.0"
        );
        // A cache others may write says nothing, whatever it holds.
        let probe = version(&standalone(bin.clone()), tmp.path()).expect("ok");
        remember(tmp.path(), &probe);
        let text = fs_err::read_to_string(&path).expect("cache");
        fs_err::write(&path, text.replace("2.1.0", "1.29.2")).expect("write");
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        assert_eq!(
            version(&standalone(bin), tmp.path()).expect("ok").version,
            "2.1.0"
        );
    }

    #[test]
    fn versions_parse() {
        assert_eq!(major("2.40.3"), Some(2));
        assert_eq!(major("1.29.2"), Some(1));
        assert_eq!(major("0.1.0"), None);
        assert_eq!(major("2"), None);
        assert_eq!(major("x.1"), None);
    }
}
