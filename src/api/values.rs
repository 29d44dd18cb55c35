//! Checking a program's gradients against a spec: [`Session::check_values`], its
//! options and its report. The values and gradients come from dump files, or as
//! [`Array`]s a program holds in memory (the Python bindings hand NumPy, JAX and torch
//! arrays over this way, with no file in between).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::api::error::{Error, Result};
use crate::api::session::Session;
use crate::check::values::{DumpSource, Judging, ParamVerdict};
use crate::numeric::files::{Stored, StoredType, position};
use crate::report::Output;

/// An array a program holds in memory: its name, shape, dtype and elements, for
/// [`ValuesOptions::from_arrays`]. Its dtype sets the tolerance, as a dump file's does:
/// a float32 gradient is judged with float32's rounding.
///
/// ```
/// use gauge::api::values::Array;
///
/// let w = Array::from_f64("W", &[2, 2], vec![1.0, 2.0, 3.0, 4.0])?;
/// let bytes: Vec<u8> = [0.5f32, 0.25].iter().flat_map(|x| x.to_le_bytes()).collect();
/// let g = Array::from_le_bytes("grad.b", &[2], "float32", &bytes)?;
/// assert_eq!((w.dtype(), g.dtype(), g.shape()), ("float64", "float32", &[2][..]));
/// # Ok::<(), gauge::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Array {
    stored: Stored,
}

impl Array {
    /// An array from its elements' bytes: C order, little-endian, of the type NumPy
    /// names `dtype` (`float64`, `float32`, `float16`, `bfloat16`, `int8` to `int64`,
    /// `uint8` to `uint64`, `bool`). The bytes must be exactly the shape's elements.
    pub fn from_le_bytes(name: &str, shape: &[usize], dtype: &str, bytes: &[u8]) -> Result<Array> {
        crate::numeric::files::from_le_bytes(name, shape, dtype, bytes)
            .map(|stored| Array { stored })
            .map_err(|e| Error::resolve(&crate::diag::source::SourceMap::default(), e))
    }

    /// An array of `float64` elements, in C order.
    pub fn from_f64(name: &str, shape: &[usize], data: Vec<f64>) -> Result<Array> {
        let len = shape.iter().try_fold(1usize, |n, &a| n.checked_mul(a));
        if len != Some(data.len()) {
            return Err(Error::new(
                crate::ErrorKind::Shape,
                format!(
                    "`{name}` has shape {shape:?}, which is not the {} elements given",
                    data.len()
                ),
            ));
        }
        Ok(Array {
            stored: Stored {
                name: name.to_string(),
                shape: shape.to_vec(),
                data: data.into(),
                dtype: StoredType::F64,
            },
        })
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.stored.name
    }

    /// The length of each axis; empty for a scalar.
    pub fn shape(&self) -> &[usize] {
        &self.stored.shape
    }

    /// The dtype it was stored in, as NumPy names it (every integer type is `int`).
    pub fn dtype(&self) -> &'static str {
        self.stored.dtype.name()
    }
}

/// Where a program's values and gradients are, and how to judge them.
///
/// ```
/// use gauge::options::ValuesOptions;
///
/// let opts = ValuesOptions::new("dump.npz").with_values("dump_n64.npz");
/// assert_eq!(opts.dumps(), 2);
/// ```
#[derive(Clone, Debug)]
pub struct ValuesOptions {
    pub(crate) files: Vec<DumpSource>,
    pub(crate) judging: Judging,
}

impl ValuesOptions {
    /// One dump: the values file (`.npz`, `.npy`, `.safetensors`, `.json`), with the
    /// gradients in it as `grad.<name>` and the loss value as `loss`.
    pub fn new(values: impl AsRef<Path>) -> ValuesOptions {
        ValuesOptions {
            files: Vec::new(),
            judging: Judging::default(),
        }
        .with_values(values)
    }

