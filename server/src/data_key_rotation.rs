//! `rotate-data-key`: a new data key (the next version), and everything sealed or indexed under
//! the old one redone under it, with the server stopped (`server_lock`).
//!
//! Crash safety, in order:
//! 1. The key files (data key in the data folder): the old key is copied to
//!    `data.key.previous`, then the new one replaces `data.key`, each written whole and synced
//!    before its rename. Until step 4 the old key is never deleted; while `data.key.previous`
//!    is there the server refuses to start. (With `PERLINSOS_DATA_KEY` the operator keeps the
//!    old key there and gives the new one; nothing is written.)
//! 2. A row in `data_key_rotation` names both keys (by one-way checks) and the step under way;
//!    the server refuses to start while it is there. A resumed rotation must be given the
//!    same two keys.
//! 3. Batches (`data_key_reseal`): each a bounded number of rows resealed and re-indexed, and
//!    the marker moved past them, in one transaction. Sealed values say their key version, so
//!    one done twice is only read; blind indexes have no version and are trusted to the
//!    marker. Files are resealed through a synced temporary file and a rename.
//! 4. The marker says `done`; then the old key file goes, then the marker.
//!
//! Run again after a crash at any point, it takes up where the marker (or the key files) left
//! it.
use std::path::Path;

use zeroize::Zeroizing;

use crate::data_key_reseal::{self, Keys, DONE, STEPS};
use crate::db::{self, Db, DbError, DbResult, Tx};
use crate::keys::{DataSecret, ServerKeys, KEY_ENV, KEY_FILE};

/// The old key while a rotation runs (data folder keys).
pub const PREVIOUS_KEY_FILE: &str = "data.key.previous";
/// The new key, when the old one comes from `PERLINSOS_DATA_KEY`.
pub const NEW_KEY_ENV: &str = "PERLINSOS_NEW_DATA_KEY";
/// Rows per transaction: a province's million households never in memory at once.
pub const DEFAULT_BATCH: usize = 500;
pub const MAX_BATCH: usize = 10_000;

/// Where an unfinished rotation stands.
#[derive(Debug, Clone)]
pub struct Underway {
    pub from_version: i64,
    pub to_version: i64,
    from_check: Vec<u8>,
    to_check: Vec<u8>,
    pub step: String,
    pub last_done: Option<String>,
}

/// The rotation under way, if any (the database at the schema that has its table). On
/// PostgreSQL the row stays locked until the transaction ends: one batch at a time.
pub fn underway(tx: &mut dyn Tx) -> DbResult<Option<Underway>> {
    let lock = if tx.is_postgres() { " FOR UPDATE" } else { "" };
    let row = tx.query_one(
        &format!(
            "SELECT from_version, to_version, from_check, to_check, step, last_done
             FROM data_key_rotation WHERE id = 1{lock}"
        ),
        &[],
    )?;
    Ok(row.map(|r| Underway {
        from_version: r[0].int(),
        to_version: r[1].int(),
        from_check: r[2].blob().unwrap_or_default(),
        to_check: r[3].blob().unwrap_or_default(),
        step: r[4].text().unwrap_or_default(),
        last_done: r[5].text(),
    }))
}

/// What the server says when it will not start during a rotation.
pub fn unfinished(data_dir: &Path) -> String {
    format!(
        "a data key rotation is unfinished: run `perlinsos-server --data {} rotate-data-key` \
         again to finish it (the server does not start until then)",
        data_dir.display()
    )
}

/// True if the data folder's key files show a rotation under way.
pub fn key_files_rotating(data_dir: &Path) -> bool {
    data_dir.join(PREVIOUS_KEY_FILE).exists()
}

pub struct Options {
    /// Rows per transaction.
    pub batch: usize,
    /// The new key (64 hex digits, or `<version>:<64 hex digits>`): from `--new-key-file` or
    /// `PERLINSOS_NEW_DATA_KEY`. Made at random when not given (data folder keys only).
    pub new_key: Option<Zeroizing<String>>,
}

/// Where the keys come from, and which they are.
struct InHand {
    from_env: bool,
    old: DataSecret,
    /// None: to be made.
    new: Option<DataSecret>,
    /// The new key is already `data.key` (a rotation whose key files were written).
    installed: bool,
}

