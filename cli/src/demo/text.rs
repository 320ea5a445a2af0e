//! How the demo writes numbers, sizes and identity numbers for an Indonesian reader.
use perlinsos_core::error::FieldError;

pub fn heading(title: &str) {
    println!("{title}");
    println!("{}", "=".repeat(title.chars().count()));
}

pub fn step(number: u32, title: &str) {
    println!("\n{number}. {title}");
}

/// 1234567 -> "1.234.567".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect();
    groups.join(".")
}

/// A size in B, kB or MB (decimal units, Indonesian decimal comma): "287,1 kB".
pub fn bytes(n: u64) -> String {
    if n < 1_000 {
        format!("{n} B")
    } else if n < 1_000_000 {
        format!("{:.1} kB", n as f64 / 1e3).replace('.', ",")
    } else {
        format!("{:.2} MB", n as f64 / 1e6).replace('.', ",")
    }
}

/// A share in percent with a decimal comma: "71,3%".
pub fn percent(part: f64) -> String {
    format!("{:.1}%", part * 100.0).replace('.', ",")
}

/// Seconds with one decimal: "12,8 s".
pub fn seconds(s: f64) -> String {
    format!("{s:.1} s").replace('.', ",")
}

/// A NIK or KK as a person may see it on screen: first 6 and last 4 digits.
pub fn masked(number: &str) -> String {
    perlinsos_core::sanggahan::recipients::mask_nik(number)
        .unwrap_or_else(|| "****************".to_owned())
}

/// A refusal as the phone shows it: every field error's code and Indonesian message.
pub fn refusal(error: &perlinsos_core::Error) -> Vec<String> {
    match error {
        perlinsos_core::Error::Invalid(errors) => errors.iter().map(field_error).collect(),
        other => vec![other.to_string()],
    }
}

fn field_error(e: &FieldError) -> String {
    format!("[{}] {}", e.code.as_str(), e.message)
}

/// `text` broken into lines of at most `width` characters, each starting with `indent`.
pub fn wrapped(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out += indent;
            out += &line;
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line += word;
    }
    if !line.is_empty() {
        out += indent;
        out += &line;
    }
    out
}

/// A table for the summary (comfy-table), indented under its heading; columns from
/// `right_from` on are numbers, aligned right.
pub fn table(header: &[&str], rows: Vec<Vec<String>>, right_from: usize) -> String {
    use comfy_table::{presets, CellAlignment, ContentArrangement, Table};
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    for row in rows {
        table.add_row(row);
    }
    for i in right_from..header.len() {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    table
        .lines()
        .map(|line| format!("   {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_the_indonesian_way() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(3_931_666), "3.931.666");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(287_149), "287,1 kB");
        assert_eq!(bytes(3_931_666), "3,93 MB");
        assert_eq!(percent(0.713), "71,3%");
        assert_eq!(seconds(12.84), "12,8 s");
        assert_eq!(masked("5271015708900003"), "527101******0003");
        let shown = table(&["Agen", "Jumlah"], vec![vec!["a".into(), "7".into()]], 1);
        assert!(shown.lines().all(|l| l.starts_with("   ")), "{shown}");
        assert!(shown.contains("Jumlah") && shown.contains('7'), "{shown}");
        assert_eq!(wrapped("satu dua tiga", "  ", 7), "  satu\n  dua\n  tiga");
        assert_eq!(wrapped("satu dua", "> ", 20), "> satu dua");
    }
}
