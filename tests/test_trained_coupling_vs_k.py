"""The check 'trained coupling vs k': its predictions against theory.md 9.1 and the closed forms of 3.3,
its learning-rate rule, the quick run (PASS), deliberately wrong curves (FAIL), executor independence
of its sweep, and the figure."""
import copy

import numpy as np
import pytest
from matplotlib.figure import Figure

import paper_checks
from paper_checks import _result as R
from paper_checks import trained_coupling_vs_k as T
from solvable import gaussian
from solvable.sweep import sweep

S = 4.0  # (c, VAR0, ETA) = S x (c', 1, 0.05) of theory.md 9.1; every j is divided by S


# ----------------------------------------------------------------------------- predictions (deterministic)
def test_parameters_are_theory_9_1_scaled():
    assert (T.ETA, T.VAR0) == (S * 0.05, S * 1.0)
    assert T.C_VALUES == (S * 0.5, S * 2.0)


@pytest.mark.parametrize("c_ref, j_minus, j_cd", [(0.5, 2.136398, 2.11146), (2.0, 0.329547, 0.50641)])
def test_predictions_match_theory_9_1(c_ref, j_minus, j_cd):
    """theory.md 9.1, ULA eta = 0.05, k = 20, v0 = 1 (printed to 6-7 digits), scaled by 1/S."""
    p = T.predictions(S * c_ref, 20)
    assert p["short-run"] == pytest.approx(j_minus / S, abs=0.6e-6 / S)
    assert p["pcd"] == pytest.approx(j_cd / S, abs=0.6e-5 / S)
    assert p["mle"] == pytest.approx(1.0 / (S * c_ref), rel=1e-12)


@pytest.mark.parametrize("c", T.C_VALUES)
@pytest.mark.parametrize("k", [1, 2, 3, 10, 50])
def test_predictions_are_scale_invariant(c, k):
    """Same dimensionless problem as (c / S, v0 = 1, eta = 0.05): j scales as 1/S (theory 3.3, 3.5)."""
    import warnings

    from solvable.errors import NonNormalizableWarning

    p = T.predictions(c, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NonNormalizableWarning)
        ref = gaussian.short_run_fixed_point([0.0], [[c / S]], k, step=T.ETA / S, var0=T.VAR0 / S)[0][0, 0]
    assert p["short-run"] == pytest.approx(ref / S, rel=1e-10, abs=1e-13)


@pytest.mark.parametrize("c", T.C_VALUES)
def test_predictions_match_closed_forms(c):
    """Independent routes: theory 3.3 closed forms at k = 1, 2 and 3.5's j_CD; the root makes
    the k-step variance equal c."""
    eta, v0 = T.ETA, T.VAR0
    p1, p2 = T.predictions(c, 1), T.predictions(c, 2)
    assert p1["short-run"] == pytest.approx((1 - np.sqrt((c - 2 * eta) / v0)) / eta, rel=1e-12)
    r2 = (-eta + np.sqrt(eta**2 + v0 * (c - 2 * eta))) / v0
    assert p2["short-run"] == pytest.approx((1 - np.sqrt(r2)) / eta, rel=1e-10)
    assert p1["short-run k+1"] == p2["short-run"]
    j = p1["pcd"]
    assert j * (1 - eta * j / 2) == pytest.approx(1 / c, rel=1e-12)
    for k in (5, 20):
        jk = T.predictions(c, k)["short-run"]
        rho = 1 - eta * jk
        var = v0 * rho ** (2 * k) + 2 * eta * sum(rho ** (2 * s) for s in range(k))
        assert var == pytest.approx(c, rel=1e-10)


def test_sign_boundary_at_k_10_for_the_wide_data():
    """j* = 0 exactly where c = v0 + 2 eta k (theory 3.3): c = 8, k = 10."""
    assert T.VAR0 + 2 * T.ETA * 10 == T.C_VALUES[1]
    assert abs(T.predictions(T.C_VALUES[1], 10)["short-run"]) < 1e-12
    assert T.predictions(T.C_VALUES[1], 9)["short-run"] < 0 < T.predictions(T.C_VALUES[1], 11)["short-run"]


@pytest.mark.parametrize("scheme", T.SCHEMES)
@pytest.mark.parametrize("c", T.C_VALUES)
@pytest.mark.parametrize("k", [1, 3, 20, 100])
def test_learning_rate_bounds_the_linearised_rates(scheme, c, k):
    j = T.predictions(c, k)[scheme]
    slope, gain = T._response(scheme, j, k)
    lr = T.learning_rate(scheme, j, k)
    rate_j, rate_h = lr * abs(slope) / 2, lr * abs(gain)
    assert rate_j <= T.GAMMA_J * (1 + 1e-12) and rate_h <= T.GAMMA_H * (1 + 1e-12)
    assert max(rate_j / T.GAMMA_J, rate_h / T.GAMMA_H) == pytest.approx(1.0, rel=1e-12)


