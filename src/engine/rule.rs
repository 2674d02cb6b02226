//! Link behaviour as composable rules: loss, delay, jitter.
//!
//! A rule looks at a frame about to cross a link and answers [`Verdict::Pass`] (no opinion),
//! [`Verdict::Deliver`] (after this much extra time) or [`Verdict::Drop`]; the first rule that
//! does not pass decides (turmoil-net's `Rule`). Closures are rules too. Every random draw comes
//! from the world's seeded generator, so a lossy run replays exactly.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::Rng;
use serde::{Deserialize, Serialize};

/// What happens to a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// No opinion: the next rule decides, or the link's own latency applies.
    Pass,
    /// Delivered, this many microseconds later than the link alone would.
    Deliver(u64),
    /// Lost.
    Drop,
}

/// A rule on the frames leaving one bridge.
pub trait Rule {
    /// Decides a frame's fate.
    fn on_frame(&mut self, rng: &mut ChaCha20Rng, frame: &[u8]) -> Verdict;
}

impl<F: FnMut(&mut ChaCha20Rng, &[u8]) -> Verdict> Rule for F {
    fn on_frame(&mut self, rng: &mut ChaCha20Rng, frame: &[u8]) -> Verdict {
        self(rng, frame)
    }
}

/// The link settings a network can carry (`vnet link set`): each becomes a rule.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Share of frames lost, 0.0–1.0.
    pub loss: f64,
    /// Extra one-way delay, microseconds.
    pub delay: u64,
    /// Extra random delay, up to this many microseconds.
    pub jitter: u64,
}

impl LinkConfig {
    /// The rules, in order: loss, then delay with jitter.
    pub fn rules(self) -> Vec<Box<dyn Rule>> {
        let mut v: Vec<Box<dyn Rule>> = Vec::new();
        if self.loss > 0.0 {
            let p = (self.loss.clamp(0.0, 1.0) * u64::MAX as f64) as u64;
            v.push(Box::new(move |rng: &mut ChaCha20Rng, _: &[u8]| {
                if rng.next_u64() < p {
                    Verdict::Drop
                } else {
                    Verdict::Pass
                }
            }));
        }
        if self.delay > 0 || self.jitter > 0 {
            let (d, j) = (self.delay, self.jitter);
            v.push(Box::new(move |rng: &mut ChaCha20Rng, _: &[u8]| {
                Verdict::Deliver(d + if j > 0 { rng.next_u64() % (j + 1) } else { 0 })
            }));
        }
        v
    }
}

/// Runs a chain: the first verdict that is not `Pass`.
pub fn evaluate(rules: &mut [Box<dyn Rule>], rng: &mut ChaCha20Rng, frame: &[u8]) -> Verdict {
    for r in rules.iter_mut() {
        match r.on_frame(rng, frame) {
            Verdict::Pass => continue,
            v => return v,
        }
    }
    Verdict::Pass
}

#[cfg(test)]
mod tests {
    use super::*;

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
                .filter(|_| evaluate(&mut rules, &mut rng, &[]) == Verdict::Drop)
                .count()
        };
        let a = count(1);
        assert_eq!(a, count(1));
        assert!((2300..2700).contains(&a), "{a}");
    }

    #[test]
    fn first_non_pass_wins() {
        let cfg = LinkConfig {
            loss: 1.0,
            delay: 5,
            jitter: 0,
        };
        let mut rng = crate::rng::derive(0, "t");
        assert_eq!(evaluate(&mut cfg.rules(), &mut rng, &[]), Verdict::Drop);
        let cfg = LinkConfig {
            delay: 5,
            ..Default::default()
        };
        assert_eq!(
            evaluate(&mut cfg.rules(), &mut rng, &[]),
            Verdict::Deliver(5)
        );
        assert_eq!(evaluate(&mut [], &mut rng, &[]), Verdict::Pass);
    }
}
