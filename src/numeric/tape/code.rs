//! The instruction set of the tape and its execution over any [`Scalar`].
//!
//! Every instruction that can leave a function's domain checks it, on the real part of
//! the value, and reports a [`Fault`]: the node that failed and what went wrong, with the
//! numbers involved. Faults carry expression ids, not text, so the hot loop never
//! formats anything; [`Fault::to_error`] turns one into the user's message.

use crate::diag::error::{Error, ErrorKind};
use crate::expr::node::{ExprId, Func, Symbol};
use crate::numeric::scalar::Scalar;
use crate::numeric::sum::Compensated;
use crate::numeric::tape::inputs::{InputRef, TapeInputs};
use crate::numeric::tape::tables::memo;
pub(crate) use crate::numeric::tape::tables::{Body, Machine, Table};
use crate::numeric::value::format_number;

/// A numbered value cell.
pub(crate) type Slot = u32;
/// A numbered index register (a loop's index, or a free index of the expression).
pub(crate) type Reg = u32;

/// An index operand: a register or a literal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IndexOp {
    Reg(Reg),
    Lit(usize),
}

/// How many times a loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Range {
    Len { tensor: u32, axis: u32 },
    Count(usize),
}

/// One factor of a product: its slot, and for a divisor `b^-1` the factor's node and
/// the divisor's node (to name them when `b` is 0).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Factor {
    pub(crate) slot: Slot,
    pub(crate) divisor: Option<(ExprId, ExprId)>,
}

/// One factor of a fused product loop: a tensor element, or a table element.
#[derive(Clone, Debug)]
pub(crate) enum Operand {
    Load {
        tensor: u32,
        idx: Box<[IndexOp]>,
        node: ExprId,
    },
    Memo {
        body: u32,
        idx: Box<[IndexOp]>,
    },
}

/// One instruction. `node` is the expression an instruction computes, named when it
/// fails; `base` and `arg` are the operands a message quotes.
#[derive(Clone, Debug)]
pub(crate) enum Instr {
    /// A value that overflows `f64` whatever the point: a definition's term whose
    /// arguments fold into a number beyond `f64` (`1/u` at `u = 1e-320`), an error
    /// only when the run reaches it, as the term would be when computed.
    /// A divisor checked as soon as it is computed, before the product's later factors
    /// are: a product fails at its first failing factor, a division by 0 included.
    NonZero {
        src: Slot,
        factor: ExprId,
        divisor: ExprId,
    },
    Overflow {
        node: ExprId,
    },
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
    /// A label read as an index (`y[n]` in `Z[n, y[n]]`): the value in `src`, which
    /// must be a whole number from 0, goes to the index register `dst`.
    Label {
        dst: Reg,
        src: Slot,
        node: ExprId,
    },
    /// A sum of terms, compensated in `f64`.
    Add {
        dst: Slot,
        srcs: Box<[Slot]>,
        node: ExprId,
    },
    /// A product of two factors, neither a divisor.
    Mul2 {
        dst: Slot,
        a: Slot,
        b: Slot,
        node: ExprId,
    },
    /// A factor divided by a divisor, in that order.
    Div {
        dst: Slot,
        num: Slot,
        den: Factor,
        node: ExprId,
    },
    /// A product of factors in their canonical order, from 1.
    Mul {
        dst: Slot,
        factors: Box<[Factor]>,
        node: ExprId,
    },
    Exp {
        dst: Slot,
        src: Slot,
        node: ExprId,
    },
    /// A run of `Exp` instructions, each `(dst, src, node)`, in their order: one
    /// dispatch for a layer of exponentials (see [`fuse`]).
    ExpMany {
        items: Box<[(Slot, Slot, ExprId)]>,
    },
    /// A run of `Div` instructions by the same divisor, each `(dst, num, node)`, in
    /// their order: the divisor is checked once, as the first of them would check it.
    DivMany {
        den: Factor,
        items: Box<[(Slot, Slot, ExprId)]>,
    },
    /// A power by an exact integer exponent that fits an `i32`.
    PowInt {
        dst: Slot,
        src: Slot,
        n: i32,
        node: ExprId,
        base: ExprId,
    },
    /// A power by an exact integer exponent beyond `i32`: the sign comes from the
    /// exponent's parity, exactly, and the magnitude from a real power.
    PowHuge {
        dst: Slot,
        src: Slot,
        exponent: f64,
        odd: bool,
        node: ExprId,
        base: ExprId,
    },
    /// A power by exactly 1/2.
    Sqrt {
        dst: Slot,
        src: Slot,
        node: ExprId,
        base: ExprId,
    },
    /// A power by an exponent known only at run time (or an exact fraction): a whole
    /// exponent allows a negative base. `rsqrt` marks the exact exponent -1/2, computed
    /// as `1/sqrt(b)`.
    Pow {
        dst: Slot,
        src: Slot,
        exp: Slot,
        rsqrt: bool,
        node: ExprId,
        base: ExprId,
    },
    Func {
        dst: Slot,
        f: Func,
        src: Slot,
        node: ExprId,
        arg: ExprId,
    },
    Delta {
        dst: Slot,
        a: IndexOp,
        b: IndexOp,
    },
    /// An element of an indexed definition's table (`h[j]` inside a sum over `j`):
    /// computed by `body` the first time a run reads it, and read back after. `idx`
    /// gives the element's position on each axis of the table.
    Memo {
        dst: Slot,
        body: u32,
        idx: Box<[IndexOp]>,
    },
    /// A sum of products of two elements (`sum(j, W[i, j]*x[j])`, the commonest loop
    /// in a network): the loop of two reads and a product, fused into one instruction
    /// that computes, checks and adds exactly as that loop does. `product` is the
    /// product's node, `node` the sum's.
    Dot {
        dst: Slot,
        index: Reg,
        range: Range,
        a: Operand,
        b: Operand,
        product: ExprId,
        node: ExprId,
    },
    /// A loop over an index: the body runs once per value, and `value` is added up
    /// (compensated in `f64`) or, for a reduction, its first largest or smallest is
    /// kept (see [`Fold`]).
    Loop {
        dst: Slot,
        index: Reg,
        range: Range,
        body: Box<[Instr]>,
        value: Slot,
        node: ExprId,
        fold: Fold,
    },
}

