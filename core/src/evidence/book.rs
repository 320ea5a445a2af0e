//! The phone's evidence: each photo normalized, attested with the device key, its JPEG sealed in
//! the blob folder and its row in the database, attached to a record (a household, a
//! sanggahan). The blob is written first and the row second, inside the writer's transaction,
//! so a crash leaves at worst an unreferenced blob, which the next open sweeps away; a row never
//! points at a missing blob. The sweep also runs inside a write transaction, so it never takes
//! a blob whose row is about to commit.
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use ring::signature::Ed25519KeyPair;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::attest::{self, Attestation};
use super::store::BlobStore;
pub use super::EvidenceRecord;
use super::{ingest, phash, Gps, Options};
use crate::audit::{self, Action};
use crate::crypt::{Cell, Cipher};
use crate::date::now_millis;
use crate::error::{Error, ErrorCode, Result};
use crate::store::Store;

/// Who captured a photo, for what, when and where.
pub struct Capture<'a> {
    /// "household", "sanggahan", ...
    pub record_kind: &'a str,
    pub record_id: &'a str,
    /// The phone's clock when the photo was taken.
    pub captured_at: i64,
    /// The phone's location at capture, where the person consented; otherwise None.
    pub gps: Option<Gps>,
    pub device_id: &'a str,
    pub device_key: &'a Ed25519KeyPair,
    /// The agent whose session took the photo: named in the audit trail and scoping reads.
    pub agent_id: &'a str,
}

/// A photo normalized and attested, not yet stored: a filing can check every photo before it
/// writes anything, then store them in its own transaction (`EvidenceBook::attach`).
pub struct Prepared {
    pub record: EvidenceRecord,
    jpeg: Zeroizing<Vec<u8>>,
    agent_id: String,
}

/// Sealed with the row: personal or locating details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Details {
    gps: Option<Gps>,
    /// The camera's own capture time (EXIF), which may disagree with the phone's clock.
    camera_time: Option<String>,
}

/// Evidence on this phone that looks like a given photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearDuplicate {
    pub evidence_id: String,
    pub record_kind: String,
    pub record_id: String,
    pub distance: u32,
}

pub struct EvidenceBook {
    store: Arc<Store>,
    cipher: Arc<Cipher>,
    blobs: BlobStore,
    /// Set for an agent's session: only that agent's evidence is read.
    agent: Option<String>,
    signer: Option<Arc<Ed25519KeyPair>>,
}

fn cell<'a>(column: &'a str, id: &'a str) -> Cell<'a> {
    Cell::new("evidence", column, id)
}

const COLUMNS: &str = "id, record_kind, record_id, sha256, phash, width, height, bytes, \
                       source_bytes, captured_at, details, attestation, created_at, agent_id";

impl EvidenceBook {
    /// Opens the book over the device store, with its blobs in `blob_dir`, and removes blobs a
    /// crash left without a row.
    pub fn open(
        store: Arc<Store>,
        cipher: Arc<Cipher>,
        blob_dir: impl Into<PathBuf>,
    ) -> Result<Self> {
        let book = EvidenceBook {
            blobs: BlobStore::open(blob_dir, cipher.clone())?,
            store,
            cipher,
            agent: None,
            signer: None,
        };
        book.sweep_orphans()?;
        Ok(book)
    }

    /// Scopes reads to one agent's evidence (a shared phone).
    pub fn for_agent(mut self, agent_id: &str) -> EvidenceBook {
        self.agent = Some(agent_id.to_owned());
        self
    }

    /// Records every capture in the audit trail, signed with the device key, in the same
    /// transaction as the evidence row.
    pub fn with_audit(mut self, signer: Arc<Ed25519KeyPair>) -> EvidenceBook {
        self.signer = Some(signer);
        self
    }

    /// Normalizes, attests and stores a photo for a record. Bad photos are refused with their
    /// EVIDENCE_* code and leave nothing behind.
    pub fn capture(
        &self,
        photo: &[u8],
        options: &Options,
        capture: Capture<'_>,
    ) -> Result<EvidenceRecord> {
        let prepared = self.prepare(photo, options, capture)?;
        self.store.write(|tx| self.attach(tx, &prepared))?;
        Ok(prepared.record)
    }

