"""The spin-model paper checks in quick mode: each PASSes, each FAILs when its claim is deliberately
broken (wrong time, wrong target, wrong kernel list), and their helpers are right."""
import json

import numpy as np
import pytest
from matplotlib.figure import Figure

from paper_checks import bernoulli_closed_forms as bern
from paper_checks import cd_equals_pseudolikelihood as cdpl
from paper_checks import curie_weiss_dynamics as cwd
from paper_checks import glauber_chain_dynamics as gcd
from paper_checks import ising_short_run_matches_at_time_k as isk
from paper_checks import kernel_invariance as kinv
from paper_checks import short_run_entropy_identity as ent
from paper_checks._result import Z_MAX
from solvable import glauber_chain, ising

MODULES = {m.__name__.rsplit(".", 1)[-1]: m for m in (bern, isk, cdpl, ent, gcd, cwd, kinv)}


@pytest.fixture(scope="module")
def measured():
    """Each check's numbers in quick mode, measured once for the whole file."""
    return {name: mod.measure(quick=True, seed=0) for name, mod in MODULES.items()}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_check_passes_in_quick_mode(measured, name):
    mod = MODULES[name]
    r = mod.result_from(measured[name])
    assert r.status == "PASS", r.measurement
    assert r.name == name and r.claim == mod.CLAIM and r.source == mod.SOURCE
    json.dumps(r.summary(), allow_nan=False)  # the harness writes it as strict JSON
    if r.z is not None:
        assert r.z <= Z_MAX


@pytest.mark.parametrize("name", sorted(MODULES))
def test_draw_returns_a_figure(measured, name):
    fig = MODULES[name].draw(MODULES[name].result_from(measured[name]))
    assert isinstance(fig, Figure)
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)


# ----------------------------------------------------------------------------- broken claims must FAIL
@pytest.mark.parametrize("offset", [1, -1])
def test_bernoulli_wrong_time_fails(measured, offset):
    r = bern.result_from(measured["bernoulli_closed_forms"], t_offset=offset)
    assert r.status == "FAIL"
    _, parts = bern.evaluate(measured["bernoulli_closed_forms"], t_offset=offset)
    assert not parts["chains"]["passed"] and parts["table"]["passed"] and parts["existence"]["passed"]


def test_bernoulli_wrong_table_entry_fails(measured, monkeypatch):
    m = measured["bernoulli_closed_forms"]
    monkeypatch.setitem(bern.PARMET_TABLE, 3, ("0.1418", "0.6775", "1.4715"))  # 0.1408 is right
    m = dict(m, table=bern._table_rows())
    _, parts = bern.evaluate(m)
    assert parts["table"]["failed"] == ["parallel-Metropolis h*(m_D=0.2, k=3)"]


@pytest.mark.parametrize("t_claim", [1, -1])
def test_ising_wrong_time_fails(measured, t_claim):
    r = isk.result_from(measured["ising_short_run_matches_at_time_k"], t_claim=t_claim)
    assert r.status == "FAIL"
    _, parts = isk.evaluate(measured["ising_short_run_matches_at_time_k"], t_claim=t_claim)
    assert not any(p["g1_match"] for p in parts["per_k"])


def test_ising_rejects_unmeasured_time(measured):
    with pytest.raises(ValueError, match="not a sampled time"):
        isk.evaluate(measured["ising_short_run_matches_at_time_k"], t_claim=lambda k: 3 * k)


def test_cd_wrong_target_fails(measured):
    r = cdpl.result_from(measured["cd_equals_pseudolikelihood"], claim_cd1_is_ml=True)
    assert r.status == "FAIL"
    assert "theta_ML" in r.measurement


def test_entropy_identity_off_the_moment_set_fails(measured):
    r = ent.result_from(measured["short_run_entropy_identity"], t_offset=1)
    assert r.status == "FAIL" and r.error > 1e-3


def test_glauber_wrong_time_fails(measured):
    r = gcd.result_from(measured["glauber_chain_dynamics"], t_offset=1.0)
    assert r.status == "FAIL"
    _, parts = gcd.evaluate(measured["glauber_chain_dynamics"], t_offset=1.0)
    assert parts["master_vs_ode"]["passed"] and not parts["chains"]["passed"]


