"""Gaussian EBM: closed forms against independent routes, simulation, training, comparison."""
import warnings

import numba
import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

import solvable
from solvable import gaussian as G
from tests.strategies import Z, orthogonal, spd_matrices, symmetric_matrices, vectors, zscores

HYP = settings(deadline=None, max_examples=60)


# --------------------------------------------------------------------------------------
# independent routes
# --------------------------------------------------------------------------------------
def ula_recursion(J, h, k, eta, m0, C0):
    """Step-by-step moment recursion of ULA: mu <- A mu + eta h, C <- A C A + 2 eta I."""
    A = np.eye(len(h)) - eta * J
    mu, C = m0.copy(), C0.copy()
    for _ in range(k):
        mu = A @ mu + eta * h
        C = A @ C @ A + 2 * eta * np.eye(len(h))
    return mu, C


def ou_van_loan(J, h, t, m0, C0):
    """Continuous-time moments from matrix exponentials of block matrices (Van Loan 1978)."""
    d = len(h)
    # mean: d/dt [mu; 1] = [[-J, h], [0, 0]] [mu; 1]
    B = np.zeros((d + 1, d + 1))
    B[:d, :d] = -J
    B[:d, d] = h
    mu = (expm(B * t) @ np.append(m0, 1.0))[:d]
    # covariance: C(t) = F C0 F^T + int_0^t F(s) 2I F(s)^T ds, from expm([[-J, 2I], [0, J]] t)
    M = np.zeros((2 * d, 2 * d))
    M[:d, :d] = -J
    M[:d, d:] = 2 * np.eye(d)
    M[d:, d:] = J
    E = expm(M * t)
    F = E[:d, :d]
    Q = E[:d, d:] @ F.T
    return mu, F @ C0 @ F.T + Q


# --------------------------------------------------------------------------------------
# langevin_moments
# --------------------------------------------------------------------------------------
@HYP
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(
    symmetric_matrices(d, -1.0, 15.0), vectors(d), vectors(d), spd_matrices(d=d))),
    st.floats(0.01, 0.2), st.integers(0, 40))
@pytest.mark.filterwarnings("ignore::solvable.gaussian.UnstableStepWarning")  # the formula holds for any step
def test_ula_moments_equal_step_recursion(args, eta, k):
    J, h, m0, (C0, _) = args
    assume(np.max(np.abs(1 - eta * np.linalg.eigvalsh(J))) ** k < 1e6)
    mu, C = G.langevin_moments(J, h, k, step=eta, mean0=m0, cov0=C0)
    mu_r, C_r = ula_recursion(J, h, k, eta, m0, C0)
    scale = 1 + np.abs(C_r).max()
    np.testing.assert_allclose(mu, mu_r, rtol=1e-9, atol=1e-9 * (1 + np.abs(mu_r).max()))
    np.testing.assert_allclose(C, C_r, rtol=1e-9, atol=1e-9 * scale)


@HYP
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(
    symmetric_matrices(d, -0.5, 5.0), vectors(d), vectors(d), spd_matrices(d=d))),
    st.floats(0.0, 3.0))
def test_continuous_moments_equal_matrix_exponential(args, t):
    J, h, m0, (C0, _) = args
    mu, C = G.langevin_moments(J, h, t, mean0=m0, cov0=C0)
    mu_r, C_r = ou_van_loan(J, h, t, m0, C0)
    np.testing.assert_allclose(mu, mu_r, rtol=1e-8, atol=1e-8 * (1 + np.abs(mu_r).max()))
    np.testing.assert_allclose(C, C_r, rtol=1e-8, atol=1e-8 * (1 + np.abs(C_r).max()))


def test_continuous_moments_match_sympy_solution_of_the_ode():
    j, t, v0, m0, hh = sp.symbols("j t v0 m0 h", real=True)
    v = sp.Function("v")
    m = sp.Function("m")
    vs = sp.dsolve(sp.Eq(v(t).diff(t), -2 * j * v(t) + 2), v(t), ics={v(0): v0}).rhs
    ms = sp.dsolve(sp.Eq(m(t).diff(t), -j * m(t) + hh), m(t), ics={m(0): m0}).rhs
    R = sp.Rational
    for jv in (R(17, 10), R(-4, 10), R(1, 10**9)):
        vals = {j: jv, t: R(8, 10), v0: R(13, 10), m0: R(2, 10), hh: R(-5, 10)}
        mu, C = G.langevin_moments([[float(jv)]], [-0.5], 0.8, mean0=[0.2], cov0=[[1.3]])
        assert float(vs.subs(vals).evalf(40)) == pytest.approx(C[0, 0], rel=1e-12)
        assert float(ms.subs(vals).evalf(40)) == pytest.approx(mu[0], rel=1e-12)


