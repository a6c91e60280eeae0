//! The cost chapter's state, as it lives in the URL query. Every parameter
//! is defined once here (key, range, default):
//!
//! * Count: `n` (2 to 1,000,000), `model` (a preset or `custom`) with `d`,
//!   `h`, `l` (d_model, heads, layers of the custom shape);
//! * Time it: `tmax` (largest timed n), `reps`, `cap` (ms per point);
//! * Sparse: `pat`, `sn`, `w`, `stride`, `g`, `blk`, `rb`, `L`, `seed`;
//! * Linear: `ln`, `lc`; tiled: `tn`, `tb`, `tq`, `ts`; ring: `rn`, `rp`,
//!   `rs`; KV cache: `kn`.
//!
//! [`read`] adds the checks that involve two parameters (heads must divide
//! d_model; the traced query and step must exist), each with a note.

use crate::query::{choice, url_state, Choice, ChoiceParam, FlagParam, IntParam, Query, SetParam};
use attention_core::cost::ModelShape;

/// Which model shape the counts use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Base,
    Gpt2,
    Big,
    Custom,
}

impl Choice for Preset {
    const ALL: &'static [Self] = &[Preset::Base, Preset::Gpt2, Preset::Big, Preset::Custom];
    fn key(self) -> &'static str {
        match self {
            Preset::Base => "base",
            Preset::Gpt2 => "gpt2",
            Preset::Big => "7b",
            Preset::Custom => "custom",
        }
    }
    /// The button's caption: the engine's name of the shape.
    fn label(self) -> &'static str {
        self.shape().map_or("Custom", |s| s.label)
    }
}

impl Preset {
    /// The engine's shape of a preset (`None` for custom).
    pub fn shape(self) -> Option<ModelShape> {
        match self {
            Preset::Base => Some(ModelShape::TRANSFORMER_BASE),
            Preset::Gpt2 => Some(ModelShape::GPT2_SMALL),
            Preset::Big => Some(ModelShape::LLAMA_7B_CLASS),
            Preset::Custom => None,
        }
    }
}

choice! {
    /// The sparse patterns of section 3.
    pub enum PatternKind {
        Full = "full", "Full",
        Causal = "causal", "Causal",
        Window = "window", "Sliding window",
        Dilated = "dilated", "Dilated / strided",
        LocalGlobal = "global", "Window + global tokens",
        RandomBlocks = "random", "Random blocks",
    }
}

pub const N: IntParam = IntParam::new("n", "sequence length n", 2, 1_000_000, 4096);
pub const MODEL: ChoiceParam<Preset> = ChoiceParam::new("model", "model", Preset::Gpt2);
pub const D_MODEL: IntParam = IntParam::new("d", "d_model", 8, 16384, 768);
pub const HEADS: IntParam = IntParam::new("h", "heads", 1, 128, 12);
pub const LAYERS: IntParam = IntParam::new("l", "layers", 1, 128, 12);

/// The lengths a timing run can stop at (it doubles from 32).
pub const TIMED_MAX: [usize; 6] = [128, 256, 512, 1024, 2048, 4096];
pub const T_MAX: SetParam = SetParam::new("tmax", "largest timed n", &TIMED_MAX, 4096);
pub const REPS: IntParam = IntParam::new("reps", "repeats per point", 1, 9, 3);
pub const CAP_MS: IntParam = IntParam::new("cap", "time cap per point (ms)", 100, 20_000, 4000);

pub const PATTERN: ChoiceParam<PatternKind> =
    ChoiceParam::new("pat", "pattern", PatternKind::Window);
pub const SPARSE_N: IntParam = IntParam::new("sn", "mask length", 16, 1024, 256);
pub const WINDOW: IntParam = IntParam::new("w", "window width w", 1, 1024, 33);
pub const STRIDE: IntParam = IntParam::new("stride", "stride", 1, 512, 16);
pub const GLOBALS: IntParam = IntParam::new("g", "global tokens", 0, 64, 2);
pub const BLOCK: IntParam = IntParam::new("blk", "block size", 1, 256, 32);
pub const PER_ROW: IntParam = IntParam::new("rb", "random blocks per row", 0, 16, 2);
pub const REACH_LAYERS: IntParam = IntParam::new("L", "layers L", 1, 256, 4);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 1);

