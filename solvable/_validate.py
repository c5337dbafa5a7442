"""Argument checks shared by every public function.

Each check raises a ``TypeError`` or ``ValueError`` that names the argument and
the allowed range, and returns the argument converted to the expected type.
"""
import numbers

import numpy as np


def finite_array(x, name, *, ndim=None, dtype=float):
    """Return ``x`` as an ndarray of ``dtype``; reject NaN/inf and a wrong ``ndim``."""
    try:
        a = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if a.ndim not in allowed:
            raise ValueError(f"{name} must have ndim in {allowed}, got shape {a.shape}")
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name} contains {bad} NaN or infinite value(s); all entries must be finite")
    return a


def square(x, name, *, d=None):
    a = finite_array(x, name, ndim=2)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {a.shape}")
    if d is not None and a.shape[0] != d:
        raise ValueError(f"{name} must have shape ({d}, {d}), got {a.shape}")
    return a


def symmetric(x, name, *, d=None, rtol=1e-10):
    """A real symmetric matrix (asymmetry at most ``rtol`` times its largest entry)."""
    a = square(x, name, d=d)
    scale = max(1.0, float(np.max(np.abs(a)))) if a.size else 1.0
    asym = float(np.max(np.abs(a - a.T))) if a.size else 0.0
    if asym > rtol * scale:
        raise ValueError(f"{name} must be symmetric; max |{name} - {name}.T| = {asym:.3g}")
    return 0.5 * (a + a.T)


def spd(x, name, *, d=None):
    """A symmetric positive definite matrix; returns (matrix, eigenvalues, eigenvectors)."""
    a = symmetric(x, name, d=d)
    w, u = np.linalg.eigh(a)
    if w.size and w[0] <= 0:
        raise ValueError(
            f"{name} must be symmetric positive definite; its smallest eigenvalue is {w[0]:.6g}"
        )
    return a, w, u


def vector(x, name, d, *, default=None):
    if x is None:
        if default is None:
            raise ValueError(f"{name} is required")
        return np.full(d, float(default))
    a = finite_array(x, name, ndim=(0, 1))
    if a.ndim == 0:
        return np.full(d, float(a))
    if a.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},), got {a.shape}")
    return a


def integer(x, name, *, low=None, high=None):
    """An int (a float with an integral value is accepted); bools are refused (``k=True`` is a mistake)."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be an integer, got the bool {x!r}")
    if not isinstance(x, numbers.Integral):
        if isinstance(x, numbers.Real) and np.isfinite(float(x)) and float(x).is_integer():
            x = int(x)
        else:
            raise TypeError(f"{name} must be an integer, got {x!r}")
    x = int(x)
    _range(x, name, low, high)
    return x


def real(x, name, *, low=None, high=None, low_open=False):
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {x!r}")
    x = float(x)
    if not np.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x}")
    if low_open and low is not None and x <= low:
        raise ValueError(f"{name} must be > {low}, got {x}")
    _range(x, name, low, high)
    return x


def positive(x, name):
    return real(x, name, low=0.0, low_open=True)


def _range(x, name, low, high):
    if low is not None and x < low:
        raise ValueError(f"{name} must be >= {low}, got {x}")
    if high is not None and x > high:
        raise ValueError(f"{name} must be <= {high}, got {x}")


def choice(x, name, allowed):
    if x not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {x!r}")
    return x


def step(x, name="step"):
    """A Langevin step: None (continuous time) or a float > 0."""
    return None if x is None else positive(x, name)


def time(k, name, step):
    """Training/sampling time: a float >= 0 in continuous time (``step is None``),
    a non-negative integer number of steps otherwise (bools refused)."""
    if step is None:
        return real(k, name, low=0.0)
    if isinstance(k, numbers.Real) and not isinstance(k, (bool, np.bool_)) and not float(k).is_integer():
        raise ValueError(f"{name} must be an integer number of steps when step is given, got {k!r}")
    return integer(k, name, low=0)


def seed(x, name="seed"):
    """A seed for ``numpy.random.SeedSequence``: an integer >= 0."""
    return integer(x, name, low=0)


def binary(x, name, *, ndim=2, n_cols=None):
    """A float array with every entry 0 or 1 (RBM units); checks ``ndim`` and the column count."""
    a = finite_array(x, name, ndim=ndim)
    if a.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    if n_cols is not None and a.shape[-1] != n_cols:
        raise ValueError(f"{name} must have {n_cols} columns (units), got shape {a.shape}")
    bad = (a != 0) & (a != 1)
    if np.any(bad):
        raise ValueError(
            f"{name} must contain only 0 and 1 (RBM units are {{0,1}}); found {int(np.sum(bad))} other "
            f"value(s), e.g. {a[bad].flat[0]!r}. Binarize first, e.g. (x > threshold).astype(float)"
        )
    return a.astype(float)


def spins(x, name, *, ndim=(1, 2), n_cols=None):
    """An int8 array of Ising spins, every entry -1 or +1; checks ``ndim`` and the last axis length."""
    a = finite_array(x, name, ndim=ndim)
    if a.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {a.shape}")
    if n_cols is not None and a.shape[-1] != n_cols:
        raise ValueError(f"{name} must have {n_cols} spins on its last axis, got shape {a.shape}")
    bad = (a != -1) & (a != 1)
    if np.any(bad):
        raise ValueError(
            f"{name} must contain only spins -1 and +1; found {int(np.sum(bad))} other value(s), "
            f"e.g. {a[bad].flat[0]!r} (0/1 units convert with s = 2*u - 1)"
        )
    return a.astype(np.int8)


def probability(p, name, size=None, *, atol=1e-9):
    """A probability vector: 1-D, finite, non-negative, summing to 1 (within ``atol``); renormalised."""
    a = finite_array(p, name, ndim=1)
    if size is not None and a.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {a.shape}")
    if a.size == 0 or np.any(a < 0):
        raise ValueError(f"{name} must be a non-empty vector of non-negative probabilities")
    total = float(a.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"{name} must sum to 1, sums to {total:.12g}")
    return a / total
