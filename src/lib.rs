//! rapport: email-marketing automation that grows each customer relationship one
//! Kotler level at a time. The binary (`main.rs`) is thin; everything lives here.

pub mod config;
pub mod domain;
pub mod render;
pub mod tracking;
