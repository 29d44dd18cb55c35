//! The step checker: it passes the derivations gauge produces, and it rejects a proof
//! that has been tampered with in any of the ways it claims to catch: a step that is not
//! made of its rule instances, a rule instance that is not what its rule gives, a side
//! condition that is not proved, and steps that do not chain.

use gauge::expr::node::Func;
use gauge::lower::workspace::Workspace;
use gauge::trace::{Rewrite, Rule, Step};
use gauge::verify::{check_proof, check_steps};

/// A session with the prelude and `text` loaded, and the proof of its first claim.
fn proved(text: &str) -> (Workspace, gauge::lower::workspace::Claim, Vec<Step>) {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("claims", text).unwrap();
    let claim = s.claims[0].clone();
    let r = gauge::prove::prove(&mut s, &claim, 1);
    let gauge::prove::Outcome::Proved { steps } = r.verdict else {
        panic!("{text}: not proved: {:?}", r.verdict.name());
    };
    (s, claim, steps)
}

const CE: &str = "claim diff(cross_entropy(z, c), z[i]) = softmax(z)[i] - delta(i, c)";

#[test]
fn the_proofs_gauge_produces_pass() {
    for text in [
        CE,
        "claim diff(softmax(z)[k], z[i]) = softmax(z)[k]*(delta(i, k) - softmax(z)[i])",
        "claim diff(x^x, x) = x^x*(1 + ln(x))",
        "assume x > 0\nclaim ln(x^3) - 3*ln(x) = 0",
        "claim diff(sigmoid(u), u) = sigmoid(u)*(1 - sigmoid(u))",
        "claim sin(t)^2 + cos(t)^2 = 1",
        // Proved in primitive terms, with exp(-z[0]) taken out of the sum.
        "claim logsumexp(z) - z[0] = ln(sum(j, exp(z[j] - z[0])))",
        // Proved by combining the logarithms.
        "claim softplus(x) - softplus(-x) = x",
        // Proved over a common denominator, Pythagoras checked on the numerator.
        "claim diff(tan(x), x) = 1/cos(x)^2",
    ] {
        let (mut s, claim, steps) = proved(text);
        let v = check_proof(&mut s, claim.lhs, claim.rhs, &steps, 5)
            .unwrap_or_else(|f| panic!("{text}: {f}"));
        assert_eq!(v.steps, steps.len());
        assert!(v.rewrites >= steps.len(), "{text}: {v:?}");
        assert!(v.points > 0, "{text}: {v:?}");
    }
}

#[test]
fn step_by_step_derivations_pass() {
    let mut s = Workspace::with_prelude().unwrap();
    let defs = s.definitions_in_order();
    for (f, var) in [
        ("cross_entropy(z, y)", "z[i]"),
        ("logsumexp(z)", "z[i]"),
        ("eml(x, w)", "w"),
        ("sin(x)*exp(x^2)/(1 + x^2)", "x"),
        ("sum(j, (p[j] - t[j])^2)", "p[i]"),
    ] {
        let e = s.parse_expression(f).unwrap();
        let v = s.parse_variable(var).unwrap();
        let d = gauge::calculus::derivation::derive_with_steps(&mut s.pool, e, v, 1, &defs, &[])
            .unwrap();
        let r = check_steps(&mut s, &d.steps, 3).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!(r.steps, d.steps.len());
        assert_eq!(d.steps.first().map(|st| st.before), Some(d.start));
    }
}

#[test]
fn a_changed_result_fails_the_replay() {
    let (mut s, claim, mut steps) = proved(CE);
    // The first step's result, moved by 1, and the next step starting from there.
    let one = s.pool.int(1);
    let moved = s.pool.add(vec![steps[0].after, one]);
    steps[0].after = moved;
    steps[1].before = moved;
    let f = check_proof(&mut s, claim.lhs, claim.rhs, &steps, 5).unwrap_err();
    assert_eq!(f.step, 1, "{f}");
    assert!(f.reason.contains("do not turn"), "{f}");
}

#[test]
fn a_wrongly_named_rule_fails() {
    let mut s = Workspace::with_prelude().unwrap();
    let e = s.parse_expression("sin(x)*x").unwrap();
    let x = s.parse_variable("x").unwrap();
    let defs = s.definitions_in_order();
    let mut d =
        gauge::calculus::derivation::derive_with_steps(&mut s.pool, e, x, 1, &defs, &[]).unwrap();
    let rw = d.steps[0]
        .rewrites
        .iter_mut()
        .find(|r| r.rule == Rule::ProductRule)
        .expect("the first step uses the product rule");
    rw.rule = Rule::PowerRule;
    let f = check_steps(&mut s, &d.steps, 3).unwrap_err();
    assert_eq!(f.rule, Some(Rule::PowerRule), "{f}");
    // The failure prints the rule by its kebab-case name, as derivations do.
    assert!(f.to_string().contains("rule `power-rule`"), "{f}");
}

