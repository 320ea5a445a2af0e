//! The few EXIF facts evidence keeps — orientation, capture time, GPS — read from the raw block.
//! Everything else in it (maker notes, thumbnail, serial numbers) is dropped with the block.
use exif::{In, Reader, Tag, Value};

use super::Gps;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// EXIF orientation 1..=8; 1 when absent or invalid.
    pub orientation: u8,
    /// DateTimeOriginal as written by the camera ("2026-11-20T09:41:07"), local time.
    pub captured_at: Option<String>,
    pub gps: Option<Gps>,
}

/// The facts of a JPEG's EXIF segment (APP1), found by walking its markers.
pub fn read_jpeg(jpeg: &[u8]) -> Facts {
    match Reader::new().read_from_container(&mut std::io::Cursor::new(jpeg)) {
        Ok(exif) => facts_of(&exif),
        Err(_) => read(None),
    }
}

/// The facts of a raw EXIF block (a PNG's eXIf chunk).
pub fn read(raw: Option<&[u8]>) -> Facts {
    let facts = Facts {
        orientation: 1,
        ..Facts::default()
    };
    let Some(raw) = raw else {
        return facts;
    };
    let raw = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    match Reader::new().read_raw(raw.to_vec()) {
        Ok(exif) => facts_of(&exif),
        Err(_) => facts,
    }
}

fn facts_of(exif: &exif::Exif) -> Facts {
    let mut facts = Facts {
        orientation: 1,
        ..Facts::default()
    };
    if let Some(o) = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .filter(|o| (1..=8).contains(o))
    {
        facts.orientation = o as u8;
    }
    facts.captured_at = exif
        .get_field(Tag::DateTimeOriginal, In::PRIMARY)
        .or_else(|| exif.get_field(Tag::DateTime, In::PRIMARY))
        .and_then(|f| match &f.value {
            Value::Ascii(parts) => parts
                .first()
                .and_then(|a| exif::DateTime::from_ascii(a).ok()),
            _ => None,
        })
        .filter(|d| (1..=12).contains(&d.month) && (1..=31).contains(&d.day) && d.hour < 24)
        .map(|d| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                d.year, d.month, d.day, d.hour, d.minute, d.second
            )
        });
    let degrees = |tag, reference, negative: u8| -> Option<f64> {
        let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
            return None;
        };
        let [d, m, s] = [parts.first()?, parts.get(1)?, parts.get(2)?].map(|r| r.to_f64());
        let value = d + m / 60.0 + s / 3600.0;
        let sign = match &exif.get_field(reference, In::PRIMARY)?.value {
            Value::Ascii(r) if r.first().and_then(|r| r.first()) == Some(&negative) => -1.0,
            _ => 1.0,
        };
        value.is_finite().then_some(sign * value)
    };
    let lat = degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S');
    let lon = degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W');
    if let (Some(lat), Some(lon)) = (lat, lon) {
        if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
            facts.gps = Some(Gps {
                latitude: lat,
                longitude: lon,
            });
        }
    }
    facts
}
