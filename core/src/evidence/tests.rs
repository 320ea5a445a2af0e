use std::collections::HashSet;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};

use super::*;
use crate::crypt::{Cipher, DataKey};
use crate::error::{ErrorCode, Result};

const CAM1_O6: &[u8] = include_bytes!("../../data/photos/cam1_kleiber_o6.jpg");
const CAM2: &[u8] = include_bytes!("../../data/photos/cam2_wood.jpg");
const CAM3: &[u8] = include_bytes!("../../data/photos/cam3_ladybird.jpg");

fn code(result: Result<Normalized>) -> ErrorCode {
    match result {
        Err(e) => e.field_errors()[0].code,
        Ok(n) => panic!("accepted a {}x{} picture", n.width, n.height),
    }
}

fn decode_rgb(jpeg: &[u8]) -> decode::Pixels {
    decode::decode(Format::Jpeg, jpeg, 100_000).unwrap().pixels
}

fn jpeg_of(pixels: &decode::Pixels, quality: u8) -> Vec<u8> {
    encode(pixels, quality).unwrap()
}

/// Every APP segment of a JPEG (marker byte), walking the header up to the scan.
fn app_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        let marker = jpeg[i + 1];
        if marker == 0xDA {
            break;
        }
        if (0xE0..=0xEF).contains(&marker) || marker == 0xFE {
            markers.push(marker);
        }
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    markers
}

#[test]
fn sample_photos_come_out_upright_small_and_without_metadata() {
    for (bytes, size) in [
        (CAM1_O6, (1200, 1600)),
        (CAM2, (1600, 1200)),
        (CAM3, (1600, 1200)),
    ] {
        let photo = ingest(bytes, &Options::default()).unwrap();
        assert_eq!((photo.width, photo.height), size);
        assert_eq!((photo.source_width, photo.source_height), (4000, 3000));
        assert_eq!(photo.captured_at.as_deref(), Some("2026-11-20T09:41:07"));
        assert_eq!(photo.gps, None, "GPS is kept only with consent");
        // The output's header, decoded independently, agrees; no APP1 (EXIF/XMP), APP2 (ICC),
        // comment or any segment but JFIF's APP0.
        let pixels = decode_rgb(&photo.jpeg);
        assert_eq!((pixels.width, pixels.height), size);
        assert!(app_markers(&photo.jpeg).iter().all(|&m| m == 0xE0));
        for needle in [&b"Exif"[..], b"GPS", b"samsung", b"SAMSUNG", b"2026:11:20"] {
            assert!(!photo.jpeg.windows(needle.len()).any(|w| w == needle));
        }
        assert!(
            photo.jpeg.len() < bytes.len() / 5,
            "{} bytes",
            photo.jpeg.len()
        );
        assert_eq!(photo.sha256, super::sha256(&photo.jpeg));
    }
}

#[test]
fn the_sideways_photo_is_turned_the_right_way() {
    // The stored picture turned 90° clockwise: its first stored column, read bottom-up, is
    // the output's top row. Compare a downscaled stored picture turned by hand.
    let stored = decode::decode(Format::Jpeg, CAM1_O6, 400).unwrap().pixels;
    let stored = transform::resize(stored, 400, 300).unwrap();
    let out = ingest(CAM1_O6, &Options::default()).unwrap();
    let upright = transform::resize(decode_rgb(&out.jpeg), 300, 400).unwrap();
    let mut error = 0u64;
    let mut flipped_error = 0u64;
    for y in 0..400usize {
        for x in 0..300usize {
            let out_px = upright.data[(y * 300 + x) * 3] as i64;
            // Orientation 6: output (x, y) comes from stored (y, h-1-x).
            let cw = stored.data[((299 - x) * 400 + y) * 3] as i64;
            // The opposite turn, to show the test can tell them apart.
            let ccw = stored.data[(x * 400 + (399 - y)) * 3] as i64;
            error += (out_px - cw).unsigned_abs();
            flipped_error += (out_px - ccw).unsigned_abs();
        }
    }
    let pixels = 300 * 400;
    assert!(error / pixels < 6, "mean error {}", error / pixels);
    assert!(flipped_error / pixels > 3 * (error / pixels).max(1));
}

