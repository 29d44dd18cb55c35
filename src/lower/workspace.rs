//! A session: one pool, the names and definitions in scope, and what files assumed and
//! claimed. It is the library's front door: load text, get expression handles, print and
//! evaluate them.

use std::ops::Range;

use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::diag::source::{SourceMap, Span};
use crate::expr::kind::Kind;
use crate::expr::node::{DefId, ExprId, Symbol};
use crate::expr::pool::Pool;
use crate::lower::lowerer::Lowerer;
use crate::lower::prelude::{PRELUDE, PRELUDE_NAME};
use crate::lower::scope::Scope;
use crate::print::text::{to_text, to_text_in};
use crate::syntax::parse::Grammar;
use crate::syntax::tree::{Relation, Stmt};

/// A domain fact from `assume`: `subject relation bound`, the bound a constant.
#[derive(Clone, Debug)]
pub struct Fact {
    /// The constrained expression.
    pub subject: ExprId,
    /// How it compares with the bound.
    pub relation: Relation,
    /// A constant expression (0 when the statement compared two non-constants).
    pub bound: ExprId,
    /// The statement it came from.
    pub span: Span,
}

/// A claimed identity `lhs = rhs`.
#[derive(Clone, Debug)]
pub struct Claim {
    /// The claim's name, if it has one.
    pub name: Option<String>,
    /// The left side.
    pub lhs: ExprId,
    /// The right side.
    pub rhs: ExprId,
    /// The statement's span.
    pub span: Span,
    /// The line it starts on, from 1.
    pub line: usize,
    /// For a claim that could not be read (it does not parse, or names clash), why;
    /// its sides are then 0, and deciding it gives this error.
    pub unreadable: Option<Error>,
    /// For each side, the parts of it as written that its canonical form dropped and
    /// that are not defined everywhere (`ln(-1 - x^2)` of `x + ln(-1 - x^2) -
    /// ln(-1 - x^2)`): the side is defined only where they are.
    pub guards: [Vec<ExprId>; 2],
    /// The claims it cites as lemmas (`by sigmoid_prime`), in the order written.
    pub by: Vec<Citation>,
}

/// A claim cited as a lemma: `by name`.
#[derive(Clone, Debug)]
pub struct Citation {
    /// The cited claim's name.
    pub name: String,
    /// Where the name is written.
    pub span: Span,
    /// Why the cited claim cannot be used, once the claims are decided in order: it is
    /// refuted, confirmed only, or in error. A lemma is used only when it is proved.
    pub unusable: Option<String>,
}

/// A proved claim that later claims may cite: its two sides, an identity that holds
/// wherever both are defined.
#[derive(Clone, Debug)]
pub struct Lemma {
    /// The claim's name.
    pub name: String,
    /// The left side.
    pub lhs: ExprId,
    /// The right side.
    pub rhs: ExprId,
    /// The line the claim starts on.
    pub line: usize,
}

/// A lowered statement, in file order.
#[derive(Clone, Debug)]
pub enum Statement {
    /// A definition.
    Let(DefId),
    /// An assumption: its operands and relations as written, and the facts it added.
    Assume {
        /// The compared expressions.
        operands: Vec<ExprId>,
        /// The relations between them.
        relations: Vec<Relation>,
        /// The indices of the facts it added in [`Workspace::facts`].
        facts: Range<usize>,
    },
    /// A claim, by its index in [`Workspace::claims`].
    Claim(usize),
    /// A `tensor` declaration: each tensor with the calls of its axes' length names.
    Tensor(Vec<(Symbol, Vec<ExprId>)>),
    /// `notation indices = ...`: how tensor elements print in LaTeX from now on.
    Indices(crate::syntax::tree::IndexStyle),
    /// A `notation` statement: the name and the LaTeX it prints as.
    Notation {
        /// The name.
        name: Symbol,
        /// The LaTeX.
        latex: String,
    },
}

/// A workspace: everything gauge knows while it works on one task.
#[derive(Debug, Default)]
pub struct Workspace {
    /// The expression pool.
    pub pool: Pool,
    /// Every text read.
    pub sources: SourceMap,
    /// The global names and definitions.
    pub scope: Scope,
    /// Facts from `assume` statements.
    pub facts: Vec<Fact>,
    /// Claims from `claim` statements.
    pub claims: Vec<Claim>,
    /// Axis lengths that must be equal, with the span of the use that linked them.
    pub equal_lengths: Vec<(ExprId, ExprId, Span)>,
    /// The range of each free index, from the statement that used it last.
    pub index_ranges: FxHashMap<Symbol, ExprId>,
    /// Warnings raised while loading (a definition shadowing the prelude, ...).
    pub warnings: Vec<Error>,
    /// The named claims proved so far (and passed the step checker, when it ran),
    /// which later claims may cite as lemmas; the latest of each name.
    pub lemmas: Vec<Lemma>,
    /// How the derivations of proved claims read (`prove --detail`).
    pub detail: crate::print::Detail,
}

