//! The application credential checks: `app-credential-expiring` and `app-credential-long-lived`.

use entra_model::{AppCredential, CredentialKind};

use super::{date, days, Ctx};
use crate::check::{CheckId, Severity};
use crate::finding::Subject;

impl Ctx<'_> {
    pub(super) fn credential(
        &mut self,
        object: &str,
        object_id: &str,
        app_id: Option<&str>,
        name: Option<&str>,
        index: usize,
        cred: &AppCredential,
    ) {
        let key_id = cred
            .key_id
            .clone()
            .unwrap_or_else(|| format!("{}-{index}", cred.kind.as_str()));
        let subject = Subject::Application {
            object_id: object_id.to_owned(),
            app_id: app_id.map(str::to_owned),
            display_name: name.map(str::to_owned),
            key_id: Some(key_id.clone()),
        };
        let kind = match cred.kind {
            CredentialKind::Certificate => "certificate",
            _ => "client secret",
        };
        let label = match &cred.display_name {
            Some(n) if !n.is_empty() => format!("{kind} \"{n}\""),
            _ => format!("{kind} {key_id}"),
        };
        let own = self
            .config
            .oort_client_id
            .as_deref()
            .zip(app_id)
            .is_some_and(|(own, app)| own.eq_ignore_ascii_case(app));
        let seen = SeenCredential {
            object,
            object_id,
            app_id,
            app_name: name.unwrap_or(object_id),
            key_id,
            subject,
            label,
            own,
            cred,
        };
        self.credential_expiring(&seen);
        self.credential_long_lived(seen);
    }

    /// `app-credential-expiring`: ends within the window (or has ended, when configured or when
    /// it is oort's own).
    fn credential_expiring(&mut self, c: &SeenCredential<'_>) {
        let ce = &self.config.app_credential_expiring;
        if !ce.enabled || ce.ignore.ignores_app(c.app_id, c.object_id) {
            return;
        }
        let Some(end) = c.cred.end else { return };
        let now = self.now;
        let left = end - now;
        let expired = c.cred.is_expired(now);
        let report = if expired {
            ce.report_expired || c.own
        } else {
            left <= days(ce.within_days)
        };
        if !report {
            return;
        }
        let severity = if expired || left <= days(ce.high_within_days) {
            Severity::High
        } else {
            Severity::Medium
        };
        let facet = match (c.own, expired) {
            (false, false) => "",
            (false, true) => "expired",
            (true, false) => "oort-app",
            (true, true) => "oort-app-expired",
        };
        let (label, object, app_name) = (&c.label, c.object, c.app_name);
        let whose = if c.own {
            format!("The {label} oort itself uses ({object} {app_name})")
        } else {
            format!("The {label} of {object} {app_name}")
        };
        let summary = if expired {
            format!("{whose} expired on {}", date(end))
        } else {
            format!(
                "{whose} expires in {} days, on {}",
                left.whole_days(),
                date(end)
            )
        };
        let mut f = self.finding(
            CheckId::AppCredentialExpiring,
            severity,
            c.subject.clone(),
            facet,
            summary,
        );
        f.evidence.credential_key_ids.insert(c.key_id.clone());
        f.evidence.set_fact("kind", c.cred.kind.as_str());
        f.evidence
            .set_fact("end", entra_model::timestamp::format(&end));
        f.evidence.set_fact("days_left", left.whole_days());
        f.evidence.set_fact("oort_app", c.own);
        f.recommendation = Some(if c.own {
            "Create a new secret or certificate for oort's app registration and update OORT_CLIENT_SECRET (or the certificate) before the old one ends.".to_owned()
        } else {
            "Rotate the credential and remove the old one once the application uses the new one."
                .to_owned()
        });
        self.push(f);
    }

    /// `app-credential-long-lived`: valid for longer than the maximum of its kind.
    fn credential_long_lived(&mut self, c: SeenCredential<'_>) {
        let ll = &self.config.app_credential_long_lived;
        if !ll.enabled
            || ll.ignore.ignores_app(c.app_id, c.object_id)
            || c.cred.is_expired(self.now)
        {
            return;
        }
        let Some(lifetime) = c.cred.lifetime() else {
            return;
        };
        let max = match c.cred.kind {
            CredentialKind::Certificate => ll.max_certificate_days,
            _ => ll.max_secret_days,
        };
        if lifetime <= days(max) {
            return;
        }
        let mut f = self.finding(
            CheckId::AppCredentialLongLived,
            Severity::Low,
            c.subject,
            "",
            format!(
                "The {} of {} {} is valid for {} days (more than {max})",
                c.label,
                c.object,
                c.app_name,
                lifetime.whole_days()
            ),
        );
        f.evidence.credential_key_ids.insert(c.key_id);
        f.evidence.set_fact("kind", c.cred.kind.as_str());
        f.evidence.set_fact("lifetime_days", lifetime.whole_days());
        f.evidence.set_fact("max_days", max);
        self.push(f);
    }
}

/// One application credential as the credential checks see it.
struct SeenCredential<'a> {
    /// `application` or `service principal`, for the summaries.
    object: &'a str,
    object_id: &'a str,
    app_id: Option<&'a str>,
    /// The display name, else the object id.
    app_name: &'a str,
    key_id: String,
    subject: Subject,
    /// `client secret "name"` or `certificate KEY`.
    label: String,
    /// Whether it is a credential of oort's own app registration.
    own: bool,
    cred: &'a AppCredential,
}