#[test]
fn gps_is_kept_as_a_field_only_with_consent() {
    let options = Options {
        keep_gps: true,
        ..Options::default()
    };
    let photo = ingest(CAM2, &options).unwrap();
    let gps = photo.gps.expect("GPS in the sample");
    // Kota Mataram.
    assert!((-8.7..-8.5).contains(&gps.latitude), "{gps:?}");
    assert!((116.0..116.2).contains(&gps.longitude), "{gps:?}");
    assert!(!photo.jpeg.windows(3).any(|w| w == b"GPS"));
}

#[test]
fn copies_of_a_photo_match_and_different_photos_do_not() {
    let originals: Vec<Normalized> = [CAM1_O6, CAM2, CAM3]
        .iter()
        .map(|b| ingest(b, &Options::default()).unwrap())
        .collect();
    for (i, a) in originals.iter().enumerate() {
        for b in &originals[i + 1..] {
            let d = phash::distance(a.phash, b.phash);
            eprintln!("different photos: {d} bits apart");
            assert!(d > 20, "different photos {d} bits apart");
            assert!(!phash::is_near_duplicate(a.phash, b.phash));
        }
    }
    for original in &originals {
        let pixels = decode_rgb(&original.jpeg);
        let (w, h) = (pixels.width, pixels.height);
        let mut copies = vec![jpeg_of(&pixels, 50), jpeg_of(&pixels, 95)];
        let half = transform::resize(decode_rgb(&original.jpeg), w / 2, h / 2).unwrap();
        copies.push(jpeg_of(&half, 80));
        // 3% cropped from each side.
        let (cx, cy) = (w as usize * 3 / 100, h as usize * 3 / 100);
        let (cw, ch) = (w as usize - 2 * cx, h as usize - 2 * cy);
        let mut data = Vec::with_capacity(cw * ch * 3);
        for y in cy..cy + ch {
            let row = (y * w as usize + cx) * 3;
            data.extend_from_slice(&pixels.data[row..row + cw * 3]);
        }
        let cropped = decode::Pixels {
            width: cw as u32,
            height: ch as u32,
            channels: 3,
            data,
        };
        copies.push(jpeg_of(&cropped, 80));
        for (n, copy) in copies.iter().enumerate() {
            let copy = ingest(copy, &Options::default()).unwrap();
            let d = phash::distance(original.phash, copy.phash);
            eprintln!("copy {n}: {d} bits apart");
            assert!(
                phash::is_near_duplicate(original.phash, copy.phash),
                "copy {n}: {d} bits"
            );
            assert_ne!(copy.sha256, original.sha256);
        }
    }
}

fn png_bytes(
    width: u32,
    height: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(depth);
    if color == png::ColorType::Indexed {
        encoder.set_palette(vec![0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 255, 255]);
    }
    encoder
        .write_header()
        .unwrap()
        .write_image_data(data)
        .unwrap();
    out
}

#[test]
fn png_in_every_common_shape_is_accepted() {
    use png::{BitDepth, ColorType};
    let (w, h) = (2000u32, 1000u32);
    let n = (w * h) as usize;
    let gradient = |c: usize| {
        (0..n * c)
            .map(|i| ((i / c) % 251) as u8)
            .collect::<Vec<u8>>()
    };
    let cases = [
        (ColorType::Rgb, BitDepth::Eight, gradient(3), 3),
        (ColorType::Rgba, BitDepth::Eight, gradient(4), 3),
        (ColorType::Grayscale, BitDepth::Eight, gradient(1), 1),
        (ColorType::GrayscaleAlpha, BitDepth::Eight, gradient(2), 1),
        (ColorType::Rgb, BitDepth::Sixteen, gradient(6), 3),
        (
            ColorType::Indexed,
            BitDepth::Eight,
            (0..n).map(|i| (i % 4) as u8).collect(),
            3,
        ),
    ];
    for (color, depth, data, channels) in cases {
        let bytes = png_bytes(w, h, color, depth, &data);
        let photo = ingest(&bytes, &Options::default()).unwrap();
        assert_eq!(
            (photo.width, photo.height),
            (1600, 800),
            "{color:?} {depth:?}"
        );
        assert_eq!(photo.source_format, Format::Png);
        let out = decode_rgb(&photo.jpeg);
        assert_eq!(out.channels, channels, "{color:?}");
    }
}

