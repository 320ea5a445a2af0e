//! What a file is, and how big its picture is, read from its first bytes and its header only:
//! the limits are enforced before a single pixel is decoded.
use crate::error::{Error, ErrorCode, Result};

/// At most 25 MB of input.
pub const MAX_INPUT_BYTES: usize = 25 * 1024 * 1024;
/// At most 50 megapixels.
pub const MAX_PIXELS: u64 = 50_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
        }
    }
}

fn refuse(code: ErrorCode) -> Error {
    Error::invalid("photo", code)
}

/// The format, from magic bytes; the file name plays no part (an HTML page named `.jpg` is
/// refused here).
pub fn format_of(bytes: &[u8]) -> Result<Format> {
    if bytes.is_empty() {
        return Err(refuse(ErrorCode::EvidenceEmpty));
    }
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(refuse(ErrorCode::EvidenceTooLarge));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(Format::Png)
    } else if bytes.len() < 4 {
        Err(refuse(ErrorCode::EvidenceCorrupt))
    } else {
        // HEIC, WebP, GIF, PDF, HTML and anything else.
        Err(refuse(ErrorCode::EvidenceFormatUnsupported))
    }
}

/// Refuses a picture over the pixel limit (or with a zero side) before decoding.
pub fn check_dimensions(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(refuse(ErrorCode::EvidenceCorrupt));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(refuse(ErrorCode::EvidenceTooManyPixels));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(r: Result<Format>) -> ErrorCode {
        r.unwrap_err().field_errors()[0].code
    }

    #[test]
    fn formats_come_from_magic_bytes() {
        assert_eq!(format_of(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(), Format::Jpeg);
        assert_eq!(format_of(b"\x89PNG\r\n\x1a\n....").unwrap(), Format::Png);
        assert_eq!(code(format_of(b"")), ErrorCode::EvidenceEmpty);
        assert_eq!(
            code(format_of(b"<!DOCTYPE html>")),
            ErrorCode::EvidenceFormatUnsupported
        );
        assert_eq!(
            code(format_of(b"%PDF-1.7")),
            ErrorCode::EvidenceFormatUnsupported
        );
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0";
        assert_eq!(code(format_of(heic)), ErrorCode::EvidenceFormatUnsupported);
        assert_eq!(code(format_of(b"\xFF")), ErrorCode::EvidenceCorrupt);
        let huge = vec![0xFF; MAX_INPUT_BYTES + 1];
        assert_eq!(code(format_of(&huge)), ErrorCode::EvidenceTooLarge);
    }

    #[test]
    fn pixel_limit_is_fifty_megapixels() {
        assert!(check_dimensions(8660, 5773).is_ok());
        assert!(check_dimensions(10_000, 5_001).is_err());
        assert!(check_dimensions(65_535, 65_535).is_err());
        assert!(check_dimensions(0, 10).is_err());
    }
}
