//! Each example program's logic (its `run`), run against a small fake tenant in this process,
//! asserting on what it prints and on the fake's state. The programs' own files are compiled
//! into this test as modules, so what is tested is exactly what a user reads and copies.

use std::collections::HashMap;

use entra_fake::{FakeTenant, FakeTenantBuilder, SignInKind, Throttling};
use entra_model::{CredentialKind, User};
use oort_collector::StreamKind;
use oort_examples::{ConnectError, Connection};
use oort_remediation::{AuditOutcome, Gate, Operator, OperatorRole, RemediationError};

#[allow(dead_code)] // the program's `main`, not called here
#[path = "../examples/list_users.rs"]
mod list_users;

#[allow(dead_code)]
#[path = "../examples/collect_sign_ins.rs"]
mod collect_sign_ins;

#[allow(dead_code)]
#[path = "../examples/app_secret_expiry.rs"]
mod app_secret_expiry;

#[allow(dead_code)]
#[path = "../examples/revoke_sessions.rs"]
mod revoke_sessions;

/// A small tenant on a manual clock, without throttling: fast and deterministic.
fn small() -> FakeTenantBuilder {
    FakeTenant::builder()
        .seed(4)
        .members(12)
        .guests(3)
        .groups(2)
        .applications(8)
        .history_days(2)
        .sign_ins_per_user_per_day(6.0)
        .throttling(Throttling::disabled())
}

fn text(out: &[u8]) -> String {
    String::from_utf8(out.to_vec()).unwrap()
}

fn users(conn: &Connection) -> Vec<User> {
    conn.fake().unwrap().with_tenant(|t| t.users())
}

#[tokio::test]
async fn list_users_pages_through_every_user_when_top_is_small() {
    let conn = Connection::start_fake(small()).await.unwrap();
    let expected = users(&conn);
    assert_eq!(expected.len(), 12 + 3 + 2, "members, guests, break-glass");

    let mut out = Vec::new();
    let listed = list_users::run(&conn, 5, &mut out).await.unwrap();
    let out = text(&out);

    assert_eq!(listed.users, expected.len(), "{out}");
    assert_eq!(listed.pages, expected.len().div_ceil(5), "{out}");
    assert!(listed.pages > 1);
    for user in &expected {
        let upn = user.user_principal_name.as_deref().unwrap();
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{upn} ")))
            .unwrap_or_else(|| panic!("{upn} not listed:\n{out}"));
        let kind = if user.is_guest() { "Guest" } else { "Member" };
        assert!(line.contains(kind), "{line}");
    }
    assert!(
        out.trim_end().ends_with("17 users in 4 pages of up to 5"),
        "{out}"
    );
}

