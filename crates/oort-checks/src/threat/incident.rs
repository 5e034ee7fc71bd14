//! [`Incidents`]: the findings the detections have opened, keyed by fingerprint, and what a
//! detection reports when it fires ([`Fire`]).

use std::collections::hash_map::Entry;
use std::collections::BTreeSet;
use std::sync::Arc;

use super::event::Ev;
use super::window::{MS_PER_DAY, MS_PER_HOUR};
use super::HashMap;
use crate::check::{CheckId, Severity};
use crate::finding::{Finding, Fingerprint, Subject};

/// How long after its UTC day ends a finding stays in the engine for late sign-ins.
const LATE_GRACE_MS: i64 = MS_PER_HOUR;

#[derive(Debug)]
struct Incident {
    finding: Finding,
    day: i64,
}

/// The findings open for updates (their UTC day, plus a grace for late sign-ins), and which
/// of them changed since they were last taken.
#[derive(Debug)]
pub(crate) struct Incidents {
    open: HashMap<Fingerprint, Incident>,
    dirty: BTreeSet<Fingerprint>,
    /// Most entries in each evidence list of a finding.
    limit: usize,
}

/// What a detection reports when it fires.
pub(crate) struct Fire<'a> {
    pub(crate) check: CheckId,
    pub(crate) severity: Severity,
    pub(crate) subject: Subject,
    pub(crate) summary: String,
    pub(crate) facts: Vec<(&'static str, serde_json::Value)>,
    pub(crate) recommendation: Option<&'static str>,
    pub(crate) trigger: &'a Arc<Ev>,
}

impl Incidents {
    /// No findings; evidence lists of at most `limit` entries each.
    pub(crate) fn new(limit: usize) -> Incidents {
        Incidents {
            open: HashMap::default(),
            dirty: BTreeSet::new(),
            limit,
        }
    }

    /// Opens or extends the finding of `fire`; a new one cites `window` (the events that made
    /// the rule fire), an existing one adds only the triggering event.
    pub(crate) fn fire<'w>(
        &mut self,
        fire: Fire<'_>,
        window: impl IntoIterator<Item = &'w Arc<Ev>>,
    ) {
        let limit = self.limit;
        let ev = fire.trigger;
        let day = ev.t.div_euclid(MS_PER_DAY);
        let facet = ev.time.to_offset(time::UtcOffset::UTC).date().to_string();
        let fingerprint = Fingerprint::new(fire.check, &fire.subject, &facet);
        let incident = match self.open.entry(fingerprint.clone()) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => {
                let mut finding = Finding::new(
                    fire.check,
                    fire.severity,
                    fire.subject,
                    &facet,
                    String::new(),
                    ev.time,
                );
                for w in window {
                    w.cite(&mut finding.evidence, limit);
                    finding.first_seen = finding.first_seen.min(w.time);
                    finding.last_seen = finding.last_seen.max(w.time);
                }
                v.insert(Incident { finding, day })
            }
        };
        let f = &mut incident.finding;
        ev.cite(&mut f.evidence, limit);
        f.first_seen = f.first_seen.min(ev.time);
        f.last_seen = f.last_seen.max(ev.time);
        f.severity = f.severity.max(fire.severity);
        f.summary = fire.summary;
        if let Some(r) = fire.recommendation {
            f.recommendation = Some(r.to_owned());
        }
        for (k, v) in fire.facts {
            f.evidence.set_fact(k, v);
        }
        self.dirty.insert(fingerprint);
    }

    /// Findings opened or changed since the last call, each complete, sorted by fingerprint.
    pub(crate) fn take(&mut self) -> Vec<Finding> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .iter()
            .filter_map(|fp| self.open.get(fp).map(|i| i.finding.clone()))
            .collect()
    }

    /// Drops the findings that are taken and whose day (plus the grace) ended by `watermark`.
    pub(crate) fn evict(&mut self, watermark: i64) {
        let dirty = &self.dirty;
        self.open.retain(|fp, i| {
            dirty.contains(fp) || (i.day + 1) * MS_PER_DAY + LATE_GRACE_MS > watermark
        });
    }

    /// Findings held open for updates.
    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }
}
