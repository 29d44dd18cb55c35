//! A training program written in plain Rust that dumps one step as safetensors, for
//! `gauge check` to compare with the specification `examples/training/softmax_regression.gauge`.
//!
//! The model is softmax regression, `logits = X @ W.T + b` with the mean cross-entropy of
//! the batch, computed in f32 with a hand-written backward pass. A few steps of SGD run on
//! synthetic data; the last step is written under the specification's names: the batch
//! `X` (f32) and its labels `y` (i64), the parameters `W` and `b` (f32) as the step saw
//! them, the step's `loss` (f32), and the gradients `grad.W` and `grad.b` in the dtype
//! `--dtype` names: bf16 (as mixed-precision training stores them) or f32.
//!
//! ```sh
//! cargo run --release --example safetensors_dump -- /tmp/sm.safetensors
//! cargo run --release --example safetensors_dump -- /tmp/sm32.safetensors --dtype f32
//! cargo run --release --example safetensors_dump -- /tmp/bad.safetensors --bug missing-mean
//! gauge check examples/training/softmax_regression.gauge --values /tmp/sm.safetensors
//! ```

use std::borrow::Cow;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use half::bf16;
use safetensors::tensor::{Dtype, View};

/// The sizes: small, so that the dump is a few kilobytes.
const EXAMPLES: usize = 32; // N, one batch: every step sees the whole data set
const FEATURES: usize = 5; // D
const CLASSES: usize = 3; // C
const STEPS: usize = 5;
const LEARNING_RATE: f32 = 0.5;