/// What a loop makes of its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fold {
    /// Their sum.
    Sum,
    /// A reduction: the value or position of the first largest or smallest value, by
    /// the real part. The value keeps that element's derivative part, which is the
    /// derivative the symbolic rule gives (the element `argmax` names).
    Reduce(crate::expr::definition::Reduce),
}

/// Why a run stopped: the node that failed, and what went wrong.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Fault {
    pub(crate) node: ExprId,
    pub(crate) what: What,
    /// The sums the run was inside, innermost first: each one's node and its index's
    /// value at the failure (for messages that show a call's local indices).
    pub(crate) loops: Vec<(ExprId, usize)>,
}

/// What went wrong at a node, with the numbers its message shows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum What {
    /// The value is not a finite `f64`.
    Overflow,
    /// The node divides by `divisor`, which is 0.
    DividesByZero { divisor: ExprId },
    /// A power of a `base` of 0 by a negative exponent that is not a whole number
    /// (`1/sqrt(d)`): the interpreter's wording calls it a division by the base, but the
    /// tape's own message must not claim a division the expression does not write.
    ZeroToNegativePower { base: ExprId },
    /// A logarithm of a non-positive `arg`.
    Log { arg: ExprId, x: f64 },
    /// `asin` or `acos` outside [-1, 1].
    Arc { f: Func, arg: ExprId, x: f64 },
    /// A square root of a negative `base`.
    Sqrt { base: ExprId, x: f64 },
    /// A negative base to a power that is not whole.
    NegativeBase { base: f64, exp: f64 },
    /// A label (a value used as an index) that is not a whole number from 0.
    Label { x: f64 },
    /// A reduction over a vector with no elements.
    Empty,
    /// A tensor read outside its shape.
    Position {
        tensor: Symbol,
        at: Vec<usize>,
        shape: Vec<usize>,
    },
}

