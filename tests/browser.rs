//! Widget tests in a real browser (headless Chromium through
//! wasm-bindgen-test-runner): each test mounts a widget, acts on the DOM like
//! a user (events, clicks, keys) and reads the DOM back.
// `cfg(test)` so clippy treats the helpers below as test code too.
#![cfg(test)]
#![cfg(target_arch = "wasm32")]

use attention_lab::charts::heatmap::{ColorScale, HeatmapData};
use attention_lab::charts::lines::{draw_line_diagram, draw_row_diagram, LineDiagram, RowDiagram};
use attention_lab::charts::position::{draw_matrix_image, MatrixImage};
use attention_lab::query::{Choice, Even, IntParam};
use attention_lab::training::{Job, Runner, NOT_STARTED};
use attention_lab::widgets::chart::{Chart, DrawFn};
use attention_lab::widgets::choice::{ChoiceButtons, ChoiceGroup};
use attention_lab::widgets::formula::Formula;
use attention_lab::widgets::heatmap::Heatmap;
use attention_lab::widgets::run_buttons::RunButtons;
use attention_lab::widgets::self_check::SelfCheck;
use attention_lab::widgets::slider::{ParamSlider, SeedField, Slider, Toggle};
use attention_lab::widgets::token_editor::TokenEditor;
use attention_lab::widgets::Bound;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlCanvasElement, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window()
        .and_then(|w| w.document())
        .expect("document")
}

/// A fresh container for one test.
fn container() -> HtmlElement {
    let div = document().create_element("div").expect("div");
    document()
        .body()
        .expect("body")
        .append_child(&div)
        .expect("append");
    div.unchecked_into()
}

/// Lets effects and the microtask queue run.
async fn settle() {
    for _ in 0..3 {
        let p = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window()
                .expect("window")
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }
}

fn q(root: &Element, sel: &str) -> Element {
    root.query_selector(sel)
        .expect("valid selector")
        .unwrap_or_else(|| panic!("no {sel}"))
}

fn all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).expect("valid selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect()
}

fn fire(el: &Element, kind: &str) {
    let ev = web_sys::Event::new_with_event_init_dict(kind, &{
        let i = web_sys::EventInit::new();
        i.set_bubbles(true);
        i
    })
    .expect("event");
    el.dispatch_event(&ev).expect("dispatch");
}

fn key(el: &Element, k: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(k);
    init.set_bubbles(true);
    let ev =
        web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("key");
    el.dispatch_event(&ev).expect("dispatch");
}

fn sample(rows: usize, cols: usize) -> HeatmapData {
    HeatmapData {
        rows,
        cols,
        values: (0..rows * cols)
            .map(|i| i as f64 / (rows * cols) as f64)
            .collect(),
        row_labels: (0..rows).map(|i| format!("<i>r{i}</i>")).collect(),
        col_labels: (0..cols).map(|i| format!("c{i}")).collect(),
        scale: ColorScale::Sequential { min: 0.0, max: 1.0 },
    }
}

#[wasm_bindgen_test]
async fn heatmap_paints_sharp_reads_out_by_keyboard_and_lists_numbers() {
    let root = container();
    let data = RwSignal::new(sample(3, 4));
    let selected = RwSignal::new(None::<usize>);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <Heatmap
                title="W"
                subtitle="3 × 4"
                data=data
                highlight_row=Signal::derive(move || selected.get())
                on_select_row=Callback::new(move |r| selected.set(Some(r)))
            />
        }
    });
    settle().await;
    let canvas: HtmlCanvasElement = q(&root, "canvas").unchecked_into();
    let dpr = web_sys::window().expect("w").device_pixel_ratio();
    let css_w: f64 = canvas
        .get_attribute("style")
        .unwrap_or_default()
        .split("width:")
        .nth(1)
        .and_then(|s| s.split("px").next())
        .and_then(|s| s.parse().ok())
        .expect("css width");
    assert!(css_w > 0.0);
    assert!(
        (f64::from(canvas.width()) - (css_w * dpr).round()).abs() <= 1.0,
        "backing store follows the device pixel ratio"
    );

    // Some pixel inside the grid is not the background.
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .expect("ctx")
        .expect("2d")
        .unchecked_into();
    let px = ctx
        .get_image_data(
            f64::from(canvas.width()) * 0.6,
            f64::from(canvas.height()) * 0.3,
            1.0,
            1.0,
        )
        .expect("pixels")
        .data();
    assert!(px[3] > 0, "canvas was painted");

    // Keyboard: focus, move, read the exact value.
    let readout = q(&root, "p.readout");
    canvas.focus().expect("focus");
    settle().await;
    key(&canvas, "ArrowRight");
    key(&canvas, "ArrowDown");
    settle().await;
    let text = readout.text_content().unwrap_or_default();
    assert!(
        text.contains("row 2") && text.contains("column 2") && text.contains("0.416667"),
        "{text}"
    );
    key(&canvas, "Enter");
    settle().await;
    assert_eq!(selected.get_untracked(), Some(1));

    // Numbers table appears when opened; labels are text, not HTML.
    assert!(root.query_selector("table").expect("sel").is_none());
    let details: web_sys::HtmlDetailsElement = q(&root, "details.numbers").unchecked_into();
    details.set_open(true);
    fire(&details, "toggle");
    settle().await;
    assert_eq!(all(&root, "tbody tr").len(), 3);
    assert!(root.query_selector("tbody i").expect("sel").is_none());
    assert_eq!(
        q(&root, "tbody th").text_content().as_deref(),
        Some("<i>r0</i>")
    );

    // New data repaints and resizes.
    let before = canvas.height();
    data.set(sample(20, 4));
    settle().await;
    assert!(canvas.height() > before);
    assert_eq!(all(&root, "tbody tr").len(), 20);
    drop(handle);
}

