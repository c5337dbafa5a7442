r"""What MCMC-based training optimises: CD objectives, the dropped term, replay buffers, entropies.

Gagnon and Lajoie (2022, arXiv 2202.12176) separate contrastive divergence (CD) from
maximum likelihood (ML). For a :math:`p_\theta`-invariant kernel and
:math:`q_\theta=p_DT^k_\theta` (theory.md 2.4):

.. math::
    \mathrm{CD}_k=\mathrm{KL}(p_D\|p_\theta)-\mathrm{KL}(q_\theta\|p_\theta)\ge0,\qquad
    \nabla_\theta\mathrm{CD}_k=-\Delta-\partial_{\theta'}\mathrm{KL}(q_{\theta'}\|p_\theta)\big|_{\theta'=\theta},

:math:`\Delta=\langle\partial E\rangle_q-\langle\partial E\rangle_D` being the practical
CD update, which drops the last term. The noise-start analogue
:math:`J_0=\mathrm{KL}(p_D\|p_\theta)-\mathrm{KL}(p_0T^k\|p_\theta)` is not a divergence:
:math:`J_0=-\mathrm{KL}(p_0T^k\|p_D)<0` at :math:`p_\theta=p_D`.

Everything is closed form on the Gaussian model:

* :func:`gaussian_kl`, :func:`gaussian_entropy`; quadrature versions for 1-D laws that
  are not Gaussian (:func:`entropy_1d`, :func:`kl_1d`) for the entropy identity of
  theory.md 2.3, :math:`\mathrm{KL}(q\|p_{\rm ML})=H(p_{\rm ML})-H(q)` on
  :math:`\Omega=\{q:\langle\phi\rangle_q=\langle\phi\rangle_D\}`;
* the 1-D exact-OU example of theory.md 3.7 (:class:`OUExample`): :math:`E=\lambda(x-\mu)^2/2`,
  exact OU steps of length :math:`\tau` (a :math:`p_\theta`-invariant kernel), so k steps
  are continuous-time Langevin at time :math:`k\tau`: :func:`cd_objective`,
  :func:`noise_start_objective`, :func:`cd_gradient` (analytic, with its decomposition),
  and the fixed points of short-run, CD, replay-buffer and ML training
  (:func:`example_fixed_point`);
* the replay buffer in any dimension (:func:`buffer_moments`, :func:`buffer_fixed_point`):
  each stored chain is re-initialised from :math:`p_0` with probability :math:`\epsilon_r`
  before every k-step update, so at slow learning rate the buffer holds
  :math:`\epsilon_r\sum_{i\ge1}(1-\epsilon_r)^{i-1}p_0T^{ik}` (theory.md 2.1, 3.7).
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import NamedTuple

import numpy as np
from scipy import integrate, optimize
from tqdm.auto import tqdm

from . import _validate as V
from . import gaussian as _g
from .generator import flow
from .seeds import Stream, generator, seed_sequence
from .errors import NoFixedPointError, NonNormalizableWarning

__all__ = [
    "gaussian_kl",
    "gaussian_entropy",
    "entropy_1d",
    "kl_1d",
    "OUExample",
    "EXAMPLE",
    "chain_law",
    "cd_objective",
    "noise_start_objective",
    "CDGradient",
    "cd_gradient",
    "buffer_moments",
    "buffer_fixed_point",
    "simulate_buffer",
    "example_fixed_point",
    "EXAMPLE_SCHEMES",
]

EXAMPLE_SCHEMES = ("short-run", "cd", "buffer", "ml")


# --------------------------------------------------------------------------------------
# divergences and entropies
# --------------------------------------------------------------------------------------
def _law(mean, cov, name):
    C = np.atleast_2d(V.finite_array(cov, f"cov_{name}", ndim=(0, 2)))
    C, c, U = V.spd(C, f"cov_{name}")
    m = V.vector(mean, f"mean_{name}", C.shape[0])
    return m, C, c, U


def gaussian_kl(mean_p, cov_p, mean_q, cov_q):
    r""":math:`\mathrm{KL}(\mathcal N(\mu_p,\Sigma_p)\,\|\,\mathcal N(\mu_q,\Sigma_q))`.

    .. math:: \tfrac12\big[\mathrm{tr}(\Sigma_q^{-1}\Sigma_p)+(\mu_q-\mu_p)^\top\Sigma_q^{-1}(\mu_q-\mu_p)
              -d+\log\det\Sigma_q-\log\det\Sigma_p\big]

    (standard). 1-D laws may be given as scalars (mean, variance).

    Parameters
    ----------
    mean_p : array (d,) or scalar, the mean of p
    cov_p : array (d, d) symmetric positive definite, or a variance > 0 (d = 1)
    mean_q : array (d,) or scalar, the mean of q (same d)
    cov_q : array (d, d) symmetric positive definite, or a variance > 0 (d = 1)

    Returns
    -------
    float >= 0
    """
    mp, Cp, cp, _ = _law(mean_p, cov_p, "p")
    mq, Cq, cq, Uq = _law(mean_q, cov_q, "q")
    if mq.size != mp.size:
        raise ValueError(f"the two laws must have the same dimension, got {mp.size} and {mq.size}")
    return _gaussian_kl(mp, Cp, np.sum(np.log(cp)), mq, (Uq / cq) @ Uq.T, np.sum(np.log(cq)))


def _gaussian_kl(mp, Cp, logdet_p, mq, Cq_inv, logdet_q):
    """The formula of :func:`gaussian_kl` from validated pieces (no checks; used in loops)."""
    dm = mq - mp
    return float(0.5 * (np.trace(Cq_inv @ Cp) + dm @ Cq_inv @ dm - mp.size + logdet_q - logdet_p))


def gaussian_entropy(cov):
    r"""Differential entropy :math:`H=\tfrac12\log\det(2\pi e\,\Sigma)` (a scalar is a 1-D variance).

    Parameters
    ----------
    cov : array (d, d) symmetric positive definite, or a variance > 0 (d = 1)

    Returns
    -------
    float
    """
    C = np.atleast_2d(V.finite_array(cov, "cov", ndim=(0, 2)))
    _, c, _ = V.spd(C, "cov")
    return float(0.5 * np.sum(np.log(2.0 * np.pi * np.e * c)))


def _quad(f, lo, hi):
    lo = V.real(lo, "lo") if np.isfinite(lo) else -np.inf
    hi = V.real(hi, "hi") if np.isfinite(hi) else np.inf
    if not lo < hi:
        raise ValueError(f"lo must be < hi, got lo = {lo}, hi = {hi}")
    return integrate.quad(f, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=500)


def entropy_1d(logpdf, *, lo=-np.inf, hi=np.inf):
    r"""Differential entropy :math:`H(q)=-\int q\log q` of a 1-D law by adaptive quadrature.

    ``logpdf`` maps an array of points to log-densities (``-inf`` allowed off the support).
    Returns ``(H, abs_error_estimate)``.

    Parameters
    ----------
    logpdf : callable, ``logpdf(x (n,)) -> (n,)`` log-densities of a normalised 1-D law
    lo, hi : floats, lo < hi, the integration range (default the real line; infinite allowed)

    Returns
    -------
    H : float
    abs_error_estimate : float
    """
    def f(x):
        lq = float(np.asarray(logpdf(np.array([x]))).ravel()[0])
        return 0.0 if not np.isfinite(lq) else -np.exp(lq) * lq

    return _quad(f, lo, hi)


def kl_1d(logpdf_p, logpdf_q, *, lo=-np.inf, hi=np.inf):
    r""":math:`\mathrm{KL}(p\|q)=\int p\log(p/q)` of two 1-D laws by adaptive quadrature.

    Returns ``(KL, abs_error_estimate)``. Used for the entropy identity of theory.md 2.3
    with a non-Gaussian q (uniform start, theory.md 3.8).

    Parameters
    ----------
    logpdf_p : callable, ``logpdf_p(x (n,)) -> (n,)``, the log-density of p
    logpdf_q : callable, ``logpdf_q(x (n,)) -> (n,)``, the log-density of q
    lo, hi : floats, lo < hi, the integration range (default the real line; infinite allowed)

    Returns
    -------
    KL : float
    abs_error_estimate : float
    """
    def f(x):
        pt = np.array([x])
        lp = float(np.asarray(logpdf_p(pt)).ravel()[0])
        if not np.isfinite(lp):
            return 0.0
        return np.exp(lp) * (lp - float(np.asarray(logpdf_q(pt)).ravel()[0]))

    return _quad(f, lo, hi)


# --------------------------------------------------------------------------------------
# the exact-OU example (theory.md 3.7)
# --------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class OUExample:
    r"""The 1-D exact-OU example of theory.md 3.7 (Gagnon and Lajoie 2022 setting).

    Model :math:`p_\theta\propto e^{-\lambda(x-\mu)^2/2}` (:math:`f=-E`), i.e. the
    Gaussian EBM with :math:`J=\lambda`, :math:`h=\lambda\mu`; kernel: exact OU with time
    ``tau`` per step (leaves :math:`p_\theta` invariant), ``k`` steps per update; data
    :math:`\mathcal N(` ``data_mean``, ``data_var`` :math:`)`; noise start
    :math:`p_0=\mathcal N(` ``mean0``, ``var0`` :math:`)`. Defaults: theory.md 3.7/9.3.
    """

    data_mean: float = 0.3
    data_var: float = 0.25
    mean0: float = 0.0
    var0: float = 1.0 / 3.0
    tau: float = 0.05
    k: int = 3

    def __post_init__(self):
        V.real(self.data_mean, "data_mean")
        V.positive(self.data_var, "data_var")
        V.real(self.mean0, "mean0")
        V.positive(self.var0, "var0")
        V.positive(self.tau, "tau")
        V.integer(self.k, "k", low=1)

    @property
    def time(self):
        """Langevin time of one update, k * tau (exact OU steps compose)."""
        return self.k * self.tau

    @property
    def data(self):
        return (self.data_mean, self.data_var)

    @property
    def start(self):
        return (self.mean0, self.var0)


EXAMPLE = OUExample()


def _example(example):
    if not isinstance(example, OUExample):
        raise TypeError(f"example must be an OUExample, got {type(example).__name__}")
    return example


def _theta(mu, lam):
    return V.real(mu, "mu"), V.positive(lam, "lam")


def _chain_law(mu, lam, m, v, t):
    """Per-mode 1-D law after time t from N(m, v) from the primitives of :mod:`solvable.gaussian`
    (what :func:`solvable.gaussian.langevin_moments` computes for d = 1, without its eigen-decomposition)."""
    j = np.array(lam)
    a = float(_g.mode_decay(j, t, None))
    mean = a * m + float(_g.mode_mean_gain(j, t, None)) * lam * mu
    return mean, a * a * v + float(_g.mode_noise_var(j, t, None))


def chain_law(mu, lam, start_mean, start_var, *, example=EXAMPLE, n_blocks=1):
    r"""Mean and variance after ``n_blocks`` updates of k exact-OU steps from :math:`\mathcal N(m,v)`.

    :func:`solvable.gaussian.langevin_moments` with :math:`J=\lambda`, :math:`h=\lambda\mu`
    at time :math:`n\,k\tau`: :math:`m_t=\mu+e^{-\lambda t}(m-\mu)`,
    :math:`v_t=e^{-2\lambda t}v+(1-e^{-2\lambda t})/\lambda` (theory.md 3.1, 3.7).

    Parameters
    ----------
    mu : float, the model centre :math:`\mu`
    lam : float > 0, the model precision :math:`\lambda`
    start_mean : float, the start mean m
    start_var : float >= 0, the start variance v
    example : :class:`OUExample`, the set-up (default :data:`EXAMPLE`, theory.md 3.7)
    n_blocks : int >= 0, number of k-step updates (default 1)

    Returns
    -------
    mean : float
    var : float
    """
    ex = _example(example)
    mu, lam = _theta(mu, lam)
    m = V.real(start_mean, "start_mean")
    v = V.real(start_var, "start_var", low=0.0)
    n = V.integer(n_blocks, "n_blocks", low=0)
    return _chain_law(mu, lam, m, v, n * ex.time)


def _kl(m1, v1, m2, v2):
    """1-D KL(N(m1, v1) || N(m2, v2)) of positive variances, through the one formula of :func:`gaussian_kl`."""
    return _gaussian_kl(np.array([m1]), np.array([[v1]]), np.log(v1), np.array([m2]), np.array([[1.0 / v2]]),
                        np.log(v2))


def cd_objective(mu, lam, *, example=EXAMPLE):
    r""":math:`\mathrm{CD}_k(\theta)=\mathrm{KL}(p_D\|p_\theta)-\mathrm{KL}(p_DT^k_\theta\|p_\theta)\ge0`.

    Non-negative because the kernel leaves :math:`p_\theta` invariant (KL contracts);
    zero iff :math:`p_D=p_\theta` here (theory.md 2.4, 3.7; Gagnon and Lajoie 2022,
    arXiv 2202.12176). 9.3: 0, 0.2021, 2.6185 at :math:`(\mu,\lambda)=(0.3,4),(0,1),(1,10)`.

    Parameters
    ----------
    mu : float, the model centre :math:`\mu`
    lam : float > 0, the model precision :math:`\lambda`
    example : :class:`OUExample`, the set-up (default :data:`EXAMPLE`, theory.md 3.7)

    Returns
    -------
    float >= 0
    """
    ex = _example(example)
    mu, lam = _theta(mu, lam)
    mq, vq = _chain_law(mu, lam, ex.data_mean, ex.data_var, ex.time)
    return _kl(ex.data_mean, ex.data_var, mu, 1.0 / lam) - _kl(mq, vq, mu, 1.0 / lam)


def noise_start_objective(mu, lam, *, example=EXAMPLE):
    r""":math:`J_0(\theta)=\mathrm{KL}(p_D\|p_\theta)-\mathrm{KL}(p_0T^k_\theta\|p_\theta)`: not a divergence.

    At :math:`p_\theta=p_D` it equals :math:`-\mathrm{KL}(p_0T^k\|p_D)<0` (theory.md 2.4;
    9.3: -0.0566 at (0.3, 4), 0.2696 at (0, 1), 2.4898 at (1, 10)).

    Parameters
    ----------
    mu : float, the model centre :math:`\mu`
    lam : float > 0, the model precision :math:`\lambda`
    example : :class:`OUExample`, the set-up (default :data:`EXAMPLE`, theory.md 3.7)

    Returns
    -------
    float
    """
    ex = _example(example)
    mu, lam = _theta(mu, lam)
    mq, vq = _chain_law(mu, lam, ex.mean0, ex.var0, ex.time)
    return _kl(ex.data_mean, ex.data_var, mu, 1.0 / lam) - _kl(mq, vq, mu, 1.0 / lam)


class CDGradient(NamedTuple):
    """:math:`\\nabla\\mathrm{CD}_k` = ``minus_delta`` (the practical CD update) + ``dropped``."""

    total: np.ndarray
    minus_delta: np.ndarray
    dropped: np.ndarray
    wrt: tuple


def _d_decay_dj(j, t):
    r""":math:`\partial_j e^{-jt}=-t\,e^{-jt}` (the j-derivative of ``gaussian.mode_decay``, continuous time)."""
    return -t * _g.mode_decay(j, t, None)


def _d_noise_var_dj(j, t):
    r""":math:`\partial_j(1-e^{-2jt})/j=(2t\,e^{-2jt}-N)/j` (j-derivative of ``gaussian.mode_noise_var``, continuous
    time), with the series :math:`2t(-t+\tfrac43jt^2-j^2t^3)` when :math:`|jt|<10^{-3}`."""
    j = np.asarray(j, dtype=float)
    x = j * t
    series = 2.0 * t * (-t + (4.0 / 3.0) * j * t**2 - j**2 * t**3)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = (2.0 * t * _g.mode_decay(j, t, None) ** 2 - _g.mode_noise_var(j, t, None)) / j
    return np.where(np.abs(x) < 1e-3, series, exact)


def cd_gradient(mu, lam, *, example=EXAMPLE, wrt="log_lam"):
    r"""Analytic gradient of :func:`cd_objective` and its decomposition (theory.md 2.4, 9.3).

    .. math:: \nabla\mathrm{CD}_k=\underbrace{\langle\partial E\rangle_D-\langle\partial E\rangle_q}_{-\Delta}
              \ \underbrace{-\,\partial_{\theta'}\mathrm{KL}(q_{\theta'}\|p_\theta)|_{\theta'=\theta}}_{\text{dropped}}

    with :math:`E=\lambda(x-\mu)^2/2`, so :math:`\partial_\mu E=-\lambda(x-\mu)`,
    :math:`\partial_{\log\lambda}E=\lambda(x-\mu)^2/2`; and, through the moments
    :math:`(m,v)` of :math:`q_{\theta'}=p_DT^k_{\theta'}`,
    :math:`\partial_m\mathrm{KL}=\lambda(m-\mu)`, :math:`\partial_v\mathrm{KL}=\tfrac12(\lambda-1/v)`,
    :math:`\partial_{\mu'}m=1-a`, :math:`\partial_{\lambda'}m=a'(\mu_D-\mu)`,
    :math:`\partial_{\lambda'}v=2aa'c+N'` (:math:`a=e^{-\lambda k\tau}`, N the noise
    variance, primes = :math:`\partial_\lambda`).

    ``wrt="log_lam"`` (default, the parametrisation of theory.md 9.3): components along
    :math:`(\mu,\log\lambda)`; ``wrt="lam"``: along :math:`(\mu,\lambda)`.
    At (0.1, log 2): total (-0.180475, -0.135761) = -Delta (-0.103673, -0.094750)
    + dropped (-0.076803, -0.041011).

    Parameters
    ----------
    mu : float, the model centre :math:`\mu`
    lam : float > 0, the model precision :math:`\lambda`
    example : :class:`OUExample`, the set-up (default :data:`EXAMPLE`, theory.md 3.7)
    wrt : ``"log_lam"`` (default) or ``"lam"``

    Returns
    -------
    :class:`CDGradient` ``(total, minus_delta, dropped, wrt)``, each gradient of shape (2,)
    """
    ex = _example(example)
    mu, lam = _theta(mu, lam)
    wrt = V.choice(wrt, "wrt", ("log_lam", "lam"))
    t = ex.time
    mD, c = ex.data
    mq, vq = _chain_law(mu, lam, mD, c, t)

    def mean_dE(m, v):  # <dE/dmu>, <dE/dlog lam> under N(m, v)
        return np.array([-lam * (m - mu), 0.5 * lam * ((m - mu) ** 2 + v)])

    minus_delta = mean_dE(mD, c) - mean_dE(mq, vq)
    a = float(_g.mode_decay(np.array(lam), t, None))
    da = float(_d_decay_dj(np.array(lam), t))
    dN = float(_d_noise_var_dj(np.array(lam), t))
    dKL_dm = lam * (mq - mu)
    dKL_dv = 0.5 * (lam - 1.0 / vq)
    dm = np.array([1.0 - a, lam * da * (mD - mu)])  # d/dmu', d/dlog lam' = lam d/dlam'
    dv = np.array([0.0, lam * (2.0 * a * da * c + dN)])
    dropped = -(dKL_dm * dm + dKL_dv * dv)
    scale = np.array([1.0, 1.0 if wrt == "log_lam" else 1.0 / lam])
    names = ("mu", "log_lam") if wrt == "log_lam" else ("mu", "lam")
    return CDGradient(total=(minus_delta + dropped) * scale, minus_delta=minus_delta * scale,
                      dropped=dropped * scale, wrt=names)


# --------------------------------------------------------------------------------------
# replay buffer
# --------------------------------------------------------------------------------------
def _buffer_weight_sum(x, eps):
    r""":math:`\sum_{i\ge1}\epsilon(1-\epsilon)^{i-1}x^i=\epsilon x/(1-(1-\epsilon)x)` (geometric age law of the buffer)."""
    return eps * x / (1.0 - (1.0 - eps) * x)


def _buffer(J, h, k, eps, step, m0, C0):
    """Buffer mixture moments from validated arguments (raises NoFixedPointError without a stationary law)."""
    mu_inf, C_inf = _g.stationary_moments(J, h, step=step)
    j, U = np.linalg.eigh(J)
    a = _g.mode_decay(j, k, step)
    S1 = _buffer_weight_sum(a, eps)
    S2 = _buffer_weight_sum(np.outer(a, a), eps)
    delta = U.T @ (m0 - mu_inf)
    Cinf_m = U.T @ C_inf @ U
    mean = mu_inf + U @ (S1 * delta)
    s1d = S1 * delta
    cov_m = Cinf_m + S2 * (U.T @ C0 @ U - Cinf_m + np.outer(delta, delta)) - np.outer(s1d, s1d)
    cov = U @ cov_m @ U.T
    return mean, 0.5 * (cov + cov.T)


def _eps(eps):
    eps = V.real(eps, "eps", low=0.0, high=1.0, low_open=True)
    return eps


def buffer_moments(J, h, k, eps, *, step=None, mean0=None, cov0=None):
    r"""Mean and covariance of the replay-buffer law :math:`\epsilon\sum_{i\ge1}(1-\epsilon)^{i-1}p_0T^{ik}`.

    A stored chain is re-initialised from :math:`p_0=\mathcal N(m_0,C_0)` (default
    :math:`\mathcal N(0,I)`) with probability ``eps`` before each k-step update, so its
    age is geometric. The chain is linear with stationary law
    :math:`(\mu_\infty,C_\infty)` (:func:`solvable.gaussian.stationary_moments`) and
    per-update decay :math:`A=U\,\mathrm{diag}(a)U^\top`, hence
    :math:`m_i=\mu_\infty+A^i\delta`, :math:`C_i=C_\infty+A^i(C_0-C_\infty)A^i`,
    :math:`\delta=m_0-\mu_\infty`, and in the eigenbasis of J, with
    :math:`S(x)=\epsilon x/(1-(1-\epsilon)x)`:

    .. math::
        \bar m=\mu_\infty+S(a)\delta,\qquad
        \bar C=C_\infty+S(aa^\top)\circ(C_0-C_\infty+\delta\delta^\top)-(S(a)\delta)(S(a)\delta)^\top .

    ``eps=1`` is the short-run law :math:`p_0T^k`; ``eps -> 0`` the stationary law (PCD).
    Exact (the truncated sum of theory.md 3.7 converges to it). Raises
    :class:`~solvable.errors.NoFixedPointError` when the chain has no stationary law
    (J not positive definite, or :math:`\eta j\ge2`); for ``eps=1`` use
    :func:`solvable.gaussian.langevin_moments`, which needs none.

    Parameters
    ----------
    J : array (d, d), symmetric positive definite (a stationary law is needed)
    h : array (d,) or scalar (broadcast)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps), per update
    eps : float in (0, 1], the re-initialisation probability :math:`\epsilon_r`
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)
    mean0 : array (d,), scalar or None (0), the start mean :math:`m_0`
    cov0 : array (d, d), symmetric, or None (I), the start covariance :math:`C_0`

    Returns
    -------
    mean : (d,) ndarray
    cov : (d, d) ndarray
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    step = V.step(step)
    k = V.time(k, "k", step)
    eps = _eps(eps)
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    C0 = np.eye(d) if cov0 is None else V.symmetric(np.atleast_2d(cov0), "cov0", d=d)
    try:
        return _buffer(J, h, k, eps, step, m0, C0)
    except NoFixedPointError as exc:
        raise NoFixedPointError(f"buffer law undefined: {exc} (the buffer averages over unbounded ages)") from None


