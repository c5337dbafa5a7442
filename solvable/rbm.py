r"""Bernoulli-Bernoulli restricted Boltzmann machine: exact laws, AIS, block Gibbs, training.

Units :math:`v\in\{0,1\}^{n_v}`, :math:`h\in\{0,1\}^{n_h}`, energy
:math:`E(v,h)=-a\cdot v-b\cdot h-v^\top Wh` (theory.md section 7 writes
:math:`b^v=a`, :math:`b^u=b`, :math:`u=h`). Free energies

.. math:: F(v)=-a\cdot v-\sum_j\mathrm{sp}(b_j+(W^\top v)_j),\qquad
          \tilde F(h)=-b\cdot h-\sum_i\mathrm{sp}(a_i+(Wh)_i),

:math:`\log Z=\mathrm{logsumexp}(-F)=\mathrm{logsumexp}(-\tilde F)`, enumerated over the
smaller layer. The model is an exponential family with statistics
:math:`(v, h, vh^\top)` conjugate to :math:`(a, b, W)`; every gradient statistic is
Rao-Blackwellised, :math:`h\to\sigma(b+W^\top v)` of the **final** visible state of a
chain (theory.md 7; reusing the hidden sample of the previous half-step biases it).

Time unit: one *sweep* = :math:`h\sim p(h|v)` then :math:`v\sim p(v|h)`; a k-sweep
chain ends on v (no fresh hidden sample at the end).

Data flow: :func:`free_energy`, :func:`log_partition_exact`, :func:`exact_stats`
(enumeration) and :func:`ais_log_partition` (AIS, theory.md 7 + 6.2) ->
:func:`sample` (Numba block Gibbs, per-chain streams) -> :func:`train` (the shared loop
of :mod:`solvable.training`; schemes cd, pcd, short-run, jarzynski, exact) ->
:func:`compare` (moments of the trained dynamics vs time) and
:func:`compare_with_sklearn`.
"""
from __future__ import annotations

import time

import numpy as np
from scipy import special

from . import _validate as V
from . import jarzynski as JZ
from .comparison import moments_vs_time
from .errors import DivergenceError, EnumerationTooLargeError
from .kernels import rbm as _kern
from .kernels._rng import chain_states
from .training import TrainResult, Walkers, ascent

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
    "train",
    "compare",
    "compare_with_sklearn",
    "features",
    "feature_labels",
    "all_states",
    "SCHEMES",
    "BACKENDS",
    "P0S",
    "MAX_EXACT_UNITS",
]

SCHEMES = ("cd", "pcd", "short-run", "jarzynski", "exact")
ENGINES = ("simulate", "exact")
#: block-Gibbs implementations: one fused Numba kernel, or BLAS products + Numba sampling
BACKENDS = ("numba", "blas")
#: default backend, chosen by measurement on the 2-core development machine (ms per sweep, min of 7;
#: chains x n_v x n_h): with 2 Numba threads, numba/blas = 1.2/1.1 (1000x10x4), 3.5/60 (500x64x64),
#: 104/197 (200x784x500) -- BLAS threads contend with Numba's; single-threaded, 0.40/0.28, 5.4/4.0,
#: 136/36. "blas" pays off for large layers when Numba runs on one thread.
DEFAULT_BACKEND = "numba"
#: start laws p0 of short-run chains
P0S = ("uniform", "data-marginals")
#: largest smaller layer that log_partition_exact enumerates by default
MAX_EXACT_UNITS = 25
#: chains x n_v x n_h below which a sweep runs on one thread (same bits). Measured (2 threads, loaded
#: 2-core machine, median ms): 100x64x16 serial 0.39 vs parallel 8.0; 500x64x64 11.2 vs 9.3.
_SERIAL_WORK = 2**20
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


def _sigmoid(z):
    return special.expit(z)


def _free_energy(v, W, a, b):
    r""":math:`F(v)=-a\cdot v-\sum_j\mathrm{sp}(b_j+(W^\top v)_j)` (theory.md 7), rows of v."""
    return -(v @ a) - np.sum(_softplus(v @ W + b), axis=-1)


