//! Decoding to 8-bit grey or RGB, as small as the target allows: a JPEG is decoded at the
//! smallest IDCT scale (1/8..1) that still covers the target, so a 12 MP photo never exists
//! at full size in memory.
use std::io::Cursor;

use super::sniff::{check_dimensions, Format, MAX_PIXELS};
use crate::error::{Error, ErrorCode, Result};

/// Interleaved 8-bit pixels, 1 (grey) or 3 (RGB) channels.
pub struct Pixels {
    pub width: u32,
    pub height: u32,
    pub channels: u8,
    pub data: Vec<u8>,
}

pub struct Decoded {
    pub pixels: Pixels,
    /// The picture's size in the file, before any scaling.
    pub source_width: u32,
    pub source_height: u32,
    /// The raw EXIF block (TIFF structure) of a PNG; a JPEG's is read from the file itself.
    pub exif: Option<Vec<u8>>,
}

fn corrupt() -> Error {
    Error::invalid("photo", ErrorCode::EvidenceCorrupt)
}

/// The size that fits `long_side`, never larger than the source.
pub fn fit(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(long_side) + u64::from(long) / 2) / u64::from(long)).max(1)
            as u32
    };
    (scale(width), scale(height))
}

pub fn decode(format: Format, bytes: &[u8], long_side: u32) -> Result<Decoded> {
    match format {
        Format::Jpeg => jpeg(bytes, long_side),
        Format::Png => png(bytes),
    }
}

/// The smallest libjpeg-turbo scaling factor (n/8, at most 1) whose output still covers the
/// target in both directions: the resize that follows then only ever shrinks a little.
fn scaling_for(width: usize, height: usize, target: (u32, u32)) -> turbojpeg::ScalingFactor {
    use turbojpeg::{Decompressor, ScalingFactor};
    Decompressor::supported_scaling_factors()
        .into_iter()
        .filter(|f| f.num() <= f.denom())
        .filter(|f| f.scale(width) >= target.0 as usize && f.scale(height) >= target.1 as usize)
        .min_by_key(|f| f.scale(width))
        .unwrap_or(ScalingFactor::ONE)
}

/// Width and height from a JPEG's header, without decoding it.
pub fn jpeg_size(bytes: &[u8]) -> Result<(u32, u32)> {
    let header = turbojpeg::read_header(bytes).map_err(|_| corrupt())?;
    let side = |v: usize| u32::try_from(v).map_err(|_| corrupt());
    Ok((side(header.width)?, side(header.height)?))
}

fn jpeg(bytes: &[u8], long_side: u32) -> Result<Decoded> {
    use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat};
    let mut decoder = Decompressor::new().map_err(|_| corrupt())?;
    let header = decoder.read_header(bytes).map_err(|_| corrupt())?;
    let (source_width, source_height) = jpeg_size(bytes)?;
    check_dimensions(source_width, source_height)?;
    let (format, channels) = match header.colorspace {
        Colorspace::CMYK | Colorspace::YCCK => {
            return Err(Error::invalid("photo", ErrorCode::EvidenceCmykUnsupported))
        }
        Colorspace::Gray => (PixelFormat::GRAY, 1u8),
        _ => (PixelFormat::RGB, 3u8),
    };
    let factor = scaling_for(
        header.width,
        header.height,
        fit(source_width, source_height, long_side),
    );
    decoder.set_scaling_factor(factor).map_err(|_| corrupt())?;
    // A progressive file with thousands of scans is a CPU bomb; real cameras write under 20.
    decoder.set_scan_limit(500).map_err(|_| corrupt())?;
    let scaled = header.scaled(factor);
    let mut data = vec![0; scaled.width * scaled.height * usize::from(channels)];
    let image = Image {
        pixels: &mut data[..],
        width: scaled.width,
        pitch: scaled.width * usize::from(channels),
        height: scaled.height,
        format,
    };
    // Truncated or damaged data is an error here (libjpeg-turbo's warnings included).
    decoder.decompress(bytes, image).map_err(|_| corrupt())?;
    Ok(Decoded {
        pixels: Pixels {
            width: scaled.width as u32,
            height: scaled.height as u32,
            channels,
            data,
        },
        source_width,
        source_height,
        exif: None,
    })
}

/// Width and height from a PNG's first chunk, when it is the IHDR where the format puts it.
fn png_header_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let ihdr = bytes.get(12..24)?;
    if &ihdr[..4] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(ihdr[4..8].try_into().ok()?);
    let height = u32::from_be_bytes(ihdr[8..12].try_into().ok()?);
    Some((width, height))
}

fn png(bytes: &[u8]) -> Result<Decoded> {
    use png::{BitDepth, ColorType, Decoder, Limits, Transformations};
    // The whole frame at 8 bits with alpha, plus the decoder's own buffers.
    let limits = Limits {
        bytes: (MAX_PIXELS * 4) as usize + (8 << 20),
    };
    // The header's size is checked before the decoder sees it: on 32-bit ARM the decoder's
    // own buffer arithmetic overflows first and would call a pixel bomb merely corrupt.
    if let Some((width, height)) = png_header_size(bytes) {
        check_dimensions(width, height)?;
    }
    let mut decoder = Decoder::new_with_limits(Cursor::new(bytes), limits);
    decoder.set_transformations(Transformations::EXPAND | Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|_| corrupt())?;
    let (width, height) = (reader.info().width, reader.info().height);
    check_dimensions(width, height)?;
    let exif = reader.info().exif_metadata.as_ref().map(|e| e.to_vec());
    let size = reader.output_buffer_size().ok_or_else(corrupt)?;
    let mut buffer = vec![0; size];
    let frame = reader.next_frame(&mut buffer).map_err(|_| corrupt())?;
    if frame.bit_depth != BitDepth::Eight {
        return Err(corrupt());
    }
    buffer.truncate(frame.buffer_size());
    // Transparent pixels are shown on white, as a gallery would.
    let over_white = |value: u8, alpha: u8| {
        ((u16::from(value) * u16::from(alpha) + 255 * (255 - u16::from(alpha)) + 127) / 255) as u8
    };
    let (channels, data) = match frame.color_type {
        ColorType::Grayscale => (1, buffer),
        ColorType::Rgb => (3, buffer),
        ColorType::GrayscaleAlpha => (
            1,
            buffer
                .chunks_exact(2)
                .map(|p| over_white(p[0], p[1]))
                .collect(),
        ),
        ColorType::Rgba => (
            3,
            buffer
                .chunks_exact(4)
                .flat_map(|p| [0, 1, 2].map(|c| over_white(p[c], p[3])))
                .collect(),
        ),
        ColorType::Indexed => return Err(corrupt()),
    };
    if data.len() != width as usize * height as usize * usize::from(channels) {
        return Err(corrupt());
    }
    Ok(Decoded {
        pixels: Pixels {
            width,
            height,
            channels,
            data,
        },
        source_width: width,
        source_height: height,
        exif,
    })
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn fit_never_upscales_and_keeps_the_aspect() {
        assert_eq!(fit(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit(800, 600, 1600), (800, 600));
        assert_eq!(fit(10_000, 3, 1600), (1600, 1));
    }
}
