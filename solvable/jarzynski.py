r"""Jarzynski reweighting: weights that make non-equilibrium walkers exact (theory.md section 6).

Walkers :math:`X^i_\ell` carry log-weights :math:`A^i_\ell`; with :math:`X_0\sim p_{\theta_0}`
and :math:`A_0 = 0`, self-normalised averages with :math:`p_i\propto e^{A^i_\ell}` estimate
:math:`\mathbb E_{\theta_\ell}` and :math:`\frac1N\sum_i e^{A^i_\ell}` estimates
:math:`Z_\ell/Z_0`, however far the walkers are from equilibrium
(Carbone et al., arXiv 2305.19414; Neal 2001; Del Moral, Doucet, Jasra 2006).

One function per formula:

* :func:`ula_alpha`, :func:`ula_increment` -- the ULA rule (section 6.1), valid for any step;
* :func:`invariant_increment` -- kernels that leave the current model invariant (section 6.2);
* :func:`log_mean_exp`, :func:`normalized_weights`, :func:`ess`, :func:`log_z_stderr`,
  :func:`weighted_mean_se` -- log-sum-exp stable weight algebra (sections 6.3 and 8);
* :func:`systematic_resample` -- resampling when the ESS falls below a threshold;
* :func:`log_z_ratio` -- the running :math:`\log Z_\ell/Z_0` accumulator (section 6.3).

Two drivers use them: :func:`anneal` follows a pre-set schedule of parameters (AIS,
exact tests), :class:`JarzynskiWalkers` plugs into :func:`solvable.training.ascent`
as the model term of a training run.

Weight rules (``rule=``), theory.md section 6.2; the last two are **biased** and
exist only as negative controls:

==========================  =================================================================
``"ula"``                   move with ULA(theta_l), ``A += alpha_l(x, y) - alpha_{l+1}(y, x)``
``"move-reweight"``         move with M_l, then ``A += E_l(y) - E_{l+1}(y)``
``"reweight-move"``         ``A += E_l(x) - E_{l+1}(x)``, then move with M_{l+1}
``"biased-new-kernel"``     move with M_{l+1}, then ``A += E_l(y) - E_{l+1}(y)`` (biased)
``"biased-naive-ula"``      move with ULA(theta_l), then ``A += E_l(y) - E_{l+1}(y)`` (biased)
==========================  =================================================================

Array convention: the walker axis is the last axis of ``log_w``; ``x`` has the same
leading axes (``x.shape[:log_w.ndim] == log_w.shape``), so several independent
populations can run at once with ``log_w`` of shape ``(R, N)``.

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from . import _validate as V
from .errors import DivergenceError

RULES = ("ula", "move-reweight", "reweight-move", "biased-new-kernel", "biased-naive-ula")
_ULA_RULES = ("ula", "biased-naive-ula")


class WeightCollapseWarning(UserWarning):
    """The Jarzynski weights collapsed: the ESS stayed near 1 walker for many updates."""


# --------------------------------------------------------------------------- formulas

def ula_alpha(x, y, energy, grad, step):
    r"""ULA half-increment of theory.md section 6.1 (Carbone et al. 2023):

    .. math:: \alpha(x, y) = E(x) + \tfrac12 (y - x)\cdot\nabla E(x) + \tfrac\eta4 |\nabla E(x)|^2 ,

    the log of :math:`e^{-E(x)}` times the ULA transition density
    :math:`q(x\to y)\propto e^{-|y-x+\eta\nabla E(x)|^2/(4\eta)}` with the
    :math:`|y-x|^2` term dropped (it cancels in :func:`ula_increment`).

    ``x``, ``y``: arrays (..., d) (a trailing state axis); ``energy(x) -> (...)``,
    ``grad(x) -> (..., d)``; ``step`` = :math:`\eta`. Returns shape (...).

    Parameters
    ----------
    x, y : arrays (..., d) of the same shape, the points before and after the step
    energy : callable, ``energy(x) -> (...)``
    grad : callable, ``grad(x) -> (..., d)``
    step : float > 0, the ULA step :math:`\eta`
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim < 1 or x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape (..., d), got {x.shape} and {y.shape}")
    step = V.positive(step, "step")
    g = np.asarray(grad(x), dtype=float)
    if g.shape != x.shape:
        raise ValueError(f"grad(x) must return the shape of x, {x.shape}; it returned {g.shape}")
    e = np.asarray(energy(x), dtype=float)
    if e.shape != x.shape[:-1]:
        raise ValueError(f"energy(x) must return shape {x.shape[:-1]} (one value per state); it returned {e.shape}")
    return e + 0.5 * np.sum((y - x) * g, axis=-1) + 0.25 * step * np.sum(g * g, axis=-1)


