"""Short-run generator of the Gaussian EBM: affine flow, generation, reconstruction, interpolation, density."""
import numba
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.linalg import expm

import solvable
from solvable import gaussian as G
from solvable import generator as gen
from tests.strategies import Z, orthogonal, spd_matrices, symmetric_matrices, vectors, zscores

HYP = settings(deadline=None, max_examples=40)

#: 2-d model used by several tests: rotated SPD J, ULA step 0.05, k = 20
U2 = orthogonal(2, 3)
J2 = (U2 * np.array([0.6, 3.0])) @ U2.T
J2 = 0.5 * (J2 + J2.T)
H2 = np.array([0.4, -0.7])

#: theory.md 9.1 "Uniform start": eta = 0.005, k = 20, p0 = U(-1, 1), data (0.3, 0.25)
ETA_U, K_U, MD_U, C_U = 0.005, 20, 0.3, 0.25


@pytest.fixture(scope="module")
def uniform_fixed_point():
    return G.short_run_fixed_point([MD_U], [[C_U]], K_U, step=ETA_U, mean0=[0.0], var0=1.0 / 3.0)


def kurtosis_z(x, predicted):
    """z-score of the sample excess kurtosis (SE ~ sqrt(24/M), theory.md section 8)."""
    return (stats.kurtosis(x) - predicted) / np.sqrt(24.0 / x.size)


# --------------------------------------------------------------------------------------
# the affine map vs matrix powers / exponentials / langevin_moments
# --------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::solvable.gaussian_exact.UnstableStepWarning")  # eta*j >= 2 on purpose
@HYP
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(symmetric_matrices(d, -1.0, 15.0), vectors(d), vectors(d))),
       st.floats(0.01, 0.2), st.integers(0, 30))
def test_ula_flow_is_matrix_power_and_chain_mean_from_a_point(args, eta, k):
    J, h, z = args
    d = len(h)
    A = np.linalg.matrix_power(np.eye(d) - eta * J, k)
    assume(np.max(np.abs(A)) < 1e6)
    fl = gen.flow(J, h, k, step=eta)
    scale = max(1.0, np.max(np.abs(A)))
    assert np.allclose(fl.matrix, A, rtol=1e-10, atol=1e-10 * scale)
    # M(z) is the chain's mean from the point z; the noise covariance its covariance from a point
    mean, cov = G.langevin_moments(J, h, k, step=eta, mean0=z, cov0=np.zeros((d, d)))
    assert np.allclose(fl(z), mean, rtol=1e-10, atol=1e-10 * scale * (1 + np.abs(h).sum() * eta * k))
    assert np.allclose(fl.noise_cov, cov, rtol=1e-10, atol=1e-12)
    sign, logdet = np.linalg.slogdet(np.eye(d) - eta * J)
    assume(sign != 0)
    assert np.isclose(fl.log_abs_det, k * logdet, rtol=1e-10, atol=1e-10)


@HYP
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(spd_matrices(d=d), vectors(d), vectors(d))),
       st.floats(0.01, 3.0))
def test_continuous_flow_is_expm_and_affine_around_mu_ebm(args, t):
    (J, _), h, z = args
    fl = gen.flow(J, h, t)
    A = expm(-J * t)
    assert np.allclose(fl.matrix, A, rtol=1e-10, atol=1e-12)
    mu_e = np.linalg.solve(J, h)
    assert np.allclose(fl.mu_ebm, mu_e, rtol=1e-9, atol=1e-9)
    # theory.md 3.8: M(z) = mu_EBM + A (z - mu_EBM)
    assert np.allclose(fl(z), mu_e + A @ (z - mu_e), rtol=1e-9, atol=1e-9)
    assert np.isclose(fl.log_abs_det, -t * np.trace(J), rtol=1e-10)
    assert np.isclose(fl.condition_number, np.linalg.cond(A), rtol=1e-8)


def test_flow_rows_and_points_agree():
    fl = gen.flow(J2, H2, 20, step=0.05)
    Z2 = np.array([[0.1, 0.2], [-1.0, 3.0]])
    assert np.allclose(fl(Z2), np.stack([fl(z) for z in Z2]), rtol=1e-14)


