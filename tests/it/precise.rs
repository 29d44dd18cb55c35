//! Precise evaluation: enclosures hold known values and are narrow, identities agree
//! where `f64` cannot tell, certified differences that `f64` rounds away are found,
//! definedness follows the tape's rules, and `gauge prove` refutes a claim only with a
//! counterexample certified in high precision.

use astro_float::{BigFloat, Consts, Radix};
use gauge::lower::workspace::Workspace;
use gauge::numeric::Evaluate;
use gauge::numeric::precise::{Arith, Comparison, Fail, Interval, compare, enclose};

use crate::common::{gauge, stderr, stdout, verdicts};

/// The workspace with the prelude and `defs` loaded.
fn workspace(defs: &str) -> Workspace {
    let mut s = Workspace::with_prelude().unwrap();
    if !defs.is_empty() {
        s.load_file("<defs>", defs).unwrap();
    }
    s
}

/// The enclosure of `text` at `at` with `bits`-bit bounds, its derivatives taken.
fn enclosure(s: &mut Workspace, text: &str, at: &str, bits: usize) -> Result<Interval, Fail> {
    let e = s.parse_expression(text).unwrap();
    let (e, _) = gauge::calculus::derivation::take_derivatives(&mut s.pool, e).unwrap();
    let at = bindings(s, at);
    enclose(&mut s.pool, e, &at, bits)
}

/// The point `at`, as `--at` text (empty for none).
fn bindings(s: &mut Workspace, at: &str) -> gauge::numeric::value::Bindings {
    if at.is_empty() {
        return gauge::numeric::value::Bindings::new();
    }
    s.parse_bindings(at).unwrap()
}

/// How `lhs` and `rhs` compare at `at`.
fn comparison(s: &mut Workspace, lhs: &str, rhs: &str, at: &str) -> Comparison {
    let l = s.parse_expression(lhs).unwrap();
    let r = s.parse_expression(rhs).unwrap();
    let (l, _) = gauge::calculus::derivation::take_derivatives(&mut s.pool, l).unwrap();
    let (r, _) = gauge::calculus::derivation::take_derivatives(&mut s.pool, r).unwrap();
    let at = bindings(s, at);
    compare(&mut s.pool, l, r, &at)
}

/// Asserts that `v` holds the number written in decimal as `digits` (to all the
/// digits given, so the number lies within one unit of the last digit) and is
/// narrower than `width`.
fn assert_holds(v: &Interval, digits: &str, width: f64) {
    let mut cc = Consts::new().unwrap();
    let last = digits.split('.').nth(1).map_or(0, str::len);
    let exact = BigFloat::parse(
        digits,
        Radix::Dec,
        1024,
        astro_float::RoundingMode::None,
        &mut cc,
    );
    let unit = BigFloat::parse(
        &format!("1e-{last}"),
        Radix::Dec,
        1024,
        astro_float::RoundingMode::Up,
        &mut cc,
    );
    let below = exact.sub(&unit, 1024, astro_float::RoundingMode::Down);
    let above = exact.add(&unit, 1024, astro_float::RoundingMode::Up);
    let meets =
        v.lo().cmp(&above).is_some_and(|c| c <= 0) && below.cmp(v.hi()).is_some_and(|c| c <= 0);
    assert!(meets, "{digits} is not in [{}, {}]", v.lo(), v.hi());
    assert!(v.width_f64() < width, "too wide: {}", v.width_f64());
}

#[test]
fn enclosures_hold_known_values_and_are_narrow() {
    let mut s = workspace("");
    let erf = enclosure(&mut s, "erf(1)", "", 256).unwrap();
    assert_holds(
        &erf,
        "0.842700792949714869341220635082609259296066997966302908459937897834717",
        1e-70,
    );
    let pi = enclosure(&mut s, "pi", "", 256).unwrap();
    assert_holds(
        &pi,
        "3.14159265358979323846264338327950288419716939937510582097494459230781640628",
        1e-70,
    );
    let sin = enclosure(&mut s, "sin(x)", "x = 1e22", 128).unwrap();
    assert_holds(&sin, "-0.8522008497671888017727058937530293682618", 1e-35);
    // exp(1) and the constant e are one number, each enclosed on its own path.
    let e = enclosure(&mut s, "e", "", 128).unwrap();
    let exp = enclosure(&mut s, "exp(1)", "", 128).unwrap();
    assert!(!e.disjoint(&exp));
    assert_holds(&exp, "2.718281828459045235360287471352662497757", 1e-35);
}

