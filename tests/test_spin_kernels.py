"""Numba spin kernels (solvable.kernels.spins): exact-law building blocks and chains.

Independent routes: direct numpy sums for the local fields, the O(n 2^n) row table vs
the recomputed rows, scipy's expm for uniformisation, enumeration vs chains (z-scores).
"""
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.linalg import expm

from solvable import ising
from solvable.kernels import spins as K
from solvable.kernels._rng import chain_states

from solvable.testing import Z_MAX as Z  # noqa: E402


def _model(n, seed, sj=0.6, sh=0.4):
    rng = np.random.default_rng(seed)
    A = rng.normal(0, sj, (n, n))
    J = np.triu(A, 1)
    return J + J.T, rng.normal(0, sh, n)


def test_site_fields_match_direct_sums():
    n = 6
    J, h = _model(n, 3)
    S = ising.all_states(n).astype(float)
    H = np.empty(2**n)
    for i in range(n):
        K.site_fields(J, h, i, n, H)
        np.testing.assert_allclose(H, h[i] + S @ J[i], atol=1e-13)


@pytest.mark.parametrize("code", [K.RANDOM_HB, K.RANDOM_MET, K.SEQ_HB])
def test_row_table_equals_recomputed_rows(code):
    """The precomputed table (fast path) and per-use recomputation (large n) give the same bits."""
    n = 5
    J, h = _model(n, 4)
    p0 = np.random.default_rng(0).dirichlet(np.ones(2**n))
    out = []
    for rows in (np.empty((n, 2 ** (n - 1))), np.empty((1, 2 ** (n - 1)))):
        p = p0.copy()
        K.evolve_discrete(p, J, h, n, 7, code, np.empty(2**n), np.empty(2**n), rows, np.empty(1), np.empty(n))
        out.append(p)
    assert np.array_equal(out[0], out[1])
    T = ising.transition_matrix(J, h, dynamics=K.DYNAMICS[code]).toarray()
    np.testing.assert_allclose(out[0], p0 @ np.linalg.matrix_power(T, 7), atol=1e-14)


def test_uniformization_matches_expm_across_blocks():
    """n t = 5 * 90 = 450 > MAX_BLOCK_RATE: two uniformisation blocks; error < 1e-12 vs expm."""
    n = 5
    J, h = _model(n, 5, sj=0.3)
    Q = ising.transition_matrix(J, h, dynamics="glauber").toarray()
    p0 = np.zeros(2**n)
    p0[0] = 1.0
    for t in (0.01, 0.7, 3.0, 90.0):
        assert n * t <= K.MAX_BLOCK_RATE or t == 90.0
        for rows in (np.empty((n, 2 ** (n - 1))), np.empty((1, 2 ** (n - 1)))):
            p = p0.copy()
            N = 2**n
            K.uniformization(p, J, h, n, t, 1e-16, np.empty(N), np.empty(N), np.empty(N), np.empty(N), rows)
            np.testing.assert_allclose(p, p0 @ expm(t * Q), atol=1e-12, rtol=0)
    np.testing.assert_allclose(p, ising.boltzmann(J, h), atol=1e-12)


def test_metropolis_row_keeps_sign_under_underflow():
    """A field of -400 underflows e^{-800}; the row must still say 'up is the costly move'."""
    n = 2
    J = np.zeros((2, 2))
    h = np.array([-400.0, 400.0])
    row = np.empty(2)
    K.site_row(J, h, 0, n, True, np.empty(4), row)
    assert np.all(row < 0)
    p = np.full(4, 0.25)
    out = np.zeros(4)
    K.apply_row(p, out, 0, n, True, False, 1.0, row)
    # spin 0 must go (and stay) down
    np.testing.assert_allclose(out, [0.5, 0.0, 0.5, 0.0], atol=1e-290)


def _csr(J):
    M = sparse.csr_matrix(J)
    M.eliminate_zeros()
    M.sort_indices()
    return M.indptr.astype(np.int64), M.indices.astype(np.int64), M.data


