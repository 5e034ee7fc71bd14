//! A [`Batch`] as the rows it writes, table by table: the part of a write that both backends
//! share. Each backend's `write` module only executes its dialect's statements over these rows.
//!
//! Rows borrow from the batch (ids, names, raw JSON): nothing is copied but the few values a
//! model computes (an event type's name, a user's `signInActivity` as JSON, an app's credential
//! list). Sign-ins, the volume path, are not even collected: [`SignInRows`] maps them one at a
//! time as a backend iterates, so SQLite binds each as it is mapped and PostgreSQL streams them
//! into its `COPY`.
//!
//! The order of the items is kept where it can change the outcome (a user removed then written
//! again in one delta page, a group's member deltas after the group), so that both backends
//! apply a batch exactly as it came.

use std::collections::HashMap;

use entra_model::{
    AppCredential, Application, AuthenticationMethod, DirectoryAudit, DirectoryObject, Group,
    MemberDelta, Raw, ServicePrincipal, SignIn, User,
};
use time::OffsetDateTime;

use crate::{Batch, CredentialOwner, ItemKind, WriteSummary};

/// The rows of one batch: one variant per kind of batch, each holding the rows of every table
/// it writes.
pub(crate) enum BatchRows<'a> {
    /// `sign_ins`, and the `sign_in_changes` mark.
    SignIns(SignInRows<'a>),
    /// `directory_audits`.
    DirectoryAudits(Vec<AuditRow<'a>>),
    /// `users`: upserts and deletion marks, in batch order.
    Users(Vec<UserChange<'a>>),
    /// `users`: sign-in activity of known users.
    SignInActivity(Vec<SignInActivityRow<'a>>),
    /// `groups` and `group_members`: upserts with their member deltas, and deletion marks, in
    /// batch order.
    Groups(Vec<GroupChange<'a>>),
    /// `group_members`: a page of one group's member listing.
    GroupMembers {
        group_id: &'a str,
        members: Vec<MemberRow<'a>>,
    },
    /// `directory_items` (the role) and `role_members`.
    RoleMembers {
        role: ItemRow<'a>,
        members: Vec<MemberRow<'a>>,
    },
    /// `applications` with their `app_credentials` sets.
    Applications(Vec<ApplicationRow<'a>>),
    /// `service_principals` with their `app_credentials` sets.
    ServicePrincipals(Vec<ServicePrincipalRow<'a>>),
    /// `auth_methods`: one user's complete set (replaces the stored one).
    AuthMethods {
        user_id: &'a str,
        methods: Vec<MethodRow<'a>>,
    },
    /// `directory_items` of one kind.
    Items {
        kind: ItemKind,
        items: Vec<ItemRow<'a>>,
    },
}

impl<'a> BatchRows<'a> {
    pub(crate) fn new(batch: &'a Batch) -> Self {
        match batch {
            Batch::SignIns(items) => BatchRows::SignIns(SignInRows { items }),
            Batch::DirectoryAudits(items) => {
                BatchRows::DirectoryAudits(items.iter().map(audit_row).collect())
            }
            Batch::Users(items) => BatchRows::Users(items.iter().map(user_change).collect()),
            Batch::SignInActivity(items) => {
                BatchRows::SignInActivity(items.iter().map(sign_in_activity_row).collect())
            }
            Batch::Groups(items) => BatchRows::Groups(items.iter().map(group_change).collect()),
            Batch::GroupMembers { group_id, members } => BatchRows::GroupMembers {
                group_id,
                members: member_rows(members),
            },
            Batch::RoleMembers { role, members } => BatchRows::RoleMembers {
                role: item_row(role, |r| &r.id),
                members: member_rows(members),
            },
            Batch::Applications(items) => {
                BatchRows::Applications(items.iter().map(application_row).collect())
            }
            Batch::ServicePrincipals(items) => {
                BatchRows::ServicePrincipals(items.iter().map(service_principal_row).collect())
            }
            Batch::AuthMethods { user_id, methods } => BatchRows::AuthMethods {
                user_id,
                methods: methods.iter().map(method_row).collect(),
            },
            Batch::RegistrationDetails(items) => {
                items_of(ItemKind::RegistrationDetails, items, |v| &v.id)
            }
            Batch::RiskyUsers(items) => items_of(ItemKind::RiskyUsers, items, |v| &v.id),
            Batch::RiskDetections(items) => items_of(ItemKind::RiskDetections, items, |v| &v.id),
            Batch::ConditionalAccessPolicies(items) => {
                items_of(ItemKind::ConditionalAccessPolicies, items, |v| &v.id)
            }
            Batch::ManagedDevices(items) => items_of(ItemKind::ManagedDevices, items, |v| &v.id),
        }
    }
}

/// The sign-ins of a batch, mapped to rows as they are iterated.
#[derive(Clone, Copy)]
pub(crate) struct SignInRows<'a> {
    items: &'a [Raw<SignIn>],
}

impl<'a> SignInRows<'a> {
    /// Every sign-in's row, in batch order.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = SignInRow<'a>> + 'a {
        self.items.iter().map(sign_in_row)
    }

    /// The row of the last occurrence of each id, in batch order: what a statement that upserts
    /// the whole batch at once writes (it cannot touch a row twice). Duplicates are not mapped.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn last_of_each_id(&self) -> impl Iterator<Item = SignInRow<'a>> + 'a {
        let mut last: HashMap<&'a str, usize> = HashMap::with_capacity(self.items.len());
        for (i, item) in self.items.iter().enumerate() {
            last.insert(item.value().id.as_str(), i);
        }
        self.items
            .iter()
            .enumerate()
            .filter(move |(i, item)| last.get(item.value().id.as_str()) == Some(i))
            .map(|(_, item)| sign_in_row(item))
    }

    /// The earliest `created_at` of the batch: how far back the analysis must look again
    /// (`sign_in_changes`). `None` when no sign-in has a time.
    pub(crate) fn earliest(&self) -> Option<OffsetDateTime> {
        self.items
            .iter()
            .filter_map(|i| i.value().created_date_time)
            .min()
    }
}

/// The values of a [`SignInRow`] in the column order of `sign_ins` (`tenant_id, id,
/// created_at, user_id, ... raw_json`: 22 columns), as an array of references that coerce to
/// either dialect's parameter type; `$created_at` is the time as the dialect binds it.
macro_rules! sign_in_values {
    ($tenant:expr, $row:expr, $created_at:expr) => {
        [
            $tenant,
            &$row.id,
            $created_at,
            &$row.user_id,
            &$row.user_principal_name,
            &$row.app_id,
            &$row.app_display_name,
            &$row.ip_address,
            &$row.country,
            &$row.city,
            &$row.latitude,
            &$row.longitude,
            &$row.client_app_used,
            &$row.user_agent,
            &$row.error_code,
            &$row.is_interactive,
            &$row.event_type,
            &$row.conditional_access_status,
            &$row.risk_level_aggregated,
            &$row.risk_level_during_sign_in,
            &$row.risk_state,
            &$row.raw_json,
        ]
    };
}
pub(crate) use sign_in_values;

pub(crate) struct SignInRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) created_at: Option<OffsetDateTime>,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) user_principal_name: Option<&'a str>,
    pub(crate) app_id: Option<&'a str>,
    pub(crate) app_display_name: Option<&'a str>,
    pub(crate) ip_address: Option<&'a str>,
    pub(crate) country: Option<&'a str>,
    pub(crate) city: Option<&'a str>,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
    pub(crate) client_app_used: Option<&'a str>,
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) error_code: Option<i64>,
    pub(crate) is_interactive: Option<bool>,
    pub(crate) event_type: Option<String>,
    pub(crate) conditional_access_status: Option<&'a str>,
    pub(crate) risk_level_aggregated: Option<&'a str>,
    pub(crate) risk_level_during_sign_in: Option<&'a str>,
    pub(crate) risk_state: Option<&'a str>,
    pub(crate) raw_json: &'a str,
}

