//! Officers' second factor: TOTP codes (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, what
//! authenticator apps make), set up by the officer on the Akun page and asked at every login
//! once confirmed with a first code. The secret is sealed under the server data key and bound
//! to the account's name (a sealed secret copied to another row does not open). A code is
//! taken once: its time step is remembered and only a later one is accepted; one step early
//! or late is allowed for a phone's clock drift.
use ring::rand::{SecureRandom, SystemRandom};
use totp_rs::{Algorithm, Secret, TOTP};

use super::accounts::AccountError;
use crate::db::{self, DbError, Tx};
use crate::keys::ServerKeys;
use crate::staff_audit;
use crate::AppState;

const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// RFC 4226 recommends 160 bits.
const SECRET_BYTES: usize = 20;
const ISSUER: &str = "Perlinsos";

pub(crate) fn context(username: &str) -> String {
    format!("operator-totp:{username}")
}

/// What the officer types into the authenticator app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    /// The secret in base32 (RFC 4648, no padding).
    pub secret: String,
    /// The `otpauth://` URI apps read from a QR code or a paste.
    pub uri: String,
}

fn enrollment(username: &str, secret: &[u8]) -> Enrollment {
    let encoded = match Secret::Raw(secret.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => String::new(),
    };
    Enrollment {
        uri: format!(
            "otpauth://totp/{ISSUER}:{username}?secret={encoded}&issuer={ISSUER}\
             &algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}"
        ),
        secret: encoded,
    }
}

/// The time step `code` was made for: the one before now, now's, or the one after.
pub(crate) fn matching_step(secret: &[u8], code: &str, now_ms: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = TOTP::new(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, secret.to_vec()).ok()?;
    let current = u64::try_from(now_ms / 1000).ok()? / STEP_SECONDS;
    [
        current.checked_sub(1),
        Some(current),
        current.checked_add(1),
    ]
    .into_iter()
    .flatten()
    .find(|step| {
        step.checked_mul(STEP_SECONDS)
            .is_some_and(|at| totp.check(code, at))
    })
    .and_then(|step| i64::try_from(step).ok())
}

/// Where an account's second factor stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Off,
    /// Set up, waiting for the first code from the app.
    Pending(Enrollment),
    Active {
        since: i64,
    },
}

struct Stored {
    secret: Option<Vec<u8>>,
    enabled_at: Option<i64>,
}

fn stored(tx: &mut dyn Tx, keys: &ServerKeys, username: &str) -> Result<Stored, DbError> {
    let row = tx.query_one(
        "SELECT totp_sealed, totp_enabled_at FROM operators WHERE username = ?1",
        &[db::text(username)],
    )?;
    Ok(match row {
        Some(r) => Stored {
            secret: r[0]
                .blob()
                .and_then(|sealed| keys.open(&context(username), &sealed)),
            enabled_at: r[1].opt_int(),
        },
        None => Stored {
            secret: None,
            enabled_at: None,
        },
    })
}

pub fn state_of(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    username: &str,
) -> Result<SecondFactor, DbError> {
    let stored = stored(tx, keys, username)?;
    Ok(match (stored.secret, stored.enabled_at) {
        (Some(_), Some(since)) => SecondFactor::Active { since },
        (Some(secret), None) => SecondFactor::Pending(enrollment(username, &secret)),
        (None, _) => SecondFactor::Off,
    })
}

/// Sets up a fresh secret for `username`, waiting for its first code (a second set-up
/// replaces a waiting one); refused while one is active.
pub fn begin(state: &AppState, username: &str) -> Result<Enrollment, AccountError> {
    let mut secret = [0u8; SECRET_BYTES];
    SystemRandom::new()
        .fill(&mut secret)
        .map_err(|_| AccountError::Storage("no randomness".into()))?;
    let sealed = state
        .keys
        .seal(&context(username), &secret)
        .map_err(|e| AccountError::Storage(e.to_string()))?;
    let now = (state.clock)();
    let started = state
        .db
        .write(|tx| {
            let changed = tx.execute(
                "UPDATE operators SET totp_sealed = ?2, totp_enabled_at = NULL,
                    totp_last_step = NULL
                 WHERE username = ?1 AND totp_enabled_at IS NULL",
                &[db::text(username), db::blob(sealed.clone())],
            )?;
            if changed == 1 {
                staff_audit::record(tx, now, username, "totp_setup_started", None, None)?;
            }
            Ok(changed == 1)
        })
        .map_err(|e: DbError| AccountError::Storage(e.0))?;
    if !started {
        return Err("autentikasi dua langkah sudah aktif".into());
    }
    Ok(enrollment(username, &secret))
}

