"""Numba kernels only: no validation, no allocation per step.

Public wrappers in :mod:`solvable` validate their input and then call these.
The jit options live in one place, :mod:`solvable.kernels._jit`; the per-chain
random streams in :mod:`solvable.kernels._rng`.
"""
