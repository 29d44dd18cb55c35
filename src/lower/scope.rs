//! The global scope, and how a name resolves while a statement is lowered: to a sum's
//! bound index, a parameter or result index of the definition being lowered, or a global
//! name whose kind its first use fixed.

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Func, Symbol};
use crate::lower::lowerer::{Lowerer, err};
use crate::syntax::tree::Ident;

/// Names with a fixed meaning that no `let` may take.
pub const RESERVED: [&str; 19] = [
    "sum",
    "mean",
    "argmax",
    "argmin",
    "transpose",
    "onehot",
    "delta",
    "diff",
    "grad",
    "hessian",
    "len",
    "log",
    "log2",
    "log10",
    "sqrt",
    "pi",
    "e",
    "π",
    "let",
];

/// The global names of a session and what they are.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Kinds of global names, with the span of the use that fixed each.
    pub kinds: FxHashMap<Symbol, (Kind, Span)>,
    /// The current definition of each defined name.
    pub defs: FxHashMap<String, DefId>,
    /// Which definitions came from the prelude.
    pub prelude_defs: Vec<DefId>,
}

impl Lowerer<'_> {
    pub(super) fn binder(&self, name: &str) -> Option<usize> {
        self.binders.iter().rposition(|b| b.name == name)
    }

    pub(super) fn def_param(&self, name: &str) -> Option<usize> {
        self.def
            .as_ref()?
            .params
            .iter()
            .position(|p| p.ident.name == name)
    }

    pub(super) fn def_index(&self, name: &str) -> Option<usize> {
        self.def
            .as_ref()?
            .indices
            .iter()
            .position(|p| p.0.name == name)
    }

    /// The length a name stands for inside the definition being lowered, when a
    /// declared parameter names it (`n` in `let f(Z[n, c])` is `len(Z)`).
    pub(super) fn def_length(&self, name: &str) -> Option<ExprId> {
        self.def
            .as_ref()?
            .lengths
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, l)| l)
    }

    /// The hint for a name used whole that lowered to a scalar: how to make it a
    /// tensor, in a definition's body or outside one.
    pub(super) fn scalar_name_hint(&self) -> &'static str {
        if self.def.is_some() {
            "a name is a scalar unless it is declared a tensor or used with indices in the \
             same statement: declare a parameter's axes in the definition (`let f(z[n], T) \
             = ...`), a global with `tensor z[n]` before it, or write `z[j]` in the body"
        } else {
            "a name is a scalar unless it is declared a tensor or used with indices in the \
             same statement: declare it first (`tensor z[n]`), or write `z[j]` somewhere \
             in the statement"
        }
    }

    pub(super) fn is_defining(&self, name: &str) -> bool {
        self.def.as_ref().is_some_and(|d| d.name == name)
    }

    pub(super) fn recursion_error(&self, ident: &Ident) -> Error {
        err(
            ErrorKind::Recursion,
            ident.span,
            format!("definition `{}` calls itself", ident.name),
        )
        .with_hint("gauge definitions cannot be recursive; write the body out in full")
    }

    /// Fixes or checks the kind of a global name.
    pub(super) fn use_global(&mut self, ident: &Ident, kind: Kind) -> Result<Symbol> {
        let s = self.session.pool.symbol(&ident.name);
        match self.session.scope.kinds.get(&s) {
            None => {
                self.session.scope.kinds.insert(s, (kind, ident.span));
                Ok(s)
            }
            Some(&(k, _)) if k == kind => Ok(s),
            Some(&(k, first)) => Err(err(
                ErrorKind::Shape,
                ident.span,
                format!(
                    "`{}` is used as {}, but it was first used as {}",
                    ident.name,
                    kind.describe(),
                    k.describe()
                ),
            )
            .with_primary_text(format!("used as {} here", kind.describe()))
            .with_label(first, format!("first used as {} here", k.describe()))
            .with_hint("a name means one thing throughout; rename one of the uses")),
        }
    }

    /// Fixes or checks the kind of a parameter of the definition being lowered.
    pub(super) fn use_param(&mut self, k: usize, kind: Kind, span: Span) -> Result<Symbol> {
        let Some(ctx) = self.def.as_mut() else {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "internal: no definition",
            ));
        };
        let slot = &mut ctx.params[k];
        match slot.kind {
            None => {
                slot.kind = Some((kind, span));
                Ok(slot.symbol)
            }
            Some((have, _)) if have == kind => Ok(slot.symbol),
            Some((have, first)) => Err(err(
                ErrorKind::Shape,
                span,
                format!(
                    "parameter `{}` is used as {}, but it was first used as {}",
                    slot.ident.name,
                    kind.describe(),
                    have.describe()
                ),
            )
            .with_primary_text(format!("used as {} here", kind.describe()))
            .with_label(first, format!("first used as {} here", have.describe()))),
        }
    }

    pub(super) fn not_a_value(&self, ident: &Ident, what: &str, hint: String) -> Error {
        err(
            ErrorKind::Name,
            ident.span,
            format!("`{}` is {what}, not a value", ident.name),
        )
        .with_hint(hint)
    }

    pub(super) fn is_function_name(&self, name: &str) -> bool {
        Func::from_name(name).is_some()
            || matches!(
                name,
                "sum"
                    | "mean"
                    | "argmax"
                    | "argmin"
                    | "transpose"
                    | "onehot"
                    | "delta"
                    | "diff"
                    | "grad"
                    | "hessian"
                    | "len"
                    | "log"
                    | "log2"
                    | "log10"
                    | "sqrt"
            )
    }
}
