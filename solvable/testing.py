r"""Check a prediction the way ``solvable`` checks its own: z-scores with honest standard errors, and hypothesis strategies.

Assertions (numpy only; no test framework needed):

* :func:`assert_moments_match` -- sample means and second moments against a predicted mean and
  covariance, standard errors from the samples (weighted samples: the self-normalised
  importance-sampling SE, reported with the effective sample size);
* :func:`assert_matches_at_time_k` -- a :class:`solvable.comparison.MomentComparison` matches the
  data at t = k and misses it (resolved) at every other time;
* :func:`assert_close_to` -- an estimate with its standard error against a prediction;
* :func:`batch_means_se` -- the standard error of the mean of a correlated trajectory (a
  training run's parameters), with a check that the batches are long against the integrated
  autocorrelation time.

Every assertion uses :math:`z=(\hat\theta-\theta)/\mathrm{SE}` with a tolerance ``z`` (default
:data:`Z_MAX` = 5, the suite-wide threshold of theory.md section 8: with p statistics a correct
prediction fails with probability about :math:`p\cdot5.7\times10^{-7}`).

Strategies (:func:`spd_matrices`, :func:`couplings`, :func:`fields`, :func:`ula_steps`,
:func:`k_values`, :func:`spin_laws`, :func:`rbm_parameters`, ...) need hypothesis, a test extra
(``pip install "solvable[test]"``); it is imported when a strategy is built, so
``import solvable.testing`` works without it.
"""
from __future__ import annotations

import warnings

import numpy as np

from .comparison import safe_z

__all__ = [
    "Z_MAX",
    "zscores",
    "mean_se",
    "assert_moments_match",
    "assert_matches_at_time_k",
    "assert_close_to",
    "batch_means_se",
    "integrated_autocorrelation_time",
    "AutocorrelationWarning",
    "orthogonal",
    "spd_matrices",
    "symmetric_matrices",
    "couplings",
    "fields",
    "vectors",
    "ula_steps",
    "k_values",
    "spin_laws",
    "rbm_parameters",
]

#: Suite-wide z threshold (theory.md section 8; the same number as ``paper_checks._result.Z_MAX``).
Z_MAX = 5.0


class AutocorrelationWarning(UserWarning):
    """The batches of :func:`batch_means_se` are not long against the integrated autocorrelation time."""


# --------------------------------------------------------------------------------------
# z-scores
# --------------------------------------------------------------------------------------
def zscores(estimate, se, truth):
    r""":math:`(\hat\theta-\theta)/\mathrm{SE}` elementwise; raises ValueError unless every SE is positive and finite.

    Parameters
    ----------
    estimate, se, truth : arrays (or numbers) that broadcast together; every ``se`` > 0 and finite

    Returns
    -------
    array of z-scores, of the broadcast shape.
    """
    se = np.asarray(se, dtype=float)
    if not np.all(np.isfinite(se) & (se > 0)):
        raise ValueError(f"se must be positive and finite, got {se[~(np.isfinite(se) & (se > 0))][:3]}")
    return (np.asarray(estimate, dtype=float) - np.asarray(truth, dtype=float)) / se


def _check_z(z):
    if isinstance(z, bool):
        raise TypeError("z must be a positive number (a z-score threshold), got a bool")
    z = float(z)
    if not np.isfinite(z) or z <= 0:
        raise ValueError(f"z must be a positive finite number (a z-score threshold), got {z}")
    return z


