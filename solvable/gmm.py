r"""Gaussian mixtures with learnable means and mode weights, trained by PCD, CD and Jarzynski-PCD.

The experiment of Carbone, Hua, Coste, Vanden-Eijnden 2023 (arXiv 2305.19414, section 4):
a mixture of ``n_modes`` unit-covariance Gaussians in :math:`\mathbb R^d`,

.. math:: E_\theta(x) = -\log\sum_{i=1}^m e^{-|x-a_i|^2/2 - z_i},\qquad
          p_\theta = e^{-E_\theta}/Z_\theta,\qquad
          \log Z_\theta = \log\sum_i e^{-z_i} + \tfrac d2\log 2\pi ,

so the mode weights are :math:`w_i = e^{-z_i}/\sum_j e^{-z_j}` (classic; the closed form of
:math:`Z` holds because every component has unit covariance). The parameters are the means
:math:`a_i` and the log-weights :math:`z_i`, with :math:`z_1` held fixed (a constant shift of
all :math:`z` leaves :math:`p_\theta` unchanged). The per-sample parameter gradients are
(derived here, by differentiating the log-sum-exp)

.. math:: \partial_{a_i}E = -r_i(x)\,(x-a_i),\qquad \partial_{z_i}E = r_i(x),\qquad
          \nabla_xE = \sum_i r_i(x)\,(x-a_i),\qquad
          r_i(x) = \frac{e^{-|x-a_i|^2/2-z_i}}{\sum_j e^{-|x-a_j|^2/2-z_j}} ,

and training ascends the log-likelihood,
:math:`\theta \leftarrow \theta + \gamma(\langle\partial_\theta E\rangle_{\hat p} -
\langle\partial_\theta E\rangle_D)` (theory.md 2.1, 6.3), through the shared loop
:func:`solvable.training.ascent` with :math:`\phi_\theta = -\partial_\theta E`.

Schemes (``scheme=``), ULA walkers :math:`x\leftarrow x-\eta\nabla E(x)+\sqrt{2\eta}\,\xi`:

==============  ================================================================================
``"pcd"``       persistent walkers, started from the data, ``k`` ULA steps per update
``"cd"``        ``k`` ULA steps from a fresh draw of ``n_walkers`` data points at every update
``"jarzynski"`` persistent walkers started exactly from the initial model, ``k`` ULA steps per
                update, ULA Jarzynski weights (theory.md 6.1; :class:`solvable.jarzynski.JarzynskiWalkers`),
                weighted statistics, systematic resampling when ESS < ``ess_threshold`` N
==============  ================================================================================

Defaults follow the paper: model means start near 0 (``init_scale`` times a standard normal
perturbation), equal weights (:math:`z=0`).

Why PCD and CD get the weights wrong (the paper's point; measured by the checks
``gmm_mode_weights_1d`` and ``gmm_mode_weights_highdim``): once the modes separate, a ULA walker
no longer crosses the barrier between them, so each walker's basin is frozen; inside a basin
:math:`r_i\approx 1` whatever the weights, so the weight gradient
:math:`\langle r_i\rangle_{\hat p}-\langle r_i\rangle_D` only compares *walker fractions* with data
fractions and no longer sees the model weights. CD walkers start on the data, so the two
fractions agree and the weights freeze wherever they were when the modes separated; PCD
walkers carry the fractions of the early, unimodal phase. Jarzynski weights move probability
mass between basins without moving walkers.
"""
from __future__ import annotations

import dataclasses
import numpy as np

from . import _validate as V
from . import jarzynski as JZ
from .errors import DivergenceError
from .training import ascent

SCHEMES = ("pcd", "cd", "jarzynski")
LOG_2PI = float(np.log(2.0 * np.pi))

# --------------------------------------------------------------------------- parameters


def _means(means, name="means", d=None):
    a = V.finite_array(means, name, ndim=(1, 2))
    if a.ndim == 1:
        a = a[:, None]  # (m,) -> m modes in 1-D
    if a.shape[0] < 1:
        raise ValueError(f"{name} must hold at least one mode, got shape {a.shape}")
    if d is not None and a.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns (the dimension), got shape {a.shape}")
    return a


