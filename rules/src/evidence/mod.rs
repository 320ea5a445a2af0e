//! Evidence photos: intake of a JPEG or PNG within limits read from its header, normalization
//! (upright, long side 1600, JPEG quality 80 with 4:2:0 chroma, no metadata at all), identity
//! (SHA-256 and a perceptual hash), a signed attestation, and encrypted storage by content.
//! Capture time and GPS become fields of the record, never part of the image.
pub mod attest;
pub mod decode;
mod exif;
pub mod phash;
pub mod sniff;
pub mod transform;

use std::path::Path;

use ring::digest::{digest, SHA256};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, Result};
pub use decode::Pixels;
pub use sniff::{Format, MAX_INPUT_BYTES, MAX_PIXELS};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Longest side of the normalized picture; smaller pictures are never enlarged.
    pub long_side: u32,
    /// JPEG quality, 1..=100.
    pub quality: u8,
    /// Keep the photo's GPS as a field of the record; only where the person consented.
    pub keep_gps: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            long_side: 1600,
            quality: 80,
            keep_gps: false,
        }
    }
}

/// A photo ready to be stored, attested and sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// Baseline JPEG, sRGB (or grey), no EXIF, GPS, thumbnail, comment or ICC block.
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of `jpeg`.
    pub sha256: [u8; 32],
    pub phash: u64,
    pub source_format: Format,
    pub source_bytes: usize,
    pub source_width: u32,
    pub source_height: u32,
    /// The camera's capture time (EXIF DateTimeOriginal, local time), if it wrote one.
    pub captured_at: Option<String>,
    /// The camera's GPS, only when `Options::keep_gps`.
    pub gps: Option<Gps>,
}

impl Normalized {
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }

    pub fn phash_hex(&self) -> String {
        format!("{:016x}", self.phash)
    }
}

pub use crate::hex::encode as hex;

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// Normalizes a photo given as bytes. Bad input is refused with an EVIDENCE_* code; no input
/// panics, and memory stays bounded by the pixel limit.
pub fn ingest(bytes: &[u8], options: &Options) -> Result<Normalized> {
    let format = sniff::format_of(bytes)?;
    let long_side = options.long_side.clamp(16, 8192);
    let decoded = decode::decode(format, bytes, long_side)?;
    let facts = match format {
        Format::Jpeg => exif::read_jpeg(bytes),
        Format::Png => exif::read(decoded.exif.as_deref()),
    };
    let (width, height) = decode::fit(decoded.pixels.width, decoded.pixels.height, long_side);
    let resized = transform::resize(decoded.pixels, width, height)?;
    let upright = transform::orient(resized, facts.orientation);
    let phash = phash::hash(&upright);
    let jpeg = encode(&upright, options.quality.clamp(1, 100))?;
    Ok(Normalized {
        sha256: sha256(&jpeg),
        jpeg,
        width: upright.width,
        height: upright.height,
        phash,
        source_format: format,
        source_bytes: bytes.len(),
        source_width: decoded.source_width,
        source_height: decoded.source_height,
        captured_at: facts.captured_at,
        gps: facts.gps.filter(|_| options.keep_gps),
    })
}

/// The pixels of a JPEG at full size (the server's near-duplicate search hashes what it
/// received); the same limits and errors as [`ingest`].
pub fn decode_jpeg(bytes: &[u8]) -> Result<Pixels> {
    match sniff::format_of(bytes)? {
        Format::Jpeg => Ok(decode::decode(Format::Jpeg, bytes, u32::MAX)?.pixels),
        Format::Png => Err(Error::invalid(
            "photo",
            ErrorCode::EvidenceFormatUnsupported,
        )),
    }
}

/// [`ingest`] from a file; a file over the size limit is refused before it is read.
pub fn ingest_path(path: &Path, options: &Options) -> Result<Normalized> {
    let size = std::fs::metadata(path)?.len();
    if size > MAX_INPUT_BYTES as u64 {
        return Err(Error::invalid("photo", ErrorCode::EvidenceTooLarge));
    }
    ingest(&std::fs::read(path)?, options)
}

/// Encodes pixels as the normalized JPEG (4:2:0 chroma, no metadata).
pub fn encode(pixels: &decode::Pixels, quality: u8) -> Result<Vec<u8>> {
    use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};
    let failed = |_| Error::invalid("photo", ErrorCode::EvidenceCorrupt);
    let mut compressor = Compressor::new().map_err(failed)?;
    compressor.set_quality(i32::from(quality)).map_err(failed)?;
    let (format, subsamp) = if pixels.channels == 1 {
        (PixelFormat::GRAY, Subsamp::Gray)
    } else {
        (PixelFormat::RGB, Subsamp::Sub2x2)
    };
    compressor.set_subsamp(subsamp).map_err(failed)?;
    let width = pixels.width as usize;
    compressor
        .compress_to_vec(Image {
            pixels: &pixels.data[..],
            width,
            pitch: width * usize::from(pixels.channels),
            height: pixels.height as usize,
            format,
        })
        .map_err(failed)
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRecord {
    pub id: String,
    pub record_kind: String,
    pub record_id: String,
    pub sha256: String,
    pub phash: u64,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub source_bytes: u64,
    pub captured_at: i64,
    pub gps: Option<Gps>,
    pub camera_time: Option<String>,
    pub attestation: attest::Attestation,
    pub created_at: i64,
}