def _pack(J, h):
    L = np.linalg.cholesky(J)
    il = np.tril_indices(J.shape[0])
    Lc = L.copy()
    Lc[np.diag_indices_from(L)] = np.log(np.diag(L))
    return np.concatenate([Lc[il], h])


def _unpack(u, d):
    il = np.tril_indices(d)
    L = np.zeros((d, d))
    L[il] = u[: il[0].size]
    L[np.diag_indices(d)] = np.exp(np.diag(L))
    return L @ L.T, u[il[0].size:]


def buffer_fixed_point(mean, cov, k, eps, *, step=None, mean0=None, var0=1.0, tol=1e-10):
    r"""Parameters (J, h) at which replay-buffer training is stationary: :func:`buffer_moments` = data.

    Slow learning rate, exponential family: :math:`\langle\phi\rangle_{\rm buffer}=\langle\phi\rangle_D`,
    i.e. the buffer mean and covariance equal ``mean`` and ``cov`` (theory.md 2.1, 3.7).
    It moves from the short-run fixed point (``eps=1``,
    :func:`solvable.gaussian.short_run_fixed_point`) to the persistent one (``eps -> 0``,
    :func:`solvable.gaussian.persistent_fixed_point`: ML for an exact kernel, ``step=None``).
    Start law :math:`\mathcal N(m_0, v_0I)`.

    Solved with a Powell hybrid root finder in the Cholesky parametrisation of J (which
    keeps J positive definite: the buffer law needs a stationary chain), started from both
    limits; the relative residual must be below ``tol``, else
    :class:`~solvable.errors.NoFixedPointError`. No positive-definite solution exists when
    the data are wider than any buffer can be, e.g. in 1-D continuous time with
    :math:`m_0=\mu_D` the buffer variance tends to :math:`v_0+2k/\epsilon_r` as
    :math:`J\to0^+`, so :math:`c\ge v_0+2k/\epsilon_r` has none (the analogue of the
    short-run bound :math:`v_0+2k`, theory.md 3.2).

    Parameters
    ----------
    mean : array (d,) or scalar, the data mean
    cov : array (d, d) symmetric positive definite, or a variance > 0 (d = 1), the data covariance
    k : float > 0 (continuous time, ``step=None``) or int >= 1 (ULA steps), per update
    eps : float in (0, 1], the re-initialisation probability :math:`\epsilon_r`
    step : float > 0 (ULA step :math:`\eta`) or None (continuous time, default)
    mean0 : array (d,), scalar or None (0), the start mean :math:`m_0`
    var0 : float > 0, the start variance :math:`v_0` (default 1)
    tol : float > 0, the largest accepted relative residual (default 1e-10)

    Returns
    -------
    J : (d, d) ndarray, positive definite
    h : (d,) ndarray
    """
    mean, C, c, _ = _law(mean, cov, "D")
    d = mean.size
    step = V.step(step)
    k = V.time(k, "k", step)
    if k == 0:
        raise ValueError("k must be > 0: after zero steps the buffer holds the start law, whatever J and h")
    eps = _eps(eps)
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    v0 = V.positive(var0, "var0")
    tol = V.positive(tol, "tol")
    C0 = v0 * np.eye(d)
    iu = np.triu_indices(d)
    sd = np.sqrt(np.diag(C))
    scale_cov = np.outer(sd, sd)[iu]

    def residual(u):
        Jm, hm = _unpack(u, d)
        try:
            bm, bc = _buffer(Jm, hm, k, eps, step, m0, C0)
        except NoFixedPointError:
            return np.full(u.size, 1e6)
        return np.concatenate([(bm - mean) / sd, (bc - C)[iu] / scale_cov])

    guesses = []
    try:
        guesses.append(_g.persistent_fixed_point(mean, C, step=step))
    except NoFixedPointError:
        pass
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonNormalizableWarning)
        try:
            Js, hs = _g.short_run_fixed_point(mean, C, k, step=step, mean0=m0, var0=v0)
            if np.linalg.eigvalsh(Js)[0] > 0:
                guesses.append((Js, hs))
        except NoFixedPointError:
            pass
    if eps >= 0.5:
        guesses.reverse()
    best = None
    for Jg, hg in guesses:
        sol = optimize.root(residual, _pack(Jg, hg), method="hybr", options={"xtol": 1e-14})
        res = float(np.max(np.abs(residual(sol.x))))
        if best is None or res < best[0]:
            best = (res, sol.x)
        if res <= tol:
            break
    if best is None or best[0] > tol:
        raise NoFixedPointError(
            f"no replay-buffer fixed point found for eps = {eps} (best relative residual "
            f"{'none' if best is None else f'{best[0]:.3g}'} > tol = {tol:g}) among positive-definite J: the data may be "
            "wider than any buffer law (1-D, m0 = mean: c >= v0 + 2k/eps), or, with ULA, c < 2*eta in some mode"
        )
    Jf, hf = _unpack(best[1], d)
    return 0.5 * (Jf + Jf.T), hf


