"""Bernoulli-Bernoulli RBM (theory.md section 7; Jarzynski rules 6.2 and the 9.7 examples).

Independent routes: brute-force enumeration of the joint (v, h) law; the exact visible
chain as a Markov matrix; numpy-drawn exact samples.
"""
import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logsumexp

from solvable import datasets, rbm, rbm_exact
from solvable import jarzynski as JZ
from solvable.errors import DivergenceError, EnumerationTooLargeError
from solvable.kernels import rbm as K
from solvable.kernels._rng import chain_states

from solvable.testing import Z_MAX as Z  # noqa: E402


def random_rbm(nv, nh, seed, w=1.0, bias=0.5):
    rng = np.random.default_rng(seed)
    return rng.normal(0, w, (nv, nh)), rng.normal(0, bias, nv), rng.normal(0, bias, nh)


def joint_log_weights(W, a, b):
    """-E(v, h) on the full (2^nv, 2^nh) grid: the brute-force route."""
    Sv, Sh = rbm.all_states(W.shape[0]), rbm.all_states(W.shape[1])
    return Sv, Sh, (Sv @ a)[:, None] + (Sh @ b)[None, :] + Sv @ W @ Sh.T


def exact_visible_samples(W, a, b, n, seed):
    S, p = rbm.visible_law(W, a, b)
    return S[np.random.default_rng(seed).choice(len(p), size=n, p=p)]


# ----------------------------------------------------------------------------- exact laws
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (5, 3), (4, 4), (7, 2), (2, 9)])
def test_log_partition_exact_vs_both_layers_brute_force(shape):
    W, a, b = random_rbm(*shape, seed=sum(shape), w=1.5)
    _, _, lw = joint_log_weights(W, a, b)
    ref = logsumexp(lw)
    assert rbm.log_partition_exact(W, a, b) == pytest.approx(ref, rel=1e-10, abs=1e-10)
    # the same RBM with the layers swapped enumerates the other layer
    assert rbm.log_partition_exact(W.T, b, a) == pytest.approx(ref, rel=1e-10, abs=1e-10)


@settings(deadline=None, max_examples=30)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 10**6), st.floats(0.1, 5.0))
def test_free_energies_are_marginals_of_the_joint(nv, nh, seed, scale):
    W, a, b = random_rbm(nv, nh, seed, w=scale, bias=scale)
    Sv, Sh, lw = joint_log_weights(W, a, b)
    np.testing.assert_allclose(-rbm.free_energy(Sv, W, a, b), logsumexp(lw, axis=1), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(-rbm.free_energy_hidden(Sh, W, a, b), logsumexp(lw, axis=0), rtol=1e-10, atol=1e-10)


def test_free_energy_stable_for_huge_weights():
    W = np.array([[1e3, -1e3], [-2e3, 5e2]])
    v = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    f = rbm.free_energy(v, W, [0.0, 0.0], [0.0, 0.0])
    np.testing.assert_allclose(f, [-1e3, -5e2, -0.0 - np.logaddexp(0, -1e3) - 0.0 - np.logaddexp(0, -5e2)],
                               rtol=1e-12, atol=1e-12)
    assert np.isfinite(rbm.log_partition_exact(W, [0, 0], [0, 0]))
    assert isinstance(rbm.free_energy(v[0], W, [0, 0], [0, 0]), float)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3)])
def test_exact_stats_vs_brute_force(shape):
    W, a, b = random_rbm(*shape, seed=7)
    Sv, Sh, lw = joint_log_weights(W, a, b)
    P = np.exp(lw - logsumexp(lw))
    s = rbm.exact_stats(W, a, b)
    np.testing.assert_allclose(s["W"], Sv.T @ P @ Sh, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s["a"], P.sum(1) @ Sv, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s["b"], P.sum(0) @ Sh, rtol=1e-10, atol=1e-12)


