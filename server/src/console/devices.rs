//! The "Perangkat" page, for admins: the enrolled phones, and revoking one that was lost or
//! stolen (the same as `perlinsos-server revoke-device`, audited under the admin's name).
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use maud::html as markup;

use super::html::{csrf_field, page};
use super::{admin_only, csrf_refused, error_page, html, require, storage_error, web_session};
use crate::db;
use crate::AppState;

/// At most this many devices listed (newest enrolled first); a district has a few hundred.
const LISTED: i64 = 2_000;

pub(super) async fn list_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Some(refused) = admin_only(&session) {
        return refused;
    }
    let reader = state.clone();
    let rows = tokio::task::spawn_blocking(move || {
        reader.db.read(|tx| {
            let devices = tx.query(
                "SELECT device_id, agent_id, enrolled_at, revoked_at, scope FROM devices
                 ORDER BY enrolled_at DESC, device_id LIMIT ?1",
                &[db::int(LISTED)],
            )?;
            let held = tx.query(
                "SELECT device_id, count(*), max(received_at) FROM quarantined_entries
                 GROUP BY device_id",
                &[],
            )?;
            Ok((devices, held))
        })
    })
    .await;
    let Ok(Ok((rows, held))) = rows else {
        return storage_error();
    };
    // What revoked phones still sent, held apart (`quarantined_entries`): count and newest.
    let held: std::collections::HashMap<String, (i64, i64)> = held
        .iter()
        .map(|r| (r[0].text().unwrap_or_default(), (r[1].int(), r[2].int())))
        .collect();
    let body = markup! {
        p { "Ponsel yang terdaftar. Cabut ponsel yang hilang atau dicuri: semua permintaannya \
             ditolak, ponsel terkunci saat tersambung lagi, dan data yang masih dikirimnya disimpan \
             terpisah untuk diputus petugas." }
        table {
            thead { tr { th { "Perangkat" } th { "Agen" } th { "Terdaftar" } th { "Status" } } }
            tbody {
                @for row in &rows {
                    @let device = row[0].text().unwrap_or_default();
                    // Times in the zone of the device's first kelurahan.
                    @let scope: Vec<String> =
                        serde_json::from_str(&row[4].text().unwrap_or_default()).unwrap_or_default();
                    @let zone = crate::local_time::Zone::of_region(scope.first().map_or("", |k| k.as_str()));
                    tr {
                        td { (device) }
                        td { (row[1].text().unwrap_or_default()) }
                        td { (crate::local_time::date_time(row[2].int(), zone)) }
                        td {
                            @match row[3].opt_int() {
                                Some(at) => {
                                    span class="warn" { "dicabut " (crate::local_time::date_time(at, zone)) }
                                    @if let Some((count, newest)) = held.get(&device) {
                                        "; " (count) " data ditahan, terakhir "
                                        (crate::local_time::date_time(*newest, zone))
                                    }
                                },
                                None => form method="post" action={ "/review/perangkat/" (device) "/cabut" } {
                                    (csrf_field(&session.csrf))
                                    button { "Cabut" }
                                },
                            }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        page("Perangkat", Some((&session.operator, &session.csrf)), body),
    )
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    csrf: Option<String>,
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(device_id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let session = match require(&state, &headers, false) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Some(refused) = admin_only(&session) {
        return refused;
    }
    if !web_session::token_matches(&session.csrf, form.csrf.as_deref()) {
        return csrf_refused(&session);
    }
    let actor = session.operator.username.clone();
    let revoked = tokio::task::spawn_blocking(move || {
        crate::operator::revoke_device(&state, &device_id, &actor)
    })
    .await;
    match revoked {
        Ok(Ok(())) => Redirect::to("/review/perangkat").into_response(),
        Ok(Err(_)) => error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Perangkat tidak ditemukan atau sudah dicabut.",
        ),
        Err(_) => storage_error(),
    }
}
