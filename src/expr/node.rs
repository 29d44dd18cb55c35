//! The closed set of expression nodes, and the small enums they use.
//!
//! A [`Node`] never holds another node directly: its children are [`ExprId`] handles into
//! the [`Pool`](crate::expr::pool::Pool). Every operation on expressions (ordering, printing,
//! evaluation, and later differentiation) is one exhaustive `match` over this enum, so
//! adding a node kind is a compile error everywhere a rule is missing.

use num_rational::BigRational;

/// The highest derivative order accepted by `diff(f, x, k)`.
pub const MAX_DIFF_ORDER: u32 = 64;

/// A handle to an expression in the pool. Equal handles mean structurally equal expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub(crate) u32);

impl ExprId {
    /// The handle's position in the pool (useful as a dense map key, never for ordering output).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// An interned name: a scalar, an index, a tensor or a definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(pub(crate) u32);

/// A handle to a definition (`let`) stored in the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId(pub(crate) u32);

/// The mathematical constants of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Constant {
    /// π.
    Pi,
    /// Euler's number e.
    E,
}

impl Constant {
    /// The constant's name in the language.
    pub fn name(self) -> &'static str {
        match self {
            Constant::Pi => "pi",
            Constant::E => "e",
        }
    }

    /// The constant's `f64` value.
    pub fn value(self) -> f64 {
        match self {
            Constant::Pi => std::f64::consts::PI,
            Constant::E => std::f64::consts::E,
        }
    }
}

/// Builtin functions of one argument.
///
/// `sqrt` is not here: it is the power `u^(1/2)`. `log(b, x)`, `log2` and `log10` are
/// quotients of natural logarithms. `sigmoid` and `softplus` are builtins so that they
/// evaluate stably and have their own derivative rules; the prelude still states their
/// definitions in the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Func {
    /// e^u.
    Exp,
    /// Natural logarithm.
    Ln,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Tangent.
    Tan,
    /// Hyperbolic sine.
    Sinh,
    /// Hyperbolic cosine.
    Cosh,
    /// Hyperbolic tangent.
    Tanh,
    /// Inverse sine.
    Asin,
    /// Inverse cosine.
    Acos,
    /// Inverse tangent.
    Atan,
    /// The error function.
    Erf,
    /// Absolute value.
    Abs,
    /// The logistic function 1/(1 + e^-u).
    Sigmoid,
    /// ln(1 + e^u).
    Softplus,
}

impl Func {
    /// Every builtin function, in a fixed order.
    pub const ALL: [Func; 15] = [
        Func::Exp,
        Func::Ln,
        Func::Sin,
        Func::Cos,
        Func::Tan,
        Func::Sinh,
        Func::Cosh,
        Func::Tanh,
        Func::Asin,
        Func::Acos,
        Func::Atan,
        Func::Erf,
        Func::Abs,
        Func::Sigmoid,
        Func::Softplus,
    ];

    /// The function's name in the language.
    pub fn name(self) -> &'static str {
        match self {
            Func::Exp => "exp",
            Func::Ln => "ln",
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Tanh => "tanh",
            Func::Asin => "asin",
            Func::Acos => "acos",
            Func::Atan => "atan",
            Func::Erf => "erf",
            Func::Abs => "abs",
            Func::Sigmoid => "sigmoid",
            Func::Softplus => "softplus",
        }
    }

    /// The builtin with this name, if any (`log` is handled by the lowering, not here).
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The function's value in `f64`, computed stably (`sigmoid` and `softplus` never
    /// overflow). Outside the domain the result is NaN; callers that report domain
    /// errors check the argument first.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Tanh => x.tanh(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
            Func::Erf => libm::erf(x),
            Func::Abs => x.abs(),
            Func::Sigmoid => {
                if x >= 0.0 {
                    1.0 / (1.0 + (-x).exp())
                } else {
                    let t = x.exp();
                    t / (1.0 + t)
                }
            }
            Func::Softplus => {
                if x > 0.0 {
                    x + (-x).exp().ln_1p()
                } else {
                    x.exp().ln_1p()
                }
            }
        }
    }

    /// Whether f(-u) = -f(u) for every real u.
    pub fn is_odd(self) -> bool {
        matches!(
            self,
            Func::Sin | Func::Tan | Func::Sinh | Func::Tanh | Func::Asin | Func::Atan | Func::Erf
        )
    }

    /// Whether f(-u) = f(u) for every real u.
    pub fn is_even(self) -> bool {
        matches!(self, Func::Cos | Func::Cosh | Func::Abs)
    }
}

