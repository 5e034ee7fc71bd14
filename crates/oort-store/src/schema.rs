//! Schema migrations of both stores. Version n is applied when the stored version is n - 1;
//! the tables and columns are the same in both dialects where the types allow (documented in
//! `docs/store-schema.md`).

/// The version whose migration turns the audit trail into a hash chain: after its SQL, the
/// store chains the entries of the old table in the same transaction, then drops it.
pub(crate) const AUDIT_CHAIN_VERSION: usize = 9;

/// Migrations for SQLite, in order (index + 1 = version).
#[cfg(feature = "sqlite")]
pub(crate) const SQLITE: &[&str] = &[
    r#"
CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    lease_owner TEXT,
    lease_expires_at TEXT
);
CREATE TABLE sign_ins (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    created_at TEXT,
    user_id TEXT,
    user_principal_name TEXT,
    app_id TEXT,
    app_display_name TEXT,
    ip_address TEXT,
    country TEXT,
    city TEXT,
    latitude REAL,
    longitude REAL,
    client_app_used TEXT,
    user_agent TEXT,
    error_code INTEGER,
    is_interactive INTEGER,
    event_type TEXT,
    conditional_access_status TEXT,
    risk_level_aggregated TEXT,
    risk_level_during_sign_in TEXT,
    risk_state TEXT,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sign_ins_by_time ON sign_ins (tenant_id, created_at, id);
CREATE INDEX sign_ins_by_user ON sign_ins (tenant_id, user_id, created_at);
CREATE TABLE directory_audits (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    activity_at TEXT,
    activity_display_name TEXT,
    category TEXT,
    result TEXT,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX directory_audits_by_time ON directory_audits (tenant_id, activity_at);
CREATE TABLE users (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    user_principal_name TEXT,
    display_name TEXT,
    user_type TEXT,
    account_enabled INTEGER,
    created_at TEXT,
    last_sign_in_at TEXT,
    last_successful_sign_in_at TEXT,
    on_premises_sync_enabled INTEGER,
    deleted_at TEXT,
    seen_at TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE groups (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT,
    security_enabled INTEGER,
    is_dynamic INTEGER NOT NULL,
    deleted_at TEXT,
    seen_at TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE group_members (
    tenant_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_type TEXT,
    added_at TEXT NOT NULL,
    removed_at TEXT,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id)
);
CREATE TABLE role_members (
    tenant_id TEXT NOT NULL,
    role_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_type TEXT,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, role_id, member_id)
);
CREATE TABLE applications (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    app_id TEXT,
    display_name TEXT,
    seen_at TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE service_principals (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    app_id TEXT,
    display_name TEXT,
    service_principal_type TEXT,
    app_owner_organization_id TEXT,
    seen_at TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE app_credentials (
    tenant_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    app_id TEXT,
    owner_display_name TEXT,
    display_name TEXT,
    start_at TEXT,
    end_at TEXT,
    PRIMARY KEY (tenant_id, owner_kind, owner_id, kind, key_id)
);
CREATE TABLE auth_methods (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    method_id TEXT NOT NULL,
    method_type TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, method_type, method_id)
);
CREATE TABLE directory_items (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seen_at TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);
CREATE TABLE checkpoints (
    tenant_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, stream, key)
);
CREATE TABLE collection_runs (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
"#,
    r#"
CREATE TABLE findings (
    tenant_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    check_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    summary TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    notified_status TEXT,
    notified_at TEXT,
    finding_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint)
);
CREATE INDEX findings_by_status ON findings (tenant_id, status, severity);
CREATE TABLE audit_log (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id TEXT,
    target_upn TEXT,
    outcome TEXT NOT NULL,
    completed_at TEXT,
    entry_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, at);
"#,
    r#"
ALTER TABLE users ADD COLUMN sign_in_activity_json TEXT;
"#,
    r#"
CREATE TABLE finding_notifications (
    tenant_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    notified_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint, channel)
);
"#,
    r#"
-- Version 5 changes PostgreSQL only (identifier collation): SQLite compares text byte-wise already.
SELECT 1;
"#,
    r#"
-- No index of sign-ins by user: no query of oort's reads sign-ins by user (the analysis streams
-- them in time order), and keeping it cost a third of the ingest rate. For investigations by
-- user: CREATE INDEX sign_ins_by_user ON sign_ins (tenant_id, user_id, created_at);
DROP INDEX IF EXISTS sign_ins_by_user;
"#,
    r#"
