//! IP address management: prefixes, the default pools and per-subnet address bitmaps.
//!
//! Mirrors libnetwork's default IPAM driver as of Engine 27+
//! (`libnetwork/ipams/defaultipam/address_space.go`, `allocator.go`): subnets come from the
//! predefined pools, **lowest free first** (a released subnet is reused at once), and
//! addresses inside a subnet are handed out lowest free first, the network and (IPv4)
//! broadcast addresses reserved, dynamic addresses drawn from the `--ip-range` when one is
//! set. The default pools are `libnetwork/ipamutils/utils.go`'s `localScopeDefaultNetworks`.
//!
//! Prefixes parse by Go's `netip.ParsePrefix` rules (here, not `ipnet`'s parser, which takes
//! `10.0.0.0/08`); the prefix arithmetic is `ipnet`'s.

use super::error::{Error, Result};
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An IP prefix (`172.25.0.0/16`), kept as typed: host bits are not masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix {
    /// The address part as written.
    pub addr: IpAddr,
    /// The prefix length.
    pub len: u8,
}

impl Prefix {
    /// Bits in an address of this family.
    pub fn max_len(&self) -> u8 {
        if self.addr.is_ipv4() { 32 } else { 128 }
    }

    /// The prefix as an `ipnet` network (the parser has checked the length).
    fn net(&self) -> IpNet {
        IpNet::new_assert(self.addr, self.len)
    }

    /// The prefix with host bits cleared (Go's `netip.Prefix.Masked`).
    pub fn masked(&self) -> Prefix {
        Prefix {
            addr: self.net().network(),
            len: self.len,
        }
    }

    /// The first address (host bits zero), as a number.
    pub fn first(&self) -> u128 {
        to_u128(self.net().network())
    }

    /// The last address (host bits one), as a number.
    pub fn last(&self) -> u128 {
        to_u128(self.net().broadcast())
    }

    /// Whether `ip` lies inside.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.net().contains(&ip)
    }

    /// Whether the two prefixes share an address (Go's `netip.Prefix.Overlaps`).
    pub fn overlaps(&self, other: &Prefix) -> bool {
        let (a, b) = (self.net(), other.net());
        a.contains(&b.network()) || b.contains(&a.network())
    }

    /// The number of addresses, saturating.
    pub fn size(&self) -> u128 {
        self.last() - self.first() + 1
    }

    /// The dotted netmask of an IPv4 prefix (`255.255.0.0`).
    pub fn netmask(&self) -> String {
        Ipv4Addr::from(crate::wire::netmask(self.len)).to_string()
    }
}

/// An address as a number (IPv4 in the low 32 bits).
pub fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// A number back to an address of the given family.
pub fn from_u128(v: u128, v4: bool) -> IpAddr {
    if v4 {
        IpAddr::V4(Ipv4Addr::from(v as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(v))
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// A prefix that does not parse, as Go's `netip.ParsePrefix` refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPrefix;

impl FromStr for Prefix {
    type Err = BadPrefix;
    fn from_str(s: &str) -> std::result::Result<Prefix, BadPrefix> {
        let (a, l) = s.split_once('/').ok_or(BadPrefix)?;
        let addr: IpAddr = a.parse().map_err(|_| BadPrefix)?;
        if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BadPrefix);
        }
        if l.len() > 1 && l.starts_with('0') {
            return Err(BadPrefix);
        }
        let len: u8 = l.parse().map_err(|_| BadPrefix)?;
        let p = Prefix { addr, len };
        if len > p.max_len() {
            return Err(BadPrefix);
        }
        Ok(p)
    }
}

impl Serialize for Prefix {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Prefix {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Prefix, D::Error> {
        let s = String::deserialize(d)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format!("bad prefix {s}")))
    }
}

/// libnetwork's `localScopeDefaultNetworks`: (base, size of each subnet carved from it).
pub const LOCAL_DEFAULT_POOLS: [([u8; 4], u8, u8); 7] = [
    ([172, 17, 0, 0], 16, 16),
    ([172, 18, 0, 0], 16, 16),
    ([172, 19, 0, 0], 16, 16),
    ([172, 20, 0, 0], 14, 16),
    ([172, 24, 0, 0], 14, 16),
    ([172, 28, 0, 0], 14, 16),
    ([192, 168, 0, 0], 16, 20),
];

/// libnetwork's `globalScopeDefaultNetworks`: 10.0.0.0/8 in /24s, for overlay networks.
pub const GLOBAL_DEFAULT_POOLS: [([u8; 4], u8, u8); 1] = [([10, 0, 0, 0], 8, 24)];

