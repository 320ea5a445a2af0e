//! Console sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure behind
//! TLS), only its SHA-256 in the database, and a CSRF token per session that every form
//! carries back. Sessions end after 8 hours or at logout.
use axum::http::HeaderMap;
use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

use super::accounts::{self, Operator};
use crate::auth::hex;
use crate::db::{self, DbError};
use crate::AppState;

pub const COOKIE: &str = "perlinsos_review";
/// Before login there is no session: the login form's token is a cookie of its own.
pub const LOGIN_COOKIE: &str = "perlinsos_login";
const LIFETIME_MS: i64 = 8 * 3_600_000;

#[derive(Debug, Clone)]
pub struct Session {
    pub operator: Operator,
    pub csrf: String,
}

pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // SystemRandom only fails when the OS has no randomness; then no token works at all.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        return String::new();
    }
    hex(&bytes)
}

fn token_hash(token: &str) -> Vec<u8> {
    digest(&SHA256, token.as_bytes()).as_ref().to_vec()
}

pub fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Secure cookies when the console is reached over TLS (directly or through the district's
/// reverse proxy), or when the server was told to always use them.
fn secure(state: &AppState, headers: &HeaderMap) -> bool {
    state.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

pub fn set_cookie(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age_s: i64,
) -> String {
    format!(
        "{name}={value}; Path=/review; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{}",
        if secure(state, headers) {
            "; Secure"
        } else {
            ""
        }
    )
}

/// Starts a session; returns the token for the cookie.
pub fn start(state: &AppState, username: &str) -> Result<String, DbError> {
    let token = random_token();
    let now = (state.clock)();
    state.db.write(|tx| {
        tx.execute(
            "DELETE FROM operator_sessions WHERE expires_at <= ?1",
            &[db::int(now)],
        )?;
        tx.execute(
            "INSERT INTO operator_sessions (token_hash, username, csrf, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            &[
                db::blob(token_hash(&token)),
                db::text(username),
                db::text(random_token()),
                db::int(now),
                db::int(now + LIFETIME_MS),
            ],
        )
    })?;
    Ok(token)
}

pub fn lifetime_seconds() -> i64 {
    LIFETIME_MS / 1000
}

/// The session the request's cookie names, if it is live and its account still exists.
pub fn current(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, DbError> {
    let Some(token) = cookie_value(headers, COOKIE) else {
        return Ok(None);
    };
    let now = (state.clock)();
    let hash = token_hash(token);
    state.db.read(|tx| {
        let Some(row) = tx.query_one(
            "SELECT username, csrf FROM operator_sessions WHERE token_hash = ?1 AND expires_at > ?2",
            &[db::blob(hash), db::int(now)],
        )?
        else {
            return Ok(None);
        };
        let username = row[0].text().unwrap_or_default();
        let Some(operator) = accounts::operator(tx, &username)? else {
            return Ok(None);
        };
        Ok(Some(Session {
            operator,
            csrf: row[1].text().unwrap_or_default(),
        }))
    })
}

pub fn end(state: &AppState, headers: &HeaderMap) -> Result<(), DbError> {
    if let Some(token) = cookie_value(headers, COOKIE) {
        let hash = token_hash(token);
        state.db.write(|tx| {
            tx.execute(
                "DELETE FROM operator_sessions WHERE token_hash = ?1",
                &[db::blob(hash)],
            )
            .map(drop)
        })?;
    }
    Ok(())
}

/// Whether a form's token is the expected one; an empty one never matches. Digests are
/// compared, so the time taken tells nothing about the expected token's bytes.
pub fn token_matches(expected: &str, given: Option<&str>) -> bool {
    !expected.is_empty() && given.is_some_and(|g| token_hash(g) == token_hash(expected))
}
