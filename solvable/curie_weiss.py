r"""The Curie-Weiss model: exact finite-n birth-death chain and the n -> infinity ODE (theory.md 5.4).

Model: ``n`` spins :math:`s_i=\pm1` with all-to-all coupling,

.. math:: E(s)=-\frac J{2n}\sum_{i\ne j}s_is_j-h\sum_is_i ,

i.e. the pairwise Ising model of :mod:`solvable.ising` with :math:`J_{ij}=J/n`
(``i != j``) and uniform field ``h``. The energy depends on :math:`s` only through
:math:`M=\sum_is_i`, i.e. through :math:`n_+=(n+M)/2`, and random-scan single-site
heat bath **lumps exactly** to a birth-death chain on :math:`n_+\in\{0..n\}`:

* :func:`rates` -- the up/down probabilities of one random-scan heat-bath update;
* :func:`transition_matrix` -- the tridiagonal ``(n+1) x (n+1)`` matrix;
* :func:`stationary` -- :math:`\pi(n_+)\propto\binom n{n_+}e^{JM^2/(2n)+hM}`;
* :func:`binomial_start` -- the law of :math:`n_+` for independent spins of mean ``m0``;
* :func:`evolve` -- exact propagation: ``"random-heat-bath"`` (k single-site
  updates, :math:`pT^k`) or ``"glauber"`` (continuous time, generator :math:`n(T-I)`,
  rate 1 per spin, a matrix exponential);
* :func:`moments` -- :math:`(\langle M\rangle/n,\langle M^2\rangle/n^2)`;
* :func:`mean_field_magnetization` -- the :math:`n\to\infty` limit
  :math:`\dot m=-m+\tanh(Jm+h)` (``solve_ivp``, DOP853, rtol 1e-12);
* :func:`short_run_fixed_point` -- the ``(J, h)`` at which non-persistent
  short-run training (chains restarted from ``p0``, run for time ``k``) is
  stationary: the model's :math:`(\langle M\rangle/n,\langle M^2\rangle/n^2)` at
  ``t = k`` equal the data's; :class:`~solvable.errors.NoFixedPointError` when none.

Time units: ``"glauber"`` time is in sweeps (each spin resampled at rate 1), the
``"random-heat-bath"`` time is a number of single-site updates; ``k`` updates are
about ``k / n`` sweeps (theory.md pitfall 3).

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from scipy.optimize import least_squares, root
from scipy.sparse.linalg import expm_multiply
from scipy.special import expit, gammaln, logsumexp

from . import _validate as V
from .errors import NoFixedPointError

__all__ = [
    "DYNAMICS",
    "couplings",
    "rates",
    "transition_matrix",
    "stationary",
    "binomial_start",
    "evolve",
    "moments",
    "mean_field_magnetization",
    "short_run_fixed_point",
]

#: dynamics names accepted here (same meaning as in :mod:`solvable.ising`)
DYNAMICS = ("glauber", "random-heat-bath")

_N_MAX = 1_000_000
#: up to this n, continuous-time propagation uses a dense expm (O(n^3)); beyond, expm_multiply
_DENSE_EXPM_N = 100


# --------------------------------------------------------------------------- validation helpers

def _size(n):
    return V.integer(n, "n", low=1, high=_N_MAX)


def _law(p, name="p0"):
    """A probability vector on n_+ = 0..n (n >= 1); returns (p, n)."""
    p = V.finite_array(p, name, ndim=1)
    if p.size < 2:
        raise ValueError(f"{name} must be a law on n_+ = 0..n with n >= 1 (length >= 2), got length {p.size}")
    if np.any(p < 0) or abs(p.sum() - 1.0) > 1e-10:
        raise ValueError(f"{name} must be non-negative and sum to 1 (sum = {p.sum():.12g})")
    return p, p.size - 1


def _dynamics(dynamics):
    return V.choice(dynamics, "dynamics", set(DYNAMICS))


# --------------------------------------------------------------------------- the chain

def couplings(n, J):
    r"""The Curie-Weiss coupling matrix for :mod:`solvable.ising`: :math:`J_{ij}=J/n`, zero diagonal.

    Parameters
    ----------
    n : int >= 1, the number of spins
    J : float, the mean-field coupling (J_ij = J / n)
    """
    n = _size(n)
    J = V.real(J, "J")
    out = np.full((n, n), J / n)
    np.fill_diagonal(out, 0.0)
    return out


def rates(n, J, h):
    r"""Up and down probabilities of one random-scan heat-bath update, as arrays over :math:`n_+=0..n`.

    A uniformly chosen site is a minus spin w.p. :math:`(n-n_+)/n` and feels the
    local field :math:`J(M-s_i)/n+h=J(M+1)/n+h`; heat bath sets it to +1 w.p.
    :math:`\sigma(2H)`. Hence (theory.md section 5.4)

    .. math:: P(n_+\to n_++1)=\tfrac{n-n_+}n\,\sigma\!\bigl(2[J\tfrac{M+1}n+h]\bigr),\qquad
              P(n_+\to n_+-1)=\tfrac{n_+}n\,\sigma\!\bigl(-2[J\tfrac{M-1}n+h]\bigr),

    with :math:`M=2n_+-n` and :math:`\sigma(z)=1/(1+e^{-z})`. Returns ``(up, down)``;
    ``up[n] = down[0] = 0``.

    Parameters
    ----------
    n : int >= 1, the number of spins
    J : float, the coupling; h : float, the field
    """
    n = _size(n)
    J = V.real(J, "J")
    h = V.real(h, "h")
    return _rates(n, J, h)


def _rates(n, J, h):
    n_plus = np.arange(n + 1, dtype=float)
    M = 2.0 * n_plus - n
    up = (n - n_plus) / n * expit(2.0 * (J * (M + 1.0) / n + h))
    down = n_plus / n * expit(-2.0 * (J * (M - 1.0) / n + h))
    return up, down


def _tridiag(up, down):
    """Sparse T (rows sum to 1) from the up/down probabilities."""
    stay = 1.0 - up - down
    return sp.diags([down[1:], stay, up[:-1]], [-1, 0, 1], format="csr")


def transition_matrix(n, J, h):
    r"""The ``(n+1) x (n+1)`` tridiagonal random-scan heat-bath matrix on :math:`n_+` (dense).

    ``T[a, a+1] = up[a]``, ``T[a, a-1] = down[a]``, ``T[a, a] = 1 - up[a] - down[a]``
    with the probabilities of :func:`rates`; acts on row vectors, :math:`p_{t+1}=p_tT`.
    It is the exact lumping of :func:`solvable.ising.transition_matrix` with
    ``dynamics="random-heat-bath"`` and :func:`couplings` (theory.md section 5.4).

    Parameters
    ----------
    n : int >= 1, the number of spins
    J : float, the coupling; h : float, the field
    """
    up, down = rates(n, J, h)
    return _tridiag(up, down).toarray()


def stationary(n, J, h):
    r"""Stationary law of :math:`n_+`: :math:`\pi(n_+)\propto\binom n{n_+}e^{JM^2/(2n)+hM}`.

    The Boltzmann law of :math:`E` summed over the :math:`\binom n{n_+}`
    configurations with the same :math:`M` (:math:`\sum_{i\ne j}s_is_j=M^2-n`);
    computed in log space (theory.md section 5.4).

    Parameters
    ----------
    n : int >= 1, the number of spins
    J : float, the coupling; h : float, the field
    """
    n = _size(n)
    J = V.real(J, "J")
    h = V.real(h, "h")
    n_plus = np.arange(n + 1, dtype=float)
    M = 2.0 * n_plus - n
    logw = gammaln(n + 1.0) - gammaln(n_plus + 1.0) - gammaln(n - n_plus + 1.0) + J * M * M / (2.0 * n) + h * M
    return np.exp(logw - logsumexp(logw))


def binomial_start(n, m0=0.0):
    r"""Law of :math:`n_+` when every spin is independently +1 w.p. :math:`(1+m_0)/2`.

    :math:`n_+\sim\mathrm{Binomial}(n,(1+m_0)/2)`; ``m0 = 0`` is the uniform start law
    of short-run training (independent uniform spins).

    Parameters
    ----------
    n : int >= 1, the number of spins
    m0 : float in [-1, 1], the mean of each independent spin
    """
    n = _size(n)
    m0 = V.real(m0, "m0", low=-1.0, high=1.0)
    from scipy.stats import binom

    return binom.pmf(np.arange(n + 1), n, 0.5 * (1.0 + m0))


def evolve(p0, J, h, t, *, dynamics="glauber"):
    r"""Exact law of :math:`n_+` at time ``t`` from the start law ``p0`` (length ``n + 1``).

    * ``"glauber"`` (continuous time, every spin resampled at rate 1, ``t`` in sweeps):
      :math:`p(t)=p_0\exp(t\,n(T-I))` (theory.md sections 5.1, 5.4), evaluated with
      ``scipy.linalg.expm`` for ``n <= 100`` and ``scipy.sparse.linalg.expm_multiply``
      on the sparse tridiagonal generator beyond;
    * ``"random-heat-bath"``: ``t`` single-site updates at uniformly random sites,
      :math:`p_t=p_0T^t` by ``t`` tridiagonal products.

    ``t`` may be a scalar or a 1-D array; returns shape ``t.shape + (n + 1,)``.

    Parameters
    ----------
    p0 : array (n + 1,), a law over the number of up spins n_+ = 0..n
    J : float, the coupling; h : float, the field
    t : float >= 0 (glauber: continuous time) or int >= 0 (discrete dynamics), or an array of times
    dynamics : ``"glauber"`` or ``"random-heat-bath"``
    """
    p0, n = _law(p0)
    J = V.real(J, "J")
    h = V.real(h, "h")
    dynamics = _dynamics(dynamics)
    ts = V.finite_array(t, "t", ndim=(0, 1))
    if np.any(ts < 0):
        raise ValueError(f"t must be >= 0, got min {ts.min()}")
    if dynamics == "random-heat-bath":
        if not np.all(ts == np.round(ts)):
            raise ValueError("t must be an integer number of updates for dynamics='random-heat-bath'")
        ts = ts.astype(np.int64)
    return _evolve(p0, n, J, h, ts, dynamics)


def _evolve(p0, n, J, h, ts, dynamics):
    up, down = _rates(n, J, h)
    flat = np.atleast_1d(ts)
    out = np.empty((flat.size, n + 1))
    if dynamics == "glauber":
        L = n * (_tridiag(up, down) - sp.identity(n + 1, format="csr"))
        for i, ti in enumerate(flat):
            if ti == 0:
                out[i] = p0
            elif n <= _DENSE_EXPM_N:     # Pade scaling-and-squaring: fastest for small n
                out[i] = p0 @ scipy.linalg.expm(float(ti) * L.toarray())
            else:                        # Al-Mohy & Higham action of the matrix exponential
                out[i] = expm_multiply(float(ti) * L.T.tocsr(), p0)
    else:
        stay = 1.0 - up - down
        order = np.argsort(flat, kind="stable")
        p = p0.copy()
        done = 0
        for i in order:
            for _ in range(int(flat[i]) - done):
                q = p * stay
                q[1:] += p[:-1] * up[:-1]
                q[:-1] += p[1:] * down[1:]
                p = q
            done = int(flat[i])
            out[i] = p
    np.clip(out, 0.0, None, out=out)   # expm_multiply may leave -1e-18 in empty tails
    return out.reshape(np.shape(ts) + (n + 1,))


def moments(p):
    r""":math:`(\langle M\rangle/n,\ \langle M^2\rangle/n^2)` of a law (or a stack of laws) on :math:`n_+=0..n`.

    ``M = 2 n_+ - n``; ``p`` has shape ``(..., n + 1)``. These are the sufficient
    statistics of the Curie-Weiss family per spin (:math:`\sum_{i\ne j}s_is_j=M^2-n`).

    Parameters
    ----------
    p : array (n + 1,), a law over the number of up spins n_+ = 0..n
    """
    p = V.finite_array(p, "p", ndim=None)
    if p.ndim < 1 or p.shape[-1] < 2:
        raise ValueError(f"p must have a last axis of length n + 1 >= 2, got shape {p.shape}")
    n = p.shape[-1] - 1
    x = (2.0 * np.arange(n + 1) - n) / n
    return p @ x, p @ (x * x)


# --------------------------------------------------------------------------- n -> infinity

def mean_field_magnetization(t, J, h, m0):
    r"""The :math:`n\to\infty` magnetisation: :math:`\dot m=-m+\tanh(Jm+h)`, :math:`m(0)=m_0`.

    Law of large numbers for the birth-death chain in continuous time: the drift of
    :math:`M/n` is :math:`(1-m)\sigma(2H)-(1+m)\sigma(-2H)=\tanh H-m` with
    :math:`H=Jm+h`; corrections are :math:`O(1/n)` (theory.md section 5.4).
    Solved with ``solve_ivp`` (DOP853, rtol 1e-12, atol 1e-14).

    ``t`` scalar or 1-D array of sweeps >= 0, any order; returns the same shape.

    Parameters
    ----------
    t : float >= 0 or array of times
    J : float, the coupling; h : float, the field
    m0 : float in [-1, 1], the start magnetisation
    """
    ts = V.finite_array(t, "t", ndim=(0, 1))
    if np.any(ts < 0):
        raise ValueError(f"t must be >= 0, got min {ts.min()}")
    J = V.real(J, "J")
    h = V.real(h, "h")
    m0 = V.real(m0, "m0", low=-1.0, high=1.0)
    flat = np.atleast_1d(ts)
    t_sorted = np.unique(flat)
    t_end = float(t_sorted[-1])
    if t_end == 0.0:
        return np.full(np.shape(ts), m0)
    sol = solve_ivp(lambda _, m: -m + np.tanh(J * m + h), (0.0, t_end), [m0], method="DOP853",
                    t_eval=t_sorted, rtol=1e-12, atol=1e-14)
    if not sol.success:  # pragma: no cover - DOP853 on a bounded smooth scalar ODE
        raise RuntimeError(f"mean-field ODE failed: {sol.message}")
    values = sol.y[0][np.searchsorted(t_sorted, flat)]
    return values.reshape(np.shape(ts))


# --------------------------------------------------------------------------- short-run fixed point

def _untouched(n, k, dynamics):
    """Probability that a given spin is never updated by time k (e^{-k} or (1 - 1/n)^k)."""
    return np.exp(-k) if dynamics == "glauber" else (1.0 - 1.0 / n) ** k


def short_run_fixed_point(m_data, q_data, k, n, *, p0=None, dynamics="glauber", tol=1e-11, bound=50.0):
    r"""The ``(J, h)`` at which short-run training of the Curie-Weiss model is stationary.

    Short-run training (chains restarted from ``p0``, run for time ``k``) ascends
    :math:`\theta\mathrel{+}=\gamma(\langle\phi\rangle_D-\langle\phi\rangle_{p_0T^k_\theta})`
    with :math:`\phi=(M^2/(2n),M)` up to constants; it is stationary when
    (theory.md sections 2.1, 5.4)

    .. math:: \Bigl(\frac{\langle M\rangle_k}n,\frac{\langle M^2\rangle_k}{n^2}\Bigr)_{J,h}
              =(m_D,q_D),

    computed here by exact propagation (:func:`evolve`) and a 2-D root find
    (``scipy.optimize.root``, hybr, from ``(0, 0)``; if that fails, bounded
    ``least_squares`` in the box ``|J|, |h| <= bound``).

    A necessary condition: a spin never updated by time k keeps its start law, and
    any finite ``(J, h)`` keeps the updated ones away from +-1, so
    :math:`|m_D - u\,m_0| < 1-u` with :math:`u=e^{-k}` (``"glauber"``) or
    :math:`(1-1/n)^k` (``"random-heat-bath"``), :math:`m_0=\langle M\rangle_{p_0}/n`.

    Parameters
    ----------
    m_data, q_data : data :math:`\langle M\rangle/n` in [-1, 1] and
        :math:`\langle M^2\rangle/n^2` in [m_data^2, 1].
    k : training time (sweeps for ``"glauber"``, updates for ``"random-heat-bath"``).
    n : number of spins.
    p0 : start law of :math:`n_+` (default :func:`binomial_start` ``(n, 0)``: uniform spins).
    tol : largest accepted moment residual.
    bound : largest ``|J|``, ``|h|`` searched; a fixed point beyond it is reported as none
        (at such couplings the training has in effect run away).

    Returns
    -------
    (J, h) : floats.

    Raises
    ------
    NoFixedPointError
        if the data lie outside the reachable range above, or no root with
        residual ``<= tol`` is found in the box (the parameters drift during training).
    """
    n = _size(n)
    m_d = V.real(m_data, "m_data", low=-1.0, high=1.0)
    q_d = V.real(q_data, "q_data", low=0.0, high=1.0)
    if q_d < m_d * m_d - 1e-15:
        raise ValueError(f"q_data must be >= m_data**2 = {m_d * m_d:.6g} (a second moment), got {q_d}")
    dynamics = _dynamics(dynamics)
    if dynamics == "glauber":
        k = V.real(k, "k", low=0.0)
    else:
        k = V.integer(k, "k", low=0)
    if p0 is None:
        p0 = binomial_start(n, 0.0)
    else:
        p0, n0 = _law(p0)
        if n0 != n:
            raise ValueError(f"p0 must have length n + 1 = {n + 1}, got {n0 + 1}")
    tol = V.positive(tol, "tol")
    bound = V.positive(bound, "bound")
    m0 = float(moments(p0)[0])
    u = _untouched(n, k, dynamics)
    lo, hi = u * m0 - (1.0 - u), u * m0 + (1.0 - u)
    if not lo < m_d < hi:
        raise NoFixedPointError(
            f"no short-run fixed point: m_data = {m_d:.6g} is outside the range ({lo:.6g}, {hi:.6g}) "
            f"reachable at k = {k:g} ({dynamics}) from p0 with mean {m0:.6g}; h drifts to "
            f"{'+' if m_d >= hi else '-'}infinity"
        )
    target = np.array([m_d, q_d])

    def F(theta):
        p = _evolve(p0, n, float(theta[0]), float(theta[1]), np.asarray(k), dynamics)
        return np.array(moments(p)) - target

    def residual(x):
        return float(np.max(np.abs(F(x)))) if np.all(np.isfinite(x)) and np.max(np.abs(x)) <= bound else np.inf

    sol = root(F, np.zeros(2), method="hybr", options={"xtol": 1e-14})
    x, res = sol.x, residual(sol.x)
    if res > tol:
        # bounded least squares: converges to the root if any in the box, else to the box edge
        ls = least_squares(F, np.zeros(2), bounds=(-bound, bound), xtol=1e-15, ftol=1e-15, gtol=1e-15)
        x, res = ls.x, residual(ls.x)
    if not res <= tol:
        raise NoFixedPointError(
            f"no short-run fixed point found for (m_data, q_data) = ({m_d:.6g}, {q_d:.6g}) at k = {k:g} "
            f"({dynamics}, n = {n}) with |J|, |h| <= bound = {bound:g}: smallest moment residual "
            f"{res:.3g} > tol = {tol:g} at (J, h) = ({x[0]:.4g}, {x[1]:.4g}); the parameters drift"
        )
    return float(x[0]), float(x[1])
