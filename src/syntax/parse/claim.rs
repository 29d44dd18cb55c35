//! Claims: `claim name: lhs = rhs`, optionally citing proved claims as lemmas with
//! `by name, ...`.

use std::borrow::Cow;

use crate::syntax::parse::{Grammar, PResult, commit, hard};
use crate::syntax::tree::{Ident, Stmt};

/// How a citation reads, for hints.
const BY_HINT: &str = "cite proved claims by their names: `claim c: lhs = rhs by lemma_a, lemma_b`";

impl<'s> Grammar<'s> {
    /// `claim_stmt = "claim" [ name ":" ] expr "=" expr [ by_clause ]`.
    pub(super) fn claim_stmt<'a>(&self, i: &'a str) -> PResult<'a, Stmt> {
        let (start, _) = self.ws(i)?;
        let (r, _) = self.keyword(start, "claim")?;
        // A name followed by `:` labels the claim; anything else starts the left side.
        let (r, name) = match self.name(r) {
            Ok((r2, n)) => match self.token(r2, ":") {
                Ok((r3, _)) => (r3, Some(n)),
                Err(_) => (r, None),
            },
            Err(_) => (r, None),
        };
        let (r, lhs) = commit(self.expr(r))?;
        let (r, _) = match self.token(r, "=") {
            Ok(v) => v,
            Err(_) => {
                let (at, _) = self.ws(r)?;
                let mut e = self.trailing(at, "`=` between the two sides of the claim");
                if e.hint.is_none() {
                    e.hint = Some(Cow::Borrowed("a claim reads `claim name: lhs = rhs`"));
                }
                return Err(nom::Err::Failure(e));
            }
        };
        if let Ok((_, _)) = self.token(r, "=") {
            let (at, _) = self.ws(r)?;
            return hard(
                at,
                "the right side of the claim",
                Some("claims use a single `=`"),
            );
        }
        let (r, rhs) = commit(self.expr(r))?;
        // `by` after the right side is a citation, not a name: there is no implicit
        // multiplication, so a name cannot follow an expression anyway.
        let (r, by) = match self.by_clause(r) {
            Ok(v) => v,
            Err(nom::Err::Error(_)) => (r, Vec::new()),
            Err(e) => return Err(e),
        };
        let span = self.span(start, r);
        Ok((
            r,
            Stmt::Claim {
                name,
                lhs,
                rhs,
                by,
                span,
            },
        ))
    }

    /// `by_clause = "by" name_list`: the claims a claim cites as lemmas.
    fn by_clause<'a>(&self, i: &'a str) -> PResult<'a, Vec<Ident>> {
        let (r, _) = self.keyword(i, "by")?;
        let (at, _) = self.ws(r)?;
        if self.word(at).is_err() {
            return hard(at, "the name of a claim after `by`", Some(BY_HINT));
        }
        self.name_list(at)
    }
}
