//! `oort-checks`: under construction.
