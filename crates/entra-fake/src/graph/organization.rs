//! The organization and its subscribed SKUs (which licences the tenant has).

use entra_model::Permission;
use serde_json::json;

use super::{G, R};
use crate::config::TenantLicence;
use crate::throttle::Bucket;

impl G<'_> {
    fn can_read_org(&self) -> bool {
        self.has_any(&[
            Permission::DirectoryReadAll,
            Permission::DirectoryReadWriteAll,
            Permission::UserReadAll,
        ]) || self.roles.names().any(|n| n == "Organization.Read.All")
    }

    pub(super) fn skus(&mut self) -> R {
        if !self.can_read_org() {
            return Err(self.denied());
        }
        self.admit(Bucket::Directory, 3)?;
        let n = self.t.users.len() as i64;
        let tid = self.t.tenant_id.clone();
        let sku = |sku_id: &str, part: &str, plans: &[(&str, &str)]| {
            json!({
                "id": format!("{tid}_{sku_id}"), "accountId": tid, "accountName": "Contoso", "appliesTo": "User",
                "capabilityStatus": "Enabled", "consumedUnits": n, "skuId": sku_id, "skuPartNumber": part,
                "subscriptionIds": [uuid_like(sku_id)],
                "prepaidUnits": {"enabled": n + 25, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": plans.iter().map(|(id, name)| json!({"servicePlanId": id, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User"})).collect::<Vec<_>>(),
            })
        };
        let mut items = vec![sku(
            "18181a46-0d4e-45cd-891e-60aabd171b4e",
            "STANDARDPACK",
            &[
                ("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTSTANDARD"),
                (
                    "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
                    "EXCHANGE_S_STANDARD",
                ),
            ],
        )];
        match self.t.cfg.licence {
            TenantLicence::Free => {}
            TenantLicence::P1 => items.push(sku(
                "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
                "AAD_PREMIUM",
                &[("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM")],
            )),
            TenantLicence::P2 => items.push(sku(
                "84a661c4-e949-4bd2-a560-ed7766fcaf2b",
                "AAD_PREMIUM_P2",
                &[
                    ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
                    ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2"),
                ],
            )),
        }
        if self.t.cfg.intune {
            items.push(sku(
                "061f9ace-7d42-4136-88ac-31dc755f143f",
                "INTUNE_A",
                &[("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A")],
            ));
        }
        Ok(self.page("subscribedSkus", items, None))
    }

    pub(super) fn organization(&mut self) -> R {
        if !self.can_read_org() {
            return Err(self.denied());
        }
        self.admit(Bucket::Directory, 1)?;
        let items = vec![json!({
            "id": self.t.tenant_id, "displayName": "Contoso", "tenantType": "AAD", "countryLetterCode": "US",
            "verifiedDomains": [{"name": self.t.domain, "isDefault": true, "isInitial": true, "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline"}],
            "onPremisesSyncEnabled": true,
        })];
        Ok(self.page("organization", items, None))
    }

    /// `GET /organization/{id}`: the tenant's organization object (`$select` applied).
    pub(super) fn organization_by_id(&mut self, id: &str) -> R {
        if !self.can_read_org() {
            return Err(self.denied());
        }
        if !id.eq_ignore_ascii_case(&self.t.tenant_id) {
            return Err(self.err(
                404,
                "Request_ResourceNotFound",
                &format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
            ));
        }
        self.admit(Bucket::Directory, 1)?;
        let mut org = json!({
            "id": self.t.tenant_id, "displayName": "Contoso", "tenantType": "AAD", "countryLetterCode": "US",
            "onPremisesSyncEnabled": true,
        });
        if let Some(select) = self.select() {
            if let Some(map) = org.as_object_mut() {
                map.retain(|k, _| k == "id" || select.iter().any(|s| s == k));
            }
        }
        org["@odata.context"] = json!(self.context("organization/$entity"));
        Ok(crate::server::Resp::json(200, org))
    }
}

fn uuid_like(s: &str) -> String {
    let h = crate::rng::hash(&[
        s.len() as u64,
        s.bytes()
            .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b))),
    ]);
    crate::rng::uuid_from(h, crate::rng::mix(h))
}
