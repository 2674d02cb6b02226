//! `ifconfig [IFACE]`: busybox's networking/ifconfig.c, printing as libbb's interface.c
//! does (`ife_print`, `ife_print6`, `print_bytes_scaled`), blanks at the ends of lines
//! included.

use super::applet::ExecResult;
use crate::docker::network::InterfaceCounters;
use crate::docker::sandbox::{Iface, Sandbox};
use crate::engine::trace::colon_mac as mac_str;
use std::net::Ipv4Addr;

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
    // busybox lists interfaces sorted by name (interface.c `add_interface`), so `lo` last.
    let mut ifaces: Vec<&Iface> = sb.ifaces().iter().collect();
    ifaces.sort_by(|a, b| a.name.cmp(&b.name));
    for i in ifaces {
        // Without a name, ifconfig lists the interfaces that are up (`-a` would list all).
        if only.map_or(i.up, |o| o == i.name) {
            out.push_str(&ethernet(i));
        }
    }
    if only.is_none_or(|o| o == "lo") {
        // The loopback hwtype has no `print`: no HWaddr, the two blanks stay. Engine 26+
        // leaves IPv6 on in the namespace, so `lo` keeps ::1 (moby#47062).
        out.push_str("lo        Link encap:Local Loopback  \n");
        out.push_str("          inet addr:127.0.0.1  Mask:255.0.0.0\n");
        out.push_str("          inet6 addr: ::1/128 Scope:Host\n");
        out.push_str("          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n");
        // Linux's loopback has txqueuelen 1000 (drivers/net/loopback.c).
        out.push_str(&counters_block(&sb.lo(), 1000));
    }
    out
}

/// ife_print for a container's veth.
fn ethernet(i: &Iface) -> String {
    // `printf("%-9s Link encap:%s  ")`, then `printf("HWaddr %s  ")`: both leave their two
    // blanks before the newline.
    let mut out = format!(
        "{:<9} Link encap:Ethernet  HWaddr {}  \n",
        i.name,
        mac_str(&i.mac).to_uppercase()
    );
    // ` Bcast:%s `: a veth has IFF_BROADCAST; with no broadcast address set (a /31 or /32)
    // the kernel reports 0.0.0.0.
    out.push_str(&format!(
        "          inet addr:{}  Bcast:{}  Mask:{}\n",
        i.ip,
        i.broadcast().unwrap_or(Ipv4Addr::UNSPECIFIED),
        i.netmask()
    ));
    // ife_print6, a line per /proc/net/if_inet6 entry: none where IPv6 is off. That file's
    // order is the kernel's address hash, which differs per namespace; vnet prints the
    // global address first, as `ip addr` lists them.
    if let Some((a, len)) = i.ipv6 {
        out.push_str(&format!("          inet6 addr: {a}/{len} Scope:Global\n"));
    }
    if let Some(ll) = i.link_local() {
        out.push_str(&format!("          inet6 addr: {ll}/64 Scope:Link\n"));
    }
    let flags = if i.up {
        "UP BROADCAST RUNNING MULTICAST"
    } else {
        "BROADCAST MULTICAST"
    };
    out.push_str(&format!("          {flags}  MTU:{}  Metric:1\n", i.mtu));
    // A veth has no queue: txqueuelen 0.
    out.push_str(&counters_block(&i.counters, 0));
    out
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

/// ife_print's statistics: `collisions:%lu ` and `txqueuelen:%d ` each end in a blank, then
/// the byte counters and the blank line that ends every interface.
fn counters_block(c: &InterfaceCounters, txqueuelen: u32) -> String {
    format!(
        "          RX packets:{} errors:0 dropped:0 overruns:0 frame:0\n          TX packets:{} errors:0 dropped:0 overruns:0 carrier:0\n          collisions:0 txqueuelen:{txqueuelen} \n          RX bytes:{}  TX bytes:{}\n\n",
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

    /// The counters block, as ife_print's printf calls lay it out (`txqueuelen:%d `, then
    /// `\n          R` + `X bytes:...`).
    #[test]
    fn counters_block_has_busybox_blanks() {
        let c = InterfaceCounters {
            rx_packets: 2,
            tx_packets: 3,
            rx_bytes: 140,
            tx_bytes: 1536,
        };
        assert_eq!(
            counters_block(&c, 1000),
            "          RX packets:2 errors:0 dropped:0 overruns:0 frame:0\n          TX packets:3 errors:0 dropped:0 overruns:0 carrier:0\n          collisions:0 txqueuelen:1000 \n          RX bytes:140 (140.0 B)  TX bytes:1536 (1.5 KiB)\n\n"
        );
    }
}
