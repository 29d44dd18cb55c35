//! Arrays a training program dumps: its inputs, parameters and gradients, read from
//! `.npy`, `.npz`, safetensors or JSON files into `f64`, each with the dtype it was
//! stored in, so that a check can tie its tolerance to that dtype's rounding. Arrays a
//! program holds in memory (the Python bindings' NumPy, JAX and torch arrays) come in
//! as their little-endian bytes with NumPy's dtype name ([`from_le_bytes`]) and are
//! read as a safetensors tensor of that dtype is.
//!
//! The formats are read by their crates (ndarray-npy, safetensors, serde_json), never
//! by hand. An `.npy` array in Fortran order is read in its logical (C) order. Half
//! precision (f16, bf16) comes through the `half` crate. A file that cannot be read is
//! an error naming the file and, where it can, the array.

use std::io::Cursor;
use std::path::Path;
use std::rc::Rc;

use ndarray::ArrayD;
use ndarray_npy::{ReadNpyExt, ReadableElement};

use crate::diag::error::{Error, ErrorKind, Result};
use crate::numeric::elements::{Bytes, Elements, Float, Raw};

/// The type an array was stored in (not to be confused with `oracle::Dtype`, the
/// precision a check evaluates in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoredType {
    /// 64-bit floats.
    F64,
    /// 32-bit floats.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
    /// Integers of any width (labels, counts), held exactly.
    Int,
    /// Booleans, as 0 and 1.
    Bool,
}

impl StoredType {
    /// The unit roundoff of the type, half its machine epsilon: the relative error of
    /// one rounding. `None` for integers and booleans, which are exact.
    pub fn unit_roundoff(self) -> Option<f64> {
        match self {
            StoredType::F64 => Some(f64::EPSILON / 2.0),
            StoredType::F32 => Some(f64::from(f32::EPSILON) / 2.0),
            StoredType::F16 => Some(2f64.powi(-11)),
            StoredType::Bf16 => Some(2f64.powi(-8)),
            StoredType::Int | StoredType::Bool => None,
        }
    }

    /// The type's name, as NumPy writes it.
    pub fn name(self) -> &'static str {
        match self {
            StoredType::F64 => "float64",
            StoredType::F32 => "float32",
            StoredType::F16 => "float16",
            StoredType::Bf16 => "bfloat16",
            StoredType::Int => "int",
            StoredType::Bool => "bool",
        }
    }
}

/// One array read from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    /// Its name in the file (the file's stem for a lone `.npy`).
    pub name: String,
    /// The length of each axis; empty for a scalar.
    pub shape: Vec<usize>,
    /// The elements, last axis fastest: decoded to `f64`, or a large float tensor's
    /// still in the file's bytes (see [`Elements`]).
    pub data: Elements,
    /// The type it was stored in.
    pub dtype: StoredType,
}

/// Every array in the file at `path`, by its extension: `.npy`, `.npz`,
/// `.safetensors` (or `.st`), `.json`.
pub fn read_arrays(path: &Path) -> Result<Vec<Stored>> {
    let shown = path.display().to_string();
    let bytes = Bytes::open(path).map_err(|e| {
        Error::new(ErrorKind::Io, format!("cannot read `{shown}`: {e}"))
            .with_hint("check the path; values files are .npy, .npz, .safetensors or .json")
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = Rc::new(bytes);
    let raw = bytes.as_slice();
    let arrays = match ext.as_str() {
        "npy" => {
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("array")
                .to_string();
            vec![decode(raw, name).map_err(|m| bad(&shown, m))?]
        }
        "npz" => npz(raw).map_err(|m| bad(&shown, m))?,
        "safetensors" | "st" => safetensors(&bytes).map_err(|m| bad(&shown, m))?,
        "json" => json(raw).map_err(|m| bad(&shown, m))?,
        _ => {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("`{shown}` is not a values file gauge reads"),
            )
            .with_hint("give a .npy, .npz, .safetensors or .json file"));
        }
    };
    Ok(arrays)
}

fn bad(file: &str, message: String) -> Error {
    Error::new(
        ErrorKind::Binding,
        format!("cannot read `{file}`: {message}"),
    )
}

/// The array as element type `T`, in `f64`, if that is its type.
fn typed<T: ReadableElement + Copy>(
    bytes: &[u8],
    to: fn(T) -> f64,
) -> Option<(Vec<usize>, Vec<f64>)> {
    let a = ArrayD::<T>::read_npy(Cursor::new(bytes)).ok()?;
    // `iter` walks the logical order whatever the memory layout, so an array saved in
    // Fortran order comes out row-major.
    Some((a.shape().to_vec(), a.iter().map(|&x| to(x)).collect()))
}

