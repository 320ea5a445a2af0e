//! The "Akun" page: every officer changes their own password here (the current one required);
//! an admin also lists the accounts, adds one, disables or enables it, sets a new password for
//! someone who forgot theirs and changes a peninjau's regions. The rules are `accounts`'s, the
//! same the CLI's `user` commands use; every change is in the staff audit (never a password).
//! Every officer may also set up a second factor (`second_factor`) here.
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Form;
use maud::{html as markup, Markup};
use serde::Deserialize;

use super::accounts::{self, Account, AccountError, PasswordRefused, Role};
use super::html::{csrf_field, page, time};
use super::second_factor::{self, SecondFactor};
use super::{
    admin_only, html, login_page, require, require_post, storage_error, web_session, Session,
};
use crate::AppState;

/// What the last action said: done (green) or refused (red).
enum Outcome {
    Done(String),
    Refused(String),
}

pub(super) async fn page_of(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = match require(&state, &headers, true) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    render(state, session, StatusCode::OK, None).await
}

async fn render(
    state: AppState,
    session: Session,
    status: StatusCode,
    outcome: Option<Outcome>,
) -> Response {
    let reader = state.clone();
    let username = session.operator.username.clone();
    let admin = session.operator.role == Role::Admin;
    let found = tokio::task::spawn_blocking(move || {
        reader.db.read(|tx| {
            let factor = second_factor::state_of(tx, &reader.keys, &username)?;
            let accounts = if admin {
                Some(accounts::list(tx)?)
            } else {
                None
            };
            Ok((factor, accounts))
        })
    })
    .await;
    let Ok(Ok((factor, accounts))) = found else {
        return storage_error();
    };
    let body = markup! {
        @match &outcome {
            Some(Outcome::Done(m)) => p class="ok" { (m) },
            Some(Outcome::Refused(m)) => (html::error(m)),
            None => {},
        }
        (own_password_form(&session))
        (second_factor_box(&session, &factor))
        @if let Some(accounts) = &accounts {
            (account_table(&session, accounts))
            (add_form(&session))
        }
    };
    html(
        status,
        page("Akun", Some((&session.operator, &session.csrf)), body),
    )
}

fn own_password_form(session: &Session) -> Markup {
    markup! {
        div class="box" {
            h2 { "Ganti kata sandi Anda" }
            form method="post" action="/review/akun/sandi" {
                (csrf_field(&session.csrf))
                label { "Kata sandi sekarang " input type="password" name="lama" autocomplete="current-password" required; }
                label { "Kata sandi baru (paling sedikit 12 karakter) " input type="password" name="baru" autocomplete="new-password" minlength="12" required; }
                label { "Ulangi kata sandi baru " input type="password" name="ulangi" autocomplete="new-password" minlength="12" required; }
                button id="change-password" { "Ganti kata sandi" }
            }
            p { "Setelah diganti, semua sesi akun Anda berakhir: masuk lagi dengan kata sandi baru." }
        }
    }
}

fn second_factor_box(session: &Session, factor: &SecondFactor) -> Markup {
    markup! {
        div class="box" {
            h2 { "Autentikasi dua langkah" }
            @match factor {
                SecondFactor::Off => {
                    p { "Belum aktif. Dengan autentikasi dua langkah, masuk ke konsol perlu kata sandi \
                         dan kode 6 angka dari aplikasi autentikator di ponsel Anda." }
                    form method="post" action="/review/akun/totp/siapkan" {
                        (csrf_field(&session.csrf))
                        button id="totp-begin" { "Siapkan" }
                    }
                },
                SecondFactor::Pending(enrollment) => {
                    p { "Tambahkan akun ini di aplikasi autentikator dengan kunci rahasia berikut \
                         (atau tempel alamat otpauth-nya), lalu isi kode yang ditampilkan aplikasi." }
                    p { "Kunci rahasia: " code id="totp-secret" { (enrollment.secret) } }
                    p { "Alamat: " code id="totp-uri" { (enrollment.uri) } }
                    form method="post" action="/review/akun/totp/aktifkan" {
                        (csrf_field(&session.csrf))
                        label { "Kode dari aplikasi " input type="text" name="kode" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required; }
                        button id="totp-confirm" { "Aktifkan" }
                    }
                },
                SecondFactor::Active { since } => {
                    p class="ok" { "Aktif sejak " (time(*since, "")) "." }
                    form method="post" action="/review/akun/totp/matikan" {
                        (csrf_field(&session.csrf))
                        label { "Kode dari aplikasi " input type="text" name="kode" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required; }
                        button { "Matikan" }
                    }
                },
            }
        }
    }
}

