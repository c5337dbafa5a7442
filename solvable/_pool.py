"""Worker processes shared by ``solvable reproduce --jobs N`` and :func:`solvable.sweep.sweep`.

Workers are *spawned* (``fork`` is unsafe once Numba threads exist) and each gets
``cpu_count // jobs`` threads: Numba's through :func:`init_worker`, the BLAS pools
through the environment the worker inherits (they start when the worker imports
NumPy, before any initializer runs; a multi-threaded BLAS on top of Numba threads
oversubscribes the cores: a 100x slower ``expm`` was seen).
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys

_BLAS_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def quiet_libraries():
    """fontTools logs a harmless WARNING for every PDF font subset matplotlib writes."""
    logging.getLogger("fontTools").setLevel(logging.ERROR)


def init_worker(sys_path, numba_threads):
    """Process-pool initializer: same import path as the parent, Agg, a share of the cores."""
    quiet_libraries()
    for entry in reversed(sys_path):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    os.environ.setdefault("MPLBACKEND", "Agg")
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(max(1, min(numba_threads, numba.config.NUMBA_NUM_THREADS)))
    elif "NUMBA_NUM_THREADS" not in os.environ:
        os.environ["NUMBA_NUM_THREADS"] = str(numba_threads)


@contextlib.contextmanager
def spawn_pool(jobs):
    """A ``ProcessPoolExecutor`` of ``jobs`` spawned workers set up by :func:`init_worker`.

    The BLAS thread variables are set for the workers while the pool starts and
    restored afterwards. On an exception the pending work is cancelled.
    """
    import concurrent.futures as cf
    import multiprocessing

    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1, got {jobs!r}")
    threads = max(1, (os.cpu_count() or 1) // jobs)
    ctx = multiprocessing.get_context("spawn")
    saved = {v: os.environ.get(v) for v in _BLAS_VARS}
    for v in _BLAS_VARS:
        os.environ.setdefault(v, str(threads))
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=init_worker,
                                  initargs=(list(sys.path), threads))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        for v, value in saved.items():
            if value is None:
                os.environ.pop(v, None)
            else:
                os.environ[v] = value
    pool.shutdown(wait=True)
