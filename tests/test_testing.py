"""solvable.testing: the assertions are calibrated (correct predictions pass at the stated rate,
shifted ones fail, standard errors agree with the spread across independent replicates), the
strategies produce valid parameters, and the module imports without hypothesis."""
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal

from solvable import bernoulli, gaussian
from solvable import testing as T

N_SEEDS = 200


def _gauss(seed, M, mean, cov):
    return np.random.default_rng(seed).multivariate_normal(mean, cov, size=M)


MEAN = np.array([0.5, -1.0])
COV = np.array([[1.0, 0.6], [0.6, 2.0]])


# --------------------------------------------------------------------------------------
# assert_moments_match: calibration
# --------------------------------------------------------------------------------------
def test_moments_match_calibrated_on_correct_samples():
    """200 seeds of correct samples: no failure at z = 5 (expected 200 * 5 * 5.7e-7 = 6e-4), and
    the z-scores of the 5 statistics are N(0, 1): mean z^2 within 5 SE of 1, P(|z| > 2) within
    binomial error of 4.55%."""
    zs = []
    failures = 0
    for seed in range(N_SEEDS):
        x = _gauss(seed, 2000, MEAN, COV)
        try:
            zs.append(T.assert_moments_match(x, MEAN, COV))
        except AssertionError:
            failures += 1
    assert failures == 0
    z = np.array(zs).ravel()
    # z^2 has mean 1 and variance 2 for a standard normal
    assert abs(np.mean(z**2) - 1.0) < 5 * np.sqrt(2.0 / z.size)
    p = np.mean(np.abs(z) > 2)
    assert abs(p - 0.0455) < 5 * np.sqrt(0.0455 * 0.9545 / z.size)


def test_moments_match_fails_on_a_known_shift():
    """A mean shift of 15 SE (3x the tolerance) and a variance wrong by 15 SE of <x1^2> fail on every seed;
    the message lists the shifted statistic first with its z."""
    M = 2000
    shift = 15.0 * np.sqrt(COV[0, 0] / M)
    se_x1sq = np.sqrt((2 * COV[1, 1] ** 2 + 4 * MEAN[1] ** 2 * COV[1, 1]) / M)  # Var(x^2) = 2s^4 + 4m^2s^2
    for seed in range(20):
        x = _gauss(seed, M, MEAN, COV)
        with pytest.raises(AssertionError, match=r"<x0>.*z = \+1[0-9]\."):
            T.assert_moments_match(x + [shift, 0.0], MEAN)
        with pytest.raises(AssertionError, match="x1 x1"):
            T.assert_moments_match(x, MEAN, COV + np.diag([0.0, 15.0 * se_x1sq]))


def test_weighted_se_matches_the_spread_across_replicates():
    """Importance weights from N(0, 1.5^2) to N(0.3, 1): the weighted SE (delta method, ESS) agrees with
    the spread of the estimates over 200 independent replicates (ratio in [0.8, 1.25]); the weighted
    standard deviation (the bug of issue 12) and the naive s_w / sqrt(M) do not."""
    M, target_mean, target_sd, prop_sd = 4000, 0.3, 1.0, 1.5
    est, se, se_naive, sd_w = [], [], [], []
    fails = 0
    for seed in range(N_SEEDS):
        rng = np.random.default_rng(seed)
        x = rng.normal(0.0, prop_sd, M)
        logw = -0.5 * ((x - target_mean) / target_sd) ** 2 + 0.5 * (x / prop_sd) ** 2
        w = np.exp(logw - logw.max())
        w /= w.sum()
        mu = w @ x
        est.append(mu)
        var_w = w @ (x - mu) ** 2
        se.append(T.mean_se(x, log_weights=logw)[1])
        se_naive.append(np.sqrt(var_w / M))
        sd_w.append(np.sqrt(var_w))
        try:
            T.assert_moments_match(x[:, None], [target_mean], [[target_sd**2]], log_weights=logw)
        except AssertionError:
            fails += 1
    spread = np.std(est, ddof=1)
    ratio = np.sqrt(np.mean(np.square(se))) / spread
    assert 0.8 <= ratio <= 1.25, ratio
    assert np.sqrt(np.mean(np.square(sd_w))) / spread > 10  # a weighted SD is no standard error
    assert fails == 0
    # shifted target: fails
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, prop_sd, M)
    logw = -0.5 * (x - target_mean) ** 2 + 0.5 * (x / prop_sd) ** 2
    with pytest.raises(AssertionError, match="weighted, ESS"):
        T.assert_moments_match(x[:, None], [target_mean + 15 * np.mean(se)], log_weights=logw)


