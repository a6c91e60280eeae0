//! Section 1's state, as it lives in the URL query (every key starts with
//! `t`, so the other sections' keys cannot clash): `tsample` (which text:
//! a shipped sample, or `paste`), `tlayers` (1-4), `theads` (1, 2, 4, 8),
//! `tdmodel` (16-128, every option divisible by every head count), `tctx`
//! (context 16-128), `tlr` (Adam's learning rate), `tsteps` (where training
//! stops), `tseed`, `ttemp` (sampling temperature), `tablate` (0: every head
//! labelled induction; k: head k, counted over layers).
//!
//! A pasted text is not URL state (it may be a megabyte): it lives in the
//! page while it is open.

use super::samples::Sample;
use crate::query::{url_state, ChoiceParam, FloatParam, IntParam, SetParam};
use attention_core::gpt::train::TinyConfig;

/// Head counts offered.
pub const HEAD_OPTIONS: [usize; 4] = [1, 2, 4, 8];
/// Widths offered (each divisible by every head count).
pub const WIDTH_OPTIONS: [usize; 5] = [16, 32, 64, 96, 128];
/// Contexts offered.
pub const CONTEXT_OPTIONS: [usize; 4] = [16, 32, 64, 128];

pub const SAMPLE: ChoiceParam<Sample> = ChoiceParam::new("tsample", "text", Sample::Copying);
pub const LAYERS: IntParam = IntParam::new("tlayers", "layers", 1, 4, 2);
// The defaults are the copying sample's recipe (the default text): 2 layers
// of 2 heads, d_model 16, context 32, Adam 3e-3, 6,000 steps; an induction
// head appears in layer 2 within about 5,000 steps (1.3M characters;
// `crates/attention-core/tests/induction_recipe.rs`).
pub const HEADS: SetParam = SetParam::new("theads", "heads", &HEAD_OPTIONS, 2);
pub const D_MODEL: SetParam = SetParam::new("tdmodel", "d_model", &WIDTH_OPTIONS, 16);
pub const CONTEXT: SetParam = SetParam::new("tctx", "context", &CONTEXT_OPTIONS, 32);
pub const LR: FloatParam = FloatParam::new("tlr", "learning rate", 0.0003, 0.03, 0.003);
pub const STEPS: IntParam = IntParam::new("tsteps", "training steps", 50, 20000, 6000);
pub const SEED: IntParam = IntParam::seed("tseed", "seed", 1);
pub const TEMPERATURE: FloatParam = FloatParam::new("ttemp", "temperature", 0.0, 2.0, 0.8);
pub const ABLATE: IntParam = IntParam::new("tablate", "head switched off", 0, 32, 0);

/// Whether `key` is one of this section's URL keys (the lab's two sections
/// share the page's query: `UrlState::sharing`).
pub fn owns(key: &str) -> bool {
    [
        SAMPLE.key,
        LAYERS.key,
        HEADS.key,
        D_MODEL.key,
        CONTEXT.key,
        LR.key,
        STEPS.key,
        SEED.key,
        TEMPERATURE.key,
        ABLATE.key,
    ]
    .contains(&key)
}

url_state! {
    pub struct TrainState {
        pub sample: Sample = SAMPLE,
        pub layers: usize = LAYERS,
        pub heads: usize = HEADS,
        pub d_model: usize = D_MODEL,
        pub context: usize = CONTEXT,
        pub lr: f64 = LR,
        pub steps: usize = STEPS,
        pub seed: u64 = SEED,
        pub temperature: f64 = TEMPERATURE,
        /// 0: the heads labelled induction; `k`: head `k - 1` in layer-major order.
        pub ablate: usize = ABLATE,
    }
}

impl TrainState {
    /// The model size these settings ask for (always within
    /// [`TinyConfig::check`]'s limits: every offered width divides by every
    /// offered head count).
    pub fn model(&self) -> TinyConfig {
        TinyConfig {
            n_layer: self.layers,
            n_head: self.heads,
            d_model: self.d_model,
            context: self.context,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    #[test]
    fn round_trip_and_defaults() {
        let d = TrainState::default();
        // The copying recipe (the default sample's), not the engine's default.
        assert_eq!(
            d.model(),
            TinyConfig {
                n_layer: 2,
                n_head: 2,
                d_model: 16,
                context: 32
            }
        );
        check_round_trip(
            TrainState::from_query,
            TrainState::to_query,
            TrainState {
                sample: Sample::Sonnets,
                layers: 3,
                heads: 8,
                d_model: 32,
                context: 128,
                lr: 0.01,
                steps: 300,
                seed: 9,
                temperature: 0.0,
                ablate: 4,
            },
        );
    }

    #[test]
    fn every_offered_size_is_a_valid_model() {
        for layers in LAYERS.min..=LAYERS.max {
            for heads in HEAD_OPTIONS {
                for d_model in WIDTH_OPTIONS {
                    for context in CONTEXT_OPTIONS {
                        let s = TrainState {
                            layers: layers as usize,
                            heads,
                            d_model,
                            context,
                            ..TrainState::default()
                        };
                        assert!(s.model().check().is_ok(), "{s:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn garbage_is_replaced_with_notes() {
        let (s, notes) = TrainState::from_query(&parse(
            "tsample=%3Cscript%3E&tlayers=99&theads=3&tdmodel=65&tctx=0&tlr=NaN&tsteps=-5&tseed=x&ttemp=9&tablate=100",
        ));
        assert_eq!(s.sample, Sample::Copying);
        assert_eq!(s.layers, 4);
        assert_eq!((s.heads, s.d_model, s.context), (2, 16, 32));
        assert_eq!(s.steps, 50);
        assert_eq!(s.temperature, 2.0);
        assert_eq!(s.ablate, 32);
        assert_eq!(notes.len(), 10, "{notes:?}");
    }
}
