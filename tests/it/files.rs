//! Reading the arrays a training program dumps: `.npy` (C and Fortran order), `.npz`
//! (plain and compressed) written by real NumPy, safetensors written by the format's
//! own crate (f32, f16, bf16, integers), and JSON. Values come back exactly, with the
//! dtype each was stored in; a file that cannot be read is an error naming it.

use std::path::PathBuf;

use gauge::numeric::files::{Stored, StoredType, read_arrays};

use crate::common::numpy_present;

fn temp_dir(tag: &str) -> PathBuf {
    crate::common::temp_dir("files", tag)
}

fn by_name<'a>(arrays: &'a [Stored], name: &str) -> &'a Stored {
    arrays
        .iter()
        .find(|a| a.name == name)
        .unwrap_or_else(|| panic!("no array `{name}` in {arrays:?}"))
}

#[test]
fn numpy_dumps_read_back_exactly() {
    if !numpy_present() {
        return;
    }
    let dir = temp_dir("numpy");
    let script = format!(
        "import numpy as np\n\
         d = {dir:?}\n\
         W = np.arange(6, dtype=np.float64).reshape(2, 3) / 7\n\
         np.save(d + '/W.npy', W)\n\
         np.save(d + '/WF.npy', np.asfortranarray(W))\n\
         np.save(d + '/h.npy', np.array([0.1, -2.5, 3.0], dtype=np.float32))\n\
         np.save(d + '/y.npy', np.array([2, 0, 1], dtype=np.int64))\n\
         np.savez(d + '/all.npz', W=W, y=np.array([1, 2], dtype=np.int32), s=np.float64(0.25))\n\
         np.savez_compressed(d + '/zip.npz', b=np.array([1.5, 2.5]), m=np.array([True, False]))\n",
        dir = dir.display().to_string()
    );
    let ok = std::process::Command::new("python3")
        .args(["-c", &script])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "numpy wrote the files");
    let w: Vec<f64> = (0..6).map(|k| f64::from(k) / 7.0).collect();
    let a = read_arrays(&dir.join("W.npy")).unwrap();
    assert_eq!(a[0].name, "W");
    assert_eq!(a[0].shape, vec![2, 3]);
    assert_eq!(a[0].data.to_vec(), w);
    assert_eq!(a[0].dtype, StoredType::F64);
    // Fortran order comes out in the same logical order.
    let f = read_arrays(&dir.join("WF.npy")).unwrap();
    assert_eq!(f[0].shape, vec![2, 3]);
    assert_eq!(f[0].data.to_vec(), w);
    let h = read_arrays(&dir.join("h.npy")).unwrap();
    assert_eq!(h[0].dtype, StoredType::F32);
    assert_eq!(h[0].data.to_vec(), vec![f64::from(0.1f32), -2.5, 3.0]);
    let y = read_arrays(&dir.join("y.npy")).unwrap();
    assert_eq!(
        (y[0].dtype, y[0].data.to_vec()),
        (StoredType::Int, vec![2.0, 0.0, 1.0])
    );
    let all = read_arrays(&dir.join("all.npz")).unwrap();
    assert_eq!(by_name(&all, "W").data.to_vec(), w);
    assert_eq!(by_name(&all, "y").data.to_vec(), vec![1.0, 2.0]);
    let s = by_name(&all, "s");
    assert!(s.shape.is_empty() && s.data.to_vec() == vec![0.25], "{s:?}");
    let z = read_arrays(&dir.join("zip.npz")).unwrap();
    assert_eq!(by_name(&z, "b").data.to_vec(), vec![1.5, 2.5]);
    assert_eq!(by_name(&z, "m").dtype, StoredType::Bool);
    assert_eq!(by_name(&z, "m").data.to_vec(), vec![1.0, 0.0]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn safetensors_of_every_width_read_back() {
    use safetensors::tensor::{Dtype as S, TensorView};
    let f32s: Vec<u8> = [1.5f32, -0.25, 3.0, 4.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    let f16s: Vec<u8> = [0.5f32, -1.0]
        .iter()
        .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
        .collect();
    let bf16s: Vec<u8> = [2.0f32, 0.1]
        .iter()
        .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
        .collect();
    let labels: Vec<u8> = [3i64, 0].iter().flat_map(|x| x.to_le_bytes()).collect();
    let views = vec![
        ("W", TensorView::new(S::F32, vec![2, 2], &f32s).unwrap()),
        ("g", TensorView::new(S::F16, vec![2], &f16s).unwrap()),
        ("b", TensorView::new(S::BF16, vec![2], &bf16s).unwrap()),
        ("y", TensorView::new(S::I64, vec![2], &labels).unwrap()),
    ];
    let bytes = safetensors::serialize(views, None).unwrap();
    let dir = temp_dir("st");
    let path = dir.join("dump.safetensors");
    std::fs::write(&path, bytes).unwrap();
    let a = read_arrays(&path).unwrap();
    let w = by_name(&a, "W");
    assert_eq!(
        (w.shape.clone(), w.data.to_vec()),
        (vec![2, 2], vec![1.5, -0.25, 3.0, 4.0])
    );
    assert_eq!(by_name(&a, "g").dtype, StoredType::F16);
    assert_eq!(by_name(&a, "g").data.to_vec(), vec![0.5, -1.0]);
    let b = by_name(&a, "b");
    assert_eq!(b.dtype, StoredType::Bf16);
    assert_eq!(
        b.data.to_vec(),
        vec![2.0, half::bf16::from_f32(0.1).to_f64()]
    );
    assert_eq!(by_name(&a, "y").data.to_vec(), vec![3.0, 0.0]);
    // The rounding a check allows grows with the narrower types.
    let u = |d: StoredType| d.unit_roundoff().unwrap();
    assert!(u(StoredType::F64) < u(StoredType::F32) && u(StoredType::F32) < u(StoredType::F16));
    assert!(u(StoredType::F16) < u(StoredType::Bf16));
    assert_eq!(StoredType::Int.unit_roundoff(), None);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn json_values_and_bad_files_are_clear() {
    let dir = temp_dir("json");
    let good = dir.join("point.json");
    std::fs::write(&good, r#"{"Z": [[1, 2.5], [3, 4]], "y": [1, 0], "T": 2}"#).unwrap();
    let a = read_arrays(&good).unwrap();
    assert_eq!(by_name(&a, "Z").shape, vec![2, 2]);
    assert_eq!(by_name(&a, "Z").data.to_vec(), vec![1.0, 2.5, 3.0, 4.0]);
    assert_eq!(by_name(&a, "y").dtype, StoredType::Int);
    assert!(by_name(&a, "T").shape.is_empty());
    // A ragged array, an unknown format and a corrupt file name the file.
    let ragged = dir.join("ragged.json");
    std::fs::write(&ragged, r#"{"Z": [[1, 2], [3]]}"#).unwrap();
    let e = read_arrays(&ragged).unwrap_err();
    assert!(
        e.message.contains("ragged.json") && e.message.contains("rectangular"),
        "{}",
        e.message
    );
    let other = dir.join("dump.pt");
    std::fs::write(&other, "x").unwrap();
    let e = read_arrays(&other).unwrap_err();
    assert!(e.message.contains("dump.pt") && e.hint.is_some(), "{e:?}");
    let corrupt = dir.join("bad.npz");
    std::fs::write(&corrupt, "not a zip").unwrap();
    let e = read_arrays(&corrupt).unwrap_err();
    assert!(e.message.contains("bad.npz"), "{}", e.message);
    let missing = read_arrays(&dir.join("nowhere.npy")).unwrap_err();
    assert!(
        missing.message.contains("nowhere.npy"),
        "{}",
        missing.message
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_numpy_dump_is_a_point_for_eval_and_check() {
    if !numpy_present() {
        return;
    }
    let dir = temp_dir("point");
    let script = format!(
        "import numpy as np\n\
         d = {dir:?}\n\
         rng = np.random.default_rng(3)\n\
         z = rng.normal(size=6)\n\
         np.savez(d + '/dump.npz', z=z, y=np.int64(4))\n\
         np.save(d + '/nan.npy', np.array([1.0, np.nan]))\n\
         m = z.max()\n\
         print(repr(float(m + np.log(np.exp(z - m).sum()) - z[4])))\n",
        dir = dir.display().to_string()
    );
    let out = std::process::Command::new("python3")
        .args(["-c", &script])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let dump = format!("@{}", dir.join("dump.npz").display());
    let o = crate::common::gauge(&["eval", "cross_entropy(z, y)", "--at", &dump]);
    let got: f64 = crate::common::stdout(&o).trim().parse().unwrap();
    assert!(
        (got - want).abs() <= 1e-12 * want.abs(),
        "{got} against NumPy's {want}"
    );
    let o = crate::common::gauge(&["check", "cross_entropy(z, y)", "--wrt", "z", "--at", &dump]);
    assert!(o.status.success(), "{}", crate::common::stdout(&o));
    // A NaN in the dump is an error naming the array and the position.
    let nan = format!("@{}", dir.join("nan.npy").display());
    let o = crate::common::gauge(&["eval", "sum(j, nan[j])", "--at", &nan]);
    assert_eq!(o.status.code(), Some(2));
    let e = crate::common::stderr(&o);
    assert!(e.contains("`nan` holds NaN at position [1]"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn large_float_tensors_are_read_in_place_at_every_width() {
    use safetensors::tensor::{Dtype as S, TensorView};
    // Over 4 MB in all, so that the file is mapped; each tensor large enough to stay
    // in the file's bytes. Values chosen to be exact in every width.
    let n = 300_000usize;
    let exact: Vec<f64> = (0..n).map(|k| ((k % 2001) as f64 - 1000.0) / 8.0).collect();
    let f64s: Vec<u8> = exact.iter().flat_map(|x| x.to_le_bytes()).collect();
    let f32s: Vec<u8> = exact
        .iter()
        .flat_map(|&x| (x as f32).to_le_bytes())
        .collect();
    let f16s: Vec<u8> = exact
        .iter()
        .flat_map(|&x| half::f16::from_f64(x).to_le_bytes())
        .collect();
    let bf16s: Vec<u8> = exact
        .iter()
        .map(|&x| x.clamp(-2.0, 2.0))
        .flat_map(|x| half::bf16::from_f64(x).to_le_bytes())
        .collect();
    let mut with_nan = f32s.clone();
    with_nan[4 * 123_457..4 * 123_458].copy_from_slice(&f32::NAN.to_le_bytes());
    let views = vec![
        ("a", TensorView::new(S::F64, vec![n], &f64s).unwrap()),
        ("b", TensorView::new(S::F32, vec![600, 500], &f32s).unwrap()),
        ("c", TensorView::new(S::F16, vec![n], &f16s).unwrap()),
        ("d", TensorView::new(S::BF16, vec![n], &bf16s).unwrap()),
        ("e", TensorView::new(S::F32, vec![n], &with_nan).unwrap()),
    ];
    let bytes = safetensors::serialize(views, None).unwrap();
    assert!(bytes.len() > 4 << 20);
    let dir = temp_dir("inplace");
    let path = dir.join("big.safetensors");
    std::fs::write(&path, bytes).unwrap();
    let arrays = read_arrays(&path).unwrap();
    for name in ["a", "b", "c", "d"] {
        let s = by_name(&arrays, name);
        assert!(s.data.as_decoded().is_none(), "{name} is read in place");
        assert_eq!(s.data.len(), n);
        assert_eq!(s.data.first_non_finite(), None, "{name}");
        let want: Vec<f64> = if name == "d" {
            exact
                .iter()
                .map(|&x| half::bf16::from_f64(x.clamp(-2.0, 2.0)).to_f64())
                .collect()
        } else {
            exact.clone()
        };
        // Element by element, in bulk (on two threads), and in a block.
        assert!((0..n).all(|k| s.data.get(k) == want[k]), "{name}");
        assert_eq!(s.data.to_vec(), want, "{name}");
        let mut part = Vec::new();
        s.data.read_into(1000..1500, &mut part);
        assert_eq!(part, want[1000..1500], "{name}");
    }
    assert_eq!(by_name(&arrays, "b").shape, vec![600, 500]);
    assert_eq!(by_name(&arrays, "e").data.first_non_finite(), Some(123_457));
    std::fs::remove_dir_all(&dir).ok();
}
