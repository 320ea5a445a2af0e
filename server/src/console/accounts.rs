//! Operator accounts: reviewers (peninjau) and admins, passwords kept as salted PBKDF2-HMAC-
//! SHA256 (slow on purpose), and a login that slows down after wrong passwords: after a few
//! failures a name waits between attempts (30 s, doubling, at most a minute: someone guessing
//! cannot lock an officer out for long) and an address is blocked longer every time (up to 15
//! minutes). An attempt is counted before its password is hashed, in the same transaction as
//! the check, so parallel guesses cannot slip past the count; a success takes its count back.
//! Names and addresses are kept only as keyed hashes. The CLI and the console's account page
//! both go through the functions here, so the rules for names, passwords and scopes are one.
use std::num::NonZeroU32;

use ring::pbkdf2;
use ring::rand::{SecureRandom, SystemRandom};

use crate::db::{self, DbError, Tx};
use crate::staff_audit;
use crate::AppState;

/// OWASP's current floor for PBKDF2-HMAC-SHA256; stored per account so it can grow.
pub const ITERATIONS: u32 = 600_000;
const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;
/// Wrong passwords allowed before a block.
pub const FREE_FAILURES: i64 = 5;
const FIRST_BLOCK_MS: i64 = 30_000;
/// Longest wait for a name (backoff, not a lock-out) and for an address.
const LONGEST_NAME_WAIT_MS: i64 = 60_000;
const LONGEST_ADDRESS_BLOCK_MS: i64 = 15 * 60_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reviews and decides; never sees who reported.
    Peninjau,
    /// Also sees the reporter and manages accounts.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "peninjau" => Some(Role::Peninjau),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Peninjau => "peninjau",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

/// The regions an officer sees, decides and exports: the whole district (an admin), or a list
/// of kecamatan and kelurahan codes (`52.71.01` covers every kelurahan of that kecamatan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Regions(Vec<String>),
}

impl Scope {
    pub fn covers(&self, kelurahan_code: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Regions(regions) => regions.iter().any(|r| {
                kelurahan_code == r
                    || kelurahan_code
                        .strip_prefix(r.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            }),
        }
    }

    /// An SQL condition that `column` is inside the scope, its values pushed onto `params`
    /// (`?N` numbered after what is there): the scope's kelurahan, a kecamatan expanded to its
    /// kelurahan from the embedded region table, as one `IN` list an index answers. An empty
    /// list matches nothing.
    pub fn condition(&self, column: &str, params: &mut Vec<db::Value>) -> String {
        let Scope::Regions(regions) = self else {
            return "1 = 1".to_owned();
        };
        let mut places = Vec::new();
        for region in regions {
            if region.len() == KECAMATAN_LEN {
                places.extend(perlinsos_rules::identity::wilayah::desa_in_kecamatan(
                    region,
                ));
            } else {
                places.push(region.clone());
            }
        }
        if places.is_empty() {
            return "1 = 0".to_owned();
        }
        let mut marks = Vec::with_capacity(places.len());
        for place in places {
            params.push(db::text(place));
            marks.push(format!("?{}", params.len()));
        }
        format!("{column} IN ({})", marks.join(", "))
    }

    /// Whether full NIKs and KK numbers may be shown (the export): only to the whole district.
    pub fn sees_full_numbers(&self) -> bool {
        matches!(self, Scope::All)
    }
}

/// `PP.KK.CC` and `PP.KK.CC.DDDD`.
const KECAMATAN_LEN: usize = 8;
const KELURAHAN_LEN: usize = 13;

/// Checks a scope list: each entry a current kelurahan code or a kecamatan that has some, at
/// most 64 entries.
pub fn parse_scope(list: &[String]) -> Result<Vec<String>, String> {
    use perlinsos_rules::identity::wilayah;
    let mut out = Vec::new();
    for code in list.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let known = match code.len() {
            KELURAHAN_LEN => wilayah::kelurahan_exists(code),
            KECAMATAN_LEN => !wilayah::desa_in_kecamatan(code).is_empty(),
            _ => false,
        };
        if !known {
            return Err(format!(
                "wilayah tidak dikenal (kode kelurahan atau kecamatan): {code}"
            ));
        }
        out.push(code.to_owned());
    }
    if out.len() > 64 {
        return Err("paling banyak 64 wilayah".into());
    }
    Ok(out)
}

