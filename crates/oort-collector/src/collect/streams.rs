//! The stream table: for each stream, what it reads from Graph (path, API version, `$select`,
//! page size), how it is collected (time windows, delta, snapshot), the capability it needs and
//! what it writes into the store. The drivers of the collection modes live in `window`, `delta`
//! and `snapshot`; a new stream is one entry here.

use entra_model::{
    Application, Capability, ConditionalAccessPolicy, DirectoryAudit, Group, ManagedDevice, Raw,
    RiskDetection, RiskyUser, ServicePrincipal, SignIn, User, UserRegistrationDetails,
};
use futures::future::BoxFuture;
use graph_client::{ApiVersion, GraphRequest};
use oort_store::{Batch, ItemKind, SnapshotScope, StreamKind};
use serde::de::DeserializeOwned;

use super::feedback::Feedback;
use super::report::StreamReport;
use super::window::Timed;
use super::{Collector, StreamError};

/// One stream: what it reads and how.
pub(super) struct StreamSpec {
    /// The stream.
    pub(super) kind: StreamKind,
    /// The capability (permission and licence) it needs.
    pub(super) capability: Capability,
    /// The Graph path, relative to the version root.
    pub(super) path: &'static str,
    /// The API version the path, `$select` and `$filter` are written for.
    pub(super) version: ApiVersion,
    /// A `Prefer` header, if the answers need one.
    pub(super) prefer: Option<&'static str>,
    /// `$select` (empty: Graph's default properties).
    pub(super) select: &'static [&'static str],
    /// `$top`.
    pub(super) page_size: PageSize,
    /// How it is collected, and what it writes.
    pub(super) mode: Mode,
}

/// The `$top` of a stream's queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PageSize {
    /// [`CollectorConfig::page_size`](super::CollectorConfig::page_size).
    Configured,
    /// A fixed size (the endpoint's documented maximum).
    Fixed(u32),
    /// No `$top`: the endpoint's own page size.
    Endpoint,
}

/// How a stream is collected.
pub(super) enum Mode {
    /// An activity log read in time windows: slices checkpointed with their nextLinks, a
    /// watermark that passes only slices completely stored (`window`).
    Windowed(Window),
    /// A delta query: a full sync ending in a deltaLink, then changes; after a full sync, what
    /// it did not see in `reconcile` is marked removed (`delta`).
    Delta {
        /// What the stream's pages are.
        items: &'static dyn PageItems,
        /// What a full sync reconciles, in order.
        reconcile: &'static [SnapshotScope],
    },
    /// Every page read and stored each run, then what was not seen in `reconcile` is removed
    /// (`None`: the pages update what other streams stored, nothing is removed) (`snapshot`).
    Snapshot {
        /// What the stream's pages are.
        items: &'static dyn PageItems,
        /// What the run replaces.
        reconcile: Option<SnapshotScope>,
    },
    /// The directory roles (the path), then each role's members with `member_select`
    /// (`snapshot`).
    RoleMembers {
        /// `$select` of the member listings.
        member_select: &'static [&'static str],
    },
}

/// The time windows of an activity log.
pub(super) struct Window {
    /// The item's time, which `$filter` bounds (`ge` the slice's start, `lt` its end).
    pub(super) field: &'static str,
    /// The sign-in event type the `$filter` also asks for (beta sign-ins), if any.
    pub(super) event_type: Option<&'static str>,
    /// What the stream's pages are.
    pub(super) items: &'static dyn WindowItems,
}

impl StreamSpec {
    /// The stream's query (without the `$filter` of a window).
    pub(super) fn request(&self, configured_page_size: u32) -> GraphRequest {
        let mut request = GraphRequest::get(self.path).version(self.version);
        if let Some(prefer) = self.prefer {
            request = request.prefer(prefer);
        }
        if !self.select.is_empty() {
            request = request.select(self.select);
        }
        match self.page_size {
            PageSize::Configured => request.top(configured_page_size),
            PageSize::Fixed(n) => request.top(n),
            PageSize::Endpoint => request,
        }
    }

