//! `gauge check` and `gradcheck`: the claims the README makes about the gradient checker.

use crate::common::{gauge, stderr, stdout};
use gauge::numeric::oracle::{GradcheckOptions, gradcheck};

#[test]
fn cross_entropy_passes_at_random_points_with_tight_errors() {
    let out = gauge(&[
        "--format",
        "json",
        "check",
        "cross_entropy(z, y)",
        "--wrt",
        "z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["passed"], true);
    // Random vector lengths, from 1 to 8, over the points.
    let mut lengths = std::collections::BTreeSet::new();
    for p in v["points"].as_array().unwrap() {
        lengths.insert(p["components"].as_array().unwrap().len());
    }
    assert!(lengths.len() >= 3, "lengths drawn: {lengths:?}");
    assert!(lengths.iter().all(|&n| (1..=8).contains(&n)));
    for m in v["max_errors"].as_array().unwrap() {
        let rel = m["max_rel_error"].as_f64().unwrap();
        match m["oracle"].as_str().unwrap() {
            "complex step" | "dual numbers" => assert!(rel < 1e-9, "{m}"),
            "finite differences" => assert!(rel < 1e-6, "{m}"),
            other => panic!("unknown oracle {other}"),
        }
    }
}

#[test]
fn a_wrong_hand_derived_gradient_is_caught_and_named() {
    let out = gauge(&[
        "check",
        "eml(x, y)",
        "--wrt",
        "x,y",
        "--grad",
        "exp(x), 1/y",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("worst: component y at x = "), "{text}");
    assert!(text.contains("claim"));
    let out = gauge(&[
        "check",
        "eml(x, y)",
        "--wrt",
        "x,y",
        "--grad",
        "exp(x), -1/y",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_kink_is_reported_not_failed() {
    let out = gauge(&["check", "abs(x)", "--wrt", "x", "--at", "x=0"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("kink"), "{text}");
    assert!(text.contains("not differentiable"), "{text}");
    // A claimed subgradient is accepted, and said so; a claim outside [-1, 1] is not.
    let out = gauge(&[
        "check", "abs(x)", "--wrt", "x", "--at", "x=0", "--grad", "0.5",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("subgradient"), "{}", stdout(&out));
    let out = gauge(&[
        "check", "abs(x)", "--wrt", "x", "--at", "x=0", "--grad", "2",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn cancellation_is_detected_and_the_exact_oracles_decide() {
    let out = gauge(&["check", "ln(1 + x) - x", "--wrt", "x", "--at", "x=1e-12"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("finite differences lost their digits"),
        "{text}"
    );
    assert!(
        text.contains("rests on the complex step and dual numbers"),
        "{text}"
    );
    // A wrong claim is still refuted by the exact oracles.
    let out = gauge(&[
        "check",
        "ln(1 + x) - x",
        "--wrt",
        "x",
        "--at",
        "x=1e-12",
        "--grad",
        "0",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn single_precision_checks_use_their_own_tolerances() {
    let out = gauge(&["check", "tanh(w*x + b)^2", "--wrt", "w,b", "--dtype", "f32"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // A claim off by a factor 1.001 passes in neither precision.
    let out = gauge(&[
        "check", "x^2", "--wrt", "x", "--grad", "2.002*x", "--dtype", "f32",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_input_exits_2() {
    let out = gauge(&["check", "x^2", "--wrt", "q"]);
    assert_eq!(out.status.code(), Some(2));
    let out = gauge(&["check", "x^2 + y", "--wrt", "x,y", "--grad", "2*x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn gradcheck_catches_a_dropped_factor_of_two() {
    // f(w) = sum of w_k^2 * c_k; the right gradient is 2 c_k w_k.
    let c = [0.5, -1.5, 2.0];
    let f = |w: &[f64]| w.iter().zip(&c).map(|(w, c)| w * w * c).sum::<f64>();
    let right = |w: &[f64]| {
        w.iter()
            .zip(&c)
            .map(|(w, c)| 2.0 * c * w)
            .collect::<Vec<_>>()
    };
    let wrong = |w: &[f64]| w.iter().zip(&c).map(|(w, c)| c * w).collect::<Vec<_>>();
    let x0 = [0.3, -1.2, 2.5];
    let ok = gradcheck(f, right, &x0, &GradcheckOptions::default());
    assert!(ok.passed, "{ok:?}");
    let bad = gradcheck(f, wrong, &x0, &GradcheckOptions::default());
    assert!(!bad.passed);
    assert_eq!(bad.worst, Some(2));
}

#[test]
fn the_step_plot_is_an_svg_with_the_data_series() {
    let dir = std::env::temp_dir().join(format!("gauge-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("steps.svg");
    let out = gauge(&[
        "check",
        "sin(x)*exp(x)",
        "--wrt",
        "x",
        "--at",
        "x=0.7",
        "--plot",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the plot is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let lines: Vec<usize> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "polyline")
        .map(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .collect();
    // The error curve has a point per step tried; the branches and the mark follow it.
    assert!(lines.iter().any(|&n| n >= 50), "{lines:?}");
    let labels: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    for want in [
        "step h",
        "truncation branch, ~ h^4",
        "round-off branch, ~ 1/h",
        "chosen step",
    ] {
        assert!(labels.iter().any(|l| l.contains(want)), "missing {want}");
    }
}
