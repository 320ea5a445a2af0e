//! The server's audit log of what operators did (and what the server decided by itself, as
//! `sistem`): logins, decisions, exports. Written in the same transaction as the action, so
//! an action without its entry cannot exist. Ids only: no NIK or name is ever written here.
use crate::db::{self, DbError, Tx};

pub fn record(
    tx: &mut dyn Tx,
    at: i64,
    username: &str,
    action: &str,
    record_id: Option<&str>,
    detail: Option<&str>,
) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO operator_audit (at, username, action, record_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            db::int(at),
            db::text(username),
            db::text(action),
            db::opt_text(record_id),
            db::opt_text(detail),
        ],
    )
    .map(drop)
}

pub struct Line {
    pub at: i64,
    pub username: String,
    pub action: String,
    pub record_id: Option<String>,
}

/// The newest entries first, for `perlinsos-server audit`.
pub fn recent(tx: &mut dyn Tx, limit: i64) -> Result<Vec<Line>, DbError> {
    Ok(tx
        .query(
            "SELECT at, username, action, record_id FROM operator_audit ORDER BY seq DESC LIMIT ?1",
            &[db::int(limit)],
        )?
        .into_iter()
        .map(|r| Line {
            at: r[0].int(),
            username: r[1].text().unwrap_or_default(),
            action: r[2].text().unwrap_or_default(),
            record_id: r[3].text(),
        })
        .collect())
}
