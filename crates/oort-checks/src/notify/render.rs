//! Text shared by every channel: titles, evidence as (label, value) pairs, the plain-text body.

use std::fmt::Write as _;

use time::{OffsetDateTime, UtcOffset};

use super::{Event, FindingEvent, Notification};
use crate::{Evidence, Finding, Severity};

/// Sign-ins cited in a text body.
const SIGN_INS_IN_TEXT: usize = 10;
/// Values of one evidence list shown before "and N more".
const VALUES_SHOWN: usize = 10;

/// `2024-05-01 10:00:00 UTC`.
pub(super) fn time(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `HIGH`.
pub(super) fn severity(s: Severity) -> String {
    s.as_str().to_ascii_uppercase()
}

/// `[HIGH] New password-spray: <summary>`.
pub(super) fn finding_title(e: &FindingEvent) -> String {
    format!(
        "[{}] {} {}: {}",
        severity(e.finding.severity),
        e.event.label(),
        e.finding.check_id.as_str(),
        e.finding.summary
    )
}

pub(super) fn title(n: &Notification) -> String {
    match n {
        Notification::Finding { event, .. } => finding_title(event),
        Notification::Digest {
            events, omitted, ..
        } => {
            let total = n.len();
            let mut t = format!(
                "{total} finding{} to review",
                if total == 1 { "" } else { "s" }
            );
            // Events are counted only when every finding is listed (the omitted ones' events
            // are not carried); the most severe is always listed first.
            let mut parts = Vec::new();
            if *omitted == 0 {
                parts.push(event_counts(events));
            }
            if let Some(w) = events.iter().map(|e| e.finding.severity).max() {
                parts.push(format!("most severe: {}", w.as_str()));
            }
            parts.retain(|p| !p.is_empty());
            if !parts.is_empty() {
                let _ = write!(t, " ({})", parts.join("; "));
            }
            t
        }
    }
}

/// `2 new, 1 reopened` over the listed events.
fn event_counts(events: &[FindingEvent]) -> String {
    let count = |ev: Event| events.iter().filter(|e| e.event == ev).count();
    [
        (Event::Opened, "new"),
        (Event::Reopened, "reopened"),
        (Event::Resolved, "resolved"),
    ]
    .into_iter()
    .filter_map(|(ev, word)| {
        let n = count(ev);
        (n > 0).then(|| format!("{n} {word}"))
    })
    .collect::<Vec<_>>()
    .join(", ")
}

/// A list of values, the first [`VALUES_SHOWN`], then `and N more`.
fn values<'a>(items: impl ExactSizeIterator<Item = &'a String>) -> String {
    let total = items.len();
    let mut shown: Vec<&str> = items.take(VALUES_SHOWN).map(String::as_str).collect();
    let more;
    if total > VALUES_SHOWN {
        more = format!("and {} more", total - VALUES_SHOWN);
        shown.push(&more);
    }
    shown.join(", ")
}

/// The evidence as (label, value) pairs: users, IPs, countries, credential key ids, each fact,
/// and the number of sign-ins cited.
pub(super) fn evidence_facts(e: &Evidence) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (label, set) in [
        ("Users", &e.users),
        ("IPs", &e.ips),
        ("Countries", &e.countries),
        ("Credential key ids", &e.credential_key_ids),
    ] {
        if !set.is_empty() {
            out.push((label.to_owned(), values(set.iter())));
        }
    }
    for (k, v) in &e.facts {
        let v = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out.push((k.replace('_', " "), v));
    }
    if !e.sign_ins.is_empty() {
        out.push(("Sign-ins cited".to_owned(), e.sign_ins.len().to_string()));
    }
    out
}

/// One line per cited sign-in: time, id, user, IP, country, error code, app.
pub(super) fn sign_in_lines(e: &Evidence, limit: usize) -> Vec<String> {
    e.sign_ins
        .iter()
        .take(limit)
        .map(|s| {
            let mut line = format!("{}  {}", time(s.time), s.id);
            for v in [&s.user, &s.ip, &s.country, &s.app].into_iter().flatten() {
                line.push_str("  ");
                line.push_str(v);
            }
            if let Some(code) = s.error_code {
                let _ = write!(line, "  error {code}");
            }
            line
        })
        .collect()
}

/// The (label, value) header of a finding: severity, check, subject, status, first and last
/// seen.
pub(super) fn finding_facts(e: &FindingEvent) -> Vec<(String, String)> {
    let f: &Finding = &e.finding;
    vec![
        ("Severity".to_owned(), f.severity.as_str().to_owned()),
        (
            "Check".to_owned(),
            format!("{} ({})", f.check_id.as_str(), f.kind.as_str()),
        ),
        ("Subject".to_owned(), f.subject.to_string()),
        ("Event".to_owned(), e.event.label().to_owned()),
        ("First seen".to_owned(), time(f.first_seen)),
        ("Last seen".to_owned(), time(f.last_seen)),
    ]
}

fn write_finding(out: &mut String, e: &FindingEvent, indent: &str) {
    let f = &e.finding;
    let _ = writeln!(out, "{indent}Summary: {}", f.summary);
    for (k, v) in finding_facts(e) {
        let _ = writeln!(out, "{indent}{k}: {v}");
    }
    let evidence = evidence_facts(&f.evidence);
    if !evidence.is_empty() {
        let _ = writeln!(out, "{indent}Evidence:");
        for (k, v) in evidence {
            let _ = writeln!(out, "{indent}  {k}: {v}");
        }
        let lines = sign_in_lines(&f.evidence, SIGN_INS_IN_TEXT);
        if !lines.is_empty() {
            let _ = writeln!(out, "{indent}  Sign-ins:");
            for l in lines {
                let _ = writeln!(out, "{indent}    {l}");
            }
        }
    }
    if let Some(r) = &f.recommendation {
        let _ = writeln!(out, "{indent}Recommendation: {r}");
    }
    let _ = writeln!(out, "{indent}Fingerprint: {}", f.fingerprint);
}

pub(super) fn text(n: &Notification) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", title(n));
    let _ = writeln!(out, "Tenant: {}", n.tenant());
    let _ = writeln!(out);
    match n {
        Notification::Finding { event, .. } => write_finding(&mut out, event, ""),
        Notification::Digest {
            events, omitted, ..
        } => {
            for (i, e) in events.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", i + 1, finding_title(e));
                write_finding(&mut out, e, "   ");
                let _ = writeln!(out);
            }
            if *omitted > 0 {
                let _ = writeln!(
                    out,
                    "...and {omitted} more: run `oort findings` to see them all."
                );
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Sent by oort at {}.", time(n.at()));
    out
}