def test_response_slope_matches_derivative_at_k_1():
    eta, v0, j = T.ETA, T.VAR0, 1.3
    slope, gain = T._response("short-run", j, 1)
    assert slope == pytest.approx(-2 * eta * v0 * (1 - eta * j), rel=1e-8)  # d/dj [v0 rho^2 + 2 eta]
    assert gain == pytest.approx(eta, rel=1e-12)


def test_data_set_has_exact_moments():
    X = T.data_set(2.0, seed=3)
    assert X.shape == (T.N_DATA, 1)
    assert abs(X.mean()) < 1e-15 and X.var() == pytest.approx(2.0, rel=1e-13)


# ----------------------------------------------------------------------------- the quick run
@pytest.fixture(scope="module")
def measured():
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)  # bit-identical for any thread count; one thread is faster on a busy machine
    try:
        return T.measure(quick=True, seed=0)
    finally:
        numba.set_num_threads(old)


def test_registered():
    assert "trained_coupling_vs_k" in paper_checks.names()
    assert paper_checks.describe("trained_coupling_vs_k")["claim"] == T.CLAIM


def test_quick_check_passes(measured):
    r = T.result_from(measured)
    assert r.status == "PASS", r.measurement
    rows = r.details["rows"]
    assert len(rows) == len(T.C_VALUES) * len(T.K_QUICK) * len(T.SCHEMES)
    assert all(abs(x["z"]) <= R.Z_MAX for x in rows)
    assert all(abs(v) > R.Z_MAX for v in r.details["mismatch"].values())
    assert len(r.details["mismatch"]) == 2 * len(T.C_VALUES) + 1
    # short-run at k = 1 is far from the MLE (hundreds of SE), PCD is not at the MLE (c = 2, pooled)
    assert min(abs(x["z_mle"]) for x in rows if x["scheme"] == "short-run" and x["k"] == 1) > 50
    assert r.params["n_chains"] == 500 and r.params["k"] == T.K_QUICK


def test_training_points_identical_serial_one_thread_and_dask():
    grid = [{"c": 8.0, "k": 2, "scheme": s, "n_chains": 60, "n_iter": 40, "n_batches": 4, "data_seed": 1}
            for s in T.SCHEMES]
    serial = sweep(T.train_point, grid, seed=3, jobs=1, progress=False)
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one = sweep(T.train_point, grid, seed=3, jobs=1, progress=False)
    finally:
        numba.set_num_threads(old)
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        remote = sweep(T.train_point, grid, seed=3, client=client, progress=False)
    for a, b, c in zip(serial, one, remote):
        assert a["j"] == b["j"] == c["j"] and a["j_se"] == b["j_se"] == c["j_se"]
        np.testing.assert_array_equal(a["traj"], c["traj"])


# ----------------------------------------------------------------------------- the check can fail
@pytest.mark.parametrize("wrong", [{"short-run": "pcd"}, {"short-run": "short-run k+1"}, {"short-run": "mle"},
                                   {"pcd": "short-run"}])
def test_wrong_curve_fails(measured, wrong):
    r = T.result_from(measured, compare_to=wrong)
    assert r.status == "FAIL"


def test_one_point_off_by_six_se_fails(measured):
    m = copy.deepcopy(measured)
    p = m["points"][-1]
    p["j"] = p["pred"][p["scheme"]] + 6.0 * p["j_se"]
    assert not T.evaluate(m)[0]


def test_pcd_at_the_mle_fails(measured):
    """If PCD had trained to the MLE (no ULA bias) the pooled mismatch would not be resolved."""
    m = copy.deepcopy(measured)
    for p in m["points"]:
        if p["scheme"] == "pcd":
            p["j"] = p["pred"]["mle"]
    passed, info = T.evaluate(m)
    assert not passed
    assert abs(info["mismatch"][f"PCD pooled c={T.RESOLVE_PCD_BIAS_AT:g} vs MLE"]) < 1e-9


def test_compare_to_rejects_unknown_names(measured):
    with pytest.raises(ValueError, match="compare_to"):
        T.evaluate(measured, compare_to={"short-run": "nonsense"})
    with pytest.raises(ValueError, match="compare_to"):
        T.evaluate(measured, compare_to={"cd": "pcd"})


# ----------------------------------------------------------------------------- figure
def test_draw(measured):
    fig = T.draw(T.result_from(measured))
    assert isinstance(fig, Figure)
    main = [ax for ax in fig.axes if ax.get_ylabel() == r"trained coupling $j$"]
    assert len(main) == len(T.C_VALUES)
    assert all(ax.get_xscale() == "log" for ax in main)
    assert main[0].get_legend() is not None
    labels = [t.get_text() for t in main[0].get_legend().get_texts()]
    assert any("short-run" in t for t in labels) and any("PCD" in t for t in labels) and any("MLE" in t for t in labels)
