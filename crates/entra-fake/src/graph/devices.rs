//! Intune managed devices.

use entra_model::Capability;
use serde_json::Value;

use super::{G, R};
use crate::odata;
use crate::throttle::Bucket;

impl G<'_> {
    pub(super) fn managed_devices(&mut self) -> R {
        self.need(Capability::ManagedDevices)?;
        self.admit(Bucket::Intune, 1)?;
        let filter = self.json_filter()?;
        let len = self.t.managed_devices.len();
        self.indexed("deviceManagement/managedDevices", len, 1000, 1000, |i| {
            let v = serde_json::to_value(&self.t.managed_devices[i]).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then_some(v)
        })
    }
}