def _free_energy_hidden(h, W, a, b):
    r""":math:`\tilde F(h)=-b\cdot h-\sum_i\mathrm{sp}(a_i+(Wh)_i)` (theory.md 7), rows of h."""
    return -(h @ b) - np.sum(_softplus(h @ W.T + a), axis=-1)


def _hidden_probs(v, W, b):
    r""":math:`\sigma(b+W^\top v)`: the Rao-Blackwellised hidden statistic of each row of v."""
    return _sigmoid(v @ W + b)


def _stats(v, W, b, weights=None):
    r"""Rao-Blackwellised sufficient statistics of visible states ``v`` (rows), theory.md 7:

    .. math:: \{W: \langle v\,\sigma(b+W^\top v)^\top\rangle,\ a: \langle v\rangle,\
              b: \langle\sigma(b+W^\top v)\rangle\}

    averaged with ``weights`` (default uniform). The one place this formula lives: data
    term, chains, Jarzynski walkers and the exact route all call it.
    """
    n = v.shape[0]
    nv, nh = W.shape
    if n * nv * nh <= _STATS_KERNEL_WORK:
        # small batches: one Numba pass instead of five NumPy/BLAS calls (per-call overhead)
        out = {"W": np.empty((nv, nh)), "a": np.empty(nv), "b": np.empty(nh)}
        _kern.rb_stats(np.ascontiguousarray(v, dtype=float), np.ascontiguousarray(W), np.ascontiguousarray(b),
                       _NO_WEIGHTS if weights is None else np.ascontiguousarray(weights, dtype=float), 1.0 / n,
                       out["W"], out["a"], out["b"], np.empty(nh))
        return out
    # otherwise: the BLAS product V W, one Numba pass (sigmoid, weights, the two sums), BLAS V^T P
    v = np.ascontiguousarray(v, dtype=float)
    P = v @ W
    Sa, Sb = np.empty(nv), np.empty(nh)
    _kern.rb_weigh(P, v, np.ascontiguousarray(b),
                   _NO_WEIGHTS if weights is None else np.ascontiguousarray(weights, dtype=float), 1.0 / n, Sa, Sb)
    return {"W": v.T @ P, "a": Sa, "b": Sb}


def all_states(n):
    """All 2**n binary vectors as rows of a float array; unit i is bit i of the row index."""
    n = V.integer(n, "n", low=0, high=30)
    return _bits(np.arange(2**n), n)


def _bits(idx, n):
    return ((np.asarray(idx)[:, None] >> np.arange(n)) & 1).astype(float)


def _index(v):
    """Row index of each binary state in :func:`all_states` order."""
    return (v @ (2.0 ** np.arange(v.shape[1]))).astype(np.int64)


# --------------------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------------------
def _params(W, a, b):
    W = V.finite_array(W, "W", ndim=2)
    nv, nh = W.shape
    if nv < 1 or nh < 1:
        raise ValueError(f"W must have shape (n_visible, n_hidden) with both >= 1, got {W.shape}")
    a = V.vector(a, "a (visible bias)", nv)
    b = V.vector(b, "b (hidden bias)", nh)
    return np.ascontiguousarray(W), a, b


def _check_finite_params(W, a, b, where):
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise DivergenceError(f"{where}: the RBM parameters contain NaN or inf (training diverged; lower lr)")


