//! A formula with free indices evaluated at every position of a tensor at once: a
//! claimed derivative by a tensor (`x[b]*(1 - h1[a]^2)*...`), one value per element.
//!
//! Run once per element, the claim would compute everything that does not depend on
//! the element again each time: the layers of a network, the normalizer of a
//! softmax. Compiled with the element's indices as the registers of an outer block,
//! what does not depend on them runs once, and the tables of indexed calls are
//! filled once for all the elements.

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
    /// The code that depends on them, run once per element.
    element: Vec<Instr>,
}

impl Elementwise {
    /// Compiles `id` to be evaluated at every position of the indices `over` (its
    /// other free indices take their values from the point, as for [`Tape`]).
    pub fn compile(pool: &mut Pool, id: ExprId, over: &[Symbol]) -> Result<Elementwise> {
        let (tape, regs, element) = Tape::build(pool, &[id], over)?;
        Ok(Elementwise {
            tape,
            regs,
            element,
        })
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
        let out = tape.outputs[0] as usize;
        let mut at = vec![0usize; shape.len()];
        let mut values = Vec::with_capacity(total);
        for _ in 0..total {
            for (&r, &i) in self.regs.iter().zip(&at) {
                m.regs[r as usize] = i;
            }
            let v = run_block(&run, &mut m, &self.element)
                .ok()
                .map(|()| m.slots[out]);
            values.push(v);
            for a in (0..at.len()).rev() {
                at[a] += 1;
                if at[a] < shape[a] {
                    break;
                }
                at[a] = 0;
            }
        }
        values
    }
}
