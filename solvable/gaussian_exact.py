r"""The Gaussian energy-based model in closed form: the law after k steps, the fixed points of the
training schemes, the energy and its normalisation.

Energy :math:`E(x)=\tfrac12 x^\top Jx-h^\top x`, :math:`x\in\mathbb R^d`, :math:`J`
symmetric; the Boltzmann law :math:`\mathcal N(J^{-1}h, J^{-1})` exists iff
:math:`J\succ0`. Dynamics at unit temperature (theory.md section 3):

* continuous-time Langevin :math:`dx=-\nabla E\,dt+\sqrt2\,dW` (``step=None``, time ``k`` a float);
* ULA with step :math:`\eta`: :math:`x'=x-\eta\nabla E(x)+\sqrt{2\eta}\,\xi` (``step=eta``, ``k`` steps);
* MALA: the ULA proposal with a Metropolis-Hastings correction (exact invariant law).

Convention: noise variance :math:`2\eta` per step. A code that writes
``x += delta * grad f + sigma * eps`` (f = -E) runs at temperature
:math:`T=\sigma^2/(2\delta)`; see :func:`convert_step`.

The chains, training and comparison of this model are in :mod:`solvable.gaussian_chains`;
:mod:`solvable.gaussian` is the public face of both. References "theory.md N" name sections of
``docs/theory.md`` in the source repository (it ships with the repository, not with an installed wheel).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize, special

from . import _validate as V
from .errors import DivergenceError, NoFixedPointError, NonNormalizableWarning

METHODS = ("ula", "mala")


class UnstableStepWarning(UserWarning):
    """A ULA step with eta*j >= 2 for some mode of J: the chain is unstable (its moments grow without bound)."""


# --------------------------------------------------------------------------------------
# per-mode primitives: every closed form below is built from these three functions
# --------------------------------------------------------------------------------------
def _log_abs_rho(x):
    """log|1 - x| computed without cancellation (x = eta * j)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x < 1.0, np.log1p(-np.minimum(x, 1.0)), np.log1p(np.maximum(x, 1.0) - 2.0))


def mode_decay(j, t, step):
    r"""Per-mode decay of the mean after time t: :math:`e^{-jt}` or :math:`\rho^t`, :math:`\rho=1-\eta j`.

    Parameters
    ----------
    j : array of eigenvalues of J (any real values)
    t : time >= 0: a float (continuous time) or an int number of steps (ULA)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time); not checked

    Returns
    -------
    ndarray of the shape of ``j``
    """
    j = np.asarray(j, dtype=float)
    if step is None:
        with np.errstate(over="ignore"):
            return np.exp(-j * t)
    x = step * j
    with np.errstate(over="ignore"):
        mag = np.exp(t * _log_abs_rho(x)) if t > 0 else np.ones_like(x)
    sign = np.where((x > 1.0) & (t % 2 == 1), -1.0, 1.0)
    return np.where(x == 1.0, 1.0 if t == 0 else 0.0, sign * mag)


def mode_mean_gain(j, t, step):
    r"""Per-mode response of the mean to the field h after time t.

    Continuous: :math:`(1-e^{-jt})/j = t\,\mathrm{exprel}(-jt)`; ULA:
    :math:`\eta\sum_{s<t}\rho^s=(1-\rho^t)/j`. Both tend to t (resp. :math:`\eta t`) at j = 0.

    Parameters
    ----------
    j : array of eigenvalues of J (any real values)
    t : time >= 0: a float (continuous time) or an int number of steps (ULA)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time); not checked

    Returns
    -------
    ndarray of the shape of ``j``
    """
    j = np.asarray(j, dtype=float)
    if step is None:
        with np.errstate(over="ignore"):
            return t * special.exprel(-j * t)
    if t == 0:
        return np.zeros_like(j)
    x = step * j
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        small = -np.expm1(t * np.log1p(-np.minimum(x, 0.5))) / np.where(x == 0, 1.0, x)
        large = (1.0 - np.power(1.0 - x, t)) / np.where(x == 0, 1.0, x)
        geom = np.where(x == 0, float(t), np.where(x < 0.5, small, large))
    return step * geom


