//! Network IDs and loopback address math (SPEC section 1). Pure.

use std::fmt;
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

/// Lowest valid network ID: 127.0.11.0/26.
pub const MIN_NETWORK_ID: u32 = 2816;
/// Highest valid network ID: 127.255.0.0/26.
pub const MAX_NETWORK_ID: u32 = 16_711_680;
/// Addresses in a repository's block.
pub const BLOCK_SIZE: u32 = 64;
/// Slots 0..=60 map to offsets 2..=62 (.0 network, .1 gateway, .63 broadcast are never handed out).
pub const SLOT_COUNT: u32 = 61;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworkIdError {
    #[error("invalid network ID: not an integer: \"{0}\"")]
    NotInteger(String),
    #[error("invalid network ID: must be >= 2816")]
    TooLow,
    #[error("invalid network ID: must be <= 16711680")]
    TooHigh,
    #[error("invalid network ID: must be 2816 + (n * 64)")]
    NotAligned,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid slot: {slot}: must be 0..=60 (a repository has 61 service addresses)")]
pub struct SlotError {
    pub slot: String,
}

/// A validated network ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NetworkId(u32);

impl NetworkId {
    pub fn new(n: u64) -> Result<Self, NetworkIdError> {
        if n < u64::from(MIN_NETWORK_ID) {
            return Err(NetworkIdError::TooLow);
        }
        if n > u64::from(MAX_NETWORK_ID) {
            return Err(NetworkIdError::TooHigh);
        }
        if !(n - u64::from(MIN_NETWORK_ID)).is_multiple_of(u64::from(BLOCK_SIZE)) {
            return Err(NetworkIdError::NotAligned);
        }
        // Bounded by MAX_NETWORK_ID above.
        Ok(Self(u32::try_from(n).map_err(|_| NetworkIdError::TooHigh)?))
    }

    pub fn parse(text: &str) -> Result<Self, NetworkIdError> {
        let trimmed = text.trim();
        // Negative numbers are integers too: they get the "must be >= 2816" message.
        if let Some(rest) = trimmed.strip_prefix('-')
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(NetworkIdError::TooLow);
        }
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NetworkIdError::NotInteger(text.to_owned()));
        }
        match trimmed.parse::<u64>() {
            Ok(n) => Self::new(n),
            // All digits but too long for u64: certainly too high.
            Err(_) => Err(NetworkIdError::TooHigh),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// First address of the block (offset 0).
    pub fn base(self) -> Ipv4Addr {
        let n = self.0;
        Ipv4Addr::new(
            127,
            (n >> 16 & 255) as u8,
            (n >> 8 & 255) as u8,
            (n & 255) as u8,
        )
    }

    pub fn block(self) -> Ipv4Net {
        // A /26 prefix is always valid.
        Ipv4Net::new(self.base(), 26).expect("26 is a valid IPv4 prefix length")
    }

    /// Address of slot `slot` (0..=60).
    pub fn slot_addr(self, slot: Slot) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.base()) + u32::from(slot.get()) + 2)
    }
}

impl fmt::Display for NetworkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A slot index inside a block, 0..=60.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(u8);

impl Slot {
    pub fn new(n: u64) -> Result<Self, SlotError> {
        if n < u64::from(SLOT_COUNT) {
            Ok(Self(n as u8))
        } else {
            Err(SlotError {
                slot: n.to_string(),
            })
        }
    }

    pub fn parse(text: &str) -> Result<Self, SlotError> {
        text.trim()
            .parse::<u64>()
            .map_err(|_| SlotError {
                slot: format!("\"{text}\""),
            })
            .and_then(Self::new)
    }

    pub fn get(self) -> u8 {
        self.0
    }

    pub fn all() -> impl Iterator<Item = Slot> {
        (0..SLOT_COUNT as u8).map(Slot)
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addr(n: u32, s: u8) -> String {
        NetworkId::new(n.into())
            .unwrap()
            .slot_addr(Slot::new(s.into()).unwrap())
            .to_string()
    }

    #[test]
    fn spec_examples() {
        assert_eq!(addr(2816, 0), "127.0.11.2");
        assert_eq!(addr(2880, 0), "127.0.11.66");
        assert_eq!(addr(6336, 1), "127.0.24.195");
        assert_eq!(addr(16_711_680, 60), "127.255.0.62");
        assert_eq!(
            NetworkId::new(2816).unwrap().block().to_string(),
            "127.0.11.0/26"
        );
    }

    #[test]
    fn spec_messages() {
        assert_eq!(
            NetworkId::parse("2815").unwrap_err().to_string(),
            "invalid network ID: must be >= 2816"
        );
        assert_eq!(
            NetworkId::parse("-64").unwrap_err().to_string(),
            "invalid network ID: must be >= 2816"
        );
        assert_eq!(
            NetworkId::parse("2817").unwrap_err().to_string(),
            "invalid network ID: must be 2816 + (n * 64)"
        );
        assert_eq!(
            NetworkId::parse("16711744").unwrap_err().to_string(),
            "invalid network ID: must be <= 16711680"
        );
        assert_eq!(
            NetworkId::parse("99999999999999999999999")
                .unwrap_err()
                .to_string(),
            "invalid network ID: must be <= 16711680"
        );
        assert_eq!(
            NetworkId::parse("abc").unwrap_err().to_string(),
            "invalid network ID: not an integer: \"abc\""
        );
        assert_eq!(
            NetworkId::parse("").unwrap_err().to_string(),
            "invalid network ID: not an integer: \"\""
        );
        assert!(Slot::parse("61").is_err());
        assert!(Slot::parse("x").is_err());
    }

    proptest! {
        #[test]
        fn every_slot_is_inside_the_block_and_never_reserved(k in 0u32..261_077, s in 0u8..61) {
            let id = NetworkId::new(u64::from(2816 + k * 64)).unwrap();
            let a = id.slot_addr(Slot::new(s.into()).unwrap());
            prop_assert!(id.block().contains(&a));
            let off = u32::from(a) - u32::from(id.base());
            prop_assert!((2..=62).contains(&off));
            prop_assert_eq!(a.octets()[0], 127);
        }

        #[test]
        fn blocks_never_overlap(k in 0u32..261_076) {
            let a = NetworkId::new(u64::from(2816 + k * 64)).unwrap();
            let b = NetworkId::new(u64::from(2816 + (k + 1) * 64)).unwrap();
            prop_assert_eq!(u32::from(b.base()) - u32::from(a.base()), 64);
        }
    }
}
