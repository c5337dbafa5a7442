"""Family ``spins``: single-site spin updates, Numba vs plain C vs vectorised NumPy.

Models: a periodic 2-D lattice (L x L, coupling 0.44, near the critical point; one
chain) and dense pairwise models (Sherrington-Kirkpatrick couplings N(0, 1/n),
n = 128 and 512; 64 chains x 20 000 updates). Dynamics: random-scan heat bath and
random-scan Metropolis, k single-site updates per chain.

Contenders, one core each (``time.thread_time``):

* **numba** -- ``solvable.kernels.spins.run_chains`` (the kernel behind
  ``solvable.ising.simulate``), one chain;
* **C -O2** -- ``solvable/bench/c/spins.c``, the same loop and the same random numbers,
  compiled now with ``cc -O2`` (and, for information, ``-O3 -march=native``): for the
  lattice with CSR neighbour lists, for dense J the plain row loop
  ``for (j = 0; j < n; j++) H[j] += J[i*n + j] * d`` over the full matrix (the CSR
  loop on the dense model is shown for information);
* **NumPy** -- the best vectorised form: a checkerboard sweep for the lattice (all sites
  of one colour at once), and for the dense model many chains at once (one random site
  per chain per step, fields updated with a row of J).

Bars: numba >= 0.5x the CSR C rate on the lattice (issue 7), >= 0.8x the dense-row C
rate for dense J (issue 14), >= 20x the NumPy rate; several chains on 2 threads within
80% of linear speed-up (wall clock). The ratio is C time / numba time per update
(> 1: numba faster).
"""
from __future__ import annotations

import ctypes
import time

import numpy as np

from ._common import NotAvailable, Row, compile_c, max_threads, paired, ptr, rate, ratio, threads

FAMILY = "spins"
BETA = 0.44


def _kernels():
    try:
        from solvable.kernels import spins as K
        from solvable.kernels._rng import chain_states
    except ImportError as exc:  # pragma: no cover - depends on the other helpers' progress
        raise NotAvailable(f"solvable.kernels.spins not available yet ({exc})") from exc
    return K, chain_states


# --------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------
def lattice_csr(L: int, coupling: float = BETA):
    """CSR (indptr, indices, weights) of the periodic L x L lattice, int64/float64."""
    idx = np.arange(L * L).reshape(L, L)
    nbrs = np.stack([np.roll(idx, 1, 0), np.roll(idx, -1, 0), np.roll(idx, 1, 1), np.roll(idx, -1, 1)], axis=-1)
    indices = np.sort(nbrs.reshape(L * L, 4), axis=1).ravel().astype(np.int64)
    indptr = np.arange(0, 4 * L * L + 1, 4, dtype=np.int64)
    return indptr, indices, np.full(indices.size, float(coupling))


def dense_couplings(n: int, seed: int = 0) -> np.ndarray:
    """Symmetric zero-diagonal SK couplings J_ij ~ N(0, 1/n)."""
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    J = np.triu(A, 1)
    return J + J.T


def dense_csr(J: np.ndarray):
    n = J.shape[0]
    mask = ~np.eye(n, dtype=bool)
    indices = np.nonzero(mask)[1].astype(np.int64)
    indptr = np.arange(0, n * (n - 1) + 1, n - 1, dtype=np.int64)
    return indptr, indices, np.ascontiguousarray(J[mask], dtype=np.float64)


# --------------------------------------------------------------------------------------
# contenders: each returns a closure doing `n_steps` updates per chain (state persists)
# --------------------------------------------------------------------------------------
class Chains:
    """Spins, fields and streams of ``n_chains`` chains, shared layout for Numba and C."""

    def __init__(self, csr, h, n_chains, seed):
        K, chain_states = _kernels()
        self.indptr, self.indices, self.weights = csr
        self.h = np.ascontiguousarray(h, dtype=np.float64)
        n = self.h.size
        rng = np.random.default_rng(seed)
        self.spins = np.where(rng.random((n_chains, n)) < 0.5, 1, -1).astype(np.int8)
        self.fields = np.empty((n_chains, n))
        self.buf = np.empty((n_chains, 1), dtype=np.int8)
        self.states = chain_states(seed, n_chains, stream=2)

    def copy(self):
        other = object.__new__(Chains)
        other.__dict__ = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}
        return other