def test_flat_mode_has_a_map_but_no_mu_ebm():
    J = np.diag([0.0, 2.0])
    h = np.array([0.5, 1.0])
    fl = gen.flow(J, h, 10, step=0.1)
    # j = 0: x_k = z + eta k h, no centre
    assert np.isclose(fl(np.zeros(2))[0], 0.1 * 10 * 0.5, rtol=1e-14)
    with pytest.raises(solvable.NoFixedPointError, match="mu_EBM"):
        fl.mu_ebm
    assert np.isclose(gen.flow(J, h, 2.0)(np.zeros(2))[0], 2.0 * 0.5, rtol=1e-14)


def test_flow_errors():
    with pytest.raises(ValueError, match="symmetric"):
        gen.flow([[1.0, 2.0], [0.0, 1.0]], [0, 0], 3, step=0.1)
    with pytest.raises(ValueError, match="h must have shape"):
        gen.flow(J2, [1.0, 2.0, 3.0], 3, step=0.1)
    with pytest.raises(ValueError, match="integer number of steps"):
        gen.flow(J2, H2, 2.5, step=0.1)
    with pytest.raises(ValueError, match="step must be > 0"):
        gen.flow(J2, H2, 3, step=-0.1)
    with pytest.raises(solvable.DivergenceError, match="step too large"):
        gen.flow([[100.0]], [0.0], 1000, step=0.1)
    with pytest.raises(solvable.DivergenceError, match="min eigenvalue"):
        gen.flow([[-1.0]], [0.0], 1000.0)


# --------------------------------------------------------------------------------------
# reconstruction
# --------------------------------------------------------------------------------------
@HYP
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(spd_matrices(d=d, low=0.1, high=15.0), vectors(d),
                                                      st.lists(vectors(d), min_size=1, max_size=5))),
       st.floats(0.01, 0.12), st.integers(1, 30))
def test_exact_reconstruction_inverts_the_map(args, eta, k):
    (J, _), h, xs = args
    x = np.array(xs)
    fl = gen.flow(J, h, k, step=eta)
    assume(np.min(np.abs(fl.decay)) > 1e-6)
    z = gen.reconstruct(x, J, h, k, step=eta)
    cond = fl.condition_number
    # the noise-free map is onto: zero residual (up to rounding amplified by the conditioning)
    assert np.allclose(fl(z), x, rtol=0, atol=1e-12 * cond * (1 + np.abs(x).max() + np.abs(fl.offset).max()))
    # the form of theory.md 3.8: mu_EBM + A^-k (x - mu_EBM), via a linear solve
    A = np.linalg.matrix_power(np.eye(len(h)) - eta * J, k)
    mu_e = np.linalg.solve(J, h)
    z_ref = mu_e + np.linalg.solve(A, (x - mu_e).T).T
    assert np.allclose(z, z_ref, rtol=1e-8, atol=1e-9 * cond * (1 + np.abs(z_ref).max()))


def test_gradient_reconstruction_converges_at_the_predicted_rate():
    k, eta = 20, 0.05
    fl = gen.flow(J2, H2, k, step=eta)
    x = np.array([[0.3, -0.2], [1.0, 2.0]])
    z_exact = gen.reconstruct(x, J2, H2, k, step=eta)
    rate = gen.reconstruction_rate(J2, k, step=eta)
    a = fl.decay
    assert np.isclose(rate, 1 - np.min(a**2) / np.max(a**2), rtol=1e-12)  # = 1 - 1/cond(A_k)^2
    assert np.isclose(rate, 1 - 1 / fl.condition_number**2, rtol=1e-12)
    z, hist = gen.reconstruct(x, J2, H2, k, step=eta, method="gradient", n_iter=400, return_history=True)
    # error of the slow mode contracts by exactly `rate` per step: the loss by rate^2
    ratio = hist[-1] / hist[-2]
    assert np.isclose(ratio, rate**2, rtol=1e-8)
    z, hist = gen.reconstruct(x, J2, H2, k, step=eta, method="gradient", n_iter=20000, return_history=True)
    assert np.allclose(z, z_exact, rtol=1e-9, atol=1e-9)
    assert np.all(np.diff(hist) <= 1e-18)
    # negative control: too few iterations do not reconstruct
    z_short = gen.reconstruct(x, J2, H2, k, step=eta, method="gradient", n_iter=10)
    assert np.max(np.abs(z_short - z_exact)) > 1e-2


