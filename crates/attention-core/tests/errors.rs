//! Every documented error returns the right variant, names the field, and
//! never panics.

// Always true for an integration test; stated so that the allow-*-in-tests
// settings of clippy.toml also cover its helper functions (rust-clippy#11119).
#![cfg(test)]

use attention_core::spec::{parse_spec, run};
use attention_core::{
    attention_trace, learned_table, AttentionConfig, AttnError, Mat, MultiHeadWeights, Position,
};
use proptest::prelude::*;

fn setup() -> (Mat, MultiHeadWeights) {
    let x = Mat::from_fn(3, 4, |i, j| (i + j) as f64 * 0.1);
    (x, MultiHeadWeights::random(4, 2, 3, 3, 2, 9).unwrap())
}

fn field_of(r: Result<impl std::fmt::Debug, AttnError>) -> (String, bool) {
    let e = r.unwrap_err();
    (e.field().to_string(), matches!(e, AttnError::Shape { .. }))
}

#[test]
fn empty_x_is_a_shape_error() {
    let (_, w) = setup();
    let cfg = AttentionConfig::default();
    assert_eq!(
        field_of(attention_trace(&Mat::zeros(0, 4), &w, &cfg)),
        ("x".into(), true)
    );
    assert_eq!(
        field_of(attention_trace(&Mat::zeros(3, 0), &w, &cfg)),
        ("x".into(), true)
    );
}

#[test]
fn mismatched_shapes_name_the_field() {
    let (x, mut w) = setup();
    let cfg = AttentionConfig::default();
    w.heads[1].w_v = Mat::zeros(4, 2);
    let e = attention_trace(&x, &w, &cfg).unwrap_err();
    assert_eq!(
        e.to_string(),
        "heads[1].w_v: expected 4 x 3 (d_model x d_v), got 4 x 2"
    );
    let (_, w) = setup();
    let wrong_x = Mat::zeros(3, 5);
    assert_eq!(
        field_of(attention_trace(&wrong_x, &w, &cfg)),
        ("heads[0].w_q".into(), true)
    );
    let mut w = w;
    w.w_o = Some(Mat::zeros(5, 2));
    assert_eq!(
        field_of(attention_trace(&x, &w, &cfg)),
        ("w_o".into(), true)
    );
}

#[test]
fn nan_and_inf_inputs_are_value_errors() {
    let (mut x, w) = setup();
    let cfg = AttentionConfig::default();
    x[(2, 1)] = f64::NAN;
    assert_eq!(
        field_of(attention_trace(&x, &w, &cfg)),
        ("x[2][1]".into(), false)
    );
    let (x, mut w) = setup();
    w.heads[0].w_q[(0, 0)] = f64::INFINITY;
    assert_eq!(
        field_of(attention_trace(&x, &w, &cfg)),
        ("heads[0].w_q[0][0]".into(), false)
    );
}

#[test]
fn bad_temperatures() {
    let (x, w) = setup();
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY, -0.0] {
        let cfg = AttentionConfig {
            temperature: t,
            ..AttentionConfig::default()
        };
        assert_eq!(
            field_of(attention_trace(&x, &w, &cfg)),
            ("temperature".into(), false),
            "T = {t}"
        );
    }
}

#[test]
fn odd_dk_with_rope() {
    let (x, w) = setup(); // d_k = 3
    let cfg = AttentionConfig {
        position: Position::Rope,
        ..AttentionConfig::default()
    };
    let e = attention_trace(&x, &w, &cfg).unwrap_err();
    assert!(matches!(e, AttnError::Shape { .. }));
    assert!(e.to_string().contains("even d_k"), "{e}");
}

#[test]
fn learned_table_too_short() {
    let (x, w) = setup(); // n = 3
    let cfg = AttentionConfig {
        position: Position::Learned(learned_table(2, 4, 0)),
        ..AttentionConfig::default()
    };
    let e = attention_trace(&x, &w, &cfg).unwrap_err();
    assert!(matches!(e, AttnError::Value { .. }));
    assert!(
        e.to_string().contains("2 positions") && e.to_string().contains("n = 3"),
        "{e}"
    );
}

#[test]
fn overflow_to_infinity_is_an_error_not_nan() {
    let x = Mat::from_element(2, 2, 1e200);
    let w = MultiHeadWeights::random(2, 1, 2, 2, 2, 0).unwrap();
    let e = attention_trace(&x, &w, &AttentionConfig::default()).unwrap_err();
    assert!(matches!(e, AttnError::Value { .. }), "{e}");
    let cfg = AttentionConfig {
        temperature: 1e-320,
        ..AttentionConfig::default()
    };
    let x = Mat::from_element(2, 2, 1.0);
    assert!(attention_trace(&x, &w, &cfg).is_err());
}

