r"""Binary data sets for the RBM: real (scikit-learn digits) and synthetic with an exactly known law.

* :func:`digits` -- the 1797 8x8 handwritten digits bundled with scikit-learn
  (``sklearn.datasets.load_digits``, no download), intensities 0..16 scaled to
  [0, 1] and binarized at a threshold: 64 visible units in {0, 1}.
* :func:`prototypes` / :func:`prototypes_law` -- a mixture of prototype bit strings
  with independent bit flips (theory.md 9.7, "Small RBM training"):
  :math:`p(v)=\sum_k w_k\prod_i f^{[v_i\ne P_{ki}]}(1-f)^{[v_i=P_{ki}]}`.
"""
from __future__ import annotations

import numpy as np

from . import _validate as V

#: theory.md 9.7 "Small RBM training": two prototypes, weights 0.8/0.2, 5% flips, n=2000, seed 100
PROTOTYPES_9_7 = ("1111100000", "0000011111")


def digits(threshold=0.5, *, return_labels=False):
    """scikit-learn's bundled 8x8 digits, binarized: ``v = (pixel / 16 > threshold)``.

    Returns a float array (1797, 64) of 0/1 (and the digit labels if ``return_labels``).
    Needs scikit-learn (``pip install solvable[sklearn]``); the data ship with it.

    Parameters
    ----------
    threshold : float in [0, 1] (default 0.5)
    return_labels : bool, also return the (1797,) int labels

    Returns
    -------
    v : (1797, 64) float ndarray of 0/1 (and the labels if ``return_labels``)
    """
    threshold = V.real(threshold, "threshold", low=0.0, high=1.0)
    try:
        from sklearn.datasets import load_digits  # noqa: PLC0415 (optional dependency)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "solvable.datasets.digits needs scikit-learn; install it with `pip install solvable[sklearn]`"
        ) from exc
    d = load_digits()
    v = (d.data / 16.0 > threshold).astype(float)
    return (v, d.target.copy()) if return_labels else v


def _prototype_matrix(protos):
    if isinstance(protos, (list, tuple)) and protos and isinstance(protos[0], str):
        rows = []
        for p in protos:
            if not p or set(p) - {"0", "1"}:
                raise ValueError(f"prototypes must be strings of 0 and 1, got {p!r}")
            rows.append([float(c) for c in p])
        if len({len(r) for r in rows}) != 1:
            raise ValueError("prototypes must all have the same length")
        return np.array(rows)
    return V.binary(protos, "prototypes", ndim=2)


def _mixture(protos, weights, flip):
    P = _prototype_matrix(protos)
    w = V.finite_array(weights, "weights", ndim=1)
    if w.shape != (P.shape[0],) or np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-12):
        raise ValueError(f"weights must be {P.shape[0]} non-negative numbers summing to 1, got {w}")
    flip = V.real(flip, "flip", low=0.0, high=1.0)
    return P, w, flip


def prototypes(n=2000, *, protos=PROTOTYPES_9_7, weights=(0.8, 0.2), flip=0.05, seed=100):
    """``n`` draws: a prototype chosen with probability ``weights``, each bit flipped with probability ``flip``.

    Draw order from ``numpy.random.default_rng(seed)``: the n prototype indices, then an
    (n, n_v) array of uniforms for the flips. Returns a float array (n, n_v) of 0/1.

    Parameters
    ----------
    n : int >= 1, number of draws (default 2000)
    protos : sequence of K equal-length strings of 0 and 1, or a 0/1 array (K, n_v)
        (default :data:`PROTOTYPES_9_7`)
    weights : K floats >= 0 summing to 1 (default (0.8, 0.2))
    flip : float in [0, 1], the flip probability (default 0.05)
    seed : int >= 0 (default 100)

    Returns
    -------
    (n, n_v) float ndarray of 0/1
    """
    P, w, flip = _mixture(protos, weights, flip)
    n = V.integer(n, "n", low=1)
    rng = np.random.default_rng(V.seed(seed))
    idx = rng.choice(P.shape[0], size=n, p=w)
    flips = rng.random((n, P.shape[1])) < flip
    return np.abs(P[idx] - flips).astype(float)


def prototypes_law(states, *, protos=PROTOTYPES_9_7, weights=(0.8, 0.2), flip=0.05):
    r"""Exact probability of each row of ``states`` under the prototype mixture:
    :math:`p(v)=\sum_kw_kf^{d_k(v)}(1-f)^{n_v-d_k(v)}`, :math:`d_k` the Hamming distance to prototype k.

    Parameters
    ----------
    states : array (n, n_v) of 0/1
    protos : sequence of K equal-length strings of 0 and 1, or a 0/1 array (K, n_v)
        (default :data:`PROTOTYPES_9_7`)
    weights : K floats >= 0 summing to 1 (default (0.8, 0.2))
    flip : float in [0, 1], the flip probability (default 0.05)

    Returns
    -------
    (n,) ndarray of probabilities
    """
    P, w, flip = _mixture(protos, weights, flip)
    S = V.binary(states, "states", ndim=2, n_cols=P.shape[1])
    dist = np.abs(S[:, None, :] - P[None, :, :]).sum(axis=2)
    n_v = P.shape[1]
    with np.errstate(divide="ignore"):
        return (w[None, :] * flip**dist * (1.0 - flip) ** (n_v - dist)).sum(axis=1)


def mixture_2d(n=2000, *, n_modes=4, radius=2.0, sd=0.3, seed=0):
    r"""``n`` draws of an equal-weight mixture of ``n_modes`` isotropic Gaussians in the plane, centres
    on a circle: :math:`\mu_m=r(\cos2\pi m/M,\sin2\pi m/M)`, covariance :math:`\sigma^2I`.

    Draw order from ``numpy.random.default_rng(seed)``: the n mode indices, then (n, 2) normals.
    Returns a float array (n, 2).

    Parameters
    ----------
    n : int >= 1, number of draws (default 2000)
    n_modes : int >= 1, the number M of modes (default 4)
    radius : float >= 0, the radius r of the circle of centres (default 2)
    sd : float > 0, the standard deviation :math:`\sigma` of each mode (default 0.3)
    seed : int >= 0 (default 0)

    Returns
    -------
    (n, 2) float ndarray
    """
    n = V.integer(n, "n", low=1)
    n_modes = V.integer(n_modes, "n_modes", low=1)
    radius = V.real(radius, "radius", low=0.0)
    sd = V.positive(sd, "sd")
    rng = np.random.default_rng(V.seed(seed))
    m = rng.integers(0, n_modes, size=n)
    ang = 2.0 * np.pi * m / n_modes
    centres = radius * np.column_stack([np.cos(ang), np.sin(ang)])
    return centres + sd * rng.standard_normal((n, 2))
