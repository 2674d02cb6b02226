//! `vnet link set|clear|ls`: vnet's own commands for link behaviour (loss, delay, jitter,
//! queue limit, rate) on a network. Docker has no such command; on Linux this is `tc qdisc
//! ... netem` on the bridge's ports, which applies each to what a port sends: one direction
//! of each veth, so a round trip meets loss and delay twice.

use super::{Outcome, Want, arity};
use crate::docker::Daemon;
use crate::docker::network::LinkSettings;
use crate::engine::rule::MAX_DELAY;
use crate::golang::tabwriter;
use crate::time::parse_duration;
use clap::{Args, Subcommand};

/// `vnet link ...`.
#[derive(Subcommand, Debug)]
pub enum LinkCommand {
    /// Set loss, delay, jitter, queue limit and rate on a network's links
    Set(SetArgs),
    /// Remove a network's link rules
    Clear(ClearArgs),
    /// List link rules
    Ls,
}

/// `link set` flags.
#[derive(Args, Debug)]
#[command(args_override_self = true)]
pub struct SetArgs {
    /// Share of frames lost, as a percentage (e.g. "10%")
    #[arg(long)]
    loss: Option<String>,
    /// Extra one-way delay (e.g. "5ms")
    #[arg(long)]
    delay: Option<String>,
    /// Extra random delay, up to this much (e.g. "1ms")
    #[arg(long)]
    jitter: Option<String>,
    /// Frames each port holds queued before it drops (tc netem's limit; default 1000)
    #[arg(long)]
    limit: Option<String>,
    /// Bits a second each port sends at, as tc writes rates (e.g. "10mbit"; 0: no limit)
    #[arg(long)]
    rate: Option<String>,
    /// NETWORK
    args: Vec<String>,
}

/// `link clear` arguments.
#[derive(Args, Debug)]
pub struct ClearArgs {
    /// NETWORK
    args: Vec<String>,
}

/// A rate as tc reads one (`tc(8)`, "RATES"): a number and a unit, `bit`, `kbit`, `mbit`,
/// `gbit`, `tbit` (bits a second, powers of 1000) or `bps`, `kbps`, `mbps`, `gbps`, `tbps`
/// (bytes a second); a bare number is bits. Case does not matter.
pub fn parse_rate(s: &str) -> Option<u64> {
    let l = s.to_ascii_lowercase();
    let split = l
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(l.len());
    let (num, unit) = l.split_at(split);
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
    let scale = match unit {
        "" | "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "tbit" => 1e12,
        "bps" => 8.0,
        "kbps" => 8e3,
        "mbps" => 8e6,
        "gbps" => 8e9,
        "tbps" => 8e12,
        _ => return None,
    };
    let bits = n * scale;
    (bits < u64::MAX as f64).then_some(bits.round() as u64)
}

/// A rate as tc prints one (`sprint_rate`): the largest of bit, Kbit, Mbit, Gbit, Tbit that
/// divides it evenly below a million of the next.
pub fn format_rate(rate: u64) -> String {
    const UNITS: [&str; 5] = ["bit", "Kbit", "Mbit", "Gbit", "Tbit"];
    let mut r = rate;
    let mut unit = UNITS[0];
    for next in UNITS.iter().skip(1) {
        if r < 1000 || (!r.is_multiple_of(1000) && r < 1_000_000) {
            break;
        }
        r /= 1000;
        unit = next;
    }
    format!("{r}{unit}")
}

fn micros(d: u64) -> String {
    match d {
        0 => "0s".to_string(),
        d if d % 1_000_000 == 0 => format!("{}s", d / 1_000_000),
        d if d % 1_000 == 0 => format!("{}ms", d / 1_000),
        d => format!("{d}µs"),
    }
}