#[test]
fn erf_far_out_and_near_zero_is_enclosed() {
    let mut s = workspace("");
    // erf(10) = 1 - 2.088e-45: the tail bound gives it at 256 bits.
    let far = enclosure(&mut s, "erf(x)", "x = 10", 256).unwrap();
    assert_holds(
        &far,
        "0.9999999999999999999999999999999999999999999979115124",
        1e-44,
    );
    let near = enclosure(&mut s, "erf(x)", "x = -2^(-70)", 128).unwrap();
    assert!(near.hi().is_negative());
    assert_holds(
        &near,
        "-0.000000000000000000000955774331525264650732838927022662654722999777",
        1e-55,
    );
}

#[test]
fn identities_agree_in_high_precision() {
    let mut s = workspace("let sq(v) = sum(i, v[i]^2)\n");
    let agree = |c: Comparison| matches!(c, Comparison::Agree { .. });
    let c = comparison(&mut s, "sin(x)^2 + cos(x)^2", "1", "x = 1e9");
    assert!(agree(c.clone()), "{c:?}");
    let c = comparison(
        &mut s,
        "sum(i, softmax(z)[i])",
        "1",
        "z = [0.3, -1.2, 4.5, 1e3]",
    );
    assert!(agree(c.clone()), "{c:?}");
    let c = comparison(&mut s, "sq(w)", "w[0]^2 + w[1]^2", "w = [0.1, 3]");
    assert!(agree(c.clone()), "{c:?}");
    // A tensor-valued call passed whole is expanded where the body indexes it.
    let c = comparison(
        &mut s,
        "sq(softmax(w))",
        "softmax(w)[0]^2 + softmax(w)[1]^2",
        "w = [0.1, 3]",
    );
    assert!(agree(c.clone()), "{c:?}");
}

/// The two sides' enclosures, when they are certified to differ.
fn differ(c: Comparison) -> (Interval, Interval) {
    match c {
        Comparison::Differ { lhs, rhs, .. } => (lhs, rhs),
        other => panic!("expected a certified difference, got {other:?}"),
    }
}

#[test]
fn differences_that_f64_rounds_away_are_certified() {
    let mut s = workspace("");
    let (l, r) = differ(comparison(&mut s, "10^20 + 1", "10^20", ""));
    assert!(r.below(&l));
    assert_eq!(l.midpoint_f64(), r.midpoint_f64());
    let (l, r) = differ(comparison(&mut s, "x^2 + 1e-30", "x^2", "x = 1"));
    assert!(r.below(&l));
    // A difference of 1/5 between terms near 10^9, inside a cosine of about 3e9.
    let (l, r) = differ(comparison(
        &mut s,
        "diff(sin((eml(pi, x))^(7)), x)",
        "-7*(eml(pi,x))^6*cos((eml(pi, x))^(7))/x + 1/5",
        "x = 0.37",
    ));
    let gap = l.midpoint_f64() - r.midpoint_f64();
    assert!((gap + 0.2).abs() < 1e-6, "{gap}");
}

#[test]
fn definedness_follows_the_tapes_rules() {
    let mut s = workspace("");
    let undefined = |r: Result<Interval, Fail>| matches!(r, Err(Fail::Undefined(_)));
    assert!(undefined(enclosure(
        &mut s,
        "ln(x - y)",
        "x = 1, y = 1",
        128
    )));
    assert!(undefined(enclosure(&mut s, "sqrt(x)", "x = -1e-300", 128)));
    assert!(undefined(enclosure(
        &mut s,
        "asin(x)",
        "x = 1.0000001",
        128
    )));
    assert!(undefined(enclosure(
        &mut s,
        "1/(x - y)",
        "x = 2, y = 2",
        128
    )));
    assert!(undefined(enclosure(&mut s, "x^(1/3)", "x = -8", 128)));
    assert!(enclosure(&mut s, "x^3", "x = -8", 128).is_ok());
    // A logarithm whose argument f64 rounds to 0 is defined.
    let tiny = enclosure(&mut s, "ln((1 + x) - 1)", "x = 2^(-100)", 128).unwrap();
    assert_holds(&tiny, "-69.314718055994530941723212145817656807", 1e-30);
    // Labels must be whole numbers from 0 within the axis (a new workspace, where
    // `y` is a vector).
    let mut s = workspace("");
    assert!(undefined(enclosure(
        &mut s,
        "Z[0, y[0]]",
        "Z = [[1, 2]], y = [5]",
        128
    )));
    assert!(undefined(enclosure(
        &mut s,
        "Z[0, y[0]]",
        "Z = [[1, 2]], y = [0.5]",
        128
    )));
    let read = enclosure(&mut s, "Z[0, y[0]]", "Z = [[1, 2]], y = [1]", 128).unwrap();
    assert_eq!(read.midpoint_f64(), 2.0);
    // A scalar argument's domain error counts even where the body ignores it.
    let mut s = workspace("let first(a, b) = a\n");
    assert!(undefined(enclosure(
        &mut s,
        "first(x, ln(y))",
        "x = 1, y = -1",
        128
    )));
}

