"""solvable.diagnose: z-scores from plain arrays against a hand computation, controls that must fail,
the weighted path, the SE against the spread of replicates, and input validation."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from solvable.comparison import MomentComparison
from solvable.diagnosis import diagnose, moment_labels, moment_statistics, weighted_mean_se_kish

from solvable.testing import Z_MAX as Z  # suite-wide z tolerance (theory.md section 8)


def _hand_z(x, d):
    """z of the column means of x against those of d, with both standard errors (written out)."""
    n, m = x.shape[0], d.shape[0]
    mx = x.sum(axis=0) / n
    md = d.sum(axis=0) / m
    vx = ((x - mx) ** 2).sum(axis=0) / (n - 1)
    vd = ((d - md) ** 2).sum(axis=0) / (m - 1)
    return (mx - md) / np.sqrt(vx / n + vd / m)


def test_z_scores_match_a_hand_computation():
    x = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0], [5.0, 0.0]])
    d = np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 0.5]])
    cmp = diagnose({3: x}, d, statistics="means")
    assert isinstance(cmp, MomentComparison)
    np.testing.assert_allclose(cmp.z_data[0], _hand_z(x, d), rtol=1e-13)
    # first value by hand: means 2 and 1; variances 14/3 and 1; z = 1 / sqrt(14/12 + 1/3)
    assert cmp.z_data[0, 0] == pytest.approx(1.0 / np.sqrt(14 / 12 + 1 / 3), rel=1e-13)
    # default statistics: x_i and x_i x_j (i <= j), hand-computed columns
    full = diagnose({3: x}, d)
    feats = np.column_stack([x[:, 0], x[:, 1], x[:, 0] ** 2, x[:, 0] * x[:, 1], x[:, 1] ** 2])
    featd = np.column_stack([d[:, 0], d[:, 1], d[:, 0] ** 2, d[:, 0] * d[:, 1], d[:, 1] ** 2])
    np.testing.assert_allclose(moment_statistics(x), feats, rtol=0)
    np.testing.assert_allclose(full.z_data[0], _hand_z(feats, featd), rtol=1e-13)
    assert full.labels == moment_labels(2) == ["<x0>", "<x1>", "<x0 x0>", "<x0 x1>", "<x1 x1>"]


def test_given_statistics_and_callable_statistics():
    rng = np.random.default_rng(1)
    x, d = rng.normal(size=(50, 3)), rng.normal(size=(40, 3))
    given = diagnose({0: np.abs(x)}, np.abs(d), statistics="given", labels=["a", "b", "c"])
    call = diagnose({0: x}, d, statistics=np.abs)
    np.testing.assert_allclose(given.z_data, call.z_data, rtol=1e-14)
    assert given.labels == ["a", "b", "c"]


def _short_run_like(seed, n=4000, m=4000, shift=0.0):
    """Samples at four times of a chain whose law equals the data law only at t = 20 (plus ``shift``)."""
    rng = np.random.default_rng(seed)
    data = rng.normal([1.0, -1.0], [1.0, 0.5], size=(m, 2))
    out = {}
    for t, (mu_scale, sd_scale) in {0: (0.0, 2.0), 10: (0.6, 1.4), 20: (1.0, 1.0), 80: (1.7, 0.6)}.items():
        out[t] = rng.normal(mu_scale * np.array([1.0, -1.0]) + (shift if t == 20 else 0.0),
                            sd_scale * np.array([1.0, 0.5]), size=(n, 2))
    return out, data


def test_verdict_table_and_plot():
    samples, data = _short_run_like(3)
    cmp = diagnose(samples, data, k=20)
    assert cmp.max_z[2] <= Z, cmp.table()
    assert cmp.matches_at(20)
    assert not cmp.matches_at(0) and not cmp.matches_at(10) and not cmp.matches_at(80)
    assert cmp.best_time == 20.0
    assert cmp.max_z.shape == (4,)
    tab = cmp.table()
    assert "<- t = k" in tab and "equil." not in tab
    assert isinstance(cmp.plot(), Figure)
    with pytest.raises(ValueError, match="t must be one of the times"):
        cmp.matches_at(5)


def test_shifted_samples_fail():
    """Negative control: the t = k samples shifted by 3x the tolerance (15 combined SE) must fail."""
    n = m = 4000
    shift = 3 * Z * np.sqrt(1.0 / n + 1.0 / m)  # combined SE of the mean of the first coordinate (unit variance)
    samples, data = _short_run_like(3, n=n, m=m, shift=shift)
    cmp = diagnose(samples, data, k=20)
    assert not cmp.matches_at(20)
    assert cmp.max_z[2] > 2 * Z


def test_equal_weights_give_the_unweighted_answer():
    samples, data = _short_run_like(4, n=300, m=200)
    w = {t: np.full(x.shape[0], -3.7) for t, x in samples.items()}
    a = diagnose(samples, data, k=20)
    b = diagnose(samples, data, k=20, weights=w)
    np.testing.assert_allclose(b.sampled, a.sampled, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.se, a.se, rtol=1e-12)
    np.testing.assert_allclose(b.z_data, a.z_data, rtol=1e-10, atol=1e-12)
    # weights on one time only: the other times stay unweighted
    c = diagnose(samples, data, k=20, weights={20: w[20]})
    np.testing.assert_allclose(c.z_data, a.z_data, rtol=1e-10, atol=1e-12)


def _replicate_z(seed, R, n, m, mu, weighted, with_data_se=True):
    """z of the mean over R independent replicates; samples from N(0,1) reweighted to N(mu,1) when weighted."""
    rng = np.random.default_rng(seed)
    zs = []
    for _ in range(R):
        if weighted:
            x = rng.normal(size=(n, 1))
            lw = {1: mu * x[:, 0]}  # N(mu,1)/N(0,1) up to a constant
        else:
            x = rng.normal(mu, 1.0, size=(n, 1))
            lw = None
        d = rng.normal(mu, 1.0, size=(m, 1))
        cmp = diagnose({1: x}, d, statistics="means", weights=lw)
        if not with_data_se:
            cmp = MomentComparison(times=cmp.times, labels=cmp.labels, sampled=cmp.sampled, se=cmp.se, data=cmp.data,
                                   exact=None, equilibrium=None, k=cmp.k, n_chains=cmp.n_chains)
        zs.append(cmp.z_data[0, 0])
    return np.array(zs)


@pytest.mark.parametrize("weighted", [False, True])
def test_standard_error_matches_spread_across_replicates(weighted):
    """The combined SE must make z standard normal across replicates: std(z) = 1 within 5 SE of a std,
    1/sqrt(2R). Weighted (Kish SE, weights exp(0.3 x)): the delta-method variance is 1.09 times Kish's on the
    sample side (computed), so std(z) = sqrt(2.09/2) = 1.02, still inside."""
    R = 400
    z = _replicate_z(11, R, 400, 400, 0.3, weighted)
    tol = Z / np.sqrt(2 * R)
    assert abs(np.std(z, ddof=1) - 1.0) <= tol
    assert abs(np.mean(z)) <= Z / np.sqrt(R)
    # control: ignoring the data's own error (equal sizes) inflates std(z) to sqrt(2), which the same test rejects
    z_bad = _replicate_z(11, R, 400, 400, 0.3, weighted, with_data_se=False)
    assert abs(np.std(z_bad, ddof=1) - 1.0) > tol


def test_kish_se_reduces_to_s_over_root_n():
    rng = np.random.default_rng(2)
    f = rng.normal(size=(37, 2))
    mean, se = weighted_mean_se_kish(f, np.zeros(37))
    np.testing.assert_allclose(mean, f.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(se, f.std(axis=0, ddof=1) / np.sqrt(37), rtol=1e-12)
    with pytest.raises(ValueError, match="ESS = 1"):
        weighted_mean_se_kish(f, np.r_[0.0, np.full(36, -1e4)])


def test_input_validation_names_the_argument():
    x = np.random.default_rng(0).normal(size=(10, 2))
    d = np.random.default_rng(1).normal(size=(10, 2))
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"samples_by_time\[50\].*NaN"):
        diagnose({0: x, 50: bad}, d)
    with pytest.raises(ValueError, match=r"samples_by_time\[5\] has 3 columns but data has 2"):
        diagnose({5: np.ones((10, 3))}, d)
    with pytest.raises(ValueError, match=r"data.*NaN"):
        diagnose({5: x}, np.where(d > 0, np.inf, d))
    with pytest.raises(ValueError, match=r"weights\[5\] must have shape \(10,\)"):
        diagnose({5: x}, d, weights={5: np.zeros(9)})
    with pytest.raises(ValueError, match=r"weights\[5\].*NaN"):
        diagnose({5: x}, d, weights={5: np.r_[np.nan, np.zeros(9)]})
    with pytest.raises(ValueError, match="weights has times"):
        diagnose({5: x}, d, weights={6: np.zeros(10)})
    with pytest.raises(TypeError, match="samples_by_time must be a non-empty mapping"):
        diagnose([x], d)
    with pytest.raises(TypeError, match="samples_by_time must be a non-empty mapping"):
        diagnose({}, d)
    with pytest.raises(ValueError, match="keys must be finite sampling times >= 0"):
        diagnose({-1: x}, d)
    with pytest.raises(ValueError, match=r"samples_by_time\[5\] must have at least 2 rows"):
        diagnose({5: x[:1]}, d)
    with pytest.raises(ValueError, match="statistics must be one of"):
        diagnose({5: x}, d, statistics="cumulants")
    with pytest.raises(ValueError, match="labels must name the 2 statistics"):
        diagnose({5: x}, d, statistics="means", labels=["a"])
    with pytest.raises(ValueError, match="k must be >= 0"):
        diagnose({5: x}, d, k=-1)


def test_solvable_diagnose_is_the_function_every_time():
    """The module is solvable.diagnosis, so importing it never shadows the re-exported function."""
    import solvable
    import solvable.diagnosis  # noqa: F401

    assert solvable.diagnose is diagnose
    assert solvable.diagnose is diagnose  # second access: still the function, not a module
