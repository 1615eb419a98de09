//! Outbound HTTP connections of the `Request` action: non-blocking connect, write, read until the
//! response is complete. The fiber that asked waits; nothing blocks the loop (host names other
//! than `localhost` and IP literals go through the system resolver, which may block briefly).

use crate::net::http::client::{encode, parse_response, ClientResponse, Url};
use mio::net::TcpStream;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::Instant;

/// One outbound request in flight.
pub struct ClientConn {
    /// The socket.
    pub stream: TcpStream,
    /// Request bytes and how many were written.
    pub out: Vec<u8>,
    /// Bytes of `out` already written.
    pub out_pos: usize,
    /// Response bytes so far.
    pub inbuf: Vec<u8>,
    /// The driver's tag for this request (which fiber waits).
    pub tag: u64,
    /// Give up after this.
    pub deadline: Instant,
    /// Distinguishes reuse of the slot.
    pub generation: u64,
}

/// Resolves a URL's host without blocking for IP literals and `localhost`.
pub fn resolve(url: &Url) -> Result<SocketAddr, String> {
    if url.host.eq_ignore_ascii_case("localhost") {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), url.port));
    }
    if let Ok(ip) = url.host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, url.port));
    }
    (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("Connection failed: cannot resolve {}: {e}", url.host))?
        .next()
        .ok_or_else(|| format!("Connection failed: cannot resolve {}", url.host))
}

impl ClientConn {
    /// Starts connecting.
    pub fn start(
        url: &Url,
        method: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
        tag: u64,
        deadline: Instant,
        generation: u64,
    ) -> Result<ClientConn, String> {
        let addr = resolve(url)?;
        let stream = TcpStream::connect(addr).map_err(|e| format!("Connection failed: {e}"))?;
        Ok(ClientConn {
            stream,
            out: encode(method, url, headers, body),
            out_pos: 0,
            inbuf: Vec::new(),
            tag,
            deadline,
            generation,
        })
    }

    /// The response, once complete (`eof` = the server closed).
    pub fn response(&self, eof: bool) -> Result<Option<ClientResponse>, String> {
        parse_response(&self.inbuf, eof, 64 * 1024 * 1024)
            .map_err(|e| format!("Connection failed: {}", e.message()))
    }
}
