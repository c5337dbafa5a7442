"""Paper checks of Jarzynski reweighting (J1-J6) and of the RBM results, in quick mode: each passes,
draws its figure, and a deliberately broken claim (a keyword that swaps a prediction) FAILS.
One measurement per module (module-scoped fixture), reused by every test."""
import copy

import numpy as np
import pytest
from matplotlib.figure import Figure

from paper_checks import _result as R
from paper_checks import jarzynski_removes_pcd_bias as jpb
from paper_checks import jarzynski_weights_exact as jwe
from paper_checks import rbm_ais_vs_exact as ais
from paper_checks import rbm_kl_ranking as klr
from paper_checks import rbm_short_run_moments as srm

MODULES = (jpb, jwe, ais, srm, klr)


@pytest.fixture(scope="module")
def measured():
    return {mod: mod.measure(quick=True, seed=0) for mod in MODULES}


@pytest.mark.parametrize("mod", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_check_passes_and_draws(measured, mod):
    res = mod.result_from(measured[mod])
    assert res.status == "PASS", res.measurement
    # who showed it: AIS is Neal 2001, the ULA weight rule Carbone et al. 2023 (issue 13 section 3)
    assert res.name == mod.__name__.rsplit(".", 1)[-1] and res.source.arxiv in (
        "2506.07843", "2301.09428", "2305.19414", "physics/9803008")
    controlled = R.controlled(mod.result_from, measured[mod])
    assert controlled.controls and all(c["flipped"] for c in controlled.controls)
    assert res.z is not None and np.isfinite(res.z)
    R.jsonable(res.summary())  # JSON-able
    fig = mod.draw(res)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


# ----------------------------------------------------------------------------- J5: PCD bias vs Jarzynski
def test_pcd_bias_predictions_are_the_9_7_numbers(measured):
    p = measured[jpb]["pred"]
    assert p["pcd"] == pytest.approx(1.3502, abs=1e-4) and p["mle"] == pytest.approx(0.9856, abs=1e-4)
    runs = measured[jpb]["runs"]
    assert runs["pcd"]["tails"].size == jpb.settings(True)["n_seeds"] and runs["jarzynski"]["se"] > 0


def test_pcd_bias_swapped_claim_fails(measured):
    """Broken claim: PCD -> MLE and Jarzynski -> ULA fixed point."""
    res = jpb.result_from(measured[jpb], swap=True)
    assert res.status == "FAIL"
    assert all(not v["passed"] for v in res.details["verdicts"])


# ----------------------------------------------------------------------------- J1-J3: weights
def test_weights_exact_values_and_controls(measured):
    m = measured[jwe]
    ex = {c["l"]: c["exact"] for c in m["j1"]}
    np.testing.assert_allclose(ex[200], [0.5, 3.0, 0.25], rtol=1e-12)
    np.testing.assert_allclose(ex[10][0], 0.93250, atol=5e-6)
    assert m["j2_error"] <= 1e-12
    z_ratio = {c["rule"]: c["z"][0] for c in m["j3"]}
    assert abs(z_ratio["biased-new-kernel"]) > jwe.Z_BIASED and abs(z_ratio["biased-naive-ula"]) > jwe.Z_BIASED
    # unweighted walkers at the end of the large-step schedule sit near the ULA variance 1.25, not 0.25
    assert m["j1"][-1]["unweighted"][2] > 1.0


def test_weights_swapped_claim_fails(measured):
    """Broken claim: the biased orderings called exact (and the valid ones biased)."""
    res = jwe.result_from(measured[jwe], swap=True)
    assert res.status == "FAIL"
    assert not any(res.details["checks"][k] for k in res.details["checks"] if k != "J2 telescoping")


def test_weights_broken_telescoping_fails(measured):
    m = copy.deepcopy(measured[jwe])
    m["j2_error"] = 1e-9
    assert not jwe.evaluate(m)[0]


# ----------------------------------------------------------------------------- AIS
def test_ais_against_the_wrong_model_fails(measured):
    """Broken claim: each AIS estimate compared with the exact log Z of the next model in the list."""
    assert ais.result_from(measured[ais], shift=1).status == "FAIL"
    ok, z, z_base, _ = ais.evaluate(measured[ais])
    assert ok and np.all(np.abs(z) <= R.Z_MAX) and np.all(np.abs(z_base) > R.Z_MAX)


def test_ais_exact_values_are_enumerations(measured):
    from solvable import rbm

    row = measured[ais]["rows"][0]
    W, a, b = ais.random_rbm(*ais.MODELS[0])
    assert row["exact"] == rbm.log_partition_exact(W, a, b)
    assert 0 < row["se"] < 0.01


# ----------------------------------------------------------------------------- short-run RBM moments
@pytest.mark.parametrize("t_claim", [0, srm.K * 10, 100])
def test_short_run_moments_wrong_time_fails(measured, t_claim):
    """Broken claim: the match is claimed at t = 0 or at a long time instead of t = k."""
    assert srm.result_from(measured[srm], t_claim=t_claim).status == "FAIL"


def test_short_run_moments_details(measured):
    m = measured[srm]
    ok, ev = srm.evaluate(m)
    assert ok and ev["z_at_claim"] <= R.Z_MAX and np.all(ev["z_far"] > R.Z_MAX) and ev["fixed_point_ok"]
    with pytest.raises(ValueError, match="not one of the measured times"):
        srm.evaluate(m, t_claim=srm.K + 0.5)
    m2 = copy.deepcopy(m)
    m2["fixed_point_error"] = 1.0  # training far from the fixed point: FAIL
    assert not srm.evaluate(m2)[0]


# ----------------------------------------------------------------------------- KL ranking
def test_kl_ranking_swapped_claim_fails(measured):
    """Broken claim: Jarzynski and CD-1 exchanged."""
    res = klr.result_from(measured[klr], swap=True)
    assert res.status == "FAIL"
    assert not res.details["checks"]["CD-1 - Jarzynski > Z SE"]


def test_kl_ranking_reports_every_gap(measured):
    res = klr.result_from(measured[klr])
    assert set(res.details["gap_z"]) >= {"jarzynski - exact", "pcd - jarzynski", "cd-10 - pcd", "cd-1 - cd-10"}
    kl = measured[klr]["kl"]
    assert all(np.all(v >= -1e-12) for v in kl.values())
    assert np.all(kl["cd-1"][:, -1] > kl["exact"][:, -1])
