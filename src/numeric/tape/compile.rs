//! Compilation: a DAG of pool expressions into tape instructions.
//!
//! A call is compiled as its arguments and then its body with the arguments in place
//! of the parameters, as written: nothing merges or cancels across the call. Each node is compiled once per context
//! (the enclosing loop indices it depends on), and its instruction goes into the block
//! of the innermost loop it depends on: everything else is hoisted out of loops. A sum
//! becomes a loop whose body holds only the instructions that depend on its index.

use num_integer::Integer;
use num_traits::ToPrimitive;
use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::definition::Reduce;
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
use crate::expr::subst::Subst;
use crate::numeric::tape::Tape;
use crate::numeric::tape::code::{
    Body, Factor, Fold, IndexOp, Instr, Operand, Range, Reg, Slot, Table,
};
use crate::numeric::tape::reuse::Deps;
use crate::print::text::{to_text, to_text_abridged};
use crate::syntax::number::{describe_rational, rational_to_f64};

/// The state of one compilation.
struct Compiler<'p> {
    pool: &'p mut Pool,
    /// The block being filled at each loop depth (0 is the top level).
    blocks: Vec<Vec<Instr>>,
    /// Index names in scope: the name, its register, and the depth of its loop.
    env: Vec<(Symbol, Reg, usize)>,
    memo: FxHashMap<(ExprId, Vec<Reg>), (Slot, usize)>,
    /// The index register each label (`y[n]` used as an index) was read into, found
    /// as `memo` finds values.
    labels: FxHashMap<(ExprId, Vec<Reg>), Reg>,
    slots: u32,
    regs: u32,
    scalars: Vec<Symbol>,
    tensors: Vec<Symbol>,
    free_indices: Vec<(Symbol, Reg)>,
    texts: FxHashMap<ExprId, String>,
    input_slots: Vec<(u32, Slot)>,
    /// The tables of indexed calls, each found by its definition, arguments and
    /// literal indices; and the code that fills a table, for each call node.
    tables: Vec<Table>,
    table_of: FxHashMap<TableKey, u32>,
    bodies: Vec<Body>,
    body_of: FxHashMap<ExprId, u32>,
}

/// What identifies a table: the definition, the arguments, and the index at each axis
/// that is a literal (`None` where it is a name).
type TableKey = (DefId, Box<[ExprId]>, Box<[Option<ExprId>]>);

impl Tape {
    /// Compiles an expression.
    pub fn compile(pool: &mut Pool, id: ExprId) -> Result<Tape> {
        Tape::compile_many(pool, &[id])
    }

    /// Compiles several expressions into one tape that computes them together, each
    /// shared subexpression once (a gradient's components share the function's terms).
    pub fn compile_many(pool: &mut Pool, ids: &[ExprId]) -> Result<Tape> {
        Tape::build(pool, ids, &[]).map(|(tape, _, _)| tape)
    }

