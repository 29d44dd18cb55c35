//! Enclosing an expression's value at a point, with the tape's rules of definedness.
//!
//! The walk mirrors the tape compiler (`numeric::tape::compile`): a call evaluates
//! its scalar arguments, then the terms of its body as the definition writes them,
//! then its expanded body, so a domain error the tape would meet is met here too; a
//! label (`y[n]` in `Z[n, y[n]]`) must be a whole number from 0 within the axis; and
//! an index names the innermost sum that binds it, or else its value at the point.
//!
//! Each node's enclosure depends only on the values of the indices free in it, so it
//! is kept under the node and those values: a DAG shared by many terms, or a term
//! inside nested sums that does not use their indices, is enclosed once.

use astro_float::BigFloat;
use rustc_hash::FxHashMap;

use crate::expr::definition::Reduce;
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;
use crate::numeric::precise::Fail;
use crate::numeric::precise::functions::to_bigint;
use crate::numeric::precise::interval::{Arith, Interval};
use crate::numeric::value::{Bindings, Value};

/// How many interval operations one evaluation may make before it gives up (an
/// elementary function counts as several, by its cost).
pub const BUDGET: u64 = 2_000_000;

/// Encloses the value of `e` at `at`, with `precision_bits`-bit bounds.
pub fn enclose(
    pool: &mut Pool,
    e: ExprId,
    at: &Bindings,
    precision_bits: usize,
) -> Result<Interval, Fail> {
    Evaluator::new(pool, at, precision_bits, BUDGET)?.enclose(e)
}

/// What an enclosure is kept under: the node, and the bound indices free in it with
/// their values.
type Key = (ExprId, Vec<(Symbol, usize)>);

/// An evaluation at one point and one precision: the arithmetic, the indices bound
/// by the sums being summed, and the enclosures found so far.
pub struct Evaluator<'a> {
    pool: &'a mut Pool,
    at: &'a Bindings,
    arith: Arith,
    /// The sums' indices and their current values, innermost last.
    env: Vec<(Symbol, usize)>,
    memo: FxHashMap<Key, Result<Interval, Fail>>,
}

