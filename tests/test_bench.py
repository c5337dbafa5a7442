"""The benchmark baselines compute the same thing as the kernels they are compared with.

Correctness only, no timing: the C baselines of the spin updates (solvable/bench/c/spins.c:
CSR lists, and the dense-row loop for dense J), fed the same stream states, must end in
exactly the configuration of the Numba kernel.
"""
import numpy as np
import pytest

bench_common = pytest.importorskip("solvable.bench._common")
bench_spins = pytest.importorskip("solvable.bench.spins")


@pytest.fixture(scope="module")
def c_kernel():
    if bench_common.c_compiler() is None:
        pytest.skip("no C compiler")
    try:
        return bench_spins.load_c(("-O2",))
    except bench_common.NotAvailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def K():
    return pytest.importorskip("solvable.kernels.spins")


def _models():
    # weak couplings: the chains stay disordered, so different streams end in different states
    J = 0.3 * bench_spins.dense_couplings(12, seed=4)
    return {"lattice": (bench_spins.lattice_csr(6, 0.2), 0.05 * np.ones(36)),
            "dense": (bench_spins.dense_csr(J), np.linspace(-0.2, 0.2, 12))}


@pytest.mark.parametrize("model", ["lattice", "dense"])
@pytest.mark.parametrize("dyn", ["heat bath", "Metropolis"])
def test_c_baseline_and_numba_kernel_end_in_the_same_state(c_kernel, K, model, dyn):
    csr, h = _models()[model]
    code = K.RANDOM_HB if dyn == "heat bath" else K.RANDOM_MET
    base = bench_spins.Chains(csr, h, 3, seed=11)
    a, b = base.copy(), base.copy()
    bench_spins.numba_runner(a, code, 500)()
    bench_spins.c_runner(c_kernel, b, code, 500)()
    assert np.array_equal(a.spins, b.spins)
    assert np.array_equal(a.states, b.states)  # both drew the same count of random numbers
    np.testing.assert_allclose(a.fields, b.fields, rtol=0, atol=1e-12)
    assert not np.array_equal(a.spins, base.spins)  # the chains moved
    # negative control: other streams give another state
    c = base.copy()
    c.states = c.states[::-1].copy()
    bench_spins.c_runner(c_kernel, c, code, 500)()
    assert not np.array_equal(c.spins, a.spins)


@pytest.fixture(scope="module")
def c_dense_kernel():
    if bench_common.c_compiler() is None:
        pytest.skip("no C compiler")
    try:
        return bench_spins.load_c_dense(("-O2",))
    except bench_common.NotAvailable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("n", [12, 130])
@pytest.mark.parametrize("dyn", ["heat bath", "Metropolis"])
def test_dense_row_c_baseline_and_numba_kernel_end_in_the_same_state(c_dense_kernel, c_kernel, K, n, dyn):
    """The dense-row C loop (full n x n J, H[j] += J[i*n+j] * d) vs the kernel on the dense
    lists (its dense path) and vs the CSR C loop: same spins, streams and fields."""
    J = 0.3 * bench_spins.dense_couplings(n, seed=4)
    csr, h = bench_spins.dense_csr(J), np.linspace(-0.2, 0.2, n)
    assert K.dense_stride(csr[0], csr[1], n) == n - 1  # the kernel takes its dense path
    code = K.RANDOM_HB if dyn == "heat bath" else K.RANDOM_MET
    base = bench_spins.Chains(csr, h, 3, seed=11)
    a, b, c = base.copy(), base.copy(), base.copy()
    bench_spins.numba_runner(a, code, 2000)()
    bench_spins.c_dense_runner(c_dense_kernel, b, J, code, 2000)()
    bench_spins.c_runner(c_kernel, c, code, 2000)()
    for other in (b, c):
        assert np.array_equal(a.spins, other.spins)
        assert np.array_equal(a.states, other.states)
        assert np.array_equal(a.fields, other.fields)  # same additions in the same order
    assert not np.array_equal(a.spins, base.spins)
    d = base.copy()  # negative control: other streams, another state
    d.states = d.states[::-1].copy()
    bench_spins.c_dense_runner(c_dense_kernel, d, J, code, 2000)()
    assert not np.array_equal(d.spins, a.spins)


def test_numpy_baselines_run_and_keep_spins():
    """The NumPy baselines are fair competitors only if they sample the same law: spins stay +-1,
    the dense baseline's local fields stay h + S J, and its chains reach the Boltzmann moments of
    exact enumeration (z-scores; must-fail control: the moments of another field)."""
    from solvable import ising
    from solvable.testing import Z_MAX, mean_se

    run = bench_spins.numpy_checkerboard(6, False, 2, seed=0)
    S0 = run.state().copy()
    run()
    S = run.state()
    assert set(np.unique(S)) <= {-1.0, 1.0} and not np.array_equal(S, S0)
    n = 6
    J = 0.5 * bench_spins.dense_couplings(n)
    h = np.linspace(-0.3, 0.3, n)
    for metropolis in (True, False):
        run = bench_spins.numpy_dense_chains(J, h, metropolis, 4000, 300, seed=1)
        run()
        S, H = run.state()
        assert set(np.unique(S)) <= {-1.0, 1.0}
        np.testing.assert_allclose(H, h + S @ J, atol=1e-12)
        m, se = mean_se(S)
        m_exact = ising.moments(ising.boltzmann(J, h))[0]
        assert np.max(np.abs((m - m_exact) / se)) < Z_MAX
        m_other = ising.moments(ising.boltzmann(J, h + 0.2))[0]
        assert np.max(np.abs((m - m_other) / se)) > Z_MAX


def test_main_rejects_an_unknown_family_and_prints_help(capsys):
    from solvable import bench

    assert bench.main(["--only", "nonsense"]) == 2
    assert "unknown family" in capsys.readouterr().err
    assert bench.main(["--help"]) == 0