def test_enumeration_limits_are_named():
    W = np.zeros((30, 26))
    with pytest.raises(EnumerationTooLargeError, match=r"min\(n_visible=30, n_hidden=26\) = 26 units > limit 25"):
        rbm.log_partition_exact(W, np.zeros(30), np.zeros(26))
    with pytest.raises(ValueError, match="GB"):  # EnumerationTooLargeError is a ValueError
        rbm.log_partition_exact(W, np.zeros(30), np.zeros(26))
    with pytest.raises(EnumerationTooLargeError, match="limit 3"):
        rbm.log_partition_exact(np.zeros((5, 4)), np.zeros(5), np.zeros(4), max_units=3)
    with pytest.raises(EnumerationTooLargeError, match="exact_stats"):
        rbm.exact_stats(W, np.zeros(30), np.zeros(26))
    with pytest.raises(EnumerationTooLargeError, match="visible"):
        rbm.visible_law(np.zeros((21, 2)), np.zeros(21), np.zeros(2))
    data = np.zeros((4, 30))
    with pytest.raises(EnumerationTooLargeError, match="scheme='exact'"):
        rbm.train(data, scheme="exact", n_hidden=26, lr=0.1, n_epochs=1, batch_size=4, log_likelihood="none")
    with pytest.raises(EnumerationTooLargeError, match="log_likelihood='exact'"):
        rbm.train(data, scheme="cd", n_hidden=26, lr=0.1, n_epochs=1, batch_size=4, log_likelihood="exact")
    # just under the limit works (2^25 states in chunks), checked on a cheap case: 2^20 states
    W = np.zeros((20, 40))
    assert rbm.log_partition_exact(W, np.zeros(20), np.zeros(40)) == pytest.approx(60 * np.log(2), rel=1e-12)


def test_ais_within_its_standard_error_of_exact():
    """theory.md 9.7: n_v = 8, n_h = 5, 200 temperatures (9.7 used N_w = 2e4; here 2000)."""
    W, a, b = random_rbm(8, 5, seed=0)
    exact = rbm.log_partition_exact(W, a, b)
    est, se = rbm.ais_log_partition(W, a, b, n_chains=2000, n_betas=200, seed=1)
    print(f"\nAIS {est:.4f} +- {se:.4f} vs exact {exact:.4f} (z = {(est - exact) / se:.2f})")
    assert 0 < se < 0.01
    assert abs(est - exact) / se < Z
    # the same seed gives the same bits
    assert rbm.ais_log_partition(W, a, b, n_chains=2000, n_betas=200, seed=1) == (est, se)


# ----------------------------------------------------------------------------- block Gibbs
@pytest.mark.parametrize("backend", rbm.BACKENDS)
def test_block_gibbs_matches_the_exact_conditional_laws(backend):
    """One sweep from a fixed v0: h ~ prod Bern(sigma(b + W^T v0)); then, given h, v ~ prod Bern(sigma(a + W h))."""
    W, a, b = random_rbm(6, 3, seed=2)
    n = 40_000
    v0 = np.array([1, 0, 1, 1, 0, 1], dtype=float)
    g = rbm._Gibbs(n, 6, 3, 5, 0, backend)
    X = np.tile(v0, (n, 1))
    g.sweep(X, W, a, b, 1)
    H = g.H
    ph = expit(b + v0 @ W)
    zh = (H.mean(0) - ph) / np.sqrt(ph * (1 - ph) / n)
    assert np.max(np.abs(zh)) < Z, zh
    zmax = 0.0
    for code in range(8):  # every hidden pattern: v | h is a product of Bernoulli(sigma(a + W h))
        sel = (H @ (2 ** np.arange(3))) == code
        m = int(sel.sum())
        if m < 50:
            continue
        pv = expit(a + W @ rbm.all_states(3)[code])
        zmax = max(zmax, np.max(np.abs((X[sel].mean(0) - pv) / np.sqrt(pv * (1 - pv) / m))))
    assert zmax < Z
    # negative control: using the pre-sweep v0 as the v-law fails by far
    pv_wrong = np.clip(v0, 0.01, 0.99)
    assert np.max(np.abs((X.mean(0) - pv_wrong) / np.sqrt(pv_wrong * (1 - pv_wrong) / n))) > 10 * Z