def simulate_buffer(J, h, k, eps, n_chains, n_updates, *, step=None, mean0=None, var0=1.0, seed=0, progress=False):
    r"""Monte Carlo of a replay buffer at fixed parameters: the independent route to :func:`buffer_moments`.

    ``n_chains`` stored samples start from :math:`p_0=\mathcal N(m_0,v_0I)`; at each of
    ``n_updates`` updates every sample is replaced by a fresh :math:`p_0` draw with
    probability ``eps``, then all advance k steps: ULA chains of
    :func:`solvable.gaussian.simulate` (``step=eta``) or the exact OU transition over
    time k (``step=None``, :func:`solvable.generator.flow` plus exact noise). After
    :math:`n\gg1/\epsilon` updates the ages are geometric and the buffer samples
    :math:`\epsilon\sum_i(1-\epsilon)^{i-1}p_0T^{ik}` up to :math:`(1-\epsilon)^n`.

    Returns the buffer, an ``(n_chains, d)`` array.

    Parameters
    ----------
    J : array (d, d), symmetric
    h : array (d,) or scalar (broadcast)
    k : float >= 0 (continuous time, ``step=None``) or int >= 0 (ULA steps), per update
    eps : float in (0, 1], the re-initialisation probability :math:`\epsilon_r`
    n_chains : int >= 1, stored samples
    n_updates : int >= 1
    step : float > 0 (ULA step :math:`\eta`) or None (exact OU, default)
    mean0 : array (d,), scalar or None (0), the start mean :math:`m_0`
    var0 : float > 0, the start variance :math:`v_0` (default 1)
    seed : int >= 0 (default 0)
    progress : bool, show a progress bar (default False)

    Returns
    -------
    (n_chains, d) ndarray
    """
    J = V.symmetric(J, "J")
    d = J.shape[0]
    h = V.vector(h, "h", d)
    step = V.step(step)
    k = V.time(k, "k", step)
    eps = _eps(eps)
    n = V.integer(n_chains, "n_chains", low=1)
    n_updates = V.integer(n_updates, "n_updates", low=1)
    m0 = V.vector(mean0, "mean0", d, default=0.0)
    v0 = V.positive(var0, "var0")
    seed = V.seed(seed)
    rng = generator(seed, Stream.REPLAY)
    fl = flow(J, h, k) if step is None else None
    x = m0 + np.sqrt(v0) * rng.standard_normal((n, d))
    for u in tqdm(range(n_updates), desc=f"buffer eps={eps:g}", disable=None if progress else True):
        fresh = rng.random(n) < eps
        x[fresh] = m0 + np.sqrt(v0) * rng.standard_normal((int(fresh.sum()), d))
        if fl is None:
            s = int(seed_sequence(seed, Stream.REPLAY_UPDATE, u).generate_state(1)[0])
            x = _g.simulate(J, h, k, n, step=step, x0=x, seed=s)
        else:
            x = fl(x) + (rng.standard_normal((n, d)) * np.sqrt(fl.noise_var)) @ fl.basis.T
    return x


