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
use super::rejected::Reparse;
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
    /// The item's time, which `$filter` bounds (`ge` the slice's start, `le` its end).
    pub(super) field: &'static str,
    /// The sign-in event type the `$filter` also asks for (beta sign-ins), if any.
    pub(super) event_type: Option<&'static str>,
    /// What the stream's pages are.
    pub(super) items: &'static dyn WindowItems,
}

impl StreamSpec {
    /// A stream of `kind` reading `path` on v1.0, with Graph's default properties and the
    /// endpoint's own page size, collected by `mode`.
    const fn new(kind: StreamKind, capability: Capability, path: &'static str, mode: Mode) -> Self {
        StreamSpec {
            kind,
            capability,
            path,
            version: ApiVersion::V1,
            prefer: None,
            select: &[],
            page_size: PageSize::Endpoint,
            mode,
        }
    }

    /// Reads the beta endpoint, with the `Prefer` header its answers need.
    const fn beta(mut self, prefer: &'static str) -> Self {
        self.version = ApiVersion::Beta;
        self.prefer = Some(prefer);
        self
    }

    /// Sends this `Prefer` header (on the stream's version).
    const fn prefer(mut self, prefer: &'static str) -> Self {
        self.prefer = Some(prefer);
        self
    }

    /// Reads these properties (`$select`).
    const fn select(mut self, select: &'static [&'static str]) -> Self {
        self.select = select;
        self
    }

    /// Asks for pages of this size (`$top`).
    const fn page_size(mut self, page_size: PageSize) -> Self {
        self.page_size = page_size;
        self
    }

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

impl Mode {
    /// A snapshot of one kind of item, replaced per run.
    const fn item_snapshot(items: &'static dyn PageItems, kind: ItemKind) -> Self {
        Mode::Snapshot {
            items,
            reconcile: Some(SnapshotScope::Items(kind)),
        }
    }
}

impl Window {
    /// The `$filter` of the slice `[start, end]` (times as Graph's filter reads them).
    ///
    /// Only the operators the docs list for the time fields are used: `activityDateTime`
    /// "Supports `$filter` (`eq`, `ge`, `le`)" (api-reference/v1.0/resources/directoryaudit.md),
    /// and `createdDateTime` of sign-ins `eq`, `le`, `ge` (api-reference/v1.0/resources/signin.md,
    /// beta/resources/signin.md); `lt` is not documented for either. So a slice includes its end:
    /// an item at exactly a slice's end is read by that slice and by the next (which starts
    /// there), and written once (writes are upserts by id: the second read counts as an
    /// update). Nothing falls between two slices.
    pub(super) fn filter(&self, start: &str, end: &str) -> String {
        let field = self.field;
        let range = format!("{field} ge {start} and {field} le {end}");
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

    /// The same items, to re-read rejected ones.
    fn as_reparse(&self) -> &dyn Reparse;
}

impl<T: DeserializeOwned + Send + 'static> PageItems for Items<T> {
    fn as_reparse(&self) -> &dyn Reparse {
        self
    }

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

    /// The same items, to re-read rejected ones.
    fn as_reparse(&self) -> &dyn Reparse;
}

impl<T: Timed + DeserializeOwned + Send + 'static> WindowItems for Items<T> {
    fn as_reparse(&self) -> &dyn Reparse {
        self
    }

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
    StreamSpec::new(
        kind,
        Capability::NonInteractiveSignIns,
        "auditLogs/signIns",
        Mode::Windowed(Window {
            field: "createdDateTime",
            event_type: Some(event_type),
            items: &Items::<SignIn>(Batch::SignIns),
        }),
    )
    .beta("include-unknown-enum-members")
    .page_size(PageSize::Configured)
}

