"""The paper checks in quick mode, their verdict rules (including deliberately broken claims
that must FAIL), the registry, and the result helpers."""
import copy
import json
import math

import numpy as np
import pytest
from matplotlib.figure import Figure

import paper_checks
from paper_checks import _result as R
from paper_checks import gaussian_closed_forms as closed
from paper_checks import persistent_ula_bias as pub
from paper_checks import short_run_matches_data_at_time_k as srk
from solvable import gaussian

FIRST = ("gaussian_closed_forms", "persistent_ula_bias", "short_run_matches_data_at_time_k")


# ----------------------------------------------------------------------------- registry
def test_registry_discovers_checks_not_helpers():
    names = paper_checks.names()
    assert set(FIRST) <= set(names)
    assert not [n for n in names if n.startswith("_")]
    assert names == sorted(names)


@pytest.mark.parametrize("name", paper_checks.names())
def test_every_check_module_honours_the_contract(name):
    import inspect

    mod = paper_checks.load(name)
    assert isinstance(mod.CLAIM, str) and mod.CLAIM
    assert isinstance(mod.SOURCE, R.Source) and mod.SOURCE.authors
    sig = inspect.signature(mod.run)
    assert list(sig.parameters)[:2] == ["quick", "seed"]
    assert sig.parameters["quick"].default is True and sig.parameters["seed"].default == 0
    assert callable(mod.draw)
    info = paper_checks.describe(name)
    assert info["claim"] == mod.CLAIM and info["source"] == mod.SOURCE.cite()


def test_select_patterns():
    names = paper_checks.names()
    assert paper_checks.select(None) == names
    assert paper_checks.select("gaussian_closed") == ["gaussian_closed_forms"]
    assert paper_checks.select("gaussian_*") == [n for n in names if n.startswith("gaussian_")]
    assert paper_checks.select(" gaussian_closed, persistent_ula ") == ["gaussian_closed_forms", "persistent_ula_bias"]
    assert paper_checks.select("closed") == [n for n in names if "closed" in n]
    assert paper_checks.select("zzz") == []


def test_load_unknown_check():
    with pytest.raises(ValueError, match="no check named"):
        paper_checks.load("no_such_check")


# ----------------------------------------------------------------------------- result helpers
def test_decide_z():
    assert R.decide_z(match=[0.1, -4.9], mismatch=[5.1, -80]) == (True, 4.9)
    assert R.decide_z(match=[5.01])[0] is False
    assert R.decide_z(mismatch=[4.99])[0] is False
    assert R.decide_z(match=[1.0], mismatch=[6.0], z_max=7.0)[0] is False
    assert R.decide_z(match=[np.nan])[0] is False
    assert R.decide_z(mismatch=[10.0]) == (True, None)
    with pytest.raises(ValueError, match="at least one"):
        R.decide_z()


def test_decide_close_and_relative_error():
    assert R.decide_close([1.0, 1e-12], [1.0 + 1e-11, 0.0]) == (True, pytest.approx(1e-11, rel=1e-3))
    ok, err = R.decide_close([2.0], [2.0 + 1e-8])
    assert not ok and err == pytest.approx(5e-9, rel=1e-6)
    assert R.decide_close([np.nan], [0.0])[0] is False
    assert R.relative_error([0.5], [0.0]) == 0.5  # absolute near 0


def test_zscore():
    np.testing.assert_allclose(R.zscore([1.0, 3.0], [0.5, 1.0], [0.0, 1.0]), [2.0, 2.0])
    with pytest.raises(ValueError, match="se must be positive"):
        R.zscore([1.0], [0.0], [0.0])


def test_sub_seed_deterministic_and_distinct():
    assert R.sub_seed(0, 1, 2) == R.sub_seed(0, 1, 2)
    seeds = {R.sub_seed(s, a, b) for s in range(3) for a in range(3) for b in range(3)}
    assert len(seeds) == 27 and all(isinstance(s, int) and s >= 0 for s in seeds)


def test_check_result_status_and_json():
    r = R.CheckResult(name="x", claim="c", source=R.P1, prediction="p", measurement="m", passed=True,
                      details={"a": np.arange(3), "b": np.float64(np.inf)}, params={"k": np.int64(2)})
    assert r.status == "PASS"
    s = r.summary()
    json.dumps(s, allow_nan=False)  # strictly JSON: no NaN/inf literals
    assert s["details"]["a"] == [0, 1, 2] and s["details"]["b"] == "inf" and s["params"]["k"] == 2
    assert s["source"] == "Agoritsas, Catania, Decelle, Seoane (arXiv:2301.09428)"
    r.passed = False
    assert r.status == "FAIL"
    e = R.errored("y", "Traceback ...")
    assert e.status == "ERROR" and not e.passed


