//! The full record of a sign-in slot: a user's sign-in (its frame is shared with planted
//! sign-ins) or a service principal's, drawn from the slot's own random stream.

use entra_model::{
    AppliedConditionalAccessPolicy, AppliedConditionalAccessPolicyResult, AuthenticationDetail,
    AuthenticationProtocol, AuthenticationRequirementPolicy, ClientCredentialType,
    ConditionalAccessStatus, CrossTenantAccessType, DeviceDetail, IncomingTokenType,
    ManagedIdentity, NetworkLocationDetail, RiskDetail, RiskLevel, RiskState, SignIn,
    SignInEventType, SignInIdentifierType, SignInStatus, TokenIssuerType, UserType,
};

use crate::catalog::{self, City};
use crate::config::TenantLicence;
use crate::rng::{hash, mix, uuid_from, Rng};
use crate::tenant::{Tenant, UserRec};

use super::{
    from_ns, id_string, location, ns, pick_code, strip_beta, Slot, Src, View, HOUR_NS, TAG_DETAIL,
};

impl Tenant {
    pub(crate) fn materialize(&self, s: &Slot, view: View) -> SignIn {
        let mut si = match s.src {
            Src::User { u, k, interactive } => {
                self.user_sign_in(u as usize, s, k, interactive, view)
            }
            Src::Sp { s: sp, k } => self.sp_sign_in(sp as usize, s, k),
            Src::Extra(i) => self.extras[i as usize].sign_in.clone(),
        };
        if !view.ca_visible {
            si.applied_conditional_access_policies.clear();
        }
        if self.cfg.licence != TenantLicence::P2 && si.user_id.is_some() {
            si.risk_detail = Some(RiskDetail::Hidden);
            si.risk_level_aggregated = Some(RiskLevel::Hidden);
            si.risk_level_during_sign_in = Some(RiskLevel::Hidden);
            si.risk_state = Some(RiskState::None);
            si.risk_event_types_v2.clear();
            si.risk_event_types.clear();
        }
        if !view.beta {
            strip_beta(&mut si);
        }
        si
    }

