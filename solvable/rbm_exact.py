r"""Bernoulli-Bernoulli RBM, exact part and samplers: free energies, enumeration, block Gibbs, AIS.

Energy :math:`E(v,h)=-a\cdot v-b\cdot h-v^\top Wh`, free energy
:math:`F(v)=-a\cdot v-\sum_j\mathrm{sp}(b_j+(W^\top v)_j)` (theory.md section 7). Everything
public here is re-exported by :mod:`solvable.rbm` (use that). The names without a leading
underscore that are not in ``__all__`` (``Gibbs``, ``ExactChain``, ``rb_stats``, ``sigmoid``,
``free_energy_unchecked``, ``exact_stats_unchecked``, ``log_partition_unchecked``,
``check_params``, ``check_backend``, ...) are the unchecked or checking building blocks that
:mod:`solvable.rbm` shares.

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from __future__ import annotations

import numpy as np
from scipy import special

from . import _validate as V
from . import jarzynski as JZ
from .errors import DivergenceError, EnumerationTooLargeError
from .kernels import rbm as _kern
from .kernels._rng import chain_states
from .seeds import Stream

__all__ = [
    "free_energy",
    "free_energy_hidden",
    "log_partition_exact",
    "exact_stats",
    "visible_law",
    "log_likelihood",
    "kl_to_data",
    "ais_log_partition",
    "sample",
    "all_states",
    "BACKENDS",
    "P0S",
    "MAX_EXACT_UNITS",
]

#: block-Gibbs implementations: one fused Numba kernel, or BLAS products + Numba sampling
BACKENDS = ("numba", "blas")
#: ``backend="auto"``: "numba" below AUTO_BLAS_WEIGHTS weights (n_v x n_h), "blas" from there on. Measured
#: (issue 14, 2-core machine, ms per sweep, median of 7, numba/blas; chains x n_v x n_h) since the
#: chains are split across Python threads instead of ``prange`` (whose spinning OpenMP threads made
#: BLAS's threads wait: 19.6 ms at 500x64x64 and 15.9 ms at 100x784x128 with the old kernels):
#: 2 threads 0.17/0.12 (1000x10x4), 0.57/1.02 (500x64x64), 3.9/3.0 (100x784x128), 8.6/7.9
#: (200x784x500); 1 thread 0.17/0.13, 0.69/0.64, 2.4/2.1, 11.6/8.7. The two backends draw the
#: same law (bit-identical where the pre-activations are exact in floating point).
AUTO_BLAS_WEIGHTS = 2**14
#: start laws p0 of short-run chains
P0S = ("uniform", "data-marginals")
#: largest smaller layer that log_partition_exact enumerates by default
MAX_EXACT_UNITS = 25
#: chains x n_v x n_h x sweeps below which a call runs on one thread (same bits; ~1.3 ms of work at
#: 500x64x64): a sleeping pool thread starts its slice 0.05-0.3 ms late (2-core VM, issue 14).
_SERIAL_WORK = 2**22
#: rows x n_v x n_h up to which the gradient statistics (:func:`_stats`) run as one Numba pass
#: (:func:`solvable.kernels.rbm.rb_stats`); above, a BLAS product + one Numba pass + a BLAS product
#: (``rb_weigh``). Measured, 1 thread, us per call (one pass / BLAS+pass / the former
#: NumPy-expit route): 10x64x32 19 / 27-40 / 43; 30x64x32 48 / 46 / -; 100x64x32 224 / 107 / 132;
#: 100x784x128 - / 2735 / 2945.
_STATS_KERNEL_WORK = 2**15
_NO_WEIGHTS = np.empty(0)
#: largest 2**(n_v + n_h) for the exact visible-chain engine (transition through the hidden layer)
MAX_EXACT_CHAIN = 2**24



# --------------------------------------------------------------------------------------
# formulas
# --------------------------------------------------------------------------------------
def _softplus(z):
    r""":math:`\mathrm{sp}(z)=\log(1+e^z)`, stable for any z (``np.logaddexp``)."""
    return np.logaddexp(0.0, z)


def sigmoid(z):
    return special.expit(z)


def free_energy_unchecked(v, W, a, b):
    r""":math:`F(v)=-a\cdot v-\sum_j\mathrm{sp}(b_j+(W^\top v)_j)` (theory.md 7), rows of v."""
    return -(v @ a) - np.sum(_softplus(v @ W + b), axis=-1)


def _free_energy_hidden(h, W, a, b):
    r""":math:`\tilde F(h)=-b\cdot h-\sum_i\mathrm{sp}(a_i+(Wh)_i)` (theory.md 7), rows of h."""
    return -(h @ b) - np.sum(_softplus(h @ W.T + a), axis=-1)


def hidden_probs(v, W, b):
    r""":math:`\sigma(b+W^\top v)`: the Rao-Blackwellised hidden statistic of each row of v."""
    return sigmoid(v @ W + b)


def rb_stats(v, W, b, weights=None, probs_out=None):
    r"""Rao-Blackwellised sufficient statistics of visible states ``v`` (rows), theory.md 7:

    .. math:: \{W: \langle v\,\sigma(b+W^\top v)^\top\rangle,\ a: \langle v\rangle,\
              b: \langle\sigma(b+W^\top v)\rangle\}

    averaged with ``weights`` (default uniform). The one place this formula lives: data
    term, chains, Jarzynski walkers and the exact route all call it. ``probs_out`` (an array
    (n, n_h), optional) receives the hidden probabilities :math:`\sigma(b+W^\top v)` of every
    row (PCD in scikit-learn's order draws the next hidden state from them).
    """
    n = v.shape[0]
    nv, nh = W.shape
    keep = np.empty((0, nh)) if probs_out is None else probs_out
    if n * nv * nh <= _STATS_KERNEL_WORK:
        # small batches: one Numba pass instead of five NumPy/BLAS calls (per-call overhead)
        out = {"W": np.empty((nv, nh)), "a": np.empty(nv), "b": np.empty(nh)}
        _kern.rb_stats(np.ascontiguousarray(v, dtype=float), np.ascontiguousarray(W), np.ascontiguousarray(b),
                       _NO_WEIGHTS if weights is None else np.ascontiguousarray(weights, dtype=float), 1.0 / n,
                       out["W"], out["a"], out["b"], np.empty(nh), keep)
        return out
    # otherwise: the BLAS product V W, one Numba pass (sigmoid, weights, the two sums), BLAS V^T P
    v = np.ascontiguousarray(v, dtype=float)
    P = v @ W
    Sa, Sb = np.empty(nv), np.empty(nh)
    _kern.rb_weigh(P, v, np.ascontiguousarray(b),
                   _NO_WEIGHTS if weights is None else np.ascontiguousarray(weights, dtype=float), 1.0 / n, Sa, Sb,
                   keep)
    return {"W": v.T @ P, "a": Sa, "b": Sb}


def all_states(n):
    """All 2**n binary vectors as rows of a float array; unit i is bit i of the row index.

    Parameters
    ----------
    n : int >= 1, the number of units (2^n rows)
    """
    n = V.integer(n, "n", low=0, high=30)
    return _bits(np.arange(2**n), n)


def _bits(idx, n):
    return ((np.asarray(idx)[:, None] >> np.arange(n)) & 1).astype(float)


def state_index(v):
    """Row index of each binary state in :func:`all_states` order."""
    return (v @ (2.0 ** np.arange(v.shape[1]))).astype(np.int64)


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------
def check_params(W, a, b):
    W = V.finite_array(W, "W", ndim=2)
    nv, nh = W.shape
    if nv < 1 or nh < 1:
        raise ValueError(f"W must have shape (n_visible, n_hidden) with both >= 1, got {W.shape}")
    a = V.vector(a, "a (visible bias)", nv)
    b = V.vector(b, "b (hidden bias)", nh)
    return np.ascontiguousarray(W), a, b


def check_finite_params(W, a, b, where):
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise DivergenceError(f"{where}: the RBM parameters contain NaN or inf (training diverged; lower lr)")


def check_enumerable(nv, nh, max_units, what="exact log Z"):
    n = min(nv, nh)
    if n > max_units:
        gb = 2.0**n * max(nv, nh) * 8 / 1e9
        raise EnumerationTooLargeError(
            f"{what} enumerates the smaller layer: min(n_visible={nv}, n_hidden={nh}) = {n} units > limit "
            f"{max_units} (2^{n} = {2.0**n:.3g} states; one table of them with the other layer would take "
            f"{gb:.3g} GB). Use ais_log_partition, or raise max_units if you accept the time."
        )
    return n


# --------------------------------------------------------------------------------------
# exact laws
# --------------------------------------------------------------------------------------
def free_energy(v, W, a, b):
    r"""Free energy :math:`F(v)=-a\cdot v-\sum_j\mathrm{sp}(b_j+(W^\top v)_j)` of each row of ``v``
    (theory.md 7), :math:`p(v)=e^{-F(v)}/Z`; softplus via ``np.logaddexp`` (no overflow).

    ``v``: (n_v,) or (M, n_v) of 0/1. Returns a float or (M,).

    Parameters
    ----------
    v : array (..., n_v) of visible states (0/1)
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    """
    W, a, b = check_params(W, a, b)
    v = V.binary(v, "v", ndim=(1, 2), n_cols=W.shape[0])
    out = free_energy_unchecked(v, W, a, b)
    return float(out) if v.ndim == 1 else out


def free_energy_hidden(h, W, a, b):
    r"""Hidden free energy :math:`\tilde F(h)=-b\cdot h-\sum_i\mathrm{sp}(a_i+(Wh)_i)` (theory.md 7).

    Parameters
    ----------
    h : array (..., n_h) of hidden states (0/1)
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    """
    W, a, b = check_params(W, a, b)
    h = V.binary(h, "h", ndim=(1, 2), n_cols=W.shape[1])
    out = _free_energy_hidden(h, W, a, b)
    return float(out) if h.ndim == 1 else out


def _chunks(n, size=2**16):
    for start in range(0, 2**n, size):
        yield _bits(np.arange(start, min(2**n, start + size)), n)


def log_partition_unchecked(W, a, b):
    """Enumerate the smaller layer in chunks of 2**16 states with a running log-sum-exp."""
    nv, nh = W.shape
    if nh <= nv:
        f = lambda s: -_free_energy_hidden(s, W, a, b)  # noqa: E731
        n = nh
    else:
        f = lambda s: -free_energy_unchecked(s, W, a, b)  # noqa: E731
        n = nv
    m, acc = -np.inf, 0.0
    for S in _chunks(n):
        x = f(S)
        mx = float(np.max(x))
        if mx > m:
            acc = acc * np.exp(m - mx)
            m = mx
        acc += float(np.sum(np.exp(x - m)))
    return m + np.log(acc)


def log_partition_exact(W, a, b, *, max_units=MAX_EXACT_UNITS):
    r""":math:`\log Z=\log\sum_{v,h}e^{-E(v,h)}` by enumerating the smaller layer (theory.md 7):
    :math:`\mathrm{logsumexp}_h(-\tilde F(h))` if :math:`n_h\le n_v`, else :math:`\mathrm{logsumexp}_v(-F(v))`.

    Chunks of :math:`2^{16}` states and a running log-sum-exp keep memory flat and the
    result stable. Raises :class:`~solvable.EnumerationTooLargeError` (a ValueError) when the
    smaller layer has more than ``max_units`` (default 25) units.

    Parameters
    ----------
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    max_units : int, refuse (EnumerationTooLargeError) when min(n_v, n_h) exceeds it
    """
    W, a, b = check_params(W, a, b)
    max_units = V.integer(max_units, "max_units", low=0, high=40)
    check_enumerable(*W.shape, max_units)
    return float(log_partition_unchecked(W, a, b))


def exact_stats(W, a, b, *, max_units=MAX_EXACT_UNITS):
    r"""Exact model averages :math:`\{W:\langle vh^\top\rangle, a:\langle v\rangle, b:\langle h\rangle\}`
    by enumerating the smaller layer: with visible states, :func:`rb_stats` under :math:`p(v)`;
    with hidden states, :math:`\langle vh^\top\rangle=\sum_hp(h)\sigma(a+Wh)h^\top`.

    Parameters
    ----------
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    max_units : int, the largest smaller layer enumerated
    """
    W, a, b = check_params(W, a, b)
    check_enumerable(*W.shape, max_units, "exact_stats")
    return exact_stats_unchecked(W, a, b)


def exact_stats_unchecked(W, a, b):
    nv, nh = W.shape
    if nv <= nh:
        S = all_states(nv)
        lp = -free_energy_unchecked(S, W, a, b)
        return rb_stats(S, W, b, weights=JZ.normalized_weights(lp))
    S = all_states(nh)
    p = JZ.normalized_weights(-_free_energy_hidden(S, W, a, b))
    pv = sigmoid(S @ W.T + a)
    return {"W": np.einsum("n,ni,nj->ij", p, pv, S), "a": p @ pv, "b": p @ S}


def visible_law(W, a, b, *, max_units=20):
    """Exact :math:`p(v)` over :func:`all_states` (n_v) ``(states, probabilities)``; n_v <= ``max_units``.

    Parameters
    ----------
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    max_units : int, the largest n_v enumerated
    """
    W, a, b = check_params(W, a, b)
    if W.shape[0] > max_units:
        raise EnumerationTooLargeError(
            f"visible_law enumerates all 2^{W.shape[0]} visible states; limit n_visible <= {max_units}"
        )
    S = all_states(W.shape[0])
    return S, JZ.normalized_weights(-free_energy_unchecked(S, W, a, b))


def empirical_entropy(data):
    _, counts = np.unique(state_index(data) if data.shape[1] <= 62 else data, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def log_likelihood(data, W, a, b, *, method="auto", max_units=20, n_chains=1000, n_betas=1000, seed=0):
    r"""Mean log-likelihood :math:`\frac1n\sum_d\log p(v_d)=-\langle F\rangle_D-\log Z`.

    ``method``: ``"exact"`` (enumeration), ``"ais"`` (:func:`ais_log_partition`), or ``"auto"``
    (exact when the smaller layer has <= ``max_units`` units). Returns ``(value, stderr)``,
    stderr 0 for the exact route.

    Parameters
    ----------
    data : array (M, n_v) of 0/1 units
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    method : ``"auto"`` (exact when the smaller layer has <= ``max_units`` units), ``"exact"`` or ``"ais"``
    max_units : int, enumeration limit of the exact route
    n_chains, n_betas : ints >= 1, AIS chains and inverse temperatures
    seed : int >= 0, seeds AIS
    """
    W, a, b = check_params(W, a, b)
    data = V.binary(data, "data", ndim=2, n_cols=W.shape[0])
    method = V.choice(method, "method", ("auto", "exact", "ais"))
    if method == "auto":
        method = "exact" if min(W.shape) <= max_units else "ais"
    mean_f = float(np.mean(free_energy_unchecked(data, W, a, b)))
    if method == "exact":
        check_enumerable(*W.shape, MAX_EXACT_UNITS)
        return -mean_f - log_partition_unchecked(W, a, b), 0.0
    lz, se = ais_log_partition(W, a, b, n_chains=n_chains, n_betas=n_betas, seed=seed)
    return -mean_f - lz, se


def kl_to_data(data, W, a, b):
    r""":math:`\mathrm{KL}(p_D\|p_\theta)=-H(p_D)-\langle\log p_\theta\rangle_D` with :math:`p_D` the
    empirical law of ``data`` (exact log Z; theory.md 9.7).

    Parameters
    ----------
    data : array (M, n_v) of 0/1 units (its empirical law p_D)
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    """
    ll, _ = log_likelihood(data, W, a, b, method="exact")
    return -empirical_entropy(V.binary(data, "data", ndim=2)) - ll


# --------------------------------------------------------------------------------------
# block Gibbs
# --------------------------------------------------------------------------------------
class Gibbs:
    """Persistent per-chain streams and scratch space for block-Gibbs sweeps.

    Row c of every batch of chains draws from stream c, which advances from call to call
    (streams are created once: seeding costs more than a sweep)."""

    def __init__(self, n_chains, nv, nh, seed, stream, backend):
        self.states = chain_states(seed, n_chains, stream=stream)
        self.H = np.empty((n_chains, nh))
        self.backend = backend

    def sweep(self, X, W, a, b, n):
        """Advance the rows of X (C-contiguous float, in place) by n sweeps."""
        m = X.shape[0]
        if m > self.states.shape[0]:  # pragma: no cover - sized by the callers
            raise ValueError("more chains than streams")
        st, H = self.states[:m], self.H[:m]
        if n <= 0:
            return X
        small = m * W.size * n < _SERIAL_WORK  # waking a thread costs more than it saves
        if self.backend == "numba":
            Wt = np.ascontiguousarray(W.T)  # the kernel adds contiguous rows of W^T
            (_kern.gibbs_fused_serial if small else _kern.gibbs_fused)(X, H, W, Wt, a, b, int(n), st)
        else:
            draw = _kern.bernoulli_inplace_serial if small else _kern.bernoulli_inplace
            for _ in range(int(n)):
                np.matmul(X, W, out=H)
                H += b
                draw(H, st)
                np.matmul(H, W.T, out=X)  # BLAS reads the transpose in place (no copy of W per sweep)
                X += a
                draw(X, st)
        return X

    def sweep_from_probs(self, X, P, W, a, b, n):
        """Advance the rows of X (in place) by n sweeps whose first hidden half-step draws
        h ~ Bern(P) (rows of ``P``, hidden probabilities kept from the last statistics) instead
        of h | v: scikit-learn's PCD order, one matrix product fewer per update."""
        m = X.shape[0]
        st, H = self.states[:m], self.H[:m]
        if n <= 0:
            return X
        small = m * W.size * n < _SERIAL_WORK
        if self.backend == "numba":
            Wt = np.ascontiguousarray(W.T)
            (_kern.gibbs_from_probs_serial if small else _kern.gibbs_from_probs)(X, H, P, W, Wt, a, b, int(n), st)
            return X
        _kern.bernoulli_from_probs(P, st, H)
        np.matmul(H, W.T, out=X)
        X += a
        (_kern.bernoulli_inplace_serial if small else _kern.bernoulli_inplace)(X, st)
        return self.sweep(X, W, a, b, n - 1)

    def draw(self, probs, m):
        """m rows of independent Bernoulli(probs) units (exact sampling of a product law)."""
        P = np.ascontiguousarray(np.broadcast_to(probs, (m, np.size(probs))), dtype=float)
        out = np.empty_like(P)
        _kern.bernoulli_from_probs(P, self.states[:m], out)
        return out


def check_backend(backend, nv, nh):
    """The block-Gibbs backend: ``"numba"``, ``"blas"``, or for ``"auto"`` the faster of the two
    for an n_v x n_h model (:data:`AUTO_BLAS_WEIGHTS`)."""
    backend = V.choice(backend, "backend", BACKENDS + ("auto",))
    if backend == "auto":
        return "blas" if nv * nh >= AUTO_BLAS_WEIGHTS else "numba"
    return backend


def p0_probs(p0, data, nv):
    if isinstance(p0, str):
        V.choice(p0, "p0", P0S)
        if p0 == "uniform":
            return np.full(nv, 0.5)
        if data is None:
            raise ValueError("p0='data-marginals' needs the data")
        return data.mean(axis=0)
    p = V.vector(p0, "p0 (unit probabilities)", nv)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p0 given as probabilities must lie in [0, 1]")
    return p


def sample(W, a, b, n_sweeps, n_chains, *, v0=None, p0="uniform", seed=0, backend="auto"):
    r"""Run ``n_chains`` block-Gibbs chains for ``n_sweeps`` sweeps (Numba, parallel over chains).

    Start at ``v0`` (n_chains, n_v) or at independent draws from ``p0`` (``"uniform"``, or an
    array of unit probabilities). Same seed -> identical bits, whatever the number of threads.
    ``backend``: ``"numba"`` (fused kernel), ``"blas"`` (BLAS products + Numba sampling) or
    ``"auto"``. Returns the final visible states (n_chains, n_v).

    Parameters
    ----------
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    n_sweeps : int >= 0, block-Gibbs sweeps (v -> h -> v)
    n_chains : int >= 1
    v0 : array (n_chains, n_v) or (n_v,) of 0/1 start states, or None (draws from ``p0``)
    p0 : ``"uniform"`` or an array (n_v,) of unit probabilities, the start law when ``v0`` is None
    seed : int >= 0
    backend : ``"auto"`` (``"blas"`` from n_v * n_h >= AUTO_BLAS_WEIGHTS = 16384, else ``"numba"``),
        ``"numba"`` or ``"blas"``
    """
    W, a, b = check_params(W, a, b)
    nv, nh = W.shape
    n_sweeps = V.integer(n_sweeps, "n_sweeps", low=0)
    n_chains = V.integer(n_chains, "n_chains", low=1)
    seed = V.seed(seed)
    g = Gibbs(n_chains, nv, nh, seed, Stream.RBM_SAMPLE, check_backend(backend, nv, nh))
    if v0 is None:
        X = g.draw(p0_probs(p0, None, nv), n_chains)
    else:
        X = np.array(V.binary(v0, "v0", ndim=2, n_cols=nv), order="C")
        if X.shape[0] != n_chains:
            raise ValueError(f"v0 must have n_chains = {n_chains} rows, got {X.shape[0]}")
    return g.sweep(X, W, a, b, n_sweeps)


# --------------------------------------------------------------------------------------
# exact visible chain (tiny models): the n_chains -> infinity limit of the same kernel
# --------------------------------------------------------------------------------------
class ExactChain:
    r"""The visible block-Gibbs chain as a Markov matrix through the hidden layer,
    :math:`T=P(h|v)\,P(v'|h)`, applied as two products (never formed)."""

    def __init__(self, nv, nh):
        if 2 ** (nv + nh) > MAX_EXACT_CHAIN:
            raise EnumerationTooLargeError(
                f"the exact RBM chain needs 2^(n_visible + n_hidden) = 2^{nv + nh} <= {MAX_EXACT_CHAIN} entries"
            )
        self.Sv, self.Sh = all_states(nv), all_states(nh)

    @staticmethod
    def _cond(S_from, S_to, pre):
        """Matrix P(to | from) of a factorised Bernoulli law with logits pre (rows: from-states)."""
        return np.exp(special.log_expit(pre) @ S_to.T + special.log_expit(-pre) @ (1.0 - S_to).T)

    def step(self, p, W, a, b, n):
        A = self._cond(self.Sv, self.Sh, self.Sv @ W + b)
        B = self._cond(self.Sh, self.Sv, self.Sh @ W.T + a)
        for _ in range(int(n)):
            p = (p @ A) @ B
        return p

    def stats(self, p, W, b):
        return rb_stats(self.Sv, W, b, weights=p)

    def empirical(self, data):
        return np.bincount(state_index(data), minlength=self.Sv.shape[0]) / data.shape[0]

    def product(self, probs):
        return np.exp(self.Sv @ np.log(np.maximum(probs, 1e-300))
                      + (1.0 - self.Sv) @ np.log(np.maximum(1.0 - probs, 1e-300)))


# --------------------------------------------------------------------------------------
# AIS
# --------------------------------------------------------------------------------------
class _BetaPath:
    """Lazy schedule W_beta = beta W, biases fixed (theory.md 7): no stored copies of W."""

    def __init__(self, W, a, b, betas):
        self.W, self.a, self.b, self.betas = W, a, b, betas

    def __len__(self):
        return len(self.betas)

    def __getitem__(self, i):
        return {"W": self.betas[i] * self.W, "a": self.a, "b": self.b}


def base_log_z(a, b):
    r""":math:`\log Z_0=\sum_i\mathrm{sp}(a_i)+\sum_j\mathrm{sp}(b_j)` of the W = 0 base model."""
    return float(np.sum(_softplus(a)) + np.sum(_softplus(b)))


def ais_log_partition(W, a, b, *, n_chains=1000, n_betas=1000, seed=0, backend="auto", progress=False):
    r"""Annealed importance sampling estimate of :math:`\log Z` (Neal 2001; theory.md 7 and 6.2).

    Base :math:`W=0` with the same biases (:math:`\log Z_0=\sum\mathrm{sp}(a)+\sum\mathrm{sp}(b)`,
    exact samples :math:`v_i\sim\mathrm{Bern}(\sigma(a_i))`), path :math:`W_\beta=\beta W` on
    ``n_betas`` equally spaced :math:`\beta\in[0,1]`; at each step one block-Gibbs sweep with
    :math:`\beta_l` then :math:`A\mathrel{+}=F_{\beta_l}(v)-F_{\beta_{l+1}}(v)`
    (:func:`solvable.jarzynski.invariant_increment`).

    Returns ``(estimate, stderr)`` with the delta-method SE :math:`\sqrt{(N/\mathrm{ESS}-1)/N}`
    (theory.md 8). :math:`\hat Z` is unbiased, :math:`\log\hat Z` biased low by about SE^2/2.

    Parameters
    ----------
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    n_chains : int >= 2, AIS chains
    n_betas : int >= 2, inverse temperatures from 0 to 1 (linear)
    seed : int >= 0
    backend : ``"auto"`` (``"blas"`` from n_v * n_h >= AUTO_BLAS_WEIGHTS = 16384, else ``"numba"``),
        ``"numba"`` or ``"blas"``
    progress : bool, show a progress bar
    """
    W, a, b = check_params(W, a, b)
    nv, nh = W.shape
    n_chains = V.integer(n_chains, "n_chains", low=2)
    n_betas = V.integer(n_betas, "n_betas", low=2)
    seed = V.seed(seed)
    g = Gibbs(n_chains, nv, nh, seed, Stream.RBM_SAMPLE, check_backend(backend, nv, nh))
    x0 = g.draw(sigmoid(a), n_chains)

    def move(p, x, s):
        return g.sweep(x.copy(), p["W"], p["a"], p["b"], 1)

    res = JZ.anneal(_BetaPath(W, a, b, np.linspace(0.0, 1.0, n_betas)), x0,
                    energy=lambda p, x: free_energy_unchecked(x, p["W"], p["a"], p["b"]), move=move,
                    rule="move-reweight", log_z0=base_log_z(a, b), seed=(seed, 1), progress=progress)
    return float(res.log_z[-1]), float(res.log_z_stderr)
