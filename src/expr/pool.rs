//! The expression pool: one arena of hash-consed, canonical nodes.
//!
//! Every expression lives here as an [`ExprId`]. Nodes are built only through the
//! constructors on [`Pool`] (`add`, `mul`, `pow`, `func`, `sum`, ...), and each
//! constructor returns the canonical node for its arguments: sums and products are
//! flattened, sorted by the structural order of [`crate::expr::order`], like terms and equal
//! bases are collected, and exact constants are folded. Because equal canonical nodes are
//! interned once, structural equality is handle equality, and later stages can memoize
//! by handle.
//!
//! Constructors apply only rewrites that hold for every real value of their arguments
//! (or that merely extend the domain, such as `x/x = 1`, the usual convention for
//! rational functions). Rewrites that need a side condition belong to the simplifier.

use std::cell::RefCell;
use std::rc::Rc;

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use rustc_hash::FxHashMap;

use crate::diag::source::Span;
use crate::expr::node::{Constant, DefId, ExprId, Func, Node, Symbol};
use crate::syntax::number::exact_root;

/// An exact power is computed only while its result stays below this many bits;
/// larger powers such as `2^(10^9)` stay unevaluated so that folding never hangs.
pub const MAX_EXACT_BITS: u64 = 1 << 16;

/// Names tried, in order, for a sum's bound index; see [`Pool::sum`].
pub(crate) const BOUND_INDEX_NAMES: [&str; 12] =
    ["j", "k", "l", "m", "p", "q", "r", "s", "t", "u", "v", "w"];

/// What kind of value a definition's parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A scalar expression.
    Scalar,
    /// An index: a name or an integer literal.
    Index,
    /// A tensor with this many axes.
    Tensor(u32),
}

/// One parameter of a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The parameter's name inside the body.
    pub name: Symbol,
    /// What the parameter takes.
    pub kind: ParamKind,
    /// For an index parameter, the length of the axis it indexes (in terms of the other
    /// parameters), so that a call can give its index argument a range.
    pub range: Option<ExprId>,
}

/// A definition made by `let`, from the prelude or from the user.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The name it is called by.
    pub name: Symbol,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// The indices of its result (`i` in `softmax(z)[i]`), empty for a scalar definition.
    pub indices: Vec<Symbol>,
    /// For each result index, the length of the axis it runs over, in terms of the
    /// parameters or of global tensors (`len(z)` for softmax).
    pub index_ranges: Vec<ExprId>,
    /// Equal axis lengths that the body requires of its tensor parameters.
    pub equal_lengths: Vec<(ExprId, ExprId)>,
    /// The body, over the parameter and index symbols.
    pub body: ExprId,
    /// Set when this is the prelude's definition of a builtin function (`sigmoid`): calls
    /// then lower to the builtin, and the body states what it means.
    pub builtin: Option<Func>,
    /// Where it was defined.
    pub span: Span,
}

/// The arena of expressions, their interned names and the definitions they call.
#[derive(Debug, Default)]
pub struct Pool {
    nodes: Vec<Node>,
    heights: Vec<u32>,
    memo: FxHashMap<Node, ExprId>,
    names: Vec<Box<str>>,
    name_ids: FxHashMap<Box<str>, Symbol>,
    defs: Vec<Definition>,
    /// Memoized free names per node; a cache behind `&self`, since asking which names
    /// are free does not change the pool.
    free: RefCell<Vec<Option<Rc<[Symbol]>>>>,
    fresh_counter: u32,
}

impl Pool {
    /// Creates an empty pool.
    pub fn new() -> Pool {
        Pool::default()
    }

    /// The node behind a handle.
    pub fn node(&self, id: ExprId) -> &Node {
        &self.nodes[id.index()]
    }

    /// How many distinct nodes the pool holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the pool holds no node yet.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Interns a name.
    pub fn symbol(&mut self, name: &str) -> Symbol {
        if let Some(&s) = self.name_ids.get(name) {
            return s;
        }
        let s = Symbol(self.names.len() as u32);
        self.names.push(name.into());
        self.name_ids.insert(name.into(), s);
        s
    }

    /// The symbol for a name if it was ever interned.
    pub fn lookup_symbol(&self, name: &str) -> Option<Symbol> {
        self.name_ids.get(name).copied()
    }

    /// The text of a name.
    pub fn name(&self, s: Symbol) -> &str {
        &self.names[s.0 as usize]
    }

