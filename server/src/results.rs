//! The district publishes results per family (Layak / Tidak Layak, desil, programmes,
//! reasons) with an announcement date and an objection deadline; the agents holding each
//! family receive them on their phones as signed changes.
use std::collections::BTreeMap;

use perlinsos_protocol::wire::Change;
use perlinsos_rules::dtsen::result::{check_result, FamilyResult, DEFAULT_OBJECTION_DAYS};
use perlinsos_rules::sanggahan::recipients::Programme;

use crate::db::{self, DbError, DbResult, Tx};
use crate::keys::ServerKeys;
use crate::AppState;

const PER_CHANGE: usize = 100;

pub(crate) fn context(family_id: &str) -> String {
    format!("result:{family_id}")
}

/// One row of a results file (CSV: `family_id,hasil,desil,programmes,alasan`).
#[derive(Debug, serde::Deserialize)]
struct Row {
    family_id: String,
    hasil: String,
    #[serde(default)]
    desil: String,
    #[serde(default)]
    programmes: String,
    #[serde(default)]
    alasan: String,
}

/// Reads a results file: every row checked, errors with their line (the header is line 1).
pub fn parse(
    csv_bytes: &[u8],
    announced_at: i64,
    objection_days: i64,
) -> Result<Vec<FamilyResult>, Vec<String>> {
    let deadline = objection_days
        .checked_mul(perlinsos_rules::date::DAY_MS)
        .and_then(|w| announced_at.checked_add(w));
    let Some(deadline) = deadline else {
        return Err(vec!["masa sanggahan tidak valid".to_owned()]);
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(csv_bytes);
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, row) in reader.deserialize::<Row>().enumerate() {
        let line = i + 2;
        let Ok(row) = row else {
            errors.push(format!(
                "baris {line}: kolom tidak terbaca (family_id,hasil,desil,programmes,alasan)"
            ));
            continue;
        };
        let eligible = match row.hasil.to_lowercase().replace([' ', '-'], "_").as_str() {
            "layak" => true,
            "tidak_layak" => false,
            _ => {
                errors.push(format!(
                    "baris {line}, kolom hasil: harus layak atau tidak_layak"
                ));
                continue;
            }
        };
        let desil = match row.desil.as_str() {
            "" => None,
            d => match d.parse::<u8>() {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(format!(
                        "baris {line}, kolom desil: {}",
                        perlinsos_rules::ErrorCode::DesilInvalid.message()
                    ));
                    continue;
                }
            },
        };
        let mut programmes = Vec::new();
        for name in row.programmes.split('|').filter(|p| !p.trim().is_empty()) {
            match Programme::parse(name) {
                Some(p) => programmes.push(p),
                None => errors.push(format!(
                    "baris {line}, kolom programmes: program tidak dikenal"
                )),
            }
        }
        let result = FamilyResult {
            family_id: row.family_id,
            eligible,
            desil,
            programmes,
            reasons: row
                .alasan
                .split('|')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            announced_at,
            objection_deadline: deadline,
        };
        for e in check_result(&result) {
            errors.push(format!(
                "baris {line}, kolom {}: {} ({})",
                e.field,
                e.message,
                e.code.as_str()
            ));
        }
        out.push(result);
    }
    if out.is_empty() && errors.is_empty() {
        errors.push("berkas kosong".to_owned());
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Published {
    pub results: usize,
    pub changes: usize,
    pub unknown: Vec<String>,
}

/// Stores the results (replacing earlier ones of the same families) and sends each to the
/// agents holding the family. Families not imported are named, and nothing is published.
pub fn publish(
    state: &AppState,
    operator: &str,
    results: &[FamilyResult],
) -> Result<Published, String> {
    let now = (state.clock)();
    let keys = &state.keys;
    state
        .db
        .write(|tx| {
            let mut published = Published::default();
            let mut sends: BTreeMap<(String, String), Vec<FamilyResult>> = BTreeMap::new();
            for result in results {
                let place = tx.query_one(
                    "SELECT kelurahan_code FROM families WHERE family_id = ?1",
                    &[db::text(result.family_id.as_str())],
                )?;
                let Some(kelurahan) = place.and_then(|r| r[0].text()) else {
                    published.unknown.push(result.family_id.clone());
                    continue;
                };
                let body = serde_json::to_vec(result).map_err(|e| DbError(e.to_string()))?;
                let sealed = keys
                    .seal(&context(&result.family_id), &body)
                    .map_err(|e| DbError(e.to_string()))?;
                tx.execute(
                    "INSERT INTO family_results (family_id, announced_at, objection_deadline,
                                                 sealed, published_at)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (family_id) DO UPDATE SET announced_at = excluded.announced_at,
                        objection_deadline = excluded.objection_deadline, sealed = excluded.sealed,
                        published_at = excluded.published_at",
                    &[
                        db::text(result.family_id.as_str()),
                        db::int(result.announced_at),
                        db::int(result.objection_deadline),
                        db::blob(sealed),
                        db::int(now),
                    ],
                )?;
                published.results += 1;
                for holder in tx.query(
                    "SELECT agent_id FROM assignments WHERE family_id = ?1",
                    &[db::text(result.family_id.as_str())],
                )? {
                    sends
                        .entry((holder[0].text().unwrap_or_default(), kelurahan.clone()))
                        .or_default()
                        .push(result.clone());
                }
            }
            if !published.unknown.is_empty() {
                return Ok(Err(published));
            }
            for ((agent, kelurahan), results) in sends {
                for part in results.chunks(PER_CHANGE) {
                    let change = Change::Results {
                        agent_id: agent.clone(),
                        results: part.to_vec(),
                    };
                    let body =
                        serde_json::to_string(&change).map_err(|e| DbError(e.to_string()))?;
                    let audience = format!("a:{agent}:{kelurahan}");
                    db::add_change_to(tx, keys, &audience, Some(&kelurahan), &body, now)?;
                    published.changes += 1;
                }
            }
            crate::staff_audit::record(
                tx,
                now,
                operator,
                "publish_results",
                None,
                Some(&format!("results={}", published.results)),
            )?;
            Ok(Ok(published))
        })
        .map_err(|e: DbError| e.0)?
        .map_err(|p| {
            format!(
                "{} family ids are not imported (nothing published): {}",
                p.unknown.len(),
                p.unknown.join(", ")
            )
        })
}

