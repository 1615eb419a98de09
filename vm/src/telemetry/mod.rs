//! What an operator sees of a running app: log lines ([`log`]: levels, text or JSON, access
//! lines) and Prometheus metrics ([`metrics`]). Both the reactor and the runtime write here; this
//! module imports neither.

pub mod log;
pub mod metrics;
pub mod process;
