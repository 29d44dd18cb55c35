//! The syntax tree that the parser produces, with a span on every node.
//!
//! The tree stays close to the text: names are not yet resolved, and chains of `+ -`
//! and `* /` are kept as flat lists (so a sum of half a million terms is a shallow tree,
//! not half a million nested nodes). The `lower` stage turns it into pool expressions.

use num_rational::BigRational;

use crate::diag::source::Span;

/// A name as written, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The name's text.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// How LaTeX writes a tensor's element: `W_{ij}` (a subscript, the default) or
/// `W[i, j]` (brackets, as some papers and all code do). A Kronecker delta
/// (`\delta_{ij}`), a sum's index (`\sum_{j}`) and a name's own suffix (`W_{1}` for
/// `W1`) are symbols, not elements, and keep their subscripts either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum IndexStyle {
    /// `z_{i}`, `W_{ij}`, `\operatorname{softmax}(z)_{i}`.
    #[default]
    Subscript,
    /// `z[i]`, `W[i, j]`, `\operatorname{softmax}(z)[i]`.
    Brackets,
}

impl IndexStyle {
    /// The style's name as a file and the command line write it.
    pub fn name(self) -> &'static str {
        match self {
            IndexStyle::Subscript => "subscript",
            IndexStyle::Brackets => "brackets",
        }
    }

    /// The style a file or the command line names, if the word is one.
    pub fn from_name(word: &str) -> Option<IndexStyle> {
        [IndexStyle::Subscript, IndexStyle::Brackets]
            .into_iter()
            .find(|s| s.name() == word)
    }
}

/// An operator joining the operands of a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChainOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `@`, the matrix product (as in NumPy), as tight as `*` and `/`.
    MatMul,
}

/// An expression with its span.
#[derive(Debug)]
pub struct Expr {
    /// What kind of expression it is.
    pub kind: ExprKind,
    /// The text it covers.
    pub span: Span,
}

/// Cloning and comparing recurse one frame a level, as dropping does: each level is
/// guarded, so that a tree as deep as the parser allows is safe on any thread.
impl Clone for Expr {
    fn clone(&self) -> Expr {
        crate::diag::stack::guard(|| Expr {
            kind: self.kind.clone(),
            span: self.span,
        })
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Expr) -> bool {
        crate::diag::stack::guard(|| self.span == other.span && self.kind == other.kind)
    }
}

/// Dropping a tree recurses through its boxes and lists, one frame a level: past the
/// red zone the rest of the tree is dropped on a new stack segment, so that a tree as
/// deep as the parser allows is freed on any thread.
impl Drop for Expr {
    fn drop(&mut self) {
        if crate::diag::stack::low() {
            let kind = std::mem::replace(&mut self.kind, ExprKind::Number(BigRational::default()));
            crate::diag::stack::grow(move || drop(kind));
        }
    }
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An exact number literal.
    Number(BigRational),
    /// A bare name: a scalar, an index, a constant, or a definition without arguments.
    Name(Ident),
    /// `name[i, ...]`: a tensor element, or an indexed definition without arguments.
    Element {
        /// The tensor or definition.
        name: Ident,
        /// The index expressions.
        indices: Vec<Expr>,
    },
    /// `name(args)` or `name(args)[indices]`.
    Call {
        /// The function.
        name: Ident,
        /// The arguments.
        args: Vec<Expr>,
        /// The indices after the call, if any.
        indices: Option<Vec<Expr>>,
    },
    /// Unary minus.
    Neg(Box<Expr>),
    /// A chain `a + b - c` or `a * b / c`: the first operand and the rest with their operators.
    Chain {
        /// The first operand.
        first: Box<Expr>,
        /// The following operands.
        rest: Vec<(ChainOp, Expr)>,
    },
    /// `base ^ exponent` (also written `**`).
    Pow(Box<Expr>, Box<Expr>),
    /// Indices after an expression that is not a name or a call: `(W @ x + b)[i]`,
    /// `X.T[i, k]`.
    Index {
        /// The indexed expression.
        base: Box<Expr>,
        /// The index expressions (a `:` is [`ExprKind::Slice`]).
        indices: Vec<Expr>,
    },
    /// `base.T`: the transpose, as in NumPy.
    Transpose(Box<Expr>),
    /// A whole axis, written `:` in an index list: `Z[n, :]` is the row n.
    Slice,
}

