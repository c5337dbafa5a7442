"""The generic path (solvable.EnergyModel / train / compare) against the closed forms.

A quadratic energy and independent spins given through plain NumPy callables must land where
gaussian.short_run_fixed_point / persistent_fixed_point / mle and
bernoulli.short_run_fixed_point say, within Monte Carlo error (batch-means SE of the tail
average); each comparison has a must-FAIL control (the prediction of another scheme).
"""
import numpy as np
import pytest

import solvable
from solvable import DivergenceError, bernoulli, gaussian, testing
from solvable.model import EnergyModel, compare, train

from solvable.testing import Z_MAX  # noqa: E402
D = 2
IU = np.triu_indices(D)


def _J_h(theta):
    J = np.zeros((D, D))
    J[IU] = theta[: len(IU[0])]
    J = J + J.T - np.diag(np.diag(J))
    return J, theta[len(IU[0]):]


def _theta(J, h):
    return np.concatenate([np.asarray(J)[IU], h])


def quadratic_model():
    """E = x'Jx/2 - h'x with theta = (J_11, J_12, J_22, h_1, h_2); start law N(0, I)."""
    def energy(x, t):
        J, h = _J_h(t)
        return 0.5 * np.einsum("ni,ij,nj->n", x, J, x) - x @ h

    def grad_x(x, t):
        J, h = _J_h(t)
        return x @ J - h

    def grad_theta(x, t):
        quad = x[:, IU[0]] * x[:, IU[1]] * np.where(IU[0] == IU[1], 0.5, 1.0)
        return np.hstack([quad, -x])

    return EnergyModel(energy, grad_x, grad_theta, lambda n, rng: rng.standard_normal((n, D)), name="quadratic",
                       log_p0=lambda x: -0.5 * np.sum(x * x, axis=1))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    return rng.multivariate_normal([0.3, -0.5], [[1.0, 0.2], [0.2, 0.7]], size=4000)


def _moments(X):
    return X.mean(axis=0), np.cov(X.T, bias=True)


def _z(res, J, h, n_batches=20):
    t = res.tail_mean(0.5, n_batches)
    return (t.mean - _theta(J, h)) / t.se


def test_short_run_lands_on_closed_form_fixed_point(data):
    m, C = _moments(data)
    model = quadratic_model()
    res = train(model, data, scheme="short-run", k=10, step=0.1, lr=0.5, n_iter=3000, n_chains=2000,
                theta0=_theta(np.eye(D), np.zeros(D)), seed=1, progress=False)
    # batches of 150 updates against integrated autocorrelation times of 5-30 updates (with 800
    # updates and 20 batches of 20 the batch-means SE was too small: |z| up to 3.4 across seeds)
    tail = res.history["theta"][1500:]
    tau = max(testing.integrated_autocorrelation_time(tail[:, i]) for i in range(tail.shape[1]))
    assert 150 >= 4 * tau, tau
    z = _z(res, *gaussian.short_run_fixed_point(m, C, 10, step=0.1), n_batches=10)
    assert np.max(np.abs(z)) < Z_MAX, z
    # must-fail control: the PCD-ULA point of the same data is many SE away
    z_other = _z(res, *gaussian.persistent_fixed_point(m, C, step=0.1), n_batches=10)
    assert np.max(np.abs(z_other)) > 3 * Z_MAX, z_other
    assert res.history["theta"].shape == (3001, 5) and res.history["error"].shape == (3000,)


@pytest.mark.slow
def test_tail_mean_se_matches_spread_across_seeds(data):
    """The batch-means SE of the tail average against the spread of 8 independent runs (ratio in
    [0.6, 1.6]: the SD of 8 replicates is itself uncertain by ~25%)."""
    m, C = _moments(data)
    means, ses = [], []
    for seed in range(8):
        res = train(quadratic_model(), data, scheme="short-run", k=10, step=0.1, lr=0.5, n_iter=3000,
                    n_chains=2000, theta0=_theta(np.eye(D), np.zeros(D)), seed=100 + seed, progress=False)
        t = res.tail_mean(0.5, 10)
        means.append(t.mean)
        ses.append(t.se)
    ratio = np.mean(ses, axis=0) / np.std(means, axis=0, ddof=1)
    print("SE / spread per parameter:", np.round(ratio, 2))
    assert np.all((ratio > 0.6) & (ratio < 1.6)), ratio
    pred = _theta(*gaussian.short_run_fixed_point(m, C, 10, step=0.1))
    z = (np.mean(means, axis=0) - pred) / (np.std(means, axis=0, ddof=1) / np.sqrt(8))
    assert np.max(np.abs(z)) < Z_MAX, z


