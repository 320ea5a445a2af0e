//! What a district officer reviews: the sanggahan that phones sent, with their evidence, and
//! the decision on each (which reaches the phone on its next sync); the 14-day lapse; the
//! registrations, for the operators who upload them to SIKS-NG. The web console and the CLI
//! both call these, so a decision is the same whichever way it is made.
use perlinsos_rules::evidence::attest;
use perlinsos_rules::evidence::phash;
use perlinsos_rules::evidence::Gps;
use perlinsos_rules::sanggahan::lifecycle::Status;
use serde::Deserialize;
use serde_json::Value as Json;

use crate::blobs::{read_stored, BlobName};
use crate::console::accounts::Scope;
use crate::db::{self, DbError, Tx};
use crate::keys::ServerKeys;
use crate::record_rules::EvidenceRef;
use crate::staff_audit;
use crate::stored::due_at;
use crate::AppState;

/// Why a decision was refused, in the officer's language, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: &'static str,
}

impl Refusal {
    const fn new(code: &'static str, message: &'static str) -> Refusal {
        Refusal { code, message }
    }
}

pub const NOT_FOUND: Refusal = Refusal::new("REVIEW_NOT_FOUND", "Sanggahan tidak ditemukan.");
pub const ALREADY_CLOSED: Refusal = Refusal::new(
    "REVIEW_CLOSED",
    "Sanggahan ini sudah tidak menunggu putusan (sudah diputus, ditarik, atau kedaluwarsa).",
);
pub const DECISION_INVALID: Refusal = Refusal::new(
    "REVIEW_DECISION_INVALID",
    "Putusan harus diverifikasi atau ditolak.",
);
pub const REASON_REQUIRED: Refusal = Refusal::new(
    "REVIEW_REASON_REQUIRED",
    "Alasan penolakan wajib diisi (dibaca oleh pelapor), paling banyak 500 karakter.",
);
pub const STORAGE: Refusal = Refusal::new(
    "REVIEW_STORAGE",
    "Gagal menyimpan; tidak ada yang berubah. Coba lagi.",
);

impl From<DbError> for Refusal {
    fn from(_: DbError) -> Refusal {
        STORAGE
    }
}

const MAX_REASON_CHARS: usize = 500;
pub const SYSTEM: &str = "sistem";

/// The part of a sanggahan entry the detail page reads from the record as received.
#[derive(Deserialize)]
struct Body {
    reporter: Reporter,
    statement: String,
    #[serde(default)]
    evidence: Vec<EvidenceRef>,
}

#[derive(Deserialize, Clone)]
pub struct Reporter {
    pub nik: String,
    pub full_name: String,
}

/// Never the reporter's identity in a log or a panic message.
impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter(..)")
    }
}

/// One line of the list.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: String,
    pub kelurahan_code: String,
    pub recipient_id: String,
    pub reason: String,
    pub filed_at: i64,
    pub status: Status,
    /// Whole days left of the 14 (0 on the last day), for open ones.
    pub days_left: Option<i64>,
}

/// One photo of a sanggahan, with what the server found about it.
#[derive(Debug, Clone)]
pub struct Photo {
    pub sha256: String,
    pub attestation_valid: bool,
    pub captured_at: i64,
    pub gps: Option<Gps>,
    /// Other records (on any phone) holding a near-identical photo.
    pub near_duplicates: Vec<NearDuplicate>,
}

#[derive(Debug, Clone)]
pub struct NearDuplicate {
    pub record_kind: String,
    pub record_id: String,
    pub device_id: String,
    pub distance: u32,
}

#[derive(Debug, Clone)]
pub struct Detail {
    pub line: Line,
    pub statement: String,
    pub reporter: Reporter,
    /// Other sanggahan the same reporter filed (by NIK, on any phone).
    pub reporter_other_filings: usize,
    /// The recipient's row as the district's list has it (NIK masked), if imported here.
    pub recipient: Option<Json>,
    pub photos: Vec<Photo>,
    pub device_id: String,
    pub agent_id: String,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
}