#[test]
fn a_small_grey_jpeg_is_kept_at_its_size() {
    let pixels = decode::Pixels {
        width: 640,
        height: 480,
        channels: 1,
        data: (0..640 * 480).map(|i| (i % 256) as u8).collect(),
    };
    let photo = ingest(&jpeg_of(&pixels, 90), &Options::default()).unwrap();
    assert_eq!((photo.width, photo.height), (640, 480), "never upscaled");
    assert_eq!(decode_rgb(&photo.jpeg).channels, 1);
    assert_eq!(photo.captured_at, None);
}

/// A minimal JPEG header claiming `width` x `height`: SOI, a baseline SOF0 with three
/// components, and nothing else.
fn jpeg_header(width: u16, height: u16) -> Vec<u8> {
    let mut b = vec![0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08];
    b.extend_from_slice(&height.to_be_bytes());
    b.extend_from_slice(&width.to_be_bytes());
    b.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    b
}

/// A real, small JPEG whose frame header is rewritten to claim 20,000 x 20,000 pixels.
fn jpeg_bomb() -> Vec<u8> {
    let small = decode::Pixels {
        width: 64,
        height: 64,
        channels: 3,
        data: vec![128; 64 * 64 * 3],
    };
    let mut jpeg = jpeg_of(&small, 80);
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline frame header");
    let side = 20_000u16.to_be_bytes();
    jpeg[sof + 5..sof + 9].copy_from_slice(&[side[0], side[1], side[0], side[1]]);
    jpeg
}

#[test]
fn hostile_files_get_clear_errors() {
    let mut random = vec![0u8; 100_000];
    crate::crypt::random_bytes(&mut random).unwrap();
    random[0] = 0x42;
    let truncated_jpeg = &CAM2[..CAM2.len() / 3];
    let big_png = png_bytes(
        100,
        100,
        png::ColorType::Rgb,
        png::BitDepth::Eight,
        &[7; 30_000],
    );
    let truncated_png = &big_png[..big_png.len() / 2];
    // PNG IHDR claiming 100,000 x 100,000 (10 gigapixels), CRC made right so only the size
    // is wrong.
    let mut png_bomb = big_png[..33].to_vec();
    png_bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    png_bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32fast::hash(&png_bomb[12..29]);
    png_bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    png_bomb.extend_from_slice(&big_png[33..]);
    let cases: Vec<(&str, Vec<u8>, ErrorCode)> = vec![
        ("zero bytes", vec![], ErrorCode::EvidenceEmpty),
        (
            "html named .jpg",
            b"<!DOCTYPE html><html>".to_vec(),
            ErrorCode::EvidenceFormatUnsupported,
        ),
        (
            "pdf",
            b"%PDF-1.7\n%\xe2\xe3".to_vec(),
            ErrorCode::EvidenceFormatUnsupported,
        ),
        ("random bytes", random, ErrorCode::EvidenceFormatUnsupported),
        (
            "truncated jpeg",
            truncated_jpeg.to_vec(),
            ErrorCode::EvidenceCorrupt,
        ),
        (
            "truncated png",
            truncated_png.to_vec(),
            ErrorCode::EvidenceCorrupt,
        ),
        (
            "jpeg claiming 20000x20000",
            jpeg_bomb(),
            ErrorCode::EvidenceTooManyPixels,
        ),
        (
            "jpeg header only",
            jpeg_header(4000, 3000),
            ErrorCode::EvidenceCorrupt,
        ),
        (
            "png of 10 gigapixels",
            png_bomb,
            ErrorCode::EvidenceTooManyPixels,
        ),
        (
            "webp",
            b"RIFF\x10\0\0\0WEBPVP8 ".to_vec(),
            ErrorCode::EvidenceFormatUnsupported,
        ),
    ];
    for (name, bytes, want) in cases {
        assert_eq!(code(ingest(&bytes, &Options::default())), want, "{name}");
    }
}