#[wasm_bindgen_test]
async fn sliders_and_toggles_report_changes() {
    let root = container();
    let lin = RwSignal::new(4.0);
    let log = RwSignal::new(1.0);
    let on = RwSignal::new(true);
    let width = RwSignal::new(4_usize);
    const WIDTH: Even = Even(IntParam::new("w", "width", 2, 16, 4));
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <Slider label="d_k" test_id="lin" bind=Bound::from(lin) min=1.0 max=64.0 />
            <Slider label="τ" test_id="log" log=true bind=Bound::from(log) min=0.05 max=20.0 />
            <Toggle label="scale" test_id="tog" bind=Bound::from(on) />
            <ParamSlider label="width" param=WIDTH test_id="even" bind=Bound::from(width) />
        }
    });
    settle().await;
    let lin_el: HtmlInputElement = q(&root, "[data-testid=lin]").unchecked_into();
    assert_eq!(lin_el.value(), "4");
    // The label is tied to the control.
    let label = q(&root, "label");
    assert_eq!(label.get_attribute("for"), lin_el.get_attribute("id"));
    lin_el.set_value("17");
    fire(&lin_el, "input");
    settle().await;
    assert_eq!(lin.get_untracked(), 17.0);
    assert!(q(&root, "output")
        .text_content()
        .unwrap_or_default()
        .contains("17"));

    let log_el: HtmlInputElement = q(&root, "[data-testid=log]").unchecked_into();
    assert_eq!(
        log_el.value(),
        "500",
        "τ = 1 sits in the middle of 0.05..20 on a log scale"
    );
    log_el.set_value("1000");
    fire(&log_el, "input");
    settle().await;
    assert_eq!(log.get_untracked(), 20.0);

    let tog: HtmlInputElement = q(&root, "[data-testid=tog]").unchecked_into();
    assert!(tog.checked());
    assert_eq!(tog.get_attribute("role").as_deref(), Some("switch"));
    tog.click();
    settle().await;
    assert!(!on.get_untracked());

    // An even parameter's slider moves in steps of 2 and reports even values.
    let even: HtmlInputElement = q(&root, "[data-testid=even]").unchecked_into();
    assert_eq!(even.get_attribute("step").as_deref(), Some("2"));
    even.set_value("16");
    fire(&even, "input");
    settle().await;
    assert_eq!(width.get_untracked(), 16);
    drop(handle);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Weights {
    Trained,
    Random,
}

impl Choice for Weights {
    const ALL: &'static [Self] = &[Weights::Trained, Weights::Random];
    fn key(self) -> &'static str {
        match self {
            Weights::Trained => "trained",
            Weights::Random => "random",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Weights::Trained => "Trained model",
            Weights::Random => "Random weights",
        }
    }
}

#[wasm_bindgen_test]
async fn a_seed_field_clamps_keeps_the_old_seed_on_garbage_and_steps_with_wrap() {
    let root = container();
    let seed = RwSignal::new(7_u64);
    const SEED: IntParam = IntParam::new("seed", "seed", 0, 9, 1);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <SeedField param=SEED bind=Bound::from(seed) button="Next" /> }
    });
    settle().await;
    let field: HtmlInputElement = q(&root, "[data-testid=seed]").unchecked_into();
    assert_eq!(field.value(), "7");
    assert_eq!(
        q(&root, "label").get_attribute("for"),
        field.get_attribute("id")
    );
    for (typed, expect) in [("3", 3), ("abc", 3), ("99", 9), ("-4", 0), ("1e400", 0)] {
        field.set_value(typed);
        fire(&field, "change");
        settle().await;
        assert_eq!(seed.get_untracked(), expect, "typed {typed}");
        assert_eq!(
            field.value(),
            expect.to_string(),
            "the field shows the seed in use"
        );
    }
    seed.set(9);
    let next: HtmlElement = q(&root, "button").unchecked_into();
    next.click();
    settle().await;
    assert_eq!(seed.get_untracked(), 0, "wraps past the maximum");
    next.click();
    settle().await;
    assert_eq!((seed.get_untracked(), field.value()), (1, "1".to_string()));
    drop(handle);
}