fn sign_in_row(raw: &Raw<SignIn>) -> SignInRow<'_> {
    let s = raw.value();
    let location = s.location.as_ref();
    let geo = location.and_then(|l| l.geo_coordinates.as_ref());
    SignInRow {
        id: &s.id,
        created_at: s.created_date_time,
        user_id: s.user_id.as_deref(),
        user_principal_name: s.user_principal_name.as_deref(),
        app_id: s.app_id.as_deref(),
        app_display_name: s.app_display_name.as_deref(),
        ip_address: s.ip_address.as_deref(),
        country: s.country(),
        city: location.and_then(|l| l.city.as_deref()),
        latitude: geo.and_then(|g| g.latitude),
        longitude: geo.and_then(|g| g.longitude),
        client_app_used: s.client_app_used.as_deref(),
        user_agent: s.user_agent.as_deref(),
        error_code: s.error_code(),
        is_interactive: s.is_interactive,
        event_type: s.event_type().map(|e| e.as_str().to_owned()),
        conditional_access_status: s.conditional_access_status.as_ref().map(|c| c.as_str()),
        risk_level_aggregated: s.risk_level_aggregated.as_ref().map(|c| c.as_str()),
        risk_level_during_sign_in: s.risk_level_during_sign_in.as_ref().map(|c| c.as_str()),
        risk_state: s.risk_state.as_ref().map(|c| c.as_str()),
        raw_json: raw.json(),
    }
}

