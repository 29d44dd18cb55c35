//! The parser: text to syntax tree, one function per production of `grammar/gauge.ebnf`.
//!
//! Each production is a method of [`Grammar`] with the production's name. Tokens are read
//! with nom's combinators; a production that has read enough to know what it is parsing
//! commits (nom's `Failure`), so an error points at the real mistake instead of at the
//! start of the statement. Every method skips the whitespace and comments before its
//! first token.
//!
//! Nesting (parentheses, calls, brackets, unary minus, powers) is counted, and input
//! deeper than [`MAX_DEPTH`] is an error (kind `limit`, at the first token one level too
//! deep, with a hint) rather than a stack overflow. Chains of `+ -` and `* /` are read in
//! a loop into flat lists, so long sums do not nest at all.
//!
//! The descent takes about 4 KiB of stack a level (nested calls and the W3 chain; 3 KiB
//! for parentheses, 1 KiB for signs and powers), and every later stage recurses too
//! (lowering, simplifying and compiling for evaluation about 1 KiB a level, the
//! printers 300 bytes): so each recursion grows its stack on demand (`diag::stack`), on
//! any thread, and the stack no longer bounds the depth. What bounds it is time and
//! memory downstream: a first derivative written out grows with the square of the depth
//! (a chain of 10,000 functions has one of 6e7 nodes, 200 MB of text), and building it
//! costs the same square (products are flat and canonical).
//!
//! [`MAX_DEPTH`] is twice the 10,000 levels that gauge promises, so that an input of
//! that depth can still be wrapped (`diff(...)`, a claim's `sin(...)^2`). Measured on
//! the W3 chain through the command line: at 10,000 levels every command answers, most
//! in a fifth of a second, a forward derivative in about 10 s; at 20,000, parsing,
//! printing and evaluating take under half a second, while a forward derivative takes
//! over a minute and is then refused by its size limit. Past 20,000 the answer is this
//! error, at once.

use std::borrow::Cow;
use std::cell::Cell;

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::satisfy;
use nom::combinator::recognize;
use nom::error::{ErrorKind as NomKind, ParseError};
use nom::{IResult, Parser};

use crate::diag::error::{Error, ErrorKind};
use crate::diag::source::{SourceId, Span};
use crate::syntax::number::{LiteralError, parse_decimal};
use crate::syntax::tree::{Binding, ChainOp, Expr, ExprKind, Ident, Relation, Stmt};

/// The deepest nesting of parentheses, calls, brackets, unary signs and powers accepted.
pub const MAX_DEPTH: usize = 20_000;

/// Words that start statements and cannot be names.
pub const KEYWORDS: [&str; 4] = ["let", "assume", "claim", "tensor"];

/// A parse failure at a position: what was expected there, and maybe a hint.
#[derive(Clone, Debug)]
pub struct PError<'a> {
    at: &'a str,
    expected: Cow<'static, str>,
    hint: Option<Cow<'static, str>>,
    /// A complete message that replaces "expected ..., found ..." when set.
    message: Option<String>,
    /// What kind of error it is: a syntax error, or a limit such as [`MAX_DEPTH`].
    kind: ErrorKind,
    /// The nom parser that failed, when the failure came from nom itself. Its name is
    /// spelled out only if the failure is reported: the grammar tries and drops many
    /// alternatives for every token, and formatting a name for each cost a tenth of
    /// the time to parse a long sum.
    nom: Option<NomKind>,
}

impl<'a> ParseError<&'a str> for PError<'a> {
    fn from_error_kind(input: &'a str, kind: NomKind) -> Self {
        PError {
            at: input,
            expected: Cow::Borrowed(""),
            hint: None,
            message: None,
            kind: ErrorKind::Syntax,
            nom: Some(kind),
        }
    }

    fn append(_input: &'a str, _kind: NomKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Keep whichever alternative got further into the input.
        if other.at.len() <= self.at.len() {
            other
        } else {
            self
        }
    }
}

mod bindings;
mod claim;
mod declare;
mod notation;
mod postfix;
mod split;

pub use split::split_statements;

type PResult<'a, T> = IResult<&'a str, T, PError<'a>>;

fn expected<'a>(at: &'a str, what: &'static str) -> PError<'a> {
    PError {
        at,
        expected: Cow::Borrowed(what),
        hint: None,
        message: None,
        kind: ErrorKind::Syntax,
        nom: None,
    }
}

