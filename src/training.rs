//! Long work in the page (training, measuring, timing): the one piece every
//! chapter uses, so the frame budget, the throttled snapshots, the rate, the
//! error, start / pause / reset and the reset on a new configuration live in
//! one place.
//!
//! A chapter describes its work as a [`Job`]: one piece of work per call of
//! [`Job::work`] (a training step or, where a step is long, a small part of
//! one; a sentence or a word of it measured), what the page shows of it
//! ([`Job::view`]), and how many units (steps, sentences) are done, which
//! the rate counts. [`Runner`] builds the job from a
//! configuration signal (steps, seed, …) and runs it over animation frames
//! through [`crate::frames::drive`], a slice of [`FRAME_BUDGET_MS`] per frame
//! (less while frames are slow). A unit is started only if it should end
//! before the frame's deadline, judged by the moving average of what the
//! job's units have cost (at least one unit per frame, so a job whose unit
//! is longer than a frame still moves, a frame at a time).
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

/// The view of an [`Runner::on_demand`] job before its first start.
pub const NOT_STARTED: &str = "Not started yet.";

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
    /// Work time of the frames since a unit was last counted (a unit may
    /// take several frames' calls of `work`).
    uncounted_ms: f64,
    /// Milliseconds spent working.
    busy_ms: f64,
    error: Option<String>,
    /// The job's units done so far, and whether it has finished.
    units: usize,
    finished: bool,
}

