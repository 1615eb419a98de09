//! tungstenite errors → RFC 6455 close codes, in one match.

use tungstenite::error::{CapacityError, Error, ProtocolError};

/// The close code and reason to send for a read error, or `None` when the peer is simply gone.
pub fn code_for(e: &Error) -> Option<(u16, &'static str)> {
    match e {
        Error::Utf8(_) => Some((1007, "invalid UTF-8")),
        Error::Capacity(CapacityError::MessageTooLong { .. }) => Some((1009, "message too big")),
        Error::Capacity(_) => Some((1009, "message too big")),
        Error::Protocol(p) => match p {
            ProtocolError::ResetWithoutClosingHandshake => None,
            ProtocolError::SendAfterClosing | ProtocolError::ReceivedAfterClosing => None,
            _ => Some((1002, "protocol error")),
        },
        Error::ConnectionClosed | Error::AlreadyClosed | Error::Io(_) => None,
        _ => Some((1011, "internal error")),
    }
}
