//! The CLI's check settings; the checks run through `oort_checks::run_checks`.

use oort_checks::CheckConfig;

/// The check configuration from the settings: the catalogue defaults, the break-glass accounts
/// and oort's own client id (so that its own secret gets its own expiry finding).
pub(crate) fn check_config(break_glass: &[String], client_id: Option<&str>) -> CheckConfig {
    let mut c = CheckConfig::default();
    c.break_glass_accounts = break_glass.to_vec();
    c.oort_client_id = client_id.map(str::to_owned);
    c
}
