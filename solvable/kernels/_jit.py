"""The one place that defines the Numba options of every kernel.

``cache=True`` (compiled code is written next to the sources and reused by later
processes), ``nogil=True``, ``error_model="numpy"`` (division by zero gives inf/nan
instead of raising inside the kernel), and **no fastmath**: MCMC kernels must give
the same bits on every run (see the README, "Reproducibility").
"""
import concurrent.futures
import os
import threading

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)

#: decorator for serial kernels
jit = numba.njit(**_OPTIONS)


def pjit(func):
    """Decorator for kernels with a ``numba.prange`` loop over independent chains (the package's
    own kernels no longer use it, see :func:`over_chains`; the benchmarks' baselines do)."""
    return numba.njit(parallel=True, **_OPTIONS)(func)


prange = numba.prange

_POOL = None
_POOL_LOCK = threading.Lock()


def _reset_pool():
    global _POOL
    _POOL = None


os.register_at_fork(after_in_child=_reset_pool)  # a forked child has the pool object but not its threads


def _executor():
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(
                max_workers=max(1, numba.config.NUMBA_NUM_THREADS - 1), thread_name_prefix="solvable-kernel")
        return _POOL


def over_chains(kernel, args, rows, n):
    """Run the serial, GIL-free kernel ``kernel(*args)`` over the ``n`` chains, split across threads.

    The chains are cut into ``t = min(numba.get_num_threads(), n)`` contiguous slices; the
    arguments at the positions ``rows`` (arrays whose first axis is the chain) are sliced, the
    others are passed whole, and each slice runs on its own thread (slice 0 on the calling
    thread, the others on a Python thread pool: every kernel is compiled with ``nogil=True``).
    With one thread (``numba.set_num_threads(1)``, ``NUMBA_NUM_THREADS=1``, or the workers of
    ``solvable reproduce``) the kernel is called once on everything.

    Why not ``prange``: a ``parallel=True`` kernel compiles a second copy of its body plus
    the parallel region (2.3 s of CPU for the Langevin driver, 1.0-1.3 s for each spin and RBM
    driver on a fresh cache; issue 14, cold start), and every chain here is independent, reads
    only its own rows and draws only from its own stream -- so the slices, like prange's
    chunks, cannot change a bit. The thread count is still Numba's (``numba.set_num_threads``).
    """
    t = min(numba.get_num_threads(), n)
    if t <= 1:
        kernel(*args)
        return
    cuts = [n * i // t for i in range(t + 1)]

    def part(i):
        a = list(args)
        for j in rows:
            a[j] = args[j][cuts[i]:cuts[i + 1]]
        kernel(*a)

    pool = _executor()
    futures = [pool.submit(part, i) for i in range(1, t)]
    try:
        part(0)
    finally:
        for f in futures:
            f.result()


@intrinsic
def fma(typingctx, a, b, c):
    """``fma(a, b, c) = a * b + c`` rounded once (LLVM ``llvm.fma.f64``; one instruction on x86-64
    with FMA, vectorised like a multiply). An explicit, deterministic operation -- not fastmath,
    which would let the compiler decide where to fuse: the same expression gives the same bits on
    every run and in every block."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.DoubleType(), [ir.DoubleType()] * 3)
        return builder.call(cgutils.get_or_insert_function(builder.module, fnty, "llvm.fma.f64"), args)

    return sig, codegen
