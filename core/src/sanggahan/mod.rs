//! Sanggahan: a resident's objection against a listed aid recipient of their own kelurahan,
//! filed on the agent's phone (in resident mode) with photo evidence, and followed through its
//! statuses. A filing is checked whole before anything is written; the sanggahan, its photos,
//! its outbox entry and its audit entry then commit in one transaction.
pub use perlinsos_rules::sanggahan::{lifecycle, rules, Filing, PhotoRole, Reason, Reporter};
pub mod recipients;
pub mod status;

use perlinsos_protocol::record::{EvidenceRef, Record, SanggahanFiled, SanggahanWithdrawn};
use std::sync::Arc;

use ring::signature::Ed25519KeyPair;
use rusqlite::{params, Transaction};
use serde::{Deserialize, Serialize};

use crate::audit::{self, Action};
use crate::crypt::{Cell, Cipher};
use crate::date::Date;
use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::evidence::book::{Capture, EvidenceBook, Prepared};
use crate::evidence::{Gps, Options};
use crate::outbox;
use crate::purge::DAY_MS;
use crate::registration::{Clock, Millis};
use crate::store::Store;
pub use lifecycle::{Source, Status, VERIFY_WITHIN_MS};
pub use recipients::{Programme, Recipient};

/// At most this many objections by one reporter within `LIMIT_WINDOW_MS`.
pub const MAX_PER_REPORTER: i64 = 5;
pub const LIMIT_WINDOW_MS: i64 = 30 * DAY_MS;
const REPORTER_DOMAIN: &str = "sanggahan.reporter";
const RECORD_KIND: &str = "sanggahan";
const MAX_REASON_CHARS: usize = 500;

pub struct FilingPhoto<'a> {
    pub bytes: &'a [u8],
    pub role: PhotoRole,
    /// The phone's clock when the photo was taken or picked.
    pub captured_at: Millis,
    /// The phone's location at capture.
    pub gps: Option<Gps>,
}

/// Sealed: who reported and what they said.
#[derive(Serialize, Deserialize)]
struct Body {
    reporter: Reporter,
    reason: Reason,
    statement: String,
    photo_roles: Vec<(String, PhotoRole)>,
}

/// A photo of this filing that looks like evidence of another sanggahan on this phone.
pub use perlinsos_protocol::record::ReusedPhoto;

/// What an agent's list shows: never the reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub id: String,
    pub recipient_id: String,
    pub kelurahan_code: String,
    pub status: Status,
    pub created_at: Millis,
    pub status_at: Millis,
    pub reused_photos: Vec<ReusedPhoto>,
}

/// The whole sanggahan, for the agent or the reporter in a resident session.
#[derive(Debug, Clone, PartialEq)]
pub struct Sanggahan {
    pub summary: Summary,
    pub reporter: Reporter,
    pub reason: Reason,
    pub statement: String,
    pub photos: Vec<(String, PhotoRole)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub status: Status,
    pub at: Millis,
    pub source: Source,
    /// The district's reason for a refusal.
    pub reason: Option<String>,
}

pub struct SanggahanBook {
    store: Arc<Store>,
    cipher: Arc<Cipher>,
    /// The phone's reference-data cipher (`Device::reference_cipher`): every agent on the
    /// phone reads the same recipient lists.
    lists: Arc<Cipher>,
    evidence: EvidenceBook,
    clock: Clock,
    device_id: String,
    signer: Arc<Ed25519KeyPair>,
    agent: Option<String>,
    photo_options: Options,
}

fn body_cell(id: &str) -> Cell<'_> {
    Cell::new("sanggahan", "body", id)
}

fn reason_cell<'a>(id: &'a str, seq: &'a str) -> Cell<'a> {
    Cell::new("sanggahan_status", id, seq)
}