def _check_enumerable(nv, nh, max_units, what="exact log Z"):
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
    """
    W, a, b = _params(W, a, b)
    v = V.binary(v, "v", ndim=(1, 2), n_cols=W.shape[0])
    out = _free_energy(v, W, a, b)
    return float(out) if v.ndim == 1 else out


def free_energy_hidden(h, W, a, b):
    r"""Hidden free energy :math:`\tilde F(h)=-b\cdot h-\sum_i\mathrm{sp}(a_i+(Wh)_i)` (theory.md 7)."""
    W, a, b = _params(W, a, b)
    h = V.binary(h, "h", ndim=(1, 2), n_cols=W.shape[1])
    out = _free_energy_hidden(h, W, a, b)
    return float(out) if h.ndim == 1 else out


def _chunks(n, size=2**16):
    for start in range(0, 2**n, size):
        yield _bits(np.arange(start, min(2**n, start + size)), n)


def _log_partition(W, a, b):
    """Enumerate the smaller layer in chunks of 2**16 states with a running log-sum-exp."""
    nv, nh = W.shape
    if nh <= nv:
        f = lambda s: -_free_energy_hidden(s, W, a, b)  # noqa: E731
        n = nh
    else:
        f = lambda s: -_free_energy(s, W, a, b)  # noqa: E731
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
    """
    W, a, b = _params(W, a, b)
    max_units = V.integer(max_units, "max_units", low=0, high=40)
    _check_enumerable(*W.shape, max_units)
    return float(_log_partition(W, a, b))


def exact_stats(W, a, b, *, max_units=MAX_EXACT_UNITS):
    r"""Exact model averages :math:`\{W:\langle vh^\top\rangle, a:\langle v\rangle, b:\langle h\rangle\}`
    by enumerating the smaller layer: with visible states, :func:`_stats` under :math:`p(v)`;
    with hidden states, :math:`\langle vh^\top\rangle=\sum_hp(h)\sigma(a+Wh)h^\top`."""
    W, a, b = _params(W, a, b)
    _check_enumerable(*W.shape, max_units, "exact_stats")
    return _exact_stats(W, a, b)


def _exact_stats(W, a, b):
    nv, nh = W.shape
    if nv <= nh:
        S = all_states(nv)
        lp = -_free_energy(S, W, a, b)
        return _stats(S, W, b, weights=JZ.normalized_weights(lp))
    S = all_states(nh)
    p = JZ.normalized_weights(-_free_energy_hidden(S, W, a, b))
    pv = _sigmoid(S @ W.T + a)
    return {"W": np.einsum("n,ni,nj->ij", p, pv, S), "a": p @ pv, "b": p @ S}


def visible_law(W, a, b, *, max_units=20):
    """Exact :math:`p(v)` over :func:`all_states` (n_v) ``(states, probabilities)``; n_v <= ``max_units``."""
    W, a, b = _params(W, a, b)
    if W.shape[0] > max_units:
        raise EnumerationTooLargeError(
            f"visible_law enumerates all 2^{W.shape[0]} visible states; limit n_visible <= {max_units}"
        )
    S = all_states(W.shape[0])
    return S, JZ.normalized_weights(-_free_energy(S, W, a, b))


