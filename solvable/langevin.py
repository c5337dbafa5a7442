r"""Langevin dynamics for any energy given as NumPy callables (the generic path of :mod:`solvable.model`).

The unadjusted Langevin algorithm (ULA) proposal

.. math:: y = x - \eta\,\nabla_x E(x) + \sqrt{2\eta}\,\xi,\qquad \xi\sim\mathcal N(0, I)

is one function, :func:`ula_proposal`; MALA (Roberts & Tweedie 1996) is the same proposal
followed by the Metropolis-Hastings correction :func:`mala_log_accept`, so ULA and MALA
share the drift and the noise (as in blackjax). The Gaussian model has Numba versions of
the same two formulas in :mod:`solvable.kernels.langevin`; this module serves energies
that exist only as Python callables.

Divergence: a chain whose state or energy is not finite, or exceeds :data:`OVERFLOW`,
raises :class:`~solvable.DivergenceError` naming the step; nothing returns NaN silently.
"""
from __future__ import annotations

import numpy as np

from .errors import DivergenceError

METHODS = ("ula", "mala")
#: |x| above this is reported as a divergence (well before float overflow)
OVERFLOW = 1e100


def ula_proposal(x, grad, step, noise):
    r""":math:`y = x - \eta g + \sqrt{2\eta}\,\xi` for arrays ``x``, ``grad``, ``noise`` of shape (n, d).

    Parameters
    ----------
    x : array (n, d), the current states
    grad : array (n, d), :math:`\nabla_x E(x)`
    step : float > 0, the step :math:`\eta` (not checked)
    noise : array (n, d) of standard normal draws :math:`\xi`

    Returns
    -------
    y : (n, d) ndarray
    """
    return x - step * grad + np.sqrt(2.0 * step) * noise


def log_q(x, y, grad_x, step):
    r"""Log ULA transition density :math:`\log q(x\to y) = -|y - x + \eta\nabla E(x)|^2/(4\eta)` (+ const).

    Parameters
    ----------
    x : array (n, d), the states moved from
    y : array (n, d), the states moved to
    grad_x : array (n, d), :math:`\nabla E(x)`
    step : float > 0, the step :math:`\eta`

    Returns
    -------
    (n,) ndarray
    """
    r = y - x + step * grad_x
    return -np.sum(r * r, axis=-1) / (4.0 * step)


def mala_log_accept(x, y, e_x, e_y, g_x, g_y, step):
    r"""Log Metropolis-Hastings ratio of MALA:
    :math:`\log\frac{e^{-E(y)}q(y\to x)}{e^{-E(x)}q(x\to y)}` (Roberts & Tweedie 1996).

    Parameters
    ----------
    x, y : arrays (n, d), the current states and the proposals
    e_x, e_y : arrays (n,), the energies :math:`E(x)`, :math:`E(y)`
    g_x, g_y : arrays (n, d), the gradients :math:`\nabla E(x)`, :math:`\nabla E(y)`
    step : float > 0, the step :math:`\eta`

    Returns
    -------
    (n,) ndarray of log-ratios (accept when ``log(u) < ratio``)
    """
    return (e_x - e_y) + log_q(y, x, g_y, step) - log_q(x, y, g_x, step)


def _check(x, where):
    if not np.all(np.isfinite(x)) or (x.size and np.max(np.abs(x)) > OVERFLOW):
        bad = ~np.all(np.isfinite(x) & (np.abs(x) <= OVERFLOW), axis=-1)
        raise DivergenceError(
            f"{int(bad.sum())} of {x.shape[0]} chains diverged (non-finite or |x| > {OVERFLOW:g}) {where}. "
            "Hint: the step is too large for the stiffest direction of the energy, or the energy is not "
            "confining (no normalizable law) and the chains ran too long."
        )


def run(x, n_steps, *, energy, grad_x, step, method="ula", rng):
    """Advance the chains ``x`` (n, d) by ``n_steps`` ULA or MALA steps.

    ``energy(x) -> (n,)`` and ``grad_x(x) -> (n, d)`` close over the parameters;
    ``rng`` is a ``numpy.random.Generator`` (the caller derives it from its seed).
    Returns ``(x, acceptance)`` with the per-chain MALA acceptance rate (ones for ULA).

    Parameters
    ----------
    x : array (n, d), the start states (copied)
    n_steps : int >= 0
    energy : callable ``energy(x) -> (n,)`` (used by MALA only)
    grad_x : callable ``grad_x(x) -> (n, d)``
    step : float > 0, the step eta (not checked here)
    method : ``"ula"`` (default) or ``"mala"``
    rng : ``numpy.random.Generator``

    Returns
    -------
    x : (n, d) ndarray
    acceptance : (n,) ndarray in [0, 1]

    Raises
    ------
    DivergenceError
        when a state is non-finite or exceeds OVERFLOW (naming the step).
    """
    x = np.array(x, dtype=float, copy=True)
    accepted = np.zeros(x.shape[0])
    g = grad_x(x)
    e = energy(x) if method == "mala" else None
    for t in range(int(n_steps)):
        y = ula_proposal(x, g, step, rng.standard_normal(x.shape))
        _check(y, f"at step {t + 1} of {n_steps}")
        g_y = grad_x(y)
        if method == "mala":
            e_y = energy(y)
            log_a = mala_log_accept(x, y, e, e_y, g, g_y, step)
            acc = np.log(rng.random(x.shape[0])) < log_a
            x = np.where(acc[:, None], y, x)
            g = np.where(acc[:, None], g_y, g)
            e = np.where(acc, e_y, e)
            accepted += acc
        else:
            x, g = y, g_y
            accepted += 1.0
    return x, accepted / max(int(n_steps), 1)
