-- The schema as it stood before numbered migrations (a database made then is at version 1).
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash BYTEA PRIMARY KEY, agent_id TEXT NOT NULL, scope TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, used_by TEXT);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, public_key BYTEA NOT NULL, agent_id TEXT NOT NULL,
    scope TEXT NOT NULL, enrolled_at BIGINT NOT NULL, audit_seq BIGINT NOT NULL DEFAULT 0,
    audit_hash BYTEA);
CREATE TABLE IF NOT EXISTS nonces (
    device_id TEXT NOT NULL, nonce TEXT NOT NULL, at BIGINT NOT NULL,
    PRIMARY KEY (device_id, nonce));
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY, length BIGINT NOT NULL, device_id TEXT NOT NULL,
    stored_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, entity_id TEXT NOT NULL,
    kelurahan_code TEXT, body TEXT NOT NULL, created_at BIGINT NOT NULL,
    received_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_by_kind ON entries (kind, entity_id);
CREATE TABLE IF NOT EXISTS changes (
    cursor BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kelurahan_code TEXT,
    device_id TEXT, body TEXT NOT NULL, at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS operators (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, salt BYTEA NOT NULL, hash BYTEA NOT NULL,
    iterations BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS operator_sessions (
    token_hash BYTEA PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS login_throttle (
    key TEXT PRIMARY KEY, failures BIGINT NOT NULL, blocked_until BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS operator_audit (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL,
    username TEXT NOT NULL, action TEXT NOT NULL, record_id TEXT, detail TEXT);
CREATE TABLE IF NOT EXISTS sanggahan_decisions (
    sanggahan_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT,
    decided_at BIGINT NOT NULL, decided_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS evidence_index (
    sha256 TEXT NOT NULL, record_kind TEXT NOT NULL, record_id TEXT NOT NULL,
    device_id TEXT NOT NULL, phash BIGINT NOT NULL, PRIMARY KEY (sha256, record_id));
CREATE TABLE IF NOT EXISTS recipients (
    id TEXT PRIMARY KEY, kelurahan_code TEXT NOT NULL, body TEXT NOT NULL);
