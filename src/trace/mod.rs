//! Traces: the vocabulary of derivations, shared by the stages that write them
//! (`calculus`, `simplify`, `prove`) and the checker that reads them (`verify`).
//!
//! A derivation is a list of [`Step`]s; each step keeps the [`Rewrite`]s that justify
//! it, and each rewrite names its [`Rule`]. The rule is an enum, not a string, so that
//! the checker's dispatch is exhaustive: a new rule without a check does not compile.
//! It prints as its kebab-case name (`ln-of-exp`, `chain-rule-exp`), which is what
//! derivations, JSON and LaTeX show.
//!
//! May import: `expr` (for ids and builtin functions). Nothing here knows how a rule
//! is applied or checked.

use std::fmt;

use crate::expr::node::{ExprId, Func};

/// A named rule: every rewrite in a derivation is an instance of one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    // Derivative rules, one per node kind (see `calculus::derivative`).
    /// The expression does not depend on the variable.
    Constant,
    /// `d x / d x = 1`.
    Variable,
    /// `d z[j] / d z[i] = delta(j, i)`.
    Element,
    /// The derivative of a sum of terms is the sum of their derivatives.
    Linearity,
    /// A constant factor stays: `d (c*f) = c * d f`.
    ConstantMultiple,
    /// `d (f*g) = f' g + f g'`.
    ProductRule,
    /// `d u^n = n u^(n-1) u'` for an exponent free of the variable.
    PowerRule,
    /// `d a^v = a^v ln(a) v'` for a base free of the variable.
    ExponentialRule,
    /// `d u^v = u^v (v' ln(u) + v u'/u)`.
    GeneralPowerRule,
    /// The chain rule through a builtin function.
    Chain(Func),
    /// The derivative passes into a sum over an index, and deltas contract.
    SumRule,
    /// A call is replaced by its definition's body.
    ExpandDefinition,
    /// A maximum or minimum over a vector is differentiated as the element that
    /// `argmax` or `argmin` names (the first at ties): `d max(v) = d v[argmax(v)]`.
    ReductionElement,
    /// A derivative inside the expression is taken first.
    InnerDerivative,
    /// An instance of an equality fact (`assume sum(k, Y[n, k]) = 1`) is replaced as
    /// the fact says.
    AssumedEquality,
    /// A whole derivative taken at once (a rewrite that `--steps` does not break up).
    Differentiate,

    // Rewrites that hold wherever both sides are defined (see `simplify`).
    /// `sum(j, delta(i, j) * f(j)) = f(i)`.
    SumDeltaContract,
    /// A sum of terms splits into sums of each term.
    SumLinearity,
    /// A product over a sum is multiplied out.
    Distribute,
    /// The pool's canonical form of a rebuilt node (flattening, collecting, folding).
    CanonicalForm,
    /// A body of a definition becomes a call again.
    FoldDefinition,
    /// Lengths that the claim's indices or a tensor declaration make equal are written
    /// as one: `len(g)` becomes `len(x)` when `g[j]` and `x[j]` share the index `j`.
    EqualLengths,
    /// A factor common to every term of a sum moves out.
    FactorCommon,
    /// `sum(j, f[j]*exp(a[j] + c)) = exp(c) * sum(j, f[j]*exp(a[j]))` for `c` free of `j`.
    ExpOutOfSum,
    /// Products and nests of sums put in one canonical order of their bound indices.
    SumExchange,
    /// `2/sqrt(2) = sqrt(2)`: numeric powers in one normal form.
    NumericPower,
    /// `sin(u)^2 + cos(u)^2 = 1`.
    Pythagorean,
    /// `cosh(u)^2 - sinh(u)^2 = 1`.
    HyperbolicPythagorean,
    /// `delta(i, k)^n = delta(i, k)` for a whole `n >= 1`: a delta is 0 or 1.
    DeltaPower,
    /// A product of deltas in one normal form: `delta(i, k)*delta(k, l) =
    /// delta(i, k)*delta(i, l)`, and 0 when it equates two different numbers.
    DeltaProduct,
    /// `sum(k, a*(delta(j, k) + b)) = a[k := j] + sum(k, a*b)`: a sum over a product with
    /// a sum factor is multiplied out when that lets a delta contract.
    SumDistributeDelta,
    /// A sum over calls of definitions, with the definitions written out, when that
    /// cancels to something smaller: `sum(k, xc[k]) = 0` for a centred `xc`.
    ExpandInSum,

    // Rewrites with a side condition (see `simplify::rules`).
    /// `ln(exp(u)) = u`.
    LnOfExp,
    /// `ln(u^p) = p ln(u)` when `u > 0`.
    LnOfPower,
    /// `ln(a*b) = ln(a) + ln(b)` when every factor is positive.
    LnOfProduct,
    /// `exp(p ln(u)) = u^p` when `u > 0`.
    ExpOfLn,
    /// `(u^p)^q = u^(p q)` when it is sound.
    PowerOfPower,
    /// `sqrt(u^2) = abs(u)`, or `u` when `u >= 0`.
    SqrtOfSquare,
    /// `abs(u) = u` when `u >= 0`.
    AbsOfNonnegative,
    /// `abs(u) = -u` when `u <= 0`.
    AbsOfNegative,
    /// `(a*b)^c = a^c b^c` when every factor is positive.
    PowerOfProduct,
    /// `sigmoid(ln(u)) = u/(1 + u)` when `u > 0`.
    SigmoidOfLn,
    /// `ln(sigmoid(u)/(1 - sigmoid(u))) = u`: the log-odds of a sigmoid.
    LogitOfSigmoid,
    /// `ln(sigmoid(v)) = -softplus(-v)` and `ln(1 - sigmoid(v)) = -softplus(v)`.
    LnOfSigmoid,
    /// `softplus(-v) = softplus(v) - v`.
    SoftplusOfNegative,
    /// `f(w)` written through `f(-w)` for an odd, even or shifted function
    /// (`sin(w) = -sin(-w)`, `sigmoid(w) = 1 - sigmoid(-w)`, ...).
    NegatedArgument,
    /// `sin(p + q) = sin p cos q + cos p sin q` and `cos(p + q) = cos p cos q - sin p sin q`.
    AngleSum,
    /// `ln(S) = ln(k) + ln(S/k)`: the content `k` of a sum under a logarithm taken out.
    LnOfContent,
    /// `a^k b^k = (a b)^k` for a whole `k`, the bases multiplied out.
    ProductOfPowers,

    // Moves of the prover (see `prove`).
    /// `e = N/m`, and `N` is shown to be 0.
    ClearDenominators,
    /// A sum of logarithms of positive expressions becomes the logarithm of a product.
    CombineLogarithms,

    // Lemmas: proved claims that a claim cites with `by` (see `calculus::lemma`).
    /// An instance of the lemma of this name: `lhs[σ]` becomes `rhs[σ]`, or, for a
    /// lemma `diff(F, x) = R`, `diff(F[x := u], v)` becomes `R[x := u] * diff(u, v)`.
    /// The name is interned ([`lemma`]), so that a rule stays a small `Copy` value.
    Lemma(&'static str),
    /// The chain rule through a lemma's function: shown beside [`Rule::Lemma`] in a
    /// step's rules when the lemma's variable was an inner expression. It has no
    /// instances of its own; the lemma's instance carries it.
    LemmaChain,
}

