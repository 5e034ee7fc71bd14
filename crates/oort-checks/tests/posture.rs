//! posture tests.