def ula_increment(x, y, energy_old, grad_old, energy_new, grad_new, step):
    r"""Log-weight increment of one ULA step ``x -> y`` taken with the **old** parameters
    (theory.md section 6.1):

    .. math:: A_{\ell+1} - A_\ell = \alpha_\ell(x, y) - \alpha_{\ell+1}(y, x)
       = \log\frac{e^{-E_{\ell+1}(y)}\,q_{\ell+1}(y\to x)}{e^{-E_\ell(x)}\,q_\ell(x\to y)} ,

    exact for any step :math:`\eta`. ``energy_*``/``grad_*`` are callables of the state
    at the old (:math:`\theta_\ell`) and new (:math:`\theta_{\ell+1}`) parameters.

    Parameters
    ----------
    x, y : arrays (..., d), the points before and after one ULA step with the old parameters
    energy_old, grad_old : callables of the state at :math:`\theta_\ell`
    energy_new, grad_new : callables of the state at :math:`\theta_{\ell+1}`
    step : float > 0, the ULA step :math:`\eta`
    """
    return ula_alpha(x, y, energy_old, grad_old, step) - ula_alpha(y, x, energy_new, grad_new, step)


def invariant_increment(x, energy_old, energy_new):
    r"""Log-weight increment for a :math:`p_{\theta_\ell}`-invariant kernel (theory.md section 6.2,
    Neal 2001): :math:`A \mathrel{+}= E_\ell(x) - E_{\ell+1}(x)`.

    Evaluate it at the point **after** a move with :math:`M_\ell` ("move, then reweight")
    or at the point **before** a move with :math:`M_{\ell+1}` ("reweight, then move").
    For an RBM pass the free energy :math:`F` (visible chain, Rao-Blackwellised).

    Parameters
    ----------
    x : array of walkers (leading axes as the log-weights)
    energy_old, energy_new : callables ``energy(x) -> (...)`` at :math:`\theta_\ell` and :math:`\theta_{\ell+1}`
    """
    return np.asarray(energy_old(x), dtype=float) - np.asarray(energy_new(x), dtype=float)


def _log_weights(log_w, axis=-1, name="log_w"):
    """Validated log-weights: a float array with a walker axis ``axis``; NaN, +inf and an axis where
    every entry is -inf (zero total weight) are refused. -inf entries (zero weight) are allowed."""
    try:
        a = np.asarray(log_w, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers (log-weights), got {type(log_w).__name__}") from exc
    if a.ndim == 0:
        raise ValueError(f"{name} must have a walker axis (ndim >= 1), got a scalar")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"axis must be in [{-a.ndim}, {a.ndim - 1}] for {name} of shape {a.shape}, got {axis}")
    axis = int(axis) % a.ndim
    if a.shape[axis] == 0:
        raise ValueError(f"{name} must hold at least one walker along axis {axis}, got shape {a.shape}")
    if np.any(np.isnan(a)):
        raise ValueError(f"{name} contains {int(np.isnan(a).sum())} NaN value(s); log-weights must be real or -inf")
    if np.any(np.isposinf(a)):
        raise ValueError(f"{name} contains +inf; log-weights must be finite or -inf (weight 0)")
    if np.any(np.all(np.isneginf(a), axis=axis)):
        raise ValueError(f"{name}: every walker has log-weight -inf along axis {axis} (total weight 0); "
                         "at least one must be finite")
    return a, axis