/// A float16 array: ndarray-npy has no half-precision element, so the header's type
/// `<f2` is read as `<u2` (the same width and byte order; the header keeps its
/// length), and the bits are read through the `half` crate.
fn float16(bytes: &[u8]) -> Option<(Vec<usize>, Vec<f64>)> {
    // The header is the text up to the first newline, after the magic bytes.
    let end = bytes.iter().take(1 << 20).position(|&b| b == b'\n')?;
    let header = &bytes[..end];
    let at = [b"'<f2'", b"'>f2'", b"'|f2'"]
        .iter()
        .find_map(|pat| header.windows(pat.len()).position(|w| w == *pat))?;
    let mut patched = bytes.to_vec();
    patched[at + 2] = b'u';
    typed::<u16>(&patched, |b| half::f16::from_bits(b).to_f64())
}

/// One `.npy` array named `name`, trying each element type NumPy writes.
fn decode(bytes: &[u8], name: String) -> std::result::Result<Stored, String> {
    let s = bytes;
    let found = typed::<f64>(s, |x| x)
        .map(|r| (r, StoredType::F64))
        .or_else(|| typed::<f32>(s, f64::from).map(|r| (r, StoredType::F32)))
        .or_else(|| float16(s).map(|r| (r, StoredType::F16)))
        .or_else(|| typed::<i64>(s, |x| x as f64).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<i32>(s, f64::from).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<i16>(s, f64::from).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<i8>(s, f64::from).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<u64>(s, |x| x as f64).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<u32>(s, f64::from).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<u16>(s, f64::from).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<u8>(s, f64::from).map(|r| (r, StoredType::Int)))
        .or_else(|| typed::<bool>(s, |x| f64::from(u8::from(x))).map(|r| (r, StoredType::Bool)));
    match found {
        Some(((shape, data), dtype)) => Ok(Stored {
            name,
            shape,
            data: data.into(),
            dtype,
        }),
        None => Err(format!(
            "`{name}` is not an array of floats (float64, float32, float16), integers or booleans"
        )),
    }
}

/// Every array of an `.npz` archive, compressed or not: each member is an `.npy` file,
/// read as a lone one is (the zip crate, which ndarray-npy reads archives with, gives
/// the member's bytes, so that float16 members read too).
fn npz(bytes: &[u8]) -> std::result::Result<Vec<Stored>, String> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| format!("not an .npz archive: {e}"))?;
    let mut out = Vec::with_capacity(archive.len());
    for k in 0..archive.len() {
        let mut member = archive.by_index(k).map_err(|e| e.to_string())?;
        let entry = member.name().to_string();
        let mut raw = Vec::with_capacity(usize::try_from(member.size()).unwrap_or(0));
        member
            .read_to_end(&mut raw)
            .map_err(|e| format!("cannot read `{entry}`: {e}"))?;
        let name = entry.strip_suffix(".npy").unwrap_or(&entry).to_string();
        out.push(decode(&raw, name)?);
    }
    Ok(out)
}

/// Every tensor of a safetensors file. A large float tensor (a layer's weights and its
/// gradient) stays in the file's bytes, converted where it is read; the rest are
/// decoded.
fn safetensors(bytes: &Rc<Bytes>) -> std::result::Result<Vec<Stored>, String> {
    let all = bytes.as_slice();
    let file = safetensors::SafeTensors::deserialize(all).map_err(|e| e.to_string())?;
    let mut names: Vec<String> = file.names().into_iter().map(String::from).collect();
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let view = file.tensor(&name).map_err(|e| e.to_string())?;
        let float = match view.dtype() {
            safetensors::Dtype::F64 => Some((Float::F64, StoredType::F64)),
            safetensors::Dtype::F32 => Some((Float::F32, StoredType::F32)),
            safetensors::Dtype::F16 => Some((Float::F16, StoredType::F16)),
            safetensors::Dtype::BF16 => Some((Float::Bf16, StoredType::Bf16)),
            _ => None,
        };
        // The tensor's place in the file, from where its bytes sit in the whole.
        let start = (view.data().as_ptr() as usize).wrapping_sub(all.as_ptr() as usize);
        let raw = float.and_then(|(f, t)| {
            let len = view.data().len() / f.width();
            (len >= RAW_FROM)
                .then(|| Raw::new(Rc::clone(bytes), start, len, f))
                .flatten()
                .map(|r| (Elements::Raw(r), t))
        });
        let (data, dtype) = match raw {
            Some(r) => r,
            None => {
                let (data, dtype) = tensor_values(&name, view.dtype(), view.data())?;
                (data.into(), dtype)
            }
        };
        out.push(Stored {
            name,
            shape: view.shape().to_vec(),
            data,
            dtype,
        });
    }
    Ok(out)
}