fn scope_of(role: Role, stored: Option<String>) -> Scope {
    match role {
        Role::Admin => Scope::All,
        Role::Peninjau => Scope::Regions(
            stored
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default(),
        ),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum LoginRefused {
    /// Wrong name or password (never which of the two).
    Wrong,
    /// The right password for an account an admin has disabled.
    Disabled,
    /// The right password, but the second factor's code is missing, wrong or used before.
    CodeWrong,
    /// Too many failures: try again after this many seconds.
    Blocked {
        seconds: i64,
    },
    Storage,
}

impl From<DbError> for LoginRefused {
    fn from(_: DbError) -> LoginRefused {
        LoginRefused::Storage
    }
}

fn derive(password: &str, salt: &[u8], iterations: u32) -> [u8; HASH_BYTES] {
    let mut out = [0; HASH_BYTES];
    let iterations = NonZeroU32::new(iterations.max(1)).unwrap_or(NonZeroU32::MIN);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        salt,
        password.as_bytes(),
        &mut out,
    );
    out
}

pub(crate) fn valid_username(name: &str) -> bool {
    (3..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

/// Why an account change was not made: a rule it breaks (a message for the officer, in Bahasa
/// Indonesia) or the database (shown as the storage page, not as a refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    Refused(String),
    Storage(String),
}

impl From<String> for AccountError {
    fn from(message: String) -> AccountError {
        AccountError::Refused(message)
    }
}

impl From<&str> for AccountError {
    fn from(message: &str) -> AccountError {
        AccountError::Refused(message.to_owned())
    }
}

impl From<DbError> for AccountError {
    fn from(e: DbError) -> AccountError {
        AccountError::Storage(e.0)
    }
}

/// The CLI prints either.
impl From<AccountError> for String {
    fn from(e: AccountError) -> String {
        match e {
            AccountError::Refused(m) | AccountError::Storage(m) => m,
        }
    }
}

pub(crate) fn check_password(password: &str) -> Result<(), String> {
    if password.chars().count() < 12 {
        return Err("kata sandi paling sedikit 12 karakter".into());
    }
    if password.len() > 1024 {
        return Err("kata sandi terlalu panjang".into());
    }
    Ok(())
}

/// A fresh salt and the password's hash under it.
fn hashed(password: &str) -> Result<([u8; SALT_BYTES], [u8; HASH_BYTES]), String> {
    let mut salt = [0u8; SALT_BYTES];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| "no randomness".to_owned())?;
    Ok((salt, derive(password, &salt, ITERATIONS)))
}

/// What adding an account does when the name is taken.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Taken {
    /// The CLI's `user add`: reset its password, role and scope.
    Reset,
    /// The console's form: refuse (an admin must not overwrite someone by a typo).
    Refuse,
}

/// Adds (or resets the password, role and scope of) an account, from the CLI. A peninjau needs
/// a scope.
pub fn add(
    state: &AppState,
    username: &str,
    role: Role,
    password: &str,
    scope: &[String],
) -> Result<(), String> {
    save(state, "cli", username, role, password, scope, Taken::Reset).map_err(String::from)
}

/// Adds a new account from the console, audited under the admin `actor`; a name already in
/// use is refused.
pub fn create(
    state: &AppState,
    actor: &str,
    username: &str,
    role: Role,
    password: &str,
    scope: &[String],
) -> Result<(), AccountError> {
    save(state, actor, username, role, password, scope, Taken::Refuse)
}

