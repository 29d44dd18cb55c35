//! The compiled evaluator: an expression as a flat tape of instructions.
//!
//! [`Tape::compile`] turns a DAG into instructions over numbered slots, each shared
//! subexpression computed once; calls are expanded into their bodies, and each sum over
//! an axis becomes a loop whose body holds only the instructions that depend on the
//! loop's index (everything else is hoisted out). A compiled tape runs at many points
//! without recompiling, over any [`Scalar`]: `f64`, single precision, complex numbers
//! (the complex step) and dual numbers (forward mode). Leaving a function's domain is an
//! error naming the subexpression, decided on the real part of the value.

use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{ExprId, Func, Node, Symbol};
use crate::expr::pool::Pool;
use crate::numeric::scalar::Scalar;
use crate::numeric::value::{Bindings, Tensor, Value};
use crate::syntax::number::rational_to_f64;

type Slot = u32;
type Reg = u32;

/// An index operand: a register (a loop's index or a free index) or a literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IndexOp {
    Reg(Reg),
    Lit(usize),
}

/// How many times a loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Range {
    Len { tensor: u32, axis: u32 },
    Count(usize),
}

#[derive(Clone, Debug)]
enum Instr {
    Const {
        dst: Slot,
        value: f64,
    },
    Load {
        dst: Slot,
        tensor: u32,
        idx: Box<[IndexOp]>,
        node: ExprId,
    },
    Length {
        dst: Slot,
        tensor: u32,
        axis: u32,
    },
    IndexValue {
        dst: Slot,
        index: IndexOp,
    },
    Add {
        dst: Slot,
        srcs: Box<[Slot]>,
    },
    Mul {
        dst: Slot,
        num: Box<[Slot]>,
        den: Box<[(Slot, ExprId)]>,
    },
    Div {
        dst: Slot,
        num: Slot,
        den: Slot,
        node: ExprId,
    },
    Mul2 {
        dst: Slot,
        a: Slot,
        b: Slot,
    },
    Exp {
        dst: Slot,
        src: Slot,
        node: ExprId,
    },
    PowInt {
        dst: Slot,
        base: Slot,
        n: i32,
        node: ExprId,
    },
    Sqrt {
        dst: Slot,
        src: Slot,
        node: ExprId,
    },
    Pow {
        dst: Slot,
        base: Slot,
        exp: Slot,
        node: ExprId,
    },
    /// A power whose exponent is a whole number by construction (`x^len(z)`) or a
    /// constant (`x^cos(pi)`), known only at run time: a whole exponent allows a
    /// negative base too.
    PowWhole {
        dst: Slot,
        base: Slot,
        exp: Slot,
        node: ExprId,
    },
    Func {
        dst: Slot,
        f: Func,
        src: Slot,
        node: ExprId,
    },
    Delta {
        dst: Slot,
        a: IndexOp,
        b: IndexOp,
    },
    Loop {
        dst: Slot,
        index: Reg,
        range: Range,
        body: Box<[Instr]>,
        value: Slot,
    },
}

/// Which input a perturbation applies to: a scalar, or one element of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputRef {
    /// A scalar input, by name.
    Scalar(Symbol),
    /// An element of a tensor, by name and flat (row-major) offset.
    Element(Symbol, usize),
}

/// A compiled expression.
#[derive(Clone, Debug)]
pub struct Tape {
    code: Vec<Instr>,
    slots: usize,
    regs: usize,
    scalars: Vec<Symbol>,
    tensors: Vec<Symbol>,
    free_indices: Vec<(Symbol, Reg)>,
    outputs: Vec<Slot>,
    /// The printed subexpression of each node an error may name.
    texts: FxHashMap<ExprId, String>,
    /// Where each scalar input is written when a run starts.
    input_slots: Vec<(u32, Slot)>,
}

/// Values for a tape's inputs, resolved once and reused across runs.
#[derive(Clone, Debug)]
pub struct TapeInputs {
    /// The point, as `name = value` text, for error messages.
    point: String,
    scalars: Vec<f64>,
    tensors: Vec<Rc<Tensor>>,
    indices: Vec<(Reg, usize)>,
}

