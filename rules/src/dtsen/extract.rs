//! The district's DTSEN extract: a CSV file with one row per family member (columns in
//! `docs/dtsen-extract.md`). Every row is checked; the answer is either every family or every
//! problem with its line, so an import is never half done.
use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use crate::date::Date;
use crate::error::ErrorCode;
use crate::identity::{self, Sex};
use crate::pmt::answers::{Answer, Answers};
use crate::registration::Relation;
use crate::sanggahan::recipients::Programme;

use super::{check_family, Family, FamilyMember};

/// The columns, in the order the sample files write them; files may order them freely.
pub const COLUMNS: [&str; 14] = [
    "family_id",
    "version",
    "kk",
    "kelurahan_code",
    "rt",
    "rw",
    "address",
    "desil",
    "programmes",
    "nik",
    "name",
    "relation",
    "sex",
    "birth_date",
];
const FAMILY_COLUMNS: usize = 9;
/// Optional family columns `pmt_<question id>`: the household's last known answers.
pub const ANSWER_PREFIX: &str = "pmt_";
/// Past this many problems the file is plainly wrong; the rest are not listed.
pub const MAX_REPORTED: usize = 200;

/// One problem, where it is: the line of the file (the header is line 1) and the column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: u64,
    pub column: String,
    pub code: ErrorCode,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "baris {}, kolom {}: {} ({})",
            self.line,
            self.column,
            self.code.message(),
            self.code.as_str()
        )
    }
}

fn problem(line: u64, column: &str, code: ErrorCode) -> LineError {
    LineError {
        line,
        column: column.to_owned(),
        code,
    }
}

/// Accepts the wire name (`kepala_keluarga`) or the label (`Kepala keluarga`), any case.
pub fn parse_relation(text: &str) -> Option<Relation> {
    let wanted = text.trim().to_lowercase().replace([' ', '-'], "_");
    Relation::ALL.iter().copied().find(|r| {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            == Some(wanted.clone())
            || r.label().to_lowercase().replace(' ', "_") == wanted
    })
}

struct Building {
    family: Family,
    first_line: u64,
    member_lines: Vec<u64>,
    /// The family's own columns as its first row wrote them: every row must agree.
    columns: Vec<String>,
}

/// Reads and checks a whole extract. `today` decides what a birth date in the future is.
pub fn parse(input: impl Read, today: Date) -> Result<Vec<Family>, Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let mut errors = Vec::new();
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(_) => return Err(vec![problem(1, "-", ErrorCode::FamilyFileInvalid)]),
    };
    let mut index = [usize::MAX; COLUMNS.len()];
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        match header.iter().position(|h| h.eq_ignore_ascii_case(name)) {
            Some(i) => *slot = i,
            None => errors.push(problem(1, name, ErrorCode::FamilyFileInvalid)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let answer_columns = answer_columns(&header);
    let mut families: Vec<Building> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut nik_family: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        if errors.len() >= MAX_REPORTED {
            break;
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(problem(line, "-", ErrorCode::FamilyFileInvalid));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let cell = |c: usize| record.get(index[c]).unwrap_or("");
        let before = errors.len();
        let member = parse_member(line, &cell, &mut errors);
        let id = cell(0).to_owned();
        let columns: Vec<String> = (0..FAMILY_COLUMNS)
            .map(|c| cell(c).to_owned())
            .chain(
                answer_columns
                    .iter()
                    .map(|(_, i)| record.get(*i).unwrap_or("").to_owned()),
            )
            .collect();
        let slot = match by_id.get(&id) {
            Some(&slot) => {
                if families[slot].columns != columns {
                    errors.push(problem(line, "family_id", ErrorCode::FamilyRowsDisagree));
                }
                slot
            }
            None => {
                let Some(mut family) = parse_family(line, &cell, &mut errors) else {
                    continue;
                };
                family.pmt_answers = answer_columns
                    .iter()
                    .filter_map(|(id, i)| {
                        let text = record.get(*i).unwrap_or("");
                        Some((id.clone(), parse_answer(text)?))
                    })
                    .collect();
                families.push(Building {
                    family,
                    first_line: line,
                    member_lines: Vec::new(),
                    columns,
                });
                by_id.insert(id, families.len() - 1);
                families.len() - 1
            }
        };
        let (Some(member), true) = (member, errors.len() == before) else {
            continue;
        };
        let nik = identity::canonical(&member.nik).to_owned();
        match nik_family.get(&nik) {
            Some(&other) if other != slot => {
                errors.push(problem(line, "nik", ErrorCode::NikInTwoFamilies));
            }
            _ => {
                nik_family.insert(nik, slot);
            }
        }
        families[slot].family.members.push(member);
        families[slot].member_lines.push(line);
    }
    if families.is_empty() && errors.is_empty() {
        errors.push(problem(2, "-", ErrorCode::FamilyFileInvalid));
    }
    for building in &families {
        if errors.len() >= MAX_REPORTED {
            break;
        }
        for e in check_family("family", &building.family, today) {
            errors.push(locate(building, &e.field, e.code));
        }
    }
    if errors.is_empty() {
        Ok(families.into_iter().map(|b| b.family).collect())
    } else {
        errors.sort_by_key(|e| e.line);
        errors.truncate(MAX_REPORTED);
        Err(errors)
    }
}

/// The optional answer columns: `pmt_<question id>` -> (question id, column index).
fn answer_columns(header: &csv::StringRecord) -> Vec<(String, usize)> {
    header
        .iter()
        .enumerate()
        .filter_map(|(i, name)| {
            let lower = name.to_ascii_lowercase();
            let id = lower.strip_prefix(ANSWER_PREFIX)?;
            (!id.is_empty()).then(|| (id.to_owned(), i))
        })
        .collect()
}

/// `ya`/`tidak` (any case), a number with a decimal point, or a choice's option id; an empty
/// cell is no answer.
fn parse_answer(text: &str) -> Option<Answer> {
    let lower = text.to_lowercase();
    match lower.as_str() {
        "" => None,
        "ya" => Some(Answer::YesNo(true)),
        "tidak" => Some(Answer::YesNo(false)),
        _ => Some(match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Answer::Number(n),
            _ => Answer::Choice(text.to_owned()),
        }),
    }
}

