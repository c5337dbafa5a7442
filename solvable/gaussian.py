r"""The Gaussian energy-based model, solved exactly, simulated and trained.

Energy :math:`E(x)=\tfrac12 x^\top Jx-h^\top x`, :math:`x\in\mathbb R^d`, :math:`J`
symmetric; the Boltzmann law :math:`\mathcal N(J^{-1}h, J^{-1})` exists iff
:math:`J\succ0`. Dynamics at unit temperature (theory.md section 3):

* continuous-time Langevin :math:`dx=-\nabla E\,dt+\sqrt2\,dW` (``step=None``, time ``k`` a float);
* ULA with step :math:`\eta`: :math:`x'=x-\eta\nabla E(x)+\sqrt{2\eta}\,\xi` (``step=eta``, ``k`` steps);
* MALA: the ULA proposal with a Metropolis-Hastings correction (exact invariant law).

Convention: noise variance :math:`2\eta` per step. A code that writes
``x += delta * grad f + sigma * eps`` (f = -E) runs at temperature
:math:`T=\sigma^2/(2\delta)`; see :func:`convert_step`.

Data flow: closed forms (:func:`langevin_moments`, fixed points) -> Numba
simulation (:func:`simulate`) -> training (:func:`train`, the shared loop of
:mod:`solvable.training`) -> comparison (:func:`compare`).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize, special

from . import _validate as V
from .comparison import moments_vs_time
from .errors import DivergenceError, NoFixedPointError, NonNormalizableWarning
from .kernels import langevin as _kern
from .kernels._rng import chain_states
from .jarzynski import JarzynskiWalkers
from .seeds import Stream, generator
from .training import ENGINES, SCHEMES, TrainResult, Walkers, ascent, check_run, data_rows

__all__ = [
    "langevin_moments",
    "stationary_moments",
    "short_run_fixed_point",
    "persistent_fixed_point",
    "mle",
    "simulate",
    "train",
    "compare",
    "features",
    "energy",
    "convert_step",
    "METHODS",
    "UnstableStepWarning",
]

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
    r"""Per-mode decay of the mean after time t: :math:`e^{-jt}` or :math:`\rho^t`, :math:`\rho=1-\eta j`."""
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
def _check_step(step):
    return None if step is None else V.positive(step, "step")


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

    Returns
    -------
    mean : (d,) ndarray
    cov : (d, d) ndarray
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    step = _check_step(step)
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
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    step = _check_step(step)
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

    Returns
    -------
    J : (d, d) ndarray
    h : (d,) ndarray
    """
    mean, cov, c, U = _data_moments(mean, cov)
    d = mean.size
    step = _check_step(step)
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
    """
    mean, cov, c, U = _data_moments(mean, cov)
    step = _check_step(step)
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
    r"""Maximum likelihood for data with this mean and covariance: :math:`J=C^{-1}`, :math:`h=C^{-1}\mu`."""
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
    """
    x, J, h = _state_args(x, J, h)
    return x @ J - h