@pytest.mark.parametrize("scheme", ["pcd", "jarzynski"])
def test_pcd_ula_biased_jarzynski_on_mle(data, scheme):
    """PCD with ULA -> j(1 - eta j/2) = 1/c (persistent_fixed_point); Jarzynski-weighted -> the MLE
    (Carbone et al. 2023, arXiv 2305.19414). eta = 0.3 makes the two points differ by ~17%.
    The parameter trajectory of persistent chains is autocorrelated over ~100 updates: 6000 updates
    and 10 batches keep each batch long against it (with 3000 updates and 20 batches the batch-means
    SE came out too small, |z| up to 7.7 started at the fixed point itself)."""
    m, C = _moments(data)
    step = 0.3
    truth = {"pcd": gaussian.persistent_fixed_point(m, C, step=step), "jarzynski": gaussian.mle(m, C)}
    res = train(quadratic_model(), data, scheme=scheme, k=1, step=step, lr=0.3, n_iter=6000, n_chains=1000,
                theta0=_theta(np.eye(D), np.zeros(D)), seed=2, progress=False)
    z = _z(res, *truth[scheme], n_batches=10)
    assert np.max(np.abs(z)) < Z_MAX, z
    other = "jarzynski" if scheme == "pcd" else "pcd"
    assert np.max(np.abs(_z(res, *truth[other], n_batches=10))) > 3 * Z_MAX
    if scheme == "jarzynski":
        assert {"ess", "log_z", "log_z_se", "n_resamples"} <= set(res.history)


def test_mala_pcd_lands_on_mle(data):
    m, C = _moments(data)
    res = train(quadratic_model(), data, scheme="pcd", k=1, step=0.3, method="mala", lr=0.3, n_iter=6000,
                n_chains=1000, theta0=_theta(np.eye(D), np.zeros(D)), seed=4, progress=False)
    assert np.max(np.abs(_z(res, *gaussian.mle(m, C), n_batches=10))) < Z_MAX
    assert np.max(np.abs(_z(res, *gaussian.persistent_fixed_point(m, C, step=0.3), n_batches=10))) > 3 * Z_MAX


def spin_model(n):
    """Independent spins E = -h.s on {-1, 1}^n, random-site heat bath as the move, uniform p0."""
    def move(s, h, k, rng):
        s = s.copy()
        rows = np.arange(s.shape[0])
        for _ in range(k):
            i = rng.integers(0, n, size=s.shape[0])
            up = rng.random(s.shape[0]) < 0.5 * (1 + np.tanh(h[i]))
            s[rows, i] = np.where(up, 1.0, -1.0)
        return s

    return EnergyModel(lambda s, h: -s @ h, None, lambda s, h: -s,
                       lambda m, rng: rng.choice([-1.0, 1.0], size=(m, n)), move=move, name="spins")


def test_spin_move_lands_on_bernoulli_fixed_point():
    n, k = 3, 4
    rng = np.random.default_rng(5)
    mD = np.array([0.3, -0.5, 0.1])
    S = np.where(rng.random((5000, n)) < (1 + mD) / 2, 1.0, -1.0)
    m = S.mean(axis=0)
    res = train(spin_model(n), S, scheme="short-run", k=k, lr=0.3, n_iter=800, n_chains=3000, theta0=np.zeros(n),
                seed=6, progress=False)
    t = res.tail_mean(0.5)
    pred = bernoulli.short_run_fixed_point(m, k, dynamics="random-heat-bath", n=n)
    z = (t.mean - pred) / t.se
    assert np.max(np.abs(z)) < Z_MAX, z
    assert np.max(np.abs((t.mean - bernoulli.mle(m)) / t.se)) > 3 * Z_MAX  # must-fail: the MLE


