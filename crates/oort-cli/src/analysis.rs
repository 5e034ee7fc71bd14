//! The CLI's check and notification settings, as the `oort_fleet::Pipeline` that runs the checks
//! and then the notifications.

use std::sync::Arc;

use entra_auth::SystemClock;
use oort_checks::notify::Notifier;
use oort_checks::CheckConfig;
use oort_fleet::{CycleOptions, Pipeline};
use oort_store::Store;

use crate::config::Settings;
use crate::error::CliError;

/// The check configuration from the settings: the catalogue defaults, the break-glass accounts
/// and oort's own client id (so that its own secret gets its own expiry finding).
pub(crate) fn check_config(break_glass: &[String], client_id: Option<&str>) -> CheckConfig {
    let mut c = CheckConfig::default();
    c.break_glass_accounts = break_glass.to_vec();
    c.oort_client_id = client_id.map(str::to_owned);
    c
}

/// The notification channels `--notify` sends through; a configuration error is reported
/// before anything runs.
pub(crate) fn notifiers(settings: &Settings) -> Result<Vec<Arc<dyn Notifier>>, CliError> {
    if !settings.notify.has_channels() {
        return Err(CliError::config(
            "--notify needs a channel: set OORT_NOTIFY_SMTP_HOST (with OORT_NOTIFY_EMAIL_FROM and OORT_NOTIFY_EMAIL_TO), OORT_NOTIFY_TEAMS_URL or OORT_NOTIFY_WEBHOOK_URL, or a [notify.*] section in oort.toml",
        ));
    }
    settings
        .notify
        .notifiers()
        .map_err(|e| CliError::config(format!("notify: {e}")))
}

/// What follows a collection (and what `oort checks` runs alone): with `checks`, the checks
/// with the settings' configuration; with channels, the notifications after them; `full`
/// replays every stored sign-in.
pub(crate) fn pipeline(
    settings: &Settings,
    store: Arc<dyn Store>,
    tenant: &str,
    checks: bool,
    notifiers: Option<Vec<Arc<dyn Notifier>>>,
    full: bool,
) -> Pipeline {
    let mut options = CycleOptions::new().full(full);
    if checks {
        options = options.checks(check_config(
            &settings.break_glass_accounts,
            settings.client_id.as_deref(),
        ));
    }
    if let Some(notifiers) = notifiers {
        options = options.notify(notifiers, settings.notify.clone());
    }
    Pipeline::new(store, tenant, Arc::new(SystemClock)).options(options)
}
