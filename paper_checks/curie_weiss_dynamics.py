r"""Curie-Weiss: exact lumping to a birth-death chain, the O(1/n) mean-field gap, and the short-run fixed point.

Claims (theory.md 5.4 and 9.6, check C4; the short-run fixed point of Agoritsas et al.
2023 worked out for this model in theory.md):

* random-scan heat bath on :math:`E=-\frac J{2n}\sum_{i\ne j}s_is_j-h\sum_is_i` lumps
  exactly onto :math:`n_+`: the :math:`2^n` kernel (:func:`solvable.ising.transition_matrix`)
  summed over each class equals the birth-death matrix
  (:func:`solvable.curie_weiss.transition_matrix`) from every state of the class; the
  lumped Boltzmann law is :func:`~solvable.curie_weiss.stationary`, and the lumped
  :math:`2^n` evolutions (:func:`solvable.ising.evolve`, continuous time and K updates)
  equal :func:`~solvable.curie_weiss.evolve` (1e-12; n = 6, J = 1.3, h = 0.2);
* the :math:`n\to\infty` limit :math:`\dot m=-m+\tanh(Jm+h)` has an :math:`O(1/n)` gap: for
  J = 0.5, h = 0.3, :math:`m_0=-0.6`, t = 2 the sequence :math:`n\,(m_n-m_{\rm MF})`, n doubling
  from 50, converges (its successive changes shrink), and the printed values of 9.6
  are reproduced; chains (:func:`solvable.ising.simulate`, n = 50 all-to-all) follow the
  exact birth-death law (|z| <= Z);
* short-run training of (J, h) from uniform spins for time k is stationary where
  :math:`(\langle M\rangle/n,\langle M^2\rangle/n^2)_{t=k}` equal the data's
  (:func:`~solvable.curie_weiss.short_run_fixed_point`): exact at t = k (1e-10), wrong at
  t = k/2, 2k and at equilibrium (> 1e-3); no fixed point when :math:`|m_D|\ge1-e^{-k}`;
  chains at the fixed point match the data at t = k (|z| <= Z) and miss them at the
  other sampled times where resolvable (|z| > Z).
"""
from __future__ import annotations

import numpy as np

from solvable import curie_weiss as cw
from solvable import ising
from solvable.comparison import moments_vs_time
from solvable.errors import NoFixedPointError

from ._result import (
    THEORY, Z_MAX, CheckResult, controlled, decide_z, make_result, sub_seed, with_section, within_printed,
)

CLAIM = ("Curie-Weiss: random-scan heat bath lumps exactly to a birth-death chain, mean-field gap O(1/n), "
         "short-run fixed point exact at t = k, not at the other times sampled (enumeration and chains)")
SOURCE = with_section(THEORY, "5.4, 9.6 (C4); short-run fixed point: model for arXiv:2301.09428")
DERIVED = "everything: the lumping, the mean-field gap, the short-run fixed point and the numbers of theory.md 9.6"

LUMP = {"n": 6, "J": 1.3, "h": 0.2, "times": (0.3, 1.0, 3.0), "K": 7}
LUMP_TOL = 1e-12
MF = {"J": 0.5, "h": 0.3, "m0": -0.6, "t": 2.0}
MF_N_QUICK = (50, 100, 200, 400, 800)
MF_N_FULL = (50, 100, 200, 400, 800, 1600, 3200)
#: theory.md 9.6 printed: m at t = 2 for n = 50, 200, 800, and the ODE
MF_PRINTED = {50: "0.14864", 200: "0.14925", 800: "0.14943", "ode": "0.14948"}
#: the figure's trajectories n (m_n(t) - m_MF(t)) (dense expm for these n)
MF_CURVE_N = (12, 25, 50)
MF_CHAIN_N = 50
MF_CHAIN_TIMES = (0.0, 0.5, 1.0, 2.0)
#: short run: data = equilibrium of (J_D, h_D) at n = SR_N; glauber time k; sampled times
SR_N = 20
SR_DATA = (0.8, 0.2)
SR_K = 2.0
SR_K_NONE = 0.5
SR_TIMES = (0.0, 1.0, 2.0, 3.0, 4.0, 8.0)
MATCH_TOL = 1e-10
MISMATCH_MIN = 1e-3


