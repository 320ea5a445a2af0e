//! Numbered, append-only migrations, one runner for SQLite and PostgreSQL. The version lives
//! in `schema_migrations`; every pending step runs in one transaction (DDL is transactional on
//! both), so a failed upgrade leaves the database as it was. A database newer than this binary
//! is refused rather than guessed at. A database made before migrations existed holds the
//! tables of 0001 (which are created only if missing) and is upgraded from there.
use crate::db::{self, Db, DbError, DbResult, Tx};
use crate::keys::ServerKeys;

type Backfill = fn(&mut dyn Tx, &ServerKeys) -> DbResult<()>;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
    /// Rows the SQL cannot derive itself (typed rows decoded from stored records).
    backfill: Option<Backfill>,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "initial",
        sqlite: include_str!("../migrations/sqlite/0001_initial.sql"),
        postgres: include_str!("../migrations/postgres/0001_initial.sql"),
        backfill: None,
    },
    Migration {
        version: 2,
        name: "typed_tables",
        sqlite: include_str!("../migrations/sqlite/0002_typed_tables.sql"),
        postgres: include_str!("../migrations/postgres/0002_typed_tables.sql"),
        backfill: Some(crate::stored::backfill),
    },
    Migration {
        version: 3,
        name: "sealed_at_rest",
        sqlite: include_str!("../migrations/sqlite/0003_sealed_at_rest.sql"),
        postgres: include_str!("../migrations/postgres/0003_sealed_at_rest.sql"),
        backfill: Some(crate::stored::seal_existing),
    },
    Migration {
        version: 4,
        name: "record_keys",
        sqlite: include_str!("../migrations/sqlite/0004_record_keys.sql"),
        postgres: include_str!("../migrations/postgres/0004_record_keys.sql"),
        backfill: None,
    },
    Migration {
        version: 5,
        name: "trust",
        sqlite: include_str!("../migrations/sqlite/0005_trust.sql"),
        postgres: include_str!("../migrations/postgres/0005_trust.sql"),
        backfill: None,
    },
    Migration {
        version: 6,
        name: "officer_scope",
        sqlite: include_str!("../migrations/sqlite/0006_officer_scope.sql"),
        postgres: include_str!("../migrations/postgres/0006_officer_scope.sql"),
        backfill: None,
    },
    Migration {
        version: 7,
        name: "families",
        sqlite: include_str!("../migrations/sqlite/0007_families.sql"),
        postgres: include_str!("../migrations/postgres/0007_families.sql"),
        backfill: None,
    },
    Migration {
        version: 8,
        name: "usulan",
        sqlite: include_str!("../migrations/sqlite/0008_usulan.sql"),
        postgres: include_str!("../migrations/postgres/0008_usulan.sql"),
        backfill: None,
    },
    Migration {
        version: 9,
        name: "account_status",
        sqlite: include_str!("../migrations/sqlite/0009_account_status.sql"),
        postgres: include_str!("../migrations/postgres/0009_account_status.sql"),
        backfill: None,
    },
    Migration {
        version: 10,
        name: "second_factor",
        sqlite: include_str!("../migrations/sqlite/0010_second_factor.sql"),
        postgres: include_str!("../migrations/postgres/0010_second_factor.sql"),
        backfill: None,
    },
    Migration {
        version: 11,
        name: "photo_bands",
        sqlite: include_str!("../migrations/sqlite/0011_photo_bands.sql"),
        postgres: include_str!("../migrations/postgres/0011_photo_bands.sql"),
        backfill: None,
    },
    Migration {
        version: 12,
        name: "device_scope",
        sqlite: include_str!("../migrations/sqlite/0012_device_scope.sql"),
        postgres: include_str!("../migrations/postgres/0012_device_scope.sql"),
        backfill: Some(crate::enroll::scope_rows_of_enrolled),
    },
    Migration {
        version: 13,
        name: "data_key_rotation",
        sqlite: include_str!("../migrations/sqlite/0013_data_key_rotation.sql"),
        postgres: include_str!("../migrations/postgres/0013_data_key_rotation.sql"),
        backfill: None,
    },
    Migration {
        version: 14,
        name: "quarantine_decisions",
        sqlite: include_str!("../migrations/sqlite/0014_quarantine_decisions.sql"),
        postgres: include_str!("../migrations/postgres/0014_quarantine_decisions.sql"),
        backfill: None,
    },
    Migration {
        version: 15,
        name: "replacement_devices",
        sqlite: include_str!("../migrations/sqlite/0015_replacement_devices.sql"),
        postgres: include_str!("../migrations/postgres/0015_replacement_devices.sql"),
        backfill: None,
    },
];

/// The version that made `data_key_rotation`.
pub const DATA_KEY_ROTATION: i64 = 13;

pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.version).unwrap_or(0)
}

/// The database's schema version (0 for an empty database).
pub fn version(tx: &mut dyn Tx) -> DbResult<i64> {
    Ok(tx
        .query_one("SELECT max(version) FROM schema_migrations", &[])?
        .map(|r| r[0].int())
        .unwrap_or(0))
}

/// Brings the database to the latest version, up to `target` (tests stop early to make
/// fixtures of an older schema). Returns the version it is at.
pub fn run_to(db: &Db, keys: &ServerKeys, target: i64, now: i64) -> DbResult<i64> {
    db.write(|tx| {
        if tx.is_postgres() {
            tx.batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
                 LOCK TABLE schema_migrations IN EXCLUSIVE MODE;",
            )?;
        } else {
            tx.batch(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)
                     STRICT;",
            )?;
        }
        let current = version(tx)?;
        if current > latest() {
            return Err(DbError(format!(
                "the database is at schema version {current}, newer than this server's {}: \
                 run a newer perlinsos-server",
                latest()
            )));
        }
        let pending = MIGRATIONS
            .iter()
            .filter(|m| m.version > current && m.version <= target);
        // A backfill would seal and index with one key while the rotation's rows hold two:
        // the rotation is finished by the server version that began it, then this one runs.
        if current >= DATA_KEY_ROTATION
            && pending.clone().next().is_some()
            && crate::data_key_rotation::underway(tx)?.is_some()
        {
            return Err(DbError(
                "a data key rotation is unfinished: finish it (rotate-data-key) with the \
                 perlinsos-server version that began it before upgrading"
                    .into(),
            ));
        }
        for m in pending {
            tx.batch(if tx.is_postgres() {
                m.postgres
            } else {
                m.sqlite
            })
            .map_err(|e| DbError(format!("migration {:04}_{}: {}", m.version, m.name, e.0)))?;
            if let Some(backfill) = m.backfill {
                backfill(tx, keys)?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
                &[db::int(m.version), db::text(m.name), db::int(now)],
            )?;
        }
        version(tx)
    })
}

pub fn run(db: &Db, keys: &ServerKeys, now: i64) -> DbResult<i64> {
    run_to(db, keys, latest(), now)
}