def mode_noise_var(j, t, step):
    r"""Per-mode variance injected by the noise during time t from a point mass.

    Continuous: :math:`(1-e^{-2jt})/j = 2t\,\mathrm{exprel}(-2jt)`; ULA:
    :math:`2\eta\sum_{s<t}\rho^{2s}=2\eta(1-\rho^{2t})/(1-\rho^2)` with
    :math:`1-\rho^2=\eta j(2-\eta j)` (theory.md 3.1). Limits 2t (resp. :math:`2\eta t`) at j = 0.

    Parameters
    ----------
    j : array of eigenvalues of J (any real values)
    t : time >= 0: a float (continuous time) or an int number of steps (ULA)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time); not checked

    Returns
    -------
    ndarray of the shape of ``j``
    """
    j = np.asarray(j, dtype=float)
    if step is None:
        with np.errstate(over="ignore"):
            return 2.0 * t * special.exprel(-2.0 * j * t)
    if t == 0:
        return np.zeros_like(j)
    x = step * j
    one_minus_q = x * (2.0 - x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        num = -np.expm1(2.0 * t * _log_abs_rho(x))
        geom = np.where(one_minus_q == 0, float(t), num / np.where(one_minus_q == 0, 1.0, one_minus_q))
    return 2.0 * step * geom


# --------------------------------------------------------------------------------------
# closed forms
# --------------------------------------------------------------------------------------
def check_step(step):
    """``step`` validated: None (continuous time) or a float > 0.

    Parameters
    ----------
    step : float > 0, or None (continuous time)

    Returns
    -------
    None or float
    """
    return V.step(step)


def langevin_moments(J, h, k, *, step=None, mean0=None, cov0=None):
    r"""Exact mean and covariance of the Langevin chain at time ``k``.

    Started from :math:`\mathcal N(m_0, C_0)` (default :math:`\mathcal N(0,I)`), with
    :math:`A=e^{-Jk}` (continuous time, ``step=None``) or :math:`A=(I-\eta J)^k` (ULA,
    ``step=eta``, ``k`` an integer):

    .. math::
        \mu_k = A m_0 + G h,\qquad C_k = A C_0 A + N,

    where, per eigenmode j of J, :math:`G=(1-e^{-jk})/j` and :math:`N=(1-e^{-2jk})/j`
    (continuous) or :math:`G=\eta\sum_{s<k}\rho^s`, :math:`N=2\eta\sum_{s<k}\rho^{2s}`,
    :math:`\rho=1-\eta j` (ULA); theory.md section 3.1 (Agoritsas et al. 2023,
    arXiv 2301.09428). J need not be positive definite: finite k is always defined,
    and the j -> 0 limits are evaluated without cancellation (``exprel``, ``expm1``).

    Parameters
    ----------
    J : array (d, d), symmetric (need not be positive definite)
    h : array (d,) or scalar
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps); bools are refused
    step : float > 0 or None, the ULA step :math:`\eta` (a :class:`UnstableStepWarning` when
        :math:`\eta j\ge2` for some mode: that chain diverges)
    mean0 : array (d,) or None, start mean (default 0)
    cov0 : array (d, d) or None, start covariance (default I), positive semi-definite

    Returns
    -------
    mean : (d,) ndarray
    cov : (d, d) ndarray
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    step = check_step(step)
    k = V.time(k, "k", step)
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    C0 = np.eye(d) if cov0 is None else V.symmetric(cov0, "cov0", d=d)
    if cov0 is not None and np.linalg.eigvalsh(C0)[0] < -1e-12 * max(1.0, np.abs(C0).max()):
        raise ValueError("cov0 must be positive semi-definite")
    if step is not None and k > 0:
        j = np.linalg.eigvalsh(J)
        if step * j[-1] >= 2.0:
            warnings.warn(
                f"langevin_moments: eta*j = {step * j[-1]:.4g} >= 2 for the stiffest mode: ULA is unstable "
                f"(|1 - eta*j| >= 1), its moments grow as |1 - eta*j|^k and simulate() would diverge; the values "
                f"returned are the exact moments of that unstable chain (theory.md 3.1). Use step < {2.0 / j[-1]:.4g}.",
                UnstableStepWarning, stacklevel=2,
            )
    return propagate_law(J, h, k, step, m0, C0)


def propagate_law(J, h, k, step, m0, C0):
    r"""The law N(m0, C0) after k ULA steps (or continuous time k when ``step`` is None), unchecked.

    In the eigenbasis :math:`J=U\operatorname{diag}(j)U^\top` every mode evolves independently
    (theory.md 3.1): mean :math:`a\,m_0+g\,h`, covariance :math:`a C_0 a + n`, with
    :func:`mode_decay` ``a``, :func:`mode_mean_gain` ``g`` and :func:`mode_noise_var` ``n``.
    The validated public version is :func:`langevin_moments`; this one takes checked arrays
    (the training engines call it once per update). Raises DivergenceError on overflow.

    Parameters
    ----------
    J : ndarray (d, d), symmetric (checked by the caller)
    h : ndarray (d,)
    k : time >= 0: float (continuous time) or int (ULA steps)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time)
    m0 : ndarray (d,), start mean
    C0 : ndarray (d, d), start covariance (positive semi-definite)

    Returns
    -------
    mean : (d,) ndarray
    cov : (d, d) ndarray
    """
    j, U = np.linalg.eigh(J)
    a = mode_decay(j, k, step)
    g = mode_mean_gain(j, k, step)
    n = mode_noise_var(j, k, step)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = U @ (a * (U.T @ m0) + g * (U.T @ h))
        C0m = U.T @ C0 @ U
        cov_m = (a[:, None] * C0m * a[None, :]) + np.diag(n)
        cov = U @ cov_m @ U.T
        cov = 0.5 * (cov + cov.T)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
        worst = float(np.max(step * j)) if step is not None else float(np.min(j))
        raise DivergenceError(
            f"moments overflow at k={k}: "
            + (f"max eta*j = {worst:.4g} >= 2 makes a mode grow as |1-eta*j|^k (step too large)"
               if step is not None else f"min eigenvalue of J = {worst:.4g} < 0 makes a mode grow as e^(-jk)")
        )
    return mean, cov


def stationary_moments(J, h, *, step=None):
    r"""Mean and covariance of the stationary law of the dynamics (time -> infinity).

    Continuous time and MALA: :math:`\mathcal N(J^{-1}h, J^{-1})`. ULA: mean
    :math:`J^{-1}h`, covariance with eigenvalues :math:`v_\infty=1/[j(1-\eta j/2)]`
    (theory.md 3.1), defined for :math:`0<\eta j<2`.
    Raises :class:`~solvable.errors.NoFixedPointError` (a ValueError) when no stationary
    law exists (an eigenvalue j <= 0, or eta*j >= 2).

    Parameters
    ----------
    J : array (d, d), symmetric
    h : array (d,) or scalar
    step : float > 0 or None (continuous time / MALA: the Boltzmann law)
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    step = check_step(step)
    j, U = np.linalg.eigh(J)
    if j[0] <= 0:
        raise NoFixedPointError(f"J has eigenvalue {j[0]:.6g} <= 0: the model has no equilibrium law")
    if step is not None and step * j[-1] >= 2:
        raise NoFixedPointError(f"eta*j = {step * j[-1]:.6g} >= 2: ULA has no stationary law (it diverges)")
    v = 1.0 / j if step is None else 1.0 / (j * (1.0 - 0.5 * step * j))
    mean = U @ ((U.T @ h) / j)
    cov = (U * v) @ U.T
    return mean, 0.5 * (cov + cov.T)


