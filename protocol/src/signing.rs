//! What a device signs for each request. The server rebuilds the same bytes from the request it
//! received, so a changed method, path, body, time or nonce breaks the signature.

pub const HEADER_DEVICE: &str = "x-perlinsos-device";
pub const HEADER_TIMESTAMP: &str = "x-perlinsos-timestamp";
pub const HEADER_NONCE: &str = "x-perlinsos-nonce";
pub const HEADER_SIGNATURE: &str = "x-perlinsos-signature";

/// A request older or newer than this (by the server's clock) is refused as stale.
pub const MAX_CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// A nonce is 16 random bytes, hex.
pub const NONCE_HEX_LEN: usize = 32;

const CONTEXT: &str = "perlinsos/request/v1";

/// The signed text: context, method, path with query, device, time, nonce and the body's
/// SHA-256 (hex), one per line. `body_sha256_hex` is computed by the caller (both sides use
/// ring), so this crate needs no crypto.
pub fn canonical_request(
    method: &str,
    path_and_query: &str,
    device_id: &str,
    timestamp_ms: i64,
    nonce_hex: &str,
    body_sha256_hex: &str,
) -> Vec<u8> {
    format!(
        "{CONTEXT}\n{}\n{path_and_query}\n{device_id}\n{timestamp_ms}\n{nonce_hex}\n{body_sha256_hex}\n",
        method.to_ascii_uppercase()
    )
    .into_bytes()
}

/// The text an audit entry's SHA-256 is taken of: its fields, one per line after the context,
/// and the previous entry's hash (hex). The device signs that hash; the server recomputes it to
/// check the chain it receives.
pub fn audit_entry_text(
    seq: i64,
    at: i64,
    agent_id: &str,
    action: &str,
    record_id: Option<&str>,
    prev_hash_hex: &str,
) -> String {
    format!(
        "perlinsos/audit/v1\nseq={seq}\nat={at}\nagent={agent_id}\naction={action}\nrecord={}\nprev={prev_hash_hex}\n",
        record_id.unwrap_or("-"),
    )
}

/// What the district key signs when it tells a device it was revoked.
pub fn revocation_text(device_id: &str, revoked_at: i64) -> Vec<u8> {
    format!("perlinsos/revoked/v1\ndevice={device_id}\nat={revoked_at}\n").into_bytes()
}

/// What the district key signs for each change it hands a device: the device, the change's
/// cursor and the change as JSON (its typed form serialized, the same on both sides), so a
/// change cannot be forged, moved to another device or another place in the feed.
pub fn change_text(device_id: &str, cursor: i64, change: &crate::wire::Change) -> Vec<u8> {
    let mut text =
        format!("perlinsos/change/v1\ndevice={device_id}\ncursor={cursor}\n").into_bytes();
    text.extend_from_slice(&serde_json::to_vec(change).unwrap_or_default());
    text
}

/// One entry's line in a push receipt.
pub struct ReceiptLine<'a> {
    pub entry_id: &'a str,
    pub kind: &'a str,
    /// SHA-256 (hex) of the entry's `sealed` field exactly as sent (its hex text).
    pub sealed_sha256_hex: &'a str,
    pub outcome: &'a crate::wire::Outcome,
}

/// What the district key signs to answer a push: the device, then one line per entry with its
/// id, kind, the hash of its sealed record and the outcome (`accepted`, `duplicate` or
/// `rejected:CODE`). The phone confirms, purges or parks an entry only on an answer whose
/// receipt it verified over the entries it sent, so a forged answer changes nothing.
pub fn push_receipt_text<'a>(
    device_id: &str,
    lines: impl IntoIterator<Item = ReceiptLine<'a>>,
) -> Vec<u8> {
    receipt_lines(
        format!("perlinsos/push-receipt/v1\ndevice={device_id}\n"),
        lines,
    )
}

/// What the district key signs to answer a hand-over (`POST /v1/handover`): the device that
/// handed the entries over and the device whose queue they are (the one it replaces), then
/// the lines of a push receipt (`accepted`: held now for officers; `duplicate`: held or
/// applied already; `rejected:CODE`). Its own context, so it can never pass for a push
/// receipt, nor a push receipt for it.
pub fn handover_receipt_text<'a>(
    device_id: &str,
    from_device_id: &str,
    lines: impl IntoIterator<Item = ReceiptLine<'a>>,
) -> Vec<u8> {
    receipt_lines(
        format!("perlinsos/handover-receipt/v1\ndevice={device_id}\nfrom={from_device_id}\n"),
        lines,
    )
}

