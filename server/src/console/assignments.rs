//! The "Penugasan" page: which families of a kelurahan are on which agent's worklist, and
//! putting a kelurahan (or one RW or RT of it) on an agent's list or taking it off, the same as
//! `perlinsos-server assign` / `unassign`, audited under the officer's name. Only inside the
//! officer's scope, and only to an agent with a phone enrolled for that kelurahan (any other
//! agent would never receive the list).
use std::fmt::Write;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::html::{esc, kelurahan, page};
use super::{error_page, html, require, require_post, storage_error, Session};
use crate::families::{self, Selection};
use crate::AppState;

#[derive(Deserialize, Default)]
pub(super) struct PlaceQuery {
    kelurahan: Option<String>,
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
    csrf: Option<String>,
    kelurahan: Option<String>,
    rw: Option<String>,
    rt: Option<String>,
    agent: Option<String>,
    action: Option<String>,
}

/// An RW or RT as typed: empty is "all", otherwise 1..=999.
fn number(text: Option<&str>) -> Result<Option<u16>, ()> {
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
            esc(&agent),
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
    let mut body = String::from(
        "<p>Daftar keluarga DTSEN yang dikunjungi tiap agen. Pilih kelurahan untuk melihat dan \
         mengubah penugasannya.</p><form method=\"get\" action=\"/review/penugasan\"><label>Kelurahan \
         <select name=\"kelurahan\">",
    );
    for place in &places {
        let _ = write!(
            body,
            "<option value=\"{}\"{}>{}</option>",
            esc(place),
            if *place == code { " selected" } else { "" },
            kelurahan(place)
        );
    }
    body.push_str("</select></label> <button>Lihat</button></form>");
    if places.is_empty() {
        body.push_str("<p>Belum ada keluarga DTSEN yang diimpor di wilayah Anda.</p>");
    }
    if let Some(message) = message {
        let _ = write!(body, "<p class=\"ok\">{message}</p>");
    }
    if let Some(summary) = summary {
        let _ = write!(
            body,
            "<div class=\"box\"><h2>{}</h2><table><thead><tr><th>RW</th><th>Keluarga</th>\
             <th>Sudah ditugaskan</th></tr></thead><tbody>",
            kelurahan(&code)
        );
        for (rw, count, assigned) in &summary.by_rw {
            let _ = write!(
                body,
                "<tr><td>{rw:03}</td><td>{count}</td><td>{assigned}</td></tr>"
            );
        }
        body.push_str(
            "</tbody></table><h2>Agen</h2><table><thead><tr><th>Agen</th><th>Keluarga</th>\
             </tr></thead><tbody>",
        );
        for (agent, count) in &summary.agents {
            let _ = write!(body, "<tr><td>{}</td><td>{count}</td></tr>", esc(agent));
        }
        if summary.agents.is_empty() {
            body.push_str("<tr><td colspan=\"2\">Belum ada.</td></tr>");
        }
        let _ = write!(
            body,
            "</tbody></table><h2>Ubah penugasan</h2><form method=\"post\" action=\"/review/penugasan\">\
             <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <input type=\"hidden\" name=\"kelurahan\" value=\"{code}\">\
             <label>Agen <select name=\"agent\" required>",
            csrf = esc(&session.csrf),
            code = esc(&code)
        );
        for agent in &enrolled {
            let _ = write!(body, "<option>{}</option>", esc(agent));
        }
        body.push_str(
            "</select></label> <label>RW <input type=\"text\" name=\"rw\" inputmode=\"numeric\" \
             maxlength=\"3\" placeholder=\"semua\"></label> <label>RT <input type=\"text\" \
             name=\"rt\" inputmode=\"numeric\" maxlength=\"3\" placeholder=\"semua\"></label> \
             <button name=\"action\" value=\"tugaskan\">Tugaskan</button> \
             <button name=\"action\" value=\"tarik\">Tarik</button></form>",
        );
        if enrolled.is_empty() {
            body.push_str("<p>Belum ada agen dengan ponsel terdaftar untuk kelurahan ini.</p>");
        }
        body.push_str("</div>");
    }
    html(
        StatusCode::OK,
        page("Penugasan", Some((&session.operator, &session.csrf)), &body),
    )
}
