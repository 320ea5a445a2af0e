use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::registration::repo::delete_household;
use crate::store::Store;

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("device.db")).unwrap();
    (dir, store)
}

fn blind(n: u32) -> Vec<u8> {
    let mut out = vec![0xB1; 12];
    out.extend_from_slice(&n.to_be_bytes());
    out
}

/// A household's rows as a registration stores them (sealed cells are stand-in bytes): its
/// KK index is `values[0]`, its members' NIK indexes the rest. An even KK value stores them
/// in the household's own row, as registrations do since migration 0016; an odd one as a
/// `members` row each, as households stored before it are.
fn insert_rows(tx: &Transaction<'_>, household: &str, values: &[u32]) -> Result<i64> {
    let in_row = values[0] % 2 == 0;
    let nik_indexes: Vec<u8> = values[1..].iter().flat_map(|&v| blind(v)).collect();
    tx.execute(
        "INSERT INTO households (id, agent_id, kelurahan_code, kk_index, kk, address, visit,
             consent, head_member_id, member_count, registered_at, members_sealed,
             members_nik_index)
         VALUES (?1, 'agen-01', '52.71.01.1004', ?2, X'01', X'02', X'03', X'04', 'm0', ?3, 0,
             ?4, ?5)",
        params![
            household,
            blind(values[0]),
            values.len() as i64,
            in_row.then_some(&[9u8][..]),
            in_row.then_some(nik_indexes)
        ],
    )?;
    let rowid = tx.last_insert_rowid();
    if in_row {
        return Ok(rowid);
    }
    let first = member_rows(rowid)?.0;
    for (i, value) in values[1..].iter().enumerate() {
        tx.execute(
            "INSERT INTO members (rowid, household_id, position, id, nik_index, nik, full_name,
                 birth_date, profile)
             VALUES (?1, ?2, ?3, ?4, ?5, X'05', X'06', X'07', X'08')",
            params![
                first + i as i64,
                household,
                i as i64,
                format!("{household}-{i}"),
                blind(*value)
            ],
        )?;
    }
    Ok(rowid)
}

fn register(store: &Store, household: &str, values: &[u32]) -> Result<()> {
    store.write(|tx| {
        let lookup = Writer::open(tx)?;
        let rowid = insert_rows(tx, household, values)?;
        let blinds: Vec<_> = values.iter().map(|&v| blind(v)).collect();
        lookup.add(household, rowid, &blinds)
    })
}

/// Moves the recent stage into `blind_index` now, as a full stage would.
fn merge_now(store: &Store) {
    store
        .write(|tx| {
            ensure_mirror(tx)?;
            let newest: i64 =
                tx.query_row("SELECT coalesce(max(rowid), 0) FROM households", [], |r| {
                    r.get(0)
                })?;
            merge_up_to(tx, newest.max(watermark(tx)?))
        })
        .unwrap();
}

fn holder_of(store: &Store, n: u32) -> Option<String> {
    store
        .write(|tx| Writer::open(tx)?.holder(&blind(n)))
        .unwrap()
}

fn read_holder(store: &Store, n: u32) -> Option<String> {
    store.read(|conn| holder_read(conn, &blind(n))).unwrap()
}

fn merged(store: &Store) -> i64 {
    store
        .read(|conn| Ok(conn.query_row("SELECT count(*) FROM blind_index", [], |r| r.get(0))?))
        .unwrap()
}

#[test]
fn an_entry_is_found_before_and_after_its_merge() {
    let (_dir, store) = store();
    register(&store, "h1", &[1, 2]).unwrap();
    assert_eq!(holder_of(&store, 2).as_deref(), Some("h1"));
    assert_eq!(read_holder(&store, 1).as_deref(), Some("h1"));
    assert_eq!(read_holder(&store, 2).as_deref(), Some("h1"));
    assert_eq!(merged(&store), 0);
    merge_now(&store);
    assert_eq!(merged(&store), 2);
    assert_eq!(holder_of(&store, 1).as_deref(), Some("h1"));
    assert_eq!(read_holder(&store, 2).as_deref(), Some("h1"));
    assert_eq!(holder_of(&store, 3), None);
    // The next household after a merge is recent again.
    register(&store, "h2", &[3]).unwrap();
    assert_eq!(merged(&store), 2);
    assert_eq!(holder_of(&store, 3).as_deref(), Some("h2"));
}

