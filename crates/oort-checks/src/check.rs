//! The catalogue: every check's id, kind and default severity.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The finding vocabulary is the store's: a finding's kind and severity are kept as they are
/// here.
pub use oort_store::{FindingKind, Severity};

macro_rules! checks {
    ($( $(#[$m:meta])* $variant:ident = $id:literal, $kind:ident; )+) => {
        /// A check or detection of the catalogue (`detections.md`), serialised as its id
        /// (`password-spray`, `app-credential-expiring`, ...).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[non_exhaustive]
        pub enum CheckId {
            $( $(#[$m])* #[serde(rename = $id)] $variant, )+
        }

        impl CheckId {
            /// Every check, threat detections first, in catalogue order.
            pub const ALL: &'static [CheckId] = &[$(CheckId::$variant),+];

            /// The catalogue id, e.g. `password-spray`.
            pub fn as_str(self) -> &'static str {
                match self { $(CheckId::$variant => $id,)+ }
            }

            /// Posture check or threat detection.
            pub fn kind(self) -> FindingKind {
                match self { $(CheckId::$variant => FindingKind::$kind,)+ }
            }
        }

        impl FromStr for CheckId {
            type Err = crate::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($id => Ok(CheckId::$variant),)+
                    other => Err(crate::Error::UnknownCheck { id: other.to_owned() }),
                }
            }
        }
    };
}

checks! {
    /// One IP failing passwords on many users.
    PasswordSpray = "password-spray", Threat;
    /// A user signs in from an IP that failed on many other accounts.
    AccountUnderAttack = "account-under-attack", Threat;
    /// Many failures on one user, possibly followed by a success.
    BruteForce = "brute-force", Threat;
    /// Many password failures on one user from several locations in a day.
    DistributedCracking = "distributed-cracking", Threat;
    /// Many lockouts across many users.
    LockoutStorm = "lockout-storm", Threat;
    /// Repeated MFA prompts denied (push bombing).
    MfaFatigue = "mfa-fatigue", Threat;
    /// A user declined an MFA prompt or reported fraud.
    MfaFraudReported = "mfa-fraud-reported", Threat;
    /// Two successful sign-ins too far apart for the time between them.
    ImpossibleTravel = "impossible-travel", Threat;
    /// Correct password from a country the user has not succeeded from recently.
    NewCountry = "new-country", Threat;
    /// A successful sign-in from a denied country or region.
    DeniedTerritory = "denied-territory", Threat;
    /// A successful sign-in over a legacy protocol.
    LegacyAuth = "legacy-auth", Threat;
    /// A disabled account tried from one IP against several applications.
    DisabledAccountProbing = "disabled-account-probing", Threat;
    /// Any sign-in of a break-glass account.
    BreakGlassSignIn = "break-glass-sign-in", Threat;
    /// Unusually many sign-ins of one user in a day.
    HighActivity = "high-activity", Threat;
    /// A sign-in Identity Protection rated high risk and nobody cleared.
    RiskySignIn = "risky-sign-in", Threat;
    /// Conditional access failures for one user from several IPs.
    CaBypassAttempt = "ca-bypass-attempt", Threat;
    /// A client secret or certificate expiring soon or expired.
    AppCredentialExpiring = "app-credential-expiring", Posture;
    /// A client secret or certificate valid for too long.
    AppCredentialLongLived = "app-credential-long-lived", Posture;
    /// An enabled member without a recent successful sign-in.
    InactiveUser = "inactive-user", Posture;
    /// A guest without a recent successful sign-in.
    InactiveGuest = "inactive-guest", Posture;
    /// An account that never signed in.
    NeverSignedIn = "never-signed-in", Posture;
    /// An enabled member without an MFA-capable method.
    NoMfa = "no-mfa", Posture;
    /// A privileged role member without MFA or without a phishing-resistant method.
    AdminWithoutMfa = "admin-without-mfa", Posture;
    /// Too few or too many Global Administrators.
    GlobalAdminCount = "global-admin-count", Posture;
    /// A user Identity Protection rates high risk.
    RiskyUser = "risky-user", Posture;
    /// Data a check needs cannot be read for want of a licence or permission.
    LicenceGap = "licence-gap", Posture;
    /// Collected items this version could not read were set aside: the analysis does not see
    /// them until they are re-read (`oort collect --retry-rejected`).
    CollectionGap = "collection-gap", Posture;
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
