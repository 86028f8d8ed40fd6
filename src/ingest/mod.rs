//! The one path for every source of events: import files and the HTTP API ([`records`]),
//! the tracking pixel and click tracker ([`tracking`]), the unsubscribe, survey and
//! partnership pages ([`action`]), provider webhooks ([`webhook`]).
//!
//! Each source turns its parsed input, and what was looked up for it, into a [`Batch`]
//! without I/O: the events to store, the addresses to suppress and why, the soft bounces
//! to count. [`apply`] writes a batch in one transaction — single-use token, suppressions,
//! events with their rollup and `[[notify]]` notifications — so no source can store an
//! event and forget what goes with it. The HTTP handlers and the importer only parse,
//! call in here, and report.

pub mod action;
mod apply;
mod batch;
pub mod consent;
pub mod machine;
pub mod records;
pub mod tracking;
pub mod webhook;

pub use apply::{Applied, IngestError, Rules, apply, apply_in, store_events};
pub use batch::{Batch, SoftBounce, Suppression, Token, soft_bounce_limit_reached};
