//! The in-process target: an array program run here, on `f64` arrays, with every value
//! carrying a bound on its rounding error.
//!
//! `gauge check --values` evaluates the spec's gradients at a dump's values, which for
//! a real layer means millions of components. The tape evaluates a formula one
//! component at a time; this runs the same formula as whole-array operations, as the
//! generated NumPy does: an elementwise operation is one pass over its arrays, and a
//! sum of products ([`Op::Contract`]) is a matrix product through `ndarray`'s
//! `general_mat_mul` (the `matrixmultiply` kernels), batched over the axes both
//! operands keep.
//!
//! Each real array has an error array beside it, in units of the unit roundoff: the
//! running error analysis of [`Rounding`], applied element by element, so that an
//! elementwise operation here bounds exactly what the same operation on `Rounding`
//! scalars bounds. Inputs are exact (no error array). A contraction's bound is written
//! as matrix products too (see `contract.rs`): the operands' errors carried
//! through, plus the products' and the summation's own rounding, the latter as a
//! pairwise sum (`ceil(log2 K)` roundings of the sum of magnitudes), which is how
//! array libraries sum.
//!
//! A value outside a function's domain is a NaN in its component, not an error: a
//! component the formula does not define has no reference, and the caller looks at it
//! another way. Labels out of range are an error.
//!
//! May import what `codegen` may import, and `numeric` (the `Rounding` scalar).

use std::borrow::Cow;

use crate::codegen::contract::contract;
use crate::codegen::ir::{At, Dim, Fold, Length, Op, Program, Tmp};
use crate::codegen::tail::Tail;
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::Symbol;
use crate::numeric::bounds::Rounding;
use crate::numeric::elements::View;
use crate::numeric::scalar::Scalar;

/// An argument's value.
#[derive(Clone, Copy, Debug)]
pub enum ArgValue<'a> {
    /// A number, or a label (a whole number).
    Scalar(f64),
    /// An array, row-major; an array of labels holds whole numbers.
    Tensor {
        /// The length of each axis.
        shape: &'a [usize],
        /// The elements, last axis fastest: `f64`s, or floats still in a dump
        /// file's bytes, which are converted where they are read.
        data: View<'a>,
    },
}

/// An array of values with their rounding bounds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bounded {
    /// The values, last axis fastest.
    pub value: Vec<f64>,
    /// For each value, the bound on its rounding error in units of the unit roundoff.
    pub error: Vec<f64>,
}

/// A program's results.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    /// The value, with its rounding bound.
    pub value: Rounding,
    /// Each gradient, with the argument's shape.
    pub grads: Vec<Bounded>,
}

/// A real array: its shape (one length per axis of its instruction), its values and
/// their error bounds (none when exact).
#[derive(Clone, Debug)]
pub(crate) struct Real<'a> {
    pub(crate) shape: Vec<usize>,
    pub(crate) val: Cow<'a, [f64]>,
    pub(crate) err: Option<Cow<'a, [f64]>>,
    /// An input whose elements are still in a dump file's bytes (a layer's weights,
    /// read in place): `val` is then empty, and the elements are read through
    /// [`Real::at`], a block at a time by a contraction.
    pub(crate) stored: Option<View<'a>>,
}

impl<'a> Real<'a> {
    /// An array of values and their errors, held in memory.
    pub(crate) fn new(
        shape: Vec<usize>,
        val: Cow<'a, [f64]>,
        err: Option<Cow<'a, [f64]>>,
    ) -> Real<'a> {
        Real {
            shape,
            val,
            err,
            stored: None,
        }
    }

    /// The element at `k` as a bounded number.
    #[inline]
    pub(crate) fn at(&self, k: usize) -> Rounding {
        Rounding {
            value: match self.stored {
                Some(v) => v.get(k),
                None => self.val[k],
            },
            error: self.err.as_ref().map_or(0.0, |e| e[k]),
        }
    }

    /// How many elements it has.
    pub(crate) fn len(&self) -> usize {
        match self.stored {
            Some(_) => self.shape.iter().product(),
            None => self.val.len(),
        }
    }
}

/// What an instruction's result holds.
#[derive(Clone, Debug)]
pub(super) enum Slot<'a> {
    /// Not computed yet, or freed after its last read.
    Empty,
    /// Real numbers.
    Real(Real<'a>),
    /// Positions, with the shape.
    Int(Vec<usize>, Vec<usize>),
}