/// A recoverable failure: another alternative may still match.
fn soft<'a, T>(at: &'a str, what: &'static str) -> PResult<'a, T> {
    Err(nom::Err::Error(expected(at, what)))
}

/// A committed failure: the input is wrong here.
fn hard<'a, T>(at: &'a str, what: &'static str, hint: Option<&'static str>) -> PResult<'a, T> {
    let mut e = expected(at, what);
    e.hint = hint.map(Cow::Borrowed);
    Err(nom::Err::Failure(e))
}

/// Turns a recoverable failure into a committed one.
fn commit<'a, T>(r: PResult<'a, T>) -> PResult<'a, T> {
    r.map_err(|e| match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    })
}

fn is_greek(c: char) -> bool {
    matches!(c, '\u{0391}'..='\u{03A9}' | '\u{03B1}'..='\u{03C9}' | 'ϑ' | 'ϕ' | 'ϖ' | 'ϵ' | 'ϱ')
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || is_greek(c)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || is_greek(c)
}

/// A `claim` that does not parse, kept in its place among a file's statements.
#[derive(Clone, Debug)]
pub struct BadClaim {
    /// The claim's name, where it could be read.
    pub name: Option<String>,
    /// The byte offset of the statement in the text.
    pub start: usize,
    /// Why it does not parse.
    pub error: Error,
}

/// The parser over one source text.
pub struct Grammar<'s> {
    src: &'s str,
    source: SourceId,
    depth: Cell<usize>,
}