fn invalid(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

impl SanggahanBook {
    /// Filings are always audited, signed with the device key. `cipher` is the agent's;
    /// `evidence` must be opened with it.
    pub fn new(
        store: Arc<Store>,
        cipher: Arc<Cipher>,
        evidence: EvidenceBook,
        clock: Clock,
        device: &crate::session::device::Device,
    ) -> SanggahanBook {
        let signer = device.signer();
        SanggahanBook {
            evidence: evidence.with_audit(signer.clone()),
            store,
            cipher,
            lists: device.reference_cipher(),
            clock,
            device_id: device.id.clone(),
            signer,
            agent: None,
            photo_options: Options::default(),
        }
    }

    /// Scopes lists and reads to one agent's filings (a shared phone).
    pub fn for_agent(mut self, agent_id: &str) -> SanggahanBook {
        self.evidence = self.evidence.for_agent(agent_id);
        self.agent = Some(agent_id.to_owned());
        self
    }

    pub fn evidence(&self) -> &EvidenceBook {
        &self.evidence
    }

    fn now(&self) -> (Millis, Date) {
        let now = (self.clock)();
        (now, Date::of_unix_millis(now))
    }

    /// Imports a kelurahan's recipient list (JSON, or CSV with a header row): checked whole,
    /// then it replaces that kelurahan's list. Returns the number of recipients stored.
    pub fn import_recipients(&self, file: &[u8]) -> Result<usize> {
        let (now, _) = self.now();
        Self::import_recipients_with(&self.store, &self.lists, file, now)
    }

    /// The recipients a resident may pick from in a kelurahan.
    pub fn recipients(&self, kelurahan_code: &str) -> Result<Vec<Recipient>> {
        self.store
            .read(|conn| recipients::in_kelurahan(conn, &self.lists, kelurahan_code))
    }

    /// The checks that read the phone's records: the target is on the list of the reporter's
    /// kelurahan, and the reporter is within the limits.
    fn check_target_and_limits(
        &self,
        conn: &rusqlite::Connection,
        filing: &Filing,
        reporter_index: &[u8],
        now: Millis,
    ) -> Result<Vec<FieldError>> {
        let mut errors = Vec::new();
        match recipients::get(conn, &self.lists, &filing.recipient_id)? {
            None => errors.push(FieldError::new(
                "recipient_id",
                ErrorCode::SanggahanRecipientUnknown,
            )),
            Some(r) if r.kelurahan_code != filing.reporter.address.kelurahan_code.trim() => errors
                .push(FieldError::new(
                    "recipient_id",
                    ErrorCode::SanggahanOtherKelurahan,
                )),
            Some(_) => {}
        }
        let open: bool = conn
            .prepare_cached(
                "SELECT 1 FROM sanggahan
                 WHERE reporter_index = ?1 AND recipient_id = ?2
                   AND status IN ('diajukan', 'diterima')",
            )?
            .exists(params![reporter_index, filing.recipient_id])?;
        if open {
            errors.push(FieldError::new(
                "recipient_id",
                ErrorCode::SanggahanAlreadyOpen,
            ));
        }
        let recent: i64 = conn
            .prepare_cached(
                "SELECT count(*) FROM sanggahan WHERE reporter_index = ?1 AND created_at > ?2",
            )?
            .query_row(params![reporter_index, now - LIMIT_WINDOW_MS], |r| r.get(0))?;
        if recent >= MAX_PER_REPORTER {
            errors.push(FieldError::new(
                "reporter",
                ErrorCode::SanggahanLimitReached,
            ));
        }
        Ok(errors)
    }

    /// Files a sanggahan. Every rule is checked before anything is written; a refusal lists
    /// every problem, each with its code and an Indonesian text saying what to do instead.
    pub fn file(&self, filing: &Filing, photos: &[FilingPhoto<'_>]) -> Result<Summary> {
        if let Some(agent) = &self.agent {
            if agent != &filing.agent_id {
                return Err(Error::invalid("agent_id", ErrorCode::SessionOutOfScope));
            }
        }
        let (now, today) = self.now();
        let mut errors = rules::check_form(filing, photos.len(), today);
        let nik = crate::identity::canonical(filing.reporter.nik.trim());
        let reporter_index = self.cipher.blind_index(REPORTER_DOMAIN, nik);
        errors.extend(
            self.store
                .read(|conn| self.check_target_and_limits(conn, filing, &reporter_index, now))?,
        );
        invalid(errors)?;

        let id = match &filing.id {
            Some(id) => {
                let taken = self.store.read(|conn| {
                    Ok(conn
                        .prepare_cached("SELECT 1 FROM sanggahan WHERE id = ?1")?
                        .exists([id])?)
                })?;
                if taken || id.is_empty() || id.len() > 64 {
                    return Err(Error::invalid("id", ErrorCode::SanggahanExists));
                }
                id.clone()
            }
            None => crate::ids::new_id()?,
        };
        let prepared = self.prepare_photos(&id, filing, photos)?;
        let reused = self.reused_photos(&id, &prepared)?;
        let summary = Summary {
            id: id.clone(),
            recipient_id: filing.recipient_id.clone(),
            kelurahan_code: filing.reporter.address.kelurahan_code.trim().to_owned(),
            status: Status::Diajukan,
            created_at: now,
            status_at: now,
            reused_photos: reused,
        };
        let written = self.store.write(|tx| {
            // Again inside the transaction: another filing may have committed meanwhile.
            invalid(self.check_target_and_limits(tx, filing, &reporter_index, now)?)?;
            self.insert(tx, filing, &summary, &reporter_index, &prepared, photos)
        });
        if written.is_err() {
            // Blobs of a refused or failed filing; nothing refers to them.
            self.evidence.sweep_orphans()?;
        }
        written.map(|()| summary)
    }

    fn prepare_photos(
        &self,
        id: &str,
        filing: &Filing,
        photos: &[FilingPhoto<'_>],
    ) -> Result<Vec<Prepared>> {
        let (_, today) = self.now();
        let mut prepared = Vec::with_capacity(photos.len());
        let mut errors = Vec::new();
        for (i, photo) in photos.iter().enumerate() {
            let capture = Capture {
                record_kind: RECORD_KIND,
                record_id: id,
                captured_at: photo.captured_at,
                gps: photo.gps,
                device_id: &self.device_id,
                device_key: &self.signer,
                agent_id: &filing.agent_id,
            };
            match self
                .evidence
                .prepare(photo.bytes, &self.photo_options, capture)
            {
                Ok(p) => prepared.push(p),
                Err(Error::Invalid(found)) => errors.extend(
                    found
                        .into_iter()
                        .map(|e| FieldError::new(format!("photos[{i}]"), e.code)),
                ),
                Err(e) => return Err(e),
            }
        }
        invalid(errors)?;
        let roles: Vec<_> = photos
            .iter()
            .zip(&prepared)
            .map(|(photo, p)| (photo.role, &p.record))
            .collect();
        invalid(rules::check_photos(&roles, today))?;
        Ok(prepared)
    }

    fn reused_photos(&self, id: &str, prepared: &[Prepared]) -> Result<Vec<ReusedPhoto>> {
        let mut reused = Vec::new();
        for p in prepared {
            for near in self
                .evidence
                .near_duplicates(p.record.phash, (RECORD_KIND, id))?
            {
                if near.record_kind == RECORD_KIND {
                    reused.push(ReusedPhoto {
                        evidence_id: p.record.id.clone(),
                        other_sanggahan_id: near.record_id,
                        distance: near.distance,
                    });
                }
            }
        }
        Ok(reused)
    }

    fn insert(
        &self,
        tx: &Transaction<'_>,
        filing: &Filing,
        summary: &Summary,
        reporter_index: &[u8],
        prepared: &[Prepared],
        photos: &[FilingPhoto<'_>],
    ) -> Result<()> {
        let id = &summary.id;
        let mut reporter = filing.reporter.clone();
        reporter.nik = crate::identity::canonical(reporter.nik.trim()).to_owned();
        reporter.full_name = reporter.full_name.trim().to_owned();
        let body = Body {
            reporter,
            reason: filing.reason,
            statement: filing.statement.trim().to_owned(),
            photo_roles: prepared
                .iter()
                .zip(photos)
                .map(|(p, photo)| (p.record.id.clone(), photo.role))
                .collect(),
        };
        let flags = serde_json::to_string(&summary.reused_photos)
            .map_err(|_| Error::Corrupt("sanggahan flags"))?;
        tx.prepare_cached(
            "INSERT INTO sanggahan (id, agent_id, kelurahan_code, recipient_id, reporter_index,
                                    body, status, status_source, flags, created_at, status_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'phone', ?8, ?9, ?9)",
        )?
        .execute(params![
            id,
            filing.agent_id,
            summary.kelurahan_code,
            summary.recipient_id,
            reporter_index,
            self.cipher.seal_json(body_cell(id), &body)?,
            Status::Diajukan.as_str(),
            flags,
            summary.created_at,
        ])?;
        status::add_transition(
            tx,
            None,
            id,
            Status::Diajukan,
            summary.created_at,
            Source::Phone,
            None,
        )?;
        for p in prepared {
            self.evidence.attach(tx, p)?;
        }
        let record = Record::SanggahanFiled(Box::new(SanggahanFiled {
            id: id.clone(),
            recipient_id: summary.recipient_id.clone(),
            kelurahan_code: summary.kelurahan_code.clone(),
            reporter: body.reporter,
            reason: body.reason,
            statement: body.statement,
            photos: body.photo_roles,
            reused_photos: summary.reused_photos.clone(),
            filed_at: summary.created_at,
            evidence: prepared
                .iter()
                .map(|p| EvidenceRef {
                    sha256: p.record.sha256.clone(),
                    attestation: p.record.attestation.clone(),
                })
                .collect(),
        }));
        outbox::enqueue(
            tx,
            &record,
            Some(&summary.kelurahan_code),
            summary.created_at,
        )?;
        audit::append(
            tx,
            &self.signer,
            &filing.agent_id,
            Action::SanggahanFiled,
            Some(id),
            summary.created_at,
        )?;
        Ok(())
    }

    /// The reporter withdraws the objection (allowed until it is verified).
    pub fn withdraw(&self, id: &str) -> Result<()> {
        let (now, _) = self.now();
        self.store.write(|tx| {
            let (status, source) = self
                .current_in(tx, id)?
                .ok_or_else(|| Error::invalid("sanggahan", ErrorCode::SanggahanNotFound))?;
            if !lifecycle::allowed(status, source, Status::Ditarik, Source::Phone) {
                return Err(Error::invalid(
                    "sanggahan",
                    ErrorCode::SanggahanWithdrawNotAllowed,
                ));
            }
            status::add_transition(tx, None, id, Status::Ditarik, now, Source::Phone, None)?;
            let (agent, kelurahan): (String, String) = tx.query_row(
                "SELECT agent_id, kelurahan_code FROM sanggahan WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let record = Record::SanggahanWithdrawn(SanggahanWithdrawn {
                sanggahan_id: id.to_owned(),
                at: now,
            });
            outbox::enqueue(tx, &record, Some(&kelurahan), now)?;
            audit::append(
                tx,
                &self.signer,
                &agent,
                Action::SanggahanWithdrawn,
                Some(id),
                now,
            )
            .map(drop)
        })
    }

    /// A status reported by the district server (through sync). Repeating the current status
    /// is a no-op; a move the lifecycle does not allow is refused and changes nothing. The
    /// server receiving it (`diterima`) is the confirmation that starts the purge clock.
    pub fn apply_server_status(
        &self,
        id: &str,
        status: Status,
        at: Millis,
        reason: Option<&str>,
    ) -> Result<()> {
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(Error::invalid("reason", ErrorCode::TextTooLong));
        }
        self.store
            .write(|tx| self.apply_server_status_in(tx, id, status, at, reason))
    }

    /// [`SanggahanBook::apply_server_status`] inside the caller's transaction (sync applies a
    /// whole batch of answers in one). A refusal happens before anything is written.
    pub fn apply_server_status_in(
        &self,
        tx: &Transaction<'_>,
        id: &str,
        status: Status,
        at: Millis,
        reason: Option<&str>,
    ) -> Result<()> {
        status::apply_server_status_in(
            tx,
            Some(&self.cipher),
            self.agent.as_deref(),
            id,
            status,
            at,
            reason,
            (self.clock)(),
        )
    }

    fn current_in(&self, tx: &Transaction<'_>, id: &str) -> Result<Option<(Status, Source)>> {
        status::current(tx, self.agent.as_deref(), id)
    }

    /// Imports a recipient file with the phone's reference cipher, no agent needed (sync
    /// brings lists with every agent locked).
    pub fn import_recipients_with(
        store: &Store,
        lists: &Cipher,
        file: &[u8],
        now: Millis,
    ) -> Result<usize> {
        let trimmed = file.trim_ascii_start();
        let rows = if trimmed.starts_with(b"[") || trimmed.starts_with(b"{") {
            recipients::parse_json(file)?
        } else {
            recipients::parse_csv(file)?
        };
        let checked = recipients::check(&rows)?;
        store.write(|tx| recipients::replace(tx, lists, &checked, now))
    }

    /// Marks as lapsed every open sanggahan filed more than 14 days ago; returns their ids.
    pub fn expire_due(&self) -> Result<Vec<String>> {
        let (now, _) = self.now();
        self.store.write(|tx| {
            let due: Vec<String> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT id FROM sanggahan
                     WHERE status IN ('diajukan', 'diterima') AND created_at + ?1 <= ?2
                     ORDER BY created_at, id",
                )?;
                let rows = stmt.query_map(params![VERIFY_WITHIN_MS, now], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for id in &due {
                status::add_transition(
                    tx,
                    None,
                    id,
                    Status::Kedaluwarsa,
                    now,
                    Source::Phone,
                    None,
                )?;
            }
            Ok(due)
        })
    }

    fn summary_of(row: &rusqlite::Row<'_>) -> Result<Summary> {
        let status: String = row.get(3)?;
        let flags: String = row.get(6)?;
        Ok(Summary {
            id: row.get(0)?,
            recipient_id: row.get(1)?,
            kelurahan_code: row.get(2)?,
            status: Status::parse(&status).ok_or(Error::Corrupt("sanggahan status"))?,
            created_at: row.get(4)?,
            status_at: row.get(5)?,
            reused_photos: serde_json::from_str(&flags)
                .map_err(|_| Error::Corrupt("sanggahan flags"))?,
        })
    }

    /// The agent's sanggahan, newest first: ids, target and status only.
    pub fn list(&self) -> Result<Vec<Summary>> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, recipient_id, kelurahan_code, status, created_at, status_at, flags
                 FROM sanggahan WHERE ?1 IS NULL OR agent_id = ?1
                 ORDER BY created_at DESC, id DESC",
            )?;
            let mut rows = stmt.query([&self.agent])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(Self::summary_of(row)?);
            }
            Ok(out)
        })
    }

    /// One sanggahan with the reporter and the statement.
    pub fn get(&self, id: &str) -> Result<Sanggahan> {
        self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, recipient_id, kelurahan_code, status, created_at, status_at, flags,
                        body
                 FROM sanggahan WHERE id = ?1 AND (?2 IS NULL OR agent_id = ?2)",
            )?;
            let mut rows = stmt.query(params![id, self.agent])?;
            let row = rows
                .next()?
                .ok_or_else(|| Error::invalid("sanggahan", ErrorCode::SanggahanNotFound))?;
            let summary = Self::summary_of(row)?;
            let sealed: Vec<u8> = row.get(7)?;
            if sealed.is_empty() {
                return Err(Error::invalid("sanggahan", ErrorCode::SanggahanPurged));
            }
            let body: Body = self.cipher.open_json(body_cell(id), &sealed)?;
            Ok(Sanggahan {
                summary,
                reporter: body.reporter,
                reason: body.reason,
                statement: body.statement,
                photos: body.photo_roles,
            })
        })
    }

    /// Every status the sanggahan has had, oldest first.
    pub fn history(&self, id: &str) -> Result<Vec<Transition>> {
        self.store.read(|conn| {
            let visible: bool = conn
                .prepare_cached(
                    "SELECT 1 FROM sanggahan WHERE id = ?1 AND (?2 IS NULL OR agent_id = ?2)",
                )?
                .exists(params![id, self.agent])?;
            if !visible {
                return Err(Error::invalid("sanggahan", ErrorCode::SanggahanNotFound));
            }
            let mut stmt = conn.prepare_cached(
                "SELECT seq, status, at, source, reason FROM sanggahan_status
                 WHERE sanggahan_id = ?1 ORDER BY seq",
            )?;
            let mut rows = stmt.query([id])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let seq: i64 = row.get(0)?;
                let status: String = row.get(1)?;
                let source: String = row.get(3)?;
                let reason = match row.get::<_, Option<Vec<u8>>>(4)? {
                    Some(sealed) => Some(
                        self.cipher
                            .open_string(reason_cell(id, &seq.to_string()), &sealed)?,
                    ),
                    None => None,
                };
                out.push(Transition {
                    status: Status::parse(&status).ok_or(Error::Corrupt("sanggahan status"))?,
                    at: row.get(2)?,
                    source: Source::parse(&source).ok_or(Error::Corrupt("sanggahan source"))?,
                    reason,
                });
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests;