def log_partition(J, h):
    r""":math:`\log Z=\int e^{-E}=\tfrac d2\log2\pi-\tfrac12\log\det J+\tfrac12h^\top J^{-1}h` (J positive definite)."""
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
    """
    delta = V.positive(delta, "delta")
    sigma = V.positive(sigma, "sigma")
    return delta, sigma**2 / (2.0 * delta)


# --------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------
def _start_points(n_chains, d, seed, mean0=None, var0=1.0):
    """n_chains draws of N(mean0, var0 I) from SeedSequence(seed) (stream 'start')."""
    rng = generator(seed, Stream.START)
    m0 = np.zeros(d) if mean0 is None else mean0
    return m0 + np.sqrt(var0) * rng.standard_normal((n_chains, d))


def _run(J, h, X, k, step, method, seed):
    """Advance X (copied) by k steps; raise DivergenceError on overflow. Returns (X, acceptance)."""
    X = np.array(X, dtype=float, order="C", copy=True)
    n = X.shape[0]
    states = chain_states(seed, n, stream=Stream.DYNAMICS)
    diverged = np.zeros(n, dtype=np.int64)
    accepted = np.zeros(n, dtype=np.int64)
    if k > 0:
        _kern.run_chains(
            np.ascontiguousarray(J), np.ascontiguousarray(h), X, int(k), float(step), method == "mala",
            states, diverged, accepted,
        )
    if np.any(diverged):
        bad = np.flatnonzero(diverged)
        j = np.linalg.eigvalsh(J)
        raise DivergenceError(
            f"{bad.size} of {n} chains overflowed (|x| > {_kern.OVERFLOW:g}); first at step "
            f"{int(diverged[bad].min())} of {k}. Hint: eta*max(j) = {step * j[-1]:.4g} (>= 2 makes ULA unstable: "
            f"step too large), min(j) = {j[0]:.4g} (<= 0: model not normalizable)."
        )
    return X, accepted / max(int(k), 1)


def advance(J, h, X, k, *, step, method="ula", seed=0):
    """Advance the chains ``X`` (n, d) by ``k`` ULA/MALA steps (a copy; same kernel and streams as
    :func:`simulate`). ``seed`` an int or a tuple of ints (e.g. a training iteration's seed).
    Returns the new (n, d) array; raises DivergenceError on overflow."""
    J = V.symmetric(J, "J")
    h = V.vector(h, "h", J.shape[0])
    X = V.finite_array(X, "X", ndim=2)
    if X.shape[1] != J.shape[0]:
        raise ValueError(f"X must have shape (n, {J.shape[0]}), got {X.shape}")
    seed = tuple(V.seed(v) for v in seed) if isinstance(seed, tuple) else V.seed(seed)
    return _run(J, h, X, V.integer(k, "k", low=0), V.positive(step, "step"), V.choice(method, "method", METHODS),
                seed)[0]


def simulate(J, h, k, n_chains, *, step, method="ula", x0=None, seed=0, return_acceptance=False):
    r"""Run ``n_chains`` independent Langevin chains for ``k`` steps (Numba, parallel over chains).

    ``method="ula"``: :math:`x'=x-\eta(Jx-h)+\sqrt{2\eta}\,\xi`; ``"mala"``: the same
    proposal accepted with probability
    :math:`\min\{1, e^{-E(y)+E(x)}q(y\to x)/q(x\to y)\}`. Start points ``x0``
    (n_chains, d), default N(0, I) draws. Every chain has its own random stream
    derived from ``seed``: identical bits for the same seed, whatever the threads.

    Returns
    -------
    X : (n_chains, d) ndarray (and the per-chain MALA acceptance rate if ``return_acceptance``)

    Raises
    ------
    DivergenceError
        when a chain overflows, with the step and a hint (step too large / J not positive definite).
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    step = V.positive(step, "step")
    k = V.integer(k, "k", low=0)
    n_chains = V.integer(n_chains, "n_chains", low=1)
    method = V.choice(method, "method", METHODS)
    seed = V.seed(seed)
    if x0 is None:
        X = _start_points(n_chains, d, seed)
    else:
        X = V.finite_array(x0, "x0", ndim=2)
        if X.shape != (n_chains, d):
            raise ValueError(f"x0 must have shape (n_chains, d) = ({n_chains}, {d}), got {X.shape}")
    X, acc = _run(J, h, X, k, step, method, seed)
    return (X, acc) if return_acceptance else X


# --------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------
def features(X):
    """Per-sample sufficient statistics: x_i, then x_i x_j for i <= j. Shape (M, d + d(d+1)/2)."""
    X = np.asarray(X, dtype=float)
    iu = np.triu_indices(X.shape[1])
    return np.hstack([X, X[:, iu[0]] * X[:, iu[1]]])


def feature_labels(d):
    iu = np.triu_indices(d)
    return [f"<x{i}>" for i in range(d)] + [f"<x{a}x{b}>" for a, b in zip(*iu)]


def _stats_from_samples(X):
    """{'J': -1/2 <x x^T>, 'h': <x>}: the sufficient statistics conjugate to (J, h)."""
    M2 = X.T @ X / X.shape[0]
    return {"J": -0.25 * (M2 + M2.T), "h": X.mean(axis=0)}


def _stats_from_law(law):
    mean, cov = law
    return {"J": -0.5 * (cov + np.outer(mean, mean)), "h": mean}


def _validate_data(data):
    X = V.finite_array(data, "data", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"data must have at least 2 rows (samples), got {X.shape[0]}")
    return X


def _require_fixed_point(mean, cov, *, scheme, k, step, method="ula", mean0=None, var0=1.0):
    r"""Raise the closed-form solver's :class:`~solvable.NoFixedPointError` before training when the
    scheme has no fixed point for data with this mean and covariance (issue 13, section 2).

    * ``"short-run"`` with ULA (``step`` given) or continuous time (``step=None``):
      :func:`short_run_fixed_point` (none when a data variance c < 2 eta, theory.md 3.3);
    * ``"cd"``, ``"pcd"`` with ULA: :func:`persistent_fixed_point` (none when c < 2 eta, theory.md 3.5);
    * MALA, exact kernels and ``"jarzynski"``: the fixed point is the MLE (exists for a positive
      definite data covariance) or has no closed form (MALA short runs): nothing to check here.

    A :class:`~solvable.NonNormalizableWarning` of the short-run solver (a valid fixed point
    without equilibrium) is not an error and is silenced here.
    """
    if method != "ula":
        return
    if scheme == "short-run":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NonNormalizableWarning)
            short_run_fixed_point(mean, cov, k, step=step, mean0=mean0, var0=var0)
    elif scheme in ("cd", "pcd") and step is not None:
        persistent_fixed_point(mean, cov, step=step)


