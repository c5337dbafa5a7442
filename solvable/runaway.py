r"""Runaway detection for training trajectories: parameters that grow linearly in the iterations.

Where a closed form or an enumeration says that a training scheme has no fixed point, the
models' ``train`` raise :class:`~solvable.NoFixedPointError` before training. Where nothing
can know in advance (Monte Carlo gradients, a user's own energy), the signature of a missing
fixed point is a drift: the expected update tends to a non-zero constant, so the parameters
grow linearly in the iterations (theory.md sections 3.3, 4 and 5.2; theory.md ships in the
repository's ``docs/`` folder). :func:`detect_runaway` looks for that drift in a recorded
trajectory and :func:`warn_if_runaway` turns it into a :class:`RunawayWarning`.

The test (derived here), on the last ``fraction`` of the trajectory cut into ``n_blocks``
blocks, per coordinate:

* the block means move monotonically in one direction (every increment of one sign);
* without slowing down: the last increment is at least ``min_ratio`` times the first
  (a geometric approach to a fixed point with time constant :math:`\tau` has ratio
  :math:`e^{-(n_{blocks}-2)b/\tau}`, small once :math:`\tau` is short against the window);
* the drift between the first and last block means exceeds ``z`` times the standard
  deviation of the coordinate about its linear trend in the window (so Monte Carlo
  fluctuations around a fixed point, however autocorrelated, do not count: their block means
  stay within a few such deviations), and ``min_relative`` times ``max(1, |first block mean|)``.

A fixed point so far away that a small learning rate approaches it at a constant speed
during the whole window looks the same as a runaway; the warning says so. Fluctuations with a
correlation time comparable to the window can also pass (measured on AR(1) noise around a
fixed point, window 200 iterations: 0 of 100 seeds flagged at correlation time 20, 3 at 50,
7 at 100; tests/test_solvers_robust.py).

References "theory.md N" name sections of ``docs/theory.md`` in the source repository (it ships
with the repository, not with an installed wheel).
"""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from . import _validate as V

__all__ = ["RunawayWarning", "RunawayReport", "detect_runaway", "warn_if_runaway"]


class RunawayWarning(UserWarning):
    """Training parameters grew linearly through the end of the run: likely no fixed point."""


@dataclasses.dataclass(frozen=True)
class RunawayReport:
    """Outcome of :func:`detect_runaway` for the coordinates that run away.

    Attributes
    ----------
    index : int array, the flat indices of the coordinates that run away
    slope : float array, their growth per iteration (least-squares slope over the window)
    drift : float array, last minus first block mean over the window
    noise : float array, their standard deviation about the linear trend in the window
    n_iter : int, the number of iterations of the trajectory
    """

    index: np.ndarray
    slope: np.ndarray
    drift: np.ndarray
    noise: np.ndarray
    n_iter: int

    def describe(self, names=None, limit=3):
        """One line naming up to ``limit`` coordinates and their slopes."""
        parts = []
        for i, s in zip(self.index[:limit], self.slope[:limit]):
            label = names[i] if names is not None else f"theta[{i}]"
            parts.append(f"{label}: {s:+.3g} per iteration")
        more = "" if self.index.size <= limit else f" (and {self.index.size - limit} more)"
        return ", ".join(parts) + more


def _trajectory(trajectory):
    if isinstance(trajectory, dict):
        arrays = [np.asarray(v, dtype=float) for v in trajectory.values()]
        if not arrays:
            raise ValueError("trajectory must not be an empty dict")
        T = arrays[0].shape[0]
        if any(a.ndim < 1 or a.shape[0] != T for a in arrays):
            raise ValueError("trajectory dict values must be arrays with the same first axis (iterations)")
        arrays = [a.reshape(T, -1) for a in arrays]
        return np.concatenate(arrays, axis=1)
    a = V.finite_array(trajectory, "trajectory", ndim=(1, 2, 3))
    return a.reshape(a.shape[0], -1)