/// Picks the lowest predefined IPv4 subnet that overlaps none of `taken`
/// (`allocatePredefinedPool`, Engine 27+).
pub fn allocate_predefined_v4(taken: &[Prefix]) -> Result<Prefix> {
    allocate_from(&LOCAL_DEFAULT_POOLS, taken)
}

/// The same from the global address space (overlay networks).
pub fn allocate_global_v4(taken: &[Prefix]) -> Result<Prefix> {
    allocate_from(&GLOBAL_DEFAULT_POOLS, taken)
}

fn allocate_from(pools: &[([u8; 4], u8, u8)], taken: &[Prefix]) -> Result<Prefix> {
    for &(base, base_len, size) in pools {
        let base = Prefix {
            addr: IpAddr::V4(Ipv4Addr::from(base)),
            len: base_len,
        };
        let step = 1u128 << (32 - u32::from(size));
        let mut at = base.first();
        while at <= base.last() {
            let candidate = Prefix {
                addr: from_u128(at, true),
                len: size,
            };
            match taken
                .iter()
                .filter(|t| t.overlaps(&candidate))
                .map(|t| t.last())
                .max()
            {
                None => return Ok(candidate),
                // Skip past whatever overlaps, staying aligned to the subnet size.
                Some(end) => at = (end / step + 1) * step,
            }
        }
    }
    Err(Error::no_more_subnets())
}

/// Picks the lowest free /64 of a /48 unique-local base (`deriveULABaseNetwork`).
pub fn allocate_ula_v6(base48: u128, taken: &[Prefix]) -> Result<Prefix> {
    for i in 0..(1u128 << 16) {
        let candidate = Prefix {
            addr: from_u128(base48 | (i << 64), false),
            len: 64,
        };
        if !taken.iter().any(|t| t.overlaps(&candidate)) {
            return Ok(candidate);
        }
    }
    Err(Error::no_more_subnets())
}

/// One subnet's address space: the IPAM "pool" with its bitmap of used addresses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// The subnet, masked.
    pub subnet: Prefix,
    /// `--ip-range`: where dynamic addresses come from.
    pub range: Option<Prefix>,
    /// The gateway address, once allocated.
    pub gateway: Option<IpAddr>,
    /// `--aux-address` reservations.
    pub aux: BTreeMap<String, IpAddr>,
    /// Every address in use: gateway, aux addresses, endpoints.
    pub allocated: BTreeSet<IpAddr>,
    /// Whether the subnet was configured (libnetwork's `PreferredPool`), not picked from
    /// the default pools; static `--ip` needs one.
    pub preferred: bool,
}

impl Pool {
    /// An empty pool over `subnet`.
    pub fn new(subnet: Prefix, range: Option<Prefix>) -> Pool {
        Pool {
            subnet: subnet.masked(),
            range: range.map(|r| r.masked()),
            gateway: None,
            aux: BTreeMap::new(),
            allocated: BTreeSet::new(),
            preferred: false,
        }
    }

    fn reserved(&self, v: u128) -> bool {
        let s = &self.subnet;
        if s.addr.is_ipv4() {
            s.len < 31 && (v == s.first() || v == s.last())
        } else {
            s.len < 127 && v == s.first()
        }
    }

    /// Reserves `ip` (static request) or the lowest free address (dynamic request, from
    /// the ip-range if there is one).
    pub fn request(&mut self, ip: Option<IpAddr>) -> Result<IpAddr> {
        let v4 = self.subnet.addr.is_ipv4();
        if let Some(ip) = ip {
            if !self.subnet.contains(ip) {
                // ipamapi.ErrIPOutOfRange
                return Err(Error::address_out_of_range());
            }
            // The network and broadcast addresses are pre-reserved in the bitmap.
            if self.reserved(to_u128(ip)) || !self.allocated.insert(ip) {
                return Err(Error::address_in_use());
            }
            return Ok(ip);
        }
        let span = self.range.unwrap_or(self.subnet);
        let mut candidate = span.first();
        let end = span.last();
        let lo = from_u128(candidate, v4);
        let hi = from_u128(end, v4);
        for &used in self.allocated.range(lo..=hi) {
            while candidate <= end && self.reserved(candidate) {
                candidate += 1;
            }
            if to_u128(used) != candidate {
                break;
            }
            candidate += 1;
        }
        while candidate <= end && self.reserved(candidate) {
            candidate += 1;
        }
        if candidate > end || candidate < span.first() {
            return Err(Error::no_free_address());
        }
        let ip = from_u128(candidate, v4);
        self.allocated.insert(ip);
        Ok(ip)
    }

