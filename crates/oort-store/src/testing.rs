//! Test support (feature `test-support`): a throwaway PostgreSQL server for tests of this crate
//! and of the crates built on its stores.
//!
//! `OORT_TEST_DATABASE_URL` names a server to use (a database is created in it per test).
//! Otherwise the machine's PostgreSQL (`/usr/lib/postgresql/*/bin`) starts a cluster in a temp
//! dir on a free port, as the `postgres` user when running as root (initdb refuses root); a
//! watchdog stops it and removes the directory when the test process exits. Without PostgreSQL
//! the tests are compiled as ignored (see [`fresh_database`]).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

struct Server {
    admin_url: String,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn bin_dir() -> Result<PathBuf, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| "no PostgreSQL installation under /usr/lib/postgresql".to_owned())?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
        .collect();
    dirs.sort();
    dirs.pop()
        .ok_or_else(|| "no initdb/pg_ctl under /usr/lib/postgresql/*/bin".to_owned())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0"))
        .unwrap_or(false)
}

/// Runs a shell command as the `postgres` user when root, else as the current user.
fn shell(script: &str, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    }
}

fn start() -> Result<Server, String> {
    if let Ok(url) = std::env::var("OORT_TEST_DATABASE_URL") {
        return Ok(Server { admin_url: url });
    }
    start_cluster(None)
}

/// Starts a throwaway cluster with TLS on (`ssl=on`) serving `cert_pem` with `key_pem`, and
/// returns its admin URL (`postgres://postgres@127.0.0.1:PORT/postgres`, no `sslmode`). The
/// cluster is the machine's PostgreSQL even when `OORT_TEST_DATABASE_URL` is set (that server's
/// certificate is not the test's); it stops when the test process exits.
///
/// # Errors
/// When there is no PostgreSQL on the machine or the cluster does not start.
pub fn tls_server(cert_pem: &str, key_pem: &str) -> Result<String, String> {
    start_cluster(Some((cert_pem, key_pem))).map(|s| s.admin_url)
}

fn start_cluster(tls: Option<(&str, &str)>) -> Result<Server, String> {
    let bin = bin_dir()?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let base = std::env::temp_dir().join(format!("oort-pg-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&base).map_err(|e| format!("cannot create {}: {e}", base.display()))?;
    // The server's certificate and key (the key private to the server's user, as PostgreSQL
    // requires), owned with the directory below.
    let mut ssl = String::new();
    if let Some((cert, key)) = tls {
        let write = |name: &str, text: &str| {
            std::fs::write(base.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
        };
        write("server.crt", cert)?;
        write("server.key", key)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                base.join("server.key"),
                std::fs::Permissions::from_mode(0o600),
            )
            .map_err(|e| format!("cannot restrict server.key: {e}"))?;
        }
        ssl = format!(
            " -c ssl=on -c ssl_cert_file={base}/server.crt -c ssl_key_file={base}/server.key",
            base = base.display()
        );
    }
    let root = is_root();
    if root {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&base)
            .status();
        if !status.map(|s| s.success()).unwrap_or(false) {
            return Err("cannot chown the cluster directory to the postgres user".into());
        }
    }
    let data = base.join("data");
    let b = |name: &str| bin.join(name).display().to_string();
    let q = |p: &Path| p.display().to_string();
    let init = format!(
        "{} -D {} -A trust -U postgres -E UTF8 --no-sync >{}/initdb.log 2>&1",
        b("initdb"),
        q(&data),
        q(&base)
    );
    let out = shell(&init, root)
        .status()
        .map_err(|e| format!("initdb failed to run: {e}"))?;
    if !out.success() {
        let log = std::fs::read_to_string(base.join("initdb.log")).unwrap_or_default();
        return Err(format!("initdb failed: {log}"));
    }
    // The server and a watchdog that stops it once this test process is gone.
    let pid = std::process::id();
    let script = format!(
        "{pg_ctl} -D {data} -o \"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off{ssl}\" -l {base}/server.log start -w >/dev/null 2>&1; \
         while [ -d /proc/{pid} ]; do sleep 1; done; \
         {pg_ctl} -D {data} stop -m immediate >/dev/null 2>&1; rm -rf {base}",
        pg_ctl = b("pg_ctl"),
        data = q(&data),
        base = q(&base),
    );
    shell(&script, root)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("pg_ctl failed to run: {e}"))?;
    let ready = bin.join("pg_isready");
    for _ in 0..300 {
        let accepting = Command::new(&ready)
            .args([
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
            ])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if accepting {
            return Ok(Server {
                admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(base.join("server.log")).unwrap_or_default();
    Err(format!("PostgreSQL did not start on port {port}: {log}"))
}

/// A fresh, empty database URL.
///
/// Tests that call it are marked `#[cfg_attr(not(oort_postgres), ignore = "...")]`: the build
/// scripts set `oort_postgres` when this machine has PostgreSQL (or `OORT_TEST_DATABASE_URL` is
/// set), so without one they are reported as ignored, never as passed, and with
/// `OORT_REQUIRE_POSTGRES=1` its absence fails the build.
///
/// # Panics
/// When no server can be had although the build found one, or the server refuses to create a
/// database: this is test support, where a panic is a failed test.
pub async fn fresh_database() -> String {
    let server = match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(reason) => panic!("no PostgreSQL server for the tests: {reason}"),
    };
    let (client, conn) = tokio_postgres::connect(&server.admin_url, tokio_postgres::NoTls)
        .await
        .expect("the test server accepts connections");
    let handle = tokio::spawn(conn);
    let name = format!(
        "oort_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a test database can be created");
    drop(client);
    let _ = handle.await;
    let base = server
        .admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or_else(|| server.admin_url.clone());
    format!("{base}/{name}")
}
