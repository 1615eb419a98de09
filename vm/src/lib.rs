//! The arovm runtime: [`loader`] (`.arob` → validated program) → [`runtime`] (fibers,
//! interpreter, scheduler, host) ⇄ [`driver`] ⇄ [`reactor`] (mio) with the sans-IO protocols in
//! [`net`]; [`cli`] is the `arovm` command.

pub mod alloc_count;
pub mod cli;
pub mod driver;
pub mod files;
pub mod idmap;
pub mod loader;
pub mod net;
pub mod reactor;
pub mod runtime;
pub mod telemetry;

/// With the `count-allocs` feature (benches only) every heap allocation is counted; `/metrics`
/// reports the totals.
#[cfg(feature = "count-allocs")]
#[global_allocator]
static COUNTING_ALLOC: alloc_count::CountingAlloc = alloc_count::CountingAlloc;
