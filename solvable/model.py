r"""The one model interface: bring your own energy, train it with any scheme, compare its dynamics.

An :class:`EnergyModel` is an energy-based model on :math:`\mathbb R^d` (or on any state space
with a ``move``) given by NumPy callables over batches of states. :func:`train` runs the one
gradient-ascent loop of :mod:`solvable.training` on it with the four schemes, and
:func:`compare` measures the moments of its dynamics against the data at several sampling times.
The built-in models go through the same pieces (:class:`solvable.training.Walkers`,
:func:`solvable.training.ascent`, :class:`solvable.jarzynski.JarzynskiWalkers`,
:func:`solvable.comparison.moments_vs_time`), so whatever the paper checks say about a built-in
model, these functions can say about yours.

Gradient ascent on the log-likelihood of :math:`p_\theta\propto e^{-E_\theta}`:

.. math:: \theta \leftarrow \theta + \gamma\,\big(\langle\partial_\theta E\rangle_{\hat p}
          - \langle\partial_\theta E\rangle_D\big),

with the model term :math:`\hat p` given by the scheme (theory.md section 2; for an exponential
family :math:`E=-\theta\cdot\phi` this is :math:`\theta\mathrel{+}=\gamma(\langle\phi\rangle_D-\langle\phi\rangle_{\hat p})`):

==============  ===========================================================================
scheme          model term
==============  ===========================================================================
``short-run``   fresh chains from the start law :math:`p_0`, k steps (Rdm-k; Agoritsas et al.
                2023, arXiv 2301.09428; Nijkamp et al. 2019, arXiv 1904.09770)
``cd``          chains started at data rows, k steps (CD-k, Hinton 2002)
``pcd``         persistent chains, k steps per update (Tieleman 2008)
``jarzynski``   persistent walkers with Jarzynski log-weights, ESS-triggered resampling
                (Carbone et al. 2023, arXiv 2305.19414): ULA weights for ``method="ula"``,
                invariant-kernel weights for MALA or a given ``move``
==============  ===========================================================================

Fixed points (exponential families, exact kernels): short-run matches the data *through the
dynamics at time k*, :math:`\langle\phi\rangle_{p_0T^k_{\theta^*}}=\langle\phi\rangle_D`; PCD lands on the
stationary law of the kernel (the MLE for an invariant kernel such as MALA, a biased point for
ULA); CD-k on the MLE only for well-specified data or as k grows; Jarzynski on the MLE for any step.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from . import _validate as V
from . import langevin
from .comparison import moments_vs_time
from .errors import DivergenceError
from .jarzynski import JarzynskiWalkers
from .runaway import warn_if_runaway
from .seeds import Stream, generator
from .training import Walkers, ascent, check_run, data_rows, tail_mean

SCHEMES = ("short-run", "cd", "pcd", "jarzynski")
METHODS = langevin.METHODS

__all__ = ["EnergyModel", "TrainResult", "train", "compare", "SCHEMES", "METHODS"]


class EnergyModel:
    r"""An energy-based model :math:`p_\theta(x)\propto e^{-E(x;\theta)}` given by NumPy callables.

    Parameters
    ----------
    energy : ``energy(x, theta) -> (n,)``, the energy of each row of ``x`` (n, d); ``theta`` 1-D (P,)
    grad_x : ``grad_x(x, theta) -> (n, d)``, :math:`\nabla_x E` (Langevin kernels, ULA Jarzynski
        weights); may be ``None`` when ``move`` is given
    grad_theta : ``grad_theta(x, theta) -> (n, P)``, per-sample :math:`\partial E/\partial\theta`
        (for an exponential family :math:`E=-\theta\cdot\phi(x)` this is :math:`-\phi(x)`)
    start : ``start(n, rng) -> (n, d)``, draws from the fixed start law :math:`p_0` of short runs
        (``rng`` a ``numpy.random.Generator``)
    move : optional ``move(x, theta, k, rng) -> x``: k steps of a kernel other than Langevin
        (heat bath for spins, block Gibbs for RBMs, ...). With a ``move``, Jarzynski uses the
        invariant-kernel weights, valid only if the kernel leaves :math:`p_\theta` invariant.
    name : a label for messages and figures
    log_p0 : optional ``log_p0(x) -> (n,)``, the log-density of the start law up to a constant.
        Jarzynski walkers start from :math:`p_0`; they are exact for the initial model
        :math:`\theta_0` only if :math:`p_0=p_{\theta_0}`, or, given ``log_p0``, with importance
        log-weights :math:`-E(x;\theta_0)-\log p_0(x)` (then ``log_z`` is up to a constant).
    labels : optional names of the P parameters (tables, figures)

    Every call is checked: a callable that returns the wrong shape raises a ``ValueError``
    naming it and the shape it returned; non-finite values raise
    :class:`~solvable.DivergenceError`.

    Example
    -------
    A quartic energy :math:`E = \theta_0 x^4/4 + \theta_1 x^2/2 - \theta_2 x` (exponential family,
    :math:`\phi = (-x^4/4, -x^2/2, x)`)::

        def energy(x, t):  return t[0] * x[:, 0]**4 / 4 + t[1] * x[:, 0]**2 / 2 - t[2] * x[:, 0]
        def grad_x(x, t):  return t[0] * x**3 + t[1] * x - t[2]
        def grad_t(x, t):  return np.stack([x[:, 0]**4 / 4, x[:, 0]**2 / 2, -x[:, 0]], axis=1)
        model = EnergyModel(energy, grad_x, grad_t, lambda n, rng: rng.standard_normal((n, 1)))
    """

    def __init__(self, energy, grad_x, grad_theta, start, *, move=None, name=None, log_p0=None, labels=None):
        for arg, fn in (("energy", energy), ("grad_theta", grad_theta), ("start", start)):
            if not callable(fn):
                raise TypeError(f"{arg} must be a callable, got {type(fn).__name__}")
        if move is not None and not callable(move):
            raise TypeError(f"move must be a callable or None, got {type(move).__name__}")
        if grad_x is None and move is None:
            raise ValueError("grad_x may be None only when a move (a kernel other than Langevin) is given")
        if grad_x is not None and not callable(grad_x):
            raise TypeError(f"grad_x must be a callable or None, got {type(grad_x).__name__}")
        if log_p0 is not None and not callable(log_p0):
            raise TypeError(f"log_p0 must be a callable or None, got {type(log_p0).__name__}")
        self._energy, self._grad_x, self._grad_theta, self._start = energy, grad_x, grad_theta, start
        self._move, self._log_p0 = move, log_p0
        self.name = "EnergyModel" if name is None else str(name)
        self.labels = None if labels is None else [str(v) for v in labels]

    def __repr__(self):
        kernel = "move" if self._move is not None else "langevin"
        return f"EnergyModel(name={self.name!r}, kernel={kernel})"

    @property
    def has_move(self):
        return self._move is not None

    # ----------------------------------------------------------------- checked calls
    def _out(self, what, value, shape):
        try:
            out = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{self.name}.{what} returned a value that is not a float array: {exc}") from exc
        if out.shape != shape:
            raise ValueError(f"{self.name}.{what} returned shape {out.shape}, expected {shape}")
        if not np.all(np.isfinite(out)):
            raise DivergenceError(f"{self.name}.{what} returned non-finite values (overflow, or a state "
                                  "outside the domain of the energy)")
        return out

    def energy(self, x, theta):
        """Checked ``energy(x, theta)``: shape (n,), finite."""
        return self._out("energy", self._energy(x, theta), (np.shape(x)[0],))

    def grad_x(self, x, theta):
        """Checked ``grad_x(x, theta)``: the shape of ``x``, finite."""
        if self._grad_x is None:
            raise ValueError(f"{self.name} has no grad_x (it was given a move): Langevin and the ULA "
                             "Jarzynski weights need grad_x")
        return self._out("grad_x", self._grad_x(x, theta), np.shape(x))

    def grad_theta(self, x, theta):
        """Checked ``grad_theta(x, theta)``: shape (n, P), finite."""
        return self._out("grad_theta", self._grad_theta(x, theta), (np.shape(x)[0], np.size(theta)))

    def start(self, n, rng):
        """Checked ``start(n, rng)``: (n, d) finite draws from p0."""
        x = np.asarray(self._start(int(n), rng), dtype=float)
        if x.ndim != 2 or x.shape[0] != int(n):
            raise ValueError(f"{self.name}.start(n={n}, rng) returned shape {x.shape}, expected (n, d) = ({n}, d)")
        if not np.all(np.isfinite(x)):
            raise ValueError(f"{self.name}.start returned non-finite values")
        return x

    def log_p0(self, x):
        if self._log_p0 is None:
            return None
        return self._out("log_p0", self._log_p0(x), (np.shape(x)[0],))

    def features(self, x, theta):
        r"""The statistics the training matches: :math:`-\partial_\theta E(x;\theta)`, shape (n, P)."""
        return -self.grad_theta(x, theta)

    def feature_labels(self, n_params):
        if self.labels is not None:
            if len(self.labels) != n_params:
                raise ValueError(f"{self.name}.labels has {len(self.labels)} names for {n_params} parameters")
            return [f"-dE/d{name}" for name in self.labels]
        return [f"-dE/dtheta[{a}]" for a in range(n_params)]

    def run(self, x, theta, k, *, step=None, method="ula", rng):
        """Advance the chains ``x`` by ``k`` steps of the model's kernel: ``move`` when given, else
        ULA/MALA with ``step`` (:mod:`solvable.langevin`). Checks the shape and finiteness of the result."""
        x = np.asarray(x, dtype=float)
        if k == 0:
            return x.copy()
        if self._move is not None:
            y = np.asarray(self._move(x.copy(), theta, int(k), rng), dtype=float)
            if y.shape != x.shape:
                raise ValueError(f"{self.name}.move returned shape {y.shape}, expected the shape of x {x.shape}")
            if not np.all(np.isfinite(y)):
                raise DivergenceError(f"{self.name}.move returned non-finite states after {k} steps")
            return y
        y, _ = langevin.run(x, k, energy=lambda z: self.energy(z, theta), grad_x=lambda z: self.grad_x(z, theta),
                            step=step, method=method, rng=rng)
        return y


# --------------------------------------------------------------------------- results

@dataclasses.dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`.

    Attributes
    ----------
    theta : (P,) final parameters
    history : ``"theta"`` (n_iter + 1, P) parameters per iteration, ``"error"`` (n_iter,)
        max :math:`|\\langle\\partial_\\theta E\\rangle_{\\hat p}-\\langle\\partial_\\theta E\\rangle_D|`
        per iteration; with ``scheme="jarzynski"`` also ``"ess"``, ``"log_z"``, ``"log_z_se"``,
        ``"n_resamples"``.
    scheme, k, step, method : the training set-up
    """

    theta: np.ndarray
    history: dict
    scheme: str
    k: Any
    step: Any
    method: str

    def tail_mean(self, fraction=0.5, n_batches=20):
        """Tail average of theta over the last ``fraction`` of iterations with a batch-means SE.

        Returns :class:`solvable.training.TailMean` ``(mean, se)``, each of shape (P,).
        """
        return tail_mean(self.history["theta"], fraction, n_batches)


