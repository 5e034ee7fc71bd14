//! Identity protection (risky users, risk detections) and conditional access policies: the
//! resources under the identity protection throttle (1 request per second).

use entra_model::Capability;
use serde_json::Value;

use super::{G, R};
use crate::odata;
use crate::throttle::Bucket;

impl G<'_> {
    pub(super) fn risky_users(&mut self) -> R {
        self.need(Capability::RiskyUsers)?;
        self.admit(Bucket::IdentityProtection, 1)?;
        let filter = self.json_filter()?;
        let len = self.t.risky_users.len();
        self.indexed("identityProtection/riskyUsers", len, 20, 500, |i| {
            let v = serde_json::to_value(&self.t.risky_users[i]).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then_some(v)
        })
    }

    pub(super) fn risk_detections(&mut self) -> R {
        self.need(Capability::RiskDetections)?;
        self.admit(Bucket::IdentityProtection, 1)?;
        let filter = self.json_filter()?;
        let len = self.t.risk_detections.len();
        self.indexed("identityProtection/riskDetections", len, 20, 500, |i| {
            let v = serde_json::to_value(&self.t.risk_detections[i]).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then_some(v)
        })
    }

    pub(super) fn ca_policies(&mut self) -> R {
        self.need(Capability::ConditionalAccessPolicies)?;
        self.admit(Bucket::IdentityProtection, 1)?;
        let len = self.t.ca_policies.len();
        self.indexed("identity/conditionalAccess/policies", len, 100, 999, |i| {
            Some(serde_json::to_value(&self.t.ca_policies[i]).unwrap_or(Value::Null))
        })
    }
}
