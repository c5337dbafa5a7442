"""Pairwise Ising: enumeration, exact dynamics, fixed points, chains, training, comparison.

Oracles: theory.md sections 5.1-5.2, 8 (claims C1, C2, C5, G1, G2, G4) and the worked
numbers of 9.4 and 9.5. Monte Carlo checks use fixed seeds and z = 5 standard errors.
"""
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.linalg import expm

from solvable import EnumerationTooLargeError, NoFixedPointError, UnstableFixedPointWarning, ising, ising_exact
from solvable.runaway import RunawayWarning

from solvable.testing import Z_MAX as Z  # suite-wide z tolerance (theory.md section 8)
DISCRETE = [d for d in ising.DYNAMICS if d != "glauber"]


def _model(n, seed, sj=0.6, sh=0.4):
    rng = np.random.default_rng(seed)
    A = rng.normal(0, sj, (n, n))
    J = np.triu(A, 1)
    return J + J.T, rng.normal(0, sh, n)


def _theta(J, h):
    return np.concatenate([h, J[np.triu_indices(h.size, 1)]])


def _matrix_route(p0, T, k, dynamics):
    T = T.toarray()
    if dynamics == "glauber":
        return p0 @ expm(k * T)
    return p0 @ np.linalg.matrix_power(T, k)


@pytest.fixture(scope="module")
def small_ising():
    """theory.md 9.5 recipe: n = 4, truth (J, h) and the misspecified data law (3-body term 0.8 s0 s1 s2)."""
    rng = np.random.default_rng(1)
    A = rng.normal(0, 0.5, (4, 4))
    h = rng.normal(0, 0.5, 4)
    J = np.triu(A, 1)
    J = J + J.T
    S = ising.all_states(4).astype(float)
    logw = -ising.energy(S, J, h) + 0.8 * S[:, 0] * S[:, 1] * S[:, 2]
    pD = np.exp(logw - logw.max())
    pD /= pD.sum()
    Jm, hm = ising.fit(pD, scheme="mle")
    return {"J": J, "h": h, "pD": pD, "pW": ising.boltzmann(J, h), "ml": (Jm, hm)}


# ======================================================================================
# states, energy, laws
# ======================================================================================
def test_state_order_and_index():
    S = ising.all_states(3)
    assert S.dtype == np.int8 and S.shape == (8, 3)
    np.testing.assert_array_equal(S[0], [-1, -1, -1])
    np.testing.assert_array_equal(S[1], [1, -1, -1])  # bit 0 -> spin 0
    np.testing.assert_array_equal(S[6], [-1, 1, 1])
    np.testing.assert_array_equal(ising.state_index(S), np.arange(8))


def test_energy_boltzmann_moments_against_direct_sums():
    n = 5
    J, h = _model(n, 0)
    S = ising.all_states(n).astype(float)
    E = np.array([-sum(J[i, j] * s[i] * s[j] for i in range(n) for j in range(i + 1, n)) - h @ s for s in S])
    np.testing.assert_allclose(ising.energy(S, J, h), E, atol=1e-12)
    np.testing.assert_allclose(ising.energy(S, sparse.csr_matrix(J), h), E, atol=1e-12)
    p = ising.boltzmann(J, h)
    np.testing.assert_allclose(p, np.exp(-E) / np.exp(-E).sum(), rtol=1e-12)
    np.testing.assert_allclose(ising.log_partition(J, h), np.log(np.exp(-E).sum()), rtol=1e-13)
    m, C = ising.moments(p)
    np.testing.assert_allclose(m, p @ S, atol=1e-13)
    np.testing.assert_allclose(C, S.T @ (p[:, None] * S), atol=1e-13)
    np.testing.assert_allclose(ising.law_features(p), p @ ising.features(S), atol=1e-13)
    assert len(ising.feature_labels(n)) == ising.features(S).shape[1] == n + n * (n - 1) // 2


def test_entropy_kl_empirical_law():
    p = np.array([0.5, 0.25, 0.25, 0.0])
    q = np.full(4, 0.25)
    assert ising.entropy(p) == pytest.approx(1.5 * np.log(2), rel=1e-14)
    assert ising.kl_divergence(p, q) == pytest.approx(np.log(4) - 1.5 * np.log(2), rel=1e-13)
    assert ising.kl_divergence(q, p) == np.inf
    X = np.array([[-1, -1], [1, -1], [1, -1], [1, 1]])
    np.testing.assert_allclose(ising.empirical_law(X), [0.25, 0.5, 0.0, 0.25])


# ======================================================================================
# exact dynamics: evolve vs the transition matrix (independent numpy route)
# ======================================================================================
@pytest.mark.parametrize("dynamics", ising.DYNAMICS)
def test_evolve_matches_transition_matrix(dynamics):
    n = 5
    J, h = _model(n, 2)
    p0 = np.random.default_rng(3).dirichlet(np.ones(2**n))
    T = ising.transition_matrix(J, h, dynamics=dynamics)
    for k in ((0.0, 0.3, 2.5) if dynamics == "glauber" else (0, 1, 4)):
        np.testing.assert_allclose(ising.evolve(p0, J, h, k, dynamics=dynamics), _matrix_route(p0, T, k, dynamics),
                                   atol=1e-12, rtol=0)


