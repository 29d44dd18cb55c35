//! Checking a program's dumped gradients against a spec: [`Session::check_values`],
//! its options and its report.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::api::error::Result;
use crate::api::session::Session;
use crate::check::values::{DumpFiles, Judging};
use crate::numeric::files::StoredType;
use crate::report::Output;

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
    pub(crate) files: Vec<DumpFiles>,
    pub(crate) judging: Judging,
}

impl ValuesOptions {
    /// One dump: the values file (`.npz`, `.npy`, `.safetensors`, `.json`), with the
    /// gradients in it as `grad.<name>` and the loss value as `loss`.
    pub fn new(values: impl AsRef<Path>) -> ValuesOptions {
        ValuesOptions {
            files: vec![DumpFiles {
                values: values.as_ref().to_path_buf(),
                grads: None,
            }],
            judging: Judging::default(),
        }
    }

    /// Another dump, of the same program at other values (another batch size tells a
    /// length from a constant that equals it in the first).
    pub fn with_values(mut self, values: impl AsRef<Path>) -> ValuesOptions {
        self.files.push(DumpFiles {
            values: values.as_ref().to_path_buf(),
            grads: None,
        });
        self
    }

    /// The gradients of the last dump given, in a file of their own, keyed by the
    /// parameters' names.
    pub fn with_grads(mut self, grads: impl AsRef<Path>) -> ValuesOptions {
        if let Some(last) = self.files.last_mut() {
            last.grads = Some(grads.as_ref().to_path_buf());
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

    /// The files, as given.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.iter().map(|f| f.values.clone()).collect()
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
        use crate::check::values::ParamVerdict;
        let mut out = Vec::new();
        for d in &self.inner.dumps {
            for p in &d.params {
                let v = match p.verdict {
                    ParamVerdict::Passed => "passed",
                    ParamVerdict::Failed => "failed",
                    ParamVerdict::Vacuous => "vacuous",
                };
                out.push((p.name.clone(), v));
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
