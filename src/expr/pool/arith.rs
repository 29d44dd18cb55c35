//! The canonical constructors of arithmetic: sums, products, powers and builtin
//! functions. Each flattens, sorts by the structural order, collects like terms and
//! equal bases, and folds exact constants, so that equal values get one node.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use rustc_hash::FxHashMap;

use crate::expr::node::{Constant, ExprId, Func, Node};
use crate::expr::pool::Pool;
use crate::syntax::number::exact_root;

/// An exact power is computed only while its result stays below this many bits;
/// larger powers such as `2^(10^9)` stay unevaluated so that folding never hangs.
pub const MAX_EXACT_BITS: u64 = 1 << 16;

impl Pool {
    // ----- sums ---------------------------------------------------------------------

    /// Splits a term into its numeric coefficient and the rest (`3*x*y` into 3 and `x*y`).
    pub fn split_coefficient(&mut self, id: ExprId) -> (BigRational, ExprId) {
        match self.node(id) {
            Node::Num(r) => (r.clone(), self.int(1)),
            Node::Mul(fs) => match self.node(fs[0]) {
                Node::Num(c) => {
                    let c = c.clone();
                    let rest: Vec<ExprId> = fs[1..].to_vec();
                    let rest = if rest.len() == 1 {
                        rest[0]
                    } else {
                        self.intern(Node::Mul(rest.into_boxed_slice()))
                    };
                    (c, rest)
                }
                _ => (BigRational::one(), id),
            },
            _ => (BigRational::one(), id),
        }
    }

    /// The coefficient of a term without building anything.
    pub fn coefficient(&self, id: ExprId) -> BigRational {
        match self.node(id) {
            Node::Num(r) => r.clone(),
            Node::Mul(fs) => match self.node(fs[0]) {
                Node::Num(c) => c.clone(),
                _ => BigRational::one(),
            },
            _ => BigRational::one(),
        }
    }

    /// `c * rest` where `rest` is a canonical term without a coefficient.
    fn scale_term(&mut self, c: BigRational, rest: ExprId) -> ExprId {
        if c.is_zero() {
            return self.int(0);
        }
        if self.is_int(rest, 1) {
            return self.num(c);
        }
        if c.is_one() {
            return rest;
        }
        let mut fs = vec![self.num(c)];
        match self.node(rest) {
            Node::Mul(rf) => fs.extend(rf.iter().copied()),
            _ => fs.push(rest),
        }
        self.intern(Node::Mul(fs.into_boxed_slice()))
    }

    /// The canonical sum of `terms`.
    pub fn add(&mut self, terms: Vec<ExprId>) -> ExprId {
        let mut flat = Vec::with_capacity(terms.len());
        for t in terms {
            match self.node(t) {
                Node::Add(ts) => flat.extend(ts.iter().copied()),
                _ => flat.push(t),
            }
        }
        if let Some(sum) = self.plain_sum(&flat) {
            return sum;
        }
        let mut constant = BigRational::zero();
        let mut order: Vec<ExprId> = Vec::new();
        let mut coeffs: FxHashMap<ExprId, BigRational> = FxHashMap::default();
        for t in flat {
            if let Node::Num(r) = self.node(t) {
                constant += r;
                continue;
            }
            let (c, rest) = self.split_coefficient(t);
            match coeffs.get_mut(&rest) {
                Some(acc) => *acc += c,
                None => {
                    order.push(rest);
                    coeffs.insert(rest, c);
                }
            }
        }
        let mut out = Vec::with_capacity(order.len() + 1);
        for rest in order {
            let c = coeffs.remove(&rest).unwrap_or_else(BigRational::zero);
            if !c.is_zero() {
                out.push(self.scale_term(c, rest));
            } else {
                // Terms that cancel keep their domain (see `guards.rs`).
                self.guard(rest);
            }
        }
        out.sort_by(|&a, &b| self.cmp(a, b));
        if !constant.is_zero() {
            out.insert(0, self.num(constant));
        }
        match out.len() {
            0 => self.int(0),
            1 => out[0],
            _ => self.intern(Node::Add(out.into_boxed_slice())),
        }
    }

