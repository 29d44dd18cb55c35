//! Labels used as indices: `Z[n, y[n]]`, `delta(c, y[n])`, `softmax(Z[n, :])[y[n]]`,
//! `onehot(y, C)`.
//! They parse and print back, evaluate to the element the label picks (and a label that
//! is not a whole number in range is an error), differentiate and prove, and random
//! points draw labels below the axis they index.

use gauge::lower::workspace::Workspace;
use gauge::numeric::eval::Evaluate;
use proptest::prelude::*;

/// A random label expression over a batch matrix `Z`, labels `y` and a weight `w`.
fn gather() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("Z[n, y[n]]".to_string()),
        Just("delta(c, y[n])".to_string()),
        Just("softmax(Z[n, :])[y[n]]".to_string()),
        Just("log_softmax(Z[n, :])[y[n]]".to_string()),
        Just("cross_entropy(Z[n, :], y[n])".to_string()),
        Just("w[y[n]]".to_string()),
        Just("Z[n, c]".to_string()),
        Just("onehot(y, len(Z, 1))[n, c]".to_string()),
        Just("onehot(y[n], len(Z, 1))[c]".to_string()),
        Just("sum(k, onehot(y, len(Z, 1))[n, k]*log_softmax(Z[n, :])[k])".to_string()),
    ];
    leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} + {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})*({b})")),
            inner.clone().prop_map(|a| format!("exp({a})")),
            inner.prop_map(|a| format!("sum(c, ({a})*Z[n, c])")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn label_expressions_round_trip(body in gather()) {
        let mut s = Workspace::with_prelude().expect("prelude loads");
        for text in [body.clone(), format!("mean(n, {body})"), format!("sum(n, {body})")] {
            let id = s.parse_expression(&text).unwrap_or_else(|e| panic!("`{text}`: {e:?}"));
            let printed = s.print(id);
            let again = s
                .parse_expression(&printed)
                .unwrap_or_else(|e| panic!("printed `{printed}` of `{text}` does not parse: {e:?}"));
            prop_assert_eq!(id, again, "`{}` printed as `{}`", text, printed);
        }
    }
}

/// The value of `text` at the bindings `at`.
fn value(text: &str, at: &str) -> Result<f64, String> {
    let mut s = Workspace::with_prelude().expect("prelude loads");
    let e = s.parse_expression(text).map_err(|e| format!("{e:?}"))?;
    let b = s.parse_bindings(at).map_err(|e| format!("{e:?}"))?;
    s.eval(e, &b).map_err(|e| e.message.to_string())
}

#[test]
fn a_label_picks_its_element_and_a_bad_label_is_an_error() {
    let at = "Z=[[1, 2, 3], [0.5, -1, 4]], y=[2, 0]";
    assert_eq!(value("Z[n, y[n]]", &format!("{at}, n=0")), Ok(3.0));
    assert_eq!(value("Z[n, y[n]]", &format!("{at}, n=1")), Ok(0.5));
    assert_eq!(value("sum(n, Z[n, y[n]])", at), Ok(3.5));
    assert_eq!(value("sum(n, c, delta(c, y[n])*Z[n, c])", at), Ok(3.5));
    // The batch cross-entropy against a direct computation.
    let ce = |z: &[f64], y: usize| z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[y];
    let want = (ce(&[1.0, 2.0, 3.0], 2) + ce(&[0.5, -1.0, 4.0], 0)) / 2.0;
    let got = value("mean(n, cross_entropy(Z[n, :], y[n]))", at).unwrap();
    assert!((got - want).abs() < 1e-14, "{got} {want}");
    let got = value("-mean(n, log_softmax(Z[n, :])[y[n]])", at).unwrap();
    assert!((got - want).abs() < 1e-14, "{got} {want}");
    assert_eq!(
        value("onehot(y, 3)[n, c]", &format!("{at}, n=0, c=2")),
        Ok(1.0)
    );
    assert_eq!(
        value("onehot(y, 3)[n, c]", &format!("{at}, n=0, c=1")),
        Ok(0.0)
    );
    assert_eq!(value("sum(n, c, onehot(y, 3)[n, c]*Z[n, c])", at), Ok(3.5));
    assert_eq!(
        value("onehot(y[n], 3)[c]", &format!("{at}, n=1, c=0")),
        Ok(1.0)
    );
    // Not a whole number, negative, or past the axis.
    for (y, what) in [
        ("2.5", "whole number"),
        ("-1", "whole number"),
        (
            "3",
            "`y[1]` is 3, but the labels `y` index an axis of length 3 (len(Z, 1))",
        ),
    ] {
        let e = value(
            "sum(n, Z[n, y[n]])",
            &format!("Z=[[1, 2, 3], [0.5, -1, 4]], y=[0, {y}]"),
        )
        .unwrap_err();
        assert!(e.contains(what), "y = {y}: {e}");
    }
    // Past the classes of a onehot, where a delta would silently give 0.
    let e = value("sum(n, c, onehot(y, 3)[n, c])", "y=[0, 7]").unwrap_err();
    assert!(e.contains("`y[1]` is 7") && e.contains("length 3"), "{e}");
}