#[test]
fn a_wrong_rule_instance_fails_even_when_the_step_adds_up() {
    let mut s = Workspace::with_prelude().unwrap();
    // d sin(x)/dx by the chain rule, with a wrong outer derivative: the step replays
    // exactly, so only the rule check can catch it.
    let before = s.parse_expression("diff(sin(x), x)").unwrap();
    let after = s.parse_expression("-cos(x)*diff(x, x)").unwrap();
    let steps = vec![Step::whole(Rule::Chain(Func::Sin), before, after)];
    let f = check_steps(&mut s, &steps, 3).unwrap_err();
    assert_eq!(f.rule, Some(Rule::Chain(Func::Sin)), "{f}");
    assert!(f.reason.contains("not what the rule gives"), "{f}");
    // The right instance passes.
    let after = s.parse_expression("cos(x)*diff(x, x)").unwrap();
    let steps = vec![Step::whole(Rule::Chain(Func::Sin), before, after)];
    check_steps(&mut s, &steps, 3).unwrap();
}

#[test]
fn a_side_condition_must_be_proved() {
    let claim = "claim ln(x^2) - 2*ln(x) = 0";
    for (facts, ok) in [("", false), ("assume x > 0\n", true)] {
        let mut s = Workspace::with_prelude().unwrap();
        s.load_file("claims", &format!("{facts}{claim}")).unwrap();
        let before = s.parse_expression("ln(x^2) - 2*ln(x)").unwrap();
        let redex = s.parse_expression("ln(x^2)").unwrap();
        let result = s.parse_expression("2*ln(x)").unwrap();
        let zero = s.pool.int(0);
        let steps = vec![Step::from_rewrites(
            before,
            zero,
            vec![Rewrite::new(Rule::LnOfPower, redex, result)],
        )];
        let r = check_steps(&mut s, &steps, 3);
        assert_eq!(r.is_ok(), ok, "{facts}: {r:?}");
        if let Err(f) = r {
            assert!(f.reason.contains("side condition"), "{f}");
        }
    }
}

#[test]
fn a_rule_that_does_not_match_and_an_unrelated_algebra_step_fail() {
    let mut s = Workspace::with_prelude().unwrap();
    let a = s.parse_expression("(x + 1)^2").unwrap();
    let b = s.parse_expression("x^2 + 1").unwrap();
    let f = check_steps(&mut s, &[Step::whole(Rule::Distribute, a, b)], 3).unwrap_err();
    assert_eq!(f.rule, Some(Rule::Distribute), "{f}");
    // Rules are an enum, so a made-up name cannot reach the checker; a real rule that
    // does not match the expression is refused instead.
    let f = check_steps(&mut s, &[Step::whole(Rule::LnOfExp, a, b)], 3).unwrap_err();
    assert_eq!(f.rule, Some(Rule::LnOfExp), "{f}");
    // The true expansion passes.
    let c = s.parse_expression("x^2 + 2*x + 1").unwrap();
    check_steps(&mut s, &[Step::whole(Rule::Distribute, a, c)], 3).unwrap();
}

#[test]
fn steps_must_chain_and_a_proof_must_end_at_zero() {
    let (mut s, claim, mut steps) = proved(CE);
    steps.swap(0, 1);
    assert!(check_proof(&mut s, claim.lhs, claim.rhs, &steps, 5).is_err());
    let (mut s, claim, mut steps) = proved(CE);
    steps.pop();
    let f = check_proof(&mut s, claim.lhs, claim.rhs, &steps, 5).unwrap_err();
    assert!(f.reason.contains("end at 0"), "{f}");
}

/// A step of one rewrite at the top, from parsed expressions.
fn one_rewrite(s: &mut Workspace, rule: Rule, before: &str, after: &str) -> Vec<Step> {
    let b = s.parse_expression(before).unwrap();
    let a = s.parse_expression(after).unwrap();
    vec![Step::from_rewrites(b, a, vec![Rewrite::new(rule, b, a)])]
}

