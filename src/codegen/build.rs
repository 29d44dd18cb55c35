//! Lowering: pool expressions in index form into the array program of [`super::ir`].
//!
//! Each node becomes one instruction whose axes are its free indices (an index bound by
//! an enclosing sum is an axis too, until the sum reduces it). A node is lowered once
//! for each set of lengths its axes have, so a subexpression that the value and the
//! gradients share (a softmax, a layer's activations) is computed once: the pool's
//! hash-consing is the common-subexpression elimination. A call of an indexed
//! definition is computed as a whole table over its result axes, once per arguments,
//! and read at the call's indices (renamed, or gathered at labels). The numerically
//! stable forms are in [`super::stable`].

use num_traits::{Signed, ToPrimitive};
use rustc_hash::FxHashMap;

use crate::codegen::ir::{At, Dim, Fold, Instr, Length, Op, Tmp};
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::definition::Reduce;
use crate::expr::node::{DefId, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
use crate::print::text::to_text;
use crate::syntax::number::rational_to_f64;

/// What an input of the expression is, as the builder reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A real number.
    Scalar,
    /// A free index: a position given by the caller.
    Label,
    /// A tensor with this many axes.
    Tensor(usize),
}

/// The state of one lowering.
pub struct Builder<'p> {
    /// The pool the expressions live in.
    pub pool: &'p mut Pool,
    /// The instructions so far.
    pub instrs: Vec<Instr>,
    /// The inputs: symbol and kind, in argument order.
    pub inputs: Vec<(Symbol, InputKind)>,
    /// For each input, whether it is read as positions (`Some(true)`), as numbers
    /// (`Some(false)`), or not yet read.
    pub int_use: Vec<Option<bool>>,
    /// Pairs of lengths that must be equal, found where an axis is read along another.
    pub equal: Vec<(Length, Length)>,
    /// Inputs holding positions, each with the length of an axis they index.
    pub bounds: Vec<(usize, Length)>,
    /// The axes in scope, innermost last.
    env: Vec<(Symbol, Length)>,
    memo: FxHashMap<Key, Tmp>,
    index_memo: FxHashMap<Key, At>,
    /// The instruction of each input once read.
    input_tmp: FxHashMap<usize, Tmp>,
    /// The result indices of each table, by definition and arguments.
    tables: FxHashMap<(DefId, Box<[ExprId]>), Vec<Symbol>>,
    /// The input each integer array was read from, for the bounds of labels.
    int_source: FxHashMap<Tmp, usize>,
    /// The shifted sums of stable forms, by the sum's node.
    pub(crate) shifted: FxHashMap<Key, (Tmp, Tmp)>,
    consts: FxHashMap<u64, Tmp>,
    /// Whether the textbook `1 - tanh(u)^2` stays as written (see
    /// [`super::Request::as_written`]).
    pub as_written: bool,
    made: FxHashMap<String, Tmp>,
}

/// What a lowered node is found by: the node and the lengths of its free axes.
pub(crate) type Key = (ExprId, Vec<(Symbol, Length)>);

/// An unsupported construct, named by its text.
pub fn unsupported(pool: &Pool, id: ExprId, what: &str, hint: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("cannot generate code for `{}`: {what}", to_text(pool, id)),
    )
    .with_hint(hint.to_string())
}

