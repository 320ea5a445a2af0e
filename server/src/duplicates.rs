//! Data ganda: the same NIK or KK registered in two households (two agents, two phones). Both
//! are kept; an officer decides whether they are two families (a wrong NIK on one of them) or
//! one family registered twice, and which registration stands. The phones learn the outcome as
//! the household's status on their next sync.

use crate::db::{self, DbError, Tx};
use crate::review::Refusal;
use crate::stored::{HOUSEHOLD_ACCEPTED, HOUSEHOLD_DUPLICATE};
use crate::{staff_audit, AppState};

/// The registration an officer found to be the second copy of a family already registered.
pub const HOUSEHOLD_SUPERSEDED: &str = "ganda_ditolak";

pub const NOT_FOUND: Refusal = Refusal {
    code: "DUPLICATE_NOT_FOUND",
    message: "Pasangan data ganda tidak ditemukan.",
};
pub const ALREADY_RESOLVED: Refusal = Refusal {
    code: "DUPLICATE_RESOLVED",
    message: "Pasangan data ganda ini sudah diputus.",
};
pub const RESOLUTION_INVALID: Refusal = Refusal {
    code: "DUPLICATE_RESOLUTION_INVALID",
    message: "Pilih salah satu: dua keluarga berbeda, atau registrasi mana yang benar.",
};

/// One household of a pair, as the page shows it (no NIK, no name: the registrations page has
/// those for officers who need them).
#[derive(Debug, Clone)]
pub struct Side {
    pub household_id: String,
    pub kelurahan_code: String,
    pub agent_id: String,
    pub registered_at: i64,
    pub member_count: i64,
}

#[derive(Debug, Clone)]
pub struct Pair {
    pub id: i64,
    /// `nik` or `kk`: what the two share.
    pub basis: String,
    pub found_at: i64,
    pub first: Side,
    pub second: Side,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Two families: both registrations stand.
    Berbeda,
    /// One family: the first registration stands, the second is set aside.
    PertamaBenar,
    KeduaBenar,
}

impl Resolution {
    pub fn parse(text: &str) -> Option<Resolution> {
        match text {
            "berbeda" => Some(Resolution::Berbeda),
            "pertama_benar" => Some(Resolution::PertamaBenar),
            "kedua_benar" => Some(Resolution::KeduaBenar),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Berbeda => "berbeda",
            Resolution::PertamaBenar => "pertama_benar",
            Resolution::KeduaBenar => "kedua_benar",
        }
    }
}

fn side(row: &db::Row, at: usize) -> Side {
    Side {
        household_id: row[at].text().unwrap_or_default(),
        kelurahan_code: row[at + 1].text().unwrap_or_default(),
        agent_id: row[at + 2].text().unwrap_or_default(),
        registered_at: row[at + 3].int(),
        member_count: row[at + 4].int(),
    }
}

/// One page (from 0) of the pairs still to decide, oldest first, in one query.
pub fn open_pairs(
    state: &AppState,
    page: usize,
    scope: &crate::console::accounts::Scope,
) -> Result<(Vec<Pair>, bool), DbError> {
    let mut params = Vec::new();
    // Both households inside the officer's scope (a pair across scopes is the admin's).
    let first_in = scope.condition("a.kelurahan_code", &mut params);
    let second_in = scope.condition("b.kelurahan_code", &mut params);
    let page = db::page_clause(&mut params, page);
    let sql = format!(
        "SELECT d.id, d.basis, d.found_at,
                    a.id, a.kelurahan_code, da.agent_id, a.registered_at, a.member_count,
                    b.id, b.kelurahan_code, db.agent_id, b.registered_at, b.member_count
             FROM duplicates d
             JOIN households a ON a.id = d.household_id
             JOIN households b ON b.id = d.other_id
             LEFT JOIN devices da ON da.device_id = a.device_id
             LEFT JOIN devices db ON db.device_id = b.device_id
             WHERE d.resolution IS NULL AND {first_in} AND {second_in}
             ORDER BY d.found_at, d.id {page}"
    );
    let (rows, more) = db::split_page(state.db.read(|tx| tx.query(&sql, &params))?);
    let pairs = rows
        .iter()
        .map(|r| Pair {
            id: r[0].int(),
            basis: r[1].text().unwrap_or_default(),
            found_at: r[2].int(),
            // The household that arrived second is recorded first (it found the other).
            first: side(r, 8),
            second: side(r, 3),
        })
        .collect();
    Ok((pairs, more))
}

