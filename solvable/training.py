r"""The one training loop, shared by every model, and the chain-start schemes.

Every model in :mod:`solvable` is an exponential family
:math:`E_\theta(x) = -\sum_a \theta_a \phi_a(x)` (theory.md section 2.1), so
gradient ascent on the log-likelihood, with the model term replaced by a
surrogate law :math:`\hat p`, reads

.. math:: \theta_a \leftarrow \theta_a + \gamma\,[\langle\phi_a\rangle_D - \langle\phi_a\rangle_{\hat p}] .

A model supplies its statistics as a dict ``{parameter name: <phi>}`` with the same
keys as its parameters. A *scheme* says where the chains of :math:`\hat p` start:

=============  ===============================================  ==========================
scheme         start of the k steps at every update              fixed point (exp. family)
=============  ===============================================  ==========================
``short-run``  fresh draws from the fixed law p0 (Rdm-k)        <phi>_D = <phi>_{p0 T^k}
``cd``         the data (CD-k)                                  <phi>_D = <phi>_{p_D T^k}
``pcd``        where the chains stopped at the last update       stationary law of T
=============  ===============================================  ==========================

``engine="simulate"`` feeds the loop with Monte Carlo chains; ``engine="exact"``
with the exact law (closed form or enumeration) propagated by the same kernel,
which is the ``n_chains -> infinity`` limit of the same loop. Both go through
:class:`Walkers`, so the two routes differ only in how a law is represented.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, NamedTuple

import numpy as np
from tqdm.auto import tqdm

from . import _validate as V
from .errors import DivergenceError
from .seeds import Stream, generator

SCHEMES = ("short-run", "cd", "pcd")
ENGINES = ("simulate", "exact")


class RunArgs(NamedTuple):
    """The validated arguments every ``train`` shares (see :func:`check_run`)."""

    scheme: str
    engine: str | None
    lr: float
    n_iter: int
    seed: int


def check_run(*, scheme, schemes, lr, n_iter, seed, engine=None, engines=ENGINES, n_iter_name="n_iter"):
    """Validate the arguments that every model's ``train`` shares: the scheme (one of ``schemes``),
    the engine (one of ``engines``, or None when the model has one route), ``lr`` > 0,
    ``n_iter`` >= 1 (named ``n_iter_name`` in messages, e.g. ``n_epochs``) and ``seed`` >= 0.
    Raises ``ValueError`` naming the argument and the allowed values.

    Parameters
    ----------
    scheme : str, one of ``schemes``
    schemes : sequence of str, the schemes the model accepts
    lr : float > 0, the learning rate
    n_iter : int >= 1
    seed : int >= 0
    engine : str, one of ``engines``, or None (default: the model has one route)
    engines : sequence of str (default ``ENGINES``)
    n_iter_name : str, the name of ``n_iter`` in messages (default ``"n_iter"``)

    Returns
    -------
    :class:`RunArgs` ``(scheme, engine, lr, n_iter, seed)``, converted
    """
    return RunArgs(
        scheme=V.choice(scheme, "scheme", tuple(schemes)),
        engine=None if engine is None else V.choice(engine, "engine", tuple(engines)),
        lr=V.positive(lr, "lr"),
        n_iter=V.integer(n_iter, n_iter_name, low=1),
        seed=V.seed(seed),
    )


def data_rows(X, n_chains, stream=Stream.DATA):
    """``start_data(seed) -> n_chains rows of X`` drawn uniformly with replacement: the CD start
    (the chains begin at the data), the same function for every model. ``stream`` names the
    random stream (:class:`solvable.seeds.Stream`).

    Parameters
    ----------
    X : array (N, ...) of data rows, N >= 1
    n_chains : int >= 1, rows per draw
    stream : :class:`solvable.seeds.Stream` (default ``Stream.DATA``)

    Returns
    -------
    callable ``start_data(seed) -> (n_chains, ...) array``
    """
    X = np.asarray(X)

    def start_data(seed):
        return X[generator(seed, stream).integers(0, X.shape[0], size=n_chains)]

    return start_data


def iteration_seed(seed, iteration, stream=0):
    """The seed of one training iteration: a SeedSequence entropy tuple, never reused.

    Parameters
    ----------
    seed : int >= 0, the run's seed
    iteration : int >= 0
    stream : int >= 0 (default 0)

    Returns
    -------
    tuple of 3 ints ``(seed, stream, iteration)``
    """
    return (int(seed), int(stream), int(iteration))


@dataclasses.dataclass
class Walkers:
    """The model term of the gradient: a population (samples or an exact law) moved by a kernel.

    Parameters
    ----------
    scheme : one of :data:`SCHEMES`
    k : number of kernel steps (or continuous time) per update
    move : ``move(params, state, k, seed) -> state``
    stats : ``stats(state) -> {name: <phi_name>}``
    start_p0 : ``start_p0(seed) -> state`` (the fixed start law, short-run and first PCD state)
    start_data : ``start_data(seed) -> state`` (the data, CD)
    stats_with_params : when True, ``stats(params, state)`` (statistics that depend on the
        parameters, e.g. :math:`-\\partial_\\theta E` of a neural energy)
    """

    scheme: str
    k: Any
    move: Callable
    stats: Callable
    start_p0: Callable
    start_data: Callable
    state: Any = None
    stats_with_params: bool = False

    def model_stats(self, params, seed):
        if self.scheme == "short-run":
            start = self.start_p0(seed)
        elif self.scheme == "cd":
            start = self.start_data(seed)
        elif self.scheme == "pcd":
            start = self.start_p0(seed) if self.state is None else self.state
        else:  # pragma: no cover - validated by the public wrappers
            raise ValueError(f"scheme must be one of {SCHEMES}, got {self.scheme!r}")
        self.state = self.move(params, start, self.k, seed)
        return self.stats(params, self.state) if self.stats_with_params else self.stats(self.state)

    def after_update(self, old, new, seed):
        """Hook called after each parameter update (Jarzynski walkers use it)."""


class TailMean(NamedTuple):
    """A tail average of a parameter trajectory and its batch-means standard error."""

    mean: Any
    se: Any


def tail_mean(trajectory, fraction=0.5, n_batches=20):
    r"""Average of the last ``fraction`` of a trajectory (axis 0) with a batch-means standard error.

    The tail is cut into ``n_batches`` consecutive batches; the SE is the standard deviation
    of the batch means over :math:`\sqrt{n_\mathrm{batches}}` (theory.md section 8; valid when a
    batch is long against the autocorrelation time of the trajectory).
    Returns :class:`TailMean` ``(mean, se)``.

    Parameters
    ----------
    trajectory : array (n, ...), n >= ``n_batches``, one row per iteration
    fraction : float in (0, 1], the tail fraction (default 0.5)
    n_batches : int >= 2 (default 20)

    Returns
    -------
    :class:`TailMean` ``(mean, se)``, each of shape ``trajectory.shape[1:]``
    """
    traj = np.asarray(trajectory, dtype=float)
    if not 0.0 < float(fraction) <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r}")
    if int(n_batches) < 2:
        raise ValueError(f"n_batches must be >= 2, got {n_batches!r}")
    n = traj.shape[0]
    if n < n_batches:
        raise ValueError(f"a trajectory of {n} points cannot be cut into n_batches={n_batches} batches")
    tail = traj[n - max(int(fraction * n), n_batches):]
    m = tail.shape[0] // n_batches
    batches = tail[tail.shape[0] - m * n_batches:].reshape((n_batches, m) + tail.shape[1:]).mean(axis=1)
    return TailMean(tail.mean(axis=0), batches.std(axis=0, ddof=1) / np.sqrt(n_batches))


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """Trained parameters and their history.

    Attributes
    ----------
    params : dict name -> final ndarray; each is also an attribute (``result.J``).
    history : dict with ``"params"`` (name -> array of shape (n_iter + 1, ...)),
        ``"error"`` (max |<phi>_D - <phi>_model| per iteration, shape (n_iter,)),
        and model-specific entries.
    """

    params: dict
    history: dict
    scheme: str
    engine: str
    k: Any

    def __getattr__(self, name):
        params = self.__dict__.get("params", {})
        if name in params:
            return params[name]
        raise AttributeError(name)

    def tail_mean(self, fraction=0.5, n_batches=20):
        """Tail average of each parameter over the last ``fraction`` of iterations,
        with a batch-means standard error (theory.md section 8).

        Returns ``{name: TailMean(mean, se)}`` (``t["J"].mean``, ``t["J"].se``; also a tuple).
        """
        return {name: tail_mean(traj, fraction, n_batches) for name, traj in self.history["params"].items()}


def _flat(x, shape):
    """x as a flat C-contiguous float64 array of a parameter of this shape (broadcast if needed; a view
    when x already is one)."""
    a = np.asarray(x, dtype=float)
    if a.shape != shape:
        a = np.broadcast_to(a, shape)
    return np.ascontiguousarray(a).reshape(-1)


def ascent(params0, data_stats, walkers, *, lr, n_iter, seed=0, progress=True, desc="training", hint=""):
    r"""Run :math:`\theta \leftarrow \theta + \gamma(\langle\phi\rangle_D - \langle\phi\rangle_{\hat p})`.

    ``walkers`` provides :math:`\langle\phi\rangle_{\hat p}` (see :class:`Walkers`).
    ``data_stats`` is a dict ``{name: <phi>_D}``, or a callable ``data_stats(params, it) -> dict``
    called first in each iteration (minibatches; latent-variable models such as the RBM,
    whose data term :math:`\langle\mathbb E[\phi|v]\rangle_D` depends on the parameters).
    Raises :class:`~solvable.DivergenceError` naming the iteration when a parameter
    or a chain becomes non-finite.

    Parameters
    ----------
    params0 : dict name -> array, the initial parameters (copied)
    data_stats : dict name -> array of the shape of the parameter, or callable ``(params, it) -> dict``
    walkers : :class:`Walkers` (or an object with ``model_stats(params, seed)`` and
        ``after_update(old, new, seed)``)
    lr : float > 0, the learning rate :math:`\gamma` (validate with :func:`check_run`)
    n_iter : int >= 1, number of updates
    seed : int >= 0 (default 0); iteration ``it`` uses :func:`iteration_seed` ``(seed, it)``
    progress : bool, show a progress bar (default True)
    desc : str, the progress bar label
    hint : str, appended to the divergence message

    Returns
    -------
    params : dict name -> final ndarray
    history : dict, ``"params"`` (name -> (n_iter + 1, ...) array) and ``"error"`` (n_iter,)
    """
    # imported here: the generic layer imports without Numba (solvable.model: 0.12 s, 0.27 s with it);
    # the first call in a process that has run no other kernel loads Numba and the cached kernel (~0.5 s)
    from .kernels.update import ascent_step

    lr = float(lr)
    params = {name: np.array(v, dtype=float) for name, v in params0.items()}
    traj = {name: np.empty((n_iter + 1,) + v.shape) for name, v in params.items()}
    for name in params:
        traj[name][0] = params[name]
    # the update is written straight into its row of the trajectory (each row is written once, so
    # walkers may keep the parameters they were given) by one kernel pass per parameter
    # (kernels.update.ascent_step: no temporary arrays, the same bits as value + (data - model) * lr)
    flat_traj = {name: t.reshape(n_iter + 1, -1) for name, t in traj.items()}
    error = np.empty(n_iter)
    bar = tqdm(range(n_iter), desc=desc, disable=None if progress else True, leave=False)
    for it in bar:
        s = iteration_seed(seed, it)
        d_stats = data_stats(params, it) if callable(data_stats) else data_stats
        try:
            model = walkers.model_stats(params, s)
        except DivergenceError as exc:
            raise DivergenceError(f"training iteration {it}: {exc}") from exc
        new = {}
        err = 0.0
        for name, value in params.items():
            shape = value.shape
            row = flat_traj[name][it + 1]
            e, finite = ascent_step(value.reshape(-1), _flat(d_stats[name], shape), _flat(model[name], shape), lr, row)
            if not finite:
                raise DivergenceError(
                    f"training iteration {it}: parameter {name!r} became non-finite. {hint}"
                )
            err = max(err, e)
            new[name] = traj[name][it + 1]
        walkers.after_update(params, new, s)
        params = new
        error[it] = err
    bar.close()
    return {name: v.copy() for name, v in params.items()}, {"params": traj, "error": error}