impl Fault {
    fn at(node: ExprId, what: What) -> Fault {
        Fault {
            node,
            what,
            loops: Vec::new(),
        }
    }

    /// The nodes the message quotes: the failing node and its quoted operand.
    pub(crate) fn nodes(&self) -> Vec<ExprId> {
        let operand = match &self.what {
            What::DividesByZero { divisor } => Some(*divisor),
            What::ZeroToNegativePower { base } => Some(*base),
            What::Log { arg, .. } | What::Arc { arg, .. } => Some(*arg),
            What::Sqrt { base, .. } => Some(*base),
            What::Overflow
            | What::Empty
            | What::NegativeBase { .. }
            | What::Position { .. }
            | What::Label { .. } => None,
        };
        std::iter::once(self.node).chain(operand).collect()
    }

    /// The user's message: `text` prints a node, `name` a tensor, `point` is the point
    /// as `name = value` text and `inside` says which call the node is in (or is empty).
    pub(crate) fn to_error(
        &self,
        text: &dyn Fn(ExprId) -> String,
        name: &dyn Fn(Symbol) -> String,
        point: &str,
        inside: &str,
    ) -> Error {
        let detail = match &self.what {
            What::Position { tensor, at, shape } => {
                return Error::new(
                    ErrorKind::Binding,
                    format!(
                        "`{}` reads position {at:?} of `{}`, whose shape is {shape:?}",
                        text(self.node),
                        name(*tensor),
                    ),
                )
                .with_hint("indices count from 0 and must be below the axis length");
            }
            What::Label { x } => {
                return Error::new(
                    ErrorKind::Binding,
                    format!(
                        "`{}` is used as an index, so it must be a whole number from 0, but it is {}",
                        text(self.node),
                        format_number(*x)
                    ),
                )
                .with_hint("labels are class numbers counted from 0, as in PyTorch's targets");
            }
            What::Overflow => "its value overflows the range of f64 (about 1.8e308)".to_string(),
            What::Empty => "the vector it reduces has no elements".to_string(),
            What::DividesByZero { divisor } | What::ZeroToNegativePower { base: divisor } => {
                format!("it divides by `{}`, which is 0", text(*divisor))
            }
            What::Log { arg, x } => format!(
                "the logarithm needs a positive argument, and `{}` is {}",
                text(*arg),
                format_number(*x)
            ),
            What::Arc { f, arg, x } => format!(
                "{} needs an argument in [-1, 1], and `{}` is {}",
                f.name(),
                text(*arg),
                format_number(*x)
            ),
            What::Sqrt { base, x } => format!(
                "the square root needs a non-negative argument, and `{}` is {}",
                text(*base),
                format_number(*x)
            ),
            What::NegativeBase { base, exp } => format!(
                "a negative base ({}) has no real power {}",
                format_number(*base),
                format_number(*exp)
            ),
        };
        let at = if point.is_empty() {
            String::new()
        } else {
            format!(" at {point}")
        };
        Error::new(
            ErrorKind::Domain,
            format!("`{}` is undefined{at}{inside}: {detail}", text(self.node)),
        )
    }
}

/// What a run reads besides its slots: the inputs, the perturbed input, and the names
/// of the tensors it loads (to say which input an element is).
pub(crate) struct Run<'a, T> {
    pub(crate) inputs: &'a TapeInputs,
    pub(crate) seed: Option<(InputRef, T)>,
    pub(crate) tensors: &'a [Symbol],
    pub(crate) tables: &'a [Table],
    pub(crate) bodies: &'a [Body],
}

/// The value of an index operand.
#[inline(always)]
pub(crate) fn index(regs: &[usize], op: IndexOp) -> usize {
    match op {
        IndexOp::Reg(r) => regs[r as usize],
        IndexOp::Lit(v) => v,
    }
}

/// An input's value, perturbed when it is the seeded input.
#[inline(always)]
pub(crate) fn seeded<T: Scalar>(seed: Option<(InputRef, T)>, what: InputRef, v: f64) -> T {
    match seed {
        Some((r, d)) if r == what => T::from_f64(v).add(d),
        _ => T::from_f64(v),
    }
}

