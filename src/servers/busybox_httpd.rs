//! busybox's `httpd` serving a directory of a container's files: what `httpd -p 8080 -h /www`
//! started in a container answers (networking/httpd.c, `handle_incoming_and_exit` and
//! `send_file_and_exit`, with the features busybox's default configuration builds: ranges,
//! ETag, Last-Modified, Date, CGI).
//!
//! One request a connection, answered `HTTP/1.1` with `Connection: close`, as the child
//! process httpd forks for each client does. The request line and headers are read line by
//! line as `get_line` reads them (`\r` dropped, a line past 8191 bytes keeps its first 8190
//! and its last). The URL is percent-decoded strictly, cleaned of `.`/`..`/`//` (a `..`
//! above the root is 400); a directory URL gets `index.html`, a directory without the slash
//! is a 302 to it; `GET` and `HEAD` of a file send it with its type from httpd's suffix
//! table, `Range: bytes=N-M` a 206, a matching `If-None-Match` a 304, `Accept-Encoding: gzip`
//! the file's `.gz` beside it. As busybox does, a `HEAD` gets the body too, a 206 says
//! `Content-type: text/html`, and `httpd.conf` is forbidden.
//!
//! Served from the container's writable layer as it is when the command starts (what
//! `echo hi > /www/index.html` wrote). Not simulated, and answered as the failure httpd
//! would send: CGI scripts under `cgi-bin/` (no file of the layer is executable, so
//! httpd's `execv` fails: 404), `httpd.conf` directives, and the 60 s request timeout (a
//! client that never finishes its request keeps its connection). Docker's own files (`/etc/hosts`, ...)
//! are not among the files served.

use crate::docker::container::fs::{Layer, normalize};
use crate::engine::tcp::{Reply, Server};
use crate::time::Instant;
use std::rc::Rc;

/// httpd's `IOBUF_SIZE`: a line keeps at most one byte less.
const IOBUF_SIZE: usize = 8192;
/// `MAX_HTTP_HEADERS_SIZE`: the headers' lines together, past which the answer is 413.
const MAX_HTTP_HEADERS_SIZE: usize = 32 * 1024;

/// The files one httpd serves: its home directory (`-h`, absolute) in a container's layer.
pub struct Site {
    home: String,
    layer: Rc<Layer>,
}

/// What `stat()` finds at a path.
enum Stat {
    File,
    Dir,
    Missing,
}

impl Site {
    /// The site of an httpd started with home `home` (absolute) over `layer`.
    pub fn new(home: String, layer: Rc<Layer>) -> Site {
        Site { home, layer }
    }

    /// The absolute path of `rel`, a path relative to the home directory.
    fn path(&self, rel: &str) -> String {
        normalize(&self.home, rel)
    }

    fn stat(&self, rel: &str) -> Stat {
        let p = self.path(rel);
        if self.layer.is_dir(&p) {
            return Stat::Dir;
        }
        match self.layer.file(&p) {
            Some(_) => Stat::File,
            None => Stat::Missing,
        }
    }

    fn read(&self, rel: &str) -> Option<(&str, u64)> {
        let p = self.path(rel);
        Some((self.layer.file(&p)?, self.layer.mtime(&p)))
    }
}

/// The request methods httpd tells apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Head,
    Post,
    /// Another method (busybox with CGI lets any through to the CGI check, then 501).
    Other,
}

/// A request whose line was read and whose headers are being read.
struct Request {
    method: Method,
    /// The cleaned URL, `index.html` added to a directory's.
    url: String,
    /// Whether the URL named a directory (ended with `/`).
    dir_url: bool,
    query: Option<String>,
    /// `Location:` for a directory asked for without its slash.
    moved: Option<String>,
    /// Under `cgi-bin/`.
    cgi: bool,
    headers_len: usize,
    range: Option<(u64, u64)>,
    gzip: bool,
    if_none_match: Option<String>,
}

