#!/usr/bin/env python3
"""Times `gauge check SPEC --values` on a 100 MB safetensors dump against NumPy loading
the same file, in the same run.

The dump is a linear layer's step: X[8, 3072], T[8, 4096], W[4096, 3072] and its
gradient grad.W (float32), with the loss `sum((X @ W.T - T)^2) / (2*N)`. NumPy's load is
what `safetensors.numpy.load_file` does: read the file, parse the JSON header and make
one array per tensor with `np.frombuffer` (no copy). Each side is timed best of
`--repeat` runs (the file is in the page cache after the first). Prints the times and
the ratio gauge / NumPy.

    python3 scripts/bench-values.py [--gauge target/release/gauge] [--repeat 3]
"""

import argparse
import json
import os
import struct
import subprocess
import tempfile
import time

import numpy as np

SPEC = """tensor X[N, D], T[N, O], W[O, D]
let R[n, o] = sum(d, W[o, d]*X[n, d]) - T[n, o]
let loss = sum(n, sum(o, R[n, o]^2))/(2*N)
"""


def write_dump(path, O=4096, D=3072, N=8):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, D)).astype(np.float32)
    T = rng.normal(size=(N, O)).astype(np.float32)
    W = (rng.normal(size=(O, D)) * 0.02).astype(np.float32)
    R = X @ W.T - T
    loss = np.float32((R * R).sum() / (2 * N))
    gW = (R.T @ X / N).astype(np.float32)
    arrays = {"X": X, "T": T, "W": W, "grad.W": gW, "loss": np.asarray(loss)}
    header, blobs, off = {}, [], 0
    for k, a in arrays.items():
        b = a.tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def numpy_load(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + n])
    out = {}
    for k, v in header.items():
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data, dtype=np.float32, count=(b - a) // 4, offset=8 + n + a).reshape(v["shape"])
    return out


def best(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gauge", default="target/release/gauge")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        dump = os.path.join(d, "big.safetensors")
        spec = os.path.join(d, "spec.gauge")
        write_dump(dump)
        with open(spec, "w") as f:
            f.write(SPEC)
        size = os.path.getsize(dump) / 1e6
        t_np = best(lambda: numpy_load(dump), args.repeat)

        def run_gauge():
            r = subprocess.run([args.gauge, "check", spec, "--values", dump], capture_output=True, text=True)
            if r.returncode != 0:
                raise SystemExit(f"gauge check failed ({r.returncode}):\n{r.stdout}{r.stderr}")

        t_g = best(run_gauge, args.repeat)
        print(f"file: {size:.1f} MB (W 4096x3072 and grad.W in float32)")
        print(f"NumPy load (frombuffer, as safetensors.numpy): {t_np * 1e3:.1f} ms")
        print(f"gauge check (read, loss, 12.6M gradient components): {t_g * 1e3:.0f} ms")
        print(f"ratio gauge / NumPy: {t_g / t_np:.2f}x")


if __name__ == "__main__":
    main()