def test_stationarity_from_exact_samples_and_law_vs_exact_chain():
    """Start at exact samples of p(v): 3 sweeps leave every moment within z SE (no drift);
    from the uniform law, the moments at t = 0..4 match the exact visible chain."""
    W, a, b = random_rbm(6, 3, seed=3, w=1.5)
    n = 40_000
    X = exact_visible_samples(W, a, b, n, seed=4)
    Xt = rbm.sample(W, a, b, 3, n, v0=X, seed=6)
    S, p = rbm.visible_law(W, a, b)
    eq = p @ rbm.features(S, W, b)
    f = rbm.features(Xt, W, b)
    z = (f.mean(0) - eq) / (f.std(0, ddof=1) / np.sqrt(n))
    assert np.max(np.abs(z)) < Z
    # negative control: the equilibrium of a different model is far away
    W2 = W + 0.5
    S2, p2 = rbm.visible_law(W2, a, b)
    assert np.max(np.abs((f.mean(0) - p2 @ rbm.features(S2, W2, b)) / (f.std(0, ddof=1) / np.sqrt(n)))) > 10 * Z
    cmp = rbm.compare(X[:100], W, a, b, 2, times=[0, 1, 2, 4], n_chains=n, seed=7)
    assert np.max(np.abs(cmp.z_exact)) < Z
    assert cmp.exact.shape == cmp.sampled.shape and cmp.equilibrium is not None


def test_backends_agree_bit_for_bit_on_exact_arithmetic():
    """Dyadic weights make every pre-activation exact: numba and BLAS backends then give identical bits."""
    rng = np.random.default_rng(8)
    W = rng.integers(-8, 9, (12, 7)) / 8.0
    a = rng.integers(-8, 9, 12) / 8.0
    b = rng.integers(-8, 9, 7) / 8.0
    xs = [rbm.sample(W, a, b, 5, 3000, seed=9, backend=be) for be in rbm.BACKENDS]
    np.testing.assert_array_equal(xs[0], xs[1])
    W, a, b = random_rbm(12, 7, seed=10)
    xs = [rbm.sample(W, a, b, 5, 3000, seed=9, backend=be) for be in rbm.BACKENDS]
    assert np.mean(xs[0] == xs[1]) > 0.999


