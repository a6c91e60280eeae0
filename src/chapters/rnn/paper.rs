//! Section 4: "Attention Is All You Need" (Vaswani et al., 2017). The
//! transformer block drawn as a stack of the course's pieces, each linked
//! to the chapter that takes it apart, and the models that descend from
//! it, stated as facts. Short: the sections above do the teaching.

use crate::chapters::find;
use crate::router::Link;
use crate::widgets::section::Section;
use attention_core::cost::ModelShape;
use leptos::prelude::*;

/// One box of the drawn block: its text and the chapter that explains it.
pub struct Piece {
    pub text: &'static str,
    pub chapter: Option<&'static str>,
}

const fn piece(text: &'static str, chapter: Option<&'static str>) -> Piece {
    Piece { text, chapter }
}

/// The encoder, from input to output.
pub const ENCODER: &[Piece] = &[
    piece("Token embeddings + positional encoding", Some("position")),
    piece(
        "Multi-head self-attention: queries, keys and values",
        Some("qkv"),
    ),
    piece(
        "… scores divided by √d_k before the softmax",
        Some("scaling"),
    ),
    piece(
        "… several heads side by side, then joined",
        Some("multi-head"),
    ),
    piece(
        "Add & layer norm (the block's input added back, then normalised)",
        None,
    ),
    piece("Feed-forward network at each position", None),
    piece(
        "Add & layer norm (the block's input added back, then normalised)",
        None,
    ),
];

/// The decoder, from input to output.
pub const DECODER: &[Piece] = &[
    piece(
        "Output embeddings (shifted right) + positional encoding",
        Some("position"),
    ),
    piece(
        "Masked multi-head self-attention (a word sees only the words before it)",
        Some("multi-head"),
    ),
    piece("Add & layer norm", None),
    piece(
        "Cross-attention: queries from the decoder, keys and values from the encoder",
        Some("alignment"),
    ),
    piece("Add & layer norm", None),
    piece("Feed-forward network, add & layer norm", None),
    piece("Linear layer and softmax over the vocabulary", None),
];

/// The descendants, as facts: (name, year, what it keeps of the block).
pub const DESCENDANTS: &[(&str, &str, &str)] = &[
    (
        "GPT",
        "OpenAI, 2018",
        "the decoder stack alone (no cross-attention), trained to predict the next token",
    ),
    (
        "BERT",
        "Google, 2018",
        "the encoder stack alone, trained to fill in hidden words using both sides of the sentence",
    ),
    (
        "T5",
        "Google, 2019",
        "the full encoder–decoder, with every task written as text in and text out",
    ),
    (
        "LLaMA",
        "Meta, 2023",
        "a decoder-only stack with rotary positions (RoPE, chapter 8)",
    ),
    (
        "Claude",
        "Anthropic, 2023",
        "a family of large language models built on the transformer",
    ),
];

fn stack(title: &'static str, pieces: &'static [Piece], test_id: &'static str) -> impl IntoView {
    view! {
        <div class="block-stack" data-testid=test_id>
            <h3>{title}</h3>
            <ol>
                {pieces
                    .iter()
                    .map(|p| {
                        let link = p.chapter.and_then(find).map(|c| {
                            view! {
                                " "
                                <Link href=format!("/{}", c.slug)>{format!("(chapter {}: {})", c.number, c.title)}</Link>
                            }
                        });
                        view! { <li>{p.text}{link}</li> }
                    })
                    .collect_view()}
            </ol>
        </div>
    }
}

/// The heading of this section.
pub(super) const PAPER_TITLE: &str = "4 · The paper that followed: “Attention Is All You Need”";

/// Section 4.
#[component]
pub fn PaperSection() -> impl IntoView {
    let base = ModelShape::TRANSFORMER_BASE;
    view! {
        <Section id="paper-title" title=PAPER_TITLE>
            <p>
                "In 2017 Vaswani and seven co-authors at Google published a translation model with no recurrence and no convolution at all: only attention, feed-forward layers and positional encodings. "
                {format!(
                    "Their base model stacks {} such encoder blocks and {} decoder blocks of width {} with {} heads, and every piece of a block is one this course has taken apart:",
                    base.layers, base.layers, base.d_model, base.heads
                )}
            </p>
            <div class="block-diagram">
                {stack("Encoder block (repeated)", ENCODER, "encoder-block")}
                {stack("Decoder block (repeated)", DECODER, "decoder-block")}
            </div>
            <p>
                "Without a recurrence, all positions of a layer are computed at once (section 2) and every token is one attention step from every other (section 1). "
                "Its descendants keep the block and change what they train it on:"
            </p>
            <ul class="descendants" data-testid="descendants">
                {DESCENDANTS
                    .iter()
                    .map(|(name, who, what)| view! { <li><strong>{*name}</strong>{format!(" ({who}): {what}.")}</li> })
                    .collect_view()}
            </ul>
        </Section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_linked_chapter_exists_and_all_five_are_linked() {
        let linked: Vec<&str> = ENCODER
            .iter()
            .chain(DECODER)
            .filter_map(|p| p.chapter)
            .collect();
        for slug in &linked {
            assert!(find(slug).is_some(), "{slug}");
        }
        for want in ["qkv", "scaling", "multi-head", "position", "alignment"] {
            assert!(linked.contains(&want), "{want}");
        }
        assert_eq!(DESCENDANTS.len(), 5);
    }
}