fn device_key() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()
}

#[test]
fn attestation_verifies_and_any_change_breaks_it() {
    let key = device_key();
    let public = key.public_key().as_ref().to_vec();
    let photo = ingest(CAM3, &Options::default()).unwrap();
    let gps = Some(Gps {
        latitude: -8.5833,
        longitude: 116.1167,
    });
    let att = attest::attest(
        &photo,
        1_795_000_000_000,
        gps,
        "device-01",
        "sanggahan-7",
        &key,
    )
    .unwrap();
    attest::verify(&att, &photo.jpeg, &public).unwrap();
    // Any byte of the image.
    for i in [0, 100, photo.jpeg.len() / 2, photo.jpeg.len() - 1] {
        let mut jpeg = photo.jpeg.clone();
        jpeg[i] ^= 1;
        assert!(attest::verify(&att, &jpeg, &public).is_err(), "byte {i}");
    }
    // Any field of the attestation.
    type Change = Box<dyn Fn(&mut attest::Attestation)>;
    let changes: Vec<Change> = vec![
        Box::new(|a| a.phash = format!("{:016x}", u64::from_str_radix(&a.phash, 16).unwrap() ^ 1)),
        Box::new(|a| a.captured_at += 1),
        Box::new(|a| a.gps = None),
        Box::new(|a| a.gps.as_mut().unwrap().latitude += 0.000_001),
        Box::new(|a| a.device_id = "device-02".into()),
        Box::new(|a| a.record_id = "sanggahan-8".into()),
        Box::new(|a| a.version = 2),
        Box::new(|a| a.width += 1),
        Box::new(|a| a.bytes += 1),
        Box::new(|a| a.signature.replace_range(0..2, "00")),
    ];
    for (n, change) in changes.iter().enumerate() {
        let mut changed = att.clone();
        change(&mut changed);
        assert!(
            attest::verify(&changed, &photo.jpeg, &public).is_err(),
            "change {n}"
        );
    }
    // Another device's key.
    let other = device_key();
    assert!(attest::verify(&att, &photo.jpeg, other.public_key().as_ref()).is_err());
    // The attestation travels as JSON and still verifies.
    let json = serde_json::to_string(&att).unwrap();
    let back: attest::Attestation = serde_json::from_str(&json).unwrap();
    attest::verify(&back, &photo.jpeg, &public).unwrap();
}