def _z(z, name, m):
    z = V.finite_array(z, name, ndim=1)
    if z.shape != (m,):
        raise ValueError(f"{name} must have shape ({m},) (one log-weight per mode), got {z.shape}")
    return z


def _weights(weights, name, m):
    w = V.finite_array(weights, name, ndim=1)
    if w.shape != (m,):
        raise ValueError(f"{name} must have shape ({m},) (one weight per mode), got {w.shape}")
    if np.any(w <= 0) or abs(w.sum() - 1.0) > 1e-9:
        raise ValueError(f"{name} must be positive and sum to 1, got {w.tolist()}")
    return w


def weights_from_z(z):
    r"""Mode weights :math:`w_i = e^{-z_i}/\sum_j e^{-z_j}` (softmax of :math:`-z`).

    Parameters
    ----------
    z : (..., m) array of log-weights (any real values; modes on the last axis, e.g. a
        (n_iter + 1, m) history)

    Returns
    -------
    (..., m) array of weights, positive and summing to 1 along the last axis.
    """
    z = np.asarray(z, dtype=float)
    e = np.exp(-(z - z.min(axis=-1, keepdims=True)))
    return e / e.sum(axis=-1, keepdims=True)


def z_from_weights(weights):
    r"""Log-weights with :math:`z_1 = 0`: :math:`z_i = \log w_1 - \log w_i`.

    Parameters
    ----------
    weights : (..., m) array of mode weights (> 0; modes on the last axis; need not be normalised,
        the normalisation cancels)

    Returns
    -------
    (..., m) array of log-weights, first entry 0 (inverse of :func:`weights_from_z`).
    """
    w = np.asarray(weights, dtype=float)
    return np.log(w[..., :1]) - np.log(w)


def log_partition(means, z):
    r""":math:`\log Z = \log\sum_i e^{-z_i} + \frac d2\log 2\pi` (exact for unit covariances;
    each component integrates to :math:`(2\pi)^{d/2}e^{-z_i}`).

    Parameters
    ----------
    means : (m, d) mode means :math:`a_i` (finite, m >= 1), or (m,) for 1-D
    z : (m,) log-weights :math:`z_i` (finite), one per mode

    Returns
    -------
    float, :math:`\log Z_\theta`.
    """
    a = _means(means)
    z = _z(z, "z", a.shape[0])
    zm = z.min()
    return float(-zm + np.log(np.sum(np.exp(-(z - zm)))) + 0.5 * a.shape[1] * LOG_2PI)


# --------------------------------------------------------------------------- energy and gradients


def _terms(x, a, z):
    """Log-terms L_i = -|x - a_i|^2/2 - z_i, their log-sum-exp (n,) and the responsibilities.

    Mode-major layout (m, n): reductions over the few modes run across rows (fast in NumPy).
    Returns ``(L, lse, r)`` with ``L`` and ``r`` of shape (m, n)."""
    if a.shape[1] == 1:
        diff = x[:, 0][None, :] - a[:, 0][:, None]
        sq = diff * diff
    else:  # |x|^2 - 2 a.x + |a|^2 (one matrix product instead of an (m, n, d) array)
        sq = np.einsum("nd,nd->n", x, x)[None, :] - 2.0 * (a @ x.T) + np.einsum("md,md->m", a, a)[:, None]
        np.maximum(sq, 0.0, out=sq)
    L = -0.5 * sq - z[:, None]
    mx = L.max(axis=0)
    e = np.exp(L - mx[None, :])
    s = e.sum(axis=0)
    return L, mx + np.log(s), e / s[None, :]


def _points(x, name, d):
    x = V.finite_array(x, name, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None] if d == 1 else x[None, :]
    if x.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns (the dimension of the means), got shape {x.shape}")
    return x


