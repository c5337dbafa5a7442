r"""The Gaussian energy-based model simulated (Numba ULA/MALA), trained and compared.

Data flow: closed forms (:mod:`solvable.gaussian_exact`) -> Numba simulation (:func:`simulate`)
-> training (:func:`train`, the shared loop of :mod:`solvable.training`) -> comparison
(:func:`compare`). :mod:`solvable.gaussian` re-exports every public name.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import _validate as V
from .comparison import moment_labels, moment_statistics, moments_vs_time
from .errors import DivergenceError, NoFixedPointError, NonNormalizableWarning
from .gaussian_exact import (
    METHODS,
    check_step,
    energy,
    gradient,
    log_partition,
    persistent_fixed_point,
    propagate_law,
    short_run_fixed_point,
    stationary_moments,
)
from .jarzynski import JarzynskiWalkers
from .kernels import langevin as _kern
from .kernels._rng import chain_states
from .seeds import Stream, generator
from .training import SCHEMES, TrainResult, Walkers, ascent, check_run, data_rows
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
    Returns the new (n, d) array; raises DivergenceError on overflow.

    Parameters
    ----------
    J : array (d, d), symmetric
    h : array (d,) or scalar (broadcast)
    X : array (n, d), finite start states (not modified)
    k : int >= 0, number of steps
    step : float > 0, the step eta
    method : ``"ula"`` (default) or ``"mala"``
    seed : int >= 0, or a tuple of ints >= 0 (default 0)

    Returns
    -------
    X : (n, d) ndarray, the states after k steps
    """
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

    Parameters
    ----------
    J : array (d, d), symmetric
    h : array (d,) or scalar
    k : int >= 0, steps
    n_chains : int >= 1
    step : float > 0, the step :math:`\eta`
    method : ``"ula"`` or ``"mala"``
    x0 : array (n_chains, d) or None (N(0, I) draws)
    seed : int >= 0
    return_acceptance : bool, also return the MALA acceptance rate per chain

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
    """Per-sample sufficient statistics: x_i, then x_i x_j for i <= j. Shape (M, d + d(d+1)/2).

    Parameters
    ----------
    X : array (M, d) of samples
    """
    return moment_statistics(X)


def feature_labels(d):
    """Labels of :func:`features`: ``<x0>``, ..., ``<x0 x0>``, ``<x0 x1>``, ...

    Parameters
    ----------
    d : int >= 1, the dimension

    Returns
    -------
    list of d + d(d+1)/2 str
    """
    return moment_labels(d)


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