#[test]
fn blobs_are_sealed_by_content_and_orphans_removed() {
    let dir = tempfile::tempdir().unwrap();
    let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([9; 32])).unwrap());
    std::fs::write(dir.path().join("leftover.1234.tmp"), b"half").unwrap();
    let store = store::BlobStore::open(dir.path(), cipher.clone()).unwrap();
    assert!(
        !dir.path().join("leftover.1234.tmp").exists(),
        "crash leftovers removed"
    );
    let a = ingest(CAM2, &Options::default()).unwrap();
    let b = ingest(CAM3, &Options::default()).unwrap();
    let name_a = store.put(&a.jpeg).unwrap();
    assert_eq!(name_a, a.sha256_hex());
    assert_eq!(
        store.put(&a.jpeg).unwrap(),
        name_a,
        "same content, same blob"
    );
    let name_b = store.put(&b.jpeg).unwrap();
    assert_eq!(store.get(&name_a).unwrap().as_slice(), a.jpeg.as_slice());
    // On disk: no JPEG header, no run of the photo's bytes. (Not "no FF D8 FF anywhere": a
    // random ciphertext of this size holds those three bytes about once in a hundred runs.)
    let raw = std::fs::read(dir.path().join(format!("{name_a}.blob"))).unwrap();
    assert!(!raw.starts_with(&[0xFF, 0xD8]));
    assert!(!raw.windows(32).any(|w| a.jpeg[..32] == *w));
    assert!(!raw.windows(32).any(|w| a.jpeg[1000..1032] == *w));
    // Another key cannot open it; a tampered blob is refused.
    let other = store::BlobStore::open(
        dir.path(),
        Arc::new(Cipher::new(&DataKey::from_bytes([8; 32])).unwrap()),
    )
    .unwrap();
    assert!(other.get(&name_a).is_err());
    let mut tampered = raw.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    std::fs::write(dir.path().join(format!("{name_a}.blob")), &tampered).unwrap();
    assert!(store.get(&name_a).is_err());
    // Names that are not hashes never reach the file system.
    assert!(store.get("../../etc/passwd").is_err());
    // Orphans: only b is still referenced.
    let referenced: HashSet<String> = [name_b.clone()].into();
    assert_eq!(store.remove_orphans(&referenced).unwrap(), 1);
    assert_eq!(store.list().unwrap(), vec![name_b]);
}

mod book {
    use super::*;
    use crate::evidence::book::{Capture, EvidenceBook};
    use crate::store::Store;