def example_fixed_point(scheme, *, eps=None, example=EXAMPLE):
    r"""Fixed point :math:`(\mu,\lambda)` of a training scheme in the exact-OU example (theory.md 3.7, 9.3).

    ``"short-run"``: :func:`solvable.gaussian.short_run_fixed_point` at time :math:`k\tau`
    from :math:`p_0`, (0.60904, 4.52277); ``"cd"``: exact kernel, so CD-k = PCD = ML
    (theory.md 3.5, :func:`solvable.gaussian.persistent_fixed_point`); ``"buffer"`` with
    re-initialisation probability ``eps``: :func:`buffer_fixed_point`, (0.45992, 4.41084)
    at 0.5, (0.31790, 4.05762) at 0.05, (0.30036, 4.00119) at 0.001; ``"ml"``:
    :func:`solvable.gaussian.mle`, (0.3, 4). Returns ``(mu, lam)`` with
    :math:`\lambda=J`, :math:`\mu=h/J`.

    Parameters
    ----------
    scheme : ``"short-run"``, ``"cd"``, ``"buffer"`` or ``"ml"``
    eps : float in (0, 1], the re-initialisation probability; required for ``"buffer"``, None otherwise
    example : :class:`OUExample`, the set-up (default :data:`EXAMPLE`, theory.md 3.7)

    Returns
    -------
    mu : float
    lam : float
    """
    ex = _example(example)
    scheme = V.choice(scheme, "scheme", EXAMPLE_SCHEMES)
    if (scheme == "buffer") != (eps is not None):
        raise ValueError("eps is required for scheme='buffer' and only for it")
    mean, cov = np.array([ex.data_mean]), np.array([[ex.data_var]])
    if scheme == "short-run":
        J, h = _g.short_run_fixed_point(mean, cov, ex.time, mean0=ex.mean0, var0=ex.var0)
    elif scheme == "cd":
        J, h = _g.persistent_fixed_point(mean, cov, step=None)
    elif scheme == "ml":
        J, h = _g.mle(mean, cov)
    else:
        J, h = buffer_fixed_point(mean, cov, ex.time, eps, mean0=ex.mean0, var0=ex.var0)
    lam = float(J[0, 0])
    return float(h[0]) / lam, lam