/// Every stream this collector collects (their order of collection is `StreamKind::ALL`'s).
pub(super) static STREAMS: &[StreamSpec] = &[
    StreamSpec::new(
        StreamKind::SignIns,
        Capability::SignIns,
        "auditLogs/signIns",
        Mode::Windowed(Window {
            field: "createdDateTime",
            event_type: None,
            items: &Items::<SignIn>(Batch::SignIns),
        }),
    )
    // Evolvable enums: without this header, values added after `unknownFutureValue` (the
    // report-only results of `appliedConditionalAccessPolicy.result`, `reportOnlySuccess` ...)
    // arrive as `unknownFutureValue` (api-reference/v1.0/resources/appliedconditionalaccesspolicy.md;
    // concepts/best-practices-concept.md, "Handling future members in evolvable enumerations").
    .prefer("include-unknown-enum-members")
    .page_size(PageSize::Configured),
    beta_sign_ins(StreamKind::NonInteractiveSignIns, "nonInteractiveUser"),
    beta_sign_ins(StreamKind::ServicePrincipalSignIns, "servicePrincipal"),
    beta_sign_ins(StreamKind::ManagedIdentitySignIns, "managedIdentity"),
    StreamSpec::new(
        StreamKind::DirectoryAudits,
        Capability::DirectoryAudits,
        "auditLogs/directoryAudits",
        Mode::Windowed(Window {
            field: "activityDateTime",
            event_type: None,
            items: &Items::<DirectoryAudit>(Batch::DirectoryAudits),
        }),
    )
    .page_size(PageSize::Configured),
    StreamSpec::new(
        StreamKind::Users,
        Capability::Users,
        "users/delta",
        Mode::Delta {
            items: &Items::<User>(Batch::Users),
            reconcile: &[SnapshotScope::Users],
        },
    )
    .select(USER_SELECT),
    StreamSpec::new(
        StreamKind::SignInActivity,
        Capability::SignInActivity,
        "users",
        Mode::Snapshot {
            items: &Items::<User>(Batch::SignInActivity),
            reconcile: None,
        },
    )
    .select(&["id", "signInActivity"])
    // 500 per page is the documented maximum with signInActivity.
    .page_size(PageSize::Fixed(500)),
    StreamSpec::new(
        StreamKind::Groups,
        Capability::GroupsAndMembers,
        "groups/delta",
        Mode::Delta {
            items: &Items::<Group>(Batch::Groups),
            reconcile: &[SnapshotScope::Groups, SnapshotScope::AllGroupMembers],
        },
    )
    .select(GROUP_SELECT),
    StreamSpec::new(
        StreamKind::DirectoryRoles,
        Capability::DirectoryRoles,
        "directoryRoles",
        Mode::RoleMembers {
            member_select: &["id", "userPrincipalName", "displayName", "appId"],
        },
    ),
    StreamSpec::new(
        StreamKind::Applications,
        Capability::Applications,
        "applications",
        Mode::Snapshot {
            items: &Items::<Application>(Batch::Applications),
            reconcile: Some(SnapshotScope::Applications),
        },
    )
    .select(APPLICATION_SELECT)
    .page_size(PageSize::Fixed(999)),
    StreamSpec::new(
        StreamKind::ServicePrincipals,
        Capability::Applications,
        "servicePrincipals",
        Mode::Snapshot {
            items: &Items::<ServicePrincipal>(Batch::ServicePrincipals),
            reconcile: Some(SnapshotScope::ServicePrincipals),
        },
    )
    .select(SERVICE_PRINCIPAL_SELECT)
    .page_size(PageSize::Fixed(999)),
    StreamSpec::new(
        StreamKind::AuthMethods,
        Capability::RegistrationDetails,
        "reports/authenticationMethods/userRegistrationDetails",
        Mode::item_snapshot(
            &Items::<UserRegistrationDetails>(Batch::RegistrationDetails),
            ItemKind::RegistrationDetails,
        ),
    )
    .page_size(PageSize::Fixed(999)),
    StreamSpec::new(
        StreamKind::RiskyUsers,
        Capability::RiskyUsers,
        "identityProtection/riskyUsers",
        Mode::item_snapshot(&Items::<RiskyUser>(Batch::RiskyUsers), ItemKind::RiskyUsers),
    )
    .page_size(PageSize::Fixed(500)),
    StreamSpec::new(
        StreamKind::RiskDetections,
        Capability::RiskDetections,
        "identityProtection/riskDetections",
        Mode::item_snapshot(
            &Items::<RiskDetection>(Batch::RiskDetections),
            ItemKind::RiskDetections,
        ),
    )
    .page_size(PageSize::Fixed(500)),
    StreamSpec::new(
        StreamKind::ConditionalAccessPolicies,
        Capability::ConditionalAccessPolicies,
        "identity/conditionalAccess/policies",
        Mode::item_snapshot(
            &Items::<ConditionalAccessPolicy>(Batch::ConditionalAccessPolicies),
            ItemKind::ConditionalAccessPolicies,
        ),
    ),
    StreamSpec::new(
        StreamKind::ManagedDevices,
        Capability::ManagedDevices,
        "deviceManagement/managedDevices",
        Mode::item_snapshot(
            &Items::<ManagedDevice>(Batch::ManagedDevices),
            ItemKind::ManagedDevices,
        ),
    )
    .page_size(PageSize::Fixed(1000)),
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
    fn each_stream_asks_what_the_collector_asked_before_the_table() {
        // The queries of the per-stream code the table replaced, written out.
        let users = "id,userPrincipalName,displayName,givenName,surname,mail,userType,\
                     accountEnabled,createdDateTime,creationType,externalUserState,\
                     onPremisesSyncEnabled,signInSessionsValidFromDateTime,assignedLicenses,\
                     identities,otherMails,jobTitle,department";
        let groups = "id,displayName,description,groupTypes,securityEnabled,mailEnabled,mail,\
                      membershipRule,onPremisesSyncEnabled,visibility,isAssignableToRole,\
                      createdDateTime,members";
        let apps = "id,appId,displayName,createdDateTime,signInAudience,passwordCredentials,\
                    keyCredentials,publisherDomain";
        let sps = "id,appId,displayName,servicePrincipalType,appOwnerOrganizationId,\
                   accountEnabled,passwordCredentials,keyCredentials,tags";
        let expected = [
            (StreamKind::SignIns, "/auditLogs/signIns?$top=50".to_owned()),
            (
                StreamKind::NonInteractiveSignIns,
                "/auditLogs/signIns?$top=50".to_owned(),
            ),
            (
                StreamKind::DirectoryAudits,
                "/auditLogs/directoryAudits?$top=50".to_owned(),
            ),
            (StreamKind::Users, format!("/users/delta?$select={users}")),
            (
                StreamKind::SignInActivity,
                "/users?$select=id,signInActivity&$top=500".to_owned(),
            ),
            (
                StreamKind::Groups,
                format!("/groups/delta?$select={groups}"),
            ),
            (StreamKind::DirectoryRoles, "/directoryRoles".to_owned()),
            (
                StreamKind::Applications,
                format!("/applications?$select={apps}&$top=999"),
            ),
            (
                StreamKind::ServicePrincipals,
                format!("/servicePrincipals?$select={sps}&$top=999"),
            ),
            (
                StreamKind::AuthMethods,
                "/reports/authenticationMethods/userRegistrationDetails?$top=999".to_owned(),
            ),
            (
                StreamKind::RiskyUsers,
                "/identityProtection/riskyUsers?$top=500".to_owned(),
            ),
            (
                StreamKind::RiskDetections,
                "/identityProtection/riskDetections?$top=500".to_owned(),
            ),
            (
                StreamKind::ConditionalAccessPolicies,
                "/identity/conditionalAccess/policies".to_owned(),
            ),
            (
                StreamKind::ManagedDevices,
                "/deviceManagement/managedDevices?$top=1000".to_owned(),
            ),
        ];
        for (kind, url) in expected {
            let spec = spec(kind).unwrap();
            assert_eq!(spec.request(50).relative_url(), url, "{kind}");
            let beta = kind == StreamKind::NonInteractiveSignIns;
            assert_eq!(spec.version == ApiVersion::Beta, beta, "{kind}");
            let sign_ins = beta || kind == StreamKind::SignIns;
            assert_eq!(spec.prefer.is_some(), sign_ins, "{kind}");
        }
    }

    #[test]
    fn v1_sign_ins_ask_for_unknown_enum_members_and_windows_use_only_documented_operators() {
        let sign_ins = spec(StreamKind::SignIns).unwrap();
        assert_eq!(sign_ins.version, ApiVersion::V1);
        assert_eq!(sign_ins.prefer, Some("include-unknown-enum-members"));
        for kind in [StreamKind::SignIns, StreamKind::DirectoryAudits] {
            let Mode::Windowed(window) = &spec(kind).unwrap().mode else {
                panic!("windowed")
            };
            let filter = window.filter("2025-06-01T00:00:00Z", "2025-06-02T00:00:00Z");
            let field = window.field;
            assert_eq!(
                filter,
                format!("{field} ge 2025-06-01T00:00:00Z and {field} le 2025-06-02T00:00:00Z")
            );
            assert!(!filter.contains(" lt "), "lt is not documented: {filter}");
        }
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
             2025-06-01T00:00:00Z and createdDateTime le 2025-06-02T00:00:00Z"
        );
        let request = spec.request(1000);
        assert_eq!(request.relative_url(), "/auditLogs/signIns?$top=1000");
    }
}
