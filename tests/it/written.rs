//! Numbers print as the user wrote them: a decimal stays a decimal through parse, print
//! and LaTeX, a fraction stays a fraction, and values that arise in a derivation from
//! decimals read as decimals rather than as unreadable fractions.

use gauge::expr::pool::Pool;
use gauge::lower::workspace::Workspace;
use gauge::print::number::{NumberForm, decimal_latex, form};
use num_rational::BigRational;

fn q(n: i64, d: i64) -> BigRational {
    BigRational::new(n.into(), d.into())
}

#[test]
fn a_decimal_round_trips_as_written_through_parse_print_and_latex() {
    for (input, text, tex) in [
        ("0.044715*x^3", "0.044715*x^3", "0.044715 x^3"),
        ("x + 0.044715", "0.044715 + x", "0.044715 + x"),
        ("-0.5*x", "-0.5*x", "-0.5 x"),
        ("2.50*x", "2.50*x", "2.50 x"),
        ("1e-3*x", "1e-3*x", "10^{-3} x"),
        ("2.5e-4/x", "2.5e-4/x", "\\frac{2.5 \\cdot 10^{-4}}{x}"),
        ("x/(2*y)", "x/(2*y)", "\\frac{x}{2 y}"),
        ("x/20000", "x/20000", "\\frac{x}{20000}"),
    ] {
        let mut s = Workspace::with_prelude().unwrap();
        let e = s.parse_expression(input).unwrap();
        assert_eq!(s.print(e), text, "{input}");
        assert_eq!(gauge::print::latex::to_latex(&s.pool, e), tex, "{input}");
        // What prints parses back to the same exact value.
        let again = s.parse_expression(&s.print(e)).unwrap();
        assert_eq!(again, e, "{input}");
    }
}

#[test]
fn gelu_s_constant_prints_as_written_in_its_derivative() {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s
        .parse_expression("0.5*x*(1 + tanh(0.7978845608*(x + 0.044715*x^3)))")
        .unwrap();
    let x = s.parse_variable("x").unwrap();
    let d = s.pool.diff(e, x, 1);
    let (d, _) = gauge::calculus::derivation::take_derivatives(&mut s.pool, d).unwrap();
    let text = s.print(d);
    // 3*0.044715*0.7978845608, derived: a decimal, not a fraction of 15 digits.
    assert!(text.contains("0.107032224408516*x^2"), "{text}");
    assert!(text.contains("0.5*x*(0.7978845608 + "), "{text}");
    assert!(!text.contains('/'), "{text}");
    let tex = gauge::print::latex::to_latex(&s.pool, d);
    assert!(tex.contains("0.107032224408516 x^2"), "{tex}");
    assert!(!tex.contains("\\frac"), "{tex}");
}

#[test]
fn derived_values_print_as_decimals_only_when_that_reads_better() {
    let mut pool = Pool::new();
    // Without decimals in the input, every value stays a fraction.
    assert_eq!(form(&pool, &q(26829, 200000)), NumberForm::Fraction);
    pool.note_user_decimal();
    assert_eq!(
        form(&pool, &q(26829, 200000)),
        NumberForm::Decimal("0.134145".into())
    );
    assert_eq!(form(&pool, &q(1, 2)), NumberForm::Fraction);
    assert_eq!(form(&pool, &q(3, 1000)), NumberForm::Fraction);
    assert_eq!(form(&pool, &q(1, 65536)), NumberForm::Fraction);
    assert_eq!(form(&pool, &q(1, 30000)), NumberForm::Fraction);
    assert_eq!(
        form(&pool, &q(-1, 20000)),
        NumberForm::Decimal("0.00005".into())
    );
    assert_eq!(form(&pool, &q(7, 1)), NumberForm::Integer);
}

#[test]
fn written_values_print_as_written() {
    let mut pool = Pool::new();
    pool.set_written(&q(1, 2), "0.50");
    pool.set_written(&q(1, 1000), "1e-3");
    pool.set_written(&q(1, 20000), "1/20000");
    assert_eq!(form(&pool, &q(-1, 2)), NumberForm::Decimal("0.50".into()));
    assert_eq!(form(&pool, &q(1, 1000)), NumberForm::Decimal("1e-3".into()));
    pool.note_user_decimal();
    // Written as a fraction, a value stays one even where a decimal would be chosen.
    assert_eq!(form(&pool, &q(1, 20000)), NumberForm::Fraction);
    assert_eq!(decimal_latex("1e-3"), "10^{-3}");
    assert_eq!(decimal_latex("2.5e-4"), "2.5 \\cdot 10^{-4}");
    assert_eq!(decimal_latex("1E6"), "10^6");
    assert_eq!(decimal_latex("0.044715"), "0.044715");
}