pub(super) fn run(cmd: &LinkCommand, prog: &str, d: &mut Daemon, o: &mut Outcome) {
    match cmd {
        LinkCommand::Set(a) => {
            if !arity(prog, "link set", a.args.len(), Want::Exactly(1), o) {
                return;
            }
            let [network] = a.args.as_slice() else {
                return;
            };
            let mut link = d
                .find_network(network)
                .ok()
                .map(|id| d.link(&id))
                .unwrap_or_default();
            if let Some(l) = &a.loss {
                match l.trim_end_matches('%').parse::<f64>() {
                    Ok(p) if (0.0..=100.0).contains(&p) => link.loss = p / 100.0,
                    _ => {
                        return o.fail(format!(
                            "invalid loss {l:?}: give a percentage from 0% to 100%"
                        ));
                    }
                }
            }
            for (value, slot) in [(&a.delay, &mut link.delay), (&a.jitter, &mut link.jitter)] {
                if let Some(v) = value {
                    match parse_duration(v) {
                        Some(t) if t <= MAX_DELAY => *slot = t,
                        Some(_) => {
                            return o.fail(format!(
                                "invalid duration {v:?}: netem takes at most 2562047h47m16.854775807s (64-bit nanoseconds)"
                            ));
                        }
                        None => {
                            return o.fail(format!(
                                "invalid duration {v:?}: give one like 5ms or 1.5s"
                            ));
                        }
                    }
                }
            }
            if let Some(v) = &a.limit {
                // tc reads the limit as an unsigned 32-bit count of packets.
                match v.parse::<u32>() {
                    Ok(n) => link.limit = n,
                    Err(_) => {
                        return o.fail(format!(
                            "invalid limit {v:?}: give a number of packets from 0 to 4294967295"
                        ));
                    }
                }
            }
            if let Some(v) = &a.rate {
                match parse_rate(v) {
                    Some(r) => link.rate = r,
                    None => {
                        return o.fail(format!(
                            "invalid rate {v:?}: give one as tc does, like 10mbit, 512kbit or 1gbit"
                        ));
                    }
                }
            }
            if let Err(e) = d.link_set(network, link) {
                o.daemon_error(&e);
            }
        }
        LinkCommand::Clear(a) => {
            if !arity(prog, "link clear", a.args.len(), Want::Exactly(1), o) {
                return;
            }
            let [network] = a.args.as_slice() else {
                return;
            };
            if let Err(e) = d.link_set(network, LinkSettings::default()) {
                o.daemon_error(&e);
            }
        }
        LinkCommand::Ls => {
            let mut t = String::from("NETWORK\tLOSS\tDELAY\tJITTER\tRATE\n");
            for (id, l) in d.links() {
                // Settings of a network that is gone (a state vnet refuses to load) show its ID.
                let name = d.get_network(id).map_or(id, |n| n.name.as_str());
                let rate = if l.rate == 0 {
                    "-".to_string()
                } else {
                    format_rate(l.rate)
                };
                t.push_str(&format!(
                    "{name}\t{}%\t{}\t{}\t{rate}\n",
                    l.loss * 100.0,
                    micros(l.delay.as_micros()),
                    micros(l.jitter.as_micros())
                ));
            }
            o.out(tabwriter::align(&t, 10, 3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_as_tc_reads_and_prints_them() {
        assert_eq!(parse_rate("10mbit"), Some(10_000_000));
        assert_eq!(parse_rate("1.5Mbit"), Some(1_500_000));
        assert_eq!(parse_rate("100kbps"), Some(800_000));
        assert_eq!(parse_rate("64"), Some(64));
        assert_eq!(parse_rate("fast"), None);
        assert_eq!(parse_rate("1e9bit"), None);
        assert_eq!(parse_rate("-1mbit"), None);
        assert_eq!(format_rate(10_000_000), "10Mbit");
        assert_eq!(format_rate(1_500_000), "1500Kbit");
        assert_eq!(format_rate(1_000_000_000), "1Gbit");
        assert_eq!(format_rate(999), "999bit");
    }
}