#[wasm_bindgen_test]
async fn choice_buttons_offer_every_option_by_key_and_label() {
    let root = container();
    let picked = RwSignal::new(Weights::Trained);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <ChoiceButtons label="" group_label="Weights" test_prefix="w" bind=Bound::from(picked) /> }
    });
    settle().await;
    let group = q(&root, "[role=group]");
    assert_eq!(
        group.get_attribute("aria-label").as_deref(),
        Some("Weights")
    );
    assert!(
        all(&root, ".label").is_empty(),
        "no visible caption when the label is empty"
    );
    let random: HtmlElement = q(&root, "[data-testid=w-random]").unchecked_into();
    assert_eq!(random.text_content().as_deref(), Some("Random weights"));
    assert_eq!(
        random.get_attribute("aria-pressed").as_deref(),
        Some("false")
    );
    random.click();
    settle().await;
    assert_eq!(picked.get_untracked(), Weights::Random);
    assert_eq!(
        random.get_attribute("aria-pressed").as_deref(),
        Some("true")
    );
    drop(handle);
}

#[wasm_bindgen_test]
async fn choice_group_presses_one_button_and_reports_picks() {
    let root = container();
    let heads = RwSignal::new(4usize);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <ChoiceGroup label="Heads" test_prefix="h" options=&[1, 2, 4, 8] bind=Bound::from(heads) />
        }
    });
    settle().await;
    let pressed = |root: &Element| {
        all(root, "button[aria-pressed=true]")
            .iter()
            .map(|b| b.text_content().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert_eq!(pressed(&root), vec!["4"]);
    assert_eq!(
        q(&root, "[role=group]")
            .get_attribute("aria-label")
            .as_deref(),
        Some("Heads")
    );
    let b8: HtmlElement = q(&root, "[data-testid=h-8]").unchecked_into();
    b8.click();
    settle().await;
    assert_eq!(heads.get_untracked(), 8);
    assert_eq!(pressed(&root), vec!["8"]);
    drop(handle);
}

#[wasm_bindgen_test]
async fn export_menus_offer_csv_only_with_numbers_and_say_why_a_file_failed() {
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let draw: std::sync::Arc<DrawFn> = std::sync::Arc::new(|area, _, _| {
            area.fill(&plotters::prelude::WHITE)?;
            Ok(())
        });
        view! {
            <Heatmap title="Empty" subtitle="0 × 0" data=attention_lab::widgets::heatmap::empty_heatmap() test_id="hm-empty" />
            <Chart size=(120.0, 80.0) label="plain" draw=draw test_id="plain" />
        }
    });
    settle().await;
    let heatmap = q(&root, "figure[data-testid=hm-empty]");
    let chart = q(&root, "figure[data-testid=plain]");
    let kinds = |fig: &Element| {
        all(fig, "details.export button")
            .iter()
            .filter_map(|b| b.get_attribute("data-export"))
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&heatmap), ["svg", "png2", "png3", "csv"]);
    assert_eq!(kinds(&chart), ["svg", "png2", "png3"], "no numbers, no CSV");
    // A matrix with nothing in it yet: a short message, no file, no panic.
    let csv: HtmlElement = q(&heatmap, "[data-export=csv]").unchecked_into();
    csv.click();
    settle().await;
    assert_eq!(
        q(&heatmap, "details.export .error")
            .text_content()
            .as_deref(),
        Some("There are no numbers to save yet.")
    );
    drop(handle);
}

#[wasm_bindgen_test]
async fn line_diagram_chart_paints_and_repaints_when_the_selection_moves() {
    let root = container();
    let selected = RwSignal::new(0usize);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let draw: std::sync::Arc<DrawFn> = std::sync::Arc::new(move |area, s, th| {
            let d = LineDiagram {
                title: "Layer 1 · head 1".into(),
                left: vec!["the".into(), "cat".into()],
                right: vec!["the".into(), "cat".into()],
                weights: vec![vec![0.9, 0.1], vec![0.2, 0.8]],
                selected: Some(selected.get()),
                flagged: vec![false, false],
                color: (0, 0x72, 0xb2),
            };
            draw_line_diagram(area, &d, th, s)
        });
        view! { <Chart size=(240.0, 120.0) label="lines" draw=draw test_id="lines" /> }
    });
    settle().await;
    let canvas: HtmlCanvasElement = q(&root, "canvas").unchecked_into();
    assert!(canvas.width() >= 240 && canvas.height() >= 120);
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .expect("ctx")
        .expect("2d")
        .unchecked_into();
    let pixels = |ctx: &web_sys::CanvasRenderingContext2d| {
        ctx.get_image_data(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .expect("pixels")
        .data()
        .to_vec()
    };
    let before = pixels(&ctx);
    assert!(
        before.chunks(4).any(|p| p[2] > 150 && p[0] < 100),
        "blue lines drawn"
    );
    selected.set(1);
    settle().await;
    assert_ne!(
        pixels(&ctx),
        before,
        "another row's lines after the selection moved"
    );
    drop(handle);
}