fn days_left(filed_at: i64, now: i64) -> i64 {
    due_at(filed_at).saturating_sub(now).max(0) / perlinsos_rules::date::DAY_MS
}

/// The status as of `now`: an open one past its due date reads as lapsed even before the
/// sweeper has written it.
fn effective(status: Status, due: i64, now: i64) -> Status {
    if status == Status::Diterima && due <= now {
        Status::Kedaluwarsa
    } else {
        status
    }
}

const LINE_COLUMNS: &str =
    "id, kelurahan_code, recipient_id, reason, filed_at, due_at, status, device_id";

fn line_of(row: &db::Row, now: i64) -> Line {
    let stored = row[6]
        .text()
        .and_then(|s| Status::parse(&s))
        .unwrap_or(Status::Diterima);
    let status = effective(stored, row[5].int(), now);
    let filed_at = row[4].int();
    Line {
        id: row[0].text().unwrap_or_default(),
        kelurahan_code: row[1].text().unwrap_or_default(),
        recipient_id: row[2].text().unwrap_or_default(),
        reason: row[3].text().unwrap_or_default(),
        filed_at,
        status,
        days_left: status.is_open().then(|| days_left(filed_at, now)),
    }
}

/// Which sanggahan a list shows: a status (as of now), a kelurahan, a page (from 0), inside
/// the officer's scope.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub status: Option<Status>,
    pub kelurahan: Option<String>,
    pub page: usize,
    pub scope: Scope,
}

impl Default for ListQuery {
    /// Every sanggahan (the CLI, and tests): the console always sets the officer's scope.
    fn default() -> ListQuery {
        ListQuery {
            status: None,
            kelurahan: None,
            page: 0,
            scope: Scope::All,
        }
    }
}

pub struct ListPage {
    pub lines: Vec<Line>,
    pub more: bool,
}

