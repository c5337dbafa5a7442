"""The one-pass parameter update of training.ascent (solvable/kernels/update.py)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvable.errors import DivergenceError
from solvable.kernels.update import ascent_step
from solvable.training import ascent


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 300), lr=st.floats(1e-6, 10.0), seed=st.integers(0, 2**31 - 1),
       scale=st.floats(1e-3, 1e3))
def test_the_update_has_the_bits_of_numpy_subtract_multiply_add(n, lr, seed, scale):
    rng = np.random.default_rng(seed)
    value, data, model = (scale * rng.standard_normal(n) for _ in range(3))
    row = np.empty(n)
    err, finite = ascent_step(value, data, model, lr, row)
    diff = data - model
    assert np.array_equal(row, value + diff * lr)
    assert err == (np.abs(diff).max() if n else 0.0)
    assert finite


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
@pytest.mark.parametrize("where", [0, 7, 99])
def test_a_non_finite_entry_anywhere_is_reported(bad, where):
    value, data, model = np.zeros(100), np.ones(100), np.zeros(100)
    data[where] = bad
    _, finite = ascent_step(value, data, model, 0.1, np.empty(100))
    assert not finite
    # control: the same arrays without the bad entry pass
    data[where] = 1.0
    assert ascent_step(value, data, model, 0.1, np.empty(100))[1]


def test_overflow_of_the_update_is_reported():
    _, finite = ascent_step(np.array([1e308]), np.array([1e308]), np.array([0.0]), 10.0, np.empty(1))
    assert not finite


class _Fixed:
    """Walkers whose model statistics are fixed arrays (a scalar parameter is broadcast)."""

    def __init__(self, stats):
        self.stats = stats

    def model_stats(self, params, seed):
        return self.stats

    def after_update(self, old, new, seed):
        pass


def test_ascent_broadcasts_statistics_and_names_the_non_finite_parameter():
    params0 = {"J": np.zeros((2, 2)), "h": np.zeros(2), "c": np.float64(0.0)}
    data = {"J": np.eye(2), "h": 1.0, "c": 2.0}  # "h" given as a scalar: broadcast to its shape
    model = {"J": np.zeros((2, 2)), "h": np.zeros(2), "c": 0.0}
    params, hist = ascent(params0, data, _Fixed(model), lr=0.5, n_iter=3, progress=False)
    np.testing.assert_array_equal(params["J"], 1.5 * np.eye(2))
    np.testing.assert_array_equal(params["h"], [1.5, 1.5])
    assert params["c"] == 3.0 and params["c"].shape == ()
    np.testing.assert_array_equal(hist["error"], [2.0, 2.0, 2.0])
    assert hist["params"]["J"].shape == (4, 2, 2)
    with pytest.raises(DivergenceError, match="iteration 0: parameter 'h'"):
        ascent(params0, {**data, "h": np.array([1.0, np.nan])}, _Fixed(model), lr=0.5, n_iter=3, progress=False)


def test_the_generic_layer_imports_without_numba():
    """The update kernel is imported when training starts, not with solvable.model (0.12 s vs 0.27 s)."""
    import subprocess
    import sys

    code = "import sys, solvable.model, solvable.training; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"
