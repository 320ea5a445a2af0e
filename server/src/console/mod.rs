//! The district officers' review console at `/review`: server-rendered pages in Bahasa
//! Indonesia behind a login. Sanggahan by status and kelurahan with the days left, one
//! sanggahan with its evidence and the decision form, registrations and their CSV export.
pub mod accounts;
mod accounts_page;
mod assignments;
mod devices;
mod duplicates;
pub mod html;
mod nik_search;
mod objections;
pub mod second_factor;
mod visits;
pub mod web_session;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{html as markup, Markup};
use perlinsos_rules::sanggahan::{Reason, Status};
use serde::Deserialize;

use self::accounts::{LoginRefused, Role};
use self::html::{csrf_field, kelurahan, page, time};
use self::web_session::{Session, COOKIE, LOGIN_COOKIE};
use crate::{registrations, review, staff_audit, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/review",
            get(|| async { Redirect::to("/review/sanggahan") }),
        )
        .route("/review/console.css", get(css))
        .route("/review/login", get(login_form).post(login))
        .route("/review/logout", post(logout))
        .route("/review/sanggahan", get(list_page))
        .route("/review/sanggahan/{id}", get(detail_page))
        .route("/review/sanggahan/{id}/putusan", post(decide))
        .route("/review/bukti/{sha256}", get(photo))
        .route("/review/registrasi", get(registrations_page))
        .route("/review/registrasi.csv", get(registrations_csv))
        .route("/review/data-ganda", get(duplicates::list_page))
        .route("/review/data-ganda/{id}/putusan", post(duplicates::decide))
        .route("/review/sanggahan-hasil", get(objections::list_page))
        .route("/review/sanggahan-hasil/{id}", get(objections::detail_page))
        .route(
            "/review/sanggahan-hasil/{id}/putusan",
            post(objections::decide),
        )
        .route("/review/kunjungan", get(visits::conflicts_page))
        .route("/review/kunjungan/{id}/pilih", post(visits::choose))
        .route("/review/tanda-terima", get(visits::receipt_page))
        .route(
            "/review/penugasan",
            get(assignments::page_of).post(assignments::change),
        )
        .route(
            "/review/cari-nik",
            get(nik_search::form_page).post(nik_search::search),
        )
        .route("/review/akun", get(accounts_page::page_of))
        .route(
            "/review/akun/sandi",
            post(accounts_page::change_own_password),
        )
        .route("/review/akun/tambah", post(accounts_page::create))
        .route(
            "/review/akun/totp/siapkan",
            post(accounts_page::begin_second_factor),
        )
        .route(
            "/review/akun/totp/aktifkan",
            post(accounts_page::confirm_second_factor),
        )
        .route(
            "/review/akun/totp/matikan",
            post(accounts_page::turn_off_second_factor),
        )
        .route(
            "/review/akun/{username}/status",
            post(accounts_page::set_status),
        )
        .route(
            "/review/akun/{username}/sandi",
            post(accounts_page::reset_password),
        )
        .route(
            "/review/akun/{username}/wilayah",
            post(accounts_page::set_scope),
        )
        .route("/review/perangkat", get(devices::list_page))
        .route("/review/perangkat/{id}/cabut", post(devices::revoke))
        .route("/review/perangkat/{id}/ditahan", get(devices::held_page))
        .route(
            "/review/perangkat/{id}/ditahan/{entry}/terima",
            post(devices::admit),
        )
        .route(
            "/review/perangkat/{id}/ditahan/{entry}/tolak",
            post(devices::reject),
        )
        .layer(axum::middleware::map_response(harden))
}

/// Nothing from elsewhere, no framing, no caching of personal data, no referrer leaks.
async fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn error_page(status: StatusCode, session: Option<&Session>, message: &str) -> Response {
    let who = session.map(|s| (&s.operator, s.csrf.as_str()));
    html(
        status,
        page("Tidak dapat diproses", who, html::error(message)),
    )
}

fn storage_error() -> Response {
    error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "Basis data server tidak dapat dibaca saat ini. Coba lagi sebentar lagi.",
    )
}

/// The request's live session, or the response that refuses it (the login page for a page,
/// 401 for anything else).
fn require(state: &AppState, headers: &HeaderMap, page: bool) -> Result<Session, Box<Response>> {
    match web_session::current(state, headers) {
        Ok(Some(session)) => Ok(session),
        Ok(None) if page => Err(Box::new(Redirect::to("/review/login").into_response())),
        Ok(None) => Err(Box::new(error_page(
            StatusCode::UNAUTHORIZED,
            None,
            "Silakan masuk terlebih dahulu.",
        ))),
        Err(_) => Err(Box::new(storage_error())),
    }
}

