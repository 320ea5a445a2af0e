//! Sync with the district server: enrollment, then push (evidence blobs first, resumable; then
//! outbox entries in batches with a result per entry) and pull (models, recipient lists,
//! statuses since a cursor).
//!
//! Every change to the phone's records happens in a short transaction after the server has
//! answered, and each is idempotent, so dropping the future at any await point (or killing the
//! process) leaves the outbox consistent: whatever was not confirmed is sent again, and the
//! server recognises a repeated entry by its id. Transient failures (no connection, timeouts,
//! 5xx, 429) end the pass with a wait for the caller's backoff; permanent refusals park the
//! entry with its code and reason for the agent to see and retry.
pub mod backoff;
pub mod client;
pub mod pinned;

use std::sync::Arc;

use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::signing::{handover_receipt_text, push_receipt_text, ReceiptLine};
use perlinsos_protocol::wire::ErrorBody;
use perlinsos_protocol::wire::{
    Change, ChangesResponse, EnrollRequest, EnrollResponse, ErrorCode as WireCode, HandoverRequest,
    Outcome, PushEntry, PushRequest, PushResponse, HEADER_BLOB_KEY, HEADER_BLOB_LENGTH,
    HEADER_BLOB_OFFSET, HEADER_BLOB_RECEIVED,
};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ED25519};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::crypt::Cipher;
use crate::error::{Error, ErrorCode, Result};
use crate::evidence::book::EvidenceBook;
use crate::purge::{self, RecordKind};
use crate::registration::Clock;
use crate::sanggahan::{SanggahanBook, Status};
use crate::session::device::Device;
use crate::store::Store;
use client::{Client, Failure, Signer};

/// Entries per outbox request: small enough for a few seconds on 3G, large enough that the
/// per-request overhead stays small.
pub const BATCH: usize = 50;
/// Bytes of a blob per PUT: an interrupted upload loses at most this much.
pub const CHUNK: usize = 128 * 1024;
const ENROLLMENT: &str = "enrollment";
/// When the district revoked this device (its signed notice verified): the phone locks.
const REVOKED: &str = "device_revoked";
const CURSOR: &str = "changes_cursor";

/// What the server told this phone at enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    pub agent_id: String,
    pub scope: Vec<String>,
    pub district_public_key: String,
    /// The server the ticket named; the only one this phone syncs with. Empty for a phone
    /// enrolled before tickets: it must enroll again.
    #[serde(default)]
    pub server_url: String,
    /// SHA-256 of the server certificate the ticket pinned (hex), trusted instead of the
    /// platform's roots for every later sync; None: the platform's roots decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cert_sha256: Option<String>,
    /// The certificates the district announced since (a rollover), trusted instead of
    /// `server_cert_sha256` when not empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub server_cert_pins: Vec<String>,
    /// When the district issued the announcement the pins came from (0: none yet). The feed
    /// replays every announcement to a phone enrolled later, in order; an announcement no
    /// newer than this one changes nothing.
    #[serde(default)]
    pub server_certs_at: i64,
}

impl Enrollment {
    /// The certificates this phone trusts (SHA-256, hex); empty: the platform's roots decide.
    pub fn server_pins(&self) -> Vec<&str> {
        if self.server_cert_pins.is_empty() {
            self.server_cert_sha256.iter().map(String::as_str).collect()
        } else {
            self.server_cert_pins.iter().map(String::as_str).collect()
        }
    }
}

/// Most certificates one announcement may name: the current one, the next, and room for a
/// spare; more is no rollover.
const MAX_ANNOUNCED_PINS: usize = 4;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub accepted: usize,
    /// Accepted entries other than audit entries.
    pub records_accepted: usize,
    pub duplicates: usize,
    pub parked: usize,
    pub blobs_uploaded: usize,
    pub blob_bytes_sent: u64,
    pub request_bytes_sent: u64,
    pub changes_applied: usize,
    pub models_refused: usize,
    /// Record keys in the change feed without the district's signature (ignored).
    pub keys_refused: usize,
    /// The pull stopped before a change only an unlocked agent can store.
    pub changes_waiting: bool,
    /// Answers to pushes without a valid district receipt (nothing was changed for them).
    pub answers_refused: usize,
    /// Pages of changes not signed by the district for this phone (none of them applied).
    pub changes_refused: usize,
    /// Entries of an earlier identity of this phone the district now holds (`hand_over`).
    pub handed_over: usize,
    /// The district refused the hand-over (`HANDOVER_NOT_ALLOWED`: this device was not
    /// enrolled as the old one's replacement, or the old one is not revoked); the entries
    /// stay queued.
    pub handover_refused: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Done,
    NeedsAgent,
}

/// Progress of a pass, for the agent's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Blob { sent_bytes: u64, total_bytes: u64 },
    Entries { done: usize, pending: usize },
    Changes { applied: usize },
}

/// How a pass ended early.
#[derive(Debug)]
pub enum Interrupted {
    /// Try again after a backoff (at least `retry_after_ms` when the server said so).
    Transient { retry_after_ms: Option<i64> },
    /// The phone cannot sync until a person acts (not enrolled, device refused, ...).
    Stopped(Error),
}

impl From<Error> for Interrupted {
    fn from(e: Error) -> Interrupted {
        Interrupted::Stopped(e)
    }
}

fn transient(failure: Failure) -> Interrupted {
    match failure {
        Failure::Transient { retry_after_ms } => Interrupted::Transient { retry_after_ms },
        // Stopped, not retried: the agent must hear that this network is not to be trusted.
        // Nothing was sent, so the outbox keeps everything for a later pass.
        Failure::CertificateRefused => {
            Interrupted::Stopped(Error::invalid("sync", ErrorCode::ServerCertMismatch))
        }
        Failure::CertificateUntrusted => {
            Interrupted::Stopped(Error::invalid("sync", ErrorCode::ServerCertUntrusted))
        }
        Failure::Refused { body, status, .. } => {
            let code = body.map(|b| b.code);
            match code {
                Some(c) if c.is_transient() => Interrupted::Transient {
                    retry_after_ms: None,
                },
                _ => Interrupted::Stopped(Error::Invalid(vec![crate::error::FieldError::new(
                    "sync",
                    ErrorCode::SyncRefused,
                )
                .with_detail(&format!("(HTTP {status}, {code:?})"))])),
            }
        }
    }
}