#[tokio::test]
async fn collect_sign_ins_stores_the_last_day_of_sign_ins_and_prints_progress() {
    let conn = Connection::start_fake(small()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sign-ins.db");

    let mut out = Vec::new();
    let collected = collect_sign_ins::run(&conn, &path, &mut out).await.unwrap();
    let out = text(&out);

    assert!(collected.report.is_success(), "{out}");
    assert!(collected.stored > 0, "{out}");
    let inserted: u64 = collected.report.streams.iter().map(|s| s.inserted).sum();
    assert_eq!(collected.stored, inserted, "{out}");
    // One day back from the fake's now: the interactive sign-ins of the last day (less the
    // collector's two-minute settle delay at the end), none of the day before.
    let now = conn.clock.now();
    let interactive = collected
        .report
        .stream(StreamKind::SignIns)
        .unwrap()
        .inserted as usize;
    let day = |from: time::Duration, to: time::Duration| {
        conn.fake()
            .unwrap()
            .with_tenant(|t| t.sign_ins(now - from, now - to, SignInKind::Interactive))
            .len()
    };
    let inner = day(time::Duration::hours(23), time::Duration::minutes(5));
    let outer = day(time::Duration::hours(25), time::Duration::ZERO);
    assert!(
        (inner..=outer).contains(&interactive),
        "{interactive} not within {inner}..={outer}"
    );
    assert!(outer < day(time::Duration::days(2), time::Duration::ZERO));
    // Only the sign-in streams ran.
    assert!(matches!(
        collected.report.stream(StreamKind::Users).unwrap().status,
        oort_collector::StreamStatus::Skipped { .. }
    ));
    assert!(out.contains("sign_ins: started"), "{out}");
    assert!(out.contains("sign_ins: page of"), "{out}");
    assert!(out.contains("sign_ins: succeeded"), "{out}");
    assert!(!out.contains("users:"), "{out}");
    assert!(path.exists());
}

#[tokio::test]
async fn app_secret_expiry_flags_the_fake_apps_secret_expiring_in_20_days_and_the_expired() {
    let conn = Connection::start_fake(small().app_secret_expires_in(time::Duration::days(20)))
        .await
        .unwrap();
    let client_id = conn.fake().unwrap().client_id().to_owned();

    let mut out = Vec::new();
    let rows = app_secret_expiry::run(&conn, 90, &mut out).await.unwrap();
    let out = text(&out);

    // The secret the fake planted on its own app registration.
    let planted = rows
        .iter()
        .find(|r| {
            r.app_id == client_id
                && r.owner_kind == "application"
                && r.credential.kind == CredentialKind::Secret
        })
        .unwrap_or_else(|| panic!("the fake app's secret is not listed:\n{out}"));
    assert_eq!(planted.standing, app_secret_expiry::Standing::Expiring);
    assert_eq!(planted.days_left, Some(20));
    let key_id = planted.credential.key_id.as_deref().unwrap();
    let line = out.lines().find(|l| l.contains(key_id)).unwrap();
    assert!(line.starts_with("EXPIRING"), "{line}");
    assert!(line.contains("oort collector"), "{line}");

    // Every credential is classified by its end date, and the list is sorted by it.
    let now = conn.clock.now();
    for r in &rows {
        let end = r.credential.end.unwrap();
        let expected = if end <= now {
            app_secret_expiry::Standing::Expired
        } else if end - now <= time::Duration::days(90) {
            app_secret_expiry::Standing::Expiring
        } else {
            app_secret_expiry::Standing::Ok
        };
        assert_eq!(r.standing, expected, "{r:?}");
    }
    assert!(rows
        .iter()
        .any(|r| r.standing == app_secret_expiry::Standing::Expired));
    assert!(rows
        .windows(2)
        .all(|w| w[0].credential.end <= w[1].credential.end));
    assert!(out.lines().any(|l| l.starts_with("EXPIRED")), "{out}");

    // A shorter warning window leaves the 20-day secret unflagged.
    let rows = app_secret_expiry::run(&conn, 10, &mut Vec::new())
        .await
        .unwrap();
    let planted = rows
        .iter()
        .find(|r| r.credential.key_id.as_deref() == Some(key_id))
        .unwrap();
    assert_eq!(planted.standing, app_secret_expiry::Standing::Ok);
}

/// A guest of the fake (never a Global Administrator nor a break-glass account).
fn guest(conn: &Connection) -> User {
    users(conn).into_iter().find(|u| u.is_guest()).unwrap()
}

/// Requests the fake received other than GET and the token request.
fn writes(conn: &Connection) -> Vec<String> {
    conn.fake()
        .unwrap()
        .recorded_requests()
        .unwrap()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path_and_query.contains("/oauth2/v2.0/token"))
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect()
}

