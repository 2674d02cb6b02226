//! `vnet link set|clear|ls`: vnet's own commands for link behaviour (loss, delay, jitter) on a
//! network. Docker has no such command; on Linux this is `tc qdisc ... netem` on the bridge.

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
    /// Set loss, delay and jitter on a network's links
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
    /// NETWORK
    args: Vec<String>,
}

/// `link clear` arguments.
#[derive(Args, Debug)]
pub struct ClearArgs {
    /// NETWORK
    args: Vec<String>,
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
            let mut t = String::from("NETWORK\tLOSS\tDELAY\tJITTER\n");
            for (id, l) in d.links() {
                // Settings of a network that is gone (a state vnet refuses to load) show its ID.
                let name = d.get_network(id).map_or(id, |n| n.name.as_str());
                t.push_str(&format!(
                    "{name}\t{}%\t{}\t{}\n",
                    l.loss * 100.0,
                    micros(l.delay.as_micros()),
                    micros(l.jitter.as_micros())
                ));
            }
            o.out(tabwriter::align(&t, 10, 3));
        }
    }
}
