//! Taps on a world's ports: what sees the frames without touching them.
//!
//! Shaped like smoltcp's `phy::Tracer` and `phy::PcapWriter`, which wrap a device and see each
//! frame that crosses it with its timestamp: here a [`Tap`] wraps every port of the world and
//! sees each frame where it enters its bridge (and on a container's loopback), with the time
//! and the port's name. [`Tracer`] keeps a tcpdump-like line per frame ([`trace::summary`]);
//! [`PcapWriter`] keeps a pcapng file ([`trace::Pcapng`]) with one interface per port.
//!
//! With no tap on, a frame costs one test of [`Taps::is_on`], and the port's name is never
//! built.

use super::{clock, trace};
use crate::time::Instant;

/// Something that sees frames cross a port.
pub trait Tap {
    /// A frame crossed port `port` at `at`.
    fn frame(&mut self, at: Instant, port: &str, frame: &[u8]);
}

/// tcpdump-like lines: `HH:MM:SS.ffffff PORT > SUMMARY`.
#[derive(Debug, Default)]
pub struct Tracer {
    lines: Vec<String>,
}

impl Tracer {
    /// The lines so far.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

impl Tap for Tracer {
    fn frame(&mut self, at: Instant, port: &str, frame: &[u8]) {
        self.lines
            .push(format!("{} {port} > {}", clock(at), trace::summary(frame)));
    }
}

/// A pcapng capture, one interface per port (named after it).
#[derive(Debug, Default)]
pub struct PcapWriter {
    file: trace::Pcapng,
}

impl PcapWriter {
    /// The capture file.
    pub fn bytes(&self) -> Vec<u8> {
        self.file.bytes()
    }
}

impl Tap for PcapWriter {
    fn frame(&mut self, at: Instant, port: &str, frame: &[u8]) {
        let i = self.file.interface(port);
        self.file.record(i, at.as_micros(), frame);
    }
}

/// The taps of a world: a tracer, a capture, both or neither; each frame goes to the tracer
/// first.
#[derive(Debug, Default)]
pub struct Taps {
    tracer: Option<Tracer>,
    pcap: Option<PcapWriter>,
}

impl Taps {
    /// Turns the tracer on.
    pub fn trace(&mut self) {
        self.tracer = Some(Tracer::default());
    }

    /// Turns the capture on.
    pub fn capture(&mut self) {
        self.pcap = Some(PcapWriter::default());
    }

    /// Whether any tap is on.
    #[inline(always)]
    pub fn is_on(&self) -> bool {
        self.tracer.is_some() || self.pcap.is_some()
    }

    /// The tracer, if on.
    pub fn tracer(&self) -> Option<&Tracer> {
        self.tracer.as_ref()
    }

    /// The capture, if on.
    pub fn pcap(&self) -> Option<&PcapWriter> {
        self.pcap.as_ref()
    }

    /// A frame that was about to leave by `port` at `at` was dropped, for `why`: a line for
    /// the tracer (the capture records only frames that crossed).
    pub fn dropped(&mut self, at: Instant, port: &str, frame: &[u8], why: &str) {
        if let Some(t) = &mut self.tracer {
            t.lines.push(format!(
                "{} {port} > {}, dropped: {why}",
                clock(at),
                trace::summary(frame)
            ));
        }
    }
}

impl Tap for Taps {
    fn frame(&mut self, at: Instant, port: &str, frame: &[u8]) {
        if let Some(t) = &mut self.tracer {
            t.frame(at, port, frame);
        }
        if let Some(p) = &mut self.pcap {
            p.frame(at, port, frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_see_frames_in_order() {
        let mut taps = Taps::default();
        assert!(!taps.is_on());
        taps.frame(Instant(1), "n c1.eth0", &[0; 42]);
        assert!(taps.tracer().is_none() && taps.pcap().is_none());
        taps.trace();
        taps.capture();
        assert!(taps.is_on());
        taps.frame(Instant(3_600_000_001), "n c1.eth0", &[0; 10]);
        assert_eq!(
            taps.tracer().unwrap().lines(),
            ["01:00:00.000001 n c1.eth0 > malformed frame, length 10"]
        );
        let pcap = taps.pcap().unwrap().bytes();
        let mut file = trace::Pcapng::default();
        let i = file.interface("n c1.eth0");
        file.record(i, 3_600_000_001, &[0; 10]);
        assert_eq!(pcap, file.bytes());
    }
}
