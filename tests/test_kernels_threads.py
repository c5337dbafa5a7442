"""Chains split across threads (solvable.kernels._jit.over_chains): same bits as one thread."""
import numba
import numpy as np
import pytest

from solvable.kernels import _jit, langevin as L, rbm as R, spins as S
from solvable.kernels._jit import jit, over_chains
from solvable.kernels._rng import chain_states

THREADS = min(2, numba.config.NUMBA_NUM_THREADS)


def _with_threads(n, f):
    old = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        return f()
    finally:
        numba.set_num_threads(old)


@jit
def _per_row(X, offset, out):
    """Chain-independent: row c depends only on its own row and a shared argument."""
    for c in range(X.shape[0]):
        for i in range(X.shape[1]):
            out[c, i] = X[c, i] * offset + i


@jit
def _running_sum(X, out):
    """Not chain-independent (row c reads rows < c): splitting it changes the result."""
    acc = 0.0
    for c in range(X.shape[0]):
        acc += X[c, 0]
        out[c, 0] = acc


@pytest.mark.parametrize("n", [1, 2, 3, 7, 100])
def test_a_split_kernel_equals_one_call(n):
    X = np.random.default_rng(n).standard_normal((n, 5))
    one, split = np.empty_like(X), np.empty_like(X)
    _per_row(X, 1.5, one)
    _with_threads(THREADS, lambda: over_chains(_per_row, (X, 1.5, split), (0, 2), n))
    assert np.array_equal(one, split)


@pytest.mark.skipif(THREADS < 2, reason="needs 2 Numba threads")
def test_control_a_kernel_that_mixes_chains_is_changed_by_the_split():
    X = np.ones((10, 1))
    one, split = np.empty_like(X), np.empty_like(X)
    _running_sum(X, one)
    _with_threads(THREADS, lambda: over_chains(_running_sum, (X, split), (0, 1), 10))
    assert not np.array_equal(one, split)  # the second slice restarts the sum: the rows were split


@pytest.mark.skipif(THREADS < 2, reason="needs 2 Numba threads")
def test_an_error_in_any_slice_reaches_the_caller():
    def kernel(X):
        if X[0] > 0:
            raise RuntimeError(f"slice starting at {X[0]}")

    with pytest.raises(RuntimeError, match="slice starting at 1"):
        _with_threads(THREADS, lambda: over_chains(kernel, (np.array([0.0, 1.0]),), (0,), 2))


@pytest.mark.parametrize("mala", [False, True])
def test_langevin_chains_on_threads_equal_one_thread(mala):
    d, n, k = 32, 70, 60
    assert n * k * d * d >= L.SERIAL_WORK  # the threaded path is taken
    rng = np.random.default_rng(2)
    A = rng.standard_normal((d, d))
    J = A @ A.T / d + np.eye(d)
    J = 0.5 * (J + J.T)
    h, X0, st = rng.standard_normal(d), rng.standard_normal((n, d)), chain_states(4, n)

    def run(kernel):
        X, div, acc = X0.copy(), np.zeros(n, np.int64), np.zeros(n, np.int64)
        kernel(J, h, X, k, 0.02, mala, st.copy(), div, acc)
        return X, acc

    serial = run(L.run_chains_serial)
    threaded = _with_threads(THREADS, lambda: run(L.run_chains))
    assert np.array_equal(serial[0], threaded[0]) and np.array_equal(serial[1], threaded[1])
    assert not np.array_equal(serial[0], X0)


def test_rbm_and_spin_kernels_on_threads_equal_one_thread():
    rng = np.random.default_rng(5)
    n_v, n_h, m = 12, 7, 33
    W = rng.standard_normal((n_v, n_h)) * 0.5
    a, b = rng.standard_normal(n_v) * 0.3, rng.standard_normal(n_h) * 0.3
    V0 = (rng.random((m, n_v)) < 0.5).astype(float)

    def gibbs(kernel):
        V = V0.copy()
        kernel(V, np.empty((m, n_h)), W, np.ascontiguousarray(W.T), a, b, 3, chain_states(1, m))
        return V

    assert np.array_equal(gibbs(R.gibbs_fused_serial), _with_threads(THREADS, lambda: gibbs(R.gibbs_fused)))
    n = 6
    J = np.triu(rng.standard_normal((n, n)) * 0.4, 1)
    J = J + J.T
    rows = [np.flatnonzero(J[i]) for i in range(n)]
    indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])]).astype(np.int64)
    indices = np.concatenate(rows).astype(np.int64)
    weights = np.concatenate([J[i, r] for i, r in enumerate(rows)])
    s0 = np.where(rng.random((m, n)) < 0.5, 1, -1).astype(np.int8)
    for code in range(len(S.DYNAMICS)):
        def spins(kernel):
            x = s0.copy()
            buf = np.empty(x.shape if code >= 4 else (m, 1), dtype=np.int8)
            kernel(x, np.empty(x.shape), buf, indptr, indices, weights, np.zeros(n),
                   0 if code == S.GLAUBER else 5, 3.0 if code == S.GLAUBER else 0.0, code, chain_states(2, m))
            return x

        assert np.array_equal(spins(S.run_chains_serial), _with_threads(THREADS, lambda: spins(S.run_chains)))


def test_no_package_kernel_is_a_parallel_numba_kernel():
    """Issue 14 (cold start): a parallel=True kernel compiles its body twice plus the parallel region;
    the package splits chains with over_chains instead."""
    found = [f"{mod.__name__}.{name}" for mod in (L, R, S, _jit) for name, obj in vars(mod).items()
             if isinstance(obj, numba.core.registry.CPUDispatcher) and obj.targetoptions.get("parallel")]
    assert found == []