    /// Whether the stream reads a time window of an activity log.
    pub(super) fn is_windowed(&self) -> bool {
        matches!(self.mode, Mode::Windowed(_))
    }
}

impl Window {
    /// The `$filter` of the slice `[start, end)` (times as Graph's filter reads them).
    pub(super) fn filter(&self, start: &str, end: &str) -> String {
        let field = self.field;
        let range = format!("{field} ge {start} and {field} lt {end}");
        match self.event_type {
            Some(event) => format!("signInEventTypes/any(t: t eq '{event}') and {range}"),
            None => range,
        }
    }
}

/// The spec of `kind`, or `None` for a stream this collector does not know.
pub(super) fn spec(kind: StreamKind) -> Option<&'static StreamSpec> {
    STREAMS.iter().find(|s| s.kind == kind)
}

/// Pages of items of type `T`, stored as the store's batch of that type: the item type of a
/// stream, carried through the table (whose entries differ in it) to the generic drivers.
pub(super) struct Items<T>(pub(super) fn(Vec<Raw<T>>) -> Batch);

/// A future of a stream's work.
pub(super) type Work<'a> = BoxFuture<'a, Result<(), StreamError>>;

/// The drivers of the page-by-page modes (delta, snapshot) for one item type.
pub(super) trait PageItems: Sync {
    /// Runs the delta driver.
    fn delta<'a>(
        &'a self,
        collector: &'a Collector,
        spec: &'a StreamSpec,
        reconcile: &'a [SnapshotScope],
        report: &'a mut StreamReport,
    ) -> Work<'a>;

    /// Runs the snapshot driver.
    fn snapshot<'a>(
        &'a self,
        collector: &'a Collector,
        spec: &'a StreamSpec,
        reconcile: Option<&'a SnapshotScope>,
        report: &'a mut StreamReport,
    ) -> Work<'a>;
}

impl<T: DeserializeOwned + Send + 'static> PageItems for Items<T> {
    fn delta<'a>(
        &'a self,
        collector: &'a Collector,
        spec: &'a StreamSpec,
        reconcile: &'a [SnapshotScope],
        report: &'a mut StreamReport,
    ) -> Work<'a> {
        Box::pin(collector.delta(spec, self.0, reconcile, report))
    }

    fn snapshot<'a>(
        &'a self,
        collector: &'a Collector,
        spec: &'a StreamSpec,
        reconcile: Option<&'a SnapshotScope>,
        report: &'a mut StreamReport,
    ) -> Work<'a> {
        Box::pin(collector.snapshot(spec, self.0, reconcile, report))
    }
}

/// The driver of the windowed mode for one item type (items with a time).
pub(super) trait WindowItems: Sync {
    /// Runs the window driver.
    fn window<'a>(
        &'a self,
        collector: &'a Collector,
        spec: &'a StreamSpec,
        window: &'a Window,
        report: &'a mut StreamReport,
        feedback: &'a Feedback,
    ) -> Work<'a>;
}

impl<T: Timed + DeserializeOwned + Send + 'static> WindowItems for Items<T> {
    fn window<'a>(
        &'a self,
        collector: &'a Collector,
        spec: &'a StreamSpec,
        window: &'a Window,
        report: &'a mut StreamReport,
        feedback: &'a Feedback,
    ) -> Work<'a> {
        Box::pin(collector.window(spec, window, self.0, report, feedback))
    }
}

const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "givenName",
    "surname",
    "mail",
    "userType",
    "accountEnabled",
    "createdDateTime",
    "creationType",
    "externalUserState",
    "onPremisesSyncEnabled",
    "signInSessionsValidFromDateTime",
    "assignedLicenses",
    "identities",
    "otherMails",
    "jobTitle",
    "department",
];

const GROUP_SELECT: &[&str] = &[
    "id",
    "displayName",
    "description",
    "groupTypes",
    "securityEnabled",
    "mailEnabled",
    "mail",
    "membershipRule",
    "onPremisesSyncEnabled",
    "visibility",
    "isAssignableToRole",
    "createdDateTime",
    "members",
];