    /// The sum of flattened terms that nothing collects, without the general
    /// collection: no term is a number or has a numeric coefficient, and no two are
    /// equal, so each is its own term with coefficient 1 and the canonical sum is the
    /// terms sorted. This is the sum a user writes term by term (`sin(x0)*y0 + ...`),
    /// where a map of exact coefficients would cost more than the sum.
    fn plain_sum(&mut self, flat: &[ExprId]) -> Option<ExprId> {
        if flat.len() < 2 {
            return None;
        }
        // A short sum looks for a repeated term in place; a long one keeps a set, so
        // that the check stays linear without costing the many small sums a set each.
        let mut seen = rustc_hash::FxHashSet::default();
        for (k, &t) in flat.iter().enumerate() {
            let scaled = match self.node(t) {
                Node::Num(_) => true,
                Node::Mul(fs) => matches!(self.node(fs[0]), Node::Num(_)),
                _ => false,
            };
            let repeated = if flat.len() <= 16 {
                flat[..k].contains(&t)
            } else {
                !seen.insert(t)
            };
            if scaled || repeated {
                return None;
            }
        }
        let mut out = flat.to_vec();
        out.sort_by(|&a, &b| self.cmp(a, b));
        Some(self.intern(Node::Add(out.into_boxed_slice())))
    }

    /// `a - b`.
    pub fn sub(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let nb = self.neg(b);
        self.add(vec![a, nb])
    }

    /// `-a`.
    pub fn neg(&mut self, a: ExprId) -> ExprId {
        let m = self.int(-1);
        self.mul(vec![m, a])
    }

    // ----- products -----------------------------------------------------------------

    /// The canonical product of `factors`.
    pub fn mul(&mut self, factors: Vec<ExprId>) -> ExprId {
        if let Some(product) = self.plain_product(&factors) {
            return product;
        }
        let mut pending = factors;
        let mut coeff = BigRational::one();
        // The factors seen, while guards are recorded: a product that is 0, or
        // factors whose powers merge, may drop a factor's domain.
        let mut recorded: Vec<ExprId> = Vec::new();
        // Bases in first-seen order with their summed exponents.
        let mut order: Vec<ExprId> = Vec::new();
        let mut exps: FxHashMap<ExprId, Vec<ExprId>> = FxHashMap::default();
        // Merging powers can produce numbers or products again (4^(1/2) = 2, (x*y)^2);
        // those go around once more. Each round strictly merges bases, so it ends.
        for _round in 0..8 {
            let mut flat = Vec::new();
            for f in pending.drain(..) {
                match self.node(f) {
                    Node::Mul(fs) => flat.extend(fs.iter().copied()),
                    _ => flat.push(f),
                }
            }
            // A product with a factor 1/0 is undefined everywhere, whatever the other
            // factors are; one node stands for it, so denominators never hide a zero.
            if let Some(&undefined) = flat.iter().find(|&&f| self.is_division_by_zero(f)) {
                return undefined;
            }
            let one = self.int(1);
            if self.guards.is_some() {
                for &f in &flat {
                    recorded.push(f);
                }
            }
            for f in flat {
                let (b, e) = match self.node(f) {
                    Node::Num(r) => {
                        coeff *= r;
                        continue;
                    }
                    Node::Pow(b, e) => (*b, *e),
                    _ => (f, one),
                };
                exps.entry(b)
                    .or_insert_with(|| {
                        order.push(b);
                        Vec::new()
                    })
                    .push(e);
            }
            if coeff.is_zero() {
                for f in recorded {
                    self.guard(f);
                }
                return self.int(0);
            }
            let mut out = Vec::new();
            let mut again = false;
            for base in std::mem::take(&mut order) {
                let es = exps.remove(&base).unwrap_or_default();
                if es.len() > 1 && self.guards.is_some() {
                    for &e in &es {
                        let f = self.pow(base, e);
                        self.guard(f);
                    }
                }
                let e = if es.len() == 1 { es[0] } else { self.add(es) };
                let p = self.pow(base, e);
                match self.node(p) {
                    Node::Num(r) => {
                        coeff *= r.clone();
                    }
                    Node::Mul(_) => {
                        again = true;
                        pending.push(p);
                    }
                    _ => out.push(p),
                }
            }
            if coeff.is_zero() {
                for f in recorded {
                    self.guard(f);
                }
                return self.int(0);
            }
            if again {
                pending.extend(out);
                continue;
            }
            return self.finish_mul(coeff, out);
        }
        // Unreachable in practice; build what we have without further merging.
        let rest = pending;
        self.finish_mul(coeff, rest)
    }