/// One page of sanggahan, oldest first, filtered and paginated in SQL.
pub fn list(state: &AppState, query: &ListQuery) -> Result<ListPage, DbError> {
    let now = (state.clock)();
    let mut conditions = Vec::new();
    let mut params = Vec::new();
    match query.status {
        None => {}
        Some(Status::Kedaluwarsa) => {
            params.push(db::int(now));
            conditions.push(format!(
                "(status = 'kedaluwarsa' OR (status = 'diterima' AND due_at <= ?{}))",
                params.len()
            ));
        }
        Some(Status::Diterima) => {
            params.push(db::int(now));
            conditions.push(format!(
                "status = 'diterima' AND due_at > ?{}",
                params.len()
            ));
        }
        Some(other) => {
            params.push(db::text(other.as_str()));
            conditions.push(format!("status = ?{}", params.len()));
        }
    }
    if let Some(k) = &query.kelurahan {
        params.push(db::text(k.as_str()));
        conditions.push(format!("kelurahan_code = ?{}", params.len()));
    }
    if query.scope != Scope::All {
        conditions.push(query.scope.condition("kelurahan_code", &mut params));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let page = db::page_clause(&mut params, query.page);
    let sql = format!("SELECT {LINE_COLUMNS} FROM sanggahan {filter} ORDER BY filed_at, id {page}");
    let (rows, more) = db::split_page(state.db.read(|tx| tx.query(&sql, &params))?);
    Ok(ListPage {
        lines: rows.iter().map(|r| line_of(r, now)).collect(),
        more,
    })
}

/// The kelurahan that have sanggahan inside `scope`, for the list's filter.
pub fn kelurahan_with_sanggahan(state: &AppState, scope: &Scope) -> Result<Vec<String>, DbError> {
    let mut params = Vec::new();
    let condition = scope.condition("kelurahan_code", &mut params);
    let rows = state.db.read(|tx| {
        tx.query(
            &format!(
                "SELECT DISTINCT kelurahan_code FROM sanggahan WHERE {condition}
                 ORDER BY kelurahan_code"
            ),
            &params,
        )
    })?;
    Ok(rows.iter().filter_map(|r| r[0].text()).collect())
}

fn sanggahan_row(tx: &mut dyn Tx, id: &str) -> Result<Option<db::Row>, DbError> {
    tx.query_one(
        &format!("SELECT {LINE_COLUMNS}, entry_id, reporter_index FROM sanggahan WHERE id = ?1"),
        &[db::text(id)],
    )
}

/// Everything the detail page shows; None when there is no such sanggahan.
pub fn detail(state: &AppState, id: &str) -> Result<Option<Detail>, DbError> {
    let now = (state.clock)();
    let found = state.db.read(|tx| {
        let Some(row) = sanggahan_row(tx, id)? else {
            return Ok(None);
        };
        let body = crate::stored::entry_body(tx, &state.keys, &row[8].text().unwrap_or_default())?
            .and_then(|text| serde_json::from_str::<Body>(&text).ok());
        let Some(body) = body else {
            return Ok(None);
        };
        let device_id = row[7].text().unwrap_or_default();
        let device = db::device(tx, &device_id)?;
        let decision = tx.query_one(
            "SELECT status, reason, decided_by FROM sanggahan_decisions WHERE sanggahan_id = ?1",
            &[db::text(id)],
        )?;
        let others = tx
            .query_one(
                "SELECT count(*) FROM sanggahan WHERE reporter_index = ?1 AND id <> ?2",
                &[row[9].clone(), db::text(id)],
            )?
            .map(|r| r[0].int())
            .unwrap_or(0);
        let recipient_id = row[2].text().unwrap_or_default();
        let recipient = tx
            .query_one(
                "SELECT body, sealed FROM recipients WHERE id = ?1",
                &[db::text(recipient_id.as_str())],
            )?
            .and_then(|r| {
                let context = crate::stored::recipient_context(&recipient_id);
                crate::stored::open_text(&state.keys, &context, r[0].text(), r[1].blob())
            })
            .and_then(|text| serde_json::from_str(&text).ok());
        // This record's photos, then every photo that may be a near duplicate of one of them
        // (through the band indexes); `photo` keeps those within the distance.
        let mut index = tx.query(
            &format!("SELECT {INDEX_COLUMNS} FROM evidence_index WHERE record_id = ?1"),
            &[db::text(id)],
        )?;
        let own: Vec<u64> = index.iter().map(|r| r[4].int() as u64).collect();
        if let Some(mut condition) = crate::photo_bands::candidates_condition(&own) {
            if tx.is_postgres() {
                let exact = crate::photo_bands::within_distance_postgres(&own);
                condition = format!("({condition}) AND {exact}");
            }
            index.extend(tx.query(
                &format!("SELECT {INDEX_COLUMNS} FROM evidence_index WHERE {condition}"),
                &[],
            )?);
        }
        Ok(Some((
            body,
            device,
            line_of(&row, now),
            decision,
            others,
            recipient,
            index,
        )))
    })?;
    let Some((body, device, line, decision, others, recipient, index)) = found else {
        return Ok(None);
    };
    // A name that is not a hash (stored before the server checked them) is never read nor
    // linked.
    let photos = body
        .evidence
        .iter()
        .filter_map(|e| Some((BlobName::parse(&e.sha256)?, e)))
        .map(|(name, e)| photo(state, &name, e, device.as_ref(), id, &index))
        .collect();
    Ok(Some(Detail {
        line,
        statement: body.statement,
        reporter: body.reporter,
        reporter_other_filings: others.max(0) as usize,
        recipient,
        photos,
        agent_id: device
            .as_ref()
            .map(|d| d.agent_id.clone())
            .unwrap_or_default(),
        device_id: device.map(|d| d.device_id).unwrap_or_default(),
        decision_reason: decision.as_ref().and_then(|r| r[1].text()),
        decided_by: decision.as_ref().and_then(|r| r[2].text()),
    }))
}

const INDEX_COLUMNS: &str = "sha256, record_kind, record_id, device_id, phash";

/// Checks the photo on disk against its attestation now (not only at upload), and searches
/// every other record's photos with the server's own hash of this one.
fn photo(
    state: &AppState,
    name: &BlobName,
    evidence: &EvidenceRef,
    device: Option<&db::Device>,
    record_id: &str,
    index: &[db::Row],
) -> Photo {
    let jpeg = read_stored(state, name).ok().flatten();
    let attestation_valid = match (&jpeg, device) {
        (Some(jpeg), Some(device)) => {
            attest::verify(&evidence.attestation, jpeg, &device.public_key).is_ok()
                && evidence.attestation.device_id == device.device_id
                && evidence.attestation.sha256 == evidence.sha256
        }
        _ => false,
    };
    let own = index
        .iter()
        .find(|r| r[0].text().as_deref() == Some(name.as_str()))
        .map(|r| r[4].int() as u64);
    let near_duplicates = match own {
        Some(own) => index
            .iter()
            .filter(|r| r[2].text().as_deref() != Some(record_id))
            .filter_map(|r| {
                let distance = phash::distance(own, r[4].int() as u64);
                phash::is_near_duplicate(own, r[4].int() as u64).then(|| NearDuplicate {
                    record_kind: r[1].text().unwrap_or_default(),
                    record_id: r[2].text().unwrap_or_default(),
                    device_id: r[3].text().unwrap_or_default(),
                    distance,
                })
            })
            .collect(),
        None => Vec::new(),
    };
    Photo {
        sha256: name.as_str().to_owned(),
        attestation_valid,
        captured_at: evidence.attestation.captured_at,
        gps: evidence.attestation.gps,
        near_duplicates,
    }
}

/// Records an officer's decision and queues it for the phone that sent the sanggahan, in one
/// transaction with the audit entry. Only an open one (diterima, within its 14 days) can be
/// decided; a refusal changes nothing.
/// An officer's decision as the form gives it, checked before anything is read: a closing
/// status (diverifikasi or ditolak) and the reason, trimmed (required to refuse, at most 500
/// characters).
pub fn check_decision<'a>(
    decision: &str,
    reason: Option<&'a str>,
) -> Result<(Status, Option<&'a str>), Refusal> {
    let status = match Status::parse(decision) {
        Some(s @ (Status::Diverifikasi | Status::Ditolak)) => s,
        _ => return Err(DECISION_INVALID),
    };
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS)
        || (status == Status::Ditolak && reason.is_none())
    {
        return Err(REASON_REQUIRED);
    }
    Ok((status, reason))
}

