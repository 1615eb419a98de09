//! Network protocols, sans-IO: bytes in, events and bytes out. Only the reactor touches sockets.

pub mod http;
pub mod ws;
