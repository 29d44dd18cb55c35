//! The check of one rule instance: one arm per [`Rule`].
//!
//! [`Kernel::check_rewrite`] matches on the rule with an exhaustive `match` (no
//! catch-all arm), so that a rule added to [`Rule`] without a check here does not
//! compile. Each arm confirms that the matched subexpression has the rule's shape, that
//! the result is what the rule gives (by the checker's own normal form, derivative
//! table and sign prover), and that the rule's side condition is proved. The rules with
//! a side condition on the sign of an argument have their checks in
//! [`super::conditional`].

use rustc_hash::FxHashMap;

use crate::expr::node::{DefId, ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::lower::workspace::{Fact, Lemma};
use crate::trace::{Rewrite, Rule};

use super::derivative::Derivative;
use super::normal::Equality;
use super::powers::{numeric_factors, prime_powers};
use super::sign::SignProver;

/// The checks of single rule instances, over one pool and one workspace's facts.
pub(super) struct Kernel<'a> {
    /// The pool the instances live in.
    pub(super) pool: &'a mut Pool,
    /// The checker's own sign prover, with the workspace's facts.
    pub(super) signs: SignProver<'a>,
    /// Equality by the checker's normal form.
    pub(super) equality: Equality,
    /// The lengths the workspace records equal, each to its class's representative.
    pub(super) lengths: FxHashMap<ExprId, ExprId>,
    /// The workspace's equality facts, each as its two sides.
    pub(super) equalities: Vec<(ExprId, ExprId)>,
    /// The claims proved so far, which a step may cite as lemmas.
    pub(super) lemmas: Vec<Lemma>,
    /// The names the facts mention, directly or through the definitions they call: a
    /// lemma's instance may not replace them.
    pub(super) fact_names: Vec<crate::expr::node::Symbol>,
}