def _data_moments(mean, cov):
    cov, c, U = V.spd(cov, "cov")
    mean = V.vector(mean, "mean", cov.shape[0])
    return mean, cov, c, U


def _mode_variance(j, k, step, v0):
    """Variance of a mode after time k from variance v0 (the scalar function g or c_k of theory.md 3.2-3.3)."""
    return v0 * mode_decay(j, k, step) ** 2 + mode_noise_var(j, k, step)


def _solve_mode(c, k, step, v0, mode):
    """The eigenvalue j with _mode_variance(j) = c (continuous: unique; ULA: the stable root j <= 1/eta)."""
    def f(j):
        with np.errstate(over="ignore"):
            return float(np.log(_mode_variance(np.array(j), k, step, v0)) - np.log(c))

    if step is not None and c < 2.0 * step:
        raise NoFixedPointError(
            f"mode {mode}: data variance c = {c:.6g} < 2*eta = {2 * step:.6g}; the last ULA step alone "
            f"adds variance 2*eta, so no J reproduces it (theory.md 3.3: a fixed point exists iff c >= 2*eta)"
        )
    f0 = f(0.0)
    if f0 == 0.0:
        return 0.0
    if f0 > 0.0:  # c < v0 + 2k (ULA: v0 + 2 eta k): positive root
        lo = 0.0
        if step is not None:
            hi = 1.0 / step  # the stable branch ends at eta*j = 1, where the variance is 2*eta
            if f(hi) >= 0.0:
                return hi
        else:
            hi = max(1.0, 1.0 / c)
            while f(hi) > 0.0:
                hi *= 2.0
    else:  # non-normalizable root j < 0
        hi = 0.0
        lo = -1.0
        while f(lo) < 0.0:
            lo *= 2.0
    return optimize.brentq(f, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=1000)