#[wasm_bindgen_test]
async fn row_diagram_repaints_when_soft_weights_turn_hard() {
    let root = container();
    let hard = RwSignal::new(false);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let draw: std::sync::Arc<DrawFn> = std::sync::Arc::new(move |area, s, th| {
            let w = if hard.get() {
                vec![vec![1.0, 0.0], vec![0.0, 1.0]]
            } else {
                vec![vec![0.5, 0.5], vec![0.5, 0.5]]
            };
            let d = RowDiagram {
                title: "alignment".into(),
                top: vec!["chat".into(), "noir".into()],
                bottom: vec!["black".into(), "cat".into()],
                weights: w,
                truth: vec![(0, 1), (1, 0)],
                color: (0, 0x72, 0xb2),
            };
            draw_row_diagram(area, &d, th, s)
        });
        view! { <Chart size=(300.0, 160.0) label="rows" draw=draw test_id="rows" /> }
    });
    settle().await;
    let canvas: HtmlCanvasElement = q(&root, "canvas").unchecked_into();
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .expect("ctx")
        .expect("2d")
        .unchecked_into();
    let pixels = || {
        ctx.get_image_data(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        )
        .expect("pixels")
        .data()
        .to_vec()
    };
    let soft = pixels();
    assert!(
        soft.chunks(4).any(|p| p[2] > 150 && p[0] < 100),
        "blue lines drawn"
    );
    hard.set(true);
    settle().await;
    assert_ne!(pixels(), soft, "the hard alignment is drawn differently");
    drop(handle);
}

#[wasm_bindgen_test]
async fn matrix_image_paints_every_cell_through_the_canvas_and_follows_its_data() {
    let root = container();
    // Two columns: +1 everywhere (dark red), then -1 or +1 by row.
    let rows = RwSignal::new(4usize);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let draw: std::sync::Arc<DrawFn> = std::sync::Arc::new(move |area, s, th| {
            let n = rows.get();
            let m = MatrixImage {
                title: "image".into(),
                rows: n,
                cols: 2,
                values: (0..n)
                    .flat_map(|r| [1.0, if r < 2 { -1.0 } else { 1.0 }])
                    .collect(),
                scale: ColorScale::Diverging { abs_max: 1.0 },
                row_label: "position".into(),
                col_label: "dimension".into(),
            };
            draw_matrix_image(area, &m, th, s)
        });
        view! { <Chart size=(300.0, 300.0) label="image" draw=draw test_id="img" /> }
    });
    settle().await;
    let canvas: HtmlCanvasElement = q(&root, "canvas").unchecked_into();
    let ctx: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")
        .expect("ctx")
        .expect("2d")
        .unchecked_into();
    let count = |ctx: &web_sys::CanvasRenderingContext2d, blue: bool| {
        let d = ctx
            .get_image_data(
                0.0,
                0.0,
                f64::from(canvas.width()),
                f64::from(canvas.height()),
            )
            .expect("pixels")
            .data()
            .to_vec();
        d.chunks(4)
            .filter(|p| {
                if blue {
                    p[2] > 80 && p[0] < 40
                } else {
                    p[0] > 80 && p[2] < 40
                }
            })
            .count()
    };
    let (blue, red) = (count(&ctx, true), count(&ctx, false));
    assert!(
        blue > 1000 && red > 1000,
        "both ends of the scale painted: {blue} {red}"
    );
    // All rows +1 except the first two: the blue area shrinks to the legend.
    rows.set(40);
    settle().await;
    assert!(
        count(&ctx, true) < blue / 4,
        "fewer -1 cells after the data changed"
    );
    drop(handle);
}

