//! The engine wired together, below the command line and above everything it wires: the
//! opened store ([`App`]), the sending side ([`Engine`]), one cycle and its sends
//! ([`run_once`]), and the daemon ([`Application`]: scheduler with the replica lease, sender,
//! HTTP endpoint, notify worker) with the [`Clock`] it runs on.

mod clock;
mod context;
mod daemon;
mod engine;
mod failure;
mod http;
mod once;
pub mod retention;
mod schedule;
mod scheduler;
mod senders;

pub use clock::{Clock, ManualClock};
pub use context::App;
pub use daemon::{Application, Options};
pub use engine::{Engine, load_campaigns, load_campaigns_and_segments};
pub use failure::Failure;
pub use once::{Once, OnceReport, run_once};
pub use schedule::{Schedule, TickKind};
pub use scheduler::LEASE as SCHEDULER_LEASE;
