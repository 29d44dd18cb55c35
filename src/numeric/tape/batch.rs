//! Batched evaluation: one run of a tape over many points at once.
//!
//! A point-by-point run pays the interpreter's dispatch (matching an instruction,
//! reading its operands' slot numbers) once per instruction per point. A batched run
//! keeps the slots as structure of arrays: each slot holds a *lane* of [`LANES`]
//! values, one per point of a block, and each instruction runs over the whole lane, so
//! dispatch is paid once per block and the work of an instruction is a plain loop over
//! `f64` arrays that the compiler vectorizes (the library functions, `exp` and `ln`,
//! stay one call per value, but with nothing around them).
//!
//! Every lane does exactly the arithmetic the point-by-point run does, in the same
//! order: sums are compensated the same way (four compensated lanes past 16 terms,
//! merged as `sum_at` merges them), and a product falls back to the scaled product in
//! exactly the lanes where the point-by-point run would. So a batch's results equal the
//! point-by-point results bit for bit.
//!
//! Domain checks run on every lane too, but a fault only marks the block: the block's
//! points then run one by one on the point-by-point path, which stops at the first
//! failing point with exactly the error it always gives, and never lets a NaN reach
//! the output. Faults are rare, so the rerun costs nothing in the common case.
//!
//! Only the instructions of explicit scalar expressions have lane versions. A tape that
//! reads tensors, indices or tables (loops over axes, fused dot products, indexed
//! reads) runs point by point, with the same results and errors as a batch would give.

// The lane loops index several arrays by the same lane number, which reads more
// plainly than zipped iterators and vectorizes just as well.
#![allow(clippy::needless_range_loop)]

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::Func;
use crate::numeric::sum::{neumaier_error, scaled_product};
use crate::numeric::tape::code::{Factor, Instr, Slot};
use crate::numeric::tape::{Tape, TapeInputs};
use crate::numeric::value::format_number;

/// The number of points a block runs at once. Wide enough that dispatch is a small
/// part of an instruction's cost, narrow enough that a few hundred slots' lanes stay in
/// the first-level cache: on the cross-entropy gradient over 100 logits (about 200
/// slots), 16 lanes ran faster than 32 or 64 and as fast as 8.
pub const LANES: usize = 16;

/// One slot's values across a block.
type Lane = [f64; LANES];

