"""Shared helpers of the Python tests.

The frameworks: NumPy and JAX are required under CI (``CI=true``), where a missing one
fails the test that needs it instead of skipping it; torch is optional everywhere (its
wheels are gigabytes), and a test that needs it prints a notice and skips when it
cannot be imported.

The ``gauge`` command line, for the tests that compare the package's renderings with
it, is found at ``$GAUGE_BIN`` (``.ci/run`` sets it); under CI it is required too.
"""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


def framework(name: str):
    """Import a framework the tests need: NumPy and JAX must be there under CI; torch
    may be missing anywhere, with a notice."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        if IN_CI and name != "torch":
            pytest.fail(f"{name} is required under CI=true and cannot be imported: {e}")
        print(f"\nNOTICE: {name} is not importable here ({e}); its tests are skipped")
        pytest.skip(f"{name} is not installed")


@pytest.fixture
def np():
    return framework("numpy")


@pytest.fixture
def jnp():
    jax = framework("jax")
    # float64 arrays need x64; float32 arrays are made explicitly where a test wants them.
    jax.config.update("jax_enable_x64", True)
    return importlib.import_module("jax.numpy")


@pytest.fixture
def torch():
    return framework("torch")


def gauge_bin() -> str:
    """The command line binary, for comparing renderings."""
    path = os.environ.get("GAUGE_BIN", "")
    if path and Path(path).is_file() and os.access(path, os.X_OK):
        return path
    if IN_CI:
        pytest.fail("the gauge binary is required under CI=true: set GAUGE_BIN")
    pytest.skip("the gauge binary is not built; set GAUGE_BIN to compare with it")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [gauge_bin(), *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
