-- The schema as it stood before numbered migrations (a database made then is at version 1).
CREATE TABLE IF NOT EXISTS enroll_codes (
    code_hash BLOB PRIMARY KEY, agent_id TEXT NOT NULL, scope TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_by TEXT) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY, public_key BLOB NOT NULL, agent_id TEXT NOT NULL,
    scope TEXT NOT NULL, enrolled_at INTEGER NOT NULL, audit_seq INTEGER NOT NULL DEFAULT 0,
    audit_hash BLOB) STRICT;
CREATE TABLE IF NOT EXISTS nonces (
    device_id TEXT NOT NULL, nonce TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (device_id, nonce)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY, length INTEGER NOT NULL, device_id TEXT NOT NULL,
    stored_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL, entity_id TEXT NOT NULL,
    kelurahan_code TEXT, body TEXT NOT NULL, created_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS entries_by_kind ON entries (kind, entity_id);
CREATE TABLE IF NOT EXISTS changes (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT, kelurahan_code TEXT, device_id TEXT,
    body TEXT NOT NULL, at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS operators (
    username TEXT PRIMARY KEY, role TEXT NOT NULL, salt BLOB NOT NULL, hash BLOB NOT NULL,
    iterations INTEGER NOT NULL, created_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS operator_sessions (
    token_hash BLOB PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS login_throttle (
    key TEXT PRIMARY KEY, failures INTEGER NOT NULL, blocked_until INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS operator_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, username TEXT NOT NULL,
    action TEXT NOT NULL, record_id TEXT, detail TEXT) STRICT;
CREATE TABLE IF NOT EXISTS sanggahan_decisions (
    sanggahan_id TEXT PRIMARY KEY, status TEXT NOT NULL, reason TEXT,
    decided_at INTEGER NOT NULL, decided_by TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS evidence_index (
    sha256 TEXT NOT NULL, record_kind TEXT NOT NULL, record_id TEXT NOT NULL,
    device_id TEXT NOT NULL, phash INTEGER NOT NULL, PRIMARY KEY (sha256, record_id)) STRICT;
CREATE TABLE IF NOT EXISTS recipients (
    id TEXT PRIMARY KEY, kelurahan_code TEXT NOT NULL, body TEXT NOT NULL) STRICT;
