//! Lab section 1, "Train a tiny GPT on your text": pick a shipped sample
//! or paste a text ([`samples`]), set the model's size within safe limits
//! ([`state`], URL keys starting with `t`), and train a character-level GPT
//! in the page through the shared runner ([`job`]: a window or a probe per
//! unit). Live: the loss, tokens per second, a sample every
//! [`job::MEASURE_EVERY`] steps (its own runner, a character per unit), every
//! head's scores and label, the best induction score over the steps with
//! the step an induction head first appears, the in-context copying loss
//! with a head (or every induction head) switched off, and a download of
//! the model that section 2 (and `transformers`) can open.
//!
//! Data flow: URL -> `Memo<TrainState>`; text (sample or the pasted
//! signal) -> `Memo` of its check -> the runner's configuration; the run's
//! view -> memos of charts, tables and the ablation -> widgets that only
//! paint.

pub mod job;
pub mod samples;
pub mod state;

use crate::charts::plots::{CurveChart, Series};
use crate::router::{field, UrlState};
use crate::training::Runner;
use crate::widgets::chart::{curves, Chart};
use crate::widgets::choice::{ChoiceButtons, ChoiceGroup};
use crate::widgets::export::download_bytes;
use crate::widgets::measure::grouped_usize;
use crate::widgets::notes::Notes;
use crate::widgets::run_buttons::RunButtons;
use crate::widgets::section::Section;
use crate::widgets::slider::{FloatSlider, ParamNumber, ParamSlider};
use crate::widgets::table::{NumbersTable, TableData};
use attention_core::gpt::heads::INDUCTION_MIN;
use job::{Ablation, SampleConfig, SampleJob, TrainConfig, TrainJob, TrainView};
use leptos::prelude::*;
use samples::{check_text, normalise, Sample, TextInfo};
use state::TrainState;
use std::sync::Arc;

/// The section's heading.
pub const TRAIN_TITLE: &str = "1 · Train a tiny GPT on your text";

/// Most points a chart draws (longer histories are averaged in buckets).
const CHART_POINTS: usize = 400;

/// `(step, value)` pairs thinned to at most `max` by averaging runs of them.
pub fn thin(points: &[(usize, f64)], max: usize) -> Vec<(f64, f64)> {
    let per = points.len().div_ceil(max.max(1)).max(1);
    points
        .chunks(per)
        .filter_map(|c| {
            let last = c.last()?;
            let mean = c.iter().map(|p| p.1).sum::<f64>() / c.len() as f64;
            Some((last.0 as f64, mean))
        })
        .collect()
}

/// The loss chart of a run.
pub fn loss_chart(v: &TrainView) -> CurveChart {
    let points = thin(&v.losses, CHART_POINTS);
    let top = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    CurveChart {
        title: "Training loss".into(),
        x_label: "training step".into(),
        y_label: "loss (nats per character)".into(),
        y_range: (0.0, top * 1.05),
        series: vec![Series::primary("loss", points)],
        x_max: (v.step.max(job::MEASURE_EVERY * 4)) as f64,
    }
}

/// The best induction score of a head after the first layer over the
/// measured steps, the threshold, and a vertical line where an induction
/// head first appeared.
pub fn induction_chart(v: &TrainView) -> CurveChart {
    let x_max = (v.step.max(job::MEASURE_EVERY * 4)) as f64;
    let best: Vec<(f64, f64)> = v
        .measures
        .iter()
        .map(|m| (m.step as f64, m.best_induction))
        .collect();
    let mut series = vec![
        Series::primary("best induction score", best),
        Series::new(
            format!("threshold {INDUCTION_MIN}"),
            vec![(0.0, INDUCTION_MIN), (x_max, INDUCTION_MIN)],
            crate::charts::colormap::MASKED,
            true,
        ),
    ];
    if let Some(s) = v.first_induction {
        series.push(Series::secondary(
            format!("first induction head (step {s})"),
            vec![(s as f64, 0.0), (s as f64, 1.0)],
        ));
    }
    CurveChart {
        title: "Induction score of the best head".into(),
        x_label: "training step".into(),
        y_label: "induction score".into(),
        y_range: (0.0, 1.0),
        series,
        x_max,
    }
}

