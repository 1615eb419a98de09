//! HTTP/1.1, sans-IO: request parsing, content, routing, response encoding, errors. The reactor
//! does all reads and writes.

pub mod body;
pub mod client;
pub mod content;
pub mod errors;
pub mod forwarded;
pub mod request;
pub mod response;
pub mod router;