#[wasm_bindgen_test]
async fn token_editor_edits_removes_and_shows_html_as_text() {
    let root = container();
    let text = RwSignal::new("The <b>cat</b> sat".to_string());
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! { <TokenEditor text=text on_text=Callback::new(move |t| text.set(t)) /> }
    });
    settle().await;
    let chips = all(&root, "li.chip:not(.chip-add) input");
    assert_eq!(chips.len(), 3);
    let second: HtmlInputElement = chips[1].clone().unchecked_into();
    assert_eq!(second.value(), "<b>cat</b>");
    assert!(
        root.query_selector("b").expect("sel").is_none(),
        "no HTML element made from a token"
    );

    // Edit a chip.
    second.set_value("dog");
    fire(&second, "change");
    settle().await;
    assert_eq!(text.get_untracked(), "The dog sat");

    // Remove the first token.
    let rm: HtmlElement = all(&root, "button.chip-remove")[0].clone().unchecked_into();
    rm.click();
    settle().await;
    assert_eq!(text.get_untracked(), "dog sat");

    // Add one.
    let add: HtmlInputElement = q(&root, "li.chip-add input").unchecked_into();
    add.set_value("猫");
    fire(&add, "input");
    let plus: HtmlElement = q(&root, "button.chip-plus").unchecked_into();
    plus.click();
    settle().await;
    assert_eq!(text.get_untracked(), "dog sat 猫");

    // Too many tokens: a clear note, the first 64 kept.
    text.set(
        (0..80)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    settle().await;
    assert_eq!(all(&root, "li.chip:not(.chip-add)").len(), 64);
    assert!(q(&root, ".notes")
        .text_content()
        .unwrap_or_default()
        .contains("limit is 64"));
    drop(handle);
}

#[wasm_bindgen_test]
async fn formula_is_mathml_and_self_check_gives_feedback() {
    const QS: &str = "? Rows sum to?\n- 0\n* 1\n= softmax normalises.\n";
    let root = container();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <Formula mathml="<math><mi>x</mi></math>" alt="x" />
            <SelfCheck text=QS />
        }
    });
    settle().await;
    let math = q(&root, "math");
    assert_eq!(
        math.namespace_uri().as_deref(),
        Some("http://www.w3.org/1998/Math/MathML")
    );
    let radios = all(&root, "input[type=radio]");
    let wrong: HtmlElement = radios[0].clone().unchecked_into();
    wrong.click();
    settle().await;
    assert!(q(&root, ".feedback")
        .text_content()
        .unwrap_or_default()
        .starts_with("Not quite."));
    let right: HtmlElement = radios[1].clone().unchecked_into();
    right.click();
    settle().await;
    assert!(q(&root, ".feedback .right")
        .text_content()
        .unwrap_or_default()
        .starts_with("Right."));
    drop(handle);
}

#[wasm_bindgen_test]
fn panic_panel_offers_a_reload() {
    attention_lab::panic::show_error_panel("boom <script>");
    let panel = q(
        &document().document_element().expect("html"),
        "#panic-panel",
    );
    assert!(panel
        .text_content()
        .unwrap_or_default()
        .contains("boom <script>"));
    assert!(panel.query_selector("script").expect("sel").is_none());
    let button = q(&panel, "button");
    assert_eq!(button.text_content().as_deref(), Some("Reload the page"));
    // A second call does not stack panels.
    attention_lab::panic::show_error_panel("again");
    assert_eq!(
        document()
            .query_selector_all("#panic-panel")
            .expect("sel")
            .length(),
        1
    );
    panel.remove();
}

/// Counts to `limit`, one unit per `work`; fails at `fail_at`.
struct Count {
    n: usize,
    limit: usize,
    fail_at: Option<usize>,
}

impl Job for Count {
    type View = usize;
    fn work(&mut self) -> Result<bool, String> {
        self.n += 1;
        if Some(self.n) == self.fail_at {
            return Err(format!("failed at {}", self.n));
        }
        Ok(self.n >= self.limit)
    }
    fn finished(&self) -> bool {
        self.n >= self.limit
    }
    fn units(&self) -> usize {
        self.n
    }
    fn view(&self) -> usize {
        self.n
    }
    fn publish_ms(&self) -> f64 {
        0.0
    }
}

/// A job counting to `limit`, failing at `fail_at` (0 cannot be built).
fn count_to(limit: usize, fail_at: Option<usize>) -> Result<Count, String> {
    if limit == 0 {
        Err("nothing to count".to_string())
    } else {
        Ok(Count {
            n: 0,
            limit,
            fail_at,
        })
    }
}

/// A counting job on a runner, `limit` from a signal (0 cannot be built).
fn counting(limit: RwSignal<usize>, fail_at: Option<usize>, auto: bool) -> Runner<usize, Count> {
    let config = move || limit.get();
    let build = move |&limit: &usize| count_to(limit, fail_at);
    if auto {
        Runner::auto(config, build)
    } else {
        Runner::new(config, build)
    }
}

/// Waits (over animation frames) until `done()` or about 5 s.
async fn wait_for(done: impl Fn() -> bool) -> bool {
    for _ in 0..500 {
        if done() {
            return true;
        }
        let p = js_sys::Promise::new(&mut |resolve, _| {
            let _ = web_sys::window()
                .expect("window")
                .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 10);
        });
        let _ = wasm_bindgen_futures::JsFuture::from(p).await;
    }
    done()
}

