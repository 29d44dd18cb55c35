//! Code generation: a scalar formula and its gradients as one self-contained,
//! numerically stable function `value_and_grad(args...)` in NumPy, JAX, PyTorch or
//! Rust, returning `(value, (grad_1, ..., grad_k))` as `jax.value_and_grad` does.
//!
//! The formula and its derivatives (taken by the calculus stage, in index form) are
//! lowered into one array program ([`ir`], [`build`]) in which shared subexpressions are
//! computed once and the stable forms of softmax, logsumexp and their logarithms
//! replace the naive ones ([`stable`]); then a printer writes it for the target:
//! vectorized for the array libraries ([`python`]), as loops for Rust ([`rust`]).
//!
//! [`exec`] runs the same program here, on `f64` arrays with rounding bounds, for
//! `gauge check --values`.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`.

pub mod build;
mod contract;
mod delta;
pub mod exec;
pub mod harness;
mod hoist;
pub mod ir;
pub mod names;
pub mod python;
pub mod rust;
pub mod stable;
mod tail;

use crate::codegen::build::{Builder, InputKind};
use crate::codegen::ir::{Arg, ArgKind, Dim, Length, Op, Program};
use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Node, Symbol};
use crate::expr::pool::Pool;
use crate::lower::workspace::Workspace;
use crate::print::text::to_text;

/// The language generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Target {
    /// NumPy.
    #[default]
    Numpy,
    /// JAX (`jax.numpy`), differentiable by `jax.grad`.
    Jax,
    /// PyTorch, with a `torch.autograd.Function`.
    Torch,
    /// Rust with no crates: `f64`, slices and loops.
    Rust,
}

impl Target {
    /// Every target, in a fixed order.
    pub const ALL: [Target; 4] = [Target::Numpy, Target::Jax, Target::Torch, Target::Rust];

    /// The name the command line gives it.
    pub fn name(self) -> &'static str {
        match self {
            Target::Numpy => "numpy",
            Target::Jax => "jax",
            Target::Torch => "torch",
            Target::Rust => "rust",
        }
    }

    /// The target of a name, if it is one.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One gradient asked for: the argument it is by, the derivative in index form, and the
/// free indices of the derivative that stand for the argument's axes.
#[derive(Clone, Debug)]
pub struct GradRequest {
    /// The argument's position among the inputs.
    pub arg: usize,
    /// The derivative, a formula whose free indices are `axes`.
    pub expr: ExprId,
    /// One index per axis of the argument (none for a scalar).
    pub axes: Vec<Symbol>,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Request {
    /// The scalar formula.
    pub value: ExprId,
    /// The inputs, in argument order.
    pub inputs: Vec<(Symbol, InputKind)>,
    /// The gradients, in the order asked.
    pub grads: Vec<GradRequest>,
    /// The language.
    pub target: Target,
    /// Whether to append a harness that checks a user's function against this one.
    pub emit_check: bool,
    /// Whether to keep `1 - tanh(u)^2` as written rather than as the stable
    /// `1/cosh(u)^2`: a check's rounding bound models the program it judges, which
    /// computes the textbook form and its cancellation. (The shifts of softmax and
    /// logsumexp stay: programs shift too, and the unshifted forms overflow.)
    pub as_written: bool,
}

/// What the docstring says: the formula, each derivative, and the renamed names.
#[derive(Clone, Debug, Default)]
pub struct Docs {
    /// The formula, in the language.
    pub value: String,
    /// For each gradient, the variable (`W[a, c]`) and the derivative.
    pub grads: Vec<(String, String)>,
    /// Names the target reserves, with the names they have in the code.
    pub renamed: Vec<(String, String)>,
}

/// Generated code, with the arguments it takes.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The source text.
    pub code: String,
    /// The arguments, in order.
    pub args: Vec<Arg>,
    /// For each length class, its fixed count where the formula fixes one.
    pub classes: Vec<Option<usize>>,
}