def test_execute_turns_exceptions_into_error(monkeypatch):
    def boom(quick=True, seed=0):
        raise RuntimeError("kaput")

    monkeypatch.setattr(srk, "run", boom)
    r = paper_checks.execute("short_run_matches_data_at_time_k")
    assert r.status == "ERROR" and "kaput" in r.error_message and math.isfinite(r.runtime_s)


# ----------------------------------------------------------------------------- (a) Rdm-k matches at t = k only
@pytest.fixture(scope="module")
def srk_measured():
    return srk.measure(quick=True, seed=0)


def test_short_run_check_passes(srk_measured):
    r = srk.result_from(srk_measured)
    assert r.status == "PASS", r.measurement
    d = r.details
    assert d["fixed_point_error"] < 1e-8
    zt = np.asarray(d["max_abs_z_data"])
    times = np.asarray(d["times"])
    assert zt[times == srk.K][0] <= R.Z_MAX
    assert np.all(zt[times != srk.K] > R.Z_MAX)  # k - 1 and k + 1 resolved in quick mode too (issue 13)
    assert d["z_exact_max"] <= R.Z_MAX
    assert d["equilibrium_error"] > 0.1


@pytest.mark.parametrize("t_claim", [srk.K + 1, srk.K - 1, 2 * srk.K, 0])
def test_short_run_check_with_wrong_time_fails(srk_measured, t_claim):
    """The harness can fail: claiming the match at t != k gives FAIL."""
    r = srk.result_from(srk_measured, t_claim=t_claim)
    assert r.status == "FAIL" and not r.passed


def test_short_run_check_rejects_unmeasured_time(srk_measured):
    with pytest.raises(ValueError, match="not one of the measured times"):
        srk.evaluate(srk_measured, t_claim=srk.K + 0.5)


def test_short_run_check_fails_if_training_missed_the_fixed_point(srk_measured):
    m = dict(srk_measured)
    m["J_star"] = m["J_star"] * (1 + 1e-6)
    assert not srk.evaluate(m)[0]


def test_short_run_check_controls_all_flip(srk_measured):
    r = R.controlled(srk.result_from, srk_measured)
    assert r.passed and len(r.controls) >= 3 and all(c["flipped"] for c in r.controls)


def test_short_run_draw(srk_measured):
    result = srk.result_from(srk_measured)
    fig = srk.draw(result)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert "t" in fig.axes[0].get_xlabel() and fig.axes[0].get_legend() is not None
    # the figure shows the result's numbers: the |z| curve is max_a |sampled - data| / se on the grid
    d = result.data
    times = np.asarray(d["times"])
    grid = times <= 3 * d["k"]
    zt = np.max(np.abs(np.asarray(d["sampled"]) - d["data"]) / np.asarray(d["se"]), axis=1)
    line = fig.axes[1].get_lines()[0]
    np.testing.assert_allclose(line.get_xdata(), times[grid])
    np.testing.assert_allclose(line.get_ydata(), np.maximum(zt[grid], 1e-2))
    # and the chains' points in the left panel are sampled - data for each moment
    ys = [c.lines[0].get_ydata() for c in fig.axes[0].containers if len(c.lines[0].get_ydata()) == grid.sum()]
    assert len(ys) == len(d["labels"])
    for a, y in enumerate(ys):
        np.testing.assert_allclose(y, np.asarray(d["sampled"])[grid, a] - d["data"][a])


# ----------------------------------------------------------------------------- (b) closed forms
@pytest.fixture(scope="module")
def closed_measured():
    return closed.measure(quick=True, seed=0)


def test_closed_forms_check_passes(closed_measured):
    r = closed.result_from(closed_measured)
    assert r.status == "PASS", r.measurement
    assert all(r.details["checks"].values())
    assert r.error <= 1e-10
    n_table = len(closed.CONTINUOUS) + len(closed.ULA_001) + 3 * len(closed.ULA_005)
    assert len(r.details["rows"]) == n_table


def test_closed_forms_wrong_table_entry_fails(closed_measured):
    """Negative control: one table value off by one unit of its last digit -> FAIL."""
    m = copy.deepcopy(closed_measured)
    row = list(m["rows"][0])
    row[4] = f"{float(row[4]) + 1e-6:.6f}"
    m["rows"][0] = tuple(row)
    r = closed.result_from(m)
    assert r.status == "FAIL" and "tables within printed precision" in r.measurement


def test_closed_forms_missing_error_fails(closed_measured):
    m = copy.deepcopy(closed_measured)
    m["boundary"]["short_run_fixed_point"] = "no error"
    assert closed.result_from(m).status == "FAIL"


