//! TLS to PostgreSQL: a throwaway cluster with `ssl=on` and a certificate generated here,
//! reached with each `sslmode`.

use oort_store::testing as pg;
use oort_store::{PostgresOptions, PostgresStore};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// A CA (PEM) and a server certificate and key (PEM) it issued for `localhost`.
fn pki() -> (String, String, String) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca_cert.pem(), server.pem(), key.serialize_pem())
}

#[tokio::test]
#[cfg_attr(
    not(oort_postgres),
    ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL"
)]
async fn postgres_tls_follows_sslmode_and_verify_full_checks_the_ca_and_the_host_name() {
    let (ca, cert, key) = pki();
    let (other_ca, _, _) = pki();
    let admin = pg::tls_server(&cert, &key).expect("a TLS cluster starts");
    let port = admin
        .rsplit_once(':')
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let other_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_file, &other_ca).unwrap();
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");
    let ca_path = ca_file.display().to_string();
    let other_path = other_file.display().to_string();

    // require: encrypted, the certificate not checked.
    let store = PostgresStore::connect(&url("127.0.0.1", "sslmode=require"))
        .await
        .expect("require connects");
    assert!(store.connection_encrypted().await.unwrap());

    // disable: plain.
    let store = PostgresStore::connect(&url("127.0.0.1", "sslmode=disable"))
        .await
        .expect("disable connects");
    assert!(!store.connection_encrypted().await.unwrap());

    // prefer (the default): encrypted when the server offers it.
    let store = PostgresStore::connect(&url("127.0.0.1", ""))
        .await
        .expect("prefer connects");
    assert!(store.connection_encrypted().await.unwrap());

    // verify-full with the right CA and the certificate's host name.
    let store = PostgresStore::connect(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={ca_path}"),
    ))
    .await
    .expect("verify-full with the right CA connects");
    assert!(store.connection_encrypted().await.unwrap());

    // The CA given through the options (OORT_CA_FILE) instead of sslrootcert.
    let roots: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(ca.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap();
    let options = PostgresOptions::new().extra_roots(roots);
    PostgresStore::connect_with(&url("localhost", "sslmode=verify-full"), &options)
        .await
        .expect("verify-full with the CA in the options connects");
    let without = PostgresStore::connect(&url("localhost", "sslmode=verify-full")).await;
    assert!(without.is_err(), "the system roots do not know the test CA");

    // verify-full with another host name than the certificate's: refused, saying why.
    let err = PostgresStore::connect(&url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca_path}"),
    ))
    .await
    .expect_err("the certificate is for localhost, not 127.0.0.1")
    .to_string();
    assert!(
        err.contains("verify-full") && err.contains("certificate"),
        "{err}"
    );

    // verify-full with the wrong CA: refused, saying why.
    let err = PostgresStore::connect(&url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other_path}"),
    ))
    .await
    .expect_err("another CA issued the certificate")
    .to_string();
    assert!(
        err.contains("verify-full") && err.contains("certificate"),
        "{err}"
    );

    // verify-ca checks the CA but not the name.
    PostgresStore::connect(&url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={ca_path}"),
    ))
    .await
    .expect("verify-ca does not check the host name");
    assert!(PostgresStore::connect(&url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={other_path}"),
    ))
    .await
    .is_err());
}
