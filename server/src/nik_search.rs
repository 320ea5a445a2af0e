//! An officer looks up one resident by NIK (a resident at the office or on the phone): the
//! registered households that hold the NIK and the DTSEN families it is listed in, each only
//! inside the officer's scope. Sanggahan are not searched by their reporter: the console never
//! shows who filed one (a neighbour objecting must stay unknown), and a search by NIK would
//! tell. The NIK is turned into
//! its blind index at once and every read goes through that index: the NIK itself is never
//! stored, logged or compared in clear, and the lookup is audited without it.
use crate::console::accounts::Scope;
use crate::db::{self, DbError, Tx};
use crate::keys::Blind;
use crate::AppState;

/// Rows of each kind shown for one NIK: a NIK in more is a case for an officer already.
pub const MAX_ROWS: i64 = 50;

pub struct HouseholdHit {
    pub id: String,
    pub kelurahan_code: String,
    pub registered_at: i64,
    pub status: String,
}

pub struct FamilyHit {
    pub family_id: String,
    pub kelurahan_code: String,
    pub rt: i64,
    pub rw: i64,
}

#[derive(Default)]
pub struct Found {
    pub households: Vec<HouseholdHit>,
    pub families: Vec<FamilyHit>,
}

impl Found {
    pub fn is_empty(&self) -> bool {
        self.households.is_empty() && self.families.is_empty()
    }
}

#[derive(Debug)]
pub enum SearchError {
    /// Not a NIK: the rules' code (NIK_LENGTH, NIK_NOT_DIGITS, ...), with its Indonesian text.
    Invalid(perlinsos_rules::error::ErrorCode),
    Storage(DbError),
}

impl From<DbError> for SearchError {
    fn from(e: DbError) -> Self {
        SearchError::Storage(e)
    }
}

/// The records of one NIK within `scope`, audited as `cari_nik` by `actor` (with the number of
/// rows found, never the NIK).
pub fn find(state: &AppState, actor: &str, scope: &Scope, nik: &str) -> Result<Found, SearchError> {
    let now = (state.clock)();
    let nik = nik.trim();
    perlinsos_rules::identity::parse_nik(nik, perlinsos_rules::Date::of_unix_millis(now))
        .map_err(SearchError::Invalid)?;
    let index = state.keys.blind(Blind::Nik, nik);
    let found = state.db.write(|tx| {
        let found = read(tx, &index, scope)?;
        let counts = format!(
            "rumah_tangga={} keluarga={}",
            found.households.len(),
            found.families.len()
        );
        crate::staff_audit::record(tx, now, actor, "cari_nik", None, Some(&counts))?;
        Ok::<_, DbError>(found)
    })?;
    Ok(found)
}

fn read(tx: &mut dyn Tx, index: &[u8], scope: &Scope) -> Result<Found, DbError> {
    let mut found = Found::default();
    for row in tx.query(
        "SELECT h.id, h.kelurahan_code, h.registered_at, h.status
         FROM household_members m JOIN households h ON h.id = m.household_id
         WHERE m.nik_index = ?1 ORDER BY h.registered_at DESC, h.id LIMIT ?2",
        &[db::blob(index.to_vec()), db::int(MAX_ROWS)],
    )? {
        let kelurahan_code = row[1].text().unwrap_or_default();
        if scope.covers(&kelurahan_code) {
            found.households.push(HouseholdHit {
                id: row[0].text().unwrap_or_default(),
                kelurahan_code,
                registered_at: row[2].int(),
                status: row[3].text().unwrap_or_default(),
            });
        }
    }
    for row in tx.query(
        "SELECT f.family_id, f.kelurahan_code, f.rt, f.rw
         FROM family_niks n JOIN families f ON f.family_id = n.family_id
         WHERE n.nik_blind = ?1 LIMIT ?2",
        &[db::blob(index.to_vec()), db::int(MAX_ROWS)],
    )? {
        let kelurahan_code = row[1].text().unwrap_or_default();
        if scope.covers(&kelurahan_code) {
            found.families.push(FamilyHit {
                family_id: row[0].text().unwrap_or_default(),
                kelurahan_code,
                rt: row[2].int(),
                rw: row[3].int(),
            });
        }
    }
    Ok(found)
}
