//! The households that phones registered, as the console lists them and as the CSV that
//! operators upload to SIKS-NG (columns in docs/siks-ng-export.md). The body is the phone's
//! `RegisteredHousehold`; it is read as JSON so an older phone's record still lists.
use perlinsos_rules::registration::model::{IkdStatus, Relation};
use serde_json::Value as Json;

use crate::console::accounts::Scope;
use crate::db::{self, DbError};
use crate::AppState;

#[derive(Debug, Clone)]
pub struct Household {
    pub id: String,
    pub agent_id: String,
    pub kk: String,
    pub kelurahan_code: String,
    pub rt: i64,
    pub rw: i64,
    pub street: String,
    pub registered_at: i64,
    pub head_name: String,
    pub members: Vec<Member>,
    pub pmt: Option<Pmt>,
    /// `diterima`, or `data_ganda` while another household holds one of its NIKs or its KK.
    pub status: String,
    /// The DTSEN family whose KK or a NIK it shares; None for an usulan baru (a family not in
    /// DTSEN, proposed), as the server found it in its own imported families.
    pub dtsen_family_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub id: String,
    pub nik: String,
    pub full_name: String,
    pub relation: String,
    pub sex: String,
    pub birth_date: String,
    pub ikd: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Pmt {
    pub model_id: String,
    pub model_version: i64,
    pub illustrative: bool,
    /// Log-linear models: Rp per capita per month and the desil.
    pub estimate: Option<f64>,
    pub desil: Option<i64>,
}

impl Household {
    /// "3 dari 4 sudah aktif": IKD among the members whose status was recorded.
    pub fn ikd_summary(&self) -> String {
        let recorded = self.members.iter().filter(|m| m.ikd.is_some()).count();
        let active = self
            .members
            .iter()
            .filter(|m| m.ikd.as_deref() == Some(IkdStatus::SudahAktif.label()))
            .count();
        format!("{active} dari {recorded} sudah aktif")
    }
}

fn text(v: &Json, key: &str) -> String {
    v.get(key).and_then(Json::as_str).unwrap_or("").to_owned()
}

fn label<T: serde::de::DeserializeOwned>(
    v: Option<&Json>,
    name: impl Fn(T) -> String,
) -> Option<String> {
    serde_json::from_value::<T>(v?.clone()).ok().map(name)
}

fn parse(body: &Json) -> Option<Household> {
    let address = body.get("address")?;
    let members: Vec<Member> = body
        .get("members")?
        .as_array()?
        .iter()
        .map(|m| Member {
            id: text(m, "id"),
            nik: text(m, "nik"),
            full_name: text(m, "full_name"),
            relation: label(m.get("relation"), |r: Relation| r.label().to_owned())
                .unwrap_or_default(),
            sex: text(m, "sex"),
            birth_date: text(m, "birth_date"),
            ikd: label(m.get("ikd"), |s: IkdStatus| s.label().to_owned()),
        })
        .collect();
    let head = text(body, "head_member_id");
    let pmt = body.get("pmt").filter(|p| !p.is_null()).map(|p| {
        let preview = p.get("preview").cloned().unwrap_or(Json::Null);
        Pmt {
            model_id: text(p, "model_id"),
            model_version: p.get("model_version").and_then(Json::as_i64).unwrap_or(0),
            illustrative: preview
                .get("illustrative")
                .and_then(Json::as_bool)
                .unwrap_or(true),
            estimate: preview.get("estimate").and_then(Json::as_f64),
            desil: preview.get("desil").and_then(Json::as_i64),
        }
    });
    Some(Household {
        id: text(body, "id"),
        agent_id: text(body, "agent_id"),
        kk: text(body, "kk"),
        kelurahan_code: text(address, "kelurahan_code"),
        rt: address.get("rt").and_then(Json::as_i64).unwrap_or(0),
        rw: address.get("rw").and_then(Json::as_i64).unwrap_or(0),
        street: text(address, "street"),
        registered_at: body
            .get("registered_at")
            .and_then(Json::as_i64)
            .unwrap_or(0),
        head_name: members
            .iter()
            .find(|m| m.id == head)
            .map(|m| m.full_name.clone())
            .unwrap_or_default(),
        members,
        pmt,
        status: String::new(),
        dtsen_family_id: None,
    })
}

/// The registered households, oldest first, optionally of one kelurahan: one page (from 0) of
/// them, with whether more follow, or all of them for the export (`page` None). Read through
/// the typed table's indexes; the bodies come from the records as received.
pub fn list(
    state: &AppState,
    kelurahan: Option<&str>,
    page: Option<usize>,
    scope: &Scope,
) -> Result<(Vec<Household>, bool), DbError> {
    let mut params = Vec::new();
    let mut conditions = vec![scope.condition("h.kelurahan_code", &mut params)];
    if let Some(k) = kelurahan {
        params.push(db::text(k));
        conditions.push(format!("h.kelurahan_code = ?{}", params.len()));
    }
    let filter = format!("WHERE {}", conditions.join(" AND "));
    let limit = match page {
        Some(page) => db::page_clause(&mut params, page),
        None => String::new(),
    };
    let sql = format!(
        "SELECT e.body, h.status, e.sealed, e.id, h.dtsen_family_id
         FROM households h JOIN entries e ON e.id = h.entry_id
         {filter} ORDER BY h.registered_at, h.id {limit}"
    );
    let rows = state.db.read(|tx| tx.query(&sql, &params))?;
    let (rows, more) = match page {
        Some(_) => db::split_page(rows),
        None => (rows, false),
    };
    let households = rows
        .iter()
        .filter_map(|r| {
            let entry_id = r[3].text()?;
            let context = crate::stored::entry_context(&entry_id);
            let text = crate::stored::open_text(&state.keys, &context, r[0].text(), r[2].blob())?;
            let body = serde_json::from_str::<Json>(&text).ok()?;
            let mut household = parse(&body)?;
            household.status = r[1].text().unwrap_or_default();
            household.dtsen_family_id = r[4].text();
            Some(household)
        })
        .collect();
    Ok((households, more))
}

/// The kelurahan that have registrations inside `scope`, for the list's filter.
pub fn kelurahan_with_households(state: &AppState, scope: &Scope) -> Result<Vec<String>, DbError> {
    let mut params = Vec::new();
    let condition = scope.condition("kelurahan_code", &mut params);
    let rows = state.db.read(|tx| {
        tx.query(
            &format!(
                "SELECT DISTINCT kelurahan_code FROM households WHERE {condition}
                 ORDER BY kelurahan_code"
            ),
            &params,
        )
    })?;
    Ok(rows.iter().filter_map(|r| r[0].text()).collect())
}

pub const CSV_COLUMNS: [&str; 22] = [
    "id_keluarga",
    "no_kk",
    "kode_kelurahan",
    "nama_kelurahan",
    "rt",
    "rw",
    "alamat",
    "id_anggota",
    "nik",
    "nama",
    "hubungan_keluarga",
    "jenis_kelamin",
    "tanggal_lahir",
    "status_ikd",
    "model_pmt",
    "versi_model_pmt",
    "model_ilustratif",
    "perkiraan_pengeluaran_per_kapita",
    "perkiraan_desil",
    "tanggal_registrasi",
    "usulan_baru",
    "id_keluarga_dtsen",
];

/// A cell a spreadsheet would run as a formula is prefixed with an apostrophe.
/// A cell a spreadsheet would not run as a formula: a value whose first visible character
/// (after any spaces, tabs, line breaks, zero-width or other invisible characters) starts a
/// formula, or that begins with any such invisible character, gets a leading apostrophe.
fn cell(value: &str) -> String {
    let invisible = |c: char| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}'
            )
    };
    let first = value.trim_start_matches(invisible).chars().next();
    let starts_invisible = value.chars().next().is_some_and(invisible);
    let formula = first.is_some_and(|c| {
        matches!(
            c,
            '=' | '+'
                | '-'
                | '@'
                | ';'
                | '|'
                | '%'
                | '\u{ff1d}'
                | '\u{ff0b}'
                | '\u{ff0d}'
                | '\u{ff20}'
        )
    });
    if formula || starts_invisible {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// A NIK or KK number as an officer without the whole district sees it: the region part and
/// the last four digits (`527101******0001`).
pub fn masked(number: &str) -> String {
    if number.len() != 16 || !number.is_ascii() {
        return "*".repeat(number.chars().count());
    }
    format!("{}******{}", &number[..6], &number[12..])
}

/// One row per member (SIKS-NG takes people, grouped by KK), UTF-8, comma-separated; NIK and
/// KK masked unless `full_numbers` (see docs/siks-ng-export.md).
pub fn csv(households: &[Household], full_numbers: bool) -> Vec<u8> {
    let number = |n: &str| {
        if full_numbers {
            n.to_owned()
        } else {
            masked(n)
        }
    };
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(CSV_COLUMNS);
    for h in households {
        let place =
            perlinsos_rules::identity::wilayah::region_name(&h.kelurahan_code).unwrap_or_default();
        for m in &h.members {
            let pmt = h.pmt.as_ref();
            let row = [
                h.id.clone(),
                number(&h.kk),
                h.kelurahan_code.clone(),
                place.to_owned(),
                format!("{:03}", h.rt),
                format!("{:03}", h.rw),
                h.street.clone(),
                m.id.clone(),
                number(&m.nik),
                m.full_name.clone(),
                m.relation.clone(),
                m.sex.clone(),
                m.birth_date.clone(),
                m.ikd.clone().unwrap_or_default(),
                pmt.map(|p| p.model_id.clone()).unwrap_or_default(),
                pmt.map(|p| p.model_version.to_string()).unwrap_or_default(),
                pmt.map(|p| if p.illustrative { "ya" } else { "tidak" }.to_owned())
                    .unwrap_or_default(),
                pmt.and_then(|p| p.estimate)
                    .map(|e| format!("{e:.0}"))
                    .unwrap_or_default(),
                pmt.and_then(|p| p.desil)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                crate::local_time::utc_date(h.registered_at),
                if h.dtsen_family_id.is_none() {
                    "ya"
                } else {
                    "tidak"
                }
                .to_owned(),
                h.dtsen_family_id.clone().unwrap_or_default(),
            ];
            let _ = writer.write_record(row.iter().map(|v| cell(v)));
        }
    }
    writer.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn no_formula_prefix_gets_through_after_anything_invisible() {
        for dangerous in [
            "=HYPERLINK(\"x\")",
            "+1",
            "-1",
            "@SUM(A1)",
            " =1",
            "\t=1",
            "\n=1",
            "\r\n=1",
            "\u{200b}=1",
            "\u{feff}=1",
            "\u{00a0}=1",
            ";=1",
            "|cmd",
            "\u{ff1d}1",
            "\u{2060}\u{200b} \t=1",
        ] {
            assert!(cell(dangerous).starts_with('\''), "{dangerous:?}");
        }
        for plain in [
            "Baiq Nurul",
            "5271010101900001",
            "52.71.01.1004",
            "",
            "ya",
            "2026-11-29",
        ] {
            assert_eq!(cell(plain), plain);
        }
    }
}