def log_mean_exp(log_w, axis=-1):
    r""":math:`\log\frac1N\sum_i e^{A_i}` along ``axis``, computed with the max shifted out.

    Parameters
    ----------
    log_w : array of log-weights :math:`A_i` (real or -inf; not all -inf along ``axis``)
    axis : int, the walker axis
    """
    a, axis = _log_weights(log_w, axis)
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.mean(np.exp(a - m), axis=axis, keepdims=True)) + m
    return np.squeeze(out, axis=axis)


def normalized_weights(log_w, axis=-1):
    r"""Self-normalised weights :math:`p_i = e^{A_i}/\sum_j e^{A_j}` (softmax, stable).

    Parameters
    ----------
    log_w : array of log-weights :math:`A_i` (real or -inf; not all -inf along ``axis``)
    axis : int, the walker axis
    """
    a, axis = _log_weights(log_w, axis)
    w = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return w / np.sum(w, axis=axis, keepdims=True)


def ess(log_w, axis=-1):
    r"""Effective sample size :math:`(\sum w)^2/\sum w^2 = N/(1+\mathrm{CV}^2)` of the weights
    :math:`w_i=e^{A_i}` (Kong 1992; theory.md 6.3).

    Parameters
    ----------
    log_w : array of **log**-weights :math:`A_i` (not the weights themselves; real or -inf)
    axis : int, the walker axis

    Returns the ESS in [1, N] (an array over the other axes).
    """
    p = normalized_weights(log_w, axis=axis)
    return 1.0 / np.sum(p * p, axis=axis)


def log_z_stderr(log_w, axis=-1):
    r"""Delta-method standard error of :math:`\log\frac1N\sum e^{A}` (theory.md section 8):
    :math:`\sqrt{(N/\mathrm{ESS}-1)/N}`, i.e. :math:`\mathrm{CV}/\sqrt N` (independent walkers).

    Parameters
    ----------
    log_w : array of log-weights (real or -inf), walker axis ``axis``
    axis : int
    """
    a, axis = _log_weights(log_w, axis)
    w = np.exp(a - np.max(a, axis=axis, keepdims=True))
    cv2 = np.var(w, axis=axis) / np.mean(w, axis=axis) ** 2  # = N/ESS - 1, without cancellation
    return np.sqrt(cv2 / a.shape[axis])


def weighted_mean_se(f, log_w):
    r"""Self-normalised mean :math:`\bar f=\sum_ip_if_i` and its standard error
    :math:`[\sum_ip_i^2(f_i-\bar f)^2]^{1/2}` (delta method for a ratio of means of independent
    walkers, e.g. Owen 2013, *Monte Carlo theory, methods and examples*, eq. 9.9; theory.md
    section 8). For equal weights it is the usual :math:`s/\sqrt N`; it shrinks as
    :math:`1/\sqrt{\mathrm{ESS}}`, not like the weighted standard deviation
    :math:`[\sum_ip_i(f_i-\bar f)^2]^{1/2}` (which does not shrink with N).

    Parameters
    ----------
    f : array (N,) or (N, ...), per-walker values
    log_w : array (N,), their log-weights

    Returns ``(mean, se)`` of shape ``f.shape[1:]``.
    """
    log_w, _ = _log_weights(log_w)
    if log_w.ndim != 1:
        raise ValueError(f"log_w must be 1-D (N walkers), got shape {log_w.shape}")
    f = V.finite_array(f, "f")
    if f.ndim < 1 or f.shape[0] != log_w.shape[0]:
        raise ValueError(f"f must have shape (N, ...) with N = {log_w.shape[0]} walkers (the length of log_w), "
                         f"got {f.shape}")
    p = normalized_weights(log_w)
    pp = p.reshape(p.shape + (1,) * (f.ndim - 1))
    mean = np.sum(pp * f, axis=0)
    se = np.sqrt(np.sum(pp * pp * (f - mean) ** 2, axis=0))
    return mean, se