/// The numbers behind both charts, one row per measurement: its step, the
/// mean training loss of the steps since the row before (up to and
/// including this one; "—" when there were none) and the best induction
/// score of a head after the first layer (a run's `losses` and `measures`).
pub fn progress_table(losses: &[(usize, f64)], measures: &[job::Measure]) -> TableData {
    let mut prev = None::<usize>;
    let rows = measures.iter().map(|m| {
        let since: Vec<f64> = losses
            .iter()
            .filter(|(s, _)| *s <= m.step && prev.is_none_or(|p| *s > p))
            .map(|l| l.1)
            .collect();
        prev = Some(m.step);
        let loss = if since.is_empty() {
            "—".to_string()
        } else {
            format!("{:.3}", since.iter().sum::<f64>() / since.len() as f64)
        };
        vec![m.step.to_string(), loss, format!("{:.2}", m.best_induction)]
    });
    TableData::plain(
        &[
            "step",
            "training loss (mean since the row before)",
            "best induction score (after layer 1)",
        ],
        rows.collect::<Vec<_>>(),
    )
}

/// The heads table of the last measurement.
pub fn heads_table(v: &TrainView) -> TableData {
    let mut t = TableData::new(&[
        "head",
        "label",
        "previous token",
        "induction",
        "first token",
        "mean distance",
    ]);
    let nh = v
        .measures
        .last()
        .and_then(|m| m.heads.first())
        .map_or(1, Vec::len);
    if let Some(m) = v.measures.last() {
        t.rows = m
            .heads
            .iter()
            .enumerate()
            .flat_map(|(l, hs)| {
                hs.iter().enumerate().map(move |(h, s)| {
                    (
                        Some(format!(
                            "#{} layer {} head {}",
                            l * nh + h + 1,
                            l + 1,
                            h + 1
                        )),
                        vec![
                            s.label.name().to_string(),
                            format!("{:.2}", s.previous_token),
                            format!("{:.2}", s.induction.unwrap_or(0.0)),
                            format!("{:.2}", s.first_token),
                            format!("{:.1}", s.mean_distance),
                        ],
                    )
                })
            })
            .collect();
    }
    t
}

/// What the ablation line says.
pub fn ablation_summary(a: &Ablation, choice: usize) -> String {
    let names: Vec<String> = a
        .off
        .iter()
        .map(|(l, h)| format!("layer {} head {}", l + 1, h + 1))
        .collect();
    match a.ablated {
        None if choice == 0 => format!(
            "No head is labelled induction yet, so there is nothing to switch off. Copying loss with every head on: {:.2}.",
            a.intact
        ),
        None => format!("Copying loss with every head on: {:.2}.", a.intact),
        Some(off) => format!(
            "Copying loss with every head on: {:.2}; with {} switched off: {:.2} ({}{:.2}).",
            a.intact,
            names.join(", "),
            off,
            if off >= a.intact { "+" } else { "" },
            off - a.intact
        ),
    }
}

/// The text a run trains on, and its check.
fn current_text(sample: Sample, pasted: &str) -> Arc<str> {
    match sample.text() {
        Some(t) => t.into(),
        None => normalise(pasted).into(),
    }
}

