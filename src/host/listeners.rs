//! The kernel's listening sockets (`/proc/net/{tcp,tcp6,udp,udp6}` of the network namespace
//! the reader runs in) and the processes that hold them (`/proc/<pid>/fd` links
//! `socket:[inode]`), as `renet doctor` and the preflight of `renet compose -- up` see them.
//!
//! Parsing is pure ([`parse`]); [`read_sockets`] and [`owners`] read `/proc`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::Serialize;

use crate::leases::Proto;

/// TCP's `LISTEN` state in `/proc/net/tcp*`.
const TCP_LISTEN: &str = "0A";
/// An unconnected UDP socket (`TCP_CLOSE` in the kernel's table): one that receives datagrams
/// from anyone, the UDP counterpart of a listener.
const UDP_UNCONNECTED: &str = "07";

/// One listening socket: its protocol, local address and port, and the inode that names it
/// in `/proc/<pid>/fd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Socket {
    pub(crate) proto: Proto,
    pub(crate) addr: IpAddr,
    pub(crate) port: u16,
    pub(crate) inode: u64,
}

impl Socket {
    /// `0.0.0.0` or `::`: it takes the port on every address of the machine.
    pub(crate) fn is_wildcard(&self) -> bool {
        self.addr.is_unspecified()
    }

    /// The address as a person writes it: `0.0.0.0:5432`, `[::]:5432`.
    pub(crate) fn endpoint(&self) -> String {
        match self.addr {
            IpAddr::V4(a) => format!("{a}:{}", self.port),
            IpAddr::V6(a) => format!("[{a}]:{}", self.port),
        }
    }

    /// Whether binding `addr:port` (same protocol) would fail because of this socket: it holds
    /// that very address, or every address. An IPv4-mapped IPv6 address is the IPv4 one.
    pub(crate) fn blocks(&self, proto: Proto, addr: IpAddr, port: u16) -> bool {
        let canon = |a: IpAddr| match a {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
            v4 => v4,
        };
        self.proto == proto
            && self.port == port
            && (self.is_wildcard() || canon(self.addr) == canon(addr))
    }
}

/// Who holds a socket: the process, its command line, and what `/proc/<pid>/cgroup` says it
/// belongs to (a Docker container, a systemd unit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Owner {
    pub(crate) pid: u32,
    pub(crate) command: String,
    /// The Docker container's full ID, when the process runs in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) container_id: Option<String>,
    /// The systemd unit (`postgresql@15-main.service`), when it is one's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) unit: Option<String>,
}

/// The listening sockets of one `/proc/net/<table>` text. `table` is `tcp`, `tcp6`, `udp` or
/// `udp6`; lines that do not parse are skipped (the kernel's format is fixed, a short read is
/// not worth failing the whole report for).
pub(crate) fn parse(table: &str, text: &str) -> Vec<Socket> {
    let (proto, wanted) = match table {
        "tcp" | "tcp6" => (Proto::Tcp, TCP_LISTEN),
        _ => (Proto::Udp, UDP_UNCONNECTED),
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != wanted {
                return None;
            }
            let (addr, port) = endpoint(f[1])?;
            // A UDP socket "connected" to one peer only answers that peer.
            if proto == Proto::Udp
                && endpoint(f[2]).is_none_or(|(a, p)| !a.is_unspecified() || p != 0)
            {
                return None;
            }
            Some(Socket {
                proto,
                addr,
                port,
                inode: f[9].parse().ok()?,
            })
        })
        .collect()
}

/// `0100007F:1538` (IPv4, one little-endian word) or 32 hex digits (IPv6, four words each in
/// the machine's order) and a port in hex.
fn endpoint(text: &str) -> Option<(IpAddr, u16)> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let word = |hex: &str| u32::from_str_radix(hex, 16).ok().map(u32::to_le_bytes);
    let addr = match addr.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(addr)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                chunk.copy_from_slice(&word(addr.get(i * 8..i * 8 + 8)?)?);
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some((addr, port))
}