# --------------------------------------------------------------------------- validation

def _check_model(model):
    if not isinstance(model, EnergyModel):
        raise TypeError(f"model must be a solvable.EnergyModel, got {type(model).__name__}")
    return model


def _check_kernel(model, step, method):
    method = V.choice(method, "method", METHODS)
    if model.has_move:
        return V.step(step), method
    if step is None:
        raise ValueError("step must be > 0: the model has no move, so it runs Langevin (ULA/MALA) with this step")
    return V.positive(step, "step"), method


def _check_data(data):
    X = V.finite_array(data, "data", ndim=2)
    if X.shape[0] < 2:
        raise ValueError(f"data must have at least 2 rows (samples), got {X.shape[0]}")
    return X


def _check_theta(model, theta, name, X):
    theta = V.finite_array(theta, name, ndim=1)
    if theta.size == 0:
        raise ValueError(f"{name} must have at least one parameter")
    model.grad_theta(X[:2], theta)  # raises a ValueError naming grad_theta if P does not match
    return theta


# --------------------------------------------------------------------------- train

def _walkers(model, X, *, scheme, k, n_chains, theta0, step, method, seed, ess_threshold):
    """The model term of the gradient for ``scheme`` (see the module table)."""
    def features_mean(theta, x):
        return {"theta": -model.grad_theta(x, theta).mean(axis=0)}

    if scheme == "jarzynski":
        x0 = model.start(n_chains, generator(seed, Stream.JARZYNSKI_INIT))
        lp0 = model.log_p0(x0)
        log_w0 = None if lp0 is None else -model.energy(x0, theta0) - lp0
        ula = not model.has_move and method == "ula"

        def move1(p, x, s):
            return model.run(x, p["theta"], 1, step=step, method=method, rng=generator(s, Stream.NUMPY_DYNAMICS))

        return JarzynskiWalkers(
            energy=lambda p, x: model.energy(x, p["theta"]),
            move=move1,
            stats=lambda p, x, w: {"theta": -(w @ model.grad_theta(x, p["theta"]))},
            x0=x0,
            k=k,
            grad=(lambda p, x: model.grad_x(x, p["theta"])) if ula else None,
            step=step if ula else None,
            log_w0=log_w0,
            ess_threshold=ess_threshold,
        )

    return Walkers(
        scheme=scheme,
        k=k,
        move=lambda p, x, kk, s: model.run(x, p["theta"], kk, step=step, method=method,
                                           rng=generator(s, Stream.NUMPY_DYNAMICS)),
        stats=lambda p, x: features_mean(p["theta"], x),
        start_p0=lambda s: model.start(n_chains, generator(s, Stream.START)),
        start_data=data_rows(X, n_chains),
        stats_with_params=True,
    )


