//! The compiled evaluator, gauge's one evaluator: an expression as a flat tape of
//! instructions.
//!
//! [`Tape::compile`] turns a DAG into instructions over numbered slots, each shared
//! subexpression computed once; a call becomes its arguments and then its body, as
//! written (nothing cancels across it), and each sum over an axis becomes a loop whose
//! body holds only the instructions that depend on the loop's index (everything else is
//! hoisted out); a loop of two element reads and their product is one fused
//! instruction. An indexed call read inside a loop (`h1[j]` in a network's next layer)
//! is a table: each element is computed once per run, the first time it is read, not
//! once per pass of every enclosing loop. A compiled tape runs at many points without
//! recompiling, over any [`Scalar`]: `f64`, single precision, complex numbers (the
//! complex step) and dual numbers (forward mode).
//!
//! In `f64`, sums are compensated and products cannot over- or underflow midway, so a
//! value carries full precision. Leaving a function's domain (a logarithm of a
//! non-positive number, a division by 0, an overflow) is an error naming the
//! subexpression and the point, decided on the real part of the value: never a NaN.
//!
//! A batch of points runs as one ([`Tape::run_batch`], [`Tape::run_rows`]): each slot
//! holds a lane of points and each instruction runs over the lane, with the same
//! arithmetic per point, so the results are the point-by-point run's bit for bit; a
//! block where a point leaves a domain runs again point by point for its error.
//!
//! The files: `compile` builds the instructions, `code` defines and runs them, `batch`
//! runs them over many points at once, `tables` holds the tables and a run's memory,
//! `inputs` resolves a point's values for a run, `reuse` runs that perturb one input
//! starting from the unperturbed run's tables (what the oracles do, component after
//! component), and `elementwise` a formula at every element of a tensor at once (a
//! claimed derivative by a tensor).

mod batch;
mod code;
mod compile;
mod elementwise;
mod inputs;
mod reuse;
mod tables;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::diag::error::Result;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::numeric::scalar::Scalar;
use crate::numeric::value::{Bindings, format_value};

pub use batch::LANES;
pub(crate) use code::Fault;
use code::{Body, Instr, Machine, Reg, Run, Slot, Table, run_block, seeded};
pub use elementwise::Elementwise;
pub use inputs::{InputRef, TapeInputs};
pub use reuse::Reuse;

