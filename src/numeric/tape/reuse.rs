//! Runs that perturb one input, recomputing only what depends on it.
//!
//! The oracles run a tape many times at one point, each run moving one input a little
//! (a finite-difference step, a complex step, a dual number's unit). The tables of a
//! network's layers mostly do not depend on the moved input, or depend on it in a few
//! elements only: moving `W1[3, 5]` changes row 3 of the first layer and everything
//! after it, not the other rows. [`Reuse`] keeps one unperturbed run per number type,
//! and a run with a perturbed input starts from that run's tables, with the elements
//! that may depend on the input cleared.
//!
//! What may depend on what is found once per tape, from its instructions: each table's
//! sources (the scalar inputs, the tensor elements and the other tables' elements its
//! code reads, directly or through the slots computed before it). A position the code
//! reads is known axis by axis: a literal, the table's own index on one of its axes, or
//! anything. The analysis only ever widens what may depend (an unknown slot makes the
//! whole table depend on everything), and an element kept is one whose computation
//! reads nothing that moved: computing it again would give the same bits, so a run
//! from the kept tables gives exactly the value, or the failure, of a run from scratch.

use std::any::{Any, TypeId};
use std::cell::RefCell;

use rustc_hash::FxHashMap;

use crate::numeric::scalar::Scalar;
use crate::numeric::tape::code::{IndexOp, Instr, Machine, Operand, Slot};
use crate::numeric::tape::{InputRef, Tape, TapeInputs};

/// How a read position relates to the element being computed, on one axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Pat {
    /// The element's own index on this axis of its table.
    Axis(usize),
    /// A fixed position.
    At(usize),
    /// Any position (a loop's index, a free index).
    Any,
}

/// Something a value may be computed from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Source {
    /// A scalar input, by its number in the tape.
    Scalar(u32),
    /// Elements of a tensor input.
    Tensor(u32, Box<[Pat]>),
    /// Elements of a table.
    Table(u32, Box<[Pat]>),
    /// Anything: a slot the analysis cannot place.
    Unknown,
}

/// The sources of each table, over its own axes: the union over the code that fills it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Deps {
    tables: Vec<Vec<Source>>,
}

/// Which elements of a table may have moved: none, some (each slab fixes some axes),
/// or all of them.
#[derive(Clone, Debug, PartialEq)]
enum Moved {
    None,
    Slabs(Vec<Vec<Option<usize>>>),
    All,
}

/// More slabs than this are treated as the whole table.
const MAX_SLABS: usize = 16;

impl Moved {
    fn add(&mut self, slab: Vec<Option<usize>>) {
        match self {
            Moved::All => {}
            _ if slab.iter().all(Option::is_none) => *self = Moved::All,
            Moved::None => *self = Moved::Slabs(vec![slab]),
            Moved::Slabs(v) => {
                if !v.contains(&slab) {
                    v.push(slab);
                }
                if v.len() > MAX_SLABS {
                    *self = Moved::All;
                }
            }
        }
    }
}

/// Adds `s` to a sorted set of sources.
fn insert(set: &mut Vec<Source>, s: Source) {
    if let Err(k) = set.binary_search(&s) {
        set.insert(k, s);
    }
}

fn union(set: &mut Vec<Source>, other: &[Source]) {
    for s in other {
        insert(set, s.clone());
    }
}

fn pattern(idx: &[IndexOp], axes: &[u32]) -> Box<[Pat]> {
    idx.iter()
        .map(|op| match *op {
            IndexOp::Lit(v) => Pat::At(v),
            IndexOp::Reg(r) => axes
                .iter()
                .position(|&a| a == r)
                .map_or(Pat::Any, Pat::Axis),
        })
        .collect()
}

/// The source of a fused loop's operand.
fn operand_source(op: &Operand, axes: &[u32], tape: &Tape) -> Source {
    match op {
        Operand::Load { tensor, idx, .. } => Source::Tensor(*tensor, pattern(idx, axes)),
        Operand::Memo { body, idx } => {
            Source::Table(tape.bodies[*body as usize].table, pattern(idx, axes))
        }
    }
}

