//! Traced programs: a hand-written backward pass proved element by element.
//!
//! The Python package runs a user's NumPy `forward` and `backward` on arrays whose
//! elements are handles into a [`Trace`]. Each operation the program makes builds one
//! canonical node in the trace's pool and computes its value at the drawn point, so a
//! branch (`np.maximum`, `x > 0`, `max`) follows the concrete values, and the
//! condition it took is kept as the trace's region. The loss and every gradient
//! element are then expressions in the inputs' elements ([`Trace::input`]), and
//! [`prove`] decides, element by element, whether the program's gradient is the
//! derivative of its loss ([`prove::verify`]); [`explain`] names what a wrong one
//! misses, in the program's own variable names.
//!
//! May import: `diag`, `syntax`, `expr`, `print`, `lower`, `numeric`, `trace`, `simplify`, `calculus`, `verify`, `check`, `prove`.
pub mod check;
pub mod explain;
pub mod names;
pub mod numeric;
pub mod prove;
pub mod ratio;

use num_rational::BigRational;
use rustc_hash::FxHashMap;

use crate::diag::error::{Error, ErrorKind, Result};
use crate::expr::node::{ExprId, Func, Node, Symbol};
use crate::lower::workspace::Workspace;
use crate::numeric::sample::Rng;
use crate::numeric::value::{Bindings, Value};

/// One input of a traced program: its name, its shape and its elements' symbols, in
/// row-major order.
#[derive(Clone, Debug)]
pub struct Input {
    /// The name the program's functions take it by.
    pub name: String,
    /// The length of each axis.
    pub shape: Vec<usize>,
    /// One scalar variable per element, row-major.
    pub elements: Vec<ExprId>,
}

/// How a branch compared two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `a < b`.
    Less,
    /// `a <= b`.
    LessEqual,
    /// `a > b`.
    Greater,
    /// `a >= b`.
    GreaterEqual,
    /// `a == b`.
    Equal,
    /// `a != b`.
    NotEqual,
}

impl Comparison {
    /// The operator as NumPy code writes it.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Less => "<",
            Comparison::LessEqual => "<=",
            Comparison::Greater => ">",
            Comparison::GreaterEqual => ">=",
            Comparison::Equal => "==",
            Comparison::NotEqual => "!=",
        }
    }

    /// The operator of the text form (`<`, `>=`, ...).
    pub fn from_symbol(s: &str) -> Option<Comparison> {
        Some(match s {
            "<" => Comparison::Less,
            "<=" => Comparison::LessEqual,
            ">" => Comparison::Greater,
            ">=" => Comparison::GreaterEqual,
            "==" => Comparison::Equal,
            "!=" => Comparison::NotEqual,
            _ => return None,
        })
    }
}

/// One condition of the region a trace holds in: `expr > 0`, `expr >= 0` or
/// `expr = 0` (the sign the branch found at the drawn point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Condition {
    /// The difference the branch compared with 0.
    pub expr: ExprId,
    /// Its sign at the drawn point: 1, 0 or -1.
    pub sign: i8,
}

/// A trace: the pool the program's expressions live in, the drawn point, each node's
/// value there, and the region the branches imply.
pub struct Trace {
    /// The workspace (pool and prelude) of the program's expressions.
    pub ws: Workspace,
    values: FxHashMap<ExprId, f64>,
    point: Bindings,
    inputs: Vec<Input>,
    region: Vec<Condition>,
    rng: Rng,
}

/// The largest number of elements a trace's inputs may hold together: the proof is
/// per element, at small shapes (realistic shapes are checked numerically).
pub const MAX_ELEMENTS: usize = 20_000;

impl Trace {
    /// An empty trace whose inputs are drawn with `seed`.
    pub fn new(seed: u64) -> Result<Trace> {
        Ok(Trace {
            ws: Workspace::with_prelude()?,
            values: FxHashMap::default(),
            point: Bindings::new(),
            inputs: Vec::new(),
            region: Vec::new(),
            rng: Rng(seed ^ 0x9e37_79b9_7f4a_7c15),
        })
    }

