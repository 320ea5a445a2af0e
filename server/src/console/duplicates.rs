//! The "Data ganda" pages: pairs of households sharing a NIK or KK, and the officer's decision.
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use maud::{html as markup, Markup};

use super::html::{csrf_field, kelurahan, page, time};
use super::{error_page, html, pager, require, require_post, storage_error};
use crate::duplicates::{self, Pair, Side};
use crate::AppState;

#[derive(Deserialize)]
pub(super) struct PageQuery {
    pub(super) halaman: Option<usize>,
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    pub(super) csrf: Option<String>,
    pub(super) resolution: Option<String>,
}

fn side_cells(s: &Side) -> Markup {
    markup! {
        td { (s.household_id) }
        td { (kelurahan(&s.kelurahan_code)) }
        td { (s.agent_id) }
        td { (time(s.registered_at, &s.kelurahan_code)) }
    }
}

fn pair_row(p: &Pair, csrf: &str) -> Markup {
    let basis = if p.basis == "kk" {
        "No. KK sama"
    } else {
        "NIK sama"
    };
    markup! {
        tr {
            td { (basis) }
            (side_cells(&p.first))
            (side_cells(&p.second))
            td {
                form method="post" action={ "/review/data-ganda/" (p.id) "/putusan" } {
                    (csrf_field(csrf))
                    select name="resolution" {
                        option value="berbeda" { "Dua keluarga berbeda (keduanya sah)" }
                        option value="pertama_benar" { "Satu keluarga: registrasi pertama yang benar" }
                        option value="kedua_benar" { "Satu keluarga: registrasi kedua yang benar" }
                    }
                    button { "Putuskan" }
                }
            }
        }
    }
}

pub(super) async fn list_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<PageQuery>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let page_number = query.halaman.unwrap_or(0);
    let reader = state.clone();
    let scope = session.operator.scope.clone();
    let found =
        tokio::task::spawn_blocking(move || duplicates::open_pairs(&reader, page_number, &scope))
            .await;
    let Ok(Ok((pairs, more))) = found else {
        return storage_error();
    };
    let body = markup! {
        p { "Keluarga dengan NIK atau No. KK yang sama, dari registrasi yang berbeda (dua agen atau \
             dua ponsel). Keduanya disimpan sampai diputus; ponsel agen menerima hasilnya." }
        @if pairs.is_empty() {
            p { "Tidak ada data ganda yang menunggu putusan." }
        } @else {
            table {
                thead { tr {
                    th { "Kesamaan" } th { "Registrasi pertama" } th { "Kelurahan" }
                    th { "Agen" } th { "Terdaftar" } th { "Registrasi kedua" } th { "Kelurahan" } th { "Agen" }
                    th { "Terdaftar" } th { "Putusan" }
                } }
                tbody {
                    @for p in &pairs { (pair_row(p, &session.csrf)) }
                }
            }
        }
        (pager("/review/data-ganda", &[], page_number, more))
    };
    html(
        StatusCode::OK,
        page("Data ganda", Some((&session.operator, &session.csrf)), body),
    )
}

pub(super) async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let operator = session.operator.username.clone();
    let scope = session.operator.scope.clone();
    let resolution = form.resolution.unwrap_or_default();
    let decided = tokio::task::spawn_blocking(move || {
        duplicates::resolve(&state, &operator, &scope, id, &resolution)
    })
    .await;
    match decided {
        Ok(Ok(resolution)) => {
            tracing::info!(
                event = "duplicate_resolved",
                resolution = resolution.as_str()
            );
            Redirect::to("/review/data-ganda").into_response()
        }
        Ok(Err(refusal)) => {
            let status = if refusal == duplicates::NOT_FOUND {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            error_page(status, Some(&session), refusal.message)
        }
        Err(_) => storage_error(),
    }
}