def test_transition_matrix_structure():
    J, h = _model(4, 1)
    for dyn in ising.DYNAMICS:
        T = ising.transition_matrix(J, h, dynamics=dyn)
        assert sparse.issparse(T)
        np.testing.assert_allclose(np.asarray(T.sum(axis=1)).ravel(), 0.0 if dyn == "glauber" else 1.0, atol=1e-14)
    assert ising.transition_matrix(J, h, dynamics="random-heat-bath").nnz <= 16 * 5


@settings(deadline=None, max_examples=25, derandomize=True)
@given(n=st.integers(1, 4), seed=st.integers(0, 10**6), k=st.integers(0, 6), scale=st.floats(0.0, 2.0),
       dyn=st.sampled_from(ising.DYNAMICS))
def test_evolve_normalized_nonnegative_and_matches_matrix(n, seed, k, scale, dyn):
    J, h = _model(n, seed, sj=scale, sh=scale)
    p0 = np.random.default_rng(seed).dirichlet(np.ones(2**n))
    t = 0.37 * k if dyn == "glauber" else k
    p = ising.evolve(p0, J, h, t, dynamics=dyn)
    assert np.all(p >= 0) and abs(p.sum() - 1) < 1e-12
    T = ising.transition_matrix(J, h, dynamics=dyn)
    np.testing.assert_allclose(p, _matrix_route(p0, T, t, dyn), atol=1e-12, rtol=0)


REVERSIBLE = ["glauber", "random-heat-bath", "random-metropolis"]


@settings(deadline=None, max_examples=20, derandomize=True)
@given(n=st.integers(1, 4), seed=st.integers(0, 10**6), scale=st.floats(0.0, 2.0))
def test_detailed_balance_and_invariance(n, seed, scale):
    """Random-scan kernels and the Glauber generator satisfy detailed balance w.r.t. p_theta;
    the sweep leaves it invariant (not reversible); parallel heat bath is reversible w.r.t. the Peretto law."""
    J, h = _model(n, seed, sj=scale, sh=scale)
    p = ising.boltzmann(J, h)
    for dyn in REVERSIBLE:
        T = ising.transition_matrix(J, h, dynamics=dyn).toarray()
        F = p[:, None] * T
        np.testing.assert_allclose(F, F.T, atol=1e-14)
    T = ising.transition_matrix(J, h, dynamics="sequential-heat-bath").toarray()
    np.testing.assert_allclose(p @ T, p, atol=1e-13)
    pi = ising.stationary(J, h, dynamics="parallel-heat-bath")
    T = ising.transition_matrix(J, h, dynamics="parallel-heat-bath").toarray()
    F = pi[:, None] * T
    np.testing.assert_allclose(F, F.T, atol=1e-14)
    for dyn in ising.INVARIANT_DYNAMICS:
        np.testing.assert_allclose(ising.evolve(p, J, h, 0.9 if dyn == "glauber" else 3, dynamics=dyn), p, atol=1e-12)
    np.testing.assert_allclose(ising.evolve(pi, J, h, 3, dynamics="parallel-heat-bath"), pi, atol=1e-12)


@settings(deadline=None, max_examples=15, derandomize=True)
@given(n=st.integers(1, 4), seed=st.integers(0, 10**6), dyn=st.sampled_from(ising.DYNAMICS[:4]))
def test_long_times_give_boltzmann(n, seed, dyn):
    J, h = _model(n, seed, sj=0.3, sh=0.3)
    p0 = np.random.default_rng(seed).dirichlet(np.ones(2**n))
    k = {"glauber": 60.0, "sequential-heat-bath": 80}.get(dyn, 600)
    np.testing.assert_allclose(ising.evolve(p0, J, h, k, dynamics=dyn), ising.boltzmann(J, h), atol=1e-10)


def test_parallel_heat_bath_not_invariant_theory_9_5():
    """theory.md 9.5: n = 5, J ~ N(0, 0.7^2), h ~ N(0, 0.4^2), seed 0: max |pT - p| = 0.0126;
    the Peretto law is invariant and its moments differ from p_theta's by up to 0.25."""
    rng = np.random.default_rng(0)
    A = rng.normal(0, 0.7, (5, 5))
    J = np.triu(A, 1)
    J = J + J.T
    h = rng.normal(0, 0.4, 5)
    p = ising.boltzmann(J, h)
    drift = np.abs(ising.evolve(p, J, h, 1, dynamics="parallel-heat-bath") - p).max()
    assert drift == pytest.approx(0.0126, abs=5e-5)
    for dyn in ("random-heat-bath", "random-metropolis", "sequential-heat-bath"):
        assert np.abs(ising.evolve(p, J, h, 1, dynamics=dyn) - p).max() < 1e-15
    pi = ising.stationary(J, h, dynamics="parallel-heat-bath")
    assert np.abs(ising.evolve(pi, J, h, 1, dynamics="parallel-heat-bath") - pi).max() < 1e-15
    assert np.abs(ising.law_features(pi) - ising.law_features(p)).max() == pytest.approx(0.25, abs=5e-3)
    pm = ising.stationary(J, h, dynamics="parallel-metropolis")
    assert np.abs(ising.evolve(pm, J, h, 1, dynamics="parallel-metropolis") - pm).max() < 1e-13


