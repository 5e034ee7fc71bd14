//! The CLI's check and notification settings, and one analysis: the checks through
//! `oort_checks::run_checks_with`, then the notifications through `notify_findings`.

use std::sync::Arc;

use entra_auth::{Clock, SystemClock};
use oort_checks::notify::{notify_findings, Notifier, NotifySummary};
use oort_checks::{run_checks_with, CheckConfig, ChecksSummary, RunOptions};
use oort_store::prelude::*;

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

/// Runs the checks over the store, then (with channels) the notifications.
pub(crate) async fn analyse(
    settings: &Settings,
    store: &dyn Store,
    tenant: &str,
    notifiers: Option<&[Arc<dyn Notifier>]>,
    full: bool,
) -> Result<(ChecksSummary, Option<NotifySummary>), CliError> {
    let config = check_config(
        &settings.break_glass_accounts,
        settings.client_id.as_deref(),
    );
    let options = if full {
        RunOptions::full()
    } else {
        RunOptions::default()
    };
    let summary = run_checks_with(store, tenant, &config, SystemClock.now(), &options).await?;
    let Some(notifiers) = notifiers else {
        return Ok((summary, None));
    };
    let sent = notify_findings(
        store,
        tenant,
        notifiers,
        &settings.notify,
        SystemClock.now(),
    )
    .await
    .map_err(|e| CliError::failure(format!("notify: {e}")))?;
    Ok((summary, Some(sent)))
}
