//! The final check: the server holds exactly what the phones sent. Every household, sanggahan
//! and audit entry of each phone is on the server once, under that phone, with the same
//! content; the server holds nothing else; every evidence blob is stored once, whole, under its
//! SHA-256; each phone's audit chain verifies and ends where the server's copy ends. And no NIK
//! or name the agents typed lies in clear in a phone's database or its WAL.
use std::collections::{BTreeMap, BTreeSet};

use perlinsos_core::audit;
use perlinsos_core::sync::outbox_status;
use perlinsos_protocol::outbox_kind;
use perlinsos_server::db::{self, Row};
use serde_json::Value;

use super::district::District;
use super::field_day::AgentDay;
use super::phone::Phone;
use super::DemoResult;

pub struct Verdict {
    pub ok: bool,
    pub records: usize,
    pub blobs: usize,
    lines: Vec<String>,
    problems: Vec<String>,
}

impl Verdict {
    /// Adds the worklist cycle's own checks.
    pub fn with(mut self, checks: &[(bool, String)]) -> Verdict {
        for (ok, what) in checks {
            if *ok {
                self.lines.push(format!("✓ {what}"));
            } else {
                self.problems.push(what.clone());
                self.ok = false;
            }
        }
        self
    }

    pub fn print_checks(&self) {
        println!("\nPemeriksaan akhir: isi server dibandingkan dengan isi ponsel");
        for line in &self.lines {
            println!("   {line}");
        }
        for problem in &self.problems {
            println!("   ✗ {problem}");
        }
    }

    /// The last line of the demo.
    pub fn print_line(&self) {
        if self.ok {
            println!(
                "VERIFIKASI: OK — server memegang tepat apa yang dikirim ponsel ({} catatan, {} blob), rantai audit utuh",
                self.records, self.blobs
            );
        } else {
            println!(
                "VERIFIKASI: GAGAL — {} masalah: {}",
                self.problems.len(),
                self.problems.join("; ")
            );
        }
    }
}

fn query(district: &District, sql: &str, params: &[db::Value]) -> DemoResult<Vec<Row>> {
    let params = params.to_vec();
    district
        .state
        .db
        .read(|tx| tx.query(sql, &params))
        .map_err(|e| format!("server: {}", e.0).into())
}

/// The server's entries of one kind from one device: entity id -> bodies (more than one is a
/// duplicate).
fn entries(
    district: &District,
    device_id: &str,
    kind: &str,
) -> DemoResult<BTreeMap<String, Vec<Value>>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for row in query(
        district,
        "SELECT entity_id, body, sealed, id FROM entries WHERE device_id = ?1 AND kind = ?2",
        &[db::text(device_id), db::text(kind)],
    )? {
        // The server keeps what it received sealed; the demo opens it with the server's key.
        let context = perlinsos_server::stored::entry_context(&row[3].text().unwrap_or_default());
        let text = perlinsos_server::stored::open_text(
            &district.state.keys,
            &context,
            row[1].text(),
            row[2].blob(),
        );
        let body = serde_json::from_str(&text.unwrap_or_default()).unwrap_or(Value::Null);
        out.entry(row[0].text().unwrap_or_default())
            .or_default()
            .push(body);
    }
    Ok(out)
}

/// Compares one kind of record: the same ids, each once, each body as `same` judges it.
fn compare(
    what: &str,
    agent: &str,
    phone: &BTreeMap<String, Value>,
    server: &BTreeMap<String, Vec<Value>>,
    same: impl Fn(&Value, &Value) -> bool,
    problems: &mut Vec<String>,
) {
    for (id, mine) in phone {
        match server.get(id).map(Vec::as_slice) {
            None | Some([]) => problems.push(format!("{agent}: {what} {id} tidak ada di server")),
            Some([theirs]) if same(mine, theirs) => {}
            Some([_]) => problems.push(format!("{agent}: {what} {id} berbeda di server")),
            Some(many) => problems.push(format!(
                "{agent}: {what} {id} tersimpan {} kali di server",
                many.len()
            )),
        }
    }
    for id in server.keys().filter(|id| !phone.contains_key(*id)) {
        problems.push(format!(
            "{agent}: server memegang {what} {id} yang tidak ada di ponsel"
        ));
    }
}

/// A household record as the server received it, without what the phone keeps elsewhere:
/// its photos (compared by hash below) and the resident's receipt (checked on its own).
fn household_part(value: &Value) -> Value {
    let mut value = value.clone();
    if let Some(object) = value.as_object_mut() {
        object.remove("evidence");
        object.remove("receipt");
    }
    value
}

