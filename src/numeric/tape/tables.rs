//! Tables and the working memory of a run.
//!
//! An indexed call read inside a loop (`h1[j]` in `sum(j, W2[i, j]*h1[j])`) is an
//! element of a table: computed by the call's own code the first time a run reads it,
//! and read back after. [`Machine`] holds a run's slots, registers and tables, kept
//! between runs so that repeated runs allocate nothing.

use crate::numeric::scalar::Scalar;
use crate::numeric::tape::code::{
    Fault, IndexOp, Instr, Range, Reg, Run, Slot, index, range_len, run_block,
};

/// An indexed definition's elements as a table. A call such as `h1[j]`, read inside a
/// sum over `j` (or over anything else), would otherwise compute its whole body again
/// for every value of every enclosing loop; as a table, each element is computed once
/// per run, the first time it is read, so the first failure is the one the call as
/// written meets first, and later reads get the value it would compute again.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    /// The number of axes.
    pub(crate) rank: usize,
    /// The length of each axis, or `None` where the definition's ranges are not known
    /// to the tape: its elements are then computed at every read, as the call is written.
    pub(crate) ranges: Option<Box<[Range]>>,
}

/// The code that computes one element of a table, for the calls of one node (`h1[j]`;
/// `h1[k]` fills the same table with code of its own, which names its own nodes when
/// it fails).
#[derive(Clone, Debug)]
pub(crate) struct Body {
    /// The table it fills.
    pub(crate) table: u32,
    /// The registers the code reads the element's position from, one per axis.
    pub(crate) regs: Box<[Reg]>,
    /// The instructions.
    pub(crate) code: Box<[Instr]>,
    /// Where the code leaves the element.
    pub(crate) value: Slot,
}

/// The most elements a table holds; a bigger one computes its elements at every read,
/// as written, rather than allocate memory for elements a run may never read.
const MAX_TABLE: usize = 1 << 22;

/// A table's elements during one run.
#[derive(Clone, Debug)]
pub(crate) struct TableState<T> {
    /// Whether `values` is sized for this run (and `cached` says whether it is kept).
    sized: bool,
    cached: bool,
    shape: Vec<usize>,
    values: Vec<Option<T>>,
}

impl<T: Copy> TableState<T> {
    /// Takes another run's elements, reusing this one's memory.
    pub(crate) fn copy_from(&mut self, other: &TableState<T>) {
        self.sized = other.sized;
        self.cached = other.cached;
        self.shape.clone_from(&other.shape);
        self.values.clone_from(&other.values);
    }

    /// Forgets every element: the next read sizes the table again.
    pub(crate) fn clear(&mut self) {
        self.sized = false;
    }

    /// Forgets the elements in any of `slabs`, each of which fixes the position on
    /// some axes (`None` on the others; an axis a slab does not reach is free too).
    pub(crate) fn forget(&mut self, slabs: &[Vec<Option<usize>>]) {
        if !self.cached {
            return;
        }
        let mut at = vec![0usize; self.shape.len()];
        for v in self.values.iter_mut() {
            let inside = slabs.iter().any(|slab| {
                at.iter()
                    .zip(slab.iter().chain(std::iter::repeat(&None)))
                    .all(|(&i, f)| f.is_none_or(|f| f == i))
            });
            if inside {
                *v = None;
            }
            // The next position, last axis fastest.
            for a in (0..at.len()).rev() {
                at[a] += 1;
                if at[a] < self.shape[a] {
                    break;
                }
                at[a] = 0;
            }
        }
    }
}

impl<T> Default for TableState<T> {
    fn default() -> TableState<T> {
        TableState {
            sized: false,
            cached: false,
            shape: Vec::new(),
            values: Vec::new(),
        }
    }
}

/// The working memory of a run: the value slots, the index registers and the tables.
/// It is kept between runs of the same tape so that repeated runs allocate nothing.
#[derive(Clone, Debug)]
pub(crate) struct Machine<T> {
    pub(crate) slots: Vec<T>,
    pub(crate) regs: Vec<usize>,
    pub(crate) tables: Vec<TableState<T>>,
}

impl<T: Scalar> Machine<T> {
    /// An empty machine; [`Machine::reset`] sizes it for a tape.
    pub(crate) fn new() -> Machine<T> {
        Machine {
            slots: Vec::new(),
            regs: Vec::new(),
            tables: Vec::new(),
        }
    }

    /// Prepares a run: every slot and register exists and every table is empty (a
    /// table's elements depend on the point, so a new run computes them again).
    pub(crate) fn reset(&mut self, slots: usize, regs: usize, tables: usize) {
        self.slots.resize(slots, T::from_f64(0.0));
        self.regs.resize(regs, 0);
        self.tables.resize_with(tables, TableState::default);
        for t in &mut self.tables {
            t.sized = false;
        }
    }
}

/// An element of a table: read back when this run has computed it, else computed by
/// the table's body (and kept, where the table can be sized).
#[inline(always)]
pub(crate) fn memo<T: Scalar>(
    run: &Run<'_, T>,
    m: &mut Machine<T>,
    body: u32,
    idx: &[IndexOp],
) -> Result<T, Fault> {
    let b = &run.bodies[body as usize];
    let state = &m.tables[b.table as usize];
    if state.sized && state.cached {
        let mut flat = 0usize;
        let mut inside = true;
        for (op, &n) in idx.iter().zip(&state.shape) {
            let i = index(&m.regs, *op);
            inside &= i < n;
            flat = flat.wrapping_mul(n).wrapping_add(i);
        }
        if inside && let Some(v) = state.values[flat] {
            return Ok(v);
        }
    }
    compute(run, m, b, idx)
}

/// An element of a table that this run has not computed yet: the body computes it,
/// and it is kept where the table can be sized.
#[inline(never)]
fn compute<T: Scalar>(
    run: &Run<'_, T>,
    m: &mut Machine<T>,
    body: &Body,
    idx: &[IndexOp],
) -> Result<T, Fault> {
    let table = body.table as usize;
    let t = &run.tables[table];
    let state = &mut m.tables[table];
    if !state.sized {
        state.sized = true;
        state.cached = false;
        if let Some(ranges) = &t.ranges {
            state.shape.clear();
            state
                .shape
                .extend(ranges.iter().map(|r| range_len(run, *r)));
            let total = state
                .shape
                .iter()
                .try_fold(1usize, |acc, &n| acc.checked_mul(n));
            if let Some(total) = total.filter(|&n| n <= MAX_TABLE) {
                state.values.clear();
                state.values.resize(total, None);
                state.cached = true;
            }
        }
    }
    // The flat position, where the element is inside the table's shape.
    let mut flat = Some(0usize);
    if state.cached {
        for (k, op) in idx.iter().enumerate() {
            let i = index(&m.regs, *op);
            let n = state.shape[k];
            flat = flat.and_then(|f| (i < n).then(|| f * n + i));
        }
    } else {
        flat = None;
    }
    for (&r, op) in body.regs.iter().zip(idx) {
        m.regs[r as usize] = index(&m.regs, *op);
    }
    run_block(run, m, &body.code)?;
    let v = m.slots[body.value as usize];
    if let Some(f) = flat {
        m.tables[table].values[f] = Some(v);
    }
    Ok(v)
}
