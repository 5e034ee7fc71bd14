//! Entra ID devices and Intune managed devices of the members.

use entra_model::{ComplianceState, Device, ManagedDevice};
use time::Duration;

use crate::catalog;
use crate::rng::Rng;

use super::{dt_days, Tenant, UserKind};

impl Tenant {
    pub(super) fn gen_devices(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        for i in 0..self.users.len() {
            if self.users[i].kind != UserKind::Member || !rng.chance(0.7) {
                continue;
            }
            let (os, _, _, _) = catalog::DEVICE_PROFILES[self.users[i].desktop];
            let mut d = Device::default();
            d.id = rng.uuid();
            let device_id = rng.uuid();
            d.device_id = Some(device_id.clone());
            let name = format!("CONTOSO-{:05}", 10_000 + self.devices.len());
            d.display_name = Some(name.clone());
            d.operating_system = Some(if os == "MacOs" { "MacMDM" } else { "Windows" }.to_owned());
            d.operating_system_version = Some(
                if os == "MacOs" {
                    "14.4.1"
                } else {
                    "10.0.22631.3527"
                }
                .to_owned(),
            );
            d.account_enabled = Some(true);
            d.trust_type = Some(
                if os == "MacOs" {
                    "Workplace"
                } else {
                    "AzureAd"
                }
                .to_owned(),
            );
            let compliant = rng.chance(0.9);
            d.is_compliant = Some(compliant);
            d.is_managed = Some(self.cfg.intune);
            d.manufacturer = Some(if os == "MacOs" { "Apple" } else { "Dell Inc." }.to_owned());
            d.model = Some(
                if os == "MacOs" {
                    "MacBookPro18,3"
                } else {
                    "Latitude 7440"
                }
                .to_owned(),
            );
            d.registration_date_time = Some(dt_days(now, rng.range(30, 900), rng));
            d.approximate_last_sign_in_date_time = Some(now - Duration::hours(rng.range(1, 48)));
            self.users[i].device_id = Some(device_id.clone());
            if self.cfg.intune {
                let u = &self.users[i].user;
                let mut m = ManagedDevice::default();
                m.id = rng.uuid();
                m.device_name = Some(name);
                m.user_id = Some(u.id.clone());
                m.user_principal_name = u.user_principal_name.clone();
                m.user_display_name = u.display_name.clone();
                m.email_address = u.mail.clone();
                m.operating_system = d.operating_system.clone().map(|o| {
                    if o == "MacMDM" {
                        "macOS".to_owned()
                    } else {
                        o
                    }
                });
                m.os_version = d.operating_system_version.clone();
                m.compliance_state = Some(if compliant {
                    ComplianceState::Compliant
                } else {
                    ComplianceState::Noncompliant
                });
                m.management_agent = Some("mdm".to_owned());
                m.managed_device_owner_type = Some("company".to_owned());
                m.management_state = Some("managed".to_owned());
                m.device_registration_state = Some("registered".to_owned());
                m.enrolled_date_time = d.registration_date_time;
                m.last_sync_date_time = Some(now - Duration::minutes(rng.range(10, 3000)));
                m.azure_ad_device_id = Some(device_id);
                m.azure_ad_registered = Some(true);
                m.is_encrypted = Some(rng.chance(0.95));
                m.is_supervised = Some(false);
                m.jail_broken = Some("False".to_owned());
                m.serial_number = Some(format!("{:010X}", rng.next_u64() & 0xFF_FFFF_FFFF));
                m.model = d.model.clone();
                m.manufacturer = d.manufacturer.clone();
                m.total_storage_space_in_bytes = Some(512_000_000_000);
                m.free_storage_space_in_bytes = Some(rng.range(20_000_000_000, 400_000_000_000));
                self.managed_devices.push(m);
            }
            self.devices.push(d);
        }
    }
}