/// Section 1 of the lab, a self-contained component with its own URL state.
#[component]
pub fn TrainSection() -> impl IntoView {
    let url = UrlState::sharing(
        super::SLUG,
        TrainState::from_query,
        TrainState::to_query,
        state::owns,
    );
    let state = url.state;
    let pasted = RwSignal::new(String::new());
    let text = Memo::new(move |_| {
        let sample = state.with(|s| s.sample);
        pasted.with(|p| current_text(sample, p))
    });
    let context = Memo::new(move |_| state.with(|s| s.context));
    let info: Memo<Result<TextInfo, String>> =
        Memo::new(move |_| text.with(|t| check_text(t, context.get())));
    let runner = Runner::on_demand(
        move || {
            state.with(|s| TrainConfig {
                text: text.get(),
                model: s.model(),
                lr: s.lr,
                steps: s.steps,
                seed: s.seed,
            })
        },
        move |c: &TrainConfig| {
            check_text(&c.text, c.model.context)?;
            TrainJob::new(c.clone())
        },
    );
    let view = Memo::new(move |_| runner.live());
    let snapshot = Memo::new(move |_| view.with(|v| v.as_ref().map(|v| v.snapshot.clone())));
    let sampler = Runner::auto(
        move || {
            snapshot.get().map(|snapshot| SampleConfig {
                snapshot,
                temperature: state.with(|s| s.temperature),
                seed: state.with(|s| s.seed),
            })
        },
        |c: &Option<SampleConfig>| match c {
            Some(c) => SampleJob::new(c),
            None => Err("Start training to see samples.".into()),
        },
    );
    view! {
        <Section id="train-title" title=TRAIN_TITLE class="training lab-train">
            <p>
                "A GPT with the architecture of GPT-2, shrunk to a few layers and heads, reads text one character at a time and learns to predict the next one. "
                "It trains here, in your browser, on a sample or on any text you paste; nothing is sent anywhere. "
                "As it trains, every head is measured on made-up letter sequences said twice, to see which heads look at the previous character and which have learned to copy: an induction head."
            </p>
            <Notes notes=url.notes />
            <TextPicker url=url pasted=pasted info=info />
            <Settings url=url />
            <div class="control-grid">
                <RunButtons prefix="ttrain" start="Start training" runner=runner seed=field!(url.seed) seed_param=state::SEED />
            </div>
            <Progress runner=runner view=view />
            <Charts view=view />
            <SamplePanel url=url sampler=sampler />
            <HeadsPanel view=view />
            <AblationPanel url=url view=view />
            <Download view=view />
        </Section>
    }
}

/// The sample choice, the pasting box and what the text holds.
#[component]
fn TextPicker(
    url: UrlState<TrainState>,
    pasted: RwSignal<String>,
    info: Memo<Result<TextInfo, String>>,
) -> impl IntoView {
    let state = url.state;
    let pasting = move || state.with(|s| s.sample == Sample::Paste);
    let preview = move || {
        state.with(|s| s.sample.text()).map(|t| {
            let head: String = t.chars().take(400).collect();
            view! { <pre class="sample-text" data-testid="tsample-preview">{head}"…"</pre> }
        })
    };
    let summary = move || {
        info.with(|i| match i {
            Ok(i) => format!(
                "{} characters, {} distinct (the vocabulary).",
                grouped_usize(i.chars),
                grouped_usize(i.distinct)
            ),
            Err(e) => e.clone(),
        })
    };
    let notes = Signal::derive(move || {
        info.with(|i| i.as_ref().map(|i| i.notes.clone()).unwrap_or_default())
    });
    let bad = move || info.with(Result::is_err);
    view! {
        <div class="controls lab-text">
            <ChoiceButtons label="Text to train on" test_prefix="tsample" bind=field!(url.sample) />
            <Show when=pasting fallback=preview>
                <label class="control">
                    <span>"Paste or type a text (up to 1 MB)"</span>
                    <textarea
                        data-testid="tpaste"
                        rows="8"
                        spellcheck="false"
                        prop:value=move || pasted.get()
                        on:input=move |ev| pasted.set(event_target_value(&ev))
                    ></textarea>
                </label>
            </Show>
            <p class="measure" class:error=bad data-testid="ttext-info" aria-live="polite">{summary}</p>
            <Notes notes=notes />
        </div>
    }
}

/// The model's size, learning rate, steps and temperature.
#[component]
fn Settings(url: UrlState<TrainState>) -> impl IntoView {
    view! {
        <div class="control-grid">
            <ParamSlider label="Layers" param=state::LAYERS bind=field!(url.layers) test_id="tlayers" />
            <ChoiceGroup label="Heads per layer" test_prefix="theads" options=&state::HEAD_OPTIONS bind=field!(url.heads) />
            <ChoiceGroup label="d_model (width)" test_prefix="tdmodel" options=&state::WIDTH_OPTIONS bind=field!(url.d_model) />
            <ChoiceGroup label="Context (characters)" test_prefix="tctx" options=&state::CONTEXT_OPTIONS bind=field!(url.context) />
            <FloatSlider label="Learning rate (Adam)" param=state::LR bind=field!(url.lr) log=true test_id="tlr" />
            <ParamNumber label="Stop after steps" param=state::STEPS bind=field!(url.steps) test_id="tsteps" />
        </div>
    }
}

