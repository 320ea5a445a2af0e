//! Server-rendered HTML for the console: escaped text, one small stylesheet served by the
//! server itself (offices may have no internet, and a slow link pays for every byte), times
//! in the zone of the record's kelurahan (WIB, WITA or WIT; `crate::local_time`).
use std::fmt::Write;

use super::accounts::Operator;

pub const CSS: &str = "\
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa}\
header{background:#0b4f6c;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}\
header a{color:#fff}header form{margin-left:auto}main{padding:1rem;max-width:70rem}\
table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid #ccc;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef3f6}.warn{color:#a40000;font-weight:600}.ok{color:#1d6b2f;font-weight:600}\
.box{background:#fff;border:1px solid #ccc;padding:.8rem;margin:.8rem 0}img{max-width:100%;height:auto;border:1px solid #999}\
.photos{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}\
label{display:block;margin:.4rem 0}textarea{display:block}textarea,input[type=text],input[type=password]{width:100%;max-width:30rem;padding:.3rem}\
button{padding:.4rem .9rem}.error{background:#fde8e8;border:1px solid #a40000;padding:.6rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}";

pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Unix milliseconds as "2026-11-29 10:05 WITA", in the zone of `kelurahan_code`.
pub fn time(millis: i64, kelurahan_code: &str) -> String {
    use crate::local_time::{date_time, Zone};
    esc(&date_time(millis, Zone::of_region(kelurahan_code)))
}

pub fn kelurahan(code: &str) -> String {
    match perlinsos_rules::identity::wilayah::region_name(code) {
        Some(name) => format!("{} ({})", esc(name), esc(code)),
        None => esc(code),
    }
}

/// A whole page; the header carries the logout form with the session's CSRF token.
pub fn page(title: &str, who: Option<(&Operator, &str)>, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{} · Perlinsos</title><link rel=\"stylesheet\" href=\"/review/console.css\"></head><body><header>\
         <strong>Perlinsos · Dinas Sosial</strong>",
        esc(title)
    );
    if let Some((operator, csrf)) = who {
        let _ = write!(
            out,
            "<a href=\"/review/sanggahan\">Sanggahan</a><a href=\"/review/sanggahan-hasil\">Sanggahan hasil</a>\
             <a href=\"/review/registrasi\">Registrasi</a>\
             <a href=\"/review/data-ganda\">Data ganda</a><a href=\"/review/penugasan\">Penugasan</a><a href=\"/review/kunjungan\">Kunjungan</a>\
             <a href=\"/review/tanda-terima\">Tanda terima</a><a href=\"/review/cari-nik\">Cari NIK</a><a href=\"/review/perangkat\">Perangkat</a>\
             <form method=\"post\" action=\"/review/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             {} ({}) <button>Keluar</button></form>",
            esc(csrf),
            esc(&operator.username),
            operator.role.as_str()
        );
    }
    let _ = write!(
        out,
        "</header><main><h1>{}</h1>{body}</main></body></html>",
        esc(title)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_times_are_in_wita() {
        assert_eq!(
            esc("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
        // 2026-11-29 02:05 UTC is 10:05 in Lombok.
        assert_eq!(
            time(1_795_917_900_000, "52.71.01.1004"),
            "2026-11-29 10:05 WITA"
        );
        assert_eq!(
            time(1_795_917_900_000, "35.10.01.2001"),
            "2026-11-29 09:05 WIB"
        );
    }
}