def test_independent_routes_are_right():
    # continuous: closed form g(j; t) and its j = 0 limit v0 + 2t
    for j, t, v0 in ((0.7, 1.3, 1.0), (-0.4, 2.0, 0.5), (3.0, 0.01, 2.0)):
        g = v0 * np.exp(-2 * j * t) + (1 - np.exp(-2 * j * t)) / j
        assert closed.continuous_variance(j, t, v0) == pytest.approx(g, rel=1e-12)
    assert closed.continuous_variance(0.0, 1.5, 1.0) == pytest.approx(4.0, rel=1e-12)
    # ULA recursion vs the library's closed form
    for j, k, eta in ((2.0, 7, 0.05), (-1.0, 3, 0.1), (35.0, 20, 0.05)):
        _, cov = gaussian.langevin_moments([[j]], [0.0], k, step=eta)
        assert closed.ula_variance(j, k, eta) == pytest.approx(cov[0, 0], rel=1e-12)


def test_closed_forms_draw(closed_measured):
    fig = closed.draw(closed.result_from(closed_measured))
    assert isinstance(fig, Figure) and len(fig.axes) == 2


# ----------------------------------------------------------------------------- (c) persistent ULA bias
@pytest.fixture(scope="module")
def pub_measured():
    # 2 x 1600 small kernel launches: one thread avoids the parallel-launch overhead on a busy
    # 2-core machine (results are bit-identical for any thread count, tests/test_gaussian.py)
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return pub.measure(quick=True, seed=0)
    finally:
        numba.set_num_threads(old)


def test_persistent_bias_check_passes(pub_measured):
    r = pub.result_from(pub_measured)
    assert r.status == "PASS", r.measurement
    for v in r.details["verdicts"]:
        assert v["z_right"] <= R.Z_MAX < v["z_wrong"]


def test_persistent_bias_swapped_claim_fails(pub_measured):
    """Negative control: claim that ULA-PCD lands on the MLE (and MALA on the ULA point) -> FAIL."""
    m = copy.deepcopy(pub_measured)
    for r in m["runs"]:
        r["method"] = {"ula": "mala", "mala": "ula"}[r["method"]]
    r = pub.result_from(m)
    assert r.status == "FAIL"
    assert all(not v["passed"] for v in r.details["verdicts"])


def test_richardson_removes_a_linear_learning_rate_bias():
    # m(lr) = truth + b * lr: lr and lr/2 extrapolate exactly to the truth
    m0, s0 = pub.richardson(np.array([1.0 + 0.3 * 0.02]), np.array([0.01]), np.array([1.0 + 0.15 * 0.02]),
                            np.array([0.02]))
    assert m0[0] == pytest.approx(1.0, abs=1e-15) and s0[0] == pytest.approx(np.sqrt(4 * 0.02**2 + 0.01**2))


def test_persistent_bias_draw(pub_measured):
    fig = pub.draw(pub.result_from(pub_measured))
    assert isinstance(fig, Figure) and len(fig.axes) == 2


# ----------------------------------------------------------------------------- full harness path, slow
@pytest.mark.slow
@pytest.mark.parametrize("name", FIRST)
def test_check_same_seed_same_numbers(name):
    a = paper_checks.execute(name, quick=True, seed=3)
    b = paper_checks.execute(name, quick=True, seed=3)
    assert a.status == b.status == "PASS"
    assert json.dumps(a.summary()["details"]) == json.dumps(b.summary()["details"])


