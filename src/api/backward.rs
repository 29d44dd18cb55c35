//! Proving a hand-written backward pass: a [`Trace`] of the program, a
//! [`BackwardCheck`] that decides it at two or more instances of its dimensions, and
//! the [`BackwardReport`].
//!
//! The Python package's `gauge.verify_backward` drives these: it runs the user's
//! NumPy code on arrays whose elements are handles (`u32`) into a [`Trace`], so every
//! operation the code makes is one call here. A Rust caller can trace a program the
//! same way:
//!
//! ```
//! use gauge::{BackwardCheck, Trace};
//! use gauge::api::backward::Run;
//!
//! // loss = sum(x^2) / 2, and a backward that forgot nothing: dx = x.
//! let mut t = Trace::new(1)?;
//! let x = t.input("x", &[3], false)?;
//! let mut loss = t.constant(0.0)?;
//! for &e in &x {
//!     let sq = t.binary("mul", e, e)?;
//!     loss = t.binary("add", loss, sq)?;
//! }
//! let half = t.constant(0.5)?;
//! let loss = t.binary("mul", loss, half)?;
//! let mut check = BackwardCheck::new();
//! let run = Run {
//!     sizes: vec![("N".into(), 3)],
//!     loss,
//!     grads: vec![("x".into(), vec![3], x.clone())],
//!     ..Run::default()
//! };
//! check.add_instance(&mut t, run)?;
//! let report = check.report();
//! assert!(report.ok());
//! # Ok::<(), gauge::Error>(())
//! ```

use crate::api::error::{Error, Result};
use crate::backward::check::{InputVerdict, Instance, Report, Status};
use crate::backward::{Comparison, Trace as Inner};
use crate::diag::error::ErrorKind;
use crate::expr::node::ExprId;
use crate::report::Output;

/// A stage's error as the facade's: a trace's errors point into no text.
trait Lift<T> {
    fn lift(self) -> Result<T>;
}

impl<T> Lift<T> for std::result::Result<T, crate::diag::error::Error> {
    fn lift(self) -> Result<T> {
        self.map_err(|e| Error::resolve(&crate::diag::source::SourceMap::default(), e))
    }
}

/// A traced program: the inputs' elements, and one node per operation the program
/// made, each with its value at the drawn point. Handles are `u32`s.
pub struct Trace {
    inner: Inner,
    seed: u64,
}

/// A program's arrays by name: the name, the shape, and the elements' handles
/// row-major.
pub type Arrays = Vec<(String, Vec<usize>, Vec<u32>)>;

impl Trace {
    /// An empty trace whose inputs are drawn with `seed`.
    pub fn new(seed: u64) -> Result<Trace> {
        Ok(Trace {
            inner: Inner::new(seed).lift()?,
            seed,
        })
    }

    fn id(&self, h: u32) -> Result<ExprId> {
        let e = ExprId(h);
        if (h as usize) < self.inner.ws.pool.len() && self.inner.holds(e) {
            Ok(e)
        } else {
            Err(Error::new(
                ErrorKind::Binding,
                format!("{h} is not a value of this trace"),
            )
            .with_hint("values from one trace cannot be used in another"))
        }
    }

    /// An input of this shape; its elements' handles, row-major. `positive` draws
    /// them in [1/4, 2], for inputs the program takes the logarithm or root of.
    pub fn input(&mut self, name: &str, shape: &[usize], positive: bool) -> Result<Vec<u32>> {
        Ok(self
            .inner
            .input(name, shape, positive)
            .lift()?
            .into_iter()
            .map(|e| e.0)
            .collect())
    }

    /// A constant, read exactly from the shortest decimal that rounds to it.
    pub fn constant(&mut self, x: f64) -> Result<u32> {
        Ok(self.inner.constant(x).lift()?.0)
    }

    /// `a op b` for `op` one of `add`, `sub`, `mul`, `div`, `pow`.
    pub fn binary(&mut self, op: &str, a: u32, b: u32) -> Result<u32> {
        let (a, b) = (self.id(a)?, self.id(b)?);
        let e = match op {
            "add" => self.inner.add(a, b),
            "sub" => self.inner.sub(a, b),
            "mul" => self.inner.mul(a, b),
            "div" => self.inner.div(a, b).lift()?,
            "pow" => self.inner.pow(a, b).lift()?,
            other => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("`{other}` is not a binary operation of a trace"),
                )
                .with_hint("give add, sub, mul, div or pow"));
            }
        };
        Ok(e.0)
    }

    /// `-a`.
    pub fn neg(&mut self, a: u32) -> Result<u32> {
        let a = self.id(a)?;
        Ok(self.inner.neg(a).0)
    }

    /// A function of one argument by its NumPy name (`exp`, `log`, `tanh`, ...).
    pub fn func(&mut self, name: &str, a: u32) -> Result<u32> {
        let a = self.id(a)?;
        Ok(self.inner.func(name, a).lift()?.0)
    }

    /// `|a|`, as the branch the drawn point is on.
    pub fn abs(&mut self, a: u32) -> Result<u32> {
        let a = self.id(a)?;
        Ok(self.inner.abs(a).0)
    }

    /// Compares `a` with `b` (`op` one of `<`, `<=`, `>`, `>=`, `==`, `!=`) at the
    /// drawn point, keeps the condition in the trace's region, and says whether it
    /// holds.
    pub fn compare(&mut self, a: u32, op: &str, b: u32) -> Result<bool> {
        let (a, b) = (self.id(a)?, self.id(b)?);
        let op = Comparison::from_symbol(op).ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                format!("`{op}` is not a comparison"),
            )
        })?;
        Ok(self.inner.compare(a, op, b))
    }

    /// A value's number at the drawn point.
    pub fn value(&self, a: u32) -> Result<f64> {
        Ok(self.inner.value(self.id(a)?))
    }

    /// A value's expression, as text.
    pub fn text(&self, a: u32) -> Result<String> {
        Ok(self.inner.print(self.id(a)?))
    }

    /// How many branch conditions the program took so far.
    pub fn conditions(&self) -> usize {
        self.inner.region().len()
    }

    fn arrays(&self, arrays: Arrays) -> Result<crate::backward::prove::Gradients> {
        arrays
            .into_iter()
            .map(|(name, shape, hs)| {
                let count: usize = shape.iter().product();
                if count != hs.len() {
                    return Err(Error::new(
                        ErrorKind::Shape,
                        format!(
                            "`{name}` has shape {shape:?} but {} elements were given",
                            hs.len()
                        ),
                    ));
                }
                let es = hs
                    .into_iter()
                    .map(|h| self.id(h))
                    .collect::<Result<Vec<_>>>()?;
                Ok((name, shape, es))
            })
            .collect()
    }
}