/// `v`, or an overflow fault at `node`.
#[inline(always)]
fn finite<T: Scalar>(v: T, node: ExprId) -> Result<T, Fault> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(Fault::at(node, What::Overflow))
    }
}

/// `v`, or an overflow fault at `node` when its real part (the value itself) is not
/// finite. Sums and products check only the value: a derivative part that overflows
/// there is left for the oracles to judge, as it always was.
#[inline(always)]
fn finite_value<T: Scalar>(v: T, node: ExprId) -> Result<T, Fault> {
    if v.re().is_finite() {
        Ok(v)
    } else {
        Err(Fault::at(node, What::Overflow))
    }
}

/// Checks that a divisor is not 0.
#[inline(always)]
fn nonzero<T: Scalar>(d: T, factor: ExprId, divisor: ExprId) -> Result<(), Fault> {
    if d.re() == 0.0 {
        Err(Fault::at(factor, What::DividesByZero { divisor }))
    } else {
        Ok(())
    }
}

/// Runs a block of instructions.
pub(crate) fn run_block<T: Scalar>(
    run: &Run<'_, T>,
    m: &mut Machine<T>,
    code: &[Instr],
) -> Result<(), Fault> {
    if crate::diag::stack::low() {
        return crate::diag::stack::grow(move || run_block(run, m, code));
    }
    for instr in code {
        let (slots, regs) = (&mut m.slots, &mut m.regs);
        match instr {
            Instr::Const { dst, value } => slots[*dst as usize] = T::from_f64(*value),
            Instr::Overflow { node } => return Err(Fault::at(*node, What::Overflow)),
            Instr::NonZero {
                src,
                factor,
                divisor,
            } => nonzero(slots[*src as usize], *factor, *divisor)?,
            Instr::Load {
                dst,
                tensor,
                idx,
                node,
            } => slots[*dst as usize] = load(run, regs, *tensor, idx, *node)?,
            Instr::Length { dst, tensor, axis } => {
                let t = &run.inputs.tensors[*tensor as usize];
                let n = t.shape.get(*axis as usize).copied().unwrap_or(0);
                slots[*dst as usize] = T::from_f64(n as f64);
            }
            Instr::IndexValue { dst, index: op } => {
                slots[*dst as usize] = T::from_f64(index(regs, *op) as f64);
            }
            Instr::Label { dst, src, node } => {
                let x = slots[*src as usize].re();
                if !(x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64) {
                    return Err(Fault::at(*node, What::Label { x }));
                }
                regs[*dst as usize] = x as usize;
            }
            Instr::Add { dst, srcs, node } => {
                let total = crate::numeric::sum::sum_at(slots, srcs);
                slots[*dst as usize] = finite_value(total, *node)?;
            }
            Instr::Mul2 { dst, a, b, node } => {
                let v = slots[*a as usize].mul(slots[*b as usize]);
                slots[*dst as usize] = finite_value(v, *node)?;
            }
            Instr::Div {
                dst,
                num,
                den,
                node,
            } => {
                let d = slots[den.slot as usize];
                if let Some((factor, divisor)) = den.divisor {
                    nonzero(d, factor, divisor)?;
                }
                let v = slots[*num as usize].div(d);
                slots[*dst as usize] = finite_value(v, *node)?;
            }
            Instr::Mul { dst, factors, node } => {
                for f in factors.iter() {
                    if let Some((factor, divisor)) = f.divisor {
                        nonzero(slots[f.slot as usize], factor, divisor)?;
                    }
                }
                let s = &*slots;
                let v = T::product(
                    factors
                        .iter()
                        .map(|f| (s[f.slot as usize], f.divisor.is_some())),
                );
                slots[*dst as usize] = finite_value(v, *node)?;
            }
            Instr::PowInt {
                dst,
                src,
                n,
                node,
                base,
            } => {
                let b = slots[*src as usize];
                if b.re() == 0.0 && *n < 0 {
                    return Err(Fault::at(*node, What::DividesByZero { divisor: *base }));
                }
                let v = if *n == -1 {
                    T::from_f64(1.0).div(b)
                } else {
                    b.powi(*n)
                };
                slots[*dst as usize] = finite(v, *node)?;
            }
            Instr::PowHuge {
                dst,
                src,
                exponent,
                odd,
                node,
                base,
            } => {
                let b = slots[*src as usize];
                if b.re() == 0.0 && *exponent < 0.0 {
                    return Err(Fault::at(*node, What::DividesByZero { divisor: *base }));
                }
                let negative = b.re() < 0.0;
                let minus = T::from_f64(-1.0);
                let magnitude = if negative { b.mul(minus) } else { b };
                let m = magnitude.pow(T::from_f64(*exponent));
                let v = if negative && *odd { m.mul(minus) } else { m };
                slots[*dst as usize] = finite(v, *node)?;
            }
            Instr::Sqrt {
                dst,
                src,
                node,
                base,
            } => {
                let x = slots[*src as usize];
                if x.re() < 0.0 {
                    let what = What::Sqrt {
                        base: *base,
                        x: x.re(),
                    };
                    return Err(Fault::at(*node, what));
                }
                slots[*dst as usize] = x.sqrt();
            }
            Instr::Pow {
                dst,
                src,
                exp,
                rsqrt,
                node,
                base,
            } => {
                let (b, e) = (slots[*src as usize], slots[*exp as usize]);
                let (bv, ev) = (b.re(), e.re());
                if bv < 0.0 && ev.fract() != 0.0 {
                    let what = What::NegativeBase { base: bv, exp: ev };
                    return Err(Fault::at(*node, what));
                }
                if bv == 0.0 && ev < 0.0 {
                    let what = What::ZeroToNegativePower { base: *base };
                    return Err(Fault::at(*node, what));
                }
                let v = if *rsqrt {
                    T::from_f64(1.0).div(b.sqrt())
                } else if bv < 0.0 {
                    b.pow_whole(ev)
                } else {
                    b.pow(e)
                };
                slots[*dst as usize] = finite(v, *node)?;
            }
            Instr::Exp { dst, src, node } => {
                slots[*dst as usize] = finite(slots[*src as usize].apply(Func::Exp), *node)?;
            }
            // The runs work on the slots as a slice, whose start and length stay in
            // registers across the loop.
            Instr::ExpMany { items } => {
                let slots = slots.as_mut_slice();
                for &(dst, src, node) in items.iter() {
                    slots[dst as usize] = finite(slots[src as usize].apply(Func::Exp), node)?;
                }
            }
            Instr::DivMany { den, items } => {
                let slots = slots.as_mut_slice();
                let d = slots[den.slot as usize];
                if let Some((factor, divisor)) = den.divisor {
                    nonzero(d, factor, divisor)?;
                }
                for &(dst, num, node) in items.iter() {
                    let v = slots[num as usize].div(d);
                    slots[dst as usize] = finite_value(v, node)?;
                }
            }
            Instr::Func {
                dst,
                f,
                src,
                node,
                arg,
            } => {
                let x = slots[*src as usize];
                let r = x.re();
                match f {
                    Func::Ln if r <= 0.0 => {
                        return Err(Fault::at(*node, What::Log { arg: *arg, x: r }));
                    }
                    Func::Asin | Func::Acos if !(-1.0..=1.0).contains(&r) => {
                        let what = What::Arc {
                            f: *f,
                            arg: *arg,
                            x: r,
                        };
                        return Err(Fault::at(*node, what));
                    }
                    _ => {}
                }
                slots[*dst as usize] = finite(x.apply(*f), *node)?;
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
                node,
                fold,
            } => {
                let term = |m: &mut Machine<T>| {
                    run_block(run, m, body)?;
                    Ok(m.slots[*value as usize])
                };
                let total = match fold {
                    Fold::Sum => summed(run, m, *range, *index, *node, term)?,
                    Fold::Reduce(r) => reduced(run, m, *range, *index, *node, *r, term)?,
                };
                m.slots[*dst as usize] = total;
            }
            Instr::Memo { dst, body, idx } => {
                let v = memo(run, m, *body, idx)?;
                m.slots[*dst as usize] = v;
            }
            Instr::Dot {
                dst,
                index,
                range,
                a,
                b,
                product,
                node,
            } => {
                let total = summed(run, m, *range, *index, *node, |m| {
                    let x = operand(run, m, a)?;
                    let y = operand(run, m, b)?;
                    finite_value(x.mul(y), *product)
                })?;
                m.slots[*dst as usize] = total;
            }
        }
    }
    Ok(())
}

