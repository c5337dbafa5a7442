"""Family ``enumeration``: the exact law of a single-site dynamics, ``solvable.ising.evolve``.

A single-site update T_i applied to a law p over the 2^n states mixes the pairs
(b, b | bit i): it must read and write the whole 2^n vector, so its time is bounded
below by the memory traffic of **one copy of the vector** (read 8 * 2^n bytes, write
8 * 2^n bytes). The bound is measured here with ``numpy.copyto`` of a 2^n float64
vector (the achievable bandwidth at that size: in cache for small n, DRAM for large n).

Rows, one core (``time.thread_time``), n = 16 ... 22 (16, 18, 20 with ``--quick``), through
the public ``solvable.ising.evolve`` (validation, set-up and normalisation included):

* ``sequential-heat-bath`` (a sweep = n single-site updates in place) and
  ``random-heat-bath`` (one unit = (1/n) sum_i p T_i: n single-site updates accumulated
  into a second vector);
* **marginal** time per single-site update, (t(k=K) - t(k=1)) / ((K-1) n), K = 5, which leaves out
  the one-off cost of a call (validation, tables of conditionals, normalisation), and
  ratio = copy time / that (bar >= 0.3); the one-off cost is given in units of updates;
* growth: marginal time / 2^n relative to the smallest n (constant = the predicted
  n 2^n per sweep; a rise marks the fall out of cache).
"""
from __future__ import annotations

import numpy as np

from ._common import NotAvailable, Row, paired, threads

FAMILY = "enumeration"


def _ising():
    try:
        from solvable import ising
    except ImportError as exc:  # pragma: no cover
        raise NotAvailable(f"solvable.ising not available yet ({exc})") from exc
    return ising


def problem(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    J = np.triu(A, 1)
    J = J + J.T
    h = 0.1 * rng.standard_normal(n)
    p = rng.random(2**n)
    return np.ascontiguousarray(J), h, p / p.sum()


def run(quick: bool = False) -> list[Row]:
    ising = _ising()
    rows = []
    ns = (16, 18, 20) if quick else range(16, 23)
    base = {}
    for n in ns:
        J, h, p0 = problem(n)
        N = p0.size
        src, dst = p0.copy(), np.empty(N)
        reps = 3 if (quick or n >= 21) else 5

        def copy():
            np.copyto(dst, src)

        cont = {"copy": copy}
        K = 5
        for dyn in ("sequential-heat-bath", "random-heat-bath"):
            for k in (1, K):
                cont[(dyn, k)] = (lambda d_, k_: lambda: ising.evolve(p0, J, h, k_, dynamics=d_))(dyn, k)
        with threads(1):
            t = paired(cont, reps=reps)
        gbs = 16 * N / float(np.median(t["copy"])) / 1e9
        for dyn in ("sequential-heat-bath", "random-heat-bath"):
            marginal = (t[(dyn, K)] - t[(dyn, 1)]) / ((K - 1) * n)  # per round
            r = t["copy"] / np.maximum(marginal, 1e-12)
            setup = (t[(dyn, 1)] - n * marginal) / np.maximum(marginal, 1e-12)
            m = float(np.median(marginal))
            growth = m / N
            base.setdefault(dyn, growth)
            rows.append(Row(
                FAMILY, f"evolve {dyn}, n={n}", f"{m * 1e3:.3g} ms/update", "bandwidth bound (copy of 2^n)",
                float(np.median(r)), (float(np.percentile(r, 25)), float(np.percentile(r, 75))), 0.3,
                note=(f"copy {gbs:.1f} GB/s; per-call set-up = {np.median(setup):.1f} updates; "
                      f"time/2^n = {growth * 1e9:.2f} ns ({growth / base[dyn]:.2f}x n={ns[0]})")))
    return rows