const APPLICATION_SELECT: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "createdDateTime",
    "signInAudience",
    "passwordCredentials",
    "keyCredentials",
    "publisherDomain",
];

const SERVICE_PRINCIPAL_SELECT: &[&str] = &[
    "id",
    "appId",
    "displayName",
    "servicePrincipalType",
    "appOwnerOrganizationId",
    "accountEnabled",
    "passwordCredentials",
    "keyCredentials",
    "tags",
];

/// The sign-ins of one event type other than interactive (beta: v1.0 returns interactive
/// sign-ins only).
const fn beta_sign_ins(kind: StreamKind, event_type: &'static str) -> StreamSpec {
    StreamSpec {
        kind,
        capability: Capability::NonInteractiveSignIns,
        path: "auditLogs/signIns",
        version: ApiVersion::Beta,
        prefer: Some("include-unknown-enum-members"),
        select: &[],
        page_size: PageSize::Configured,
        mode: Mode::Windowed(Window {
            field: "createdDateTime",
            event_type: Some(event_type),
            items: &Items::<SignIn>(Batch::SignIns),
        }),
    }
}

/// Every stream this collector collects (their order of collection is `StreamKind::ALL`'s).
pub(super) static STREAMS: &[StreamSpec] = &[
    StreamSpec {
        kind: StreamKind::SignIns,
        capability: Capability::SignIns,
        path: "auditLogs/signIns",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Configured,
        mode: Mode::Windowed(Window {
            field: "createdDateTime",
            event_type: None,
            items: &Items::<SignIn>(Batch::SignIns),
        }),
    },
    beta_sign_ins(StreamKind::NonInteractiveSignIns, "nonInteractiveUser"),
    beta_sign_ins(StreamKind::ServicePrincipalSignIns, "servicePrincipal"),
    beta_sign_ins(StreamKind::ManagedIdentitySignIns, "managedIdentity"),
    StreamSpec {
        kind: StreamKind::DirectoryAudits,
        capability: Capability::DirectoryAudits,
        path: "auditLogs/directoryAudits",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Configured,
        mode: Mode::Windowed(Window {
            field: "activityDateTime",
            event_type: None,
            items: &Items::<DirectoryAudit>(Batch::DirectoryAudits),
        }),
    },
    StreamSpec {
        kind: StreamKind::Users,
        capability: Capability::Users,
        path: "users/delta",
        version: ApiVersion::V1,
        prefer: None,
        select: USER_SELECT,
        page_size: PageSize::Endpoint,
        mode: Mode::Delta {
            items: &Items::<User>(Batch::Users),
            reconcile: &[SnapshotScope::Users],
        },
    },
    StreamSpec {
        kind: StreamKind::SignInActivity,
        capability: Capability::SignInActivity,
        path: "users",
        version: ApiVersion::V1,
        prefer: None,
        select: &["id", "signInActivity"],
        // 500 per page is the documented maximum with signInActivity.
        page_size: PageSize::Fixed(500),
        mode: Mode::Snapshot {
            items: &Items::<User>(Batch::SignInActivity),
            reconcile: None,
        },
    },
    StreamSpec {
        kind: StreamKind::Groups,
        capability: Capability::GroupsAndMembers,
        path: "groups/delta",
        version: ApiVersion::V1,
        prefer: None,
        select: GROUP_SELECT,
        page_size: PageSize::Endpoint,
        mode: Mode::Delta {
            items: &Items::<Group>(Batch::Groups),
            reconcile: &[SnapshotScope::Groups, SnapshotScope::AllGroupMembers],
        },
    },
    StreamSpec {
        kind: StreamKind::DirectoryRoles,
        capability: Capability::DirectoryRoles,
        path: "directoryRoles",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Endpoint,
        mode: Mode::RoleMembers {
            member_select: &["id", "userPrincipalName", "displayName", "appId"],
        },
    },
    StreamSpec {
        kind: StreamKind::Applications,
        capability: Capability::Applications,
        path: "applications",
        version: ApiVersion::V1,
        prefer: None,
        select: APPLICATION_SELECT,
        page_size: PageSize::Fixed(999),
        mode: Mode::Snapshot {
            items: &Items::<Application>(Batch::Applications),
            reconcile: Some(SnapshotScope::Applications),
        },
    },
    StreamSpec {
        kind: StreamKind::ServicePrincipals,
        capability: Capability::Applications,
        path: "servicePrincipals",
        version: ApiVersion::V1,
        prefer: None,
        select: SERVICE_PRINCIPAL_SELECT,
        page_size: PageSize::Fixed(999),
        mode: Mode::Snapshot {
            items: &Items::<ServicePrincipal>(Batch::ServicePrincipals),
            reconcile: Some(SnapshotScope::ServicePrincipals),
        },
    },
    StreamSpec {
        kind: StreamKind::AuthMethods,
        capability: Capability::RegistrationDetails,
        path: "reports/authenticationMethods/userRegistrationDetails",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Fixed(999),
        mode: Mode::Snapshot {
            items: &Items::<UserRegistrationDetails>(Batch::RegistrationDetails),
            reconcile: Some(SnapshotScope::Items(ItemKind::RegistrationDetails)),
        },
    },
    StreamSpec {
        kind: StreamKind::RiskyUsers,
        capability: Capability::RiskyUsers,
        path: "identityProtection/riskyUsers",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Fixed(500),
        mode: Mode::Snapshot {
            items: &Items::<RiskyUser>(Batch::RiskyUsers),
            reconcile: Some(SnapshotScope::Items(ItemKind::RiskyUsers)),
        },
    },
    StreamSpec {
        kind: StreamKind::RiskDetections,
        capability: Capability::RiskDetections,
        path: "identityProtection/riskDetections",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Fixed(500),
        mode: Mode::Snapshot {
            items: &Items::<RiskDetection>(Batch::RiskDetections),
            reconcile: Some(SnapshotScope::Items(ItemKind::RiskDetections)),
        },
    },
    StreamSpec {
        kind: StreamKind::ConditionalAccessPolicies,
        capability: Capability::ConditionalAccessPolicies,
        path: "identity/conditionalAccess/policies",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Endpoint,
        mode: Mode::Snapshot {
            items: &Items::<ConditionalAccessPolicy>(Batch::ConditionalAccessPolicies),
            reconcile: Some(SnapshotScope::Items(ItemKind::ConditionalAccessPolicies)),
        },
    },
    StreamSpec {
        kind: StreamKind::ManagedDevices,
        capability: Capability::ManagedDevices,
        path: "deviceManagement/managedDevices",
        version: ApiVersion::V1,
        prefer: None,
        select: &[],
        page_size: PageSize::Fixed(1000),
        mode: Mode::Snapshot {
            items: &Items::<ManagedDevice>(Batch::ManagedDevices),
            reconcile: Some(SnapshotScope::Items(ItemKind::ManagedDevices)),
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_entry_per_stream_agreeing_with_the_store_vocabulary() {
        for &kind in StreamKind::ALL {
            let specs: Vec<_> = STREAMS.iter().filter(|s| s.kind == kind).collect();
            assert_eq!(specs.len(), 1, "{kind}: one entry");
            let spec = specs[0];
            assert_eq!(spec.capability, kind.capability(), "{kind}");
            assert_eq!(spec.is_windowed(), kind.is_windowed(), "{kind}");
        }
        assert_eq!(STREAMS.len(), StreamKind::ALL.len());
    }

    #[test]
    fn a_beta_sign_in_window_filters_on_its_event_type_then_the_range() {
        let spec = spec(StreamKind::ServicePrincipalSignIns).unwrap();
        let Mode::Windowed(window) = &spec.mode else {
            panic!("windowed")
        };
        assert_eq!(
            window.filter("2025-06-01T00:00:00Z", "2025-06-02T00:00:00Z"),
            "signInEventTypes/any(t: t eq 'servicePrincipal') and createdDateTime ge \
             2025-06-01T00:00:00Z and createdDateTime lt 2025-06-02T00:00:00Z"
        );
        let request = spec.request(1000);
        assert_eq!(request.relative_url(), "/auditLogs/signIns?$top=1000");
    }
}
