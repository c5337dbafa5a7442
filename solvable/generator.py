r"""The learned short-run chain of the Gaussian EBM read as a generator (a flow).

Nijkamp, Hill, Zhu, Wu (NeurIPS 2019, arXiv 1904.09770) argue that the short-run
chain :math:`x_k=M_\theta(z,\xi)`, :math:`z\sim p_0`, is a valid learned generator
that can reconstruct and interpolate. For the Gaussian energy
:math:`E=\tfrac12x^\top Jx-h^\top x` the chain is linear, so everything is exact
(theory.md 3.8):

* the noise-free map is affine, :math:`M(z)=A_kz+b_k=\mu_{\rm EBM}+A_k(z-\mu_{\rm EBM})`,
  with :math:`A_k=(I-\eta J)^k` (ULA, ``step=eta``) or :math:`e^{-Jk}` (continuous
  time / exact OU, ``step=None``), :math:`b_k=G_kh` the response to the field and
  :math:`\mu_{\rm EBM}=J^{-1}h` (:func:`flow`);
* the noise adds :math:`\mathcal N(0,N_k)`, independent of z (:func:`generate`);
* reconstruction :math:`\arg\min_z\|x-M(z)\|^2=\mu_{\rm EBM}+A_k^{-1}(x-\mu_{\rm EBM})`,
  or gradient descent whose per-mode contraction is :math:`|1-\gamma a^2|`, i.e. set by
  :math:`A_k^2` (:func:`reconstruct`, :func:`reconstruction_rate`);
* interpolation :math:`z_\varrho=\varrho z_1+\sqrt{1-\varrho^2}z_2` keeps the covariance
  of z, and its mean only if :math:`m_0=0` (:func:`interpolate`, :func:`interpolation_moments`);
* the density of the noise-free generator, :math:`\log q(x)=\log p_0(z)-\log|\det A_k|`
  (:func:`log_density`), and with a uniform :math:`p_0` a non-Gaussian q whose excess
  kurtosis is :math:`\sum_jA_{ij}^4\kappa_4(p_0)/C_{ii}^2` (:func:`excess_kurtosis`).

Every per-mode quantity comes from the primitives of :mod:`solvable.gaussian`
(``_decay``, ``_mean_gain``, ``_noise_var``); nothing here re-derives them.

Start laws (``start``): ``"gaussian"`` is :math:`\mathcal N(m_0, v_0I)` (default
:math:`v_0=1`); ``"uniform"`` is the uniform law on the cube :math:`m_0\pm\sqrt{3v_0}`
(default :math:`v_0=1/3`, i.e. :math:`U(-1,1)^d`).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy import special

from . import _validate as V
from . import gaussian as _g
from .errors import DivergenceError, NoFixedPointError
from .seeds import Stream, generator

__all__ = [
    "AffineFlow",
    "flow",
    "generate",
    "reconstruct",
    "reconstruction_rate",
    "interpolate",
    "interpolation_moments",
    "log_density",
    "excess_kurtosis",
    "START_LAWS",
    "ROUTES",
]

START_LAWS = ("gaussian", "uniform")
ROUTES = ("exact", "simulate")
RECONSTRUCTION_METHODS = ("exact", "gradient")

#: SeedSequence spawn keys of the two random inputs of :func:`generate` (latent z, noise xi).


# --------------------------------------------------------------------------------------
# the affine map
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class AffineFlow:
    r"""The k-step chain of the Gaussian EBM as the map :math:`x=A_kz+b_k+N_k^{1/2}\xi`.

    Stored in the eigenbasis ``U`` of J: ``decay`` holds the eigenvalues :math:`a_i` of
    :math:`A_k` (:math:`\rho_i^k` or :math:`e^{-j_ik}`), ``noise_var`` those of the
    noise covariance :math:`N_k`, ``offset`` is :math:`b_k=G_kh` (the chain's mean
    from z = 0). Build it with :func:`flow`.
    """

    eigenvalues: np.ndarray
    basis: np.ndarray
    decay: np.ndarray
    noise_var: np.ndarray
    offset: np.ndarray
    h: np.ndarray
    k: float
    step: float | None

    @property
    def dim(self):
        return self.offset.size

    @property
    def matrix(self):
        r""":math:`A_k=U\,\mathrm{diag}(a)\,U^\top`."""
        U = self.basis
        A = (U * self.decay) @ U.T
        return 0.5 * (A + A.T)

    @property
    def noise_cov(self):
        r""":math:`N_k=U\,\mathrm{diag}(n)\,U^\top`, the covariance the noise adds in k steps."""
        U = self.basis
        N = (U * self.noise_var) @ U.T
        return 0.5 * (N + N.T)

    @property
    def log_abs_det(self):
        r""":math:`\log|\det A_k|=\sum_i\log|a_i|` (:math:`=k\log|\det(I-\eta J)|`, or
        :math:`-k\,\mathrm{tr}J` in continuous time); ``-inf`` when a mode is erased (:math:`\eta j=1`)."""
        with np.errstate(divide="ignore"):
            return float(np.sum(np.log(np.abs(self.decay))))

    @property
    def condition_number(self):
        r""":math:`\kappa(A_k)=\max|a_i|/\min|a_i|` (inf when a mode is erased)."""
        amin = float(np.min(np.abs(self.decay)))
        return np.inf if amin == 0.0 else float(np.max(np.abs(self.decay)) / amin)

    @property
    def mu_ebm(self):
        r""":math:`\mu_{\rm EBM}=J^{-1}h`, the fixed point of the noise-free map.

        Raises :class:`~solvable.errors.NoFixedPointError` (a ValueError) when J has a zero
        eigenvalue: the energy is flat along that mode and has no centre, although the map
        :math:`M(z)=A_kz+b_k` is still defined (:math:`b_k\to k\,h` resp. :math:`\eta k\,h`).
        """
        j = self.eigenvalues
        scale = max(1.0, float(np.max(np.abs(j))))
        zero = np.abs(j) <= 1e-14 * scale
        if np.any(zero):
            raise NoFixedPointError(
                f"J has eigenvalue(s) {j[zero]} = 0: mu_EBM = J^-1 h does not exist (flat energy along that mode); "
                "the map M(z) = A_k z + b_k is still defined, use AffineFlow.offset / __call__"
            )
        U = self.basis
        return U @ ((U.T @ self.h) / j)

    def __call__(self, z):
        r"""The noise-free map :math:`M(z)=A_kz+b_k` for a point ``(d,)`` or rows ``(n, d)``."""
        z = np.asarray(z, dtype=float)
        U = self.basis
        return ((z @ U) * self.decay) @ U.T + self.offset

    def inverse(self, x):
        r""":math:`M^{-1}(x)=A_k^{-1}(x-b_k)`; raises ValueError when :math:`A_k` is singular."""
        _require_invertible(self)
        x = np.asarray(x, dtype=float)
        U = self.basis
        return (((x - self.offset) @ U) / self.decay) @ U.T


def _require_invertible(fl):
    if np.any(fl.decay == 0.0):
        bad = fl.eigenvalues[fl.decay == 0.0]
        raise ValueError(
            f"A_k is singular: eta*j = 1 for eigenvalue(s) j = {bad} (rho = 0 erases the start in one step), "
            "so z cannot be recovered from x; choose a step with eta*j != 1"
        )


def _flow(J, h, k, step):
    """AffineFlow from validated arguments (no validation here)."""
    j, U = np.linalg.eigh(J)
    with np.errstate(over="ignore", invalid="ignore"):
        a = _g.mode_decay(j, k, step)
        g = _g.mode_mean_gain(j, k, step)
        n = _g.mode_noise_var(j, k, step)
        offset = U @ (g * (U.T @ h))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(n)) and np.all(np.isfinite(offset))):
        raise DivergenceError(
            f"the {k}-step map overflows: "
            + (f"max eta*j = {float(step * j[-1]):.4g} >= 2 makes a mode grow as |1-eta*j|^k (step too large)"
               if step is not None else f"min eigenvalue of J = {float(j[0]):.4g} < 0 grows as e^(-jk)")
        )
    return AffineFlow(eigenvalues=j, basis=U, decay=a, noise_var=n, offset=offset, h=h, k=k, step=step)


def _check_model(J, h, k, step):
    J = V.symmetric(J, "J")
    h = V.vector(h, "h", J.shape[0])
    step = V.step(step)
    k = V.time(k, "k", step)
    return J, h, k, step


def flow(J, h, k, *, step=None):
    r"""The k-step Langevin chain of :math:`E=\tfrac12x^\top Jx-h^\top x` as an affine flow.

    .. math::
        x_k = M(z) + N_k^{1/2}\xi,\qquad M(z)=A_kz+b_k=\mu_{\rm EBM}+A_k(z-\mu_{\rm EBM}),

    :math:`A_k=(I-\eta J)^k` (ULA, ``step=eta``, integer k) or :math:`e^{-Jk}` (continuous
    time, ``step=None``); per mode :math:`b_k` and :math:`N_k` are the mean gain and the
    noise variance of :func:`solvable.gaussian.langevin_moments` (theory.md 3.1, 3.8;
    Nijkamp et al. 2019, arXiv 1904.09770). M is the chain's mean started at the point z.
    J need not be positive definite (``mu_ebm`` needs it invertible).

    Raises :class:`~solvable.errors.DivergenceError` when the map overflows.

    Parameters
    ----------
    J : array (d, d), symmetric (need not be positive definite)
    h : array (d,) or scalar (broadcast)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)

    Returns
    -------
    :class:`AffineFlow`
    """
    return _flow(*_check_model(J, h, k, step))


# --------------------------------------------------------------------------------------
# start laws
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _StartLaw:
    kind: str
    mean: np.ndarray
    var: float

    @property
    def half_width(self):
        return np.sqrt(3.0 * self.var)

    @property
    def kappa4(self):
        r"""Fourth cumulant of one coordinate: 0 (Gaussian), :math:`-\tfrac65v_0^2` (uniform; -2/15 for U(-1,1))."""
        return 0.0 if self.kind == "gaussian" else -1.2 * self.var**2

    def sample(self, n, seed):
        rng = generator(seed, Stream.GENERATOR_LATENT)
        d = self.mean.size
        if self.kind == "gaussian":
            return self.mean + np.sqrt(self.var) * rng.standard_normal((n, d))
        return self.mean + self.half_width * rng.uniform(-1.0, 1.0, size=(n, d))

    def logpdf(self, z):
        z = np.asarray(z, dtype=float)
        d = self.mean.size
        if self.kind == "gaussian":
            return -0.5 * d * np.log(2.0 * np.pi * self.var) - 0.5 * np.sum((z - self.mean) ** 2, axis=-1) / self.var
        inside = np.all(np.abs(z - self.mean) <= self.half_width, axis=-1)
        return np.where(inside, -d * np.log(2.0 * self.half_width), -np.inf)


def _start_law(start, mean0, var0, d):
    start = V.choice(start, "start", START_LAWS)
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    if var0 is None:
        v0 = 1.0 if start == "gaussian" else 1.0 / 3.0
    else:
        v0 = V.positive(var0, "var0")
    return _StartLaw(start, m0, v0)


# --------------------------------------------------------------------------------------
# generation
# --------------------------------------------------------------------------------------
def generate(J, h, k, n_samples, *, step=None, start="gaussian", mean0=None, var0=None, route="exact", seed=0,
             return_latent=False):
    r"""Draw ``n_samples`` from the short-run generator :math:`q=p_0T^k`: :math:`x=M(z)+N_k^{1/2}\xi`.

    ``route="exact"`` applies the affine flow (:func:`flow`) and adds the exact Gaussian
    noise of k steps (exact in law, for ULA and continuous time alike);
    ``route="simulate"`` runs :func:`solvable.gaussian.simulate` (ULA, Numba) from the
    same latent points z, so the two routes share z for the same ``seed``. ``start`` and
    ``mean0``/``var0`` choose :math:`p_0` (module docstring).

    Parameters
    ----------
    J : array (d, d), symmetric (need not be positive definite)
    h : array (d,) or scalar (broadcast)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)
    n_samples : int >= 1
    start : ``"gaussian"`` (default) or ``"uniform"``, the start law :math:`p_0`
    mean0 : array (d,), scalar or None (0), the start mean :math:`m_0`
    var0 : float > 0 or None (1 for ``"gaussian"``, 1/3 for ``"uniform"``), the start variance :math:`v_0`
    route : ``"exact"`` (default) or ``"simulate"`` (needs a ``step``)
    seed : int >= 0 (default 0)
    return_latent : bool, also return the latent points z

    Returns
    -------
    x : (n_samples, d) ndarray, and z (same shape) if ``return_latent``.
    """
    J, h, k, step = _check_model(J, h, k, step)
    n = V.integer(n_samples, "n_samples", low=1)
    route = V.choice(route, "route", ROUTES)
    seed = V.seed(seed)
    law = _start_law(start, mean0, var0, h.size)
    if route == "simulate" and step is None:
        raise ValueError("route='simulate' needs a ULA step (step > 0); continuous time (step=None) has route='exact' only")
    z = law.sample(n, seed)
    if route == "simulate":
        x = _g.simulate(J, h, k, n, step=step, x0=z, seed=seed)
    else:
        fl = _flow(J, h, k, step)
        rng = generator(seed, Stream.GENERATOR_NOISE)
        xi = rng.standard_normal(z.shape)
        x = fl(z) + (xi * np.sqrt(fl.noise_var)) @ fl.basis.T
    return (x, z) if return_latent else x


# --------------------------------------------------------------------------------------
# reconstruction
# --------------------------------------------------------------------------------------
def _points(x, name, d):
    x = V.finite_array(x, name, ndim=(1, 2))
    if x.shape[-1] != d:
        raise ValueError(f"{name} must have last dimension d = {d}, got shape {x.shape}")
    return x


def _default_lr(fl):
    return 1.0 / float(np.max(fl.decay**2))


def reconstruction_rate(J, k, *, step=None, lr=None):
    r"""Per-iteration contraction of gradient-descent reconstruction, :math:`\max_i|1-\gamma a_i^2|`.

    Gradient descent on :math:`\tfrac12\|x-M(z)\|^2` reads
    :math:`z\leftarrow z+\gamma A_k(x-M(z))`, so the error of mode i is multiplied by
    :math:`1-\gamma a_i^2` per iteration: the rate is set by :math:`A_k^2` (theory.md 3.8).
    With the default :math:`\gamma=1/\max a^2` it is :math:`1-1/\kappa(A_k)^2`, close to 1
    (slow) when :math:`\rho^k\ll1` in some mode. Converges iff :math:`0<\gamma<2/\max a^2`.

    Parameters
    ----------
    J : array (d, d), symmetric (need not be positive definite)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)
    lr : float > 0 or None (:math:`1/\max a^2`), the gradient-descent learning rate :math:`\gamma`

    Returns
    -------
    float >= 0 (< 1 iff gradient descent converges)
    """
    J = V.symmetric(J, "J")
    fl = _flow(*_check_model(J, np.zeros(J.shape[0]), k, step))
    lr = _default_lr(fl) if lr is None else V.positive(lr, "lr")
    return float(np.max(np.abs(1.0 - lr * fl.decay**2)))


def reconstruct(x, J, h, k, *, step=None, method="exact", lr=None, n_iter=1000, z0=None, return_history=False):
    r"""The latent z whose noise-free image is closest to x: :math:`\arg\min_z\|x-M(z)\|^2`.

    ``method="exact"``: the closed form :math:`z=\mu_{\rm EBM}+A_k^{-1}(x-\mu_{\rm EBM})
    =A_k^{-1}(x-b_k)` (theory.md 3.8; the residual is 0: M is onto).
    ``method="gradient"``: ``n_iter`` steps of :math:`z\leftarrow z+\gamma A_k(x-M(z))` from
    ``z0`` (default 0), learning rate ``lr`` (default :math:`1/\max a^2`); the error
    contracts by :func:`reconstruction_rate` per step. ``x`` is a point ``(d,)`` or rows
    ``(n, d)``.

    Parameters
    ----------
    x : array (d,) or (n, d), the points to reconstruct
    J : array (d, d), symmetric (need not be positive definite)
    h : array (d,) or scalar (broadcast)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)
    method : ``"exact"`` (default) or ``"gradient"``
    lr : float in :math:`(0, 2/\max a^2)` or None (:math:`1/\max a^2`); ``"gradient"`` only
    n_iter : int >= 0, gradient steps (default 1000; ``"gradient"`` only)
    z0 : array of the shape of x, or None (zeros), the start of gradient descent
    return_history : bool, also return the loss history

    Returns
    -------
    z : ndarray like x, and, if ``return_history``, the mean loss
    :math:`\tfrac12\|x-M(z_t)\|^2` for t = 0..n_iter (gradient) or [final loss] (exact).

    Raises ValueError when :math:`A_k` is singular (:math:`\eta j=1`) or when ``lr`` is
    outside the convergent range :math:`(0, 2/\max a^2)`.
    """
    J, h, k, step = _check_model(J, h, k, step)
    x = _points(x, "x", h.size)
    method = V.choice(method, "method", RECONSTRUCTION_METHODS)
    fl = _flow(J, h, k, step)
    _require_invertible(fl)

    def loss(z):
        r = x - fl(z)
        return 0.5 * float(np.mean(np.sum(np.atleast_2d(r) ** 2, axis=-1)))

    if method == "exact":
        z = fl.inverse(x)
        return (z, np.array([loss(z)])) if return_history else z
    lr_max = 2.0 / float(np.max(fl.decay**2))
    lr = _default_lr(fl) if lr is None else V.positive(lr, "lr")
    if lr >= lr_max:
        raise ValueError(f"lr must be < 2/max(a^2) = {lr_max:.6g} for gradient descent to converge, got {lr}")
    n_iter = V.integer(n_iter, "n_iter", low=0)
    z = np.zeros_like(x) if z0 is None else _points(z0, "z0", h.size).copy()
    if z.shape != x.shape:
        raise ValueError(f"z0 must have the shape of x, {x.shape}, got {z.shape}")
    A = fl.matrix
    history = np.empty(n_iter + 1)
    history[0] = loss(z)
    for t in range(n_iter):
        z = z + lr * (x - fl(z)) @ A
        history[t + 1] = loss(z)
    return (z, history) if return_history else z


# --------------------------------------------------------------------------------------
# interpolation
# --------------------------------------------------------------------------------------
def _rho(rho):
    r = V.finite_array(rho, "rho", ndim=(0, 1))
    if np.any(np.abs(r) > 1.0):
        raise ValueError(f"rho must lie in [-1, 1] (sqrt(1 - rho^2) must be real), got {r[np.abs(r) > 1].ravel()[0]}")
    return r


def interpolate(z1, z2, rho):
    r"""Latent interpolation :math:`z_\varrho=\varrho z_1+\sqrt{1-\varrho^2}\,z_2` (Nijkamp et al. 2019 [R]).

    ``z1`` and ``z2`` have the same shape; a scalar ``rho`` returns that shape, a 1-D
    array of R values returns shape ``(R,) + z1.shape``. For independent
    :math:`z_1,z_2\sim p_0` the covariance of :math:`z_\varrho` is that of :math:`p_0`
    for every :math:`\varrho` (:func:`interpolation_moments`).

    Parameters
    ----------
    z1 : array of any shape, finite
    z2 : array of the shape of ``z1``, finite
    rho : float or 1-D array (R,), every value in [-1, 1]

    Returns
    -------
    ndarray of shape ``z1.shape`` (scalar ``rho``) or ``(R,) + z1.shape``
    """
    z1 = V.finite_array(z1, "z1")
    z2 = V.finite_array(z2, "z2")
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape, got {z1.shape} and {z2.shape}")
    r = _rho(rho)
    c1 = r.reshape(r.shape + (1,) * z1.ndim)
    c2 = np.sqrt(1.0 - c1**2)
    return c1 * z1 + c2 * z2


def interpolation_moments(rho, mean0, cov0):
    r"""Mean and covariance of :math:`z_\varrho` for independent :math:`z_1,z_2` (mean :math:`m_0`, covariance :math:`C_0`).

    .. math:: \mathbb E z_\varrho=(\varrho+\sqrt{1-\varrho^2})\,m_0,\qquad
              \mathrm{Cov}\,z_\varrho=(\varrho^2+1-\varrho^2)\,C_0=C_0 .

    The covariance is kept for every :math:`\varrho`, the mean only if :math:`m_0=0`
    (or :math:`\varrho\in\{0,1\}`) (theory.md 3.8). A scalar ``rho`` returns
    ``(mean (d,), cov (d, d))``; an array returns ``(R, d)`` and ``(R, d, d)``.

    Parameters
    ----------
    rho : float or 1-D array (R,), every value in [-1, 1]
    mean0 : array (d,) or scalar (broadcast), the mean :math:`m_0` of z
    cov0 : array (d, d), symmetric, or a scalar (d = 1), the covariance :math:`C_0` of z

    Returns
    -------
    mean : (d,) or (R, d) ndarray
    cov : (d, d) or (R, d, d) ndarray
    """
    r = _rho(rho)
    C0 = V.symmetric(np.atleast_2d(cov0), "cov0")
    m0 = V.vector(mean0, "mean0", C0.shape[0])
    gain = r + np.sqrt(1.0 - r**2)
    mean = gain[..., None] * m0
    cov = (r**2 + (1.0 - r**2))[..., None, None] * C0
    return mean, cov


# --------------------------------------------------------------------------------------
# densities and cumulants
# --------------------------------------------------------------------------------------
def _log_uniform_gauss(x, lo, hi, s):
    r"""log-density of U(lo, hi) + N(0, s^2) at x.

    :math:`\log\{[\Phi(\tfrac{x-lo}s)-\Phi(\tfrac{x-hi}s)]/(hi-lo)\}`, the difference taken on the side
    where both :math:`\Phi` are small (``log_ndtr``), so the far tails are finite.
    """
    u = (x - lo) / s
    w = (x - hi) / s  # w < u
    # log(Phi(p) - Phi(q)) for p > q, evaluated on the side where Phi is small (no cancellation)
    right = w > 0.0
    p = np.where(right, -w, u)
    q = np.where(right, -u, w)
    lp = special.log_ndtr(p)
    lq = special.log_ndtr(q)
    return lp + np.log1p(-np.exp(lq - lp)) - np.log(hi - lo)


def log_density(x, J, h, k, *, step=None, start="gaussian", mean0=None, var0=None, noise=False):
    r"""Log-density of the short-run generator at x.

    ``noise=False`` (the flow of theory.md 3.8): the push-forward of :math:`p_0` by the
    noise-free map, :math:`\log q(x)=\log p_0(M^{-1}(x))-\log|\det A_k|`, with
    :math:`\log|\det A_k|=k\log|\det(I-\eta J)|` (ULA) or :math:`-k\,\mathrm{tr}J`
    (continuous time); ``-inf`` outside the image of a uniform cube.

    ``noise=True``: the law of :math:`x_k=M(z)+N_k^{1/2}\xi`. Gaussian start: the normal law
    of :func:`solvable.gaussian.langevin_moments`. Uniform start: the per-axis convolution
    of a uniform and a normal law, :math:`[\Phi(\frac{x-l}{s})-\Phi(\frac{x-u}{s})]/(u-l)`,
    which needs a diagonal J (the law then factorises per axis; else ValueError).

    Parameters
    ----------
    x : array (d,) or (n, d), the points
    J : array (d, d), symmetric (need not be positive definite)
    h : array (d,) or scalar (broadcast)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)
    start : ``"gaussian"`` (default) or ``"uniform"``, the start law :math:`p_0`
    mean0 : array (d,), scalar or None (0), the start mean :math:`m_0`
    var0 : float > 0 or None (1 for ``"gaussian"``, 1/3 for ``"uniform"``), the start variance :math:`v_0`
    noise : bool, False (default): the noise-free flow; True: the law with the chain's noise

    Returns
    -------
    float array of shape ``x.shape[:-1]`` (``-inf`` off the support)
    """
    J, h, k, step = _check_model(J, h, k, step)
    d = h.size
    x = _points(x, "x", d)
    law = _start_law(start, mean0, var0, d)
    fl = _flow(J, h, k, step)
    if not noise:
        _require_invertible(fl)
        return law.logpdf(fl.inverse(x)) - fl.log_abs_det
    if law.kind == "gaussian":
        mean, cov = _g.propagate_law(J, h, k, step, law.mean, law.var * np.eye(d))
        L = np.linalg.cholesky(cov)
        r = np.linalg.solve(L, np.atleast_2d(x - mean).T).T
        out = -0.5 * np.sum(r**2, axis=-1) - np.sum(np.log(np.diag(L))) - 0.5 * d * np.log(2.0 * np.pi)
        return out if x.ndim == 2 else out[0]
    off = J - np.diag(np.diag(J))
    if np.any(off != 0.0):
        raise ValueError("noise=True with start='uniform' has a closed form only for a diagonal J "
                         f"(max |off-diagonal| = {np.max(np.abs(off)):.3g}); use noise=False or generate() samples")
    # diagonal J: eigh may permute the axes, so evaluate the per-axis quantities directly from the diagonal
    jd = np.diag(J)
    a = _g.mode_decay(jd, k, step)
    b = _g.mode_mean_gain(jd, k, step) * h
    s = np.sqrt(_g.mode_noise_var(jd, k, step))
    ends = np.stack([a * (law.mean - law.half_width) + b, a * (law.mean + law.half_width) + b])
    lo, hi = ends.min(axis=0), ends.max(axis=0)
    if np.any(s == 0.0):  # k = 0: no noise yet, q = p0
        return law.logpdf(x)
    return np.sum(_log_uniform_gauss(np.asarray(x), lo, hi, s), axis=-1)


def excess_kurtosis(J, k, *, step=None, start="uniform", var0=None):
    r"""Per-axis excess kurtosis of the short-run generator's law :math:`q=p_0T^k`.

    Cumulants of order >= 3 pass through the linear chain and the Gaussian noise adds
    none, so for a start law with i.i.d. coordinates of fourth cumulant :math:`\kappa_4`
    (uniform: :math:`-\tfrac65v_0^2=-2/15` for U(-1,1); Gaussian: 0)

    .. math:: \kappa_4(x_i)=\sum_jA_{k,ij}^4\,\kappa_4,\qquad
              \text{excess kurtosis}_i=\kappa_4(x_i)/C_{k,ii}^2,

    which is :math:`\rho^{4k}(-2/15)/c^2` in 1-D (theory.md 3.8, 9.1; c the variance at
    time k). A non-zero value means q is not Gaussian although its first two moments may
    match the data. Independent of h and :math:`m_0`.

    Parameters
    ----------
    J : array (d, d), symmetric (need not be positive definite)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps)
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)
    start : ``"uniform"`` (default) or ``"gaussian"`` (then 0)
    var0 : float > 0 or None (1 for ``"gaussian"``, 1/3 for ``"uniform"``), the start variance :math:`v_0`

    Returns
    -------
    (d,) ndarray, the excess kurtosis of each coordinate
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    _, h, k, step = _check_model(J, np.zeros(d), k, step)
    law = _start_law(start, None, var0, d)
    fl = _flow(J, h, k, step)
    _, cov = _g.propagate_law(J, h, k, step, law.mean, law.var * np.eye(d))
    return np.sum(fl.matrix**4, axis=1) * law.kappa4 / np.diag(cov) ** 2