fn next_version(old: &DataSecret) -> Result<u8, String> {
    old.version
        .checked_add(1)
        .ok_or_else(|| "the data key is at version 255: no version after it".to_owned())
}

fn given(options: &Options, old: &DataSecret) -> Result<Option<DataSecret>, String> {
    let Some(text) = &options.new_key else {
        return Ok(None);
    };
    let version = next_version(old)?;
    let new = DataSecret::from_text(text, version)
        .ok_or("the new key must be 64 hex digits (or <version>:<64 hex digits>)")?;
    if new.version != version {
        return Err(format!(
            "the new key must be version {version} (the old one is version {})",
            old.version
        ));
    }
    Ok(Some(new))
}

fn same(a: &DataSecret, b: &DataSecret) -> bool {
    ServerKeys::of(a).check() == ServerKeys::of(b).check()
}

fn read_key_file(path: &Path) -> Result<DataSecret, String> {
    let raw = Zeroizing::new(std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?);
    DataSecret::from_file_bytes(&raw).ok_or_else(|| format!("{} is not a data key", path.display()))
}

impl InHand {
    fn read(data_dir: &Path, options: &Options) -> Result<InHand, String> {
        if let Some(old) = DataSecret::from_env().map_err(|e| e.to_string())? {
            let new = given(options, &old)?.ok_or_else(|| {
                format!(
                    "{KEY_ENV} holds the data key: give the new one in {NEW_KEY_ENV} or with \
                     --new-key-file (64 hex digits, e.g. from `openssl rand -hex 32`)"
                )
            })?;
            return Ok(InHand {
                from_env: true,
                old,
                new: Some(new),
                installed: false,
            });
        }
        let previous = data_dir.join(PREVIOUS_KEY_FILE);
        if !previous.exists() {
            let old = DataSecret::from_folder(data_dir).map_err(|e| e.to_string())?;
            let new = given(options, &old)?;
            return Ok(InHand {
                from_env: false,
                old,
                new,
                installed: false,
            });
        }
        let old = read_key_file(&previous)?;
        let current = read_key_file(&data_dir.join(KEY_FILE))?;
        if current.version == old.version {
            // Stopped after keeping the old key, before the new one went in.
            if !same(&current, &old) {
                return Err(format!(
                    "{KEY_FILE} and {PREVIOUS_KEY_FILE} are two keys of one version: \
                     restore the right {KEY_FILE} from its backup"
                ));
            }
            let new = given(options, &old)?;
            return Ok(InHand {
                from_env: false,
                old,
                new,
                installed: false,
            });
        }
        if Some(current.version) != old.version.checked_add(1) {
            return Err(format!(
                "{KEY_FILE} (version {}) does not follow {PREVIOUS_KEY_FILE} (version {})",
                current.version, old.version
            ));
        }
        if let Some(given) = given(options, &old)? {
            if !same(&given, &current) {
                return Err(format!(
                    "a rotation to the key in {KEY_FILE} is under way: run again without a \
                     new key to finish it"
                ));
            }
        }
        Ok(InHand {
            from_env: false,
            old,
            new: Some(current),
            installed: true,
        })
    }
}

/// Keeps the old key beside the new one, then puts the new one in `data.key`: each file
/// written whole, synced, then renamed, so a crash leaves a state `InHand::read` resumes from.
fn install(data_dir: &Path, old: &DataSecret, new: &DataSecret) -> Result<(), String> {
    let write = |name: &str, secret: &DataSecret| {
        crate::private_file::write_atomic(
            &data_dir.join(name),
            &data_dir.join(format!("{name}.tmp")),
            &secret.file_bytes(),
        )
        .map_err(|e| format!("{name}: {e}"))
    };
    write(PREVIOUS_KEY_FILE, old)?;
    write(KEY_FILE, new)
}

/// The end: the old key is no longer needed (every value opens with the new one).
fn finish(db: &Db, data_dir: &Path) -> Result<(), String> {
    let previous = data_dir.join(PREVIOUS_KEY_FILE);
    if previous.exists() {
        std::fs::remove_file(&previous).map_err(|e| format!("{PREVIOUS_KEY_FILE}: {e}"))?;
        std::fs::File::open(data_dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| e.to_string())?;
    }
    db.write(|tx| {
        tx.execute("DELETE FROM data_key_rotation WHERE id = 1", &[])
            .map(drop)
    })
    .map_err(|e: DbError| e.0)
}

