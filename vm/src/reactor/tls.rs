//! TLS on the reactor's sockets with rustls (sans-IO): HTTPS/WSS connections and the `Request`
//! action's `https://`. A [`Tls`] sits between a non-blocking `TcpStream` and the plaintext the
//! reactor reads and writes; it never blocks and reports `WouldBlock` like the socket does.
//! Certificates come from PEM files (`--tls-cert`, `--tls-key`), re-read on SIGHUP.

use mio::net::TcpStream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, Connection, RootCertStore, ServerConfig};
use std::io::{self, ErrorKind, Read, Write};
use std::path::Path;
use std::sync::Arc;

/// One TLS session on a socket.
pub struct Tls {
    conn: Connection,
    /// The socket reached its end.
    tcp_eof: bool,
}

/// True for errors that mean "not now" on a non-blocking socket (a connect in progress too).
fn not_now(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::NotConnected)
}

impl Tls {
    /// A server session for an accepted connection.
    pub fn server(config: &Arc<ServerConfig>) -> io::Result<Tls> {
        let conn = rustls::ServerConnection::new(config.clone()).map_err(io::Error::other)?;
        Ok(Tls {
            conn: Connection::Server(conn),
            tcp_eof: false,
        })
    }

    /// A client session to `host` (certificate checked against the trust anchors).
    pub fn client(host: &str) -> Result<Tls, String> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| format!("Connection failed: {host:?} is not a valid TLS server name"))?;
        let conn = ClientConnection::new(client_config()?, name)
            .map_err(|e| format!("Connection failed: {e}"))?;
        Ok(Tls {
            conn: Connection::Client(conn),
            tcp_eof: false,
        })
    }

    /// Encrypted bytes wait to be written.
    pub fn pending(&self) -> bool {
        self.conn.wants_write()
    }

    /// Writes pending encrypted bytes; `Ok(true)` when none are left.
    pub fn flush(&mut self, tcp: &mut TcpStream) -> io::Result<bool> {
        while self.conn.wants_write() {
            match self.conn.write_tls(tcp) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if not_now(&e) => return Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Reads plaintext into `buf`: as much as the socket holds now (so a short read still means
    /// the socket is drained), `Ok(0)` at the end, `WouldBlock` when nothing is there. A TLS
    /// protocol error sends its alert and fails.
    pub fn read(&mut self, tcp: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        loop {
            match self.conn.reader().read(&mut buf[n..]) {
                Ok(0) if n < buf.len() => return Ok(n), // close_notify: the end
                Ok(k) => {
                    n += k;
                    if n == buf.len() {
                        return Ok(n);
                    }
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(n), // no close_notify
                Err(e) => return Err(e),
            }
            if self.tcp_eof {
                return Ok(n);
            }
            match self.conn.read_tls(tcp) {
                Ok(0) => self.tcp_eof = true,
                Ok(_) => {
                    if let Err(e) = self.conn.process_new_packets() {
                        let _ = self.flush(tcp); // the alert
                        return Err(io::Error::new(ErrorKind::InvalidData, e));
                    }
                    // Handshake messages and key updates answer at once.
                    self.flush(tcp)?;
                }
                Err(e) if not_now(&e) => {
                    return if n > 0 { Ok(n) } else { Err(e) };
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Encrypts what of `data` rustls takes now and writes it; `WouldBlock` while earlier
    /// encrypted bytes are still waiting for the socket (the rest stays queued by the caller).
    pub fn write(&mut self, tcp: &mut TcpStream, data: &[u8]) -> io::Result<usize> {
        if !self.flush(tcp)? {
            return Err(ErrorKind::WouldBlock.into());
        }
        let n = self.conn.writer().write(data)?;
        self.flush(tcp)?;
        if n == 0 && !data.is_empty() {
            return Err(ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    /// Sends close_notify (best effort: the socket is about to close).
    pub fn close(&mut self, tcp: &mut TcpStream) {
        self.conn.send_close_notify();
        let _ = self.flush(tcp);
    }
}

/// A server configuration from a PEM certificate chain and a PEM private key (HTTP/1.1 by ALPN).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| format!("{}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in the file", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("{}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("certificate and key: {e}"))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// The client configuration: the system's trust anchors (`SSL_CERT_FILE`/`SSL_CERT_DIR` are
/// honoured), Mozilla's (webpki-roots) when the system has none. Built once per process.
pub fn client_config() -> Result<Arc<ClientConfig>, String> {
    type Built = Result<Arc<ClientConfig>, String>;
    static CONFIG: std::sync::LazyLock<Built> = std::sync::LazyLock::new(|| {
        let mut roots = RootCertStore::empty();
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if roots.is_empty() {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("Connection failed: TLS: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    });
    CONFIG.clone()
}

impl super::Reactor {
    /// Serves HTTPS and WSS with `config` on the app's HTTP listeners (new connections; a
    /// reload replaces it for the connections accepted after it).
    pub fn set_tls(&mut self, config: Arc<ServerConfig>) {
        self.tls = Some(config);
    }
}