def test_zero_eigenvalue_limits_are_exact():
    # j = 0: variance v0 + 2t (continuous) and v0 + 2 eta k (ULA), mean m0 + h t (resp. eta k h)
    mu, C = G.langevin_moments([[0.0]], [0.3], 2.5, mean0=[1.0], cov0=[[1.0]])
    assert C[0, 0] == pytest.approx(6.0, rel=1e-14) and mu[0] == pytest.approx(1.75, rel=1e-14)
    mu, C = G.langevin_moments([[0.0]], [0.3], 7, step=0.1, mean0=[1.0], cov0=[[1.0]])
    assert C[0, 0] == pytest.approx(2.4, rel=1e-14) and mu[0] == pytest.approx(1.21, rel=1e-14)
    # near zero: continuous in j
    for jv in (1e-12, -1e-12):
        _, C2 = G.langevin_moments([[jv]], [0.3], 7, step=0.1)
        assert C2[0, 0] == pytest.approx(2.4, rel=1e-9)


def test_moment_overflow_is_a_divergence_not_nan():
    with pytest.raises(solvable.DivergenceError, match="eta\\*j"), pytest.warns(G.UnstableStepWarning):
        G.langevin_moments([[30.0]], [0.0], 100000, step=0.1)
    with pytest.raises(solvable.DivergenceError, match="e\\^\\(-jk\\)"):
        G.langevin_moments([[-1.0]], [0.0], 1000.0)


# --------------------------------------------------------------------------------------
# fixed points: theory.md section 9.1 oracles
# --------------------------------------------------------------------------------------
CONT = [(0.5, 1, 2.035338), (0.5, 0.5, 2.262810), (0.1, 0.05, 27.228639), (2, 1, 0.321899),
        (2, 0.5, 0.0), (5, 1, -0.362241), (5, 5, 0.169506), (5, 20, 0.199946)]


@pytest.mark.parametrize("c,k,j", CONT)
def test_continuous_fixed_point_table(c, k, j):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", solvable.NonNormalizableWarning)
        J, _ = G.short_run_fixed_point([0.0], [[c]], k)
    assert J[0, 0] == pytest.approx(j, abs=1e-6)


ULA = {0.1: [71.71573, 15.67323, 10.55728, 10.55728], 0.5: [30.71797, 4.88539, 2.05364, 2.02041],
       2.0: [-40.71247, -2.80848, 0.32339, 0.50125]}


