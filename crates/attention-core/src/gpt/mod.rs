//! Real language models: GPT-2-family checkpoints as Hugging Face saves them.
//!
//! * [`safetensors`] reads and writes the weight files;
//! * [`model`] loads a GPT-2 configuration and its weights and runs the
//!   forward pass (logits, every head's attention, head ablation, loss);
//! * [`bpe`] is GPT-2's byte-level BPE tokenizer;
//! * [`not_letters`] is the generated table that makes `\p{L}` exact;
//! * [`heads`] measures attention heads (previous-token, induction, first
//!   token, distance) and labels them;
//! * [`train`] trains a tiny character-level GPT-2 on pasted text and
//!   exports it in the layout [`model`] loads.
//!
//! Checked against `transformers` on the fixtures that
//! `tests/reference/make_gpt2_fixtures.py` writes to `tests/fixtures/gpt2/`.

pub mod bpe;
pub mod heads;
pub mod model;
pub mod not_letters;
pub mod safetensors;
pub mod train;

/// The bytes of `tests/fixtures/gpt2/{name}`.
#[cfg(test)]
pub(crate) fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/gpt2/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}
