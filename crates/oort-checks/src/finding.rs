//! Findings, their fingerprints, and the merge of a run's findings into the stored ones.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::check::{CheckId, FindingKind, Severity};

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Subject {
    /// A user, by object id and UPN (either may be unknown, never both).
    User {
        /// Object id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// User principal name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        upn: Option<String>,
    },
    /// A client IP address.
    Ip {
        /// The address as Graph reports it.
        address: String,
    },
    /// An application or service principal, and one of its credentials.
    Application {
        /// Object id of the application or service principal.
        object_id: String,
        /// Application (client) id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_id: Option<String>,
        /// Display name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        display_name: Option<String>,
        /// Key id of the credential, when the finding is about one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key_id: Option<String>,
    },
    /// The whole tenant.
    Tenant,
    /// A collection stream (its name, e.g. `sign_ins`).
    Stream {
        /// The stream's name.
        stream: String,
    },
}

impl Subject {
    /// A user subject; an empty id or UPN counts as unknown.
    pub fn user(id: Option<&str>, upn: Option<&str>) -> Subject {
        let clean = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_owned);
        Subject::User {
            id: clean(id),
            upn: clean(upn),
        }
    }

    /// The stable key used in fingerprints: `user:<id or lowercase UPN>`, `ip:<address>`,
    /// `app:<object id>[:<key id>]`, `tenant` or `stream:<name>`. Display names never enter it.
    pub fn key(&self) -> String {
        match self {
            Subject::User { id: Some(id), .. } => format!("user:{}", id.to_ascii_lowercase()),
            Subject::User { id: None, upn } => format!(
                "user:{}",
                upn.as_deref().unwrap_or_default().to_ascii_lowercase()
            ),
            Subject::Ip { address } => format!("ip:{address}"),
            Subject::Application {
                object_id, key_id, ..
            } => match key_id {
                Some(k) => format!("app:{object_id}:{}", k.to_ascii_lowercase()),
                None => format!("app:{object_id}"),
            },
            Subject::Tenant => "tenant".to_owned(),
            Subject::Stream { stream } => format!("stream:{stream}"),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User { upn: Some(upn), .. } => f.write_str(upn),
            Subject::User { id, .. } => write!(f, "user {}", id.as_deref().unwrap_or("?")),
            Subject::Ip { address } => write!(f, "IP {address}"),
            Subject::Application {
                object_id,
                display_name,
                ..
            } => write!(f, "app {}", display_name.as_deref().unwrap_or(object_id)),
            Subject::Tenant => f.write_str("tenant"),
            Subject::Stream { stream } => write!(f, "stream {stream}"),
        }
    }
}

/// The state of a finding: the store's vocabulary.
pub use oort_store::FindingStatus;

/// A stable identity of a finding: `check id | subject key | facet`.
///
/// The facet is the UTC day (`2024-05-01`) for threat detections, so an attack that goes on all
/// day updates one finding and a rerun over the same sign-ins yields the same fingerprints; for
/// posture checks it is empty or names a variant (`expired`, `oort-app`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The fingerprint of `check` about `subject` with `facet` (may be empty).
    pub fn new(check: CheckId, subject: &Subject, facet: &str) -> Fingerprint {
        Fingerprint(format!("{}|{}|{}", check.as_str(), subject.key(), facet))
    }

    /// The fingerprint as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One sign-in cited as evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EvidenceSignIn {
    /// Sign-in id.
    pub id: String,
    /// When it happened.
    #[serde(with = "entra_model::timestamp")]
    pub time: OffsetDateTime,
    /// UPN, else user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Client IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `status.errorCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    /// Application name, else id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
}

/// What made a finding fire, for a person to check.
///
/// Sets are sorted and capped at [`crate::CheckConfig::evidence_limit`] entries each, keeping
/// the earliest sign-ins; `facts` holds the figures the rule compared (counts, distances,
/// days left).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Evidence {
    /// Sign-ins, in time order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sign_ins: Vec<EvidenceSignIn>,
    /// Users involved (UPN, else id).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub users: BTreeSet<String>,
    /// IPs involved.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub ips: BTreeSet<String>,
    /// Countries involved.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub countries: BTreeSet<String>,
    /// Credential key ids involved.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub credential_key_ids: BTreeSet<String>,
    /// Figures the rule compared, e.g. `failed_users: 7`, `speed_kmh: 5400`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, serde_json::Value>,
}

