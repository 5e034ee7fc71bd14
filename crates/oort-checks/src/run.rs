//! Running the checks over a store: read the directory snapshot and the sign-ins (in time order,
//! keyset-paged) from a store of `oort-store` ([`ChecksStore`]), run the posture checks and the threat
//! engine, merge with the stored findings, and write the changes back. The only place where this
//! crate touches storage.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    merge, run_posture, CheckConfig, DirectorySnapshot, Finding, ThreatEngine, Unavailable,
    UnavailableReason,
};
use entra_model::timestamp;
use entra_model::{DirectoryRole, Licence, RiskyUser, User, UserRegistrationDetails};
use oort_store::{
    ActivityStore, CheckpointStore, DirectoryStore, FindingStore, RejectedStore, SkipCause,
    StreamKind,
};
use oort_store::{
    Checkpoint, FindingFilter, ItemKind, SignInQuery, StoreError, StoredFinding, WriteContext,
};
use serde::Serialize;
use time::OffsetDateTime;

/// Why the checks could not run over the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Nothing was collected for the tenant yet.
    #[error("the store holds no collection for this tenant: run a collection first")]
    NoCollection,
    /// The check configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored finding's JSON does not read as a finding of this version (written by a newer
    /// oort, or edited): it is not dropped, which would make it look new and notify it again.
    #[error("the stored finding {fingerprint} cannot be read: upgrade oort if a newer one wrote it, or delete its row from the findings table")]
    CorruptFinding {
        /// The finding's fingerprint.
        fingerprint: String,
        /// Why it does not read.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The analysis's own checkpoint does not read: it is not taken as "nothing analysed yet".
    #[error("the analysis checkpoint ({CHECKS_STREAM}/{ANALYSED_THROUGH}) holds {value}, not a time: delete that checkpoint (the next run then replays every sign-in) or run with --full")]
    CorruptCheckpoint {
        /// The stored value.
        value: String,
    },
}

/// The findings of the store as findings of this version; one that does not read is an error.
pub(crate) fn read_stored(stored: Vec<StoredFinding>) -> Result<Vec<Finding>, RunError> {
    stored
        .into_iter()
        .map(|s| {
            serde_json::from_value(s.json).map_err(|e| RunError::CorruptFinding {
                fingerprint: s.fingerprint,
                source: Box::new(e),
            })
        })
        .collect()
}

/// How [`run_checks_with`] reads the sign-ins.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RunOptions {
    /// Replay every stored sign-in instead of only what the last run has not seen (plus the
    /// engine's look-back). For a changed configuration: lower thresholds find older attacks
    /// only on a full run.
    pub full: bool,
}

impl RunOptions {
    /// Replay every stored sign-in.
    pub fn full() -> Self {
        RunOptions { full: true }
    }
}

/// What the checks read and write: the activity logs, the directory, the findings, the
/// checkpoints and run reports, and the items collection set aside. Every
/// [`Store`](oort_store::Store) is one; a test double implements these five concerns.
pub trait ChecksStore:
    ActivityStore + DirectoryStore + FindingStore + CheckpointStore + RejectedStore
{
}

impl<T> ChecksStore for T where
    T: ActivityStore + DirectoryStore + FindingStore + CheckpointStore + RejectedStore + ?Sized
{
}

/// The streams with items set aside, each with its oldest error and ids (`collection-gap`).
async fn rejected<S: ChecksStore + ?Sized>(
    store: &S,
    tenant: &str,
) -> Result<Vec<crate::RejectedStream>, RunError> {
    let mut out = Vec::new();
    for count in store.rejected_counts(tenant).await? {
        let first = store.rejected_items(tenant, Some(count.stream), 10).await?;
        let first_error = first
            .first()
            .map(|r| r.item.error.clone())
            .unwrap_or_default();
        let ids = first.into_iter().map(|r| r.item.item_key).collect();
        out.push(crate::RejectedStream::new(
            count.stream,
            count.count,
            first_error,
            ids,
        ));
    }
    Ok(out)
}

/// The analysis's own checkpoint: the latest sign-in time it has analysed.
const CHECKS_STREAM: &str = "checks";
const ANALYSED_THROUGH: &str = "sign_ins_analysed_through";

/// What a checks run changed.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct ChecksSummary {
    /// Sign-ins analysed.
    pub sign_ins: u64,
    /// The replay started at sign-ins of this time; `None` when every stored sign-in was
    /// replayed (the first run, [`RunOptions::full`], or a store that keeps no change mark).
    #[serde(with = "entra_model::timestamp::option")]
    pub since: Option<OffsetDateTime>,
    /// Findings never stored before.
    pub new: usize,
    /// Findings stored before whose evidence or times changed.
    pub updated: usize,
    /// Resolved findings that fire again.
    pub reopened: usize,
    /// Posture findings whose state is fixed.
    pub resolved: usize,
    /// Every finding of this run (new, updated, reopened and unchanged ones), most severe first.
    pub findings: Vec<Finding>,
}

