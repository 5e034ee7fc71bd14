//! Integration tests of `oort-checks`, gathered in one binary.

mod common;
mod config;
mod engine;
mod findings;
mod posture;
mod threat;
