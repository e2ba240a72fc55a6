//! The top-level error: one variant per subsystem, each with an exit code and a hint.

use std::path::PathBuf;

use serde::Serialize;

use crate::compose::LoadError;
use crate::daemon::DaemonError;
use crate::leases::LeaseError;
use crate::machine::MachineError;
use crate::network::{NetworkIdError, SlotError};
use crate::slotmap::SlotMapError;

/// Exit statuses. Documented in `renet --help` and README.
pub mod code {
    /// The operation failed (daemon did not start, I/O error, compose missing).
    pub const FAILED: u8 = 1;
    /// Bad command line: flags, network ID, slot.
    pub const USAGE: u8 = 2;
    /// Bad input files: compose YAML, `.rediacc.json`, too many services.
    pub const INVALID_INPUT: u8 = 3;
    /// Refused: dangerous compose settings without `--unsafe`, another identity than
    /// `.rediacc.json` keeps, a daemon started for another repository.
    pub const REFUSED: u8 = 4;
    /// The repository's daemon is not running.
    pub const DAEMON_DOWN: u8 = 5;
    /// No free port in the lease range (`RENET_PORT_RANGE`).
    pub const NO_FREE_PORT: u8 = 6;
    /// `renet compose -- up` refused: a port a service will listen on is taken (preflight).
    pub const PORT_TAKEN: u8 = 7;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    NetworkId(#[from] NetworkIdError),
    #[error(
        "no network ID: pass --network-id N, or set REDIACC_NETWORK_ID (or the legacy REPOSITORY_NETWORK_ID)"
    )]
    NoNetworkId,
    #[error("{0}")]
    Slot(#[from] SlotError),
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    SlotMap(#[from] SlotMapError),
    #[error(transparent)]
    Compose(#[from] LoadError),
    #[error("{0}")]
    ComposeInput(String),
    #[error(
        "refusing to run: dangerous settings found (pass --unsafe to allow them):\n  {}",
        findings.join("\n  ")
    )]
    Dangerous { findings: Vec<String> },
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    #[error(transparent)]
    Lease(#[from] LeaseError),
    #[error(
        "no Docker Compose found: neither the `docker compose` plugin nor `docker-compose` is on PATH; \
         install one (Debian: apt-get install docker-compose)"
    )]
    ComposeMissing,
    #[error(transparent)]
    ComposeVersion(#[from] crate::compose::bin::VersionError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Machine(#[from] MachineError),
    #[error(transparent)]
    PortTaken(#[from] crate::doctor::preflight::PreflightError),
    #[error(transparent)]
    IoPlain(#[from] std::io::Error),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NetworkId(_) | Error::NoNetworkId | Error::Slot(_) | Error::Usage(_) => {
                code::USAGE
            }
            Error::SlotMap(SlotMapError::Io(_)) => code::FAILED,
            Error::SlotMap(SlotMapError::Identity(_)) => code::REFUSED,
            Error::SlotMap(_) | Error::Compose(_) | Error::ComposeInput(_) => code::INVALID_INPUT,
            Error::Dangerous { .. } => code::REFUSED,
            Error::PortTaken(_) => code::PORT_TAKEN,
            Error::Lease(e) => match e {
                LeaseError::Exhausted { .. } => code::NO_FREE_PORT,
                LeaseError::BadRange { .. } => code::USAGE,
                LeaseError::BadLabel { .. } | LeaseError::Corrupt { .. } => code::INVALID_INPUT,
                LeaseError::TooNew { .. }
                | LeaseError::Locked { .. }
                | LeaseError::NoWal { .. }
                | LeaseError::Open { .. }
                | LeaseError::Io { .. }
                | LeaseError::Sql { .. } => code::FAILED,
            },
            Error::Daemon(DaemonError::NotRunning { .. }) => code::DAEMON_DOWN,
            // A daemon serving another repository: the identity refusal's code and kind.
            Error::Daemon(DaemonError::OtherRepository { .. }) => code::REFUSED,
            Error::Machine(MachineError::BadValue { .. }) => code::USAGE,
            Error::Machine(MachineError::Corrupt { .. }) => code::INVALID_INPUT,
            Error::Machine(MachineError::Io(_)) => code::FAILED,
            Error::Daemon(_)
            | Error::ComposeMissing
            | Error::ComposeVersion(_)
            | Error::Io { .. }
            | Error::IoPlain(_) => code::FAILED,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Error::NetworkId(_) | Error::NoNetworkId => "network_id",
            Error::Slot(_) => "slot",
            Error::Usage(_) => "usage",
            Error::SlotMap(SlotMapError::Identity(_))
            | Error::Daemon(DaemonError::OtherRepository { .. }) => "identity",
            Error::SlotMap(_) => "slot_map",
            Error::Compose(_) | Error::ComposeInput(_) => "compose_file",
            Error::Dangerous { .. } => "dangerous_settings",
            Error::PortTaken(_) => "port_taken",
            Error::Daemon(DaemonError::NotRunning { .. }) => "daemon_not_running",
            Error::Daemon(_) => "daemon",
            Error::Lease(LeaseError::Exhausted { .. }) => "no_free_port",
            Error::Lease(LeaseError::BadRange { .. }) => "port_range",
            Error::Lease(LeaseError::BadLabel { .. }) => "port_label",
            Error::Lease(_) => "port_leases",
            Error::ComposeMissing => "compose_missing",
            Error::ComposeVersion(_) => "compose_version",
            Error::Machine(MachineError::BadValue { .. }) => "usage",
            Error::Machine(_) => "machine_settings",
            Error::Io { .. } | Error::IoPlain(_) => "io",
        }
    }

    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

#[derive(Serialize)]
pub struct ErrorReport<'a> {
    pub error: ErrorBody<'a>,
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub kind: &'a str,
    pub message: String,
    pub exit_code: u8,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<String>,
}

impl<'a> ErrorReport<'a> {
    pub fn new(e: &'a Error) -> Self {
        let findings = match e {
            Error::Dangerous { findings } => findings.clone(),
            Error::PortTaken(e) => e.findings(),
            Error::Lease(LeaseError::Exhausted { holders, .. }) => {
                holders.iter().map(ToString::to_string).collect()
            }
            _ => Vec::new(),
        };
        Self {
            error: ErrorBody {
                kind: e.kind(),
                message: e.to_string(),
                exit_code: e.exit_code(),
                findings,
            },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
