//! Property: printing round-trips. For generated expressions e, parsing the printed form
//! of e gives the same pool handle, and printing is a fixed point. The generator covers
//! the reductions (`max(j, body)`, `min`, `argmax` as an index) too.
//!
//! Run with `PROPTEST_CASES=10000 cargo test --release --test roundtrip` for the full
//! count; the default run uses proptest's default number of cases.

use gauge::lower::workspace::Workspace;
use proptest::prelude::*;

/// Generated expression text over a fixed vocabulary: scalars x, y, a, b; a vector z and
/// w; a matrix W; free indices i and k; every builtin and some prelude functions.
fn expr_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..40).prop_map(|n| n.to_string()),
        (0u32..100, 1u32..1000).prop_map(|(a, b)| format!("{a}.{b}")),
        (1u32..9, -4i32..5).prop_map(|(a, e)| format!("{a}e{e}")),
        Just("x".to_string()),
        Just("y".to_string()),
        Just("a".to_string()),
        Just("b".to_string()),
        Just("pi".to_string()),
        Just("e".to_string()),
        Just("z[i]".to_string()),
        Just("z[0]".to_string()),
        Just("w[k]".to_string()),
        Just("W[i, k]".to_string()),
        Just("W[1, k]".to_string()),
        Just("len(z)".to_string()),
    ];
    leaf.prop_recursive(6, 48, 3, |inner| {
        // Every builtin function, and the forms that lower to powers and logarithms.
        let mut names: Vec<&'static str> = gauge::expr::node::Func::ALL
            .iter()
            .map(|f| f.name())
            .collect();
        names.extend(["sqrt", "log2"]);
        let funcs = prop::sample::select(names);
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) + ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) - ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})*({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})/({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a})^({b})")),
            (inner.clone(), -3i32..4).prop_map(|(a, n)| format!("({a})**{n}")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (funcs, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("log({a}, {b})")),
            inner.clone().prop_map(|a| format!("sum(j, z[j]*({a}))")),
            inner
                .clone()
                .prop_map(|a| format!("sum(m, W[i, m]*({a}) + w[m])")),
            inner
                .clone()
                .prop_map(|a| format!("sum(p, q, W[p, q]*({a}))")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("eml({a}, {b})")),
            inner.clone().prop_map(|a| format!("softmax(z)[i]*({a})")),
            inner
                .clone()
                .prop_map(|a| format!("delta(i, k)*({a}) + delta(k, 2)")),
            inner.clone().prop_map(|a| format!("diff({a}, x)")),
            inner.clone().prop_map(|a| format!("diff({a}, z[i], 2)")),
            inner
                .clone()
                .prop_map(|a| format!("cross_entropy(z, k)*({a})")),
            // Reductions over a vector, by element and whole, and positions as indices.
            inner.clone().prop_map(|a| format!("max(j, z[j]*({a}))")),
            inner
                .clone()
                .prop_map(|a| format!("min(m, W[i, m] - ({a}))")),
            inner
                .clone()
                .prop_map(|a| format!("w[argmax(j, z[j] + ({a}))]")),
            inner
                .clone()
                .prop_map(|a| format!("delta(i, argmin(z))*({a}) + max(w)")),
        ]
    })
}

proptest! {
    #[test]
    fn printing_round_trips(text in expr_text()) {
        let mut s = Workspace::with_prelude().expect("prelude loads");
        let id = s.parse_expression(&text).expect("generated text is valid");
        let printed = s.print(id);
        let again = s
            .parse_expression(&printed)
            .unwrap_or_else(|e| panic!("printed form `{printed}` of `{text}` does not parse: {e:?}"));
        prop_assert_eq!(
            id, again,
            "`{}` printed as `{}`, which reads back as `{}`", text, printed, s.print(again)
        );
        prop_assert_eq!(s.print(again), printed);
    }

    #[test]
    fn output_is_deterministic_across_sessions(text in expr_text()) {
        // A second session interns names and nodes in another order; the text agrees.
        let mut s1 = Workspace::with_prelude().unwrap();
        let id1 = s1.parse_expression(&text).unwrap();
        let mut s2 = Workspace::with_prelude().unwrap();
        s2.parse_expression("q + r*t + W[0, 0] + z[1] + sum(j, w[j]^3)").unwrap();
        let id2 = s2.parse_expression(&text).unwrap();
        prop_assert_eq!(s1.print(id1), s2.print(id2));
    }
}