    /// Compiles expressions with the indices `over` as the registers of nested blocks,
    /// the first outermost, that run once per value of their index (see
    /// [`Elementwise`](super::Elementwise)): the tape's own code is what depends on none
    /// of them; the other results are the registers of `over` and, for each, the code
    /// that depends on it and on none after it.
    pub(crate) fn build(
        pool: &mut Pool,
        ids: &[ExprId],
        over: &[Symbol],
    ) -> Result<(Tape, Vec<Reg>, Vec<Vec<Instr>>)> {
        let mut c = Compiler {
            pool,
            blocks: vec![Vec::new()],
            env: Vec::new(),
            memo: FxHashMap::default(),
            labels: FxHashMap::default(),
            slots: 0,
            regs: 0,
            scalars: Vec::new(),
            tensors: Vec::new(),
            free_indices: Vec::new(),
            texts: FxHashMap::default(),
            input_slots: Vec::new(),
            tables: Vec::new(),
            table_of: FxHashMap::default(),
            bodies: Vec::new(),
            body_of: FxHashMap::default(),
        };
        // Free indices are registers set from the bindings, at depth 0; the indices
        // run over are registers of the element block, at depth 1.
        for &id in ids {
            for s in c.pool.free_indices(id) {
                if c.free_indices.iter().any(|f| f.0 == s) || over.contains(&s) {
                    continue;
                }
                let r = c.regs;
                c.regs += 1;
                c.env.push((s, r, 0));
                c.free_indices.push((s, r));
            }
        }
        let mut over_regs = Vec::with_capacity(over.len());
        for &s in over {
            c.blocks.push(Vec::new());
            let r = c.regs;
            c.regs += 1;
            c.env.push((s, r, c.blocks.len() - 1));
            over_regs.push(r);
        }
        let mut outputs = Vec::with_capacity(ids.len());
        for &id in ids {
            outputs.push(c.compile(id)?.0);
        }
        let levels = c.blocks.split_off(1);
        let code = c.blocks.pop().unwrap_or_default();
        let tensor_names = c
            .tensors
            .iter()
            .map(|&s| c.pool.name(s).to_string())
            .collect();
        let scalar_names = c
            .scalars
            .iter()
            .map(|&s| c.pool.name(s).to_string())
            .collect();
        let mut tape = Tape {
            code,
            slots: c.slots as usize,
            regs: c.regs as usize,
            scalars: c.scalars,
            tensors: c.tensors,
            tensor_names,
            scalar_names,
            free_indices: c.free_indices,
            outputs,
            texts: c.texts,
            input_slots: c.input_slots,
            tables: c.tables,
            bodies: c.bodies,
            deps: Deps::default(),
        };
        tape.deps = Deps::of(&tape);
        // Fused after the dependencies are known: fusing keeps every item's reads,
        // writes and order.
        tape.code = crate::numeric::tape::code::fuse(std::mem::take(&mut tape.code));
        for b in &mut tape.bodies {
            b.code =
                crate::numeric::tape::code::fuse(std::mem::take(&mut b.code).into_vec()).into();
        }
        Ok((tape, over_regs, levels))
    }
}

/// The most nodes of a subexpression that the tape's messages quote in full.
const QUOTED_NODES: usize = 256;

