//! Where the detections' states live: [`PerKey`] keeps one state per user or per IP,
//! [`TenantWide`] one state for the whole tenant.

use std::sync::Arc;

use super::detection::{Detection, SignInEvent};
use super::incident::Incidents;
use super::HashMap;
use crate::config::CheckConfig;

/// A set of detections with one state per key (a user, an IP): one map lookup per sign-in
/// serves them all. The map's keys double as the shared strings of the events.
#[derive(Debug)]
pub(crate) struct PerKey<D: Detection> {
    detections: D,
    states: HashMap<Arc<str>, D::State>,
}

impl<D: Detection> PerKey<D> {
    pub(crate) fn new(config: &CheckConfig) -> Self {
        PerKey {
            detections: D::new(config),
            states: HashMap::default(),
        }
    }

    /// `key` as a string shared with the map when it is a key of it.
    pub(crate) fn share(&self, key: &str) -> Arc<str> {
        match self.states.get_key_value(key) {
            Some((k, _)) => Arc::clone(k),
            None => Arc::from(key),
        }
    }

    /// Shows `e` to the detections with the state of `key`; the state is created when a
    /// detection watches `e`, and dropped when none holds anything afterwards.
    pub(crate) fn on_sign_in(
        &mut self,
        key: &Arc<str>,
        e: &SignInEvent<'_>,
        incidents: &mut Incidents,
    ) {
        if !self.detections.watches(e) {
            return;
        }
        let state = self.states.entry(Arc::clone(key)).or_default();
        self.detections.on_sign_in(state, e, incidents);
        if !D::holds(state) {
            self.states.remove(key);
        }
    }

    /// Evicts every state to `watermark` and drops the keys with nothing left.
    pub(crate) fn sweep(&mut self, watermark: i64) {
        let detections = &self.detections;
        self.states.retain(|_, s| {
            detections.evict(s, watermark);
            D::holds(s)
        });
    }

    /// Keys with state.
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    /// Events and records held, over every key.
    pub(crate) fn size(&self) -> usize {
        self.states.values().map(D::size).sum()
    }
}

/// A set of detections with one state for the tenant (or none: detections of single sign-ins).
#[derive(Debug)]
pub(crate) struct TenantWide<D: Detection> {
    detections: D,
    state: D::State,
}

impl<D: Detection> TenantWide<D> {
    pub(crate) fn new(config: &CheckConfig) -> Self {
        TenantWide {
            detections: D::new(config),
            state: D::State::default(),
        }
    }

    /// Shows `e` to the detections.
    pub(crate) fn on_sign_in(&mut self, e: &SignInEvent<'_>, incidents: &mut Incidents) {
        self.detections.on_sign_in(&mut self.state, e, incidents);
    }

    /// Evicts the state to `watermark`.
    pub(crate) fn sweep(&mut self, watermark: i64) {
        self.detections.evict(&mut self.state, watermark);
    }

    /// Events and records held.
    pub(crate) fn size(&self) -> usize {
        D::size(&self.state)
    }
}