impl Workspace {
    /// An empty session without the prelude.
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// A session with the prelude loaded.
    pub fn with_prelude() -> Result<Workspace> {
        let mut s = Workspace::new();
        let id = s.sources.add(PRELUDE_NAME, PRELUDE);
        let stmts = Grammar::new(PRELUDE, id).parse_file()?;
        let mut lowerer = Lowerer::new(&mut s, true);
        for st in &stmts {
            lowerer.statement(st)?;
        }
        Ok(s)
    }

    /// Parses and lowers a whole file's text; `name` is shown in diagnostics.
    pub fn load_file(&mut self, name: &str, text: &str) -> Result<Vec<Statement>> {
        // Editors on some systems start UTF-8 files with a byte-order mark; it is not text.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let id = self.sources.add(name, text);
        let stmts = Grammar::new(text, id).parse_file()?;
        self.reserve_for(text);
        let mut lowerer = Lowerer::new(self, false);
        stmts.iter().map(|st| lowerer.statement(st)).collect()
    }

    /// Parses and lowers a whole file's text as [`Workspace::load_file`] does, except
    /// that a claim that cannot be read (a syntax error in it, or an error lowering
    /// it) is kept among the claims with its error ([`Claim::unreadable`]), so that
    /// the others are still decided. Any other statement's error is the file's.
    pub fn load_file_keeping_claims(&mut self, name: &str, text: &str) -> Result<Vec<Statement>> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let id = self.sources.add(name, text);
        let parsed = Grammar::new(text, id).parse_file_keeping_claims()?;
        self.reserve_for(text);
        let mut out = Vec::new();
        for p in parsed {
            let (claim_name, span, error) = match p {
                Ok(st) => {
                    let lowered = Lowerer::new(self, false).statement(&st);
                    match (lowered, &st) {
                        (Ok(s), _) => {
                            out.push(s);
                            continue;
                        }
                        (Err(e), Stmt::Claim { name, span, .. }) => {
                            (name.as_ref().map(|n| n.name.clone()), *span, e)
                        }
                        (Err(e), _) => return Err(e),
                    }
                }
                Err(bad) => (bad.name, Span::new(id, bad.start, bad.start), bad.error),
            };
            let zero = self.pool.int(0);
            let line = self.sources.line_col(span.source, span.start).line;
            self.claims.push(Claim {
                name: claim_name,
                lhs: zero,
                rhs: zero,
                span,
                line,
                unreadable: Some(error),
                guards: [Vec::new(), Vec::new()],
                by: Vec::new(),
            });
            out.push(Statement::Claim(self.claims.len() - 1));
        }
        Ok(out)
    }

    /// Sizes the pool and the scope for the text about to be lowered: about one node
    /// per four bytes and one new name per eight, which is what a long sum such as
    /// `sin(x0)*y0 + ...` needs. Reserved room that stays unused costs no memory the
    /// system hands out, since its pages are never touched.
    fn reserve_for(&mut self, text: &str) {
        self.pool.reserve(text.len() / 4, text.len() / 8);
        self.scope.kinds.reserve(text.len() / 8);
    }

    /// Parses and lowers one expression given as `<input>`.
    pub fn parse_expression(&mut self, text: &str) -> Result<ExprId> {
        self.parse_expression_named("<input>", text)
    }

    /// Parses and lowers one expression, naming its source for diagnostics.
    pub fn parse_expression_named(&mut self, name: &str, text: &str) -> Result<ExprId> {
        let id = self.sources.add(name, text);
        let e = Grammar::new(text, id).parse_expression()?;
        self.reserve_for(text);
        Lowerer::new(self, false).expression(&e)
    }

    /// Parses the variable of a derivative: a scalar name or an element such as `z[i]`.
    pub fn parse_variable(&mut self, text: &str) -> Result<ExprId> {
        let id = self.sources.add("<variable>", text);
        let e = Grammar::new(text, id).parse_expression()?;
        Lowerer::new(self, false).variable_expression(&e)
    }

    /// Prints an expression as text.
    pub fn print(&self, id: ExprId) -> String {
        to_text(&self.pool, id)
    }

    /// Prints a lowered statement in canonical form.
    pub fn print_statement(&self, st: &Statement) -> String {
        match st {
            Statement::Let(def) => {
                let d = self.pool.definition(*def);
                let mut s = format!("let {}", self.pool.name(d.name));
                if !d.params.is_empty() {
                    let ps: Vec<String> = d
                        .params
                        .iter()
                        .map(|p| {
                            let name = self.pool.name(p.name);
                            if p.lengths.is_empty() {
                                return name.to_string();
                            }
                            let ls: Vec<&str> =
                                p.lengths.iter().map(|&l| self.pool.name(l)).collect();
                            format!("{name}[{}]", ls.join(", "))
                        })
                        .collect();
                    s.push_str(&format!("({})", ps.join(", ")));
                }
                if !d.indices.is_empty() {
                    let is: Vec<&str> = d.indices.iter().map(|i| self.pool.name(*i)).collect();
                    s.push_str(&format!("[{}]", is.join(", ")));
                }
                s.push_str(" = ");
                s.push_str(&self.print(d.body));
                s
            }
            Statement::Assume {
                operands,
                relations,
                ..
            } => {
                let mut s = format!("assume {}", self.print(operands[0]));
                for (rel, op) in relations.iter().zip(&operands[1..]) {
                    s.push_str(&format!(" {} {}", rel.text(), self.print(*op)));
                }
                s
            }
            Statement::Tensor(decls) => {
                let parts: Vec<String> = decls
                    .iter()
                    .map(|(s, lens)| {
                        let ls: Vec<String> = lens.iter().map(|&l| self.print(l)).collect();
                        format!("{}[{}]", self.pool.name(*s), ls.join(", "))
                    })
                    .collect();
                format!("tensor {}", parts.join(", "))
            }
            Statement::Claim(k) => {
                let c = &self.claims[*k];
                let name = c
                    .name
                    .as_ref()
                    .map(|n| format!("{n}: "))
                    .unwrap_or_default();
                // Each side is printed knowing the other's names, so a bound index on one
                // side never takes the name of a free index on the other.
                let l = self.pool.free_symbols(c.lhs).to_vec();
                let r = self.pool.free_symbols(c.rhs).to_vec();
                let by: Vec<&str> = c.by.iter().map(|b| b.name.as_str()).collect();
                let by = if by.is_empty() {
                    String::new()
                } else {
                    format!(" by {}", by.join(", "))
                };
                format!(
                    "claim {name}{} = {}{by}",
                    to_text_in(&self.pool, c.lhs, &r),
                    to_text_in(&self.pool, c.rhs, &l)
                )
            }
            Statement::Indices(style) => format!("notation indices = {}", style.name()),
            Statement::Notation { name, latex } => format!(
                "notation {} = \"{}\"",
                self.pool.name(*name),
                latex.replace('"', "\\\"")
            ),
        }
    }

    /// Every global name an expression depends on: its free names and, through the
    /// definitions it calls, the globals their bodies use (`d` in `S[i, j]`). Sorted by
    /// name.
    pub fn names_used(&self, id: ExprId) -> Vec<Symbol> {
        let mut out: Vec<Symbol> = Vec::new();
        let mut seen_defs: Vec<DefId> = Vec::new();
        // Each entry is an expression and the names that are local to it (a body's
        // parameters and indices), which are not globals there.
        let mut stack: Vec<(ExprId, Vec<Symbol>)> = vec![(id, Vec::new())];
        while let Some((e, local)) = stack.pop() {
            for &s in self.pool.free_symbols(e).iter() {
                if !local.contains(&s) && self.scope.kinds.contains_key(&s) && !out.contains(&s) {
                    out.push(s);
                }
            }
            for def in self.pool.called_definitions(e) {
                if !seen_defs.contains(&def) {
                    seen_defs.push(def);
                    let d = self.pool.definition(def);
                    let mut local: Vec<Symbol> = d.params.iter().map(|p| p.name).collect();
                    local.extend(d.indices.iter().copied());
                    stack.push((d.body, local));
                }
            }
        }
        out.sort_by(|a, b| crate::expr::order::cmp_names(self.pool.name(*a), self.pool.name(*b)));
        out
    }

    /// The builtin functions whose bodies the prelude states (`sigmoid`, `tanh`, ...),
    /// with their definitions.
    pub fn builtin_definitions(&self) -> Vec<(crate::expr::node::Func, DefId)> {
        self.definitions_in_order()
            .into_iter()
            .filter_map(|d| self.pool.definition(d).builtin.map(|f| (f, d)))
            .collect()
    }

    /// The definitions in scope (the latest of each name) and the anonymous ones made
    /// for whole-tensor expressions, in the order they were made, so that results fold
    /// back into both (`softmax(z / T)[i]`).
    pub fn definitions_in_order(&self) -> Vec<DefId> {
        let mut ds: Vec<DefId> = self.scope.defs.values().copied().collect();
        ds.extend(self.pool.anonymous_definitions());
        ds.sort();
        ds
    }

    /// The kind of a global name, if it has been used.
    pub fn kind_of(&self, s: Symbol) -> Option<Kind> {
        self.scope.kinds.get(&s).map(|k| k.0)
    }

    /// The lemma of this name, if a claim of this name was proved.
    pub fn lemma(&self, name: &str) -> Option<&Lemma> {
        self.lemmas.iter().find(|l| l.name == name)
    }

    /// Records a proved claim as a lemma, replacing an earlier one of the same name.
    pub fn add_lemma(&mut self, lemma: Lemma) {
        self.lemmas.retain(|l| l.name != lemma.name);
        self.lemmas.push(lemma);
    }

    /// An error for a name that the session does not know.
    pub fn unknown(&self, what: &str) -> Error {
        Error::new(ErrorKind::Name, format!("unknown {what}"))
    }
}