/// How far the connection got.
enum Phase {
    RequestLine,
    Headers(Box<Request>),
    Done,
}

/// One connection to busybox httpd.
pub struct BusyboxHttpd {
    site: Rc<Site>,
    line: Vec<u8>,
    phase: Phase,
}

impl BusyboxHttpd {
    /// A connection to the httpd serving `site`.
    pub fn new(site: Rc<Site>) -> BusyboxHttpd {
        BusyboxHttpd {
            site,
            line: Vec::new(),
            phase: Phase::RequestLine,
        }
    }

    /// Takes one line (without its `\n`); whether the answer was sent. httpd reads it as a C
    /// string (up to a NUL) but counts all its bytes towards `MAX_HTTP_HEADERS_SIZE`.
    fn line_done(&mut self, now: Instant, raw: &[u8], out: &mut Vec<u8>) -> bool {
        let text = raw.split(|b| *b == 0).next().unwrap_or_default();
        let line = &*String::from_utf8_lossy(text);
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::RequestLine => {
                // An empty first line (or nothing at all) gets no answer.
                if line.is_empty() {
                    return true;
                }
                match self.request_line(line) {
                    Ok(r) => {
                        self.phase = Phase::Headers(Box::new(r));
                        false
                    }
                    Err(status) => {
                        headers(now, status, None, out);
                        true
                    }
                }
            }
            Phase::Headers(mut r) => {
                if line.is_empty() {
                    self.answer(now, &r, out);
                    return true;
                }
                match header(&mut r, raw.len(), line) {
                    Ok(()) => {
                        self.phase = Phase::Headers(r);
                        false
                    }
                    Err(status) => {
                        headers(now, status, None, out);
                        true
                    }
                }
            }
            Phase::Done => true,
        }
    }

    /// `handle_incoming_and_exit` up to the headers: the method, the URL cleaned and looked
    /// up; the errors it answers at once.
    fn request_line(&self, line: &str) -> Result<Request, u16> {
        let (method, rest) = line.split_once(' ').ok_or(400u16)?;
        if !rest.starts_with('/') {
            return Err(400);
        }
        let (target, version) = rest.split_once(' ').ok_or(400u16)?;
        if !version.starts_with("HTTP/") {
            return Err(400);
        }
        let method = if method.eq_ignore_ascii_case("GET") {
            Method::Get
        } else if method.eq_ignore_ascii_case("HEAD") {
            Method::Head
        } else if method.eq_ignore_ascii_case("POST") {
            Method::Post
        } else {
            Method::Other
        };
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q.to_string())),
            None => (target, None),
        };
        let decoded = String::from_utf8_lossy(&percent_decode(path, true)?).into_owned();
        let url = canonical(&decoded).ok_or(400u16)?;
        let rel = url.strip_prefix('/').unwrap_or(&url);
        let mut r = Request {
            method,
            url: url.clone(),
            dir_url: url.ends_with('/'),
            query,
            moved: None,
            cgi: false,
            headers_len: 0,
            range: None,
            gzip: false,
            if_none_match: None,
        };
        if let Some(script) = rel.strip_prefix("cgi-bin/") {
            if script.is_empty() {
                return Err(403);
            }
            r.cgi = true;
        }
        if r.dir_url {
            r.url.push_str("index.html");
        }
        let rel = r.url.strip_prefix('/').unwrap_or(&r.url);
        match self.site.stat(rel) {
            Stat::Dir if !r.dir_url => r.moved = Some(url),
            // No index.html, and no cgi-bin/index.cgi (vnet runs no script).
            Stat::Missing if r.dir_url => return Err(404),
            _ => {}
        }
        Ok(r)
    }

    /// After the headers: the answer.
    fn answer(&self, now: Instant, r: &Request, out: &mut Vec<u8>) {
        let base = r.url.rsplit('/').next().unwrap_or("");
        // The URL without the added index.html, as httpd checks it.
        if !r.dir_url && base == "httpd.conf" {
            return headers(now, 403, None, out);
        }
        if let Some(to) = &r.moved {
            let q = r
                .query
                .as_deref()
                .map(|q| format!("?{q}"))
                .unwrap_or_default();
            return headers(now, 302, Some(&format!("{to}/{q}")), out);
        }
        if r.cgi {
            // execv fails: the layer's files are not executable (vnet has no chmod).
            return headers(now, 404, None, out);
        }
        if !matches!(r.method, Method::Get | Method::Head) {
            return headers(now, 501, None, out);
        }
        self.send_file(now, r, out);
    }

    /// `send_file_and_exit`.
    fn send_file(&self, now: Instant, r: &Request, out: &mut Vec<u8>) {
        let rel = r.url.strip_prefix('/').unwrap_or(&r.url);
        let gz = format!("{rel}.gz");
        let gzipped = r.gzip.then(|| self.site.read(&gz)).flatten();
        let Some((body, mtime)) = gzipped.or_else(|| self.site.read(rel)) else {
            return headers(now, 404, None, out);
        };
        let size = body.len() as u64;
        let etag = format!("\"{mtime:x}-{size:x}\"");
        if r.if_none_match
            .as_deref()
            .is_some_and(|m| m.contains(&etag))
        {
            return headers(now, 304, None, out);
        }
        let mime = mime_type(rel);
        let range = match r.range {
            Some((start, end)) if gzipped.is_none() && size > 0 => {
                let end = if end == 0 || end > size - 1 {
                    size - 1
                } else {
                    end
                };
                (start <= end).then_some((start, end))
            }
            _ => None,
        };
        let (status, from, len) = match range {
            Some((s, e)) => (206, s, e - s + 1),
            None => (200, 0, size),
        };
        let mut head = status_line(now, status);
        if status != 200 {
            head.push_str("Content-type: text/html\r\n");
        } else if let Some(m) = mime {
            head.push_str(&format!("Content-type: {m}\r\n"));
        }
        if let Some((s, e)) = range {
            head.push_str(&format!("Content-Range: bytes {s}-{e}/{size}\r\n"));
        }
        head.push_str(&format!(
            "Accept-Ranges: bytes\r\nLast-Modified: {}\r\nETag: {etag}\r\nContent-Length: {len}\r\n",
            Instant(mtime.saturating_mul(1_000_000)).http_date()
        ));
        if gzipped.is_some() {
            head.push_str("Content-Encoding: gzip\r\n");
        }
        head.push_str("\r\n");
        out.extend_from_slice(head.as_bytes());
        // Even for HEAD: busybox sends the body whatever the method.
        let from = usize::try_from(from).unwrap_or(usize::MAX);
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if let Some(b) = body.as_bytes().get(from..from.saturating_add(len)) {
            out.extend_from_slice(b);
        }
    }
}

