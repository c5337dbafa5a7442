"""The blocked Langevin kernels (solvable/kernels/langevin.py): exact arithmetic, blocks, MALA law."""
from fractions import Fraction

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvable.kernels import langevin as L
from solvable.kernels._rng import chain_states
from tests.strategies import Z, zscores


def exact_fma(a, b, c):
    """a * b + c rounded once: exact rational arithmetic, then one correctly rounded conversion."""
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def naive_gradient(J, h, x):
    """J x - h as the plain dot product j = 0, 1, ..., d-1 with fused multiply-adds, in Python
    (an independent route: Fractions for each fused step)."""
    d = len(x)
    out = []
    for i in range(d):
        acc = 0.0
        for j in range(d):
            acc = exact_fma(float(J[i, j]), float(x[j]), acc)
        out.append(acc - float(h[i]))
    return np.array(out)


def test_fma_rounds_once():
    from solvable.kernels import _jit

    @numba.njit
    def f(a, b, c):
        return _jit.fma(a, b, c)

    assert f(0.1, 10.0, -1.0) == exact_fma(0.1, 10.0, -1.0) == 2.0**-54  # one rounding, not two
    assert 0.1 * 10.0 - 1.0 == 0.0  # control: two roundings lose it
    rng = np.random.default_rng(5)
    for a, b, c in rng.standard_normal((200, 3)):
        assert f(a, b, c) == exact_fma(a, b, c)


def test_mala_log_ratio_is_the_textbook_formula():
    """The kernel's MH log-ratio (eta/4)(|g^x|^2 - |g^y|^2) against log pi(y) q(y->x) - log pi(x) q(x->y)
    from the energy and the two Gaussian proposal densities (1e-12 relative), and a control: the
    ratio without the proposal terms (a random-walk ratio) is not it."""
    rng = np.random.default_rng(6)
    for d in (1, 3, 17, 64):
        A = rng.standard_normal((d, d))
        J = A @ A.T / d + np.eye(d)
        h = rng.standard_normal(d)
        x, y = rng.standard_normal(d), rng.standard_normal(d)
        gx, gy = J @ x - h, J @ y - h
        E = lambda z: 0.5 * z @ J @ z - h @ z  # noqa: E731
        for step in (0.01, 0.3):
            logq = lambda a, ga, b: -np.sum((b - a + step * ga) ** 2) / (4 * step)  # noqa: E731
            want = (E(x) - E(y)) + logq(y, gy, x) - logq(x, gx, y)
            la = L.mala_log_accept(L.squared_norm(gx), L.squared_norm(gy), step)
            assert abs(la - want) <= 1e-12 * (1 + abs(want) + step * (gx @ gx + gy @ gy))
            assert abs((E(x) - E(y)) - want) > 1e-3  # control
    g = rng.standard_normal(37)
    assert L.squared_norm(g) == pytest.approx(g @ g, rel=1e-14)


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 19), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_blocked_gradients_equal_the_plain_dot_product_bit_for_bit(d, m, seed):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((d, d))
    J = A + A.T  # exactly symmetric
    h = rng.standard_normal(d)
    X = rng.standard_normal((m, d))
    G = np.empty((m, d))
    L.gradients(J, h, X, G)
    for c in range(m):
        assert np.array_equal(G[c], naive_gradient(J, h, X[c]))


@pytest.mark.parametrize("d", [L.PAIR_MIN_D, L.PAIR_MIN_D + 5])
@pytest.mark.parametrize("m", [1, 2, 5])
def test_paired_chain_gradients_equal_the_plain_dot_product_bit_for_bit(d, m):
    """d >= PAIR_MIN_D: two chains per pass over J (and an odd chain left over), same bits."""
    rng = np.random.default_rng(d + m)
    A = rng.standard_normal((d, d))
    J = A + A.T
    h = rng.standard_normal(d)
    X = rng.standard_normal((m, d))
    G = np.empty((m, d))
    L.gradients(J, h, X, G)
    for c in range(m):
        assert np.array_equal(G[c], naive_gradient(J, h, X[c]))


def _run(J, h, X, k, step, mala, states):
    X = X.copy()
    n = X.shape[0]
    div, acc = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    L.run_chains(J, h, X, k, step, mala, states.copy(), div, acc)
    return X, div, acc


