//! The runtime: fibers, the interpreter, the scheduler and the host. Knows nothing of sockets.

pub mod app;
pub mod calls;
pub mod context;
pub mod error;
pub mod fiber;
pub mod guard;
pub mod host;
pub mod interp;
pub mod lower;
pub mod metrics;
pub mod ops;
pub mod profile;
pub mod recording;
pub mod scheduler;
pub mod statement;