impl<'a> Kernel<'a> {
    /// A kernel for one step, whose derivation's variables have the `known` index ranges.
    pub(super) fn new(
        pool: &'a mut Pool,
        facts: &'a [Fact],
        builtins: Vec<(Func, DefId)>,
        known: &[(ExprId, ExprId)],
        equal_lengths: &[(ExprId, ExprId)],
        lemmas: &[Lemma],
    ) -> Kernel<'a> {
        let lengths = pool.length_representatives(equal_lengths);
        let equalities = facts
            .iter()
            .filter(|f| f.relation == crate::syntax::tree::Relation::Equal)
            .map(|f| (f.subject, f.bound))
            .collect();
        let mut fact_names = Vec::new();
        for f in facts {
            for e in [f.subject, f.bound] {
                let calls = super::lemma::globals(pool, e);
                for s in pool.free_symbols(e).iter().copied().chain(calls) {
                    if !fact_names.contains(&s) {
                        fact_names.push(s);
                    }
                }
            }
        }
        Kernel {
            pool,
            signs: SignProver::new(facts),
            equality: Equality::new(builtins, known),
            lengths,
            equalities,
            lemmas: lemmas.to_vec(),
            fact_names,
        }
    }

    /// The pool, for printing an instance that failed.
    pub(super) fn pool(&self) -> &Pool {
        self.pool
    }

    /// Whether two expressions are equal by the checker's normal form.
    pub(super) fn same(&mut self, a: ExprId, b: ExprId) -> Result<bool, String> {
        self.equality.same(self.pool, a, b)
    }

    /// [`Kernel::same`], with `what` the result should have been when it is not.
    pub(super) fn expect_same(&mut self, a: ExprId, b: ExprId, what: &str) -> Result<(), String> {
        if self.same(a, b)? {
            Ok(())
        } else {
            Err(format!("the result is not {what}"))
        }
    }

    /// Proved `e > 0` from the facts and what is always true.
    pub(super) fn positive(&mut self, e: ExprId) -> bool {
        self.signs.positive(self.pool, e)
    }

    /// A side condition named `what`, which must hold.
    pub(super) fn condition(&mut self, holds: bool, what: &str) -> Result<(), String> {
        if holds {
            Ok(())
        } else {
            Err(format!("its side condition `{what}` is not proved"))
        }
    }

    /// Checks one rule instance (see the module docs).
    pub(super) fn check_rewrite(&mut self, rw: &Rewrite) -> Result<(), String> {
        let (b, a) = (rw.before, rw.after);
        match rw.rule {
            Rule::Distribute => self.check_distribute(b, a),
            Rule::FactorCommon
            | Rule::SumLinearity
            | Rule::SumDeltaContract
            | Rule::ClearDenominators
            | Rule::CanonicalForm
            | Rule::ExpOutOfSum => {
                self.expect_same(b, a, "an algebraic rearrangement of the matched expression")
            }
            Rule::FoldDefinition | Rule::ExpandDefinition => {
                let builtins = self.equality.builtins().to_vec();
                let eb = self.pool.expand_definitions(b, &builtins);
                let ea = self.pool.expand_definitions(a, &builtins);
                self.expect_same(
                    eb,
                    ea,
                    "the matched expression with its definitions applied",
                )
            }
            Rule::AssumedEquality => {
                // The instance is one rewrite by a fact the workspace states, oriented
                // and matched afresh from the fact's two sides.
                let facts = self.equalities.clone();
                let by_a_fact = facts.iter().any(|&(l, r)| {
                    let oriented = crate::expr::equality::orient(self.pool, l, r);
                    crate::expr::equality::rewrite(self.pool, &oriented, b) == Some(a)
                });
                if by_a_fact {
                    Ok(())
                } else {
                    Err("it is no rewrite by an assumed equality".into())
                }
            }
            Rule::EqualLengths => {
                let eb = self.pool.replace_lengths(b, &self.lengths);
                let ea = self.pool.replace_lengths(a, &self.lengths);
                if eb == ea {
                    Ok(())
                } else {
                    Err("it changes more than lengths recorded equal".into())
                }
            }
            Rule::Differentiate => {
                let Node::Diff { expr, var, order } = self.pool.node(b).clone() else {
                    return Err("it does not match a derivative".into());
                };
                let mut d = expr;
                for _ in 0..order {
                    d = Derivative::new(self.pool, var)?.full(self.pool, d);
                }
                self.expect_same(d, a, "the derivative")
            }
            Rule::Constant
            | Rule::Variable
            | Rule::Element
            | Rule::Linearity
            | Rule::ConstantMultiple
            | Rule::ProductRule
            | Rule::PowerRule
            | Rule::ExponentialRule
            | Rule::GeneralPowerRule
            | Rule::Chain(_)
            | Rule::SumRule
            | Rule::ReductionElement
            | Rule::InnerDerivative => self.check_derivative_rule(rw.rule, b, a),
            Rule::LnOfExp => self.check_ln_of_exp(b, a),
            Rule::LnOfPower => self.check_ln_of_power(b, a),
            Rule::LnOfProduct => self.check_ln_of_product(b, a),
            Rule::ExpOfLn => self.check_exp_of_ln(b, a),
            Rule::PowerOfPower => self.check_power_of_power(b, a),
            Rule::SqrtOfSquare => self.check_sqrt_of_square(b, a),
            Rule::AbsOfNonnegative => self.check_abs_of_nonnegative(b, a),
            Rule::AbsOfNegative => self.check_abs_of_negative(b, a),
            Rule::PowerOfProduct => self.check_power_of_product(b, a),
            Rule::CombineLogarithms => self.check_combine_logarithms(b, a),
            Rule::SumExchange => self.check_sum_exchange(b, a),
            Rule::NumericPower => self.check_numeric_power(b, a),
            Rule::Pythagorean | Rule::HyperbolicPythagorean => {
                self.check_squares_combined(rw.rule, b, a)
            }
            Rule::DeltaPower => self.check_delta_power(b, a),
            Rule::DeltaProduct => self.check_delta_product(b, a),
            Rule::SumDistributeDelta => self.check_sum_distribute_delta(b, a),
            Rule::ExpandInSum => self.check_expand_in_sum(b, a),
            Rule::SigmoidOfLn => self.check_sigmoid_of_ln(b, a),
            Rule::LogitOfSigmoid => self.check_logit_of_sigmoid(b, a),
            Rule::LnOfSigmoid => self.check_ln_of_sigmoid(b, a),
            Rule::SoftplusOfNegative => self.check_softplus_of_negative(b, a),
            Rule::NegatedArgument => self.check_negated_argument(b, a),
            Rule::AngleSum => self.check_angle_sum(b, a),
            Rule::LnOfContent => self.check_ln_of_content(b, a),
            Rule::ProductOfPowers => self.check_product_of_powers(b, a),
            Rule::Lemma(name) => self.check_lemma(name, b, a),
            Rule::LemmaChain => Err(
                "the chain rule through a lemma has no instance of its own: the lemma's instance carries it"
                    .into(),
            ),
        }
    }

    /// One product multiplied out over one of its sums (and the sums in the result
    /// contracted), or failing that, any algebraic rearrangement.
    fn check_distribute(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        if let Node::Mul(fs) = self.pool.node(b).clone() {
            for (k, &f) in fs.iter().enumerate() {
                let Node::Add(ts) = self.pool.node(f).clone() else {
                    continue;
                };
                let mut others = fs.to_vec();
                others.remove(k);
                let parts = ts
                    .iter()
                    .map(|&t| {
                        let mut p = others.clone();
                        p.push(t);
                        self.pool.mul(p)
                    })
                    .collect();
                let cand = self.pool.add(parts);
                if self.same(cand, a)? {
                    return Ok(());
                }
            }
        }
        self.expect_same(b, a, "the product multiplied out")
    }

    /// One level of a derivative: `diff(e, x)` to the rule's formula, with the
    /// children's derivatives left as `diff(...)`.
    fn check_derivative_rule(&mut self, rule: Rule, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Diff {
            expr,
            var,
            order: 1,
        } = self.pool.node(b).clone()
        else {
            return Err("it does not match a first derivative".into());
        };
        let mut d = Derivative::new(self.pool, var)?;
        let applies = d.rule_for(self.pool, expr);
        // A derivative that is 0 may be named `constant` by either side.
        if applies != rule && rule != Rule::Constant && applies != Rule::Constant {
            return Err(format!(
                "the derivative of this expression is given by `{applies}`"
            ));
        }
        let expected = d.one_level(self.pool, expr);
        self.expect_same(expected, a, "what the rule gives")
    }

    /// Sums reordered: both sides are one contraction.
    fn check_sum_exchange(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        if !matches!(self.pool.node(b), Node::Mul(_) | Node::Sum { .. }) {
            return no_match(Rule::SumExchange);
        }
        if same_contraction(self.pool, b, a) {
            Ok(())
        } else {
            Err("the result is not the same sum with its indices reordered".into())
        }
    }

    /// Powers of numbers rewritten: the rest is unchanged and the numbers' values are
    /// equal, exactly.
    fn check_numeric_power(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        if !matches!(self.pool.node(b), Node::Mul(_) | Node::Pow(..)) {
            return no_match(Rule::NumericPower);
        }
        let (rest_b, number_b) = numeric_factors(self.pool, b);
        let (rest_a, number_a) = numeric_factors(self.pool, a);
        if rest_b != rest_a {
            return Err("it changes more than the powers of numbers".into());
        }
        let (Some(x), Some(y)) = (prime_powers(&number_b), prime_powers(&number_a)) else {
            return Err("its numbers are too large to compare exactly".into());
        };
        if x != y {
            return Err("the powers of numbers do not have the same value".into());
        }
        Ok(())
    }

    /// `pythagorean` and `hyperbolic-pythagorean`: both sides agree once every
    /// `cos(u)^2` is written `1 - sin(u)^2` and every `cosh(u)^2` is `1 + sinh(u)^2`.
    fn check_squares_combined(&mut self, rule: Rule, b: ExprId, a: ExprId) -> Result<(), String> {
        if !matches!(self.pool.node(b), Node::Add(_)) {
            return no_match(rule);
        }
        let tb = squares_eliminated(self.pool, b);
        let ta = squares_eliminated(self.pool, a);
        self.expect_same(tb, ta, "the sum with the squares combined")
    }
}