def numba_runner(ch: Chains, code: int, n_steps: int):
    K, _ = _kernels()

    def run():
        K.run_chains(ch.spins, ch.fields, ch.buf, ch.indptr, ch.indices, ch.weights, ch.h, n_steps, 0.0, code,
                     ch.states)
    return run


def load_c(flags=("-O2",)):
    lib = compile_c("spins", flags)
    f = lib.run_chains
    f.restype = None
    f.argtypes = [ctypes.POINTER(ctypes.c_int8), ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_int64),
                  ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
                  ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int, ctypes.POINTER(ctypes.c_uint64)]
    return f


def load_c_dense(flags=("-O2",)):
    """``run_chains_dense`` of solvable/bench/c/spins.c: a full n x n J, contiguous row update."""
    lib = compile_c("spins", flags)
    f = lib.run_chains_dense
    f.restype = None
    f.argtypes = [ctypes.POINTER(ctypes.c_int8), ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double),
                  ctypes.POINTER(ctypes.c_double), ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, ctypes.c_int,
                  ctypes.POINTER(ctypes.c_uint64)]
    return f


def c_dense_runner(f, ch: Chains, J: np.ndarray, code: int, n_steps: int):
    """The dense-row C loop on the chains ``ch`` (``J`` the full matrix behind ``ch``'s lists)."""
    J = np.ascontiguousarray(J, dtype=np.float64)
    args = (ptr(ch.spins, ctypes.c_int8), ptr(ch.fields, ctypes.c_double), ptr(J, ctypes.c_double),
            ptr(ch.h, ctypes.c_double), ch.spins.shape[0], ch.spins.shape[1], n_steps, code,
            ptr(ch.states, ctypes.c_uint64))

    def run():
        f(*args)
    run.J = J  # keep the matrix alive with the closure
    return run


def c_runner(f, ch: Chains, code: int, n_steps: int):
    args = (ptr(ch.spins, ctypes.c_int8), ptr(ch.fields, ctypes.c_double), ptr(ch.indptr, ctypes.c_int64),
            ptr(ch.indices, ctypes.c_int64), ptr(ch.weights, ctypes.c_double), ptr(ch.h, ctypes.c_double),
            ch.spins.shape[0], ch.spins.shape[1], n_steps, code, ptr(ch.states, ctypes.c_uint64))

    def run():
        f(*args)
    return run


def numpy_checkerboard(L: int, metropolis: bool, n_sweeps: int, seed: int):
    """Checkerboard sweeps of the L x L lattice (L even), vectorised; n_sweeps * L^2 updates."""
    rng = np.random.default_rng(seed)
    S = np.where(rng.random((L, L)) < 0.5, 1.0, -1.0)
    ii, jj = np.indices((L, L))
    colours = [((ii + jj) % 2 == c) for c in (0, 1)]
    nb = np.empty((L, L))
    u = np.empty((L, L))

    def run():
        for _ in range(n_sweeps):
            for mask in colours:
                # neighbour sum with four shifted copies (periodic)
                np.add(np.roll(S, 1, 0), np.roll(S, -1, 0), out=nb)
                np.add(nb, np.roll(S, 1, 1), out=nb)
                np.add(nb, np.roll(S, -1, 1), out=nb)
                rng.random(out=u)
                if metropolis:
                    flip = u < np.exp(-2.0 * BETA * S * nb)
                    S[mask & flip] *= -1.0
                else:
                    new = np.where(u < 0.5 * (1.0 + np.tanh(BETA * nb)), 1.0, -1.0)
                    S[mask] = new[mask]
    run.state = lambda: S  # for the tests: the baseline samples what the kernel samples
    return run


