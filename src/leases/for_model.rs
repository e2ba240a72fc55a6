//! The leasing done by `renet compose -- up|start|down` (SPEC section 6): before `up`/`start`,
//! a port for every `rediacc.tcp_ports`/`rediacc.udp_ports` entry of the rewritten model, all
//! or nothing; after a successful `down`, the leases of the services it took down. Each change
//! is printed on stderr as `<service> <proto> <port> -> <external>`.

use std::ffi::OsString;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Lease, LeaseError, LeaseKey, ReleaseFilter, Store, range_from_env};
use crate::network::NetworkId;
use crate::output::Printer;

/// `<service> <proto> <port> -> <external>`, the line compose prints on stderr.
fn mapping(l: &Lease) -> String {
    format!(
        "{} {} {} -> {}",
        l.key.service, l.key.proto, l.key.container_port, l.external_port
    )
}

/// Lease `keys` (from [`super::lease_keys`]) in the range `range` (the `RENET_PORT_RANGE`
/// value, read only when there is something to lease), all or nothing, and print the mapping.
/// A dry run leases nothing and shows what is already leased.
pub(crate) fn lease(
    out: &Printer,
    state_dir: &Path,
    range: Option<&str>,
    keys: &[LeaseKey],
    dry_run: bool,
) -> Result<(), LeaseError> {
    if keys.is_empty() {
        return Ok(());
    }
    let range = range_from_env(range)?;
    if dry_run {
        let store = Store::open_existing(state_dir)?;
        for key in keys {
            let held = match &store {
                Some(s) => s.get(key)?,
                None => None,
            };
            out.note(&match held {
                Some(l) => format!("{} (leased)", mapping(&l)),
                None => format!(
                    "{} {} {} -> (leased from {range} at up)",
                    key.service, key.proto, key.container_port
                ),
            });
        }
        return Ok(());
    }
    let mut store = Store::open(state_dir)?;
    for l in store.lease(keys, range, |_, _| true)? {
        out.note(&mapping(&l.lease));
    }
    Ok(())
}

/// The services a `down` names (`down [OPTIONS] [SERVICE...]`, `rest` starting with `down`),
/// or every service of the model.
pub(crate) fn down_services(rest: &[OsString], model: &Map<String, Value>) -> Vec<String> {
    let all: Vec<String> = crate::compose::services(model)
        .map(|(n, _)| n.clone())
        .collect();
    let mut named = Vec::new();
    let mut args = rest.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(a) = args.next() {
        if matches!(a, "--rmi" | "-t" | "--timeout") {
            args.next();
        } else if !a.starts_with('-') && all.iter().any(|n| n == a) {
            named.push(a.to_owned());
        }
    }
    if named.is_empty() { all } else { named }
}

/// After a successful `down`: release the leases of `services` (see [`down_services`]) on this
/// network, and print what was released.
pub(crate) fn release(
    out: &Printer,
    state_dir: &Path,
    id: NetworkId,
    services: &[String],
) -> Result<(), LeaseError> {
    let Some(mut store) = Store::open_existing(state_dir)? else {
        return Ok(());
    };
    let filters: Vec<ReleaseFilter> = services
        .iter()
        .map(|service| ReleaseFilter {
            network_id: id.get(),
            service: Some(service.clone()),
            ..ReleaseFilter::default()
        })
        .collect();
    for l in store.release(&filters)? {
        out.note(&format!("released {}", mapping(&l)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn down_releases_named_services_or_all() {
        let model = json!({"services": {"db": {}, "web": {}, "cache": {}}});
        let model = model.as_object().unwrap();
        let argv = |s: &[&str]| s.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            down_services(&argv(&["down", "-v"]), model),
            ["db", "web", "cache"]
        );
        assert_eq!(
            down_services(&argv(&["down", "--rmi", "all", "-t", "5", "web"]), model),
            ["web"]
        );
        // An option value that happens to be a service name is not a service.
        assert_eq!(
            down_services(&argv(&["down", "--timeout", "db"]), model),
            ["db", "web", "cache"]
        );
    }
}