def log_z_ratio(acc, log_w):
    r"""Running estimate :math:`\log\hat Z_\ell/Z_0 = \mathrm{acc} + \log\frac1N\sum_ie^{A^i_\ell}`
    (theory.md section 6.3), ``acc`` the sum of :math:`\log\frac1N\sum e^A` at past resamplings.
    :math:`\hat Z` is unbiased for a fixed schedule; :math:`\log\hat Z` is biased low.

    Parameters
    ----------
    acc : float or array over the populations
    log_w : log-weights, walker axis last
    """
    return np.asarray(acc, dtype=float) + log_mean_exp(log_w)


def _seed_tuple(seed, name="seed"):
    """An int >= 0 or a tuple of ints >= 0, as a tuple (the entropy of numpy.random.SeedSequence)."""
    values = seed if isinstance(seed, (tuple, list, np.ndarray)) else (seed,)
    if len(values) == 0:
        raise ValueError(f"{name} must be an int >= 0 or a non-empty tuple of ints >= 0, got {seed!r}")
    return tuple(V.seed(v, name) for v in values)


def _rng(seed):
    return np.random.default_rng(np.random.SeedSequence(_seed_tuple(seed)))


def systematic_resample(log_w, seed):
    r"""Systematic resampling: indices :math:`i_k = F^{-1}((U + k)/N)`, :math:`k=0..N-1`,
    one uniform :math:`U` per population, :math:`F` the cumulative normalised weights
    (Kitagawa 1996; every walker is copied floor or ceil of N p_i times).

    Parameters
    ----------
    log_w : array (..., N) of log-weights (walker axis last; real or -inf, not NaN)
    seed : int >= 0 or tuple of ints >= 0 (expanded by ``numpy.random.SeedSequence``)

    Returns int indices of the same shape as ``log_w``.
    """
    p = normalized_weights(log_w)
    n = p.shape[-1]
    flat = p.reshape(-1, n)
    r = flat.shape[0]
    u = _rng(seed).random(r)
    cdf = np.cumsum(flat, axis=1)
    cdf[:, -1] = 1.0
    pos = (u[:, None] + np.arange(n)) / n
    offset = np.arange(r)[:, None] * 2.0  # rows do not overlap: cdf in (0, 1], pos in [0, 1)
    idx = np.searchsorted((cdf + offset).ravel(), (pos + offset).ravel(), side="right")
    idx = idx.reshape(r, n) - np.arange(r)[:, None] * n
    return np.minimum(idx, n - 1).reshape(p.shape)


def _resample(x, log_w, low, seed):
    r"""Resample the populations flagged by ``low`` (walker axis last of ``log_w``).

    Returns ``(x, log_w, log_mean, var)``: the walkers, the log-weights (reset to 0 where
    resampled: the copies carry equal weight, their common weight went into the estimate), and
    the segment's :math:`\log\frac1N\sum e^A` and delta-method variance where resampled (0
    elsewhere), which the caller adds to its running :math:`\log\hat Z` and its variance."""
    low = np.asarray(low)
    n = log_w.shape[-1]
    seg = np.where(low, log_mean_exp(log_w), 0.0)
    var = np.where(low, log_z_stderr(log_w) ** 2, 0.0)
    idx = systematic_resample(log_w, seed)
    keep = np.broadcast_to(np.arange(n), log_w.shape)
    idx = np.where(low[..., None], idx, keep)
    return _take(x, idx), np.where(low[..., None], 0.0, log_w), seg, var


def _take(x, idx):
    """x[..., idx, ...] along the walker axis (= idx.ndim - 1)."""
    x = np.asarray(x)
    ix = idx.reshape(idx.shape + (1,) * (x.ndim - idx.ndim))
    return np.take_along_axis(x, ix, axis=idx.ndim - 1)