struct Compiler<'p> {
    pool: &'p mut Pool,
    blocks: Vec<Vec<Instr>>,
    env: Vec<(Symbol, Reg, usize)>,
    memo: FxHashMap<(ExprId, Vec<Reg>), (Slot, usize)>,
    slots: u32,
    regs: u32,
    scalars: Vec<Symbol>,
    tensors: Vec<Symbol>,
    free_indices: Vec<(Symbol, Reg)>,
    texts: FxHashMap<ExprId, String>,
    input_slots: Vec<(u32, Slot)>,
    /// Reciprocals `1/b` that several products divide by: computed once, and the
    /// products multiply by them (a gradient divides every component by one sum).
    shared_reciprocals: rustc_hash::FxHashSet<ExprId>,
}

impl Tape {
    /// Compiles an expression (its calls expanded first).
    pub fn compile(pool: &mut Pool, id: ExprId) -> Result<Tape> {
        Tape::compile_many(pool, &[id])
    }

    /// Compiles several expressions into one tape that computes them together, each
    /// shared subexpression once (a gradient's components share the function's terms).
    pub fn compile_many(pool: &mut Pool, ids: &[ExprId]) -> Result<Tape> {
        let ids: Vec<ExprId> = ids.iter().map(|&id| pool.expand_all_calls(id)).collect();
        let shared = shared_reciprocals(pool, &ids);
        let mut c = Compiler {
            pool,
            blocks: vec![Vec::new()],
            env: Vec::new(),
            memo: FxHashMap::default(),
            slots: 0,
            regs: 0,
            scalars: Vec::new(),
            tensors: Vec::new(),
            free_indices: Vec::new(),
            texts: FxHashMap::default(),
            input_slots: Vec::new(),
            shared_reciprocals: shared,
        };
        // Free indices are registers set from the bindings, at depth 0.
        for &id in &ids {
            for s in c.pool.free_indices(id) {
                if c.free_indices.iter().any(|f| f.0 == s) {
                    continue;
                }
                let r = c.regs;
                c.regs += 1;
                c.env.push((s, r, 0));
                c.free_indices.push((s, r));
            }
        }
        let mut outputs = Vec::with_capacity(ids.len());
        for &id in &ids {
            outputs.push(c.compile(id)?.0);
        }
        let code = c.blocks.pop().unwrap_or_default();
        Ok(Tape {
            code,
            slots: c.slots as usize,
            regs: c.regs as usize,
            scalars: c.scalars,
            tensors: c.tensors,
            free_indices: c.free_indices,
            outputs,
            texts: c.texts,
            input_slots: c.input_slots,
        })
    }

    /// The number of instructions, loops' bodies included.
    pub fn len(&self) -> usize {
        fn count(code: &[Instr]) -> usize {
            code.iter()
                .map(|i| match i {
                    Instr::Loop { body, .. } => 1 + count(body),
                    _ => 1,
                })
                .sum()
        }
        count(&self.code)
    }

    /// Whether the tape has no instructions (it always has at least one).
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// Resolves bindings for this tape's inputs; an error names what is missing.
    pub fn inputs(&self, pool: &Pool, at: &Bindings) -> Result<TapeInputs> {
        let missing = |s: Symbol, what: &str| {
            Error::new(
                ErrorKind::Binding,
                format!("no value for the {what} `{}`", pool.name(s)),
            )
        };
        let mut scalars = Vec::with_capacity(self.scalars.len());
        for &s in &self.scalars {
            match at.get(s) {
                Some(Value::Scalar(x)) => scalars.push(*x),
                _ => return Err(missing(s, "scalar")),
            }
        }
        let mut tensors = Vec::with_capacity(self.tensors.len());
        for &s in &self.tensors {
            match at.get(s) {
                Some(Value::Tensor(t)) => tensors.push(t.clone()),
                _ => return Err(missing(s, "tensor")),
            }
        }
        let mut indices = Vec::new();
        for &(s, r) in &self.free_indices {
            match at.get(s) {
                Some(Value::Scalar(x)) if *x >= 0.0 && x.fract() == 0.0 => {
                    indices.push((r, *x as usize))
                }
                _ => return Err(missing(s, "index")),
            }
        }
        let names = self
            .scalars
            .iter()
            .chain(&self.tensors)
            .chain(self.free_indices.iter().map(|f| &f.0));
        let point = names
            .filter_map(|&s| {
                at.get(s).map(|v| {
                    format!(
                        "{} = {}",
                        pool.name(s),
                        crate::numeric::value::format_value(v)
                    )
                })
            })
            .collect::<Vec<_>>()
            .join(", ");
        Ok(TapeInputs {
            point,
            scalars,
            tensors,
            indices,
        })
    }