    /// Adds an input of this shape; its elements are scalar variables named
    /// `name[i, j]`, drawn as multiples of 1/64 in [-2, 2] away from 0 (so that no
    /// branch meets a tie by chance). `positive` draws them in [1/4, 2] instead, for
    /// inputs the program takes the logarithm or root of.
    pub fn input(&mut self, name: &str, shape: &[usize], positive: bool) -> Result<Vec<ExprId>> {
        if self.inputs.iter().any(|i| i.name == name) {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("the input `{name}` is given twice"),
            ));
        }
        let count: usize = shape.iter().product();
        let held: usize = self.inputs.iter().map(|i| i.elements.len()).sum();
        if held + count > MAX_ELEMENTS {
            return Err(Error::new(
                ErrorKind::Shape,
                format!(
                    "the inputs would hold {} elements; a traced proof takes at most {MAX_ELEMENTS}",
                    held + count
                ),
            )
            .with_hint("give the named dimensions small sizes for the proof; the numeric check runs at a realistic shape"));
        }
        let mut elements = Vec::with_capacity(count);
        let mut index = vec![0usize; shape.len()];
        for _ in 0..count {
            let shown = if shape.is_empty() {
                name.to_string()
            } else {
                let parts: Vec<String> = index.iter().map(usize::to_string).collect();
                format!("{name}[{}]", parts.join(", "))
            };
            let s = self.ws.pool.symbol(&shown);
            // Declared as a scalar, so that the prover's random points give it values.
            let nowhere = crate::diag::source::Span {
                source: crate::diag::source::SourceId(0),
                start: 0,
                end: 0,
            };
            self.ws
                .scope
                .kinds
                .insert(s, (crate::expr::kind::Kind::Scalar, nowhere));
            let value = self.draw(positive);
            let e = self.ws.pool.sym(s);
            self.values.insert(e, value);
            self.point.insert(s, Value::Scalar(value));
            elements.push(e);
            // The next index, last axis fastest.
            for axis in (0..shape.len()).rev() {
                index[axis] += 1;
                if index[axis] < shape[axis] {
                    break;
                }
                index[axis] = 0;
            }
        }
        self.inputs.push(Input {
            name: name.to_string(),
            shape: shape.to_vec(),
            elements: elements.clone(),
        });
        Ok(elements)
    }

    /// A value for an input element: a multiple of 1/64, so that it is exact in every
    /// precision, at least 1/8 from 0.
    fn draw(&mut self, positive: bool) -> f64 {
        let k = if positive {
            16 + self.rng.below(113) as i64
        } else {
            let m = 8 + self.rng.below(121) as i64;
            if self.rng.below(2) == 0 { m } else { -m }
        };
        k as f64 / 64.0
    }

    /// The inputs, in the order they were added.
    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    /// The drawn point: every input element's value.
    pub fn point(&self) -> &Bindings {
        &self.point
    }

    /// The branch conditions taken, in order.
    pub fn region(&self) -> &[Condition] {
        &self.region
    }

    /// The value of a node at the drawn point.
    pub fn value(&self, e: ExprId) -> f64 {
        self.values.get(&e).copied().unwrap_or(f64::NAN)
    }

    /// Whether `e` is a node of this trace.
    pub fn holds(&self, e: ExprId) -> bool {
        self.values.contains_key(&e)
    }

    /// Keeps `e` with `value` unless it already has one (a canonical node that an
    /// earlier operation made has the value that operation computed).
    fn keep(&mut self, e: ExprId, value: f64) -> ExprId {
        self.values.entry(e).or_insert(value);
        e
    }

    /// A constant, read exactly from the shortest decimal that rounds to it (`0.1` is
    /// 1/10, as the program's author wrote it).
    pub fn constant(&mut self, x: f64) -> Result<ExprId> {
        if !x.is_finite() {
            return Err(Error::new(
                ErrorKind::Domain,
                format!("the program uses the constant {x}"),
            )
            .with_hint("a traced program's constants must be finite"));
        }
        // The literal reader takes no sign: the magnitude is read, then negated. Of the
        // shortest decimal and the simplest fraction that round to the float, the
        // simpler is kept: `np.ones(6) / 6` holds 0.16666666666666666, which is 1/6 as
        // the program meant it, and as the forward's exact division by 6 has it.
        let magnitude: BigRational = crate::syntax::number::parse_decimal(&format!("{}", x.abs()))
            .map_err(|_| {
                Error::new(
                    ErrorKind::Domain,
                    format!("the constant {x} is too large to keep exactly"),
                )
            })?;
        let magnitude = match simplest_rounding_to(x.abs()) {
            Some(f) if f.denom() < magnitude.denom() => f,
            _ => magnitude,
        };
        let r = if x < 0.0 { -magnitude } else { magnitude };
        let e = self.ws.pool.num(r);
        Ok(self.keep(e, x))
    }

    /// `a + b`.
    pub fn add(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let v = self.value(a) + self.value(b);
        let e = self.ws.pool.add(vec![a, b]);
        self.keep(e, v)
    }

    /// `a - b`.
    pub fn sub(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let v = self.value(a) - self.value(b);
        let e = self.ws.pool.sub(a, b);
        self.keep(e, v)
    }

    /// `a * b`.
    pub fn mul(&mut self, a: ExprId, b: ExprId) -> ExprId {
        let v = self.value(a) * self.value(b);
        let e = self.ws.pool.mul(vec![a, b]);
        self.keep(e, v)
    }

    /// `-a`.
    pub fn neg(&mut self, a: ExprId) -> ExprId {
        let v = -self.value(a);
        let e = self.ws.pool.neg(a);
        self.keep(e, v)
    }

    /// `a / b`; a divisor that is 0 at the drawn point is an error.
    pub fn div(&mut self, a: ExprId, b: ExprId) -> Result<ExprId> {
        let vb = self.value(b);
        if vb == 0.0 {
            return Err(Error::new(
                ErrorKind::Domain,
                "the program divides by a value that is 0 at the drawn point".to_string(),
            )
            .with_hint(format!("the divisor is `{}`", self.ws.print(b))));
        }
        let v = self.value(a) / vb;
        let e = self.ws.pool.div(a, b);
        Ok(self.keep(e, v))
    }

    /// `a ** b`.
    pub fn pow(&mut self, a: ExprId, b: ExprId) -> Result<ExprId> {
        let (va, vb) = (self.value(a), self.value(b));
        let v = va.powf(vb);
        if !v.is_finite() {
            return Err(Error::new(
                ErrorKind::Domain,
                format!(
                    "the program raises {va} to the power {vb}, which is not a finite real number"
                ),
            )
            .with_hint(format!("the base is `{}`", self.ws.print(a))));
        }
        let e = self.ws.pool.pow(a, b);
        Ok(self.keep(e, v))
    }

    /// A function of one argument by its NumPy name: `exp`, `log`, `log1p`, `expm1`,
    /// `sqrt`, `tanh`, `sin`, `cos`, ... (`abs` and `sign` are branches: see
    /// [`Trace::abs`]).
    pub fn func(&mut self, name: &str, a: ExprId) -> Result<ExprId> {
        let va = self.value(a);
        let (e, v) = match name {
            "log1p" => {
                let one = self.ws.pool.int(1);
                let s = self.ws.pool.add(vec![one, a]);
                (self.ws.pool.func(Func::Ln, s), va.ln_1p())
            }
            "expm1" => {
                let x = self.ws.pool.func(Func::Exp, a);
                let one = self.ws.pool.int(-1);
                (self.ws.pool.add(vec![x, one]), va.exp_m1())
            }
            "sqrt" => (self.ws.pool.sqrt(a), va.sqrt()),
            "square" => {
                let two = self.ws.pool.int(2);
                (self.ws.pool.pow(a, two), va * va)
            }
            "reciprocal" => (self.ws.pool.recip(a), 1.0 / va),
            "log" => (self.ws.pool.func(Func::Ln, a), va.ln()),
            "arcsin" => (self.ws.pool.func(Func::Asin, a), va.asin()),
            "arccos" => (self.ws.pool.func(Func::Acos, a), va.acos()),
            "arctan" => (self.ws.pool.func(Func::Atan, a), va.atan()),
            other => match Func::from_name(other) {
                Some(f) if f != Func::Abs => (self.ws.pool.func(f, a), f.apply(va)),
                _ => {
                    return Err(Error::new(
                        ErrorKind::Unsupported,
                        format!("`{other}` is not a function gauge can trace"),
                    )
                    .with_hint("traced functions: exp, log, log1p, expm1, sqrt, square, reciprocal, tanh, sinh, cosh, sin, cos, tan, arcsin, arccos, arctan, sigmoid, softplus, erf, abs, sign"));
                }
            },
        };
        if !v.is_finite() {
            return Err(Error::new(
                ErrorKind::Domain,
                format!("`{name}` of {va} is not a finite real number"),
            )
            .with_hint(format!(
                "its argument is `{}`; declare an input the program takes the log or root of as positive (`gauge.positive(shape)`)",
                self.ws.print(a)
            )));
        }
        Ok(self.keep(e, v))
    }

    /// Compares `a` with `b` at the drawn point, keeps the condition that held, and
    /// returns whether the comparison is true.
    pub fn compare(&mut self, a: ExprId, op: Comparison, b: ExprId) -> bool {
        let d = self.ws.pool.sub(a, b);
        let v = self.value(a) - self.value(b);
        self.keep(d, v);
        let sign = if self.ws.pool.is_int(d, 0) || v == 0.0 {
            0
        } else if v > 0.0 {
            1
        } else {
            -1
        };
        // A difference that is 0 as an expression holds everywhere: no region.
        if !self.ws.pool.is_int(d, 0) && self.ws.pool.as_num(d).is_none() {
            let c = Condition { expr: d, sign };
            if !self.region.contains(&c) {
                self.region.push(c);
            }
        }
        match op {
            Comparison::Less => sign < 0,
            Comparison::LessEqual => sign <= 0,
            Comparison::Greater => sign > 0,
            Comparison::GreaterEqual => sign >= 0,
            Comparison::Equal => sign == 0,
            Comparison::NotEqual => sign != 0,
        }
    }

    /// `|a|`, as the branch the drawn point is on: `a` or `-a`, with its condition.
    pub fn abs(&mut self, a: ExprId) -> ExprId {
        let zero = self.ws.pool.int(0);
        self.values.entry(zero).or_insert(0.0);
        if self.compare(a, Comparison::GreaterEqual, zero) {
            a
        } else {
            self.neg(a)
        }
    }

    /// The name of an input element's symbol, if `e` is one.
    pub fn symbol_of(&self, e: ExprId) -> Option<Symbol> {
        match self.ws.pool.node(e) {
            Node::Sym(s) => Some(*s),
            _ => None,
        }
    }

    /// The text of a node.
    pub fn print(&self, e: ExprId) -> String {
        self.ws.print(e)
    }
}

