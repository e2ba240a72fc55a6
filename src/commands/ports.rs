//! `renet ports lease|release|list|gc`. The leasing done by `renet compose -- up|down` lives in
//! `leases::for_model`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Ctx;
use crate::cli::{PortsArgs, PortsCommand, ProtoArg};
use crate::error::{Error, Result};
use crate::leases::gc::{self, DaemonState, Stale};
use crate::leases::{self, Lease, LeaseKey, Leased, PortRange, Proto, ReleaseFilter, Store};
use crate::network::NetworkId;
use crate::{context, output};

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
    let state_dir = context::state_dir(ctx.env);
    let db = leases::db_path(&state_dir);
    match args.command {
        PortsCommand::Lease {
            network,
            service,
            port,
            proto,
            probe,
            json,
        } => {
            let id = context::network_id(network.network_id.as_deref(), ctx.env)?;
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
            if json {
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
            json,
        } => {
            let id = context::network_id(network.network_id.as_deref(), ctx.env)?;
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
            if json {
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
        PortsCommand::List { network_id, json } => {
            let id = network_id
                .as_deref()
                .map(NetworkId::parse)
                .transpose()?
                .map(NetworkId::get);
            let range = range(ctx)?;
            let leases = match Store::open_existing(&state_dir)? {
                Some(store) => store.list(id)?,
                None => Vec::new(),
            };
            if json {
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
        PortsCommand::Gc { dry_run, json } => {
            let Some(mut store) = Store::open_existing(&state_dir)? else {
                if json {
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
            let daemons = inspect_daemons(&context::run_dir(ctx.env), &networks);
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
            if json {
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
// gc: ask each network's daemon which services still have containers
// ---------------------------------------------------------------------------------------------

fn inspect_daemons(run_dir: &Path, networks: &BTreeSet<u32>) -> BTreeMap<u32, DaemonState> {
    if networks.is_empty() {
        return BTreeMap::new();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime always builds");
    networks
        .iter()
        .map(|&n| {
            let socket = run_dir.join(format!("docker-{n}.sock"));
            let state = if socket.exists() {
                match rt.block_on(services_on(&socket, n)) {
                    Ok(names) => DaemonState::Services(names),
                    Err(e) => DaemonState::Unreachable(format!(
                        "the daemon for network {n} does not answer on {}: {e}",
                        socket.display()
                    )),
                }
            } else {
                DaemonState::Unreachable(format!(
                    "the daemon for network {n} is gone (no socket at {})",
                    socket.display()
                ))
            };
            (n, state)
        })
        .collect()
}

/// The `rediacc.service_name` of every container, running or not, labelled
/// `rediacc.network_id=<network>` on the daemon behind `socket`.
async fn services_on(
    socket: &Path,
    network: u32,
) -> std::result::Result<BTreeSet<String>, bollard::errors::Error> {
    use bollard::query_parameters::ListContainersOptionsBuilder;
    let docker = bollard::Docker::connect_with_unix(
        &socket.to_string_lossy(),
        10,
        bollard::API_DEFAULT_VERSION,
    )?;
    // These daemons may speak an older API: always negotiate down.
    let docker = docker.negotiate_version().await?;
    let filters = HashMap::from([(
        "label".to_owned(),
        vec![format!("rediacc.network_id={network}")],
    )]);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let containers = docker.list_containers(Some(opts)).await?;
    Ok(containers
        .into_iter()
        .filter_map(|c| c.labels?.remove("rediacc.service_name"))
        .collect())
}
