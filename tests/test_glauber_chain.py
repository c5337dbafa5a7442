"""Tests of solvable.glauber_chain (theory.md sections 5.3, 8 claim C3, 9.6).

Independent routes: the 2^N master equation (solvable.ising.evolve, dynamics="glauber"),
the Boltzmann law by enumeration (solvable.ising.boltzmann), a long ring versus the
Bessel formula, and Numba chains (solvable.ising.simulate) with z-score tolerances.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvable import NoFixedPointError
from solvable import glauber_chain as gc

from solvable.testing import Z_MAX as Z  # suite-wide z tolerance (theory.md section 8)
from solvable.testing import mean_se
ZETA06 = np.tanh(0.6)

kappas = st.floats(-2.0, 2.0, allow_nan=False)
times = st.floats(0.0, 8.0, allow_nan=False)


def _ising():
    return pytest.importorskip("solvable.ising")


# ----------------------------------------------------------------------------- oracle numbers (theory.md 9.6)

def test_oracle_ring8_and_infinite_chain():
    assert gc.pair_correlations(1.0, 0.6, 8)[1] == pytest.approx(0.385218, abs=5e-7)
    assert float(gc.infinite_chain_correlation(1.0, 0.6, 1)) == pytest.approx(0.3852073940, abs=5e-11)


def test_oracle_sup_nn_correlation():
    sup = gc.sup_nn_correlation(np.array([0.5, 1.0, 2.0, 5.0]))
    np.testing.assert_allclose(sup, [0.32633, 0.47622, 0.61425, 0.75090], atol=5e-6)
    # the algebraic approach 1 - 1/sqrt(pi t) (leading order)
    t = 400.0
    assert float(gc.sup_nn_correlation(t)) == pytest.approx(1 - 1 / np.sqrt(np.pi * t), abs=1e-4)


@pytest.mark.parametrize("k, kappa_star", [(2, 0.76956), (5, 0.61425), (20, 0.60002)])
def test_oracle_short_run_fixed_point(k, kappa_star):
    ks = gc.short_run_fixed_point(ZETA06, k)
    assert ks == pytest.approx(kappa_star, abs=5e-6)
    # round trip: the closed form at kappa* reproduces the data
    assert float(gc.infinite_chain_correlation(k, ks, 1)) == pytest.approx(ZETA06, abs=1e-13)


@pytest.mark.parametrize("k", [0.0, 0.5, 1.0])
def test_oracle_no_fixed_point_for_short_runs(k):
    bound = float(gc.sup_nn_correlation(k))
    with pytest.raises(NoFixedPointError, match=f"{bound:.6g}"):
        gc.short_run_fixed_point(ZETA06, k)


# ----------------------------------------------------------------------------- master equation (claim C3)

def _exact_pairs(ising, p, N):
    """G_r (r = 0..N) and <s_i> of a law p over ising.all_states(N)."""
    s = np.asarray(ising.all_states(N))
    return p @ gc.ring_pair_statistics(s), p @ s.astype(float)


@pytest.mark.parametrize("kappa, N", [(0.6, 8), (-0.45, 8), (0.9, 7), (-0.7, 7), (0.3, 3)])
def test_pair_ode_equals_master_equation_uniform_start(kappa, N):
    ising = _ising()
    J = gc.ring_couplings(kappa, N)
    p0 = np.full(2 ** N, 2.0 ** -N)
    ts = np.array([0.0, 0.3, 1.0, 2.5])
    G = gc.pair_correlations(ts, kappa, N)
    for t, Gt in zip(ts, G):
        p = ising.evolve(p0, J, np.zeros(N), t, dynamics="glauber")
        Ge, _ = _exact_pairs(ising, np.asarray(p), N)
        np.testing.assert_allclose(Gt, Ge, rtol=0, atol=1e-12)


def test_pair_ode_equals_master_equation_arbitrary_start():
    """The ring-averaged G_r closes for ANY start law (not translation invariant here)."""
    ising = _ising()
    N, kappa = 8, 0.6
    rng = np.random.default_rng(4)
    p0 = rng.dirichlet(np.ones(2 ** N))
    G0, m0 = _exact_pairs(ising, p0, N)
    J = gc.ring_couplings(kappa, N)
    for t in (0.4, 1.7):
        p = np.asarray(ising.evolve(p0, J, np.zeros(N), t, dynamics="glauber"))
        Ge, me = _exact_pairs(ising, p, N)
        np.testing.assert_allclose(gc.pair_correlations(t, kappa, N, G0=G0), Ge, rtol=0, atol=1e-12)
        np.testing.assert_allclose(gc.site_magnetization(t, kappa, m0), me, rtol=0, atol=1e-12)


def test_uniform_magnetization_equals_master_equation():
    ising = _ising()
    N, kappa, m0 = 7, 0.8, 0.4
    s = np.asarray(ising.all_states(N)).astype(float)
    p0 = np.prod((1 + m0 * s) / 2, axis=1)   # independent spins of mean m0
    p = np.asarray(ising.evolve(p0, gc.ring_couplings(kappa, N), np.zeros(N), 1.3, dynamics="glauber"))
    np.testing.assert_allclose(p @ s, gc.magnetization(1.3, kappa, m0), rtol=0, atol=1e-12)


def test_site_magnetization_uniform_matches_magnetization():
    t = np.array([0.0, 0.5, 2.0])
    np.testing.assert_allclose(gc.site_magnetization(t, 0.7, np.full(9, -0.3)),
                               np.repeat(gc.magnetization(t, 0.7, -0.3)[:, None], 9, axis=1), atol=1e-15)


# ----------------------------------------------------------------------------- equilibrium

@pytest.mark.parametrize("kappa, N", [(0.6, 8), (-0.6, 8), (1.1, 7), (-0.5, 5)])
def test_ring_equilibrium_equals_enumeration(kappa, N):
    ising = _ising()
    p = np.asarray(ising.boltzmann(gc.ring_couplings(kappa, N), np.zeros(N)))
    G, m = _exact_pairs(ising, p, N)
    np.testing.assert_allclose(gc.ring_equilibrium(kappa, N), G, rtol=0, atol=1e-13)
    np.testing.assert_allclose(m, 0.0, atol=1e-14)


@settings(deadline=None, max_examples=40)
@given(kappa=kappas, N=st.integers(3, 40))
def test_ode_steady_state_is_ring_equilibrium(kappa, N):
    # slowest pair mode decays like exp(-2 (1 - |Gamma| cos(pi/N)) t)
    rate = 2 * (1 - abs(np.tanh(2 * kappa)) * np.cos(np.pi / N))
    t = 40.0 / rate
    np.testing.assert_allclose(gc.pair_correlations(t, kappa, N), gc.ring_equilibrium(kappa, N),
                               rtol=0, atol=1e-11)


@settings(deadline=None, max_examples=30)
@given(kappa=st.floats(-1.2, 1.2), r=st.integers(0, 6))
def test_infinite_chain_tends_to_zeta_power(kappa, r):
    rate = 2 * (1 - abs(np.tanh(2 * kappa)))     # slowest decay exp(-2 (1 - |Gamma|) t)
    t = 40.0 / rate
    assert float(gc.infinite_chain_correlation(t, kappa, r)) == pytest.approx(np.tanh(kappa) ** r, abs=1e-8)


# ----------------------------------------------------------------------------- Bessel formula

@pytest.mark.parametrize("kappa", [0.6, -0.4, 1.5])
def test_bessel_equals_long_ring(kappa):
    ts = np.array([0.0, 0.5, 1.0, 3.0])
    ring = gc.pair_correlations(ts, kappa, 300)
    for r in (1, 2, 5, 11):
        np.testing.assert_allclose(gc.infinite_chain_correlation(ts, kappa, r), ring[:, r], rtol=0, atol=1e-10)


def test_bessel_vectorises_and_has_uniform_start():
    ts = np.array([0.0, 0.7, 2.0])
    rs = np.array([1, 2, 3])
    both = gc.infinite_chain_correlation(ts, 0.6, rs)
    assert both.shape == (3,)
    assert both[0] == 0.0
    for i in range(3):
        assert both[i] == float(gc.infinite_chain_correlation(ts[i], 0.6, int(rs[i])))
    assert float(gc.infinite_chain_correlation(2.0, 0.6, 0)) == pytest.approx(1.0, abs=1e-15)


def test_sup_is_the_strong_coupling_limit():
    ts = np.array([0.1, 1.0, 5.0, 30.0])
    np.testing.assert_allclose(gc.infinite_chain_correlation(ts, 25.0, 1), gc.sup_nn_correlation(ts),
                               rtol=0, atol=1e-12)
    lo, hi = gc.nn_correlation_bounds(1.0)
    assert (lo, hi) == (-float(gc.sup_nn_correlation(1.0)), float(gc.sup_nn_correlation(1.0)))
    # a long ring has (numerically) the infinite-chain bounds; an odd ring is frustrated
    lo300, hi300 = gc.nn_correlation_bounds(1.0, N=300)
    assert hi300 == pytest.approx(hi, abs=1e-10) and lo300 == pytest.approx(lo, abs=1e-10)
    lo7, hi7 = gc.nn_correlation_bounds(1.0, N=7)
    assert lo7 > -hi7


# ----------------------------------------------------------------------------- properties

@settings(deadline=None, max_examples=60)
@given(kappa=kappas, t=times, N=st.integers(3, 30))
def test_correlations_are_bounded(kappa, t, N):
    G = gc.pair_correlations(t, kappa, N)
    assert np.all(np.abs(G) <= 1 + 1e-12)
    assert G[0] == 1.0 and G[N] == 1.0
    np.testing.assert_allclose(G, G[::-1], atol=1e-13)   # reflection symmetry from the uniform start
    Gi = gc.infinite_chain_correlation(t, kappa, np.arange(0, 8))
    assert np.all(np.abs(Gi) <= 1 + 1e-12)


@settings(deadline=None, max_examples=60)
@given(k1=kappas, k2=kappas, t=st.floats(0.01, 8.0))
def test_nn_correlation_increases_with_kappa(k1, k2, t):
    lo, hi = sorted((k1, k2))
    g_lo = float(gc.infinite_chain_correlation(t, lo, 1))
    g_hi = float(gc.infinite_chain_correlation(t, hi, 1))
    assert g_lo <= g_hi + 1e-14
    assert gc.pair_correlations(t, lo, 12)[1] <= gc.pair_correlations(t, hi, 12)[1] + 1e-14
    assert g_hi < float(gc.sup_nn_correlation(t))


@settings(deadline=None, max_examples=40)
@given(kappa=kappas, t=times)
def test_sublattice_symmetry(kappa, t):
    r = np.arange(1, 7)
    sign = (-1.0) ** r
    np.testing.assert_allclose(gc.infinite_chain_correlation(t, -kappa, r),
                               sign * gc.infinite_chain_correlation(t, kappa, r), atol=1e-14)
    np.testing.assert_allclose(gc.pair_correlations(t, -kappa, 10)[1:7], sign * gc.pair_correlations(t, kappa, 10)[1:7],
                               atol=1e-13)


@settings(deadline=None, max_examples=40)
@given(kappa=st.floats(-1.5, 1.5), k=st.floats(0.2, 10.0))
def test_fixed_point_round_trip(kappa, k):
    data = float(gc.infinite_chain_correlation(k, kappa, 1))
    ks = gc.short_run_fixed_point(data, k)
    assert float(gc.infinite_chain_correlation(k, ks, 1)) == pytest.approx(data, abs=1e-13)
    # d G_1 / d kappa is O(1) here, so kappa is recovered to about the same accuracy
    assert ks == pytest.approx(kappa, abs=1e-8)


def test_fixed_point_on_a_ring():
    for N, k, kappa in [(8, 1.0, 0.6), (7, 2.0, -0.8), (40, 3.0, 1.0)]:
        data = gc.pair_correlations(k, kappa, N)[1]
        ks = gc.short_run_fixed_point(data, k, N=N)
        assert gc.pair_correlations(k, ks, N)[1] == pytest.approx(data, abs=1e-13)
        assert ks == pytest.approx(kappa, abs=1e-8)
    # finite ring and infinite chain differ only through the images (tiny at N = 40)
    assert gc.short_run_fixed_point(ZETA06, 5.0, N=40) == pytest.approx(gc.short_run_fixed_point(ZETA06, 5.0), abs=1e-9)


def test_negative_data_fixed_point_and_lower_bound():
    assert gc.short_run_fixed_point(-0.3, 1.0) == pytest.approx(-gc.short_run_fixed_point(0.3, 1.0), abs=1e-14)
    with pytest.raises(NoFixedPointError, match="inf_kappa"):
        gc.short_run_fixed_point(-ZETA06, 1.0)
    lo7, _ = gc.nn_correlation_bounds(1.0, N=7)
    with pytest.raises(NoFixedPointError, match="ring of N=7"):
        gc.short_run_fixed_point(lo7 - 1e-6, 1.0, N=7)


# ----------------------------------------------------------------------------- error paths

def test_error_paths():
    with pytest.raises(ValueError, match="t must be >= 0"):
        gc.pair_correlations(-0.1, 0.6, 8)
    with pytest.raises(ValueError, match="t must be >= 0"):
        gc.infinite_chain_correlation(np.array([1.0, -1.0]), 0.6)
    with pytest.raises(ValueError, match="t must be >= 0"):
        gc.magnetization(-1.0, 0.6)
    with pytest.raises(ValueError, match="t must be >= 0"):
        gc.sup_nn_correlation(-2.0)
    with pytest.raises(ValueError, match="kappa must be finite"):
        gc.pair_correlations(1.0, np.inf, 8)
    with pytest.raises(TypeError, match="kappa must be a real number"):
        gc.gamma("0.6")
    with pytest.raises(ValueError, match="N must be >= 3"):
        gc.pair_correlations(1.0, 0.6, 2)
    with pytest.raises(TypeError, match="N must be an integer"):
        gc.ring_equilibrium(0.6, 8.5)
    with pytest.raises(ValueError, match="N must be >= 3"):
        gc.ring_couplings(0.6, 1)
    with pytest.raises(ValueError, match=r"G0 must have shape \(N \+ 1,\)"):
        gc.pair_correlations(1.0, 0.6, 8, G0=np.ones(8))
    with pytest.raises(ValueError, match="G0\\[0\\] and G0\\[N\\] must equal 1"):
        gc.pair_correlations(1.0, 0.6, 4, G0=[1, 0.2, 0.1, 0.2, 0.9])
    with pytest.raises(ValueError, match=r"G0 must have every entry in \[-1, 1\]"):
        gc.pair_correlations(1.0, 0.6, 4, G0=[1, 1.2, 0.1, 0.2, 1])
    with pytest.raises(ValueError, match="r must be >= 0"):
        gc.infinite_chain_correlation(1.0, 0.6, -1)
    with pytest.raises(TypeError, match="r must be a non-negative integer"):
        gc.infinite_chain_correlation(1.0, 0.6, 1.5)
    with pytest.raises(ValueError, match=r"m0 must be <= 1"):
        gc.magnetization(1.0, 0.6, 1.5)
    with pytest.raises(ValueError, match=r"m0 must have every entry in \[-1, 1\]"):
        gc.site_magnetization(1.0, 0.6, [0.0, 2.0, 0.0])
    with pytest.raises(ValueError, match=r"G1_data must be in \(-1, 1\)"):
        gc.short_run_fixed_point(1.0, 5.0)
    with pytest.raises(ValueError, match="k must be >= 0"):
        gc.short_run_fixed_point(0.3, -1.0)
    with pytest.raises(ValueError, match="only spins -1 and \\+1"):
        gc.ring_pair_statistics([1, 0, 1])


def test_ring_pair_statistics():
    s = np.array([[1, 1, -1, -1], [1, -1, 1, -1]])
    np.testing.assert_array_equal(gc.ring_pair_statistics(s), [[1, 0, -1, 0, 1], [1, -1, 1, -1, 1]])
    np.testing.assert_array_equal(gc.ring_pair_statistics(s[1]), [1, -1, 1, -1, 1])


# ----------------------------------------------------------------------------- simulation (z-scores)

def _sample_stats(x):
    return mean_se(np.asarray(x, float))


def test_simulation_matches_pair_correlations_from_uniform_start():
    ising = _ising()
    N, kappa, t, M = 64, 0.6, 1.0, 4000
    s = ising.simulate(gc.ring_couplings(kappa, N), np.zeros(N), t, M, dynamics="glauber", seed=2024)
    s = np.asarray(s)
    assert s.shape == (M, N)
    mean, se = _sample_stats(gc.ring_pair_statistics(s)[:, 1:5])
    pred = gc.pair_correlations(t, kappa, N)[1:5]
    z = (mean - pred) / se
    assert np.all(np.abs(z) < Z), z
    # negative control: the same samples reject a nearby coupling
    wrong = gc.pair_correlations(t, 0.5, N)[1:5]
    assert np.max(np.abs((mean - wrong) / se)) > Z


def test_simulation_matches_magnetization_from_all_up():
    ising = _ising()
    N, kappa, t, M = 32, 0.6, 0.8, 4000
    s0 = np.ones((M, N), dtype=np.int8)
    s = np.asarray(ising.simulate(gc.ring_couplings(kappa, N), np.zeros(N), t, M, dynamics="glauber",
                                  s0=s0, seed=7)).astype(float)
    m_mean, m_se = _sample_stats(s.mean(axis=1)[:, None])
    z_m = (m_mean[0] - float(gc.magnetization(t, kappa, 1.0))) / m_se[0]
    G_mean, G_se = _sample_stats(gc.ring_pair_statistics(s)[:, 1:4])
    z_G = (G_mean - gc.pair_correlations(t, kappa, N, G0=np.ones(N + 1))[1:4]) / G_se
    assert abs(z_m) < Z and np.all(np.abs(z_G) < Z), (z_m, z_G)
    # negative control: at the same time, free spins (kappa = 0) decay faster
    assert abs((m_mean[0] - float(gc.magnetization(t, 0.0, 1.0))) / m_se[0]) > Z


def test_chains_at_kappa_star_match_data_only_at_t_equal_k():
    """Short-run claim (theory.md 2.1) on the Glauber chain: at kappa*(k) chains hit G1_data at t = k only."""
    ising = _ising()
    N, k, M = 64, 2.0, 4000
    ks = gc.short_run_fixed_point(ZETA06, k, N=N)
    J = gc.ring_couplings(ks, N)
    z = {}
    for t in (k, 2 * k):
        s = np.asarray(ising.simulate(J, np.zeros(N), t, M, dynamics="glauber", seed=31))
        mean, se = _sample_stats(gc.ring_pair_statistics(s)[:, 1:2])
        z[t] = (mean[0] - ZETA06) / se[0]
    assert abs(z[k]) < Z and abs(z[2 * k]) > Z, z
    assert abs(np.tanh(ks) - ZETA06) > 0.1          # the model's own equilibrium misses the data


@pytest.mark.slow
def test_simulation_matches_closed_forms_at_many_times():
    ising = _ising()
    N, kappa, M = 128, 0.8, 20000
    J = gc.ring_couplings(kappa, N)
    ts = np.array([0.25, 0.5, 1.0, 2.0, 4.0])
    zs = []
    for i, t in enumerate(ts):
        s = np.asarray(ising.simulate(J, np.zeros(N), t, M, dynamics="glauber", seed=100 + i))
        mean, se = _sample_stats(gc.ring_pair_statistics(s)[:, 1:6])
        zs.append((mean - gc.pair_correlations(t, kappa, N)[1:6]) / se)
        s = np.asarray(ising.simulate(J, np.zeros(N), t, M, dynamics="glauber", s0=np.ones(N, np.int8),
                                      seed=200 + i)).astype(float)
        mean, se = _sample_stats(s.mean(axis=1)[:, None])
        zs.append((mean - gc.magnetization(t, kappa, 1.0)) / se)
    zs = np.concatenate(zs)
    assert np.all(np.abs(zs) < Z), zs