/// The status's reason phrase and the line of text its page carries (`http_response`).
fn reason(status: u16) -> (&'static str, Option<&'static str>) {
    match status {
        200 => ("OK", None),
        206 => ("Partial Content", None),
        302 => ("Found", None),
        304 => ("Not Modified", None),
        400 => ("Bad Request", Some("Unsupported method")),
        403 => ("Forbidden", Some("")),
        404 => ("Not Found", Some("The requested URL was not found")),
        413 => ("Entity Too Large", Some("Entity Too Large")),
        501 => (
            "Not Implemented",
            Some("The requested method is not recognized"),
        ),
        _ => ("Internal Server Error", Some("Internal Server Error")),
    }
}

fn status_line(now: Instant, status: u16) -> String {
    format!(
        "HTTP/1.1 {status} {}\r\nDate: {}\r\nConnection: close\r\n",
        reason(status).0,
        now.http_date()
    )
}

/// `send_headers_and_exit`: an answer with no file (an error, a redirect, 304).
fn headers(now: Instant, status: u16, location: Option<&str>, out: &mut Vec<u8>) {
    let (name, info) = reason(status);
    let mut s = status_line(now, status);
    s.push_str("Content-type: text/html\r\n");
    if let Some(l) = location {
        s.push_str(&format!("Location: {l}\r\n"));
    }
    s.push_str("\r\n");
    if let Some(info) = info {
        s.push_str(&format!(
            "<HTML><HEAD><TITLE>{status} {name}</TITLE></HEAD>\n<BODY><H1>{status} {name}</H1>\n{info}\n</BODY></HTML>\n"
        ));
    }
    out.extend_from_slice(s.as_bytes());
}