pub(crate) struct AuditRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) activity_at: Option<OffsetDateTime>,
    pub(crate) activity_display_name: Option<&'a str>,
    pub(crate) category: Option<&'a str>,
    pub(crate) result: Option<&'a str>,
    pub(crate) raw_json: &'a str,
}

fn audit_row(raw: &Raw<DirectoryAudit>) -> AuditRow<'_> {
    let a = raw.value();
    AuditRow {
        id: &a.id,
        activity_at: a.activity_date_time,
        activity_display_name: a.activity_display_name.as_deref(),
        category: a.category.as_deref(),
        result: a.result.as_ref().map(|r| r.as_str()),
        raw_json: raw.json(),
    }
}

/// An object a delta page says was deleted: marked, never erased; its JSON is stored only
/// when the object was not known.
pub(crate) struct Removal<'a> {
    pub(crate) id: &'a str,
    pub(crate) raw_json: &'a str,
}

pub(crate) enum UserChange<'a> {
    Upsert(UserRow<'a>),
    Remove(Removal<'a>),
}

pub(crate) struct UserRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) user_principal_name: Option<&'a str>,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) user_type: Option<&'a str>,
    pub(crate) account_enabled: Option<bool>,
    pub(crate) created_at: Option<OffsetDateTime>,
    pub(crate) last_sign_in_at: Option<OffsetDateTime>,
    pub(crate) last_successful_sign_in_at: Option<OffsetDateTime>,
    pub(crate) on_premises_sync_enabled: Option<bool>,
    pub(crate) raw_json: &'a str,
}

fn user_change(raw: &Raw<User>) -> UserChange<'_> {
    let u = raw.value();
    if u.removed.is_some() {
        return UserChange::Remove(Removal {
            id: &u.id,
            raw_json: raw.json(),
        });
    }
    UserChange::Upsert(UserRow {
        id: &u.id,
        user_principal_name: u.user_principal_name.as_deref(),
        display_name: u.display_name.as_deref(),
        user_type: u.user_type.as_ref().map(|t| t.as_str()),
        account_enabled: u.account_enabled,
        created_at: u.created_date_time,
        last_sign_in_at: u.last_sign_in(),
        last_successful_sign_in_at: u.last_successful_sign_in(),
        on_premises_sync_enabled: u.on_premises_sync_enabled,
        raw_json: raw.json(),
    })
}

/// A user's `signInActivity` (an update of a known user's sign-in columns).
pub(crate) struct SignInActivityRow<'a> {
    pub(crate) id: &'a str,
    /// The activity as JSON text (`None` without one).
    pub(crate) activity_json: Option<String>,
    pub(crate) last_sign_in_at: Option<OffsetDateTime>,
    pub(crate) last_successful_sign_in_at: Option<OffsetDateTime>,
}

fn sign_in_activity_row(raw: &Raw<User>) -> SignInActivityRow<'_> {
    let u = raw.value();
    SignInActivityRow {
        id: &u.id,
        activity_json: u
            .sign_in_activity
            .as_ref()
            .and_then(|a| serde_json::to_string(a).ok()),
        last_sign_in_at: u.last_sign_in(),
        last_successful_sign_in_at: u.last_successful_sign_in(),
    }
}

pub(crate) enum GroupChange<'a> {
    /// The group, then its `members@delta` in order.
    Upsert {
        group: GroupRow<'a>,
        members: Vec<MemberChange<'a>>,
    },
    /// A deleted group: marked, and its open memberships ended.
    Remove(Removal<'a>),
}

pub(crate) struct GroupRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) security_enabled: Option<bool>,
    pub(crate) is_dynamic: bool,
    pub(crate) raw_json: &'a str,
}