def numpy_dense_chains(J: np.ndarray, h: np.ndarray, metropolis: bool, n_chains: int, n_steps: int, seed: int):
    """``n_chains`` chains at once, one random-site update per chain per step; n_chains * n_steps updates."""
    rng = np.random.default_rng(seed)
    n = J.shape[0]
    S = np.where(rng.random((n_chains, n)) < 0.5, 1.0, -1.0)
    H = h + S @ J
    rows = np.arange(n_chains)

    def run():
        nonlocal H
        for _ in range(n_steps):
            i = rng.integers(n, size=n_chains)
            s = S[rows, i]
            Hi = H[rows, i]
            u = rng.random(n_chains)
            if metropolis:
                flip = u < np.exp(-2.0 * s * Hi)
            else:
                flip = (u < 0.5 * (1.0 + np.tanh(Hi))) != (s > 0)
            c = rows[flip]
            if c.size:
                ic = i[flip]
                d = -2.0 * S[c, ic]
                S[c, ic] = -S[c, ic]
                H[c] += d[:, None] * J[ic]
    run.state = lambda: (S, H)  # for the tests: spins and local fields after the run
    return run


# --------------------------------------------------------------------------------------
# the family
# --------------------------------------------------------------------------------------
def _c_or_none(loader, flags, rows, label):
    try:
        return loader(flags)
    except NotAvailable as exc:
        if rows is not None:
            rows.append(Row(FAMILY, label, note=f"skipped: {exc}"))
        return None


