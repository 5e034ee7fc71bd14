//! The reports throttle's resources: sign-ins (streamed from the lazy generator), directory
//! audits and the authentication methods registration details.

use entra_model::{
    AuthenticationMethod, Capability, Permission, PhoneType, UserRegistrationDetails, UserType,
};
use serde_json::Value;
use time::OffsetDateTime;

use super::{project, tok, untok, with_arrays, G, R};
use crate::odata;
use crate::server::Resp;
use crate::signins::{KindFilter, Query, View};
use crate::tenant::UserRec;
use crate::throttle::Bucket;

impl G<'_> {
    fn sign_in_query(&self) -> Result<Query, Resp> {
        let filter = self.req.param("$filter").unwrap_or_default();
        let q = odata::parse_sign_in_filter(filter, self.beta())
            .map_err(|m| self.err(400, "Request_UnsupportedQuery", &m))?;
        if let Some(o) = self.req.param("$orderby") {
            let o = o.trim().to_ascii_lowercase();
            if o != "createddatetime desc" && o != "createddatetime" {
                return Err(self.err(400, "Request_UnsupportedQuery", &format!("Unsupported $orderby '{o}': the fake orders sign-ins by createdDateTime descending only.")));
            }
        }
        Ok(q)
    }

    fn sign_in_view(&self) -> View {
        View {
            beta: self.beta(),
            ca_visible: self.roles.contains(Permission::PolicyReadAll)
                || self.roles.contains(Permission::PolicyReadConditionalAccess)
                || self
                    .roles
                    .names()
                    .any(|n| n == "Policy.ReadWrite.ConditionalAccess"),
        }
    }

    pub(super) fn sign_ins(&mut self) -> R {
        let q = self.sign_in_query()?;
        let cap = if q.kinds == KindFilter::Only(crate::signins::Kind::Interactive) {
            Capability::SignIns
        } else {
            Capability::NonInteractiveSignIns
        };
        self.need(cap)?;
        self.admit(Bucket::Reports, 1)?;
        let top = self.top(1000, 1000)?;
        let cursor = match self.req.param("$skiptoken") {
            None => None,
            Some(s) => Some(
                odata::parse_cursor(s)
                    .ok_or_else(|| self.err(400, "Request_BadRequest", "Invalid $skiptoken."))?,
            ),
        };
        let view = self.sign_in_view();
        let (items, next) = self.t.sign_in_page(&q, cursor, top, view);
        let sel = self.select();
        let mut body = Vec::with_capacity(items.len() * 2048 + 256);
        body.extend_from_slice(b"{\"@odata.context\":");
        serde_json::to_writer(&mut body, &self.context("auditLogs/signIns"))
            .map_err(|_| self.err(500, "generalException", "serialization"))?;
        if let Some((t, id)) = next {
            body.extend_from_slice(b",\"@odata.nextLink\":");
            let link = self.next_link(&odata::cursor_token(t, id));
            serde_json::to_writer(&mut body, &link)
                .map_err(|_| self.err(500, "generalException", "serialization"))?;
        }
        body.extend_from_slice(b",\"value\":[");
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            let r = match &sel {
                Some(sel) => serde_json::to_value(s)
                    .map(|v| project(v, Some(sel), None))
                    .and_then(|v| serde_json::to_writer(&mut body, &v)),
                None => serde_json::to_writer(&mut body, s),
            };
            r.map_err(|_| self.err(500, "generalException", "serialization"))?;
        }
        body.extend_from_slice(b"]}");
        Ok(Resp::raw_json(200, body))
    }

    pub(super) fn sign_in(&mut self, id: &str) -> R {
        self.need(Capability::SignIns)?;
        self.admit(Bucket::Reports, 1)?;
        let view = self.sign_in_view();
        let interactive = KindFilter::Only(crate::signins::Kind::Interactive);
        let kinds: &[KindFilter] = if self.beta() {
            &[
                interactive,
                KindFilter::Except(crate::signins::Kind::Interactive),
            ]
        } else {
            &[interactive]
        };
        for kinds in kinds {
            let mut q = Query::all(*kinds);
            q.preds.push(crate::signins::Pred::Id(id.to_owned()));
            let (items, _) = self.t.sign_in_page(&q, None, 1, view);
            if let Some(s) = items.into_iter().next() {
                let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
                v["@odata.context"] = Value::String(self.context("auditLogs/signIns/$entity"));
                return Ok(Resp::json(200, v));
            }
        }
        Err(self.not_found(id))
    }

    pub(super) fn audits(&mut self) -> R {
        self.need(Capability::DirectoryAudits)?;
        self.admit(Bucket::Reports, 1)?;
        let filter = self.json_filter()?;
        let top = self.top(1000, 1000)?;
        let after = match self.req.param("$skiptoken") {
            None => None,
            Some(s) => Some(
                untok(s)
                    .and_then(|x| x.strip_prefix("a:").map(str::to_owned))
                    .ok_or_else(|| self.err(400, "Request_BadRequest", "Invalid $skiptoken."))?,
            ),
        };
        let sel = self.select();
        let mut start = 0;
        if let Some(id) = &after {
            start = self
                .t
                .audits
                .iter()
                .position(|a| &a.id == id)
                .map(|p| p + 1)
                .unwrap_or(self.t.audits.len());
        }
        let mut out = Vec::new();
        let mut next = None;
        for a in &self.t.audits[start..] {
            let v = serde_json::to_value(a).unwrap_or(Value::Null);
            if !odata::json_matches(&v, &filter) {
                continue;
            }
            if out.len() == top {
                let last = out
                    .last()
                    .and_then(|x: &Value| x.get("id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                next = Some(self.next_link(&tok(&format!("a:{last}"))));
                break;
            }
            out.push(v);
        }
        // The token above must name the last item of this page, whatever $select keeps.
        let out = out
            .into_iter()
            .map(|v| project(v, sel.as_deref(), None))
            .collect();
        Ok(self.page("auditLogs/directoryAudits", out, next))
    }

    pub(super) fn registration(&mut self) -> R {
        self.need(Capability::RegistrationDetails)?;
        self.admit(Bucket::Reports, 1)?;
        let filter = self.json_filter()?;
        let now = self.t.clock.now();
        let len = self.t.users.len();
        self.indexed(
            "reports/authenticationMethods/userRegistrationDetails",
            len,
            1000,
            1000,
            |i| {
                let r = &self.t.users[i];
                if r.deleted_at.is_some() {
                    return None;
                }
                let v = with_arrays(
                    serde_json::to_value(registration_details(r, now)).unwrap_or(Value::Null),
                    &["methodsRegistered", "systemPreferredAuthenticationMethods"],
                );
                odata::json_matches(&v, &filter).then_some(v)
            },
        )
    }
}

/// The registration details Graph reports for a user, derived from their methods, roles and
/// preferred method.
fn registration_details(r: &UserRec, now: OffsetDateTime) -> UserRegistrationDetails {
    let mut d = UserRegistrationDetails::default();
    d.id = r.user.id.clone();
    d.user_principal_name = r.user.user_principal_name.clone();
    d.user_display_name = r.user.display_name.clone();
    d.user_type = Some(if r.user.user_type == Some(UserType::Guest) {
        UserType::from_wire("guest")
    } else {
        UserType::from_wire("member")
    });
    d.is_admin = Some(!r.roles.is_empty());
    let mfa = r.methods.iter().any(AuthenticationMethod::is_mfa_capable);
    d.is_mfa_capable = Some(mfa);
    d.is_mfa_registered = Some(mfa);
    d.is_passwordless_capable = Some(r.methods.iter().any(|m| {
        matches!(
            m,
            AuthenticationMethod::Fido2(_) | AuthenticationMethod::WindowsHelloForBusiness(_)
        )
    }));
    let sspr = r.methods.iter().any(|m| {
        matches!(
            m,
            AuthenticationMethod::Phone(_)
                | AuthenticationMethod::Email(_)
                | AuthenticationMethod::MicrosoftAuthenticator(_)
        )
    });
    d.is_sspr_capable = Some(sspr && r.user.account_enabled == Some(true));
    d.is_sspr_enabled = Some(true);
    d.is_sspr_registered = Some(sspr);
    d.is_system_preferred_authentication_method_enabled = Some(true);
    d.last_updated_date_time = Some(now);
    d.methods_registered = r
        .methods
        .iter()
        .filter_map(|m| match m {
            AuthenticationMethod::Phone(p) => Some(match p.phone_type {
                Some(PhoneType::Office) => "officePhone",
                Some(PhoneType::AlternateMobile) => "alternateMobilePhone",
                _ => "mobilePhone",
            }),
            AuthenticationMethod::MicrosoftAuthenticator(_) => Some("microsoftAuthenticatorPush"),
            AuthenticationMethod::SoftwareOath(_) => Some("softwareOneTimePasscode"),
            AuthenticationMethod::Fido2(_) => Some("fido2"),
            AuthenticationMethod::WindowsHelloForBusiness(_) => Some("windowsHelloForBusiness"),
            AuthenticationMethod::Email(_) => Some("email"),
            AuthenticationMethod::TemporaryAccessPass(_) => Some("temporaryAccessPass"),
            _ => None,
        })
        .map(str::to_owned)
        .collect();
    d.user_preferred_method_for_secondary_authentication = Some(
        match r.preferred {
            Some("push") => "push",
            Some("sms") => "sms",
            Some("fido2") => "fido2",
            _ => "none",
        }
        .to_owned(),
    );
    d.system_preferred_authentication_methods = match r.preferred {
        Some("push") => vec!["push".to_owned()],
        Some("sms") => vec!["sms".to_owned()],
        Some("fido2") => vec!["Fido2".to_owned()],
        _ => vec![],
    };
    d
}