/// Step, loss, tokens per second and any error.
#[component]
fn Progress(runner: Runner<TrainConfig, TrainJob>, view: Memo<Option<TrainView>>) -> impl IntoView {
    let step = move || {
        view.with(|v| match v {
            Some(v) => format!(
                "Step {} of {} · {} parameters · {} characters per step",
                v.step,
                v.max_steps,
                grouped_usize(v.parameters),
                v.tokens_per_step
            ),
            None => "Not started: press “Start training”.".into(),
        })
    };
    let loss = move || {
        view.with(|v| {
            v.as_ref()
                .and_then(|v| {
                    let tail = v.losses.get(v.losses.len().saturating_sub(10)..)?;
                    (!tail.is_empty())
                        .then(|| tail.iter().map(|l| l.1).sum::<f64>() / tail.len() as f64)
                })
                .map_or("loss —".to_string(), |l| {
                    format!("loss {l:.3} (mean of the last 10 steps)")
                })
        })
    };
    let rate = move || {
        runner.rate().map_or("— tokens/s".to_string(), |r| {
            format!("{} tokens/s", grouped_usize(r.round() as usize))
        })
    };
    view! {
        <p class="measure" aria-live="polite">
            <span data-testid="tstep">{step}</span>
            " · "
            <span data-testid="tloss">{loss}</span>
            " · "
            <span data-testid="trate">{rate}</span>
        </p>
        {move || runner.error().map(|e| view! { <p class="measure error" role="alert" data-testid="terror">{e}</p> })}
    }
}

/// The loss chart and the induction chart, side by side.
#[component]
fn Charts(view: Memo<Option<TrainView>>) -> impl IntoView {
    let empty = |title: &str| CurveChart {
        title: title.into(),
        x_label: "training step".into(),
        y_label: String::new(),
        y_range: (0.0, 1.0),
        series: Vec::new(),
        x_max: 100.0,
    };
    let loss = Memo::new(move |_| {
        view.with(|v| {
            v.as_ref()
                .map_or_else(|| empty("Training loss"), loss_chart)
        })
    });
    let induction = Memo::new(move |_| {
        view.with(|v| {
            v.as_ref().map_or_else(
                || empty("Induction score of the best head"),
                induction_chart,
            )
        })
    });
    // Both charts' numbers: what a run has measured, or an empty table.
    let table = move |id: &'static str| {
        move || {
            let t = view.with(|v| match v {
                Some(v) => progress_table(&v.losses, &v.measures),
                None => progress_table(&[], &[]),
            });
            view! { <NumbersTable data=t test_id=id /> }
        }
    };
    let first = move || {
        view.with(|v| match v.as_ref().and_then(|v| v.first_induction) {
            Some(s) => format!("An induction head first appeared at step {s} (a head after layer 1 reached an induction score of {INDUCTION_MIN})."),
            None => format!(
                "No induction head yet: no head after layer 1 has an induction score of {INDUCTION_MIN} or more (40 % of its attention on the character right after the earlier copy, at both block lengths)."
            ),
        })
    };
    view! {
        <div class="row-of-maps">
            <Chart size=(560.0, 300.0) test_id="tloss-chart" label="Training loss against steps" draw=curves(loss)>
                {table("tloss-numbers")}
            </Chart>
            <Chart size=(560.0, 300.0) test_id="tinduction-chart" label="Best induction score against steps" draw=curves(induction)>
                {table("tinduction-numbers")}
            </Chart>
        </div>
        <p class="measure" data-testid="tfirst-induction">{first}</p>
    }
}

/// The latest sample, its temperature and prompt.
#[component]
fn SamplePanel(
    url: UrlState<TrainState>,
    sampler: Runner<Option<SampleConfig>, SampleJob>,
) -> impl IntoView {
    let sample = move || sampler.view().ok();
    view! {
        <div class="lab-sample">
            <h3>"What it writes"</h3>
            <FloatSlider label="Temperature (0: always the likeliest character)" param=state::TEMPERATURE bind=field!(url.temperature) test_id="ttemp" />
            {move || match sample() {
                Some(s) => view! {
                    <p class="hint">{format!("Sampled from the model at step {}, after the text's first characters:", s.step)}</p>
                    <pre class="sample-text" data-testid="tsample-out"><b>{s.prompt}</b>{s.text}</pre>
                }.into_any(),
                None => view! { <p class="hint">"A sample appears here once training starts, and every few steps after."</p> }.into_any(),
            }}
        </div>
    }
}