def require_fixed_point(mean, cov, *, scheme, k, step, method="ula", mean0=None, var0=1.0):
    r"""Raise the closed-form solver's :class:`~solvable.NoFixedPointError` before training when the
    scheme has no fixed point for data with this mean and covariance (issue 13, section 2).

    * ``"short-run"`` with ULA (``step`` given) or continuous time (``step=None``):
      :func:`short_run_fixed_point` (none when a data variance c < 2 eta, theory.md 3.3);
    * ``"cd"``, ``"pcd"`` with ULA: :func:`persistent_fixed_point` (none when c < 2 eta, theory.md 3.5);
    * MALA, exact kernels and ``"jarzynski"``: the fixed point is the MLE (exists for a positive
      definite data covariance) or has no closed form (MALA short runs): nothing to check here.

    A :class:`~solvable.NonNormalizableWarning` of the short-run solver (a valid fixed point
    without equilibrium) is not an error and is silenced here.

    Parameters
    ----------
    mean : array (d,), the data mean
    cov : array (d, d), the data covariance (positive definite)
    scheme : ``"short-run"``, ``"cd"``, ``"pcd"`` or ``"jarzynski"`` (any other: nothing checked)
    k : int >= 1 (ULA steps) or float > 0 (continuous time), the training length
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time)
    method : ``"ula"`` (default) or ``"mala"`` (nothing to check)
    mean0 : array (d,), scalar or None (0), mean of the short-run start law
    var0 : float > 0, variance of the short-run start law (default 1)

    Raises
    ------
    NoFixedPointError
        when the scheme has no fixed point for these data.
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
    propagates the exact Gaussian law with :func:`~solvable.gaussian_exact.langevin_moments` (the n_chains -> infinity
    limit; ``step=None`` then means continuous time). ``method`` is ``"ula"`` or ``"mala"``
    (MALA has no closed form: simulate only). Starts from ``J0`` (default I) and ``h0`` (default 0).

    Fixed points: :func:`short_run_fixed_point` (short-run), :func:`persistent_fixed_point`
    (CD and PCD) of the empirical data mean and covariance.

    Parameters
    ----------
    data : array (N, d) of finite samples, N >= 2
    scheme : ``"short-run"``, ``"cd"``, ``"pcd"`` or ``"jarzynski"``
    k : steps per update, int >= 1 (a float > 0 in continuous time)
    step : float > 0, the step :math:`\eta`; None (continuous time) only with ``engine="exact"``
        and not with ``"jarzynski"``
    lr : float > 0, the learning rate :math:`\gamma`
    n_iter : int >= 1, number of updates
    n_chains : int >= 1, chains (walkers) per update (unused by ``engine="exact"``)
    seed : int >= 0 (default 0); the run is reproducible bit for bit
    engine : ``"simulate"`` (default) or ``"exact"``
    mean0 : array (d,), scalar or None (0), mean :math:`m_0` of the start law
    var0 : float > 0, variance :math:`v_0` of the start law (default 1)
    method : ``"ula"`` (default) or ``"mala"`` (``engine="simulate"`` only)
    J0 : array (d, d), symmetric, or None (I); positive definite for ``"jarzynski"``
    h0 : array (d,), scalar or None (0)
    progress : bool, show a progress bar (default True)

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
    step = check_step(step)
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
    require_fixed_point(mean_D, cov_D, scheme=scheme, k=k, step=step, method=method, mean0=m0, var0=v0)

    if scheme == "jarzynski":
        walkers = jarzynski_walkers(d, k=k, step=step, n_chains=n_chains, method=method, J0=J0, h0=h0, seed=seed)
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


def jarzynski_walkers(d, *, k, step, n_chains, method, J0, h0, seed, ess_threshold=0.5):
    r"""Jarzynski walkers for ``train(scheme="jarzynski")``: the generic
    :class:`solvable.jarzynski.JarzynskiWalkers` fed with this model's energy, gradient, Numba
    kernel and exact :math:`\log Z_0`.

    ``n_chains`` walkers drawn exactly from the initial model :math:`\mathcal N(J_0^{-1}h_0, J_0^{-1})`,
    moved by ULA (weights of theory.md 6.1) or MALA (invariant, 6.2) with ``step``.

    Parameters
    ----------
    d : int >= 1, the dimension
    k : int >= 1, kernel steps per update
    step : float > 0, the step :math:`\eta` (None, continuous time, raises ValueError)
    n_chains : int >= 1, number of walkers
    method : ``"ula"`` or ``"mala"``
    J0 : array (d, d), symmetric positive definite, the initial couplings
    h0 : array (d,), the initial field
    seed : int >= 0 (the walkers are drawn from stream ``JARZYNSKI_INIT``)
    ess_threshold : float in [0, 1], resample when ESS < ``ess_threshold * n_chains`` (default 0.5)

    Returns
    -------
    :class:`solvable.jarzynski.JarzynskiWalkers`
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
    to the data and to :func:`~solvable.gaussian_exact.langevin_moments`. The equilibrium row uses
    :func:`stationary_moments` (``None`` when the model has none). ``step=None`` is not
    simulable; use MALA with a small step to approximate continuous time.

    Returns :class:`solvable.comparison.MomentComparison`.

    Parameters
    ----------
    data : array (N, d) of finite samples, N >= 2
    J : array (d, d), symmetric, the trained couplings
    h : array (d,) or scalar, the trained field
    k : int >= 0, the training length (marked in tables and figures)
    step : float > 0, the step :math:`\eta`
    method : ``"ula"`` (default; exact rows from the closed form) or ``"mala"`` (no exact rows)
    times : increasing sequence of ints >= 0, or None (0, k/2, k, 3k/2, 2k, 4k)
    n_chains : int >= 2, fresh chains (default 20000)
    seed : int >= 0 (default 0)
    mean0 : array (d,), scalar or None (0), start mean :math:`m_0`
    var0 : float > 0, start variance :math:`v_0` (default 1)

    Returns
    -------
    :class:`solvable.comparison.MomentComparison`
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
    """Exact averages of :func:`features` under N(mean, cov).

    Parameters
    ----------
    mean : ndarray (d,)
    cov : ndarray (d, d), symmetric (not checked)

    Returns
    -------
    (d + d(d+1)/2,) ndarray
    """
    iu = np.triu_indices(mean.size)
    M2 = cov + np.outer(mean, mean)
    return np.concatenate([mean, M2[iu]])