fn parse_items<T: serde::de::DeserializeOwned>(items: Vec<String>) -> Vec<T> {
    items
        .iter()
        .filter_map(|json| serde_json::from_str(json).ok())
        .collect()
}

/// Why a skipped stream's data is missing, from its entry in a run report: the typed `cause`,
/// or, for runs recorded before causes existed, the prefix of the `reason`.
fn skipped_reason(
    capability: entra_model::Capability,
    stream: &serde_json::Value,
) -> UnavailableReason {
    let why = stream["reason"].as_str().unwrap_or_default();
    match serde_json::from_value::<SkipCause>(stream["cause"].clone()) {
        Ok(SkipCause::LicenceRequired { licence }) => UnavailableReason::MissingLicence { licence },
        Ok(SkipCause::MissingPermission { grant_any_of, .. }) => {
            UnavailableReason::MissingPermission {
                any_of: grant_any_of,
            }
        }
        Ok(_) => UnavailableReason::Other {
            message: why.to_owned(),
        },
        Err(_) if why.starts_with("licence_required") => UnavailableReason::MissingLicence {
            licence: capability.licence().unwrap_or(Licence::P1),
        },
        Err(_) if why.starts_with("missing_permission") => UnavailableReason::MissingPermission {
            any_of: capability
                .requirement()
                .clauses
                .first()
                .map(|c| c.any_of.iter().map(|p| p.as_str().to_owned()).collect())
                .unwrap_or_default(),
        },
        Err(_) => UnavailableReason::Other {
            message: why.to_owned(),
        },
    }
}

/// What the last collection could not read, from its run report.
async fn unavailable<S: ChecksStore + ?Sized>(
    store: &S,
    tenant: &str,
) -> Result<Vec<Unavailable>, RunError> {
    let runs = store.runs(tenant, 1).await?;
    let Some(run) = runs.first() else {
        return Err(RunError::NoCollection);
    };
    let mut out: Vec<Unavailable> = Vec::new();
    let Some(streams) = run.report.as_array() else {
        return Ok(out);
    };
    for s in streams {
        let Ok(kind) = serde_json::from_value::<StreamKind>(s["stream"].clone()) else {
            continue;
        };
        if kind == StreamKind::ManagedDevices {
            continue;
        }
        let capability = kind.capability();
        let reason = match s["status"].as_str() {
            Some("skipped") => skipped_reason(capability, s),
            Some("failed") => UnavailableReason::Other {
                message: s["error"].as_str().unwrap_or("failed").to_owned(),
            },
            _ => continue,
        };
        if !out.iter().any(|u| u.capability == capability) {
            out.push(Unavailable::new(capability, reason));
        }
    }
    Ok(out)
}

/// The directory state as the store last synced it.
#[allow(clippy::field_reassign_with_default)] // each field is an awaited store read
async fn snapshot<S: ChecksStore + ?Sized>(
    store: &S,
    tenant: &str,
) -> Result<DirectorySnapshot, RunError> {
    let mut snap = DirectorySnapshot::default();
    snap.users = store
        .users(tenant)
        .await?
        .into_iter()
        .filter(|u| u.deleted_at.is_none())
        .map(|u| {
            let mut user: User = u.user.value().clone();
            if let Some(a) = u.activity() {
                user.sign_in_activity = Some(a.clone());
            }
            user
        })
        .collect();
    snap.groups = store
        .groups(tenant)
        .await?
        .into_iter()
        .map(|g| g.value().clone())
        .collect();
    let mut group_members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in store.group_members(tenant).await? {
        if m.removed_at.is_none() {
            group_members
                .entry(m.container_id)
                .or_default()
                .push(m.member_id);
        }
    }
    snap.group_members = group_members;
    snap.roles = parse_items::<DirectoryRole>(store.items(tenant, ItemKind::DirectoryRoles).await?);
    let mut role_members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in store.role_members(tenant).await? {
        if m.removed_at.is_none() {
            role_members
                .entry(m.container_id)
                .or_default()
                .push(m.member_id);
        }
    }
    snap.role_members = role_members;
    snap.applications = store
        .applications(tenant)
        .await?
        .into_iter()
        .map(|a| a.value().clone())
        .collect();
    snap.service_principals = store
        .service_principals(tenant)
        .await?
        .into_iter()
        .map(|s| s.value().clone())
        .collect();
    let mut methods: BTreeMap<String, Vec<entra_model::AuthenticationMethod>> = BTreeMap::new();
    for (user, m) in store.auth_methods(tenant).await? {
        methods.entry(user).or_default().push(m.value().clone());
    }
    snap.authentication_methods = methods;
    snap.registration_details = parse_items::<UserRegistrationDetails>(
        store.items(tenant, ItemKind::RegistrationDetails).await?,
    );
    snap.risky_users = parse_items::<RiskyUser>(store.items(tenant, ItemKind::RiskyUsers).await?);
    snap.unavailable = unavailable(store, tenant).await?;
    snap.rejected = rejected(store, tenant).await?;
    Ok(snap)
}

