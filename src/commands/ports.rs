//! `renet ports lease|release|list|gc`. The leasing done by `renet compose -- up|down` lives in
//! `leases::for_model`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

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