impl Evidence {
    /// Adds a sign-in (and its user, IP and country) unless already cited; `limit` caps every list.
    pub fn add_sign_in(&mut self, s: EvidenceSignIn, limit: usize) {
        if let Some(u) = &s.user {
            insert_capped(&mut self.users, u, limit);
        }
        if let Some(ip) = &s.ip {
            insert_capped(&mut self.ips, ip, limit);
        }
        if let Some(c) = &s.country {
            insert_capped(&mut self.countries, c, limit);
        }
        let key = (s.time, s.id.as_str());
        match self
            .sign_ins
            .binary_search_by(|e| (e.time, e.id.as_str()).cmp(&key))
        {
            Ok(_) => {}
            Err(pos) => {
                if self.sign_ins.len() < limit {
                    self.sign_ins.insert(pos, s);
                } else if pos < self.sign_ins.len() {
                    // Keep the earliest `limit`: the new one displaces the latest.
                    self.sign_ins.pop();
                    self.sign_ins.insert(pos, s);
                }
            }
        }
    }

    /// Sets a fact.
    pub fn set_fact(&mut self, name: &str, value: impl Into<serde_json::Value>) {
        self.facts.insert(name.to_owned(), value.into());
    }

    /// The union of `self` and `other` (facts of `other` win), capped at `limit`.
    pub fn union(&mut self, other: &Evidence, limit: usize) {
        for s in &other.sign_ins {
            self.add_sign_in(s.clone(), limit);
        }
        for (mine, theirs) in [
            (&mut self.users, &other.users),
            (&mut self.ips, &other.ips),
            (&mut self.countries, &other.countries),
            (&mut self.credential_key_ids, &other.credential_key_ids),
        ] {
            for v in theirs {
                insert_capped(mine, v, limit);
            }
        }
        for (k, v) in &other.facts {
            self.facts.insert(k.clone(), v.clone());
        }
    }
}

fn insert_capped(set: &mut BTreeSet<String>, value: &str, limit: usize) {
    if set.len() < limit && !set.contains(value) {
        set.insert(value.to_owned());
    }
}

/// A finding: what a check found, about whom, how bad, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Finding {
    /// The catalogue id of the check.
    pub check_id: CheckId,
    /// Posture or threat.
    pub kind: FindingKind,
    /// How urgent it is.
    pub severity: Severity,
    /// What it is about.
    pub subject: Subject,
    /// One line for a person.
    pub summary: String,
    /// What made it fire.
    pub evidence: Evidence,
    /// Earliest event (threat) or first run that saw the state (posture).
    #[serde(with = "entra_model::timestamp")]
    pub first_seen: OffsetDateTime,
    /// Latest event (threat) or latest run that saw the state (posture).
    #[serde(with = "entra_model::timestamp")]
    pub last_seen: OffsetDateTime,
    /// Open, resolved or suppressed.
    pub status: FindingStatus,
    /// When it was resolved, while resolved.
    #[serde(
        default,
        with = "entra_model::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub resolved_at: Option<OffsetDateTime>,
    /// What an operator should do, when the check suggests something.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
    /// The de-duplication key.
    pub fingerprint: Fingerprint,
}

impl Finding {
    /// A new open finding seen at `time`, with empty evidence and the fingerprint of
    /// (`check`, `subject`, `facet`).
    pub fn new(
        check: CheckId,
        severity: Severity,
        subject: Subject,
        facet: &str,
        summary: String,
        time: OffsetDateTime,
    ) -> Finding {
        let fingerprint = Fingerprint::new(check, &subject, facet);
        Finding {
            check_id: check,
            kind: check.kind(),
            severity,
            subject,
            summary,
            evidence: Evidence::default(),
            first_seen: time,
            last_seen: time,
            status: FindingStatus::Open,
            resolved_at: None,
            recommendation: None,
            fingerprint,
        }
    }
}