def _lumping():
    n, J, h = LUMP["n"], LUMP["J"], LUMP["h"]
    Jm = cw.couplings(n, J)
    hv = np.full(n, h)
    n_plus = (ising.all_states(n) > 0).sum(axis=1)
    L = np.zeros((2**n, n + 1))
    L[np.arange(2**n), n_plus] = 1.0
    T = ising.transition_matrix(Jm, hv, dynamics="random-heat-bath")
    errs = {"kernel": float(np.max(np.abs(T @ L - cw.transition_matrix(n, J, h)[n_plus])))}
    errs["stationary"] = float(np.max(np.abs(ising.boltzmann(Jm, hv) @ L - cw.stationary(n, J, h))))
    p0 = np.full(2**n, 2.0**-n)
    b0 = cw.binomial_start(n, 0.0)
    errs["start"] = float(np.max(np.abs(p0 @ L - b0)))
    errs["glauber"] = max(float(np.max(np.abs(ising.evolve(p0, Jm, hv, t, dynamics="glauber") @ L
                                              - cw.evolve(b0, J, h, t, dynamics="glauber")))) for t in LUMP["times"])
    errs["random_heat_bath"] = float(np.max(np.abs(ising.evolve(p0, Jm, hv, LUMP["K"], dynamics="random-heat-bath") @ L
                                                   - cw.evolve(b0, J, h, LUMP["K"], dynamics="random-heat-bath"))))
    return errs


def _mean_field(ns, n_chains, seed, n_curve):
    J, h, m0, t = MF["J"], MF["h"], MF["m0"], MF["t"]
    ode = float(cw.mean_field_magnetization(t, J, h, m0))
    m_n = np.array([float(cw.moments(cw.evolve(cw.binomial_start(n, m0), J, h, t))[0]) for n in ns])
    t_curve = np.linspace(0.0, 4.0, n_curve)
    ode_curve = cw.mean_field_magnetization(t_curve, J, h, m0)
    curves = {}
    for n in MF_CURVE_N:   # step by step: expm(dt L) has a small norm, far cheaper than expm(t L) per t
        laws = [cw.binomial_start(n, m0)]
        for dt in np.diff(t_curve):
            laws.append(cw.evolve(laws[-1], J, h, dt))
        curves[n] = n * (cw.moments(np.array(laws))[0] - ode_curve)
    # chains: n = MF_CHAIN_N all-to-all, product start of mean m0, continuous-time heat bath
    n = MF_CHAIN_N
    Jm, hv = cw.couplings(n, J), np.full(n, h)

    def start(s):
        rng = np.random.default_rng(sub_seed(*s, 4501))
        return np.where(rng.random((n_chains, n)) < 0.5 * (1 + m0), 1, -1).astype(np.int8)

    exact = cw.evolve(cw.binomial_start(n, m0), J, h, np.array(MF_CHAIN_TIMES))
    cmp = moments_vs_time(
        list(MF_CHAIN_TIMES), start=start,
        move=lambda S, dt, s: ising.simulate(Jm, hv, dt, S.shape[0], dynamics="glauber", s0=S, seed=sub_seed(*s)),
        features=_cw_features, data=np.zeros(2), labels=["M/n", "M^2/n^2"],
        exact=lambda tt: np.array(cw.moments(exact[list(MF_CHAIN_TIMES).index(tt)])), k=t, seed=sub_seed(seed, 4502))
    return {"ns": np.array(ns), "m_n": m_n, "ode": ode, "t_curve": t_curve, "ode_curve": ode_curve,
            "curves": curves, "chains": {"times": cmp.times, "sampled": cmp.sampled, "se": cmp.se, "exact": cmp.exact,
                                         "ode": cw.mean_field_magnetization(np.asarray(cmp.times), J, h, m0)}}


def _cw_features(S):
    """Per-chain (M/n, M^2/n^2): the sufficient statistics of :func:`solvable.curie_weiss.moments`."""
    x = np.asarray(S, dtype=np.float64).mean(axis=1)
    return np.stack([x, x * x], axis=1)