def test_curie_weiss_wrong_time_fails(measured):
    r = cwd.result_from(measured["curie_weiss_dynamics"], t_offset=1.0)
    assert r.status == "FAIL"


def test_kernel_invariance_wrong_kernel_list_fails(measured):
    claim = ising.INVARIANT_DYNAMICS + ("parallel-heat-bath",)
    r = kinv.result_from(measured["kernel_invariance"], claim_invariant=claim)
    assert r.status == "FAIL"
    _, parts = kinv.evaluate(measured["kernel_invariance"], claim_invariant=claim)
    assert not parts["exact"]["passed"] and not parts["monte_carlo"]["passed"]


# ----------------------------------------------------------------------------- numbers and helpers
def test_key_numbers_match_theory(measured):
    isk_parts = isk.evaluate(measured["ising_short_run_matches_at_time_k"])[1]
    assert all(row["ok"] for row in isk_parts["table"])  # theory 9.4, printed digits
    mis = cdpl.evaluate(measured["cd_equals_pseudolikelihood"])[1]["misspecified"]
    assert mis["cd1_vs_ml"] == pytest.approx(0.0424, abs=5e-5)
    ent_rows = measured["short_run_entropy_identity"]["rows"]
    assert ent_rows[0]["K"] == 2 and ent_rows[0]["kl_q_ml"] == pytest.approx(0.002722, abs=5e-7)
    star = measured["glauber_chain_dynamics"]["short_run"]["kappa_star"]
    assert star[2.0] == pytest.approx(0.76956, abs=5e-6)
    assert measured["kernel_invariance"]["exact"]["parallel-heat-bath"]["evolve"] == pytest.approx(0.0126, abs=5e-5)


def test_ring_stats_are_columns_of_ring_pair_statistics():
    S = np.random.default_rng(2).choice(np.array([-1, 1], dtype=np.int8), size=(50, gcd.N_SIM))
    np.testing.assert_allclose(gcd.ring_stats(S), glauber_chain.ring_pair_statistics(S)[:, list(gcd.R_SIM)],
                               rtol=0, atol=1e-15)


def test_pm1_z_is_finite_when_every_chain_agrees():
    z = isk.pm1_z(np.array([-1.0, 0.1]), np.array([-0.9999, 0.0]), 10_000)
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(z[1], 0.1 / np.sqrt(1.0 / 10_000))


def test_mc_floor_is_the_expected_multinomial_tv():
    """The TV floor of kernel_invariance against direct multinomial draws (z-test over repetitions)."""
    rng = np.random.default_rng(11)
    p = rng.dirichlet(np.ones(32))
    M, reps = 20_000, 400
    tv = np.array([0.5 * np.abs(rng.multinomial(M, p) / M - p).sum() for _ in range(reps)])
    z = (tv.mean() - kinv.mc_floor(p, M)) / (tv.std(ddof=1) / np.sqrt(reps))
    assert abs(z) <= Z_MAX


def test_cd1_update_identity_at_random_parameters():
    """(1/n) grad PL equals the exact CD-1 update for an arbitrary data law (not only at a fixed point)."""
    rng = np.random.default_rng(7)
    A = rng.normal(0, 0.8, (4, 4))
    J = np.triu(A, 1) + np.triu(A, 1).T
    h = rng.normal(0, 0.5, 4)
    p = rng.dirichlet(np.ones(16))
    np.testing.assert_allclose(cdpl.cd1_update(p, J, h), cdpl.pl_gradient_over_n(p, J, h), rtol=0, atol=1e-12)


def test_chains_same_seed_same_bits():
    import numba

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = bern._chains(60_000, seed=3)  # above the kernels' serial threshold: the parallel path runs
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = bern._chains(60_000, seed=3)
    finally:
        numba.set_num_threads(before)
    assert all(np.array_equal(x["sampled"], y["sampled"]) for x, y in zip(a, b))
    c, d = bern._chains(2000, seed=3), bern._chains(2000, seed=4)
    assert not all(np.array_equal(x["sampled"], y["sampled"]) for x, y in zip(c, d))
