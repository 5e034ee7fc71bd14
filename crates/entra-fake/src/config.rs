//! The builder of a fake tenant and the knobs it takes.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration as StdDuration;

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::error::FakeError;
use crate::tenant::Tenant;
use crate::throttle::Throttling;
use crate::FakeTenant;

/// The Entra ID licence of the fake tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TenantLicence {
    /// Entra ID Free: no sign-in logs, no `signInActivity`, no registration report, no risk.
    Free,
    /// Entra ID P1: sign-ins and reports; risk fields read `hidden`, no risky users.
    P1,
    /// Entra ID P2: everything, including risk.
    P2,
}

/// An attack the generator can plant, each with its ground truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PlantedAttack {
    /// One foreign IP fails the password of many users in a few minutes (`password-spray`).
    PasswordSpray,
    /// Many failed passwords of one user, then a success (`brute-force`).
    BruteForce,
    /// A burst of MFA denials (500121), then a success (`mfa-fatigue`).
    MfaFatigue,
    /// An MFA prompt the user reported as fraud (`mfa-fraud-reported`).
    MfaFraudReported,
    /// Two successes of one user too far apart for the time between them (`impossible-travel`).
    ImpossibleTravel,
    /// A success from a country the user never signed in from (`new-country`).
    NewCountry,
    /// Successful legacy authentication: IMAP4 and BAV2ROPC (`legacy-auth`).
    LegacyAuth,
    /// A success from a sanctioned country (`denied-territory`).
    DeniedTerritory,
    /// A sign-in of a break-glass account (`break-glass-sign-in`).
    BreakGlass,
    /// Many accounts locked out in minutes (`lockout-storm`).
    LockoutStorm,
    /// A success with high sign-in risk (`risky-sign-in`; visible on P2 only).
    RiskySignIn,
}

impl PlantedAttack {
    /// Every attack the generator knows.
    pub const ALL: &'static [PlantedAttack] = &[
        PlantedAttack::PasswordSpray,
        PlantedAttack::BruteForce,
        PlantedAttack::MfaFatigue,
        PlantedAttack::MfaFraudReported,
        PlantedAttack::ImpossibleTravel,
        PlantedAttack::NewCountry,
        PlantedAttack::LegacyAuth,
        PlantedAttack::DeniedTerritory,
        PlantedAttack::BreakGlass,
        PlantedAttack::LockoutStorm,
        PlantedAttack::RiskySignIn,
    ];
}

/// Builds a [`FakeTenant`] (or only its data, with [`FakeTenantBuilder::build`]).
#[derive(Debug, Clone)]
pub struct FakeTenantBuilder {
    pub(crate) seed: u64,
    pub(crate) members: u32,
    pub(crate) guests: u32,
    pub(crate) groups: u32,
    pub(crate) applications: u32,
    pub(crate) history_days: u32,
    pub(crate) sign_ins_per_user_per_day: f64,
    pub(crate) interactive_share: f64,
    pub(crate) licence: TenantLicence,
    pub(crate) intune: bool,
    pub(crate) permissions: Option<Vec<String>>,
    pub(crate) now: OffsetDateTime,
    pub(crate) real_time: bool,
    pub(crate) attacks: BTreeSet<PlantedAttack>,
    pub(crate) benign: bool,
    pub(crate) app_secret_remaining: Duration,
    pub(crate) latency: StdDuration,
    pub(crate) throttling: Throttling,
    pub(crate) record_requests: bool,
    pub(crate) listen: Option<SocketAddr>,
    pub(crate) domain: Option<String>,
    pub(crate) certificate: bool,
}

impl Default for FakeTenantBuilder {
    fn default() -> Self {
        FakeTenantBuilder {
            seed: 1,
            members: 50,
            guests: 10,
            groups: 12,
            applications: 8,
            history_days: 30,
            sign_ins_per_user_per_day: 10.0,
            interactive_share: 0.3,
            licence: TenantLicence::P2,
            intune: true,
            permissions: None,
            now: datetime!(2025-06-02 12:00 UTC),
            real_time: false,
            attacks: PlantedAttack::ALL.iter().copied().collect(),
            benign: true,
            app_secret_remaining: Duration::days(75),
            latency: StdDuration::ZERO,
            throttling: Throttling::documented(),
            record_requests: false,
            listen: None,
            domain: None,
            certificate: true,
        }
    }
}

impl FakeTenantBuilder {
    /// The seed everything is derived from. Default: 1.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Member users (besides two break-glass accounts). Default: 50.
    pub fn members(mut self, n: u32) -> Self {
        self.members = n;
        self
    }

    /// Guest (B2B) users. Default: 10.
    pub fn guests(mut self, n: u32) -> Self {
        self.guests = n;
        self
    }

    /// Groups. Default: 12.
    pub fn groups(mut self, n: u32) -> Self {
        self.groups = n;
        self
    }