#[test]
fn the_recent_stage_merges_by_itself_once_full() {
    let (_dir, store) = store();
    let per_household = 6;
    let households = MERGE_AFTER as u32 + 2;
    for h in 0..households {
        let values: Vec<u32> = (0..per_household).map(|i| h * per_household + i).collect();
        register(&store, &format!("h{h}"), &values).unwrap();
    }
    let merged = merged(&store);
    assert!(
        merged >= MERGE_AFTER * i64::from(per_household),
        "merged {merged}"
    );
    for n in [0, 7, households * per_household - 1] {
        let expected = Some(format!("h{}", n / per_household));
        assert_eq!(holder_of(&store, n), expected);
        assert_eq!(read_holder(&store, n), expected);
    }
}

#[test]
fn a_rolled_back_registration_leaves_no_entry() {
    let (_dir, store) = store();
    let failed: Result<()> = store.write(|tx| {
        let lookup = Writer::open(tx)?;
        let rowid = insert_rows(tx, "h1", &[1])?;
        lookup.add("h1", rowid, &[blind(1)])?;
        Err(Error::Corrupt("the rest of the registration failed"))
    });
    assert!(failed.is_err());
    assert_eq!(holder_of(&store, 1), None);
    assert_eq!(read_holder(&store, 1), None);
}

#[test]
fn a_repeated_entry_is_refused_by_the_mirror_itself() {
    let (_dir, store) = store();
    register(&store, "h1", &[1]).unwrap();
    assert!(register(&store, "h2", &[1]).is_err());
    assert_eq!(holder_of(&store, 1).as_deref(), Some("h1"));
}

#[test]
fn entries_written_by_another_connection_are_seen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let first = Store::open(&path).unwrap();
    let second = Store::open(&path).unwrap();
    // The first writer builds its mirror, then the second writes behind its back.
    assert_eq!(holder_of(&first, 1), None);
    register(&second, "h2", &[1]).unwrap();
    assert_eq!(holder_of(&first, 1).as_deref(), Some("h2"));
    // And a merge by the second empties the first one's mirror too.
    merge_now(&second);
    register(&second, "h3", &[9]).unwrap();
    assert_eq!(holder_of(&first, 1).as_deref(), Some("h2"));
    assert_eq!(holder_of(&first, 9).as_deref(), Some("h3"));
}

#[test]
fn a_rowid_given_again_under_the_watermark_is_indexed_at_once() {
    let (_dir, store) = store();
    register(&store, "h1", &[1]).unwrap();
    register(&store, "h2", &[2]).unwrap();
    merge_now(&store);
    // The newest household goes; SQLite gives its rowid to the next one, which is then
    // under the watermark.
    store.write(|tx| delete_household(tx, "h2")).unwrap();
    assert_eq!(holder_of(&store, 2), None);
    register(&store, "h3", &[3]).unwrap();
    assert_eq!(holder_of(&store, 3).as_deref(), Some("h3"));
    assert_eq!(read_holder(&store, 3).as_deref(), Some("h3"));
    assert_eq!(merged(&store), 2);
}

#[derive(Debug, Clone)]
enum Op {
    Add(Vec<u8>),
    Merge,
    Remove(usize),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => proptest::collection::vec(0u8..40, 1..6).prop_map(Op::Add),
        1 => Just(Op::Merge),
        1 => (0usize..8).prop_map(Op::Remove),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn look_ups_agree_with_a_plain_map(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let mut store = Store::open(&path).unwrap();
        let mut model: HashMap<u32, String> = HashMap::new();
        let mut households: Vec<String> = Vec::new();
        for (n, op) in ops.into_iter().enumerate() {
            match op {
                Op::Add(values) => {
                    let mut values: Vec<u32> = values.into_iter().map(u32::from).collect();
                    values.dedup();
                    let mut seen = std::collections::HashSet::new();
                    if values.iter().any(|v| model.contains_key(v) || !seen.insert(*v)) {
                        continue;
                    }
                    let household = format!("h{n}");
                    register(&store, &household, &values).unwrap();
                    for v in values {
                        model.insert(v, household.clone());
                    }
                    households.push(household);
                }
                Op::Merge => merge_now(&store),
                Op::Remove(i) => {
                    if households.is_empty() {
                        continue;
                    }
                    let household = households.remove(i % households.len());
                    store.write(|tx| delete_household(tx, &household)).unwrap();
                    model.retain(|_, owner| *owner != household);
                }
                Op::Reopen => {
                    drop(store);
                    store = Store::open(&path).unwrap();
                }
            }
            for v in 0..40u32 {
                let expected = model.get(&v).cloned();
                prop_assert_eq!(holder_of(&store, v), expected.clone());
                prop_assert_eq!(read_holder(&store, v), expected);
            }
        }
    }
}
