//! `renet ports lease|release|list|gc`, and the leasing done by `renet compose -- up|down`.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Map, Value};

use super::Ctx;
use crate::cli::{PortsArgs, PortsCommand, ProtoArg};
use crate::docker::Bollard;
use crate::error::{Error, Result};
use crate::leases::gc::{self, Stale};
use crate::leases::{self, Lease, LeaseKey, Leased, PortRange, Proto, ReleaseFilter, Store};
use crate::network::NetworkId;
use crate::{output, settings};

impl From<ProtoArg> for Proto {
    fn from(p: ProtoArg) -> Self {
        match p {
            ProtoArg::Tcp => Proto::Tcp,
            ProtoArg::Udp => Proto::Udp,
        }
    }
}

fn range(ctx: &Ctx<'_>) -> Result<PortRange> {
    Ok(leases::range_from_env(
        ctx.env.var(leases::RANGE_VAR).as_deref(),
    )?)
}

#[derive(Serialize)]
struct ReleaseReport {
    db: PathBuf,
    released: Vec<Lease>,
}

#[derive(Serialize)]
struct ListReport {
    db: PathBuf,
    range: String,
    leases: Vec<Lease>,
}

#[derive(Serialize)]
struct GcReport {
    db: PathBuf,
    dry_run: bool,
    freed: Vec<Stale>,
    kept: Vec<Lease>,
}

fn print_table(leases: &[Lease], range: PortRange) {
    let w = leases
        .iter()
        .map(|l| l.key.service.len())
        .max()
        .unwrap_or(7)
        .max(7);
    output::data(&format!(
        "{:<8}  {:<w$}  PROTO  {:>5}  EXTERNAL",
        "NETWORK", "SERVICE", "PORT"
    ));
    for l in leases {
        let outside = if range.contains(l.external_port) {
            ""
        } else {
            "  (outside the range)"
        };
        output::data(&format!(
            "{:<8}  {:<w$}  {:<5}  {:>5}  {}{outside}",
            l.key.network_id, l.key.service, l.key.proto, l.key.container_port, l.external_port
        ));
    }
}

pub fn run(ctx: &Ctx<'_>, args: PortsArgs) -> Result<u8> {
    let state_dir = ctx.state_dir.clone();
    let db = leases::db_path(&state_dir);
    match args.command {
        PortsCommand::Lease {
            network,
            service,
            port,
            proto,
            probe,
        } => {
            let id = settings::network_id(network.network_id, ctx.env)?;
            if service.trim().is_empty() {
                return Err(Error::Usage(
                    "--service must name a service (e.g. --service db)".to_owned(),
                ));
            }
            let range = range(ctx)?;
            let key = LeaseKey {
                network_id: id.get(),
                service,
                proto: proto.into(),
                container_port: port,
            };
            let mut store = Store::open(&state_dir)?;
            let got = store
                .lease(&[key], range, |proto, port| {
                    !probe || leases::probe::bindable(proto, port)
                })?
                .remove(0);
            report_skipped(&got);
            if ctx.json {
                output::json(&got);
            } else {
                output::data(&got.lease.external_port.to_string());
                output::note(&format!(
                    "{} ({})",
                    got.lease,
                    if got.new {
                        "new lease"
                    } else {
                        "already leased"
                    }
                ));
            }
        }
        PortsCommand::Release {
            network,
            service,
            port,
            proto,
        } => {
            let id = settings::network_id(network.network_id, ctx.env)?;
            let filter = ReleaseFilter {
                network_id: id.get(),
                service,
                proto: proto.map(Proto::from),
                container_port: port,
            };
            let released = match Store::open_existing(&state_dir)? {
                Some(mut store) => store.release(&[filter])?,
                None => Vec::new(),
            };
            if ctx.json {
                output::json(&ReleaseReport { db, released });
            } else if released.is_empty() {
                output::note(&format!("no lease matched on network {id}"));
            } else {
                for l in &released {
                    output::data(&l.to_string());
                }
                output::note(&format!("released {} lease(s)", released.len()));
            }
        }
        PortsCommand::List { network_id } => {
            let id = network_id.map(NetworkId::get);
            let range = range(ctx)?;
            let leases = match Store::open_existing(&state_dir)? {
                Some(store) => store.list(id)?,
                None => Vec::new(),
            };
            if ctx.json {
                output::json(&ListReport {
                    db,
                    range: range.to_string(),
                    leases,
                });
            } else if leases.is_empty() {
                output::note(&format!("no leases in {}", db.display()));
            } else {
                print_table(&leases, range);
            }
        }
        PortsCommand::Gc { dry_run } => {
            let Some(mut store) = Store::open_existing(&state_dir)? else {
                if ctx.json {
                    output::json(&GcReport {
                        db,
                        dry_run,
                        freed: Vec::new(),
                        kept: Vec::new(),
                    });
                } else {
                    output::note(&format!("no leases in {}", db.display()));
                }
                return Ok(0);
            };
            let all = store.list(None)?;
            let networks: BTreeSet<u32> = all.iter().map(|l| l.key.network_id).collect();
            let daemons = gc::inspect_daemons(&Bollard, &ctx.run_dir, &networks);
            let mut freed = gc::stale(&all, &daemons);
            if !dry_run {
                let gone =
                    store.remove(&freed.iter().map(|s| s.lease.clone()).collect::<Vec<_>>())?;
                freed.retain(|s| gone.contains(&s.lease));
            }
            let kept: Vec<Lease> = all
                .into_iter()
                .filter(|l| !freed.iter().any(|s| s.lease == *l))
                .collect();
            if ctx.json {
                output::json(&GcReport {
                    db,
                    dry_run,
                    freed,
                    kept,
                });
            } else {
                for s in &freed {
                    output::data(&format!("{} ({})", s.lease, s.reason));
                }
                let verb = if dry_run { "would free" } else { "freed" };
                output::note(&format!(
                    "{verb} {} lease(s), kept {}",
                    freed.len(),
                    kept.len()
                ));
            }
        }
    }
    Ok(0)
}

