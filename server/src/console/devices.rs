//! The "Perangkat" page, for admins: the enrolled phones, and revoking one that was lost or
//! stolen (the same as `perlinsos-server revoke-device`, audited under the admin's name); and
//! what a revoked phone still sent, held apart, with the admin's decision on each entry
//! (`crate::quarantine`: admit through the push's own checks, or reject with a reason).
use axum::extract::{Path, Query, State};
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
                                        "; "
                                        a href={ "/review/perangkat/" (device) "/ditahan" } {
                                            (count) " data ditahan"
                                        }
                                        ", terakhir " (crate::local_time::date_time(*newest, zone))
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

/// The Indonesian name of an outbox kind, for the held entries' list.
fn kind_label(kind: &str) -> &str {
    use perlinsos_protocol::outbox_kind as k;
    match kind {
        k::HOUSEHOLD_REGISTERED => "Registrasi keluarga",
        k::SANGGAHAN_FILED => "Sanggahan",
        k::SANGGAHAN_WITHDRAWN => "Penarikan sanggahan",
        k::AUDIT_APPENDED => "Catatan jejak audit",
        k::EVIDENCE_ATTACHED => "Foto bukti",
        k::VISIT_RECORDED => "Kunjungan verifikasi",
        k::OBJECTION_FILED => "Sanggahan hasil",
        other => other,
    }
}

#[derive(Deserialize)]
pub(super) struct HeldQuery {
    /// The last entry id of the previous page.
    setelah: Option<String>,
}

/// A revoked phone's held entries: kind, kelurahan, when it arrived and what was decided,
/// never the record's content; a form to admit or reject each one still held.
pub(super) async fn held_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(device_id): Path<String>,
    Query(query): Query<HeldQuery>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Some(refused) = admin_only(&session) {
        return refused;
    }
    let reader = state.clone();
    let id = device_id.clone();
    let after = query.setelah.unwrap_or_default();
    let read = tokio::task::spawn_blocking(move || {
        reader.db.read(|tx| {
            let device = tx.query_one(
                "SELECT agent_id, revoked_at, scope FROM devices WHERE device_id = ?1",
                &[db::text(id.as_str())],
            )?;
            let held = crate::quarantine::list(tx, &id, &after)?;
            Ok((device, held))
        })
    })
    .await;
    let Ok(Ok((device, held))) = read else {
        return storage_error();
    };
    let Some(device) = device else {
        return error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Perangkat tidak ditemukan.",
        );
    };
    let scope: Vec<String> =
        serde_json::from_str(&device[2].text().unwrap_or_default()).unwrap_or_default();
    let zone = crate::local_time::Zone::of_region(scope.first().map_or("", |k| k.as_str()));
    let base = format!("/review/perangkat/{device_id}/ditahan");
    let body = markup! {
        p { "Data yang masih dikirim ponsel " strong { (device_id) } " (agen "
            (device[0].text().unwrap_or_default()) ") setelah dicabut"
            @if let Some(at) = device[1].opt_int() { " (" (crate::local_time::date_time(at, zone)) ")" }
            ". Terima: data diperiksa dengan aturan yang sama seperti kiriman biasa (wilayah, \
             aturan data, data ganda) dan diterapkan sekali; jika gagal pemeriksaan, data tetap \
             ditahan dengan kodenya. Tolak: data tidak diterapkan, alasan wajib diisi." }
        p { a href="/review/perangkat" { "Kembali ke daftar perangkat" } }
        table {
            thead { tr { th { "Data" } th { "Jenis" } th { "Kelurahan" } th { "Diterima server" } th { "Status" } } }
            tbody {
                @for h in &held {
                    tr {
                        td { (h.entry_id) }
                        td { (kind_label(&h.kind)) }
                        td { (h.kelurahan_code.as_deref().unwrap_or("-")) }
                        td { (crate::local_time::date_time(h.received_at, zone)) }
                        td {
                            @match h.decision.as_deref() {
                                Some(crate::quarantine::ADMITTED) => {
                                    "diterima oleh " (h.decided_by.as_deref().unwrap_or("-"))
                                    @if let Some(at) = h.decided_at { ", " (crate::local_time::date_time(at, zone)) }
                                },
                                Some(_) => {
                                    "ditolak oleh " (h.decided_by.as_deref().unwrap_or("-"))
                                    @if let Some(at) = h.decided_at { ", " (crate::local_time::date_time(at, zone)) }
                                    ": " (h.reason.as_deref().unwrap_or(""))
                                },
                                None => {
                                    span class="warn" { "ditahan" }
                                    @if let Some(code) = h.last_code {
                                        " — gagal diperiksa: " code { (code.name()) } " " (code.message())
                                    }
                                    form method="post" action={ (base) "/" (h.entry_id) "/terima" } {
                                        (csrf_field(&session.csrf))
                                        button { "Terima" }
                                    }
                                    form method="post" action={ (base) "/" (h.entry_id) "/tolak" } {
                                        (csrf_field(&session.csrf))
                                        label { "Alasan " input type="text" name="alasan" maxlength="500" required; }
                                        button { "Tolak" }
                                    }
                                },
                            }
                        }
                    }
                }
            }
        }
        @if held.len() as i64 == crate::quarantine::PAGE {
            @if let Some(last) = held.last() {
                p { a href={ (base) "?setelah=" (last.entry_id) } { "Berikutnya" } }
            }
        }
    };
    html(
        StatusCode::OK,
        page(
            "Data ditahan",
            Some((&session.operator, &session.csrf)),
            body,
        ),
    )
}

#[derive(Deserialize)]
pub(super) struct RejectForm {
    csrf: Option<String>,
    alasan: Option<String>,
}

/// Admits one held entry (`quarantine::admit`); back to the list, which shows the outcome.
pub(super) async fn admit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((device_id, entry_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    decide(state, headers, device_id, entry_id, form.csrf, None).await
}

/// Rejects one held entry with the officer's reason (`quarantine::reject`).
pub(super) async fn reject(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((device_id, entry_id)): Path<(String, String)>,
    Form(form): Form<RejectForm>,
) -> Response {
    let reason = form.alasan.unwrap_or_default();
    decide(state, headers, device_id, entry_id, form.csrf, Some(reason)).await
}

async fn decide(
    state: AppState,
    headers: HeaderMap,
    device_id: String,
    entry_id: String,
    csrf: Option<String>,
    reject_reason: Option<String>,
) -> Response {
    let session = match require(&state, &headers, false) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if let Some(refused) = admin_only(&session) {
        return refused;
    }
    if !web_session::token_matches(&session.csrf, csrf.as_deref()) {
        return csrf_refused(&session);
    }
    let actor = session.operator.username.clone();
    let back = format!("/review/perangkat/{device_id}/ditahan");
    let decided = tokio::task::spawn_blocking(move || match reject_reason {
        Some(reason) => crate::quarantine::reject(&state, &device_id, &entry_id, &actor, &reason),
        None => crate::quarantine::admit(&state, &device_id, &entry_id, &actor),
    })
    .await;
    use crate::quarantine::QuarantineError as E;
    match decided {
        // A refused admission is shown on the list, with its code.
        Ok(Ok(_)) => Redirect::to(&back).into_response(),
        Ok(Err(e)) => {
            let status = match e {
                E::NotFound => StatusCode::NOT_FOUND,
                E::Conflict | E::EnvelopeMissing => StatusCode::CONFLICT,
                E::ReasonInvalid => StatusCode::BAD_REQUEST,
                E::Storage => return storage_error(),
            };
            error_page(status, Some(&session), e.message())
        }
        Err(_) => storage_error(),
    }
}