/// The row-major strides of `shape`.
pub(crate) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut st = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        st[k] = st[k + 1] * shape[k + 1];
    }
    st
}

/// The strides of an array with axes `axes` and shape `shape`, along the axes `of`: its
/// own stride where it has the axis, 0 (broadcast) where it does not.
pub(crate) fn strides_along(axes: &[Dim], shape: &[usize], of: &[Dim]) -> Vec<usize> {
    let own = strides(shape);
    of.iter()
        .map(|d| {
            axes.iter()
                .position(|a| a.axis == d.axis)
                .map_or(0, |k| own[k])
        })
        .collect()
}

/// Calls `row(bases)` once for each row of `shape` (each position of every axis but
/// the last), with each stride set's offset of the row's first element; the caller
/// walks the last axis, of length [`last`]`(shape)`, by each set's last stride. The
/// rows come in row-major order.
pub(crate) fn for_rows(shape: &[usize], sets: &[&[usize]], mut row: impl FnMut(&[usize])) {
    let n = sets.len();
    let mut bases = vec![0usize; n];
    if shape.contains(&0) {
        return;
    }
    if shape.len() <= 1 {
        row(&bases);
        return;
    }
    let outer = &shape[..shape.len() - 1];
    let mut pos = vec![0usize; outer.len()];
    loop {
        row(&bases);
        // The odometer: the last outer axis fastest.
        let mut k = outer.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            pos[k] += 1;
            for (b, s) in bases.iter_mut().zip(sets) {
                *b += s[k];
            }
            if pos[k] < outer[k] {
                break;
            }
            for (b, s) in bases.iter_mut().zip(sets) {
                *b -= s[k] * outer[k];
            }
            pos[k] = 0;
        }
    }
}

/// The length of the last axis (1 for a scalar).
pub(crate) fn last(shape: &[usize]) -> usize {
    shape.last().copied().unwrap_or(1)
}

/// The stride along the last axis in a set (0 for a scalar).
pub(crate) fn last_stride(set: &[usize]) -> usize {
    set.last().copied().unwrap_or(0)
}

/// A program being run.
pub(super) struct Machine<'p, 'a> {
    pub(super) prog: &'p Program,
    pub(super) args: &'p [ArgValue<'a>],
    pub(super) slots: Vec<Slot<'a>>,
    /// For each stored array, the instruction that reads it last (`usize::MAX` for a
    /// result): an operand read for the last time may be overwritten in place.
    pub(super) last_read: Vec<usize>,
    /// The order of the axes each result is stored in (see [`layouts`]).
    pub(super) layout: Vec<Vec<Dim>>,
    /// For a machine that computes a block of a gradient (see `tail.rs`): the axis
    /// the block is cut along, and the block's length on it.
    pub(super) block: Option<(Symbol, usize)>,
}

