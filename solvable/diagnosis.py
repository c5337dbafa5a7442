r"""A verdict on anyone's chains: samples at several times against the data, from plain arrays.

A user who trains an energy-based model in their own code (PyTorch, JAX, ...) hands
:func:`diagnose` the samples of their sampler at a few times and the data, and gets the
same :class:`~solvable.comparison.MomentComparison` the built-in checks give: for every
statistic :math:`\phi_a` and time :math:`t`,

.. math:: z_a(t)=\frac{\bar\phi_a(t)-\bar\phi_{a,D}}{\sqrt{\mathrm{SE}_a(t)^2+\mathrm{SE}_{a,D}^2}},

with :math:`\mathrm{SE}=s/\sqrt n` of the samples and of the data (two independent sample
means: their variances add). A model trained by non-persistent short runs of length k
should match the data at :math:`t=k` and not at other times (Agoritsas et al., arXiv
2301.09428; Nijkamp et al., arXiv 1904.09770; theory.md 2.2); a model whose chains are at
equilibrium and learned by maximum likelihood should match at every large t.

Weighted samples (Jarzynski walkers, importance sampling): the self-normalised mean
:math:`\bar\phi=\sum_ip_i\phi_i`, :math:`p=\mathrm{softmax}(A)`, and the Kish standard
error :math:`\mathrm{SE}=\sqrt{\hat\sigma^2_p/\mathrm{ESS}}` with
:math:`\mathrm{ESS}=1/\sum_ip_i^2` and the unbiased weighted variance
:math:`\hat\sigma^2_p=\sum_ip_i(\phi_i-\bar\phi)^2/(1-\sum_ip_i^2)` (Kish 1965; the
correction makes equal weights give exactly :math:`s/\sqrt n`). After resampling, walkers
are duplicated and this SE is optimistic (derived here).
"""
from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np

from . import _validate as V
from .comparison import MomentComparison, moment_labels, moment_statistics, sample_mean_se
from .jarzynski import normalized_weights

__all__ = ["diagnose", "moment_statistics", "moment_labels", "weighted_mean_se_kish", "STATISTICS"]

#: names accepted by ``statistics``: first and second moments, means only, or arrays that are
#: already statistics
STATISTICS = ("moments", "means", "given")


def weighted_mean_se_kish(f, log_w):
    r"""Self-normalised mean of ``f`` (n, p) under log-weights ``log_w`` (n,) and its Kish SE.

    :math:`\bar f=\sum_ip_if_i`, :math:`\mathrm{SE}^2=\frac{\sum_ip_i(f_i-\bar f)^2}{1-\sum_ip_i^2}\sum_ip_i^2`
    (:math:`\mathrm{ESS}=1/\sum p_i^2`, Kish 1965). Equal weights give :math:`s/\sqrt n` exactly.

    Parameters
    ----------
    f : array (n, p) (or (n,)), per-sample statistics
    log_w : array (n,), log-weights :math:`A_i` (up to a constant)

    Returns
    -------
    mean : (p,) ndarray
    se : (p,) ndarray

    Raises
    ------
    ValueError
        when the weights put all their mass on one sample (ESS = 1).
    """
    p = normalized_weights(np.asarray(log_w, dtype=float))
    f = np.asarray(f, dtype=float)
    s2 = float(np.sum(p * p))
    if s2 >= 1.0 - 1e-12:
        raise ValueError("weights put all their mass on one sample (ESS = 1): no standard error")
    mean = p @ f
    var = (p @ (f - mean) ** 2) / (1.0 - s2)
    return mean, np.sqrt(var * s2)


def _time(t):
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Real) or not np.isfinite(float(t)) or t < 0:
        raise ValueError(f"samples_by_time keys must be finite sampling times >= 0, got {t!r}")
    return float(t)


def _statistic_fn(statistics):
    """(function applied to (n, d) arrays, labels(p) or None, whether the input is raw samples)."""
    if statistics is None or statistics == "moments":
        return moment_statistics, moment_labels, True
    if callable(statistics):
        return (lambda x: np.asarray(statistics(x), dtype=float)), None, True
    if statistics == "means":
        return (lambda x: np.asarray(x, dtype=float)), (lambda d: [f"<x{i}>" for i in range(d)]), True
    if statistics == "given":
        return (lambda x: np.asarray(x, dtype=float)), None, False
    raise ValueError(f"statistics must be one of {list(STATISTICS)}, a callable x -> (n, p) array, or None; "
                     f"got {statistics!r}")


def _features(fn, x, name, n_rows):
    f = fn(x)
    if f.ndim != 2 or f.shape[0] != n_rows:
        raise ValueError(f"statistics applied to {name} must return an ({n_rows}, p) array, got shape {f.shape}")
    if not np.all(np.isfinite(f)):
        raise ValueError(f"statistics of {name} are not all finite")
    return f


