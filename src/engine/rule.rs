//! What happens to a frame on a hop, as a chain of named rules: Docker's isolation, underlay
//! partitions, and a link's loss, delay and jitter.
//!
//! A rule looks at a frame about to cross a hop and answers [`Verdict::Pass`] (no opinion),
//! [`Verdict::Deliver`] (after this much extra time) or [`Verdict::Drop`]; the first rule that
//! does not pass decides (turmoil-net's `Rule`), and the [`Ruling`] names it. Closures are
//! rules too. Every random draw comes from the world's seeded generator, and a rule that
//! decides stops the chain before the next one draws, so a lossy run replays exactly.
//!
//! The built-in rules, in the order a bridge's chain holds them:
//! - [`Icc`]: `com.docker.network.bridge.enable_icc=false`, Docker's `-i br -o br -j DROP`:
//!   IP between two containers on the bridge is dropped; ARP and the host's traffic pass.
//! - [`Loss`], [`Delay`]: a network's `vnet link set` ([`LinkConfig`]), netem-like.
//!
//! A [`LinkConfig`] also carries netem's queue `limit`, which the world applies to every port
//! of a bridge (see [`crate::engine::world`]): a frame that would make the queue longer is
//! dropped, so no delay can make frames pile up without bound.
//!
//! The underlay between hosts has its own chain, asked when a VTEP sends a frame to another
//! host: [`Partition`] (`vnet host partition A B`) drops what goes between two hosts.
//!
//! A traced world writes a line for every frame a rule drops, ending `dropped: ` and what
//! [`Rule::describe`] says (`icc`, `loss 10%`, `partition h1-h2`).

use crate::fabric::HostId;
use crate::time::Duration;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::Rng;
use serde::{Deserialize, Serialize};
use smoltcp::wire::Ipv4Address;

/// What happens to a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No opinion: the next rule decides, or the link's own latency applies.
    Pass,
    /// Delivered, this much later than the link alone would.
    Deliver(Duration),
    /// Lost.
    Drop,
}

/// One end of a hop: what is attached where the frame comes from or goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// The bridge's own node: the Docker host, or an overlay network's namespace.
    Node,
    /// A container's interface.
    Container,
    /// A VTEP on an overlay bridge.
    Vtep,
    /// A host on the underlay.
    Host(HostId),
    /// Nothing is attached.
    Nothing,
}

/// Where a frame is crossing: it came in from `from` and goes out to `to`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    /// What sent it.
    pub from: End,
    /// What it goes to.
    pub to: End,
}

/// A rule on the frames crossing a hop.
pub trait Rule {
    /// Its name, for traces that say which rule dropped a frame.
    fn name(&self) -> &'static str {
        "rule"
    }

    /// Decides a frame's fate.
    fn on_frame(&mut self, hop: &Hop, rng: &mut ChaCha20Rng, frame: &[u8]) -> Verdict;

    /// What a trace says of a frame it dropped: its name, and its setting where it has one
    /// (`loss 10%`).
    fn describe(&self) -> String {
        self.name().to_string()
    }
}

impl<F: FnMut(&Hop, &mut ChaCha20Rng, &[u8]) -> Verdict> Rule for F {
    fn on_frame(&mut self, hop: &Hop, rng: &mut ChaCha20Rng, frame: &[u8]) -> Verdict {
        self(hop, rng, frame)
    }
}

/// What a chain decided, and which rule did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ruling {
    /// The verdict: the first that is not `Pass`, else `Pass`.
    pub verdict: Verdict,
    /// The name of the rule that gave it, if one did.
    pub by: Option<&'static str>,
}

/// Rules asked in order.
#[derive(Default)]
pub struct Chain {
    rules: Vec<Box<dyn Rule>>,
}

impl Chain {
    /// Whether there is no rule (every frame passes, with no draw).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Adds a rule at the end.
    pub fn push(&mut self, rule: Box<dyn Rule>) {
        self.rules.push(rule);
    }

    /// What the first rule named `name` says of a frame it dropped ([`Rule::describe`]).
    pub fn describe(&self, name: &str) -> String {
        self.rules
            .iter()
            .find(|r| r.name() == name)
            .map_or_else(|| name.to_string(), |r| r.describe())
    }

    /// The rules' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.rules.iter().map(|r| r.name())
    }

    /// Runs the chain: the first verdict that is not `Pass`, and whose it is.
    pub fn evaluate(&mut self, hop: &Hop, rng: &mut ChaCha20Rng, frame: &[u8]) -> Ruling {
        for r in self.rules.iter_mut() {
            match r.on_frame(hop, rng, frame) {
                Verdict::Pass => continue,
                verdict => {
                    return Ruling {
                        verdict,
                        by: Some(r.name()),
                    };
                }
            }
        }
        Ruling {
            verdict: Verdict::Pass,
            by: None,
        }
    }
}