/// The failure of an instance whose matched expression does not have the rule's shape.
pub(super) fn no_match(rule: Rule) -> Result<(), String> {
    Err(format!("the expression does not match `{rule}`"))
}

/// Whether two terms are one contraction: the same factors summed over the same bound
/// indices and ranges, up to the names and the nesting order of the sums. Each side is
/// flattened into its bound indices (renamed apart) and its factors, and some matching
/// of the indices must make the products of the factors one node.
fn same_contraction(pool: &mut Pool, b: ExprId, a: ExprId) -> bool {
    fn flat(
        pool: &mut Pool,
        id: ExprId,
        tag: &str,
        bound: &mut Vec<(ExprId, ExprId)>,
        out: &mut Vec<ExprId>,
    ) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || flat(pool, id, tag, bound, out));
        }
        match pool.node(id).clone() {
            Node::Mul(fs) => fs.iter().for_each(|&f| flat(pool, f, tag, bound, out)),
            Node::Sum { index, range, body } => {
                let name = pool.symbol(&format!("·{tag}{}", bound.len()));
                let fresh = pool.index(name);
                let body = pool.rename_index(body, index, fresh);
                bound.push((fresh, range));
                flat(pool, body, tag, bound, out);
            }
            _ => out.push(id),
        }
    }
    let (mut bb, mut fb, mut ba, mut fa) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    flat(pool, b, "b", &mut bb, &mut fb);
    flat(pool, a, "a", &mut ba, &mut fa);
    if bb.len() != ba.len() || bb.len() > 6 {
        return false;
    }
    let want = pool.mul(fb);
    let n = bb.len();
    // Every matching of a's indices to b's, by a plain counter over n^n choices that
    // keeps only the one-to-one ones.
    let total = n.pow(n as u32);
    for code in 0..total {
        let mut pick = Vec::with_capacity(n);
        let mut c = code;
        for _ in 0..n {
            pick.push(c % n);
            c /= n;
        }
        let mut seen = vec![false; n];
        if pick.iter().any(|&p| std::mem::replace(&mut seen[p], true)) {
            continue;
        }
        if (0..n).any(|i| ba[i].1 != bb[pick[i]].1) {
            continue;
        }
        let mut renamed = fa.clone();
        for (i, &p) in pick.iter().enumerate() {
            let Node::Index(from) = *pool.node(ba[i].0) else {
                return false;
            };
            for f in renamed.iter_mut() {
                *f = pool.rename_index(*f, from, bb[p].0);
            }
        }
        if pool.mul(renamed) == want {
            return true;
        }
    }
    false
}