def energy(x, means, z):
    r""":math:`E(x) = -\log\sum_i e^{-|x-a_i|^2/2-z_i}` for each row of ``x`` (n, d); returns (n,).

    Parameters
    ----------
    x : (n, d) points (finite); in 1-D also (n,); for d > 1 a single (d,) point is one row
    means : (m, d) mode means (finite, m >= 1), or (m,) for 1-D
    z : (m,) log-weights (finite)

    Returns
    -------
    (n,) array, the energy of each point.
    """
    a = _means(means)
    z = _z(z, "z", a.shape[0])
    return -_terms(_points(x, "x", a.shape[1]), a, z)[1]


def responsibilities(x, means, z):
    r""":math:`r_i(x)`, the posterior probability of mode :math:`i` at :math:`x`; returns (n, m).

    Parameters
    ----------
    x, means, z : as in :func:`energy` (points (n, d), means (m, d), log-weights (m,))

    Returns
    -------
    (n, m) array; each row is non-negative and sums to 1.
    """
    a = _means(means)
    z = _z(z, "z", a.shape[0])
    return _terms(_points(x, "x", a.shape[1]), a, z)[2].T


def grad_x(x, means, z):
    r""":math:`\nabla_xE = \sum_ir_i(x)(x-a_i) = x - \sum_i r_i(x)a_i`; returns (n, d).

    Parameters
    ----------
    x, means, z : as in :func:`energy` (points (n, d), means (m, d), log-weights (m,))

    Returns
    -------
    (n, d) array, the gradient at each point.
    """
    a = _means(means)
    z = _z(z, "z", a.shape[0])
    x = _points(x, "x", a.shape[1])
    return x - _terms(x, a, z)[2].T @ a


def grad_theta(x, means, z):
    r"""Per-sample :math:`\partial_{a_i}E = -r_i(x-a_i)` (n, m, d) and :math:`\partial_{z_i}E = r_i` (n, m).

    Parameters
    ----------
    x, means, z : as in :func:`energy` (points (n, d), means (m, d), log-weights (m,))

    Returns
    -------
    ``(d_means, d_z)``: (n, m, d) and (n, m) arrays (:math:`\partial_{z_1}E` included although
    training holds :math:`z_1` fixed).
    """
    a = _means(means)
    z = _z(z, "z", a.shape[0])
    x = _points(x, "x", a.shape[1])
    r = _terms(x, a, z)[2].T
    return -r[:, :, None] * (x[:, None, :] - a[None, :, :]), r


def log_density(x, means, z):
    r""":math:`\log p_\theta(x) = -E(x) - \log Z`; returns (n,).

    Parameters
    ----------
    x, means, z : as in :func:`energy` (points (n, d), means (m, d), log-weights (m,))

    Returns
    -------
    (n,) array of normalised log-densities.
    """
    return -energy(x, means, z) - log_partition(means, z)


# --------------------------------------------------------------------------- data and KL


def sample_data(n, *, means, weights, seed=0):
    r"""``n`` exact draws of :math:`\sum_iw_i\mathcal N(a_i, I)` (component by weight, then Gaussian noise).

    Parameters
    ----------
    n : number of draws (int >= 1)
    means : (m, d) component means (finite, m >= 1), or (m,) for 1-D
    weights : (m,) component weights (> 0, summing to 1 within 1e-9)
    seed : int >= 0, goes through ``numpy.random.SeedSequence`` (same seed, same draws)

    Returns
    -------
    (n, d) array of draws.
    """
    n = V.integer(n, "n", low=1)
    a = _means(means)
    w = _weights(weights, "weights", a.shape[0])
    rng = np.random.default_rng(np.random.SeedSequence(V.seed(seed)))
    comp = rng.choice(a.shape[0], size=n, p=w)
    return a[comp] + rng.standard_normal((n, a.shape[1]))


@dataclasses.dataclass(frozen=True)
class KLEstimate:
    """KL divergence: value, standard error (0 for quadrature) and the method used."""

    value: float
    se: float
    method: str


