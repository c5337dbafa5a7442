r"""Numba Langevin kernels for the Gaussian energy :math:`E(x)=\tfrac12x^\top Jx-h^\top x`.

The unadjusted Langevin (ULA) proposal
:math:`y = x-\eta\nabla E(x)+\sqrt{2\eta}\,\xi` is one function, :func:`ula_proposal`;
MALA is the same proposal followed by the Metropolis-Hastings correction
(:func:`mala_log_accept`, which for this quadratic energy needs only the squared gradient
norms), so the two samplers share the drift and the noise.
Each chain draws only from its own xoshiro stream.

Speed (see ``docs/performance.md``): the cost of a step is one matrix-vector product
per chain (2 d^2 flops) plus d normal draws. Chains are processed in blocks
(blocks of chains, split across threads by :func:`~solvable.kernels._jit.over_chains`), and :func:`gradients` computes the products of a whole block
in "axpy" form -- row j of J times x_j added to g with an explicit fused multiply-add,
i innermost -- which LLVM vectorises without fastmath, while every entry is still summed
in the order j = 0, 1, ..., d-1 of the dot product. So the bits of a chain depend neither on
the block it sits in nor on the number of threads. Normals come from the ziggurat
with the stream state kept in registers (:func:`solvable.kernels._rng.fill_normal`).
"""
import numpy as np

from ._jit import fma, jit, over_chains
from ._rng import fill_normal, uniform

#: |x| above this is reported as a divergence (well before float overflow)
OVERFLOW = 1e100
#: most chains per block: J's rows are reused from L1 across a block (16 rows of d=256 fit)
BLOCK = 16
#: from this dimension on, :func:`gradients` takes two chains per pass over a group of rows of J
#: (with fused multiply-adds: d = 64 0.93 vs 0.81 of BLAS, d = 256 1.2-1.4 vs 0.75-0.9, paired)
PAIR_MIN_D = 16
#: below this many multiply-adds (chains x steps x d^2, ~1.5 ms) a call runs on the calling thread:
#: a sleeping pool thread starts its slice 0.05-0.3 ms late (measured, 2-core VM; issue 14)
SERIAL_WORK = 2**22


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
def squared_norm(g):
    """sum_i g_i^2 in eight fused multiply-add lanes (lane l takes i = l, l + 8, ... in order, then a
    fixed pairwise tree): a fixed order, and an eighth of the latency of one accumulator."""
    d = g.shape[0]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    i = 0
    while i + 8 <= d:
        a0 = fma(g[i], g[i], a0)
        a1 = fma(g[i + 1], g[i + 1], a1)
        a2 = fma(g[i + 2], g[i + 2], a2)
        a3 = fma(g[i + 3], g[i + 3], a3)
        a4 = fma(g[i + 4], g[i + 4], a4)
        a5 = fma(g[i + 5], g[i + 5], a5)
        a6 = fma(g[i + 6], g[i + 6], a6)
        a7 = fma(g[i + 7], g[i + 7], a7)
        i += 8
    while i < d:
        a0 = fma(g[i], g[i], a0)
        i += 1
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


@jit
def ula_proposal(x, g, step, s, y):
    """y = x - step * g + sqrt(2 step) * xi, xi ~ N(0, I) drawn from stream s into ``y`` first
    (two fused multiply-adds per coordinate). ``y`` must not be ``x`` or ``g``: with three
    distinct arrays (y read and written at the same index) the loop vectorises; an in-place
    call made LLVM's overlap test fail and run it scalar (45-80 ns per chain at d = 64).
    Returns True when every |y_i| < OVERFLOW (False flags a divergence).
    """
    fill_normal(s, y)
    sd = np.sqrt(2.0 * step)
    ok = True
    for i in range(x.shape[0]):
        v = fma(sd, y[i], fma(-step, g[i], x[i]))
        y[i] = v
        ok &= abs(v) < OVERFLOW
    return ok


@jit
def mala_log_accept(gx_sq, gy_sq, step):
    r"""Log MH ratio of the ULA proposal x -> y for the Gaussian energy, from the squared gradient
    norms :math:`|g^x|^2`, :math:`|g^y|^2` (``g = J x - h``):

    .. math:: \log\frac{\pi(y)\,q(y\to x)}{\pi(x)\,q(x\to y)}
              = E(x)-E(y)-\frac{|x-y+\eta g^y|^2-|y-x+\eta g^x|^2}{4\eta}
              = \frac{\eta}{4}\bigl(|g^x|^2-|g^y|^2\bigr).

    Derived here: the difference of the two squares is
    :math:`(g^y+g^x)\cdot(2(x-y)+\eta(g^y-g^x))\,\eta`, and for a quadratic energy
    :math:`E(x)-E(y)=\tfrac12(x-y)\cdot(g^x+g^y)` exactly, so the terms in x - y cancel. (Only for
    this quadratic energy; :mod:`solvable.langevin` keeps the general ratio for any energy.)
    ``tests/test_kernels_langevin.py`` compares it with the textbook ratio. The sampler keeps
    :math:`|g^x|^2` per chain: one sum of d terms per step (:func:`squared_norm`) and no energy.
    """
    return 0.25 * step * (gx_sq - gy_sq)