/// The slots an instruction reads, and what it reads besides slots.
fn operands(instr: &Instr, axes: &[u32], tape: &Tape) -> (Vec<Slot>, Vec<Source>) {
    match instr {
        Instr::NonZero { src, .. }
        | Instr::Exp { src, .. }
        | Instr::PowInt { src, .. }
        | Instr::PowHuge { src, .. }
        | Instr::Sqrt { src, .. }
        | Instr::Func { src, .. } => (vec![*src], Vec::new()),
        Instr::Pow { src, exp, .. } => (vec![*src, *exp], Vec::new()),
        Instr::Label { src, .. } => (vec![*src], Vec::new()),
        Instr::ExpMany { items } => (items.iter().map(|i| i.1).collect(), Vec::new()),
        Instr::DivMany { den, items } => (
            items.iter().map(|i| i.1).chain([den.slot]).collect(),
            Vec::new(),
        ),
        Instr::Overflow { .. }
        | Instr::Const { .. }
        | Instr::Length { .. }
        | Instr::IndexValue { .. }
        | Instr::Delta { .. } => (Vec::new(), Vec::new()),
        Instr::Load { tensor, idx, .. } => (
            Vec::new(),
            vec![Source::Tensor(*tensor, pattern(idx, axes))],
        ),
        Instr::Add { srcs, .. } => (srcs.to_vec(), Vec::new()),
        Instr::Mul2 { a, b, .. } => (vec![*a, *b], Vec::new()),
        Instr::Div { num, den, .. } => (vec![*num, den.slot], Vec::new()),
        Instr::Mul { factors, .. } => (factors.iter().map(|f| f.slot).collect(), Vec::new()),
        Instr::Memo { body, idx, .. } => {
            let table = tape.bodies[*body as usize].table;
            (Vec::new(), vec![Source::Table(table, pattern(idx, axes))])
        }
        Instr::Dot { a, b, .. } => (
            Vec::new(),
            vec![operand_source(a, axes, tape), operand_source(b, axes, tape)],
        ),
        // A loop's slots are handled by its caller, which walks the body.
        Instr::Loop { .. } => (Vec::new(), Vec::new()),
    }
}

/// The slots an instruction writes: one, or a fused run's each.
fn written(instr: &Instr) -> Vec<Slot> {
    match instr {
        // A label writes an index register, not a slot; reads through it are
        // tracked as reads at any position (see `pattern`).
        Instr::NonZero { .. } | Instr::Overflow { .. } | Instr::Label { .. } => Vec::new(),
        Instr::ExpMany { items } | Instr::DivMany { items, .. } => {
            items.iter().map(|i| i.0).collect()
        }
        Instr::Const { dst, .. }
        | Instr::Load { dst, .. }
        | Instr::Length { dst, .. }
        | Instr::IndexValue { dst, .. }
        | Instr::Add { dst, .. }
        | Instr::Mul2 { dst, .. }
        | Instr::Div { dst, .. }
        | Instr::Mul { dst, .. }
        | Instr::Exp { dst, .. }
        | Instr::PowInt { dst, .. }
        | Instr::PowHuge { dst, .. }
        | Instr::Sqrt { dst, .. }
        | Instr::Pow { dst, .. }
        | Instr::Func { dst, .. }
        | Instr::Delta { dst, .. }
        | Instr::Loop { dst, .. }
        | Instr::Dot { dst, .. }
        | Instr::Memo { dst, .. } => vec![*dst],
    }
}

/// Every slot written in a block, loops' bodies included.
fn writes(code: &[Instr], out: &mut Vec<Slot>) {
    for instr in code {
        out.extend(written(instr));
        if let Instr::Loop { body, .. } = instr {
            writes(body, out);
        }
    }
}

/// The union of the sources of a block: what it reads directly, and the sources of
/// the slots it reads that `outer` knows (slots the block writes itself are covered
/// by their own reads); any other slot is unknown.
fn block_sources(
    code: &[Instr],
    axes: &[u32],
    tape: &Tape,
    outer: &FxHashMap<Slot, Vec<Source>>,
    inner: &[Slot],
    out: &mut Vec<Source>,
) {
    for instr in code {
        if let Instr::Loop { body, .. } = instr {
            block_sources(body, axes, tape, outer, inner, out);
            continue;
        }
        let (slots, direct) = operands(instr, axes, tape);
        for d in direct {
            insert(out, d);
        }
        for s in slots {
            if inner.contains(&s) {
                continue;
            }
            match outer.get(&s) {
                Some(src) => union(out, src),
                None => insert(out, Source::Unknown),
            }
        }
    }
}