    /// Runs the tape at a point; `seed` adds a perturbation to one input (the complex
    /// step's `ih`, or a dual number's unit derivative).
    pub fn run<T: Scalar>(&self, inputs: &TapeInputs, seed: Option<(InputRef, T)>) -> Result<T> {
        let mut slots = vec![T::from_f64(0.0); self.slots];
        self.run_into(inputs, seed, &mut slots)?;
        Ok(slots[self.outputs[0] as usize])
    }

    /// Runs the tape and writes every output into `out` (one per compiled expression),
    /// reusing `slots` as the working memory so that repeated runs allocate nothing.
    pub fn run_many_into(
        &self,
        inputs: &TapeInputs,
        slots: &mut Vec<f64>,
        out: &mut [f64],
    ) -> Result<()> {
        self.run_into::<f64>(inputs, None, slots)?;
        for (o, &s) in out.iter_mut().zip(&self.outputs) {
            *o = slots[s as usize];
        }
        Ok(())
    }

    fn run_into<T: Scalar>(
        &self,
        inputs: &TapeInputs,
        seed: Option<(InputRef, T)>,
        slots: &mut Vec<T>,
    ) -> Result<()> {
        slots.resize(self.slots, T::from_f64(0.0));
        let mut regs = vec![0usize; self.regs];
        for &(r, v) in &inputs.indices {
            regs[r as usize] = v;
        }
        for &(input, slot) in &self.input_slots {
            let s = self.scalars[input as usize];
            let v = inputs.scalars[input as usize];
            slots[slot as usize] = seeded(seed, InputRef::Scalar(s), v);
        }
        run_block(self, inputs, slots, &mut regs, seed, &self.code)
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Runs the tape in `f64`.
    pub fn eval(&self, inputs: &TapeInputs) -> Result<f64> {
        self.run::<f64>(inputs, None)
    }

    /// The largest finite size of any value the tape computes on the way (the last
    /// pass's, inside a sum): a result is exact only up to rounding of its largest
    /// intermediate, so `sin(x + 1e8)` is good to about 1e-8, not 1e-16.
    pub fn largest_intermediate(&self, inputs: &TapeInputs) -> f64 {
        let mut slots = Vec::new();
        if self.run_into::<f64>(inputs, None, &mut slots).is_err() {
            return 0.0;
        }
        slots
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0, |m, v| m.max(v.abs()))
    }
}

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

    fn remember_text(&mut self, id: ExprId) {
        if !self.texts.contains_key(&id) {
            let t = crate::print::text::to_text(self.pool, id);
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

    fn index_op(&self, id: ExprId) -> Result<IndexOp> {
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
                "an index must be a name or an integer",
            )),
        }
    }

    fn emit(&mut self, depth: usize, instr: Instr) {
        self.blocks[depth].push(instr);
    }

    fn compile(&mut self, id: ExprId) -> Result<(Slot, usize)> {
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
                            crate::syntax::number::describe_rational(&r)
                        ),
                    ));
                }
                let dst = self.slot();
                self.emit(depth, Instr::Const { dst, value });
                dst
            }
            Node::Const(c) => {
                let dst = self.slot();
                self.emit(
                    depth,
                    Instr::Const {
                        dst,
                        value: c.value(),
                    },
                );
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
                let _ = depth;
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
                self.emit(
                    depth,
                    Instr::Load {
                        dst,
                        tensor,
                        idx: idx.into(),
                        node: id,
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
                self.emit(
                    depth,
                    Instr::Add {
                        dst,
                        srcs: srcs.into_boxed_slice(),
                    },
                );
                dst
            }
            Node::Mul(fs) => {
                let mut num = Vec::new();
                let mut den = Vec::new();
                for &f in fs.iter() {
                    match self.pool.node(f).clone() {
                        Node::Pow(b, e)
                            if self.pool.is_int(e, -1) && !self.shared_reciprocals.contains(&f) =>
                        {
                            self.remember_text(b);
                            den.push((self.compile(b)?.0, b));
                        }
                        _ => num.push(self.compile(f)?.0),
                    }
                }
                let dst = self.slot();
                let instr = if num.len() == 2 && den.is_empty() {
                    Instr::Mul2 {
                        dst,
                        a: num[0],
                        b: num[1],
                    }
                } else if num.len() == 1 && den.len() == 1 {
                    Instr::Div {
                        dst,
                        num: num[0],
                        den: den[0].0,
                        node: den[0].1,
                    }
                } else {
                    Instr::Mul {
                        dst,
                        num: num.into_boxed_slice(),
                        den: den.into_boxed_slice(),
                    }
                };
                self.emit(depth, instr);
                dst
            }
            Node::Pow(b, e) => {
                let base = self.compile(b)?.0;
                self.remember_text(id);
                let exact = self.pool.as_num(e).cloned();
                let dst = self.slot();
                match exact {
                    Some(r)
                        if r.is_integer()
                            && r.numer() <= &i32::MAX.into()
                            && r.numer() >= &i32::MIN.into() =>
                    {
                        let n: i32 = r.numer().try_into().unwrap_or(1);
                        self.emit(
                            depth,
                            Instr::PowInt {
                                dst,
                                base,
                                n,
                                node: id,
                            },
                        );
                    }
                    Some(r) if r.numer() == &1.into() && r.denom() == &2.into() => {
                        self.emit(
                            depth,
                            Instr::Sqrt {
                                dst,
                                src: base,
                                node: id,
                            },
                        );
                    }
                    // An exponent that is whole by construction, or a constant (`cos(pi)`):
                    // a whole value allows a negative base, as the interpreter does.
                    _ if whole_valued(self.pool, e) || self.pool.free_symbols(e).is_empty() => {
                        let exp = self.compile(e)?.0;
                        self.emit(
                            depth,
                            Instr::PowWhole {
                                dst,
                                base,
                                exp,
                                node: id,
                            },
                        );
                    }
                    _ => {
                        let exp = self.compile(e)?.0;
                        self.emit(
                            depth,
                            Instr::Pow {
                                dst,
                                base,
                                exp,
                                node: id,
                            },
                        );
                    }
                }
                dst
            }
            Node::Func(f, a) => {
                let src = self.compile(a)?.0;
                self.remember_text(id);
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
                let range = match self.pool.node(range).clone() {
                    Node::Len(t, axis) => Range::Len {
                        tensor: self.tensor_index(t),
                        axis,
                    },
                    Node::Num(r) => Range::Count(r.to_integer().try_into().unwrap_or(0)),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Unsupported,
                            "a sum's range must be an axis length",
                        ));
                    }
                };
                let r = self.regs;
                self.regs += 1;
                // The loop sits in the block of its own context (the enclosing loops it
                // depends on), so that everything that reads its value, placed by the same
                // rule, runs after it; its body is a new block.
                let outer = depth;
                self.blocks.push(Vec::new());
                // The body is the newest block, whatever block the loop itself sits in.
                let body_depth = self.blocks.len() - 1;
                self.env.push((index, r, body_depth));
                let value = self.compile(body);
                self.env.pop();
                let body_code = self.blocks.pop().unwrap_or_default();
                let value = value?.0;
                let dst = self.slot();
                self.emit(
                    outer,
                    Instr::Loop {
                        dst,
                        index: r,
                        range,
                        body: body_code.into(),
                        value,
                    },
                );
                let placed = (dst, outer);
                self.memo.insert(key, placed);
                return Ok(placed);
            }
            Node::Call { .. } => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    "internal: a call was not expanded",
                ));
            }
            Node::Diff { .. } => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "`{}` is a derivative that has not been taken yet",
                        crate::print::text::to_text(self.pool, id)
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
}

