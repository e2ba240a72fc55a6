//! Is an external port really free? The lease table records intent; the kernel knows what is
//! bound. Used only on request (`renet ports lease --probe`): the Traefik proxy listens on the
//! whole lease range, so once it runs every port of the range looks busy.

use std::net::{Ipv4Addr, TcpListener, UdpSocket};

use super::Proto;

/// Whether `port` can be bound on 0.0.0.0 for `proto` right now (the socket is closed again).
pub fn bindable(proto: Proto, port: u16) -> bool {
    match proto {
        Proto::Tcp => TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok(),
        Proto::Udp => UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listening_port_is_not_bindable() {
        let l = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = l.local_addr().unwrap().port();
        assert!(!bindable(Proto::Tcp, port));
        drop(l);
        let u = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = u.local_addr().unwrap().port();
        assert!(!bindable(Proto::Udp, port));
    }
}
