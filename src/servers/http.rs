//! The web servers of the `nginx` and `httpd` images, serving the page each image ships
//! (HTTP/1.1, RFC 9112): `GET` and `HEAD` of `/` and `/index.html` give the default page
//! with the headers the server sends; any other path is its 404 page, any other method its
//! 405; a request it cannot read is its 400. Connections stay open between requests
//! (HTTP/1.1) unless the client asks to close or speaks HTTP/1.0, as both servers do.
//!
//! nginx 1.27.3 (`html/index.html`, its `ngx_http_special_response.c` error pages) and
//! Apache httpd 2.4.62 (`htdocs/index.html`, `modules/http/http_protocol.c` error pages).

use crate::engine::tcp::{Reply, Server};
use crate::time::Instant;

/// The most a request's head may take (nginx's `large_client_header_buffers` 8k).
const MAX_HEAD: usize = 8 * 1024;

/// Which server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// nginx.
    Nginx,
    /// Apache httpd.
    Httpd,
}

const NGINX: &str = "nginx/1.27.3";
const HTTPD: &str = "Apache/2.4.62 (Unix)";

/// nginx's `/usr/share/nginx/html/index.html` (615 bytes).
pub const NGINX_INDEX: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href=\"http://nginx.org/\">nginx.org</a>.<br/>
Commercial support is available at
<a href=\"http://nginx.com/\">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

/// httpd's `/usr/local/apache2/htdocs/index.html` (45 bytes).
pub const HTTPD_INDEX: &str = "<html><body><h1>It works!</h1></body></html>\n";

/// When the image's page was written (its `Last-Modified`), seconds since the epoch.
const NGINX_MTIME: u64 = 1_732_636_500;
const HTTPD_MTIME: u64 = 1_184_875_258;

/// One connection to the server.
pub struct Http {
    flavor: Flavor,
    /// What arrived and is not yet a whole request.
    pending: Vec<u8>,
}

impl Http {
    /// A connection to `flavor`'s server.
    pub fn new(flavor: Flavor) -> Http {
        Http {
            flavor,
            pending: Vec::new(),
        }
    }
}

/// A request's head, as far as the server reads it.
struct Request {
    method: String,
    path: String,
    /// Whether the connection stays open after the answer.
    keep_alive: bool,
}

/// Reads a request head (the lines before the empty one); `None` if it is not HTTP.
fn parse(head: &str) -> Option<Request> {
    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut words = lines.next()?.split(' ');
    let method = words.next()?.to_string();
    let target = words.next()?.to_string();
    let version = words.next()?;
    if words.next().is_some() || method.is_empty() || !target.starts_with('/') {
        return None;
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return None,
    };
    let mut keep_alive = http11;
    let mut host = false;
    for l in lines {
        let (name, value) = l.split_once(':')?;
        host |= name.eq_ignore_ascii_case("host");
        if name.eq_ignore_ascii_case("connection") {
            let v = value.trim();
            if v.eq_ignore_ascii_case("close") {
                keep_alive = false;
            } else if v.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            }
        }
    }
    // HTTP/1.1 requires Host (RFC 9112 3.2): both servers answer 400 without it.
    if http11 && !host {
        return None;
    }
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    Some(Request {
        method,
        path,
        keep_alive,
    })
}

impl Http {
    /// The answer to one request (`None`: one the server could not read).
    fn answer(&self, now: Instant, req: Option<&Request>, out: &mut Vec<u8>) {
        let (status, keep_alive) = match req {
            None => (400, false),
            Some(r) if !matches!(r.method.as_str(), "GET" | "HEAD") => (405, r.keep_alive),
            Some(r) if matches!(r.path.as_str(), "/" | "/index.html") => (200, r.keep_alive),
            Some(r) => (404, r.keep_alive),
        };
        let head_only = req.is_some_and(|r| r.method == "HEAD");
        let (body, mtime) = match (status, self.flavor) {
            (200, Flavor::Nginx) => (NGINX_INDEX.to_string(), Some(NGINX_MTIME)),
            (200, Flavor::Httpd) => (HTTPD_INDEX.to_string(), Some(HTTPD_MTIME)),
            (_, Flavor::Nginx) => (nginx_error(status), None),
            (_, Flavor::Httpd) => (httpd_error(status), None),
        };
        let reason = match status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            _ if self.flavor == Flavor::Nginx => "Not Allowed",
            _ => "Method Not Allowed",
        };
        let connection = if keep_alive { "keep-alive" } else { "close" };
        let date = now.http_date();
        let len = body.len();
        let mut h = format!("HTTP/1.1 {status} {reason}\r\n");
        match (self.flavor, mtime) {
            (Flavor::Nginx, Some(m)) => h.push_str(&format!(
                "Server: {NGINX}\r\nDate: {date}\r\nContent-Type: text/html\r\nContent-Length: {len}\r\nLast-Modified: {}\r\nConnection: {connection}\r\nETag: \"{m:x}-{len:x}\"\r\nAccept-Ranges: bytes\r\n\r\n",
                Instant(m * 1_000_000).http_date()
            )),
            (Flavor::Nginx, None) => h.push_str(&format!(
                "Server: {NGINX}\r\nDate: {date}\r\nContent-Type: text/html\r\nContent-Length: {len}\r\nConnection: {connection}\r\n\r\n"
            )),
            (Flavor::Httpd, Some(m)) => h.push_str(&format!(
                "Date: {date}\r\nServer: {HTTPD}\r\nLast-Modified: {}\r\nETag: \"{len:x}-{:x}\"\r\nAccept-Ranges: bytes\r\nContent-Length: {len}\r\n{}Content-Type: text/html\r\n\r\n",
                Instant(m * 1_000_000).http_date(),
                m * 1_000_000,
                httpd_connection(keep_alive),
            )),
            (Flavor::Httpd, None) => h.push_str(&format!(
                "Date: {date}\r\nServer: {HTTPD}\r\nContent-Length: {len}\r\n{}Content-Type: text/html; charset=iso-8859-1\r\n\r\n",
                httpd_connection(keep_alive),
            )),
        }
        out.extend_from_slice(h.as_bytes());
        if !head_only {
            out.extend_from_slice(body.as_bytes());
        }
    }
}