def _short_run(n_chains, seed):
    n = SR_N
    mD, qD = cw.moments(cw.stationary(n, *SR_DATA))
    mD, qD = float(mD), float(qD)
    J, h = cw.short_run_fixed_point(mD, qD, SR_K, n)
    b0 = cw.binomial_start(n, 0.0)
    probe = np.array([SR_K / 2, SR_K, 2 * SR_K])
    mm, qq = cw.moments(cw.evolve(b0, J, h, probe))
    eq = cw.moments(cw.stationary(n, J, h))
    try:
        cw.short_run_fixed_point(mD, qD, SR_K_NONE, n)
        none = None
    except NoFixedPointError as exc:
        none = str(exc)
    Jm, hv = cw.couplings(n, J), np.full(n, h)
    exact = cw.evolve(b0, J, h, np.array(SR_TIMES))
    cmp = moments_vs_time(
        list(SR_TIMES),
        start=lambda s: ising.simulate(Jm, hv, 0.0, n_chains, dynamics="glauber", seed=sub_seed(*s)),
        move=lambda S, dt, s: ising.simulate(Jm, hv, dt, S.shape[0], dynamics="glauber", s0=S, seed=sub_seed(*s)),
        features=_cw_features, data=np.array([mD, qD]), labels=["M/n", "M^2/n^2"],
        exact=lambda tt: np.array(cw.moments(exact[list(SR_TIMES).index(tt)])), k=SR_K, seed=sub_seed(seed, 4503))
    return {"m_D": mD, "q_D": qD, "J": J, "h": h,
            "err": {"k/2": max(abs(mm[0] - mD), abs(qq[0] - qD)), "k": max(abs(mm[1] - mD), abs(qq[1] - qD)),
                    "2k": max(abs(mm[2] - mD), abs(qq[2] - qD)), "eq": max(abs(eq[0] - mD), abs(eq[1] - qD))},
            "equilibrium": np.array(eq), "no_fixed_point": none,
            "chains": {"times": cmp.times, "sampled": cmp.sampled, "se": cmp.se, "exact": cmp.exact},
            "curve_t": (tf := np.linspace(0, max(SR_TIMES), 81)),
            "curve": np.array(cw.moments(cw.evolve(b0, J, h, tf)))}


