//! Pure parsing: the lease range (`RENET_PORT_RANGE`) and the port-list labels
//! (`rediacc.tcp_ports`, `rediacc.udp_ports`).

use std::fmt;
use std::ops::RangeInclusive;

use super::{DEFAULT_RANGE, LeaseError, Proto};

/// The environment variable that overrides [`DEFAULT_RANGE`].
pub const RANGE_VAR: &str = "RENET_PORT_RANGE";

/// An inclusive range of external ports, `first <= last`, never containing 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    first: u16,
    last: u16,
}

impl PortRange {
    pub fn new(first: u16, last: u16) -> Option<Self> {
        (first >= 1 && first <= last).then_some(Self { first, last })
    }

    pub fn first(self) -> u16 {
        self.first
    }

    pub fn last(self) -> u16 {
        self.last
    }

    pub fn contains(self, port: u16) -> bool {
        (self.first..=self.last).contains(&port)
    }

    /// Every port, ascending.
    pub fn ports(self) -> RangeInclusive<u16> {
        self.first..=self.last
    }

    #[cfg(test)]
    pub fn len(self) -> usize {
        usize::from(self.last - self.first) + 1
    }
}

impl Default for PortRange {
    fn default() -> Self {
        Self {
            first: *DEFAULT_RANGE.start(),
            last: *DEFAULT_RANGE.end(),
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

/// Parse `FIRST-LAST` (`10000-10010`; spaces around the numbers are allowed). A single port
/// `P` is the range `P-P`.
pub fn parse_range(value: &str) -> Result<PortRange, LeaseError> {
    let bad = |reason: &str| LeaseError::BadRange {
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let (a, b) = match value.split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (value.trim(), value.trim()),
    };
    if a.is_empty() || b.is_empty() {
        return Err(bad("both ends are needed"));
    }
    let port = |s: &str| -> Result<u16, LeaseError> {
        match s.parse::<u32>() {
            Ok(0) => Err(bad("port 0 cannot be leased")),
            Ok(n) => u16::try_from(n).map_err(|_| bad(&format!("{n} is above 65535"))),
            Err(_) => Err(bad(&format!("{s:?} is not a port number"))),
        }
    };
    let (first, last) = (port(a)?, port(b)?);
    PortRange::new(first, last).ok_or_else(|| bad(&format!("{first} is above {last}")))
}

/// The range to lease from: `RENET_PORT_RANGE` when set, else [`DEFAULT_RANGE`].
pub fn range_from_env(value: Option<&str>) -> Result<PortRange, LeaseError> {
    value.map_or_else(|| Ok(PortRange::default()), parse_range)
}

/// The label that lists a protocol's ports.
pub fn label_for(proto: Proto) -> &'static str {
    match proto {
        Proto::Tcp => "rediacc.tcp_ports",
        Proto::Udp => "rediacc.udp_ports",
    }
}

/// Parse a port-list label value such as `5432,6379` (spaces allowed, empty entries ignored,
/// duplicates kept once, in order of first appearance).
pub fn parse_ports(service: &str, label: &str, value: &str) -> Result<Vec<u16>, LeaseError> {
    let mut out: Vec<u16> = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let port = match entry.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => u16::try_from(n).expect("checked range"),
            Ok(n) => {
                return Err(LeaseError::BadLabel {
                    service: service.to_owned(),
                    label: label.to_owned(),
                    value: value.to_owned(),
                    reason: format!("{n} is not a port (1-65535)"),
                });
            }
            Err(_) => {
                return Err(LeaseError::BadLabel {
                    service: service.to_owned(),
                    label: label.to_owned(),
                    value: value.to_owned(),
                    reason: format!("{entry:?} is not a port number"),
                });
            }
        };
        if !out.contains(&port) {
            out.push(port);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_parses() {
        let r = parse_range("10000-10010").unwrap();
        assert_eq!((r.first(), r.last(), r.len()), (10000, 10010, 11));
        assert_eq!(r.to_string(), "10000-10010");
        assert_eq!(parse_range(" 20000 - 20039 ").unwrap().len(), 40);
        assert_eq!(
            parse_range("5000").unwrap(),
            PortRange::new(5000, 5000).unwrap()
        );
        assert_eq!(
            range_from_env(None).unwrap(),
            parse_range("10000-10010").unwrap()
        );
        assert!(r.contains(10000) && r.contains(10010) && !r.contains(10011));
    }

    #[test]
    fn range_errors_name_the_variable_and_value() {
        for (value, why) in [
            ("10010-10000", "10010 is above 10000"),
            ("0-10", "port 0"),
            ("1-70000", "70000 is above 65535"),
            ("abc", "\"abc\" is not a port number"),
            ("10000-", "both ends"),
            ("-5", "both ends"),
            ("10000:10010", "is not a port number"),
        ] {
            let msg = parse_range(value).unwrap_err().to_string();
            assert!(msg.contains(RANGE_VAR), "{msg}");
            assert!(msg.contains(value), "{msg}");
            assert!(msg.contains(why), "{value}: {msg}");
            assert!(msg.contains("10000-10010"), "the example fix: {msg}");
        }
    }

    #[test]
    fn label_values_parse() {
        assert_eq!(
            parse_ports("db", "rediacc.tcp_ports", "5432,6379").unwrap(),
            [5432, 6379]
        );
        assert_eq!(
            parse_ports("db", "rediacc.tcp_ports", " 5432 , 5432,,6379, ").unwrap(),
            [5432, 6379]
        );
        assert!(
            parse_ports("dns", "rediacc.udp_ports", "")
                .unwrap()
                .is_empty()
        );
        assert_eq!(label_for(Proto::Udp), "rediacc.udp_ports");
    }

    #[test]
    fn label_errors_name_service_label_and_value() {
        for (value, why) in [
            ("5432,abc", "\"abc\" is not a port number"),
            ("0", "0 is not a port"),
            ("70000", "70000 is not a port"),
            ("5432;6379", "not a port number"),
            ("-1", "not a port number"),
        ] {
            let msg = parse_ports("db", "rediacc.tcp_ports", value)
                .unwrap_err()
                .to_string();
            assert!(msg.contains("service db"), "{msg}");
            assert!(msg.contains(&format!("rediacc.tcp_ports={value}")), "{msg}");
            assert!(msg.contains(why), "{value}: {msg}");
        }
    }
}