fn save(
    state: &AppState,
    actor: &str,
    username: &str,
    role: Role,
    password: &str,
    scope: &[String],
    taken: Taken,
) -> Result<(), AccountError> {
    let scope = parse_scope(scope)?;
    if role == Role::Peninjau && scope.is_empty() {
        return Err("peninjau perlu wilayah kerja (kode kelurahan atau kecamatan)".into());
    }
    let scope_json =
        (role == Role::Peninjau).then(|| serde_json::to_string(&scope).unwrap_or_default());
    if !valid_username(username) {
        return Err("nama pengguna: 3-32 huruf kecil, angka, titik atau tanda minus".into());
    }
    check_password(password)?;
    let (salt, hash) = hashed(password)?;
    let now = (state.clock)();
    let on_conflict = match taken {
        Taken::Reset => {
            "DO UPDATE SET role = excluded.role, salt = excluded.salt, hash = excluded.hash,
                iterations = excluded.iterations, scope = excluded.scope"
        }
        Taken::Refuse => "DO NOTHING",
    };
    let sql = format!(
        "INSERT INTO operators (username, role, salt, hash, iterations, created_at, scope)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (username) {on_conflict}"
    );
    let added = state
        .db
        .write(|tx| {
            let written = tx.execute(
                &sql,
                &[
                    db::text(username),
                    db::text(role.as_str()),
                    db::blob(salt.to_vec()),
                    db::blob(hash.to_vec()),
                    db::int(ITERATIONS as i64),
                    db::int(now),
                    db::opt_text(scope_json.as_deref()),
                ],
            )?;
            if written == 0 {
                return Ok(false);
            }
            // A changed password ends the account's open sessions.
            end_sessions(tx, username)?;
            staff_audit::record(
                tx,
                now,
                actor,
                "operator_added",
                Some(username),
                Some(role.as_str()),
            )?;
            Ok(true)
        })
        .map_err(|e: DbError| AccountError::Storage(e.0))?;
    if !added {
        return Err("nama pengguna sudah dipakai".into());
    }
    Ok(())
}

fn end_sessions(tx: &mut dyn Tx, username: &str) -> Result<(), DbError> {
    tx.execute(
        "DELETE FROM operator_sessions WHERE username = ?1",
        &[db::text(username)],
    )
    .map(drop)
}

const NO_SUCH_ACCOUNT: &str = "tidak ada akun dengan nama itu";

/// An admin sets a new password for `username` (who forgot theirs); their sessions end, and
/// their second factor is removed (a lost phone is the other reason to come to the admin).
/// Not for the admin's own account: that change needs the current password.
pub fn reset_password(
    state: &AppState,
    actor: &str,
    username: &str,
    password: &str,
) -> Result<(), AccountError> {
    if actor == username {
        return Err("untuk akun Anda sendiri, pakai Ganti kata sandi Anda".into());
    }
    check_password(password)?;
    let (salt, hash) = hashed(password)?;
    let now = (state.clock)();
    let changed = state
        .db
        .write(|tx| {
            let changed = store_password(tx, username, &salt, &hash)?;
            if changed {
                end_sessions(tx, username)?;
                super::second_factor::clear(tx, username)?;
                staff_audit::record(
                    tx,
                    now,
                    actor,
                    "operator_password_reset",
                    Some(username),
                    None,
                )?;
            }
            Ok(changed)
        })
        .map_err(|e: DbError| AccountError::Storage(e.0))?;
    if !changed {
        return Err(NO_SUCH_ACCOUNT.into());
    }
    Ok(())
}

fn store_password(
    tx: &mut dyn Tx,
    username: &str,
    salt: &[u8],
    hash: &[u8],
) -> Result<bool, DbError> {
    Ok(tx.execute(
        "UPDATE operators SET salt = ?2, hash = ?3, iterations = ?4 WHERE username = ?1",
        &[
            db::text(username),
            db::blob(salt.to_vec()),
            db::blob(hash.to_vec()),
            db::int(ITERATIONS as i64),
        ],
    )? == 1)
}

#[derive(Debug, PartialEq, Eq)]
pub enum PasswordRefused {
    /// The current password given is not the account's.
    WrongOld,
    /// Too many wrong current passwords: wait this many seconds.
    Blocked {
        seconds: i64,
    },
    /// The new password breaks the rules (the message says which, in Bahasa Indonesia).
    Invalid(String),
    Storage,
}

impl From<DbError> for PasswordRefused {
    fn from(_: DbError) -> PasswordRefused {
        PasswordRefused::Storage
    }
}

