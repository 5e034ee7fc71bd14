//! Identity protection: risky users and risk detections.

use entra_model::{RiskDetail, RiskDetection, RiskLevel, RiskState, RiskyUser};
use time::{Duration, OffsetDateTime};

use crate::catalog;
use crate::rng::Rng;

use super::{dt_days, Activity, Tenant, UserKind};

impl Tenant {
    pub(super) fn gen_risk(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        let candidates: Vec<usize> = (0..self.users.len())
            .filter(|&i| {
                self.users[i].kind == UserKind::Member && self.users[i].activity == Activity::Active
            })
            .collect();
        let n = (candidates.len() / 50).max(1).min(candidates.len());
        const LEVELS: &[(RiskLevel, RiskState, RiskDetail, &str)] = &[
            (
                RiskLevel::Medium,
                RiskState::AtRisk,
                RiskDetail::None,
                "unfamiliarFeatures",
            ),
            (
                RiskLevel::Low,
                RiskState::Remediated,
                RiskDetail::UserPerformedSecuredPasswordChange,
                "anonymizedIPAddress",
            ),
            (
                RiskLevel::High,
                RiskState::Dismissed,
                RiskDetail::AdminDismissedAllRiskForUser,
                "leakedCredentials",
            ),
            (
                RiskLevel::Low,
                RiskState::AtRisk,
                RiskDetail::None,
                "unlikelyTravel",
            ),
        ];
        for k in 0..n {
            let u = &self.users[candidates[(k * 11 + 5) % candidates.len()]];
            let (level, state, detail, event) = &LEVELS[k % LEVELS.len()];
            let when = dt_days(now, rng.range(1, 20), rng);
            self.push_risk(
                u.id().to_owned(),
                level.clone(),
                state.clone(),
                detail.clone(),
                event,
                when,
                u.ip.clone(),
                u.city,
                None,
                rng,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push_risk(
        &mut self,
        user_id: String,
        level: RiskLevel,
        state: RiskState,
        detail: RiskDetail,
        event: &str,
        when: OffsetDateTime,
        ip: String,
        city: usize,
        request_id: Option<String>,
        rng: &mut Rng,
    ) {
        let idx = self.user_by_id[&user_id];
        let u = &self.users[idx].user;
        let c = &catalog::HOME_CITIES[city];
        let mut d = RiskDetection::default();
        d.id = format!(
            "{:064x}",
            u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())
        );
        d.request_id = request_id.or_else(|| Some(rng.uuid()));
        d.correlation_id = Some(rng.uuid());
        d.risk_event_type = Some(event.to_owned());
        d.risk_state = Some(state.clone());
        d.risk_level = Some(level.clone());
        d.risk_detail = Some(detail.clone());
        d.source = Some("IdentityProtection".to_owned());
        d.detection_timing_type = Some(entra_model::RiskDetectionTimingType::Realtime);
        d.activity = Some(entra_model::ActivityType::SignIn);
        d.token_issuer_type = Some(entra_model::TokenIssuerType::AzureAd);
        d.ip_address = Some(ip);
        d.location = Some(crate::signins::location(c));
        d.activity_date_time = Some(when);
        d.detected_date_time = Some(when);
        d.last_updated_date_time = Some(when + Duration::minutes(5));
        d.user_id = Some(u.id.clone());
        d.user_display_name = u.display_name.clone();
        d.user_principal_name = u.user_principal_name.clone();
        d.additional_info = Some("[{\"Key\":\"userAgent\",\"Value\":\"Mozilla/5.0\"}]".to_owned());
        self.risk_detections.push(d);
        let mut r = RiskyUser::default();
        r.id = u.id.clone();
        r.is_deleted = Some(false);
        r.is_processing = Some(false);
        r.risk_last_updated_date_time = Some(when + Duration::minutes(5));
        r.risk_level = Some(level);
        r.risk_state = Some(state);
        r.risk_detail = Some(detail);
        r.user_display_name = u.display_name.clone();
        r.user_principal_name = u.user_principal_name.clone();
        self.risky_users.retain(|x| x.id != r.id);
        self.risky_users.push(r);
    }
}