/// One header line of the request (the ones httpd reads; others are skipped).
fn header(r: &mut Request, len: usize, line: &str) -> Result<(), u16> {
    r.headers_len += len;
    if r.headers_len >= MAX_HTTP_HEADERS_SIZE {
        return Err(413);
    }
    let Some((name, value)) = line.split_once(':') else {
        return Ok(());
    };
    let value = value.trim_start_matches([' ', '\t']);
    if r.method == Method::Post && name.eq_ignore_ascii_case("Content-Length") {
        // At most INT_MAX.
        if strtou(value).is_none_or(|n| n > i32::MAX as u64) {
            return Err(400);
        }
    } else if name.eq_ignore_ascii_case("Range") {
        // Another unit leaves an earlier range as it was.
        if let Some(s) = value.strip_prefix("bytes=") {
            r.range = range(s);
        }
    } else if name.eq_ignore_ascii_case("Accept-Encoding") {
        r.gzip |= value.contains("gzip");
    } else if name.eq_ignore_ascii_case("If-None-Match") {
        r.if_none_match = Some(value.to_string());
    }
    Ok(())
}

/// `bytes=N-[M]` as httpd reads it: `(N, M)`, M 0 when absent (to the end).
/// M is read whole (`bb_strtoull(s, NULL)`): `1-2,4-5` or `1-2x` is no range at all.
fn range(s: &str) -> Option<(u64, u64)> {
    let (start, end) = s.split_once('-')?;
    let start = strtou(start)?;
    if end.is_empty() {
        return Some((start, 0));
    }
    let end = strtou(end)?;
    (end >= start).then_some((start, end))
}

/// `bb_strtou` on a whole word: digits only (no sign), the number if it fits.
fn strtou(s: &str) -> Option<u64> {
    s.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| s.parse::<u64>().ok())
        .flatten()
}

/// libbb's `percent_decode_in_place`: `%XX` decoded. Strict (a URL): a bad `%XX` is 400,
/// an encoded `/` or NUL 404. Not strict (`httpd -d`): `+` is a space, a bad `%` stays.
pub fn percent_decode(s: &str, strict: bool) -> Result<Vec<u8>, u16> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += 1;
        if !strict && c == b'+' {
            out.push(b' ');
            continue;
        }
        if c != b'%' {
            out.push(c);
            continue;
        }
        let hex = |k: usize| b.get(k).and_then(|h| (*h as char).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(i), hex(i + 1)) else {
            if strict {
                return Err(400);
            }
            out.push(b'%');
            continue;
        };
        let v = (hi * 16 + lo) as u8;
        if strict && (v == b'/' || v == 0) {
            return Err(404);
        }
        out.push(v);
        i += 2;
    }
    Ok(out)
}

/// httpd's path cleaning: repeated slashes and `.` gone, `..` taking the directory before
/// it (`None` above the root), a trailing slash kept (and made by a last `.` or `..`).
fn canonical(url: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    let mut slash = url.ends_with('/');
    for p in url.split('/') {
        slash = match p {
            "" => continue,
            "." => true,
            ".." => {
                parts.pop()?;
                true
            }
            p => {
                parts.push(p);
                false
            }
        };
    }
    slash |= url.ends_with('/');
    let mut s = format!("/{}", parts.join("/"));
    if slash && !s.ends_with('/') {
        s.push('/');
    }
    Some(s)
}