impl Compiler<'_> {
    fn slot(&mut self) -> Slot {
        let s = self.slots;
        self.slots += 1;
        s
    }

    fn tensor_index(&mut self, s: Symbol) -> u32 {
        if let Some(k) = self.tensors.iter().position(|&t| t == s) {
            return k as u32;
        }
        self.tensors.push(s);
        (self.tensors.len() - 1) as u32
    }

    /// Keeps the printed form of a node that a message may quote, for runs that have no
    /// pool at hand to print it then. A node of more than [`QUOTED_NODES`] is quoted
    /// abridged: printing every such node of a deep expression in full would cost the
    /// square of its depth.
    fn remember_text(&mut self, id: ExprId) {
        if !self.texts.contains_key(&id) {
            let t = to_text_abridged(self.pool, id, QUOTED_NODES);
            self.texts.insert(id, t);
        }
    }

    /// The registers of the enclosing indices that `id` mentions, and the depth of the
    /// innermost of them: where its instruction belongs.
    fn context(&self, id: ExprId) -> (Vec<Reg>, usize) {
        if self.env.is_empty() {
            return (Vec::new(), 0);
        }
        let free = self.pool.free_symbols(id);
        let mut regs = Vec::new();
        let mut depth = 0;
        // Innermost binding of each name wins.
        for (k, &(s, r, d)) in self.env.iter().enumerate().rev() {
            if self.env[k + 1..].iter().any(|e| e.0 == s) {
                continue;
            }
            if free.binary_search(&s).is_ok() {
                regs.push(r);
                depth = depth.max(d);
            }
        }
        (regs, depth)
    }

    fn index_op(&mut self, id: ExprId) -> Result<IndexOp> {
        if matches!(self.pool.node(id), Node::Elem(..) | Node::Call { .. }) {
            // A label: its value, read once where its own indices are bound, goes to an
            // index register of its own.
            let (regs, _) = self.context(id);
            if let Some(&r) = self.labels.get(&(id, regs.clone())) {
                return Ok(IndexOp::Reg(r));
            }
            let (src, depth) = self.compile(id)?;
            let dst = self.regs;
            self.regs += 1;
            self.emit(depth, Instr::Label { dst, src, node: id });
            self.remember_text(id);
            self.labels.insert((id, regs), dst);
            return Ok(IndexOp::Reg(dst));
        }
        match self.pool.node(id) {
            Node::Num(r) => Ok(IndexOp::Lit(
                r.to_integer().try_into().unwrap_or(usize::MAX),
            )),
            Node::Index(s) => self
                .env
                .iter()
                .rev()
                .find(|e| e.0 == *s)
                .map(|e| IndexOp::Reg(e.1))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Binding,
                        format!("index `{}` has no value", self.pool.name(*s)),
                    )
                }),
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                "an index must be a name, an integer or a label such as `y[n]`",
            )),
        }
    }

    fn emit(&mut self, depth: usize, instr: Instr) {
        self.blocks[depth].push(instr);
    }

    /// Compiles a node: its slot, and the depth of the block that computes it.
    fn compile(&mut self, id: ExprId) -> Result<(Slot, usize)> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.compile(id));
        }
        let (regs, depth) = self.context(id);
        let key = (id, regs);
        if let Some(&r) = self.memo.get(&key) {
            return Ok(r);
        }
        let node = self.pool.node(id).clone();
        let dst = match node {
            Node::Num(r) => {
                // An exact number beyond f64 would only turn into inf and NaN later.
                let value = rational_to_f64(&r);
                if !value.is_finite() {
                    return Err(Error::new(
                        ErrorKind::Domain,
                        format!(
                            "the number {} is beyond the range of f64 (about 1.8e308)",
                            describe_rational(&r)
                        ),
                    ));
                }
                let dst = self.slot();
                self.emit(depth, Instr::Const { dst, value });
                dst
            }
            Node::Const(c) => {
                let dst = self.slot();
                let value = c.value();
                self.emit(depth, Instr::Const { dst, value });
                dst
            }
            Node::Sym(s) => {
                let input = match self.scalars.iter().position(|&x| x == s) {
                    Some(k) => k as u32,
                    None => {
                        self.scalars.push(s);
                        (self.scalars.len() - 1) as u32
                    }
                };
                // Scalar inputs are written into their slots when a run starts, not by
                // an instruction each.
                let dst = self.slot();
                self.input_slots.push((input, dst));
                dst
            }
            Node::Index(_) => {
                let index = self.index_op(id)?;
                let dst = self.slot();
                self.emit(depth, Instr::IndexValue { dst, index });
                dst
            }
            Node::Tensor(s) => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("the tensor `{}` is not a number", self.pool.name(s)),
                ));
            }
            Node::Elem(t, idx) => {
                let tensor = self.tensor_index(t);
                let idx = idx
                    .iter()
                    .map(|&i| self.index_op(i))
                    .collect::<Result<Vec<_>>>()?;
                self.remember_text(id);
                let dst = self.slot();
                let idx = idx.into();
                let node = id;
                self.emit(
                    depth,
                    Instr::Load {
                        dst,
                        tensor,
                        idx,
                        node,
                    },
                );
                dst
            }
            Node::Len(t, axis) => {
                let tensor = self.tensor_index(t);
                let dst = self.slot();
                self.emit(depth, Instr::Length { dst, tensor, axis });
                dst
            }
            Node::Add(ts) => {
                let srcs = ts
                    .iter()
                    .map(|&t| self.compile(t).map(|r| r.0))
                    .collect::<Result<Vec<_>>>()?;
                let dst = self.slot();
                let srcs = srcs.into_boxed_slice();
                self.emit(
                    depth,
                    Instr::Add {
                        dst,
                        srcs,
                        node: id,
                    },
                );
                dst
            }
            Node::Mul(fs) => self.product(id, &fs, depth)?,
            Node::Pow(b, e) => self.power(id, b, e, depth)?,
            Node::Func(f, a) => {
                let src = self.compile(a)?.0;
                self.remember_text(id);
                self.remember_text(a);
                let dst = self.slot();
                // The exponential, the commonest function in these formulas (softmax,
                // logsumexp, sigmoid), has its own instruction: no domain test to make.
                let instr = if f == Func::Exp {
                    Instr::Exp { dst, src, node: id }
                } else {
                    Instr::Func {
                        dst,
                        f,
                        src,
                        node: id,
                        arg: a,
                    }
                };
                self.emit(depth, instr);
                dst
            }
            Node::Delta(a, b) => {
                let (a, b) = (self.index_op(a)?, self.index_op(b)?);
                let dst = self.slot();
                self.emit(depth, Instr::Delta { dst, a, b });
                dst
            }
            Node::Sum { index, range, body } => {
                let placed = self.looped(id, index, range, body, depth, Fold::Sum)?;
                self.memo.insert(key, placed);
                return Ok(placed);
            }
            Node::Call { def, args, .. } if self.pool.reduction_of(def).is_some() => {
                let r = self.pool.reduction_of(def).unwrap_or(Reduce::Max);
                let placed = self.reduction(id, r, args[0], depth)?;
                self.memo.insert(key, placed);
                return Ok(placed);
            }
            Node::Call { def, args, indices } => {
                let placed = match self.table_call(id, def, &args, &indices, depth)? {
                    Some(placed) => placed,
                    None => self.call(id, def, &args)?,
                };
                self.memo.insert(key, placed);
                return Ok(placed);
            }
            Node::Diff { .. } => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "`{}` is a derivative that has not been taken yet",
                        to_text(self.pool, id)
                    ),
                )
                .with_hint(
                    "take the derivative first with `gauge diff`, then evaluate the result",
                ));
            }
        };
        let placed = (dst, depth);
        self.memo.insert(key, placed);
        Ok(placed)
    }

    /// A call: its scalar arguments first, as a call evaluates them before its body
    /// (an argument's domain error is the caller's, even where the body never uses it),
    /// then its body with the arguments in place of the parameters. The body is not
    /// merged into the caller's expression: `f(x) - f(x)` is undefined wherever `f(x)`
    /// is, as written, instead of cancelling to 0. The body's terms are compiled in the
    /// order the definition writes them (see [`Compiler::in_written_order`]).
    fn call(&mut self, id: ExprId, def: DefId, args: &[ExprId]) -> Result<(Slot, usize)> {
        let params = self.pool.definition(def).params.clone();
        for (p, &a) in params.iter().zip(args) {
            if p.kind == Kind::Scalar {
                self.compile(a)?;
            }
        }
        match self.pool.expand_call(id) {
            Some(body) if body != id => {
                if let Some((written, subst)) = self.pool.call_subst(id) {
                    self.in_written_order(written, &subst)?;
                }
                self.compile(body)
            }
            _ => Err(Error::new(
                ErrorKind::Unsupported,
                format!("`{}` cannot be expanded", to_text(self.pool, id)),
            )),
        }
    }

    /// An indexed call read inside a loop (`h1[j]` in `sum(j, W2[i, j]*h1[j])`) as an
    /// element of a table of the call's values, computed once per run: compiled inline,
    /// the call's whole body would run again for every value of every enclosing loop,
    /// and a network's layers would each recompute the layers below them per element.
    /// `None` where the call is not such a read: its arguments depend on a loop (so
    /// the table would change within a run), an index is not a name or a literal, a
    /// name repeats, or no index is a loop's.
    ///
    /// The code that fills the table is this call's own expansion, with its index names
    /// read from the table's registers, so a failure inside it names the same nodes as
    /// the call compiled inline would; calls that differ only in their index names
    /// (`h1[j]`, `h1[k]`) share the table, each with code of its own.
    fn table_call(
        &mut self,
        id: ExprId,
        def: DefId,
        args: &[ExprId],
        indices: &[ExprId],
        depth: usize,
    ) -> Result<Option<(Slot, usize)>> {
        if indices.is_empty() || depth == 0 {
            return Ok(None);
        }
        let mut names: Vec<Symbol> = Vec::new();
        let mut ops = Vec::new();
        let mut axes = Vec::new();
        let mut literals = Vec::with_capacity(indices.len());
        for (k, &i) in indices.iter().enumerate() {
            match self.pool.node(i) {
                Node::Index(s) if !names.contains(s) => {
                    names.push(*s);
                    ops.push(self.index_op(i)?);
                    axes.push(k);
                    literals.push(None);
                }
                Node::Num(_) => literals.push(Some(i)),
                _ => return Ok(None),
            }
        }
        if names.is_empty() || args.iter().any(|&a| self.context(a).1 != 0) {
            return Ok(None);
        }
        let body = match self.body_of.get(&id) {
            Some(&b) => b,
            None => {
                let regs: Vec<Reg> = names
                    .iter()
                    .map(|_| {
                        self.regs += 1;
                        self.regs - 1
                    })
                    .collect();
                self.blocks.push(Vec::new());
                let body_depth = self.blocks.len() - 1;
                for (&s, &r) in names.iter().zip(&regs) {
                    self.env.push((s, r, body_depth));
                }
                let value = self.call(id, def, args);
                self.env.truncate(self.env.len() - names.len());
                let code = self.blocks.pop().unwrap_or_default();
                let value = value?.0;
                let key: TableKey = (def, args.into(), literals.into());
                let table = match self.table_of.get(&key) {
                    Some(&t) => t,
                    None => {
                        let ranges = self.table_ranges(def, args, &axes);
                        let rank = axes.len();
                        self.tables.push(Table { rank, ranges });
                        let t = (self.tables.len() - 1) as u32;
                        self.table_of.insert(key, t);
                        t
                    }
                };
                self.bodies.push(Body {
                    table,
                    regs: regs.into(),
                    code: code.into(),
                    value,
                });
                let b = (self.bodies.len() - 1) as u32;
                self.body_of.insert(id, b);
                b
            }
        };
        let dst = self.slot();
        let idx = ops.into();
        self.emit(depth, Instr::Memo { dst, body, idx });
        Ok(Some((dst, depth)))
    }

    /// The lengths of a table's axes (the definition's result indices at `axes`), where
    /// each is a number or the length of a tensor the tape reads anyway: a table never
    /// makes a run need a value the expression does not.
    fn table_ranges(
        &mut self,
        def: DefId,
        args: &[ExprId],
        axes: &[usize],
    ) -> Option<Box<[Range]>> {
        let mut ranges = Vec::with_capacity(axes.len());
        for &k in axes {
            let r = self.pool.definition(def).index_ranges.get(k).copied()?;
            let r = self.pool.instantiate_len(def, args, r);
            let range = match self.pool.node(r).clone() {
                Node::Len(t, axis) if self.tensors.contains(&t) => Range::Len {
                    tensor: self.tensor_index(t),
                    axis,
                },
                Node::Num(n) if n.is_integer() => Range::Count(n.to_integer().to_usize()?),
                _ => return None,
            };
            ranges.push(range);
        }
        Some(ranges.into())
    }

    /// Compiles the terms of a call's body `b` (as the definition writes it) in the
    /// order the body computes them, each with `subst`'s arguments in place, before
    /// the body as a whole: substituting the arguments reorders sums and products, and
    /// folds or cancels terms, while a call evaluates its body as written, so the first
    /// term to fail must be the body's first. A term whose arguments fold it into a
    /// number beyond `f64` overflows when reached, as computing it would. Sums and calls
    /// are compiled whole, in their place in that order.
    fn in_written_order(&mut self, b: ExprId, subst: &Subst) -> Result<()> {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || self.in_written_order(b, subst));
        }
        let node = self.pool.node(b).clone();
        match &node {
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(..)
            | Node::Delta(..)
            | Node::Diff { .. } => return Ok(()),
            Node::Add(ts) => {
                for &t in ts.iter() {
                    self.in_written_order(t, subst)?;
                }
            }
            Node::Mul(fs) => {
                for &f in fs.iter() {
                    // A divisor's base is computed, as `product` computes it.
                    match self.pool.node(f).clone() {
                        Node::Pow(base, e) if self.pool.is_int(e, -1) => {
                            self.in_written_order(base, subst)?
                        }
                        _ => self.in_written_order(f, subst)?,
                    }
                }
            }
            Node::Pow(base, e) => {
                self.in_written_order(*base, subst)?;
                if self.pool.as_num(*e).is_none() {
                    self.in_written_order(*e, subst)?;
                }
            }
            Node::Func(_, a) => self.in_written_order(*a, subst)?,
            Node::Elem(..) | Node::Sum { .. } | Node::Call { .. } => {}
        }
        let e = self.pool.substitute(b, subst);
        if let Node::Pow(base, n) = node
            && self.pool.is_int(n, -1)
        {
            // A reciprocal `1/u` becomes a product of reciprocals (or another power)
            // once a product is substituted for `u`; the body divides by `u` itself, so
            // it does, and a division by 0 is reported as the body's `1/u`.
            let u = self.pool.substitute(base, subst);
            let (regs, depth) = self.context(e);
            let reshaped = match self.pool.node(e).clone() {
                Node::Pow(eb, en) => eb != u || !self.pool.is_int(en, -1),
                Node::Num(_) => false,
                _ => true,
            };
            if reshaped && !self.memo.contains_key(&(e, regs.clone())) {
                let (src, src_depth) = self.compile(u)?;
                let depth = depth.max(src_depth);
                self.remember_text(e);
                self.remember_text(u);
                let dst = self.slot();
                let instr = Instr::PowInt {
                    dst,
                    src,
                    n: -1,
                    node: e,
                    base: u,
                };
                self.emit(depth, instr);
                self.memo.insert((e, regs), (dst, depth));
                return Ok(());
            }
        }
        if let Node::Num(r) = self.pool.node(e).clone() {
            if !rational_to_f64(&r).is_finite() {
                let (regs, depth) = self.context(e);
                if self.memo.contains_key(&(e, regs.clone())) {
                    return Ok(());
                }
                self.remember_text(e);
                let dst = self.slot();
                self.emit(depth, Instr::Overflow { node: e });
                self.memo.insert((e, regs), (dst, depth));
            }
            return Ok(());
        }
        self.compile(e).map(|_| ())
    }

    /// A product, its factors in canonical order; `b^-1` factors divide by `b`.
    fn product(&mut self, id: ExprId, fs: &[ExprId], depth: usize) -> Result<Slot> {
        let mut factors = Vec::with_capacity(fs.len());
        for (k, &f) in fs.iter().enumerate() {
            match self.pool.node(f).clone() {
                Node::Pow(b, e) if self.pool.is_int(e, -1) => {
                    let (slot, b_depth) = self.compile(b)?;
                    self.remember_text(f);
                    self.remember_text(b);
                    // A later factor that may fail is computed after this divisor is
                    // found to be 0, as a product computed factor by factor would be.
                    if fs[k + 1..].iter().any(|&g| !self.cannot_fail(g)) {
                        let instr = Instr::NonZero {
                            src: slot,
                            factor: f,
                            divisor: b,
                        };
                        self.emit(b_depth, instr);
                    }
                    factors.push(Factor {
                        slot,
                        divisor: Some((f, b)),
                    });
                }
                _ => {
                    let slot = self.compile(f)?.0;
                    factors.push(Factor {
                        slot,
                        divisor: None,
                    });
                }
            }
        }
        let dst = self.slot();
        let node = id;
        let instr = match factors.as_slice() {
            [a, b] if a.divisor.is_none() && b.divisor.is_none() => Instr::Mul2 {
                dst,
                a: a.slot,
                b: b.slot,
                node,
            },
            [num, den] if num.divisor.is_none() => Instr::Div {
                dst,
                num: num.slot,
                den: *den,
                node,
            },
            _ => Instr::Mul {
                dst,
                factors: factors.into_boxed_slice(),
                node,
            },
        };
        self.emit(depth, instr);
        Ok(dst)
    }

    /// Whether computing `id` can never fail: a number, a name, an index or a length.
    fn cannot_fail(&self, id: ExprId) -> bool {
        matches!(
            self.pool.node(id),
            Node::Num(_)
                | Node::Const(_)
                | Node::Sym(_)
                | Node::Index(_)
                | Node::Len(..)
                | Node::Delta(..)
        )
    }

    /// A power, by the kind of its exponent.
    fn power(&mut self, id: ExprId, b: ExprId, e: ExprId, depth: usize) -> Result<Slot> {
        let src = self.compile(b)?.0;
        self.remember_text(id);
        self.remember_text(b);
        let exact = self.pool.as_num(e).cloned();
        let (node, base) = (id, b);
        let dst = self.slot();
        let instr = match exact {
            Some(r) if r.is_integer() => match r.numer().to_i32() {
                Some(n) => Instr::PowInt {
                    dst,
                    src,
                    n,
                    node,
                    base,
                },
                None => Instr::PowHuge {
                    dst,
                    src,
                    exponent: rational_to_f64(&r),
                    odd: r.numer().is_odd(),
                    node,
                    base,
                },
            },
            Some(r) if r.numer() == &1.into() && r.denom() == &2.into() => Instr::Sqrt {
                dst,
                src,
                node,
                base,
            },
            _ => {
                let exp = self.compile(e)?.0;
                let rsqrt = exact
                    .as_ref()
                    .is_some_and(|r| r.numer() == &(-1).into() && r.denom() == &2.into());
                Instr::Pow {
                    dst,
                    src,
                    exp,
                    rsqrt,
                    node,
                    base,
                }
            }
        };
        self.emit(depth, instr);
        Ok(dst)
    }

    /// A sum over an index: a loop placed in the block of its own context (the enclosing
    /// loops it depends on), so that everything that reads its value, placed by the same
    /// rule, runs after it. Its body is a new block.
    /// A reduction over a vector (`max(j, z[j] - c)`, `argmax(z)`): a loop over its
    /// elements that keeps the first largest or smallest, or its position.
    fn reduction(
        &mut self,
        id: ExprId,
        r: Reduce,
        vector: ExprId,
        outer: usize,
    ) -> Result<(Slot, usize)> {
        let Some(range) = self.pool.tensor_len(vector, 0) else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "`{}` reduces something that is not a vector",
                    to_text(self.pool, id)
                ),
            ));
        };
        let index = self.pool.fresh_index_symbol();
        let at = self.pool.index(index);
        let element = self.pool.index_tensor(vector, vec![at]);
        self.looped(id, index, range, element, outer, Fold::Reduce(r))
    }

    /// A loop of `body` over `index` in `0..range`, folding its values by `fold`: a
    /// sum, or a reduction.
    fn looped(
        &mut self,
        id: ExprId,
        index: Symbol,
        range: ExprId,
        body: ExprId,
        outer: usize,
        fold: Fold,
    ) -> Result<(Slot, usize)> {
        let range = match self.pool.node(range).clone() {
            Node::Len(t, axis) => Range::Len {
                tensor: self.tensor_index(t),
                axis,
            },
            Node::Num(r) => match r.to_integer().to_usize() {
                Some(n) if r.is_integer() => Range::Count(n),
                _ => {
                    return Err(Error::new(
                        ErrorKind::Domain,
                        format!(
                            "a sum's range `{}` is {}, not a count",
                            to_text(self.pool, range),
                            crate::numeric::value::format_number(rational_to_f64(&r))
                        ),
                    ));
                }
            },
            _ => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "a sum's range must be an axis length",
                ));
            }
        };
        let r = self.regs;
        self.regs += 1;
        self.blocks.push(Vec::new());
        // The body is the newest block, whatever block the loop itself sits in.
        let body_depth = self.blocks.len() - 1;
        self.env.push((index, r, body_depth));
        let value = self.compile(body);
        self.env.pop();
        let body_code = self.blocks.pop().unwrap_or_default();
        let value = value?.0;
        let dst = self.slot();
        let dot = if fold == Fold::Sum {
            fused(&body_code, value)
        } else {
            None
        };
        let instr = match dot {
            Some((a, b, product)) => Instr::Dot {
                dst,
                index: r,
                range,
                a,
                b,
                product,
                node: id,
            },
            None => Instr::Loop {
                dst,
                index: r,
                range,
                body: body_code.into(),
                value,
                node: id,
                fold,
            },
        };
        self.emit(outer, instr);
        Ok((dst, outer))
    }
}

/// A loop body that is two element reads and their product, in that order, as the
/// operands of a fused [`Instr::Dot`] and the product's node. Nothing outside the
/// loop reads the body's slots (they hold one pass's values), so the fused loop need
/// not write them.
fn fused(body: &[Instr], value: Slot) -> Option<(Operand, Operand, ExprId)> {
    let operand = |i: &Instr| match i {
        Instr::Load {
            dst,
            tensor,
            idx,
            node,
        } => Some((
            *dst,
            Operand::Load {
                tensor: *tensor,
                idx: idx.clone(),
                node: *node,
            },
        )),
        Instr::Memo { dst, body, idx } => Some((
            *dst,
            Operand::Memo {
                body: *body,
                idx: idx.clone(),
            },
        )),
        _ => None,
    };
    match body {
        [x, y, Instr::Mul2 { dst, a, b, node }] if *dst == value => {
            let ((xs, x), (ys, y)) = (operand(x)?, operand(y)?);
            (xs == *a && ys == *b && xs != ys).then_some((x, y, *node))
        }
        _ => None,
    }
}