#[test]
fn batch_losses_with_gathers_prove_and_a_wrong_scale_is_refuted() {
    let text = "tensor Z[N, C], y[N]\n\
        claim ce: diff(mean(n, cross_entropy(Z[n, :], y[n])), Z[a, c]) = (softmax(Z[a, :])[c] - delta(c, y[a]))/N\n\
        claim nll: diff(-mean(n, log_softmax(Z[n, :])[y[n]]), Z[a, c]) = (softmax(Z[a, :])[c] - delta(c, y[a]))/N\n\
        claim pick: sum(c, delta(c, y[n])*Z[n, c]) = Z[n, y[n]]\n\
        claim wrong: diff(mean(n, cross_entropy(Z[n, :], y[n])), Z[a, c]) = softmax(Z[a, :])[c] - delta(c, y[a])\n\
        claim unsummed: sum(c, delta(c, y[n])*W[n, c]) = W[n, y[n]]\n\
        claim oh_ce: diff(-mean(n, sum(c, onehot(y, C)[n, c]*log_softmax(Z[n, :])[c])), Z[a, k]) = (softmax(Z[a, :])[k] - onehot(y, C)[a, k])/N\n\
        claim oh_rows: sum(c, onehot(y, C)[n, c])*Z[n, 0] = Z[n, 0]\n\
        claim oh_wrong: sum(c, onehot(y, C)[n, c])*Z[n, 0] = 2*Z[n, 0]\n";
    let verdicts = crate::common::verdicts(text);
    assert_eq!(verdicts[..4], ["proved", "proved", "proved", "refuted"]);
    // `y` indexes `Z`'s classes, not `W`'s columns: the delta cannot contract (a label
    // past W's axis picks nothing on the left and fails on the right), so this is not
    // proved.
    assert_ne!(verdicts[4], "proved");
    assert_eq!(verdicts[5..], ["proved", "proved", "refuted"]);
}

#[test]
fn labels_passed_to_a_definitions_parameter_keep_their_range() {
    // The definition's body uses `y` as labels below `len(Z, 1)`; a call records its
    // argument `lab` so, and random points draw valid labels. Before, `lab` had no
    // range, random labels fell outside the axis, and a true claim was refuted.
    let defs = "let ce2(Z, y, T) = 0*Z[0, 0] - sum(n, c, onehot(y, len(Z, 1))[n, c] * log_softmax(Z / T)[n, c])\n\
        let ce3(Z, y) = mean(n, cross_entropy(Z[n, :], y[n]))\n\
        let ce4(Z, y) = 2*ce3(Z, y)\n";
    let claims = "claim t: diff(ce2(X, lab, S), X[a, c]) = (softmax(X[a, :] / S)[c] - delta(c, lab[a]))/S\n\
        claim t3: diff(ce3(X, lab), X[a, c]) = (softmax(X[a, :])[c] - delta(c, lab[a]))/len(X)\n\
        claim t4: diff(ce4(X, labs), X[a, c]) = 2*(softmax(X[a, :])[c] - delta(c, labs[a]))/len(X)\n\
        claim bad: diff(ce4(X, labs), X[a, c]) = (softmax(X[a, :])[c] - delta(c, labs[a]))/len(X)\n";
    let text = format!("{defs}{claims}");
    assert_eq!(
        crate::common::verdicts(&text),
        ["proved", "proved", "proved", "refuted"]
    );
    let mut s = Workspace::with_prelude().expect("prelude loads");
    s.load_file("ce.gauge", &text).expect("loads");
    for labels in ["lab", "labs"] {
        let sym = s.pool.lookup_symbol(labels).expect("the labels are named");
        let range = s.pool.label_range(sym).expect("the labels have a range");
        assert_eq!(s.print(range), "len(X, 1)", "{labels}");
    }
    // A given label that is no class number is named as the user gave it, not as the
    // definition's body reads it.
    let mut s = gauge::Session::new();
    s.load(defs).expect("loads");
    let e = s
        .eval_at("ce3(X, lab)", "X=[[1, 2], [3, 4]], lab=[0.5, 0]")
        .unwrap_err();
    assert!(
        e.message().starts_with("`lab[0]` is 0.5"),
        "{}",
        e.message()
    );
}

#[test]
fn a_parameters_length_inside_a_whole_tensor_form_prints_in_the_callers_names() {
    // `len(z)` inside `softmax(z / len(z))` is a length of the definition's parameter;
    // printed, it is the argument's, never the internal parameter's name.
    let mut s = gauge::Session::new();
    s.load("let h2(z[n], v[m]) = softmax(z / len(z))[0] * v[0]\n")
        .expect("loads");
    let d = s.diff("h2(u, w)", "w[c]").expect("differentiates");
    assert_eq!(d.to_string(), "delta(0, c)*softmax(u / len(u))[0]");
    assert!(
        !d.latex().contains('%') && !d.latex().contains("U{+}0025"),
        "{}",
        d.latex()
    );
    assert!(
        d.latex().contains("\\operatorname{len}(u)"),
        "{}",
        d.latex()
    );
}