/// One entry of a group's `members@delta`.
pub(crate) enum MemberChange<'a> {
    /// Added (or still there): upserted, its count not part of the write's summary.
    Add(MemberRow<'a>),
    /// Left the group: its open membership is ended (counted as removed).
    Remove { member_id: &'a str },
}

fn group_change(raw: &Raw<Group>) -> GroupChange<'_> {
    let g = raw.value();
    if g.removed.is_some() {
        return GroupChange::Remove(Removal {
            id: &g.id,
            raw_json: raw.json(),
        });
    }
    GroupChange::Upsert {
        group: GroupRow {
            id: &g.id,
            display_name: g.display_name.as_deref(),
            security_enabled: g.security_enabled,
            is_dynamic: g.is_dynamic(),
            raw_json: raw.json(),
        },
        members: g.members_delta.iter().map(member_change).collect(),
    }
}

fn member_change(delta: &MemberDelta) -> MemberChange<'_> {
    if delta.is_removed() {
        MemberChange::Remove {
            member_id: &delta.id,
        }
    } else {
        MemberChange::Add(MemberRow {
            member_id: &delta.id,
            member_type: short_type(delta.odata_type.as_deref()),
        })
    }
}

/// A member of a group or role.
pub(crate) struct MemberRow<'a> {
    pub(crate) member_id: &'a str,
    /// The short type name (`user`, `group`, ...).
    pub(crate) member_type: Option<&'a str>,
}

/// The members of a listing; a directory object without an id is skipped.
fn member_rows(members: &[DirectoryObject]) -> Vec<MemberRow<'_>> {
    members
        .iter()
        .filter_map(|m| {
            Some(MemberRow {
                member_id: m.id()?,
                member_type: m.type_name(),
            })
        })
        .collect()
}

/// `#microsoft.graph.user` -> `user`.
fn short_type(odata_type: Option<&str>) -> Option<&str> {
    let t = odata_type?;
    let t = t.strip_prefix('#').unwrap_or(t);
    Some(t.strip_prefix("microsoft.graph.").unwrap_or(t))
}

pub(crate) struct ApplicationRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) app_id: Option<&'a str>,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) raw_json: &'a str,
    pub(crate) credentials: CredentialSet<'a>,
}

fn application_row(raw: &Raw<Application>) -> ApplicationRow<'_> {
    let a = raw.value();
    ApplicationRow {
        id: &a.id,
        app_id: a.app_id.as_deref(),
        display_name: a.display_name.as_deref(),
        raw_json: raw.json(),
        credentials: CredentialSet::new(
            CredentialOwner::Application,
            &a.id,
            &a.app_id,
            &a.display_name,
            a.credentials(),
        ),
    }
}

pub(crate) struct ServicePrincipalRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) app_id: Option<&'a str>,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) service_principal_type: Option<&'a str>,
    pub(crate) app_owner_organization_id: Option<&'a str>,
    pub(crate) raw_json: &'a str,
    pub(crate) credentials: CredentialSet<'a>,
}

fn service_principal_row(raw: &Raw<ServicePrincipal>) -> ServicePrincipalRow<'_> {
    let sp = raw.value();
    ServicePrincipalRow {
        id: &sp.id,
        app_id: sp.app_id.as_deref(),
        display_name: sp.display_name.as_deref(),
        service_principal_type: sp.service_principal_type.as_ref().map(|t| t.as_str()),
        app_owner_organization_id: sp.app_owner_organization_id.as_deref(),
        raw_json: raw.json(),
        credentials: CredentialSet::new(
            CredentialOwner::ServicePrincipal,
            &sp.id,
            &sp.app_id,
            &sp.display_name,
            sp.credentials(),
        ),
    }
}

/// The complete set of an owner's secrets and certificates: replaces the stored set.
pub(crate) struct CredentialSet<'a> {
    pub(crate) owner: CredentialOwner,
    pub(crate) owner_id: &'a str,
    pub(crate) app_id: Option<&'a str>,
    pub(crate) owner_name: Option<&'a str>,
    credentials: Vec<AppCredential>,
}

impl<'a> CredentialSet<'a> {
    /// The set of an owner with its id, app id and display name.
    fn new(
        owner: CredentialOwner,
        owner_id: &'a str,
        app_id: &'a Option<String>,
        owner_name: &'a Option<String>,
        credentials: Vec<AppCredential>,
    ) -> Self {
        CredentialSet {
            owner,
            owner_id,
            app_id: app_id.as_deref(),
            owner_name: owner_name.as_deref(),
            credentials,
        }
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = CredentialRow<'_>> {
        self.credentials.iter().map(|c| CredentialRow {
            key_id: c.key_id.as_deref().unwrap_or_default(),
            kind: c.kind.as_str(),
            display_name: c.display_name.as_deref(),
            start_at: c.start,
            end_at: c.end,
        })
    }
}

