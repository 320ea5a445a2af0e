//! The "Sanggahan hasil" pages: families objecting to their own result, reviewed beside the
//! family's data (numbers masked for a peninjau), the result and the evidence; the decision
//! and its reason go back to the phone and the resident.
use std::fmt::Write;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::html::{esc, kelurahan, page, time};
use super::{error_page, html, require, require_post, storage_error};
use crate::objections::{self, DecideError};
use crate::AppState;
use perlinsos_protocol::record::ObjectionFiled;
use perlinsos_rules::dtsen::objection::ObjectionReason;

fn reason_label(reason: &str) -> &'static str {
    ObjectionReason::parse(reason).map_or("?", |r| r.label())
}

pub(super) async fn list_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let reader = state.clone();
    let Ok(Ok(rows)) = tokio::task::spawn_blocking(move || reader.db.read(objections::open)).await
    else {
        return storage_error();
    };
    let mut body = String::from(
        "<p>Keluarga yang tidak setuju dengan hasilnya sendiri dan mengajukan sanggahan lewat \
         agen sebelum batas waktu. Buka untuk melihat data keluarga, hasil dan bukti.</p>",
    );
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| session.operator.scope.covers(&r.kelurahan_code))
        .collect();
    if rows.is_empty() {
        body.push_str("<p>Tidak ada sanggahan hasil yang menunggu putusan.</p>");
    } else {
        body.push_str(
            "<table><thead><tr><th>Sanggahan</th><th>Keluarga</th><th>Alasan</th>\
             <th>Kelurahan</th><th>Diajukan</th></tr></thead><tbody>",
        );
        for r in &rows {
            let _ = write!(
                body,
                "<tr><td><a href=\"/review/sanggahan-hasil/{id}\">{id}</a></td><td>{family}</td>\
                 <td>{reason}</td><td>{kel}</td><td>{at}</td></tr>",
                id = esc(&r.id),
                family = esc(&r.family_id),
                reason = esc(reason_label(&r.reason)),
                kel = kelurahan(&r.kelurahan_code),
                at = time(r.filed_at, &r.kelurahan_code),
            );
        }
        body.push_str("</tbody></table>");
    }
    html(
        StatusCode::OK,
        page(
            "Sanggahan hasil",
            Some((&session.operator, &session.csrf)),
            &body,
        ),
    )
}

