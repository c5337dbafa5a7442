r"""Numba Langevin kernels for the Gaussian energy :math:`E(x)=\tfrac12x^\top Jx-h^\top x`.

The unadjusted Langevin (ULA) proposal
:math:`y = x-\eta\nabla E(x)+\sqrt{2\eta}\,\xi` is one function, :func:`ula_proposal`;
MALA is the same proposal followed by the Metropolis-Hastings correction
(:func:`mala_log_accept`), so the two samplers share the drift and the noise.
Chains run in parallel over ``prange``, each drawing from its own xoshiro stream.
"""
import numpy as np

from ._jit import jit, pjit, prange
from ._rng import normal, uniform

#: |x| above this is reported as a divergence (well before float overflow)
OVERFLOW = 1e100


@jit
def gradient(J, h, x, out):
    """out = J x - h, the gradient of E."""
    d = x.shape[0]
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc += J[i, j] * x[j]
        out[i] = acc - h[i]


@jit
def energy_from_gradient(h, x, g):
    """E(x) = 1/2 x.(Jx) - h.x computed from g = Jx - h: E = 1/2 x.(g - h)."""
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i] * (g[i] - h[i])
    return 0.5 * acc


@jit
def ula_proposal(x, g, step, s, out):
    """out = x - step * g + sqrt(2 step) * xi, xi ~ N(0, I) from stream s."""
    sd = np.sqrt(2.0 * step)
    for i in range(x.shape[0]):
        out[i] = x[i] - step * g[i] + sd * normal(s)


@jit
def _log_q(x, gx, y, step):
    """log q(x -> y) up to a constant: -|y - x + step * grad E(x)|^2 / (4 step)."""
    acc = 0.0
    for i in range(x.shape[0]):
        r = y[i] - x[i] + step * gx[i]
        acc += r * r
    return -acc / (4.0 * step)


@jit
def mala_log_accept(x, gx, ex, y, gy, ey, step):
    """log of the MH ratio pi(y) q(y->x) / (pi(x) q(x->y)) for the ULA proposal."""
    return (ex - ey) + _log_q(y, gy, x, step) - _log_q(x, gx, y, step)


@pjit
def run_chains(J, h, X, n_steps, step, mala, states, diverged, accepted):
    """Advance every row of X (in place) by ``n_steps`` ULA or MALA steps.

    ``diverged[c]`` is set to the 1-based step at which chain c left |x| < OVERFLOW
    (0 if it never did); ``accepted[c]`` counts MALA acceptances.
    """
    n, d = X.shape
    for c in prange(n):
        s = states[c]
        x = X[c]
        gx = np.empty(d)
        y = np.empty(d)
        gy = np.empty(d)
        gradient(J, h, x, gx)
        ex = energy_from_gradient(h, x, gx)
        for t in range(n_steps):
            ula_proposal(x, gx, step, s, y)
            gradient(J, h, y, gy)
            if mala:
                ey = energy_from_gradient(h, y, gy)
                la = mala_log_accept(x, gx, ex, y, gy, ey, step)
                if la >= 0.0 or uniform(s) < np.exp(la):
                    x[:] = y
                    gx[:] = gy
                    ex = ey
                    accepted[c] += 1
            else:
                x[:] = y
                gx[:] = gy
            big = False
            for i in range(d):
                if not (abs(x[i]) < OVERFLOW):
                    big = True
            if big:
                diverged[c] = t + 1
                break