/// The rule of the lemma `name`. Lemma names are interned for the life of the
/// process, once per distinct name: rules are `Copy` and print without a table, and
/// the names a process proves lemmas under are few.
pub fn lemma(name: &str) -> Rule {
    use std::sync::Mutex;
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    // A poisoned lock only means another thread panicked while holding it; the list
    // itself is always whole, since pushing is its only change.
    let mut names = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&n) = names.iter().find(|&&n| n == name) {
        return Rule::Lemma(n);
    }
    let n: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(n);
    Rule::Lemma(n)
}

impl Rule {
    /// The rule's kebab-case name, as derivations, JSON and LaTeX print it.
    pub fn name(self) -> String {
        match self {
            Rule::Chain(f) => format!("chain-rule-{}", f.name()),
            Rule::Lemma(n) => format!("lemma {n}"),
            other => other.fixed_name().to_string(),
        }
    }

    /// The name of every rule but the chain rule, which carries its function.
    fn fixed_name(self) -> &'static str {
        match self {
            Rule::Constant => "constant",
            Rule::Variable => "variable",
            Rule::Element => "element-delta",
            Rule::Linearity => "linearity",
            Rule::ConstantMultiple => "constant-multiple",
            Rule::ProductRule => "product-rule",
            Rule::PowerRule => "power-rule",
            Rule::ExponentialRule => "exponential-rule",
            Rule::GeneralPowerRule => "general-power-rule",
            Rule::Chain(_) => "chain-rule",
            Rule::SumRule => "sum-rule",
            Rule::ExpandDefinition => "expand-definition",
            Rule::ReductionElement => "reduction-element",
            Rule::InnerDerivative => "inner-derivative",
            Rule::AssumedEquality => "assumed-equality",
            Rule::Differentiate => "differentiate",
            Rule::SumDeltaContract => "sum-delta-contract",
            Rule::SumLinearity => "sum-linearity",
            Rule::Distribute => "distribute",
            Rule::CanonicalForm => "canonical-form",
            Rule::FoldDefinition => "fold-definition",
            Rule::EqualLengths => "equal-lengths",
            Rule::FactorCommon => "factor-common",
            Rule::ExpOutOfSum => "exp-out-of-sum",
            Rule::SumExchange => "sum-exchange",
            Rule::NumericPower => "numeric-power",
            Rule::Pythagorean => "pythagorean",
            Rule::HyperbolicPythagorean => "hyperbolic-pythagorean",
            Rule::DeltaPower => "delta-power",
            Rule::DeltaProduct => "delta-product",
            Rule::SumDistributeDelta => "sum-distribute-delta",
            Rule::ExpandInSum => "expand-in-sum",
            Rule::LnOfExp => "ln-of-exp",
            Rule::LnOfPower => "ln-of-power",
            Rule::LnOfProduct => "ln-of-product",
            Rule::ExpOfLn => "exp-of-ln",
            Rule::PowerOfPower => "power-of-power",
            Rule::SqrtOfSquare => "sqrt-of-square",
            Rule::AbsOfNonnegative => "abs-of-nonnegative",
            Rule::AbsOfNegative => "abs-of-negative",
            Rule::PowerOfProduct => "power-of-product",
            Rule::SigmoidOfLn => "sigmoid-of-ln",
            Rule::LogitOfSigmoid => "logit-of-sigmoid",
            Rule::LnOfSigmoid => "ln-of-sigmoid",
            Rule::SoftplusOfNegative => "softplus-of-negative",
            Rule::NegatedArgument => "negated-argument",
            Rule::AngleSum => "angle-sum",
            Rule::LnOfContent => "ln-of-content",
            Rule::ProductOfPowers => "product-of-powers",
            Rule::ClearDenominators => "clear-denominators",
            Rule::CombineLogarithms => "combine-logarithms",
            Rule::Lemma(_) => "lemma",
            Rule::LemmaChain => "chain-rule",
        }
    }

    /// How a reader would say it.
    pub fn describe(self) -> String {
        match self {
            Rule::Constant => "constants differentiate to 0".into(),
            Rule::Variable => "the variable itself".into(),
            Rule::Element => "an element against an element gives deltas".into(),
            Rule::Linearity => "the derivative of a sum is the sum of the derivatives".into(),
            Rule::ConstantMultiple => "a constant factor stays".into(),
            Rule::ProductRule => "the product rule".into(),
            Rule::PowerRule => "the power rule".into(),
            Rule::ExponentialRule => "the exponential rule".into(),
            Rule::GeneralPowerRule => "the general power rule".into(),
            Rule::Chain(f) => format!("the chain rule through {}", f.name()),
            Rule::SumRule => "the derivative passes into the sum".into(),
            Rule::ExpandDefinition => "expand the definition".into(),
            Rule::ReductionElement => {
                "a maximum's derivative is its largest element's (the first at ties)".into()
            }
            Rule::InnerDerivative => "take the inner derivative first".into(),
            Rule::AssumedEquality => "by an equality assumed with `assume`".into(),
            Rule::Lemma(n) => format!("by the lemma {n}, a claim proved before"),
            Rule::LemmaChain => "the chain rule through the lemma's function".into(),
            other => other.name(),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Chain(func) => write!(f, "chain-rule-{}", func.name()),
            Rule::Lemma(n) => write!(f, "lemma {n}"),
            other => f.write_str(other.fixed_name()),
        }
    }
}