def test_parallel_heat_bath_drift_seen_by_chains():
    """C5, Monte Carlo side: chains started from exact Boltzmann samples drift under parallel
    heat bath (TV far above 4x the MC floor) and do not drift under random-scan heat bath."""
    rng = np.random.default_rng(0)
    A = rng.normal(0, 0.7, (5, 5))
    J = np.triu(A, 1)
    J = J + J.T
    h = rng.normal(0, 0.4, 5)
    p = ising.boltzmann(J, h)
    M = 200000
    s0 = ising.all_states(5)[np.random.default_rng(1).choice(32, M, p=p)]
    floor = np.sum(np.sqrt(p * (1 - p) / M)) / 2  # expected TV scale of an M-sample histogram
    tv = {}
    for dyn in ("random-heat-bath", "parallel-heat-bath"):
        x = ising.simulate(J, h, 2, M, dynamics=dyn, s0=s0, seed=3)
        tv[dyn] = 0.5 * np.abs(ising.empirical_law(x) - p).sum()
    assert tv["random-heat-bath"] < 4 * floor
    assert tv["parallel-heat-bath"] > 4 * floor
    exact = 0.5 * np.abs(ising.evolve(p, J, h, 2, dynamics="parallel-heat-bath") - p).sum()
    assert tv["parallel-heat-bath"] == pytest.approx(exact, abs=4 * floor)


# ======================================================================================
# chains vs enumeration
# ======================================================================================
@pytest.mark.parametrize("dynamics", ising.DYNAMICS)
def test_simulate_matches_evolve(dynamics):
    n, M = 4, 40000
    J, h = _model(n, 7, sj=0.8)
    k = 1.3 if dynamics == "glauber" else (3 if dynamics in ("sequential-heat-bath",) or "parallel" in dynamics else 6)
    x = ising.simulate(J, h, k, M, dynamics=dynamics, seed=5)
    assert x.dtype == np.int8 and x.shape == (M, n)
    exact = ising.law_features(ising.evolve(np.full(2**n, 2.0**-n), J, h, k, dynamics=dynamics))
    f = ising.features(x)
    z = (f.mean(0) - exact) / (f.std(0, ddof=1) / np.sqrt(M))
    assert np.max(np.abs(z)) < Z, z


def test_simulate_negative_control():
    """The same check rejects the wrong time (k+1): the test can fail."""
    n, M = 4, 40000
    J, h = _model(n, 7, sj=0.8)
    x = ising.simulate(J, h, 2, M, dynamics="parallel-metropolis", seed=5)
    wrong = ising.law_features(ising.evolve(np.full(2**n, 2.0**-n), J, h, 3, dynamics="parallel-metropolis"))
    f = ising.features(x)
    assert np.max(np.abs((f.mean(0) - wrong) / (f.std(0, ddof=1) / np.sqrt(M)))) > 10


def test_simulate_s0_sparse_and_reproducible():
    J, h = _model(6, 1)
    a = ising.simulate(J, h, 5, 100, dynamics="random-heat-bath", seed=9)
    b = ising.simulate(sparse.csr_matrix(J), h, 5, 100, dynamics="random-heat-bath", seed=9)
    assert np.array_equal(a, b)
    s0 = np.ones(6, dtype=np.int8)
    assert np.array_equal(ising.simulate(J, h, 0, 3, dynamics="glauber", s0=s0), np.ones((3, 6), dtype=np.int8))
    c = ising.simulate(J, h, 2, 100, dynamics="sequential-heat-bath", s0=a, seed=1)
    d = ising.simulate(J, h, 2, 100, dynamics="sequential-heat-bath", s0=a, seed=1)
    assert np.array_equal(c, d)


def test_simulate_bit_identical_across_threads():
    J = ising.lattice_couplings(8, coupling=0.4)
    h = np.zeros(64)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert 500 * 10 * 64 >= ising.SERIAL_WORK  # large enough for the parallel kernel
        a = ising.simulate(J, h, 10.0, 500, dynamics="glauber", seed=4)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = ising.simulate(J, h, 10.0, 500, dynamics="glauber", seed=4)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(a, b)


def test_lattice_couplings_and_large_lattice_runs():
    L = ising.lattice_couplings(4, 5, coupling=0.3)
    assert L.shape == (20, 20) and abs(L - L.T).max() == 0 and L.diagonal().max() == 0
    np.testing.assert_array_equal(np.asarray((L != 0).sum(axis=1)).ravel(), 4)
    open_ = ising.lattice_couplings(3, periodic=False)
    assert open_.nnz == 2 * 12  # 12 bonds on an open 3x3 grid
    assert ising.edge_list(L).shape == (40, 2)
    big = ising.lattice_couplings(64, coupling=0.2)  # 4096 spins
    x = ising.simulate(big, np.full(4096, 0.1), 5, 8, dynamics="sequential-heat-bath", seed=0)
    assert x.shape == (8, 4096) and set(np.unique(x)) <= {-1, 1}
    assert x.mean() > 0  # the positive field shows