def test_compare_matches_at_k_only():
    """z-scores combine the chains' and the data's errors: 40 000 data rows resolve t = 4k."""
    data = np.random.default_rng(4).multivariate_normal([0.3, -0.5], [[1.0, 0.2], [0.2, 0.7]], size=40000)
    m, C = _moments(data)
    J, h = gaussian.short_run_fixed_point(m, C, 10, step=0.1)
    cmp = compare(quadratic_model(), _theta(J, h), data, k=10, times=[0, 5, 10, 40], n_chains=20000, step=0.1,
                  seed=3)
    mz = cmp.max_abs_z_data()
    assert mz[2] < Z_MAX and mz[0] > 3 * Z_MAX and mz[3] > Z_MAX, mz
    assert cmp.se_data is None and "<- t = k" in cmp.table() and "equil." not in cmp.table()
    # with the data's error added the z-scores can only shrink
    both = compare(quadratic_model(), _theta(J, h), data, k=10, times=[0, 5, 10, 40], n_chains=20000, step=0.1,
                   seed=3, data_error=True)
    assert both.se_data is not None and np.all(both.max_abs_z_data() <= mz + 1e-12)


def test_public_reexports():
    assert solvable.EnergyModel is EnergyModel and solvable.train is train and solvable.compare is compare


def test_same_seed_same_bits(data):
    kw = dict(scheme="short-run", k=3, step=0.1, lr=0.5, n_iter=20, n_chains=100,
              theta0=_theta(np.eye(D), np.zeros(D)), progress=False)
    a = train(quadratic_model(), data, seed=9, **kw).history["theta"]
    b = train(quadratic_model(), data, seed=9, **kw).history["theta"]
    c = train(quadratic_model(), data, seed=10, **kw).history["theta"]
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_validation(data):
    model = quadratic_model()
    good = dict(scheme="short-run", k=3, step=0.1, lr=0.5, n_iter=2, n_chains=10, theta0=np.array([1, 0, 1, 0, 0.]),
                progress=False)
    with pytest.raises(TypeError, match="EnergyModel"):
        train(object(), data, **good)
    with pytest.raises(ValueError, match="scheme"):
        train(model, data, **{**good, "scheme": "exact"})
    with pytest.raises(ValueError, match="k"):
        train(model, data, **{**good, "k": 0})
    with pytest.raises(ValueError, match="step"):
        train(model, data, **{**good, "step": None})
    with pytest.raises(ValueError, match="step"):
        train(model, data, **{**good, "step": -0.1})
    with pytest.raises(ValueError, match="data"):
        train(model, np.full((5, 2), np.nan), **good)
    with pytest.raises(ValueError, match="grad_theta returned shape"):
        train(model, data, **{**good, "theta0": np.zeros(3)})
    bad = EnergyModel(lambda x, t: np.zeros(len(x)), lambda x, t: np.zeros((len(x), 3)), lambda x, t: -x,
                      lambda n, rng: rng.standard_normal((n, 2)), name="bad")
    with pytest.raises(ValueError, match=r"bad.grad_x returned shape \(10, 3\)"):
        train(bad, data, **{**good, "theta0": np.zeros(2)})
    with pytest.raises(ValueError, match="grad_x may be None"):
        EnergyModel(lambda x, t: x[:, 0], None, lambda x, t: -x, lambda n, rng: rng.standard_normal((n, 2)))


def test_divergence_is_reported(data):
    with pytest.raises(DivergenceError):
        train(quadratic_model(), data, scheme="short-run", k=50, step=2.5, lr=0.1, n_iter=5, n_chains=50,
              theta0=np.array([1, 0, 1, 0, 0.]), progress=False)


def test_runaway_is_reported():
    """One random-site heat-bath update among n = 3 spins from the uniform law reaches |m| <= 1/3 at
    most; data with m = 0.9 cannot be matched, so the field grows linearly (theory.md 4)."""
    from solvable.runaway import RunawayWarning

    S = np.where(np.random.default_rng(0).random((2000, 3)) < 0.95, 1.0, -1.0)
    with pytest.warns(RunawayWarning, match="spins"):
        train(spin_model(3), S, scheme="short-run", k=1, lr=0.1, n_iter=400, n_chains=500, theta0=np.zeros(3),
              seed=1, progress=False)
    # control: k = 30 updates reach the data (no warning; filterwarnings=error turns one into a failure)
    res = train(spin_model(3), S, scheme="short-run", k=30, lr=0.1, n_iter=400, n_chains=500, theta0=np.zeros(3),
                seed=1, progress=False)
    assert np.all(np.isfinite(res.theta))
