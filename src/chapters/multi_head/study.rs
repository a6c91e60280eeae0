//! The head study of the chapter ([`HeadStudy`]: every head labelled from
//! its measured attention, ranked by accuracy drop and by gradient
//! importance, and the pruning curves) as a [`Job`]: one held-out sentence
//! measured per unit. [`runner`] starts it by itself once the shipped model
//! is loaded.

use crate::training::{Job, Runner};
use attention_core::train::coref::Sentence;
use attention_core::train::head_study::{HeadReport, HeadStudy};
use attention_core::train::EncoderClassifier;
use std::sync::Arc;

/// The loaded model, compared by identity (the study's configuration: it is
/// checked every frame, and the weights are never compared).
#[derive(Clone, Debug)]
pub struct Loaded(pub Arc<EncoderClassifier>);

impl PartialEq for Loaded {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A study in progress.
pub struct Study {
    study: HeadStudy,
    /// Sentences measured so far.
    steps: usize,
}

/// What the page shows of the study: how far it is (whole percent) and,
/// once done, its report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StudyView {
    pub percent: usize,
    pub report: Option<HeadReport>,
}

impl Study {
    /// A study of `model` over `sentences`.
    pub fn new(model: &EncoderClassifier, sentences: Vec<Sentence>) -> Result<Self, String> {
        let study = HeadStudy::new(model, sentences).map_err(|e| e.to_string())?;
        Ok(Study { study, steps: 0 })
    }

    /// Whole percent done, as the status line shows it.
    fn percent(&self) -> usize {
        (self.study.progress() * 100.0).round() as usize
    }
}

impl Job for Study {
    type View = StudyView;

    fn work(&mut self) -> Result<bool, String> {
        self.study.step().map_err(|e| e.to_string())?;
        self.steps += 1;
        Ok(self.study.finished())
    }

    fn finished(&self) -> bool {
        self.study.finished()
    }

    fn units(&self) -> usize {
        self.steps
    }

    fn view(&self) -> StudyView {
        StudyView {
            percent: self.percent(),
            report: self.study.report(),
        }
    }

    /// The page changes when the percentage shown moves and when the report
    /// arrives.
    fn revision(&self) -> usize {
        self.percent() * 2 + usize::from(self.study.finished())
    }
}

/// The head study's runner.
pub type StudyRunner = Runner<Option<Loaded>, Study>;

// The study's own code (every head's measurement, the gradients, the
// pruning curves) is needed only once the model is there and the study
// starts: it loads then, after the first screen.
crate::loader::split_fn!(fn start_study(study: StudyRunner) in multi_head_study_start
    -> () => study.start());

/// Why the study did not start when its code could not be loaded.
pub const NOT_LOADED: &str =
    "its code did not arrive (offline, or the site was updated). Try again, or reload the page.";

/// Starts the study, loading its code first; if that fails the runner's
/// error says [`NOT_LOADED`].
pub fn start(study: StudyRunner) {
    leptos::task::spawn_local(async move {
        if start_study(study).await.is_err() {
            study.refuse(NOT_LOADED.into());
        }
    });
}

/// The study of `model` (once loaded) on `sentences`, started as soon as the
/// model is there. Before that its build fails with an empty message (the
/// page shows the model's loading status instead).
pub fn runner(
    model: impl Fn() -> Option<Loaded> + Send + Sync + 'static,
    sentences: Arc<Vec<Sentence>>,
) -> StudyRunner {
    Runner::auto_via(
        model,
        move |m: &Option<Loaded>| match m {
            Some(Loaded(m)) => Study::new(m, sentences.to_vec()),
            None => Err(String::new()),
        },
        start,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::shipped_coref;
    use attention_core::train::coref::Corpus;

    #[test]
    fn the_study_runs_to_a_report_and_publishes_only_visible_changes() {
        let m = shipped_coref();
        let sentences = Corpus::new().held_out(10, 5);
        let mut s = Study::new(&m, sentences.clone()).expect("builds");
        let v0 = s.view();
        assert_eq!((v0.percent, v0.report.is_none(), s.units()), (0, true, 0));
        let mut revisions = vec![s.revision()];
        let mut done = false;
        while !done {
            done = s.work().expect("measures");
            if revisions.last() != Some(&s.revision()) {
                revisions.push(s.revision());
            }
        }
        // One revision per visible change, far fewer than the units.
        assert!(revisions.len() <= 102 && revisions.len() < s.units());
        assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
        let v = s.view();
        assert!(Job::finished(&s));
        assert_eq!(v.percent, 100);
        let report = v.report.expect("a report");
        let direct = HeadStudy::new(&m, sentences)
            .expect("builds")
            .run()
            .expect("runs");
        assert_eq!(report, direct);
        assert!(Study::new(&m, Vec::new()).is_err());
    }

    #[test]
    fn loaded_models_compare_by_identity() {
        let a = Arc::new(shipped_coref());
        let b = Arc::new((*a).clone());
        assert_eq!(Loaded(a.clone()), Loaded(a.clone()));
        assert_ne!(Loaded(a), Loaded(b));
    }
}
