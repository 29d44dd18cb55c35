#!/usr/bin/env python3
"""NumPy's rate for the cross-entropy gradient over n logits (benches/tape.rs).

Usage: tape_numpy.py N. Prints evaluations per second. Installs NumPy with pip if missing.
"""
import subprocess
import sys
import time

try:
    import numpy as np
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "numpy"], check=True,
                   stdout=subprocess.DEVNULL)
    import numpy as np


def gradient(z):
    e = np.exp(z)
    g = e / e.sum()
    g[0] -= 1.0
    return g


def main():
    n = int(sys.argv[1])
    z = np.array([((k * 37 % 101) - 50.0) / 25.0 for k in range(n)])
    for _ in range(100):
        gradient(z)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < 1.0:
        for _ in range(100):
            gradient(z)
        count += 100
    print(count / (time.perf_counter() - start))


if __name__ == "__main__":
    main()