pub fn decide(
    state: &AppState,
    operator: &str,
    id: &str,
    decision: &str,
    reason: Option<&str>,
) -> Result<Status, Refusal> {
    let (status, reason) = check_decision(decision, reason)?;
    expire_overdue(state)?;
    let now = (state.clock)();
    state.db.write(|tx| {
        let row = sanggahan_row(tx, id)?.ok_or(NOT_FOUND)?;
        if !line_of(&row, now).status.is_open() {
            return Err(ALREADY_CLOSED);
        }
        let closing = Closing {
            id,
            device_id: &row[7].text().unwrap_or_default(),
            status,
            reason,
            operator,
            now,
        };
        close(tx, &state.keys, &closing)?;
        Ok(status)
    })
}

/// A sanggahan being closed: by whom, how, and for which phone.
struct Closing<'a> {
    id: &'a str,
    device_id: &'a str,
    status: Status,
    reason: Option<&'a str>,
    operator: &'a str,
    now: i64,
}

fn close(tx: &mut dyn Tx, keys: &ServerKeys, c: &Closing<'_>) -> Result<(), DbError> {
    tx.execute(
        "UPDATE sanggahan SET status = ?2, status_at = ?3 WHERE id = ?1",
        &[db::text(c.id), db::text(c.status.as_str()), db::int(c.now)],
    )?;
    record_decision(tx, keys, c)
}

