//! Labelled slider (linear or logarithmic), number box and toggle switch.
//!
//! Both are native form controls, so keyboard, focus ring and screen readers
//! work as users expect: arrows / Page Up / Page Down / Home / End on the
//! slider, Space on the toggle. A log slider moves in [`LOG_STEPS`] even steps of
//! log(value) between `min` and `max`.

use super::{unique_id, Bound};
use crate::query::{parse_decimal, Even, FloatParam, IntParam};
use leptos::prelude::*;

/// Positions of a logarithmic slider.
pub const LOG_STEPS: f64 = 1000.0;

/// Slider position (0..=LOG_STEPS) of `value` on a log scale.
pub fn log_position(value: f64, min: f64, max: f64) -> f64 {
    if !(min > 0.0 && max > min && value.is_finite()) {
        return 0.0;
    }
    let v = value.clamp(min, max);
    ((v / min).ln() / (max / min).ln() * LOG_STEPS).round()
}

/// Value at slider position `pos` on a log scale, rounded to 3 significant digits.
pub fn log_value(pos: f64, min: f64, max: f64) -> f64 {
    if !(min > 0.0 && max > min && pos.is_finite()) {
        return min;
    }
    let t = (pos / LOG_STEPS).clamp(0.0, 1.0);
    let v = min * (max / min).powf(t);
    let digits = 2 - v.log10().floor() as i32;
    let f = 10_f64.powi(digits);
    ((v * f).round() / f).clamp(min, max)
}

/// A labelled range input showing its current value.
#[component]
pub fn Slider(
    #[prop(into)] label: String,
    bind: Bound<f64>,
    min: f64,
    max: f64,
    #[prop(default = 1.0)] step: f64,
    #[prop(optional)] log: bool,
    /// Extra text after the value, e.g. a unit or "(off)".
    #[prop(optional, into)]
    hint: Signal<String>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let id = unique_id("slider");
    let Bound {
        value,
        set: on_change,
    } = bind;
    let (rmin, rmax, rstep) = if log {
        (0.0, LOG_STEPS, 1.0)
    } else {
        (min, max, step)
    };
    let position = move || {
        let v = value.get();
        if log {
            log_position(v, min, max)
        } else {
            v
        }
    };
    let shown = move || {
        let v = value.get();
        if step >= 1.0 && !log {
            format!("{v:.0}")
        } else {
            format!("{v}")
        }
    };
    let on_input = move |ev| {
        let raw = event_target_value(&ev);
        if let Some(p) = parse_decimal(&raw) {
            let v = if log {
                log_value(p, min, max)
            } else {
                p.clamp(min, max)
            };
            on_change.run(v);
        }
    };
    view! {
        <div class="control slider">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="range"
                data-testid=test_id
                min=rmin
                max=rmax
                step=rstep
                prop:value=move || position().to_string()
                aria-valuetext=shown
                on:input=on_input
            />
            <output class="value">{shown}" "{move || hint.get()}</output>
        </div>
    }
}

/// The whole-number parameter behind a [`ParamSlider`]: any [`IntParam`],
/// or an [`Even`] one (which moves in steps of 2 and reports even values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliderParam {
    param: IntParam,
    even: bool,
}

impl From<IntParam> for SliderParam {
    fn from(param: IntParam) -> Self {
        SliderParam { param, even: false }
    }
}

impl From<Even> for SliderParam {
    fn from(even: Even) -> Self {
        SliderParam {
            param: even.0,
            even: true,
        }
    }
}

impl SliderParam {
    /// A slider's value rounded into the range (and up to even).
    pub fn clamp_usize(&self, v: f64) -> usize {
        if self.even {
            Even(self.param).clamp_usize(v)
        } else {
            self.param.clamp_usize(v)
        }
    }
}

/// A [`Slider`] for one whole-number URL parameter: its range comes from
/// the parameter's one definition, and every value it reports is clamped
/// into that range.
#[component]
pub fn ParamSlider(
    #[prop(into)] label: String,
    #[prop(into)] param: SliderParam,
    bind: Bound<usize>,
    #[prop(default = 1.0)] step: f64,
    #[prop(optional)] log: bool,
    #[prop(optional, into)] hint: Signal<String>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let step = if param.even { step.max(2.0) } else { step };
    let bound = Bound::new(
        move || bind.value.get() as f64,
        move |v: f64| bind.set.run(param.clamp_usize(v)),
    );
    view! {
        <Slider
            label=label
            bind=bound
            min=param.param.min_f64()
            max=param.param.max_f64()
            step=step
            log=log
            hint=hint
            test_id=test_id
        />
    }
}