def _report(labels, est, pred, se, z, tol, n_worst=5, header=""):
    order = np.argsort(-np.abs(z), kind="stable")
    bad = int(np.sum(np.abs(z) > tol))
    lines = [f"{header}{bad} of {z.size} statistics have |z| > {tol:g}; worst:"]
    for i in order[:n_worst]:
        lines.append(f"  {labels[i]}: estimate {est[i]:.6g}, prediction {pred[i]:.6g}, SE {se[i]:.3g}, z = {z[i]:+.2f}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# assertions
# --------------------------------------------------------------------------------------
def _normalised_weights(n, weights, log_weights):
    if weights is not None and log_weights is not None:
        raise ValueError("pass weights or log_weights, not both")
    if weights is None and log_weights is None:
        return None
    if log_weights is not None:
        lw = np.asarray(log_weights, dtype=float)
        if lw.shape != (n,) or not np.all(np.isfinite(lw) | (lw == -np.inf)) or np.all(lw == -np.inf):
            raise ValueError(f"log_weights must be a ({n},) array of finite numbers or -inf, not all -inf")
        w = np.exp(lw - lw.max())
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be a ({n},) array of non-negative finite numbers with a positive sum")
    return w / w.sum()


def _mean_se(f, w):
    r"""Column means of f (M, p) and their SE: iid ``std/sqrt(M)``, or the self-normalised IS (delta-method) SE."""
    if w is None:
        return f.mean(axis=0), f.std(axis=0, ddof=1) / np.sqrt(f.shape[0])
    mean = w @ f
    # Var(sum w_i f_i / sum w_i) ~ sum w_i^2 (f_i - mean)^2 (normalised w); = s_w^2 / ESS when
    # the spread of f does not depend on the weight (ESS = 1 / sum w_i^2)
    var = (w**2) @ (f - mean) ** 2
    ess = 1.0 / np.sum(w**2)
    return mean, np.sqrt(var * ess / max(ess - 1.0, 1e-300))


def mean_se(values, *, weights=None, log_weights=None):
    r"""Mean of ``values`` (M,) or (M, p) and its standard error: ``s/sqrt(M)``, or the self-normalised weighted one.

    With ``weights`` or ``log_weights``: :math:`\bar f=\sum_i\tilde w_if_i` and
    :math:`\mathrm{SE}^2=\frac{\mathrm{ESS}}{\mathrm{ESS}-1}\sum_i\tilde w_i^2(f_i-\bar f)^2` (delta method
    for a ratio estimator, Owen 2013 eq. 9.9; :math:`\mathrm{ESS}=1/\sum_i\tilde w_i^2`; equal
    weights give :math:`s/\sqrt M` exactly). Not the weighted standard deviation, which does not
    shrink with M.

    Parameters
    ----------
    values : (M,) or (M, p) samples, M >= 2
    weights : optional (M,) weights (finite, >= 0, positive sum); None (default): unweighted
    log_weights : optional (M,) log-weights (finite or -inf, not all -inf); not together with ``weights``

    Returns
    -------
    ``(mean, se)``: floats for (M,) values, (p,) arrays for (M, p).
    """
    f = np.asarray(values, dtype=float)
    one = f.ndim == 1
    f = f[:, None] if one else f
    if f.ndim != 2 or f.shape[0] < 2:
        raise ValueError(f"values must be (M,) or (M, p) with M >= 2, got shape {np.shape(values)}")
    mean, se = _mean_se(f, _normalised_weights(f.shape[0], weights, log_weights))
    return (mean[0], se[0]) if one else (mean, se)


def assert_moments_match(samples, mean, cov=None, *, z=Z_MAX, weights=None, log_weights=None, labels=None):
    r"""Assert that samples have the predicted mean (and covariance) within ``z`` standard errors.

    Statistics: the means :math:`\langle x_i\rangle` and, when ``cov`` is given, the second moments
    :math:`\langle x_ix_j\rangle` (i <= j), predicted as :math:`C_{ij}+\mu_i\mu_j`. Each is the
    average of one per-sample feature, so its SE is the feature's standard deviation over
    :math:`\sqrt M` (theory.md section 8), computed from the samples themselves.

    With ``weights`` (non-negative) or ``log_weights`` (importance or Jarzynski weights) the
    averages are self-normalised, :math:`\bar f=\sum_iw_if_i/\sum_iw_i`, and the SE is the
    delta-method one, :math:`\mathrm{SE}^2=\frac{\mathrm{ESS}}{\mathrm{ESS}-1}\sum_i\tilde w_i^2(f_i-\bar f)^2`
    (:math:`\tilde w` normalised, :math:`\mathrm{ESS}=1/\sum\tilde w_i^2`; without weights it is
    the usual :math:`s/\sqrt M`). An effective sample size below 30 gives a ValueError: the
    normal approximation of z is not trustworthy there.

    Raises AssertionError listing the worst statistics (label, estimate, prediction, SE, z)
    when any :math:`|z|>` ``z``. Returns the z-scores (means first, then the second moments
    in row-major i <= j order) when the prediction passes.

    A correct prediction fails with probability about :math:`p\,P(|N(0,1)|>z)` for p statistics
    (:math:`5.7\times10^{-7}p` at z = 5); calibrated in tests/test_testing.py.

    Parameters
    ----------
    samples : (M, d) samples (finite, M >= 2), or (M,) for d = 1
    mean : (d,) predicted mean (a number for d = 1)
    cov : optional (d, d) predicted covariance; None (default): the means only
    z : z-score tolerance (> 0, finite; default :data:`Z_MAX`)
    weights, log_weights : optional (M,) sample weights, as in :func:`mean_se` (at most one; ESS >= 30)
    labels : optional names of all the statistics (d, plus d(d+1)/2 with ``cov``), in the order above

    Returns
    -------
    array of z-scores, one per statistic.
    """
    z = _check_z(z)
    x = np.asarray(samples, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"samples must be an (M, d) array with M >= 2, got shape {np.shape(samples)}")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples must be finite")
    M, d = x.shape
    mu = np.atleast_1d(np.asarray(mean, dtype=float))
    if mu.shape != (d,):
        raise ValueError(f"mean must have shape ({d},) to match samples (M, {d}), got {mu.shape}")
    w = _normalised_weights(M, weights, log_weights)
    if w is not None:
        ess = 1.0 / np.sum(w**2)
        if ess < 30:
            raise ValueError(f"effective sample size {ess:.3g} < 30: too few effective samples for a z-score")
    feats, preds, names = [x], [mu], [f"<x{i}>" for i in range(d)]
    if cov is not None:
        C = np.atleast_2d(np.asarray(cov, dtype=float))
        if C.shape != (d, d):
            raise ValueError(f"cov must have shape ({d}, {d}), got {C.shape}")
        iu, ju = np.triu_indices(d)
        feats.append(x[:, iu] * x[:, ju])
        preds.append(C[iu, ju] + mu[iu] * mu[ju])
        names += [f"<x{i} x{j}>" for i, j in zip(iu, ju)]
    if labels is not None:
        names = list(labels)
    f = np.concatenate(feats, axis=1)
    pred = np.concatenate(preds)
    if len(names) != pred.size:
        raise ValueError(f"labels must name all {pred.size} statistics, got {len(names)}")
    est, se = _mean_se(f, w)
    zs = safe_z(est - pred, se)
    if np.any(np.abs(zs) > z):
        header = "" if w is None else f"(weighted, ESS = {1.0 / np.sum(w**2):.1f} of {M}) "
        raise AssertionError(_report(names, est, pred, se, zs, z, header=header))
    return zs


def assert_close_to(estimate, se, prediction, *, z=Z_MAX, labels=None):
    r"""Assert :math:`|(\hat\theta-\theta)/\mathrm{SE}|\le z` elementwise (fitted parameters, e.g. with a :func:`batch_means_se`).

    ``estimate``, ``se`` and ``prediction`` broadcast together; every SE must be positive
    and finite (ValueError otherwise: an SE of 0 makes any comparison meaningless). Raises
    AssertionError listing the worst entries; returns the z-scores.

    Parameters
    ----------
    estimate : estimates (array or number, finite)
    se : their standard errors (> 0, finite), broadcasting with ``estimate``
    prediction : predicted values (finite), broadcasting with both
    z : z-score tolerance (> 0, finite; default :data:`Z_MAX`)
    labels : optional names of the entries in row-major order of the broadcast shape (default: indices)

    Returns
    -------
    array of z-scores, of the broadcast shape.
    """
    z = _check_z(z)
    est, se, pred = np.broadcast_arrays(np.asarray(estimate, dtype=float), np.asarray(se, dtype=float),
                                        np.asarray(prediction, dtype=float))
    zs = zscores(est, se, pred)
    flat = zs.ravel()
    if np.any(~np.isfinite(est)) or np.any(~np.isfinite(pred)):
        raise ValueError("estimate and prediction must be finite")
    if np.any(np.abs(flat) > z):
        names = list(labels) if labels is not None else [f"[{', '.join(map(str, idx))}]" for idx in np.ndindex(zs.shape)]
        raise AssertionError(_report(names, est.ravel(), pred.ravel(), se.ravel(), flat, z))
    return zs


def assert_matches_at_time_k(comparison, k, *, z=Z_MAX, exclude=()):
    r"""Assert the short-run signature: the moments match the data at t = k and miss it at every other time.

    ``comparison`` is a :class:`solvable.comparison.MomentComparison` (from ``compare`` of a model
    module, or :func:`solvable.comparison.moments_vs_time`). At t = k every statistic must have
    :math:`|z|\le z` against the data; at every other time (except the times in ``exclude``)
    the largest :math:`|z|` must exceed z, i.e. the mismatch must be **resolved** by the chains
    used. The AssertionError says which time fails and by how much.

    "Match at k only" is typical, not universal: a statistic can agree with the data at other
    times too. Examples: a mode whose data variance equals the start variance
    (:math:`c=v_0` gives :math:`j^*=1/c` and a variance equal to c at every time); a data mean
    equal to the start mean; a time so close to k that the difference is below the Monte
    Carlo resolution; t = 0 for a statistic the start law already matches. Put such times in
    ``exclude`` (or use more chains), and say why in the test. Returns the max |z| per time.

    Parameters
    ----------
    comparison : :class:`solvable.comparison.MomentComparison` (``times``, ``z_data``, ``labels``, ...)
    k : the training time; must be one of ``comparison.times``
    z : z-score tolerance (> 0, finite; default :data:`Z_MAX`)
    exclude : times (each one of ``comparison.times``) not required to miss; default none

    Returns
    -------
    (n_times,) array, the max |z| against the data at each time.
    """
    z = _check_z(z)
    times = np.asarray(comparison.times, dtype=float)
    zd = np.abs(np.asarray(comparison.z_data, dtype=float))
    at_k = np.isclose(times, float(k), rtol=0, atol=1e-9 * max(1.0, abs(float(k))))
    if not np.any(at_k):
        raise ValueError(f"k = {k} is not one of the comparison's times {times.tolist()}")
    excluded = np.zeros_like(at_k)
    for t in exclude:
        hit = np.isclose(times, float(t), rtol=0, atol=1e-9 * max(1.0, abs(float(t))))
        if not np.any(hit):
            raise ValueError(f"exclude: time {t} is not one of the comparison's times {times.tolist()}")
        excluded |= hit
    worst = zd.max(axis=1)
    problems = []
    for i in np.flatnonzero(at_k):
        if worst[i] > z:
            a = int(np.argmax(zd[i]))
            problems.append(f"t = k = {times[i]:g}: max |z| = {worst[i]:.2f} > {z:g} (statistic "
                            f"{comparison.labels[a]}: sampled {comparison.sampled[i, a]:.6g}, data {comparison.data[a]:.6g})")
    for i in np.flatnonzero(~at_k & ~excluded):
        if not worst[i] > z:
            problems.append(f"t = {times[i]:g} != k: max |z| = {worst[i]:.2f} <= {z:g}: no resolved mismatch "
                            "(more chains, or exclude this time if a match is expected there)")
    if problems:
        raise AssertionError("moments vs time do not show 'match at t = k only':\n  " + "\n  ".join(problems))
    return worst


def integrated_autocorrelation_time(x, *, c=5.0):
    r"""Integrated autocorrelation time :math:`\tau=1+2\sum_{t\ge1}\rho(t)` of a 1-D series (Sokal's window).

    The sum runs to the first window W with :math:`W\ge c\,\tau(W)` (Sokal 1997, c = 5);
    autocovariances by FFT. :math:`\tau=1` for independent draws; the variance of the mean is
    :math:`\tau\sigma^2/T`.

    Parameters
    ----------
    x : (T,) series, T >= 4
    c : window factor of Sokal's rule (> 0; default 5)

    Returns
    -------
    float :math:`\tau` (> 0; 1.0 for a constant series).
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or x.size < 4:
        raise ValueError(f"x must be a 1-D series of at least 4 values, got shape {x.shape}")
    y = x - x.mean()
    n = y.size
    if not np.any(y):
        return 1.0
    m = 1 << (2 * n - 1).bit_length()
    fy = np.fft.rfft(y, m)
    acov = np.fft.irfft(fy * np.conj(fy), m)[:n]
    rho = acov / acov[0]
    taus = 2.0 * np.cumsum(rho) - 1.0
    window = np.arange(n)
    ok = np.flatnonzero(window >= c * taus)
    W = int(ok[0]) if ok.size else n - 1
    return float(max(taus[W], 1e-12))


def batch_means_se(trajectory, n_batches, *, min_batch_tau=10.0):
    r"""Mean of a correlated trajectory and its batch-means standard error: ``(mean, se)``.

    The trajectory (T,) or (T, p) (e.g. a parameter along training, its tail) is cut into
    ``n_batches`` contiguous batches of length :math:`L=\lfloor T/n_b\rfloor` (the first
    :math:`T-n_bL` values dropped); :math:`\mathrm{SE}=s_b/\sqrt{n_b}` with :math:`s_b` the
    standard deviation of the batch means (theory.md section 8; Flegal & Jones 2010).
    The SE is honest only if each batch is long against the integrated autocorrelation time
    τ (:func:`integrated_autocorrelation_time`): with :math:`L<` ``min_batch_tau`` :math:`\cdot\tau`
    (default 10) the batch means are correlated and the SE too small, and an
    :class:`AutocorrelationWarning` names τ, L and the largest ``n_batches`` that would do.
    ValueError for ``n_batches < 2`` or batches shorter than 2.

    Parameters
    ----------
    trajectory : (T,) or (T, p) finite values, in order along the run
    n_batches : number of batches, int >= 2 with T // n_batches >= 2
    min_batch_tau : required batch length in units of τ before warning (default 10)

    Returns
    -------
    ``(mean, se)`` over the kept tail: floats for (T,), (p,) arrays for (T, p).
    """
    x = np.asarray(trajectory, dtype=float)
    if x.ndim not in (1, 2):
        raise ValueError(f"trajectory must be (T,) or (T, p), got shape {x.shape}")
    if isinstance(n_batches, bool) or not isinstance(n_batches, (int, np.integer)) or n_batches < 2:
        raise ValueError(f"n_batches must be an integer >= 2, got {n_batches!r}")
    if not np.all(np.isfinite(x)):
        raise ValueError("trajectory must be finite")
    T = x.shape[0]
    L = T // int(n_batches)
    if L < 2:
        raise ValueError(f"n_batches = {n_batches} leaves batches of {L} values (T = {T}); need at least 2 per batch")
    tail = x[T - L * n_batches:]
    batches = tail.reshape((n_batches, L) + tail.shape[1:]).mean(axis=1)
    se = batches.std(axis=0, ddof=1) / np.sqrt(n_batches)
    cols = tail.reshape(tail.shape[0], -1)
    tau = max(integrated_autocorrelation_time(cols[:, i]) for i in range(cols.shape[1]))
    if L < min_batch_tau * tau:
        warnings.warn(
            f"batch_means_se: batches of {L} values are not long against the integrated autocorrelation "
            f"time tau = {tau:.3g} (need >= {min_batch_tau:g} tau): the SE is underestimated; use at most "
            f"{max(int(T // (min_batch_tau * tau)), 1)} batches or a longer trajectory",
            AutocorrelationWarning,
            stacklevel=2,
        )
    return tail.mean(axis=0), se


# --------------------------------------------------------------------------------------
# hypothesis strategies (hypothesis imported on use)
# --------------------------------------------------------------------------------------
def _st():
    try:
        from hypothesis import strategies as st
    except ImportError as exc:  # pragma: no cover - exercised only without the test extra
        raise ImportError(
            "solvable.testing strategies need hypothesis, a test extra: pip install \"solvable[test]\" "
            "(or pip install hypothesis); the assertions work without it"
        ) from exc
    return st


def orthogonal(d, seed):
    """A random orthogonal d x d matrix: QR of a Gaussian matrix with the sign of R's diagonal fixed (Haar).

    Parameters
    ----------
    d : dimension (int >= 1)
    seed : seed of ``numpy.random.default_rng`` (int >= 0; same seed, same matrix)

    Returns
    -------
    (d, d) orthogonal array.
    """
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def _spectrum(st, d, low, high, max_condition):
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if max_condition is None:
        return st.lists(floats, min_size=d, max_size=d).map(np.array)
    if max_condition < 1:
        raise ValueError(f"max_condition must be >= 1, got {max_condition}")

    def rest(top):
        return st.lists(st.floats(max(low, top / max_condition), top), min_size=d - 1, max_size=d - 1).map(
            lambda v: np.array([top] + v))
    return floats.flatmap(rest)


def spd_matrices(d=None, low=0.1, high=5.0, max_d=4, *, max_condition=None):
    r"""Strategy for ``(matrix, spectrum)``: an SPD matrix :math:`U\,\mathrm{diag}(\lambda)U^\top`.

    Spectrum drawn in [low, high] (condition number at most high/low, or at most
    ``max_condition`` when given), U a random orthogonal matrix (:func:`orthogonal`); d drawn
    in 1..max_d unless given. Use it for data covariances and precision matrices J.

    Parameters
    ----------
    d : dimension (int >= 1); None (default): drawn in 1..``max_d``
    low, high : eigenvalue range, 0 < low <= high (default [0.1, 5])
    max_d : largest drawn dimension when ``d`` is None (int >= 1)
    max_condition : optional bound on the condition number (>= 1); None: only [low, high] bounds it

    Returns
    -------
    hypothesis strategy of ``(matrix, spectrum)``: (d, d) SPD array and its (d,) eigenvalues.
    """
    st = _st()
    if not 0 < low <= high:
        raise ValueError(f"need 0 < low <= high, got low={low}, high={high}")

    @st.composite
    def build(draw):
        dd = d if d is not None else draw(st.integers(1, max_d))
        spectrum = draw(_spectrum(st, dd, low, high, max_condition))
        U = orthogonal(dd, draw(st.integers(0, 2**32 - 1)))
        M = (U * spectrum) @ U.T
        return 0.5 * (M + M.T), spectrum

    return build()


def symmetric_matrices(d, low=-2.0, high=5.0):
    """Strategy for a symmetric d x d matrix with spectrum in [low, high] (indefinite when low < 0).

    Parameters
    ----------
    d : dimension (int >= 1)
    low, high : eigenvalue range, low <= high (default [-2, 5])

    Returns
    -------
    hypothesis strategy of (d, d) symmetric arrays.
    """
    st = _st()

    @st.composite
    def build(draw):
        spectrum = np.array(draw(st.lists(st.floats(low, high), min_size=d, max_size=d)))
        U = orthogonal(d, draw(st.integers(0, 2**32 - 1)))
        M = (U * spectrum) @ U.T
        return 0.5 * (M + M.T)

    return build()


def vectors(d, bound=2.0):
    """Strategy for a (d,) float vector with entries in [-bound, bound].

    Parameters
    ----------
    d : length (int >= 0)
    bound : entry bound (>= 0; default 2)

    Returns
    -------
    hypothesis strategy of (d,) arrays.
    """
    st = _st()
    return st.lists(st.floats(-bound, bound), min_size=d, max_size=d).map(np.array)


def fields(n, bound=2.0):
    """Strategy for an (n,) field vector h with entries in [-bound, bound] (same as :func:`vectors`).

    Parameters
    ----------
    n : number of units (int >= 0)
    bound : entry bound (>= 0; default 2)

    Returns
    -------
    hypothesis strategy of (n,) arrays.
    """
    return vectors(n, bound)


def couplings(n, scale=1.0):
    """Strategy for a symmetric (n, n) coupling matrix with zero diagonal, entries in [-scale, scale] (Ising, Boltzmann machines).

    Parameters
    ----------
    n : number of units (int >= 1)
    scale : entry bound (>= 0; default 1)

    Returns
    -------
    hypothesis strategy of (n, n) arrays.
    """
    st = _st()
    m = n * (n - 1) // 2

    def build(vals):
        J = np.zeros((n, n))
        iu = np.triu_indices(n, 1)
        J[iu] = vals
        return J + J.T

    return st.lists(st.floats(-scale, scale), min_size=m, max_size=m).map(build)


def ula_steps(J, *, max_fraction=0.9, min_fraction=1e-3):
    r"""Strategy for a ULA step :math:`\eta` in the stable range of J: :math:`\eta\,j_{\max}\in[2\,\mathrm{min\_fraction},\,2\,\mathrm{max\_fraction}]`.

    ULA is stable iff :math:`\eta j<2` for every eigenvalue j (theory.md 3.1); the margin
    ``max_fraction`` < 1 keeps it away from the edge. ``J``: a symmetric matrix, an array of
    eigenvalues, or a number (the largest eigenvalue); it must have a positive eigenvalue.

    Parameters
    ----------
    J : (d, d) symmetric matrix, (d,) eigenvalues or a number :math:`j_{\max}` (largest > 0)
    max_fraction, min_fraction : the step range as fractions of the stability edge
        :math:`2/j_{\max}`, 0 < min_fraction < max_fraction < 1 (defaults 1e-3 and 0.9)

    Returns
    -------
    hypothesis strategy of floats :math:`\eta`.
    """
    st = _st()
    a = np.asarray(J, dtype=float)
    jmax = float(np.max(np.linalg.eigvalsh(a)) if a.ndim == 2 else np.max(a))
    if not jmax > 0:
        raise ValueError(f"J must have a positive eigenvalue (largest is {jmax})")
    if not 0 < min_fraction < max_fraction < 1:
        raise ValueError(f"need 0 < min_fraction < max_fraction < 1, got {min_fraction}, {max_fraction}")
    return st.floats(2.0 * min_fraction / jmax, 2.0 * max_fraction / jmax)


def k_values(low=1, high=50):
    """Strategy for a number of sampling steps k in [low, high].

    Parameters
    ----------
    low, high : ints with 0 <= low <= high (default 1 and 50)

    Returns
    -------
    hypothesis strategy of ints.
    """
    st = _st()
    if not 0 <= low <= high:
        raise ValueError(f"need 0 <= low <= high, got {low}, {high}")
    return st.integers(low, high)


def spin_laws(n, *, min_ratio=1e-3):
    r"""Strategy for a probability vector over :math:`\{-1,1\}^n` with full support, (2^n,), in :func:`solvable.ising.all_states` order.

    Unnormalised weights drawn in [min_ratio, 1] and normalised, so every state has
    probability at least :math:`\mathrm{min\_ratio}/2^n`.

    Parameters
    ----------
    n : number of spins (int >= 1; the vector has 2^n entries, keep n small)
    min_ratio : smallest unnormalised weight, in (0, 1] (default 1e-3)

    Returns
    -------
    hypothesis strategy of (2^n,) probability arrays.
    """
    st = _st()
    if not 0 < min_ratio <= 1:
        raise ValueError(f"min_ratio must be in (0, 1], got {min_ratio}")
    size = 2**n
    return st.lists(st.floats(min_ratio, 1.0), min_size=size, max_size=size).map(
        lambda v: np.asarray(v) / np.sum(v))


def rbm_parameters(n_visible, n_hidden, scale=1.0):
    """Strategy for RBM parameters ``(W, a, b)``: W (n_visible, n_hidden), visible biases a, hidden biases b, entries in [-scale, scale] (:func:`solvable.rbm.free_energy` order).

    Parameters
    ----------
    n_visible, n_hidden : numbers of units (ints >= 1)
    scale : entry bound (>= 0; default 1)

    Returns
    -------
    hypothesis strategy of ``(W, a, b)`` with shapes (n_visible, n_hidden), (n_visible,), (n_hidden,).
    """
    st = _st()

    def arr(shape):
        size = int(np.prod(shape))
        return st.lists(st.floats(-scale, scale), min_size=size, max_size=size).map(
            lambda v: np.asarray(v, dtype=float).reshape(shape))

    return st.tuples(arr((n_visible, n_hidden)), arr((n_visible,)), arr((n_hidden,)))
