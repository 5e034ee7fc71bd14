//! [`Detection`]: what every threat detection implements, and [`SignInEvent`], what it is shown
//! of one sign-in.
//!
//! A detection owns its slice of the configuration (taken in [`Detection::new`]) and defines the
//! state it keeps per subject ([`Detection::State`]); the engine keeps one such state per user,
//! per IP or for the tenant (see `scope`), so that one map lookup per sign-in serves every
//! detection of a scope. Detections are grouped in tuples, which are detections themselves: the
//! engine calls each one through static dispatch, with no virtual call per sign-in.

use std::fmt::Debug;
use std::sync::Arc;

use entra_model::SignIn;

use super::event::Ev;
use super::incident::Incidents;
use crate::config::CheckConfig;

/// One sign-in as the detections see it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignInEvent<'a> {
    /// The sign-in as Graph sent it, for the fields one detection reads.
    pub(crate) sign_in: &'a SignIn,
    /// The sign-in as the windows keep it.
    pub(crate) ev: &'a Arc<Ev>,
    /// The user's key (id or UPN in lower case), shared with the engine's per-user state.
    pub(crate) user: &'a Arc<str>,
}

/// A threat detection over sign-ins in time order.
pub(crate) trait Detection: Debug + Sized {
    /// What the detection keeps per subject of its scope (user, IP, tenant); `()` for none.
    type State: Default + Debug;

    /// The detection with its settings taken from `config` (validated).
    fn new(config: &CheckConfig) -> Self;

    /// Whether the detection looks at `e` at all: a scope creates no state for a sign-in no
    /// detection watches. Default: every sign-in.
    fn watches(&self, _e: &SignInEvent<'_>) -> bool {
        true
    }

    /// Updates `state` with `e` and fires into `incidents` when the rule holds.
    fn on_sign_in(&self, state: &mut Self::State, e: &SignInEvent<'_>, incidents: &mut Incidents);

    /// Drops from `state` what no sign-in at or after `watermark` can need. Default: nothing
    /// (for detections without state).
    fn evict(&self, _state: &mut Self::State, _watermark: i64) {}

    /// Events and records held in `state` (the `entries` of `StateSize`). Default: 0.
    fn size(_state: &Self::State) -> usize {
        0
    }

    /// Whether `state` holds anything worth keeping; a scope drops the state of a subject for
    /// which no detection holds anything. Default: [`Detection::size`] above 0.
    fn holds(state: &Self::State) -> bool {
        Self::size(state) > 0
    }
}

/// A tuple of detections is a detection: each one in order, over a tuple of their states.
macro_rules! tuple_detection {
    ($($d:ident $i:tt),+) => {
        impl<$($d: Detection),+> Detection for ($($d,)+) {
            type State = ($($d::State,)+);

            fn new(config: &CheckConfig) -> Self {
                ($($d::new(config),)+)
            }

            fn watches(&self, e: &SignInEvent<'_>) -> bool {
                $(self.$i.watches(e))||+
            }

            fn on_sign_in(&self, state: &mut Self::State, e: &SignInEvent<'_>, incidents: &mut Incidents) {
                $(self.$i.on_sign_in(&mut state.$i, e, incidents);)+
            }

            fn evict(&self, state: &mut Self::State, watermark: i64) {
                $(self.$i.evict(&mut state.$i, watermark);)+
            }

            fn size(state: &Self::State) -> usize {
                0 $(+ $d::size(&state.$i))+
            }

            fn holds(state: &Self::State) -> bool {
                $($d::holds(&state.$i))||+
            }
        }
    };
}

tuple_detection!(A 0, B 1);
tuple_detection!(A 0, B 1, C 2);
tuple_detection!(A 0, B 1, C 2, D 3);
tuple_detection!(A 0, B 1, C 2, D 3, E 4);
tuple_detection!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_detection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_detection!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