/// Every head's scores and label at the last measurement.
#[component]
fn HeadsPanel(view: Memo<Option<TrainView>>) -> impl IntoView {
    let table = move || view.with(|v| v.as_ref().map(heads_table));
    let when = move || {
        view.with(|v| {
            v.as_ref()
                .and_then(|v| v.measures.last())
                .map_or(String::new(), |m| {
                    format!(
                        "Measured at step {}, every {} steps.",
                        m.step,
                        job::MEASURE_EVERY
                    )
                })
        })
    };
    view! {
        <div class="lab-heads">
            <h3>"What each head does"</h3>
            <p class="hint">
                "Each head is run on blocks of distinct letters, each said twice: four blocks of at most half the text's letters (so a block never uses up the alphabet, where “the letter not seen yet” would give the copy away) and four blocks three quarters as long. "
                "Previous token: attention on the character just before. "
                "Induction: in the second copy, attention on the character that followed the same character in the first copy, what copying needs; the lower of the two block lengths' scores, since a head that always looks a fixed distance back is right for one length only. "
                "First token: attention on position 0. Mean distance: how far back it looks, in characters. "
                "A head is labelled by the first of these that holds: induction ≥ 0.4 (never in layer 1: an induction head finds the earlier copy through the character before it, which a head of an earlier layer must first bring to each position), previous token ≥ 0.5, first token ≥ 0.5, local (within a quarter of the way back), long range (past 60 %), else mixed."
            </p>
            <p class="measure">{when}</p>
            {move || table().map(|t| view! { <NumbersTable data=t test_id="theads-table" /> })}
        </div>
    }
}

/// Switch a head off and measure the copying loss.
#[component]
fn AblationPanel(url: UrlState<TrainState>, view: Memo<Option<TrainView>>) -> impl IntoView {
    let state = url.state;
    let choice = Memo::new(move |_| state.with(|s| s.ablate));
    let cfg = Memo::new(move |_| state.with(TrainState::model));
    let result = Memo::new(move |_| {
        view.with(|v| {
            v.as_ref().map(|v| {
                let off = job::heads_off(choice.get(), v.measures.last(), &cfg.get());
                job::ablation(&v.snapshot, off).map(|a| ablation_summary(&a, choice.get()))
            })
        })
    });
    let options = move || {
        let c = cfg.get();
        let mut o = vec![(0usize, "Every head labelled induction".to_string())];
        for l in 0..c.n_layer {
            for h in 0..c.n_head {
                o.push((
                    l * c.n_head + h + 1,
                    format!("Layer {} head {}", l + 1, h + 1),
                ));
            }
        }
        o
    };
    let set = move |ev: leptos::ev::Event| {
        let v = crate::query::parse_decimal(&event_target_value(&ev)).unwrap_or(0.0);
        url.edit(|s| s.ablate = state::ABLATE.clamp_usize(v));
    };
    view! {
        <div class="lab-ablate">
            <h3>"Switch a head off"</h3>
            <p class="hint">
                "The copying loss is the loss on the second copy of those eight letter blocks (its first letter left out): only a model that finds the first copy can predict it. "
                "Switch off the induction heads and copying should fail: the loss climbs back towards guessing."
            </p>
            <label class="control">
                <span>"Head to switch off"</span>
                <select data-testid="tablate" on:change=set prop:value=move || choice.get().to_string()>
                    {move || options().into_iter().map(|(k, name)| view! { <option value=k.to_string() selected=move || choice.get() == k>{name}</option> }).collect_view()}
                </select>
            </label>
            <p class="measure" data-testid="tablation" aria-live="polite">
                {move || match result.get() {
                    None => "Start training to measure copying.".to_string(),
                    Some(Ok(s)) => s,
                    Some(Err(e)) => e,
                }}
            </p>
        </div>
    }
}

