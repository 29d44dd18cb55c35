//! The compiler: a formula in gauge's language to an EML DAG over `1` and its
//! variables, from the table's forms.
//!
//! Each operation of the formula becomes its primitive's form with the operands'
//! DAGs in place of `x` and `y`; the DAG shares every repeated subtree. `exp(u)` is
//! `eml(u, 1)` and `eml(u, v)` itself costs nothing. Sums are chains of `plus` and
//! `subtract` (a term with a negative coefficient is subtracted, as `subtract` is
//! shorter than `plus` and `minus` together), products chains of `times` and
//! `divide`, integer powers products of `sqr` and `times`, and other powers `power`.
//!
//! Which form: by default, the shortest one that is right wherever the primitive is
//! real (the positive reals for `ln`, `sqrt`, `power`'s base and `log_b`, the reals
//! for the rest); with `complex_safe`, the shortest one right on the whole plane. A
//! form whose region is not the whole plane adds a [`Condition`] on its argument,
//! as a subexpression of the source formula, so the result states its own domain.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use rustc_hash::FxHashMap;

use crate::eml::dag::{Dag, Id};
use crate::eml::domain::{Condition, Region};
use crate::eml::table::Table;
use crate::expr::node::{Constant, ExprId, Func, Node};
use crate::expr::pool::Pool;

/// How to compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Only forms right on the whole complex plane, where the table has one.
    pub complex_safe: bool,
}

/// A compiled formula.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The DAG, over `1` and the formula's variables.
    pub dag: Dag,
    /// Its root.
    pub root: Id,
    /// Where the formula's operands must lie for the result to be right.
    pub conditions: Vec<Condition>,
    /// The primitives that had no form on the region asked for, so that a form
    /// right on a smaller region stood in (complex-safe compilation only).
    pub fallbacks: Vec<String>,
}

/// Why a formula has no EML form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The subexpression, printed.
    pub what: String,
    /// Why, in words.
    pub why: String,
}

/// Compiles `expr` (from `pool`) with the committed table.
pub fn compile(pool: &mut Pool, expr: ExprId, opts: Options) -> Result<Compiled, Unsupported> {
    compile_with(pool, expr, opts, Table::committed())
}

/// Compiles `expr` with the forms of `table`.
pub fn compile_with(
    pool: &mut Pool,
    expr: ExprId,
    opts: Options,
    table: &Table,
) -> Result<Compiled, Unsupported> {
    let mut c = Compiler {
        pool,
        table,
        opts,
        dag: Dag::new(),
        memo: FxHashMap::default(),
        conditions: Vec::new(),
        fallbacks: Vec::new(),
    };
    let root = c.node(expr)?;
    let mut conditions = c.conditions;
    conditions.sort();
    conditions.dedup();
    let mut fallbacks = c.fallbacks;
    fallbacks.sort();
    fallbacks.dedup();
    Ok(Compiled {
        dag: c.dag,
        root,
        conditions,
        fallbacks,
    })
}

/// The region on which a primitive is real-valued: where the default compilation
/// needs its form to be right.
fn real_region(name: &str) -> Region {
    match name {
        "ln" | "sqrt" | "power" | "log_b" => Region::Positive,
        _ => Region::Real,
    }
}

struct Compiler<'a> {
    pool: &'a mut Pool,
    table: &'a Table,
    opts: Options,
    dag: Dag,
    memo: FxHashMap<ExprId, Id>,
    conditions: Vec<Condition>,
    fallbacks: Vec<String>,
}

