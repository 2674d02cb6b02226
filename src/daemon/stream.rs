//! Hijacked streams: the `101 UPGRADED` answer of `POST /containers/{id}/attach` and
//! `POST /exec/{id}/start`, after which the connection carries the process's output (and
//! the client's input) instead of HTTP.
//!
//! Mirrors moby v28.2.2 `api/server/router/container/exec.go` and `container_routes.go`
//! (`postContainerExecStart`, `postContainersAttach`: the upgrade headers and the two
//! content types), `pkg/stdcopy/stdcopy.go` (the 8-byte multiplex header a stream without a
//! TTY is framed with) and a pseudo-terminal's output (stdout and stderr merged, lines ended
//! in CRLF); engine-api.md describes what the clients read.

use super::http::{self, Reply};
use crate::busybox::applet::{Terminal, pace_wall_clock};
use hyper::header::{self, HeaderValue};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::time::Duration;

/// How a process's output reaches the client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output {
    /// Through a pseudo-terminal: stdout and stderr share it, lines end in CRLF.
    pub tty: bool,
    /// Raw bytes (`application/vnd.docker.raw-stream`) rather than stdcopy frames
    /// (`application/vnd.docker.multiplexed-stream`).
    pub raw: bool,
    /// stdout is wanted.
    pub stdout: bool,
    /// stderr is wanted.
    pub stderr: bool,
}

impl Output {
    /// The bytes the client reads for this output: with a pseudo-terminal the wanted
    /// streams merged with CRLF line ends (in one stdout frame unless raw), without one each
    /// wanted stream that is not empty (raw, or in a frame of its own).
    pub fn encode(&self, stdout: &str, stderr: &str) -> Vec<u8> {
        let mut out = Vec::new();
        if self.tty {
            let mut text = String::new();
            if self.stdout {
                text.push_str(stdout);
            }
            if self.stderr {
                text.push_str(stderr);
            }
            let text = text.replace('\n', "\r\n");
            if !text.is_empty() {
                if self.raw {
                    out.extend_from_slice(text.as_bytes());
                } else {
                    out.extend(frame(1, text.as_bytes()));
                }
            }
        } else {
            for (wanted, stream, text) in [(self.stdout, 1u8, stdout), (self.stderr, 2u8, stderr)] {
                if !wanted || text.is_empty() {
                    continue;
                }
                if self.raw {
                    out.extend_from_slice(text.as_bytes());
                } else {
                    out.extend(frame(stream, text.as_bytes()));
                }
            }
        }
        out
    }

    /// The stream's `Content-Type`.
    pub fn content_type(&self) -> &'static str {
        if self.raw {
            "application/vnd.docker.raw-stream"
        } else {
            "application/vnd.docker.multiplexed-stream"
        }
    }
}

/// A running exec's terminal on a hijacked connection: what the command prints goes to
/// the connection's writer through a channel as it is produced; the client going away (the
/// writer fails, and so drops the channel's end) interrupts the command.
pub(crate) struct StreamTerminal {
    tx: tokio::sync::mpsc::Sender<String>,
    opened: std::time::Instant,
}

impl StreamTerminal {
    /// A terminal, and the receiving end its output comes out of.
    pub(crate) fn open() -> (StreamTerminal, tokio::sync::mpsc::Receiver<String>) {
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        let t = StreamTerminal {
            tx,
            opened: std::time::Instant::now(),
        };
        (t, rx)
    }
}

impl Terminal for StreamTerminal {
    fn write(&self, s: &str) {
        // Blocks while the client reads slowly; fails once the writer has gone.
        let _ = self.tx.blocking_send(s.to_string());
    }

    fn interrupted(&self) -> bool {
        self.tx.is_closed()
    }

    fn pace(&self, elapsed: crate::time::Duration) {
        pace_wall_clock(self.opened, elapsed, &|| self.interrupted());
    }
}

/// stdcopy's frame: `[stream, 0, 0, 0, len_be32]` and the bytes.
pub(crate) fn frame(stream: u8, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(8 + data.len());
    v.extend_from_slice(&[stream, 0, 0, 0]);
    v.extend_from_slice(&(data.len() as u32).to_be_bytes());
    v.extend_from_slice(data);
    v
}

/// Answers `101` (`Connection: Upgrade`, `Upgrade: tcp`, the output's content type) and,
/// once hyper hands the connection over, runs `session` on it.
pub(crate) fn hijack<F, Fut>(on_upgrade: OnUpgrade, output: Output, session: F) -> Reply
where
    F: FnOnce(TokioIo<Upgraded>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        // docker-py reads frames from the socket under its buffered HTTP reader and loses
        // bytes that arrive together with the 101 (docker/docker-py#3332).
        tokio::time::sleep(Duration::from_millis(20)).await;
        session(TokioIo::new(upgraded)).await;
    });
    let mut r = http::status(101);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(output.content_type()),
    );
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    r
}

/// Reads and drops what a hijacked connection's client still sends, until it closes (at
/// most 5 s): closing a unix socket with unread data resets the peer, which the docker CLI
/// reports as `connection reset by peer`.
pub(crate) async fn drain(rd: &mut (impl tokio::io::AsyncRead + Unpin)) {
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while matches!(
            tokio::io::AsyncReadExt::read(rd, &mut sink).await,
            Ok(n) if n > 0
        ) {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdcopy_and_tty_output() {
        let out = |tty, raw| Output {
            tty,
            raw,
            stdout: true,
            stderr: true,
        };
        assert_eq!(frame(2, b"ab"), [2, 0, 0, 0, 0, 0, 0, 2, b'a', b'b']);
        assert_eq!(
            out(false, false).encode("o\n", "e\n"),
            [&frame(1, b"o\n")[..], &frame(2, b"e\n")[..]].concat()
        );
        assert_eq!(out(false, true).encode("o\n", "e\n"), b"o\ne\n");
        assert_eq!(out(true, true).encode("o\n", "e\n"), b"o\r\ne\r\n");
        assert_eq!(out(true, false).encode("o\n", ""), frame(1, b"o\r\n"));
        assert!(out(true, false).encode("", "").is_empty());
        let quiet = Output {
            stdout: false,
            ..out(false, false)
        };
        assert_eq!(quiet.encode("o", "e"), frame(2, b"e"));
    }
}
