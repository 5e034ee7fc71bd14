//! Authentication methods (`authenticationMethod`, polymorphic) and the registration report.

use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::directory::{short_type_name, TypeProbe};
use crate::open_enum::open_enum;
use crate::user::UserType;

open_enum! {
    /// Which phone a phone method is (`phoneType`).
    pub enum PhoneType {
        Mobile = "mobile",
        AlternateMobile = "alternateMobile",
        Office = "office",
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// Fixed method id of the mobile phone method.
pub const MOBILE_PHONE_METHOD_ID: &str = "3179e48a-750b-4051-897c-87b9720928f7";
/// Fixed method id of the alternate mobile phone method.
pub const ALTERNATE_MOBILE_PHONE_METHOD_ID: &str = "b6332ec1-7057-4abe-9331-3d72feddfe41";
/// Fixed method id of the office phone method.
pub const OFFICE_PHONE_METHOD_ID: &str = "e37fc753-ff3b-4958-9484-eaa9425c82bc";
/// Fixed method id of the e-mail method.
pub const EMAIL_METHOD_ID: &str = "3ddfcfc8-9383-446f-83cc-3ab9be4be18f";
/// Usual method id of the password method.
pub const PASSWORD_METHOD_ID: &str = "28c10230-6103-485e-b985-444c60001490";

/// The password method (never deletable; `password` is always null).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PasswordAuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Always null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// When the password was set.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
}

/// A phone registered for SMS or voice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PhoneAuthenticationMethod {
    /// Method id: one of the fixed phone ids.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Mobile, alternate mobile or office.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_type: Option<PhoneType>,
    /// SMS sign-in state, e.g. `notSupported`, `ready`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_sign_in_state: Option<String>,
}

/// The Microsoft Authenticator app.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct MicrosoftAuthenticatorAuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Device tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_tag: Option<String>,
    /// App version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_app_version: Option<String>,
    /// Client app name (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_app_name: Option<String>,
    /// Registration time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
}

/// A FIDO2 security key or passkey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Fido2AuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Registration time (`createdDateTime`; v1.0 examples say `creationDateTime`).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none",
        alias = "creationDateTime"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Authenticator attestation GUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aa_guid: Option<String>,
    /// Model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Attestation certificates.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub attestation_certificates: Vec<String>,
    /// Attestation level.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attestation_level: Option<String>,
}

/// A software OATH token. `Debug` never prints `secret_key`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SoftwareOathAuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Secret key (null on reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
    /// Registration time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
}

/// An e-mail address for self-service password reset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct EmailAuthenticationMethod {
    /// Method id (always the fixed e-mail id).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// A temporary access pass. `Debug` never prints the pass.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct TemporaryAccessPassAuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// The pass (only in the creation answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_access_pass: Option<String>,
    /// Creation time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Start of validity.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<OffsetDateTime>,
    /// Lifetime in minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_in_minutes: Option<i64>,
    /// Whether the pass works once only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_usable_once: Option<bool>,
    /// Whether the pass is usable now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_usable: Option<bool>,
    /// Why it is (not) usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method_usability_reason: Option<String>,
}

/// Windows Hello for Business.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct WindowsHelloForBusinessAuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Registration time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Key strength, e.g. `normal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_strength: Option<String>,
    /// The device (with `$expand=device`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<serde_json::Value>,
}

/// A macOS Platform SSO credential.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlatformCredentialAuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Registration time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Key strength.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_strength: Option<String>,
    /// Platform, e.g. `macOS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// An external authentication method (a third-party MFA provider).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ExternalAuthenticationMethod {
    /// Method id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Registration time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// The external provider configuration id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration_id: Option<String>,
}

fn redacted(v: &Option<String>) -> Option<&'static str> {
    v.as_ref().map(|_| "[REDACTED]")
}

impl fmt::Debug for PasswordAuthenticationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordAuthenticationMethod")
            .field("id", &self.id)
            .field("password", &redacted(&self.password))
            .field("created_date_time", &self.created_date_time)
            .finish()
    }
}

impl fmt::Debug for SoftwareOathAuthenticationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareOathAuthenticationMethod")
            .field("id", &self.id)
            .field("secret_key", &redacted(&self.secret_key))
            .field("created_date_time", &self.created_date_time)
            .finish()
    }
}

impl fmt::Debug for TemporaryAccessPassAuthenticationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryAccessPassAuthenticationMethod")
            .field("id", &self.id)
            .field(
                "temporary_access_pass",
                &redacted(&self.temporary_access_pass),
            )
            .field("created_date_time", &self.created_date_time)
            .field("start_date_time", &self.start_date_time)
            .field("lifetime_in_minutes", &self.lifetime_in_minutes)
            .field("is_usable_once", &self.is_usable_once)
            .field("is_usable", &self.is_usable)
            .field("method_usability_reason", &self.method_usability_reason)
            .finish()
    }
}

