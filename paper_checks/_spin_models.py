"""The worked spin models of theory.md section 9 shared by several spin checks (a helper, not a check).

* :func:`bm8` -- the 8-spin Boltzmann machine of 9.4;
* :func:`small_ising` -- the n = 4 Ising model of 9.5 with its well-specified and
  misspecified (three-body) data laws;
* :func:`pack` -- the parameter vector :math:`(h_i;\\ J_{ij},\\ i<j)` in the order of
  :func:`solvable.ising.features`.
"""
from __future__ import annotations

import numpy as np

from solvable import ising

#: 9.5: strength of the three-body term s0 s1 s2 of the misspecified data law
THREE_BODY = 0.8


def pack(J, h):
    """(h_i; J_ij, i < j): the parameter vector in the order of ``ising.features``."""
    h = np.asarray(h, dtype=float)
    return np.concatenate([h, np.asarray(J, dtype=float)[np.triu_indices(h.size, 1)]])


def bm8():
    """theory.md 9.4: ``default_rng(0)``; ``A ~ N(0, 0.6^2)`` (8, 8), J = upper triangle symmetrised,
    ``h ~ N(0, 0.3^2)``. Returns ``(J0, h0, p_D)`` with p_D the exact Boltzmann law of (J0, h0)."""
    rng = np.random.default_rng(0)
    A = rng.normal(0, 0.6, (8, 8))
    J0 = np.triu(A, 1)
    J0 = J0 + J0.T
    h0 = rng.normal(0, 0.3, 8)
    return J0, h0, ising.boltzmann(J0, h0)


def small_ising():
    r"""theory.md 9.5: n = 4, ``default_rng(1)``, ``A, h ~ N(0, 0.5^2)``, :math:`J_{ij}=A_{ij}` (i < j).

    Returns ``(J, h, p_well, p_mis)``: the Boltzmann law of (J, h) and the misspecified law
    :math:`p_D\propto e^{-E+0.8s_0s_1s_2}`, both over :func:`solvable.ising.all_states` order.
    """
    rng = np.random.default_rng(1)
    A = rng.normal(0, 0.5, (4, 4))
    h = rng.normal(0, 0.5, 4)
    J = np.triu(A, 1)
    J = J + J.T
    S = ising.all_states(4)
    logw = -ising.energy(S, J, h) + THREE_BODY * (S[:, 0] * S[:, 1] * S[:, 2]).astype(float)
    p_mis = np.exp(logw - logw.max())
    return J, h, ising.boltzmann(J, h), p_mis / p_mis.sum()