def test_reconstruction_errors():
    with pytest.raises(ValueError, match="singular"):
        gen.reconstruct([0.5], [[10.0]], [0.0], 3, step=0.1)  # eta * j = 1
    with pytest.raises(ValueError, match="lr must be <"):
        gen.reconstruct([0.5, 0.1], J2, H2, 5, step=0.05, method="gradient", lr=1e3)
    with pytest.raises(ValueError, match="method must be one of"):
        gen.reconstruct([0.5, 0.1], J2, H2, 5, step=0.05, method="adam")
    with pytest.raises(ValueError, match="last dimension"):
        gen.reconstruct([0.5, 0.1, 0.2], J2, H2, 5, step=0.05)
    with pytest.raises(ValueError, match="z0 must have the shape"):
        gen.reconstruct([[0.5, 0.1]], J2, H2, 5, step=0.05, method="gradient", z0=[[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="NaN"):
        gen.reconstruct([np.nan, 0.1], J2, H2, 5, step=0.05)


# --------------------------------------------------------------------------------------
# interpolation
# --------------------------------------------------------------------------------------
def test_interpolation_shapes_and_endpoints():
    z1, z2 = np.array([[1.0, 2.0]]), np.array([[-3.0, 0.5]])
    assert np.array_equal(gen.interpolate(z1, z2, 1.0), z1)
    assert np.array_equal(gen.interpolate(z1, z2, 0.0), z2)
    out = gen.interpolate(z1, z2, [0.0, 0.6, 1.0])
    assert out.shape == (3, 1, 2)
    assert np.allclose(out[1], 0.6 * z1 + 0.8 * z2, rtol=1e-15)
    with pytest.raises(ValueError, match=r"rho must lie in \[-1, 1\]"):
        gen.interpolate(z1, z2, 1.2)
    with pytest.raises(ValueError, match="same shape"):
        gen.interpolate(z1, z2[0], 0.5)


@pytest.mark.parametrize("start, mean0", [("gaussian", 0.0), ("gaussian", 0.8), ("uniform", 0.0), ("uniform", 0.8)])
def test_interpolation_keeps_covariance_and_mean_only_if_centred(start, mean0):
    n = 200_000
    z1 = gen._start_law(start, mean0, None, 2).sample(n, 1)
    z2 = gen._start_law(start, mean0, None, 2).sample(n, 2)
    v0 = 1.0 if start == "gaussian" else 1.0 / 3.0
    for rho in (0.3, 0.7):
        zr = gen.interpolate(z1, z2, rho)
        m_pred, C_pred = gen.interpolation_moments(rho, [mean0, mean0], v0 * np.eye(2))
        assert np.allclose(C_pred, v0 * np.eye(2), rtol=1e-15)
        f = G.features(zr)
        zs = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(n), G.features_of_law(m_pred, C_pred))
        assert np.max(np.abs(zs)) < Z
        # covariance of z_rho equals that of p0 (centred second moments)
        Cs = np.cov(zr, rowvar=False)
        se = np.sqrt(np.var((zr[:, 0] - zr[:, 0].mean()) ** 2, ddof=1) / n)
        assert abs(Cs[0, 0] - v0) < Z * se
        z_mean = (zr.mean(0) - mean0) / (zr.std(0, ddof=1) / np.sqrt(n))
        if mean0 == 0.0:
            assert np.max(np.abs(z_mean)) < Z
        else:  # negative control: the mean (rho + sqrt(1 - rho^2)) m0 != m0 is resolved
            assert np.min(np.abs(z_mean)) > Z


def test_centred_gaussian_interpolant_is_exactly_p0():
    n = 100_000
    z1 = gen._start_law("gaussian", 0.0, None, 1).sample(n, 3)[:, 0]
    z2 = gen._start_law("gaussian", 0.0, None, 1).sample(n, 4)[:, 0]
    zr = gen.interpolate(z1, z2, 0.45)
    assert stats.kstest(zr, "norm").pvalue > 1e-4
    assert abs(kurtosis_z(zr, 0.0)) < Z


# --------------------------------------------------------------------------------------
# densities
# --------------------------------------------------------------------------------------
def test_noise_free_density_is_the_gaussian_push_forward():
    k, eta, m0, v0 = 20, 0.05, np.array([0.2, -0.1]), 0.7
    fl = gen.flow(J2, H2, k, step=eta)
    A = fl.matrix
    ref = stats.multivariate_normal(A @ m0 + fl.offset, v0 * A @ A.T)
    x = np.array([[0.1, 0.2], [1.0, -0.5], [0.0, 0.0]])
    lq = gen.log_density(x, J2, H2, k, step=eta, mean0=m0, var0=v0)
    assert np.allclose(lq, ref.logpdf(x), rtol=1e-10)
    # log q = log p0(z) - k log|det(I - eta J)|
    _, logdet = np.linalg.slogdet(np.eye(2) - eta * J2)
    z = gen.reconstruct(x, J2, H2, k, step=eta)
    lp0 = stats.multivariate_normal(m0, v0 * np.eye(2)).logpdf(z)
    assert np.allclose(lq, lp0 - k * logdet, rtol=1e-10)


def test_noise_free_uniform_density_normalises_on_its_image(uniform_fixed_point):
    J, h = uniform_fixed_point
    fl = gen.flow(J, h, K_U, step=ETA_U)
    lo, hi = sorted(fl(np.array([[-1.0], [1.0]]))[:, 0])
    q = lambda t: np.exp(gen.log_density([t], J, h, K_U, step=ETA_U, start="uniform"))  # noqa: E731
    total, _ = integrate.quad(q, lo, hi)
    assert np.isclose(total, 1.0, rtol=1e-12)
    assert gen.log_density([hi + 1e-9], J, h, K_U, step=ETA_U, start="uniform") == -np.inf


def test_noisy_gaussian_density_is_the_langevin_normal():
    k, eta = 15, 0.05
    mean, cov = G.langevin_moments(J2, H2, k, step=eta, mean0=[0.5, 0.5], cov0=2.0 * np.eye(2))
    x = np.array([[0.1, 0.2], [1.0, -0.5]])
    lq = gen.log_density(x, J2, H2, k, step=eta, mean0=[0.5, 0.5], var0=2.0, noise=True)
    assert np.allclose(lq, stats.multivariate_normal(mean, cov).logpdf(x), rtol=1e-10)
    assert np.isclose(gen.log_density(x[0], J2, H2, k, step=eta, mean0=[0.5, 0.5], var0=2.0, noise=True), lq[0],
                      rtol=1e-14)


def test_noisy_uniform_density_vs_convolution_and_moments(uniform_fixed_point):
    J, h = uniform_fixed_point
    fl = gen.flow(J, h, K_U, step=ETA_U)
    a, b, s = fl.decay[0], fl.offset[0], np.sqrt(fl.noise_var[0])

    def conv(x):  # independent route: integrate the latent, q(x) = int p0(z) N(x; a z + b, s^2) dz
        return integrate.quad(lambda z: 0.5 * stats.norm.pdf(x, a * z + b, s), -1.0, 1.0, epsabs=1e-14)[0]

    for x in (-0.6, 0.0, 0.3, 0.9, 1.7):
        lq = gen.log_density([x], J, h, K_U, step=ETA_U, start="uniform", noise=True)
        assert np.isclose(lq, np.log(conv(x)), rtol=1e-10)
    # q has the data's mean and variance at the short-run fixed point (it lies in Omega)
    q = lambda t: np.exp(gen.log_density([t], J, h, K_U, step=ETA_U, start="uniform", noise=True))  # noqa: E731
    mom = [integrate.quad(lambda t, p=p: t**p * q(t), -np.inf, np.inf, epsabs=1e-13)[0] for p in range(3)]
    assert np.isclose(mom[0], 1.0, rtol=1e-10)
    assert np.isclose(mom[1], MD_U, rtol=1e-9)
    assert np.isclose(mom[2] - mom[1] ** 2, C_U, rtol=1e-9)
    # far tail is finite (no log(0)): log_ndtr evaluation on the small side
    assert np.isfinite(gen.log_density([40.0], J, h, K_U, step=ETA_U, start="uniform", noise=True))


def test_noisy_uniform_density_factorises_for_diagonal_j_and_refuses_otherwise():
    J = np.diag([2.0, 0.5])
    h = np.array([0.3, -0.2])
    x = np.array([[0.1, 0.4]])
    l2 = gen.log_density(x, J, h, 10, step=0.05, start="uniform", noise=True)
    l1 = (gen.log_density(x[:, :1], [[2.0]], [0.3], 10, step=0.05, start="uniform", noise=True)
          + gen.log_density(x[:, 1:], [[0.5]], [-0.2], 10, step=0.05, start="uniform", noise=True))
    assert np.allclose(l2, l1, rtol=1e-13)
    with pytest.raises(ValueError, match="diagonal J"):
        gen.log_density(x, J2, H2, 10, step=0.05, start="uniform", noise=True)


# --------------------------------------------------------------------------------------
# uniform start: fixed point, kurtosis (theory.md 3.8, 9.1)
# --------------------------------------------------------------------------------------
def test_uniform_start_fixed_point_numbers(uniform_fixed_point):
    J, h = uniform_fixed_point
    fl = gen.flow(J, h, K_U, step=ETA_U)
    assert abs(J[0, 0] - 5.00122) < 5e-6
    assert abs(fl.mu_ebm[0] - 0.75493) < 5e-6
    assert abs(fl.decay[0] - 0.6026) < 5e-5
    assert abs(G.stationary_moments(J, h, step=ETA_U)[1][0, 0] - 0.20248) < 5e-6
    kurt = gen.excess_kurtosis(J, K_U, step=ETA_U)[0]
    assert abs(kurt - (-0.2813)) < 5e-5
    assert np.isclose(kurt, fl.decay[0] ** 4 * (-2.0 / 15.0) / C_U**2, rtol=1e-9)  # rho^4k (-2/15) / c^2


def test_kurtosis_formula_vs_quadrature(uniform_fixed_point):
    J, h = uniform_fixed_point
    q = lambda t: np.exp(gen.log_density([t], J, h, K_U, step=ETA_U, start="uniform", noise=True))  # noqa: E731
    m4 = integrate.quad(lambda t: (t - MD_U) ** 4 * q(t), -np.inf, np.inf, epsabs=1e-14)[0]
    assert np.isclose(m4 / C_U**2 - 3.0, gen.excess_kurtosis(J, K_U, step=ETA_U)[0], rtol=1e-8)


def test_uniform_start_monte_carlo_moments_and_kurtosis(uniform_fixed_point):
    J, h = uniform_fixed_point
    M = 400_000
    pred = gen.excess_kurtosis(J, K_U, step=ETA_U)[0]
    for route in ("simulate", "exact"):
        x = gen.generate(J, h, K_U, M, step=ETA_U, start="uniform", route=route, seed=5)[:, 0]
        f = G.features(x[:, None])
        zs = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M), G.features_of_law(np.array([MD_U]), np.array([[C_U]])))
        assert np.max(np.abs(zs)) < Z
        assert abs(kurtosis_z(x, pred)) < Z
        assert abs(kurtosis_z(x, 0.0)) > Z  # negative control: q is not Gaussian