/// A registered authentication method of a user (`GET /users/{id}/authentication/methods`),
/// distinguished by `@odata.type`.
///
/// Each variant knows the path segment it is deleted at (the generic `methods/{id}` path has no
/// DELETE in v1.0) and whether it may be deleted at all: the password method may not.
///
/// ```
/// use entra_model::AuthenticationMethod;
/// let m: AuthenticationMethod = serde_json::from_str(r##"{
///     "@odata.type": "#microsoft.graph.phoneAuthenticationMethod",
///     "id": "3179e48a-750b-4051-897c-87b9720928f7", "phoneNumber": "+1 2065555555", "phoneType": "mobile"
/// }"##).unwrap();
/// assert_eq!(
///     m.delete_path("u1").as_deref(),
///     Some("/users/u1/authentication/phoneMethods/3179e48a-750b-4051-897c-87b9720928f7"),
/// );
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum AuthenticationMethod {
    /// `#microsoft.graph.passwordAuthenticationMethod`
    Password(PasswordAuthenticationMethod),
    /// `#microsoft.graph.phoneAuthenticationMethod`
    Phone(PhoneAuthenticationMethod),
    /// `#microsoft.graph.microsoftAuthenticatorAuthenticationMethod`
    MicrosoftAuthenticator(MicrosoftAuthenticatorAuthenticationMethod),
    /// `#microsoft.graph.fido2AuthenticationMethod`
    Fido2(Fido2AuthenticationMethod),
    /// `#microsoft.graph.softwareOathAuthenticationMethod`
    SoftwareOath(SoftwareOathAuthenticationMethod),
    /// `#microsoft.graph.emailAuthenticationMethod`
    Email(EmailAuthenticationMethod),
    /// `#microsoft.graph.temporaryAccessPassAuthenticationMethod`
    TemporaryAccessPass(TemporaryAccessPassAuthenticationMethod),
    /// `#microsoft.graph.windowsHelloForBusinessAuthenticationMethod`
    WindowsHelloForBusiness(WindowsHelloForBusinessAuthenticationMethod),
    /// `#microsoft.graph.platformCredentialAuthenticationMethod`
    PlatformCredential(PlatformCredentialAuthenticationMethod),
    /// `#microsoft.graph.externalAuthenticationMethod`
    External(ExternalAuthenticationMethod),
    /// Any other type, kept as received; never deleted by oort.
    Other {
        /// The `@odata.type` value, if any.
        odata_type: Option<String>,
        /// The method id, if any.
        id: Option<String>,
        /// The method's JSON text.
        raw: Box<RawValue>,
    },
}

macro_rules! each_known {
    ($self:expr, $v:ident => $e:expr, $other:pat => $o:expr) => {
        match $self {
            AuthenticationMethod::Password($v) => $e,
            AuthenticationMethod::Phone($v) => $e,
            AuthenticationMethod::MicrosoftAuthenticator($v) => $e,
            AuthenticationMethod::Fido2($v) => $e,
            AuthenticationMethod::SoftwareOath($v) => $e,
            AuthenticationMethod::Email($v) => $e,
            AuthenticationMethod::TemporaryAccessPass($v) => $e,
            AuthenticationMethod::WindowsHelloForBusiness($v) => $e,
            AuthenticationMethod::PlatformCredential($v) => $e,
            AuthenticationMethod::External($v) => $e,
            $other => $o,
        }
    };
}

impl fmt::Debug for AuthenticationMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each_known!(self, v => fmt::Debug::fmt(v, f),
            AuthenticationMethod::Other { odata_type, id, .. } => f
                .debug_struct("Other")
                .field("odata_type", odata_type)
                .field("id", id)
                .finish_non_exhaustive())
    }
}

impl PartialEq for AuthenticationMethod {
    fn eq(&self, other: &Self) -> bool {
        use AuthenticationMethod as M;
        match (self, other) {
            (M::Password(a), M::Password(b)) => a == b,
            (M::Phone(a), M::Phone(b)) => a == b,
            (M::MicrosoftAuthenticator(a), M::MicrosoftAuthenticator(b)) => a == b,
            (M::Fido2(a), M::Fido2(b)) => a == b,
            (M::SoftwareOath(a), M::SoftwareOath(b)) => a == b,
            (M::Email(a), M::Email(b)) => a == b,
            (M::TemporaryAccessPass(a), M::TemporaryAccessPass(b)) => a == b,
            (M::WindowsHelloForBusiness(a), M::WindowsHelloForBusiness(b)) => a == b,
            (M::PlatformCredential(a), M::PlatformCredential(b)) => a == b,
            (M::External(a), M::External(b)) => a == b,
            (M::Other { raw: a, .. }, M::Other { raw: b, .. }) => a.get() == b.get(),
            _ => false,
        }
    }
}

