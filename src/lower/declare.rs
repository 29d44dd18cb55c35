//! `tensor` declarations: `tensor Q[n, d], K[m, d]` fixes each name's number of axes
//! and names the axes' lengths. A length name is a scalar definition (`n` is
//! `len(Q)`), so it reads as written wherever it is used, and an axis whose length
//! was named before is recorded equal to it.

use crate::diag::error::{ErrorKind, Result};
use crate::diag::source::Span;
use crate::expr::definition::Definition;
use crate::expr::kind::Kind;
use crate::expr::node::ExprId;
use crate::lower::lowerer::{Lowerer, err};
use crate::lower::workspace::Statement;
use crate::syntax::tree::Ident;

impl Lowerer<'_> {
    pub(super) fn declare(
        &mut self,
        decls: &[(Ident, Vec<Ident>)],
        span: Span,
    ) -> Result<Statement> {
        let mut declared = Vec::with_capacity(decls.len());
        for (name, lens) in decls {
            if self.session.scope.defs.contains_key(&name.name) || self.is_function_name(&name.name)
            {
                return Err(err(
                    ErrorKind::Name,
                    name.span,
                    format!(
                        "`{}` is a definition or a function, not a tensor",
                        name.name
                    ),
                ));
            }
            let rank = lens.len() as u32;
            let s = self.use_global(name, Kind::Tensor(rank))?;
            let mut axes = Vec::with_capacity(lens.len());
            for (a, len) in lens.iter().enumerate() {
                let axis = self.pool().len_of(s, a as u32);
                axes.push(self.name_length(len, axis)?);
            }
            declared.push((s, axes));
        }
        self.commit_equalities();
        let _ = span;
        Ok(Statement::Tensor(declared))
    }

    /// Names the length of an axis: the first time, `n` becomes a definition whose body
    /// is the axis's length; later, the axis is recorded equal to it.
    fn name_length(&mut self, len: &Ident, axis: ExprId) -> Result<ExprId> {
        if let Some(&def) = self.session.scope.defs.get(&len.name) {
            let d = self.session.pool.definition(def);
            let is_length = d.params.is_empty()
                && d.indices.is_empty()
                && matches!(
                    self.session.pool.node(d.body),
                    crate::expr::node::Node::Len(..)
                );
            if !is_length {
                return Err(err(
                    ErrorKind::Name,
                    len.span,
                    format!("`{}` is already defined, and not as a length", len.name),
                )
                .with_label(d.span, "defined here"));
            }
            let body = d.body;
            if body != axis {
                self.equalities.push((body, axis, len.span));
            }
            return Ok(self.pool().call(def, Vec::new(), Vec::new()));
        }
        let symbol = self.session.pool.symbol(&len.name);
        if let Some(&(kind, first)) = self.session.scope.kinds.get(&symbol) {
            return Err(err(
                ErrorKind::Name,
                len.span,
                format!(
                    "`{}` names a length here, but it was first used as {}",
                    len.name,
                    kind.describe()
                ),
            )
            .with_label(first, "first used here"));
        }
        if crate::lower::scope::RESERVED.contains(&len.name.as_str())
            || self.is_function_name(&len.name)
        {
            return Err(err(
                ErrorKind::Name,
                len.span,
                format!(
                    "`{}` is built into the language and cannot name a length",
                    len.name
                ),
            ));
        }
        self.session.pool.set_length_name(axis, symbol);
        let def = self.session.pool.add_definition(Definition {
            name: symbol,
            params: Vec::new(),
            indices: Vec::new(),
            index_ranges: Vec::new(),
            equal_lengths: Vec::new(),
            labels: Vec::new(),
            body: axis,
            builtin: None,
            span: len.span,
            form: None,
            reduce: None,
        });
        self.session.scope.defs.insert(len.name.clone(), def);
        Ok(self.pool().call(def, Vec::new(), Vec::new()))
    }
}