impl<'a> Evaluator<'a> {
    /// An evaluator of expressions in `pool` at `at`, with `bits`-bit bounds and a
    /// budget of interval operations.
    pub fn new(
        pool: &'a mut Pool,
        at: &'a Bindings,
        bits: usize,
        budget: u64,
    ) -> Result<Evaluator<'a>, Fail> {
        Ok(Evaluator {
            pool,
            at,
            arith: Arith::new(bits, budget)?,
            env: Vec::new(),
            memo: FxHashMap::default(),
        })
    }

    /// The arithmetic, for work on the enclosures found.
    pub fn arith(&mut self) -> &mut Arith {
        &mut self.arith
    }

    /// The value of an index: the innermost sum's that binds it, else the point's.
    fn index_value(&self, s: Symbol) -> Result<usize, Fail> {
        if let Some(&(_, v)) = self.env.iter().rev().find(|e| e.0 == s) {
            return Ok(v);
        }
        match self.at.get(s) {
            Some(Value::Scalar(x)) if *x >= 0.0 && x.fract() == 0.0 && *x <= u32::MAX as f64 => {
                Ok(*x as usize)
            }
            _ => Err(Fail::unsure(format!(
                "the index `{}` has no value",
                self.pool.name(s)
            ))),
        }
    }

    /// The memo key of `id` here: the values of the bound indices free in it, each
    /// with its name (an index the point gives is the same everywhere).
    fn key(&self, id: ExprId) -> Key {
        if self.env.is_empty() {
            return (id, Vec::new());
        }
        let free = self.pool.free_symbols(id);
        let values = free
            .iter()
            .filter_map(|&s| {
                let bound = self.env.iter().rev().find(|e| e.0 == s);
                bound.map(|&(_, v)| (s, v))
            })
            .collect();
        (id, values)
    }

    /// Encloses the value of `id`.
    pub fn enclose(&mut self, id: ExprId) -> Result<Interval, Fail> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.enclose(id));
        }
        let key = self.key(id);
        if let Some(r) = self.memo.get(&key) {
            return r.clone();
        }
        self.arith.tick()?;
        let r = self.node(id);
        if !matches!(r, Err(Fail::Budget)) {
            self.memo.insert(key, r.clone());
        }
        r
    }

    fn node(&mut self, id: ExprId) -> Result<Interval, Fail> {
        let node = self.pool.node(id).clone();
        match node {
            Node::Num(r) => self.arith.from_rational(&r),
            Node::Const(c) => match c {
                crate::expr::node::Constant::Pi => self.arith.pi(),
                crate::expr::node::Constant::E => self.arith.e(),
            },
            Node::Sym(s) => match self.at.get(s) {
                Some(Value::Scalar(x)) => self.arith.from_f64(*x),
                _ => Err(Fail::unsure(format!(
                    "the scalar `{}` has no value",
                    self.pool.name(s)
                ))),
            },
            Node::Index(s) => {
                let v = self.index_value(s)?;
                self.arith.from_int(v)
            }
            Node::Tensor(s) => Err(Fail::unsure(format!(
                "the tensor `{}` is not a number",
                self.pool.name(s)
            ))),
            Node::Elem(t, idx) => {
                let mut at = Vec::with_capacity(idx.len());
                for &i in idx.iter() {
                    at.push(self.index(i)?);
                }
                let tensor = self.tensor(t)?;
                match tensor.offset(&at) {
                    Some(off) => self.arith.from_f64(tensor.data[off]),
                    None => Err(Fail::undefined(format!(
                        "`{}` is read at {at:?}, outside its shape {:?}",
                        self.pool.name(t),
                        tensor.shape
                    ))),
                }
            }
            Node::Len(t, axis) => {
                let n = self.tensor(t)?.shape.get(axis as usize).copied();
                self.arith.from_int(n.unwrap_or(0))
            }
            Node::Add(ts) => self.fold(&ts, 0, Arith::add),
            Node::Mul(fs) => self.fold(&fs, 1, Arith::mul),
            Node::Pow(b, e) => self.power(b, e),
            Node::Func(f, a) => {
                let v = self.enclose(a)?;
                if let Some(exact) = self.folded(f, &v) {
                    return exact;
                }
                if let Some(n) = exact_trig(self.pool, f, a) {
                    return self.arith.from_int(0).and_then(|z| {
                        let one = self.arith.from_int(1)?;
                        match n {
                            1 => Ok(one),
                            -1 => Ok(self.arith.neg(&one)),
                            _ => Ok(z),
                        }
                    });
                }
                self.arith.func(f, &v)
            }
            Node::Delta(a, b) => {
                let (a, b) = (self.index(a), self.index(b));
                let equal = first_failure(vec![a, b]).map(|v| v[0] == v[1])?;
                self.arith.from_int(usize::from(equal))
            }
            Node::Sum { index, range, body } => self.sum(index, range, body),
            Node::Call { def, args, indices } => self.call(id, def, &args, &indices),
            Node::Diff { .. } => Err(Fail::unsure(
                "a derivative that has not been taken: take derivatives first",
            )),
        }
    }

    /// The children combined by `op`, from `start`.
    fn fold(
        &mut self,
        ids: &[ExprId],
        start: usize,
        op: fn(&mut Arith, &Interval, &Interval) -> Result<Interval, Fail>,
    ) -> Result<Interval, Fail> {
        let vs = self.all(ids)?;
        let mut acc = self.arith.from_int(start)?;
        for v in &vs {
            acc = op(&mut self.arith, &acc, v)?;
        }
        Ok(acc)
    }

    /// `f` at an argument that is exactly a small integer, where the pool's own
    /// folding gives an exact number (`exp(0)` is 1, `ln(1)` is 0, `sigmoid(0)` is
    /// 1/2): computed and widened, such a value would have width, and a whole
    /// exponent (`(-2)^exp(0)`) must stay one number, as it is in `f64`.
    fn folded(
        &mut self,
        f: crate::expr::node::Func,
        v: &Interval,
    ) -> Option<Result<Interval, Fail>> {
        if !v.is_point() {
            return None;
        }
        let n = to_bigint(v.lo()).filter(|n| n.bits() <= 64)?;
        let arg = self.pool.num(n.into());
        let value = self.pool.func(f, arg);
        let r = self.pool.as_num(value)?.clone();
        Some(self.arith.from_rational(&r))
    }

    /// Every child enclosed: a child certainly undefined makes the node undefined
    /// even when another is only unsure, since the tape computes them all.
    fn all(&mut self, ids: &[ExprId]) -> Result<Vec<Interval>, Fail> {
        let results = ids.iter().map(|&c| self.enclose(c)).collect();
        first_failure(results)
    }

    /// A tensor's value at the point.
    fn tensor(&self, t: Symbol) -> Result<std::rc::Rc<crate::numeric::value::Tensor>, Fail> {
        match self.at.get(t) {
            Some(Value::Tensor(v)) => Ok(v.clone()),
            _ => Err(Fail::unsure(format!(
                "the tensor `{}` has no value",
                self.pool.name(t)
            ))),
        }
    }

    /// The value of an index expression: a name, a literal, or a label read from a
    /// tensor, which must be a whole number from 0, as the tape's labels must.
    fn index(&mut self, id: ExprId) -> Result<usize, Fail> {
        match self.pool.node(id).clone() {
            Node::Index(s) => self.index_value(s),
            // A literal that is not a whole number from 0 reads outside every axis,
            // as the tape's literal does.
            Node::Num(r) => Ok(if r.is_integer() {
                num_traits::ToPrimitive::to_usize(&r.to_integer()).unwrap_or(usize::MAX)
            } else {
                usize::MAX
            }),
            Node::Elem(..) => {
                let v = self.enclose(id)?;
                if !v.is_point() {
                    return Err(Fail::unsure("a label whose value is not exact"));
                }
                match to_bigint(v.lo()).and_then(|n| num_traits::ToPrimitive::to_u32(&n)) {
                    Some(n) => Ok(n as usize),
                    None => Err(Fail::undefined("a label that is not a whole number from 0")),
                }
            }
            Node::Call { def, args, .. } => match (self.pool.reduction_of(def), args.first()) {
                (Some(r), Some(&v)) if r.is_position() => self.position(r, v),
                _ => Err(Fail::unsure(
                    "an index must be a name, an integer or a label",
                )),
            },
            _ => Err(Fail::unsure(
                "an index must be a name, an integer or a label",
            )),
        }
    }

    /// A power, by the kind of its exponent, with the tape's rules: 0 to a negative
    /// power is undefined, and a negative base needs a whole exponent.
    fn power(&mut self, b: ExprId, e: ExprId) -> Result<Interval, Fail> {
        if let Node::Num(r) = self.pool.node(e).clone() {
            let base = self.enclose(b)?;
            if r.is_integer() {
                return self.arith.pow_int(&base, r.numer());
            }
            let half = num_rational::BigRational::new(1.into(), 2.into());
            if r == half {
                return self.arith.sqrt(&base);
            }
            if r == -half {
                let root = self.arith.sqrt(&base)?;
                return self.arith.recip(&root);
            }
            let x = self.arith.from_rational(&r)?;
            return self.arith.pow_real(&base, &x, Some(false));
        }
        let both = first_failure(vec![self.enclose(b), self.enclose(e)])?;
        let (base, x) = (&both[0], &both[1]);
        let whole = x.is_point().then(|| x.lo().is_int());
        self.arith.pow_real(base, x, whole)
    }

    /// A sum over an index: the body once per value, in order; a pass certainly
    /// undefined makes the sum undefined.
    fn sum(&mut self, index: Symbol, range: ExprId, body: ExprId) -> Result<Interval, Fail> {
        let n = match self.pool.node(range).clone() {
            Node::Len(t, axis) => self
                .tensor(t)?
                .shape
                .get(axis as usize)
                .copied()
                .unwrap_or(0),
            Node::Num(r) if r.is_integer() => num_traits::ToPrimitive::to_usize(&r.to_integer())
                .ok_or_else(|| Fail::unsure("a sum's range is not a count"))?,
            _ => return Err(Fail::unsure("a sum's range must be an axis length")),
        };
        let mut total = self.arith.from_int(0)?;
        let mut unsure = None;
        for v in 0..n {
            self.env.push((index, v));
            let term = self.enclose(body);
            self.env.pop();
            match term {
                Ok(t) => {
                    if unsure.is_none() {
                        total = self.arith.add(&total, &t)?;
                    }
                }
                Err(Fail::Unsure(why)) => unsure = Some(why),
                Err(other) => return Err(other),
            }
        }
        match unsure {
            Some(why) => Err(Fail::Unsure(why)),
            None => Ok(total),
        }
    }

    /// A call: its scalar arguments, then its body's terms as written with the
    /// arguments in place, then its expanded body (see the module docs).
    fn call(
        &mut self,
        id: ExprId,
        def: crate::expr::node::DefId,
        args: &[ExprId],
        indices: &[ExprId],
    ) -> Result<Interval, Fail> {
        if let (Some(r), Some(&v)) = (self.pool.reduction_of(def), args.first()) {
            if r.is_position() {
                let k = self.position(r, v)?;
                return self.arith.from_int(k);
            }
            return self.reduce(r, v);
        }
        let d = self.pool.definition(def);
        if indices.len() < d.indices.len() {
            return Err(Fail::unsure("a tensor-valued call is not a number"));
        }
        let params: Vec<Kind> = d.params.iter().map(|p| p.kind).collect();
        let mut results = Vec::new();
        for (kind, &a) in params.iter().zip(args) {
            if *kind == Kind::Scalar {
                results.push(self.enclose(a));
            }
        }
        if let Some((written, subst)) = self.pool.call_subst(id) {
            let mut seen = rustc_hash::FxHashSet::default();
            self.written_terms(written, &subst, &mut seen, &mut results);
        }
        first_failure(results)?;
        match self.pool.expand_call(id) {
            Some(body) if body != id => self.enclose(body),
            _ => Err(Fail::unsure("a call that cannot be expanded")),
        }
    }

    /// The enclosures of a vector's elements, in order.
    fn elements(&mut self, vector: ExprId) -> Result<Vec<Interval>, Fail> {
        let Some(len) = self.pool.tensor_len(vector, 0) else {
            return Err(Fail::unsure(
                "a reduction of something that is not a vector",
            ));
        };
        let length = self.enclose(len)?;
        let exact = to_bigint(length.lo()).and_then(|n| num_traits::ToPrimitive::to_usize(&n));
        let n = match exact {
            Some(n) if length.is_point() => n,
            _ => return Err(Fail::unsure("a vector whose length is not exact")),
        };
        if n == 0 {
            return Err(Fail::undefined("a reduction of a vector with no elements"));
        }
        (0..n)
            .map(|k| {
                let at = self.pool.int(k as i64);
                let element = self.pool.index_tensor(vector, vec![at]);
                self.enclose(element)
            })
            .collect()
    }

    /// The largest (or smallest) element's value: its enclosure lies between the
    /// largest lower end and the largest upper end.
    fn reduce(&mut self, r: Reduce, vector: ExprId) -> Result<Interval, Fail> {
        let vs = self.elements(vector)?;
        let pick = |a: &BigFloat, b: &BigFloat| {
            if crate::numeric::precise::interval::lt(a, b) == r.largest() {
                b.clone()
            } else {
                a.clone()
            }
        };
        let mut lo = vs[0].lo().clone();
        let mut hi = vs[0].hi().clone();
        for v in &vs[1..] {
            lo = pick(&lo, v.lo());
            hi = pick(&hi, v.hi());
        }
        self.arith.interval(lo, hi)
    }

    /// The position of the first largest (or smallest) element, when the enclosures
    /// settle it: every earlier element certainly below it (above, for the smallest)
    /// and every later one certainly not above it.
    fn position(&mut self, r: Reduce, vector: ExprId) -> Result<usize, Fail> {
        use crate::numeric::precise::interval::{le, lt};
        let vs = self.elements(vector)?;
        let before = |a: &Interval, b: &Interval| {
            if r.largest() {
                lt(a.hi(), b.lo())
            } else {
                lt(b.hi(), a.lo())
            }
        };
        let not_after = |a: &Interval, b: &Interval| {
            if r.largest() {
                le(a.hi(), b.lo())
            } else {
                le(b.hi(), a.lo())
            }
        };
        (0..vs.len())
            .find(|&k| {
                vs[..k].iter().all(|v| before(v, &vs[k]))
                    && vs[k + 1..].iter().all(|v| not_after(v, &vs[k]))
            })
            .ok_or_else(|| Fail::unsure("the largest elements are too close to tell apart"))
    }

    /// Encloses each term of a definition's body `b` as written, with `subst`'s
    /// arguments in place, as the tape compiles them (`in_written_order`):
    /// substituting can fold or cancel a term whose domain error the call must
    /// still meet. Sums, elements and calls are enclosed whole.
    fn written_terms(
        &mut self,
        b: ExprId,
        subst: &Subst,
        seen: &mut rustc_hash::FxHashSet<ExprId>,
        out: &mut Vec<Result<Interval, Fail>>,
    ) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.written_terms(b, subst, seen, out));
        }
        if !seen.insert(b) {
            return;
        }
        let node = self.pool.node(b).clone();
        if node.is_leaf() || matches!(node, Node::Delta(..) | Node::Diff { .. }) {
            return;
        }
        // Elements, sums and calls are enclosed whole, in their place.
        if !matches!(node, Node::Elem(..) | Node::Sum { .. } | Node::Call { .. }) {
            for c in crate::expr::node::children(&node) {
                self.written_terms(c, subst, seen, out);
            }
        }
        let e = self.pool.substitute(b, subst);
        // A term whose indices are the definition's own (a sum's, inside its body)
        // has no value outside the sum: the sum itself is enclosed instead.
        let r = self.enclose(e);
        if !matches!(&r, Err(Fail::Unsure(_))) {
            out.push(r);
        }
    }
}