/// What [`merge`] decided.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Changes {
    /// Findings never seen before (to store and notify).
    pub new: Vec<Finding>,
    /// Findings seen before whose evidence, severity, summary or `last_seen` changed (status
    /// kept); not notified again.
    pub updated: Vec<Finding>,
    /// Resolved findings that fire again, now open (to store and notify).
    pub reopened: Vec<Finding>,
    /// Open posture findings whose state is fixed, now resolved.
    pub resolved: Vec<Finding>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.new.is_empty()
            && self.updated.is_empty()
            && self.reopened.is_empty()
            && self.resolved.is_empty()
    }
}

/// Merges the findings of a run (`incoming`) into the stored ones (`existing`).
///
/// - An incoming fingerprint not stored is **new**.
/// - A stored one seen again is combined: `first_seen` is the earlier, `last_seen` the later,
///   evidence the union (capped at `evidence_limit`), the summary the incoming one; the severity
///   is the incoming one for posture findings (the state may have improved) and the higher one
///   for threats. If that changes anything it is **updated**, keeping its status; if it was
///   resolved and the state holds again (posture) or new activity came after `last_seen`
///   (threat), it is **reopened**. A suppressed finding stays suppressed.
/// - An open posture finding whose check is in `evaluated` (the posture checks that ran with
///   their data available) and that is not incoming is **resolved** at `now`. Threat findings
///   are never resolved by a run: an attack that stopped is still an attack that happened.
///
/// Rerunning over the same data with the same `now` returns [`Changes::is_empty`]; a posture
/// rerun at a later `now` only moves `last_seen` (updated, never new). Outputs are sorted by
/// fingerprint.
pub fn merge(
    existing: &[Finding],
    incoming: &[Finding],
    evaluated: &BTreeSet<CheckId>,
    now: OffsetDateTime,
    evidence_limit: usize,
) -> Changes {
    let stored: BTreeMap<&Fingerprint, &Finding> =
        existing.iter().map(|f| (&f.fingerprint, f)).collect();
    let mut seen: BTreeMap<&Fingerprint, Finding> = BTreeMap::new();
    for f in incoming {
        match seen.get_mut(&f.fingerprint) {
            Some(acc) => combine(acc, f, evidence_limit),
            None => {
                seen.insert(&f.fingerprint, f.clone());
            }
        }
    }
    let mut changes = Changes::default();
    for (fp, f) in &seen {
        let Some(old) = stored.get(fp) else {
            let mut f = f.clone();
            f.status = FindingStatus::Open;
            f.resolved_at = None;
            changes.new.push(f);
            continue;
        };
        let mut merged = (*old).clone();
        combine(&mut merged, f, evidence_limit);
        let reopen = old.status == FindingStatus::Resolved
            && match f.kind {
                FindingKind::Posture => true,
                FindingKind::Threat => f.last_seen > old.last_seen,
            };
        if reopen {
            merged.status = FindingStatus::Open;
            merged.resolved_at = None;
            changes.reopened.push(merged);
        } else if merged != **old {
            changes.updated.push(merged);
        }
    }
    for f in existing {
        if f.kind == FindingKind::Posture
            && f.status == FindingStatus::Open
            && evaluated.contains(&f.check_id)
            && !seen.contains_key(&f.fingerprint)
        {
            let mut r = f.clone();
            r.status = FindingStatus::Resolved;
            r.resolved_at = Some(now);
            changes.resolved.push(r);
        }
    }
    changes
        .resolved
        .sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    changes
}

/// Folds `newer` (same fingerprint) into `acc`.
fn combine(acc: &mut Finding, newer: &Finding, evidence_limit: usize) {
    acc.first_seen = acc.first_seen.min(newer.first_seen);
    acc.last_seen = acc.last_seen.max(newer.last_seen);
    acc.severity = match newer.kind {
        FindingKind::Posture => newer.severity,
        FindingKind::Threat => acc.severity.max(newer.severity),
    };
    acc.summary.clone_from(&newer.summary);
    acc.subject.clone_from(&newer.subject);
    if newer.recommendation.is_some() {
        acc.recommendation.clone_from(&newer.recommendation);
    }
    match newer.kind {
        // Posture evidence describes the current state: replace it.
        FindingKind::Posture => acc.evidence.clone_from(&newer.evidence),
        FindingKind::Threat => acc.evidence.union(&newer.evidence, evidence_limit),
    }
}