/// An officer changes their own password, giving the current one; a wrong current password
/// counts against the name like a wrong login, so a left-open session cannot be used to guess
/// it. Every session of the account ends (the officer logs in again).
pub fn change_own_password(
    state: &AppState,
    username: &str,
    old: &str,
    new: &str,
) -> Result<(), PasswordRefused> {
    check_password(new).map_err(PasswordRefused::Invalid)?;
    if old == new {
        return Err(PasswordRefused::Invalid(
            "kata sandi baru harus berbeda dari yang lama".into(),
        ));
    }
    let now = (state.clock)();
    let (key, longest) = name_key(state, username);
    let stored = state.db.write(|tx| {
        db::serialize_on(tx, key.as_bytes())?;
        let until = blocked_until(tx, &key)?;
        if until > now {
            return Ok(Err(PasswordRefused::Blocked {
                seconds: (until - now + 999) / 1000,
            }));
        }
        note_failure(tx, &key, longest, now)?;
        let row = tx.query_one(
            "SELECT salt, hash, iterations FROM operators WHERE username = ?1",
            &[db::text(username)],
        )?;
        Ok::<_, DbError>(Ok(row))
    })??;
    let Some(row) = stored else {
        return Err(PasswordRefused::WrongOld);
    };
    let iterations = NonZeroU32::new(row[2].int() as u32).unwrap_or(NonZeroU32::MIN);
    let matches = pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &row[0].blob().unwrap_or_default(),
        old.as_bytes(),
        &row[1].blob().unwrap_or_default(),
    )
    .is_ok();
    if !matches {
        state.db.write(|tx| {
            staff_audit::record(
                tx,
                now,
                username,
                "operator_password_change_failed",
                None,
                None,
            )
        })?;
        return Err(PasswordRefused::WrongOld);
    }
    let (salt, hash) = hashed(new).map_err(PasswordRefused::Invalid)?;
    state.db.write(|tx| {
        tx.execute(
            "DELETE FROM login_throttle WHERE key = ?1",
            &[db::text(key.as_str())],
        )?;
        store_password(tx, username, &salt, &hash)?;
        end_sessions(tx, username)?;
        staff_audit::record(
            tx,
            now,
            username,
            "operator_password_changed",
            Some(username),
            None,
        )
    })?;
    Ok(())
}

/// Disables (or enables again) an account; a disabled account's sessions end at once. An
/// admin cannot disable their own account (nobody would be left to enable it).
pub fn set_disabled(
    state: &AppState,
    actor: &str,
    username: &str,
    disabled: bool,
) -> Result<(), AccountError> {
    if disabled && actor == username {
        return Err("Anda tidak dapat menonaktifkan akun Anda sendiri".into());
    }
    let now = (state.clock)();
    let changed = state
        .db
        .write(|tx| {
            let changed = if disabled {
                tx.execute(
                    "UPDATE operators SET disabled_at = COALESCE(disabled_at, ?2)
                     WHERE username = ?1",
                    &[db::text(username), db::int(now)],
                )?
            } else {
                tx.execute(
                    "UPDATE operators SET disabled_at = NULL WHERE username = ?1",
                    &[db::text(username)],
                )?
            };
            if changed == 1 {
                if disabled {
                    end_sessions(tx, username)?;
                }
                let action = if disabled {
                    "operator_disabled"
                } else {
                    "operator_enabled"
                };
                staff_audit::record(tx, now, actor, action, Some(username), None)?;
            }
            Ok(changed)
        })
        .map_err(|e: DbError| AccountError::Storage(e.0))?;
    if changed == 0 {
        return Err(NO_SUCH_ACCOUNT.into());
    }
    Ok(())
}

/// One account as the admin's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub username: String,
    pub role: Role,
    /// A peninjau's regions (empty for an admin, who sees the whole district).
    pub regions: Vec<String>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// A district has tens of officers; the list stops here all the same.
const LISTED_ACCOUNTS: i64 = 1_000;

/// Every account, by name.
pub fn list(tx: &mut dyn Tx) -> Result<Vec<Account>, DbError> {
    Ok(tx
        .query(
            "SELECT username, role, scope, created_at, disabled_at FROM operators
             ORDER BY username LIMIT ?1",
            &[db::int(LISTED_ACCOUNTS)],
        )?
        .into_iter()
        .filter_map(|r| {
            let role = r[1].text().and_then(|t| Role::parse(&t))?;
            let regions = match scope_of(role, r[2].text()) {
                Scope::All => Vec::new(),
                Scope::Regions(regions) => regions,
            };
            Some(Account {
                username: r[0].text().unwrap_or_default(),
                role,
                regions,
                created_at: r[3].int(),
                disabled_at: r[4].opt_int(),
            })
        })
        .collect())
}

fn blocked_until(tx: &mut dyn Tx, key: &str) -> Result<i64, DbError> {
    Ok(tx
        .query_one(
            "SELECT blocked_until FROM login_throttle WHERE key = ?1",
            &[db::text(key)],
        )?
        .map(|r| r[0].int())
        .unwrap_or(0))
}

