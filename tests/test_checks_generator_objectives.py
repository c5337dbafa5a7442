"""Paper checks of the short-run generator (Nijkamp et al. 2019) and of CD objectives / replay buffers
(Gagnon & Lajoie 2022) in quick mode: they pass, and a deliberately wrong claim fails."""
import copy

import numpy as np
import pytest
from matplotlib.figure import Figure

from paper_checks import _result as R
from paper_checks import cd_objective_and_dropped_term as cdo
from paper_checks import replay_buffer_interpolates as rbi
from paper_checks import short_run_generator as srg
from paper_checks import uniform_start_non_gaussian as usn


@pytest.fixture(scope="module")
def measured():
    return {mod: mod.measure(quick=True, seed=0) for mod in (srg, usn, cdo, rbi)}


@pytest.mark.parametrize("mod", [srg, usn, cdo, rbi], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_check_passes_and_draws(measured, mod):
    res = mod.result_from(measured[mod])
    assert res.passed, res.measurement
    # who showed it: the papers, or Hinton 2002 for the CD objective (issue 13: sources credit who showed it)
    assert res.status == "PASS" and (res.source.arxiv in ("1904.09770", "2202.12176")
                                     or res.source.authors.startswith("Hinton 2002"))
    assert isinstance(res.derived, str) and res.derived
    controlled = R.controlled(mod.result_from, measured[mod])
    assert controlled.controls and all(c["flipped"] for c in controlled.controls)
    fig = mod.draw(res)
    assert isinstance(fig, Figure) and len(fig.axes) >= 2


def test_generator_check_fails_if_the_interpolant_mean_were_kept(measured):
    m = copy.deepcopy(measured[srg])
    for r in m["shifted"]:  # wrong claim: E z_rho = m0 for every rho
        r["z_pred"] = r["z_m0"]
    assert not srg.evaluate(m)[0]


def test_generator_check_fails_on_a_wrong_rate(measured):
    m = copy.deepcopy(measured[srg])
    m["gd_rates"] = [(a, b**2) for a, b in m["gd_rates"]]  # rate set by A^{4k} instead of A^{2k}
    assert not srg.evaluate(m)[0]


def test_uniform_check_fails_for_a_gaussian_claim(measured):
    m = copy.deepcopy(measured[usn])
    assert not usn.evaluate(m, table={**usn.TABLE, "kurtosis": 0.0})[0]
    for r in m["sims"].values():  # MC compared with a Gaussian q instead of the prediction
        r["pred_kurtosis"] = 0.0
    assert not usn.evaluate(m)[0]


def test_uniform_check_identity_fails_off_omega(measured):
    m = copy.deepcopy(measured[usn])
    m["gap_half"] = 0.0  # pretend the identity also held at t = k/2
    assert not usn.evaluate(m)[0]


def test_cd_check_fails_for_the_lambda_parametrisation_and_wrong_values(measured):
    m = copy.deepcopy(measured[cdo])
    lam = cdo.THETA_G[1]
    wrong = {k: (v[0], v[1] * lam) for k, v in cdo.GRADIENT.items()}  # 9.3 read as d/dlambda
    assert not cdo.evaluate(m, gradient=wrong)[0]
    assert not cdo.evaluate(m, table={**cdo.TABLE, (0.3, 4.0): (0.0, 0.0566)})[0]  # J_0 > 0 claimed
    m["mc"] = np.asarray(m["grad"]["total"]) + 0.1 * np.asarray(m["mc_se"])  # chains following the full gradient
    assert not cdo.evaluate(m)[0]


def test_buffer_check_fails_on_wrong_numbers_and_swapped_parameters(measured):
    m = copy.deepcopy(measured[rbi])
    assert not rbi.evaluate(m, table={**rbi.TABLE, 0.05: (0.30, 4.0)})[0]  # buffer = ML claimed at eps = 0.05
    for entry in m["mc"].values():
        entry["fixed point"], entry["short-run params"] = entry["short-run params"], entry["fixed point"]
    assert not rbi.evaluate(m)[0]


def test_buffer_lambda_overshoot_is_measured(measured):
    m = measured[rbi]
    eps_max, lam_max = m["lam_max"]
    assert 0.9 < eps_max < 1.0 and lam_max > m["table"]["short-run"][1] + 1e-4
