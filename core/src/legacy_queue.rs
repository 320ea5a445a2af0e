//! Rows an older app queued before records were sealed at enqueue: no key id, and only a small
//! payload naming the record. They are rebuilt once, when one of their agents unlocks (that
//! agent's cipher opens the tables they name), into the typed record sealed for the newest
//! record key, in place and under the same entry id, so the server's exactly-once check still
//! holds; the photos they name are staged the same way. Until then sync skips them; nothing is
//! deleted.
use perlinsos_protocol::outbox_kind;
use perlinsos_protocol::record::{
    AuditAppended, EvidenceRef, HouseholdRegistered, Record, SanggahanFiled, SanggahanWithdrawn,
};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::evidence::book::{EvidenceBook, EvidenceRecord};
use crate::registration::Registry;
use crate::sanggahan::SanggahanBook;
use crate::store::Store;

/// One agent's view of the phone: what opens their rows.
pub struct Books<'a> {
    pub store: &'a Store,
    /// Without an audit signer: rebuilding is not the agent viewing a household.
    pub registry: &'a Registry,
    pub evidence: &'a EvidenceBook,
    pub sanggahan: &'a SanggahanBook,
}

fn refs(photos: &[EvidenceRecord]) -> Vec<EvidenceRef> {
    photos
        .iter()
        .map(|p| EvidenceRef {
            sha256: p.sha256.clone(),
            attestation: p.attestation.clone(),
        })
        .collect()
}

