//! The array program that every target is printed from: a list of instructions, each
//! computing one array whose axes are named by index symbols.
//!
//! An array stores only the axes it varies along; a missing axis means "the same along
//! it", so that arrays broadcast against each other by their axis names, as NumPy's do
//! by position. A target aligns the operands of an instruction to its axes (NumPy by
//! transposing and inserting new axes, Rust by computing each operand's offset from the
//! loop counters).

use crate::expr::node::{Func, Symbol};

/// The length of an axis: an axis of an argument, or a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Length {
    /// Axis `axis` of argument `arg` (its position in the generated function's list).
    Input {
        /// The argument's position.
        arg: usize,
        /// The axis of that argument.
        axis: usize,
    },
    /// A fixed count.
    Lit(usize),
}

/// One axis of an array: the index it runs over and its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dim {
    /// The index symbol that names the axis.
    pub axis: Symbol,
    /// How many values it takes.
    pub len: Length,
}

/// A handle to an instruction's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tmp(pub usize);

/// How a reduction over one axis folds its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fold {
    /// The largest value; `shift` marks the shift of a stable softmax or logsumexp,
    /// which no derivative should flow through (the result does not depend on it).
    Max {
        /// Whether this is a stabilizing shift.
        shift: bool,
    },
    /// The smallest value.
    Min,
    /// The position of the first largest value.
    ArgMax,
    /// The position of the first smallest value.
    ArgMin,
}

/// How one axis of a gathered array is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum At {
    /// Along an axis of the result (the same axis, or renamed).
    Axis(Dim),
    /// At the positions an integer array holds.
    Int(Tmp),
    /// At one fixed position.
    Lit(usize),
}

/// What an instruction computes. Operands are earlier instructions' results.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Argument `k` of the generated function.
    Input(usize),
    /// A floating-point constant.
    Const(f64),
    /// An integer constant (an index).
    IntConst(usize),
    /// An axis length, as a floating-point number.
    Length(Length),
    /// The positions 0, 1, ... of the instruction's one axis, as integers.
    Arange,
    /// The sum of the operands.
    Add(Vec<Tmp>),
    /// The difference.
    Sub(Tmp, Tmp),
    /// The product of the operands.
    Mul(Vec<Tmp>),
    /// One over the operand.
    Recip(Tmp),
    /// An integer power.
    Powi(Tmp, i32),
    /// A power with a constant exponent that is not an integer.
    Powf(Tmp, f64),
    /// A power with a variable exponent.
    Pow(Tmp, Tmp),
    /// The square root.
    Sqrt(Tmp),
    /// A builtin function, computed stably (`sigmoid`, `softplus`).
    Func(Func, Tmp),
    /// 1 where two integer arrays are equal, else 0 (the Kronecker delta).
    Eq(Tmp, Tmp),
    /// An integer array as floating-point numbers.
    Float(Tmp),
    /// A reduction over one axis of the operand.
    Fold(Fold, Tmp, Symbol),
    /// The product of the operands, summed over every axis of theirs that the
    /// instruction does not keep: `einsum`, `@`, `sum`, or nested loops.
    Contract(Vec<Tmp>),
    /// Elements of the operand, one [`At`] per axis of it.
    Gather(Tmp, Vec<At>),
    /// The operand with its axes renamed (the instruction's axes, in the same order).
    Relabel(Tmp),
    /// `base` plus `coef` where the axis `axis` of the result is at the position `pos`
    /// holds (an integer array along other axes of the result, or a label): the sum of
    /// an array and a scaled Kronecker delta, written as an update of the few elements
    /// the delta selects rather than as a dense one-hot array. The result has the
    /// axes of `base`, which include `axis` and every axis of `pos`; `coef` is scalar.
    AddAt {
        /// The array updated.
        base: Tmp,
        /// The axis the delta selects along.
        axis: Symbol,
        /// The selected position along `axis`, for each position of the other axes.
        pos: Tmp,
        /// The amount added at the selected elements.
        coef: Tmp,
    },
    /// The operand broadcast to the instruction's axes, all of them stored: a result
    /// the function returns.
    Output(Tmp),
}

/// One instruction: what it computes, the axes of its result, and whether the result
/// holds integers (positions) rather than real numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Instr {
    /// The operation.
    pub op: Op,
    /// The result's axes, in storage order.
    pub axes: Vec<Dim>,
    /// Whether the result holds positions.
    pub int: bool,
}

/// What an argument of the generated function is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A real number.
    Scalar,
    /// A position (a class number), below the length class `bound` when known.
    Label {
        /// The length class the position stays below.
        bound: Option<usize>,
    },
    /// An array; `labels` is set when it holds positions (class numbers) below the
    /// length of that class.
    Tensor {
        /// The length class of each axis.
        dims: Vec<usize>,
        /// For an array of positions, the class of the length they stay below.
        labels: Option<Option<usize>>,
    },
}

/// An argument of the generated function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The name in gauge's language.
    pub name: String,
    /// The name in the generated code (renamed where the target reserves it).
    pub code: String,
    /// What it takes.
    pub kind: ArgKind,
}

