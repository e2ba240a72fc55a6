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
use crate::output::Printer;
use crate::{settings, table};

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

fn print_table(out: &Printer, leases: &[Lease], range: PortRange) {
    let names: Vec<String> = leases.iter().map(|l| table::cell(&l.key.service)).collect();
    let w = table::column("SERVICE", names.iter().map(String::as_str));
    out.data(&format!(
        "{:<8}  {}  PROTO  {:>5}  EXTERNAL",
        "NETWORK",
        table::left("SERVICE", w),
        "PORT"
    ));
    for (l, name) in leases.iter().zip(&names) {
        let outside = if range.contains(l.external_port) {
            ""
        } else {
            "  (outside the range)"
        };
        out.data(&format!(
            "{:<8}  {}  {:<5}  {:>5}  {}{outside}",
            l.key.network_id,
            table::left(name, w),
            l.key.proto,
            l.key.container_port,
            l.external_port
        ));
    }
}

pub fn run(ctx: &Ctx<'_>, args: PortsArgs) -> Result<u8> {
    match args.command {
        PortsCommand::Lease {
            network,
            service,
            port,
            proto,
            probe,
        } => {
            let id = settings::network_id(network.network_id, ctx.env)?;
            let key = LeaseKey {
                network_id: id.get(),
                service,
                proto: proto.into(),
                container_port: port,
            };
            lease(ctx, key, probe)
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
            release(ctx, id, filter)
        }
        PortsCommand::List { network_id } => list(ctx, network_id),
        PortsCommand::Gc { dry_run } => gc(ctx, dry_run),
    }
}

fn lease(ctx: &Ctx<'_>, key: LeaseKey, probe: bool) -> Result<u8> {
    if key.service.trim().is_empty() {
        return Err(Error::Usage(
            "--service must name a service (e.g. --service db)".to_owned(),
        ));
    }
    let range = range(ctx)?;
    let mut store = Store::open(&ctx.state_dir)?;
    let got = store
        .lease(&[key], range, |proto, port| {
            !probe || leases::probe::bindable(proto, port)
        })?
        .remove(0);
    report_skipped(ctx.out, &got);
    if ctx.json {
        ctx.out.json(&got);
    } else {
        ctx.out.data(&got.lease.external_port.to_string());
        let how = if got.new {
            "new lease"
        } else {
            "already leased"
        };
        ctx.out.note(&format!("{} ({how})", got.lease));
    }
    Ok(0)
}

fn release(ctx: &Ctx<'_>, id: NetworkId, filter: ReleaseFilter) -> Result<u8> {
    let released = match Store::open_existing(&ctx.state_dir)? {
        Some(mut store) => store.release(&[filter])?,
        None => Vec::new(),
    };
    let out = ctx.out;
    if ctx.json {
        let db = leases::db_path(&ctx.state_dir);
        out.json(&ReleaseReport { db, released });
    } else if released.is_empty() {
        out.note(&format!("no lease matched on network {id}"));
    } else {
        for l in &released {
            out.data(&l.to_string());
        }
        out.note(&format!("released {} lease(s)", released.len()));
    }
    Ok(0)
}

fn list(ctx: &Ctx<'_>, network_id: Option<NetworkId>) -> Result<u8> {
    let db = leases::db_path(&ctx.state_dir);
    let range = range(ctx)?;
    let leases = match Store::open_existing(&ctx.state_dir)? {
        Some(store) => store.list(network_id.map(NetworkId::get))?,
        None => Vec::new(),
    };
    if ctx.json {
        ctx.out.json(&ListReport {
            db,
            range: range.to_string(),
            leases,
        });
    } else if leases.is_empty() {
        ctx.out.note(&format!("no leases in {}", db.display()));
    } else {
        print_table(ctx.out, &leases, range);
    }
    Ok(0)
}

fn gc(ctx: &Ctx<'_>, dry_run: bool) -> Result<u8> {
    let db = leases::db_path(&ctx.state_dir);
    let Some(mut store) = Store::open_existing(&ctx.state_dir)? else {
        if ctx.json {
            ctx.out.json(&GcReport {
                db,
                dry_run,
                freed: Vec::new(),
                kept: Vec::new(),
            });
        } else {
            ctx.out.note(&format!("no leases in {}", db.display()));
        }
        return Ok(0);
    };
    let all = store.list(None)?;
    let networks: BTreeSet<u32> = all.iter().map(|l| l.key.network_id).collect();
    let daemons = gc::inspect_daemons(&Bollard, &ctx.run_dir, &networks);
    let mut freed = gc::stale(&all, &daemons);
    if !dry_run {
        let gone = store.remove(&freed.iter().map(|s| s.lease.clone()).collect::<Vec<_>>())?;
        freed.retain(|s| gone.contains(&s.lease));
    }
    let kept: Vec<Lease> = all
        .into_iter()
        .filter(|l| !freed.iter().any(|s| s.lease == *l))
        .collect();
    if ctx.json {
        ctx.out.json(&GcReport {
            db,
            dry_run,
            freed,
            kept,
        });
    } else {
        for s in &freed {
            ctx.out.data(&format!("{} ({})", s.lease, s.reason));
        }
        let verb = if dry_run { "would free" } else { "freed" };
        let (f, k) = (freed.len(), kept.len());
        ctx.out.note(&format!("{verb} {f} lease(s), kept {k}"));
    }
    Ok(0)
}

fn report_skipped(out: &Printer, l: &Leased) {
    if !l.skipped_in_use.is_empty() {
        let ports: Vec<String> = l.skipped_in_use.iter().map(u16::to_string).collect();
        out.warn(&format!(
            "skipped {} {}: in use by another program",
            l.lease.key.proto,
            ports.join(", ")
        ));
    }
}