/// A [`Slider`] for one real-number URL parameter (its range from the
/// parameter's one definition; reported values are clamped into it).
#[component]
pub fn FloatSlider(
    #[prop(into)] label: String,
    param: FloatParam,
    bind: Bound<f64>,
    #[prop(optional)] log: bool,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let bound = Bound::new(
        move || bind.value.get(),
        move |v: f64| bind.set.run(param.clamp(v)),
    );
    view! { <Slider label bind=bound min=param.min max=param.max step=0.01 log test_id /> }
}

/// A seed as a number field (garbage keeps the old seed, out of range is
/// clamped to `param`'s range, and the field then shows the seed in use)
/// and a button for the next seed (wrapping past the maximum).
#[component]
pub fn SeedField(
    param: IntParam,
    bind: Bound<u64>,
    /// The button's text, e.g. "New random weights".
    button: &'static str,
) -> impl IntoView {
    let id = unique_id("seed");
    let on_change = move |ev: leptos::ev::Event| {
        let raw = event_target_value(&ev);
        let typed = parse_decimal(raw.trim())
            .filter(|v| v.is_finite())
            .map(|v| u64::try_from(param.clamp(v)).unwrap_or(0));
        let seed = typed.unwrap_or_else(|| bind.value.get_untracked());
        bind.set.run(seed);
        event_target::<web_sys::HtmlInputElement>(&ev).set_value(&seed.to_string());
    };
    view! {
        <div class="control seed">
            <label for=id.clone()>"Seed"</label>
            <input id=id type="number" min=param.min max=param.max data-testid="seed" prop:value=move || bind.value.get().to_string() on:change=on_change />
            <button on:click=move |_| bind.set.run(param.next(bind.value.get_untracked()))>{button}</button>
        </div>
    }
}

/// A labelled number box for one whole-number URL parameter (for exact
/// values a slider cannot hit): its range comes from the parameter's
/// definition; a typed value is clamped into it when the box is changed
/// (Enter or leaving it), and text that is not a number keeps the old
/// value (the box then shows the value in use).
#[component]
pub fn ParamNumber(
    #[prop(into)] label: String,
    param: IntParam,
    bind: Bound<usize>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let id = unique_id("number");
    let on_change = move |ev: leptos::ev::Event| {
        let typed = parse_decimal(event_target_value(&ev).trim());
        let v = typed.map_or_else(|| bind.value.get_untracked(), |v| param.clamp_usize(v));
        bind.set.run(v);
        event_target::<web_sys::HtmlInputElement>(&ev).set_value(&v.to_string());
    };
    view! {
        <div class="control number">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="number"
                inputmode="numeric"
                data-testid=test_id
                min=param.min
                max=param.max
                step=1
                prop:value=move || bind.value.get().to_string()
                on:change=on_change
            />
        </div>
    }
}

/// A labelled on/off switch (a checkbox with `role="switch"`).
#[component]
pub fn Toggle(
    #[prop(into)] label: String,
    bind: Bound<bool>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let id = unique_id("toggle");
    view! {
        <div class="control toggle">
            <input
                id=id.clone()
                type="checkbox"
                role="switch"
                data-testid=test_id
                prop:checked=move || bind.value.get()
                on:change=move |ev| bind.set.run(event_target_checked(&ev))
            />
            <label for=id>{label}</label>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_scale_round_trips_its_ends() {
        assert_eq!(log_position(0.05, 0.05, 20.0), 0.0);
        assert_eq!(log_position(20.0, 0.05, 20.0), LOG_STEPS);
        assert_eq!(log_value(0.0, 0.05, 20.0), 0.05);
        assert_eq!(log_value(LOG_STEPS, 0.05, 20.0), 20.0);
    }

    #[test]
    fn log_scale_puts_the_geometric_middle_in_the_middle() {
        let mid = log_value(LOG_STEPS / 2.0, 0.01, 100.0);
        assert!((mid - 1.0).abs() < 1e-12, "{mid}");
        assert_eq!(log_position(1.0, 0.01, 100.0), LOG_STEPS / 2.0);
    }

    #[test]
    fn log_scale_survives_garbage() {
        assert_eq!(log_position(f64::NAN, 0.05, 20.0), 0.0);
        assert_eq!(log_position(1e9, 0.05, 20.0), LOG_STEPS);
        assert_eq!(log_value(f64::INFINITY, 0.05, 20.0), 0.05);
        assert_eq!(log_value(-5.0, 0.05, 20.0), 0.05);
        assert_eq!(log_value(5.0, 0.0, 20.0), 0.0);
    }

    #[test]
    fn log_values_are_rounded_to_three_digits() {
        for p in 0..=1000 {
            let v = log_value(f64::from(p), 0.05, 20.0);
            let s = format!("{v}");
            let digits = s.chars().filter(|c| c.is_ascii_digit()).collect::<String>();
            assert!(digits.trim_start_matches('0').len() <= 3, "{s}");
        }
    }
}