@pytest.mark.slow
def test_real_check_on_dask_matches_local(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from solvable import cli

    args = ["reproduce", "--quick", "--only", "short_run_matches", "--no-progress", "--formats", "png"]
    assert cli.main(args + ["--jobs", "1", "--out", str(tmp_path / "a")]) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        assert cli.main(args + ["--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "b")]) == 0
    a, b = (json.loads((tmp_path / d / "results.json").read_text())["checks"][0] for d in "ab")
    assert a["details"] == b["details"]


# ----------------------------------------------------------------------------- shared helpers (issue 10)
def _fake_module(monkeypatch, **attrs):
    import sys
    import types

    mod = types.ModuleType("paper_checks.fake_check_for_tests")
    mod.CLAIM, mod.SOURCE = "a claim", R.P1
    for k, v in attrs.items():
        setattr(mod, k, v)
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    return mod.__name__


def test_make_result_fills_name_claim_source_derived(monkeypatch):
    name = _fake_module(monkeypatch, DERIVED="the formula")
    r = R.make_result(name, prediction="p", measurement="m", passed=True)
    assert (r.name, r.claim, r.source, r.derived) == ("fake_check_for_tests", "a claim", R.P1, "the formula")
    assert r.summary()["derived"] == "the formula"
    name = _fake_module(monkeypatch)  # DERIVED is optional (checks written before it existed)
    assert R.make_result(name, prediction="p", measurement="m", passed=True).derived == ""


def test_mean_se_matches_the_spread_of_replicates():
    rng = np.random.default_rng(3)
    x = rng.normal(2.0, 3.0, (400, 2))
    m, se = R.mean_se(x)
    np.testing.assert_allclose(se, x.std(axis=0, ddof=1) / 20.0)
    # the SE against the spread of 400 independent replicate means: ratio within [0.8, 1.25]
    means = rng.normal(2.0, 3.0, (400, 400)).mean(axis=1)
    assert 0.8 <= np.mean(R.mean_se(rng.normal(2.0, 3.0, (400, 50)))[1]) / means.std(ddof=1) * 1.0 <= 1.25
    with pytest.raises(ValueError, match="at least 2"):
        R.mean_se([1.0])


def test_printed_tolerance():
    assert R.printed_tol("1.0263") == pytest.approx(5e-5)
    assert R.printed_tol("40") == 0.5
    assert R.within_printed(1.02634, "1.0263") and not R.within_printed(1.02636, "1.0263")


def _verdict(m, z_max=R.Z_MAX, rtol=R.RTOL):
    """A toy check: one Monte Carlo match, one resolved mismatch, one closed form, one printed number."""
    ok1, z = R.decide_z(match=[m["z"]], mismatch=[m["gap"]], z_max=z_max)
    ok2, err = R.decide_close([m["x"]], [1.0], rtol=rtol)
    ok3 = R.within_printed(m["y"], "0.125")
    return R.CheckResult(name="toy", claim="c", source=R.P1, prediction="p", measurement="m",
                         passed=ok1 and ok2 and ok3, z=z, error=err)


TOY = {"z": 1.2, "gap": 40.0, "x": 1.0 + 1e-12, "y": 0.1251}


def test_controls_flip_every_decision_of_a_sound_check():
    r = R.controlled(_verdict, TOY)
    assert r.passed and len(r.controls) == 4 and all(c["flipped"] for c in r.controls)


@pytest.mark.parametrize("z_max", [50.0, 0.5])
def test_controls_catch_a_z_limit_loosened_tenfold(z_max):
    """The planted bugs of issue 13 section 4: a z limit loosened tenfold (for the matches: 50; for the
    mismatches that must be resolved: 0.5) now FAILs the check."""
    m = dict(TOY, gap=60.0, z=0.3)
    assert R.controlled(_verdict, m).passed
    r = R.controlled(_verdict, m, z_max=z_max)
    assert not r.passed and "did not flip" in r.measurement
    stuck = [c["decision"] for c in r.controls if not c["flipped"]]
    assert len(stuck) == 1 and stuck[0].startswith("z match" if z_max > 5 else "z mismatch")


def test_suite_tolerances_are_pinned():
    """theory.md section 8: z = 5, deterministic rtol 1e-10. A loosened RTOL is reported in each control."""
    assert R.Z_MAX == 5.0 and R.RTOL == 1e-10
    r = R.controlled(_verdict, TOY, rtol=1e-9)
    assert "close: rtol=1e-09" in [c["decision"] for c in r.controls]


def test_controls_catch_a_decision_that_does_not_count():
    def ignores_the_printed_number(m):
        r = _verdict(m)
        r.passed = R.decide_z(match=[m["z"]])[0]  # the other decisions are made but not used
        return r

    r = R.controlled(ignores_the_printed_number, TOY)
    assert not r.passed and [c["flipped"] for c in r.controls] == [False, False, False, False, True]


def test_controls_factor_range():
    with pytest.raises(ValueError, match="2-3x"):
        R.controlled(_verdict, TOY, factor=10.0)


def test_sources_credit_who_showed_it():
    """issue 13 section 3: AIS is Neal 2001, CD-1 = PL Hyvarinen 2006, the ULA weight rule Carbone et al. 2023."""
    from paper_checks import cd_equals_pseudolikelihood, jarzynski_weights_exact, rbm_ais_vs_exact

    assert rbm_ais_vs_exact.SOURCE.authors.startswith("Neal 2001")
    assert cd_equals_pseudolikelihood.SOURCE.authors.startswith("Hyvarinen 2006")
    assert jarzynski_weights_exact.SOURCE.arxiv == "2305.19414"
    for name in paper_checks.names():
        info = paper_checks.describe(name)
        assert isinstance(info["derived"], str)


@pytest.mark.slow
@pytest.mark.parametrize("name", paper_checks.names())
def test_every_check_has_must_fail_controls_that_flip(name):
    """Each check's decisions, re-made with their tolerance exceeded 3x, flip its verdict (issue 13 section 4)."""
    r = paper_checks.execute(name, quick=True, seed=0)
    assert r.status == "PASS", r.measurement
    assert r.controls, "no decision went through decide_z / decide_close / within_printed"
    assert all(c["flipped"] for c in r.controls), [c for c in r.controls if not c["flipped"]]
