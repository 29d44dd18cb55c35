//! A formula with free indices evaluated at every position of a tensor at once: a
//! claimed derivative by a tensor (`x[b]*(1 - h1[a]^2)*...`), one value per element.
//!
//! Run once per element, the claim would compute everything that does not depend on
//! the element again each time: the layers of a network, the normalizer of a
//! softmax. Compiled with the element's indices as the registers of nested blocks,
//! what does not depend on them runs once, what depends on the first index only runs
//! once per value of it (a backpropagated sum by a row), and the tables of indexed
//! calls are filled once for all the elements.

use crate::diag::error::Result;
use crate::expr::node::{ExprId, Symbol};
use crate::expr::pool::Pool;
use crate::numeric::scalar::Scalar;
use crate::numeric::tape::code::{Instr, Machine, Reg, Run, run_block};
use crate::numeric::tape::{Tape, TapeInputs};
use crate::numeric::value::Bindings;

/// A compiled formula, evaluated at every position of its indices.
#[derive(Clone, Debug)]
pub struct Elementwise {
    /// The part that does not depend on the indices, and the formula's output.
    tape: Tape,
    /// The registers of the indices, in the order given.
    regs: Vec<Reg>,
    /// For each index, the code that depends on it and on no index after it, run once
    /// per value of the indices up to it.
    levels: Vec<Vec<Instr>>,
}

impl Elementwise {
    /// Compiles `id` to be evaluated at every position of the indices `over` (its
    /// other free indices take their values from the point, as for [`Tape`]).
    pub fn compile(pool: &mut Pool, id: ExprId, over: &[Symbol]) -> Result<Elementwise> {
        let (tape, regs, levels) = Tape::build(pool, &[id], over)?;
        Ok(Elementwise { tape, regs, levels })
    }

    /// Resolves bindings for the formula's inputs, as [`Tape::inputs`] does.
    pub fn inputs(&self, pool: &Pool, at: &Bindings) -> Result<TapeInputs> {
        self.tape.inputs(pool, at)
    }

    /// The formula's value at each position of `shape` (one length per index, in the
    /// order given), last index fastest; `None` where it is undefined. Each value is
    /// the one a run of the formula at that position alone would give: what does not
    /// depend on the position is the same at every position, and the tables hold
    /// what such a run would compute again.
    pub fn run<T: Scalar>(&self, inputs: &TapeInputs, shape: &[usize]) -> Vec<Option<T>> {
        let tape = &self.tape;
        let total: usize = shape.iter().product();
        if shape.len() != self.levels.len() {
            // One length per index is the caller's promise; without it, no position has
            // a value.
            return vec![None; total];
        }
        let mut m = Machine::new();
        m.reset(tape.slots, tape.regs, tape.tables.len());
        tape.start_into(inputs, None, &mut m);
        if tape.code_into::<T>(inputs, None, &mut m).is_err() {
            return vec![None; total];
        }
        let run = Run {
            inputs,
            seed: None,
            tensors: &tape.tensors,
            tables: &tape.tables,
            bodies: &tape.bodies,
        };
        let mut values = Vec::with_capacity(total);
        self.level(&run, &mut m, shape, 0, &mut values);
        values
    }

    /// The values at every position of the indices from `k` on, the ones before fixed
    /// in their registers: each value of index `k` runs its level, and a level that
    /// fails leaves every position under it undefined.
    fn level<T: Scalar>(
        &self,
        run: &Run<'_, T>,
        m: &mut Machine<T>,
        shape: &[usize],
        k: usize,
        values: &mut Vec<Option<T>>,
    ) {
        if k == self.levels.len() {
            values.push(Some(m.slots[self.tape.outputs[0] as usize]));
            return;
        }
        let under: usize = shape[k + 1..].iter().product();
        for v in 0..shape[k] {
            m.regs[self.regs[k] as usize] = v;
            if run_block(run, m, &self.levels[k]).is_ok() {
                self.level(run, m, shape, k + 1, values);
            } else {
                values.extend(std::iter::repeat_n(None, under));
            }
        }
    }
}
