//! WebSockets, sans-IO: the upgrade checks and the 101 answer ([`upgrade`]), frames encoded once
//! for fan-out ([`frame`]), tungstenite driving one connection over in-memory buffers ([`session`],
//! lending its context only while a frame is in progress: [`boundary`]),
//! and errors mapped to RFC 6455 close codes ([`close`]). The reactor moves the bytes.

pub mod boundary;
pub mod close;
pub mod config;
pub mod frame;
pub mod session;
pub mod upgrade;
