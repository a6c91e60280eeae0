//! Long work in the page (training, measuring, timing): the one piece every
//! chapter uses, so the frame budget, the throttled snapshots, the rate, the
//! error, start / pause / reset and the reset on a new configuration live in
//! one place.
//!
//! A chapter describes its work as a [`Job`]: one unit at a time (a training
//! step, one sentence measured), what the page shows of it ([`Job::view`]),
//! and how many units are done. [`Runner`] builds the job from a
//! configuration signal (steps, seed, …) and runs it over animation frames
//! through [`crate::frames::drive`], a slice of [`FRAME_BUDGET_MS`] per frame.
//!
//! Nothing is synchronised by an effect. What the page shows is derived:
//! while the job that ran was built for the current configuration, the page
//! sees its last published view; as soon as the configuration changes, it
//! sees the fresh job's view for the new one (a `Memo`), and a running loop
//! stops itself on its next frame. The only effect here starts
//! [`Runner::auto`] jobs once their configuration can be built.

use crate::frames::{drive, now_ms};
use leptos::prelude::*;

/// Milliseconds of each animation frame given to work.
pub const FRAME_BUDGET_MS: f64 = 12.0;

/// Default: the page's view is refreshed at most this often while running.
pub const PUBLISH_MS: f64 = 200.0;

/// Work done a unit at a time.
pub trait Job: 'static {
    /// What the page shows of the job.
    type View: Clone + PartialEq + Send + Sync + 'static;

    /// Does one unit of work. `Ok(true)` once everything is done.
    fn work(&mut self) -> Result<bool, String>;

    /// Whether everything is done (a finished job is rebuilt on start).
    fn finished(&self) -> bool;

    /// Units done so far (the rate is units per second).
    fn units(&self) -> usize;

    /// What the page shows now.
    fn view(&self) -> Self::View;

    /// Changes whenever [`Job::view`] would show something new; the view is
    /// taken only then (default: every unit).
    fn revision(&self) -> usize {
        self.units()
    }

    /// The view is refreshed at most this often while running.
    fn publish_ms(&self) -> f64 {
        PUBLISH_MS
    }
}

/// What a run has published, for the configuration it was built for.
#[derive(Clone, PartialEq)]
struct Live<C, V> {
    config: C,
    view: V,
    /// Units per second, a moving average over frames.
    rate: Option<f64>,
    /// Milliseconds spent working.
    busy_ms: f64,
    error: Option<String>,
}

/// A job, the configuration it was built from, and what was last published.
struct Slot<C, J> {
    config: C,
    job: J,
    published: usize,
    last_publish: f64,
}

/// Builds a job from its configuration, or says why it cannot.
type Build<C, J> = Box<dyn Fn(&C) -> Result<J, String>>;

/// Runs a [`Job`] built from a configuration; `Copy`, so every closure of a
/// view can hold it.
pub struct Runner<C, J>
where
    C: Clone + PartialEq + Send + Sync + 'static,
    J: Job,
{
    config: Memo<C>,
    fresh: Memo<Result<J::View, String>>,
    build: StoredValue<Build<C, J>, LocalStorage>,
    slot: StoredValue<Option<Slot<C, J>>, LocalStorage>,
    live: RwSignal<Option<Live<C, J::View>>>,
    running: RwSignal<bool>,
    /// The frame loop in charge (a counter) and the configuration it runs;
    /// an older loop ends itself.
    current_loop: StoredValue<(u64, Option<C>)>,
}

impl<C, J> Clone for Runner<C, J>
where
    C: Clone + PartialEq + Send + Sync + 'static,
    J: Job,
{
    fn clone(&self) -> Self {
        *self
    }
}
impl<C, J> Copy for Runner<C, J>
where
    C: Clone + PartialEq + Send + Sync + 'static,
    J: Job,
{
}