/// `enable_icc=false`: IPv4 from one container to another on the same bridge is dropped,
/// except what legacy links open.
#[derive(Clone, Debug, Default)]
pub struct Icc {
    /// The ports legacy links open.
    pub allow: Vec<IccException>,
}

/// What a legacy link opens through `enable_icc=false` on the default bridge, for each port
/// the linked container exposes (libnetwork drivers/bridge/link.go `linkContainers`):
/// `-p PROTO -s PARENT -d CHILD --dport PORT -j ACCEPT` and the replies, `-p PROTO -s CHILD
/// --sport PORT -d PARENT -j ACCEPT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IccException {
    /// The container that links.
    pub parent: Ipv4Address,
    /// The container it links to.
    pub child: Ipv4Address,
    /// IP protocol number: 6 (TCP) or 17 (UDP).
    pub protocol: u8,
    /// The port the child exposes.
    pub port: u16,
}

impl Icc {
    /// Whether an IPv4 frame is a link's traffic: parent to the child's exposed port, or the
    /// child's answers from it.
    fn linked(&self, frame: &[u8]) -> bool {
        if self.allow.is_empty() {
            return false;
        }
        let Some(h) = frame
            .get(14..34)
            .and_then(|h| <&[u8; 20]>::try_from(h).ok())
        else {
            return false;
        };
        let ihl = usize::from(h[0] & 0x0f) * 4;
        let (proto, src, dst) = (
            h[9],
            Ipv4Address::new(h[12], h[13], h[14], h[15]),
            Ipv4Address::new(h[16], h[17], h[18], h[19]),
        );
        let Some(ports) = frame
            .get(14 + ihl..14 + ihl + 4)
            .and_then(|p| <&[u8; 4]>::try_from(p).ok())
        else {
            return false;
        };
        let sport = u16::from_be_bytes([ports[0], ports[1]]);
        let dport = u16::from_be_bytes([ports[2], ports[3]]);
        self.allow.iter().any(|a| {
            a.protocol == proto
                && ((a.parent == src && a.child == dst && a.port == dport)
                    || (a.child == src && a.parent == dst && a.port == sport))
        })
    }
}

impl Rule for Icc {
    fn name(&self) -> &'static str {
        "icc"
    }

    fn on_frame(&mut self, hop: &Hop, _: &mut ChaCha20Rng, frame: &[u8]) -> Verdict {
        let is_ip = frame.get(12..14) == Some(&[0x08, 0x00]);
        if is_ip && hop.from == End::Container && hop.to == End::Container && !self.linked(frame) {
            Verdict::Drop
        } else {
            Verdict::Pass
        }
    }
}

/// `vnet host partition A B`: the underlay between two hosts is cut, both ways.
#[derive(Clone, Copy, Debug)]
pub struct Partition {
    a: HostId,
    b: HostId,
}

impl Partition {
    /// A cut between `a` and `b`.
    pub fn new(a: HostId, b: HostId) -> Partition {
        Partition { a, b }
    }
}

impl Rule for Partition {
    fn name(&self) -> &'static str {
        "partition"
    }

    fn on_frame(&mut self, hop: &Hop, _: &mut ChaCha20Rng, _: &[u8]) -> Verdict {
        let (a, b) = (End::Host(self.a), End::Host(self.b));
        if (hop.from == a && hop.to == b) || (hop.from == b && hop.to == a) {
            Verdict::Drop
        } else {
            Verdict::Pass
        }
    }
}

/// A share of frames lost, drawn per frame.
#[derive(Clone, Copy, Debug)]
pub struct Loss {
    /// A draw below this is a loss.
    below: u64,
}

impl Loss {
    /// Loses `share` (0.0–1.0) of the frames.
    pub fn new(share: f64) -> Loss {
        Loss {
            below: (share.clamp(0.0, 1.0) * u64::MAX as f64) as u64,
        }
    }
}

impl Rule for Loss {
    fn name(&self) -> &'static str {
        "loss"
    }

    fn describe(&self) -> String {
        let share = self.below as f64 / u64::MAX as f64 * 100.0;
        let pct = format!("{share:.4}");
        let pct = pct.trim_end_matches('0').trim_end_matches('.');
        format!("loss {pct}%")
    }

    fn on_frame(&mut self, _: &Hop, rng: &mut ChaCha20Rng, _: &[u8]) -> Verdict {
        if rng.next_u64() < self.below {
            Verdict::Drop
        } else {
            Verdict::Pass
        }
    }
}