fn note_failure(tx: &mut dyn Tx, key: &str, longest: i64, now: i64) -> Result<(), DbError> {
    let failures = tx
        .query_one(
            "SELECT failures FROM login_throttle WHERE key = ?1",
            &[db::text(key)],
        )?
        .map(|r| r[0].int())
        .unwrap_or(0)
        .saturating_add(1);
    let over = failures - FREE_FAILURES;
    let block = if over >= 0 {
        (FIRST_BLOCK_MS << over.min(10)).min(longest)
    } else {
        0
    };
    tx.execute(
        "INSERT INTO login_throttle (key, failures, blocked_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,
                                         blocked_until = excluded.blocked_until",
        &[db::text(key), db::int(failures), db::int(now + block)],
    )
    .map(drop)
}

/// A throttle key: a keyed hash, never the typed text.
fn throttle_key(state: &AppState, kind: &str, value: &str) -> String {
    use crate::keys::Blind;
    let blind = state.keys.blind(Blind::Login, &format!("{kind}:{value}"));
    format!("{kind}:{}", crate::auth::hex(&blind))
}

/// The name's throttle key and its longest wait.
fn name_key(state: &AppState, username: &str) -> (String, i64) {
    (throttle_key(state, "user", username), LONGEST_NAME_WAIT_MS)
}

/// The throttle's keys for a name and an address.
fn throttle_keys(state: &AppState, username: &str, address: &str) -> [(String, i64); 2] {
    [
        name_key(state, username),
        (
            throttle_key(state, "addr", address),
            LONGEST_ADDRESS_BLOCK_MS,
        ),
    ]
}

/// Checks a login, and its second factor's `code` when the account has one. A blocked name or
/// address is refused before the password is looked at, even a right one; every outcome is in
/// the audit log.
pub fn login(
    state: &AppState,
    username: &str,
    password: &str,
    code: Option<&str>,
    address: &str,
) -> Result<Operator, LoginRefused> {
    let now = (state.clock)();
    let keys = throttle_keys(state, username, address);
    // Check and count in one transaction: the attempt is charged before the hashing, so any
    // number of parallel guesses meets the count the earlier ones left.
    let charged: Result<Option<Vec<db::Value>>, LoginRefused> = state.db.write(|tx| {
        // PostgreSQL runs these transactions side by side: attempts on one name or address
        // wait for each other here (always name first, then address: no lock cycle), so each
        // reads the count the one before it committed. SQLite's one writer does this anyway.
        for (key, _) in &keys {
            db::serialize_on(tx, key.as_bytes())?;
        }
        let mut until = 0;
        for (key, _) in &keys {
            until = until.max(blocked_until(tx, key)?);
        }
        if until > now {
            return Ok(Err(LoginRefused::Blocked {
                seconds: (until - now + 999) / 1000,
            }));
        }
        for (key, longest) in &keys {
            note_failure(tx, key, *longest, now)?;
        }
        let account = tx.query_one(
            "SELECT role, salt, hash, iterations, scope, disabled_at FROM operators
             WHERE username = ?1",
            &[db::text(username)],
        )?;
        Ok::<_, DbError>(Ok(account))
    })?;
    let account = charged?;
    // An unknown name costs the same hashing as a wrong password.
    let (role, salt, stored, iterations, scope, disabled) = match &account {
        Some(r) => (
            r[0].text().and_then(|t| Role::parse(&t)),
            r[1].blob().unwrap_or_default(),
            r[2].blob().unwrap_or_default(),
            r[3].int() as u32,
            r[4].text(),
            r[5].opt_int().is_some(),
        ),
        None => (
            None,
            vec![0; SALT_BYTES],
            vec![1; HASH_BYTES],
            ITERATIONS,
            None,
            false,
        ),
    };
    let iterations = NonZeroU32::new(iterations).unwrap_or(NonZeroU32::MIN);
    // ring's verify compares in constant time.
    let matches = pbkdf2::verify(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        password.as_bytes(),
        &stored,
    )
    .is_ok();
    let outcome: Result<Result<Operator, LoginRefused>, DbError> = state.db.write(|tx| match role
        .filter(|_| matches)
    {
        // The attempt stays counted: a disabled account is no way around the throttle.
        Some(_) if disabled => {
            staff_audit::record(tx, now, username, "login_disabled", None, None)?;
            Ok(Err(LoginRefused::Disabled))
        }
        // Also counted: the code is guessed no faster than the password.
        Some(_) if !super::second_factor::login_allowed(tx, &state.keys, username, code, now)? => {
            staff_audit::record(tx, now, username, "login_code_wrong", None, None)?;
            Ok(Err(LoginRefused::CodeWrong))
        }
        Some(role) => {
            // The name's count is cleared; the address gets its attempt back.
            tx.execute(
                "DELETE FROM login_throttle WHERE key = ?1",
                &[db::text(keys[0].0.as_str())],
            )?;
            tx.execute(
                "UPDATE login_throttle SET failures = failures - 1,
                        blocked_until = CASE WHEN failures - 1 >= ?2 THEN blocked_until ELSE 0 END
                     WHERE key = ?1 AND failures > 0",
                &[db::text(keys[1].0.as_str()), db::int(FREE_FAILURES)],
            )?;
            staff_audit::record(tx, now, username, "login", None, None)?;
            Ok(Ok(Operator {
                username: username.to_owned(),
                role,
                scope: scope_of(role, scope.clone()),
            }))
        }
        None => {
            // The name tried is not logged: it may be a password typed in the wrong box.
            staff_audit::record(tx, now, "-", "login_failed", None, None)?;
            Ok(Err(LoginRefused::Wrong))
        }
    });
    outcome.map_err(LoginRefused::from)?
}

