//! Any bytes as the body of every review-console form (and the fields of its list queries),
//! read by axum's own extractor and checked as each handler checks it before any database
//! work: never a panic. A decision that passes is a closing status with a trimmed reason of at
//! most 500 characters (required to refuse), and a refusal has one of two stable codes; an
//! account, scope, password, assignment or second-factor code that passes keeps every rule;
//! a list page's title names the page as typed (from 1).
#![no_main]
use libfuzzer_sys::fuzz_target;
use perlinsos_server::fuzzing::console::read;

fuzz_target!(|data: &[u8]| {
    let (now, body) = if data.len() >= 8 {
        (
            i64::from_le_bytes(data[..8].try_into().expect("8 bytes")),
            &data[8..],
        )
    } else {
        (1_795_000_000_000, data)
    };
    let read = read(body, now);
    if let Some(name) = &read.login_username {
        assert_eq!(name, &name.trim().to_lowercase());
    }
    match &read.decision {
        Some(Ok((status, reason))) => {
            let status = status.as_str();
            assert!(status == "diverifikasi" || status == "ditolak", "{status}");
            if let Some(r) = reason {
                assert!(!r.is_empty() && r.trim() == r && r.chars().count() <= 500);
            }
            assert!(status != "ditolak" || reason.is_some());
        }
        Some(Err(code)) => assert!(
            *code == "REVIEW_DECISION_INVALID" || *code == "REVIEW_REASON_REQUIRED",
            "{code}"
        ),
        None => {}
    }
    if let Some(Ok((_, username, scope))) = &read.account {
        assert!((3..=32).contains(&username.len()));
        assert!(scope.len() <= 64);
    }
    if let Some(Ok(scope)) = &read.scope {
        assert!(scope.len() <= 64);
        for code in scope {
            assert!(code.len() == 8 || code.len() == 13, "{code}");
        }
    }
    for (password, checked) in &read.passwords {
        if checked.is_ok() {
            assert!(password.chars().count() >= 12 && password.len() <= 1024);
        }
    }
    if let Some(Some((rw, rt, _))) = read.place {
        for n in [rw, rt].into_iter().flatten() {
            assert!((1..=999).contains(&n));
        }
        assert!(rt.is_none() || rw.is_some());
    }
    if let Some((code, Some(step))) = &read.code_step {
        let code = code.trim();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
        let current = now / 1000 / 30;
        assert!((i128::from(*step) - i128::from(current)).abs() <= 1);
    }
    for (page, title) in &read.titles {
        assert!(!title.is_empty());
        if *page > 0 {
            let shown = u128::try_from(*page).expect("usize fits") + 1;
            assert!(title.contains(&format!("halaman {shown}")), "{title}");
        }
    }
    if let Some(nik) = &read.nik {
        assert!(nik.chars().count() <= 32);
    }
});