    /// The common frame of a user sign-in (also used for planted ones).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn user_frame(
        &self,
        u: usize,
        t: i64,
        id: (u64, u64),
        interactive: bool,
        city: &City,
        ip: &str,
        code: i64,
        rng: &mut Rng,
    ) -> SignIn {
        let rec = &self.users[u];
        let mut s = SignIn::default();
        s.id = id_string(id);
        s.created_date_time = Some(from_ns(t));
        s.user_id = Some(rec.user.id.clone());
        s.user_principal_name = Some(rec.log_upn.clone());
        s.user_display_name = rec.user.display_name.clone();
        let app = if interactive {
            rng.pick(catalog::INTERACTIVE_APPS)
        } else {
            rng.pick(catalog::NON_INTERACTIVE_APPS)
        };
        s.app_id = Some(app.app_id.to_owned());
        s.app_display_name = Some(app.name.to_owned());
        s.resource_id = Some(app.resource_id.to_owned());
        s.resource_display_name = Some(app.resource_name.to_owned());
        s.ip_address = Some(ip.to_owned());
        let mobile = rng.chance(0.3);
        let (os, browser, ua, _) = if mobile {
            catalog::MOBILE_PROFILES[rec.mobile]
        } else {
            catalog::DEVICE_PROFILES[rec.desktop]
        };
        s.client_app_used = Some(
            if interactive && !mobile {
                "Browser"
            } else {
                "Mobile Apps and Desktop clients"
            }
            .to_owned(),
        );
        s.user_agent = Some(ua.to_owned());
        let mut d = DeviceDetail::default();
        d.operating_system = Some(os.to_owned());
        d.browser = Some(browser.to_owned());
        if !mobile {
            if let Some(dev) = &rec.device_id {
                d.device_id = Some(dev.clone());
                d.display_name = Some(format!("CONTOSO-{}", &dev[..5].to_uppercase()));
                d.is_compliant = Some(true);
                d.is_managed = Some(self.cfg.intune);
                d.trust_type = Some("Azure AD joined".to_owned());
            }
        }
        s.device_detail = Some(d);
        s.location = Some(location(city));
        s.correlation_id = Some(uuid_from(mix(id.0 ^ 7), mix(id.1 ^ 7)));
        s.is_interactive = Some(interactive);
        s.resource_tenant_id = Some(self.tenant_id.clone());
        s.home_tenant_id = Some(
            rec.home_tenant
                .clone()
                .unwrap_or_else(|| self.tenant_id.clone()),
        );
        self.status_and_policies(&mut s, rec, code);
        // beta
        authentication_details(&mut s, rec, code, interactive);
        s.authentication_protocol = Some(AuthenticationProtocol::None);
        s.autonomous_system_number = Some(city.asn);
        s.client_credential_type = Some(ClientCredentialType::None);
        s.cross_tenant_access_type = Some(if rec.home_tenant.is_some() {
            CrossTenantAccessType::B2bCollaboration
        } else {
            CrossTenantAccessType::None
        });
        s.flagged_for_review = Some(false);
        s.incoming_token_type = Some(if interactive {
            IncomingTokenType::None
        } else {
            IncomingTokenType::PrimaryRefreshToken
        });
        s.is_tenant_restricted = Some(false);
        s.is_through_global_secure_access = Some(false);
        if rec.office_ip.as_deref() == Some(ip) {
            let mut n = NetworkLocationDetail::default();
            n.network_type = Some("namedNetwork".to_owned());
            n.network_names = vec![format!("{} office", city.name)];
            s.network_location_details = vec![n];
        }
        s.original_request_id = Some(s.id.clone());
        s.processing_time_in_milliseconds = Some(rng.range(40, 900));
        s.sign_in_event_types = vec![if interactive {
            SignInEventType::InteractiveUser
        } else {
            SignInEventType::NonInteractiveUser
        }];
        if interactive {
            s.sign_in_identifier = Some(rec.log_upn.clone());
            s.sign_in_identifier_type = Some(SignInIdentifierType::UserPrincipalName);
        }
        s.token_issuer_type = Some(TokenIssuerType::AzureAd);
        s.token_issuer_name = Some(String::new());
        s.unique_token_identifier = Some(crate::jwt::b64(&id.0.to_le_bytes()));
        s.user_type = Some(if rec.home_tenant.is_some() {
            UserType::from_wire("guest")
        } else {
            UserType::from_wire("member")
        });
        s.session_id = Some(uuid_from(
            mix(u as u64 ^ self.cfg.seed),
            t as u64 / (HOUR_NS as u64 * 24),
        ));
        s
    }

    /// The status of a sign-in with `code`, its conditional access outcome and the tenant's first
    /// three policies as applied to it, and no risk.
    fn status_and_policies(&self, s: &mut SignIn, rec: &UserRec, code: i64) {
        let mut st = SignInStatus::default();
        st.error_code = Some(code);
        if code != 0 {
            st.failure_reason = Some(catalog::failure_reason(code).to_owned());
            if code == 500121 {
                st.additional_details =
                    Some("MFA denied; user did not respond to mobile app notification".to_owned());
            }
        }
        s.status = Some(st);
        let ca_fail = matches!(code, 53003 | 53000);
        s.conditional_access_status = Some(if ca_fail {
            ConditionalAccessStatus::Failure
        } else if code == 0 && rec.home_tenant.is_none() {
            ConditionalAccessStatus::Success
        } else {
            ConditionalAccessStatus::NotApplied
        });
        s.applied_conditional_access_policies = self
            .ca_policies
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, p)| {
                let mut a = AppliedConditionalAccessPolicy::default();
                a.id = Some(p.id.clone());
                a.display_name = p.display_name.clone();
                let result = match (i, code) {
                    (2, _) => AppliedConditionalAccessPolicyResult::ReportOnlyNotApplied,
                    (1, 0) => AppliedConditionalAccessPolicyResult::Success,
                    (1, 53003) => AppliedConditionalAccessPolicyResult::Failure,
                    _ => AppliedConditionalAccessPolicyResult::NotApplied,
                };
                if result == AppliedConditionalAccessPolicyResult::Success {
                    a.enforced_grant_controls = vec!["Mfa".to_owned()];
                }
                a.result = Some(result);
                a
            })
            .collect();
        s.risk_detail = Some(RiskDetail::None);
        s.risk_level_aggregated = Some(RiskLevel::None);
        s.risk_level_during_sign_in = Some(RiskLevel::None);
        s.risk_state = Some(RiskState::None);
    }

    fn user_sign_in(
        &self,
        u: usize,
        slot: &Slot,
        k: u16,
        interactive: bool,
        _view: View,
    ) -> SignIn {
        let rec = &self.users[u];
        let b = slot.t.div_euclid(HOUR_NS);
        let mut rng = Rng::new(hash(&[
            self.cfg.seed,
            TAG_DETAIL,
            u as u64,
            b as u64,
            u64::from(k),
        ]));
        let disabled = rec.disabled_at.is_some_and(|d| slot.t >= ns(d));
        let mut code = if disabled {
            50057
        } else if interactive {
            pick_code(&mut rng, catalog::INTERACTIVE_CODES)
        } else {
            pick_code(&mut rng, catalog::NON_INTERACTIVE_CODES)
        };
        if rec.home_tenant.is_some() && code != 0 && code != 50126 && code != 50057 {
            code = 0;
        }
        let ip = match &rec.office_ip {
            Some(o) if catalog::shared_ip_code(code) && rng.chance(0.5) => o.clone(),
            _ => rec.ip.clone(),
        };
        self.user_frame(
            u,
            slot.t,
            slot.id,
            interactive,
            rec.city(),
            &ip,
            code,
            &mut rng,
        )
    }

    fn sp_sign_in(&self, s: usize, slot: &Slot, k: u16) -> SignIn {
        let rec = &self.sps[s];
        let b = slot.t.div_euclid(HOUR_NS);
        let mut rng = Rng::new(hash(&[
            self.cfg.seed,
            TAG_DETAIL,
            0x5050,
            s as u64,
            b as u64,
            u64::from(k),
        ]));
        let mut si = SignIn::default();
        si.id = id_string(slot.id);
        si.created_date_time = Some(from_ns(slot.t));
        si.app_id = rec.sp.app_id.clone();
        si.app_display_name = rec.sp.display_name.clone();
        si.service_principal_id = Some(rec.sp.id.clone());
        si.service_principal_name = rec.sp.display_name.clone();
        let c = &catalog::AZURE_CITY;
        si.ip_address = Some(format!(
            "{}.{}.{}.{}",
            c.net.0,
            c.net.1,
            s % 250,
            10 + rng.below(200)
        ));
        si.location = Some(location(c));
        si.resource_id = Some(catalog::GRAPH_APP_ID.to_owned());
        si.resource_display_name = Some("Microsoft Graph".to_owned());
        si.resource_tenant_id = Some(self.tenant_id.clone());
        si.home_tenant_id = Some(self.tenant_id.clone());
        si.correlation_id = Some(rng.uuid());
        si.is_interactive = Some(false);
        si.conditional_access_status = Some(ConditionalAccessStatus::NotApplied);
        si.autonomous_system_number = Some(c.asn);
        si.token_issuer_type = Some(TokenIssuerType::AzureAd);
        si.original_request_id = Some(si.id.clone());
        let now = self.cfg.now;
        let mut code = 0;
        if let Some(a) = rec.app {
            let app = &self.apps[a];
            si.sign_in_event_types = vec![SignInEventType::ServicePrincipal];
            let at = from_ns(slot.t);
            // Prefer a credential valid at that time; an app left with only expired secrets fails.
            let valid = app
                .password_credentials
                .iter()
                .find(|c| c.end_date_time.is_some_and(|e| e > at));
            let cert = app
                .key_credentials
                .iter()
                .find(|c| c.end_date_time.is_some_and(|e| e > at));
            if let Some(k) = cert.filter(|_| valid.is_none() || rng.chance(0.5)) {
                si.client_credential_type = Some(ClientCredentialType::Certificate);
                si.service_principal_credential_key_id = k.key_id.clone();
                si.service_principal_credential_thumbprint = k.custom_key_identifier.clone();
            } else if let Some(p) = valid {
                si.client_credential_type = Some(ClientCredentialType::ClientSecret);
                si.service_principal_credential_key_id = p.key_id.clone();
                if rng.chance(0.01) {
                    code = 7000215;
                }
            } else {
                si.client_credential_type = Some(ClientCredentialType::ClientSecret);
                si.service_principal_credential_key_id = app
                    .password_credentials
                    .first()
                    .or(None)
                    .and_then(|p| p.key_id.clone());
                code = 7000222;
            }
            let _ = now;
        } else {
            si.sign_in_event_types = vec![SignInEventType::ManagedIdentity];
            si.client_credential_type = Some(ClientCredentialType::ManagedIdentity);
            let mut m = ManagedIdentity::default();
            m.msi_type = Some("systemAssigned".to_owned());
            m.associated_resource_id = Some(format!(
                "/subscriptions/{}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/{}",
                self.uuid_for(&[99]),
                rec.sp.display_name.clone().unwrap_or_default()
            ));
            si.azure_resource_id = m.associated_resource_id.clone();
            si.managed_service_identity = Some(m);
            si.resource_id = Some("cfa8b339-82a2-471a-a3c9-0fc0be7a4093".to_owned());
            si.resource_display_name = Some("Azure Key Vault".to_owned());
        }
        let mut st = SignInStatus::default();
        st.error_code = Some(code);
        if code != 0 {
            st.failure_reason = Some(catalog::failure_reason(code).to_owned());
        }
        si.status = Some(st);
        si
    }
}