# ======================================================================================
# fixed points: theory.md 5.2, 9.4, 9.5
# ======================================================================================
def test_mle_pl_cd1_theory_9_5(small_ising):
    pD, pW = small_ising["pD"], small_ising["pW"]
    Jm, hm = small_ising["ml"]
    np.testing.assert_allclose(ising.law_features(ising.boltzmann(Jm, hm)), ising.law_features(pD), atol=1e-10)
    # C1: CD-1 (random-scan heat bath) = maximum pseudolikelihood
    for law in (pD, pW):
        Jc, hc = ising.fit(law, scheme="cd", k=1, dynamics="random-heat-bath")
        Jp, hp = ising.fit(law, scheme="pseudolikelihood")
        assert np.abs(_theta(Jc, hc) - _theta(Jp, hp)).max() < 1e-8
    # C2: misspecified CD-1 != ML (9.5: 0.0424), CD-5 sweeps -> ML (3.9e-6); well-specified CD-1 = truth
    Jc, hc = ising.fit(pD, scheme="cd", k=1)
    assert np.abs(_theta(Jc, hc) - _theta(Jm, hm)).max() == pytest.approx(0.0424, abs=5e-4)
    J5, h5 = ising.fit(pD, scheme="cd", k=5, dynamics="sequential-heat-bath")
    assert np.abs(_theta(J5, h5) - _theta(Jm, hm)).max() == pytest.approx(3.9e-6, abs=1e-7)
    Jw, hw = ising.fit(pW, scheme="cd", k=1)
    assert np.abs(_theta(Jw, hw) - _theta(small_ising["J"], small_ising["h"])).max() < 1e-8
    Jwm, hwm = ising.fit(pW, scheme="mle")
    assert np.abs(_theta(Jwm, hwm) - _theta(small_ising["J"], small_ising["h"])).max() < 1e-8
    assert ising.kl_divergence(pD, ising.boltzmann(Jm, hm)) == pytest.approx(0.2025, abs=5e-5)


def test_cd1_update_is_gradient_of_pl_over_n():
    """theory.md 2.4 / 9.5: at a random theta (n = 5) the expected CD-1 update equals (1/n) grad PL."""
    n = 5
    J, h = _model(n, 11)
    pD = np.random.default_rng(2).dirichlet(np.ones(2**n))
    mD, CD = ising.moments(pD)
    mq, Cq = ising.moments(ising.evolve(pD, J, h, 1, dynamics="random-heat-bath"))
    _, gJ, gh = ising.pseudolikelihood(pD, J, h)
    np.testing.assert_allclose(mD - mq, gh / n, atol=1e-12)
    iu = np.triu_indices(n, 1)
    np.testing.assert_allclose((CD - Cq)[iu], gJ[iu] / n, atol=1e-12)
    # and the gradient is the derivative of the value (finite differences)
    eps = 1e-6
    dh = np.zeros(n)
    dh[2] = eps
    num = (ising.pseudolikelihood(pD, J, h + dh)[0] - ising.pseudolikelihood(pD, J, h - dh)[0]) / (2 * eps)
    assert num == pytest.approx(gh[2], abs=1e-8)


def test_short_run_theory_9_5(small_ising):
    """Short run, misspecified, uniform p0, K random-scan heat-bath updates (theory.md 9.5 table)."""
    pD = small_ising["pD"]
    Jm, hm = small_ising["ml"]
    pML = ising.boltzmann(Jm, hm)
    u = np.full(16, 1 / 16)
    d = ising.law_features(pD)
    table = {2: (0.409, 0.477, 0.2071), 5: (0.087, 0.086, 0.2019), 20: (0.006, 0.004, 0.2024)}
    for K, (eq_err, dtheta, kl) in table.items():
        J, h, info = ising.fit(pD, scheme="short-run", k=K, dynamics="random-heat-bath", full_output=True)
        assert info["stable"] and info["residual"] < 1e-10
        q = ising.evolve(u, J, h, K, dynamics="random-heat-bath")
        np.testing.assert_allclose(ising.law_features(q), d, atol=1e-10)  # G1 at t = k
        assert np.abs(ising.law_features(ising.boltzmann(J, h)) - d).max() == pytest.approx(eq_err, abs=1e-3)
        assert np.abs(_theta(J, h) - _theta(Jm, hm)).max() == pytest.approx(dtheta, abs=1e-3)
        assert ising.kl_divergence(pD, q) == pytest.approx(kl, abs=1e-4)
        if K == 2:  # G4: KL(q || p_ML) = H(p_ML) - H(q) = 0.002722
            kl_q = ising.kl_divergence(q, pML)
            assert kl_q == pytest.approx(ising.entropy(pML) - ising.entropy(q), abs=1e-9)
            assert kl_q == pytest.approx(0.002722, abs=1e-6)