/// When the district revoked this device, if it did (a verified notice only).
pub fn revoked(store: &Store) -> Result<Option<i64>> {
    Ok(meta(store, REVOKED)?
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|v| v.parse().ok()))
}

/// The sync's own value `key` of the phone's `meta` table.
fn meta(store: &Store, key: &str) -> Result<Option<Vec<u8>>> {
    store.read(|conn| meta_in(conn, key))
}

/// `key` of `meta` read in the caller's transaction.
fn meta_in(conn: &rusqlite::Connection, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// Sets `key` of `meta`, in the caller's transaction.
fn set_meta(tx: &rusqlite::Transaction<'_>, key: &str, value: &[u8]) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        params![key, value],
    )?;
    Ok(())
}

/// Forgets the enrollment, the revocation lock and the change cursor, in the caller's
/// transaction (the phone takes a new identity: `Device::replace`).
pub(crate) fn forget_enrollment(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    for key in [ENROLLMENT, REVOKED, CURSOR] {
        tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    }
    Ok(())
}

fn revoked_refusal() -> Error {
    Error::invalid("sync", ErrorCode::DeviceRevoked)
}

/// Takes the certificates the district announced (the change is already verified as
/// signed) for the next syncs, in place of those pinned so far; false, changing nothing, when
/// this phone pinned none at enrollment (the platform's roots decide for it) or the set is no
/// set of pins. An announcement no newer than what the phone holds is ignored (true).
fn announced_pins(tx: &rusqlite::Transaction<'_>, pins: &[String], issued_at: i64) -> Result<bool> {
    let Some(json) = meta_in(tx, ENROLLMENT)? else {
        return Ok(false);
    };
    let mut enrollment: Enrollment =
        serde_json::from_slice(&json).map_err(|_| Error::Corrupt("enrollment"))?;
    // A pin is a lowercase hex SHA-256, as a blob's name is.
    let pins_only = (1..=MAX_ANNOUNCED_PINS).contains(&pins.len())
        && pins.iter().all(|pin| crate::hex::is_sha256_name(pin));
    if enrollment.server_cert_sha256.is_none() || !pins_only {
        return Ok(false);
    }
    if issued_at <= enrollment.server_certs_at {
        return Ok(true);
    }
    enrollment.server_cert_pins = pins.to_vec();
    enrollment.server_certs_at = issued_at;
    let json = serde_json::to_vec(&enrollment).map_err(|_| Error::Corrupt("enrollment"))?;
    set_meta(tx, ENROLLMENT, &json)?;
    Ok(true)
}

pub fn enrollment(store: &Store) -> Result<Option<Enrollment>> {
    meta(store, ENROLLMENT)?
        .map(|v| serde_json::from_slice(&v).map_err(|_| Error::Corrupt("enrollment")))
        .transpose()
}

