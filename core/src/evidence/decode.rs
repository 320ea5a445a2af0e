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
    /// The raw EXIF block (TIFF structure), if the file has one.
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

fn jpeg(bytes: &[u8], long_side: u32) -> Result<Decoded> {
    use jpeg_decoder::{Decoder, PixelFormat};
    let mut decoder = Decoder::new(Cursor::new(bytes));
    // Even at full scale a picture within the pixel limit fits in this.
    decoder.set_max_decoding_buffer_size((MAX_PIXELS * 4) as usize);
    decoder.read_info().map_err(|_| corrupt())?;
    let info = decoder.info().ok_or_else(corrupt)?;
    let (source_width, source_height) = (u32::from(info.width), u32::from(info.height));
    check_dimensions(source_width, source_height)?;
    if info.pixel_format == PixelFormat::CMYK32 {
        return Err(Error::invalid("photo", ErrorCode::EvidenceCmykUnsupported));
    }
    let (want_w, want_h) = fit(source_width, source_height, long_side);
    if want_w < source_width {
        decoder
            .scale(want_w as u16, want_h as u16)
            .map_err(|_| corrupt())?;
    }
    let data = decoder.decode().map_err(|_| corrupt())?;
    let info = decoder.info().ok_or_else(corrupt)?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let (channels, data) = match info.pixel_format {
        PixelFormat::L8 => (1, data),
        PixelFormat::RGB24 => (3, data),
        // 12/16-bit grey, big-endian: keep the high byte.
        PixelFormat::L16 => (1, data.chunks_exact(2).map(|p| p[0]).collect()),
        PixelFormat::CMYK32 => {
            return Err(Error::invalid("photo", ErrorCode::EvidenceCmykUnsupported))
        }
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
        source_width,
        source_height,
        exif: decoder.exif_data().map(<[u8]>::to_vec),
    })
}

fn png(bytes: &[u8]) -> Result<Decoded> {
    use png::{BitDepth, ColorType, Decoder, Limits, Transformations};
    // The whole frame at 8 bits with alpha, plus the decoder's own buffers.
    let limits = Limits {
        bytes: (MAX_PIXELS * 4) as usize + (8 << 20),
    };
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