/// The authentication requirement, steps (password, then MFA for a successful interactive
/// sign-in of a user with an MFA-capable method) and the methods used (beta).
fn authentication_details(s: &mut SignIn, rec: &UserRec, code: i64, interactive: bool) {
    let mfa = code == 0
        && interactive
        && rec
            .methods
            .iter()
            .any(entra_model::AuthenticationMethod::is_mfa_capable);
    s.authentication_requirement = Some(
        if mfa {
            "multiFactorAuthentication"
        } else {
            "singleFactorAuthentication"
        }
        .to_owned(),
    );
    let mut step = AuthenticationDetail::default();
    step.authentication_step_date_time = s.created_date_time;
    step.authentication_method = Some(
        if interactive {
            "Password"
        } else {
            "Previously satisfied"
        }
        .to_owned(),
    );
    step.authentication_method_detail = Some(
        if rec.user.on_premises_sync_enabled == Some(true) {
            "Password Hash Sync"
        } else {
            "Password in the cloud"
        }
        .to_owned(),
    );
    step.succeeded = Some(!matches!(code, 50126 | 50053 | 50056 | 50034));
    step.authentication_step_result_detail = Some(
        if step.succeeded == Some(true) {
            "Correct password"
        } else {
            "Invalid username or password or Invalid on-premise username or password."
        }
        .to_owned(),
    );
    step.authentication_step_requirement = Some("Primary authentication".to_owned());
    s.authentication_details = vec![step];
    if mfa {
        let mut m = AuthenticationDetail::default();
        m.authentication_step_date_time = s.created_date_time;
        m.authentication_method = Some(
            match rec.preferred {
                Some("sms") => "Text message",
                Some("fido2") => "FIDO2 security key",
                _ => "Mobile app notification",
            }
            .to_owned(),
        );
        m.succeeded = Some(true);
        m.authentication_step_result_detail = Some("MFA successfully completed".to_owned());
        m.authentication_step_requirement = Some("Multi-factor authentication".to_owned());
        s.authentication_details.push(m);
        s.authentication_methods_used = vec!["Password".to_owned(), "Authenticator App".to_owned()];
        let mut p = AuthenticationRequirementPolicy::default();
        p.requirement_provider = Some("multiConditionalAccess".to_owned());
        p.detail = Some("Conditional Access".to_owned());
        s.authentication_requirement_policies = vec![p];
    }
}