/// The session behind a form post, with its CSRF token checked; otherwise the refusal page
/// (no session: 401, a forged or stale form: 403).
fn require_post(
    state: &AppState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Session, Box<Response>> {
    let session = require(state, headers, false)?;
    if !web_session::token_matches(&session.csrf, csrf) {
        return Err(Box::new(csrf_refused(&session)));
    }
    Ok(session)
}

/// The refusal of an admin's page or action to anyone else.
fn admin_only(session: &Session) -> Option<Response> {
    (session.operator.role != Role::Admin).then(|| {
        error_page(
            StatusCode::FORBIDDEN,
            Some(session),
            "Halaman ini hanya untuk admin.",
        )
    })
}

fn csrf_refused(session: &Session) -> Response {
    error_page(
        StatusCode::FORBIDDEN,
        Some(session),
        "Formulir ditolak: token keamanan (CSRF) tidak cocok. Muat ulang halaman lalu coba lagi.",
    )
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        html::CSS,
    )
        .into_response()
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<&str>,
) -> Response {
    let token = web_session::random_token();
    let body = markup! {
        @if let Some(m) = message { (html::error(m)) }
        form method="post" action="/review/login" class="box" {
            (csrf_field(&token))
            label { "Nama pengguna " input type="text" name="username" autocomplete="username" required; }
            label { "Kata sandi " input type="password" name="password" autocomplete="current-password" required; }
            label { "Kode autentikator (bila dua langkah aktif) " input type="text" name="kode" inputmode="numeric" autocomplete="one-time-code" maxlength="6"; }
            button type="submit" { "Masuk" }
        }
    };
    let cookie = web_session::set_cookie(state, headers, LOGIN_COOKIE, &token, 3600);
    let mut response = html(status, page("Masuk", None, body));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn login_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    login_page(&state, &headers, StatusCode::OK, None)
}

/// The console client's address for the login throttle: the connection's peer, or, when that
/// peer is a trusted reverse proxy, the nearest address it did not add itself in
/// `X-Forwarded-For`.
fn client_address(state: &AppState, peer: Option<std::net::IpAddr>, headers: &HeaderMap) -> String {
    let Some(peer) = peer else {
        return String::new();
    };
    if !state.trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !state.trusted_proxies.contains(a))
        .copied()
        .unwrap_or(peer)
        .to_string()
}

#[derive(Deserialize)]
pub(super) struct LoginForm {
    pub(super) username: String,
    pub(super) password: String,
    /// The second factor's code, for an account that has one.
    pub(super) kode: Option<String>,
    pub(super) csrf: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = web_session::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !web_session::token_matches(expected, form.csrf.as_deref()) {
        return login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some("Formulir masuk kedaluwarsa atau tidak sah. Silakan coba lagi."),
        );
    }
    let address = client_address(
        &state,
        peer.map(|Extension(ConnectInfo(a))| a.ip()),
        &headers,
    );
    let username = form.username.trim().to_lowercase();
    // A few hashings at a time; a flood of attempts waits a moment, then is turned away.
    let slot = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        state.login_slots.clone().acquire_owned(),
    )
    .await;
    let Ok(Ok(_slot)) = slot else {
        return login_page(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some("Server sedang sibuk memeriksa kata sandi. Coba lagi sebentar lagi."),
        );
    };
    let checked = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let code = form.kode.as_deref().filter(|c| !c.trim().is_empty());
            accounts::login(&state, &username, &form.password, code, &address)
        })
        .await
        .unwrap_or(Err(LoginRefused::Storage))
    };
    match checked {
        Ok(operator) => match web_session::start(&state, &operator.username) {
            Ok(token) => {
                let cookie = web_session::set_cookie(
                    &state,
                    &headers,
                    COOKIE,
                    &token,
                    web_session::lifetime_seconds(),
                );
                tracing::info!(event = "console_login", role = operator.role.as_str());
                let mut response = Redirect::to("/review/sanggahan").into_response();
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
                response
            }
            Err(_) => storage_error(),
        },
        Err(LoginRefused::Wrong) => login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some("Nama pengguna atau kata sandi salah."),
        ),
        Err(LoginRefused::Blocked { seconds }) => login_page(
            &state,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Terlalu banyak percobaan masuk yang salah. Coba lagi dalam {seconds} detik."
            )),
        ),
        Err(LoginRefused::CodeWrong) => login_page(
            &state,
            &headers,
            StatusCode::UNAUTHORIZED,
            Some("Akun ini memakai autentikasi dua langkah: isi kode 6 angka yang baru dari aplikasi autentikator."),
        ),
        Err(LoginRefused::Disabled) => login_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            Some("Akun ini dinonaktifkan. Hubungi admin Dinas Sosial."),
        ),
        Err(LoginRefused::Storage) => storage_error(),
    }
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    pub(super) csrf: Option<String>,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    if !web_session::token_matches(&session.csrf, form.csrf.as_deref()) {
        return csrf_refused(&session);
    }
    if web_session::end(&state, &headers).is_err() {
        return storage_error();
    }
    let mut response = Redirect::to("/review/login").into_response();
    let cookie = web_session::set_cookie(&state, &headers, COOKIE, "", 0);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub(super) struct ListFilter {
    pub(super) status: Option<String>,
    pub(super) kelurahan: Option<String>,
    /// The page, from 0.
    pub(super) halaman: Option<usize>,
}