def kl(p_means, p_weights, q_means, q_weights, *, method="auto", n_samples=20000, seed=0):
    r""":math:`\mathrm{KL}(p\,\|\,q)=\mathbb E_p[\log p-\log q]` between two unit-covariance mixtures.

    ``method="quadrature"`` (1-D only): trapezoid rule on a uniform grid of 20001 points covering
    every mode :math:`\pm 14` (the integrand is smooth and its tails beyond are below 1e-40);
    ``"mc"``: :math:`n` exact draws of :math:`p`, mean of :math:`\log p-\log q` and its SE
    :math:`s/\sqrt n`; ``"auto"``: quadrature in 1-D, Monte Carlo otherwise.

    Parameters
    ----------
    p_means : (m_p, d) means of :math:`p` (finite), or (m_p,) for 1-D
    p_weights : (m_p,) weights of :math:`p` (> 0, summing to 1)
    q_means : (m_q, d) means of :math:`q`, same dimension d as ``p_means`` (m_q may differ)
    q_weights : (m_q,) weights of :math:`q` (> 0, summing to 1)
    method : ``"auto"`` (default), ``"quadrature"`` (d = 1 only, else ``ValueError``) or ``"mc"``
    n_samples : Monte Carlo draws of :math:`p` (int >= 2; ignored by quadrature)
    seed : int >= 0, seeds the Monte Carlo draws (ignored by quadrature)

    Returns
    -------
    :class:`KLEstimate` ``(value, se, method)``; ``se`` is 0 for quadrature.
    """
    pa = _means(p_means, "p_means")
    qa = _means(q_means, "q_means", d=pa.shape[1])
    pw = _weights(p_weights, "p_weights", pa.shape[0])
    qw = _weights(q_weights, "q_weights", qa.shape[0])
    V.choice(method, "method", ("auto", "quadrature", "mc"))
    d = pa.shape[1]
    if method == "auto":
        method = "quadrature" if d == 1 else "mc"
    pz, qz = z_from_weights(pw), z_from_weights(qw)
    if method == "quadrature":
        if d != 1:
            raise ValueError(f"method='quadrature' needs d = 1, got d = {d}; use method='mc'")
        lo = min(pa.min(), qa.min()) - 14.0
        hi = max(pa.max(), qa.max()) + 14.0
        x = np.linspace(lo, hi, 20001)[:, None]
        lp = _terms(x, pa, pz)[1] - log_partition(pa, pz)
        lq = _terms(x, qa, qz)[1] - log_partition(qa, qz)
        f = np.exp(lp) * (lp - lq)
        return KLEstimate(float(np.trapezoid(f, x[:, 0])), 0.0, "quadrature")
    n = V.integer(n_samples, "n_samples", low=2)
    x = sample_data(n, means=pa, weights=pw, seed=seed)
    diff = (_terms(x, pa, pz)[1] - log_partition(pa, pz)) - (_terms(x, qa, qz)[1] - log_partition(qa, qz))
    return KLEstimate(float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(n)), "mc")


def em(data, *, means0, weights0=None, n_iter=500, tol=1e-12):
    r"""Maximum likelihood means and weights of a unit-covariance mixture by expectation-maximisation
    (Dempster, Laird, Rubin 1977): :math:`w_i = \langle r_i\rangle_D`,
    :math:`a_i = \langle r_ix\rangle_D/\langle r_i\rangle_D`, iterated from ``means0``.

    The fixed point is a stationary point of the likelihood, i.e. the point where the
    exact-gradient version of :func:`train` stops (an independent route to its target).

    Parameters
    ----------
    data : (n, d) points (finite), or (n,) in 1-D
    means0 : (m, d) initial means (finite, m >= 1; or (m,) in 1-D); d must match ``data``
    weights0 : (m,) initial weights (> 0, summing to 1); None (default): equal weights 1/m
    n_iter : maximum number of EM iterations (int >= 1)
    tol : stop when the largest change of a weight or mean coordinate is below ``tol`` (>= 0 float)

    Returns
    -------
    ``(means, weights)``: (m, d) and (m,) arrays, modes in the order of ``means0``.
    """
    a = _means(means0, "means0").copy()
    X = _points(data, "data", a.shape[1])
    m = a.shape[0]
    w = np.full(m, 1.0 / m) if weights0 is None else _weights(weights0, "weights0", m)
    for _ in range(V.integer(n_iter, "n_iter", low=1)):
        r = _terms(X, a, z_from_weights(w))[2]
        nk = r.sum(axis=1)
        w_new = nk / X.shape[0]
        a_new = (r @ X) / nk[:, None]
        done = max(np.abs(w_new - w).max(), np.abs(a_new - a).max()) < tol
        a, w = a_new, w_new
        if done:
            break
    return a, w