@pytest.mark.parametrize("c", sorted(ULA))
def test_ula_fixed_point_table(c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", solvable.NonNormalizableWarning)
        got = [G.short_run_fixed_point([0.0], [[c]], k, step=0.01)[0][0, 0] for k in (1, 10, 100, 1000)]
    np.testing.assert_allclose(got, ULA[c], atol=1e-5)


def test_ula_k20_table_and_closed_forms():
    cs = [0.2, 0.5, 1, 1.5, 2, 3]
    j_minus = [5.857891, 2.136398, 1.026334, 0.591836, 0.329547, 0.0]
    j_inf = [5.85786, 2.11146, 1.02633, 0.67816, 0.50641, 0.33616]
    for c, jm, ji in zip(cs, j_minus, j_inf):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", solvable.NonNormalizableWarning)
            J, _ = G.short_run_fixed_point([0.0], [[c]], 20, step=0.05)
        assert J[0, 0] == pytest.approx(jm, abs=1e-6)
        assert G.persistent_fixed_point([0.0], [[c]], step=0.05)[0][0, 0] == pytest.approx(ji, abs=1e-5)
    # k = 1 and k = 2 closed forms (theory.md 3.3)
    eta, v0, c = 0.03, 1.4, 0.8
    J1, _ = G.short_run_fixed_point([0.0], [[c]], 1, step=eta, var0=v0)
    assert J1[0, 0] == pytest.approx((1 - np.sqrt((c - 2 * eta) / v0)) / eta, rel=1e-12)
    J2, _ = G.short_run_fixed_point([0.0], [[c]], 2, step=eta, var0=v0)
    r = (-eta + np.sqrt(eta**2 + v0 * (c - 2 * eta))) / v0
    assert J2[0, 0] == pytest.approx((1 - np.sqrt(r)) / eta, rel=1e-12)


@HYP
@given(spd_matrices(low=0.2, high=4.0), st.data(), st.floats(0.05, 5.0), st.floats(0.3, 3.0))
def test_continuous_round_trip(cov_spec, data, k, v0):
    cov, spectrum = cov_spec
    d = len(spectrum)
    mean = data.draw(vectors(d))
    m0 = data.draw(vectors(d, 1.0))
    assume(np.all(np.abs(spectrum - (v0 + 2 * k)) > 1e-3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", solvable.NonNormalizableWarning)
        J, h = G.short_run_fixed_point(mean, cov, k, mean0=m0, var0=v0)
    mu, C = G.langevin_moments(J, h, k, mean0=m0, cov0=v0 * np.eye(d))
    np.testing.assert_allclose(C, cov, rtol=1e-9, atol=1e-9 * spectrum.max())
    np.testing.assert_allclose(mu, mean, rtol=1e-9, atol=1e-9)
    # J commutes with the data covariance (shares its eigenvectors)
    np.testing.assert_allclose(J @ cov, cov @ J, atol=1e-8 * (1 + np.abs(J).max()))
    # sign rule A2: j* > 0 iff c < v0 + 2k
    j = np.sort(np.linalg.eigvalsh(J))
    np.testing.assert_array_equal(j > 0, np.sort(spectrum)[::-1] < v0 + 2 * k)  # j decreases with c


@HYP
@given(spd_matrices(low=0.1, high=4.0), st.data(), st.floats(0.001, 0.05), st.integers(1, 200), st.floats(0.3, 3.0))
def test_ula_round_trip_and_stable_branch(cov_spec, data, eta, k, v0):
    cov, spectrum = cov_spec
    d = len(spectrum)
    mean = data.draw(vectors(d))
    assume(np.all(spectrum > 2 * eta * (1 + 1e-9)))
    assume(np.all(np.abs(spectrum - (v0 + 2 * eta * k)) > 1e-3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", solvable.NonNormalizableWarning)
        J, h = G.short_run_fixed_point(mean, cov, k, step=eta, var0=v0)
    mu, C = G.langevin_moments(J, h, k, step=eta, cov0=v0 * np.eye(d))
    np.testing.assert_allclose(C, cov, rtol=1e-9, atol=1e-9 * spectrum.max())
    np.testing.assert_allclose(mu, mean, rtol=1e-8, atol=1e-8)
    j = np.linalg.eigvalsh(J)
    assert np.all(eta * j <= 1 + 1e-12)  # the stable root, continuous as eta -> 0
    np.testing.assert_array_equal(np.sort(j) > 0, np.sort(spectrum)[::-1] < v0 + 2 * eta * k)


def test_ula_unstable_branch_is_not_returned_but_exists():
    # theory.md 9.1: c = 0.5, k = 10, eta = 0.01: j_- = 4.88539 returned, j_+ = 195.1146 also solves c_k
    J, _ = G.short_run_fixed_point([0.0], [[0.5]], 10, step=0.01)
    assert J[0, 0] == pytest.approx(4.88539, abs=1e-5)
    _, C = G.langevin_moments([[195.1146]], [0.0], 10, step=0.01)
    assert C[0, 0] == pytest.approx(0.5, abs=1e-5)


def test_limits_k_to_infinity_and_eta_to_zero():
    mean, cov = np.array([0.2, -0.1]), np.array([[0.8, 0.2], [0.2, 0.5]])
    J_ml, h_ml = G.mle(mean, cov)
    errs = [np.abs(G.short_run_fixed_point(mean, cov, k)[0] - J_ml).max() for k in (0.5, 1, 2, 4, 8)]
    assert all(b < a for a, b in zip(errs, errs[1:]))
    assert np.abs(G.short_run_fixed_point(mean, cov, 64)[0] - J_ml).max() < 1e-12
    eta = 0.02
    Jp, hp = G.persistent_fixed_point(mean, cov, step=eta)
    assert np.abs(G.short_run_fixed_point(mean, cov, 3000, step=eta)[0] - Jp).max() < 1e-10
    # eta -> 0 with eta * k = tau fixed: ULA -> continuous time
    tau = 0.7
    Jc, hc = G.short_run_fixed_point(mean, cov, tau)
    errs = [np.abs(G.short_run_fixed_point(mean, cov, int(round(tau / e)), step=e)[0] - Jc).max()
            for e in (0.07, 0.007, 0.0007)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 1e-2 * errs[0]


def test_start_equal_to_data_variance_gives_the_persistent_point_for_all_k():
    c = 0.9
    jp = G.persistent_fixed_point([0.0], [[c]], step=0.05)[0][0, 0]
    for k in (1, 5, 50):
        assert G.short_run_fixed_point([0.0], [[c]], k, step=0.05, var0=c)[0][0, 0] == pytest.approx(jp, rel=1e-10)
        assert G.short_run_fixed_point([0.0], [[c]], k, var0=c)[0][0, 0] == pytest.approx(1 / c, rel=1e-10)


def test_mean_overshoot_formula():
    # mu_EBM - mu_D = rho^k / (1 - rho^k) (mu_D - m0)  (theory.md 3.4)
    eta, k, c, mu, m0 = 0.005, 20, 0.25, 0.3, 0.1
    J, h = G.short_run_fixed_point([mu], [[c]], k, step=eta, mean0=[m0])
    rho_k = (1 - eta * J[0, 0]) ** k
    assert h[0] / J[0, 0] - mu == pytest.approx(rho_k / (1 - rho_k) * (mu - m0), rel=1e-10)


def test_persistent_fixed_point_is_stationary_for_ula_and_mle_otherwise():
    rng = np.random.default_rng(3)
    U = orthogonal(3, 4)
    cov = (U * np.array([0.5, 1.0, 2.0])) @ U.T
    mean = rng.normal(size=3)
    J, h = G.persistent_fixed_point(mean, cov, step=0.1)
    m, C = G.stationary_moments(J, h, step=0.1)
    np.testing.assert_allclose(C, cov, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(m, mean, rtol=1e-12, atol=1e-12)
    # CD-k from the data is stationary too, for any k (theory.md 3.5)
    for k in (1, 7):
        m, C = G.langevin_moments(J, h, k, step=0.1, mean0=mean, cov0=cov)
        np.testing.assert_allclose(C, cov, atol=1e-12)
    Jm, hm = G.mle(mean, cov)
    np.testing.assert_allclose(Jm, np.linalg.inv(cov), atol=1e-12)
    np.testing.assert_allclose(G.persistent_fixed_point(mean, cov)[0], Jm)
    assert np.abs(J - Jm).max() > 1e-2


def test_no_fixed_point_below_two_eta_names_mode_and_bound():
    cov = np.diag([0.5, 0.015])
    with pytest.raises(solvable.NoFixedPointError, match=r"mode 0.*2\*eta = 0.02"):
        G.short_run_fixed_point([0.0, 0.0], cov, 5, step=0.01)
    with pytest.raises(solvable.NoFixedPointError, match="2\\*eta"):
        G.persistent_fixed_point([0.0, 0.0], cov, step=0.01)
    assert issubclass(solvable.NoFixedPointError, ValueError)
    # exactly at the bound: one step erases the start, j = 1/eta
    J, _ = G.short_run_fixed_point([0.0], [[0.02]], 5, step=0.01)
    assert J[0, 0] == pytest.approx(100.0, rel=1e-12)


def test_non_normalizable_fixed_point_warns_and_has_no_equilibrium():
    with pytest.warns(solvable.NonNormalizableWarning, match="no equilibrium"):
        J, h = G.short_run_fixed_point([0.0], [[5.0]], 1)
    assert J[0, 0] == pytest.approx(-0.362241, abs=1e-6)
    with pytest.raises(solvable.NoFixedPointError):
        G.stationary_moments(J, h)


# --------------------------------------------------------------------------------------
# input validation
# --------------------------------------------------------------------------------------
def test_errors_name_the_argument():
    I2 = np.eye(2)
    with pytest.raises(ValueError, match="J must be symmetric"):
        G.langevin_moments([[1.0, 0.5], [0.0, 1.0]], [0, 0], 1.0)
    with pytest.raises(ValueError, match="cov must be symmetric positive definite"):
        G.short_run_fixed_point([0, 0], [[1.0, 2.0], [2.0, 1.0]], 1.0)
    with pytest.raises(ValueError, match="cov must be symmetric"):
        G.mle([0, 0], [[1.0, 0.1], [0.0, 1.0]])
    with pytest.raises(ValueError, match="k must be >= 0"):
        G.langevin_moments(I2, [0, 0], -1)
    with pytest.raises(ValueError, match="k must be an integer"):
        G.langevin_moments(I2, [0, 0], 1.5, step=0.1)
    with pytest.raises(ValueError, match="step must be > 0"):
        G.langevin_moments(I2, [0, 0], 1, step=0.0)
    with pytest.raises(ValueError, match="step must be > 0"):
        G.simulate(I2, [0, 0], 1, 10, step=-0.1)
    with pytest.raises(ValueError, match="n_chains must be >= 1"):
        G.simulate(I2, [0, 0], 1, 0, step=0.1)
    with pytest.raises(ValueError, match="method must be one of"):
        G.simulate(I2, [0, 0], 1, 2, step=0.1, method="hmc")
    with pytest.raises(ValueError, match="x0 must have shape"):
        G.simulate(I2, [0, 0], 1, 2, step=0.1, x0=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="h must have shape"):
        G.simulate(I2, [0, 0, 0], 1, 2, step=0.1)
    with pytest.raises(ValueError, match="data contains 1 NaN"):
        G.train(np.array([[0.0, np.nan], [1.0, 2.0]]), scheme="cd", k=1, step=0.1, lr=0.1, n_iter=1, n_chains=2)
    with pytest.raises(ValueError, match="data contains"):
        G.train(np.array([[0.0, np.inf], [1.0, 2.0]]), scheme="cd", k=1, step=0.1, lr=0.1, n_iter=1, n_chains=2)
    data = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="scheme must be one of"):
        G.train(data, scheme="ml", k=1, step=0.1, lr=0.1, n_iter=1, n_chains=2)
    with pytest.raises(ValueError, match="n_chains must be >= 1"):
        G.train(data, scheme="cd", k=1, step=0.1, lr=0.1, n_iter=1, n_chains=0)
    with pytest.raises(ValueError, match="lr must be > 0"):
        G.train(data, scheme="cd", k=1, step=0.1, lr=0.0, n_iter=1, n_chains=2)
    with pytest.raises(ValueError, match="engine='exact'"):
        G.train(data, scheme="cd", k=1, step=None, lr=0.1, n_iter=1, n_chains=2)
    with pytest.raises(ValueError, match="mala"):
        G.train(data, scheme="cd", k=1, step=0.1, lr=0.1, n_iter=1, n_chains=2, engine="exact", method="mala")
    with pytest.raises(TypeError, match="k must be an integer"):
        G.simulate(I2, [0, 0], "3", 2, step=0.1)


# --------------------------------------------------------------------------------------
# simulation against the closed form (z-scores from the samples)
# --------------------------------------------------------------------------------------
J2 = np.array([[2.0, 0.3], [0.3, 1.0]])
H2 = np.array([0.5, -0.2])


@pytest.mark.parametrize("k", [0, 1, 7])
def test_ula_simulation_matches_closed_form(k):
    X = G.simulate(J2, H2, k, 100_000, step=0.05, seed=11)
    mu, C = G.langevin_moments(J2, H2, k, step=0.05)
    f = G.features(X)
    z = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(len(f)), G.features_of_law(mu, C))
    assert np.max(np.abs(z)) < Z


def test_ula_simulation_detects_a_wrong_prediction():
    # negative control: the law after k+1 steps is many standard errors away from the samples at k
    X = G.simulate(J2, H2, 3, 100_000, step=0.05, seed=11)
    f = G.features(X)
    z = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(len(f)), G.features_of_law(*G.langevin_moments(J2, H2, 4, step=0.05)))
    assert np.max(np.abs(z)) > Z  # the tolerance rejects a prediction one step off


def test_mala_samples_the_exact_boltzmann_law_and_ula_does_not():
    x0 = np.random.default_rng(0).multivariate_normal(np.linalg.solve(J2, H2), np.linalg.inv(J2), size=50_000)
    truth = G.features_of_law(np.linalg.solve(J2, H2), np.linalg.inv(J2))
    X, acc = G.simulate(J2, H2, 20, 50_000, step=0.4, method="mala", x0=x0, seed=2, return_acceptance=True)
    f = G.features(X)
    se = f.std(0, ddof=1) / np.sqrt(len(f))
    assert np.max(np.abs(zscores(f.mean(0), se, truth))) < Z
    assert 0.2 < acc.mean() < 1.0
    Xu = G.simulate(J2, H2, 20, 50_000, step=0.4, x0=x0, seed=2)
    fu = G.features(Xu)
    assert np.max(np.abs(zscores(fu.mean(0), se, truth))) > 3 * Z
    # ... and ULA sits at its own stationary law (theory.md 3.1)
    Xs = G.simulate(J2, H2, 200, 50_000, step=0.4, seed=3)
    fs = G.features(Xs)
    zs = zscores(fs.mean(0), fs.std(0, ddof=1) / np.sqrt(len(fs)),
                 G.features_of_law(*G.stationary_moments(J2, H2, step=0.4)))
    assert np.max(np.abs(zs)) < Z


def test_simulation_is_bit_identical_for_a_seed_and_any_thread_count():
    a = G.simulate(J2, H2, 5, 4000, step=0.1, method="mala", seed=7)
    b = G.simulate(J2, H2, 5, 4000, step=0.1, method="mala", seed=7)
    n = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = G.simulate(J2, H2, 5, 4000, step=0.1, method="mala", seed=7)
    finally:
        numba.set_num_threads(n)
    assert np.array_equal(a, b) and np.array_equal(a, c)
    assert not np.array_equal(a, G.simulate(J2, H2, 5, 4000, step=0.1, method="mala", seed=8))


def test_diverging_chain_raises_with_step_and_hint():
    with pytest.raises(solvable.DivergenceError, match="step too large"):
        G.simulate([[30.0]], [0.0], 10_000, 4, step=0.1)
    with pytest.raises(solvable.DivergenceError, match="not normalizable"):
        G.simulate([[-1.0]], [0.0], 100_000, 4, step=0.1)


# --------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data2():
    rng = np.random.default_rng(0)
    X = rng.multivariate_normal([0.3, -0.5], [[1.0, 0.2], [0.2, 0.7]], size=5000)
    return X, X.mean(0), np.cov(X.T, bias=True)


@pytest.mark.parametrize("step", [None, 0.1])
def test_exact_engine_short_run_training_reaches_the_fixed_point(data2, step):
    X, m, C = data2
    k = 5 if step else 0.5
    r = G.train(X, scheme="short-run", k=k, step=step, lr=1.0, n_iter=600, n_chains=1, engine="exact", progress=False)
    Js, hs = G.short_run_fixed_point(m, C, k, step=step)
    np.testing.assert_allclose(r.J, Js, atol=1e-10)
    np.testing.assert_allclose(r.h, hs, atol=1e-10)
    assert r.history["params"]["J"].shape == (601, 2, 2) and r.history["error"][-1] < 1e-10


@pytest.mark.parametrize("scheme", ["cd", "pcd"])
def test_exact_engine_cd_and_pcd_reach_the_persistent_point_not_the_mle(data2, scheme):
    X, m, C = data2
    r = G.train(X, scheme=scheme, k=3, step=0.1, lr=1.0, n_iter=800, n_chains=1, engine="exact", progress=False)
    Jp, hp = G.persistent_fixed_point(m, C, step=0.1)
    np.testing.assert_allclose(r.J, Jp, atol=1e-8)
    np.testing.assert_allclose(r.h, hp, atol=1e-8)
    assert np.abs(r.J - G.mle(m, C)[0]).max() > 0.05


def test_simulated_short_run_training_lands_on_the_fixed_point_not_the_mle(data2):
    X, m, C = data2
    k, eta = 5, 0.1
    r = G.train(X, scheme="short-run", k=k, step=eta, lr=1.0, n_iter=600, n_chains=2000, seed=1, progress=False)
    Js, hs = G.short_run_fixed_point(m, C, k, step=eta)
    tail = r.tail_mean(0.75, n_batches=15)
    zJ = zscores(tail["J"][0], tail["J"][1], Js)
    zh = zscores(tail["h"][0], tail["h"][1], hs)
    assert np.max(np.abs(zJ)) < Z and np.max(np.abs(zh)) < Z
    zml = zscores(tail["J"][0], tail["J"][1], G.mle(m, C)[0])
    assert np.max(np.abs(zml)) > 3 * Z


def test_training_is_reproducible_and_divergence_is_reported(data2):
    X, _, _ = data2
    kw = dict(scheme="pcd", k=2, step=0.1, lr=0.5, n_iter=5, n_chains=50, seed=3, progress=False)
    assert np.array_equal(G.train(X, **kw).J, G.train(X, **kw).J)
    # a fixed point exists (c >= 2 eta) but a learning rate far too large overshoots it:
    # eta*j crosses 2 and the chains blow up
    with pytest.raises(solvable.DivergenceError, match="training iteration"):
        G.train(X, scheme="pcd", k=50, step=0.25, lr=50.0, n_iter=200, n_chains=50, progress=False)
    # data out of reach of the scheme: refused before training, with the solver's message
    with pytest.raises(solvable.NoFixedPointError, match="2\\*eta"):
        G.train(X * 0.05, scheme="pcd", k=50, step=0.5, lr=5.0, n_iter=200, n_chains=50, progress=False)


def test_comparison_shows_match_at_t_equal_k_only(data2):
    X, m, C = data2
    k, eta = 10, 0.1
    J, h = G.short_run_fixed_point(m, C, k, step=eta)
    res = G.compare(X, J, h, k, step=eta, times=[0, 5, 9, 10, 11, 20, 40], n_chains=40_000, seed=5)
    zmax = res.max_abs_z_data()
    at_k = list(res.times).index(k)
    assert zmax[at_k] < Z
    # far from k the chains resolve the mismatch; one step off, 40k chains do not (|z| ~ 3),
    # but the exact route does: error 0 at t = k only
    assert all(zmax[i] > Z for i, t in enumerate(res.times) if abs(t - k) > 1)
    ex = res.exact_error_data()
    assert ex[at_k] < 1e-12 and ex[at_k - 1] > 1e-3 and ex[at_k + 1] > 1e-3
    assert np.max(np.abs(res.z_exact)) < Z
    assert res.equilibrium_error() > 10 * res.exact_error_data()[at_k] + 1e-3
    assert "t = k" in res.table()


@pytest.mark.slow
def test_simulated_pcd_ula_lands_on_persistent_point_and_mala_on_mle(data2):
    X, m, C = data2
    eta = 0.1
    Jp, _ = G.persistent_fixed_point(m, C, step=eta)
    Jm, _ = G.mle(m, C)
    r = G.train(X, scheme="pcd", k=1, step=eta, lr=0.2, n_iter=3000, n_chains=4000, seed=2, progress=False)
    t = r.tail_mean(0.5, n_batches=20)
    assert np.max(np.abs(zscores(t["J"][0], t["J"][1], Jp))) < Z
    assert np.max(np.abs(zscores(t["J"][0], t["J"][1], Jm))) > 3 * Z
    r = G.train(X, scheme="pcd", k=1, step=eta, lr=0.2, n_iter=3000, n_chains=4000, seed=2, method="mala",
                progress=False)
    t = r.tail_mean(0.5, n_batches=20)
    assert np.max(np.abs(zscores(t["J"][0], t["J"][1], Jm))) < Z
    assert np.max(np.abs(zscores(t["J"][0], t["J"][1], Jp))) > 3 * Z


def test_zero_spread_statistics_give_finite_or_infinite_z_never_nan():
    from solvable.comparison import MomentComparison

    mc = MomentComparison(times=np.array([0.0]), labels=["a", "b", "c"], sampled=np.array([[0.0, 1.0, 0.5]]),
                          se=np.array([[0.0, 0.0, 0.1]]), data=np.array([0.0, 0.5, 0.4]), exact=None,
                          equilibrium=None, k=1, n_chains=10)
    z = mc.z_data[0]
    assert z[0] == 0.0 and z[1] == np.inf and z[2] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------
# issue 13, sections 2, 4 and 5
# --------------------------------------------------------------------------------------
def test_convert_step_maps_a_decoupled_update_onto_ula_at_temperature_t():
    """x += delta grad f + sigma eps (f = -E) is ULA with eta = delta at T = sigma^2 / (2 delta): checked by
    simulating that update for E = x^2/2 (stationary variance T / (1 - eta/2), theory.md 3.1 at energy E/T),
    an independent route; control: the unit-temperature variance is far off."""
    delta, sigma = 0.1, 0.2
    eta, T = G.convert_step(delta, sigma)
    assert (eta, T) == (0.1, pytest.approx(0.2))
    assert G.convert_step(1.0, 0.01)[1] == pytest.approx(5e-5)  # Nijkamp et al. 2019's setting
    rng = np.random.default_rng(91)
    x = np.zeros(20000)
    for _ in range(400):
        x = x + delta * (-x) + sigma * rng.standard_normal(x.size)
    v, se = x.var(), x.var() * np.sqrt(2.0 / x.size)
    predicted = G.stationary_moments([[1.0 / T]], [0.0], step=eta * T)[1][0, 0]  # ULA on E/T, step eta*T
    assert predicted == pytest.approx(T / (1 - eta / 2), rel=1e-12)
    assert abs(v - predicted) / se < Z
    assert abs(v - 1.0 / (1 - eta / 2)) / se > 3 * Z
    with pytest.raises(ValueError, match="sigma must be > 0"):
        G.convert_step(0.1, 0.0)


@pytest.mark.parametrize("method", ["ula", "mala"])
def test_compare_equilibrium_row_is_the_stationary_law_of_the_kernel(method):
    """gaussian.compare's equilibrium row: ULA -> stationary_moments(step=eta) exactly (not the
    Boltzmann law), MALA -> the Boltzmann law (step=None)."""
    rng = np.random.default_rng(92)
    X = rng.normal(0.3, 1.2, (500, 2))
    J, h, eta = np.array([[1.5, 0.3], [0.3, 0.8]]), np.array([0.2, -0.1]), 0.3
    cmp = G.compare(X, J, h, 2, step=eta, method=method, n_chains=200, times=[0, 2])
    mean, cov = G.stationary_moments(J, h, step=eta if method == "ula" else None)
    np.testing.assert_array_equal(cmp.equilibrium, G.features_of_law(mean, cov))
    other = G.features_of_law(*G.stationary_moments(J, h, step=None if method == "ula" else eta))
    assert np.max(np.abs(cmp.equilibrium - other)) > 0.05  # the two laws differ visibly at eta = 0.3


def test_state_functions_and_moments_reject_bad_input():
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., d\) with d = 2"):
        G.energy(np.zeros((4, 3)), np.eye(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"x must have shape"):
        G.gradient(np.zeros((4, 3)), np.eye(2), np.zeros(2))
    with pytest.raises(TypeError, match="k must be an integer, got the bool True"):
        G.langevin_moments(np.eye(2), np.zeros(2), True, step=0.1)
    with pytest.raises(TypeError, match="k must be a real number"):
        G.langevin_moments(np.eye(2), np.zeros(2), True)
    with pytest.warns(G.UnstableStepWarning, match=r"eta\*j = 10 >= 2"):
        G.langevin_moments(np.eye(2), np.zeros(2), 100, step=10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        G.langevin_moments(np.eye(2), np.zeros(2), 100, step=1.99)  # stable: no warning
        G.langevin_moments(-np.eye(2), np.zeros(2), 10, step=0.1)  # non-normalizable, not an unstable step
    np.testing.assert_allclose(G.energy(np.ones((3, 2)), np.eye(2), 0.5), [0.0, 0.0, 0.0])


def test_require_fixed_point_raises_the_solvers_error_before_training():
    """Issue 13 section 2: data of std 0.05 with eta = 0.1 (c < 2 eta): short-run and PCD with ULA
    have no fixed point; the pre-check raises the closed-form solver's own NoFixedPointError."""
    X = 0.05 * np.random.default_rng(93).normal(size=(2000, 1))
    m, C = X.mean(axis=0), np.cov(X, rowvar=False, bias=True).reshape(1, 1)
    with pytest.raises(solvable.NoFixedPointError) as solver:
        G.short_run_fixed_point(m, C, 10, step=0.1)
    with pytest.raises(solvable.NoFixedPointError) as pre:
        G.require_fixed_point(m, C, scheme="short-run", k=10, step=0.1)
    assert str(pre.value) == str(solver.value)
    with pytest.raises(solvable.NoFixedPointError, match="2\\*eta"):
        G.require_fixed_point(m, C, scheme="pcd", k=10, step=0.1)
    G.require_fixed_point(m, C, scheme="short-run", k=10, step=0.1, method="mala")  # no closed form: silent
    G.require_fixed_point(m, C, scheme="jarzynski", k=10, step=0.1)  # MLE exists
    G.require_fixed_point(m, C, scheme="short-run", k=10, step=0.001)