impl<'p> Builder<'p> {
    /// A builder for a function of `inputs`.
    pub fn new(pool: &'p mut Pool, inputs: Vec<(Symbol, InputKind)>) -> Builder<'p> {
        let n = inputs.len();
        Builder {
            pool,
            instrs: Vec::new(),
            inputs,
            int_use: vec![None; n],
            equal: Vec::new(),
            bounds: Vec::new(),
            env: Vec::new(),
            memo: FxHashMap::default(),
            index_memo: FxHashMap::default(),
            input_tmp: FxHashMap::default(),
            tables: FxHashMap::default(),
            int_source: FxHashMap::default(),
            shifted: FxHashMap::default(),
            consts: FxHashMap::default(),
            as_written: false,
            made: FxHashMap::default(),
        }
    }

    /// Appends an instruction.
    pub fn push(&mut self, op: Op, axes: Vec<Dim>, int: bool) -> Tmp {
        if let Some(t) = self.hoisted(&op, &axes, int) {
            return t;
        }
        // Equal instructions are one: the stable forms build the same shift or
        // difference from several places. (Their text is the key, since the
        // constants are floating-point numbers.)
        let key = format!("{op:?} {axes:?} {int}");
        if let Some(&t) = self.made.get(&key) {
            return t;
        }
        self.instrs.push(Instr { op, axes, int });
        let t = Tmp(self.instrs.len() - 1);
        self.made.insert(key, t);
        t
    }

    /// The axes of `t`.
    pub fn axes(&self, t: Tmp) -> &[Dim] {
        &self.instrs[t.0].axes
    }

    /// The axes of several arrays together, in the order they first appear.
    pub fn union(&self, ts: &[Tmp]) -> Vec<Dim> {
        crate::codegen::ir::union(ts.iter().map(|&t| self.axes(t)))
    }

    /// An elementwise operation: its axes are its operands' together.
    pub fn map(&mut self, op: Op, operands: &[Tmp]) -> Tmp {
        let axes = self.union(operands);
        self.push(op, axes, false)
    }

    /// A real constant, made once.
    pub fn constant(&mut self, v: f64) -> Tmp {
        if let Some(&t) = self.consts.get(&v.to_bits()) {
            return t;
        }
        let t = self.push(Op::Const(v), Vec::new(), false);
        self.consts.insert(v.to_bits(), t);
        t
    }

    /// Runs `f` with the axes `dims` in scope.
    pub fn with_axes<T>(&mut self, dims: &[Dim], f: impl FnOnce(&mut Self) -> T) -> T {
        let n = self.env.len();
        self.env.extend(dims.iter().map(|d| (d.axis, d.len)));
        let out = f(self);
        self.env.truncate(n);
        out
    }

    /// The length of the axis `s` in scope, if it is one.
    fn axis_len(&self, s: Symbol) -> Option<Length> {
        self.env.iter().rev().find(|e| e.0 == s).map(|e| e.1)
    }

    /// The memo key of `id`: the node and the lengths of its free axes.
    fn key(&self, id: ExprId) -> Key {
        let free = self.pool.free_symbols(id);
        let mut ctx: Vec<(Symbol, Length)> = Vec::new();
        for (k, &(s, len)) in self.env.iter().enumerate().rev() {
            if self.env[k + 1..].iter().any(|e| e.0 == s) {
                continue;
            }
            if free.binary_search(&s).is_ok() {
                ctx.push((s, len));
            }
        }
        ctx.sort_by_key(|e| e.0);
        (id, ctx)
    }

    /// A length node (`len(W, 1)` or a count) as a [`Length`].
    pub fn length(&mut self, len: ExprId) -> Result<Length> {
        match self.pool.node(len).clone() {
            Node::Len(t, axis) => match self.inputs.iter().position(|i| i.0 == t) {
                Some(arg) => Ok(Length::Input {
                    arg,
                    axis: axis as usize,
                }),
                None => Err(unsupported(
                    self.pool,
                    len,
                    "the length of a tensor that is not an argument",
                    "make the tensor an input of the expression",
                )),
            },
            Node::Num(r) if r.is_integer() && !r.is_negative() => {
                r.to_integer().to_usize().map(Length::Lit).ok_or_else(|| {
                    unsupported(self.pool, len, "too long an axis", "use a smaller count")
                })
            }
            _ => Err(unsupported(
                self.pool,
                len,
                "an axis length that is not a tensor's length or a count",
                "sum over a whole axis: `sum(j, z[j])`",
            )),
        }
    }

    /// The array of an input tensor (or the value of a scalar or label input).
    fn input(&mut self, s: Symbol, int: bool, at: ExprId) -> Result<Tmp> {
        let Some(arg) = self.inputs.iter().position(|i| i.0 == s) else {
            return Err(unsupported(
                self.pool,
                at,
                "a name that is not an input of the expression",
                "give it a value as an input, or define it with `let`",
            ));
        };
        match self.int_use[arg] {
            Some(was) if was != int => {
                return Err(unsupported(
                    self.pool,
                    at,
                    "a tensor is read both as numbers and as positions (labels)",
                    "use separate tensors for values and for class labels",
                ));
            }
            _ => self.int_use[arg] = Some(int),
        }
        if let Some(&t) = self.input_tmp.get(&arg) {
            return Ok(t);
        }
        let axes = match self.inputs[arg].1 {
            InputKind::Tensor(rank) => (0..rank)
                .map(|axis| Dim {
                    axis: self.pool.fresh_index_symbol(),
                    len: Length::Input { arg, axis },
                })
                .collect(),
            InputKind::Scalar | InputKind::Label => Vec::new(),
        };
        let t = self.push(Op::Input(arg), axes, int);
        if int {
            self.int_source.insert(t, arg);
        }
        self.input_tmp.insert(arg, t);
        Ok(t)
    }

    /// Reads `src` along `ats` (one per axis of it): renamed axes where every read is
    /// a distinct axis, else a gather. Records the lengths this makes equal, and the
    /// bounds of the labels it reads at.
    pub fn read(&mut self, src: Tmp, ats: Vec<At>) -> Tmp {
        let src_axes = self.axes(src).to_vec();
        let int = self.instrs[src.0].int;
        for (d, at) in src_axes.iter().zip(&ats) {
            match *at {
                At::Axis(to) if to.len != d.len => self.equal.push((d.len, to.len)),
                At::Int(t) => {
                    if let Some(&arg) = self.int_source.get(&t) {
                        self.bounds.push((arg, d.len));
                    }
                }
                At::Axis(_) | At::Lit(_) => {}
            }
        }
        let mut renamed: Vec<Dim> = Vec::new();
        for at in &ats {
            match at {
                At::Axis(d) if !renamed.iter().any(|r| r.axis == d.axis) => renamed.push(*d),
                _ => break,
            }
        }
        if renamed.len() == ats.len() {
            if renamed == src_axes {
                return src;
            }
            return self.push(Op::Relabel(src), renamed, int);
        }
        let mut axes: Vec<Dim> = Vec::new();
        for at in &ats {
            let more: Vec<Dim> = match *at {
                At::Axis(d) => vec![d],
                At::Int(t) => self.axes(t).to_vec(),
                At::Lit(_) => Vec::new(),
            };
            for d in more {
                if !axes.iter().any(|a| a.axis == d.axis) {
                    axes.push(d);
                }
            }
        }
        let out = self.push(Op::Gather(src, ats), axes, int);
        if let Some(&arg) = self.int_source.get(&src) {
            self.int_source.insert(out, arg);
        }
        out
    }

    /// An index expression: an axis in scope, a label (an input or an element of an
    /// integer tensor), or a literal.
    pub fn index(&mut self, id: ExprId) -> Result<At> {
        let key = self.key(id);
        if let Some(&at) = self.index_memo.get(&key) {
            return Ok(at);
        }
        let at = match self.pool.node(id).clone() {
            Node::Num(r) => match r.to_integer().to_usize() {
                Some(n) if r.is_integer() => At::Lit(n),
                _ => {
                    return Err(unsupported(
                        self.pool,
                        id,
                        "an index that is not a natural number",
                        "index from 0 with whole numbers",
                    ));
                }
            },
            Node::Index(s) => match self.axis_len(s) {
                Some(len) => At::Axis(Dim { axis: s, len }),
                None => At::Int(self.input(s, true, id)?),
            },
            Node::Elem(t, idx) => {
                let src = self.input(t, true, id)?;
                let mut ats = Vec::with_capacity(idx.len());
                for &i in idx.iter() {
                    ats.push(self.index(i)?);
                }
                At::Int(self.read(src, ats))
            }
            Node::Call { def, args, .. } if self.pool.reduction_of(def).is_some() => {
                At::Int(self.reduction(id, def, args[0])?)
            }
            _ => {
                return Err(unsupported(
                    self.pool,
                    id,
                    "an index that is not a name, a number or a label",
                    "index with a name, a whole number, or a label such as `y[n]`",
                ));
            }
        };
        self.index_memo.insert(key, at);
        Ok(at)
    }

    /// An index as an integer array: an axis's positions, or the label itself.
    pub fn positions(&mut self, at: At) -> Tmp {
        match at {
            At::Axis(d) => self.push(Op::Arange, vec![d], true),
            At::Int(t) => t,
            At::Lit(n) => self.push(Op::IntConst(n), Vec::new(), true),
        }
    }

    /// The array of a real-valued expression.
    pub fn value(&mut self, id: ExprId) -> Result<Tmp> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.value(id));
        }
        let key = self.key(id);
        if let Some(&t) = self.memo.get(&key) {
            return Ok(t);
        }
        let t = self.value_of(id)?;
        self.memo.insert(key, t);
        Ok(t)
    }

    fn value_of(&mut self, id: ExprId) -> Result<Tmp> {
        let node = self.pool.node(id).clone();
        Ok(match node {
            Node::Num(r) => {
                let v = rational_to_f64(&r);
                if !v.is_finite() {
                    return Err(unsupported(
                        self.pool,
                        id,
                        "a number beyond the range of f64",
                        "scale the formula",
                    ));
                }
                self.constant(v)
            }
            Node::Const(c) => self.constant(c.value()),
            Node::Sym(s) => self.input(s, false, id)?,
            Node::Index(_) => {
                let at = self.index(id)?;
                let p = self.positions(at);
                self.map(Op::Float(p), &[p])
            }
            Node::Tensor(_) => {
                return Err(unsupported(
                    self.pool,
                    id,
                    "a whole tensor where a number is expected",
                    "index it, as in `z[i]`, or pass it to a definition",
                ));
            }
            Node::Elem(t, idx) => {
                let src = self.input(t, false, id)?;
                let mut ats = Vec::with_capacity(idx.len());
                for &i in idx.iter() {
                    ats.push(self.index(i)?);
                }
                self.read(src, ats)
            }
            Node::Len(_, _) => {
                let len = self.length(id)?;
                self.push(Op::Length(len), Vec::new(), false)
            }
            Node::Add(ts) if self.sech_squared(&ts).is_some() => {
                let u = self.sech_squared(&ts).unwrap_or(id);
                let uv = self.value(u)?;
                let c = self.map(Op::Func(Func::Cosh, uv), &[uv]);
                let c2 = self.map(Op::Powi(c, 2), &[c]);
                self.map(Op::Recip(c2), &[c2])
            }
            Node::Add(ts) => {
                let mut vs = Vec::with_capacity(ts.len());
                for &t in ts.iter() {
                    vs.push(self.value(t)?);
                }
                self.add_terms(vs)
            }
            Node::Mul(fs) => {
                let vs = self.factors(&fs)?;
                self.product(vs)
            }
            Node::Pow(b, e) => self.power(id, b, e)?,
            Node::Func(Func::Ln, a) => self.ln(a)?,
            Node::Func(f, a) => {
                let v = self.value(a)?;
                self.map(Op::Func(f, v), &[v])
            }
            Node::Delta(a, b) => {
                let (a, b) = (self.index(a)?, self.index(b)?);
                for (x, y) in [(a, b), (b, a)] {
                    if let (At::Axis(d), At::Int(t)) = (x, y)
                        && let Some(&arg) = self.int_source.get(&t)
                    {
                        self.bounds.push((arg, d.len));
                    }
                }
                let (pa, pb) = (self.positions(a), self.positions(b));
                self.map(Op::Eq(pa, pb), &[pa, pb])
            }
            Node::Sum { index, range, body } => self.sum(index, range, body)?,
            Node::Call { def, args, .. } if self.pool.reduction_of(def).is_some() => {
                let t = self.reduction(id, def, args[0])?;
                if self.instrs[t.0].int {
                    self.map(Op::Float(t), &[t])
                } else {
                    t
                }
            }
            Node::Call { def, args, indices } => self.call(id, def, &args, &indices)?,
            Node::Diff { .. } => {
                return Err(unsupported(
                    self.pool,
                    id,
                    "a derivative that has not been taken",
                    "take it first with `gauge diff`, or ask for it with --wrt",
                ));
            }
        })
    }

    /// A sum, with the sums directly inside it, as one contraction of its body's
    /// factors.
    fn sum(&mut self, index: Symbol, range: ExprId, body: ExprId) -> Result<Tmp> {
        let mut dims = vec![Dim {
            axis: index,
            len: self.length(range)?,
        }];
        let mut body = body;
        while let Node::Sum {
            index,
            range,
            body: inner,
        } = self.pool.node(body).clone()
        {
            dims.push(Dim {
                axis: index,
                len: self.length(range)?,
            });
            body = inner;
        }
        let mut factors = self.with_axes(&dims, |b| match b.pool.node(body).clone() {
            Node::Mul(fs) => b.factors(&fs),
            _ => b.value(body).map(|v| vec![v]),
        })?;
        let kept: Vec<Dim> = self
            .union(&factors)
            .into_iter()
            .filter(|d| !dims.iter().any(|s| s.axis == d.axis))
            .collect();
        // A summed index the body does not depend on multiplies it by its range.
        for d in &dims {
            if !factors
                .iter()
                .any(|&f| self.axes(f).iter().any(|a| a.axis == d.axis))
            {
                let n = self.push(Op::Length(d.len), Vec::new(), false);
                factors.push(n);
            }
        }
        if factors
            .iter()
            .all(|&f| self.axes(f).iter().all(|a| kept.contains(a)))
        {
            return Ok(self.map(Op::Mul(factors.clone()), &factors));
        }
        Ok(self.push(Op::Contract(factors), kept, false))
    }

    /// A power: integer, square-root and constant exponents get their own operations.
    fn power(&mut self, id: ExprId, b: ExprId, e: ExprId) -> Result<Tmp> {
        if let Node::Num(r) = self.pool.node(e).clone() {
            let base = self.value(b)?;
            let op = if r.is_integer() {
                match r.to_integer().to_i32() {
                    Some(-1) => Op::Recip(base),
                    Some(k) => Op::Powi(base, k),
                    None => {
                        return Err(unsupported(
                            self.pool,
                            id,
                            "too large an exponent",
                            "use a smaller power",
                        ));
                    }
                }
            } else if *r.denom() == 2.into() && r.numer().abs() == 1.into() {
                let root = self.map(Op::Sqrt(base), &[base]);
                if r.is_negative() {
                    Op::Recip(root)
                } else {
                    return Ok(root);
                }
            } else {
                Op::Powf(base, rational_to_f64(&r))
            };
            let operand = match op {
                Op::Recip(t) | Op::Powi(t, _) | Op::Powf(t, _) => t,
                _ => base,
            };
            return Ok(self.map(op, &[operand]));
        }
        if matches!(
            self.pool.node(b),
            Node::Const(crate::expr::node::Constant::E)
        ) {
            let x = self.value(e)?;
            return Ok(self.map(Op::Func(Func::Exp, x), &[x]));
        }
        let (x, y) = (self.value(b)?, self.value(e)?);
        Ok(self.map(Op::Pow(x, y), &[x, y]))
    }

    /// A call: a reduction, a scalar definition's body, or an indexed definition's
    /// table read at the call's indices.
    fn call(&mut self, id: ExprId, def: DefId, args: &[ExprId], indices: &[ExprId]) -> Result<Tmp> {
        let d = self.pool.definition(def);
        let (names, ranges) = (d.indices.len(), d.index_ranges.clone());
        if names == 0 {
            let Some(body) = self.pool.expand_call(id) else {
                return Err(unsupported(
                    self.pool,
                    id,
                    "a call that cannot be expanded",
                    "define the function with `let`",
                ));
            };
            return self.value(body);
        }
        if indices.len() < names {
            return Err(unsupported(
                self.pool,
                id,
                "a tensor-valued call used whole",
                "index it, as in `softmax(z)[i]`",
            ));
        }
        let key = (def, args.to_vec().into_boxed_slice());
        let fresh = match self.tables.get(&key) {
            Some(f) => f.clone(),
            None => {
                let f: Vec<Symbol> = (0..names).map(|_| self.pool.fresh_index_symbol()).collect();
                self.tables.insert(key, f.clone());
                f
            }
        };
        let mut dims = Vec::with_capacity(names);
        for (k, &s) in fresh.iter().enumerate() {
            let Some(&r) = ranges.get(k) else {
                return Err(unsupported(self.pool, id, "an index without a range", ""));
            };
            let len = self.pool.instantiate_len(def, args, r);
            dims.push(Dim {
                axis: s,
                len: self.length(len)?,
            });
        }
        let at: Vec<ExprId> = fresh.iter().map(|&s| self.pool.index(s)).collect();
        let whole = self.pool.call(def, args.to_vec(), at);
        let table = self.with_axes(&dims, |b| match b.pool.expand_call(whole) {
            Some(body) if body != whole => b.value(body),
            _ => Err(unsupported(
                b.pool,
                id,
                "a call that cannot be expanded",
                "define the function with `let`",
            )),
        })?;
        let mut ats = Vec::new();
        for d in self.axes(table).to_vec() {
            match fresh.iter().position(|&s| s == d.axis) {
                Some(k) => ats.push(self.index(indices[k])?),
                None => ats.push(At::Axis(d)),
            }
        }
        Ok(self.read(table, ats))
    }

    /// A reduction over a vector (`max(j, z[j])`, `argmax(z)`): its element at a fresh
    /// index, folded over that index.
    fn reduction(&mut self, id: ExprId, def: DefId, vector: ExprId) -> Result<Tmp> {
        let Some(r) = self.pool.reduction_of(def) else {
            return Err(unsupported(self.pool, id, "not a reduction", ""));
        };
        let Some(range) = self.pool.tensor_len(vector, 0) else {
            return Err(unsupported(
                self.pool,
                id,
                "a reduction of something that is not a vector",
                "reduce a vector: `max(j, z[j])`",
            ));
        };
        let j = self.pool.fresh_index_symbol();
        let dim = Dim {
            axis: j,
            len: self.length(range)?,
        };
        let at = self.pool.index(j);
        let element = self.pool.index_tensor(vector, vec![at]);
        let x = self.with_axes(&[dim], |b| b.value(element))?;
        let fold = match r {
            Reduce::Max => Fold::Max { shift: false },
            Reduce::Min => Fold::Min,
            Reduce::ArgMax => Fold::ArgMax,
            Reduce::ArgMin => Fold::ArgMin,
        };
        Ok(self.fold(fold, x, dim))
    }

    /// Folds `x` over the axis `dim` (a value that does not vary along it is its own
    /// maximum, and sits at position 0).
    pub fn fold(&mut self, fold: Fold, x: Tmp, dim: Dim) -> Tmp {
        let int = matches!(fold, Fold::ArgMax | Fold::ArgMin);
        if !self.axes(x).iter().any(|a| a.axis == dim.axis) {
            return if int {
                self.push(Op::IntConst(0), Vec::new(), true)
            } else {
                x
            };
        }
        let axes: Vec<Dim> = self
            .axes(x)
            .iter()
            .copied()
            .filter(|a| a.axis != dim.axis)
            .collect();
        self.push(Op::Fold(fold, x, dim.axis), axes, int)
    }

    /// The key under which the shifted sums of stable forms are kept.
    pub(crate) fn shifted_key(&self, id: ExprId) -> Key {
        self.key(id)
    }

    /// Pushes the axis `dim` for the length of a sum's range.
    pub(crate) fn sum_dim(&mut self, index: Symbol, range: ExprId) -> Result<Dim> {
        Ok(Dim {
            axis: index,
            len: self.length(range)?,
        })
    }
}