def test_short_run_k1_has_no_fixed_point(small_ising):
    """theory.md 9.5: K = 1, no fixed point (the residual stalls at 0.086 while |theta| grows)."""
    with pytest.raises(NoFixedPointError, match=r"no fixed point.*0\.086"):
        ising.fit(small_ising["pD"], scheme="short-run", k=1, dynamics="random-heat-bath")


def test_short_run_flow_diverges_for_k1(small_ising):
    """The same through the training loop (exact engine): |theta| keeps growing (linearly: a
    RunawayWarning names the parameters), the error stalls."""
    with pytest.warns(RunawayWarning, match="grow linearly after 3000 iterations"):
        res = ising.train(small_ising["pD"], scheme="short-run", k=1, dynamics="random-heat-bath", lr=0.5,
                          n_iter=3000, engine="exact", progress=False)
    big = np.array([max(np.abs(J).max(), np.abs(h).max())
                    for J, h in zip(res.history["params"]["J"][::500], res.history["params"]["h"][::500])])
    assert np.all(np.diff(big) > 0) and big[-1] > 10
    assert res.history["error"][-1] == pytest.approx(0.0864, abs=2e-3)


def test_short_run_theory_9_4():
    """8-spin BM, Rdm-k with one sequential heat-bath sweep per step; data matched at t = k only.
    Table of theory.md 9.4 (max|dm| / max|dC| at t = k-1, k+1, 10k, infinity; |dJ|, |dh| vs truth)."""
    rng = np.random.default_rng(0)
    A = rng.normal(0, 0.6, (8, 8))
    J0 = np.triu(A, 1)
    J0 = J0 + J0.T
    h0 = rng.normal(0, 0.3, 8)
    pD = ising.boltzmann(J0, h0)
    d = ising.law_features(pD)
    u = np.full(256, 1 / 256)
    dyn = "sequential-heat-bath"
    table = {
        1: [(0.382, 0.973), (0.141, 0.599), (0.148, 0.610), (0.885, 0.488), (4.342, 2.044)],
        2: [(0.072, 0.536), (0.034, 0.084), (0.058, 0.097), (0.629, 0.275), (0.930, 0.251)],
        5: [(0.011, 0.022), (0.006, 0.009), (0.158, 0.066), (0.402, 0.167), (0.100, 0.185)],
    }

    def err(p):
        f = ising.law_features(p) - d
        return np.abs(f[:8]).max(), np.abs(f[8:]).max()

    for k, rows in table.items():
        J, h = ising.fit(pD, scheme="short-run", k=k, dynamics=dyn)
        assert max(err(ising.evolve(u, J, h, k, dynamics=dyn))) < 1e-9
        got = [err(ising.evolve(u, J, h, t, dynamics=dyn)) for t in (k - 1, k + 1, 10 * k)]
        got += [err(ising.boltzmann(J, h)), (np.abs(J - J0).max(), np.abs(h - h0).max())]
        for g, want in zip(got, rows):
            np.testing.assert_allclose(g, want, atol=1.5e-3)
            if want != rows[-1]:
                assert min(g) > 5e-3  # mismatch away from t = k


def test_pcd_fixed_points(small_ising):
    """PCD = ML for single-site kernels. Parallel heat bath: PCD matches the moments of the
    Peretto law, a different family; its stationary points are unstable here (the expected
    update's Jacobian has eigenvalues with negative real part), and for the misspecified
    9.5 data the flow runs away (NoFixedPointError)."""
    pD = small_ising["pD"]
    Jm, hm = small_ising["ml"]
    for dyn in ("sequential-heat-bath", "glauber"):
        Jp, hp = ising.fit(pD, scheme="pcd", dynamics=dyn)
        assert np.abs(_theta(Jp, hp) - _theta(Jm, hm)).max() < 1e-8
    J, h = small_ising["J"], small_ising["h"]
    pi = ising.stationary(J, h, dynamics="parallel-heat-bath")
    with pytest.warns(UnstableFixedPointWarning, match="unstable"):
        J2, h2, info = ising.fit(pi, scheme="pcd", dynamics="parallel-heat-bath", full_output=True)
    np.testing.assert_allclose(ising.law_features(ising.stationary(J2, h2, dynamics="parallel-heat-bath")),
                               ising.law_features(pi), atol=1e-10)
    assert not info["stable"]
    with pytest.raises(NoFixedPointError):
        ising.fit(pD, scheme="pcd", dynamics="parallel-heat-bath")


@pytest.fixture(scope="module")
def mild_data():
    J0, h0 = _model(3, 5, sj=0.4, sh=0.3)
    return ising.boltzmann(J0, h0)


@pytest.mark.parametrize("dyn", ising.INVARIANT_DYNAMICS)
@pytest.mark.parametrize("scheme", ["short-run", "cd"])
def test_fit_single_site_dynamics_match_data_at_k(mild_data, dyn, scheme):
    k = 2.0 if dyn == "glauber" else (2 if dyn == "sequential-heat-bath" else 6)
    J, h, info = ising.fit(mild_data, scheme=scheme, k=k, dynamics=dyn, full_output=True)
    assert info["stable"]
    start = np.full(8, 1 / 8) if scheme == "short-run" else mild_data
    np.testing.assert_allclose(ising.law_features(ising.evolve(start, J, h, k, dynamics=dyn)),
                               ising.law_features(mild_data), atol=1e-10)