/// The decision row, the phone's change and the operator's audit entry of a closed sanggahan.
fn record_decision(tx: &mut dyn Tx, keys: &ServerKeys, c: &Closing<'_>) -> Result<(), DbError> {
    let Closing {
        id,
        device_id,
        status,
        reason,
        operator,
        now,
    } = *c;
    tx.execute(
        "INSERT INTO sanggahan_decisions (sanggahan_id, status, reason, decided_at, decided_by)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        &[
            db::text(id),
            db::text(status.as_str()),
            db::opt_text(reason),
            db::int(now),
            db::text(operator),
        ],
    )?;
    db::add_status_change(
        tx,
        keys,
        device_id,
        "sanggahan",
        id,
        status.as_str(),
        reason,
        now,
    )?;
    staff_audit::record(
        tx,
        now,
        operator,
        &format!("sanggahan_{}", status.as_str()),
        Some(id),
        None,
    )
}

/// Sanggahan lapsed per transaction: after a long stop thousands may be due at once, and one
/// transaction for all of them would hold their rows (and officers' decisions) for minutes.
pub const EXPIRE_CHUNK: i64 = 500;

/// Every sanggahan still open 14 days after filing becomes kedaluwarsa, here and (on its next
/// sync) on the phone: indexed UPDATEs of at most `EXPIRE_CHUNK` rows, each in its own
/// transaction with the decision rows and the phones' changes of those it closed. Run by the
/// sweeper (and before a decision), not on page views. Returns how many lapsed.
pub fn expire_overdue(state: &AppState) -> Result<usize, DbError> {
    let now = (state.clock)();
    let mut total = 0;
    loop {
        let lapsed = state.db.write(|tx| {
            let lapsed = tx.query(
                "UPDATE sanggahan SET status = ?1, status_at = ?2
                 WHERE id IN (SELECT id FROM sanggahan WHERE status = ?3 AND due_at <= ?2
                              ORDER BY due_at, id LIMIT ?4)
                 RETURNING id, device_id",
                &[
                    db::text(Status::Kedaluwarsa.as_str()),
                    db::int(now),
                    db::text(Status::Diterima.as_str()),
                    db::int(EXPIRE_CHUNK),
                ],
            )?;
            for row in &lapsed {
                let (id, device) = (row[0].text().unwrap_or_default(), row[1].text());
                let device = device.unwrap_or_default();
                let closing = Closing {
                    id: &id,
                    device_id: &device,
                    status: Status::Kedaluwarsa,
                    reason: None,
                    operator: SYSTEM,
                    now,
                };
                record_decision(tx, &state.keys, &closing)?;
            }
            Ok::<_, DbError>(lapsed.len())
        })?;
        total += lapsed;
        if (lapsed as i64) < EXPIRE_CHUNK {
            return Ok(total);
        }
    }
}

/// Indexes one photo of an accepted record with the server's own perceptual hash, inside the
/// transaction that stores the record (the photo was read and hashed before it).
pub fn index_photo(
    tx: &mut dyn Tx,
    name: &BlobName,
    record_kind: &str,
    record_id: &str,
    device_id: &str,
    phash: u64,
) -> Result<(), DbError> {
    let [band0, band1, band2, band3] = crate::photo_bands::bands(phash);
    tx.execute(
        "INSERT INTO evidence_index (sha256, record_kind, record_id, device_id, phash,
                                     band0, band1, band2, band3)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        &[
            db::text(name.as_str()),
            db::text(record_kind),
            db::text(record_id),
            db::text(device_id),
            db::int(phash as i64),
            db::int(band0),
            db::int(band1),
            db::int(band2),
            db::int(band3),
        ],
    )?;
    Ok(())
}