/// The `Content-type` of a file by its suffix (the last `.` of its path), from httpd's
/// built-in table: the first group holding the suffix decides, matched or not.
fn mime_type(path: &str) -> Option<&'static str> {
    const TABLE: [(&str, &str); 15] = [
        (".txt.h.c.cc.cpp", "text/plain"),
        (".htm.html", "text/html"),
        (".jpg.jpeg", "image/jpeg"),
        (".gif", "image/gif"),
        (".png", "image/png"),
        (".svg", "image/svg+xml"),
        (".css", "text/css"),
        (".js", "application/javascript"),
        (".wav", "audio/wav"),
        (".avi", "video/x-msvideo"),
        (".qt.mov", "video/quicktime"),
        (".mpe.mpeg", "video/mpeg"),
        (".mid.midi", "audio/midi"),
        (".mp3", "audio/mpeg"),
        ("", ""),
    ];
    let suffix = path.get(path.rfind('.')?..)?;
    for (group, mime) in TABLE.iter().take(14) {
        let Some(at) = group.find(suffix) else {
            continue;
        };
        let next = group.as_bytes().get(at + suffix.len());
        return matches!(next, None | Some(b'.')).then_some(*mime);
    }
    None
}

impl Server for BusyboxHttpd {
    fn receive(&mut self, now: Instant, data: &[u8], eof: bool, out: &mut Vec<u8>) -> Reply {
        for &c in data {
            if matches!(self.phase, Phase::Done) {
                return Reply::Close;
            }
            match c {
                b'\r' => {}
                b'\n' => {
                    let line = std::mem::take(&mut self.line);
                    if self.line_done(now, &line, out) {
                        self.phase = Phase::Done;
                        return Reply::Close;
                    }
                }
                c if self.line.len() < IOBUF_SIZE - 1 => self.line.push(c),
                // get_line keeps the first IOBUF_SIZE-1 bytes: the byte it overwrites past
                // them becomes the line's NUL.
                _ => {}
            }
        }
        if eof {
            // The end of the input ends a line, and then the headers.
            if !matches!(self.phase, Phase::Done) {
                let line = std::mem::take(&mut self.line);
                if !self.line_done(now, &line, out) {
                    self.line_done(now, b"", out);
                }
            }
            self.phase = Phase::Done;
            return Reply::Close;
        }
        Reply::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EPOCH;

    fn site() -> Rc<Site> {
        let mut l = Layer::default();
        l.mkdir("/www/sub", true, 0).unwrap();
        l.write("/www/index.html", "hi\n", false, 1_767_225_600, 0)
            .unwrap();
        l.write("/www/sub/a.txt", "data\n", false, 1_767_225_600, 0)
            .unwrap();
        l.write("/www/httpd.conf", "", false, 1_767_225_600, 0)
            .unwrap();
        Rc::new(Site::new("/www".into(), Rc::new(l)))
    }

    fn ask(request: &str) -> String {
        let mut s = BusyboxHttpd::new(site());
        let mut out = Vec::new();
        let r = s.receive(EPOCH, request.as_bytes(), false, &mut out);
        if r == Reply::Open {
            s.receive(EPOCH, b"", true, &mut out);
        }
        String::from_utf8(out).unwrap()
    }

    const DATE: &str = "Date: Thu, 01 Jan 2026 00:00:00 GMT\r\nConnection: close\r\n";

    #[test]
    fn files_come_with_busybox_headers() {
        assert_eq!(
            ask("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
            format!(
                "HTTP/1.1 200 OK\r\n{DATE}Content-type: text/html\r\nAccept-Ranges: bytes\r\nLast-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\nETag: \"6955b900-3\"\r\nContent-Length: 3\r\n\r\nhi\n"
            )
        );
        // HEAD gets the body too; a query is not part of the path.
        assert!(ask("HEAD /sub/a.txt?x=1 HTTP/1.0\r\n\r\n").ends_with("text/plain\r\nAccept-Ranges: bytes\r\nLast-Modified: Thu, 01 Jan 2026 00:00:00 GMT\r\nETag: \"6955b900-5\"\r\nContent-Length: 5\r\n\r\ndata\n"));
        let partial = ask("GET /sub/a.txt HTTP/1.0\r\nRange: bytes=1-2\r\n\r\n");
        assert!(
            partial.starts_with("HTTP/1.1 206 Partial Content\r\n"),
            "{partial}"
        );
        assert!(partial.contains("Content-type: text/html\r\nContent-Range: bytes 1-2/5\r\n"));
        assert!(partial.ends_with("Content-Length: 2\r\n\r\nat"));
        assert!(
            ask("GET / HTTP/1.0\r\nIf-None-Match: \"6955b900-3\"\r\n\r\n")
                .starts_with("HTTP/1.1 304 Not Modified\r\n")
        );
    }

    #[test]
    fn errors_and_redirects_are_busybox_pages() {
        assert_eq!(
            ask("GET /sub?q HTTP/1.0\r\n\r\n"),
            format!(
                "HTTP/1.1 302 Found\r\n{DATE}Content-type: text/html\r\nLocation: /sub/?q\r\n\r\n"
            )
        );
        assert_eq!(
            ask("GET /sub/ HTTP/1.0\r\n\r\n"),
            format!(
                "HTTP/1.1 404 Not Found\r\n{DATE}Content-type: text/html\r\n\r\n<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n"
            )
        );
        for (req, status) in [
            ("GET /nope HTTP/1.0", "404"),
            ("POST / HTTP/1.0", "501"),
            ("GET /../x HTTP/1.0", "400"),
            ("GET / FOO", "400"),
            ("BLAH", "400"),
            ("GET /a%2Fb HTTP/1.0", "404"),
            ("GET /a%zz HTTP/1.0", "400"),
            ("GET /httpd.conf HTTP/1.0", "403"),
            ("GET /cgi-bin/ HTTP/1.0", "403"),
            ("GET /cgi-bin/x HTTP/1.0", "404"),
        ] {
            let a = ask(&format!("{req}\r\n\r\n"));
            assert!(a.starts_with(&format!("HTTP/1.1 {status} ")), "{req}: {a}");
        }
        // Nothing but an empty line gets no answer at all.
        assert_eq!(ask("\r\n"), "");
        // A line keeps 8191 bytes: one long header is not too much, five are.
        let long = format!("X: {}\r\n", "y".repeat(40_000));
        assert!(ask(&format!("GET / HTTP/1.0\r\n{long}\r\n")).starts_with("HTTP/1.1 200 "));
        let many = long.repeat(5);
        assert!(ask(&format!("GET / HTTP/1.0\r\n{many}\r\n")).starts_with("HTTP/1.1 413 "));
    }

    #[test]
    fn paths_and_types_as_httpd_reads_them() {
        assert_eq!(canonical("/a//b/./c/../").as_deref(), Some("/a/b/"));
        assert_eq!(canonical("/a/b/..").as_deref(), Some("/a/"));
        assert_eq!(canonical("/a/.").as_deref(), Some("/a/"));
        assert_eq!(canonical("/.."), None);
        assert_eq!(mime_type("index.html"), Some("text/html"));
        assert_eq!(mime_type("x.h"), Some("text/plain"));
        assert_eq!(mime_type("x.cs"), None);
        assert_eq!(mime_type("x.t"), None);
        assert_eq!(mime_type("a.dir/f"), None);
        assert_eq!(range("5-"), Some((5, 0)));
        assert_eq!(range("-5"), None);
        assert_eq!(range("3-1"), None);
        assert_eq!(percent_decode("/a%20b", true), Ok(b"/a b".to_vec()));
        assert_eq!(percent_decode("/a%2f", true), Err(404));
        assert_eq!(percent_decode("/a%zz", true), Err(400));
        assert_eq!(
            percent_decode("a%41+b%zz%4", false),
            Ok(b"aA b%zz%4".to_vec())
        );
    }
}