#[test]
fn powers_of_products_need_positive_factors() {
    for (facts, ok) in [("", false), ("assume x > 0\nassume y > 0\n", true)] {
        let mut s = Workspace::with_prelude().unwrap();
        s.load_file("facts", facts).unwrap();
        let steps = one_rewrite(
            &mut s,
            Rule::PowerOfProduct,
            "(x*y)^(1/2)",
            "x^(1/2)*y^(1/2)",
        );
        let r = check_steps(&mut s, &steps, 3);
        assert_eq!(r.is_ok(), ok, "{facts}: {r:?}");
    }
    // Constants are positive without a fact.
    let mut s = Workspace::with_prelude().unwrap();
    let steps = one_rewrite(
        &mut s,
        Rule::PowerOfProduct,
        "sqrt(2/pi)",
        "sqrt(2)/sqrt(pi)",
    );
    check_steps(&mut s, &steps, 3).unwrap();
}

#[test]
fn powers_of_numbers_are_compared_exactly() {
    let mut s = Workspace::with_prelude().unwrap();
    for (before, after, ok) in [
        ("2/sqrt(2)*x", "sqrt(2)*x", true),
        ("12^(3/2)", "24*sqrt(3)", true),
        ("2^(-1/2)*3", "3/2*sqrt(2)", true),
        // Close in value, but not equal: 2^(1/2) against 1.41421356237.
        ("2/sqrt(2)", "141421356237/100000000000", false),
        ("2/sqrt(2)*x", "sqrt(2)*y", false),
        ("8^(1/3)", "3", false),
    ] {
        let steps = one_rewrite(&mut s, Rule::NumericPower, before, after);
        let r = check_steps(&mut s, &steps, 3);
        assert_eq!(r.is_ok(), ok, "{before} -> {after}: {r:?}");
    }
}

#[test]
fn combined_logarithms_need_positive_arguments_and_a_product_of_one() {
    let mut s = Workspace::with_prelude().unwrap();
    let steps = one_rewrite(
        &mut s,
        Rule::CombineLogarithms,
        "ln(1 + exp(x)) - ln(1 + exp(-x)) - x",
        "0",
    );
    check_steps(&mut s, &steps, 3).unwrap();
    // The product is e, not 1.
    let steps = one_rewrite(
        &mut s,
        Rule::CombineLogarithms,
        "ln(1 + exp(x)) - ln(1 + exp(-x)) - x + 1",
        "0",
    );
    assert!(check_steps(&mut s, &steps, 3).is_err());
    // ln(x) + ln(1/x) is 0 only where x > 0, which must be known.
    for (facts, ok) in [("", false), ("assume x > 0\n", true)] {
        let mut s = Workspace::with_prelude().unwrap();
        s.load_file("facts", facts).unwrap();
        let steps = one_rewrite(&mut s, Rule::CombineLogarithms, "ln(x) + ln(1/x)", "0");
        let r = check_steps(&mut s, &steps, 3);
        assert_eq!(r.is_ok(), ok, "{facts}: {r:?}");
    }
}

#[test]
fn sums_may_be_reordered_but_not_transposed() {
    let mut s = Workspace::with_prelude().unwrap();
    // The same contraction over j and k, nested the other way round.
    let steps = one_rewrite(
        &mut s,
        Rule::SumExchange,
        "sum(j, a[j]*sum(k, W[j, k]*b[k]))",
        "sum(k, b[k]*sum(j, a[j]*W[j, k]))",
    );
    check_steps(&mut s, &steps, 3).unwrap();
    // A product of two sums is one contraction too.
    let steps = one_rewrite(
        &mut s,
        Rule::SumExchange,
        "sum(j, a[j])*sum(k, b[k])",
        "sum(k, sum(j, a[j]*b[k]))",
    );
    check_steps(&mut s, &steps, 3).unwrap();
    // W transposed is another sum.
    let steps = one_rewrite(
        &mut s,
        Rule::SumExchange,
        "sum(j, a[j]*sum(k, W[j, k]*b[k]))",
        "sum(k, b[k]*sum(j, a[j]*W[k, j]))",
    );
    assert!(check_steps(&mut s, &steps, 3).is_err());
}

#[test]
fn powers_of_e_multiply_out_alike() {
    // CI found this: e*e*e and e^3 and exp(3) are one value to the checker.
    let mut s = Workspace::with_prelude().unwrap();
    let steps = one_rewrite(
        &mut s,
        Rule::FactorCommon,
        "w*(e - ln(x))^3 - w*(e - 3 - ln(x))*(e - ln(x))^2 - 3*w*(e - ln(x))^2",
        "0",
    );
    check_steps(&mut s, &steps, 3).unwrap();
    let steps = one_rewrite(
        &mut s,
        Rule::FactorCommon,
        "(e - y)^3 - (e - y)^2*(e - y + 1)",
        "0",
    );
    assert!(check_steps(&mut s, &steps, 3).is_err());
}