/// A fixed extra delay plus a uniform jitter, drawn per frame.
#[derive(Clone, Copy, Debug)]
pub struct Delay {
    /// The fixed part.
    pub delay: Duration,
    /// Up to this much more.
    pub jitter: Duration,
}

impl Rule for Delay {
    fn name(&self) -> &'static str {
        "delay"
    }

    fn on_frame(&mut self, _: &Hop, rng: &mut ChaCha20Rng, _: &[u8]) -> Verdict {
        let j = self.jitter.as_micros();
        let extra = if j > 0 { rng.next_u64() % (j + 1) } else { 0 };
        Verdict::Deliver(self.delay + Duration(extra))
    }
}

/// netem's default `limit`: packets a link holds queued before it drops (iproute2's
/// `tc/q_netem.c`, `struct tc_netem_qopt opt = { .limit = 1000 }`).
pub const DEFAULT_LIMIT: u32 = 1000;

/// The longest delay or jitter netem carries: the kernel takes them as signed 64-bit
/// nanoseconds (`TCA_NETEM_LATENCY64`, `TCA_NETEM_JITTER64`), the same bound as Go's longest
/// `time.Duration`, 2562047h47m16.854775807s (to the microsecond here).
pub const MAX_DELAY: Duration = Duration(i64::MAX as u64 / 1_000);

fn default_limit() -> u32 {
    DEFAULT_LIMIT
}

fn is_default_limit(l: &u32) -> bool {
    *l == DEFAULT_LIMIT
}

/// The link settings a network can carry (`vnet link set`): each becomes a rule, and the
/// queue `limit` bounds the frames each of the bridge's ports holds in flight.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Share of frames lost, 0.0–1.0.
    pub loss: f64,
    /// Extra one-way delay (microseconds in the state file).
    pub delay: Duration,
    /// Extra random delay, up to this much (microseconds in the state file).
    pub jitter: Duration,
    /// netem's `limit`: frames queued on one port of the bridge (sent, not yet delivered)
    /// beyond which the next is dropped.
    #[serde(default = "default_limit", skip_serializing_if = "is_default_limit")]
    pub limit: u32,
    /// netem's `rate`: bits a second each port sends at, frame after frame (0: as fast as
    /// they come).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rate: u64,
}

fn is_zero(r: &u64) -> bool {
    *r == 0
}

impl Default for LinkConfig {
    fn default() -> LinkConfig {
        LinkConfig {
            loss: 0.0,
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            limit: DEFAULT_LIMIT,
            rate: 0,
        }
    }
}

impl LinkConfig {
    /// Adds its rules to `chain`, in order: loss, then delay with jitter.
    pub fn add_rules(self, chain: &mut Chain) {
        if self.loss > 0.0 {
            chain.push(Box::new(Loss::new(self.loss)));
        }
        if !self.delay.is_zero() || !self.jitter.is_zero() {
            chain.push(Box::new(Delay {
                delay: self.delay,
                jitter: self.jitter,
            }));
        }
    }

