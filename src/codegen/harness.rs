//! `--emit-check`: a harness appended to the generated function that draws random
//! inputs of consistent shapes (one length per class of equal axes, labels below the
//! length they index) and compares a user's function of the same signature with the
//! reference, value and each gradient, with a tolerance set by the user's dtype.

use crate::codegen::Target;
use crate::codegen::ir::{ArgKind, Program};

/// The default length of class `c`: distinct small lengths, so that a transposed
/// array has the wrong shape instead of passing by chance.
pub fn default_size(prog: &Program, c: usize) -> usize {
    prog.classes.get(c).copied().flatten().unwrap_or(3 + c)
}

/// One line per argument: its name and what it takes, lengths named by class.
pub fn describe_args(prog: &Program, indent: &str) -> String {
    let mut out = String::new();
    let class = |c: &Option<usize>| match c {
        Some(c) => format!("n{c}"),
        None => "its axis length".to_string(),
    };
    for a in &prog.args {
        let what = match &a.kind {
            ArgKind::Scalar => "a real number".to_string(),
            ArgKind::Label { bound } => {
                format!("an integer position, below {}", class(bound))
            }
            ArgKind::Tensor { dims, labels } => {
                let shape: Vec<String> = dims.iter().map(|c| format!("n{c}")).collect();
                let shape = if shape.len() == 1 {
                    format!("({},)", shape[0])
                } else {
                    format!("({})", shape.join(", "))
                };
                match labels {
                    Some(bound) => format!(
                        "an integer array of shape {shape}, positions below {}",
                        class(bound)
                    ),
                    None => format!("an array of shape {shape}"),
                }
            }
        };
        out.push_str(&format!("{indent}{}: {what}\n", a.code));
    }
    out
}

/// The Python harness: `random_inputs` and `check_against`.
pub fn python(prog: &Program, target: Target) -> String {
    let sizes: Vec<String> = (0..prog.classes.len())
        .map(|c| format!("\"n{c}\": {}", default_size(prog, c)))
        .collect();
    let mut draws = Vec::new();
    let bound = |b: &Option<usize>| match b {
        Some(c) => format!("n[\"n{c}\"]"),
        None => "2".to_string(),
    };
    for a in &prog.args {
        let d = match &a.kind {
            ArgKind::Scalar => "dtype(rng.normal())".to_string(),
            ArgKind::Label { bound: b } => format!("int(rng.integers(0, {}))", bound(b)),
            ArgKind::Tensor { dims, labels } => {
                let shape: Vec<String> = dims.iter().map(|c| format!("n[\"n{c}\"]")).collect();
                let shape = format!(
                    "({}{})",
                    shape.join(", "),
                    if shape.len() == 1 { "," } else { "" }
                );
                match labels {
                    Some(b) => format!("rng.integers(0, {}, size={shape})", bound(b)),
                    None => format!("rng.normal(size={shape}).astype(dtype)"),
                }
            }
        };
        draws.push(format!("        {d},  # {}", a.code));
    }
    let grad_names: Vec<String> = prog
        .wrt
        .iter()
        .map(|&k| format!("\"{}\"", prog.args[k].code))
        .collect();
    let (engine, to_numpy) = match target {
        Target::Jax => ("jnp.asarray(a)", "np.asarray(x)"),
        Target::Torch => (
            "torch.as_tensor(a)",
            "x.detach().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)",
        ),
        Target::Numpy | Target::Rust => ("a", "np.asarray(x)"),
    };
    let import = if target == Target::Numpy {
        ""
    } else {
        "import numpy as np  # noqa: E402\n"
    };
    format!(
        r#"

# A harness (`--emit-check`): compares a function written by hand with value_and_grad.
{import}
SIZES = {{{sizes}}}
GRADIENTS = ({grads}{comma})


def random_inputs(rng, sizes=None, dtype=np.float64):
    """Random arguments for value_and_grad: normal numbers, labels below their axis length."""
    n = dict(SIZES, **(sizes or {{}}))
    return (
{draws}
    )


def _engine(a):
    return {engine}


def _numpy(x):
    return {to_numpy}


def _compare(what, got, want, point):
    got, want = _numpy(got), np.asarray(_numpy(want), dtype=np.float64)
    if got.shape != want.shape:
        raise AssertionError(f"{{what}}: shape {{got.shape}}, expected {{want.shape}} (point {{point}})")
    dtype = got.dtype if np.issubdtype(got.dtype, np.floating) else np.dtype(np.float64)
    rtol = float(np.sqrt(np.finfo(dtype).eps))
    scale = float(np.max(np.abs(want), initial=1.0))
    bad = np.abs(got - want) > rtol * (np.abs(want) + 1e-3 * scale)
    if np.any(bad):
        at = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(
            f"{{what}} differs at {{at}}: {{got[at]!r}}, expected {{want[at]!r}} "
            f"(point {{point}}, relative tolerance {{rtol:.1e}} for {{dtype}})"
        )


def check_against(user_fn, points=20, seed=0, sizes=None, dtype=np.float64):
    """Calls user_fn and value_and_grad at `points` random inputs and raises
    AssertionError naming the first value or gradient that differs; returns the
    number of points checked. `sizes` overrides axis lengths (SIZES), and `dtype`
    is the dtype of the inputs, which sets the tolerance."""
    rng = np.random.default_rng(seed)
    for point in range(points):
        args = random_inputs(rng, sizes, dtype)
        want_value, want_grads = value_and_grad(*(_engine(a) for a in args))
        got_value, got_grads = user_fn(*(_engine(a) for a in args))
        _compare("the value", got_value, want_value, point)
        if len(got_grads) != len(want_grads):
            raise AssertionError(f"{{len(got_grads)}} gradients, expected {{len(want_grads)}}")
        for name, got, want in zip(GRADIENTS, got_grads, want_grads):
            _compare("the gradient by " + name, got, want, point)
    return points


if __name__ == "__main__":
    print(f"value_and_grad agrees with itself at {{check_against(value_and_grad)}} points")
"#,
        sizes = sizes.join(", "),
        grads = grad_names.join(", "),
        comma = if grad_names.len() == 1 { "," } else { "" },
        draws = draws.join("\n"),
    )
}