# --------------------------------------------------------------------------- one step

def _step(rule, old, new, x, log_w, *, energy, move, grad, step, k, seed):
    """Advance walkers ``x`` from parameters ``old`` to ``new`` by ``k`` kernel steps, updating
    ``log_w`` by ``rule``. The intermediate schedule is (old, ..., old, new): intermediate
    increments vanish for invariant kernels and are ULA increments at fixed theta for ULA."""
    e_old = lambda z: energy(old, z)  # noqa: E731
    e_new = lambda z: energy(new, z)  # noqa: E731
    if rule == "reweight-move":
        log_w = log_w + invariant_increment(x, e_old, e_new)
        for i in range(k):
            x = move(new, x, _sub(seed, i))
        return x, log_w
    if rule == "biased-new-kernel":
        for i in range(k):
            x = move(new, x, _sub(seed, i))
        return x, log_w + invariant_increment(x, e_old, e_new)
    if rule == "move-reweight":
        for i in range(k):
            x = move(old, x, _sub(seed, i))
        return x, log_w + invariant_increment(x, e_old, e_new)
    if rule == "ula":
        g_old = lambda z: grad(old, z)  # noqa: E731
        g_new = lambda z: grad(new, z)  # noqa: E731
        for i in range(k):
            y = move(old, x, _sub(seed, i))
            if i == k - 1:
                log_w = log_w + ula_increment(x, y, e_old, g_old, e_new, g_new, step)
            else:
                log_w = log_w + ula_increment(x, y, e_old, g_old, e_old, g_old, step)
            x = y
        return x, log_w
    if rule == "biased-naive-ula":
        for i in range(k):
            x = move(old, x, _sub(seed, i))
        return x, log_w + invariant_increment(x, e_old, e_new)
    raise ValueError(f"rule must be one of {RULES}, got {rule!r}")  # pragma: no cover


def _sub(seed, i, stream=1):
    s = tuple(int(v) for v in np.atleast_1d(seed))
    return s + (int(stream), int(i))


def _check_rule(rule, grad, step):
    if rule is None:
        rule = "ula" if grad is not None else "move-reweight"
    V.choice(rule, "rule", RULES)
    if rule in _ULA_RULES:
        if grad is None:
            raise ValueError(f"rule {rule!r} needs grad(params, x) (ULA proposal densities, theory.md 6.1)")
        if step is None:
            raise ValueError(f"rule {rule!r} needs the ULA step (the same eta as the move)")
        step = V.positive(step, "step")
    return rule, step


# --------------------------------------------------------------------------- drivers

@dataclasses.dataclass(frozen=True)
class AnnealResult:
    r"""Outcome of :func:`anneal` along a schedule :math:`\theta_0,\dots,\theta_L`.

    Attributes
    ----------
    x : final walkers
    log_w : final log-weights (walker axis last)
    log_z : (L+1, ...) running :math:`\log\hat Z_\ell` (``log_z0`` + :func:`log_z_ratio`)
    ess : (L+1, ...) ESS after each weight update (before any resampling)
    n_resamples : number of resampling events (per population)
    log_z_stderr : SE of the final ``log_z``: the delta-method variances
        :math:`(N/\mathrm{ESS}-1)/N` of the segments between resamplings, summed. Measured
        against the spread of 400 independent populations (tests/test_jarzynski.py): ratio
        0.98-1.09 without resampling or with an invariant-kernel rule; with the ULA rule and a
        resampling at almost every step it over-estimates (ratio about 1.36, conservative: the
        ULA increments carry boundary terms that telescope in the total but count in every
        segment)
    """

    x: Any
    log_w: np.ndarray
    log_z: np.ndarray
    ess: np.ndarray
    n_resamples: np.ndarray
    log_z_stderr: np.ndarray

    @property
    def weights(self):
        return normalized_weights(self.log_w)


