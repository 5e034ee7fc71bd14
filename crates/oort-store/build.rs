//! Sets `cfg(oort_postgres)` when the tests can have a PostgreSQL server (the machine's
//! `initdb`, or `OORT_TEST_DATABASE_URL`), so that without one the PostgreSQL tests are reported
//! as ignored, never as passed; `OORT_REQUIRE_POSTGRES=1` (CI) makes its absence a build error.
//! Dependents read the answer as `DEP_OORT_STORE_POSTGRES` (this crate's `links` key).

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(oort_postgres)");
    println!("cargo::rerun-if-env-changed=OORT_TEST_DATABASE_URL");
    println!("cargo::rerun-if-env-changed=OORT_REQUIRE_POSTGRES");
    println!("cargo::rerun-if-changed=/usr/lib/postgresql");
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .map(|versions| {
            versions
                .flatten()
                .any(|v| Path::new(&v.path()).join("bin/initdb").exists())
        })
        .unwrap_or(false);
    let available = installed || std::env::var_os("OORT_TEST_DATABASE_URL").is_some();
    if available {
        println!("cargo::rustc-cfg=oort_postgres");
        println!("cargo::metadata=postgres=1");
    } else if std::env::var("OORT_REQUIRE_POSTGRES").as_deref() == Ok("1") {
        panic!(
            "OORT_REQUIRE_POSTGRES=1 but there is no PostgreSQL: install it (initdb under /usr/lib/postgresql/*/bin) or set OORT_TEST_DATABASE_URL"
        );
    }
}
