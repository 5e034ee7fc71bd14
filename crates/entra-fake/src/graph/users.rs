//! Users: the list with `$filter`, `$select` and `signInActivity`, `$count`, one user, the
//! delta query and the deleted users.

use entra_model::{Capability, RemovedReason};
use serde_json::{json, Value};

use super::delta::DeltaStart;
use super::{project, with_arrays, G, R, USER_DEFAULT};
use crate::odata;
use crate::server::{Body, Resp};
use crate::throttle::Bucket;

impl G<'_> {
    fn wants_sia(&self) -> bool {
        let s = self
            .req
            .param("$select")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let f = self
            .req
            .param("$filter")
            .unwrap_or_default()
            .to_ascii_lowercase();
        s.contains("signinactivity") || f.contains("signinactivity")
    }

    fn user_json(&self, i: usize, sel: Option<&[String]>, sia: bool) -> Value {
        let rec = &self.t.users[i];
        let mut v = with_arrays(
            serde_json::to_value(&rec.user).unwrap_or(Value::Null),
            &["businessPhones"],
        );
        if sia {
            if let Some(a) = self.t.sign_in_activity(i) {
                v["signInActivity"] = serde_json::to_value(a).unwrap_or(Value::Null);
            }
        }
        project(v, sel, Some(USER_DEFAULT))
    }

    pub(super) fn user_index(&self, key: &str) -> Result<usize, Resp> {
        self.t.find_user(key).ok_or_else(|| self.not_found(key))
    }

    pub(super) fn users(&mut self) -> R {
        self.need(Capability::Users)?;
        let sia = self.wants_sia();
        if sia {
            self.need(Capability::SignInActivity)?;
            self.admit(Bucket::SignInActivity, 1)?;
        }
        let cost = if self.req.param("$select").is_some() {
            1
        } else {
            2
        };
        self.admit(Bucket::Directory, cost)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.users.len();
        let (def, max) = (100, if sia { 500 } else { 999 });
        self.indexed("users", len, def, max, |i| {
            if self.t.users[i].deleted_at.is_some() {
                return None;
            }
            if !filter.is_empty() {
                let mut all = serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null);
                if sia {
                    if let Some(a) = self.t.sign_in_activity(i) {
                        all["signInActivity"] = serde_json::to_value(a).unwrap_or(Value::Null);
                    }
                }
                if !odata::json_matches(&all, &filter) {
                    return None;
                }
            }
            Some(self.user_json(i, sel.as_deref(), sia))
        })
    }

    pub(super) fn users_count(&mut self) -> R {
        self.need(Capability::Users)?;
        if !self
            .req
            .header("consistencylevel")
            .is_some_and(|c| c.eq_ignore_ascii_case("eventual"))
        {
            return Err(self.err(
                400,
                "Request_BadRequest",
                "$count is not currently supported.",
            ));
        }
        self.admit(Bucket::Directory, 1)?;
        let n = self
            .t
            .users
            .iter()
            .filter(|u| u.deleted_at.is_none())
            .count();
        Ok(Resp {
            status: 200,
            headers: Vec::new(),
            body: Body::Raw(n.to_string().into_bytes(), "text/plain"),
        })
    }

    pub(super) fn user(&mut self, key: &str) -> R {
        self.need(Capability::Users)?;
        let sia = self.wants_sia();
        if sia {
            self.need(Capability::SignInActivity)?;
            self.admit(Bucket::SignInActivity, 1)?;
        }
        self.admit(Bucket::Directory, 1)?;
        let i = self.user_index(key)?;
        let sel = self.select();
        let mut v = self.user_json(i, sel.as_deref(), sia);
        v["@odata.context"] = Value::String(self.context("users/$entity"));
        Ok(Resp::json(200, v))
    }

    pub(super) fn users_delta(&mut self) -> R {
        self.need(Capability::Users)?;
        self.admit(Bucket::Directory, 1)?;
        let round = match self.delta_state("u")? {
            DeltaStart::Latest(sel) => return Ok(self.delta_latest("users", &sel)),
            DeltaStart::Round(round) => round,
        };
        let (since, start) = (round.since, round.start);
        let sel_v = round.selection();
        let mut out = Vec::new();
        let mut i = start;
        let len = self.t.users.len();
        while i < len && out.len() < 100 {
            let r = &self.t.users[i];
            if r.version > since {
                if r.deleted_at.is_some() {
                    if since > 0 {
                        out.push(json!({"id": r.user.id, "@removed": {"reason": RemovedReason::Changed.as_str()}}));
                    }
                } else {
                    out.push(self.user_json(i, sel_v.as_deref(), false));
                }
            }
            i += 1;
        }
        Ok(self.delta_page("users", "u", &round, (i, len), out))
    }

    pub(super) fn deleted_users(&mut self) -> R {
        self.need(Capability::Users)?;
        self.admit(Bucket::Directory, 1)?;
        let len = self.t.users.len();
        self.indexed(
            "directory/deletedItems/microsoft.graph.user",
            len,
            100,
            999,
            |i| {
                let r = &self.t.users[i];
                r.deleted_at.map(|_| {
                    let mut v = project(
                        serde_json::to_value(&r.user).unwrap_or(Value::Null),
                        None,
                        Some(USER_DEFAULT),
                    );
                    v["deletedDateTime"] = serde_json::to_value(
                        r.user
                            .deleted_date_time
                            .map(|d| entra_model::timestamp::format(&d)),
                    )
                    .unwrap_or(Value::Null);
                    v
                })
            },
        )
    }
}