/// The exact value of `sin`, `cos` or `tan` at a whole multiple of π/2 written as
/// such (`cos(pi)`, `sin(3*pi/2)`): -1, 0 or 1. An enclosure of π has width, so its
/// cosine's enclosure is never the one number -1 that `(-2)^cos(pi)` needs as a whole
/// exponent, as the tape's `f64` finds it; the written form says it exactly. `None`
/// for anything else, and for the tangent's poles.
fn exact_trig(pool: &Pool, f: crate::expr::node::Func, a: ExprId) -> Option<i64> {
    use crate::expr::node::{Constant, Func};
    use num_traits::ToPrimitive;
    let halves = match pool.node(a) {
        Node::Const(Constant::Pi) => 2,
        Node::Mul(fs) => match fs.as_ref() {
            [c, p] if matches!(pool.node(*p), Node::Const(Constant::Pi)) => {
                let r = pool.as_num(*c)? * num_bigint::BigInt::from(2);
                if !r.is_integer() {
                    return None;
                }
                r.to_integer().to_i64()?
            }
            _ => return None,
        },
        _ => return None,
    };
    let quarter = halves.rem_euclid(4);
    match f {
        Func::Sin => Some([0, 1, 0, -1][quarter as usize]),
        Func::Cos => Some([1, 0, -1, 0][quarter as usize]),
        Func::Tan if quarter % 2 == 0 => Some(0),
        _ => None,
    }
}

/// The values, or the most telling failure among them: certainly undefined before
/// over budget before unsure.
fn first_failure<T>(results: Vec<Result<T, Fail>>) -> Result<Vec<T>, Fail> {
    let mut worst: Option<Fail> = None;
    let mut values = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(v) => values.push(v),
            Err(f) => {
                if worst.as_ref().is_none_or(|w| f.rank() > w.rank()) {
                    worst = Some(f);
                }
            }
        }
    }
    match worst {
        Some(f) => Err(f),
        None => Ok(values),
    }
}