fn reason_label(reason: &str) -> &str {
    Reason::parse(reason).map(Reason::label).unwrap_or(reason)
}

/// The kelurahan that occur, once each, sorted by code, as (code, "Name (code)").
fn kelurahan_choices<'a>(codes: impl Iterator<Item = &'a str>) -> Vec<(String, String)> {
    let unique: std::collections::BTreeSet<&str> = codes.collect();
    unique
        .into_iter()
        .map(|k| {
            let name = perlinsos_rules::identity::wilayah::region_name(k).unwrap_or_default();
            (k.to_owned(), format!("{name} ({k})"))
        })
        .collect()
}

/// Links to the previous and next page of a list, keeping its filter.
fn pager(path: &str, filter: &[(&str, &str)], page: usize, more: bool) -> Markup {
    let link = |to: usize| {
        let mut query: Vec<String> = filter
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url_component(v)))
            .collect();
        query.push(format!("halaman={to}"));
        format!("{path}?{}", query.join("&"))
    };
    markup! {
        p class="pager" {
            @if page > 0 {
                a href=(link(page - 1)) { "« Sebelumnya" }
                " "
            }
            @if more {
                a href=(link(page + 1)) { "Berikutnya »" }
            }
        }
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn url_component(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A list page's title: how many it shows when they fit on one page, else which page (from 1)
/// of `halaman` (from 0, as the query gives it).
fn list_title(name: &str, shown: usize, page: usize, more: bool) -> String {
    if page == 0 && !more {
        format!("{name} ({shown})")
    } else {
        // u128: `halaman` comes from the query, and usize::MAX + 1 overflowed (a panic in a
        // debug build, "halaman 0" in release), found by the console_forms fuzz target.
        format!("{name} (halaman {})", page as u128 + 1)
    }
}

fn options(selected: Option<&str>, all: &[(String, String)], none: &str) -> Markup {
    markup! {
        option value="" { (none) }
        @for (value, label) in all {
            option value=(value) selected[selected == Some(value.as_str())] { (label) }
        }
    }
}

async fn list_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<ListFilter>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let status = filter
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(Status::parse);
    let chosen_kelurahan = filter.kelurahan.as_deref().filter(|k| !k.is_empty());
    let page_number = filter.halaman.unwrap_or(0);
    let query = review::ListQuery {
        status,
        kelurahan: chosen_kelurahan.map(str::to_owned),
        page: page_number,
        scope: session.operator.scope.clone(),
    };
    // Filtered and paginated in SQL; an open one past its 14 days reads as lapsed.
    let reader = state.clone();
    let found = tokio::task::spawn_blocking(move || {
        Ok::<_, crate::db::DbError>((
            review::kelurahan_with_sanggahan(&reader, &query.scope)?,
            review::list(&reader, &query)?,
        ))
    })
    .await;
    let Ok(Ok((with_sanggahan, listed))) = found else {
        return storage_error();
    };
    let lines: Vec<&review::Line> = listed.lines.iter().collect();
    let places = kelurahan_choices(with_sanggahan.iter().map(String::as_str));
    let statuses: Vec<(String, String)> = Status::ALL
        .iter()
        .filter(|s| **s != Status::Diajukan)
        .map(|s| (s.as_str().to_owned(), s.as_str().to_owned()))
        .collect();
    let body = markup! {
        form method="get" class="box" {
            label { "Status " select name="status" { (options(status.map(Status::as_str), &statuses, "Semua status")) } }
            label { "Kelurahan " select name="kelurahan" { (options(chosen_kelurahan, &places, "Semua kelurahan")) } }
            button { "Tampilkan" }
        }
        @if lines.is_empty() {
            p { "Tidak ada sanggahan." }
        } @else {
            table {
                thead { tr {
                    th { "Sanggahan" } th { "Kelurahan" } th { "Penerima" } th { "Alasan" }
                    th { "Diajukan" } th { "Status" } th { "Sisa waktu" }
                } }
                tbody {
                    @for l in &lines {
                        tr {
                            td { a href={ "/review/sanggahan/" (l.id) } { (l.id) } }
                            td { (kelurahan(&l.kelurahan_code)) }
                            td { (l.recipient_id) }
                            td { (reason_label(&l.reason)) }
                            td { (time(l.filed_at, &l.kelurahan_code)) }
                            td { (l.status.as_str()) }
                            td {
                                @match l.days_left {
                                    Some(0) => span class="warn" { "hari terakhir" },
                                    Some(d) if d <= 3 => span class="warn" { (d) " hari" },
                                    Some(d) => { (d) " hari" },
                                    None => "—",
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(
            "/review/sanggahan",
            &[
                ("status", status.map(Status::as_str).unwrap_or("")),
                ("kelurahan", chosen_kelurahan.unwrap_or("")),
            ],
            page_number,
            listed.more,
        ))
    };
    let title = list_title("Sanggahan", lines.len(), page_number, listed.more);
    html(
        StatusCode::OK,
        page(&title, Some((&session.operator, &session.csrf)), body),
    )
}

fn detail_body(d: &review::Detail, session: &Session, message: Option<&str>) -> Markup {
    let place = &d.line.kelurahan_code;
    markup! {
        @if let Some(m) = message { (html::error(m)) }
        div class="box" { dl {
            dt { "Status" } dd id="status" { (d.line.status.as_str()) " — " (d.line.status.label()) }
            dt { "Sisa waktu" }
            dd {
                @match d.line.days_left {
                    Some(days) => { (days) " hari lagi dari 14" },
                    None => "—",
                }
            }
            dt { "Kelurahan" } dd { (kelurahan(place)) }
            dt { "Alasan" } dd { (reason_label(&d.line.reason)) }
            dt { "Pernyataan pelapor" } dd { (d.statement) }
            dt { "Diajukan" } dd { (time(d.line.filed_at, place)) }
            dt { "Agen / perangkat" } dd { (d.agent_id) " / " (d.device_id) }
            @if let Some(reason) = &d.decision_reason {
                dt { "Alasan putusan" } dd { (reason) }
            }
            @if let Some(by) = &d.decided_by {
                dt { "Diputus oleh" } dd { (by) }
            }
            dt { "Pelapor" }
            dd id="reporter" {
                // The reporter is protected: only an admin sees who it is.
                @if session.operator.role == Role::Admin {
                    (d.reporter.full_name) " (NIK " (d.reporter.nik) ")"
                } @else {
                    em { "disembunyikan (hanya admin)" }
                }
            }
            dt { "Sanggahan lain dari pelapor yang sama" }
            dd id="reporter-others" { (d.reporter_other_filings) }
        } }
        h2 { "Penerima yang disanggah" }
        div class="box" {
            @match &d.recipient {
                Some(r) => {
                    @let field = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("").to_owned();
                    @let number = |k: &str| r.get(k).and_then(|v| v.as_i64()).unwrap_or(0);
                    dl {
                        dt { "Nama" } dd { (field("name")) }
                        dt { "NIK" } dd { (field("nik")) }
                        dt { "Program" } dd { (field("programme")) }
                        dt { "RT/RW" } dd { (format!("{:03}/{:03}", number("rt"), number("rw"))) }
                    }
                },
                None => p { (d.line.recipient_id) " (tidak ada di daftar penerima yang diimpor ke server ini)" },
            }
        }
        h2 { "Bukti foto" }
        div class="photos" {
            @for p in &d.photos {
                figure class="box" {
                    img src={ "/review/bukti/" (p.sha256) } alt="Bukti foto" loading="lazy";
                    figcaption {
                        p class="attestation" {
                            @if p.attestation_valid {
                                span class="ok" { "Atestasi sah: foto utuh, ditandatangani perangkat agen" }
                            } @else {
                                span class="warn" { "Atestasi TIDAK sah: foto atau tanda tangan tidak cocok" }
                            }
                        }
                        p {
                            "Diambil " (time(p.captured_at, place)) " · koordinat "
                            @match p.gps {
                                Some(g) => (format!("{:.5}, {:.5}", g.latitude, g.longitude)),
                                None => "tidak ada",
                            }
                        }
                        @if p.near_duplicates.is_empty() {
                            p class="duplicates" { "Tidak ada foto serupa di catatan lain." }
                        } @else {
                            p class="duplicates warn" { "Foto serupa ditemukan di catatan lain:" }
                            ul {
                                @for n in &p.near_duplicates {
                                    li {
                                        @if n.record_kind == "sanggahan" {
                                            a href={ "/review/sanggahan/" (n.record_id) } { "sanggahan " (n.record_id) }
                                        } @else {
                                            (n.record_kind) " " (n.record_id)
                                        }
                                        ", perangkat " (n.device_id) ", jarak " (n.distance)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if d.photos.is_empty() {
                p { "Tidak ada foto." }
            }
        }
        @if d.line.status.is_open() {
            h2 { "Putusan" }
            form method="post" action={ "/review/sanggahan/" (d.line.id) "/putusan" } class="box" {
                (csrf_field(&session.csrf))
                label { input type="radio" name="decision" value="diverifikasi" required; " Diverifikasi (sanggahan benar)" }
                label { input type="radio" name="decision" value="ditolak"; " Ditolak" }
                label { "Alasan (wajib bila ditolak; dibaca oleh pelapor) " textarea name="reason" rows="3" maxlength="500" {} }
                button type="submit" id="decide" { "Simpan putusan" }
            }
        }
    }
}

async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    // The detail page reads the photos from disk: off the async workers.
    let reader = state.clone();
    let found = tokio::task::spawn_blocking(move || review::detail(&reader, &id))
        .await
        .unwrap_or_else(|_| Err(crate::db::DbError("detail task".into())));
    match found {
        // Outside the officer's scope it is as if it did not exist.
        Ok(Some(d)) if session.operator.scope.covers(&d.line.kelurahan_code) => {
            let title = format!("Sanggahan {}", d.line.id);
            let body = detail_body(&d, &session, None);
            html(
                StatusCode::OK,
                page(&title, Some((&session.operator, &session.csrf)), body),
            )
        }
        Ok(_) => error_page(
            StatusCode::NOT_FOUND,
            Some(&session),
            review::NOT_FOUND.message,
        ),
        Err(_) => storage_error(),
    }
}

#[derive(Deserialize)]
pub(super) struct DecisionForm {
    pub(super) csrf: Option<String>,
    pub(super) decision: Option<String>,
    pub(super) reason: Option<String>,
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let in_scope = {
        let state = state.clone();
        let id = id.clone();
        let scope = session.operator.scope.clone();
        tokio::task::spawn_blocking(move || {
            review::detail(&state, &id)
                .map(|d| d.is_some_and(|d| scope.covers(&d.line.kelurahan_code)))
        })
        .await
    };
    match in_scope {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            return error_page(
                StatusCode::NOT_FOUND,
                Some(&session),
                review::NOT_FOUND.message,
            )
        }
        _ => return storage_error(),
    }
    let decided = {
        let state = state.clone();
        let operator = session.operator.username.clone();
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            review::decide(
                &state,
                &operator,
                &id,
                form.decision.as_deref().unwrap_or(""),
                form.reason.as_deref(),
            )
        })
        .await
        .unwrap_or(Err(review::STORAGE))
    };
    match decided {
        Ok(status) => {
            tracing::info!(event = "sanggahan_decided", status = status.as_str());
            Redirect::to(&format!("/review/sanggahan/{id}")).into_response()
        }
        Err(refusal) => match review::detail(&state, &id) {
            Ok(Some(d)) => {
                let body = detail_body(&d, &session, Some(refusal.message));
                let status = if refusal == review::NOT_FOUND {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                html(
                    status,
                    page(
                        &format!("Sanggahan {id}"),
                        Some((&session.operator, &session.csrf)),
                        body,
                    ),
                )
            }
            _ => error_page(StatusCode::NOT_FOUND, Some(&session), refusal.message),
        },
    }
}

/// Evidence photos, to logged-in officers only, and only photos that are evidence of a record.
async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(sha): Path<String>,
) -> Response {
    let session = match require(&state, &headers, false) {
        Ok(s) => s,
        Err(refused) => return *refused,
    };
    let Some(name) = crate::blobs::BlobName::parse(&sha) else {
        return error_page(StatusCode::NOT_FOUND, None, "Foto tidak ditemukan.");
    };
    // Evidence of a record inside the officer's scope (a sanggahan's or a household's).
    let mut params = vec![crate::db::text(sha.as_str())];
    let in_scope = session.operator.scope.condition(
        "coalesce(s.kelurahan_code, h.kelurahan_code, o.kelurahan_code)",
        &mut params,
    );
    let sql = format!(
        "SELECT 1 FROM evidence_index e
         LEFT JOIN sanggahan s ON e.record_kind = 'sanggahan' AND s.id = e.record_id
         LEFT JOIN households h ON e.record_kind = 'household' AND h.id = e.record_id
         LEFT JOIN objections o ON e.record_kind = 'objection' AND o.id = e.record_id
         WHERE e.sha256 = ?1 AND {in_scope}"
    );
    let known = state
        .db
        .read(|tx| tx.exists(&sql, &params))
        .unwrap_or(false);
    if !known {
        return error_page(StatusCode::NOT_FOUND, None, "Foto tidak ditemukan.");
    }
    match tokio::task::spawn_blocking(move || crate::blobs::read_stored(&state, &name)).await {
        Ok(Ok(Some(bytes))) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "private, max-age=3600"),
            ],
            bytes,
        )
            .into_response(),
        _ => error_page(StatusCode::NOT_FOUND, None, "Foto tidak ditemukan."),
    }
}

#[derive(Deserialize)]
pub(super) struct KelurahanFilter {
    pub(super) kelurahan: Option<String>,
    /// The page, from 0.
    pub(super) halaman: Option<usize>,
}

async fn registrations_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<KelurahanFilter>,
) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let chosen = filter.kelurahan.as_deref().filter(|k| !k.is_empty());
    let page_number = filter.halaman.unwrap_or(0);
    let reader = state.clone();
    let wanted = chosen.map(str::to_owned);
    let scope = session.operator.scope.clone();
    let found = tokio::task::spawn_blocking(move || {
        Ok::<_, crate::db::DbError>((
            registrations::list(&reader, wanted.as_deref(), Some(page_number), &scope)?,
            registrations::kelurahan_with_households(&reader, &scope)?,
        ))
    })
    .await;
    let Ok(Ok(((households, more), with_households))) = found else {
        return storage_error();
    };
    let places = kelurahan_choices(with_households.iter().map(String::as_str));
    let export = match chosen {
        Some(k) => format!("/review/registrasi.csv?kelurahan={}", url_component(k)),
        None => "/review/registrasi.csv".to_owned(),
    };
    let body = markup! {
        form method="get" class="box" {
            label { "Kelurahan " select name="kelurahan" { (options(chosen, &places, "Semua kelurahan")) } }
            button { "Tampilkan" } " "
            a href=(export) id="export" { "Unduh CSV untuk SIKS-NG" }
        }
        p { "Perkiraan PMT di bawah adalah pratinjau di ponsel; peringkat resmi ditetapkan BPS." }
        table {
            thead { tr {
                th { "Keluarga" } th { "Kepala keluarga" } th { "Kelurahan" } th { "RT/RW" }
                th { "Anggota" } th { "Perkiraan pengeluaran/kapita" } th { "Desil (pratinjau)" } th { "IKD" }
                th { "Terdaftar" } th { "Agen" } th { "DTSEN" } th { "Status" }
            } }
            tbody {
                @for h in &households {
                    @let pmt = h.pmt.as_ref();
                    tr {
                        td { (h.id) }
                        td { (h.head_name) }
                        td { (kelurahan(&h.kelurahan_code)) }
                        td { (format!("{:03}/{:03}", h.rt, h.rw)) }
                        td { (h.members.len()) }
                        td {
                            @match pmt.and_then(|p| p.estimate) {
                                Some(e) => { "Rp" (perlinsos_rules::pmt::format_number(e.round())) },
                                None => "—",
                            }
                        }
                        td {
                            @match pmt.and_then(|p| p.desil) {
                                Some(d) => (d),
                                None => "—",
                            }
                        }
                        td { (h.ikd_summary()) }
                        td { (time(h.registered_at, &h.kelurahan_code)) }
                        td { (h.agent_id) }
                        td {
                            @match &h.dtsen_family_id {
                                Some(family) => { "Keluarga " (family) },
                                None => strong { "Usulan baru" },
                            }
                        }
                        td {
                            @if h.status == crate::stored::HOUSEHOLD_DUPLICATE {
                                a href="/review/data-ganda" class="warn" { "Data ganda" }
                            } @else {
                                "Diterima"
                            }
                        }
                    }
                }
            }
        }
        (pager(
            "/review/registrasi",
            &[("kelurahan", chosen.unwrap_or(""))],
            page_number,
            more,
        ))
    };
    let title = list_title("Registrasi keluarga", households.len(), page_number, more);
    html(
        StatusCode::OK,
        page(&title, Some((&session.operator, &session.csrf)), body),
    )
}

async fn registrations_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(filter): Query<KelurahanFilter>,
) -> Response {
    let session = match require(&state, &headers, false) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let chosen = filter.kelurahan.as_deref().filter(|k| !k.is_empty());
    let scope = &session.operator.scope;
    let Ok((households, _)) = registrations::list(&state, chosen, None, scope) else {
        return storage_error();
    };
    // An export of personal data is an action of its own in the audit log.
    let now = (state.clock)();
    let logged = state.db.write(|tx| {
        staff_audit::record(
            tx,
            now,
            &session.operator.username,
            "registrations_exported",
            chosen,
            Some(&format!("{} keluarga", households.len())),
        )
    });
    if logged.is_err() {
        return storage_error();
    }
    let name = format!("registrasi-{}.csv", chosen.unwrap_or("semua"));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], "")),
            ),
        ],
        registrations::csv(&households, scope.sees_full_numbers()),
    )
        .into_response()
}