def train(data, *, scheme, k, step, lr, n_iter, n_chains, seed=0, engine="simulate", mean0=None, var0=1.0,
          method="ula", J0=None, h0=None, progress=True):
    r"""Train the Gaussian EBM by gradient ascent on the log-likelihood.

    .. math::
        J \leftarrow J + \tfrac{\gamma}{2}\,(\langle xx^\top\rangle_{\hat p}-\langle xx^\top\rangle_D),\qquad
        h \leftarrow h + \gamma\,(\langle x\rangle_D-\langle x\rangle_{\hat p})

    (theory.md 3.1), with the model term :math:`\hat p` given by the scheme:
    ``"short-run"`` (chains restart from :math:`\mathcal N(m_0, v_0I)` and run k steps; Rdm-k),
    ``"cd"`` (start at the data, k steps), ``"pcd"`` (persistent chains, k steps per update),
    ``"jarzynski"`` (persistent walkers drawn from the initial model, carrying the exact weights of
    theory.md 6.1 (ULA) or 6.2 (MALA): fixed point = MLE for any step; history adds ``"ess"``,
    ``"log_z"``, ``"log_z_se"``, ``"n_resamples"``; walkers of :class:`solvable.jarzynski.JarzynskiWalkers`).
    ``engine="simulate"`` uses :func:`simulate` with ``n_chains`` chains; ``engine="exact"``
    propagates the exact Gaussian law with :func:`langevin_moments` (the n_chains -> infinity
    limit; ``step=None`` then means continuous time). ``method`` is ``"ula"`` or ``"mala"``
    (MALA has no closed form: simulate only). Starts from ``J0`` (default I) and ``h0`` (default 0).

    Fixed points: :func:`short_run_fixed_point` (short-run), :func:`persistent_fixed_point`
    (CD and PCD) of the empirical data mean and covariance.

    Returns
    -------
    TrainResult with ``.J``, ``.h`` and ``.history`` (``"params"``: J and h per iteration;
    ``"error"``: max |<phi>_D - <phi>_model| per iteration).
    """
    X = _validate_data(data)
    N, d = X.shape
    scheme, engine, lr, n_iter, seed = check_run(scheme=scheme, schemes=SCHEMES + ("jarzynski",), engine=engine,
                                                 lr=lr, n_iter=n_iter, seed=seed)
    method = V.choice(method, "method", METHODS)
    step = _check_step(step)
    if engine == "simulate" and step is None:
        raise ValueError("step must be > 0 with engine='simulate' (step=None, continuous time, needs engine='exact')")
    if engine == "exact" and method == "mala":
        raise ValueError("method='mala' has no closed-form moments: use engine='simulate'")
    k = V.time(k, "k", step)
    if k == 0:
        raise ValueError("k must be > 0")
    n_chains = V.integer(n_chains, "n_chains", low=1)
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    v0 = V.positive(var0, "var0")
    J0 = np.eye(d) if J0 is None else V.symmetric(J0, "J0", d=d)
    h0 = V.vector(h0, "h0", d, default=0.0)

    data_stats = _stats_from_samples(X)
    mean_D = X.mean(axis=0)
    cov_D = np.cov(X, rowvar=False, bias=True).reshape(d, d)

    if scheme == "jarzynski":
        walkers = _jarzynski_walkers(d, k=k, step=step, n_chains=n_chains, method=method, J0=J0, h0=h0, seed=seed)
    elif engine == "exact":
        walkers = Walkers(
            scheme=scheme,
            k=k,
            move=lambda p, law, kk, s: propagate_law(p["J"], p["h"], kk, step, law[0], law[1]),
            stats=_stats_from_law,
            start_p0=lambda s: (m0, v0 * np.eye(d)),
            start_data=lambda s: (mean_D, cov_D),
        )
    else:
        walkers = Walkers(
            scheme=scheme,
            k=k,
            move=lambda p, x, kk, s: _run(p["J"], p["h"], x, kk, step, method, s)[0],
            stats=_stats_from_samples,
            start_p0=lambda s: _start_points(n_chains, d, s, m0, v0),
            start_data=data_rows(X, n_chains),
        )
    params, history = ascent(
        {"J": J0, "h": h0}, data_stats, walkers, lr=lr, n_iter=n_iter, seed=seed, progress=progress,
        desc=f"gaussian {scheme}-{k}",
        hint="Hint: step too large for the stiffest mode, or J not positive definite (model not normalizable).",
    )
    history["data_mean"] = mean_D
    history["data_cov"] = cov_D
    if hasattr(walkers, "history"):
        history.update(walkers.history)
    return TrainResult(params=params, history=history, scheme=scheme, engine=engine, k=k)