#[test]
fn an_interval_straddling_a_boundary_is_unsure_and_one_past_it_undefined() {
    let mut a = Arith::new(128, 1_000).unwrap();
    let one = a.from_f64(1.0).unwrap();
    let minus_two = a.from_f64(-2.0).unwrap();
    let around = a.sub(&one, &one).unwrap();
    // A third is enclosed with some width, so a third minus itself straddles 0.
    let third = a
        .from_rational(&num_rational::BigRational::new(1.into(), 3.into()))
        .unwrap();
    let both = a.sub(&third, &third).unwrap();
    assert!(both.contains_zero() && !both.is_zero());
    assert!(matches!(a.ln(&both), Err(Fail::Unsure(_))));
    assert!(matches!(a.ln(&minus_two), Err(Fail::Undefined(_))));
    assert!(matches!(a.ln(&around), Err(Fail::Undefined(_))));
    assert!(matches!(a.recip(&both), Err(Fail::Unsure(_))));
    assert!(matches!(a.recip(&around), Err(Fail::Undefined(_))));
    // The budget is counted.
    let mut small = Arith::new(128, 3).unwrap();
    let x = small.from_f64(2.0).unwrap();
    let mut y = x.clone();
    let mut failed = None;
    for _ in 0..5 {
        match small.mul(&y, &x) {
            Ok(v) => y = v,
            Err(f) => failed = Some(f),
        }
    }
    assert_eq!(failed, Some(Fail::Budget));
}

#[test]
fn trigonometric_enclosures_find_their_extrema_and_poles() {
    let mut s = workspace("");
    // cos(pi) is its minimum, -1: the enclosure holds it and stays narrow.
    let c = enclosure(&mut s, "cos(pi + x)", "x = 0", 128).unwrap();
    assert_holds(&c, "-1", 1e-30);
    assert!(matches!(
        enclosure(&mut s, "tan(pi/2 + x)", "x = 0", 128),
        Err(Fail::Unsure(_))
    ));
    let c = comparison(&mut s, "tan(x)", "sin(x)/cos(x)", "x = 1e22");
    assert!(matches!(c, Comparison::Agree { .. }), "{c:?}");
}

#[test]
fn claims_whose_sides_f64_rounds_to_one_number_are_refuted() {
    // The sides agree in f64 at every point, so only the spot checks in high
    // precision see the difference.
    let text = "claim x^2 + 1e-30 = x^2\nclaim 10^20 + 1 + 0*x = 10^20\n";
    assert_eq!(verdicts(text), ["refuted", "refuted"]);
}

#[test]
fn f64_blind_claims_are_refuted_through_gauge_prove() {
    let text = "claim diff(sin((eml(pi, x))^(7)), x) = -7*(eml(pi,x))^6*cos((eml(pi, x))^(7))/x + 1/5\n\
                claim diff(sin((eml(pi, x))^(7)), x) = (1 + 1/7)*(-7*(eml(pi,x))^6*cos((eml(pi, x))^(7))/x) + 1/5\n\
                claim sin(x + 10000000*pi) = sin(x)\n";
    assert_eq!(verdicts(text), ["refuted", "refuted", "confirmed"]);
    let path = std::env::temp_dir().join(format!("gauge-precise-{}.gauge", std::process::id()));
    std::fs::write(&path, text).unwrap();
    let out = gauge(&["prove", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    let o = stdout(&out);
    assert!(
        o.ends_with("0 proved, 1 confirmed, 2 refuted, 0 error\n"),
        "{o}{}",
        stderr(&out)
    );
}