pub fn role_of(tx: &mut dyn Tx, username: &str) -> Result<Option<Role>, DbError> {
    Ok(operator(tx, username)?.map(|o| o.role))
}

/// The account `username` with its role and scope, if it exists and is not disabled.
pub fn operator(tx: &mut dyn Tx, username: &str) -> Result<Option<Operator>, DbError> {
    let Some(row) = tx.query_one(
        "SELECT role, scope FROM operators WHERE username = ?1 AND disabled_at IS NULL",
        &[db::text(username)],
    )?
    else {
        return Ok(None);
    };
    Ok(row[0]
        .text()
        .and_then(|t| Role::parse(&t))
        .map(|role| Operator {
            username: username.to_owned(),
            role,
            scope: scope_of(role, row[1].text()),
        }))
}

/// Sets a peninjau's regions (audited under `actor`).
pub fn set_scope(
    state: &AppState,
    username: &str,
    scope: &[String],
    actor: &str,
) -> Result<(), AccountError> {
    let scope = parse_scope(scope)?;
    if scope.is_empty() {
        return Err("paling sedikit satu wilayah".into());
    }
    let json = serde_json::to_string(&scope).unwrap_or_default();
    let now = (state.clock)();
    let changed = state
        .db
        .write(|tx| {
            let changed = tx.execute(
                "UPDATE operators SET scope = ?2 WHERE username = ?1 AND role = 'peninjau'",
                &[db::text(username), db::text(json.as_str())],
            )?;
            if changed == 1 {
                staff_audit::record(
                    tx,
                    now,
                    actor,
                    "operator_scope",
                    Some(username),
                    Some(&json),
                )?;
            }
            Ok(changed)
        })
        .map_err(|e: DbError| AccountError::Storage(e.0))?;
    if changed == 0 {
        return Err("tidak ada peninjau dengan nama itu".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_covers_its_kelurahan_and_the_kelurahan_of_its_kecamatan() {
        let scope =
            Scope::Regions(parse_scope(&["52.71.01".into(), "52.03.01.2001".into()]).unwrap());
        assert!(scope.covers("52.71.01.1004"));
        assert!(scope.covers("52.03.01.2001"));
        assert!(!scope.covers("52.71.02.1001"));
        assert!(!scope.covers("52.71.011"));
        assert!(!scope.covers("52.03.01.2002"));
        assert!(Scope::All.covers("91.71.01.1001"));
        assert!(!Scope::Regions(Vec::new()).covers("52.71.01.1004"));
        let mut params = Vec::new();
        let sql = scope.condition("k", &mut params);
        assert!(sql.starts_with("k IN (?1, ?2"), "{sql}");
        assert!(params.len() > 2);
        assert_eq!(
            Scope::Regions(Vec::new()).condition("k", &mut params),
            "1 = 0"
        );
        for bad in [
            "52",
            "52.71",
            "52.71.99",
            "52.71.01.9999",
            "x",
            "52.71.01.1004'--",
        ] {
            assert!(parse_scope(&[bad.to_owned()]).is_err(), "{bad}");
        }
    }
}
