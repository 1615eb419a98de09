//! One WebSocket connection driven by tungstenite's `WebSocketContext` over in-memory buffers:
//! bytes the reactor read go in, frames tungstenite writes (pongs, close replies) come out.
//! Data frames the app sends bypass it (see `frame`), so a broadcast is encoded once. Between
//! messages the context goes back to a [`ContextPool`]: an idle connection holds none.

use super::boundary::FrameBoundary;
use super::close::code_for;
use super::config::WsConfig;
use smallvec::SmallVec;
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

/// Events of one feed (rarely more than a few: no allocation for them).
pub type WsEvents = SmallVec<[WsEvent; 4]>;

/// The in-memory stream tungstenite reads from and writes to: the bytes of one feed, consumed
/// by advancing `pos`.
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

/// Contexts lent to connections while a frame or message is in progress. Every context in it
/// is at rest (no buffered input, no open message, nothing unsent), which is what a new one is:
/// lending one back out is the same as creating one, without the allocations.
#[derive(Default)]
pub struct ContextPool {
    // Boxed: a context moves between a session and the pool as one pointer.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<WebSocketContext>>,
}

impl ContextPool {
    /// At most this many spare contexts are kept (about 1.3 KB each).
    pub const MAX: usize = 64;

    /// Contexts whose read buffer grew past this are dropped, not kept.
    pub const MAX_KEPT_FRAME: u64 = 4096;

    fn take(&mut self, cfg: &WsConfig) -> Box<WebSocketContext> {
        self.spare.pop().unwrap_or_else(|| {
            let config = WebSocketConfig::default()
                .read_buffer_size(1024)
                .write_buffer_size(0)
                .max_write_buffer_size(cfg.max_queue.max(1 << 16))
                .max_message_size(Some(cfg.max_message))
                .max_frame_size(Some(cfg.max_frame))
                .accept_unmasked_frames(false);
            Box::new(WebSocketContext::new(Role::Server, Some(config)))
        })
    }

    fn give(&mut self, ctx: Box<WebSocketContext>, largest_frame: u64) {
        if self.spare.len() < Self::MAX && largest_frame <= Self::MAX_KEPT_FRAME {
            self.spare.push(ctx);
        }
    }

    /// Spare contexts held now.
    pub fn len(&self) -> usize {
        self.spare.len()
    }

    /// No spare context is held.
    pub fn is_empty(&self) -> bool {
        self.spare.is_empty()
    }
}

/// State of one upgraded connection.
pub struct WsSession {
    /// tungstenite's state while a frame or fragmented message is in progress.
    ctx: Option<Box<WebSocketContext>>,
    /// Where the inbound stream stands between frames.
    frames: FrameBoundary,
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
    pub fn new(path: std::rc::Rc<str>) -> WsSession {
        WsSession {
            ctx: None,
            frames: FrameBoundary::default(),
            output: Vec::new(),
            close_reason: None,
            closing: false,
            ping_outstanding: false,
            path,
        }
    }

    /// Holds a tungstenite context now (for tests: false between messages).
    pub fn holds_context(&self) -> bool {
        self.ctx.is_some()
    }

    /// Feeds bytes read from the socket; returns complete messages and whether it is over.
    /// The context comes from `pool` when none is held and goes back when the stream is at rest.
    pub fn feed(&mut self, data: &[u8], cfg: &WsConfig, pool: &mut ContextPool) -> WsEvents {
        let mut events = WsEvents::new();
        if data.is_empty() {
            return events;
        }
        self.ping_outstanding = false;
        self.frames.advance(data);
        let ctx = self.ctx.get_or_insert_with(|| pool.take(cfg));
        let mut pos = 0usize;
        let mut io = Io {
            input: data,
            pos: &mut pos,
            output: &mut self.output,
        };
        loop {
            match ctx.read(&mut io) {
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
                            let _ = ctx.close(&mut io, Some(frame));
                        }
                        self.close_reason.get_or_insert((code, reason.to_string()));
                    }
                    self.closing = true;
                    events.push(WsEvent::Finished);
                    break;
                }
            }
        }
        let _ = ctx.flush(&mut io);
        if !self.closing && self.frames.at_rest() {
            // Everything read was whole messages and every answer was written: the context
            // is in the state of a new one.
            if let Some(ctx) = self.ctx.take() {
                pool.give(ctx, self.frames.take_largest());
            }
        }
        events
    }

    /// Starts a server-side close with `code` and `reason`.
    pub fn close(&mut self, code: u16, reason: &str, cfg: &WsConfig, pool: &mut ContextPool) {
        if self.closing {
            return;
        }
        self.closing = true;
        self.close_reason.get_or_insert((code, reason.to_string()));
        let ctx = self.ctx.get_or_insert_with(|| pool.take(cfg));
        let mut pos = 0;
        let mut io = Io {
            input: &[],
            pos: &mut pos,
            output: &mut self.output,
        };
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.to_string().into(),
        };
        let _ = ctx.close(&mut io, Some(frame));
        let _ = ctx.flush(&mut io);
    }
}
