//! The sqrt(d_k) chapter's state, as it lives in the URL query:
//! `dk` (1-2048), `scale` (1/0), `t` (temperature), `seed`, and for the
//! training comparison `tdk` (16, 64 or 256) and `opt` (adam or sgd).

use super::training::{Opt, TRAIN_D_KS};
use crate::query::{build, Notes, Query};

pub const D_K_MIN: f64 = 1.0;
pub const D_K_MAX: f64 = 2048.0;
pub const T_MIN: f64 = 0.05;
pub const T_MAX: f64 = 20.0;
pub const SEED_MAX: i64 = 999_999;
/// Keys the single query attends over.
pub const N_KEYS: usize = 16;

#[derive(Clone, Debug, PartialEq)]
pub struct ScalingState {
    pub d_k: usize,
    pub scale: bool,
    pub temperature: f64,
    pub seed: u64,
    /// d_k of the two trained models.
    pub train_d_k: usize,
    pub opt: Opt,
}

impl Default for ScalingState {
    fn default() -> Self {
        ScalingState {
            d_k: 64,
            scale: true,
            temperature: 1.0,
            seed: 1,
            train_d_k: 64,
            opt: Opt::Adam,
        }
    }
}

impl ScalingState {
    /// Reads the state; bad values are clamped and explained in the notes.
    pub fn from_query(q: &Query) -> (Self, Vec<String>) {
        let d = ScalingState::default();
        let mut n = Notes::default();
        let s = ScalingState {
            d_k: n.int(q, "dk", "d_k", D_K_MIN as i64, D_K_MAX as i64, d.d_k as i64) as usize,
            scale: n.flag(q, "scale", "scaling", d.scale),
            temperature: n.float(q, "t", "temperature", T_MIN, T_MAX, d.temperature),
            seed: n.int(q, "seed", "seed", 0, SEED_MAX, d.seed as i64) as u64,
            train_d_k: match q.get("tdk") {
                None => d.train_d_k,
                Some(raw) => match raw.trim().parse::<usize>() {
                    Ok(v) if TRAIN_D_KS.contains(&v) => v,
                    _ => {
                        n.0.push(format!(
                            "training d_k = “{}” is not one of 16, 64, 256; using {}.",
                            raw.chars().take(24).collect::<String>(),
                            d.train_d_k
                        ));
                        d.train_d_k
                    }
                },
            },
            opt: if n.choice(q, "opt", "optimizer", &["adam", "sgd"], "adam") == "sgd" {
                Opt::Sgd
            } else {
                Opt::Adam
            },
        };
        (s, n.0)
    }

    /// The query string that restores this state.
    pub fn to_query(&self) -> String {
        build(&[
            ("dk", self.d_k.to_string()),
            ("scale", if self.scale { "1" } else { "0" }.to_string()),
            ("t", format!("{}", self.temperature)),
            ("seed", self.seed.to_string()),
            ("tdk", self.train_d_k.to_string()),
            ("opt", self.opt.key().to_string()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    #[test]
    fn round_trip_and_defaults() {
        let (d, notes) = ScalingState::from_query(&parse(""));
        assert_eq!(d, ScalingState::default());
        assert!(notes.is_empty());
        let s = ScalingState {
            d_k: 512,
            scale: false,
            temperature: 0.3,
            seed: 99,
            train_d_k: 256,
            opt: Opt::Sgd,
        };
        assert_eq!(ScalingState::from_query(&parse(&s.to_query())), (s, vec![]));
    }

    #[test]
    fn garbage_is_clamped_with_notes() {
        let (s, notes) = ScalingState::from_query(&parse(
            "dk=1e9&scale=%3Cb%3E&t=-1&seed=x&tdk=17&opt=rmsprop",
        ));
        assert_eq!(s.d_k, 2048);
        assert!(s.scale);
        assert_eq!(s.temperature, T_MIN);
        assert_eq!(s.seed, 1);
        assert_eq!((s.train_d_k, s.opt), (64, Opt::Adam));
        assert_eq!(notes.len(), 6, "{notes:?}");
    }
}
