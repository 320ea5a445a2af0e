//! Identifiers generated on the phone (UUID v7 text). They double as idempotency keys on the
//! server, so they must never repeat across devices: 74 random bits see to that. They are
//! time-ordered so that each new row lands at the end of its B-tree: random ids scatter every
//! insert over the index pages and multiply the pages each commit writes to the WAL.
use crate::crypt::random_bytes;
use crate::date::now_millis;
use crate::error::Result;

pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes[6..])?;
    let millis = now_millis().max(0) as u64;
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(36);
    for (i, byte) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push(HEX[usize::from(byte >> 4)] as char);
        text.push(HEX[usize::from(byte & 0x0f)] as char);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_uuid_v7_distinct_and_time_ordered() {
        let a = super::new_id().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = super::new_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "7");
        assert_eq!(a.matches('-').count(), 4);
        assert_eq!(a.find('-'), Some(8));
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert!(a < b);
    }
}
