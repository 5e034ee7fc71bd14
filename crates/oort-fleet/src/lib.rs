//! The always-on side of oort: the collect -> checks -> notify cycle of a tenant, run once or
//! on a schedule, with a typed report per cycle.
//!
//! `oort collect --watch`, the fleet worker (`oort worker`) and the console all run the same
//! loop, so it lives here rather than in any of them:
//!
//! | step | what | on failure |
//! | --- | --- | --- |
//! | collect | [`Collector::collect_now`](oort_collector::Collector::collect_now): every enabled stream into the store | a failed stream is in the report; a run that cannot be recorded ends the cycle with [`FleetError::Collection`] |
//! | checks | [`oort_checks::run_checks_with`] over the store (incremental unless [`CycleOptions::full`]) | [`FleetError::Checks`] in the [`CycleReport`]; the next cycle runs them again |
//! | notify | [`oort_checks::notify::notify_findings`]: what each channel has not been told yet | an undelivered message is a failure in the [`NotifySummary`](oort_checks::notify::NotifySummary) and stays unrecorded, so the next cycle retries it; a dispatch that cannot run at all is [`FleetError::Notify`] |
//!
//! - [`Pipeline::run_cycle`] runs one cycle ("Collect now").
//! - [`Pipeline::watch`] runs a cycle every interval (with jitter) until the collector's
//!   [`CancelHandle`](oort_collector::CancelHandle) fires, driven by
//!   [`Collector::run_every_then`](oort_collector::Collector::run_every_then), and hands each
//!   cycle's report to the caller; a failed analysis does not stop it.
//! - [`Pipeline::analyse`] runs the checks and notifications without collecting (`oort checks`).
//!
//! The crate prints nothing (the CLI and the console present the reports; the library logs
//! through `tracing`), reads "now" from an injected [`Clock`](entra_auth::Clock), and makes no
//! Graph call or SQL query of its own: collection is `oort-collector`'s, analysis and
//! notification `oort-checks`', storage `oort-store`'s. It is not yet the fleet itself:
//! per-tenant schedules with leases across processes, stream consumers and heartbeats are the
//! plan of `DESIGN.md` for this crate, not its content today.
//!
//! # Example
//!
//! One cycle over a fake tenant with planted attacks: the collection, the checks that find the
//! attacks, one webhook digest; then a second cycle that has nothing new to tell:
//!
//! ```
//! use std::sync::Arc;
//! use entra_auth::{Clock, ManualClock};
//! use entra_fake::connect::FakeConnection;
//! use entra_fake::{FakeTenant, Throttling};
//! use oort_checks::notify::{NotifyConfig, WebhookConfig};
//! use oort_checks::CheckConfig;
//! use oort_collector::Collector;
//! use oort_fleet::{CycleOptions, Pipeline};
//! use oort_store::prelude::*;
//! use oort_store::SqliteStore;
//! use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tenant = FakeTenant::builder()
//!     .seed(7)
//!     .members(40)
//!     .history_days(10)
//!     .sign_ins_per_user_per_day(2.0)
//!     .throttling(Throttling::disabled())
//!     .start()
//!     .await?;
//! // The fake's time stands still; so does the pipeline's.
//! let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(tenant.clock().now()));
//! let FakeConnection { credential, client, scope, .. } = FakeConnection::builder(&tenant)
//!     .clock(clock.clone())
//!     .graph(|client| client.throttling(false))
//!     .build()?;
//! let granted = credential.get_token(&scope).await?.claims.roles;
//! let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory()?);
//! let collector = Collector::new(client, store.clone(), tenant.tenant_id(), granted, clock.clone());
//!
//! // A webhook that accepts everything.
//! let hook = MockServer::start().await;
//! Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&hook).await;
//! let mut notify = NotifyConfig::default();
//! notify.digest = true; // one message per channel and cycle
//! notify.webhook = Some(WebhookConfig::new(format!("{}/hook", hook.uri()).into()));
//! let mut checks = CheckConfig::default();
//! checks.break_glass_accounts = tenant.break_glass_accounts();
//! let options = CycleOptions::new().checks(checks).notify(notify.notifiers()?, notify);
//! let pipeline = Pipeline::new(store, tenant.tenant_id(), clock).options(options);
//!
//! let cycle = pipeline.run_cycle(&collector).await?;
//! assert!(cycle.is_success(), "{cycle:#?}");
//! assert!(cycle.checks().is_some_and(|c| c.new > 0));
//! assert_eq!(cycle.notifications().map(|n| n.sent().count()), Some(1));
//!
//! // Nothing new since: nothing to tell.
//! let again = pipeline.run_cycle(&collector).await?;
//! assert_eq!(again.checks().map(|c| c.new), Some(0));
//! assert_eq!(again.notifications().map(|n| n.deliveries.len()), Some(0));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod error;
mod options;
mod pipeline;
mod report;

pub use error::{FleetError, Stage};
pub use options::CycleOptions;
pub use pipeline::Pipeline;
pub use report::{Analysis, CycleReport, WatchReport};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_cross_tasks() {
        assert_send_sync::<Pipeline>();
        assert_send_sync::<CycleOptions>();
        assert_send_sync::<CycleReport>();
        assert_send_sync::<WatchReport>();
        assert_send_sync::<Analysis>();
        assert_send_sync::<FleetError>();
    }
}
