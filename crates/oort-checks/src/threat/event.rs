//! [`Ev`]: one sign-in as the windows keep it, and how it is cited in a finding's evidence.

use std::collections::BTreeSet;
use std::sync::Arc;

use entra_model::SignIn;
use time::OffsetDateTime;

use crate::config::IgnoreList;
use crate::finding::{Evidence, EvidenceSignIn, Subject};

/// One sign-in as the windows keep it: its strings in one allocation.
#[derive(Debug)]
pub(crate) struct Ev {
    pub(crate) time: OffsetDateTime,
    /// `time` in milliseconds since the Unix epoch: what the windows compare.
    pub(crate) t: i64,
    pub(crate) code: Option<i64>,
    pub(crate) ip: Option<Arc<str>>,
    /// Upper case, shared by the events of a country (see `ThreatEngine::country`): citing a
    /// window in evidence compares countries without touching each event's `text`.
    country: Option<Arc<str>>,
    /// `id`, user id, UPN, app, concatenated.
    text: Box<str>,
    /// End offset of each field in `text`; an empty field is absent.
    ends: [u32; 4],
}

/// `s` when it is present and not empty.
pub(crate) fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// `time` in milliseconds since the Unix epoch.
pub(crate) fn millis(time: OffsetDateTime) -> i64 {
    (time.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Ev {
    pub(crate) fn new(
        time: OffsetDateTime,
        t: i64,
        code: Option<i64>,
        ip: Option<Arc<str>>,
        country: Option<Arc<str>>,
        fields: [Option<&str>; 4],
    ) -> Ev {
        let mut text = String::with_capacity(fields.iter().flatten().map(|f| f.len()).sum());
        let mut ends = [0u32; 4];
        for (i, f) in fields.iter().enumerate() {
            if let Some(f) = f {
                text.push_str(f);
            }
            ends[i] = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        Ev {
            time,
            t,
            code,
            ip,
            country,
            text: text.into_boxed_str(),
            ends,
        }
    }

    /// The event of sign-in `s` created at `time`, with its IP and (upper-case) country given
    /// as the strings the caller shares between events.
    pub(crate) fn of_sign_in(
        s: &SignIn,
        time: OffsetDateTime,
        ip: Option<Arc<str>>,
        country: Option<Arc<str>>,
    ) -> Ev {
        Ev::new(
            time,
            millis(time),
            s.error_code(),
            ip,
            country,
            [
                Some(s.id.as_str()),
                nonempty(&s.user_id),
                nonempty(&s.user_principal_name),
                nonempty(&s.app_display_name).or(nonempty(&s.app_id)),
            ],
        )
    }

    fn field(&self, i: usize) -> Option<&str> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = self.ends[i] as usize;
        self.text.get(start..end).filter(|s| !s.is_empty())
    }

    pub(crate) fn id(&self) -> &str {
        self.field(0).unwrap_or_default()
    }

    pub(crate) fn user_id(&self) -> Option<&str> {
        self.field(1)
    }

    pub(crate) fn upn(&self) -> Option<&str> {
        self.field(2)
    }

    pub(crate) fn country(&self) -> Option<&str> {
        self.country.as_deref()
    }

    pub(crate) fn app(&self) -> Option<&str> {
        self.field(3)
    }

    /// Whether `ignore` excludes this sign-in (by user, IP or country).
    pub(crate) fn is_ignored(&self, ignore: &IgnoreList) -> bool {
        !ignore.is_empty()
            && ignore.ignores(
                self.user_id(),
                self.upn(),
                self.ip.as_deref(),
                self.country(),
            )
    }

    /// Whether this sign-in is a failure with one of `codes`, and whether it is a success, to a
    /// rule that is `enabled` and whose `ignore` list does not exclude it (both false else).
    pub(crate) fn outcome(
        &self,
        enabled: bool,
        codes: &[i64],
        ignore: &IgnoreList,
    ) -> (bool, bool) {
        let failed = self.code.is_some_and(|k| codes.contains(&k));
        let succeeded = self.code == Some(0);
        if enabled && (failed || succeeded) && !self.is_ignored(ignore) {
            (failed, succeeded)
        } else {
            (false, false)
        }
    }

    fn evidence(&self) -> EvidenceSignIn {
        EvidenceSignIn {
            id: self.id().to_owned(),
            time: self.time,
            user: self.upn().or(self.user_id()).map(str::to_owned),
            ip: self.ip.as_deref().map(str::to_owned),
            country: self.country().map(str::to_owned),
            error_code: self.code,
            app: self.app().map(str::to_owned),
        }
    }

    /// Whether citing this event could change `evidence` ([`Evidence::add_sign_in`] with
    /// `limit`): false when its user, IP and country are already listed or their lists are full,
    /// and the sign-in list is full of earlier sign-ins. A finding citing a 7-day window, or an
    /// attack that goes on, then costs no [`EvidenceSignIn`] per event that would be discarded,
    /// and the checks are ordered so that a full list costs no look at the event's `text` (IPs
    /// and countries are shared strings, hot in cache).
    fn may_change(&self, evidence: &Evidence, limit: usize) -> bool {
        let open =
            |set: &BTreeSet<String>, value: Option<&str>| value.is_some_and(|v| !set.contains(v));
        (evidence.ips.len() < limit && open(&evidence.ips, self.ip.as_deref()))
            || (evidence.countries.len() < limit && open(&evidence.countries, self.country()))
            || (evidence.users.len() < limit
                && open(&evidence.users, self.upn().or(self.user_id())))
            || evidence.sign_ins.len() < limit
            || evidence.sign_ins.last().is_some_and(|last| {
                self.time < last.time || (self.time == last.time && self.id() < last.id.as_str())
            })
    }

    /// Cites this event in `evidence` (see [`Ev::may_change`]).
    pub(crate) fn cite(&self, evidence: &mut Evidence, limit: usize) {
        if self.may_change(evidence, limit) {
            evidence.add_sign_in(self.evidence(), limit);
        }
    }

    pub(crate) fn subject(&self) -> Subject {
        Subject::user(self.user_id(), self.upn())
    }

    pub(crate) fn who(&self) -> &str {
        self.upn().or(self.user_id()).unwrap_or("?")
    }

    pub(crate) fn ip_str(&self) -> &str {
        self.ip.as_deref().unwrap_or("unknown IP")
    }

    pub(crate) fn country_str(&self) -> &str {
        self.country().unwrap_or("??")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(secs: i64, id: &str, user: &str, ip: &str, country: &str) -> Ev {
        let time = OffsetDateTime::from_unix_timestamp(1_714_521_600 + secs).unwrap();
        Ev::new(
            time,
            secs * 1000,
            Some(50_126),
            Some(Arc::from(ip)),
            Some(Arc::from(country)),
            [Some(id), Some(user), None, Some("app")],
        )
    }

    #[test]
    fn citing_skips_only_events_that_would_not_change_the_evidence() {
        // Repeated users, IPs and countries, several sign-ins a second with ids out of order,
        // so that every list fills at a different point and ties are broken by id.
        let events: Vec<Ev> = (0..400i64)
            .map(|i| {
                ev(
                    i / 3,
                    &format!("id-{:03}", (i * 7919) % 400),
                    &format!("u{}", i % 13),
                    &format!("203.0.113.{}", i % 29),
                    ["FR", "DE", "JP"][(i % 3) as usize],
                )
            })
            .collect();
        for limit in [0, 1, 2, 5, 13, 50, 1000] {
            let mut every = Evidence::default();
            let mut cited = Evidence::default();
            let mut built = 0;
            // Forwards (a window), then backwards (late sign-ins displacing the latest).
            for e in events.iter().chain(events.iter().rev()) {
                every.add_sign_in(e.evidence(), limit);
                if e.may_change(&cited, limit) {
                    built += 1;
                }
                e.cite(&mut cited, limit);
                assert_eq!(cited, every, "limit {limit}");
            }
            if limit <= 50 {
                assert!(built < events.len(), "limit {limit}: {built} built");
            }
        }
    }

    #[test]
    fn fields_are_read_back_and_empty_ones_are_absent() {
        let e = ev(0, "s1", "u1", "203.0.113.1", "FR");
        assert_eq!(e.id(), "s1");
        assert_eq!(e.user_id(), Some("u1"));
        assert_eq!(e.upn(), None);
        assert_eq!(e.app(), Some("app"));
        assert_eq!(e.who(), "u1");
        assert_eq!(e.country_str(), "FR");
    }
}
