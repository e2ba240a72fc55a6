//! Name resolution without churn (SPEC section 3, step 4): every service reaches every other
//! service of the repository by name, as on a compose network, through a hosts file renet keeps
//! per service in `$RENET_STATE_DIR/hosts/<network-id>/<service>` and bind-mounts read-only at
//! `/etc/hosts`.
//!
//! Why a file and not `extra_hosts`: `extra_hosts` is part of the container's configuration, so
//! adding a service changed every other service's configuration and compose recreated them all;
//! and a running container never saw a new name. The mount is the same on every run, so compose
//! sees no change, and renet rewrites the file in place (the same inode: a bind mount follows the
//! inode), so running containers resolve a new service at once.
//!
//! Why one file per service and not one per repository: with a mount at `/etc/hosts` dockerd
//! writes `extra_hosts` only into its own hosts file, which the container no longer sees, so a
//! service's own `extra_hosts` (and its `links:` aliases) must go into a file of its own.
//! `extra_hosts` that renet cannot write (an address still to interpolate, `host-gateway`, which
//! dockerd resolves) keep the service on `extra_hosts` with every sibling listed, as before.
//!
//! This module is pure: what each service resolves and what its file holds. [`store`] writes
//! the files.

pub(crate) mod store;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;

use serde_json::{Map, Value};

use super::paths::{normalize, split_outside};
use super::scalar;
use crate::network::{NetworkId, Slot};

/// Where the file is mounted in every container.
pub(crate) const TARGET: &str = "/etc/hosts";

/// Marks the start of a service's own entries in its file (read back by [`own_entries_in`]).
const OWN_MARK: &str = "# own entries: this service's extra_hosts and links aliases";
/// Marks the start of the machine's entries.
const MACHINE_MARK: &str = "# the machine's /etc/hosts";
/// What dockerd writes into a container's hosts file when it does not copy the machine's.
const DEFAULT_HOSTS: &str = "127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
";

/// One `address name` line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Entry {
    pub(crate) address: String,
    pub(crate) name: String,
}

/// How one service resolves the repository's services by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// renet's file for the service at `/etc/hosts`, holding these own entries too.
    File(Vec<Entry>),
    /// The user mounts something at `/etc/hosts` (shown as written): theirs is kept, and the
    /// repository's services do not resolve in it.
    UserMount(String),
    /// No file (why, for the warning): every service of the repository in `extra_hosts`, as
    /// before, so this service is recreated when a service is added or removed.
    ExtraHosts(String),
}

/// What `svc` (named `name`, a service of the model as loaded) resolves through.
pub(crate) fn resolution(
    name: &str,
    svc: &Map<String, Value>,
    slots: &BTreeMap<String, Slot>,
    network: NetworkId,
) -> Resolution {
    if let Some(mount) = user_mount(svc) {
        return Resolution::UserMount(mount);
    }
    if !is_file_name(name) {
        return Resolution::ExtraHosts(format!("its name {name:?} cannot name a file"));
    }
    match own_entries(svc, slots, network) {
        Ok(own) => Resolution::File(own),
        Err(Unwritable(entry)) => Resolution::ExtraHosts(format!(
            "its extra_hosts entry {entry} is not a host name and an address renet can write \
             (compose or docker resolves it)"
        )),
    }
}

/// A compose service name (`[a-zA-Z0-9._-]+`) that is a plain file name: not `.` or `..`.
pub(crate) fn is_file_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The user's own mount at `/etc/hosts`, if any (short or long syntax, any type).
fn user_mount(svc: &Map<String, Value>) -> Option<String> {
    let volumes = svc.get("volumes")?.as_array()?;
    volumes.iter().find_map(|v| {
        let target = match v {
            Value::String(s) => {
                let parts = split_outside(s, ':');
                parts.get(1).unwrap_or(&parts[0]).to_string()
            }
            Value::Object(m) => m.get("target").map(scalar)?,
            _ => return None,
        };
        (normalize(Path::new(&target)) == Path::new(TARGET)).then(|| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    })
}

/// A name a hosts file line can hold as one word.
fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && !name.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '#' | '$' | ':' | '=' | ',')
        })
}

/// An address as compose reads it (`[::1]` is `::1`), if it is a literal IP address.
fn literal_address(text: &str) -> Option<String> {
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    text.parse::<IpAddr>().ok().map(|a| a.to_string())
}