impl Compiler<'_> {
    fn unsupported(&self, id: ExprId, why: &str) -> Unsupported {
        Unsupported {
            what: crate::print::text::to_text(self.pool, id),
            why: why.to_string(),
        }
    }

    /// A primitive applied to operands, each with its source subexpression.
    fn prim(&mut self, name: &str, args: &[(Id, ExprId)], at: ExprId) -> Result<Id, Unsupported> {
        let need = if self.opts.complex_safe {
            Region::Complex
        } else {
            real_region(name)
        };
        let form = match self.table.best(name, need) {
            Some(f) => f,
            None => {
                let Some(f) = self.table.of(name).into_iter().max_by_key(|f| {
                    // The most general region available, then the shortest.
                    (
                        Region::ALL.iter().position(|r| *r == f.region),
                        std::cmp::Reverse(f.k),
                    )
                }) else {
                    return Err(self.unsupported(at, &format!("the table has no form of `{name}`")));
                };
                self.fallbacks.push(name.to_string());
                f
            }
        };
        if form.region != Region::Complex {
            for &(_, src) in args {
                // A constant operand that lies in the region needs no condition.
                if self.pool.free_symbols(src).is_empty()
                    && crate::eml::reference::eval_f64(self.pool, src, &[])
                        .is_ok_and(|v| form.region.contains(v.re, v.im))
                {
                    continue;
                }
                self.conditions.push(Condition {
                    region: form.region,
                    arg: src,
                });
            }
        }
        let ids: Vec<Id> = args.iter().map(|a| a.0).collect();
        Ok(form.build(&mut self.dag, &ids))
    }

    /// A constant primitive (no arguments, no conditions).
    fn constant_form(&mut self, name: &str) -> Option<Id> {
        let form = self.table.best(name, Region::Complex)?;
        Some(form.build(&mut self.dag, &[]))
    }

    fn node(&mut self, id: ExprId) -> Result<Id, Unsupported> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(|| self.node(id));
        }
        if let Some(&d) = self.memo.get(&id) {
            return Ok(d);
        }
        if let Some(d) = self.constant_by_value(id) {
            self.memo.insert(id, d);
            return Ok(d);
        }
        let out = match self.pool.node(id).clone() {
            Node::Num(r) => self.number(&r, id)?,
            Node::Const(Constant::E) => {
                let one = self.dag.one();
                self.dag.eml(one, one)
            }
            Node::Const(Constant::Pi) => self
                .constant_form("pi")
                .ok_or_else(|| self.unsupported(id, "the table has no form of pi"))?,
            Node::Sym(s) => {
                let name = self.pool.name(s).to_string();
                self.dag.var(&name)
            }
            Node::Add(terms) => self.sum(&terms)?,
            Node::Mul(factors) => self.product(&factors, id)?,
            Node::Pow(b, e) => self.power(b, e, id)?,
            Node::Func(f, a) => self.func(f, a, id)?,
            Node::Call { def, args, .. } => {
                let name = self.pool.name(self.pool.definition(def).name).to_string();
                if name == "eml" && args.len() == 2 {
                    let (a, b) = (self.node(args[0])?, self.node(args[1])?);
                    self.dag.eml(a, b)
                } else if ["hypot", "avg", "asinh", "acosh", "atanh"].contains(&name.as_str())
                    && !self.table.of(&name).is_empty()
                {
                    let mut ops = Vec::new();
                    for &a in args.iter() {
                        ops.push((self.node(a)?, a));
                    }
                    self.prim(&name, &ops, id)?
                } else {
                    match self.pool.expand_call(id) {
                        Some(body) if body != id => self.node(body)?,
                        _ => return Err(self.unsupported(id, "a call that has no scalar body")),
                    }
                }
            }
            Node::Index(_)
            | Node::Tensor(_)
            | Node::Elem(..)
            | Node::Len(..)
            | Node::Delta(..)
            | Node::Sum { .. } => {
                return Err(self.unsupported(
                    id,
                    "EML compiles scalar formulas: tensors, indices and sums have no EML form",
                ));
            }
            Node::Diff { .. } => {
                return Err(self.unsupported(
                    id,
                    "an unevaluated derivative: use `gauge eml --diff` for a derivative in EML",
                ));
            }
        };
        self.memo.insert(id, out);
        Ok(out)
    }

    /// A constant subexpression (other than 1 and `e`) whose value is one of the
    /// table's constants: that constant's form. `sqrt(-1)` is the table's `i`, and
    /// `(1 + sqrt(5))/2` its `phi`. The match is by value within `1e-12`; the audit
    /// then checks the result in certified arithmetic like any other.
    fn constant_by_value(&mut self, id: ExprId) -> Option<Id> {
        if !self.pool.free_symbols(id).is_empty() {
            return None;
        }
        match self.pool.node(id) {
            Node::Num(r) if r.is_one() => return None,
            Node::Const(Constant::E) => return None,
            Node::Num(_)
            | Node::Const(_)
            | Node::Add(_)
            | Node::Mul(_)
            | Node::Pow(..)
            | Node::Func(..)
            | Node::Call { .. } => {}
            _ => return None,
        }
        let v = crate::eml::reference::eval_f64(self.pool, id, &[]).ok()?;
        let table = self.table;
        let form = table
            .constants()
            .iter()
            .filter(|(c, _)| (c.re - v.re).hypot(c.im - v.im) <= 1e-12 * (1.0 + v.abs()))
            .map(|(_, f)| *f)
            .min_by_key(|f| f.k)?;
        Some(form.build(&mut self.dag, &[]))
    }

    /// A rational number: a constant of the table when there is one, else built from
    /// integers by `divide`, and integers by `succ` and `double`.
    fn number(&mut self, r: &BigRational, at: ExprId) -> Result<Id, Unsupported> {
        if r.is_one() {
            return Ok(self.dag.one());
        }
        let text = if r.is_integer() {
            r.numer().to_string()
        } else {
            format!("{}/{}", r.numer(), r.denom())
        };
        if let Some(id) = self.constant_form(&text) {
            return Ok(id);
        }
        if r.is_negative() {
            let pos = self.number(&-r.clone(), at)?;
            let src = self.pool.num(-r.clone());
            return self.prim("minus", &[(pos, src)], at);
        }
        if !r.is_integer() {
            let (p, q) = (
                BigRational::from_integer(r.numer().clone()),
                BigRational::from_integer(r.denom().clone()),
            );
            let (a, b) = (self.number(&p, at)?, self.number(&q, at)?);
            let (sa, sb) = (self.pool.num(p), self.pool.num(q));
            return self.prim("divide", &[(a, sa), (b, sb)], at);
        }
        self.integer(r.numer(), at)
    }

    /// A positive integer of at least 2: doubled when even, else the one below plus 1.
    fn integer(&mut self, n: &BigInt, at: ExprId) -> Result<Id, Unsupported> {
        let text = n.to_string();
        if n.is_one() {
            return Ok(self.dag.one());
        }
        if let Some(id) = self.constant_form(&text) {
            return Ok(id);
        }
        if n.is_even() {
            let half = n / 2;
            let h = self.integer(&half, at)?;
            let hs = self.pool.num(BigRational::from_integer(half));
            return self.prim("double", &[(h, hs)], at);
        }
        let below = n - 1;
        let b = self.integer(&below, at)?;
        let bs = self.pool.num(BigRational::from_integer(below));
        self.prim("succ", &[(b, bs)], at)
    }

    /// A term's sign and magnitude: `-3*x` is `(true, 3*x)`.
    fn split_sign(&mut self, t: ExprId) -> (bool, ExprId) {
        match self.pool.node(t).clone() {
            Node::Num(r) if r.is_negative() => (true, self.pool.num(-r)),
            Node::Mul(fs) => match self.pool.as_num(fs[0]).cloned() {
                Some(c) if c.is_negative() => {
                    let mut rest = fs.to_vec();
                    rest[0] = self.pool.num(-c);
                    (true, self.pool.mul(rest))
                }
                _ => (false, t),
            },
            _ => (false, t),
        }
    }

    fn sum(&mut self, terms: &[ExprId]) -> Result<Id, Unsupported> {
        let mut pos = Vec::new();
        let mut neg = Vec::new();
        for &t in terms {
            let (n, m) = self.split_sign(t);
            if n { neg.push(m) } else { pos.push(m) }
        }
        // A `+ 1` is `succ` of the rest: it goes last, after a first term.
        if pos.len() > 1
            && let Some(k) = pos
                .iter()
                .position(|&p| self.pool.as_num(p).is_some_and(|r| r.is_one()))
        {
            let one = pos.remove(k);
            pos.push(one);
        }
        let (mut acc, mut acc_src) = match pos.first() {
            Some(&p) => (self.node(p)?, p),
            None => {
                let first = neg.remove(0);
                let v = self.node(first)?;
                let src = self.pool.neg(first);
                (self.prim("minus", &[(v, first)], src)?, src)
            }
        };
        for &p in pos.iter().skip(1) {
            if self.pool.as_num(p).is_some_and(|r| r.is_one()) {
                let src = self.pool.add(vec![acc_src, p]);
                acc = self.prim("succ", &[(acc, acc_src)], src)?;
                acc_src = src;
                continue;
            }
            let v = self.node(p)?;
            let src = self.pool.add(vec![acc_src, p]);
            acc = self.prim("plus", &[(acc, acc_src), (v, p)], src)?;
            acc_src = src;
        }
        for &m in &neg {
            if self.pool.as_num(m).is_some_and(|r| r.is_one()) {
                let nm = self.pool.neg(m);
                let src = self.pool.add(vec![acc_src, nm]);
                acc = self.prim("pred", &[(acc, acc_src)], src)?;
                acc_src = src;
                continue;
            }
            let v = self.node(m)?;
            let nm = self.pool.neg(m);
            let src = self.pool.add(vec![acc_src, nm]);
            acc = self.prim("subtract", &[(acc, acc_src), (v, m)], src)?;
            acc_src = src;
        }
        Ok(acc)
    }

    fn product(&mut self, factors: &[ExprId], at: ExprId) -> Result<Id, Unsupported> {
        let mut coef = BigRational::one();
        let mut num = Vec::new();
        let mut den = Vec::new();
        for &f in factors {
            if let Some(c) = self.pool.as_num(f) {
                coef *= c.clone();
                continue;
            }
            match self.pool.node(f).clone() {
                Node::Pow(b, e) if self.pool.as_num(e).is_some_and(|r| r.is_negative()) => {
                    let r = -self.pool.as_num(e).cloned().unwrap_or_default();
                    let m = self.pool.num(r);
                    den.push(self.pool.pow(b, m));
                }
                _ => num.push(f),
            }
        }
        if coef.is_negative() {
            let pos = self.pool.num(-coef.clone());
            let mut fs = vec![pos];
            fs.extend(
                factors
                    .iter()
                    .copied()
                    .filter(|&f| self.pool.as_num(f).is_none()),
            );
            let m = self.pool.mul(fs);
            let v = self.node(m)?;
            return self.prim("minus", &[(v, m)], at);
        }
        // The coefficient: a numerator factor, or its reciprocal a denominator one.
        let mut double = false;
        if !coef.is_one() {
            if coef.numer().is_one() {
                let q = BigRational::from_integer(coef.denom().clone());
                den.insert(0, self.pool.num(q));
            } else if coef == BigRational::from_integer(2.into()) && !num.is_empty() {
                double = true;
            } else {
                num.insert(0, self.pool.num(coef.clone()));
            }
        }
        if num.is_empty() {
            let d = self.pool.mul(den.clone());
            let v = self.product_of(&den)?;
            return self.prim("inv", &[(v, d)], at);
        }
        let mut n = self.product_of(&num)?;
        let mut n_src = self.pool.mul(num.clone());
        if double {
            let two = self.pool.num(BigRational::from_integer(2.into()));
            let src = self.pool.mul(vec![two, n_src]);
            n = self.prim("double", &[(n, n_src)], src)?;
            n_src = src;
        }
        if den.is_empty() {
            return Ok(n);
        }
        let two = BigRational::from_integer(2.into());
        if den.len() == 1 && self.pool.as_num(den[0]).is_some_and(|r| *r == two) {
            return self.prim("half", &[(n, n_src)], at);
        }
        let d = self.pool.mul(den.clone());
        let dv = self.product_of(&den)?;
        self.prim("divide", &[(n, n_src), (dv, d)], at)
    }

    fn product_of(&mut self, fs: &[ExprId]) -> Result<Id, Unsupported> {
        let mut acc = self.node(fs[0])?;
        let mut src = fs[0];
        for &f in &fs[1..] {
            let v = self.node(f)?;
            let s = self.pool.mul(vec![src, f]);
            acc = self.prim("times", &[(acc, src), (v, f)], s)?;
            src = s;
        }
        Ok(acc)
    }

    fn power(&mut self, b: ExprId, e: ExprId, at: ExprId) -> Result<Id, Unsupported> {
        let bv = self.node(b)?;
        let Some(r) = self.pool.as_num(e).cloned() else {
            let ev = self.node(e)?;
            return self.prim("power", &[(bv, b), (ev, e)], at);
        };
        let half = BigRational::new(1.into(), 2.into());
        if r == half {
            return self.prim("sqrt", &[(bv, b)], at);
        }
        if r.is_integer() && !r.is_zero() {
            let n = r.numer().abs().to_u64().unwrap_or(u64::MAX);
            if n <= 64 {
                let p = self.integer_power(bv, b, n)?;
                if r.is_negative() {
                    let m = self.pool.num(BigRational::from_integer(r.numer().abs()));
                    let src = self.pool.pow(b, m);
                    return self.prim("inv", &[(p, src)], at);
                }
                return Ok(p);
            }
        }
        let ev = self.node(e)?;
        self.prim("power", &[(bv, b), (ev, e)], at)
    }

    /// `b^n` for `1 <= n <= 64`, by squaring.
    fn integer_power(&mut self, bv: Id, b: ExprId, n: u64) -> Result<Id, Unsupported> {
        if n == 1 {
            return Ok(bv);
        }
        let half = n / 2;
        let h = self.integer_power(bv, b, half)?;
        let hs = {
            let m = self.pool.num(BigRational::from_integer(half.into()));
            self.pool.pow(b, m)
        };
        let two = {
            let m = self.pool.num(BigRational::from_integer((2 * half).into()));
            self.pool.pow(b, m)
        };
        let sq = self.prim("sqr", &[(h, hs)], two)?;
        if n % 2 == 0 {
            return Ok(sq);
        }
        let all = {
            let m = self.pool.num(BigRational::from_integer(n.into()));
            self.pool.pow(b, m)
        };
        self.prim("times", &[(sq, two), (bv, b)], all)
    }

    fn func(&mut self, f: Func, a: ExprId, at: ExprId) -> Result<Id, Unsupported> {
        let v = self.node(a)?;
        match f {
            Func::Exp => Ok(self.dag.exp(v)),
            Func::Softplus => {
                // ln(1 + e^a).
                let e = self.dag.exp(v);
                let ea = self.pool.func(Func::Exp, a);
                let one = self.pool.num(BigRational::one());
                let s = self.pool.add(vec![one, ea]);
                let p = self.prim("succ", &[(e, ea)], s)?;
                self.prim("ln", &[(p, s)], at)
            }
            Func::Abs => {
                // |a| = sqrt(a^2) for real a: a condition the result carries.
                self.conditions.push(Condition {
                    region: Region::Real,
                    arg: a,
                });
                let two = self.pool.num(BigRational::from_integer(2.into()));
                let sq_src = self.pool.pow(a, two);
                let sq = self.prim("sqr", &[(v, a)], sq_src)?;
                self.prim("sqrt", &[(sq, sq_src)], at)
            }
            Func::Erf => Err(self.unsupported(
                at,
                "erf is not an elementary function, so no EML tree computes it",
            )),
            _ => self.prim(f.name(), &[(v, a)], at),
        }
    }
}