fn to_stored(f: &Finding) -> StoredFinding {
    let json = serde_json::to_value(f).unwrap_or_default();
    StoredFinding::new(
        f.fingerprint.as_str(),
        f.check_id.as_str(),
        f.kind,
        f.severity,
        f.status,
        f.subject.to_string(),
        f.summary.clone(),
        f.first_seen,
        f.last_seen,
        json,
    )
}

/// Where the analysis of a tenant's sign-ins stands ([`analysis_state`]).
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct AnalysisState {
    /// The newest sign-in time analysed; `None` before the first run.
    #[serde(with = "entra_model::timestamp::option")]
    pub analysed_through: Option<OffsetDateTime>,
    /// The earliest `created_at` among sign-ins written since the last run; `None` when none
    /// was (or the store keeps no change mark).
    #[serde(with = "entra_model::timestamp::option")]
    pub pending_since: Option<OffsetDateTime>,
}

/// Reads where the analysis stands, for status displays.
pub async fn analysis_state<S: ChecksStore + ?Sized>(
    store: &S,
    tenant: &str,
) -> Result<AnalysisState, RunError> {
    Ok(AnalysisState {
        analysed_through: analysed_through(store, tenant).await?,
        pending_since: store.sign_in_changes(tenant).await?.map(|p| p.earliest),
    })
}

/// The analysis's checkpoint: the newest sign-in time it has analysed.
async fn analysed_through<S: ChecksStore + ?Sized>(
    store: &S,
    tenant: &str,
) -> Result<Option<OffsetDateTime>, RunError> {
    let Some(checkpoint) = store
        .checkpoints(tenant, CHECKS_STREAM)
        .await?
        .into_iter()
        .find(|c| c.key == ANALYSED_THROUGH)
    else {
        return Ok(None);
    };
    match checkpoint.value.as_str().map(timestamp::parse) {
        Some(Ok(t)) => Ok(Some(t)),
        _ => Err(RunError::CorruptCheckpoint {
            value: checkpoint.value.to_string(),
        }),
    }
}

/// Runs every check over what the store holds for `tenant` at `now`, and stores the changes:
/// new findings, updated ones (an ongoing attack), reopened ones and resolved posture findings.
/// A rerun over the same data changes nothing. What the last collection could not read (a
/// missing licence or permission) becomes a `licence-gap` finding instead of silence.
///
/// Incremental: the first run replays every stored sign-in; later runs replay from the
/// earliest of the sign-ins not analysed yet (the newest analysed one, or the oldest written
/// since, e.g. a stream's 30-day backfill) minus the engine's look-back
/// ([`ThreatEngine::lookback`], 8 days by default): the work per run is bounded by the
/// look-back and what is new, not by everything stored (a store keeping 90 days reads about
/// 8 of them per run). See [`run_checks_with`] for a full replay.
pub async fn run_checks<S: ChecksStore + ?Sized>(
    store: &S,
    tenant: &str,
    config: &CheckConfig,
    now: OffsetDateTime,
) -> Result<ChecksSummary, RunError> {
    run_checks_with(store, tenant, config, now, &RunOptions::default()).await
}