pub const LIN_N: IntParam = IntParam::new("ln", "linear-attention length", 4, 256, 24);
pub const LIN_CAUSAL: FlagParam = FlagParam::new("lc", "causal linear attention", false);

pub const TILE_N: IntParam = IntParam::new("tn", "tiled length", 4, 512, 64);
pub const TILE_B: IntParam = IntParam::new("tb", "block size B", 1, 256, 16);
pub const TILE_Q: IntParam = IntParam::new("tq", "traced query", 1, 512, 1);
pub const TILE_STEP: IntParam = IntParam::new("ts", "key block shown", 1, 512, 1);

pub const RING_N: IntParam = IntParam::new("rn", "ring length", 4, 256, 24);
pub const RING_P: IntParam = IntParam::new("rp", "devices P", 1, 16, 4);
pub const RING_STEP: IntParam = IntParam::new("rs", "ring step", 1, 16, 1);

pub const KV_N: IntParam = IntParam::new("kn", "tokens generated", 2, 256, 48);

url_state! {
    pub struct CostState {
        pub n: usize = N,
        pub model: Preset = MODEL,
        pub d_model: usize = D_MODEL,
        pub heads: usize = HEADS,
        pub layers: usize = LAYERS,
        pub t_max: usize = T_MAX,
        pub reps: usize = REPS,
        pub cap_ms: usize = CAP_MS,
        pub pattern: PatternKind = PATTERN,
        pub sparse_n: usize = SPARSE_N,
        pub window: usize = WINDOW,
        pub stride: usize = STRIDE,
        pub globals: usize = GLOBALS,
        pub block: usize = BLOCK,
        pub per_row: usize = PER_ROW,
        pub reach_layers: usize = REACH_LAYERS,
        pub seed: u64 = SEED,
        pub lin_n: usize = LIN_N,
        pub lin_causal: bool = LIN_CAUSAL,
        pub tile_n: usize = TILE_N,
        pub tile_b: usize = TILE_B,
        /// 1-based in the page and the link.
        pub tile_q: usize = TILE_Q,
        /// 1-based.
        pub tile_step: usize = TILE_STEP,
        pub ring_n: usize = RING_N,
        pub ring_p: usize = RING_P,
        /// 1-based.
        pub ring_step: usize = RING_STEP,
        pub kv_n: usize = KV_N,
    }
}

impl CostState {
    /// The shape the counts use: the preset's, or the custom sizes.
    pub fn shape(&self) -> Result<ModelShape, String> {
        match self.model.shape() {
            Some(s) => Ok(s),
            None => ModelShape::new(self.d_model as u64, self.heads as u64, self.layers as u64)
                .map_err(|e| e.to_string()),
        }
    }

    /// Switches to a preset, copying its sizes into the custom fields (so a
    /// later edit starts from them).
    pub fn pick(&mut self, p: Preset) {
        let shape = p.shape().or_else(|| self.shape().ok());
        self.model = p;
        if let Some(s) = shape {
            self.d_model = usize::try_from(s.d_model).unwrap_or(self.d_model);
            self.heads = usize::try_from(s.heads).unwrap_or(self.heads);
            self.layers = usize::try_from(s.layers).unwrap_or(self.layers);
        }
    }

    /// Number of key blocks the traced query of the tiled section sees.
    pub fn tile_blocks(&self) -> usize {
        self.tile_n
            .div_ceil(self.tile_b.clamp(1, self.tile_n.max(1)))
    }
}

/// The largest divisor of `d` that is at most `h` (at least 1).
pub fn divisor_at_most(d: usize, h: usize) -> usize {
    (1..=h.min(d).max(1))
        .rev()
        .find(|x| d.is_multiple_of(*x))
        .unwrap_or(1)
}

