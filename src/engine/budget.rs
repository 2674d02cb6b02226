//! A command's simulation budget: how much work one world may do before it stops.
//!
//! Docker has no such limit (a real ping runs as long as its host does); it is vnet's own, so
//! that one command cannot take the machine: a world counts the events it runs, the events
//! it holds queued (frames in flight and timers), and the virtual time it advances, and
//! stops at the first of them past its [`Budget`]. The defaults are far above any real lab;
//! the front ends read overrides from the environment and pass them in (the engine reads
//! nothing itself). A world that stopped runs no more events: the program on it ends as it
//! would when the wire falls quiet, and the front end reports [`Exceeded`] as an error.

use super::World;
use crate::time::{Duration, Instant};
use std::fmt;

/// How much one command's world may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Events run (a frame reaching a bridge or a port, a timer, a loopback delivery).
    pub events: u64,
    /// Events queued at once: frames in flight and pending timers.
    pub in_flight: usize,
    /// Virtual time advanced from the world's start.
    pub time: Duration,
}

/// The default events per command: 50 million (a 10,000-container lab pinging every gateway
/// once runs about a million).
pub const DEFAULT_EVENTS: u64 = 50_000_000;
/// The default frames in flight: 100,000 (a hundred ports' netem queues, full).
pub const DEFAULT_IN_FLIGHT: usize = 100_000;
/// The default virtual time per command: a day.
pub const DEFAULT_TIME: Duration = Duration::from_secs(86_400);

/// No limit on virtual time (a paced program).
const UNBOUNDED: Duration = Duration(u64::MAX);

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            events: DEFAULT_EVENTS,
            in_flight: DEFAULT_IN_FLIGHT,
            time: DEFAULT_TIME,
        }
    }
}

/// Which part of the budget a world ran out of, and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceeded {
    /// More events than [`Budget::events`].
    Events(u64),
    /// More events queued at once than [`Budget::in_flight`].
    InFlight(usize),
    /// More virtual time than [`Budget::time`].
    Time(Duration),
}

impl fmt::Display for Exceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the simulation stopped: ")?;
        match self {
            Exceeded::Events(n) => {
                write!(f, "more than {n} events in one command (VNET_MAX_EVENTS)")
            }
            Exceeded::InFlight(n) => {
                write!(
                    f,
                    "more than {n} frames in flight at once (VNET_MAX_IN_FLIGHT)"
                )
            }
            Exceeded::Time(d) => write!(
                f,
                "more than {} of virtual time in one command (VNET_MAX_VIRTUAL_TIME)",
                seconds(*d)
            ),
        }
    }
}

impl World {
    /// Gives the world its budget, counted from now. A clock too near its end
    /// ([`crate::time::MAX`]) for the budget's time has run out already.
    pub fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
        self.time_limit = self.now + budget.time;
        if budget.time != UNBOUNDED && self.time_limit - self.now < budget.time {
            self.exceed(Exceeded::Time(budget.time));
        }
    }

    /// The world's budget.
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// Lifts the limit on virtual time, for a program paced to the wall clock: its virtual
    /// time is the time it really runs, which the user ends (events still count).
    pub fn unbounded_time(&mut self) {
        self.set_budget(Budget {
            time: UNBOUNDED,
            ..self.budget
        });
    }

    /// Why the world stopped early, if it ran out of its budget.
    pub fn budget_exceeded(&self) -> Option<Exceeded> {
        self.exceeded
    }

    /// Events run so far (with those a program [`charge`](World::charge)d).
    pub fn events_run(&self) -> u64 {
        self.events
    }

    /// Counts `n` events a program handled without the queue (exchanges it times itself,
    /// as a ping of the container's own address does) against the budget.
    pub fn charge(&mut self, n: u64) {
        self.events = self.events.saturating_add(n);
        if self.events > self.budget.events {
            self.exceed(Exceeded::Events(self.budget.events));
        }
    }

    /// The world stops: the first reason is kept.
    pub(super) fn exceed(&mut self, why: Exceeded) {
        self.exceeded.get_or_insert(why);
    }

    /// The next event, due at `t`, is past the budget: which part.
    #[cold]
    pub(super) fn out_of_budget(&mut self, t: Instant) {
        if t > self.time_limit {
            self.exceed(Exceeded::Time(self.budget.time));
            self.now = self.now.max(self.time_limit);
        } else {
            self.exceed(Exceeded::Events(self.budget.events));
        }
    }
}

