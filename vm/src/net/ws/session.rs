//! One WebSocket connection driven by tungstenite's `WebSocketContext` over in-memory buffers:
//! bytes the reactor read go in, frames tungstenite writes (pongs, close replies) come out.
//! Data frames the app sends bypass it (see `frame`), so a broadcast is encoded once.

use super::close::code_for;
use super::config::WsConfig;
use std::io::{ErrorKind, Read, Write};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Message, Role, WebSocketConfig, WebSocketContext};

/// What a connection produced.
#[derive(Debug, PartialEq)]
pub enum WsEvent {
    /// A complete text message (copied once out of tungstenite's buffer, then shared).
    Text(std::rc::Rc<str>),
    /// A complete binary message.
    Binary(std::rc::Rc<[u8]>),
    /// The conversation is over (close handshake done, protocol error, or close sent after an
    /// error): write what is queued, then close the socket.
    Finished,
}

/// The in-memory stream tungstenite reads from and writes to. Input is consumed by advancing
/// `pos` (drained once per feed, not per read: large messages stay linear).
struct Io<'a> {
    input: &'a [u8],
    pos: &'a mut usize,
    output: &'a mut Vec<u8>,
}

impl Read for Io<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.input[*self.pos..];
        if rest.is_empty() {
            return Err(ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(rest.len());
        buf[..n].copy_from_slice(&rest[..n]);
        *self.pos += n;
        Ok(n)
    }
}

impl Write for Io<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// State of one upgraded connection.
pub struct WsSession {
    ctx: WebSocketContext,
    input: Vec<u8>,
    /// Bytes tungstenite wrote (control frames), to be queued by the reactor.
    pub output: Vec<u8>,
    /// Close code and reason once known (what Disconnect reports).
    pub close_reason: Option<(u16, String)>,
    /// A close frame went out: no more data frames.
    pub closing: bool,
    /// A Ping is unanswered.
    pub ping_outstanding: bool,
    /// The upgrade path (shared by the connections on it).
    pub path: std::rc::Rc<str>,
}

impl WsSession {
    /// A session for a connection upgraded on `path`.
    pub fn new(path: std::rc::Rc<str>, cfg: &WsConfig) -> WsSession {
        let config = WebSocketConfig::default()
            .read_buffer_size(1024)
            .write_buffer_size(0)
            .max_write_buffer_size(cfg.max_queue.max(1 << 16))
            .max_message_size(Some(cfg.max_message))
            .max_frame_size(Some(cfg.max_frame))
            .accept_unmasked_frames(false);
        WsSession {
            ctx: WebSocketContext::new(Role::Server, Some(config)),
            input: Vec::new(),
            output: Vec::new(),
            close_reason: None,
            closing: false,
            ping_outstanding: false,
            path,
        }
    }

    /// Feeds bytes read from the socket; returns complete messages and whether it is over.
    pub fn feed(&mut self, data: &[u8]) -> Vec<WsEvent> {
        self.input.extend_from_slice(data);
        let mut pos = 0usize;
        let mut events = Vec::new();
        if !data.is_empty() {
            self.ping_outstanding = false;
        }
        loop {
            let mut io = Io {
                input: &self.input,
                pos: &mut pos,
                output: &mut self.output,
            };
            match self.ctx.read(&mut io) {
                Ok(Message::Text(t)) => events.push(WsEvent::Text(t.as_str().into())),
                Ok(Message::Binary(b)) => events.push(WsEvent::Binary(b[..].into())),
                Ok(Message::Close(frame)) => {
                    if self.close_reason.is_none() {
                        self.close_reason = Some(match frame {
                            Some(f) => (u16::from(f.code), f.reason.as_str().to_string()),
                            None => (1005, String::new()),
                        });
                    }
                    self.closing = true;
                }
                Ok(_) => {} // ping (answered automatically), pong, raw frame
                Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    if let Some((code, reason)) = code_for(&e) {
                        if !self.closing {
                            let frame = CloseFrame {
                                code: CloseCode::from(code),
                                reason: reason.into(),
                            };
                            let _ = self.ctx.close(&mut io, Some(frame));
                            let _ = self.ctx.flush(&mut io);
                        }
                        self.close_reason.get_or_insert((code, reason.to_string()));
                    }
                    self.closing = true;
                    events.push(WsEvent::Finished);
                    pos = self.input.len();
                    break;
                }
            }
        }
        self.input.drain(..pos);
        if self.input.capacity() > 64 * 1024 && self.input.len() < 1024 {
            self.input.shrink_to_fit();
        }
        let mut pos = self.input.len();
        let mut io = Io {
            input: &self.input,
            pos: &mut pos,
            output: &mut self.output,
        };
        let _ = self.ctx.flush(&mut io);
        events
    }

    /// Starts a server-side close with `code` and `reason`.
    pub fn close(&mut self, code: u16, reason: &str) {
        if self.closing {
            return;
        }
        self.closing = true;
        self.close_reason.get_or_insert((code, reason.to_string()));
        let mut pos = self.input.len();
        let mut io = Io {
            input: &self.input,
            pos: &mut pos,
            output: &mut self.output,
        };
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_string().into(),
        };
        let _ = self.ctx.close(&mut io, Some(frame));
        let _ = self.ctx.flush(&mut io);
    }
}