/// The user's `extra_hosts` as (host, address text) pairs, split as compose splits them: `=`
/// before `:`, several addresses separated by commas; a map's value may be a list.
fn extra_hosts(svc: &Map<String, Value>) -> Vec<(String, String)> {
    match svc.get("extra_hosts") {
        Some(Value::Array(items)) => items
            .iter()
            .flat_map(|item| {
                let s = scalar(item);
                let (host, ips) = s
                    .split_once('=')
                    .or_else(|| s.split_once(':'))
                    .unwrap_or((s.as_str(), ""));
                let host = host.to_owned();
                ips.split(',')
                    .map(move |ip| (host.clone(), ip.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .flat_map(|(host, ips)| {
                let ips: Vec<String> = match ips {
                    Value::Array(list) => list.iter().map(scalar).collect(),
                    Value::Null => vec![String::new()],
                    ip => vec![scalar(ip)],
                };
                ips.into_iter().map(|ip| (host.clone(), ip))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// An `extra_hosts` entry (as `host=address`) a hosts file cannot hold.
#[derive(Debug)]
struct Unwritable(String);

/// The service's own entries: its `extra_hosts`, then the aliases of its `links:`
/// (`db:database` names db's address `database`). A name of the repository's services is left
/// out: the address renet gives is where that service listens.
fn own_entries(
    svc: &Map<String, Value>,
    slots: &BTreeMap<String, Slot>,
    network: NetworkId,
) -> Result<Vec<Entry>, Unwritable> {
    let mut own = Vec::new();
    for (host, ip) in extra_hosts(svc) {
        let address = literal_address(&ip)
            .filter(|_| is_host_name(&host))
            .ok_or_else(|| Unwritable(format!("{host}={ip}")))?;
        own.push(Entry {
            address,
            name: host,
        });
    }
    let links = svc.get("links").and_then(Value::as_array);
    for link in links.into_iter().flatten().map(scalar) {
        let Some((service, alias)) = link.split_once(':') else {
            continue;
        };
        if let Some(slot) = slots.get(service)
            && is_host_name(alias)
        {
            own.push(Entry {
                address: network.slot_addr(*slot).to_string(),
                name: alias.to_owned(),
            });
        }
    }
    own.retain(|e| !slots.contains_key(&e.name));
    let mut seen = std::collections::BTreeSet::new();
    own.retain(|e| seen.insert(e.clone()));
    Ok(own)
}

/// The file of `service`: a header, every service of the repository, the service's own
/// entries, then the machine's `/etc/hosts` (what dockerd would copy into a host-network
/// container) without names of the repository's services, or dockerd's default lines when the
/// machine has none. The repository's services come first: resolvers take the first match.
pub(crate) fn content(
    service: &str,
    network: NetworkId,
    slots: &BTreeMap<String, Slot>,
    own: &[Entry],
    machine: &str,
) -> String {
    let mut text = format!(
        "# /etc/hosts of service {service} of the repository on network {network}, kept by renet:\n\
         # every service of the repository by name. renet rewrites it in place; edits are lost.\n"
    );
    for (name, slot) in slots {
        let _ = writeln!(text, "{}\t{name}", network.slot_addr(*slot));
    }
    text.push_str(OWN_MARK);
    text.push('\n');
    for e in own {
        let _ = writeln!(text, "{}\t{}", e.address, e.name);
    }
    text.push_str(MACHINE_MARK);
    text.push('\n');
    let machine = machine_entries(machine, slots);
    text.push_str(if machine.is_empty() {
        DEFAULT_HOSTS
    } else {
        &machine
    });
    text
}

/// The machine's hosts lines without comments, blank lines and names of the repository's
/// services (a line left with no name is dropped).
fn machine_entries(machine: &str, slots: &BTreeMap<String, Slot>) -> String {
    let mut out = String::new();
    for line in machine.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(address) = words.next() else {
            continue;
        };
        let names: Vec<&str> = words.filter(|n| !slots.contains_key(*n)).collect();
        if !names.is_empty() {
            let _ = writeln!(out, "{address}\t{}", names.join(" "));
        }
    }
    out
}

/// The own entries of a file [`content`] wrote: kept when a run that does not load this
/// service's compose file (another folder of the repository, `slots prune`) rewrites it.
pub(crate) fn own_entries_in(text: &str) -> Vec<Entry> {
    text.lines()
        .skip_while(|l| *l != OWN_MARK)
        .skip(1)
        .take_while(|l| *l != MACHINE_MARK)
        .filter_map(|l| {
            let (address, name) = l.split_once('\t')?;
            Some(Entry {
                address: address.to_owned(),
                name: name.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn slots() -> BTreeMap<String, Slot> {
        BTreeMap::from([
            ("db".to_owned(), Slot::new(1).expect("slot")),
            ("web".to_owned(), Slot::new(0).expect("slot")),
        ])
    }

    fn net() -> NetworkId {
        NetworkId::new(2816).expect("network")
    }

    fn resolve(svc: Value) -> Resolution {
        resolution("web", svc.as_object().expect("a map"), &slots(), net())
    }

    fn entry(address: &str, name: &str) -> Entry {
        Entry {
            address: address.to_owned(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn own_entries_are_extra_hosts_and_link_aliases() {
        let r = resolve(json!({
            "extra_hosts": ["a.local:10.0.0.1", "v6.local:::1", "b.local=[fe80::1],10.0.0.2",
                            "db:1.2.3.4"],
            "links": ["db:database", "db", "missing:gone", "db:database"]
        }));
        assert_eq!(
            r,
            Resolution::File(vec![
                entry("10.0.0.1", "a.local"),
                entry("::1", "v6.local"),
                entry("fe80::1", "b.local"),
                entry("10.0.0.2", "b.local"),
                entry("127.0.11.3", "database"),
            ])
        );
        let map =
            resolve(json!({"extra_hosts": {"m.local": ["10.0.0.1", "10.0.0.2"], "n": "::1"}}));
        assert_eq!(
            map,
            Resolution::File(vec![
                entry("10.0.0.1", "m.local"),
                entry("10.0.0.2", "m.local"),
                entry("::1", "n"),
            ])
        );
    }

    #[test]
    fn what_the_file_cannot_hold_stays_on_extra_hosts() {
        for svc in [
            json!({"extra_hosts": ["gw.local=host-gateway"]}),
            json!({"extra_hosts": ["x:${ADDR}"]}),
            json!({"extra_hosts": {"x": null}}),
            json!({"extra_hosts": ["bad name:10.0.0.1"]}),
        ] {
            assert!(
                matches!(resolve(svc.clone()), Resolution::ExtraHosts(_)),
                "{svc}"
            );
        }
        let dots = resolution("..", &Map::new(), &slots(), net());
        assert!(matches!(dots, Resolution::ExtraHosts(_)), "{dots:?}");
    }

    #[test]
    fn a_user_mount_at_etc_hosts_is_theirs() {
        for (svc, shown) in [
            (
                json!({"volumes": ["./h:/etc/hosts:ro"]}),
                "./h:/etc/hosts:ro",
            ),
            (json!({"volumes": ["/etc//hosts/"]}), "/etc//hosts/"),
            (
                json!({"volumes": [{"type": "bind", "source": "/x", "target": "/etc/hosts"}]}),
                r#"{"type":"bind","source":"/x","target":"/etc/hosts"}"#,
            ),
        ] {
            assert_eq!(resolve(svc), Resolution::UserMount(shown.to_owned()));
        }
        let other = resolve(json!({"volumes": ["/etc/hosts.d:/h", "${H:-/etc/hosts}:/x"]}));
        assert_eq!(other, Resolution::File(Vec::new()));
    }

    #[test]
    fn content_lists_every_service_then_own_then_the_machine() {
        let own = vec![entry("10.0.0.1", "a.local")];
        let machine =
            "# comment\n127.0.0.1 localhost\n\n127.0.1.1 box db # db is ours\n10.9.9.9 web\n";
        let text = content("web", net(), &slots(), &own, machine);
        assert_eq!(
            text,
            "# /etc/hosts of service web of the repository on network 2816, kept by renet:\n\
             # every service of the repository by name. renet rewrites it in place; edits are lost.\n\
             127.0.11.3\tdb\n\
             127.0.11.2\tweb\n\
             # own entries: this service's extra_hosts and links aliases\n\
             10.0.0.1\ta.local\n\
             # the machine's /etc/hosts\n\
             127.0.0.1\tlocalhost\n\
             127.0.1.1\tbox\n"
        );
        assert_eq!(own_entries_in(&text), own);
        // No machine entries: dockerd's defaults.
        let bare = content("web", net(), &slots(), &[], "");
        assert!(bare.ends_with(DEFAULT_HOSTS), "{bare}");
        assert_eq!(own_entries_in(&bare), []);
        assert_eq!(own_entries_in("not ours"), []);
    }
}
