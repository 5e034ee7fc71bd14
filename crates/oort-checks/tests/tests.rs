//! Integration tests of `oort-checks`, gathered in one binary.

mod common;
mod config;
mod engine;
mod findings;
mod ground_truth;
mod notify;
mod posture;
mod stored;
mod threat;
