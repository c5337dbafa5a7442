"""Family ``langevin``: ULA / MALA with many chains against the GEMM bound.

One step of n chains in d dimensions costs one matrix product X J (n x d times d x d,
2 n d^2 flops: the gradient J x - h of every chain) plus n d normal draws and O(n d)
vector work. The **GEMM bound** is the time numpy's BLAS takes for ``X @ J`` with the
same shapes, once per step; the reported ratio is GEMM time / kernel time (1 = as fast
as the bound). Also shown: the **RNG bound**, the time to draw the n d normals alone
(``solvable.kernels._rng.fill_normal``), and the ratio against GEMM + RNG -- the
bound for a kernel that must both multiply and draw.

Per core (one Numba thread, BLAS limited to one thread, ``time.thread_time``) for
d = 4, 16, 64, 256, and on all threads (wall clock) for d = 64, 256.
Bar (issues 7 and 14): one thread, d >= 64, >= 0.7x the GEMM + normal-draw bound --
the GEMM and the normals timed in the same round as the sampler, ratio
(t_GEMM + t_normals) / t_sampler per round, median and interquartile range (the GEMM
alone is in the note); on all threads >= 0.7x the GEMM bound.
"""
from __future__ import annotations

import time

import numpy as np

from ._common import NotAvailable, Row, max_threads, paired, ratio, threads

FAMILY = "langevin"
STEP = 0.05


def _modules():
    try:
        from solvable.kernels import langevin as L
        from solvable.kernels._jit import pjit, prange
        from solvable.kernels._rng import chain_states, fill_normal
    except ImportError as exc:  # pragma: no cover
        raise NotAvailable(f"solvable.kernels.langevin not available ({exc})") from exc
    return L, chain_states, fill_normal, pjit, prange


_NORMALS = None


def normals_kernel():
    """A jitted kernel drawing k * d normals per chain (the RNG bound), compiled once."""
    global _NORMALS
    if _NORMALS is None:
        _, _, fill_normal, pjit, prange = _modules()

        def draw(Z, k, states):
            for c in prange(Z.shape[0]):
                s = states[c]
                for _ in range(k):
                    fill_normal(s, Z[c])
        _NORMALS = pjit(draw)
    return _NORMALS


def problem(d: int, n: int, seed: int = 0):
    """J symmetric with eigenvalues in [0.5, 2] (stable for STEP), h, start points."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    J = (Q * np.linspace(0.5, 2.0, d)) @ Q.T
    J = 0.5 * (J + J.T)
    return np.ascontiguousarray(J), rng.standard_normal(d), rng.standard_normal((n, d))


def contenders(d: int, n: int, k: int, with_normals: bool = True):
    L, chain_states, _, _, _ = _modules()
    J, h, X0 = problem(d, n)
    Y = np.empty_like(X0)
    states = chain_states(0, n)
    div = np.zeros(n, dtype=np.int64)
    acc = np.zeros(n, dtype=np.int64)

    def gemm():
        for _ in range(k):
            np.matmul(X0, J, out=Y)

    def chain(mala):
        X = X0.copy()

        def f():
            X[:] = X0
            L.run_chains(J, h, X, k, STEP, mala, states, div, acc)
            if div.any():
                raise RuntimeError("benchmark chains diverged")
        return f

    out = {"GEMM": gemm, "ULA": chain(False), "MALA": chain(True)}
    if with_normals:
        Z = np.empty((n, d))
        kern = normals_kernel()
        out["normals"] = lambda: kern(Z, k, states)
    return out


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    n = 512 if quick else 1024
    flops = 4e7 if quick else 1.2e8  # per contender and round (at least 20 steps: the first gradient is extra)
    reps = 5 if quick else 9
    for d in (4, 16, 64, 256):
        k = max(20, int(flops / (2 * n * d * d)))
        with threads(1):
            t = paired(contenders(d, n, k), reps=reps)
        gf = 2 * n * d * d * k / float(np.median(t["GEMM"])) / 1e9
        bar = 0.7 if d >= 64 else None
        t["GEMM+normals"] = t["GEMM"] + t["normals"]  # the same round's two bounds, added
        rn, _ = ratio(t, "normals", "GEMM")
        for m in ("ULA", "MALA"):
            r, sp = ratio(t, "GEMM+normals", m)
            rg, spg = ratio(t, "GEMM", m)
            steps = n * k / float(np.median(t[m]))
            rows.append(Row(FAMILY, f"{m}, d={d}, {n} chains, 1 thread", f"{steps:.3g} chain-steps/s",
                            "GEMM + normal-draw bound", r, sp, bar,
                            note=(f"vs GEMM alone {rg:.2f} [{spg[0]:.2f}-{spg[1]:.2f}]; normals/GEMM time {rn:.2g}; "
                                  f"BLAS {gf:.1f} GF/s")))
    nt = max_threads()
    if nt >= 2:
        for d in (64, 256):
            k = max(20, int(flops / (2 * n * d * d)))
            with threads(nt):
                t = paired(contenders(d, n, k, with_normals=False), reps=reps, clock=time.perf_counter, settle=0.25)
            for m in ("ULA", "MALA"):
                r, sp = ratio(t, "GEMM", m)
                rows.append(Row(FAMILY, f"{m}, d={d}, {n} chains, {nt} threads", "", f"GEMM bound, {nt} threads",
                                r, sp, 0.7, note="wall clock"))
    return rows