def short_run_fixed_point(mean, cov, k, *, step=None, mean0=None, var0=1.0):
    r"""Parameters at which non-persistent short-run training is stationary.

    Every chain restarts from :math:`\mathcal N(m_0, v_0I)` and runs for ``k``. The
    fixed point reproduces the data at time k exactly:
    ``langevin_moments(J, h, k, step=step, mean0=mean0, cov0=var0*I) == (mean, cov)``.
    J shares the eigenvectors of ``cov``; per eigenvalue c of cov its eigenvalue j solves

    .. math::
        v_0e^{-2jk}+\frac{1-e^{-2jk}}{j}=c \quad\text{(continuous)},\qquad
        v_0\rho^{2k}+2\eta\sum_{s<k}\rho^{2s}=c,\ \rho=1-\eta j \quad\text{(ULA)},

    and :math:`h=J(I-A)^{-1}(\mu_D-Am_0)` (theory.md 3.2-3.4; Agoritsas et al. 2023,
    arXiv 2301.09428). The continuous root is unique. With ULA a root exists iff
    :math:`c\ge2\eta` (else :class:`~solvable.NoFixedPointError`, naming the mode);
    the returned root is the stable one, :math:`\eta j\le1`, continuous as
    :math:`\eta\to0`. A mode with :math:`c\ge v_0+2k` (ULA: :math:`v_0+2\eta k`) gets
    :math:`j\le0`: a valid short-run model without equilibrium
    (:class:`~solvable.NonNormalizableWarning`).

    Parameters
    ----------
    mean : array (d,), the data mean
    cov : array (d, d), the data covariance (positive definite)
    k : float > 0 (continuous time, ``step=None``) or int >= 1 (ULA steps)
    step : float > 0 or None (continuous time, default)
    mean0 : array (d,), scalar or None (0), start mean :math:`m_0`
    var0 : float > 0, start variance :math:`v_0` (default 1)

    Returns
    -------
    J : (d, d) ndarray
    h : (d,) ndarray
    """
    mean, cov, c, U = _data_moments(mean, cov)
    d = mean.size
    step = check_step(step)
    k = V.time(k, "k", step)
    if k == 0:
        raise ValueError("k must be > 0: after zero steps the chains are the start law, whatever J and h")
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    v0 = V.positive(var0, "var0")
    j = np.array([_solve_mode(ci, k, step, v0, i) for i, ci in enumerate(c)])
    if np.any(j <= 0):
        bound = v0 + (2.0 * k if step is None else 2.0 * step * k)
        warnings.warn(
            f"short-run fixed point has eigenvalue(s) {j[j <= 0]} <= 0 (data variance >= v0 + 2*{'k' if step is None else 'eta*k'}"
            f" = {bound:.6g}): the trained model reproduces the data at time k but has no equilibrium law",
            NonNormalizableWarning,
            stacklevel=2,
        )
    a = mode_decay(j, k, step)
    g = mode_mean_gain(j, k, step)
    h_m = ((U.T @ mean) - a * (U.T @ m0)) / g * 1.0
    # h = J (I - A)^{-1} (mu - A m0) = (mu - A m0) / G per mode, with G = (1 - a) / j
    J = (U * j) @ U.T
    return 0.5 * (J + J.T), U @ h_m


