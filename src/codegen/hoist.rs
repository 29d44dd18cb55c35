//! Renamings moved outward: an operation whose operands are renamed arrays (`z[j]` and
//! `max(j, z[j])`, read under the sum's index) is computed on the arrays as stored and
//! its result renamed, so that the same computation read under another name (`z[i]`
//! in the gradient) is the same instruction, and is computed once.
//!
//! The renaming of the operands must agree: one original axis for each new name and
//! one new name for each original axis. Where two operands read one axis under two
//! names (`z[i] * z[j]`), the operation keeps its names and nothing moves.

use crate::codegen::build::Builder;
use crate::codegen::ir::{Dim, Op, Tmp};
use crate::expr::node::Symbol;

/// Pairs of a new axis and the original axis it renames.
type Renaming = Vec<(Dim, Dim)>;

impl Builder<'_> {
    /// The instruction for `op` computed on the arrays its renamed operands rename,
    /// then renamed; `None` where no operand is renamed or the renamings disagree.
    pub(crate) fn hoisted(&mut self, op: &Op, axes: &[Dim], int: bool) -> Option<Tmp> {
        match op {
            // A renaming of a renaming renames the original.
            Op::Relabel(s) => {
                let Op::Relabel(inner) = self.instrs[s.0].op else {
                    return None;
                };
                if self.instrs[inner.0].axes == axes {
                    return Some(inner);
                }
                return Some(self.push(Op::Relabel(inner), axes.to_vec(), int));
            }
            // A renaming keeps the order of the axes, which is all a gather reads.
            Op::Gather(src, ats) => {
                let Op::Relabel(inner) = self.instrs[src.0].op else {
                    return None;
                };
                return Some(self.push(Op::Gather(inner, ats.clone()), axes.to_vec(), int));
            }
            Op::Fold(..) | Op::Contract(_) => {}
            // A delta stays where it is, so that a sum can still find it and write it
            // as an update (see `delta`).
            Op::Eq(..) => return None,
            op if op.is_elementwise() => {}
            _ => return None,
        }
        let operands = op.operands();
        if !operands
            .iter()
            .any(|o| matches!(self.instrs[o.0].op, Op::Relabel(_)))
        {
            return None;
        }
        let renaming = self.renaming(&operands)?;
        let original = |s: Symbol| renaming.iter().find(|p| p.0.axis == s).map(|p| p.1);
        let inner_axes: Vec<Dim> = axes
            .iter()
            .map(|d| original(d.axis))
            .collect::<Option<_>>()?;
        let source = |t: &Tmp| match self.instrs[t.0].op {
            Op::Relabel(s) => s,
            _ => *t,
        };
        let sources = |xs: &[Tmp]| xs.iter().map(source).collect::<Vec<_>>();
        let inner_op = match op {
            Op::Add(xs) => Op::Add(sources(xs)),
            Op::Mul(xs) => Op::Mul(sources(xs)),
            Op::Contract(xs) => Op::Contract(sources(xs)),
            Op::Sub(x, y) => Op::Sub(source(x), source(y)),
            Op::Pow(x, y) => Op::Pow(source(x), source(y)),
            Op::Recip(x) => Op::Recip(source(x)),
            Op::Powi(x, k) => Op::Powi(source(x), *k),
            Op::Powf(x, v) => Op::Powf(source(x), *v),
            Op::Sqrt(x) => Op::Sqrt(source(x)),
            Op::Func(f, x) => Op::Func(*f, source(x)),
            Op::Float(x) => Op::Float(source(x)),
            Op::Fold(f, x, a) => Op::Fold(*f, source(x), original(*a)?.axis),
            _ => return None,
        };
        let inner = self.push(inner_op, inner_axes, int);
        let renamed: Vec<Dim> = self.instrs[inner.0]
            .axes
            .iter()
            .map(|g| renaming.iter().find(|p| p.1.axis == g.axis).map(|p| p.0))
            .collect::<Option<_>>()?;
        if renamed == self.instrs[inner.0].axes {
            return Some(inner);
        }
        Some(self.push(Op::Relabel(inner), renamed, int))
    }

    /// The renaming the operands make together (an operand that is not renamed keeps
    /// its names), if it is one to one.
    fn renaming(&self, operands: &[Tmp]) -> Option<Renaming> {
        let mut renaming: Renaming = Vec::new();
        for &o in operands {
            let ins = &self.instrs[o.0];
            let original = match ins.op {
                Op::Relabel(s) => &self.instrs[s.0].axes,
                _ => &ins.axes,
            };
            for (&new, &old) in ins.axes.iter().zip(original) {
                match renaming.iter().find(|p| p.0.axis == new.axis) {
                    Some(p) if p.1.axis != old.axis => return None,
                    Some(_) => {}
                    None if renaming.iter().any(|p| p.1.axis == old.axis) => return None,
                    None => renaming.push((new, old)),
                }
            }
        }
        Some(renaming)
    }
}
