//! Property tests: open enums and timestamps print and parse back to the same value.

use entra_model::*;
use proptest::prelude::*;

macro_rules! open_enum_round_trip {
    ($($test:ident: $ty:ty),+ $(,)?) => {$(
        proptest! {
            #[test]
            fn $test(s in "[A-Za-z0-9_ .-]{0,24}", pick in any::<prop::sample::Index>()) {
                // Arbitrary strings, and every known value.
                for value in [<$ty>::from_wire(&s), pick.get(<$ty>::KNOWN).clone()] {
                    let json = serde_json::to_string(&value).unwrap();
                    let back: $ty = serde_json::from_str(&json).unwrap();
                    prop_assert_eq!(&back, &value);
                    prop_assert_eq!(<$ty>::from_wire(value.as_str()), value.clone());
                }
                // An unknown value keeps its exact text.
                let parsed = <$ty>::from_wire(&s);
                if !parsed.is_known() {
                    prop_assert_eq!(parsed.as_str(), s.as_str());
                }
            }
        }
    )+};
}

open_enum_round_trip! {
    conditional_access_status_round_trips: ConditionalAccessStatus,
    risk_level_round_trips: RiskLevel,
    risk_state_round_trips: RiskState,
    risk_detail_round_trips: RiskDetail,
    user_type_round_trips: UserType,
    applied_policy_result_round_trips: AppliedConditionalAccessPolicyResult,
    sign_in_event_type_round_trips: SignInEventType,
    token_issuer_type_round_trips: TokenIssuerType,
    removed_reason_round_trips: RemovedReason,
    log_category_round_trips: LogCategory,
    compliance_state_round_trips: ComplianceState,
    phone_type_round_trips: PhoneType,
}

proptest! {
    #[test]
    fn timestamps_in_models_round_trip(
        secs in 0i64..253_402_300_799i64,
        hundred_nanos in 0u32..10_000_000,
        offset_quarters in -56i32..=56,
    ) {
        let offset = time::UtcOffset::from_whole_seconds(offset_quarters * 15 * 60).unwrap();
        let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap()
            .replace_nanosecond(hundred_nanos * 100).unwrap()
            .to_offset(offset);
        prop_assume!((0..=9999).contains(&t.year()));
        let mut s = SignIn::default();
        s.created_date_time = Some(t);
        let json = serde_json::to_string(&s).unwrap();
        let back: SignIn = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back.created_date_time, Some(t));
    }
}
