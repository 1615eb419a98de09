//! The ARO standard library: the value model and every action, behind a narrow [`action::Host`]
//! interface. Invariant: nothing here touches the network, the filesystem or the clock; the VM
//! provides those through the host.

pub mod action;
pub mod actions;
pub mod catalog;
pub mod formats;
pub mod metrics;
pub mod repository;
pub mod value;