impl AuthenticationMethod {
    /// Parses a method from its JSON text, dispatching on `@odata.type`.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, serde_json::Error> {
        use AuthenticationMethod as M;
        let probe: TypeProbe<'_> = serde_json::from_str(raw.get())?;
        let short = probe
            .odata_type
            .as_deref()
            .map(short_type_name)
            .unwrap_or("");
        let json = raw.get();
        let is = |name: &str| short.eq_ignore_ascii_case(name);
        Ok(if is("passwordAuthenticationMethod") {
            M::Password(serde_json::from_str(json)?)
        } else if is("phoneAuthenticationMethod") {
            M::Phone(serde_json::from_str(json)?)
        } else if is("microsoftAuthenticatorAuthenticationMethod") {
            M::MicrosoftAuthenticator(serde_json::from_str(json)?)
        } else if is("fido2AuthenticationMethod") {
            M::Fido2(serde_json::from_str(json)?)
        } else if is("softwareOathAuthenticationMethod") {
            M::SoftwareOath(serde_json::from_str(json)?)
        } else if is("emailAuthenticationMethod") {
            M::Email(serde_json::from_str(json)?)
        } else if is("temporaryAccessPassAuthenticationMethod") {
            M::TemporaryAccessPass(serde_json::from_str(json)?)
        } else if is("windowsHelloForBusinessAuthenticationMethod") {
            M::WindowsHelloForBusiness(serde_json::from_str(json)?)
        } else if is("platformCredentialAuthenticationMethod") {
            M::PlatformCredential(serde_json::from_str(json)?)
        } else if is("externalAuthenticationMethod") {
            M::External(serde_json::from_str(json)?)
        } else {
            let odata_type = probe.odata_type.map(|t| t.into_owned());
            let id = probe.id.map(|t| t.into_owned());
            M::Other {
                odata_type,
                id,
                raw,
            }
        })
    }

    /// The method id.
    pub fn id(&self) -> Option<&str> {
        each_known!(self, v => Some(v.id.as_str()), AuthenticationMethod::Other { id, .. } => id.as_deref())
    }

    /// The full `@odata.type` name, e.g. `#microsoft.graph.fido2AuthenticationMethod`.
    pub fn odata_type(&self) -> Option<&str> {
        use AuthenticationMethod as M;
        Some(match self {
            M::Password(_) => "#microsoft.graph.passwordAuthenticationMethod",
            M::Phone(_) => "#microsoft.graph.phoneAuthenticationMethod",
            M::MicrosoftAuthenticator(_) => {
                "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"
            }
            M::Fido2(_) => "#microsoft.graph.fido2AuthenticationMethod",
            M::SoftwareOath(_) => "#microsoft.graph.softwareOathAuthenticationMethod",
            M::Email(_) => "#microsoft.graph.emailAuthenticationMethod",
            M::TemporaryAccessPass(_) => "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            M::WindowsHelloForBusiness(_) => {
                "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod"
            }
            M::PlatformCredential(_) => "#microsoft.graph.platformCredentialAuthenticationMethod",
            M::External(_) => "#microsoft.graph.externalAuthenticationMethod",
            M::Other { odata_type, .. } => return odata_type.as_deref(),
        })
    }

    /// The short type name, e.g. `phoneAuthenticationMethod`.
    pub fn type_name(&self) -> Option<&str> {
        self.odata_type().map(short_type_name)
    }

    /// The path segment under `/users/{id}/authentication/` where this method is deleted, or
    /// `None` when it cannot be deleted (the password method, and types oort does not know).
    pub fn delete_segment(&self) -> Option<&'static str> {
        use AuthenticationMethod as M;
        match self {
            M::Password(_) | M::Other { .. } => None,
            M::Phone(_) => Some("phoneMethods"),
            M::MicrosoftAuthenticator(_) => Some("microsoftAuthenticatorMethods"),
            M::Fido2(_) => Some("fido2Methods"),
            M::SoftwareOath(_) => Some("softwareOathMethods"),
            M::Email(_) => Some("emailMethods"),
            M::TemporaryAccessPass(_) => Some("temporaryAccessPassMethods"),
            M::WindowsHelloForBusiness(_) => Some("windowsHelloForBusinessMethods"),
            M::PlatformCredential(_) => Some("platformCredentialMethods"),
            M::External(_) => Some("externalAuthenticationMethods"),
        }
    }

    /// Whether oort may delete this method (everything but the password and unknown types).
    pub fn is_deletable(&self) -> bool {
        self.delete_segment().is_some()
    }

    /// The DELETE path (relative to the API version root) for a user, when deletable.
    pub fn delete_path(&self, user_id: &str) -> Option<String> {
        let segment = self.delete_segment()?;
        let id = self.id()?;
        Some(format!("/users/{user_id}/authentication/{segment}/{id}"))
    }

    /// Position in a full MFA reset: alternate and office phones first, then Authenticator,
    /// OATH, FIDO2, Windows Hello, platform and external methods, TAP, e-mail, and the mobile
    /// phone last (Graph refuses to keep an alternate phone without a mobile one). Sort by it.
    pub fn reset_order(&self) -> u8 {
        use AuthenticationMethod as M;
        match self {
            M::Phone(p) => match p.phone_type {
                Some(PhoneType::Mobile) => 10,
                Some(PhoneType::AlternateMobile) => 0,
                Some(PhoneType::Office) => 1,
                _ if p.id == MOBILE_PHONE_METHOD_ID => 10,
                _ => 1,
            },
            M::MicrosoftAuthenticator(_) => 2,
            M::SoftwareOath(_) => 3,
            M::Fido2(_) => 4,
            M::WindowsHelloForBusiness(_) => 5,
            M::PlatformCredential(_) => 6,
            M::External(_) => 7,
            M::TemporaryAccessPass(_) => 8,
            M::Email(_) => 9,
            M::Password(_) | M::Other { .. } => 11,
        }
    }

    /// Whether the method can serve as a second factor (phone, Authenticator, OATH, FIDO2,
    /// Windows Hello, platform credential, external provider).
    pub fn is_mfa_capable(&self) -> bool {
        use AuthenticationMethod as M;
        matches!(
            self,
            M::Phone(_)
                | M::MicrosoftAuthenticator(_)
                | M::SoftwareOath(_)
                | M::Fido2(_)
                | M::WindowsHelloForBusiness(_)
                | M::PlatformCredential(_)
                | M::External(_)
        )
    }

    /// Whether the method is phishing-resistant (FIDO2, Windows Hello, platform credential).
    pub fn is_phishing_resistant(&self) -> bool {
        use AuthenticationMethod as M;
        matches!(
            self,
            M::Fido2(_) | M::WindowsHelloForBusiness(_) | M::PlatformCredential(_)
        )
    }
}

