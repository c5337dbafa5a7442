"""Hypothesis strategies and z-score helpers of the tests: re-exported from :mod:`solvable.testing` (one copy)."""
from solvable.testing import (  # noqa: F401
    Z_MAX,
    couplings,
    fields,
    k_values,
    orthogonal,
    rbm_parameters,
    spd_matrices,
    spin_laws,
    symmetric_matrices,
    ula_steps,
    vectors,
    zscores,
)

#: z-score tolerance of every Monte Carlo comparison (theory.md section 8: z = 5 suite-wide)
Z = Z_MAX
