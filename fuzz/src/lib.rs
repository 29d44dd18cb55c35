//! What the fuzz targets share: a generator of scalar expressions in `x` and `y` from
//! the fuzzer's bytes, with a size and depth budget, and the numbers the targets
//! compare (values on gauge's tape, dual numbers, high-precision enclosures).
//!
//! Expressions are generated as trees and rendered as gauge text, so that every input
//! parses and the fuzzer spends its time in the simplifier, the derivatives and the
//! prover rather than in syntax errors. The tree can be rendered with `x` replaced by
//! another text (a shifted exact constant), which the derivative target uses for its
//! high-precision differences.

use arbitrary::Unstructured;
use gauge::expr::node::ExprId;
use gauge::lower::workspace::Workspace;
use gauge::numeric::precise::{Comparison, Fail, Interval};
use gauge::numeric::scalar::Dual;
use gauge::numeric::tape::{InputRef, Tape};
use gauge::numeric::value::{Bindings, Value};

/// The deepest nesting a generated expression has.
pub const MAX_DEPTH: u32 = 5;

/// The most nodes a generated expression has.
pub const MAX_NODES: u32 = 20;

/// The scalar functions generated, as gauge names them.
const FUNCS: [&str; 12] = [
    "exp", "ln", "sin", "cos", "tanh", "sigmoid", "softplus", "sqrt", "abs", "relu", "atan", "erf",
];

/// The exponents of powers: small rationals, as `(numerator, denominator)`.
const EXPONENTS: [(i8, u8); 10] = [
    (2, 1),
    (3, 1),
    (-1, 1),
    (-2, 1),
    (1, 2),
    (-1, 2),
    (3, 2),
    (1, 3),
    (2, 3),
    (-1, 3),
];

/// A generated expression.
#[derive(Clone, Debug)]
pub enum Gen {
    /// The variable `x`.
    X,
    /// The variable `y`.
    Y,
    /// `pi`.
    Pi,
    /// A small integer, 0 to 9.
    Int(u8),
    /// A fraction `n/7`.
    Sevenths(u8),
    /// `-a`.
    Neg(Box<Gen>),
    /// `a + b`, `a - b`, `a*b` or `a/b`, by the operator's character.
    Bin(char, Box<Gen>, Box<Gen>),
    /// `a^(p/q)`.
    Pow(Box<Gen>, (i8, u8)),
    /// A function of one argument, by its index in the list of functions.
    Func(usize, Box<Gen>),
}

impl Gen {
    /// An expression from the bytes, within [`MAX_DEPTH`] and [`MAX_NODES`]. Running out
    /// of bytes gives leaves, so every input gives an expression.
    pub fn from_bytes(u: &mut Unstructured<'_>) -> Gen {
        let mut budget = MAX_NODES;
        grow(u, MAX_DEPTH, &mut budget)
    }

    /// The expression as gauge text, fully parenthesised.
    pub fn text(&self) -> String {
        self.text_with("x")
    }

    /// The expression as text with every `x` replaced by `x_text`.
    pub fn text_with(&self, x_text: &str) -> String {
        let mut s = String::new();
        self.write(x_text, &mut s);
        s
    }

    fn write(&self, x: &str, s: &mut String) {
        match self {
            Gen::X => {
                s.push('(');
                s.push_str(x);
                s.push(')');
            }
            Gen::Y => s.push('y'),
            Gen::Pi => s.push_str("pi"),
            Gen::Int(n) => s.push_str(&n.to_string()),
            Gen::Sevenths(n) => s.push_str(&format!("({n}/7)")),
            Gen::Neg(a) => {
                s.push_str("(-");
                a.write(x, s);
                s.push(')');
            }
            Gen::Bin(op, a, b) => {
                s.push('(');
                a.write(x, s);
                s.push_str(&format!(" {op} "));
                b.write(x, s);
                s.push(')');
            }
            Gen::Pow(a, (p, q)) => {
                s.push('(');
                a.write(x, s);
                if *q == 1 {
                    s.push_str(&format!(")^({p})"));
                } else {
                    s.push_str(&format!(")^({p}/{q})"));
                }
            }
            Gen::Func(f, a) => {
                s.push_str(FUNCS[*f]);
                s.push('(');
                a.write(x, s);
                s.push(')');
            }
        }
    }