/// Every listening socket of this network namespace, sorted. A table the kernel does not have
/// (no IPv6) is skipped.
pub(crate) fn read_sockets(proc: &Path) -> std::io::Result<Vec<Socket>> {
    let mut out = Vec::new();
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let path = proc.join("net").join(table);
        match fs_err::read_to_string(&path) {
            Ok(text) => out.extend(parse(table, &text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The process holding each of `inodes`: the lowest PID with a descriptor on it (a forked
/// server shares its socket with its workers; the lowest is usually the parent). Processes
/// that vanish while being read, or whose descriptors cannot be read, are skipped.
pub(crate) fn owners(proc: &Path, inodes: &BTreeSet<u64>) -> BTreeMap<u64, Owner> {
    let mut found: BTreeMap<u64, u32> = BTreeMap::new();
    if inodes.is_empty() {
        return BTreeMap::new();
    }
    let mut pids: Vec<u32> = std::fs::read_dir(proc)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(proc.join(pid.to_string()).join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            if let Some(inode) = socket_inode(&target.to_string_lossy())
                && inodes.contains(&inode)
            {
                found.entry(inode).or_insert(pid);
            }
        }
        if found.len() == inodes.len() {
            break;
        }
    }
    found
        .into_iter()
        .map(|(inode, pid)| (inode, owner(proc, pid)))
        .collect()
}

/// `socket:[12345]` -> 12345.
fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

fn owner(proc: &Path, pid: u32) -> Owner {
    let dir = proc.join(pid.to_string());
    let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
    let mut command = command_line(&cmdline);
    if command.is_empty() {
        command = std::fs::read_to_string(dir.join("comm"))
            .map(|c| format!("[{}]", c.trim()))
            .unwrap_or_default();
    }
    let cgroup = std::fs::read_to_string(dir.join("cgroup")).unwrap_or_default();
    Owner {
        pid,
        command,
        container_id: super::cgroup::container_id(&cgroup),
        unit: super::cgroup::systemd_unit(&cgroup),
    }
}

/// `/proc/<pid>/cmdline` (NUL-separated) as one line, each word quoted when it needs it.
pub(crate) fn command_line(raw: &[u8]) -> String {
    let words: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|w| !w.is_empty())
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .collect();
    crate::quote::shell_line(words.iter().map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded from a Debian 12 machine: sshd and postgres on every address, a repository
    /// service on its own address, an established connection (not a listener).
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18211 1 0000000000000000 100 0 0 10 0
   1: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 23711 1 0000000000000000 100 0 0 10 0
   2: 020B007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99120 1 0000000000000000 100 0 0 10 0
   3: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 02:000A3C8D 00000000     0        0 99444 2 0000000000000000 20 4 30 10 -1
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 23712 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5001 1 0000000000000000 100 0 0 10 0
";
    const UDP: &str = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  512: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 17001 2 0000000000000000 0
  600: 0100007F:A000 0100007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 17002 2 0000000000000000 0
";

    #[test]
    fn tables_parse_to_listeners() {
        let tcp = parse("tcp", TCP);
        assert_eq!(tcp.len(), 3, "the established connection is no listener");
        assert_eq!(tcp[1].endpoint(), "0.0.0.0:5432");
        assert!(tcp[1].is_wildcard());
        assert_eq!(tcp[2].endpoint(), "127.0.11.2:8080");
        assert_eq!(tcp[2].inode, 99120);
        let tcp6 = parse("tcp6", TCP6);
        assert_eq!(tcp6[0].endpoint(), "[::]:5432");
        assert_eq!(tcp6[1].endpoint(), "[::ffff:127.0.0.1]:80");
        let udp = parse("udp", UDP);
        assert_eq!(
            udp.len(),
            1,
            "a connected UDP socket receives from its peer only"
        );
        assert_eq!(
            (udp[0].proto, udp[0].endpoint().as_str()),
            (Proto::Udp, "127.0.0.53:53")
        );
    }

    #[test]
    fn what_a_socket_blocks() {
        let tcp = parse("tcp", TCP);
        let svc: IpAddr = "127.0.11.2".parse().unwrap();
        let other: IpAddr = "127.0.11.3".parse().unwrap();
        assert!(
            tcp[1].blocks(Proto::Tcp, svc, 5432),
            "a wildcard takes every address"
        );
        assert!(!tcp[1].blocks(Proto::Udp, svc, 5432));
        assert!(tcp[2].blocks(Proto::Tcp, svc, 8080));
        assert!(!tcp[2].blocks(Proto::Tcp, other, 8080));
        let mapped = parse("tcp6", TCP6)[1];
        assert!(mapped.blocks(Proto::Tcp, "127.0.0.1".parse().unwrap(), 80));
    }

    #[test]
    fn this_process_owns_its_listener() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let proc = Path::new("/proc");
        let mine = read_sockets(proc)
            .unwrap()
            .into_iter()
            .find(|s| s.port == port && s.proto == Proto::Tcp)
            .expect("the listener is in /proc/net/tcp");
        let owners = owners(proc, &BTreeSet::from([mine.inode]));
        assert_eq!(owners[&mine.inode].pid, std::process::id());
        assert!(!owners[&mine.inode].command.is_empty());
        assert!(socket_inode("socket:[42]") == Some(42) && socket_inode("pipe:[42]").is_none());
        assert_eq!(command_line(b"nc\0-l\0-p\0a b\0"), "nc -l -p 'a b'");
    }
}