impl<'de> Deserialize<'de> for AuthenticationMethod {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        AuthenticationMethod::from_raw(raw).map_err(D::Error::custom)
    }
}

impl Serialize for AuthenticationMethod {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        let t = self.odata_type().unwrap_or_default().to_owned();
        let mut value = each_known!(self, v => serde_json::to_value(v).map_err(S::Error::custom)?,
            AuthenticationMethod::Other { raw, .. } => return raw.serialize(serializer));
        if let serde_json::Value::Object(map) = &mut value {
            map.insert("@odata.type".to_owned(), serde_json::Value::String(t));
        }
        value.serialize(serializer)
    }
}

/// A user's MFA and SSPR registration state, from the registration report
/// (`GET /reports/authenticationMethods/userRegistrationDetails`; P1/P2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserRegistrationDetails {
    /// The user's object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// UPN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    /// Member or guest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Whether the user holds an admin role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    /// Whether the user has a method usable for MFA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mfa_capable: Option<bool>,
    /// Whether the user registered for MFA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mfa_registered: Option<bool>,
    /// Whether the user can sign in without a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_passwordless_capable: Option<bool>,
    /// Whether the user can reset their password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_sspr_capable: Option<bool>,
    /// Whether SSPR is enabled for the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_sspr_enabled: Option<bool>,
    /// Whether the user registered for SSPR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_sspr_registered: Option<bool>,
    /// Whether system-preferred MFA is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_system_preferred_authentication_method_enabled: Option<bool>,
    /// When the record was last updated.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_date_time: Option<OffsetDateTime>,
    /// Registered methods, e.g. `mobilePhone`, `microsoftAuthenticatorPush`, `fido2` (open set).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub methods_registered: Vec<String>,
    /// System-preferred methods.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub system_preferred_authentication_methods: Vec<String>,
    /// User-preferred second factor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_preferred_method_for_secondary_authentication: Option<String>,
}

impl UserRegistrationDetails {
    /// Whether a phishing-resistant method (FIDO2, Windows Hello, passkey, certificate) is registered.
    pub fn has_phishing_resistant_method(&self) -> bool {
        self.methods_registered.iter().any(|m| {
            matches!(
                m.as_str(),
                "fido2"
                    | "windowsHelloForBusiness"
                    | "passKeyDeviceBound"
                    | "passKeyDeviceBoundAuthenticator"
                    | "passKeyDeviceBoundWindowsHello"
                    | "platformCredential"
                    | "macOsSecureEnclaveKey"
                    | "x509Certificate"
                    | "x509CertificateMultiFactor"
            )
        })
    }
}