fn index(regs: &[usize], op: IndexOp) -> usize {
    match op {
        IndexOp::Reg(r) => regs[r as usize],
        IndexOp::Lit(v) => v,
    }
}

fn text(tape: &Tape, node: ExprId) -> String {
    tape.texts
        .get(&node)
        .cloned()
        .unwrap_or_else(|| "a subexpression".into())
}

#[cold]
#[inline(never)]
fn domain(tape: &Tape, inputs: &TapeInputs, node: ExprId, detail: String) -> Error {
    let at = if inputs.point.is_empty() {
        String::new()
    } else {
        format!(" at {}", inputs.point)
    };
    Error::new(
        ErrorKind::Domain,
        format!("`{}` is undefined{at}: {detail}", text(tape, node)),
    )
}

#[inline(always)]
fn seeded<T: Scalar>(seed: Option<(InputRef, T)>, what: InputRef, v: f64) -> T {
    match seed {
        Some((r, d)) if r == what => T::from_f64(v).add(d),
        _ => T::from_f64(v),
    }
}

#[inline(always)]
fn finite<T: Scalar>(tape: &Tape, inputs: &TapeInputs, v: T, node: ExprId) -> Result<T> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(domain(
            tape,
            inputs,
            node,
            "its value overflows the range of f64".into(),
        ))
    }
}

