//! Outbound HTTP connections of the `Request` action: non-blocking connect, write, read until the
//! response is complete. The fiber that asked waits; nothing blocks the loop (host names other
//! than `localhost` and IP literals go through the system resolver, which may block briefly).

use super::timers::TimerKey;
use super::{Inbound, Reactor, CLIENT_BASE};
use crate::net::http::client::{encode, parse_response, parse_url, ClientResponse, Url};
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

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
    /// The TLS session of an `https://` request.
    pub tls: Option<Box<super::tls::Tls>>,
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
        let tls = if url.tls {
            Some(Box::new(super::tls::Tls::client(&url.host)?))
        } else {
            None
        };
        let stream = TcpStream::connect(addr).map_err(|e| format!("Connection failed: {e}"))?;
        Ok(ClientConn {
            tls,
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

impl Reactor {
    /// Outbound requests in flight.
    pub fn clients_in_flight(&self) -> usize {
        self.clients.iter().filter(|c| c.is_some()).count()
    }

    /// Starts an outbound request; its result arrives as [`Inbound::ClientDone`] with `tag`.
    pub fn http_request(
        &mut self,
        tag: u64,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<(), String> {
        let url = parse_url(url)?;
        let generation = self.next_generation;
        self.next_generation += 1;
        let deadline = Instant::now() + timeout;
        let mut c = ClientConn::start(&url, method, headers, body, tag, deadline, generation)?;
        let slot = match self.client_free.pop() {
            Some(s) => s,
            None => {
                self.clients.push(None);
                self.clients.len() - 1
            }
        };
        self.poll
            .registry()
            .register(
                &mut c.stream,
                Token(CLIENT_BASE + slot),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| format!("Connection failed: {e}"))?;
        self.timers
            .add(deadline, TimerKey::Client(slot, generation));
        self.clients[slot] = Some(c);
        Ok(())
    }

    pub(super) fn client_done(&mut self, slot: usize, result: Result<ClientResponse, String>) {
        if let Some(Some(mut c)) = self.clients.get_mut(slot).map(Option::take) {
            let _ = self.poll.registry().deregister(&mut c.stream);
            self.client_free.push(slot);
            self.inbound
                .push(Inbound::ClientDone { tag: c.tag, result });
        }
    }

    pub(super) fn client_io(&mut self, slot: usize) {
        let Some(Some(c)) = self.clients.get_mut(slot) else {
            return;
        };
        if let Ok(Some(e)) | Err(e) = c.stream.take_error() {
            let msg = format!("Connection failed: {e}");
            return self.client_done(slot, Err(msg));
        }
        if let Some(t) = c.tls.as_mut() {
            if let Err(e) = t.flush(&mut c.stream) {
                let msg = format!("Connection failed: {}", tls_reason(&e));
                return self.client_done(slot, Err(msg));
            }
        }
        while c.out_pos < c.out.len() {
            let written = match c.tls.as_mut() {
                Some(t) => t.write(&mut c.stream, &c.out[c.out_pos..]),
                None => c.stream.write(&c.out[c.out_pos..]),
            };
            match written {
                Ok(n) => c.out_pos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::NotConnected => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    let msg = format!("Connection failed: {e}");
                    return self.client_done(slot, Err(msg));
                }
            }
        }
        let mut eof = false;
        loop {
            let read = match c.tls.as_mut() {
                Some(t) => t.read(&mut c.stream, &mut self.read_buf),
                None => c.stream.read(&mut self.read_buf),
            };
            match read {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => c.inbuf.extend_from_slice(&self.read_buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::NotConnected => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    let msg = format!("Connection failed: {}", tls_reason(&e));
                    return self.client_done(slot, Err(msg));
                }
            }
        }
        match c.response(eof) {
            Ok(Some(r)) => self.client_done(slot, Ok(r)),
            Ok(None) if eof => {
                self.client_done(slot, Err("Connection failed: closed early".into()))
            }
            Ok(None) => {}
            Err(e) => self.client_done(slot, Err(e)),
        }
    }
}

/// The words of a failed read: a TLS error (an untrusted certificate) says what it is.
fn tls_reason(e: &std::io::Error) -> String {
    match e.get_ref() {
        Some(inner) if e.kind() == ErrorKind::InvalidData => format!("TLS: {inner}"),
        _ => e.to_string(),
    }
}
