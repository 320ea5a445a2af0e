//! "Cari NIK": an officer finds one resident's records by NIK. The NIK is sent in a POST form
//! (never in the address, so not in browser history or access logs) and shown back only in the
//! form field of the answer page.
use std::fmt::Write;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::html::{esc, kelurahan, page, time};
use super::{html, require, require_post, storage_error, Session};
use crate::nik_search::{self, SearchError};
use crate::AppState;

fn form(session: &Session, nik: &str) -> String {
    format!(
        "<p>Cari data seorang warga dengan NIK-nya: rumah tangga yang didaftarkan agen \
         dan keluarga di data DTSEN, di wilayah Anda. Pencarian dicatat (tanpa \
         NIK).</p><form method=\"post\" action=\"/review/cari-nik\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <label>NIK <input type=\"text\" name=\"nik\" value=\"{}\" inputmode=\"numeric\" \
         maxlength=\"16\" autocomplete=\"off\" required></label> <button>Cari</button></form>",
        esc(&session.csrf),
        esc(nik)
    )
}

fn answer(session: &Session, body: &str) -> Response {
    html(
        StatusCode::OK,
        page("Cari NIK", Some((&session.operator, &session.csrf)), body),
    )
}

pub(super) async fn form_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match require(&state, &headers, true) {
        Ok(session) => answer(&session, &form(&session, "")),
        Err(r) => *r,
    }
}

#[derive(Deserialize)]
pub(super) struct SearchForm {
    csrf: Option<String>,
    nik: Option<String>,
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
    let mut body = form(&session, &nik);
    match found {
        Ok(Ok(found)) => body.push_str(&results(&found)),
        Ok(Err(SearchError::Invalid(code))) => {
            let _ = write!(
                body,
                "<div class=\"error\">{} ({})</div>",
                esc(code.message()),
                code.as_str()
            );
        }
        _ => return storage_error(),
    }
    answer(&session, &body)
}

fn results(found: &nik_search::Found) -> String {
    let mut out = String::new();
    if found.is_empty() {
        out.push_str("<p>Tidak ada data dengan NIK ini di wilayah Anda.</p>");
        return out;
    }
    if !found.households.is_empty() {
        out.push_str(
            "<div class=\"box\"><h2>Rumah tangga terdaftar</h2><table><thead><tr><th>Data</th>\
             <th>Kelurahan</th><th>Didaftarkan</th><th>Status</th></tr></thead><tbody>",
        );
        for h in &found.households {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&h.id),
                kelurahan(&h.kelurahan_code),
                time(h.registered_at, &h.kelurahan_code),
                esc(&h.status)
            );
        }
        out.push_str("</tbody></table></div>");
    }
    if !found.families.is_empty() {
        out.push_str(
            "<div class=\"box\"><h2>Keluarga DTSEN</h2><table><thead><tr><th>Keluarga</th>\
             <th>Kelurahan</th><th>RT/RW</th></tr></thead><tbody>",
        );
        for f in &found.families {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{:03}/{:03}</td></tr>",
                esc(&f.family_id),
                kelurahan(&f.kelurahan_code),
                f.rt,
                f.rw
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out
}