/// httpd's connection headers: keep-alive with its limits, or close.
fn httpd_connection(keep_alive: bool) -> &'static str {
    if keep_alive {
        "Keep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n"
    } else {
        "Connection: close\r\n"
    }
}

/// nginx's page for an error status.
fn nginx_error(status: u16) -> String {
    let title = match status {
        400 => "400 Bad Request",
        404 => "404 Not Found",
        _ => "405 Not Allowed",
    };
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>{NGINX}</center>\r\n</body>\r\n</html>\r\n"
    )
}

/// httpd's page for an error status.
fn httpd_error(status: u16) -> String {
    let (title, text) = match status {
        400 => (
            "400 Bad Request",
            "<p>Your browser sent a request that this server could not understand.<br />\n</p>",
        ),
        404 => (
            "404 Not Found",
            "<p>The requested URL was not found on this server.</p>",
        ),
        _ => (
            "405 Method Not Allowed",
            "<p>The requested method is not allowed for this URL.</p>",
        ),
    };
    let h1 = title.split_once(' ').map_or(title, |(_, t)| t);
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>{title}</title>\n</head><body>\n<h1>{h1}</h1>\n{text}\n</body></html>\n"
    )
}

impl Server for Http {
    fn receive(&mut self, now: Instant, data: &[u8], eof: bool, out: &mut Vec<u8>) -> Reply {
        self.pending.extend_from_slice(data);
        loop {
            let end = find(&self.pending, b"\r\n\r\n")
                .map(|i| i + 4)
                .or_else(|| find(&self.pending, b"\n\n").map(|i| i + 2));
            let Some(end) = end else {
                if self.pending.len() > MAX_HEAD {
                    self.answer(now, None, out);
                    return Reply::Close;
                }
                // A head cut short by the client's FIN is not answered: the server closes.
                return if eof { Reply::Close } else { Reply::Open };
            };
            let head: Vec<u8> = self.pending.drain(..end).collect();
            let req = std::str::from_utf8(&head)
                .ok()
                .and_then(|h| parse(h.trim_end()));
            self.answer(now, req.as_ref(), out);
            if !req.is_some_and(|r| r.keep_alive) {
                return Reply::Close;
            }
        }
    }
}

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::EPOCH;

    fn ask(flavor: Flavor, request: &str) -> (String, Reply) {
        let mut s = Http::new(flavor);
        let mut out = Vec::new();
        let r = s.receive(EPOCH, request.as_bytes(), false, &mut out);
        (String::from_utf8(out).unwrap(), r)
    }

    #[test]
    fn nginx_serves_its_page_and_closes_when_asked() {
        assert_eq!(NGINX_INDEX.len(), 615);
        let (out, r) = ask(
            Flavor::Nginx,
            "GET / HTTP/1.1\r\nHost: web\r\nUser-Agent: Wget\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(r, Reply::Close);
        assert!(out.starts_with(
            "HTTP/1.1 200 OK\r\nServer: nginx/1.27.3\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 615\r\nLast-Modified: Tue, 26 Nov 2024 15:55:00 GMT\r\nConnection: close\r\nETag: \"6745ef54-267\"\r\n"
        ));
        assert!(out.ends_with(NGINX_INDEX));
    }

    #[test]
    fn keep_alive_serves_several_requests_and_errors_have_pages() {
        let (out, r) = ask(
            Flavor::Nginx,
            "GET /nope HTTP/1.1\r\nHost: web\r\n\r\nHEAD / HTTP/1.1\r\nHost: web\r\n\r\n",
        );
        assert_eq!(r, Reply::Open);
        assert!(out.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(out.contains("<center><h1>404 Not Found</h1></center>"));
        let head = out.split("</html>\r\n").nth(1).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"));
        let (out, r) = ask(Flavor::Httpd, "POST / HTTP/1.0\r\n\r\n");
        assert_eq!(r, Reply::Close);
        assert!(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        let (out, r) = ask(Flavor::Httpd, "hello\r\n\r\n");
        assert_eq!(r, Reply::Close);
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        // HTTP/1.1 without Host.
        let (out, _) = ask(Flavor::Nginx, "GET / HTTP/1.1\r\n\r\n");
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn a_head_too_large_is_refused() {
        let big = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD));
        let (out, r) = ask(Flavor::Nginx, &big);
        assert_eq!(r, Reply::Close);
        assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    }
}