-- What the analysis has not seen yet: the earliest created_at among sign-ins written since it
-- last took this mark, and how many batches wrote it (the mark's version).
CREATE TABLE sign_in_changes (
    tenant_id TEXT PRIMARY KEY,
    earliest TEXT NOT NULL,
    writes INTEGER NOT NULL
);
"#,
    r#"
-- Version 8 (lease): since when the holder of a tenant's lease holds it, so that a second
-- collection can say who holds it and since when. NULL for a lease taken before this.
ALTER TABLE tenants ADD COLUMN lease_since TEXT;
"#,
    r#"
-- Version 9: the audit trail becomes an append-only hash chain (one per tenant, and one for the
-- operators' changes): a position (seq) per chain, the previous entry's hash and the entry's
-- own, and the OS account, host and process that acted. The entries of version 2's table are
-- chained by the store in this migration's transaction (in time order), then that table is
-- dropped (see `chain_legacy_audit`).
DROP INDEX audit_log_by_time;
ALTER TABLE audit_log RENAME TO audit_log_v2;
CREATE TABLE audit_log (
    tenant_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    operator TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id TEXT,
    target_upn TEXT,
    outcome TEXT NOT NULL,
    completed_at TEXT,
    os_user TEXT,
    host TEXT,
    pid INTEGER,
    exe TEXT,
    entry_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE UNIQUE INDEX audit_log_intent_once ON audit_log (tenant_id, id) WHERE outcome = 'incomplete';
CREATE UNIQUE INDEX audit_log_outcome_once ON audit_log (tenant_id, id) WHERE outcome <> 'incomplete';
-- oort's operators, and the OS accounts each acts as (an account acts as one operator at most).
CREATE TABLE operators (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE operator_os_users (
    os_user TEXT PRIMARY KEY,
    operator TEXT NOT NULL REFERENCES operators (name) ON DELETE CASCADE
);
CREATE INDEX operator_os_users_by_operator ON operator_os_users (operator);
"#,
    r#"
-- Version 10: items a collection stream could not read with this version's models, kept with their JSON
-- and the error until a later version re-reads them (oort collect --retry-rejected).
CREATE TABLE rejected_items (
    tenant_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    item_key TEXT NOT NULL,
    error TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    first_rejected_at TEXT NOT NULL,
    last_rejected_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, stream, item_key)
);
"#,
    r#"
-- Version 11: the tenant registry (issue #20), a table of its own rather than columns of
-- `tenants`: that table is the leases' list, which every collection writes (the single-tenant
-- configuration included, with no registry entry), on the hot path of the workers; a registry
-- row holds an operator's settings and a sealed credential, changed rarely and audited. The
-- credential is only ever stored sealed (AES-256-GCM under a master key outside the store).
CREATE TABLE tenant_registry (
    tenant_id TEXT PRIMARY KEY,
    display_name TEXT,
    cloud TEXT NOT NULL,
    authority_host TEXT,
    graph_url TEXT,
    client_id TEXT NOT NULL,
    credential_kind TEXT NOT NULL,
    sealed_credential TEXT,
    identity_client_id TEXT,
    token_file TEXT,
    devices BOOLEAN NOT NULL,
    disabled_streams TEXT NOT NULL,
    interval_seconds BIGINT NOT NULL,
    break_glass_accounts TEXT NOT NULL,
    protected_accounts TEXT NOT NULL,
    state TEXT NOT NULL,
    last_error TEXT,
    failing_since TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    credential_rotated_at TEXT
);
"#,
];

#[cfg(feature = "postgres")]
/// Migrations for PostgreSQL, in order (index + 1 = version). Times are `timestamptz`
/// (microseconds; the raw JSON keeps Graph's 100 ns digits).
pub(crate) const POSTGRES: &[&str] = &[
    r#"
CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ
);
CREATE TABLE sign_ins (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    created_at TIMESTAMPTZ,
    user_id TEXT,
    user_principal_name TEXT,
    app_id TEXT,
    app_display_name TEXT,
    ip_address TEXT,
    country TEXT,
    city TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    client_app_used TEXT,
    user_agent TEXT,
    error_code BIGINT,
    is_interactive BOOLEAN,
    event_type TEXT,
    conditional_access_status TEXT,
    risk_level_aggregated TEXT,
    risk_level_during_sign_in TEXT,
    risk_state TEXT,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX sign_ins_by_time ON sign_ins (tenant_id, created_at, id);
CREATE INDEX sign_ins_by_user ON sign_ins (tenant_id, user_id, created_at);
CREATE TABLE directory_audits (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    activity_at TIMESTAMPTZ,
    activity_display_name TEXT,
    category TEXT,
    result TEXT,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX directory_audits_by_time ON directory_audits (tenant_id, activity_at);
CREATE TABLE users (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    user_principal_name TEXT,
    display_name TEXT,
    user_type TEXT,
    account_enabled BOOLEAN,
    created_at TIMESTAMPTZ,
    last_sign_in_at TIMESTAMPTZ,
    last_successful_sign_in_at TIMESTAMPTZ,
    on_premises_sync_enabled BOOLEAN,
    deleted_at TIMESTAMPTZ,
    seen_at TIMESTAMPTZ NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE groups (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    display_name TEXT,
    security_enabled BOOLEAN,
    is_dynamic BOOLEAN NOT NULL,
    deleted_at TIMESTAMPTZ,
    seen_at TIMESTAMPTZ NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE group_members (
    tenant_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_type TEXT,
    added_at TIMESTAMPTZ NOT NULL,
    removed_at TIMESTAMPTZ,
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id)
);
CREATE TABLE role_members (
    tenant_id TEXT NOT NULL,
    role_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    member_type TEXT,
    seen_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, role_id, member_id)
);
CREATE TABLE applications (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    app_id TEXT,
    display_name TEXT,
    seen_at TIMESTAMPTZ NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE service_principals (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    app_id TEXT,
    display_name TEXT,
    service_principal_type TEXT,
    app_owner_organization_id TEXT,
    seen_at TIMESTAMPTZ NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE app_credentials (
    tenant_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    app_id TEXT,
    owner_display_name TEXT,
    display_name TEXT,
    start_at TIMESTAMPTZ,
    end_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, owner_kind, owner_id, kind, key_id)
);
CREATE TABLE auth_methods (
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    method_id TEXT NOT NULL,
    method_type TEXT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, user_id, method_type, method_id)
);
CREATE TABLE directory_items (
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    seen_at TIMESTAMPTZ NOT NULL,
    raw_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, id)
);
CREATE TABLE checkpoints (
    tenant_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, stream, key)
);
CREATE TABLE collection_runs (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    status TEXT NOT NULL,
    report TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
"#,
    r#"
CREATE TABLE findings (
    tenant_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    check_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    subject TEXT NOT NULL,
    summary TEXT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    notified_status TEXT,
    notified_at TIMESTAMPTZ,
    finding_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint)
);
CREATE INDEX findings_by_status ON findings (tenant_id, status, severity);
CREATE TABLE audit_log (
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    operator TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id TEXT,
    target_upn TEXT,
    outcome TEXT NOT NULL,
    completed_at TIMESTAMPTZ,
    entry_json TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_by_time ON audit_log (tenant_id, at);
"#,
    r#"
ALTER TABLE users ADD COLUMN sign_in_activity_json TEXT;
"#,
    r#"
CREATE TABLE finding_notifications (
    tenant_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    notified_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, fingerprint, channel)
);
"#,
    r#"
-- Identifiers compare byte-wise: GUIDs need no linguistic order, and the upserts' index lookups
-- then compare with memcmp instead of the locale's strcoll.
ALTER TABLE sign_ins
    ALTER COLUMN tenant_id TYPE TEXT COLLATE "C",
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN user_id TYPE TEXT COLLATE "C";
ALTER TABLE directory_audits
    ALTER COLUMN tenant_id TYPE TEXT COLLATE "C",
    ALTER COLUMN id TYPE TEXT COLLATE "C";
"#,
    r#"
-- No index of sign-ins by user: no query of oort's reads sign-ins by user (the analysis streams
-- them in time order), and keeping it cost a third of the ingest rate. For investigations by
-- user: CREATE INDEX sign_ins_by_user ON sign_ins (tenant_id, user_id, created_at);
DROP INDEX IF EXISTS sign_ins_by_user;
"#,
    r#"
-- What the analysis has not seen yet: the earliest created_at among sign-ins written since it
-- last took this mark, and how many batches wrote it (the mark's version).
CREATE TABLE sign_in_changes (
    tenant_id TEXT PRIMARY KEY,
    earliest TIMESTAMPTZ NOT NULL,
    writes BIGINT NOT NULL
);
"#,
    r#"
-- Version 8 (lease): since when the holder of a tenant's lease holds it, so that a second
-- collection can say who holds it and since when. NULL for a lease taken before this.
ALTER TABLE tenants ADD COLUMN lease_since TIMESTAMPTZ;
"#,
    r#"
-- Version 9: the audit trail becomes an append-only hash chain (one per tenant, and one for the
-- operators' changes): a position (seq) per chain, the previous entry's hash and the entry's
-- own, and the OS account, host and process that acted. The entries of version 2's table are
-- chained by the store in this migration's transaction (in time order), then that table is
-- dropped (see `chain_legacy_audit`).
DROP INDEX audit_log_by_time;
ALTER TABLE audit_log RENAME TO audit_log_v2;
ALTER INDEX audit_log_pkey RENAME TO audit_log_v2_pkey;
CREATE TABLE audit_log (
    tenant_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    operator TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target_id TEXT,
    target_upn TEXT,
    outcome TEXT NOT NULL,
    completed_at TIMESTAMPTZ,
    os_user TEXT,
    host TEXT,
    pid BIGINT,
    exe TEXT,
    entry_json TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE UNIQUE INDEX audit_log_intent_once ON audit_log (tenant_id, id) WHERE outcome = 'incomplete';
CREATE UNIQUE INDEX audit_log_outcome_once ON audit_log (tenant_id, id) WHERE outcome <> 'incomplete';
-- oort's operators, and the OS accounts each acts as (an account acts as one operator at most).
CREATE TABLE operators (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE operator_os_users (
    os_user TEXT PRIMARY KEY,
    operator TEXT NOT NULL REFERENCES operators (name) ON DELETE CASCADE
);
CREATE INDEX operator_os_users_by_operator ON operator_os_users (operator);
"#,
    r#"
-- Version 10: items a collection stream could not read with this version's models, kept with their JSON
-- and the error until a later version re-reads them (oort collect --retry-rejected).
CREATE TABLE rejected_items (
    tenant_id TEXT NOT NULL,
    stream TEXT NOT NULL,
    item_key TEXT NOT NULL,
    error TEXT NOT NULL,
    raw_json TEXT NOT NULL,
    first_rejected_at TIMESTAMPTZ NOT NULL,
    last_rejected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, stream, item_key)
);
"#,
    r#"
-- Version 11: the tenant registry (issue #20), a table of its own rather than columns of
-- `tenants`: that table is the leases' list, which every collection writes (the single-tenant
-- configuration included, with no registry entry), on the hot path of the workers; a registry
-- row holds an operator's settings and a sealed credential, changed rarely and audited. The
-- credential is only ever stored sealed (AES-256-GCM under a master key outside the store).
CREATE TABLE tenant_registry (
    tenant_id TEXT PRIMARY KEY,
    display_name TEXT,
    cloud TEXT NOT NULL,
    authority_host TEXT,
    graph_url TEXT,
    client_id TEXT NOT NULL,
    credential_kind TEXT NOT NULL,
    sealed_credential TEXT,
    identity_client_id TEXT,
    token_file TEXT,
    devices BOOLEAN NOT NULL,
    disabled_streams TEXT NOT NULL,
    interval_seconds BIGINT NOT NULL,
    break_glass_accounts TEXT NOT NULL,
    protected_accounts TEXT NOT NULL,
    state TEXT NOT NULL,
    last_error TEXT,
    failing_since TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    credential_rotated_at TIMESTAMPTZ
);
"#,
];
