//! The `oort` binary, run as a user runs it, against fake tenants started in the test on
//! loopback. Nothing reaches the internet.

use std::path::Path;
use std::process::{Command, Output};

use entra_auth::{Clock, SystemClock};
use entra_fake::{FakeTenant, FakeTenantBuilder, SignInKind, TenantLicence, Throttling};
use serde_json::Value;

mod common;
use common::{json, stderr, stdout, stream, OORT_VARS};

/// A small fake tenant whose "now" is an hour before the real now, so that the CLI's windows
/// (on the system clock) cover its whole history, and its clock can move on by up to an hour.
fn small() -> FakeTenantBuilder {
    FakeTenant::builder()
        .seed(5)
        .members(15)
        .guests(3)
        .groups(3)
        .applications(2)
        .history_days(3)
        .sign_ins_per_user_per_day(4.0)
        .now(SystemClock.now() - time::Duration::hours(1))
        .throttling(Throttling::disabled())
}

/// A working directory with an `oort.toml` that keeps collection small.
fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("oort.toml"),
        "[collect]\nbackfill = \"3d\"\nslice = \"3d\"\n",
    )
    .unwrap();
    dir
}

/// Runs `oort args...` in `dir` (its store `oort.db` there) against `fake` plus `extra`.
async fn oort(
    dir: &Path,
    fake: Option<&FakeTenant>,
    extra: &[(&str, &str)],
    args: &[&str],
) -> Output {
    let store = format!("sqlite:{}", dir.join("oort.db").display());
    common::oort(dir, fake, &store, extra, args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_exits_0_prints_connected_and_detects_the_planted_attacks() {
    let dir = tempfile::tempdir().unwrap();
    let o = oort(dir.path(), None, &[], &["demo", "--users", "20"]).await;
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    assert!(text.lines().any(|l| l == "Connected!"), "{text}");
    assert!(text.contains("password-spray"), "{text}");
    assert!(text.contains("outcome: dry_run"), "{text}");
}

/// What a newcomer sees: no error row in the connectivity table, counts that agree, a dry run
/// on a compromised account (a threat finding whose fix is to log out), one spelling of roles
/// and actions, and a last hint that does not point at the store it just deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_has_no_error_row_agreeing_counts_and_remediates_a_compromised_account() {
    let dir = tempfile::tempdir().unwrap();
    let o = oort(dir.path(), None, &[], &["demo", "--users", "20"]).await;
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    let text = stdout(&o);
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("capability "))
        .take_while(|l| *l != "Connected!")
        .collect();
    assert!(table.len() > 5, "{text}");
    for row in &table[2..] {
        let status = row.split_whitespace().nth(1).unwrap_or_default();
        assert_ne!(status, "error", "{row}");
    }
    let planted = text
        .lines()
        .find_map(|l| l.split("planted attacks: ").nth(1))
        .unwrap_or_else(|| panic!("{text}"));
    let total: usize = planted.split(' ').next().unwrap().parse().unwrap();
    let detected = text
        .lines()
        .find(|l| l.starts_with("planted attacks detected: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        detected.starts_with(&format!("planted attacks detected: {total} of {total} (")),
        "{detected} vs {planted}"
    );
    let target = text
        .lines()
        .find(|l| l.starts_with("a compromised account: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        [
            "mfa-fatigue",
            "brute-force",
            "impossible-travel",
            "risky-sign-in",
            "denied-territory"
        ]
        .iter()
        .any(|c| target.contains(c)),
        "{target}"
    );
    assert!(text.contains("role help-desk may log-out"), "{text}");
    for wrong in ["HelpDesk", "log_out"] {
        assert!(!text.contains(wrong), "{wrong} in {text}");
    }
    assert!(text.contains("oort demo --store sqlite:demo.db"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connectivity_of_a_full_tenant_prints_connected_and_exits_0() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let o = oort(dir.path(), Some(&fake), &[], &["test-connectivity"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.lines().any(|l| l == "Connected!"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("sign_ins") && l.contains(" ok")),
        "{text}"
    );

    let o = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["test-connectivity", "--json"],
    )
    .await;
    let doc = json(&o);
    assert_eq!(doc["connected"], true);
    assert_eq!(doc["tenant_id"], fake.tenant_id());
    // Where the credential went is named, in the table's preamble and in the JSON.
    let authority = fake.authority_host();
    let authority = authority.trim_end_matches('/');
    assert_eq!(doc["authority_host"], authority);
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("authority host: {authority}"))),
        "{text}"
    );
    assert!(doc["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["capability"] == "users" && c["status"] == "ok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connectivity_with_a_wrong_secret_exits_2_and_says_to_fix_the_secret() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let o = oort(
        dir.path(),
        Some(&fake),
        &[("OORT_CLIENT_SECRET", "not-the-secret")],
        &["test-connectivity"],
    )
    .await;
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("client secret is not valid"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("not-the-secret") && !stdout(&o).contains("not-the-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connectivity_without_the_directory_permission_is_not_connected_and_names_it() {
    let fake = small()
        .permissions(["AuditLog.Read.All"])
        .start()
        .await
        .unwrap();
    let dir = workdir();
    let o = oort(dir.path(), Some(&fake), &[], &["test-connectivity"]).await;
    assert_eq!(o.status.code(), Some(2));
    let text = stdout(&o);
    assert!(!text.contains("Connected!"), "{text}");
    let users = text.lines().find(|l| l.starts_with("users ")).unwrap();
    assert!(
        users.contains("missing permission") && users.contains("User.Read.All"),
        "{users}"
    );
    assert!(stderr(&o).contains("not connected"), "{}", stderr(&o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connectivity_without_audit_log_permission_connects_and_names_the_permission() {
    let fake = small()
        .permissions([
            "User.Read.All",
            "GroupMember.Read.All",
            "Application.Read.All",
        ])
        .start()
        .await
        .unwrap();
    let dir = workdir();
    let o = oort(dir.path(), Some(&fake), &[], &["test-connectivity"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.lines().any(|l| l == "Connected!"), "{text}");
    let sign_ins = text.lines().find(|l| l.starts_with("sign_ins ")).unwrap();
    assert!(
        sign_ins.contains("missing permission") && sign_ins.contains("AuditLog.Read.All"),
        "{sign_ins}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connectivity_of_a_free_tenant_connects_and_reports_the_licence_sign_ins_need() {
    let fake = small().licence(TenantLicence::Free).start().await.unwrap();
    let dir = workdir();
    let o = oort(dir.path(), Some(&fake), &[], &["test-connectivity"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.lines().any(|l| l == "Connected!"), "{text}");
    let sign_ins = text.lines().find(|l| l.starts_with("sign_ins ")).unwrap();
    assert!(
        sign_ins.contains("licence required") && sign_ins.contains("P1"),
        "{sign_ins}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connectivity_of_a_free_tenant_says_the_mfa_checks_are_blind_without_the_p1_registration_report(
) {
    let fake = small().licence(TenantLicence::Free).start().await.unwrap();
    let dir = workdir();
    let o = oort(dir.path(), Some(&fake), &[], &["test-connectivity"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("registration_details "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("P1") && line.contains("no-mfa") && line.contains("admin-without-mfa"),
        "{line}"
    );
    let doc = json(
        &oort(
            dir.path(),
            Some(&fake),
            &[],
            &["test-connectivity", "--json"],
        )
        .await,
    );
    let caps = doc["capabilities"].as_array().unwrap();
    let reg = caps
        .iter()
        .find(|c| c["capability"] == "registration_details")
        .unwrap();
    let blind: Vec<&str> = reg["checks_blind"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert!(
        blind.contains(&"no-mfa") && blind.contains(&"admin-without-mfa"),
        "{reg}"
    );
    let users = caps.iter().find(|c| c["capability"] == "users").unwrap();
    assert_eq!(users["checks_blind"], serde_json::json!([]), "{users}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_then_collect_again_takes_only_what_is_new_then_checks_find_the_attacks() {
    // The tenant's now is just behind the real now: the first run's window covers it all.
    let fake = small()
        .now(SystemClock.now() - time::Duration::minutes(5))
        .start()
        .await
        .unwrap();
    let dir = workdir();
    let first = oort(dir.path(), Some(&fake), &[], &["collect", "--json"]).await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let first = json(&first);
    let backfilled = stream(&first, "sign_ins")["inserted"].as_u64().unwrap();
    let fake_now = fake.clock().now();
    let last_two_days = fake
        .with_tenant(|t| {
            t.sign_ins(
                fake_now - time::Duration::days(2),
                fake_now,
                SignInKind::Interactive,
            )
        })
        .len() as u64;
    assert!(last_two_days > 0);
    assert!(
        backfilled >= last_two_days,
        "the backfill stores the history: {backfilled} < {last_two_days}"
    );
    assert_eq!(stream(&first, "users")["status"], "succeeded");

    // Seven sign-ins of ten minutes ago become visible now (late arrivals): the second run
    // re-reads from the watermark less the overlap, and stores exactly those as new.
    let late = fake.insert_late_sign_ins(7, time::Duration::minutes(10));
    assert_eq!(late.len(), 7);
    let second = oort(dir.path(), Some(&fake), &[], &["collect", "--json"]).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let second = json(&second);
    assert_eq!(stream(&second, "sign_ins")["inserted"], 7, "{second}");
    assert_eq!(stream(&second, "users")["inserted"], 0, "{second}");

    // The break-glass detection needs the accounts named in the configuration.
    let break_glass = fake.break_glass_accounts().join(",");
    let bg = [("OORT_BREAK_GLASS_ACCOUNTS", break_glass.as_str())];
    let checks = oort(dir.path(), Some(&fake), &bg, &["checks", "--json"]).await;
    assert_eq!(checks.status.code(), Some(0), "{}", stderr(&checks));
    let checks = json(&checks);
    let found: Vec<&str> = checks["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check_id"].as_str().unwrap())
        .collect();
    let planted = fake.ground_truth();
    assert!(planted.iter().any(|p| p.detection == "password-spray"));
    for p in &planted {
        assert!(
            found.contains(&p.detection.as_str()),
            "planted {} not found in {found:?}",
            p.detection
        );
    }
    assert!(checks["since"].is_null(), "the first run reads everything");
    // A rerun over the same data adds nothing, and reads from what the first one analysed.
    let rerun = json(&oort(dir.path(), Some(&fake), &bg, &["checks", "--json"]).await);
    assert_eq!(rerun["new"], 0, "{rerun}");
    assert!(rerun["since"].is_string(), "{rerun}");
    let full = json(
        &oort(
            dir.path(),
            Some(&fake),
            &bg,
            &["checks", "--full", "--json"],
        )
        .await,
    );
    assert!(full["since"].is_null(), "{full}");
    assert_eq!(
        full["sign_ins"], checks["sign_ins"],
        "--full reads everything"
    );
    assert_eq!(full["new"], 0, "{full}");

    let listed = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["findings", "--severity", "high", "--json"],
    )
    .await;
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let listed = json(&listed);
    let listed = listed["findings"].as_array().unwrap();
    assert!(!listed.is_empty());
    for f in listed {
        assert!(
            ["high", "critical"].contains(&f["severity"].as_str().unwrap()),
            "{f}"
        );
        for field in [
            "check_id",
            "kind",
            "subject",
            "summary",
            "evidence",
            "first_seen",
            "last_seen",
            "status",
        ] {
            assert!(!f[field].is_null(), "{field} missing in {f}");
        }
    }

    let status = json(&oort(dir.path(), Some(&fake), &[], &["status", "--json"]).await);
    assert_eq!(status["last_run"]["status"], "succeeded", "{status}");
    assert!(status["streams"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["stream"] == "sign_ins" && s["watermark"].is_string()));
    assert!(status["sign_ins"].as_u64().unwrap() > 0, "{status}");
    assert!(
        status["analysis"]["analysed_through"].is_string(),
        "the checks ran: {status}"
    );
    assert!(status["analysis"]["pending_since"].is_null(), "{status}");
    assert!(status["retention_days"].is_null(), "{status}");
}

/// The name of the OS account running the tests (the real uid's, as oort reads it).
fn os_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .name
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remediation_acts_as_the_operator_of_the_os_account_is_refused_by_role_and_audited() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let guest = fake
        .with_tenant(|t| t.users())
        .into_iter()
        .find(|u| u.is_guest())
        .and_then(|u| u.user_principal_name)
        .unwrap();
    let me = os_user();

    // No operator yet: no remediation, and the message says who can add one.
    let nobody = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["remediate", "log-out", "--user", &guest],
    )
    .await;
    assert_eq!(nobody.status.code(), Some(2), "{}", stderr(&nobody));
    let why = stderr(&nobody);
    assert!(
        why.contains(&format!("--os-user {me}")) && why.contains("oort operators bootstrap"),
        "{why}"
    );

    let boot = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["operators", "bootstrap", "alice"],
    )
    .await;
    assert_eq!(boot.status.code(), Some(0), "{}", stderr(&boot));
    let again = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["operators", "bootstrap", "eve"],
    )
    .await;
    assert_eq!(
        again.status.code(),
        Some(1),
        "bootstrap only once: {}",
        stderr(&again)
    );
    let added = oort(
        dir.path(),
        Some(&fake),
        &[],
        &[
            "operators",
            "add",
            "bob",
            "--role",
            "administrator",
            "--os-user",
            "bob",
        ],
    )
    .await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    // alice (this OS account) becomes help-desk.
    let demoted = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["operators", "set-role", "alice", "--role", "help-desk"],
    )
    .await;
    assert_eq!(demoted.status.code(), Some(0), "{}", stderr(&demoted));
    let not_admin = oort(dir.path(), Some(&fake), &[], &["operators", "list"]).await;
    assert_eq!(not_admin.status.code(), Some(1));
    assert!(
        stderr(&not_admin).contains("only an administrator"),
        "{}",
        stderr(&not_admin)
    );

    let dry = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["remediate", "log-out", "--user", &guest, "--json"],
    )
    .await;
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let dry = json(&dry);
    assert_eq!(dry["outcome"], "dry_run");
    assert_eq!(
        (dry["operator"].as_str(), dry["role"].as_str()),
        (Some("alice"), Some("help-desk"))
    );
    assert_eq!(dry["origin"]["os_user"], me.as_str());
    assert!(dry["origin"]["pid"].as_u64().unwrap() > 0);
    assert!(dry["plan"][0]["path"]
        .as_str()
        .unwrap()
        .ends_with("/revokeSignInSessions"));

    let done = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["remediate", "log-out", "--user", &guest, "--yes"],
    )
    .await;
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    assert!(
        stdout(&done).contains("outcome: success"),
        "{}",
        stdout(&done)
    );

    let refused = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["remediate", "delete-guest-user", "--user", &guest, "--yes"],
    )
    .await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("help-desk"),
        "{}",
        stderr(&refused)
    );

    // A role can no longer be claimed: the flags are gone, the variables refused.
    let claimed = oort(
        dir.path(),
        Some(&fake),
        &[],
        &[
            "remediate",
            "delete-guest-user",
            "--user",
            &guest,
            "--role",
            "administrator",
        ],
    )
    .await;
    assert_eq!(claimed.status.code(), Some(2), "{}", stderr(&claimed));
    let by_env = oort(
        dir.path(),
        Some(&fake),
        &[("OORT_ROLE", "administrator")],
        &["remediate", "delete-guest-user", "--user", &guest],
    )
    .await;
    assert_eq!(by_env.status.code(), Some(2), "{}", stderr(&by_env));
    assert!(
        stderr(&by_env).contains("OORT_ROLE is no longer read"),
        "{}",
        stderr(&by_env)
    );

    let audit = json(&oort(dir.path(), Some(&fake), &[], &["audit", "--json"]).await);
    let outcomes: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"success")
            && outcomes.contains(&"refused")
            && outcomes.contains(&"dry_run")
            && outcomes.contains(&"incomplete"),
        "{outcomes:?}"
    );
    assert!(audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["origin"]["os_user"] == me.as_str()));
    let changes = json(
        &oort(
            dir.path(),
            Some(&fake),
            &[],
            &["audit", "--operators", "--json"],
        )
        .await,
    );
    let actions: Vec<&str> = changes["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["operator_set_role", "operator_add", "operator_bootstrap"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_exits_0_on_an_intact_trail_and_1_naming_a_changed_entry() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let user = fake
        .with_tenant(|t| t.users())
        .into_iter()
        .find(|u| u.is_guest())
        .unwrap()
        .id;
    let boot = oort(dir.path(), Some(&fake), &[], &["operators", "bootstrap"]).await;
    assert_eq!(boot.status.code(), Some(0), "{}", stderr(&boot));
    for _ in 0..2 {
        let o = oort(
            dir.path(),
            Some(&fake),
            &[],
            &["remediate", "log-out", "--user", &user],
        )
        .await;
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let intact = oort(dir.path(), Some(&fake), &[], &["audit", "verify", "--json"]).await;
    assert_eq!(intact.status.code(), Some(0), "{}", stderr(&intact));
    let doc = json(&intact);
    assert_eq!(doc["intact"], true);
    assert_eq!(
        doc["chains"].as_array().unwrap().len(),
        2,
        "the tenant's and the operators': {doc}"
    );

    let db = rusqlite::Connection::open(dir.path().join("oort.db")).unwrap();
    db.execute(
        "UPDATE audit_log SET outcome = 'success' WHERE tenant_id = ?1 AND seq = 2",
        [fake.tenant_id()],
    )
    .unwrap();
    drop(db);
    let broken = oort(dir.path(), Some(&fake), &[], &["audit", "verify"]).await;
    assert_eq!(broken.status.code(), Some(1), "{}", stdout(&broken));
    let why = stderr(&broken);
    assert!(
        why.contains(fake.tenant_id()) && why.contains("entry 2") && why.contains("changed"),
        "{why}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_privileged_target_needs_an_administrator_and_override_privileged_with_its_reason() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let break_glass = fake.break_glass_accounts();
    // A Global Administrator who is not a break-glass account.
    let admin = fake
        .with_tenant(|t| {
            let users = t.users();
            let bg = users
                .iter()
                .filter(|u| {
                    u.user_principal_name
                        .as_ref()
                        .is_some_and(|n| break_glass.contains(n))
                })
                .map(|u| u.id.clone())
                .collect::<Vec<_>>();
            let member = users
                .iter()
                .find(|u| u.user_type == Some(entra_model::UserType::Member) && !bg.contains(&u.id))
                .unwrap()
                .id
                .clone();
            t.assign_directory_role(&member, "62e90394-69f5-4237-9190-012177145e10")
                .map(|()| member)
        })
        .unwrap();
    let run = |args: Vec<&'static str>| {
        let dir = dir.path().to_owned();
        let fake = &fake;
        async move { oort(&dir, Some(fake), &[], &args).await }
    };
    let remediate = |extra: &'static [&'static str]| {
        let mut args = vec!["remediate", "log-out", "--user"];
        args.push(Box::leak(admin.clone().into_boxed_str()));
        args.extend_from_slice(extra);
        run(args)
    };
    // This OS account acts as alice, an administrator.
    let boot = run(vec!["operators", "bootstrap", "alice"]).await;
    assert_eq!(boot.status.code(), Some(0), "{}", stderr(&boot));

    let refused = remediate(&["--yes"]).await;
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(
        err.contains("is privileged (Global Administrator (assigned directly))"),
        "{err}"
    );
    assert!(err.contains("--override-privileged"), "{err}");

    let done = remediate(&[
        "--override-privileged",
        "incident 7: stolen session",
        "--yes",
        "--json",
    ])
    .await;
    assert_eq!(done.status.code(), Some(0), "{}", stderr(&done));
    let report = json(&done);
    assert_eq!(report["outcome"], "success");
    assert_eq!(report["privileged_override"], "incident 7: stolen session");
    assert_eq!(
        report["target"]["privilege"]["roles"][0]["role_name"],
        "Global Administrator"
    );

    // alice becomes help-desk (bob stays the administrator): the override is refused to her.
    let bob = run(vec![
        "operators",
        "add",
        "bob",
        "--role",
        "administrator",
        "--os-user",
        "bob",
    ])
    .await;
    assert_eq!(bob.status.code(), Some(0), "{}", stderr(&bob));
    let demoted = run(vec![
        "operators",
        "set-role",
        "alice",
        "--role",
        "help-desk",
    ])
    .await;
    assert_eq!(demoted.status.code(), Some(0), "{}", stderr(&demoted));
    let help_desk = remediate(&["--override-privileged", "incident 7", "--yes"]).await;
    assert_eq!(help_desk.status.code(), Some(1));
    assert!(
        stderr(&help_desk).contains("only an Administrator"),
        "{}",
        stderr(&help_desk)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_on_the_command_line_is_refused_without_being_echoed() {
    let dir = workdir();
    for args in [
        &["collect", "--client-secret", "hunter2"][..],
        &["test-connectivity", "--client-secret=hunter2"][..],
    ] {
        let o = oort(dir.path(), None, &[], args).await;
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            err.contains("never takes a secret on the command line"),
            "{err}"
        );
        assert!(err.contains("OORT_CLIENT_SECRET"), "{err}");
        assert!(!err.contains("hunter2") && !stdout(&o).contains("hunter2"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_configuration_exits_2_with_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let o = oort(dir.path(), None, &[], &["test-connectivity"]).await;
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("OORT_TENANT_ID"), "{}", stderr(&o));
    let o = oort(dir.path(), None, &[], &["test-connectivity", "--json"]).await;
    assert_eq!(json(&o)["error"]["exit_code"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_writes_a_template_that_loads_and_refuses_to_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let o = oort(dir.path(), None, &[], &["init"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(dir.path().join("oort.toml")).unwrap();
    assert!(text.contains("tenant_id"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(dir.path().join("oort.toml")).unwrap();
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o600,
            "oort.toml is private"
        );
    }
    let again = oort(dir.path(), None, &[], &["init"]).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--force"));
    // The template is valid configuration: status reads it (and the empty store).
    let status = oort(dir.path(), None, &[("OORT_TENANT_ID", "t")], &["status"]).await;
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    assert!(stdout(&status).contains("last collection: none"));
    assert!(stdout(&status).contains("analysis: not run yet"));
    assert!(stdout(&status).contains("retention: none"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connectivity_signs_in_with_a_certificate_file() {
    // The fake checks the assertion's lifetime on its own clock: keep it at the real now (a
    // minute ahead, so that the assertion's start is not in its future).
    let fake = small()
        .now(SystemClock.now() + time::Duration::minutes(1))
        .start()
        .await
        .unwrap();
    let dir = workdir();
    let pem = dir.path().join("oort.pem");
    std::fs::write(
        &pem,
        format!(
            "{}\n{}",
            entra_fake::test_certificate::CERTIFICATE_PEM,
            entra_fake::test_certificate::PRIVATE_KEY_PEM
        ),
    )
    .unwrap();
    let pem = pem.display().to_string();
    let o = oort(
        dir.path(),
        Some(&fake),
        // An empty secret counts as unset, so the certificate is used.
        &[
            ("OORT_CLIENT_SECRET", ""),
            ("OORT_CERTIFICATE", pem.as_str()),
        ],
        &["test-connectivity"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).lines().any(|l| l == "Connected!"));
}

/// Runs `oort collect --watch --interval 1h <extra>` against `fake`, reads stderr until a line
/// starts with `until`, sends Ctrl-C (SIGINT), and returns the output, what stderr said before
/// the signal and after it.
async fn watch_until(
    fake: &FakeTenant,
    dir: &std::path::Path,
    env: &[(&str, &str)],
    extra: &[&str],
    until: &'static str,
) -> (std::process::Output, String, String) {
    watch_until_signal(fake, dir, env, extra, until, "-INT").await
}

/// `oort args...` in `dir` with piped stdout and stderr, pointed at `fake` (its secret in
/// `OORT_CLIENT_SECRET`, a SQLite store in `dir`) and nothing else of the developer's
/// environment: for the tests that read a long-running command's output as it comes.
fn piped_oort(fake: &FakeTenant, dir: &std::path::Path, args: &[&str]) -> Command {
    use std::process::Stdio;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oort"));
    cmd.current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for v in OORT_VARS {
        cmd.env_remove(v);
    }
    cmd.env("OORT_TENANT_ID", fake.tenant_id())
        .env("OORT_CLIENT_ID", fake.client_id())
        .env("OORT_CLIENT_SECRET", fake.client_secret())
        .env("OORT_AUTHORITY_HOST", fake.authority_host())
        .env("OORT_GRAPH_URL", fake.graph_url())
        .env(
            "OORT_STORE",
            format!("sqlite:{}", dir.join("oort.db").display()),
        );
    cmd
}

/// [`watch_until`], stopping with `signal` (a `kill` flag such as `-TERM`).
async fn watch_until_signal(
    fake: &FakeTenant,
    dir: &std::path::Path,
    env: &[(&str, &str)],
    extra: &[&str],
    until: &'static str,
    signal: &'static str,
) -> (std::process::Output, String, String) {
    use std::io::{BufRead, BufReader};

    let args = [["collect", "--watch", "--interval", "1h"].as_slice(), extra].concat();
    let mut cmd = piped_oort(fake, dir, &args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        while err.read_line(&mut line).unwrap() > 0 {
            seen.push_str(&line);
            let done = line.starts_with(until);
            line.clear();
            if done {
                break;
            }
        }
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
        let out = child.wait_with_output().unwrap();
        (out, seen, rest)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_watch_runs_until_ctrl_c_then_stops_cleanly_with_a_summary() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    // Stream lines arrive on stderr as each stream finishes (in any order: streams run
    // concurrently), then one line for the run; Ctrl-C goes in the wait for the next run.
    let (out, seen, rest) = watch_until(&fake, dir.path(), &[], &[], "collect: run run-").await;
    assert!(seen.contains("collect: sign_ins done"), "{seen}");
    assert!(
        seen.contains("collect: managed_identity_sign_ins done"),
        "{seen}"
    );
    let run_line = seen.lines().last().unwrap_or_default();
    assert!(
        run_line.contains(" succeeded in ") && run_line.contains(" new, "),
        "{seen}"
    );
    assert!(!seen.contains("checks:"), "no checks unless asked: {seen}");
    assert_eq!(out.status.code(), Some(0), "{rest}");
    assert!(rest.contains("stopping after the page in hand"), "{rest}");
    let text = stdout(&out);
    assert!(
        text.contains("collection run-") && text.contains("succeeded"),
        "{text}"
    );
    assert!(text.contains("1 run (0 with failed streams)"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_watch_stops_as_cleanly_on_sigterm_as_on_ctrl_c() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let (out, _, rest) =
        watch_until_signal(&fake, dir.path(), &[], &[], "collect: run run-", "-TERM").await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "SIGTERM is a clean stop: {rest}"
    );
    assert!(
        rest.contains("SIGTERM: stopping after the page in hand"),
        "{rest}"
    );
    let text = stdout(&out);
    assert!(text.contains("1 run (0 with failed streams)"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_watch_json_prints_one_json_line_per_run_and_logs_json_lines_to_a_private_file() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;

    let fake = small().start().await.unwrap();
    let dir = workdir();
    let log = dir.path().join("logs.ndjson");
    let log_arg = log.display().to_string();
    let args = [
        "collect",
        "--watch",
        "--interval",
        "1h",
        "--checks",
        "--json",
        "--log-format",
        "json",
        "--log-file",
        &log_arg,
    ];
    let mut cmd = piped_oort(&fake, dir.path(), &args);
    cmd.env("RUST_LOG", "debug");
    let (first, rest, status) = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let rest: Vec<String> = lines.map(|l| l.unwrap()).collect();
        (first, rest, child.wait().unwrap())
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(0));
    // The run's document, on one line, as soon as the run is over.
    let run: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert!(run["run_id"].as_str().is_some(), "{first}");
    assert!(run["checks"]["findings"].as_array().is_some(), "{first}");
    // Then, after SIGTERM, the summary: one more line.
    assert_eq!(rest.len(), 1, "{rest:?}");
    let summary: serde_json::Value = serde_json::from_str(&rest[0]).unwrap();
    assert_eq!(summary["runs"], 1, "{summary}");
    // The libraries' events went to the file, as JSON objects, and nowhere else.
    let text = std::fs::read_to_string(&log).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(!events.is_empty(), "RUST_LOG=debug logs something");
    assert!(events
        .iter()
        .all(|e| e["level"].is_string() && e["timestamp"].is_string()));
    let mode = std::fs::metadata(&log).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_rust_log_is_a_configuration_error_naming_it() {
    let dir = workdir();
    let out = oort(
        dir.path(),
        None,
        &[("RUST_LOG", "oort_collector=loud")],
        &["status"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("RUST_LOG=oort_collector=loud"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_checks_runs_the_checks_after_one_collection() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let out = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["collect", "--checks", "--json"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json(&out);
    assert!(doc["run_id"].as_str().is_some(), "the run's report: {doc}");
    let found = doc["checks"]["findings"].as_array().unwrap();
    assert!(!found.is_empty(), "{doc}");
    assert_eq!(doc["checks"]["new"].as_u64().unwrap() as usize, found.len());
    assert!(doc["checks"].get("notifications").is_none(), "{doc}");
    let stored = json(&oort(dir.path(), Some(&fake), &[], &["findings", "--json"]).await);
    assert_eq!(stored["findings"].as_array().unwrap().len(), found.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_watch_notify_runs_the_checks_and_notifies_after_each_run() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let hook = capture();
    let env = [("OORT_NOTIFY_WEBHOOK_URL", hook.url.as_str())];
    let (out, seen, rest) = watch_until(&fake, dir.path(), &env, &["--notify"], "checks: ").await;
    assert_eq!(out.status.code(), Some(0), "{seen}{rest}");
    // The run's collection comes first, then its checks and notifications.
    let mut lines = seen.lines().rev();
    let checks_line = lines.next().unwrap_or_default();
    assert!(
        lines
            .next()
            .unwrap_or_default()
            .starts_with("collect: run run-"),
        "{seen}"
    );
    assert!(
        checks_line.contains(" new, ") && checks_line.contains("; notifications: "),
        "{seen}"
    );
    assert!(checks_line.ends_with(" 0 failed"), "{seen}");
    assert!(
        stdout(&out)
            .contains("1 run (0 with failed streams), 0 with failed checks or notifications"),
        "{}",
        stdout(&out)
    );
    // The planted attacks were found and the webhook told about them.
    let stored = json(&oort(dir.path(), Some(&fake), &[], &["findings", "--json"]).await);
    let findings = stored["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    assert!(
        !hook.bodies.lock().unwrap().is_empty(),
        "the webhook received the new findings"
    );
}

/// A loopback HTTP endpoint that answers 200 to every request and keeps the bodies.
struct Capture {
    url: String,
    bodies: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

fn capture() -> Capture {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/hook/SIGNED-PATH-TOKEN",
        listener.local_addr().unwrap().port()
    );
    let bodies = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = std::sync::Arc::clone(&bodies);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                if let Ok(v) = serde_json::from_slice(&body) {
                    kept.lock().unwrap().push(v);
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        }
    });
    Capture { url, bodies }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_notify_reports_a_failed_channel_then_sends_each_finding_once() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    std::fs::write(
        dir.path().join("oort.toml"),
        "[collect]\nbackfill = \"3d\"\nslice = \"3d\"\n[notify]\nretry_attempts = 2\nretry_base_delay_ms = 10\n",
    )
    .unwrap();
    let collected = oort(dir.path(), Some(&fake), &[], &["collect", "--json"]).await;
    assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));

    // Nothing listens on this port: the webhook fails, the findings are stored all the same.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://127.0.0.1:{}/hook/SIGNED-PATH-TOKEN",
            l.local_addr().unwrap().port()
        )
    };
    let env = [("OORT_NOTIFY_WEBHOOK_URL", closed.as_str())];
    let failed = oort(dir.path(), Some(&fake), &env, &["checks", "--notify"]).await;
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert!(stdout(&failed).contains("FAILED"), "{}", stdout(&failed));
    assert!(
        stderr(&failed).contains("failed after retries"),
        "{}",
        stderr(&failed)
    );
    for text in [stdout(&failed), stderr(&failed)] {
        assert!(
            !text.contains("SIGNED-PATH-TOKEN"),
            "the URL leaked: {text}"
        );
    }
    let stored = json(&oort(dir.path(), Some(&fake), &[], &["findings", "--json"]).await);
    assert!(!stored["findings"].as_array().unwrap().is_empty());

    // The endpoint works now: everything the webhook was not told is sent, once.
    let hook = capture();
    let env = [
        ("OORT_NOTIFY_WEBHOOK_URL", hook.url.as_str()),
        ("OORT_NOTIFY_WEBHOOK_SECRET", "hmac-key"),
    ];
    let first = oort(
        dir.path(),
        Some(&fake),
        &env,
        &["checks", "--notify", "--json"],
    )
    .await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let doc = json(&first);
    let deliveries = doc["notifications"]["deliveries"].as_array().unwrap();
    assert!(!deliveries.is_empty(), "{doc}");
    assert!(deliveries.iter().all(|d| d["outcome"] == "sent"), "{doc}");
    assert!(
        !doc["findings"].as_array().unwrap().is_empty(),
        "the checks' output is kept"
    );
    let bodies = hook.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), deliveries.len(), "one request per message");
    let mut received: Vec<String> = Vec::new();
    for body in &bodies {
        match body["event"].as_str().unwrap() {
            "digest" => received.extend(
                body["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["finding"]["fingerprint"].as_str().unwrap().to_owned()),
            ),
            "finding.opened" => {
                received.push(body["finding"]["fingerprint"].as_str().unwrap().to_owned())
            }
            other => panic!("unexpected event {other}"),
        }
    }
    let announced: Vec<String> = deliveries
        .iter()
        .flat_map(|d| d["fingerprints"].as_array().unwrap())
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    assert!(
        received.iter().all(|f| announced.contains(f)),
        "every finding received is one the summary reports"
    );
    assert!(!received.is_empty());

    let second = oort(
        dir.path(),
        Some(&fake),
        &env,
        &["checks", "--notify", "--json"],
    )
    .await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let doc = json(&second);
    assert_eq!(
        doc["notifications"]["deliveries"].as_array().unwrap().len(),
        0,
        "nothing new: {doc}"
    );
    assert_eq!(
        hook.bodies.lock().unwrap().len(),
        bodies.len(),
        "nothing sent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_notify_without_a_channel_is_a_configuration_error() {
    let dir = workdir();
    let out = oort(
        dir.path(),
        None,
        &[("OORT_TENANT_ID", "t1")],
        &["checks", "--notify"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("OORT_NOTIFY_WEBHOOK_URL"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_url_of_an_unknown_scheme_names_the_schemes_oort_has_without_the_password() {
    let dir = workdir();
    let out = oort(
        dir.path(),
        None,
        &[
            ("OORT_TENANT_ID", "contoso.onmicrosoft.com"),
            ("OORT_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
            ("OORT_STORE", "mysql://oort:hunter2@db/oort"),
        ],
        &["status"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("mysql://") && err.contains("sqlite:PATH") && err.contains("postgres://"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert_eq!(
        err.matches("OORT_STORE").count(),
        1,
        "one hint, once: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_be_opened_says_why_and_gives_its_hint_once() {
    let dir = workdir();
    let out = oort(
        dir.path(),
        None,
        &[
            ("OORT_TENANT_ID", "contoso.onmicrosoft.com"),
            ("OORT_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
            ("OORT_STORE", "sqlite:/nonexistent-dir/oort.db"),
        ],
        &["status"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("/nonexistent-dir/oort.db"), "{err}");
    assert!(
        err.contains("No such file or directory") || err.contains("unable to open"),
        "the reason: {err}"
    );
    assert_eq!(err.matches("check OORT_STORE").count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_fit_the_terminal_width_by_wrapping_the_advice() {
    let fake = small()
        .permissions(["User.Read.All", "GroupMember.Read.All"])
        .start()
        .await
        .unwrap();
    let dir = workdir();
    let o = oort(
        dir.path(),
        Some(&fake),
        &[("COLUMNS", "90")],
        &["test-connectivity"],
    )
    .await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for line in text.lines() {
        assert!(
            line.chars().count() <= 90,
            "{line:?} is wider than 90 in\n{text}"
        );
    }
    // The advice is wrapped, not lost: the permission to grant is still there.
    assert!(text.contains("AuditLog.Read.All"), "{text}");
    let header = text
        .lines()
        .position(|l| l.starts_with("capability "))
        .unwrap_or_else(|| panic!("{text}"));
    let rule = text.lines().nth(header + 1).unwrap();
    assert!(rule.chars().all(|c| c == '-' || c == ' '), "{rule}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_the_certificate_expiry_and_which_credential_is_used_when_two_are_configured()
{
    let dir = workdir();
    let pem = dir.path().join("oort.pem");
    std::fs::write(
        &pem,
        format!(
            "{}\n{}",
            entra_fake::test_certificate::CERTIFICATE_PEM,
            entra_fake::test_certificate::PRIVATE_KEY_PEM
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("oort.toml"),
        "client_secret_file = \"/etc/oort/client-secret\"\n",
    )
    .unwrap();
    let pem = pem.display().to_string();
    let env = [
        ("OORT_TENANT_ID", "contoso.onmicrosoft.com"),
        ("OORT_CLIENT_ID", "00000000-0000-0000-0000-000000000001"),
        ("OORT_CERTIFICATE", pem.as_str()),
    ];
    let o = oort(dir.path(), None, &env, &["status"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains(
            "credential: certificate (OORT_CERTIFICATE); also configured, not used: client_secret_file in oort.toml"
        ),
        "{text}"
    );
    let line = text
        .lines()
        .find(|l| l.starts_with("certificate: "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains("expires ") && line.contains("thumbprint"),
        "{line}"
    );
    let doc = json(&oort(dir.path(), None, &env, &["status", "--json"]).await);
    assert_eq!(doc["credential"]["kind"], "certificate", "{doc}");
    assert_eq!(doc["credential"]["source"], "OORT_CERTIFICATE");
    assert_eq!(
        doc["credential"]["not_used"],
        serde_json::json!(["client_secret_file in oort.toml"])
    );
    assert!(doc["certificate"]["not_after"].as_str().is_some(), "{doc}");
    assert_eq!(doc["certificate"]["expired"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authority_host_only_in_oort_toml_that_is_not_microsofts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("oort.toml"),
        "tenant_id = \"t\"\nclient_id = \"c\"\nauthority_host = \"https://login.attacker.example\"\n",
    )
    .unwrap();
    let o = oort(
        dir.path(),
        None,
        &[("OORT_CLIENT_SECRET", "s")],
        &["test-connectivity"],
    )
    .await;
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("login.attacker.example") && err.contains("OORT_AUTHORITY_HOST"),
        "{err}"
    );
    assert!(!err.contains("Connected"), "{err}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_file_others_can_read_gets_a_warning_with_the_chmod_that_fixes_it() {
    use std::os::unix::fs::PermissionsExt;
    let fake = small().start().await.unwrap();
    let dir = workdir();
    let secret = dir.path().join("client-secret");
    std::fs::write(&secret, fake.client_secret()).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = secret.display().to_string();
    let run = |dir: std::path::PathBuf, path: String| {
        let fake = &fake;
        async move {
            oort(
                &dir,
                Some(fake),
                &[
                    ("OORT_CLIENT_SECRET", ""),
                    ("OORT_CLIENT_SECRET_FILE", &path),
                ],
                &["test-connectivity"],
            )
            .await
        }
    };
    let o = run(dir.path().to_path_buf(), path.clone()).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("chmod 600 {path}")),
        "{}",
        stderr(&o)
    );
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let o = run(dir.path().to_path_buf(), path).await;
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("chmod"), "{}", stderr(&o));
}

/// Two `oort collect --wait` started together on a new SQLite file: both open it (no "failed
/// to set WAL mode"), take turns on the tenant's lease and exit 0, and every sign-in is
/// inserted by one of them. A third `oort collect` while another process holds the lease exits
/// 3 naming the holder and since when.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_started_together_take_turns_and_a_busy_tenant_exits_3_naming_the_holder() {
    let fake = small()
        .now(SystemClock.now() - time::Duration::minutes(5))
        .start()
        .await
        .unwrap();
    let dir = workdir();
    let (a, b) = tokio::join!(
        oort(
            dir.path(),
            Some(&fake),
            &[],
            &["collect", "--wait", "--json"]
        ),
        oort(
            dir.path(),
            Some(&fake),
            &[],
            &["collect", "--wait", "--json"]
        ),
    );
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    let inserted = |o: &Output| stream(&json(o), "sign_ins")["inserted"].as_u64().unwrap();
    let fake_now = fake.clock().now();
    let all = fake
        .with_tenant(|t| {
            t.sign_ins(
                fake_now - time::Duration::days(3),
                fake_now,
                SignInKind::Interactive,
            )
        })
        .len() as u64;
    assert_eq!(
        inserted(&a) + inserted(&b),
        all,
        "each sign-in inserted once"
    );

    // Another process holds the tenant's lease.
    use oort_store::prelude::*;
    let store = oort_store::SqliteStore::open(dir.path().join("oort.db")).unwrap();
    let since = SystemClock.now();
    store
        .claim_lease(
            fake.tenant_id(),
            "oort-collector on other-host pid 4242",
            time::Duration::minutes(10),
            since,
        )
        .await
        .unwrap();
    let busy = oort(dir.path(), Some(&fake), &[], &["collect"]).await;
    assert_eq!(busy.status.code(), Some(3), "{}", stderr(&busy));
    let text = stderr(&busy);
    assert!(
        text.contains("other-host pid 4242") && text.contains("since") && text.contains("--wait"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_sign_in_is_set_aside_shown_by_status_raised_by_checks_and_kept_by_retry() {
    let fake = small().start().await.unwrap();
    let dir = workdir();
    fake.inject_unreadable_sign_ins(1);
    let collect = oort(dir.path(), Some(&fake), &[], &["collect", "--json"]).await;
    assert_eq!(collect.status.code(), Some(0), "{}", stderr(&collect));
    let collect = json(&collect);
    // The fault spoils the next sign-in page the fake serves: the sign-in streams run at once,
    // so it lands in whichever asks first.
    let hit: Vec<String> = collect["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["rejected"].as_u64().unwrap_or(0) > 0)
        .map(|s| s["stream"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hit.len(), 1, "{collect}");
    let hit = hit[0].as_str();
    assert!(hit.ends_with("sign_ins"), "{hit}");
    assert_eq!(stream(&collect, hit)["status"], "succeeded");
    assert_eq!(stream(&collect, hit)["rejected"], 1, "{collect}");

    let status = oort(dir.path(), Some(&fake), &[], &["status"]).await;
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let text = stdout(&status);
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("{hit} ")) && l.contains(" 1 ")),
        "{text}"
    );
    assert!(
        text.contains("re-read them after an upgrade with `oort collect --retry-rejected`"),
        "{text}"
    );
    let status = json(&oort(dir.path(), Some(&fake), &[], &["status", "--json"]).await);
    assert_eq!(status["rejected"][0]["stream"], hit, "{status}");
    assert_eq!(status["rejected"][0]["count"], 1, "{status}");

    let checks = json(&oort(dir.path(), Some(&fake), &[], &["checks", "--json"]).await);
    let gaps: Vec<&Value> = checks["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check_id"] == "collection-gap")
        .collect();
    assert_eq!(gaps.len(), 1, "{checks}");
    assert_eq!(gaps[0]["severity"], "medium");
    assert_eq!(gaps[0]["subject"]["stream"], hit);

    // This version still does not read it: kept.
    let retry = oort(
        dir.path(),
        Some(&fake),
        &[],
        &["collect", "--retry-rejected", "--json"],
    )
    .await;
    assert_eq!(retry.status.code(), Some(0), "{}", stderr(&retry));
    let retry = json(&retry);
    assert_eq!(retry["retried"][0]["stream"], hit, "{retry}");
    assert_eq!(retry["retried"][0]["still_rejected"], 1, "{retry}");
}

/// A secret rotated on disk while `collect --watch` runs is used by its next run: the portal's
/// new secret replaces the old one (which stops working), the file is rewritten, and the next
/// run succeeds without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_watch_uses_a_client_secret_rotated_on_disk_from_its_next_run() {
    use std::io::{BufRead, BufReader};

    let fake = small().start().await.unwrap();
    let dir = workdir();
    let secret_file = dir.path().join("client-secret");
    std::fs::write(&secret_file, fake.client_secret()).unwrap();
    let mut cmd = piped_oort(
        &fake,
        dir.path(),
        &["collect", "--watch", "--interval", "2s"],
    );
    cmd.env_remove("OORT_CLIENT_SECRET")
        .env("OORT_CLIENT_SECRET_FILE", &secret_file);
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut runs = Vec::new();
    let mut line = String::new();
    while runs.len() < 2 && err.read_line(&mut line).unwrap() > 0 {
        if line.starts_with("collect: run run-") {
            runs.push(line.clone());
            if runs.len() == 1 {
                // The administrator rotates the secret: the old one stops working at once.
                fake.with_tenant(|t| t.rotate_client_secret("the-new-secret-value"));
                std::fs::write(&secret_file, "the-new-secret-value\n").unwrap();
            }
        }
        line.clear();
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(runs.len(), 2, "two runs: {runs:?}");
    assert!(runs[0].contains(" succeeded in "), "{}", runs[0]);
    assert!(
        runs[1].contains(" succeeded in "),
        "the second run used the new secret: {}",
        runs[1]
    );
    assert_eq!(out.status.code(), Some(0));
}