    /// Stores a definition and returns its handle.
    pub fn add_definition(&mut self, def: Definition) -> DefId {
        let id = DefId(self.defs.len() as u32);
        self.defs.push(def);
        id
    }

    /// A stored definition.
    pub fn definition(&self, id: DefId) -> &Definition {
        &self.defs[id.0 as usize]
    }

    fn intern(&mut self, node: Node) -> ExprId {
        if let Some(&id) = self.memo.get(&node) {
            return id;
        }
        let id = ExprId(self.nodes.len() as u32);
        let height = self.height_of(&node);
        self.heights.push(height);
        self.nodes.push(node.clone());
        self.memo.insert(node, id);
        id
    }

    /// The height of a node: 0 for a leaf, else one more than its tallest child.
    fn height_of(&self, node: &Node) -> u32 {
        let h = |id: &ExprId| self.heights[id.index()];
        let tallest = match node {
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => return 0,
            Node::Elem(_, xs) | Node::Add(xs) | Node::Mul(xs) => {
                xs.iter().map(h).max().unwrap_or(0)
            }
            Node::Pow(a, b) | Node::Delta(a, b) => h(a).max(h(b)),
            Node::Func(_, a) => h(a),
            Node::Sum { range, body, .. } => h(range).max(h(body)),
            Node::Call { args, indices, .. } => {
                args.iter().chain(indices.iter()).map(h).max().unwrap_or(0)
            }
            Node::Diff { expr, var, .. } => h(expr).max(h(var)),
        };
        tallest + 1
    }

    /// The height of an expression (0 for a leaf, else one more than its tallest child);
    /// the structural order uses it
    /// to tell deep expressions apart without walking down them.
    pub fn height(&self, id: ExprId) -> u32 {
        self.heights[id.index()]
    }

    // ----- leaves -------------------------------------------------------------------

    /// An exact rational number.
    pub fn num(&mut self, r: BigRational) -> ExprId {
        self.intern(Node::Num(r))
    }

    /// An integer.
    pub fn int(&mut self, n: i64) -> ExprId {
        self.num(BigRational::from_integer(n.into()))
    }

    /// A rational `n/d` (d must not be 0).
    pub fn rational(&mut self, n: i64, d: i64) -> ExprId {
        self.num(BigRational::new(n.into(), d.into()))
    }

    /// `pi` or `e`.
    pub fn constant(&mut self, c: Constant) -> ExprId {
        self.intern(Node::Const(c))
    }

    /// A scalar variable.
    pub fn sym(&mut self, s: Symbol) -> ExprId {
        self.intern(Node::Sym(s))
    }

    /// An index variable.
    pub fn index(&mut self, s: Symbol) -> ExprId {
        self.intern(Node::Index(s))
    }

    /// A whole tensor (a definition argument).
    pub fn tensor(&mut self, s: Symbol) -> ExprId {
        self.intern(Node::Tensor(s))
    }

    /// A tensor element.
    pub fn elem(&mut self, tensor: Symbol, indices: Vec<ExprId>) -> ExprId {
        self.intern(Node::Elem(tensor, indices.into_boxed_slice()))
    }

    /// The length of axis `axis` of a tensor.
    pub fn len_of(&mut self, tensor: Symbol, axis: u32) -> ExprId {
        self.intern(Node::Len(tensor, axis))
    }

    /// The number a node is, if it is one.
    pub fn as_num(&self, id: ExprId) -> Option<&BigRational> {
        match self.node(id) {
            Node::Num(r) => Some(r),
            _ => None,
        }
    }

