//! Shape declarations: `tensor Q[n, d], K[m, d]` gives names their axes and names the
//! axes' lengths, so whole-tensor expressions know their shapes before any use.

use crate::syntax::parse::{Grammar, PResult, commit, hard};
use crate::syntax::tree::{Ident, Stmt};

impl<'s> Grammar<'s> {
    /// `tensor_stmt = "tensor" declaration { "," declaration }`, where
    /// `declaration = name "[" name_list "]"`.
    pub(super) fn tensor_stmt<'a>(&self, i: &'a str) -> PResult<'a, Stmt> {
        let (start, _) = self.ws(i)?;
        let (mut r, _) = self.keyword(start, "tensor")?;
        let mut decls: Vec<(Ident, Vec<Ident>)> = Vec::new();
        loop {
            let (r2, name) = commit(self.name(r))?;
            let (r2, _) = match self.token(r2, "[") {
                Ok(v) => v,
                Err(_) => {
                    let (at, _) = self.ws(r2)?;
                    return hard(
                        at,
                        "`[` and the names of the axes' lengths",
                        Some("declare a tensor with its axes: `tensor W[n, d]`"),
                    );
                }
            };
            let (r2, lens) = self.name_list(r2)?;
            let (r2, _) = self.require(r2, "]", "`,` or `]` after a length")?;
            decls.push((name, lens));
            match self.token(r2, ",") {
                Ok((r3, _)) => r = r3,
                Err(_) => {
                    r = r2;
                    break;
                }
            }
        }
        let span = self.span(start, r);
        Ok((r, Stmt::Tensor { decls, span }))
    }
}