/// One step of a derivation: the expression before and after, and the rules used.
///
/// The step also keeps its rewrites: each place where a rule fired, as the subexpression
/// it matched and what it became. Rebuilding `before` from the bottom up with those
/// rewrites gives `after`; that is what `verify` re-checks, rewrite by rewrite.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The rules applied, in order of first use.
    pub rules: Vec<Rule>,
    /// The expression before the step.
    pub before: ExprId,
    /// The expression after the step.
    pub after: ExprId,
    /// The rule instances, in the order they fired.
    pub rewrites: Vec<Rewrite>,
}

impl Step {
    /// A step made of rewrites, whose rules are the rewrites' rules in order of first use.
    pub fn from_rewrites(before: ExprId, after: ExprId, rewrites: Vec<Rewrite>) -> Step {
        let mut rules: Vec<Rule> = Vec::new();
        for r in &rewrites {
            if !rules.contains(&r.rule) {
                rules.push(r.rule);
            }
        }
        Step {
            rules,
            before,
            after,
            rewrites,
        }
    }

    /// A step that is one rewrite of the whole expression.
    pub fn whole(rule: Rule, before: ExprId, after: ExprId) -> Step {
        Step::from_rewrites(before, after, vec![Rewrite::new(rule, before, after)])
    }

    /// The rules' names joined by `", "`, as a derivation's margin shows them.
    pub fn rule_names(&self) -> String {
        join_rules(&self.rules)
    }
}

/// Rule names joined by `", "`.
pub fn join_rules(rules: &[Rule]) -> String {
    rules
        .iter()
        .map(|r| r.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One instance of a rule: the subexpression it matched and what it became.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// The rule.
    pub rule: Rule,
    /// The subexpression the rule matched.
    pub before: ExprId,
    /// What the rule made of it.
    pub after: ExprId,
}

impl Rewrite {
    /// The instance `before -> after` of `rule`.
    pub fn new(rule: Rule, before: ExprId, after: ExprId) -> Rewrite {
        Rewrite {
            rule,
            before,
            after,
        }
    }
}

impl serde::Serialize for Rule {
    /// A rule serializes as its kebab-case name.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}