def test_fit_parallel_dynamics_have_no_usable_fixed_point(mild_data):
    """Finding: with couplings, synchronous updates give no fixed point for these data
    (the exact training flow runs away, |theta| in the thousands after 2e4 steps), and CD-2 with
    parallel Metropolis has only the spurious stationary point theta = 0 (all spins flip twice)."""
    for dyn, scheme in (("parallel-heat-bath", "short-run"), ("parallel-heat-bath", "cd"),
                        ("parallel-metropolis", "short-run")):
        with pytest.raises(NoFixedPointError, match="run away|positive local minimum"):
            ising.fit(mild_data, scheme=scheme, k=2, dynamics=dyn)
    with pytest.warns(UnstableFixedPointWarning):
        J, h = ising.fit(mild_data, scheme="cd", k=2, dynamics="parallel-metropolis")
    assert not np.any(J) and not np.any(h)


def test_fit_no_mle_on_the_boundary():
    """Data with spin 0 always +1: the MLE field is infinite."""
    p = np.zeros(8)
    p[[1, 3, 5, 7]] = 0.25
    with pytest.raises(NoFixedPointError, match="no finite maximiser"):
        ising.fit(p, scheme="mle")


# ======================================================================================
# training and comparison
# ======================================================================================
def test_train_exact_engine_reaches_fit(small_ising):
    pD = small_ising["pD"]
    J, h = ising.fit(pD, scheme="short-run", k=5, dynamics="random-heat-bath")
    res = ising.train(pD, scheme="short-run", k=5, dynamics="random-heat-bath", lr=0.5, n_iter=1500,
                      engine="exact", progress=False)
    assert np.abs(res.J - J).max() < 1e-8 and np.abs(res.h - h).max() < 1e-8
    Jc, hc = ising.fit(pD, scheme="cd", k=2, dynamics="random-metropolis")
    res = ising.train(pD, scheme="cd", k=2, dynamics="random-metropolis", lr=1.0, n_iter=1500,
                      engine="exact", progress=False)
    assert np.abs(res.J - Jc).max() < 1e-8 and np.abs(res.h - hc).max() < 1e-8


def test_train_simulate_lands_on_exact_fixed_point():
    """Short-run training with chains: tail-averaged parameters within z batch-means SE of fit().

    K = 8 random-scan updates, n = 3: the slowest rate of the expected update is
    lambda_min(M) = 0.126, so with lr = 1 the correlation time is tau ~ 8 iterations and
    the 10 tail batches of 160 iterations are ~20 tau long (theory.md section 8)."""
    n = 3
    J0, h0 = _model(n, 21, sj=0.5, sh=0.3)
    pD = ising.boltzmann(J0, h0)
    J, h, info = ising.fit(pD, scheme="short-run", k=8, dynamics="random-heat-bath", full_output=True)
    assert np.linalg.eigvals(info["jacobian"]).real.min() == pytest.approx(0.1257, abs=1e-3)
    res = ising.train(pD, scheme="short-run", k=8, dynamics="random-heat-bath", lr=1.0, n_iter=2400,
                      n_chains=500, seed=3, progress=False)
    tail = res.tail_mean(2 / 3, 10)
    iu = np.triu_indices(n, 1)
    zJ = (tail["J"][0] - J)[iu] / tail["J"][1][iu]
    zh = (tail["h"][0] - h) / tail["h"][1]
    assert np.max(np.abs(np.concatenate([zJ, zh]))) < Z, (zJ, zh)
    # negative control: the MLE (= truth here) is many SE away from where the chains land
    assert np.max(np.abs((tail["h"][0] - h0) / tail["h"][1])) > 3 * Z


def test_train_samples_sparse_edges_and_pcd():
    """Training from samples on a lattice with trainable edges only (4x4 periodic, CD-1 sweep)."""
    L = ising.lattice_couplings(4, coupling=0.3)
    data = ising.simulate(L, np.zeros(16), 50, 400, dynamics="sequential-heat-bath", seed=1)
    res = ising.train(data, scheme="cd", k=1, dynamics="sequential-heat-bath", lr=0.05, n_iter=200,
                      n_chains=400, edges=L, seed=2, progress=False)
    assert res.J.shape == (32,) and res.h.shape == (16,)
    assert 0.1 < res.J.mean() < 0.6  # learns a ferromagnetic coupling near 0.3
    np.testing.assert_array_equal(res.history["edges"], ising.edge_list(L))
    res2 = ising.train(data, scheme="cd", k=1, dynamics="sequential-heat-bath", lr=0.05, n_iter=200,
                       n_chains=400, edges=L, seed=2, progress=False)
    assert np.array_equal(res.J, res2.J)  # reproducible
    pcd = ising.train(data[:, :5], scheme="pcd", k=2, dynamics="random-heat-bath", lr=0.05, n_iter=20,
                      n_chains=100, progress=False)
    assert pcd.J.shape == (5, 5) and np.all(np.diag(pcd.J) == 0)