/// The console's forms and queries as the server reads them, before any database work: each
/// parsed by axum's own `Form` extractor (queries are the same `serde_urlencoded` fields), then
/// put through that form's own checks. For the `console_forms` fuzz target (`server/fuzz`);
/// not API.
#[doc(hidden)]
pub mod fuzzing {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use axum::extract::FromRequest;
    use serde::de::DeserializeOwned;

    use super::accounts::{self, Role};
    use super::{accounts_page, assignments, duplicates, nik_search, objections, visits};
    use super::{DecisionForm, KelurahanFilter, ListFilter, LoginForm};
    use crate::review;
    use perlinsos_rules::sanggahan::Status;

    /// A new account as its form gives it: role, user name and scope.
    pub type NewAccount = (Role, String, Vec<String>);
    /// An assignment as its form gives it: RW, RT, and whether it adds (or takes away).
    pub type Assignment = (Option<u16>, Option<u16>, bool);

    /// What the console made of one body, form by form (None: the extractor refused it).
    #[derive(Debug, Default)]
    pub struct Read {
        /// The login's user name as looked up (trimmed, lower case).
        pub login_username: Option<String>,
        /// A sanggahan decision: its status and reason, or the refusal's stable code.
        pub decision: Option<Result<(Status, Option<String>), &'static str>>,
        /// A result objection's decision: granted or not; None inside when refused.
        pub objection_granted: Option<Option<bool>>,
        /// A new account: its role, user name and scope, or the refusal's message.
        pub account: Option<Result<NewAccount, String>>,
        /// A peninjau's scope as the scope form sets it.
        pub scope: Option<Result<Vec<String>, String>>,
        /// A new password (reset, own change) against the policy.
        pub passwords: Vec<(String, Result<(), String>)>,
        /// An assignment: RW, RT, and whether it adds; None inside when refused.
        pub place: Option<Option<Assignment>>,
        /// A second factor's code: the time step it matched, for the fuzz target's secret.
        pub code_step: Option<(String, Option<i64>)>,
        /// The titles list pages would show for the page the query names.
        pub titles: Vec<(usize, String)>,
        /// The NIK search's input as searched.
        pub nik: Option<String>,
        /// A receipt code as looked up.
        pub receipt: Option<String>,
    }

