//! `cfg(oort_postgres)` when `oort-store`'s build found a PostgreSQL for the tests.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(oort_postgres)");
    if std::env::var_os("DEP_OORT_STORE_POSTGRES").is_some() {
        println!("cargo::rustc-cfg=oort_postgres");
    }
}