/// A record of another agent (or gone) is not this agent's to rebuild.
fn theirs<T>(found: Result<T>) -> Result<Option<T>> {
    match found {
        Ok(value) => Ok(Some(value)),
        Err(Error::Invalid(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The record a legacy row stands for, its kelurahan and the photos it names.
struct Rebuilt {
    record: Record,
    kelurahan: Option<String>,
    photos: Vec<EvidenceRecord>,
}

fn rebuilt(record: Record, kelurahan: Option<String>, photos: Vec<EvidenceRecord>) -> Rebuilt {
    Rebuilt {
        record,
        kelurahan,
        photos,
    }
}

fn rebuild(
    books: &Books<'_>,
    kind: &str,
    entity_id: &str,
    payload: &[u8],
) -> Result<Option<Rebuilt>> {
    let malformed = |_| Error::Corrupt("legacy outbox payload");
    Ok(match kind {
        outbox_kind::HOUSEHOLD_REGISTERED => {
            let Some(household) = theirs(books.registry.household(entity_id))? else {
                return Ok(None);
            };
            let photos = books.evidence.for_record("household", entity_id)?;
            let kelurahan = household.address.kelurahan_code.clone();
            let record = Record::HouseholdRegistered(Box::new(HouseholdRegistered {
                household,
                evidence: refs(&photos),
                receipt: None,
            }));
            Some(rebuilt(record, Some(kelurahan), photos))
        }
        outbox_kind::SANGGAHAN_FILED => {
            let Some(s) = theirs(books.sanggahan.get(entity_id))? else {
                return Ok(None);
            };
            let photos = books.evidence.for_record("sanggahan", entity_id)?;
            let kelurahan = s.summary.kelurahan_code.clone();
            let record = Record::SanggahanFiled(Box::new(SanggahanFiled {
                id: s.summary.id,
                recipient_id: s.summary.recipient_id,
                kelurahan_code: s.summary.kelurahan_code,
                reporter: s.reporter,
                reason: s.reason,
                statement: s.statement,
                photos: s.photos,
                reused_photos: s.summary.reused_photos,
                filed_at: s.summary.created_at,
                evidence: refs(&photos),
            }));
            Some(rebuilt(record, Some(kelurahan), photos))
        }
        outbox_kind::SANGGAHAN_WITHDRAWN => {
            let withdrawn: SanggahanWithdrawn =
                serde_json::from_slice(payload).map_err(malformed)?;
            let Some(s) = theirs(books.sanggahan.get(&withdrawn.sanggahan_id))? else {
                return Ok(None);
            };
            let kelurahan = s.summary.kelurahan_code;
            Some(rebuilt(
                Record::SanggahanWithdrawn(withdrawn),
                Some(kelurahan),
                Vec::new(),
            ))
        }
        // The device's own trail: its old payload is the entry itself.
        outbox_kind::AUDIT_APPENDED => {
            let entry: AuditAppended = serde_json::from_slice(payload).map_err(malformed)?;
            Some(rebuilt(Record::AuditAppended(entry), None, Vec::new()))
        }
        _ => None,
    })
}

/// Rebuilds and seals every legacy row this agent can open; returns how many.
pub fn upgrade(books: &Books<'_>) -> Result<usize> {
    let rows: Vec<(String, String, String, Vec<u8>)> = books.store.read(|c| {
        let mut stmt = c.prepare(
            "SELECT id, kind, entity_id, payload FROM outbox WHERE key_id IS NULL
             ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    let mut upgraded = 0;
    for (id, kind, entity_id, payload) in rows {
        let Some(Rebuilt {
            record,
            kelurahan,
            photos,
        }) = rebuild(books, &kind, &entity_id, &payload)?
        else {
            continue;
        };
        let mut jpegs: Vec<(String, Zeroizing<Vec<u8>>)> = Vec::with_capacity(photos.len());
        for photo in &photos {
            jpegs.push((photo.sha256.clone(), books.evidence.photo(&photo.id)?));
        }
        let sealed = books.store.write(|tx| {
            for (sha, jpeg) in &jpegs {
                crate::outbox::stage_blob(tx, sha, jpeg)?;
            }
            crate::outbox::seal_in_place(tx, &id, &record, kelurahan.as_deref())
        })?;
        if sealed {
            upgraded += 1;
        }
    }
    Ok(upgraded)
}

/// How many legacy rows wait for an agent's unlock.
pub fn waiting(store: &Store) -> Result<usize> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT count(*) FROM outbox WHERE key_id IS NULL",
            [],
            |r| r.get::<_, i64>(0),
        )? as usize)
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use perlinsos_protocol::record::open_record;

    use crate::evidence::book::Capture;
    use crate::evidence::Options;
    use crate::phone::Phone;

    use super::*;

    const PHOTO: &[u8] = include_bytes!("../data/photos/cam2_wood.jpg");

    /// Opens a row with the phone's holding key, as enrollment does.
    fn open_row(phone: &Phone, id: &str) -> Record {
        let reference = phone.device().reference_cipher();
        phone
            .store()
            .read(|c| {
                let (kind, key_id, payload): (String, String, Vec<u8>) = c.query_row(
                    "SELECT kind, key_id, payload FROM outbox WHERE id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                let sealed: Vec<u8> = c.query_row(
                    "SELECT private_sealed FROM record_keys WHERE key_id = ?1",
                    [&key_id],
                    |r| r.get(0),
                )?;
                let private = crate::record_keys::open_holding(&reference, &key_id, &sealed)?;
                Ok(open_record(&payload, id, &kind, &key_id, &private).unwrap())
            })
            .unwrap()
    }

    #[test]
    fn rows_an_older_app_queued_are_rebuilt_sealed_under_their_own_entry_ids() {
        let dir = tempfile::tempdir().unwrap();
        let phone =
            Phone::open(dir.path(), b"keystore", Arc::new(crate::date::now_millis)).unwrap();
        let session = phone
            .agents()
            .enroll("agen-01", "482913", &[5; 32])
            .unwrap();
        let now = crate::date::now_millis();
        let mut generator =
            crate::sample::Generator::new(3, crate::date::Date::of_unix_millis(now));
        let household = generator
            .household("agen-01", 3, now)
            .register(&phone.registry(&session).unwrap(), now)
            .unwrap();
        let photo = phone
            .evidence(&session)
            .unwrap()
            .capture(
                PHOTO,
                &Options::default(),
                Capture {
                    record_kind: "household",
                    record_id: &household,
                    captured_at: now,
                    gps: None,
                    device_id: &phone.device().id,
                    device_key: phone.device().key(),
                    agent_id: "agen-01",
                },
            )
            .unwrap();
        // What the rows held when an older app queued them: the household named by id, the
        // audit entries as JSON, no key, no staged photo, no evidence.attached kind.
        let rows: Vec<(String, String)> = phone
            .store()
            .read(|c| {
                let mut stmt = c.prepare("SELECT id, kind FROM outbox ORDER BY id")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        let mut audit = Vec::new();
        for (id, kind) in &rows {
            if kind == outbox_kind::AUDIT_APPENDED {
                audit.push((id.clone(), open_row(&phone, id)));
            }
        }
        phone
            .store()
            .write(|tx| {
                tx.execute("DELETE FROM outbox WHERE kind = 'evidence.attached'", [])?;
                tx.execute("DELETE FROM outbox_blobs", [])?;
                tx.execute(
                    "UPDATE outbox SET key_id = NULL, kelurahan_code = NULL, blobs = NULL,
                         payload = CAST('{}' AS BLOB) WHERE kind = 'household.registered'",
                    [],
                )?;
                for (id, record) in &audit {
                    let Record::AuditAppended(entry) = record else {
                        unreachable!()
                    };
                    tx.execute(
                        "UPDATE outbox SET key_id = NULL, kelurahan_code = NULL, blobs = NULL,
                             payload = ?2 WHERE id = ?1",
                        rusqlite::params![id, serde_json::to_vec(entry).unwrap()],
                    )?;
                }
                Ok(())
            })
            .unwrap();
        let legacy = waiting(phone.store()).unwrap();
        assert_eq!(legacy, audit.len() + 1);

        assert_eq!(phone.upgrade_queue(&session).unwrap(), legacy);
        assert_eq!(waiting(phone.store()).unwrap(), 0);
        assert_eq!(phone.upgrade_queue(&session).unwrap(), 0, "once");
        for (id, record) in &audit {
            assert_eq!(&open_row(&phone, id), record, "audit entry {id}");
        }
        let (household_row, blobs): (String, String) = phone
            .store()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT id, blobs FROM outbox WHERE kind = 'household.registered'",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .unwrap();
        let Record::HouseholdRegistered(rebuilt) = open_row(&phone, &household_row) else {
            panic!("a household");
        };
        let stored = Registry::new(phone.store().clone(), session.cipher().unwrap())
            .household(&household)
            .unwrap();
        assert_eq!(rebuilt.household, stored);
        assert_eq!(rebuilt.evidence.len(), 1, "the photo taken for it");
        assert_eq!(rebuilt.evidence[0].sha256, photo.sha256);
        assert_eq!(blobs, format!("[\"{}\"]", photo.sha256));
        let staged: i64 = phone
            .store()
            .read(|c| {
                Ok(c.query_row(
                    "SELECT count(*) FROM outbox_blobs WHERE sha256 = ?1",
                    [&photo.sha256],
                    |r| r.get(0),
                )?)
            })
            .unwrap();
        assert_eq!(staged, 1, "its photo staged for the district");
    }
}