def _jarzynski_walkers(d, *, k, step, n_chains, method, J0, h0, seed, ess_threshold=0.5):
    r"""Jarzynski walkers for ``train(scheme="jarzynski")``: the generic
    :class:`solvable.jarzynski.JarzynskiWalkers` fed with this model's energy, gradient, Numba
    kernel and exact :math:`\log Z_0`.

    ``n_chains`` walkers drawn exactly from the initial model :math:`\mathcal N(J_0^{-1}h_0, J_0^{-1})`,
    moved by ULA (weights of theory.md 6.1) or MALA (invariant, 6.2) with ``step``.
    """
    if step is None:
        raise ValueError("scheme='jarzynski' needs a step (ULA or MALA), not continuous time")
    J0, j0, U0 = V.spd(J0, "J0 (the Jarzynski walkers start from the exact initial model)", d=d)
    rng = generator(seed, Stream.JARZYNSKI_INIT)
    x0 = (U0 @ ((U0.T @ h0) / j0)) + (rng.standard_normal((n_chains, d)) / np.sqrt(j0)) @ U0.T

    def stats(params, x, w):
        # einsum, not BLAS: OpenBLAS threads contend with Numba's spinning OpenMP threads
        m = np.einsum("n,ni->i", w, x)
        m2 = np.einsum("n,ni,nj->ij", w, x, x)
        return _stats_from_law((m, m2 - np.outer(m, m)))

    return JarzynskiWalkers(
        energy=lambda p, x: energy(x, p["J"], p["h"]),
        move=lambda p, x, s: _run(p["J"], p["h"], x, 1, step, method, s)[0],
        stats=stats,
        x0=x0,
        k=k,
        grad=(lambda p, x: gradient(x, p["J"], p["h"])) if method == "ula" else None,
        step=step if method == "ula" else None,
        log_z0=log_partition(J0, h0),
        ess_threshold=ess_threshold,
    )


# --------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------
def compare(data, J, h, k, *, step, method="ula", times=None, n_chains=20000, seed=0, mean0=None, var0=1.0):
    r"""Moments of the trained model's dynamics at several times vs the data and the closed form.

    Fresh chains start from :math:`\mathcal N(m_0, v_0I)` (the training start law) and
    run through ``times`` (default 0, k/2, k, 3k/2, 2k, 4k); at each time the sample mean
    of every statistic :math:`x_i`, :math:`x_ix_j` is compared, with its standard error,
    to the data and to :func:`langevin_moments`. The equilibrium row uses
    :func:`stationary_moments` (``None`` when the model has none). ``step=None`` is not
    simulable; use MALA with a small step to approximate continuous time.

    Returns :class:`solvable.comparison.MomentComparison`.
    """
    X = _validate_data(data)
    d = X.shape[1]
    J = V.symmetric(J, "J", d=d)
    h = V.vector(h, "h", d)
    step = V.positive(step, "step")
    method = V.choice(method, "method", METHODS)
    k = V.integer(k, "k", low=0)
    n_chains = V.integer(n_chains, "n_chains", low=2)
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    v0 = V.positive(var0, "var0")
    if times is None:
        times = sorted({0, max(k // 2, 0), k, k + max(k // 2, 1), 2 * k, 4 * k})
    times = [V.integer(t, "times", low=0) for t in times]

    def exact(t):
        mu, C = propagate_law(J, h, int(t), step, m0, v0 * np.eye(d))
        return features_of_law(mu, C)

    try:
        eq = features_of_law(*stationary_moments(J, h, step=None if method == "mala" else step))
    except NoFixedPointError:
        eq = None
    return moments_vs_time(
        times,
        start=lambda s: _start_points(n_chains, d, s, m0, v0),
        move=lambda x, dt, s: _run(J, h, x, int(dt), step, method, s)[0],
        features=features,
        data=features(X).mean(axis=0),
        labels=feature_labels(d),
        exact=exact if method == "ula" else None,
        equilibrium=eq,
        k=k,
        seed=seed,
    )


def features_of_law(mean, cov):
    """Exact averages of :func:`features` under N(mean, cov)."""
    iu = np.triu_indices(mean.size)
    M2 = cov + np.outer(mean, mean)
    return np.concatenate([mean, M2[iu]])