impl Deps {
    /// The analysis of a compiled tape.
    pub(crate) fn of(tape: &Tape) -> Deps {
        // The top level, slot by slot, in order: a slot's sources are those of the
        // slots it is computed from, and what it reads itself.
        let mut top: FxHashMap<Slot, Vec<Source>> = FxHashMap::default();
        for &(input, slot) in &tape.input_slots {
            top.insert(slot, vec![Source::Scalar(input)]);
        }
        for instr in tape.code.iter() {
            let mut set = Vec::new();
            if let Instr::Loop { body, .. } = instr {
                let mut inner = Vec::new();
                writes(body, &mut inner);
                inner.sort_unstable();
                block_sources(body, &[], tape, &top, &inner, &mut set);
            } else {
                block_sources(std::slice::from_ref(instr), &[], tape, &top, &[], &mut set);
            }
            // A fused run's slots each get the run's sources: more than each reads,
            // never less.
            for dst in written(instr) {
                top.insert(dst, set.clone());
            }
        }
        let mut tables = vec![Vec::new(); tape.tables.len()];
        for b in &tape.bodies {
            let mut inner = Vec::new();
            writes(&b.code, &mut inner);
            inner.sort_unstable();
            let mut set = Vec::new();
            block_sources(&b.code, &b.regs, tape, &top, &inner, &mut set);
            // A body that computes nothing itself hands on a slot computed before it.
            if !inner.contains(&b.value) {
                match top.get(&b.value) {
                    Some(src) => union(&mut set, src),
                    None => insert(&mut set, Source::Unknown),
                }
            }
            union(&mut tables[b.table as usize], &set);
        }
        Deps { tables }
    }

    /// Which elements of each table may move when `seed` is perturbed.
    fn moved(&self, tape: &Tape, inputs: &TapeInputs, seed: InputRef) -> Vec<Moved> {
        // The perturbed input: a scalar's number, or a tensor's number and position.
        let (scalar, element) = match seed {
            InputRef::Scalar(s) => (tape.scalars.iter().position(|&x| x == s), None),
            InputRef::Element(t, off) => {
                let at = tape.tensors.iter().position(|&x| x == t).map(|k| {
                    let shape = &inputs.tensors[k].shape;
                    (k, unravel(off, shape))
                });
                (None, at)
            }
        };
        let mut moved = vec![Moved::None; self.tables.len()];
        // Tables are read by tables compiled around them; repeating until nothing
        // changes settles them in whatever order they were numbered (a pass settles
        // one more level of tables that read tables, and calls do not recurse).
        let mut settled = false;
        for _ in 0..=self.tables.len() {
            let mut changed = false;
            for (t, sources) in self.tables.iter().enumerate() {
                let before = moved[t].clone();
                let rank = tape.tables[t].rank;
                for s in sources {
                    match s {
                        Source::Unknown => moved[t] = Moved::All,
                        Source::Scalar(k) => {
                            if scalar == Some(*k as usize) {
                                moved[t] = Moved::All;
                            }
                        }
                        Source::Tensor(k, pats) => {
                            if let Some((tk, pos)) = &element
                                && *tk == *k as usize
                            {
                                let fixed: Vec<Option<usize>> =
                                    pos.iter().map(|&p| Some(p)).collect();
                                if let Some(slab) = project(pats, &fixed, rank) {
                                    moved[t].add(slab);
                                }
                            }
                        }
                        Source::Table(u, pats) => match moved[*u as usize].clone() {
                            Moved::None => {}
                            Moved::All => {
                                let any = vec![None; pats.len()];
                                if let Some(slab) = project(pats, &any, rank) {
                                    moved[t].add(slab);
                                }
                            }
                            Moved::Slabs(slabs) => {
                                for fixed in slabs {
                                    if let Some(slab) = project(pats, &fixed, rank) {
                                        moved[t].add(slab);
                                    }
                                }
                            }
                        },
                    }
                }
                changed |= moved[t] != before;
            }
            if !changed {
                settled = true;
                break;
            }
        }
        if !settled {
            // Never expected; but a table kept on an unsettled analysis could be wrong.
            moved.fill(Moved::All);
        }
        moved
    }
}

