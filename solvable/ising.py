r"""Pairwise Ising model (Boltzmann machine): exact laws by enumeration, Numba chains, training.

This module is the public face of three others, re-exported here: :mod:`solvable.ising_exact`
(states, laws, exact dynamics), :mod:`solvable.ising_fit` (:func:`fit`, :func:`pseudolikelihood`)
and :mod:`solvable.ising_chains` (:func:`simulate`, lattices); :func:`train` and :func:`compare`
live here. theory.md (cited by section) ships in the repository's ``docs/`` folder.

Spins :math:`s\in\{-1,+1\}^n`, energy :math:`E(s)=-\tfrac12s^\top Js-h^\top s=-\sum_{i<j}J_{ij}s_is_j-\sum_ih_is_i`,
J symmetric with zero diagonal, law :math:`p_\theta\propto e^{-E}` (theory.md section 5).
Exponential family with parameters :math:`\theta=(h_i, J_{ij}\ (i<j))` and sufficient
statistics :math:`\phi=(s_i, s_is_j)`; training therefore updates
:math:`h\mathrel{+}=\gamma(\langle s\rangle_D-\langle s\rangle_{\hat p})` and
:math:`J_{ij}\mathrel{+}=\gamma(\langle s_is_j\rangle_D-\langle s_is_j\rangle_{\hat p})`.

**State order** (used everywhere: :func:`all_states`, laws ``p`` of length :math:`2^n`,
:func:`transition_matrix`): state index ``b`` has :math:`s_i=+1` iff bit i of ``b`` is 1,
i.e. :math:`b=\sum_i\frac{1+s_i}{2}2^i`. State 0 is all spins down.

**Dynamics** (the names of :data:`DYNAMICS`; heat bath flips with
:math:`\sigma(-2s_iH_i)`, Metropolis with :math:`\min(1,e^{-2s_iH_i})`,
:math:`H_i=h_i+\sum_jJ_{ij}s_j`; theory.md 5.1) and the unit of time ``k``:

* ``"glauber"``: continuous time, every spin resampled at rate 1, ``k`` a float (sweeps);
  :math:`p(t)=p_0e^{tn(T_{rs}-I)}`;
* ``"random-heat-bath"``, ``"random-metropolis"``: ``k`` single-site updates at uniformly
  random sites, :math:`T_{rs}=\frac1n\sum_iT_i`;
* ``"sequential-heat-bath"``: ``k`` sweeps :math:`T_{sw}=T_0T_1\cdots T_{n-1}`;
* ``"parallel-heat-bath"``, ``"parallel-metropolis"``: ``k`` synchronous steps (every spin
  from the old state). These do **not** leave :math:`p_\theta` invariant when J != 0:
  parallel heat bath samples the Little/Peretto law (:func:`stationary`).

Routes: exact laws (:func:`boltzmann`, :func:`evolve`, :func:`transition_matrix`,
:func:`stationary`) for :math:`n\le` :data:`MAX_ENUMERATION_N`; Numba chains
(:func:`simulate`, any n, dense or sparse J, e.g. :func:`lattice_couplings`); fixed points
of every training scheme with exact moments (:func:`fit`); the shared training loop
(:func:`train`) and comparison (:func:`compare`).
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from . import _validate as V
from . import jarzynski as JZ
from .comparison import moments_vs_time
from .errors import NoFixedPointError, NoFixedPointWarning
from .ising_chains import SERIAL_WORK, edge_list, lattice_couplings, simulate
from .ising_chains import check_jarzynski as _check_jarzynski
from .ising_chains import dense_to_csr as _dense_to_csr
from .ising_chains import log_z_independent as _log_z_independent
from .ising_chains import run_chains as _run
from .ising_chains import sample_law as _sample_law
from .ising_chains import spin_walkers as _spin_walkers
from .ising_chains import uniform_spins as _uniform_spins
from .ising_exact import (
    DYNAMICS,
    INVARIANT_DYNAMICS,
    MAX_DENSE_MATRIX_N,
    MAX_ENUMERATION_N,
    MAX_PARALLEL_N,
    MAX_SPARSE_MATRIX_N,
    ROW_TABLE_BYTES,
    all_states,
    boltzmann,
    empirical_law,
    energy,
    entropy,
    evolve,
    feature_labels,
    features,
    kl_divergence,
    law_features,
    log_partition,
    moments,
    state_index,
    stationary,
    transition_matrix,
)
from .ising_exact import check_dynamics as _dynamics
from .ising_exact import check_enumerable as _check_enumerable
from .ising_exact import check_law as _law
from .ising_exact import check_time as _time
from .ising_exact import csr_couplings as _csr_couplings
from .ising_exact import dense_couplings as _dense_couplings
from .ising_exact import evolve_law as _evolve
from .ising_exact import law_moments as _moments
from .ising_exact import minus_energies as _minus_energies
from .ising_exact import normalize_log as _normalize_log
from .ising_exact import size_limit as _size_limit
from .ising_fit import FIT_SCHEMES, MAX_INTERIOR_CHECK_N, fit, pseudolikelihood
from .ising_fit import check_interior as _check_interior
from .runaway import warn_if_runaway
from .seeds import Stream
from .training import SCHEMES, TrainResult, Walkers, ascent, data_rows, check_run

__all__ = [
    "DYNAMICS",
    "INVARIANT_DYNAMICS",
    "FIT_SCHEMES",
    "MAX_ENUMERATION_N",
    "MAX_PARALLEL_N",
    "MAX_SPARSE_MATRIX_N",
    "MAX_DENSE_MATRIX_N",
    "MAX_INTERIOR_CHECK_N",
    "ROW_TABLE_BYTES",
    "SERIAL_WORK",
    "JARZYNSKI_EXACT_START_N",
    "all_states",
    "state_index",
    "energy",
    "boltzmann",
    "log_partition",
    "moments",
    "features",
    "feature_labels",
    "law_features",
    "evolve",
    "transition_matrix",
    "stationary",
    "entropy",
    "kl_divergence",
    "pseudolikelihood",
    "fit",
    "simulate",
    "lattice_couplings",
    "edge_list",
    "empirical_law",
    "train",
    "compare",
]

# ======================================================================================
# training and comparison
# ======================================================================================
class _Couplings:
    """Map between the trainable couplings (dense pairs or a fixed edge list) and J."""

    def __init__(self, n, edges):
        self.n = n
        self.edges = edges
        if edges is not None:
            e = np.asarray(edges)
            M = sparse.csr_matrix((np.arange(1, e.shape[0] + 1, dtype=float), (e[:, 0], e[:, 1])), shape=(n, n))
            M = M + M.T
            M.sort_indices()
            self.indptr = M.indptr.astype(np.int64)
            self.indices = M.indices.astype(np.int64)
            self.slot = M.data.astype(np.int64) - 1  # edge of each CSR entry

    def csr(self, J):
        if self.edges is None:
            return _dense_to_csr(J)
        return self.indptr, self.indices, np.ascontiguousarray(J[self.slot])

    def dense(self, J):
        if self.edges is None:
            return J
        D = np.zeros((self.n, self.n))
        D[self.edges[:, 0], self.edges[:, 1]] = J
        return D + D.T

    def stats_from_C(self, C):
        return C if self.edges is None else C[self.edges[:, 0], self.edges[:, 1]]

    def feature_stats_from_C(self, C):
        """The pair part of the exact feature averages (upper triangle, or the edges)."""
        if self.edges is None:
            return C[np.triu_indices(self.n, 1)]
        return C[self.edges[:, 0], self.edges[:, 1]]

    def stats_from_samples(self, X, w=None):
        """<s_i s_j> of the rows of X (float): plain mean, or weighted by ``w`` (summing to 1)."""
        if w is None:
            if self.edges is None:
                return X.T @ X / X.shape[0]
            return np.mean(X[:, self.edges[:, 0]] * X[:, self.edges[:, 1]], axis=0)
        if self.edges is None:
            C = (X * w[:, None]).T @ X
            C = 0.5 * (C + C.T)  # exactly symmetric, and s_i^2 = 1 exactly: J keeps a zero diagonal
            np.fill_diagonal(C, 1.0)
            return C
        return w @ (X[:, self.edges[:, 0]] * X[:, self.edges[:, 1]])

    def features(self, X):
        X = np.asarray(X, dtype=float)
        if self.edges is None:
            return features(X)
        return np.hstack([X, X[:, self.edges[:, 0]] * X[:, self.edges[:, 1]]])

    def labels(self):
        if self.edges is None:
            return feature_labels(self.n)
        return [f"<s{i}>" for i in range(self.n)] + [f"<s{a}s{b}>" for a, b in self.edges]



def _edges_arg(edges, n):
    if edges is None:
        return None
    if sparse.issparse(edges):
        e = edge_list(edges)
    else:
        e = np.asarray(V.finite_array(edges, "edges", ndim=2, dtype=float))
        if e.shape[1:] != (2,) or np.any(e != np.round(e)):
            raise ValueError(f"edges must be an integer array of shape (E, 2), got shape {e.shape}")
        e = e.astype(np.int64)
    if e.size == 0:
        raise ValueError("edges must contain at least one pair")
    if np.any(e < 0) or np.any(e >= n) or np.any(e[:, 0] == e[:, 1]):
        raise ValueError(f"edges must be pairs of distinct sites in 0..{n - 1}")
    e = np.sort(e, axis=1)
    if np.unique(e, axis=0).shape[0] != e.shape[0]:
        raise ValueError("edges must not repeat a pair")
    return e


def _data_arg(data, engine):
    """(X or None, p_data or None, n): samples (M, n) of -1/+1, or a law over all_states."""
    a = V.finite_array(data, "data", ndim=(1, 2))
    if a.ndim == 1:
        p, n = _law(a, "data")
        return None, p, n
    X = V.spins(a, "data", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"data must have at least 2 rows (samples), got {X.shape[0]}")
    n = X.shape[1]
    p = empirical_law(X) if engine == "exact" else None
    return X, p, n


#: the Jarzynski walkers of :func:`train` start from exact draws of the initial model by
#: enumeration up to this n (a 2^20 law is 8 MiB); beyond, from independent spins with fields
#: h0, importance-weighted to (J0, h0)
JARZYNSKI_EXACT_START_N = 20



def train(data, *, scheme, k, dynamics, lr, n_iter, n_chains=None, seed=0, engine="simulate", p0=None,
          edges=None, J0=None, h0=None, ess_threshold=0.5, progress=True, on_no_fixed_point="raise"):
    r"""Train the Ising model with the shared loop :func:`solvable.training.ascent`.

    .. math:: h\mathrel{+}=\gamma(\langle s\rangle_D-\langle s\rangle_{\hat p}),\qquad
              J_{ij}\mathrel{+}=\gamma(\langle s_is_j\rangle_D-\langle s_is_j\rangle_{\hat p})

    ``data``: samples (M, n) of -1/+1, or a law over :func:`all_states` (length 2^n).
    ``scheme``: ``"short-run"`` (restart from ``p0`` every update; default uniform spins),
    ``"cd"`` (start at the data: ``n_chains`` rows drawn with replacement, or draws from the
    data law), ``"pcd"`` (persistent), ``"jarzynski"`` (persistent walkers drawn exactly from
    the initial model (J0, h0) -- uniform spins for the default 0 -- moved with the old
    parameters by an invariant single-site ``dynamics`` (:data:`INVARIANT_DYNAMICS`; the
    parallel ones are refused), weighted by :math:`A\mathrel{+}=E_\ell(X)-E_{\ell+1}(X)` at the
    moved point and resampled when the ESS falls below ``ess_threshold * n_chains``
    (theory.md 6.2-6.3): its fixed point is the MLE, :func:`fit` with ``scheme="mle"``, for
    any k; ``engine="simulate"`` only; history adds ``"ess"``, ``"log_z"``, ``"log_z_se"``,
    ``"n_resamples"``, see :class:`solvable.jarzynski.JarzynskiWalkers`).
    ``k`` in the units of ``dynamics``.
    ``engine="simulate"``: ``n_chains`` Numba chains (:func:`simulate`); ``engine="exact"``:
    the law itself propagated by :func:`evolve` (n <= 24). ``edges`` (an (E, 2) array or a
    sparse pattern such as :func:`lattice_couplings`) restricts the trainable couplings to
    those pairs: ``J`` is then the vector of E edge couplings (what a 2-D lattice needs);
    otherwise ``J`` is the dense (n, n) matrix. Starts from ``J0`` (default 0), ``h0`` (0).

    The exact fixed points are :func:`fit` of the (empirical) data law.

    Returns :class:`solvable.training.TrainResult` (``.J``, ``.h``, ``.history``).

    Parameters
    ----------
    data : array (M, n) of spins -1/+1 (M >= 2), or a law (2^n,) over :func:`all_states`
    scheme : ``"short-run"``, ``"cd"``, ``"pcd"`` or ``"jarzynski"``
    k : time per update in the units of ``dynamics`` (> 0)
    dynamics : one of :data:`DYNAMICS` (jarzynski: one of :data:`INVARIANT_DYNAMICS`)
    lr : float > 0, learning rate :math:`\gamma`
    n_iter : int >= 1, parameter updates
    n_chains : int or None, chains (required with engine ``"simulate"``; jarzynski: >= 2 walkers)
    seed : int >= 0
    engine : ``"simulate"`` (Numba chains) or ``"exact"`` (the law propagated by :func:`evolve`, n <= 24)
    p0 : array (2^n,) or None, start law of short runs (None: uniform spins; not with jarzynski)
    edges : array (E, 2), scipy.sparse pattern, or None (all pairs): the trainable couplings
    J0 : initial couplings: dense (n, n), sparse, or (E,) with ``edges``; default 0
    h0 : array (n,) or scalar, initial fields (default 0)
    ess_threshold : float in [0, 1], Jarzynski resampling threshold (ESS / n_chains)
    progress : bool, show a progress bar
    on_no_fixed_point : ``"raise"`` (default), ``"warn"`` or ``"ignore"``. For pcd/jarzynski with an
        invariant kernel the fixed point is the MLE; when the data moments lie on the boundary of the
        marginal polytope (n <= :data:`MAX_INTERIOR_CHECK_N`, no edges) there is none and train raises
        :class:`~solvable.NoFixedPointError` before training (``"warn"``: a NoFixedPointWarning).
        After training, a :class:`~solvable.runaway.RunawayWarning` when parameters still grow
        linearly (:func:`solvable.runaway.warn_if_runaway`); ``"ignore"`` turns both off.
    """
    scheme, engine, lr, n_iter, seed = check_run(scheme=scheme, schemes=SCHEMES + ("jarzynski",), engine=engine, lr=lr,
                                                 n_iter=n_iter, seed=seed, n_iter_name="n_iter")
    dynamics = _dynamics(dynamics)
    if scheme == "jarzynski":
        _check_jarzynski(dynamics, engine, INVARIANT_DYNAMICS)
        if p0 is not None:
            raise ValueError("p0 is not used by scheme='jarzynski': the walkers start from the initial model "
                             "(J0, h0); pass those instead")
        ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
    k = _time(k, dynamics)
    if k == 0:
        raise ValueError("k must be > 0")
    X, p_data, n = _data_arg(data, engine)
    if engine == "simulate":
        if n_chains is None:
            raise ValueError("n_chains is required with engine='simulate'")
        n_chains = V.integer(n_chains, "n_chains", low=1)
    else:
        _check_enumerable(n, "train(engine='exact')")
        if dynamics.startswith("parallel"):
            _size_limit(n, MAX_PARALLEL_N, f"train(engine='exact', dynamics={dynamics!r})",
                        "a synchronous step on the exact law costs O(4^n)")
    if p0 is not None:
        p0, _ = _law(p0, "p0", n)
    on_no_fixed_point = V.choice(on_no_fixed_point, "on_no_fixed_point", ("raise", "warn", "ignore"))
    if (on_no_fixed_point != "ignore" and edges is None and scheme in ("pcd", "jarzynski")
            and dynamics in INVARIANT_DYNAMICS and n <= MAX_INTERIOR_CHECK_N):
        # the fixed point is the MLE: none when the data moments lie on the boundary (fit's LP test)
        try:
            _check_interior(p_data if p_data is not None else empirical_law(X), n, f"train(scheme={scheme!r})")
        except NoFixedPointError as exc:
            if on_no_fixed_point == "raise":
                raise NoFixedPointError(f"{exc}. Pass on_no_fixed_point='warn' or 'ignore' to train anyway.") from None
            warnings.warn(str(exc), NoFixedPointWarning, stacklevel=2)
    cp = _Couplings(n, _edges_arg(edges, n))
    h0 = V.vector(h0, "h0", n, default=0.0)
    if cp.edges is None:
        J0 = np.zeros((n, n)) if J0 is None else _dense_couplings(J0, "J0", n)
    elif J0 is None:
        J0 = np.zeros(cp.edges.shape[0])
    elif sparse.issparse(J0) or np.ndim(J0) == 2:
        J0 = np.asarray(sparse.csr_matrix(J0)[cp.edges[:, 0], cp.edges[:, 1]]).ravel()
    else:
        J0 = V.vector(J0, "J0", cp.edges.shape[0])

    if X is not None:
        Xf = X.astype(float)
        data_stats = {"h": Xf.mean(axis=0), "J": cp.stats_from_samples(Xf)}
    else:
        m, C = _moments(p_data, n)
        data_stats = {"h": m, "J": cp.stats_from_C(C)}

    if engine == "exact":
        start = np.full(2**n, 2.0**-n) if p0 is None else p0

        def law_stats(p):
            m, C = _moments(p, n)
            return {"h": m, "J": cp.stats_from_C(C)}

        walkers = Walkers(
            scheme=scheme, k=k,
            move=lambda prm, p, kk, s: _evolve(p, cp.dense(prm["J"]), prm["h"], kk, dynamics),
            stats=law_stats,
            start_p0=lambda s: start,
            start_data=lambda s: p_data,
        )
    elif scheme == "jarzynski":
        if n_chains < 2:
            raise ValueError(f"scheme='jarzynski' needs n_chains >= 2 walkers, got {n_chains}")
        walkers = _ising_walkers(cp, n, J0, h0, k, dynamics, n_chains, seed, ess_threshold)
    else:
        def start_p0(s):
            return _uniform_spins(n_chains, n, s) if p0 is None else _sample_law(p0, n_chains, s)

        start_data = ((lambda s: _sample_law(p_data, n_chains, s)) if X is None
                      else data_rows(X, n_chains, Stream.SPIN_DATA))

        def sample_stats(S):
            Sf = S.astype(float)
            return {"h": Sf.mean(axis=0), "J": cp.stats_from_samples(Sf)}

        walkers = Walkers(
            scheme=scheme, k=k,
            move=lambda prm, S, kk, s: _run(cp.csr(prm["J"]), prm["h"], S, kk, dynamics, s),
            stats=sample_stats,
            start_p0=start_p0,
            start_data=start_data,
        )
    params, history = ascent(
        {"J": J0, "h": h0}, data_stats, walkers, lr=lr, n_iter=n_iter, seed=seed, progress=progress,
        desc=f"ising {scheme}-{k} {dynamics}", hint="Hint: lower lr; short runs with small k may have no fixed point.",
    )
    history["data_stats"] = data_stats
    if scheme == "jarzynski":
        history.update(walkers.history)
    if cp.edges is not None:
        history["edges"] = cp.edges
    if on_no_fixed_point != "ignore":
        warn_if_runaway(history["params"], what=f"ising.train(scheme={scheme!r}, k={k}, dynamics={dynamics!r})",
                        names=([f"J[{i},{j}]" for i in range(n) for j in range(n)] if cp.edges is None
                               else [f"J[{a},{b}]" for a, b in cp.edges]) + [f"h[{i}]" for i in range(n)])
    return TrainResult(params=params, history=history, scheme=scheme, engine=engine, k=k)


def _ising_walkers(cp, n, J0, h0, k, dynamics, n_chains, seed, ess_threshold):
    """The Jarzynski walkers of :func:`train`: exact draws of the initial model (J0, h0)."""
    def couplings(p):
        if cp.edges is None:
            return p["J"]
        indptr, indices, weights = cp.csr(p["J"])
        return sparse.csr_matrix((weights, indices, indptr), shape=(n, n))

    def stats(p, S, w):
        Sf = S.astype(float)
        return {"h": w @ Sf, "J": cp.stats_from_samples(Sf, w)}

    log_w0 = None
    base = {"J": np.zeros_like(J0), "h": h0}
    if not np.any(J0):  # independent spins: exact for any n
        x0 = _uniform_spins(n_chains, n, seed, p_plus=0.5 * (1.0 + np.tanh(h0)))
        log_z0 = _log_z_independent(h0)
    elif n <= JARZYNSKI_EXACT_START_N:
        Jd = cp.dense(J0)
        x0 = _sample_law(boltzmann(Jd, h0), n_chains, seed)
        log_z0 = log_partition(Jd, h0)
    else:  # independent spins with fields h0, importance-weighted to (J0, h0) (theory.md 6.3)
        x0 = _uniform_spins(n_chains, n, seed, p_plus=0.5 * (1.0 + np.tanh(h0)))
        init = {"J": J0, "h": h0}
        log_w0 = JZ.invariant_increment(x0, lambda S: energy(S, couplings(base), h0),
                                        lambda S: energy(S, couplings(init), h0))
        log_z0 = _log_z_independent(h0)
    return _spin_walkers(x0, k=k, dynamics=dynamics, csr=lambda p: cp.csr(p["J"]), couplings=couplings,
                         stats=stats, log_w0=log_w0, log_z0=log_z0, ess_threshold=ess_threshold)


def compare(data, J, h, k, *, dynamics, times=None, n_chains=20000, p0=None, seed=0, edges=None):
    r"""Moments of the dynamics of (J, h) at several times vs the data, the exact law and equilibrium.

    Fresh chains start from ``p0`` (default uniform spins, the short-run start law) and
    run through ``times`` (default 0, k/2, k-1, k, k+1, 2k, 4k in the units of
    ``dynamics``); the statistics :math:`s_i`, :math:`s_is_j` (all pairs, or the pairs of
    ``edges``) are compared with the data (z-scores), with the exact law from
    :func:`evolve` (n <= 24; parallel dynamics n <= 14) and with the Boltzmann law of
    (J, h) (the model's equilibrium; ``None`` beyond enumeration). Uses
    :func:`solvable.comparison.moments_vs_time`.

    ``data``: samples (M, n) or a law over :func:`all_states`. ``J``: dense or sparse;
    with ``edges`` J may also be the vector of edge couplings.

    Parameters
    ----------
    data : array (M, n) of spins or a law (2^n,) over :func:`all_states`
    J : dense (n, n), sparse, or (E,) with ``edges``; h : array (n,)
    k : the training time (units of ``dynamics``) the default times are built around
    dynamics : one of :data:`DYNAMICS`
    times : list of times or None (default 0, k/2, k-1, k, k+1, 2k, 4k)
    n_chains : int >= 2
    p0 : array (2^n,) or None, start law (None: uniform)
    seed : int >= 0
    edges : array (E, 2), sparse pattern or None, the pairs compared
    """
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    X, p_data, n = _data_arg(data, "simulate")
    cp = _Couplings(n, _edges_arg(edges, n))
    if cp.edges is not None and not sparse.issparse(J) and np.ndim(J) == 1:
        J = sparse.csr_matrix(cp.dense(V.vector(J, "J", cp.edges.shape[0])))
    csr, _ = _csr_couplings(J, "J", n)
    h = V.vector(h, "h", n)
    n_chains = V.integer(n_chains, "n_chains", low=2)
    seed = V.seed(seed)
    if p0 is not None:
        p0, _ = _law(p0, "p0", n)
    if times is None:
        if dynamics == "glauber":
            times = [0.0, k / 2, k, 1.5 * k, 2 * k, 4 * k]
        else:
            times = sorted({0, k // 2, max(k - 1, 0), k, k + 1, 2 * k, 4 * k})
    times = [_time(t, dynamics, "times") for t in times]

    data_feat = cp.features(X).mean(axis=0) if X is not None else None
    enumerable = n <= MAX_ENUMERATION_N and (not dynamics.startswith("parallel") or n <= MAX_PARALLEL_N)
    exact = equilibrium = None
    if p_data is not None:
        m, C = _moments(p_data, n)
        data_feat = np.concatenate([m, cp.feature_stats_from_C(C)])
    if enumerable:
        Jd = _dense_couplings(J, "J", n)
        start = np.full(2**n, 2.0**-n) if p0 is None else p0
        cache = {"t": 0, "p": start}

        def exact(t):
            if t < cache["t"]:
                cache["t"], cache["p"] = 0, start
            cache["p"] = _evolve(cache["p"], Jd, h, t - cache["t"], dynamics)
            cache["t"] = t
            m, C = _moments(cache["p"], n)
            return np.concatenate([m, cp.feature_stats_from_C(C)])

        m, C = _moments(_normalize_log(_minus_energies(Jd, h)), n)
        equilibrium = np.concatenate([m, cp.feature_stats_from_C(C)])

    def start_fn(s):
        return _uniform_spins(n_chains, n, s) if p0 is None else _sample_law(p0, n_chains, s)

    return moments_vs_time(
        times,
        start=start_fn,
        move=lambda S, dt, s: _run(csr, h, S, _time(dt, dynamics, "dt") if dynamics != "glauber" else dt,
                                   dynamics, s),
        features=cp.features,
        data=data_feat,
        labels=cp.labels(),
        exact=exact,
        equilibrium=equilibrium,
        k=k,
        seed=seed,
    )
