//! The arovm runtime: [`loader`] (`.arob` → validated program) → [`runtime`] (fibers,
//! interpreter, scheduler, host) ⇄ [`driver`] ⇄ [`reactor`] (mio) with the sans-IO protocols in
//! [`net`]; [`cli`] is the `arovm` command.

pub mod cli;
pub mod driver;
pub mod idmap;
pub mod loader;
pub mod net;
pub mod reactor;
pub mod runtime;
pub mod telemetry;
