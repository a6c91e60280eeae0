//! The byte-level BPE at GPT-2's size (50,257 tokens), natively:
//! `python3 scripts/make_bpe_50k.py DIR` trains one with Hugging Face
//! `tokenizers`, then `BPE_DIR=DIR cargo bench -p attention-core --bench bpe`
//! checks that our ids equal `tokenizers`' on every text of `DIR/bench.json`
//! (exit 1 otherwise) and times loading `tokenizer.json` and encoding each
//! text. Without `BPE_DIR` it says so and does nothing.

use attention_core::gpt::bpe::Bpe;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
use std::time::Instant;

fn bench(c: &mut Criterion) {
    if let Err(e) = run(c) {
        eprintln!("bpe: {e}");
        std::process::exit(1);
    }
}

fn run(c: &mut Criterion) -> Result<(), String> {
    let Some(dir) = std::env::var_os("BPE_DIR") else {
        eprintln!("bpe: set BPE_DIR to a folder made by scripts/make_bpe_50k.py");
        return Ok(());
    };
    let dir = std::path::PathBuf::from(dir);
    let read =
        |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"));
    let json = read("tokenizer.json")?;
    let bench: Value = serde_json::from_str(&read("bench.json")?).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    let bpe = Bpe::from_tokenizer_json(&json).map_err(|e| e.to_string())?;
    println!(
        "bpe: loaded {} tokens in {:.1} ms (once, cold)",
        bpe.vocab_size(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    let texts = bench
        .get("texts")
        .and_then(Value::as_object)
        .ok_or("bench.json has no texts")?;
    for (name, text) in texts {
        let text = text.as_str().ok_or("a text is not a string")?;
        let want: Vec<usize> = bench
            .get("ids")
            .and_then(|i| i.get(name))
            .and_then(Value::as_array)
            .ok_or(format!("no ids for {name}"))?
            .iter()
            .map(|v| {
                v.as_u64()
                    .and_then(|u| usize::try_from(u).ok())
                    .ok_or(format!("{name}: an id is not a token number"))
            })
            .collect::<Result<_, _>>()?;
        let got = bpe.encode(text).map_err(|e| e.to_string())?;
        if got != want {
            let at = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
            return Err(format!(
                "{name}: ids differ from tokenizers' at token {at} ({} vs {} tokens)",
                got.len(),
                want.len()
            ));
        }
        println!("bpe: {name}: {} tokens, equal to tokenizers'", got.len());
        c.bench_function(&format!("bpe encode {name}"), |b| {
            b.iter(|| bpe.encode(std::hint::black_box(text)))
        });
    }
    c.bench_function("bpe load tokenizer.json (50k)", |b| {
        b.iter(|| Bpe::from_tokenizer_json(std::hint::black_box(&json)))
    });
    Ok(())
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