impl Tape {
    /// Runs the tape at every point of `points` and writes the outputs into `out`, point
    /// after point: the outputs of `points[p]` are `out[p * n..(p + 1) * n]`, where `n`
    /// is [`Tape::outputs`]. Each value equals, bit for bit, what
    /// [`Tape::run_many_into`] gives at that point.
    ///
    /// Explicit scalar expressions run [`LANES`] points at a time, each instruction over
    /// all of them at once (see [`Tape::runs_in_lanes`]); tapes that read tensors or
    /// indices run point by point. [`Tape::run_rows`] takes the points as one array of
    /// numbers instead, which is faster still.
    ///
    /// A point that leaves a function's domain gives the error the point-by-point run
    /// gives there (the first such point in order); `out` then holds the outputs of the
    /// points before it in its block and before, and is otherwise unspecified. `out`
    /// must have room for exactly `points.len() * n` values, and every point must have
    /// been resolved by this tape's [`Tape::inputs`].
    ///
    /// ```
    /// use gauge::lower::workspace::Workspace;
    /// use gauge::numeric::Evaluate;
    /// use gauge::numeric::tape::Tape;
    ///
    /// let mut s = Workspace::new();
    /// let f = s.parse_expression("ln(x) + x*y").unwrap();
    /// let tape = Tape::compile(&mut s.pool, f).unwrap();
    /// let mut points = Vec::new();
    /// for k in 1..=3 {
    ///     let at = s.parse_bindings(&format!("x = {k}, y = 2")).unwrap();
    ///     points.push(tape.inputs(&s.pool, &at).unwrap());
    /// }
    /// let mut out = vec![0.0; 3];
    /// tape.run_batch(&points, &mut out).unwrap();
    /// assert_eq!(out[2], 3f64.ln() + 3.0 * 2.0);
    ///
    /// // A point outside the domain gives the error that point gives on its own.
    /// let at = s.parse_bindings("x = -1, y = 2").unwrap();
    /// let bad = tape.inputs(&s.pool, &at).unwrap();
    /// let err = tape.run_batch(&[points[0].clone(), bad], &mut out[..2]).unwrap_err();
    /// assert!(err.to_string().contains("logarithm"));
    /// ```
    pub fn run_batch(&self, points: &[TapeInputs], out: &mut [f64]) -> Result<()> {
        self.room(points.len(), out.len())?;
        if let Some(p) = points.iter().position(|p| !self.resolved(p)) {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("point {p} of the batch was not resolved for this tape"),
            ));
        }
        let mut slots = Vec::new();
        self.run_points(
            points.len(),
            out,
            |p| &points[p].scalars,
            |p, row| self.run_many_into(&points[p], &mut slots, row),
        )
    }

    /// Runs the tape at many points given as one array of numbers, `values`: a row per
    /// point, each row the values of the tape's scalar inputs in the order of
    /// [`Tape::scalar_names`]. The outputs are written as [`Tape::run_batch`] writes
    /// them, a row of [`Tape::outputs`] values per point, and so is the number of
    /// points: `out`'s length over the number of outputs. Values, errors and speed are
    /// those of [`Tape::run_batch`] at the same points (an error shows the point as
    /// `name = value` text, as if it had been resolved from bindings), without
    /// resolving each point first: this is the form for arrays of points (a matrix of
    /// samples, a caller's NumPy array). Only a tape whose inputs are all scalars takes
    /// its points this way.
    ///
    /// ```
    /// use gauge::lower::workspace::Workspace;
    /// use gauge::numeric::tape::Tape;
    ///
    /// let mut s = Workspace::new();
    /// let f = s.parse_expression("x/y").unwrap();
    /// let tape = Tape::compile(&mut s.pool, f).unwrap();
    /// assert_eq!(tape.scalar_names(), ["x", "y"]);
    /// let mut out = vec![0.0; 2];
    /// tape.run_rows(&[1.0, 2.0, 3.0, 4.0], &mut out).unwrap();
    /// assert_eq!(out, [0.5, 0.75]);
    /// let err = tape.run_rows(&[1.0, 2.0, 3.0, 0.0], &mut out).unwrap_err();
    /// assert!(err.to_string().contains("at x = 3, y = 0"), "{err}");
    /// ```
    pub fn run_rows(&self, values: &[f64], out: &mut [f64]) -> Result<()> {
        if !self.tensors.is_empty() || !self.free_indices.is_empty() {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "only a tape whose inputs are all scalars takes its points as rows of \
                 numbers; resolve each point with `Tape::inputs` and use `run_batch`",
            ));
        }
        let width = self.scalars.len();
        let points = out.len().checked_div(self.outputs.len()).unwrap_or(0);
        if points.checked_mul(width) != Some(values.len()) {
            return Err(Error::new(
                ErrorKind::Arity,
                format!(
                    "{points} points of {width} inputs need {} values, and there are {}",
                    points.saturating_mul(width),
                    values.len()
                ),
            ));
        }
        self.room(points, out.len())?;
        let row = |p: usize| &values[p * width..(p + 1) * width];
        let mut slots = Vec::new();
        self.run_points(points, out, row, |p, out| {
            let mut inputs = TapeInputs {
                point: String::new(),
                scalars: row(p).to_vec(),
                tensors: Vec::new(),
                indices: Vec::new(),
            };
            if self.run_many_into(&inputs, &mut slots, out).is_ok() {
                return Ok(());
            }
            // The point as `Tape::inputs` would have shown it, for the error only.
            inputs.point = self
                .scalar_names
                .iter()
                .zip(&inputs.scalars)
                .map(|(name, &v)| format!("{name} = {}", format_number(v)))
                .collect::<Vec<_>>()
                .join(", ");
            self.run_many_into(&inputs, &mut slots, out)
        })
    }

    /// The names of the tape's scalar inputs, in the order [`Tape::run_rows`] reads
    /// them from a row.
    pub fn scalar_names(&self) -> &[String] {
        &self.scalar_names
    }

    /// Whether [`Tape::run_batch`] runs this tape in lanes, [`LANES`] points at a time:
    /// whether every instruction has a lane version, which is so when the tape reads no
    /// tensor, index or table. Otherwise a batch runs point by point.
    pub fn runs_in_lanes(&self) -> bool {
        self.code.iter().all(|i| {
            matches!(
                i,
                Instr::NonZero { .. }
                    | Instr::Overflow { .. }
                    | Instr::Const { .. }
                    | Instr::Add { .. }
                    | Instr::Mul2 { .. }
                    | Instr::Div { .. }
                    | Instr::Mul { .. }
                    | Instr::Exp { .. }
                    | Instr::ExpMany { .. }
                    | Instr::DivMany { .. }
                    | Instr::PowInt { .. }
                    | Instr::PowHuge { .. }
                    | Instr::Sqrt { .. }
                    | Instr::Pow { .. }
                    | Instr::Func { .. }
            )
        })
    }

    /// An error unless `out` has room for exactly the outputs of `points` points.
    fn room(&self, points: usize, out: usize) -> Result<()> {
        let width = self.outputs.len();
        if points.checked_mul(width) == Some(out) {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::Arity,
            format!(
                "a batch of {points} points needs room for {width} outputs each, and the \
                 output has {out} values"
            ),
        ))
    }

    /// Whether `inputs` fits this tape, so that a run reads nothing out of range.
    fn resolved(&self, inputs: &TapeInputs) -> bool {
        inputs.scalars.len() == self.scalars.len()
            && inputs.tensors.len() == self.tensors.len()
            && inputs.indices.len() == self.free_indices.len()
    }

    /// Runs `points` points, whose sizes are checked: in lanes where the tape allows,
    /// reading point `p`'s scalar inputs from `scalars(p)`, and with `one(p, row)` (the
    /// point-by-point run) elsewhere and for every block where some lane faults.
    fn run_points<'a>(
        &self,
        points: usize,
        out: &mut [f64],
        scalars: impl Fn(usize) -> &'a [f64],
        mut one: impl FnMut(usize, &mut [f64]) -> Result<()>,
    ) -> Result<()> {
        let width = self.outputs.len();
        if width == 0 || points == 0 {
            return Ok(());
        }
        if !self.runs_in_lanes() {
            for (p, row) in out.chunks_mut(width).enumerate() {
                one(p, row)?;
            }
            return Ok(());
        }
        // One lane per slot, and a spare one for an instruction that reads the slot it
        // writes (see `operands`).
        let mut lanes: Vec<Lane> = vec![[0.0; LANES]; self.slots + 1];
        for (b, rows) in out.chunks_mut(LANES * width).enumerate() {
            let first = b * LANES;
            let count = rows.len() / width;
            // Point by point, each point's values in the order they are stored, so that
            // the reads stream through memory. Lanes past the last point repeat the
            // block's first, so that they compute (and fail) only where it does.
            for l in 0..LANES {
                let values = scalars(first + if l < count { l } else { 0 });
                for &(input, slot) in &self.input_slots {
                    lanes[slot as usize][l] = values[input as usize];
                }
            }
            if self.code.iter().all(|instr| step(instr, &mut lanes)) {
                // Point by point, so that the writes go to one point's outputs at a
                // time, in order.
                for (l, row) in rows.chunks_mut(width).enumerate() {
                    for (o, &s) in row.iter_mut().zip(&self.outputs) {
                        *o = lanes[s as usize][l];
                    }
                }
            } else {
                // Some lane left a domain: the point-by-point run finds the first such
                // point and words its error.
                for (l, row) in rows.chunks_mut(width).enumerate() {
                    one(first + l, row)?;
                }
            }
        }
        Ok(())
    }
}

