r"""Numba Langevin kernels for the Gaussian energy :math:`E(x)=\tfrac12x^\top Jx-h^\top x`.

The unadjusted Langevin (ULA) proposal
:math:`y = x-\eta\nabla E(x)+\sqrt{2\eta}\,\xi` is one function, :func:`ula_proposal`;
MALA is the same proposal followed by the Metropolis-Hastings correction
(:func:`mala_log_accept`), so the two samplers share the drift and the noise.
Each chain draws only from its own xoshiro stream.

Speed (see ``docs/performance.md``): the cost of a step is one matrix-vector product
per chain (2 d^2 flops) plus d normal draws. Chains are processed in blocks
(``prange`` over blocks), and :func:`gradients` computes the products of a whole block
in "axpy" form -- row j of J times x_j added to g with an explicit fused multiply-add,
i innermost -- which LLVM vectorises without fastmath, while every entry is still summed
in the order j = 0, 1, ..., d-1 of the dot product. So the bits of a chain depend neither on
the block it sits in nor on the number of threads. Normals come from the ziggurat
with the stream state kept in registers (:func:`solvable.kernels._rng.fill_normal`).
"""
import numpy as np

from ._jit import fma, jit, pjit, prange
from ._rng import fill_normal, uniform

#: |x| above this is reported as a divergence (well before float overflow)
OVERFLOW = 1e100
#: most chains per block: J's rows are reused from L1 across a block (16 rows of d=256 fit)
BLOCK = 16
#: from this dimension on, :func:`gradients` takes two chains per pass over a group of rows of J
#: (with fused multiply-adds: d = 64 0.93 vs 0.81 of BLAS, d = 256 1.2-1.4 vs 0.75-0.9, paired)
PAIR_MIN_D = 16


@jit
def gradients(J, h, X, G):
    """G[c] = J X[c] - h for every row c of X (J exactly symmetric).

    Row j of J stands for column j, and the inner loop runs over the output index i,
    eight rows of J at a time and two chains per pass (each load of ``J[j..j+7, i]`` serves
    16 multiply-adds): vectorised over i, yet each entry is the chain of fused multiply-adds
    ``fma(J[i,d-1], x_{d-1}, ... fma(J[i,1], x_1, fma(J[i,0], x_0, 0)))`` in the order
    j = 0, 1, ..., d-1, minus h[i] -- the same bits whatever the block and the number of
    threads. Explicit :func:`~solvable.kernels._jit.fma`, not fastmath: one rounding per term,
    and the compiler may not reorder.
    """
    m, d = X.shape
    for c in range(m):
        for i in range(d):
            G[c, i] = 0.0
    j = 0
    while j + 8 <= d:
        J0, J1, J2, J3 = J[j], J[j + 1], J[j + 2], J[j + 3]
        J4, J5, J6, J7 = J[j + 4], J[j + 5], J[j + 6], J[j + 7]
        c0 = 0
        if d >= PAIR_MIN_D:
            while c0 + 2 <= m:
                x = X[c0]
                y = X[c0 + 1]
                x0, x1, x2, x3 = x[j], x[j + 1], x[j + 2], x[j + 3]
                x4, x5, x6, x7 = x[j + 4], x[j + 5], x[j + 6], x[j + 7]
                y0, y1, y2, y3 = y[j], y[j + 1], y[j + 2], y[j + 3]
                y4, y5, y6, y7 = y[j + 4], y[j + 5], y[j + 6], y[j + 7]
                g = G[c0]
                f = G[c0 + 1]
                for i in range(d):
                    a0, a1, a2, a3 = J0[i], J1[i], J2[i], J3[i]
                    a4, a5, a6, a7 = J4[i], J5[i], J6[i], J7[i]
                    g[i] = fma(a7, x7, fma(a6, x6, fma(a5, x5, fma(a4, x4, fma(
                        a3, x3, fma(a2, x2, fma(a1, x1, fma(a0, x0, g[i]))))))))
                    f[i] = fma(a7, y7, fma(a6, y6, fma(a5, y5, fma(a4, y4, fma(
                        a3, y3, fma(a2, y2, fma(a1, y1, fma(a0, y0, f[i]))))))))
                c0 += 2
        for c in range(c0, m):
            x = X[c]
            x0, x1, x2, x3 = x[j], x[j + 1], x[j + 2], x[j + 3]
            x4, x5, x6, x7 = x[j + 4], x[j + 5], x[j + 6], x[j + 7]
            g = G[c]
            for i in range(d):
                g[i] = fma(J7[i], x7, fma(J6[i], x6, fma(J5[i], x5, fma(J4[i], x4, fma(
                    J3[i], x3, fma(J2[i], x2, fma(J1[i], x1, fma(J0[i], x0, g[i]))))))))
        j += 8
    while j < d:
        Jj = J[j]
        for c in range(m):
            xj = X[c, j]
            g = G[c]
            for i in range(d):
                g[i] = fma(Jj[i], xj, g[i])
        j += 1
    for c in range(m):
        for i in range(d):
            G[c, i] -= h[i]