/// Generates the function that `request` asks for.
pub fn generate(pool: &mut Pool, request: &Request) -> Result<Generated> {
    let program = lower(pool, request)?;
    let mut docs = Docs {
        value: to_text(pool, request.value),
        ..Docs::default()
    };
    for g in &request.grads {
        let name = pool.name(request.inputs[g.arg].0).to_string();
        let var = if g.axes.is_empty() {
            name
        } else {
            let idx: Vec<&str> = g.axes.iter().map(|&s| pool.name(s)).collect();
            format!("{name}[{}]", idx.join(", "))
        };
        docs.grads.push((var, to_text(pool, g.expr)));
    }
    for a in &program.args {
        if a.code != a.name {
            docs.renamed.push((a.name.clone(), a.code.clone()));
        }
    }
    let mut code = match request.target {
        Target::Rust => rust::print(&program, &docs),
        Target::Numpy | Target::Jax | Target::Torch => {
            python::print(&program, &docs, request.target)
        }
    };
    if request.emit_check {
        code.push_str(&match request.target {
            Target::Rust => harness::rust(&program),
            Target::Numpy | Target::Jax | Target::Torch => {
                harness::python(&program, request.target)
            }
        });
    }
    Ok(Generated {
        code,
        args: program.args.clone(),
        classes: program.classes.clone(),
    })
}

/// The array program of a request.
pub fn lower(pool: &mut Pool, request: &Request) -> Result<Program> {
    let names: Vec<String> = request
        .inputs
        .iter()
        .map(|&(s, _)| pool.name(s).to_string())
        .collect();
    let mut b = Builder::new(pool, request.inputs.clone());
    b.as_written = request.as_written;
    let value = b.value(request.value)?;
    if !b.axes(value).is_empty() {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "`{}` is not a scalar: it has free indices",
                to_text(b.pool, request.value)
            ),
        )
        .with_hint("sum it against an upstream gradient, as in `sum(i, g[i]*softmax(z)[i])`"));
    }
    let mut grads = Vec::with_capacity(request.grads.len());
    for g in &request.grads {
        let dims: Vec<Dim> = g
            .axes
            .iter()
            .enumerate()
            .map(|(axis, &s)| Dim {
                axis: s,
                len: Length::Input { arg: g.arg, axis },
            })
            .collect();
        let d = b.with_axes(&dims, |b| b.value(g.expr))?;
        grads.push(b.push(Op::Output(d), dims, false));
    }
    let (classes, of) = length_classes(&b);
    let class_of = |l: &Length| of.iter().find(|x| x.0 == *l).map(|x| x.1);
    let bound = |arg: usize| {
        b.bounds
            .iter()
            .find(|x| x.0 == arg)
            .and_then(|x| class_of(&x.1))
    };
    let args = request
        .inputs
        .iter()
        .enumerate()
        .map(|(k, &(_, kind))| Arg {
            name: names[k].clone(),
            code: names::code_name(&names[k], request.target),
            kind: match kind {
                InputKind::Scalar => ArgKind::Scalar,
                InputKind::Label => ArgKind::Label { bound: bound(k) },
                InputKind::Tensor(rank) => ArgKind::Tensor {
                    dims: (0..rank)
                        .filter_map(|axis| class_of(&Length::Input { arg: k, axis }))
                        .collect(),
                    labels: (b.int_use[k] == Some(true)).then(|| bound(k)),
                },
            },
        })
        .collect();
    Ok(Program {
        args,
        instrs: std::mem::take(&mut b.instrs),
        value,
        grads,
        wrt: request.grads.iter().map(|g| g.arg).collect(),
        classes,
    })
}