/// The Rust harness: `check_against`, with its own random numbers.
pub fn rust(prog: &Program) -> String {
    let (params, ret) = crate::codegen::rust::signature(prog);
    let types: Vec<&str> = params.iter().map(|p| p.1.as_str()).collect();
    let mut draws = Vec::new();
    let size = |c: &usize| format!("sizes[{c}]");
    let bound = |b: &Option<usize>| match b {
        Some(c) => size(c),
        None => "2".to_string(),
    };
    let mut call = Vec::new();
    for a in &prog.args {
        let n = &a.code;
        match &a.kind {
            ArgKind::Scalar => {
                draws.push(format!("        let {n} = 4.0 * next() - 2.0;"));
                call.push(n.clone());
            }
            ArgKind::Label { bound: b } => {
                draws.push(format!(
                    "        let {n} = ((next() * {b} as f64) as usize).min({b} - 1);",
                    b = bound(b)
                ));
                call.push(n.clone());
            }
            ArgKind::Tensor { dims, labels } => {
                let shape: Vec<String> = dims.iter().map(size).collect();
                draws.push(format!("        let {n}__shape = [{}];", shape.join(", ")));
                let count = format!("{n}__shape.iter().product::<usize>()");
                draws.push(match labels {
                    Some(b) => format!(
                        "        let {n}: Vec<usize> = (0..{count}).map(|_| ((next() * {b} as f64) as usize).min({b} - 1)).collect();",
                        b = bound(b)
                    ),
                    None => format!(
                        "        let {n}: Vec<f64> = (0..{count}).map(|_| 4.0 * next() - 2.0).collect();"
                    ),
                });
                call.push(format!("&{n}"));
                call.push(format!("{n}__shape"));
            }
        }
    }
    let sizes: Vec<String> = (0..prog.classes.len())
        .map(|c| default_size(prog, c).to_string())
        .collect();
    let mut compares =
        vec!["        _close(\"the value\", &[got.0], &[want.0], point)?;".to_string()];
    for (g, &k) in prog.wrt.iter().enumerate() {
        let (gg, ww) = match prog.args[k].kind {
            ArgKind::Tensor { .. } => (format!("&got.1.{g}"), format!("&want.1.{g}")),
            _ => (format!("&[got.1.{g}]"), format!("&[want.1.{g}]")),
        };
        compares.push(format!(
            "        _close(\"the gradient by {}\", {gg}, {ww}, point)?;",
            prog.args[k].code
        ));
    }
    format!(
        r#"
/// A harness (`--emit-check`): calls `user` and `value_and_grad` at `points` random
/// inputs and returns the number checked, or a message naming the first value or
/// gradient that differs (relative tolerance 1e-8, for `f64`).
#[allow(non_snake_case, clippy::all)]
pub fn check_against(user: impl Fn({types}) -> {ret}, points: usize, seed: u64) -> Result<usize, String> {{
    fn _close(what: &str, got: &[f64], want: &[f64], point: usize) -> Result<(), String> {{
        if got.len() != want.len() {{
            return Err(format!("{{what}}: {{}} elements, expected {{}} (point {{point}})", got.len(), want.len()));
        }}
        let scale = want.iter().fold(1.0_f64, |m, w| m.max(w.abs()));
        for (k, (g, w)) in got.iter().zip(want).enumerate() {{
            if !((g - w).abs() <= 1e-8 * (w.abs() + 1e-3 * scale)) {{
                return Err(format!("{{what}} differs at element {{k}}: {{g}}, expected {{w}} (point {{point}})"));
            }}
        }}
        Ok(())
    }}
    let mut state = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {{
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 11) as f64 / (1_u64 << 53) as f64
    }};
    let sizes: [usize; {nc}] = [{sizes}];
    for point in 0..points {{
{draws}
        let want = value_and_grad({call});
        let got = user({call});
{compares}
    }}
    Ok(points)
}}
"#,
        types = types.join(", "),
        nc = sizes.len(),
        sizes = sizes.join(", "),
        draws = draws.join("\n"),
        call = call.join(", "),
        compares = compares.join("\n"),
    )
}
