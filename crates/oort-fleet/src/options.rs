//! What a cycle runs after its collection.

use std::fmt;
use std::sync::Arc;

use oort_checks::notify::{Notifier, NotifyConfig};
use oort_checks::{CheckConfig, RunOptions};

/// Which stages follow a cycle's collection, and their settings. Default: none (a cycle only
/// collects).
///
/// ```
/// use oort_checks::CheckConfig;
/// use oort_checks::notify::NotifyConfig;
/// use oort_fleet::CycleOptions;
///
/// let collect_only = CycleOptions::default();
/// assert!(!collect_only.runs_checks());
///
/// let mut checks = CheckConfig::default();
/// checks.break_glass_accounts = vec!["bg-admin@contoso.com".into()];
/// let notify = CycleOptions::default().checks(checks).notify(Vec::new(), NotifyConfig::default());
/// assert!(notify.runs_checks() && notify.notifies());
/// ```
#[derive(Clone, Default)]
pub struct CycleOptions {
    checks: Option<CheckConfig>,
    notify: Option<(Vec<Arc<dyn Notifier>>, NotifyConfig)>,
    full: bool,
}

impl fmt::Debug for CycleOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channels: Option<Vec<&str>> = self
            .notify
            .as_ref()
            .map(|(n, _)| n.iter().map(|n| n.channel()).collect());
        f.debug_struct("CycleOptions")
            .field("checks", &self.checks.is_some())
            .field("notify", &channels)
            .field("full", &self.full)
            .finish()
    }
}

impl CycleOptions {
    /// Options under which a cycle only collects (the default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs the checks with `config` after each collection. Default: the checks do not run
    /// (unless [`CycleOptions::notify`] is set, which runs them with
    /// [`CheckConfig::default`]).
    pub fn checks(mut self, config: CheckConfig) -> Self {
        self.checks = Some(config);
        self
    }

    /// After the checks, tells `notifiers` what they have not been told yet, under `config`.
    /// Implies the checks. Default: no notifications.
    pub fn notify(mut self, notifiers: Vec<Arc<dyn Notifier>>, config: NotifyConfig) -> Self {
        self.notify = Some((notifiers, config));
        self
    }

    /// Replays every stored sign-in instead of what the last analysis has not seen (see
    /// [`RunOptions::full`]). Default: `false` (incremental).
    pub fn full(mut self, full: bool) -> Self {
        self.full = full;
        self
    }

    /// Whether the checks run after the collection ([`CycleOptions::checks`] or
    /// [`CycleOptions::notify`]).
    pub fn runs_checks(&self) -> bool {
        self.checks.is_some() || self.notify.is_some()
    }

    /// Whether notifications are sent after the checks.
    pub fn notifies(&self) -> bool {
        self.notify.is_some()
    }

    /// The check configuration (the default one when only notifications were asked for).
    pub(crate) fn check_config(&self) -> CheckConfig {
        self.checks.clone().unwrap_or_default()
    }

    pub(crate) fn run_options(&self) -> RunOptions {
        if self.full {
            RunOptions::full()
        } else {
            RunOptions::default()
        }
    }

    pub(crate) fn notifications(&self) -> Option<(&[Arc<dyn Notifier>], &NotifyConfig)> {
        self.notify.as_ref().map(|(n, c)| (n.as_slice(), c))
    }
}