/// The fraction with the smallest denominator that rounds to `x` (a positive, finite,
/// normal float): the simplest rational strictly inside the interval of reals that
/// round to it, by continued fractions.
pub fn simplest_rounding_to(x: f64) -> Option<BigRational> {
    if !(x.is_normal() && x > 0.0) || x > 1e15 {
        return None;
    }
    let exact = BigRational::from_float(x)?;
    let below = BigRational::from_float(f64::from_bits(x.to_bits() - 1))?;
    let above = BigRational::from_float(f64::from_bits(x.to_bits() + 1))?;
    let two = BigRational::from_integer(2.into());
    let lo = (&below + &exact) / &two;
    let hi = (&exact + &above) / &two;
    Some(simplest_between(&lo, &hi, 0))
}

/// The simplest fraction strictly between `lo` and `hi` (0 <= lo < hi).
fn simplest_between(lo: &BigRational, hi: &BigRational, depth: usize) -> BigRational {
    use num_traits::One;
    let a = lo.floor();
    // An integer strictly inside: the least one.
    let next = &a + BigRational::one();
    if next < *hi {
        return next;
    }
    if a == *lo {
        // lo < a + 1/t < hi for every whole t above 1/(hi - a): the least such t.
        let t = (BigRational::one() / (hi - &a)).floor() + BigRational::one();
        return a + BigRational::one() / t;
    }
    if depth > 200 {
        return (lo + hi) / BigRational::from_integer(2.into());
    }
    // a < lo < hi <= a + 1: a + 1/t with t simplest between 1/(hi - a) and 1/(lo - a).
    let t = simplest_between(
        &(BigRational::one() / (hi - &a)),
        &(BigRational::one() / (lo - &a)),
        depth + 1,
    );
    a + BigRational::one() / t
}
