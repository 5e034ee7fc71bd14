//! Groups, their members (direct and transitive), the groups delta query with
//! `members@delta`, and directory roles with their members.

use entra_model::{Capability, Permission};
use serde_json::{json, Map, Value};

use super::delta::DeltaStart;
use super::{project, with_arrays, CRED_ARRAYS, G, R, USER_DEFAULT};
use crate::odata;
use crate::server::Resp;
use crate::tenant::MemberRef;
use crate::throttle::Bucket;

impl G<'_> {
    fn member_json(&self, m: MemberRef) -> Value {
        let (ty, mut v) = match m {
            MemberRef::User(i) => (
                "#microsoft.graph.user",
                project(
                    serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null),
                    None,
                    Some(USER_DEFAULT),
                ),
            ),
            MemberRef::Group(i) => (
                "#microsoft.graph.group",
                serde_json::to_value(&self.t.groups[i].group).unwrap_or(Value::Null),
            ),
            MemberRef::Device(i) => {
                if self.has_any(&[
                    Permission::DirectoryReadAll,
                    Permission::DirectoryReadWriteAll,
                ]) || self.roles.names().any(|n| n == "Device.Read.All")
                {
                    (
                        "#microsoft.graph.device",
                        serde_json::to_value(&self.t.devices[i]).unwrap_or(Value::Null),
                    )
                } else {
                    (
                        "#microsoft.graph.device",
                        json!({"id": self.t.devices[i].id}),
                    )
                }
            }
            MemberRef::ServicePrincipal(i) => (
                "#microsoft.graph.servicePrincipal",
                with_arrays(
                    serde_json::to_value(&self.t.sps[i].sp).unwrap_or(Value::Null),
                    CRED_ARRAYS,
                ),
            ),
        };
        if let Value::Object(map) = &mut v {
            let mut out = Map::new();
            out.insert("@odata.type".into(), Value::String(ty.into()));
            out.extend(std::mem::take(map));
            v = Value::Object(out);
        }
        v
    }

    fn group_index(&self, id: &str) -> Result<usize, Resp> {
        self.t
            .groups
            .iter()
            .position(|g| g.group.id == id)
            .ok_or_else(|| self.not_found(id))
    }

    pub(super) fn groups(&mut self) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, 1)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.groups.len();
        self.indexed("groups", len, 100, 999, |i| {
            let v = serde_json::to_value(&self.t.groups[i].group).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then(|| project(v, sel.as_deref(), None))
        })
    }

    pub(super) fn group(&mut self, id: &str) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, 1)?;
        let i = self.group_index(id)?;
        let mut v = project(
            serde_json::to_value(&self.t.groups[i].group).unwrap_or(Value::Null),
            self.select().as_deref(),
            None,
        );
        v["@odata.context"] = Value::String(self.context("groups/$entity"));
        Ok(Resp::json(200, v))
    }

    fn flatten(&self, g: usize, out: &mut Vec<MemberRef>, seen: &mut Vec<usize>) {
        if seen.contains(&g) {
            return;
        }
        seen.push(g);
        for m in &self.t.groups[g].members {
            if !out.contains(m) {
                out.push(*m);
            }
            if let MemberRef::Group(n) = m {
                self.flatten(*n, out, seen);
            }
        }
    }

    pub(super) fn members(&mut self, id: &str, transitive: bool) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, if transitive { 5 } else { 3 })?;
        let g = self.group_index(id)?;
        if self.t.groups[g].group.visibility.as_deref() == Some("HiddenMembership")
            && !self.roles.contains(Permission::MemberReadHidden)
        {
            return Err(self.denied());
        }
        let list = if transitive {
            let mut out = Vec::new();
            self.flatten(g, &mut out, &mut Vec::new());
            out
        } else {
            self.t.groups[g].members.clone()
        };
        let sel = self.select();
        self.indexed("directoryObjects", list.len(), 100, 999, |i| {
            Some(project(self.member_json(list[i]), sel.as_deref(), None))
        })
    }

    pub(super) fn groups_delta(&mut self) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, 1)?;
        let round = match self.delta_state("g")? {
            DeltaStart::Latest(sel) => return Ok(self.delta_latest("groups", &sel)),
            DeltaStart::Round(round) => round,
        };
        let (since, start) = (round.since, round.start);
        let sel_v = round.selection();
        let with_members = sel_v
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == "members"));
        let mut out = Vec::new();
        let mut i = start;
        let len = self.t.groups.len();
        while i < len && out.len() < 100 {
            let g = &self.t.groups[i];
            if g.version > since {
                let mut v = project(
                    serde_json::to_value(&g.group).unwrap_or(Value::Null),
                    sel_v.as_deref(),
                    None,
                );
                if with_members {
                    let mut md: Vec<Value> = Vec::new();
                    if since == 0 {
                        for m in &g.members {
                            let ty = self.member_json(*m)["@odata.type"].clone();
                            md.push(json!({"@odata.type": ty, "id": self.t.member_id(*m)}));
                        }
                    } else {
                        for (m, ver) in &g.removed {
                            if *ver > since {
                                md.push(json!({"@odata.type": "#microsoft.graph.user", "id": self.t.member_id(*m), "@removed": {"reason": "deleted"}}));
                            }
                        }
                    }
                    if !md.is_empty() {
                        v["members@delta"] = Value::Array(md);
                    }
                }
                out.push(v);
            }
            i += 1;
        }
        Ok(self.delta_page("groups", "g", &round, (i, len), out))
    }

    pub(super) fn roles(&mut self) -> R {
        self.need(Capability::DirectoryRoles)?;
        self.admit(Bucket::Directory, 1)?;
        let items = self
            .t
            .roles
            .iter()
            .map(|r| serde_json::to_value(&r.role).unwrap_or(Value::Null))
            .collect();
        Ok(self.page("directoryRoles", items, None))
    }

    pub(super) fn role_members(&mut self, id: &str) -> R {
        self.need(Capability::DirectoryRoles)?;
        self.admit(Bucket::Directory, 1)?;
        let Some(r) = self
            .t
            .roles
            .iter()
            .position(|r| r.role.id == id || r.role.role_template_id.as_deref() == Some(id))
        else {
            return Err(self.not_found(id));
        };
        let items = self.t.roles[r]
            .members
            .iter()
            .filter(|m| !matches!(m, MemberRef::User(u) if self.t.users[*u].deleted_at.is_some()))
            .map(|m| self.member_json(*m))
            .collect();
        Ok(self.page("directoryObjects", items, None))
    }
}