/// Rotates the data key of the server in `data_dir` (its database there, or at
/// `database_url`), telling `say` how it goes. Run again after any interruption, it finishes
/// the rotation it began.
pub fn rotate(
    data_dir: &Path,
    database_url: Option<&str>,
    options: &Options,
    say: &mut dyn FnMut(String),
) -> Result<(), String> {
    if !(1..=MAX_BATCH).contains(&options.batch) {
        return Err(format!("the batch size must be 1..={MAX_BATCH}"));
    }
    if !data_dir.join(KEY_FILE).exists() && std::env::var_os(KEY_ENV).is_none() {
        return Err(format!(
            "{} holds no {KEY_FILE} (and {KEY_ENV} is not set): nothing to rotate",
            data_dir.display()
        ));
    }
    let _alone = crate::server_lock::exclusive(data_dir).map_err(|e| e.to_string())?;
    let hand = InHand::read(data_dir, options)?;
    let db = crate::open_database(data_dir, database_url).map_err(|e| e.to_string())?;
    // Only with no rotation under way can a migration be pending (`migrate::run_to`): then
    // nothing is under the new key yet.
    crate::migrate::run(&db, &ServerKeys::of(&hand.old), crate::now_millis()).map_err(|e| e.0)?;
    let marker = db.read(underway).map_err(|e| e.0)?;
    if marker.as_ref().is_some_and(|m| m.step == DONE) {
        finish(&db, data_dir)?;
        say("the data key rotation had finished its work; its old key is removed".into());
        return Ok(());
    }
    let old_keys = ServerKeys::of(&hand.old);
    let new_in_place = hand.from_env || hand.installed;
    let new = match (&marker, hand.new) {
        (Some(m), Some(new)) if new_in_place => {
            let matches = m.from_version == i64::from(hand.old.version)
                && m.to_version == i64::from(new.version)
                && m.from_check == old_keys.check()
                && m.to_check == ServerKeys::of(&new).check();
            if !matches {
                return Err(format!(
                    "the rotation under way (version {} to {}) was begun with other keys: \
                     give it the two keys it began with",
                    m.from_version, m.to_version
                ));
            }
            say(format!(
                "resuming the data key rotation from version {} to {} at {}",
                m.from_version, m.to_version, m.step
            ));
            new
        }
        (Some(m), _) => {
            return Err(format!(
                "a rotation from version {} to {} is under way, but {KEY_FILE} still holds \
                 the old key: restore {KEY_FILE} (the new key) from its backup",
                m.from_version, m.to_version
            ))
        }
        (None, new) => {
            let new = match new {
                Some(new) => new,
                None => {
                    DataSecret::generate(next_version(&hand.old)?).map_err(|e| e.to_string())?
                }
            };
            if same(&new, &hand.old) {
                return Err("the new key is the old key".into());
            }
            if !hand.from_env && !hand.installed {
                install(data_dir, &hand.old, &new)?;
            }
            let new_check = ServerKeys::of(&new).check();
            db.write(|tx| {
                tx.execute(
                    "INSERT INTO data_key_rotation (id, from_version, to_version, from_check,
                                                    to_check, step, last_done, started_at)
                     VALUES (1, ?1, ?2, ?3, ?4, ?5, NULL, ?6)",
                    &[
                        db::int(i64::from(hand.old.version)),
                        db::int(i64::from(new.version)),
                        db::blob(old_keys.check().to_vec()),
                        db::blob(new_check.to_vec()),
                        db::text(STEPS[0]),
                        db::int(crate::now_millis()),
                    ],
                )
                .map(drop)
            })
            .map_err(|e: DbError| e.0)?;
            say(format!(
                "rotating the data key from version {} to {} ({} rows a transaction)",
                hand.old.version, new.version, options.batch
            ));
            new
        }
    };
    let keys = ServerKeys::of(&new).opening_also(&hand.old);
    let k = Keys {
        keys: &keys,
        old: &old_keys,
        data_dir,
    };
    run_steps(&db, &k, options.batch, say)?;
    let left = db
        .read(|tx| data_key_reseal::left_behind(tx, new.version))
        .map_err(|e| e.0)?;
    if left > 0 {
        say(format!(
            "{left} sealed values opened with neither key and are left as they were"
        ));
    }
    finish(&db, data_dir)?;
    say(format!(
        "the data key is now version {}; the old key is no longer used",
        new.version
    ));
    if hand.from_env {
        say(format!(
            "set {KEY_ENV} to `{}:` followed by the 64 hex digits of the new key, and remove \
             {NEW_KEY_ENV}, before starting the server",
            new.version
        ));
    } else {
        say(format!(
            "back up the new {KEY_FILE} now, apart from the database; keep the old key only \
             with the backups made before this rotation"
        ));
    }
    Ok(())
}