/// The lane `dst` to write and the lanes `srcs` to read. A source that is `dst` itself
/// is first copied to the spare lane at the end, so the borrows never overlap and the
/// instruction reads the value from before its write, as the point-by-point run does.
#[inline(always)]
fn operands<const K: usize>(
    lanes: &mut [Lane],
    dst: Slot,
    mut srcs: [Slot; K],
) -> (&mut Lane, [&Lane; K]) {
    let dst = dst as usize;
    let spare = lanes.len() - 1;
    if srcs.iter().any(|&s| s as usize == dst) {
        lanes[spare] = lanes[dst];
        for s in &mut srcs {
            if *s as usize == dst {
                *s = spare as Slot;
            }
        }
    }
    let (below, rest) = lanes.split_at_mut(dst);
    let (d, above) = rest
        .split_first_mut()
        .expect("the tape's slots are all in range");
    let (below, above) = (&*below, &*above);
    let srcs = srcs.map(|s| {
        let s = s as usize;
        if s < dst {
            &below[s]
        } else {
            &above[s - dst - 1]
        }
    });
    (d, srcs)
}

/// `dst = f(src)` in every lane; whether every result is finite.
#[inline(always)]
fn map_finite(lanes: &mut [Lane], dst: Slot, src: Slot, f: impl Fn(f64) -> f64) -> bool {
    let (d, [x]) = operands(lanes, dst, [src]);
    let mut ok = true;
    for (d, &x) in d.iter_mut().zip(x.iter()) {
        let v = f(x);
        ok &= v.is_finite();
        *d = v;
    }
    ok
}

