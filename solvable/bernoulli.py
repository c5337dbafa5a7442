r"""Independent spins (J = 0) in closed form, simulated and trained.

Energy :math:`E(s)=-\sum_ih_is_i`, :math:`s_i=\pm1`; the Boltzmann law factorises,
:math:`\langle s_i\rangle=\tanh h_i`, and maximum likelihood is :math:`h=\operatorname{atanh}m_D`.
Every dynamics of :mod:`solvable.ising` (same names, same time units) acts on each spin
as a two-state chain, so after time k (theory.md section 4, Agoritsas et al. 2023,
arXiv 2301.09428):

.. math:: m_k = \tanh h + a_k(h)\,(m_0-\tanh h),

with the contraction :math:`a_k` of :func:`contraction` (:math:`w=e^{-2|h|}`, n spins):

========================  ===========================  =================================
dynamics                  unit of k                    :math:`a_k(h)`
========================  ===========================  =================================
``glauber``               continuous time              :math:`e^{-k}`
``random-heat-bath``      single-site updates          :math:`q_k=(1-1/n)^k`
``random-metropolis``     single-site updates          :math:`(1-(1+w)/n)^k`
``sequential-heat-bath``  sweeps                       0 for k >= 1 (exact in one sweep)
``parallel-heat-bath``    parallel steps               0 for k >= 1
``parallel-metropolis``   parallel steps               :math:`(-w)^k` (parity effect)
========================  ===========================  =================================

Because :math:`m_k-\tanh h\propto m_0-\tanh h` in every row, CD-k from the data is
stationary exactly at :math:`\tanh h=m_D` for all k: **no CD bias** (theory.md 4). One
exception to keep in mind: the CD update :math:`(1-a_k(h))(m_D-\tanh h)` also vanishes
where :math:`a_k(h)=1`, which happens for parallel Metropolis with even k at h = 0 (every
spin flips at every step). That stationary point is half-stable: started exactly at h = 0,
CD training stays there; from the side opposite to :math:`m_D` the update maps
:math:`|h|\mapsto r|h|` with :math:`r=1-4\gamma|m_D|` to first order, so for
:math:`0<r<1` it creeps back towards 0 geometrically, while for :math:`r\le0` (large
learning rate) it overshoots onto the side of :math:`m_D`, which repels, and escapes to
the MLE. Once :math:`|h|` reaches ~1e-16, :math:`e^{-4|h|}` rounds to 1 and a 1-ulp
rounding error of the update decides the side (tests/test_bernoulli.py).
Short-run training (chains restarted from independent spins of mean :math:`m_0`) has
the fixed point of :func:`short_run_fixed_point`, infinite when
:math:`|m_D|` is out of reach within time k.

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize, sparse

from . import _validate as V
from .comparison import moments_vs_time
from .errors import NoFixedPointError, NoFixedPointWarning
from .ising_chains import check_jarzynski as _check_jarzynski
from .ising_chains import log_z_independent as _log_z_independent
from .ising_chains import run_chains as _run
from .ising_chains import spin_walkers as _spin_walkers
from .ising_chains import uniform_spins as _uniform_spins
from .ising_exact import DYNAMICS
from .ising_exact import check_dynamics as _dynamics
from .ising_exact import check_time as _time
from .runaway import warn_if_runaway
from .seeds import Stream
from .training import SCHEMES, TrainResult, Walkers, ascent, data_rows, check_run

__all__ = [
    "DYNAMICS",
    "contraction",
    "magnetization",
    "short_run_fixed_point",
    "mle",
    "simulate",
    "train",
    "compare",
]

RANDOM_SITE = ("random-heat-bath", "random-metropolis")
_H_MAX = 40.0  # tanh(40) = 1 and e^{-80} ~ 1e-35: beyond this no field changes a double


def _contraction(h, k, dynamics, n):
    r"""The factor :math:`a_k(h)` of :math:`m_k-\tanh h=a_k(h)(m_0-\tanh h)` (theory.md 4)."""
    h = np.asarray(h, dtype=float)
    if dynamics == "glauber":
        return np.full(h.shape, np.exp(-k))
    if dynamics == "random-heat-bath":
        return np.full(h.shape, (1.0 - 1.0 / n) ** k)
    if dynamics in ("sequential-heat-bath", "parallel-heat-bath"):
        return np.full(h.shape, 1.0 if k == 0 else 0.0)
    w = np.exp(-2.0 * np.abs(h))
    if dynamics == "random-metropolis":
        return np.power(1.0 - (1.0 + w) / n, k)
    return np.power(-w, k)  # parallel-metropolis: eigenvalue -w of the two-state chain


def _magnetization(h, k, dynamics, m0, n):
    t = np.tanh(h)
    return t + _contraction(h, k, dynamics, n) * (m0 - t)


def _n_arg(n, dynamics):
    if dynamics in RANDOM_SITE:
        if n is None:
            raise ValueError(
                f"n (the number of spins the random site is drawn from) is required for dynamics={dynamics!r}"
            )
        return V.integer(n, "n", low=1)
    return None if n is None else V.integer(n, "n", low=1)


def _magnet(x, name):
    a = V.finite_array(x, name)
    if np.any(np.abs(a) > 1):
        raise ValueError(f"{name} must lie in [-1, 1] (a magnetisation), got values up to {np.max(np.abs(a)):.6g}")
    return a


def contraction(h, k, *, dynamics, n=None):
    r"""The factor :math:`a_k(h)` with :math:`m_k=\tanh h+a_k(h)(m_0-\tanh h)` (table in the module docstring).

    Parameters
    ----------
    h : array of fields (any shape)
    k : time in the units of ``dynamics``
    dynamics : one of :data:`DYNAMICS`
    n : int >= 1, the system size (required for the random-site dynamics)
    """
    h = V.finite_array(h, "h")
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    return _contraction(h, k, dynamics, _n_arg(n, dynamics))


def magnetization(h, k, *, dynamics, m0=0.0, n=None):
    r"""Mean of each spin after time ``k`` from independent spins of mean ``m0``.

    :math:`m_k=\tanh h+a_k(h)(m_0-\tanh h)` (theory.md section 4); vectorised over ``h``
    (any shape, broadcast with ``m0``). ``n``, the system size, is required for the
    random-site dynamics (each update touches a given spin with probability 1/n).

    Parameters
    ----------
    h : array of fields (any shape)
    k : time in the units of ``dynamics``
    dynamics : one of :data:`DYNAMICS`
    m0 : array or float in [-1, 1], the start magnetisation (broadcast with h)
    n : int >= 1, the system size (required for the random-site dynamics)
    """
    h = V.finite_array(h, "h")
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    m0 = _magnet(m0, "m0")
    return _magnetization(h, k, dynamics, m0, _n_arg(n, dynamics))


def mle(m):
    r"""Maximum likelihood (also the CD-k and PCD fixed point): :math:`h=\operatorname{atanh}m` (inf at |m| = 1).

    Parameters
    ----------
    m : array or float in [-1, 1], the data magnetisations
    """
    m = _magnet(m, "m")
    with np.errstate(divide="ignore"):
        return np.arctanh(m)


def _first_root(m, k, dynamics, m0, n):
    """The field where the short-run flow dh = lr (m - m_k(h)), started at h = 0, stops.

    Scans from 0 in the drift direction to the first sign change of m_k(h) - m and
    polishes it with brentq; +-inf when there is none before |h| = _H_MAX.
    """
    def f(h):
        return float(_magnetization(np.array(h), k, dynamics, m0, n)) - m

    f0 = f(0.0)
    if f0 == 0.0:
        return 0.0
    direction = 1.0 if f0 < 0 else -1.0
    grid = np.concatenate([np.linspace(0.0, 2.0, 401), np.geomspace(2.0, _H_MAX, 400)[1:]])
    vals = _magnetization(direction * grid, k, dynamics, m0, n) - m
    cross = np.flatnonzero(np.sign(vals[1:]) != np.sign(vals[0]))
    if cross.size == 0:
        return direction * np.inf
    j = cross[0] + 1
    if vals[j] == 0.0:
        return direction * grid[j]
    a, b = sorted((direction * grid[j - 1], direction * grid[j]))
    return optimize.brentq(f, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=500)


def short_run_fixed_point(m, k, *, dynamics, m0=0.0, n=None):
    r"""The field that non-persistent short-run training converges to (per spin).

    Chains restart from independent spins of mean ``m0`` and run for time ``k``; the
    update :math:`\Delta h=\gamma(m_D-m_k(h))` stops where :math:`m_k(h^*)=m_D`
    (theory.md section 4):

    * heat-bath dynamics (``a_k`` independent of h):
      :math:`\tanh h^*=(m_D-a_km_0)/(1-a_k)`, finite iff :math:`|m_D-a_km_0|<1-a_k`
      (``glauber``, :math:`m_0=0`: :math:`|m_D|<1-e^{-k}`, i.e. :math:`k>k_c=-\ln(1-|m_D|)`);
      sweeps and parallel heat bath give the MLE for every k >= 1;
    * Metropolis dynamics: root of :math:`m_k(h)=m_D` by brentq, the first one met by the
      flow from h = 0. Parallel Metropolis alternates with the parity of k
      (:math:`k=1`: :math:`-\frac12\ln(1-m_D)`, :math:`k=2`: :math:`-\frac12\ln(1-\sqrt{m_D})` for
      :math:`m_D>0`, :math:`m_0=0`).

    Where no finite field reproduces m within k the training drifts to infinity: the
    entry is ``+inf``/``-inf`` (the drift direction) and a
    :class:`~solvable.errors.NoFixedPointWarning` says so.

    Parameters
    ----------
    m : array or float in [-1, 1], the data magnetisations
    k : time (> 0) in the units of ``dynamics``
    dynamics : one of :data:`DYNAMICS`
    m0 : array or float in [-1, 1], the start magnetisation
    n : int >= 1, the system size (required for the random-site dynamics)
    """
    m = _magnet(m, "m")
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    if k == 0:
        raise ValueError("k must be > 0: after zero steps the chains are the start law, whatever h")
    n = _n_arg(n, dynamics)
    m0 = _magnet(m0, "m0")
    m, m0 = np.broadcast_arrays(m, m0)
    if dynamics in ("glauber", "random-heat-bath", "sequential-heat-bath", "parallel-heat-bath"):
        a = float(_contraction(0.0, k, dynamics, n))
        target = (m - a * m0) / (1.0 - a)
        inside = np.abs(target) < 1.0
        out = np.where(inside, np.arctanh(np.where(inside, target, 0.0)), np.where(target > 0, np.inf, -np.inf))
    else:
        out = np.array([_first_root(float(mi), k, dynamics, float(m0i), n) for mi, m0i in zip(m.ravel(), m0.ravel())])
        out = out.reshape(m.shape)
    out = np.asarray(out, dtype=float)
    bad = ~np.isfinite(out)
    if np.any(bad):
        warnings.warn(_no_fixed_point_message("short_run_fixed_point", m, bad, dynamics, k), NoFixedPointWarning,
                      stacklevel=2)
    return out[()] if out.ndim == 0 else out


def _no_fixed_point_message(what, m, bad, dynamics, k):
    return (f"{what}: {int(bad.sum())} spin(s) have no finite fixed point for dynamics={dynamics!r}, "
            f"k={k}: no field reproduces m = {np.ravel(m[bad])[:3]} within time k (the reachable range is "
            f"|m_k| < 1 - a_k for m0 = 0); short-run training drifts to h = +-inf (theory.md section 4)")


# --------------------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------------------
def _no_couplings(n):
    return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)


def _fields(h):
    h = V.finite_array(h, "h", ndim=(0, 1))
    return np.atleast_1d(h)


def _start(n_chains, m0, seed):
    return _uniform_spins(n_chains, m0.size, seed, p_plus=0.5 * (1.0 + m0))


def simulate(h, k, n_chains, *, dynamics, m0=0.0, seed=0):
    r"""``n_chains`` chains of ``n = len(h)`` independent spins run for time ``k`` (Numba).

    Start: independent spins with :math:`P(s_i=+1)=(1+m_{0,i})/2`; the dynamics and time
    units are those of :func:`solvable.ising.simulate` with J = 0. Returns int8 (n_chains, n).

    Parameters
    ----------
    h : array (n,) or scalar, the fields
    k : time in the units of ``dynamics``
    n_chains : int >= 1
    dynamics : one of :data:`DYNAMICS`
    m0 : array (n,) or float in [-1, 1], start magnetisation
    seed : int >= 0
    """
    h = _fields(h)
    n = h.size
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    n_chains = V.integer(n_chains, "n_chains", low=1)
    m0 = np.broadcast_to(_magnet(m0, "m0"), (n,)).astype(float)
    seed = V.seed(seed)
    return _run(_no_couplings(n), h, _start(n_chains, m0, seed), k, dynamics, seed)


# --------------------------------------------------------------------------------------
# training and comparison
# --------------------------------------------------------------------------------------
def _data_arg(data):
    """(samples or None, m_D): samples (M, n) of -1/+1, or a vector of magnetisations."""
    a = V.finite_array(data, "data", ndim=(1, 2))
    if a.ndim == 1:
        return None, _magnet(a, "data")
    X = V.spins(a, "data", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"data must have at least 2 rows (samples), got {X.shape[0]}")
    return X, X.mean(axis=0, dtype=float)


def _require_fixed_point(scheme, mD, k, dynamics, m0, n, on_no_fixed_point):
    """NoFixedPointError (or a NoFixedPointWarning) before training when the closed form has no fixed point:
    :func:`short_run_fixed_point` for short runs, :func:`mle` (|m_D| = 1) for the other schemes."""
    if on_no_fixed_point == "ignore":
        return
    if scheme == "short-run":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoFixedPointWarning)
            h_star = np.atleast_1d(short_run_fixed_point(mD, k, dynamics=dynamics, m0=m0, n=n))
        bad = ~np.isfinite(h_star)
        msg = _no_fixed_point_message("train(scheme='short-run')", mD, bad, dynamics, k) if np.any(bad) else None
    else:
        bad = np.abs(mD) >= 1.0
        msg = (f"train(scheme={scheme!r}): {int(bad.sum())} spin(s) have |m_D| = 1: the fixed point (the MLE "
               "atanh m_D) is infinite and the training drifts to h = +-inf (theory.md section 4)"
               if np.any(bad) else None)
    if msg is None:
        return
    if on_no_fixed_point == "raise":
        raise NoFixedPointError(msg + ". Pass on_no_fixed_point='warn' or 'ignore' to train anyway.")
    warnings.warn(msg, NoFixedPointWarning, stacklevel=3)


def train(data, *, scheme, k, dynamics, lr, n_iter, n_chains=None, seed=0, engine="simulate", m0=0.0, h0=None,
          ess_threshold=0.5, progress=True, on_no_fixed_point="raise"):
    r"""Train the fields by the shared loop: :math:`h\mathrel{+}=\gamma(m_D-m_{\hat p})`.

    ``data``: samples (M, n) of -1/+1, or the vector of data magnetisations (the model
    factorises, so the marginals are all it sees). ``scheme``: ``"short-run"`` (restart
    from independent spins of mean ``m0``), ``"cd"`` (start at the data), ``"pcd"``.
    ``engine="exact"`` propagates the magnetisations with :func:`magnetization`;
    ``"simulate"`` runs ``n_chains`` chains (:func:`simulate`). Fixed points:
    :func:`short_run_fixed_point` (short-run) and :func:`mle` (CD, PCD: no CD bias).

    ``"jarzynski"`` (``engine="simulate"`` only): persistent walkers drawn exactly from the
    initial model (independent spins of mean :math:`\tanh h_0`), moved for time k with the old
    fields, weighted by :math:`A\mathrel{+}=E_\ell(X)-E_{\ell+1}(X)` at the moved point and
    resampled when the ESS falls below ``ess_threshold * n_chains`` (theory.md 6.2-6.3;
    :func:`solvable.ising_chains.spin_walkers`); fixed point :func:`mle`. Without couplings every
    dynamics of :data:`DYNAMICS`, the parallel ones included, leaves :math:`p_h` invariant
    (each spin is its own two-state chain, theory.md 5.1), so all are accepted. ``m0`` must
    stay 0 (the start law is the initial model). History adds ``"ess"``, ``"log_z"``,
    ``"log_z_se"``, ``"n_resamples"``.

    Parameters
    ----------
    data : array (M, n) of spins -1/+1 (M >= 2), or a vector (n,) of data magnetisations in [-1, 1]
    scheme : ``"short-run"``, ``"cd"``, ``"pcd"`` or ``"jarzynski"``
    k : time per update (> 0) in the units of ``dynamics``
    dynamics : one of :data:`DYNAMICS`
    lr : float > 0, learning rate
    n_iter : int >= 1, updates
    n_chains : int or None, chains (required with engine ``"simulate"``; jarzynski >= 2)
    seed : int >= 0
    engine : ``"simulate"`` or ``"exact"`` (:func:`magnetization`)
    m0 : array (n,) or float in [-1, 1], start magnetisation of short runs (0 for jarzynski)
    h0 : array (n,) or scalar, initial fields (default 0)
    ess_threshold : float in [0, 1], Jarzynski resampling threshold
    progress : bool, show a progress bar
    on_no_fixed_point : ``"raise"`` (default): :class:`~solvable.NoFixedPointError` before training
        when the closed form has no fixed point (:func:`short_run_fixed_point` infinite for short
        runs, |m_D| = 1 for the others; the message is the solver's); ``"warn"``: a
        NoFixedPointWarning instead and train anyway; both also warn
        (:class:`~solvable.runaway.RunawayWarning`) when the fields grow linearly to the end;
        ``"ignore"``: neither (to show the drift on purpose)
    """
    scheme, engine, lr, n_iter, seed = check_run(scheme=scheme, schemes=SCHEMES + ("jarzynski",), engine=engine, lr=lr,
                                                 n_iter=n_iter, seed=seed, n_iter_name="n_iter")
    dynamics = _dynamics(dynamics)
    if scheme == "jarzynski":
        _check_jarzynski(dynamics, engine, DYNAMICS)
        if np.any(np.asarray(m0) != 0):
            raise ValueError("m0 is not used by scheme='jarzynski': the walkers start from the initial model "
                             "(independent spins of mean tanh(h0)); pass h0 instead")
        ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
    k = _time(k, dynamics)
    if k == 0:
        raise ValueError("k must be > 0")
    X, mD = _data_arg(data)
    n = mD.size
    m0 = np.broadcast_to(_magnet(m0, "m0"), (n,)).astype(float)
    h0 = V.vector(h0, "h0", n, default=0.0)
    on_no_fixed_point = V.choice(on_no_fixed_point, "on_no_fixed_point", ("raise", "warn", "ignore"))
    _require_fixed_point(scheme, mD, k, dynamics, m0, n, on_no_fixed_point)
    if engine == "exact":
        walkers = Walkers(
            scheme=scheme, k=k,
            move=lambda p, m, kk, s: _magnetization(p["h"], kk, dynamics, m, n),
            stats=lambda m: {"h": m},
            start_p0=lambda s: m0,
            start_data=lambda s: mD,
        )
    else:
        if n_chains is None:
            raise ValueError("n_chains is required with engine='simulate'")
        n_chains = V.integer(n_chains, "n_chains", low=2 if scheme == "jarzynski" else 1)
        couplings = _no_couplings(n)

        start_data = (lambda s: _start(n_chains, mD, s)) if X is None else data_rows(X, n_chains, Stream.SPIN_DATA)

    if scheme == "jarzynski":
        zero = sparse.csr_matrix((n, n))
        walkers = _spin_walkers(
            _start(n_chains, np.tanh(h0), seed), k=k, dynamics=dynamics, csr=lambda p: couplings,
            couplings=lambda p: zero, stats=lambda p, S, w: {"h": w @ S.astype(float)},
            log_z0=_log_z_independent(h0), ess_threshold=ess_threshold,
        )
    elif engine == "simulate":
        walkers = Walkers(
            scheme=scheme, k=k,
            move=lambda p, S, kk, s: _run(couplings, p["h"], S, kk, dynamics, s),
            stats=lambda S: {"h": S.mean(axis=0, dtype=float)},
            start_p0=lambda s: _start(n_chains, m0, s),
            start_data=start_data,
        )
    params, history = ascent(
        {"h": h0}, {"h": mD}, walkers, lr=lr, n_iter=n_iter, seed=seed, progress=progress,
        desc=f"bernoulli {scheme}-{k} {dynamics}",
    )
    history["data_mean"] = mD
    if scheme == "jarzynski":
        history.update(walkers.history)
    if on_no_fixed_point != "ignore":
        warn_if_runaway(history["params"], what=f"bernoulli.train(scheme={scheme!r}, k={k}, dynamics={dynamics!r})",
                        names=[f"h[{i}]" for i in range(n)])
    return TrainResult(params=params, history=history, scheme=scheme, engine=engine, k=k)


def compare(data, h, k, *, dynamics, times=None, n_chains=20000, m0=0.0, seed=0):
    r"""Magnetisations of fresh chains (start mean ``m0``) at several times vs the data,
    :func:`magnetization` and the equilibrium :math:`\tanh h`, with z-scores
    (:func:`solvable.comparison.moments_vs_time`). Default times 0, k/2, k-1, k, k+1, 2k, 4k.

    Parameters
    ----------
    data : array (M, n) of spins or a vector (n,) of magnetisations
    h : array (n,) or scalar, the fields
    k : training time (default times built around it)
    dynamics : one of :data:`DYNAMICS`
    times : list of times or None (default 0, k/2, k-1, k, k+1, 2k, 4k)
    n_chains : int >= 2
    m0 : array (n,) or float in [-1, 1], start magnetisation
    seed : int >= 0
    """
    _, mD = _data_arg(data)
    n = mD.size
    h = V.vector(h, "h", n)
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    n_chains = V.integer(n_chains, "n_chains", low=2)
    m0 = np.broadcast_to(_magnet(m0, "m0"), (n,)).astype(float)
    seed = V.seed(seed)
    if times is None:
        if dynamics == "glauber":
            times = [0.0, k / 2, k, 1.5 * k, 2 * k, 4 * k]
        else:
            times = sorted({0, k // 2, max(k - 1, 0), k, k + 1, 2 * k, 4 * k})
    times = [_time(t, dynamics, "times") for t in times]
    couplings = _no_couplings(n)
    return moments_vs_time(
        times,
        start=lambda s: _start(n_chains, m0, s),
        move=lambda S, dt, s: _run(couplings, h, S, dt if dynamics == "glauber" else int(round(dt)), dynamics, s),
        features=lambda S: S.astype(float),
        data=mD,
        labels=[f"<s{i}>" for i in range(n)],
        exact=lambda t: _magnetization(h, t if dynamics == "glauber" else int(round(t)), dynamics, m0, n),
        equilibrium=np.tanh(h),
        k=k,
        seed=seed,
    )