/// One traced run of the program at one instance of its named dimensions.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// Each named dimension's size.
    pub sizes: Vec<(String, usize)>,
    /// The forward's value.
    pub loss: u32,
    /// The backward's gradients by input name.
    pub grads: Arrays,
    /// The program's other named arrays (its local variables), whose names the
    /// report writes residuals with.
    pub named: Arrays,
    /// The integer label inputs' values: a gradient wrong exactly at the positions
    /// `[n, y[n]]` is a one-hot term.
    pub labels: Vec<(String, Vec<usize>, Vec<i64>)>,
    /// The arrays the program updated in place (name, line, code): a wrong
    /// gradient's residual that reads one points at it.
    pub updates: Vec<(String, usize, String)>,
}

/// A check of a backward pass: one or more traced instances, decided element by
/// element, then one verdict per input.
#[derive(Default)]
pub struct BackwardCheck {
    instances: Vec<Instance>,
    numeric: Vec<crate::backward::numeric::NumericCheck>,
}

/// One sampled element of a numeric check: the input, the element's index, the
/// program's gradient there, the loss at `x`, `x + h`, `x - h`, `x + h/2`, `x - h/2`,
/// and `h`.
pub type NumericProbe = (String, Vec<usize>, f64, [f64; 5], f64);

impl BackwardCheck {
    /// A check with no instance yet.
    pub fn new() -> BackwardCheck {
        BackwardCheck::default()
    }

    /// Decides one traced run of the program (see [`Run`]).
    pub fn add_instance(&mut self, trace: &mut Trace, run: Run) -> Result<()> {
        let loss = trace.id(run.loss)?;
        let grads = trace.arrays(run.grads)?;
        let named = trace.arrays(run.named)?;
        let seed = trace.seed.wrapping_add(self.instances.len() as u64);
        let mut instance = crate::backward::check::run_instance(
            &mut trace.inner,
            run.sizes,
            loss,
            &grads,
            &named,
            &run.labels,
            seed,
        )
        .lift()?;
        instance.updates = run.updates;
        self.instances.push(instance);
        Ok(())
    }

    /// Judges the program's float64 gradient at a realistic shape against central
    /// differences of its own loss, at the sampled elements `probes`; `point` says
    /// how the point was drawn (`random`, `kinks`).
    pub fn add_numeric(
        &mut self,
        sizes: Vec<(String, usize)>,
        point: &str,
        probes: Vec<NumericProbe>,
    ) {
        use crate::backward::numeric::{NumericCheck, NumericInput, Probe, judge};
        let mut inputs: Vec<NumericInput> = Vec::new();
        for (name, index, got, f, step) in probes {
            let probe = Probe {
                at: f[0],
                h: (f[1], f[2]),
                half: (f[3], f[4]),
                step,
            };
            let judged = judge(index, got, probe);
            match inputs.iter_mut().find(|i| i.name == name) {
                Some(i) => i.elements.push(judged),
                None => inputs.push(NumericInput {
                    name,
                    elements: vec![judged],
                }),
            }
        }
        self.numeric.push(NumericCheck {
            sizes,
            point: point.to_string(),
            inputs,
        });
    }

    /// The report of the instances decided so far.
    pub fn report(&self) -> BackwardReport {
        let inputs = crate::backward::check::combine(&self.instances, &self.numeric);
        let ok = !inputs.is_empty() && inputs.iter().all(|i| i.status == Status::Proved);
        BackwardReport {
            inner: Report {
                instances: self.instances.clone(),
                numeric: self.numeric.clone(),
                inputs,
                ok,
            },
        }
    }
}

/// The verdict on a backward pass: per input, proved or wrong (with the first wrong
/// element and what it misses), across the instances.
#[derive(Clone, Debug)]
pub struct BackwardReport {
    inner: Report,
}

impl BackwardReport {
    /// Whether every input's gradient is proved at every instance.
    pub fn ok(&self) -> bool {
        self.inner.ok
    }

    /// Each input's verdict.
    pub fn inputs(&self) -> &[InputVerdict] {
        &self.inner.inputs
    }

    /// The instances, with their sizes and per-input results.
    pub fn instances(&self) -> &[Instance] {
        &self.inner.instances
    }

    /// The report as text, JSON or LaTeX.
    pub fn render(&self, out: &Output) -> String {
        crate::report::backward::backward(&self.inner, out)
    }
}
