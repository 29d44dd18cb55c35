//! Bindings for `--at`: `z=[2.1, 1.8], y=0`, `W=[[1, 2], [3, 4]]`.

use crate::syntax::parse::{Grammar, PResult, commit, hard};
use crate::syntax::tree::{Binding, BindingValue};

impl<'s> Grammar<'s> {
    /// `binding_list = binding { "," binding }`.
    pub(super) fn binding_list<'a>(&self, i: &'a str) -> PResult<'a, Vec<Binding>> {
        let (mut r, first) = self.binding(i)?;
        let mut out = vec![first];
        loop {
            let (at, _) = self.ws(r)?;
            if at.is_empty() {
                return Ok((at, out));
            }
            match self.token(at, ",") {
                Ok((r2, _)) => {
                    let (r3, b) = self.binding(r2)?;
                    out.push(b);
                    r = r3;
                }
                Err(_) => {
                    return hard(
                        at,
                        "`,` and another binding, or the end",
                        Some("bindings read `x=1.5, z=[2.1, 1.8], y=0`"),
                    );
                }
            }
        }
    }

    /// `binding = name "=" value`.
    fn binding<'a>(&self, i: &'a str) -> PResult<'a, Binding> {
        let (at, _) = self.ws(i)?;
        let (r, name) = match self.name(at) {
            Ok(v) => v,
            Err(_) => {
                return hard(
                    at,
                    "a name to bind",
                    Some("bindings read `x=1.5, z=[2.1, 1.8]`"),
                );
            }
        };
        let (r, _) = self.require(r, "=", "`=` and a value")?;
        let (r, value) = self.value(r)?;
        Ok((r, Binding { name, value }))
    }

    /// `value = "[" [ value { "," value } ] "]" | expr`.
    fn value<'a>(&self, i: &'a str) -> PResult<'a, BindingValue> {
        let (at, _) = self.ws(i)?;
        if let Some(rest) = at.strip_prefix('[') {
            return self.nested(rest, |rest| {
                let mut items = Vec::new();
                if let Ok((r, _)) = self.token(rest, "]") {
                    return Ok((r, BindingValue::List(items, self.span(at, r))));
                }
                let (mut r, first) = self.value(rest)?;
                items.push(first);
                loop {
                    if let Ok((r2, _)) = self.token(r, ",") {
                        let (r3, v) = self.value(r2)?;
                        items.push(v);
                        r = r3;
                    } else if let Ok((r2, _)) = self.token(r, "]") {
                        return Ok((r2, BindingValue::List(items, self.span(at, r2))));
                    } else {
                        let (at2, _) = self.ws(r)?;
                        return Err(nom::Err::Failure(self.trailing(at2, "`,` or `]`")));
                    }
                }
            });
        }
        let (r, e) = commit(self.expr(at))?;
        Ok((r, BindingValue::Scalar(e)))
    }
}
