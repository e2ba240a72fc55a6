//! Lease routes: every port lease of a running container becomes a TCP (`` HostSNI(`*`) ``)
//! or UDP router on entrypoint `tcp-<port>` / `udp-<port>`.

use std::net::Ipv4Addr;

use super::Part;
use crate::leases::{Lease, Proto};
use crate::network::NetworkId;
use crate::routes::config::{AddressService, TcpRouter, UdpRouter};

/// The routers and services of `leases`, named `{svc}-tcp-{port}-{network}` /
/// `{svc}-udp-{port}-{network}` (ending in the network, as every name does).
pub(super) fn routes(ip: Ipv4Addr, svc: &str, net: NetworkId, leases: &[&Lease], part: &mut Part) {
    for l in leases {
        let ext = l.external_port;
        let cport = l.key.container_port;
        let address = format!("{ip}:{cport}");
        match l.key.proto {
            Proto::Tcp => {
                let name = format!("{svc}-tcp-{cport}-{net}");
                let ep = format!("tcp-{ext}");
                part.config.tcp.routers.insert(
                    name.clone(),
                    TcpRouter {
                        entry_points: vec![ep.clone()],
                        rule: "HostSNI(`*`)".to_owned(),
                        service: name.clone(),
                        priority: None,
                        tls: None,
                    },
                );
                part.config
                    .tcp
                    .services
                    .insert(name.clone(), AddressService::address(address));
                part.lease_routers.push((name, ep, false));
            }
            Proto::Udp => {
                let name = format!("{svc}-udp-{cport}-{net}");
                let ep = format!("udp-{ext}");
                part.config.udp.routers.insert(
                    name.clone(),
                    UdpRouter {
                        entry_points: vec![ep.clone()],
                        service: name.clone(),
                    },
                );
                part.config
                    .udp
                    .services
                    .insert(name.clone(), AddressService::address(address));
                part.lease_routers.push((name, ep, true));
            }
        }
    }
}