fn run_block<T: Scalar>(
    tape: &Tape,
    inputs: &TapeInputs,
    slots: &mut [T],
    regs: &mut [usize],
    seed: Option<(InputRef, T)>,
    code: &[Instr],
) -> Result<()> {
    for instr in code {
        match instr {
            Instr::Const { dst, value } => slots[*dst as usize] = T::from_f64(*value),
            Instr::Load {
                dst,
                tensor,
                idx,
                node,
            } => {
                let t = &inputs.tensors[*tensor as usize];
                let at: Vec<usize> = idx.iter().map(|&i| index(regs, i)).collect();
                let Some(off) = t.offset(&at) else {
                    return Err(Error::new(
                        ErrorKind::Binding,
                        format!(
                            "`{}` reads position {:?} of a tensor of shape {:?}",
                            text(tape, *node),
                            at,
                            t.shape
                        ),
                    ));
                };
                let name = tape.tensors[*tensor as usize];
                slots[*dst as usize] = seeded(seed, InputRef::Element(name, off), t.data[off]);
            }
            Instr::Length { dst, tensor, axis } => {
                let t = &inputs.tensors[*tensor as usize];
                let n = t.shape.get(*axis as usize).copied().unwrap_or(0);
                slots[*dst as usize] = T::from_f64(n as f64);
            }
            Instr::IndexValue { dst, index: op } => {
                slots[*dst as usize] = T::from_f64(index(regs, *op) as f64);
            }
            Instr::Add { dst, srcs } => {
                let mut acc = T::from_f64(0.0);
                for &s in srcs {
                    acc = acc.add(slots[s as usize]);
                }
                slots[*dst as usize] = acc;
            }
            Instr::Div {
                dst,
                num,
                den,
                node,
            } => {
                let d = slots[*den as usize];
                if d.re() == 0.0 {
                    return Err(domain(
                        tape,
                        inputs,
                        *node,
                        "it is a divisor, and it is 0".into(),
                    ));
                }
                slots[*dst as usize] = slots[*num as usize].div(d);
            }
            Instr::Mul2 { dst, a, b } => {
                slots[*dst as usize] = slots[*a as usize].mul(slots[*b as usize]);
            }
            Instr::Mul { dst, num, den } => {
                let mut n = match num.split_first() {
                    Some((&first, rest)) => {
                        let mut n = slots[first as usize];
                        for &s in rest {
                            n = n.mul(slots[s as usize]);
                        }
                        n
                    }
                    None => T::from_f64(1.0),
                };
                for &(s, node) in den.iter() {
                    let d = slots[s as usize];
                    if d.re() == 0.0 {
                        return Err(domain(
                            tape,
                            inputs,
                            node,
                            "it is a divisor, and it is 0".into(),
                        ));
                    }
                    n = n.div(d);
                }
                slots[*dst as usize] = n;
            }
            Instr::PowInt { dst, base, n, node } => {
                let b = slots[*base as usize];
                if b.re() == 0.0 && *n < 0 {
                    return Err(domain(tape, inputs, *node, "it divides by 0".into()));
                }
                slots[*dst as usize] = finite(tape, inputs, b.powi(*n), *node)?;
            }
            Instr::Sqrt { dst, src, node } => {
                let x = slots[*src as usize];
                if x.re() < 0.0 {
                    return Err(domain(
                        tape,
                        inputs,
                        *node,
                        format!("the square root of {} is not real", x.re()),
                    ));
                }
                slots[*dst as usize] = x.sqrt();
            }
            Instr::Pow {
                dst,
                base,
                exp,
                node,
            } => {
                let (b, e) = (slots[*base as usize], slots[*exp as usize]);
                if b.re() < 0.0 {
                    return Err(domain(
                        tape,
                        inputs,
                        *node,
                        format!("a negative base ({}) has no real power", b.re()),
                    ));
                }
                if b.re() == 0.0 && e.re() <= 0.0 {
                    return Err(domain(
                        tape,
                        inputs,
                        *node,
                        "0 to a non-positive power".into(),
                    ));
                }
                slots[*dst as usize] = finite(tape, inputs, b.pow(e), *node)?;
            }
            Instr::PowWhole {
                dst,
                base,
                exp,
                node,
            } => {
                let (b, ev) = (slots[*base as usize], slots[*exp as usize]);
                let e = ev.re();
                if e.fract() == 0.0 && e.abs() <= f64::from(i32::MAX) {
                    let n = e as i32;
                    if b.re() == 0.0 && n < 0 {
                        return Err(domain(tape, inputs, *node, "it divides by 0".into()));
                    }
                    slots[*dst as usize] = finite(tape, inputs, b.powi(n), *node)?;
                } else if b.re() < 0.0 {
                    // A constant exponent that is not whole: as for any power.
                    return Err(domain(
                        tape,
                        inputs,
                        *node,
                        format!("a negative base ({}) has no real power {e}", b.re()),
                    ));
                } else if b.re() == 0.0 && e <= 0.0 {
                    return Err(domain(
                        tape,
                        inputs,
                        *node,
                        "0 to a non-positive power".into(),
                    ));
                } else {
                    slots[*dst as usize] = finite(tape, inputs, b.pow(ev), *node)?;
                }
            }
            Instr::Exp { dst, src, node } => {
                slots[*dst as usize] =
                    finite(tape, inputs, slots[*src as usize].apply(Func::Exp), *node)?;
            }
            Instr::Func { dst, f, src, node } => {
                let x = slots[*src as usize];
                let r = x.re();
                match f {
                    Func::Ln if r <= 0.0 => {
                        return Err(domain(
                            tape,
                            inputs,
                            *node,
                            format!("the logarithm of {r} is not real"),
                        ));
                    }
                    Func::Asin | Func::Acos if !(-1.0..=1.0).contains(&r) => {
                        return Err(domain(
                            tape,
                            inputs,
                            *node,
                            format!("{} needs an argument in [-1, 1], not {r}", f.name()),
                        ));
                    }
                    _ => {}
                }
                slots[*dst as usize] = finite(tape, inputs, x.apply(*f), *node)?;
            }
            Instr::Delta { dst, a, b } => {
                let v = if index(regs, *a) == index(regs, *b) {
                    1.0
                } else {
                    0.0
                };
                slots[*dst as usize] = T::from_f64(v);
            }
            Instr::Loop {
                dst,
                index,
                range,
                body,
                value,
            } => {
                let n = match *range {
                    Range::Len { tensor, axis } => inputs.tensors[tensor as usize]
                        .shape
                        .get(axis as usize)
                        .copied()
                        .unwrap_or(0),
                    Range::Count(n) => n,
                };
                let mut acc = T::from_f64(0.0);
                for v in 0..n {
                    regs[*index as usize] = v;
                    run_block(tape, inputs, slots, regs, seed, body)?;
                    acc = acc.add(slots[*value as usize]);
                }
                slots[*dst as usize] = acc;
            }
        }
    }
    Ok(())
}