/// The point `at` as `name = value` text, for a message about `ids`: the scalars, then
/// the tensors, in the order the expressions read them once every call is expanded in
/// place (as the evaluator that compiled the expanded expressions listed them), then
/// the free indices; names the expressions do not use are left out.
pub fn point_text(pool: &mut Pool, ids: &[ExprId], at: &Bindings) -> String {
    fn walk(
        pool: &Pool,
        id: ExprId,
        seen: &mut FxHashSet<ExprId>,
        scalars: &mut Vec<Symbol>,
        tensors: &mut Vec<Symbol>,
    ) {
        if crate::diag::stack::low() {
            return crate::diag::stack::grow(move || walk(pool, id, seen, scalars, tensors));
        }
        if !seen.insert(id) {
            return;
        }
        let mut tensor = |t: Symbol| {
            if !tensors.contains(&t) {
                tensors.push(t);
            }
        };
        match pool.node(id) {
            Node::Sym(s) => {
                if !scalars.contains(s) {
                    scalars.push(*s);
                }
                return;
            }
            Node::Elem(t, _) | Node::Len(t, _) => tensor(*t),
            _ => {}
        }
        for c in crate::expr::node::children(pool.node(id)) {
            walk(pool, c, seen, scalars, tensors);
        }
    }
    let expanded: Vec<ExprId> = ids.iter().map(|&id| pool.expand_all_calls(id)).collect();
    let (mut scalars, mut tensors) = (Vec::new(), Vec::new());
    let mut seen = FxHashSet::default();
    for &id in &expanded {
        walk(pool, id, &mut seen, &mut scalars, &mut tensors);
    }
    let mut indices: Vec<Symbol> = Vec::new();
    for &id in ids {
        for s in pool.free_indices(id) {
            if !indices.contains(&s) {
                indices.push(s);
            }
        }
    }
    scalars
        .iter()
        .chain(&tensors)
        .chain(&indices)
        .filter_map(|&s| {
            at.get(s)
                .map(|v| format!("{} = {}", pool.name(s), format_value(v)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A compiled expression.
#[derive(Clone, Debug)]
pub struct Tape {
    code: Vec<Instr>,
    slots: usize,
    regs: usize,
    scalars: Vec<Symbol>,
    tensors: Vec<Symbol>,
    /// The names of `tensors`, for messages.
    tensor_names: Vec<String>,
    /// The names of `scalars`, for messages and for callers that pass values in order.
    scalar_names: Vec<String>,
    free_indices: Vec<(Symbol, Reg)>,
    outputs: Vec<Slot>,
    /// The printed subexpression of each node an error may quote.
    texts: FxHashMap<ExprId, String>,
    /// Where each scalar input is written when a run starts.
    input_slots: Vec<(u32, Slot)>,
    /// The indexed definitions computed as tables, and the code that fills them, read
    /// by `Memo` instructions.
    tables: Vec<Table>,
    bodies: Vec<Body>,
    /// What each table depends on, for runs that perturb one input.
    deps: reuse::Deps,
}

impl Tape {
    /// The number of instructions, loops' bodies included.
    pub fn len(&self) -> usize {
        fn count(code: &[Instr]) -> usize {
            code.iter()
                .map(|i| match i {
                    Instr::Loop { body, .. } => 1 + count(body),
                    Instr::ExpMany { items } | Instr::DivMany { items, .. } => items.len(),
                    _ => 1,
                })
                .sum()
        }
        count(&self.code) + self.bodies.iter().map(|b| count(&b.code)).sum::<usize>()
    }

    /// Whether the tape has no instructions (it always has at least one).
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// The number of outputs.
    pub fn outputs(&self) -> usize {
        self.outputs.len()
    }

    /// Runs the tape at a point; `seed` adds a perturbation to one input (the complex
    /// step's `ih`, or a dual number's unit derivative).
    pub fn run<T: Scalar>(&self, inputs: &TapeInputs, seed: Option<(InputRef, T)>) -> Result<T> {
        let mut m = Machine::new();
        self.run_into(inputs, seed, &mut m)
            .map_err(|f| self.explain(&f, inputs))?;
        Ok(m.slots[self.outputs[0] as usize])
    }

    /// Runs the tape in `f64`.
    pub fn eval(&self, inputs: &TapeInputs) -> Result<f64> {
        self.run::<f64>(inputs, None)
    }

    /// Runs the tape in `f64`; a failure's message shows the point as `point` gives it
    /// (called only then, since it may cost more than the run).
    pub fn eval_showing(&self, inputs: &TapeInputs, point: impl FnOnce() -> String) -> Result<f64> {
        let mut m = Machine::new();
        match self.run_into(inputs, None, &mut m) {
            Ok(()) => Ok(m.slots[self.outputs[0] as usize]),
            Err(fault) => {
                let shown = TapeInputs {
                    point: point(),
                    ..inputs.clone()
                };
                Err(self.explain(&fault, &shown))
            }
        }
    }

    /// Runs the tape in `f64` and reports a failure as a [`Fault`], for callers that
    /// word the message themselves (they have the pool to print any node with).
    pub(crate) fn eval_fault(&self, inputs: &TapeInputs) -> std::result::Result<f64, Fault> {
        let mut m = Machine::new();
        self.run_into(inputs, None, &mut m)?;
        Ok(m.slots[self.outputs[0] as usize])
    }

    /// Runs the tape and writes every output into `out` (one per compiled expression),
    /// reusing `slots` as the working memory so that repeated runs allocate nothing.
    pub fn run_many_into(
        &self,
        inputs: &TapeInputs,
        slots: &mut Vec<f64>,
        out: &mut [f64],
    ) -> Result<()> {
        let mut m = Machine::new();
        m.slots = std::mem::take(slots);
        let ran = self.run_into::<f64>(inputs, None, &mut m);
        *slots = m.slots;
        ran.map_err(|f| self.explain(&f, inputs))?;
        for (o, &s) in out.iter_mut().zip(&self.outputs) {
            *o = slots[s as usize];
        }
        Ok(())
    }

    /// The largest finite size of any value the tape computes on the way (the last
    /// pass's, inside a sum): a result is exact only up to rounding of its largest
    /// intermediate, so `sin(x + 1e8)` is good to about 1e-8, not 1e-16.
    pub fn largest_intermediate(&self, inputs: &TapeInputs) -> f64 {
        let mut m = Machine::new();
        if self.run_into::<f64>(inputs, None, &mut m).is_err() {
            return 0.0;
        }
        m.slots
            .iter()
            .filter(|v| v.is_finite())
            .fold(0.0, |m, v| m.max(v.abs()))
    }

    fn run_into<T: Scalar>(
        &self,
        inputs: &TapeInputs,
        seed: Option<(InputRef, T)>,
        m: &mut Machine<T>,
    ) -> std::result::Result<(), Fault> {
        m.reset(self.slots, self.regs, self.tables.len());
        self.start_into(inputs, seed, m);
        self.code_into(inputs, seed, m)
    }

    /// Writes the point's free indices and scalar inputs into a machine.
    fn start_into<T: Scalar>(
        &self,
        inputs: &TapeInputs,
        seed: Option<(InputRef, T)>,
        m: &mut Machine<T>,
    ) {
        for &(r, v) in &inputs.indices {
            m.regs[r as usize] = v;
        }
        // Without a seed (a plain run, the common case) there is nothing to compare
        // each input with.
        if seed.is_none() {
            for &(input, slot) in &self.input_slots {
                m.slots[slot as usize] = T::from_f64(inputs.scalars[input as usize]);
            }
            return;
        }
        for &(input, slot) in &self.input_slots {
            let s = self.scalars[input as usize];
            let v = inputs.scalars[input as usize];
            m.slots[slot as usize] = seeded(seed, InputRef::Scalar(s), v);
        }
    }

    /// Runs the top-level code on a started machine.
    fn code_into<T: Scalar>(
        &self,
        inputs: &TapeInputs,
        seed: Option<(InputRef, T)>,
        m: &mut Machine<T>,
    ) -> std::result::Result<(), Fault> {
        let run = Run {
            inputs,
            seed,
            tensors: &self.tensors,
            tables: &self.tables,
            bodies: &self.bodies,
        };
        run_block(&run, m, &self.code)
    }

    /// A fault as an error, quoting the texts kept at compilation.
    #[cold]
    #[inline(never)]
    fn explain(&self, fault: &Fault, inputs: &TapeInputs) -> crate::diag::error::Error {
        let text = |id: ExprId| {
            self.texts
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "a subexpression".into())
        };
        let name = |s: Symbol| {
            self.tensors
                .iter()
                .position(|&t| t == s)
                .and_then(|k| self.tensor_names.get(k).cloned())
                .unwrap_or_else(|| "a tensor".into())
        };
        // A zero base under a negative exponent that is not whole (`1/sqrt(d)`) is
        // worded as the tape always worded it for `check`: the expression takes a power
        // there, and no operand of it is a divisor that could be named.
        if let code::What::ZeroToNegativePower { .. } = fault.what {
            let at = if inputs.point.is_empty() {
                String::new()
            } else {
                format!(" at {}", inputs.point)
            };
            return crate::diag::error::Error::new(
                crate::diag::error::ErrorKind::Domain,
                format!(
                    "`{}` is undefined{at}: 0 to a non-positive power",
                    text(fault.node)
                ),
            );
        }
        fault.to_error(&text, &name, &inputs.point, "")
    }
}