def run(quick: bool = False) -> list[Row]:
    K, _ = _kernels()
    codes = {"heat bath": K.RANDOM_HB, "Metropolis": K.RANDOM_MET}
    rows: list[Row] = []
    c_csr = _c_or_none(load_c, ("-O2",), rows, "C baseline (CSR)")
    c_dense = _c_or_none(load_c_dense, ("-O2",), None, "")
    c_csr_nat = _c_or_none(load_c, ("-O3", "-march=native"), None, "") if c_csr is not None else None
    c_dense_nat = _c_or_none(load_c_dense, ("-O3", "-march=native"), None, "") if c_dense is not None else None
    reps = 5 if quick else 9
    # lattice: one chain, sparse J -> the CSR C loop is what a C programmer writes
    L = 64 if quick else 128
    for dyn, code in codes.items():
        n_upd = 1_000_000 // (2 if quick else 1)
        base = Chains(lattice_csr(L), np.zeros(L * L), 1, seed=1)
        a, b, c = base.copy(), base.copy(), base.copy()
        cont = {"numba": numba_runner(a, code, n_upd)}
        if c_csr is not None:
            cont["C -O2"] = c_runner(c_csr, b, code, n_upd)
        if c_csr_nat is not None:
            cont["C -O3 -march=native"] = c_runner(c_csr_nat, c, code, n_upd)
        n_sw = max(1, n_upd // (L * L) // 4)
        cont["NumPy"] = numpy_checkerboard(L, dyn == "Metropolis", n_sw, seed=2)
        upd = {k: n_upd for k in cont}
        upd["NumPy"] = n_sw * L * L
        rows += _compare(cont, upd, reps, f"lattice {L}x{L}, {dyn}", {"C -O2": ("C -O2 (CSR lists)", 0.5),
                         "C -O3 -march=native": ("C -O3 -march=native (CSR)", None),
                         "NumPy": ("NumPy checkerboard", 20.0)})
    # dense SK couplings: 64 chains (16 with --quick) x 20 000 random-site updates, one thread
    n_chains = 16 if quick else 64
    n_upd = 20_000
    for n in (128, 512):
        J = dense_couplings(n)
        csr, h = dense_csr(J), np.zeros(n)
        for dyn, code in codes.items():
            metropolis = dyn == "Metropolis"
            base = Chains(csr, h, n_chains, seed=1)
            ch = {k: base.copy() for k in ("numba", "dense", "csr", "dense_nat")}
            cont = {"numba": numba_runner(ch["numba"], code, n_upd)}
            if c_dense is not None:
                cont["C -O2 dense row"] = c_dense_runner(c_dense, ch["dense"], J, code, n_upd)
                cont["C -O2 CSR"] = c_runner(c_csr, ch["csr"], code, n_upd)
            if c_dense_nat is not None:
                cont["C -O3 -march=native dense row"] = c_dense_runner(c_dense_nat, ch["dense_nat"], J, code, n_upd)
            n_np_chains = 64
            n_np_steps = max(1, n_chains * n_upd // n_np_chains // 4)
            cont["NumPy"] = numpy_dense_chains(J, h, metropolis, n_np_chains, n_np_steps, seed=2)
            upd = {k: n_chains * n_upd for k in cont}
            upd["NumPy"] = n_np_chains * n_np_steps
            rows += _compare(cont, upd, reps, f"dense n={n}, {n_chains} chains, {dyn}",
                             {"C -O2 dense row": ("C -O2 dense row", 0.8), "C -O2 CSR": ("C -O2 CSR lists", None),
                              "C -O3 -march=native dense row": ("C -O3 -march=native dense row", None),
                              "NumPy": ("NumPy, 64 chains vectorised", 20.0)})
            if c_dense is not None and not np.array_equal(ch["numba"].spins, ch["dense"].spins):
                raise RuntimeError("the dense C baseline and the kernel ended in different states")
    rows += scaling(K, quick)
    return rows


def _compare(cont, upd, reps, case, refs) -> list[Row]:
    """Time ``cont`` paired on one thread; one row per reference in ``refs`` {name: (label, bar)}."""
    with threads(1):
        t = paired(cont, reps=reps)
    per = {k: t[k] / upd[k] for k in cont}  # seconds per update, per round
    nb_rate = rate(1.0 / float(np.median(per["numba"])), "upd/s")
    out, first = [], True
    for name, (label, bar) in refs.items():
        if name not in per:
            continue
        r, sp = ratio(per, name, "numba")
        out.append(Row(FAMILY, case, nb_rate if first else "", label, r, sp, bar,
                       note=f"{name} {rate(1 / float(np.median(per[name])), 'upd/s')}"))
        first = False
    return out


_IDEAL = None


def ideal_kernel():
    """A prange loop of pure per-chain arithmetic (random draws, no shared memory): the
    speed-up it gets is what the machine offers right now (other processes take cores)."""
    global _IDEAL
    if _IDEAL is None:
        from solvable.kernels._jit import pjit, prange
        from solvable.kernels._rng import uniform

        def draws(out, n_draws, states):
            for c in prange(out.shape[0]):
                s = states[c]
                acc = 0.0
                for _ in range(n_draws):
                    acc += uniform(s)
                out[c] = acc
        _IDEAL = pjit(draws)
    return _IDEAL


def scaling(K, quick: bool) -> list[Row]:
    """Wall-clock speed-up of several independent chains on 1 vs all Numba threads."""
    nt = max_threads()
    if nt < 2:
        return [Row(FAMILY, "multi-chain scaling", note="skipped: one Numba thread")]
    L = 64
    csr = lattice_csr(L)
    n_chains = 4 * nt
    n_upd = 100_000 if quick else 250_000
    base = Chains(csr, np.zeros(L * L), n_chains, seed=3)
    one, many = base.copy(), base.copy()
    f1 = numba_runner(one, K.RANDOM_HB, n_upd)
    fn = numba_runner(many, K.RANDOM_HB, n_upd)

    def on(n, f):
        def g():
            with threads(n):
                f()
        return g

    _, chain_states = _kernels()
    ideal, out, st = ideal_kernel(), np.empty(n_chains), chain_states(0, n_chains)
    n_draws = 8 * n_upd
    cont = {"1": on(1, f1), str(nt): on(nt, fn), "ideal 1": on(1, lambda: ideal(out, n_draws, st)),
            f"ideal {nt}": on(nt, lambda: ideal(out, n_draws, st))}
    t = paired(cont, reps=5 if quick else 9, clock=time.perf_counter)
    speedup, sp = ratio(t, "1", str(nt))
    ideal_speedup, _ = ratio(t, "ideal 1", f"ideal {nt}")
    eff = speedup / nt
    rel = (t["1"] / t[str(nt)]) / (t["ideal 1"] / t[f"ideal {nt}"])
    return [Row(FAMILY, f"multi-chain scaling, {n_chains} chains, lattice {L}x{L}, heat bath",
                f"speed-up {speedup:.2f} on {nt} threads", f"linear ({nt}x)", eff, (sp[0] / nt, sp[1] / nt), 0.8,
                note=(f"wall clock; a pure-arithmetic prange loop gets {ideal_speedup:.2f}x now (other processes "
                      f"share the cores): relative to it {np.median(rel):.2f}"))]