/// Records the officer's decision on pair `id`, sets both households' statuses and queues them
/// for the phones that registered them, with the operator's audit entry, in one transaction.
pub fn resolve(
    state: &AppState,
    operator: &str,
    scope: &crate::console::accounts::Scope,
    id: i64,
    resolution: &str,
) -> Result<Resolution, Refusal> {
    let resolution = Resolution::parse(resolution).ok_or(RESOLUTION_INVALID)?;
    let now = (state.clock)();
    state.db.write(|tx| {
        let row = tx
            .query_one(
                "SELECT household_id, other_id, resolution FROM duplicates WHERE id = ?1",
                &[db::int(id)],
            )?
            .ok_or(NOT_FOUND)?;
        if row[2].text().is_some() {
            return Err(ALREADY_RESOLVED);
        }
        let (second, first) = (
            row[0].text().unwrap_or_default(),
            row[1].text().unwrap_or_default(),
        );
        for household in [&first, &second] {
            let kelurahan = tx
                .query_one(
                    "SELECT kelurahan_code FROM households WHERE id = ?1",
                    &[db::text(household.as_str())],
                )?
                .and_then(|r| r[0].text())
                .unwrap_or_default();
            if !scope.covers(&kelurahan) {
                return Err(NOT_FOUND);
            }
        }
        tx.execute(
            "UPDATE duplicates SET resolution = ?2, resolved_by = ?3, resolved_at = ?4
             WHERE id = ?1",
            &[
                db::int(id),
                db::text(resolution.as_str()),
                db::text(operator),
                db::int(now),
            ],
        )?;
        let set_aside = match resolution {
            Resolution::Berbeda => None,
            Resolution::PertamaBenar => Some(second.as_str()),
            Resolution::KeduaBenar => Some(first.as_str()),
        };
        for household in [first.as_str(), second.as_str()] {
            let status = if Some(household) == set_aside {
                HOUSEHOLD_SUPERSEDED
            } else if still_paired(tx, household)? {
                HOUSEHOLD_DUPLICATE
            } else {
                HOUSEHOLD_ACCEPTED
            };
            set_status(tx, &state.keys, household, status, now)?;
        }
        staff_audit::record(
            tx,
            now,
            operator,
            "data_ganda_diputus",
            Some(&id.to_string()),
            Some(resolution.as_str()),
        )?;
        Ok(resolution)
    })
}

/// Whether the household is in another pair still to decide.
fn still_paired(tx: &mut dyn Tx, household: &str) -> Result<bool, DbError> {
    tx.exists(
        "SELECT 1 FROM duplicates WHERE household_id = ?1 AND resolution IS NULL
         UNION ALL
         SELECT 1 FROM duplicates WHERE other_id = ?1 AND resolution IS NULL",
        &[db::text(household)],
    )
}

/// Sets a household's status and queues it for the phone that registered it.
pub fn set_status(
    tx: &mut dyn Tx,
    keys: &crate::keys::ServerKeys,
    household: &str,
    status: &str,
    now: i64,
) -> Result<(), DbError> {
    let device = tx
        .query_one(
            "UPDATE households SET status = ?2 WHERE id = ?1 RETURNING device_id",
            &[db::text(household), db::text(status)],
        )?
        .and_then(|r| r[0].text());
    let Some(device) = device else {
        return Ok(());
    };
    let reason = (status == HOUSEHOLD_SUPERSEDED).then(|| {
        "Keluarga ini sudah terdaftar lewat registrasi lain; registrasi ini tidak dipakai."
            .to_owned()
    });
    db::add_status_change(
        tx,
        keys,
        &device,
        "household",
        household,
        status,
        reason.as_deref(),
        now,
    )
}