#[wasm_bindgen_test]
async fn a_runner_runs_to_the_end_pauses_resets_and_follows_its_configuration() {
    let root = container();
    let limit = RwSignal::new(200_000_usize);
    let slot = std::rc::Rc::new(std::cell::Cell::new(None));
    let s = slot.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let r = counting(limit, None, false);
        s.set(Some(r));
        view! { <p data-testid="count">{move || format!("{:?}", r.view())}</p> }
    });
    settle().await;
    let r = slot.get().expect("runner");
    let shown = || {
        q(&root, "[data-testid=count]")
            .text_content()
            .unwrap_or_default()
    };
    assert_eq!(shown(), "Ok(0)", "the fresh job's view before any start");
    assert!(!untrack(|| r.started()) && !untrack(|| r.running()) && untrack(|| r.rate()).is_none());
    assert!(!untrack(|| r.progressed()) && !untrack(|| r.finished()));

    // Start, then pause part-way: the view stops moving.
    r.toggle();
    assert!(untrack(|| r.running()));
    assert!(wait_for(|| untrack(|| r.view()).is_ok_and(|n| n > 0)).await);
    r.toggle();
    assert!(!untrack(|| r.running()));
    settle().await;
    let paused = untrack(|| r.view()).expect("view");
    assert!(paused > 0 && paused < 200_000, "{paused}");
    settle().await;
    assert_eq!(
        untrack(|| r.view()),
        Ok(paused),
        "nothing runs while paused"
    );
    assert_eq!(
        shown(),
        format!("Ok({paused})"),
        "the page shows the paused run"
    );
    assert!(untrack(|| r.rate()).is_some_and(|x| x > 0.0) && untrack(|| r.started()));
    assert!(untrack(|| r.progressed()) && !untrack(|| r.finished()));

    // Continue to the end: the loop stops by itself at the last unit.
    r.toggle();
    assert!(wait_for(|| !untrack(|| r.running())).await, "finishes");
    assert_eq!(untrack(|| r.view()), Ok(200_000));
    settle().await;
    assert_eq!(shown(), "Ok(200000)");
    assert!(untrack(|| r.busy_seconds()) > 0.0);
    assert!(untrack(|| r.finished()), "finished once the job says so");

    // A new configuration shows the fresh job for it; going back to the old
    // one does not bring the finished run back (it was for that config, but
    // the view is derived from the last run, which is still there).
    limit.set(10);
    settle().await;
    assert_eq!(shown(), "Ok(0)");
    assert!(!untrack(|| r.started()));
    r.start();
    assert!(wait_for(|| !untrack(|| r.running())).await);
    assert_eq!(untrack(|| r.view()), Ok(10));

    // Reset: the fresh state again; start runs from zero.
    r.reset();
    settle().await;
    assert_eq!(shown(), "Ok(0)");
    assert!(
        !untrack(|| r.progressed()) && !untrack(|| r.finished()),
        "reset"
    );
    r.start();
    assert!(wait_for(|| !untrack(|| r.running())).await);
    assert_eq!(untrack(|| r.view()), Ok(10));
    // Starting a finished job starts over.
    r.start();
    assert!(untrack(|| r.running()));
    assert!(wait_for(|| !untrack(|| r.running())).await);
    assert_eq!(untrack(|| r.view()), Ok(10));
    drop(handle);
}

#[wasm_bindgen_test]
async fn a_runner_stops_on_a_new_configuration_and_reports_errors() {
    let root = container();
    let limit = RwSignal::new(50_000_000_usize);
    let failing = RwSignal::new(0_usize);
    let slot = std::rc::Rc::new(std::cell::Cell::new(None));
    let s = slot.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let long = counting(limit, None, false);
        let bad = counting(failing, Some(7), false);
        s.set(Some((long, bad)));
        view! { <p>{move || format!("{:?} {:?}", long.view(), bad.error())}</p> }
    });
    settle().await;
    let (long, bad) = slot.get().expect("runners");

    long.start();
    assert!(wait_for(|| untrack(|| long.view()).is_ok_and(|n| n > 0)).await);
    // The configuration changes while it runs: the run stops itself.
    limit.set(50_000_001);
    assert!(
        wait_for(|| !untrack(|| long.running())).await,
        "stopped on the new config"
    );
    assert_eq!(
        untrack(|| long.view()),
        Ok(0),
        "the fresh job for the new config"
    );

    // A configuration that cannot be built: the reason, and start does nothing.
    assert_eq!(untrack(|| bad.error()).as_deref(), Some("nothing to count"));
    bad.start();
    assert!(!untrack(|| bad.running()));
    // One that fails at unit 7: the run stops and says why.
    failing.set(100);
    settle().await;
    assert_eq!(untrack(|| bad.error()), None);
    bad.start();
    assert!(wait_for(|| !untrack(|| bad.running())).await);
    assert_eq!(untrack(|| bad.error()).as_deref(), Some("failed at 7"));
    drop(handle);
}

