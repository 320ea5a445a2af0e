//! An accepted visit's PMT answers flow back: they become the family's last known answers in
//! the district's copy (sealed like every family body), as a new revision of the same DTSEN
//! version, and the family goes again to every agent it is assigned to, so the next visit
//! (another agent, or another phone) opens its questionnaire with them. Runs inside the
//! transaction that accepts the visit (or the officer's resolution that accepts it).
use perlinsos_protocol::wire::Change;
use perlinsos_rules::dtsen::visit::{VerificationVisit, VisitOutcome};
use perlinsos_rules::pmt::answers::{self, Answers};
use perlinsos_rules::pmt::model::Model;
use perlinsos_rules::pmt::signed::SignedModel;

use crate::db::{self, DbError, DbResult, Tx};
use crate::keys::ServerKeys;

/// Changes for everyone (`all`) are models and record keys: a few a year. Models are looked
/// for among the newest this many.
const MAX_SHARED_CHANGES: i64 = 500;

/// Flows back `visit`'s answers if it found the family and carries a questionnaire. Returns
/// how many agents were sent the updated family (0: nothing changed).
pub fn flow_back(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    visit: &VerificationVisit,
    now: i64,
) -> DbResult<usize> {
    let Some(pmt) = visit.pmt.as_ref() else {
        return Ok(0);
    };
    if visit.outcome != VisitOutcome::Ditemukan {
        return Ok(0);
    }
    let Some(model) = published_model(tx, keys, &pmt.model_id, pmt.model_version)? else {
        // Phones only use models this district published: one not found cannot be told
        // apart into asked and derived answers, so nothing flows back.
        tracing::warn!(event = "visit_answers_model_unknown");
        return Ok(0);
    };
    // What the resident answered, as the pre-fill would open it: derived questions left out.
    let asked = answers::prefill(&model, &pmt.answers);
    if asked.is_empty() || answers::check_shape(&asked).is_some() {
        return Ok(0);
    }
    // The change feed's lock before the family row: an import takes them in this order too
    // (`families::import`), so neither waits for the other while holding what it needs.
    db::serialize_on(tx, b"changes")?;
    replace_answers(tx, keys, &visit.family_id, asked, now)
}

fn replace_answers(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    family_id: &str,
    asked: Answers,
    now: i64,
) -> DbResult<usize> {
    let Some(mut family) = crate::families::family(tx, keys, family_id)? else {
        return Ok(0);
    };
    if family.pmt_answers == asked {
        return Ok(0);
    }
    let Some(revision) = family.revision.checked_add(1) else {
        tracing::warn!(event = "family_revision_exhausted");
        return Ok(0);
    };
    family.pmt_answers = asked;
    family.revision = revision;
    let body = serde_json::to_vec(&family).map_err(|e| DbError(e.to_string()))?;
    let sealed = keys
        .seal(&crate::families::context(family_id), &body)
        .map_err(|e| DbError(e.to_string()))?;
    let updated = tx.execute(
        "UPDATE families SET sealed = ?2 WHERE family_id = ?1 AND version = ?3",
        &[
            db::text(family_id),
            db::blob(sealed),
            db::int(i64::from(family.version)),
        ],
    )?;
    if updated == 0 {
        return Ok(0);
    }
    let agents: Vec<String> = tx
        .query(
            "SELECT agent_id FROM assignments WHERE family_id = ?1 ORDER BY agent_id",
            &[db::text(family_id)],
        )?
        .iter()
        .filter_map(|r| r[0].text())
        .collect();
    for agent in &agents {
        crate::families::send(
            tx,
            keys,
            agent,
            &family.kelurahan_code,
            vec![family.clone()],
            Vec::new(),
            now,
        )?;
    }
    tracing::info!(
        event = "visit_answers_flowed_back",
        revision,
        agents = agents.len()
    );
    Ok(agents.len())
}

/// The model `id` at `version` as this district published it (its own signed change).
fn published_model(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    id: &str,
    version: u32,
) -> DbResult<Option<Model>> {
    let rows = tx.query(
        "SELECT body, sealed FROM changes WHERE audience = ?1 ORDER BY cursor DESC LIMIT ?2",
        &[db::text("all"), db::int(MAX_SHARED_CHANGES)],
    )?;
    for row in rows {
        let Some(body) = crate::stored::open_text(
            keys,
            crate::stored::CHANGE_CONTEXT,
            row[0].text(),
            row[1].blob(),
        ) else {
            continue;
        };
        let Ok(Change::Model {
            id: found,
            version: found_version,
            signed,
        }) = serde_json::from_str::<Change>(&body)
        else {
            continue;
        };
        if found != id || found_version != version {
            continue;
        }
        // The district signed it itself; were it unreadable, the visit is still accepted.
        return Ok(serde_json::from_str::<SignedModel>(&signed)
            .ok()
            .and_then(|file| Model::parse(file.payload.as_bytes()).ok()));
    }
    Ok(None)
}