def test_compare_matches_at_t_equals_k(small_ising):
    """G2: at the short-run fixed point the chains match the data at t = k (z-scores) and the
    exact law at every time; the exact error is ~0 at t = k and large at k +- 1 and equilibrium."""
    pD = small_ising["pD"]
    k = 2
    J, h = ising.fit(pD, scheme="short-run", k=k, dynamics="random-heat-bath")
    cmp = ising.compare(pD, J, h, k, dynamics="random-heat-bath", n_chains=40000, seed=1)
    times = list(cmp.times)
    ik = times.index(k)
    assert np.max(np.abs(cmp.z_exact)) < Z
    assert np.max(np.abs(cmp.z_data[ik])) < Z
    ex = cmp.exact_error_data()
    assert ex[ik] < 1e-9
    assert ex[times.index(k - 1)] > 1e-2 and ex[times.index(k + 1)] > 1e-2
    assert cmp.equilibrium_error() > 0.4
    assert np.max(np.abs(cmp.z_data[times.index(4 * k)])) > Z  # the mismatch is visible in the samples
    assert "t = k" in cmp.table()


def test_compare_sparse_edges_without_enumeration():
    L = ising.lattice_couplings(5, coupling=0.2)  # 25 spins: enumerable, but edges only
    data = ising.simulate(L, np.zeros(25), 20, 200, dynamics="glauber", seed=0)
    cmp = ising.compare(data, L, np.zeros(25), 1.0, dynamics="glauber", n_chains=200, edges=L, times=[0.0, 1.0])
    assert cmp.sampled.shape == (2, 25 + 50) and cmp.exact is None and cmp.equilibrium is None


# ======================================================================================
# errors
# ======================================================================================
def test_error_paths():
    J, h = _model(3, 0)
    p = np.full(8, 1 / 8)
    with pytest.raises(ValueError, match="spins -1 and \\+1"):
        ising.energy(np.array([0, 1, 1]), J, h)
    with pytest.raises(ValueError, match="symmetric"):
        ising.boltzmann(J + np.triu(np.ones((3, 3)), 1), h)
    with pytest.raises(ValueError, match="zero diagonal"):
        ising.evolve(p, J + np.eye(3), h, 1, dynamics="random-heat-bath")
    with pytest.raises(ValueError, match="zero diagonal"):
        ising.simulate(sparse.csr_matrix(J + np.eye(3)), h, 1, 2, dynamics="glauber")
    with pytest.raises(ValueError, match="symmetric"):
        ising.simulate(sparse.csr_matrix(np.triu(J)), h, 1, 2, dynamics="glauber")
    with pytest.raises(ValueError, match="dynamics must be one of.*random-heat-bath"):
        ising.evolve(p, J, h, 1, dynamics="gibbs")
    with pytest.raises(ValueError, match="k must be >= 0"):
        ising.evolve(p, J, h, -1, dynamics="random-heat-bath")
    with pytest.raises(ValueError, match="k must be >= 0"):
        ising.simulate(J, h, -0.5, 2, dynamics="glauber")
    with pytest.raises(ValueError, match="integer number of sweeps"):
        ising.evolve(p, J, h, 1.5, dynamics="sequential-heat-bath")
    with pytest.raises(ValueError, match="sum to 1"):
        ising.evolve(2 * p, J, h, 1, dynamics="random-heat-bath")
    with pytest.raises(ValueError, match="length 2\\^3"):
        ising.evolve(np.full(16, 1 / 16), J, h, 1, dynamics="random-heat-bath")
    with pytest.raises(ValueError, match="non-negative"):
        ising.moments(np.array([1.5, -0.5]))
    with pytest.raises(ValueError, match="2\\^n states"):
        ising.moments(np.full(3, 1 / 3))
    with pytest.raises(EnumerationTooLargeError, match="n = 25.*MiB.*n <= 24"):
        ising.all_states(25)
    with pytest.raises(EnumerationTooLargeError, match="n = 25"):
        ising.boltzmann(np.zeros((25, 25)), np.zeros(25))
    with pytest.raises(EnumerationTooLargeError, match="O\\(4\\^n\\)"):
        ising.evolve(np.full(2**15, 2.0**-15), np.zeros((15, 15)), np.zeros(15), 1, dynamics="parallel-heat-bath")
    with pytest.raises(EnumerationTooLargeError, match="dense"):
        ising.transition_matrix(np.zeros((11, 11)), np.zeros(11), dynamics="sequential-heat-bath")
    with pytest.raises(ValueError, match="shape \\(3,\\)"):
        ising.boltzmann(J, np.zeros(4))
    with pytest.raises(ValueError, match="s0 must have shape"):
        ising.simulate(J, h, 1, 4, dynamics="glauber", s0=np.ones((3, 3)))
    with pytest.raises(ValueError, match="3 spins"):
        ising.simulate(J, h, 1, 4, dynamics="glauber", s0=np.ones(4))
    with pytest.raises(ValueError, match="n_chains must be >= 1"):
        ising.simulate(J, h, 1, 0, dynamics="glauber")
    with pytest.raises(ValueError, match="scheme must be one of"):
        ising.fit(p, scheme="ml")
    with pytest.raises(ValueError, match="k must be > 0"):
        ising.fit(p, scheme="short-run", k=0)
    with pytest.raises(ValueError, match="rows, cols >= 3"):
        ising.lattice_couplings(2)
    with pytest.raises(ValueError, match="n_chains is required"):
        ising.train(p, scheme="cd", k=1, dynamics="glauber", lr=0.1, n_iter=2)
    with pytest.raises(ValueError, match="edges must be pairs of distinct sites"):
        ising.train(p, scheme="cd", k=1, dynamics="glauber", lr=0.1, n_iter=2, engine="exact", edges=[[0, 0]])
    with pytest.raises(ValueError, match="spins -1 and \\+1"):
        ising.train(np.array([[0, 1, 1], [1, 1, 1]]), scheme="cd", k=1, dynamics="glauber", lr=0.1, n_iter=2,
                    n_chains=2)
    with pytest.raises(ValueError, match="lr must be > 0"):
        ising.train(p, scheme="cd", k=1, dynamics="glauber", lr=0.0, n_iter=2, engine="exact")
    with pytest.raises(ValueError, match="engine must be one of"):
        ising.train(p, scheme="cd", k=1, dynamics="glauber", lr=0.1, n_iter=2, engine="magic")