impl<'s> Grammar<'s> {
    /// A parser over `src`, whose spans refer to `source`.
    pub fn new(src: &'s str, source: SourceId) -> Grammar<'s> {
        Grammar {
            src,
            source,
            depth: Cell::new(0),
        }
    }

    fn offset(&self, i: &str) -> usize {
        (i.as_ptr() as usize).saturating_sub(self.src.as_ptr() as usize)
    }

    fn span(&self, start: &str, end: &str) -> Span {
        Span::new(self.source, self.offset(start), self.offset(end))
    }

    /// Converts a nom failure into a located [`Error`].
    fn to_error(&self, e: PError<'_>) -> Error {
        let mut start = self.offset(e.at);
        // At the end of a line that ends in CR LF, point at the CR, as for a bare LF.
        if start > 0 && self.src[start..].starts_with('\n') && self.src[..start].ends_with('\r') {
            start -= 1;
        }
        // Describe what follows in the whole text: a statement's slice ends before its
        // line break, and the reader should hear "end of the line" there.
        let found = describe_found(self.src.get(start..).unwrap_or(""));
        let end = start + found.1;
        let expected = match e.nom {
            Some(kind) => Cow::Owned(format!("{kind:?}").to_lowercase()),
            None => e.expected,
        };
        let message = e
            .message
            .unwrap_or_else(|| format!("expected {}, found {}", expected, found.0));
        let mut err = Error::at(e.kind, Span::new(self.source, start, end), message)
            .with_primary_text(format!("expected {expected}"));
        if let Some(h) = e.hint {
            err = err.with_hint(h.into_owned());
        } else if self.src[start.min(self.src.len())..].starts_with(['\n', '\r']) {
            err = err.with_hint(
                "a statement ends with its line unless a bracket is open: \
                 wrap a long expression in parentheses to continue it on the next line",
            );
        } else if let Some(h) = default_hint(e.at, &expected) {
            err = err.with_hint(h);
        }
        err
    }

    fn finish<T>(&self, r: PResult<'s, T>) -> Result<(&'s str, T), Error> {
        match r {
            Ok(v) => Ok(v),
            Err(nom::Err::Error(e)) | Err(nom::Err::Failure(e)) => Err(self.to_error(e)),
            Err(nom::Err::Incomplete(_)) => Err(Error::new(ErrorKind::Syntax, "incomplete input")),
        }
    }

    // ----- entry points -------------------------------------------------------------

    /// Parses a whole `.gauge` file into statements.
    pub fn parse_file(&self) -> Result<Vec<Stmt>, Error> {
        self.finish(self.file(self.src)).map(|(_, s)| s)
    }

    /// Parses a whole `.gauge` file as [`Grammar::parse_file`] does, except that a
    /// `claim` that does not parse is kept as its error, in its place, so that the
    /// other claims can still be decided; any other statement that does not parse is
    /// an error for the whole file, since what follows may depend on it.
    pub fn parse_file_keeping_claims(&self) -> Result<Vec<Result<Stmt, BadClaim>>, Error> {
        let mut out = Vec::new();
        for piece in split_statements(self.src) {
            match self.finish(self.piece(piece)) {
                Ok((_, stmt)) => out.extend(stmt.map(Ok)),
                Err(error) => {
                    let (body, _) = self.finish(self.ws(piece))?;
                    let Ok((after, _)) = self.keyword(body, "claim") else {
                        return Err(error);
                    };
                    // The name, where the claim has one before its `:`.
                    let name = self
                        .name(after)
                        .ok()
                        .filter(|(r, _)| self.token(r, ":").is_ok())
                        .map(|(_, n)| n.name);
                    out.push(Err(BadClaim {
                        name,
                        // Where the statement's text starts in the whole.
                        start: (body.as_ptr() as usize).wrapping_sub(self.src.as_ptr() as usize),
                        error,
                    }));
                }
            }
        }
        Ok(out)
    }

    /// Parses a single expression that must span the whole text.
    pub fn parse_expression(&self) -> Result<Expr, Error> {
        let (rest, e) = self.finish(self.expr(self.src))?;
        let (rest, _) = self.finish(self.ws(rest))?;
        if !rest.is_empty() {
            return Err(self.to_error(self.trailing(rest, "an operator or the end of the input")));
        }
        Ok(e)
    }

    /// Parses `--at` bindings: `name = value, ...`.
    pub fn parse_bindings(&self) -> Result<Vec<Binding>, Error> {
        self.finish(self.binding_list(self.src)).map(|(_, b)| b)
    }

    fn trailing<'a>(&self, rest: &'a str, what: &'static str) -> PError<'a> {
        let mut e = expected(rest, what);
        if rest.starts_with(is_name_start) || rest.starts_with(|c: char| c.is_ascii_digit()) {
            e.hint = Some(Cow::Borrowed(
                "gauge has no implicit multiplication: write `2*x`, not `2x` or `2 x`",
            ));
        } else if rest.starts_with(')') || rest.starts_with(']') {
            e.hint = Some(Cow::Borrowed("this bracket closes nothing that is open"));
        } else if rest.starts_with("==") {
            e.hint = Some(Cow::Borrowed("claims use a single `=`"));
        }
        e
    }

    // ----- whitespace and tokens ----------------------------------------------------

    /// `ws = { white space | comment }`, where a comment runs from `#` to the line's end.
    fn ws<'a>(&self, mut i: &'a str) -> PResult<'a, ()> {
        loop {
            let (r, _) = take_while(char::is_whitespace).parse(i)?;
            i = r;
            if i.starts_with('#') {
                let (r, _) = take_while(|c| c != '\n').parse(i)?;
                i = r;
            } else {
                return Ok((i, ()));
            }
        }
    }

    /// Skips whitespace, then reads the exact token `t`.
    fn token<'a>(&self, i: &'a str, t: &'static str) -> PResult<'a, &'a str> {
        let (i, _) = self.ws(i)?;
        match tag::<&str, &str, PError<'a>>(t).parse(i) {
            Ok(r) => Ok(r),
            Err(_) => soft(i, t),
        }
    }

    /// Like [`Grammar::token`], but committed: the token must be there.
    fn require<'a>(&self, i: &'a str, t: &'static str, what: &'static str) -> PResult<'a, &'a str> {
        let (i, _) = self.ws(i)?;
        match tag::<&str, &str, PError<'a>>(t).parse(i) {
            Ok(r) => Ok(r),
            Err(_) => hard(i, what, None),
        }
    }

    fn keyword<'a>(&self, i: &'a str, word: &'static str) -> PResult<'a, &'a str> {
        let (i, _) = self.ws(i)?;
        let (rest, w) = self.word(i)?;
        if w == word {
            Ok((rest, w))
        } else {
            soft(i, word)
        }
    }

    fn word<'a>(&self, i: &'a str) -> PResult<'a, &'a str> {
        let parsed: PResult<'a, &'a str> =
            recognize((satisfy(is_name_start), take_while(is_name_char))).parse(i);
        match parsed {
            Ok(r) => Ok(r),
            Err(_) => soft(i, "a name"),
        }
    }

    /// Runs `f` one nesting level deeper, failing cleanly past [`MAX_DEPTH`].
    fn nested<'a, T>(
        &self,
        i: &'a str,
        f: impl FnOnce(&'a str) -> PResult<'a, T>,
    ) -> PResult<'a, T> {
        let d = self.depth.get() + 1;
        if d > MAX_DEPTH {
            let mut e = expected(i, "less nesting");
            e.kind = ErrorKind::Limit;
            e.message = Some(format!(
                "the input nests deeper than the limit of {MAX_DEPTH} levels"
            ));
            e.hint = Some(Cow::Borrowed(
                "split the expression with `let` definitions, or remove redundant parentheses",
            ));
            return Err(nom::Err::Failure(e));
        }
        self.depth.set(d);
        // Every level of nesting passes here, so this one guard keeps the whole descent
        // (about 4 KiB of stack a level) off the end of the thread's stack.
        let r = crate::diag::stack::guard(|| f(i));
        self.depth.set(d - 1);
        r
    }

    // ----- statements ---------------------------------------------------------------

    /// `file = { statement }`, where a statement ends at a line break outside brackets.
    fn file<'a>(&self, i: &'a str) -> PResult<'a, Vec<Stmt>> {
        let mut out = Vec::new();
        for piece in split_statements(i) {
            let (_, stmt) = self.piece(piece)?;
            out.extend(stmt);
        }
        Ok((&i[i.len()..], out))
    }

    /// One statement's piece of a file (`None` when it holds only white space and
    /// comments).
    fn piece<'a>(&self, piece: &'a str) -> PResult<'a, Option<Stmt>> {
        let (rest, _) = self.ws(piece)?;
        if rest.is_empty() {
            return Ok((rest, None));
        }
        let (rest, stmt) = self.statement(rest)?;
        let (rest, _) = self.ws(rest)?;
        if !rest.is_empty() {
            return Err(nom::Err::Failure(
                self.trailing(rest, "an operator or the end of the statement"),
            ));
        }
        Ok((rest, Some(stmt)))
    }

    /// `statement = let_stmt | assume_stmt | claim_stmt | tensor_stmt | notation_stmt`.
    fn statement<'a>(&self, i: &'a str) -> PResult<'a, Stmt> {
        let (j, _) = self.ws(i)?;
        let (_, w) = match self.word(j) {
            Ok(r) => r,
            Err(_) => {
                return hard(j, EXPECTED_STATEMENT, Some(STATEMENT_HINT));
            }
        };
        match w {
            "let" => self.let_stmt(j),
            "assume" => self.assume_stmt(j),
            "claim" => self.claim_stmt(j),
            "tensor" => self.tensor_stmt(j),
            "notation" => self.notation_stmt(j),
            _ => hard(j, EXPECTED_STATEMENT, Some(STATEMENT_HINT)),
        }
    }

    /// `let_stmt = "let" name [ "(" name_list ")" ] [ "[" name_list "]" ] "=" expr`.
    fn let_stmt<'a>(&self, i: &'a str) -> PResult<'a, Stmt> {
        let (start, _) = self.ws(i)?;
        let (r, _) = self.keyword(start, "let")?;
        let (r, name) = commit(self.name(r))?;
        let (r, (params, shapes)) = match self.token(r, "(") {
            Ok((r, _)) => {
                let (r, ps) = self.param_list(r)?;
                let (r, _) = self.require(r, ")", "`,` or `)` after a parameter")?;
                (r, ps)
            }
            Err(_) => (r, (Vec::new(), Vec::new())),
        };
        let (r, indices) = match self.token(r, "[") {
            Ok((r, _)) => {
                let (r, ps) = self.name_list(r)?;
                let (r, _) = self.require(r, "]", "`,` or `]` after an index")?;
                (r, ps)
            }
            Err(_) => (r, Vec::new()),
        };
        let (r, _) = self.require(r, "=", "`=` and the definition's body")?;
        let (r, body) = commit(self.expr(r))?;
        let span = self.span(start, r);
        Ok((
            r,
            Stmt::Let {
                name,
                params,
                shapes,
                indices,
                body,
                span,
            },
        ))
    }

    /// `name_list = name { "," name }`.
    fn name_list<'a>(&self, i: &'a str) -> PResult<'a, Vec<Ident>> {
        let (mut r, first) = commit(self.name(i))?;
        let mut out = vec![first];
        while let Ok((r2, _)) = self.token(r, ",") {
            let (r3, n) = commit(self.name(r2))?;
            out.push(n);
            r = r3;
        }
        Ok((r, out))
    }

    /// `param_list = param { "," param }`: a definition's parameters, each optionally
    /// with its axes named by their lengths.
    fn param_list<'a>(&self, i: &'a str) -> PResult<'a, (Vec<Ident>, Vec<Vec<Ident>>)> {
        let mut params = Vec::new();
        let mut shapes = Vec::new();
        let mut r = i;
        loop {
            let (r2, (p, shape)) = self.param(r)?;
            params.push(p);
            shapes.push(shape);
            match self.token(r2, ",") {
                Ok((r3, _)) => r = r3,
                Err(_) => return Ok((r2, (params, shapes))),
            }
        }
    }

    /// `param = name [ "[" name_list "]" ]`: a parameter, with its axes' lengths when
    /// declared.
    fn param<'a>(&self, i: &'a str) -> PResult<'a, (Ident, Vec<Ident>)> {
        let (r, p) = commit(self.name(i))?;
        match self.token(r, "[") {
            Ok((r, _)) => {
                let (r, lens) = self.name_list(r)?;
                let (r, _) = self.require(r, "]", "`,` or `]` after a length")?;
                Ok((r, (p, lens)))
            }
            Err(_) => Ok((r, (p, Vec::new()))),
        }
    }

    /// `assume_stmt = "assume" expr relation expr { relation expr }`.
    fn assume_stmt<'a>(&self, i: &'a str) -> PResult<'a, Stmt> {
        let (start, _) = self.ws(i)?;
        let (r, _) = self.keyword(start, "assume")?;
        let (mut r, first) = commit(self.expr(r))?;
        // `assume lhs = rhs` (also `==`) is an equality fact, a statement of its own.
        if let Ok((r2, _)) = self.token(r, "=") {
            let r2 = r2.strip_prefix('=').unwrap_or(r2);
            let (r3, rhs) = commit(self.expr(r2))?;
            if self.relation(r3).is_ok() || self.token(r3, "=").is_ok() {
                let (at, _) = self.ws(r3)?;
                return hard(
                    at,
                    "the end of the equality",
                    Some("an equality fact compares two sides: `assume sum(k, Y[n, k]) = 1`"),
                );
            }
            let span = self.span(start, r3);
            return Ok((
                r3,
                Stmt::AssumeEqual {
                    lhs: first,
                    rhs,
                    span,
                },
            ));
        }
        let mut operands = vec![first];
        let mut relations = Vec::new();
        loop {
            match self.relation(r) {
                Ok((r2, rel)) => {
                    let (r3, e) = commit(self.expr(r2))?;
                    operands.push(e);
                    relations.push(rel);
                    r = r3;
                }
                Err(nom::Err::Error(_)) if !relations.is_empty() => break,
                Err(_) => {
                    let (at, _) = self.ws(r)?;
                    return hard(
                        at,
                        "a comparison: `<`, `<=`, `>`, `>=`, `!=` or `=`",
                        Some(
                            "an assumption compares: `assume x > 0`, `assume 0 < p < 1`, `assume t*(1 - t) = 0`",
                        ),
                    );
                }
            }
        }
        let span = self.span(start, r);
        Ok((
            r,
            Stmt::Assume {
                operands,
                relations,
                span,
            },
        ))
    }

    /// `relation = "<=" | ">=" | "!=" | "<" | ">" | "≤" | "≥" | "≠"`.
    fn relation<'a>(&self, i: &'a str) -> PResult<'a, (Relation, Span)> {
        let (i, _) = self.ws(i)?;
        const TABLE: [(&str, Relation); 8] = [
            ("<=", Relation::LessEq),
            (">=", Relation::GreaterEq),
            ("!=", Relation::NotEq),
            ("≤", Relation::LessEq),
            ("≥", Relation::GreaterEq),
            ("≠", Relation::NotEq),
            ("<", Relation::Less),
            (">", Relation::Greater),
        ];
        for (t, rel) in TABLE {
            if let Some(rest) = i.strip_prefix(t) {
                return Ok((rest, (rel, self.span(i, rest))));
            }
        }
        soft(i, "a comparison")
    }

    // ----- expressions --------------------------------------------------------------

    /// `expr = term { ("+" | "-") term }`.
    pub fn expr<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let (i, _) = self.ws(i)?;
        let start = i;
        let (mut r, first) = self.term(i)?;
        let mut rest = Vec::new();
        loop {
            let (at, _) = self.ws(r)?;
            let op = if at.starts_with('+') {
                ChainOp::Add
            } else if at.starts_with('-') {
                ChainOp::Sub
            } else {
                break;
            };
            let (r2, t) = commit(self.term(&at[1..]))?;
            rest.push((op, t));
            r = r2;
        }
        Ok((r, self.chain(start, r, first, rest)))
    }

    fn chain(&self, start: &str, end: &str, first: Expr, mut rest: Vec<(ChainOp, Expr)>) -> Expr {
        if rest.is_empty() {
            return first;
        }
        // A chain's list grew by doubling; the tree keeps it while the whole input is
        // lowered, and a sum of 100,000 products `a*b` would otherwise hold three unused
        // slots in each product's list (about 40 MB).
        rest.shrink_to_fit();
        Expr {
            span: self.span(start, end),
            kind: ExprKind::Chain {
                first: Box::new(first),
                rest,
            },
        }
    }

    /// `term = unary { ("*" | "/" | "@") unary }`.
    fn term<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let (i, _) = self.ws(i)?;
        let start = i;
        let (mut r, first) = self.unary(i)?;
        let mut rest = Vec::new();
        loop {
            let (at, _) = self.ws(r)?;
            let op = if at.starts_with('*') && !at.starts_with("**") {
                ChainOp::Mul
            } else if at.starts_with('/') {
                ChainOp::Div
            } else if at.starts_with('@') {
                ChainOp::MatMul
            } else {
                break;
            };
            let (r2, t) = commit(self.unary(&at[1..]))?;
            rest.push((op, t));
            r = r2;
        }
        Ok((r, self.chain(start, r, first, rest)))
    }

    /// `unary = ("-" | "+") unary | power`.
    fn unary<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let (i, _) = self.ws(i)?;
        if let Some(rest) = i.strip_prefix('-') {
            let (r, e) = self.nested(rest, |rest| commit(self.unary(rest)))?;
            let span = self.span(i, r);
            return Ok((
                r,
                Expr {
                    kind: ExprKind::Neg(Box::new(e)),
                    span,
                },
            ));
        }
        if let Some(rest) = i.strip_prefix('+') {
            return self.nested(rest, |rest| commit(self.unary(rest)));
        }
        self.power(i)
    }

    /// `power = primary [ ("^" | "**") unary ]`, right-associative through `unary`.
    fn power<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let (i, _) = self.ws(i)?;
        let (r, base) = self.primary(i)?;
        let (at, _) = self.ws(r)?;
        let after = if let Some(x) = at.strip_prefix("**") {
            x
        } else if let Some(x) = at.strip_prefix('^') {
            x
        } else {
            return Ok((r, base));
        };
        let (r, exponent) = self.nested(after, |after| commit(self.unary(after)))?;
        let span = self.span(i, r);
        Ok((
            r,
            Expr {
                kind: ExprKind::Pow(Box::new(base), Box::new(exponent)),
                span,
            },
        ))
    }

    /// `atom = number | "(" expr ")" | reference`.
    fn atom<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let (i, _) = self.ws(i)?;
        if i.starts_with(|c: char| c.is_ascii_digit())
            || (i.starts_with('.') && i[1..].starts_with(|c: char| c.is_ascii_digit()))
        {
            return self.number(i);
        }
        if let Some(rest) = i.strip_prefix('(') {
            return self.nested(rest, |rest| {
                let (r, mut e) = commit(self.expr(rest))?;
                let (r, _) = match self.token(r, ")") {
                    Ok(v) => v,
                    Err(_) => {
                        let (at, _) = self.ws(r)?;
                        let mut err = self.trailing(at, "`)`");
                        // Past a line break, the bracket was most likely left open.
                        let gap = &self.src[self.offset(i)..self.offset(at)];
                        if err.hint.is_none() || gap.contains('\n') {
                            let lc = crate::diag::source::line_col(self.src, self.offset(i));
                            err.hint = Some(Cow::Owned(format!(
                                "the `(` at line {}, column {} is not closed",
                                lc.line, lc.column
                            )));
                        }
                        return Err(nom::Err::Failure(err));
                    }
                };
                // The span of a parenthesized expression includes its parentheses.
                e.span = self.span(i, r);
                Ok((r, e))
            });
        }
        if i.starts_with(is_name_start) {
            return self.reference(i);
        }
        soft(i, "an expression")
    }

    /// `digits = digit { digit }`.
    fn digits<'a>(&self, i: &'a str) -> PResult<'a, &'a str> {
        match take_while1::<_, &str, PError<'a>>(|c: char| c.is_ascii_digit()).parse(i) {
            Ok(r) => Ok(r),
            Err(_) => soft(i, "a digit"),
        }
    }

    /// `exponent = ( "e" | "E" ) [ "+" | "-" ] digits`.
    fn exponent<'a>(&self, i: &'a str) -> PResult<'a, &'a str> {
        let Some(rest) = i.strip_prefix(['e', 'E']) else {
            return soft(i, "an exponent");
        };
        let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
        let (r, _) = self.digits(rest)?;
        Ok((r, &i[..i.len() - r.len()]))
    }

    /// `number = digits [ "." [ digits ] ] [ exponent ] | "." digits [ exponent ]`.
    fn number<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let mut r = match self.digits(i) {
            Ok((r, _)) => match r.strip_prefix('.') {
                Some(after) => self.digits(after).map_or(after, |(r2, _)| r2),
                None => r,
            },
            Err(_) => {
                let after = i.strip_prefix('.').unwrap_or(i);
                self.digits(after)?.0
            }
        };
        if let Ok((r2, _)) = self.exponent(r) {
            r = r2;
        }
        let text = &i[..i.len() - r.len()];
        if r.starts_with(is_name_char) {
            let mut e = expected(r, "an operator after the number");
            e.hint = Some(Cow::Borrowed(if r.starts_with('_') {
                "digit separators are not supported: write `1000`, not `1_000`"
            } else if text == "0" && r.starts_with(['x', 'X', 'b', 'B', 'o', 'O']) {
                "only decimal numbers are supported"
            } else if r.starts_with(['e', 'E']) {
                "an exponent needs digits after the `e`: write `1e3` or `1e-3`"
            } else {
                "gauge has no implicit multiplication: write `2*x`, not `2x`"
            }));
            return Err(nom::Err::Failure(e));
        }
        let value = match parse_decimal(text) {
            Ok(v) => v,
            Err(LiteralError::ExponentTooLarge) => {
                let mut e = expected(i, "a number of reasonable size");
                e.message = Some(format!(
                    "the exponent of `{text}` is larger than {} in magnitude",
                    crate::syntax::number::MAX_LITERAL_EXPONENT
                ));
                return Err(nom::Err::Failure(e));
            }
            Err(LiteralError::Malformed) => return hard(i, "a number", None),
        };
        Ok((
            r,
            Expr {
                kind: ExprKind::Number(value),
                span: self.span(i, r),
            },
        ))
    }

    /// `name = letter { letter | digit | "_" }`, where letters include Greek ones.
    fn name<'a>(&self, i: &'a str) -> PResult<'a, Ident> {
        let (i, _) = self.ws(i)?;
        let (r, w) = self.word(i)?;
        if KEYWORDS.contains(&w) {
            let mut e = expected(i, "a name");
            e.message = Some(format!("`{w}` is a keyword and cannot be used as a name"));
            return Err(nom::Err::Failure(e));
        }
        Ok((
            r,
            Ident {
                name: w.to_string(),
                span: self.span(i, r),
            },
        ))
    }

    /// `reference = name [ "(" expr_list ")" ] [ "[" expr_list "]" ]`.
    fn reference<'a>(&self, i: &'a str) -> PResult<'a, Expr> {
        let (r, name) = self.name(i)?;
        let (r, args) = match self.token(r, "(") {
            Ok((r2, _)) => {
                let (r3, args) = self.nested(r2, |r2| self.expr_list(r2, ")", "`,` or `)`"))?;
                (r3, Some(args))
            }
            Err(_) => (r, None),
        };
        let (r, indices) = match self.token(r, "[") {
            Ok((r2, _)) => {
                let (r3, idx) = self.index_list(r2, r2)?;
                (r3, Some(idx))
            }
            Err(_) => (r, None),
        };
        let span = self.span(i, r);
        let kind = match (args, indices) {
            (Some(args), indices) => ExprKind::Call {
                name,
                args,
                indices,
            },
            (None, Some(indices)) => ExprKind::Element { name, indices },
            (None, None) => ExprKind::Name(name),
        };
        Ok((r, Expr { kind, span }))
    }

    /// `expr_list = [ expr { "," expr } ]`, then the closing bracket.
    fn expr_list<'a>(
        &self,
        i: &'a str,
        close: &'static str,
        what: &'static str,
    ) -> PResult<'a, Vec<Expr>> {
        if let Ok((r, _)) = self.token(i, close) {
            return Ok((r, Vec::new()));
        }
        let item = |i: &'a str| -> PResult<'a, Expr> {
            // In an index list, a lone `:` selects a whole axis.
            if close == "]" {
                let (at, _) = self.ws(i)?;
                if let Some(rest) = at.strip_prefix(':') {
                    return Ok((
                        rest,
                        Expr {
                            kind: ExprKind::Slice,
                            span: self.span(at, rest),
                        },
                    ));
                }
            }
            commit(self.expr(i))
        };
        let (mut r, first) = item(i)?;
        let mut out = vec![first];
        loop {
            if let Ok((r2, _)) = self.token(r, ",") {
                let (r3, e) = item(r2)?;
                out.push(e);
                r = r3;
            } else if let Ok((r2, _)) = self.token(r, close) {
                return Ok((r2, out));
            } else {
                let (at, _) = self.ws(r)?;
                let mut e = self.trailing(at, what);
                let open = if close == ")" { "(" } else { "[" };
                if at.starts_with([')', ']']) {
                    e.hint = Some(Cow::Owned(format!(
                        "`{}` does not match the open `{open}`: close it with `{close}`",
                        &at[..1]
                    )));
                } else if at.is_empty() || e.hint.is_none() {
                    e.hint = Some(Cow::Owned(format!(
                        "the `{open}` before the list is not closed: add `{close}`"
                    )));
                }
                return Err(nom::Err::Failure(e));
            }
        }
    }
}

