r"""Pairwise Ising model, exact part: states, energies, laws by enumeration, exact dynamics.

Spins :math:`s\in\{-1,+1\}^n`, energy :math:`E(s)=-\tfrac12s^\top Js-h^\top s=-\sum_{i<j}J_{ij}s_is_j-\sum_ih_is_i`,
J symmetric with zero diagonal, law :math:`p_\theta\propto e^{-E}` (theory.md section 5; theory.md
ships in the repository's ``docs/`` folder).

**State order** (used everywhere: :func:`all_states`, laws ``p`` of length :math:`2^n`,
:func:`transition_matrix`): state index ``b`` has :math:`s_i=+1` iff bit i of ``b`` is 1,
i.e. :math:`b=\sum_i\frac{1+s_i}{2}2^i`. State 0 is all spins down.

**Dynamics** (the names of :data:`DYNAMICS`; heat bath flips with
:math:`\sigma(-2s_iH_i)`, Metropolis with :math:`\min(1,e^{-2s_iH_i})`,
:math:`H_i=h_i+\sum_jJ_{ij}s_j`; theory.md section 5.1) and the unit of time ``k``:

* ``"glauber"``: continuous time, every spin resampled at rate 1, ``k`` a float (sweeps);
  :math:`p(t)=p_0e^{tn(T_{rs}-I)}`;
* ``"random-heat-bath"``, ``"random-metropolis"``: ``k`` single-site updates at uniformly
  random sites, :math:`T_{rs}=\frac1n\sum_iT_i`;
* ``"sequential-heat-bath"``: ``k`` sweeps :math:`T_{sw}=T_0T_1\cdots T_{n-1}`;
* ``"parallel-heat-bath"``, ``"parallel-metropolis"``: ``k`` synchronous steps (every spin
  from the old state). These do **not** leave :math:`p_\theta` invariant when J != 0:
  parallel heat bath samples the Little/Peretto law (:func:`stationary`).

Everything here is re-exported by :mod:`solvable.ising` (use that). The functions without a
leading underscore that are not in ``__all__`` (``check_dynamics``, ``check_time``,
``check_law``, ``dense_couplings``, ``csr_couplings``, ``evolve_law``, ``stationary_law``,
``law_moments``, ``law_feature_vector``, ``minus_energies``, ``normalize_log``,
``size_limit``, ``check_enumerable``) are the unchecked or checking building blocks shared
with :mod:`solvable.ising_fit`, :mod:`solvable.ising_chains` and :mod:`solvable.bernoulli`.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from . import _validate as V
from .errors import EnumerationTooLargeError
from .kernels import spins as _kern

__all__ = [
    "DYNAMICS",
    "INVARIANT_DYNAMICS",
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
    "empirical_law",
]

DYNAMICS = _kern.DYNAMICS
INVARIANT_DYNAMICS = ("glauber", "random-heat-bath", "random-metropolis", "sequential-heat-bath")

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
def size_limit(n, limit, what, reason):
    if n > limit:
        raise EnumerationTooLargeError(f"{what}: n = {n} spins is too large; {reason}. The limit is n <= {limit}.")


def check_enumerable(n, what):
    per_vector = 8.0 * 2.0**n
    size_limit(
        n, MAX_ENUMERATION_N, what,
        f"the exact law has 2^{n} = {2**n:.3g} states and one float64 probability vector needs "
        f"{per_vector / 2**20:.4g} MiB (several are kept); use simulate() for larger systems",
    )


def check_dynamics(dynamics):
    if dynamics not in DYNAMICS:
        raise ValueError(f"dynamics must be one of {list(DYNAMICS)}, got {dynamics!r}")
    return dynamics


def check_time(k, dynamics, name="k"):
    """Continuous time (float >= 0) for 'glauber', an integer >= 0 otherwise."""
    if dynamics == "glauber":
        return V.real(k, name, low=0.0)
    if isinstance(k, (float, np.floating)) and not float(k).is_integer():
        raise ValueError(
            f"{name} must be an integer number of {_UNITS[dynamics]} for dynamics={dynamics!r}, got {k!r} "
            "(only 'glauber' runs in continuous time)"
        )
    return V.integer(k, name, low=0)


def dense_couplings(J, name="J", n=None):
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


def csr_couplings(J, name="J", n=None):
    """Neighbour lists (indptr, indices, weights) of a symmetric zero-diagonal J, dense or sparse."""
    if not sparse.issparse(J):
        Jd = dense_couplings(J, name, n)
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


def check_law(p, name, n=None):
    p = V.finite_array(p, name, ndim=1)
    N = p.size
    nn = int(N).bit_length() - 1
    if N < 2 or (1 << nn) != N:
        raise ValueError(f"{name} must be a law over the 2^n states of all_states(n), got length {N}")
    if n is not None and nn != n:
        raise ValueError(f"{name} must have length 2^{n} = {2**n} (n = {n} spins), got {N}")
    check_enumerable(nn, name)
    return V.probability(p, name, N), nn


# ======================================================================================
# states, energy, laws
# ======================================================================================
def all_states(n):
    r"""All :math:`2^n` spin configurations, int8 array (2^n, n).

    Row ``b`` has :math:`s_i=+1` iff bit i of b is 1 (:func:`state_index` is the inverse).

    Parameters
    ----------
    n : int >= 1 (n <= 24), the number of spins
    """
    n = V.integer(n, "n", low=1)
    check_enumerable(n, "all_states")
    b = np.arange(2**n, dtype=np.int64)[:, None]
    return (((b >> np.arange(n)) & 1) * 2 - 1).astype(np.int8)


def state_index(s):
    r"""Index b of each configuration in the order of :func:`all_states`: :math:`b=\sum_i\frac{1+s_i}2 2^i`.

    Parameters
    ----------
    s : array (..., n) of spins -1/+1
    """
    s = V.spins(s, "s")
    n = s.shape[-1]
    check_enumerable(n, "state_index")
    return ((s > 0).astype(np.int64) << np.arange(n)).sum(axis=-1)


def energy(s, J, h):
    r""":math:`E(s)=-\tfrac12s^\top Js-h^\top s` for each configuration (last axis of ``s``); J dense or sparse.

    Parameters
    ----------
    s : array (..., n) of spins -1/+1
    J : array (n, n) or scipy.sparse matrix, symmetric, zero diagonal
    h : array (n,) or scalar
    """
    s = V.spins(s, "s")
    n = s.shape[-1]
    h = V.vector(h, "h", n)
    x = s.astype(float)
    if sparse.issparse(J):
        csr_couplings(J, "J", n)
        Jx = np.asarray((sparse.csr_matrix(J) @ x.reshape(-1, n).T).T).reshape(x.shape)
    else:
        Jx = x @ dense_couplings(J, "J", n)
    return -0.5 * np.sum(x * Jx, axis=-1) - x @ h


def minus_energies(J, h):
    out = np.empty(2 ** h.size)
    _kern.minus_energies(J, h, h.size, out)
    return out


def normalize_log(logw):
    logw = logw - logw.max()
    p = np.exp(logw)
    return p / p.sum()


def boltzmann(J, h):
    r"""The Boltzmann law :math:`p_\theta(s)=e^{-E(s)}/Z` over :func:`all_states` order.

    Parameters
    ----------
    J : array (n, n), symmetric with zero diagonal
    h : array (n,) of fields (or a scalar)
    """
    J = dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    check_enumerable(n, "boltzmann")
    return normalize_log(minus_energies(J, h))


def log_partition(J, h):
    r""":math:`\log Z=\log\sum_se^{-E(s)}` by enumeration.

    Parameters
    ----------
    J : array (n, n), symmetric with zero diagonal
    h : array (n,) of fields (or a scalar)
    """
    J = dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    check_enumerable(n, "log_partition")
    a = minus_energies(J, h)
    amax = a.max()
    return float(amax + np.log(np.sum(np.exp(a - amax))))


def law_moments(p, n):
    m = np.empty(n)
    C = np.empty((n, n))
    _kern.law_moments(p, n, m, C)
    return m, C


def moments(p):
    r"""First and second moments of a law over :func:`all_states`: ``m_i = <s_i>``,
    ``C_ij = <s_i s_j>`` (``C_ii = 1``). Returns ``(m, C)``.

    Parameters
    ----------
    p : array (2^n,), a law over the states of :func:`all_states` (n <= 24)
    """
    p, n = check_law(p, "p")
    return law_moments(p, n)


def features(s):
    r"""Per-configuration sufficient statistics :math:`(s_i;\ s_is_j,\ i<j)`, float (M, n + n(n-1)/2).

    Pairs in the order of ``numpy.triu_indices(n, 1)`` (see :func:`feature_labels`).

    Parameters
    ----------
    s : array (..., n) of spins (or any numbers)
    """
    x = np.asarray(s, dtype=float)
    iu = np.triu_indices(x.shape[-1], 1)
    return np.concatenate([x, x[..., iu[0]] * x[..., iu[1]]], axis=-1)


def feature_labels(n):
    """Labels of the columns of :func:`features`: ``<s_i>``, then ``<s_a s_b>`` for a < b.

    Parameters
    ----------
    n : int >= 1, the number of spins
    """
    iu = np.triu_indices(n, 1)
    return [f"<s{i}>" for i in range(n)] + [f"<s{a}s{b}>" for a, b in zip(*iu)]


def law_feature_vector(p, n):
    m, C = law_moments(p, n)
    return np.concatenate([m, C[np.triu_indices(n, 1)]])


def law_features(p):
    """Exact averages of :func:`features` under the law p.

    Parameters
    ----------
    p : array (2^n,), a law over the states of :func:`all_states` (n <= 24)
    """
    p, n = check_law(p, "p")
    return law_feature_vector(p, n)


def entropy(p):
    r"""Shannon entropy :math:`H(p)=-\sum_sp\log p` (nats).

    Parameters
    ----------
    p : array, a probability vector (sums to 1)
    """
    p = V.probability(V.finite_array(p, "p", ndim=1), "p")
    nz = p[p > 0]
    return float(-np.sum(nz * np.log(nz)))


def kl_divergence(p, q):
    r""":math:`\mathrm{KL}(p\|q)=\sum_sp\log(p/q)` (nats); ``inf`` if q = 0 where p > 0.

    Parameters
    ----------
    p, q : arrays of the same length, probability vectors
    """
    p = V.probability(V.finite_array(p, "p", ndim=1), "p")
    q = V.probability(V.finite_array(q, "q", ndim=1), "q", p.size)
    nz = p > 0
    if np.any(q[nz] == 0):
        return np.inf
    return float(np.sum(p[nz] * np.log(p[nz] / q[nz])))


def empirical_law(samples):
    """The empirical law of spin samples (M, n) over the order of :func:`all_states`.

    Parameters
    ----------
    samples : array (M, n) of spins -1/+1 (n <= 24)
    """
    X = V.spins(samples, "samples", ndim=2)
    n = X.shape[1]
    check_enumerable(n, "empirical_law")
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


def evolve_law(p, J, h, k, dynamics):
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

    ``p0`` is a vector over the :math:`2^n` states of :func:`all_states` (None: the uniform
    law, as in :func:`solvable.ising.fit` and :func:`solvable.ising.train`); the result is
    :math:`p_0T^k` for the discrete dynamics (``k`` single-site updates, sweeps or parallel
    steps, see the module docstring) and :math:`p_0e^{kn(T_{rs}-I)}` for ``"glauber"``
    (continuous time, by uniformisation: a Poisson(n k) number of random-scan steps, the
    series cut where the remaining Poisson mass is below 1e-16 per block of n*dt <= 400).
    One single-site update costs O(2^n) time and no :math:`2^n\times2^n` matrix is built;
    a random-scan step or a sweep costs O(n 2^n), a parallel step O(4^n) (limited to
    n <= :data:`MAX_PARALLEL_N`). theory.md section 5.1.

    Parameters
    ----------
    p0 : array (2^n,) or None, the start law (None: uniform)
    J : array (n, n), symmetric with zero diagonal
    h : array (n,) of fields (or a scalar)
    k : time: a float >= 0 for ``"glauber"``, else an int >= 0 (updates, sweeps or parallel steps)
    dynamics : one of :data:`DYNAMICS` (time units in the module docstring)
    """
    J = dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    dynamics = check_dynamics(dynamics)
    k = check_time(k, dynamics)
    if p0 is None:  # the uniform law, as in fit/train (independent uniform spins)
        check_enumerable(n, "evolve")
        p0 = np.full(2**n, 2.0**-n)
    else:
        p0, _ = check_law(p0, "p0", n)
    if dynamics.startswith("parallel"):
        size_limit(n, MAX_PARALLEL_N, f"evolve(dynamics={dynamics!r})",
                    f"a synchronous step on the exact law costs O(4^n) = {4.0**n:.3g} operations")
    return evolve_law(p0, J, h, k, dynamics)


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

    Parameters
    ----------
    J : array (n, n), symmetric with zero diagonal
    h : array (n,) of fields (or a scalar)
    dynamics : one of :data:`DYNAMICS` (time units in the module docstring)
    """
    J = dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    dynamics = check_dynamics(dynamics)
    dense = dynamics in ("sequential-heat-bath", "parallel-heat-bath", "parallel-metropolis")
    if dense:
        size_limit(n, MAX_DENSE_MATRIX_N, f"transition_matrix(dynamics={dynamics!r})",
                    f"this kernel is dense: 4^n = {4.0**n:.3g} entries")
    else:
        size_limit(n, MAX_SPARSE_MATRIX_N, f"transition_matrix(dynamics={dynamics!r})",
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


def stationary_law(J, h, dynamics):
    n = h.size
    if dynamics in INVARIANT_DYNAMICS or not np.any(J):
        return normalize_log(minus_energies(J, h))
    if dynamics == "parallel-heat-bath":
        return normalize_log(_peretto_log_weights(J, h, n))
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

    Parameters
    ----------
    J : array (n, n), symmetric with zero diagonal
    h : array (n,) of fields (or a scalar)
    dynamics : one of :data:`DYNAMICS` (time units in the module docstring)
    """
    J = dense_couplings(J)
    n = J.shape[0]
    h = V.vector(h, "h", n)
    dynamics = check_dynamics(dynamics)
    check_enumerable(n, "stationary")
    if dynamics == "parallel-metropolis" and np.any(J):
        size_limit(n, MAX_DENSE_MATRIX_N, "stationary(dynamics='parallel-metropolis')",
                    "its stationary law is found from the dense transition matrix")
    return stationary_law(J, h, dynamics)