/// One expression node. Children are handles; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// An exact rational number.
    Num(BigRational),
    /// `pi` or `e`.
    Const(Constant),
    /// A scalar variable.
    Sym(Symbol),
    /// An index variable, free or bound by an enclosing sum.
    Index(Symbol),
    /// A whole tensor, as passed to a definition's tensor parameter.
    Tensor(Symbol),
    /// A tensor element `z[i]`, `W[i, k]`, `z[0]`: the tensor and its index expressions
    /// (each an [`Node::Index`] or a non-negative integer [`Node::Num`]).
    Elem(Symbol, Box<[ExprId]>),
    /// The length of one axis of a tensor, printed `len(z)` or `len(W, 1)`.
    Len(Symbol, u32),
    /// A sum of two or more terms, in canonical order, like terms collected.
    Add(Box<[ExprId]>),
    /// A product of two or more factors: an optional leading numeric coefficient, then
    /// the other factors in canonical order, equal bases merged into powers.
    Mul(Box<[ExprId]>),
    /// A power `base^exponent`; division is a power with exponent -1.
    Pow(ExprId, ExprId),
    /// A builtin function applied to one argument.
    Func(Func, ExprId),
    /// The Kronecker delta of two index expressions, in canonical order.
    Delta(ExprId, ExprId),
    /// `sum(index, body)` where the index runs over `0..range`.
    Sum {
        /// The bound index (named canonically, so alpha-equivalent sums share an id).
        index: Symbol,
        /// The number of values the index takes, usually a [`Node::Len`].
        range: ExprId,
        /// The summand.
        body: ExprId,
    },
    /// A call of a definition: its arguments and the indices of its result (empty for a
    /// scalar definition, or for a tensor-valued call passed as a tensor argument).
    Call {
        /// The definition called.
        def: DefId,
        /// One argument per parameter: a scalar expression, an index or a tensor.
        args: Box<[ExprId]>,
        /// The result's indices.
        indices: Box<[ExprId]>,
    },
    /// An unevaluated derivative `diff(f, var, order)`; `var` is a [`Node::Sym`] or an
    /// [`Node::Elem`].
    Diff {
        /// The expression differentiated.
        expr: ExprId,
        /// The variable: a scalar or a tensor element.
        var: ExprId,
        /// How many times (at least 1).
        order: u32,
    },
}

impl Node {
    /// Whether the node has no children: a number, a constant or a name.
    pub fn is_leaf(&self) -> bool {
        match self {
            Node::Num(_)
            | Node::Const(_)
            | Node::Sym(_)
            | Node::Index(_)
            | Node::Tensor(_)
            | Node::Len(_, _) => true,
            Node::Elem(_, _)
            | Node::Add(_)
            | Node::Mul(_)
            | Node::Pow(_, _)
            | Node::Func(_, _)
            | Node::Delta(_, _)
            | Node::Sum { .. }
            | Node::Call { .. }
            | Node::Diff { .. } => false,
        }
    }
}

/// The children of a node, in order: what a generic traversal visits.
pub fn children(node: &Node) -> Vec<ExprId> {
    match node {
        Node::Num(_)
        | Node::Const(_)
        | Node::Sym(_)
        | Node::Index(_)
        | Node::Tensor(_)
        | Node::Len(_, _) => Vec::new(),
        Node::Elem(_, xs) | Node::Add(xs) | Node::Mul(xs) => xs.to_vec(),
        Node::Pow(a, b) | Node::Delta(a, b) => vec![*a, *b],
        Node::Func(_, a) => vec![*a],
        Node::Sum { range, body, .. } => vec![*range, *body],
        Node::Call { args, indices, .. } => args.iter().chain(indices.iter()).copied().collect(),
        Node::Diff { expr, var, .. } => vec![*expr, *var],
    }
}
