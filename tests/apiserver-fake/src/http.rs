//! The transport of the API-server fake: HTTP/1.1 over plain TCP or TLS on loopback, one thread
//! per connection, keep-alive, `Content-Length` and chunked request bodies.
//!
//! It knows nothing about Kubernetes: it hands each request to a handler and writes what the
//! handler answers, or drops the connection when told to (fault injection).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// The largest request body accepted (the real server's limit is 3 MiB for JSON bodies).
pub const MAX_BODY: usize = 3 * 1024 * 1024;

/// A request as read off the wire.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    /// The request target: path plus `?query`, still percent-encoded.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub tls: bool,
}

impl RawRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to do with a request.
pub enum Reply {
    /// Write this response.
    Respond(Response),
    /// Close the connection without a byte of response (a crashed proxy, a reset).
    Drop,
    /// A streamed answer: the function writes everything (head included) and the connection
    /// closes after it.
    Stream(StreamWriter),
}

/// What writes a streamed answer.
pub type StreamWriter = Box<dyn FnOnce(&mut dyn Write) + Send>;

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: "application/json".into(),
            body: body.into(),
        }
    }

    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            body: body.into(),
        }
    }
}

/// The request handler the transport calls, on the connection's thread.
pub type Handler = Arc<dyn Fn(RawRequest) -> Reply + Send + Sync>;

/// A listening server; stops accepting when dropped.
pub struct Listener {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Listener {
    /// Listen on 127.0.0.1 with an ephemeral port, over TLS when `tls` is given.
    pub fn start(tls: Option<Arc<rustls::ServerConfig>>, handler: Handler) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let accept = std::thread::Builder::new()
            .name("apiserver-accept".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let handler = handler.clone();
                    let tls = tls.clone();
                    let stop = stop2.clone();
                    let _ = std::thread::Builder::new()
                        .name("apiserver-conn".into())
                        .spawn(move || serve_connection(conn, tls, handler, stop));
                }
            })
            .expect("spawn the accept thread");
        Listener {
            addr,
            stop,
            accept: Some(accept),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

trait Stream: Read + Write + Send {
    fn tcp(&self) -> &TcpStream;
}

impl Stream for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl Stream for rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

fn serve_connection(
    conn: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: Handler,
    stop: Arc<AtomicBool>,
) {
    // An idle keep-alive connection ends after a while, so threads do not pile up.
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = conn.set_nodelay(true);
    let is_tls = tls.is_some();
    let stream: Box<dyn Stream> = match tls {
        None => Box::new(conn),
        Some(config) => {
            let Ok(server) = rustls::ServerConnection::new(config) else {
                return;
            };
            Box::new(rustls::StreamOwned::new(server, conn))
        }
    };
    let mut reader = BufReader::new(stream);
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let request = match read_request(&mut reader, is_tls) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(ReadError::TooLarge) => {
                let body = super::status::too_large();
                let _ = write_response(reader.get_mut().as_mut(), &Response::json(413, body), true);
                return;
            }
            Err(ReadError::Malformed) => {
                let _ = write_response(
                    reader.get_mut().as_mut(),
                    &Response::text(400, "400 Bad Request"),
                    true,
                );
                return;
            }
            Err(ReadError::Io) => return,
        };
        let close = request
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        match handler(request) {
            Reply::Drop => {
                let _ = reader.get_ref().tcp().shutdown(Shutdown::Both);
                return;
            }
            Reply::Stream(write) => {
                write(reader.get_mut().as_mut());
                let _ = reader.get_ref().tcp().shutdown(Shutdown::Both);
                return;
            }
            Reply::Respond(response) => {
                if write_response(reader.get_mut().as_mut(), &response, close).is_err() || close {
                    return;
                }
            }
        }
    }
}

enum ReadError {
    Io,
    Malformed,
    TooLarge,
}

fn read_line(r: &mut impl BufRead) -> Result<Option<String>, ReadError> {
    let mut line = Vec::new();
    let n = r
        .take(64 * 1024)
        .read_until(b'\n', &mut line)
        .map_err(|_| ReadError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    if !line.ends_with(b"\n") {
        return Err(ReadError::Malformed);
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| ReadError::Malformed)
}

fn read_request(
    r: &mut BufReader<Box<dyn Stream>>,
    tls: bool,
) -> Result<Option<RawRequest>, ReadError> {
    let Some(start) = read_line(r)? else {
        return Ok(None);
    };
    let mut parts = start.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed);
    };
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Malformed);
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(r)?.ok_or(ReadError::Malformed)?;
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').ok_or(ReadError::Malformed)?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
        if headers.len() > 200 {
            return Err(ReadError::Malformed);
        }
    }
    let mut request = RawRequest {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body: Vec::new(),
        tls,
    };
    if request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        let out = r.get_mut();
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
            .and_then(|_| out.flush())
            .map_err(|_| ReadError::Io)?;
    }
    let chunked = request
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        loop {
            let size_line = read_line(r)?.ok_or(ReadError::Malformed)?;
            let size_hex = size_line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size_hex, 16).map_err(|_| ReadError::Malformed)?;
            if size == 0 {
                // Trailers, up to the blank line.
                while !read_line(r)?.ok_or(ReadError::Malformed)?.is_empty() {}
                break;
            }
            if request.body.len() + size > MAX_BODY {
                return Err(ReadError::TooLarge);
            }
            let at = request.body.len();
            request.body.resize(at + size, 0);
            r.read_exact(&mut request.body[at..])
                .map_err(|_| ReadError::Io)?;
            if !read_line(r)?.ok_or(ReadError::Malformed)?.is_empty() {
                return Err(ReadError::Malformed);
            }
        }
    } else if let Some(len) = request.header("content-length") {
        let len: usize = len.parse().map_err(|_| ReadError::Malformed)?;
        if len > MAX_BODY {
            // Read it away first: closing with unread data would reset the connection before
            // the client sees the 413.
            let drained = std::io::copy(&mut r.take(len as u64), &mut std::io::sink())
                .map_err(|_| ReadError::Io)?;
            if drained < len as u64 {
                return Err(ReadError::Io);
            }
            return Err(ReadError::TooLarge);
        }
        request.body.resize(len, 0);
        r.read_exact(&mut request.body).map_err(|_| ReadError::Io)?;
    }
    Ok(Some(request))
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

fn write_response(w: &mut dyn Stream, response: &Response, close: bool) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache, private\r\n",
        response.status,
        reason_phrase(response.status),
        response.content_type,
        response.body.len()
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(&response.body)?;
    w.flush()
}
