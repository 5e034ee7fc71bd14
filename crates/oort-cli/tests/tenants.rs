//! `oort tenants`: the registry, run as a user runs it, each tenant pointed at its own fake
//! tenant on loopback. The single-tenant environment is not set: every tenant signs in with
//! the credential sealed in the registry.

use std::path::{Path, PathBuf};
use std::process::Output;

use entra_fake::{FakeTenant, Throttling};
use serde_json::Value;

mod common;
use common::{json, stderr, stdout};

async fn fake() -> FakeTenant {
    FakeTenant::builder()
        .seed(7)
        .members(5)
        .guests(1)
        .groups(1)
        .applications(1)
        .history_days(1)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap()
}

/// A private file holding `contents`.
fn private_file(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

struct Registry {
    dir: tempfile::TempDir,
    key: PathBuf,
}

impl Registry {
    /// A working directory with a master key and an administrator (the OS account running the
    /// tests).
    async fn new() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let key = private_file(dir.path(), "master.key", &[0x5a; 32]);
        let reg = Registry { dir, key };
        let boot = reg
            .run_with_key(None, &["operators", "bootstrap", "admin"])
            .await;
        assert_eq!(boot.status.code(), Some(0), "{}", stderr(&boot));
        reg
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    async fn run(&self, args: &[&str]) -> Output {
        self.run_with_key(Some(&self.key), args).await
    }

    async fn run_with_key(&self, key: Option<&Path>, args: &[&str]) -> Output {
        let store = format!("sqlite:{}", self.path().join("oort.db").display());
        let key = key.map(|k| k.display().to_string());
        let extra: Vec<(&str, &str)> = key
            .as_deref()
            .map(|k| vec![("OORT_MASTER_KEY_FILE", k)])
            .unwrap_or_default();
        common::oort(self.path(), None, &store, &extra, args).await
    }

    /// Adds `fake` under `id` (its own tenant id unless another is given) with its secret.
    async fn add(&self, fake: &FakeTenant, id: Option<&str>) -> Output {
        let secret = private_file(
            self.path(),
            "secret.txt",
            format!("{}\n", fake.client_secret()).as_bytes(),
        );
        self.run(&[
            "tenants",
            "add",
            "--tenant-id",
            id.unwrap_or(fake.tenant_id()),
            "--client-id",
            fake.client_id(),
            "--secret-file",
            secret.to_str().unwrap(),
            "--name",
            "Contoso test",
            "--authority-host",
            &fake.authority_host(),
            "--graph-url",
            &fake.graph_url(),
            "--break-glass-account",
            "bg@contoso.test",
        ])
        .await
    }

    async fn show(&self, id: &str) -> Value {
        let out = self.run(&["tenants", "show", id, "--json"]).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        json(&out)["tenant"].clone()
    }

    /// Every byte of the store's files, as text.
    fn store_text(&self) -> String {
        let mut text = String::new();
        for suffix in ["", "-wal"] {
            if let Ok(bytes) = std::fs::read(self.path().join(format!("oort.db{suffix}"))) {
                text.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        text
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_add_list_and_show_never_print_the_secret_and_test_connects_with_the_tenants_own_credential(
) {
    let fake = fake().await;
    let reg = Registry::new().await;
    let secret = fake.client_secret().to_owned();
    let added = reg.add(&fake, None).await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));

    let mut outputs = vec![added];
    for args in [
        &["tenants", "list"][..],
        &["tenants", "list", "--json"],
        &["tenants", "show", fake.tenant_id()],
        &["tenants", "show", fake.tenant_id(), "--json"],
    ] {
        let out = reg.run(args).await;
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        outputs.push(out);
    }
    for out in &outputs {
        assert!(!stdout(out).contains(&secret), "{}", stdout(out));
        assert!(!stderr(out).contains(&secret), "{}", stderr(out));
    }
    assert!(
        !reg.store_text().contains(&secret),
        "the store's files hold no secret in clear"
    );
    let list = json(&outputs[2]);
    let listed = &list["tenants"][0];
    assert_eq!(listed["tenant_id"], fake.tenant_id());
    assert_eq!(listed["credential_kind"], "secret");
    assert_eq!(listed["state"], "enabled");
    assert_eq!(listed["cloud"]["name"], "custom");
    assert!(listed.get("sealed_credential").is_none(), "{listed}");
    let shown = reg.show(fake.tenant_id()).await;
    assert_eq!(shown["display_name"], "Contoso test");
    assert_eq!(shown["break_glass_accounts"][0], "bg@contoso.test");
    assert!(stdout(&outputs[3]).contains("secret (sealed)"));

    let test = reg.run(&["tenants", "test", fake.tenant_id()]).await;
    assert_eq!(test.status.code(), Some(0), "{}", stderr(&test));
    assert!(stdout(&test).contains("Connected!"), "{}", stdout(&test));
    assert!(stdout(&test).contains(&fake.authority_host()));

    let again = reg.add(&fake, None).await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("in the registry already"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotate_secret_tests_the_new_secret_first_and_keeps_the_old_one_when_it_fails() {
    let fake = fake().await;
    let reg = Registry::new().await;
    let added = reg.add(&fake, None).await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let id = fake.tenant_id();

    let wrong = private_file(reg.path(), "wrong.txt", b"not-the-secret\n");
    let failed = reg
        .run(&[
            "tenants",
            "rotate-secret",
            id,
            "--secret-file",
            wrong.to_str().unwrap(),
        ])
        .await;
    assert_ne!(failed.status.code(), Some(0), "{}", stdout(&failed));
    assert!(
        stderr(&failed).contains("the stored one was kept"),
        "{}",
        stderr(&failed)
    );
    assert_eq!(reg.show(id).await["credential_rotated_at"], Value::Null);
    let still = reg.run(&["tenants", "test", id]).await;
    assert_eq!(
        still.status.code(),
        Some(0),
        "the old secret still signs in: {}",
        stderr(&still)
    );

    let right = private_file(reg.path(), "right.txt", fake.client_secret().as_bytes());
    let rotated = reg
        .run(&[
            "tenants",
            "rotate-secret",
            id,
            "--secret-file",
            right.to_str().unwrap(),
        ])
        .await;
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    let shown = reg.show(id).await;
    assert!(shown["credential_rotated_at"].is_string(), "{shown}");
    let after = reg.run(&["tenants", "test", id]).await;
    assert_eq!(after.status.code(), Some(0), "{}", stderr(&after));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_resume_and_remove_change_the_registry_and_only_an_administrator_changes_it() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let key = private_file(dir.path(), "master.key", &[1; 32]);
    // No operator: nobody may change the registry.
    let reg = Registry {
        dir,
        key: key.clone(),
    };
    let refused = reg.add(&fake, None).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("oort operators bootstrap"));
    let boot = reg.run(&["operators", "bootstrap", "admin"]).await;
    assert_eq!(boot.status.code(), Some(0), "{}", stderr(&boot));
    let added = reg.add(&fake, None).await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let id = fake.tenant_id();

    let pause = reg.run(&["tenants", "pause", id]).await;
    assert_eq!(pause.status.code(), Some(0), "{}", stderr(&pause));
    assert_eq!(reg.show(id).await["state"], "paused");
    let resume = reg.run(&["tenants", "resume", id, "--json"]).await;
    assert_eq!(resume.status.code(), Some(0), "{}", stderr(&resume));
    assert_eq!(json(&resume)["result"]["result"], "done");
    assert_eq!(reg.show(id).await["state"], "enabled");

    let remove = reg.run(&["tenants", "remove", id]).await;
    assert_eq!(remove.status.code(), Some(0), "{}", stderr(&remove));
    let list = reg.run(&["tenants", "list", "--json"]).await;
    assert_eq!(json(&list)["tenants"], serde_json::json!([]));
    let again = reg.run(&["tenants", "remove", id]).await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("no tenant"));

    // A help-desk operator may not change the registry.
    let demote = reg
        .run(&["operators", "add", "other", "--role", "administrator"])
        .await;
    assert_eq!(demote.status.code(), Some(0), "{}", stderr(&demote));
    let me = reg
        .run(&["operators", "set-role", "admin", "--role", "help-desk"])
        .await;
    assert_eq!(me.status.code(), Some(0), "{}", stderr(&me));
    let not_admin = reg.add(&fake, None).await;
    assert_eq!(not_admin.status.code(), Some(1), "{}", stderr(&not_admin));
    assert!(
        stderr(&not_admin).contains("only an administrator"),
        "{}",
        stderr(&not_admin)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_master_key_exits_2_naming_the_variable_and_rekey_moves_every_credential() {
    let fake = fake().await;
    let reg = Registry::new().await;
    let added = reg.add(&fake, None).await;
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let id = fake.tenant_id();
    let other = private_file(reg.path(), "other.key", hex(&[0x77; 32]).as_bytes());

    let wrong = reg
        .run_with_key(Some(&other), &["tenants", "test", id])
        .await;
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    let why = stderr(&wrong);
    assert!(
        why.contains("the master key is not the one these credentials were sealed with")
            && why.contains("OORT_MASTER_KEY_FILE"),
        "{why}"
    );
    let none = reg.run_with_key(None, &["tenants", "test", id]).await;
    assert_eq!(none.status.code(), Some(2), "{}", stderr(&none));
    assert!(stderr(&none).contains("OORT_MASTER_KEY_FILE"));
    // A re-key from the wrong key changes nothing.
    let bad_rekey = reg
        .run_with_key(
            Some(&other),
            &[
                "tenants",
                "rekey",
                "--new-key-file",
                reg.key.to_str().unwrap(),
            ],
        )
        .await;
    assert_eq!(bad_rekey.status.code(), Some(2), "{}", stderr(&bad_rekey));

    let rekey = reg
        .run(&[
            "tenants",
            "rekey",
            "--new-key-file",
            other.to_str().unwrap(),
            "--json",
        ])
        .await;
    assert_eq!(rekey.status.code(), Some(0), "{}", stderr(&rekey));
    assert_eq!(json(&rekey)["resealed"], 1);
    let with_new = reg
        .run_with_key(Some(&other), &["tenants", "test", id])
        .await;
    assert_eq!(with_new.status.code(), Some(0), "{}", stderr(&with_new));
    let with_old = reg.run(&["tenants", "test", id]).await;
    assert_eq!(with_old.status.code(), Some(2), "{}", stderr(&with_old));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_moved_to_another_tenants_row_is_a_clear_error() {
    let fake = fake().await;
    let reg = Registry::new().await;
    for id in [fake.tenant_id(), "other-tenant"] {
        let added = reg.add(&fake, Some(id)).await;
        assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    }
    let conn = rusqlite::Connection::open(reg.path().join("oort.db")).unwrap();
    conn.execute(
        "UPDATE tenant_registry SET sealed_credential = \
         (SELECT sealed_credential FROM tenant_registry WHERE tenant_id = ?1) \
         WHERE tenant_id = 'other-tenant'",
        [fake.tenant_id()],
    )
    .unwrap();
    drop(conn);
    let moved = reg.run(&["tenants", "test", "other-tenant"]).await;
    assert_eq!(moved.status.code(), Some(2), "{}", stderr(&moved));
    assert!(
        stderr(&moved).contains("belongs to another tenant"),
        "{}",
        stderr(&moved)
    );
    let own = reg.run(&["tenants", "test", fake.tenant_id()]).await;
    assert_eq!(own.status.code(), Some(0), "{}", stderr(&own));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
