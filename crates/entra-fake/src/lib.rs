//! A stateful fake Microsoft Entra ID tenant, served by [wiremock], for testing Graph code
//! without a real tenant.
//!
//! `entra-fake` generates a realistic tenant from a seed (users, guests, groups, directory roles,
//! applications and their credentials, authentication methods, risk, conditional access,
//! Intune devices, directory audits, and up to 30 days of sign-ins), plants attacks and benign
//! look-alikes with their ground truth, and answers the token endpoint and Microsoft Graph
//! (v1.0 and beta) the way the real services do: JWT-shaped tokens, permission and licence
//! checks with Graph's error bodies, paging with absolute `@odata.nextLink`s, `$filter`,
//! `$select`, `$top`, delta queries, `$batch`, remediation with side effects, and the documented
//! throttling limits with `429` and `Retry-After`.
//!
//! Sign-ins are generated lazily: each user's sign-ins of each hour come from a hash of the seed,
//! the user and the hour, so 10,000 users over 30 days (about 3 million sign-ins) are served
//! page by page in memory that does not grow with the number served.
//!
//! It is not a Graph SDK and not a model of every Graph API: it imitates what oort reads and
//! writes (see `graph-reference.md`). Client certificate assertions are verified against one
//! bundled test certificate ([`test_certificate`]), not against certificates of your own. Not
//! imitated: connection resets (wiremock cannot drop a connection), `$orderby` other than
//! `createdDateTime desc` on sign-ins, `or` in `$filter`, and `$search`.
//!
//! # Example
//! Start a fake tenant, get a token and list its users:
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tenant = entra_fake::FakeTenant::builder().seed(7).members(20).start().await?;
//! let creds = tenant.credentials();
//! let http = reqwest::Client::new();
//! let token: serde_json::Value = http.post(tenant.token_url())
//!     .form(&[("grant_type", "client_credentials"), ("client_id", creds.client_id.as_str()),
//!             ("client_secret", creds.client_secret.as_str()),
//!             ("scope", "https://graph.microsoft.com/.default")])
//!     .send().await?.json().await?;
//! let users: serde_json::Value = http.get(format!("{}/v1.0/users", tenant.graph_url()))
//!     .bearer_auth(token["access_token"].as_str().unwrap_or_default())
//!     .send().await?.json().await?;
//! assert_eq!(users["value"].as_array().map(Vec::len), Some(32)); // 20 members, 10 guests, 2 break-glass
//! # Ok(())
//! # }
//! ```
//!
//! # Knobs
//! - [`FakeTenantBuilder`]: seed, sizes, history days, sign-ins per user per day, licence
//!   ([`TenantLicence`]), Intune, granted permissions, "now" and a manual or real-time
//!   [`FakeClock`], planted attacks ([`PlantedAttack`]), latency, [`Throttling`], request
//!   recording, listen address.
//! - [`FakeTenant`]: the clock (new sign-ins appear as it advances; tokens and secrets expire by
//!   it; throttling windows pass by it), latency, throttling, a burst of 503s, a malformed page,
//!   late-arriving sign-ins, and the recorded requests.
//! - Ground truth: [`FakeTenant::ground_truth`] (planted attacks, by detection id of
//!   `detections.md`), [`FakeTenant::benign_cases`], [`FakeTenant::posture_truth`].
//!
//! # Features
//! - `client` (off by default): the module `connect`, which connects the workspace's `entra-auth`
//!   credential and `graph-client` client to a running fake tenant on the fake's clock, for
//!   tests, examples and demos that use those libraries.
//!
//! # Behaviour worth knowing
//! - A sign-in is visible once the clock passes its `createdDateTime` (no ingestion delay), and
//!   for 30 days; [`FakeTenant::insert_late_sign_ins`] adds sign-ins that appear later than they
//!   happened. `$skiptoken`s hold a (`createdDateTime`, id) cursor, so nextLinks stay valid while
//!   new sign-ins arrive.
//! - v1.0 and beta without an event-type filter return interactive sign-ins only; v1.0 refuses
//!   `signInEventTypes` and omits beta-only properties. `appliedConditionalAccessPolicies` needs
//!   `Policy.Read.All` or `Policy.Read.ConditionalAccess`; risk fields read `hidden` below P2.
//! - Permissions and licences follow `entra_model::Capability`, so the fake and the product agree
//!   on what each call needs. Privileged users (directory roles of
//!   `DirectoryRole::PRIVILEGED_TEMPLATE_IDS`, held directly or through a role-assignable group)
//!   cannot be deleted or disabled by the app (403), and on-premises mastered attributes of
//!   synced users cannot be changed (400).
//! - Role management: `roleManagement/directory/roleDefinitions` (`isPrivileged` in beta only),
//!   `roleAssignments` (users and role-assignable groups) and `roleEligibilityScheduleInstances`
//!   (PIM: 403 without `RoleEligibilitySchedule.Read.Directory` or `RoleManagement.Read.*`, 400
//!   `AadPremiumLicenseRequired` below P2), and `users/{id}/transitiveMemberOf`. A generated
//!   tenant has one member eligible for Global Administrator and, when a role-assignable group
//!   holds members only, that group assigned Authentication Administrator; [`Tenant`]'s
//!   `assign_directory_role`, `add_role_eligibility` and `add_role_assignable_group` set up more.
//! - Guests carry the marks of a B2B account (`creationType` Invitation, `externalUserState`,
//!   an `#EXT#` UPN, a `federated` identity issued by their home domain); members a
//!   `userPrincipalName` identity issued by the tenant.
//! - Deleting a user's default authentication method while other methods remain answers 400
//!   `badRequest` "Cannot delete default method with other methods configured..."; it goes once
//!   it is the last one. [`Tenant::set_authentication_methods`] sets methods and the default.
//! - Baseline users sign in from their home city only; failures and interrupts come from their
//!   own address, shared office addresses carry successes only, so that the baseline stays below
//!   every threat detection's threshold and only planted activity fires.
//! - Blocking a user (`accountEnabled: false`) turns their later sign-ins into 50057 failures;
//!   deleting one stops them and removes them from groups (`members@delta` with `@removed`).

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod assertion;
mod attacks;
mod catalog;
mod clock;
mod config;
#[cfg(feature = "client")]
pub mod connect;
mod error;
mod graph;
mod jwt;
mod odata;
mod posture;
mod rng;
mod server;
mod signins;
mod tenant;
mod throttle;