pub(crate) struct CredentialRow<'a> {
    /// Empty when Graph gave none (the key is part of the primary key).
    pub(crate) key_id: &'a str,
    pub(crate) kind: &'static str,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) start_at: Option<OffsetDateTime>,
    pub(crate) end_at: Option<OffsetDateTime>,
}

pub(crate) struct MethodRow<'a> {
    /// Empty when Graph gave none.
    pub(crate) method_id: &'a str,
    pub(crate) method_type: &'a str,
    pub(crate) raw_json: &'a str,
}

fn method_row(raw: &Raw<AuthenticationMethod>) -> MethodRow<'_> {
    let m = raw.value();
    MethodRow {
        method_id: m.id().unwrap_or_default(),
        method_type: m.type_name().unwrap_or("unknown"),
        raw_json: raw.json(),
    }
}

/// What replacing a set of `before` stored rows with `after` new ones counts: the rows beyond
/// the old count are inserted, those within it updated, the missing ones removed.
pub(crate) fn replaced(before: u64, after: u64) -> WriteSummary {
    WriteSummary {
        inserted: after.saturating_sub(before),
        updated: after.min(before),
        removed: before.saturating_sub(after),
    }
}

/// A snapshot item of `directory_items`: its id and raw JSON.
pub(crate) struct ItemRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) raw_json: &'a str,
}

fn item_row<T>(raw: &Raw<T>, id: fn(&T) -> &String) -> ItemRow<'_> {
    ItemRow {
        id: id(raw.value()),
        raw_json: raw.json(),
    }
}

fn items_of<T>(kind: ItemKind, items: &[Raw<T>], id: fn(&T) -> &String) -> BatchRows<'_> {
    BatchRows::Items {
        kind,
        items: items.iter().map(|i| item_row(i, id)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Raw<T> {
        Raw::from_json(&v.to_string()).unwrap()
    }

    #[test]
    fn a_set_upsert_writes_the_last_occurrence_of_each_sign_in_in_batch_order() {
        let batch = Batch::SignIns(vec![
            raw(
                serde_json::json!({"id": "a", "createdDateTime": "2024-05-01T10:00:00Z", "userId": "old"}),
            ),
            raw(serde_json::json!({"id": "b", "createdDateTime": "2024-05-01T09:00:00Z"})),
            raw(
                serde_json::json!({"id": "a", "createdDateTime": "2024-05-01T11:00:00Z", "userId": "new"}),
            ),
        ]);
        let BatchRows::SignIns(rows) = BatchRows::new(&batch) else {
            panic!("sign-in rows expected");
        };
        let all: Vec<_> = rows.iter().map(|r| r.id).collect();
        assert_eq!(all, ["a", "b", "a"]);
        let last: Vec<_> = rows.last_of_each_id().map(|r| (r.id, r.user_id)).collect();
        assert_eq!(last, [("b", None), ("a", Some("new"))]);
        assert_eq!(
            rows.earliest(),
            entra_model::timestamp::parse("2024-05-01T09:00:00Z").ok()
        );
    }

    #[test]
    fn a_delta_page_keeps_removals_and_member_deltas_in_order() {
        let batch = Batch::Groups(vec![
            raw(serde_json::json!({"id": "g1", "@removed": {"reason": "deleted"}})),
            raw(serde_json::json!({"id": "g2", "members@delta": [
                {"@odata.type": "#microsoft.graph.user", "id": "u1"},
                {"id": "u2", "@removed": {"reason": "deleted"}}
            ]})),
        ]);
        let BatchRows::Groups(changes) = BatchRows::new(&batch) else {
            panic!("group rows expected");
        };
        assert!(matches!(&changes[0], GroupChange::Remove(r) if r.id == "g1"));
        let GroupChange::Upsert { group, members } = &changes[1] else {
            panic!("an upsert expected");
        };
        assert_eq!(group.id, "g2");
        assert!(matches!(&members[0],
            MemberChange::Add(m) if m.member_id == "u1" && m.member_type == Some("user")));
        assert!(matches!(
            &members[1],
            MemberChange::Remove { member_id: "u2" }
        ));
    }

    #[test]
    fn replacing_a_set_counts_new_kept_and_missing_rows() {
        let s = replaced(3, 5);
        assert_eq!((s.inserted, s.updated, s.removed), (2, 3, 0));
        let s = replaced(4, 1);
        assert_eq!((s.inserted, s.updated, s.removed), (0, 1, 3));
    }
}