/// A span as Go's `time.Duration` prints whole seconds: `86400s` is `24h0m0s`.
fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    let frac = d.as_micros() % 1_000_000;
    let tail = if frac == 0 {
        format!("{}s", s % 60)
    } else {
        let f = format!("{frac:06}");
        format!("{}.{}s", s % 60, f.trim_end_matches('0'))
    };
    match (s / 3600, s / 60 % 60) {
        (0, 0) => tail,
        (0, m) => format!("{m}m{tail}"),
        (h, m) => format!("{h}h{m}m{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rule::LinkConfig;
    use crate::engine::tests::{NIC0, NIC1, two_on_a_bridge, two_on_a_link};
    use crate::engine::udp::stream;

    fn c3() -> smoltcp::wire::Ipv4Address {
        "172.25.3.3".parse().unwrap()
    }

    #[test]
    fn a_world_stops_at_its_event_budget() {
        let mut w = two_on_a_bridge(true);
        w.set_budget(Budget {
            events: 50,
            ..Budget::default()
        });
        let r = stream(&mut w, NIC0, NIC1, c3(), 5001, 64, 1000);
        assert!(r.received < 1000, "{r:?}");
        assert_eq!(w.budget_exceeded(), Some(Exceeded::Events(50)));
        assert_eq!(w.events_run(), 50);
        assert!(!w.step(), "a stopped world runs nothing more");
    }

    #[test]
    fn a_world_stops_at_its_frames_in_flight() {
        // A slow link holds what is sent: the queue grows to the budget.
        let link = LinkConfig {
            delay: Duration::from_secs(1),
            ..LinkConfig::default()
        };
        let mut w = two_on_a_link(true, link);
        w.set_budget(Budget {
            in_flight: 20,
            ..Budget::default()
        });
        stream(&mut w, NIC0, NIC1, c3(), 5001, 64, 1000);
        assert_eq!(w.budget_exceeded(), Some(Exceeded::InFlight(20)));
        assert!(w.next_event_time().is_some());
    }

    #[test]
    fn a_world_stops_at_its_virtual_time_and_the_clock_with_it() {
        let mut w = two_on_a_bridge(true);
        let start = w.now();
        w.set_budget(Budget {
            time: Duration::from_secs(2),
            ..Budget::default()
        });
        w.advance_to(start + Duration::from_secs(2));
        assert_eq!(w.budget_exceeded(), None);
        w.run_until(start + Duration::from_secs(3600));
        assert_eq!(
            w.budget_exceeded(),
            Some(Exceeded::Time(Duration::from_secs(2)))
        );
        assert_eq!(w.now(), start + Duration::from_secs(2));
        // A paced program's time is not bounded.
        let mut w = two_on_a_bridge(true);
        w.unbounded_time();
        w.advance_to(start + Duration::from_secs(10 * 86_400));
        assert_eq!(w.budget_exceeded(), None);
        // A clock at its end has no day left.
        let mut w = crate::engine::World::new(1, "t", crate::time::MAX - Duration::from_secs(5));
        w.set_budget(Budget::default());
        assert_eq!(w.budget_exceeded(), Some(Exceeded::Time(DEFAULT_TIME)));
        let mut w = two_on_a_bridge(true);
        // What a program counts itself counts too.
        w.set_budget(Budget {
            events: 3,
            ..Budget::default()
        });
        w.charge(2);
        assert_eq!(w.budget_exceeded(), None);
        w.charge(2);
        assert_eq!(w.budget_exceeded(), Some(Exceeded::Events(3)));
    }

    #[test]
    fn messages_name_the_limit_and_its_variable() {
        assert_eq!(
            Exceeded::Events(50_000_000).to_string(),
            "the simulation stopped: more than 50000000 events in one command (VNET_MAX_EVENTS)"
        );
        assert_eq!(
            Exceeded::InFlight(100_000).to_string(),
            "the simulation stopped: more than 100000 frames in flight at once (VNET_MAX_IN_FLIGHT)"
        );
        assert_eq!(
            Exceeded::Time(DEFAULT_TIME).to_string(),
            "the simulation stopped: more than 24h0m0s of virtual time in one command (VNET_MAX_VIRTUAL_TIME)"
        );
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
        assert_eq!(seconds(Duration::from_secs(61)), "1m1s");
    }
}