#[wasm_bindgen_test]
async fn an_auto_runner_starts_once_its_job_can_be_built() {
    let root = container();
    let limit = RwSignal::new(0_usize);
    let slot = std::rc::Rc::new(std::cell::Cell::new(None));
    let s = slot.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let r = counting(limit, None, true);
        s.set(Some(r));
        view! { <p>{move || format!("{:?}", r.view())}</p> }
    });
    settle().await;
    let r = slot.get().expect("runner");
    assert!(!untrack(|| r.running()) && untrack(|| r.error()).is_some());
    limit.set(1000);
    assert!(
        wait_for(|| untrack(|| r.view()) == Ok(1000)).await,
        "ran by itself"
    );
    // A new configuration starts it again, from zero.
    limit.set(2000);
    assert!(
        wait_for(|| untrack(|| r.view()) == Ok(2000)).await,
        "ran again"
    );
    assert!(!untrack(|| r.running()));
    drop(handle);
}

#[wasm_bindgen_test]
async fn an_auto_runner_can_start_through_a_loader_that_may_fail() {
    let root = container();
    let limit = RwSignal::new(0_usize);
    // The "loader": refuses while `offline`, else starts.
    let offline = RwSignal::new(true);
    let slot = std::rc::Rc::new(std::cell::Cell::new(None));
    let s = slot.clone();
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let r = Runner::auto_via(
            move || limit.get(),
            |&limit: &usize| count_to(limit, None),
            move |r: Runner<usize, Count>| {
                if offline.get_untracked() {
                    r.refuse("no code".into());
                } else {
                    r.start();
                }
            },
        );
        s.set(Some(r));
        view! { <p>{move || format!("{:?} {:?}", r.view(), r.error())}</p> }
    });
    settle().await;
    let r = slot.get().expect("runner");
    // Not buildable yet: the loader is not asked.
    assert_eq!(untrack(|| r.error()).as_deref(), Some("nothing to count"));
    limit.set(500);
    settle().await;
    assert!(!untrack(|| r.running()));
    assert_eq!(untrack(|| r.error()).as_deref(), Some("no code"));
    assert!(untrack(|| r.refused()), "a refusal offers a retry");
    assert_eq!(untrack(|| r.view()), Ok(0));
    // A retry that loads: the failure is forgotten and the job runs.
    offline.set(false);
    r.start();
    assert_eq!(untrack(|| r.error()), None, "a start forgets the refusal");
    assert!(!untrack(|| r.refused()));
    assert!(
        wait_for(|| untrack(|| r.view()) == Ok(500)).await,
        "ran once started"
    );
    // A refusal for one configuration is not shown for the next.
    offline.set(true);
    limit.set(600);
    settle().await;
    assert_eq!(untrack(|| r.error()).as_deref(), Some("no code"));
    r.refuse("older".into());
    limit.set(700);
    settle().await;
    assert_eq!(untrack(|| r.error()).as_deref(), Some("no code"));
    drop(handle);
}

#[wasm_bindgen_test]
async fn an_on_demand_runner_builds_its_job_only_when_started() {
    let root = container();
    let limit = RwSignal::new(0_usize);
    let builds = std::rc::Rc::new(std::cell::Cell::new(0));
    let slot = std::rc::Rc::new(std::cell::Cell::new(None));
    let (s, b) = (slot.clone(), builds.clone());
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let b = b.clone();
        let r = Runner::on_demand(
            move || limit.get(),
            move |&limit: &usize| {
                b.set(b.get() + 1);
                count_to(limit, None)
            },
        );
        s.set(Some(r));
        view! { <p>{move || format!("{:?} {:?} {}", r.view(), r.error(), r.started())}</p> }
    });
    settle().await;
    let r = slot.get().expect("runner");
    assert_eq!(builds.get(), 0, "nothing is built before a start");
    assert_eq!(untrack(|| r.view()), Err(NOT_STARTED.to_string()));
    assert_eq!(untrack(|| r.error()), None);
    r.start();
    assert_eq!(builds.get(), 1);
    assert_eq!(untrack(|| r.error()).as_deref(), Some("nothing to count"));
    assert!(
        !untrack(|| r.refused()),
        "a job that does not build is not a refusal"
    );
    limit.set(300);
    settle().await;
    assert_eq!(
        untrack(|| r.error()),
        None,
        "a new configuration forgets the old failure"
    );
    r.start();
    assert!(wait_for(|| !untrack(|| r.running())).await);
    assert_eq!(
        (untrack(|| r.live()), untrack(|| r.started())),
        (Some(300), true)
    );
    r.reset();
    assert_eq!(
        (untrack(|| r.live()), untrack(|| r.started())),
        (None, false)
    );
    drop(handle);
}

