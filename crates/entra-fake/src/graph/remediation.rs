//! The writes remediation makes, with their side effects and audit records: update a user
//! (block, user type), delete and restore a user, revoke sessions, delete an authentication
//! method.

use entra_model::{AuthenticationMethod, Permission, PhoneType, MOBILE_PHONE_METHOD_ID};
use serde_json::{json, Map, Value};

use super::{project, G, R, USER_DEFAULT};
use crate::server::Resp;
use crate::tenant::MemberRef;
use crate::throttle::Bucket;

impl G<'_> {
    fn body_json(&self) -> Result<Map<String, Value>, Resp> {
        match serde_json::from_slice::<Value>(&self.req.body) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(self.err(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")),
        }
    }

    fn is_privileged(&self, i: usize) -> bool {
        self.t.holds_privileged_role(i)
    }

    pub(super) fn patch_user(&mut self, key: &str) -> R {
        let body = self.body_json()?;
        let only_enable = body.len() == 1 && body.contains_key("accountEnabled");
        let can_write = self.has_any(&[
            Permission::UserReadWriteAll,
            Permission::DirectoryReadWriteAll,
        ]);
        let can_enable =
            only_enable && self.roles.contains(Permission::UserEnableDisableAccountAll);
        if !can_write && !can_enable {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        self.check_user_patch(i, &body)?;
        let mut current = serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null);
        for (k, v) in &body {
            current[k] = v.clone();
        }
        let updated: entra_model::User = serde_json::from_value(current).map_err(|e| {
            self.err(
                400,
                "Request_BadRequest",
                &format!("Invalid request body: {e}"),
            )
        })?;
        let now = self.t.clock.now();
        let was_enabled = self.t.users[i].user.account_enabled;
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        if updated.account_enabled != was_enabled {
            rec.disabled_at = (updated.account_enabled == Some(false)).then_some(now);
        }
        rec.user = updated;
        rec.version = v;
        self.t.audit_app_action("Update user", "Update", i);
        Ok(Resp::empty(204))
    }

    /// What Graph refuses in a user update: sensitive properties of a privileged user, on-premises
    /// mastered properties of a synced user, read-only properties and invalid values.
    fn check_user_patch(&self, i: usize, body: &Map<String, Value>) -> Result<(), Resp> {
        const SENSITIVE: &[&str] = &[
            "accountEnabled",
            "userPrincipalName",
            "mobilePhone",
            "businessPhones",
            "otherMails",
            "passwordProfile",
        ];
        if self.is_privileged(i) && body.keys().any(|k| SENSITIVE.contains(&k.as_str())) {
            return Err(self.denied());
        }
        const ON_PREM: &[&str] = &[
            "displayName",
            "givenName",
            "surname",
            "jobTitle",
            "department",
            "userPrincipalName",
            "mail",
            "companyName",
            "officeLocation",
            "employeeId",
        ];
        if self.t.users[i].user.on_premises_sync_enabled == Some(true)
            && body.keys().any(|k| ON_PREM.contains(&k.as_str()))
        {
            return Err(self.err(400, "Request_BadRequest", "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."));
        }
        const READ_ONLY: &[&str] = &[
            "id",
            "createdDateTime",
            "signInActivity",
            "onPremisesSyncEnabled",
            "deletedDateTime",
            "signInSessionsValidFromDateTime",
        ];
        if let Some(k) = body.keys().find(|k| READ_ONLY.contains(&k.as_str())) {
            return Err(self.err(
                400,
                "Request_BadRequest",
                &format!("Property '{k}' is read-only and cannot be set."),
            ));
        }
        if let Some(v) = body.get("userType") {
            match v.as_str() {
                Some("Member") | Some("Guest") => {}
                _ => {
                    return Err(self.err(
                        400,
                        "Request_BadRequest",
                        "Invalid value specified for property 'userType' of resource 'User'.",
                    ))
                }
            }
        }
        if let Some(v) = body.get("accountEnabled") {
            if !v.is_boolean() {
                return Err(self.err(
                    400,
                    "Request_BadRequest",
                    "Invalid value specified for property 'accountEnabled' of resource 'User'.",
                ));
            }
        }
        Ok(())
    }

    pub(super) fn delete_user(&mut self, key: &str) -> R {
        if !self.roles.contains(Permission::UserReadWriteAll) {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        if self.is_privileged(i) {
            return Err(self.denied());
        }
        let now = self.t.clock.now();
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        rec.deleted_at = Some(now);
        rec.user.deleted_date_time = Some(now);
        rec.version = v;
        for g in &mut self.t.groups {
            if let Some(pos) = g.members.iter().position(|m| *m == MemberRef::User(i)) {
                g.members.remove(pos);
                g.removed.push((MemberRef::User(i), v));
                g.version = v;
            }
        }
        self.t.audit_app_action("Delete user", "Delete", i);
        Ok(Resp::empty(204))
    }

    pub(super) fn restore(&mut self, id: &str) -> R {
        if !self.roles.contains(Permission::UserReadWriteAll) {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let Some(&i) = self.t.user_by_id.get(id) else {
            return Err(self.not_found(id));
        };
        if self.t.users[i].deleted_at.is_none() {
            return Err(self.not_found(id));
        }
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        rec.deleted_at = None;
        rec.user.deleted_date_time = None;
        rec.version = v;
        for g in &mut self.t.groups {
            if let Some(pos) = g.removed.iter().position(|(m, _)| *m == MemberRef::User(i)) {
                g.removed.remove(pos);
                g.members.push(MemberRef::User(i));
                g.version = v;
            }
        }
        self.t.audit_app_action("Restore user", "Update", i);
        let mut body = project(
            serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null),
            None,
            Some(USER_DEFAULT),
        );
        body["@odata.type"] = Value::String("#microsoft.graph.user".into());
        body["@odata.context"] = Value::String(self.context("directoryObjects/$entity"));
        Ok(Resp::json(200, body))
    }

    pub(super) fn revoke(&mut self, key: &str) -> R {
        if !self.has_any(&[
            Permission::UserRevokeSessionsAll,
            Permission::UserReadWriteAll,
            Permission::DirectoryReadWriteAll,
        ]) {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        let now = self.t.clock.now();
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        // Graph stores this value at whole seconds.
        rec.user.sign_in_sessions_valid_from_date_time =
            Some(now.replace_nanosecond(0).unwrap_or(now));
        rec.version = v;
        self.t
            .audit_app_action("Invalidate all refresh tokens for user", "Update", i);
        Ok(Resp::json(
            200,
            json!({"@odata.context": format!("{}/{}/$metadata#Edm.Boolean", self.ctx.base, self.version), "value": true}),
        ))
    }

    pub(super) fn delete_method(&mut self, key: &str, seg: &str, mid: &str) -> R {
        if !self
            .roles
            .contains(Permission::UserAuthenticationMethodReadWriteAll)
        {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        if seg == "methods" || seg == "passwordMethods" {
            return Err(self.err(405, "methodNotAllowed", "The DELETE method is not supported for this authentication method type; use its type-specific collection."));
        }
        let rec = &self.t.users[i];
        let Some(pos) = rec
            .methods
            .iter()
            .position(|m| m.id() == Some(mid) && Self::method_matches(m, seg))
        else {
            return Err(self.err(
                404,
                "itemNotFound",
                &format!("The authentication method '{mid}' was not found for this user."),
            ));
        };
        if let AuthenticationMethod::Phone(p) = &rec.methods[pos] {
            let mobile = p.phone_type == Some(PhoneType::Mobile) || p.id == MOBILE_PHONE_METHOD_ID;
            let has_alternate = rec.methods.iter().any(|m| matches!(m, AuthenticationMethod::Phone(q) if q.phone_type == Some(PhoneType::AlternateMobile)));
            if mobile && has_alternate {
                return Err(self.err(400, "badRequest", "The mobile phone method cannot be deleted while an alternate mobile phone is registered. Delete the alternate mobile phone first."));
            }
        }
        // The default method goes last: Graph refuses it while other methods remain
        // (`api-reference/v1.0/api/phoneauthenticationmethod-delete.md`: "If the phone number is
        // the user's default ... it can't be deleted"; the answer, observed in
        // microsoftgraph/microsoft-graph-docs-contrib#2913, is 400 badRequest with this message).
        let is_default = is_default_method(&rec.methods[pos], rec.preferred);
        let others = rec
            .methods
            .iter()
            .enumerate()
            .any(|(k, m)| k != pos && !matches!(m, AuthenticationMethod::Password(_)));
        if is_default && others {
            return Err(self.err(400, "badRequest", "Cannot delete default method with other methods configured. Please change default method before deletion."));
        }
        let rec = &mut self.t.users[i];
        rec.methods.remove(pos);
        if is_default {
            rec.preferred = None;
        }
        self.t.cache.clear();
        self.t
            .audit_app_action("Admin deleted security info", "Delete", i);
        Ok(Resp::empty(204))
    }
}

/// Whether `m` is the method a default second factor (`userPreferredMethodForSecondaryAuthentication`)
/// names.
fn is_default_method(m: &AuthenticationMethod, preferred: Option<&str>) -> bool {
    let phone =
        |t: PhoneType| matches!(m, AuthenticationMethod::Phone(p) if p.phone_type == Some(t));
    match preferred {
        Some("push") => matches!(m, AuthenticationMethod::MicrosoftAuthenticator(_)),
        Some("oath") => matches!(m, AuthenticationMethod::SoftwareOath(_)),
        Some("sms") | Some("voiceMobile") => {
            phone(PhoneType::Mobile)
                || matches!(m, AuthenticationMethod::Phone(p) if p.id == MOBILE_PHONE_METHOD_ID)
        }
        Some("voiceAlternateMobile") => phone(PhoneType::AlternateMobile),
        Some("voiceOffice") => phone(PhoneType::Office),
        Some("fido2") => matches!(m, AuthenticationMethod::Fido2(_)),
        _ => false,
    }
}