# --------------------------------------------------------------------------- training


@dataclasses.dataclass(frozen=True)
class GMMTrainResult:
    r"""Outcome of :func:`train`.

    Attributes
    ----------
    weights : (m,) final mode weights, modes sorted by the first coordinate of the final means
    means : (m, d) final means, same order
    z : (m,) final log-weights, same order
    history : dict of arrays over iterations 0..n_iter (mode axes in the same sorted order):
        ``"weights"`` (n_iter+1, m), ``"means"`` (n_iter+1, m, d), ``"z"``, ``"log_z"`` (exact
        :math:`\log Z_\theta`), ``"walker_fractions"`` (n_iter+1, m: fraction of walkers whose most
        responsible mode is :math:`i`, unweighted), ``"weighted_fractions"`` (same with the Jarzynski
        weights; equal to the unweighted ones for PCD/CD), ``"error"`` (n_iter,), and, when the data
        law is given, ``"kl"``/``"kl_se"``/``"kl_iterations"`` (every ``kl_every`` iterations);
        Jarzynski adds ``"ess"``, ``"log_z_hat"``, ``"log_z_hat_se"``, ``"n_resamples"``.
    scheme, order : the scheme; ``order`` the permutation from the internal mode index to the sorted one
    """

    weights: np.ndarray
    means: np.ndarray
    z: np.ndarray
    history: dict
    scheme: str
    order: np.ndarray

    def tail_mean(self, fraction=0.5):
        """Mean of the weight trajectory over the last ``fraction`` of iterations, (m,)."""
        w = self.history["weights"]
        n = w.shape[0]
        return w[n - max(int(fraction * n), 1):].mean(axis=0)


def _rng(seed):
    return np.random.default_rng(np.random.SeedSequence(tuple(int(v) for v in np.atleast_1d(seed))))


class _GMM:
    """Energy, gradient, ULA move and statistics of the mixture with z_1 fixed (parameters: dicts)."""

    def __init__(self, z_first, step):
        self.z_first = float(z_first)
        self.step = step

    def z_full(self, p):
        return np.concatenate([[self.z_first], p["z"]])

    def energy(self, p, x):
        return -_terms(x, p["means"], self.z_full(p))[1]

    def grad(self, p, x):
        r = _terms(x, p["means"], self.z_full(p))[2]
        if x.shape[1] == 1:
            return x - (r * p["means"][:, 0][:, None]).sum(axis=0)[:, None]
        return x - r.T @ p["means"]

    def move(self, p, x, seed):
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, never a silent NaN
            y = x - self.step * self.grad(p, x) + np.sqrt(2.0 * self.step) * _rng(seed).standard_normal(x.shape)
        if not np.all(np.isfinite(y)) or np.max(np.abs(y)) > 1e150:
            raise DivergenceError(f"ULA walkers overflowed (step {self.step}); lower the step")
        return y

    def stats(self, p, x, w=None):
        r"""Weighted averages of :math:`\phi=-\partial_\theta E`: :math:`r_i(x-a_i)` and :math:`-r_i` (free z)."""
        r = _terms(x, p["means"], self.z_full(p))[2]
        rw = r / x.shape[0] if w is None else r * w[None, :]
        tot = rw.sum(axis=1)
        means_stat = rw @ x - tot[:, None] * p["means"]
        return {"means": means_stat, "z": -tot[1:]}, r


class _ChainWalkers:
    """PCD / CD walkers for :func:`solvable.training.ascent` (ULA, k steps per update)."""

    def __init__(self, model, scheme, k, x0, data, n_walkers, record):
        self.model, self.scheme, self.k = model, scheme, k
        self.x, self.data, self.n = x0, data, n_walkers
        self.record = record

    def model_stats(self, params, seed):
        if self.scheme == "cd":
            idx = _rng(tuple(seed) + (3,)).integers(0, self.data.shape[0], self.n)
            x = self.data[idx]
        else:
            x = self.x
        for i in range(self.k):
            x = self.model.move(params, x, tuple(seed) + (1, i))
        self.x = x
        st, r = self.model.stats(params, x)
        self.record(r, None)
        return st

    def after_update(self, old, new, seed):
        """No weights: nothing to do after the parameter update."""


