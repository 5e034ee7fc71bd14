//! Sign-in paging, filters and arrival of new sign-ins, against the running fake.

mod common;

use std::collections::HashSet;

use common::*;
use entra_fake::{FakeTenant, SignInKind, Throttling};
use serde_json::Value;
use time::Duration;

async fn tenant(seed: u64) -> FakeTenant {
    FakeTenant::builder()
        .seed(seed)
        .members(30)
        .guests(5)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap()
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

fn times(items: &[Value]) -> Vec<time::OffsetDateTime> {
    items
        .iter()
        .map(|v| entra_model::timestamp::parse(v["createdDateTime"].as_str().unwrap()).unwrap())
        .collect()
}

fn expected(t: &FakeTenant, kind: SignInKind) -> Vec<String> {
    t.with_tenant(|x| {
        let (start, end) = (x.history_start(), x.clock().now() + Duration::seconds(1));
        x.sign_ins(start, end, kind)
            .into_iter()
            .map(|s| s.id)
            .collect()
    })
}

#[tokio::test]
async fn paging_a_30_day_window_returns_exactly_the_generated_set_newest_first() {
    let t = tenant(11).await;
    let tok = token(&t).await;
    let items = all_pages(&graph(&t, "v1.0/auditLogs/signIns?$top=700"), &tok).await;
    let got = ids(&items);
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "no duplicates");
    let ts = times(&items);
    assert!(ts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let want = expected(&t, SignInKind::Interactive);
    assert!(
        want.len() > 1000,
        "a month of interactive sign-ins: {}",
        want.len()
    );
    assert_eq!(got, want);
    // The window spans the whole history.
    let oldest = *ts.last().unwrap();
    assert!(oldest - t.with_tenant(|x| x.history_start()) < Duration::days(1));
    assert!(items
        .iter()
        .all(|v| v["isInteractive"] == Value::Bool(true)));
    // v1.0 items carry no beta-only properties.
    assert!(items
        .iter()
        .all(|v| v.get("signInEventTypes").is_none() && v.get("authenticationDetails").is_none()));
}

#[tokio::test]
async fn beta_event_type_filters_select_exactly_each_kind() {
    let t = tenant(12).await;
    let tok = token(&t).await;
    for (filter, kind, wire) in [
        (
            "signInEventTypes/any(t: t eq 'nonInteractiveUser')",
            SignInKind::NonInteractive,
            Some("nonInteractiveUser"),
        ),
        (
            "signInEventTypes/any(t: t eq 'servicePrincipal')",
            SignInKind::ServicePrincipal,
            Some("servicePrincipal"),
        ),
        (
            "signInEventTypes/any(t: t eq 'managedIdentity')",
            SignInKind::ManagedIdentity,
            Some("managedIdentity"),
        ),
        (
            "(signInEventTypes/any(t: t ne 'interactiveUser'))",
            SignInKind::AllButInteractive,
            None,
        ),
    ] {
        let url = graph(
            &t,
            &format!("beta/auditLogs/signIns?$filter={}", urlencode(filter)),
        );
        let items = all_pages(&url, &tok).await;
        assert_eq!(ids(&items), expected(&t, kind), "{filter}");
        assert!(!items.is_empty(), "{filter}");
        for v in &items {
            let types = v["signInEventTypes"].as_array().unwrap();
            match wire {
                Some(w) => assert_eq!(types[0], w),
                None => assert_ne!(types[0], "interactiveUser"),
            }
        }
    }
    // Without an event-type filter, beta returns interactive sign-ins only.
    let items = all_pages(&graph(&t, "beta/auditLogs/signIns"), &tok).await;
    assert_eq!(ids(&items), expected(&t, SignInKind::Interactive));
    // v1.0 refuses the beta-only filter.
    let (s, _, v) = get(
        &graph(
            &t,
            &format!(
                "v1.0/auditLogs/signIns?$filter={}",
                urlencode("signInEventTypes/any(t: t eq 'servicePrincipal')")
            ),
        ),
        &tok,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(v["error"]["code"], "Request_UnsupportedQuery");
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn created_date_time_filters_select_exactly_the_window() {
    let t = tenant(13).await;
    let tok = token(&t).await;
    let all = all_pages(&graph(&t, "v1.0/auditLogs/signIns"), &tok).await;
    let ts = times(&all);
    let now = t.clock().now();
    let (lo, hi) = (now - Duration::days(3), now - Duration::days(2));
    let f = |lo: time::OffsetDateTime, op1: &str, hi: time::OffsetDateTime, op2: &str| {
        format!(
            "createdDateTime {op1} {} and createdDateTime {op2} {}",
            entra_model::timestamp::format(&lo),
            entra_model::timestamp::format(&hi)
        )
    };
    let window = all_pages(
        &graph(
            &t,
            &format!(
                "v1.0/auditLogs/signIns?$filter={}",
                urlencode(&f(lo, "ge", hi, "lt"))
            ),
        ),
        &tok,
    )
    .await;
    let want: Vec<String> = all
        .iter()
        .zip(&ts)
        .filter(|(_, t)| **t >= lo && **t < hi)
        .map(|(v, _)| v["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!want.is_empty());
    assert_eq!(ids(&window), want);
    // Boundaries: gt excludes and ge includes a sign-in at exactly the bound; le includes, lt excludes.
    let pivot = ts[ts.len() / 2];
    let pivot_id = all[ts.len() / 2]["id"].as_str().unwrap().to_owned();
    for (op, included) in [("ge", true), ("gt", false), ("le", true), ("lt", false)] {
        let filter = format!(
            "createdDateTime {op} {}",
            entra_model::timestamp::format(&pivot)
        );
        let items = all_pages(
            &graph(
                &t,
                &format!("v1.0/auditLogs/signIns?$filter={}", urlencode(&filter)),
            ),
            &tok,
        )
        .await;
        assert_eq!(ids(&items).contains(&pivot_id), included, "{op}");
        let expect_count = ts
            .iter()
            .filter(|x| match op {
                "ge" => **x >= pivot,
                "gt" => **x > pivot,
                "le" => **x <= pivot,
                _ => **x < pivot,
            })
            .count();
        assert_eq!(items.len(), expect_count, "{op}");
    }
    // Other filters: one user, failures only.
    let user = all[0]["userId"].as_str().unwrap().to_owned();
    let mine = all_pages(
        &graph(
            &t,
            &format!(
                "v1.0/auditLogs/signIns?$filter={}",
                urlencode(&format!("userId eq '{user}'"))
            ),
        ),
        &tok,
    )
    .await;
    assert_eq!(
        mine.len(),
        all.iter().filter(|v| v["userId"] == user.as_str()).count()
    );
    let failures = all_pages(
        &graph(
            &t,
            &format!(
                "v1.0/auditLogs/signIns?$filter={}",
                urlencode("status/errorCode ne 0")
            ),
        ),
        &tok,
    )
    .await;
    assert_eq!(
        failures.len(),
        all.iter().filter(|v| v["status"]["errorCode"] != 0).count()
    );
    assert!(failures.iter().all(|v| v["status"]["errorCode"] != 0));
}

#[tokio::test]
async fn top_is_capped_at_1000_and_next_links_are_absolute_on_the_fake() {
    let t = tenant(14).await;
    let tok = token(&t).await;
    let v = get_ok(&graph(&t, "v1.0/auditLogs/signIns?$top=5000"), &tok).await;
    assert_eq!(v["value"].as_array().unwrap().len(), 1000);
    let next = v["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/v1.0/auditLogs/signIns?", t.uri())),
        "{next}"
    );
    assert!(next.contains("%24skiptoken="));
    let (s, _, e) = get(
        &graph(&t, "v1.0/auditLogs/signIns?$skiptoken=garbage"),
        &tok,
    )
    .await;
    assert_eq!(s, 400, "{e}");
}

#[tokio::test]
async fn next_links_stay_valid_while_new_sign_ins_arrive() {
    let t = tenant(15).await;
    let tok = token(&t).await;
    let before = all_pages(&graph(&t, "v1.0/auditLogs/signIns?$top=1000"), &tok).await;
    let first = get_ok(&graph(&t, "v1.0/auditLogs/signIns?$top=100"), &tok).await;
    // Time passes: new sign-ins happen, at the top of the log.
    t.clock().advance(Duration::hours(6));
    // The first token has expired by now (its lifetime is 3599 s): take a new one.
    let (s, _, e) = get(first["@odata.nextLink"].as_str().unwrap(), &tok).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (401, Some("InvalidAuthenticationToken"))
    );
    let tok = token(&t).await;
    let mut got = ids(first["value"].as_array().unwrap());
    let rest = all_pages(first["@odata.nextLink"].as_str().unwrap(), &tok).await;
    got.extend(ids(&rest));
    // Same sequence, except what fell out of the 30-day retention meanwhile.
    let before_ids = ids(&before);
    assert_eq!(got, before_ids[..got.len()]);
    let retention = t.clock().now() - Duration::days(30);
    assert!(times(&before)[got.len()..].iter().all(|x| *x < retention));
    assert!(got.len() > before_ids.len() / 2);
    let after = all_pages(&graph(&t, "v1.0/auditLogs/signIns?$top=1000"), &tok).await;
    assert!(
        after.len() > before.len(),
        "new sign-ins are visible to a new query"
    );
    let new: Vec<_> = after[..after.len() - before.len()].to_vec();
    let cut = times(&before)[0];
    assert!(times(&new).iter().all(|x| *x > cut));
}

#[tokio::test]
async fn late_sign_ins_appear_behind_the_watermark() {
    let t = tenant(16).await;
    let tok = token(&t).await;
    let now = t.clock().now();
    let window = format!(
        "createdDateTime ge {}",
        entra_model::timestamp::format(&(now - Duration::hours(3)))
    );
    let url = graph(
        &t,
        &format!("v1.0/auditLogs/signIns?$filter={}", urlencode(&window)),
    );
    let first = ids(&all_pages(&url, &tok).await);
    let late = t.insert_late_sign_ins(4, Duration::hours(2));
    let second = ids(&all_pages(&url, &tok).await);
    assert_eq!(second.len(), first.len() + 4);
    for id in &late {
        assert!(second.contains(id) && !first.contains(id));
    }
}

#[tokio::test]
async fn a_sign_in_is_readable_by_id_and_policies_hide_without_policy_permission() {
    let t = FakeTenant::builder()
        .seed(17)
        .members(10)
        .guests(2)
        .throttling(Throttling::disabled())
        .permissions(["AuditLog.Read.All", "Directory.Read.All"])
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let page = get_ok(&graph(&t, "beta/auditLogs/signIns?$top=1"), &tok).await;
    let item = &page["value"][0];
    assert!(item.get("appliedConditionalAccessPolicies").is_none());
    let id = item["id"].as_str().unwrap();
    let one = get_ok(&graph(&t, &format!("beta/auditLogs/signIns/{id}")), &tok).await;
    assert_eq!(one["id"], id);
    let (s, _, _) = get(
        &graph(
            &t,
            "beta/auditLogs/signIns/00000000-0000-4000-8000-000000000000",
        ),
        &tok,
    )
    .await;
    assert_eq!(s, 404);
}