#[tokio::test]
async fn revoke_sessions_dry_run_sends_no_write_and_yes_moves_sessions_valid_from() {
    let conn = Connection::start_fake(small().record_requests(true))
        .await
        .unwrap();
    let user = guest(&conn);
    let upn = user.user_principal_name.clone().unwrap();
    let before = user.sign_in_sessions_valid_from_date_time;
    let operator = || Operator::new("alice", OperatorRole::Administrator);

    let mut out = Vec::new();
    let report = revoke_sessions::run(&conn, &upn, operator(), false, &mut out)
        .await
        .unwrap();
    let out = text(&out);
    assert_eq!(report.outcome, AuditOutcome::DryRun, "{out}");
    assert!(
        out.contains(&format!(
            "plan: POST /users/{}/revokeSignInSessions",
            user.id
        )),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was changed"), "{out}");
    assert!(out.contains("audit: "), "{out}");
    assert_eq!(
        writes(&conn),
        Vec::<String>::new(),
        "a dry run writes nothing"
    );
    let unchanged = users(&conn).into_iter().find(|u| u.id == user.id).unwrap();
    assert_eq!(unchanged.sign_in_sessions_valid_from_date_time, before);

    let mut out = Vec::new();
    let report = revoke_sessions::run(&conn, &upn, operator(), true, &mut out)
        .await
        .unwrap();
    let out = text(&out);
    assert_eq!(report.outcome, AuditOutcome::Success, "{out}");
    assert!(out.contains("outcome: success"), "{out}");
    assert_eq!(
        writes(&conn),
        [format!("POST /v1.0/users/{}/revokeSignInSessions", user.id)]
    );
    let after = users(&conn).into_iter().find(|u| u.id == user.id).unwrap();
    assert_eq!(
        after.sign_in_sessions_valid_from_date_time,
        Some(conn.clock.now()),
        "sessions issued before now are revoked"
    );
    assert!(after.sign_in_sessions_valid_from_date_time > before);
}

#[tokio::test]
async fn revoke_sessions_by_a_read_only_operator_is_refused_before_any_graph_call() {
    let conn = Connection::start_fake(small().record_requests(true))
        .await
        .unwrap();
    let upn = guest(&conn).user_principal_name.unwrap();
    let mut out = Vec::new();
    let err = revoke_sessions::run(
        &conn,
        &upn,
        Operator::new("bob", OperatorRole::ReadOnly),
        true,
        &mut out,
    )
    .await
    .unwrap_err();
    let err = err.downcast::<RemediationError>().unwrap();
    assert!(err.is_refusal(), "{err}");
    assert_eq!(err.gate(), Some(Gate::OperatorRole), "{err}");
    assert!(writes(&conn).is_empty());
    assert!(out.is_empty());
}

#[tokio::test]
async fn revoke_sessions_refuses_a_break_glass_account() {
    let conn = Connection::start_fake(small().record_requests(true))
        .await
        .unwrap();
    let break_glass = conn.break_glass_accounts[0].clone();
    let err = revoke_sessions::run(
        &conn,
        &break_glass,
        Operator::new("alice", OperatorRole::Administrator),
        true,
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    let err = err.downcast::<RemediationError>().unwrap();
    assert_eq!(err.gate(), Some(Gate::TargetRules), "{err}");
    assert!(writes(&conn).is_empty());
}

// --- The connection from OORT_* variables -------------------------------------------------

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn without_oort_tenant_id_the_programs_use_the_fake() {
    assert!(Connection::from_vars(vars(&[("OORT_CLIENT_ID", "x")]))
        .unwrap()
        .is_none());
}

#[test]
fn a_tenant_without_client_id_or_secret_says_which_variable_to_set() {
    let err =
        Connection::from_vars(vars(&[("OORT_TENANT_ID", "contoso.onmicrosoft.com")])).unwrap_err();
    assert!(matches!(err, ConnectError::Config(_)));
    assert!(err.to_string().contains("OORT_CLIENT_ID"), "{err}");

    let err = Connection::from_vars(vars(&[
        ("OORT_TENANT_ID", "contoso.onmicrosoft.com"),
        ("OORT_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("OORT_CLIENT_SECRET"), "{err}");
}

#[test]
fn an_unknown_cloud_is_an_error_that_never_shows_the_secret() {
    let err = Connection::from_vars(vars(&[
        ("OORT_TENANT_ID", "contoso.onmicrosoft.com"),
        ("OORT_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
        ("OORT_CLIENT_SECRET", "s3cr3t-value"),
        ("OORT_CLOUD", "mars"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("mars"), "{err}");
    assert!(!format!("{err} {err:?}").contains("s3cr3t-value"));
}

#[tokio::test]
async fn oort_variables_pointing_at_a_loopback_tenant_connect_like_a_real_one() {
    // The fake stands in for a real tenant here: the connection is made from the variables
    // only, as a program run with OORT_* set makes it.
    let fake = small().start().await.unwrap();
    let secret_dir = tempfile::tempdir().unwrap();
    let secret_file = secret_dir.path().join("secret");
    std::fs::write(&secret_file, format!("{}\n", fake.client_secret())).unwrap();
    let conn = Connection::from_vars(vars(&[
        ("OORT_TENANT_ID", fake.tenant_id()),
        ("OORT_CLIENT_ID", fake.client_id()),
        ("OORT_CLIENT_SECRET_FILE", secret_file.to_str().unwrap()),
        ("OORT_AUTHORITY_HOST", &fake.authority_host()),
        ("OORT_GRAPH_URL", &fake.graph_url()),
        (
            "OORT_BREAK_GLASS_ACCOUNTS",
            " a@contoso.com, ,b@contoso.com",
        ),
    ]))
    .unwrap()
    .unwrap();
    assert!(conn.fake().is_none());
    assert_eq!(conn.scope, "https://graph.microsoft.com/.default");
    assert_eq!(
        conn.break_glass_accounts,
        ["a@contoso.com", "b@contoso.com"]
    );
    assert!(conn
        .describe()
        .starts_with(&format!("tenant {}", fake.tenant_id())));
    assert!(!format!("{conn:?}").contains(fake.client_secret()));

    let listed = list_users::run(&conn, 999, &mut Vec::new()).await.unwrap();
    assert_eq!(listed.users, 17);
    assert_eq!(listed.pages, 1);
}