/// Runs `term` once for each value of an index, handing each pass's value to `take`;
/// a failure says which pass it stopped in.
#[inline(always)]
fn each_pass<T: Scalar>(
    run: &Run<'_, T>,
    m: &mut Machine<T>,
    range: Range,
    index: Reg,
    node: ExprId,
    mut term: impl FnMut(&mut Machine<T>) -> Result<T, Fault>,
    mut take: impl FnMut(usize, T),
) -> Result<(), Fault> {
    let n = range_len(run, range);
    for v in 0..n {
        m.regs[index as usize] = v;
        match term(m) {
            Ok(t) => take(v, t),
            Err(mut fault) => {
                fault.loops.push((node, v));
                return Err(fault);
            }
        }
    }
    Ok(())
}

/// A sum over an index, compensated.
#[inline(always)]
fn summed<T: Scalar>(
    run: &Run<'_, T>,
    m: &mut Machine<T>,
    range: Range,
    index: Reg,
    node: ExprId,
    term: impl FnMut(&mut Machine<T>) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let mut acc = Compensated::new();
    each_pass(run, m, range, index, node, term, |_, t| acc.add(t))?;
    finite_value(acc.total(), node)
}

/// A reduction over an index: the first largest (or smallest) value by its real
/// part, or its position. Later equal values do not replace it, so that the value's
/// derivative part is that of the element `argmax` names.
#[inline(always)]
fn reduced<T: Scalar>(
    run: &Run<'_, T>,
    m: &mut Machine<T>,
    range: Range,
    index: Reg,
    node: ExprId,
    r: crate::expr::definition::Reduce,
    term: impl FnMut(&mut Machine<T>) -> Result<T, Fault>,
) -> Result<T, Fault> {
    let mut best: Option<(usize, T)> = None;
    each_pass(run, m, range, index, node, term, |v, t| {
        let better = match &best {
            None => true,
            Some((_, b)) if t.re() == b.re() => t.replaces_tie(*b, r.largest()),
            Some((_, b)) if r.largest() => t.re() > b.re(),
            Some((_, b)) => t.re() < b.re(),
        };
        if better {
            best = Some((v, t));
        }
    })?;
    match best {
        None => Err(Fault::at(node, What::Empty)),
        Some((at, _)) if r.is_position() => Ok(T::from_f64(at as f64)),
        Some((_, value)) => Ok(value),
    }
}