    /// The product of a few factors that nothing merges, without the general
    /// collection: no factor is a number, a product, a power or an exponential, and no
    /// two are equal, so each is its own base with exponent 1 and the canonical product
    /// is the factors sorted. This is most products a user writes (`sin(x)*y`), and the
    /// general path's maps and vectors cost more than the product itself.
    fn plain_product(&mut self, factors: &[ExprId]) -> Option<ExprId> {
        if factors.len() < 2 || factors.len() > 4 {
            return None;
        }
        for (k, &f) in factors.iter().enumerate() {
            let merges = matches!(
                self.node(f),
                Node::Num(_) | Node::Mul(_) | Node::Pow(_, _) | Node::Func(Func::Exp, _)
            );
            if merges || factors[..k].contains(&f) {
                return None;
            }
        }
        let mut out = factors.to_vec();
        out.sort_by(|&a, &b| self.cmp(a, b));
        Some(self.intern(Node::Mul(out.into_boxed_slice())))
    }

    fn finish_mul(&mut self, mut coeff: BigRational, mut out: Vec<ExprId>) -> ExprId {
        // e^a * e^b = e^(a + b) for all real a and b: exponentials merge, so that
        // `exp(x)*exp(-x)` is 1 and a quotient of exponentials cancels.
        let exps: Vec<ExprId> = out
            .iter()
            .filter_map(|&f| match self.node(f) {
                Node::Func(Func::Exp, a) => Some(*a),
                _ => None,
            })
            .collect();
        if exps.len() >= 2 {
            out.retain(|&f| !matches!(self.node(f), Node::Func(Func::Exp, _)));
            let arg = self.add(exps);
            let merged = self.func(Func::Exp, arg);
            match self.node(merged) {
                Node::Num(r) => coeff *= r,
                _ => out.push(merged),
            }
        }
        out.retain(|&f| !self.is_int(f, 1));
        out.sort_by(|&a, &b| self.cmp(a, b));
        if out.is_empty() {
            return self.num(coeff);
        }
        // A number times a single sum distributes, so that `2*(x + y)` and `2*x + 2*y`
        // are one node and negated sums cancel term by term.
        if out.len() == 1 && !coeff.is_one() {
            if let Node::Add(ts) = self.node(out[0]) {
                let ts: Vec<ExprId> = ts.to_vec();
                let c = self.num(coeff);
                let scaled = ts.into_iter().map(|t| self.mul(vec![c, t])).collect();
                return self.add(scaled);
            }
        }
        if coeff.is_one() && out.len() == 1 {
            return out[0];
        }
        if !coeff.is_one() {
            let c = self.num(coeff);
            out.insert(0, c);
        }
        self.intern(Node::Mul(out.into_boxed_slice()))
    }

    /// Whether a node is `1/0` (or another negative power of 0, which `pow` folds to it).
    pub fn is_division_by_zero(&self, id: ExprId) -> bool {
        matches!(self.node(id), Node::Pow(b, e)
            if self.is_int(*b, 0) && self.as_num(*e).is_some_and(|r| r.is_negative()))
    }