/// The result the district published for a family.
pub fn of_family(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    family_id: &str,
) -> DbResult<Option<FamilyResult>> {
    let row = tx.query_one(
        "SELECT sealed FROM family_results WHERE family_id = ?1",
        &[db::text(family_id)],
    )?;
    let Some(sealed) = row.and_then(|r| r[0].blob()) else {
        return Ok(None);
    };
    let bytes = keys
        .open(&context(family_id), &sealed)
        .ok_or_else(|| DbError("result does not open".into()))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|_| DbError("result unreadable".into()))
}

/// The objection window the CLI uses unless told otherwise.
pub fn default_days() -> i64 {
    DEFAULT_OBJECTION_DAYS
}

#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_bytes_parse_or_are_refused(
            bytes in proptest::collection::vec(any::<u8>(), 0..4096),
            announced in any::<i64>(),
            days in any::<i64>(),
        ) {
            let _ = super::parse(&bytes, announced, days);
        }

        #[test]
        fn any_rows_after_the_header_parse_or_are_refused(
            rows in proptest::collection::vec("[a-zA-Z0-9_ ,|\"-]{0,60}", 0..20),
        ) {
            let text = format!("family_id,hasil,desil,programmes,alasan\n{}", rows.join("\n"));
            if let Err(errors) = super::parse(text.as_bytes(), 1_764_547_200_000, 30) {
                // Each problem names its line; a file of no rows is refused as empty.
                prop_assert!(errors.iter().all(|e| e.starts_with("baris ") || e == "berkas kosong"));
            }
        }
    }
}