/// Train softmax regression in f32 and dump the last step as safetensors.
#[derive(Parser)]
struct Args {
    /// Where to write the dump.
    path: PathBuf,
    /// The dtype the gradients are stored in.
    #[arg(long, value_enum, default_value_t = GradDtype::Bf16)]
    dtype: GradDtype,
    /// A planted bug in the backward pass.
    #[arg(long, value_enum, default_value_t = Bug::None)]
    bug: Bug,
    /// The seed of the synthetic data and the initial weights.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum GradDtype {
    Bf16,
    F32,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Bug {
    None,
    /// The gradient of the mean loss lacks its 1/N.
    MissingMean,
    /// The cross-entropy gradient lacks its `- onehot` term.
    ForgotOnehot,
}

/// A deterministic source of numbers (SplitMix64), so that the example needs no
/// dependency for its random data and gives the same dump on every machine.
struct Rng(u64);

impl Rng {
    /// A number drawn uniformly from [-1, 1).
    fn uniform(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        // The top 24 bits are exactly representable in f32.
        ((z >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    fn vec(&mut self, len: usize, scale: f32) -> Vec<f32> {
        (0..len).map(|_| scale * self.uniform()).collect()
    }
}

/// A row-major matrix of `rows` rows.
struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f32>,
}

impl Matrix {
    fn at(&self, r: usize, c: usize) -> f32 {
        self.data[r * self.cols + c]
    }
}

/// The parameters, and their gradients (the same shapes).
struct Params {
    w: Matrix,
    b: Vec<f32>,
}

/// The index of the largest value: a teacher's label.
fn argmax(v: &[f32]) -> usize {
    (1..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

/// `X @ W.T + b`: one row of logits per example.
fn logits(p: &Params, x: &Matrix) -> Matrix {
    let mut data = Vec::with_capacity(x.rows * p.w.rows);
    for n in 0..x.rows {
        for c in 0..p.w.rows {
            let dot: f32 = (0..x.cols).map(|d| x.at(n, d) * p.w.at(c, d)).sum();
            data.push(dot + p.b[c]);
        }
    }
    Matrix {
        rows: x.rows,
        cols: p.w.rows,
        data,
    }
}

/// The forward and backward pass: the mean cross-entropy of the batch, and the gradients
/// of it by the parameters.
fn loss_and_grads(p: &Params, x: &Matrix, y: &[usize], bug: Bug) -> (f32, Params) {
    let z = logits(p, x);
    let n = x.rows as f32;
    let mut loss = 0.0f32;
    // d loss / d logits[n, c] = (softmax(logits[n, :])[c] - delta(c, y[n])) / N.
    let mut dz = vec![0.0f32; z.data.len()];
    for row in 0..z.rows {
        let zr = &z.data[row * z.cols..(row + 1) * z.cols];
        // Shift by the largest logit so that exp cannot overflow.
        let top = zr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let total: f32 = zr.iter().map(|v| (v - top).exp()).sum();
        let log_total = total.ln();
        loss -= zr[y[row]] - top - log_total;
        for c in 0..z.cols {
            let prob = (zr[c] - top - log_total).exp();
            let onehot = if c == y[row] { 1.0 } else { 0.0 };
            dz[row * z.cols + c] = match bug {
                Bug::None => (prob - onehot) / n,
                Bug::MissingMean => prob - onehot, // BUG: the 1/N of the mean is missing.
                Bug::ForgotOnehot => prob / n,     // BUG: the - onehot term is forgotten.
            };
        }
    }
    loss /= n;
    // dW = dz.T @ X and db = the column sums of dz.
    let mut gw = vec![0.0f32; p.w.data.len()];
    let mut gb = vec![0.0f32; p.b.len()];
    for row in 0..x.rows {
        for c in 0..z.cols {
            let g = dz[row * z.cols + c];
            gb[c] += g;
            for d in 0..x.cols {
                gw[c * x.cols + d] += g * x.at(row, d);
            }
        }
    }
    let w = Matrix {
        rows: p.w.rows,
        cols: p.w.cols,
        data: gw,
    };
    (loss, Params { w, b: gb })
}

/// An array ready to be written: its safetensors dtype, shape and little-endian bytes.
struct Array {
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

impl Array {
    fn f32(shape: &[usize], values: &[f32]) -> Array {
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        Array {
            dtype: Dtype::F32,
            shape: shape.to_vec(),
            bytes,
        }
    }

    /// The values rounded to bfloat16 (to nearest, ties to even), as a mixed-precision
    /// program stores its gradients.
    fn bf16(shape: &[usize], values: &[f32]) -> Array {
        let bytes = values
            .iter()
            .flat_map(|v| bf16::from_f32(*v).to_le_bytes())
            .collect();
        Array {
            dtype: Dtype::BF16,
            shape: shape.to_vec(),
            bytes,
        }
    }

    fn grad(dtype: GradDtype, shape: &[usize], values: &[f32]) -> Array {
        match dtype {
            GradDtype::Bf16 => Array::bf16(shape, values),
            GradDtype::F32 => Array::f32(shape, values),
        }
    }

    fn labels(values: &[usize]) -> Array {
        let bytes = values
            .iter()
            .flat_map(|v| (*v as i64).to_le_bytes())
            .collect();
        Array {
            dtype: Dtype::I64,
            shape: vec![values.len()],
            bytes,
        }
    }
}

impl View for &Array {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut rng = Rng(args.seed);

    // Synthetic data: labels from a noisy linear teacher, so there is something to learn.
    let x = Matrix {
        rows: EXAMPLES,
        cols: FEATURES,
        data: rng.vec(EXAMPLES * FEATURES, 2.0),
    };
    let teacher = Matrix {
        rows: CLASSES,
        cols: FEATURES,
        data: rng.vec(CLASSES * FEATURES, 1.0),
    };
    let y: Vec<usize> = (0..EXAMPLES)
        .map(|n| {
            let scores: Vec<f32> = (0..CLASSES)
                .map(|c| {
                    (0..FEATURES)
                        .map(|d| x.at(n, d) * teacher.at(c, d))
                        .sum::<f32>()
                })
                .map(|s| s + 0.5 * rng.uniform())
                .collect();
            argmax(&scores)
        })
        .collect();

    let w = Matrix {
        rows: CLASSES,
        cols: FEATURES,
        data: rng.vec(CLASSES * FEATURES, 0.1),
    };
    let mut params = Params {
        w,
        b: rng.vec(CLASSES, 0.1),
    };
    for step in 0..STEPS {
        let (loss, grads) = loss_and_grads(&params, &x, &y, args.bug);
        println!("step {step}: loss {loss:.6}");
        if step == STEPS - 1 {
            // The parameters the gradients were computed at: before this step's update.
            let arrays = [
                ("X", Array::f32(&[EXAMPLES, FEATURES], &x.data)),
                ("y", Array::labels(&y)),
                ("W", Array::f32(&[CLASSES, FEATURES], &params.w.data)),
                ("b", Array::f32(&[CLASSES], &params.b)),
                ("loss", Array::f32(&[], &[loss])),
                (
                    "grad.W",
                    Array::grad(args.dtype, &[CLASSES, FEATURES], &grads.w.data),
                ),
                ("grad.b", Array::grad(args.dtype, &[CLASSES], &grads.b)),
            ];
            let views = arrays.iter().map(|(name, array)| (*name, array));
            safetensors::serialize_to_file(views, None, &args.path)?;
            println!("dumped step {step} to {}", args.path.display());
        }
        // Plain SGD.
        let update = |p: &mut [f32], g: &[f32]| {
            p.iter_mut()
                .zip(g)
                .for_each(|(p, g)| *p -= LEARNING_RATE * g);
        };
        update(&mut params.w.data, &grads.w.data);
        update(&mut params.b, &grads.b);
    }
    Ok(())
}
