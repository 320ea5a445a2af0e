//! Any bytes as a PMT model file, signed or plain, and as answers to it: no panic, no hang; a
//! model that passes its checks scores every answer set it accepts, with probabilities that
//! stay probabilities.
#![no_main]
use libfuzzer_sys::fuzz_target;
use perlinsos_core::pmt::model::Model;
use perlinsos_core::pmt::{self, signed, Answers, Preview};

fuzz_target!(|data: &[u8]| {
    // Model bytes, then optionally a NUL and answers JSON.
    let (model_bytes, answer_bytes) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    let _ = signed::verify(model_bytes, &[]);
    let Ok(model) = Model::parse(model_bytes) else {
        return;
    };
    let Ok(mut answers) = serde_json::from_slice::<Answers>(answer_bytes) else {
        return;
    };
    pmt::fill_derived(&model, &mut answers, "52.71.01.1004", 5);
    match pmt::preview(&model, &answers) {
        Ok(Preview::LogLinear {
            desil,
            desil_probabilities,
            probability_desil_1_4,
            ..
        }) => {
            assert!((1..=10).contains(&desil));
            let sum: f64 = desil_probabilities.iter().sum();
            assert!((sum - 1.0).abs() < 1e-6, "{sum}");
            assert!((0.0..=1.0 + 1e-9).contains(&probability_desil_1_4));
        }
        Ok(Preview::Scorecard { likelihood, .. }) => assert!((0.0..=1.0).contains(&likelihood)),
        Err(_) => {}
    }
});