#[test]
fn higher_derivatives_are_taken_under_the_outer_derivatives() {
    // Each step of a second or third derivative is an equality: the derivatives still
    // to take surround it (a review found d^2/dx^2 (x^3 y) = 3x^2 y printed before).
    let mut s = Workspace::with_prelude().unwrap();
    let defs = s.definitions_in_order();
    for (f, order) in [("x^3*y", 2), ("x^4", 3), ("x*sin(x)", 2), ("sigmoid(x)", 2)] {
        let e = s.parse_expression(f).unwrap();
        let v = s.parse_variable("x").unwrap();
        let d =
            gauge::calculus::derivation::derive_with_steps(&mut s.pool, e, v, order, &defs, &[])
                .unwrap();
        assert_eq!(d.steps.first().map(|st| st.before), Some(d.start), "{f}");
        assert!(d.steps.windows(2).all(|w| w[0].after == w[1].before), "{f}");
        assert_eq!(d.steps.last().map(|st| st.after), Some(d.result), "{f}");
        check_steps(&mut s, &d.steps, 3).unwrap_or_else(|e| panic!("{f}: {e}"));
    }
}

#[test]
fn powers_of_reciprocals_compare_with_powers_of_their_bases() {
    // CI found this: (x/(1 + x))^(x - 1/7) differentiated two ways.
    let mut s = Workspace::with_prelude().unwrap();
    let steps = one_rewrite(
        &mut s,
        Rule::Differentiate,
        "diff((x/(1 + x))^(x - 1/7), x)",
        "(x/(1 + x))^(x - 1/7)*((x - 1/7)*(1 + x)*(1/(1 + x) - x/(1 + x)^2)/x + ln(x/(1 + x)))",
    );
    check_steps(&mut s, &steps, 3).unwrap();
    let steps = one_rewrite(
        &mut s,
        Rule::Differentiate,
        "diff((x/(1 + x))^(x - 1/7), x)",
        "(x/(1 + x))^(x - 1/7)*((x - 1/7)/x + ln(x/(1 + x)))",
    );
    assert!(check_steps(&mut s, &steps, 3).is_err());
}

#[test]
fn powers_of_powers_meet_their_base_through_odd_denominators() {
    // CI found this: ((x^x)^(4/7))^(x - 3/7) differentiated two ways, where one way has
    // (x^x)^-1 and the other x^-x.
    let mut s = Workspace::with_prelude().unwrap();
    let steps = one_rewrite(
        &mut s,
        Rule::Differentiate,
        "diff(((x^x)^(4/7))^(x - 3/7), x)",
        "((x^x)^(4/7))^(x - 3/7)*(4*x^(-x)*x^x*(x - 3/7)*(1 + ln(x))/7 + ln((x^x)^(4/7)))",
    );
    check_steps(&mut s, &steps, 3).unwrap();
    // A wrong factor is still refused.
    let steps = one_rewrite(
        &mut s,
        Rule::Differentiate,
        "diff(((x^x)^(4/7))^(x - 3/7), x)",
        "((x^x)^(4/7))^(x - 3/7)*(4*x^(-x)*x^x*(x - 3/7)*ln(x)/7 + ln((x^x)^(4/7)))",
    );
    assert!(check_steps(&mut s, &steps, 3).is_err());
    // CI found this too: the two forms differ only in how `(1/343)^(y^x - 1)` is split,
    // which their difference merges to 0.
    let steps = one_rewrite(
        &mut s,
        Rule::Differentiate,
        "diff(((2/7)^(15/7) - x)^(y^x), x)",
        "((2/7)^(15/7) - x)^y^x*(y^x*ln(y)*ln((2/7)^(15/7) - x) - y^x/((2/7)^(15/7) - x))",
    );
    check_steps(&mut s, &steps, 3).unwrap();
    // An even root does not move inside: (u^2)^(1/2) is |u|, which is not u.
    let steps = one_rewrite(&mut s, Rule::FactorCommon, "(y^2)^(1/2) - y", "0");
    assert!(check_steps(&mut s, &steps, 3).is_err());
}

#[test]
fn high_powers_of_a_sum_meet_the_sum_multiplied_in() {
    // CI found these: S^13 (e - ln x) against S^14, for S = e - ln(x).
    let mut s = Workspace::with_prelude().unwrap();
    for n in [9, 13] {
        let before = format!(
            "-{n}*(e - ln(x))^{n}/x - {n}*(e - ln(x))^{m}/x - (e - ln(x))^{n}*(-{n}/x - {n}*(e - ln(x))/x)",
            m = n + 1
        );
        let steps = one_rewrite(&mut s, Rule::FactorCommon, &before, "0");
        check_steps(&mut s, &steps, 3).unwrap_or_else(|f| panic!("{n}: {f}"));
    }
    let steps = one_rewrite(
        &mut s,
        Rule::FactorCommon,
        "(e - ln(x))^13*(e - ln(x)) - (e - ln(x))^13",
        "0",
    );
    assert!(check_steps(&mut s, &steps, 3).is_err());
}