def _chains(J, h, n_chains, k, code, seed, kernel=K.run_chains):
    n = h.size
    x = ising._uniform_spins(n_chains, n, seed)
    indptr, indices, w = _csr(J)
    kernel(x, np.empty(x.shape), np.empty(x.shape, dtype=np.int8), indptr, indices, w, h,
                 0 if code == K.GLAUBER else k, float(k), code, chain_states(seed, n_chains, stream=2))
    return x


@pytest.mark.parametrize("code", range(6))
def test_chains_bit_identical_across_thread_counts(code):
    J, h = _model(7, 6)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = _chains(J, h, 300, 3, code, 11)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = _chains(J, h, 300, 3, code, 11)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, _chains(J, h, 300, 3, code, 12))  # the seed matters
    assert np.array_equal(a, _chains(J, h, 300, 3, code, 11, kernel=K.run_chains_serial))


def test_local_fields_stay_exact_after_many_flips():
    """After many O(degree) field updates the chains still follow the exact law:
    a 3x3 periodic lattice, chains vs enumeration, every state's frequency within z SE."""
    J = ising.lattice_couplings(3, coupling=0.35).toarray()
    n = 9
    h = np.linspace(-0.3, 0.3, n)
    M = 40000
    x = _chains(J, h, M, 60, K.RANDOM_MET, 2)
    p = ising.evolve(np.full(2**n, 2.0**-n), J, h, 60, dynamics="random-metropolis")
    m, C = ising.moments(p)
    xf = x.astype(float)
    z_m = (xf.mean(0) - m) / (xf.std(0, ddof=1) / np.sqrt(M))
    pair = xf[:, 0] * xf[:, 1]
    z_c = (pair.mean() - C[0, 1]) / (pair.std(ddof=1) / np.sqrt(M))
    assert np.max(np.abs(z_m)) < Z and abs(z_c) < Z, (z_m, z_c)


def test_glauber_clock_rate_for_free_spins():
    """J = 0, h = 0: each spin keeps its start value with probability (1 + e^{-t})/2 (rate-1 resampling)."""
    n, M, t = 50, 4000, 0.8
    x0 = np.ones((M, n), dtype=np.int8)
    x = x0.copy()
    indptr = np.zeros(n + 1, dtype=np.int64)
    K.run_chains(x, np.empty(x.shape), np.empty((M, 1), dtype=np.int8), indptr, np.zeros(0, dtype=np.int64),
                 np.zeros(0), np.zeros(n), 0, t, K.GLAUBER, chain_states(0, M, stream=2))
    m = x.mean(dtype=float)
    pred = np.exp(-t)
    se = x.astype(float).mean(1).std(ddof=1) / np.sqrt(M)
    assert abs(m - pred) < Z * se, (m, pred, se)


# --------------------------------------------------------------------------------------
# heat-bath rows by products of e^{4 J_ij} (site_row) vs the tanh route
# --------------------------------------------------------------------------------------
def _pair_fields(J, h, i):
    """Direct numpy fields of site i in the pair order of site_row (states with bit i = 0)."""
    n = h.size
    S = ising.all_states(n).astype(float)
    pairs = ((np.arange(2**n) >> i) & 1) == 0
    return h[i] + S[pairs] @ J[i]


def _row(J, h, i, metropolis=False):
    n = h.size
    H = np.full(2 ** (n - 1), np.nan)
    row = np.full(2 ** (n - 1), np.nan)
    K.site_row(J, h, i, n, metropolis, H, row)
    return row


def test_site_fields_skip_gives_the_pair_order_of_site_row():
    n = 6
    J, h = _model(n, 9)
    full, pairs = np.empty(2**n), np.empty(2 ** (n - 1))
    for i in range(n):
        K.site_fields(J, h, i, n, full)
        K.site_fields(J, h, i, n, pairs, i)
        assert np.array_equal(pairs, full[((np.arange(2**n) >> i) & 1) == 0])
        np.testing.assert_allclose(pairs, _pair_fields(J, h, i), atol=1e-13, rtol=0)


