r"""A small neural energy on :math:`\mathbb R^d` with a trainable linear readout, as an :class:`EnergyModel`.

One hidden layer of ``n_hidden`` tanh units and a linear readout, plus a quadratic confinement:

.. math:: E(x;\theta)=\sum_{j=1}^{H}w_j\,\varphi_j(x)+\frac a2|x|^2,\qquad
          \varphi_j(x)=\tanh(u_j\cdot x+c_j),

:math:`\theta=(w, U, c)` and, with ``train_confinement=True``, also :math:`a` (otherwise :math:`a` is a
fixed number, untrained). Gradients by hand (checked against finite differences in the tests):

.. math:: \nabla_xE=\sum_jw_j(1-\varphi_j^2)\,u_j+a\,x,\qquad
          \partial_{w_j}E=\varphi_j,\quad \partial_{u_{jl}}E=w_j(1-\varphi_j^2)x_l,\quad
          \partial_{c_j}E=w_j(1-\varphi_j^2),\quad \partial_aE=\tfrac12|x|^2,

and the Hessian-vector product (for back-propagation through the chain, :func:`reconstruct`)
:math:`\nabla^2_xE\,v=\sum_jw_j(-2\varphi_j)(1-\varphi_j^2)(u_j\cdot v)\,u_j+a\,v`.

**Linear-readout identity** (theory.md 2.2, "linear head"; Agoritsas et al., arXiv 2301.09428):
at a fixed point of short-run training the update of :math:`w` vanishes, so
:math:`\langle\varphi\rangle_D=\langle\varphi\rangle_{t=k}` -- the readout features of the data equal
those of the chains at the training time k, whatever the hidden layer learned. If every energy term
carries a trained coefficient (``train_confinement=True``) the mean energy matches too,
:math:`\langle E\rangle_D=\langle E\rangle_{t=k}`; an untrained confinement breaks that (derived here:
:math:`\langle E\rangle_D-\langle E\rangle_{t=k}=\frac a2(\langle|x|^2\rangle_D-\langle|x|^2\rangle_{t=k})`).

**Short-run generator** (Nijkamp et al., arXiv 1904.09770): the chain :math:`x_k=M_\theta(z,\xi)`,
:math:`z\sim p_0=\mathcal N(0,s_0^2I)` is a generator; :func:`generate` runs it with a frozen noise
:math:`\xi`, :func:`interpolate` mixes two start vectors as :math:`\varrho z_1+\sqrt{1-\varrho^2}z_2`
(again :math:`p_0`-distributed for a centred Gaussian :math:`p_0`, theory.md 3.8) and
:func:`reconstruct` optimises the start vector :math:`z` so that :math:`M_\theta(z,\xi)` hits a target,
back-propagating through the k ULA steps, :math:`\partial x_{t+1}/\partial x_t=I-\eta\nabla^2_xE(x_t)`.

ULA convention of the package: :math:`x\leftarrow x-\eta\nabla E+\sqrt{2\eta}\,\xi` (unit temperature).
"""
from __future__ import annotations

import warnings

import numpy as np

from . import _validate as V
from .errors import DivergenceError
from . import model as _model
from .model import EnergyModel
from .runaway import RunawayWarning
from .seeds import Stream, generator

__all__ = ["MLPEnergy", "train_short_run", "generate", "interpolate", "reconstruct", "frozen_noise"]