def anneal(schedule, x0, *, energy, move, grad=None, step=None, rule=None, k=1, log_w0=None,
           log_z0=0.0, ess_threshold=None, seed=0, progress=False):
    r"""Carry weighted walkers along a pre-set schedule of parameters (AIS / Jarzynski, theory.md 6).

    Parameters
    ----------
    schedule : sequence of parameter objects :math:`\theta_0, \dots, \theta_L`
    x0 : walkers distributed as :math:`p_{\theta_0}` (or weighted by ``log_w0``)
    energy : ``energy(params, x) -> (...)`` per walker (the free energy for an RBM)
    move : ``move(params, x, seed) -> x``, one kernel step (ULA with ``step`` for the ULA rules)
    grad : ``grad(params, x)`` (needed by the ULA rules)
    step : the ULA step :math:`\eta` used by ``move``
    rule : one of :data:`RULES` (default ``"ula"`` when ``grad`` is given, else ``"move-reweight"``)
    k : kernel steps per schedule step
    log_w0 : initial log-weights (default 0)
    log_z0 : :math:`\log Z_{\theta_0}` when known (0 gives ratios)
    ess_threshold : resample a population when ESS < ``ess_threshold * N`` (None: never)
    seed : int or tuple of ints
    """
    rule, step = _check_rule(rule, grad, step)
    k = V.integer(k, "k", low=1)
    if ess_threshold is not None:
        ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
    if not hasattr(schedule, "__getitem__") or not hasattr(schedule, "__len__"):
        schedule = list(schedule)
    if len(schedule) < 1:
        raise ValueError("schedule must contain at least one parameter set")
    x = x0
    if log_w0 is None:
        if np.ndim(x0) < 1:
            raise ValueError(f"x0 must have a walker axis (ndim >= 1), got shape {np.shape(x0)}")
        log_w = np.zeros(np.shape(x0)[:1])
    else:
        log_w = V.finite_array(log_w0, "log_w0").copy()
        if log_w.ndim < 1 or np.shape(x0)[:log_w.ndim] != log_w.shape:
            raise ValueError(f"log_w0 must have the leading shape of x0 (walker axis last), got {log_w.shape} "
                             f"for x0 of shape {np.shape(x0)}")
    log_z0 = V.real(log_z0, "log_z0")
    seed_t = _seed_tuple(seed)
    n = log_w.shape[-1]
    acc = np.zeros(log_w.shape[:-1])
    var_acc = np.zeros(log_w.shape[:-1])
    n_res = np.zeros(log_w.shape[:-1], dtype=int)
    log_z = [log_z0 + log_z_ratio(acc, log_w)]
    ess_hist = [ess(log_w)]
    for l in tqdm(range(len(schedule) - 1), desc="anneal", disable=None if progress else True, leave=False):
        x, log_w = _step(rule, schedule[l], schedule[l + 1], x, log_w, energy=energy, move=move, grad=grad,
                         step=step, k=k, seed=seed_t + (l,))
        if not np.all(np.isfinite(log_w)):
            raise DivergenceError(f"schedule step {l}: non-finite log-weights (a walker diverged)")
        e = ess(log_w)
        ess_hist.append(e)
        if ess_threshold is not None:
            low = e < ess_threshold * n
            if np.any(low):
                x, log_w, seg, var = _resample(x, log_w, low, seed_t + (l, 2))
                acc = acc + seg
                var_acc = var_acc + var
                n_res = n_res + low
        log_z.append(log_z0 + log_z_ratio(acc, log_w))
    return AnnealResult(x=x, log_w=log_w, log_z=np.array(log_z), ess=np.array(ess_hist), n_resamples=n_res,
                        log_z_stderr=np.sqrt(var_acc + log_z_stderr(log_w) ** 2))