def detect_runaway(trajectory, *, fraction=0.5, n_blocks=4, min_iter=100, z=5.0, min_ratio=0.5,
                   min_relative=0.05):
    r"""Coordinates of a parameter trajectory that grow linearly to the end (module docstring).

    Parameters
    ----------
    trajectory : array (T + 1, ...) of parameters per iteration (e.g. ``history["theta"]``), or a
        dict of such arrays (e.g. ``history["params"]``), flattened per iteration in dict order
    fraction : float in (0, 1], the trailing share of the iterations examined
    n_blocks : int >= 3, blocks of the window whose means are compared
    min_iter : int >= 1, shorter trajectories (T < min_iter) are never flagged
    z : float > 0, the drift must exceed z standard deviations about the linear trend
    min_ratio : float in [0, 1], last block increment / first block increment at least this
    min_relative : float >= 0, the drift must exceed this times max(1, |first block mean|)

    Returns
    -------
    :class:`RunawayReport` or None when no coordinate runs away. Non-finite values in the
    trajectory raise ``ValueError`` (the training loop raises DivergenceError before that).
    """
    X = _trajectory(trajectory)
    fraction = V.real(fraction, "fraction", low=0.0, high=1.0, low_open=True)
    n_blocks = V.integer(n_blocks, "n_blocks", low=3)
    min_iter = V.integer(min_iter, "min_iter", low=1)
    z = V.positive(z, "z")
    min_ratio = V.real(min_ratio, "min_ratio", low=0.0, high=1.0)
    min_relative = V.real(min_relative, "min_relative", low=0.0)
    T = X.shape[0] - 1
    L = int(round(fraction * (T + 1)))
    b = L // n_blocks
    if T < min_iter or b < 1:
        return None
    Y = X[X.shape[0] - b * n_blocks:]
    M = Y.reshape(n_blocks, b, -1).mean(axis=1)
    D = np.diff(M, axis=0)
    t = np.arange(Y.shape[0], dtype=float)
    tc = t - t.mean()
    slope = (tc @ (Y - Y.mean(axis=0))) / (tc @ tc)
    resid = Y - Y.mean(axis=0) - np.outer(tc, slope)
    noise = np.sqrt(np.mean(resid**2, axis=0))
    drift = M[-1] - M[0]
    monotone = np.all(D > 0, axis=0) | np.all(D < 0, axis=0)
    steady = np.abs(D[-1]) >= min_ratio * np.abs(D[0])
    big = (np.abs(drift) > z * noise) & (np.abs(drift) > min_relative * np.maximum(1.0, np.abs(M[0])))
    idx = np.flatnonzero(monotone & steady & big)
    if idx.size == 0:
        return None
    return RunawayReport(index=idx, slope=slope[idx], drift=drift[idx], noise=noise[idx], n_iter=T)


def warn_if_runaway(trajectory, *, what="training", names=None, stacklevel=2, **options):
    """:func:`detect_runaway`, and a :class:`RunawayWarning` naming ``what`` when it finds a drift.

    Parameters
    ----------
    trajectory : as in :func:`detect_runaway`
    what : str, names the run in the message (e.g. ``"ising.train(scheme='short-run')"``)
    names : list of str or None, labels of the flattened coordinates for the message
    stacklevel : int, passed to ``warnings.warn`` (2: the caller of this function's caller)
    **options : passed to :func:`detect_runaway`

    Returns the :class:`RunawayReport` or None.
    """
    report = detect_runaway(trajectory, **options)
    if report is not None:
        warnings.warn(
            f"{what}: {report.index.size} parameter(s) still grow linearly after {report.n_iter} iterations "
            f"({report.describe(names)}): the scheme probably has no fixed point for these data and the "
            "parameters run away (theory.md 3.3, 4, 5.2), or a fixed point is too far for this learning rate "
            "and number of iterations",
            RunawayWarning, stacklevel=stacklevel + 1,
        )
    return report