def persistent_fixed_point(mean, cov, *, step=None):
    r"""Stationary point of PCD (slow learning rate) and of CD-k for every k >= 1.

    With an exact kernel (``step=None``: continuous time, exact OU or MALA) this is the
    maximum-likelihood :math:`(C^{-1}, C^{-1}\mu)`. With ULA the chains' stationary
    variance is :math:`v_\infty=1/[j(1-\eta j/2)]`, so per eigenvalue c of cov

    .. math:: j\Big(1-\frac{\eta j}{2}\Big)=\frac1c
        \ \Rightarrow\ j=\frac{1-\sqrt{1-2\eta/c}}{\eta}=\frac{2/c}{1+\sqrt{1-2\eta/c}},

    and :math:`h=J\mu` (theory.md 3.5). No fixed point when :math:`c<2\eta`
    (:class:`~solvable.NoFixedPointError`).

    Parameters
    ----------
    mean : array (d,), the data mean
    cov : array (d, d), the data covariance (positive definite)
    step : float > 0 or None (an exact kernel: the MLE)
    """
    mean, cov, c, U = _data_moments(mean, cov)
    step = check_step(step)
    if step is None:
        return mle(mean, cov)
    bad = np.flatnonzero(c < 2.0 * step)
    if bad.size:
        raise NoFixedPointError(
            f"mode {bad[0]}: data variance c = {c[bad[0]]:.6g} < 2*eta = {2 * step:.6g}: "
            "no ULA-stationary Gaussian has this variance"
        )
    j = (2.0 / c) / (1.0 + np.sqrt(1.0 - 2.0 * step / c))
    J = (U * j) @ U.T
    J = 0.5 * (J + J.T)
    return J, J @ mean


def mle(mean, cov):
    r"""Maximum likelihood for data with this mean and covariance: :math:`J=C^{-1}`, :math:`h=C^{-1}\mu`.

    Parameters
    ----------
    mean : array (d,), the data mean
    cov : array (d, d), the data covariance (positive definite)
    """
    mean, cov, c, U = _data_moments(mean, cov)
    J = (U / c) @ U.T
    J = 0.5 * (J + J.T)
    return J, J @ mean


def _state_args(x, J, h):
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    x = V.finite_array(x, "x")
    if x.ndim < 1 or x.shape[-1] != d:
        raise ValueError(f"x must have shape (..., d) with d = {d} (the size of J), got {x.shape}")
    return x, J, h


def energy(x, J, h):
    r""":math:`E(x)=\tfrac12x^\top Jx-h^\top x` for each row of x.

    Parameters
    ----------
    x : array (..., d) of states
    J : (d, d) symmetric coupling matrix
    h : (d,) field (or a scalar, broadcast)

    Returns an array of shape ``x.shape[:-1]``.
    """
    x, J, h = _state_args(x, J, h)
    return 0.5 * np.einsum("...i,ij,...j->...", x, J, x) - x @ h


def gradient(x, J, h):
    r""":math:`\nabla E(x)=Jx-h` for each row of x (J symmetric); used by the Jarzynski ULA weights.

    Parameters as :func:`energy`; returns an array of the shape of ``x``.

    Parameters
    ----------
    x : array (..., d) of states
    J : (d, d) symmetric coupling matrix
    h : (d,) field (or a scalar, broadcast)

    Returns
    -------
    ndarray of the shape of ``x``
    """
    x, J, h = _state_args(x, J, h)
    return x @ J - h


def log_partition(J, h):
    r""":math:`\log Z=\int e^{-E}=\tfrac d2\log2\pi-\tfrac12\log\det J+\tfrac12h^\top J^{-1}h` (J positive definite).

    Parameters
    ----------
    J : array (d, d), symmetric positive definite
    h : array (d,) or scalar (broadcast)

    Returns
    -------
    float
    """
    J, j, U = V.spd(J, "J")
    h = V.vector(h, "h", J.shape[0])
    hm = U.T @ h
    return float(0.5 * J.shape[0] * np.log(2.0 * np.pi) - 0.5 * np.sum(np.log(j)) + 0.5 * np.sum(hm * hm / j))


def convert_step(delta, sigma):
    r"""Map a decoupled update ``x += delta * grad f + sigma * eps`` (f = -E) onto ours.

    It is ULA with step :math:`\eta=\delta` at temperature :math:`T=\sigma^2/(2\delta)`;
    equivalently ULA at unit temperature for the energy :math:`E/T` with step
    :math:`\eta=\sigma^2/2`. Returns ``(eta, T)`` (theory.md pitfall 2; Nijkamp et al. 2019's
    ``delta=1, sigma=0.01`` gives ``T = 5e-5``).

    Parameters
    ----------
    delta : float > 0, the drift coefficient of the decoupled update
    sigma : float > 0, the noise coefficient
    """
    delta = V.positive(delta, "delta")
    sigma = V.positive(sigma, "sigma")
    return delta, sigma**2 / (2.0 * delta)
