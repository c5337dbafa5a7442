r"""The Gaussian energy-based model, solved exactly, simulated and trained.

Energy :math:`E(x)=\tfrac12 x^\top Jx-h^\top x`, :math:`x\in\mathbb R^d`, :math:`J`
symmetric; the Boltzmann law :math:`\mathcal N(J^{-1}h, J^{-1})` exists iff
:math:`J\succ0`. Dynamics at unit temperature (theory.md section 3):

* continuous-time Langevin :math:`dx=-\nabla E\,dt+\sqrt2\,dW` (``step=None``, time ``k`` a float);
* ULA with step :math:`\eta`: :math:`x'=x-\eta\nabla E(x)+\sqrt{2\eta}\,\xi` (``step=eta``, ``k`` steps);
* MALA: the ULA proposal with a Metropolis-Hastings correction (exact invariant law).

Convention: noise variance :math:`2\eta` per step. A code that writes
``x += delta * grad f + sigma * eps`` (f = -E) runs at temperature
:math:`T=\sigma^2/(2\delta)`; see :func:`convert_step`.

Data flow: closed forms (:func:`langevin_moments`, fixed points) -> Numba
simulation (:func:`simulate`) -> training (:func:`train`, the shared loop of
:mod:`solvable.training`) -> comparison (:func:`compare`).

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from .gaussian_exact import (  # noqa: F401  (the public face of the Gaussian model)
    METHODS,
    UnstableStepWarning,
    check_step,
    convert_step,
    energy,
    gradient,
    langevin_moments,
    log_partition,
    mle,
    mode_decay,
    mode_mean_gain,
    mode_noise_var,
    persistent_fixed_point,
    propagate_law,
    short_run_fixed_point,
    stationary_moments,
)
from .gaussian_chains import (  # noqa: F401
    advance,
    compare,
    feature_labels,
    features,
    features_of_law,
    jarzynski_walkers,
    require_fixed_point,
    simulate,
    train,
)

__all__ = [
    "langevin_moments",
    "stationary_moments",
    "short_run_fixed_point",
    "persistent_fixed_point",
    "mle",
    "simulate",
    "train",
    "compare",
    "features",
    "energy",
    "convert_step",
    "METHODS",
    "UnstableStepWarning",
]