/// `cos(u)^2` as `1 - sin(u)^2` and `cosh(u)^2` as `1 + sinh(u)^2`, everywhere.
fn squares_eliminated(pool: &mut Pool, id: ExprId) -> ExprId {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || squares_eliminated(pool, id));
    }
    let kids: Vec<ExprId> = crate::expr::node::children(pool.node(id))
        .into_iter()
        .map(|c| squares_eliminated(pool, c))
        .collect();
    let rebuilt = pool.rebuild(id, &kids);
    if let Node::Pow(b, e) = pool.node(rebuilt).clone()
        && let Some(n) = pool.as_num(e).and_then(crate::syntax::number::to_small_int)
        && n >= 2
        && let Node::Func(f @ (Func::Cos | Func::Cosh), u) = pool.node(b).clone()
    {
        let (g, sign) = if f == Func::Cos {
            (Func::Sin, -1)
        } else {
            (Func::Sinh, 1)
        };
        let two = pool.int(2);
        let s = pool.func(g, u);
        let s2 = pool.pow(s, two);
        let sign = pool.int(sign);
        let t = pool.mul(vec![sign, s2]);
        let one = pool.int(1);
        let square = pool.add(vec![one, t]);
        let rest = pool.int(n - 2);
        let rest = pool.pow(b, rest);
        return pool.mul(vec![square, rest]);
    }
    rebuilt
}