/// The model's three files.
#[component]
fn Download(view: Memo<Option<TrainView>>) -> impl IntoView {
    let message = RwSignal::new(String::new());
    let download = move |_| {
        let outcome = view.with_untracked(|v| match v {
            None => Err("Train the model first.".to_string()),
            Some(v) => job::export_files(&v.snapshot).and_then(|files| {
                for (name, bytes) in &files {
                    let mime = if name.ends_with(".json") {
                        "application/json"
                    } else {
                        "application/octet-stream"
                    };
                    download_bytes(name, mime, bytes)?;
                }
                Ok(format!(
                    "Saved the model as it was at step {}.",
                    v.snapshot.step
                ))
            }),
        });
        message.set(outcome.unwrap_or_else(|e| e));
    };
    view! {
        <div class="lab-download">
            <h3>"Take the model with you"</h3>
            <p class="hint">
                "Three files: model.safetensors and config.json in GPT-2's layout (Hugging Face transformers loads them as GPT2LMHeadModel), and chars.json, the vocabulary: "
                "a JSON array of one-character strings, sorted, where token id i is the i-th character."
            </p>
            <button data-testid="tdownload" on:click=download>"Download model"</button>
            <p class="measure" data-testid="tdownload-note">{move || message.get()}</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_averages_buckets_and_keeps_the_last_step() {
        let pts: Vec<(usize, f64)> = (1..=10).map(|i| (i, i as f64)).collect();
        assert_eq!(thin(&pts, 20).len(), 10);
        let t = thin(&pts, 5);
        assert_eq!(
            t,
            vec![(2.0, 1.5), (4.0, 3.5), (6.0, 5.5), (8.0, 7.5), (10.0, 9.5)]
        );
        assert_eq!(thin(&pts, 3).last(), Some(&(10.0, 9.5)));
        assert!(thin(&[], 3).is_empty());
    }

    #[test]
    fn the_progress_table_averages_the_loss_between_measurements() {
        let m = |step, best_induction| job::Measure {
            step,
            heads: Vec::new(),
            best_induction,
        };
        let losses: Vec<(usize, f64)> = (1..=4).map(|s| (s, s as f64)).collect();
        let t = progress_table(&losses, &[m(0, 0.0), m(2, 0.125), m(4, 0.5)]);
        assert_eq!(t.header.len(), 3);
        let cells: Vec<Vec<String>> = t.rows.into_iter().map(|r| r.1).collect();
        assert_eq!(
            cells,
            vec![
                vec!["0".to_string(), "—".into(), "0.00".into()],
                vec!["2".to_string(), "1.500".into(), "0.12".into()],
                vec!["4".to_string(), "3.500".into(), "0.50".into()],
            ]
        );
        assert!(progress_table(&[], &[]).rows.is_empty());
    }

    #[test]
    fn the_ablation_line_names_the_heads_and_the_change() {
        let a = Ablation {
            off: vec![(1, 2)],
            intact: 0.5,
            ablated: Some(2.75),
        };
        assert_eq!(
            ablation_summary(&a, 7),
            "Copying loss with every head on: 0.50; with layer 2 head 3 switched off: 2.75 (+2.25)."
        );
        let none = Ablation {
            off: vec![],
            intact: 3.0,
            ablated: None,
        };
        assert!(ablation_summary(&none, 0).starts_with("No head is labelled induction yet"));
    }

    #[test]
    fn charts_and_table_follow_the_run() {
        let text = Sample::Rhymes.text().unwrap_or("");
        let cfg = TrainConfig {
            text: text.into(),
            model: attention_core::gpt::train::TinyConfig {
                n_layer: 1,
                n_head: 2,
                d_model: 16,
                context: 16,
            },
            lr: 0.01,
            steps: 30,
            seed: 1,
        };
        let mut j = TrainJob::new(cfg).expect("job");
        while !crate::training::Job::work(&mut j).expect("work") {}
        let v = crate::training::Job::view(&j);
        let l = loss_chart(&v);
        assert_eq!(l.series[0].points.len(), 30);
        let i = induction_chart(&v);
        assert_eq!(i.series[0].points.len(), 3);
        assert_eq!(i.series.len(), 2 + usize::from(v.first_induction.is_some()));
        let t = heads_table(&v);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].0.as_deref(), Some("#2 layer 1 head 2"));
        // Every head gets a label.
        assert!(t.rows.iter().all(|r| !r.1[0].is_empty()));
    }

    #[test]
    fn the_text_is_the_sample_or_the_normalised_paste() {
        assert_eq!(&*current_text(Sample::Paste, "a\r\nb"), "a\nb");
        assert_eq!(
            Some(&*current_text(Sample::Genesis, "ignored")),
            Sample::Genesis.text()
        );
    }
}