/// A tensor element, perturbed when it is the seeded input.
#[inline(always)]
fn load<T: Scalar>(
    run: &Run<'_, T>,
    regs: &[usize],
    tensor: u32,
    idx: &[IndexOp],
    node: ExprId,
) -> Result<T, Fault> {
    let t = &run.inputs.tensors[tensor as usize];
    let name = run.tensors[tensor as usize];
    let off = match idx {
        [i] => t.offset(&[index(regs, *i)]),
        [i, k] => t.offset(&[index(regs, *i), index(regs, *k)]),
        _ => {
            let at: Vec<usize> = idx.iter().map(|&i| index(regs, i)).collect();
            t.offset(&at)
        }
    };
    let Some(off) = off else {
        let at: Vec<usize> = idx.iter().map(|&i| index(regs, i)).collect();
        let shape = t.shape.clone();
        let what = What::Position {
            tensor: name,
            at,
            shape,
        };
        return Err(Fault::at(node, what));
    };
    Ok(seeded(run.seed, InputRef::Element(name, off), t.data[off]))
}

/// An operand of a fused product loop.
#[inline(always)]
fn operand<T: Scalar>(run: &Run<'_, T>, m: &mut Machine<T>, op: &Operand) -> Result<T, Fault> {
    match op {
        Operand::Load { tensor, idx, node } => load(run, &m.regs, *tensor, idx, *node),
        Operand::Memo { body, idx } => memo(run, m, *body, idx),
    }
}

