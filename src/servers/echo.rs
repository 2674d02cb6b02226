//! An echo server (RFC 862's TCP echo service, as `socat TCP-LISTEN:PORT,fork EXEC:cat` or
//! an image built for a lab runs it): every byte a client sends comes back; the server closes
//! when the client has.

use crate::engine::tcp::{Reply, Server};
use crate::time::Instant;

/// One client connection.
#[derive(Default)]
pub struct Echo;

impl Server for Echo {
    fn receive(&mut self, _: Instant, data: &[u8], eof: bool, out: &mut Vec<u8>) -> Reply {
        out.extend_from_slice(data);
        if eof { Reply::Close } else { Reply::Open }
    }
}

/// A listener that reads and answers nothing, closing when the client has (`nc -l` whose
/// output nobody sees).
#[derive(Default)]
pub struct Sink;

impl Server for Sink {
    fn receive(&mut self, _: Instant, _: &[u8], eof: bool, _: &mut Vec<u8>) -> Reply {
        if eof { Reply::Close } else { Reply::Open }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_until_the_client_closes() {
        let mut e = Echo;
        let mut out = Vec::new();
        assert_eq!(e.receive(Instant(0), b"hi\n", false, &mut out), Reply::Open);
        assert_eq!(out, b"hi\n");
        assert_eq!(e.receive(Instant(0), b"", true, &mut out), Reply::Close);
    }
}
