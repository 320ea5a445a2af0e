//! Numbered, append-only schema migrations on `PRAGMA user_version`. Never edit a released
//! file: add the next one. All pending upgrades run in one transaction.
use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_store.sql"),
    include_str!("../../migrations/0002_registration.sql"),
    include_str!("../../migrations/0003_pmt.sql"),
    include_str!("../../migrations/0004_evidence.sql"),
    include_str!("../../migrations/0005_agents.sql"),
    include_str!("../../migrations/0006_device_audit.sql"),
    include_str!("../../migrations/0007_evidence_agent_receipts.sql"),
    include_str!("../../migrations/0008_sanggahan.sql"),
    include_str!("../../migrations/0009_sync.sql"),
    include_str!("../../migrations/0010_record_keys.sql"),
    include_str!("../../migrations/0011_outbox_rowid.sql"),
    include_str!("../../migrations/0012_worklist.sql"),
    include_str!("../../migrations/0013_household_receipts.sql"),
    include_str!("../../migrations/0014_blind_index_stages.sql"),
    include_str!("../../migrations/0015_worklist_revision.sql"),
    include_str!("../../migrations/0016_household_members_cell.sql"),
    include_str!("../../migrations/0017_handover.sql"),
];

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

pub fn current_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found = current_version(conn)?;
    let supported = latest_version();
    if found > supported {
        return Err(Error::SchemaTooNew { found, supported });
    }
    if found == supported {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for sql in &MIGRATIONS[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", supported)?;
    tx.commit()?;
    Ok(())
}
