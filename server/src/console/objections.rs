//! The "Sanggahan hasil" pages: families objecting to their own result, reviewed beside the
//! family's data (numbers masked for a peninjau), the result and the evidence; the decision
//! and its reason go back to the phone and the resident.
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use maud::html as markup;

use super::html::{csrf_field, kelurahan, page, time};
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
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|r| session.operator.scope.covers(&r.kelurahan_code))
        .collect();
    let body = markup! {
        p { "Keluarga yang tidak setuju dengan hasilnya sendiri dan mengajukan sanggahan lewat \
             agen sebelum batas waktu. Buka untuk melihat data keluarga, hasil dan bukti." }
        @if rows.is_empty() {
            p { "Tidak ada sanggahan hasil yang menunggu putusan." }
        } @else {
            table {
                thead { tr {
                    th { "Sanggahan" } th { "Keluarga" } th { "Alasan" } th { "Kelurahan" } th { "Diajukan" }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { a href={ "/review/sanggahan-hasil/" (r.id) } { (r.id) } }
                            td { (r.family_id) }
                            td { (reason_label(&r.reason)) }
                            td { (kelurahan(&r.kelurahan_code)) }
                            td { (time(r.filed_at, &r.kelurahan_code)) }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        page(
            "Sanggahan hasil",
            Some((&session.operator, &session.csrf)),
            body,
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
            n.to_owned()
        } else {
            crate::registrations::masked(n)
        }
    };
    let place = &row.kelurahan_code;
    let out = markup! {
        dl {
            dt { "Keluarga" } dd { (row.family_id) }
            dt { "Kelurahan" } dd { (kelurahan(place)) }
            dt { "Alasan" } dd { (reason_label(&row.reason)) }
            dt { "Diajukan" } dd { (time(row.filed_at, place)) " lewat agen " (row.agent_id) }
            dt { "Status" } dd { (row.status) }
        }
        @if let Some(filed) = &filed {
            div class="box" {
                h2 { "Pernyataan" }
                p { (filed.objection.statement) }
                p { "Diajukan oleh anggota dengan NIK " (number(&filed.objection.objector_nik)) }
            }
        }
        @if let Some(result) = &result {
            div class="box" {
                h2 { "Hasil yang disanggah" }
                p class=(if result.eligible { "ok" } else { "warn" }) {
                    (if result.eligible { "LAYAK" } else { "TIDAK LAYAK" })
                }
                p { "Desil: " (result.desil.map_or("-".to_owned(), |d| d.to_string())) }
                p { "Batas sanggahan: " (time(result.objection_deadline, place)) }
                @for reason in &result.reasons {
                    p { "Alasan hasil: " (reason) }
                }
            }
        }
        @if let Some(family) = &family {
            div class="box" {
                h2 { "Data keluarga (DTSEN versi " (family.version) ")" }
                p {
                    "KK " (number(&family.kk)) " · RT " (format!("{:03}", family.rt))
                    "/RW " (format!("{:03}", family.rw)) " · " (family.address)
                }
                table {
                    thead { tr { th { "Nama" } th { "NIK" } th { "Hubungan" } th { "Lahir" } } }
                    tbody {
                        @for m in &family.members {
                            tr {
                                td { (m.name) }
                                td { (number(&m.nik)) }
                                td { (m.relation.label()) }
                                td { (m.birth_date.to_string()) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(filed) = &filed {
            div class="box" {
                h2 { "Bukti foto" }
                div class="photos" {
                    @for (e, (_, shows)) in filed.evidence.iter().zip(&filed.objection.photos) {
                        figure {
                            img src={ "/review/bukti/" (e.sha256) } alt=(shows.label());
                            figcaption { (shows.label()) ", diambil " (time(e.attestation.captured_at, place)) }
                        }
                    }
                }
            }
        }
        @if row.status == objections::RECEIVED {
            form method="post" action={ "/review/sanggahan-hasil/" (row.id) "/putusan" } class="box" {
                (csrf_field(&session.csrf))
                label {
                    input type="radio" name="decision" value="dikabulkan";
                    " Dikabulkan (keluarga diverifikasi ulang / hasil diperbaiki)"
                }
                label { input type="radio" name="decision" value="ditolak"; " Ditolak (hasil tetap)" }
                label { "Alasan untuk warga " textarea name="reason" rows="3" maxlength="500" required {} }
                button { "Simpan putusan" }
            }
        }
    };
    html(
        StatusCode::OK,
        page(
            "Sanggahan hasil",
            Some((&session.operator, &session.csrf)),
            out,
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    pub(super) csrf: Option<String>,
    pub(super) decision: Option<String>,
    pub(super) reason: Option<String>,
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