const OK: &str = r#"{"x": [[1, 0], [0, 1]],
  "heads": [{"w_q": [[1, 0], [0, 1]], "w_k": [[1, 0], [0, 1]], "w_v": [[1], [2]]}]"#;

fn spec(extra: &str) -> String {
    format!("{OK}{extra}}}")
}

#[test]
fn spec_errors_name_the_field() {
    assert!(run(&spec("")).is_ok());
    let cases: &[(&str, &str, bool)] = &[
        (r#"{"heads": []}"#, "x", false),
        (r#"{"x": [[1]]}"#, "heads", false),
        (r#"{"x": [], "heads": []}"#, "x", true),
        (r#"{"x": [[]], "heads": []}"#, "x[0]", true),
        (r#"{"x": [[1, 2], [3]], "heads": []}"#, "x[1]", true),
        (r#"{"x": [[1, "a"]], "heads": []}"#, "x[0][1]", false),
        (r#"{"x": [[1e999]], "heads": []}"#, "spec", false),
        (r#"{"x": [[1]], "heads": [}"#, "spec", false),
        (r#"[1, 2]"#, "spec", false),
        (r#"{"x": [[1]], "heads": []}"#, "heads", true),
        (
            r#"{"x": [[1]], "heads": [{"w_q": [[1]], "w_k": [[1]]}]}"#,
            "heads[0].w_v",
            false,
        ),
    ];
    for (text, field, is_shape) in cases {
        let e = run(text).unwrap_err();
        assert_eq!(
            (e.field(), matches!(e, AttnError::Shape { .. })),
            (*field, *is_shape),
            "{text}: {e}"
        );
    }
    let cases: &[(&str, &str)] = &[
        (r#", "temperature": 0"#, "temperature"),
        (r#", "temperature": -2.5"#, "temperature"),
        (r#", "temperature": "hot""#, "temperature"),
        (r#", "mask": "diagonal""#, "mask"),
        (r#", "position": "learned""#, "position"),
        (r#", "scale": 1"#, "scale"),
        (r#", "w_o": [[1, 2], [3, 4]]"#, "w_o"),
        (r#", "w_o": []"#, "w_o"),
        (r#", "w_o": [[1], [2]]"#, "w_o"),
    ];
    for (extra, field) in cases {
        let e = run(&spec(extra)).unwrap_err();
        assert_eq!(e.field(), *field, "{extra}: {e}");
    }
    // Odd d_k with rope: d_k = 3.
    let odd = r#"{"x": [[1, 0]], "heads": [{"w_q": [[1, 0, 0], [0, 1, 0]],
        "w_k": [[1, 0, 0], [0, 1, 0]], "w_v": [[1], [2]]}], "position": "rope"}"#;
    assert!(run(odd).unwrap_err().to_string().contains("even d_k"));
}

#[test]
fn spec_defaults_and_nulls() {
    let s = parse_spec(&spec(r#", "w_o": null, "mask": null"#)).unwrap();
    assert_eq!(s.config, AttentionConfig::default());
    assert_eq!(s.weights.w_o, None);
}

proptest! {
    /// Arbitrary (mostly wrong) shapes and values never panic.
    #[test]
    fn random_shapes_never_panic(
        dims in prop::collection::vec(0usize..4, 8),
        vals in prop::collection::vec(prop_oneof![Just(f64::NAN), -1e3f64..1e3, Just(1e300)], 1..4),
        t in prop_oneof![Just(0.0), Just(-1.0), 0.01f64..3.0, Just(f64::NAN)],
        pos in 0u8..5,
    ) {
        let m = |r: usize, c: usize, k: usize| Mat::from_fn(r, c, |i, j| vals[(i + j + k) % vals.len()]);
        let x = m(dims[0], dims[1], 0);
        let w = MultiHeadWeights {
            heads: (0..dims[2]).map(|h| attention_core::HeadWeights {
                w_q: m(dims[1], dims[3], h),
                w_k: m(dims[1], dims[4], h + 1),
                w_v: m(dims[1], dims[5], h + 2),
            }).collect(),
            w_o: if dims[6] == 0 { None } else { Some(m(dims[6], dims[7], 3)) },
        };
        let position = match pos {
            0 => Position::None,
            1 => Position::Sinusoidal,
            2 => Position::Rope,
            3 => Position::Alibi,
            _ => Position::Learned(m(dims[7], dims[1], 4)),
        };
        let cfg = AttentionConfig { temperature: t, position, ..AttentionConfig::default() };
        if let Ok(tr) = attention_trace(&x, &w, &cfg) {
            prop_assert!(tr.output.iter().all(|v| v.is_finite()));
        }
    }

    /// Arbitrary text never panics the spec parser.
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,64}") {
        let _ = run(&text);
    }
}
