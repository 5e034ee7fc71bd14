//! Directory audits: the generated history and the records of the app's own writes.

use entra_model::DirectoryAudit;
use time::Duration;

use crate::rng::{hash, Rng};

use super::{MemberRef, Tenant};

impl Tenant {
    pub(super) fn gen_audits(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        const ACTS: &[(&str, &str, &str, &str)] = &[
            ("Update user", "UserManagement", "Update", "Core Directory"),
            (
                "Add member to group",
                "GroupManagement",
                "Assign",
                "Core Directory",
            ),
            (
                "Reset user password",
                "UserManagement",
                "Update",
                "Self-service Password Management",
            ),
            ("Add user", "UserManagement", "Add", "Core Directory"),
            (
                "Update application – Certificates and secrets management ",
                "ApplicationManagement",
                "Update",
                "Core Directory",
            ),
            (
                "Consent to application",
                "ApplicationManagement",
                "Assign",
                "Core Directory",
            ),
            (
                "Add member to role",
                "RoleManagement",
                "Assign",
                "Core Directory",
            ),
            (
                "User registered security info",
                "UserManagement",
                "Add",
                "Authentication Methods",
            ),
        ];
        let days = i64::from(self.cfg.history_days);
        let n = (days * 12) as usize;
        let admins: Vec<usize> = self.roles[1]
            .members
            .iter()
            .chain(self.roles[0].members.iter())
            .filter_map(|m| match m {
                MemberRef::User(u) => Some(*u),
                _ => None,
            })
            .collect();
        for _ in 0..n {
            let (act, cat, op, svc) = *rng.pick(ACTS);
            let when = now - Duration::seconds(rng.range(60, days * 86_400));
            let target = &self.users[rng.below(self.users.len() as u64) as usize];
            let actor = admins
                .get(rng.below(admins.len().max(1) as u64) as usize)
                .map(|&a| &self.users[a]);
            let mut a = DirectoryAudit::default();
            a.id = format!("Directory_{}", rng.uuid());
            a.category = Some(cat.to_owned());
            a.correlation_id = Some(rng.uuid());
            a.result = Some(entra_model::OperationResult::Success);
            a.result_reason = Some(String::new());
            a.activity_display_name = Some(act.to_owned());
            a.activity_date_time = Some(when);
            a.logged_by_service = Some(svc.to_owned());
            a.operation_type = Some(op.to_owned());
            let mut init = entra_model::AuditActivityInitiator::default();
            let mut who = entra_model::AuditUserIdentity::default();
            if let Some(actor) = actor {
                who.id = Some(actor.user.id.clone());
                who.display_name = actor.user.display_name.clone();
                who.user_principal_name = actor.user.user_principal_name.clone();
                who.ip_address = Some(actor.ip.clone());
            }
            init.user = Some(who);
            a.initiated_by = Some(init);
            let mut tr = entra_model::TargetResource::default();
            tr.id = Some(target.user.id.clone());
            tr.display_name = target.user.display_name.clone();
            tr.resource_type = Some("User".to_owned());
            tr.user_principal_name = target.user.user_principal_name.clone();
            a.target_resources = vec![tr];
            self.audits.push(a);
        }
        self.audits
            .sort_by(|a, b| (b.activity_date_time, &b.id).cmp(&(a.activity_date_time, &a.id)));
    }

    /// Records an audit entry for a remediation the app performed.
    pub(crate) fn audit_app_action(&mut self, activity: &str, op: &str, target: usize) {
        let now = self.clock.now();
        self.request_counter += 1;
        let mut rng = Rng::new(hash(&[self.cfg.seed, 77, self.request_counter]));
        let mut a = DirectoryAudit::default();
        a.id = format!("Directory_{}", rng.uuid());
        a.category = Some("UserManagement".to_owned());
        a.correlation_id = Some(rng.uuid());
        a.result = Some(entra_model::OperationResult::Success);
        a.activity_display_name = Some(activity.to_owned());
        a.activity_date_time = Some(now);
        a.logged_by_service = Some("Core Directory".to_owned());
        a.operation_type = Some(op.to_owned());
        let mut init = entra_model::AuditActivityInitiator::default();
        let mut app = entra_model::AuditAppIdentity::default();
        app.app_id = Some(self.client_id.clone());
        app.display_name = Some("oort collector".to_owned());
        app.service_principal_id = Some(self.app_sp_id.clone());
        init.app = Some(app);
        a.initiated_by = Some(init);
        let u = &self.users[target].user;
        let mut tr = entra_model::TargetResource::default();
        tr.id = Some(u.id.clone());
        tr.display_name = u.display_name.clone();
        tr.resource_type = Some("User".to_owned());
        tr.user_principal_name = u.user_principal_name.clone();
        a.target_resources = vec![tr];
        self.audits.insert(0, a);
    }
}
