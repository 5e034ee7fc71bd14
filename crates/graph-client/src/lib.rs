//! `graph-client`: under construction.