pub(super) async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let reader = state.clone();
    let found = tokio::task::spawn_blocking(move || {
        reader.db.read(|tx| {
            let Some(row) = objections::get(tx, &id)? else {
                return Ok(None);
            };
            let body = crate::stored::entry_body(tx, &reader.keys, &row.entry_id)?;
            let family = crate::families::family(tx, &reader.keys, &row.family_id)?;
            let result = crate::results::of_family(tx, &reader.keys, &row.family_id)?;
            Ok(Some((row, body, family, result)))
        })
    })
    .await;
    let Ok(Ok(found)) = found else {
        return storage_error();
    };
    let Some((row, body, family, result)) = found else {
        return error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Sanggahan tidak ditemukan.",
        );
    };
    if !session.operator.scope.covers(&row.kelurahan_code) {
        return error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Sanggahan tidak ditemukan.",
        );
    }
    let filed: Option<ObjectionFiled> = body.and_then(|b| serde_json::from_str(&b).ok());
    let full = session.operator.scope.sees_full_numbers();
    let number = |n: &str| {
        if full {
            esc(n)
        } else {
            esc(&crate::registrations::masked(n))
        }
    };
    let mut out = format!(
        "<dl><dt>Keluarga</dt><dd>{}</dd><dt>Kelurahan</dt><dd>{}</dd><dt>Alasan</dt><dd>{}</dd>\
         <dt>Diajukan</dt><dd>{} lewat agen {}</dd><dt>Status</dt><dd>{}</dd></dl>",
        esc(&row.family_id),
        kelurahan(&row.kelurahan_code),
        esc(reason_label(&row.reason)),
        time(row.filed_at, &row.kelurahan_code),
        esc(&row.agent_id),
        esc(&row.status),
    );
    if let Some(filed) = &filed {
        let _ = write!(
            out,
            "<div class=\"box\"><h2>Pernyataan</h2><p>{}</p><p>Diajukan oleh anggota dengan NIK {}</p></div>",
            esc(&filed.objection.statement),
            number(&filed.objection.objector_nik)
        );
    }
    if let Some(result) = &result {
        let _ = write!(
            out,
            "<div class=\"box\"><h2>Hasil yang disanggah</h2><p class=\"{}\">{}</p><p>Desil: {}</p>\
             <p>Batas sanggahan: {}</p>",
            if result.eligible { "ok" } else { "warn" },
            if result.eligible { "LAYAK" } else { "TIDAK LAYAK" },
            result.desil.map_or("-".to_owned(), |d| d.to_string()),
            time(result.objection_deadline, &row.kelurahan_code),
        );
        for reason in &result.reasons {
            let _ = write!(out, "<p>Alasan hasil: {}</p>", esc(reason));
        }
        out.push_str("</div>");
    }
    if let Some(family) = &family {
        let _ = write!(
            out,
            "<div class=\"box\"><h2>Data keluarga (DTSEN versi {})</h2><p>KK {} · RT {:03}/RW {:03} · {}</p>\
             <table><thead><tr><th>Nama</th><th>NIK</th><th>Hubungan</th><th>Lahir</th></tr></thead><tbody>",
            family.version,
            number(&family.kk),
            family.rt,
            family.rw,
            esc(&family.address),
        );
        for m in &family.members {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.name),
                number(&m.nik),
                esc(m.relation.label()),
                esc(&m.birth_date.to_string()),
            );
        }
        out.push_str("</tbody></table></div>");
    }
    if let Some(filed) = &filed {
        out.push_str("<div class=\"box\"><h2>Bukti foto</h2><div class=\"photos\">");
        for (e, (_, shows)) in filed.evidence.iter().zip(&filed.objection.photos) {
            let _ = write!(
                out,
                "<figure><img src=\"/review/bukti/{sha}\" alt=\"{label}\"><figcaption>{label}, \
                 diambil {at}</figcaption></figure>",
                sha = esc(&e.sha256),
                label = esc(shows.label()),
                at = time(e.attestation.captured_at, &row.kelurahan_code),
            );
        }
        out.push_str("</div></div>");
    }
    if row.status == objections::RECEIVED {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/review/sanggahan-hasil/{id}/putusan\" class=\"box\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <label><input type=\"radio\" name=\"decision\" value=\"dikabulkan\"> Dikabulkan \
             (keluarga diverifikasi ulang / hasil diperbaiki)</label>\
             <label><input type=\"radio\" name=\"decision\" value=\"ditolak\"> Ditolak (hasil tetap)</label>\
             <label>Alasan untuk warga <textarea name=\"reason\" rows=\"3\" maxlength=\"500\" required></textarea></label>\
             <button>Simpan putusan</button></form>",
            id = esc(&row.id),
            csrf = esc(&session.csrf),
        );
    }
    html(
        StatusCode::OK,
        page(
            "Sanggahan hasil",
            Some((&session.operator, &session.csrf)),
            &out,
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    csrf: Option<String>,
    decision: Option<String>,
    reason: Option<String>,
}

pub(super) async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let granted = match form.decision.as_deref() {
        Some("dikabulkan") => true,
        Some("ditolak") => false,
        _ => {
            return error_page(
                StatusCode::BAD_REQUEST,
                Some(&session),
                "Pilih dikabulkan atau ditolak.",
            )
        }
    };
    let actor = session.operator.username.clone();
    let scope = session.operator.scope.clone();
    let reason = form.reason.unwrap_or_default();
    let decided = tokio::task::spawn_blocking(move || {
        let row = state.db.read(|tx| objections::get(tx, &id)).ok().flatten();
        match row {
            Some(r) if scope.covers(&r.kelurahan_code) => {
                objections::decide(&state, &actor, &id, granted, &reason).map(|()| id)
            }
            _ => Err(DecideError::NotOpen),
        }
    })
    .await;
    match decided {
        Ok(Ok(id)) => Redirect::to(&format!("/review/sanggahan-hasil/{id}")).into_response(),
        Ok(Err(DecideError::ReasonMissing)) => error_page(
            StatusCode::BAD_REQUEST,
            Some(&session),
            "Alasan putusan wajib diisi (paling banyak 500 huruf).",
        ),
        Ok(Err(DecideError::NotOpen)) => error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Sanggahan ini tidak ditemukan di wilayah Anda atau sudah diputus.",
        ),
        _ => storage_error(),
    }
}