@pytest.mark.parametrize("mala", [False, True])
def test_a_chain_gives_the_same_bits_in_any_block_and_on_any_number_of_threads(mala):
    d, n = 11, 70
    rng = np.random.default_rng(1)
    A = rng.standard_normal((d, d))
    J = A @ A.T / d + np.eye(d)
    J = 0.5 * (J + J.T)
    h = rng.standard_normal(d)
    X0 = rng.standard_normal((n, d))
    states = chain_states(3, n)
    full, _, acc_full = _run(J, h, X0, 15, 0.05, mala, states)
    # the same chains run in other groupings (block sizes differ with the number of chains)
    for lo, hi in ((0, 1), (5, 22), (22, 70)):
        part, _, acc = _run(J, h, X0[lo:hi], 15, 0.05, mala, states[lo:hi])
        assert np.array_equal(part, full[lo:hi]) and np.array_equal(acc, acc_full[lo:hi])
    nt = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, _, _ = _run(J, h, X0, 15, 0.05, mala, states)
    finally:
        numba.set_num_threads(nt)
    assert np.array_equal(one, full)
    assert not np.array_equal(full, X0)  # the chains moved


@pytest.mark.parametrize("mala", [False, True])
def test_chains_reach_their_stationary_law(mala):
    """MALA: the target N(J^-1 h, J^-1); ULA: its own Gaussian (theory.md 3.1)."""
    J = np.array([[1.0, 0.3], [0.3, 1.5]])
    h = np.array([0.2, -0.1])
    eta, n = 0.2, 20_000
    X, div, acc = _run(J, h, np.zeros((n, 2)), 150, eta, mala, chain_states(0, n))
    assert not div.any()
    if mala:
        mean, cov = np.linalg.solve(J, h), np.linalg.inv(J)
        assert 0.5 < acc.mean() / 150 < 1.0
    else:  # ULA: mean J^-1 h, covariance (J (I - eta J / 2))^-1
        mean, cov = np.linalg.solve(J, h), np.linalg.inv(J @ (np.eye(2) - 0.5 * eta * J))
        assert not acc.any()
    f = np.hstack([X, X[:, [0]] ** 2, X[:, [0]] * X[:, [1]], X[:, [1]] ** 2])
    second = cov + np.outer(mean, mean)
    truth = np.array([mean[0], mean[1], second[0, 0], second[0, 1], second[1, 1]])
    z = zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(n), truth)
    assert np.max(np.abs(z)) < Z
    # negative control: the other sampler's law is rejected (ULA's covariance is inflated)
    other = (np.linalg.inv(J) if not mala else np.linalg.inv(J @ (np.eye(2) - 0.5 * eta * J)))
    second_o = other + np.outer(mean, mean)
    truth_o = np.array([mean[0], mean[1], second_o[0, 0], second_o[0, 1], second_o[1, 1]])
    assert np.max(np.abs(zscores(f.mean(0), f.std(0, ddof=1) / np.sqrt(n), truth_o))) > Z


def test_ula_divergence_is_flagged_at_the_step_it_happens_and_the_chain_stops():
    J, h = np.array([[30.0]]), np.array([0.0])  # eta * j = 3 > 2: |x| grows 2x per step
    X0 = np.ones((3, 1))
    _, div, _ = _run(J, h, X0, 10_000, 0.1, False, chain_states(0, 3))
    assert np.all(div > 0)
    t = int(div[0])
    Xb, db, _ = _run(J, h, X0[:1], t - 1, 0.1, False, chain_states(0, 3)[:1])
    assert db[0] == 0 and np.all(np.abs(Xb) < L.OVERFLOW)
    Xa, da, _ = _run(J, h, X0[:1], t + 50, 0.1, False, chain_states(0, 3)[:1])
    assert da[0] == t and not np.all(np.abs(Xa) < L.OVERFLOW)


def test_mala_rejects_instead_of_diverging():
    J, h = np.array([[30.0]]), np.array([0.0])
    X, div, acc = _run(J, h, np.ones((4, 1)), 200, 0.1, True, chain_states(0, 4))
    assert not div.any() and np.all(np.isfinite(X)) and acc.sum() < 4 * 200