/// A job, the configuration it was built from, and what was last published.
struct Slot<C, J> {
    config: C,
    job: J,
    published: usize,
    last_publish: f64,
    /// What one call of [`Job::work`] costs, a moving average (ms).
    unit_ms: f64,
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
    /// The current configuration and its fresh job's view.
    fresh: Memo<(C, Result<J::View, String>)>,
    build: StoredValue<Build<C, J>, LocalStorage>,
    slot: StoredValue<Option<Slot<C, J>>, LocalStorage>,
    live: RwSignal<Option<Live<C, J::View>>>,
    running: RwSignal<bool>,
    /// The frame loop in charge (a counter) and the configuration it runs;
    /// an older loop ends itself.
    current_loop: StoredValue<(u64, Option<C>)>,
    /// Why the last start failed, for which configuration, and whether it
    /// was refused ([`Runner::refuse`]) rather than the job not building.
    start_error: RwSignal<Option<(C, String, bool)>>,
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
        Runner::with_mode(config, build, true)
    }

    /// Like [`Runner::new`], but the job is built only when the learner
    /// starts it (for work whose setup is costly and whose fresh state the
    /// page does not show): before that, [`Runner::view`] is
    /// `Err(NOT_STARTED)` and [`Runner::live`] is `None`.
    pub fn on_demand(
        config: impl Fn() -> C + Send + Sync + 'static,
        build: impl Fn(&C) -> Result<J, String> + 'static,
    ) -> Self {
        Runner::with_mode(config, build, false)
    }

    fn with_mode(
        config: impl Fn() -> C + Send + Sync + 'static,
        build: impl Fn(&C) -> Result<J, String> + 'static,
        eager: bool,
    ) -> Self {
        let config = Memo::new(move |_| config());
        let build: Build<C, J> = Box::new(build);
        let build = StoredValue::new_local(build);
        let slot = StoredValue::new_local(None::<Slot<C, J>>);
        // The fresh job for the current configuration, with that
        // configuration: built here once per configuration and kept for the
        // start button. Tracked readers read only this memo and `live`
        // (never `config` too: see ARCHITECTURE.md on effects).
        let fresh = Memo::new(move |_| {
            let c = config.get();
            if !eager {
                return (c, Err(NOT_STARTED.to_string()));
            }
            let job = build
                .try_with_value(|b| b(&c))
                .unwrap_or_else(|| Err("This page has been left.".into()));
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
                            unit_ms: 0.0,
                        });
                    }
                });
            }
            (c, view)
        });
        Runner {
            config,
            fresh,
            build,
            slot,
            live: RwSignal::new(None),
            running: RwSignal::new(false),
            current_loop: StoredValue::new((0, None)),
            start_error: RwSignal::new(None),
        }
    }

    /// Like [`Runner::new`], but starts by itself whenever its configuration
    /// changes and the job can be built (measurements the page shows as
    /// soon as their inputs are there).
    pub fn auto(
        config: impl Fn() -> C + Send + Sync + 'static,
        build: impl Fn(&C) -> Result<J, String> + 'static,
    ) -> Self {
        Runner::auto_via(config, build, |r: Self| r.start())
    }

    /// Like [`Runner::auto`], but each start goes through `start`, which
    /// ends in [`Runner::start`]: a page whose job's code sits behind a
    /// split point passes a function that loads it first (and reports a
    /// failure with [`Runner::refuse`]).
    pub fn auto_via(
        config: impl Fn() -> C + Send + Sync + 'static,
        build: impl Fn(&C) -> Result<J, String> + 'static,
        start: impl Fn(Self) + 'static,
    ) -> Self {
        let r = Runner::new(config, build);
        // The one effect that is not painting: it starts work, nothing else.
        Effect::new(move |_| {
            // Every new configuration (even one whose fresh view equals the
            // last one's) starts a run.
            if r.fresh.with(|f| f.1.is_ok()) {
                start(r);
            }
        });
        r
    }

    /// Records why the current configuration's run could not be started
    /// (its code did not load, say): [`Runner::error`] says so until a
    /// start succeeds or the configuration changes.
    pub fn refuse(&self, why: String) {
        if let Some(c) = self.config.try_get_untracked() {
            self.start_error.try_set(Some((c, why, true)));
        }
    }

    /// Reads the last run's published state if it is for the current
    /// configuration.
    fn with_live<R>(&self, f: impl FnOnce(&Live<C, J::View>) -> R) -> Option<R> {
        self.fresh.with(|(c, _)| {
            self.live
                .with(|l| l.as_ref().filter(|l| l.config == *c).map(f))
        })
    }

    /// The live view when the last run is for the current configuration,
    /// else the fresh job's (or the reason it could not be built).
    pub fn view(&self) -> Result<J::View, String> {
        match self.with_live(|l| l.view.clone()) {
            Some(v) => Ok(v),
            None => self.fresh.with(|f| f.1.clone()),
        }
    }

    /// Reads the current view without cloning it; `None` when the job could
    /// not be built (see [`Runner::error`]).
    pub fn with<R>(&self, f: impl FnOnce(&J::View) -> R) -> Option<R> {
        self.fresh.with(|(c, fresh)| {
            self.live
                .with(|l| match l.as_ref().filter(|l| l.config == *c) {
                    Some(l) => Some(f(&l.view)),
                    None => fresh.as_ref().ok().map(f),
                })
        })
    }

    /// The view published by a run for the current configuration, `None`
    /// before the first start (or after a reset).
    pub fn live(&self) -> Option<J::View> {
        self.with_live(|l| l.view.clone())
    }

    /// Whether a run has started for the current configuration.
    pub fn started(&self) -> bool {
        self.with_live(|_| ()).is_some()
    }

    /// Whether the current run has done any work (a paused one then
    /// continues rather than starts).
    pub fn progressed(&self) -> bool {
        self.with_live(|l| l.units > 0).unwrap_or(false)
    }

    /// Whether the current run's job has finished.
    pub fn finished(&self) -> bool {
        self.with_live(|l| l.finished).unwrap_or(false)
    }

    pub fn running(&self) -> bool {
        self.running.get()
    }

    /// Units per second of the current run, once measured.
    pub fn rate(&self) -> Option<f64> {
        self.with_live(|l| l.rate).flatten()
    }

    /// Seconds spent working in the current run.
    pub fn busy_seconds(&self) -> f64 {
        self.with_live(|l| l.busy_ms / 1000.0).unwrap_or(0.0)
    }

    /// Why the job could not be built, or why its run stopped.
    pub fn error(&self) -> Option<String> {
        self.fresh.with(|(c, fresh)| {
            let run = self.live.with(|l| {
                l.as_ref()
                    .filter(|l| l.config == *c)
                    .and_then(|l| l.error.clone())
            });
            let start = self.start_error.with(|e| {
                e.as_ref()
                    .filter(|(ec, _, _)| ec == c)
                    .map(|(_, e, _)| e.clone())
            });
            run.or(start).or_else(|| {
                fresh
                    .as_ref()
                    .err()
                    .filter(|e| e.as_str() != NOT_STARTED)
                    .cloned()
            })
        })
    }

    /// Whether the current configuration's start was refused
    /// ([`Runner::refuse`]: its code did not load, say) and not since
    /// retried with success: the page offers to try again.
    pub fn refused(&self) -> bool {
        self.fresh.with(|(c, _)| {
            self.start_error.with(|e| {
                e.as_ref()
                    .is_some_and(|(ec, _, refused)| *refused && ec == c)
            })
        })
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
        self.start_error.set(None);
        // The next start builds a fresh job.
    }

    /// Starts (or continues) the run for the current configuration; a
    /// finished job, or one built for another configuration, is replaced.
    pub fn start(&self) {
        // (A start that arrives after the page was left does nothing.)
        let Some(c) = self.config.try_get_untracked() else {
            return;
        };
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
                    unit_ms: 0.0,
                })),
                Some(Err(e)) => {
                    // Eager runners show the reason in their fresh view
                    // already; an on-demand one learns it only now.
                    self.start_error.set(Some((c, e, false)));
                    return;
                }
                None => return,
            }
        }
        if self.start_error.with_untracked(Option::is_some) {
            self.start_error.set(None);
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
            let mut calls = 0;
            while !done {
                // One unit at least per frame; another only if it should
                // end before the deadline, by what units have cost so far.
                let t = now_ms();
                if calls > 0 && t + s.unit_ms > deadline {
                    break;
                }
                match s.job.work() {
                    Ok(d) => done = d,
                    Err(e) => {
                        error = Some(e);
                        done = true;
                    }
                }
                calls += 1;
                let cost = now_ms() - t;
                s.unit_ms = if s.unit_ms > 0.0 {
                    s.unit_ms * 0.8 + cost * 0.2
                } else {
                    cost
                };
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
            outcome = Some((done, units, view, error, (s.job.units(), s.job.finished())));
        })?;
        let Some((done, units, view, error, (total, finished))) = outcome else {
            return Some(true);
        };
        let dt = now_ms() - t0;
        record_frame(units, dt);
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
                    uncounted_ms: 0.0,
                    busy_ms: 0.0,
                    error: None,
                    units: 0,
                    finished: false,
                }),
            };
            if let Some(v) = view {
                l.view = v;
            }
            l.busy_ms += dt;
            (l.units, l.finished) = (total, finished);
            l.uncounted_ms += dt;
            if units > 0 && l.uncounted_ms > 0.0 {
                let r = units as f64 / l.uncounted_ms * 1000.0;
                l.uncounted_ms = 0.0;
                l.rate = Some(l.rate.map_or(r, |old| old * 0.8 + r * 0.2));
            }
            if error.is_some() {
                l.error = error;
            }
        })?;
        Some(done)
    }
}

/// Adds one frame's work to `window.__attnRun` (`{units, workMs, frames,
/// maxSliceMs}`, summed over every runner of the page), which
/// `tests/e2e/bench_frames.mjs` reads. A few property writes per frame.
fn record_frame(units: usize, work_ms: f64) {
    use wasm_bindgen::JsValue;
    let Some(window) = web_sys::window() else {
        return;
    };
    let key = JsValue::from_str("__attnRun");
    let obj = js_sys::Reflect::get(&window, &key)
        .ok()
        .filter(JsValue::is_object)
        .unwrap_or_else(|| {
            let o = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&window, &key, &o);
            o.into()
        });
    let add = |name: &str, v: f64, max: bool| {
        let name = JsValue::from_str(name);
        let old = js_sys::Reflect::get(&obj, &name)
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        let new = if max { old.max(v) } else { old + v };
        let _ = js_sys::Reflect::set(&obj, &name, &JsValue::from_f64(new));
    };
    add("units", units as f64, false);
    add("workMs", work_ms, false);
    add("frames", 1.0, false);
    add("maxSliceMs", work_ms, true);
}