def diagnose(samples_by_time, data, *, k=None, statistics=None, weights=None, labels=None) -> MomentComparison:
    r"""Compare samples drawn at several sampling times with the data, statistic by statistic.

    Parameters
    ----------
    samples_by_time : mapping ``{t: array (n_t, d)}`` -- the states of ``n_t`` chains after ``t``
        sampler steps (any time unit), e.g. ``{0: x0, 50: x50, 200: x200}``. With
        ``statistics="given"`` each array is already the per-sample statistics (n_t, p).
    data : array (m, d) of data samples (or (m, p) statistics with ``statistics="given"``).
    k : the training length of the short runs (marked in the table and the figure), or None.
    statistics : ``None`` or ``"moments"`` (default: :math:`x_i` and :math:`x_ix_j`, :math:`i\le j`),
        ``"means"``, ``"given"``, or a callable ``x (n, d) -> (n, p)`` applied to samples and data.
    weights : optional mapping ``{t: log-weights (n_t,)}`` (Jarzynski walkers); times absent from
        it are unweighted. Means are self-normalised, SEs Kish's (module docstring).
    labels : optional names of the p statistics.

    Returns
    -------
    :class:`~solvable.comparison.MomentComparison` with ``se_data`` set, so that
    ``z = (mean_t - mean_D) / sqrt(SE_t^2 + SE_D^2)``; use ``.table()``, ``.plot()``,
    ``.best_time``, ``.matches_at(t)`` and ``.max_z``.

    Raises
    ------
    TypeError / ValueError naming the argument: not a mapping, NaN or infinite values, fewer than
    2 samples, a column count that differs from the data's, weights of the wrong length.
    """
    if not isinstance(samples_by_time, Mapping) or len(samples_by_time) == 0:
        raise TypeError("samples_by_time must be a non-empty mapping {sampling time: (n, d) array}, got "
                        f"{type(samples_by_time).__name__}")
    if weights is not None and not isinstance(weights, Mapping):
        raise TypeError(f"weights must be a mapping {{sampling time: (n,) log-weights}} or None, got "
                        f"{type(weights).__name__}")
    fn, label_fn, raw = _statistic_fn(statistics)
    D = V.finite_array(data, "data", ndim=2)
    if D.shape[0] < 2:
        raise ValueError(f"data must have at least 2 rows (samples) for a standard error, got {D.shape[0]}")
    fd = _features(fn, D, "data", D.shape[0])
    mean_d, se_d = sample_mean_se(fd)
    wkeys = {} if weights is None else {_time(t): t for t in weights}
    keys = sorted(samples_by_time, key=_time)
    times = [_time(t) for t in keys]
    if len(set(times)) != len(times):
        raise ValueError(f"samples_by_time has two keys for the same time: {keys}")
    unknown = set(wkeys) - set(times)
    if unknown:
        raise ValueError(f"weights has times {sorted(unknown)} that are not keys of samples_by_time {times}")
    sampled, se, ns = [], [], []
    for key, t in zip(keys, times):
        name = f"samples_by_time[{key!r}]"
        x = V.finite_array(samples_by_time[key], name, ndim=2)
        if x.shape[0] < 2:
            raise ValueError(f"{name} must have at least 2 rows (samples), got {x.shape[0]}")
        if x.shape[1] != D.shape[1]:
            raise ValueError(f"{name} has {x.shape[1]} columns but data has {D.shape[1]}; both must be "
                             f"({'statistics' if not raw else 'states'}) of the same dimension")
        f = _features(fn, x, name, x.shape[0])
        if t in wkeys:
            wname = f"weights[{wkeys[t]!r}]"
            lw = V.finite_array(weights[wkeys[t]], wname, ndim=1)
            if lw.shape != (x.shape[0],):
                raise ValueError(f"{wname} must have shape ({x.shape[0]},) (one log-weight per sample of "
                                 f"{name}), got {lw.shape}")
            mu, s = weighted_mean_se_kish(f, lw)
        else:
            mu, s = sample_mean_se(f)
        sampled.append(mu)
        se.append(s)
        ns.append(x.shape[0])
    p = fd.shape[1]
    if labels is None:
        labels = label_fn(D.shape[1]) if label_fn is not None else [f"phi{a}" for a in range(p)]
    labels = list(labels)
    if len(labels) != p:
        raise ValueError(f"labels must name the {p} statistics, got {len(labels)} names")
    k = float("nan") if k is None else V.real(k, "k", low=0.0)
    return MomentComparison(
        times=np.array(times), labels=labels, sampled=np.array(sampled), se=np.array(se), data=mean_d,
        exact=None, equilibrium=None, k=k, n_chains=int(min(ns)), se_data=se_d, show_equilibrium=False,
    )