    struct Fixture {
        dir: tempfile::TempDir,
        store: Arc<Store>,
        cipher: Arc<Cipher>,
        key: Ed25519KeyPair,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
        // Records are sealed at enqueue: the device makes the holding key they wait under.
        crate::session::device::Device::open_or_create(&store, b"keystore").unwrap();
        let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([4; 32])).unwrap());
        store.verify_key(&cipher).unwrap();
        Fixture {
            dir,
            store,
            cipher,
            key: device_key(),
        }
    }

    impl Fixture {
        fn book(&self) -> EvidenceBook {
            EvidenceBook::open(
                self.store.clone(),
                self.cipher.clone(),
                self.dir.path().join("evidence"),
            )
            .unwrap()
        }

        fn capture<'a>(&'a self, kind: &'a str, id: &'a str, gps: Option<Gps>) -> Capture<'a> {
            Capture {
                record_kind: kind,
                record_id: id,
                captured_at: 1_795_000_000_000,
                gps,
                device_id: "hp-01",
                device_key: &self.key,
                agent_id: "agen-1",
            }
        }
    }

    const HOUSE: Gps = Gps {
        latitude: -8.5833,
        longitude: 116.1167,
    };

    #[test]
    fn captured_evidence_is_attested_sealed_and_found_by_record() {
        let f = fixture();
        let book = f.book();
        let opts = Options::default();
        let a = book
            .capture(CAM2, &opts, f.capture("sanggahan", "s-1", Some(HOUSE)))
            .unwrap();
        let b = book
            .capture(CAM3, &opts, f.capture("sanggahan", "s-1", None))
            .unwrap();
        book.capture(CAM1_O6, &opts, f.capture("household", "h-1", None))
            .unwrap();
        let found = book.for_record("sanggahan", "s-1").unwrap();
        assert_eq!(found, vec![a.clone(), b]);
        assert_eq!(found[0].gps, Some(HOUSE));
        assert_eq!(found[0].camera_time.as_deref(), Some("2026-11-20T09:41:07"));
        let jpeg = book.photo(&a.id).unwrap();
        attest::verify(&a.attestation, &jpeg, f.key.public_key().as_ref()).unwrap();
        assert_eq!(
            a.attestation.record_id, a.id,
            "the attestation names the evidence row"
        );
        // The location is nowhere in the database in clear.
        let raw = std::fs::read(f.dir.path().join("device.db")).unwrap();
        let wal = std::fs::read(f.dir.path().join("device.db-wal")).unwrap_or_default();
        for bytes in [raw, wal] {
            assert!(!bytes.windows(7).any(|w| w == b"-8.5833"));
            assert!(!bytes.windows(8).any(|w| w == b"116.1167"));
        }
        assert_eq!(book.blob_names().unwrap().len(), 3);
    }

    #[test]
    fn a_refused_photo_leaves_nothing_behind() {
        let f = fixture();
        let book = f.book();
        let error = book
            .capture(
                &CAM2[..CAM2.len() / 2],
                &Options::default(),
                f.capture("sanggahan", "s-1", None),
            )
            .unwrap_err();
        assert_eq!(error.field_errors()[0].code, ErrorCode::EvidenceCorrupt);
        assert!(book.for_record("sanggahan", "s-1").unwrap().is_empty());
        assert!(book.blob_names().unwrap().is_empty());
    }

    #[test]
    fn blobs_go_when_their_last_record_goes_and_crash_leftovers_are_swept() {
        let f = fixture();
        let book = f.book();
        let opts = Options::default();
        // The same photo in two records shares one blob.
        let shared = book
            .capture(CAM2, &opts, f.capture("sanggahan", "s-1", None))
            .unwrap();
        book.capture(CAM2, &opts, f.capture("sanggahan", "s-2", None))
            .unwrap();
        book.capture(CAM3, &opts, f.capture("sanggahan", "s-1", None))
            .unwrap();
        assert_eq!(book.blob_names().unwrap().len(), 2);
        assert_eq!(book.remove_record("sanggahan", "s-1").unwrap(), 2);
        assert_eq!(book.blob_names().unwrap(), vec![shared.sha256.clone()]);
        assert_eq!(book.remove_record("sanggahan", "s-2").unwrap(), 1);
        assert!(book.blob_names().unwrap().is_empty());
        // A crash between the blob and its row: the blob is there, no row names it.
        let normalized = ingest(CAM3, &opts).unwrap();
        store::BlobStore::open(f.dir.path().join("evidence"), f.cipher.clone())
            .unwrap()
            .put(&normalized.jpeg)
            .unwrap();
        drop(book);
        let reopened = f.book();
        assert!(reopened.blob_names().unwrap().is_empty(), "swept on open");
    }

    #[test]
    fn near_duplicates_across_records_are_found() {
        let f = fixture();
        let book = f.book();
        let opts = Options::default();
        let first = book
            .capture(CAM2, &opts, f.capture("sanggahan", "s-1", None))
            .unwrap();
        book.capture(CAM3, &opts, f.capture("sanggahan", "s-1", None))
            .unwrap();
        // The same house photographed again: here, the photo re-encoded smaller.
        let again = ingest(
            CAM2,
            &Options {
                long_side: 900,
                quality: 60,
                keep_gps: false,
            },
        )
        .unwrap();
        let copy = book
            .capture(&again.jpeg, &opts, f.capture("sanggahan", "s-2", None))
            .unwrap();
        let found = book
            .near_duplicates(copy.phash, ("sanggahan", "s-2"))
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].evidence_id, first.id);
        assert!(book
            .near_duplicates(copy.phash, ("sanggahan", "s-1"))
            .unwrap()
            .iter()
            .all(|d| d.record_id != "s-1"));
    }
}

/// JPEG of `pixels` with libjpeg-turbo settings a test picks.
fn jpeg_with(pixels: &decode::Pixels, setup: impl Fn(&mut turbojpeg::Compressor)) -> Vec<u8> {
    let mut compressor = turbojpeg::Compressor::new().unwrap();
    compressor.set_quality(85).unwrap();
    setup(&mut compressor);
    compressor
        .compress_to_vec(turbojpeg::Image {
            pixels: &pixels.data[..],
            width: pixels.width as usize,
            pitch: pixels.width as usize * usize::from(pixels.channels),
            height: pixels.height as usize,
            format: if pixels.channels == 4 {
                turbojpeg::PixelFormat::CMYK
            } else {
                turbojpeg::PixelFormat::RGB
            },
        })
        .unwrap()
}