@jit
def energy_from_gradient(h, x, g):
    """E(x) = 1/2 x.(Jx) - h.x computed from g = Jx - h: E = 1/2 sum_i x_i (g_i - h_i), the sum as a
    chain of fused multiply-adds in the order i = 0, 1, ..., d-1."""
    acc = 0.0
    for i in range(x.shape[0]):
        acc = fma(x[i], g[i] - h[i], acc)
    return 0.5 * acc


@jit
def ula_proposal(x, g, step, s, noise, out):
    """out = x - step * g + sqrt(2 step) * xi, xi ~ N(0, I) drawn from stream s into ``noise``
    (two fused multiply-adds per coordinate).

    ``out`` may be ``x`` (an in-place ULA step) or ``noise``. Returns True when every
    |out_i| < OVERFLOW (False flags a divergence).
    """
    fill_normal(s, noise)
    sd = np.sqrt(2.0 * step)
    ok = True
    for i in range(x.shape[0]):
        y = fma(sd, noise[i], fma(-step, g[i], x[i]))
        out[i] = y
        ok &= abs(y) < OVERFLOW
    return ok


@jit
def mala_log_accept(x, gx, ex, y, gy, h, step):
    r"""(log MH ratio, E(y)) of the ULA proposal x -> y (``gx``, ``gy``: gradients; ``ex`` = E(x)).

    .. math:: \log\frac{\pi(y)\,q(y\to x)}{\pi(x)\,q(x\to y)} = E(x)-E(y)
              -\frac14\sum_i (g^y_i+g^x_i)\,\bigl(2(x_i-y_i)+\eta\,(g^y_i-g^x_i)\bigr),

    since :math:`q(x\to y)\propto e^{-|y-x+\eta g^x|^2/4\eta}` and the difference of the two
    squares factorises (derived here): one sum instead of two, and no cancellation between two
    large sums. E(y) is the sum of :func:`energy_from_gradient` (same terms, same order, same
    bits), taken in the same loop: the two accumulators overlap (1.45x faster than the former
    three sums at d = 64, paired).
    """
    e_acc = 0.0
    q = 0.0
    for i in range(x.shape[0]):
        e_acc = fma(y[i], gy[i] - h[i], e_acc)
        q = fma(gy[i] + gx[i], fma(step, gy[i] - gx[i], 2.0 * (x[i] - y[i])), q)
    return (ex - 0.5 * e_acc) - 0.25 * q, 0.5 * e_acc


@jit
def _block_size(n):
    """Chains per block: BLOCK, or fewer so that there are >= 16 blocks to spread over threads."""
    return max(1, min(BLOCK, n // 16))


@jit
def _run_block(J, h, Xb, n_steps, step, mala, states, diverged, accepted):
    """Advance the chains of one block (rows of Xb; row b uses states[b], diverged[b], accepted[b]).

    A separate serial function so that the parallel loop over blocks only calls it
    (Numba's parfor passes leave the body alone).
    """
    m, d = Xb.shape
    Gx = np.empty((m, d))
    Y = np.empty((m, d))
    Gy = np.empty((m, d))
    ex = np.zeros(m)
    ok = np.ones(m, dtype=np.bool_)
    live = np.ones(m, dtype=np.bool_)
    n_live = m
    gradients(J, h, Xb, Gx)
    if mala:
        for b in range(m):
            ex[b] = energy_from_gradient(h, Xb[b], Gx[b])
    for t in range(n_steps):
        if n_live == 0:
            break
        if mala:
            for b in range(m):
                if live[b]:
                    ok[b] = ula_proposal(Xb[b], Gx[b], step, states[b], Y[b], Y[b])
            gradients(J, h, Y, Gy)
            for b in range(m):
                if not live[b]:
                    continue
                la, ey = mala_log_accept(Xb[b], Gx[b], ex[b], Y[b], Gy[b], h, step)
                if la >= 0.0 or uniform(states[b]) < np.exp(la):
                    for i in range(d):
                        Xb[b, i] = Y[b, i]
                        Gx[b, i] = Gy[b, i]
                    ex[b] = ey
                    accepted[b] += 1
                    if not ok[b]:
                        diverged[b] = t + 1
                        live[b] = False
                        n_live -= 1
        else:
            for b in range(m):
                if live[b] and not ula_proposal(Xb[b], Gx[b], step, states[b], Y[b], Xb[b]):
                    diverged[b] = t + 1
                    live[b] = False
                    n_live -= 1
            gradients(J, h, Xb, Gx)


@pjit
def run_chains(J, h, X, n_steps, step, mala, states, diverged, accepted):
    """Advance every row of X (in place) by ``n_steps`` ULA or MALA steps.

    ``J`` must be exactly symmetric (the public wrapper symmetrises it).
    ``diverged[c]`` is set to the 1-based step at which chain c left |x| < OVERFLOW
    (0 if it never did; the chain then stops there); ``accepted[c]`` counts MALA
    acceptances. Per chain the draws are: d normals for each proposal, then (MALA,
    only when the log ratio is negative) one uniform -- the same whatever the block
    size or the number of threads.
    """
    n = X.shape[0]
    B = _block_size(n)
    n_blocks = (n + B - 1) // B
    for blk in prange(n_blocks):
        c0 = blk * B
        c1 = min(n, c0 + B)
        _run_block(J, h, X[c0:c1], n_steps, step, mala, states[c0:c1], diverged[c0:c1], accepted[c0:c1])
