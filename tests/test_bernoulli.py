"""Independent spins: closed forms (theory.md section 4) vs enumeration, transition matrices,
chains and training. Oracles: the tables of theory.md 9.2 (claims B1-B3)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvable import NoFixedPointError, NoFixedPointWarning, bernoulli, ising
from solvable.runaway import RunawayWarning

from solvable.testing import Z_MAX as Z  # suite-wide z tolerance (theory.md section 8)


def _product_law(m0):
    """Law over ising.all_states of independent spins with means m0."""
    S = ising.all_states(m0.size).astype(float)
    return np.prod(0.5 * (1.0 + S * m0), axis=1)


def _k(dyn, k):
    return 0.35 * k if dyn == "glauber" else k


# ======================================================================================
# closed forms vs exact enumeration and the transition matrix
# ======================================================================================
@settings(deadline=None, max_examples=40, derandomize=True)
@given(n=st.integers(1, 4), seed=st.integers(0, 10**6), k=st.integers(0, 7), dyn=st.sampled_from(bernoulli.DYNAMICS),
       scale=st.floats(0.0, 3.0))
def test_magnetization_matches_enumeration(n, seed, k, dyn, scale):
    rng = np.random.default_rng(seed)
    h = rng.normal(0, scale, n)
    m0 = rng.uniform(-1, 1, n)
    t = _k(dyn, k)
    p = ising.evolve(_product_law(m0), np.zeros((n, n)), h, t, dynamics=dyn)
    m_exact = ising.moments(p)[0]
    np.testing.assert_allclose(bernoulli.magnetization(h, t, dynamics=dyn, m0=m0, n=n), m_exact, atol=1e-12)
    T = ising.transition_matrix(np.zeros((n, n)), h, dynamics=dyn).toarray()
    if dyn == "glauber":
        from scipy.linalg import expm

        q = _product_law(m0) @ expm(t * T)
    else:
        q = _product_law(m0) @ np.linalg.matrix_power(T, k)
    np.testing.assert_allclose(ising.moments(q)[0], m_exact, atol=1e-12)


@settings(deadline=None, max_examples=30, derandomize=True)
@given(h=st.floats(-4, 4), m0=st.floats(-1, 1), dyn=st.sampled_from(bernoulli.DYNAMICS), n=st.integers(1, 30))
def test_long_time_limit_and_no_cd_bias_structure(h, m0, dyn, n):
    """m_k - tanh h is proportional to m0 - tanh h (theory.md 4), and m_k -> tanh h (except the
    parity-flipping two-state chains at h = 0, whose eigenvalue is exactly -1)."""
    t = bernoulli.magnetization(h, _k(dyn, 5), dynamics=dyn, m0=np.tanh(h), n=n)
    assert abs(t - np.tanh(h)) < 1e-14  # start at equilibrium: stays (no CD bias)
    a = bernoulli.contraction(h, _k(dyn, 5), dynamics=dyn, n=n)
    assert abs(a) <= 1.0
    if abs(a) < 1 and not (dyn == "random-metropolis" and n <= 2):
        big = bernoulli.magnetization(h, _k(dyn, 4000), dynamics=dyn, m0=m0, n=n)
        assert abs(big - np.tanh(h)) < 1e-9 or abs(h) < 1e-3


def test_theory_9_2_random_scan_and_parallel_metropolis_values():
    assert 1 - (1 - 1 / 4) ** 4 == 0.68359375
    assert bernoulli.short_run_fixed_point(0.2, 4, dynamics="random-heat-bath", n=4) == pytest.approx(0.301376,
                                                                                                     abs=1e-6)
    assert bernoulli.short_run_fixed_point(0.2, 4, dynamics="random-metropolis", n=4) == pytest.approx(0.232289,
                                                                                                      abs=1e-6)
    assert bernoulli.mle(0.2) == pytest.approx(0.202733, abs=1e-6)
    assert bernoulli.magnetization(0.8, 20, dynamics="random-heat-bath", n=20) == pytest.approx(0.42599, abs=1e-5)
    m = [bernoulli.magnetization(0.7, k, dynamics="parallel-metropolis") for k in (1, 2, 3)]
    np.testing.assert_allclose(m, [0.75340, 0.56762, 0.61343], atol=1e-5)


GLAUBER_TABLE = {  # theory.md 9.2, m0 = 0: h*(k) for k = 0.5, 1, 2, 5, 20 (inf: no fixed point), and ML
    0.2: ([0.5604, 0.3276, 0.2356, 0.2041, 0.2027], 0.2027, 0.2231),
    0.6: ([np.inf, 1.8235, 0.8555, 0.6995, 0.6931], 0.6931, 0.9163),
    0.9: ([np.inf, np.inf, np.inf, 1.5053, 1.4722], 1.4722, 2.3026),
}
PMET_TABLE = {  # theory.md 9.2: parallel Metropolis h*(k), k = 1, 2, 3, 4, 5, 10
    0.2: [0.1116, 0.2964, 0.1408, 0.2391, 0.1710, 0.2062],
    0.6: [0.4581, 0.7449, 0.6775, 0.6967, 0.6922, 0.6931],
    0.9: [1.1513, 1.4849, 1.4715, 1.4723, 1.4722, 1.4722],
}


@pytest.mark.parametrize("mD", sorted(GLAUBER_TABLE))
def test_theory_9_2_glauber_table(mD):
    row, ml, kc = GLAUBER_TABLE[mD]
    assert -np.log(1 - mD) == pytest.approx(kc, abs=1e-4)
    got = []
    for k in (0.5, 1, 2, 5, 20):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoFixedPointWarning)
            got.append(float(bernoulli.short_run_fixed_point(mD, k, dynamics="glauber")))
        assert np.isinf(got[-1]) == (k <= kc)
    np.testing.assert_allclose(got, row, atol=1e-4)
    assert bernoulli.mle(mD) == pytest.approx(ml, abs=1e-4)


@pytest.mark.parametrize("mD", sorted(PMET_TABLE))
def test_theory_9_2_parallel_metropolis_table_and_parity(mD):
    ks = (1, 2, 3, 4, 5, 10)
    got = bernoulli.short_run_fixed_point(np.full(6, mD), 1, dynamics="parallel-metropolis")  # vectorised
    assert got.shape == (6,)
    got = [float(bernoulli.short_run_fixed_point(mD, k, dynamics="parallel-metropolis")) for k in ks]
    np.testing.assert_allclose(got, PMET_TABLE[mD], atol=1e-4)
    # closed forms k = 1, 2 (theory.md 4) at 1e-12
    assert got[0] == pytest.approx(-0.5 * np.log(1 - mD), abs=1e-12)
    assert got[1] == pytest.approx(-0.5 * np.log(1 - np.sqrt(mD)), abs=1e-12)
    ml = bernoulli.mle(mD)
    for k in range(1, 8):  # parity: below ML for odd k, above for even k
        hk = float(bernoulli.short_run_fixed_point(mD, k, dynamics="parallel-metropolis"))
        assert (hk < ml) if k % 2 else (hk > ml)


@settings(deadline=None, max_examples=60, derandomize=True)
@given(m=st.floats(-0.99, 0.99), m0=st.floats(-0.9, 0.9), k=st.integers(1, 12), dyn=st.sampled_from(bernoulli.DYNAMICS),
       n=st.integers(1, 10))
def test_short_run_fixed_point_reproduces_data_at_k_only(m, m0, k, dyn, n):
    t = _k(dyn, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoFixedPointWarning)
        hs = float(bernoulli.short_run_fixed_point(m, t, dynamics=dyn, m0=m0, n=n))
    if np.isfinite(hs):
        assert bernoulli.magnetization(hs, t, dynamics=dyn, m0=m0, n=n) == pytest.approx(m, abs=1e-10)
    else:
        # out of reach: the update keeps the sign of the drift for every field
        hgrid = np.linspace(-15, 15, 301)
        gap = m - bernoulli.magnetization(hgrid, t, dynamics=dyn, m0=m0, n=n)
        assert np.all(np.sign(gap) == np.sign(hs))


def test_no_fixed_point_warning_and_direction():
    with pytest.warns(NoFixedPointWarning, match="no finite fixed point"):
        h = bernoulli.short_run_fixed_point([0.9, -0.9, 0.1], 1.0, dynamics="glauber")
    assert h[0] == np.inf and h[1] == -np.inf and np.isfinite(h[2])
    with pytest.warns(NoFixedPointWarning):
        assert bernoulli.short_run_fixed_point(0.5, 1, dynamics="random-metropolis", n=4) == np.inf
    assert bernoulli.short_run_fixed_point(0.2, 1, dynamics="random-metropolis", n=4) > 0  # 1 - q_1 = 0.25


def test_metropolis_magnetization_is_monotone_in_h():
    """theory.md 4 (checked n <= 10, K <= 40): random-scan Metropolis m_K(h) is increasing."""
    h = np.linspace(-6, 6, 2001)
    for n in (1, 2, 3, 5, 10):
        for K in (1, 2, 5, 13, 40):
            m = bernoulli.magnetization(h, K, dynamics="random-metropolis", n=n)
            assert np.all(np.diff(m) > -1e-15), (n, K)


# ======================================================================================
# chains
# ======================================================================================
@pytest.mark.parametrize("dyn", bernoulli.DYNAMICS)
def test_simulate_matches_closed_form(dyn):
    h = np.array([0.7, -0.3, 0.0, 1.5])
    m0 = np.array([0.0, 0.5, -0.8, 0.2])
    M = 100000
    k = _k(dyn, 3)
    x = bernoulli.simulate(h, k, M, dynamics=dyn, m0=m0, seed=2)
    assert x.dtype == np.int8 and x.shape == (M, 4)
    pred = bernoulli.magnetization(h, k, dynamics=dyn, m0=m0, n=4)
    xf = x.astype(float)
    z = (xf.mean(0) - pred) / (xf.std(0, ddof=1) / np.sqrt(M))
    assert np.max(np.abs(z)) < Z, z
    # negative control: one more step is detected
    wrong = bernoulli.magnetization(h, _k(dyn, 4), dynamics=dyn, m0=m0, n=4)
    if dyn not in ("sequential-heat-bath", "parallel-heat-bath"):  # these are exact after one step
        assert np.max(np.abs((xf.mean(0) - wrong) / (xf.std(0, ddof=1) / np.sqrt(M)))) > Z


def test_simulate_theory_9_2_short_run_chains():
    """theory.md 9.2: chains at h*(n = 4, K = 4, m_D = 0.2) reproduce m_D at K (heat bath and Metropolis)."""
    for dyn in ("random-heat-bath", "random-metropolis"):
        hs = bernoulli.short_run_fixed_point(0.2, 4, dynamics=dyn, n=4)
        x = bernoulli.simulate(np.full(4, hs), 4, 100000, dynamics=dyn, seed=1).astype(float)
        m = x.mean(axis=1)
        assert abs(m.mean() - 0.2) < Z * m.std(ddof=1) / np.sqrt(m.size)


def test_simulate_reproducible():
    a = bernoulli.simulate([0.1, 0.2], 5, 50, dynamics="random-metropolis", seed=4)
    assert np.array_equal(a, bernoulli.simulate([0.1, 0.2], 5, 50, dynamics="random-metropolis", seed=4))
    assert not np.array_equal(a, bernoulli.simulate([0.1, 0.2], 5, 50, dynamics="random-metropolis", seed=5))


# ======================================================================================
# training
# ======================================================================================
MD = np.array([0.3, -0.5, 0.1])


@pytest.mark.parametrize("dyn", ["glauber", "random-metropolis", "parallel-metropolis"])
def test_train_exact_engine_fixed_points(dyn):
    """Exact engine: short-run -> short_run_fixed_point; CD-k and PCD -> ML (no CD bias, B3)."""
    k = _k(dyn, 4)
    sr = bernoulli.train(MD, scheme="short-run", k=k, dynamics=dyn, lr=0.5, n_iter=800, engine="exact",
                         progress=False)
    np.testing.assert_allclose(sr.h, bernoulli.short_run_fixed_point(MD, k, dynamics=dyn, n=3), atol=1e-9)
    # parallel Metropolis at h = 0 flips every spin at every step (eigenvalue -w = -1): with even k
    # CD sees no change at all, so training must not start exactly at h = 0 (see below)
    h0 = 0.01 * np.sign(MD) if dyn == "parallel-metropolis" else None
    for scheme in ("cd", "pcd"):
        res = bernoulli.train(MD, scheme=scheme, k=k, dynamics=dyn, lr=0.5, n_iter=800, engine="exact",
                              h0=h0, progress=False)
        np.testing.assert_allclose(res.h, bernoulli.mle(MD), atol=1e-9)


def test_cd_parallel_metropolis_even_k_is_stuck_at_zero_field():
    """Finding beyond theory.md 4: the CD-k update is (1 - a_k(h)) (m_D - tanh h) with
    a_k = (-e^{-2|h|})^k, which vanishes at h = 0 for even k: h = 0 is a spurious stationary
    point of CD with parallel Metropolis, half-stable: it attracts from the side opposite to
    m_D and repels on the side of m_D. Near 0 the discrete update maps h = -sign(m_D) x to
    -sign(m_D) x r with r = 1 - 4 lr |m_D| + O(x). For 0 < r < 1 the approach is geometric and
    never crosses 0; for r <= 0 it overshoots onto the repelling side and escapes to the MLE.

    (The former version of this test used lr = 0.5 with m_D = -0.5, i.e. r = 0 exactly: the
    sign of the O(x^2) and rounding terms decided whether that spin crossed 0, so it escaped on
    one numpy version and not on another, and the other spins ended at 1e-17, where
    e^{-4|h|} == 1.0 in float64 and the computed update is a 1-ulp rounding error.)"""
    # exactly at h = 0: a_2 = 1 exactly and the update is exactly 0
    res = bernoulli.train(MD, scheme="cd", k=2, dynamics="parallel-metropolis", lr=0.5, n_iter=50, engine="exact",
                          progress=False)
    assert np.all(res.h == 0.0)
    # 0 < r < 1 (lr = 0.2: r = 0.76, 0.6, 0.92): geometric approach from the opposite side, |h| >> 1e-16
    lr = 0.2
    res = bernoulli.train(MD, scheme="cd", k=2, dynamics="parallel-metropolis", lr=lr, n_iter=40, engine="exact",
                          h0=-0.1 * np.sign(MD), progress=False)
    H = res.history["params"]["h"]
    assert np.all(np.sign(H) == -np.sign(MD)) and np.all(np.abs(H) > 1e-12)
    assert np.all(np.diff(np.abs(H), axis=0) < 0)
    a = bernoulli.contraction(H[:-1], 2, dynamics="parallel-metropolis")
    np.testing.assert_allclose(H[1:], H[:-1] + lr * (1 - a) * (MD - np.tanh(H[:-1])), rtol=1e-12, atol=1e-15)
    r = 1 - 4 * lr * np.abs(MD)  # linear factor; the O(x) correction is below 5 |h|
    assert np.all(np.abs(np.abs(H[-1] / H[-2]) - r) < 5 * np.abs(H[-2]) + 1e-6)  # 1e-6: rounding of the update
    # the side of m_D repels: a start 1e-9 across 0 escapes to the MLE
    res = bernoulli.train(MD, scheme="cd", k=2, dynamics="parallel-metropolis", lr=lr, n_iter=1500, engine="exact",
                          h0=1e-9 * np.sign(MD), progress=False)
    np.testing.assert_allclose(res.h, bernoulli.mle(MD), atol=1e-9)
    # r < 0 for the spin with m_D = -0.5 (lr = 0.75: r = -0.5): it overshoots across 0 and escapes;
    # the others (r = 0.1, 0.7) are trapped
    res = bernoulli.train(MD, scheme="cd", k=2, dynamics="parallel-metropolis", lr=0.75, n_iter=400, engine="exact",
                          h0=-0.1 * np.sign(MD), progress=False)
    np.testing.assert_allclose(res.h[1], bernoulli.mle(MD)[1], atol=1e-9)
    assert np.all(np.abs(res.h[[0, 2]]) < 1e-6) and np.all(np.sign(res.h[[0, 2]]) != np.sign(MD[[0, 2]]))
    res = bernoulli.train(MD, scheme="cd", k=3, dynamics="parallel-metropolis", lr=0.5, n_iter=800, engine="exact",
                          progress=False)
    np.testing.assert_allclose(res.h, bernoulli.mle(MD), atol=1e-9)  # odd k: no trap


def test_train_exact_diverges_without_fixed_point():
    """B2: |m_D| >= 1 - e^{-k}: train refuses before training (the closed form has no fixed point);
    forced with on_no_fixed_point="warn", |h| grows monotonically (linearly: a RunawayWarning),
    and the residual stays positive."""
    with pytest.raises(NoFixedPointError, match="no finite fixed point") as err:
        bernoulli.train([0.8], scheme="short-run", k=1.0, dynamics="glauber", lr=0.5, n_iter=400,
                        engine="exact", progress=False)
    with pytest.warns(NoFixedPointWarning) as rec:  # the same message as the closed-form solver
        bernoulli.short_run_fixed_point(0.8, 1.0, dynamics="glauber")
    assert str(rec[0].message).split(": ", 1)[1] in str(err.value)
    with pytest.warns(NoFixedPointWarning, match="no finite fixed point"), pytest.warns(RunawayWarning):
        res = bernoulli.train([0.8], scheme="short-run", k=1.0, dynamics="glauber", lr=0.5, n_iter=400,
                              engine="exact", progress=False, on_no_fixed_point="warn")
    h = res.history["params"]["h"][:, 0]
    assert np.all(np.diff(h) > 0) and h[-1] > 10
    assert res.history["error"].min() > 0.8 - (1 - np.exp(-1)) - 1e-12


def test_train_simulate_lands_on_exact_fixed_points():
    """Short-run (random-scan Metropolis) and CD-1 with chains, from samples: tail averages within
    z batch-means SE of the exact fixed points of the empirical magnetisations."""
    rng = np.random.default_rng(0)
    data = np.where(rng.random((2000, 3)) < 0.5 * (1 + MD), 1, -1).astype(np.int8)
    mD = data.mean(axis=0)
    for scheme, target in (("short-run", bernoulli.short_run_fixed_point(mD, 6, dynamics="random-metropolis", n=3)),
                           ("cd", bernoulli.mle(mD))):
        # expected-update slope ~ sech^2(h) >= 0.7, lr = 0.5: tau <= 3 iterations; 10 batches of 60 ~ 20 tau
        res = bernoulli.train(data, scheme=scheme, k=6, dynamics="random-metropolis", lr=0.5, n_iter=1200,
                              n_chains=500, seed=1, progress=False)
        mean, se = res.tail_mean(0.5, 10)["h"]
        z = (mean - target) / se
        assert np.max(np.abs(z)) < Z, (scheme, z)
    # negative control: the short-run chains do not land on the MLE
    assert np.max(np.abs((res.tail_mean(0.5, 10)["h"][0] - bernoulli.short_run_fixed_point(
        mD, 6, dynamics="random-metropolis", n=3)) / se)) > Z


def test_compare_matches_at_k_only():
    k = 2
    hs = bernoulli.short_run_fixed_point(MD, k, dynamics="random-heat-bath", n=3)
    cmp = bernoulli.compare(MD, hs, k, dynamics="random-heat-bath", n_chains=50000, seed=0)
    t = list(cmp.times)
    assert np.max(np.abs(cmp.z_exact)) < Z
    assert np.max(np.abs(cmp.z_data[t.index(k)])) < Z
    assert cmp.exact_error_data()[t.index(k)] < 1e-12
    assert cmp.exact_error_data()[t.index(k + 1)] > 1e-2 and cmp.equilibrium_error() > 1e-2
    assert np.max(np.abs(cmp.z_data[t.index(4 * k)])) > Z


# ======================================================================================
# errors
# ======================================================================================
def test_error_paths():
    with pytest.raises(ValueError, match="n .*is required"):
        bernoulli.magnetization(0.1, 2, dynamics="random-heat-bath")
    with pytest.raises(ValueError, match="dynamics must be one of"):
        bernoulli.magnetization(0.1, 2, dynamics="gibbs")
    with pytest.raises(ValueError, match="k must be >= 0"):
        bernoulli.magnetization(0.1, -1, dynamics="glauber")
    with pytest.raises(ValueError, match="integer number of parallel steps"):
        bernoulli.magnetization(0.1, 0.5, dynamics="parallel-metropolis")
    with pytest.raises(ValueError, match="m0 must lie in"):
        bernoulli.magnetization(0.1, 1, dynamics="glauber", m0=1.5)
    with pytest.raises(ValueError, match="m must lie in"):
        bernoulli.short_run_fixed_point(1.2, 1, dynamics="glauber")
    with pytest.raises(ValueError, match="k must be > 0"):
        bernoulli.short_run_fixed_point(0.2, 0, dynamics="glauber")
    with pytest.raises(ValueError, match="n_chains must be >= 1"):
        bernoulli.simulate([0.1], 1, 0, dynamics="glauber")
    with pytest.raises(ValueError, match="spins -1 and \\+1"):
        bernoulli.train(np.array([[0, 1], [1, 1]]), scheme="cd", k=1, dynamics="glauber", lr=0.1, n_iter=1,
                        n_chains=2)
    with pytest.raises(ValueError, match="n_chains is required"):
        bernoulli.train(MD, scheme="cd", k=1, dynamics="glauber", lr=0.1, n_iter=1)
    with pytest.raises(ValueError, match="scheme must be one of"):
        bernoulli.train(MD, scheme="ml", k=1, dynamics="glauber", lr=0.1, n_iter=1, engine="exact")
    with pytest.raises(ValueError, match="k must be > 0"):
        bernoulli.train(MD, scheme="cd", k=0, dynamics="glauber", lr=0.1, n_iter=1, engine="exact")
    with pytest.raises(ValueError, match="NaN"):
        bernoulli.magnetization(np.nan, 1, dynamics="glauber")


@pytest.mark.slow
def test_theory_9_2_monte_carlo_numbers():
    """theory.md 9.2: random scan n = 4, K = 4 at h* (4e5 chains, m = 0.2003 +- 0.0008 / 0.1999 +- 0.0008);
    parallel Metropolis at h = 0.7, m_3 = 0.61343 (4e6 chains, SE 0.0004)."""
    for dyn in ("random-heat-bath", "random-metropolis"):
        hs = bernoulli.short_run_fixed_point(0.2, 4, dynamics=dyn, n=4)
        m = bernoulli.simulate(np.full(4, hs), 4, 400000, dynamics=dyn, seed=7).mean(axis=1, dtype=float)
        assert abs(m.mean() - 0.2) < Z * m.std(ddof=1) / np.sqrt(m.size)
    x = bernoulli.simulate([0.7], 3, 4_000_000, dynamics="parallel-metropolis", seed=8)[:, 0].astype(float)
    pred = bernoulli.magnetization(0.7, 3, dynamics="parallel-metropolis")
    assert abs(x.mean() - pred) < Z * x.std(ddof=1) / np.sqrt(x.size)


def test_train_refuses_when_closed_form_has_no_fixed_point():
    """Issue 13 section 2: m_D = 0.98, k = 1, glauber used to return h = 35.5 silently. Now
    NoFixedPointError before training (engine simulate too); |m_D| = 1 for CD (MLE infinite);
    a reachable m_D trains without any warning (the runaway detector stays quiet on convergence)."""
    with pytest.raises(NoFixedPointError, match="no finite fixed point"):
        bernoulli.train([0.98], scheme="short-run", k=1, dynamics="glauber", lr=0.5, n_iter=200, n_chains=100,
                        progress=False)
    with pytest.raises(NoFixedPointError, match="MLE"):
        bernoulli.train([1.0, 0.2], scheme="cd", k=1, dynamics="glauber", lr=0.5, n_iter=200, engine="exact",
                        progress=False)
    with pytest.raises(ValueError, match="on_no_fixed_point must be one of"):
        bernoulli.train([0.5], scheme="cd", k=1, dynamics="glauber", lr=0.5, n_iter=2, engine="exact",
                        progress=False, on_no_fixed_point="yes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = bernoulli.train([0.6], scheme="short-run", k=1.0, dynamics="glauber", lr=0.5, n_iter=3000,
                              engine="exact", progress=False)
    np.testing.assert_allclose(res.h, bernoulli.short_run_fixed_point(0.6, 1.0, dynamics="glauber"), atol=1e-9)
    # a tiny learning rate that never gets near the fixed point: constant-speed approach = flagged (documented)
    with pytest.warns(RunawayWarning, match="too far for this learning rate"):
        bernoulli.train([0.6], scheme="short-run", k=1.0, dynamics="glauber", lr=2e-3, n_iter=400,
                        engine="exact", progress=False)
