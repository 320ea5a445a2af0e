//! "Cari NIK": an officer finds one resident's records by NIK. The NIK is sent in a POST form
//! (never in the address, so not in browser history or access logs) and shown back only in the
//! form field of the answer page.
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use maud::{html as markup, Markup};

use super::html::{csrf_field, kelurahan, page, time};
use super::{html, require, require_post, storage_error, Session};
use crate::nik_search::{self, SearchError};
use crate::AppState;

fn form(session: &Session, nik: &str) -> Markup {
    markup! {
        p { "Cari data seorang warga dengan NIK-nya: rumah tangga yang didaftarkan agen \
             dan keluarga di data DTSEN, di wilayah Anda. Pencarian dicatat (tanpa NIK)." }
        form method="post" action="/review/cari-nik" {
            (csrf_field(&session.csrf))
            label {
                "NIK "
                input type="text" name="nik" value=(nik) inputmode="numeric" maxlength="16" autocomplete="off" required;
            }
            " "
            button { "Cari" }
        }
    }
}

fn answer(session: &Session, body: Markup) -> Response {
    html(
        StatusCode::OK,
        page("Cari NIK", Some((&session.operator, &session.csrf)), body),
    )
}

pub(super) async fn form_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match require(&state, &headers, true) {
        Ok(session) => answer(&session, form(&session, "")),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(super) struct SearchForm {
    pub(super) csrf: Option<String>,
    pub(super) nik: Option<String>,
}

pub(super) async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(query): Form<SearchForm>,
) -> Response {
    let session = match require_post(&state, &headers, query.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let nik: String = query.nik.unwrap_or_default().chars().take(32).collect();
    let actor = session.operator.username.clone();
    let scope = session.operator.scope.clone();
    let typed = nik.clone();
    let found =
        tokio::task::spawn_blocking(move || nik_search::find(&state, &actor, &scope, &typed)).await;
    let outcome = match found {
        Ok(Ok(found)) => results(&found),
        Ok(Err(SearchError::Invalid(code))) => markup! {
            div class="error" { (code.message()) " (" (code.as_str()) ")" }
        },
        _ => return storage_error(),
    };
    answer(
        &session,
        markup! {
            (form(&session, &nik))
            (outcome)
        },
    )
}

fn results(found: &nik_search::Found) -> Markup {
    markup! {
        @if found.is_empty() {
            p { "Tidak ada data dengan NIK ini di wilayah Anda." }
        }
        @if !found.households.is_empty() {
            div class="box" {
                h2 { "Rumah tangga terdaftar" }
                table {
                    thead { tr { th { "Data" } th { "Kelurahan" } th { "Didaftarkan" } th { "Status" } } }
                    tbody {
                        @for h in &found.households {
                            tr {
                                td { (h.id) }
                                td { (kelurahan(&h.kelurahan_code)) }
                                td { (time(h.registered_at, &h.kelurahan_code)) }
                                td { (h.status) }
                            }
                        }
                    }
                }
            }
        }
        @if !found.families.is_empty() {
            div class="box" {
                h2 { "Keluarga DTSEN" }
                table {
                    thead { tr { th { "Keluarga" } th { "Kelurahan" } th { "RT/RW" } } }
                    tbody {
                        @for f in &found.families {
                            tr {
                                td { (f.family_id) }
                                td { (kelurahan(&f.kelurahan_code)) }
                                td { (format!("{:03}/{:03}", f.rt, f.rw)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