    /// The secret the fuzz target's second-factor codes are checked against.
    pub const SECRET: &[u8; 20] = b"perlinsos-fuzz-totp!";

    /// `body` through axum's `Form` extractor as a form post brings it.
    fn form<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
        let request = axum::http::Request::builder()
            .method("POST")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(body.to_vec()))
            .ok()?;
        let future = axum::Form::<T>::from_request(request, &());
        let mut future = std::pin::pin!(future);
        // The body is in memory: the extractor is ready at its first poll.
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(Ok(axum::Form(value))) => Some(value),
            _ => None,
        }
    }

    /// Every console form and query read from `body`, and checked as its handler checks it
    /// before touching the database; `now_ms` is the clock for second-factor codes.
    pub fn read(body: &[u8], now_ms: i64) -> Read {
        let mut read = Read {
            login_username: form::<LoginForm>(body).map(|f| f.username.trim().to_lowercase()),
            ..Read::default()
        };
        if let Some(f) = form::<DecisionForm>(body) {
            read.decision = Some(
                review::check_decision(f.decision.as_deref().unwrap_or(""), f.reason.as_deref())
                    .map(|(status, reason)| (status, reason.map(str::to_owned)))
                    .map_err(|refusal| refusal.code),
            );
        }
        if let Some(f) = form::<objections::DecisionForm>(body) {
            read.objection_granted = Some(match f.decision.as_deref() {
                Some("dikabulkan") => Some(true),
                Some("ditolak") => Some(false),
                _ => None,
            });
        }
        if let Some(f) = form::<accounts_page::CreateForm>(body) {
            let username = f.username.unwrap_or_default().trim().to_lowercase();
            let scope =
                accounts::parse_scope(&accounts_page::regions(f.wilayah.as_deref().unwrap_or("")));
            read.account = Some(match (f.role.as_deref().and_then(Role::parse), scope) {
                (None, _) => Err("peran".into()),
                (Some(_), _) if !accounts::valid_username(&username) => Err("nama".into()),
                (Some(_), Err(e)) => Err(e),
                (Some(role), Ok(scope)) => Ok((role, username, scope)),
            });
            if let Some(password) = f.password {
                let checked = accounts::check_password(&password);
                read.passwords.push((password, checked));
            }
        }
        if let Some(f) = form::<accounts_page::ScopeForm>(body) {
            read.scope = Some(accounts::parse_scope(&accounts_page::regions(
                f.wilayah.as_deref().unwrap_or(""),
            )));
        }
        for password in [
            form::<accounts_page::ResetForm>(body).and_then(|f| f.baru),
            form::<accounts_page::OwnPasswordForm>(body).and_then(|f| f.baru),
        ]
        .into_iter()
        .flatten()
        {
            let checked = accounts::check_password(&password);
            read.passwords.push((password, checked));
        }
        let _ = form::<accounts_page::StatusForm>(body);
        if let Some(f) = form::<accounts_page::CodeForm>(body) {
            let code = f.kode.unwrap_or_default();
            let step = super::second_factor::matching_step(SECRET, &code, now_ms);
            read.code_step = Some((code, step));
        }
        if let Some(f) = form::<assignments::AssignForm>(body) {
            let rw = assignments::number(f.rw.as_deref());
            let rt = assignments::number(f.rt.as_deref());
            let add = match f.action.as_deref() {
                Some("tugaskan") => Some(true),
                Some("tarik") => Some(false),
                _ => None,
            };
            // As the handler: both numbers, an RT only within an RW, and an action.
            read.place = Some(match (rw, rt) {
                (Ok(rw), Ok(rt)) if !(rt.is_some() && rw.is_none()) => add.map(|add| (rw, rt, add)),
                _ => None,
            });
        }
        let _ = form::<assignments::PlaceQuery>(body);
        let _ = form::<duplicates::DecisionForm>(body);
        let _ = form::<visits::ChoiceForm>(body);
        read.receipt = form::<visits::ReceiptQuery>(body).and_then(|q| q.kode);
        read.nik = form::<nik_search::SearchForm>(body)
            .map(|f| f.nik.unwrap_or_default().chars().take(32).collect());
        let pages = [
            form::<ListFilter>(body).and_then(|f| f.halaman),
            form::<KelurahanFilter>(body).and_then(|f| f.halaman),
            form::<duplicates::PageQuery>(body).and_then(|f| f.halaman),
        ];
        for page in pages.into_iter().flatten() {
            for more in [false, true] {
                read.titles
                    .push((page, super::list_title("Sanggahan", 3, page, more)));
            }
        }
        read
    }
}

