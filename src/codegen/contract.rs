//! Sums of products ([`Op::Contract`](super::ir::Op::Contract)) for the in-process
//! target, as matrix products.
//!
//! Several operands are contracted two at a time, the pair with the smallest result
//! first (as `einsum` paths do). A pair's axes fall into four groups: the *batch*
//! axes both keep, the *summed* axes both have, and the axes only one of them has (its
//! rows or its columns). Each batch position is then one matrix product, through
//! `ndarray`'s `general_mat_mul`, which reads strided operands in place: an operand is
//! copied only when a group of its axes is not one stride apart. An axis only one
//! operand has and nothing keeps is summed out of it first.
//!
//! The rounding bound of `C = sum_k A_k B_k`, in units of the unit roundoff, is
//! `sum_k (|A_k| eB_k + eA_k |B_k|) + c sum_k |A_k B_k|` with `c = 1 + ceil(log2 K)`:
//! the operands' errors carried through the products, each product's own rounding,
//! and the rounding of a pairwise sum of K terms. Written as `|A| (eB + c|B|) + eA |B|`,
//! it is matrix products too, and an exact operand (an input) saves one of them.
//! Small products (a few hundred multiplications per batch position) run as plain
//! loops with the same formula.

use std::borrow::Cow;

use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder};

use crate::codegen::exec::{Real, for_rows, last, last_stride, strides, strides_along};
use crate::codegen::ir::Dim;
use crate::diag::error::{Error, ErrorKind, Result};

/// Below this many multiply-adds per batch position, a pair is contracted by loops.
const LOOP_WORK: usize = 512;

/// From this many multiply-adds, a pair's values and bound are computed on two
/// threads.
const PARALLEL_WORK: usize = 1 << 22;

/// An operand: its axes and its array, borrowed or made here.
struct Term<'r> {
    axes: Vec<Dim>,
    held: Held<'r>,
}

/// An operand's array, borrowed or made here.
enum Held<'r> {
    Ref(&'r Real<'r>),
    Own(Real<'static>),
}

impl Term<'_> {
    /// The array.
    fn real(&self) -> &Real<'_> {
        match &self.held {
            Held::Ref(r) => r,
            Held::Own(r) => r,
        }
    }
}

