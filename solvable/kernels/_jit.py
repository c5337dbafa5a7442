"""The one place that defines the Numba options of every kernel.

``cache=True`` (compiled code is written next to the sources and reused by later
processes), ``nogil=True``, ``error_model="numpy"`` (division by zero gives inf/nan
instead of raising inside the kernel), and **no fastmath**: MCMC kernels must give
the same bits on every run (see the README, "Reproducibility").
"""
import numba

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)

#: decorator for serial kernels
jit = numba.njit(**_OPTIONS)


def pjit(func):
    """Decorator for kernels with a ``numba.prange`` loop over independent chains."""
    return numba.njit(parallel=True, **_OPTIONS)(func)


prange = numba.prange
