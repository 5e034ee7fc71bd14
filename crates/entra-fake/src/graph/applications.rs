//! Applications and service principals, with their password and key credentials.

use entra_model::Capability;
use serde_json::Value;

use super::{project, with_arrays, CRED_ARRAYS, G, R};
use crate::odata;
use crate::server::Resp;
use crate::throttle::Bucket;

impl G<'_> {
    pub(super) fn applications(&mut self) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 2)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.apps.len();
        self.indexed("applications", len, 100, 999, |i| {
            let v = with_arrays(
                serde_json::to_value(&self.t.apps[i]).unwrap_or(Value::Null),
                CRED_ARRAYS,
            );
            odata::json_matches(&v, &filter).then(|| project(v, sel.as_deref(), None))
        })
    }

    pub(super) fn application(&mut self, id: &str) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 1)?;
        let Some(a) = self.t.apps.iter().find(|a| a.id == id) else {
            return Err(self.not_found(id));
        };
        let mut v = project(
            with_arrays(serde_json::to_value(a).unwrap_or(Value::Null), CRED_ARRAYS),
            self.select().as_deref(),
            None,
        );
        v["@odata.context"] = Value::String(self.context("applications/$entity"));
        Ok(Resp::json(200, v))
    }

    pub(super) fn service_principals(&mut self) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 1)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.sps.len();
        self.indexed("servicePrincipals", len, 100, 999, |i| {
            let v = with_arrays(
                serde_json::to_value(&self.t.sps[i].sp).unwrap_or(Value::Null),
                CRED_ARRAYS,
            );
            odata::json_matches(&v, &filter).then(|| project(v, sel.as_deref(), None))
        })
    }

    pub(super) fn service_principal(&mut self, id: &str) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 1)?;
        let Some(s) = self.t.sps.iter().find(|s| s.sp.id == id) else {
            return Err(self.not_found(id));
        };
        let mut v = project(
            with_arrays(
                serde_json::to_value(&s.sp).unwrap_or(Value::Null),
                CRED_ARRAYS,
            ),
            self.select().as_deref(),
            None,
        );
        v["@odata.context"] = Value::String(self.context("servicePrincipals/$entity"));
        Ok(Resp::json(200, v))
    }
}