def test_iid_se_matches_the_spread_across_replicates():
    est, se = [], []
    for seed in range(N_SEEDS):
        x = _gauss(seed, 500, MEAN, COV)
        est.append(x.mean(0))
        se.append(x.std(0, ddof=1) / np.sqrt(500))
    ratio = np.sqrt(np.mean(np.square(se), axis=0)) / np.std(est, axis=0, ddof=1)
    assert np.all((0.8 <= ratio) & (ratio <= 1.25)), ratio


def test_moments_match_input_errors():
    x = _gauss(0, 100, MEAN, COV)
    with pytest.raises(ValueError, match="mean must have shape"):
        T.assert_moments_match(x, [0.0])
    with pytest.raises(ValueError, match="cov must have shape"):
        T.assert_moments_match(x, MEAN, np.eye(3))
    with pytest.raises(ValueError, match="weights or log_weights"):
        T.assert_moments_match(x, MEAN, weights=np.ones(100), log_weights=np.zeros(100))
    with pytest.raises(ValueError, match="effective sample size"):
        T.assert_moments_match(x, MEAN, weights=np.r_[1.0, np.zeros(99)])
    with pytest.raises(ValueError, match="z must be"):
        T.assert_moments_match(x, MEAN, z=0)
    with pytest.raises(ValueError, match="samples"):
        T.assert_moments_match(np.ones((1, 2)), MEAN)


def test_zero_spread_statistic():
    x = np.c_[np.ones(50), np.random.default_rng(0).normal(size=50)]
    T.assert_moments_match(x, [1.0, 0.0])  # a constant statistic equal to its prediction: z = 0
    with pytest.raises(AssertionError, match="inf"):
        T.assert_moments_match(x, [0.9, 0.0])


# --------------------------------------------------------------------------------------
# assert_close_to and batch_means_se
# --------------------------------------------------------------------------------------
def test_assert_close_to():
    z = T.assert_close_to([1.0, 2.0], [0.1, 0.2], [1.2, 2.5])
    np.testing.assert_allclose(z, [-2.0, -2.5])
    with pytest.raises(AssertionError, match=r"\[1\].*z = \+15"):
        T.assert_close_to([1.0, 5.0], 0.2, [1.0, 2.0])
    with pytest.raises(ValueError, match="se must be positive"):
        T.assert_close_to(1.0, 0.0, 1.0)


def _ar1(phi, shape, seed):
    e = np.random.default_rng(seed).standard_normal(shape)
    return signal.lfilter([1.0], [1.0, -phi], e, axis=-1)


def test_integrated_autocorrelation_time_of_ar1():
    """AR(1) with phi = 0.9: tau = (1 + phi) / (1 - phi) = 19; iid: 1."""
    x = _ar1(0.9, 200000, 1)
    assert abs(T.integrated_autocorrelation_time(x) - 19.0) < 2.0
    assert abs(T.integrated_autocorrelation_time(np.random.default_rng(2).standard_normal(100000)) - 1.0) < 0.05


def test_batch_means_se_matches_replicates_and_warns_when_batches_are_short():
    """200 AR(1) trajectories (phi = 0.9, T = 20000): batch-means SE with 20 batches (length 1000 >> 10 tau)
    agrees with the spread of the trajectory means (ratio in [0.8, 1.25]); 4000 batches of 5 values warn
    (AutocorrelationWarning) and underestimate the SE (measured ratio 0.50; asserted < 0.6)."""
    X = _ar1(0.9, (N_SEEDS, 20000), 3)
    means, ses, ses_short = [], [], []
    for x in X:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            m, s = T.batch_means_se(x, 20)
        means.append(m)
        ses.append(s)
    spread = np.std(means, ddof=1)
    ratio = np.sqrt(np.mean(np.square(ses))) / spread
    assert 0.8 <= ratio <= 1.25, ratio
    for x in X[:20]:
        with pytest.warns(T.AutocorrelationWarning, match="tau"):
            ses_short.append(T.batch_means_se(x, 4000)[1])
    assert np.sqrt(np.mean(np.square(ses_short))) / spread < 0.6
    # (T, p) input, and errors
    m, s = T.batch_means_se(np.c_[X[0], X[1]], 20)
    assert m.shape == s.shape == (2,)
    with pytest.raises(ValueError, match="n_batches"):
        T.batch_means_se(X[0], 1)
    with pytest.raises(ValueError, match="at least 2 per batch"):
        T.batch_means_se(X[0][:10], 8)


