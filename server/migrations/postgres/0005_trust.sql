-- Login throttle rows kept the typed user name (sometimes a password typed into the wrong box)
-- in clear; keys are keyed hashes from now on, and the old rows go (an address that was
-- waiting may try once more).
DELETE FROM login_throttle;
-- A device an operator revoked (a lost or stolen phone): every request of it is refused.
ALTER TABLE devices ADD COLUMN revoked_at BIGINT;
-- What a revoked device pushed after its revocation: refused, and kept as it arrived (sealed
-- for the district record key) for officers to decide.
CREATE TABLE quarantined_entries (
    device_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, entry_id)
);