    /// One dump of arrays held in memory, named as in a values file: the values by
    /// their names, the gradients as `grad.<name>`, the loss value as `loss`. The
    /// report calls the dump `source`.
    ///
    /// ```
    /// use gauge::api::values::Array;
    /// use gauge::options::ValuesOptions;
    ///
    /// let x = Array::from_f64("x", &[2], vec![1.0, 2.0])?;
    /// let g = Array::from_f64("grad.x", &[2], vec![2.0, 4.0])?;
    /// let mut s = gauge::Session::new();
    /// let r = s.check_values("sum(i, x[i]^2)", &ValuesOptions::from_arrays("arrays", vec![x, g]))?;
    /// assert!(r.passed());
    /// // A float32 gradient is judged with float32's rounding: one float32 step off,
    /// // it passes; the same numbers as float64 fail.
    /// let off = f32::from_bits(4.0f32.to_bits() + 1);
    /// let bytes: Vec<u8> = [2.0f32, off].iter().flat_map(|v| v.to_le_bytes()).collect();
    /// let check = |s: &mut gauge::Session, g: Array| {
    ///     let x = Array::from_f64("x", &[2], vec![1.0, 2.0])?;
    ///     s.check_values("sum(i, x[i]^2)", &ValuesOptions::from_arrays("arrays", vec![x, g]))
    /// };
    /// let r = check(&mut s, Array::from_le_bytes("grad.x", &[2], "float32", &bytes)?)?;
    /// assert!(r.passed());
    /// assert_eq!(r.dumps()[0].params[0].dtype, "float32");
    /// let r = check(&mut s, Array::from_f64("grad.x", &[2], vec![2.0, f64::from(off)])?)?;
    /// assert!(!r.passed());
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn from_arrays(source: &str, arrays: Vec<Array>) -> ValuesOptions {
        ValuesOptions {
            files: Vec::new(),
            judging: Judging::default(),
        }
        .with_arrays(source, arrays)
    }

    /// Another dump, of the same program at other values (another batch size tells a
    /// length from a constant that equals it in the first).
    pub fn with_values(mut self, values: impl AsRef<Path>) -> ValuesOptions {
        self.files.push(DumpSource::Files {
            values: values.as_ref().to_path_buf(),
            grads: None,
        });
        self
    }

    /// Another dump of arrays held in memory, as [`ValuesOptions::from_arrays`] takes
    /// them.
    pub fn with_arrays(mut self, source: &str, arrays: Vec<Array>) -> ValuesOptions {
        self.files.push(DumpSource::Arrays {
            source: source.to_string(),
            arrays: arrays.into_iter().map(|a| a.stored).collect(),
        });
        self
    }

    /// The gradients of the last dump given, in a file of their own, keyed by the
    /// parameters' names. A dump of arrays holds its gradients itself, so this does
    /// nothing after one.
    pub fn with_grads(mut self, grads: impl AsRef<Path>) -> ValuesOptions {
        if let Some(DumpSource::Files { grads: g, .. }) = self.files.last_mut() {
            *g = Some(grads.as_ref().to_path_buf());
        }
        self
    }

    /// A relative tolerance in place of the one the gradients' dtype gives.
    pub fn with_rtol(mut self, rtol: f64) -> ValuesOptions {
        self.judging.rtol = Some(rtol);
        self
    }

    /// The precision the program computed in (`float64`, `float32`, `float16`,
    /// `bfloat16`), when it is not the dumps' (half-precision dumps are taken to be
    /// computed in float32).
    pub fn with_compute(mut self, dtype: &str) -> Result<ValuesOptions> {
        let t = match dtype {
            "float64" | "f64" => StoredType::F64,
            "float32" | "f32" => StoredType::F32,
            "float16" | "f16" => StoredType::F16,
            "bfloat16" | "bf16" => StoredType::Bf16,
            other => {
                return Err(crate::api::error::Error::new(
                    crate::ErrorKind::Binding,
                    format!("`{other}` is not a floating-point type"),
                )
                .with_hint("give float64, float32, float16 or bfloat16"));
            }
        };
        self.judging.compute = Some(t);
        Ok(self)
    }

    /// Only these parameters' gradients.
    pub fn with_only(mut self, names: &[&str]) -> ValuesOptions {
        self.judging.only = Some(names.iter().map(|n| n.to_string()).collect());
        self
    }