def train(model, data, *, scheme, k, lr, n_iter, n_chains, theta0, step=None, method="ula", seed=0,
          ess_threshold=0.5, batch_size=None, progress=True):
    r"""Train ``model`` on ``data`` by gradient ascent on the log-likelihood with MCMC model terms.

    .. math:: \theta \leftarrow \theta + \gamma\,\big(\langle\partial_\theta E\rangle_{\hat p}
              - \langle\partial_\theta E\rangle_D\big)

    Parameters
    ----------
    model : :class:`EnergyModel`
    data : (N, d) array of samples (finite)
    scheme : ``"short-run"``, ``"cd"``, ``"pcd"`` or ``"jarzynski"`` (see the module docstring)
    k : kernel steps per update (>= 1)
    lr : learning rate :math:`\gamma` (> 0)
    n_iter : number of updates (>= 1)
    n_chains : chains (walkers) per update (>= 2)
    theta0 : (P,) initial parameters
    step : Langevin step :math:`\eta` (> 0); required unless the model has a ``move``
    method : ``"ula"`` or ``"mala"`` (ignored when the model has a ``move``)
    seed : int >= 0; the run is reproducible bit for bit
    ess_threshold : Jarzynski: resample when ESS < ``ess_threshold * n_chains``
    batch_size : data rows per update for the data term (None: all rows, every update)
    progress : show a progress bar

    Returns
    -------
    :class:`TrainResult` with ``.theta``, ``.history`` (``"theta"``, ``"error"``, and the Jarzynski
    diagnostics), ``.tail_mean(fraction)`` -> ``(mean, se)``.

    Raises
    ------
    DivergenceError
        when a chain, an energy or a parameter becomes non-finite (with the iteration).

    Warns
    -----
    solvable.runaway.RunawayWarning
        when parameters still grow linearly at the end of the run (no fixed point for this
        scheme and data, e.g. a short run that cannot reach the data within k steps).
    """
    model = _check_model(model)
    X = _check_data(data)
    scheme, _, lr, n_iter, seed = check_run(scheme=scheme, schemes=SCHEMES, lr=lr, n_iter=n_iter, seed=seed)
    step, method = _check_kernel(model, step, method)
    k = V.integer(k, "k", low=1)
    n_chains = V.integer(n_chains, "n_chains", low=2)
    ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
    theta0 = _check_theta(model, theta0, "theta0", X)
    if batch_size is not None:
        batch_size = V.integer(batch_size, "batch_size", low=1, high=X.shape[0])

    def data_stats(params, it):
        rows = X
        if batch_size is not None:
            rows = X[generator(seed, Stream.MINIBATCH, it).integers(0, X.shape[0], size=batch_size)]
        return {"theta": -model.grad_theta(rows, params["theta"]).mean(axis=0)}

    walkers = _walkers(model, X, scheme=scheme, k=k, n_chains=n_chains, theta0=theta0, step=step, method=method,
                       seed=seed, ess_threshold=ess_threshold)
    params, hist = ascent({"theta": theta0}, data_stats, walkers, lr=lr, n_iter=n_iter, seed=seed,
                          progress=progress, desc=f"{model.name} {scheme}-{k}",
                          hint="Hint: lower lr or step; check that the energy confines the chains.")
    history = {"theta": hist["params"]["theta"], "error": hist["error"]}
    # nothing can know in advance whether this scheme has a fixed point for a user's energy:
    # a trajectory still growing linearly at the end is reported (solvable.runaway)
    warn_if_runaway(history["theta"], what=f"{model.name} train(scheme={scheme!r}, k={k})", names=model.labels)
    if hasattr(walkers, "history"):
        history.update(walkers.history)
    return TrainResult(theta=params["theta"], history=history, scheme=scheme, k=k, step=step, method=method)