    /// Whether a node is the number `value`.
    pub fn is_int(&self, id: ExprId, value: i64) -> bool {
        self.as_num(id)
            .is_some_and(|r| r.is_integer() && r.numer() == &BigInt::from(value))
    }

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
        let mut pending = factors;
        let mut coeff = BigRational::one();
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
                return self.int(0);
            }
            let mut out = Vec::new();
            let mut again = false;
            for base in std::mem::take(&mut order) {
                let es = exps.remove(&base).unwrap_or_default();
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
        if let Some(&id) = self.memo.get(&Node::Pow(base, exponent)) {
            return id;
        }
        if self.is_int(exponent, 0) {
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

    // ----- indices ------------------------------------------------------------------

    /// The Kronecker delta of two index expressions.
    pub fn delta(&mut self, a: ExprId, b: ExprId) -> ExprId {
        if a == b {
            return self.int(1);
        }
        if self.as_num(a).is_some() && self.as_num(b).is_some() {
            // Distinct handles of two numbers are distinct integers.
            return self.int(0);
        }
        let (a, b) = if self.cmp(a, b).is_le() {
            (a, b)
        } else {
            (b, a)
        };
        self.intern(Node::Delta(a, b))
    }

    /// `sum(index, body)` with `index` running over `0..range`.
    ///
    /// The canonical form moves every factor free of the index out of the sum, turns a
    /// summand free of the index into `range * body`, and renames the bound index to the
    /// first of `j, k, l, m, p, ...` that is not otherwise free in the sum. The renaming
    /// makes alpha-equivalent sums one node: `sum(j, z[j])` and `sum(t, z[t])` are equal.
    pub fn sum(&mut self, index: Symbol, range: ExprId, body: ExprId) -> ExprId {
        if self.is_int(body, 0) {
            return body;
        }
        let free = self.free_symbols(body);
        if !free.contains(&index) {
            return self.mul(vec![range, body]);
        }
        if let Node::Mul(fs) = self.node(body).clone() {
            let mut outside = Vec::new();
            let mut inside = Vec::new();
            for f in fs.iter().copied() {
                if self.free_symbols(f).contains(&index) {
                    inside.push(f);
                } else {
                    outside.push(f);
                }
            }
            if !outside.is_empty() {
                let inner_body = self.mul(inside);
                let inner = self.sum(index, range, inner_body);
                outside.push(inner);
                return self.mul(outside);
            }
        }
        // The range is read off the body where the index selects an axis, so that the
        // same summand always gets the same range node, whichever of several equal-length
        // axes the caller named. The caller's range serves when no axis is indexed.
        let range = self.axis_of(index, body).unwrap_or(range);
        let range_free = self.free_symbols(range);
        let taken = |s: Symbol| (s != index && free.contains(&s)) || range_free.contains(&s);
        let canonical = self.bound_name(taken);
        let body = if canonical == index {
            body
        } else {
            let to = self.index(canonical);
            self.rename_index(body, index, to)
        };
        self.intern(Node::Sum {
            index: canonical,
            range,
            body,
        })
    }

    /// The least (in the structural order) axis length that `index` selects somewhere
    /// in `expr`: `len(z)` for `z[index]`, or a definition's result axis for a call.
    pub fn axis_of(&mut self, index: Symbol, expr: ExprId) -> Option<ExprId> {
        let mut found = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        self.collect_axes(index, expr, &mut found, &mut seen);
        let mut best: Option<ExprId> = None;
        for a in found {
            if best.is_none_or(|b| self.cmp(a, b).is_lt()) {
                best = Some(a);
            }
        }
        best
    }

    /// The axis lengths that `index` selects in `id` (see [`Pool::axis_of`]).
    pub(crate) fn collect_axes_pub(
        &mut self,
        index: Symbol,
        id: ExprId,
        found: &mut Vec<ExprId>,
        seen: &mut rustc_hash::FxHashSet<ExprId>,
    ) {
        self.collect_axes(index, id, found, seen)
    }

    fn collect_axes(
        &mut self,
        index: Symbol,
        id: ExprId,
        found: &mut Vec<ExprId>,
        seen: &mut rustc_hash::FxHashSet<ExprId>,
    ) {
        if !seen.insert(id) || !self.free_symbols(id).contains(&index) {
            return;
        }
        match self.node(id).clone() {
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => {}
            Node::Elem(t, idx) => {
                for (a, &x) in idx.iter().enumerate() {
                    if matches!(self.node(x), Node::Index(s) if *s == index) {
                        found.push(self.len_of(t, a as u32));
                    }
                }
            }
            Node::Add(xs) | Node::Mul(xs) => {
                for x in xs.iter() {
                    self.collect_axes(index, *x, found, seen);
                }
            }
            Node::Pow(a, b) | Node::Delta(a, b) => {
                self.collect_axes(index, a, found, seen);
                self.collect_axes(index, b, found, seen);
            }
            Node::Func(_, a) => self.collect_axes(index, a, found, seen),
            Node::Sum {
                index: inner, body, ..
            } => {
                if inner != index {
                    self.collect_axes(index, body, found, seen);
                }
            }
            Node::Call { def, args, indices } => {
                for (k, &x) in indices.iter().enumerate() {
                    if matches!(self.node(x), Node::Index(s) if *s == index) {
                        let r = self.definition(def).index_ranges.get(k).copied();
                        if let Some(r) = r {
                            let r = self.instantiate_len(def, &args, r);
                            found.push(r);
                        }
                    }
                }
                // An index passed as an index argument selects the parameter's axis.
                let params = self.definition(def).params.clone();
                for (p, &x) in params.iter().zip(args.iter()) {
                    if let (ParamKind::Index, Some(r)) = (p.kind, p.range) {
                        if matches!(self.node(x), Node::Index(s) if *s == index) {
                            let r = self.instantiate_len(def, &args, r);
                            found.push(r);
                        }
                    } else {
                        self.collect_axes(index, x, found, seen);
                    }
                }
            }
            Node::Diff { expr, var, .. } => {
                self.collect_axes(index, expr, found, seen);
                self.collect_axes(index, var, found, seen);
            }
        }
    }

    /// Rewrites a length written over a definition's parameters (`len(z)` inside
    /// softmax) in terms of a call's arguments (`len(w)` for `softmax(w)`).
    pub fn instantiate_len(&mut self, def: DefId, args: &[ExprId], len: ExprId) -> ExprId {
        let Node::Len(s, axis) = self.node(len).clone() else {
            return len;
        };
        let d = self.definition(def);
        let Some(k) = d.params.iter().position(|p| p.name == s) else {
            return len;
        };
        let Some(&arg) = args.get(k) else {
            return len;
        };
        match self.node(arg).clone() {
            Node::Tensor(t) => self.len_of(t, axis),
            Node::Call {
                def: inner,
                args: inner_args,
                ..
            } => match self
                .definition(inner)
                .index_ranges
                .get(axis as usize)
                .copied()
            {
                Some(r) => self.instantiate_len(inner, &inner_args, r),
                None => len,
            },
            _ => len,
        }
    }

    /// The first preferred bound-index name for which `taken` is false.
    fn bound_name(&mut self, taken: impl Fn(Symbol) -> bool) -> Symbol {
        for name in BOUND_INDEX_NAMES {
            let s = self.symbol(name);
            if !taken(s) {
                return s;
            }
        }
        let mut k = 2u32;
        loop {
            let s = self.symbol(&format!("j{k}"));
            if !taken(s) {
                return s;
            }
            k += 1;
        }
    }

    /// A call of a definition.
    pub fn call(&mut self, def: DefId, args: Vec<ExprId>, indices: Vec<ExprId>) -> ExprId {
        self.intern(Node::Call {
            def,
            args: args.into_boxed_slice(),
            indices: indices.into_boxed_slice(),
        })
    }

    /// An unevaluated derivative; `order` 0 is the expression itself and repeated
    /// derivatives in the same variable merge (`diff(diff(f, x), x) = diff(f, x, 2)`)
    /// while the merged order stays within the language's limit, so that it prints as
    /// text the parser accepts.
    pub fn diff(&mut self, expr: ExprId, var: ExprId, order: u32) -> ExprId {
        if order == 0 {
            return expr;
        }
        if let Node::Diff {
            expr: inner,
            var: v,
            order: k,
        } = self.node(expr).clone()
            && v == var
            && k.saturating_add(order) <= crate::expr::node::MAX_DIFF_ORDER
        {
            return self.intern(Node::Diff {
                expr: inner,
                var,
                order: k + order,
            });
        }
        self.intern(Node::Diff { expr, var, order })
    }

    /// Rebuilds a node with new children, given in the order of
    /// [`crate::expr::node::children`], through the canonical constructors. Rewriting passes
    /// map the children and call this, so each pass is one short recursion.
    pub fn rebuild(&mut self, id: ExprId, kids: &[ExprId]) -> ExprId {
        match self.node(id).clone() {
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => id,
            Node::Elem(s, _) => self.elem(s, kids.to_vec()),
            Node::Add(_) => self.add(kids.to_vec()),
            Node::Mul(_) => self.mul(kids.to_vec()),
            Node::Pow(_, _) => self.pow(kids[0], kids[1]),
            Node::Func(f, _) => self.func(f, kids[0]),
            Node::Delta(_, _) => self.delta(kids[0], kids[1]),
            Node::Sum { index, .. } => self.sum(index, kids[0], kids[1]),
            Node::Call { def, args, .. } => {
                let (a, i) = kids.split_at(args.len());
                self.call(def, a.to_vec(), i.to_vec())
            }
            Node::Diff { order, .. } => self.diff(kids[0], kids[1], order),
        }
    }

    // ----- free names and renaming --------------------------------------------------

    /// Every name free in an expression (scalars, indices, tensors, lengths and the
    /// definitions it calls), sorted by symbol handle. Memoized per node.
    pub fn free_symbols(&self, id: ExprId) -> Rc<[Symbol]> {
        if let Some(Some(f)) = self.free.borrow().get(id.index()) {
            return f.clone();
        }
        let mut set: Vec<Symbol> = match self.node(id).clone() {
            Node::Num(_) | Node::Const(_) => Vec::new(),
            Node::Sym(s) | Node::Index(s) | Node::Tensor(s) | Node::Len(s, _) => vec![s],
            Node::Elem(s, idx) => {
                let mut v = vec![s];
                for i in idx.iter() {
                    v.extend(self.free_symbols(*i).iter().copied());
                }
                v
            }
            Node::Add(xs) | Node::Mul(xs) => {
                let mut v = Vec::new();
                for x in xs.iter() {
                    v.extend(self.free_symbols(*x).iter().copied());
                }
                v
            }
            Node::Pow(a, b) | Node::Delta(a, b) => {
                let mut v = self.free_symbols(a).to_vec();
                v.extend(self.free_symbols(b).iter().copied());
                v
            }
            Node::Func(_, a) => self.free_symbols(a).to_vec(),
            Node::Sum { index, range, body } => {
                let mut v: Vec<Symbol> = self
                    .free_symbols(body)
                    .iter()
                    .copied()
                    .filter(|&s| s != index)
                    .collect();
                v.extend(self.free_symbols(range).iter().copied());
                v
            }
            Node::Call { def, args, indices } => {
                let mut v = vec![self.definition(def).name];
                for x in args.iter().chain(indices.iter()) {
                    v.extend(self.free_symbols(*x).iter().copied());
                }
                v
            }
            Node::Diff { expr, var, .. } => {
                let mut v = self.free_symbols(expr).to_vec();
                v.extend(self.free_symbols(var).iter().copied());
                v
            }
        };
        set.sort_unstable();
        set.dedup();
        let rc: Rc<[Symbol]> = set.into();
        let mut cache = self.free.borrow_mut();
        if cache.len() <= id.index() {
            cache.resize(self.nodes.len(), None);
        }
        cache[id.index()] = Some(rc.clone());
        rc
    }

    /// Whether an expression has free index names, without changing the pool.
    pub fn free_indices_ref(&self, id: ExprId) -> Vec<Symbol> {
        let mut out = Vec::new();
        let mut todo = vec![(id, Vec::<Symbol>::new())];
        let mut seen = rustc_hash::FxHashSet::default();
        while let Some((x, bound)) = todo.pop() {
            if !seen.insert((x, bound.clone())) {
                continue;
            }
            match self.node(x) {
                Node::Index(s) if !bound.contains(s) => out.push(*s),
                Node::Sum { index, range, body } => {
                    todo.push((*range, bound.clone()));
                    let mut b = bound.clone();
                    b.push(*index);
                    todo.push((*body, b));
                }
                n => todo.extend(
                    crate::expr::node::children(n)
                        .into_iter()
                        .map(|c| (c, bound.clone())),
                ),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// The free index names of an expression, sorted by name.
    pub fn free_indices(&mut self, id: ExprId) -> Vec<Symbol> {
        let mut out = Vec::new();
        let mut seen = FxHashMap::default();
        self.collect_free_indices(id, &mut Vec::new(), &mut out, &mut seen);
        out.sort_by(|a, b| crate::expr::order::cmp_names(self.name(*a), self.name(*b)));
        out.dedup();
        out
    }

    fn collect_free_indices(
        &mut self,
        id: ExprId,
        bound: &mut Vec<Symbol>,
        out: &mut Vec<Symbol>,
        seen: &mut FxHashMap<(ExprId, usize), ()>,
    ) {
        // A node's free indices depend only on which binders enclose it, and the binder
        // stack only grows inside sums, so (node, depth) visits are enough to skip repeats.
        if seen.insert((id, bound.len()), ()).is_some() {
            return;
        }
        match self.node(id).clone() {
            Node::Index(s) => {
                if !bound.contains(&s) {
                    out.push(s);
                }
            }
            Node::Num(_) | Node::Const(_) | Node::Sym(_) | Node::Tensor(_) | Node::Len(_, _) => {}
            Node::Elem(_, xs) | Node::Add(xs) | Node::Mul(xs) => {
                for x in xs.iter() {
                    self.collect_free_indices(*x, bound, out, seen);
                }
            }
            Node::Pow(a, b) | Node::Delta(a, b) => {
                self.collect_free_indices(a, bound, out, seen);
                self.collect_free_indices(b, bound, out, seen);
            }
            Node::Func(_, a) => self.collect_free_indices(a, bound, out, seen),
            Node::Sum { index, range, body } => {
                self.collect_free_indices(range, bound, out, seen);
                bound.push(index);
                // Depth alone does not identify the binder stack, so nested visits under a
                // different binder must not be skipped: clear the cache for the body.
                let mut inner_seen = FxHashMap::default();
                self.collect_free_indices(body, bound, out, &mut inner_seen);
                bound.pop();
            }
            Node::Call { args, indices, .. } => {
                for x in args.iter().chain(indices.iter()) {
                    self.collect_free_indices(*x, bound, out, seen);
                }
            }
            Node::Diff { expr, var, .. } => {
                self.collect_free_indices(expr, bound, out, seen);
                self.collect_free_indices(var, bound, out, seen);
            }
        }
    }

    /// A symbol that no expression uses, for a binder renamed temporarily.
    pub(crate) fn fresh_index_symbol(&mut self) -> Symbol {
        self.fresh_counter += 1;
        // The apostrophe keeps it out of the language's names, so it cannot clash.
        let name = format!("'t{}", self.fresh_counter);
        self.symbol(&name)
    }

    /// Replaces the free index `from` by the index expression `to`, renaming inner
    /// binders where `to` would otherwise be captured.
    pub fn rename_index(&mut self, id: ExprId, from: Symbol, to: ExprId) -> ExprId {
        let mut memo = FxHashMap::default();
        self.rename_rec(id, from, to, &mut memo)
    }

    fn rename_rec(
        &mut self,
        id: ExprId,
        from: Symbol,
        to: ExprId,
        memo: &mut FxHashMap<ExprId, ExprId>,
    ) -> ExprId {
        if let Some(&r) = memo.get(&id) {
            return r;
        }
        if !self.free_symbols(id).contains(&from) {
            return id;
        }
        let result = match self.node(id).clone() {
            Node::Index(s) if s == from => to,
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => id,
            Node::Elem(s, xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.elem(s, xs)
            }
            Node::Add(xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.add(xs)
            }
            Node::Mul(xs) => {
                let xs = xs
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.mul(xs)
            }
            Node::Pow(a, b) => {
                let a = self.rename_rec(a, from, to, memo);
                let b = self.rename_rec(b, from, to, memo);
                self.pow(a, b)
            }
            Node::Delta(a, b) => {
                let a = self.rename_rec(a, from, to, memo);
                let b = self.rename_rec(b, from, to, memo);
                self.delta(a, b)
            }
            Node::Func(f, a) => {
                let a = self.rename_rec(a, from, to, memo);
                self.func(f, a)
            }
            Node::Sum { index, range, body } => {
                let range = self.rename_rec(range, from, to, memo);
                if index == from {
                    self.sum(index, range, body)
                } else if self.free_symbols(to).contains(&index) {
                    // `to` mentions this binder's name: rename the binder out of the way.
                    let fresh = self.fresh_index_symbol();
                    let fresh_id = self.index(fresh);
                    let body = self.rename_index(body, index, fresh_id);
                    let body = self.rename_index(body, from, to);
                    self.sum(fresh, range, body)
                } else {
                    let mut inner = FxHashMap::default();
                    let body = self.rename_rec(body, from, to, &mut inner);
                    self.sum(index, range, body)
                }
            }
            Node::Call { def, args, indices } => {
                let args = args
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                let indices = indices
                    .iter()
                    .map(|&x| self.rename_rec(x, from, to, memo))
                    .collect();
                self.call(def, args, indices)
            }
            Node::Diff { expr, var, order } => {
                let expr = self.rename_rec(expr, from, to, memo);
                let var = self.rename_rec(var, from, to, memo);
                self.diff(expr, var, order)
            }
        };
        memo.insert(id, result);
        result
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