impl<C, J> Runner<C, J>
where
    C: Clone + PartialEq + Send + Sync + 'static,
    J: Job,
{
    /// A runner for jobs built by `build` from `config`. Started by the
    /// learner ([`Runner::toggle`]).
    pub fn new(
        config: impl Fn() -> C + Send + Sync + 'static,
        build: impl Fn(&C) -> Result<J, String> + 'static,
    ) -> Self {
        let config = Memo::new(move |_| config());
        let build: Build<C, J> = Box::new(build);
        let build = StoredValue::new_local(build);
        let slot = StoredValue::new_local(None::<Slot<C, J>>);
        // The fresh job for the current configuration: built here once per
        // configuration and kept for the start button.
        let fresh = Memo::new(move |_| {
            let c = config.get();
            let job = build.try_with_value(|b| b(&c))?;
            let view = job.as_ref().map(Job::view).map_err(Clone::clone);
            if let Ok(job) = job {
                slot.update_value(|s| {
                    if s.as_ref()
                        .is_none_or(|s| s.config != c || s.job.units() == 0)
                    {
                        *s = Some(Slot {
                            config: c.clone(),
                            job,
                            published: usize::MAX,
                            last_publish: f64::NEG_INFINITY,
                        });
                    }
                });
            }
            Some(view)
        });
        let fresh = Memo::new(move |_| {
            fresh
                .get()
                .unwrap_or_else(|| Err("This page has been left.".into()))
        });
        Runner {
            config,
            fresh,
            build,
            slot,
            live: RwSignal::new(None),
            running: RwSignal::new(false),
            current_loop: StoredValue::new((0, None)),
        }
    }

    /// Like [`Runner::new`], but starts by itself whenever its configuration
    /// changes and the job can be built (measurements the page shows as
    /// soon as their inputs are there).
    pub fn auto(
        config: impl Fn() -> C + Send + Sync + 'static,
        build: impl Fn(&C) -> Result<J, String> + 'static,
    ) -> Self {
        let r = Runner::new(config, build);
        // The one effect that is not painting: it starts work, nothing else.
        Effect::new(move |_| {
            if r.fresh.with(Result::is_ok) {
                r.start();
            }
        });
        r
    }

    /// The live view when the last run is for the current configuration,
    /// else the fresh job's (or the reason it could not be built).
    pub fn view(&self) -> Result<J::View, String> {
        let live = self.live.with(|l| {
            l.as_ref()
                .filter(|l| self.config.with(|c| *c == l.config))
                .map(|l| l.view.clone())
        });
        match live {
            Some(v) => Ok(v),
            None => self.fresh.get(),
        }
    }

    /// Reads the current view without cloning it; `None` when the job could
    /// not be built (see [`Runner::error`]).
    pub fn with<R>(&self, f: impl FnOnce(&J::View) -> R) -> Option<R> {
        let current = self.config.with(|c| {
            self.live
                .with(|l| l.as_ref().is_some_and(|l| l.config == *c))
        });
        if current {
            self.live.with(|l| l.as_ref().map(|l| f(&l.view)))
        } else {
            self.fresh.with(|v| v.as_ref().ok().map(f))
        }
    }

    /// The view published by a run for the current configuration, `None`
    /// before the first start (or after a reset).
    pub fn live(&self) -> Option<J::View> {
        let c = self.config.get();
        self.live
            .with(|l| l.as_ref().filter(|l| l.config == c).map(|l| l.view.clone()))
    }

    /// Whether a run has started for the current configuration.
    pub fn started(&self) -> bool {
        let c = self.config.get();
        self.live
            .with(|l| l.as_ref().is_some_and(|l| l.config == c))
    }

    pub fn running(&self) -> bool {
        self.running.get()
    }

    /// Units per second of the current run, once measured.
    pub fn rate(&self) -> Option<f64> {
        let c = self.config.get();
        self.live
            .with(|l| l.as_ref().filter(|l| l.config == c).and_then(|l| l.rate))
    }

    /// Seconds spent working in the current run.
    pub fn busy_seconds(&self) -> f64 {
        let c = self.config.get();
        self.live.with(|l| {
            l.as_ref()
                .filter(|l| l.config == c)
                .map_or(0.0, |l| l.busy_ms / 1000.0)
        })
    }

    /// Why the job could not be built, or why its run stopped.
    pub fn error(&self) -> Option<String> {
        let c = self.config.get();
        let run_error = self.live.with(|l| {
            l.as_ref()
                .filter(|l| l.config == c)
                .and_then(|l| l.error.clone())
        });
        run_error.or_else(|| self.fresh.with(|f| f.as_ref().err().cloned()))
    }

    /// Starts or pauses.
    pub fn toggle(&self) {
        if self.running.get_untracked() {
            self.running.set(false);
        } else {
            self.start();
        }
    }

    /// Goes back to a fresh job for the current configuration.
    pub fn reset(&self) {
        self.running.set(false);
        self.slot.set_value(None);
        self.live.set(None);
        // The fresh memo only reruns on a new configuration: build now.
        let c = self.config.get_untracked();
        if let Some(Ok(job)) = self.build.try_with_value(|b| b(&c)) {
            self.slot.set_value(Some(Slot {
                config: c,
                job,
                published: usize::MAX,
                last_publish: f64::NEG_INFINITY,
            }));
        }
    }

    /// Starts (or continues) the run for the current configuration; a
    /// finished job, or one built for another configuration, is replaced.
    pub fn start(&self) {
        let c = self.config.get_untracked();
        let usable = self.slot.with_value(|s| {
            s.as_ref()
                .is_some_and(|s| s.config == c && !s.job.finished())
        });
        let looping = self.running.get_untracked()
            && self.current_loop.with_value(|l| l.1.as_ref() == Some(&c));
        if usable && looping {
            return;
        }
        if !usable {
            match self.build.try_with_value(|b| b(&c)) {
                Some(Ok(job)) => self.slot.set_value(Some(Slot {
                    config: c.clone(),
                    job,
                    published: usize::MAX,
                    last_publish: f64::NEG_INFINITY,
                })),
                // The fresh view already carries the reason.
                _ => return,
            }
        }
        let id = self.current_loop.with_value(|l| l.0).wrapping_add(1);
        self.current_loop.set_value((id, Some(c.clone())));
        let this = *self;
        this.running.set(true);
        drive(this.running, FRAME_BUDGET_MS, move |deadline| {
            this.frame(id, &c, deadline)
        });
    }

    /// One frame of work: `Some(true)` when the loop should stop.
    fn frame(&self, id: u64, started_for: &C, deadline: f64) -> Option<bool> {
        if self.current_loop.try_with_value(|l| l.0)? != id {
            // A newer loop runs this job now.
            return None;
        }
        let current = self.config.try_get_untracked()?;
        if current != *started_for {
            // A new configuration: this run is over.
            return Some(true);
        }
        let t0 = now_ms();
        let mut outcome = None;
        self.slot.try_update_value(|slot| {
            let Some(s) = slot.as_mut().filter(|s| s.config == current) else {
                // A new configuration: this run is over.
                return;
            };
            let before = s.job.units();
            let mut error = None;
            let mut done = s.job.finished();
            while !done && now_ms() < deadline {
                match s.job.work() {
                    Ok(d) => done = d,
                    Err(e) => {
                        error = Some(e);
                        done = true;
                    }
                }
            }
            let units = s.job.units().saturating_sub(before);
            let now = now_ms();
            let revision = s.job.revision();
            let due =
                revision != s.published && (done || now - s.last_publish >= s.job.publish_ms());
            let view = due.then(|| {
                s.published = revision;
                s.last_publish = now;
                s.job.view()
            });
            outcome = Some((done, units, view, error));
        })?;
        let Some((done, units, view, error)) = outcome else {
            return Some(true);
        };
        let dt = now_ms() - t0;
        self.live.try_update(|l| {
            let l = match l {
                Some(l) if l.config == current => l,
                _ => l.insert(Live {
                    config: current.clone(),
                    view: match &view {
                        Some(v) => v.clone(),
                        None => return,
                    },
                    rate: None,
                    busy_ms: 0.0,
                    error: None,
                }),
            };
            if let Some(v) = view {
                l.view = v;
            }
            l.busy_ms += dt;
            if units > 0 && dt > 0.0 {
                let r = units as f64 / dt * 1000.0;
                l.rate = Some(l.rate.map_or(r, |old| old * 0.8 + r * 0.2));
            }
            if error.is_some() {
                l.error = error;
            }
        })?;
        Some(done)
    }
}
