//! Machine-wide external TCP/UDP port leases (SPEC section 6), kept in SQLite at
//! `$RENET_STATE_DIR/router/ports.db`.
//!
//! A lease ties a key (network ID, service, protocol, container port) to an external port from
//! the lease range (`RENET_PORT_RANGE`, default 10000-10010). The same key gets the same port
//! back for as long as it is leased; a release deletes the lease. TCP and UDP are separate
//! pools. A lease whose port lies outside the current range (the range was narrowed) stays
//! valid for its key: moving it would break clients that know the port.
//!
//! Pure parts: [`range`] (parsing), [`model`] (keys from compose labels), [`select`] (which
//! port), [`gc`] (which leases are stale).
//! Effects: [`store`] (SQLite, one `BEGIN IMMEDIATE` transaction per change), [`probe`], and
//! [`for_model`] (what `renet compose -- up|down` leases and releases).
//!
//! The route server reads leases through [`list`] and the types below.

pub(crate) mod for_model;
pub mod gc;
pub mod model;
pub mod probe;
pub mod range;
pub mod select;
pub mod store;

use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use model::lease_keys;
pub use range::{PortRange, RANGE_VAR, parse_range, range_from_env};
pub use store::{Leased, ReleaseFilter, Store};

pub const DEFAULT_RANGE: RangeInclusive<u16> = 10000..=10010;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub const ALL: [Proto; 2] = [Proto::Tcp, Proto::Udp];

    /// `tcp` or `udp`: the spelling in the database, labels, JSON and Traefik entrypoints.
    pub fn as_str(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    pub fn parse(text: &str) -> Option<Proto> {
        match text {
            "tcp" => Some(Proto::Tcp),
            "udp" => Some(Proto::Udp),
            _ => None,
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a lease is for: the same key always gets the same external port back.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LeaseKey {
    pub network_id: u32,
    pub service: String,
    pub proto: Proto,
    pub container_port: u16,
}

impl LeaseKey {
    #[cfg(test)]
    pub fn new(network_id: u32, service: &str, proto: Proto, container_port: u16) -> Self {
        Self {
            network_id,
            service: service.to_owned(),
            proto,
            container_port,
        }
    }
}

impl fmt::Display for LeaseKey {
    /// `network 2816 service db tcp/5432`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "network {} service {} {}/{}",
            self.network_id, self.service, self.proto, self.container_port
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Lease {
    #[serde(flatten)]
    pub key: LeaseKey,
    pub external_port: u16,
}

impl fmt::Display for Lease {
    /// `network 2816 service db tcp/5432 -> 10003`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.key, self.external_port)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error(
        "{var}={value}: {reason}; expected FIRST-LAST such as 10000-10010 (ports 1-65535, FIRST <= LAST)",
        var = RANGE_VAR
    )]
    BadRange { value: String, reason: String },
    #[error(
        "service {service}: label {label}={value}: {reason}; expected comma-separated ports such as 5432,6379"
    )]
    BadLabel {
        service: String,
        label: String,
        value: String,
        reason: String,
    },
    #[error("{}", exhausted_message(.key, *.range, .holders, .in_use, .db))]
    Exhausted {
        key: LeaseKey,
        range: PortRange,
        /// Every lease of the key's protocol inside the range.
        holders: Vec<Lease>,
        /// Free ports the bind probe found in use by another program.
        in_use: Vec<u16>,
        db: PathBuf,
    },
    #[error(
        "{db} is not a usable port-lease database ({detail}); move it aside (renet creates a new \
         one, and services get new ports at their next `up`) or restore it from a backup"
    )]
    Corrupt { db: PathBuf, detail: String },
    #[error(
        "{db} has schema version {found}, newer than this renet knows ({known}); use the renet \
         that wrote it, or a newer one"
    )]
    TooNew { db: PathBuf, found: i64, known: i64 },
    #[error(
        "{db} stayed locked by another process for {secs} s; retry, or find the process holding \
         it (fuser {db})"
    )]
    Locked { db: PathBuf, secs: u64 },
    #[error(
        "{db} cannot be put in WAL mode (SQLite keeps journal mode {mode:?}), which concurrent \
         renet processes need; keep RENET_STATE_DIR on a local file system"
    )]
    NoWal { db: PathBuf, mode: String },
    #[error(
        "cannot open the port-lease database {db}: {source}; check that the folder exists and is \
         writable (set RENET_STATE_DIR to move it)"
    )]
    Open {
        db: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}; check the permissions, or set RENET_STATE_DIR to move it")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("port-lease database {db}: {source}")]
    Sql {
        db: PathBuf,
        source: rusqlite::Error,
    },
}

fn exhausted_message(
    key: &LeaseKey,
    range: PortRange,
    holders: &[Lease],
    in_use: &[u16],
    db: &Path,
) -> String {
    let mut msg = format!(
        "no free {} port in {range} for {key} ({} leases in {}):",
        key.proto,
        holders.len(),
        db.display()
    );
    for h in holders {
        msg.push_str(&format!("\n  {h}"));
    }
    for p in in_use {
        msg.push_str(&format!(
            "\n  {}/{p} in use by another program (not leased)",
            key.proto
        ));
    }
    msg.push_str(&format!(
        "\nwiden the range with {RANGE_VAR} (now {range}; for example {RANGE_VAR}={}-{}), or free \
         leases with `renet ports release` or `renet ports gc`",
        range.first(),
        range.last().saturating_add(50).max(range.last()),
    ));
    msg
}

/// Path of the lease database under a state dir.
pub fn db_path(state_dir: &Path) -> PathBuf {
    state_dir.join("router/ports.db")
}

/// Read-only listing of every lease, sorted by (proto, external_port). Used by the route server.
/// No database yet means no leases (nothing is created).
pub fn list(state_dir: &Path) -> Result<Vec<Lease>, LeaseError> {
    match Store::open_existing(state_dir)? {
        Some(store) => store.list(None),
        None => Ok(Vec::new()),
    }
}
