//! The arovm runtime: [`loader`] (`.arob` → validated program) → [`runtime`] (fibers, interpreter,
//! scheduler, host) ← [`cli`] (the `arovm` command).

pub mod cli;
pub mod loader;
pub mod runtime;