class MLPEnergy:
    r"""The energy :math:`E(x;\theta)=\sum_jw_j\tanh(u_j\cdot x+c_j)+\frac a2|x|^2` and its gradients.

    Parameters
    ----------
    d : dimension of x (>= 1)
    n_hidden : number of tanh units H (>= 1)
    confinement : a > 0, fixed when ``train_confinement`` is False, else the initial value of
        :meth:`init`'s last parameter
    train_confinement : whether :math:`a` is a trained parameter (the last entry of theta)
    start_scale : the start law of short runs, :math:`p_0=\mathcal N(0,s_0^2I)`

    Parameter vector (:meth:`pack`/:meth:`unpack`): ``theta = [w (H), U (H*d, row-major), c (H), (a)]``.
    """

    def __init__(self, d, n_hidden, *, confinement=0.1, train_confinement=False, start_scale=1.0):
        self.d = V.integer(d, "d", low=1)
        self.n_hidden = V.integer(n_hidden, "n_hidden", low=1)
        self.confinement = V.real(confinement, "confinement", low=0.0)
        self.train_confinement = bool(train_confinement)
        self.start_scale = V.positive(start_scale, "start_scale")
        H, d = self.n_hidden, self.d
        self.n_params = H * (d + 2) + (1 if self.train_confinement else 0)
        #: slice of the readout weights w in theta (the features they multiply: :meth:`features`)
        self.readout = slice(0, H)

    # ------------------------------------------------------------------ parameters
    def unpack(self, theta):
        """``(w, U, c, a)`` views of ``theta``; ``a`` is the fixed confinement when untrained."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.n_params,):
            raise ValueError(f"theta must have shape ({self.n_params},) for d={self.d}, n_hidden={self.n_hidden}, "
                             f"train_confinement={self.train_confinement}; got {theta.shape}")
        H, d = self.n_hidden, self.d
        w, U, c = theta[:H], theta[H:H + H * d].reshape(H, d), theta[H + H * d:H * (d + 2)]
        a = theta[-1] if self.train_confinement else self.confinement
        return w, U, c, a

    def pack(self, w, U, c, a=None):
        parts = [np.ravel(w), np.ravel(U), np.ravel(c)]
        if self.train_confinement:
            parts.append([self.confinement if a is None else a])
        theta = np.concatenate([np.asarray(p, dtype=float) for p in parts])
        self.unpack(theta)
        return theta

    def init(self, seed=0, *, scale=1.0, bias_scale=0.3, readout_scale=0.1):
        r"""Initial parameters: ``U ~ N(0, scale^2)``, ``c ~ N(0, bias_scale^2)``, ``w ~ N(0, readout_scale^2)``.

        A small ``bias_scale`` keeps every unit unsaturated on data near the origin: a unit with
        :math:`\varphi_j\approx\pm1` on all the data has a statistic the short runs can match only with
        :math:`w_j\to\infty` (no fixed point), measured in ``paper_checks.neural_short_run_readout``."""
        rng = np.random.default_rng(np.random.SeedSequence((V.seed(seed), 31)))
        H, d = self.n_hidden, self.d
        U = scale * rng.standard_normal((H, d))
        c = V.real(bias_scale, "bias_scale", low=0.0) * rng.standard_normal(H)
        w = readout_scale * rng.standard_normal(H)
        return self.pack(w, U, c)

    def labels(self):
        H, d = self.n_hidden, self.d
        out = [f"w{j}" for j in range(H)] + [f"U{j},{i}" for j in range(H) for i in range(d)]
        out += [f"c{j}" for j in range(H)]
        return out + (["a"] if self.train_confinement else [])

    # ------------------------------------------------------------------ energy and gradients
    def _hidden(self, x, theta):
        w, U, c, a = self.unpack(theta)
        x = np.asarray(x, dtype=float)
        phi = np.tanh(x @ U.T + c)
        return x, w, U, a, phi

    def features(self, x, theta):
        r"""The readout features :math:`\varphi_j(x)=\tanh(u_j\cdot x+c_j)`, shape (n, H)."""
        return self._hidden(x, theta)[4]

    def energy(self, x, theta):
        x, w, U, a, phi = self._hidden(x, theta)
        return phi @ w + 0.5 * a * np.einsum("ij,ij->i", x, x)

    def grad_x(self, x, theta):
        x, w, U, a, phi = self._hidden(x, theta)
        return ((1.0 - phi * phi) * w) @ U + a * x

    def grad_theta(self, x, theta):
        x, w, U, a, phi = self._hidden(x, theta)
        g = (1.0 - phi * phi) * w  # dE/dc_j
        n = x.shape[0]
        parts = [phi, (g[:, :, None] * x[:, None, :]).reshape(n, -1), g]
        if self.train_confinement:
            parts.append(0.5 * np.einsum("ij,ij->i", x, x)[:, None])
        return np.hstack(parts)

    def hessian_vector(self, x, theta, v):
        r""":math:`\nabla_x^2E(x)\,v` row by row (x, v of shape (n, d))."""
        x, w, U, a, phi = self._hidden(x, theta)
        v = np.asarray(v, dtype=float)
        s = -2.0 * phi * (1.0 - phi * phi) * w  # (n, H)
        return ((v @ U.T) * s) @ U + a * v

    def start(self, n, rng):
        r"""``n`` draws of :math:`p_0=\mathcal N(0, s_0^2 I)`."""
        return self.start_scale * rng.standard_normal((int(n), self.d))

    def with_linear(self, theta, w):
        """``theta`` with its linear parameters (:attr:`linear`) replaced by ``w``."""
        out = np.array(theta, dtype=float, copy=True)
        self.unpack(out)
        w = V.finite_array(w, "w", ndim=1)
        if w.shape != (self.linear.size,):
            raise ValueError(f"w must have shape ({self.linear.size},), got {w.shape}")
        out[self.linear] = w
        return out

    @property
    def linear(self):
        """Indices in theta of the parameters that multiply a fixed function of x: the readout w,
        and the confinement a when it is trained."""
        idx = list(range(self.n_hidden))
        return np.array(idx + ([self.n_params - 1] if self.train_confinement else []))

    def linear_features(self, x, theta):
        r"""The functions the linear parameters multiply: :math:`\varphi(x)` and, with a trained
        confinement, :math:`|x|^2/2`; shape (n, H) or (n, H + 1). Short-run training matches their
        averages at t = k (module docstring)."""
        phi = self.features(x, theta)
        if not self.train_confinement:
            return phi
        x = np.asarray(x, dtype=float)
        return np.hstack([phi, 0.5 * np.einsum("ij,ij->i", x, x)[:, None]])

    def readout_model(self, theta, *, basis=None, name=None):
        r"""The energy with the hidden layer frozen at ``theta``, as an :class:`~solvable.model.EnergyModel`
        whose parameters are the linear ones only (:attr:`linear`: w, and a when trained), in the
        coordinates :math:`v` of ``basis`` B, :math:`w=Bv` (default B = I):
        :math:`E(x;v)=v\cdot B^\top\psi(x)`, :math:`\psi` = :meth:`linear_features`, an exponential
        family whose short-run fixed point is exactly :math:`\langle\psi\rangle_D=\langle\psi\rangle_{t=k}`
        (B invertible). A whitening basis (:math:`B^\top\mathrm{Cov}_D(\psi)B=I`) makes plain gradient
        steps well conditioned (:func:`train_short_run`)."""
        base = np.array(theta, dtype=float, copy=True)
        self.unpack(base)
        lin = self.linear
        B = np.eye(lin.size) if basis is None else V.square(basis, "basis", d=lin.size)

        def full(v):
            t = base.copy()
            t[lin] = B @ v
            return t

        def grad_theta(x, v):
            return self.linear_features(x, base) @ B

        return EnergyModel(lambda x, v: self.energy(x, full(v)), lambda x, v: self.grad_x(x, full(v)),
                           grad_theta, self.start, name=name or f"mlp readout (d={self.d}, H={self.n_hidden})",
                           labels=[f"v{j}" for j in range(lin.size)])

    def model(self, name=None):
        """This energy as a :class:`solvable.model.EnergyModel` (Langevin kernel, start law :math:`p_0`)."""
        return EnergyModel(self.energy, self.grad_x, self.grad_theta, self.start,
                           name=name or f"mlp(d={self.d}, H={self.n_hidden})", labels=self.labels())


# ---------------------------------------------------------------------- a training recipe
def _child_seed(seed, key):
    return int(np.random.SeedSequence((int(seed), int(key))).generate_state(1)[0])


def train_short_run(net, data, *, k, step, lr=0.05, n_iter=500, n_chains=500, readout_iter=1500,
                    readout_chains=1000, readout_lr=None, tail=0.5, theta0=None, seed=0):
    r"""Short-run (Rdm-k) training of ``net`` in two phases, through :func:`solvable.model.train`.

    1. every parameter, ``n_iter`` updates with ``n_chains`` fresh chains from :math:`p_0` (ULA, ``step``);
    2. the linear parameters only (:meth:`MLPEnergy.readout_model`, the hidden layer frozen, in the
       coordinates v that whiten their features on the data, :math:`w=Bv`),
       ``readout_iter`` updates with ``readout_chains`` chains and learning rate ``readout_lr``
       (default ``lr``), then the tail average of the last
       ``tail`` fraction (Polyak averaging; :meth:`solvable.model.TrainResult.tail_mean`).

    Phase 2 is the same short-run update restricted to w: its fixed point is the one of phase 1's
    readout block, :math:`\langle\varphi\rangle_D=\langle\varphi\rangle_{t=k}`, and the tail average
    reaches it to within the Monte Carlo error of ``readout_chains * readout_iter * tail`` chains
    rather than of one update's (measured in ``paper_checks.neural_short_run_readout``).

    Parameters
    ----------
    net : :class:`MLPEnergy`
    data : (N, d) samples (finite, N >= 2, d = ``net.d``)
    k : ULA steps of each short run (int >= 1)
    step : ULA step :math:`\eta` (> 0)
    lr : learning rate of phase 1 (> 0)
    n_iter : phase-1 updates (int >= 1)
    n_chains : fresh chains per phase-1 update (int >= 2)
    readout_iter : phase-2 updates (int >= 1; at least 19, so that the tail average can form its
        20 batch means)
    readout_chains : fresh chains per phase-2 update (int >= 2)
    readout_lr : learning rate of phase 2 (> 0); None (default): ``lr``
    tail : fraction of the phase-2 trajectory averaged, in (0, 1]
    theta0 : (``net.n_params``,) initial parameters (finite); None (default): ``net.init(seed)``
    seed : int >= 0; phase 2 uses a child seed of it

    Returns
    -------
    dict with ``theta`` (final), ``theta_phase1``,
    ``history1``, ``history2`` (:class:`solvable.model.TrainResult` histories), ``basis`` (the whitening
    B, :math:`w=Bv`), ``v_se`` (batch-means SE of the tail average of v) and ``phase1_warnings``
    (the :class:`~solvable.runaway.RunawayWarning` messages of phase 1, which is short by design) and
    ``phase2_warnings`` (those of phase 2: a readout coordinate still drifting, e.g. towards a fixed
    point at infinity; returned, not raised, so that the caller's verdict can name them).
    """
    seed = V.seed(seed)
    th0 = net.init(seed) if theta0 is None else V.finite_array(theta0, "theta0", ndim=1)
    with warnings.catch_warnings(record=True) as caught:  # phase 1 is short by design: it shapes the features
        warnings.simplefilter("always", RunawayWarning)
        r1 = _model.train(net.model(), data, scheme="short-run", k=k, lr=lr, n_iter=n_iter, n_chains=n_chains,
                          theta0=th0, step=step, seed=seed, progress=False)
    phase1_warnings = [str(w.message) for w in caught if issubclass(w.category, RunawayWarning)]
    for w in caught:
        if not issubclass(w.category, RunawayWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    psi = net.linear_features(data, r1.theta)
    cov = np.cov(psi, rowvar=False) + 1e-8 * np.eye(psi.shape[1])
    B = np.linalg.inv(np.linalg.cholesky(cov)).T  # B^T cov B = I
    ro = net.readout_model(r1.theta, basis=B)
    with warnings.catch_warnings(record=True) as caught2:  # reported to the caller, who judges the fixed point
        warnings.simplefilter("always", RunawayWarning)
        r2 = _model.train(ro, data, scheme="short-run", k=k, lr=lr if readout_lr is None else readout_lr,
                          n_iter=readout_iter, n_chains=readout_chains,
                          theta0=np.linalg.solve(B, r1.theta[net.linear]), step=step, seed=_child_seed(seed, 41),
                          progress=False)
    phase2_warnings = [str(w.message) for w in caught2 if issubclass(w.category, RunawayWarning)]
    for w in caught2:
        if not issubclass(w.category, RunawayWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    v, v_se = r2.tail_mean(tail)
    return {"theta": net.with_linear(r1.theta, B @ v), "theta_phase1": r1.theta, "history1": r1.history,
            "history2": r2.history, "basis": B, "v_se": v_se, "phase1_warnings": phase1_warnings,
            "phase2_warnings": phase2_warnings}


# ---------------------------------------------------------------------- the short-run generator
def frozen_noise(n, k, d, seed=0):
    r"""The noise :math:`\xi` of a short-run generator, frozen: (k, n, d) standard normals from ``seed``.

    Parameters
    ----------
    n : number of chains (int >= 1)
    k : number of ULA steps (int >= 0; 0 gives an empty (0, n, d) array)
    d : dimension (int >= 1)
    seed : int >= 0 (same seed, same noise)

    Returns
    -------
    (k, n, d) array of standard normals, the ``noise`` of :func:`generate` and :func:`reconstruct`.
    """
    n, k, d = V.integer(n, "n", low=1), V.integer(k, "k", low=0), V.integer(d, "d", low=1)
    return generator(V.seed(seed), Stream.NUMPY_DYNAMICS, 7).standard_normal((k, n, d))


def generate(net, theta, z, k, *, step, noise=None, return_path=False):
    r"""The short-run map :math:`x_k=M_\theta(z,\xi)`: k ULA steps from the start vectors ``z`` (n, d).

    Parameters
    ----------
    net : :class:`MLPEnergy` (anything with ``grad_x(x, theta)``)
    theta : (``net.n_params``,) parameters
    z : (n, d) start vectors (finite)
    k : number of ULA steps (int >= 0; 0 returns a copy of ``z``)
    step : ULA step :math:`\eta` (> 0)
    noise : (k, n, d) standard normals :math:`\xi` (frozen noise, e.g. :func:`frozen_noise`; ``None``
        (default) gives the noise-free map)
    return_path : return every state, not only the last (default False)

    Returns
    -------
    ``x_k`` (n, d), or the whole path (k + 1, n, d) with ``return_path``.
    Raises :class:`~solvable.DivergenceError` when a chain becomes non-finite.
    """
    x = V.finite_array(z, "z", ndim=2).copy()
    k = V.integer(k, "k", low=0)
    step = V.positive(step, "step")
    if noise is not None:
        noise = V.finite_array(noise, "noise", ndim=3)
        if noise.shape != (k,) + x.shape:
            raise ValueError(f"noise must have shape {(k,) + x.shape} (k, n, d), got {noise.shape}")
    path = [x.copy()] if return_path else None
    amp = np.sqrt(2.0 * step)
    for t in range(k):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, as a DivergenceError
            x = x - step * net.grad_x(x, theta)
            if noise is not None:
                x = x + amp * noise[t]
        if not np.all(np.isfinite(x)):
            raise DivergenceError(f"generate: a chain became non-finite at step {t + 1} of {k}; lower step")
        if return_path:
            path.append(x.copy())
    return np.array(path) if return_path else x


def interpolate(z1, z2, rho):
    r"""Start vectors on the path :math:`z_\varrho=\varrho z_1+\sqrt{1-\varrho^2}z_2` (Nijkamp et al. 2019;
    theory.md 3.8): for independent :math:`z_1,z_2\sim\mathcal N(0,s_0^2I)` every :math:`z_\varrho` is again
    :math:`\mathcal N(0,s_0^2I)`.

    Parameters
    ----------
    z1, z2 : (n, d) start vectors (finite, same shape)
    rho : scalar or (m,) mixing coefficients :math:`\varrho`, each in [0, 1] (1: ``z1``, 0: ``z2``)

    Returns
    -------
    (m, n, d) array (or (n, d) for scalar ``rho``).
    """
    z1 = V.finite_array(z1, "z1", ndim=2)
    z2 = V.finite_array(z2, "z2", ndim=2)
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {z1.shape} and {z2.shape}")
    r = V.finite_array(rho, "rho", ndim=(0, 1))
    if np.any(r < 0) or np.any(r > 1):
        raise ValueError(f"rho must lie in [0, 1], got {r}")
    out = r[..., None, None] * z1 + np.sqrt(1.0 - r * r)[..., None, None] * z2
    return out


def _jacobian(net, theta, path, step):
    r"""d x_k / d z along a ULA path (k + 1, n, d): :math:`J_{t+1}=(I-\eta\nabla^2E(x_t))J_t`, shape (n, d, d)."""
    n, d = path.shape[1], path.shape[2]
    J = np.broadcast_to(np.eye(d), (n, d, d)).copy()
    for t in range(path.shape[0] - 1):
        cols = [J[:, :, j] - step * net.hessian_vector(path[t], theta, J[:, :, j]) for j in range(d)]
        J = np.stack(cols, axis=2)
    return J


RECONSTRUCTION_METHODS = ("gradient", "gauss-newton")


def reconstruct(net, theta, target, k, *, step, noise=None, z0=None, method="gradient", lr=0.1, n_iter=200,
                damping=1e-3):
    r"""Optimise the start vectors so that the short-run map hits ``target`` (Nijkamp et al. 2019):
    minimise :math:`L(z)=\frac12|M_\theta(z,\xi)-x^*|^2` row by row, with the Jacobian of the k ULA steps
    :math:`\partial x_k/\partial z=\prod_t(I-\eta\nabla_x^2E(x_t))`.

    ``method="gradient"``: :math:`z\leftarrow z-\gamma J^\top(x_k-x^*)` (back-propagation, any d);
    ``method="gauss-newton"``: :math:`z\leftarrow z-(J^\top J+\lambda I)^{-1}J^\top(x_k-x^*)` with
    ``damping`` :math:`\lambda`, J formed by forward propagation (small d; a step that does not
    lower L is retried with 10x the damping, per row). ``z0`` defaults to zeros (the mean of
    :math:`p_0`).

    Parameters
    ----------
    net : :class:`MLPEnergy` (``grad_x`` and ``hessian_vector`` are used)
    theta : (``net.n_params``,) parameters
    target : (n, d) targets :math:`x^*` (finite, d = ``net.d``)
    k : ULA steps of the short-run map (int >= 1)
    step : ULA step :math:`\eta` (> 0)
    noise : (k, n, d) frozen noise :math:`\xi`, or None (default, noise-free map)
    z0 : (n, d) initial start vectors (finite, shape of ``target``); None (default): zeros
    method : ``"gradient"`` (default) or ``"gauss-newton"``
    lr : step :math:`\gamma` of ``"gradient"`` (> 0; unused by Gauss-Newton)
    n_iter : iterations (int >= 1)
    damping : initial Gauss-Newton damping :math:`\lambda` (> 0; unused by ``"gradient"``)

    Returns
    -------
    ``(z, history)``: the optimised start vectors (n, d) and the per-row squared errors
    :math:`|M(z)-x^*|^2` before each iteration and after the last, shape (n_iter + 1, n).
    """
    target = V.finite_array(target, "target", ndim=2)
    if target.shape[1] != net.d:
        raise ValueError(f"target must have {net.d} columns, got shape {target.shape}")
    k = V.integer(k, "k", low=1)
    step = V.positive(step, "step")
    lr = V.positive(lr, "lr")
    n_iter = V.integer(n_iter, "n_iter", low=1)
    method = V.choice(method, "method", RECONSTRUCTION_METHODS)
    lam = np.full(target.shape[0], V.positive(damping, "damping"))
    z = np.zeros_like(target) if z0 is None else V.finite_array(z0, "z0", ndim=2).copy()
    if z.shape != target.shape:
        raise ValueError(f"z0 must have the shape of target {target.shape}, got {z.shape}")
    hist = []
    path = generate(net, theta, z, k, step=step, noise=noise, return_path=True)
    for it in range(n_iter + 1):
        r = path[-1] - target
        err = np.einsum("ij,ij->i", r, r)
        hist.append(err)
        if it == n_iter:
            break
        if method == "gradient":
            g = r
            for t in range(k - 1, -1, -1):  # (I - eta H(x_t))^T g, H symmetric
                g = g - step * net.hessian_vector(path[t], theta, g)
            z = z - lr * g
            path = generate(net, theta, z, k, step=step, noise=noise, return_path=True)
            continue
        J = _jacobian(net, theta, path, step)
        JtJ = np.einsum("nji,njk->nik", J, J)
        Jtr = np.einsum("nji,nj->ni", J, r)
        dz = np.linalg.solve(JtJ + lam[:, None, None] * np.eye(net.d), Jtr[:, :, None])[:, :, 0]
        z_new = z - dz
        path_new = generate(net, theta, z_new, k, step=step, noise=noise, return_path=True)
        r_new = path_new[-1] - target
        better = np.einsum("ij,ij->i", r_new, r_new) <= err
        z = np.where(better[:, None], z_new, z)
        path = np.where(better[None, :, None], path_new, path)
        lam = np.where(better, np.maximum(lam / 10.0, 1e-12), lam * 10.0)
    return z, np.array(hist)
