"""Gaussian mixture with learnable means and log-weights (solvable.gmm; Carbone et al. 2023, arXiv 2305.19414).

Independent routes: central finite differences for every gradient, numerical integration
(scipy.integrate.quad) for log Z, quadrature vs Monte Carlo vs the closed form of a single
Gaussian for the KL, sample moments (z-scores) for the sampler, EM for the ML target.
"""
import numpy as np
import pytest
from scipy import integrate

from solvable import gmm
from solvable.errors import DivergenceError

from solvable.testing import Z_MAX as Z  # suite-wide z tolerance (theory.md section 8)


def random_mixture(m, d, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 2, (m, d)), rng.normal(0, 1, m)


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("m,d", [(1, 1), (2, 1), (3, 2), (2, 7)])
def test_grad_x_matches_finite_differences(m, d):
    a, z = random_mixture(m, d, seed=m + 10 * d)
    x = np.random.default_rng(1).normal(0, 3, (6, d))
    g = gmm.grad_x(x, a, z)
    h = 1e-6
    for j in range(d):
        e = np.zeros(d)
        e[j] = h
        fd = (gmm.energy(x + e, a, z) - gmm.energy(x - e, a, z)) / (2 * h)
        np.testing.assert_allclose(g[:, j], fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("m,d", [(2, 1), (3, 2), (2, 12)])
def test_grad_theta_matches_finite_differences(m, d):
    a, z = random_mixture(m, d, seed=3 * m + d)
    x = np.random.default_rng(2).normal(0, 3, (5, d))
    ga, gz = gmm.grad_theta(x, a, z)
    assert ga.shape == (5, m, d) and gz.shape == (5, m)
    h = 1e-6
    for i in range(m):
        dz = np.zeros(m)
        dz[i] = h
        fd = (gmm.energy(x, a, z + dz) - gmm.energy(x, a, z - dz)) / (2 * h)
        np.testing.assert_allclose(gz[:, i], fd, rtol=1e-6, atol=1e-7)
        for j in range(d):
            da = np.zeros((m, d))
            da[i, j] = h
            fd = (gmm.energy(x, a + da, z) - gmm.energy(x, a - da, z)) / (2 * h)
            np.testing.assert_allclose(ga[:, i, j], fd, rtol=1e-6, atol=1e-7)
    # responsibilities are a probability vector per point and dE/dz_i = r_i
    r = gmm.responsibilities(x, a, z)
    np.testing.assert_allclose(r.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(r, gz)


def test_energy_far_from_the_modes_is_finite_and_exact():
    """log-sum-exp stability: at |x - a| ~ 1e3 the energy is the nearest mode's quadratic."""
    a, z = np.array([[-1.0], [2.0]]), np.array([0.0, 0.5])
    x = np.array([[1500.0], [-1200.0]])
    e = gmm.energy(x, a, z)
    np.testing.assert_allclose(e, [0.5 * (1498.0) ** 2 + 0.5, 0.5 * (1199.0) ** 2], rtol=1e-13)


# ----------------------------------------------------------------------------- log Z, weights
@pytest.mark.parametrize("m", [1, 2, 3])
def test_log_partition_vs_numerical_integration_1d(m):
    a, z = random_mixture(m, 1, seed=m)
    val, err = integrate.quad(lambda t: np.exp(-gmm.energy(np.array([[t]]), a, z)[0]), -40, 40, limit=400,
                              points=sorted(a[:, 0]))
    assert err < 1e-9 * val
    assert gmm.log_partition(a, z) == pytest.approx(np.log(val), rel=1e-10, abs=1e-10)


def test_log_partition_vs_2d_integration():
    a, z = random_mixture(2, 2, seed=5)
    val, _ = integrate.dblquad(lambda y, x: np.exp(-gmm.energy(np.array([[x, y]]), a, z)[0]), -15, 15, -15, 15,
                               epsabs=1e-12, epsrel=1e-10)
    assert gmm.log_partition(a, z) == pytest.approx(np.log(val), rel=1e-8)


def test_weights_and_log_weights_round_trip():
    w = np.array([0.2, 0.5, 0.3])
    z = gmm.z_from_weights(w)
    assert z[0] == 0.0
    np.testing.assert_allclose(gmm.weights_from_z(z), w, rtol=1e-14)
    np.testing.assert_allclose(gmm.weights_from_z(z + 123.0), w, rtol=1e-12)  # shift invariance


def test_log_density_is_normalised_1d():
    a, z = random_mixture(3, 1, seed=8)
    val, _ = integrate.quad(lambda t: np.exp(gmm.log_density(np.array([[t]]), a, z)[0]), -40, 40, limit=400)
    assert val == pytest.approx(1.0, rel=1e-10)


# ----------------------------------------------------------------------------- sampling and KL
def test_sample_data_moments_z_scores():
    """Component fraction, mean and second moment of the first coordinate vs the exact mixture values."""
    means = np.array([[-3.0, 1.0], [4.0, 0.0]])
    w = np.array([0.3, 0.7])
    n = 50_000
    x = gmm.sample_data(n, means=means, weights=w, seed=4)
    assert x.shape == (n, 2)
    left = x[:, 0] < 0.5
    frac_se = np.sqrt(w[0] * w[1] / n)
    assert abs(left.mean() - w[0]) / frac_se < Z  # tails crossing 0.5 are below 1e-3 of the SE here
    m1 = w @ means[:, 0]
    m2 = w @ (means[:, 0] ** 2 + 1.0)
    var1 = m2 - m1**2
    assert abs(x[:, 0].mean() - m1) / np.sqrt(var1 / n) < Z
    f = x[:, 0] ** 2
    assert abs(f.mean() - m2) / (f.std(ddof=1) / np.sqrt(n)) < Z
    # negative control: a wrong weight is resolved
    assert abs(left.mean() - 0.33) / frac_se > Z


def test_kl_quadrature_vs_monte_carlo_vs_closed_form():
    pa, pw = np.array([[-12.0], [9.0]]), np.array([0.8, 0.2])
    qa, qw = np.array([[-11.5], [8.0]]), np.array([0.6, 0.4])
    quad = gmm.kl(pa, pw, qa, qw)
    assert quad.method == "quadrature" and quad.se == 0.0
    mc = gmm.kl(pa, pw, qa, qw, method="mc", n_samples=40_000, seed=3)
    assert mc.method == "mc" and mc.se > 0
    assert abs(mc.value - quad.value) / mc.se < Z
    rev = gmm.kl(qa, qw, pa, pw)  # negative control: the reversed divergence is resolved
    assert abs(mc.value - rev.value) / mc.se > 3 * Z
    # separated modes, same means: KL = sum_i p_i log(p_i / q_i) (weights only)
    same = gmm.kl(pa, pw, pa, qw)
    assert same.value == pytest.approx(float(np.sum(pw * np.log(pw / qw))), rel=1e-9)
    # one mode: KL(N(a, I) || N(b, I)) = |a - b|^2 / 2, in 1-D by quadrature and in 5-D by MC
    one = gmm.kl([[0.3]], [1.0], [[-1.2]], [1.0])
    assert one.value == pytest.approx(0.5 * 1.5**2, rel=1e-9)
    a5, b5 = np.full((1, 5), 0.2), np.zeros((1, 5))
    mc5 = gmm.kl(a5, [1.0], b5, [1.0], n_samples=20_000, seed=1)
    assert mc5.method == "mc" and abs(mc5.value - 0.5 * 5 * 0.04) / mc5.se < Z
    assert gmm.kl(pa, pw, pa, pw).value == pytest.approx(0.0, abs=1e-12)


def test_kl_monte_carlo_se_matches_spread_across_seeds():
    """The per-run SE s/sqrt(n) against the SD of the estimate over independent seeds."""
    pa, pw = np.array([[-2.0, 0.0], [2.0, 0.0]]), np.array([0.5, 0.5])
    qa, qw = np.array([[-1.5, 0.3], [2.5, 0.0]]), np.array([0.3, 0.7])
    runs = [gmm.kl(pa, pw, qa, qw, n_samples=2000, seed=s) for s in range(40)]
    vals = np.array([r.value for r in runs])
    se = np.mean([r.se for r in runs])
    ratio = vals.std(ddof=1) / se
    # SD of a sample SD from 40 runs: about 1/sqrt(2 * 39) = 11%
    assert abs(ratio - 1.0) < 5 * 0.113, ratio


def test_em_finds_the_sample_fraction_for_separated_modes():
    means = np.array([[-12.0], [9.0]])
    x = gmm.sample_data(1000, means=means, weights=[0.8, 0.2], seed=0)
    a, w = gmm.em(x, means0=[[-1.0], [1.0]])
    frac = np.mean(x[:, 0] < -1.5)
    assert w[0] == pytest.approx(frac, abs=1e-9)
    np.testing.assert_allclose(a[0, 0], x[x[:, 0] < -1.5, 0].mean(), atol=1e-8)
    # stationarity: the exact log-likelihood gradient vanishes at the EM fixed point
    z = gmm.z_from_weights(w)
    ga, gz = gmm.grad_theta(x, a, z)
    r = gmm.responsibilities(x, a, z)
    np.testing.assert_allclose(gz.mean(axis=0) - r.mean(axis=0), 0.0, atol=1e-15)  # trivially, r = dE/dz
    np.testing.assert_allclose(gz.mean(axis=0), w, atol=1e-9)  # the model weight = mean responsibility
    np.testing.assert_allclose(ga.mean(axis=0), 0.0, atol=1e-9)


# ----------------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def data_1d():
    return gmm.sample_data(500, means=[[-6.0], [5.0]], weights=[0.7, 0.3], seed=0)


@pytest.mark.parametrize("scheme", gmm.SCHEMES)
def test_train_shapes_histories_and_order(data_1d, scheme):
    r = gmm.train(data_1d, n_modes=2, scheme=scheme, step=0.1, lr=0.02, n_iter=60, n_walkers=200, seed=1,
                  true_means=[[-6.0], [5.0]], true_weights=[0.7, 0.3], kl_every=20)
    h = r.history
    assert r.weights.shape == (2,) and r.means.shape == (2, 1) and r.z.shape == (2,)
    assert r.weights.sum() == pytest.approx(1.0) and r.means[0, 0] <= r.means[1, 0]
    assert h["weights"].shape == (61, 2) and h["means"].shape == (61, 2, 1) and h["log_z"].shape == (61,)
    assert h["walker_fractions"].shape == (61, 2) and h["weighted_fractions"].shape == (61, 2)
    np.testing.assert_array_equal(h["kl_iterations"], [0, 20, 40, 60])
    assert h["kl"].shape == (4,) and np.all(h["kl"] >= 0) and np.all(h["kl_se"] == 0)
    assert h["kl"][-1] < h["kl"][0]  # the means move toward the data
    # exact log Z per iteration from the recorded parameters
    for i in (0, 30, 60):
        assert h["log_z"][i] == pytest.approx(gmm.log_partition(h["means"][i], h["z"][i]), rel=1e-12)
    # the first log-weight (internal index 0) is held fixed
    assert np.all(h["z"][:, list(r.order).index(0)] == 0.0)
    if scheme == "jarzynski":
        assert h["ess"].shape == (61,) and h["log_z_hat"].shape == (61,)
        assert h["log_z_hat"][0] == pytest.approx(h["log_z"][0], rel=1e-12)  # exact start
    else:
        np.testing.assert_array_equal(h["walker_fractions"], h["weighted_fractions"])
    np.testing.assert_allclose(r.tail_mean(1.0), h["weights"].mean(axis=0))


def test_train_highdim_kl_is_monte_carlo_with_se():
    d = 6
    tm = np.zeros((2, d))
    tm[0, 0], tm[1, 0] = -4.0, 4.0
    x = gmm.sample_data(400, means=tm, weights=[0.5, 0.5], seed=2)
    r = gmm.train(x, n_modes=2, scheme="jarzynski", step=0.1, lr=0.02, n_iter=30, n_walkers=100, seed=0,
                  true_means=tm, true_weights=[0.5, 0.5], kl_every=10, kl_samples=500)
    assert r.means.shape == (2, d) and np.all(r.history["kl_se"] > 0)


def test_same_seed_same_bits(data_1d):
    kw = dict(n_modes=2, step=0.1, lr=0.02, n_iter=40, n_walkers=100, seed=5)
    for scheme in gmm.SCHEMES:
        a = gmm.train(data_1d, scheme=scheme, **kw)
        b = gmm.train(data_1d, scheme=scheme, **kw)
        np.testing.assert_array_equal(a.history["weights"], b.history["weights"])
        np.testing.assert_array_equal(a.history["means"], b.history["means"])
        c = gmm.train(data_1d, scheme=scheme, **{**kw, "seed": 6})
        assert not np.array_equal(a.history["means"], c.history["means"])
    s1 = gmm.sample_data(10, means=[[0.0], [1.0]], weights=[0.5, 0.5], seed=3)
    np.testing.assert_array_equal(s1, gmm.sample_data(10, means=[[0.0], [1.0]], weights=[0.5, 0.5], seed=3))


def test_jarzynski_walkers_represent_the_model_weight_along_a_fixed_path():
    """The ULA weights of the training walkers, replayed along a pre-set path that separates the modes
    and changes the weight, give the model weight within the weighted SE (theory.md 6.1)."""
    from solvable import jarzynski as JZ

    L = 300
    path = [{"means": np.array([[-0.5 - 8.5 * t], [0.5 + 6.5 * t]]), "z": np.array([0.0, 1.2 * t])}
            for t in np.linspace(0, 1, L + 1)]
    n = 4000
    rng = np.random.default_rng(7)
    w0 = gmm.weights_from_z(path[0]["z"])
    x0 = path[0]["means"][rng.choice(2, size=n, p=w0)] + rng.standard_normal((n, 1))
    step = 0.1

    def grad(p, x):
        return gmm.grad_x(x, p["means"], p["z"])

    def move(p, x, s):
        return x - step * grad(p, x) + np.sqrt(2 * step) * np.random.default_rng(s).standard_normal(x.shape)

    w_end = gmm.weights_from_z(path[-1]["z"])[0]
    lz = gmm.log_partition(path[-1]["means"], path[-1]["z"])
    for thr in (0.5, None):  # with and without resampling
        res = JZ.anneal(path, x0, energy=lambda p, x: gmm.energy(x, p["means"], p["z"]), move=move, grad=grad,
                        step=step, ess_threshold=thr, seed=8,
                        log_z0=gmm.log_partition(path[0]["means"], path[0]["z"]))
        r = gmm.responsibilities(res.x, path[-1]["means"], path[-1]["z"])[:, 0]
        f, se = JZ.weighted_mean_se(r, res.log_w)
        assert abs(f - w_end) / se < Z, (thr, f, w_end, se)
        assert abs(res.log_z[-1] - lz) / res.log_z_stderr < Z
    # negative control: without resampling the unweighted walkers keep the early split
    assert abs(r.mean() - w_end) / (r.std(ddof=1) / np.sqrt(n)) > 3 * Z


# ----------------------------------------------------------------------------- errors
def test_bad_input_names_the_argument(data_1d):
    kw = dict(n_modes=2, scheme="pcd", step=0.1, lr=0.02, n_iter=5, n_walkers=10)
    with pytest.raises(ValueError, match="scheme"):
        gmm.train(data_1d, **{**kw, "scheme": "jarzinski"})
    with pytest.raises(ValueError, match="step"):
        gmm.train(data_1d, **{**kw, "step": 0.0})
    with pytest.raises(ValueError, match="lr"):
        gmm.train(data_1d, **{**kw, "lr": -1.0})
    with pytest.raises(ValueError, match="n_walkers"):
        gmm.train(data_1d, **{**kw, "n_walkers": 1})
    with pytest.raises(ValueError, match="n_modes"):
        gmm.train(data_1d, **{**kw, "n_modes": 0})
    with pytest.raises(TypeError, match="n_iter"):
        gmm.train(data_1d, **{**kw, "n_iter": 2.5})
    with pytest.raises(ValueError, match="means0"):
        gmm.train(data_1d, **kw, means0=np.zeros((3, 1)))
    with pytest.raises(ValueError, match="true_weights"):
        gmm.train(data_1d, **kw, true_means=[[0.0], [1.0]])
    with pytest.raises(ValueError, match="data"):
        gmm.train(np.full((5, 1), np.nan), **kw)
    with pytest.raises(ValueError, match="weights"):
        gmm.sample_data(5, means=[[0.0], [1.0]], weights=[0.5, 0.6])
    with pytest.raises(ValueError, match="z"):
        gmm.log_partition([[0.0], [1.0]], [0.0])
    with pytest.raises(ValueError, match="x"):
        gmm.energy(np.zeros((3, 2)), [[0.0], [1.0]], [0.0, 0.0])
    with pytest.raises(ValueError, match="quadrature"):
        gmm.kl(np.zeros((1, 2)), [1.0], np.zeros((1, 2)), [1.0], method="quadrature")
    with pytest.raises(ValueError, match="method"):
        gmm.kl([[0.0]], [1.0], [[0.0]], [1.0], method="simpson")


def test_divergence_is_reported(data_1d):
    """ULA with step > 2 is unstable in every well (step 3: x -> -2x + 3a): a DivergenceError, never NaN.
    (Jarzynski resampling discards the escaping walkers at step 3, hence step 10 there.)"""
    for scheme, k, step in (("pcd", 50, 3.0), ("cd", 600, 3.0), ("jarzynski", 1, 10.0)):
        with pytest.raises(DivergenceError, match="overflowed"):
            gmm.train(data_1d, n_modes=2, scheme=scheme, step=step, lr=1e-3, n_iter=500, n_walkers=10, k=k)
