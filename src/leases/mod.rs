//! Machine-wide external TCP/UDP port leases (SPEC section 6), kept in SQLite at
//! `$RENET_STATE_DIR/router/ports.db`. (Being implemented.)

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub const DEFAULT_RANGE: RangeInclusive<u16> = 10000..=10010;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct LeaseKey {
    pub network_id: u32,
    pub service: String,
    pub proto: Proto,
    pub container_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Lease {
    #[serde(flatten)]
    pub key: LeaseKey,
    pub external_port: u16,
}

pub fn db_path(state_dir: &Path) -> PathBuf {
    state_dir.join("router/ports.db")
}
