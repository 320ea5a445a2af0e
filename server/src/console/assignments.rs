//! The "Penugasan" page: which families of a kelurahan are on which agent's worklist, and
//! putting a kelurahan (or one RW or RT of it) on an agent's list or taking it off, the same as
//! `perlinsos-server assign` / `unassign`, audited under the officer's name. Only inside the
//! officer's scope, and only to an agent with a phone enrolled for that kelurahan (any other
//! agent would never receive the list).
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use maud::html as markup;

use super::html::{csrf_field, kelurahan, page};
use super::{error_page, html, require, require_post, storage_error, Session};
use crate::families::{self, Selection};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(super) struct PlaceQuery {
    pub(super) kelurahan: Option<String>,
}

pub(super) async fn page_of(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<PlaceQuery>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    render(state, session, query.kelurahan.unwrap_or_default(), None).await
}

#[derive(Deserialize)]
pub(super) struct AssignForm {
    pub(super) csrf: Option<String>,
    pub(super) kelurahan: Option<String>,
    pub(super) rw: Option<String>,
    pub(super) rt: Option<String>,
    pub(super) agent: Option<String>,
    pub(super) action: Option<String>,
}

/// An RW or RT as typed: empty is "all", otherwise 1..=999.
pub(super) fn number(text: Option<&str>) -> Result<Option<u16>, ()> {
    match text.map(str::trim).unwrap_or("") {
        "" => Ok(None),
        t => match t.parse::<u16>() {
            Ok(n @ 1..=999) => Ok(Some(n)),
            _ => Err(()),
        },
    }
}

pub(super) async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AssignForm>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let code = form.kelurahan.unwrap_or_default();
    let refuse = |message: &str| error_page(StatusCode::BAD_REQUEST, Some(&session), message);
    if !session.operator.scope.covers(&code) {
        return error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            "Kelurahan ini tidak ada di wilayah Anda.",
        );
    }
    let (Ok(rw), Ok(rt)) = (number(form.rw.as_deref()), number(form.rt.as_deref())) else {
        return refuse("RW dan RT diisi angka 1 sampai 999, atau dikosongkan untuk semua.");
    };
    if rt.is_some() && rw.is_none() {
        return refuse("Pilih RW-nya juga bila memilih satu RT.");
    }
    let add = match form.action.as_deref() {
        Some("tugaskan") => true,
        Some("tarik") => false,
        _ => return refuse("Pilih tugaskan atau tarik."),
    };
    let agent = form.agent.unwrap_or_default().trim().to_owned();
    let reader = state.clone();
    let place = code.clone();
    let enrolled = tokio::task::spawn_blocking(move || {
        reader
            .db
            .read(|tx| families::agents_enrolled_for(tx, &place))
    })
    .await;
    let Ok(Ok(enrolled)) = enrolled else {
        return storage_error();
    };
    if add && !enrolled.contains(&agent) {
        return refuse(
            "Agen ini tidak punya ponsel terdaftar untuk kelurahan ini: daftar keluarganya tidak \
             akan sampai. Daftarkan ponselnya dulu atau pilih agen lain.",
        );
    }
    let actor = session.operator.username.clone();
    let selection = Selection::Place {
        kelurahan_code: code.clone(),
        rw,
        rt,
    };
    let writer = state.clone();
    let who = agent.clone();
    let done = tokio::task::spawn_blocking(move || {
        if add {
            families::assign(&writer, &actor, &who, &selection)
        } else {
            families::unassign(&writer, &actor, &who, &selection)
        }
    })
    .await;
    let message = match done {
        Ok(Ok(result)) => format!(
            "{} keluarga {} agen {} ({} sudah begitu sebelumnya). Ponsel agen menerimanya saat \
             sinkron berikutnya.",
            result.changed,
            if add { "ditugaskan ke" } else { "ditarik dari" },
            agent,
            result.already
        ),
        Ok(Err(_)) => return refuse("Nama agen hanya huruf, angka, '.', '_' atau '-'."),
        Err(_) => return storage_error(),
    };
    render(state, session, code, Some(message)).await
}

async fn render(
    state: AppState,
    session: Session,
    code: String,
    message: Option<String>,
) -> Response {
    let scope = session.operator.scope.clone();
    let chosen = code.clone();
    let found = tokio::task::spawn_blocking(move || {
        let places = families::kelurahan_with_families(&state, &scope)?;
        if chosen.is_empty() || !scope.covers(&chosen) {
            return Ok((places, None, Vec::new()));
        }
        state.db.read(|tx| {
            let summary = families::place_summary(tx, &chosen)?;
            let enrolled = families::agents_enrolled_for(tx, &chosen)?;
            Ok((places, Some(summary), enrolled))
        })
    })
    .await;
    let Ok(Ok((places, summary, enrolled))) = found else {
        return storage_error();
    };
    let body = markup! {
        p { "Daftar keluarga DTSEN yang dikunjungi tiap agen. Pilih kelurahan untuk melihat dan mengubah penugasannya." }
        form method="get" action="/review/penugasan" {
            label {
                "Kelurahan "
                select name="kelurahan" {
                    @for place in &places {
                        option value=(place) selected[*place == code] { (kelurahan(place)) }
                    }
                }
            }
            " "
            button { "Lihat" }
        }
        @if places.is_empty() {
            p { "Belum ada keluarga DTSEN yang diimpor di wilayah Anda." }
        }
        @if let Some(message) = &message {
            p class="ok" { (message) }
        }
        @if let Some(summary) = &summary {
            div class="box" {
                h2 { (kelurahan(&code)) }
                table {
                    thead { tr { th { "RW" } th { "Keluarga" } th { "Sudah ditugaskan" } } }
                    tbody {
                        @for (rw, count, assigned) in &summary.by_rw {
                            tr { td { (format!("{rw:03}")) } td { (count) } td { (assigned) } }
                        }
                    }
                }
                h2 { "Agen" }
                table {
                    thead { tr { th { "Agen" } th { "Keluarga" } } }
                    tbody {
                        @for (agent, count) in &summary.agents {
                            tr { td { (agent) } td { (count) } }
                        }
                        @if summary.agents.is_empty() {
                            tr { td colspan="2" { "Belum ada." } }
                        }
                    }
                }
                h2 { "Ubah penugasan" }
                form method="post" action="/review/penugasan" {
                    (csrf_field(&session.csrf))
                    input type="hidden" name="kelurahan" value=(code);
                    label {
                        "Agen "
                        select name="agent" required {
                            @for agent in &enrolled { option { (agent) } }
                        }
                    }
                    " "
                    label { "RW " input type="text" name="rw" inputmode="numeric" maxlength="3" placeholder="semua"; }
                    " "
                    label { "RT " input type="text" name="rt" inputmode="numeric" maxlength="3" placeholder="semua"; }
                    " "
                    button name="action" value="tugaskan" { "Tugaskan" }
                    " "
                    button name="action" value="tarik" { "Tarik" }
                }
                @if enrolled.is_empty() {
                    p { "Belum ada agen dengan ponsel terdaftar untuk kelurahan ini." }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        page("Penugasan", Some((&session.operator, &session.csrf)), body),
    )
}