def test_kurtosis_of_a_rotated_model_monte_carlo():
    # non-diagonal J: per-axis kappa_4 = sum_j A_ij^4 kappa_4(p0)
    k, eta, M = 10, 0.05, 400_000
    pred = gen.excess_kurtosis(J2, k, step=eta)
    x = gen.generate(J2, H2, k, M, step=eta, start="uniform", seed=9)
    z = (stats.kurtosis(x, axis=0) - pred) / np.sqrt(24.0 / M)
    assert np.max(np.abs(z)) < Z
    assert np.all(pred < 0)
    assert np.allclose(gen.excess_kurtosis(J2, k, step=eta, start="gaussian"), 0.0)


# --------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ["exact", "simulate"])
def test_generated_moments_match_langevin_moments(route):
    k, eta, M = 20, 0.05, 200_000
    m0 = np.array([1.0, -0.5])
    x, z = gen.generate(J2, H2, k, M, step=eta, mean0=m0, var0=0.5, route=route, seed=2, return_latent=True)
    assert x.shape == z.shape == (M, 2)
    f = G.features(x)
    exact = G.features_of_law(*G.langevin_moments(J2, H2, k, step=eta, mean0=m0, cov0=0.5 * np.eye(2)))
    zs = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M), exact)
    assert np.max(np.abs(zs)) < Z
    # negative control: the equilibrium law is not reached at t = k from this start
    eq = G.features_of_law(*G.stationary_moments(J2, H2, step=eta))
    assert np.max(np.abs(zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M), eq))) > Z