#[cfg(test)]
mod parser_tests {
    use super::*;
    use proptest::prelude::*;

    fn state(trusted: Vec<std::net::IpAddr>) -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let mut state = AppState::open(dir.path(), std::sync::Arc::new(crate::now_millis)).unwrap();
        state.trusted_proxies = trusted;
        (dir, state)
    }

    #[test]
    fn a_list_page_far_past_the_end_is_named_without_overflow() {
        assert_eq!(
            list_title("Sanggahan", 0, usize::MAX, false),
            "Sanggahan (halaman 18446744073709551616)"
        );
        assert_eq!(list_title("Sanggahan", 3, 0, false), "Sanggahan (3)");
        assert_eq!(
            list_title("Sanggahan", 50, 0, true),
            "Sanggahan (halaman 1)"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever X-Forwarded-For says, the address is an IP address (or empty), and from an
        /// untrusted peer it is the peer's own.
        #[test]
        fn the_client_address_is_an_address(forwarded in "[ -~]{0,120}") {
            let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
            let (_dir, trusting) = state(vec![proxy]);
            let (_dir2, plain) = state(Vec::new());
            let mut headers = HeaderMap::new();
            if let Ok(v) = forwarded.parse() {
                headers.insert("x-forwarded-for", v);
            }
            let seen = client_address(&trusting, Some(proxy), &headers);
            prop_assert!(seen.parse::<std::net::IpAddr>().is_ok(), "{}", seen);
            prop_assert_eq!(client_address(&plain, Some(proxy), &headers), "127.0.0.1");
        }

        /// A scope list from a form or the CLI: parsed or refused, never a panic; what parses
        /// covers only codes under it.
        #[test]
        fn scopes_parse_or_are_refused(codes in proptest::collection::vec("[0-9.]{0,14}", 0..4)) {
            if let Ok(parsed) = accounts::parse_scope(&codes) {
                let scope = accounts::Scope::Regions(parsed.clone());
                for code in &parsed {
                    let below = format!("{code}.1001");
                    let covered = scope.covers(&below) || code.len() == 13;
                    prop_assert!(covered);
                }
            }
        }

        #[test]
        fn any_time_renders(millis in any::<i64>(), region in "[0-9]{0,2}") {
            let shown = html::time(millis, &region);
            prop_assert!(!shown.is_empty());
        }
    }
}