    /// Normalizes and attests a photo without storing anything.
    pub fn prepare(
        &self,
        photo: &[u8],
        options: &Options,
        capture: Capture<'_>,
    ) -> Result<Prepared> {
        if let Some(agent) = &self.agent {
            if agent != capture.agent_id {
                return Err(Error::invalid(
                    "evidence.agent_id",
                    ErrorCode::SessionOutOfScope,
                ));
            }
        }
        let normalized = ingest(photo, options)?;
        let gps = capture.gps.or(normalized.gps);
        let id = crate::ids::new_id()?;
        let attestation = attest::attest(
            &normalized,
            capture.captured_at,
            gps,
            capture.device_id,
            &id,
            capture.device_key,
        )?;
        let record = EvidenceRecord {
            id,
            record_kind: capture.record_kind.to_owned(),
            record_id: capture.record_id.to_owned(),
            sha256: normalized.sha256_hex(),
            phash: normalized.phash,
            width: normalized.width,
            height: normalized.height,
            bytes: normalized.jpeg.len() as u64,
            source_bytes: normalized.source_bytes as u64,
            captured_at: capture.captured_at,
            gps,
            camera_time: normalized.captured_at.clone(),
            attestation,
            created_at: now_millis(),
        };
        Ok(Prepared {
            record,
            jpeg: Zeroizing::new(normalized.jpeg),
            agent_id: capture.agent_id.to_owned(),
        })
    }