const EXPECTED_STATEMENT: &str = "`let`, `assume`, `claim`, `tensor` or `notation`";

const STATEMENT_HINT: &str = "a .gauge file holds `let` definitions, `assume` facts, `claim`s, `tensor` \
     declarations and `notation`s, one per line";

/// Describes the text at a failure point and how many bytes to underline.
fn describe_found(at: &str) -> (String, usize) {
    match at.chars().next() {
        None => ("the end of the input".to_string(), 0),
        Some('\n') => ("the end of the line".to_string(), 0),
        Some(c) if is_name_start(c) => {
            let end = at.find(|c: char| !is_name_char(c)).unwrap_or(at.len());
            (format!("`{}`", &at[..end]), end)
        }
        Some(c) if c.is_ascii_digit() => {
            let end = number_end(at);
            (format!("`{}`", &at[..end]), end)
        }
        Some(c) => (format!("`{c}`"), c.len_utf8()),
    }
}

/// The length of the number literal at the start of `at` (digits, a point, an exponent).
fn number_end(at: &str) -> usize {
    let b = at.as_bytes();
    let mut k = 0;
    while k < b.len() && (b[k].is_ascii_digit() || b[k] == b'.') {
        k += 1;
    }
    if k < b.len() && (b[k] == b'e' || b[k] == b'E') {
        let mut m = k + 1;
        if m < b.len() && (b[m] == b'+' || b[m] == b'-') {
            m += 1;
        }
        if m < b.len() && b[m].is_ascii_digit() {
            while m < b.len() && b[m].is_ascii_digit() {
                m += 1;
            }
            k = m;
        }
    }
    k
}

fn default_hint(at: &str, expected: &str) -> Option<String> {
    if expected == "an expression" && at.is_empty() {
        return Some("the expression ends too early: an operand is missing".to_string());
    }
    None
}