/// The number of values an index runs over in this run.
#[inline(always)]
pub(crate) fn range_len<T>(run: &Run<'_, T>, range: Range) -> usize {
    match range {
        Range::Len { tensor, axis } => run.inputs.tensors[tensor as usize]
            .shape
            .get(axis as usize)
            .copied()
            .unwrap_or(0),
        Range::Count(n) => n,
    }
}

/// The fewest instructions in a run worth fusing into one.
const FUSE_AT_LEAST: usize = 4;

/// Fuses runs of like instructions into one that loops over them in order: consecutive
/// exponentials, and consecutive divisions by the same divisor (a softmax layer). Each
/// item computes, checks and fails exactly as its own instruction did, in the same
/// order, so a run's results and faults are unchanged; only the dispatch per item is
/// gone. Loops' bodies are fused too.
pub(crate) fn fuse(code: Vec<Instr>) -> Vec<Instr> {
    let mut out: Vec<Instr> = Vec::with_capacity(code.len());
    let mut exps: Vec<(Slot, Slot, ExprId)> = Vec::new();
    let mut divs: Vec<(Slot, Slot, ExprId)> = Vec::new();
    let mut den: Option<Factor> = None;
    // Each run ends where an instruction of another kind (or another divisor) starts.
    fn flush_exps(out: &mut Vec<Instr>, exps: &mut Vec<(Slot, Slot, ExprId)>) {
        if exps.len() >= FUSE_AT_LEAST {
            out.push(Instr::ExpMany {
                items: std::mem::take(exps).into(),
            });
        } else {
            out.extend(
                exps.drain(..)
                    .map(|(dst, src, node)| Instr::Exp { dst, src, node }),
            );
        }
    }
    fn flush_divs(
        out: &mut Vec<Instr>,
        divs: &mut Vec<(Slot, Slot, ExprId)>,
        den: &mut Option<Factor>,
    ) {
        let Some(d) = den.take() else { return };
        if divs.len() >= FUSE_AT_LEAST {
            out.push(Instr::DivMany {
                den: d,
                items: std::mem::take(divs).into(),
            });
        } else {
            out.extend(divs.drain(..).map(|(dst, num, node)| Instr::Div {
                dst,
                num,
                den: d,
                node,
            }));
        }
    }
    let same = |a: &Factor, b: &Factor| a.slot == b.slot && a.divisor == b.divisor;
    for instr in code {
        match instr {
            Instr::Exp { dst, src, node } => {
                flush_divs(&mut out, &mut divs, &mut den);
                exps.push((dst, src, node));
            }
            // A division that writes its own divisor's slot would change the divisor
            // for the rest of the run: it ends the run.
            Instr::Div {
                dst,
                num,
                den: d,
                node,
            } if dst != d.slot => {
                flush_exps(&mut out, &mut exps);
                if !den.as_ref().is_some_and(|e| same(e, &d)) {
                    flush_divs(&mut out, &mut divs, &mut den);
                    den = Some(d);
                }
                divs.push((dst, num, node));
            }
            Instr::Loop {
                dst,
                index,
                range,
                body,
                value,
                node,
                fold,
            } => {
                flush_exps(&mut out, &mut exps);
                flush_divs(&mut out, &mut divs, &mut den);
                out.push(Instr::Loop {
                    dst,
                    index,
                    range,
                    body: fuse(body.into_vec()).into(),
                    value,
                    node,
                    fold,
                });
            }
            other => {
                flush_exps(&mut out, &mut exps);
                flush_divs(&mut out, &mut divs, &mut den);
                out.push(other);
            }
        }
    }
    flush_exps(&mut out, &mut exps);
    flush_divs(&mut out, &mut divs, &mut den);
    out
}