    /// Whether `x` occurs.
    pub fn has_x(&self) -> bool {
        match self {
            Gen::X => true,
            Gen::Y | Gen::Pi | Gen::Int(_) | Gen::Sevenths(_) => false,
            Gen::Neg(a) | Gen::Pow(a, _) | Gen::Func(_, a) => a.has_x(),
            Gen::Bin(_, a, b) => a.has_x() || b.has_x(),
        }
    }
}

fn leaf(u: &mut Unstructured<'_>) -> Gen {
    match u.int_in_range(0u8..=7).unwrap_or(0) {
        0 | 1 | 2 => Gen::X,
        3 | 4 => Gen::Y,
        5 => Gen::Int(u.int_in_range(0u8..=9).unwrap_or(1)),
        6 => Gen::Sevenths(u.int_in_range(1u8..=20).unwrap_or(1)),
        _ => Gen::Pi,
    }
}

fn grow(u: &mut Unstructured<'_>, depth: u32, budget: &mut u32) -> Gen {
    if depth == 0 || *budget <= 1 || u.is_empty() {
        *budget = budget.saturating_sub(1);
        return leaf(u);
    }
    *budget -= 1;
    match u.int_in_range(0u8..=15).unwrap_or(0) {
        0..=2 => leaf(u),
        3 => Gen::Neg(Box::new(grow(u, depth - 1, budget))),
        4..=8 => {
            let op = ['+', '-', '*', '/', '+'][usize::from(u.int_in_range(0u8..=4).unwrap_or(0))];
            let a = grow(u, depth - 1, budget);
            let b = grow(u, depth - 1, budget);
            Gen::Bin(op, Box::new(a), Box::new(b))
        }
        9 | 10 => {
            let k = u.choose_index(EXPONENTS.len()).unwrap_or(0);
            Gen::Pow(Box::new(grow(u, depth - 1, budget)), EXPONENTS[k])
        }
        _ => {
            let f = u.choose_index(FUNCS.len()).unwrap_or(0);
            Gen::Func(f, Box::new(grow(u, depth - 1, budget)))
        }
    }
}

/// Values of `x` the targets evaluate at: exact binary fractions, so that the exact
/// rational `x` of the high-precision differences is the `f64` one.
pub const XS: [f64; 16] = [
    -2.75, -1.5, -1.0, -0.5, -0.125, 0.0, 0.25, 0.5, 1.0, 1.25, 2.0, 3.0, 7.5, -9.0, 0.0078125,
    30.0,
];

/// Values of `y`, likewise.
pub const YS: [f64; 8] = [0.75, -1.25, 2.5, 0.0, 1.0, -3.0, 0.375, 12.0];

/// The points an input is evaluated at: two fixed ones and one the bytes choose.
pub fn points(u: &mut Unstructured<'_>) -> Vec<(f64, f64)> {
    let i = u.choose_index(XS.len()).unwrap_or(0);
    let j = u.choose_index(YS.len()).unwrap_or(0);
    vec![(0.6875, 1.3125), (-1.875, 0.4375), (XS[i], YS[j])]
}

/// A workspace with the prelude.
pub fn workspace() -> Workspace {
    Workspace::with_prelude().expect("the prelude loads")
}

/// Bindings of `x` and `y`.
pub fn bindings(ws: &mut Workspace, x: f64, y: f64) -> Bindings {
    let mut at = Bindings::new();
    let sx = ws.pool.symbol("x");
    let sy = ws.pool.symbol("y");
    at.insert(sx, Value::Scalar(x));
    at.insert(sy, Value::Scalar(y));
    at
}

/// An expression compiled for `f64` and dual-number runs.
pub struct Compiled {
    tape: Option<Tape>,
}

impl Compiled {
    /// Compiles `e`; an expression that does not compile evaluates to nothing.
    pub fn new(ws: &mut Workspace, e: ExprId) -> Compiled {
        Compiled {
            tape: Tape::compile(&mut ws.pool, e).ok(),
        }
    }

    /// The value at `at`, when it is defined and finite.
    pub fn value(&self, ws: &Workspace, at: &Bindings) -> Option<f64> {
        let tape = self.tape.as_ref()?;
        let inputs = tape.inputs(&ws.pool, at).ok()?;
        tape.eval(&inputs).ok().filter(|v| v.is_finite())
    }

