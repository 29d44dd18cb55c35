//! Postfix forms after an atom: indices on any expression (`(W @ x + b)[i]`), `:` for a
//! whole axis (`Z[n, :]`) and the transpose `.T`, as NumPy writes them.

use std::borrow::Cow;

use crate::syntax::parse::{Grammar, PResult, expected, hard, is_name_char};
use crate::syntax::tree::{Expr, ExprKind};

impl<'s> Grammar<'s> {
    /// `primary = atom { postfix }`, where `postfix = "[" index_list "]" | ".T"`: indices
    /// or a transpose after any atom, as in NumPy (`(W @ x + b)[i]`, `X.T`, `Z[n, :]`).
    pub(super) fn primary<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let (i, _) = self.ws(i)?;
        let (mut r, mut e) = self.atom(i)?;
        // A parenthesized atom is a whole value, however it is built inside: its
        // indices select from it (`(z)[i]` is z[i], `(Z[n, :])[j]` is Z[n, j]).
        let mut whole = i.starts_with('(');
        loop {
            let (at, _) = self.ws(r)?;
            if let Some(rest) = at.strip_prefix(".T") {
                if rest.starts_with(is_name_char) {
                    return hard(
                        &at[1..],
                        "`T` (the transpose)",
                        Some("`.T` is the only attribute: write `X.T` for the transpose"),
                    );
                }
                r = rest;
                e = Expr {
                    span: self.span(i, r),
                    kind: ExprKind::Transpose(Box::new(e)),
                };
                continue;
            }
            if at.starts_with('.') && !at[1..].starts_with(|c: char| c.is_ascii_digit()) {
                return hard(
                    &at[1..],
                    "`T` (the transpose)",
                    Some("`.T` is the only attribute: write `X.T` for the transpose"),
                );
            }
            // Indices right after an element or an indexed call would select twice,
            // unless the first selection kept a whole axis (`Z[n, :][j]`, as in NumPy).
            let indexed = !whole
                && match &e.kind {
                    ExprKind::Element { indices, .. }
                    | ExprKind::Index { indices, .. }
                    | ExprKind::Call {
                        indices: Some(indices),
                        ..
                    } => !indices.iter().any(|x| matches!(x.kind, ExprKind::Slice)),
                    _ => false,
                };
            if at.starts_with('[') && !indexed {
                let (r2, indices) = self.index_list(&at[1..], &at[1..])?;
                whole = false;
                let kind = match std::mem::replace(&mut e.kind, ExprKind::Slice) {
                    kind @ (ExprKind::Element { .. }
                    | ExprKind::Index { .. }
                    | ExprKind::Call {
                        indices: Some(_), ..
                    }) => ExprKind::Index {
                        base: Box::new(Expr { kind, span: e.span }),
                        indices,
                    },
                    ExprKind::Name(name) => ExprKind::Element { name, indices },
                    ExprKind::Call {
                        name,
                        args,
                        indices: None,
                    } => ExprKind::Call {
                        name,
                        args,
                        indices: Some(indices),
                    },
                    kind => ExprKind::Index {
                        base: Box::new(Expr { kind, span: e.span }),
                        indices,
                    },
                };
                r = r2;
                e = Expr {
                    kind,
                    span: self.span(i, r),
                };
                continue;
            }
            return Ok((r, e));
        }
    }

    /// The indices of `[ ... ]` after the `[`, up to and including the `]`: expressions
    /// or `:` for a whole axis. `open` is the text after the bracket, for messages.
    pub(super) fn index_list<'a>(&self, i: &'a str, open: &'a str) -> PResult<'a, Vec<Expr>> {
        let (r, idx) = self.nested(i, |r2| self.expr_list(r2, "]", "`,` or `]`"))?;
        if idx.is_empty() {
            let (at, _) = self.ws(open)?;
            let mut e = expected(at, "an index");
            e.message = Some("an index list cannot be empty".into());
            e.hint = Some(Cow::Borrowed(
                "write `z[i]`, `W[i, k]`, `z[0]` or `Z[n, :]`",
            ));
            return Err(nom::Err::Failure(e));
        }
        Ok((r, idx))
    }
}