def _empirical_entropy(data):
    _, counts = np.unique(_index(data) if data.shape[1] <= 62 else data, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def log_likelihood(data, W, a, b, *, method="auto", max_units=20, n_chains=1000, n_betas=1000, seed=0):
    r"""Mean log-likelihood :math:`\frac1n\sum_d\log p(v_d)=-\langle F\rangle_D-\log Z`.

    ``method``: ``"exact"`` (enumeration), ``"ais"`` (:func:`ais_log_partition`), or ``"auto"``
    (exact when the smaller layer has <= ``max_units`` units). Returns ``(value, stderr)``,
    stderr 0 for the exact route.
    """
    W, a, b = _params(W, a, b)
    data = V.binary(data, "data", ndim=2, n_cols=W.shape[0])
    method = V.choice(method, "method", ("auto", "exact", "ais"))
    if method == "auto":
        method = "exact" if min(W.shape) <= max_units else "ais"
    mean_f = float(np.mean(_free_energy(data, W, a, b)))
    if method == "exact":
        _check_enumerable(*W.shape, MAX_EXACT_UNITS)
        return -mean_f - _log_partition(W, a, b), 0.0
    lz, se = ais_log_partition(W, a, b, n_chains=n_chains, n_betas=n_betas, seed=seed)
    return -mean_f - lz, se


def kl_to_data(data, W, a, b):
    r""":math:`\mathrm{KL}(p_D\|p_\theta)=-H(p_D)-\langle\log p_\theta\rangle_D` with :math:`p_D` the
    empirical law of ``data`` (exact log Z; theory.md 9.7)."""
    ll, _ = log_likelihood(data, W, a, b, method="exact")
    return -_empirical_entropy(V.binary(data, "data", ndim=2)) - ll


# --------------------------------------------------------------------------------------
# block Gibbs
# --------------------------------------------------------------------------------------
class _Gibbs:
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
        Wt = np.ascontiguousarray(W.T)
        small = m * W.size < _SERIAL_WORK  # a parallel region costs more than it saves
        if self.backend == "numba":
            (_kern.gibbs_fused_serial if small else _kern.gibbs_fused)(X, H, W, Wt, a, b, int(n), st)
        else:
            draw = _kern.bernoulli_inplace_serial if small else _kern.bernoulli_inplace
            for _ in range(int(n)):
                np.matmul(X, W, out=H)
                H += b
                draw(H, st)
                np.matmul(H, Wt, out=X)
                X += a
                draw(X, st)
        return X

    def draw(self, probs, m):
        """m rows of independent Bernoulli(probs) units (exact sampling of a product law)."""
        P = np.ascontiguousarray(np.broadcast_to(probs, (m, np.size(probs))), dtype=float)
        out = np.empty_like(P)
        _kern.bernoulli_from_probs(P, self.states[:m], out)
        return out


def _backend(backend):
    backend = V.choice(backend, "backend", BACKENDS + ("auto",))
    return DEFAULT_BACKEND if backend == "auto" else backend


def _p0_probs(p0, data, nv):
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
    """
    W, a, b = _params(W, a, b)
    nv, nh = W.shape
    n_sweeps = V.integer(n_sweeps, "n_sweeps", low=0)
    n_chains = V.integer(n_chains, "n_chains", low=1)
    seed = V.seed(seed)
    g = _Gibbs(n_chains, nv, nh, seed, 0, _backend(backend))
    if v0 is None:
        X = g.draw(_p0_probs(p0, None, nv), n_chains)
    else:
        X = np.array(V.binary(v0, "v0", ndim=2, n_cols=nv), order="C")
        if X.shape[0] != n_chains:
            raise ValueError(f"v0 must have n_chains = {n_chains} rows, got {X.shape[0]}")
    return g.sweep(X, W, a, b, n_sweeps)


# --------------------------------------------------------------------------------------
# exact visible chain (tiny models): the n_chains -> infinity limit of the same kernel
# --------------------------------------------------------------------------------------
class _ExactChain:
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
        return _stats(self.Sv, W, b, weights=p)

    def empirical(self, data):
        return np.bincount(_index(data), minlength=self.Sv.shape[0]) / data.shape[0]

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


def _base_log_z(a, b):
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
    """
    W, a, b = _params(W, a, b)
    nv, nh = W.shape
    n_chains = V.integer(n_chains, "n_chains", low=2)
    n_betas = V.integer(n_betas, "n_betas", low=2)
    seed = V.seed(seed)
    g = _Gibbs(n_chains, nv, nh, seed, 0, _backend(backend))
    x0 = g.draw(_sigmoid(a), n_chains)

    def move(p, x, s):
        return g.sweep(x.copy(), p["W"], p["a"], p["b"], 1)

    res = JZ.anneal(_BetaPath(W, a, b, np.linspace(0.0, 1.0, n_betas)), x0,
                    energy=lambda p, x: _free_energy(x, p["W"], p["a"], p["b"]), move=move,
                    rule="move-reweight", log_z0=_base_log_z(a, b), seed=(seed, 1), progress=progress)
    return float(res.log_z[-1]), float(res.log_z_stderr)


# --------------------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------------------
class _Batches:
    """Minibatch data term: a fresh seeded permutation per epoch, ``n // batch_size`` batches."""

    def __init__(self, data, batch_size, seed):
        self.data, self.seed = data, seed
        self.n = data.shape[0]
        self.bs = min(batch_size, self.n)
        self.n_batches = max(1, self.n // self.bs)
        self._epoch, self._perm, self._shuffled, self.current = -1, None, None, None

    def __call__(self, params, it):
        epoch, j = divmod(it, self.n_batches)
        if self.bs == self.n:
            self.current = self.data
        else:
            if epoch != self._epoch:
                rng = np.random.default_rng(np.random.SeedSequence((self.seed, 5, epoch)))
                # shuffle once per epoch; each batch is then a contiguous view (no gather per batch)
                self._perm, self._epoch = rng.permutation(self.n), epoch
                self._shuffled = self.data[self._perm]
            self.current = self._shuffled[j * self.bs:(j + 1) * self.bs]
        return _stats(self.current, params["W"], params["b"])


class _ExactGradient:
    """Model term = exact averages by enumeration (the maximum-likelihood gradient)."""

    def model_stats(self, params, seed):
        return _exact_stats(params["W"], params["a"], params["b"])

    def after_update(self, old, new, seed):
        pass


def _init_params(nv, nh, seed, init_scale, W0, a0, b0):
    rng = np.random.default_rng(np.random.SeedSequence((seed, 11)))
    W = init_scale * rng.standard_normal((nv, nh)) if W0 is None else V.finite_array(W0, "W0", ndim=2)
    if W.shape != (nv, nh):
        raise ValueError(f"W0 must have shape ({nv}, {nh}), got {W.shape}")
    return {"W": np.array(W, dtype=float), "a": V.vector(a0, "a0", nv, default=0.0),
            "b": V.vector(b0, "b0", nh, default=0.0)}


def _walkers(scheme, engine, k, batches, params0, n_chains, p0p, seed, backend, ess_threshold):
    nv, nh = params0["W"].shape
    if scheme == "exact":
        _check_enumerable(nv, nh, MAX_EXACT_UNITS, "scheme='exact' (the exact gradient)")
        return _ExactGradient()
    if engine == "exact":
        ch = _ExactChain(nv, nh)
        return Walkers(
            scheme=scheme, k=k,
            move=lambda p, law, kk, s: (ch.step(law[0], p["W"], p["a"], p["b"], kk), p),
            stats=lambda st: ch.stats(st[0], st[1]["W"], st[1]["b"]),
            start_p0=lambda s: (ch.product(p0p), None),
            start_data=lambda s: (ch.empirical(batches.current), None),
        )
    n_streams = max(n_chains, batches.bs)
    g = _Gibbs(n_streams, nv, nh, seed, 1, backend)
    if scheme == "jarzynski":
        # exact base samples (W = 0), importance-weighted to the initial model: log_w0 = F_base - F_theta0
        base = {"W": np.zeros((nv, nh)), "a": params0["a"], "b": params0["b"]}
        x0 = g.draw(_sigmoid(params0["a"]), n_chains)
        F = lambda p, x: _free_energy(x, p["W"], p["a"], p["b"])  # noqa: E731
        return JZ.JarzynskiWalkers(
            energy=F,
            move=lambda p, x, s: g.sweep(x.copy(), p["W"], p["a"], p["b"], 1),
            stats=lambda p, x, w: _stats(x, p["W"], p["b"], weights=w),
            x0=x0, k=k,
            log_w0=JZ.invariant_increment(x0, lambda x: F(base, x), lambda x: F(params0, x)),
            log_z0=_base_log_z(params0["a"], params0["b"]),
            ess_threshold=ess_threshold,
        )

    def move(p, st, kk, s):
        # sweep in place, except the data (cd starts at the batch, a view of the data)
        X = np.array(st[0], order="C", copy=True) if scheme == "cd" else st[0]
        return g.sweep(X, p["W"], p["a"], p["b"], kk), p

    return Walkers(
        scheme=scheme, k=k, move=move,
        stats=lambda st: _stats(st[0], st[1]["W"], st[1]["b"]),
        start_p0=lambda s: (g.draw(p0p, n_chains), None),
        start_data=lambda s: (batches.current, None),
    )


def train(data, *, scheme, k=1, n_hidden, lr, n_epochs, batch_size, seed=0, n_chains=None, p0="uniform",
          engine="simulate", init_scale=0.01, W0=None, a0=None, b0=None, backend="auto", log_likelihood="auto",
          eval_every=None, ais_chains=500, ais_betas=500, ess_threshold=0.5, progress=True):
    r"""Train a Bernoulli-Bernoulli RBM by minibatch gradient ascent on the log-likelihood.

    Each iteration (one minibatch) runs the shared loop of :mod:`solvable.training`,

    .. math:: \theta\leftarrow\theta+\gamma\,(\langle\phi\rangle_{\rm batch}-\langle\phi\rangle_{\hat p}),
       \qquad \phi=(v\,\sigma(b+W^\top v)^\top,\ v,\ \sigma(b+W^\top v)),

    Rao-Blackwellised at the final visible state of each chain (theory.md 2.1, 7). Schemes:
    ``"cd"`` (the batch, k sweeps), ``"pcd"`` (``n_chains`` persistent chains, k sweeps per update),
    ``"short-run"`` (``n_chains`` fresh chains from ``p0`` = ``"uniform"``, ``"data-marginals"`` or an
    array of unit probabilities, k sweeps; Rdm-k), ``"jarzynski"`` (weighted persistent walkers,
    theory.md 6.2 with F, started from exact W = 0 samples importance-weighted to the initial model)
    and ``"exact"`` (the exact gradient by enumeration of the smaller layer).
    ``engine="exact"`` propagates the exact visible law instead of chains (tiny models only;
    schemes cd, pcd, short-run). Initial parameters: ``W0`` (default ``init_scale`` * N(0, 1)),
    ``a0``, ``b0`` (default 0). Minibatches: ``n // batch_size`` per epoch, a seeded permutation
    per epoch.

    History (besides the shared ``"params"``, ``"error"``): ``"eval_epochs"``,
    ``"log_likelihood"`` and ``"log_likelihood_se"`` (exact when the smaller layer has <= 20
    units, AIS otherwise, or as forced by ``log_likelihood="exact"|"ais"|"none"``), ``"kl"``
    (KL(empirical data || model), exact route only), ``"time_per_epoch"`` (training only,
    seconds), and for Jarzynski ``"ess"``, ``"log_z"`` (running estimate), ``"n_resamples"``.
    Evaluations every ``eval_every`` epochs (default: every epoch when exact, first and last
    with AIS).

    Raises :class:`~solvable.DivergenceError` when a parameter becomes non-finite.
    """
    X = V.binary(data, "data", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"data must have at least 2 rows (samples), got {X.shape[0]}")
    X = np.ascontiguousarray(X)
    n, nv = X.shape
    scheme = V.choice(scheme, "scheme", SCHEMES)
    engine = V.choice(engine, "engine", ENGINES)
    if engine == "exact" and scheme not in ("cd", "pcd", "short-run"):
        raise ValueError(f"engine='exact' supports the schemes cd, pcd, short-run; got scheme={scheme!r}")
    k = V.integer(k, "k", low=1)
    nh = V.integer(n_hidden, "n_hidden", low=1)
    lr = V.positive(lr, "lr")
    n_epochs = V.integer(n_epochs, "n_epochs", low=1)
    batch_size = V.integer(batch_size, "batch_size", low=1)
    seed = V.seed(seed)
    n_chains = min(batch_size, n) if n_chains is None else V.integer(n_chains, "n_chains", low=2)
    backend = _backend(backend)
    ll_method = V.choice(log_likelihood, "log_likelihood", ("auto", "exact", "ais", "none"))
    if ll_method == "auto":
        ll_method = "exact" if min(nv, nh) <= 20 else "ais"
    if ll_method == "exact":
        _check_enumerable(nv, nh, MAX_EXACT_UNITS, "log_likelihood='exact'")
    init_scale = V.real(init_scale, "init_scale", low=0.0)
    ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
    p0p = _p0_probs(p0, X, nv)

    params0 = _init_params(nv, nh, seed, init_scale, W0, a0, b0)
    batches = _Batches(X, batch_size, seed)
    walkers = _walkers(scheme, engine, k, batches, params0, n_chains, p0p, seed, backend, ess_threshold)
    n_iter = n_epochs * batches.n_batches
    t0 = time.perf_counter()
    params, history = ascent(
        params0, batches, walkers, lr=lr, n_iter=n_iter, seed=seed, progress=progress,
        desc=f"rbm {scheme}-{k}", hint="Hint: lower lr (an RBM diverges when the weights blow up).",
    )
    history["time_per_epoch"] = (time.perf_counter() - t0) / n_epochs
    if hasattr(walkers, "history"):
        history.update(walkers.history)
    history.update(_evaluate(X, history["params"], batches.n_batches, n_epochs, ll_method, eval_every,
                             ais_chains, ais_betas, seed, backend))
    return TrainResult(params=params, history=history, scheme=scheme, engine=engine, k=k)


def _evaluate(X, traj, n_batches, n_epochs, method, eval_every, ais_chains, ais_betas, seed, backend):
    if method == "none":
        return {}
    if eval_every is None:
        epochs = list(range(n_epochs + 1)) if method == "exact" else [0, n_epochs]
    else:
        every = V.integer(eval_every, "eval_every", low=1)
        epochs = sorted(set(range(0, n_epochs + 1, every)) | {n_epochs})
    h_emp = _empirical_entropy(X)
    ll, se, kl = [], [], []
    for e in epochs:
        it = e * n_batches
        W, a, b = traj["W"][it], traj["a"][it], traj["b"][it]
        _check_finite_params(W, a, b, f"epoch {e}")
        with np.errstate(over="ignore", invalid="ignore"):
            mean_f = float(np.mean(_free_energy(X, W, a, b)))
            if method == "exact":
                lz, s = _log_partition(W, a, b), 0.0
            else:
                lz, s = ais_log_partition(W, a, b, n_chains=ais_chains, n_betas=ais_betas, seed=seed,
                                          backend=backend)
        if not np.isfinite(-mean_f - lz):
            raise DivergenceError(
                f"epoch {e}: non-finite log-likelihood (max |W| = {np.max(np.abs(W)):.3g}); training diverged, "
                "lower lr")
        ll.append(-mean_f - lz)
        se.append(s)
        kl.append(-h_emp - ll[-1] if method == "exact" else np.nan)
    return {"eval_epochs": np.array(epochs), "log_likelihood": np.array(ll), "log_likelihood_se": np.array(se),
            "kl": np.array(kl), "log_likelihood_method": method}


# --------------------------------------------------------------------------------------
# comparisons
# --------------------------------------------------------------------------------------
def features(v, W, b):
    r"""Per-chain statistics compared over time: :math:`v_i`, :math:`v_i\sigma(b+W^\top v)_j`
    (Rao-Blackwellised :math:`\langle vh\rangle`), and :math:`v_iv_{i'}` for i < i'. Shape (M, p)."""
    ph = _hidden_probs(v, W, b)
    iu = np.triu_indices(v.shape[1], 1)
    vh = (v[:, :, None] * ph[:, None, :]).reshape(v.shape[0], -1)
    return np.hstack([v, vh, v[:, iu[0]] * v[:, iu[1]]])


def feature_labels(nv, nh):
    iu = np.triu_indices(nv, 1)
    return ([f"<v{i}>" for i in range(nv)] + [f"<v{i}h{j}>" for i in range(nv) for j in range(nh)]
            + [f"<v{i}v{j}>" for i, j in zip(*iu)])


def compare(data, W, a, b, k, *, p0="uniform", times=None, n_chains=20000, seed=0, backend="auto"):
    r"""Moments of the RBM dynamics started from ``p0`` at several times vs the data (theory.md 2.2).

    Statistics: :math:`\langle v\rangle`, :math:`\langle vh\rangle` (Rao-Blackwellised) and
    :math:`\langle vv\rangle` (:func:`features`), from ``n_chains`` fresh chains at ``times``
    (sweeps; default 0, k/2, k, 2k, 4k, 10k and 1000 sweeps as "long run"). Exact moments at every
    time (and at equilibrium) come from the exact visible chain when
    :math:`2^{n_v+n_h}\le 2^{24}`. A short-run-trained model should match the data at t = k only;
    note :math:`\langle vv\rangle` is *not* a sufficient statistic of the RBM, so its match at
    t = k is approximate. Returns :class:`solvable.comparison.MomentComparison`.
    """
    W, a, b = _params(W, a, b)
    nv, nh = W.shape
    X = V.binary(data, "data", ndim=2, n_cols=nv)
    k = V.integer(k, "k", low=0)
    n_chains = V.integer(n_chains, "n_chains", low=2)
    seed = V.seed(seed)
    p0p = _p0_probs(p0, X, nv)
    if times is None:
        times = sorted({0, max(k // 2, 1), k, 2 * k, 4 * k, 10 * k, 1000})
    times = [V.integer(t, "times", low=0) for t in times]
    g = _Gibbs(n_chains, nv, nh, seed, 3, _backend(backend))
    exact = equilibrium = None
    if 2 ** (nv + nh) <= MAX_EXACT_CHAIN:
        ch = _ExactChain(nv, nh)
        q0 = ch.product(p0p)

        def exact(t):
            return _law_features(ch, ch.step(q0, W, a, b, t), W, b)

        equilibrium = _law_features(ch, JZ.normalized_weights(-_free_energy(ch.Sv, W, a, b)), W, b)
    return moments_vs_time(
        times,
        start=lambda s: g.draw(p0p, n_chains),
        move=lambda x, dt, s: g.sweep(x, W, a, b, int(dt)),
        features=lambda x: features(x, W, b),
        data=features(X, W, b).mean(axis=0),
        labels=feature_labels(nv, nh),
        exact=exact,
        equilibrium=equilibrium,
        k=k,
        seed=seed,
    )


def _law_features(ch, p, W, b):
    return p @ features(ch.Sv, W, b)


def compare_with_sklearn(data, *, n_hidden=16, lr=0.05, n_epochs=10, batch_size=10, seed=0, k=1,
                         method="auto", ais_chains=500, ais_betas=1000):
    """Our PCD-k :func:`train` and scikit-learn's ``BernoulliRBM`` (PCD-1) side by side.

    Same data, hidden units, learning rate, batch size, epochs and initial weight scale
    (0.01); our run uses ``n_chains = batch_size`` persistent chains like scikit-learn.
    Returns ``{"ours": {...}, "sklearn": {...}}``, each with ``log_likelihood`` (per sample,
    nats; ``method`` as in :func:`log_likelihood`), ``log_likelihood_se``, ``time_per_epoch``
    (s, training only) and ``params``.
    """
    try:
        from sklearn.neural_network import BernoulliRBM  # noqa: PLC0415 (optional dependency)
    except ImportError as exc:  # pragma: no cover
        raise ImportError("compare_with_sklearn needs scikit-learn: `pip install solvable[sklearn]`") from exc
    X = V.binary(data, "data", ndim=2)
    res = train(X, scheme="pcd", k=k, n_hidden=n_hidden, lr=lr, n_epochs=n_epochs, batch_size=batch_size,
                seed=seed, n_chains=batch_size, log_likelihood="none", progress=False)
    sk = BernoulliRBM(n_components=n_hidden, learning_rate=lr, batch_size=batch_size, n_iter=n_epochs,
                      random_state=seed, verbose=0)
    t0 = time.perf_counter()
    sk.fit(X)
    t_sk = (time.perf_counter() - t0) / n_epochs
    out = {}
    for name, (W, a, b), t in (("ours", (res.W, res.a, res.b), res.history["time_per_epoch"]),
                               ("sklearn", (sk.components_.T, sk.intercept_visible_, sk.intercept_hidden_), t_sk)):
        ll, se = log_likelihood(X, W, a, b, method=method, n_chains=ais_chains, n_betas=ais_betas, seed=seed)
        out[name] = {"log_likelihood": ll, "log_likelihood_se": se, "time_per_epoch": t,
                     "params": {"W": np.array(W), "a": np.array(a), "b": np.array(b)}}
    return out