/// The classes of lengths that must be equal (the axes of the arguments, joined where
/// one is read along another), each with its count where a number fixes it, and a
/// lookup from a length to its class.
fn length_classes(b: &Builder<'_>) -> (Vec<Option<usize>>, Vec<(Length, usize)>) {
    let mut all: Vec<Length> = Vec::new();
    for (arg, &(_, kind)) in b.inputs.iter().enumerate() {
        if let InputKind::Tensor(rank) = kind {
            all.extend((0..rank).map(|axis| Length::Input { arg, axis }));
        }
    }
    let bounds = b.bounds.iter().map(|x| x.1);
    for l in b.equal.iter().flat_map(|&(x, y)| [x, y]).chain(bounds) {
        {
            if !all.contains(&l) {
                all.push(l);
            }
        }
    }
    let mut parent: Vec<usize> = (0..all.len()).collect();
    fn root(parent: &mut [usize], mut k: usize) -> usize {
        while parent[k] != k {
            parent[k] = parent[parent[k]];
            k = parent[k];
        }
        k
    }
    for &(x, y) in &b.equal {
        let (Some(i), Some(j)) = (
            all.iter().position(|l| *l == x),
            all.iter().position(|l| *l == y),
        ) else {
            continue;
        };
        let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
        parent[ri.max(rj)] = ri.min(rj);
    }
    let mut class_ids: Vec<usize> = Vec::new();
    let mut of: Vec<(Length, usize)> = Vec::new();
    let mut classes: Vec<Option<usize>> = Vec::new();
    for (k, &len) in all.iter().enumerate() {
        let r = root(&mut parent, k);
        let c = match class_ids.iter().position(|&x| x == r) {
            Some(c) => c,
            None => {
                class_ids.push(r);
                classes.push(None);
                classes.len() - 1
            }
        };
        if let Length::Lit(n) = len {
            classes[c] = Some(n);
        }
        of.push((len, c));
    }
    (classes, of)
}

/// The inputs of the formula `id`, in argument order: its scalars and tensors, then
/// the tensors it reads only as labels (inside an index), then its free indices (labels
/// given as numbers).
pub fn inputs(ws: &mut Workspace, id: ExprId) -> Vec<(Symbol, InputKind)> {
    let mut inputs = Vec::new();
    for s in ws.pool.free_variables(id) {
        let kind = match ws.kind_of(s) {
            Some(Kind::Scalar) => InputKind::Scalar,
            Some(Kind::Tensor(r)) => InputKind::Tensor(r as usize),
            Some(Kind::Index) | None => continue,
        };
        inputs.push((s, kind));
    }
    for s in label_tensors(&mut ws.pool, id) {
        if !inputs.iter().any(|i| i.0 == s)
            && let Some(Kind::Tensor(r)) = ws.kind_of(s)
        {
            inputs.push((s, InputKind::Tensor(r as usize)));
        }
    }
    for s in ws.pool.free_indices(id) {
        if !inputs.iter().any(|i| i.0 == s) {
            inputs.push((s, InputKind::Label));
        }
    }
    inputs
}

/// The tensors read inside index positions (`labels` in `Z[n, labels[n]]`), with every
/// call expanded, in the order they first appear.
fn label_tensors(pool: &mut Pool, id: ExprId) -> Vec<Symbol> {
    fn walk(
        pool: &mut Pool,
        id: ExprId,
        in_index: bool,
        seen: &mut std::collections::HashSet<(ExprId, bool)>,
        out: &mut Vec<Symbol>,
    ) {
        if !seen.insert((id, in_index)) {
            return;
        }
        match pool.node(id).clone() {
            Node::Elem(t, idx) => {
                if in_index && !out.contains(&t) {
                    out.push(t);
                }
                for i in idx.iter() {
                    walk(pool, *i, true, seen, out);
                }
            }
            Node::Call { args, indices, .. } => {
                for i in indices.iter() {
                    walk(pool, *i, true, seen, out);
                }
                match pool.expand_call(id).filter(|&b| b != id) {
                    Some(body) => walk(pool, body, in_index, seen, out),
                    None => {
                        for a in args.iter() {
                            walk(pool, *a, in_index, seen, out);
                        }
                    }
                }
            }
            Node::Delta(a, b) => {
                walk(pool, a, true, seen, out);
                walk(pool, b, true, seen, out);
            }
            other => {
                for c in crate::expr::node::children(&other) {
                    walk(pool, c, in_index, seen, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(
        pool,
        id,
        false,
        &mut std::collections::HashSet::new(),
        &mut out,
    );
    out
}
