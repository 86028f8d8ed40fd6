//! rapport: email-marketing automation that grows each customer relationship one
//! Kotler level at a time. The binary (`main.rs`) is thin; everything lives here.

pub mod app;
pub mod campaigns;
pub mod cli;
pub mod conditions;
pub mod config;
pub mod cycle;
pub mod dashboard;
pub mod dispatch;
pub mod domain;
pub mod experiments;
pub mod http;
pub mod import;
pub mod ingest;
pub mod levels;
pub mod mailer;
pub mod metric_names;
pub mod notify;
pub mod planner;
pub mod predict;
pub mod privacy;
pub mod providers;
pub mod render;
pub mod report;
pub mod store;
pub mod telemetry;
pub mod tracking;
pub mod valuation;

/// mimalloc for every binary linking rapport (the daemon, the benchmarks, the tests): the
/// cycle builds and drops a few small strings per customer row, and glibc's malloc spent
/// 14 % of a 1M-customer SQLite cycle in malloc/free/consolidate (perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
