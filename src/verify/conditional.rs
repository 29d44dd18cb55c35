//! The checks of the rules that hold only on part of the domain: logarithms, powers
//! and absolute values, whose side conditions are signs.
//!
//! Each check matches the rule's pattern itself, proves the condition with the
//! checker's own sign prover ([`super::sign`]), and compares the result with what the
//! rule gives by the checker's normal form.

use num_rational::BigRational;

use crate::expr::node::{ExprId, Func, Node};
use crate::trace::Rule;

use super::normal::terms;
use super::rules::{Kernel, no_match};

impl Kernel<'_> {
    /// `ln(exp(u)) = u`, for every real `u`.
    pub(super) fn check_ln_of_exp(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        if let Node::Func(Func::Ln, x) = self.pool.node(b).clone()
            && let Node::Func(Func::Exp, u) = self.pool.node(x).clone()
        {
            return self.expect_same(u, a, "the exponent");
        }
        no_match(Rule::LnOfExp)
    }

    /// `ln(u^p) = p ln(u)` when `u > 0`.
    pub(super) fn check_ln_of_power(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Ln, x) = self.pool.node(b).clone() else {
            return no_match(Rule::LnOfPower);
        };
        let Node::Pow(u, p) = self.pool.node(x).clone() else {
            return no_match(Rule::LnOfPower);
        };
        let holds = self.positive(u);
        self.condition(holds, "base > 0")?;
        let l = self.pool.func(Func::Ln, u);
        let want = self.pool.mul(vec![p, l]);
        self.expect_same(want, a, "the exponent times the logarithm")
    }

    /// `ln(a*b) = ln(a) + ln(b)` when every factor is positive.
    pub(super) fn check_ln_of_product(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Ln, x) = self.pool.node(b).clone() else {
            return no_match(Rule::LnOfProduct);
        };
        let Node::Mul(fs) = self.pool.node(x).clone() else {
            return no_match(Rule::LnOfProduct);
        };
        let mut logs = Vec::new();
        for &f in fs.iter() {
            let holds = self.positive(f);
            self.condition(holds, "every factor > 0")?;
            logs.push(self.pool.func(Func::Ln, f));
        }
        let want = self.pool.add(logs);
        self.expect_same(want, a, "the sum of the logarithms")
    }

    /// `exp(sum c*ln(u) + rest)` is `prod u^c * exp(rest)` when every such `u > 0`: the
    /// checker rebuilds the product from the exponent's terms and compares.
    pub(super) fn check_exp_of_ln(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Exp, x) = self.pool.node(b).clone() else {
            return no_match(Rule::ExpOfLn);
        };
        let mut factors = Vec::new();
        let mut rest = Vec::new();
        for t in terms(self.pool, x) {
            let (c, r) = self.pool.split_coefficient(t);
            if let Node::Func(Func::Ln, u) = self.pool.node(r).clone()
                && self.positive(u)
            {
                let c = self.pool.num(c);
                factors.push(self.pool.pow(u, c));
            } else {
                rest.push(t);
            }
        }
        if factors.is_empty() {
            return Err("the exponent holds no logarithm of a positive expression".into());
        }
        let r = self.pool.add(rest);
        factors.push(self.pool.func(Func::Exp, r));
        let want = self.pool.mul(factors);
        self.expect_same(want, a, "the powers of the logarithms' arguments")
    }

    /// `(u^p)^q = u^(p q)` when `u > 0`.
    pub(super) fn check_power_of_power(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Pow(x, q) = self.pool.node(b).clone() else {
            return no_match(Rule::PowerOfPower);
        };
        let Node::Pow(u, p) = self.pool.node(x).clone() else {
            return no_match(Rule::PowerOfPower);
        };
        let holds = self.positive(u);
        self.condition(holds, "base > 0")?;
        let e = self.pool.mul(vec![p, q]);
        let want = self.pool.pow(u, e);
        self.expect_same(want, a, "the base to the product of the exponents")
    }

    /// `(u^(2k))^(1/(2k)) = |u|`, for every real `u`.
    pub(super) fn check_sqrt_of_square(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Pow(x, q) = self.pool.node(b).clone() else {
            return no_match(Rule::SqrtOfSquare);
        };
        let Node::Pow(u, p) = self.pool.node(x).clone() else {
            return no_match(Rule::SqrtOfSquare);
        };
        let (Some(p), Some(q)) = (self.pool.as_num(p).cloned(), self.pool.as_num(q).cloned())
        else {
            return no_match(Rule::SqrtOfSquare);
        };
        let one = BigRational::from_integer(1.into());
        if !crate::expr::pool::is_even_integer(&p) || p.numer() == &0.into() || p * q != one {
            return no_match(Rule::SqrtOfSquare);
        }
        let want = self.pool.func(Func::Abs, u);
        self.expect_same(want, a, "the absolute value")
    }

    /// `abs(u) = u` when `u >= 0`.
    pub(super) fn check_abs_of_nonnegative(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Abs, u) = self.pool.node(b).clone() else {
            return no_match(Rule::AbsOfNonnegative);
        };
        let holds = self.signs.nonnegative(self.pool, u);
        self.condition(holds, "argument >= 0")?;
        self.expect_same(u, a, "the argument")
    }

    /// `abs(u) = -u` when `u < 0`.
    pub(super) fn check_abs_of_negative(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Abs, u) = self.pool.node(b).clone() else {
            return no_match(Rule::AbsOfNegative);
        };
        let holds = self.signs.negative(self.pool, u);
        self.condition(holds, "argument < 0")?;
        let want = self.pool.neg(u);
        self.expect_same(want, a, "the negated argument")
    }

    /// `(a*b)^c = a^c b^c` when every factor is positive.
    pub(super) fn check_power_of_product(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Pow(x, c) = self.pool.node(b).clone() else {
            return no_match(Rule::PowerOfProduct);
        };
        let Node::Mul(fs) = self.pool.node(x).clone() else {
            return no_match(Rule::PowerOfProduct);
        };
        let mut parts = Vec::new();
        for &f in fs.iter() {
            let holds = self.positive(f);
            self.condition(holds, "every factor > 0")?;
            // A factor that is a power of a positive base takes the power into its
            // exponent, as `power-of-power` does.
            let part = match self.pool.node(f).clone() {
                Node::Pow(u, p) if self.positive(u) => {
                    let x = self.pool.mul(vec![p, c]);
                    self.pool.pow(u, x)
                }
                _ => self.pool.pow(f, c),
            };
            parts.push(part);
        }
        let want = self.pool.mul(parts);
        self.expect_same(want, a, "the product of the factors' powers")
    }

    /// A sum of logarithms of positive expressions, with whole coefficients, and the
    /// rest: `b = a` exactly when `exp(b) = exp(a)`, where the logarithms become powers.
    pub(super) fn check_combine_logarithms(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Add(ts) = self.pool.node(b).clone() else {
            return no_match(Rule::CombineLogarithms);
        };
        let mut factors = Vec::new();
        let mut rest = Vec::new();
        for &t in ts.iter() {
            let (c, r) = self.pool.split_coefficient(t);
            if let Node::Func(Func::Ln, u) = self.pool.node(r).clone()
                && c.is_integer()
            {
                let holds = self.positive(u);
                self.condition(holds, "every logarithm's argument > 0")?;
                let c = self.pool.num(c);
                factors.push(self.pool.pow(u, c));
            } else {
                rest.push(t);
            }
        }
        if factors.is_empty() {
            return no_match(Rule::CombineLogarithms);
        }
        let r = self.pool.add(rest);
        factors.push(self.pool.func(Func::Exp, r));
        let product = self.pool.mul(factors);
        let want = self.pool.func(Func::Exp, a);
        self.expect_same(product, want, "the exponential of the matched expression")
    }

    /// `sigmoid(ln(u)) = u/(1 + u)` when `u > 0`, the logarithm written as it is or as
    /// a call's body, and the argument any sum of multiples `c*ln(u_c)` of logarithms
    /// of positive expressions, whose `u` is the product of the `u_c^c`. The result is
    /// compared with `u/(1 + u)` by the normal form, or else shown to solve
    /// `r*(1 + u) = u`: `1 + u > 0`, so `r` is then `u/(1 + u)`.
    pub(super) fn check_sigmoid_of_ln(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Sigmoid, x) = self.pool.node(b).clone() else {
            return no_match(Rule::SigmoidOfLn);
        };
        let mut powers = Vec::new();
        for t in terms(self.pool, x) {
            let (k, l) = self.pool.split_coefficient(t);
            let Some(u) = self.logarithm_argument(l) else {
                return no_match(Rule::SigmoidOfLn);
            };
            let holds = self.positive(u);
            self.condition(holds, "argument of the logarithm > 0")?;
            // `k*ln(u)` is `ln(u^k)`, since `u > 0`.
            let k = self.pool.num(k);
            powers.push(self.pool.pow(u, k));
        }
        let u = self.pool.mul(powers);
        let one = self.pool.int(1);
        let total = self.pool.add(vec![one, u]);
        let want = self.pool.div(u, total);
        if self.same(want, a)? {
            return Ok(());
        }
        let times = self.pool.mul(vec![a, total]);
        self.expect_same(times, u, "u/(1 + u)")
    }

    /// `ln(sigmoid(v)^p * (1 - sigmoid(v))^-p) = p*v`, for every real `v`, the
    /// logarithm written as it is or as a call's body (`logit(sigmoid(v))`).
    pub(super) fn check_logit_of_sigmoid(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Some(x) = self.logarithm_argument(b) else {
            return no_match(Rule::LogitOfSigmoid);
        };
        let Node::Mul(fs) = self.pool.node(x).clone() else {
            return no_match(Rule::LogitOfSigmoid);
        };
        if fs.len() != 2 {
            return no_match(Rule::LogitOfSigmoid);
        }
        let power = |pool: &crate::expr::pool::Pool, f: ExprId| match pool.node(f) {
            Node::Pow(base, e) if pool.as_num(*e).is_some() => (*base, pool.as_num(*e).cloned()),
            _ => (f, Some(BigRational::from_integer(1.into()))),
        };
        for (s, t) in [(fs[0], fs[1]), (fs[1], fs[0])] {
            let (sb, p) = power(self.pool, s);
            let (tb, q) = power(self.pool, t);
            let (Node::Func(Func::Sigmoid, v), Some(p), Some(q)) =
                (self.pool.node(sb).clone(), p, q)
            else {
                continue;
            };
            // The other base is `1 - sigmoid(v)` when adding `sigmoid(v)` gives 1.
            let sum = self.pool.add(vec![tb, sb]);
            if !self.pool.is_int(sum, 1) || p != -q {
                continue;
            }
            let p = self.pool.num(p);
            let want = self.pool.mul(vec![p, v]);
            return self.expect_same(want, a, "the power times the sigmoid's argument");
        }
        no_match(Rule::LogitOfSigmoid)
    }

    /// `ln(sigmoid(v)) = -softplus(-v)` and `ln(1 - sigmoid(v)) = -softplus(v)`, for
    /// every real `v`: a sigmoid lies in (0, 1).
    pub(super) fn check_ln_of_sigmoid(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Ln, x) = self.pool.node(b).clone() else {
            return no_match(Rule::LnOfSigmoid);
        };
        let inside = match self.pool.node(x).clone() {
            Node::Func(Func::Sigmoid, v) => self.pool.neg(v),
            _ => {
                // `1 - sigmoid(v)`: a term `-sigmoid(v)` whose sigmoid added back
                // gives 1.
                let mut found = None;
                for t in terms(self.pool, x) {
                    let (c, f) = self.pool.split_coefficient(t);
                    if let Node::Func(Func::Sigmoid, v) = self.pool.node(f).clone() {
                        let back = self.pool.add(vec![x, f]);
                        if c == -BigRational::from_integer(1.into()) && self.pool.is_int(back, 1) {
                            found = Some(v);
                        }
                    }
                }
                match found {
                    Some(v) => v,
                    None => return no_match(Rule::LnOfSigmoid),
                }
            }
        };
        let sp = self.pool.func(Func::Softplus, inside);
        let want = self.pool.neg(sp);
        self.expect_same(want, a, "minus the softplus")
    }

    /// `softplus(w) = softplus(-w) + w`, for every real `w`.
    pub(super) fn check_softplus_of_negative(
        &mut self,
        b: ExprId,
        a: ExprId,
    ) -> Result<(), String> {
        let Node::Func(Func::Softplus, w) = self.pool.node(b).clone() else {
            return no_match(Rule::SoftplusOfNegative);
        };
        let m = self.pool.neg(w);
        let sp = self.pool.func(Func::Softplus, m);
        let want = self.pool.add(vec![sp, w]);
        self.expect_same(want, a, "softplus(-w) + w")
    }

    /// `f(w)` written through `f(-w)`, by the checker's own table of symmetries: odd
    /// functions change sign, even ones do not, and `acos`, `sigmoid` and `softplus`
    /// shift. Each holds wherever either side is defined, for every `w`.
    pub(super) fn check_negated_argument(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(f, w) = self.pool.node(b).clone() else {
            return no_match(Rule::NegatedArgument);
        };
        let m = self.pool.neg(w);
        let fm = self.pool.func(f, m);
        let want = match f {
            Func::Sin
            | Func::Tan
            | Func::Sinh
            | Func::Tanh
            | Func::Asin
            | Func::Atan
            | Func::Erf => self.pool.neg(fm),
            Func::Cos | Func::Cosh | Func::Abs => fm,
            Func::Acos => {
                let pi = self.pool.constant(crate::expr::node::Constant::Pi);
                self.pool.sub(pi, fm)
            }
            Func::Sigmoid => {
                let one = self.pool.int(1);
                self.pool.sub(one, fm)
            }
            Func::Softplus => self.pool.add(vec![fm, w]),
            Func::Exp | Func::Ln => return no_match(Rule::NegatedArgument),
        };
        self.expect_same(want, a, "f(w) written through f(-w)")
    }

    /// `sin` or `cos` of `p + q` through the sines and cosines of `p` and `q`, by the
    /// checker's own formulas: `p` is a sum's first term and `q` the rest, or `p = u`
    /// and `q = (n - 1)*u` for a whole multiple `n*u`.
    pub(super) fn check_angle_sum(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(f @ (Func::Sin | Func::Cos), w) = self.pool.node(b).clone() else {
            return no_match(Rule::AngleSum);
        };
        let (p, q) = match self.pool.node(w).clone() {
            Node::Add(ts) => {
                let rest = self.pool.add(ts[1..].to_vec());
                (ts[0], rest)
            }
            _ => {
                let (c, u) = self.pool.split_coefficient(w);
                if !c.is_integer() || c <= BigRational::from_integer(1.into()) {
                    return no_match(Rule::AngleSum);
                }
                let k = self.pool.num(c - BigRational::from_integer(1.into()));
                let q = self.pool.mul(vec![k, u]);
                (u, q)
            }
        };
        let sin = |pool: &mut crate::expr::pool::Pool, x| pool.func(Func::Sin, x);
        let cos = |pool: &mut crate::expr::pool::Pool, x| pool.func(Func::Cos, x);
        let (sp, cp, sq, cq) = (
            sin(self.pool, p),
            cos(self.pool, p),
            sin(self.pool, q),
            cos(self.pool, q),
        );
        let want = if f == Func::Sin {
            let x = self.pool.mul(vec![sp, cq]);
            let y = self.pool.mul(vec![cp, sq]);
            self.pool.add(vec![x, y])
        } else {
            let x = self.pool.mul(vec![cp, cq]);
            let y = self.pool.mul(vec![sp, sq]);
            self.pool.sub(x, y)
        };
        self.expect_same(want, a, "the angle-sum formula")
    }

    /// `ln(S)` as `ln(k) + ln(T)` for a positive number `k` with `k*T = S` by the normal
    /// form: both sides are defined exactly where `S > 0`, and equal there.
    pub(super) fn check_ln_of_content(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Func(Func::Ln, s) = self.pool.node(b).clone() else {
            return no_match(Rule::LnOfContent);
        };
        let Node::Add(parts) = self.pool.node(a).clone() else {
            return no_match(Rule::LnOfContent);
        };
        let logs: Vec<ExprId> = parts
            .iter()
            .filter_map(|&p| match self.pool.node(p) {
                Node::Func(Func::Ln, x) => Some(*x),
                _ => None,
            })
            .collect();
        let [x, y] = logs[..] else {
            return no_match(Rule::LnOfContent);
        };
        if parts.len() != 2 {
            return no_match(Rule::LnOfContent);
        }
        // One logarithm is of a positive number, the other of the rest.
        let positive = |pool: &crate::expr::pool::Pool, e: ExprId| {
            pool.as_num(e)
                .is_some_and(|r| r > &BigRational::from_integer(0.into()))
        };
        let (k, t) = if positive(self.pool, x) {
            (x, y)
        } else if positive(self.pool, y) {
            (y, x)
        } else {
            return no_match(Rule::LnOfContent);
        };
        let product = self.pool.mul(vec![k, t]);
        self.expect_same(product, s, "ln(k) + ln(S/k)")
    }

    /// A product's powers of one whole exponent `k` merged into `B^k`: the other
    /// factors stay as they were, and the product of the merged bases has `B`'s normal
    /// form. `a^k b^k = (a b)^k` for every real `a`, `b` and whole `k`.
    pub(super) fn check_product_of_powers(&mut self, b: ExprId, a: ExprId) -> Result<(), String> {
        let Node::Mul(fs) = self.pool.node(b).clone() else {
            return no_match(Rule::ProductOfPowers);
        };
        let gs: Vec<ExprId> = match self.pool.node(a) {
            Node::Mul(gs) => gs.to_vec(),
            _ => vec![a],
        };
        let whole = |pool: &crate::expr::pool::Pool, f: ExprId| match pool.node(f) {
            Node::Pow(base, k) if pool.as_num(*k).is_some_and(|r| r.is_integer()) => {
                Some((*base, *k))
            }
            _ => None,
        };
        for &g in &gs {
            let Some((merged, k)) = whole(self.pool, g) else {
                continue;
            };
            let (same, rest): (Vec<ExprId>, Vec<ExprId>) = fs
                .iter()
                .partition(|&&f| whole(self.pool, f).is_some_and(|(_, j)| j == k));
            if same.len() < 2 {
                continue;
            }
            let others: Vec<ExprId> = gs.iter().copied().filter(|&x| x != g).collect();
            let (left, right) = (self.pool.mul(rest), self.pool.mul(others));
            if left != right {
                continue;
            }
            let bases: Vec<ExprId> = same
                .iter()
                .filter_map(|&f| whole(self.pool, f))
                .map(|(base, _)| base)
                .collect();
            let product = self.pool.mul(bases);
            return self.expect_same(product, merged, "the product of the bases");
        }
        no_match(Rule::ProductOfPowers)
    }

    /// The argument of `ln(x)`, written as it is or as the body of a call.
    fn logarithm_argument(&mut self, e: ExprId) -> Option<ExprId> {
        let e = match self.pool.node(e) {
            Node::Call { .. } => self.pool.expand_call(e)?,
            _ => e,
        };
        match self.pool.node(e) {
            Node::Func(Func::Ln, x) => Some(*x),
            _ => None,
        }
    }
}
