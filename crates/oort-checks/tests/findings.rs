//! findings tests.