    /// Returns an address to the pool.
    pub fn release(&mut self, ip: IpAddr) {
        self.allocated.remove(&ip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn prefix_parse_and_mask() {
        assert_eq!(p("10.10.10.0/8").masked(), p("10.0.0.0/8"));
        assert_eq!(p("10.10.10.0/8").to_string(), "10.10.10.0/8");
        assert!("10.0.0.0".parse::<Prefix>().is_err());
        assert!("10.0.0.0/33".parse::<Prefix>().is_err());
        assert!("10.0.0.0/016".parse::<Prefix>().is_err());
        assert!("foo/16".parse::<Prefix>().is_err());
        assert_eq!(p("fd00::/64").masked(), p("fd00::/64"));
        assert_eq!(p("172.25.0.0/16").netmask(), "255.255.0.0");
        assert_eq!(p("172.26.0.0/24").netmask(), "255.255.255.0");
    }

    #[test]
    fn overlap_and_contain() {
        assert!(p("192.168.0.0/16").overlaps(&p("192.168.128.0/17")));
        assert!(p("192.168.128.0/17").overlaps(&p("192.168.0.0/16")));
        assert!(!p("192.168.0.0/16").overlaps(&p("192.169.0.0/16")));
        assert!(!p("10.0.0.0/8").overlaps(&p("fd00::/8")));
        assert!(p("172.25.0.0/16").contains(ip("172.25.3.3")));
        assert!(!p("172.25.0.0/16").contains(ip("172.26.0.1")));
        assert!(p("0.0.0.0/0").contains(ip("1.2.3.4")));
    }

    #[test]
    fn predefined_lowest_free() {
        assert_eq!(allocate_predefined_v4(&[]).unwrap(), p("172.17.0.0/16"));
        let taken = [p("172.17.0.0/16"), p("172.19.0.0/16")];
        assert_eq!(allocate_predefined_v4(&taken).unwrap(), p("172.18.0.0/16"));
        // A user subnet inside a pool blocks the /16 that contains it.
        let taken = [p("172.17.0.0/16"), p("172.18.5.0/24")];
        assert_eq!(allocate_predefined_v4(&taken).unwrap(), p("172.19.0.0/16"));
        // A large user subnet blocks several.
        let taken = [p("172.16.0.0/12")];
        assert_eq!(allocate_predefined_v4(&taken).unwrap(), p("192.168.0.0/20"));
        let mut all = vec![];
        for _ in 0..31 {
            let next = allocate_predefined_v4(&all).unwrap();
            all.push(next);
        }
        assert_eq!(all[14], p("172.31.0.0/16"));
        assert_eq!(all[15], p("192.168.0.0/20"));
        assert_eq!(all[30], p("192.168.240.0/20"));
        assert_eq!(
            allocate_predefined_v4(&all).unwrap_err().message,
            "all predefined address pools have been fully subnetted"
        );
    }

    #[test]
    fn addresses_lowest_free() {
        let mut pool = Pool::new(p("172.25.0.0/16"), None);
        assert_eq!(pool.request(None).unwrap(), ip("172.25.0.1"));
        assert_eq!(
            pool.request(Some(ip("172.25.3.3"))).unwrap(),
            ip("172.25.3.3")
        );
        assert_eq!(pool.request(None).unwrap(), ip("172.25.0.2"));
        assert_eq!(pool.request(None).unwrap(), ip("172.25.0.3"));
        pool.release(ip("172.25.0.2"));
        assert_eq!(pool.request(None).unwrap(), ip("172.25.0.2"));
        assert_eq!(
            pool.request(Some(ip("172.25.3.3"))).unwrap_err().message,
            "Address already in use"
        );
        for reserved in ["172.25.0.0", "172.25.255.255"] {
            assert_eq!(
                pool.request(Some(ip(reserved))).unwrap_err().message,
                "Address already in use"
            );
        }
    }

    #[test]
    fn range_and_exhaustion() {
        let mut pool = Pool::new(p("172.28.0.0/16"), Some(p("172.28.30.0/24")));
        // The range's .0 is handed out: only the subnet's ends are reserved.
        assert_eq!(pool.request(None).unwrap(), ip("172.28.30.0"));
        let mut small = Pool::new(p("10.0.0.0/30"), None);
        assert_eq!(small.request(None).unwrap(), ip("10.0.0.1"));
        assert_eq!(small.request(None).unwrap(), ip("10.0.0.2"));
        assert!(small.request(None).is_err());
        let mut v6 = Pool::new(p("fd00:1::/64"), None);
        assert_eq!(v6.request(None).unwrap(), ip("fd00:1::1"));
        assert_eq!(v6.request(None).unwrap(), ip("fd00:1::2"));
    }
}