# --------------------------------------------------------------------------------------
# assert_matches_at_time_k on real comparisons
# --------------------------------------------------------------------------------------
def test_matches_at_time_k_on_bernoulli_short_run():
    """Independent spins, Glauber, k = 1, m_D = (0.5, -0.3): the short-run field matches at t = 1 only."""
    mD = np.array([0.5, -0.3])
    h = bernoulli.short_run_fixed_point(mD, 1.0, dynamics="glauber")
    cmp = bernoulli.compare(mD, h, 1.0, dynamics="glauber", times=[0.0, 0.5, 1.0, 2.0, 4.0], n_chains=20000, seed=1)
    worst = T.assert_matches_at_time_k(cmp, 1.0)
    assert worst[2] <= T.Z_MAX and np.all(np.delete(worst, 2) > T.Z_MAX)
    # must fail: the same comparison read as if trained at k = 2
    with pytest.raises(AssertionError, match="t = k = 2"):
        T.assert_matches_at_time_k(cmp, 2.0)
    with pytest.raises(ValueError, match="not one of the comparison's times"):
        T.assert_matches_at_time_k(cmp, 3.0)


def test_matches_at_time_k_exception_data_equal_to_start_law():
    """Data with the start law's mean and variance (c = v0): the short-run model matches at every time, so
    'match at k only' fails, as documented; excluding the other times states that expectation."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, 1))
    x = (x - x.mean()) / x.std()
    J, h = gaussian.short_run_fixed_point(x.mean(0), np.cov(x.T, bias=True).reshape(1, 1), 4, step=0.1)
    cmp = gaussian.compare(x, J, h, 4, step=0.1, times=[0, 2, 4, 8], n_chains=4000, seed=2)
    with pytest.raises(AssertionError, match="no resolved mismatch"):
        T.assert_matches_at_time_k(cmp, 4)
    T.assert_matches_at_time_k(cmp, 4, exclude=[0, 2, 8])


# --------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(T.spd_matrices(d=3, low=0.01, high=100.0, max_condition=10.0))
def test_spd_matrices_bounded_condition(ms):
    M, spectrum = ms
    ev = np.linalg.eigvalsh(M)
    assert np.allclose(M, M.T) and ev[0] > 0
    assert ev[-1] / ev[0] <= 10.0 * (1 + 1e-9)
    np.testing.assert_allclose(np.sort(spectrum), ev, rtol=1e-9, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 5).flatmap(lambda n: st.tuples(T.couplings(n), T.fields(n))))
def test_couplings_and_fields(jh):
    J, h = jh
    assert np.allclose(J, J.T) and np.all(np.diag(J) == 0) and h.shape == (J.shape[0],)


@settings(max_examples=40, deadline=None)
@given(T.spd_matrices(d=3, low=0.1, high=20.0).flatmap(lambda ms: st.tuples(st.just(ms[0]), T.ula_steps(ms[0]))))
def test_ula_steps_are_stable(Jeta):
    J, step = Jeta
    assert 0 < step * np.linalg.eigvalsh(J)[-1] <= 2 * 0.9 * (1 + 1e-12)
    gaussian.langevin_moments(J, np.zeros(3), 200, step=step)  # no DivergenceError


@settings(max_examples=30, deadline=None)
@given(T.spin_laws(3), T.rbm_parameters(3, 2), T.k_values(1, 5))
def test_spin_laws_rbm_parameters_k(p, params, kk):
    assert p.shape == (8,) and np.all(p > 0) and np.isclose(p.sum(), 1.0)
    W, a, b = params
    assert W.shape == (3, 2) and a.shape == (3,) and b.shape == (2,)
    assert 1 <= kk <= 5


def test_import_without_hypothesis():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import numpy as np, solvable.testing as T\n"
        "T.assert_close_to(1.0, 0.1, 1.1)\n"
        "try:\n    T.spd_matrices()\nexcept ImportError as e:\n    print('ImportError', 'solvable[test]' in str(e))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "ImportError True"