/// An array held in memory: `bytes` are its elements in C order, little-endian, of
/// the type NumPy names `dtype` (`float64`, `float32`, `float16`, `bfloat16`, `int8`
/// to `int64`, `uint8` to `uint64`, `bool`). A large float array stays in its bytes,
/// converted where it is read, as a safetensors tensor does; the rest are decoded.
pub fn from_le_bytes(name: &str, shape: &[usize], dtype: &str, bytes: &[u8]) -> Result<Stored> {
    use safetensors::Dtype as S;
    let (st, float) = match dtype {
        "float64" => (S::F64, Some((Float::F64, StoredType::F64))),
        "float32" => (S::F32, Some((Float::F32, StoredType::F32))),
        "float16" => (S::F16, Some((Float::F16, StoredType::F16))),
        "bfloat16" => (S::BF16, Some((Float::Bf16, StoredType::Bf16))),
        "int64" => (S::I64, None),
        "int32" => (S::I32, None),
        "int16" => (S::I16, None),
        "int8" => (S::I8, None),
        "uint64" => (S::U64, None),
        "uint32" => (S::U32, None),
        "uint16" => (S::U16, None),
        "uint8" => (S::U8, None),
        "bool" => (S::BOOL, None),
        other => {
            return Err(Error::new(
                ErrorKind::Binding,
                format!("`{name}` has dtype {other}, which gauge does not read"),
            )
            .with_hint("give floats (float64, float32, float16, bfloat16), integers or booleans"));
        }
    };
    // Every dtype read here is a whole number of bytes wide.
    let width = st.bitsize() / 8;
    let len = shape
        .iter()
        .try_fold(1usize, |n, &a| n.checked_mul(a))
        .filter(|n| n.checked_mul(width) == Some(bytes.len()));
    let Some(len) = len else {
        return Err(Error::new(
            ErrorKind::Shape,
            format!(
                "`{name}` has shape {shape:?} of {dtype}, which is not the {} bytes given",
                bytes.len()
            ),
        ));
    };
    let raw = float.filter(|_| len >= RAW_FROM).and_then(|(f, t)| {
        let held = Rc::new(Bytes::Read(bytes.to_vec()));
        Raw::new(held, 0, len, f).map(|r| (Elements::Raw(r), t))
    });
    let (data, dtype) = match raw {
        Some(r) => r,
        None => {
            let (data, t) =
                tensor_values(name, st, bytes).map_err(|m| Error::new(ErrorKind::Binding, m))?;
            (data.into(), t)
        }
    };
    Ok(Stored {
        name: name.to_string(),
        shape: shape.to_vec(),
        data,
        dtype,
    })
}

/// From this many elements a float tensor stays in the file's bytes.
const RAW_FROM: usize = 1 << 16;

/// One safetensors tensor's elements as `f64`, with the type they were stored in.
fn tensor_values(
    name: &str,
    dtype: safetensors::Dtype,
    raw: &[u8],
) -> std::result::Result<(Vec<f64>, StoredType), String> {
    use safetensors::Dtype as S;
    let take = |n: usize| raw.chunks_exact(n);
    let (data, dtype): (Vec<f64>, StoredType) = match dtype {
        S::F64 => (
            take(8).map(|b| f64::from_le_bytes(arr(b))).collect(),
            StoredType::F64,
        ),
        S::F32 => (
            take(4)
                .map(|b| f64::from(f32::from_le_bytes(arr(b))))
                .collect(),
            StoredType::F32,
        ),
        S::F16 => (
            take(2)
                .map(|b| half::f16::from_le_bytes(arr(b)).to_f64())
                .collect(),
            StoredType::F16,
        ),
        S::BF16 => (
            take(2)
                .map(|b| half::bf16::from_le_bytes(arr(b)).to_f64())
                .collect(),
            StoredType::Bf16,
        ),
        S::I64 => (
            take(8).map(|b| i64::from_le_bytes(arr(b)) as f64).collect(),
            StoredType::Int,
        ),
        S::I32 => (
            take(4)
                .map(|b| f64::from(i32::from_le_bytes(arr(b))))
                .collect(),
            StoredType::Int,
        ),
        S::I16 => (
            take(2)
                .map(|b| f64::from(i16::from_le_bytes(arr(b))))
                .collect(),
            StoredType::Int,
        ),
        S::I8 => (
            raw.iter().map(|&b| f64::from(b as i8)).collect(),
            StoredType::Int,
        ),
        S::U8 => (raw.iter().map(|&b| f64::from(b)).collect(), StoredType::Int),
        S::U16 => (
            take(2)
                .map(|b| f64::from(u16::from_le_bytes(arr(b))))
                .collect(),
            StoredType::Int,
        ),
        S::U32 => (
            take(4)
                .map(|b| f64::from(u32::from_le_bytes(arr(b))))
                .collect(),
            StoredType::Int,
        ),
        S::U64 => (
            take(8).map(|b| u64::from_le_bytes(arr(b)) as f64).collect(),
            StoredType::Int,
        ),
        S::BOOL => (
            raw.iter().map(|&b| f64::from(u8::from(b != 0))).collect(),
            StoredType::Bool,
        ),
        other => {
            return Err(format!(
                "tensor `{name}` has dtype {other:?}, which gauge does not read"
            ));
        }
    };
    Ok((data, dtype))
}