/// [`run_checks`] with options.
pub async fn run_checks_with<S: ChecksStore + ?Sized>(
    store: &S,
    tenant: &str,
    config: &CheckConfig,
    now: OffsetDateTime,
    options: &RunOptions,
) -> Result<ChecksSummary, RunError> {
    let snap = snapshot(store, tenant).await?;
    let posture = run_posture(&snap, config, now)?;
    let mut engine = ThreatEngine::new(config.clone())?;
    // Read before the sign-ins: a batch written during this run moves the mark's version, so
    // the mark is not cleared and the next run reads it.
    let pending = store.sign_in_changes(tenant).await?;
    let analysed_through = if options.full {
        None
    } else {
        analysed_through(store, tenant).await?
    };
    let since = analysed_through.map(|through| {
        let earliest = pending.map_or(through, |c| c.earliest.min(through));
        earliest - engine.lookback()
    });
    // The stored sign-ins from `since` (all of them without it), in time order, a page at a
    // time: the engine keeps only its windows.
    let mut query = SignInQuery::default().limit_to(5_000);
    query.from = since;
    let mut analysed = 0u64;
    loop {
        let page = store.sign_ins(tenant, query.clone()).await?;
        let Some(last) = page.last() else { break };
        for s in &page {
            engine.feed(s.value());
        }
        analysed += page.len() as u64;
        query = query.after(last);
    }
    let mut incoming = posture.findings;
    incoming.extend(engine.take_findings());

    let existing = read_stored(store.findings(tenant, FindingFilter::default()).await?)?;
    let evaluated: BTreeSet<_> = posture.evaluated;
    let changes = merge(&existing, &incoming, &evaluated, now, config.evidence_limit);
    let mut write: Vec<StoredFinding> = Vec::new();
    for f in changes
        .new
        .iter()
        .chain(&changes.updated)
        .chain(&changes.reopened)
        .chain(&changes.resolved)
    {
        write.push(to_stored(f));
    }
    if !write.is_empty() {
        store
            .upsert_findings(WriteContext { tenant, now }, write)
            .await?;
    }
    // The findings are stored: move the analysis's checkpoint, then take the change mark (only
    // if no batch was written meanwhile).
    if let Some(latest) = engine.watermark() {
        let through = analysed_through.map_or(latest, |t| t.max(latest));
        store
            .save_checkpoint(
                tenant,
                Checkpoint::new(
                    CHECKS_STREAM,
                    ANALYSED_THROUGH,
                    serde_json::Value::String(timestamp::format(&through)),
                ),
            )
            .await?;
    }
    if let Some(pending) = pending {
        store.clear_sign_in_changes(tenant, pending.version).await?;
    }
    // This run's findings as stored now: the incoming ones with the merged state.
    let changed: BTreeMap<_, _> = changes
        .new
        .iter()
        .chain(&changes.updated)
        .chain(&changes.reopened)
        .map(|f| (f.fingerprint.clone(), f.clone()))
        .collect();
    let stored: BTreeMap<_, _> = existing
        .into_iter()
        .map(|f| (f.fingerprint.clone(), f))
        .collect();
    let mut seen = BTreeSet::new();
    let mut findings: Vec<Finding> = Vec::new();
    for f in &incoming {
        if !seen.insert(f.fingerprint.clone()) {
            continue;
        }
        let current = changed
            .get(&f.fingerprint)
            .or_else(|| stored.get(&f.fingerprint))
            .unwrap_or(f);
        findings.push(current.clone());
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.last_seen.cmp(&a.last_seen))
    });
    Ok(ChecksSummary {
        sign_ins: analysed,
        since,
        new: changes.new.len(),
        updated: changes.updated.len(),
        reopened: changes.reopened.len(),
        resolved: changes.resolved.len(),
        findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use entra_model::Capability;
    use serde_json::json;

    #[test]
    fn a_typed_skip_cause_names_the_licence_or_the_permissions_it_carries() {
        let licence = json!({"status": "skipped", "reason": "licence_required: needs Microsoft Entra ID P2",
            "cause": {"kind": "licence_required", "licence": "P2"}});
        assert_eq!(
            skipped_reason(Capability::SignIns, &licence),
            UnavailableReason::MissingLicence {
                licence: Licence::P2
            },
            "the cause wins over what the capability would suggest (P1)"
        );
        let permission = json!({"status": "skipped", "reason": "missing_permission: ...",
            "cause": {"kind": "missing_permission", "call": "GET /auditLogs/signIns", "grant_any_of": ["AuditLog.Read.All"]}});
        assert_eq!(
            skipped_reason(Capability::SignIns, &permission),
            UnavailableReason::MissingPermission {
                any_of: vec!["AuditLog.Read.All".to_owned()]
            }
        );
        let disabled = json!({"status": "skipped", "reason": "switched off by configuration",
            "cause": {"kind": "disabled"}});
        assert_eq!(
            skipped_reason(Capability::SignIns, &disabled),
            UnavailableReason::Other {
                message: "switched off by configuration".to_owned()
            }
        );
    }

    #[test]
    fn a_run_recorded_before_skip_causes_is_read_from_the_reason_prefix() {
        let licence =
            json!({"status": "skipped", "reason": "licence_required: needs Microsoft Entra ID P1"});
        assert_eq!(
            skipped_reason(Capability::SignIns, &licence),
            UnavailableReason::MissingLicence {
                licence: Capability::SignIns.licence().unwrap_or(Licence::P1)
            }
        );
        let permission =
            json!({"status": "skipped", "reason": "missing_permission: GET /auditLogs/signIns"});
        match skipped_reason(Capability::SignIns, &permission) {
            UnavailableReason::MissingPermission { any_of } => {
                assert!(
                    any_of.iter().any(|p| p == "AuditLog.Read.All"),
                    "{any_of:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
