//! The sqrt(d_k) chapter's state, as it lives in the URL query:
//! `dk` (1-2048), `scale` (1/0), `t` (temperature), `seed`, and for the
//! training comparison `tdk` (16, 64 or 256) and `opt` (adam or sgd).

use super::training::{Opt, TRAIN_D_KS};
use crate::query::{url_state, ChoiceParam, FlagParam, FloatParam, IntParam, SetParam};

pub const D_K: IntParam = IntParam::new("dk", "d_k", 1, 2048, 64);
pub const SCALE: FlagParam = FlagParam::new("scale", "scaling", true);
pub const TEMPERATURE: FloatParam = FloatParam::new("t", "temperature", 0.05, 20.0, 1.0);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 1);
pub const TRAIN_D_K: SetParam = SetParam::new("tdk", "training d_k", &TRAIN_D_KS, 64);
pub const OPT: ChoiceParam<Opt> = ChoiceParam::new("opt", "optimizer", Opt::Adam);
/// Keys the single query attends over.
pub const N_KEYS: usize = 16;

url_state! {
    pub struct ScalingState {
        pub d_k: usize = D_K,
        pub scale: bool = SCALE,
        pub temperature: f64 = TEMPERATURE,
        pub seed: u64 = SEED,
        /// d_k of the two trained models.
        pub train_d_k: usize = TRAIN_D_K,
        pub opt: Opt = OPT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    #[test]
    fn round_trip_and_defaults() {
        check_round_trip(
            ScalingState::from_query,
            ScalingState::to_query,
            ScalingState {
                d_k: 512,
                scale: false,
                temperature: 0.3,
                seed: 99,
                train_d_k: 256,
                opt: Opt::Sgd,
            },
        );
    }

    #[test]
    fn garbage_is_clamped_with_notes() {
        let (s, notes) = ScalingState::from_query(&parse(
            "dk=1e9&scale=%3Cb%3E&t=-1&seed=x&tdk=17&opt=rmsprop",
        ));
        assert_eq!(s.d_k, 2048);
        assert!(s.scale);
        assert_eq!(s.temperature, TEMPERATURE.min);
        assert_eq!(s.seed, 1);
        assert_eq!((s.train_d_k, s.opt), (64, Opt::Adam));
        assert_eq!(notes.len(), 6, "{notes:?}");
    }
}
