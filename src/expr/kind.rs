//! The kind of a name: a scalar, an index, or a tensor with a fixed number of axes.
//!
//! One type serves both global names (fixed by their first use while lowering) and the
//! parameters of definitions (inferred from their uses in the body), so that a call can
//! compare an argument with its parameter directly.

/// What a name is: the kind of a global name, or what a definition's parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A scalar: a variable, or for a parameter any scalar expression.
    Scalar,
    /// An index: a name, or for a parameter a name or an integer literal.
    Index,
    /// A tensor with this many axes.
    Tensor(u32),
}

impl Kind {
    /// Describes the kind in words, for messages.
    pub fn describe(self) -> String {
        match self {
            Kind::Scalar => "a scalar".into(),
            Kind::Index => "an index".into(),
            Kind::Tensor(1) => "a vector (a tensor with 1 axis)".into(),
            Kind::Tensor(2) => "a matrix (a tensor with 2 axes)".into(),
            Kind::Tensor(n) => format!("a tensor with {n} axes"),
        }
    }
}
