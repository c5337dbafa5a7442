"""Hypothesis strategies shared by the tests."""
import numpy as np
from hypothesis import strategies as st


def orthogonal(d, seed):
    """A random orthogonal matrix: QR of a Gaussian matrix with the sign of R's diagonal fixed."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


@st.composite
def spd_matrices(draw, d=None, low=0.1, high=5.0, max_d=4):
    """(matrix, spectrum): a symmetric positive definite matrix U diag(spectrum) U^T."""
    if d is None:
        d = draw(st.integers(1, max_d))
    spectrum = np.array(draw(st.lists(st.floats(low, high), min_size=d, max_size=d)))
    U = orthogonal(d, draw(st.integers(0, 2**32 - 1)))
    M = (U * spectrum) @ U.T
    return 0.5 * (M + M.T), spectrum


@st.composite
def symmetric_matrices(draw, d, low=-2.0, high=5.0):
    """A symmetric matrix with spectrum in [low, high] (possibly indefinite)."""
    spectrum = np.array(draw(st.lists(st.floats(low, high), min_size=d, max_size=d)))
    U = orthogonal(d, draw(st.integers(0, 2**32 - 1)))
    M = (U * spectrum) @ U.T
    return 0.5 * (M + M.T)


def vectors(d, bound=2.0):
    return st.lists(st.floats(-bound, bound), min_size=d, max_size=d).map(np.array)


#: z-score tolerance of every Monte Carlo comparison (theory.md section 8: z = 5 suite-wide)
Z = 5.0


def zscores(estimate, se, truth):
    """(estimate - truth) / se, elementwise; se must be positive."""
    se = np.asarray(se, dtype=float)
    assert np.all(se > 0), "standard errors must be positive"
    return (np.asarray(estimate, dtype=float) - np.asarray(truth, dtype=float)) / se