@settings(deadline=None, max_examples=40, derandomize=True)
@given(n=st.integers(1, 9), seed=st.integers(0, 10**6), sj=st.floats(0.0, 3.0), sh=st.floats(0.0, 3.0))
def test_heat_bath_row_by_products_matches_tanh(n, seed, sj, sh):
    """The product route (every model here has |h_i| + sum_j |J_ij| well below EXP_FIELD_MAX)."""
    J, h = _model(n, seed, sj, sh)
    assert np.all(np.abs(h) + np.abs(J).sum(1) <= K.EXP_FIELD_MAX)
    for i in range(n):
        np.testing.assert_allclose(_row(J, h, i), np.tanh(_pair_fields(J, h, i)), atol=1e-13, rtol=0)


def test_heat_bath_row_near_the_overflow_guard():
    """Fields up to +-300 with exact cancellations: e^{2H} spans e^{-600} ... e^{600}, intermediate
    products included; every entry within 1e-13 of tanh, exact zeros where H = 0."""
    n = 9
    signs = np.where(np.arange(n - 1) % 2 == 0, 1.0, -1.0)
    J = np.zeros((n, n))
    J[0, 1:] = J[1:, 0] = 37.5 * signs  # sum_j |J_0j| = 300 = EXP_FIELD_MAX: the product route
    h = np.zeros(n)
    row = _row(J, h, 0)
    H = _pair_fields(J, h, 0)  # multiples of 75: exact in floating point
    assert np.all(np.isfinite(row)) and np.all(np.abs(row) <= 1.0)
    np.testing.assert_allclose(row, np.tanh(H), atol=1e-13, rtol=0)
    assert np.any(H == 0.0) and np.all(np.abs(row[H == 0.0]) < 1e-13)
    assert not np.array_equal(row, np.tanh(H))  # the product route was taken (its rounding differs)
    # a field just inside the guard: e^{2H} = e^{+-598}
    for sign in (1.0, -1.0):
        J1, h1 = np.zeros((2, 2)), np.array([sign * 299.0, 0.0])
        J1[0, 1] = J1[1, 0] = 1.0
        np.testing.assert_allclose(_row(J1, h1, 0), np.tanh(_pair_fields(J1, h1, 0)), atol=1e-13, rtol=0)


@pytest.mark.parametrize("h0", [350.0, -350.0, 1e6])
def test_heat_bath_row_falls_back_to_tanh_for_large_fields(h0):
    """|h_i| + sum_j |J_ij| > EXP_FIELD_MAX: e^{2H} would overflow (inf / inf = nan), so the row is
    tanh of the fields, bit for bit; sites below the guard in the same model keep the product route."""
    n = 6
    J, h = _model(n, 10)
    h[2] = h0
    assert abs(h0) + np.abs(J[2]).sum() > K.EXP_FIELD_MAX
    pairs = np.empty(2 ** (n - 1))
    K.site_fields(J, h, 2, n, pairs, 2)
    row = _row(J, h, 2)
    assert np.array_equal(row, np.tanh(pairs))
    np.testing.assert_allclose(row, np.tanh(_pair_fields(J, h, 2)), atol=1e-13, rtol=0)
    np.testing.assert_allclose(row, np.sign(h0), atol=0)
    # the exact law moves spin 2 to sign(h0) in one update at site 2, every other site as by tanh
    p0 = np.random.default_rng(1).dirichlet(np.ones(2**n))
    p = ising.evolve(p0, J, h, 1, dynamics="sequential-heat-bath")
    assert np.all(np.isfinite(p))
    T = ising.transition_matrix(J, h, dynamics="sequential-heat-bath").toarray()
    np.testing.assert_allclose(p, p0 @ T, atol=1e-14, rtol=0)


# ----------------------------------------------------------------------------- dense path (issue 14)
def _dense_lists(J):
    """CSR lists of every off-diagonal pair of J (zeros kept): the lists dense_stride accepts."""
    n = J.shape[0]
    mask = ~np.eye(n, dtype=bool)
    indptr = np.arange(0, n * (n - 1) + 1, n - 1, dtype=np.int64)
    return indptr, np.nonzero(mask)[1].astype(np.int64), np.ascontiguousarray(J[mask])


def _with_diagonal(J):
    """The same couplings with the zero diagonal stored explicitly: n entries per row, so
    dense_stride rejects them and the chains take the CSR route (adding 0 * d to H_i)."""
    n = J.shape[0]
    return (np.arange(0, n * n + 1, n, dtype=np.int64), np.tile(np.arange(n, dtype=np.int64), n),
            np.ascontiguousarray(J.ravel()))


