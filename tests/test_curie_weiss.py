"""Tests of solvable.curie_weiss (theory.md sections 5.4, 8 claim C4, 9.6).

Independent routes: the 2^n chain of solvable.ising (transition_matrix, evolve,
boltzmann) lumped onto n_+, dense matrix powers / scipy.linalg.expm, the J = 0
closed form of the mean-field ODE, and Numba chains (solvable.ising.simulate) with
z-score tolerances.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvable import NoFixedPointError
from solvable import curie_weiss as cw

from solvable.testing import Z_MAX as Z  # suite-wide z tolerance (theory.md section 8)
from solvable.testing import mean_se

couplings_st = st.floats(-2.0, 2.0, allow_nan=False)
fields_st = st.floats(-1.5, 1.5, allow_nan=False)


def _ising():
    return pytest.importorskip("solvable.ising")


def _lumping(ising, n):
    """Indicator matrix L[s, n_+(s)] over ising.all_states(n)."""
    s = np.asarray(ising.all_states(n))
    n_plus = ((s == 1).sum(axis=1)).astype(int)
    L = np.zeros((s.shape[0], n + 1))
    L[np.arange(s.shape[0]), n_plus] = 1.0
    return L


def _dense(T):
    return T.toarray() if hasattr(T, "toarray") else np.asarray(T)


# ----------------------------------------------------------------------------- lumping (claim C4)

def test_birth_death_is_the_lumped_spin_chain():
    """Oracle (theory.md 9.6): n = 6, J = 1.3, h = 0.2, birth-death == lumped 2^6 chain to 1e-16."""
    ising = _ising()
    n, J, h = 6, 1.3, 0.2
    P = _dense(ising.transition_matrix(cw.couplings(n, J), np.full(n, h), dynamics="random-heat-bath"))
    L = _lumping(ising, n)
    T = cw.transition_matrix(n, J, h)
    # strong lumpability: every state of class a moves to class b with probability T[a, b]
    np.testing.assert_allclose(P @ L, L @ T, rtol=0, atol=3e-16)
    # negative control: the Metropolis chain lumps to a different matrix
    Pm = _dense(ising.transition_matrix(cw.couplings(n, J), np.full(n, h), dynamics="random-metropolis"))
    assert np.max(np.abs(Pm @ L - L @ T)) > 1e-2


@pytest.mark.parametrize("dynamics, t", [("glauber", 0.7), ("glauber", 3.0), ("random-heat-bath", 5),
                                         ("random-heat-bath", 40)])
def test_evolve_equals_lumped_enumeration(dynamics, t):
    ising = _ising()
    n, J, h = 6, 1.3, 0.2
    L = _lumping(ising, n)
    rng = np.random.default_rng(3)
    p0 = rng.dirichlet(np.ones(2 ** n))
    p = np.asarray(ising.evolve(p0, cw.couplings(n, J), np.full(n, h), t, dynamics=dynamics))
    np.testing.assert_allclose(cw.evolve(p0 @ L, J, h, t, dynamics=dynamics), p @ L, rtol=0, atol=1e-13)


def test_stationary_equals_lumped_boltzmann():
    ising = _ising()
    for n, J, h in [(6, 1.3, 0.2), (7, -0.8, -0.5), (5, 2.5, 0.0)]:
        p = np.asarray(ising.boltzmann(cw.couplings(n, J), np.full(n, h)))
        np.testing.assert_allclose(cw.stationary(n, J, h), p @ _lumping(ising, n), rtol=0, atol=1e-15)


def test_binomial_start_is_lumped_product_law():
    ising = _ising()
    n, m0 = 6, -0.35
    s = np.asarray(ising.all_states(n)).astype(float)
    p = np.prod((1 + m0 * s) / 2, axis=1)
    np.testing.assert_allclose(cw.binomial_start(n, m0), p @ _lumping(ising, n), atol=1e-16)


# ----------------------------------------------------------------------------- the chain alone

@settings(deadline=None, max_examples=50)
@given(n=st.integers(1, 60), J=couplings_st, h=fields_st)
def test_chain_is_stochastic_and_reversible(n, J, h):
    T = cw.transition_matrix(n, J, h)
    assert np.all(T >= 0)
    np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-15)
    assert np.count_nonzero(np.triu(T, 2)) == 0 and np.count_nonzero(np.tril(T, -2)) == 0
    pi = cw.stationary(n, J, h)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-15)
    up, down = cw.rates(n, J, h)
    np.testing.assert_allclose(pi[:-1] * up[:-1], pi[1:] * down[1:], atol=1e-16)   # detailed balance


def _poissonised(p0, J, h, t):
    """Continuous time = random-scan updates at Poisson(n t) times: sum_K Pois(K; nt) p0 T^K."""
    from scipy.stats import poisson
    n = p0.size - 1
    lam = n * t
    K = int(lam + 12 * np.sqrt(lam) + 60)
    laws = cw.evolve(p0, J, h, np.arange(K + 1), dynamics="random-heat-bath")
    return poisson.pmf(np.arange(K + 1), lam) @ laws


@settings(deadline=None, max_examples=25)
@given(n=st.integers(1, 12), J=couplings_st, h=fields_st, t=st.floats(0.0, 4.0), m0=st.floats(-1, 1))
def test_evolve_continuous_is_poissonised_discrete(n, J, h, t, m0):
    p0 = cw.binomial_start(n, m0)
    p = cw.evolve(p0, J, h, t)
    np.testing.assert_allclose(p, _poissonised(p0, J, h, t), rtol=0, atol=1e-13)
    assert np.all(p >= 0) and p.sum() == pytest.approx(1.0, abs=1e-13)


@pytest.mark.parametrize("n, J, h, t", [(101, 0.7, 0.1, 0.6), (160, 1.3, -0.05, 1.0), (100, 1.3, -0.05, 1.0)])
def test_evolve_continuous_large_n(n, J, h, t):
    """Both propagation routes (dense expm up to n = 100, expm_multiply beyond)."""
    p0 = cw.binomial_start(n, 0.1)
    np.testing.assert_allclose(cw.evolve(p0, J, h, t), _poissonised(p0, J, h, t), rtol=0, atol=1e-13)


def test_evolve_discrete_equals_matrix_power_and_vectorises():
    n, J, h = 9, 0.9, -0.2
    p0 = cw.binomial_start(n, 0.3)
    Tm = cw.transition_matrix(n, J, h)
    ks = np.array([7, 0, 3, 25])
    out = cw.evolve(p0, J, h, ks, dynamics="random-heat-bath")
    assert out.shape == (4, n + 1)
    for k, p in zip(ks, out):
        np.testing.assert_allclose(p, p0 @ np.linalg.matrix_power(Tm, int(k)), rtol=0, atol=1e-15)
    ts = np.array([2.0, 0.0, 0.5])
    outc = cw.evolve(p0, J, h, ts)
    for t, p in zip(ts, outc):
        np.testing.assert_allclose(p, cw.evolve(p0, J, h, float(t)), atol=1e-16)


@settings(deadline=None, max_examples=30)
@given(n=st.integers(1, 30), J=st.floats(-1.0, 0.9), h=fields_st)
def test_long_times_reach_stationary(n, J, h):
    # J < 1: no metastability, the chain relaxes in O(1) sweeps (gap >= 1 - J)
    p = cw.evolve(cw.binomial_start(n, -0.5), J, h, 40.0 / (1.0 - J))
    np.testing.assert_allclose(p, cw.stationary(n, J, h), atol=1e-11)


def test_moments():
    p = np.zeros(5)
    p[[0, 3]] = 0.5   # M = -4 and M = 2 with n = 4
    m, q = cw.moments(p)
    assert (m, q) == (pytest.approx(-0.25), pytest.approx((1 + 0.25) / 2))
    ms, qs = cw.moments(np.stack([p, p]))
    assert ms.shape == (2,) and qs.shape == (2,)


# ----------------------------------------------------------------------------- mean field (claim C4)

def test_oracle_mean_field_gap():
    """theory.md 9.6: J = 0.5, h = 0.3, m0 = -0.6, t = 2."""
    J, h, m0, t = 0.5, 0.3, -0.6, 2.0
    mf = float(cw.mean_field_magnetization(t, J, h, m0))
    assert mf == pytest.approx(0.14948, abs=5e-6)
    gaps = []
    for n, oracle in [(50, 0.14864), (200, 0.14925), (800, 0.14943)]:
        m = float(cw.moments(cw.evolve(cw.binomial_start(n, m0), J, h, t))[0])
        assert m == pytest.approx(oracle, abs=5e-6)
        gaps.append(n * (m - mf))
    gaps = np.array(gaps)
    # n * gap is bounded and converges (to about -0.045 .. -0.048)
    assert np.all((gaps > -0.06) & (gaps < -0.03)), gaps
    assert abs(gaps[2] - gaps[1]) < abs(gaps[1] - gaps[0])


def test_mean_field_free_spins_closed_form():
    t = np.array([3.0, 0.0, 0.25, 1.0])
    h, m0 = 0.7, -0.9
    ref = np.tanh(h) + (m0 - np.tanh(h)) * np.exp(-t)
    np.testing.assert_allclose(cw.mean_field_magnetization(t, 0.0, h, m0), ref, rtol=0, atol=1e-11)
    assert float(cw.mean_field_magnetization(0.0, 0.0, h, m0)) == m0


def test_mean_field_fixed_point_is_stationary_and_large_n_agrees():
    J, h = 0.8, 0.1
    from scipy.optimize import brentq
    m_star = brentq(lambda m: m - np.tanh(J * m + h), 0.0, 1.0, xtol=1e-15)
    np.testing.assert_allclose(cw.mean_field_magnetization([1.0, 5.0], J, h, m_star), m_star, atol=1e-12)
    # finite n approaches the ODE with an O(1/n) gap
    n = 2000
    m_n = float(cw.moments(cw.evolve(cw.binomial_start(n, 0.2), J, h, 1.5))[0])
    mf = float(cw.mean_field_magnetization(1.5, J, h, 0.2))
    assert abs(m_n - mf) * n < 1.0


# ----------------------------------------------------------------------------- short-run fixed point

@pytest.mark.parametrize("n, k, J, h, dynamics", [
    (6, 1.0, 1.3, 0.2, "glauber"),
    (50, 2.0, 0.5, 0.3, "glauber"),
    (20, 30, 0.8, -0.1, "random-heat-bath"),
    (30, 0.5, -1.0, 0.4, "glauber"),
])
def test_short_run_fixed_point_round_trip(n, k, J, h, dynamics):
    p0 = cw.binomial_start(n, 0.0)
    m, q = cw.moments(cw.evolve(p0, J, h, k, dynamics=dynamics))
    Js, hs = cw.short_run_fixed_point(m, q, k, n, dynamics=dynamics)
    m2, q2 = cw.moments(cw.evolve(p0, Js, hs, k, dynamics=dynamics))
    assert abs(m2 - m) < 1e-11 and abs(q2 - q) < 1e-11
    assert Js == pytest.approx(J, abs=1e-6) and hs == pytest.approx(h, abs=1e-6)


def test_short_run_fixed_point_fallback_when_first_root_find_fails(monkeypatch):
    """The bounded least-squares fallback finds the root when hybr from (0, 0) fails."""
    import types

    import scipy.optimize
    calls = []

    def flaky_root(fun, x0, **kw):
        calls.append(1)
        if len(calls) == 1:
            return types.SimpleNamespace(x=np.array([np.nan, np.nan]), success=False)
        return scipy.optimize.root(fun, x0, **kw)

    monkeypatch.setattr(cw, "root", flaky_root)
    n, k, J, h = 10, 1.0, 1.1, -0.3
    p0 = cw.binomial_start(n)
    m, q = cw.moments(cw.evolve(p0, J, h, k))
    Js, hs = cw.short_run_fixed_point(m, q, k, n)
    assert Js == pytest.approx(J, abs=1e-6) and hs == pytest.approx(h, abs=1e-6)
    # a root outside the search box is reported as none
    calls.clear()
    with pytest.raises(NoFixedPointError, match="bound = 0.5"):
        cw.short_run_fixed_point(m, q, k, n, bound=0.5)


def test_short_run_fixed_point_from_a_given_start():
    n, k, J, h = 12, 1.5, 0.7, -0.2
    p0 = cw.binomial_start(n, 0.6)
    m, q = cw.moments(cw.evolve(p0, J, h, k))
    Js, hs = cw.short_run_fixed_point(m, q, k, n, p0=p0)
    assert Js == pytest.approx(J, abs=1e-6) and hs == pytest.approx(h, abs=1e-6)
    # the same data from the uniform start need a different model: short-run fixed points depend on p0
    _, hu = cw.short_run_fixed_point(m, q, k, n)
    assert abs(hu - h) > 1e-2


def test_short_run_differs_from_equilibrium():
    """Short-run data moments are matched at t = k, not at equilibrium (theory.md 2.1)."""
    n, k = 30, 1.0
    pi = cw.stationary(n, 0.6, 0.25)                 # data = equilibrium of (0.6, 0.25)
    m, q = cw.moments(pi)
    Js, hs = cw.short_run_fixed_point(m, q, k, n)
    assert max(abs(Js - 0.6), abs(hs - 0.25)) > 0.05
    m_eq, q_eq = cw.moments(cw.stationary(n, Js, hs))
    assert max(abs(m_eq - m), abs(q_eq - q)) > 1e-2


def test_no_fixed_point():
    n, k = 50, 0.5
    bound = 1 - np.exp(-k)
    with pytest.raises(NoFixedPointError, match=f"{bound:.6g}"):
        cw.short_run_fixed_point(0.9, 0.85, k, n)
    with pytest.raises(NoFixedPointError, match=r"-infinity"):
        cw.short_run_fixed_point(-0.9, 0.85, k, n)
    # reachable magnetisation but an unreachable second moment: the root find fails and says so
    with pytest.raises(NoFixedPointError, match="smallest moment residual"):
        cw.short_run_fixed_point(0.0, 0.9, 1.0, n)
    # random-site updates: untouched fraction (1 - 1/n)^k
    with pytest.raises(NoFixedPointError, match=f"{1 - (1 - 1 / n) ** 10:.6g}"):
        cw.short_run_fixed_point(0.5, 0.3, 10, n, dynamics="random-heat-bath")


# ----------------------------------------------------------------------------- error paths

def test_error_paths():
    with pytest.raises(ValueError, match="n must be >= 1"):
        cw.transition_matrix(0, 1.0, 0.0)
    with pytest.raises(TypeError, match="n must be an integer"):
        cw.stationary(2.5, 1.0, 0.0)
    with pytest.raises(ValueError, match="J must be finite"):
        cw.rates(5, np.nan, 0.0)
    with pytest.raises(TypeError, match="h must be a real number"):
        cw.rates(5, 1.0, None)
    with pytest.raises(ValueError, match="dynamics must be one of"):
        cw.evolve(cw.binomial_start(4), 1.0, 0.0, 1.0, dynamics="sequential-heat-bath")
    with pytest.raises(ValueError, match="t must be >= 0"):
        cw.evolve(cw.binomial_start(4), 1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="integer number of updates"):
        cw.evolve(cw.binomial_start(4), 1.0, 0.0, 1.5, dynamics="random-heat-bath")
    with pytest.raises(ValueError, match="p0 must be non-negative and sum to 1"):
        cw.evolve([0.5, 0.6], 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="p0 must be non-negative and sum to 1"):
        cw.evolve([-0.1, 1.1], 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="length >= 2"):
        cw.evolve([1.0], 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="t must be >= 0"):
        cw.mean_field_magnetization(-0.5, 1.0, 0.0, 0.1)
    with pytest.raises(ValueError, match="m0 must be <= 1"):
        cw.mean_field_magnetization(1.0, 1.0, 0.0, 1.1)
    with pytest.raises(ValueError, match="m0 must be >= -1"):
        cw.binomial_start(5, -2.0)
    with pytest.raises(ValueError, match="m_data must be <= 1"):
        cw.short_run_fixed_point(1.2, 0.5, 1.0, 10)
    with pytest.raises(ValueError, match="q_data must be <= 1"):
        cw.short_run_fixed_point(0.2, 1.5, 1.0, 10)
    with pytest.raises(ValueError, match=r"q_data must be >= m_data\*\*2"):
        cw.short_run_fixed_point(0.5, 0.2, 1.0, 10)
    with pytest.raises(ValueError, match="k must be >= 0"):
        cw.short_run_fixed_point(0.1, 0.2, -1.0, 10)
    with pytest.raises(TypeError, match="k must be an integer"):
        cw.short_run_fixed_point(0.1, 0.2, 1.5, 10, dynamics="random-heat-bath")
    with pytest.raises(ValueError, match=r"p0 must have length n \+ 1 = 11"):
        cw.short_run_fixed_point(0.1, 0.2, 1.0, 10, p0=cw.binomial_start(9))
    with pytest.raises(ValueError, match="bound must be > 0"):
        cw.short_run_fixed_point(0.1, 0.2, 1.0, 10, bound=-1.0)
    with pytest.raises(ValueError, match="tol must be > 0"):
        cw.short_run_fixed_point(0.1, 0.2, 1.0, 10, tol=0.0)
    with pytest.raises(ValueError, match="last axis of length"):
        cw.moments(np.array([1.0]))


# ----------------------------------------------------------------------------- simulation (z-scores)

def _z_law(samples_n_plus, p):
    """z-scores of the empirical law of n_+ against p, on the bins with p * M >= 20."""
    M = samples_n_plus.size
    freq = np.bincount(samples_n_plus, minlength=p.size) / M
    keep = p * M >= 20
    return (freq[keep] - p[keep]) / np.sqrt(p[keep] * (1 - p[keep]) / M)


def _z_moments(s, p):
    n = s.shape[1]
    M = s.sum(axis=1).astype(float) / n
    m, q = cw.moments(p)
    x = np.stack([M, M * M], axis=1)
    mean, se = mean_se(x)
    return (mean - np.array([m, q])) / se


@pytest.mark.parametrize("dynamics, t", [("glauber", 1.2), ("random-heat-bath", 30)])
def test_simulation_matches_birth_death_law(dynamics, t):
    ising = _ising()
    n, J, h, M = 20, 1.4, 0.1, 20000
    s = np.asarray(ising.simulate(cw.couplings(n, J), np.full(n, h), t, M, dynamics=dynamics, seed=11))
    assert s.shape == (M, n)
    n_plus = (s == 1).sum(axis=1)
    p = cw.evolve(cw.binomial_start(n), J, h, t, dynamics=dynamics)
    z = _z_law(n_plus, p)
    zm = _z_moments(s, p)
    assert np.all(np.abs(z) < Z), z
    assert np.all(np.abs(zm) < Z), zm
    # negative control: the same samples reject the law at half the time
    p_wrong = cw.evolve(cw.binomial_start(n), J, h, t / 2 if dynamics == "glauber" else t // 2,
                        dynamics=dynamics)
    assert np.max(np.abs(_z_moments(s, p_wrong))) > Z


def test_simulation_from_a_fixed_start():
    ising = _ising()
    n, J, h, t, M = 16, 0.9, -0.3, 0.8, 20000
    s0 = np.ones((M, n), dtype=np.int8)
    s0[:, :4] = -1                      # n_+ = 12 for every chain
    s = np.asarray(ising.simulate(cw.couplings(n, J), np.full(n, h), t, M, dynamics="glauber", s0=s0, seed=5))
    p0 = np.zeros(n + 1)
    p0[12] = 1.0
    p = cw.evolve(p0, J, h, t)
    assert np.all(np.abs(_z_law((s == 1).sum(axis=1), p)) < Z)
    assert np.all(np.abs(_z_moments(s, p)) < Z)


def test_chains_at_the_short_run_fixed_point_match_data_only_at_t_equal_k():
    """Short-run claim (theory.md 2.1): chains at the fixed point hit the data moments at t = k only."""
    ising = _ising()
    n, k, M = 30, 1.0, 20000
    m_d, q_d = cw.moments(cw.stationary(n, 0.6, 0.25))
    Js, hs = cw.short_run_fixed_point(m_d, q_d, k, n)
    z = {}
    for t in (k, 3 * k):
        s = np.asarray(ising.simulate(cw.couplings(n, Js), np.full(n, hs), t, M, dynamics="glauber", seed=41))
        Mm = s.sum(axis=1) / n
        X = np.stack([Mm, Mm * Mm], axis=1)
        z[t] = (X.mean(axis=0) - np.array([m_d, q_d])) / (X.std(axis=0, ddof=1) / np.sqrt(M))
    assert np.all(np.abs(z[k]) < Z) and np.max(np.abs(z[3 * k])) > Z, z


@pytest.mark.slow
def test_simulation_matches_birth_death_law_at_many_times():
    ising = _ising()
    n, J, h, M = 100, 1.2, 0.05, 20000
    for i, t in enumerate((0.5, 1.0, 2.0, 4.0)):
        s = np.asarray(ising.simulate(cw.couplings(n, J), np.full(n, h), t, M, dynamics="glauber", seed=300 + i))
        p = cw.evolve(cw.binomial_start(n), J, h, t)
        assert np.all(np.abs(_z_law((s == 1).sum(axis=1), p)) < Z)
        assert np.all(np.abs(_z_moments(s, p)) < Z)
