//! rapport: email-marketing automation that grows each customer relationship one
//! Kotler level at a time. The binary (`main.rs`) is thin; everything lives here.

pub mod campaigns;
pub mod cli;
pub mod config;
pub mod cycle;
pub mod dashboard;
pub mod dispatch;
pub mod domain;
pub mod http;
pub mod import;
pub mod levels;
pub mod mailer;
pub mod notify;
pub mod planner;
pub mod providers;
pub mod render;
pub mod report;
pub mod scheduler;
pub mod store;
pub mod telemetry;
pub mod tracking;