def test_dense_stride_recognises_dense_lists_only():
    J, _ = _model(6, 1)
    indptr, indices, w = _dense_lists(J)
    assert K.dense_stride(indptr, indices, 6) == 5
    assert K.dense_stride(*_csr(J)[:2], 6) == 5  # what ising passes for a dense J
    assert K.dense_stride(*_with_diagonal(J)[:2], 6) == 0
    swapped = indices.copy()
    swapped[[0, 1]] = swapped[[1, 0]]  # same count, wrong order
    assert K.dense_stride(indptr, swapped, 6) == 0
    lattice = ising.lattice_couplings(3, coupling=0.3)
    assert K.dense_stride(lattice.indptr.astype(np.int64), lattice.indices.astype(np.int64), 9) == 0
    assert K.dense_stride(np.zeros(2, dtype=np.int64), np.zeros(0, dtype=np.int64), 1) == 0


@pytest.mark.parametrize("code", range(6))
@pytest.mark.parametrize("n", [2, 3, 17])
def test_dense_path_gives_the_bits_of_the_csr_path(code, n):
    """Dense rows (two contiguous runs) vs CSR lists of the same J: same spins, same fields,
    same streams, for every dynamics."""
    J, h = _model(n, 20 + n, sj=0.5 / np.sqrt(n))
    k = 400 if code in (K.RANDOM_HB, K.RANDOM_MET) else 6
    out = []
    x0 = np.where(np.random.default_rng(3).random((4, n)) < 0.5, 1, -1).astype(np.int8)
    for lists in (_dense_lists(J), _with_diagonal(J)):
        x = x0.copy()
        H = np.empty(x.shape)
        st = chain_states(5, 4, stream=2)
        K.run_chains_serial(x, H, np.empty(x.shape, dtype=np.int8), *lists, h,
                            0 if code == K.GLAUBER else k, float(k), code, st)
        out.append((x, H, st))
    (xa, Ha, sa), (xb, Hb, sb) = out
    assert np.array_equal(xa, xb) and np.array_equal(sa, sb)
    assert np.array_equal(Ha, Hb)
    np.testing.assert_allclose(Ha, h + xa @ J, atol=1e-12)  # the fields are the fields
    assert not np.array_equal(xa, x0)  # the chains moved


@pytest.mark.slow
def test_each_kernel_is_compiled_once_per_process(tmp_path):
    """Cold start (issue 14): one process that runs serial and parallel chains (random scan and
    Glauber) and every exact-law dynamics compiles one specialisation of each kernel (a literal
    argument or an unsigned prange index used to add a second one), apply_row two (accumulate
    is a literal on purpose). Fresh process and empty Numba cache (a kernel loaded from the
    cache does not compile its callees), so ~10 CPU s: marked slow."""
    import os
    import subprocess
    import sys

    code = """
import numpy as np
from solvable import ising
from solvable.kernels import spins as K
n = 5
rng = np.random.default_rng(0); A = rng.normal(0, .3, (n, n)); J = np.triu(A, 1); J = J + J.T; h = np.zeros(n)
for dyn in ("random-heat-bath", "glauber"):
    ising.simulate(J, h, 3, 4, dynamics=dyn, seed=0)
    ising.simulate(J, h, 300000, 8, dynamics=dyn, seed=0)
p = np.full(2 ** n, 2.0 ** -n)
for dyn in ising.DYNAMICS:
    ising.evolve(p, J, h, 0.5 if dyn == "glauber" else 2, dynamics=dyn)
names = ["_other_serial", "_random_scan_serial", "site_row", "fill_rows", "_row_of", "random_scan_step", "apply_row"]
print({k: len(getattr(K, k).signatures) for k in names})
"""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=900, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    counts = eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own dict literal
    assert counts == {"_other_serial": 1, "_random_scan_serial": 1, "site_row": 1, "fill_rows": 1, "_row_of": 1,
                      "random_scan_step": 1, "apply_row": 2}, counts