fn evidence_shas(value: &Value) -> BTreeSet<String> {
    value["evidence"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["sha256"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// One phone against the server; returns the number of records and the phone's blobs.
fn check_phone(
    district: &District,
    phone: &Phone,
    problems: &mut Vec<String>,
    lines: &mut Vec<String>,
) -> DemoResult<(usize, BTreeSet<String>)> {
    let agent = phone.agent_id.as_str();
    let device = phone.device.id.as_str();
    let outbox = outbox_status(&phone.store)?;
    if outbox.pending > 0 || !outbox.parked.is_empty() {
        problems.push(format!(
            "{agent}: {} entri belum terkirim, {} ditahan",
            outbox.pending,
            outbox.parked.len()
        ));
    }
    let mut blobs = BTreeSet::new();

    // Households: the record the phone holds is the record the server holds.
    let registry = phone.reader()?;
    let evidence = phone.evidence()?;
    let mut households = BTreeMap::new();
    for id in registry.household_ids()? {
        let household = serde_json::to_value(registry.household(&id)?)
            .map_err(|e| format!("household json: {e}"))?;
        for record in evidence.for_record("household", &id)? {
            blobs.insert(record.sha256);
        }
        households.insert(id, household);
    }
    let server_households = entries(district, device, outbox_kind::HOUSEHOLD_REGISTERED)?;
    compare(
        "rumah tangga",
        agent,
        &households,
        &server_households,
        |mine, theirs| *mine == household_part(theirs),
        problems,
    );
    // Each registration's receipt, as the resident holds it, is the one the server checked.
    for id in households.keys() {
        let Some(receipt) = registry.receipt(id)? else {
            problems.push(format!("{agent}: rumah tangga {id} tanpa tanda terima"));
            continue;
        };
        let held = query(
            district,
            "SELECT 1 FROM resident_receipts WHERE record_id = ?1 AND code = ?2",
            &[db::text(id.as_str()), db::text(receipt.code.as_str())],
        )?;
        if held.is_empty() {
            problems.push(format!(
                "{agent}: tanda terima rumah tangga {id} tidak ada di server"
            ));
        }
    }

    // Sanggahan: reporter, target, statement, reason and photos as filed.
    let book = phone.sanggahan()?;
    let mut filed = BTreeMap::new();
    for summary in book.list()? {
        let s = book.get(&summary.id)?;
        let shas: Vec<String> = book
            .evidence()
            .for_record("sanggahan", &summary.id)?
            .into_iter()
            .map(|r| r.sha256)
            .collect();
        blobs.extend(shas.iter().cloned());
        filed.insert(
            summary.id.clone(),
            serde_json::json!({
                "id": summary.id,
                "recipient_id": summary.recipient_id,
                "kelurahan_code": summary.kelurahan_code,
                "reporter_nik": s.reporter.nik,
                "reason": s.reason,
                "statement": s.statement,
                "evidence": shas,
            }),
        );
    }
    let server_filed = entries(district, device, outbox_kind::SANGGAHAN_FILED)?;
    compare(
        "sanggahan",
        agent,
        &filed,
        &server_filed,
        |mine, theirs| {
            let mine_shas: BTreeSet<String> = mine["evidence"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            [
                "id",
                "recipient_id",
                "kelurahan_code",
                "reason",
                "statement",
            ]
            .iter()
            .all(|k| mine[k] == theirs[k])
                && mine["reporter_nik"] == theirs["reporter"]["nik"]
                && mine_shas == evidence_shas(theirs)
        },
        problems,
    );

    // Visits and objections to results: each on the server once, as the phone made it.
    let visits: BTreeMap<String, Value> = phone
        .visits()?
        .visits()?
        .into_iter()
        .map(|v| {
            let body = serde_json::json!({"family_id": v.family_id, "outcome": v.outcome.as_str()});
            (v.id, body)
        })
        .collect();
    compare(
        "kunjungan",
        agent,
        &visits,
        &entries(district, device, outbox_kind::VISIT_RECORDED)?,
        |mine, theirs| {
            mine["family_id"] == theirs["family_id"] && mine["outcome"] == theirs["outcome"]
        },
        problems,
    );
    let mut objections = BTreeMap::new();
    for o in phone.objections()?.list()? {
        let shas: BTreeSet<String> = evidence
            .for_record("objection", &o.id)?
            .into_iter()
            .map(|r| r.sha256)
            .collect();
        blobs.extend(shas.iter().cloned());
        objections.insert(
            o.id.clone(),
            serde_json::json!({"family_id": o.family_id, "evidence": shas}),
        );
    }
    compare(
        "sanggahan hasil",
        agent,
        &objections,
        &entries(district, device, outbox_kind::OBJECTION_FILED)?,
        |mine, theirs| {
            let mine_shas: BTreeSet<String> = mine["evidence"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            mine["family_id"] == theirs["family_id"] && mine_shas == evidence_shas(theirs)
        },
        problems,
    );

    // The audit trail: intact on the phone, and the server's copy ends at the same entry.
    let (intact, last) = phone.store.read(|conn| {
        let intact = audit::verify_chain(conn, phone.device.public_key())?;
        let last: Option<(i64, Vec<u8>)> = conn
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        Ok((intact, last))
    })?;
    let (last_seq, last_hash) = last.unwrap_or((0, Vec::new()));
    let chain = match intact {
        Ok(n) => n,
        Err(at) => {
            problems.push(format!("{agent}: rantai audit ponsel putus ({at:?})"));
            0
        }
    };
    let on_server = district
        .state
        .db
        .read(|tx| db::device(tx, device))
        .map_err(|e| format!("server: {}", e.0))?;
    match on_server {
        Some(d) if d.audit_seq == last_seq && d.audit_hash.as_deref() == Some(&last_hash[..]) => {}
        Some(d) => problems.push(format!(
            "{agent}: rantai audit di server berakhir di seq {}, di ponsel {last_seq}",
            d.audit_seq
        )),
        None => problems.push(format!("{agent}: perangkat tidak dikenal server")),
    }
    let audit_entries: BTreeMap<String, Value> = (1..=last_seq)
        .map(|seq| (seq.to_string(), Value::Null))
        .collect();
    compare(
        "entri audit",
        agent,
        &audit_entries,
        &entries(district, device, outbox_kind::AUDIT_APPENDED)?,
        |_, _| true,
        problems,
    );

    lines.push(format!(
        "{agent}: {} rumah tangga, {} sanggahan, {} kunjungan, {} sanggahan hasil, {} entri audit, \
         {} blob — dibandingkan satu per satu; rantai audit ponsel utuh ({chain} entri), server \
         berakhir di seq {last_seq}",
        households.len(),
        filed.len(),
        visits.len(),
        objections.len(),
        last_seq,
        blobs.len()
    ));
    Ok((
        households.len() + filed.len() + visits.len() + objections.len() + last_seq as usize,
        blobs,
    ))
}

/// Every NIK and name typed on a phone, searched for in clear in its database and WAL: all
/// personal fields are sealed, so none may be found.
fn at_rest(phone: &Phone, day: &AgentDay, problems: &mut Vec<String>, lines: &mut Vec<String>) {
    let mut bytes = Vec::new();
    for file in phone.database_files() {
        bytes.extend(std::fs::read(file).unwrap_or_default());
    }
    let found = day
        .personal
        .iter()
        .filter(|value| memchr::memmem::find(&bytes, value.as_bytes()).is_some())
        .count();
    lines.push(format!(
        "{}: {found} dari {} NIK dan nama ditemukan tanpa enkripsi di database + WAL ponsel ({})",
        phone.agent_id,
        day.personal.len(),
        super::text::bytes(bytes.len() as u64)
    ));
    if found > 0 {
        problems.push(format!(
            "{}: {found} NIK/nama tersimpan tanpa enkripsi",
            phone.agent_id
        ));
    }
}

pub fn check(district: &District, phones: &[Phone], days: &[AgentDay]) -> DemoResult<Verdict> {
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for (phone, day) in phones.iter().zip(days) {
        at_rest(phone, day, &mut problems, &mut lines);
    }
    let mut records = 0;
    let mut phone_blobs = BTreeSet::new();
    for phone in phones {
        let (n, blobs) = check_phone(district, phone, &mut problems, &mut lines)?;
        records += n;
        phone_blobs.extend(blobs);
    }

    // Nothing else on the server, from any device.
    let stored = query(district, "SELECT count(*) FROM entries", &[])?
        .first()
        .map(|r| r[0].int())
        .unwrap_or(0) as usize;
    if stored != records {
        problems.push(format!(
            "server memegang {stored} catatan, ponsel mengirim {records}"
        ));
    }

    // Every blob once, whole, named by its hash.
    let mut server_blobs = BTreeSet::new();
    for row in query(district, "SELECT sha256, length FROM blobs", &[])? {
        let sha = row[0].text().unwrap_or_default();
        let stored = perlinsos_server::blobs::BlobName::parse(&sha)
            .map(|name| perlinsos_server::blobs::read_stored(&district.state, &name));
        match stored {
            Some(Ok(Some(bytes)))
                if bytes.len() as i64 == row[1].int()
                    && perlinsos_core::hex::encode(&perlinsos_core::evidence::sha256(&bytes))
                        == sha => {}
            _ => problems.push(format!(
                "blob {} rusak atau hilang di server",
                &sha[..12.min(sha.len())]
            )),
        }
        if !server_blobs.insert(sha.clone()) {
            problems.push(format!(
                "blob {} tersimpan dua kali",
                &sha[..12.min(sha.len())]
            ));
        }
    }
    for sha in phone_blobs.difference(&server_blobs) {
        problems.push(format!("blob {} tidak ada di server", &sha[..12]));
    }
    for sha in server_blobs.difference(&phone_blobs) {
        problems.push(format!(
            "server memegang blob {} yang tidak dikirim ponsel",
            &sha[..12]
        ));
    }
    lines.push(format!(
        "server: {stored} catatan, {} blob (setiap berkas dihitung ulang SHA-256-nya)",
        server_blobs.len()
    ));

    Ok(Verdict {
        ok: problems.is_empty(),
        records,
        blobs: server_blobs.len(),
        lines,
        problems,
    })
}