    /// Its rules as a chain of their own.
    pub fn rules(self) -> Chain {
        let mut c = Chain::default();
        self.add_rules(&mut c);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Hop = Hop {
        from: End::Node,
        to: End::Container,
    };

    fn verdict(chain: &mut Chain, rng: &mut ChaCha20Rng, hop: &Hop, frame: &[u8]) -> Verdict {
        chain.evaluate(hop, rng, frame).verdict
    }

    #[test]
    fn loss_is_seeded_and_proportional() {
        let cfg = LinkConfig {
            loss: 0.25,
            ..Default::default()
        };
        let count = |seed| {
            let mut rng = crate::rng::derive(seed, "t");
            let mut rules = cfg.rules();
            (0..10_000)
                .filter(|_| verdict(&mut rules, &mut rng, &ANY, &[]) == Verdict::Drop)
                .count()
        };
        let a = count(1);
        assert_eq!(a, count(1));
        assert!((2300..2700).contains(&a), "{a}");
    }

    #[test]
    fn first_non_pass_wins_and_is_named() {
        let cfg = LinkConfig {
            loss: 1.0,
            delay: Duration(5),
            ..Default::default()
        };
        let mut rng = crate::rng::derive(0, "t");
        let mut chain = cfg.rules();
        assert_eq!(chain.names().collect::<Vec<_>>(), ["loss", "delay"]);
        assert_eq!(
            chain.evaluate(&ANY, &mut rng, &[]),
            Ruling {
                verdict: Verdict::Drop,
                by: Some("loss")
            }
        );
        let cfg = LinkConfig {
            delay: Duration(5),
            ..Default::default()
        };
        assert_eq!(
            cfg.rules().evaluate(&ANY, &mut rng, &[]),
            Ruling {
                verdict: Verdict::Deliver(Duration(5)),
                by: Some("delay")
            }
        );
        assert_eq!(
            Chain::default().evaluate(&ANY, &mut rng, &[]),
            Ruling {
                verdict: Verdict::Pass,
                by: None
            }
        );
        // A closure is a rule.
        let mut c = Chain::default();
        c.push(Box::new(|_: &Hop, _: &mut ChaCha20Rng, _: &[u8]| {
            Verdict::Drop
        }));
        assert_eq!(c.evaluate(&ANY, &mut rng, &[]).by, Some("rule"));
    }

    /// An IPv4 frame (20-byte header) of protocol `proto` from `src:sport` to `dst:dport`.
    fn segment(proto: u8, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16) -> [u8; 54] {
        let mut f = [0u8; 54];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        f[14] = 0x45;
        f[23] = proto;
        f[26..30].copy_from_slice(&src);
        f[30..34].copy_from_slice(&dst);
        f[34..36].copy_from_slice(&sport.to_be_bytes());
        f[36..38].copy_from_slice(&dport.to_be_bytes());
        f
    }

    #[test]
    fn a_link_opens_the_exposed_port_both_ways_and_nothing_else() {
        let mut rng = crate::rng::derive(0, "t");
        let c2c = Hop {
            from: End::Container,
            to: End::Container,
        };
        let (app, db, other) = ([172, 17, 0, 3], [172, 17, 0, 2], [172, 17, 0, 4]);
        let mut icc = Icc {
            allow: vec![IccException {
                parent: app.into(),
                child: db.into(),
                protocol: 6,
                port: 6379,
            }],
        };
        let mut verdict = |f: [u8; 54]| icc.on_frame(&c2c, &mut rng, &f);
        assert_eq!(verdict(segment(6, app, 40000, db, 6379)), Verdict::Pass);
        assert_eq!(verdict(segment(6, db, 6379, app, 40000)), Verdict::Pass);
        assert_eq!(verdict(segment(6, app, 40000, db, 80)), Verdict::Drop);
        assert_eq!(verdict(segment(17, app, 40000, db, 6379)), Verdict::Drop);
        assert_eq!(verdict(segment(6, other, 40000, db, 6379)), Verdict::Drop);
        assert_eq!(verdict(segment(6, db, 40000, app, 6379)), Verdict::Drop);
    }

    #[test]
    fn icc_drops_ip_between_containers_only() {
        let mut rng = crate::rng::derive(0, "t");
        let mut ip = [0u8; 34];
        ip[12..14].copy_from_slice(&[0x08, 0x00]);
        let mut arp = [0u8; 42];
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        let c2c = Hop {
            from: End::Container,
            to: End::Container,
        };
        let to_host = Hop {
            from: End::Container,
            to: End::Node,
        };
        assert_eq!(Icc::default().on_frame(&c2c, &mut rng, &ip), Verdict::Drop);
        assert_eq!(Icc::default().on_frame(&c2c, &mut rng, &arp), Verdict::Pass);
        assert_eq!(
            Icc::default().on_frame(&to_host, &mut rng, &ip),
            Verdict::Pass
        );
    }

    #[test]
    fn a_partition_cuts_both_ways_between_its_hosts() {
        let mut rng = crate::rng::derive(0, "t");
        let h = |i| End::Host(HostId::new(i).unwrap());
        let mut p = Partition::new(HostId::new(0).unwrap(), HostId::new(2).unwrap());
        let hop = |from, to| Hop { from, to };
        assert_eq!(p.on_frame(&hop(h(0), h(2)), &mut rng, &[]), Verdict::Drop);
        assert_eq!(p.on_frame(&hop(h(2), h(0)), &mut rng, &[]), Verdict::Drop);
        assert_eq!(p.on_frame(&hop(h(0), h(1)), &mut rng, &[]), Verdict::Pass);
    }

    #[test]
    fn link_config_serialises_microseconds() {
        let mut cfg = LinkConfig {
            loss: 0.5,
            delay: Duration(5000),
            jitter: Duration(10),
            ..Default::default()
        };
        let j = serde_json::to_string(&cfg).unwrap();
        assert_eq!(j, r#"{"loss":0.5,"delay":5000,"jitter":10}"#);
        assert_eq!(serde_json::from_str::<LinkConfig>(&j).unwrap(), cfg);
        // netem's default limit is not written; another is.
        cfg.limit = 5;
        let j = serde_json::to_string(&cfg).unwrap();
        assert_eq!(j, r#"{"loss":0.5,"delay":5000,"jitter":10,"limit":5}"#);
        assert_eq!(serde_json::from_str::<LinkConfig>(&j).unwrap(), cfg);
        assert_eq!(MAX_DELAY, Duration(9_223_372_036_854_775));
    }
}
