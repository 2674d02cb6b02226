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
//!
//! A [`Sniffer`] is what a program capturing in a container (`tcpdump -i eth0`) sees: the
//! frames one NIC sends and receives, as the kernel hands a packet socket a copy of each
//! (`AF_PACKET`), kept whole for the program to filter and print. Its buffer is bounded, as
//! the kernel's is: what passes it is counted as dropped.

use super::{NicId, clock, trace};
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

/// A frame a [`Sniffer`] saw, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sniffed {
    /// When the NIC sent or received it.
    pub at: Instant,
    /// The Ethernet frame.
    pub frame: Vec<u8>,
}

/// The most frame bytes a sniffer holds between two reads of it (libpcap's buffer on
/// Linux is 2 MiB; a command's frames fit many times over): past it frames are counted as
/// dropped, as the kernel counts what a full packet socket could not take.
pub const SNIFF_BYTES: usize = 16 << 20;

/// A copy of every frame one NIC sends or receives (a packet socket bound to it).
#[derive(Debug)]
pub struct Sniffer {
    nic: NicId,
    frames: Vec<Sniffed>,
    bytes: usize,
    dropped: u64,
}

impl Sniffer {
    /// The frames seen so far, in order, and how many did not fit.
    pub fn seen(&self) -> (&[Sniffed], u64) {
        (&self.frames, self.dropped)
    }
}

/// The taps of a world: a tracer, a capture, both or neither; each frame goes to the tracer
/// first. Sniffers are apart: they see a NIC's frames, not a bridge port's.
#[derive(Debug, Default)]
pub struct Taps {
    tracer: Option<Tracer>,
    pcap: Option<PcapWriter>,
    sniffers: Vec<Sniffer>,
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

    /// Starts a sniffer on NIC `nic`; returns its index.
    pub fn sniff(&mut self, nic: NicId) -> usize {
        self.sniffers.push(Sniffer {
            nic,
            frames: Vec::new(),
            bytes: 0,
            dropped: 0,
        });
        self.sniffers.len() - 1
    }

    /// Whether a sniffer is on (each frame a NIC sends or receives is then offered to
    /// [`Taps::sniffed`]).
    #[inline(always)]
    pub fn sniffing(&self) -> bool {
        !self.sniffers.is_empty()
    }

    /// NIC `nic` sent or received `frame` at `at`: a copy for each sniffer on it.
    #[cold]
    pub fn sniffed(&mut self, at: Instant, nic: NicId, frame: &[u8]) {
        for s in self.sniffers.iter_mut().filter(|s| s.nic == nic) {
            if s.bytes + frame.len() > SNIFF_BYTES {
                s.dropped += 1;
                continue;
            }
            s.bytes += frame.len();
            s.frames.push(Sniffed {
                at,
                frame: frame.to_vec(),
            });
        }
    }

    /// Takes the frames sniffer `i` holds, making room for more.
    pub fn take(&mut self, i: usize) -> Vec<Sniffed> {
        let Some(s) = self.sniffers.get_mut(i) else {
            return Vec::new();
        };
        s.bytes = 0;
        std::mem::take(&mut s.frames)
    }

    /// Sniffer `i`, if there is one.
    pub fn sniffer(&self, i: usize) -> Option<&Sniffer> {
        self.sniffers.get(i)
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