/// Reads the state from the link: every parameter clamped by its own
/// definition, then the checks across parameters, each with a note.
pub fn read(q: &Query) -> (CostState, Vec<String>) {
    let (mut s, mut notes) = CostState::from_query(q);
    if s.model == Preset::Custom && !s.d_model.is_multiple_of(s.heads) {
        let h = divisor_at_most(s.d_model, s.heads);
        notes.push(format!(
            "{} heads do not divide d_model = {}; using {h} heads.",
            s.heads, s.d_model
        ));
        s.heads = h;
    }
    if s.tile_q > s.tile_n {
        notes.push(format!(
            "The traced query {} is past the last position {}; tracing {}.",
            s.tile_q, s.tile_n, s.tile_n
        ));
        s.tile_q = s.tile_n;
    }
    if s.ring_p > s.ring_n {
        notes.push(format!(
            "{} devices are more than the {} positions; using {}.",
            s.ring_p, s.ring_n, s.ring_n
        ));
        s.ring_p = s.ring_n;
    }
    if s.ring_step > s.ring_p {
        s.ring_step = s.ring_p;
    }
    // The step shown is clamped silently: it follows the block size.
    s.tile_step = s.tile_step.clamp(1, s.tile_blocks().max(1));
    (s, notes)
}

/// The query string of a state (for [`crate::chapters::UrlState`]).
pub fn write(s: &CostState) -> String {
    s.to_query()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    fn sample() -> CostState {
        CostState {
            n: 100_000,
            model: Preset::Custom,
            d_model: 1024,
            heads: 16,
            layers: 24,
            t_max: 1024,
            reps: 5,
            cap_ms: 900,
            pattern: PatternKind::RandomBlocks,
            sparse_n: 512,
            window: 9,
            stride: 7,
            globals: 3,
            block: 16,
            per_row: 3,
            reach_layers: 12,
            seed: 42,
            lin_n: 40,
            lin_causal: true,
            tile_n: 100,
            tile_b: 8,
            tile_q: 50,
            tile_step: 3,
            ring_n: 30,
            ring_p: 5,
            ring_step: 2,
            kv_n: 20,
        }
    }

    #[test]
    fn round_trip_and_defaults() {
        check_round_trip(CostState::from_query, CostState::to_query, sample());
        assert_eq!(read(&parse(&sample().to_query())), (sample(), vec![]));
        assert_eq!(read(&parse("")), (CostState::default(), vec![]));
    }

    #[test]
    fn garbage_is_clamped_with_notes() {
        let (s, notes) = read(&parse(
            "n=1e12&model=gpt9&tmax=3000&reps=-4&pat=%3Cb%3E&w=0&L=x&lc=maybe&seed=-1",
        ));
        assert_eq!(s.n, 1_000_000);
        assert_eq!(s.model, Preset::Gpt2);
        assert_eq!((s.t_max, s.reps), (4096, 1));
        assert_eq!(
            (s.pattern, s.window, s.reach_layers),
            (PatternKind::Window, 1, 4)
        );
        assert!(!s.lin_causal);
        assert_eq!(s.seed, 0);
        assert_eq!(notes.len(), 9, "{notes:?}");
        assert!(notes[0].contains("sequence length n") && notes[0].contains("1000000"));
    }

    #[test]
    fn checks_across_parameters_fix_and_explain() {
        let (s, notes) = read(&parse("model=custom&d=100&h=7&tn=8&tq=99&rn=4&rp=9&rs=9"));
        assert_eq!(s.heads, 5, "largest divisor of 100 up to 7");
        assert_eq!(s.shape().map(|s| s.heads), Ok(5));
        assert_eq!(s.tile_q, 8);
        assert_eq!((s.ring_p, s.ring_step), (4, 4));
        assert_eq!(notes.len(), 3, "{notes:?}");
        // A preset ignores the custom sizes.
        let (s, notes) = read(&parse("model=base&d=100&h=7"));
        assert!(notes.is_empty());
        assert_eq!(s.shape().map(|s| s.d_model), Ok(512));
    }

    #[test]
    fn picking_a_preset_copies_its_sizes() {
        let mut s = CostState::default();
        s.pick(Preset::Big);
        assert_eq!((s.d_model, s.heads, s.layers), (4096, 32, 32));
        s.pick(Preset::Custom);
        assert_eq!(s.shape().map(|s| s.d_model), Ok(4096));
        assert_eq!(divisor_at_most(12, 5), 4);
        assert_eq!(divisor_at_most(7, 1), 1);
    }
}