/// The sum over every axis not in `out` of the product of `ops`, with `out`'s axes
/// (of lengths `shape`) in order.
pub(crate) fn contract(
    ops: &[(&[Dim], &Real<'_>)],
    out: &[Dim],
    shape: &[usize],
) -> Result<Real<'static>> {
    let mut terms: Vec<Term<'_>> = ops
        .iter()
        .map(|&(axes, r)| Term {
            axes: axes.to_vec(),
            held: Held::Ref(r),
        })
        .collect();
    if terms.is_empty() {
        return Err(internal("a contraction of nothing"));
    }
    while terms.len() > 2 {
        let (i, j, keep) = cheapest_pair(&terms, out);
        let b = terms.remove(j);
        let a = terms.remove(i);
        let keep_shape = lengths(&keep, &[&a, &b]);
        let r = pair(&a, &b, &keep, &keep_shape)?;
        terms.push(Term {
            axes: keep,
            held: Held::Own(r),
        });
    }
    // The axes the result has but no operand has are broadcast at the end.
    let present: Vec<Dim> = out
        .iter()
        .filter(|d| {
            terms
                .iter()
                .any(|t| t.axes.iter().any(|a| a.axis == d.axis))
        })
        .copied()
        .collect();
    let present_shape: Vec<usize> = present
        .iter()
        .map(|d| shape[out.iter().position(|o| o.axis == d.axis).unwrap_or(0)])
        .collect();
    let r = match terms.as_slice() {
        [a] => reduce(a, &present, &present_shape),
        // The pair's product comes out with the first operand's axes before the
        // second's; the order that writes the result in place goes first.
        [a, b] if writes_in_order(b, a, &present) && !writes_in_order(a, b, &present) => {
            pair(b, a, &present, &present_shape)?
        }
        [a, b] => pair(a, b, &present, &present_shape)?,
        _ => return Err(internal("a contraction left several operands")),
    };
    if present.len() == out.len() {
        return Ok(r);
    }
    Ok(broadcast(&r, &present, out, shape))
}

/// Whether the product of `a` and `b` kept as `keep` comes out in `keep`'s order: the
/// axes both keep, then those only `a` has, then those only `b` has.
fn writes_in_order(a: &Term<'_>, b: &Term<'_>, keep: &[Dim]) -> bool {
    let has = |t: &Term<'_>, d: &Dim| t.axes.iter().any(|x| x.axis == d.axis);
    let group = |d: &Dim| match (has(a, d), has(b, d)) {
        (true, true) => 0,
        (true, false) => 1,
        _ => 2,
    };
    keep.windows(2).all(|w| group(&w[0]) <= group(&w[1]))
}

/// The lengths of `axes`, read from the terms that have them.
fn lengths(axes: &[Dim], terms: &[&Term<'_>]) -> Vec<usize> {
    axes.iter()
        .map(|d| {
            terms
                .iter()
                .find_map(|t| {
                    t.axes
                        .iter()
                        .position(|a| a.axis == d.axis)
                        .map(|k| t.real().shape[k])
                })
                .unwrap_or(1)
        })
        .collect()
}

/// The pair of terms whose contraction is smallest, and the axes it keeps: those the
/// result or another term still needs, in the order they first appear.
fn cheapest_pair(terms: &[Term<'_>], out: &[Dim]) -> (usize, usize, Vec<Dim>) {
    let mut best: Option<(usize, usize, usize, Vec<Dim>)> = None;
    for i in 0..terms.len() {
        for j in i + 1..terms.len() {
            let needed = |d: &Dim| {
                out.iter().any(|o| o.axis == d.axis)
                    || terms
                        .iter()
                        .enumerate()
                        .any(|(k, t)| k != i && k != j && t.axes.iter().any(|a| a.axis == d.axis))
            };
            let mut keep: Vec<Dim> = Vec::new();
            for d in terms[i].axes.iter().chain(&terms[j].axes) {
                if needed(d) && !keep.iter().any(|k| k.axis == d.axis) {
                    keep.push(*d);
                }
            }
            let size: usize = lengths(&keep, &[&terms[i], &terms[j]]).iter().product();
            if best.as_ref().is_none_or(|b| size < b.2) {
                best = Some((i, j, size, keep));
            }
        }
    }
    match best {
        Some((i, j, _, keep)) => (i, j, keep),
        None => (0, 1, Vec::new()),
    }
}

/// `t` summed over its axes not in `keep`: the value, and the bound `sum e +
/// ceil(log2 K) sum |t|` of a pairwise sum of K terms.
fn reduce(t: &Term<'_>, keep: &[Dim], keep_shape: &[usize]) -> Real<'static> {
    let summed: Vec<Dim> = t
        .axes
        .iter()
        .filter(|a| !keep.iter().any(|k| k.axis == a.axis))
        .copied()
        .collect();
    let summed_shape = lengths(&summed, &[t]);
    let count: usize = summed_shape.iter().product();
    let order: Vec<Dim> = keep.iter().chain(&summed).copied().collect();
    let full: Vec<usize> = keep_shape.iter().chain(&summed_shape).copied().collect();
    let st = strides_along(&t.axes, &t.real().shape, &order);
    let total: usize = keep_shape.iter().product();
    let (mut val, mut mag, mut err) = (vec![0.0; total], vec![0.0; total], vec![0.0; total]);
    let n = last(&full);
    let ls = last_stride(&st);
    let mut k = 0usize;
    for_rows(&full, &[&st], |b| {
        for i in 0..n {
            let x = t.real().at(b[0] + i * ls);
            let o = k / count.max(1);
            val[o] += x.value;
            mag[o] += x.value.abs();
            err[o] += x.error;
            k += 1;
        }
    });
    let c = sum_roundings(count);
    for o in 0..total {
        err[o] += c * mag[o];
    }
    Real::new(keep_shape.to_vec(), Cow::Owned(val), Some(Cow::Owned(err)))
}

/// How many roundings a pairwise sum of `k` terms makes along any path.
fn sum_roundings(k: usize) -> f64 {
    if k <= 1 {
        0.0
    } else {
        f64::from(usize::BITS - (k - 1).leading_zeros())
    }
}

/// `r` (with axes `axes`) broadcast to the axes `to`.
fn broadcast(r: &Real<'_>, axes: &[Dim], to: &[Dim], shape: &[usize]) -> Real<'static> {
    let st = strides_along(axes, &r.shape, to);
    let n = last(shape);
    let ls = last_stride(&st);
    let (mut val, mut err) = (Vec::new(), Vec::new());
    for_rows(shape, &[&st], |b| {
        for i in 0..n {
            let x = r.at(b[0] + i * ls);
            val.push(x.value);
            err.push(x.error);
        }
    });
    Real::new(
        shape.to_vec(),
        Cow::Owned(val),
        r.err.as_ref().map(|_| Cow::Owned(err)),
    )
}

/// A matrix inside an array: for each batch position its first element's offset,
/// then its rows, columns and their strides.
struct Matrix {
    offsets: Vec<usize>,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

/// The lengths and stride of a group of axes read as one, if their strides make it
/// one axis (each stride the next one's times the next one's length).
fn group(axes: &[Dim], shape: &[usize], own: &[usize], g: &[Dim]) -> Option<(usize, usize)> {
    let pos: Vec<usize> = g
        .iter()
        .map(|d| axes.iter().position(|a| a.axis == d.axis))
        .collect::<Option<_>>()?;
    let len: usize = pos.iter().map(|&p| shape[p]).product();
    for w in pos.windows(2) {
        if own[w[0]] != own[w[1]] * shape[w[1]] {
            return None;
        }
    }
    let stride = pos.last().map_or(1, |&p| own[p]);
    Some((len, stride))
}

/// The matrices of an array with axes `axes` and shape `shape` (row-major), rows
/// `rows` and columns `cols`, one per position of `batch`; `None` when a group is not
/// one stride apart.
fn matrix(
    axes: &[Dim],
    shape: &[usize],
    batch: &[Dim],
    rows: &[Dim],
    cols: &[Dim],
) -> Option<Matrix> {
    let own = strides(shape);
    let (r, rs) = group(axes, shape, &own, rows)?;
    let (c, cs) = group(axes, shape, &own, cols)?;
    let bshape: Vec<usize> = batch
        .iter()
        .map(|d| {
            axes.iter()
                .position(|a| a.axis == d.axis)
                .map_or(1, |k| shape[k])
        })
        .collect();
    let bst = strides_along(axes, shape, batch);
    let mut offsets = Vec::new();
    let n = last(&bshape);
    let ls = last_stride(&bst);
    for_rows(&bshape, &[&bst], |b| {
        offsets.extend((0..n).map(|i| b[0] + i * ls));
    });
    Some(Matrix {
        offsets,
        rows: r,
        cols: c,
        rs,
        cs,
    })
}

/// The elements of `t` as `f` of value and error, copied in the order of `order` (row
/// major), with the lengths `shape`.
fn laid_out(t: &Term<'_>, order: &[Dim], shape: &[usize], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(shape.iter().product());
    laid_out_part(t, order, shape, None, f, &mut out);
    out
}

/// [`laid_out`] into `out` (cleared first), of only the positions `start..end` of the
/// axis at `part.0` of `order` when `part` is given.
fn laid_out_part(
    t: &Term<'_>,
    order: &[Dim],
    shape: &[usize],
    part: Option<(usize, usize, usize)>,
    f: impl Fn(f64, f64) -> f64,
    out: &mut Vec<f64>,
) {
    let st = strides_along(&t.axes, &t.real().shape, order);
    let mut shape = shape.to_vec();
    let mut base = 0;
    if let Some((axis, start, end)) = part {
        shape[axis] = end - start;
        base = start * st[axis];
    }
    let n = last(&shape);
    let ls = last_stride(&st);
    out.clear();
    let r = t.real();
    if ls == 1 {
        // Rows that lie together are read as slices (a weight read in place is
        // converted a row at a time), which compiles to plain vector loops.
        let mut row = Vec::new();
        for_rows(&shape, &[&st], |b| {
            let at = base + b[0];
            let vals: &[f64] = match r.stored {
                Some(v) => {
                    v.range(at..at + n).read_into(0..n, &mut row);
                    &row
                }
                None => &r.val[at..at + n],
            };
            match &r.err {
                Some(e) => out.extend(vals.iter().zip(&e[at..at + n]).map(|(&v, &e)| f(v, e))),
                None => out.extend(vals.iter().map(|&v| f(v, 0.0))),
            }
        });
        return;
    }
    for_rows(&shape, &[&st], |b| {
        for i in 0..n {
            let x = r.at(base + b[0] + i * ls);
            out.push(f(x.value, x.error));
        }
    });
}

/// About how many elements a block of a large operand holds when its bound's matrix
/// is laid out a block at a time.
const BLOCK: usize = 1 << 18;

/// The operands of a pair's contraction, laid out as `[batch, rows, summed]` and
/// `[batch, summed, cols]`, with the sizes of the groups.
struct Layout<'o> {
    ao: &'o [Dim],
    bo: &'o [Dim],
    a_shape: &'o [usize],
    b_shape: &'o [usize],
    batch: usize,
    rows: usize,
    summed: usize,
    batches: usize,
    m: usize,
    k: usize,
    n: usize,
}

/// `C = fa(A) fb(B) + beta C` for every batch position, `C` contiguous
/// `[batch, rows, cols]`, with `fa` and `fb` applied to each element's value and error.
/// The larger operand is laid out a block of its first row (or column) axis at a time
/// into one buffer, so that the bound of a contraction with a layer's weights does not
/// copy the weights whole.
#[allow(clippy::too_many_arguments)]
fn bound_product(
    a: &Term<'_>,
    b: &Term<'_>,
    l: &Layout<'_>,
    fa: impl Fn(f64, f64) -> f64,
    fb: impl Fn(f64, f64) -> f64,
    beta: f64,
    c: &mut [f64],
) -> Result<()> {
    let (batches, m, k, n) = (l.batches, l.m, l.k, l.n);
    let a_large = a.real().len() >= b.real().len();
    // The first axis of the rows (of A) or of the columns (of B), and its length.
    let (axis, len) = if a_large {
        (l.batch, if l.rows > 0 { l.a_shape[l.batch] } else { 1 })
    } else {
        let at = l.batch + l.summed;
        (at, if l.bo.len() > at { l.b_shape[at] } else { 1 })
    };
    let group = if a_large { m } else { n };
    let inner = group.checked_div(len).unwrap_or(1);
    let per = (batches * inner * k).max(1);
    let step = (BLOCK / per).clamp(1, len.max(1));
    let has_group = if a_large {
        l.rows > 0
    } else {
        l.bo.len() > l.batch + l.summed
    };
    let mut whole = Vec::new();
    let mut block = Vec::new();
    if a_large {
        laid_out_part(b, l.bo, l.b_shape, None, &fb, &mut whole);
    } else {
        laid_out_part(a, l.ao, l.a_shape, None, &fa, &mut whole);
    }
    let mut start = 0;
    loop {
        let end = if has_group {
            (start + step).min(len)
        } else {
            len
        };
        let part = has_group.then_some((axis, start, end));
        let width = if has_group {
            (end - start) * inner
        } else {
            group
        };
        if a_large {
            laid_out_part(a, l.ao, l.a_shape, part, &fa, &mut block);
            let am = contiguous(batches, width, k);
            let bm = contiguous(batches, k, n);
            let cm = Matrix {
                offsets: (0..batches)
                    .map(|q| q * m * n + start * inner * n)
                    .collect(),
                rows: width,
                cols: n,
                rs: n,
                cs: 1,
            };
            gemm(1.0, &block, &am, &whole, &bm, beta, c, &cm)?;
        } else {
            laid_out_part(b, l.bo, l.b_shape, part, &fb, &mut block);
            let am = contiguous(batches, m, k);
            let bm = contiguous(batches, k, width);
            let cm = Matrix {
                offsets: (0..batches).map(|q| q * m * n + start * inner).collect(),
                rows: m,
                cols: width,
                rs: n,
                cs: 1,
            };
            gemm(1.0, &whole, &am, &block, &bm, beta, c, &cm)?;
        }
        if !has_group || end >= len {
            return Ok(());
        }
        start = end;
    }
}

/// The contraction of two terms over their shared axes that `keep` lacks.
fn pair(a: &Term<'_>, b: &Term<'_>, keep: &[Dim], keep_shape: &[usize]) -> Result<Real<'static>> {
    let has = |t: &Term<'_>, d: &Dim| t.axes.iter().any(|x| x.axis == d.axis);
    let kept = |d: &Dim| keep.iter().any(|k| k.axis == d.axis);
    // An axis only one operand has and nothing keeps is summed out of it first.
    let own_sum = |t: &Term<'_>, other: &Term<'_>| -> Option<Term<'static>> {
        let keep_t: Vec<Dim> = t
            .axes
            .iter()
            .filter(|d| kept(d) || has(other, d))
            .copied()
            .collect();
        (keep_t.len() < t.axes.len()).then(|| {
            let shape = lengths(&keep_t, &[t]);
            Term {
                held: Held::Own(reduce(t, &keep_t, &shape)),
                axes: keep_t,
            }
        })
    };
    let (ra, rb) = (own_sum(a, b), own_sum(b, a));
    let a = ra.as_ref().unwrap_or(a);
    let b = rb.as_ref().unwrap_or(b);
    let batch: Vec<Dim> = keep
        .iter()
        .filter(|d| has(a, d) && has(b, d))
        .copied()
        .collect();
    let summed: Vec<Dim> = a
        .axes
        .iter()
        .filter(|d| has(b, d) && !kept(d))
        .copied()
        .collect();
    let rows: Vec<Dim> = keep
        .iter()
        .filter(|d| has(a, d) && !has(b, d))
        .copied()
        .collect();
    let cols: Vec<Dim> = keep
        .iter()
        .filter(|d| has(b, d) && !has(a, d))
        .copied()
        .collect();
    let len = |g: &[Dim]| -> usize { lengths(g, &[a, b]).iter().product() };
    let (m, k, n) = (len(&rows), len(&summed), len(&cols));
    let batches = len(&batch);
    let total: usize = keep_shape.iter().product();
    let c = 1.0 + sum_roundings(k);
    // The result is written in [batch, rows, cols] order, then put in `keep`'s order
    // when that differs.
    let order: Vec<Dim> = batch.iter().chain(&rows).chain(&cols).copied().collect();
    let order_shape = lengths(&order, &[a, b]);
    let in_order = order.iter().zip(keep).all(|(x, y)| x.axis == y.axis);
    let mut val = vec![0.0; total];
    let mut err = vec![0.0; total];
    if m * k * n < LOOP_WORK || k == 1 {
        looped(a, b, &batch, &rows, &summed, &cols, c, &mut val, &mut err);
    } else {
        let ao = batch
            .iter()
            .chain(&rows)
            .chain(&summed)
            .copied()
            .collect::<Vec<_>>();
        let bo = batch
            .iter()
            .chain(&summed)
            .chain(&cols)
            .copied()
            .collect::<Vec<_>>();
        let a_shape = lengths(&ao, &[a]);
        let b_shape = lengths(&bo, &[b]);
        let layout = Layout {
            ao: &ao,
            bo: &bo,
            a_shape: &a_shape,
            b_shape: &b_shape,
            batch: batch.len(),
            rows: rows.len(),
            summed: summed.len(),
            batches,
            m,
            k,
            n,
        };
        // The values and the bound are two independent products, which a large
        // contraction (a layer's weights) computes on two threads.
        let values = |val: &mut [f64]| -> Result<()> {
            if a.real().stored.is_some() || b.real().stored.is_some() {
                // A weight read in place from a dump's bytes is converted a block at
                // a time, as a bound's operand is laid out.
                return bound_product(a, b, &layout, |v, _| v, |v, _| v, 0.0, val);
            }
            // The values, in place where the strides allow.
            let (av, am) = as_matrices(a, [&batch, &rows, &summed], &ao, &a_shape);
            let (bv, bm) = as_matrices(b, [&batch, &summed, &cols], &bo, &b_shape);
            let cm = contiguous(batches, m, n);
            gemm(1.0, &av, &am, &bv, &bm, 0.0, val, &cm)
        };
        // The bound: |A| (eB + c|B|) + eA |B|, the exact side's term left out.
        let bounds = |err: &mut [f64]| -> Result<()> {
            let b_exact = b.real().err.is_none();
            bound_product(
                a,
                b,
                &layout,
                |v, e| if b_exact { c * v.abs() + e } else { v.abs() },
                |v, e| if b_exact { v.abs() } else { e + c * v.abs() },
                0.0,
                err,
            )?;
            if a.real().err.is_some() && !b_exact {
                bound_product(a, b, &layout, |_, e| e, |v, _| v.abs(), 1.0, err)?;
            }
            Ok(())
        };
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(2));
        if threads > 1 && batches * m * k * n >= PARALLEL_WORK {
            std::thread::scope(|scope| {
                let other = scope.spawn(|| bounds(&mut err));
                let mine = values(&mut val);
                let theirs = other
                    .join()
                    .unwrap_or_else(|_| Err(internal("a bound's thread stopped")));
                mine.and(theirs)
            })?;
        } else {
            values(&mut val)?;
            bounds(&mut err)?;
        }
    }
    let r = Real::new(order_shape.clone(), Cow::Owned(val), Some(Cow::Owned(err)));
    if in_order {
        return Ok(r);
    }
    let t = Term {
        axes: order,
        held: Held::Own(r),
    };
    let val = laid_out(&t, keep, keep_shape, |v, _| v);
    let err = laid_out(&t, keep, keep_shape, |_, e| e);
    Ok(Real::new(
        keep_shape.to_vec(),
        Cow::Owned(val),
        Some(Cow::Owned(err)),
    ))
}

/// A term's values as one matrix per batch position, with the axis groups `[batch,
/// rows, cols]`: read in place where the strides allow, else laid out in `order` (of
/// lengths `shape`).
fn as_matrices<'t>(
    t: &'t Term<'_>,
    [batch, rows, cols]: [&[Dim]; 3],
    order: &[Dim],
    shape: &[usize],
) -> (Cow<'t, [f64]>, Matrix) {
    match matrix(&t.axes, &t.real().shape, batch, rows, cols) {
        Some(mx) => (Cow::Borrowed(&*t.real().val), mx),
        None => {
            let len = |g: &[Dim]| -> usize { lengths(g, &[t]).iter().product() };
            let laid = laid_out(t, order, shape, |v, _| v);
            (
                Cow::Owned(laid),
                contiguous(len(batch), len(rows), len(cols)),
            )
        }
    }
}

/// Contiguous `[batches, rows, cols]` matrices.
fn contiguous(batches: usize, rows: usize, cols: usize) -> Matrix {
    Matrix {
        offsets: (0..batches).map(|b| b * rows * cols).collect(),
        rows,
        cols,
        rs: cols,
        cs: 1,
    }
}

/// `C = alpha A B + beta C` for every batch position.
#[allow(clippy::too_many_arguments)]
fn gemm(
    alpha: f64,
    a: &[f64],
    am: &Matrix,
    b: &[f64],
    bm: &Matrix,
    beta: f64,
    c: &mut [f64],
    cm: &Matrix,
) -> Result<()> {
    let bad = |e: ndarray::ShapeError| internal(&format!("a matrix view: {e}"));
    for ((&oa, &ob), &oc) in am.offsets.iter().zip(&bm.offsets).zip(&cm.offsets) {
        let av = ArrayView2::from_shape((am.rows, am.cols).strides((am.rs, am.cs)), &a[oa..])
            .map_err(bad)?;
        let bv = ArrayView2::from_shape((bm.rows, bm.cols).strides((bm.rs, bm.cs)), &b[ob..])
            .map_err(bad)?;
        let mut cv =
            ArrayViewMut2::from_shape((cm.rows, cm.cols).strides((cm.rs, cm.cs)), &mut c[oc..])
                .map_err(bad)?;
        general_mat_mul(alpha, &av, &bv, beta, &mut cv);
    }
    Ok(())
}

/// A small contraction by loops, into `[batch, rows, cols]` order, with the bound of
/// the module's formula.
#[allow(clippy::too_many_arguments)]
fn looped(
    a: &Term<'_>,
    b: &Term<'_>,
    batch: &[Dim],
    rows: &[Dim],
    summed: &[Dim],
    cols: &[Dim],
    c: f64,
    val: &mut [f64],
    err: &mut [f64],
) {
    let order: Vec<Dim> = batch
        .iter()
        .chain(rows)
        .chain(cols)
        .chain(summed)
        .copied()
        .collect();
    let shape = lengths(&order, &[a, b]);
    let k: usize = lengths(summed, &[a, b]).iter().product();
    let sa = strides_along(&a.axes, &a.real().shape, &order);
    let sb = strides_along(&b.axes, &b.real().shape, &order);
    let n = last(&shape);
    let (la, lb) = (last_stride(&sa), last_stride(&sb));
    let mut at = 0usize;
    for_rows(&shape, &[&sa, &sb], |base| {
        for i in 0..n {
            let x = a.real().at(base[0] + i * la);
            let y = b.real().at(base[1] + i * lb);
            let o = at / k.max(1);
            let p = x.value * y.value;
            val[o] += p;
            err[o] += x.value.abs() * y.error + x.error * y.value.abs() + c * p.abs();
            at += 1;
        }
    });
}

/// An error that a well-formed program never gives.
fn internal(what: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("the array evaluator met a malformed contraction: {what}"),
    )
}
