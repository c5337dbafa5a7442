r"""Pairwise Ising model (Boltzmann machine): exact laws by enumeration, Numba chains, training.

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
from .errors import EnumerationTooLargeError, NoFixedPointError, UnstableFixedPointWarning
from .kernels import spins as _kern
from .kernels._rng import chain_states
from .training import ENGINES, SCHEMES, TrainResult, Walkers, ascent

__all__ = [
    "DYNAMICS",
    "INVARIANT_DYNAMICS",
    "FIT_SCHEMES",
    "MAX_ENUMERATION_N",
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

DYNAMICS = _kern.DYNAMICS
INVARIANT_DYNAMICS = ("glauber", "random-heat-bath", "random-metropolis", "sequential-heat-bath")
FIT_SCHEMES = ("mle", "short-run", "cd", "pcd", "pseudolikelihood")

#: largest n for an exact law: one float64 vector of 2^24 states is 128 MiB, and evolve keeps ~4
MAX_ENUMERATION_N = 24
#: largest n for the parallel dynamics on a law: one step costs O(4^n) (4^14 = 2.7e8 products)
MAX_PARALLEL_N = 14
#: largest n for transition_matrix: single-site kernels are sparse (n + 1 entries per row) ...
MAX_SPARSE_MATRIX_N = 14
#: ... sweeps and parallel kernels are dense (4^n entries)
MAX_DENSE_MATRIX_N = 10

_UNIFORMIZATION_TAIL = 1e-16
#: evolve precomputes the flip table of every site (n 2^(n-1) doubles) when it fits in this many bytes
ROW_TABLE_BYTES = 2**28
_UNITS = {
    "glauber": "continuous time (sweeps)",
    "random-heat-bath": "single-site updates",
    "random-metropolis": "single-site updates",
    "sequential-heat-bath": "sweeps",
    "parallel-heat-bath": "parallel steps",
    "parallel-metropolis": "parallel steps",
}


# ======================================================================================
# validation helpers
# ======================================================================================
def _size_limit(n, limit, what, reason):
    if n > limit:
        raise EnumerationTooLargeError(f"{what}: n = {n} spins is too large; {reason}. The limit is n <= {limit}.")


def _check_enumerable(n, what):
    per_vector = 8.0 * 2.0**n
    _size_limit(
        n, MAX_ENUMERATION_N, what,
        f"the exact law has 2^{n} = {2**n:.3g} states and one float64 probability vector needs "
        f"{per_vector / 2**20:.4g} MiB (several are kept); use simulate() for larger systems",
    )


def _dynamics(dynamics):
    if dynamics not in DYNAMICS:
        raise ValueError(f"dynamics must be one of {list(DYNAMICS)}, got {dynamics!r}")
    return dynamics


def _time(k, dynamics, name="k"):
    """Continuous time (float >= 0) for 'glauber', an integer >= 0 otherwise."""
    if dynamics == "glauber":
        return V.real(k, name, low=0.0)
    if isinstance(k, (float, np.floating)) and not float(k).is_integer():
        raise ValueError(
            f"{name} must be an integer number of {_UNITS[dynamics]} for dynamics={dynamics!r}, got {k!r} "
            "(only 'glauber' runs in continuous time)"
        )
    return V.integer(k, name, low=0)


def _dense_couplings(J, name="J", n=None):
    """Symmetric, zero-diagonal dense float64 J (a scipy.sparse J is densified)."""
    if sparse.issparse(J):
        J = J.toarray()
    J = V.symmetric(J, name, d=n)
    diag = np.abs(np.diag(J))
    if diag.size and diag.max() > 0:
        raise ValueError(
            f"{name} must have a zero diagonal (s_i^2 = 1 makes J_ii a constant); max |{name}_ii| = {diag.max():.3g}"
        )
    return np.ascontiguousarray(J)


def _csr_couplings(J, name="J", n=None):
    """Neighbour lists (indptr, indices, weights) of a symmetric zero-diagonal J, dense or sparse."""
    if not sparse.issparse(J):
        Jd = _dense_couplings(J, name, n)
        M = sparse.csr_matrix(Jd)
    else:
        M = sparse.csr_matrix(J, dtype=float)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"{name} must be a square matrix, got shape {M.shape}")
        if n is not None and M.shape[0] != n:
            raise ValueError(f"{name} must have shape ({n}, {n}), got {M.shape}")
        if not np.all(np.isfinite(M.data)):
            raise ValueError(f"{name} contains NaN or infinite value(s); all entries must be finite")
        scale = max(1.0, float(np.abs(M.data).max())) if M.nnz else 1.0
        asym = abs(M - M.T)
        if asym.nnz and asym.max() > 1e-10 * scale:
            raise ValueError(f"{name} must be symmetric; max |{name} - {name}.T| = {asym.max():.3g}")
        d = np.abs(M.diagonal())
        if d.size and d.max() > 0:
            raise ValueError(f"{name} must have a zero diagonal; max |{name}_ii| = {d.max():.3g}")
    M.eliminate_zeros()
    M.sort_indices()
    return (M.indptr.astype(np.int64), M.indices.astype(np.int64), M.data.astype(np.float64)), M.shape[0]


def _law(p, name, n=None):
    p = V.finite_array(p, name, ndim=1)
    N = p.size
    nn = int(N).bit_length() - 1
    if N < 2 or (1 << nn) != N:
        raise ValueError(f"{name} must be a law over the 2^n states of all_states(n), got length {N}")
    if n is not None and nn != n:
        raise ValueError(f"{name} must have length 2^{n} = {2**n} (n = {n} spins), got {N}")
    _check_enumerable(nn, name)
    return V.probability(p, name, N), nn


# ======================================================================================
# states, energy, laws
# ======================================================================================
def all_states(n):
    r"""All :math:`2^n` spin configurations, int8 array (2^n, n).

    Row ``b`` has :math:`s_i=+1` iff bit i of b is 1 (:func:`state_index` is the inverse).
    """
    n = V.integer(n, "n", low=1)
    _check_enumerable(n, "all_states")
    b = np.arange(2**n, dtype=np.int64)[:, None]
    return (((b >> np.arange(n)) & 1) * 2 - 1).astype(np.int8)


def state_index(s):
    r"""Index b of each configuration in the order of :func:`all_states`: :math:`b=\sum_i\frac{1+s_i}2 2^i`."""
    s = V.spins(s, "s")
    n = s.shape[-1]
    _check_enumerable(n, "state_index")
    return ((s > 0).astype(np.int64) << np.arange(n)).sum(axis=-1)


def energy(s, J, h):
    r""":math:`E(s)=-\tfrac12s^\top Js-h^\top s` for each configuration (last axis of ``s``); J dense or sparse."""
    s = V.spins(s, "s")
    n = s.shape[-1]
    h = V.vector(h, "h", n)
    x = s.astype(float)
    if sparse.issparse(J):
        _csr_couplings(J, "J", n)
        Jx = np.asarray((sparse.csr_matrix(J) @ x.reshape(-1, n).T).T).reshape(x.shape)
    else:
        Jx = x @ _dense_couplings(J, "J", n)
    return -0.5 * np.sum(x * Jx, axis=-1) - x @ h


def _minus_energies(J, h):
    out = np.empty(2 ** h.size)
    _kern.minus_energies(J, h, h.size, out)
    return out


def _normalize_log(logw):
    logw = logw - logw.max()
    p = np.exp(logw)
    return p / p.sum()


def boltzmann(J, h):
    r"""The Boltzmann law :math:`p_\theta(s)=e^{-E(s)}/Z` over :func:`all_states` order."""
    J = _dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    _check_enumerable(n, "boltzmann")
    return _normalize_log(_minus_energies(J, h))


def log_partition(J, h):
    r""":math:`\log Z=\log\sum_se^{-E(s)}` by enumeration."""
    J = _dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    _check_enumerable(n, "log_partition")
    a = _minus_energies(J, h)
    amax = a.max()
    return float(amax + np.log(np.sum(np.exp(a - amax))))


def _moments(p, n):
    m = np.empty(n)
    C = np.empty((n, n))
    _kern.law_moments(p, n, m, C)
    return m, C


def moments(p):
    r"""First and second moments of a law over :func:`all_states`: ``m_i = <s_i>``,
    ``C_ij = <s_i s_j>`` (``C_ii = 1``). Returns ``(m, C)``."""
    p, n = _law(p, "p")
    return _moments(p, n)


def features(s):
    r"""Per-configuration sufficient statistics :math:`(s_i;\ s_is_j,\ i<j)`, float (M, n + n(n-1)/2).

    Pairs in the order of ``numpy.triu_indices(n, 1)`` (see :func:`feature_labels`).
    """
    x = np.asarray(s, dtype=float)
    iu = np.triu_indices(x.shape[-1], 1)
    return np.concatenate([x, x[..., iu[0]] * x[..., iu[1]]], axis=-1)


def feature_labels(n):
    iu = np.triu_indices(n, 1)
    return [f"<s{i}>" for i in range(n)] + [f"<s{a}s{b}>" for a, b in zip(*iu)]


def _law_features(p, n):
    m, C = _moments(p, n)
    return np.concatenate([m, C[np.triu_indices(n, 1)]])


def law_features(p):
    """Exact averages of :func:`features` under the law p."""
    p, n = _law(p, "p")
    return _law_features(p, n)


def entropy(p):
    r"""Shannon entropy :math:`H(p)=-\sum_sp\log p` (nats)."""
    p = V.probability(V.finite_array(p, "p", ndim=1), "p")
    nz = p[p > 0]
    return float(-np.sum(nz * np.log(nz)))


def kl_divergence(p, q):
    r""":math:`\mathrm{KL}(p\|q)=\sum_sp\log(p/q)` (nats); ``inf`` if q = 0 where p > 0."""
    p = V.probability(V.finite_array(p, "p", ndim=1), "p")
    q = V.probability(V.finite_array(q, "q", ndim=1), "q", p.size)
    nz = p > 0
    if np.any(q[nz] == 0):
        return np.inf
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def empirical_law(samples):
    """The empirical law of spin samples (M, n) over the order of :func:`all_states`."""
    X = V.spins(samples, "samples", ndim=2)
    n = X.shape[1]
    _check_enumerable(n, "empirical_law")
    idx = ((X > 0).astype(np.int64) << np.arange(n)).sum(axis=1)
    return np.bincount(idx, minlength=2**n) / X.shape[0]


# ======================================================================================
# exact dynamics of a law
# ======================================================================================
def _rows(n, dynamics):
    """Row table of the single-site updates: all n rows if they fit in ROW_TABLE_BYTES, else one."""
    if dynamics.startswith("parallel"):
        return np.empty((1, 1))
    full = n * 2.0 ** (n - 1) * 8 <= ROW_TABLE_BYTES
    return np.empty((n if full else 1, 2 ** (n - 1)))


def _evolve(p, J, h, k, dynamics):
    """p T^k (or p e^{tQ}) without validation; returns a new array."""
    n = h.size
    p = np.array(p, dtype=float, copy=True)
    if k > 0:
        N = p.size
        rows = _rows(n, dynamics)
        if dynamics == "glauber":
            _kern.uniformization(p, J, h, n, float(k), _UNIFORMIZATION_TAIL, np.empty(N), np.empty(N),
                                 np.empty(N), np.empty(N), rows)
        else:
            parallel = dynamics.startswith("parallel")
            _kern.evolve_discrete(p, J, h, n, int(k), DYNAMICS.index(dynamics), np.empty(N), np.empty(N), rows,
                                  np.empty(N if parallel else 1), np.empty(n))
    np.maximum(p, 0.0, out=p)  # rounding can leave -1e-300; the law is non-negative
    return p / p.sum()


def evolve(p0, J, h, k, *, dynamics):
    r"""The exact law after time ``k`` of ``dynamics`` started from the law ``p0``.

    ``p0`` is a vector over the :math:`2^n` states of :func:`all_states`; the result is
    :math:`p_0T^k` for the discrete dynamics (``k`` single-site updates, sweeps or parallel
    steps, see the module docstring) and :math:`p_0e^{kn(T_{rs}-I)}` for ``"glauber"``
    (continuous time, by uniformisation: a Poisson(n k) number of random-scan steps, the
    series cut where the remaining Poisson mass is below 1e-16 per block of n*dt <= 400).
    One single-site update costs O(2^n) time and no :math:`2^n\times2^n` matrix is built;
    a random-scan step or a sweep costs O(n 2^n), a parallel step O(4^n) (limited to
    n <= :data:`MAX_PARALLEL_N`). theory.md section 5.1.
    """
    J = _dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    p0, _ = _law(p0, "p0", n)
    if dynamics.startswith("parallel"):
        _size_limit(n, MAX_PARALLEL_N, f"evolve(dynamics={dynamics!r})",
                    f"a synchronous step on the exact law costs O(4^n) = {4.0**n:.3g} operations")
    return _evolve(p0, J, h, k, dynamics)


def _flip_probabilities(J, h, n, metropolis):
    """F[b, i]: probability that a single-site update at i flips spin i in state b (numpy route)."""
    S = all_states(n).astype(float)
    x = S * (S @ J + h)  # s_i H_i
    if metropolis:
        return np.minimum(1.0, np.exp(-2.0 * np.maximum(x, 0.0)))
    return 0.5 * (1.0 - np.tanh(x))


def _single_site_matrices(F):
    N, n = F.shape
    idx = np.arange(N)
    out = []
    for i in range(n):
        rows = np.concatenate([idx, idx])
        cols = np.concatenate([idx, idx ^ (1 << i)])
        vals = np.concatenate([1.0 - F[:, i], F[:, i]])
        out.append(sparse.csr_matrix((vals, (rows, cols)), shape=(N, N)))
    return out


def transition_matrix(J, h, *, dynamics):
    r"""The kernel as a scipy.sparse CSR matrix acting on row vectors (``p_next = p @ T``).

    Built with numpy from the flip probabilities of every state (a route independent of
    the Numba kernels of :func:`evolve`): :math:`T_{rs}=\frac1n\sum_iT_i` (random scan),
    :math:`T_0T_1\cdots T_{n-1}` (one sweep), :math:`T(s,s')=\prod_i\pi_i(s'_i\mid s)`
    (parallel). For ``"glauber"`` (continuous time) it returns the **generator**
    :math:`Q=n(T_{rs}-I)` (rows sum to 0), so that :math:`p(t)=p_0e^{tQ}`.
    Limits: n <= :data:`MAX_SPARSE_MATRIX_N` for single-site kernels, n <=
    :data:`MAX_DENSE_MATRIX_N` for sweeps and parallel kernels (dense, 4^n entries).
    """
    J = _dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    dynamics = _dynamics(dynamics)
    dense = dynamics in ("sequential-heat-bath", "parallel-heat-bath", "parallel-metropolis")
    if dense:
        _size_limit(n, MAX_DENSE_MATRIX_N, f"transition_matrix(dynamics={dynamics!r})",
                    f"this kernel is dense: 4^n = {4.0**n:.3g} entries")
    else:
        _size_limit(n, MAX_SPARSE_MATRIX_N, f"transition_matrix(dynamics={dynamics!r})",
                    f"the matrix has 2^n (n+1) = {2.0**n * (n + 1):.3g} entries")
    F = _flip_probabilities(J, h, n, metropolis=dynamics.endswith("metropolis"))
    N = 2**n
    if dynamics.startswith("parallel"):
        S = all_states(n)
        differ = S[:, None, :] != S[None, :, :]  # [s, t, i]: spin i flips on s -> t
        T = np.prod(np.where(differ, F[:, None, :], 1.0 - F[:, None, :]), axis=2)
        return sparse.csr_matrix(T)
    Ts = _single_site_matrices(F)
    if dynamics == "sequential-heat-bath":
        T = Ts[0]
        for Ti in Ts[1:]:
            T = T @ Ti
        return sparse.csr_matrix(T)
    T = sum(Ts[1:], Ts[0]) / n
    if dynamics == "glauber":
        return sparse.csr_matrix(n * (T - sparse.identity(N, format="csr")))
    return sparse.csr_matrix(T)


def _peretto_log_weights(J, h, n):
    S = all_states(n).astype(float)
    H = S @ J + h
    logcosh = np.abs(H) + np.log1p(np.exp(-2.0 * np.abs(H)))
    return S @ h + logcosh.sum(axis=1)


def _stationary(J, h, dynamics):
    n = h.size
    if dynamics in INVARIANT_DYNAMICS or not np.any(J):
        return _normalize_log(_minus_energies(J, h))
    if dynamics == "parallel-heat-bath":
        return _normalize_log(_peretto_log_weights(J, h, n))
    T = transition_matrix(J, h, dynamics=dynamics).toarray()
    N = T.shape[0]
    A = np.vstack([T.T - np.eye(N), np.ones((1, N))])
    rhs = np.zeros(N + 1)
    rhs[-1] = 1.0
    p = np.linalg.lstsq(A, rhs, rcond=None)[0]
    p = np.maximum(p, 0.0)
    return p / p.sum()


def stationary(J, h, *, dynamics):
    r"""The stationary law of ``dynamics`` (what PCD samples, theory.md 2.1 and 5.1).

    * single-site kernels (``glauber``, ``random-*``, ``sequential-heat-bath``): the
      Boltzmann law :math:`p_\theta`;
    * ``parallel-heat-bath``: the Little/Peretto law
      :math:`\pi(s)\propto e^{h\cdot s}\prod_i2\cosh H_i(s)` (detailed balance holds since
      :math:`\pi(s)T(s,s')\propto e^{h\cdot s+h\cdot s'+s'^\top Js}` is symmetric);
      Peretto 1984, theory.md 5.1;
    * ``parallel-metropolis``: the null vector of :math:`T^\top-I` (no closed form; n <= 10).

    With J = 0 every kernel leaves the (product) Boltzmann law invariant.
    """
    J = _dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    dynamics = _dynamics(dynamics)
    _check_enumerable(n, "stationary")
    if dynamics == "parallel-metropolis" and np.any(J):
        _size_limit(n, MAX_DENSE_MATRIX_N, "stationary(dynamics='parallel-metropolis')",
                    "its stationary law is found from the dense transition matrix")
    return _stationary(J, h, dynamics)


# ======================================================================================
# fixed points of the training schemes (exact moments)
# ======================================================================================
def _pack(J, h):
    return np.concatenate([h, J[np.triu_indices(h.size, 1)]])


def _unpack(theta, n):
    h = theta[:n].copy()
    J = np.zeros((n, n))
    J[np.triu_indices(n, 1)] = theta[n:]
    return J + J.T, h


def _pair_index(n):
    """PI[i, j] = position of the parameter J_ij (i != j) in the packed vector."""
    PI = np.full((n, n), -1, dtype=np.int64)
    iu = np.triu_indices(n, 1)
    PI[iu] = n + np.arange(iu[0].size)
    PI[(iu[1], iu[0])] = PI[iu]
    return PI


def _pl_terms(theta, S, w, n, hessian):
    r"""Pseudolikelihood :math:`\mathrm{PL}=\sum_sw_s\sum_i\log p_\theta(s_i\mid s_{\setminus i})`,
    its gradient and Hessian in the packed parameters (Besag 1975; theory.md 2.4)."""
    J, h = _unpack(theta, n)
    H = S @ J + h
    x = S * H
    value = float(w @ np.sum(x - (np.abs(H) + np.log1p(np.exp(-2.0 * np.abs(H)))), axis=1))
    r = S - np.tanh(H)  # d/dH_i of log p(s_i | rest)
    wr = w[:, None] * r
    grad = np.empty(theta.size)
    grad[:n] = wr.sum(axis=0)
    G = S.T @ wr  # G[j, i] = sum_s w s_j r_i
    iu = np.triu_indices(n, 1)
    grad[n:] = G[iu[1], iu[0]] + G[iu[0], iu[1]]
    if not hessian:
        return value, grad, None
    PI = _pair_index(n)
    sech2 = w[:, None] / np.cosh(H) ** 2
    Hs = np.zeros((theta.size, theta.size))
    for i in range(n):
        others = np.array([j for j in range(n) if j != i], dtype=np.int64)
        idx = np.concatenate([[i], PI[i, others]])
        X = np.hstack([np.ones((S.shape[0], 1)), S[:, others]])
        Hs[np.ix_(idx, idx)] -= (X * sech2[:, i:i + 1]).T @ X
    return value, grad, Hs


def pseudolikelihood(p_data, J, h):
    r"""Expected log-pseudolikelihood :math:`\langle\sum_i\log p_\theta(s_i\mid s_{\setminus i})\rangle_D`
    and its gradient ``(value, grad_J, grad_h)`` (grad_J symmetric, zero diagonal; each
    off-diagonal entry is the derivative w.r.t. the pair parameter :math:`J_{ij}`, i<j).

    CD-1 with one random-site heat-bath step from the data has expected update
    :math:`\frac1n\nabla\mathrm{PL}` (Hyvarinen 2006; theory.md 2.4).
    """
    J = _dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    p_data, _ = _law(p_data, "p_data", n)
    S, w = _support(p_data, n)
    value, grad, _ = _pl_terms(_pack(J, h), S, w, n, hessian=False)
    gJ, gh = _unpack(grad, n)
    return value, gJ, gh


def _support(p, n):
    idx = np.flatnonzero(p > 0)
    S = ((idx[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
    return S, p[idx]


def _log_z_and_cov(theta, n):
    """log Z, <phi> and Cov(phi) under p_theta (chunked over the states)."""
    J, h = _unpack(theta, n)
    a = _minus_energies(J, h)
    amax = a.max()
    p = np.exp(a - amax)
    Z = p.sum()
    p /= Z
    P = theta.size
    mu = np.zeros(P)
    M2 = np.zeros((P, P))
    chunk = 1 << 14
    for start in range(0, p.size, chunk):
        idx = np.arange(start, min(start + chunk, p.size))
        S = ((idx[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
        Phi = features(S)
        pc = p[idx]
        mu += pc @ Phi
        M2 += (Phi * pc[:, None]).T @ Phi
    return float(amax + np.log(Z)), mu, M2 - np.outer(mu, mu)


def _newton_concave(objective, theta, tol, max_iter, bound, what):
    """Maximise a concave objective(theta) -> (value, grad, hessian) by damped Newton."""
    value, grad, hess = objective(theta, True)
    for it in range(max_iter):
        res = float(np.max(np.abs(grad)))
        if res < tol:
            return theta, {"n_iter": it, "residual": res}
        if np.max(np.abs(theta)) > bound:
            raise NoFixedPointError(
                f"{what}: no finite maximiser: |theta|_inf = {np.max(np.abs(theta)):.3g} > {bound} after {it} "
                f"Newton steps, gradient {res:.3g} (the data lie on the boundary of the model's moment space)"
            )
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(-hess, grad, rcond=None)[0]
        cap = np.max(np.abs(step))
        if cap > 5.0:
            step *= 5.0 / cap
        alpha = 1.0
        while True:
            new = theta + alpha * step
            nv, ng, nh = objective(new, True)
            if nv >= value + 1e-4 * alpha * float(grad @ step) or alpha < 1e-10:
                break
            alpha *= 0.5
        if nv < value - 1e-12 * max(1.0, abs(value)):
            raise NoFixedPointError(f"{what}: Newton stalled at gradient {res:.3g}")
        theta, value, grad, hess = new, nv, ng, nh
    raise NoFixedPointError(
        f"{what}: no convergence in {max_iter} Newton steps; gradient {float(np.max(np.abs(grad))):.3g}, "
        f"|theta|_inf = {np.max(np.abs(theta)):.3g}"
    )


def _fd_jacobian(G, theta, eps=1e-6):
    P = theta.size
    Jac = np.empty((P, P))
    for b in range(P):
        e = np.zeros(P)
        e[b] = eps * max(1.0, abs(theta[b]))
        Jac[:, b] = (G(theta + e) - G(theta - e)) / (2.0 * e[b])
    return Jac


def _solve_stationary(G, theta, tol, max_iter, bound, what):
    r"""Root of the expected update :math:`G(\theta)=\langle\phi\rangle_{\hat p_\theta}-\langle\phi\rangle_D`.

    Newton with a finite-difference Jacobian and a backtracking line search on |G|;
    where Newton fails to reduce |G| the expected-update flow :math:`\theta\mathrel{-}=\gamma G`
    is followed instead. No fixed point (theory.md 5.2) shows as a runaway
    (:math:`|\theta|_\infty` > ``bound``) or a stalled residual: NoFixedPointError.
    """
    F = G(theta)
    best = np.inf
    since_best = 0
    n_flow = 0
    for it in range(max_iter):
        res = float(np.max(np.abs(F)))
        if res < tol:
            Jac = _fd_jacobian(G, theta)
            return theta, {"n_iter": it, "residual": res, "jacobian": Jac,
                           "stable": bool(np.all(np.linalg.eigvals(Jac).real > 0)), "flow_steps": n_flow}
        if res < 0.9 * best:
            best, since_best = res, 0
        else:
            since_best += 1
        big = float(np.max(np.abs(theta)))
        if big > bound or since_best > 40:
            why = (f"the parameters run away (|theta|_inf = {big:.3g} > {bound})" if big > bound
                   else f"the residual stalls at {res:.3g} (|theta|_inf = {big:.3g})")
            raise NoFixedPointError(
                f"{what}: no fixed point: {why} after {it} iterations; max |<phi>_model - <phi>_data| = {res:.3g}. "
                "The training flow drifts to infinity (theory.md 5.2)."
            )
        Jac = _fd_jacobian(G, theta)
        try:
            step = np.linalg.solve(Jac, -F)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(Jac, -F, rcond=None)[0]
        cap = np.max(np.abs(step))
        if cap > 2.0:
            step *= 2.0 / cap
        norm = np.linalg.norm(F)
        alpha = 1.0
        accepted = False
        while alpha >= 1.0 / 256:
            new = theta + alpha * step
            Fn = G(new)
            if np.linalg.norm(Fn) <= (1.0 - 1e-4 * alpha) * norm:
                theta, F, accepted = new, Fn, True
                break
            alpha *= 0.5
        if not accepted:
            gamma = 1.0 / max(1.0, np.linalg.norm(Jac, 2))
            for _ in range(20):
                theta = theta - gamma * F
                F = G(theta)
                n_flow += 1
    raise NoFixedPointError(
        f"{what}: no fixed point found in {max_iter} iterations; residual {float(np.max(np.abs(F))):.3g}, "
        f"|theta|_inf = {float(np.max(np.abs(theta))):.3g}"
    )


#: largest n for which fit(scheme="mle") checks by linear programming that data with zeros
#: have moments inside the marginal polytope (else the MLE is at infinity)
MAX_INTERIOR_CHECK_N = 12


def _check_interior(p_data, n, what):
    r"""Raise NoFixedPointError when the data moments lie on the boundary of the marginal polytope.

    The MLE of an exponential family exists iff the data moments are interior, i.e. some
    law with full support has them (Barndorff-Nielsen 1978). Data with full support
    pass at once; otherwise a linear program maximises the smallest probability
    :math:`\varepsilon` of a law with the data moments, and :math:`\varepsilon=0` means the
    maximiser is at infinity. Skipped for n > :data:`MAX_INTERIOR_CHECK_N` (then only the
    runaway test of the Newton iteration applies).
    """
    if np.all(p_data > 0) or n > MAX_INTERIOR_CHECK_N:
        return
    from scipy.optimize import linprog  # noqa: PLC0415 (only needed for data with zeros)

    N = 2**n
    S = ((np.arange(N)[:, None] >> np.arange(n)) & 1) * 2.0 - 1.0
    Phi = features(S)
    A_eq = np.hstack([np.vstack([Phi.T, np.ones((1, N))]), np.zeros((Phi.shape[1] + 1, 1))])
    b_eq = np.concatenate([_law_features(p_data, n), [1.0]])
    A_ub = sparse.hstack([-sparse.identity(N), np.ones((N, 1))]).tocsr()
    c = np.zeros(N + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(N), A_eq=A_eq, b_eq=b_eq, bounds=[(0, None)] * N + [(0, 1)],
                  method="highs")
    if res.status == 0 and -res.fun < 1e-12:
        raise NoFixedPointError(
            f"{what}: no finite maximiser: the data moments lie on the boundary of the marginal polytope "
            "(no law with full support has them), so the maximum-likelihood parameters are at infinity"
        )


def fit(p_data, *, scheme, k=1, dynamics="random-heat-bath", p0=None, tol=1e-10, max_iter=200, bound=50.0,
        full_output=False):
    r"""The stationary point :math:`(J, h)` of a training scheme's expected update, with exact moments.

    ``scheme``:

    * ``"mle"``: :math:`\langle\phi\rangle_{p_\theta}=\langle\phi\rangle_D`; Newton with Hessian
      :math:`\mathrm{Cov}_{p_\theta}(\phi)` (concave log-likelihood).
    * ``"pseudolikelihood"``: maximiser of :func:`pseudolikelihood` (Newton, concave).
    * ``"short-run"`` (Rdm-k): :math:`\langle\phi\rangle_{p_0T^k_\theta}=\langle\phi\rangle_D`,
      chains restarted from ``p0`` (default uniform) and run for ``k`` (units of ``dynamics``).
    * ``"cd"`` (CD-k): :math:`\langle\phi\rangle_{p_DT^k_\theta}=\langle\phi\rangle_D`.
    * ``"pcd"``: :math:`\langle\phi\rangle_{\pi_\theta}=\langle\phi\rangle_D` with :math:`\pi_\theta`
      the stationary law of the kernel (:func:`stationary`): the MLE for every single-site
      kernel, not for the parallel ones.

    theory.md 2.1, 2.4, 5.2. The flow schemes are solved by Newton on the expected update
    with a finite-difference Jacobian (``2 P`` evolutions per iteration, P = n(n+1)/2
    parameters) and the update flow as fallback. ``tol`` bounds the final
    :math:`\max|\langle\phi\rangle_{\hat p}-\langle\phi\rangle_D|` (gradient for mle/PL).

    An unstable stationary point (the flow leaves it; e.g. PCD with parallel heat bath)
    is returned with an :class:`~solvable.errors.UnstableFixedPointWarning`.
    Raises :class:`~solvable.NoFixedPointError` when there is none: parameters beyond
    ``bound`` (runaway), a stalled residual, or no convergence in ``max_iter`` iterations
    (e.g. short runs with small k, theory.md 9.5). With ``full_output`` also returns a dict
    (``n_iter``, ``residual``; for flow schemes the Jacobian
    :math:`M=\partial\langle\phi\rangle_{\hat p}/\partial\theta` and ``stable``: all
    eigenvalues of M with positive real part, i.e. the training flow converges there).
    """
    p_data, n = _law(p_data, "p_data")
    scheme = V.choice(scheme, "scheme", FIT_SCHEMES)
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    tol = V.positive(tol, "tol")
    max_iter = V.integer(max_iter, "max_iter", low=1)
    bound = V.positive(bound, "bound")
    p0 = np.full(2**n, 2.0**-n) if p0 is None else _law(p0, "p0", n)[0]
    if scheme in ("short-run", "cd") and k == 0:
        raise ValueError(f"k must be > 0 for scheme={scheme!r}: after zero steps the chains ignore the parameters")
    if dynamics.startswith("parallel") and scheme in ("short-run", "cd", "pcd"):
        _size_limit(n, MAX_PARALLEL_N if scheme != "pcd" or dynamics == "parallel-heat-bath" else MAX_DENSE_MATRIX_N,
                    f"fit(dynamics={dynamics!r})", "synchronous kernels on exact laws cost O(4^n) per step")
    d = _law_features(p_data, n)
    theta0 = np.zeros(n + n * (n - 1) // 2)
    detail = "" if scheme in ("mle", "pseudolikelihood") else f", k={k}, dynamics={dynamics!r}"
    what = f"fit(scheme={scheme!r}{detail})"

    if scheme == "mle" or (scheme == "pcd" and dynamics in INVARIANT_DYNAMICS):
        _check_interior(p_data, n, what)

        def loglik(theta, _):
            logz, mu, cov = _log_z_and_cov(theta, n)
            return float(theta @ d) - logz, d - mu, -cov

        theta, info = _newton_concave(loglik, theta0, tol, max_iter, bound, what)
    elif scheme == "pseudolikelihood":
        S, w = _support(p_data, n)
        theta, info = _newton_concave(lambda t, hs: _pl_terms(t, S, w, n, hs), theta0, tol, max_iter, bound, what)
    else:
        start_law = {"short-run": p0, "cd": p_data}.get(scheme)

        def G(theta):
            J, h = _unpack(theta, n)
            if scheme == "pcd":
                q = _stationary(J, h, dynamics)
            else:
                q = _evolve(start_law, J, h, k, dynamics)
            return _law_features(q, n) - d

        theta, info = _solve_stationary(G, theta0, tol, max_iter, bound, what)
        if not info["stable"]:
            # theta = 0 can itself be a spurious stationary point (e.g. parallel Metropolis, even k,
            # where every spin flips at every step); look for a stable one from the pseudolikelihood fit
            try:
                S, w = _support(p_data, n)
                theta_pl, _ = _newton_concave(lambda t, hs: _pl_terms(t, S, w, n, hs), theta0, 1e-8, max_iter,
                                              bound, what)
                alt, alt_info = _solve_stationary(G, theta_pl, tol, max_iter, bound, what)
                if alt_info["stable"]:
                    theta, info = alt, alt_info
            except NoFixedPointError:
                pass
        if not info["stable"]:
            ev = np.linalg.eigvals(info["jacobian"])
            warnings.warn(
                f"{what}: the stationary point found is unstable (eigenvalue {ev.real.min():.3g} < 0 of the "
                "expected update's Jacobian): training with a small learning rate moves away from it",
                UnstableFixedPointWarning, stacklevel=2,
            )
    J, h = _unpack(theta, n)
    return (J, h, info) if full_output else (J, h)


# ======================================================================================
# chains
# ======================================================================================
def _uniform_spins(n_chains, n, seed, p_plus=None):
    """n_chains independent configurations with P(s_i = +1) = p_plus[i] (default 1/2).

    Drawn with a numpy Generator from SeedSequence(seed) (spawn key 1), so start points and
    chain dynamics (streams of :func:`~solvable.kernels._rng.chain_states`) never share bits.
    """
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(1,)))
    if p_plus is None:
        return (rng.integers(0, 2, size=(n_chains, n), dtype=np.int8) * 2 - 1).astype(np.int8)
    return np.where(rng.random((n_chains, n)) < p_plus, 1, -1).astype(np.int8)


def _sample_law(p, n_chains, seed):
    """n_chains configurations drawn from the law p (numpy Generator from the seed, stream 3)."""
    rng = np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(3,)))
    n = p.size.bit_length() - 1
    idx = rng.choice(p.size, size=n_chains, p=p)
    return (((idx[:, None] >> np.arange(n)) & 1) * 2 - 1).astype(np.int8)


#: below this many single-site updates in one call, chains run on one thread (thread wake-up
#: costs more than it saves); the bits are the same either way
SERIAL_WORK = 200_000


def _run(csr, h, spins, k, dynamics, seed):
    """Advance a copy of spins (n_chains, n) by time k; seed may be an int or a tuple."""
    spins = np.array(spins, dtype=np.int8, order="C", copy=True)
    if k == 0:
        return spins
    n_chains, n = spins.shape
    indptr, indices, weights = csr
    code = DYNAMICS.index(dynamics)
    work = n_chains * (k * n if dynamics != "random-heat-bath" and dynamics != "random-metropolis" else k)
    kernel = _kern.run_chains_serial if work < SERIAL_WORK else _kern.run_chains
    kernel(
        spins, np.empty(spins.shape), np.empty(spins.shape if dynamics.startswith("parallel") else (n_chains, 1),
                                               dtype=np.int8),
        indptr, indices, weights, np.ascontiguousarray(h, dtype=float),
        0 if code == _kern.GLAUBER else int(k), float(k) if code == _kern.GLAUBER else 0.0, code,
        chain_states(seed, n_chains, stream=2),
    )
    return spins


def simulate(J, h, k, n_chains, *, dynamics, s0=None, seed=0):
    r"""Run ``n_chains`` independent spin chains for time ``k`` (Numba, parallel over chains).

    ``J``: dense (n, n) or scipy.sparse (e.g. :func:`lattice_couplings`), symmetric with
    zero diagonal; local fields are updated in O(degree) per flip, so lattices of
    thousands of spins run. ``k`` counts single-site updates, sweeps or parallel steps
    (continuous time for ``"glauber"``), see the module docstring. ``s0``: None (independent
    uniform spins, the default start law p0), one configuration (n,) for every chain, or
    (n_chains, n). Each chain has its own random stream derived from ``seed``: identical
    bits for the same seed whatever the number of threads.

    Returns int8 array (n_chains, n) of -1/+1.
    """
    csr, n = _csr_couplings(J)
    h = V.vector(h, "h", n)
    dynamics = _dynamics(dynamics)
    k = _time(k, dynamics)
    n_chains = V.integer(n_chains, "n_chains", low=1)
    seed = V.seed(seed)
    if s0 is None:
        spins = _uniform_spins(n_chains, n, seed)
    else:
        s0 = V.spins(s0, "s0", n_cols=n)
        if s0.ndim == 1:
            spins = np.repeat(s0[None, :], n_chains, axis=0)
        elif s0.shape[0] != n_chains:
            raise ValueError(f"s0 must have shape (n,) or (n_chains, n) = ({n_chains}, {n}), got {s0.shape}")
        else:
            spins = s0
    return _run(csr, h, spins, k, dynamics, seed)


def lattice_couplings(rows, cols=None, *, coupling=1.0, periodic=True):
    r"""Nearest-neighbour couplings of a 2-D square lattice as a symmetric CSR matrix.

    Site (r, c) has index ``r * cols + c``; each bond carries ``coupling``. ``periodic``
    wraps both directions (then rows, cols >= 3, so that no bond is doubled).
    """
    rows = V.integer(rows, "rows", low=1)
    cols = rows if cols is None else V.integer(cols, "cols", low=1)
    coupling = V.real(coupling, "coupling")
    if periodic and (rows < 3 or cols < 3):
        raise ValueError(f"a periodic lattice needs rows, cols >= 3 (else bonds double up), got {rows} x {cols}")
    r, c = np.divmod(np.arange(rows * cols), cols)
    edges = []
    for dr, dc in ((0, 1), (1, 0)):
        rr, cc = r + dr, c + dc
        ok = np.ones(r.size, dtype=bool) if periodic else (rr < rows) & (cc < cols)
        edges.append(np.stack([(r * cols + c)[ok], ((rr % rows) * cols + cc % cols)[ok]], axis=1))
    e = np.concatenate(edges)
    n = rows * cols
    M = sparse.coo_matrix((np.full(e.shape[0], coupling), (e[:, 0], e[:, 1])), shape=(n, n))
    return sparse.csr_matrix(M + M.T)


def edge_list(J):
    """The pairs (i, j), i < j, with J_ij != 0 of a dense or sparse coupling matrix: int array (E, 2)."""
    M = sparse.triu(sparse.csr_matrix(J), k=1).tocoo()
    order = np.lexsort((M.col, M.row))
    return np.stack([M.row[order], M.col[order]], axis=1).astype(np.int64)


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


def _dense_to_csr(J):
    M = sparse.csr_matrix(J)
    M.eliminate_zeros()
    M.sort_indices()
    return M.indptr.astype(np.int64), M.indices.astype(np.int64), M.data.astype(np.float64)


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


def _log_z_independent(h):
    r""":math:`\log Z=\sum_i\log(2\cosh h_i)` of independent spins (J = 0), overflow-free."""
    return float(np.sum(np.logaddexp(h, -h)))


def _check_jarzynski(dynamics, engine, invariant):
    if engine != "simulate":
        raise ValueError("scheme='jarzynski' needs engine='simulate' (weighted Monte Carlo walkers); "
                         "the exact-gradient fixed point it targets is the MLE, fit(scheme='mle')")
    if dynamics not in invariant:
        raise ValueError(
            f"scheme='jarzynski' needs a kernel that leaves p_theta invariant (theory.md 6.2), one of "
            f"{list(invariant)}; dynamics={dynamics!r} does not (synchronous updates of coupled spins "
            "sample the Little/Peretto law, theory.md 5.1)"
        )


def _spin_walkers(x0, *, k, dynamics, csr, couplings, stats, log_w0=None, log_z0=0.0, ess_threshold=0.5):
    r"""Jarzynski walkers for spin chains (``scheme="jarzynski"`` of :func:`train` and
    :func:`solvable.bernoulli.train`).

    Rule "move, then reweight" of theory.md 6.2: at each update the walkers move for time
    ``k`` with the **old** parameters (an invariant ``dynamics``, :func:`_run`), then
    :math:`A\mathrel{+}=E_\ell(X)-E_{\ell+1}(X)` at the moved point
    (:func:`solvable.jarzynski.invariant_increment` with :func:`energy`); ESS-triggered
    systematic resampling (theory.md 6.3). ``csr(params)`` gives the neighbour lists of the
    kernel, ``couplings(params)`` the J that :func:`energy` takes (dense or sparse),
    ``stats(params, S, w)`` the weighted statistics.
    """
    return JZ.JarzynskiWalkers(
        energy=lambda p, S: energy(S, couplings(p), p["h"]),
        # the whole time k in one kernel call: intermediate increments vanish at fixed theta (6.2)
        move=lambda p, S, s: _run(csr(p), p["h"], S, k, dynamics, s),
        stats=stats,
        x0=x0,
        k=1,
        rule="move-reweight",
        log_w0=log_w0,
        log_z0=log_z0,
        ess_threshold=ess_threshold,
    )


def train(data, *, scheme, k, dynamics, lr, n_iter, n_chains=None, seed=0, engine="simulate", p0=None,
          edges=None, J0=None, h0=None, ess_threshold=0.5, progress=True):
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
    """
    scheme = V.choice(scheme, "scheme", SCHEMES + ("jarzynski",))
    engine = V.choice(engine, "engine", ENGINES)
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
    lr = V.positive(lr, "lr")
    n_iter = V.integer(n_iter, "n_iter", low=1)
    seed = V.seed(seed)
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

        def start_data(s):
            if X is None:
                return _sample_law(p_data, n_chains, s)
            rng = np.random.default_rng(np.random.SeedSequence(entropy=s, spawn_key=(4,)))
            return X[rng.integers(0, X.shape[0], size=n_chains)]

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