def path_from_history(history, stride=1):
    """The recorded parameter path of a training run as a schedule for :func:`anneal`.

    ``history["params"]`` maps names to arrays (n_iter + 1, ...); returns the list of
    ``{name: value}`` at iterations 0, stride, 2 stride, ..., always ending at the last one.
    Replaying a path with an independent probe population gives an exact (unbiased) Z ratio
    for that path (theory.md 6.1, last point), free of the feedback of the training walkers.

    Parameters
    ----------
    history : dict with ``"params"`` (name -> array (n_iter + 1, ...)), e.g. a TrainResult history
    stride : int >= 1, keep every stride-th iteration (and the last)
    """
    traj = history["params"]
    n = next(iter(traj.values())).shape[0]
    stride = V.integer(stride, "stride", low=1)
    idx = sorted(set(range(0, n, stride)) | {n - 1})
    return [{name: traj[name][i] for name in traj} for i in idx]


class JarzynskiWalkers:
    r"""Jarzynski-weighted walkers as the model term of :func:`solvable.training.ascent`.

    Same interface as :class:`solvable.training.Walkers`. The order of one training
    iteration is that of theory.md section 6.3: weights -> gradient
    (:meth:`model_stats`, the weighted statistics) -> parameter update (by ``ascent``)
    -> :meth:`after_update`: move with the **old** parameters, weight increment from
    old to new, ESS check and systematic resampling.

    Parameters
    ----------
    energy : ``energy(params, x) -> (N,)`` (RBM: the free energy)
    move : ``move(params, x, seed) -> x``, one kernel step
    stats : ``stats(params, x, weights) -> {name: sum_i weights_i phi_name(x_i)}``
    x0 : (N, ...) walkers distributed as the initial model (or weighted by ``log_w0``)
    k : kernel steps per update
    grad, step : ULA rule (theory.md 6.1) when given; otherwise the invariant-kernel rule
    rule : see :data:`RULES` (biased rules only as negative controls)
    log_w0 : initial log-weights (e.g. importance weights from an exactly sampled base law)
    log_z0 : :math:`\log Z` of the law of ``x0`` when known (then :attr:`log_z` is absolute)
    ess_threshold : resample when ESS < ``ess_threshold * N``
    collapse_ess, collapse_patience, on_collapse : a :class:`WeightCollapseWarning`
        (``on_collapse="warn"``) or :class:`~solvable.DivergenceError` (``"raise"``) when the
        ESS before resampling stays below ``collapse_ess`` walkers for ``collapse_patience``
        consecutive updates.

    Attributes
    ----------
    ess_history, log_z_history : lists, one entry per update (ESS before resampling;
        running :math:`\log\hat Z_\ell`), ``log_z_history[0]`` the initial value.
    n_resamples : resampling events so far.

    Notes
    -----
    The running :math:`\log\hat Z` of the *training* walkers carries a feedback bias: the
    update :math:`\Delta\theta=\gamma(\langle\phi\rangle_D-\bar\phi_w)` is correlated with the
    walkers' own :math:`\bar\phi_w`, so each update lowers the estimate by about
    :math:`\gamma\sum_a\mathrm{Var}(\bar\phi_{w,a})\approx\gamma\sum_a\mathrm{Var}_\theta(\phi_a)/\mathrm{ESS}`
    (first order), i.e. :math:`O(\gamma L/N)` after L updates; :attr:`log_z_stderr` does not
    include it. For an unbiased value replay the recorded path with an independent probe
    population: ``anneal(path_from_history(history), ...)`` (theory.md 6.1, last point).
    """

    def __init__(self, energy, move, stats, x0, *, k=1, grad=None, step=None, rule=None, log_w0=None,
                 log_z0=0.0, ess_threshold=0.5, collapse_ess=2.0, collapse_patience=20, on_collapse="warn"):
        self.rule, self.step = _check_rule(rule, grad, step)
        self.energy, self.move, self.stats, self.grad = energy, move, stats, grad
        self.k = V.integer(k, "k", low=1)
        self.x = np.array(x0, dtype=float)
        n = self.x.shape[0]
        if n < 2:
            raise ValueError(f"need at least 2 walkers, got {n}")
        self.log_w = np.zeros(n) if log_w0 is None else V.finite_array(log_w0, "log_w0", ndim=1).copy()
        if self.log_w.shape != (n,):
            raise ValueError(f"log_w0 must have shape ({n},), got {self.log_w.shape}")
        self.ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
        self.collapse_ess = V.real(collapse_ess, "collapse_ess", low=1.0)
        self.collapse_patience = V.integer(collapse_patience, "collapse_patience", low=1)
        self.on_collapse = V.choice(on_collapse, "on_collapse", ("warn", "raise"))
        self.log_z0 = V.real(log_z0, "log_z0")
        self.acc = 0.0
        self._var_acc = 0.0
        self.n_resamples = 0
        self.ess_history = [float(ess(self.log_w))]
        self.log_z_history = [self.log_z]
        self.log_z_se_history = [self.log_z_stderr]
        self._low_run = 0
        self._warned = False

    @property
    def n_walkers(self):
        return self.x.shape[0]

    @property
    def weights(self):
        return normalized_weights(self.log_w)

    @property
    def log_z(self):
        r"""Current :math:`\log\hat Z_\ell` (``log_z0`` + :func:`log_z_ratio`)."""
        return float(self.log_z0 + log_z_ratio(self.acc, self.log_w))

    @property
    def log_z_stderr(self):
        r"""SE of :attr:`log_z`: segment variances :math:`(N/\mathrm{ESS}-1)/N` summed over resamplings
        (ignores the O(1/N) feedback of the weights on the parameter path; conservative for the ULA
        rule with frequent resampling, see :class:`AnnealResult`)."""
        return float(np.sqrt(self._var_acc + log_z_stderr(self.log_w) ** 2))

    @property
    def history(self):
        """``{"ess", "log_z", "log_z_se"}`` (arrays, n_updates + 1) and ``"n_resamples"`` (merged into a
        :class:`~solvable.training.TrainResult` history by the models' ``train``)."""
        return {"ess": np.array(self.ess_history), "log_z": np.array(self.log_z_history),
                "log_z_se": np.array(self.log_z_se_history), "n_resamples": self.n_resamples}

    def model_stats(self, params, seed):
        return self.stats(params, self.x, self.weights)

    def after_update(self, old, new, seed):
        x, log_w = _step(self.rule, old, new, self.x, self.log_w, energy=self.energy, move=self.move,
                         grad=self.grad, step=self.step, k=self.k, seed=seed)
        if not np.all(np.isfinite(log_w)):
            raise DivergenceError("Jarzynski walkers: non-finite log-weights (a walker or the energy diverged)")
        e = float(ess(log_w))
        self.ess_history.append(e)
        self._check_collapse(e)
        if e < self.ess_threshold * self.n_walkers:
            x, log_w, seg, var = _resample(x, log_w, True, _sub(seed, 0, stream=2))
            self.acc += float(seg)
            self._var_acc += float(var)
            self.n_resamples += 1
        self.x, self.log_w = x, log_w
        self.log_z_history.append(self.log_z)
        self.log_z_se_history.append(self.log_z_stderr)

    def _check_collapse(self, e):
        self._low_run = self._low_run + 1 if e < self.collapse_ess else 0
        if self._low_run >= self.collapse_patience:
            msg = (f"Jarzynski weight collapse: the ESS stayed below {self.collapse_ess:g} of "
                   f"{self.n_walkers} walkers for {self._low_run} consecutive updates (last ESS {e:.3g}); "
                   "the estimates rest on one walker. Lower the learning rate, use more walkers, "
                   "or a faster-mixing kernel (theory.md sections 6.2-6.3).")
            if self.on_collapse == "raise":
                raise DivergenceError(msg)
            if not self._warned:
                warnings.warn(msg, WeightCollapseWarning, stacklevel=3)
                self._warned = True
