//! A user's authentication methods, all of them or one type's collection, and one method.

use entra_model::{AuthenticationMethod, Capability};
use serde_json::Value;

use super::{G, R};
use crate::server::Resp;
use crate::throttle::Bucket;

impl G<'_> {
    pub(super) fn method_matches(m: &AuthenticationMethod, seg: &str) -> bool {
        match m {
            AuthenticationMethod::Password(_) => seg == "passwordMethods",
            other => other.delete_segment() == Some(seg),
        }
    }

    pub(super) fn methods(&mut self, key: &str, seg: Option<&str>) -> R {
        self.need(Capability::AuthenticationMethods)?;
        self.admit(Bucket::Reports, 1)?;
        let i = self.user_index(key)?;
        const SEGS: &[&str] = &[
            "passwordMethods",
            "phoneMethods",
            "microsoftAuthenticatorMethods",
            "fido2Methods",
            "softwareOathMethods",
            "emailMethods",
            "temporaryAccessPassMethods",
            "windowsHelloForBusinessMethods",
            "platformCredentialMethods",
            "externalAuthenticationMethods",
        ];
        if let Some(s) = seg {
            if !SEGS.contains(&s) {
                return Err(self.err(
                    400,
                    "BadRequest",
                    &format!("Resource not found for the segment '{s}'."),
                ));
            }
        }
        let items: Vec<Value> = self.t.users[i]
            .methods
            .iter()
            .filter(|m| seg.is_none_or(|s| Self::method_matches(m, s)))
            .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
            .collect();
        let what = format!(
            "users('{}')/authentication/{}",
            self.t.users[i].user.id,
            seg.unwrap_or("methods")
        );
        Ok(self.page(&what, items, None))
    }

    pub(super) fn method(&mut self, key: &str, seg: &str, mid: &str) -> R {
        self.need(Capability::AuthenticationMethods)?;
        self.admit(Bucket::Reports, 1)?;
        let i = self.user_index(key)?;
        let m = self.t.users[i]
            .methods
            .iter()
            .find(|m| m.id() == Some(mid) && (seg == "methods" || Self::method_matches(m, seg)));
        match m {
            Some(m) => Ok(Resp::json(
                200,
                serde_json::to_value(m).unwrap_or(Value::Null),
            )),
            None => Err(self.err(
                404,
                "itemNotFound",
                &format!("The authentication method '{mid}' was not found for this user."),
            )),
        }
    }
}