/// Accepts `code` for `username`'s secret at most once: the step is taken only if it is later
/// than the last one taken (one UPDATE, so two requests cannot both take it).
fn take(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    username: &str,
    code: &str,
    now: i64,
) -> Result<Option<Stored>, DbError> {
    let stored = stored(tx, keys, username)?;
    let Some(step) = stored
        .secret
        .as_deref()
        .and_then(|secret| matching_step(secret, code, now))
    else {
        return Ok(None);
    };
    let taken = tx.execute(
        "UPDATE operators SET totp_last_step = ?2
         WHERE username = ?1 AND (totp_last_step IS NULL OR totp_last_step < ?2)",
        &[db::text(username), db::int(step)],
    )?;
    Ok((taken == 1).then_some(stored))
}

const WRONG_CODE: &str = "kode autentikator salah atau sudah dipakai";

/// Confirms a waiting set-up with the app's first code; from then on every login asks for one.
pub fn confirm(state: &AppState, username: &str, code: &str) -> Result<(), AccountError> {
    let now = (state.clock)();
    state
        .db
        .write(|tx| {
            if stored(tx, &state.keys, username)?.enabled_at.is_some() {
                return Ok(Err("autentikasi dua langkah sudah aktif".into()));
            }
            if take(tx, &state.keys, username, code, now)?.is_none() {
                return Ok(Err(WRONG_CODE.into()));
            }
            tx.execute(
                "UPDATE operators SET totp_enabled_at = ?2 WHERE username = ?1",
                &[db::text(username), db::int(now)],
            )?;
            staff_audit::record(tx, now, username, "totp_enabled", None, None)?;
            Ok::<_, DbError>(Ok(()))
        })
        .map_err(|e| AccountError::Storage(e.0))?
}

/// Turns the second factor off, with a current code from the app.
pub fn turn_off(state: &AppState, username: &str, code: &str) -> Result<(), AccountError> {
    let now = (state.clock)();
    state
        .db
        .write(|tx| {
            if stored(tx, &state.keys, username)?.enabled_at.is_none() {
                return Ok(Err("autentikasi dua langkah belum aktif".into()));
            }
            if take(tx, &state.keys, username, code, now)?.is_none() {
                return Ok(Err(WRONG_CODE.into()));
            }
            clear(tx, username)?;
            staff_audit::record(tx, now, username, "totp_disabled", None, None)?;
            Ok::<_, DbError>(Ok(()))
        })
        .map_err(|e| AccountError::Storage(e.0))?
}

/// Removes the second factor (an admin's password reset: the officer may have lost the phone
/// as well).
pub fn clear(tx: &mut dyn Tx, username: &str) -> Result<(), DbError> {
    tx.execute(
        "UPDATE operators SET totp_sealed = NULL, totp_enabled_at = NULL, totp_last_step = NULL
         WHERE username = ?1",
        &[db::text(username)],
    )
    .map(drop)
}

/// Whether a login whose password matched may go on: yes without a second factor, otherwise
/// only with a code not used before.
pub fn login_allowed(
    tx: &mut dyn Tx,
    keys: &ServerKeys,
    username: &str,
    code: Option<&str>,
    now: i64,
) -> Result<bool, DbError> {
    let active = tx
        .query_one(
            "SELECT 1 FROM operators WHERE username = ?1 AND totp_enabled_at IS NOT NULL",
            &[db::text(username)],
        )?
        .is_some();
    if !active {
        return Ok(true);
    }
    Ok(take(tx, keys, username, code.unwrap_or(""), now)?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret and its code at 59 s (94287082, 8 digits; the last
    /// six for six digits).
    #[test]
    fn codes_match_rfc_6238_and_only_near_now() {
        let secret = b"12345678901234567890";
        assert_eq!(matching_step(secret, "287082", 59_000), Some(1));
        // One step of drift either way, not two.
        assert_eq!(matching_step(secret, "287082", 89_000), Some(1));
        assert_eq!(matching_step(secret, "287082", 29_000), Some(1));
        assert_eq!(matching_step(secret, "287082", 120_000), None);
        for bad in ["", "28708", "2870822", "28708a", "-87082"] {
            assert_eq!(matching_step(secret, bad, 59_000), None, "{bad}");
        }
        assert_eq!(matching_step(secret, "287082", i64::MAX), None);
        assert_eq!(matching_step(secret, "287082", i64::MIN), None);
        let shown = enrollment("peninjau01", secret);
        assert_eq!(shown.secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(shown
            .uri
            .starts_with("otpauth://totp/Perlinsos:peninjau01?secret=GEZDGNBVGY3TQOJQ"));
    }
}
