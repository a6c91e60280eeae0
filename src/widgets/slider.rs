//! Labelled slider (linear or logarithmic), number box and toggle switch.
//!
//! Both are native form controls, so keyboard, focus ring and screen readers
//! work as users expect: arrows / Page Up / Page Down / Home / End on the
//! slider, Space on the toggle. A log slider moves in [`LOG_STEPS`] even steps of
//! log(value) between `min` and `max`.

use super::unique_id;
use crate::query::IntParam;
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
    #[prop(into)] value: Signal<f64>,
    #[prop(into)] on_change: Callback<f64>,
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
        if let Ok(p) = raw.parse::<f64>() {
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

/// A [`Slider`] for one whole-number URL parameter: its range comes from
/// the parameter's one definition, and every value it reports is clamped
/// into that range.
#[component]
pub fn ParamSlider(
    #[prop(into)] label: String,
    param: IntParam,
    #[prop(into)] value: Signal<usize>,
    #[prop(into)] on_change: Callback<usize>,
    #[prop(default = 1.0)] step: f64,
    #[prop(optional)] log: bool,
    #[prop(optional, into)] hint: Signal<String>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let report = Callback::new(move |v: f64| on_change.run(param.clamp_usize(v)));
    view! {
        <Slider
            label=label
            value=move || value.get() as f64
            on_change=report
            min=param.min_f64()
            max=param.max_f64()
            step=step
            log=log
            hint=hint
            test_id=test_id
        />
    }
}

/// A labelled number box for one whole-number URL parameter (for exact
/// values a slider cannot hit): its range comes from the parameter's
/// definition; a typed value is clamped into it when the box is changed
/// (Enter or leaving it), and text that is not a number is ignored.
#[component]
pub fn ParamNumber(
    #[prop(into)] label: String,
    param: IntParam,
    #[prop(into)] value: Signal<usize>,
    #[prop(into)] on_change: Callback<usize>,
    #[prop(optional, into)] test_id: String,
) -> impl IntoView {
    let id = unique_id("number");
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
                prop:value=move || value.get().to_string()
                on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).trim().parse::<f64>() {
                        on_change.run(param.clamp_usize(v));
                    }
                }
            />
        </div>
    }
}

/// A labelled on/off switch (a checkbox with `role="switch"`).
#[component]
pub fn Toggle(
    #[prop(into)] label: String,
    #[prop(into)] checked: Signal<bool>,
    #[prop(into)] on_change: Callback<bool>,
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
                prop:checked=move || checked.get()
                on:change=move |ev| on_change.run(event_target_checked(&ev))
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