pub use assertion::test_certificate;
pub use clock::FakeClock;
pub use config::{FakeTenantBuilder, PlantedAttack, TenantLicence};
pub use error::FakeError;
pub use server::{FakeTenant, RecordedRequest};
pub use tenant::{BenignCase, Credentials, GroundTruth, PostureFinding, Tenant};
pub use throttle::Throttling;

/// The kinds of sign-in (beta `signInEventTypes`) to select with [`Tenant::sign_ins`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignInKind {
    /// Interactive user sign-ins (what v1.0 returns).
    Interactive,
    /// Non-interactive user sign-ins.
    NonInteractive,
    /// Service principal sign-ins.
    ServicePrincipal,
    /// Managed identity sign-ins.
    ManagedIdentity,
    /// Everything but interactive (beta `signInEventTypes/any(t: t ne 'interactiveUser')`).
    AllButInteractive,
}

impl Tenant {
    /// Every sign-in of `kind` with `start <= createdDateTime < end` that is visible at the
    /// clock's now, newest first, in the beta shape (as a P2 caller with policy read sees it).
    /// Materialises them: meant for tests and small windows.
    pub fn sign_ins(
        &mut self,
        start: time::OffsetDateTime,
        end: time::OffsetDateTime,
        kind: SignInKind,
    ) -> Vec<entra_model::SignIn> {
        use signins::{Kind, KindFilter};
        let f = match kind {
            SignInKind::Interactive => KindFilter::Only(Kind::Interactive),
            SignInKind::NonInteractive => KindFilter::Only(Kind::NonInteractive),
            SignInKind::ServicePrincipal => KindFilter::Only(Kind::ServicePrincipal),
            SignInKind::ManagedIdentity => KindFilter::Only(Kind::ManagedIdentity),
            SignInKind::AllButInteractive => KindFilter::Except(Kind::Interactive),
        };
        self.collect_sign_ins(start, end, f)
    }
}
