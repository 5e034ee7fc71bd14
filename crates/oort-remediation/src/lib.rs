//! `oort-remediation`: under construction.