/// A whole generated function before printing: its arguments, its instructions, the
/// value and the gradients (one per variable, in the order asked).
#[derive(Clone, Debug)]
pub struct Program {
    /// The arguments, in order.
    pub args: Vec<Arg>,
    /// The instructions, each after its operands.
    pub instrs: Vec<Instr>,
    /// The value.
    pub value: Tmp,
    /// The gradients, each an [`Op::Output`] with the variable's shape.
    pub grads: Vec<Tmp>,
    /// For each gradient, the argument it is by.
    pub wrt: Vec<usize>,
    /// The length classes (axes that must have equal lengths share one), each with
    /// its fixed count where the formula fixes it.
    pub classes: Vec<Option<usize>>,
}

impl Op {
    /// Whether the result is real arithmetic on real operands that may be stored in any
    /// axis order: an elementwise operation other than the integer ones (`Eq`,
    /// `Float`), or a contraction.
    pub fn is_arithmetic(&self) -> bool {
        self.is_elementwise() && !matches!(self, Op::Eq(..) | Op::Float(_))
            || matches!(self, Op::Contract(_))
    }

    /// Whether each element of the result comes from the operands' elements at the
    /// same position (with broadcasting), and from nothing else.
    pub fn is_elementwise(&self) -> bool {
        match self {
            Op::Add(_)
            | Op::Sub(..)
            | Op::Mul(_)
            | Op::Recip(_)
            | Op::Powi(..)
            | Op::Powf(..)
            | Op::Pow(..)
            | Op::Sqrt(_)
            | Op::Func(..)
            | Op::Eq(..)
            | Op::Float(_) => true,
            Op::Input(_)
            | Op::Const(_)
            | Op::IntConst(_)
            | Op::Length(_)
            | Op::Arange
            | Op::Fold(..)
            | Op::Contract(_)
            | Op::Gather(..)
            | Op::Relabel(_)
            | Op::AddAt { .. }
            | Op::Output(_) => false,
        }
    }

    /// The instructions this one reads, in order (with repeats).
    pub fn operands(&self) -> Vec<Tmp> {
        match self {
            Op::Input(_) | Op::Const(_) | Op::IntConst(_) | Op::Length(_) | Op::Arange => {
                Vec::new()
            }
            Op::Add(xs) | Op::Mul(xs) | Op::Contract(xs) => xs.clone(),
            Op::Sub(x, y) | Op::Pow(x, y) | Op::Eq(x, y) => vec![*x, *y],
            Op::Recip(x)
            | Op::Powi(x, _)
            | Op::Powf(x, _)
            | Op::Sqrt(x)
            | Op::Func(_, x)
            | Op::Float(x)
            | Op::Fold(_, x, _)
            | Op::Relabel(x)
            | Op::Output(x) => vec![*x],
            Op::Gather(src, ats) => std::iter::once(*src)
                .chain(ats.iter().filter_map(|at| match at {
                    At::Int(t) => Some(*t),
                    At::Axis(_) | At::Lit(_) => None,
                }))
                .collect(),
            Op::AddAt {
                base, pos, coef, ..
            } => vec![*base, *pos, *coef],
        }
    }
}

impl Program {
    /// Which instructions the value and the gradients need: the lowering leaves
    /// behind some that a later rewrite replaced (a dense delta that became an
    /// update), and the printers skip them.
    pub fn live(&self) -> Vec<bool> {
        let mut live = vec![false; self.instrs.len()];
        for t in self.grads.iter().chain([&self.value]) {
            live[t.0] = true;
        }
        // Operands come before their users, so one backward pass marks them all.
        for k in (0..self.instrs.len()).rev() {
            if live[k] {
                for o in self.instrs[k].op.operands() {
                    live[o.0] = true;
                }
            }
        }
        live
    }

    /// The instruction that stores `t`'s elements: `t`, or the array it renames.
    pub fn storage(&self, t: Tmp) -> Tmp {
        match self.instrs[t.0].op {
            Op::Relabel(s) => self.storage(s),
            _ => t,
        }
    }

    /// For each instruction, how many reads of its storage the live instructions
    /// make, counting the value and gradients returned as reads.
    pub fn reads(&self) -> Vec<usize> {
        let live = self.live();
        let mut reads = vec![0; self.instrs.len()];
        for t in self.grads.iter().chain([&self.value]) {
            reads[self.storage(*t).0] += 1;
        }
        for (k, ins) in self.instrs.iter().enumerate() {
            if live[k] && !matches!(ins.op, Op::Relabel(_)) {
                for o in ins.op.operands() {
                    reads[self.storage(o).0] += 1;
                }
            }
        }
        reads
    }

    /// The instruction that computes `t`.
    pub fn instr(&self, t: Tmp) -> &Instr {
        &self.instrs[t.0]
    }

    /// Whether `t` is scalar.
    pub fn is_scalar(&self, t: Tmp) -> bool {
        self.instrs[t.0].axes.is_empty()
    }
}

/// The axes of several arrays together, each once, in the order they first appear:
/// the axes of an operation on them.
pub fn union<'a>(lists: impl IntoIterator<Item = &'a [Dim]>) -> Vec<Dim> {
    let mut out: Vec<Dim> = Vec::new();
    for list in lists {
        for d in list {
            if !out.iter().any(|o| o.axis == d.axis) {
                out.push(*d);
            }
        }
    }
    out
}
