//! The `postgres` image's server, as far as a port check or a client's first step reaches:
//! it answers `SSLRequest` and `GSSENCRequest` with `N` (no encryption; the image's
//! default configuration has none) and a protocol 3.0 startup packet with the
//! authentication request the image's default `scram-sha-256` asks of a client on the
//! network (`AuthenticationSASL`). The authentication exchange itself is not simulated:
//! whatever the client sends next, the server closes the connection.
//!
//! PostgreSQL 17, "Frontend/Backend Protocol", Message Formats.

use crate::engine::tcp::{Reply, Server};
use crate::time::Instant;

const SSL_REQUEST: u32 = 80_877_103;
const GSSENC_REQUEST: u32 = 80_877_104;
const PROTOCOL_3_0: u32 = 196_608;

/// One client connection.
#[derive(Default)]
pub struct Postgres {
    pending: Vec<u8>,
    asked: bool,
}

impl Server for Postgres {
    fn receive(&mut self, _: Instant, data: &[u8], eof: bool, out: &mut Vec<u8>) -> Reply {
        if self.asked {
            return Reply::Close;
        }
        self.pending.extend_from_slice(data);
        loop {
            let Some(head) = self.pending.first_chunk::<8>() else {
                return if eof { Reply::Close } else { Reply::Open };
            };
            let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
            let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
            if !(8..=10_000).contains(&len) {
                return Reply::Close;
            }
            if self.pending.len() < len {
                return if eof { Reply::Close } else { Reply::Open };
            }
            self.pending.drain(..len);
            match code {
                SSL_REQUEST | GSSENC_REQUEST => out.push(b'N'),
                PROTOCOL_3_0 => {
                    let mech = b"SCRAM-SHA-256\0\0";
                    out.push(b'R');
                    out.extend_from_slice(&((8 + mech.len()) as u32).to_be_bytes());
                    out.extend_from_slice(&10u32.to_be_bytes());
                    out.extend_from_slice(mech);
                    self.asked = true;
                    return Reply::Open;
                }
                _ => return Reply::Close,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EPOCH;

    #[test]
    fn ssl_refused_then_sasl_asked() {
        let mut p = Postgres::default();
        let mut out = Vec::new();
        let mut ssl = 8u32.to_be_bytes().to_vec();
        ssl.extend_from_slice(&SSL_REQUEST.to_be_bytes());
        assert_eq!(p.receive(EPOCH, &ssl, false, &mut out), Reply::Open);
        assert_eq!(out, b"N");
        let body = b"user\0postgres\0\0";
        let mut start = ((8 + body.len()) as u32).to_be_bytes().to_vec();
        start.extend_from_slice(&PROTOCOL_3_0.to_be_bytes());
        start.extend_from_slice(body);
        out.clear();
        assert_eq!(p.receive(EPOCH, &start, false, &mut out), Reply::Open);
        assert_eq!(out, b"R\0\0\0\x17\0\0\0\x0aSCRAM-SHA-256\0\0");
        assert_eq!(p.receive(EPOCH, b"p", false, &mut out), Reply::Close);
    }
}