# --------------------------------------------------------------------------- compare

def default_times(k):
    """Sampling times 0, k/2, k - 1, k, k + 1, 2k, 4k (the neighbours of k resolve the claim "at t = k")."""
    k = int(k)
    return sorted({0, k // 2, max(k - 1, 0), k, k + 1, 2 * k, 4 * k})


def compare(model, theta, data, *, k, times=None, n_chains=10000, step=None, method="ula", seed=0,
            statistics=None, data_error=False):
    r"""Moments of the model's dynamics from :math:`p_0` at several sampling times, against the data.

    Fresh chains start from ``model.start`` (the short-run start law) and run through ``times``
    with the model's kernel; at each time the sample mean of every statistic is compared with
    the data average by a z-score :math:`(\bar\phi(t)-\bar\phi_D)/\mathrm{SE}`. By default the SE is the
    chains' alone: training matches the *empirical* data averages, so they are the target
    itself, not a noisy estimate of it. ``data_error=True`` adds the data's finite-sample error
    in quadrature (the question "does the dynamics reproduce the population the data came
    from?", e.g. on held-out data). For a model trained by short runs of length k, Agoritsas et al.
    (arXiv 2301.09428) predict a match at ``t = k`` (typically not elsewhere; a statistic whose
    data value equals its value under :math:`p_0` also matches at t = 0).

    Parameters
    ----------
    model : :class:`EnergyModel`
    theta : (P,) parameters
    data : (N, d) samples
    k : the training time (marked in the table and figure)
    times : increasing sampling times (default :func:`default_times`)
    n_chains : fresh chains (>= 2)
    step, method : the Langevin kernel (as in :func:`train`)
    seed : int >= 0
    statistics : ``statistics(x) -> (n, p)`` per-sample statistics; default
        :math:`-\partial_\theta E(x;\theta)` (the features the training matches)
    data_error : add the data's standard errors to the chains' (see above)

    Returns
    -------
    :class:`solvable.comparison.MomentComparison` (``.table()``, ``.z_data``, ``.max_abs_z_data()``).
    """
    model = _check_model(model)
    X = _check_data(data)
    step, method = _check_kernel(model, step, method)
    k = V.integer(k, "k", low=0)
    n_chains = V.integer(n_chains, "n_chains", low=2)
    seed = V.seed(seed)
    theta = _check_theta(model, theta, "theta", X)
    if times is None:
        times = default_times(k)
    times = [V.integer(t, "times", low=0) for t in times]
    if statistics is None:
        def feats(x):
            return model.features(x, theta)
        labels = model.feature_labels(theta.size)
    else:
        if not callable(statistics):
            raise TypeError(f"statistics must be a callable statistics(x) -> (n, p), got {type(statistics).__name__}")

        def feats(x):
            f = np.asarray(statistics(x), dtype=float)
            if f.ndim != 2 or f.shape[0] != np.shape(x)[0]:
                raise ValueError(f"statistics(x) returned shape {f.shape}, expected (n, p) with n = {np.shape(x)[0]}")
            return f
        labels = None
    fd = feats(X)
    result = moments_vs_time(
        times,
        start=lambda s: model.start(n_chains, generator(s, Stream.START)),
        move=lambda x, dt, s: model.run(x, theta, int(dt), step=step, method=method,
                                        rng=generator(s, Stream.NUMPY_DYNAMICS)),
        features=feats,
        data=fd.mean(axis=0),
        labels=labels,
        k=k,
        seed=seed,
        data_se=fd.std(axis=0, ddof=1) / np.sqrt(fd.shape[0]) if data_error else None,
    )
    # a user's energy has no known equilibrium: the table has no equilibrium row
    return dataclasses.replace(result, show_equilibrium=False)
