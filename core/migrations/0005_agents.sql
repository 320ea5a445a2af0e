-- Agent profiles on this phone. Each agent's data key is stored only wrapped: under a key from
-- the PIN (PBKDF2) and the platform secret, and under the district's recovery secret (which the
-- phone does not keep). Failed attempts and the lockout survive restarts; clock_high_water is
-- the latest time this profile has seen, so setting the clock back never shortens a lockout.
CREATE TABLE agents (
    agent_id           TEXT PRIMARY KEY,
    salt               BLOB NOT NULL,
    iterations         INTEGER NOT NULL,
    pin_wrapped_key    BLOB NOT NULL,
    recovery_wrapped_key BLOB NOT NULL,
    failed_attempts    INTEGER NOT NULL DEFAULT 0,
    locked_until       INTEGER NOT NULL DEFAULT 0,
    clock_high_water   INTEGER NOT NULL DEFAULT 0,
    needs_reenrollment INTEGER NOT NULL DEFAULT 0 CHECK (needs_reenrollment IN (0, 1)),
    enrolled_at        INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