@jit
def _block_size(n):
    """Chains per block: BLOCK, or fewer when there are under 16 * BLOCK chains (a rule from the former
    ``prange`` driver, which spread blocks over threads; kept because a chain's bits do not depend on
    its block, tested in tests/test_kernels_langevin.py)."""
    return max(1, min(BLOCK, n // 16))


@jit
def run_chains_serial(J, h, X, n_steps, step, mala, states, diverged, accepted):
    """:func:`run_chains` on the calling thread: the chains in blocks of :func:`_block_size`.

    Row b of a block uses states[b], diverged[b], accepted[b]. The block loop and the block's
    body are one jitted function: every jitted level runs LLVM's optimisation again over the code of
    the functions it calls. With one level less (and the NumPy key expansion of ``chain_states``) a
    first ULA + MALA call compiled in 3.1-3.3 CPU s instead of 4.0 (two runs each; issue 14, cold
    start, docs/performance.md "Fourth pass").
    """
    n, d = X.shape
    B = _block_size(n)
    Gx = np.empty((B, d))
    Y = np.empty((B, d))
    Gy = np.empty((B, d))
    cur = np.empty((B, d))
    gsq = np.zeros(B)  # |g^x|^2 of each chain's current state (MALA)
    ok = np.ones(B, dtype=np.bool_)
    live = np.ones(B, dtype=np.bool_)
    for c0 in range(0, n, B):
        m = min(n, c0 + B) - c0
        for b in range(m):
            live[b] = True
        n_live = m
        Xb = X[c0:c0 + m]
        gradients(J, h, Xb, Gx[:m])
        if mala:
            for b in range(m):
                gsq[b] = squared_norm(Gx[b])
            for t in range(n_steps):
                if n_live == 0:
                    break
                for b in range(m):
                    if live[b]:
                        ok[b] = ula_proposal(Xb[b], Gx[b], step, states[c0 + b], Y[b])
                gradients(J, h, Y[:m], Gy[:m])
                for b in range(m):
                    if not live[b]:
                        continue
                    gy_sq = squared_norm(Gy[b])
                    la = mala_log_accept(gsq[b], gy_sq, step)
                    if la >= 0.0 or uniform(states[c0 + b]) < np.exp(la):
                        for i in range(d):
                            Xb[b, i] = Y[b, i]
                            Gx[b, i] = Gy[b, i]
                        gsq[b] = gy_sq
                        accepted[c0 + b] += 1
                        if not ok[b]:
                            diverged[c0 + b] = t + 1
                            live[b] = False
                            n_live -= 1
            continue
        # ULA: every live chain moves, so the proposals' matrix becomes the state (swap, no copy);
        # a stopped chain's row is carried over
        for b in range(m):
            for i in range(d):
                cur[b, i] = Xb[b, i]
        a, z = cur, Y
        for t in range(n_steps):
            if n_live == 0:
                break
            for b in range(m):
                if not live[b]:
                    for i in range(d):
                        z[b, i] = a[b, i]
                elif not ula_proposal(a[b], Gx[b], step, states[c0 + b], z[b]):
                    diverged[c0 + b] = t + 1
                    live[b] = False
                    n_live -= 1
            gradients(J, h, z[:m], Gx[:m])
            a, z = z, a
        for b in range(m):
            for i in range(d):
                Xb[b, i] = a[b, i]


def run_chains(J, h, X, n_steps, step, mala, states, diverged, accepted):
    """Advance every row of X (in place) by ``n_steps`` ULA or MALA steps, chains split across
    Numba's thread count (:func:`~solvable.kernels._jit.over_chains` over :func:`run_chains_serial`).

    ``J`` must be exactly symmetric (the public wrapper symmetrises it).
    ``diverged[c]`` is set to the 1-based step at which chain c left |x| < OVERFLOW
    (0 if it never did; the chain then stops there); ``accepted[c]`` counts MALA
    acceptances. Per chain the draws are: d normals for each proposal, then (MALA,
    only when the log ratio is negative) one uniform -- the same whatever the block
    size or the number of threads.
    """
    args = (J, h, X, n_steps, step, mala, states, diverged, accepted)
    if X.shape[0] * n_steps * X.shape[1] ** 2 < SERIAL_WORK:
        run_chains_serial(*args)
    else:
        over_chains(run_chains_serial, args, (2, 6, 7, 8), X.shape[0])