fn account_table(session: &Session, accounts: &[Account]) -> Markup {
    markup! {
        h2 { "Akun petugas" }
        table {
            thead { tr {
                th { "Nama pengguna" } th { "Peran" } th { "Wilayah" } th { "Dibuat" } th { "Status" }
                th { "Kata sandi baru" } th { "Ubah wilayah" }
            } }
            tbody {
                @for a in accounts {
                    @let path = format!("/review/akun/{}", a.username);
                    tr id={ "akun-" (a.username) } {
                        td { (a.username) }
                        td { (a.role.as_str()) }
                        td {
                            @if a.role == Role::Admin { "seluruh kabupaten/kota" } @else { (a.regions.join(", ")) }
                        }
                        td { (time(a.created_at, "")) }
                        td {
                            @match a.disabled_at {
                                Some(at) => span class="warn" { "nonaktif sejak " (time(at, "")) },
                                None => span class="ok" { "aktif" },
                            }
                            @if a.username != session.operator.username || a.disabled_at.is_some() {
                                form method="post" action={ (path) "/status" } {
                                    (csrf_field(&session.csrf))
                                    @if a.disabled_at.is_some() {
                                        input type="hidden" name="aktif" value="ya";
                                        button { "Aktifkan" }
                                    } @else {
                                        input type="hidden" name="aktif" value="tidak";
                                        button { "Nonaktifkan" }
                                    }
                                }
                            }
                        }
                        td {
                            @if a.username != session.operator.username {
                                form method="post" action={ (path) "/sandi" } {
                                    (csrf_field(&session.csrf))
                                    input type="password" name="baru" autocomplete="new-password" minlength="12" required;
                                    button { "Setel" }
                                }
                            }
                        }
                        td {
                            @if a.role == Role::Peninjau {
                                form method="post" action={ (path) "/wilayah" } {
                                    (csrf_field(&session.csrf))
                                    input type="text" name="wilayah" value=(a.regions.join(", ")) required;
                                    button { "Simpan" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn add_form(session: &Session) -> Markup {
    markup! {
        div class="box" {
            h2 { "Tambah akun" }
            form method="post" action="/review/akun/tambah" {
                (csrf_field(&session.csrf))
                label { "Nama pengguna (3-32 huruf kecil, angka, titik atau minus) " input type="text" name="username" autocomplete="off" required; }
                label {
                    "Peran "
                    select name="role" {
                        option value="peninjau" { "peninjau" }
                        option value="admin" { "admin" }
                    }
                }
                label { "Wilayah peninjau: kode kelurahan atau kecamatan, dipisah koma " input type="text" name="wilayah"; }
                label { "Kata sandi awal (paling sedikit 12 karakter) " input type="password" name="password" autocomplete="new-password" minlength="12" required; }
                button id="add-account" { "Tambah" }
            }
        }
    }
}

/// A scope as typed: codes separated by commas or spaces.
pub(super) fn regions(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The admin behind a form post (session, CSRF and role checked), or the refusal.
fn require_admin_post(
    state: &AppState,
    headers: &HeaderMap,
    csrf: Option<&str>,
) -> Result<Session, Box<Response>> {
    let session = require_post(state, headers, csrf)?;
    match admin_only(&session) {
        Some(refused) => Err(Box::new(refused)),
        None => Ok(session),
    }
}

/// Runs an account change off the async workers and shows the page with what it said.
async fn apply(
    state: AppState,
    session: Session,
    done: String,
    change: impl FnOnce(&AppState) -> Result<(), AccountError> + Send + 'static,
) -> Response {
    let worker = state.clone();
    match tokio::task::spawn_blocking(move || change(&worker)).await {
        Ok(Ok(())) => render(state, session, StatusCode::OK, Some(Outcome::Done(done))).await,
        Ok(Err(AccountError::Refused(message))) => {
            let refused = Outcome::Refused(format!("Ditolak: {message}."));
            render(
                state,
                session,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(refused),
            )
            .await
        }
        Ok(Err(AccountError::Storage(_))) | Err(_) => storage_error(),
    }
}

#[derive(Deserialize)]
pub(super) struct CreateForm {
    pub(super) csrf: Option<String>,
    pub(super) username: Option<String>,
    pub(super) role: Option<String>,
    pub(super) wilayah: Option<String>,
    pub(super) password: Option<String>,
}

pub(super) async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Response {
    let session = match require_admin_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let Some(role) = form.role.as_deref().and_then(Role::parse) else {
        let refused = Outcome::Refused("Ditolak: pilih peran peninjau atau admin.".into());
        return render(
            state,
            session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(refused),
        )
        .await;
    };
    let username = form.username.unwrap_or_default().trim().to_lowercase();
    let scope = regions(form.wilayah.as_deref().unwrap_or(""));
    let password = form.password.unwrap_or_default();
    let actor = session.operator.username.clone();
    let done = format!("Akun {username} ({}) ditambahkan.", role.as_str());
    apply(state, session, done, move |state| {
        accounts::create(state, &actor, &username, role, &password, &scope)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    pub(super) csrf: Option<String>,
    pub(super) aktif: Option<String>,
}

pub(super) async fn set_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    let session = match require_admin_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let disabled = match form.aktif.as_deref() {
        Some("ya") => false,
        Some("tidak") => true,
        _ => {
            let refused = Outcome::Refused("Ditolak: pilih aktifkan atau nonaktifkan.".into());
            return render(
                state,
                session,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(refused),
            )
            .await;
        }
    };
    let actor = session.operator.username.clone();
    let done = if disabled {
        format!("Akun {username} dinonaktifkan; sesinya berakhir.")
    } else {
        format!("Akun {username} diaktifkan lagi.")
    };
    apply(state, session, done, move |state| {
        accounts::set_disabled(state, &actor, &username, disabled)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct ResetForm {
    pub(super) csrf: Option<String>,
    pub(super) baru: Option<String>,
}

pub(super) async fn reset_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<ResetForm>,
) -> Response {
    let session = match require_admin_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let actor = session.operator.username.clone();
    let password = form.baru.unwrap_or_default();
    let done = format!(
        "Kata sandi baru untuk {username} disetel; sampaikan kepadanya langsung, lalu minta ia \
         menggantinya sendiri."
    );
    apply(state, session, done, move |state| {
        accounts::reset_password(state, &actor, &username, &password)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct ScopeForm {
    pub(super) csrf: Option<String>,
    pub(super) wilayah: Option<String>,
}

pub(super) async fn set_scope(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<ScopeForm>,
) -> Response {
    let session = match require_admin_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let actor = session.operator.username.clone();
    let scope = regions(form.wilayah.as_deref().unwrap_or(""));
    let done = format!("Wilayah {username}: {}.", scope.join(", "));
    apply(state, session, done, move |state| {
        accounts::set_scope(state, &username, &scope, &actor)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct OwnPasswordForm {
    pub(super) csrf: Option<String>,
    pub(super) lama: Option<String>,
    pub(super) baru: Option<String>,
    pub(super) ulangi: Option<String>,
}

pub(super) async fn change_own_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<OwnPasswordForm>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let refuse = |message: &str| Outcome::Refused(format!("Ditolak: {message}."));
    let new = form.baru.unwrap_or_default();
    if form.ulangi.as_deref() != Some(new.as_str()) {
        let refused = refuse("kata sandi baru dan ulangannya tidak sama");
        return render(
            state,
            session,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(refused),
        )
        .await;
    }
    let old = form.lama.unwrap_or_default();
    let worker = state.clone();
    let username = session.operator.username.clone();
    let changed = tokio::task::spawn_blocking(move || {
        accounts::change_own_password(&worker, &username, &old, &new)
    })
    .await
    .unwrap_or(Err(PasswordRefused::Storage));
    let refused = match changed {
        Ok(()) => {
            tracing::info!(event = "console_password_changed");
            let mut response = login_page(
                &state,
                &headers,
                StatusCode::OK,
                Some("Kata sandi Anda sudah diganti. Silakan masuk lagi dengan kata sandi baru."),
            );
            let cookie = web_session::set_cookie(&state, &headers, web_session::COOKIE, "", 0);
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            return response;
        }
        Err(PasswordRefused::WrongOld) => refuse("kata sandi sekarang salah"),
        Err(PasswordRefused::Blocked { seconds }) => refuse(&format!(
            "terlalu banyak kata sandi salah, coba lagi dalam {seconds} detik"
        )),
        Err(PasswordRefused::Invalid(message)) => refuse(&message),
        Err(PasswordRefused::Storage) => return storage_error(),
    };
    render(
        state,
        session,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(refused),
    )
    .await
}

pub(super) async fn begin_second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<super::CsrfForm>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let username = session.operator.username.clone();
    let done = "Kunci rahasia dibuat. Tambahkan di aplikasi autentikator, lalu isi kodenya.".into();
    apply(state, session, done, move |state| {
        second_factor::begin(state, &username).map(drop)
    })
    .await
}

#[derive(Deserialize)]
pub(super) struct CodeForm {
    pub(super) csrf: Option<String>,
    pub(super) kode: Option<String>,
}

pub(super) async fn confirm_second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let done = "Autentikasi dua langkah aktif: setiap masuk, isi juga kode dari aplikasi.";
    with_code(state, headers, form, done, second_factor::confirm).await
}

pub(super) async fn turn_off_second_factor(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    let done = "Autentikasi dua langkah dimatikan.";
    with_code(state, headers, form, done, second_factor::turn_off).await
}

/// A change of the officer's own second factor that a current code from the app authorizes.
async fn with_code(
    state: AppState,
    headers: HeaderMap,
    form: CodeForm,
    done: &str,
    change: fn(&AppState, &str, &str) -> Result<(), AccountError>,
) -> Response {
    let session = match require_post(&state, &headers, form.csrf.as_deref()) {
        Ok(s) => s,
        Err(r) => return *r,
    };
    let username = session.operator.username.clone();
    let code = form.kode.unwrap_or_default();
    apply(state, session, done.to_owned(), move |state| {
        change(state, &username, &code)
    })
    .await
}