/// A fixed-size array from a chunk of exactly that size.
fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[..N]);
    out
}

/// Every entry of a JSON object whose values are numbers or rectangular nested arrays
/// of numbers.
fn json(bytes: &[u8]) -> std::result::Result<Vec<Stored>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Object(map) = value else {
        return Err("a values file in JSON is an object of names to numbers or arrays".into());
    };
    let mut out = Vec::with_capacity(map.len());
    for (name, v) in map {
        let mut shape = Vec::new();
        let mut cur = &v;
        while let serde_json::Value::Array(items) = cur {
            shape.push(items.len());
            match items.first() {
                Some(first) => cur = first,
                None => break,
            }
        }
        let mut data = Vec::new();
        let mut integral = true;
        flatten(&v, &shape, 0, &mut data, &mut integral).map_err(|m| format!("`{name}`: {m}"))?;
        out.push(Stored {
            name,
            shape,
            data: data.into(),
            dtype: if integral {
                StoredType::Int
            } else {
                StoredType::F64
            },
        });
    }
    Ok(out)
}

fn flatten(
    v: &serde_json::Value,
    shape: &[usize],
    depth: usize,
    out: &mut Vec<f64>,
    integral: &mut bool,
) -> std::result::Result<(), String> {
    match v {
        serde_json::Value::Number(n) if depth == shape.len() => {
            *integral &= n.is_i64() || n.is_u64();
            out.push(n.as_f64().ok_or("a number beyond f64")?);
            Ok(())
        }
        serde_json::Value::Array(items) if depth < shape.len() && items.len() == shape[depth] => {
            for item in items {
                flatten(item, shape, depth + 1, out, integral)?;
            }
            Ok(())
        }
        serde_json::Value::Array(items) if depth < shape.len() => Err(format!(
            "a row of {} elements where the first row at that depth has {}; arrays must be rectangular",
            items.len(),
            shape[depth]
        )),
        _ => Err("expected numbers or nested arrays of numbers".into()),
    }
}

/// The arrays as a point in JSON (`{"W": [[...]], "y": [...]}`), each number written so
/// that it reads back exactly, to be read as `--at` points are. A NaN or an infinity is
/// an error naming the array and the position: no point holds one.
pub fn point_json(arrays: &[Stored]) -> Result<String> {
    let mut map = serde_json::Map::new();
    for a in arrays {
        if let Some(k) = a.data.first_non_finite() {
            return Err(Error::new(
                ErrorKind::Binding,
                format!(
                    "`{}` holds {} at position {:?} of shape {:?}",
                    a.name,
                    a.data.get(k),
                    position(&a.shape, k),
                    a.shape
                ),
            )
            .with_hint("the program's inputs must be finite; check the step that made them"));
        }
        map.insert(a.name.clone(), nested(&a.shape, &a.data.to_vec()));
    }
    serde_json::to_string(&serde_json::Value::Object(map))
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write the point: {e}")))
}

/// The position of element `k` of an array of this shape, last axis fastest.
pub(crate) fn position(shape: &[usize], mut k: usize) -> Vec<usize> {
    let mut pos = vec![0; shape.len()];
    for a in (0..shape.len()).rev() {
        let n = shape[a].max(1);
        pos[a] = k % n;
        k /= n;
    }
    pos
}

/// An array as nested JSON arrays.
fn nested(shape: &[usize], data: &[f64]) -> serde_json::Value {
    match shape.split_first() {
        None => number(data.first().copied().unwrap_or(0.0)),
        Some((&n, rest)) => {
            let stride: usize = rest.iter().product();
            serde_json::Value::Array(
                (0..n)
                    .map(|k| nested(rest, &data[k * stride..(k + 1) * stride]))
                    .collect(),
            )
        }
    }
}

/// A number as JSON: whole values as integers, so that labels read as whole numbers.
fn number(x: f64) -> serde_json::Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        serde_json::Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}
