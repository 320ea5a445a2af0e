//! The "Kunjungan" pages: verification visits of one family by two agents (a conflict), and the
//! officer's choice; and checking a receipt a resident shows ("Tanda terima").
use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use maud::html as markup;

use super::html::{csrf_field, kelurahan, page, time};
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
    let body = markup! {
        p { "Keluarga yang dikunjungi dua agen dari data yang sama. Kedua kunjungan disimpan; \
             pilih yang dipakai dan tulis alasannya. Ponsel kedua agen menerima putusannya." }
        @if by_family.is_empty() {
            p { "Tidak ada kunjungan yang berkonflik." }
        }
        @for (family, rows) in &by_family {
            div class="box" {
                h2 { "Keluarga " (family) }
                table {
                    thead { tr {
                        th { "Kunjungan" } th { "Agen" } th { "Hasil" } th { "Waktu" } th { "Kelurahan" } th { "Pilih" }
                    } }
                    tbody {
                        @for r in rows {
                            tr {
                                td { (r.id) }
                                td { (r.agent_id) }
                                td { (outcome_label(&r.outcome)) }
                                td { (time(r.visited_at, &r.kelurahan_code)) }
                                td { (kelurahan(&r.kelurahan_code)) }
                                td {
                                    form method="post" action={ "/review/kunjungan/" (r.id) "/pilih" } {
                                        (csrf_field(&session.csrf))
                                        label { "Alasan " input type="text" name="reason" required maxlength="500"; }
                                        button { "Pakai kunjungan ini" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        page(
            "Kunjungan berkonflik",
            Some((&session.operator, &session.csrf)),
            body,
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct ChoiceForm {
    pub(super) csrf: Option<String>,
    pub(super) reason: Option<String>,
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
    pub(super) kode: Option<String>,
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
    let form = markup! {
        p { "Periksa tanda terima yang ditunjukkan warga: ketik kodenya (10 huruf/angka) atau \
             tempel isi QR-nya." }
        form method="get" action="/review/tanda-terima" {
            label { "Kode atau isi QR " input type="text" name="kode" value=(shown) maxlength="400"; }
            button { "Periksa" }
        }
    };
    let checked = if shown.trim().is_empty() {
        None
    } else {
        let checker = state.clone();
        let checked =
            tokio::task::spawn_blocking(move || crate::receipts::check(&checker, &shown)).await;
        let Ok(checked) = checked else {
            return storage_error();
        };
        Some(checked)
    };
    let body = markup! {
        (form)
        @match &checked {
            Some(Ok(found)) => div class="box" {
                p class="ok" { "Tanda terima SAH." }
                table {
                    thead { tr {
                        th { "Kode" } th { "Jenis" } th { "Data" } th { "Ponsel" } th { "Waktu" } th { "Status" }
                    } }
                    tbody {
                        @for c in found {
                            tr {
                                td { (c.code) }
                                td { (receipt_kind(&c.record_kind)) }
                                td { (c.record_id) }
                                td { (c.device_id) }
                                td { (time(c.at, "")) }
                                td { (c.status.as_deref().unwrap_or("-")) }
                            }
                        }
                    }
                }
            },
            Some(Err(e)) => div class="error" { (e.message()) },
            None => {},
        }
    };
    html(
        StatusCode::OK,
        page(
            "Tanda terima",
            Some((&session.operator, &session.csrf)),
            body,
        ),
    )
}

fn receipt_kind(record_kind: &str) -> &'static str {
    use perlinsos_protocol::outbox_kind;
    match record_kind {
        outbox_kind::VISIT_RECORDED => "Kunjungan verifikasi",
        outbox_kind::OBJECTION_FILED => "Sanggahan hasil",
        outbox_kind::HOUSEHOLD_REGISTERED => "Pendaftaran rumah tangga",
        _ => "Data",
    }
}