/// The checker with only `facts` loaded, and the result of checking one rewrite of the
/// whole expression `before` into `after` by `rule`.
fn check_one(
    facts: &str,
    rule: Rule,
    before: &str,
    after: &str,
) -> Result<gauge::verify::Verified, gauge::verify::Failure> {
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("facts", facts).unwrap();
    let steps = one_rewrite(&mut s, rule, before, after);
    check_steps(&mut s, &steps, 3)
}

#[test]
fn false_side_conditions_are_refused_by_the_checkers_own_sign_prover() {
    // Each rewrite is correct exactly when its side condition holds; the first column
    // says whether the facts make it hold.
    for (facts, rule, before, after, ok) in [
        // The base is negative, or its sign is unknown, or only its square is known.
        (
            "assume x < 0\n",
            Rule::LnOfPower,
            "ln(x^3)",
            "3*ln(x)",
            false,
        ),
        (
            "assume x > -1\n",
            Rule::LnOfPower,
            "ln(x^3)",
            "3*ln(x)",
            false,
        ),
        (
            "assume x >= 0\n",
            Rule::LnOfPower,
            "ln(x^3)",
            "3*ln(x)",
            false,
        ),
        (
            "assume x > 0\n",
            Rule::LnOfPower,
            "ln(x^3)",
            "3*ln(x)",
            true,
        ),
        // Always true: a square plus a positive number, an exponential.
        (
            "",
            Rule::LnOfPower,
            "ln((x^2 + 1)^3)",
            "3*ln(x^2 + 1)",
            true,
        ),
        (
            "",
            Rule::LnOfPower,
            "ln((x^2 - 1)^3)",
            "3*ln(x^2 - 1)",
            false,
        ),
        (
            "",
            Rule::LnOfPower,
            "ln((x^3 + 1)^3)",
            "3*ln(x^3 + 1)",
            false,
        ),
        (
            "",
            Rule::LnOfPower,
            "ln((exp(x) + 1)^3)",
            "3*ln(exp(x) + 1)",
            true,
        ),
        // Constants, by their values: pi - 3 > 0 but 1 - pi < 0.
        ("", Rule::LnOfPower, "ln((pi - 3)^3)", "3*ln(pi - 3)", true),
        ("", Rule::LnOfPower, "ln((1 - pi)^3)", "3*ln(1 - pi)", false),
        // Two negative factors make a positive product; one does not.
        (
            "assume x < 0\nassume y < 0\n",
            Rule::LnOfPower,
            "ln((x*y)^(1/2))",
            "ln(x*y)/2",
            true,
        ),
        (
            "assume x < 0\nassume y > 0\n",
            Rule::LnOfPower,
            "ln((x*y)^(1/2))",
            "ln(x*y)/2",
            false,
        ),
        // |x| is positive only where x is not 0.
        ("", Rule::LnOfPower, "ln(abs(x)^3)", "3*ln(abs(x))", false),
        (
            "assume x != 0\n",
            Rule::LnOfPower,
            "ln(abs(x)^3)",
            "3*ln(abs(x))",
            true,
        ),
        // A fact about the product says nothing about each factor.
        (
            "assume x*y > 0\n",
            Rule::LnOfProduct,
            "ln(x*y)",
            "ln(x) + ln(y)",
            false,
        ),
        (
            "assume x > 0\n",
            Rule::LnOfProduct,
            "ln(x*y)",
            "ln(x) + ln(y)",
            false,
        ),
        (
            "assume x > 0\nassume y > 0\n",
            Rule::LnOfProduct,
            "ln(x*y)",
            "ln(x) + ln(y)",
            true,
        ),
        ("", Rule::PowerOfPower, "(x^2)^(1/2)", "x", false),
        (
            "assume x > 0\n",
            Rule::PowerOfPower,
            "(x^2)^(1/2)",
            "x",
            true,
        ),
        (
            "assume x > 0\n",
            Rule::PowerOfProduct,
            "(x*y)^(1/2)",
            "x^(1/2)*y^(1/2)",
            false,
        ),
        ("", Rule::AbsOfNonnegative, "abs(x)", "x", false),
        (
            "assume x > -1\n",
            Rule::AbsOfNonnegative,
            "abs(x)",
            "x",
            false,
        ),
        (
            "assume x >= 0\n",
            Rule::AbsOfNonnegative,
            "abs(x)",
            "x",
            true,
        ),
        (
            "",
            Rule::AbsOfNonnegative,
            "abs(x^2 + sigmoid(y))",
            "x^2 + sigmoid(y)",
            true,
        ),
        (
            "",
            Rule::AbsOfNonnegative,
            "abs(exp(y) - 1)",
            "exp(y) - 1",
            false,
        ),
        (
            "assume x < 0\n",
            Rule::AbsOfNegative,
            "abs(x*exp(y))",
            "-x*exp(y)",
            true,
        ),
        (
            "assume x > 0\n",
            Rule::AbsOfNegative,
            "abs(x*exp(y))",
            "-x*exp(y)",
            false,
        ),
        ("assume x < 1\n", Rule::AbsOfNegative, "abs(x)", "-x", false),
        ("assume x < 0\n", Rule::AbsOfNegative, "abs(x)", "-x", true),
        // A logarithm is positive where its argument is above 1, and of unknown sign
        // where the argument is only known to be positive.
        (
            "assume x > 1\n",
            Rule::LnOfPower,
            "ln(ln(x)^3)",
            "3*ln(ln(x))",
            true,
        ),
        (
            "assume x > 0\n",
            Rule::LnOfPower,
            "ln(ln(x)^3)",
            "3*ln(ln(x))",
            false,
        ),
        ("", Rule::CombineLogarithms, "ln(x) + ln(1/x)", "0", false),
        (
            "assume x < 0\n",
            Rule::CombineLogarithms,
            "ln(x) + ln(1/x)",
            "0",
            false,
        ),
    ] {
        let r = check_one(facts, rule, before, after);
        assert_eq!(r.is_ok(), ok, "{facts}{before} -> {after}: {r:?}");
        if let Err(f) = r {
            assert_eq!(f.rule, Some(rule), "{f}");
            assert!(f.reason.contains("side condition"), "{f}");
        }
    }
}

