//! A stored array's elements: decoded to `f64`, or still the floats of the file's own
//! bytes, converted as they are read.
//!
//! A layer's gradient in a safetensors dump is tens of millions of floats. Converting
//! it to `f64` up front costs more than reading the file: the fresh memory is touched
//! page by page, and on a virtual machine a first touch is dear. A check reads each
//! of those components once, to compare it, so the elements stay where the file is
//! mapped ([`Bytes::Mapped`]) and are converted where they are read. Small arrays,
//! integers and every other format are decoded at once.
//!
//! May import what `numeric` may import.

use std::ops::Range;
use std::rc::Rc;

/// A file's contents: mapped from the page cache, or read into memory.
#[derive(Debug)]
pub enum Bytes {
    /// The file mapped read-only.
    Mapped(memmap2::Mmap),
    /// The file read whole.
    Read(Vec<u8>),
}

impl Bytes {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Read(v) => v,
        }
    }

    /// The file at `path`, mapped when it is large (a map costs a system call or two,
    /// and pays off when it saves copying megabytes), read otherwise.
    pub fn open(path: &std::path::Path) -> std::io::Result<Bytes> {
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        let len = meta.len();
        if len >= 1 << 22 && meta.is_file() {
            if let Some(m) = map(&file) {
                return Ok(Bytes::Mapped(m));
            }
        }
        let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        std::io::Read::read_to_end(&mut &file, &mut out)?;
        Ok(Bytes::Read(out))
    }
}

/// The file mapped read-only, or `None` where the system refuses (the caller then
/// reads it).
#[allow(unsafe_code)]
fn map(file: &std::fs::File) -> Option<memmap2::Mmap> {
    // SAFETY: a map is undefined behaviour if another process changes or truncates
    // the file while it is mapped. gauge reads dumps a training program has finished
    // writing, and only reads them; a file changed under it is the one way this goes
    // wrong, as it is for every tool that maps tensors (safetensors' own loaders map
    // the same way).
    unsafe { memmap2::Mmap::map(file) }.ok()
}

/// The float types a file's bytes hold, little-endian.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Float {
    /// 64 bits.
    F64,
    /// 32 bits.
    F32,
    /// IEEE half precision.
    F16,
    /// bfloat16.
    Bf16,
}

impl Float {
    /// The width in bytes.
    pub fn width(self) -> usize {
        match self {
            Float::F64 => 8,
            Float::F32 => 4,
            Float::F16 | Float::Bf16 => 2,
        }
    }
}

/// Floats in a file's bytes: `len` of them from byte `start`.
#[derive(Clone, Debug)]
pub struct Raw {
    bytes: Rc<Bytes>,
    start: usize,
    len: usize,
    float: Float,
}

impl Raw {
    /// `len` floats of type `float` from byte `start`, if the bytes hold them.
    pub fn new(bytes: Rc<Bytes>, start: usize, len: usize, float: Float) -> Option<Raw> {
        let end = len.checked_mul(float.width())?.checked_add(start)?;
        (end <= bytes.as_slice().len()).then_some(Raw {
            bytes,
            start,
            len,
            float,
        })
    }

    fn slice(&self) -> &[u8] {
        &self.bytes.as_slice()[self.start..self.start + self.len * self.float.width()]
    }
}

fn decode_one(float: Float, b: &[u8]) -> f64 {
    match float {
        Float::F64 => f64::from_le_bytes(arr(b)),
        Float::F32 => f64::from(f32::from_le_bytes(arr(b))),
        Float::F16 => half::f16::from_le_bytes(arr(b)).to_f64(),
        Float::Bf16 => half::bf16::from_le_bytes(arr(b)).to_f64(),
    }
}

/// The floats of `b` written over `out` (as many as fit), a loop per type so that each
/// compiles to plain vector code.
fn convert_into(float: Float, b: &[u8], out: &mut [f64]) {
    match float {
        Float::F64 => {
            for (o, c) in out.iter_mut().zip(b.chunks_exact(8)) {
                *o = f64::from_le_bytes(arr(c));
            }
        }
        Float::F32 => {
            for (o, c) in out.iter_mut().zip(b.chunks_exact(4)) {
                *o = f64::from(f32::from_le_bytes(arr(c)));
            }
        }
        Float::F16 => {
            for (o, c) in out.iter_mut().zip(b.chunks_exact(2)) {
                *o = half::f16::from_le_bytes(arr(c)).to_f64();
            }
        }
        Float::Bf16 => {
            for (o, c) in out.iter_mut().zip(b.chunks_exact(2)) {
                *o = half::bf16::from_le_bytes(arr(c)).to_f64();
            }
        }
    }
}

/// The position of the first of the `W`-byte little-endian floats in `b` whose
/// exponent bits (`mask`) are all ones: an infinity or a NaN. A chunk at a time, so
/// that the test of a whole chunk compiles to vector code.
fn not_finite<const W: usize>(b: &[u8], mask: u64) -> Option<usize> {
    const CHUNK: usize = 4096;
    let bits = |c: &[u8]| {
        let mut x = [0u8; 8];
        x[..W].copy_from_slice(&c[..W]);
        u64::from_le_bytes(x)
    };
    for (k, part) in b.chunks(CHUNK * W).enumerate() {
        let bad = part
            .chunks_exact(W)
            .fold(false, |acc, c| acc | (bits(c) & mask == mask));
        if bad {
            return part
                .chunks_exact(W)
                .position(|c| bits(c) & mask == mask)
                .map(|i| k * CHUNK + i);
        }
    }
    None
}

/// A fixed-size array from a chunk of at least that size.
fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&b[..N]);
    out
}