def test_evolve_without_row_table_gives_same_bits(monkeypatch):
    """Large n (no room for the row table) recomputes the rows: same result to the bit."""
    J, h = _model(7, 8)
    p0 = np.random.default_rng(0).dirichlet(np.ones(2**7))
    fast = [ising.evolve(p0, J, h, k, dynamics=d) for d, k in (("glauber", 1.1), ("random-metropolis", 5),
                                                                  ("sequential-heat-bath", 2))]
    monkeypatch.setattr(ising_exact, "ROW_TABLE_BYTES", 0)  # the module that evolve lives in
    assert ising_exact._rows(7, "glauber").shape[0] == 1
    slow = [ising.evolve(p0, J, h, k, dynamics=d) for d, k in (("glauber", 1.1), ("random-metropolis", 5),
                                                                  ("sequential-heat-bath", 2))]
    for a, b in zip(fast, slow):
        assert np.array_equal(a, b)


def test_compare_continuous_time():
    J, h = _model(4, 3)
    pD = ising.boltzmann(J, h)
    cmp = ising.compare(pD, J, h, 0.8, dynamics="glauber", n_chains=20000, seed=2)
    np.testing.assert_allclose(cmp.times, [0.0, 0.4, 0.8, 1.2, 1.6, 3.2])
    assert np.max(np.abs(cmp.z_exact)) < Z
    assert cmp.equilibrium_error() < 1e-12  # data = the model's own Boltzmann law


@pytest.mark.slow
def test_larger_enumeration_vs_chains():
    """n = 14 (16384 states), continuous time: the master equation vs 1e5 chains, all moments within z SE."""
    n, M, t = 14, 100000, 0.7
    J, h = _model(n, 9, sj=0.25, sh=0.3)
    exact = ising.law_features(ising.evolve(np.full(2**n, 2.0**-n), J, h, t, dynamics="glauber"))
    f = ising.features(ising.simulate(J, h, t, M, dynamics="glauber", seed=1))
    z = (f.mean(0) - exact) / (f.std(0, ddof=1) / np.sqrt(M))
    assert np.max(np.abs(z)) < Z, np.max(np.abs(z))


def test_train_edges_all_pairs_equals_dense_and_p0_start(small_ising):
    pD = small_ising["pD"]
    allpairs = np.stack(np.triu_indices(4, 1), axis=1)
    kw = dict(scheme="short-run", k=3, dynamics="sequential-heat-bath", lr=0.3, n_iter=50, engine="exact",
              progress=False)
    dense = ising.train(pD, **kw)
    edged = ising.train(pD, edges=allpairs, **kw)
    np.testing.assert_allclose(edged.J, dense.J[np.triu_indices(4, 1)], atol=1e-14)
    np.testing.assert_allclose(edged.h, dense.h, atol=1e-14)
    p0 = np.zeros(16)
    p0[5] = 1.0  # every chain starts in state 5
    a = ising.train(pD, scheme="short-run", k=2, dynamics="random-metropolis", lr=0.1, n_iter=5, n_chains=64,
                    p0=p0, progress=False)
    b = ising.train(pD, scheme="short-run", k=2, dynamics="random-metropolis", lr=0.1, n_iter=5, n_chains=64,
                    p0=p0, progress=False)
    assert np.array_equal(a.J, b.J) and np.array_equal(a.h, b.h)
    ex = ising.train(pD, scheme="short-run", k=2, dynamics="random-metropolis", lr=0.1, n_iter=1, engine="exact",
                     p0=p0, progress=False)
    mq = ising.moments(ising.evolve(p0, np.zeros((4, 4)), np.zeros(4), 2, dynamics="random-metropolis"))[0]
    np.testing.assert_allclose(ex.h, 0.1 * (ising.moments(pD)[0] - mq), atol=1e-14)
