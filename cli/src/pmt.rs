//! `perlinsos pmt questions|preview`: what a model asks, and what it says about a household.
//! Takes a model file as a district drafts it (plain JSON) or as published (signed envelope,
//! verified against `--public-key`).
use std::path::Path;
use std::process::ExitCode;

use perlinsos_core::pmt::model::Model;
use perlinsos_core::pmt::signed::{self, from_hex, SignedModel, TrustedKey};
use perlinsos_core::pmt::{self, Answers};
use perlinsos_core::Error;
use serde_json::json;

fn fail(message: String) -> ExitCode {
    eprintln!("perlinsos: {message}");
    ExitCode::from(2)
}

fn describe(error: &Error) -> String {
    match error {
        Error::Invalid(errors) => errors
            .iter()
            .map(|e| format!("{} [{}] {}", e.field, e.code.as_str(), e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("berkas tidak dapat dibaca ({}): {e}", path.display()))
}

pub fn load_model(path: &Path, public_key: Option<&str>) -> Result<Model, String> {
    let bytes = read(path)?;
    if let Ok(envelope) = serde_json::from_slice::<SignedModel>(&bytes) {
        let key = public_key
            .and_then(from_hex)
            .ok_or("model bertanda tangan: berikan --public-key (hex) penanda tangannya")?;
        let trusted = TrustedKey {
            key_id: envelope.key_id,
            public_key: key,
        };
        return signed::verify(&bytes, &[trusted]).map_err(|e| describe(&e));
    }
    let model: Model =
        serde_json::from_slice(&bytes).map_err(|e| format!("berkas model PMT tidak valid: {e}"))?;
    model.check().map_err(|e| describe(&e))?;
    Ok(model)
}

pub fn questions(model: &Path, public_key: Option<&str>) -> ExitCode {
    match load_model(model, public_key) {
        Ok(model) => {
            let out = json!({
                "model": model.id,
                "version": model.version,
                "title": model.title,
                "illustrative": model.illustrative,
                "source": model.source,
                "questions": model.questions,
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(message) => fail(message),
    }
}

pub struct PreviewArgs<'a> {
    pub model: &'a Path,
    pub public_key: Option<&'a str>,
    pub answers: &'a Path,
    pub line: Option<&'a str>,
    pub region: Option<&'a str>,
    pub household_size: Option<u32>,
}

pub fn preview(args: PreviewArgs<'_>) -> ExitCode {
    let model = match load_model(args.model, args.public_key) {
        Ok(model) => model,
        Err(message) => return fail(message),
    };
    let bytes = match read(args.answers) {
        Ok(bytes) => bytes,
        Err(message) => return fail(message),
    };
    let mut answers: Answers = match serde_json::from_slice(&bytes) {
        Ok(answers) => answers,
        Err(e) => return fail(format!("berkas jawaban tidak valid: {e}")),
    };
    if let (Some(region), Some(size)) = (args.region, args.household_size) {
        pmt::fill_derived(&model, &mut answers, region, size);
    }
    let result = match args.line {
        Some(line) => pmt::preview_for_line(&model, &answers, line),
        None => pmt::preview(&model, &answers),
    };
    match result {
        Ok(preview) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&preview).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            let errors: Vec<_> = error.field_errors().to_vec();
            println!("{}", json!({ "valid": false, "errors": errors }));
            ExitCode::from(1)
        }
    }
}