/// A stored array's elements, last axis fastest.
#[derive(Clone, Debug)]
pub enum Elements {
    /// Decoded to `f64` (shared: a check keeps a gradient's elements as the values it
    /// compares, without a copy).
    Decoded(Rc<Vec<f64>>),
    /// Floats in the file's bytes, converted where they are read.
    Raw(Raw),
}

impl Default for Elements {
    fn default() -> Elements {
        Elements::Decoded(Rc::default())
    }
}

impl From<Vec<f64>> for Elements {
    fn from(v: Vec<f64>) -> Elements {
        Elements::Decoded(Rc::new(v))
    }
}

impl PartialEq for Elements {
    fn eq(&self, other: &Elements) -> bool {
        self.len() == other.len() && (0..self.len()).all(|k| self.get(k) == other.get(k))
    }
}

/// Below this many elements a conversion runs on one thread.
const PARALLEL: usize = 1 << 20;

impl Elements {
    /// How many elements there are.
    pub fn len(&self) -> usize {
        match self {
            Elements::Decoded(v) => v.len(),
            Elements::Raw(r) => r.len,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `k` (which must be below [`Elements::len`]).
    #[inline]
    pub fn get(&self, k: usize) -> f64 {
        self.view().get(k)
    }

    /// The first element, if any.
    pub fn first(&self) -> Option<f64> {
        (!self.is_empty()).then(|| self.get(0))
    }

    /// The elements in `range`, written over `out` as `f64`.
    pub fn read_into(&self, range: Range<usize>, out: &mut Vec<f64>) {
        self.view().read_into(range, out);
    }

    /// The elements as a slice of `f64`, where they are held so.
    pub fn as_decoded(&self) -> Option<&[f64]> {
        match self {
            Elements::Decoded(v) => Some(v),
            Elements::Raw(_) => None,
        }
    }

    /// The elements as `f64`, converted on two threads for a large array (most of the
    /// cost is the first touch of the fresh memory, which two cores share).
    pub fn to_vec(&self) -> Vec<f64> {
        match self {
            Elements::Decoded(v) => v.as_ref().clone(),
            Elements::Raw(r) => {
                let n = r.len;
                let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(2));
                if threads < 2 || n < PARALLEL {
                    let mut out = Vec::new();
                    self.read_into(0..n, &mut out);
                    return out;
                }
                // Zeroed memory is mapped lazily, so each half is first touched by the
                // thread that converts into it.
                let mut out = vec![0.0; n];
                let (lo, hi) = out.split_at_mut(n / 2);
                let (float, w) = (r.float, r.float.width());
                let (blo, bhi) = r.slice().split_at(lo.len() * w);
                let convert = |b: &[u8], out: &mut [f64]| convert_into(float, b, out);
                std::thread::scope(|scope| {
                    scope.spawn(|| convert(bhi, hi));
                    convert(blo, lo);
                });
                out
            }
        }
    }

    /// The elements as `f64`, without a copy where they are decoded and not shared.
    pub fn into_vec(self) -> Vec<f64> {
        match self {
            Elements::Decoded(v) => Rc::unwrap_or_clone(v),
            raw => raw.to_vec(),
        }
    }

    /// The position of the first element that is not finite.
    pub fn first_non_finite(&self) -> Option<usize> {
        match self {
            Elements::Decoded(v) => v.iter().position(|x| !x.is_finite()),
            Elements::Raw(r) => {
                // On the bits: a float is not finite when its exponent is all ones.
                let b = r.slice();
                match r.float {
                    Float::F64 => not_finite::<8>(b, 0x7ff0_0000_0000_0000),
                    Float::F32 => not_finite::<4>(b, 0x7f80_0000),
                    Float::F16 => not_finite::<2>(b, 0x7c00),
                    Float::Bf16 => not_finite::<2>(b, 0x7f80),
                }
            }
        }
    }

    /// Every element, in order.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len()).map(|k| self.get(k))
    }
}

/// A borrowed view of [`Elements`] that threads can share.
#[derive(Clone, Copy, Debug)]
pub enum View<'e> {
    /// Decoded elements.
    Decoded(&'e [f64]),
    /// Floats in a file's bytes.
    Raw(&'e [u8], Float),
}

impl<'e> View<'e> {
    /// How many elements there are.
    pub fn len(&self) -> usize {
        match *self {
            View::Decoded(v) => v.len(),
            View::Raw(b, f) => b.len() / f.width(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements in `range`, as a view.
    pub fn range(&self, range: Range<usize>) -> View<'e> {
        match *self {
            View::Decoded(v) => View::Decoded(&v[range]),
            View::Raw(b, f) => View::Raw(&b[range.start * f.width()..range.end * f.width()], f),
        }
    }

    /// The elements in `range`, written over `out` as `f64`.
    pub fn read_into(&self, range: Range<usize>, out: &mut Vec<f64>) {
        out.clear();
        match *self {
            View::Decoded(v) => out.extend_from_slice(&v[range]),
            View::Raw(b, f) => {
                let w = f.width();
                out.resize(range.len(), 0.0);
                convert_into(f, &b[range.start * w..range.end * w], out);
            }
        }
    }

    /// The element at `k`.
    #[inline]
    pub fn get(&self, k: usize) -> f64 {
        match *self {
            View::Decoded(v) => v[k],
            View::Raw(b, f) => {
                let w = f.width();
                decode_one(f, &b[k * w..(k + 1) * w])
            }
        }
    }
}

impl Elements {
    /// A view that threads can share.
    pub fn view(&self) -> View<'_> {
        match self {
            Elements::Decoded(v) => View::Decoded(v),
            Elements::Raw(r) => View::Raw(r.slice(), r.float),
        }
    }
}