/// `dst = a / d` in every lane; whether every result is finite.
#[inline(always)]
fn divide(lanes: &mut [Lane], dst: Slot, num: Slot, den: Slot) -> bool {
    let (d, [a, b]) = operands(lanes, dst, [num, den]);
    let mut ok = true;
    for l in 0..LANES {
        let v = a[l] / b[l];
        ok &= v.is_finite();
        d[l] = v;
    }
    ok
}

/// Whether no lane of a divisor is 0.
#[inline(always)]
fn nonzero(lane: &Lane) -> bool {
    lane.iter().fold(true, |ok, &x| ok & (x != 0.0))
}

/// A compensated sum in every lane, as [`crate::numeric::sum::Compensated`] keeps it.
struct Sums {
    sum: Lane,
    compensation: Lane,
}

impl Sums {
    fn new() -> Sums {
        Sums {
            sum: [0.0; LANES],
            compensation: [0.0; LANES],
        }
    }

    #[inline(always)]
    fn add(&mut self, x: &Lane) {
        for l in 0..LANES {
            let t = self.sum[l] + x[l];
            self.compensation[l] += neumaier_error(self.sum[l], x[l], t);
            self.sum[l] = t;
        }
    }
}

/// The compensated sum of the lanes `srcs` into `dst`, exactly as `sum_at` sums each
/// point's values; whether every total is finite.
fn add(lanes: &mut [Lane], dst: Slot, srcs: &[Slot]) -> bool {
    let mut acc = Sums::new();
    if srcs.len() < 16 {
        for &s in srcs {
            acc.add(&lanes[s as usize]);
        }
    } else {
        let mut parts = [Sums::new(), Sums::new(), Sums::new(), Sums::new()];
        let chunks = srcs.chunks_exact(4);
        let rest = chunks.remainder();
        for c in chunks {
            for (part, &s) in parts.iter_mut().zip(c) {
                part.add(&lanes[s as usize]);
            }
        }
        for &s in rest {
            parts[0].add(&lanes[s as usize]);
        }
        let mut lost = [0.0; LANES];
        for part in &parts {
            acc.add(&part.sum);
            for l in 0..LANES {
                lost[l] += part.compensation[l];
            }
        }
        for l in 0..LANES {
            acc.compensation[l] += lost[l];
        }
    }
    let d = &mut lanes[dst as usize];
    let mut ok = true;
    for l in 0..LANES {
        let v = acc.sum[l] + acc.compensation[l];
        ok &= v.is_finite();
        d[l] = v;
    }
    ok
}

/// The product of `factors` in every lane, as `scaled_product` takes each point's: the
/// plain product where every partial product stays normal, the scaled one elsewhere.
fn product(lanes: &mut [Lane], dst: Slot, factors: &[Factor]) -> bool {
    for f in factors {
        if f.divisor.is_some() && !nonzero(&lanes[f.slot as usize]) {
            return false;
        }
    }
    let mut plain = [1.0; LANES];
    let mut normal = [true; LANES];
    for f in factors {
        let x = &lanes[f.slot as usize];
        if f.divisor.is_some() {
            for l in 0..LANES {
                plain[l] /= x[l];
                normal[l] &= plain[l].is_normal();
            }
        } else {
            for l in 0..LANES {
                plain[l] *= x[l];
                normal[l] &= plain[l].is_normal();
            }
        }
    }
    for l in 0..LANES {
        if !normal[l] {
            let lanes = &*lanes;
            plain[l] = scaled_product(
                factors
                    .iter()
                    .map(|f| (lanes[f.slot as usize][l], f.divisor.is_some())),
            );
        }
    }
    let ok = plain.iter().all(|v| v.is_finite());
    lanes[dst as usize] = plain;
    ok
}