/// The elements of a table that read a moved position: the read's pattern against the
/// moved slab (`None` on an axis where any position moved). `None` when no element can
/// read it; else the table's own axes that are fixed.
fn project(pats: &[Pat], fixed: &[Option<usize>], rank: usize) -> Option<Vec<Option<usize>>> {
    let mut slab = vec![None; rank];
    for (p, f) in pats.iter().zip(fixed) {
        let Some(v) = *f else {
            continue;
        };
        match *p {
            Pat::At(w) if w != v => return None,
            Pat::At(_) | Pat::Any => {}
            Pat::Axis(a) => match slab[a] {
                Some(w) if w != v => return None,
                _ => slab[a] = Some(v),
            },
        }
    }
    Some(slab)
}

fn unravel(mut off: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        let n = shape[a].max(1);
        idx[a] = off % n;
        off /= n;
    }
    idx
}

/// One number type's runs at the point: the unperturbed run, and the memory of the
/// next run.
struct Runs<T> {
    /// The unperturbed run, or `None` where it failed (runs then start from scratch).
    base: Option<Machine<T>>,
    work: Machine<T>,
}

/// Runs of one tape at one point, kept so that a run that perturbs one input
/// recomputes only the elements that depend on it.
pub struct Reuse<'a> {
    tape: &'a Tape,
    inputs: &'a TapeInputs,
    /// The runs of each number type, made on first use.
    runs: RefCell<FxHashMap<TypeId, Box<dyn Any>>>,
}

impl std::fmt::Debug for Reuse<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reuse")
    }
}

impl<'a> Reuse<'a> {
    /// Nothing kept yet, for runs of `tape` at `inputs`.
    pub fn new(tape: &'a Tape, inputs: &'a TapeInputs) -> Reuse<'a> {
        Reuse {
            tape,
            inputs,
            runs: RefCell::new(FxHashMap::default()),
        }
    }

    /// Whether this keeps runs of `tape` at `inputs`.
    pub fn is_for(&self, tape: &Tape, inputs: &TapeInputs) -> bool {
        std::ptr::eq(self.tape, tape) && std::ptr::eq(self.inputs, inputs)
    }

    /// Runs the tape with one input perturbed, as [`Tape::run`] does, giving the same
    /// value or failure, but starting from the unperturbed run kept here (made on
    /// first use) with only the table elements that depend on the perturbed input
    /// cleared.
    pub fn run<T: Scalar + 'static>(
        &self,
        seed: Option<(InputRef, T)>,
    ) -> crate::diag::error::Result<T> {
        let (tape, inputs) = (self.tape, self.inputs);
        let (Some((input, _)), false) = (seed, tape.tables.is_empty()) else {
            return tape.run(inputs, seed);
        };
        let Ok(mut all) = self.runs.try_borrow_mut() else {
            return tape.run(inputs, seed);
        };
        let entry = all.entry(TypeId::of::<T>()).or_insert_with(|| {
            let mut base = Machine::<T>::new();
            let base = tape.run_into(inputs, None, &mut base).ok().map(|()| base);
            Box::new(Runs {
                base,
                work: Machine::<T>::new(),
            })
        });
        let Some(Runs {
            base: Some(base),
            work: m,
        }) = entry.downcast_mut::<Runs<T>>()
        else {
            return tape.run(inputs, seed);
        };
        let moved = tape.deps.moved(tape, inputs, input);
        m.reset(tape.slots, tape.regs, tape.tables.len());
        for (k, moved) in moved.iter().enumerate() {
            m.tables[k].copy_from(&base.tables[k]);
            match moved {
                Moved::None => {}
                Moved::All => m.tables[k].clear(),
                Moved::Slabs(slabs) => m.tables[k].forget(slabs),
            }
        }
        tape.start_into(inputs, seed, m);
        tape.code_into(inputs, seed, m)
            .map_err(|f| tape.explain(&f, inputs))?;
        Ok(m.slots[tape.outputs[0] as usize])
    }
}