/// The outer factor of the chain rule for each builtin, in the language, at `u`.
const OUTER: [(Func, &str); 15] = [
    (Func::Exp, "exp(u)"),
    (Func::Ln, "1/u"),
    (Func::Sin, "cos(u)"),
    (Func::Cos, "-sin(u)"),
    (Func::Tan, "1 + tan(u)^2"),
    (Func::Sinh, "cosh(u)"),
    (Func::Cosh, "sinh(u)"),
    (Func::Tanh, "1 - tanh(u)^2"),
    (Func::Asin, "1/sqrt(1 - u^2)"),
    (Func::Acos, "-1/sqrt(1 - u^2)"),
    (Func::Atan, "1/(1 + u^2)"),
    (Func::Erf, "2/sqrt(pi)*exp(-u^2)"),
    (Func::Abs, "u/abs(u)"),
    (Func::Sigmoid, "sigmoid(u)*(1 - sigmoid(u))"),
    (Func::Softplus, "sigmoid(u)"),
];

#[test]
fn a_wrong_chain_rule_factor_is_refused_for_every_function() {
    // The checker's own table gives each function's outer factor: the right one passes,
    // and every other function's factor (and the factor with its sign flipped) fails.
    let mut s = Workspace::with_prelude().unwrap();
    let u = "(2*x)";
    let at = |text: &str| text.replace('u', u);
    for (f, right) in OUTER {
        let before = format!("diff({}({u}), x)", f.name());
        let chain = |outer: &str| format!("({})*diff({u}, x)", at(outer));
        let steps = one_rewrite(&mut s, Rule::Chain(f), &before, &chain(right));
        check_steps(&mut s, &steps, 3).unwrap_or_else(|e| panic!("{before}: {e}"));
        let flipped = format!("-({right})");
        let others = OUTER.iter().filter(|(g, _)| *g != f).map(|(_, w)| *w);
        for wrong in others.chain([flipped.as_str()]) {
            let steps = one_rewrite(&mut s, Rule::Chain(f), &before, &chain(wrong));
            let e =
                check_steps(&mut s, &steps, 3).expect_err(&format!("{before} -> {}", chain(wrong)));
            assert_eq!(e.rule, Some(Rule::Chain(f)), "{e}");
            assert!(e.reason.contains("not what the rule gives"), "{e}");
        }
        // The rule of another function is not this one's.
        let other = if f == Func::Sin { Func::Cos } else { Func::Sin };
        let steps = one_rewrite(&mut s, Rule::Chain(other), &before, &chain(right));
        let e = check_steps(&mut s, &steps, 3).unwrap_err();
        assert!(e.reason.contains("is given by"), "{e}");
    }
}

