//! A gradient computed a block at a time, for a caller that reads it once.
//!
//! A layer's weight gradient has as many components as the weights: tens of millions.
//! `gauge check --values` compares each with the program's once and keeps a summary,
//! so the gradient never needs to exist whole: its *tail*, the arithmetic that only it
//! reads (the contraction that makes it, then a scaling, a sum with a weight-decay
//! term...), is run once per block of its first axis, on the block's share of each
//! operand, and each block is handed over as soon as it is made. The blocks are
//! shared between two threads. The memory a block needs is reused from block to
//! block, where the whole gradient would be fresh memory, which a first touch makes
//! dear.
//!
//! A tail is the set of instructions, found backwards from the gradient's output,
//! that are elementwise arithmetic or contractions, have the output's axes in its
//! order, and are read by nothing outside the set. The arrays it reads from outside
//! are cut to the block along the same axis (without a copy where that axis comes
//! first), or read whole where they lack it.
//!
//! May import what `codegen` may import, and `numeric` (through `exec`).

use std::borrow::Cow;
use std::collections::BinaryHeap;

use crate::codegen::exec::{
    Machine, Real, STREAM_BLOCK, Slot, for_rows, internal, last, last_stride, strides,
};
use crate::codegen::ir::{Dim, Op, Program, Tmp};
use crate::diag::error::Result;

/// What takes one gradient's blocks: `(start, values, errors)`.
type OneBlock<'f, B> = dyn Fn(usize, &[f64], &[f64]) -> B + Sync + 'f;

/// The arithmetic only one gradient reads, computed a block at a time.
#[derive(Clone, Debug)]
pub(super) struct Tail {
    /// The instructions, in program order; the gradient's output is the last.
    pub(super) members: Vec<usize>,
    /// The stored arrays the tail reads from outside.
    pub(super) outside: Vec<usize>,
    /// For each of those, the position of the block's axis among its axes (`None`
    /// where it lacks the axis and is read whole).
    cut: Vec<Option<usize>>,
    /// The axis the blocks are cut along: the output's first.
    axis: Dim,
}

impl Tail {
    /// The gradient's output instruction.
    pub(super) fn output(&self) -> usize {
        self.members.last().copied().unwrap_or(0)
    }