def test_auto_backend_is_blas_for_large_layers_only():
    assert rbm_exact.check_backend("auto", 784, 128) == "blas"
    assert rbm_exact.check_backend("auto", 64, 64) == "numba"
    assert rbm_exact.check_backend("auto", 128, rbm.AUTO_BLAS_WEIGHTS // 128) == "blas"
    assert rbm_exact.check_backend("auto", 128, rbm.AUTO_BLAS_WEIGHTS // 128 - 1) == "numba"
    assert rbm_exact.check_backend("numba", 784, 128) == "numba"
    with pytest.raises(ValueError, match="backend"):
        rbm_exact.check_backend("gpu", 4, 4)


def test_serial_and_parallel_kernels_give_the_same_bits():
    W, a, b = random_rbm(9, 5, seed=13)
    Wt = np.ascontiguousarray(W.T)
    out = []
    for kern in (K.gibbs_fused, K.gibbs_fused_serial):
        st = chain_states(14, 300)
        X = (np.random.default_rng(15).random((300, 9)) < 0.5).astype(float)
        H = np.empty((300, 5))
        kern(X, H, W, Wt, a, b, 3, st)
        out.append((X, H, st))
    for x, y in zip(*out):
        np.testing.assert_array_equal(x, y)
    P = np.random.default_rng(16).normal(size=(200, 7))
    Q = P.copy()
    s1, s2 = chain_states(17, 200), chain_states(17, 200)
    K.bernoulli_inplace(P, s1)
    K.bernoulli_inplace_serial(Q, s2)
    np.testing.assert_array_equal(P, Q)


def test_same_seed_same_bits_whatever_the_threads():
    W, a, b = random_rbm(10, 6, seed=11)
    data = datasets.prototypes(200, seed=1)
    old = numba.get_num_threads()
    out = []
    try:
        for nt in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(nt)
            s = [rbm.sample(W, a, b, 4, n, seed=12, backend=be) for be in rbm.BACKENDS for n in (50, 30000)]
            r = rbm.train(data, scheme="pcd", k=2, n_hidden=4, lr=0.1, n_epochs=3, batch_size=50, seed=3,
                          progress=False, log_likelihood="none")
            rj = rbm.train(data, scheme="jarzynski", k=1, n_hidden=4, lr=0.1, n_epochs=3, batch_size=50, seed=3,
                           progress=False, log_likelihood="none")
            out.append((s, r.W, rj.W, rj.history["log_z"]))
    finally:
        numba.set_num_threads(old)
    for x, y in zip(out[0][0], out[1][0]):
        np.testing.assert_array_equal(x, y)
    for i in (1, 2, 3):
        np.testing.assert_array_equal(out[0][i], out[1][i])


# ----------------------------------------------------------------------------- Jarzynski with RBM Gibbs
def _path_rbm(n_steps=50):
    """theory.md 9.7 'RBM Gibbs rules': n_v = 6, n_h = 3, linear path theta_A (W scale 1) -> theta_B (W scale 3)."""
    WA, aA, bA = random_rbm(6, 3, seed=20, w=1.0, bias=0.5)
    WB, aB, bB = random_rbm(6, 3, seed=21, w=3.0, bias=0.5)
    return [{"W": (1 - t) * WA + t * WB, "a": (1 - t) * aA + t * aB, "b": (1 - t) * bA + t * bB}
            for t in np.linspace(0, 1, n_steps + 1)]


@pytest.mark.parametrize("rule,biased", [("move-reweight", False), ("reweight-move", False),
                                         ("biased-new-kernel", True)])
def test_jarzynski_rbm_gibbs_orderings(rule, biased):
    path = _path_rbm()
    n = 20_000
    p0, p1 = path[0], path[-1]
    x0 = exact_visible_samples(p0["W"], p0["a"], p0["b"], n, seed=22)
    g = rbm._Gibbs(n, 6, 3, 23, 0, "numba")
    res = JZ.anneal(path, x0, energy=lambda p, x: rbm.free_energy(x, p["W"], p["a"], p["b"]),
                    move=lambda p, x, s: g.sweep(x.copy(), p["W"], p["a"], p["b"], 1), rule=rule, seed=24)
    d_exact = rbm.log_partition_exact(p1["W"], p1["a"], p1["b"]) - rbm.log_partition_exact(p0["W"], p0["a"], p0["b"])
    z_lz = (res.log_z[-1] - d_exact) / res.log_z_stderr
    S, p = rbm.visible_law(p1["W"], p1["a"], p1["b"])
    m, se = JZ.weighted_mean_se(res.x, res.log_w)
    z_m = np.max(np.abs((m - p @ S) / se))
    print(f"\n{rule}: dlogZ {res.log_z[-1]:.4f} +- {res.log_z_stderr:.4f} (exact {d_exact:.4f}, z = {z_lz:.1f}), "
          f"max |z| of E[v] {z_m:.1f}, ESS/N {res.ess[-1] / n:.2f}")
    if biased:
        assert abs(z_lz) > 10
    else:
        assert abs(z_lz) < Z and z_m < Z


# ----------------------------------------------------------------------------- validation and errors
def test_input_errors():
    W, a, b = random_rbm(4, 3, seed=0)
    good = np.zeros((5, 4))
    with pytest.raises(ValueError, match=r"only 0 and 1"):
        rbm.train(good + 0.5, scheme="cd", n_hidden=3, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="ndim"):
        rbm.train(np.zeros(4), scheme="cd", n_hidden=3, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="at least 2 rows"):
        rbm.train(np.zeros((1, 4)), scheme="cd", n_hidden=3, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="4 columns"):
        rbm.free_energy(np.zeros((2, 5)), W, a, b)
    with pytest.raises(ValueError, match="NaN"):
        rbm.free_energy(good, W * np.nan, a, b)
    with pytest.raises(ValueError, match="hidden bias"):
        rbm.log_partition_exact(W, a, np.zeros(4))
    with pytest.raises(ValueError, match="scheme"):
        rbm.train(good, scheme="sgd", n_hidden=3, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="p0"):
        rbm.train(good, scheme="short-run", p0="gaussian", n_hidden=3, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="p0"):
        rbm.train(good, scheme="short-run", p0=[2.0, 0, 0, 0], n_hidden=3, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="engine='exact'"):
        rbm.train(good, scheme="jarzynski", engine="exact", n_hidden=3, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="n_hidden"):
        rbm.train(good, scheme="cd", n_hidden=0, lr=0.1, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="lr"):
        rbm.train(good, scheme="cd", n_hidden=3, lr=-1.0, n_epochs=1, batch_size=5)
    with pytest.raises(ValueError, match="backend"):
        rbm.sample(W, a, b, 1, 3, backend="gpu")
    with pytest.raises(ValueError, match="v0"):
        rbm.sample(W, a, b, 1, 3, v0=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="threshold"):
        datasets.digits(threshold=2.0)
    with pytest.raises(ValueError, match="prototypes"):
        datasets.prototypes(10, protos=("0102",), weights=(1.0,))
    with pytest.raises(ValueError, match="weights"):
        datasets.prototypes(10, weights=(0.5, 0.6))


def test_divergence_is_reported_not_nan():
    data = datasets.prototypes(100, seed=2)
    with pytest.raises(DivergenceError, match="non-finite"):
        rbm.train(data, scheme="cd", n_hidden=3, lr=1e308, n_epochs=20, batch_size=100, progress=False)
    with pytest.raises(DivergenceError, match="NaN or inf"):
        rbm._check_finite_params(np.array([[np.nan]]), np.zeros(1), np.zeros(1), "test")


# ----------------------------------------------------------------------------- data sets
def test_datasets():
    v, y = datasets.digits(return_labels=True)
    assert v.shape == (1797, 64) and set(np.unique(v)) == {0.0, 1.0} and y.shape == (1797,)
    assert 0.2 < v.mean() < 0.6
    S = rbm.all_states(10)
    p = datasets.prototypes_law(S)
    assert p.sum() == pytest.approx(1.0, rel=1e-12)
    x = datasets.prototypes(20_000, seed=3)
    freq = np.bincount(rbm_exact.state_index(x), minlength=1024) / x.shape[0]
    top = np.argsort(p)[-20:]  # the 20 most likely states: empirical frequencies vs the exact law
    z = (freq[top] - p[top]) / np.sqrt(p[top] * (1 - p[top]) / x.shape[0])
    assert np.max(np.abs(z)) < Z
    np.testing.assert_array_equal(datasets.prototypes(50, seed=4), datasets.prototypes(50, seed=4))


# ----------------------------------------------------------------------------- training
@pytest.mark.parametrize("scheme", rbm.SCHEMES)
def test_train_schemes_improve_the_likelihood(scheme):
    data = datasets.prototypes(500, seed=5)
    r = rbm.train(data, scheme=scheme, k=1, n_hidden=4, lr=0.1, n_epochs=30, batch_size=100, n_chains=200,
                  seed=1, progress=False, p0="data-marginals")
    h = r.history
    assert r.W.shape == (10, 4) and h["params"]["W"].shape == (30 * 5 + 1, 10, 4)
    assert h["eval_epochs"].tolist() == list(range(31)) and h["log_likelihood_method"] == "exact"
    assert np.all(h["kl"] >= -1e-12) and h["time_per_epoch"] > 0
    if scheme != "short-run":  # short-run models are generators at t = k, not good equilibrium models
        assert h["log_likelihood"][-1] > h["log_likelihood"][0] + 0.5
    if scheme == "jarzynski":
        assert h["ess"].shape == (151,) and h["log_z"].shape == (151,)


def test_log_likelihood_ais_route_in_history():
    data = datasets.prototypes(200, seed=6)
    r = rbm.train(data, scheme="pcd", k=1, n_hidden=3, lr=0.1, n_epochs=4, batch_size=100, seed=1,
                  progress=False, log_likelihood="ais", ais_chains=500, ais_betas=100)
    h = r.history
    assert h["eval_epochs"].tolist() == [0, 4] and h["log_likelihood_method"] == "ais"
    exact, _ = rbm.log_likelihood(data, r.W, r.a, r.b, method="exact")
    assert abs(h["log_likelihood"][-1] - exact) / h["log_likelihood_se"][-1] < Z


def test_jarzynski_rbm_log_z_tracks_exact():
    """The running log Z of the training walkers vs exact at the end (feedback bias O(lr * n_iter / N))."""
    data = datasets.prototypes(500, seed=7)
    r = rbm.train(data, scheme="jarzynski", k=1, n_hidden=4, lr=0.05, n_epochs=100, batch_size=500,
                  n_chains=2000, seed=2, progress=False)
    exact = rbm.log_partition_exact(r.W, r.a, r.b)
    est, se = r.history["log_z"][-1], r.history["log_z_se"][-1]
    print(f"\nRBM Jarzynski training: log Z {est:.4f} +- {se:.4f} vs exact {exact:.4f} (z = {(est - exact) / se:.2f})")
    assert abs(est - exact) / se < Z


def test_short_run_exact_engine_matches_data_at_k_only():
    """Rdm-k with the exact law (engine='exact'): at the fixed point the law at t = k has the data's
    <v>, <h>, <vh> (theory.md 2.2, G1); fresh chains confirm it within z SE at t = k, not at long times."""
    data = datasets.prototypes(2000, seed=100)
    k = 3
    r = rbm.train(data, scheme="short-run", engine="exact", k=k, n_hidden=4, lr=1.0, n_epochs=1000,
                  batch_size=2000, seed=0, progress=False, p0="uniform", init_scale=0.1, log_likelihood="none")
    err = r.history["error"]
    cmp = rbm.compare(data, r.W, r.a, r.b, k, times=[0, 1, k, 2 * k, 200], n_chains=20_000, seed=1)
    print(f"\nshort-run exact engine: max |<phi>_D - <phi>_k| = {err[-1]:.2e} after 1000 updates; "
          f"smallest MC SE at t = k: {cmp.se[2].min():.2e}")
    assert err[-1] < 0.5 * cmp.se[2].min()  # the training residual shifts no z-score by more than 0.5
    assert np.max(np.abs(cmp.z_exact)) < Z  # chains vs the exact law at every time
    nv, nh = 10, 4
    suff = slice(0, nv + nv * nh)  # <v> and <v h>; <v v> is not an RBM statistic
    zk = np.max(np.abs(cmp.z_data[2, suff]))
    z_long = np.max(np.abs(cmp.z_data[-1, suff]))
    print(cmp.table())
    print(f"max|z| of <v>,<vh> vs data: t=k {zk:.2f}, t=200 {z_long:.1f}; "
          f"<vv> at t=k max|z| {np.max(np.abs(cmp.z_data[2, nv + nv * nh:])):.1f}")
    assert zk < Z
    assert z_long > 10 * Z and cmp.equilibrium_error() > 10 * cmp.error_data()[2]


def test_compare_with_sklearn_structure():
    data = datasets.prototypes(200, seed=8)
    out = rbm.compare_with_sklearn(data, n_hidden=3, lr=0.05, n_epochs=2, batch_size=20, seed=0)
    for name in ("ours", "sklearn"):
        assert set(out[name]) == {"log_likelihood", "log_likelihood_se", "time_per_epoch", "params"}
        assert out[name]["params"]["W"].shape == (10, 3) and out[name]["log_likelihood_se"] == 0.0
        assert np.isfinite(out[name]["log_likelihood"]) and out[name]["time_per_epoch"] > 0


# ----------------------------------------------------------------------------- slow comparisons
@pytest.mark.slow
def test_kl_ranking_small_rbm_recipe_9_7():
    """KL(data || model): Jarzynski ~ exact gradient < PCD < CD-10 < CD-1 (theory.md 9.7, J6), 3 seeds."""
    data = datasets.prototypes(2000, seed=100)
    kl = {}
    for name, scheme, k in [("exact", "exact", 1), ("jarzynski", "jarzynski", 1), ("pcd", "pcd", 1),
                            ("cd-10", "cd", 10), ("cd-1", "cd", 1)]:
        vals = []
        for seed in range(3):
            r = rbm.train(data, scheme=scheme, k=k, n_hidden=4, lr=0.05, n_epochs=3000, batch_size=2000,
                          n_chains=1000, seed=seed, progress=False, eval_every=3000)
            vals.append(r.history["kl"][-1])
        kl[name] = np.array(vals)
        print(f"\n{name:10s} KL = {kl[name].mean():.4f} +- {kl[name].std(ddof=1):.4f} (SD over 3 seeds) {vals}")
    m = {k_: v.mean() for k_, v in kl.items()}
    se = {k_: v.std(ddof=1) / np.sqrt(v.size) for k_, v in kl.items()}
    order = ["exact", "jarzynski", "pcd", "cd-10", "cd-1"]
    for lo, hi in zip(order[1:-1], order[2:]):
        print(f"gap {hi} - {lo}: {m[hi] - m[lo]:.4f}, z = {(m[hi] - m[lo]) / np.hypot(se[hi], se[lo]):.1f}")
    assert m["jarzynski"] < m["pcd"] < m["cd-10"] < m["cd-1"]
    assert abs(m["jarzynski"] - m["exact"]) < Z * np.hypot(se["jarzynski"], se["exact"])
    assert (m["cd-1"] - m["cd-10"]) > Z * np.hypot(se["cd-1"], se["cd-10"])


@pytest.mark.slow
def test_sklearn_side_by_side_on_digits():
    data = datasets.digits()
    out = rbm.compare_with_sklearn(data, n_hidden=16, lr=0.05, n_epochs=10, batch_size=10, seed=0)
    for name in ("ours", "sklearn"):
        print(f"\n{name}: log-likelihood {out[name]['log_likelihood']:.3f} nats/sample, "
              f"{out[name]['time_per_epoch']:.3f} s/epoch")
        assert set(out[name]) == {"log_likelihood", "log_likelihood_se", "time_per_epoch", "params"}
        assert np.isfinite(out[name]["log_likelihood"]) and out[name]["time_per_epoch"] > 0
    ll0, _ = rbm.log_likelihood(data, np.zeros((64, 16)), np.zeros(64), np.zeros(16))
    assert out["ours"]["log_likelihood"] > ll0 and out["sklearn"]["log_likelihood"] > ll0


def test_jarzynski_start_weights_give_exact_log_z_for_a_strong_initial_model(monkeypatch):
    """Issue 13 section 4: start from W0 ~ N(0, 1) (not the tiny init_scale that hides a sign error):
    the walkers' initial log Z-hat (W = 0 samples importance-weighted to the initial model) lies
    within 5 SE of the exact log Z. Control: the start weights with the wrong sign (a planted bug,
    the increment's arguments swapped) are far outside."""
    rng = np.random.default_rng(81)
    nv, nh = 6, 4
    W0, a0, b0 = rng.normal(0, 1, (nv, nh)), rng.normal(0, 0.5, nv), rng.normal(0, 0.5, nh)
    X = (rng.random((200, nv)) < 0.5).astype(float)
    kw = dict(scheme="jarzynski", k=1, n_hidden=nh, lr=0.01, n_epochs=1, batch_size=100, n_chains=20000, seed=3,
              W0=W0, a0=a0, b0=b0, log_likelihood="none", progress=False)
    exact = rbm.log_partition_exact(W0, a0, b0)
    h = rbm.train(X, **kw).history
    z = (h["log_z"][0] - exact) / h["log_z_se"][0]
    real = rbm.JZ.invariant_increment
    with monkeypatch.context() as m:
        m.setattr(rbm.JZ, "invariant_increment", lambda x, e_old, e_new: real(x, e_new, e_old))
        hb = rbm.train(X, **kw).history
    z_bad = (hb["log_z"][0] - exact) / hb["log_z_se"][0]
    print(f"\nRBM Jarzynski start: log Z-hat {h['log_z'][0]:.4f} +- {h['log_z_se'][0]:.4f}, exact {exact:.4f}, "
          f"z = {z:.2f}, ESS {h['ess'][0]:.0f}; wrong-sign control z = {z_bad:.1f}")
    assert abs(z) < 5 and h["ess"][0] > 100
    assert abs(z_bad) > 15


# ----------------------------------------------------------------------------- PCD in scikit-learn's order
@pytest.mark.parametrize("backend", rbm.BACKENDS)
def test_sweep_from_kept_probabilities_is_the_same_chain(backend):
    """At fixed parameters, drawing h from the probabilities kept by the statistics (scikit-learn's
    order) is the same Markov chain as recomputing h | v: same visible states, same streams, bit for bit."""
    W, a, b = random_rbm(12, 7, seed=30)
    X0 = (np.random.default_rng(31).random((40, 12)) < 0.5).astype(float)
    g1 = rbm_exact.Gibbs(40, 12, 7, 3, 1, backend)
    g2 = rbm_exact.Gibbs(40, 12, 7, 3, 1, backend)
    X1, X2, P = X0.copy(), X0.copy(), np.empty((40, 7))
    s1 = rbm_exact.rb_stats(X2, W, b)
    s2 = rbm_exact.rb_stats(X2, W, b, probs_out=P)
    for name in s1:
        np.testing.assert_array_equal(s1[name], s2[name])  # keeping the probabilities changes nothing
    np.testing.assert_allclose(P, expit(X0 @ W + b), rtol=0, atol=1e-15)
    g1.sweep(X1, W, a, b, 3)
    g2.sweep_from_probs(X2, P, W, a, b, 3)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(g1.states, g2.states)
    # control: probabilities of other visible states give another chain
    g3 = rbm_exact.Gibbs(40, 12, 7, 3, 1, backend)
    X3 = X0.copy()
    g3.sweep_from_probs(X3, expit((1.0 - X0) @ W + b), W, a, b, 3)
    assert not np.array_equal(X1, X3)


def test_probabilities_kept_by_the_blas_statistics_route():
    W, a, b = random_rbm(40, 30, seed=32)
    V = (np.random.default_rng(33).random((60, 40)) < 0.5).astype(float)  # 60*40*30 > the kernel threshold
    P = np.empty((60, 30))
    s1, s2 = rbm_exact.rb_stats(V, W, b), rbm_exact.rb_stats(V, W, b, probs_out=P)
    for name in s1:
        np.testing.assert_array_equal(s1[name], s2[name])
    np.testing.assert_allclose(P, expit(V @ W + b), rtol=0, atol=1e-15)


def _sklearn_order_reference(data, W0, m, lr, n_updates, seed):
    """scikit-learn's BernoulliRBM._fit (PCD-1) written out step by step, one batch = all the data,
    drawing from the streams that ``rbm.train`` gives its chains (same uniforms, same order)."""
    n, nv = data.shape
    W, a, b = W0.copy(), np.zeros(nv), np.zeros(W0.shape[1])
    g = rbm_exact.Gibbs(max(m, n), nv, W.shape[1], seed, 1, "blas")  # Stream.RBM_TRAIN
    X = g.draw(np.full(nv, 0.5), m)
    g.sweep(X, W, a, b, 1)  # first update: no kept probabilities yet, one full sweep
    for t in range(n_updates):
        if t > 0:
            # h_samples_ = Bern(h_neg) of the previous update (old parameters); v_neg ~ p(v | h)
            H = np.empty((m, W.shape[1]))
            K.bernoulli_from_probs(h_neg, g.states[:m], H)
            X = H @ W.T + a
            K.bernoulli_inplace_serial(X, g.states[:m])
        h_pos, h_neg = expit(data @ W + b), expit(X @ W + b)
        W = W + lr * (data.T @ h_pos / n - X.T @ h_neg / m)
        a = a + lr * (data.mean(0) - X.mean(0))
        b = b + lr * (h_pos.mean(0) - h_neg.mean(0))
    return W, a, b


def test_reuse_hidden_is_scikit_learns_pcd_update_step_by_step():
    data = datasets.prototypes(30, seed=2)  # 30 x 10
    W0 = np.random.default_rng(4).normal(0, 0.3, (10, 5))
    r = rbm.train(data, scheme="pcd", k=1, n_hidden=5, lr=0.2, n_epochs=6, batch_size=30, n_chains=20, seed=7,
                  W0=W0, backend="blas", log_likelihood="none", progress=False, reuse_hidden=True)
    W, a, b = _sklearn_order_reference(data, W0, 20, 0.2, 6, seed=7)
    np.testing.assert_allclose(r.W, W, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.a, a, rtol=0, atol=1e-12)
    np.testing.assert_allclose(r.b, b, rtol=0, atol=1e-12)
    # control: re-drawing h | v with the current parameters is another trajectory
    r2 = rbm.train(data, scheme="pcd", k=1, n_hidden=5, lr=0.2, n_epochs=6, batch_size=30, n_chains=20, seed=7,
                   W0=W0, backend="blas", log_likelihood="none", progress=False, reuse_hidden=False)
    assert np.abs(r2.W - W).max() > 1e-3
    # the default re-draws h | v (one product more per update, the order of every recorded result)
    r3 = rbm.train(data, scheme="pcd", k=1, n_hidden=5, lr=0.2, n_epochs=6, batch_size=30, n_chains=20, seed=7,
                   W0=W0, backend="blas", log_likelihood="none", progress=False)
    np.testing.assert_array_equal(r3.W, r2.W)


def test_reuse_hidden_arguments():
    data = datasets.prototypes(40, seed=2)
    kw = dict(k=1, n_hidden=3, lr=0.1, n_epochs=1, batch_size=20, log_likelihood="none", progress=False)
    for scheme in ("cd", "short-run", "jarzynski", "exact"):
        with pytest.raises(ValueError, match="reuse_hidden=True needs scheme='pcd'"):
            rbm.train(data, scheme=scheme, reuse_hidden=True, **kw)
    with pytest.raises(ValueError, match="engine='exact'"):
        rbm.train(data, scheme="pcd", engine="exact", reuse_hidden=True, **kw)
    for bad in ("yes", None, 1):
        with pytest.raises(TypeError, match="reuse_hidden must be"):
            rbm.train(data, scheme="pcd", reuse_hidden=bad, **kw)
    for scheme in ("cd", "pcd"):  # False is accepted everywhere
        rbm.train(data, scheme=scheme, reuse_hidden=False, **kw)
