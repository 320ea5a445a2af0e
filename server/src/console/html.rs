//! Server-rendered HTML for the console: maud templates that escape every value they are
//! given, one small stylesheet served by the server itself (offices may have no internet, and
//! a slow link pays for every byte), times in the zone of the record's kelurahan (WIB, WITA or
//! WIT; `crate::local_time`).
use maud::{html, Markup, DOCTYPE};

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

/// Unix milliseconds as "2026-11-29 10:05 WITA", in the zone of `kelurahan_code` (plain text:
/// the templates escape it).
pub fn time(millis: i64, kelurahan_code: &str) -> String {
    use crate::local_time::{date_time, Zone};
    date_time(millis, Zone::of_region(kelurahan_code))
}

/// "Name (code)", or the code alone when the region table does not know it (plain text).
pub fn kelurahan(code: &str) -> String {
    match perlinsos_rules::identity::wilayah::region_name(code) {
        Some(name) => format!("{name} ({code})"),
        None => code.to_owned(),
    }
}

/// The hidden field every console form carries.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// A refusal or failure message in the page.
pub fn error(message: &str) -> Markup {
    html! { p class="error" { (message) } }
}

/// A whole page; the header carries the navigation and the logout form with the session's
/// CSRF token.
pub fn page(title: &str, who: Option<(&Operator, &str)>, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="id" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                title { (title) " · Perlinsos" }
                link rel="stylesheet" href="/review/console.css";
            }
            body {
                header {
                    strong { "Perlinsos · Dinas Sosial" }
                    @if let Some((operator, csrf)) = who {
                        a href="/review/sanggahan" { "Sanggahan" }
                        a href="/review/sanggahan-hasil" { "Sanggahan hasil" }
                        a href="/review/registrasi" { "Registrasi" }
                        a href="/review/data-ganda" { "Data ganda" }
                        a href="/review/penugasan" { "Penugasan" }
                        a href="/review/kunjungan" { "Kunjungan" }
                        a href="/review/tanda-terima" { "Tanda terima" }
                        a href="/review/cari-nik" { "Cari NIK" }
                        a href="/review/perangkat" { "Perangkat" }
                        a href="/review/akun" { "Akun" }
                        form method="post" action="/review/logout" {
                            (csrf_field(csrf))
                            (operator.username) " (" (operator.role.as_str()) ") "
                            button { "Keluar" }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::accounts::{Role, Scope};

    #[test]
    fn text_is_escaped_and_times_are_in_wita() {
        let operator = Operator {
            username: "a\"b".into(),
            role: Role::Admin,
            scope: Scope::All,
        };
        let shown = page(
            "<script>\"a\" & 'b'</script>",
            Some((&operator, "t\"><x")),
            error("<b>"),
        );
        assert!(shown.contains("<title>&lt;script&gt;&quot;a&quot; &amp; 'b'&lt;/script&gt;"));
        assert!(shown.contains("value=\"t&quot;&gt;&lt;x\""));
        assert!(shown.contains("a&quot;b (admin)"));
        assert!(shown.contains("<p class=\"error\">&lt;b&gt;</p>"));
        assert!(!shown.contains("<script>") && !shown.contains("<b>"));
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