#[test]
fn progressive_and_arithmetic_jpegs_are_accepted_and_cmyk_refused() {
    let pixels = decode_rgb(&ingest(CAM3, &Options::default()).unwrap().jpeg);
    let progressive = jpeg_with(&pixels, |c| c.set_progressive(true).unwrap());
    let arithmetic = jpeg_with(&pixels, |c| c.set_arithmetic(true).unwrap());
    for (name, bytes) in [("progressive", progressive), ("arithmetic", arithmetic)] {
        let photo = ingest(&bytes, &Options::default()).unwrap();
        assert_eq!((photo.width, photo.height), (1600, 1200), "{name}");
    }
    let cmyk = decode::Pixels {
        width: 64,
        height: 48,
        channels: 4,
        data: vec![40; 64 * 48 * 4],
    };
    let cmyk = jpeg_with(&cmyk, |c| {
        c.set_colorspace(turbojpeg::Colorspace::YCCK).unwrap()
    });
    assert_eq!(
        code(ingest(&cmyk, &Options::default())),
        ErrorCode::EvidenceCmykUnsupported
    );
}

mod scoped {
    use super::*;
    use crate::audit::verify_chain;
    use crate::evidence::book::{Capture, EvidenceBook};
    use crate::store::Store;

    #[test]
    fn captures_are_audited_and_each_agent_reads_only_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
        // Records are sealed at enqueue: the device makes the holding key they wait under.
        crate::session::device::Device::open_or_create(&store, b"keystore").unwrap();
        let cipher = Arc::new(Cipher::new(&DataKey::from_bytes([4; 32])).unwrap());
        let key = Arc::new(device_key());
        let book = |agent: &str| {
            EvidenceBook::open(store.clone(), cipher.clone(), dir.path().join("evidence"))
                .unwrap()
                .for_agent(agent)
                .with_audit(key.clone())
        };
        let capture = |agent: &'static str, record: &'static str| Capture {
            record_kind: "household",
            record_id: record,
            captured_at: 1_795_000_000_000,
            gps: None,
            device_id: "hp-01",
            device_key: &key,
            agent_id: agent,
        };
        let (a, b) = (book("agen-a"), book("agen-b"));
        let opts = Options::default();
        let mine = a.capture(CAM2, &opts, capture("agen-a", "h-1")).unwrap();
        let theirs = b.capture(CAM3, &opts, capture("agen-b", "h-2")).unwrap();

        assert_eq!(
            a.for_record("household", "h-1").unwrap(),
            vec![mine.clone()]
        );
        assert!(a.for_record("household", "h-2").unwrap().is_empty());
        for refused in [a.get(&theirs.id).err(), a.photo(&theirs.id).err()] {
            assert_eq!(
                refused.unwrap().field_errors()[0].code,
                ErrorCode::EvidenceNotFound
            );
        }
        assert!(b.photo(&theirs.id).is_ok());
        // An agent's session cannot file a photo in another agent's name.
        let error = a
            .capture(CAM1_O6, &opts, capture("agen-b", "h-2"))
            .unwrap_err();
        assert_eq!(error.field_errors()[0].code, ErrorCode::SessionOutOfScope);

        let trail: Vec<(String, String, String)> = store
            .read(|conn| {
                let mut stmt =
                    conn.prepare("SELECT agent_id, action, record_id FROM audit ORDER BY seq")?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok(rows.collect::<rusqlite::Result<_>>()?)
            })
            .unwrap();
        let captured = |agent: &str, id: &str| {
            (
                agent.to_owned(),
                "evidence_captured".to_owned(),
                id.to_owned(),
            )
        };
        assert_eq!(
            trail,
            vec![captured("agen-a", &mine.id), captured("agen-b", &theirs.id)]
        );
        let chain = store
            .read(|conn| verify_chain(conn, key.public_key().as_ref()))
            .unwrap();
        assert_eq!(chain, Ok(2));
    }
}
