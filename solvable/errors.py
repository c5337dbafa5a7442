"""Typed outcomes of the solvable models (theory.md, pitfall 6: never a silent NaN).

* :class:`NoFixedPointError` -- a training scheme has no stationary point (the
  parameters drift to infinity), e.g. ULA short-run training with a data variance
  below ``2*eta`` (theory.md section 3.3) or spins with ``|m_D| >= 1 - e^{-k}``.
* :class:`DivergenceError` -- a simulated chain overflowed (step too large for the
  stiffest mode, ``eta*j >= 2``, or a model with no equilibrium run for too long).
* :class:`NonNormalizableWarning` -- a valid short-run model whose energy has no
  normalizable Boltzmann law (an eigenvalue of ``J`` <= 0): the dynamics at time k
  is fine, the equilibrium does not exist.
* :class:`EnumerationTooLargeError` -- an exact enumeration that would not fit in memory.
* :class:`NoFixedPointWarning` -- a closed-form fixed point is infinite (returned as
  +-inf): the training drifts to infinity, e.g. independent spins with
  ``|m_D| >= 1 - e^{-k}`` (theory.md section 4).
* :class:`UnstableFixedPointWarning` -- a stationary point of a training scheme's expected
  update that the training flow leaves (its Jacobian has an eigenvalue with negative real
  part, theory.md section 2.2).
"""

__all__ = [
    "NoFixedPointError",
    "DivergenceError",
    "NonNormalizableWarning",
    "EnumerationTooLargeError",
    "NoFixedPointWarning",
    "UnstableFixedPointWarning",
]


class NoFixedPointError(ValueError):
    """The training scheme has no fixed point for these data statistics."""


class DivergenceError(FloatingPointError):
    """A simulated chain (or a training run) overflowed or produced non-finite values."""


class NonNormalizableWarning(UserWarning):
    """The parameters define no normalizable equilibrium law (e.g. J not positive definite)."""


class EnumerationTooLargeError(ValueError):
    """An exact enumeration was asked for a state space too large for memory."""


class NoFixedPointWarning(UserWarning):
    """A fixed point is at infinity (returned as +-inf): training drifts without bound."""


class UnstableFixedPointWarning(UserWarning):
    """A stationary point of the expected update exists but training moves away from it."""
