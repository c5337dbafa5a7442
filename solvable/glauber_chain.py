r"""The 1-D Glauber chain in closed form (Glauber 1963; theory.md section 5.3).

Model: a ring of ``N`` spins :math:`s_i=\pm1` (``s_N = s_0``), energy
:math:`E=-\kappa\sum_i s_is_{i+1}`, zero field, **continuous time**: every spin is
resampled from its heat-bath conditional at rate 1 (``t`` in sweeps; the
``"glauber"`` dynamics of :mod:`solvable.ising`). Because
:math:`s_{i-1}+s_{i+1}\in\{0,\pm2\}`, the flip rate is linear in the neighbours,

.. math:: w_i = \tfrac12\bigl[1-\tfrac\Gamma2 s_i(s_{i-1}+s_{i+1})\bigr],
          \qquad \Gamma=\tanh 2\kappa,

and the equations for the moments close:

.. math:: \dot m_i = -m_i + \tfrac\Gamma2(m_{i-1}+m_{i+1}),\qquad
          \dot G_r = -2G_r + \Gamma(G_{r-1}+G_{r+1}),\quad G_0=G_N=1,

with :math:`G_r=\frac1N\sum_i\langle s_is_{i+r}\rangle` (ring average: the equation
is linear with translation-invariant coefficients, so it holds for *any* start law,
translation invariant or not). This module solves them exactly:

* :func:`gamma` -- :math:`\Gamma=\tanh2\kappa`;
* :func:`magnetization` -- uniform magnetisation :math:`m_0e^{-(1-\Gamma)t}`;
* :func:`site_magnetization` -- per-site magnetisation on a ring (circulant, FFT);
* :func:`pair_correlations` -- the :math:`N-1` pair-correlation ODEs on a ring,
  solved by their exact sine eigen-decomposition, from the uniform start or a given
  :math:`G(0)`;
* :func:`ring_equilibrium` -- :math:`G_r=(\zeta^r+\zeta^{N-r})/(1+\zeta^N)`, :math:`\zeta=\tanh\kappa`;
* :func:`infinite_chain_correlation` -- the infinite chain from the uniform start
  (method of images, modified Bessel functions via ``scipy.special.ive``);
* :func:`sup_nn_correlation` -- :math:`\sup_\kappa G_1(t)=1-e^{-2t}[I_0(2t)+I_1(2t)]`;
* :func:`short_run_fixed_point` -- the coupling :math:`\kappa^*` that non-persistent
  short-run training (uniform start, time ``k``) converges to, or
  :class:`~solvable.errors.NoFixedPointError`;
* :func:`ring_pair_statistics` -- the sample statistic :math:`\frac1N\sum_is_is_{i+r}`
  of spin configurations (to compare simulations with the closed forms).

Everything here is deterministic; the independent routes (the :math:`2^N` master
equation, simulation) are :func:`solvable.ising.evolve` and
:func:`solvable.ising.simulate` with ``dynamics="glauber"`` and
:func:`ring_couplings`.

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import ive

from . import _validate as V
from .errors import NoFixedPointError

__all__ = [
    "gamma",
    "ring_couplings",
    "magnetization",
    "site_magnetization",
    "pair_correlations",
    "ring_equilibrium",
    "infinite_chain_correlation",
    "sup_nn_correlation",
    "nn_correlation_bounds",
    "short_run_fixed_point",
    "ring_pair_statistics",
]

_N_MAX = 20_000  # the ring solver holds an (N-1) x (N-1) sine basis in memory


# --------------------------------------------------------------------------- helpers

def _times(t, name="t"):
    """Continuous time(s) >= 0 as a float ndarray (scalar or 1-D)."""
    a = V.finite_array(t, name, ndim=(0, 1))
    if np.any(a < 0):
        raise ValueError(f"{name} must be >= 0 (continuous time in sweeps), got min {a.min()}")
    return a


def _ring_size(N):
    return V.integer(N, "N", low=3, high=_N_MAX)


def _gamma_of_zeta(zeta):
    """Gamma = tanh(2 kappa) = 2 zeta / (1 + zeta^2), zeta = tanh(kappa) (also at zeta = +-1)."""
    return 2.0 * zeta / (1.0 + zeta * zeta)


def gamma(kappa):
    r""":math:`\Gamma=\tanh 2\kappa`, the coupling of the closed Glauber equations.

    The heat-bath flip rate of spin i with neighbour sum :math:`\sigma\in\{0,\pm2\}`
    is :math:`\frac12[1-s_i\tanh(\kappa\sigma)]=\frac12[1-\frac\Gamma2 s_i\sigma]`
    (theory.md section 5.3; Glauber 1963, his :math:`\gamma=\tanh2\beta J`).

    Parameters
    ----------
    kappa : float or array, the coupling :math:`\kappa`
    """
    return np.tanh(2.0 * V.real(kappa, "kappa"))


def ring_couplings(kappa, N):
    r"""The ring as a pairwise Ising coupling matrix: ``J[i, i+-1 mod N] = kappa``.

    With :func:`solvable.ising.evolve` (``h = 0``) this gives the energy
    :math:`-\kappa\sum_i s_is_{i+1}` of this module (``N >= 3`` so that every bond
    is counted once).

    Parameters
    ----------
    kappa : float, the coupling
    N : int >= 3, the ring size
    """
    kappa = V.real(kappa, "kappa")
    N = _ring_size(N)
    J = np.zeros((N, N))
    i = np.arange(N)
    J[i, (i + 1) % N] = kappa
    J[(i + 1) % N, i] = kappa
    return J


# --------------------------------------------------------------------------- magnetisation

def magnetization(t, kappa, m0=1.0):
    r"""Uniform magnetisation of the Glauber chain, :math:`m(t)=m_0e^{-(1-\Gamma)t}`.

    Sum of :math:`\dot m_i=-m_i+\frac\Gamma2(m_{i-1}+m_{i+1})` for a uniform
    :math:`m_i=m`; exact on a ring of any size and on the infinite chain
    (theory.md section 5.3; Glauber 1963).

    Parameters
    ----------
    t : float or 1-D array, continuous time (sweeps) >= 0.
    kappa : float, nearest-neighbour coupling.
    m0 : float in [-1, 1], the start magnetisation of every spin.
    """
    t = _times(t)
    m0 = V.real(m0, "m0", low=-1.0, high=1.0)
    return m0 * np.exp(-(1.0 - gamma(kappa)) * t)


def site_magnetization(t, kappa, m0):
    r"""Per-site magnetisation on a ring of ``N = len(m0)`` spins.

    Solves :math:`\dot m=Am`, :math:`A_{ii}=-1`, :math:`A_{i,i\pm1}=\Gamma/2` (periodic)
    exactly: :math:`A` is circulant with eigenvalues :math:`-1+\Gamma\cos(2\pi q/N)`
    on the Fourier modes, so :math:`m(t)=\mathcal F^{-1}[e^{\lambda_qt}\mathcal F m_0]`
    (theory.md section 5.3; Glauber 1963).

    Returns an array of shape ``t.shape + (N,)``.

    Parameters
    ----------
    t : float >= 0 or array of times (continuous time, sweeps)
    kappa : float, the coupling
    m0 : array (N,) in [-1, 1], the start magnetisation of each site (N >= 3)
    """
    t = _times(t)
    m0 = V.finite_array(m0, "m0", ndim=1)
    N = _ring_size(m0.size)
    if np.any(np.abs(m0) > 1):
        raise ValueError("m0 must have every entry in [-1, 1]")
    g = gamma(kappa)
    q = np.arange(N // 2 + 1)
    lam = -1.0 + g * np.cos(2.0 * np.pi * q / N)
    f0 = np.fft.rfft(m0)
    decay = np.exp(np.multiply.outer(t, lam))
    return np.fft.irfft(decay * f0, n=N, axis=-1)


# --------------------------------------------------------------------------- pair correlations, ring

def _sine_basis(N):
    """Orthonormal eigenvectors sqrt(2/N) sin(pi j r / N), r, j = 1..N-1 (symmetric matrix)."""
    r = np.arange(1, N)
    return np.sqrt(2.0 / N) * np.sin(np.pi * np.outer(r, r) / N)


def _ring_pairs(t, g, N, x0, basis=None):
    """Exact solution of x' = A x + b, A = -2 I + g (shift + shift^T), b = g (e_1 + e_{N-1}).

    ``x = (G_1, ..., G_{N-1})``; returns shape ``t.shape + (N-1,)``. The steady state
    is -A^{-1} b computed in the same eigenbasis (independent of :func:`ring_equilibrium`).
    """
    Vb = _sine_basis(N) if basis is None else basis
    j = np.arange(1, N)
    lam = -2.0 + 2.0 * g * np.cos(np.pi * j / N)     # all < 0 for |g| <= 1, N >= 3
    b = np.zeros(N - 1)
    b[0] += g
    b[-1] += g
    x_eq = -Vb @ ((Vb @ b) / lam)
    c = Vb @ (x0 - x_eq)                              # modal amplitudes (Vb symmetric, orthogonal)
    modes = np.exp(np.multiply.outer(t, lam)) * c
    return x_eq + modes @ Vb


def pair_correlations(t, kappa, N, *, G0=None):
    r"""Pair correlations :math:`G_r(t)=\frac1N\sum_i\langle s_is_{i+r}\rangle`, ``r = 0..N``, on a ring.

    Solves the :math:`N-1` closed Glauber equations (theory.md section 5.3; Glauber
    1963)

    .. math:: \dot G_r=-2G_r+\Gamma(G_{r-1}+G_{r+1}),\quad r=1..N-1,\qquad G_0=G_N=1,

    exactly: the matrix is tridiagonal Toeplitz with eigenvectors
    :math:`\sin(\pi jr/N)` and eigenvalues :math:`-2+2\Gamma\cos(\pi j/N)`, so
    :math:`G(t)=G^\infty+Ve^{\Lambda t}V^\top(G(0)-G^\infty)` with the steady state
    :math:`G^\infty` solved in the same basis.

    Parameters
    ----------
    t : float or 1-D array of continuous times >= 0 (sweeps).
    kappa : float, nearest-neighbour coupling (any sign).
    N : int >= 3, ring size.
    G0 : None (uniform start: :math:`G_r(0)=0` for ``0 < r < N``) or an array of
        ``N + 1`` values in [-1, 1] with ``G0[0] = G0[N] = 1``, e.g.
        ``ring_pair_statistics(s0)`` for a fixed start configuration.

    Returns
    -------
    ndarray of shape ``t.shape + (N + 1,)``; column ``r`` is :math:`G_r`.
    """
    t = _times(t)
    g = gamma(kappa)
    N = _ring_size(N)
    if G0 is None:
        x0 = np.zeros(N - 1)
    else:
        G0 = V.finite_array(G0, "G0", ndim=1)
        if G0.shape != (N + 1,):
            raise ValueError(f"G0 must have shape (N + 1,) = ({N + 1},) (r = 0..N), got {G0.shape}")
        if abs(G0[0] - 1.0) > 1e-10 or abs(G0[N] - 1.0) > 1e-10:
            raise ValueError(f"G0[0] and G0[N] must equal 1 (s_i^2 = 1), got {G0[0]} and {G0[N]}")
        if np.any(np.abs(G0) > 1.0 + 1e-12):
            raise ValueError("G0 must have every entry in [-1, 1]")
        x0 = G0[1:N]
    x = _ring_pairs(t, g, N, x0)
    out = np.ones(t.shape + (N + 1,))
    out[..., 1:N] = x
    return out


def ring_equilibrium(kappa, N):
    r"""Equilibrium pair correlations on a ring, :math:`G_r=(\zeta^r+\zeta^{N-r})/(1+\zeta^N)`.

    Transfer matrix with eigenvalues :math:`2\cosh\kappa`, :math:`2\sinh\kappa`;
    :math:`\zeta=\tanh\kappa` (theory.md section 5.3; any textbook on the 1-D Ising
    model). Returns ``r = 0..N`` (shape ``(N + 1,)``).

    Parameters
    ----------
    kappa : float, the coupling
    N : int >= 3, the ring size
    """
    zeta = np.tanh(V.real(kappa, "kappa"))
    N = _ring_size(N)
    r = np.arange(N + 1)
    return (zeta ** r + zeta ** (N - r)) / (1.0 + zeta ** N)


# --------------------------------------------------------------------------- infinite chain

def _infinite_pairs(t, zeta, r):
    """Bessel image formula at zeta in [-1, 1]; t, r already validated and broadcast."""
    g = _gamma_of_zeta(zeta)
    x = 2.0 * g * t
    # e^{-2t} I_n(2 g t) = ive(n, x) * exp(-2t (1 - |g|)); terms with |r - r'| >> sqrt|x| vanish
    r_max = int(np.max(r)) if r.size else 0
    x_max = float(np.max(np.abs(x))) if x.size else 0.0
    n_terms = r_max + int(np.ceil(10.0 * np.sqrt(x_max))) + 40
    rp = np.arange(1, n_terms + 1)
    xs = x[..., None]
    rs = r[..., None]
    bessel = ive(rs - rp, xs) - ive(rs + rp, xs)
    s = np.sum(zeta ** rp * bessel, axis=-1)
    return zeta ** r - np.exp(-2.0 * t * (1.0 - abs(g))) * s


def infinite_chain_correlation(t, kappa, r=1):
    r""":math:`G_r(t)` on the infinite chain from the uniform start (all :math:`G_r(0)=0`, r > 0).

    Method of images on :math:`H_r=G_r-\zeta^r` (odd in r, free lattice diffusion
    kernel :math:`e^{-2t}I_{r-r'}(2\Gamma t)`), theory.md section 5.3, Glauber 1963:

    .. math:: G_r(t)=\zeta^r-e^{-2t}\sum_{r'\ge1}\zeta^{r'}\bigl[I_{r-r'}(2\Gamma t)-I_{r+r'}(2\Gamma t)\bigr].

    Evaluated with the exponentially scaled ``scipy.special.ive`` (no overflow at
    large t); the sum is truncated where the Bessel terms fall below 1e-18.

    Parameters
    ----------
    t : float or 1-D array of times >= 0; r : int or 1-D array of distances >= 0.
    Returns an array of the broadcast shape of ``t`` and ``r``.
    """
    t = _times(t)
    zeta = np.tanh(V.real(kappa, "kappa"))
    r = np.asarray(r)
    if r.dtype.kind not in "iu" or r.ndim > 1:
        raise TypeError(f"r must be a non-negative integer or 1-D integer array, got {r!r}")
    if np.any(r < 0):
        raise ValueError(f"r must be >= 0, got min {r.min()}")
    t_b, r_b = np.broadcast_arrays(t, r)
    return _infinite_pairs(t_b.astype(float), zeta, r_b.astype(np.int64))


def sup_nn_correlation(t):
    r""":math:`\sup_\kappa G_1(t)=1-e^{-2t}[I_0(2t)+I_1(2t)]` (infinite chain, uniform start).

    The :math:`\kappa\to\infty` (:math:`\zeta=\Gamma=1`) limit of
    :func:`infinite_chain_correlation`, where the image sum telescopes
    (theory.md section 5.3). :math:`G_1` increases with :math:`\kappa`, so this is the
    largest nearest-neighbour correlation any coupling reaches at time t; it tends
    to 1 only algebraically, :math:`\approx1-1/\sqrt{\pi t}`. By the sublattice
    symmetry :math:`\kappa\to-\kappa`, :math:`G_1\to-G_1`, the infimum is its negative.

    Parameters
    ----------
    t : float >= 0 or array of times
    """
    t = _times(t)
    return 1.0 - ive(0, 2.0 * t) - ive(1, 2.0 * t)


def _nn_on(t, zeta, N, basis=None):
    """G_1 at scalar time t, coupling zeta = tanh(kappa) in [-1, 1]; infinite chain when N is None."""
    if N is None:
        return float(_infinite_pairs(np.asarray(t, float), zeta, np.asarray(1)))
    x = _ring_pairs(np.asarray(t, float), _gamma_of_zeta(zeta), N, np.zeros(N - 1), basis)
    return float(x[0])


def nn_correlation_bounds(t, *, N=None):
    r"""The range ``(inf, sup)`` over all couplings of :math:`G_1(t)` from the uniform start.

    Attained in the limits :math:`\kappa\to\mp\infty` (:math:`\zeta=\mp1`) of the
    monotone map :math:`\kappa\mapsto G_1(t;\kappa)`. On the infinite chain
    (``N=None``) this is :math:`\pm` :func:`sup_nn_correlation`; on a ring of ``N``
    sites it is the ring ODE (:func:`pair_correlations`) at :math:`\Gamma=\pm1`
    (for odd N the antiferromagnetic bound is frustrated and not symmetric).

    Parameters
    ----------
    t : float >= 0 or array of times
    N : None (infinite chain) or int >= 3 (ring size)
    """
    t = V.real(t, "t", low=0.0)
    if N is None:
        s = float(sup_nn_correlation(t))
        return -s, s
    N = _ring_size(N)
    basis = _sine_basis(N)
    return _nn_on(t, -1.0, N, basis), _nn_on(t, 1.0, N, basis)


def short_run_fixed_point(G1_data, k, *, N=None):
    r"""Short-run fixed point :math:`\kappa^*`: :math:`G_1(k;\kappa^*)=G_1^D` from the uniform start.

    Non-persistent short-run training of :math:`E=-\kappa\sum_is_is_{i+1}` (chains
    restarted from independent uniform spins, run for continuous time ``k``) is
    stationary when the model's nearest-neighbour correlation at time ``k`` equals
    the data's (theory.md sections 2.1, 5.3). :math:`G_1(k;\kappa)` increases with
    :math:`\kappa`, so the root is unique and exists iff
    ``inf < G1_data < sup`` (:func:`nn_correlation_bounds`); it is found with
    ``brentq`` in :math:`\zeta=\tanh\kappa\in[-1,1]`.

    Parameters
    ----------
    G1_data : float in (-1, 1), the data's :math:`\langle s_is_{i+1}\rangle`.
    k : float >= 0, training time (sweeps, continuous time).
    N : None for the infinite chain (Bessel formula), or the ring size.

    Raises
    ------
    NoFixedPointError
        if ``G1_data`` is not strictly inside the reachable range: the coupling then
        drifts to :math:`\pm\infty` during training. The message names the bound.
    """
    G1 = V.real(G1_data, "G1_data")
    if not -1.0 < G1 < 1.0:
        raise ValueError(f"G1_data must be in (-1, 1) (a correlation of +-1 spins), got {G1}")
    k = V.real(k, "k", low=0.0)
    basis = None
    if N is not None:
        N = _ring_size(N)
        basis = _sine_basis(N)
    lo, hi = (_nn_on(k, -1.0, N, basis), _nn_on(k, 1.0, N, basis))
    where = "infinite chain" if N is None else f"ring of N={N}"
    if G1 >= hi:
        raise NoFixedPointError(
            f"no short-run fixed point: G1_data = {G1:.6g} >= sup_kappa G_1(k={k:g}) = {hi:.6g} "
            f"({where}, uniform start); the coupling drifts to +infinity"
        )
    if G1 <= lo:
        raise NoFixedPointError(
            f"no short-run fixed point: G1_data = {G1:.6g} <= inf_kappa G_1(k={k:g}) = {lo:.6g} "
            f"({where}, uniform start); the coupling drifts to -infinity"
        )
    zeta = brentq(lambda z: _nn_on(k, z, N, basis) - G1, -1.0, 1.0, xtol=1e-16, rtol=9e-16,
                  maxiter=200)
    return float(np.arctanh(zeta))


# --------------------------------------------------------------------------- sample statistic

def ring_pair_statistics(s):
    r"""Per-configuration ring correlations :math:`\frac1N\sum_is_is_{i+r}`, ``r = 0..N``.

    ``s`` is one configuration (N,) or a batch (M, N) of +-1 spins; returns shape
    ``(N + 1,)`` or ``(M, N + 1)``. Its average over a law is :math:`G_r`; use it for
    ``G0`` of a fixed start and to compare simulations with :func:`pair_correlations`.

    Parameters
    ----------
    s : array (N,) or (M, N) of spins -1/+1
    """
    a = np.asarray(s)
    if a.ndim not in (1, 2):
        raise ValueError(f"s must have shape (N,) or (M, N), got {a.shape}")
    if not np.all((a == 1) | (a == -1)):
        raise ValueError("s must contain only spins -1 and +1")
    a = a.astype(float)
    N = _ring_size(a.shape[-1])
    # circular autocorrelation via FFT would round; N <= a few thousand, so exact integer sums
    out = np.empty(a.shape[:-1] + (N + 1,))
    for r in range(N + 1):
        out[..., r] = np.mean(a * np.roll(a, -r, axis=-1), axis=-1)
    return out
