-- Re-enrollment under a new device identity (session::device::Device::replace): what is still
-- queued under the old identity stays, marked with the old device id in `handover_from`. Such
-- an entry is no longer pushed: it is handed over, as it is, to the district (POST
-- /v1/handover, sync::Syncer::hand_over), which holds it for officers as an entry of the old
-- device, and it leaves the queue only on the district's signed receipt. The old identity's
-- audit trail moves to `audit_retired`; the new identity starts its own chain at seq 1.
ALTER TABLE outbox ADD COLUMN handover_from TEXT;
CREATE TABLE audit_retired (
    device_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    agent_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    record_id TEXT,
    prev_hash BLOB NOT NULL,
    hash      BLOB NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;