#[test]
fn a_wrong_whole_derivative_is_refused() {
    // `differentiate` steps are recomputed from the checker's own table, all the way
    // down, through inner derivatives and definitions.
    let mut s = Workspace::with_prelude().unwrap();
    for (before, right, wrong) in [
        (
            "diff(tanh(x^2), x)",
            "2*x*(1 - tanh(x^2)^2)",
            "2*x*(1 + tanh(x^2)^2)",
        ),
        ("diff(atan(3*x), x)", "3/(1 + 9*x^2)", "3/(1 - 9*x^2)"),
        (
            "diff(erf(x), x)",
            "2/sqrt(pi)*exp(-x^2)",
            "2/sqrt(pi)*exp(x^2)",
        ),
        ("diff(ln(cosh(x)), x)", "tanh(x)", "-tanh(x)"),
        ("diff(softplus(x), x)", "sigmoid(x)", "sigmoid(-x)"),
        (
            "diff(acos(x/2), x)",
            "-1/(2*sqrt(1 - x^2/4))",
            "1/(2*sqrt(1 - x^2/4))",
        ),
        (
            "diff(diff(sin(x)*x, x), x)",
            "2*cos(x) - x*sin(x)",
            "2*cos(x) + x*sin(x)",
        ),
        ("diff(eml(x, y), y)", "-1/y", "1/y"),
        ("diff(x^x, x)", "x^x*(1 + ln(x))", "x^x*ln(x)"),
    ] {
        let steps = one_rewrite(&mut s, Rule::Differentiate, before, right);
        check_steps(&mut s, &steps, 3).unwrap_or_else(|e| panic!("{before}: {e}"));
        let steps = one_rewrite(&mut s, Rule::Differentiate, before, wrong);
        let e = check_steps(&mut s, &steps, 3).expect_err(before);
        assert_eq!(e.rule, Some(Rule::Differentiate), "{e}");
    }
}

#[test]
fn negated_arguments_are_checked_by_the_checkers_own_table() {
    let mut s = Workspace::with_prelude().unwrap();
    // Each true instance passes, and the same instance with the symmetry of another
    // kind of function (odd for even, no shift for a shifted one) is refused.
    for (before, right, wrong) in [
        ("sin(y - x)", "-sin(x - y)", "sin(x - y)"),
        ("cos(y - x)", "cos(x - y)", "-cos(x - y)"),
        ("tanh(y - x)", "-tanh(x - y)", "tanh(x - y)"),
        ("sigmoid(-x)", "1 - sigmoid(x)", "-sigmoid(x)"),
        (
            "softplus(y - x)",
            "y - x + softplus(x - y)",
            "softplus(x - y)",
        ),
        ("acos(-x/2)", "pi - acos(x/2)", "acos(x/2)"),
    ] {
        let b = s.parse_expression(before).unwrap();
        let r = s.parse_expression(right).unwrap();
        let w = s.parse_expression(wrong).unwrap();
        check_steps(&mut s, &[Step::whole(Rule::NegatedArgument, b, r)], 3)
            .unwrap_or_else(|e| panic!("{before} -> {right}: {e}"));
        let f =
            check_steps(&mut s, &[Step::whole(Rule::NegatedArgument, b, w)], 3).expect_err(before);
        assert_eq!(f.rule, Some(Rule::NegatedArgument), "{f}");
    }
    // A function without the symmetry is not matched.
    let b = s.parse_expression("exp(-x)").unwrap();
    let a = s.parse_expression("1/exp(x)").unwrap();
    assert!(check_steps(&mut s, &[Step::whole(Rule::NegatedArgument, b, a)], 3).is_err());
}

