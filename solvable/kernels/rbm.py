r"""Numba block-Gibbs kernels for the Bernoulli-Bernoulli RBM (theory.md section 7).

Energy :math:`E(v,h) = -a\cdot v - b\cdot h - v^\top W h` with units in {0, 1}.
One *sweep* is :math:`h \sim \mathrm{Bern}(\sigma(b + W^\top v))` followed by
:math:`v \sim \mathrm{Bern}(\sigma(a + W h))`, so a k-sweep chain ends on ``v``.

Two implementations of the same sweep, drawing the same random numbers in the
same order (per chain: ``n_h`` uniforms for ``h``, then ``n_v`` for ``v``):

* :func:`gibbs_fused` -- one Numba kernel, parallel over chains, the
  pre-activations summed in a loop that skips the zero units;
* :func:`bernoulli_inplace` -- the sampling half only; the caller computes the
  pre-activations of all chains at once with a BLAS matrix product
  (``solvable.rbm`` ``backend="blas"``).

With pre-activations that are exact in floating point (e.g. dyadic weights) the
two give identical bits; otherwise they can differ only where a uniform falls
within rounding of :math:`\sigma`. Each chain draws only from its own xoshiro
stream, so both are bit-identical whatever the number of threads.
"""
import numpy as np

from ._jit import jit, pjit, prange
from ._rng import uniform


@jit
def sigmoid(z):
    r""":math:`\sigma(z) = 1/(1+e^{-z})` (0 or 1 at the extremes, never NaN for finite z)."""
    if z >= 0.0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@jit
def gibbs_chain(v, h, W, Wt, a, b, n_sweeps, s):
    """``n_sweeps`` block-Gibbs sweeps of one chain (v in place, h scratch), stream ``s``.

    ``Wt`` is ``W.T`` made contiguous: both half-steps add the rows of the weight matrix
    selected by the units that are on (contiguous, vectorised).
    """
    nv = v.shape[0]
    nh = h.shape[0]
    for t in range(n_sweeps):
        for j in range(nh):
            h[j] = 0.0
        for i in range(nv):
            if v[i] != 0.0:
                for j in range(nh):
                    h[j] += W[i, j]
        for j in range(nh):
            h[j] = 1.0 if uniform(s) < sigmoid(h[j] + b[j]) else 0.0
        for i in range(nv):
            v[i] = 0.0
        for j in range(nh):
            if h[j] != 0.0:
                for i in range(nv):
                    v[i] += Wt[j, i]
        for i in range(nv):
            v[i] = 1.0 if uniform(s) < sigmoid(v[i] + a[i]) else 0.0


@pjit
def gibbs_fused(V, H, W, Wt, a, b, n_sweeps, states):
    """Advance every chain (row of ``V``, in place) by ``n_sweeps`` sweeps, chains in parallel.

    ``H`` (n_chains, n_h) is scratch space; on return it holds the last hidden sample.
    """
    for c in prange(V.shape[0]):
        gibbs_chain(V[c], H[c], W, Wt, a, b, n_sweeps, states[c])


@jit
def gibbs_fused_serial(V, H, W, Wt, a, b, n_sweeps, states):
    """:func:`gibbs_fused` on one thread (same bits): for small work, where a parallel
    region costs more than it saves."""
    for c in range(V.shape[0]):
        gibbs_chain(V[c], H[c], W, Wt, a, b, n_sweeps, states[c])


@jit
def _bernoulli_logits_row(p, s):
    for j in range(p.shape[0]):
        p[j] = 1.0 if uniform(s) < sigmoid(p[j]) else 0.0


@pjit
def bernoulli_inplace(P, states):
    """Replace every pre-activation ``P[c, j]`` by a draw of Bern(sigma(P[c, j])), row c from stream c."""
    for c in prange(P.shape[0]):
        _bernoulli_logits_row(P[c], states[c])


@jit
def bernoulli_inplace_serial(P, states):
    """:func:`bernoulli_inplace` on one thread (same bits)."""
    for c in range(P.shape[0]):
        _bernoulli_logits_row(P[c], states[c])


@jit
def bernoulli_from_probs(P, states, out):
    """out[c, j] = 1 with probability P[c, j] (exact product-law sampling: AIS base, p0 draws)."""
    n, m = P.shape
    for c in range(n):
        s = states[c]
        for j in range(m):
            out[c, j] = 1.0 if uniform(s) < P[c, j] else 0.0