    /// Whether a summary of each gradient is enough: its verdict and worst component,
    /// as the text report shows them. A large gradient is then compared block by block
    /// as it is computed and is never held whole; one that passes keeps only its worst
    /// component ([`Components::is_complete`](crate::check::values::Components::is_complete)
    /// is false). By default every component is kept, as the JSON report lists them.
    pub fn with_summary_only(mut self, yes: bool) -> ValuesOptions {
        self.judging.summary_only = yes;
        self
    }

    /// How many dumps.
    pub fn dumps(&self) -> usize {
        self.files.len()
    }

    /// The values files, as given (a dump of arrays has none).
    pub fn files(&self) -> Vec<PathBuf> {
        self.files
            .iter()
            .filter_map(|f| match f {
                DumpSource::Files { values, .. } => Some(values.clone()),
                DumpSource::Arrays { .. } => None,
            })
            .collect()
    }
}

/// The report of [`Session::check_values`].
#[derive(Clone)]
pub struct ValuesReport {
    pub(crate) inner: crate::check::values::ValuesReport,
}

impl ValuesReport {
    /// Whether the loss value and every gradient agree with the spec (a vacuous
    /// gradient, which compared nothing, does not pass).
    pub fn passed(&self) -> bool {
        self.inner.passed
    }

    /// The report as `gauge check SPEC --values FILE` prints it.
    pub fn render(&self, out: &Output) -> String {
        crate::report::values::values(&self.inner, out)
    }

    /// Each failing gradient's explanation, per parameter, as text: the ratio matched
    /// with a length, the terms absent or flipped, or why nothing simple fits.
    pub fn explanations(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for d in &self.inner.dumps {
            for p in &d.params {
                if let Some(e) = &p.explanation {
                    out.push((p.name.clone(), e.describe()));
                }
            }
        }
        out
    }

    /// The verdict of each parameter in each dump: `passed`, `failed` or `vacuous`.
    pub fn verdicts(&self) -> Vec<(String, &'static str)> {
        let mut out = Vec::new();
        for d in &self.inner.dumps {
            for p in &d.params {
                out.push((p.name.clone(), verdict_name(p.verdict)));
            }
        }
        out
    }

    /// Whether each dump's loss value agrees with the spec's (`None` where a dump has
    /// no `loss`).
    pub fn loss_passed(&self) -> Vec<Option<bool>> {
        self.inner
            .dumps
            .iter()
            .map(|d| d.loss.as_ref().map(|l| l.passed))
            .collect()
    }

    /// The spec's loss, as canonical text.
    pub fn spec(&self) -> &str {
        &self.inner.spec
    }

    /// The explanations that hold in every dump, per parameter (several dumps tell a
    /// length from a constant that equals it in one): the report's `over every dump`
    /// lines.
    pub fn explanations_across(&self) -> Vec<(String, String)> {
        self.inner
            .explanations
            .iter()
            .map(|(n, e)| (n.clone(), e.describe()))
            .collect()
    }

    /// Each dump's checks, as the text report's table shows them.
    pub fn dumps(&self) -> Vec<DumpResult> {
        self.inner.dumps.iter().map(dump_result).collect()
    }
}

/// One dump's checks in a [`ValuesReport`]: the loss value's and one per parameter.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct DumpResult {
    /// The dump's file, or the name given to a dump of arrays.
    pub source: String,
    /// The named lengths (`N`, `D`, ...) as read from the arrays' shapes.
    pub lengths: Vec<(String, usize)>,
    /// The loss value's check, when the dump has a loss value.
    pub loss: Option<LossResult>,
    /// One check per parameter with a gradient.
    pub params: Vec<ParamResult>,
    /// Arrays the spec does not use.
    pub unused: Vec<String>,
}

/// The check of a dump's loss value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LossResult {
    /// The program's value.
    pub got: f64,
    /// The spec's.
    pub want: f64,
    /// The bound the difference must stay within.
    pub bound: f64,
    /// The dtype it was given in.
    pub dtype: &'static str,
    /// Whether it passes.
    pub passed: bool,
    /// For a failing value, its ratio to the spec's matched with a length.
    pub explanation: Option<String>,
}

