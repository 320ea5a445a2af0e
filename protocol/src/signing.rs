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
    use crate::wire::Outcome;
    let mut text = format!("perlinsos/push-receipt/v1\ndevice={device_id}\n");
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