    /// `a / b`.
    pub fn div(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let r = self.recip(b);
        self.mul(vec![a, r])
    }

    /// `1 / a`.
    pub fn recip(&mut self, a: ExprId) -> ExprId {
        let m = self.int(-1);
        self.pow(a, m)
    }

    // ----- powers -------------------------------------------------------------------

    /// The canonical power `base^exponent`.
    pub fn pow(&mut self, base: ExprId, exponent: ExprId) -> ExprId {
        // A power node exists only if this constructor built it from these very
        // arguments, so an interned one is already the answer (products re-take the
        // powers of their factors often, and normalizing a wide sum's content each time
        // would cost its width).
        if let Some(id) = self.interned(&Node::Pow(base, exponent)) {
            return id;
        }
        if self.is_int(exponent, 0) {
            self.guard(base);
            return self.int(1);
        }
        if self.is_int(exponent, 1) {
            return base;
        }
        if self.is_int(base, 1) {
            return base;
        }
        let int_exp = self
            .as_num(exponent)
            .filter(|r| r.is_integer())
            .map(|r| r.numer().clone());
        match self.node(base).clone() {
            Node::Num(b) => {
                if let Some(e) = self.as_num(exponent).cloned() {
                    if let Some(r) = fold_power(&b, &e) {
                        return self.num(r);
                    }
                    // Every negative power of 0 is the same undefined value; one node,
                    // `1/0`, stands for all of them so that printing round-trips.
                    if b.is_zero() && e.is_negative() && !self.is_int(exponent, -1) {
                        let m = self.int(-1);
                        return self.pow(base, m);
                    }
                }
            }
            Node::Const(Constant::E) => return self.func(Func::Exp, exponent),
            Node::Func(Func::Exp, u) => {
                // (e^u)^v = e^(u*v) for every real u and v, since e^u > 0.
                let p = self.mul(vec![u, exponent]);
                return self.func(Func::Exp, p);
            }
            Node::Pow(u, a) if int_exp.is_some() => {
                // (u^a)^n = u^(a*n) for an integer n wherever the left side is defined.
                let p = self.mul(vec![a, exponent]);
                return self.pow(u, p);
            }
            Node::Add(ts) => {
                // (c*A)^e = c^e * A^e for a positive number c: a power of a sum keeps a
                // primitive sum (its coefficients share no common factor), so that
                // `1/(10 + 10*x)` and `1/(10*(1 + x))` are one node.
                let content =
                    sum_content(&ts.iter().map(|&t| self.coefficient(t)).collect::<Vec<_>>());
                if !content.is_one() {
                    let inv = self.num(content.recip());
                    let parts = ts.iter().map(|&t| self.mul(vec![inv, t])).collect();
                    let primitive = self.add(parts);
                    let c = self.num(content);
                    let cp = self.pow(c, exponent);
                    let ap = self.pow(primitive, exponent);
                    return self.mul(vec![cp, ap]);
                }
            }
            Node::Mul(fs) if int_exp.is_some() => {
                // (a*b)^n = a^n * b^n for an integer n.
                let parts = fs.iter().map(|&f| self.pow(f, exponent)).collect();
                return self.mul(parts);
            }
            _ => {}
        }
        self.intern(Node::Pow(base, exponent))
    }

    /// `sqrt(a)`, the power `a^(1/2)`.
    pub fn sqrt(&mut self, a: ExprId) -> ExprId {
        let h = self.rational(1, 2);
        self.pow(a, h)
    }

    // ----- functions ----------------------------------------------------------------