fn receipt_lines<'a>(
    mut text: String,
    lines: impl IntoIterator<Item = ReceiptLine<'a>>,
) -> Vec<u8> {
    use crate::wire::Outcome;
    for line in lines {
        let outcome = match line.outcome {
            Outcome::Accepted => "accepted".to_owned(),
            Outcome::Duplicate => "duplicate".to_owned(),
            Outcome::Rejected { code, .. } => format!("rejected:{}", code.name()),
        };
        text.push_str(&format!(
            "{} {} {} {outcome}\n",
            line.entry_id, line.kind, line.sealed_sha256_hex
        ));
    }
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_is_in_the_signed_text() {
        let base = canonical_request("post", "/v1/outbox", "d", 1, "n", "h");
        assert_eq!(
            String::from_utf8(base.clone()).unwrap(),
            "perlinsos/request/v1\nPOST\n/v1/outbox\nd\n1\nn\nh\n"
        );
        for other in [
            canonical_request("GET", "/v1/outbox", "d", 1, "n", "h"),
            canonical_request("POST", "/v1/outboy", "d", 1, "n", "h"),
            canonical_request("POST", "/v1/outbox", "e", 1, "n", "h"),
            canonical_request("POST", "/v1/outbox", "d", 2, "n", "h"),
            canonical_request("POST", "/v1/outbox", "d", 1, "m", "h"),
            canonical_request("POST", "/v1/outbox", "d", 1, "n", "i"),
        ] {
            assert_ne!(other, base);
        }
    }
}

/// What a device signs for the receipt a resident keeps: the kind of record, its id, the device
/// and when it was made. The record carries the signature, so the server knows the receipt
/// before any officer asks about it.
pub fn resident_receipt_text(kind: &str, record_id: &str, device_id: &str, at: i64) -> Vec<u8> {
    format!("perlinsos/resident-receipt/v1\nkind={kind}\nrecord={record_id}\ndevice={device_id}\nat={at}\n")
        .into_bytes()
}

/// Crockford's base32: no I, L, O or U to misread.
const RECEIPT_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The short code printed on a receipt: 50 bits of SHA-256 over the signature, as `XXXXX-XXXXX`
/// (a million receipts stay clear of a shared code with odds of about 1 in 2,000).
pub fn receipt_code(signature: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, signature);
    let bits = digest
        .as_ref()
        .iter()
        .take(8)
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    let mut code = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            code.push('-');
        }
        let index = ((bits >> (59 - 5 * i)) & 31) as usize;
        code.push(RECEIPT_ALPHABET[index] as char);
    }
    code
}

/// Reads a typed code leniently: case, spaces and dashes ignored, `O`/`I`/`L` read as digits.
pub fn normalize_receipt_code(typed: &str) -> Option<String> {
    let mut clean = String::new();
    for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !RECEIPT_ALPHABET.contains(&(c as u8)) || !c.is_ascii() {
            return None;
        }
        clean.push(c);
    }
    (clean.len() == 10).then(|| format!("{}-{}", &clean[..5], &clean[5..]))
}

/// The QR payload of a receipt: `perlinsos-receipt:1:<kind>:<record id>:<device>:<at>:<sig hex>`.
pub fn receipt_payload(
    kind: &str,
    record_id: &str,
    device_id: &str,
    at: i64,
    sig_hex: &str,
) -> String {
    format!("perlinsos-receipt:1:{kind}:{record_id}:{device_id}:{at}:{sig_hex}")
}

/// A receipt's payload read back: (kind, record id, device, at, signature hex).
pub fn parse_receipt_payload(payload: &str) -> Option<(String, String, String, i64, String)> {
    let rest = payload.trim().strip_prefix("perlinsos-receipt:1:")?;
    let parts: Vec<&str> = rest.split(':').collect();
    let [kind, record, device, at, sig] = parts.as_slice() else {
        return None;
    };
    let at = at.parse().ok()?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    if !plain(kind) || !plain(record) || !plain(device) || sig.len() != 128 {
        return None;
    }
    Some((
        kind.to_string(),
        record.to_string(),
        device.to_string(),
        at,
        sig.to_string(),
    ))
}

#[cfg(test)]
mod receipt_tests {
    use super::*;

    #[test]
    fn codes_are_short_stable_and_read_leniently() {
        let code = receipt_code(&[7u8; 64]);
        assert_eq!(code.len(), 11);
        assert_eq!(code, receipt_code(&[7u8; 64]));
        assert_ne!(code, receipt_code(&[8u8; 64]));
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalize_receipt_code(&typed), Some(code));
        assert_eq!(normalize_receipt_code("ABC"), None);
        assert_eq!(normalize_receipt_code("ABCDE-FGHJU"), None);
        assert_eq!(
            normalize_receipt_code("abcde-fghjo").unwrap(),
            "ABCDE-FGHJ0"
        );
    }

    #[test]
    fn payloads_read_back_or_are_refused() {
        let sig = "ab".repeat(64);
        let payload = receipt_payload("visit.recorded", "V-1", "dev-1", 1_796_000_000_000, &sig);
        let (kind, record, device, at, read_sig) = parse_receipt_payload(&payload).unwrap();
        assert_eq!(
            (kind.as_str(), record.as_str(), device.as_str(), at),
            ("visit.recorded", "V-1", "dev-1", 1_796_000_000_000)
        );
        assert_eq!(read_sig, sig);
        assert!(parse_receipt_payload("perlinsos-receipt:1:a:b:c:x:ff").is_none());
        assert!(parse_receipt_payload("perlinsos-receipt:1:a:b/../c:d:1:ff").is_none());
        assert!(parse_receipt_payload("").is_none());
    }
}
