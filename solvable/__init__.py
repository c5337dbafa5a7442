"""solvable: what does an energy-based model learn when trained with non-convergent MCMC?

Exactly solvable models (Gaussian, independent spins, enumerable Ising, 1-D Glauber
chain, Curie-Weiss, small RBMs), their short-run dynamics in closed form or by exact
enumeration, Numba simulators of the very same dynamics, one training loop for the
short-run / CD / PCD / Jarzynski schemes, and comparisons with Monte Carlo error bars.

Submodules are imported on first use (``solvable.gaussian``, ``solvable.ising``, ...),
so ``import solvable`` stays fast.
"""
import importlib

from .errors import (
    DivergenceError,
    EnumerationTooLargeError,
    NoFixedPointError,
    NoFixedPointWarning,
    NonNormalizableWarning,
    UnstableFixedPointWarning,
)

__version__ = "0.1.0"

__all__ = [
    "DivergenceError",
    "EnumerationTooLargeError",
    "NoFixedPointError",
    "NoFixedPointWarning",
    "NonNormalizableWarning",
    "UnstableFixedPointWarning",
    "EnergyModel",
    "train",
    "compare",
    "diagnose",
    "__version__",
]

_SUBMODULES = {
    "gaussian", "bernoulli", "ising", "glauber_chain", "curie_weiss", "rbm", "jarzynski",
    "training", "comparison", "model", "plotting", "langevin", "seeds", "symbolic", "testing", "gmm", "neural", "diagnosis", "runaway", "cli", "generator", "objectives", "datasets", "sweep",
}


#: public functions re-exported lazily: name -> module
_FUNCTIONS = {"EnergyModel": "model", "train": "model", "compare": "model", "diagnose": "diagnosis"}


def __getattr__(name):
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f"{__name__}.{_FUNCTIONS[name]}"), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