/// Progress of one step in this run, for the report.
struct Tally {
    step: String,
    total: i64,
    done: i64,
    resealed: usize,
    unreadable: usize,
}

/// The batches, one transaction each, until the marker says done.
fn run_steps(
    db: &Db,
    k: &Keys<'_>,
    limit: usize,
    say: &mut dyn FnMut(String),
) -> Result<(), String> {
    let mut tally: Option<Tally> = None;
    loop {
        let (step, batch, next) = db
            .write(|tx| {
                let marker =
                    underway(tx)?.ok_or_else(|| DbError("the rotation's marker is gone".into()))?;
                if marker.step == DONE {
                    return Ok((marker.step, None, None));
                }
                let position = STEPS
                    .iter()
                    .position(|s| *s == marker.step)
                    .ok_or_else(|| DbError(format!("unknown rotation step {}", marker.step)))?;
                let start = tally.as_ref().is_none_or(|t| t.step != marker.step);
                let counted = if start {
                    Some(step_size(tx, &marker.step, marker.last_done.as_deref())?)
                } else {
                    None
                };
                let batch =
                    data_key_reseal::run(tx, k, &marker.step, marker.last_done.as_deref(), limit)?;
                let table_step = data_key_reseal::table_of(&marker.step).is_some();
                let (next_step, last) = if table_step && batch.read >= limit {
                    (marker.step.clone(), batch.last.clone())
                } else {
                    (STEPS[position + 1].to_owned(), None)
                };
                tx.execute(
                    "UPDATE data_key_rotation SET step = ?1, last_done = ?2 WHERE id = 1",
                    &[db::text(next_step.as_str()), db::opt_text(last.as_deref())],
                )?;
                Ok::<_, DbError>((marker.step, Some((batch, counted)), Some(next_step)))
            })
            .map_err(|e| e.0)?;
        let Some((batch, counted)) = batch else {
            return Ok(());
        };
        if let Some((total, done)) = counted {
            tally = Some(Tally {
                step: step.clone(),
                total,
                done,
                resealed: 0,
                unreadable: 0,
            });
        }
        if let Some(t) = tally.as_mut() {
            t.done = t
                .done
                .saturating_add(i64::try_from(batch.read).unwrap_or(i64::MAX));
            t.resealed = t.resealed.saturating_add(batch.resealed);
            t.unreadable = t.unreadable.saturating_add(batch.unreadable);
            let unreadable = if t.unreadable > 0 {
                format!(", {} left: open with neither key", t.unreadable)
            } else {
                String::new()
            };
            let read = if data_key_reseal::table_of(&step).is_some() {
                format!("{}/{}", t.done, t.total.max(t.done))
            } else {
                t.done.to_string()
            };
            say(format!(
                "{step}: {read} read, {} resealed{unreadable}",
                t.resealed
            ));
        }
        if next.as_deref() == Some(DONE) {
            return Ok(());
        }
    }
}

/// A step's size and how much of it earlier runs did (rows up to the marker), for the report.
fn step_size(tx: &mut dyn Tx, step: &str, last_done: Option<&str>) -> DbResult<(i64, i64)> {
    let Some((table, key, int_key)) = data_key_reseal::table_of(step) else {
        return Ok((0, 0));
    };
    let total = tx
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
        .map(|r| r[0].int())
        .unwrap_or(0);
    let done = match last_done {
        None => 0,
        Some(last) => {
            let last = if int_key {
                db::int(last.parse::<i64>().unwrap_or(0))
            } else {
                db::text(last)
            };
            tx.query_one(
                &format!("SELECT count(*) FROM {table} WHERE {key} <= ?1"),
                &[last],
            )?
            .map(|r| r[0].int())
            .unwrap_or(0)
        }
    };
    Ok((total, done))
}