def test_continuous_time_generation():
    M = 200_000
    x = gen.generate([[2.0]], [1.0], 0.4, M, seed=1)[:, 0]
    mean, cov = G.langevin_moments([[2.0]], [1.0], 0.4)
    f = G.features(x[:, None])
    zs = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M), G.features_of_law(mean, cov))
    assert np.max(np.abs(zs)) < Z


def test_short_run_fixed_point_generator_matches_data_at_k():
    mean_D, cov_D = np.array([0.5, -0.2]), np.array([[0.5, 0.1], [0.1, 0.3]])
    J, h = G.short_run_fixed_point(mean_D, cov_D, 20, step=0.05)
    M = 200_000
    x = gen.generate(J, h, 20, M, step=0.05, route="simulate", seed=4)
    f = G.features(x)
    zs = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M), G.features_of_law(mean_D, cov_D))
    assert np.max(np.abs(zs)) < Z


def test_generation_is_bit_identical_for_a_seed_and_any_thread_count():
    kw = dict(step=0.05, start="uniform", route="simulate", seed=7)
    a = gen.generate(J2, H2, 10, 3000, **kw)
    n = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        b = gen.generate(J2, H2, 10, 3000, **kw)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        c = gen.generate(J2, H2, 10, 3000, **kw)
    finally:
        numba.set_num_threads(n)
    assert np.array_equal(a, b) and np.array_equal(a, c)
    e1 = gen.generate(J2, H2, 10, 3000, step=0.05, seed=7)
    assert np.array_equal(e1, gen.generate(J2, H2, 10, 3000, step=0.05, seed=7))
    assert not np.array_equal(e1, gen.generate(J2, H2, 10, 3000, step=0.05, seed=8))
    # the two routes share the latent z for a seed
    _, za = gen.generate(J2, H2, 10, 50, step=0.05, route="exact", seed=3, return_latent=True)
    _, zb = gen.generate(J2, H2, 10, 50, step=0.05, route="simulate", seed=3, return_latent=True)
    assert np.array_equal(za, zb)


def test_generate_errors():
    with pytest.raises(ValueError, match="route='simulate' needs a ULA step"):
        gen.generate(J2, H2, 1.0, 10, route="simulate")
    with pytest.raises(ValueError, match="route must be one of"):
        gen.generate(J2, H2, 3, 10, step=0.1, route="mcmc")
    with pytest.raises(ValueError, match="start must be one of"):
        gen.generate(J2, H2, 3, 10, step=0.1, start="laplace")
    with pytest.raises(ValueError, match="var0 must be > 0"):
        gen.generate(J2, H2, 3, 10, step=0.1, var0=0.0)
    with pytest.raises(ValueError, match="n_samples must be >= 1"):
        gen.generate(J2, H2, 3, 0, step=0.1)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        gen.generate(J2, H2, 3, 5, step=0.1, seed=-1)
    with pytest.raises(solvable.DivergenceError):
        gen.generate([[30.0]], [0.0], 10_000, 4, step=0.1, route="simulate")
