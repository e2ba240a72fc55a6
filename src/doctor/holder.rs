//! Who holds a port, named the way Docker Desktop's vpnkit names it ("port is already
//! allocated by pid 1234 (postgres)"), plus what renet knows on top: the container and the
//! repository when the process is one of a repository daemon's containers, and the fix.

use crate::host::daemons::{self, Probe};
use crate::host::listeners::{Owner, Socket};

/// A repository container, as its daemon's labels name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoContainer {
    pub(crate) network: u32,
    pub(crate) name: String,
    pub(crate) service: String,
    pub(crate) repo: String,
    pub(crate) service_ip: String,
}

/// The container `owner` runs in, when a repository daemon runs it.
pub(crate) fn repo_container(owner: &Owner, probes: &[Probe]) -> Option<RepoContainer> {
    let id = owner.container_id.as_deref()?;
    let (probe, c) = daemons::find(probes, id)?;
    let label = |k: &str| c.labels.get(k).cloned().unwrap_or_default();
    Some(RepoContainer {
        network: probe.network.get(),
        name: c.name.clone(),
        service: label(daemons::SERVICE_LABEL),
        repo: label("rediacc.repo_name"),
        service_ip: label("rediacc.service_ip"),
    })
}

/// `0.0.0.0:5432 (tcp) is held by pid 812 (postgres -D /var/lib/postgresql/15/main), systemd
/// unit postgresql@15-main.service`.
pub(crate) fn describe(socket: &Socket, owner: Option<&Owner>, probes: &[Probe]) -> String {
    let at = format!("{} ({})", socket.endpoint(), socket.proto.as_str());
    let Some(o) = owner else {
        return format!(
            "{at} is held by a process renet cannot see (run as root to see every process's sockets)"
        );
    };
    let mut text = format!("{at} is held by pid {} ({})", o.pid, o.command);
    if let Some(c) = repo_container(o, probes) {
        text.push_str(&format!(
            ", container {} of repository {} (network {}, service {})",
            c.name, c.repo, c.network, c.service
        ));
    } else if let Some(id) = &o.container_id {
        text.push_str(&format!(
            ", container {} (not of a repository daemon: the machine's own Docker?)",
            short(id)
        ));
    } else if let Some(unit) = &o.unit {
        text.push_str(&format!(", systemd unit {unit}"));
    }
    text
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// What to do about the holder of `socket`: stop it, or make it listen on one address.
pub(crate) fn fix(socket: &Socket, owner: Option<&Owner>, probes: &[Probe]) -> String {
    let one_address = format!(
        "make it listen on one address (127.0.0.1:{p} or the machine's public address) instead of {}",
        socket.endpoint(),
        p = socket.port
    );
    let Some(o) = owner else {
        return format!(
            "find it with `ss -lntup 'sport = :{}'` as root, then stop it or {one_address}",
            socket.port
        );
    };
    if let Some(c) = repo_container(o, probes) {
        return format!(
            "make service {} of repository {} listen on its own address ($SERVICE_IP, {}) instead of every address, \
             or stop it: renet docker --network-id {} -- stop {}",
            c.service, c.repo, c.service_ip, c.network, c.name
        );
    }
    if let Some(id) = &o.container_id {
        return format!(
            "docker stop {}, or publish it on one address only ({one_address})",
            short(id)
        );
    }
    if let Some(unit) = &o.unit {
        return format!("systemctl disable --now {unit}, or {one_address}");
    }
    format!("kill {}, or {one_address}", o.pid)
}
