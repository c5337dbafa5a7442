"""The one place that defines the Numba options of every kernel.

``cache=True`` (compiled code is written next to the sources and reused by later
processes), ``nogil=True``, ``error_model="numpy"`` (division by zero gives inf/nan
instead of raising inside the kernel), and **no fastmath**: MCMC kernels must give
the same bits on every run (see the README, "Reproducibility"). Processes that start
together on an empty cache compile each kernel once (:class:`SharedCache`).
"""
import concurrent.futures
import os
import threading
import time

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.caching import FunctionCache
from numba.extending import intrinsic

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here, every process compiles what it needs
    fcntl = None

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)

#: a process waits at most this long for another one to compile a kernel, then compiles it itself
LOCK_TIMEOUT_S = 300.0
#: set to 0 to switch the compile lock off (e.g. a cache directory on a file system without locks)
LOCK_ENV = "SOLVABLE_COMPILE_LOCK"


def _lock(path):
    """An exclusive ``flock`` on ``path`` (an open descriptor), or None when it cannot be had in time."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        except OSError:  # no locks on this file system
            break
    os.close(fd)
    return None


class SharedCache(FunctionCache):
    """Numba's on-disk cache of one kernel, compiled once by processes that need it at the same time.

    ``solvable reproduce --jobs N`` and :func:`solvable.sweep.sweep` start N worker processes on
    one cache; on a fresh install the checks they run first often need the same kernels, and
    every process compiled them (issue 14, cold start). On a cache miss this cache takes an
    exclusive lock (``fcntl.flock``) on ``<kernel index>.lock`` next to the kernel's index, looks
    in the cache again (another process may have saved the kernel while this one waited) and
    holds the lock until the kernel is compiled and saved. A process that waits more than
    :data:`LOCK_TIMEOUT_S` compiles on its own, as it would without the lock; where no lock can
    be taken (no ``fcntl``, a read-only or lock-less file system, ``SOLVABLE_COMPILE_LOCK=0``)
    nothing changes. Calls go through Numba's global compiler lock, so one process holds at most
    one chain of these locks (a kernel and the callees it compiles), always taken caller first:
    no cycle, no deadlock.
    """

    _held = None

    def lock_path(self):
        return os.path.join(self._cache_path, self._cache_file._index_name + ".lock")

    def release(self):
        """Let go of the lock this cache holds for a kernel being compiled (no-op when none)."""
        if self._held is not None:
            os.close(self._held)  # closing the descriptor drops the flock
            self._held = None

    def load_overload(self, sig, target_context):
        data = super().load_overload(sig, target_context)
        if data is not None or not self._enabled or fcntl is None or os.environ.get(LOCK_ENV, "1") == "0":
            return data
        self.release()  # still held if this process's last compile of the kernel raised
        try:
            self._impl.locator.ensure_cache_path()
        except OSError:
            return None
        fd = _lock(self.lock_path())
        if fd is None:
            return None
        data = super().load_overload(sig, target_context)
        if data is not None:
            os.close(fd)
            return data
        self._held = fd  # released once the kernel is saved
        return None

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        finally:
            self.release()


_njit = numba.njit(**_OPTIONS)


def jit(func):
    """Decorator for serial kernels: ``numba.njit`` with the options above and a :class:`SharedCache`.

    The dispatcher's ``compile`` is wrapped so that a compilation that raises (a typing error
    for arguments of an unexpected type) still lets go of the kernel's lock: it is otherwise
    released when the compiled kernel is saved, and other processes would wait for it.
    """
    disp = _njit(func)
    if isinstance(getattr(disp, "_cache", None), FunctionCache):  # Numba's cache=True dispatcher
        cache = disp._cache = SharedCache(disp.py_func)
        compile_ = disp.compile

        def compile(sig):
            try:
                return compile_(sig)
            finally:
                cache.release()

        compile.__doc__ = compile_.__doc__
        disp.compile = compile
    return disp


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
