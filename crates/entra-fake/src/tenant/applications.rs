//! Applications and service principals: the fake's own app registration, generated apps with their credentials, Microsoft first-party service principals and managed identities.

use entra_model::{
    Application, KeyCredential, PasswordCredential, ServicePrincipal, ServicePrincipalType,
    SignInAudience,
};
use time::Duration;

use crate::catalog;
use crate::rng::Rng;

use super::{dt_days, SpRec, Tenant};

impl Tenant {
    pub(super) fn gen_apps(&mut self, rng: &mut Rng) {
        self.own_app(rng);
        self.gen_app_registrations(rng);
        self.first_party_sps(rng);
        self.managed_identities(rng);
    }

    /// The fake's own app registration and its service principal, with the client secret (and the test certificate when enabled).
    fn own_app(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        let mut me = Application::default();
        me.id = rng.uuid();
        me.app_id = Some(self.client_id.clone());
        me.display_name = Some("oort collector".to_owned());
        me.sign_in_audience = Some(SignInAudience::AzureAdMyOrg);
        me.publisher_domain = Some(self.domain.clone());
        me.created_date_time = Some(now - Duration::days(300));
        let mut sec = PasswordCredential::default();
        sec.key_id = Some(self.client_secret_key_id.clone());
        sec.display_name = Some("oort".to_owned());
        sec.hint = Some(self.client_secret.chars().take(3).collect());
        sec.end_date_time = Some(self.client_secret_end);
        sec.start_date_time = Some(self.client_secret_end - Duration::days(180));
        me.password_credentials = vec![sec];
        if self.cfg.certificate {
            let mut k = KeyCredential::default();
            k.key_id = Some(rng.uuid());
            k.display_name = Some("CN=oort-fake-tenant-test".to_owned());
            k.key_type = Some("AsymmetricX509Cert".to_owned());
            k.usage = Some("Verify".to_owned());
            k.custom_key_identifier =
                Some(crate::assertion::test_certificate::THUMBPRINT_SHA1_HEX.to_owned());
            k.start_date_time = Some(time::macros::datetime!(2024-01-01 0:00 UTC));
            k.end_date_time = Some(time::macros::datetime!(2034-01-01 0:00 UTC));
            me.key_credentials = vec![k];
        }
        self.apps.push(me);
        let mut me_sp = ServicePrincipal::default();
        me_sp.id = self.app_sp_id.clone();
        me_sp.app_id = Some(self.client_id.clone());
        me_sp.display_name = Some("oort collector".to_owned());
        me_sp.app_display_name = me_sp.display_name.clone();
        me_sp.service_principal_type = Some(ServicePrincipalType::Application);
        me_sp.app_owner_organization_id = Some(self.tenant_id.clone());
        me_sp.account_enabled = Some(true);
        me_sp.service_principal_names = vec![self.client_id.clone()];
        self.sps.push(SpRec {
            sp: me_sp,
            app: Some(0),
            signs_in: false,
        });
    }

