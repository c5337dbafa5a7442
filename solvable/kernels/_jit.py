"""The one place that defines the Numba options of every kernel.

``cache=True`` (compiled code is written next to the sources and reused by later
processes), ``nogil=True``, ``error_model="numpy"`` (division by zero gives inf/nan
instead of raising inside the kernel), and **no fastmath**: MCMC kernels must give
the same bits on every run (see the README, "Reproducibility").
"""
import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

_OPTIONS = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)

#: decorator for serial kernels
jit = numba.njit(**_OPTIONS)


def pjit(func):
    """Decorator for kernels with a ``numba.prange`` loop over independent chains."""
    return numba.njit(parallel=True, **_OPTIONS)(func)


prange = numba.prange


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