fn answer_text(answer: &Answer) -> String {
    match answer {
        Answer::YesNo(true) => "ya".to_owned(),
        Answer::YesNo(false) => "tidak".to_owned(),
        Answer::Number(n) => n.to_string(),
        Answer::Choice(text) => text.clone(),
    }
}

/// `family.members[3].nik` -> the line of the fourth member, column `nik`.
fn locate(building: &Building, field: &str, code: ErrorCode) -> LineError {
    let rest = field.strip_prefix("family.").unwrap_or(field);
    if let Some(id) = rest.strip_prefix("pmt_answers.") {
        return problem(building.first_line, &format!("{ANSWER_PREFIX}{id}"), code);
    }
    if let Some(member) = rest.strip_prefix("members[") {
        if let Some((i, column)) = member.split_once("].") {
            if let Some(&line) = i
                .parse::<usize>()
                .ok()
                .and_then(|i| building.member_lines.get(i))
            {
                return problem(line, column, code);
            }
        }
    }
    problem(building.first_line, rest, code)
}

fn parse_family<'a>(
    line: u64,
    cell: &dyn Fn(usize) -> &'a str,
    errors: &mut Vec<LineError>,
) -> Option<Family> {
    let version = cell(1).parse::<u32>().ok().filter(|v| *v > 0);
    if version.is_none() {
        errors.push(problem(line, "version", ErrorCode::FamilyVersionInvalid));
    }
    let rt = cell(4).parse::<u16>().ok();
    let rw = cell(5).parse::<u16>().ok();
    if rt.is_none() || rw.is_none() {
        errors.push(problem(line, "rt_rw", ErrorCode::RtRwInvalid));
    }
    let desil = match cell(7) {
        "" => Some(None),
        text => text
            .parse::<u8>()
            .ok()
            .filter(|d| (1..=10).contains(d))
            .map(Some),
    };
    if desil.is_none() {
        errors.push(problem(line, "desil", ErrorCode::DesilInvalid));
    }
    let mut programmes = Vec::new();
    for name in cell(8).split(['|', ';']).filter(|p| !p.trim().is_empty()) {
        match Programme::parse(name) {
            Some(p) if !programmes.contains(&p) => programmes.push(p),
            Some(_) => {}
            None => errors.push(problem(
                line,
                "programmes",
                ErrorCode::RecipientProgrammeUnknown,
            )),
        }
    }
    Some(Family {
        id: cell(0).to_owned(),
        version: version?,
        kk: cell(2).to_owned(),
        kelurahan_code: cell(3).to_owned(),
        rt: rt?,
        rw: rw?,
        address: cell(6).to_owned(),
        desil: desil?,
        programmes,
        members: Vec::new(),
        pmt_answers: Answers::new(),
        revision: 0,
    })
}

fn parse_member<'a>(
    line: u64,
    cell: &dyn Fn(usize) -> &'a str,
    errors: &mut Vec<LineError>,
) -> Option<FamilyMember> {
    let relation = parse_relation(cell(11));
    if relation.is_none() {
        errors.push(problem(line, "relation", ErrorCode::ChoiceUnknown));
    }
    let sex = Sex::parse(&cell(12).to_ascii_uppercase());
    if sex.is_none() {
        errors.push(problem(line, "sex", ErrorCode::ChoiceUnknown));
    }
    let birth_date = Date::parse_iso(cell(13));
    if birth_date.is_none() {
        errors.push(problem(line, "birth_date", ErrorCode::DateFormat));
    }
    Some(FamilyMember {
        nik: cell(9).to_owned(),
        name: cell(10).to_owned(),
        relation: relation?,
        sex: sex?,
        birth_date: birth_date?,
    })
}

/// Writes families in the extract's own format (the sample files, tests and the demo).
pub fn write(families: &[Family]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let answer_ids: std::collections::BTreeSet<&String> =
        families.iter().flat_map(|f| f.pmt_answers.keys()).collect();
    let header = COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(answer_ids.iter().map(|id| format!("{ANSWER_PREFIX}{id}")));
    let _ = out.write_record(header);
    for f in families {
        let answers: Vec<String> = answer_ids
            .iter()
            .map(|id| f.pmt_answers.get(*id).map(answer_text).unwrap_or_default())
            .collect();
        let programmes: Vec<String> = f
            .programmes
            .iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for m in &f.members {
            let relation = serde_json::to_value(m.relation)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let fixed = [
                f.id.as_str(),
                &f.version.to_string(),
                &f.kk,
                &f.kelurahan_code,
                &f.rt.to_string(),
                &f.rw.to_string(),
                &f.address,
                &f.desil.map(|d| d.to_string()).unwrap_or_default(),
                &programmes.join("|"),
                &m.nik,
                &m.name,
                &relation,
                m.sex.code(),
                &m.birth_date.to_string(),
            ];
            let _ = out.write_record(
                fixed
                    .iter()
                    .copied()
                    .chain(answers.iter().map(String::as_str)),
            );
        }
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}
