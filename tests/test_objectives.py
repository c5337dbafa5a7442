"""CD objectives, the dropped term, replay buffers and entropies on the Gaussian model (theory.md 2.3, 2.4, 3.7, 9.3)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

import solvable
from solvable import gaussian as G
from solvable import generator as gen
from solvable import objectives as O
from tests.strategies import Z, orthogonal, spd_matrices, vectors, zscores

HYP = settings(deadline=None, max_examples=50)

examples = st.builds(
    O.OUExample,
    data_mean=st.floats(-1.0, 1.0), data_var=st.floats(0.05, 3.0), mean0=st.floats(-1.0, 1.0),
    var0=st.floats(0.05, 3.0), tau=st.floats(0.01, 0.3), k=st.integers(1, 6),
)
thetas = st.tuples(st.floats(-2.0, 2.0), st.floats(0.05, 20.0))


def central_difference(f, x, i, step=1e-4):
    """Fourth-order central difference of f along coordinate i (error O(step^4))."""
    x = np.asarray(x, dtype=float)
    e = np.zeros_like(x)
    e[i] = step
    return (-f(x + 2 * e) + 8 * f(x + e) - 8 * f(x - e) + f(x - 2 * e)) / (12 * step)


def quad_kl(mp, vp, mq, vq):
    """Independent route: KL by quadrature of the normal log-densities (p has width sqrt(vp))."""
    def logn(x, m, v):
        return -0.5 * np.log(2 * np.pi * v) - 0.5 * (x - m) ** 2 / v

    f = lambda x: np.exp(logn(x, mp, vp)) * (logn(x, mp, vp) - logn(x, mq, vq))  # noqa: E731
    w = 40.0 * np.sqrt(vp)
    return integrate.quad(f, mp - w, mp + w, epsabs=1e-13, epsrel=1e-12, limit=200)[0]


# --------------------------------------------------------------------------------------
# KL and entropy
# --------------------------------------------------------------------------------------
@HYP
@given(st.floats(-2, 2), st.floats(0.1, 4), st.floats(-2, 2), st.floats(0.1, 4))
def test_gaussian_kl_1d_vs_quadrature(mp, vp, mq, vq):
    assert np.isclose(O.gaussian_kl(mp, vp, mq, vq), quad_kl(mp, vp, mq, vq), rtol=1e-8, atol=1e-11)


@HYP
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(spd_matrices(d=d), spd_matrices(d=d), vectors(d), vectors(d))))
def test_gaussian_kl_properties(args):
    (Cp, _), (Cq, _), mp, mq = args
    kl = O.gaussian_kl(mp, Cp, mq, Cq)
    assert kl >= -1e-12
    assert abs(O.gaussian_kl(mp, Cp, mp, Cp)) < 1e-12
    # invariance under a common rotation and shift
    R = orthogonal(len(mp), 11)
    kl_rot = O.gaussian_kl(R @ mp + 1, R @ Cp @ R.T, R @ mq + 1, R @ Cq @ R.T)
    assert np.isclose(kl, kl_rot, rtol=1e-9, atol=1e-11)
    assert np.isclose(O.gaussian_entropy(Cp), stats.multivariate_normal(mp, Cp).entropy(), rtol=1e-12)


def test_gaussian_kl_2d_monte_carlo():
    mp, Cp = np.array([0.3, -0.2]), np.array([[1.0, 0.4], [0.4, 0.6]])
    mq, Cq = np.array([0.0, 0.5]), np.array([[2.0, -0.3], [-0.3, 0.9]])
    x = stats.multivariate_normal(mp, Cp).rvs(400_000, random_state=1)
    lr = stats.multivariate_normal(mp, Cp).logpdf(x) - stats.multivariate_normal(mq, Cq).logpdf(x)
    z = (lr.mean() - O.gaussian_kl(mp, Cp, mq, Cq)) / (lr.std(ddof=1) / np.sqrt(lr.size))
    assert abs(z) < Z


def test_quadrature_helpers_vs_closed_forms():
    p, q = stats.norm(0.2, 0.7), stats.norm(-0.4, 1.3)
    H, err = O.entropy_1d(p.logpdf)
    assert np.isclose(H, O.gaussian_entropy(0.49), rtol=1e-11) and err < 1e-9
    kl, _ = O.kl_1d(p.logpdf, q.logpdf)
    assert np.isclose(kl, O.gaussian_kl(0.2, 0.49, -0.4, 1.69), rtol=1e-10)
    u = stats.uniform(-1, 2)
    assert np.isclose(O.entropy_1d(u.logpdf, lo=-1, hi=1)[0], np.log(2.0), rtol=1e-12)


def test_kl_errors():
    with pytest.raises(ValueError, match="positive definite"):
        O.gaussian_kl(0.0, -1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="same dimension"):
        O.gaussian_kl([0.0, 0.0], np.eye(2), 0.0, 1.0)
    with pytest.raises(ValueError, match="mean_q must have shape"):
        O.gaussian_kl(0.0, 1.0, [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="NaN"):
        O.gaussian_entropy(np.nan)


# --------------------------------------------------------------------------------------
# entropy identity on Omega (theory.md 2.3)
# --------------------------------------------------------------------------------------
@HYP
@given(st.integers(2, 4).flatmap(lambda d: st.tuples(spd_matrices(d=d), vectors(d))))
def test_entropy_identity_on_gaussian_members_of_omega(args):
    # diagonal-J Gaussian family: phi = (x_i, x_i^2); Omega = laws with the data's means and variances.
    # q = N(mu, C) with any correlations is in Omega; p_ML = N(mu, diag C).
    (C, _), mu = args
    D = np.diag(np.diag(C))
    kl = O.gaussian_kl(mu, C, mu, D)
    assert np.isclose(kl, O.gaussian_entropy(D) - O.gaussian_entropy(C), rtol=1e-10, atol=1e-12)
    assert kl >= -1e-12


def _uniform_q(t):
    J, h = G.short_run_fixed_point([0.3], [[0.25]], 20, step=0.005, mean0=[0.0], var0=1.0 / 3.0)
    return lambda x: gen.log_density(np.atleast_1d(x)[:, None], J, h, t, step=0.005, start="uniform", noise=True)


def test_entropy_identity_for_the_non_gaussian_uniform_start_q():
    p_ml = stats.norm(0.3, 0.5).logpdf
    log_q = _uniform_q(20)
    Hq, _ = O.entropy_1d(log_q)
    kl, _ = O.kl_1d(log_q, p_ml)
    H_ml = O.gaussian_entropy(0.25)
    assert np.isclose(kl, H_ml - Hq, rtol=1e-8, atol=1e-11)
    assert Hq < H_ml and kl > 1e-3  # q in Omega but not Gaussian: strictly lower entropy
    # negative control: at t = k/2 the chain's law is not in Omega and the identity fails
    log_q10 = _uniform_q(10)
    gap = O.kl_1d(log_q10, p_ml)[0] - (H_ml - O.entropy_1d(log_q10)[0])
    assert abs(gap) > 1e-3


# --------------------------------------------------------------------------------------
# exact-OU example: objectives (theory.md 3.7, 9.3)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("theta, cd, j0", [((0.3, 4.0), 0.0, -0.0566), ((0.0, 1.0), 0.2021, 0.2696),
                                            ((1.0, 10.0), 2.6185, 2.4898)])
def test_objective_values_of_theory_9_3(theta, cd, j0):
    assert abs(O.cd_objective(*theta) - cd) < 5e-5
    assert abs(O.noise_start_objective(*theta) - j0) < 5e-5


def test_objectives_vs_quadrature_and_composed_single_steps():
    ex = O.EXAMPLE
    mu, lam = 0.1, 2.0
    # k exact-OU steps of tau = one block of time k tau (semigroup): compose single steps
    one = O.OUExample(tau=ex.tau, k=1)
    m, v = ex.data
    for _ in range(ex.k):
        m, v = O.chain_law(mu, lam, m, v, example=one)
    assert np.allclose((m, v), O.chain_law(mu, lam, *ex.data), rtol=1e-13)
    cd = quad_kl(*ex.data, mu, 1 / lam) - quad_kl(m, v, mu, 1 / lam)
    assert np.isclose(O.cd_objective(mu, lam), cd, rtol=1e-8)
    m0, v0 = ex.start
    for _ in range(ex.k):
        m0, v0 = O.chain_law(mu, lam, m0, v0, example=one)
    j0 = quad_kl(*ex.data, mu, 1 / lam) - quad_kl(m0, v0, mu, 1 / lam)
    assert np.isclose(O.noise_start_objective(mu, lam), j0, rtol=1e-8)


@HYP
@given(examples, thetas)
def test_cd_objective_is_non_negative(ex, theta):
    assert O.cd_objective(*theta, example=ex) >= -1e-12


@HYP
@given(examples)
def test_cd_vanishes_at_the_data_and_noise_start_is_negative_there(ex):
    mu, lam = ex.data_mean, 1.0 / ex.data_var
    assert abs(O.cd_objective(mu, lam, example=ex)) < 1e-12
    mq, vq = O.chain_law(mu, lam, *ex.start, example=ex)
    j0 = O.noise_start_objective(mu, lam, example=ex)
    assert np.isclose(j0, -O.gaussian_kl(mq, vq, *ex.data), rtol=1e-10, atol=1e-14)
    assert j0 <= 1e-14  # J_0 = -KL <= 0, up to the rounding of a difference of two KLs
    resolved = np.exp(-lam * ex.time) > 1e-3  # else p0 T^k = p_D to rounding
    if resolved and (abs(ex.mean0 - ex.data_mean) > 1e-3 or abs(ex.var0 - ex.data_var) > 1e-3):
        assert j0 < 0


def test_noise_start_objective_is_not_minimised_at_the_data():
    # J_0 < 0 at p_D while a divergence would be >= 0 and 0 there: the objective is no divergence
    assert O.noise_start_objective(0.3, 4.0) < -0.05
    assert O.cd_objective(0.3, 4.0) == pytest.approx(0.0, abs=1e-14)


# --------------------------------------------------------------------------------------
# gradient and its decomposition
# --------------------------------------------------------------------------------------
def test_gradient_numbers_of_theory_9_3_in_mu_log_lambda():
    g = O.cd_gradient(0.1, 2.0)
    assert g.wrt == ("mu", "log_lam")
    assert np.allclose(g.total, [-0.180475, -0.135761], atol=5e-7)
    assert np.allclose(g.minus_delta, [-0.103673, -0.094750], atol=5e-7)
    assert np.allclose(g.dropped, [-0.076803, -0.041011], atol=5e-7)
    assert np.allclose(g.total, g.minus_delta + g.dropped, rtol=1e-14)
    # the numbers of 9.3 are NOT the (mu, lambda) gradient: the lambda component is halved there
    gl = O.cd_gradient(0.1, 2.0, wrt="lam")
    assert np.allclose(gl.total, g.total / [1.0, 2.0], rtol=1e-14)
    assert not np.allclose(gl.total, [-0.180475, -0.135761], atol=1e-3)


@HYP
@given(examples, thetas)
def test_gradient_decomposition_vs_finite_differences(ex, theta):
    mu, lam = theta
    g = O.cd_gradient(mu, lam, example=ex)
    th = np.array([mu, np.log(lam)])

    def cd(t):
        return O.cd_objective(t[0], np.exp(t[1]), example=ex)

    mq, vq = O.chain_law(mu, lam, *ex.data, example=ex)

    def frozen(t):  # q frozen at theta: the part of CD whose gradient is the practical update -Delta
        return O.gaussian_kl(*ex.data, t[0], np.exp(-t[1])) - O.gaussian_kl(mq, vq, t[0], np.exp(-t[1]))

    def through_q(t):  # -KL(q_theta' || p_theta) as a function of theta' only
        m, v = O.chain_law(t[0], np.exp(t[1]), *ex.data, example=ex)
        return -O.gaussian_kl(m, v, mu, 1.0 / lam)

    for f, analytic in ((cd, g.total), (frozen, g.minus_delta), (through_q, g.dropped)):
        fd = np.array([central_difference(f, th, i) for i in range(2)])
        scale = max(1.0, np.max(np.abs(fd)))
        assert np.allclose(analytic, fd, rtol=1e-6, atol=1e-7 * scale)


def test_noise_var_derivative_series_branch():
    t = 0.15
    for j in (1e-6, 5e-4, 2e-3, 0.3):
        fd = central_difference(lambda x: float(G.mode_noise_var(np.array(x[0]), t, None)), [j], 0, step=1e-5)
        assert np.isclose(float(O._d_noise_var_dj(np.array(j), t)), fd, rtol=1e-7)


def test_objective_errors():
    with pytest.raises(ValueError, match="lam must be > 0"):
        O.cd_objective(0.1, 0.0)
    with pytest.raises(TypeError, match="mu must be a real number"):
        O.cd_gradient("a", 1.0)
    with pytest.raises(ValueError, match="wrt must be one of"):
        O.cd_gradient(0.1, 1.0, wrt="lambda")
    with pytest.raises(TypeError, match="example must be an OUExample"):
        O.noise_start_objective(0.1, 1.0, example=(0.3, 0.25))
    with pytest.raises(ValueError, match="data_var must be > 0"):
        O.OUExample(data_var=-1.0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        O.OUExample(k=0)
    with pytest.raises(ValueError, match="start_var must be >= 0"):
        O.chain_law(0.1, 1.0, 0.0, -1.0)


# --------------------------------------------------------------------------------------
# replay buffer
# --------------------------------------------------------------------------------------
def truncated_buffer(J, h, k, eps, step, m0, C0):
    """theory.md 3.7 route: weights eps (1 - eps)^(i-1) on the law after i*k steps, i <= 60/eps.

    The law after i blocks is built by recursion from the one-block affine map
    (A, b, N) read off langevin_moments (semigroup), not by the buffer formula.
    """
    d = len(h)
    b, N = G.langevin_moments(J, h, k, step=step, mean0=np.zeros(d), cov0=np.zeros((d, d)))
    A = np.stack([G.langevin_moments(J, h, k, step=step, mean0=e, cov0=np.zeros((d, d)))[0] - b
                  for e in np.eye(d)], axis=1)
    n = int(np.ceil(60.0 / eps))
    m, C = np.array(m0, dtype=float), np.array(C0, dtype=float)
    mean, second = np.zeros(d), np.zeros((d, d))
    if d == 1:  # plain floats: the eps = 0.001 sum has 60000 terms
        a, bb, nn, mm, cc, s1, s2 = float(A[0, 0]), float(b[0]), float(N[0, 0]), float(m[0]), float(C[0, 0]), 0.0, 0.0
        for i in range(1, n + 1):
            mm, cc = a * mm + bb, a * a * cc + nn
            w = eps * (1 - eps) ** (i - 1)
            s1 += w * mm
            s2 += w * (cc + mm * mm)
        return np.array([s1]), np.array([[s2 - s1 * s1]])
    for i in range(1, n + 1):
        m, C = A @ m + b, A @ C @ A.T + N
        w = eps * (1 - eps) ** (i - 1)
        mean += w * m
        second += w * (C + np.outer(m, m))
    return mean, second - np.outer(mean, mean)


@pytest.mark.parametrize("step, k", [(None, 0.15), (0.05, 4)])
@pytest.mark.parametrize("eps", [1.0, 0.5, 0.2])
def test_buffer_moments_vs_truncated_sum(step, k, eps):
    U = orthogonal(2, 5)
    J = (U * np.array([0.8, 3.0])) @ U.T
    h = np.array([0.5, -1.0])
    m0, C0 = np.array([1.0, 0.2]), np.array([[0.7, 0.2], [0.2, 0.4]])
    mean, cov = O.buffer_moments(J, h, k, eps, step=step, mean0=m0, cov0=C0)
    mt, Ct = truncated_buffer(J, h, k, eps, step, m0, C0)
    assert np.allclose(mean, mt, rtol=1e-11, atol=1e-13)
    assert np.allclose(cov, Ct, rtol=1e-10, atol=1e-13)
    if eps == 1.0:  # the short-run law
        ms, Cs = G.langevin_moments(J, h, k, step=step, mean0=m0, cov0=C0)
        assert np.allclose(mean, ms, rtol=1e-12) and np.allclose(cov, Cs, rtol=1e-12)


def test_buffer_moments_limits_and_errors():
    J, h = np.array([[2.0]]), np.array([1.0])
    m, C = O.buffer_moments(J, h, 0.1, 1e-10)
    ms, Cs = G.stationary_moments(J, h)
    assert np.allclose(m, ms, rtol=1e-8) and np.allclose(C, Cs, rtol=1e-8)
    with pytest.raises(solvable.NoFixedPointError, match="buffer law undefined"):
        O.buffer_moments([[-1.0]], [0.0], 0.1, 0.5)
    with pytest.raises(solvable.NoFixedPointError, match="buffer law undefined"):
        O.buffer_moments([[50.0]], [0.0], 3, 0.5, step=0.05)
    with pytest.raises(ValueError, match="eps must be > 0"):
        O.buffer_moments(J, h, 0.1, 0.0)
    with pytest.raises(ValueError, match="eps must be <= 1"):
        O.buffer_moments(J, h, 0.1, 1.5)


@pytest.mark.parametrize("eps, expected", [(0.5, (0.45992, 4.41084)), (0.05, (0.31790, 4.05762)),
                                           (0.001, (0.30036, 4.00119))])
def test_buffer_fixed_points_of_theory_9_3(eps, expected):
    mu, lam = O.example_fixed_point("buffer", eps=eps)
    assert abs(mu - expected[0]) < 5e-6 and abs(lam - expected[1]) < 5e-6
    # independent route: the truncated mixture of theory.md 3.7 at the fixed point reproduces the data
    ex = O.EXAMPLE
    m, C = truncated_buffer(np.array([[lam]]), np.array([lam * mu]), ex.time, eps, None, np.array([ex.mean0]),
                            np.array([[ex.var0]]))
    assert np.allclose([m[0], C[0, 0]], ex.data, rtol=1e-9)


def test_short_run_and_ml_fixed_points_of_theory_9_3():
    mu, lam = O.example_fixed_point("short-run")
    assert abs(mu - 0.60904) < 5e-6 and abs(lam - 4.52277) < 5e-6
    assert np.allclose(O.example_fixed_point("buffer", eps=1.0), (mu, lam), rtol=1e-9)
    assert O.example_fixed_point("ml") == pytest.approx((0.3, 4.0), rel=1e-14)
    assert O.example_fixed_point("cd") == pytest.approx((0.3, 4.0), rel=1e-14)  # exact kernel: CD = ML
    # the CD fixed point is a zero of the full CD gradient (CD_k >= 0 with minimum 0 there)
    assert np.allclose(O.cd_gradient(0.3, 4.0).total, 0.0, atol=1e-14)


def test_buffer_fixed_point_moves_monotonically_from_short_run_to_ml():
    eps = np.geomspace(1.0, 1e-3, 12)
    pts = np.array([O.example_fixed_point("buffer", eps=e) for e in eps])
    assert np.all(np.diff(pts[:, 0]) < 0) and np.all(np.diff(pts[:, 1]) < 0)
    assert np.all(pts[:, 0] > 0.3) and np.all(pts[:, 1] > 4.0)
    # distance to ML shrinks like eps (first order) as eps -> 0
    ratio = (pts[-1, 1] - 4.0) / (pts[-2, 1] - 4.0)
    assert np.isclose(ratio, eps[-1] / eps[-2], rtol=0.05)


def test_buffer_fixed_point_multidimensional_ula():
    U = orthogonal(2, 8)
    cov = (U * np.array([0.3, 1.5])) @ U.T
    mean = np.array([0.4, -0.6])
    for eps in (1.0, 0.3, 0.02):
        J, h = O.buffer_fixed_point(mean, cov, 10, eps, step=0.05, mean0=[0.2, 0.0], var0=0.8)
        m, C = O.buffer_moments(J, h, 10, eps, step=0.05, mean0=[0.2, 0.0], cov0=0.8 * np.eye(2))
        assert np.allclose(m, mean, rtol=1e-9, atol=1e-10) and np.allclose(C, cov, rtol=1e-9, atol=1e-10)
    Js, hs = G.short_run_fixed_point(mean, cov, 10, step=0.05, mean0=[0.2, 0.0], var0=0.8)
    J1, h1 = O.buffer_fixed_point(mean, cov, 10, 1.0, step=0.05, mean0=[0.2, 0.0], var0=0.8)
    assert np.allclose(J1, Js, rtol=1e-8) and np.allclose(h1, hs, rtol=1e-8)


def test_buffer_process_monte_carlo_reaches_the_data_at_the_fixed_point():
    # independent route: simulate the buffer itself (exact OU steps of tau, re-init with probability eps)
    ex = O.EXAMPLE
    rng = np.random.default_rng(12)
    M = 100_000
    for eps in (0.5, 0.2):
        mu, lam = O.example_fixed_point("buffer", eps=eps)
        step_map = gen.flow([[lam]], [lam * mu], ex.tau)  # one exact OU step: x -> a x + b + sqrt(n) xi
        a, b, s = step_map.decay[0], step_map.offset[0], np.sqrt(step_map.noise_var[0])
        x = ex.mean0 + np.sqrt(ex.var0) * rng.standard_normal(M)
        for _ in range(int(np.ceil(30 / eps))):
            reinit = rng.random(M) < eps
            x[reinit] = ex.mean0 + np.sqrt(ex.var0) * rng.standard_normal(int(reinit.sum()))
            for _ in range(ex.k):
                x = a * x + b + s * rng.standard_normal(M)
        f = G.features(x[:, None])
        zs = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M),
                     G.features_of_law(np.array([ex.data_mean]), np.array([[ex.data_var]])))
        assert np.max(np.abs(zs)) < Z
        # negative control: the short-run fixed point would not be stationary for this buffer
        if eps == 0.2:
            ms, ls = O.example_fixed_point("short-run")
            mb, vb = O.buffer_moments([[ls]], [ls * ms], ex.time, eps, mean0=ex.mean0, cov0=ex.var0)
            assert abs((mb[0] - x.mean()) / (x.std() / np.sqrt(M))) > Z


def test_fixed_point_errors():
    with pytest.raises(ValueError, match="eps is required for scheme='buffer'"):
        O.example_fixed_point("buffer")
    with pytest.raises(ValueError, match="eps is required for scheme='buffer'"):
        O.example_fixed_point("ml", eps=0.5)
    with pytest.raises(ValueError, match="scheme must be one of"):
        O.example_fixed_point("pcd-ula")
    with pytest.raises(ValueError, match="k must be > 0"):
        O.buffer_fixed_point([0.3], [[0.25]], 0.0, 0.5)
    with pytest.raises(solvable.NoFixedPointError, match="no replay-buffer fixed point"):
        O.buffer_fixed_point([0.3], [[0.005]], 10, 0.5, step=0.05)  # c < 2 eta: no ULA fixed point
    # 1-D continuous time, m0 = mean: the buffer variance is below v0 + 2k/eps = 0.1 + 0.4/0.5 = 0.9
    with pytest.raises(solvable.NoFixedPointError, match="wider than any buffer law"):
        O.buffer_fixed_point([0.0], [[0.95]], 0.2, 0.5, var0=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # c = 0.6 > v0 + 2k = 0.5: the short-run point is non-normalizable, the buffer point is not
        J, h = O.buffer_fixed_point([0.0], [[0.6]], 0.2, 0.5, var0=0.1)
    m, C = O.buffer_moments(J, h, 0.2, 0.5, mean0=0.0, cov0=0.1)
    assert J[0, 0] > 0 and np.isclose(C[0, 0], 0.6, rtol=1e-9)


@pytest.mark.parametrize("step, k", [(None, 0.15), (0.05, 5)])
def test_simulate_buffer_matches_buffer_moments(step, k):
    U = orthogonal(2, 6)
    J = (U * np.array([1.0, 4.0])) @ U.T
    h = np.array([0.5, -0.3])
    # ULA: fewer chains (each update re-seeds the Numba streams); (1 - eps)^40 ~ 1e-6 is far below the SE
    eps, M, n_up = 0.3, (100_000 if step is None else 20_000), 40
    x = O.simulate_buffer(J, h, k, eps, M, n_up, step=step, mean0=[0.5, 0.0], var0=0.5, seed=3)
    f = G.features(x)
    pred = G.features_of_law(*O.buffer_moments(J, h, k, eps, step=step, mean0=[0.5, 0.0], cov0=0.5 * np.eye(2)))
    assert np.max(np.abs(zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M), pred))) < Z
    # negative control: the short-run law (eps = 1) is resolved as different
    short = G.features_of_law(*G.langevin_moments(J, h, k, step=step, mean0=[0.5, 0.0], cov0=0.5 * np.eye(2)))
    assert np.max(np.abs(zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(M), short))) > Z
    y = O.simulate_buffer(J, h, k, eps, 1000, 5, step=step, mean0=[0.5, 0.0], var0=0.5, seed=3)
    assert np.array_equal(y, O.simulate_buffer(J, h, k, eps, 1000, 5, step=step, mean0=[0.5, 0.0], var0=0.5, seed=3))


def test_simulate_buffer_errors():
    with pytest.raises(ValueError, match="n_updates must be >= 1"):
        O.simulate_buffer([[1.0]], [0.0], 0.1, 0.5, 10, 0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        O.simulate_buffer([[1.0]], [0.0], 0.1, 0.0, 10, 5)
    with pytest.raises(ValueError, match="integer number of steps"):
        O.simulate_buffer([[1.0]], [0.0], 0.5, 0.5, 10, 5, step=0.1)


@HYP
@given(thetas, st.floats(-1, 1), st.floats(0.0, 3.0), st.integers(0, 4))
def test_chain_law_is_langevin_moments(theta, m, v, n):
    mu, lam = theta
    ex = O.EXAMPLE
    mean, cov = G.langevin_moments([[lam]], [lam * mu], n * ex.time, mean0=[m], cov0=[[v]])
    assert np.allclose(O.chain_law(mu, lam, m, v, n_blocks=n), (mean[0], cov[0, 0]), rtol=1e-12, atol=1e-14)


def test_quadrature_errors():
    with pytest.raises(ValueError, match="lo must be < hi"):
        O.entropy_1d(stats.norm().logpdf, lo=1.0, hi=0.0)