def _fractions(r, w=None):
    """Fraction of walkers (weighted by ``w``) whose most responsible mode is i; ``r`` is (m, n)."""
    lab = np.argmax(r, axis=0)
    m = r.shape[0]
    if w is None:
        return np.bincount(lab, minlength=m) / r.shape[1]
    return np.bincount(lab, weights=w, minlength=m) / w.sum()


def train(data, *, n_modes, scheme, step, lr, n_iter, n_walkers, seed=0, k=1, means0=None, z0=None,
          init_scale=0.1, true_means=None, true_weights=None, kl_every=1, kl_samples=4000,
          ess_threshold=0.5, progress=False):
    r"""Train the mixture of the module docstring on ``data`` (n, d) by ``scheme``.

    Parameters
    ----------
    data : (n, d) array (or (n,) in 1-D)
    n_modes : number of mixture components :math:`m \ge 1`
    scheme : ``"pcd"``, ``"cd"`` or ``"jarzynski"`` (see the module docstring)
    step : ULA step :math:`\eta` (noise variance :math:`2\eta`, unit temperature)
    lr : learning rate :math:`\gamma` of the ascent
        :math:`\theta\mathrel{+}=\gamma(\langle\partial_\theta E\rangle_{\hat p}-\langle\partial_\theta E\rangle_D)`
    n_iter : number of parameter updates
    n_walkers : number of walkers (PCD: drawn from the data; CD: data points drawn afresh each update;
        Jarzynski: exact draws of the initial model)
    seed : int; seeds the initial perturbation, the walkers and the resampling (same seed, same bits)
    k : ULA steps per update
    means0, z0 : initial means (m, d) and log-weights (m,); default ``init_scale`` times a standard
        normal (means near 0) and :math:`z=0` (equal weights). :math:`z_1` stays at ``z0[0]``.
    true_means, true_weights : the data law, when known: then ``history["kl"]`` holds
        :math:`\mathrm{KL}(p_D\|p_\theta)` (quadrature in 1-D, Monte Carlo with ``kl_samples`` fixed
        draws and its SE in d > 1) every ``kl_every`` iterations
    ess_threshold : Jarzynski resampling threshold (fraction of ``n_walkers``)
    progress : show a progress bar

    Returns
    -------
    :class:`GMMTrainResult` (final weights and means sorted by the first coordinate of the means,
    and the histories). Raises :class:`~solvable.DivergenceError` when a walker or a parameter overflows.
    """
    V.choice(scheme, "scheme", SCHEMES)
    m = V.integer(n_modes, "n_modes", low=1)
    X = V.finite_array(data, "data", ndim=(1, 2))
    if X.ndim == 1:
        X = X[:, None]
    if X.shape[0] < 1:
        raise ValueError(f"data must hold at least one point, got shape {X.shape}")
    d = X.shape[1]
    step = V.positive(step, "step")
    lr = V.positive(lr, "lr")
    n_iter = V.integer(n_iter, "n_iter", low=1)
    n_walkers = V.integer(n_walkers, "n_walkers", low=2)
    k = V.integer(k, "k", low=1)
    seed = V.seed(seed)
    kl_every = V.integer(kl_every, "kl_every", low=1)
    init_scale = V.real(init_scale, "init_scale", low=0.0)
    ess_threshold = V.real(ess_threshold, "ess_threshold", low=0.0, high=1.0)
    if means0 is None:
        a0 = init_scale * _rng((seed, 11)).standard_normal((m, d))
    else:
        a0 = _means(means0, "means0", d=d)
        if a0.shape[0] != m:
            raise ValueError(f"means0 must have n_modes = {m} rows, got shape {a0.shape}")
        a0 = a0.copy()
    zz0 = np.zeros(m) if z0 is None else _z(z0, "z0", m).copy()
    have_law = true_means is not None or true_weights is not None
    if have_law:
        if true_means is None or true_weights is None:
            raise ValueError("true_means and true_weights must be given together (the data law)")
        ta = _means(true_means, "true_means", d=d)
        tw = _weights(true_weights, "true_weights", ta.shape[0])

    model = _GMM(zz0[0], step)
    params0 = {"means": a0, "z": zz0[1:]}
    frac, wfrac = [], []

    def record(r, w):
        f = _fractions(r)
        frac.append(f)
        wfrac.append(f if w is None else _fractions(r, w))

    def data_stats(params, it):
        return model.stats(params, X)[0]

    if scheme == "jarzynski":
        comp = _rng((seed, 12)).choice(m, size=n_walkers, p=weights_from_z(zz0))
        x0 = a0[comp] + _rng((seed, 13)).standard_normal((n_walkers, d))

        def jstats(p, x, w):
            st, r = model.stats(p, x, w)
            record(r, w)
            return st

        walkers = JZ.JarzynskiWalkers(model.energy, model.move, jstats, x0, k=k, grad=model.grad, step=step,
                                      rule="ula", log_z0=log_partition(a0, zz0), ess_threshold=ess_threshold)
    else:
        x0 = X[_rng((seed, 12)).integers(0, X.shape[0], n_walkers)]
        walkers = _ChainWalkers(model, scheme, k, x0, X, n_walkers, record)

    params, hist = ascent(params0, data_stats, walkers, lr=lr, n_iter=n_iter, seed=seed, progress=progress,
                          desc=f"gmm {scheme}", hint="lower lr (the means overshoot) or the step")
    # the statistics of the final state (iteration n_iter), for histories of length n_iter + 1
    r_end = _terms(walkers.x, params["means"], model.z_full(params))[2]
    record(r_end, walkers.weights if scheme == "jarzynski" else None)

    means_h = hist["params"]["means"]
    z_h = np.concatenate([np.full((n_iter + 1, 1), zz0[0]), hist["params"]["z"]], axis=1)
    order = np.argsort(means_h[-1, :, 0], kind="stable")
    means_h, z_h = means_h[:, order], z_h[:, order]
    w_h = weights_from_z(z_h)
    log_z = -z_h.min(axis=1) + np.log(np.exp(-(z_h - z_h.min(axis=1, keepdims=True))).sum(axis=1)) \
        + 0.5 * d * LOG_2PI
    history = {"weights": w_h, "means": means_h, "z": z_h, "log_z": log_z, "error": hist["error"],
               "walker_fractions": np.array(frac)[:, order], "weighted_fractions": np.array(wfrac)[:, order]}
    if have_law:
        its = np.unique(np.r_[np.arange(0, n_iter + 1, kl_every), n_iter])
        if d == 1:
            vals = [kl(ta, tw, means_h[i], w_h[i], method="quadrature") for i in its]
        else:  # common random numbers: the same kl_samples draws at every recorded iteration
            kseed = int(np.random.SeedSequence((seed, 14)).generate_state(1)[0])  # not the data's seed
            vals = [kl(ta, tw, means_h[i], w_h[i], method="mc", n_samples=kl_samples, seed=kseed) for i in its]
        history.update(kl=np.array([v.value for v in vals]), kl_se=np.array([v.se for v in vals]),
                       kl_iterations=its)
    if scheme == "jarzynski":
        h = walkers.history
        history.update(ess=h["ess"], log_z_hat=h["log_z"], log_z_hat_se=h["log_z_se"],
                       n_resamples=h["n_resamples"])
    return GMMTrainResult(weights=w_h[-1].copy(), means=means_h[-1].copy(), z=z_h[-1].copy(), history=history,
                          scheme=scheme, order=order)


__all__ = ["SCHEMES", "GMMTrainResult", "KLEstimate", "em", "energy", "grad_theta", "grad_x", "kl",
           "log_density", "log_partition", "responsibilities", "sample_data", "train", "weights_from_z",
           "z_from_weights"]