/// The PMT models sync brought, verified again against the district key as they are loaded
/// (a file edited on the phone is not trusted); none before enrollment.
pub fn received_models(store: &Store) -> Result<Vec<crate::pmt::model::Model>> {
    let Some(enrollment) = enrollment(store)? else {
        return Ok(Vec::new());
    };
    let key = crate::hex::decode(&enrollment.district_public_key)
        .ok_or(Error::Corrupt("district key"))?;
    let trusted = [crate::pmt::signed::TrustedKey {
        key_id: "district".to_owned(),
        public_key: key,
    }];
    let files: Vec<String> = store.read(|conn| {
        let mut stmt = conn.prepare("SELECT signed FROM models ORDER BY id, version")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    files
        .iter()
        .map(|file| crate::pmt::signed::verify(file.as_bytes(), &trusted))
        .collect()
}

/// The model a questionnaire in `region_code` uses on `date`, among those the district sent
/// (the most specific region, then the latest, then the highest version): PMT_NO_ACTIVE_MODEL
/// when none holds there and then.
pub fn active_model(
    store: &Store,
    region_code: &str,
    date: crate::date::Date,
) -> Result<crate::pmt::model::Model> {
    let models = received_models(store)?;
    Ok(crate::pmt::signed::select_active(&models, region_code, date)?.clone())
}

/// What waits to go up, and what the server refused for good with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxStatus {
    pub pending: usize,
    /// Of `pending`, the entries that carry photos (their upload wants a foreground job).
    pub pending_with_photos: usize,
    pub parked: Vec<Parked>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parked {
    pub kind: String,
    pub entity_id: String,
    /// The wire code and its Indonesian text.
    pub reason: String,
}

/// The outbox as the sync screen shows it.
pub fn outbox_status(store: &Store) -> Result<OutboxStatus> {
    store.read(|conn| {
        let (pending, pending_with_photos) = conn.query_row(
            "SELECT count(*), coalesce(sum(blobs IS NOT NULL AND blobs <> '[]'), 0)
             FROM outbox WHERE status = 'pending'",
            [],
            |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
        )?;
        let mut stmt = conn.prepare(
            "SELECT kind, entity_id, coalesce(park_reason, '') FROM outbox
             WHERE status = 'parked' ORDER BY created_at, id",
        )?;
        let parked = stmt
            .query_map([], |r| {
                Ok(Parked {
                    kind: r.get(0)?,
                    entity_id: r.get(1)?,
                    reason: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(OutboxStatus {
            pending,
            pending_with_photos,
            parked,
        })
    })
}

/// Parked entries go back to the queue (the agent pressed "kirim ulang").
pub fn retry_parked(store: &Store) -> Result<usize> {
    store.write(|tx| {
        Ok(tx.execute(
            "UPDATE outbox SET status = 'pending', park_reason = NULL WHERE status = 'parked'",
            [],
        )?)
    })
}

/// Enrolls this phone with an operator's ticket (the QR payload of `perlinsos-server
/// enroll-code`): its code, the server's address and the district key's fingerprint. The answer
/// counts only if its district key has that fingerprint and it signed the record key; the
/// address, and the server certificate when the ticket pins one, are bound for every later
/// sync.
pub async fn enroll(
    store: &Store,
    device: &Device,
    ticket: &str,
) -> std::result::Result<Enrollment, Interrupted> {
    use perlinsos_protocol::enrollment::{Ticket, TicketError};
    let ticket = Ticket::parse(ticket).map_err(|e| {
        Interrupted::Stopped(Error::invalid(
            "code",
            match e {
                TicketError::Insecure => ErrorCode::ServerUrlInsecure,
                TicketError::Malformed => ErrorCode::EnrollTicketInvalid,
            },
        ))
    })?;
    let code = ticket.code.as_str();
    let pins: Vec<&str> = ticket
        .server_cert_sha256
        .iter()
        .map(String::as_str)
        .collect();
    let client = Client::new(&ticket.server_url, &pins)?;
    let body = serde_json::to_vec(&EnrollRequest {
        code: code.to_owned(),
        device_id: device.id.clone(),
        device_public_key: crate::hex::encode(device.public_key()),
    })
    .map_err(|_| Error::Corrupt("enroll request"))?;
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let response = client
        .send(Method::POST, "/v1/enroll", headers, body, None)
        .await
        .map_err(transient)?;
    if !response.status().is_success() {
        return Err(match Client::refusal(response).await {
            Failure::Refused { .. } => {
                Interrupted::Stopped(Error::invalid("code", ErrorCode::SyncEnrollRefused))
            }
            other => transient(other),
        });
    }
    let answer: EnrollResponse = read_json(response, client::MAX_ANSWER_BYTES).await?;
    let district_key = crate::hex::decode(&answer.district_public_key)
        .filter(|key| ticket.names_key(key))
        .ok_or_else(|| {
            Interrupted::Stopped(Error::invalid("code", ErrorCode::DistrictKeyMismatch))
        })?;
    let enrollment = Enrollment {
        agent_id: answer.agent_id.clone(),
        scope: answer.scope,
        district_public_key: answer.district_public_key,
        server_url: ticket.server_url.clone(),
        server_cert_sha256: ticket.server_cert_sha256.clone(),
        server_cert_pins: Vec::new(),
        server_certs_at: 0,
    };
    let json = serde_json::to_vec(&enrollment).map_err(|_| Error::Corrupt("enrollment"))?;
    store.write(|tx| {
        // A record key the district did not sign is no enrollment at all.
        if !crate::record_keys::accept(
            tx,
            &district_key,
            &answer.record_key,
            crate::date::now_millis(),
        )? {
            return Err(Error::invalid("code", ErrorCode::SyncEnrollRefused));
        }
        // What was made before enrollment is sealed for the district now, in this transaction.
        crate::record_keys::reseal_for_district(tx, &device.reference_cipher())?;
        set_meta(tx, ENROLLMENT, &json)
    })?;
    Ok(enrollment)
}

/// An answer's JSON body, read to at most `limit` bytes. Past it the sync stops with its own
/// code (the phone keeps everything); a body that breaks off or does not parse is transient.
async fn read_json<T: serde::de::DeserializeOwned>(
    response: reqwest::Response,
    limit: usize,
) -> std::result::Result<T, Interrupted> {
    let transient = Interrupted::Transient {
        retry_after_ms: None,
    };
    match client::read_limited(response, limit).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| transient),
        Err(client::ReadError::TooLarge) => Err(Interrupted::Stopped(Error::invalid(
            "sync",
            ErrorCode::ResponseTooLarge,
        ))),
        Err(client::ReadError::Broken) => Err(transient),
    }
}

/// An outbox row as sync sends it: sealed, never opened on the phone.
struct Pending {
    id: String,
    kind: String,
    entity_id: String,
    sealed: Vec<u8>,
    key_id: String,
    kelurahan_code: Option<String>,
    blobs: Vec<String>,
    created_at: i64,
}

/// The device's sync: every queued record (sealed at enqueue, so no agent key is needed to
/// send it) and the changes the district publishes. With an agent's cipher it also applies
/// what must be sealed for that agent (a sanggahan status with an officer's reason); without
/// one, the pull stops before such a change and the next unlocked sync applies it.
pub struct Syncer {
    store: Arc<Store>,
    device: Arc<Device>,
    agent_id: String,
    client: Client,
    /// The district's Ed25519 key from enrollment: it signs every answer the phone obeys.
    district_key: Vec<u8>,
    clock: Clock,
    sanggahan: Option<SanggahanBook>,
    enrollment: Enrollment,
    progress: Option<Box<dyn Fn(Progress) + Send + Sync>>,
    /// (base, cap) of the backoff in ms.
    backoff: (i64, i64),
    /// Photos the district said it lacks although a HEAD answered "have it" (a forged answer
    /// on the path): uploaded from the start from then on, whatever HEAD says.
    upload_anyway: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Syncer {
    /// `cipher` is the agent's (from the unlocked session).
    pub fn new(
        store: Arc<Store>,
        device: Arc<Device>,
        cipher: Arc<Cipher>,
        blob_dir: impl Into<std::path::PathBuf>,
        clock: Clock,
    ) -> Result<Syncer> {
        let sanggahan = SanggahanBook::new(
            store.clone(),
            cipher.clone(),
            EvidenceBook::open(store.clone(), cipher, blob_dir)?,
            clock.clone(),
            &device,
        );
        let mut syncer = Syncer::locked(store, device, clock)?;
        syncer.sanggahan = Some(sanggahan);
        Ok(syncer)
    }

    /// A sync that needs no agent: the device key signs, the queue is already sealed. What
    /// the app's background worker runs when the signal comes back. It talks to the server
    /// the enrollment ticket named, and to nothing else.
    pub fn locked(store: Arc<Store>, device: Arc<Device>, clock: Clock) -> Result<Syncer> {
        if revoked(&store)?.is_some() {
            return Err(revoked_refusal());
        }
        let enrollment = enrollment(&store)?
            .filter(|e| !e.server_url.is_empty())
            .ok_or_else(|| Error::invalid("sync", ErrorCode::SyncNotEnrolled))?;
        let district_key = crate::hex::decode(&enrollment.district_public_key)
            .ok_or(Error::Corrupt("district key"))?;
        Ok(Syncer {
            agent_id: enrollment.agent_id.clone(),
            client: Client::new(&enrollment.server_url, &enrollment.server_pins())?,
            district_key,
            store,
            device,
            clock,
            sanggahan: None,
            enrollment,
            progress: None,
            backoff: (backoff::BASE_MS, backoff::CAP_MS),
            upload_anyway: Default::default(),
        })
    }

    /// Sends the requests to `url`, a proxy in front of the bound server (the tests' fault
    /// and link-shaping proxy). Everything the phone obeys still needs the district's
    /// signatures, and an https proxy the certificate the enrollment pinned; the app never
    /// calls this.
    pub fn via_proxy(mut self, url: &str) -> Result<Syncer> {
        perlinsos_protocol::enrollment::check_url(url)
            .map_err(|_| Error::invalid("url", ErrorCode::ServerUrlInsecure))?;
        self.client = Client::new(url, &self.enrollment.server_pins())?;
        Ok(self)
    }

    /// Shorter waits between passes (tests, or a phone on a known-good link).
    pub fn with_backoff(mut self, base_ms: i64, cap_ms: i64) -> Syncer {
        self.backoff = (base_ms.max(1), cap_ms.max(base_ms.max(1)));
        self
    }

    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Syncer {
        self.progress = Some(Box::new(f));
        self
    }

    fn report(&self, p: Progress) {
        if let Some(f) = &self.progress {
            f(p);
        }
    }

    fn signer(&self) -> Signer<'_> {
        Signer {
            device_id: &self.device.id,
            key: self.device.key(),
            now_ms: (self.clock)(),
        }
    }

    /// One pass: push everything pending, then pull every change. A pass that moved records
    /// either way is recorded in the audit trail, and that entry is pushed before the pass
    /// ends.
    pub async fn sync(&self) -> std::result::Result<Report, Interrupted> {
        let mut report = Report::default();
        self.sync_into(&mut report).await?;
        Ok(report)
    }

    /// A pass that adds what it did to `report`, also when it ends early.
    async fn sync_into(&self, report: &mut Report) -> std::result::Result<(), Interrupted> {
        self.reseal()?;
        self.push(report).await?;
        // This pass's answer only (`run` adds passes into one report).
        report.handover_refused = false;
        match self.hand_over_into(report).await {
            Ok(()) => {}
            // Refused for good: the entries wait (the operator may still bind this device);
            // this device's own sync goes on.
            Err(Interrupted::Stopped(_)) if report.handover_refused => {}
            Err(e) => return Err(e),
        }
        self.pull(report).await?;
        if report.records_accepted > 0 || report.changes_applied > 0 {
            let now = (self.clock)();
            self.store.write(|tx| {
                crate::audit::append(
                    tx,
                    self.device.key(),
                    &self.agent_id,
                    crate::audit::Action::Sync,
                    None,
                    now,
                )
                .map(drop)
            })?;
            // A record key may have come with the changes.
            self.reseal()?;
            self.push(report).await?;
        }
        Ok(())
    }

    /// Passes until one completes, waiting with backoff and jitter after each transient
    /// failure; at most `max_passes`. The report adds up every pass. Dropping this future at
    /// any point is safe.
    pub async fn run(&self, max_passes: u32) -> std::result::Result<Report, Interrupted> {
        let mut failures = 0;
        let mut report = Report::default();
        loop {
            match self.sync_into(&mut report).await {
                Ok(()) => return Ok(report),
                Err(Interrupted::Transient { retry_after_ms }) if failures + 1 < max_passes => {
                    let wait = backoff::delay_ms(
                        self.backoff,
                        failures,
                        backoff::unit_random(),
                        retry_after_ms,
                    );
                    failures += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(wait as u64)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// What was queued before the phone knew a district key, sealed for it now.
    fn reseal(&self) -> Result<usize> {
        let reference = self.device.reference_cipher();
        self.store
            .write(|tx| crate::record_keys::reseal_for_district(tx, &reference))
    }

    /// Queued entries sealed for a district key (the audit trail in order, last): the device's
    /// own, and this agent's households and sanggahan.
    fn pending(&self) -> Result<Vec<Pending>> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT o.id, o.kind, o.entity_id, o.payload, o.key_id, o.kelurahan_code,
                        coalesce(o.blobs, '[]'), o.created_at FROM outbox o
                 WHERE o.status = 'pending' AND o.handover_from IS NULL
                   AND o.key_id IN (SELECT key_id FROM record_keys WHERE district = 1)
                   AND (
                   o.kind = ?1
                   OR EXISTS (SELECT 1 FROM households h WHERE h.id = o.entity_id AND h.agent_id = ?2)
                   OR EXISTS (SELECT 1 FROM evidence e WHERE e.id = o.entity_id AND e.agent_id = ?2)
                   OR EXISTS (SELECT 1 FROM sanggahan s WHERE s.id = o.entity_id AND s.agent_id = ?2)
                   OR EXISTS (SELECT 1 FROM visits v WHERE v.id = o.entity_id AND v.agent_id = ?2)
                   OR EXISTS (SELECT 1 FROM objections j WHERE j.id = o.entity_id AND j.agent_id = ?2))
                 ORDER BY o.kind = ?1,
                          CASE WHEN o.kind = ?1 THEN CAST(o.entity_id AS INTEGER) END,
                          o.created_at, o.id",
            )?;
            let rows = stmt.query_map(params![outbox_kind::AUDIT_APPENDED, self.agent_id], |r| {
                Ok((
                    Pending {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        entity_id: r.get(2)?,
                        sealed: r.get(3)?,
                        key_id: r.get(4)?,
                        kelurahan_code: r.get(5)?,
                        blobs: Vec::new(),
                        created_at: r.get(7)?,
                    },
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (mut pending, blobs) = row?;
                pending.blobs =
                    serde_json::from_str(&blobs).map_err(|_| Error::Corrupt("outbox blobs"))?;
                out.push(pending);
            }
            Ok(out)
        })
    }

    /// The entry as the server takes it: the sealed record and its unsealed envelope.
    fn wire_entry(&self, p: &Pending) -> PushEntry {
        PushEntry {
            id: p.id.clone(),
            kind: p.kind.clone(),
            entity_id: p.entity_id.clone(),
            key_id: p.key_id.clone(),
            sealed: crate::hex::encode(&p.sealed),
            kelurahan_code: p.kelurahan_code.clone(),
            blobs: p.blobs.clone(),
            created_at: p.created_at,
        }
    }

    /// Every pending record as the server would receive it, one JSON array (the benchmark's
    /// measure of the least the records can cost on the wire, once compressed).
    pub fn wire_records(&self) -> Result<Vec<u8>> {
        let mut entries = Vec::new();
        for p in self.pending()? {
            entries.push(self.wire_entry(&p));
        }
        serde_json::to_vec(&entries).map_err(|_| Error::Corrupt("records json"))
    }

    async fn push(&self, report: &mut Report) -> std::result::Result<(), Interrupted> {
        let pending = self.pending()?;
        let total = pending.len();
        let mut done = 0;
        for batch in pending.chunks(BATCH) {
            let mut entries = Vec::with_capacity(batch.len());
            for p in batch {
                for sha in &p.blobs {
                    self.upload(sha, report).await?;
                }
                entries.push(self.wire_entry(p));
            }
            let hashes: Vec<String> = entries
                .iter()
                .map(|e| crate::hex::encode(digest(&SHA256, e.sealed.as_bytes()).as_ref()))
                .collect();
            let json = serde_json::to_vec(&PushRequest { entries })
                .map_err(|_| Error::Corrupt("push json"))?;
            let body = gzip(&json)?;
            report.request_bytes_sent += body.len() as u64;
            let mut headers = HeaderMap::new();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            headers.insert("content-encoding", HeaderValue::from_static("gzip"));
            let response = self
                .client
                .send(
                    Method::POST,
                    "/v1/outbox",
                    headers,
                    body,
                    Some(self.signer()),
                )
                .await
                .map_err(transient)?;
            if !response.status().is_success() {
                return Err(self.refused(Client::refusal(response).await));
            }
            let answer: PushResponse = read_json(response, client::MAX_ANSWER_BYTES).await?;
            if !self.receipt_holds(batch, &hashes, &answer) {
                // Not the district's answer (or not to what was sent): nothing is confirmed,
                // purged or parked; the batch goes again.
                report.answers_refused += 1;
                return Err(Interrupted::Transient {
                    retry_after_ms: None,
                });
            }
            // All answers of the batch in one transaction: one commit, not one per entry.
            let retry_later = self.store.write(|tx| {
                let mut retry_later = false;
                for result in &answer.results {
                    let Some(p) = batch.iter().find(|p| p.id == result.id) else {
                        continue;
                    };
                    match &result.outcome {
                        Outcome::Accepted | Outcome::Duplicate => {
                            self.confirmed(tx, p)?;
                            if result.outcome == Outcome::Duplicate {
                                report.duplicates += 1;
                            } else {
                                report.accepted += 1;
                                if p.kind != outbox_kind::AUDIT_APPENDED {
                                    report.records_accepted += 1;
                                }
                            }
                        }
                        Outcome::Rejected { code, .. } => {
                            retry_later |= self.refused_entry(tx, p, *code, report)?;
                        }
                    }
                }
                Ok(retry_later)
            })?;
            done += batch.len();
            self.report(Progress::Entries {
                done,
                pending: total - done,
            });
            if retry_later {
                return Err(Interrupted::Transient {
                    retry_after_ms: None,
                });
            }
        }
        Ok(())
    }

    /// Entries queued under an earlier identity of this phone (`Device::replace`), oldest
    /// first per old device (its audit trail in order, last), as they were sealed.
    fn handover_pending(&self) -> Result<Vec<(String, Pending)>> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, kind, entity_id, payload, key_id, kelurahan_code,
                        coalesce(blobs, '[]'), created_at, handover_from FROM outbox
                 WHERE status = 'pending' AND handover_from IS NOT NULL
                   AND key_id IN (SELECT key_id FROM record_keys WHERE district = 1)
                 ORDER BY handover_from, kind = ?1,
                          CASE WHEN kind = ?1 THEN CAST(entity_id AS INTEGER) END,
                          created_at, id",
            )?;
            let rows = stmt.query_map([outbox_kind::AUDIT_APPENDED], |r| {
                Ok((
                    r.get::<_, String>(8)?,
                    Pending {
                        id: r.get(0)?,
                        kind: r.get(1)?,
                        entity_id: r.get(2)?,
                        sealed: r.get(3)?,
                        key_id: r.get(4)?,
                        kelurahan_code: r.get(5)?,
                        blobs: Vec::new(),
                        created_at: r.get(7)?,
                    },
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (from, mut pending, blobs) = row?;
                pending.blobs =
                    serde_json::from_str(&blobs).map_err(|_| Error::Corrupt("outbox blobs"))?;
                out.push((from, pending));
            }
            Ok(out)
        })
    }

    /// Hands over what is still queued under an earlier identity of this phone: each entry
    /// sent once, as it is (its photos uploaded first), to `POST /v1/handover`, which holds it
    /// for officers as an entry of the old device. An entry leaves the queue only on the
    /// district's verified receipt for it; an answer without one changes nothing. Safe to
    /// drop at any point and to run again (the district answers "duplicate" for what it
    /// holds). `sync` does this too.
    pub async fn hand_over(&self) -> std::result::Result<Report, Interrupted> {
        let mut report = Report::default();
        self.hand_over_into(&mut report).await?;
        Ok(report)
    }

    async fn hand_over_into(&self, report: &mut Report) -> std::result::Result<(), Interrupted> {
        let pending = self.handover_pending()?;
        let mut retry_later = false;
        let mut refusal = None;
        let mut start = 0;
        while start < pending.len() {
            let from = pending[start].0.clone();
            let end = pending[start..]
                .iter()
                .take(BATCH)
                .take_while(|(f, _)| *f == from)
                .count()
                + start;
            let batch: Vec<&Pending> = pending[start..end].iter().map(|(_, p)| p).collect();
            start = end;
            let mut entries = Vec::with_capacity(batch.len());
            for p in &batch {
                for sha in &p.blobs {
                    self.upload(sha, report).await?;
                }
                entries.push(self.wire_entry(p));
            }
            let hashes: Vec<String> = entries
                .iter()
                .map(|e| crate::hex::encode(digest(&SHA256, e.sealed.as_bytes()).as_ref()))
                .collect();
            let body = serde_json::to_vec(&HandoverRequest {
                from_device_id: from.clone(),
                entries,
            })
            .map_err(|_| Error::Corrupt("handover json"))?;
            report.request_bytes_sent += body.len() as u64;
            let mut headers = HeaderMap::new();
            headers.insert("content-type", HeaderValue::from_static("application/json"));
            let response = self
                .client
                .send(
                    Method::POST,
                    "/v1/handover",
                    headers,
                    body,
                    Some(self.signer()),
                )
                .await
                .map_err(transient)?;
            if !response.status().is_success() {
                let failure = Client::refusal(response).await;
                if let Failure::Refused {
                    body:
                        Some(ErrorBody {
                            code: WireCode::HandoverNotAllowed,
                            ..
                        }),
                    ..
                } = &failure
                {
                    // Refused for this old identity: its entries stay; the next one's go on.
                    report.handover_refused = true;
                    refusal.get_or_insert(transient(failure));
                    while start < pending.len() && pending[start].0 == from {
                        start += 1;
                    }
                    continue;
                }
                return Err(self.refused(failure));
            }
            let answer: PushResponse = read_json(response, client::MAX_ANSWER_BYTES).await?;
            let mut lines = Vec::with_capacity(answer.results.len());
            for result in &answer.results {
                let Some(i) = batch.iter().position(|p| p.id == result.id) else {
                    lines.clear();
                    break;
                };
                lines.push(ReceiptLine {
                    entry_id: &batch[i].id,
                    kind: &batch[i].kind,
                    sealed_sha256_hex: &hashes[i],
                    outcome: &result.outcome,
                });
            }
            let whole = lines.len() == answer.results.len();
            let text = handover_receipt_text(&self.device.id, &from, lines);
            if !whole || !self.district_signed(&text, answer.receipt.as_deref()) {
                // Not the district's answer: nothing leaves the queue; the batch goes again.
                report.answers_refused += 1;
                return Err(Interrupted::Transient {
                    retry_after_ms: None,
                });
            }
            let later = self.store.write(|tx| {
                let mut later = false;
                for result in &answer.results {
                    let Some(p) = batch.iter().find(|p| p.id == result.id) else {
                        continue;
                    };
                    match &result.outcome {
                        Outcome::Accepted | Outcome::Duplicate => {
                            tx.execute("DELETE FROM outbox WHERE id = ?1", [&p.id])?;
                            crate::outbox::drop_unneeded_blobs(tx, &p.blobs)?;
                            report.handed_over += 1;
                        }
                        Outcome::Rejected { code, .. } => {
                            later |= self.refused_entry(tx, p, *code, report)?;
                        }
                    }
                }
                Ok(later)
            })?;
            retry_later |= later;
        }
        if let Some(refusal) = refusal {
            return Err(refusal);
        }
        if retry_later {
            return Err(Interrupted::Transient {
                retry_after_ms: None,
            });
        }
        Ok(())
    }

    /// An entry the server refused, in a push or a hand-over: a transient refusal leaves it
    /// queued (its photos go up again first if the server lacks one) and asks for another
    /// pass (true); any other parks it with its reason.
    fn refused_entry(
        &self,
        tx: &rusqlite::Transaction<'_>,
        p: &Pending,
        code: WireCode,
        report: &mut Report,
    ) -> Result<bool> {
        if code.is_transient() {
            if code == WireCode::BlobMissing {
                self.upload_anyway
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(p.blobs.iter().cloned());
            }
            return Ok(true);
        }
        report.parked += 1;
        park(tx, p, code)?;
        Ok(false)
    }

    /// A refusal as the pass ends on it. `DEVICE_REVOKED` locks the phone, but only with the
    /// district's signed notice for this device; without one it is a forgery on the path and
    /// the pass is merely retried later.
    fn refused(&self, failure: Failure) -> Interrupted {
        let Failure::Refused {
            body:
                Some(ErrorBody {
                    code: WireCode::DeviceRevoked,
                    ..
                }),
            revocation,
            ..
        } = &failure
        else {
            return transient(failure);
        };
        let notice = revocation.as_deref().and_then(|r| r.split_once('.'));
        let verified = notice.and_then(|(at, signature)| {
            let at: i64 = at.parse().ok()?;
            let text = perlinsos_protocol::signing::revocation_text(&self.device.id, at);
            self.district_signed(&text, Some(signature)).then_some(at)
        });
        let Some(at) = verified else {
            return Interrupted::Transient {
                retry_after_ms: None,
            };
        };
        let locked = self
            .store
            .write(|tx| set_meta(tx, REVOKED, at.to_string().as_bytes()));
        match locked {
            Ok(()) => Interrupted::Stopped(revoked_refusal()),
            Err(e) => Interrupted::Stopped(e),
        }
    }

    /// Whether every change of `page` carries the district's signature for this device and
    /// the cursors rise from `since`.
    fn page_holds(&self, since: i64, page: &ChangesResponse) -> bool {
        let mut last = since;
        for item in &page.changes {
            if item.cursor <= last {
                return false;
            }
            last = item.cursor;
            let text = perlinsos_protocol::signing::change_text(
                &self.device.id,
                item.cursor,
                &item.change,
            );
            if !self.district_signed(&text, item.change_signature.as_deref()) {
                return false;
            }
        }
        true
    }

    /// Whether `answer` carries the district's signature over its results, each about an entry
    /// of `batch` as sent (`hashes`: SHA-256 of each entry's sealed text).
    fn receipt_holds(&self, batch: &[Pending], hashes: &[String], answer: &PushResponse) -> bool {
        let mut lines = Vec::with_capacity(answer.results.len());
        for result in &answer.results {
            let Some(i) = batch.iter().position(|p| p.id == result.id) else {
                return false;
            };
            lines.push(ReceiptLine {
                entry_id: &batch[i].id,
                kind: &batch[i].kind,
                sealed_sha256_hex: &hashes[i],
                outcome: &result.outcome,
            });
        }
        let text = push_receipt_text(&self.device.id, lines);
        self.district_signed(&text, answer.receipt.as_deref())
    }

    /// Whether `signature_hex` is the district key's signature over `text` (what the phone
    /// checks before it obeys a receipt, a change or a revocation).
    fn district_signed(&self, text: &[u8], signature_hex: Option<&str>) -> bool {
        signature_hex
            .and_then(crate::hex::decode)
            .is_some_and(|signature| {
                UnparsedPublicKey::new(&ED25519, &self.district_key)
                    .verify(text, &signature)
                    .is_ok()
            })
    }

    /// The server has the entry: its record is confirmed (for purge) and the entry leaves the
    /// outbox, in the caller's transaction.
    fn confirmed(&self, tx: &rusqlite::Transaction<'_>, p: &Pending) -> Result<()> {
        let now = (self.clock)();
        let outcome = match p.kind.as_str() {
            outbox_kind::HOUSEHOLD_REGISTERED => {
                purge::confirm(tx, RecordKind::Household, &p.entity_id, now)
            }
            outbox_kind::SANGGAHAN_FILED => crate::sanggahan::status::apply_server_status_in(
                tx,
                None,
                None,
                &p.entity_id,
                Status::Diterima,
                now,
                None,
                now,
            ),
            outbox_kind::VISIT_RECORDED => heard(
                tx,
                "visits",
                &p.entity_id,
                crate::visits::ACCEPTED,
                crate::visits::WAITING,
            ),
            outbox_kind::OBJECTION_FILED => heard(
                tx,
                "objections",
                &p.entity_id,
                crate::objections::RECEIVED,
                crate::objections::WAITING,
            ),
            _ => Ok(()),
        };
        match outcome {
            // Already purged, or already past `diterima`: nothing more to confirm.
            Err(Error::Invalid(_)) | Ok(()) => {}
            Err(e) => return Err(e),
        }
        tx.execute("DELETE FROM outbox WHERE id = ?1", [&p.id])?;
        crate::outbox::drop_unneeded_blobs(tx, &p.blobs)?;
        Ok(())
    }

    /// A signed request with an empty body (HEAD of a blob, GET of changes).
    async fn signed_without_body(
        &self,
        method: Method,
        path: &str,
    ) -> std::result::Result<reqwest::Response, Interrupted> {
        self.client
            .send(
                method,
                path,
                HeaderMap::new(),
                Vec::new(),
                Some(self.signer()),
            )
            .await
            .map_err(transient)
    }

    /// Sends a photo's staged copy (sealed for the district key) unless the server has it.
    async fn upload(&self, sha: &str, report: &mut Report) -> std::result::Result<(), Interrupted> {
        let path = format!("/v1/blobs/{sha}");
        let response = self.signed_without_body(Method::HEAD, &path).await?;
        let anyway = self
            .upload_anyway
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(sha);
        let mut offset = match response.status() {
            StatusCode::OK if anyway => 0,
            StatusCode::OK => return Ok(()),
            StatusCode::NOT_FOUND => received(&response),
            _ => return Err(self.refused(Client::refusal(response).await)),
        };
        let staged: Option<(String, Vec<u8>)> = self.store.read(|conn| {
            Ok(conn
                .prepare_cached("SELECT key_id, sealed FROM outbox_blobs WHERE sha256 = ?1")?
                .query_row([sha], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?)
        })?;
        let (key_id, sealed) = staged.ok_or(Error::Corrupt("staged photo missing"))?;
        let length = sealed.len() as u64;
        let key_header =
            HeaderValue::from_str(&key_id).map_err(|_| Error::Corrupt("record key id"))?;
        while offset < length {
            let start = usize::try_from(offset).map_err(|_| Error::Corrupt("blob offset"))?;
            let end = start.saturating_add(CHUNK).min(sealed.len());
            let chunk = sealed.get(start..end).unwrap_or_default().to_vec();
            let mut headers = HeaderMap::new();
            headers.insert(HEADER_BLOB_OFFSET, HeaderValue::from(offset));
            headers.insert(HEADER_BLOB_LENGTH, HeaderValue::from(length));
            headers.insert(HEADER_BLOB_KEY, key_header.clone());
            let sent = chunk.len() as u64;
            let response = self
                .client
                .send(Method::PUT, &path, headers, chunk, Some(self.signer()))
                .await
                .map_err(transient)?;
            report.blob_bytes_sent += sent;
            match response.status() {
                StatusCode::OK => {
                    offset = length;
                    report.blobs_uploaded += 1;
                }
                StatusCode::ACCEPTED => offset = received(&response),
                // The server kept a different amount (an earlier request did arrive after
                // all): continue from what it has.
                StatusCode::CONFLICT => offset = received(&response),
                _ => return Err(self.refused(Client::refusal(response).await)),
            }
            self.report(Progress::Blob {
                sent_bytes: offset,
                total_bytes: length,
            });
        }
        Ok(())
    }

    fn cursor(&self) -> Result<i64> {
        Ok(meta(&self.store, CURSOR)?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    async fn pull(&self, report: &mut Report) -> std::result::Result<(), Interrupted> {
        loop {
            let since = self.cursor()?;
            let path = format!("/v1/changes?since={since}");
            let response = self.signed_without_body(Method::GET, &path).await?;
            if !response.status().is_success() {
                return Err(self.refused(Client::refusal(response).await));
            }
            let page: ChangesResponse = read_json(response, client::MAX_CHANGES_BYTES).await?;
            if !self.page_holds(since, &page) {
                // Not the district's page (or replayed, reordered): nothing of it is applied.
                report.changes_refused += 1;
                return Err(Interrupted::Transient {
                    retry_after_ms: None,
                });
            }
            for item in &page.changes {
                if self.apply(&item.change, report)? == Applied::NeedsAgent {
                    // The cursor stays before it: applied, in order, at the next unlocked sync.
                    report.changes_waiting = true;
                    return Ok(());
                }
                report.changes_applied += 1;
                self.store
                    .write(|tx| set_meta(tx, CURSOR, item.cursor.to_string().as_bytes()))?;
            }
            self.report(Progress::Changes {
                applied: report.changes_applied,
            });
            if !page.more {
                return Ok(());
            }
        }
    }

    /// Applies one change; each is idempotent (a change seen twice after a crash is harmless).
    fn apply(&self, change: &Change, report: &mut Report) -> Result<Applied> {
        match change {
            Change::Model {
                id,
                version,
                signed,
            } => {
                let key = crate::hex::decode(&self.enrollment.district_public_key)
                    .ok_or(Error::Corrupt("district key"))?;
                let trusted = [crate::pmt::signed::TrustedKey {
                    key_id: "district".to_owned(),
                    public_key: key,
                }];
                match crate::pmt::signed::verify(signed.as_bytes(), &trusted) {
                    Ok(model) if &model.id == id && model.version == *version => {
                        self.store.write(|tx| {
                            tx.execute(
                                "INSERT OR REPLACE INTO models (id, version, signed, received_at)
                                 VALUES (?1, ?2, ?3, ?4)",
                                params![id, version, signed, (self.clock)()],
                            )?;
                            Ok(())
                        })?;
                    }
                    _ => report.models_refused += 1,
                }
            }
            Change::RecordKey(key) => {
                let district = crate::hex::decode(&self.enrollment.district_public_key)
                    .ok_or(Error::Corrupt("district key"))?;
                let now = (self.clock)();
                if !self
                    .store
                    .write(|tx| crate::record_keys::accept(tx, &district, key, now))?
                {
                    report.keys_refused += 1;
                }
            }
            Change::ServerCertificates { pins, issued_at } => {
                if !self
                    .store
                    .write(|tx| announced_pins(tx, pins, *issued_at))?
                {
                    report.changes_refused += 1;
                }
            }
            Change::Recipients { rows, .. } => {
                let bytes = serde_json::to_vec(rows).map_err(|_| Error::Corrupt("recipients"))?;
                SanggahanBook::import_recipients_with(
                    &self.store,
                    &self.device.reference_cipher(),
                    &bytes,
                    (self.clock)(),
                )?;
            }
            Change::Worklist {
                agent_id,
                families,
                withdrawn,
            } if agent_id != &self.agent_id => {
                // Another agent's list has no place on this phone.
                report.changes_refused += 1;
            }
            Change::Worklist {
                agent_id,
                families,
                withdrawn,
            } => {
                let now = (self.clock)();
                let cipher = self.device.reference_cipher();
                match self.store.write(|tx| {
                    crate::worklist::apply(tx, &cipher, agent_id, families, withdrawn, now)
                }) {
                    Ok(()) => {}
                    // Signed by the district but against the rules: nothing of it is kept.
                    Err(Error::Invalid(_)) => report.changes_refused += 1,
                    Err(e) => return Err(e),
                }
            }
            Change::Results { agent_id, .. } if agent_id != &self.agent_id => {
                report.changes_refused += 1;
            }
            Change::Results { agent_id, results } => {
                let now = (self.clock)();
                let cipher = self.device.reference_cipher();
                match self
                    .store
                    .write(|tx| crate::worklist::apply_results(tx, &cipher, agent_id, results, now))
                {
                    Ok(()) => {}
                    Err(Error::Invalid(_)) => report.changes_refused += 1,
                    Err(e) => return Err(e),
                }
            }
            Change::Status {
                record_kind,
                record_id,
                status,
                at,
                reason,
            } => match (record_kind.as_str(), Status::parse(status)) {
                ("sanggahan", Some(status)) => {
                    let applied = match (&self.sanggahan, reason) {
                        (Some(book), _) => {
                            book.apply_server_status(record_id, status, *at, reason.as_deref())
                        }
                        (None, None) => {
                            let now = (self.clock)();
                            self.store.write(|tx| {
                                crate::sanggahan::status::apply_server_status_in(
                                    tx, None, None, record_id, status, *at, None, now,
                                )
                            })
                        }
                        // The officer's reason is sealed for the agent: it waits for an unlock.
                        (None, Some(_)) => return Ok(Applied::NeedsAgent),
                    };
                    match applied {
                        Ok(()) => {}
                        // A status the lifecycle does not allow, or for a record this agent
                        // does not hold, changes nothing.
                        Err(Error::Invalid(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                ("objection" | "visit", _) => {
                    let apply = if record_kind == "visit" {
                        crate::visits::apply_server_status
                    } else {
                        crate::objections::apply_server_status
                    };
                    let reference = self.device.reference_cipher();
                    self.store.write(|tx| {
                        apply(tx, &reference, record_id, status, *at, reason.as_deref())
                    })?
                }
                _ => self.store.write(|tx| {
                    purge::set_receipt_status(tx, RecordKind::Household, record_id, status)
                })?,
            },
        }
        Ok(Applied::Done)
    }

    /// The PMT models received from the district, verified, as signed files.
    pub fn models(&self) -> Result<Vec<String>> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare("SELECT signed FROM models ORDER BY id, version")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}

/// The server confirmed a visit or an objection: still waiting on the phone, it becomes `to`
/// (a later answer of the district's own follows in the change feed and wins).
fn heard(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    id: &str,
    to: &str,
    from: &str,
) -> Result<()> {
    tx.execute(
        &format!("UPDATE {table} SET status = ?2 WHERE id = ?1 AND status = ?3"),
        params![id, to, from],
    )?;
    Ok(())
}

/// A permanent refusal: the entry waits, with its reason, for the agent.
fn park(tx: &rusqlite::Transaction<'_>, p: &Pending, code: WireCode) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET status = 'parked', attempts = attempts + 1, park_reason = ?2
         WHERE id = ?1",
        params![p.id, format!("{code:?}: {}", code.message())],
    )?;
    Ok(())
}

fn received(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get(HEADER_BLOB_RECEIVED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}