/// The reciprocals `b^-1` that more than one product uses.
fn shared_reciprocals(pool: &Pool, roots: &[ExprId]) -> rustc_hash::FxHashSet<ExprId> {
    let mut parents: FxHashMap<ExprId, u32> = FxHashMap::default();
    let mut seen = rustc_hash::FxHashSet::default();
    let mut todo: Vec<ExprId> = roots.to_vec();
    while let Some(x) = todo.pop() {
        if !seen.insert(x) {
            continue;
        }
        for c in crate::expr::node::children(pool.node(x)) {
            *parents.entry(c).or_insert(0) += 1;
            todo.push(c);
        }
    }
    parents
        .into_iter()
        .filter(|&(id, n)| {
            n >= 2 && matches!(pool.node(id), Node::Pow(_, e) if pool.is_int(*e, -1))
        })
        .map(|(id, _)| id)
        .collect()
}

/// Whether an expression is a whole number at every point by construction: whole
/// numbers, axis lengths and index values, combined by `+`, `-`, `*` and whole
/// non-negative powers.
fn whole_valued(pool: &Pool, e: ExprId) -> bool {
    match pool.node(e) {
        Node::Num(r) => r.is_integer(),
        Node::Len(..) | Node::Index(_) => true,
        Node::Add(xs) | Node::Mul(xs) => xs.iter().all(|&x| whole_valued(pool, x)),
        Node::Pow(b, x) => {
            whole_valued(pool, *b)
                && pool
                    .as_num(*x)
                    .is_some_and(|r| r.is_integer() && !num_traits::Signed::is_negative(r))
        }
        _ => false,
    }
}
