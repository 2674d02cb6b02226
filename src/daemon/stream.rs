//! Hijacked streams: the `101 UPGRADED` answer of `POST /containers/{id}/attach` and
//! `POST /exec/{id}/start`, after which the connection carries the process's output (and
//! the client's input) instead of HTTP.
//!
//! Mirrors moby v28.2.2 `api/server/router/container/exec.go` and `container_routes.go`
//! (`postContainerExecStart`, `postContainersAttach`: the upgrade headers and the two
//! content types), `pkg/stdcopy/stdcopy.go` (the 8-byte multiplex header a stream without a
//! TTY is framed with) and a pseudo-terminal's output (stdout and stderr merged, lines ended
//! in CRLF); engine-api.md describes what the clients read.

use super::conn::{Busy, ClientGone};
use super::http::{self, Reply};
use crate::busybox::applet::{Terminal, pace_wall_clock};
use bytes::{Buf, Bytes};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::UnixStream;

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

/// What a hijacking route takes from its request before it answers `101`: hyper's upgrade
/// handle, a [`Busy`] mark that keeps the connection from being taken for idle while the
/// stream lives, and the request's [`ClientGone`].
pub(crate) struct Upgrade {
    on: OnUpgrade,
    busy: Option<Busy>,
    gone: ClientGone,
}

impl Upgrade {
    /// Takes the upgrade of `req` (before its body is read).
    pub(crate) fn take(req: &mut hyper::Request<Incoming>) -> Upgrade {
        Upgrade {
            busy: Busy::of(req),
            gone: ClientGone::of(req),
            on: hyper::upgrade::on(req),
        }
    }

    /// Set once the client of the stream has gone (see [`ClientGone`]).
    pub(crate) fn client_gone(&self) -> &ClientGone {
        &self.gone
    }
}

/// A hijacked connection, as its session reads and writes it: what hyper had read past the
/// request first, then the socket. A write that fails, or a read that fails other than at
/// the end of the client's input, sets the [`ClientGone`].
pub(crate) struct Hijacked {
    rest: Bytes,
    io: Arc<UnixStream>,
    gone: ClientGone,
}

impl Hijacked {
    fn failed<T>(&self, r: io::Result<T>) -> io::Result<T> {
        if r.is_err() {
            self.gone.set();
        }
        r
    }
}

impl AsyncRead for Hijacked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        if me.rest.has_remaining() {
            let n = me.rest.len().min(buf.remaining());
            buf.put_slice(&me.rest.split_to(n));
            return Poll::Ready(Ok(()));
        }
        loop {
            let ready = ready!(me.io.poll_read_ready(cx));
            me.failed(ready)?;
            match me.io.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(me.failed(Err(e))),
            }
        }
    }
}

impl AsyncWrite for Hijacked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        loop {
            let ready = ready!(me.io.poll_write_ready(cx));
            me.failed(ready)?;
            match me.io.try_write(data) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(me.failed(r)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r =
            rustix::net::shutdown(&*self.io, rustix::net::Shutdown::Write).map_err(io::Error::from);
        Poll::Ready(self.failed(r))
    }
}

/// Sets `gone` once the client has closed the connection altogether (the socket hangs up;
/// the end of its input alone does not), looking every 100 ms; never returns.
async fn watch_hangup(io: Arc<UnixStream>, gone: ClientGone) {
    use rustix::event::{PollFd, PollFlags};
    let zero = rustix::event::Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    while !gone.is_gone() {
        tick.tick().await;
        let mut fds = [PollFd::new(&*io, PollFlags::empty())];
        if rustix::event::poll(&mut fds, Some(&zero)).is_ok()
            && fds[0].revents().intersects(PollFlags::HUP | PollFlags::ERR)
        {
            gone.set();
        }
    }
    std::future::pending::<()>().await
}

/// Answers `101` (`Connection: Upgrade`, `Upgrade: tcp`, the output's content type) and,
/// once hyper hands the connection over, runs `session` on it, while the connection is
/// watched for the client hanging up (see [`ClientGone`]).
pub(crate) fn hijack<F, Fut>(upgrade: Upgrade, output: Output, session: F) -> Reply
where
    F: FnOnce(Hijacked) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let Upgrade { on, busy, gone } = upgrade;
        let _busy = busy;
        let parts = match on.await {
            Ok(upgraded) => upgraded.downcast::<TokioIo<UnixStream>>(),
            Err(_) => {
                gone.set();
                return;
            }
        };
        // The daemon serves unix sockets only: anything else is not served.
        let Ok(parts) = parts else {
            gone.set();
            return;
        };
        let io = Arc::new(parts.io.into_inner());
        // docker-py reads frames from the socket under its buffered HTTP reader and loses
        // bytes that arrive together with the 101 (docker/docker-py#3332).
        tokio::time::sleep(Duration::from_millis(20)).await;
        let hijacked = Hijacked {
            rest: parts.read_buf,
            io: io.clone(),
            gone: gone.clone(),
        };
        tokio::select! {
            _ = session(hijacked) => {}
            _ = watch_hangup(io, gone) => {}
        }
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
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn pair() -> (Hijacked, UnixStream, ClientGone) {
        let (server, client) = UnixStream::pair().unwrap();
        let gone = ClientGone::default();
        let h = Hijacked {
            rest: Bytes::from_static(b"read "),
            io: Arc::new(server),
            gone: gone.clone(),
        };
        (h, client, gone)
    }

    #[tokio::test]
    async fn a_hijacked_stream_reads_what_hyper_kept_first() {
        let (mut h, mut client, gone) = pair();
        client.write_all(b"ahead").await.unwrap();
        client.shutdown().await.unwrap();
        let mut got = String::new();
        h.read_to_string(&mut got).await.unwrap();
        assert_eq!(got, "read ahead");
        h.write_all(b"out").await.unwrap();
        h.shutdown().await.unwrap();
        let mut out = String::new();
        client.read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "out");
        // The end of the client's input is not the client going.
        assert!(!gone.is_gone());
    }

    #[tokio::test]
    async fn the_client_is_gone_when_it_hangs_up_not_when_its_input_ends() {
        let (h, mut client, gone) = pair();
        let watch = tokio::spawn(watch_hangup(h.io.clone(), gone.clone()));
        client.shutdown().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!gone.is_gone(), "half-closed: still there");
        drop(client);
        tokio::time::timeout(Duration::from_secs(5), gone.gone())
            .await
            .expect("hung up: gone");
        watch.abort();
        // A write to a client that has gone fails, and says so.
        let (mut h, client, gone) = pair();
        drop(client);
        assert!(h.write_all(&[0u8; 1 << 16]).await.is_err());
        assert!(gone.is_gone());
    }

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