/// A builtin function in every lane, with the point-by-point run's domain checks;
/// whether every lane stayed in the domain and finite.
fn func(lanes: &mut [Lane], dst: Slot, f: Func, src: Slot) -> bool {
    let inside = lanes[src as usize].iter().all(|&r| match f {
        Func::Ln => r > 0.0,
        Func::Asin | Func::Acos => (-1.0..=1.0).contains(&r),
        _ => true,
    });
    if !inside {
        return false;
    }
    // The function is chosen once per lane, not once per value: each arm calls
    // `Func::apply` with a constant, which inlines to that function alone.
    macro_rules! each {
        ($($name:ident),*) => {
            match f {
                $(Func::$name => map_finite(lanes, dst, src, |x| Func::$name.apply(x)),)*
            }
        };
    }
    each!(
        Exp, Ln, Sin, Cos, Tan, Sinh, Cosh, Tanh, Asin, Acos, Atan, Erf, Abs, Sigmoid, Softplus
    )
}

/// Runs one instruction over every lane; `false` when some lane left a domain.
fn step(instr: &Instr, lanes: &mut [Lane]) -> bool {
    match instr {
        Instr::Const { dst, value } => {
            lanes[*dst as usize] = [*value; LANES];
            true
        }
        Instr::Overflow { .. } => false,
        Instr::NonZero { src, .. } => nonzero(&lanes[*src as usize]),
        Instr::Add { dst, srcs, .. } => add(lanes, *dst, srcs),
        Instr::Mul2 { dst, a, b, .. } => {
            let (d, [a, b]) = operands(lanes, *dst, [*a, *b]);
            let mut ok = true;
            for l in 0..LANES {
                let v = a[l] * b[l];
                ok &= v.is_finite();
                d[l] = v;
            }
            ok
        }
        Instr::Div { dst, num, den, .. } => {
            (den.divisor.is_none() || nonzero(&lanes[den.slot as usize]))
                && divide(lanes, *dst, *num, den.slot)
        }
        Instr::DivMany { den, items } => {
            if den.divisor.is_some() && !nonzero(&lanes[den.slot as usize]) {
                return false;
            }
            items
                .iter()
                .all(|&(dst, num, _)| divide(lanes, dst, num, den.slot))
        }
        Instr::Mul { dst, factors, .. } => product(lanes, *dst, factors),
        Instr::Exp { dst, src, .. } => map_finite(lanes, *dst, *src, f64::exp),
        Instr::ExpMany { items } => items
            .iter()
            .all(|&(dst, src, _)| map_finite(lanes, dst, src, f64::exp)),
        Instr::PowInt { dst, src, n, .. } => {
            let n = *n;
            if n < 0 && !nonzero(&lanes[*src as usize]) {
                return false;
            }
            if n == -1 {
                map_finite(lanes, *dst, *src, |b| 1.0 / b)
            } else {
                map_finite(lanes, *dst, *src, |b| b.powi(n))
            }
        }
        Instr::PowHuge {
            dst,
            src,
            exponent,
            odd,
            ..
        } => {
            let (exponent, odd) = (*exponent, *odd);
            if exponent < 0.0 && !nonzero(&lanes[*src as usize]) {
                return false;
            }
            map_finite(lanes, *dst, *src, |b| {
                let negative = b < 0.0;
                let magnitude = if negative { -b } else { b };
                let m = magnitude.powf(exponent);
                if negative && odd { -m } else { m }
            })
        }
        Instr::Sqrt { dst, src, .. } => {
            let (d, [x]) = operands(lanes, *dst, [*src]);
            let mut ok = true;
            for l in 0..LANES {
                // A NaN fails here though the point-by-point run lets it through to
                // a NaN result; either way the block reruns point by point.
                ok &= x[l] >= 0.0;
                d[l] = x[l].sqrt();
            }
            ok
        }
        Instr::Pow {
            dst,
            src,
            exp,
            rsqrt,
            ..
        } => {
            let rsqrt = *rsqrt;
            let (d, [b, e]) = operands(lanes, *dst, [*src, *exp]);
            let mut ok = true;
            for l in 0..LANES {
                let (b, e) = (b[l], e[l]);
                let negative_base = b < 0.0 && e.fract() != 0.0;
                let zero_base = b == 0.0 && e < 0.0;
                ok &= !(negative_base || zero_base);
                // A whole power of a negative base is `powf` too (`pow_whole`).
                let v = if rsqrt { 1.0 / b.sqrt() } else { b.powf(e) };
                ok &= v.is_finite();
                d[l] = v;
            }
            ok
        }
        Instr::Func { dst, f, src, .. } => func(lanes, *dst, *f, *src),
        // `runs_in_lanes` lets no other instruction through.
        _ => false,
    }
}
