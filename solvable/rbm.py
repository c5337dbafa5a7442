r"""Bernoulli-Bernoulli restricted Boltzmann machine: exact laws, AIS, block Gibbs, training.

The exact laws, block Gibbs sampler and AIS live in :mod:`solvable.rbm_exact` and are re-exported
here; :func:`train`, :func:`compare` and :func:`compare_with_sklearn` live here.

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

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from __future__ import annotations

import time

import numpy as np

from . import _validate as V
from . import jarzynski as JZ
from .comparison import moments_vs_time
from .errors import DivergenceError
from .rbm_exact import (
    BACKENDS,
    AUTO_BLAS_WEIGHTS,
    MAX_EXACT_CHAIN,
    MAX_EXACT_UNITS,
    P0S,
    ais_log_partition,
    all_states,
    exact_stats,
    free_energy,
    free_energy_hidden,
    kl_to_data,
    log_likelihood,
    log_partition_exact,
    sample,
    visible_law,
)
from .rbm_exact import ExactChain as _ExactChain
from .rbm_exact import Gibbs as _Gibbs
from .rbm_exact import base_log_z as _base_log_z
from .rbm_exact import check_backend as _backend
from .rbm_exact import check_enumerable as _check_enumerable
from .rbm_exact import check_finite_params as _check_finite_params
from .rbm_exact import check_params as _params
from .rbm_exact import empirical_entropy as _empirical_entropy
from .rbm_exact import exact_stats_unchecked as _exact_stats
from .rbm_exact import free_energy_unchecked as _free_energy
from .rbm_exact import hidden_probs as _hidden_probs
from .rbm_exact import log_partition_unchecked as _log_partition
from .rbm_exact import p0_probs as _p0_probs
from .rbm_exact import rb_stats as _stats
from .rbm_exact import sigmoid as _sigmoid
from .seeds import Stream
from .training import TrainResult, Walkers, ascent, check_run


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
    "AUTO_BLAS_WEIGHTS",
    "MAX_EXACT_CHAIN",
]

SCHEMES = ("cd", "pcd", "short-run", "jarzynski", "exact")
ENGINES = ("simulate", "exact")


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


class _ReusedHidden:
    r"""PCD in scikit-learn's order (``BernoulliRBM``'s PCD-1): the statistics of an update keep the
    hidden probabilities :math:`\sigma(b+W^\top v)` of the chains, and the next update's first
    hidden half-step draws from them (computed with the previous parameters) instead of
    recomputing them: five matrix products per update instead of six."""

    def __init__(self, gibbs, n_chains, nh):
        self.g, self.P, self.fresh = gibbs, np.empty((n_chains, nh)), False

    def move(self, p, st, kk, s):
        X = st[0]
        if self.fresh:
            return self.g.sweep_from_probs(X, self.P, p["W"], p["a"], p["b"], kk), p
        return self.g.sweep(X, p["W"], p["a"], p["b"], kk), p

    def stats(self, st):
        out = _stats(st[0], st[1]["W"], st[1]["b"], probs_out=self.P)
        self.fresh = True
        return out


def _walkers(scheme, engine, k, batches, params0, n_chains, p0p, seed, backend, ess_threshold, reuse_hidden=False):
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
    g = _Gibbs(n_streams, nv, nh, seed, Stream.RBM_TRAIN, backend)
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

    if reuse_hidden:
        r = _ReusedHidden(g, n_chains, nh)
        return Walkers(scheme=scheme, k=k, move=r.move, stats=r.stats,
                       start_p0=lambda s: (g.draw(p0p, n_chains), None), start_data=None)

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
          eval_every=None, ais_chains=500, ais_betas=500, ess_threshold=0.5, reuse_hidden=False, progress=True):
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

    Parameters
    ----------
    data : array (M, n_v) of 0/1 units, M >= 2
    scheme : ``"cd"``, ``"pcd"``, ``"short-run"``, ``"jarzynski"`` or ``"exact"`` (see above)
    k : int >= 1, block-Gibbs sweeps per update (per chain)
    n_hidden : int >= 1, number of hidden units n_h
    lr : float > 0, learning rate :math:`\gamma`
    n_epochs : int >= 1, passes over the data
    batch_size : int >= 1, minibatch size (``M // batch_size`` updates per epoch)
    seed : int >= 0, seeds the initial weights, the minibatch order, the chains and AIS
    n_chains : int >= 2 or None, chains (pcd, short-run) or walkers (jarzynski); default
        ``min(batch_size, M)``
    p0 : ``"uniform"``, ``"data-marginals"`` or an array (n_v,) of unit probabilities in [0, 1]:
        the start law of short runs (independent units)
    engine : ``"simulate"`` (chains) or ``"exact"`` (the exact visible law; tiny models, schemes
        cd, pcd, short-run)
    init_scale : float >= 0, standard deviation of the default initial weights ``W0``
    W0 : array (n_v, n_h) or None, initial weights (default ``init_scale`` * N(0, 1))
    a0, b0 : arrays (n_v,), (n_h,) or scalars or None, initial visible / hidden biases (default 0)
    backend : ``"auto"``, ``"numba"`` or ``"blas"``, the block-Gibbs implementation (same law; auto:
        ``"blas"`` from n_v * n_h >= AUTO_BLAS_WEIGHTS = 16384 weights, ``"numba"`` below)
    log_likelihood : ``"auto"``, ``"exact"``, ``"ais"`` or ``"none"``, how the evaluations compute
        the mean log-likelihood (auto: exact when the smaller layer has <= 20 units)
    eval_every : int >= 1 or None, epochs between evaluations (default above)
    ais_chains, ais_betas : ints >= 1, AIS chains and inverse temperatures of the evaluations
    ess_threshold : float in [0, 1], Jarzynski resampling when ESS < ess_threshold * n_chains
    reuse_hidden : bool, PCD with chains only (default False). True: scikit-learn's PCD order
        (``BernoulliRBM``) -- the first hidden half-step of an update draws from the hidden
        probabilities that the previous update's statistics computed (with the previous
        parameters): five matrix products per update instead of six. False: every sweep draws
        h | v with the current parameters. At fixed parameters the two are the same chain and the
        same estimator (tested bit for bit); in training they differ by a one-update lag. Measured
        on binarised digits (34 pixels, 16 hidden, batch 100, 500 chains, 8 seeds,
        ``scripts/pcd_order_study.py``): at lr 0.2 and 40 epochs True is worse by 0.52 +- 0.14 nats
        (z -3.6) and level at about equal time (48 epochs: -0.07 +- 0.07); at lr 0.05 level
        (-0.001 +- 0.002). Speed: 5-17% shorter epochs in ``solvable bench`` (64 x 32, digits,
        784 x 128; ``docs/performance.md``).
    progress : bool, show a progress bar
    """
    X = V.binary(data, "data", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"data must have at least 2 rows (samples), got {X.shape[0]}")
    X = np.ascontiguousarray(X)
    n, nv = X.shape
    scheme, engine, lr, n_epochs, seed = check_run(scheme=scheme, schemes=SCHEMES, engine=engine, lr=lr,
                                                 n_iter=n_epochs, seed=seed, n_iter_name="n_epochs")
    if engine == "exact" and scheme not in ("cd", "pcd", "short-run"):
        raise ValueError(f"engine='exact' supports the schemes cd, pcd, short-run; got scheme={scheme!r}")
    k = V.integer(k, "k", low=1)
    nh = V.integer(n_hidden, "n_hidden", low=1)
    batch_size = V.integer(batch_size, "batch_size", low=1)
    n_chains = min(batch_size, n) if n_chains is None else V.integer(n_chains, "n_chains", low=2)
    backend = _backend(backend, nv, nh)
    ll_method = V.choice(log_likelihood, "log_likelihood", ("auto", "exact", "ais", "none"))
    if ll_method == "auto":
        ll_method = "exact" if min(nv, nh) <= 20 else "ais"
    if ll_method == "exact":
        _check_enumerable(nv, nh, MAX_EXACT_UNITS, "log_likelihood='exact'")
    init_scale = V.real(init_scale, "init_scale", low=0.0)
    ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
    p0p = _p0_probs(p0, X, nv)
    reusable = scheme == "pcd" and engine == "simulate"
    if not isinstance(reuse_hidden, (bool, np.bool_)):
        raise TypeError(f"reuse_hidden must be True or False, got {reuse_hidden!r}")
    elif reuse_hidden and not reusable:
        raise ValueError("reuse_hidden=True needs scheme='pcd' with engine='simulate' "
                         f"(persistent chains); got scheme={scheme!r}, engine={engine!r}")

    params0 = _init_params(nv, nh, seed, init_scale, W0, a0, b0)
    batches = _Batches(X, batch_size, seed)
    walkers = _walkers(scheme, engine, k, batches, params0, n_chains, p0p, seed, backend, ess_threshold,
                       bool(reuse_hidden))
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
    (Rao-Blackwellised :math:`\langle vh\rangle`), and :math:`v_iv_{i'}` for i < i'. Shape (M, p).

    Parameters
    ----------
    v : array (n, n_v) of visible states
    W : array (n_v, n_h); b : (n_h,)
    """
    ph = _hidden_probs(v, W, b)
    iu = np.triu_indices(v.shape[1], 1)
    vh = (v[:, :, None] * ph[:, None, :]).reshape(v.shape[0], -1)
    return np.hstack([v, vh, v[:, iu[0]] * v[:, iu[1]]])


def feature_labels(nv, nh):
    """Labels of the columns of :func:`features`: ``<v_i>``, ``<v_i h_j>``, ``<v_i v_j>`` (i < j).

    Parameters
    ----------
    nv, nh : ints >= 1, the layer sizes
    """
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

    Parameters
    ----------
    data : array (M, n_v) of 0/1 units
    W : array (n_v, n_h); a : (n_v,); b : (n_h,)
    k : int >= 0, the training time (sweeps) the default times are built around
    p0 : ``"uniform"``, ``"data-marginals"`` or an array (n_v,) of unit probabilities, the start law
    times : list of ints >= 0 or None (default around k)
    n_chains : int >= 2
    seed : int >= 0
    backend : ``"auto"`` (``"blas"`` from n_v * n_h >= AUTO_BLAS_WEIGHTS = 16384, else ``"numba"``),
        ``"numba"`` or ``"blas"``
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
    g = _Gibbs(n_chains, nv, nh, seed, Stream.RBM_COMPARE, _backend(backend, nv, nh))
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

    Parameters
    ----------
    data : array (M, n_v) of 0/1 units
    n_hidden, lr, n_epochs, batch_size, seed, k : as in :func:`train` (scheme ``"pcd"``)
    method : ``"auto"``, ``"exact"`` or ``"ais"``, how the log-likelihoods are evaluated
    ais_chains, ais_betas : ints >= 1, AIS settings of the evaluation
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