#[wasm_bindgen_test]
async fn run_buttons_start_finish_and_step_the_seed_with_wrap() {
    let root = container();
    let limit = RwSignal::new(50_usize);
    let seed = RwSignal::new(2_u64);
    const SEED: IntParam = IntParam::new("s", "seed", 1, 3, 1);
    let handle = leptos::mount::mount_to(root.clone(), move || {
        let r = counting(limit, None, false);
        view! { <RunButtons prefix="t" start="Go" runner=r seed=Bound::from(seed) seed_param=SEED /> }
    });
    settle().await;
    let toggle: HtmlElement = q(&root, "[data-testid=t-toggle]").unchecked_into();
    let seed_button: HtmlElement = q(&root, "[data-testid=t-seed]").unchecked_into();
    assert_eq!(toggle.text_content().as_deref(), Some("Go"));
    assert_eq!(
        seed_button.text_content().as_deref(),
        Some("New seed (now 2)")
    );
    toggle.click();
    assert!(
        wait_for(|| toggle.text_content().as_deref() == Some("Done")).await,
        "the run finishes and the button says so"
    );
    assert!(toggle.has_attribute("disabled"));
    seed_button.click();
    settle().await;
    assert_eq!(seed.get_untracked(), 3);
    seed_button.click();
    settle().await;
    assert_eq!(seed.get_untracked(), 1, "wraps past the maximum");
    assert_eq!(
        seed_button.text_content().as_deref(),
        Some("New seed (now 1)")
    );
    drop(handle);
}

/// The engine's softmax runs two entries at a time with wasm SIMD in the
/// browser (natively it is the scalar loop): rows at once must equal each
/// row on its own (scalar `exp`) to the bit, with masked entries, an odd
/// number of rows (one entry per column left for the scalar loop) and
/// entries so far below their row's maximum that their weight is subnormal.
#[wasm_bindgen_test]
fn simd_softmax_equals_the_row_by_row_softmax_to_the_bit() {
    use attention_core::{softmax, softmax_rows, Mat, Rng};
    let mut rng = Rng::new(9);
    for (n, m, spread) in [(7, 9, 4.0), (8, 5, 30.0), (1, 3, 1.0), (33, 64, 12.0)] {
        let mut x = rng.normal_matrix(n, m, spread);
        for i in 0..n {
            if m > 1 && i % 3 == 1 {
                x[(i, (i * 5) % m)] = f64::NEG_INFINITY;
            }
        }
        let check = |x: &Mat| {
            let fast = softmax_rows(x).expect("softmax");
            for i in 0..x.nrows() {
                let row: Vec<f64> = x.row(i).iter().copied().collect();
                let want = softmax(&row).expect("row");
                let got: Vec<f64> = fast.row(i).iter().copied().collect();
                let same = got
                    .iter()
                    .zip(&want)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
                assert!(same, "{n} x {m} row {i}: {got:?} against {want:?}");
            }
        };
        check(&x);
        // One entry 720 below its row's maximum: a subnormal weight.
        if m > 1 {
            for j in 0..m {
                x[(0, j)] = -(j as f64);
            }
            x[(0, m - 1)] = -719.0;
            check(&x);
            let w = softmax_rows(&x).expect("softmax");
            assert!(w[(0, m - 1)] > 0.0 && w[(0, m - 1)] < f64::MIN_POSITIVE);
        }
    }
}

/// The trace's logits (scaled / T, masked, in SIMD in the browser) equal
/// the scalar division entry by entry, and its weights the row-by-row
/// softmax of those logits, to the bit: an odd length, causal, and a
/// temperature that is not a power of two (the division path) and one that
/// is (the multiplication path).
#[wasm_bindgen_test]
fn simd_logits_equal_the_scalar_division_to_the_bit() {
    use attention_core::{attention_trace, softmax, AttentionConfig, Mask, MultiHeadWeights, Rng};
    let x = Rng::new(4).normal_matrix(13, 6, 1.0);
    let w = MultiHeadWeights::random(6, 2, 3, 3, 6, 8).expect("weights");
    for (temperature, mask) in [(0.7, Mask::Causal), (0.25, Mask::None), (3.0, Mask::None)] {
        let cfg = AttentionConfig {
            temperature,
            mask,
            ..AttentionConfig::default()
        };
        let t = attention_trace(&x, &w, &cfg).expect("trace");
        for head in &t.heads {
            for i in 0..13 {
                let mut row = Vec::new();
                for j in 0..13 {
                    let want = if mask == Mask::Causal && j > i {
                        f64::NEG_INFINITY
                    } else {
                        head.scaled[(i, j)] / temperature
                    };
                    assert_eq!(
                        head.logits[(i, j)].to_bits(),
                        want.to_bits(),
                        "({i}, {j}) at T {temperature}"
                    );
                    row.push(want);
                }
                let soft = softmax(&row).expect("row");
                for (j, p) in soft.iter().enumerate() {
                    assert_eq!(
                        head.weights[(i, j)].to_bits(),
                        p.to_bits(),
                        "weight ({i}, {j})"
                    );
                }
            }
        }
    }
}
