//! The route server (SPEC section 7): Traefik dynamic configuration built from the labels of
//! every repository daemon's running containers and from the port leases, served over HTTP
//! for Traefik's HTTP provider; plus the watchdog that applies saved restart policies, and
//! Traefik's static configuration (`renet proxy`).
//!
//! Pure: `build` (the builder), `validate`, `config` (the schema), `yaml` (the emitter),
//! `watchdog` (the decision and the plan), `documents` (`/health`, `/ports` and the serialised
//! configuration), `labels` (the packed label set), `proxy` (static configuration and units).
//! Effects: `runtime` (the refresh loop: daemons through `crate::docker`, leases, the
//! watchdog's restarts), `builder` (the build thread), `socket_watch` (inotify on the run
//! folder: new daemon sockets), `state` (what the loop, the event followers and the handlers
//! share) and `server` (axum).

pub mod build;
mod builder;
pub mod config;
mod descriptors;
pub mod documents;
pub mod labels;
pub(crate) mod listener;
mod policies;
pub mod proxy;
pub mod runtime;
pub mod server;
mod socket_watch;
pub mod state;
pub mod validate;
pub mod watchdog;
pub mod yaml;

#[cfg(test)]
mod tests;

pub use proxy::parse_duration;

/// The dynamic configuration as compact JSON with a trailing newline (`/routes.json`). Compact:
/// with 20,000 containers the pretty form is half whitespace, held in memory for every snapshot.
pub fn config_json(c: &config::DynamicConfig) -> Vec<u8> {
    let mut v = serde_json::to_vec(c).expect("the configuration always serializes");
    v.push(b'\n');
    // Kept for the life of a snapshot: give back the growth slack (up to half of it).
    v.shrink_to_fit();
    v
}

/// The dynamic configuration as YAML (`/config`).
pub fn config_yaml(c: &config::DynamicConfig) -> Vec<u8> {
    let mut v = yaml::to_yaml(c).into_bytes();
    v.shrink_to_fit();
    v
}