    /// Generated applications with their secrets and certificates, credential end dates spread from expired to years ahead, and their service principals.
    fn gen_app_registrations(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        // Credential end dates spread from expired to years ahead (days from now).
        const ENDS: &[i64] = &[-120, -3, 12, 28, 45, 80, 150, 365, 700, 1500];
        const NAMES: &[&str] = &[
            "Payroll Sync",
            "HR Connector",
            "Backup Agent",
            "Sales Dashboard",
            "Ticketing Bridge",
            "Invoice Processor",
            "Build Pipeline",
            "Marketing Automation",
            "Expense Bot",
            "Data Warehouse Loader",
            "Compliance Scanner",
            "Intranet Portal",
        ];
        for i in 0..self.cfg.applications as usize {
            let mut a = Application::default();
            a.id = rng.uuid();
            a.app_id = Some(rng.uuid());
            let base = NAMES[i % NAMES.len()];
            a.display_name = Some(if i < NAMES.len() {
                base.to_owned()
            } else {
                format!("{base} {}", i / NAMES.len() + 1)
            });
            a.sign_in_audience = Some(if rng.chance(0.8) {
                SignInAudience::AzureAdMyOrg
            } else {
                SignInAudience::AzureAdMultipleOrgs
            });
            a.publisher_domain = Some(self.domain.clone());
            a.created_date_time = Some(dt_days(now, rng.range(100, 1500), rng));
            let n_secrets = rng.range(0, 2);
            for s in 0..n_secrets {
                let end = now
                    + Duration::days(ENDS[(i * 3 + s as usize) % ENDS.len()])
                    + Duration::seconds(rng.range(0, 86_399));
                let life = if rng.chance(0.3) { 730 } else { 180 };
                let mut c = PasswordCredential::default();
                c.key_id = Some(rng.uuid());
                c.display_name = Some(format!("secret-{}", s + 1));
                c.hint = Some(format!(
                    "{}~{}",
                    rng.below(10),
                    char::from(b'A' + rng.below(26) as u8)
                ));
                c.start_date_time = Some(end - Duration::days(life));
                c.end_date_time = Some(end);
                a.password_credentials.push(c);
            }
            if rng.chance(0.5) {
                let end = now + Duration::days(ENDS[(i * 7 + 2) % ENDS.len()]);
                let mut k = KeyCredential::default();
                k.key_id = Some(rng.uuid());
                k.display_name = Some(format!("CN={}", base.replace(' ', "")));
                k.key_type = Some("AsymmetricX509Cert".to_owned());
                k.usage = Some("Verify".to_owned());
                k.custom_key_identifier = Some(format!(
                    "{:016X}{:016X}{:08X}",
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64() as u32
                ));
                k.start_date_time =
                    Some(end - Duration::days(if rng.chance(0.5) { 365 } else { 730 }));
                k.end_date_time = Some(end);
                a.key_credentials.push(k);
            }
            let mut sp = ServicePrincipal::default();
            sp.id = rng.uuid();
            sp.app_id = a.app_id.clone();
            sp.display_name = a.display_name.clone();
            sp.app_display_name = a.display_name.clone();
            sp.service_principal_type = Some(ServicePrincipalType::Application);
            sp.app_owner_organization_id = Some(self.tenant_id.clone());
            sp.account_enabled = Some(true);
            sp.sign_in_audience = a.sign_in_audience.clone();
            sp.service_principal_names = vec![a.app_id.clone().unwrap_or_default()];
            sp.created_date_time = a.created_date_time;
            let signs_in = !a.password_credentials.is_empty() || !a.key_credentials.is_empty();
            self.sps.push(SpRec {
                sp,
                app: Some(self.apps.len()),
                signs_in,
            });
            self.apps.push(a);
        }
    }

    /// Microsoft first-party service principals.
    fn first_party_sps(&mut self, rng: &mut Rng) {
        for (app_id, name) in [
            (catalog::GRAPH_APP_ID, "Microsoft Graph"),
            (
                "00000002-0000-0ff1-ce00-000000000000",
                "Office 365 Exchange Online",
            ),
            (
                "00000003-0000-0ff1-ce00-000000000000",
                "Office 365 SharePoint Online",
            ),
            ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
        ] {
            let mut sp = ServicePrincipal::default();
            sp.id = rng.uuid();
            sp.app_id = Some(app_id.to_owned());
            sp.display_name = Some(name.to_owned());
            sp.app_display_name = Some(name.to_owned());
            sp.service_principal_type = Some(ServicePrincipalType::Application);
            sp.app_owner_organization_id = Some(catalog::MICROSOFT_TENANT_ID.to_owned());
            sp.account_enabled = Some(true);
            sp.publisher_name = Some("Microsoft Services".to_owned());
            sp.sign_in_audience = Some(SignInAudience::AzureAdMultipleOrgs);
            self.sps.push(SpRec {
                sp,
                app: None,
                signs_in: false,
            });
        }
    }

    /// Managed identities.
    fn managed_identities(&mut self, rng: &mut Rng) {
        for name in ["func-invoice-prod", "vm-build-agent-01", "logic-hr-sync"] {
            let mut sp = ServicePrincipal::default();
            sp.id = rng.uuid();
            sp.app_id = Some(rng.uuid());
            sp.display_name = Some(name.to_owned());
            sp.service_principal_type = Some(ServicePrincipalType::ManagedIdentity);
            sp.account_enabled = Some(true);
            sp.service_principal_names = vec![
                sp.app_id.clone().unwrap_or_default(),
                format!(
                    "https://identity.azure.net/{}",
                    crate::jwt::b64(&rng.next_u64().to_le_bytes())
                ),
            ];
            sp.tags = vec!["ManagedIdentity".to_owned()];
            self.sps.push(SpRec {
                sp,
                app: None,
                signs_in: true,
            });
        }
    }
}
