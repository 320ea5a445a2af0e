//! The "Kunjungan" pages: verification visits of one family by two agents (a conflict), and the
//! officer's choice; and checking a receipt a resident shows ("Tanda terima").
use std::collections::BTreeMap;
use std::fmt::Write;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::html::{esc, kelurahan, page, time};
use super::{error_page, html, require, require_post, storage_error};
use crate::visits::{self, ResolveError};
use crate::AppState;

fn outcome_label(outcome: &str) -> &'static str {
    perlinsos_rules::dtsen::visit::VisitOutcome::parse(outcome).map_or("?", |o| o.label())
}

pub(super) async fn conflicts_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let reader = state.clone();
    let found =
        tokio::task::spawn_blocking(move || reader.db.read(|tx| visits::conflicts(tx, None))).await;
    let Ok(Ok(rows)) = found else {
        return storage_error();
    };
    let mut by_family: BTreeMap<String, Vec<visits::VisitRow>> = BTreeMap::new();
    for row in rows
        .into_iter()
        .filter(|r| session.operator.scope.covers(&r.kelurahan_code))
    {
        by_family
            .entry(row.family_id.clone())
            .or_default()
            .push(row);
    }
    let mut body = String::from(
        "<p>Keluarga yang dikunjungi dua agen dari data yang sama. Kedua kunjungan disimpan; \
         pilih yang dipakai dan tulis alasannya. Ponsel kedua agen menerima putusannya.</p>",
    );
    if by_family.is_empty() {
        body.push_str("<p>Tidak ada kunjungan yang berkonflik.</p>");
    }
    for (family, rows) in &by_family {
        let _ = write!(
            body,
            "<div class=\"box\"><h2>Keluarga {}</h2><table><thead><tr><th>Kunjungan</th>\
             <th>Agen</th><th>Hasil</th><th>Waktu</th><th>Kelurahan</th><th>Pilih</th></tr></thead><tbody>",
            esc(family)
        );
        for r in rows {
            let _ = write!(
                body,
                "<tr><td>{id}</td><td>{agent}</td><td>{outcome}</td><td>{at}</td><td>{kel}</td><td>\
                 <form method=\"post\" action=\"/review/kunjungan/{id}/pilih\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <label>Alasan <input type=\"text\" name=\"reason\" required maxlength=\"500\"></label>\
                 <button>Pakai kunjungan ini</button></form></td></tr>",
                id = esc(&r.id),
                agent = esc(&r.agent_id),
                outcome = esc(outcome_label(&r.outcome)),
                at = time(r.visited_at, &r.kelurahan_code),
                kel = kelurahan(&r.kelurahan_code),
                csrf = esc(&session.csrf),
            );
        }
        body.push_str("</tbody></table></div>");
    }
    html(
        StatusCode::OK,
        page(
            "Kunjungan berkonflik",
            Some((&session.operator, &session.csrf)),
            &body,
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct ChoiceForm {
    csrf: Option<String>,
    reason: Option<String>,
}

pub(super) async fn choose(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(visit_id): Path<String>,
    Form(form): Form<ChoiceForm>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let actor = session.operator.username.clone();
    let scope = session.operator.scope.clone();
    let reason = form.reason.unwrap_or_default();
    let decided = tokio::task::spawn_blocking(move || {
        let visit = state
            .db
            .read(|tx| visits::of_visit(tx, &visit_id))
            .ok()
            .flatten();
        match visit {
            Some(v) if scope.covers(&v.kelurahan_code) => {
                visits::resolve(&state, &actor, &visit_id, &reason)
            }
            _ => Err(ResolveError::NotInConflict),
        }
    })
    .await;
    match decided {
        Ok(Ok(_)) => Redirect::to("/review/kunjungan").into_response(),
        Ok(Err(ResolveError::ReasonMissing)) => error_page(
            StatusCode::BAD_REQUEST,
            Some(&session),
            "Alasan keputusan wajib diisi (paling banyak 500 huruf).",
        ),
        Ok(Err(ResolveError::NotInConflict)) => error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Kunjungan ini tidak ditemukan di wilayah Anda atau sudah diputus.",
        ),
        _ => storage_error(),
    }
}

#[derive(Deserialize)]
pub(super) struct ReceiptQuery {
    kode: Option<String>,
}

pub(super) async fn receipt_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ReceiptQuery>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let shown = query.kode.unwrap_or_default();
    let mut body = format!(
        "<p>Periksa tanda terima yang ditunjukkan warga: ketik kodenya (10 huruf/angka) atau \
         tempel isi QR-nya.</p><form method=\"get\" action=\"/review/tanda-terima\">\
         <label>Kode atau isi QR <input type=\"text\" name=\"kode\" value=\"{}\" maxlength=\"400\"></label>\
         <button>Periksa</button></form>",
        esc(&shown)
    );
    if !shown.trim().is_empty() {
        let checker = state.clone();
        let checked =
            tokio::task::spawn_blocking(move || crate::receipts::check(&checker, &shown)).await;
        let Ok(checked) = checked else {
            return storage_error();
        };
        match checked {
            Ok(found) => {
                body.push_str("<div class=\"box\"><p class=\"ok\">Tanda terima SAH.</p><table><thead><tr>\
                    <th>Kode</th><th>Jenis</th><th>Data</th><th>Ponsel</th><th>Waktu</th><th>Status</th></tr></thead><tbody>");
                for c in found {
                    let kind = match c.record_kind.as_str() {
                        perlinsos_protocol::outbox_kind::VISIT_RECORDED => "Kunjungan verifikasi",
                        perlinsos_protocol::outbox_kind::OBJECTION_FILED => "Sanggahan hasil",
                        perlinsos_protocol::outbox_kind::HOUSEHOLD_REGISTERED => {
                            "Pendaftaran rumah tangga"
                        }
                        _ => "Data",
                    };
                    let _ = write!(
                        body,
                        "<tr><td>{}</td><td>{kind}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        esc(&c.code),
                        esc(&c.record_id),
                        esc(&c.device_id),
                        time(c.at, ""),
                        esc(c.status.as_deref().unwrap_or("-")),
                    );
                }
                body.push_str("</tbody></table></div>");
            }
            Err(e) => {
                let _ = write!(body, "<div class=\"error\">{}</div>", esc(e.message()));
            }
        }
    }
    html(
        StatusCode::OK,
        page(
            "Tanda terima",
            Some((&session.operator, &session.csrf)),
            &body,
        ),
    )
}