    /// The largest magnitude on the way to the value: its rounding bounds how well two
    /// forms of one value agree in `f64`.
    pub fn largest(&self, ws: &Workspace, at: &Bindings) -> f64 {
        let Some(tape) = self.tape.as_ref() else {
            return 0.0;
        };
        tape.inputs(&ws.pool, at)
            .map_or(0.0, |i| tape.largest_intermediate(&i))
    }

    /// The derivative by `x` at `at` in forward mode (dual numbers), when finite.
    pub fn dual(&self, ws: &mut Workspace, at: &Bindings) -> Option<f64> {
        let tape = self.tape.as_ref()?;
        let inputs = tape.inputs(&ws.pool, at).ok()?;
        let sx = ws.pool.symbol("x");
        let seed = Some((InputRef::Scalar(sx), Dual::new(0.0, 1.0)));
        tape.run::<Dual>(&inputs, seed)
            .ok()
            .map(|d| d.derivative)
            .filter(|d| d.is_finite())
    }
}

/// `e` as the simplifier leaves it, with the workspace's definitions to fold into.
pub fn simplified(ws: &mut Workspace, e: ExprId) -> ExprId {
    let defs = ws.definitions_in_order();
    let mut simp = gauge::simplify::simplifier::Simplifier::new(&mut ws.pool, defs);
    simp.simplify(e)
}

/// The derivative of `e` by `x`, simplified, as `gauge diff` gives it.
pub fn derivative(ws: &mut Workspace, e: ExprId) -> Option<ExprId> {
    let x = ws.parse_variable("x").ok()?;
    let (d, _) = gauge::calculus::derivative::derive_n(&mut ws.pool, e, x, 1).ok()?;
    Some(simplified(ws, d))
}

/// Whether `a` and `b` agree in `f64` up to rounding: a relative `1e-9`, plus the
/// rounding of the largest magnitude on the way to either.
pub fn close(a: f64, b: f64, largest: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())) + 1e-13 * largest
}

/// An enclosure of `e` at `at`, `bits` bits wide, when it is tight (its width at most
/// `1e-30` of its size): then its midpoint is the value to `f64`'s precision.
pub fn tight(ws: &mut Workspace, e: ExprId, at: &Bindings, bits: usize) -> Result<f64, Fail> {
    let i: Interval = gauge::numeric::precise::enclose(&mut ws.pool, e, at, bits)?;
    let m = i.midpoint_f64();
    if !m.is_finite() || i.width_f64() > 1e-30 * (1.0 + m.abs()) {
        return Err(Fail::unsure("the enclosure is not tight"));
    }
    Ok(m)
}

/// A certified comparison's short description, for panic messages.
pub fn describe(c: &Comparison) -> String {
    match c {
        Comparison::Differ { lhs, rhs, bits } => format!(
            "differ at {bits} bits: lhs in ~{:e} (width {:e}), rhs in ~{:e} (width {:e})",
            lhs.midpoint_f64(),
            lhs.width_f64(),
            rhs.midpoint_f64(),
            rhs.width_f64()
        ),
        Comparison::LhsOnly { lhs, why, bits } => format!(
            "at {bits} bits the lhs is ~{:e} and the rhs is undefined ({why})",
            lhs.midpoint_f64()
        ),
        Comparison::Agree { width } => format!("agree (width {width:e})"),
        Comparison::Undefined(why) => format!("lhs undefined ({why})"),
        Comparison::Unsure(why) => format!("unsure ({why})"),
    }
}

/// An `f64` as exact gauge text: every finite `f64` is a dyadic rational, written here
/// through its shortest round-trip decimal, which gauge reads exactly and which rounds
/// back to the same `f64`. Used for the grid points, which are exact binary fractions.
pub fn exact_text(x: f64) -> String {
    format!("{x:?}")
}

/// Prints a line to standard error when `GAUGE_FUZZ_TRACE` is set, to see what the
/// inputs of a corpus do (`GAUGE_FUZZ_TRACE=1 cargo fuzz run prove corpus/prove --
/// -runs=0`).
pub fn trace(line: impl FnOnce() -> String) {
    if std::env::var_os("GAUGE_FUZZ_TRACE").is_some() {
        eprintln!("trace: {}", line());
    }
}