/// One parameter's check in one dump: its row of the text report.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ParamResult {
    /// The parameter's name.
    pub name: String,
    /// Its shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The dtype of the gradient as given.
    pub dtype: &'static str,
    /// `passed`, `failed` or `vacuous` (every component of the correct gradient is
    /// within rounding of 0, so nothing was compared).
    pub verdict: &'static str,
    /// The worst component: the failing one furthest beyond its bound, or the one
    /// closest to it.
    pub worst: Option<ComponentResult>,
    /// The systematic scale `got ≈ c * want` over the whole tensor, where rounding does
    /// not explain it.
    pub scale: Option<f64>,
    /// How many components sit on a kink (relu at 0, a tie of max).
    pub kinks: usize,
    /// What the mistake is, for a failing gradient.
    pub explanation: Option<String>,
}

/// One component of a gradient, compared.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ComponentResult {
    /// Its position, one index per axis.
    pub index: Vec<usize>,
    /// The program's value.
    pub got: f64,
    /// The spec's (NaN at a kink, where [`ComponentResult::kink`] holds the range).
    pub want: f64,
    /// At a kink, the one-sided derivatives, smaller first: any value between passes.
    pub kink: Option<(f64, f64)>,
    /// The bound the difference must stay within.
    pub bound: f64,
    /// The relative error.
    pub rel_error: f64,
    /// Whether it passes.
    pub passed: bool,
}

fn dump_result(d: &crate::check::values::DumpReport) -> DumpResult {
    DumpResult {
        source: d.source.clone(),
        lengths: d.lengths.clone(),
        loss: d.loss.as_ref().map(|l| LossResult {
            got: l.got,
            want: l.want,
            bound: l.bound,
            dtype: l.dtype.name(),
            passed: l.passed,
            explanation: l.explanation.as_ref().map(|e| e.describe()),
        }),
        params: d
            .params
            .iter()
            .map(|p| ParamResult {
                name: p.name.clone(),
                shape: p.shape.clone(),
                dtype: p.dtype.name(),
                verdict: verdict_name(p.verdict),
                worst: p.worst.map(|k| {
                    let c = p.components.get(k);
                    ComponentResult {
                        index: position(&p.shape, k),
                        got: c.got,
                        want: c.want,
                        kink: c.kink.map(|(a, b)| (a.min(b), a.max(b))),
                        bound: c.bound,
                        rel_error: c.rel_error(),
                        passed: c.passed,
                    }
                }),
                scale: p.scale,
                kinks: p.kinks,
                explanation: p.explanation.as_ref().map(|e| e.describe()),
            })
            .collect(),
        unused: d.unused.clone(),
    }
}

fn verdict_name(v: ParamVerdict) -> &'static str {
    match v {
        ParamVerdict::Passed => "passed",
        ParamVerdict::Failed => "failed",
        ParamVerdict::Vacuous => "vacuous",
    }
}

impl fmt::Debug for ValuesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed() { "passed" } else { "failed" };
        write!(
            f,
            "ValuesReport({verdict}, {} dump(s))",
            self.inner.dumps.len()
        )
    }
}

impl Session {
    /// Checks the gradients a program computed against gauge's derivative of the spec
    /// `loss` (an expression; its names are the arrays' names), at the values the
    /// program dumped, with tolerances from the arrays' dtypes. A failing gradient's
    /// mistake is named where a simple explanation fits.
    ///
    /// ```no_run
    /// use gauge::options::ValuesOptions;
    ///
    /// let mut s = gauge::Session::new();
    /// s.load("tensor X[N, D], y[N], W[C, D]\nlet loss = mean(n, cross_entropy(W @ X[n, :], y[n]))")?;
    /// let r = s.check_values("loss", &ValuesOptions::new("dump.npz"))?;
    /// println!("{}", r.render(&gauge::options::Output::default()));
    /// # Ok::<(), gauge::Error>(())
    /// ```
    pub fn check_values(&mut self, loss: &str, opts: &ValuesOptions) -> Result<ValuesReport> {
        let inner = self.query(|ws| {
            let id = ws.parse_expression(loss)?;
            let dumps = crate::check::values::read_dumps(ws, id, &opts.files)?;
            crate::check::values::run(ws, id, &dumps, &opts.judging)
        })?;
        Ok(ValuesReport { inner })
    }
}