#[test]
fn angle_sums_contents_and_merged_powers_are_checked_on_their_own() {
    let mut s = Workspace::with_prelude().unwrap();
    for (rule, before, right, wrong) in [
        (
            Rule::AngleSum,
            "sin(x + y)",
            "sin(x)*cos(y) + cos(x)*sin(y)",
            "sin(x)*cos(y) - cos(x)*sin(y)",
        ),
        (
            Rule::AngleSum,
            "cos(x + y)",
            "cos(x)*cos(y) - sin(x)*sin(y)",
            "cos(x)*cos(y) + sin(x)*sin(y)",
        ),
        (
            Rule::AngleSum,
            "sin(3*x)",
            "sin(x)*cos(2*x) + cos(x)*sin(2*x)",
            "sin(x)*cos(2*x)",
        ),
        (
            Rule::LnOfContent,
            "ln(17 + 6*x^2)",
            "ln(6) + ln(17/6 + x^2)",
            "ln(6) + ln(17 + x^2)",
        ),
        (
            Rule::ProductOfPowers,
            "(x - 1)^9*(x + 1)^9*y",
            "(x^2 - 1)^9*y",
            "(x^2 + 1)^9*y",
        ),
    ] {
        let b = s.parse_expression(before).unwrap();
        let r = s.parse_expression(right).unwrap();
        let w = s.parse_expression(wrong).unwrap();
        check_steps(&mut s, &[Step::whole(rule, b, r)], 3)
            .unwrap_or_else(|e| panic!("{before} -> {right}: {e}"));
        let f = check_steps(&mut s, &[Step::whole(rule, b, w)], 3).expect_err(before);
        assert_eq!(f.rule, Some(rule), "{f}");
    }
    // Powers of different exponents do not merge.
    let b = s.parse_expression("(x - 1)^2*(x + 1)^3").unwrap();
    let a = s.parse_expression("(x^2 - 1)^2*(x + 1)").unwrap();
    assert!(check_steps(&mut s, &[Step::whole(Rule::ProductOfPowers, b, a)], 3).is_err());
}

#[test]
fn higher_derivatives_by_an_element_are_checked_both_ways() {
    // Each derivative by an element brings a delta, so a second derivative by the same
    // element has its square, `delta(j, k)^2`, inside the sum: the checker's normal form
    // reads it as the delta it equals and contracts it. A wrong result must still be
    // refused.
    let mut s = Workspace::with_prelude().unwrap();
    s.load_file("decls", "tensor g[n]\ntensor W[r, c]").unwrap();
    for (before, right, wrongs) in [
        (
            "diff(sum(j, g[j]^2), g[k], 2)",
            "2",
            &["3", "2*g[k]", "0"][..],
        ),
        (
            "diff(sum(j, g[j]^3), g[k], 2)",
            "6*g[k]",
            &["3*g[k]", "6", "6*g[k]^2"][..],
        ),
        ("diff(sum(j, g[j]^3), g[k], 3)", "6", &["0", "6*g[k]"][..]),
        (
            "diff(sum(j, exp(g[j])), g[k], 2)",
            "exp(g[k])",
            &["-exp(g[k])", "sum(j, exp(g[j]))"][..],
        ),
        (
            "diff(diff(sum(j, g[j]^2), g[k]), g[m])",
            "2*delta(k, m)",
            &["2", "2*delta(k, m)*g[k]"][..],
        ),
        (
            "diff(diff(sum(j, g[j]^3), g[k]), g[m])",
            "6*g[k]*delta(k, m)",
            &["6*g[k]", "6*g[m]"][..],
        ),
        (
            "diff(sum(i, j, W[i, j]^2), W[a, b], 2)",
            "2",
            &["4", "2*W[a, b]"][..],
        ),
        (
            "diff(diff(sum(i, j, W[i, j]^2), W[a, b]), W[p, q])",
            "2*delta(a, p)*delta(b, q)",
            &["2*delta(a, p)", "2"][..],
        ),
    ] {
        let steps = one_rewrite(&mut s, Rule::Differentiate, before, right);
        check_steps(&mut s, &steps, 3).unwrap_or_else(|e| panic!("{before} -> {right}: {e}"));
        for wrong in wrongs {
            let steps = one_rewrite(&mut s, Rule::Differentiate, before, wrong);
            let e = check_steps(&mut s, &steps, 3)
                .err()
                .unwrap_or_else(|| panic!("{before} -> {wrong} was accepted"));
            assert_eq!(
                e.rule,
                Some(Rule::Differentiate),
                "{before} -> {wrong}: {e}"
            );
        }
    }
}

#[test]
fn a_power_of_a_delta_is_the_delta_only_for_whole_positive_exponents() {
    // The normal form reads `delta^n` as `delta` for a whole `n >= 1` only: the square
    // contracts in a sum, but a reciprocal (undefined where the delta is 0) and a
    // product of two different deltas do not become one delta.
    for (before, after, ok) in [
        ("sum(j, 2*delta(j, k)^2*g[j])", "2*g[k]", true),
        ("sum(j, delta(j, k)^3*g[j]^2)", "g[k]^2", true),
        ("sum(j, delta(j, k)*delta(j, m)*g[j])", "g[k]", false),
        ("delta(k, m)^2*g[k]", "delta(k, m)*g[k]", true),
        ("delta(k, m)^2", "delta(k, m)^3", true),
        ("delta(k, m)^2", "2*delta(k, m)", false),
    ] {
        let r = check_one("tensor g[n]", Rule::SumDeltaContract, before, after);
        assert_eq!(r.is_ok(), ok, "{before} -> {after}: {r:?}");
    }
}