    /// A builtin function applied to an argument, with exact values folded
    /// (`exp(0) = 1`, `ln(1) = 0`) and parity applied (`cos(-x) = cos(x)`).
    pub fn func(&mut self, f: Func, arg: ExprId) -> ExprId {
        if let Some(r) = self.as_num(arg).cloned() {
            if r.is_zero() {
                match f {
                    Func::Exp | Func::Cos | Func::Cosh => return self.int(1),
                    Func::Sin
                    | Func::Tan
                    | Func::Sinh
                    | Func::Tanh
                    | Func::Asin
                    | Func::Atan
                    | Func::Erf
                    | Func::Abs => return self.int(0),
                    Func::Sigmoid => return self.rational(1, 2),
                    Func::Acos => {
                        let pi = self.constant(Constant::Pi);
                        let h = self.rational(1, 2);
                        return self.mul(vec![h, pi]);
                    }
                    Func::Softplus => {
                        let two = self.int(2);
                        return self.func(Func::Ln, two);
                    }
                    Func::Ln => {}
                }
            }
            if r.is_one() {
                match f {
                    Func::Ln | Func::Acos => return self.int(0),
                    Func::Exp => return self.constant(Constant::E),
                    _ => {}
                }
            }
            if f == Func::Abs {
                return self.num(r.abs());
            }
        }
        if f == Func::Ln && matches!(self.node(arg), Node::Const(Constant::E)) {
            return self.int(1);
        }
        if f == Func::Abs && matches!(self.node(arg), Node::Func(Func::Abs, _)) {
            return arg;
        }
        if (f.is_odd() || f.is_even()) && self.coefficient(arg).is_negative() {
            let m = self.int(-1);
            let pos = self.mul(vec![m, arg]);
            let inner = self.intern_func(f, pos);
            return if f.is_odd() { self.neg(inner) } else { inner };
        }
        self.intern_func(f, arg)
    }

    fn intern_func(&mut self, f: Func, arg: ExprId) -> ExprId {
        self.intern(Node::Func(f, arg))
    }
}

/// `b^e` for exact numbers when the result is an exact rational of bounded size.
fn fold_power(b: &BigRational, e: &BigRational) -> Option<BigRational> {
    // (-1)^n for an integer n of any size is ±1.
    if e.is_integer() && b.is_integer() && b.numer() == &BigInt::from(-1) {
        return Some(BigRational::from_integer(if e.numer().is_even() {
            BigInt::from(1)
        } else {
            BigInt::from(-1)
        }));
    }
    if b.is_zero() {
        return if e.is_positive() {
            Some(BigRational::zero())
        } else {
            None
        };
    }
    let (p, q) = (e.numer(), e.denom());
    // Take the q-th root first (only of positive bases: the real principal root), then
    // the integer power p.
    let base = if q.is_one() {
        b.clone()
    } else {
        if b.is_negative() {
            return None;
        }
        let q = q.to_u32()?;
        let n = exact_root(b.numer(), q)?;
        let d = exact_root(b.denom(), q)?;
        BigRational::new(n, d)
    };
    let p_abs = p.abs().to_u64()?;
    let bits = base.numer().bits().max(base.denom().bits());
    if bits.saturating_mul(p_abs) > MAX_EXACT_BITS {
        return None;
    }
    let mut r = num_traits::pow(base.clone(), p_abs as usize);
    if p.is_negative() {
        r = r.recip();
    }
    Some(r)
}

/// Whether an integer exponent is even (for callers that reason about signs).
pub fn is_even_integer(r: &BigRational) -> bool {
    r.is_integer() && r.numer().is_even()
}

/// The positive content of a sum with these coefficients: the gcd of the numerators over
/// the lcm of the denominators (1 for a sum that is already primitive).
fn sum_content(coeffs: &[BigRational]) -> BigRational {
    let mut g = BigInt::zero();
    let mut l = BigInt::one();
    for c in coeffs {
        g = g.gcd(c.numer());
        l = l.lcm(c.denom());
    }
    if g.is_zero() {
        return BigRational::one();
    }
    BigRational::new(g, l)
}