def measure(quick=True, seed=0):
    """All numbers: lumping errors, mean-field gap and chains, short-run fixed point and chains."""
    n_chains = 20_000 if quick else 200_000
    mf = _mean_field(MF_N_QUICK if quick else MF_N_FULL, n_chains // 2, seed, 21 if quick else 81)
    return {"lump": _lumping(), "mf": mf,
            "sr": _short_run(n_chains, seed), "n_chains": n_chains}


def evaluate(m, *, t_offset=0.0, z_max=Z_MAX):
    """Verdict. ``t_offset`` moves the time where the short-run chains must match the data (nonzero: a
    deliberately wrong claim that must FAIL). Returns ``(passed, parts)``."""
    parts = {"lumping": {"passed": max(m["lump"].values()) <= LUMP_TOL, "errors": m["lump"]}}
    mf = m["mf"]
    ngap = mf["ns"] * (mf["m_n"] - mf["ode"])
    steps = np.abs(np.diff(ngap))
    converging = bool(np.all(np.diff(steps) < 0))
    ns = mf["ns"].tolist()
    printed = [within_printed(mf["m_n"][ns.index(n)], v) for n, v in MF_PRINTED.items() if n != "ode"]
    printed.append(within_printed(mf["ode"], MF_PRINTED["ode"]))
    richardson = float(2 * ngap[-1] - ngap[-2])
    ch = mf["chains"]
    ok_mfc, z_mfc = decide_z(match=(ch["sampled"] - ch["exact"]) / ch["se"], z_max=z_max)
    parts["mean_field"] = {"passed": converging and all(printed) and ok_mfc, "n_gap": ngap, "changes": steps,
                           "converging": converging, "limit_richardson": richardson, "printed_ok": all(printed),
                           "z_chains_vs_exact": z_mfc}
    sr = m["sr"]
    e = sr["err"]
    ok_exact = e["k"] <= MATCH_TOL and min(e["k/2"], e["2k"], e["eq"]) > MISMATCH_MIN
    c = sr["chains"]
    times = np.asarray(c["times"])
    at = np.isclose(times, SR_K + t_offset)
    if not at.any():
        raise ValueError(f"t = {SR_K + t_offset} is not a sampled time {times.tolist()}")
    data = np.array([sr["m_D"], sr["q_D"]])
    z_data = (c["sampled"] - data) / c["se"]
    resolvable = ~at & (np.max(np.abs(c["exact"] - data) / c["se"], axis=1) > 2 * z_max)
    zt = np.max(np.abs(z_data), axis=1)
    ok_c, z_at = decide_z(match=z_data[at], mismatch=zt[resolvable], z_max=z_max)
    ok_x, z_x = decide_z(match=(c["sampled"] - c["exact"]) / c["se"], z_max=z_max)
    parts["short_run"] = {"passed": bool(ok_exact and ok_c and ok_x and sr["no_fixed_point"] is not None),
                          "errors": e, "z_at_k": z_at, "z_exact": z_x, "mismatch_times": times[resolvable].tolist(),
                          "min_z_mismatch": float(zt[resolvable].min()) if resolvable.any() else None,
                          "no_fixed_point_at": SR_K_NONE if sr["no_fixed_point"] else None, "t_offset": t_offset}
    return all(p["passed"] for p in parts.values()), parts


def run(quick: bool = True, seed: int = 0) -> CheckResult:
    """Run the check (quick: n up to 800 for the gap, 1e4 chains of n = 50 and 2e4 of n = 20; full: n up to
    3200, ten times the chains)."""
    return controlled(result_from, measure(quick, seed))


def result_from(m, *, t_offset=0.0) -> CheckResult:
    """The CheckResult of :func:`measure`'s numbers (``t_offset`` != 0: a wrong claim, for tests)."""
    passed, parts = evaluate(m, t_offset=t_offset)
    mf, sr = parts["mean_field"], parts["short_run"]
    srm = m["sr"]
    meas = (
        "lumping errors: " + ", ".join(f"{k} {v:.1e}" for k, v in parts["lumping"]["errors"].items())
        + f"; m(t=2) = " + ", ".join(f"{v:.5f} (n={n})" for n, v in zip(m["mf"]["ns"], m["mf"]["m_n"]))
        + f" vs ODE {m['mf']['ode']:.5f}; n * gap = " + ", ".join(f"{v:.5f}" for v in mf["n_gap"])
        + f" (changes " + ", ".join(f"{v:.1e}" for v in mf["changes"]) + f"; limit ~ {mf['limit_richardson']:.4f});"
        f" {m['n_chains'] // 2} chains (n = {MF_CHAIN_N}) vs exact max|z| {mf['z_chains_vs_exact']:.2f}; short run (n = {SR_N}, k = {SR_K:g}): "
        f"(J*, h*) = ({srm['J']:.5f}, {srm['h']:.5f}) for data of (J, h) = {SR_DATA}; moment error at t = k/2, k, 2k, eq: "
        + ", ".join(f"{v:.2e}" for v in sr["errors"].values())
        + f"; chains |z| at t = k{'+' + format(t_offset, 'g') if t_offset else ''} {sr['z_at_k']:.2f}, vs exact "
        f"{sr['z_exact']:.2f}, min max|z| at t != k {sr['min_z_mismatch']:.1f}; k = {SR_K_NONE}: "
        + ("no fixed point" if sr["no_fixed_point_at"] is not None else "a fixed point (UNEXPECTED)")
    )
    return make_result(
        __name__,
        prediction=(f"lumped 2^n chain = birth-death chain (<= {LUMP_TOL:g}); n (m_n - m_MF) converges (O(1/n) gap), "
                    f"9.6 values {MF_PRINTED}; short-run (J*, h*): moments exact at t = k (<= {MATCH_TOL:g}), off "
                    f"(> {MISMATCH_MIN:g}) at k/2, 2k, equilibrium; chains |z| <= {Z_MAX:g} at t = k and vs exact"),
        measurement=meas,
        passed=passed,
        z=max(sr["z_at_k"], mf["z_chains_vs_exact"]),
        error=max(max(parts["lumping"]["errors"].values()), sr["errors"]["k"]),
        tolerance=(f"{LUMP_TOL:g} lumping, {MATCH_TOL:g} short-run match, printed digits of 9.6, successive changes of "
                   f"n * gap shrinking, |z| <= {Z_MAX:g} (match) / > {Z_MAX:g} (resolvable mismatch)"),
        details={"parts": parts},
        data={"mf": {k: m["mf"][k] for k in ("ns", "m_n", "ode", "t_curve", "curves", "chains")},
              "sr": {k: srm[k] for k in ("m_D", "q_D", "J", "h", "equilibrium", "chains", "curve_t", "curve")},
              "n_chains": m["n_chains"]},
        params={"lumping": LUMP, "mean_field": MF, "short_run": {"n": SR_N, "data_J_h": SR_DATA, "k": SR_K,
                                                                 "dynamics": "glauber", "p0": "uniform"},
                "n_chains": m["n_chains"]},
    )


def draw(result):
    """(a) n (m_n(t) - m_MF(t)) for several n: the curves collapse (O(1/n) gap). (b) n * gap at t = 2 vs n.
    (c) Short-run moments vs t at (J*, h*): exact lines, chains with 1 SE, data, equilibrium."""
    from solvable import plotting

    d = result.data
    mf, sr = d["mf"], d["sr"]
    fig, ((aa, ab), (ac, ad)) = plotting.subplots(2, 2, width=10.4, height=7.4)
    for c, n in enumerate(sorted(mf["curves"], key=int)):
        aa.plot(mf["t_curve"], mf["curves"][n], color=plotting.COLORS[c], label=f"$n={n}$ (exact birth-death)")
    ch = mf["chains"]
    aa.axhline(0, color="k", lw=0.8)
    aa.set_xlabel("time $t$ (sweeps)")
    aa.set_ylabel(r"$n\,[\langle M\rangle_t/n-m_{\rm MF}(t)]$")
    aa.set_title(rf"(a) mean-field gap $\times n$ ($J={MF['J']}$, $h={MF['h']}$, $m_0={MF['m0']}$)")
    aa.legend(fontsize=7.5, loc="lower left")
    ns = np.asarray(mf["ns"])
    ngap = ns * (np.asarray(mf["m_n"]) - mf["ode"])
    ab.semilogx(ns, ngap, "o-", color=plotting.COLORS[0], base=2, label=rf"$n\,(m_n-m_{{\rm MF}})$ at $t={MF['t']:g}$")
    ab.axhline(2 * ngap[-1] - ngap[-2], color="0.4", ls="--", lw=1,
               label=f"extrapolated limit {2 * ngap[-1] - ngap[-2]:.4f}")
    ab.set_xticks(ns, [str(n) for n in ns])
    ab.set_xlabel("number of spins $n$")
    ab.set_ylabel(r"$n\times$gap")
    ab.set_title(r"(b) the gap is $O(1/n)$: $n\times$gap converges")
    ab.legend(fontsize=8, loc="upper right")
    c = sr["chains"]
    t = np.asarray(c["times"])
    k = SR_K
    tf, exact = np.asarray(sr["curve_t"]), np.asarray(sr["curve"])
    labels = (r"$\langle M\rangle/n$", r"$\langle M^2\rangle/n^2$")
    for a, (lab, dat) in enumerate(zip(labels, (sr["m_D"], sr["q_D"]))):
        col = plotting.COLORS[a]
        ac.plot(tf, exact[a], color=col, label=f"{lab} exact")
        ac.errorbar(t, np.asarray(c["sampled"])[:, a], yerr=np.asarray(c["se"])[:, a], fmt="o", ms=4, color=col,
                    mfc="white", label=f"{lab} chains (1 SE)")
        ac.axhline(dat, color=col, ls="--", lw=1)
        ac.plot([t.max() * 1.04], [sr["equilibrium"][a]], "D", color=col, ms=5)
    ac.plot([], [], "k--", lw=1, label="data")
    ac.plot([], [], "D", color="0.4", label=r"equilibrium of $(J^*,h^*)$")
    plotting.mark_k(ac, k)
    ac.set_xlabel("time $t$ (sweeps)")
    ac.set_ylabel("moment")
    ac.set_title(rf"(c) short run, $n={SR_N}$: $(J^*,h^*)=({sr['J']:.3f},{sr['h']:.3f})$")
    ac.legend(fontsize=7, loc="lower right", ncol=2)
    # (d) the chains against the exact laws they sample: (a)'s n = 50 chains and (c)'s chains, as z-scores
    # (the O(1/n) gap of (a) is ~1 SE of 10^4 chains: the chains test the dynamics, not the gap)
    za = (np.asarray(ch["sampled"]) - np.asarray(ch["exact"])) / np.asarray(ch["se"])
    zc = (np.asarray(c["sampled"]) - np.asarray(c["exact"])) / np.asarray(c["se"])
    for a, lab in enumerate(labels):
        ad.plot(np.asarray(ch["times"]) - 0.03, za[:, a], "o", mfc="white", color=plotting.COLORS[a],
                label=f"(a) chains, $n={MF_CHAIN_N}$: {lab}")
        ad.plot(t + 0.03, zc[:, a], "s", color=plotting.COLORS[a], ms=4, label=f"(c) chains, $n={SR_N}$: {lab}")
    ad.axhspan(-Z_MAX, Z_MAX, color="0.92", zorder=0, label=rf"$|z|\leq{Z_MAX:g}$")
    ad.axhline(0, color="k", lw=0.8)
    ad.set_xlabel("time $t$ (sweeps)")
    ad.set_ylabel("(chains $-$ exact law) / SE")
    ad.set_title(f"(d) chains vs the exact law ({d['n_chains'] // 2} and {d['n_chains']} chains)")
    ad.legend(fontsize=7, loc="upper right", ncol=2)
    return fig