    /// Application registrations besides the fake app itself. Default: 8.
    pub fn applications(mut self, n: u32) -> Self {
        self.applications = n;
        self
    }

    /// Days of sign-in history before "now", 1 to 30. Default: 30.
    pub fn history_days(mut self, days: u32) -> Self {
        self.history_days = days;
        self
    }

    /// Average sign-ins (interactive and non-interactive) of an active user per working day.
    /// Default: 10.
    pub fn sign_ins_per_user_per_day(mut self, n: f64) -> Self {
        self.sign_ins_per_user_per_day = n;
        self
    }

    /// The tenant's Entra ID licence. Default: P2.
    pub fn licence(mut self, licence: TenantLicence) -> Self {
        self.licence = licence;
        self
    }

    /// Whether the tenant has Intune. Default: on.
    pub fn intune(mut self, on: bool) -> Self {
        self.intune = on;
        self
    }

    /// The application permissions granted to the fake app (its token's `roles`). Default: every
    /// read permission of `entra_model::Permission` plus the remediation set
    /// (`User.ReadWrite.All`, `User.EnableDisableAccount.All`, `User.RevokeSessions.All`,
    /// `UserAuthenticationMethod.ReadWrite.All`).
    pub fn permissions<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions = Some(roles.into_iter().map(Into::into).collect());
        self
    }

    /// The tenant's "now" at start. Default: 2025-06-02T12:00:00Z (fixed, for determinism).
    pub fn now(mut self, now: OffsetDateTime) -> Self {
        self.now = now;
        self
    }

    /// Let the clock run with real time from [`FakeTenantBuilder::now`] (for long-running
    /// servers). Default: off (a manual clock moved by `FakeTenant::clock`).
    pub fn real_time(mut self, on: bool) -> Self {
        self.real_time = on;
        self
    }

    /// Plant every attack (true) or none (false). Default: all planted.
    pub fn attacks(mut self, on: bool) -> Self {
        self.attacks = if on {
            PlantedAttack::ALL.iter().copied().collect()
        } else {
            BTreeSet::new()
        };
        self
    }

    /// Plant (or not) one attack. Default: all planted.
    pub fn attack(mut self, attack: PlantedAttack, on: bool) -> Self {
        if on {
            self.attacks.insert(attack);
        } else {
            self.attacks.remove(&attack);
        }
        self
    }

    /// Plant the benign look-alikes (plane traveller, four failed passwords then success,
    /// shared VPN address). Default: on.
    pub fn benign_lookalikes(mut self, on: bool) -> Self {
        self.benign = on;
        self
    }

    /// Time left before the fake app's own client secret expires (negative: already expired,
    /// and the token endpoint answers AADSTS7000222). Default: 75 days.
    pub fn app_secret_expires_in(mut self, remaining: Duration) -> Self {
        self.app_secret_remaining = remaining;
        self
    }

    /// Delay added to every response. Default: none.
    pub fn latency(mut self, latency: StdDuration) -> Self {
        self.latency = latency;
        self
    }

    /// Throttling limits. Default: [`Throttling::documented`].
    pub fn throttling(mut self, throttling: Throttling) -> Self {
        self.throttling = throttling;
        self
    }

    /// Keep a record of requests (method and URL). Default: off, so memory stays flat.
    pub fn record_requests(mut self, on: bool) -> Self {
        self.record_requests = on;
        self
    }

    /// Listen on this address instead of a random port on 127.0.0.1.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Some(addr);
        self
    }

    /// The tenant's verified domain. Default: derived from the seed, e.g. `contoso1.onmicrosoft.com`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Register the bundled test certificate ([`crate::test_certificate`]) on the fake app, so
    /// that client assertions signed with its key are accepted. Default: on.
    pub fn certificate(mut self, on: bool) -> Self {
        self.certificate = on;
        self
    }

    fn validate(&self) -> Result<(), FakeError> {
        if !(1..=30).contains(&self.history_days) {
            return Err(FakeError::config("history_days must be between 1 and 30"));
        }
        if !(0.0..=5000.0).contains(&self.sign_ins_per_user_per_day) {
            return Err(FakeError::config(
                "sign_ins_per_user_per_day must be between 0 and 5000",
            ));
        }
        if self.members < 1 {
            return Err(FakeError::config("a tenant needs at least one member"));
        }
        Ok(())
    }

    /// Generates the tenant's data without starting a server.
    pub fn build(self) -> Result<Tenant, FakeError> {
        self.validate()?;
        Ok(Tenant::generate(self))
    }

    /// Generates the tenant and serves it.
    pub async fn start(self) -> Result<FakeTenant, FakeError> {
        let listen = self.listen;
        let latency = self.latency;
        let record = self.record_requests;
        let tenant = self.build()?;
        FakeTenant::serve(tenant, listen, latency, record).await
    }
}
