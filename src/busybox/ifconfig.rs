//! `ifconfig [IFACE]`: busybox's networking/ifconfig.c, printing as libbb's interface.c
//! does (`Link encap:Ethernet  HWaddr ...`, the counters with `print_bytes_scaled`).

use super::applet::ExecResult;
use crate::docker::network::InterfaceCounters;
use crate::docker::sandbox::{Iface, Sandbox};
use crate::engine::trace::colon_mac as mac_str;

/// `ifconfig` (every interface) or `ifconfig IFACE`.
pub fn run(sb: &Sandbox, only: Option<&str>) -> ExecResult {
    let out = show(sb, only);
    match only {
        Some(name) if out.is_empty() => ExecResult::err(
            format!("ifconfig: {name}: error fetching interface information: Device not found\n"),
            1,
        ),
        _ => ExecResult::out(out),
    }
}

fn show(sb: &Sandbox, only: Option<&str>) -> String {
    let mut out = String::new();
    // busybox lists interfaces sorted by name.
    let mut ifaces: Vec<&Iface> = sb.ifaces().iter().collect();
    ifaces.sort_by(|a, b| a.name.cmp(&b.name));
    for i in ifaces {
        if only.is_some_and(|o| o != i.name) {
            continue;
        }
        let m = i.mac;
        out.push_str(&format!(
            "{:<10}Link encap:Ethernet  HWaddr {}\n",
            i.name,
            mac_str(&m).to_uppercase()
        ));
        out.push_str(&format!(
            "          inet addr:{}  Bcast:0.0.0.0  Mask:{}\n",
            i.ip,
            i.netmask()
        ));
        out.push_str(&format!(
            "          inet6 addr: {}/64 Scope:Link\n",
            link_local(&m)
        ));
        out.push_str(&format!(
            "          UP BROADCAST RUNNING MULTICAST  MTU:{}  Metric:1\n",
            i.mtu
        ));
        out.push_str(&counters_block(&i.counters));
    }
    if only.is_none_or(|o| o == "lo") {
        let lo = sb.lo();
        out.push_str("lo        Link encap:Local Loopback\n");
        out.push_str("          inet addr:127.0.0.1  Mask:255.0.0.0\n");
        out.push_str("          inet6 addr: ::1/128 Scope:Host\n");
        out.push_str("          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n");
        out.push_str(&counters_block(&lo));
    }
    out
}

/// The IPv6 link-local address a MAC gives (EUI-64, RFC 4291 appendix A).
fn link_local(m: &[u8; 6]) -> std::net::Ipv6Addr {
    std::net::Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([m[0] ^ 2, m[1]]),
        u16::from_be_bytes([m[2], 0xff]),
        u16::from_be_bytes([0xfe, m[3]]),
        u16::from_be_bytes([m[4], m[5]]),
    )
}

/// busybox's `print_bytes_scaled`: `648 (648.0 B)`, `1536 (1.5 KiB)`.
fn scaled(n: u64) -> String {
    let mut int = n;
    let mut frac = 0;
    let mut ext = "";
    for unit in ["Ki", "Mi", "Gi", "Ti"] {
        if int >= 1024 {
            frac = ((int & 1023) * 10) / 1024;
            int /= 1024;
            ext = unit;
        }
    }
    format!("{n} ({int}.{frac} {ext}B)")
}

fn counters_block(c: &InterfaceCounters) -> String {
    format!(
        "          RX packets:{} errors:0 dropped:0 overruns:0 frame:0\n          TX packets:{} errors:0 dropped:0 overruns:0 carrier:0\n          collisions:0 txqueuelen:0\n          RX bytes:{}  TX bytes:{}\n\n",
        c.rx_packets,
        c.tx_packets,
        scaled(c.rx_bytes),
        scaled(c.tx_bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_scaled_bytes() {
        assert_eq!(scaled(0), "0 (0.0 B)");
        assert_eq!(scaled(648), "648 (648.0 B)");
        assert_eq!(scaled(1536), "1536 (1.5 KiB)");
        assert_eq!(scaled(5 * 1024 * 1024 + 1), "5242881 (5.0 MiB)");
    }

    #[test]
    fn link_local_from_mac() {
        assert_eq!(
            link_local(&[0x02, 0x42, 0xac, 0x11, 0x00, 0x03]).to_string(),
            "fe80::42:acff:fe11:3"
        );
    }
}
