//! The RNN chapter's state, as it lives in the URL query. Every parameter
//! is defined once here (key, range, default):
//!
//! * Reach (section 1): `n` (2 to 512), `rho` (spectral radius of the
//!   recurrent matrices, 0.3 to 1.5), `act` (tanh or linear), `seed`,
//!   `at` (at initialisation or after the training of section 3);
//! * Schedule (section 2): `sn` (2 to 100,000), `p` (parallel workers),
//!   `tmax` (largest timed n), `reps`, `tseed`;
//! * Race (section 3): `steps`, `dmax` (longest distance trained and
//!   measured), `rseed`.

use crate::query::{choice, url_state, ChoiceParam, FloatParam, IntParam, SetParam};

choice! {
    /// The vanilla RNN's nonlinearity in section 1.
    pub enum Act {
        Tanh = "tanh", "tanh",
        Linear = "linear", "linear (no nonlinearity)",
    }
}

choice! {
    /// Which models section 1 measures.
    pub enum When {
        Init = "init", "At initialisation",
        Trained = "trained", "After training (section 3)",
    }
}

pub const N: IntParam = IntParam::new("n", "sequence length n", 2, 512, 128);
pub const RHO: FloatParam = FloatParam::new("rho", "spectral radius", 0.3, 1.5, 0.9);
pub const ACT: ChoiceParam<Act> = ChoiceParam::new("act", "nonlinearity", Act::Tanh);
pub const SEED: IntParam = IntParam::seed("seed", "seed", 1);
pub const WHEN: ChoiceParam<When> = ChoiceParam::new("at", "models", When::Init);

pub const SCHED_N: IntParam = IntParam::new("sn", "sequence length n", 2, 100_000, 10_000);
pub const WORKERS: IntParam = IntParam::new("p", "parallel workers P", 1, 1_000_000_000, 1_000_000);
/// The lengths a timing run can stop at (it doubles from 16).
pub const TIMED_MAX: [usize; 4] = [256, 512, 1024, 2048];
pub const T_MAX: SetParam = SetParam::new("tmax", "largest timed n", &TIMED_MAX, 1024);
pub const REPS: IntParam = IntParam::new("reps", "repeats per point", 1, 9, 3);
pub const TIMING_SEED: IntParam = IntParam::seed("tseed", "timing seed", 1);

pub const STEPS: IntParam = IntParam::new("steps", "training steps", 10, 2000, 300);
/// Longest distances the race can train on.
pub const DISTANCES: [usize; 4] = [8, 16, 32, 64];
pub const D_MAX: SetParam = SetParam::new("dmax", "longest distance d", &DISTANCES, 16);
pub const RACE_SEED: IntParam = IntParam::seed("rseed", "training seed", 1);

url_state! {
    pub struct RnnState {
        pub n: usize = N,
        pub rho: f64 = RHO,
        pub act: Act = ACT,
        pub seed: u64 = SEED,
        pub when: When = WHEN,
        pub sched_n: usize = SCHED_N,
        pub workers: usize = WORKERS,
        pub t_max: usize = T_MAX,
        pub reps: usize = REPS,
        pub timing_seed: u64 = TIMING_SEED,
        pub steps: usize = STEPS,
        pub d_max: usize = D_MAX,
        pub race_seed: u64 = RACE_SEED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{check_round_trip, parse};

    fn sample() -> RnnState {
        RnnState {
            n: 300,
            rho: 1.1,
            act: Act::Linear,
            seed: 7,
            when: When::Trained,
            sched_n: 100_000,
            workers: 64,
            t_max: 2048,
            reps: 5,
            timing_seed: 4,
            steps: 40,
            d_max: 32,
            race_seed: 3,
        }
    }

    #[test]
    fn round_trip_and_defaults() {
        check_round_trip(RnnState::from_query, RnnState::to_query, sample());
        let d = RnnState::default();
        assert_eq!(
            (d.n, d.rho, d.act, d.when),
            (128, 0.9, Act::Tanh, When::Init)
        );
        assert_eq!((d.steps, d.d_max, d.race_seed), (300, 16, 1));
    }

    #[test]
    fn garbage_is_clamped_with_notes() {
        let (s, notes) = RnnState::from_query(&parse(
            "n=99999&rho=7&act=%3Cb%3E&seed=-3&at=later&sn=1e9&p=0&tmax=3&reps=x&steps=1&dmax=17&rseed=abc",
        ));
        assert_eq!(
            (s.n, s.rho, s.act, s.when),
            (512, 1.5, Act::Tanh, When::Init)
        );
        assert_eq!((s.sched_n, s.workers, s.t_max), (100_000, 1, 1024));
        assert_eq!((s.steps, s.d_max), (10, 16));
        assert_eq!(s.seed, 0);
        assert_eq!(notes.len(), 12, "{notes:?}");
        assert!(notes[0].contains("sequence length n") && notes[0].contains("512"));
        assert!(notes.iter().any(|n| n.contains("spectral radius")));
        // Nothing in the link: the defaults, no notes.
        assert_eq!(RnnState::from_query(&parse("")).1, Vec::<String>::new());
    }
}