fn report_skipped(l: &Leased) {
    if !l.skipped_in_use.is_empty() {
        let ports: Vec<String> = l.skipped_in_use.iter().map(u16::to_string).collect();
        output::warn(&format!(
            "skipped {} {}: in use by another program",
            l.lease.key.proto,
            ports.join(", ")
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// renet compose -- up | start | down
// ---------------------------------------------------------------------------------------------

/// `<service> <proto> <port> -> <external>`, the line compose prints on stderr.
fn mapping(l: &Lease) -> String {
    format!(
        "{} {} {} -> {}",
        l.key.service, l.key.proto, l.key.container_port, l.external_port
    )
}

/// Before `up`/`start`: lease a port for every `rediacc.tcp_ports`/`rediacc.udp_ports` entry
/// of the rewritten model, all or nothing, and print the mapping on stderr. A dry run leases
/// nothing and shows what is already leased.
pub(super) fn lease_for_model(
    ctx: &Ctx<'_>,
    id: NetworkId,
    model: &Map<String, Value>,
    dry_run: bool,
) -> Result<()> {
    let keys = leases::lease_keys(model, id.get())?;
    if keys.is_empty() {
        return Ok(());
    }
    let range = range(ctx)?;
    let state_dir = ctx.state_dir.clone();
    if dry_run {
        let store = Store::open_existing(&state_dir)?;
        for key in &keys {
            let held = match &store {
                Some(s) => s.get(key)?,
                None => None,
            };
            output::note(&match held {
                Some(l) => format!("{} (leased)", mapping(&l)),
                None => format!(
                    "{} {} {} -> (leased from {range} at up)",
                    key.service, key.proto, key.container_port
                ),
            });
        }
        return Ok(());
    }
    let mut store = Store::open(&state_dir)?;
    for l in store.lease(&keys, range, |_, _| true)? {
        output::note(&mapping(&l.lease));
    }
    Ok(())
}

/// The services a `down` names (`down [OPTIONS] [SERVICE...]`), or every service of the model.
pub(super) fn down_services(rest: &[OsString], model: &Map<String, Value>) -> Vec<String> {
    let all: Vec<String> = crate::rewrite::services(model)
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
pub(super) fn release_services(ctx: &Ctx<'_>, id: NetworkId, services: &[String]) -> Result<()> {
    let Some(mut store) = Store::open_existing(&ctx.state_dir)? else {
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
        output::note(&format!("released {}", mapping(&l)));
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