/// Runs `prog` at `args` (one per argument of the program, in order).
pub fn run(prog: &Program, args: &[ArgValue<'_>]) -> Result<Results> {
    let none = vec![false; prog.grads.len()];
    run_blocks(prog, args, &none, &|_, _, _, _| ()).map(|(r, _)| r)
}

/// What takes a streamed gradient's blocks: `(gradient, start, values, errors)`.
pub type PerBlock<'f, B> = dyn Fn(usize, usize, &[f64], &[f64]) -> B + Sync + 'f;

/// Runs `prog` at `args` as [`run`] does, except that each gradient `k` with
/// `stream[k]` set is handed to `per_block` a block at a time, as
/// `per_block(k, start, values, errors)` for the components from `start` on, instead of
/// being returned whole (its place in [`Results::grads`] is left empty). Where the
/// arithmetic that ends in such a gradient allows, it is computed a block at a time
/// too, on two threads (see `tail.rs`), so that a layer's gradient never exists
/// whole; otherwise it is computed whole and then handed over in blocks. Returns the
/// results and, per gradient, `per_block`'s results in the order of the blocks.
pub fn run_blocks<B: Send>(
    prog: &Program,
    args: &[ArgValue<'_>],
    stream: &[bool],
    per_block: &PerBlock<'_, B>,
) -> Result<(Results, Vec<Vec<B>>)> {
    if args.len() != prog.args.len() {
        return Err(Error::new(
            ErrorKind::Binding,
            format!(
                "the program takes {} arguments, {} given",
                prog.args.len(),
                args.len()
            ),
        ));
    }
    let live = prog.live();
    let mut last_read = last_reads(prog);
    let layout = layouts(prog);
    let tails: Vec<Option<Tail>> = prog
        .grads
        .iter()
        .enumerate()
        .map(|(k, &g)| {
            if stream.get(k).copied().unwrap_or(false) {
                Tail::find(prog, &last_read, &layout, g)
            } else {
                None
            }
        })
        .collect();
    let mut in_tail = vec![false; prog.instrs.len()];
    for t in tails.iter().flatten() {
        for &k in &t.members {
            in_tail[k] = true;
        }
        // What a tail reads from outside is read when the tail runs, at its end.
        for &s in &t.outside {
            last_read[s] = last_read[s].max(t.output());
        }
    }
    let mut m = Machine {
        prog,
        args,
        slots: vec![Slot::Empty; prog.instrs.len()],
        last_read: last_read.clone(),
        layout,
        block: None,
    };
    let mut blocks: Vec<Vec<B>> = (0..prog.grads.len()).map(|_| Vec::new()).collect();
    for (k, ins) in prog.instrs.iter().enumerate() {
        if !live[k] {
            continue;
        }
        if in_tail[k] {
            // A tail runs whole at its last instruction (the gradient's output);
            // the operands it reads from outside stay until then.
            if let Some((g, tail)) = tails
                .iter()
                .enumerate()
                .find_map(|(g, t)| t.as_ref().filter(|t| t.output() == k).map(|t| (g, t)))
            {
                blocks[g] = tail.run(&m, &|start, v, e| per_block(g, start, v, e))?;
                for &s in &tail.outside {
                    if tail.members.contains(&last_read[s]) {
                        m.slots[s] = Slot::Empty;
                    }
                }
            }
            continue;
        }
        let slot = m.instr(Tmp(k))?;
        m.slots[k] = slot;
        for o in ins.op.operands() {
            let s = prog.storage(o).0;
            if last_read[s] == k {
                m.slots[s] = Slot::Empty;
            }
        }
    }
    let value = m.real(prog.value)?.at(0);
    let mut grads = Vec::with_capacity(prog.grads.len());
    for (k, &g) in prog.grads.iter().enumerate() {
        if tails[k].is_some() {
            grads.push(Bounded::default());
            continue;
        }
        let s = prog.storage(g).0;
        let Slot::Real(r) = std::mem::replace(&mut m.slots[s], Slot::Empty) else {
            return Err(internal("a gradient is not a real array"));
        };
        let n = r.val.len();
        let b = Bounded {
            value: r.val.into_owned(),
            error: r.err.map_or_else(|| vec![0.0; n], Cow::into_owned),
        };
        if stream.get(k).copied().unwrap_or(false) {
            // Computed whole, handed over in blocks all the same.
            let mut start = 0;
            while start < n {
                let end = (start + STREAM_BLOCK).min(n);
                blocks[k].push(per_block(
                    k,
                    start,
                    &b.value[start..end],
                    &b.error[start..end],
                ));
                start = end;
            }
            grads.push(Bounded::default());
        } else {
            grads.push(b);
        }
    }
    Ok((Results { value, grads }, blocks))
}

/// For each stored array, the instruction that reads it last (`usize::MAX` for the
/// value and the gradients). Each array is freed after its last read, so that a long
/// program holds only what is still to be read.
fn last_reads(prog: &Program) -> Vec<usize> {
    let live = prog.live();
    let mut last_read = vec![usize::MAX; prog.instrs.len()];
    for (k, ins) in prog.instrs.iter().enumerate() {
        if live[k] {
            for o in ins.op.operands() {
                last_read[prog.storage(o).0] = k;
            }
        }
    }
    for t in prog.grads.iter().chain([&prog.value]) {
        last_read[prog.storage(*t).0] = usize::MAX;
    }
    last_read
}

/// Whether gradient `k` of `prog`, when streamed by [`run_blocks`], is computed a
/// block at a time (the arithmetic that ends in it is its own), rather than whole and
/// then handed over in blocks.
pub fn computed_in_blocks(prog: &Program, k: usize) -> bool {
    prog.grads
        .get(k)
        .is_some_and(|&g| Tail::find(prog, &last_reads(prog), &layouts(prog), g).is_some())
}

/// About how many components a block of a streamed gradient holds.
pub(super) const STREAM_BLOCK: usize = 1 << 16;

/// The order of the axes each instruction's result is stored in. An instruction's
/// axes are read by name everywhere but in two places: a renaming ([`Op::Relabel`])
/// and a gather's positions ([`Op::Gather`]) go by the operand's order. Every other
/// result is free to take any order, and a gradient's arithmetic takes the order of the
/// gradient it ends in, so that the contraction writes it in place and nothing is
/// transposed after (a layer's weight gradient comes out of its contraction in the
/// order the operands give, often the transpose of the weight's).
pub(super) fn layouts(prog: &Program) -> Vec<Vec<Dim>> {
    let mut layout: Vec<Vec<Dim>> = prog.instrs.iter().map(|i| i.axes.clone()).collect();
    let mut fixed = vec![false; prog.instrs.len()];
    for ins in &prog.instrs {
        match &ins.op {
            Op::Relabel(x) | Op::Gather(x, _) => fixed[x.0] = true,
            _ => {}
        }
    }
    let free = Op::is_arithmetic;
    for &g in &prog.grads {
        let Op::Output(x) = prog.instr(g).op else {
            continue;
        };
        let order = &prog.instr(g).axes;
        let mut stack = vec![x];
        while let Some(y) = stack.pop() {
            let ins = prog.instr(y);
            let same_set = ins.axes.len() == order.len()
                && order
                    .iter()
                    .all(|d| ins.axes.iter().any(|a| a.axis == d.axis));
            if fixed[y.0] || !free(&ins.op) || !same_set {
                continue;
            }
            layout[y.0] = order
                .iter()
                .map(|d| *ins.axes.iter().find(|a| a.axis == d.axis).unwrap_or(d))
                .collect();
            if !matches!(ins.op, Op::Contract(_)) {
                stack.extend(ins.op.operands());
            }
        }
    }
    layout
}

/// An error that a well-formed program never gives.
pub(super) fn internal(what: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("the array evaluator met a malformed program: {what}"),
    )
}

impl<'a> Machine<'_, 'a> {
    /// The length of an axis.
    fn len(&self, l: Length) -> Result<usize> {
        match l {
            Length::Lit(n) => Ok(n),
            Length::Input { arg, axis } => match self.args.get(arg) {
                Some(ArgValue::Tensor { shape, .. }) => shape
                    .get(axis)
                    .copied()
                    .ok_or_else(|| internal("an axis beyond an argument's rank")),
                _ => Err(internal("the length of a scalar argument")),
            },
        }
    }

    /// The shape of an instruction's result (with the block's length on the axis a
    /// block is cut along).
    pub(super) fn shape(&self, axes: &[Dim]) -> Result<Vec<usize>> {
        axes.iter()
            .map(|d| match self.block {
                Some((a, n)) if a == d.axis => Ok(n),
                _ => self.len(d.len),
            })
            .collect()
    }

    /// The real array `t` holds.
    pub(super) fn real(&self, t: Tmp) -> Result<&Real<'a>> {
        match &self.slots[self.prog.storage(t).0] {
            Slot::Real(r) => Ok(r),
            _ => Err(internal("a real operand that is not real")),
        }
    }

    /// The positions `t` holds, with the shape.
    fn ints(&self, t: Tmp) -> Result<(&[usize], &[usize])> {
        match &self.slots[self.prog.storage(t).0] {
            Slot::Int(v, s) => Ok((v, s)),
            _ => Err(internal("a position operand that is not positions")),
        }
    }

    /// The axes of `t`.
    fn axes(&self, t: Tmp) -> &[Dim] {
        &self.layout[t.0]
    }

    /// Computes instruction `t` from its operands' slots.
    pub(super) fn instr(&mut self, t: Tmp) -> Result<Slot<'a>> {
        let ins = self.prog.instr(t);
        let layout = self.layout[t.0].clone();
        let shape = self.shape(&layout)?;
        let exact = |v: Vec<f64>| Slot::Real(Real::new(shape.clone(), Cow::Owned(v), None));
        Ok(match &ins.op {
            Op::Input(k) => self.input(*k, ins.int, shape.clone())?,
            Op::Const(v) => exact(vec![*v]),
            Op::IntConst(n) => Slot::Int(vec![*n], Vec::new()),
            Op::Length(l) => exact(vec![self.len(*l)? as f64]),
            Op::Arange => Slot::Int((0..shape[0]).collect(), shape.clone()),
            Op::Add(xs) => self.fold_map(t, xs, true, Rounding::add)?,
            Op::Mul(xs) => self.fold_map(t, xs, true, Rounding::mul)?,
            Op::Sub(x, y) => self.fold_map(t, &[*x, *y], false, Rounding::sub)?,
            Op::Recip(x) => self.map(t, *x, |a| Rounding::from_f64(1.0).div(a))?,
            Op::Powi(x, n) => {
                let n = *n;
                self.map(t, *x, move |a| a.powi(n))?
            }
            Op::Powf(x, e) => {
                let e = Rounding::from_f64(*e);
                self.map(t, *x, move |a| a.pow(e))?
            }
            Op::Pow(x, y) => self.fold_map(t, &[*x, *y], false, Rounding::pow)?,
            Op::Sqrt(x) => self.map(t, *x, Rounding::sqrt)?,
            Op::Func(f, x) => {
                let f = *f;
                self.map(t, *x, move |a| a.apply(f))?
            }
            Op::Eq(x, y) => {
                let (a, sa) = self.int_strides(*x, &layout)?;
                let (b, sb) = self.int_strides(*y, &layout)?;
                let mut out = Vec::with_capacity(shape.iter().product());
                let n = last(&shape);
                let (la, lb) = (last_stride(&sa), last_stride(&sb));
                for_rows(&shape, &[&sa, &sb], |bases| {
                    for i in 0..n {
                        let eq = a[bases[0] + i * la] == b[bases[1] + i * lb];
                        out.push(if eq { 1.0 } else { 0.0 });
                    }
                });
                exact(out)
            }
            Op::Float(x) => {
                let (a, sa) = self.int_strides(*x, &layout)?;
                let mut out = Vec::with_capacity(shape.iter().product());
                let n = last(&shape);
                let la = last_stride(&sa);
                for_rows(&shape, &[&sa], |bases| {
                    out.extend((0..n).map(|i| a[bases[0] + i * la] as f64));
                });
                exact(out)
            }
            Op::Fold(f, x, axis) => self.fold(t, *f, *x, *axis)?,
            Op::Contract(xs) => {
                let operands: Result<Vec<(&[Dim], &Real<'_>)>> = xs
                    .iter()
                    .map(|&x| Ok((self.axes(x), self.real(x)?)))
                    .collect();
                let r = contract(&operands?, &layout, &shape)?;
                Slot::Real(r)
            }
            Op::Gather(src, ats) => self.gather(t, *src, ats)?,
            // A renaming shares its operand's storage (`Program::storage`).
            Op::Relabel(_) => Slot::Empty,
            Op::AddAt {
                base,
                axis,
                pos,
                coef,
            } => self.add_at(t, *base, *axis, *pos, *coef)?,
            Op::Output(x) => match self.reusable(t, *x) {
                Some(r) => Slot::Real(r),
                None => self.map(t, *x, |a| a)?,
            },
        })
    }

    /// Argument `k`, as numbers or as positions.
    fn input(&self, k: usize, int: bool, shape: Vec<usize>) -> Result<Slot<'a>> {
        let data: View<'a> = match self.args[k] {
            ArgValue::Scalar(_) => View::Decoded(&[]),
            ArgValue::Tensor { data, .. } => data,
        };
        let scalar = match self.args[k] {
            ArgValue::Scalar(v) => Some(v),
            ArgValue::Tensor { .. } => None,
        };
        if int {
            let to_pos = |v: f64| {
                if v >= 0.0 && v.fract() == 0.0 && v < usize::MAX as f64 {
                    Ok(v as usize)
                } else {
                    Err(Error::new(
                        ErrorKind::Binding,
                        format!(
                            "`{}` holds {v}, which is no position (a whole number from 0)",
                            self.prog.args[k].name
                        ),
                    ))
                }
            };
            let v: Result<Vec<usize>> = match scalar {
                Some(v) => vec![v].into_iter().map(to_pos).collect(),
                None => (0..data.len()).map(|j| to_pos(data.get(j))).collect(),
            };
            return Ok(Slot::Int(v?, shape));
        }
        Ok(Slot::Real(match (scalar, data) {
            (Some(v), _) => Real::new(shape, Cow::Owned(vec![v]), None),
            (None, View::Decoded(d)) => Real::new(shape, Cow::Borrowed(d), None),
            (None, raw) => Real {
                shape,
                val: Cow::Borrowed(&[]),
                err: None,
                stored: Some(raw),
            },
        }))
    }

    /// The positions of `t`, with its strides along `of`.
    fn int_strides(&self, t: Tmp, of: &[Dim]) -> Result<(&[usize], Vec<usize>)> {
        let (v, shape) = self.ints(t)?;
        Ok((v, strides_along(self.axes(t), shape, of)))
    }

    /// The operand `x` itself, taken out of its slot, when instruction `t` reads it
    /// for the last time, it has `t`'s axes in `t`'s order, and its values are its
    /// own: `t` may then write its result over it instead of into fresh memory (which
    /// for a layer's gradient is hundreds of megabytes).
    fn reusable(&mut self, t: Tmp, x: Tmp) -> Option<Real<'a>> {
        let s = self.prog.storage(x).0;
        // The same axes in the same order; their lengths may be named by different
        // arguments' axes, which the data makes equal.
        let (xa, ta) = (self.axes(x), self.axes(t));
        let same_axes = xa.len() == ta.len() && xa.iter().zip(ta).all(|(p, q)| p.axis == q.axis);
        let owned = matches!(&self.slots[s], Slot::Real(r) if matches!(r.val, Cow::Owned(_)));
        let operands = self.prog.instr(t).op.operands();
        let once = operands
            .iter()
            .filter(|&&o| self.prog.storage(o).0 == s)
            .count()
            == 1;
        if self.last_read[s] != t.0 || !same_axes || !owned || !once {
            return None;
        }
        match std::mem::replace(&mut self.slots[s], Slot::Empty) {
            Slot::Real(r) => Some(r),
            other => {
                self.slots[s] = other;
                None
            }
        }
    }

    /// `f` of one operand, element by element, broadcast to `t`'s axes.
    fn map(&mut self, t: Tmp, x: Tmp, f: impl Fn(Rounding) -> Rounding) -> Result<Slot<'a>> {
        if let Some(mut r) = self.reusable(t, x) {
            let val = r.val.to_mut();
            let err = r
                .err
                .get_or_insert_with(|| Cow::Owned(vec![0.0; val.len()]))
                .to_mut();
            for (v, e) in val.iter_mut().zip(err.iter_mut()) {
                let y = f(Rounding {
                    value: *v,
                    error: *e,
                });
                (*v, *e) = (y.value, y.error);
            }
            return Ok(Slot::Real(r));
        }
        let axes = &self.layout[t.0];
        let shape = self.shape(axes)?;
        let a = self.real(x)?;
        let sa = strides_along(self.axes(x), &a.shape, axes);
        let total: usize = shape.iter().product();
        let (mut val, mut err) = (Vec::with_capacity(total), Vec::with_capacity(total));
        let n = last(&shape);
        let la = last_stride(&sa);
        for_rows(&shape, &[&sa], |b| {
            for i in 0..n {
                let r = f(a.at(b[0] + i * la));
                val.push(r.value);
                err.push(r.error);
            }
        });
        let exact = a.err.is_none() && err.iter().all(|&e| e == 0.0);
        Ok(Slot::Real(Real::new(
            shape,
            Cow::Owned(val),
            (!exact).then_some(Cow::Owned(err)),
        )))
    }

    /// `f` folded over the operands from the left, element by element, broadcast to
    /// `t`'s axes: `((x0 f x1) f x2)...`, as the scalar arithmetic groups them. When
    /// `f` commutes (a sum, a product), the fold may start from any operand, and one
    /// read for the last time is overwritten in place.
    fn fold_map(
        &mut self,
        t: Tmp,
        xs: &[Tmp],
        commutes: bool,
        f: impl Fn(Rounding, Rounding) -> Rounding,
    ) -> Result<Slot<'a>> {
        let axes = self.layout[t.0].clone();
        let shape = self.shape(&axes)?;
        let total: usize = shape.iter().product();
        if xs.is_empty() {
            return Err(internal("an operation without operands"));
        }
        let candidates: Vec<usize> = if commutes {
            (0..xs.len()).collect()
        } else {
            vec![0]
        };
        let mut start = None;
        for k in candidates {
            if let Some(r) = self.reusable(t, xs[k]) {
                start = Some((k, r));
                break;
            }
        }
        let (first, mut acc) = match start {
            Some((k, mut r)) => {
                let n = r.val.len();
                r.err.get_or_insert_with(|| Cow::Owned(vec![0.0; n]));
                (k, r)
            }
            None => {
                let a = self.real(xs[0])?;
                let sa = strides_along(self.axes(xs[0]), &a.shape, &axes);
                let (mut val, mut err) = (Vec::with_capacity(total), Vec::with_capacity(total));
                let n = last(&shape);
                let la = last_stride(&sa);
                for_rows(&shape, &[&sa], |b| {
                    for i in 0..n {
                        let x = a.at(b[0] + i * la);
                        val.push(x.value);
                        err.push(x.error);
                    }
                });
                let r = Real::new(shape.clone(), Cow::Owned(val), Some(Cow::Owned(err)));
                (0, r)
            }
        };
        {
            let val = acc.val.to_mut();
            let Some(err) = acc.err.as_mut().map(|e| e.to_mut()) else {
                return Err(internal("an accumulator without errors"));
            };
            for (j, &x) in xs.iter().enumerate() {
                if j == first {
                    continue;
                }
                let b = self.real(x)?;
                let sb = strides_along(self.axes(x), &b.shape, &axes);
                let lb = last_stride(&sb);
                let n = last(&shape);
                let mut k = 0;
                for_rows(&shape, &[&sb], |base| {
                    let (vs, es) = (&mut val[k..k + n], &mut err[k..k + n]);
                    if lb == 0 {
                        // The same operand along the row (a scalar, a broadcast
                        // axis): read once.
                        let x = b.at(base[0]);
                        for (v, e) in vs.iter_mut().zip(es.iter_mut()) {
                            let y = f(
                                Rounding {
                                    value: *v,
                                    error: *e,
                                },
                                x,
                            );
                            (*v, *e) = (y.value, y.error);
                        }
                    } else {
                        for (i, (v, e)) in vs.iter_mut().zip(es.iter_mut()).enumerate() {
                            let y = f(
                                Rounding {
                                    value: *v,
                                    error: *e,
                                },
                                b.at(base[0] + i * lb),
                            );
                            (*v, *e) = (y.value, y.error);
                        }
                    }
                    k += n;
                });
            }
        }
        Ok(Slot::Real(acc))
    }

    /// A reduction of `x` over `axis`: the largest or smallest value (with its error),
    /// or its position.
    fn fold(
        &self,
        t: Tmp,
        fold: Fold,
        x: Tmp,
        axis: crate::expr::node::Symbol,
    ) -> Result<Slot<'a>> {
        let axes = &self.layout[t.0];
        let shape = self.shape(axes)?;
        let a = self.real(x)?;
        let xaxes = self.axes(x);
        let own = strides(&a.shape);
        let (len, step) = match xaxes.iter().position(|d| d.axis == axis) {
            Some(k) => (a.shape[k], own[k]),
            None => (1, 0),
        };
        let sa = strides_along(xaxes, &a.shape, axes);
        let n = last(&shape);
        let la = last_stride(&sa);
        let largest = matches!(fold, Fold::Max { .. } | Fold::ArgMax);
        let mut best: Vec<Rounding> = Vec::with_capacity(shape.iter().product());
        let mut at: Vec<usize> = Vec::with_capacity(best.capacity());
        for_rows(&shape, &[&sa], |b| {
            for i in 0..n {
                let base = b[0] + i * la;
                let (mut held, mut pos) = (a.at(base), 0);
                for j in 1..len {
                    let v = a.at(base + j * step);
                    // The first of equal values stays, as `argmax` names it.
                    let better = if largest {
                        v.value > held.value
                    } else {
                        v.value < held.value
                    };
                    if better || held.value.is_nan() {
                        (held, pos) = (v, j);
                    }
                }
                best.push(held);
                at.push(pos);
            }
        });
        Ok(match fold {
            Fold::ArgMax | Fold::ArgMin => Slot::Int(at, shape),
            Fold::Max { .. } | Fold::Min => {
                let exact = a.err.is_none();
                Slot::Real(Real::new(
                    shape,
                    Cow::Owned(best.iter().map(|r| r.value).collect()),
                    (!exact).then(|| Cow::Owned(best.iter().map(|r| r.error).collect())),
                ))
            }
        })
    }

    /// Elements of `src`, read at `ats` (one per axis of it) for each position of
    /// `t`'s axes.
    fn gather(&self, t: Tmp, src: Tmp, ats: &[At]) -> Result<Slot<'a>> {
        let axes = &self.layout[t.0];
        let shape = self.shape(axes)?;
        let src_shape: Vec<usize> = match &self.slots[self.prog.storage(src).0] {
            Slot::Real(r) => r.shape.clone(),
            Slot::Int(_, s) => s.clone(),
            Slot::Empty => return Err(internal("a gather from nothing")),
        };
        let own = strides(&src_shape);
        // The offset is linear in the result's own axes, plus a position read from an
        // integer array (times its stride) for each axis read at labels.
        let mut linear = vec![0usize; axes.len()];
        let mut fixed = 0usize;
        let mut labelled: Vec<(&[usize], Vec<usize>, usize, usize)> = Vec::new();
        for (k, at) in ats.iter().enumerate() {
            let (Some(&st), Some(&len)) = (own.get(k), src_shape.get(k)) else {
                return Err(internal("a gather with more positions than axes"));
            };
            match *at {
                At::Axis(d) => {
                    if let Some(r) = axes.iter().position(|a| a.axis == d.axis) {
                        linear[r] += st;
                    }
                }
                At::Lit(p) => {
                    if p >= len {
                        return Err(out_of_range(p, len));
                    }
                    fixed += p * st;
                }
                At::Int(i) => {
                    let (v, s) = self.int_strides(i, axes)?;
                    labelled.push((v, s, st, len));
                }
            }
        }
        let mut sets: Vec<&[usize]> = vec![&linear];
        sets.extend(labelled.iter().map(|l| l.1.as_slice()));
        let n = last(&shape);
        let ll = last_stride(&linear);
        let total: usize = shape.iter().product();
        let mut offsets = Vec::with_capacity(total);
        let mut bad = None;
        for_rows(&shape, &sets, |b| {
            for i in 0..n {
                let mut off = fixed + b[0] + i * ll;
                for (j, (v, s, st, len)) in labelled.iter().enumerate() {
                    let p = v[b[j + 1] + i * last_stride(s)];
                    if p >= *len {
                        bad = Some((p, *len));
                    }
                    off += p * st;
                }
                offsets.push(off);
            }
        });
        if let Some((p, len)) = bad {
            return Err(out_of_range(p, len));
        }
        Ok(match &self.slots[self.prog.storage(src).0] {
            Slot::Int(v, _) => Slot::Int(offsets.iter().map(|&o| v[o]).collect(), shape),
            Slot::Real(r) => Slot::Real(Real::new(
                shape,
                Cow::Owned(offsets.iter().map(|&o| r.at(o).value).collect()),
                r.err
                    .as_ref()
                    .map(|e| Cow::Owned(offsets.iter().map(|&o| e[o]).collect())),
            )),
            Slot::Empty => return Err(internal("a gather from nothing")),
        })
    }

    /// `base` with `coef` added where `axis` is at the position `pos` holds.
    fn add_at(
        &mut self,
        t: Tmp,
        base: Tmp,
        axis: crate::expr::node::Symbol,
        pos: Tmp,
        coef: Tmp,
    ) -> Result<Slot<'a>> {
        let axes = self.layout[t.0].clone();
        let axes = &axes;
        let Slot::Real(mut out) = self.map(t, base, |a| a)? else {
            return Err(internal("an update of positions"));
        };
        let c = self.real(coef)?.at(0);
        let Some(k) = axes.iter().position(|d| d.axis == axis) else {
            return Err(internal("an update along an axis the result lacks"));
        };
        let own = strides(&out.shape);
        let len = out.shape[k];
        // Every position of the other axes: the result's shape with `axis` of length 1.
        let mut others = out.shape.clone();
        others[k] = 1;
        let (p, sp) = self.int_strides(pos, axes)?;
        let mut sp = sp;
        sp[k] = 0;
        let mut so = own.clone();
        so[k] = 0;
        let n = last(&others);
        let (lo, lp) = (last_stride(&so), last_stride(&sp));
        let mut updates = Vec::new();
        for_rows(&others, &[&so, &sp], |b| {
            for i in 0..n {
                updates.push((b[0] + i * lo, p[b[1] + i * lp]));
            }
        });
        let val = out.val.to_mut();
        let err = out
            .err
            .get_or_insert_with(|| Cow::Owned(vec![0.0; val.len()]))
            .to_mut();
        for (o, p) in updates {
            if p >= len {
                return Err(out_of_range(p, len));
            }
            let at = o + p * own[k];
            let r = Rounding {
                value: val[at],
                error: err[at],
            }
            .add(c);
            val[at] = r.value;
            err[at] = r.error;
        }
        Ok(Slot::Real(out))
    }
}

/// A label beyond its axis.
fn out_of_range(p: usize, len: usize) -> Error {
    Error::new(
        ErrorKind::Binding,
        format!("a label is {p}, but the axis it indexes has length {len}"),
    )
    .with_hint("labels run from 0 to the number of classes minus 1")
}
