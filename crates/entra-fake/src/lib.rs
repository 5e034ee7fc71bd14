//! `entra-fake`: under construction.