/// A comparison in an `assume` statement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// `<`
    Less,
    /// `<=`
    LessEq,
    /// `>`
    Greater,
    /// `>=`
    GreaterEq,
    /// `!=`
    NotEq,
    /// `=` in an equality fact (`assume sum(k, Y[n, k]) = 1`): the simplifier rewrites
    /// by it and random points are drawn to meet it.
    Equal,
}

impl Relation {
    /// The relation's text.
    pub fn text(self) -> &'static str {
        match self {
            Relation::Less => "<",
            Relation::LessEq => "<=",
            Relation::Greater => ">",
            Relation::GreaterEq => ">=",
            Relation::NotEq => "!=",
            Relation::Equal => "=",
        }
    }

    /// The relation read from right to left (`a < b` is `b > a`).
    pub fn flipped(self) -> Relation {
        match self {
            Relation::Less => Relation::Greater,
            Relation::LessEq => Relation::GreaterEq,
            Relation::Greater => Relation::Less,
            Relation::GreaterEq => Relation::LessEq,
            Relation::NotEq => Relation::NotEq,
            Relation::Equal => Relation::Equal,
        }
    }
}

/// One statement of a `.gauge` file.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `let name(params)[indices] = body`.
    Let {
        /// The defined name.
        name: Ident,
        /// Parameters, possibly none.
        params: Vec<Ident>,
        /// Each parameter's declared axes, named by their lengths (`Z[n, c]` in
        /// `let f(Z[n, c], T)`), or none when the parameter is written bare.
        shapes: Vec<Vec<Ident>>,
        /// Result indices, possibly none.
        indices: Vec<Ident>,
        /// The body.
        body: Expr,
        /// The whole statement.
        span: Span,
    },
    /// `assume a < b <= c ...`.
    Assume {
        /// The compared expressions, one more than the relations.
        operands: Vec<Expr>,
        /// The relations between consecutive operands, with their spans.
        relations: Vec<(Relation, Span)>,
        /// The whole statement.
        span: Span,
    },
    /// `assume lhs = rhs`: an equality fact, used as a conditional rewrite.
    AssumeEqual {
        /// The left side.
        lhs: Expr,
        /// The right side.
        rhs: Expr,
        /// The whole statement.
        span: Span,
    },
    /// `tensor Q[n, d], K[m, d]`: names with their axes, each axis's length named.
    Tensor {
        /// Each declared tensor with the names of its axes' lengths.
        decls: Vec<(Ident, Vec<Ident>)>,
        /// The whole statement.
        span: Span,
    },
    /// `claim [name:] lhs = rhs [by lemma, ...]`.
    Claim {
        /// The claim's name, if given.
        name: Option<Ident>,
        /// The left side.
        lhs: Expr,
        /// The right side.
        rhs: Expr,
        /// The claims it cites as lemmas (`by sigmoid_prime`), possibly none.
        by: Vec<Ident>,
        /// The whole statement.
        span: Span,
    },
    /// `notation indices = brackets`: how every tensor element of the file prints in
    /// LaTeX, `z_{i}` or `z[i]`.
    Indices {
        /// The style chosen.
        style: IndexStyle,
        /// The whole statement.
        span: Span,
    },
    /// `notation name = "latex"`: how a name prints in LaTeX.
    Notation {
        /// The name.
        name: Ident,
        /// The LaTeX, with `\"` read as a quote.
        latex: String,
        /// The string literal, quotes included.
        latex_span: Span,
        /// The whole statement.
        span: Span,
    },
}

/// A binding `name = value` given with `--at`.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    /// The bound name.
    pub name: Ident,
    /// The value.
    pub value: BindingValue,
}

/// A value in a binding: a constant expression or a (nested) list.
#[derive(Clone, Debug, PartialEq)]
pub enum BindingValue {
    /// A constant expression such as `2.1`, `-pi/2` or `1e-12`.
    Scalar(Expr),
    /// `[v, v, ...]`, with the span of the brackets.
    List(Vec<BindingValue>, Span),
}