    /// The tail of gradient `g`, if it has one worth cutting into blocks.
    pub(super) fn find(
        prog: &Program,
        last_read: &[usize],
        layout: &[Vec<Dim>],
        g: Tmp,
    ) -> Option<Tail> {
        if prog.storage(g) != g {
            return None;
        }
        let Op::Output(_) = prog.instr(g).op else {
            return None;
        };
        let order = &layout[g.0];
        let axis = *order.first()?;
        let live = prog.live();
        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); prog.instrs.len()];
        for (k, ins) in prog.instrs.iter().enumerate() {
            if live[k] {
                for o in ins.op.operands() {
                    readers[prog.storage(o).0].push(k);
                }
            }
        }
        let same_order = |y: usize| {
            layout[y].len() == order.len()
                && layout[y].iter().zip(order).all(|(a, b)| a.axis == b.axis)
        };
        let mut members = vec![g.0];
        let mut outside: Vec<Tmp> = Vec::new();
        // Candidates latest first: every reader of an instruction comes after it, so
        // by the time it is looked at, each reader that belongs has joined.
        let mut heap: BinaryHeap<Tmp> = prog.instr(g).op.operands().into_iter().collect();
        while let Some(y) = heap.pop() {
            if members.contains(&y.0) || outside.contains(&y) {
                continue;
            }
            let ins = prog.instr(y);
            let arithmetic = ins.op.is_arithmetic();
            let joins = arithmetic
                && !ins.int
                && prog.storage(y) == y
                && last_read[y.0] != usize::MAX
                && same_order(y.0)
                && readers[y.0].iter().all(|r| members.contains(r));
            if joins {
                members.push(y.0);
                heap.extend(ins.op.operands());
            } else {
                outside.push(y);
            }
        }
        if members.len() < 2 {
            return None;
        }
        members.sort_unstable();
        // Each outside array is cut where its reader's axes put the block's axis; two
        // readers that see it differently (through a renaming) leave it whole.
        let mut slots: Vec<usize> = Vec::new();
        let mut cut: Vec<Option<usize>> = Vec::new();
        for o in outside {
            if prog.instr(o).int {
                return None;
            }
            let s = prog.storage(o).0;
            let at = layout[o.0].iter().position(|d| d.axis == axis.axis);
            match slots.iter().position(|&x| x == s) {
                Some(i) if cut[i] != at => return None,
                Some(_) => {}
                None => {
                    slots.push(s);
                    cut.push(at);
                }
            }
        }
        Some(Tail {
            members,
            outside: slots,
            cut,
            axis,
        })
    }

    /// Runs the tail a block at a time over the machine's computed arrays, handing
    /// each block of the gradient to `per_block(start, values, errors)`; returns its
    /// results in the order of the blocks.
    pub(super) fn run<B: Send>(
        &self,
        m: &Machine<'_, '_>,
        per_block: &OneBlock<'_, B>,
    ) -> Result<Vec<B>> {
        let shape = m.shape(&m.layout[self.output()])?;
        let len = shape.first().copied().unwrap_or(1);
        let row: usize = shape.iter().skip(1).product();
        let per = (STREAM_BLOCK / row.max(1)).clamp(1, len.max(1));
        let ranges: Vec<(usize, usize)> = (0..len)
            .step_by(per)
            .map(|r| (r, (r + per).min(len)))
            .collect();
        let work = |rs: &[(usize, usize)]| -> Result<Vec<B>> {
            rs.iter()
                .map(|&(r0, r1)| self.block(m, r0, r1, row, per_block))
                .collect()
        };
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(2));
        if threads < 2 || ranges.len() < 2 {
            return work(&ranges);
        }
        let half = ranges.len() / 2;
        let (first, second) = std::thread::scope(|scope| {
            let later = scope.spawn(|| work(&ranges[half..]));
            let first = work(&ranges[..half]);
            (first, later.join())
        });
        let mut out = first?;
        match second {
            Ok(s) => out.extend(s?),
            Err(_) => out.extend(work(&ranges[half..])?),
        }
        Ok(out)
    }

    /// The rows `r0..r1` of the gradient's first axis, handed to `per_block`.
    fn block<B>(
        &self,
        m: &Machine<'_, '_>,
        r0: usize,
        r1: usize,
        row: usize,
        per_block: &OneBlock<'_, B>,
    ) -> Result<B> {
        let mut sub = Machine {
            prog: m.prog,
            args: m.args,
            slots: vec![Slot::Empty; m.prog.instrs.len()],
            last_read: m.last_read.clone(),
            layout: m.layout.clone(),
            block: Some((self.axis.axis, r1 - r0)),
        };
        for (&s, &cut) in self.outside.iter().zip(&self.cut) {
            sub.slots[s] = Slot::Real(cut_rows(&m.slots[s], cut, r0, r1)?);
        }
        for &k in &self.members {
            let slot = sub.instr(Tmp(k))?;
            sub.slots[k] = slot;
            for o in m.prog.instrs[k].op.operands() {
                let s = m.prog.storage(o).0;
                if sub.last_read[s] == k {
                    sub.slots[s] = Slot::Empty;
                }
            }
        }
        let Slot::Real(r) = std::mem::replace(&mut sub.slots[self.output()], Slot::Empty) else {
            return Err(internal("a gradient's block is not a real array"));
        };
        let start = r0 * row;
        Ok(match &r.err {
            Some(e) => per_block(start, &r.val, e),
            None => per_block(start, &r.val, &vec![0.0; r.val.len()]),
        })
    }
}

/// Rows `r0..r1` of the axis at `cut` of a computed array (the whole array when
/// `cut` is `None`), borrowed where they lie together.
fn cut_rows<'x>(slot: &'x Slot<'_>, cut: Option<usize>, r0: usize, r1: usize) -> Result<Real<'x>> {
    let Slot::Real(r) = slot else {
        return Err(internal(
            "a tail reads an array that is not real or not computed",
        ));
    };
    let whole = |v: &'x [f64]| Cow::Borrowed(v);
    Ok(match cut {
        None => Real {
            shape: r.shape.clone(),
            val: whole(&r.val),
            err: r.err.as_deref().map(whole),
            stored: r.stored,
        },
        Some(0) => {
            let st: usize = r.shape.iter().skip(1).product();
            let mut shape = r.shape.clone();
            shape[0] = r1 - r0;
            let part = |v: &'x [f64]| Cow::Borrowed(&v[r0 * st..r1 * st]);
            match r.stored {
                // A weight read in place: the block is a view of its bytes.
                Some(v) => Real {
                    shape,
                    val: Cow::Borrowed(&[]),
                    err: None,
                    stored: Some(v.range(r0 * st..r1 * st)),
                },
                None => Real::new(shape, part(&r.val), r.err.as_deref().map(part)),
            }
        }
        Some(p) => {
            let st = strides(&r.shape);
            let mut shape = r.shape.clone();
            shape[p] = r1 - r0;
            let base = r0 * st[p];
            let n = last(&shape);
            let ls = last_stride(&st);
            let copy = |at: &dyn Fn(usize) -> f64| {
                let mut out = Vec::with_capacity(shape.iter().product());
                for_rows(&shape, &[&st], |b| {
                    out.extend((0..n).map(|i| at(base + b[0] + i * ls)));
                });
                Cow::Owned(out)
            };
            let val = copy(&|k| r.at(k).value);
            let err = r.err.as_deref().map(|e| copy(&|k| e[k]));
            Real::new(shape, val, err)
        }
    })
}