    /// Stores a prepared photo inside the caller's write transaction: the sealed blob now, the
    /// row (and its audit entry) with the transaction. If the transaction rolls back, the blob
    /// is an orphan for the next sweep.
    pub fn attach(&self, tx: &Transaction<'_>, prepared: &Prepared) -> Result<()> {
        let record = &prepared.record;
        self.blobs.put(&prepared.jpeg)?;
        let details = Details {
            gps: record.gps,
            camera_time: record.camera_time.clone(),
        };
        tx.prepare_cached(&format!(
            "INSERT INTO evidence ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
             ?11, ?12, ?13, ?14)"
        ))?
        .execute(params![
            record.id,
            record.record_kind,
            record.record_id,
            record.sha256,
            record.phash as i64,
            record.width,
            record.height,
            record.bytes as i64,
            record.source_bytes as i64,
            record.captured_at,
            self.cipher
                .seal_json(cell("details", &record.id), &details)?,
            self.cipher
                .seal_json(cell("attestation", &record.id), &record.attestation)?,
            record.created_at,
            prepared.agent_id,
        ])?;
        // The district's copy, sealed for it now: sync sends it with every agent locked.
        crate::outbox::stage_blob(tx, &record.sha256, &prepared.jpeg)?;
        if record.record_kind == "household" {
            self.attached_to_registered(tx, record)?;
        }
        if let Some(signer) = &self.signer {
            audit::append(
                tx,
                signer,
                &prepared.agent_id,
                Action::EvidenceCaptured,
                Some(&record.id),
                record.created_at,
            )?;
        }
        Ok(())
    }

    /// A photo of a household already registered travels as its own record; one taken before
    /// the household is submitted travels with it.
    fn attached_to_registered(&self, tx: &Transaction<'_>, record: &EvidenceRecord) -> Result<()> {
        let registered = tx
            .prepare_cached("SELECT 1 FROM households WHERE id = ?1")?
            .exists([&record.record_id])?;
        if !registered {
            return Ok(());
        }
        let household =
            crate::registration::repo::load_household(tx, &self.cipher, &record.record_id, None)?;
        let attached = perlinsos_protocol::record::Record::EvidenceAttached(Box::new(
            perlinsos_protocol::record::EvidenceAttached {
                record_kind: record.record_kind.clone(),
                record_id: record.record_id.clone(),
                evidence: perlinsos_protocol::record::EvidenceRef {
                    sha256: record.sha256.clone(),
                    attestation: record.attestation.clone(),
                },
            },
        ));
        crate::outbox::enqueue(
            tx,
            &attached,
            Some(&household.address.kelurahan_code),
            record.created_at,
        )
        .map(drop)
    }

    fn row(&self, row: &rusqlite::Row<'_>) -> Result<EvidenceRecord> {
        let id: String = row.get(0)?;
        let details: Details = self
            .cipher
            .open_json(cell("details", &id), &row.get::<_, Vec<u8>>(10)?)?;
        let attestation: Attestation = self
            .cipher
            .open_json(cell("attestation", &id), &row.get::<_, Vec<u8>>(11)?)?;
        Ok(EvidenceRecord {
            record_kind: row.get(1)?,
            record_id: row.get(2)?,
            sha256: row.get(3)?,
            phash: row.get::<_, i64>(4)? as u64,
            width: row.get(5)?,
            height: row.get(6)?,
            bytes: row.get::<_, i64>(7)? as u64,
            source_bytes: row.get::<_, i64>(8)? as u64,
            captured_at: row.get(9)?,
            gps: details.gps,
            camera_time: details.camera_time,
            attestation,
            created_at: row.get(12)?,
            id,
        })
    }

    /// Rows matching `filter`, whose parameters start at ?2 (?1 is the agent's scope).
    fn query(&self, conn: &Connection, filter: &str, args: &[&str]) -> Result<Vec<EvidenceRecord>> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM evidence WHERE (?1 IS NULL OR agent_id = ?1) AND {filter} \
             ORDER BY created_at, id"
        ))?;
        let mut values: Vec<Option<&str>> = vec![self.agent.as_deref()];
        values.extend(args.iter().map(|a| Some(*a)));
        let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(self.row(row)?);
        }
        Ok(out)
    }

    /// The evidence attached to a record, oldest first.
    pub fn for_record(&self, record_kind: &str, record_id: &str) -> Result<Vec<EvidenceRecord>> {
        self.store.read(|conn| {
            self.query(
                conn,
                "record_kind = ?2 AND record_id = ?3",
                &[record_kind, record_id],
            )
        })
    }

    pub fn get(&self, evidence_id: &str) -> Result<EvidenceRecord> {
        self.store
            .read(|conn| self.query(conn, "id = ?2", &[evidence_id]))?
            .pop()
            .ok_or_else(|| Error::invalid("evidence", ErrorCode::EvidenceNotFound))
    }

    /// The normalized JPEG of a piece of evidence, decrypted.
    pub fn photo(&self, evidence_id: &str) -> Result<Zeroizing<Vec<u8>>> {
        let sha: Option<String> = self.store.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT sha256 FROM evidence WHERE id = ?1 AND (?2 IS NULL OR agent_id = ?2)",
                )?
                .query_row(params![evidence_id, self.agent], |r| r.get(0))
                .optional()?)
        })?;
        let sha = sha.ok_or_else(|| Error::invalid("evidence", ErrorCode::EvidenceNotFound))?;
        self.blobs.get(&sha)
    }

    /// Evidence on this phone whose perceptual hash is within the near-duplicate distance of
    /// `phash`, outside the given record, closest first.
    pub fn near_duplicates(
        &self,
        phash: u64,
        except_record: (&str, &str),
    ) -> Result<Vec<NearDuplicate>> {
        let mut found = self.store.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, record_kind, record_id, phash FROM evidence
                 WHERE NOT (record_kind = ?1 AND record_id = ?2)",
            )?;
            let rows = stmt.query_map([except_record.0, except_record.1], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (evidence_id, record_kind, record_id, other) = row?;
                if phash::is_near_duplicate(phash, other as u64) {
                    out.push(NearDuplicate {
                        evidence_id,
                        record_kind,
                        record_id,
                        distance: phash::distance(phash, other as u64),
                    });
                }
            }
            Ok(out)
        })?;
        found.sort_by_key(|d| d.distance);
        Ok(found)
    }

    /// Removes a record's evidence (the record is gone, or the server has it), and every blob
    /// no remaining row refers to.
    pub fn remove_record(&self, record_kind: &str, record_id: &str) -> Result<usize> {
        let removed = self
            .store
            .write(|tx| remove_rows(tx, record_kind, record_id))?;
        self.sweep_orphans()?;
        Ok(removed)
    }

    /// Deletes blobs no evidence row refers to; returns how many. Runs in a write transaction
    /// so that no capture is between its blob and its row meanwhile.
    pub fn sweep_orphans(&self) -> Result<usize> {
        self.store.write(|tx| {
            let referenced: HashSet<String> = {
                let mut stmt = tx.prepare_cached("SELECT DISTINCT sha256 FROM evidence")?;
                let rows = stmt.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            self.blobs.remove_orphans(&referenced)
        })
    }

    /// The blob folder's contents, for tests and diagnostics.
    pub fn blob_names(&self) -> Result<Vec<String>> {
        self.blobs.list()
    }
}

/// Deletes a record's evidence rows in the caller's transaction (the blobs go with the next
/// sweep); returns how many.
pub(crate) fn remove_rows(
    tx: &Transaction<'_>,
    record_kind: &str,
    record_id: &str,
) -> Result<usize> {
    Ok(tx
        .prepare_cached("DELETE FROM evidence WHERE record_kind = ?1 AND record_id = ?2")?
        .execute([record_kind, record_id])?)
}

/// The photos a record names, as its outbox record lists them (hash and attestation), read in
/// the caller's transaction.
pub(crate) fn refs_for(
    conn: &Connection,
    cipher: &Cipher,
    record_kind: &str,
    record_id: &str,
) -> Result<Vec<perlinsos_protocol::record::EvidenceRef>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, sha256, attestation FROM evidence WHERE record_kind = ?1 AND record_id = ?2
         ORDER BY created_at, id",
    )?;
    let mut rows = stmt.query(params![record_kind, record_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        out.push(perlinsos_protocol::record::EvidenceRef {
            sha256: row.get(1)?,
            attestation: cipher.open_json(cell("attestation", &id), &row.get::<_, Vec<u8>>(2)?)?,
        });
    }
    Ok(out)
}
