//! Definitions made by `let`: their parameters, result indices and body, as the pool
//! stores them.

use crate::diag::source::Span;
use crate::expr::form::Form;
use crate::expr::kind::Kind;
use crate::expr::node::{ExprId, Func, Symbol};

/// One parameter of a definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// The parameter's name inside the body.
    pub name: Symbol,
    /// What the parameter takes.
    pub kind: Kind,
    /// For an index parameter, the length of the axis it indexes (in terms of the other
    /// parameters), so that a call can give its index argument a range.
    pub range: Option<ExprId>,
    /// The names of a tensor parameter's axis lengths when its definition declared
    /// them (`n` in `let t(z[n], T)`), kept to print the definition as written.
    pub lengths: Vec<Symbol>,
}

/// A definition made by `let`, from the prelude or from the user.
#[derive(Clone, Debug)]
pub struct Definition {
    /// The name it is called by.
    pub name: Symbol,
    /// Its parameters, in order.
    pub params: Vec<Param>,
    /// The indices of its result (`i` in `softmax(z)[i]`), empty for a scalar definition.
    pub indices: Vec<Symbol>,
    /// For each result index, the length of the axis it runs over, in terms of the
    /// parameters or of global tensors (`len(z)` for softmax).
    pub index_ranges: Vec<ExprId>,
    /// Equal axis lengths that the body requires of its tensor parameters.
    pub equal_lengths: Vec<(ExprId, ExprId)>,
    /// The tensor parameters whose values the body uses as indices (`y` in
    /// `let ce(Z, y) = mean(n, cross_entropy(Z[n, :], y[n]))`), each with the length
    /// its values stay below, over the parameters: a call records its argument as
    /// labels of that range, so that random points draw valid ones.
    pub labels: Vec<(usize, Option<ExprId>)>,
    /// The body, over the parameter and index symbols.
    pub body: ExprId,
    /// Set when this is the prelude's definition of a builtin function (`sigmoid`): calls
    /// then lower to the builtin, and the body states what it means.
    pub builtin: Option<Func>,
    /// Where it was defined.
    pub span: Span,
    /// For an anonymous definition, made for a whole-tensor expression such as
    /// `z / T` passed to `softmax`, the form the printers write for its calls.
    pub form: Option<Form>,
    /// Set for the reductions `max`, `min`, `argmax` and `argmin` over a vector: they
    /// have no body in the language, so nothing expands their calls (the body is a
    /// placeholder that names no value), and each stage that meets one treats it by
    /// its meaning (the tape loops over the vector, a derivative picks the element
    /// that `argmax` names).
    pub reduce: Option<Reduce>,
}

/// A reduction over the elements of a vector that no formula of the language writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reduce {
    /// The largest element.
    Max,
    /// The smallest element.
    Min,
    /// The position of the first largest element, an index.
    ArgMax,
    /// The position of the first smallest element, an index.
    ArgMin,
}

impl Reduce {
    /// Every reduction, in a fixed order.
    pub const ALL: [Reduce; 4] = [Reduce::Max, Reduce::Min, Reduce::ArgMax, Reduce::ArgMin];

    /// The name a call is written with.
    pub fn name(self) -> &'static str {
        match self {
            Reduce::Max => "max",
            Reduce::Min => "min",
            Reduce::ArgMax => "argmax",
            Reduce::ArgMin => "argmin",
        }
    }

    /// Whether the result is a position (an index) rather than a value.
    pub fn is_position(self) -> bool {
        matches!(self, Reduce::ArgMax | Reduce::ArgMin)
    }

    /// Whether it looks for the largest element (rather than the smallest).
    pub fn largest(self) -> bool {
        matches!(self, Reduce::Max | Reduce::ArgMax)
    }

    /// The position that a value reduction takes its element from: `argmax` for `max`.
    pub fn position(self) -> Reduce {
        if self.largest() {
            Reduce::ArgMax
        } else {
            Reduce::ArgMin
        }
    }
}
