//! Lowercase hex, for hashes, keys and signatures in files and on the wire.

pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// None unless `text` is an even number of hex digits (either case).
pub fn decode(text: &str) -> Option<Vec<u8>> {
    // A table and a plain loop: sealed records arrive as hex, so this is on the server's
    // ingest path, and this crate is built for size (no inlining to count on).
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks_exact(2) {
        let (high, low) = (NIBBLES[usize::from(pair[0])], NIBBLES[usize::from(pair[1])]);
        if (high | low) & 0xf0 != 0 {
            return None;
        }
        out.push((high << 4) | low);
    }
    Some(out)
}

/// Each byte's value as a hex digit, or 0xff.
const NIBBLES: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

/// A lowercase hex SHA-256: the only name a content-addressed blob may have, on the phone and
/// on the server.
pub fn is_sha256_name(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_refuses_non_hex() {
        assert_eq!(super::encode(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(super::decode("00abff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(super::decode("0"), None);
        assert_eq!(super::decode("zz"), None);
        assert_eq!(super::decode("+1"), None);
        assert_eq!(super::decode("é1"), None);
        assert_eq!(super::decode("AbFf"), Some(vec![0xab, 0xff]));
        assert_eq!(super::decode(""), Some(vec![]));
        assert_eq!(super::decode("0g"), None);
        assert_eq!(super::decode("/0"), None);
        assert_eq!(super::decode(":0"), None);
        // Every byte pair: exactly the hex digits decode, to their value.
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let text = [a, b];
                let Ok(text) = std::str::from_utf8(&text) else {
                    continue;
                };
                // from_str_radix alone would take a sign ("+1").
                let expected = u8::from_str_radix(text, 16)
                    .ok()
                    .filter(|_| a.is_ascii_hexdigit() && b.is_ascii_hexdigit());
                assert_eq!(super::decode(text), expected.map(|v| vec![v]), "{text:?}");
            }
        }
    }
}
